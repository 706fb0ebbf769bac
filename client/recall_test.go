package client

import (
	"context"
	"testing"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// Recall markers (sync.go admitFreshLocked, recall.go): an entry of the
// sequence that turns an earlier message into RC:RcNtf in place.

const recallContent = `{"operatorId":"bob"}`

func recallMarker(c Conversation, seq uint64, of string, sender string) *pb.Message {
	w := wire(c, sender, seq)
	w.ObjectName, w.Content, w.RecallOf, w.IsCounted = RecallObjectName, []byte(recallContent), of, false
	return w
}

func TestRecallMarkers(t *testing.T) {
	mentioned := func(seq uint64) *pb.Message {
		w := from(grp, seq)
		w.IsMentioned, w.MentionedInfo = true, &pb.MentionedInfo{Type: MentionAll}
		return w
	}
	tests := []struct {
		name    string
		conv    Conversation
		pushes  [][]*pb.Message
		recalls string // uid that ends up RC:RcNtf
		emitted int    // messages emitted over all
		records int    // stored (markers are not)
		unread  int
		mention bool
	}{
		{"a held message", bob, [][]*pb.Message{{from(bob, 1)}, {recallMarker(bob, 2, uidOf(bob, 1), "bob")}}, uidOf(bob, 1), 2, 1, 0, false},
		{"in the message's own batch", bob, [][]*pb.Message{{from(bob, 1), recallMarker(bob, 2, uidOf(bob, 1), "bob")}}, uidOf(bob, 1), 1, 1, 0, false},
		{"a mention in its own batch", grp, [][]*pb.Message{{mentioned(1), from(grp, 2), recallMarker(grp, 3, uidOf(grp, 1), "carol")}}, uidOf(grp, 1), 2, 2, 1, false},
		{"one of two unread", bob, [][]*pb.Message{{from(bob, 1), from(bob, 2)}, {recallMarker(bob, 3, uidOf(bob, 1), "bob")}}, uidOf(bob, 1), 3, 2, 1, false},
		{"a mention", grp, [][]*pb.Message{{mentioned(1), from(grp, 2)}, {recallMarker(grp, 3, uidOf(grp, 1), "carol")}}, uidOf(grp, 1), 3, 2, 1, false},
		{"one of two mentions", grp, [][]*pb.Message{{mentioned(1), mentioned(2)}, {recallMarker(grp, 3, uidOf(grp, 1), "carol")}}, uidOf(grp, 1), 3, 2, 1, true},
		{"a message never held", bob, [][]*pb.Message{{recallMarker(bob, 1, "elsewhere", "bob")}}, "", 0, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			c := h.connect(nil)
			for _, p := range tt.pushes {
				c.push(p...)
				h.barrier(c) // each push is a batch of its own
			}
			var emitted []*Message
			for _, ev := range h.ev.all(EventMessages) {
				for _, m := range ev.Messages {
					if m.Conversation == tt.conv {
						emitted = append(emitted, m)
					}
				}
			}
			if len(emitted) != tt.emitted {
				t.Fatalf("emitted %d messages, want %d", len(emitted), tt.emitted)
			}
			if tt.recalls != "" {
				var last *Message // the recalled message as last emitted
				for _, m := range emitted {
					if m.MessageUID == tt.recalls {
						last = m
					}
				}
				if last == nil || last.MessageUID != tt.recalls || last.ObjectName != RecallObjectName || string(last.Content) != recallContent || last.IsCounted {
					t.Errorf("emitted last %+v, want the recalled message as RC:RcNtf", last)
				}
				stored := h.store.byUID(tt.recalls)
				if stored.ObjectName != RecallObjectName || stored.MessageID != last.MessageID || stored.IsMentioned || stored.MentionedInfo != nil {
					t.Errorf("stored %+v", stored)
				}
			}
			if n := len(h.store.seqs(tt.conv)); n != tt.records {
				t.Errorf("%d records, want %d", n, tt.records)
			}
			if n := h.e.UnreadCount(tt.conv); n != tt.unread {
				t.Errorf("unread %d, want %d", n, tt.unread)
			}
			if st := h.state(tt.conv); st.Mentioned != tt.mention {
				t.Errorf("mentioned %v, want %v", st.Mentioned, tt.mention)
			}
			if st := h.store.state(tt.conv); st != nil && (st.Unread != tt.unread || st.Mentioned != tt.mention) {
				t.Errorf("stored cursor unread %d mentioned %v", st.Unread, st.Mentioned)
			}
		})
	}
}

func TestRecallMessage(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	sent := h.sendOK(c, grp, 1)
	res := make(chan *Message, 1)
	go func() {
		m, err := h.e.RecallMessage(context.Background(), grp, sent.MessageUID, sent.SentTime, RecallOptions{IsAdmin: true, Extra: "x", PushContent: "p"})
		if err != nil {
			t.Error(err)
		}
		res <- m
	}()
	f, body := next[*pb.Frame_Recall](t, c)
	if r := body.Recall; r.MessageUid != sent.MessageUID || r.SentTime != sent.SentTime || !r.IsAdmin || r.Extra != "x" || r.PushContent != "p" || r.Conv.Target != "g1" {
		t.Errorf("recall request %+v", r)
	}
	marker := recallMarker(grp, 2, sent.MessageUID, me)
	c.reply(f, &pb.Frame_MessageResult{MessageResult: &pb.MessageResult{Message: &pb.Message{
		Uid: sent.MessageUID, ConvType: pb.ConversationType_GROUP, FromUser: me, To: "g1", Seq: 1, SentTime: sent.SentTime,
		ObjectName: RecallObjectName, Content: []byte(recallContent),
	}}})
	m := recv(t, res)
	if m == nil || m.MessageID != sent.MessageID || m.ObjectName != RecallObjectName || string(m.Content) != recallContent {
		t.Fatalf("recalled %+v", m)
	}
	if s := h.store.byID(sent.MessageID); s.ObjectName != RecallObjectName {
		t.Errorf("stored %+v", s)
	}
	// Its marker arrives: applied already, not emitted again.
	c.push(marker)
	h.barrier(c)
	if got := h.emitted(grp); len(got) != 1 {
		t.Errorf("emitted %v, want the recall once", got)
	}
	// Refusals.
	errc := make(chan error, 1)
	go func() {
		_, err := h.e.RecallMessage(context.Background(), grp, "old", 1, RecallOptions{})
		errc <- err
	}()
	f, _ = next[*pb.Frame_Recall](t, c)
	c.fail(f, codes.RecallMessage)
	wantCode(t, recv(t, errc), codes.RecallMessage)
	_, err := h.e.RecallMessage(context.Background(), grp, "", 0, RecallOptions{})
	wantCode(t, err, codes.RecallMessage)
	_, err = h.e.RecallMessage(context.Background(), Conversation{Type: Group}, "m", 0, RecallOptions{})
	wantCode(t, err, codes.InvalidParameterTargetID)
}
