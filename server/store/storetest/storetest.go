// Package storetest is the conformance suite of store.Store: the
// behaviours the server relies on, written once against the interface and
// run against every implementation (the SQLite store's tests call Run; a
// new store's call it too), so that no two stores drift apart. What only
// one implementation has (SQLite's WAL, its migrations) stays in its own
// package's tests.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// Backend is a store implementation under test.
type Backend struct {
	// Open gives a test an empty store of its own, closed when the test
	// ends; now is its clock (nil: time.Now).
	Open func(t *testing.T, now func() time.Time) store.Store
	// Reopen closes s, one of Open's, and opens what it keeps again, as a
	// restart of the server would.
	Reopen func(t *testing.T, s store.Store) store.Store
	// Lacks names behaviours (Run's names) the store cannot do yet, with
	// the reason: they are skipped, saying so.
	Lacks map[string]string
}

// Run runs every behaviour of the suite, each as a subtest with a fresh
// store.
func Run(t *testing.T, b Backend) {
	for _, c := range []struct {
		name string
		run  func(*testing.T, Backend)
	}{
		{"AppendAssignsGaplessSeqAndDedups", appendGaplessAndDedup},
		{"PullWindowAndMembership", pullWindowAndMembership},
		{"ChangesAndReadWatermark", changesAndReadWatermark},
		{"ListTimeSkipsMarkers", listTimeSkipsMarkers},
		{"HistoryByTime", historyByTime},
		{"Retention", retention},
		{"SettingsAndAccess", settingsAndAccess},
		{"People", people},
		{"EraseUser", eraseUser},
		{"Receipts", receipts},
		{"ImportKeepsIDsAndTimes", importKeepsIDsAndTimes},
		{"GroupMembershipBoundsVisibility", groupMembershipBoundsVisibility},
		{"UnreadCountsFromTheSequence", unreadCountsFromTheSequence},
		{"ChangeGroupWritesTheDifference", changeGroupWritesTheDifference},
		{"Tags", tags},
		{"ErasedUsersTagsGo", erasedUsersTagsGo},
		{"Chatrooms", chatrooms},
		{"UltraGroups", ultraGroups},
		{"Outbox", outbox},
		{"WebPush", webPush},
		{"EraseUserLeavesUltraGroups", eraseUserLeavesUltraGroups},
		{"EraseUserForgetsWebPush", eraseUserForgetsWebPush},
		{"OutboxEventAfterErase", outboxEventAfterErase},
		{"OutboxEventAfterRetention", outboxEventAfterRetention},
		{"OutboxEventWithoutBody", outboxEventWithoutBody},
	} {
		t.Run(c.name, func(t *testing.T) {
			if why, ok := b.Lacks[c.name]; ok {
				t.Skip(why)
			}
			c.run(t, b)
		})
	}
}

// Msg is a private text message from from to to with client id cid.
func Msg(from, to, cid string) *pb.Message {
	return &pb.Message{ConvType: pb.ConversationType_PRIVATE, FromUser: from, To: to, ClientMsgId: cid, ObjectName: "RC:TxtMsg", Content: []byte(`{"content":"hi"}`)}
}

// Ntf is a group notification of g1 from its owner (client id ntf-op).
func Ntf(op string) *pb.Message {
	m := Msg("owner", "g1", "ntf-"+op)
	m.ConvType = pb.ConversationType_GROUP
	m.ObjectName = "RC:GrpNtf"
	return m
}

// CreateGroup creates id owned by owner with members.
func CreateGroup(t *testing.T, d store.Store, id, owner string, members ...string) *store.GroupChanged {
	t.Helper()
	c, err := d.ChangeGroup(context.Background(), id, func(g *store.Group) (*store.GroupChange, error) {
		if g != nil {
			return nil, store.ErrExists
		}
		g = &store.Group{Name: "one", OwnerID: owner, CreatorID: owner, Created: 1, Members: map[string]store.Member{owner: {Role: contract.RoleOwner, Joined: 1}}}
		for _, u := range members {
			g.Members[u] = store.Member{Role: contract.RoleNormal, Joined: 1}
		}
		return &store.GroupChange{Group: g, Ntf: Ntf("create-" + id)}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// ChangeMembers adds and removes members; removing a non-member is
// refused with ErrNotMember, as the server's rules would.
func ChangeMembers(ctx context.Context, d store.Store, id string, n *pb.Message, add, remove []string) (*store.GroupChanged, error) {
	return d.ChangeGroup(ctx, id, func(g *store.Group) (*store.GroupChange, error) {
		if g == nil {
			return nil, store.ErrNotFound
		}
		for _, u := range add {
			g.Members[u] = store.Member{Role: contract.RoleNormal, Joined: 2}
		}
		for _, u := range remove {
			if _, ok := g.Members[u]; !ok {
				return nil, store.ErrNotMember
			}
			delete(g.Members, u)
		}
		return &store.GroupChange{Group: g, Ntf: n}, nil
	})
}
