package contract

import (
	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// Chat room limits (RongIMLib's documented ones).
const (
	// ChatroomJoinDefault is how many of the latest messages a join returns
	// when it asks for 0; ChatroomJoinMax the most it may ask for.
	ChatroomJoinDefault = 10
	ChatroomJoinMax     = 50
	// ChatroomInfoMax is the most members getChatRoomInfo lists.
	ChatroomInfoMax = 20
	// ChatroomMaxEntries is how many entries a room holds; at most
	// ChatroomEntriesPerCall are set or removed in one call.
	ChatroomMaxEntries     = 100
	ChatroomEntriesPerCall = 10
	ChatroomKeyMax         = 128
	ChatroomValueMax       = 4096
	// ChatroomMemberPage is the largest page of the admin API's member list.
	ChatroomMemberPage = 500
)

// ChatroomEntryNotice is the object name of the message a room gets when
// an entry changes with notify (RongIMLib's RC:chrmKVNotiMsg). Its content
// is {type: 1 set | 2 removed, key, value, extra}.
const ChatroomEntryNotice = "RC:chrmKVNotiMsg"

// ValidChatroomKey: 1-128 characters of letters, digits, + = - _.
func ValidChatroomKey(k string) bool {
	if len(k) == 0 || len(k) > ChatroomKeyMax {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '=' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// CheckChatroomRequest checks a request's shape (23412, or 23429 for too
// many entries at once).
func CheckChatroomRequest(r *pb.ChatroomRequest) error {
	bad := func(msg string) error { return codes.New(codes.RCChatroomParameterInvalid, msg) }
	if !ValidID(r.GetRoom()) {
		return bad("chat room id must be 1-64 characters of [A-Za-z0-9_.@-]")
	}
	switch r.GetOp() {
	case pb.ChatroomOp_CHATROOM_JOIN, pb.ChatroomOp_CHATROOM_JOIN_EXISTING:
		if r.GetCount() < -1 || r.GetCount() > ChatroomJoinMax {
			return bad("count must be -1 to 50")
		}
	case pb.ChatroomOp_CHATROOM_INFO:
		if r.GetCount() < 0 || r.GetCount() > ChatroomInfoMax {
			return bad("count must be 0 to 20")
		}
		if r.GetOrder() < 0 || r.GetOrder() > 2 {
			return bad("order must be 0, 1 or 2")
		}
	case pb.ChatroomOp_CHATROOM_SET_ENTRIES:
		if len(r.GetEntries()) == 0 {
			return bad("entries required")
		}
		if len(r.GetEntries()) > ChatroomEntriesPerCall {
			return codes.New(codes.ChatroomKVStoreOutLimit, "at most 10 entries at once")
		}
		for _, e := range r.GetEntries() {
			if !ValidChatroomKey(e.GetKey()) {
				return bad("an entry key must be 1-128 characters of [A-Za-z0-9+=_-]")
			}
			if len(e.GetValue()) == 0 || len(e.GetValue()) > ChatroomValueMax || !ValidText(e.GetValue()) {
				return bad("an entry value must be 1-4096 bytes of UTF-8")
			}
		}
	case pb.ChatroomOp_CHATROOM_REMOVE_ENTRIES, pb.ChatroomOp_CHATROOM_GET_ENTRIES:
		if r.GetOp() == pb.ChatroomOp_CHATROOM_REMOVE_ENTRIES && len(r.GetKeys()) == 0 {
			return bad("keys required")
		}
		if len(r.GetKeys()) > ChatroomEntriesPerCall && r.GetOp() == pb.ChatroomOp_CHATROOM_REMOVE_ENTRIES {
			return codes.New(codes.ChatroomKVStoreOutLimit, "at most 10 entries at once")
		}
		for _, k := range r.GetKeys() {
			if !ValidChatroomKey(k) {
				return bad("an entry key must be 1-128 characters of [A-Za-z0-9+=_-]")
			}
		}
	case pb.ChatroomOp_CHATROOM_QUIT:
	default:
		return bad("unknown chat room operation")
	}
	if len(r.GetExtra()) > 1024 {
		return bad("extra over 1,024 bytes")
	}
	return nil
}

// DecideEntries applies a set (put) or a removal (keys) by user to a
// room's entries as stored (current, by key) under RongIMLib's rules: an
// entry another member set changes only with force (23424; the app's
// server, user "", always forces), a room holds at most 100 (23423), a
// removed key must exist (23427). It returns the entries as they are to be
// written (removed ones with Removed set), all or nothing.
func DecideEntries(current map[string]*pb.ChatroomEntry, user string, put []*pb.ChatroomEntry, keys []string, force bool, now int64) ([]*pb.ChatroomEntry, error) {
	force = force || user == ""
	var out []*pb.ChatroomEntry
	n := len(current)
	seen := map[string]bool{}
	for _, e := range put {
		if seen[e.GetKey()] { // the same key twice in one call: the last value is kept
			for i, o := range out {
				if o.Key == e.GetKey() {
					out[i].Value = e.GetValue()
				}
			}
			continue
		}
		seen[e.GetKey()] = true
		old := current[e.GetKey()]
		if old != nil && old.GetOwner() != user && !force {
			return nil, codes.New(codes.ChatroomKVOverwriteInvalid, "entry "+e.GetKey()+" was set by another member")
		}
		if old == nil {
			n++
		}
		out = append(out, &pb.ChatroomEntry{Key: e.GetKey(), Value: e.GetValue(), Owner: user, Time: now, AutoDelete: e.GetAutoDelete() && user != ""})
	}
	if n > ChatroomMaxEntries {
		return nil, codes.New(codes.ChatroomKVExceed, "a chat room holds at most 100 entries")
	}
	for _, k := range keys {
		if seen[k] {
			continue
		}
		seen[k] = true
		old := current[k]
		if old == nil {
			return nil, codes.New(codes.ChatroomKeyNotExist, "no entry "+k)
		}
		if old.GetOwner() != user && !force {
			return nil, codes.New(codes.ChatroomKVOverwriteInvalid, "entry "+k+" was set by another member")
		}
		out = append(out, &pb.ChatroomEntry{Key: k, Value: old.GetValue(), Owner: user, Time: now, Removed: true})
	}
	return out, nil
}
