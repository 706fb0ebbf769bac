package storetest

import (
	"cmp"
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/imwasm/imwasm/client"
)

// store is the store under test with helpers that fail the test on errors.
type store struct {
	t   *testing.T
	s   client.Store
	ctx context.Context
}

var (
	alice   = client.Conversation{Type: client.Private, TargetID: "alice"}
	bob     = client.Conversation{Type: client.Private, TargetID: "bob"}
	group   = client.Conversation{Type: client.Group, TargetID: "g1"}
	channel = client.Conversation{Type: client.Group, TargetID: "g1", ChannelID: "ch"}
)

// received is a message from someone else, as the engine stores it.
func received(c client.Conversation, uid string, seq uint64, sent int64) *client.Message {
	return &client.Message{
		Conversation: c, MessageUID: uid, ClientMsgID: "their-" + uid, Seq: seq, SenderUserID: "carol",
		ObjectName: "RC:TxtMsg", Content: []byte(`{"content":"` + uid + `"}`), Direction: client.DirectionReceive,
		SentTime: sent, ReceivedTime: sent + 5, SentStatus: client.StatusSent, IsPersisted: true, IsCounted: true,
	}
}

// sending is one of this user's sends before its answer.
func sending(c client.Conversation, cid string, receivedAt int64) *client.Message {
	return &client.Message{
		Conversation: c, ClientMsgID: cid, SenderUserID: "me", ObjectName: "RC:TxtMsg",
		Content: []byte(`{"content":"` + cid + `"}`), Direction: client.DirectionSend, ReceivedTime: receivedAt,
		SentStatus: client.StatusSending, IsRead: true, IsPersisted: true, IsCounted: true,
	}
}

// full is a message with every field set.
func full(c client.Conversation, uid string) *client.Message {
	return &client.Message{
		Conversation: c, MessageUID: uid, ClientMsgID: "cid-" + uid, Seq: 7,
		SenderUserID: "carol", ObjectName: "RC:ImgMsg", Content: []byte(`{"imageUri":"u"}`),
		Direction: client.DirectionReceive, SentTime: 1700000000000, ReceivedTime: 1700000000005, SentStatus: client.StatusRead,
		IsOffline: true, IsRead: true, IsPersisted: true, IsCounted: true, IsStatus: false, IsMentioned: true,
		MentionedInfo:       &client.MentionedInfo{Type: client.MentionSingle, UserIDs: []string{"me", "dave"}, Content: "@me"},
		DisableNotification: true, PushContent: "push", PushData: "data", PushConfig: []byte(`{"x":1}`),
		DirectedUserIDs: []string{"me", "dave"}, CanIncludeExpansion: true, Expansion: map[string]string{"k": "v", "k2": "v2"},
		NeedReceipt: true, DeliveryReceipt: true,
		Receipt: &client.ReceiptInfo{IsRequest: true, HasRespond: true, Readers: []client.Reader{{UserID: "dave", Time: 9}}, ReadCount: 1, TotalCount: 4},
	}
}

func (s *store) apply(b *client.Batch) {
	s.t.Helper()
	if err := s.s.Apply(s.ctx, b); err != nil {
		s.t.Fatalf("Apply: %v", err)
	}
}

func (s *store) put(ms ...*client.Message) {
	s.t.Helper()
	s.apply(&client.Batch{Messages: ms})
}

func (s *store) byID(ids ...int64) []*client.Message {
	s.t.Helper()
	ms, err := s.s.MessagesByID(s.ctx, ids)
	if err != nil {
		s.t.Fatalf("MessagesByID: %v", err)
	}
	if len(ms) != len(ids) {
		s.t.Fatalf("MessagesByID returned %d for %d ids", len(ms), len(ids))
	}
	return ms
}

func (s *store) byUID(uids ...string) []*client.Message {
	s.t.Helper()
	ms, err := s.s.MessagesByUID(s.ctx, uids)
	if err != nil {
		s.t.Fatalf("MessagesByUID: %v", err)
	}
	if len(ms) != len(uids) {
		s.t.Fatalf("MessagesByUID returned %d for %d uids", len(ms), len(uids))
	}
	return ms
}

func (s *store) byCID(cid string) *client.Message {
	s.t.Helper()
	m, err := s.s.MessageByClientID(s.ctx, cid)
	if err != nil {
		s.t.Fatalf("MessageByClientID: %v", err)
	}
	return m
}

func (s *store) history(c client.Conversation, at int64, count int, forward bool) []*client.Message {
	s.t.Helper()
	ms, err := s.s.History(s.ctx, c, at, count, forward)
	if err != nil {
		s.t.Fatalf("History: %v", err)
	}
	return ms
}

// historyUIDs is History as server ids (client ids for messages without one).
func (s *store) historyUIDs(c client.Conversation, at int64, count int, forward bool) []string {
	s.t.Helper()
	return ids(s.history(c, at, count, forward))
}

func ids(ms []*client.Message) []string {
	out := []string{}
	for _, m := range ms {
		if m.MessageUID != "" {
			out = append(out, m.MessageUID)
		} else {
			out = append(out, m.ClientMsgID)
		}
	}
	return out
}

// all is every message of c in history order.
func (s *store) all(c client.Conversation) []string {
	s.t.Helper()
	return s.historyUIDs(c, 0, 1000, true)
}

func (s *store) pending() []*client.Message {
	s.t.Helper()
	ms, err := s.s.Pending(s.ctx)
	if err != nil {
		s.t.Fatalf("Pending: %v", err)
	}
	slices.SortFunc(ms, func(a, b *client.Message) int { return cmp.Compare(a.MessageID, b.MessageID) })
	return ms
}

// cursors returns the conversation states by conversation key.
func (s *store) cursors() []*client.ConversationState {
	s.t.Helper()
	cs, err := s.s.Conversations(s.ctx)
	if err != nil {
		s.t.Fatalf("Conversations: %v", err)
	}
	slices.SortFunc(cs, func(a, b *client.ConversationState) int { return strings.Compare(a.Key(), b.Key()) })
	return cs
}

func (s *store) meta(k string) []byte {
	s.t.Helper()
	v, err := s.s.Meta(s.ctx, k)
	if err != nil {
		s.t.Fatalf("Meta: %v", err)
	}
	return v
}

// normal is m with empty slices and maps as nil, for comparisons.
func normal(m *client.Message) *client.Message {
	if m == nil {
		return nil
	}
	c := m.Clone()
	if len(c.Content) == 0 {
		c.Content = nil
	}
	if len(c.PushConfig) == 0 {
		c.PushConfig = nil
	}
	if len(c.DirectedUserIDs) == 0 {
		c.DirectedUserIDs = nil
	}
	if len(c.Expansion) == 0 {
		c.Expansion = nil
	}
	if c.MentionedInfo != nil && len(c.MentionedInfo.UserIDs) == 0 {
		c.MentionedInfo.UserIDs = nil
	}
	if c.Receipt != nil && len(c.Receipt.Readers) == 0 {
		c.Receipt.Readers = nil
	}
	return c
}

func normalState(st *client.ConversationState) client.ConversationState {
	c := *st
	if len(c.Requests) == 0 {
		c.Requests = nil
	}
	return c
}

// same fails the test unless got is want (as normal compares them).
func (s *store) same(what string, got, want *client.Message) {
	s.t.Helper()
	if g, w := normal(got), normal(want); !reflect.DeepEqual(g, w) {
		s.t.Errorf("%s:\n got %s\nwant %s", what, show(g), show(w))
	}
}

func show(m *client.Message) string {
	if m == nil {
		return "nil"
	}
	c := *m
	return fmt.Sprintf("%+v (mentioned %+v, receipt %+v)", c, c.MentionedInfo, c.Receipt)
}

func (s *store) sameState(what string, got, want *client.ConversationState) {
	s.t.Helper()
	if got == nil || want == nil {
		if got != want {
			s.t.Errorf("%s: got %+v, want %+v", what, got, want)
		}
		return
	}
	if g, w := normalState(got), normalState(want); !reflect.DeepEqual(g, w) {
		s.t.Errorf("%s:\n got %+v\nwant %+v", what, g, w)
	}
}

func equal(a, b []string) bool { return slices.Equal(a, b) }
