package client

import (
	"maps"
	"slices"
	"testing"

	pb "github.com/imwasm/imwasm/proto/litepb"
)

func TestRoomStateTake(t *testing.T) {
	for _, c := range []struct {
		name        string
		last        uint64
		own         []uint64
		seq         uint64
		fresh       bool
		wantLast    uint64
		wantMissing []uint64
	}{
		{"the next", 5, nil, 6, true, 6, nil},
		{"a gap", 5, nil, 8, true, 8, []uint64{6, 7}},
		{"a gap of own sends", 5, []uint64{6, 7}, 8, true, 8, nil},
		{"seen before", 5, nil, 4, false, 5, nil},
		{"far ahead: at most maxRoomGap marked", 0, nil, 1_000_000, true, 1_000_000, nil},
	} {
		st := &roomState{lastSeq: c.last, own: map[uint64]bool{}}
		for _, s := range c.own {
			st.own[s] = true
		}
		if got := st.take(c.seq); got != c.fresh || st.lastSeq != c.wantLast {
			t.Errorf("%s: take %v, last %d; want %v, %d", c.name, got, st.lastSeq, c.fresh, c.wantLast)
		}
		if c.seq == 1_000_000 {
			if len(st.missing) != maxRoomGap || !st.missing[c.seq-1] || st.missing[c.seq-maxRoomGap-1] {
				t.Errorf("%s: %d missing", c.name, len(st.missing))
			}
			continue
		}
		if got := slices.Sorted(maps.Keys(st.missing)); !slices.Equal(got, c.wantMissing) {
			t.Errorf("%s: missing %v, want %v", c.name, got, c.wantMissing)
		}
	}
	// A missing one that comes late is handed on once.
	st := &roomState{lastSeq: 5}
	st.take(8)
	if !st.take(7) || st.take(7) || !st.missing[6] {
		t.Error("a late push: not handed on exactly once")
	}
}

// A join's answer: what came live before it is not handed on twice, what
// lies between its last number and an early push is missing, and a room
// made anew under the same id starts over.
func TestJoinedAnswer(t *testing.T) {
	e := &Engine{}
	asked, _ := e.pendingRoom("r")
	e.rooms.rooms["r"].taken = map[uint64]bool{100: true, 103: true} // pushed before the answer
	msg := func(seq uint64) *pb.Message {
		return &pb.Message{ConvType: pb.ConversationType_CHATROOM, To: "r", Seq: seq}
	}
	e.joined("r", 3, &pb.ChatroomResult{CreateTime: 7, LastSeq: 100, Messages: []*pb.Message{msg(98), msg(99), msg(100)}}, asked)
	st := e.rooms.rooms["r"]
	if !st.joined || st.lastSeq != 103 || st.taken != nil || !slices.Equal(slices.Sorted(maps.Keys(st.missing)), []uint64{101, 102}) {
		t.Fatalf("after the answer: %+v", st)
	}
	// The same room again (a rejoin): nothing is missing up to its last.
	e.joined("r", 3, &pb.ChatroomResult{CreateTime: 7, LastSeq: 104, Messages: []*pb.Message{msg(102), msg(103), msg(104)}}, asked)
	if st := e.rooms.rooms["r"]; st.lastSeq != 104 || len(st.missing) != 0 {
		t.Fatalf("after a rejoin: %+v", st)
	}
	// Destroyed and made anew: numbers start over.
	e.joined("r", 3, &pb.ChatroomResult{CreateTime: 9, LastSeq: 2, Messages: []*pb.Message{msg(1), msg(2)}}, asked)
	if st := e.rooms.rooms["r"]; st.lastSeq != 2 || st.created != 9 || len(st.missing) != 0 {
		t.Fatalf("a room made anew: %+v", st)
	}
	// An answer for a state quit since (gone, or another join's) is dropped.
	again := e.rooms.rooms["r"]
	delete(e.rooms.rooms, "r")
	e.joined("r", 3, &pb.ChatroomResult{CreateTime: 9, LastSeq: 3}, again)
	if e.rooms.rooms["r"] != nil {
		t.Fatal("a join's answer brought a quit room back")
	}
}
