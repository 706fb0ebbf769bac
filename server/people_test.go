package server_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server"
)

func (d *device) people(t *testing.T, r *pb.PeopleRequest) (*pb.PeopleResult, error) {
	t.Helper()
	return d.People(context.Background(), r)
}

func (d *device) mustPeople(t *testing.T, r *pb.PeopleRequest) *pb.PeopleResult {
	t.Helper()
	res, err := d.people(t, r)
	return mustOK(t, d, r.Op, res, err)
}

// waitPeopleEvent waits for d's event of kind satisfying ok.
func (d *device) waitPeopleEvent(t *testing.T, what string, kind client.EventKind, ok func(*client.PeopleEvent) bool) *client.PeopleEvent {
	t.Helper()
	return waitEventOf(t, d, what, kind, func(ev client.Event) *client.PeopleEvent { return ev.People }, ok)
}

func friendKind(k pb.FriendEventKind) func(*client.PeopleEvent) bool {
	return func(p *client.PeopleEvent) bool { return p.Friend != nil && p.Friend.Kind == k }
}

// Profiles, friends and the blacklist across several devices and a
// restart: every operation, its refusals, and what each user hears.
func TestProfilesFriendsBlacklist(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	a1 := e.device("alice", "a1", devOpts{})
	a2 := e.device("alice", "a2", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	carol := e.device("carol", "c1", devOpts{})
	for _, d := range []*device{a1, a2, bob, carol} {
		d.connect(t, token(t, d.user, time.Hour))
	}

	// Profiles: alice sets hers; her other device hears it.
	prof := &pb.UserProfile{Name: "Alice", PortraitUri: "https://x/a.png", Gender: 2, Ext: map[string]string{"k": "v"},
		Fields: contract.ProfName | contract.ProfPortrait | contract.ProfGender | contract.ProfExt}
	a1.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_PROFILE_UPDATE, Profile: prof})
	a2.waitPeopleEvent(t, "own profile", client.EventOwnProfile, func(p *client.PeopleEvent) bool { return p.Profile.Name == "Alice" })
	for _, c := range []struct {
		p    *pb.UserProfile
		want int32
	}{
		{&pb.UserProfile{Name: string(make([]byte, 65)), Fields: contract.ProfName}, codes.RCUserProfileValueLengthExceedLimit},
		{&pb.UserProfile{Gender: 3, Fields: contract.ProfGender}, codes.RCUserProfileValueExceedRange},
		{&pb.UserProfile{UniqueId: "me", Fields: contract.ProfUniqueID}, codes.RCUserProfileKeyNotAllowSDKSet},
		{&pb.UserProfile{}, codes.InvalidParameterUserProfile},
	} {
		_, err := a1.people(t, &pb.PeopleRequest{Op: pb.PeopleOp_PROFILE_UPDATE, Profile: c.p})
		wantCode(t, "bad profile", err, c.want)
	}
	got := bob.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_PROFILES_GET, UserIds: []string{"alice", "nobody"}})
	if len(got.Profiles) != 2 || got.Profiles[0].Name != "Alice" || got.Profiles[0].Ext["k"] != "v" || got.Profiles[1].Name != "" {
		t.Fatalf("profiles: %+v", got.Profiles)
	}
	// Friends only: bob (no friend yet) sees the id alone.
	a1.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_VISIBILITY_SET, Value: contract.VisibilityFriends})
	if got := bob.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_PROFILES_GET, UserIds: []string{"alice"}}); got.Profiles[0].Name != "" {
		t.Fatalf("a friends-only profile shown to a stranger: %+v", got.Profiles[0])
	}

	// Friends: bob asks (alice verifies, the default), alice accepts on
	// one device; both hear of it on every device.
	_, err := bob.people(t, &pb.PeopleRequest{Op: pb.PeopleOp_FRIEND_ADD, UserId: "bob", Direction: contract.DirectionBoth})
	wantCode(t, "befriending oneself", err, codes.RCFriendNotAllowAddSelf)
	_, err = bob.people(t, &pb.PeopleRequest{Op: pb.PeopleOp_FRIEND_ADD, UserId: "alice", Direction: 1})
	wantCode(t, "one-way friends", err, codes.InvalidParameterQueryFriendsDirectionType)
	res := bob.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_FRIEND_ADD, UserId: "alice", Direction: contract.DirectionBoth, Extra: "hi, bob here"})
	if res.ProcessCode != codes.RCFriendNeedAccept {
		t.Fatalf("add processCode %d", res.ProcessCode)
	}
	req := a2.waitPeopleEvent(t, "request", client.EventFriend, friendKind(pb.FriendEventKind_FRIEND_EVENT_APPLICATION))
	if req.Friend.Application.UserId != "bob" || req.Friend.Application.Type != contract.FriendReceived || req.Friend.Application.Extra != "hi, bob here" {
		t.Fatalf("alice sees %+v", req.Friend.Application)
	}
	apps := a1.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_FRIEND_APPLICATIONS})
	if len(apps.Applications) != 1 || apps.Applications[0].Status != contract.FriendUnhandled {
		t.Fatalf("applications: %+v", apps.Applications)
	}
	_, err = carol.people(t, &pb.PeopleRequest{Op: pb.PeopleOp_FRIEND_ACCEPT, UserId: "bob"})
	wantCode(t, "accepting a request never made", err, codes.RCFriendApplicationNotExist)
	a1.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_FRIEND_ACCEPT, UserId: "bob"})
	bob.waitPeopleEvent(t, "added", client.EventFriend, friendKind(pb.FriendEventKind_FRIEND_EVENT_ADDED))
	a2.waitPeopleEvent(t, "added", client.EventFriend, friendKind(pb.FriendEventKind_FRIEND_EVENT_ADDED))
	_, err = bob.people(t, &pb.PeopleRequest{Op: pb.PeopleOp_FRIEND_ADD, UserId: "alice", Direction: contract.DirectionBoth})
	wantCode(t, "adding a friend", err, codes.RCFriendAlreadyFriend)
	if got := bob.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_PROFILES_GET, UserIds: []string{"alice"}}); got.Profiles[0].Name != "Alice" {
		t.Fatalf("a friend does not see a friends-only profile: %+v", got.Profiles[0])
	}
	// A friend hears of alice's next profile change as a status push.
	a1.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_PROFILE_UPDATE, Profile: &pb.UserProfile{Name: "Al", Fields: contract.ProfName}})
	bob.waitPeopleEvent(t, "profile push", client.EventSubscribedStatus, func(p *client.PeopleEvent) bool {
		return p.Status[0].UserId == "alice" && p.Status[0].Type == contract.SubscribeFriendUP && p.Status[0].Profile.GetName() == "Al"
	})
	// Remarks sync to the user's other device; only friends have them.
	a1.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_FRIEND_SET_INFO, UserId: "bob", Remark: "Bobby", Fields: contract.FriendFieldRemark})
	a2.waitPeopleEvent(t, "remark", client.EventFriend, func(p *client.PeopleEvent) bool { return p.Friend.GetRemark() == "Bobby" })
	_, err = a1.people(t, &pb.PeopleRequest{Op: pb.PeopleOp_FRIEND_SET_INFO, UserId: "carol", Remark: "C", Fields: contract.FriendFieldRemark})
	wantCode(t, "a remark for a stranger", err, codes.RCFriendNotFriend)
	list := a2.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_FRIENDS_LIST, Direction: contract.DirectionBoth})
	if len(list.Friends) != 1 || list.Friends[0].UserId != "bob" || list.Friends[0].Remark != "Bobby" || list.TotalCount != 1 {
		t.Fatalf("friends: %+v", list.Friends)
	}
	if found := a2.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_FRIENDS_SEARCH, Text: "bobb"}); len(found.Friends) != 1 {
		t.Fatalf("search: %+v", found.Friends)
	}
	rel := carol.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_FRIENDS_CHECK, UserIds: []string{"alice"}, Direction: contract.DirectionBoth})
	rel2 := bob.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_FRIENDS_CHECK, UserIds: []string{"alice"}, Direction: contract.DirectionBoth})
	if rel.Relations[0].Relation != contract.RelationNone || rel2.Relations[0].Relation != contract.RelationBothWay {
		t.Fatalf("relations: %+v %+v", rel.Relations, rel2.Relations)
	}
	// carol takes no requests; then anyone may add her at once.
	carol.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_FRIEND_PERMISSION_SET, Value: contract.FriendAddNoOne})
	_, err = bob.people(t, &pb.PeopleRequest{Op: pb.PeopleOp_FRIEND_ADD, UserId: "carol", Direction: contract.DirectionBoth})
	wantCode(t, "adding one who takes no one", err, codes.RCFriendOtherNotAllowAddFriend)
	carol.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_FRIEND_PERMISSION_SET, Value: contract.FriendAddFree})
	if res := bob.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_FRIEND_ADD, UserId: "carol", Direction: contract.DirectionBoth}); res.ProcessCode != 0 {
		t.Fatalf("free add processCode %d", res.ProcessCode)
	}
	carol.waitPeopleEvent(t, "added freely", client.EventFriend, friendKind(pb.FriendEventKind_FRIEND_EVENT_ADDED))
	bob.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_FRIENDS_DELETE, UserIds: []string{"carol"}, Direction: contract.DirectionBoth})
	carol.waitPeopleEvent(t, "deleted", client.EventFriend, friendKind(pb.FriendEventKind_FRIEND_EVENT_DELETED))

	// The blacklist: carol blocks bob; his private message fails with 405
	// and nothing reaches or is stored for her; his typing too; he may
	// not befriend her. Unblocked, his next message arrives.
	carol.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_BLACKLIST_ADD, UserId: "bob"})
	if st := carol.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_BLACKLIST_STATUS, UserId: "bob"}); !st.Flag {
		t.Fatal("blacklist status: not blocked")
	}
	failed, err := bob.SendMessage(context.Background(), text("carol", client.Private, "let me in"), client.SendOptions{})
	wantCode(t, "a blocked send", err, codes.RejectedByBlacklist)
	if failed == nil || failed.SentStatus != client.StatusFailed {
		t.Fatalf("the blocked message: %+v", failed)
	}
	err = bob.SendTypingStatus(context.Background(), client.Conversation{Type: client.Private, TargetID: "carol"}, "RC:TxtMsg")
	wantCode(t, "blocked typing", err, codes.RejectedByBlacklist)
	_, err = bob.people(t, &pb.PeopleRequest{Op: pb.PeopleOp_FRIEND_ADD, UserId: "carol", Direction: contract.DirectionBoth})
	wantCode(t, "befriending one who blocks you", err, codes.RCFriendInOtherBlackList)
	_, err = carol.people(t, &pb.PeopleRequest{Op: pb.PeopleOp_FRIEND_ADD, UserId: "bob", Direction: contract.DirectionBoth})
	wantCode(t, "befriending one you block", err, codes.RCFriendInMyBlackList)
	carol.send(t, text("bob", client.Private, "blocking is one-way")) // she may still write to him
	if bl := carol.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_BLACKLIST_GET}); len(bl.UserIds) != 1 || bl.UserIds[0] != "bob" {
		t.Fatalf("blacklist: %v", bl.UserIds)
	}
	e.fence(t, carol)
	for _, m := range carol.messages() {
		if m.SenderUserID == "bob" {
			t.Fatalf("a blocked message reached carol: %+v", m)
		}
	}
	hist, _, err := carol.RemoteHistory(context.Background(), client.Conversation{Type: client.Private, TargetID: "bob"}, 0, 20, 0)
	if err != nil || len(hist) != 1 {
		t.Fatalf("stored for carol: %d messages, %v", len(hist), err)
	}
	carol.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_BLACKLIST_REMOVE, UserId: "bob"})
	sent := bob.send(t, text("carol", client.Private, "thanks"))
	carol.waitFor(t, "the unblocked message", func(got []*client.Message, _ []client.Event) bool {
		for _, m := range got {
			if m.MessageUID == sent.MessageUID {
				return true
			}
		}
		return false
	})

	// After a restart everything is there.
	e.stop()
	e2 := newEnv(t, func(c *server.Config) { c.DataDir, c.Now = e.dir, e.clock.now })
	a3 := e2.device("alice", "a3", devOpts{})
	a3.connect(t, token(t, "alice", time.Hour))
	mine := a3.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_PROFILE_MINE})
	vis := a3.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_VISIBILITY_GET})
	fr := a3.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_FRIENDS_INFO, UserIds: []string{"bob", "carol"}})
	if mine.Profiles[0].Name != "Al" || mine.Profiles[0].PortraitUri != "https://x/a.png" || vis.Value != contract.VisibilityFriends ||
		len(fr.Friends) != 1 || fr.Friends[0].Remark != "Bobby" {
		t.Fatalf("after restart: %+v %v %+v", mine.Profiles, vis.Value, fr.Friends)
	}
}

// Online status: subscribers hear when a user's first session opens and
// when their last closes, one push each; others hear nothing. The limits
// refuse with RongIMLib's codes.
func TestOnlineStatusSubscriptions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	sub := e.device("sam", "s1", devOpts{})
	sub.connect(t, token(t, "sam", time.Hour))
	other := e.device("oscar", "o1", devOpts{})
	other.connect(t, token(t, "oscar", time.Hour))
	_, err := sub.people(t, &pb.PeopleRequest{Op: pb.PeopleOp_SUBSCRIBE, UserIds: []string{"tina"}, Value: contract.SubscribeOnline, Expiry: 59})
	wantCode(t, "expiry of 59 s", err, codes.InvalidParameterSubscribeExpiry)
	_, err = sub.people(t, &pb.PeopleRequest{Op: pb.PeopleOp_SUBSCRIBE, UserIds: []string{"tina"}, Value: 9, Expiry: 60})
	wantCode(t, "a bad type", err, codes.InvalidParameterSubscribeType)
	many := make([]string, 201)
	for i := range many {
		many[i] = fmt.Sprint("u", i)
	}
	_, err = sub.people(t, &pb.PeopleRequest{Op: pb.PeopleOp_SUBSCRIBE, UserIds: many, Value: contract.SubscribeOnline, Expiry: 60})
	wantCode(t, "201 users", err, codes.InvalidParameterSubscribePublisherUserIDs)
	sub.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_SUBSCRIBE, UserIds: []string{"tina"}, Value: contract.SubscribeOnline, Expiry: 3600})

	tina1 := e.device("tina", "t1", devOpts{})
	tina1.connect(t, token(t, "tina", time.Hour))
	online := func(want bool) func(*client.PeopleEvent) bool {
		return func(p *client.PeopleEvent) bool {
			s := p.Status[0]
			return s.UserId == "tina" && len(s.Platforms) == 1 && s.Platforms[0].Online == want && s.Platforms[0].Platform == contract.PlatformWeb
		}
	}
	sub.waitPeopleEvent(t, "tina online", client.EventSubscribedStatus, online(true))
	tina2 := e.device("tina", "t2", devOpts{})
	tina2.connect(t, token(t, "tina", time.Hour))
	st := sub.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_SUBSCRIBED_STATUS, UserIds: []string{"tina"}, Value: contract.SubscribeOnline})
	if len(st.Subscriptions) != 1 || !st.Subscriptions[0].Platforms[0].Online || st.Subscriptions[0].Expiry != 3600 {
		t.Fatalf("status: %+v", st.Subscriptions)
	}
	tina1.Disconnect() // one session left: still online
	tina2.Disconnect()
	sub.waitPeopleEvent(t, "tina offline", client.EventSubscribedStatus, online(false))
	n := 0
	for _, ev := range sub.events() {
		if ev.Kind == client.EventSubscribedStatus {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("sam got %d status pushes, want 2 (first session, last session)", n)
	}
	e.fence(t, other)
	for _, ev := range other.events() {
		if ev.Kind == client.EventSubscribedStatus {
			t.Fatal("a non-subscriber heard of tina")
		}
	}
	list := sub.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_SUBSCRIPTIONS, Value: contract.SubscribeOnline, Count: 10})
	if len(list.Subscriptions) != 1 || list.Subscriptions[0].UserId != "tina" || list.Subscriptions[0].Platforms[0].Online {
		t.Fatalf("subscriptions: %+v", list.Subscriptions)
	}
	// Expired, a subscription is no more.
	e.clock.add(2 * time.Hour)
	if list := sub.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_SUBSCRIPTIONS, Value: contract.SubscribeOnline, Count: 10}); len(list.Subscriptions) != 0 {
		t.Fatalf("expired subscriptions: %+v", list.Subscriptions)
	}
	sub.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_SUBSCRIBE, UserIds: []string{"tina"}, Value: contract.SubscribeOnline, Expiry: 60})
	sub.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_UNSUBSCRIBE, UserIds: []string{"tina"}, Value: contract.SubscribeOnline})
	if list := sub.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_SUBSCRIPTIONS, Value: contract.SubscribeOnline, Count: 10}); len(list.Subscriptions) != 0 {
		t.Fatalf("after unsubscribing: %+v", list.Subscriptions)
	}
	// 1,000 subscriptions at most.
	for i := range 5 {
		ids := make([]string, 200)
		for j := range ids {
			ids[j] = fmt.Sprint("p", i*200+j)
		}
		sub.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_SUBSCRIBE, UserIds: ids, Value: contract.SubscribeOnline, Expiry: 600})
	}
	_, err = sub.people(t, &pb.PeopleRequest{Op: pb.PeopleOp_SUBSCRIBE, UserIds: []string{"one-more"}, Value: contract.SubscribeOnline, Expiry: 600})
	wantCode(t, "the 1,001st subscription", err, codes.RCSubscribedUserIDsExceedLimit)
}

// The admin API's people routes: profiles with a uniqueId, friends made
// and cleared without consent, blacklists.
func TestPeopleAdminRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ann := e.device("ann", "a1", devOpts{})
	ben := e.device("ben", "b1", devOpts{})
	ann.connect(t, token(t, "ann", time.Hour))
	ben.connect(t, token(t, "ben", time.Hour))
	must := func(method, path string, body any) map[string]any {
		t.Helper()
		status, res := e.admin(method, path, body)
		if status != 200 {
			t.Fatalf("%s %s: %d %v", method, path, status, res)
		}
		return res["data"].(map[string]any)
	}
	got := must("PUT", "/v1/users/ann/profile", map[string]any{"name": "Ann", "uniqueId": "ann-001", "level": 3})
	if got["name"] != "Ann" || got["uniqueId"] != "ann-001" || got["level"].(float64) != 3 {
		t.Fatalf("profile: %v", got)
	}
	ann.waitPeopleEvent(t, "own profile", client.EventOwnProfile, func(p *client.PeopleEvent) bool { return p.Profile.UniqueId == "ann-001" })
	found := ben.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_PROFILE_BY_UNIQUE_ID, Text: "ann-001"})
	if found.Profiles[0].UserId != "ann" {
		t.Fatalf("by uniqueId: %+v", found.Profiles)
	}
	if status, res := e.admin("PUT", "/v1/users/ben/profile", map[string]any{"uniqueId": "ann-001"}); status != 400 || res["code"].(float64) != codes.InvalidParameter {
		t.Fatalf("a taken uniqueId: %d %v", status, res)
	}
	_, err := ben.people(t, &pb.PeopleRequest{Op: pb.PeopleOp_PROFILE_BY_UNIQUE_ID, Text: "nobody"})
	wantCode(t, "an unknown uniqueId", err, codes.RCUserProfileUserNotExist)

	must("POST", "/v1/users/ann/friends", map[string]any{"userIds": []string{"ben"}})
	ben.waitPeopleEvent(t, "made a friend", client.EventFriend, friendKind(pb.FriendEventKind_FRIEND_EVENT_ADDED))
	if got := must("GET", "/v1/users/ben/friends", nil); len(got["friends"].([]any)) != 1 {
		t.Fatalf("ben's friends: %v", got)
	}
	must("DELETE", "/v1/users/ann/friends", nil)
	ann.waitPeopleEvent(t, "cleared", client.EventFriend, friendKind(pb.FriendEventKind_FRIEND_EVENT_CLEARED))
	ben.waitPeopleEvent(t, "unfriended", client.EventFriend, friendKind(pb.FriendEventKind_FRIEND_EVENT_DELETED))

	must("POST", "/v1/users/ann/blacklist", map[string]any{"userIds": []string{"ben"}})
	_, err = ben.SendMessage(context.Background(), text("ann", client.Private, "hello?"), client.SendOptions{})
	wantCode(t, "blocked by the app server", err, codes.RejectedByBlacklist)
	if got := must("GET", "/v1/users/ann/blacklist", nil); len(got["userIds"].([]any)) != 1 {
		t.Fatalf("blacklist: %v", got)
	}
	must("DELETE", "/v1/users/ann/blacklist/ben", nil)
	ben.send(t, text("ann", client.Private, "hello!"))
}

// The people limits are settings: friends, blacklist, subscriptions and
// subscribers, each refused with its code and nothing changed.
func TestPeopleLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ds := map[string]*device{}
	for _, u := range []string{"ann", "bo", "cy", "di"} {
		ds[u] = e.device(u, u+"1", devOpts{})
		ds[u].connect(t, token(t, u, time.Hour))
	}
	if status, body := e.admin("PUT", "/v1/settings", map[string]any{"friendsMax": 1, "blacklistMax": 1, "subscriptionsMax": 2, "subscribersMax": 1}); status != 200 {
		t.Fatalf("settings: %d %v", status, body)
	}
	for _, u := range []string{"bo", "cy"} {
		ds[u].mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_FRIEND_PERMISSION_SET, Value: contract.FriendAddFree})
	}
	ds["ann"].mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_FRIEND_ADD, UserId: "bo", Direction: contract.DirectionBoth})
	_, err := ds["ann"].people(t, &pb.PeopleRequest{Op: pb.PeopleOp_FRIEND_ADD, UserId: "cy", Direction: contract.DirectionBoth})
	wantCode(t, "ann's second friend", err, codes.RCFriendMyFriendCountExceedLimit)
	_, err = ds["cy"].people(t, &pb.PeopleRequest{Op: pb.PeopleOp_FRIEND_ADD, UserId: "bo", Direction: contract.DirectionBoth})
	wantCode(t, "bo's second friend", err, codes.RCFriendOtherFriendCountExceedLimit)
	ds["ann"].mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_BLACKLIST_ADD, UserId: "cy"})
	_, err = ds["ann"].people(t, &pb.PeopleRequest{Op: pb.PeopleOp_BLACKLIST_ADD, UserId: "di"})
	wantCode(t, "a second block", err, codes.InvalidParameter)
	if bl := ds["ann"].mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_BLACKLIST_GET}); len(bl.UserIds) != 1 {
		t.Fatalf("blacklist after the refusal: %v", bl.UserIds)
	}
	// di has one subscriber (ann); bo's subscription to di is left out.
	ds["ann"].mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_SUBSCRIBE, UserIds: []string{"di"}, Value: contract.SubscribeOnline, Expiry: 60})
	res, err := ds["bo"].people(t, &pb.PeopleRequest{Op: pb.PeopleOp_SUBSCRIBE, UserIds: []string{"di", "cy"}, Value: contract.SubscribeOnline, Expiry: 60})
	if err != nil || res.ProcessCode != codes.RCBesubscribedUserIDsCountExceedLimit || len(res.UserIds) != 1 || res.UserIds[0] != "di" {
		t.Fatalf("subscribing past di's subscribers: %+v %v", res, err)
	}
	if got := ds["bo"].mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_SUBSCRIBED_STATUS, UserIds: []string{"di", "cy"}, Value: contract.SubscribeOnline}); len(got.Subscriptions) != 1 || got.Subscriptions[0].UserId != "cy" {
		t.Fatalf("bo's subscriptions: %+v", got.Subscriptions)
	}
	_, err = ds["ann"].people(t, &pb.PeopleRequest{Op: pb.PeopleOp_SUBSCRIBE, UserIds: []string{"bo", "zed"}, Value: contract.SubscribeOnline, Expiry: 60})
	wantCode(t, "ann's third subscription", err, codes.RCSubscribedUserIDsExceedLimit)
	if got := ds["ann"].mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_SUBSCRIPTIONS, Value: contract.SubscribeOnline, Count: 10}); len(got.Subscriptions) != 1 {
		t.Fatalf("ann's subscriptions after the refusal: %+v", got.Subscriptions)
	}
}

// A profile change reaches the members of the user's groups too
// (USER_PROFILE), unless the profile is for friends only; the friends
// get FRIEND_USER_PROFILE.
func TestProfilePushToGroupPeers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.group(t, "club", "gus", []string{"gus", "hal", "ivy"}, nil)
	ds := map[string]*device{}
	for _, u := range []string{"gus", "hal", "ivy", "jay"} {
		ds[u] = e.device(u, u+"1", devOpts{})
		ds[u].connect(t, token(t, u, time.Hour))
	}
	if status, body := e.admin("POST", "/v1/users/gus/friends", map[string]any{"userIds": []string{"hal"}}); status != 200 {
		t.Fatalf("friends: %d %v", status, body)
	}
	ds["gus"].mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_PROFILE_UPDATE, Profile: &pb.UserProfile{Name: "Gus", Fields: contract.ProfName}})
	pushed := func(typ int32, name string) func(*client.PeopleEvent) bool {
		return func(p *client.PeopleEvent) bool {
			return p.Status[0].UserId == "gus" && p.Status[0].Type == typ && p.Status[0].Profile.GetName() == name
		}
	}
	ds["hal"].waitPeopleEvent(t, "a friend's profile", client.EventSubscribedStatus, pushed(contract.SubscribeFriendUP, "Gus"))
	ds["ivy"].waitPeopleEvent(t, "a group peer's profile", client.EventSubscribedStatus, pushed(contract.SubscribeProfile, "Gus"))
	ds["gus"].mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_VISIBILITY_SET, Value: contract.VisibilityFriends})
	ds["gus"].mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_PROFILE_UPDATE, Profile: &pb.UserProfile{Name: "G.", Fields: contract.ProfName}})
	ds["hal"].waitPeopleEvent(t, "a friend's second change", client.EventSubscribedStatus, pushed(contract.SubscribeFriendUP, "G."))
	// A stranger subscribed to the profile reads no more than it shows.
	ds["jay"].mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_SUBSCRIBE, UserIds: []string{"gus"}, Value: contract.SubscribeProfile, Expiry: 60})
	st := ds["jay"].mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_SUBSCRIBED_STATUS, UserIds: []string{"gus"}, Value: contract.SubscribeProfile})
	if len(st.Subscriptions) != 1 || st.Subscriptions[0].Profile.GetName() != "" {
		t.Fatalf("a friends-only profile read through a subscription: %+v", st.Subscriptions)
	}
	e.fence(t, ds["ivy"], ds["jay"])
	for _, u := range []string{"ivy", "jay"} {
		for _, ev := range ds[u].events() {
			if ev.Kind == client.EventSubscribedStatus && ev.People.Status[0].Profile.GetName() == "G." {
				t.Fatalf("%s saw a friends-only profile", u)
			}
		}
	}
}

// Review fixes: a request made before a block is not accepted after it; a
// user subscribed with two types counts once against subscribersMax; an
// offset past the end of the subscriptions is an empty page.
func TestPeopleEdgeCases(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	alice, bob := e.device("alice", "a1", devOpts{}), e.device("bob", "b1", devOpts{})
	for _, d := range []*device{alice, bob} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	bob.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_FRIEND_ADD, UserId: "alice", Direction: contract.DirectionBoth})
	bob.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_BLACKLIST_ADD, UserId: "alice"})
	_, err := alice.people(t, &pb.PeopleRequest{Op: pb.PeopleOp_FRIEND_ACCEPT, UserId: "bob"})
	wantCode(t, "accepting the request of one who since blocked her", err, codes.RCFriendInOtherBlackList)
	if res := bob.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_FRIENDS_CHECK, UserIds: []string{"alice"}, Direction: contract.DirectionBoth}); len(res.Relations) != 1 || res.Relations[0].Relation != 0 {
		t.Fatalf("bob and alice after the refused accept: %v", res.Relations)
	}

	e.adminOK(t, "PUT", "/v1/settings", map[string]any{"subscribersMax": 2})
	ann, bo := e.device("ann", "an1", devOpts{}), e.device("bo", "bo1", devOpts{})
	for _, d := range []*device{ann, bo} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	for _, typ := range []int32{contract.SubscribeOnline, contract.SubscribeProfile} {
		ann.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_SUBSCRIBE, UserIds: []string{"di"}, Value: typ, Expiry: 3600})
	}
	if res := bo.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_SUBSCRIBE, UserIds: []string{"di"}, Value: contract.SubscribeOnline, Expiry: 3600}); res.ProcessCode != 0 {
		t.Fatalf("di has one subscriber (of 2 allowed), yet bo is refused: %+v", res)
	}
	if res := ann.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_SUBSCRIPTIONS, Value: contract.SubscribeOnline, Count: 10, PageToken: "5"}); len(res.Subscriptions) != 0 {
		t.Fatalf("an offset past the end: %v", res.Subscriptions)
	}
}

// The extra profile merged key by key (ProfExtKeys, the vendor modules'
// per-field updates): the keys given set, the others kept, ” removes
// one; a merge past 20 entries is refused and changes nothing.
func TestProfileExtraMerged(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	a := e.device("alice", "a1", devOpts{})
	a.connect(t, token(t, a.user, time.Hour))
	update := func(ext map[string]string, fields uint32) error {
		_, err := a.people(t, &pb.PeopleRequest{Op: pb.PeopleOp_PROFILE_UPDATE, Profile: &pb.UserProfile{Ext: ext, Fields: fields}})
		return err
	}
	mine := func() map[string]string {
		return a.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_PROFILE_MINE}).Profiles[0].Ext
	}
	if err := update(map[string]string{"sign": "hi", "tel": "123"}, contract.ProfExtKeys); err != nil {
		t.Fatal(err)
	}
	if err := update(map[string]string{"tel": "456", "ext": "{}"}, contract.ProfExtKeys); err != nil {
		t.Fatal(err)
	}
	if got := mine(); len(got) != 3 || got["sign"] != "hi" || got["tel"] != "456" || got["ext"] != "{}" {
		t.Fatalf("merged: %v", got)
	}
	if err := update(map[string]string{"sign": ""}, contract.ProfExtKeys); err != nil {
		t.Fatal(err)
	}
	if got := mine(); len(got) != 2 || got["sign"] != "" {
		t.Fatalf("after removing sign: %v", got)
	}
	many := map[string]string{}
	for i := range 19 {
		many[fmt.Sprint("k", i)] = "v"
	}
	wantCode(t, "a merge past 20 entries", update(many, contract.ProfExtKeys), codes.RCUserProfileExtKVCountExceedLimit)
	if got := mine(); len(got) != 2 {
		t.Fatalf("a refused merge changed the profile: %v", got)
	}
	wantCode(t, "replace and merge at once", update(map[string]string{"a": "b"}, contract.ProfExt|contract.ProfExtKeys), codes.InvalidParameterUserProfile)
	// Replacing still replaces.
	if err := update(map[string]string{"only": "1"}, contract.ProfExt); err != nil {
		t.Fatal(err)
	}
	if got := mine(); len(got) != 1 || got["only"] != "1" {
		t.Fatalf("replaced: %v", got)
	}
}
