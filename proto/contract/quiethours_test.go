package contract

import (
	"testing"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

func TestCheckQuietHours(t *testing.T) {
	for _, c := range []struct {
		q    *pb.QuietHours
		want int32
	}{
		{&pb.QuietHours{StartTime: "01:31:17", SpanMinutes: 60, Level: 5}, 0},
		{&pb.QuietHours{StartTime: "00:00:00", SpanMinutes: 1439, Level: 1, Timezone: "Asia/Shanghai"}, 0},
		{&pb.QuietHours{StartTime: "23:59:59", SpanMinutes: 1, Level: 0}, 0},
		{nil, codes.InvalidParameter},
		{&pb.QuietHours{StartTime: "1:31:17", SpanMinutes: 60, Level: 5}, codes.InvalidParameterTimestring},
		{&pb.QuietHours{StartTime: "24:00:00", SpanMinutes: 60, Level: 5}, codes.InvalidParameterTimestring},
		{&pb.QuietHours{StartTime: "12:60:00", SpanMinutes: 60, Level: 5}, codes.InvalidParameterTimestring},
		{&pb.QuietHours{StartTime: "12-00-00", SpanMinutes: 60, Level: 5}, codes.InvalidParameterTimestring},
		{&pb.QuietHours{StartTime: "", SpanMinutes: 60, Level: 5}, codes.InvalidParameterTimestring},
		{&pb.QuietHours{StartTime: "12:00:00", SpanMinutes: 0, Level: 5}, codes.InvalidParameterSpanMinutes},
		{&pb.QuietHours{StartTime: "12:00:00", SpanMinutes: 1440, Level: 5}, codes.InvalidParameterSpanMinutes},
		{&pb.QuietHours{StartTime: "12:00:00", SpanMinutes: 60, Level: 2}, codes.InvalidParameterNotificationLevel},
		{&pb.QuietHours{StartTime: "12:00:00", SpanMinutes: 60, Level: -1}, codes.InvalidParameterNotificationLevel},
		{&pb.QuietHours{StartTime: "12:00:00", SpanMinutes: 60, Level: 5, Timezone: string(make([]byte, 65))}, codes.InvalidParameter},
	} {
		err := CheckQuietHours(c.q)
		if got := codes.Of(err); got != c.want {
			t.Errorf("CheckQuietHours(%+v) = %v, want code %d", c.q, err, c.want)
		}
	}
}

func TestInQuietHours(t *testing.T) {
	shanghai := time.FixedZone("UTC+8", 8*3600)
	day := func(h, m int) time.Time { return time.Date(2026, 12, 7, h, m, 0, 0, time.UTC) }
	for _, c := range []struct {
		start string
		span  int32
		loc   *time.Location
		at    time.Time
		want  bool
	}{
		{"22:00:00", 60, time.UTC, day(22, 0), true},
		{"22:00:00", 60, time.UTC, day(22, 59), true},
		{"22:00:00", 60, time.UTC, day(23, 0), false},
		{"22:00:00", 60, time.UTC, day(21, 59), false},
		{"23:00:00", 120, time.UTC, day(0, 30), true}, // past midnight
		{"23:00:00", 120, time.UTC, day(1, 0), false},
		{"00:00:00", 1439, time.UTC, day(23, 58), true}, // all day but the last minute
		{"00:00:00", 1439, time.UTC, day(23, 59), false},
		{"08:00:00", 60, shanghai, day(0, 30), true}, // 08:30 in UTC+8
		{"08:00:00", 60, shanghai, day(8, 30), false},
	} {
		q := &pb.QuietHours{StartTime: c.start, SpanMinutes: c.span, Level: 5}
		if got := InQuietHours(q, c.at, c.loc); got != c.want {
			t.Errorf("InQuietHours(%s for %d min in %s, %s) = %v, want %v", c.start, c.span, c.loc, c.at.Format(time.TimeOnly), got, c.want)
		}
	}
	if InQuietHours(nil, day(0, 0), time.UTC) || InQuietHours(&pb.QuietHours{StartTime: "00:00:00"}, day(0, 0), time.UTC) {
		t.Errorf("no quiet hours set: in them")
	}
}

// A do-not-disturb's length: 0 (ends it) to 7 days, through
// CheckPeopleRequest as the client and the server check it.
func TestCheckDndDuration(t *testing.T) {
	for _, c := range []struct {
		ms   int64
		want int32
	}{
		{0, 0}, {1, 0}, {MaxDndMillis, 0}, {-1, codes.InvalidParameter}, {MaxDndMillis + 1, codes.InvalidParameter},
	} {
		err := CheckPeopleRequest(&pb.PeopleRequest{Op: pb.PeopleOp_DND_SET, DurationMs: c.ms})
		if got := codes.Of(err); got != c.want {
			t.Errorf("duration %d: code %d (%v), want %d", c.ms, got, err, c.want)
		}
	}
}
