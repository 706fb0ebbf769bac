package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// The app's settings, a user's access (revoked tokens, blocks) and their
// conversation settings, which sync as changes like messages do.
func settingsAndAccess(t *testing.T, b Backend) {
	ctx := context.Background()
	d := b.Open(t, nil)
	if v, err := d.Setting(ctx, "k"); err != nil || v != nil {
		t.Fatalf("unset: %q %v", v, err)
	}
	for _, v := range []string{"one", "two"} {
		if err := d.PutSetting(ctx, "k", []byte(v)); err != nil {
			t.Fatal(err)
		}
		if got, err := d.Setting(ctx, "k"); err != nil || string(got) != v {
			t.Fatalf("after putting %q: %q %v", v, got, err)
		}
	}
	// Deleted: those keys only.
	for _, k := range []string{"g/1/a", "g/1/", "g/1/ab"} {
		if err := d.PutSetting(ctx, k, []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.DeleteSettings(ctx, []string{"g/1/a", "g/1/", "never/set"}); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]bool{"g/1/a": false, "g/1/": false, "g/1/ab": true, "k": true} {
		if got, err := d.Setting(ctx, k); err != nil || (got != nil) != want {
			t.Fatalf("after deleting, %s: %q %v (want kept %v)", k, got, err, want)
		}
	}

	// Merged: fields set, the others kept; merges of other fields at once
	// (two servers) all hold.
	merge := func(fields map[string]json.RawMessage) {
		t.Helper()
		if err := d.MergeSetting(ctx, "app", fields); err != nil {
			t.Fatal(err)
		}
	}
	merge(map[string]json.RawMessage{"a": json.RawMessage(`1`)})
	merge(map[string]json.RawMessage{"b": json.RawMessage(`"two"`), "a": json.RawMessage(`3`)})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := d.MergeSetting(ctx, "app", map[string]json.RawMessage{fmt.Sprint("k", i): json.RawMessage(fmt.Sprint(i))}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, err := d.Setting(ctx, "app")
	var obj map[string]any
	if err != nil || json.Unmarshal(got, &obj) != nil || obj["a"] != 3.0 || obj["b"] != "two" || len(obj) != 10 {
		t.Fatalf("after merges: %s %v", got, err)
	}

	t1, t0 := time.UnixMilli(2_000), time.UnixMilli(1_000)
	if a, err := d.Access(ctx, "u"); err != nil || a != (store.Access{}) {
		t.Fatalf("a new user's access: %+v %v", a, err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(d.RevokeTokens(ctx, "u", t1))
	must(d.RevokeTokens(ctx, "u", t0)) // never back
	must(d.BlockUser(ctx, "u", time.UnixMilli(3_000)))
	if a, _ := d.Access(ctx, "u"); !a.TokensValidAfter.Equal(t1) || !a.BlockedUntil.Equal(time.UnixMilli(3_000)) {
		t.Fatalf("revoked and blocked: %+v", a)
	}
	must(d.BlockUser(ctx, "u", time.Time{}))
	if a, _ := d.Access(ctx, "u"); !a.TokensValidAfter.Equal(t1) || !a.BlockedUntil.IsZero() {
		t.Fatalf("unblocked: %+v", a)
	}

	// Settings of a conversation with no message yet: their own state.
	conv := &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: "b"}
	n := 0
	set := func(change func(*pb.ConversationSettings)) {
		t.Helper()
		n++
		stored, err := d.SetSettings(ctx, "a", []*pb.Conversation{conv}, int64(100*n), func(s *pb.ConversationSettings, _ uint64) { change(s) },
			func(c *pb.Conversation, s *pb.ConversationSettings) *pb.Message {
				return logEntry("a", fmt.Sprint("settings", n))
			})
		if err != nil || len(stored) != 1 || stored[0].Seq == 0 {
			t.Fatalf("set settings: %v %v", stored, err)
		}
	}
	v0, before, _ := d.Changes(ctx, "a", 0)
	set(func(s *pb.ConversationSettings) { s.IsTop = true })
	v1, states, err := d.Changes(ctx, "a", v0)
	if err != nil || v1 <= v0 || settingsOf(states, "b") == nil || !settingsOf(states, "b").IsTop || settingsOf(states, "b").Time != 100 {
		t.Fatalf("after pinning: v%d→v%d %v %v", v0, v1, states, err)
	}
	if settingsOf(before, "b") != nil {
		t.Fatal("settings before any were set")
	}
	set(func(s *pb.ConversationSettings) { s.NotificationLevel = 5 }) // sees the pin
	_, states, _ = d.Changes(ctx, "a", v1)
	if s := settingsOf(states, "b"); s == nil || !s.IsTop || s.NotificationLevel != 5 {
		t.Fatalf("after muting: %v", states)
	}
	set(func(s *pb.ConversationSettings) { s.DndUntil = 1_800_000_000_000 }) // a do-not-disturb: kept beside the rest
	set(func(s *pb.ConversationSettings) { s.IsTop = false })
	_, states, _ = d.Changes(ctx, "a", 0)
	if s := settingsOf(states, "b"); s == nil || s.IsTop || s.NotificationLevel != 5 || s.DndUntil != 1_800_000_000_000 {
		t.Fatalf("after a do-not-disturb and unpinning: %v", states)
	}
	if _, states, _ := d.Changes(ctx, "b", 0); settingsOf(states, "a") != nil {
		t.Fatal("a's settings are b's change")
	}
}

func settingsOf(states []*pb.ConversationState, target string) *pb.ConversationSettings {
	for _, s := range states {
		if s.Conv.Target == target && s.Settings != nil {
			return s.Settings
		}
	}
	return nil
}
