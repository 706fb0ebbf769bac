package contract

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// Group rules: who in a group may do what, and the shape of a group's
// profile. The server decides with them; the SDK checks a call's shape with
// them before sending. Names and numbers are RongIMLib 5.x's
// (GroupMemberRole, GroupJoinPermission, GroupOperationPermission,
// GroupInviteHandlePermission, GroupMemberInfoEditPermission); the
// Easemob and NIM modules map their own models onto these.

// Group limits. RongIMLib's typings give the per-call ones, the name,
// portrait, nickname and extra lengths, and the 10 managers; the members
// per group and groups per user are the defaults (the server's
// settings may change them); the profile texts RongIMLib leaves unsaid are
// bounded here.
const (
	MaxGroupMembers      = 3000 // members of one group (a setting's default)
	MaxJoinedGroups      = 500  // groups one user is in (a setting's default)
	MaxGroupManagers     = 10   // managers of one group, the owner not counted
	MaxGroupUsersPerCall = 100  // user ids of one kick, mute or member query
	MaxGroupInvitees     = 30   // users of one createGroup or inviteUsersToGroup
	MaxGroupsPerQuery    = 20   // groups of one getGroupsInfo or getJoinedGroups
	MaxGroupNameChars    = 64
	MaxGroupPortraitLen  = 1024 // bytes of a portrait URL
	MaxGroupIntroChars   = 512
	MaxGroupNoticeChars  = 1024
	MaxGroupExtKeys      = 10 // extProfile entries
	MaxGroupExtKeyChars  = 32
	MaxGroupExtValChars  = 1024
	MaxNicknameChars     = 64
	MaxMemberExtraChars  = 128
)

// GroupRole is RongIMLib's GroupMemberRole. RoleNone (UNDEF) is also "not
// a member" where a role is asked of a user.
type GroupRole int32

const (
	RoleNone    GroupRole = 0
	RoleNormal  GroupRole = 1
	RoleManager GroupRole = 2
	RoleOwner   GroupRole = 3
)

// JoinPermission is RongIMLib's GroupJoinPermission: how a user who asks
// to join gets in.
type JoinPermission int32

const (
	JoinOwnerVerify          JoinPermission = 0 // the default
	JoinFree                 JoinPermission = 1
	JoinOwnerOrManagerVerify JoinPermission = 2
	JoinNoOne                JoinPermission = 3
)

// OperationPermission is RongIMLib's GroupOperationPermission: who may
// remove members, invite, or edit the group's profile.
type OperationPermission int32

const (
	OpOwner          OperationPermission = 0 // the default
	OpOwnerOrManager OperationPermission = 1
	OpEveryone       OperationPermission = 2
)

// InviteHandlePermission is RongIMLib's GroupInviteHandlePermission.
type InviteHandlePermission int32

const (
	InviteFree          InviteHandlePermission = 0 // invitees join at once (the default)
	InviteInviteeVerify InviteHandlePermission = 1 // invitees accept first
)

// MemberEditPermission is RongIMLib's GroupMemberInfoEditPermission: who
// may change a member's nickname and extra.
type MemberEditPermission int32

const (
	MemberEditOwnerManagerSelf MemberEditPermission = 0 // the default
	MemberEditOwnerSelf        MemberEditPermission = 1
	MemberEditSelf             MemberEditPermission = 2
)

// GroupField bits name the profile and permission fields of a group
// (pb.GroupInfo.fields): those a request sets, those an info change
// changed.
const (
	FieldName uint32 = 1 << iota
	FieldPortrait
	FieldIntroduction
	FieldNotice
	FieldExt
	FieldJoinPermission
	FieldRemoveMemberPermission
	FieldInvitePermission
	FieldInviteHandlePermission
	FieldInfoEditPermission
	FieldMemberEditPermission

	ProfileFields = FieldName | FieldPortrait | FieldIntroduction | FieldNotice | FieldExt
	PolicyFields  = FieldJoinPermission | FieldRemoveMemberPermission | FieldInvitePermission |
		FieldInviteHandlePermission | FieldInfoEditPermission | FieldMemberEditPermission
)

// CheckGroupInfo checks the fields info.fields names: the profile's limits
// (CheckGroupProfile) and the permissions' enums. Creating, a name is
// required.
func CheckGroupInfo(info *pb.GroupInfo, creating bool) error {
	if info == nil {
		return codes.New(codes.InvalidParameter, "group info required")
	}
	if info.Fields&^(ProfileFields|PolicyFields) != 0 {
		return codes.New(codes.InvalidParameter, "unknown group fields")
	}
	if !creating && info.Fields == 0 {
		return codes.New(codes.InvalidParameter, "no group field to update")
	}
	var p GroupProfile
	f := info.Fields
	if f&FieldName != 0 {
		p.Name = &info.Name
	}
	if f&FieldPortrait != 0 {
		p.PortraitURI = &info.PortraitUri
	}
	if f&FieldIntroduction != 0 {
		p.Introduction = &info.Introduction
	}
	if f&FieldNotice != 0 {
		p.Notice = &info.Notice
	}
	if f&FieldExt != 0 {
		p.Ext = info.Ext
	}
	if err := CheckGroupProfile(p, creating); err != nil {
		return err
	}
	return CheckGroupPolicy(InfoPolicy(info, GroupPolicy{}))
}

// InfoPolicy is p with the permission fields info.fields names taken from
// info.
func InfoPolicy(info *pb.GroupInfo, p GroupPolicy) GroupPolicy {
	f := info.Fields
	if f&FieldJoinPermission != 0 {
		p.Join = JoinPermission(info.JoinPermission)
	}
	if f&FieldRemoveMemberPermission != 0 {
		p.RemoveMember = OperationPermission(info.RemoveMemberPermission)
	}
	if f&FieldInvitePermission != 0 {
		p.Invite = OperationPermission(info.InvitePermission)
	}
	if f&FieldInviteHandlePermission != 0 {
		p.InviteHandle = InviteHandlePermission(info.InviteHandlePermission)
	}
	if f&FieldInfoEditPermission != 0 {
		p.InfoEdit = OperationPermission(info.InfoEditPermission)
	}
	if f&FieldMemberEditPermission != 0 {
		p.MemberEdit = MemberEditPermission(info.MemberInfoEditPermission)
	}
	return p
}

// GroupPolicy is a group's permission settings (IGroupInfoOption's
// joinPermission … memberInfoEditPermission); the zero value is
// RongIMLib's defaults.
type GroupPolicy struct {
	Join         JoinPermission
	RemoveMember OperationPermission
	Invite       OperationPermission
	InviteHandle InviteHandlePermission
	InfoEdit     OperationPermission
	MemberEdit   MemberEditPermission
}

// CheckGroupPolicy refuses values outside the enums.
func CheckGroupPolicy(p GroupPolicy) error {
	ok := p.Join >= JoinOwnerVerify && p.Join <= JoinNoOne &&
		validOp(p.RemoveMember) && validOp(p.Invite) && validOp(p.InfoEdit) &&
		p.InviteHandle >= InviteFree && p.InviteHandle <= InviteInviteeVerify &&
		p.MemberEdit >= MemberEditOwnerManagerSelf && p.MemberEdit <= MemberEditSelf
	if !ok {
		return codes.New(codes.InvalidParameter, "a group permission outside its enum")
	}
	return nil
}

func validOp(p OperationPermission) bool { return p >= OpOwner && p <= OpEveryone }

// allows reports whether a member of role may act under p.
func (p OperationPermission) allows(role GroupRole) bool {
	switch p {
	case OpEveryone:
		return role >= RoleNormal
	case OpOwnerOrManager:
		return role >= RoleManager
	}
	return role == RoleOwner
}

// GroupAction is what CheckGroupAction decides on.
type GroupAction int

const (
	ActEditInfo          GroupAction = iota + 1 // name, portrait, notice, introduction, extProfile
	ActEditPolicy                               // the permission settings: the owner's alone
	ActInvite                                   // invite or add users
	ActKick                                     // remove members (the target's role matters)
	ActQuit                                     // leave
	ActDismiss                                  // the owner's alone
	ActTransfer                                 // the owner's alone
	ActSetManagers                              // add or remove managers: the owner's alone
	ActMute                                     // mute or unmute members (the target's role matters)
	ActMuteAll                                  // mute or unmute the whole group
	ActHandleApplication                        // accept or refuse a join request
	ActEditMember                               // a member's nickname and extra (the target matters)
)

// CheckGroupAction decides whether a user whose role in the group is actor
// (RoleNone: not a member) may do act under p; target is the role of the
// member acted on (kick, mute, edit member) and self whether that member
// is the actor. Refusals carry RongIMLib's codes.
func CheckGroupAction(p GroupPolicy, act GroupAction, actor GroupRole, target GroupRole, self bool) error {
	if actor == RoleNone {
		return codes.New(codes.RCGroupUserNotInGroup, "not a member of the group")
	}
	denied := codes.New(codes.RCGroupAuthorityError, "not allowed in this group")
	switch act {
	case ActEditInfo:
		if !p.InfoEdit.allows(actor) {
			return denied
		}
	case ActEditPolicy:
		if actor != RoleOwner {
			return codes.New(codes.RCGroupIllegalError, "only the owner changes the group's permissions")
		}
	case ActInvite:
		if !p.Invite.allows(actor) {
			return codes.New(codes.RCGroupNoInvitePermission, "not allowed to invite to this group")
		}
	case ActQuit:
		if actor == RoleOwner {
			return codes.New(codes.RCGroupOwnerNotAllowQuitOrKick, "the owner transfers the group or dismisses it")
		}
	case ActDismiss, ActTransfer, ActSetManagers:
		if actor != RoleOwner {
			return denied
		}
	case ActKick, ActMute:
		if act == ActKick && !p.RemoveMember.allows(actor) || act == ActMute && actor < RoleManager {
			return denied
		}
		switch {
		case target == RoleNone:
			return codes.New(codes.RCGroupUserNotInGroup, "the user is not a member of the group")
		case target == RoleOwner || self:
			if act == ActKick {
				return codes.New(codes.RCGroupOwnerNotAllowQuitOrKick, "the owner cannot be removed")
			}
			return denied
		case target >= RoleManager && target >= actor:
			return denied // a manager is acted on by the owner alone
		}
	case ActMuteAll, ActHandleApplication:
		if actor < RoleManager {
			return denied
		}
	case ActEditMember:
		if target == RoleNone {
			return codes.New(codes.RCGroupUserNotInGroup, "the user is not a member of the group")
		}
		if self {
			return nil
		}
		switch {
		case p.MemberEdit == MemberEditSelf,
			p.MemberEdit == MemberEditOwnerSelf && actor != RoleOwner,
			actor < RoleManager, target >= actor:
			return denied
		}
	default:
		return codes.New(codes.InvalidParameter, "unknown group action")
	}
	return nil
}

// ApplicationStatus is RongIMLib's GroupApplicationStatus.
type ApplicationStatus int32

const (
	AppManagerUnhandled ApplicationStatus = 0
	AppManagerRefused   ApplicationStatus = 1
	AppInviteeUnhandled ApplicationStatus = 2
	AppInviteeRefused   ApplicationStatus = 3
	AppJoined           ApplicationStatus = 4
	AppExpired          ApplicationStatus = 5
)

// Pending reports whether an application still waits for someone.
func (s ApplicationStatus) Pending() bool {
	return s == AppManagerUnhandled || s == AppInviteeUnhandled
}

// ApplicationTTL is how long an application waits (ms) before it expires
// (RongIMLib's EXPIRED): seven days.
const ApplicationTTL = 7 * 24 * 3600 * 1000

// JoinOutcome is what a join request leads to.
type JoinOutcome int

const (
	JoinNow     JoinOutcome = iota + 1 // a member at once
	JoinPending                        // an application the owner (and managers) accept or refuse
)

// JoinDecision decides a user's own request to join (joinGroup): at once,
// an application (RongIMLib answers it with processCode 25424), or refused
// (25414).
func JoinDecision(p GroupPolicy) (JoinOutcome, error) {
	switch p.Join {
	case JoinFree:
		return JoinNow, nil
	case JoinNoOne:
		return 0, codes.New(codes.RCGroupNotAllowJoin, "the group takes no one")
	}
	return JoinPending, nil
}

// ApplicationHandlers reports whether a member of role may accept or
// refuse join applications under p.
func ApplicationHandlers(p GroupPolicy, role GroupRole) bool {
	if p.Join == JoinOwnerOrManagerVerify {
		return role >= RoleManager
	}
	return role == RoleOwner
}

// GroupProfile is a group's editable profile (IGroupInfoOption's
// groupName, portraitUri, introduction, notice, extProfile). Nil pointers
// are left as they are by an update.
type GroupProfile struct {
	Name         *string
	PortraitURI  *string
	Introduction *string
	Notice       *string
	Ext          map[string]string
}

// CheckGroupProfile applies the profile's limits: a name of 1-64
// characters, not blank (25423 when empty or blank, 25406 when long), a
// portrait URL of at most 1024 bytes, and the texts' lengths (25406).
func CheckGroupProfile(p GroupProfile, creating bool) error {
	if p.Name == nil && creating {
		return codes.New(codes.RCGroupNameInvalid, "groupName is required")
	}
	if p.Name != nil {
		if strings.TrimSpace(*p.Name) == "" {
			return codes.New(codes.RCGroupNameInvalid, "groupName must not be empty or blank")
		}
		if err := maxChars(*p.Name, MaxGroupNameChars, "groupName"); err != nil {
			return err
		}
	}
	if p.PortraitURI != nil && len(*p.PortraitURI) > MaxGroupPortraitLen {
		return codes.New(codes.RCGroupParameterLengthExceedLimit, "portraitUri longer than 1024 bytes")
	}
	if p.Introduction != nil {
		if err := maxChars(*p.Introduction, MaxGroupIntroChars, "introduction"); err != nil {
			return err
		}
	}
	if p.Notice != nil {
		if err := maxChars(*p.Notice, MaxGroupNoticeChars, "notice"); err != nil {
			return err
		}
	}
	if len(p.Ext) > MaxGroupExtKeys {
		return codes.New(codes.RCGroupParameterLengthExceedLimit, "extProfile holds at most 10 entries")
	}
	for k, v := range p.Ext {
		if k == "" {
			return codes.New(codes.RCGroupParameterFormatError, "an empty extProfile key")
		}
		if err := maxChars(k, MaxGroupExtKeyChars, "an extProfile key"); err != nil {
			return err
		}
		if err := maxChars(v, MaxGroupExtValChars, "an extProfile value"); err != nil {
			return err
		}
	}
	return nil
}

// CheckMemberInfo applies setGroupMemberInfo's limits: a nickname of at
// most 64 characters that is not blank (empty clears it), an extra of at
// most 128.
func CheckMemberInfo(nickname, extra string) error {
	if nickname != "" && strings.TrimSpace(nickname) == "" {
		return codes.New(codes.RCGroupParameterFormatError, "nickname must not be blank")
	}
	if err := maxChars(nickname, MaxNicknameChars, "nickname"); err != nil {
		return err
	}
	return maxChars(extra, MaxMemberExtraChars, "extra")
}

func maxChars(s string, n int, what string) error {
	if !ValidText(s) {
		return codes.New(codes.RCGroupParameterFormatError, what+" is not UTF-8")
	}
	if utf8.RuneCountInString(s) > n {
		return codes.New(codes.RCGroupParameterLengthExceedLimit, fmt.Sprintf("%s longer than %d characters", what, n))
	}
	return nil
}

// CheckGroupUsers checks the user ids of one group call: 1 to max, each a
// valid id, none twice.
func CheckGroupUsers(ids []string, max int) error {
	if len(ids) == 0 || len(ids) > max {
		return codes.New(codes.InvalidParameterCount, fmt.Sprintf("1-%d user ids", max))
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if !ValidID(id) {
			return codes.New(codes.InvalidParameterUserID, "invalid user id")
		}
		if seen[id] {
			return codes.New(codes.InvalidParameter, "a user id given twice")
		}
		seen[id] = true
	}
	return nil
}

// MaxMuteMillis is the longest mute: 100 years of 365.25 days, as every
// other "100 years" of the API (docs/http-api.md).
const MaxMuteMillis = 3_155_760_000 * 1000

// MaxGroupPage is the most items of one page (getGroupApplications and
// the searches take 200, the member and group lists 100).
const MaxGroupPage = 200

// groupless are the operations that name no one group.
var groupless = map[pb.GroupOp]bool{
	pb.GroupOp_GROUP_INFO: true, pb.GroupOp_GROUP_JOINED: true, pb.GroupOp_GROUP_APPLICATIONS: true,
	pb.GroupOp_GROUP_JOINED_BY_ROLE: true, pb.GroupOp_GROUP_SEARCH_JOINED: true,
}

// CheckGroupRequest checks a group request's shape: the ids, counts,
// texts and enums each operation takes. Who may do it, and whether the
// users are members, the server decides on the group.
func CheckGroupRequest(r *pb.GroupRequest) error { return checkGroupRequest(r, false) }

// CheckAppGroupRequest is CheckGroupRequest for the app server's requests,
// whose invites are not held to a user's 30 (the server holds them to the
// group's size).
func CheckAppGroupRequest(r *pb.GroupRequest) error { return checkGroupRequest(r, true) }

func checkGroupRequest(r *pb.GroupRequest, byApp bool) error {
	if r == nil || r.Op <= pb.GroupOp_GROUP_OP_NONE || r.Op > pb.GroupOp_GROUP_MUTE_ALL {
		return codes.New(codes.InvalidParameter, "unknown group operation")
	}
	if !groupless[r.Op] && !ValidID(r.GroupId) {
		return codes.New(codes.RCGroupIDInvalid, "invalid group id")
	}
	userID := func(id string) error {
		if !ValidID(id) {
			return codes.New(codes.InvalidParameterUserID, "invalid user id")
		}
		return nil
	}
	pageOf := func(most uint32) error {
		if r.Count > most {
			return codes.New(codes.InvalidParameterCount, fmt.Sprintf("count must be 1-%d", most))
		}
		if r.Role < int32(RoleNone) || r.Role > int32(RoleOwner) {
			return codes.New(codes.InvalidParameter, "role outside GroupMemberRole")
		}
		return nil
	}
	search := func() error {
		if strings.TrimSpace(r.Text) == "" || !ValidText(r.Text) || utf8.RuneCountInString(r.Text) > MaxNicknameChars {
			return codes.New(codes.InvalidParameter, "the search text must be 1-64 characters, not blank")
		}
		return pageOf(MaxGroupPage)
	}
	reason := func() error {
		if !ValidText(r.Reason) || utf8.RuneCountInString(r.Reason) > MaxMemberExtraChars {
			return codes.New(codes.InvalidParameter, "the reason is at most 128 characters")
		}
		return nil
	}
	switch r.Op {
	case pb.GroupOp_GROUP_CREATE:
		if err := CheckGroupInfo(r.Info, true); err != nil {
			return err
		}
		if len(r.UserIds) > 0 {
			return CheckGroupUsers(r.UserIds, MaxGroupMembers*100) // the count is the caller's (30 for users)
		}
	case pb.GroupOp_GROUP_UPDATE_INFO:
		return CheckGroupInfo(r.Info, false)
	case pb.GroupOp_GROUP_INFO, pb.GroupOp_GROUP_JOINED:
		if len(r.GroupIds) == 0 || len(r.GroupIds) > MaxGroupsPerQuery {
			return codes.New(codes.RCGroupQueryGroupCountExceedLimit, "1-20 group ids")
		}
		for _, id := range r.GroupIds {
			if !ValidID(id) {
				return codes.New(codes.RCGroupIDInvalid, "invalid group id")
			}
		}
	case pb.GroupOp_GROUP_KICK, pb.GroupOp_GROUP_MEMBERS, pb.GroupOp_GROUP_ADD_FOLLOWS, pb.GroupOp_GROUP_REMOVE_FOLLOWS:
		return CheckGroupUsers(r.UserIds, MaxGroupUsersPerCall)
	case pb.GroupOp_GROUP_MUTE_MEMBERS:
		if r.DurationMs < 0 || r.DurationMs > MaxMuteMillis {
			return codes.New(codes.InvalidParameter, "a mute is 0 (unmute) to 100 years")
		}
		return CheckGroupUsers(r.UserIds, MaxGroupUsersPerCall)
	case pb.GroupOp_GROUP_INVITE:
		if byApp {
			return CheckGroupUsers(r.UserIds, MaxGroupMembers*100)
		}
		return CheckGroupUsers(r.UserIds, MaxGroupInvitees)
	case pb.GroupOp_GROUP_ADD_MANAGERS, pb.GroupOp_GROUP_REMOVE_MANAGERS:
		return CheckGroupUsers(r.UserIds, MaxGroupManagers)
	case pb.GroupOp_GROUP_TRANSFER:
		return userID(r.UserId)
	case pb.GroupOp_GROUP_SET_MEMBER_INFO:
		if err := userID(r.UserId); err != nil {
			return err
		}
		return CheckMemberInfo(r.Nickname, r.Extra)
	case pb.GroupOp_GROUP_ACCEPT_INVITE, pb.GroupOp_GROUP_REFUSE_INVITE:
		if err := userID(r.InviterId); err != nil {
			return err
		}
		return reason()
	case pb.GroupOp_GROUP_ACCEPT_APPLICATION, pb.GroupOp_GROUP_REFUSE_APPLICATION:
		if err := userID(r.UserId); err != nil {
			return err
		}
		if r.InviterId != "" {
			if err := userID(r.InviterId); err != nil {
				return err
			}
		}
		return reason()
	case pb.GroupOp_GROUP_SEARCH_MEMBERS, pb.GroupOp_GROUP_SEARCH_JOINED:
		return search()
	case pb.GroupOp_GROUP_MEMBERS_BY_ROLE, pb.GroupOp_GROUP_JOINED_BY_ROLE:
		return pageOf(MaxGroupUsersPerCall)
	case pb.GroupOp_GROUP_APPLICATIONS:
		return pageOf(MaxGroupPage)
	case pb.GroupOp_GROUP_SET_REMARK:
		if r.Text != "" && strings.TrimSpace(r.Text) == "" || !ValidText(r.Text) || utf8.RuneCountInString(r.Text) > MaxNicknameChars {
			return codes.New(codes.InvalidParameter, "the remark is at most 64 characters, not blank")
		}
	}
	return nil
}
