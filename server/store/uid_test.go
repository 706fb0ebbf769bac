package store

import (
	"testing"
	"time"
)

func TestUIDGenOrderedAndUnique(t *testing.T) {
	g := NewUIDGen(7)
	base := time.UnixMilli(1_700_000_000_000)
	seen := map[string]bool{}
	prev := ""
	// Three milliseconds, the second one overflowing the 16-bit counter.
	times := []time.Time{base, base.Add(time.Millisecond), base.Add(time.Millisecond), base.Add(2 * time.Millisecond)}
	counts := []int{10, 40000, 40000, 10}
	for i, at := range times {
		for n := 0; n < counts[i]; n++ {
			id := g.Next(at)
			if len(id) != 19 || id[4] != '-' || id[9] != '-' || id[14] != '-' {
				t.Fatalf("bad shape %q", id)
			}
			if seen[id] {
				t.Fatalf("duplicate %q", id)
			}
			if id <= prev {
				t.Fatalf("not increasing: %q after %q", id, prev)
			}
			seen[id], prev = true, id
		}
	}
}

func TestUIDGenClockGoesBack(t *testing.T) {
	g := NewUIDGen(1)
	now := time.UnixMilli(1_700_000_000_000)
	a := g.Next(now)
	b := g.Next(now.Add(-time.Second))
	if b <= a {
		t.Fatalf("id went back with the clock: %q then %q", a, b)
	}
}
