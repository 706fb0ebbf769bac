package client

import (
	"context"
	"math/rand/v2"
	"strconv"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// SendOptions are sendMessage's options the engine acts on; the rest of
// RongIMLib's options travel on the Message itself.
type SendOptions struct {
	// MessageID resends that stored message with its original client id.
	MessageID int64
	// OnSendBefore sees the local message (with its messageId) before the
	// first attempt.
	OnSendBefore func(*Message)
	// Hold stores the message (SENDING) and returns it without sending:
	// the upload helpers hold it while its file uploads, then send it
	// with MessageID and Replace, or turn it FAILED (FailHeld).
	Hold bool
	// Replace, with MessageID, sends the stored message with the given
	// message's type and content (what the upload produced).
	Replace bool
	// ClientMsgID sends under this client message id (NIM's idClient,
	// chosen by the app) instead of a new one: a send of this user's that
	// this device holds under it is resent as MessageID would, and the
	// server answers one it committed (from any device) with the first.
	ClientMsgID string
}

// SendMessage implements RongIMLib's sendMessage: the message is stored
// locally (SENDING) before anything goes out; without an ack within the
// send timeout it turns FAILED and the error (RC_MSG_RESP_TIMEOUT, or
// RC_NET_CHANNEL_INVALID when not connected) comes with the local message.
// The engine never resends by itself; SendOptions.MessageID resends, and the
// server answers a resend of something it committed with the first result.
func (e *Engine) SendMessage(ctx context.Context, m *Message, opts SendOptions) (*Message, error) {
	if err := e.closed(); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, codes.New(codes.InvalidParameter, "message required")
	}
	me := e.UserID()
	if me == "" {
		return nil, codes.New(codes.NetChannelInvalid, "not connected")
	}
	if m.Conversation.Type == Chatroom {
		return e.sendToChatroom(ctx, m, opts)
	}
	if opts.ClientMsgID != "" && opts.MessageID == 0 {
		if !contract.ValidClientMsgID(opts.ClientMsgID) {
			return nil, codes.New(codes.InvalidParameter, "clientMsgId must be 1-64 characters of [A-Za-z0-9_.@-], not beginning rc. rr. ed. ex. kv- (the server's own)")
		}
		held, err := e.cfg.Store.MessageByClientID(ctx, opts.ClientMsgID)
		if err != nil {
			return nil, codes.Wrap(codes.Timeout, "read message", err)
		}
		if held != nil {
			if held.Conversation != m.Conversation {
				return nil, codes.New(codes.InvalidParameter, "clientMsgId names a message of another conversation")
			}
			opts.MessageID = held.MessageID
		}
	}
	var rec *Message
	if opts.MessageID != 0 {
		recs, err := e.cfg.Store.MessagesByID(ctx, []int64{opts.MessageID})
		if err != nil {
			return nil, codes.Wrap(codes.Timeout, "read message", err)
		}
		if len(recs) != 1 || recs[0] == nil || recs[0].Direction != DirectionSend {
			return nil, codes.New(codes.InvalidParameterMessageID, "unknown messageId")
		}
		rec = recs[0]
		if m.Conversation != (Conversation{}) && rec.Conversation != m.Conversation { // (none named: the held one's)
			return nil, codes.New(codes.InvalidParameterMessageID, "messageId names a message of another conversation")
		}
		if rec.SentStatus >= StatusSent {
			return rec, nil // already committed: nothing to resend
		}
		if opts.Replace {
			if err := e.validate(m); err != nil {
				return e.refusedHeld(rec, err)
			}
			rec.ObjectName, rec.Content, rec.IsPersisted, rec.IsCounted = m.ObjectName, m.Content, m.IsPersisted, m.IsCounted
		}
	} else {
		if err := e.validate(m); err != nil {
			return nil, err
		}
		rec = m.Clone()
		rec.MessageID = 0
		rec.ClientMsgID = opts.ClientMsgID
		if rec.ClientMsgID == "" {
			rec.ClientMsgID = newClientID(e.cfg.Now().UnixMilli())
		}
		rec.SenderUserID = me
		rec.Direction = DirectionSend
		rec.MessageUID, rec.Seq, rec.SentTime = "", 0, 0
		rec.ReceivedTime = e.cfg.Now().UnixMilli()
		rec.IsRead = true
		rec.DeliveryReceipt = e.cfg.DeliveryReceipts && rec.Type == Private && !rec.IsStatus
		rec.Receipt = nil
	}
	// What the server would refuse for its size is refused here, before
	// anything is stored.
	req := sendRequest(rec)
	refuse := func(err error) (*Message, error) {
		if opts.MessageID != 0 {
			return e.refusedHeld(rec, err)
		}
		return nil, err
	}
	if err := contract.CheckSend(req, e.maxContentBytes()); err != nil {
		return refuse(err)
	}
	if err := contract.CheckSentType(req.ObjectName); err != nil {
		return refuse(err)
	}
	if !opts.Hold && !e.bucket.AllowN(e.cfg.Now(), 1) {
		return refuse(codes.New(codes.SendFrequencyTooFast, "send frequency too fast"))
	}
	if rec.IsStatus {
		if opts.Hold {
			return nil, codes.New(codes.InvalidParameter, "status messages are not stored")
		}
		return e.sendStatus(ctx, rec, req, opts)
	}
	rec.SentStatus = StatusSending
	if err := e.apply(ctx, &Batch{Messages: []*Message{rec}}); err != nil {
		return nil, codes.Wrap(codes.Timeout, "store message", err)
	}
	e.seqMu.Lock()
	if st := e.convs[rec.Key()]; st != nil {
		st.LastTime = max(st.LastTime, rec.ReceivedTime) // the list orders it first now
	}
	e.seqMu.Unlock()
	if opts.OnSendBefore != nil {
		opts.OnSendBefore(rec.Clone())
	}
	if opts.Hold {
		return rec.Clone(), nil
	}

	ack, err := e.sendOnce(ctx, req)
	if err != nil {
		failed := e.markFailed(rec)
		if failed.SentStatus == StatusSent {
			// The ack was lost but sync brought the committed message
			// back meanwhile: the send did succeed.
			return failed, nil
		}
		return failed, err
	}
	rec.MessageUID, rec.Seq, rec.SentTime, rec.SentStatus = ack.MessageUid, ack.Seq, ack.SentTime, StatusSent
	applyReplaced(rec, ack)
	stored, ok := e.handOff(&inItem{sent: rec, result: make(chan *Message, 1)})
	if !ok {
		return rec, errClosed() // sent, but the store was not told
	}
	return stored, nil
}

// applyReplaced gives rec the content the app's backend replaced its own
// with before it was stored (the before-send webhook).
func applyReplaced(rec *Message, ack *pb.SendAck) {
	if ack.GetReplaced() {
		rec.ObjectName, rec.Content = ack.ObjectName, ack.Content
	}
}

// sendStatus sends a status message: it is not stored, here or on the
// server, and reaches only the sessions online now. A failure is final
// (nothing to resend later).
func (e *Engine) sendStatus(ctx context.Context, rec *Message, req *pb.SendRequest, opts SendOptions) (*Message, error) {
	if opts.OnSendBefore != nil {
		opts.OnSendBefore(rec.Clone())
	}
	ack, err := e.sendOnce(ctx, req)
	if err != nil {
		rec.SentStatus = StatusFailed
		return rec, err
	}
	rec.MessageUID, rec.SentTime, rec.SentStatus = ack.GetMessageUid(), ack.GetSentTime(), StatusSent
	return rec, nil
}

// sendOnce sends req and waits for its SendAck within the send timeout
// (RC_MSG_RESP_TIMEOUT when none comes).
func (e *Engine) sendOnce(ctx context.Context, req *pb.SendRequest) (*pb.SendAck, error) {
	sctx, cancel := context.WithTimeout(ctx, e.cfg.SendTimeout)
	defer cancel()
	r, err := e.request(sctx, &pb.Frame{Body: &pb.Frame_Send{Send: req}})
	if err != nil {
		if sctx.Err() != nil {
			return nil, codes.New(codes.MsgRespTimeout, "no answer in time")
		}
		if _, ok := err.(*codes.Error); ok {
			return nil, err // the server's code and reason, as given
		}
		return nil, codes.Wrap(codes.Of(err), "send", err)
	}
	return r.GetSendAck(), nil
}

// FailHeld turns a held message (see SendOptions.Hold) FAILED: its upload
// failed; it can be sent again by its messageId.
func (e *Engine) FailHeld(ctx context.Context, messageID int64) (*Message, error) {
	if err := e.closed(); err != nil {
		return nil, err
	}
	recs, err := e.cfg.Store.MessagesByID(ctx, []int64{messageID})
	if err != nil {
		return nil, codes.Wrap(codes.Timeout, "read message", err)
	}
	if len(recs) != 1 || recs[0] == nil || recs[0].Direction != DirectionSend {
		return nil, codes.New(codes.InvalidParameterMessageID, "unknown messageId")
	}
	return e.markFailed(recs[0]).Clone(), nil
}

// refusedHeld answers a send of a stored message (by messageId: a held
// upload's, a resend) refused before it went: the message, FAILED if it
// was SENDING (else a held upload's stays SENDING until a reload), and
// the refusal.
func (e *Engine) refusedHeld(rec *Message, err error) (*Message, error) {
	if rec.SentStatus == StatusSending {
		return e.markFailed(rec), err
	}
	return rec.Clone(), err
}

// markFailed turns a SENDING record FAILED through the processor, so a late
// ack that is being applied at the same time wins.
func (e *Engine) markFailed(rec *Message) *Message {
	if m, _ := e.handOff(&inItem{failed: rec.MessageID, result: make(chan *Message, 1)}); m != nil {
		return m
	}
	return rec
}

func (e *Engine) validate(m *Message) error {
	if err := validConversation(m.Conversation); err != nil {
		return err
	}
	if m.ObjectName == "" {
		return codes.New(codes.InvalidParameter, "messageType required")
	}
	return nil
}

// newClientID is time-ordered (cheap for the server's unique index) and
// random enough to never repeat. math/rand/v2's generator is seeded by the
// runtime from the platform's secure source; crypto/rand would add its
// weight to the wasm for nothing more.
func newClientID(ms int64) string {
	return strconv.FormatInt(ms, 36) + "-" + strconv.FormatUint(rand.Uint64(), 36)
}

// LocalHistory returns messages the device holds (see Store.History).
func (e *Engine) LocalHistory(ctx context.Context, c Conversation, t int64, count int, forward bool) ([]*Message, error) {
	if err := e.closed(); err != nil {
		return nil, err
	}
	return e.cfg.Store.History(ctx, c, t, count, forward)
}

// ForwardMessage implements forwardMessage (NetEase's forwardMsg): a new
// message in c with m's type and content, media URLs included. Mentions,
// targeting, expansion and receipt requests stay with the original.
func (e *Engine) ForwardMessage(ctx context.Context, c Conversation, m *Message, opts SendOptions) (*Message, error) {
	if err := e.closed(); err != nil {
		return nil, err
	}
	if m == nil || m.ObjectName == "" {
		return nil, codes.New(codes.InvalidParameter, "message to forward required")
	}
	if m.ObjectName == RecallObjectName {
		return nil, codes.New(codes.InvalidParameter, "a recalled message cannot be forwarded")
	}
	fwd := &Message{
		Conversation: c, ObjectName: m.ObjectName, Content: m.Content,
		IsPersisted: m.IsPersisted, IsCounted: m.IsCounted, IsStatus: m.IsStatus,
	}
	opts.MessageID = 0
	return e.SendMessage(ctx, fwd, opts)
}
