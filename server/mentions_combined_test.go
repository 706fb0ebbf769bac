package server_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
)

func mentionCounts(t *testing.T, d *device, c client.Conversation) (int, int) {
	t.Helper()
	info, err := d.Conversation(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if info == nil {
		return 0, 0
	}
	return info.UnreadCount, info.MentionCount
}

// Mentions combined with targeting, a recall and a delete: live devices and
// new devices (counted by the server) agree.
func TestMentionCountsCombined(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.group(t, "g1", "alice", []string{"bob", "carol", "dave"}, nil)
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	carol := e.device("carol", "c1", devOpts{})
	for _, d := range []*device{alice, bob, carol} {
		d.connect(t, token(t, d.user, time.Hour))
		d.waitMessages(t, 1)
	}
	ctx := context.Background()
	g := client.Conversation{Type: client.Group, TargetID: "g1"}
	for _, d := range []*device{bob, carol} {
		if err := d.MarkRead(ctx, g, 0); err != nil {
			t.Fatal(err)
		}
	}
	// 1: @all targeted at bob; 2: @carol targeted at bob; 3: @carol, @bob to all;
	// 4: @all (recalled later); 5: @bob (bob deletes it).
	m1 := text("g1", client.Group, "m1")
	m1.IsMentioned, m1.MentionedInfo, m1.DirectedUserIDs = true, &client.MentionedInfo{Type: client.MentionAll}, []string{"bob"}
	m2 := text("g1", client.Group, "m2")
	m2.IsMentioned, m2.MentionedInfo, m2.DirectedUserIDs = true, &client.MentionedInfo{Type: client.MentionSingle, UserIDs: []string{"carol"}}, []string{"bob"}
	m3 := text("g1", client.Group, "m3")
	m3.IsMentioned, m3.MentionedInfo = true, &client.MentionedInfo{Type: client.MentionSingle, UserIDs: []string{"carol", "bob"}}
	m4 := text("g1", client.Group, "m4")
	m4.IsMentioned, m4.MentionedInfo = true, &client.MentionedInfo{Type: client.MentionAll}
	m5 := text("g1", client.Group, "m5")
	m5.IsMentioned, m5.MentionedInfo = true, &client.MentionedInfo{Type: client.MentionSingle, UserIDs: []string{"bob"}}
	var sent []*client.Message
	for _, m := range []*client.Message{m1, m2, m3, m4, m5} {
		sent = append(sent, alice.send(t, m))
	}
	bob.waitMessages(t, 6)
	carol.waitMessages(t, 3)
	if _, err := alice.RecallMessage(ctx, g, sent[3].MessageUID, sent[3].SentTime, client.RecallOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := bob.DeleteMessages(ctx, g, []string{sent[4].MessageUID}); err != nil {
		t.Fatal(err)
	}
	e.fence(t, bob, carol)
	want := map[string][2]int{}
	// bob: unread m1 m2 m3 (m4 recalled, m5 deleted); mentions m1 (@all to him), m3 (@bob) = 2.
	want["bob"] = [2]int{3, 2}
	// carol: unread m3 m5 (m1, m2 not hers, m4 recalled); mentions m3 = 1.
	want["carol"] = [2]int{2, 1}
	var errs []string
	for _, d := range []*device{bob, carol} {
		u, n := mentionCounts(t, d, g)
		if [2]int{u, n} != want[d.user] {
			errs = append(errs, fmt.Sprintf("%s live: unread %d mentions %d, want %v", d.user, u, n, want[d.user]))
		}
	}
	e.clock.add(8 * 24 * time.Hour)
	for _, u := range []string{"bob", "carol"} {
		d := e.device(u, u+"-new", devOpts{})
		d.connect(t, e.token(t, u, time.Hour))
		un, n := mentionCounts(t, d, g)
		if [2]int{un, n} != want[u] {
			errs = append(errs, fmt.Sprintf("%s new device: unread %d mentions %d, want %v", u, un, n, want[u]))
		}
	}
	if len(errs) > 0 {
		t.Fatal(errs)
	}
}
