package client

import (
	"context"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// MaxHistory is the largest history page (RongIMLib's 100; beyond it
// INVALID_PARAMETER_COUNT).
const MaxHistory = contract.MaxPerCall

// History orders (RongIMLib's order option).
const (
	OrderOlder = 0 // older than the timestamp, newest first
	OrderNewer = 1 // newer than the timestamp, oldest first
)

func checkHistoryArgs(c Conversation, count, order int) error {
	if c.Type == Chatroom {
		// The server's history of a room the device is in (the device
		// keeps none).
		if !contract.ValidID(c.TargetID) {
			return codes.New(codes.InvalidParameterTargetID, "invalid targetId")
		}
	} else if err := validConversation(c); err != nil {
		return err
	}
	if count < 1 || count > MaxHistory {
		return codes.New(codes.InvalidParameterCount, "count must be 1-100")
	}
	if order != OrderOlder && order != OrderNewer {
		return codes.New(codes.InvalidParameter, "order must be 0 or 1")
	}
	return nil
}

// RemoteHistory implements getRemoteHistoryMessages: a page of the
// server's history of c by sent time (timestamp exclusive; 0 starts at the
// newest for OrderOlder, the oldest for OrderNewer). Messages this device
// holds come back as held (with their messageId and local state).
func (e *Engine) RemoteHistory(ctx context.Context, c Conversation, timestamp int64, count, order int) ([]*Message, bool, error) {
	ms, more, _, err := e.RemoteHistoryWhere(ctx, c, HistoryQuery{Timestamp: timestamp, Count: count, Order: order})
	return ms, more, err
}

// HistoryQuery is a page of the server's history, maybe narrowed.
type HistoryQuery struct {
	Timestamp    int64 // exclusive; 0: from the newest (OrderOlder) or the oldest (OrderNewer)
	Count, Order int
	// ObjectNames keeps messages of these types only (at most 20), Sender
	// those of this user, and none lies past Bound, the far end's time
	// (inclusive; 0 none): Easemob's searchOptions, NIM's msgTypes and
	// beginTime/endTime. A narrowed page may come back short with more
	// (the server examines a few thousand messages a page).
	ObjectNames []string
	Sender      string
	Bound       int64
}

// RemoteHistoryWhere is RemoteHistory narrowed by q; next is the
// timestamp the page after it starts from.
func (e *Engine) RemoteHistoryWhere(ctx context.Context, c Conversation, q HistoryQuery) (ms []*Message, more bool, next int64, err error) {
	if err := e.closed(); err != nil {
		return nil, false, 0, err
	}
	if err := checkHistoryArgs(c, q.Count, q.Order); err != nil {
		return nil, false, 0, err
	}
	if q.Timestamp < 0 || q.Bound < 0 || len(q.ObjectNames) > 20 || q.Sender != "" && !contract.ValidID(q.Sender) {
		return nil, false, 0, codes.New(codes.InvalidParameter, "timestamp and bound not negative, at most 20 message types, a valid sender")
	}
	for _, o := range q.ObjectNames {
		if o == "" || len(o) > contract.MaxIDBytes {
			return nil, false, 0, codes.New(codes.InvalidParameter, "message types of 1-64 bytes")
		}
	}
	r, err := e.request(ctx, &pb.Frame{Body: &pb.Frame_History{History: &pb.HistoryRequest{
		Conv: wireConv(c), Timestamp: q.Timestamp, Count: uint32(q.Count), Order: uint32(q.Order),
		ObjectNames: q.ObjectNames, Sender: q.Sender, Bound: q.Bound,
	}}})
	if err != nil {
		return nil, false, 0, err
	}
	res := r.GetHistoryResult()
	me := e.UserID()
	ws := res.GetMessages()
	uids := make([]string, len(ws))
	for i, w := range ws {
		uids[i] = w.Uid
	}
	held, err := e.cfg.Store.MessagesByUID(ctx, uids)
	if err != nil || len(held) != len(ws) {
		held = make([]*Message, len(ws))
	}
	e.seqMu.Lock()
	st := e.convs[c.Key()]
	var readSeq uint64
	if st != nil {
		readSeq = st.ReadSeq
	}
	e.seqMu.Unlock()
	out := make([]*Message, len(ws))
	for i, w := range ws {
		if held[i] != nil {
			out[i] = held[i]
			if readByWatermark(held[i], readSeq) {
				held[i].IsRead = true // as GetHistory shows it
			}
			continue
		}
		m := fromWire(me, w)
		m.IsRead = m.Direction == DirectionSend || w.Seq <= readSeq
		out[i] = m
	}
	return out, res.GetHasMore(), res.GetNextTimestamp(), nil
}

// GetHistory implements getHistoryMessages: from the device's store first,
// and from the server for what lies below what the device holds (a new
// device holds only the server's window). Offline, it returns what the
// device holds, with hasMore true when the server may have more. A
// received message at or below the user's read watermark is read
// (IsRead), wherever the user read it.
func (e *Engine) GetHistory(ctx context.Context, c Conversation, timestamp int64, count, order int) ([]*Message, bool, error) {
	ms, more, err := e.history(ctx, c, timestamp, count, order)
	e.seqMu.Lock()
	var readSeq uint64
	if st := e.convs[c.Key()]; st != nil {
		readSeq = st.ReadSeq
	}
	e.seqMu.Unlock()
	for _, m := range ms {
		if readByWatermark(m, readSeq) {
			m.IsRead = true
		}
	}
	return ms, more, err
}

func (e *Engine) history(ctx context.Context, c Conversation, timestamp int64, count, order int) ([]*Message, bool, error) {
	if err := e.closed(); err != nil {
		return nil, false, err
	}
	if err := checkHistoryArgs(c, count, order); err != nil {
		return nil, false, err
	}
	// A conversation the device has no state for yet (asked before the
	// first sync ends, or one the device never heard of) may have history
	// on the server: only a known one whose first message is held is
	// whole here.
	e.seqMu.Lock()
	holdsAll := false
	if st := e.convs[c.Key()]; st != nil {
		// From the beginning, and something held unless there is nothing
		// (a state made by a setting before the pull holds nothing yet).
		holdsAll = st.HeldFrom <= 1 && (st.Contiguous > 0 || st.LastSeq == 0)
	}
	e.seqMu.Unlock()

	if order == OrderNewer {
		if !holdsAll {
			oldest, err := e.cfg.Store.History(ctx, c, 0, 1, true)
			if err != nil {
				return nil, false, codes.Wrap(codes.Timeout, "read history", err)
			}
			if len(oldest) == 0 || timestamp < placeOf(oldest[0]) {
				// The page starts below what the device holds.
				return e.RemoteHistory(ctx, c, timestamp, count, order)
			}
		}
		local, err := e.cfg.Store.History(ctx, c, timestamp, count+1, true)
		if err != nil {
			return nil, false, codes.Wrap(codes.Timeout, "read history", err)
		}
		if len(local) > count {
			return local[:count], true, nil
		}
		return local, false, nil
	}

	local, err := e.cfg.Store.History(ctx, c, timestamp, count+1, false)
	if err != nil {
		return nil, false, codes.Wrap(codes.Timeout, "read history", err)
	}
	if len(local) > count {
		return local[:count], true, nil
	}
	if holdsAll {
		return local, false, nil
	}
	if len(local) == count {
		return local, true, nil // the server has what lies below
	}
	// Below the oldest held message the server has (a send not answered
	// yet has no sent time of the server's: it places nothing there).
	from := timestamp
	for i := len(local) - 1; i >= 0; i-- {
		if local[i].SentTime != 0 {
			from = local[i].SentTime
			break
		}
	}
	remote, more, err := e.RemoteHistory(ctx, c, from, count-len(local), OrderOlder)
	if err != nil {
		return local, true, nil // offline: what is here, and more may follow
	}
	return append(local, remote...), more, nil
}

// LocalMessage is the message this device holds by local id (RongIMLib's
// getMessage), or nil.
func (e *Engine) LocalMessage(ctx context.Context, id int64) (*Message, error) {
	return e.localMessage(func() ([]*Message, error) { return e.cfg.Store.MessagesByID(ctx, []int64{id}) })
}

// LocalMessageByUID is the message this device holds by server id, or nil.
func (e *Engine) LocalMessageByUID(ctx context.Context, uid string) (*Message, error) {
	return e.localMessage(func() ([]*Message, error) { return e.cfg.Store.MessagesByUID(ctx, []string{uid}) })
}

func (e *Engine) localMessage(read func() ([]*Message, error)) (*Message, error) {
	if err := e.closed(); err != nil {
		return nil, err
	}
	ms, err := read()
	if err != nil {
		return nil, codes.Wrap(codes.Timeout, "read message", err)
	}
	if len(ms) != 1 {
		return nil, nil
	}
	return ms[0], nil
}

// LocalMessagesByUID implements getMessagesByUIds: the messages of c this
// device holds among uids (1-100), nil where it holds none.
func (e *Engine) LocalMessagesByUID(ctx context.Context, c Conversation, uids []string) ([]*Message, error) {
	if err := e.checkMessagesCall(c, uids); err != nil {
		return nil, err
	}
	ms, err := e.cfg.Store.MessagesByUID(ctx, uids)
	if err != nil {
		return nil, codes.Wrap(codes.Timeout, "read messages", err)
	}
	for i, m := range ms {
		if m != nil && m.Conversation != c {
			ms[i] = nil // another conversation's: not this one's to give
		}
	}
	return ms, nil
}

// RongIMLib's ReceivedStatus bits.
const (
	ReceivedRead       = 1
	ReceivedListened   = 2
	ReceivedDownloaded = 4
	ReceivedRetrieved  = 8
)

// receivedSet is a setMessageReceivedStatus to apply.
type receivedSet struct {
	id     int64
	status int32
}

// SetReceivedStatus implements setMessageReceivedStatus: the received
// status (ReceivedStatus bits) of the message this device holds by local
// id, on this device.
func (e *Engine) SetReceivedStatus(ctx context.Context, id int64, status int32) error {
	if status < 0 || status > ReceivedRead|ReceivedListened|ReceivedDownloaded|ReceivedRetrieved {
		return codes.New(codes.InvalidParameter, "receivedStatus: ReceivedStatus bits (0-15)")
	}
	m, err := e.LocalMessage(ctx, id)
	if err != nil {
		return err
	}
	if m == nil {
		return codes.New(codes.DBDataNotFound, "no such message on this device")
	}
	return e.applyLocal(&inItem{received: &receivedSet{id: id, status: status}})
}

// applyReceivedLocked applies rs to the batch (the processor's).
func (e *Engine) applyReceivedLocked(ctx context.Context, bs *batchState, rs *receivedSet) {
	m, ok := bs.byID[rs.id]
	if !ok {
		ms, err := e.cfg.Store.MessagesByID(ctx, []int64{rs.id})
		if err != nil || len(ms) != 1 || ms[0] == nil {
			return // gone since it was checked
		}
		m = ms[0]
	}
	m.IsRead = rs.status&ReceivedRead != 0
	m.ReceivedFlags = rs.status &^ ReceivedRead
	bs.put(m)
}
