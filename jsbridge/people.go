//go:build js && wasm

package jsbridge

import (
	"math"
	"strconv"

	"github.com/hack-pad/safejs"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// This file: RongIMLib's user profiles, friends, blacklist and online
// status, and their events. Each call reads its arguments into one
// PeopleRequest; the engine and the server apply the rules
// (proto/contract) and answer with RongIMLib's codes.

type peopleCall = requestCall[*pb.PeopleRequest, *pb.PeopleResult]

func (b *Bridge) peopleFunctions() map[string]func([]safejs.Value) (work, error) {
	// at reads argument i with read.
	type reader = func(r *pb.PeopleRequest, v safejs.Value) error
	at := func(readers ...reader) func(*pb.PeopleRequest, []safejs.Value) error {
		return func(r *pb.PeopleRequest, args []safejs.Value) error {
			for i, read := range readers {
				if err := read(r, arg(args, i)); err != nil {
					return err
				}
			}
			return nil
		}
	}
	user := func(r *pb.PeopleRequest, v safejs.Value) (err error) {
		r.UserId, err = asString(v, "userId")
		return err
	}
	users := func(r *pb.PeopleRequest, v safejs.Value) (err error) {
		r.UserIds, err = asStrings(v, "userIds")
		return err
	}
	number := func(dst func(*pb.PeopleRequest) *int32, name string) reader {
		return func(r *pb.PeopleRequest, v safejs.Value) error {
			var err error
			*dst(r), err = asInt32(v, name)
			return err
		}
	}
	direction := number(func(r *pb.PeopleRequest) *int32 { return &r.Direction }, "directionType")
	value := func(name string) reader { return number(func(r *pb.PeopleRequest) *int32 { return &r.Value }, name) }
	text := func(name string) reader {
		return func(r *pb.PeopleRequest, v safejs.Value) (err error) {
			r.Text, err = asString(v, name)
			return err
		}
	}
	paging := func(r *pb.PeopleRequest, v safejs.Value) error {
		if absent(v) {
			return nil
		}
		if err := object(v, "option"); err != nil {
			return err
		}
		count, err := optInt(v, "count", 50)
		if err != nil {
			return err
		}
		if count < 1 || count > contract.MaxFriendsPerCall {
			return invalid("count must be 1-100")
		}
		r.Count = uint32(count)
		if r.PageToken, err = optString(v, "pageToken"); err != nil {
			return err
		}
		r.Ascending, err = optBool(v, "order")
		return err
	}
	ignore := func(*pb.PeopleRequest, safejs.Value) error { return nil } // Electron's filters
	done := func(*pb.PeopleResult) (any, error) { return nil, nil }
	process := func(res *pb.PeopleResult) (any, error) {
		return map[string]any{"processCode": int(res.ProcessCode)}, nil
	}
	profiles := func(res *pb.PeopleResult) (any, error) { return profilesJS(res.Profiles), nil }
	firstProfile := func(res *pb.PeopleResult) (any, error) {
		if len(res.Profiles) == 0 {
			return nil, codes.New(codes.RCUserProfileUserNotExist, "no such user")
		}
		return profileJS(res.Profiles[0]), nil
	}
	friends := func(res *pb.PeopleResult) (any, error) { return friendsJS(res.Friends), nil }
	status := func(res *pb.PeopleResult) (any, error) { return statusesJS(res.Subscriptions), nil }
	valueOf := func(res *pb.PeopleResult) (any, error) { return int(res.Value), nil }
	calls := map[string]peopleCall{
		"updateMyUserProfile": {at(func(r *pb.PeopleRequest, v safejs.Value) (err error) {
			r.Profile, err = profileArg(v)
			return err
		}, func(r *pb.PeopleRequest, v safejs.Value) error {
			// imwasm's own options: mergeExtraProfile sets the keys given and
			// keeps the others ('' removes one).
			if absent(v) {
				return nil
			}
			if err := object(v, "options"); err != nil {
				return err
			}
			merge, err := optBool(v, "mergeExtraProfile")
			if merge && r.Profile.Fields&contract.ProfExt != 0 {
				r.Profile.Fields = r.Profile.Fields&^contract.ProfExt | contract.ProfExtKeys
			}
			return err
		}), done},
		"getUserProfiles":               {at(users), profiles},
		"getMyUserProfile":              {at(), firstProfile},
		"updateMyUserProfileVisibility": {at(value("visibility")), done},
		"getMyUserProfileVisibility":    {at(), valueOf},
		"searchUserProfileByUniqueId":   {at(text("uniqueId")), firstProfile},
		"addFriend": {at(user, direction, func(r *pb.PeopleRequest, v safejs.Value) (err error) {
			if !absent(v) {
				r.Extra, err = asString(v, "extra")
			}
			return err
		}), process},
		"deleteFriends":           {at(users, direction), done},
		"acceptFriendApplication": {at(user), done},
		"refuseFriendApplication": {at(user), done},
		"setFriendInfo": {at(user, func(r *pb.PeopleRequest, v safejs.Value) (err error) {
			if !absent(v) {
				r.Remark, err = asString(v, "remark")
				r.Fields |= contract.FriendFieldRemark
			}
			return err
		}, func(r *pb.PeopleRequest, v safejs.Value) (err error) {
			if !absent(v) {
				r.Ext, err = asStringMap(v, "extProfile")
				r.Fields |= contract.FriendFieldExt
			}
			return err
		}), done},
		"checkFriends": {at(users, direction), func(res *pb.PeopleResult) (any, error) {
			out := make([]any, len(res.Relations))
			for i, x := range res.Relations {
				out[i] = map[string]any{"userId": x.UserId, "relationType": int(x.Relation)}
			}
			return out, nil
		}},
		"getFriends": {at(direction, paging), func(res *pb.PeopleResult) (any, error) {
			return map[string]any{"pageToken": res.PageToken, "totalCount": int(res.TotalCount), "data": friendsJS(res.Friends)}, nil
		}},
		"getFriendApplications": {at(paging, ignore, ignore), func(res *pb.PeopleResult) (any, error) {
			out := make([]any, len(res.Applications))
			for i, a := range res.Applications {
				out[i] = map[string]any{"userId": a.UserId, "name": a.Name, "portraitUri": a.PortraitUri, "applicationType": int(a.Type),
					"applicationStatus": int(a.Status), "operationTime": a.Time, "extra": a.Extra}
			}
			return map[string]any{"pageToken": res.PageToken, "data": out}, nil
		}},
		"getFriendsInfo":         {at(users), friends},
		"searchFriendsInfo":      {at(text("name")), friends},
		"setFriendAddPermission": {at(value("permission")), done},
		"getFriendAddPermission": {at(), valueOf},
		"addToBlacklist":         {at(user), done},
		"removeFromBlacklist":    {at(user), done},
		"getBlacklist":           {at(), func(res *pb.PeopleResult) (any, error) { return stringsAny(res.UserIds), nil }},
		"getBlacklistStatus":     {at(user), func(res *pb.PeopleResult) (any, error) { return res.Flag, nil }},
		"subscribeUserStatus": {at(users, value("subscribeType"), func(r *pb.PeopleRequest, v safejs.Value) (err error) {
			r.Expiry, err = asInt(v, "expiry")
			return err
		}), func(res *pb.PeopleResult) (any, error) {
			if res.ProcessCode != 0 { // 26021: the users past their subscriber limit, as data
				return stringsAny(res.UserIds), codes.New(res.ProcessCode, "some users have 5000 subscribers already")
			}
			return nil, nil
		}},
		"unSubscribeUserStatus": {at(users, value("subscribeType")), done},
		"getSubscribeUserList": {at(value("subscribeType"), func(r *pb.PeopleRequest, v safejs.Value) error {
			n, err := asInt(v, "pageSize")
			if err == nil && (n < 1 || n > contract.MaxSubscribePerCall) {
				err = codes.New(codes.InvalidParameterSubscribePageSize, "pageSize must be 1-200")
			}
			r.Count = uint32(n)
			return err
		}, func(r *pb.PeopleRequest, v safejs.Value) error {
			n, err := asInt(v, "offset")
			if err == nil && n < 0 {
				err = invalid("offset must not be negative")
			}
			if n > 0 {
				r.PageToken = formatInt(n)
			}
			return err
		}), status},
		"setNotificationQuietHoursWithSetting": {at(func(r *pb.PeopleRequest, v safejs.Value) (err error) {
			r.QuietHours, err = quietHoursArg(v)
			return err
		}), done},
		"removeNotificationQuietHoursSetting": {at(), done},
		"getNotificationQuietHoursSetting": {at(), func(res *pb.PeopleResult) (any, error) {
			q := res.QuietHours
			if q == nil || q.SpanMinutes == 0 { // (a do-not-disturb alone is getDoNotDisturb's)
				return map[string]any{"startTime": "", "spanMinutes": 0, "level": 0}, nil // none set, as RongIMLib answers
			}
			return map[string]any{"startTime": q.StartTime, "spanMinutes": int(q.SpanMinutes), "level": int(q.Level), "timezone": q.Timezone}, nil
		}},
		"getSubscribeUserStatus": {at(value("subscribeType"), users), status},
		"getSubscribeUsersOnlineStatus": {at(users), func(res *pb.PeopleResult) (any, error) {
			out := make([]any, len(res.Subscriptions))
			for i, s := range res.Subscriptions {
				online := false
				details := make([]any, len(s.Platforms))
				for j, p := range s.Platforms {
					online = online || p.Online
					details[j] = map[string]any{"platform": int(p.Platform), "isOnline": p.Online, "updateTime": p.Time}
				}
				out[i] = map[string]any{"userId": s.UserId, "isOnline": online, "details": details}
			}
			return out, nil
		}},
	}
	ops := map[string]pb.PeopleOp{
		"updateMyUserProfile": pb.PeopleOp_PROFILE_UPDATE, "getUserProfiles": pb.PeopleOp_PROFILES_GET,
		"getMyUserProfile": pb.PeopleOp_PROFILE_MINE, "updateMyUserProfileVisibility": pb.PeopleOp_VISIBILITY_SET,
		"getMyUserProfileVisibility": pb.PeopleOp_VISIBILITY_GET, "searchUserProfileByUniqueId": pb.PeopleOp_PROFILE_BY_UNIQUE_ID,
		"addFriend": pb.PeopleOp_FRIEND_ADD, "deleteFriends": pb.PeopleOp_FRIENDS_DELETE,
		"acceptFriendApplication": pb.PeopleOp_FRIEND_ACCEPT, "refuseFriendApplication": pb.PeopleOp_FRIEND_REFUSE,
		"setFriendInfo": pb.PeopleOp_FRIEND_SET_INFO, "checkFriends": pb.PeopleOp_FRIENDS_CHECK, "getFriends": pb.PeopleOp_FRIENDS_LIST,
		"getFriendApplications": pb.PeopleOp_FRIEND_APPLICATIONS, "getFriendsInfo": pb.PeopleOp_FRIENDS_INFO,
		"searchFriendsInfo": pb.PeopleOp_FRIENDS_SEARCH, "setFriendAddPermission": pb.PeopleOp_FRIEND_PERMISSION_SET,
		"getFriendAddPermission": pb.PeopleOp_FRIEND_PERMISSION_GET, "addToBlacklist": pb.PeopleOp_BLACKLIST_ADD,
		"removeFromBlacklist": pb.PeopleOp_BLACKLIST_REMOVE, "getBlacklist": pb.PeopleOp_BLACKLIST_GET,
		"getBlacklistStatus": pb.PeopleOp_BLACKLIST_STATUS, "subscribeUserStatus": pb.PeopleOp_SUBSCRIBE,
		"unSubscribeUserStatus": pb.PeopleOp_UNSUBSCRIBE, "getSubscribeUserList": pb.PeopleOp_SUBSCRIPTIONS,
		"getSubscribeUserStatus": pb.PeopleOp_SUBSCRIBED_STATUS, "getSubscribeUsersOnlineStatus": pb.PeopleOp_ONLINE_STATUS,
		"setNotificationQuietHoursWithSetting": pb.PeopleOp_QUIET_HOURS_SET, "removeNotificationQuietHoursSetting": pb.PeopleOp_QUIET_HOURS_REMOVE,
		"getNotificationQuietHoursSetting": pb.PeopleOp_QUIET_HOURS_GET,
	}
	return requestFunctions(b, calls, func(name string) *pb.PeopleRequest { return &pb.PeopleRequest{Op: ops[name]} },
		(*client.Engine).People)
}

// quietHoursArg reads an INotificationQuietHoursSetting. A field of the
// wrong type reads as a bad value of it, so that the engine's check
// (contract.CheckQuietHours) answers RongIMLib's code for the first bad
// field in RongIMLib's order; a fractional spanMinutes is truncated, as
// RongIMLib's range check lets it through.
func quietHoursArg(v safejs.Value) (*pb.QuietHours, error) {
	if err := object(v, "setting"); err != nil {
		return nil, err
	}
	q := &pb.QuietHours{}
	var err error
	if q.Timezone, err = optString(v, "timezone"); err != nil {
		return nil, err
	}
	number := func(key string, whole bool) (int32, bool) {
		f, err := field(v, key)
		if err != nil || f.Type() != safejs.TypeNumber {
			return 0, false
		}
		n, err := f.Float()
		if err != nil || n != n || n < math.MinInt32 || n > math.MaxInt32 || whole && n != math.Trunc(n) {
			return 0, false
		}
		return int32(n), true
	}
	if f, err := field(v, "startTime"); err == nil && f.Type() == safejs.TypeString {
		q.StartTime, _ = f.String()
	}
	q.SpanMinutes, _ = number("spanMinutes", false) // 0 when not a number: out of range
	var ok bool
	if q.Level, ok = number("level", true); !ok {
		q.Level = -1 // no PushNotificationQuietHoursLevel
	}
	return q, nil
}

// profileArg reads an IUserProfileInfo; the fields given are the ones set.
func profileArg(v safejs.Value) (*pb.UserProfile, error) {
	if err := object(v, "profile"); err != nil {
		return nil, err
	}
	p := &pb.UserProfile{}
	var err error
	p.Fields, err = readFields(v, []strField{
		{"name", &p.Name, contract.ProfName}, {"portraitUri", &p.PortraitUri, contract.ProfPortrait},
		{"email", &p.Email, contract.ProfEmail}, {"birthday", &p.Birthday, contract.ProfBirthday},
		{"location", &p.Location, contract.ProfLocation}, {"uniqueId", &p.UniqueId, contract.ProfUniqueID},
	}, []intField{{"gender", &p.Gender, contract.ProfGender}, {"role", &p.Role, contract.ProfRole}, {"level", &p.Level, contract.ProfLevel}})
	if err != nil {
		return nil, err
	}
	ext, err := field(v, "extraProfile")
	if err != nil {
		return nil, err
	}
	if !absent(ext) {
		if p.Ext, err = asStringMap(ext, "extraProfile"); err != nil {
			return nil, err
		}
		p.Fields |= contract.ProfExt
	}
	return p, nil
}

// profileJS is an IUserProfileInfo: the id alone when the user's profile
// is not visible (fields 0).
func profileJS(p *pb.UserProfile) map[string]any {
	out := map[string]any{"userId": p.UserId}
	if p.Fields == 0 {
		return out
	}
	out["name"], out["portraitUri"], out["email"], out["birthday"] = p.Name, p.PortraitUri, p.Email, p.Birthday
	out["gender"], out["location"], out["role"], out["level"] = int(p.Gender), p.Location, int(p.Role), int(p.Level)
	out["extraProfile"] = stringMapAny(p.Ext)
	if p.UniqueId != "" {
		out["uniqueId"] = p.UniqueId
	}
	return out
}

func profilesJS(ps []*pb.UserProfile) []any {
	out := make([]any, len(ps))
	for i, p := range ps {
		out[i] = profileJS(p)
	}
	return out
}

func friendsJS(fs []*pb.Friend) []any {
	out := make([]any, len(fs))
	for i, f := range fs {
		out[i] = map[string]any{"userId": f.UserId, "name": f.Name, "portraitUri": f.PortraitUri, "remark": f.Remark,
			"extProfile": stringMapAny(f.Ext), "addTime": f.AddTime, "directionType": int(contract.DirectionBoth), "inBlackList": f.InBlacklist}
	}
	return out
}

// statusJS is an ISubscribeUserStatusInfo (eventValue: 1 online, 0
// offline).
func statusJS(s *pb.SubscriptionStatus) map[string]any {
	out := map[string]any{"userId": s.UserId, "subscribeType": int(s.Type), "subscribeTime": s.Time, "expiry": s.Expiry}
	if len(s.Platforms) > 0 {
		details := make([]any, len(s.Platforms))
		for i, p := range s.Platforms {
			v := 0
			if p.Online {
				v = 1
			}
			details[i] = map[string]any{"changeTime": p.Time, "eventValue": v, "platform": int(p.Platform)}
		}
		out["details"] = details
	}
	if s.Profile != nil {
		out["userProfile"] = profileJS(s.Profile)
	}
	return out
}

func statusesJS(ss []*pb.SubscriptionStatus) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = statusJS(s)
	}
	return out
}

// peopleEventsJS is a people event's RongIMLib name and payload; a
// FRIEND_ADDED naming several users is one event each.
func peopleEventsJS(ev client.Event) [][2]any {
	p := ev.People
	switch ev.Kind {
	case client.EventOwnProfile:
		return [][2]any{{"OWN_USER_PROFILE_CHANGED", profileJS(p.Profile)}}
	case client.EventSubscribedStatus:
		return [][2]any{{"SUBSCRIBED_USER_STATUS_CHANGE", statusesJS(p.Status)}}
	case client.EventSubscriptionRelation:
		out := make([]any, len(p.Status))
		for i, s := range p.Status {
			op := 0 // SUBSCRIBE
			if s.Unsubscribed {
				op = 1
			}
			out[i] = map[string]any{"userId": s.UserId, "subscribeType": int(s.Type), "subscribeTime": s.Time, "expiry": s.Expiry, "operationType": op}
		}
		return [][2]any{{"SUBSCRIBED_RELATION_CHANGE", out}}
	case client.EventFriend:
		f := p.Friend
		switch f.Kind {
		case pb.FriendEventKind_FRIEND_EVENT_ADDED:
			var out [][2]any
			for _, u := range f.UserIds {
				out = append(out, [2]any{"FRIEND_ADDED", map[string]any{"userId": u, "name": "", "portraitUri": "",
					"directionType": int(contract.DirectionBoth), "operationTime": f.Time}})
			}
			return out
		case pb.FriendEventKind_FRIEND_EVENT_DELETED:
			return [][2]any{{"FRIEND_DELETE", map[string]any{"userIds": stringsAny(f.UserIds), "directionType": int(contract.DirectionBoth), "operationTime": f.Time,
				"operatorId": f.Operator}}} // imwasm's: who deleted ('' from an older server)
		case pb.FriendEventKind_FRIEND_EVENT_APPLICATION:
			a := f.Application
			return [][2]any{{"FRIEND_APPLICATION_STATUS_CHANGED", map[string]any{"userId": a.UserId, "applicationType": int(a.Type),
				"applicationStatus": int(a.Status), "directionType": int(contract.DirectionBoth), "operationTime": f.Time, "extra": a.Extra}}}
		case pb.FriendEventKind_FRIEND_EVENT_CLEARED:
			return [][2]any{{"FRIEND_CLEARED", f.Time}}
		case pb.FriendEventKind_FRIEND_EVENT_INFO:
			u := ""
			if len(f.UserIds) > 0 {
				u = f.UserIds[0]
			}
			return [][2]any{{"FRIEND_INFO_CHANGED_SYNC", map[string]any{"userId": u, "remark": f.Remark, "extProfile": stringMapAny(f.Ext), "operationTime": f.Time}}}
		}
	}
	return nil
}

func formatInt(n int64) string { return strconv.FormatInt(n, 10) }
