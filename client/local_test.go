package client

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// getServerTime: the device's clock corrected by what the last AuthOK said.
func TestServerTime(t *testing.T) {
	h := newHarness(t, nil)
	local := time.UnixMilli(1_700_000_000_000)
	h.clock.freeze(local)
	if got := h.e.ServerTime(); got != local.UnixMilli() {
		t.Fatalf("before connecting: %d, want the device's clock %d", got, local.UnixMilli())
	}
	h.srv.authOK(func(ok *pb.AuthOK) { ok.ServerTime = local.UnixMilli() + 90_000 })
	h.connect(nil)
	h.clock.freeze(local.Add(time.Second))
	if got, want := h.e.ServerTime(), local.UnixMilli()+91_000; got != want {
		t.Fatalf("server time %d, want %d (the device 90 s behind)", got, want)
	}
}

// clearMessages and deleteLocalMessagesByTimestamp delete this device's
// copies only: nothing is asked of the server.
func TestClearLocal(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	msgs := []*pb.Message{from(bob, 1), from(bob, 2), from(bob, 3)}
	c.push(msgs...)
	h.messages()
	if err := h.e.ClearLocal(bob, msgs[1].SentTime); err != nil {
		t.Fatal(err)
	}
	if got := h.store.seqs(bob); !slices.Equal(got, []uint64{3}) {
		t.Errorf("held %v after deleting what was sent at or before message 2 (as clearHistoryMessages)", got)
	}
	if err := h.e.ClearLocal(bob, math.MaxInt64); err != nil {
		t.Fatal(err)
	}
	if got := h.store.seqs(bob); len(got) != 0 {
		t.Errorf("held %v after clearing", got)
	}
	wantCode(t, h.e.ClearLocal(bob, 0), codes.InvalidParameter)
	wantCode(t, h.e.ClearLocal(Conversation{Type: Private}, 1), codes.InvalidParameterTargetID)
	h.barrier(c)
	if n := len(written[*pb.Frame_ClearHistory](c)); n != 0 {
		t.Errorf("%d clear requests reached the server", n)
	}
}

// getMessage: by local id or server id, nil when not held.
func TestLocalMessage(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	c.push(from(bob, 1))
	got := h.messages()
	ctx := context.Background()
	byID, err := h.e.LocalMessage(ctx, got[0].MessageID)
	if err != nil || byID == nil || byID.MessageUID != uidOf(bob, 1) {
		t.Fatalf("by id: %+v, %v", byID, err)
	}
	byUID, err := h.e.LocalMessageByUID(ctx, uidOf(bob, 1))
	if err != nil || byUID == nil || byUID.MessageID != got[0].MessageID {
		t.Fatalf("by uid: %+v, %v", byUID, err)
	}
	if m, err := h.e.LocalMessage(ctx, got[0].MessageID+100); m != nil || err != nil {
		t.Fatalf("unknown id: %+v, %v", m, err)
	}
}

// getMessagesByUIds: the conversation's messages held, nil for the rest
// (another conversation's too).
func TestLocalMessagesByUID(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	c.push(from(bob, 1), from(carol, 1))
	h.messages()
	ms, err := h.e.LocalMessagesByUID(context.Background(), bob, []string{uidOf(bob, 1), "nope", uidOf(carol, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if ms[0] == nil || ms[0].MessageUID != uidOf(bob, 1) || ms[1] != nil || ms[2] != nil {
		t.Fatalf("got %v", ms)
	}
	_, err = h.e.LocalMessagesByUID(context.Background(), bob, nil)
	wantCode(t, err, codes.InvalidParameterCount)
}

// A draft is kept with the time it was set, so that the tabs of a device,
// which share one record, keep the newer (jsbridge/idbstore merges by it);
// a second save in the same millisecond is still newer.
func TestDraftKeptWithItsTime(t *testing.T) {
	h := newHarness(t, nil)
	at := time.UnixMilli(1_700_000_000_000)
	h.clock.freeze(at)
	if err := h.e.SetDraft(bob, "hello"); err != nil {
		t.Fatal(err)
	}
	st := h.store.state(bob)
	if st == nil || st.Draft != "hello" || st.DraftTime != at.UnixMilli() {
		t.Fatalf("stored %+v, want the draft at %d", st, at.UnixMilli())
	}
	if err := h.e.SetDraft(bob, ""); err != nil {
		t.Fatal(err)
	}
	if st := h.store.state(bob); st.Draft != "" || st.DraftTime != at.UnixMilli()+1 {
		t.Fatalf("after clearing in the same ms: draft %q at %d, want \"\" at %d", st.Draft, st.DraftTime, at.UnixMilli()+1)
	}
	if got := h.e.Draft(bob); got != "" {
		t.Fatalf("Draft %q", got)
	}
}
