package client

import "strconv"

// Conversation types (RongIMLib numbers).
const (
	Private    = 1
	Group      = 3
	System     = 6
	UltraGroup = 10 // a channel of an ultra group: ChannelID ("" the default channel)
)

// hasCounts says whether conversations of type t have unread counts and
// state a device keeps (the others: chat rooms, the system's).
func hasCounts(t int32) bool { return t == Private || t == Group || t == UltraGroup }

// Message directions.
const (
	DirectionSend    = 1
	DirectionReceive = 2
)

// Sent statuses (RongIMLib numbers).
const (
	StatusSending  = 10
	StatusFailed   = 20
	StatusSent     = 30
	StatusReceived = 40
	StatusRead     = 50
)

// Conversation identifies a conversation from the local user's side: in a
// private chat TargetID is the other user, in a group the group id.
type Conversation struct {
	Type      int32
	TargetID  string
	ChannelID string
}

// Key is a stable map key for the conversation. Ids never contain NUL
// (the server accepts [A-Za-z0-9_.@-]), so the key is unambiguous.
func (c Conversation) Key() string {
	return strconv.Itoa(int(c.Type)) + "\x00" + c.ChannelID + "\x00" + c.TargetID
}

// MentionedInfo is RongIMLib's mentionedInfo.
type MentionedInfo struct {
	Type    int32 // 1 ALL, 2 SINGAL
	UserIDs []string
	Content string
}

// Message is one message as the device holds it. Content is the JSON body,
// passed through untouched.
type Message struct {
	Conversation
	MessageID   int64  // local id, assigned by the Store
	MessageUID  string // server id, "" until acknowledged
	ClientMsgID string // chosen before the first attempt, reused by resends
	Seq         uint64 // per-conversation sequence, 0 until acknowledged

	SenderUserID string
	ObjectName   string
	Content      []byte

	Direction    int32
	SentTime     int64 // server time, ms; 0 while sending
	ReceivedTime int64 // local time, ms
	ModifiedTime int64 // server time, ms, of the last edit (modifyMessageWithParams); 0: never edited
	// ReceivedFlags are RongIMLib's ReceivedStatus bits besides READ
	// (IsRead): ReceivedListened, ReceivedDownloaded, ReceivedRetrieved.
	ReceivedFlags int32
	SentStatus    int32

	IsOffline           bool // arrived by sync rather than push
	IsRead              bool // read on this or another device of the user
	IsPersisted         bool
	IsCounted           bool
	IsStatus            bool
	IsMentioned         bool
	MentionedInfo       *MentionedInfo
	DisableNotification bool
	PushContent         string
	PushData            string
	PushConfig          []byte
	DirectedUserIDs     []string
	CanIncludeExpansion bool
	Expansion           map[string]string
	NeedReceipt         bool
	// DeliveryReceipt: the sender asked for a delivery receipt (private).
	DeliveryReceipt bool
	// Receipt is what this device knows of the message's read receipts;
	// nil when it has none.
	Receipt *ReceiptInfo
}

// ReceiptInfo is a message's read-receipt state (RongIMLib's
// readReceiptInfo, in both its forms).
type ReceiptInfo struct {
	IsRequest  bool // the sender asked for receipts (request/response model)
	HasRespond bool // this user answered
	Readers    []Reader
	ReadCount  int
	TotalCount int
}

// Reader is one reader of a message.
type Reader struct {
	UserID  string
	Time    int64  // ms; 0 for someone who has not read it
	Content string // what the reader sent with the read (AckMessageRead)
}

// ReadCopy is m read (IsRead), a shallow copy: it shares m's slices,
// for a message that is shared and never changed.
func (m *Message) ReadCopy() *Message {
	c := *m
	c.IsRead = true
	return &c
}

// Clone returns a copy that shares no mutable state with m.
func (m *Message) Clone() *Message {
	c := *m
	c.Content = append([]byte(nil), m.Content...)
	c.PushConfig = append([]byte(nil), m.PushConfig...)
	c.DirectedUserIDs = append([]string(nil), m.DirectedUserIDs...)
	if m.MentionedInfo != nil {
		mi := *m.MentionedInfo
		mi.UserIDs = append([]string(nil), m.MentionedInfo.UserIDs...)
		c.MentionedInfo = &mi
	}
	if m.Receipt != nil {
		r := *m.Receipt
		r.Readers = append([]Reader(nil), m.Receipt.Readers...)
		c.Receipt = &r
	}
	if m.Expansion != nil {
		c.Expansion = make(map[string]string, len(m.Expansion))
		for k, v := range m.Expansion {
			c.Expansion[k] = v
		}
	}
	return &c
}
