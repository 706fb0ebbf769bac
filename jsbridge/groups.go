//go:build js && wasm

package jsbridge

import (
	"github.com/hack-pad/safejs"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// This file: RongIMLib's groups (createGroup … getGroupFollows) and their
// events. Each call reads its arguments into one GroupRequest; the engine
// and the server apply the rules (proto/contract) and answer with
// RongIMLib's codes.

// groupCall is one RongIMLib group function: its operation, how its
// arguments make the request, and how the result becomes its data (nil:
// none).
type groupCall struct {
	op     pb.GroupOp
	args   func(r *pb.GroupRequest, args []safejs.Value) error
	result func(*pb.GroupResult) any
}

func (b *Bridge) groupFunctions() map[string]func([]safejs.Value) (work, error) {
	gid := func(r *pb.GroupRequest, args []safejs.Value) error {
		var err error
		r.GroupId, err = asString(arg(args, 0), "groupId")
		return err
	}
	// then runs gid and more on the arguments after it.
	then := func(more ...func(r *pb.GroupRequest, v safejs.Value) error) func(*pb.GroupRequest, []safejs.Value) error {
		return func(r *pb.GroupRequest, args []safejs.Value) error {
			if err := gid(r, args); err != nil {
				return err
			}
			for i, m := range more {
				if err := m(r, arg(args, i+1)); err != nil {
					return err
				}
			}
			return nil
		}
	}
	users := func(r *pb.GroupRequest, v safejs.Value) (err error) {
		r.UserIds, err = asStrings(v, "userIds")
		return err
	}
	user := func(r *pb.GroupRequest, v safejs.Value) (err error) {
		r.UserId, err = asString(v, "userId")
		return err
	}
	optString := func(dst func(*pb.GroupRequest) *string, name string) func(*pb.GroupRequest, safejs.Value) error {
		return func(r *pb.GroupRequest, v safejs.Value) (err error) {
			if !absent(v) {
				*dst(r), err = asString(v, name)
			}
			return err
		}
	}
	inviter := optString(func(r *pb.GroupRequest) *string { return &r.InviterId }, "inviterId")
	reason := optString(func(r *pb.GroupRequest) *string { return &r.Reason }, "reason")
	quitConfig := func(r *pb.GroupRequest, v safejs.Value) error {
		if !absent(v) {
			return object(v, "config") // its options are the defaults: see docs/api.md
		}
		return nil
	}
	none := func(*pb.GroupResult) any { return nil }
	process := func(res *pb.GroupResult) any { return map[string]any{"processCode": int(res.ProcessCode)} }
	groups := func(res *pb.GroupResult) any { return groupInfosJS(res.Groups) }
	members := func(res *pb.GroupResult) any { return membersJS(res.Members) }
	pageOf := func(data func(*pb.GroupResult) any) func(*pb.GroupResult) any {
		return func(res *pb.GroupResult) any {
			return map[string]any{"pageToken": res.PageToken, "totalCount": int(res.TotalCount), "data": data(res)}
		}
	}
	calls := map[string]groupCall{
		"createGroup": {pb.GroupOp_GROUP_CREATE, func(r *pb.GroupRequest, args []safejs.Value) error {
			if err := groupInfoArg(r, arg(args, 0), true); err != nil {
				return err
			}
			if v := arg(args, 1); !absent(v) {
				return users(r, v)
			}
			return nil
		}, process},
		"updateGroupInfo": {pb.GroupOp_GROUP_UPDATE_INFO, func(r *pb.GroupRequest, args []safejs.Value) error {
			return groupInfoArg(r, arg(args, 0), false)
		}, none},
		"getGroupsInfo":    {pb.GroupOp_GROUP_INFO, groupIDsArg, groups},
		"getJoinedGroups":  {pb.GroupOp_GROUP_JOINED, groupIDsArg, groups},
		"kickGroupMembers": {pb.GroupOp_GROUP_KICK, then(users, quitConfig), none},
		"quitGroup":        {pb.GroupOp_GROUP_QUIT, then(quitConfig), none},
		"dismissGroup":     {pb.GroupOp_GROUP_DISMISS, gid, none},
		"transferGroupOwner": {pb.GroupOp_GROUP_TRANSFER, then(user, func(r *pb.GroupRequest, v safejs.Value) error {
			if absent(v) {
				return nil
			}
			if v.Type() != safejs.TypeBoolean {
				return invalid("quitGroup must be a boolean")
			}
			var err error
			r.Flag, err = v.Bool()
			return err
		}, quitConfig), none},
		"addGroupManagers":    {pb.GroupOp_GROUP_ADD_MANAGERS, then(users), none},
		"removeGroupManagers": {pb.GroupOp_GROUP_REMOVE_MANAGERS, then(users), none},
		"getGroupMembersByRole": {pb.GroupOp_GROUP_MEMBERS_BY_ROLE, then(func(r *pb.GroupRequest, v safejs.Value) error {
			var err error
			r.Role, err = asInt32(v, "role")
			return err
		}, pagingArg), pageOf(members)},
		"getGroupMembers": {pb.GroupOp_GROUP_MEMBERS, then(users), members},
		"setGroupMemberInfo": {pb.GroupOp_GROUP_SET_MEMBER_INFO, then(user,
			func(r *pb.GroupRequest, v safejs.Value) (err error) {
				r.Nickname, err = asString(v, "nickname")
				return err
			},
			func(r *pb.GroupRequest, v safejs.Value) (err error) {
				if absent(v) {
					return nil // extra stays as it is
				}
				r.HasExtra = true
				r.Extra, err = asString(v, "extra")
				return err
			}), none},
		"searchGroupMembers":     {pb.GroupOp_GROUP_SEARCH_MEMBERS, then(textArg("name"), pagingArg), pageOf(members)},
		"joinGroup":              {pb.GroupOp_GROUP_JOIN, gid, process},
		"inviteUsersToGroup":     {pb.GroupOp_GROUP_INVITE, then(users), process},
		"acceptGroupInvite":      {pb.GroupOp_GROUP_ACCEPT_INVITE, then(inviter), none},
		"refuseGroupInvite":      {pb.GroupOp_GROUP_REFUSE_INVITE, then(inviter, reason), none},
		"acceptGroupApplication": {pb.GroupOp_GROUP_ACCEPT_APPLICATION, then(user, inviter), process},
		"refuseGroupApplication": {pb.GroupOp_GROUP_REFUSE_APPLICATION, then(user, inviter, reason), none},
		"getGroupApplications": {pb.GroupOp_GROUP_APPLICATIONS, func(r *pb.GroupRequest, args []safejs.Value) error {
			return pagingArg(r, arg(args, 0)) // directions and status: Electron's only
		}, pageOf(func(res *pb.GroupResult) any { return applicationsJS(res.Applications) })},
		"getJoinedGroupsByRole": {pb.GroupOp_GROUP_JOINED_BY_ROLE, func(r *pb.GroupRequest, args []safejs.Value) error {
			if err := pagingArg(r, arg(args, 0)); err != nil {
				return err
			}
			var err error
			r.Role, err = asInt32(arg(args, 1), "role")
			return err
		}, pageOf(groups)},
		"searchJoinedGroups": {pb.GroupOp_GROUP_SEARCH_JOINED, func(r *pb.GroupRequest, args []safejs.Value) error {
			if err := textArg("groupName")(r, arg(args, 0)); err != nil {
				return err
			}
			return pagingArg(r, arg(args, 1))
		}, pageOf(groups)},
		"setGroupRemark": {pb.GroupOp_GROUP_SET_REMARK, then(func(r *pb.GroupRequest, v safejs.Value) (err error) {
			r.Text, err = asString(v, "remark")
			return err
		}), none},
		"addGroupFollows":    {pb.GroupOp_GROUP_ADD_FOLLOWS, then(users), none},
		"removeGroupFollows": {pb.GroupOp_GROUP_REMOVE_FOLLOWS, then(users), none},
		// imwasm's own (RongIMLib has no client call): the Easemob and NIM
		// modules' member and group mutes.
		"muteGroupMembers": {pb.GroupOp_GROUP_MUTE_MEMBERS, then(users, func(r *pb.GroupRequest, v safejs.Value) (err error) {
			r.DurationMs, err = asInt(v, "durationMs")
			return err
		}), none},
		"muteAllGroupMembers": {pb.GroupOp_GROUP_MUTE_ALL, then(func(r *pb.GroupRequest, v safejs.Value) (err error) {
			if v.Type() != safejs.TypeBoolean {
				return invalid("muted must be a boolean")
			}
			r.Flag, err = v.Bool()
			return err
		}), none},
		"getGroupFollows": {pb.GroupOp_GROUP_FOLLOWS, gid, func(res *pb.GroupResult) any {
			out := make([]any, len(res.Follows))
			for i, f := range res.Follows {
				out[i] = map[string]any{"userId": f.UserId, "time": f.Time}
			}
			return out
		}},
	}
	ops := make(map[string]pb.GroupOp, len(calls))
	generic := make(map[string]requestCall[*pb.GroupRequest, *pb.GroupResult], len(calls))
	for name, c := range calls {
		ops[name] = c.op
		generic[name] = requestCall[*pb.GroupRequest, *pb.GroupResult]{c.args, func(res *pb.GroupResult) (any, error) { return c.result(res), nil }}
	}
	return requestFunctions(b, generic, func(name string) *pb.GroupRequest { return &pb.GroupRequest{Op: ops[name]} },
		(*client.Engine).Group)
}

func textArg(name string) func(*pb.GroupRequest, safejs.Value) error {
	return func(r *pb.GroupRequest, v safejs.Value) (err error) {
		r.Text, err = asString(v, name)
		return err
	}
}

func groupIDsArg(r *pb.GroupRequest, args []safejs.Value) (err error) {
	r.GroupIds, err = asStrings(arg(args, 0), "groupIds")
	return err
}

// pagingArg reads an IPagingQueryOption {count, pageToken?, order?}.
func pagingArg(r *pb.GroupRequest, v safejs.Value) error {
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
	if count < 1 || count > contract.MaxGroupPage {
		return invalid("count must be 1-%d", contract.MaxGroupPage)
	}
	r.Count = uint32(count)
	if r.PageToken, err = optString(v, "pageToken"); err != nil {
		return err
	}
	r.Ascending, err = optBool(v, "order")
	return err
}

// groupInfoArg reads an IGroupInfoOption; the fields given are the ones
// set (or, creating, the ones the group starts with).
func groupInfoArg(r *pb.GroupRequest, v safejs.Value, creating bool) error {
	if err := object(v, "groupInfo"); err != nil {
		return err
	}
	var err error
	if r.GroupId, err = reqString(v, "groupId"); err != nil {
		return err
	}
	info := &pb.GroupInfo{}
	info.Fields, err = readFields(v, []strField{
		{"groupName", &info.Name, contract.FieldName},
		{"portraitUri", &info.PortraitUri, contract.FieldPortrait},
		{"introduction", &info.Introduction, contract.FieldIntroduction},
		{"notice", &info.Notice, contract.FieldNotice},
	}, []intField{
		{"joinPermission", &info.JoinPermission, contract.FieldJoinPermission},
		{"removeMemberPermission", &info.RemoveMemberPermission, contract.FieldRemoveMemberPermission},
		{"invitePermission", &info.InvitePermission, contract.FieldInvitePermission},
		{"inviteHandlePermission", &info.InviteHandlePermission, contract.FieldInviteHandlePermission},
		{"groupInfoEditPermission", &info.InfoEditPermission, contract.FieldInfoEditPermission},
		{"memberInfoEditPermission", &info.MemberInfoEditPermission, contract.FieldMemberEditPermission},
	})
	if err != nil {
		return err
	}
	ext, err := field(v, "extProfile")
	if err != nil {
		return err
	}
	if !absent(ext) {
		if info.Ext, err = asStringMap(ext, "extProfile"); err != nil {
			return err
		}
		info.Fields |= contract.FieldExt
	}
	r.Info = info
	return nil
}

// groupInfoJS is an IGroupInfo; with only set, the fields it names (a
// change's changedGroupInfo).
func groupInfoJS(g *pb.GroupInfo, only bool) map[string]any {
	out := map[string]any{"groupId": g.GroupId}
	set := func(bit uint32, key string, v any) {
		if !only || g.Fields&bit != 0 {
			out[key] = v
		}
	}
	ext := map[string]any{}
	for k, v := range g.Ext {
		ext[k] = v
	}
	set(contract.FieldName, "groupName", g.Name)
	set(contract.FieldPortrait, "portraitUri", g.PortraitUri)
	set(contract.FieldIntroduction, "introduction", g.Introduction)
	set(contract.FieldNotice, "notice", g.Notice)
	set(contract.FieldExt, "extProfile", ext)
	set(contract.FieldJoinPermission, "joinPermission", int(g.JoinPermission))
	set(contract.FieldRemoveMemberPermission, "removeMemberPermission", int(g.RemoveMemberPermission))
	set(contract.FieldInvitePermission, "invitePermission", int(g.InvitePermission))
	set(contract.FieldInviteHandlePermission, "inviteHandlePermission", int(g.InviteHandlePermission))
	set(contract.FieldInfoEditPermission, "groupInfoEditPermission", int(g.InfoEditPermission))
	set(contract.FieldMemberEditPermission, "memberInfoEditPermission", int(g.MemberInfoEditPermission))
	if !only {
		out["remark"], out["role"], out["joinedTime"] = g.Remark, int(g.Role), g.JoinedTime
		out["creatorId"], out["ownerId"], out["createTime"], out["membersCount"] = g.CreatorId, g.OwnerId, g.CreateTime, int(g.MembersCount)
		out["muteAll"] = g.MuteAll // imwasm's: muteAllGroupMembers
	}
	return out
}

func groupInfosJS(gs []*pb.GroupInfo) []any {
	out := make([]any, len(gs))
	for i, g := range gs {
		out[i] = groupInfoJS(g, false)
	}
	return out
}

// memberJS is an IGroupMemberInfo: name and portraitUri are the user's
// profile (empty in events, which carry the member's group side only).
func memberJS(m *pb.GroupMember) map[string]any {
	return map[string]any{"userId": m.UserId, "name": m.Name, "portraitUri": m.PortraitUri, "nickname": m.Nickname, "extra": m.Extra,
		"role": int(m.Role), "joinedTime": m.JoinedTime}
}

// userJS is the IGroupMemberInfo of a user known by id only (an operator,
// an applicant).
func userJS(id string) map[string]any {
	return map[string]any{"userId": id, "name": "", "portraitUri": ""}
}

func membersJS(ms []*pb.GroupMember) []any {
	out := make([]any, len(ms))
	for i, m := range ms {
		out[i] = memberJS(m)
	}
	return out
}

func applicationJS(a *pb.GroupApplication) map[string]any {
	out := map[string]any{"groupId": a.GroupId, "joinMemberInfo": userJS(a.UserId), "status": int(a.Status),
		"direction": int(a.Direction), "type": int(a.Type), "operationTime": a.Time, "reason": a.Reason}
	if a.InviterId != "" {
		out["inviterInfo"] = userJS(a.InviterId)
	}
	if a.OperatorId != "" {
		out["operatorInfo"] = userJS(a.OperatorId)
	}
	return out
}

func applicationsJS(as []*pb.GroupApplication) []any {
	out := make([]any, len(as))
	for i, a := range as {
		out[i] = applicationJS(a)
	}
	return out
}

// groupEventJS is a group event's RongIMLib name and payload (mutes have
// no RongIMLib event: GROUP_MUTE is imwasm's, for the Easemob and NIM
// modules).
func groupEventJS(ev client.Event) (string, any, bool) {
	g := ev.Group
	switch ev.Kind {
	case client.EventGroupOperation:
		c := g.Change
		out := map[string]any{"groupId": g.GroupID, "operation": int(c.Operation), "operationTime": c.Time, "memberInfos": membersJS(c.Members)}
		if c.OperatorId != "" {
			out["operatorInfo"] = userJS(c.OperatorId)
		}
		if c.Operation == 0 && c.Info != nil { // CREATE
			out["groupInfo"] = groupInfoJS(c.Info, false)
		}
		return "GROUP_OPERATION", out, true
	case client.EventGroupInfo:
		c := g.Change
		changed := groupInfoJS(c.Info, true)
		return "GROUP_INFO_CHANGED", map[string]any{"operatorInfo": userJS(c.OperatorId), "groupInfo": changed,
			"changedGroupInfo": changed, "fullGroupInfo": groupInfoJS(c.Info, false), "operationTime": c.Time}, true
	case client.EventGroupMember:
		c := g.Change
		if len(c.Members) == 0 {
			return "", nil, false
		}
		return "GROUP_MEMBER_INFO_CHANGED", map[string]any{"groupId": g.GroupID, "operatorInfo": userJS(c.OperatorId),
			"memberInfo": memberJS(c.Members[0]), "operationTime": c.Time}, true
	case client.EventGroupApplication:
		return "GROUP_APPLICATION_EVENT", applicationJS(g.Application), true
	case client.EventGroupMute:
		c := g.Change
		members := make([]any, len(c.Members))
		for i, m := range c.Members {
			members[i] = map[string]any{"userId": m.UserId, "mutedUntil": m.MutedUntil}
		}
		out := map[string]any{"groupId": g.GroupID, "memberInfos": members, "operationTime": c.Time}
		if c.OperatorId != "" {
			out["operatorInfo"] = userJS(c.OperatorId)
		}
		if len(c.Members) == 0 && c.Info != nil {
			out["muteAll"] = c.Info.MuteAll
		}
		return "GROUP_MUTE", out, true
	case client.EventGroupRemark:
		o := g.Own
		return "GROUP_REMARK_CHANGED_SYNC", map[string]any{"groupId": o.GroupId, "operationType": int(o.OperationType),
			"operationTime": o.Time, "groupRemark": o.Remark}, true
	case client.EventGroupFollows:
		o := g.Own
		return "GROUP_FOLLOWS_CHANGED_SYNC", map[string]any{"groupId": o.GroupId, "operationType": int(o.OperationType),
			"operationTime": o.Time, "userIds": stringsAny(o.Follows)}, true
	}
	return "", nil, false
}
