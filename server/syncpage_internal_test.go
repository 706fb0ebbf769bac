package server

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/imwasm/imwasm/client"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// A paged Sync answer: pages within the limit, the user's log in the
// first, every conversation once across them; one that joins the changes
// between pages comes in a later page when it sorts after the cursor (and
// at the next sync otherwise: the device keeps the first page's version).
func TestSyncPages(t *testing.T) {
	state := func(typ pb.ConversationType, target string) *pb.ConversationState {
		return &pb.ConversationState{Conv: &pb.Conversation{Type: typ, Target: target}, LastSeq: 7, UnreadCount: 3}
	}
	changes := func(n int) []*pb.ConversationState {
		var out []*pb.ConversationState
		for i := range n {
			out = append(out, state(pb.ConversationType_PRIVATE, fmt.Sprintf("u%05d", i)))
		}
		// The log, wherever the store puts it.
		return append(out[:n/2], append([]*pb.ConversationState{state(pb.ConversationType_USER_LOG, "me")}, out[n/2:]...)...)
	}
	for _, tc := range []struct {
		name  string
		n     int
		limit int
		pages int
	}{
		{"one page", 10, 1 << 20, 1},
		{"many pages", 1000, 4 << 10, 0},
		{"a page of one each", 5, 1, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen := map[string]int{}
			cursor, pages := "", 0
			for first := true; first || cursor != ""; first = false {
				var page []*pb.ConversationState
				page, cursor = syncPage(changes(tc.n), cursor, tc.limit)
				pages++
				if first && page[0].Conv.Type != pb.ConversationType_USER_LOG {
					t.Fatalf("the first page starts with %v, not the user's log", page[0].Conv)
				}
				size := 0
				for _, s := range page {
					seen[s.Conv.Target]++
					size += s.Size() + 4
				}
				if len(page) > 1 && size > tc.limit {
					t.Fatalf("page %d: %d bytes over %d", pages, size, tc.limit)
				}
				if pages > tc.n+2 {
					t.Fatal("the pages do not end")
				}
			}
			if len(seen) != tc.n+1 {
				t.Fatalf("%d conversations across the pages, want %d", len(seen), tc.n+1)
			}
			for k, v := range seen {
				if v != 1 {
					t.Fatalf("%s in %d pages", k, v)
				}
			}
			if tc.pages != 0 && pages != tc.pages {
				t.Fatalf("%d pages, want %d", pages, tc.pages)
			}
		})
	}

	// Between page 1 and page 2 two conversations join the changes: one
	// sorting after the cursor (in a later page) and one before it (not
	// again: the next sync has it).
	all := changes(100)
	page1, cursor := syncPage(slices.Clone(all), "", 1000)
	if cursor == "" {
		t.Fatal("one page")
	}
	later := append(slices.Clone(all), state(pb.ConversationType_PRIVATE, "zzz"), state(pb.ConversationType_PRIVATE, "a"))
	var rest []string
	for cursor != "" {
		var page []*pb.ConversationState
		page, cursor = syncPage(slices.Clone(later), cursor, 1000)
		for _, s := range page {
			rest = append(rest, s.Conv.Target)
		}
	}
	if !slices.Contains(rest, "zzz") || slices.Contains(rest, "a") || len(page1)+len(rest) != 102 {
		t.Fatalf("after the first page of %d: %d more (zzz %v, a %v)", len(page1), len(rest), slices.Contains(rest, "zzz"), slices.Contains(rest, "a"))
	}
}

// A new device of a user with many conversations takes the sync in pages
// (here of 300 bytes: one conversation or two each) and has every one.
func TestSyncInPages(t *testing.T) {
	_, url, tok := startAuthWindowServer(t, func(s *Server) { s.syncPageBytes = 300 })
	ctx := context.Background()
	bob := authWinNewDevice(t, url, "b1")
	if _, err := bob.Connect(ctx, tok("bob")); err != nil {
		t.Fatal(err)
	}
	bob.waitFor(t, "bob's sync", func() bool { return bob.syncs() >= 1 })
	const n = 30
	for i := range n {
		m := &client.Message{Conversation: client.Conversation{Type: client.Private, TargetID: fmt.Sprintf("u%02d", i)},
			ObjectName: "RC:TxtMsg", Content: []byte(`{"content":"hi"}`), IsPersisted: true, IsCounted: true}
		if _, err := bob.SendMessage(ctx, m, client.SendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	fresh := authWinNewDevice(t, url, "b2")
	if _, err := fresh.Connect(ctx, tok("bob")); err != nil {
		t.Fatal(err)
	}
	fresh.waitFor(t, "the new device's sync", func() bool { return fresh.syncs() >= 1 })
	list, err := fresh.Conversations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != n {
		t.Fatalf("the new device lists %d conversations after a paged sync, want %d", len(list), n)
	}
}
