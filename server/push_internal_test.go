package server

import "testing"

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
