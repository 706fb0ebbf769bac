package bench

import (
	"context"
	"slices"
	"sync"

	"github.com/imwasm/imwasm/client"
)

// leanStore is a client.Store for simulated users that forgets what they
// receive: a bench's thousands of engines sharing one process would
// otherwise hold every delivered message (a 500-member group run keeps
// over a million records) and spend the shared cores on collecting them.
// It keeps what the engine reads back: the user's own sends (resends, late
// acks, own messages coming back through a pull: every one not yet
// committed, and the latest committed ones), the cursors, the meta keys, and
// the ids of recently received messages for de-duplication. History is
// always empty. Selected with Config.Store = "lean".
type leanStore struct {
	mu     sync.Mutex
	lastID int64
	sends  map[int64]*client.Message // own sends by local id
	byCID  map[string]int64
	byUID  map[string]int64 // own sends and recently received messages
	recent [recentUIDs]string
	next   int
	// committed holds the ids of the latest committed own sends; an older
	// committed one is forgotten (a run's maps would otherwise grow by
	// every message sent, and the engine asks only about recent ones).
	committed [recentSends]int64
	nextSent  int
	states    map[client.Conversation]*client.ConversationState
	meta      map[string][]byte
}

const (
	recentUIDs  = 256
	recentSends = 256
)

var _ client.Store = (*leanStore)(nil)

func newLeanStore() *leanStore {
	return &leanStore{
		sends:  map[int64]*client.Message{},
		byCID:  map[string]int64{},
		byUID:  map[string]int64{},
		states: map[client.Conversation]*client.ConversationState{},
		meta:   map[string][]byte{},
	}
}

func (s *leanStore) Apply(ctx context.Context, b *client.Batch) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if b == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var fresh map[*client.Message]int64 // the same new message twice is one record
	for _, m := range b.Messages {
		if m == nil {
			continue
		}
		if m.MessageID == 0 {
			if id, ok := fresh[m]; ok {
				m.MessageID = id
			} else {
				s.lastID++
				m.MessageID = s.lastID
				if fresh == nil {
					fresh = map[*client.Message]int64{}
				}
				fresh[m] = m.MessageID
			}
		}
		if m.Direction == client.DirectionSend && m.ClientMsgID != "" {
			old := s.sends[m.MessageID]
			if old != nil && old.MessageUID != "" && old.MessageUID != m.MessageUID {
				delete(s.byUID, old.MessageUID)
			}
			if m.SentStatus >= client.StatusSent && (old == nil || old.SentStatus < client.StatusSent) {
				s.forgetOldestSent(m.MessageID)
			}
			s.sends[m.MessageID] = m.Clone()
			if _, ok := s.byCID[m.ClientMsgID]; !ok {
				s.byCID[m.ClientMsgID] = m.MessageID
			}
			if m.MessageUID != "" {
				s.byUID[m.MessageUID] = m.MessageID
			}
			continue
		}
		if m.MessageUID == "" {
			continue
		}
		if _, ok := s.byUID[m.MessageUID]; ok {
			continue
		}
		// A received message: remember only its id, and only lately.
		if old := s.recent[s.next]; old != "" {
			if id, ok := s.byUID[old]; ok && s.sends[id] == nil {
				delete(s.byUID, old)
			}
		}
		s.recent[s.next] = m.MessageUID
		s.next = (s.next + 1) % recentUIDs
		s.byUID[m.MessageUID] = m.MessageID
	}
	for _, cs := range b.Conversations {
		if cs != nil {
			c := *cs
			c.Requests = slices.Clone(cs.Requests)
			s.states[c.Conversation] = &c
		}
	}
	for k, v := range b.Meta {
		if v == nil {
			delete(s.meta, k)
		} else {
			s.meta[k] = append([]byte(nil), v...)
		}
	}
	return nil
}

// forgetOldestSent records id as committed, forgetting the committed send
// it takes the place of.
func (s *leanStore) forgetOldestSent(id int64) {
	if old := s.committed[s.nextSent]; old != 0 {
		if m := s.sends[old]; m != nil && m.SentStatus >= client.StatusSent {
			delete(s.sends, old)
			if s.byCID[m.ClientMsgID] == old {
				delete(s.byCID, m.ClientMsgID)
			}
			if m.MessageUID != "" && s.byUID[m.MessageUID] == old {
				delete(s.byUID, m.MessageUID)
			}
		}
	}
	s.committed[s.nextSent] = id
	s.nextSent = (s.nextSent + 1) % recentSends
}

func (s *leanStore) MessagesByID(ctx context.Context, ids []int64) ([]*client.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*client.Message, len(ids))
	for i, id := range ids {
		if m := s.sends[id]; m != nil {
			out[i] = m.Clone()
		}
	}
	return out, nil
}

func (s *leanStore) MessagesByUID(ctx context.Context, uids []string) ([]*client.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*client.Message, len(uids))
	for i, u := range uids {
		id, ok := s.byUID[u]
		if !ok || u == "" {
			continue
		}
		if m := s.sends[id]; m != nil {
			out[i] = m.Clone()
		} else {
			out[i] = &client.Message{MessageID: id, MessageUID: u, Direction: client.DirectionReceive}
		}
	}
	return out, nil
}

func (s *leanStore) MessageByClientID(ctx context.Context, clientMsgID string) (*client.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.byCID[clientMsgID]; ok {
		return s.sends[id].Clone(), nil
	}
	return nil, nil
}

func (s *leanStore) History(context.Context, client.Conversation, int64, int, bool) ([]*client.Message, error) {
	return []*client.Message{}, nil
}

func (s *leanStore) Conversations(ctx context.Context) ([]*client.ConversationState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*client.ConversationState, 0, len(s.states))
	for _, cs := range s.states {
		c := *cs
		c.Requests = slices.Clone(cs.Requests)
		out = append(out, &c)
	}
	return out, nil
}

func (s *leanStore) Meta(ctx context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.meta[key]; ok {
		return append([]byte(nil), v...), nil
	}
	return nil, nil
}

func (s *leanStore) Pending(ctx context.Context) ([]*client.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*client.Message
	for _, m := range s.sends {
		if m.SentStatus == client.StatusSending {
			out = append(out, m.Clone())
		}
	}
	return out, nil
}
