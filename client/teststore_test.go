package client

import (
	"cmp"
	"context"
	"slices"
	"sync"
)

// testStore is the engine tests' Store: the contract done the plain way
// (linear scans, clones in and out). The tests cannot use client/memstore,
// which imports this package; client/storetest holds both to the same
// contract.
type testStore struct {
	mu     sync.Mutex
	lastID int64
	msgs   map[int64]*Message
	states map[string]*ConversationState
	meta   map[string][]byte
	// failApply, when set, makes Apply fail with it (and change nothing).
	failApply error
}

var _ Store = (*testStore)(nil)

func newTestStore() *testStore {
	return &testStore{msgs: map[int64]*Message{}, states: map[string]*ConversationState{}, meta: map[string][]byte{}}
}

func historyTime(m *Message) int64 {
	if m.SentTime != 0 {
		return m.SentTime
	}
	return m.ReceivedTime
}

func (s *testStore) Apply(ctx context.Context, b *Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failApply != nil {
		return s.failApply
	}
	fresh := map[*Message]int64{}
	for _, m := range b.Messages {
		if m.MessageID == 0 {
			if id, ok := fresh[m]; ok {
				m.MessageID = id
			} else {
				s.lastID++
				m.MessageID = s.lastID
				fresh[m] = m.MessageID
			}
		}
		s.msgs[m.MessageID] = m.Clone()
	}
	for _, u := range b.DeleteUIDs {
		for id, m := range s.msgs {
			if u != "" && m.MessageUID == u {
				delete(s.msgs, id)
			}
		}
	}
	for _, c := range b.Clears {
		for id, m := range s.msgs {
			if m.Conversation == c.Conversation && historyTime(m) <= c.Before {
				delete(s.msgs, id)
			}
		}
	}
	for _, st := range b.Conversations {
		cp := *st
		cp.Requests = slices.Clone(st.Requests)
		s.states[st.Key()] = &cp
	}
	for k, v := range b.Meta {
		if v == nil {
			delete(s.meta, k)
		} else {
			s.meta[k] = slices.Clone(v)
		}
	}
	return nil
}

func (s *testStore) MessagesByID(ctx context.Context, ids []int64) ([]*Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Message, len(ids))
	for i, id := range ids {
		if m := s.msgs[id]; m != nil {
			out[i] = m.Clone()
		}
	}
	return out, nil
}

func (s *testStore) MessagesByUID(ctx context.Context, uids []string) ([]*Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Message, len(uids))
	for i, u := range uids {
		if m := s.byUIDLocked(u); m != nil {
			out[i] = m.Clone()
		}
	}
	return out, nil
}

func (s *testStore) byUIDLocked(u string) *Message {
	if u == "" {
		return nil
	}
	for _, m := range s.msgs {
		if m.MessageUID == u {
			return m
		}
	}
	return nil
}

func (s *testStore) MessageByClientID(ctx context.Context, cid string) (*Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var found *Message
	for _, m := range s.msgs {
		if m.Direction == DirectionSend && m.ClientMsgID == cid && (found == nil || m.MessageID < found.MessageID) {
			found = m
		}
	}
	if found == nil {
		return nil, nil
	}
	return found.Clone(), nil
}

// sorted returns the messages of c by history time, then id.
func (s *testStore) sortedLocked(c Conversation) []*Message {
	var out []*Message
	for _, m := range s.msgs {
		if m.Conversation == c {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b *Message) int {
		if ta, tb := historyTime(a), historyTime(b); ta != tb {
			return cmp.Compare(ta, tb)
		}
		return cmp.Compare(a.MessageID, b.MessageID)
	})
	return out
}

func (s *testStore) History(ctx context.Context, c Conversation, t int64, count int, forward bool) ([]*Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := s.sortedLocked(c)
	if !forward {
		slices.Reverse(all)
	}
	out := []*Message{}
	for _, m := range all {
		if len(out) >= count {
			break
		}
		ht := historyTime(m)
		if t == 0 || forward && ht > t || !forward && ht < t {
			out = append(out, m.Clone())
		}
	}
	return out, nil
}

func (s *testStore) Conversations(ctx context.Context) ([]*ConversationState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*ConversationState
	for _, st := range s.states {
		cp := *st
		out = append(out, &cp)
	}
	return out, nil
}

func (s *testStore) Meta(ctx context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.meta[key]), nil
}

func (s *testStore) Pending(ctx context.Context) ([]*Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Message
	for _, m := range s.msgs {
		if m.SentStatus == StatusSending {
			out = append(out, m.Clone())
		}
	}
	return out, nil
}

// Helpers for assertions.

// byUID returns the stored message with uid, or nil.
func (s *testStore) byUID(uid string) *Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.byUIDLocked(uid); m != nil {
		return m.Clone()
	}
	return nil
}

// byID returns the stored message with local id, or nil.
func (s *testStore) byID(id int64) *Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.msgs[id]; m != nil {
		return m.Clone()
	}
	return nil
}

// seqs returns the sequence numbers of the stored messages of c, oldest first.
func (s *testStore) seqs(c Conversation) []uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []uint64
	for _, m := range s.sortedLocked(c) {
		out = append(out, m.Seq)
	}
	return out
}

// count is the number of stored messages.
func (s *testStore) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

// state returns the stored cursor of c, or nil.
func (s *testStore) state(c Conversation) *ConversationState {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.states[c.Key()]; st != nil {
		cp := *st
		return &cp
	}
	return nil
}

func (s *testStore) metaValue(k string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.meta[k])
}

// put stores messages directly (a state the device had before the test).
func (s *testStore) put(ms ...*Message) {
	if err := s.Apply(context.Background(), &Batch{Messages: ms}); err != nil {
		panic(err)
	}
}
