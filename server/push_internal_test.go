package server

import (
	"context"
	"testing"
	"time"

	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// leftTimes answers whether a user went offline at a time or after, for
// ten to twenty minutes: then it forgets.
func TestLeftTimes(t *testing.T) {
	var l leftTimes
	const min = 60 * 1000
	l.note("a", 1000)
	l.note("b", 5*min)
	for _, c := range []struct {
		user string
		at   int64
		want bool
	}{
		{"a", 999, true}, {"a", 1000, true}, {"a", 1001, false}, {"b", 5 * min, true}, {"c", 0, false},
	} {
		if got := l.since(c.user, c.at); got != c.want {
			t.Errorf("since(%s, %d) = %v, want %v", c.user, c.at, got, c.want)
		}
	}
	l.note("c", 12*min) // a new generation: a and b are kept one more
	if !l.since("a", 1000) || !l.since("c", 12*min) {
		t.Fatal("forgot too soon")
	}
	l.note("d", 23*min) // and another: a and b are gone
	if l.since("a", 1000) || l.since("b", 0) || !l.since("c", 12*min) || !l.since("d", 23*min) {
		t.Fatal("remembers past two generations, or forgot the last")
	}
}

// quietLevel: a do-not-disturb of a set length blocks every push sent
// before it ends, whatever the daily window says; after it, the window
// decides (its level while open, the conversations' outside).
func TestQuietLevel(t *testing.T) {
	at := func(clock string) int64 { // that time of day on 2026-12-07, UTC
		tm, err := time.Parse(time.DateTime, "2026-12-07 "+clock)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixMilli()
	}
	window := func(level int32, until int64) *store.Person {
		return &store.Person{QuietHours: &pb.QuietHours{StartTime: "22:00:00", SpanMinutes: 480, Level: level, Until: until}}
	}
	for _, c := range []struct {
		name string
		p    *store.Person
		t    int64
		want int32
	}{
		{"no person", nil, at("23:00:00"), contract.QuietLevelDefault},
		{"none set", &store.Person{}, at("23:00:00"), contract.QuietLevelDefault},
		{"window open, mentions", window(1, 0), at("23:00:00"), contract.QuietLevelMention},
		{"window open past midnight", window(5, 0), at("05:59:59"), contract.QuietLevelBlocked},
		{"window closed", window(5, 0), at("06:00:00"), contract.QuietLevelDefault},
		{"dnd before its end, window closed", window(1, at("12:00:00")), at("11:59:59"), contract.QuietLevelBlocked},
		{"dnd before its end, window open at mentions", window(1, at("23:30:00")), at("23:00:00"), contract.QuietLevelBlocked},
		{"dnd ended, window closed", window(1, at("12:00:00")), at("12:00:00"), contract.QuietLevelDefault},
		{"dnd ended, window open", window(1, at("22:30:00")), at("23:00:00"), contract.QuietLevelMention},
		{"dnd alone", &store.Person{QuietHours: &pb.QuietHours{Until: at("12:00:00")}}, at("11:00:00"), contract.QuietLevelBlocked},
		{"dnd alone, ended", &store.Person{QuietHours: &pb.QuietHours{Until: at("12:00:00")}}, at("13:00:00"), contract.QuietLevelDefault},
	} {
		if got := quietLevel(c.p, c.t); got != c.want {
			t.Errorf("%s: quietLevel = %d, want %d", c.name, got, c.want)
		}
	}
}

// A drain whose ctx has ended (presence.run's last, racing Close) leaves
// the changes it could not tell queued for Close's drain: a stopping node's
// users are still told offline to the subscribers elsewhere.
func TestPresenceDrainKeepsWhatItCouldNotTell(t *testing.T) {
	p := newPresence(&Server{})
	p.note("tina", 1)
	p.note("tom", 2)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p.drain(ctx)
	if got := p.queue; len(got) != 2 || got[0] != "tina" || got[1] != "tom" {
		t.Fatalf("queue after a drain that could tell nothing: %v", got)
	}
}
