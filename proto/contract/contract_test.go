package contract

import (
	"strings"
	"testing"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

func TestValidID(t *testing.T) {
	for _, c := range []struct {
		id string
		ok bool
	}{
		{"alice", true}, {"a.b-c_d@e", true}, {strings.Repeat("x", 64), true},
		{"", false}, {strings.Repeat("x", 65), false}, {"a:b", false}, {"a b", false}, {"ü", false}, {"a\n", false},
	} {
		if got := ValidID(c.id); got != c.ok {
			t.Errorf("ValidID(%q) = %v, want %v", c.id, got, c.ok)
		}
	}
}

// A send may not take the client ids of the server's own messages (a
// recall's, an edit's…): the same space, where the act's id is taken.
func TestValidClientMsgID(t *testing.T) {
	for _, c := range []struct {
		id string
		ok bool
	}{
		{"nim-idclient-1", true}, {"mhx5z3ab-1xyz", true}, {"rcs.1", true}, {"RC.1", true}, {"kv.1", true},
		{"rc.1", false}, {"rr.1", false}, {"ed.1", false}, {"ex.1", false}, {"kv-1", false}, {"", false}, {"a:b", false},
	} {
		if got := ValidClientMsgID(c.id); got != c.ok {
			t.Errorf("ValidClientMsgID(%q) = %v, want %v", c.id, got, c.ok)
		}
	}
}

// Texts both stores hold: valid UTF-8 without U+0000 (PostgreSQL's text
// cannot hold it), checked by every rule that takes a text (a tag here).
func TestValidText(t *testing.T) {
	for _, c := range []struct {
		s  string
		ok bool
	}{
		{"", true}, {"工作 ✓", true}, {"a\tb\n", true}, {"t\x001", false}, {"\xff", false},
	} {
		if got := ValidText(c.s); got != c.ok {
			t.Errorf("ValidText(%q) = %v, want %v", c.s, got, c.ok)
		}
	}
	for _, r := range []*pb.TagRequest{
		{Op: pb.TagOp_TAG_ADD, TagId: "t\x001", TagName: "work"},
		{Op: pb.TagOp_TAG_ADD, TagId: "t1", TagName: "work\x00home"},
	} {
		if err := CheckTagRequest(r); codes.Of(err) == 0 {
			t.Errorf("tag %q %q with U+0000 accepted", r.TagId, r.TagName)
		}
	}
}

// One meaning of "off" on both sides: a rate of zero or less.
func TestNewLimiter(t *testing.T) {
	now := time.Now()
	for _, c := range []struct {
		rate    float64
		burst   int
		allowed int // of 100 at one instant
	}{
		{5, 10, 10}, {20, 40, 40}, {0, 0, 100}, {-1, 5, 100},
	} {
		lim, n := NewLimiter(c.rate, c.burst), 0
		for range 100 {
			if lim.AllowN(now, 1) {
				n++
			}
		}
		if n != c.allowed {
			t.Errorf("rate %v burst %d: %d of 100 allowed, want %d", c.rate, c.burst, n, c.allowed)
		}
	}
	lim := NewLimiter(5, 10)
	for range 10 {
		lim.AllowN(now, 1)
	}
	if lim.AllowN(now, 1) || !lim.AllowN(now.Add(200*time.Millisecond), 1) {
		t.Error("a token comes back 200 ms later at 5 per second")
	}
}

func TestValidNotificationLevel(t *testing.T) {
	for l := int32(-3); l <= 7; l++ {
		want := l == -1 || l == 0 || l == 1 || l == 2 || l == 4 || l == 5
		if got := ValidNotificationLevel(l); got != want {
			t.Errorf("ValidNotificationLevel(%d) = %v, want %v", l, got, want)
		}
	}
}

func TestNotifies(t *testing.T) {
	for _, c := range []struct {
		level         int32
		byName, toAll bool
		want          bool
	}{
		{-1, false, false, true},
		{0, false, false, true},
		{1, false, false, false},
		{1, true, false, true},
		{1, false, true, true},
		{2, false, true, false},
		{2, true, false, true},
		{4, true, false, false},
		{4, false, true, true},
		{5, true, true, false},
	} {
		if got := Notifies(c.level, c.byName, c.toAll); got != c.want {
			t.Errorf("Notifies(%d, %v, %v) = %v, want %v", c.level, c.byName, c.toAll, got, c.want)
		}
	}
}
