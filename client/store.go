package client

import (
	"context"

	"github.com/imwasm/imwasm/proto/contract"
)

// Store is the device's local database. It is shaped for IndexedDB: every
// method may be slow and takes a context; writes come in batches and each
// Apply is one transaction (all of it lands or none of it). A store shares
// nothing with its callers (what Apply was given and what reads return can
// be changed freely). client/storetest holds every Store to this contract.
type Store interface {
	// Apply writes a batch atomically. Messages with MessageID 0 get a new
	// local id (never one given before), written back into the struct; the
	// same new *Message twice in a batch is one record. Others replace the
	// record with that id. A server id belongs to one record: a batch that
	// would give it to a second fails whole. Conversations replace the
	// cursor record of their conversation. Meta entries replace their
	// keys; a nil value deletes its key.
	Apply(ctx context.Context, b *Batch) error

	// MessagesByID returns the messages with these local ids, in the same
	// order; nil where an id is unknown.
	MessagesByID(ctx context.Context, ids []int64) ([]*Message, error)
	// MessagesByUID is MessagesByID for server ids.
	MessagesByUID(ctx context.Context, uids []string) ([]*Message, error)
	// MessageByClientID finds the local record of one of this user's sends
	// (DirectionSend: a received message with that client id is never
	// found), or nil.
	MessageByClientID(ctx context.Context, clientMsgID string) (*Message, error)
	// History returns up to count messages of conv with SentTime strictly
	// before (forward=false, newest first) or strictly after (forward=true,
	// oldest first) the time t. t=0 means "from the newest" when going
	// backward and "from the oldest" when going forward. A message without
	// a SentTime (a send not yet acknowledged) is placed by its
	// ReceivedTime; messages of equal time are in local id order.
	History(ctx context.Context, conv Conversation, t int64, count int, forward bool) ([]*Message, error)

	// Conversations returns every conversation cursor record.
	Conversations(ctx context.Context) ([]*ConversationState, error)
	// Meta returns the value stored under key, or nil.
	Meta(ctx context.Context, key string) ([]byte, error)
	// Pending returns the messages still SENDING (a page reload or a crash
	// interrupted their send: the engine turns them FAILED at start).
	Pending(ctx context.Context) ([]*Message, error)
}

// LatestReader is a Store that also reads many conversations' newest
// messages at once (jsbridge/idbstore: in one transaction, where one
// History each took ≈ 1 ms). The engine uses it for the conversations a
// list lacks in its cache, the first list after a start; without it, it
// reads each with History.
type LatestReader interface {
	// Latest returns, for each of convs in order, the message
	// History(c, 0, 1, false) returns, or nil where the store holds none.
	Latest(ctx context.Context, convs []Conversation) ([]*Message, error)
}

// Batch is one Store transaction. Deletions apply after Messages, so a
// message put and deleted in one batch ends up deleted.
type Batch struct {
	Messages      []*Message
	Conversations []*ConversationState
	Meta          map[string][]byte
	// DeleteUIDs removes the messages with these server ids (unknown ones
	// are skipped).
	DeleteUIDs []string
	// Clears removes every message of a conversation sent at or before a
	// time (clearHistoryMessages).
	Clears []Clear
}

// Clear is one clearHistoryMessages: Conversation's messages sent at or
// before Before go.
type Clear struct {
	Conversation
	Before int64
}

// ConversationState is the device's cursor for one conversation.
type ConversationState struct {
	Conversation
	// Every sequence number up to Contiguous is held (or below StartSeq,
	// which the device never fetches by sync).
	Contiguous uint64
	StartSeq   uint64
	// HeldFrom: the device holds every message from here to Contiguous and
	// none below (a new device starts at the server's window); 0 or 1:
	// from the beginning. Older history comes from the server.
	HeldFrom uint64
	LastSeq  uint64 // highest sequence number the server reported
	ReadSeq  uint64 // the user's read watermark
	// LastTime is the time of the newest message the device knows of (the
	// server's, or this device's clock for a send still on its way): the
	// conversation list's order.
	LastTime int64
	// Unread counts the held messages from others that count (isCounted)
	// above ReadSeq; Mentioned says one of them mentions the user.
	Unread    int
	Mentioned bool
	Mentions  int // how many of the unread messages mention the user
	// The peer's read and delivery watermarks over this user's messages
	// (private chats).
	PeerReadSeq      uint64
	PeerDeliveredSeq uint64
	// Requests are the group's receipt requests this user has not
	// answered (the SDK's cache: newest last, at most 30, 24 h each).
	Requests []CachedRequest
	// ReadSynced is the highest read watermark this device reported or
	// caused: a log entry above it is another device's read.
	ReadSynced uint64
	// The user's own settings of the conversation, kept by the server
	// for all their devices.
	Settings
	// Draft is the text being written (saveTextMessageDraft): kept on
	// this device only, as RongIMLib keeps it.
	Draft     string
	DraftTime int64 // when Draft was set (ms): the newer wins when tabs merge
	ServerCounts
	// MessageSeq is the sequence number of the latest message held (not a
	// marker, not a tombstone: no message of the conversation's own).
	MessageSeq uint64
}

// ServerCounts are the server's unread and mention counts of a
// conversation at the last sync, over (CountRead, CountSeq]. A device that
// holds every message above its read watermark counts them itself; one
// that does not (a new device holds the latest 1,000 at most) takes these
// for what it lacks.
type ServerCounts struct {
	CountSeq, CountRead        uint64
	CountUnread, CountMentions int
}

// serverCounted reports whether st's unread count comes from the server's:
// the device lacks messages the user may see above the read watermark,
// and the server counted from that same watermark.
func (st *ConversationState) serverCounted() bool {
	return st.lacksUnread() && st.ReadSeq == st.CountRead
}

// lacksUnread reports whether the device lacks messages above the read
// watermark that the server counted.
func (st *ConversationState) lacksUnread() bool {
	return st.CountSeq > st.ReadSeq && st.HeldFrom > max(st.ReadSeq+1, st.StartSeq)
}

// Settings are a user's settings of one conversation: RongIMLib's pin
// (isTop) and do-not-disturb level (NotificationLevel), and when they last
// changed (server ms, RongIMLib's operationTime).
type Settings struct {
	IsTop             bool
	NotificationLevel int32
	SettingsTime      int64
	// RemovedSeq: removeConversation took the conversation out of the
	// list until a message after this sequence number comes.
	RemovedSeq uint64
	// DndUntil: no push from the conversation before this (server ms; 0
	// none): setDoNotDisturb with a conversation.
	DndUntil int64
}

// NotificationLevel values (RongIMLib's).
const (
	NotifyAll     = -1 // ALL_MESSAGE
	NotifyNotSet  = 0  // NOT_SET
	NotifyNothing = 5  // NOT_MESSAGE_NOTIFICATION
)

// Hidden reports a conversation removed from the list with no message since:
// a marker (an edit, an expansion, a receipt request) or a tombstone (a
// message for others) brings nothing back. (A state stored before
// MessageSeq was kept goes by the last sequence number.)
func (st *ConversationState) Hidden() bool {
	seen := st.MessageSeq
	if seen == 0 {
		seen = max(st.LastSeq, st.Contiguous)
	}
	return contract.Hidden(st.RemovedSeq, seen)
}

// Blocked reports do-not-disturb of any kind (RongIMLib's
// notificationStatus CLOSE, getBlockedConversationList).
func (s Settings) Blocked() bool {
	return s.NotificationLevel != NotifyAll && s.NotificationLevel != NotifyNotSet
}

// CachedRequest is one receipt request waiting for this user's answer.
type CachedRequest struct {
	MessageUID string
	Sender     string
	ReceivedAt int64 // ms: when the sender asked (server time)
}
