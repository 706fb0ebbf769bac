package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/imwasm/imwasm/server/store"
)

// eraseUserLeavesUltraGroups: erasing a user ends their group
// memberships (store.Store's EraseUser; docs/http-api.md DELETE
// /v1/users/{id}) — their ultra groups' too: a user of the same id later
// must not find themselves a member.
func eraseUserLeavesUltraGroups(t *testing.T, b Backend) {
	ctx := context.Background()
	d := b.Open(t, nil)
	if _, err := d.ChangeUltraGroup(ctx, store.UltraChange{Op: store.UltraCreate, Group: "ug1", Name: "big", Owner: "owner", Users: []string{"a"}, Now: time.UnixMilli(1000)}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.EraseUser(ctx, "a", time.UnixMilli(2000)); err != nil {
		t.Fatal(err)
	}
	if gs, err := d.UltraGroupsOf(ctx, "a"); err != nil || len(gs) != 0 {
		t.Fatalf("the erased user's ultra groups: %v %v", gs, err)
	}
	g, err := d.UltraGroup(ctx, "ug1")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := g.Members["a"]; ok {
		t.Fatalf("the erased user is still a member of ug1: %v", g.Members)
	}
}

// eraseUserForgetsWebPush: erasing a user removes their state — their
// devices' Web Push subscriptions (endpoints and keys) too, so nothing is
// pushed to them after.
func eraseUserForgetsWebPush(t *testing.T, b Backend) {
	ctx := context.Background()
	d := b.Open(t, nil)
	if err := d.PutWebPush(ctx, store.WebPushSubscription{User: "a", Device: "d1", Endpoint: "https://push.example/1", P256dh: "k", Auth: "s", Created: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.EraseUser(ctx, "a", time.UnixMilli(2000)); err != nil {
		t.Fatal(err)
	}
	if subs, err := d.WebPushOf(ctx, "a"); err != nil || len(subs) != 0 {
		t.Fatalf("the erased user's web push subscriptions: %v %v", subs, err)
	}
}
