package client

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// windowWithOldFailedSend: a new device holding bob's 3..5 (the
// server's window; 1 and 2 only on the server), and a send of this user
// that failed, made while the device's clock was 2 h behind the server's:
// held with no SentTime and placed by its ReceivedTime, below 3.
func windowWithOldFailedSend(t *testing.T) (*harness, *fakeConn) {
	h := newHarness(t, nil)
	if _, err := h.e.Connect(context.Background(), "token"); err != nil {
		t.Fatal(err)
	}
	c := h.srv.conn(t, 0)
	f, _ := next[*pb.Frame_Sync](t, c)
	c.reply(f, &pb.Frame_SyncResult{SyncResult: &pb.SyncResult{Version: 2, Conversations: []*pb.ConversationState{{Conv: wconv(bob), LastSeq: 5, StartSeq: 3, ReadSeq: 5}}}})
	f, _ = next[*pb.Frame_Pull](t, c)
	c.reply(f, &pb.Frame_PullResult{PullResult: &pb.PullResult{Messages: []*pb.Message{from(bob, 3), from(bob, 4), from(bob, 5)}, LastSeq: 5, StartSeq: 3}})
	h.ev.next(t, EventSyncFinished, nil)
	h.clock.advance(-2 * time.Hour)
	sf, _, ch := h.send(c, bob, SendOptions{})
	c.fail(sf, codes.RejectedByBlacklist)
	if m, err := result(t, ch); err == nil || m.SentStatus != StatusFailed {
		t.Fatalf("send %+v %v: want FAILED", m, err)
	}
	return h, c
}

// getHistoryMessages older from the newest: the device holds 5, 4, 3 and
// the failed send; what lies below is asked from the server below the
// oldest held message that has a SentTime (3), not the failed send's 0
// ("from the newest": the server's 5, 4, 3 came again in the page).
func TestOlderPageAfterAnUnsentRepeatsNothing(t *testing.T) {
	h, c := windowWithOldFailedSend(t)
	type page struct {
		ms   []*Message
		more bool
		err  error
	}
	res := make(chan page, 1)
	go func() {
		ms, more, err := h.e.GetHistory(context.Background(), bob, 0, 10, OrderOlder)
		res <- page{ms, more, err}
	}()
	f, hr := next[*pb.Frame_History](t, c)
	if ts := hr.History.Timestamp; ts != sentAt(3) {
		t.Errorf("asked the server for messages before %d, want before %d (the oldest held message's time)", ts, sentAt(3))
	}
	// The server answers as it does: older than the timestamp (0: the newest).
	var ans []*pb.Message
	for s := uint64(5); s >= 1; s-- {
		if hr.History.Timestamp == 0 || sentAt(s) < hr.History.Timestamp {
			ans = append(ans, from(bob, s))
		}
	}
	c.reply(f, &pb.Frame_HistoryResult{HistoryResult: &pb.HistoryResult{Messages: ans}})
	p := recv(t, res)
	got := seqs(p.ms)
	uids := map[string]int{}
	for _, m := range p.ms {
		if m.MessageUID != "" {
			uids[m.MessageUID]++
		}
	}
	for u, n := range uids {
		if n > 1 {
			t.Errorf("page %v (%v): %s %d times", got, p.err, u, n)
		}
	}
}

// getHistoryMessages newer from the oldest (timestamp 0): the device does
// not hold 1 and 2, and its oldest held record is the failed send: its
// place (not its SentTime, 0) is above the timestamp, so the page comes
// from the server (the store alone skipped 1 and 2).
func TestNewerPageBelowAnUnsentAsksTheServer(t *testing.T) {
	h, c := windowWithOldFailedSend(t)
	type page struct {
		ms   []*Message
		more bool
		err  error
	}
	res := make(chan page, 1)
	go func() {
		ms, more, err := h.e.GetHistory(context.Background(), bob, 0, 10, OrderNewer)
		res <- page{ms, more, err}
	}()
	// Answer a history request if one comes (polling: none may).
	var p page
	answered := false
	deadline := time.Now().Add(waitLimit)
	for done := false; !done; {
		select {
		case p = <-res:
			done = true
		default:
			if hs := written[*pb.Frame_History](c); len(hs) > 0 && !answered {
				answered = true
				f, _ := next[*pb.Frame_History](t, c)
				c.reply(f, &pb.Frame_HistoryResult{HistoryResult: &pb.HistoryResult{Messages: []*pb.Message{from(bob, 1), from(bob, 2), from(bob, 3), from(bob, 4), from(bob, 5)}}})
			}
			if time.Now().After(deadline) {
				t.Fatal("GetHistory did not return")
			}
			time.Sleep(time.Millisecond)
		}
	}
	got := seqs(p.ms)
	if !slices.Contains(got, 1) || !slices.Contains(got, 2) {
		t.Errorf("newer page from the oldest %v more %v (%v): 1 and 2 (on the server, below what is held) are missing", got, p.more, p.err)
	}
}
