package contract

import (
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// Quiet hours' levels (RongIMLib's PushNotificationQuietHoursLevel).
const (
	QuietLevelDefault = 0 // the conversations' own levels decide
	QuietLevelMention = 1 // only mentions are pushed (none in private chats)
	QuietLevelBlocked = 5 // nothing is pushed
)

// MaxQuietSpanMinutes is the longest quiet window: a day less a minute.
const MaxQuietSpanMinutes = 1439

// MaxDndMillis is the longest do-not-disturb of a set length (setDoNotDisturb;
// Easemob's silent-mode duration): 7 days.
const MaxDndMillis = 7 * 24 * 3600 * 1000

// CheckDndDuration checks a do-not-disturb's length: 0 (ends it) to 7 days.
func CheckDndDuration(ms int64) error {
	if ms < 0 || ms > MaxDndMillis {
		return codes.New(codes.InvalidParameter, "the do-not-disturb's duration must be 0-604800000 ms (7 days)")
	}
	return nil
}

// CheckQuietHours checks q as setNotificationQuietHoursWithSetting does,
// with RongIMLib's codes. The time zone's name is only bounded here: the
// server resolves it (a browser's Go has no zone database).
func CheckQuietHours(q *pb.QuietHours) error {
	if q == nil {
		return codes.New(codes.InvalidParameter, "quiet hours required")
	}
	if _, ok := QuietStart(q.StartTime); !ok {
		return codes.New(codes.InvalidParameterTimestring, `startTime must be "HH:MM:SS"`)
	}
	if q.SpanMinutes < 1 || q.SpanMinutes > MaxQuietSpanMinutes {
		return codes.New(codes.InvalidParameterSpanMinutes, "spanMinutes must be 1-1439")
	}
	switch q.Level {
	case QuietLevelDefault, QuietLevelMention, QuietLevelBlocked:
	default:
		return codes.New(codes.InvalidParameterNotificationLevel, "level must be 0, 1 or 5 (PushNotificationQuietHoursLevel)")
	}
	if len(q.Timezone) > MaxIDBytes { // (RongIMLib's own check has no bound: after its checks)
		return codes.New(codes.InvalidParameter, "timezone is at most 64 bytes")
	}
	return nil
}

// QuietStart is s ("HH:MM:SS", a time of day) in seconds after midnight.
func QuietStart(s string) (int, bool) {
	if len(s) != 8 || s[2] != ':' || s[5] != ':' {
		return 0, false
	}
	n := 0
	for i, limit := range [3]int{24, 60, 60} {
		hi, lo := s[3*i], s[3*i+1]
		if hi < '0' || hi > '9' || lo < '0' || lo > '9' {
			return 0, false
		}
		v := int(hi-'0')*10 + int(lo-'0')
		if v >= limit {
			return 0, false
		}
		n = n*60 + v
	}
	return n, true
}

// InQuietHours reports whether t falls in q's window (valid by
// CheckQuietHours; nil or a span of 0: none), which starts every day at
// q's start time on loc's clock and lasts q's span, into the next day if
// it runs past midnight.
func InQuietHours(q *pb.QuietHours, t time.Time, loc *time.Location) bool {
	if q == nil || q.SpanMinutes <= 0 {
		return false
	}
	start, ok := QuietStart(q.StartTime)
	if !ok {
		return false
	}
	h, m, s := t.In(loc).Clock()
	since := (h*3600 + m*60 + s - start + 86400) % 86400 // seconds since the window last opened
	return since < int(q.SpanMinutes)*60
}
