package server

import (
	"testing"

	"github.com/imwasm/imwasm/proto/codes"
)

// A page token's skip past what a page can give is refused: one of
// 2^63-1 overflowed the store query's limit (SQLite took it for no limit,
// PostgreSQL failed) — found by a helper's hunt of hostile input.
func TestTimePageToken(t *testing.T) {
	for _, tc := range []struct {
		token string
		code  int32
		skip  int
	}{
		{"", 0, 0},
		{"1700000000000.3", 0, 3},
		{"1700000000000.1048576", 0, 1 << 20},
		{"1700000000000.1048577", codes.RCPageTokenParsingFailed, 0},
		{"1700000000000.9223372036854775807", codes.RCPageTokenParsingFailed, 0},
		{"0.1", codes.RCPageTokenParsingFailed, 0},
		{"x", codes.RCPageTokenParsingFailed, 0},
	} {
		c, err := timePage(tc.token, 20)
		if codes.Of(err) != tc.code || (err == nil && (c.skip != tc.skip || c.limit() <= 0)) {
			t.Errorf("%q: %+v %v", tc.token, c, err)
		}
	}
}
