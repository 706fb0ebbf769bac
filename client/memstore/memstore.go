// Package memstore is an in-memory client.Store: the engine's store in tests
// and on platforms without a persistent database.
//
// Rules beyond the client.Store contract:
//
//   - Nothing is shared with callers: Apply stores clones and every read
//     returns fresh clones.
//   - Apply validates the whole batch before changing anything. Items apply
//     in batch order, so when two items name the same record the later one
//     wins; the same *client.Message given twice with MessageID 0 is one new
//     record. Uniqueness is checked against the state after the batch.
//   - A message's history time is its SentTime, or its ReceivedTime while
//     SentTime is 0 (not yet acknowledged). History orders a conversation by
//     (history time, MessageID) and compares t with the history time.
//   - MessageUID is a unique index: a batch that would leave two records
//     with the same non-empty MessageUID fails with ErrDuplicateUID.
//   - ClientMsgID is unique only per sender (the server deduplicates by
//     sender and client id), so MessageByClientID indexes only records with
//     Direction == client.DirectionSend: a received message can never
//     shadow one of the user's own sends. If several sends share a client
//     id, the one with the lowest MessageID is returned.
//   - A nil value in Batch.Meta deletes the key.
package memstore

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/imwasm/imwasm/client"
)

var _ client.Store = (*Store)(nil)

// Errors returned by Apply, wrapped in an *ItemError naming the bad item.
var (
	ErrNilMessage      = errors.New("memstore: nil message")
	ErrUnknownID       = errors.New("memstore: unknown message id")
	ErrDuplicateUID    = errors.New("memstore: duplicate message uid")
	ErrNilConversation = errors.New("memstore: nil conversation state")
)

// ItemError reports which item of a batch made Apply fail.
type ItemError struct {
	Field string // "Messages" or "Conversations"
	Index int
	Err   error
}

func (e *ItemError) Error() string {
	return e.Err.Error() + " (" + e.Field + "[" + strconv.Itoa(e.Index) + "])"
}

func (e *ItemError) Unwrap() error { return e.Err }

// hkey is a message's position in its conversation's history.
type hkey struct {
	t  int64 // history time
	id int64
}

func keyOf(m *client.Message) hkey {
	t := m.SentTime
	if t == 0 {
		t = m.ReceivedTime
	}
	return hkey{t, m.MessageID}
}

func cmpKey(a, b hkey) int {
	switch {
	case a.t < b.t:
		return -1
	case a.t > b.t:
		return 1
	case a.id < b.id:
		return -1
	case a.id > b.id:
		return 1
	}
	return 0
}

// bulkThreshold is the number of changes to one conversation above which
// its history is rebuilt by one merge rather than by single inserts.
const bulkThreshold = 16

// Store is an in-memory client.Store, safe for concurrent use.
type Store struct {
	mu     sync.RWMutex
	lastID int64
	msgs   map[int64]*client.Message
	byUID  map[string]int64
	byCID  map[string][]int64 // sends only, ascending ids
	hist   map[client.Conversation][]hkey
	states map[client.Conversation]*client.ConversationState
	meta   map[string][]byte
}

// New returns an empty Store.
func New() *Store {
	return &Store{
		msgs:   make(map[int64]*client.Message),
		byUID:  make(map[string]int64),
		byCID:  make(map[string][]int64),
		hist:   make(map[client.Conversation][]hkey),
		states: make(map[client.Conversation]*client.ConversationState),
		meta:   make(map[string][]byte),
	}
}

// Apply implements client.Store. A nil batch is an empty batch.
func (s *Store) Apply(ctx context.Context, b *client.Batch) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if b == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()

	// Validate and plan without touching the store or the caller's structs.
	ids := make([]int64, len(b.Messages))
	clones := make([]*client.Message, len(b.Messages))
	final := make(map[int64]*client.Message, len(b.Messages))
	var fresh map[*client.Message]int64 // new records by caller pointer
	next := s.lastID
	for i, m := range b.Messages {
		if m == nil {
			return &ItemError{"Messages", i, ErrNilMessage}
		}
		id := m.MessageID
		switch {
		case id == 0:
			if prev, ok := fresh[m]; ok {
				id = prev
				break
			}
			next++
			id = next
			if fresh == nil {
				fresh = make(map[*client.Message]int64)
			}
			fresh[m] = id
		case s.msgs[id] == nil && (id <= s.lastID || id > next):
			return &ItemError{"Messages", i, ErrUnknownID}
		}
		c := m.Clone()
		c.MessageID = id
		ids[i], clones[i] = id, c
		final[id] = c
	}
	batchUID := make(map[string]int64)
	for i, c := range clones {
		if final[c.MessageID] != c || c.MessageUID == "" {
			continue // overwritten later in the batch, or no uid
		}
		u, id := c.MessageUID, c.MessageID
		if other, ok := batchUID[u]; ok && other != id {
			return &ItemError{"Messages", i, ErrDuplicateUID}
		}
		batchUID[u] = id
		if owner, ok := s.byUID[u]; ok && owner != id {
			if _, replaced := final[owner]; !replaced {
				return &ItemError{"Messages", i, ErrDuplicateUID}
			}
			// The owner is rewritten by this batch: its new uid is
			// checked through batchUID.
		}
	}
	states := make([]*client.ConversationState, len(b.Conversations))
	for i, cs := range b.Conversations {
		if cs == nil {
			return &ItemError{"Conversations", i, ErrNilConversation}
		}
		c := *cs
		c.Requests = slices.Clone(cs.Requests)
		states[i] = &c
	}

	// Apply. Nothing below can fail.
	type change struct{ removes, adds []hkey }
	changes := make(map[client.Conversation]*change)
	changeOf := func(conv client.Conversation) *change {
		ch := changes[conv]
		if ch == nil {
			ch = &change{}
			changes[conv] = ch
		}
		return ch
	}
	for _, c := range clones {
		id := c.MessageID
		if final[id] != c {
			continue
		}
		k := keyOf(c)
		if old := s.msgs[id]; old != nil {
			if old.MessageUID != "" && s.byUID[old.MessageUID] == id {
				delete(s.byUID, old.MessageUID)
			}
			if isSend(old) {
				s.unindexCID(old.ClientMsgID, id)
			}
			if oldKey := keyOf(old); old.Conversation != c.Conversation || oldKey != k {
				ch := changeOf(old.Conversation)
				ch.removes = append(ch.removes, oldKey)
				ch = changeOf(c.Conversation)
				ch.adds = append(ch.adds, k)
			}
		} else {
			ch := changeOf(c.Conversation)
			ch.adds = append(ch.adds, k)
		}
		s.msgs[id] = c
		if c.MessageUID != "" {
			s.byUID[c.MessageUID] = id
		}
		if isSend(c) {
			s.indexCID(c.ClientMsgID, id)
		}
	}
	// Deletions, after the puts.
	drop := func(id int64) {
		old := s.msgs[id]
		if old == nil {
			return
		}
		delete(s.msgs, id)
		if old.MessageUID != "" && s.byUID[old.MessageUID] == id {
			delete(s.byUID, old.MessageUID)
		}
		if isSend(old) {
			s.unindexCID(old.ClientMsgID, id)
		}
		k := keyOf(old)
		ch := changeOf(old.Conversation)
		if i := slices.Index(ch.adds, k); i >= 0 {
			ch.adds = slices.Delete(ch.adds, i, i+1) // put by this batch
		} else {
			ch.removes = append(ch.removes, k)
		}
	}
	for _, u := range b.DeleteUIDs {
		if id, ok := s.byUID[u]; ok {
			drop(id)
		}
	}
	for _, cl := range b.Clears {
		var ids []int64
		// The index before the batch: a message the batch moved (a send
		// acknowledged with its sent time) is judged by its new place.
		moved := map[hkey]bool{}
		if ch := changes[cl.Conversation]; ch != nil {
			for _, k := range ch.removes {
				moved[k] = true
			}
		}
		for _, k := range s.hist[cl.Conversation] {
			if k.t <= cl.Before && !moved[k] {
				ids = append(ids, k.id)
			}
		}
		if ch := changes[cl.Conversation]; ch != nil {
			for _, k := range ch.adds {
				if k.t <= cl.Before {
					ids = append(ids, k.id)
				}
			}
		}
		for _, id := range ids {
			drop(id)
		}
	}
	for conv, ch := range changes {
		h := updateHistory(s.hist[conv], ch.removes, ch.adds)
		if len(h) == 0 {
			delete(s.hist, conv)
		} else {
			s.hist[conv] = h
		}
	}
	s.lastID = next
	for _, cs := range states {
		s.states[cs.Conversation] = cs
	}
	for k, v := range b.Meta {
		if v == nil {
			delete(s.meta, k)
		} else {
			s.meta[k] = append(make([]byte, 0, len(v)), v...)
		}
	}
	for i, m := range b.Messages {
		m.MessageID = ids[i]
	}
	return nil
}

func isSend(m *client.Message) bool {
	return m.Direction == client.DirectionSend && m.ClientMsgID != ""
}

func (s *Store) indexCID(cid string, id int64) {
	l := s.byCID[cid]
	if i, found := slices.BinarySearch(l, id); !found {
		s.byCID[cid] = slices.Insert(l, i, id)
	}
}

func (s *Store) unindexCID(cid string, id int64) {
	l := s.byCID[cid]
	if i, found := slices.BinarySearch(l, id); found {
		l = slices.Delete(l, i, i+1)
	}
	if len(l) == 0 {
		delete(s.byCID, cid)
	} else {
		s.byCID[cid] = l
	}
}

// updateHistory removes and adds keys in the sorted slice h. Few changes
// are applied one by one (appending new messages is O(log n)); many are
// merged in one O(n + k log k) pass.
func updateHistory(h, removes, adds []hkey) []hkey {
	if len(removes)+len(adds) <= bulkThreshold {
		for _, k := range removes {
			if i, found := slices.BinarySearchFunc(h, k, cmpKey); found {
				h = slices.Delete(h, i, i+1)
			}
		}
		for _, k := range adds {
			if i, found := slices.BinarySearchFunc(h, k, cmpKey); !found {
				h = slices.Insert(h, i, k)
			}
		}
		return h
	}
	if len(removes) > 0 {
		slices.SortFunc(removes, cmpKey)
		h = slices.DeleteFunc(h, func(k hkey) bool {
			_, found := slices.BinarySearchFunc(removes, k, cmpKey)
			return found
		})
	}
	slices.SortFunc(adds, cmpKey)
	out := make([]hkey, 0, len(h)+len(adds))
	i, j := 0, 0
	for i < len(h) && j < len(adds) {
		switch c := cmpKey(h[i], adds[j]); {
		case c < 0:
			out = append(out, h[i])
			i++
		case c > 0:
			out = append(out, adds[j])
			j++
		default: // already present
			out = append(out, h[i])
			i++
			j++
		}
	}
	out = append(out, h[i:]...)
	return append(out, adds[j:]...)
}

// MessagesByID implements client.Store.
func (s *Store) MessagesByID(ctx context.Context, ids []int64) ([]*client.Message, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*client.Message, len(ids))
	for i, id := range ids {
		if m := s.msgs[id]; m != nil {
			out[i] = m.Clone()
		}
	}
	return out, nil
}

// Pending implements client.Store.
func (s *Store) Pending(ctx context.Context) ([]*client.Message, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*client.Message
	for _, ids := range s.byCID {
		for _, id := range ids {
			if m := s.msgs[id]; m != nil && m.SentStatus == client.StatusSending {
				out = append(out, m.Clone())
			}
		}
	}
	slices.SortFunc(out, func(a, b *client.Message) int { return int(a.MessageID - b.MessageID) })
	return out, nil
}

// MessagesByUID implements client.Store.
func (s *Store) MessagesByUID(ctx context.Context, uids []string) ([]*client.Message, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*client.Message, len(uids))
	for i, u := range uids {
		if u == "" {
			continue
		}
		if id, ok := s.byUID[u]; ok {
			out[i] = s.msgs[id].Clone()
		}
	}
	return out, nil
}

// MessageByClientID implements client.Store. It returns nil, nil when no
// send of the user has that client id.
func (s *Store) MessageByClientID(ctx context.Context, clientMsgID string) (*client.Message, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if l := s.byCID[clientMsgID]; len(l) > 0 {
		return s.msgs[l[0]].Clone(), nil
	}
	return nil, nil
}

// Latest implements client.LatestReader.
func (s *Store) Latest(ctx context.Context, convs []client.Conversation) ([]*client.Message, error) {
	out := make([]*client.Message, len(convs))
	for i, c := range convs {
		page, err := s.History(ctx, c, 0, 1, false)
		if err != nil {
			return nil, err
		}
		if len(page) == 1 {
			out[i] = page[0]
		}
	}
	return out, nil
}

// History implements client.Store; see the package comment for how
// messages without a SentTime are placed. count <= 0 returns nothing.
func (s *Store) History(ctx context.Context, conv client.Conversation, t int64, count int, forward bool) ([]*client.Message, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	h := s.hist[conv]
	if count <= 0 || len(h) == 0 {
		return []*client.Message{}, nil
	}
	var out []*client.Message
	if forward {
		lo := 0
		if t != 0 { // first key with time > t
			lo, _ = slices.BinarySearchFunc(h, hkey{t: t}, func(k, target hkey) int {
				if k.t <= target.t {
					return -1
				}
				return 1
			})
		}
		hi := min(len(h), lo+count)
		out = make([]*client.Message, 0, hi-lo)
		for _, k := range h[lo:hi] {
			out = append(out, s.msgs[k.id].Clone())
		}
		return out, nil
	}
	hi := len(h)
	if t != 0 { // first key with time >= t
		hi, _ = slices.BinarySearchFunc(h, hkey{t: t}, func(k, target hkey) int {
			if k.t < target.t {
				return -1
			}
			return 1
		})
	}
	lo := max(0, hi-count)
	out = make([]*client.Message, 0, hi-lo)
	for i := hi - 1; i >= lo; i-- {
		out = append(out, s.msgs[h[i].id].Clone())
	}
	return out, nil
}

// Conversations implements client.Store. Records are sorted by
// Conversation.Key (then by the fields, as Key is not injective).
func (s *Store) Conversations(ctx context.Context) ([]*client.ConversationState, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	out := make([]*client.ConversationState, 0, len(s.states))
	for _, cs := range s.states {
		c := *cs
		c.Requests = slices.Clone(cs.Requests)
		out = append(out, &c)
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b *client.ConversationState) int {
		if c := strings.Compare(a.Key(), b.Key()); c != 0 {
			return c
		}
		if a.Type != b.Type {
			if a.Type < b.Type {
				return -1
			}
			return 1
		}
		if c := strings.Compare(a.ChannelID, b.ChannelID); c != 0 {
			return c
		}
		return strings.Compare(a.TargetID, b.TargetID)
	})
	return out, nil
}

// Meta implements client.Store.
func (s *Store) Meta(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := s.meta[key]
	if !ok {
		return nil, nil
	}
	return append(make([]byte, 0, len(v)), v...), nil
}
