package contract

import (
	"strconv"
	"strings"
	"testing"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

func TestCheckGroupAction(t *testing.T) {
	def := GroupPolicy{} // RongIMLib's defaults: the owner alone edits, invites and removes
	open := GroupPolicy{RemoveMember: OpOwnerOrManager, Invite: OpEveryone, InfoEdit: OpOwnerOrManager}
	for name, c := range map[string]struct {
		p      GroupPolicy
		act    GroupAction
		actor  GroupRole
		target GroupRole
		self   bool
		want   int32
	}{
		"a non-member edits":                  {def, ActEditInfo, RoleNone, 0, false, codes.RCGroupUserNotInGroup},
		"the owner edits by default":          {def, ActEditInfo, RoleOwner, 0, false, 0},
		"a manager edits by default":          {def, ActEditInfo, RoleManager, 0, false, codes.RCGroupAuthorityError},
		"a manager edits where allowed":       {open, ActEditInfo, RoleManager, 0, false, 0},
		"a member edits where managers may":   {open, ActEditInfo, RoleNormal, 0, false, codes.RCGroupAuthorityError},
		"everyone edits":                      {GroupPolicy{InfoEdit: OpEveryone}, ActEditInfo, RoleNormal, 0, false, 0},
		"a manager changes the permissions":   {open, ActEditPolicy, RoleManager, 0, false, codes.RCGroupIllegalError},
		"the owner changes the permissions":   {def, ActEditPolicy, RoleOwner, 0, false, 0},
		"a member invites by default":         {def, ActInvite, RoleNormal, 0, false, codes.RCGroupNoInvitePermission},
		"a member invites where all may":      {open, ActInvite, RoleNormal, 0, false, 0},
		"a member quits":                      {def, ActQuit, RoleNormal, 0, false, 0},
		"the owner quits":                     {def, ActQuit, RoleOwner, 0, false, codes.RCGroupOwnerNotAllowQuitOrKick},
		"a non-member quits":                  {def, ActQuit, RoleNone, 0, false, codes.RCGroupUserNotInGroup},
		"a manager dismisses":                 {open, ActDismiss, RoleManager, 0, false, codes.RCGroupAuthorityError},
		"the owner dismisses":                 {def, ActDismiss, RoleOwner, 0, false, 0},
		"a manager transfers":                 {open, ActTransfer, RoleManager, 0, false, codes.RCGroupAuthorityError},
		"a manager sets managers":             {open, ActSetManagers, RoleManager, 0, false, codes.RCGroupAuthorityError},
		"the owner sets managers":             {def, ActSetManagers, RoleOwner, 0, false, 0},
		"the owner kicks a member":            {def, ActKick, RoleOwner, RoleNormal, false, 0},
		"the owner kicks a manager":           {def, ActKick, RoleOwner, RoleManager, false, 0},
		"the owner kicks themself":            {def, ActKick, RoleOwner, RoleOwner, true, codes.RCGroupOwnerNotAllowQuitOrKick},
		"a manager kicks by default":          {def, ActKick, RoleManager, RoleNormal, false, codes.RCGroupAuthorityError},
		"a manager kicks a member":            {open, ActKick, RoleManager, RoleNormal, false, 0},
		"a manager kicks a manager":           {open, ActKick, RoleManager, RoleManager, false, codes.RCGroupAuthorityError},
		"a manager kicks the owner":           {open, ActKick, RoleManager, RoleOwner, false, codes.RCGroupOwnerNotAllowQuitOrKick},
		"a member kicks where all may":        {GroupPolicy{RemoveMember: OpEveryone}, ActKick, RoleNormal, RoleNormal, false, 0},
		"a member kicks a manager":            {GroupPolicy{RemoveMember: OpEveryone}, ActKick, RoleNormal, RoleManager, false, codes.RCGroupAuthorityError},
		"a kick of a non-member":              {def, ActKick, RoleOwner, RoleNone, false, codes.RCGroupUserNotInGroup},
		"a manager mutes a member":            {def, ActMute, RoleManager, RoleNormal, false, 0},
		"a manager mutes a manager":           {def, ActMute, RoleManager, RoleManager, false, codes.RCGroupAuthorityError},
		"the owner mutes a manager":           {def, ActMute, RoleOwner, RoleManager, false, 0},
		"the owner mutes themself":            {def, ActMute, RoleOwner, RoleOwner, true, codes.RCGroupAuthorityError},
		"a member mutes a member":             {open, ActMute, RoleNormal, RoleNormal, false, codes.RCGroupAuthorityError},
		"a manager mutes all":                 {def, ActMuteAll, RoleManager, 0, false, 0},
		"a member mutes all":                  {def, ActMuteAll, RoleNormal, 0, false, codes.RCGroupAuthorityError},
		"a member edits their own nickname":   {GroupPolicy{MemberEdit: MemberEditSelf}, ActEditMember, RoleNormal, RoleNormal, true, 0},
		"a manager edits a member's":          {def, ActEditMember, RoleManager, RoleNormal, false, 0},
		"a manager edits where owner or self": {GroupPolicy{MemberEdit: MemberEditOwnerSelf}, ActEditMember, RoleManager, RoleNormal, false, codes.RCGroupAuthorityError},
		"the owner edits where self only":     {GroupPolicy{MemberEdit: MemberEditSelf}, ActEditMember, RoleOwner, RoleNormal, false, codes.RCGroupAuthorityError},
		"a manager edits the owner's":         {def, ActEditMember, RoleManager, RoleOwner, false, codes.RCGroupAuthorityError},
		"a member edits another's":            {def, ActEditMember, RoleNormal, RoleNormal, false, codes.RCGroupAuthorityError},
		"an edit of a non-member":             {def, ActEditMember, RoleOwner, RoleNone, false, codes.RCGroupUserNotInGroup},
		"an unknown action":                   {def, GroupAction(99), RoleOwner, 0, false, codes.InvalidParameter},
	} {
		t.Run(name, func(t *testing.T) {
			if got := codes.Of(CheckGroupAction(c.p, c.act, c.actor, c.target, c.self)); got != c.want {
				t.Fatalf("code %d, want %d", got, c.want)
			}
		})
	}
}

func TestJoinDecisionAndHandlers(t *testing.T) {
	for _, c := range []struct {
		join            JoinPermission
		outcome         JoinOutcome
		code            int32
		manager, owner  bool // who handles the applications
		normalMayHandle bool
	}{
		{JoinOwnerVerify, JoinPending, 0, false, true, false},
		{JoinFree, JoinNow, 0, false, true, false},
		{JoinOwnerOrManagerVerify, JoinPending, 0, true, true, false},
		{JoinNoOne, 0, codes.RCGroupNotAllowJoin, false, true, false},
	} {
		p := GroupPolicy{Join: c.join}
		out, err := JoinDecision(p)
		if out != c.outcome || codes.Of(err) != c.code {
			t.Errorf("join %d: %d, %v; want %d, %d", c.join, out, err, c.outcome, c.code)
		}
		if ApplicationHandlers(p, RoleManager) != c.manager || ApplicationHandlers(p, RoleOwner) != c.owner ||
			ApplicationHandlers(p, RoleNormal) != c.normalMayHandle {
			t.Errorf("join %d: handlers wrong", c.join)
		}
	}
}

func TestCheckGroupPolicy(t *testing.T) {
	for name, c := range map[string]struct {
		p    GroupPolicy
		want int32
	}{
		"defaults":         {GroupPolicy{}, 0},
		"every last value": {GroupPolicy{JoinNoOne, OpEveryone, OpEveryone, InviteInviteeVerify, OpEveryone, MemberEditSelf}, 0},
		"join 4":           {GroupPolicy{Join: 4}, codes.InvalidParameter},
		"remove -1":        {GroupPolicy{RemoveMember: -1}, codes.InvalidParameter},
		"invite handle 2":  {GroupPolicy{InviteHandle: 2}, codes.InvalidParameter},
		"member edit 3":    {GroupPolicy{MemberEdit: 3}, codes.InvalidParameter},
		"info edit 3":      {GroupPolicy{InfoEdit: 3}, codes.InvalidParameter},
	} {
		if got := codes.Of(CheckGroupPolicy(c.p)); got != c.want {
			t.Errorf("%s: code %d, want %d", name, got, c.want)
		}
	}
}

func TestCheckGroupProfile(t *testing.T) {
	s := func(v string) *string { return &v }
	tenExt, manyExt := map[string]string{}, map[string]string{}
	for i := range 11 {
		manyExt[strings.Repeat("k", i+1)] = "v"
		if i < 10 {
			tenExt[strings.Repeat("k", i+1)] = "v"
		}
	}
	for name, c := range map[string]struct {
		p        GroupProfile
		creating bool
		want     int32
	}{
		"a name":                 {GroupProfile{Name: s("家人")}, true, 0},
		"no name on create":      {GroupProfile{}, true, codes.RCGroupNameInvalid},
		"no name on update":      {GroupProfile{Notice: s("hi")}, false, 0},
		"blank name":             {GroupProfile{Name: s("  ")}, false, codes.RCGroupNameInvalid},
		"64-character name":      {GroupProfile{Name: s(strings.Repeat("名", 64))}, true, 0},
		"65-character name":      {GroupProfile{Name: s(strings.Repeat("名", 65))}, true, codes.RCGroupParameterLengthExceedLimit},
		"name not UTF-8":         {GroupProfile{Name: s("\xff")}, true, codes.RCGroupParameterFormatError},
		"portrait of 1024 bytes": {GroupProfile{PortraitURI: s(strings.Repeat("a", 1024))}, false, 0},
		"portrait of 1025 bytes": {GroupProfile{PortraitURI: s(strings.Repeat("a", 1025))}, false, codes.RCGroupParameterLengthExceedLimit},
		"long introduction":      {GroupProfile{Introduction: s(strings.Repeat("i", 513))}, false, codes.RCGroupParameterLengthExceedLimit},
		"long notice":            {GroupProfile{Notice: s(strings.Repeat("n", 1025))}, false, codes.RCGroupParameterLengthExceedLimit},
		"ten ext entries":        {GroupProfile{Ext: tenExt}, false, 0},
		"eleven ext entries":     {GroupProfile{Ext: manyExt}, false, codes.RCGroupParameterLengthExceedLimit},
		"empty ext key":          {GroupProfile{Ext: map[string]string{"": "v"}}, false, codes.RCGroupParameterFormatError},
		"long ext key":           {GroupProfile{Ext: map[string]string{strings.Repeat("k", 33): "v"}}, false, codes.RCGroupParameterLengthExceedLimit},
		"long ext value":         {GroupProfile{Ext: map[string]string{"k": strings.Repeat("v", 1025)}}, false, codes.RCGroupParameterLengthExceedLimit},
	} {
		if got := codes.Of(CheckGroupProfile(c.p, c.creating)); got != c.want {
			t.Errorf("%s: code %d, want %d", name, got, c.want)
		}
	}
}

func TestCheckMemberInfoAndUsers(t *testing.T) {
	for name, c := range map[string]struct {
		err  error
		want int32
	}{
		"a nickname":              {CheckMemberInfo("小王", "extra"), 0},
		"no nickname (clears it)": {CheckMemberInfo("", ""), 0},
		"blank nickname":          {CheckMemberInfo(" ", ""), codes.RCGroupParameterFormatError},
		"65-character nickname":   {CheckMemberInfo(strings.Repeat("n", 65), ""), codes.RCGroupParameterLengthExceedLimit},
		"129-character extra":     {CheckMemberInfo("n", strings.Repeat("e", 129)), codes.RCGroupParameterLengthExceedLimit},
		"users":                   {CheckGroupUsers([]string{"a", "b"}, MaxGroupUsersPerCall), 0},
		"no users":                {CheckGroupUsers(nil, MaxGroupUsersPerCall), codes.InvalidParameterCount},
		"31 invitees":             {CheckGroupUsers(make([]string, 31), MaxGroupInvitees), codes.InvalidParameterCount},
		"an invalid id":           {CheckGroupUsers([]string{"a b"}, MaxGroupUsersPerCall), codes.InvalidParameterUserID},
		"an id twice":             {CheckGroupUsers([]string{"a", "a"}, MaxGroupUsersPerCall), codes.InvalidParameter},
	} {
		if got := codes.Of(c.err); got != c.want {
			t.Errorf("%s: code %d, want %d", name, got, c.want)
		}
	}
}

func TestCheckGroupRequest(t *testing.T) {
	name := &pb.GroupInfo{Name: "n", Fields: FieldName}
	users := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "u" + strconv.Itoa(i)
		}
		return out
	}
	for label, c := range map[string]struct {
		r    *pb.GroupRequest
		want int32
	}{
		"nil":                      {nil, codes.InvalidParameter},
		"no op":                    {&pb.GroupRequest{GroupId: "g"}, codes.InvalidParameter},
		"an op past the enum":      {&pb.GroupRequest{Op: 99, GroupId: "g"}, codes.InvalidParameter},
		"create":                   {&pb.GroupRequest{Op: pb.GroupOp_GROUP_CREATE, GroupId: "g", Info: name, UserIds: []string{"a"}}, 0},
		"create, bad id":           {&pb.GroupRequest{Op: pb.GroupOp_GROUP_CREATE, GroupId: "g g", Info: name}, codes.RCGroupIDInvalid},
		"create, no name":          {&pb.GroupRequest{Op: pb.GroupOp_GROUP_CREATE, GroupId: "g", Info: &pb.GroupInfo{}}, codes.RCGroupNameInvalid},
		"create, no info":          {&pb.GroupRequest{Op: pb.GroupOp_GROUP_CREATE, GroupId: "g"}, codes.InvalidParameter},
		"create, bad policy":       {&pb.GroupRequest{Op: pb.GroupOp_GROUP_CREATE, GroupId: "g", Info: &pb.GroupInfo{Name: "n", JoinPermission: 4, Fields: FieldName | FieldJoinPermission}}, codes.InvalidParameter},
		"update, nothing":          {&pb.GroupRequest{Op: pb.GroupOp_GROUP_UPDATE_INFO, GroupId: "g", Info: &pb.GroupInfo{}}, codes.InvalidParameter},
		"update, unknown field":    {&pb.GroupRequest{Op: pb.GroupOp_GROUP_UPDATE_INFO, GroupId: "g", Info: &pb.GroupInfo{Fields: 1 << 20}}, codes.InvalidParameter},
		"info of 20":               {&pb.GroupRequest{Op: pb.GroupOp_GROUP_INFO, GroupIds: users(20)}, 0},
		"info of 21":               {&pb.GroupRequest{Op: pb.GroupOp_GROUP_INFO, GroupIds: users(21)}, codes.RCGroupQueryGroupCountExceedLimit},
		"info of none":             {&pb.GroupRequest{Op: pb.GroupOp_GROUP_JOINED}, codes.RCGroupQueryGroupCountExceedLimit},
		"info, bad id":             {&pb.GroupRequest{Op: pb.GroupOp_GROUP_INFO, GroupIds: []string{"a b"}}, codes.RCGroupIDInvalid},
		"kick 100":                 {&pb.GroupRequest{Op: pb.GroupOp_GROUP_KICK, GroupId: "g", UserIds: users(100)}, 0},
		"kick 101":                 {&pb.GroupRequest{Op: pb.GroupOp_GROUP_KICK, GroupId: "g", UserIds: users(101)}, codes.InvalidParameterCount},
		"invite 31":                {&pb.GroupRequest{Op: pb.GroupOp_GROUP_INVITE, GroupId: "g", UserIds: users(31)}, codes.InvalidParameterCount},
		"11 managers":              {&pb.GroupRequest{Op: pb.GroupOp_GROUP_ADD_MANAGERS, GroupId: "g", UserIds: users(11)}, codes.InvalidParameterCount},
		"transfer to nobody":       {&pb.GroupRequest{Op: pb.GroupOp_GROUP_TRANSFER, GroupId: "g"}, codes.InvalidParameterUserID},
		"a long nickname":          {&pb.GroupRequest{Op: pb.GroupOp_GROUP_SET_MEMBER_INFO, GroupId: "g", UserId: "u", Nickname: strings.Repeat("n", 65)}, codes.RCGroupParameterLengthExceedLimit},
		"accept, no inviter":       {&pb.GroupRequest{Op: pb.GroupOp_GROUP_ACCEPT_INVITE, GroupId: "g"}, codes.InvalidParameterUserID},
		"refuse, long reason":      {&pb.GroupRequest{Op: pb.GroupOp_GROUP_REFUSE_APPLICATION, GroupId: "g", UserId: "u", Reason: strings.Repeat("r", 129)}, codes.InvalidParameter},
		"handle, bad inviter":      {&pb.GroupRequest{Op: pb.GroupOp_GROUP_ACCEPT_APPLICATION, GroupId: "g", UserId: "u", InviterId: "a b"}, codes.InvalidParameterUserID},
		"search, blank":            {&pb.GroupRequest{Op: pb.GroupOp_GROUP_SEARCH_JOINED, Text: " "}, codes.InvalidParameter},
		"search, page of 200":      {&pb.GroupRequest{Op: pb.GroupOp_GROUP_SEARCH_MEMBERS, GroupId: "g", Text: "a", Count: 200}, 0},
		"members, page of 101":     {&pb.GroupRequest{Op: pb.GroupOp_GROUP_MEMBERS_BY_ROLE, GroupId: "g", Count: 101}, codes.InvalidParameterCount},
		"members, role 4":          {&pb.GroupRequest{Op: pb.GroupOp_GROUP_MEMBERS_BY_ROLE, GroupId: "g", Role: 4}, codes.InvalidParameter},
		"a remark":                 {&pb.GroupRequest{Op: pb.GroupOp_GROUP_SET_REMARK, GroupId: "g", Text: "work"}, 0},
		"no remark (removes it)":   {&pb.GroupRequest{Op: pb.GroupOp_GROUP_SET_REMARK, GroupId: "g"}, 0},
		"a blank remark":           {&pb.GroupRequest{Op: pb.GroupOp_GROUP_SET_REMARK, GroupId: "g", Text: "  "}, codes.InvalidParameter},
		"mute for a negative time": {&pb.GroupRequest{Op: pb.GroupOp_GROUP_MUTE_MEMBERS, GroupId: "g", UserIds: []string{"u"}, DurationMs: -1}, codes.InvalidParameter},
		"mute past 100 years":      {&pb.GroupRequest{Op: pb.GroupOp_GROUP_MUTE_MEMBERS, GroupId: "g", UserIds: []string{"u"}, DurationMs: MaxMuteMillis + 1}, codes.InvalidParameter},
		"applications":             {&pb.GroupRequest{Op: pb.GroupOp_GROUP_APPLICATIONS, Count: 200}, 0},
	} {
		if got := codes.Of(CheckGroupRequest(c.r)); got != c.want {
			t.Errorf("%s: code %d, want %d", label, got, c.want)
		}
	}
}
