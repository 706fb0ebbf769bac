//go:build js && wasm

package idbstore

import (
	"context"
	"strings"
	"testing"

	"github.com/imwasm/imwasm/client"
)

// Two tabs of one device share one database, and both receive each
// message: a tab's batch can put a message the other stored since the
// batch looked. These need IndexedDB: make test-wasm runs them in Node with
// fake-indexeddb (scripts/wasm-test-exec.sh), npm test in Chromium
// (npm/test/chromium-idbstore.test.mjs).

func openTabs(t *testing.T, name string) (*Store, *Store) {
	t.Helper()
	a, err := Open(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

func received(uid, text string, seq uint64) *client.Message {
	return &client.Message{
		Conversation: client.Conversation{Type: 1, TargetID: "hank"},
		MessageUID:   uid, Seq: seq, SenderUserID: "hank", ObjectName: "RC:TxtMsg",
		Content: []byte(`{"content":"` + text + `"}`), Direction: client.DirectionReceive,
		SentTime: int64(1000 + seq), IsPersisted: true, IsCounted: true,
	}
}

func TestApplyKeepsBatchWhenAnotherTabStoredAMessage(t *testing.T) {
	ctx := context.Background()
	tab1, tab2 := openTabs(t, "two-tabs-apply")
	// tab1 stores c; tab2's batch, built before it looked, has c and d.
	c1 := received("uid-c", "c", 3)
	if err := tab1.Apply(ctx, &client.Batch{Messages: []*client.Message{c1}}); err != nil {
		t.Fatal(err)
	}
	c2, d2 := received("uid-c", "c", 3), received("uid-d", "d", 4)
	st := &client.ConversationState{Conversation: c2.Conversation, Contiguous: 4, LastSeq: 4}
	if err := tab2.Apply(ctx, &client.Batch{Messages: []*client.Message{c2, d2}, Conversations: []*client.ConversationState{st}}); err != nil {
		t.Fatalf("tab2's batch failed on a message tab1 stored: %v", err)
	}
	if c2.MessageID != c1.MessageID {
		t.Fatalf("tab2's copy of c got id %d, the stored one is %d", c2.MessageID, c1.MessageID)
	}
	if d2.MessageID == 0 || d2.MessageID == c1.MessageID {
		t.Fatalf("d got id %d", d2.MessageID)
	}
	got, err := tab1.MessagesByUID(ctx, []string{"uid-c", "uid-d"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] == nil || got[1] == nil || got[0].MessageID != c1.MessageID || got[1].MessageID != d2.MessageID {
		t.Fatalf("stored: %+v", got)
	}
	convs, err := tab1.Conversations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(convs) != 1 || convs[0].Contiguous != 4 {
		t.Fatalf("tab2's cursor was not kept: %+v", convs)
	}
}

func TestApplyStillFailsOnOtherErrors(t *testing.T) {
	ctx := context.Background()
	tab1, _ := openTabs(t, "two-tabs-other")
	a := received("uid-a", "a", 1)
	if err := tab1.Apply(ctx, &client.Batch{Messages: []*client.Message{a}}); err != nil {
		t.Fatal(err)
	}
	// A record with an id of its own whose uid another record holds is
	// not a copy from another tab: the transaction fails, nothing lands.
	b := received("uid-a", "b", 2)
	b.MessageID = a.MessageID + 100
	e := received("uid-e", "e", 5)
	if err := tab1.Apply(ctx, &client.Batch{Messages: []*client.Message{e, b}}); err == nil {
		t.Fatal("a conflicting record with its own id was accepted")
	} else if !strings.Contains(err.Error(), "indexeddb transaction: ") {
		t.Fatalf("the error does not say what failed: %v", err)
	}
	got, err := tab1.MessagesByUID(ctx, []string{"uid-e"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 1 && got[0] != nil {
		t.Fatalf("the failed batch left e stored: %+v", got[0])
	}
}
