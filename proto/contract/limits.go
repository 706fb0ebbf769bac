package contract

import (
	"strconv"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// Sizes. They are chosen so that every stored message fits one frame of
// the smallest client (the native client reads at most 1 MiB per WebSocket
// message): content ≤ 512 KiB and everything else ≤ 72 KiB.
const (
	// DefaultContentBytes is a message's content limit unless the server
	// is started with another (--max-content-bytes), at most MaxContentBytes.
	DefaultContentBytes = 128 << 10
	MaxContentBytes     = 512 << 10

	// ExtraBytes is what a stored message may take beyond its content:
	// expansion, push fields, mentions, targeted recipients, ids.
	ExtraBytes = 72 << 10

	// PageBytes bounds a Pull or History answer (encoded messages); a
	// page always holds at least one message.
	PageBytes = 512 << 10

	MaxPushContentBytes    = 1 << 10 // SendRequest.push_content
	MaxPushDataBytes       = 4 << 10 // SendRequest.push_data
	MaxMentionContentBytes = 1 << 10 // MentionedInfo.content
	// MaxAckContentBytes bounds what a reader sends with a read ack
	// (ReceiptResponse.content): a flush of a message's 500 kept readers
	// stays well inside a page.
	MaxAckContentBytes = 512
	// MaxIDs bounds a message's mentioned users and its targeted
	// recipients, and the items of one device Ack.
	MaxIDs = 1000

	// Expansion (RongIMLib's limits, and a total so that a message stays
	// within ExtraBytes).
	MaxExpansionKeys       = 300 // per message
	MaxExpansionPerCall    = 20  // keys set or removed in one call
	MaxExpansionKeyBytes   = 32  // letters, digits and _ = + -
	MaxExpansionValueBytes = 4096
	MaxExpansionBytes      = 64 << 10 // keys and values of one message

	// MaxSeq is the largest sequence number or sync version a client may
	// name: they are stored as signed 64-bit integers.
	MaxSeq = 1<<63 - 1
)

// MessageBytes is the most one stored message encodes to.
func MessageBytes(maxContent int) int { return maxContent + ExtraBytes }

// SendBytes is the most a SendRequest may encode to. The 2 KiB left of
// MessageBytes hold what storing adds: the fields the server sets (uid,
// sender, sequence, time: ~150 bytes) and a byte more of tag per targeted
// recipient (field 20 of Message, 14 of SendRequest).
func SendBytes(maxContent int) int { return maxContent + ExtraBytes - 2<<10 }

// FrameBytes is the largest frame a server reads from a client: a
// SendRequest at its limit, or an Ack of MaxIDs items, with room to spare.
// Anything larger closes the connection (1009).
func FrameBytes(maxContent int) int { return maxContent + ExtraBytes + 128<<10 }

// CheckSend applies the size limits to a message about to be sent, with
// maxContent the server's content limit: 30016 for content or a message
// over its limits, 33003 for push fields and id lists, the expansion's
// codes for its expansion.
func CheckSend(r *pb.SendRequest, maxContent int) error {
	switch {
	case len(r.Content) > maxContent:
		return codes.New(codes.MsgContentExceedLimit, "content exceeds limit of "+strconv.Itoa(maxContent)+" bytes")
	case len(r.PushContent) > MaxPushContentBytes:
		return codes.New(codes.InvalidParameter, "pushContent is at most 1 KiB")
	case len(r.PushData) > MaxPushDataBytes:
		return codes.New(codes.InvalidParameter, "pushData is at most 4 KiB")
	case len(r.MentionedInfo.GetUserIds()) > MaxIDs:
		return codes.New(codes.InvalidParameter, "mentionedInfo.userIdList holds at most 1000 ids")
	case len(r.MentionedInfo.GetContent()) > MaxMentionContentBytes:
		return codes.New(codes.InvalidParameter, "mentionedInfo.mentionedContent is at most 1 KiB")
	case len(r.DirectedUserIds) > MaxIDs:
		return codes.New(codes.InvalidParameter, "directionalUserIdList holds at most 1000 ids")
	}
	if len(r.Expansion) > 0 {
		if err := CheckExpansionChange(r.Expansion, nil); err != nil {
			return err
		}
		if err := CheckExpansion(r.Expansion); err != nil {
			return err
		}
	}
	if r.Size() > SendBytes(maxContent) {
		return codes.New(codes.MsgContentExceedLimit, "message exceeds limit of "+strconv.Itoa(SendBytes(maxContent))+" bytes with its push fields, mentions, recipients and expansion")
	}
	// Its shape after its sizes: a huge text is refused as such.
	switch {
	case r.ObjectName == "" || len(r.ObjectName) > MaxIDBytes:
		return codes.New(codes.InvalidParameter, "messageType (objectName) of 1-64 bytes required")
	case !ObjectContent(r.Content):
		return codes.New(codes.InvalidParameter, "content must be one JSON object")
	// Strings every device decodes: one stored that is not text (from a
	// form body's raw bytes) would fail each pull of its conversation.
	case !ValidText(r.ObjectName) || !ValidText(r.PushContent) || !ValidText(r.PushData) || !ValidText(r.MentionedInfo.GetContent()):
		return codes.New(codes.InvalidParameter, "messageType, pushContent, pushData and mentionedContent must be UTF-8 text without U+0000")
	}
	return checkSendOptions(r)
}

// RecallNotice is the type a recalled message takes (RongIMLib's
// RecallNotificationMessage).
const RecallNotice = "RC:RcNtf"

// CheckSentType refuses a type a send (a user's, or the app server's) may
// not take: the recall notice, what a recall turns a message into (one
// sent as such could be recalled by no one: it reads as recalled already).
// An import of history may hold it.
func CheckSentType(objectName string) error {
	if objectName == RecallNotice {
		return codes.New(codes.InvalidParameter, "RC:RcNtf is the server's recall notice: recallMessage recalls a message")
	}
	return nil
}

// checkSendOptions applies the rules of a send's options that need no
// state (who is in a group is the server's to check).
func checkSendOptions(r *pb.SendRequest) error {
	typ := r.Conv.GetType()
	if mi := r.MentionedInfo; mi != nil || r.IsMentioned {
		switch {
		case mi == nil || !r.IsMentioned:
			return codes.New(codes.InvalidParameter, "isMentioned and mentionedInfo go together")
		case mi.Type != 1 && mi.Type != 2:
			return codes.New(codes.InvalidParameter, "mentionedInfo.type must be 1 (ALL) or 2 (SINGAL)")
		case mi.Type == 2 && len(mi.UserIds) == 0:
			return codes.New(codes.InvalidParameter, "mentionedInfo.userIdList: 1-1000 ids for SINGAL")
		}
	}
	switch {
	case len(r.Expansion) > 0 && !r.CanIncludeExpansion:
		return codes.New(codes.InvalidParameter, "expansion needs canIncludeExpansion")
	case len(r.DirectedUserIds) > 0 && typ != pb.ConversationType_GROUP:
		return codes.New(codes.InvalidParameter, "directionalUserIdList is for group messages")
	case (r.NeedReceipt || r.DeliveryReceipt) && (typ == pb.ConversationType_CHATROOM || typ == pb.ConversationType_ULTRA_GROUP):
		return codes.New(codes.InvalidParameter, "receipts are not asked in chat rooms and ultra groups")
	case r.NeedReceipt && (r.IsStatus || len(r.DirectedUserIds) > 0):
		return codes.New(codes.SendReadReceiptConfError, "receipts cannot be asked for on status or targeted messages")
	}
	return nil
}

// ObjectContent reports whether content is a JSON object by its first
// byte: what every vendor's content is, and what the vendor modules read
// properties of. (The server checks the rest of the JSON; the SDK's content
// is JSON.stringify's.)
func ObjectContent(content []byte) bool {
	for _, c := range content {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c == '{'
	}
	return false
}

// CheckExpansionChange validates one change of a message's expansion: keys
// set (with their values) and keys removed (34220).
func CheckExpansionChange(set map[string]string, remove []string) error {
	if len(set) > MaxExpansionPerCall || len(remove) > MaxExpansionPerCall {
		return codes.New(codes.InvalidParameterMessageExpansion, "at most 20 expansion keys per call")
	}
	for k, v := range set {
		if err := checkExpansionKey(k); err != nil {
			return err
		}
		if len(v) > MaxExpansionValueBytes {
			return codes.New(codes.InvalidParameterMessageExpansion, "expansion values are at most 4096 bytes")
		}
	}
	for _, k := range remove {
		if err := checkExpansionKey(k); err != nil {
			return err
		}
	}
	return nil
}

func checkExpansionKey(k string) error {
	if len(k) == 0 || len(k) > MaxExpansionKeyBytes {
		return codes.New(codes.InvalidParameterMessageExpansion, "expansion keys are 1-32 bytes")
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '=' || c == '+' || c == '-') {
			return codes.New(codes.InvalidParameterMessageExpansion, "expansion keys use letters, digits and _ = + -")
		}
	}
	return nil
}

// CheckExpansion holds a message's whole expansion to its limits (34010).
func CheckExpansion(x map[string]string) error {
	if len(x) > MaxExpansionKeys {
		return codes.New(codes.ExpansionLimitExceeded, "a message holds at most 300 expansion keys")
	}
	n := 0
	for k, v := range x {
		n += len(k) + len(v)
	}
	if n > MaxExpansionBytes {
		return codes.New(codes.ExpansionLimitExceeded, "a message's expansion holds at most 64 KiB of keys and values")
	}
	return nil
}

// CheckAckContent checks what a reader sends with a read ack.
func CheckAckContent(content string) error {
	if len(content) > MaxAckContentBytes {
		return codes.New(codes.InvalidParameter, "ack content is limited to "+strconv.Itoa(MaxAckContentBytes)+" bytes")
	}
	return nil
}
