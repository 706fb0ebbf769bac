package client

import (
	"context"
	"testing"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// Expansion markers (expansion.go): an entry of the sequence that changes
// an earlier message's expansion, on every device, with an EXPANSION event.

func expansionMarker(c Conversation, seq uint64, of string, set map[string]string, removed ...string) *pb.Message {
	w := from(c, seq)
	w.ObjectName, w.Content, w.ExpansionOf, w.Expansion, w.ExpansionRemoved = "", nil, of, set, removed
	return w
}

func TestExpansionMarkers(t *testing.T) {
	withExpansion := func(seq uint64) *pb.Message {
		w := from(grp, seq)
		w.CanIncludeExpansion, w.Expansion = true, map[string]string{"a": "1", "b": "1"}
		return w
	}
	tests := []struct {
		name   string
		pushes [][]*pb.Message
		want   map[string]string // the stored expansion of g1-1 (nil: not held)
	}{
		{"a held message", [][]*pb.Message{{withExpansion(1)}, {expansionMarker(grp, 2, uidOf(grp, 1), map[string]string{"b": "2", "c": "3"}, "a")}},
			map[string]string{"b": "2", "c": "3"}},
		{"in the message's own batch", [][]*pb.Message{{withExpansion(1), expansionMarker(grp, 2, uidOf(grp, 1), map[string]string{"b": "2", "c": "3"}, "a")}},
			map[string]string{"b": "2", "c": "3"}},
		{"two changes in order", [][]*pb.Message{{withExpansion(1)}, {expansionMarker(grp, 2, uidOf(grp, 1), map[string]string{"b": "2", "c": "3"}, "a"),
			expansionMarker(grp, 3, uidOf(grp, 1), nil, "c")}}, map[string]string{"b": "2"}},
		{"a message never held", [][]*pb.Message{{expansionMarker(grp, 1, "elsewhere", map[string]string{"b": "2", "c": "3"}, "a")}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			c := h.connect(nil)
			for _, p := range tt.pushes {
				c.push(p...)
				h.barrier(c) // each push is a batch of its own
			}
			ev := h.ev.next(t, EventExpansion, nil).Expansion
			if ev.Conversation != grp || ev.Updated["b"] != "2" || ev.Updated["c"] != "3" || len(ev.Deleted) != 1 || ev.Deleted[0] != "a" {
				t.Errorf("EXPANSION %+v", ev)
			}
			m := h.store.byUID(uidOf(grp, 1))
			if tt.want == nil {
				if m != nil {
					t.Errorf("stored %+v", m)
				}
				return
			}
			if len(m.Expansion) != len(tt.want) {
				t.Fatalf("expansion %v, want %v", m.Expansion, tt.want)
			}
			for k, v := range tt.want {
				if m.Expansion[k] != v {
					t.Errorf("expansion %v, want %v", m.Expansion, tt.want)
				}
			}
			if got := h.emitted(grp); len(got) != 1 {
				t.Errorf("emitted %v: markers are not messages", got)
			}
		})
	}
}

func TestUpdateMessageExpansion(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	ctx := context.Background()
	errc := make(chan error, 1)
	go func() { errc <- h.e.UpdateMessageExpansion(ctx, grp, "m1", map[string]string{"k": "v"}) }()
	f, body := next[*pb.Frame_Expansion](t, c)
	if x := body.Expansion; x.MessageUid != "m1" || x.Set["k"] != "v" || len(x.Remove) != 0 || x.Conv.Target != "g1" {
		t.Errorf("expansion request %+v", x)
	}
	c.ok(f)
	if err := recv(t, errc); err != nil {
		t.Fatal(err)
	}
	go func() { errc <- h.e.RemoveMessageExpansionKeys(ctx, grp, "m1", []string{"k"}) }()
	f, body = next[*pb.Frame_Expansion](t, c)
	if x := body.Expansion; len(x.Set) != 0 || len(x.Remove) != 1 || x.Remove[0] != "k" {
		t.Errorf("expansion request %+v", x)
	}
	c.fail(f, codes.ExpansionLimitExceeded)
	wantCode(t, recv(t, errc), codes.ExpansionLimitExceeded)
	tests := []struct {
		name string
		err  error
		want int32
	}{
		{"nothing to set", h.e.UpdateMessageExpansion(ctx, grp, "m1", nil), codes.InvalidParameter},
		{"nothing to remove", h.e.RemoveMessageExpansionKeys(ctx, grp, "m1", nil), codes.InvalidParameter},
		{"no uid", h.e.UpdateMessageExpansion(ctx, grp, "", map[string]string{"k": "v"}), codes.InvalidParameterMessageUID},
		{"bad key", h.e.UpdateMessageExpansion(ctx, grp, "m1", map[string]string{"k k": "v"}), codes.InvalidParameterMessageExpansion},
		{"bad conversation", h.e.RemoveMessageExpansionKeys(ctx, Conversation{Type: 9, TargetID: "x"}, "m1", []string{"k"}), codes.InvalidParameterConversationType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.err, tt.want) })
	}
	if n := len(written[*pb.Frame_Expansion](c)); n != 2 {
		t.Errorf("%d expansion requests written", n)
	}
}
