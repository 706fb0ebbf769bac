package server_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/server"
)

// A server history page narrowed by type, sender and a far bound (Easemob's
// searchOptions, NIM's msgTypes and beginTime/endTime): count messages that
// pass, not count messages filtered afterwards; a bounded walk, with where
// to go on from.
func TestHistoryNarrowed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *server.Config) { c.HistoryScanMax = 4 })
	ctx := context.Background()
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	bob.connect(t, token(t, "bob", time.Hour))
	img := func(s string) *client.Message {
		m := text("bob", client.Private, s)
		m.ObjectName, m.Content = "RC:ImgMsg", []byte(`{"imageUri":"https://x/`+s+`"}`)
		return m
	}
	// Oldest first: img0, a1, b1, img1, a2, b2, a3, b3, a4.
	var times []int64
	for _, m := range []struct {
		from *device
		m    *client.Message
	}{
		{alice, img("img0")}, {alice, text("bob", client.Private, "a1")}, {bob, text("alice", client.Private, "b1")},
		{alice, img("img1")}, {alice, text("bob", client.Private, "a2")}, {bob, text("alice", client.Private, "b2")},
		{alice, text("bob", client.Private, "a3")}, {bob, text("alice", client.Private, "b3")}, {alice, text("bob", client.Private, "a4")},
	} {
		e.clock.add(10 * time.Millisecond)
		times = append(times, m.from.send(t, m.m).SentTime)
	}
	p := client.Conversation{Type: client.Private, TargetID: "bob"}
	page := func(q client.HistoryQuery) ([]string, bool, int64) {
		t.Helper()
		ms, more, next, err := alice.RemoteHistoryWhere(ctx, p, q)
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		var out []string
		for _, m := range ms {
			if m.ObjectName == "RC:ImgMsg" {
				out = append(out, string(m.Content[len(m.Content)-6:len(m.Content)-2]))
			} else {
				out = append(out, contents([]*client.Message{m})[0])
			}
		}
		return out, more, next
	}
	for _, c := range []struct {
		name string
		q    client.HistoryQuery
		want []string
		more bool
		next int64
	}{
		{"unnarrowed", client.HistoryQuery{Count: 3}, []string{"a4", "b3", "a3"}, true, times[6]},
		{"bob's, newest first", client.HistoryQuery{Count: 2, Sender: "bob"}, []string{"b3", "b2"}, true, times[5]},
		{"texts newer than a1, oldest first, up to b2 (inclusive)", client.HistoryQuery{Count: 10, Order: client.OrderNewer, Timestamp: times[1], Bound: times[5], ObjectNames: []string{"RC:TxtMsg"}},
			[]string{"b1", "a2", "b2"}, false, times[5]},
		{"alice's texts older than a4, back to a2", client.HistoryQuery{Count: 10, Timestamp: times[8], Bound: times[4], Sender: "alice", ObjectNames: []string{"RC:TxtMsg"}},
			[]string{"a3", "a2"}, false, times[4]},
		// Four examined a page (HistoryScanMax): images are the oldest.
		{"images, first page", client.HistoryQuery{Count: 10, ObjectNames: []string{"RC:ImgMsg"}}, nil, true, times[5]},
		{"images, second page", client.HistoryQuery{Count: 10, Timestamp: times[5], ObjectNames: []string{"RC:ImgMsg"}}, []string{"img1"}, true, times[1]},
		{"images, third page", client.HistoryQuery{Count: 10, Timestamp: times[1], ObjectNames: []string{"RC:ImgMsg"}}, []string{"img0"}, false, times[0]},
	} {
		got, more, next := page(c.q)
		if !slices.Equal(got, c.want) || more != c.more || next != c.next {
			t.Errorf("%s: %v more %v next %d, want %v more %v next %d", c.name, got, more, next, c.want, c.more, c.next)
		}
	}
	for _, q := range []client.HistoryQuery{
		{Count: 10, ObjectNames: make([]string, 21)},
		{Count: 10, ObjectNames: []string{""}},
		{Count: 10, Sender: "a:b"},
		{Count: 10, Bound: -1},
	} {
		if _, _, _, err := alice.RemoteHistoryWhere(ctx, p, q); codes.Of(err) != codes.InvalidParameter {
			t.Errorf("%+v: %v, want %d", q, err, codes.InvalidParameter)
		}
	}
}
