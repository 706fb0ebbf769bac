// Package store defines what the server keeps durably and the semantics every
// implementation (SQLite now, PostgreSQL later) must provide.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// Errors an implementation returns; callers map them to wire codes.
var (
	ErrNotFound  = errors.New("not found")
	ErrNotMember = errors.New("not a member")
	ErrExists    = errors.New("already exists")
	ErrNotInTag  = errors.New("conversation not in the tag")
	// ErrTooManyGroups: a user joining a group is in GroupChange.MaxJoined
	// groups already.
	ErrTooManyGroups = errors.New("in too many groups")
	// ErrOutOfOrder: an imported message older than its conversation's
	// last message (history pages by time, so times follow sequence).
	ErrOutOfOrder = errors.New("older than the conversation's last message")
	// ErrUIDTaken: an imported message whose uid another message has.
	ErrUIDTaken = errors.New("the uid is another message's")
	// ErrUnavailable: the store cannot be reached (its database server is
	// down or unreachable). A write may or may not have been kept (the
	// connection can fail during a commit); writes are idempotent where it
	// matters (a message's sender and client id), so the caller makes the
	// same call again later.
	ErrUnavailable = errors.New("store unavailable")
	// ErrLimit: a change past one of its limits (an ultra group's members
	// or channels).
	ErrLimit = errors.New("past its limit")
)

// RecallObjectName is the object name a recalled message takes (RongIMLib's
// RecallNotificationMessage).
const RecallObjectName = contract.RecallNotice

// PrivateConvID is the canonical id of the private conversation of a and b.
func PrivateConvID(a, b string) string {
	if b < a {
		a, b = b, a
	}
	return "p:" + a + ":" + b
}

// GroupConvID is the canonical id of a group's conversation.
func GroupConvID(groupID string) string { return "g:" + groupID }

// ConvID returns the canonical id of conv as seen by user.
func ConvID(user string, conv *pb.Conversation) string {
	switch conv.GetType() {
	case pb.ConversationType_GROUP:
		return GroupConvID(conv.GetTarget())
	case pb.ConversationType_USER_LOG:
		return UserLogID(user) // only ever one's own
	case pb.ConversationType_CHATROOM:
		return ChatroomConvID(conv.GetTarget())
	case pb.ConversationType_ULTRA_GROUP:
		return UltraConvID(conv.GetTarget(), conv.GetChannel())
	}
	return PrivateConvID(user, conv.GetTarget())
}

// HasCounts says whether a conversation type's members have unread counts
// (the others: the user's log, chat rooms).
func HasCounts(t pb.ConversationType) bool {
	return t == pb.ConversationType_PRIVATE || t == pb.ConversationType_GROUP || t == pb.ConversationType_ULTRA_GROUP
}

// UserLogID is the id of user's own log (conversation type USER_LOG).
func UserLogID(user string) string { return "u:" + user }

// Tombstone stands for m where its reader may not see it: the sequence
// number stays gapless, nothing else is told.
func Tombstone(m *pb.Message) *pb.Message {
	return &pb.Message{ConvType: m.ConvType, FromUser: m.FromUser, To: m.To, Channel: m.Channel, Seq: m.Seq, Tombstone: true}
}

// Erased is what stays of a message of an erased user: its place in the
// conversation, addressed as before (a private conversation's id names
// both users anyway), with the content and every other field gone.
func Erased(user, convID string, seq uint64) *pb.Message {
	typ, a, b, _ := ParseConvID(convID)
	to, channel := a, "" // the group, or the other user
	switch {
	case typ == pb.ConversationType_PRIVATE && a == user:
		to = b
	case typ == pb.ConversationType_ULTRA_GROUP:
		channel = b
	}
	return &pb.Message{ConvType: typ, FromUser: user, To: to, Channel: channel, Seq: seq, Tombstone: true}
}

// ParseConvID splits a canonical id: for private conversations it returns
// the two users, for groups the group id in a, for ultra groups the group
// in a and the channel in b.
func ParseConvID(id string) (t pb.ConversationType, a, b string, ok bool) {
	switch {
	case strings.HasPrefix(id, "g:"):
		return pb.ConversationType_GROUP, id[2:], "", len(id) > 2
	case strings.HasPrefix(id, "p:"):
		a, b, ok := strings.Cut(id[2:], ":")
		return pb.ConversationType_PRIVATE, a, b, ok
	case strings.HasPrefix(id, "u:"):
		return pb.ConversationType_USER_LOG, id[2:], "", len(id) > 2
	case strings.HasPrefix(id, "r:"):
		return pb.ConversationType_CHATROOM, id[2:], "", len(id) > 2
	case strings.HasPrefix(id, "ug:"):
		g, ch, ok := ParseUltraConvID(id)
		return pb.ConversationType_ULTRA_GROUP, g, ch, ok && g != ""
	}
	return 0, "", "", false
}

// Store is the server's durable state. Methods are safe for concurrent use
// and return only after what they changed is committed.
type Store interface {
	// Append stores m (From, To, ConvType and content fields set by the
	// caller) in conversation convID, assigning Uid, Seq and SentTime. It
	// takes ownership of m: the caller must not use it afterwards.
	// A message whose (From, ClientMsgId) was stored before is not stored
	// again: the first stored message comes back with duplicate=true.
	Append(ctx context.Context, convID string, m *pb.Message) (stored *pb.Message, duplicate bool, err error)

	// Pull returns up to limit messages of convID with seq > afterSeq that
	// user may read, oldest first. afterSeq is raised to the user's first
	// visible sequence number, and when afterSeq is 0 also to the new-device
	// window (messages newer than windowStart, at most windowMax of them;
	// the last message when none is newer).
	// start is the effective afterSeq+1; last the conversation's last seq.
	Pull(ctx context.Context, user, convID string, afterSeq uint64, limit int, windowStart time.Time, windowMax int) (msgs []*pb.Message, start, last uint64, err error)

	// History returns up to count messages of convID that user may see
	// and keep accepts, by sent time: older than t (0: the newest), newest
	// first, or with newer, newer than t, oldest first. hasMore says
	// whether more such messages lie beyond the last one returned.
	History(ctx context.Context, user, convID string, t int64, count int, newer bool, keep func(*pb.Message) bool) (msgs []*pb.Message, hasMore bool, err error)

	// VisibleRange returns the first and last sequence numbers of convID
	// that user may see: from their joining (or the history they cleared,
	// or retention) to their leaving. ErrNotMember for a group they never
	// joined.
	VisibleRange(ctx context.Context, user, convID string) (start, last uint64, err error)

	// MessageByUID returns message uid of convID (ErrNotFound).
	MessageByUID(ctx context.Context, convID, uid string) (*pb.Message, error)
	// MessageByClientID returns the message user sent with client id
	// clientMsgID (nil when none is stored), as Append would find it.
	MessageByClientID(ctx context.Context, user, clientMsgID string) (*pb.Message, error)
	// Hidden lists which of the sequence numbers in [lo, hi] of convID
	// user deleted for themselves (deleteMessages).
	Hidden(ctx context.Context, user, convID string, lo, hi uint64) (map[uint64]bool, error)

	// Modify changes message uid of convID in place with apply (its ids,
	// seq and sent time must stay) and appends marker, which tells devices
	// what changed (a recall, an expansion change), in one transaction (apply
	// runs first and may complete marker from the message as stored): an
	// error from apply changes nothing and is returned as is. ErrNotFound
	// when there is no such message.
	Modify(ctx context.Context, convID, uid string, apply func(*pb.Message) error, marker *pb.Message) (*pb.Message, error)

	// Import stores messages kept elsewhere before (imwasm import), in
	// order, in one transaction: each as Append stores it, but keeping its
	// Uid and SentTime (one equal to the conversation's last message's
	// moves a millisecond on, so history pages by time exactly) and
	// raising no one's unread or mention counts. Per message it answers
	// nil (stored), ErrExists (stored before, from the same sender and
	// client id: nothing changed), ErrUIDTaken or ErrOutOfOrder.
	Import(ctx context.Context, msgs []Imported) ([]error, error)

	// Hide hides messages of convID from user (deleteMessages): their
	// pulls get tombstones, their history skips them. ClearHistory hides
	// every message sent at or before t (clearHistoryMessages). Both append
	// entry to the user's log (UserLogID) in the same transaction and
	// return it stored.
	Hide(ctx context.Context, user, convID string, uids []string, entry *pb.Message) (*pb.Message, error)
	ClearHistory(ctx context.Context, user, convID string, t int64, entry *pb.Message) (*pb.Message, error)

	// Setting returns the value stored under key (nil if none);
	// PutSetting stores it; DeleteSettings removes keys. MergeSetting sets
	// fields of the JSON object stored under key (made if none), the
	// others kept, in one step: two servers merging other fields at once
	// both hold.
	Setting(ctx context.Context, key string) ([]byte, error)
	PutSetting(ctx context.Context, key string, value []byte) error
	MergeSetting(ctx context.Context, key string, fields map[string]json.RawMessage) error
	DeleteSettings(ctx context.Context, keys []string) error

	// DeleteBefore removes every message sent before t (retention); the
	// conversations' histories then start after them. It returns how many
	// went.
	DeleteBefore(ctx context.Context, t time.Time) (int64, error)

	// EraseUser removes a user's state: the messages they sent become
	// tombstones (others' sequences stay gapless), their conversation
	// state, log, hidden messages and group memberships go, and their
	// tokens issued before revokeBefore are revoked (a time of the
	// caller's rules, like RevokeTokens' before). It returns how many
	// messages were erased.
	EraseUser(ctx context.Context, user string, revokeBefore time.Time) (int64, error)

	// Changes lists user's conversations that changed after version since,
	// and the version the caller has seen once it applied them, each with
	// the user's unread and mention counts over (read_seq, last_seq]
	// (Counted, VisibleTo, Mentioned), computed from the conversation's
	// sequence, never from rows written per member.
	Changes(ctx context.Context, user string, since uint64) (version uint64, convs []*pb.ConversationState, err error)

	// Version is the highest sync version whose changes are committed.
	Version() uint64

	// MarkRead moves user's read watermark of convID forward to seq (0:
	// the latest), or to message uid when uid is set (ErrNotFound if
	// unknown); it never moves back. When it moved, entries (given the new
	// watermark and the newest message at or below it that is not a
	// marker and that user may see, nil if none) returns log entries to
	// append in the same transaction: they come back stored. It returns
	// the watermark.
	MarkRead(ctx context.Context, user, convID string, seq uint64, uid string, entries func(seq uint64, read *pb.Message) []*pb.Message) (uint64, []*pb.Message, error)

	// MarkReceipt records that user told the other side of convID they
	// read up to message uid (ErrNotFound if unknown, ErrNotMember if user
	// is not in convID). The receipt position is apart from the read
	// watermark and never moves back: only when uid is past it does entry
	// (given the message's sequence number and the message) give the log
	// entry to append in the same transaction, returned stored; otherwise
	// nil.
	MarkReceipt(ctx context.Context, user, convID, uid string, entry func(seq uint64, read *pb.Message) *pb.Message) (*pb.Message, error)

	// SetSettings applies change to user's settings of each of convs
	// (the defaults where none are stored), stamps them with time and
	// with a new sync version (Changes lists them), and appends the log
	// entry entry gives for each, in one transaction; the entries come
	// back stored.
	// change is given the conversation's last sequence number (0: none).
	SetSettings(ctx context.Context, user string, convs []*pb.Conversation, time int64, change func(set *pb.ConversationSettings, lastSeq uint64), entry func(*pb.Conversation, *pb.ConversationSettings) *pb.Message) ([]*pb.Message, error)

	// ChangeTags applies one change to user's conversation tags (r passed
	// contract.CheckTagRequest) at time, under a new tags version, and
	// appends the log entry entry gives (what kinds changed, the version)
	// in the same transaction. It answers the user's tags after it and the
	// stored entry (nil when nothing changed). ErrNotFound: no such tag;
	// ErrExists: adding one the user has; ErrQuota: a tag past
	// contract.MaxTags; ErrNotInTag: pinning in a tag a conversation it
	// does not hold. A conversation added to a full tag drops the one
	// added first.
	ChangeTags(ctx context.Context, user string, r *pb.TagRequest, time int64, entry func(kinds uint32, version uint64) *pb.Message) (*pb.TagsResult, *pb.Message, error)
	// Tags answers user's conversation tags and their version.
	Tags(ctx context.Context, user string) (*pb.TagsResult, error)
	// TagsVersion is the version of user's tags (0: never had any).
	TagsVersion(ctx context.Context, user string) (uint64, error)

	Receipts

	// Groups. ChangeGroup reads the group as stored (nil: never created)
	// inside the write transaction and hands it to decide, which refuses
	// (its error comes back, nothing changed) or returns the change: the
	// group as it is to be, with the notification appended to it in the
	// same transaction, so members see exactly the messages from the
	// notification of their joining to that of their leaving.
	ChangeGroup(ctx context.Context, groupID string, decide func(g *Group) (*GroupChange, error)) (*GroupChanged, error)
	// Group returns the group, its members and applications (ErrNotFound:
	// never created; a dismissed group is returned, Dismissed set).
	Group(ctx context.Context, groupID string) (*Group, error)
	// JoinedGroups lists the groups user is a member of, with their role.
	JoinedGroups(ctx context.Context, user string) (map[string]contract.GroupRole, error)
	// GroupApplications lists the applications user made, was invited by,
	// invited, or may handle (owner or manager of the group), newest first,
	// at most limit, those at or before the time before (0: the newest).
	GroupApplications(ctx context.Context, user string, before int64, limit int) ([]GroupApplication, error)

	People
	Chatrooms
	UltraGroups
	Outbox
	WebPush

	// Access is what the user may do: tokens issued before
	// TokensValidAfter are revoked (RevokeTokens), and the user may not
	// connect before BlockedUntil (BlockUser; zero: never).
	Access(ctx context.Context, user string) (Access, error)
	RevokeTokens(ctx context.Context, user string, before time.Time) error
	BlockUser(ctx context.Context, user string, until time.Time) error

	// Backup writes a consistent copy of the database to path.
	Backup(ctx context.Context, path string) error
	Close() error
}

// People is what the server keeps of users beyond their messages: their
// profiles and settings, friends, friend requests and blacklists
// (RongIMLib's; the Easemob and NIM modules map onto the same). Changes
// read the state inside the write transaction and let the caller decide
// on it, as groups do.
type People interface {
	// ChangePerson decides on user's profile and settings (a zero Person
	// for one never set) and stores what decide returns (nil: nothing),
	// appending logs in the same transaction. ErrExists: a uniqueId taken.
	ChangePerson(ctx context.Context, user string, decide func(p *Person) (*Person, []*pb.Message, error)) ([]*pb.Message, error)
	// ChangePair decides on what two users are to each other and stores
	// the pair decide returns (nil: nothing), appending logs in the same
	// transaction.
	ChangePair(ctx context.Context, a, b string, decide func(p *Pair) (*Pair, []*pb.Message, error)) ([]*pb.Message, error)
	// People returns the profiles and settings of users (those never set
	// are absent).
	People(ctx context.Context, users []string) (map[string]*Person, error)
	// PersonByUniqueID finds the user with that uniqueId (ErrNotFound).
	PersonByUniqueID(ctx context.Context, uniqueID string) (*Person, error)
	// Friends returns user's friend list.
	Friends(ctx context.Context, user string) (map[string]Friend, error)
	// FriendRequests lists the requests user sent or received, newest
	// first, at most limit, those at or before the time before (0: the
	// newest).
	FriendRequests(ctx context.Context, user string, before int64, limit int) ([]FriendRequest, error)
	// Blacklist returns the users user blocks, and since when (ms).
	Blacklist(ctx context.Context, user string) (map[string]int64, error)

	// Subscribe subscribes subscriber to targets' events of type typ from
	// now (ms) for expiry seconds (a renewal restarts it). ErrQuota: the
	// subscriber would hold more than maxMine live subscriptions (nothing
	// changes); targets with maxTheirs live subscribers already are left
	// out and returned. entry builds the log entry for the subscriptions
	// made (appended in the same transaction; none when none were).
	Subscribe(ctx context.Context, subscriber string, typ int32, targets []string, now, expiry int64, maxMine, maxTheirs int,
		entry func(made []Subscription) *pb.Message) (full []string, stored *pb.Message, err error)
	// Unsubscribe ends subscriber's subscriptions of type typ to targets,
	// with the log entry entry builds for those that existed.
	Unsubscribe(ctx context.Context, subscriber string, typ int32, targets []string, entry func(ended []Subscription) *pb.Message) (*pb.Message, error)
	// Subscriptions lists subscriber's subscriptions (expired ones too:
	// callers compare with their clock).
	Subscriptions(ctx context.Context, subscriber string) ([]Subscription, error)
	// Subscribers lists the subscriptions to target.
	Subscribers(ctx context.Context, target string) ([]Subscription, error)
}

// Subscription is Subscriber's subscription to Target's events of Type
// (SubscribeType), from Time (ms) for Expiry seconds.
type Subscription struct {
	Subscriber, Target string
	Type               int32
	Time, Expiry       int64
}

// Live reports whether s holds at now (ms).
func (s Subscription) Live(now int64) bool { return now < s.Time+s.Expiry*1000 }

// Person is a user's profile and settings.
type Person struct {
	ID            string
	Profile       *pb.UserProfile // never nil from the store; fields unset
	Visibility    int32           // UserProfileVisibility
	AddPermission int32           // FriendAddPermission; 0: not set (the default)
	QuietHours    *pb.QuietHours  // the user's daily quiet hours for pushes; nil: none
	Updated       int64           // ms
}

// Friend is one entry of a user's friend list.
type Friend struct {
	Remark string
	Ext    map[string]string
	Added  int64 // ms
}

// FriendRequest is a request From sent To.
type FriendRequest struct {
	From, To string
	Status   int32 // FriendApplicationStatus
	Extra    string
	Time     int64 // ms, of the last change
}

// Pair is what users A and B are to each other: index 0 is A's side,
// 1 B's.
type Pair struct {
	Person  [2]*Person        // each one's profile and settings
	Friend  [2]*Friend        // [0]: B in A's list; [1]: A in B's (nil: not)
	Request [2]*FriendRequest // [0]: A's request to B; [1]: B's to A (nil: none)
	Blocks  [2]int64          // [0]: since when A blocks B (0: not)
	Friends [2]int            // how many friends each has (before the change)
	Blocked [2]int            // how many users each blocks (before the change)
}

// Clone copies p for a change to edit.
func (p *Pair) Clone() *Pair {
	c := *p
	for i := range 2 {
		if pp := p.Person[i]; pp != nil {
			cp := *pp
			prof := *pp.Profile
			prof.Ext = maps.Clone(pp.Profile.Ext)
			cp.Profile = &prof
			c.Person[i] = &cp
		}
		if f := p.Friend[i]; f != nil {
			cp := *f
			cp.Ext = maps.Clone(f.Ext)
			c.Friend[i] = &cp
		}
		if r := p.Request[i]; r != nil {
			cp := *r
			c.Request[i] = &cp
		}
	}
	return &c
}

// Read is one reader of a message (read receipts).
type Read struct {
	UID      string // the message
	Reader   string
	Time     int64  // when it was read, ms
	SentTime int64  // the message's sent time, for expiry
	Content  string // what the reader sent with the read (Easemob's ackContent)
}

// Receipts is what read and delivery receipts keep. Every reader of a
// message is kept (until the receipts expire: who read is what makes a
// read counted once, and what non-readers are told from), with an exact
// count; each reader is notified to the sender once, by a log entry that
// FlushReceipts appends in the transaction that marks them notified.
type Receipts interface {
	// AddReads records reader's reads of convID's messages (idempotent)
	// and returns those that were new. If any were new and entry is set,
	// entry (a log entry of the reader's) is appended with their uids as
	// responded_uids in the same transaction and comes back stored.
	AddReads(ctx context.Context, convID, reader string, reads []Read, entry *pb.Message) (added []Read, stored *pb.Message, err error)
	// FlushReceipts takes the readers of message uid not yet notified,
	// marks them notified and appends the log entry that entry builds
	// from them and the message's read count, in one transaction. It
	// returns nil when there was nothing to notify.
	FlushReceipts(ctx context.Context, convID, uid string, entry func(readers []Read, readCount int) *pb.Message) (*pb.Message, error)
	// Unnotified lists the messages (convID, uid) whose readers are not
	// all notified yet (after a restart).
	Unnotified(ctx context.Context) ([][2]string, error)
	// Readers returns the kept readers of a message, oldest first, and
	// its exact read count.
	Readers(ctx context.Context, convID, uid string) ([]Read, int, error)
	// ReadCounts returns the read counts of messages of convID (0 for
	// messages nobody read).
	ReadCounts(ctx context.Context, convID string, uids []string) (map[string]int, error)
	// AppendCounted is Append that also takes one use of q in the same
	// transaction: a resend of a stored message (duplicate) takes none,
	// and a spent quota (ErrQuota) stores nothing.
	AppendCounted(ctx context.Context, convID string, m *pb.Message, q Quota) (stored *pb.Message, duplicate bool, err error)
	// ModifyCounted is Modify that also takes one use of q in the same
	// transaction, once the change is known to happen: a request that
	// loses a race (the marker exists: ErrExists) or fails is not charged.
	ModifyCounted(ctx context.Context, convID, uid string, apply func(*pb.Message) error, marker *pb.Message, q Quota) (*pb.Message, error)
	// DeleteReceiptsBefore forgets the readers of messages sent before t
	// (ms), delivery receipts asked for before t, and quota keys that sort
	// before quotaBefore.
	DeleteReceiptsBefore(ctx context.Context, t int64, quotaBefore string) (int64, error)

	// Delivered records that a device of user stored convID up to seq:
	// delivery receipts pending at or below it go, and entry, given their
	// uids and the sender, builds the log entry appended to the sender's
	// log in the same transaction. nil when none were pending.
	Delivered(ctx context.Context, user, convID string, seq uint64, entry func(sender string, uids []string) *pb.Message) (*pb.Message, error)
	// HasPendingDeliveries says whether any delivery receipt may be
	// pending (device acks skip the lookup otherwise).
	HasPendingDeliveries() bool
}

// Quota is a counter with a ceiling (receipt messages per group per day).
type Quota struct {
	Key string
	Max int
}

// ErrQuota: a quota is spent.
var ErrQuota = errors.New("quota spent")

// IsMarker reports whether m only changes another message (recall,
// expansion, receipt request, edit) rather than being one.
func IsMarker(m *pb.Message) bool {
	return m.RecallOf != "" || m.ExpansionOf != "" || m.ReceiptRequestOf != "" || m.ModifyOf != "" || m.Tombstone
}

// Group is a group: its profile, permission settings, members and join
// applications.
type Group struct {
	ID           string
	Name         string
	OwnerID      string
	CreatorID    string
	Created      int64 // ms
	Portrait     string
	Introduction string
	Notice       string
	Ext          map[string]string
	Policy       contract.GroupPolicy
	MuteAll      bool // only the owner and managers may speak
	Dismissed    bool
	Members      map[string]Member
	// Applications are the group's join requests and invitations, pending
	// and handled, keyed by who joins and who invited ("" for a request).
	Applications map[AppKey]Application
}

// Member is one member of a group; Remark and Follows are the member's own
// (their name for the group, the members they follow) and seen by no one
// else.
type Member struct {
	Role       contract.GroupRole
	Nickname   string
	Extra      string
	Joined     int64 // ms
	MutedUntil int64 // ms; 0: not muted
	Remark     string
	Follows    map[string]int64 // user: since when (ms)
}

// AppKey names an application: the user who joins and the member who
// invited them ("" when they asked themselves).
type AppKey struct{ User, Inviter string }

// Application is a join request or an invitation.
type Application struct {
	Status   contract.ApplicationStatus
	Operator string // who accepted or refused
	Reason   string
	Time     int64 // ms, of the last change
}

// GroupApplication is an application with the group it is for.
type GroupApplication struct {
	GroupID string
	AppKey
	Application
}

// Clone copies g deeply enough for a change to edit the copy.
func (g *Group) Clone() *Group {
	c := *g
	c.Ext = maps.Clone(g.Ext)
	c.Members = make(map[string]Member, len(g.Members))
	for u, m := range g.Members {
		m.Follows = maps.Clone(m.Follows)
		c.Members[u] = m
	}
	c.Applications = maps.Clone(g.Applications)
	return &c
}

// GroupChange is what ChangeGroup applies.
type GroupChange struct {
	// Group is the group as it is to be (nil: the group is not changed).
	// Users in its Members and not before join, from Ntf on; those gone
	// leave after it; a group Dismissed loses every member.
	Group *Group
	// Ntf is appended to the group; required when anyone joins or leaves
	// (nil: the change is no one else's, such as a member's remark).
	Ntf *pb.Message
	// Logs are entries appended to users' logs in the same transaction.
	Logs []*pb.Message
	// MaxJoined refuses (ErrTooManyGroups) a joining user who is in this
	// many groups already; 0: no limit.
	MaxJoined int
	// Imported: Ntf is an imported message (see Store.Import) and keeps
	// its Uid and SentTime.
	Imported bool
}

// Access is a user's standing: see Store.Access.
type Access struct {
	TokensValidAfter time.Time
	BlockedUntil     time.Time
}

// Imported is a message kept elsewhere before: Msg has From, To,
// ConvType, content, Uid, SentTime and ClientMsgId set.
type Imported struct {
	ConvID string
	Msg    *pb.Message
}

// GroupChanged is what a change did: the group before and after, and the
// stored notification and log entries.
type GroupChanged struct {
	Before, After *Group
	Ntf           *pb.Message
	Logs          []*pb.Message
}

// Counted reports whether m raises its recipients' unread counts: a
// message of a private chat or a group that the sender marked counted,
// neither a status message nor a marker.
func Counted(m *pb.Message) bool {
	return m.IsCounted && !m.IsStatus && !IsMarker(m) && HasCounts(m.ConvType)
}

// VisibleTo reports whether user may see m: a message targeted at some
// members (directed_user_ids) is theirs and the sender's only.
func VisibleTo(m *pb.Message, user string) bool {
	return len(m.DirectedUserIds) == 0 || m.FromUser == user || slices.Contains(m.DirectedUserIds, user)
}

// MarkerAudience is whom a marker acting on orig (a recall, an edit, an
// expansion) is for: whoever sees orig. For a targeted message that is its
// targets and its sender, who may not be the one acting (a target changing
// its expansion, an admin recalling it). Nil: everyone in the conversation.
func MarkerAudience(orig *pb.Message) []string {
	if len(orig.DirectedUserIds) == 0 || slices.Contains(orig.DirectedUserIds, orig.FromUser) {
		return orig.DirectedUserIds
	}
	return append(slices.Clip(orig.DirectedUserIds), orig.FromUser)
}

// CountClass is how a stored message counts towards unread counts, as the
// stores keep it beside the message: 0 it raises nobody's, 1 everyone's
// who sees the conversation but its sender's, 2 those it is targeted at
// (directed_user_ids) only.
func CountClass(m *pb.Message) int {
	switch {
	case !Counted(m):
		return 0
	case len(m.DirectedUserIds) > 0:
		return 2
	}
	return 1
}

// MentionedUsers is whom a stored message mentions, one row each in a
// store's mentions: each named member who may see it, "" for @all (each
// member it is targeted at, for a targeted @all); none for a message that
// does not count.
func MentionedUsers(m *pb.Message) []string {
	if !Counted(m) {
		return nil
	}
	users := contract.Mentioned(m)
	if len(users) == 1 && users[0] == "" && len(m.DirectedUserIds) > 0 {
		return m.DirectedUserIds
	}
	if len(m.DirectedUserIds) == 0 {
		return users
	}
	out := users[:0:0]
	for _, u := range users {
		if u == "" || VisibleTo(m, u) {
			out = append(out, u)
		}
	}
	return out
}

// WithSettings adds a user's conversation settings to their conversations'
// states (Changes): to each conversation's state, or as a state of its own
// for a conversation with no message yet (pinned before any).
func WithSettings(states []*pb.ConversationState, convs []*pb.Conversation, sets []*pb.ConversationSettings) []*pb.ConversationState {
	type key struct {
		typ             pb.ConversationType
		target, channel string
	}
	byConv := make(map[key]*pb.ConversationState, len(states))
	for _, st := range states {
		byConv[key{st.Conv.Type, st.Conv.Target, st.Conv.Channel}] = st
	}
	for i, c := range convs {
		k := key{c.Type, c.Target, c.Channel}
		st := byConv[k]
		if st == nil {
			st = &pb.ConversationState{Conv: c}
			states = append(states, st)
			byConv[k] = st
		}
		st.Settings = sets[i]
	}
	return states
}

// MergeJSON sets fields in the JSON object prev (empty: none yet), the
// others kept (MergeSetting's rule, for both stores).
func MergeJSON(prev []byte, fields map[string]json.RawMessage) ([]byte, error) {
	obj := map[string]json.RawMessage{}
	if len(prev) > 0 {
		if err := json.Unmarshal(prev, &obj); err != nil {
			return nil, fmt.Errorf("stored value: %w", err)
		}
	}
	maps.Copy(obj, fields)
	return json.Marshal(obj)
}

// MarkersBack bounds how far back a new device's pull looks for a
// conversation's last message past the markers after it.
const MarkersBack = 50

// LastMessageFrom reads entries newest first (seq, encoded message) and
// answers the seq user's pull starts at so that the last message for them
// that is not a marker comes with what follows it: that message's, or,
// when the entries read hold none, the oldest read (and last when none at
// all). Messages targeted at others are passed over as markers are (the
// user gets their tombstones, and lists nothing of them).
func LastMessageFrom(entries func(yield func(seq uint64, body []byte) bool) error, user string, last uint64) (uint64, error) {
	from := last
	err := entries(func(seq uint64, body []byte) bool {
		from = seq
		m := &pb.Message{}
		return m.Unmarshal(body) != nil || IsMarker(m) || !VisibleTo(m, user) // go on past them
	})
	return from, err
}
