package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// The webhooks' outbox: a stored message's event goes in with it (while
// the outbox is on), events are claimed by one node for a lease, retried
// later with their attempts counted, gone once delivered, kept across a
// restart, and enqueued once per event id.
func outbox(t *testing.T, b Backend) {
	ctx := context.Background()
	d := b.Open(t, nil)
	now := time.Now()
	claim := func(node string, at time.Time) []store.OutboxEvent {
		t.Helper()
		evs, err := d.ClaimEvents(ctx, node, at, time.Minute, 10)
		if err != nil {
			t.Fatal(err)
		}
		return evs
	}
	ids := func(evs []store.OutboxEvent) []string {
		var out []string
		for _, e := range evs {
			out = append(out, e.EventID)
		}
		return out
	}

	if _, _, err := d.Append(ctx, store.PrivateConvID("a", "b"), Msg("a", "b", "before")); err != nil {
		t.Fatal(err)
	}
	if evs := claim("n1", now.Add(time.Hour)); len(evs) != 0 {
		t.Fatalf("events while the outbox is off: %v", ids(evs))
	}
	d.SetOutbox(true)
	m, _, err := d.Append(ctx, store.PrivateConvID("a", "b"), Msg("a", "b", "c1"))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.EnqueueEvents(ctx, []store.OutboxEvent{{EventID: "on.a.1", Kind: "user.online", Body: []byte(`{"u":"a"}`), Created: now.Add(time.Minute).UnixMilli()}}); err != nil {
		t.Fatal(err)
	}
	if err := d.EnqueueEvents(ctx, []store.OutboxEvent{{EventID: "on.a.1", Kind: "user.online", Body: []byte(`{"again":1}`), Created: now.UnixMilli()}}); err != nil {
		t.Fatal(err)
	}
	if n, err := d.OutboxSize(ctx); err != nil || n != 2 {
		t.Fatalf("outbox size %d %v, want 2 (an event id once)", n, err)
	}
	d = b.Reopen(t, d) // durable: a restart keeps what is owed
	d.SetOutbox(true)
	evs := claim("n1", now.Add(time.Hour))
	if got := ids(evs); !slices.Equal(got, []string{"msg." + m.Uid, "on.a.1"}) {
		t.Fatalf("claimed %v", got)
	}
	got := &pb.Message{}
	if err := got.Unmarshal(evs[0].Body); err != nil || evs[0].Kind != store.OutboxMessage || got.Uid != m.Uid || got.ClientMsgId != "c1" {
		t.Fatalf("the message's event: %+v %v", got, err)
	}
	if string(evs[1].Body) != `{"u":"a"}` || evs[1].Attempts != 0 {
		t.Fatalf("the enqueued event: %+v", evs[1])
	}
	if evs := claim("n2", now.Add(time.Hour)); len(evs) != 0 {
		t.Fatalf("claimed again within the lease: %v", ids(evs))
	}
	// Delivered: gone. Failed: due again later, one attempt counted.
	if err := d.FinishEvent(ctx, "n1", evs[0].ID, time.Time{}); err != nil {
		t.Fatal(err)
	}
	retry := now.Add(2 * time.Hour)
	if err := d.FinishEvent(ctx, "n1", evs[1].ID, retry); err != nil {
		t.Fatal(err)
	}
	if evs := claim("n2", retry.Add(-time.Second)); len(evs) != 0 {
		t.Fatalf("claimed before it is due: %v", ids(evs))
	}
	again := claim("n2", retry)
	if len(again) != 1 || again[0].EventID != "on.a.1" || again[0].Attempts != 1 {
		t.Fatalf("the retry: %+v", again)
	}
	// A lease that ran out (its node slow or stopped): claimed by another,
	// whose claim the first node's late release leaves alone.
	if evs := claim("n3", retry.Add(2*time.Minute)); len(evs) != 1 || evs[0].EventID != "on.a.1" {
		t.Fatalf("after the lease: %v", ids(evs))
	}
	if err := d.FinishEvent(ctx, "n2", again[0].ID, retry.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if evs := claim("n4", retry.Add(2*time.Minute+30*time.Second)); len(evs) != 0 { // within n3's lease
		t.Fatalf("claimed while n3 holds it (n2's late release let it go): %v", ids(evs))
	}
	if n, err := d.OutboxSize(ctx); err != nil || n != 1 {
		t.Fatalf("outbox size %d %v, want 1", n, err)
	}
	// An event due much later: the outbox is not empty below what follows.
	if err := d.EnqueueEvents(ctx, []store.OutboxEvent{{EventID: "later.1", Kind: "user.online", Body: []byte(`{}`), Created: retry.Add(100 * time.Hour).UnixMilli()}}); err != nil {
		t.Fatal(err)
	}
	// Replaced: the event gone, what replaced it there, in one step.
	last := claim("n4", retry.Add(time.Hour))
	if len(last) != 1 {
		t.Fatalf("the last event: %v", ids(last))
	}
	if err := d.ReplaceEvent(ctx, last[0].ID, []store.OutboxEvent{{EventID: "push.1", Kind: "message.push", Body: []byte(`{}`), Created: now.UnixMilli()}}); err != nil {
		t.Fatal(err)
	}
	// A second replace of the same event (another claim's, its lease run
	// out meanwhile) adds nothing: the pushes are not owed twice.
	if err := d.ReplaceEvent(ctx, last[0].ID, []store.OutboxEvent{{EventID: "push.2", Kind: "message.push", Body: []byte(`{}`), Created: now.UnixMilli()}}); err != nil {
		t.Fatal(err)
	}
	pushed := claim("n4", retry.Add(2*time.Hour))
	if got := ids(pushed); !slices.Equal(got, []string{"push.1"}) {
		t.Fatalf("after the replace, and again: %v", got)
	}
	// An id a claim holds is never a new event's: the claim's holder
	// replaces its event, the newest, with nothing, a message is stored
	// meanwhile, then the claim is finished — the message's event must
	// stay.
	if err := d.ReplaceEvent(ctx, pushed[0].ID, nil); err != nil {
		t.Fatal(err)
	}
	m2, _, err := d.Append(ctx, store.PrivateConvID("a", "b"), Msg("a", "b", "c2"))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.DeliveredEvents(ctx, []int64{pushed[0].ID}); err != nil {
		t.Fatal(err)
	}
	if got := ids(claim("n4", retry.Add(3*time.Hour))); !slices.Equal(got, []string{"msg." + m2.Uid}) {
		t.Fatalf("a message stored while an emptied claim was held: %v", got)
	}
}
