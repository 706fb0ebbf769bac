package storetest

import (
	"context"
	"testing"

	"github.com/imwasm/imwasm/server/store"
)

// Web Push subscriptions: one per device (a second replaces the first),
// listed per user, forgotten per device or by endpoint, kept across a
// restart.
func webPush(t *testing.T, b Backend) {
	ctx := context.Background()
	d := b.Open(t, nil)
	sub := func(user, device, endpoint string) store.WebPushSubscription {
		return store.WebPushSubscription{User: user, Device: device, Endpoint: endpoint, P256dh: "k-" + endpoint, Auth: "a-" + endpoint, Created: 1}
	}
	for _, s := range []store.WebPushSubscription{sub("u", "d1", "e1"), sub("u", "d2", "e2"), sub("v", "d1", "e3"), sub("u", "d1", "e4")} {
		if err := d.PutWebPush(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	endpoints := func(user string) []string {
		t.Helper()
		subs, err := d.WebPushOf(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range subs {
			if s.User != user || s.P256dh != "k-"+s.Endpoint || s.Auth != "a-"+s.Endpoint {
				t.Fatalf("%s's subscription %+v", user, s)
			}
			out = append(out, s.Device+"="+s.Endpoint)
		}
		return out
	}
	if got := endpoints("u"); len(got) != 2 || got[0] != "d1=e4" || got[1] != "d2=e2" {
		t.Fatalf("u's subscriptions: %v", got)
	}
	d = b.Reopen(t, d)
	if err := d.DeleteWebPush(ctx, "u", "d2", ""); err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteWebPush(ctx, "", "", "e3"); err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteWebPush(ctx, "nobody", "d9", ""); err != nil {
		t.Fatal(err)
	}
	if got := endpoints("u"); len(got) != 1 || got[0] != "d1=e4" {
		t.Fatalf("u's subscriptions after a delete: %v", got)
	}
	if got := endpoints("v"); len(got) != 0 {
		t.Fatalf("v's subscriptions after its endpoint went: %v", got)
	}
	// The same browser subscribed by another user: the first no longer has it.
	if err := d.PutWebPush(ctx, sub("w", "d7", "e4")); err != nil {
		t.Fatal(err)
	}
	if got := endpoints("u"); len(got) != 0 {
		t.Fatalf("u's subscriptions once w subscribed the same endpoint: %v", got)
	}
	if got := endpoints("w"); len(got) != 1 || got[0] != "d7=e4" {
		t.Fatalf("w's subscriptions: %v", got)
	}
}
