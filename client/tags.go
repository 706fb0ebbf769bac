package client

import (
	"context"
	"slices"
	"sync"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// RongIMLib's conversation tags. The server keeps them and answers every
// change with the whole set, which this device keeps as it is (in memory,
// and in the store's meta for reads offline and after a reload): no change
// is applied here, so device and server cannot disagree on a rule. The
// user's other sessions learn of a change by an entry of the user's log,
// and fetch the set before telling their application (TAG,
// CONVERSATION_TAG).

const metaTags = "tags"

// Tag is one of the user's tags (getTags' ITagInfo).
type Tag struct {
	ID, Name string
	Created  int64 // server ms
	// Conversations in the tag, in the order they were added.
	Conversations []TaggedConversation
}

// TaggedConversation is a conversation in a tag.
type TaggedConversation struct {
	Conversation
	IsTop bool  // pinned within the tag
	Time  int64 // when it was added (server ms)
}

// ConversationTag is a tag a conversation is in (getTagsFromConversation's
// IConversationTag).
type ConversationTag struct {
	ID, Name string
	Created  int64
	IsTop    bool
}

// tagState is the device's copy of the user's tags.
type tagState struct {
	mu      sync.Mutex
	loaded  bool
	set     *pb.TagsResult // replaced whole, never changed in place
	kinds   uint32         // changes other sessions made, not yet told (contract.Tags* bits)
	upTo    uint64         // the newest version of those changes
	told    uint64         // the newest version of a change told
	session string         // this connection's session: its own changes come back by the log
	refresh chan struct{}  // one pending fetch
}

// tagSet is the device's copy (loaded from the store at first use).
func (e *Engine) tagSet(ctx context.Context) (*pb.TagsResult, error) {
	t := &e.tags
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.loaded {
		b, err := e.cfg.Store.Meta(ctx, metaTags)
		if err != nil {
			return nil, codes.Wrap(codes.Timeout, "read tags", err)
		}
		set := &pb.TagsResult{}
		if len(b) > 0 && set.Unmarshal(b) != nil {
			set = &pb.TagsResult{} // unreadable: the next sync fetches them again
		}
		t.set, t.loaded = set, true
	}
	return t.set, nil
}

// keepTags makes set the device's copy unless it has a newer one.
func (e *Engine) keepTags(ctx context.Context, set *pb.TagsResult) error {
	if set == nil {
		return codes.New(codes.Timeout, "the server answered no tags")
	}
	if _, err := e.tagSet(ctx); err != nil {
		return err
	}
	t := &e.tags
	t.mu.Lock()
	defer t.mu.Unlock()
	if set.Version < t.set.Version {
		return nil
	}
	t.set = set
	b, err := set.Marshal()
	if err != nil {
		return codes.Wrap(codes.Timeout, "encode tags", err)
	}
	if err := e.cfg.Store.Apply(ctx, &Batch{Meta: map[string][]byte{metaTags: b}}); err != nil {
		return codes.Wrap(codes.Timeout, "store tags", err)
	}
	return nil
}

// ChangeTags makes one change to the user's tags on the server (addTag,
// addConversationsToTag, …) and keeps the set it answers.
func (e *Engine) ChangeTags(ctx context.Context, r *pb.TagRequest) error {
	if err := e.closed(); err != nil {
		return err
	}
	if err := contract.CheckTagRequest(r); err != nil {
		return err
	}
	f, err := e.request(ctx, &pb.Frame{Body: &pb.Frame_Tag{Tag: r}})
	if err != nil {
		return err
	}
	return e.keepTags(ctx, f.GetTagsResult())
}

// tagsSeen notes a tag change from the user's log (the processor's): one
// another session made, newer than the copy, is fetched and then told.
func (e *Engine) tagsSeen(l *pb.LogEntry) {
	t := &e.tags
	t.mu.Lock()
	own := l.TagsSession != "" && l.TagsSession == t.session
	t.mu.Unlock()
	if !own {
		e.tagsBehind(l.TagsVersion, l.TagsChanged)
	}
}

// tagsOlderThan reports whether the copy is older than version v.
func (e *Engine) tagsOlderThan(v uint64) bool {
	set, err := e.tagSet(context.Background())
	return err == nil && v > set.Version
}

// tagsBehind asks for a fetch when the server's tags (version v) are newer
// than the copy; kinds are told once they are in. A change the copy has
// already (a fetch made for an earlier entry took it, committed before the
// fetch read) is told now, unless a fetch told it.
func (e *Engine) tagsBehind(v uint64, kinds uint32) {
	t := &e.tags
	if !e.tagsOlderThan(v) {
		t.mu.Lock()
		tell := v > t.told
		t.told = max(t.told, v)
		t.mu.Unlock()
		if tell {
			e.emit(tagEvents(kinds)...)
		}
		return
	}
	t.mu.Lock()
	t.kinds |= kinds
	t.upTo = max(t.upTo, v)
	t.mu.Unlock()
	t.poke()
}

// tagEvents are the events of kinds of tag changes.
func tagEvents(kinds uint32) []Event {
	var evs []Event
	if kinds&contract.TagsChanged != 0 {
		evs = append(evs, Event{Kind: EventTags})
	}
	if kinds&contract.TagConversationsChanged != 0 {
		evs = append(evs, Event{Kind: EventConversationTags})
	}
	return evs
}

// poke asks syncAll's loop for a fetch.
func (t *tagState) poke() {
	select {
	case t.refresh <- struct{}{}:
	default: // one is pending
	}
}

// fetchTags fetches the set (syncAll's loop, on a tagsBehind) and tells the
// application what other sessions changed.
func (e *Engine) fetchTags(ctx context.Context, lc *liveConn) error {
	f, err := lc.request(ctx, &pb.Frame{Body: &pb.Frame_Tags{Tags: &pb.TagsRequest{}}})
	if err != nil {
		return err
	}
	if err := e.keepTags(ctx, f.GetTagsResult()); err != nil {
		e.log.Log(LevelError, "keep tags", "err", err.Error())
		return nil
	}
	t := &e.tags
	t.mu.Lock()
	kinds := t.kinds
	t.kinds, t.told = 0, max(t.told, t.upTo)
	t.mu.Unlock()
	e.emit(tagEvents(kinds)...)
	return nil
}

func (e *Engine) setTagSession(id string) {
	e.tags.mu.Lock()
	e.tags.session = id
	e.tags.mu.Unlock()
}

// Tags implements getTags: the user's tags, oldest first.
func (e *Engine) Tags(ctx context.Context) ([]Tag, error) {
	if err := e.closed(); err != nil {
		return nil, err
	}
	set, err := e.tagSet(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Tag, 0, len(set.Tags))
	for _, t := range set.Tags {
		tag := Tag{ID: t.Id, Name: t.Name, Created: t.Created, Conversations: make([]TaggedConversation, 0, len(t.Convs))}
		for _, c := range t.Convs {
			tag.Conversations = append(tag.Conversations, TaggedConversation{Conversation: localWireConv(c.Conv), IsTop: c.IsTop, Time: c.Time})
		}
		out = append(out, tag)
	}
	return out, nil
}

// TagsOf implements getTagsFromConversation: the tags c is in.
func (e *Engine) TagsOf(ctx context.Context, c Conversation) ([]ConversationTag, error) {
	if err := e.closed(); err != nil {
		return nil, err
	}
	if err := validConversation(c); err != nil {
		return nil, err
	}
	tags, err := e.Tags(ctx)
	if err != nil {
		return nil, err
	}
	var out []ConversationTag
	for _, t := range tags {
		if i := slices.IndexFunc(t.Conversations, func(tc TaggedConversation) bool { return tc.Conversation == c }); i >= 0 {
			out = append(out, ConversationTag{ID: t.ID, Name: t.Name, Created: t.Created, IsTop: t.Conversations[i].IsTop})
		}
	}
	return out, nil
}

// tagMembers is the conversations of tags ids, by key, and whether each is
// pinned in one of them (TAG_NOT_EXIST for an unknown tag); with no ids
// the conversations in any tag.
func (e *Engine) tagMembers(ctx context.Context, ids []string) (map[string]bool, error) {
	tags, err := e.Tags(ctx)
	if err != nil {
		return nil, err
	}
	in := map[string]bool{}
	for _, t := range tags {
		if len(ids) > 0 && !slices.Contains(ids, t.ID) {
			continue
		}
		for _, c := range t.Conversations {
			in[c.Key()] = in[c.Key()] || c.IsTop
		}
	}
	for _, id := range ids {
		if !slices.ContainsFunc(tags, func(t Tag) bool { return t.ID == id }) {
			return nil, codes.New(codes.TagNotExist, "no such tag: "+id)
		}
	}
	return in, nil
}

// UnreadCountByTag implements getUnreadCountByTag: the unread messages of
// the conversations in tag id, those under do-not-disturb only when
// includeMuted.
func (e *Engine) UnreadCountByTag(ctx context.Context, id string, includeMuted bool) (int, error) {
	in, err := e.tagMembers(ctx, []string{id})
	if err != nil {
		return 0, err
	}
	e.seqMu.Lock()
	defer e.seqMu.Unlock()
	n := 0
	for k := range in {
		if st := e.convs[k]; st != nil && (includeMuted || !e.mutedLocked(st)) && !st.Hidden() {
			n += st.Unread
		}
	}
	return n, nil
}

// localWireConv is a wire conversation as the local model has it.
func localWireConv(c *pb.Conversation) Conversation {
	return Conversation{Type: int32(c.GetType()), TargetID: c.GetTarget(), ChannelID: c.GetChannel()}
}
