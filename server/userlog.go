package server

import (
	"crypto/rand"

	pb "github.com/imwasm/imwasm/proto/litepb"
)

// The user log (docs/architecture.md, "The user log") is a conversation of
// each user's own (type USER_LOG, id "u:<user>"), stored and synced like
// any other, whose entries (LogEntry) carry what concerns that user beyond
// messages: deletes and clears made on another device, read watermarks,
// delivery receipts, read-receipt updates for their messages, and the
// receipts they answered. So each reaches every device once, in order, and
// waits for devices that are offline. Handlers append entries in the same
// store transaction as the change they report, then fan them out.

// logEntry is an entry for the session's user's own log: what one of their
// devices did to their view, for the others.
func (ss *session) logEntry(e *pb.LogEntry) *pb.Message { return userLogEntry(ss.user, e) }

// userLogEntry is an entry for user's log (receipts others caused land in
// the log of the user they concern).
func userLogEntry(user string, e *pb.LogEntry) *pb.Message {
	return &pb.Message{
		ConvType: pb.ConversationType_USER_LOG, FromUser: user, To: user,
		ClientMsgId: "log." + rand.Text(), ObjectName: "IM:Log", IsPersisted: true, Log: e,
	}
}
