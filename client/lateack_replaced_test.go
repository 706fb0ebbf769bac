package client

import (
	"testing"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
)

// The app's backend replaced a message before it was stored (the
// before-send webhook: SendAck.replaced with the stored object name and
// content). A late ack (applyLateAck) applies it as an ack in time does
// (applyReplaced in SendMessage): the sender's record holds what everyone
// else sees.
func TestLateAckTakesTheReplacedContent(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.SendTimeout = 30 * time.Millisecond })
	c := h.connect(nil)
	f, req, res := h.send(c, bob, SendOptions{})
	m, err := result(t, res)
	wantCode(t, err, codes.MsgRespTimeout)
	ack := sendAck(req, 1)
	ack.SendAck.Replaced, ack.SendAck.ObjectName, ack.SendAck.Content = true, "RC:TxtMsg", []byte(`{"content":"***"}`)
	c.reply(f, ack)
	h.barrier(c)
	s := h.store.byID(m.MessageID)
	if s == nil || s.SentStatus != StatusSent {
		t.Fatalf("record %+v", s)
	}
	if string(s.Content) != `{"content":"***"}` {
		t.Fatalf("after a late ack the record holds %s, the server stored (and everyone else sees) %s", s.Content, ack.SendAck.Content)
	}
}
