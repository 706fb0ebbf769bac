package client

import (
	"context"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// MaxDelete is how many messages one DeleteMessages may name.
const MaxDelete = contract.MaxPerCall

// DeleteMessages implements deleteMessages: the messages leave this user's
// view, on this device at once and on the user's other devices as they
// sync; everyone else keeps them.
func (e *Engine) DeleteMessages(ctx context.Context, c Conversation, uids []string) error {
	if err := e.closed(); err != nil {
		return err
	}
	if err := validConversation(c); err != nil {
		return err
	}
	if len(uids) == 0 || len(uids) > MaxDelete {
		return codes.New(codes.InvalidParameter, "1-100 messages per call")
	}
	for _, u := range uids {
		if u == "" {
			return codes.New(codes.InvalidParameterMessageUID, "messageUId required")
		}
	}
	if _, err := e.request(ctx, &pb.Frame{Body: &pb.Frame_Delete{Delete: &pb.DeleteRequest{Conv: wireConv(c), MessageUids: uids}}}); err != nil {
		return err
	}
	// This conversation's only, as the server hides them (a uid of
	// another conversation names nothing here).
	held, err := e.cfg.Store.MessagesByUID(ctx, uids)
	if err != nil {
		return codes.Wrap(codes.Timeout, "read messages", err)
	}
	mine := uids[:0:0]
	for _, m := range held {
		if m != nil && m.Conversation == c {
			mine = append(mine, m.MessageUID)
		}
	}
	if len(mine) == 0 {
		return nil
	}
	return e.applyLocal(&inItem{deleteUIDs: mine, deleteConv: c})
}

// ClearHistory implements clearHistoryMessages: every message of c sent at
// or before t (0: now) leaves this user's view, on all their devices.
func (e *Engine) ClearHistory(ctx context.Context, c Conversation, t int64) error {
	if err := e.closed(); err != nil {
		return err
	}
	if err := validConversation(c); err != nil {
		return err
	}
	if t < 0 {
		return codes.New(codes.InvalidParameter, "timestamp must not be negative")
	}
	if t == 0 {
		// Everything sent so far: a point among the server's sent times,
		// so on their (real) clock, not the engine's Config.Now.
		t = time.Now().UnixMilli()
	}
	if _, err := e.request(ctx, &pb.Frame{Body: &pb.Frame_ClearHistory{ClearHistory: &pb.ClearHistoryRequest{Conv: wireConv(c), Timestamp: t}}}); err != nil {
		return err
	}
	return e.applyLocal(&inItem{clears: []Clear{{Conversation: c, Before: t}}})
}

// applyLocal runs it through the processor and waits for it to land.
func (e *Engine) applyLocal(it *inItem) error {
	return e.submit(context.Background(), it)
}

// ClearLocal deletes this device's copies of c's messages sent at or before t
// (math.MaxInt64: all of them): RongIMLib's clearMessages and
// deleteLocalMessagesByTimestamp. The server and the user's other devices
// keep theirs, so the remote history still has them.
func (e *Engine) ClearLocal(c Conversation, t int64) error {
	if err := e.closed(); err != nil {
		return err
	}
	if err := validConversation(c); err != nil {
		return err
	}
	if t <= 0 {
		return codes.New(codes.InvalidParameter, "timestamp must be positive")
	}
	return e.applyLocal(&inItem{clears: []Clear{{Conversation: c, Before: t}}})
}
