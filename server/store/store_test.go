package store

import (
	"slices"
	"testing"

	pb "github.com/imwasm/imwasm/proto/litepb"
)

func TestCountClassAndMentionedUsers(t *testing.T) {
	msg := func(edit func(*pb.Message)) *pb.Message {
		m := &pb.Message{ConvType: pb.ConversationType_GROUP, FromUser: "a", To: "g", IsCounted: true}
		edit(m)
		return m
	}
	at := func(typ int32, users ...string) func(*pb.Message) {
		return func(m *pb.Message) {
			m.IsMentioned, m.MentionedInfo = true, &pb.MentionedInfo{Type: typ, UserIds: users}
		}
	}
	both := func(fs ...func(*pb.Message)) func(*pb.Message) {
		return func(m *pb.Message) {
			for _, f := range fs {
				f(m)
			}
		}
	}
	to := func(users ...string) func(*pb.Message) { return func(m *pb.Message) { m.DirectedUserIds = users } }
	for _, c := range []struct {
		name  string
		m     *pb.Message
		class int
		users []string
	}{
		{"plain", msg(func(*pb.Message) {}), 1, nil},
		{"not counted", msg(both(func(m *pb.Message) { m.IsCounted = false }, at(1))), 0, nil},
		{"targeted", msg(to("b")), 2, nil},
		{"named, the sender and twice", msg(at(2, "b", "a", "b", "c")), 1, []string{"b", "c"}},
		{"@all", msg(at(1)), 1, []string{""}},
		{"targeted @all: each it is for", msg(both(to("b", "c"), at(1))), 2, []string{"b", "c"}},
		{"targeted, naming one it is not for", msg(both(to("b"), at(2, "b", "c"))), 2, []string{"b"}},
	} {
		if got := CountClass(c.m); got != c.class {
			t.Errorf("%s: class %d, want %d", c.name, got, c.class)
		}
		if got := MentionedUsers(c.m); !slices.Equal(got, c.users) {
			t.Errorf("%s: mentions %q, want %q", c.name, got, c.users)
		}
	}
}
