package client

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// Receipts on the device (receipts.go): entries of the user's log (read
// watermarks, delivery, receipt updates, receipts answered elsewhere) and
// receipt request markers in a group's sequence.

// logger hands out the user log's next entries.
type logger struct{ seq uint64 }

func (l *logger) entry(e *pb.LogEntry) *pb.Message {
	l.seq++
	return logEntry(l.seq, e)
}

// sendOK sends a text to conv and answers it with seq.
func (h *harness) sendOK(c *fakeConn, conv Conversation, seq uint64) *Message {
	h.t.Helper()
	f, req, res := h.send(c, conv, SendOptions{})
	c.reply(f, sendAck(req, seq))
	m, err := result(h.t, res)
	if err != nil {
		h.t.Fatal(err)
	}
	return m
}

func TestReadWatermarkFromAnotherDevice(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	var log logger
	c.push(from(bob, 1), from(bob, 2), from(bob, 3))
	h.messages()
	if n := h.e.UnreadCount(bob); n != 3 {
		t.Fatalf("unread %d", n)
	}
	readTime := baseTime + 2000
	c.push(log.entry(&pb.LogEntry{Conv: wconv(bob), ReadBy: me, ReadSeq: 2, ReadUid: uidOf(bob, 2), ReadTime: readTime}))
	ev := h.ev.next(t, EventSyncRead, nil)
	if ev.Receipt.Conversation != bob || ev.Receipt.SentTime != readTime {
		t.Errorf("SYNC_READ_STATUS %+v", ev.Receipt)
	}
	conv := h.ev.next(t, EventConversations, func(ev Event) bool { return ev.Conversations[0].UnreadCount == 1 })
	if ci := conv.Conversations[0]; ci.Conversation != bob || ci.Latest == nil || ci.Latest.Seq != 3 {
		t.Errorf("CONVERSATION %+v", ci)
	}
	if n := h.e.UnreadCount(bob); n != 1 {
		t.Errorf("unread %d, want 1", n)
	}
	if st := h.store.state(bob); st == nil || st.ReadSeq != 2 || st.Unread != 1 {
		t.Errorf("stored cursor %+v", st)
	}
	// The same watermark again, or an older one, tells nothing new.
	c.push(log.entry(&pb.LogEntry{Conv: wconv(bob), ReadBy: me, ReadSeq: 2}), log.entry(&pb.LogEntry{Conv: wconv(bob), ReadBy: me, ReadSeq: 1}))
	h.barrier(c)
	if n := len(h.ev.all(EventSyncRead)); n != 1 {
		t.Errorf("%d SYNC_READ_STATUS events, want 1", n)
	}
	if st := h.state(bob); st.ReadSeq != 2 {
		t.Errorf("read watermark moved back to %d", st.ReadSeq)
	}
}

func TestOwnReadIsNotReportedBack(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	var log logger
	c.push(from(bob, 1), from(bob, 2), from(bob, 3))
	h.messages()
	done := make(chan error, 1)
	go func() { done <- h.e.MarkRead(context.Background(), bob, 0) }()
	f, read := next[*pb.Frame_Read](t, c)
	if read.Read.Conv.Target != "bob" || read.Read.Seq != 3 || read.Read.MessageUid != "" { // the latest it holds, named
		t.Errorf("read request %+v", read.Read)
	}
	// The server's log entry for this read can come before its answer.
	c.push(log.entry(&pb.LogEntry{Conv: wconv(bob), ReadBy: me, ReadSeq: 3}))
	h.barrier(c)
	c.ok(f)
	if err := recv(t, done); err != nil {
		t.Fatal(err)
	}
	if n := h.e.UnreadCount(bob); n != 0 {
		t.Errorf("unread %d after MarkRead", n)
	}
	h.barrier(c)
	if evs := h.ev.all(EventSyncRead); len(evs) != 0 {
		t.Errorf("this device's own read reported back: %+v", evs[0].Receipt)
	}
	if st := h.state(bob); st.ReadSeq != 3 {
		t.Errorf("read up to %d", st.ReadSeq)
	}
}

// A read receipt tells the peer and nothing more: this user's unread
// count and read watermark stay (RongIMLib keeps the two apart).
func TestSendReadReceipt(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	c.push(from(bob, 1), from(bob, 2), from(bob, 3))
	h.messages()
	done := make(chan error, 1)
	go func() { done <- h.e.SendReadReceipt(context.Background(), bob, uidOf(bob, 2)) }()
	f, read := next[*pb.Frame_Read](t, c)
	if r := read.Read; r.MessageUid != uidOf(bob, 2) || !r.Receipt || r.Seq != 0 {
		t.Errorf("read request %+v: want a receipt for message 2", r)
	}
	c.ok(f)
	if err := recv(t, done); err != nil {
		t.Fatal(err)
	}
	h.barrier(c)
	if n, st := h.e.UnreadCount(bob), h.state(bob); n != 3 || st.ReadSeq != 0 {
		t.Errorf("after a receipt: unread %d, cursor %+v; want 3 unread, nothing read", n, st)
	}
	if evs := h.ev.all(EventSyncRead); len(evs) != 0 {
		t.Errorf("a receipt reported as this user's read: %+v", evs[0].Receipt)
	}
	// Group chats, and no message: refused here, nothing sent.
	wantCode(t, h.e.SendReadReceipt(context.Background(), Conversation{Type: Group, TargetID: "g"}, uidOf(bob, 2)), codes.InvalidParameterConversationType)
	wantCode(t, h.e.SendReadReceipt(context.Background(), bob, ""), codes.InvalidParameterMessageUID)
	// A refusal (receipts off: 26314) is returned.
	go func() { done <- h.e.SendReadReceipt(context.Background(), bob, uidOf(bob, 3)) }()
	f, _ = next[*pb.Frame_Read](t, c)
	c.fail(f, codes.RRSV5Unavailable)
	wantCode(t, recv(t, done), codes.RRSV5Unavailable)
}

func TestPeerReadReceipt(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	var log logger
	var sent []*Message
	for seq := uint64(1); seq <= 3; seq++ {
		sent = append(sent, h.sendOK(c, bob, seq))
	}
	readTime := sent[1].SentTime
	c.push(log.entry(&pb.LogEntry{Conv: wconv(bob), ReadBy: "bob", ReadSeq: 2, ReadUid: sent[1].MessageUID, ReadTime: readTime}))
	ev := h.ev.next(t, EventReadReceipt, nil)
	if r := ev.Receipt; r.Conversation != bob || r.MessageUID != sent[1].MessageUID || r.UserID != "bob" || r.SentTime != readTime {
		t.Errorf("READ_RECEIPT_RECEIVED %+v", r)
	}
	for i, want := range []int32{StatusRead, StatusRead, StatusSent} {
		if got := h.store.byID(sent[i].MessageID).SentStatus; got != want {
			t.Errorf("message %d: status %d, want %d", i+1, got, want)
		}
	}
	if st := h.state(bob); st.PeerReadSeq != 2 {
		t.Errorf("peer read %d", st.PeerReadSeq)
	}
	c.push(log.entry(&pb.LogEntry{Conv: wconv(bob), ReadBy: "bob", ReadSeq: 2, ReadTime: readTime}))
	h.barrier(c)
	if n := len(h.ev.all(EventReadReceipt)); n != 1 {
		t.Errorf("%d READ_RECEIPT_RECEIVED events, want 1", n)
	}
	// Another device's send, arriving after the peer read it, is READ too.
	mine := wire(bob, me, 4)
	mine.SentTime = readTime - 1
	c.push(log.entry(&pb.LogEntry{Conv: wconv(bob), ReadBy: "bob", ReadSeq: 4, ReadTime: mine.SentTime + 1}))
	h.barrier(c)
	c.push(mine)
	if got := h.messages(); got[0].SentStatus != StatusRead || got[0].Direction != DirectionSend {
		t.Errorf("another device's send read by the peer: %+v", got[0])
	}
}

func TestDeliveryReceipt(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	var log logger
	m1, m2 := h.sendOK(c, bob, 1), h.sendOK(c, bob, 2)
	c.push(log.entry(&pb.LogEntry{Conv: wconv(bob), ReadBy: "bob", ReadSeq: 1, ReadTime: m1.SentTime}))
	h.ev.next(t, EventReadReceipt, nil)
	c.push(log.entry(&pb.LogEntry{Conv: wconv(bob), DeliveredTo: "bob", DeliveredSeq: 2,
		DeliveredUids: []string{m1.MessageUID, m2.MessageUID}, DeliveredTime: 1234}))
	ev := h.ev.next(t, EventDelivered, nil)
	if r := ev.Receipt; r.Conversation != bob || r.UserID != "bob" || r.Time != 1234 || !slices.Equal(r.MessageUIDs, []string{m1.MessageUID, m2.MessageUID}) {
		t.Errorf("MESSAGE_DELIVERED %+v", r)
	}
	if got := h.store.byID(m2.MessageID).SentStatus; got != StatusReceived {
		t.Errorf("delivered message %d, want RECEIVED", got)
	}
	if got := h.store.byID(m1.MessageID).SentStatus; got != StatusRead {
		t.Errorf("a read message turned %d by a delivery receipt", got)
	}
	if st := h.state(bob); st.PeerDeliveredSeq != 2 {
		t.Errorf("peer delivered %d", st.PeerDeliveredSeq)
	}
}

func TestReceiptUpdates(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	var log logger
	m := h.sendOK(c, grp, 1)
	c.push(log.entry(&pb.LogEntry{Conv: wconv(grp), Receipts: []*pb.ReceiptUpdate{
		{MessageUid: m.MessageUID, Readers: []*pb.Reader{{UserId: "carol", Time: 10}}, ReadCount: 1, TotalCount: 3},
	}}))
	ev := h.ev.next(t, EventReceiptResponse, nil)
	if r := ev.Receipt; r.Conversation != grp || r.UserID != "carol" || !slices.Equal(r.MessageUIDs, []string{m.MessageUID}) {
		t.Errorf("MESSAGE_RECEIPT_RESPONSE %+v", r)
	}
	v5 := h.ev.next(t, EventReceiptResponseV5, nil).Receipt.Counts
	if len(v5) != 1 || v5[0].MessageUID != m.MessageUID || v5[0].ReadCount != 1 || v5[0].TotalCount != 3 || len(v5[0].Users) != 1 {
		t.Errorf("MESSAGE_RECEIPT_RESPONSE_V5 %+v", v5)
	}
	// Two more readers, one of them already known; and a message not held.
	c.push(log.entry(&pb.LogEntry{Conv: wconv(grp), Receipts: []*pb.ReceiptUpdate{
		{MessageUid: m.MessageUID, Readers: []*pb.Reader{{UserId: "dave", Time: 20}, {UserId: "carol", Time: 10}}, ReadCount: 2, TotalCount: 3},
		{MessageUid: "not-held", Readers: []*pb.Reader{{UserId: "dave", Time: 20}}, ReadCount: 1, TotalCount: 3},
	}}))
	dave := h.ev.next(t, EventReceiptResponse, nil).Receipt
	carolAgain := h.ev.next(t, EventReceiptResponse, nil).Receipt
	if dave.UserID != "dave" || !slices.Equal(dave.MessageUIDs, []string{m.MessageUID, "not-held"}) || carolAgain.UserID != "carol" {
		t.Errorf("responses %+v %+v: one per reader, in order", dave, carolAgain)
	}
	if v5 := h.ev.next(t, EventReceiptResponseV5, nil).Receipt.Counts; len(v5) != 2 {
		t.Errorf("V5 counts %+v", v5)
	}
	rc := h.store.byID(m.MessageID).Receipt
	if rc == nil || rc.ReadCount != 2 || rc.TotalCount != 3 || len(rc.Readers) != 2 || rc.Readers[0].UserID != "carol" || rc.Readers[1].UserID != "dave" {
		t.Errorf("stored receipt %+v", rc)
	}
}

// marker is a receipt request for uid in conv, asked by sender at sentTime.
func requestMarker(conv Conversation, seq uint64, uid, sender string, sentTime int64) *pb.Message {
	w := wire(conv, sender, seq)
	w.ObjectName, w.Content, w.IsCounted, w.ReceiptRequestOf, w.SentTime = "", nil, false, uid, sentTime
	return w
}

func TestReceiptRequests(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	var log logger
	now := time.Now().UnixMilli()
	own := h.sendOK(c, grp, 1)
	c.push(from(grp, 2), from(grp, 3), from(grp, 4))
	h.messages()
	c.push(
		requestMarker(grp, 5, uidOf(grp, 2), "carol", now),
		requestMarker(grp, 6, own.MessageUID, me, now),                                 // my own request
		requestMarker(grp, 7, uidOf(grp, 3), "carol", now-25*time.Hour.Milliseconds()), // too old to answer
		requestMarker(grp, 8, uidOf(grp, 4), "carol", now),                             // answered below
		requestMarker(grp, 9, "not-held", "carol", now),                                // asked about one this device lacks
		requestMarker(grp, 10, uidOf(grp, 2), "carol", now+1),                          // asked again
	)
	h.barrier(c)
	var asked []string
	for _, ev := range h.ev.all(EventReceiptRequest) {
		if ev.Receipt.Conversation != grp || ev.Receipt.UserID != "carol" {
			t.Errorf("MESSAGE_RECEIPT_REQUEST %+v", ev.Receipt)
		}
		asked = append(asked, ev.Receipt.MessageUID)
	}
	if want := []string{uidOf(grp, 2), uidOf(grp, 4), "not-held", uidOf(grp, 2)}; !slices.Equal(asked, want) {
		t.Errorf("requests %v, want %v", asked, want)
	}
	for _, uid := range []string{uidOf(grp, 2), own.MessageUID, uidOf(grp, 3)} {
		if m := h.store.byUID(uid); m.Receipt == nil || !m.Receipt.IsRequest {
			t.Errorf("%s not marked as a request: %+v", uid, m.Receipt)
		}
	}
	cached := func() []string {
		var out []string
		for _, r := range h.state(grp).Requests {
			out = append(out, r.MessageUID)
		}
		return out
	}
	if got := cached(); !slices.Equal(got, []string{uidOf(grp, 4), "not-held", uidOf(grp, 2)}) {
		t.Errorf("cached %v", got)
	}
	// Answered on another device: out of the cache, marked answered.
	c.push(log.entry(&pb.LogEntry{Conv: wconv(grp), RespondedUids: []string{uidOf(grp, 4)}}))
	h.barrier(c)
	if got := cached(); !slices.Equal(got, []string{"not-held", uidOf(grp, 2)}) {
		t.Errorf("cached %v after an answer elsewhere", got)
	}
	if rc := h.store.byUID(uidOf(grp, 4)).Receipt; rc == nil || !rc.HasRespond {
		t.Errorf("answered elsewhere: %+v", rc)
	}
	// Answered: a request for a message answered already is not asked again.
	c.push(requestMarker(grp, 11, uidOf(grp, 4), "carol", now))
	h.barrier(c)
	if n := len(h.ev.all(EventReceiptRequest)); n != 4 {
		t.Errorf("%d requests, want no new one for an answered message", n)
	}
	// Answering the cache.
	res := make(chan []string, 1)
	go func() {
		uids, err := h.e.RespondCachedRequests(context.Background(), grp)
		if err != nil {
			t.Error(err)
		}
		res <- uids
	}()
	f, resp := next[*pb.Frame_ReceiptResponse](t, c)
	if want := []string{"not-held", uidOf(grp, 2)}; !slices.Equal(resp.ReceiptResponse.MessageUids, want) || resp.ReceiptResponse.Conv.Target != "g1" {
		t.Errorf("response %+v, want %v", resp.ReceiptResponse, want)
	}
	c.ok(f)
	if got := recv(t, res); !slices.Equal(got, []string{"not-held", uidOf(grp, 2)}) {
		t.Errorf("answered %v", got)
	}
	if got := cached(); len(got) != 0 {
		t.Errorf("cache after answering: %v", got)
	}
	if rc := h.store.byUID(uidOf(grp, 2)).Receipt; !rc.HasRespond {
		t.Errorf("answered: %+v", rc)
	}
	// Nothing left: nothing sent.
	if uids, err := h.e.RespondCachedRequests(context.Background(), grp); err != nil || uids != nil {
		t.Errorf("empty cache answered %v %v", uids, err)
	}
	if n := len(written[*pb.Frame_ReceiptResponse](c)); n != 1 {
		t.Errorf("%d responses written", n)
	}
}

func TestRespondCachedRequestsDropsTheUnanswerable(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	now := time.Now().UnixMilli()
	c.push(requestMarker(grp, 1, "a", "carol", now), requestMarker(grp, 2, "b", "carol", now), requestMarker(grp, 3, "c", "carol", now))
	h.barrier(c)
	res := make(chan []string, 1)
	go func() {
		uids, err := h.e.RespondCachedRequests(context.Background(), grp)
		if err != nil {
			t.Error(err)
		}
		res <- uids
	}()
	// One of them was recalled meanwhile: the whole answer is refused, and
	// each is answered alone.
	f, _ := next[*pb.Frame_ReceiptResponse](t, c)
	c.fail(f, codes.RRSV5MessageNotExist)
	for _, r := range []struct {
		uid  string
		code int32
	}{{"a", 0}, {"b", codes.RRSV5MessageReceiptNeedless}, {"c", 0}} {
		f, resp := next[*pb.Frame_ReceiptResponse](t, c)
		if !slices.Equal(resp.ReceiptResponse.MessageUids, []string{r.uid}) {
			t.Fatalf("answered %v, want %s alone", resp.ReceiptResponse.MessageUids, r.uid)
		}
		if r.code != 0 {
			c.fail(f, r.code)
		} else {
			c.ok(f)
		}
	}
	if got := recv(t, res); !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("answered %v, want a and c", got)
	}
	if got := h.state(grp).Requests; len(got) != 0 {
		t.Errorf("cache %+v: the unanswerable one stays", got)
	}
}

func TestCacheRequest(t *testing.T) {
	now := time.Now().UnixMilli()
	day := RequestCacheTTL.Milliseconds()
	reqs := func(n int, at int64) []CachedRequest {
		var out []CachedRequest
		for i := range n {
			out = append(out, CachedRequest{MessageUID: "r" + strconv.Itoa(i), ReceivedAt: at})
		}
		return out
	}
	tests := []struct {
		name  string
		have  []CachedRequest
		add   CachedRequest
		want  int
		first string
		last  string
	}{
		{"into an empty cache", nil, CachedRequest{MessageUID: "x", ReceivedAt: now}, 1, "x", "x"},
		{"the newest 30 are kept", reqs(30, now), CachedRequest{MessageUID: "x", ReceivedAt: now}, 30, "r1", "x"},
		{"expired ones go", append(reqs(2, now-day-1), CachedRequest{MessageUID: "fresh", ReceivedAt: now}), CachedRequest{MessageUID: "x", ReceivedAt: now}, 2, "fresh", "x"},
		{"asked again moves to the end", reqs(3, now), CachedRequest{MessageUID: "r0", ReceivedAt: now}, 3, "r1", "r0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &ConversationState{Requests: tt.have}
			cacheRequest(st, tt.add, now)
			if n := len(st.Requests); n != tt.want || st.Requests[0].MessageUID != tt.first || st.Requests[n-1].MessageUID != tt.last {
				t.Errorf("cache %+v", st.Requests)
			}
		})
	}
}

func TestReceiptRequestsAndQueries(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	ctx := context.Background()

	errc := make(chan error, 1)
	go func() { errc <- h.e.RequestReceipts(ctx, grp, "m1") }()
	f, rr := next[*pb.Frame_ReceiptRequest](t, c)
	if rr.ReceiptRequest.MessageUid != "m1" || rr.ReceiptRequest.Conv.Target != "g1" {
		t.Errorf("receipt request %+v", rr.ReceiptRequest)
	}
	c.fail(f, codes.RRSV5Unavailable)
	wantCode(t, recv(t, errc), codes.RRSV5Unavailable)

	pages := make(chan *ReadersPage, 1)
	go func() {
		p, err := h.e.Readers(ctx, grp, "m1", 2, "tok", 50)
		if err != nil {
			t.Error(err)
		}
		pages <- p
	}()
	f, rd := next[*pb.Frame_Readers](t, c)
	if r := rd.Readers; r.MessageUid != "m1" || r.ReadStatus != 2 || r.PageToken != "tok" || r.PageCount != 50 {
		t.Errorf("readers request %+v", r)
	}
	c.reply(f, &pb.Frame_ReadersResult{ReadersResult: &pb.ReadersResult{Users: []*pb.Reader{{UserId: "dave"}}, NextPageToken: "n", ReadCount: 1, TotalCount: 3}})
	if p := recv(t, pages); len(p.Users) != 1 || p.Users[0].UserID != "dave" || p.NextPageToken != "n" || p.ReadCount != 1 || p.TotalCount != 3 {
		t.Errorf("readers %+v", p)
	}

	counts := make(chan []ReceiptCount, 1)
	go func() {
		rc, err := h.e.ReceiptCounts(ctx, grp, []string{"m1", "m2"})
		if err != nil {
			t.Error(err)
		}
		counts <- rc
	}()
	f, ri := next[*pb.Frame_ReceiptInfo](t, c)
	if !slices.Equal(ri.ReceiptInfo.MessageUids, []string{"m1", "m2"}) {
		t.Errorf("receipt info request %+v", ri.ReceiptInfo)
	}
	c.reply(f, &pb.Frame_ReceiptInfoResult{ReceiptInfoResult: &pb.ReceiptInfoResult{Infos: []*pb.ReceiptInfo{{MessageUid: "m1", ReadCount: 2, TotalCount: 3}}}})
	if rc := recv(t, counts); len(rc) != 1 || rc[0].MessageUID != "m1" || rc[0].ReadCount != 2 || rc[0].TotalCount != 3 || rc[0].Conversation != grp {
		t.Errorf("counts %+v", rc)
	}

	go func() { errc <- h.e.RespondReceipts(ctx, grp, []string{"m1"}) }()
	f, _ = next[*pb.Frame_ReceiptResponse](t, c)
	c.fail(f, codes.RRSV5MessageNotExist)
	wantCode(t, recv(t, errc), codes.RRSV5MessageNotExist)
}

func TestReceiptArguments(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	ctx := context.Background()
	long := string(make([]byte, 65))
	many := make([]string, 101)
	for i := range many {
		many[i] = "m" + strconv.Itoa(i)
	}
	badConv := Conversation{Type: System, TargetID: "x"}
	tests := []struct {
		name string
		call func() error
		want int32
	}{
		{"read receipt in a group", func() error { return h.e.SendReadReceipt(ctx, grp, "m") }, codes.InvalidParameterConversationType},
		{"read receipt without uid", func() error { return h.e.SendReadReceipt(ctx, bob, "") }, codes.InvalidParameterMessageUID},
		{"read receipt bad conversation", func() error { return h.e.SendReadReceipt(ctx, badConv, "m") }, codes.InvalidParameterConversationType},
		{"request without uid", func() error { return h.e.RequestReceipts(ctx, grp, "") }, codes.InvalidParameterMessageUID},
		{"request uid too long", func() error { return h.e.RequestReceipts(ctx, grp, long) }, codes.InvalidParameterMessageUID},
		{"request bad conversation", func() error { return h.e.RequestReceipts(ctx, badConv, "m") }, codes.InvalidParameterConversationType},
		{"respond to none", func() error { return h.e.RespondReceipts(ctx, grp, nil) }, codes.RRSV5ParamLengthExceed},
		{"respond to 101", func() error { return h.e.RespondReceipts(ctx, grp, many) }, codes.RRSV5ParamLengthExceed},
		{"respond with an empty uid", func() error { return h.e.RespondReceipts(ctx, grp, []string{"m", ""}) }, codes.InvalidParameterMessageUID},
		{"respond bad conversation", func() error { return h.e.RespondReceipts(ctx, badConv, []string{"m"}) }, codes.InvalidParameterConversationType},
		{"respond cached bad conversation", func() error { _, err := h.e.RespondCachedRequests(ctx, badConv); return err }, codes.InvalidParameterConversationType},
		{"readers without uid", func() error { _, err := h.e.Readers(ctx, grp, "", 0, "", 0); return err }, codes.InvalidParameterMessageUID},
		{"readers bad conversation", func() error { _, err := h.e.Readers(ctx, badConv, "m", 0, "", 0); return err }, codes.InvalidParameterConversationType},
		{"counts of none", func() error { _, err := h.e.ReceiptCounts(ctx, grp, nil); return err }, codes.RRSV5ParamLengthExceed},
		{"counts of 101", func() error { _, err := h.e.ReceiptCounts(ctx, grp, many); return err }, codes.RRSV5ParamLengthExceed},
		{"counts bad conversation", func() error { _, err := h.e.ReceiptCounts(ctx, badConv, []string{"m"}); return err }, codes.InvalidParameterConversationType},
		{"mark read bad conversation", func() error { return h.e.MarkRead(ctx, badConv, 0) }, codes.InvalidParameterConversationType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), tt.want) })
	}
	// Refused before anything is written.
	if n := c.count(); n != 2 { // Auth and the sync
		t.Errorf("%d frames written", n)
	}
}

// MarkRead(c, 0) names the latest message the device holds, not "the
// latest" (seq 0): a message the server committed just before the read
// (its push on its way) would make the server's watermark — and its log
// entry — higher than the device's note of its own read, the entry taken
// for another device's read (SYNC_READ_STATUS for its own call), and the
// message it never showed read.
func TestOwnReadOfLatestNamesWhatItHolds(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	var log logger
	c.push(from(bob, 1), from(bob, 2))
	h.messages()
	done := make(chan error, 1)
	go func() { done <- h.e.MarkRead(context.Background(), bob, 0) }()
	f, read := next[*pb.Frame_Read](t, c)
	if read.Read.Seq != 2 {
		t.Fatalf("read request %+v", read.Read)
	}
	// Bob's third message was committed before the server took the read:
	// its push comes first, then the read's log entry (up to 3), then OK.
	c.push(from(bob, 3))
	c.push(log.entry(&pb.LogEntry{Conv: wconv(bob), ReadBy: me, ReadSeq: 2}))
	h.barrier(c)
	c.ok(f)
	if err := recv(t, done); err != nil {
		t.Fatal(err)
	}
	h.barrier(c)
	if evs := h.ev.all(EventSyncRead); len(evs) != 0 {
		t.Fatalf("this device's own MarkRead reported back as another device's read: %d SYNC_READ_STATUS", len(evs))
	}
	if n := h.e.UnreadCount(bob); n != 1 {
		t.Fatalf("unread %d, want 1: the message the read came before", n)
	}
}
