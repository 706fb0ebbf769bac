package store

import (
	"context"
	"strings"
	"time"

	pb "github.com/imwasm/imwasm/proto/litepb"
)

// ChatroomConvID is the id of a chat room's history (conversation type
// CHATROOM). Its messages are appended like any conversation's (gapless
// seq, de-duplicated on sender and client id) but nobody has a row of it:
// it is never in a user's list or sync, and counts no one's unread.
func ChatroomConvID(room string) string { return "r:" + room }

// IsChatroomConv says whether convID is a chat room's history.
func IsChatroomConv(convID string) bool { return strings.HasPrefix(convID, "r:") }

// ChatroomOf is the room whose history convID is (IsChatroomConv).
func ChatroomOf(convID string) string { return strings.TrimPrefix(convID, "r:") }

// Chatroom is a chat room as stored.
type Chatroom struct {
	ID       string
	Created  int64 // unix ms
	MutedAll bool
	// Members counts the users in it, over every node.
	Members int
	// EmptySince is when its last member left (unix ms; its creation when
	// no one ever joined); 0 while it has members.
	EmptySince int64
}

// ChatroomMember is a user in a chat room and when they joined (the
// earliest of their devices' joins that still stand).
type ChatroomMember struct {
	User   string
	Joined int64 // unix ms
}

// Chatrooms is what the server keeps of chat rooms. Membership is stored
// per (room, user, node) so that every node of a cluster counts and lists
// the same members; a node's rows go when it starts (it has no sessions
// then) or is found gone (LeaveNode). Messages are in the room's history
// (ChatroomConvID, through Append and History), nothing per member.
type Chatrooms interface {
	// CreateChatroom creates room at now unless it exists; created says
	// which. The room comes back as stored.
	CreateChatroom(ctx context.Context, room string, now time.Time) (c Chatroom, created bool, err error)
	// Chatroom returns a room (ErrNotFound).
	Chatroom(ctx context.Context, room string) (Chatroom, error)
	// ListChatrooms lists rooms by id, those after after, at most limit.
	ListChatrooms(ctx context.Context, after string, limit int) ([]Chatroom, error)
	// DestroyChatroom removes a room, its members, entries, mutes and
	// history (ErrNotFound). With emptyBefore set, only a room with no
	// member, empty since before it: ErrExists when someone is in it or
	// joined since (the empty-room sweep's check and its destroy are one).
	DestroyChatroom(ctx context.Context, room string, emptyBefore time.Time) error

	// JoinChatroom records user in room on node (again: no change) and
	// returns when the user joined (ErrNotFound: no such room).
	JoinChatroom(ctx context.Context, room, user, node string, now time.Time) (joined int64, err error)
	// LeaveChatroom removes user's row of node. When the user is then in
	// the room on no node, the entries they set with auto_delete go, and
	// come back (Removed set); when the room is then empty, EmptySince
	// becomes now.
	LeaveChatroom(ctx context.Context, room, user, node string, now time.Time) (removed []*pb.ChatroomEntry, err error)
	// LeaveNode removes every row of node, as LeaveChatroom would one by
	// one, and returns the entries removed by room.
	LeaveNode(ctx context.Context, node string, now time.Time) (map[string][]*pb.ChatroomEntry, error)
	// ChatroomNodes lists the nodes that have members, each with the
	// latest join on it (the cluster finds rows of nodes gone by it).
	ChatroomNodes(ctx context.Context) (map[string]int64, error)
	// ChatroomMembers returns how many users are in room and up to limit
	// of them from offset, by join time (latest: the latest first).
	ChatroomMembers(ctx context.Context, room string, offset, limit int, latest bool) (total int, members []ChatroomMember, err error)
	// EmptyChatrooms lists the rooms empty since before t.
	EmptyChatrooms(ctx context.Context, before time.Time) ([]string, error)

	// ChangeChatroomEntries loads room's entries (by key) and stores what
	// decide returns (Removed: deleted), in one transaction; an error from
	// decide changes nothing. ErrNotFound: no such room.
	ChangeChatroomEntries(ctx context.Context, room string, decide func(current map[string]*pb.ChatroomEntry) ([]*pb.ChatroomEntry, error)) ([]*pb.ChatroomEntry, error)
	// ChatroomEntries returns room's entries, by key.
	ChatroomEntries(ctx context.Context, room string) ([]*pb.ChatroomEntry, error)

	// MuteChatroom mutes users in room until (unix ms; 0 unmutes), and
	// when all is set, mutes or unmutes the whole room (ErrNotFound).
	MuteChatroom(ctx context.Context, room string, users []string, until int64, all *bool) error
	// ChatroomMutes returns the users of room muted at now, with until.
	ChatroomMutes(ctx context.Context, room string, now time.Time) (map[string]int64, error)

	// DeleteChatroomHistoryBefore removes every chat room's messages sent
	// before t; it returns how many went.
	DeleteChatroomHistoryBefore(ctx context.Context, t time.Time) (int64, error)
}
