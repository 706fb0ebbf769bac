// Package contract is the part of the wire protocol both sides apply in
// code: the subprotocol, the shape of ids, the size limits, and the token
// bucket. The server enforces it; the SDK applies it before sending, with
// the limits the server announces in AuthOK, so both refuse the same things
// with the same codes. (The messages themselves are proto/imwasm.proto.)
package contract

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/time/rate"
)

// Subprotocol is the WebSocket subprotocol: it versions the wire protocol.
const Subprotocol = "imwasm.v1"

const (
	// MaxIDBytes bounds ids: users, groups, client message ids, message
	// uids, object names, typing type names.
	MaxIDBytes = 64
	// MaxPerCall bounds the message ids of one request (delete, receipt
	// responses and counts) and the items of one page (history, readers).
	MaxPerCall = 100
	// MaxPerSettings bounds the conversations of one settings change
	// (RongIMLib's batch pin and do-not-disturb calls take 20).
	MaxPerSettings = 20
)

// ValidNotificationLevel reports whether l is one of RongIMLib's
// NotificationLevel values a conversation may be set to: -1 ALL_MESSAGE,
// 0 NOT_SET, 1 AT_MESSAGE_NOTIFICATION, 2 AT_USER_NOTIFICATION, 4
// AT_GROUP_ALL_USER_NOTIFICATION, 5 NOT_MESSAGE_NOTIFICATION.
func ValidNotificationLevel(l int32) bool {
	switch l {
	case -1, 0, 1, 2, 4, 5:
		return true
	}
	return false
}

// ValidText reports whether s may be stored as text: valid UTF-8 without
// U+0000, which PostgreSQL's text cannot hold (SQLite's can: the rule is
// the stricter store's, so both stores take the same texts).
func ValidText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// ValidMessageUID reports whether s may be a message's server id: 1-64
// bytes of text (the server's ids, or a vendor's an import kept). Anything
// else names no message, and is refused before a store is asked
// (PostgreSQL cannot hold U+0000).
func ValidMessageUID(s string) bool {
	return s != "" && len(s) <= MaxIDBytes && ValidText(s)
}

// ValidID reports whether s may name a user, a group or a client message:
// 1-64 bytes of [A-Za-z0-9_.@-]. Ids end up in storage keys and in
// conversation ids, so ':' and control characters are out.
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > MaxIDBytes {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '@') {
			return false
		}
	}
	return true
}

// The client ids of the messages the server writes for a user's act on
// another message. They live in the acting user's (sender, client id)
// space, where a second act finds its id taken (one recall per message),
// so no send may take one: a send under such an id would be answered as
// a resend of the act and stored nowhere (ValidClientMsgID).
const (
	RecallIDPrefix         = "rc." // + the recalled message's uid
	ReceiptRequestIDPrefix = "rr." // + the message's uid
	EditIDPrefix           = "ed." // + the edited message's uid, the time, the request
	ExpansionIDPrefix      = "ex." // + a random text
	ChatroomEntryIDPrefix  = "kv-" // + a uid: a room entry's notice
)

// ValidClientMsgID reports whether a send may take s as its client
// message id: an id (ValidID) outside the server's own prefixes.
func ValidClientMsgID(s string) bool {
	if !ValidID(s) {
		return false
	}
	for _, p := range [...]string{RecallIDPrefix, ReceiptRequestIDPrefix, EditIDPrefix, ExpansionIDPrefix, ChatroomEntryIDPrefix} {
		if strings.HasPrefix(s, p) {
			return false
		}
	}
	return true
}

// NewLimiter is a token bucket of burst tokens refilled at perSec a
// second; perSec <= 0 is no limit. Callers take tokens with AllowN(now, 1)
// so that tests can move the clock.
func NewLimiter(perSec float64, burst int) *rate.Limiter {
	if perSec <= 0 {
		return rate.NewLimiter(rate.Inf, 0)
	}
	return rate.NewLimiter(rate.Limit(perSec), burst)
}

// LevelInEffect is a conversation's notification level in effect: the
// user's own for it, or when NOT_SET (0) their default for its type.
func LevelInEffect(own, typeDefault int32) int32 {
	if own == 0 {
		return typeDefault
	}
	return own
}

// Notifies reports whether a message notifies a user whose effective
// notification level for its conversation is level (0, not set anywhere:
// every message), given whether it mentions them by name or mentions
// everyone.
func Notifies(level int32, mentionedByName, mentionedAll bool) bool {
	switch level {
	case 1: // AT_MESSAGE_NOTIFICATION: any mention
		return mentionedByName || mentionedAll
	case 2: // AT_USER_NOTIFICATION
		return mentionedByName
	case 4: // AT_GROUP_ALL_USER_NOTIFICATION
		return mentionedAll
	case 5: // NOT_MESSAGE_NOTIFICATION
		return false
	}
	return true
}
