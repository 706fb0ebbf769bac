package client

import (
	"cmp"
	"context"
	"math"
	"slices"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// ConversationInfo is one entry of the conversation list (RongIMLib's
// IReceivedConversation, in part).
type ConversationInfo struct {
	Conversation
	UnreadCount  int
	HasMentioned bool // an unread message mentions the user
	MentionCount int  // how many unread messages mention the user
	// Latest is the newest message the device holds (nil: none). From
	// ConversationsPage and UltraChannels it is the engine's cached copy,
	// shared: read it, never change it.
	Latest *Message
	// LatestRev names Latest's content within this engine (0: unnamed):
	// two infos with one non-zero LatestRev have equal Latest messages, so
	// a caller may keep what it made of one (the bridge its JSON).
	LatestRev uint64
	Settings
	// Updated names the settings another device of the user changed (the
	// CONVERSATION event's updatedItems); nil otherwise.
	Updated    *SettingsChange
	Draft      string // this device's draft (saveTextMessageDraft)
	IsTopInTag bool   // pinned in the tag a page was asked for (ConversationQuery.Tags)
	Muted      bool   // do-not-disturb of any kind, by its own level or its type's
	ListTime   int64  // what a page orders it by (ConversationQuery.StartTime)

	readSeq uint64 // the user's read watermark, for Latest's IsRead (readByWatermark)
}

// infoOf is st as the list shows it (without its latest message).
func infoOf(st *ConversationState) ConversationInfo {
	return ConversationInfo{Conversation: st.Conversation, UnreadCount: st.Unread, HasMentioned: st.Mentioned,
		MentionCount: st.Mentions, Settings: st.Settings, Draft: st.Draft, readSeq: st.ReadSeq}
}

// readByWatermark says whether m, received, is read by the user's read
// watermark readSeq: the device stores a message read only where the user
// read it, so history, the list and events derive it from the watermark
// (a read on another device moves only that).
func readByWatermark(m *Message, readSeq uint64) bool {
	return m.Direction == DirectionReceive && m.Seq != 0 && m.Seq <= readSeq
}

// setLatest makes m ci's latest message as the user sees it: read when
// the watermark passed it, on a copy (m may be shared).
func (ci *ConversationInfo) setLatest(m *Message) {
	if m != nil && !m.IsRead && readByWatermark(m, ci.readSeq) {
		m = m.ReadCopy()
	}
	ci.Latest = m
}

// SettingsChange says which settings changed.
type SettingsChange struct {
	Top, Level bool
}

// readMove moves the read watermark of conv to seq (0: the latest).
type readMove struct {
	conv Conversation
	seq  uint64
}

// counts reports whether m raises its conversation's unread count.
func counts(m *Message, st *ConversationState) bool {
	return m.Direction == DirectionReceive && m.IsCounted && !m.IsStatus && m.Seq > st.ReadSeq
}

// countedByServer reports whether m is in the server's count that st's
// unread count starts from (st.serverCounted).
func countedByServer(m *Message, st *ConversationState) bool {
	return st.serverCounted() && m.Seq <= st.CountSeq
}

// MarkRead implements clearMessagesUnreadStatus: the user's read watermark
// of c moves to seq (0: the latest) on the server, for their other devices
// at their next sync, and here at once.
func (e *Engine) MarkRead(ctx context.Context, c Conversation, seq uint64) error {
	if err := e.closed(); err != nil {
		return err
	}
	if err := validConversation(c); err != nil {
		return err
	}
	seq, refused := e.expectRead(c, seq)
	if _, err := e.request(ctx, &pb.Frame{Body: &pb.Frame_Read{Read: &pb.ReadRequest{Conv: wireConv(c), Seq: seq}}}); err != nil {
		refused(err)
		return err
	}
	return e.applyLocal(&inItem{read: &readMove{conv: c, seq: seq}})
}

// eachUnread calls fn for each unread message of st that counts, newest
// first, from the store, until fn says stop.
func (e *Engine) eachUnread(ctx context.Context, st *ConversationState, fn func(*Message) bool) error {
	return e.eachHeld(ctx, st.Conversation, 0, func(m *Message) bool {
		if m.Seq != 0 && m.Seq <= st.ReadSeq {
			return false
		}
		return !counts(m, st) || fn(m)
	})
}

// recountLocked counts again the unread messages of the conversations in
// bs.recount, from the store (after the batch landed in it).
func (e *Engine) recountLocked(ctx context.Context, bs *batchState) {
	for k := range bs.recount {
		st := e.convs[k]
		if st == nil {
			continue
		}
		var unread, mentions int
		if bs.lessCounted && st.serverCounted() {
			// Messages left that the server's count may hold: until the
			// server counts again (its sync), the count may be high.
			e.resyncSoon()
		}
		if st.lacksUnread() && st.ReadSeq != st.CountRead {
			// The watermark moved inside what the server counted: count
			// what is held until the server counts again.
			e.resyncSoon()
		}
		if st.serverCounted() {
			// The server counted up to CountSeq, over messages this
			// device partly lacks; held ones above it are counted here.
			unread, mentions = st.CountUnread, st.CountMentions
		}
		err := e.eachUnread(ctx, st, func(m *Message) bool {
			if countedByServer(m, st) {
				return false // newest first: the rest are in the server's count
			}
			unread++
			if m.IsMentioned {
				mentions++
			}
			return true
		})
		if err != nil {
			e.log.Log(LevelError, "count unread", "err", err.Error())
			return
		}
		mentioned := mentions > 0
		if st.Unread != unread || st.Mentioned != mentioned || st.Mentions != mentions {
			st.Unread, st.Mentioned, st.Mentions = unread, mentioned, mentions
			bs.convs[k] = st
			bs.recounted = true
		}
	}
}

// Conversations implements getConversationList: the user's conversations
// with their latest message and unread count, the most recent first.
func (e *Engine) Conversations(ctx context.Context) ([]ConversationInfo, error) {
	return e.ConversationsPage(ctx, ConversationQuery{Count: math.MaxInt})
}

// latestTime orders the list: the latest message's time, or for a
// conversation without one (pinned before its first message) when its
// settings changed.
func latestTime(c ConversationInfo) int64 {
	if c.Latest == nil {
		return c.SettingsTime
	}
	if c.Latest.SentTime != 0 {
		return c.Latest.SentTime
	}
	return c.Latest.ReceivedTime
}

// UnreadCount implements getUnreadCount.
func (e *Engine) UnreadCount(c Conversation) int {
	e.seqMu.Lock()
	defer e.seqMu.Unlock()
	if st := e.convs[c.Key()]; st != nil {
		return st.Unread
	}
	return 0
}

// levelLocked is st's do-not-disturb level in effect: its own, or when
// NOT_SET its type's (setConversationTypeNotificationLevel).
func (e *Engine) levelLocked(st *ConversationState) int32 {
	var typeDefault int32
	if def := e.convs[Conversation{Type: st.Type}.Key()]; def != nil {
		typeDefault = def.NotificationLevel
	}
	return contract.LevelInEffect(st.NotificationLevel, typeDefault)
}

// mutedLocked reports do-not-disturb of any kind for st, by the level in
// effect.
func (e *Engine) mutedLocked(st *ConversationState) bool {
	return Settings{NotificationLevel: e.levelLocked(st)}.Blocked()
}

// UnreadByLevels implements getTotalUnreadCountByLevels and
// getTotalUnreadMentionedCountByLevels: the unread messages, and those
// mentioning the user, of the conversations of types (none: private and
// group) whose do-not-disturb level in effect is one of levels.
func (e *Engine) UnreadByLevels(types, levels []int32) (unread, mentions int) {
	e.seqMu.Lock()
	defer e.seqMu.Unlock()
	for _, st := range e.convs {
		if (st.Type == Private || st.Type == Group) && st.TargetID != "" && (len(types) == 0 || slices.Contains(types, st.Type)) &&
			slices.Contains(levels, e.levelLocked(st)) && !st.Hidden() {
			unread += st.Unread
			mentions += st.Mentions
		}
	}
	return unread, mentions
}

// UnreadMentioned implements getUnreadMentionedMessages: the unread
// messages of c this device holds that mention the user, oldest first.
func (e *Engine) UnreadMentioned(ctx context.Context, c Conversation) ([]*Message, error) {
	cp, ok, err := e.stateOf(c)
	if err != nil || !ok || cp.Mentions == 0 {
		return nil, err
	}
	var out []*Message
	err = e.eachUnread(ctx, &cp, func(m *Message) bool {
		if m.IsMentioned {
			out = append(out, m)
		}
		return true
	})
	if err != nil {
		return nil, codes.Wrap(codes.Timeout, "read unread messages", err)
	}
	slices.Reverse(out)
	return out, nil
}

// TotalUnreadCount implements getTotalUnreadCount(includeMuted,
// conversationTypes): the unread messages of the conversations of types
// (none: private and group), those under do-not-disturb only when
// includeMuted.
func (e *Engine) TotalUnreadCount(includeMuted bool, types ...int32) int {
	e.seqMu.Lock()
	defer e.seqMu.Unlock()
	n := 0
	for _, st := range e.convs {
		if (st.Type == Private || st.Type == Group) && (len(types) == 0 || slices.Contains(types, st.Type)) &&
			(includeMuted || !e.mutedLocked(st)) && !st.Hidden() {
			n += st.Unread
		}
	}
	return n
}

// ConversationQuery is a page of the conversation list
// (getConversationListByTimestamp): Count conversations updated before
// StartTime (0: now), newest first, or with Forward after it, oldest first;
// of Types only when given; pinned ones first with TopFirst.
type ConversationQuery struct {
	StartTime int64
	Count     int
	Forward   bool
	Types     []int32
	TopFirst  bool
	// Tags: only the conversations in these tags (TAG_NOT_EXIST for an
	// unknown one); Untagged: only those in no tag.
	Tags     []string
	Untagged bool
	// Mentioned: only those with unread messages that mention the user.
	Mentioned bool
	// Pinned: PinnedOnly or PinnedNot keeps the pinned conversations or
	// the others (pinned in a tag when Tags are given).
	Pinned int
	// StartKey, with StartTime, continues a page after the conversation
	// with that key (Conversation.Key): those of the same time that come
	// after it in the order (by key) are on the next page too.
	StartKey string
}

// ConversationQuery.Pinned values.
const (
	PinnedAny = iota
	PinnedOnly
	PinnedNot
)

// MaxConversationPage is the most conversations one page may ask for.
const MaxConversationPage = 1000

// ConversationsPage implements the paged list calls. It orders and pages
// the conversations by what the engine keeps of each (the time of its last
// message, or when it was pinned) and reads the latest message of only
// those it returns: one store read per listed conversation, not per known
// one.
func (e *Engine) ConversationsPage(ctx context.Context, q ConversationQuery) ([]ConversationInfo, error) {
	if err := e.closed(); err != nil {
		return nil, err
	}
	if q.Count < 1 || q.Count > MaxConversationPage && q.Count != math.MaxInt {
		return nil, codes.New(codes.InvalidParameterCount, "count must be 1-1000")
	}
	if q.StartTime < 0 {
		return nil, codes.New(codes.InvalidParameter, "startTime must not be negative")
	}
	var tagged map[string]bool // conversation key: pinned in the tag
	if len(q.Tags) > 0 || q.Untagged {
		var err error
		if tagged, err = e.tagMembers(ctx, q.Tags); err != nil {
			return nil, err
		}
	}
	// The states are copied as list entries (the lock is not held across
	// the reads of latest messages below) and sorted through small
	// entries, each key made once: sorting the states themselves, with a
	// key built per comparison, took most of a 1,000-conversation list in
	// wasm.
	type entry struct {
		i   int
		key string
		t   int64
		top bool
	}
	e.seqMu.Lock()
	infos := make([]ConversationInfo, 0, len(e.convs))
	entries := make([]entry, 0, len(e.convs))
	for k, st := range e.convs {
		t := sortTime(st)
		topInTag, inTag := tagged[k]
		pinned := st.IsTop
		if len(q.Tags) > 0 {
			pinned = topInTag
		}
		switch {
		case q.Pinned == PinnedOnly && !pinned, q.Pinned == PinnedNot && pinned:
		case st.Type != Private && st.Type != Group, st.TargetID == "", st.Hidden():
		case len(q.Types) > 0 && !slices.Contains(q.Types, st.Type):
		case len(q.Tags) > 0 && !inTag, q.Untagged && inTag, q.Mentioned && st.Mentions == 0:
		case q.Forward && t > q.StartTime, !q.Forward && (q.StartTime == 0 || t < q.StartTime),
			q.StartKey != "" && t == q.StartTime && (q.Forward && k > q.StartKey || !q.Forward && k < q.StartKey):
			ci := infoOf(st)
			ci.IsTopInTag = len(q.Tags) > 0 && topInTag
			ci.Muted = e.mutedLocked(st)
			ci.ListTime = t
			entries = append(entries, entry{i: len(infos), key: k, t: t, top: st.IsTop})
			infos = append(infos, ci)
		}
	}
	e.seqMu.Unlock()
	slices.SortFunc(entries, func(a, b entry) int {
		if q.TopFirst && a.top != b.top {
			if a.top {
				return -1
			}
			return 1
		}
		if q.Forward {
			return cmp.Or(cmp.Compare(a.t, b.t), cmp.Compare(a.key, b.key))
		}
		return cmp.Or(cmp.Compare(b.t, a.t), cmp.Compare(b.key, a.key))
	})
	page := make([]ConversationInfo, 0, min(q.Count, len(entries)))
	var read map[string]prefetched
	ahead := 0 // entries[:ahead] were read ahead
	for i, en := range entries {
		if len(page) == q.Count {
			break
		}
		if i >= ahead {
			// As many as the page still needs, in one read: more when
			// conversations with nothing to show were skipped.
			ahead = i + min(q.Count-len(page), len(entries)-i)
			keys, convs := make([]string, 0, ahead-i), make([]Conversation, 0, ahead-i)
			for _, en := range entries[i:ahead] {
				keys, convs = append(keys, en.key), append(convs, infos[en.i].Conversation)
			}
			read = e.prefetchLatest(ctx, keys, convs)
		}
		ci := infos[en.i]
		p, ok := read[en.key]
		latest, rev := p.m, p.rev
		if !ok {
			var err error
			if latest, rev, err = e.latestByKey(ctx, en.key, ci.Conversation); err != nil {
				return nil, codes.Wrap(codes.Timeout, "read conversations", err)
			}
		}
		if latest != nil {
			ci.Latest, ci.LatestRev = e.latest.seen(en.key, latest, rev, ci.readSeq)
		} else if ci.UnreadCount == 0 && !ci.IsTop {
			continue // nothing held and not pinned: not listed
		}
		page = append(page, ci)
	}
	return page, nil
}

// sortTime orders the list: the time of the conversation's last message,
// or for one without (pinned before its first message) when it was pinned.
func sortTime(st *ConversationState) int64 {
	if st.LastTime > 0 {
		return st.LastTime
	}
	return st.SettingsTime
}

// Conversation implements getConversation: c as the list has it, also
// when the list would not show it (nil when the device knows nothing of
// it).
func (e *Engine) Conversation(ctx context.Context, c Conversation) (*ConversationInfo, error) {
	cp, ok, err := e.stateOf(c)
	if err != nil || !ok {
		return nil, err
	}
	info := infoOf(&cp)
	ci := &info
	latest, err := e.cfg.Store.History(ctx, c, 0, 1, false)
	if err != nil {
		return nil, codes.Wrap(codes.Timeout, "read conversation", err)
	}
	if len(latest) == 1 {
		ci.setLatest(latest[0])
	}
	return ci, nil
}

// conversationEvent is the CONVERSATION event for a batch: the
// conversations that got messages or whose unread count changed, with
// their state after it.
func (e *Engine) conversationEvent(ctx context.Context, bs *batchState) *Event {
	latest := map[string]*Message{}
	for _, m := range bs.emitted {
		if !hasCounts(m.Type) || m.IsStatus {
			continue
		}
		// The newest wins (by sent time, then seq): a recall or an edit
		// emits an older message again, after the batch's new ones.
		if prev := latest[m.Key()]; prev == nil || m.SentTime > prev.SentTime || m.SentTime == prev.SentTime && m.Seq >= prev.Seq {
			latest[m.Key()] = m
		}
	}
	for k := range bs.recount {
		if _, ok := latest[k]; !ok {
			latest[k] = nil
		}
	}
	for k := range bs.settings {
		if _, ok := latest[k]; !ok {
			latest[k] = nil
		}
	}
	if len(latest) == 0 {
		return nil
	}
	ev := &Event{Kind: EventConversations}
	e.seqMu.Lock()
	for k, m := range latest {
		st := e.convs[k]
		if st == nil || !hasCounts(st.Type) || st.TargetID == "" {
			continue
		}
		if m != nil && m.Seq != 0 && m.Seq < st.LastSeq {
			m = nil // an older message changed (recalled, edited): the newest is read from the store below
		}
		ci := infoOf(st)
		ci.setLatest(m)
		if ch, ok := bs.settings[k]; ok {
			ci.Updated = &ch
		}
		ev.Conversations = append(ev.Conversations, ci)
	}
	e.seqMu.Unlock()
	for i, ci := range ev.Conversations {
		if ci.Latest == nil {
			if page, err := e.cfg.Store.History(ctx, ci.Conversation, 0, 1, false); err == nil && len(page) == 1 {
				ev.Conversations[i].setLatest(page[0])
			}
		}
	}
	slices.SortFunc(ev.Conversations, func(a, b ConversationInfo) int { return cmp.Compare(latestTime(b), latestTime(a)) })
	if len(ev.Conversations) == 0 {
		return nil
	}
	return ev
}

// FirstUnread implements getFirstUnreadMessage: the oldest unread message
// of c that counts, nil when none.
func (e *Engine) FirstUnread(ctx context.Context, c Conversation) (*Message, error) {
	cp, ok, err := e.stateOf(c)
	if err != nil || !ok || cp.Unread == 0 {
		return nil, err
	}
	var first *Message
	if err := e.eachUnread(ctx, &cp, func(m *Message) bool { first = m; return true }); err != nil {
		return nil, codes.Wrap(codes.Timeout, "read unread messages", err)
	}
	return first, nil
}

// UnreadMentions implements getUnreadMentionedCount; with no conversation,
// getAllUnreadMentionedCount (over group conversations, as RongIMLib).
func (e *Engine) UnreadMentions(c *Conversation) int {
	e.seqMu.Lock()
	defer e.seqMu.Unlock()
	if c != nil {
		if st := e.convs[c.Key()]; st != nil {
			return st.Mentions
		}
		return 0
	}
	n := 0
	for _, st := range e.convs {
		if st.Type == Group && !st.Hidden() {
			n += st.Mentions
		}
	}
	return n
}

// ClearAllUnread implements clearAllMessagesUnreadStatus: MarkRead for
// every conversation with unread messages.
func (e *Engine) ClearAllUnread(ctx context.Context) error {
	if err := e.closed(); err != nil {
		return err
	}
	e.seqMu.Lock()
	var convs []Conversation
	for _, st := range e.convs {
		if (st.Type == Private || st.Type == Group) && st.Unread > 0 {
			convs = append(convs, st.Conversation)
		}
	}
	e.seqMu.Unlock()
	for _, c := range convs {
		if err := e.MarkRead(ctx, c, 0); err != nil {
			return err
		}
	}
	return nil
}

// MarkReadAt implements sendSyncReadStatusMessage: MarkRead up to the
// newest held message of c sent at or before t (nothing held that old:
// nothing to do).
func (e *Engine) MarkReadAt(ctx context.Context, c Conversation, t int64) error {
	if err := e.closed(); err != nil {
		return err
	}
	if err := validConversation(c); err != nil {
		return err
	}
	if t <= 0 {
		return codes.New(codes.InvalidParameter, "timestamp must be positive")
	}
	page, err := e.cfg.Store.History(ctx, c, t+1, 10, false)
	if err != nil {
		return codes.Wrap(codes.Timeout, "read history", err)
	}
	for _, m := range page { // newest first; a send not acknowledged has no seq
		if m.Seq > 0 {
			return e.MarkRead(ctx, c, m.Seq)
		}
	}
	return nil
}

// stateOf is a copy of c's state (false: the engine knows nothing of c),
// for the calls that read the store after it: the lock is not held across
// store I/O.
func (e *Engine) stateOf(c Conversation) (ConversationState, bool, error) {
	if err := e.closed(); err != nil {
		return ConversationState{}, false, err
	}
	if err := validConversation(c); err != nil {
		return ConversationState{}, false, err
	}
	e.seqMu.Lock()
	defer e.seqMu.Unlock()
	st := e.convs[c.Key()]
	if st == nil {
		return ConversationState{}, false, nil
	}
	return *st, true, nil
}
