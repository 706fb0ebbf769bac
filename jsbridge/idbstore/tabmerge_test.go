//go:build js && wasm

package idbstore

import (
	"context"
	"fmt"
	"testing"

	"github.com/imwasm/imwasm/client"
)

// Each tab's engine keeps its own copy of the cursors (Engine.convs, read
// once by loadState) and writes it whole. putConversation merges what a
// tab writes with what the other wrote: the highest ReadSeq, Contiguous,
// LastSeq and MessageSeq, and the counts with the watermark they were
// counted against, so the record kept is a state an engine could have.

// Tab A marks the conversation read (ReadSeq 10, nothing unread); tab B,
// which has not seen that read yet, takes message 11 and writes its count
// over ReadSeq 5 (6 unread). Not kept: ReadSeq 10 with 6 unread, of which
// only one (11) is above the watermark.
func TestTabsMergeCountsWithTheirWatermark(t *testing.T) {
	ctx := context.Background()
	tabA, tabB := openTabs(t, fmt.Sprintf("zz-merge-unread-%d", dbs.Add(1)))
	conv := client.Conversation{Type: client.Private, TargetID: "hank"}
	read := &client.ConversationState{Conversation: conv, Contiguous: 10, LastSeq: 10, ReadSeq: 10, ReadSynced: 10, MessageSeq: 10}
	if err := tabA.Apply(ctx, &client.Batch{Conversations: []*client.ConversationState{read}}); err != nil {
		t.Fatal(err)
	}
	stale := &client.ConversationState{Conversation: conv, Contiguous: 11, LastSeq: 11, ReadSeq: 5, ReadSynced: 5, MessageSeq: 11,
		Unread: 6, Mentioned: true, Mentions: 2}
	if err := tabB.Apply(ctx, &client.Batch{Conversations: []*client.ConversationState{stale}}); err != nil {
		t.Fatal(err)
	}
	got, err := tabA.Conversations(ctx)
	if err != nil || len(got) != 1 {
		t.Fatalf("%v, %v", got, err)
	}
	st := got[0]
	above := int(max(st.LastSeq, st.Contiguous) - st.ReadSeq)
	if st.Unread > above || st.Mentions > st.Unread {
		t.Fatalf("stored ReadSeq %d, Contiguous %d with Unread %d (Mentions %d, Mentioned %v): only %d message(s) are above the watermark",
			st.ReadSeq, st.Contiguous, st.Unread, st.Mentions, st.Mentioned, above)
	}
	if st.Unread != 1 {
		t.Fatalf("unread %d: message 11, held by tab B only, counts", st.Unread)
	}
}

// Tab A holds message 11 (Contiguous 11, MessageSeq 11) of a conversation
// removed at 10; tab B, behind (Contiguous 10), writes its cursor (a draft,
// a setting). Not kept: Contiguous 11 (the highest) with tab B's
// MessageSeq 10, for which Hidden() would say the conversation has had no
// message since its removal (and no sync brings 11 again).
func TestTabsMergeKeepsTheLatestMessageSeq(t *testing.T) {
	ctx := context.Background()
	tabA, tabB := openTabs(t, fmt.Sprintf("zz-merge-hidden-%d", dbs.Add(1)))
	conv := client.Conversation{Type: client.Private, TargetID: "hank"}
	removed := client.Settings{RemovedSeq: 10, SettingsTime: 1000}
	ahead := &client.ConversationState{Conversation: conv, Contiguous: 11, LastSeq: 11, MessageSeq: 11, Settings: removed}
	if err := tabA.Apply(ctx, &client.Batch{Conversations: []*client.ConversationState{ahead}}); err != nil {
		t.Fatal(err)
	}
	if ahead.Hidden() {
		t.Fatal("setup: tab A's state is hidden")
	}
	behind := &client.ConversationState{Conversation: conv, Contiguous: 10, LastSeq: 10, MessageSeq: 10, Settings: removed, Draft: "typing"}
	if err := tabB.Apply(ctx, &client.Batch{Conversations: []*client.ConversationState{behind}}); err != nil {
		t.Fatal(err)
	}
	got, err := tabA.Conversations(ctx)
	if err != nil || len(got) != 1 {
		t.Fatalf("%v, %v", got, err)
	}
	if st := got[0]; st.Hidden() {
		t.Fatalf("stored Contiguous %d (message 11 held) but MessageSeq %d, RemovedSeq %d: the conversation is hidden", st.Contiguous, st.MessageSeq, st.RemovedSeq)
	}
}

// Tab A saves a draft; tab B, which has not seen it, writes its cursor of
// that conversation (a message arrived). The draft stays: the newer of the
// two, by DraftTime. A clear in tab B later still clears it.
func TestTabsMergeKeepsTheNewerDraft(t *testing.T) {
	ctx := context.Background()
	tabA, tabB := openTabs(t, fmt.Sprintf("merge-draft-%d", dbs.Add(1)))
	conv := client.Conversation{Type: client.Private, TargetID: "hank"}
	put := func(s *Store, st *client.ConversationState) {
		t.Helper()
		if err := s.Apply(ctx, &client.Batch{Conversations: []*client.ConversationState{st}}); err != nil {
			t.Fatal(err)
		}
	}
	draft := func() string {
		t.Helper()
		got, err := tabA.Conversations(ctx)
		if err != nil || len(got) != 1 {
			t.Fatalf("%v, %v", got, err)
		}
		return got[0].Draft
	}
	put(tabA, &client.ConversationState{Conversation: conv, Contiguous: 10, LastSeq: 10, Draft: "hello", DraftTime: 5000})
	put(tabB, &client.ConversationState{Conversation: conv, Contiguous: 11, LastSeq: 11, MessageSeq: 11})
	if d := draft(); d != "hello" {
		t.Fatalf("draft %q after another tab's older cursor, want tab A's", d)
	}
	put(tabB, &client.ConversationState{Conversation: conv, Contiguous: 11, LastSeq: 11, MessageSeq: 11, Draft: "", DraftTime: 6000})
	if d := draft(); d != "" {
		t.Fatalf("draft %q after tab B cleared it later", d)
	}
}
