package storetest

import (
	"bytes"
	"context"
	"testing"
	"time"

	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// outboxEventAfterErase: a message's webhook event claimed after its
// sender was erased must not carry what the message said (the server
// posts the body it gets, and pushes it; docs: "a message erased
// meanwhile has none").
func outboxEventAfterErase(t *testing.T, b Backend) {
	ctx := context.Background()
	d := b.Open(t, nil)
	d.SetOutbox(true)
	m := Msg("a", "b", "secret")
	m.Content = []byte(`{"content":"my secret"}`)
	if _, _, err := d.Append(ctx, store.PrivateConvID("a", "b"), m); err != nil {
		t.Fatal(err)
	}
	if _, err := d.EraseUser(ctx, "a", time.UnixMilli(1)); err != nil {
		t.Fatal(err)
	}
	evs, err := d.ClaimEvents(ctx, "n1", time.Now().Add(time.Hour), time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if bytes.Contains(e.Body, []byte("my secret")) {
			got := &pb.Message{}
			_ = got.Unmarshal(e.Body)
			t.Fatalf("event %s claimed after the sender was erased still carries the message: from %q, content %s", e.EventID, got.FromUser, got.Content)
		}
	}
}

// outboxEventAfterRetention: a message's event claimed after retention
// deleted the message must not carry it.
func outboxEventAfterRetention(t *testing.T, b Backend) {
	ctx := context.Background()
	var clock = time.UnixMilli(1_000_000)
	d := b.Open(t, func() time.Time { return clock })
	d.SetOutbox(true)
	m := Msg("a", "b", "old")
	m.Content = []byte(`{"content":"expired words"}`)
	if _, _, err := d.Append(ctx, store.PrivateConvID("a", "b"), m); err != nil {
		t.Fatal(err)
	}
	if n, err := d.DeleteBefore(ctx, clock.Add(time.Second)); err != nil || n != 1 {
		t.Fatalf("retention: %d %v", n, err)
	}
	evs, err := d.ClaimEvents(ctx, "n1", clock.Add(time.Hour), time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if bytes.Contains(e.Body, []byte("expired words")) {
			t.Fatalf("event %s claimed after retention deleted its message still carries it", e.EventID)
		}
	}
}

// outboxEventWithoutBody: an event enqueued with no body is kept, with an
// empty one, by either store.
func outboxEventWithoutBody(t *testing.T, b Backend) {
	ctx := context.Background()
	d := b.Open(t, nil)
	if err := d.EnqueueEvents(ctx, []store.OutboxEvent{{EventID: "e1", Kind: "user.online", Created: 1000}}); err != nil {
		t.Fatal(err)
	}
	evs, err := d.ClaimEvents(ctx, "n1", time.UnixMilli(2000), time.Minute, 10)
	if err != nil || len(evs) != 1 || evs[0].EventID != "e1" || len(evs[0].Body) != 0 {
		t.Fatalf("claimed %+v %v", evs, err)
	}
}
