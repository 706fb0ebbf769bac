package server

import (
	"math"
	"testing"
	"time"
)

// Whatever a retention holds, its cutoff is never after now: an overflow
// would make every message and file older than it.
func TestRetentionCutoff(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	hundredYears := now.Add(-MaxDuration)
	for _, c := range []struct {
		keep int64
		want time.Time // zero: no retention
	}{
		{0, time.Time{}},
		{-1, time.Time{}},
		{math.MinInt64, time.Time{}},
		{1, now.Add(-time.Second)},
		{3 * 24 * 3600, now.Add(-72 * time.Hour)},
		{MaxDurationSeconds, hundredYears},
		{MaxDurationSeconds + 1, hundredYears},
		{10 * MaxDurationSeconds, hundredYears}, // 1,000 years: overflowed to a cutoff 169 years ahead
		{math.MaxInt64, hundredYears},
	} {
		got, ok := retentionCutoff(now, c.keep)
		if ok != !c.want.IsZero() || !got.Equal(c.want) {
			t.Errorf("retentionCutoff(%d) = %v, %v; want %v", c.keep, got, ok, c.want)
		}
	}
}

func TestSecondsSaturate(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want time.Duration
	}{
		{-5, 0},
		{0, 0},
		{120, 2 * time.Minute},
		{MaxDurationSeconds, MaxDuration},
		{MaxDurationSeconds + 1, MaxDuration},
		{math.MaxInt64, MaxDuration},
	} {
		if got := seconds(c.n); got != c.want {
			t.Errorf("seconds(%d) = %v, want %v", c.n, got, c.want)
		}
	}
	if MaxDurationSeconds != 3_155_760_000 || MaxDuration != 36525*24*time.Hour {
		t.Fatalf("the limit is %d s (%v), not 100 years", MaxDurationSeconds, MaxDuration)
	}
}
