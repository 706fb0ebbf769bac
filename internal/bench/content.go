package bench

import (
	"bytes"
	"strconv"
)

// Message content is RongIMLib's text-message JSON with two extra fields:
// "r" is the measurement round (deliveries of an earlier round are not
// counted) and "t" the time the send was scheduled, in nanoseconds since the
// bench's monotonic base. Receivers read them with a byte scan.
const contentText = "imwasm bench: the quick brown fox jumps over the lazy dog"

func appendContent(b []byte, round, t int64) []byte {
	b = append(b, `{"content":"`+contentText+`","r":`...)
	b = strconv.AppendInt(b, round, 10)
	b = append(b, `,"t":`...)
	b = strconv.AppendInt(b, t, 10)
	return append(b, '}')
}

var (
	keyRound = []byte(`"r":`)
	keyTime  = []byte(`"t":`)
)

// scanContent extracts round and time from content made by appendContent.
func scanContent(b []byte) (round, t int64, ok bool) {
	// The fields come after the text, so search from its end.
	if len(b) > len(contentText) {
		b = b[len(contentText):]
	}
	round, ok = scanInt(b, keyRound)
	if !ok {
		return 0, 0, false
	}
	t, ok = scanInt(b, keyTime)
	return round, t, ok
}

func scanInt(b, key []byte) (int64, bool) {
	i := bytes.Index(b, key)
	if i < 0 {
		return 0, false
	}
	b = b[i+len(key):]
	var n int64
	digits := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int64(c-'0')
		digits++
		if digits > 18 {
			return 0, false
		}
	}
	return n, digits > 0
}
