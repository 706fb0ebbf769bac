package contract

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// People rules: the shape of profile, friend, blacklist and online-status
// requests. Names and numbers are RongIMLib 5.x's (IUserProfileInfo,
// FriendAddPermission, FriendApplicationStatus, FriendRelationType,
// SubscribeType, UserProfileVisibility); the Easemob and NIM modules map
// their contacts, blocklists and presence onto these.

// People limits: RongIMLib's typings give the per-call counts, the
// subscription limits and expiry, the remark and note lengths; the friend
// and blacklist sizes are the defaults (settings); the profile's
// lengths, which RongIMLib leaves to its console, are bounded here.
const (
	MaxFriends           = 3000 // friends of one user (a setting's default)
	MaxBlacklist         = 3000 // users one user blocks (a setting's default)
	MaxSubscriptions     = 1000 // users one user subscribes to
	MaxSubscribers       = 5000 // users subscribed to one user
	MaxSubscribePerCall  = 200
	MinSubscribeExpiry   = 60      // seconds
	MaxSubscribeExpiry   = 2592000 // seconds (30 days)
	MaxProfilesPerCall   = 100
	MaxFriendsPerCall    = 100
	MaxCheckFriends      = 20
	MaxFriendRemarkChars = 64
	MaxFriendExtraChars  = 128
	MaxFriendExtKeys     = 10
	MaxProfileNameChars  = 64
	MaxProfileTextChars  = 128 // email, birthday, location
	MaxProfileExtKeys    = 20
	MaxProfileExtChars   = 256 // an extraProfile value
	FriendApplicationTTL = 7 * 24 * 3600 * 1000
)

// FriendAddPermission is RongIMLib's: how others add this user.
const (
	FriendAddFree     int32 = 1
	FriendAddVerify   int32 = 2 // the default
	FriendAddNoOne    int32 = 3
	DirectionBoth     int32 = 2 // DirectionType, QueryFriendsDirectionType: the web has only BOTH
	FriendSent        int32 = 1 // FriendApplicationType
	FriendReceived    int32 = 2
	FriendUnhandled   int32 = 0 // FriendApplicationStatus
	FriendAccepted    int32 = 1
	FriendRefused     int32 = 2
	FriendExpired     int32 = 3
	RelationNone      int32 = 0 // FriendRelationType
	RelationMine      int32 = 1
	RelationTheirs    int32 = 2
	RelationBothWay   int32 = 3
	VisibilityNotSet  int32 = 0 // UserProfileVisibility
	VisibilityNone    int32 = 1
	VisibilityAll     int32 = 2
	VisibilityFriends int32 = 3
	SubscribeOnline   int32 = 1 // SubscribeType
	SubscribeProfile  int32 = 2
	SubscribeFriendOn int32 = 3
	SubscribeFriendUP int32 = 4
	PlatformWeb       int32 = 3 // Platform
)

// ProfileField bits name the fields of a profile update (pb.UserProfile.fields).
const (
	ProfName uint32 = 1 << iota
	ProfPortrait
	ProfEmail
	ProfBirthday
	ProfGender
	ProfLocation
	ProfRole
	ProfLevel
	ProfExt
	ProfUniqueID // the app server's alone
	// ProfExtKeys: Ext holds the extra keys to set, the others kept, an
	// empty value removing its key (the vendor modules' per-field updates:
	// Easemob's phone, sign, ext and NIM's tel, sign, ext). Not with ProfExt.
	ProfExtKeys
)

// Friend info fields (pb.PeopleRequest.fields of FRIEND_SET_INFO).
const (
	FriendFieldRemark uint32 = 1 << iota
	FriendFieldExt
)

// CheckProfile checks the fields of a profile update: the texts' lengths
// (24364), the extra profile's size (24363), gender 0-2 and role and level
// not negative (24368). errorKeys (IUpdateMyProfileFail) names the field.
func CheckProfile(p *pb.UserProfile, byApp bool) (errorKey string, err error) {
	if p == nil || p.Fields == 0 {
		return "", codes.New(codes.InvalidParameterUserProfile, "no profile field to update")
	}
	if p.Fields&ProfUniqueID != 0 && !byApp {
		return "uniqueId", codes.New(codes.RCUserProfileKeyNotAllowSDKSet, "uniqueId is the app server's to set")
	}
	long := func(key, v string, n int) (string, error) {
		if !ValidText(v) || utf8.RuneCountInString(v) > n {
			return key, codes.New(codes.RCUserProfileValueLengthExceedLimit, fmt.Sprintf("%s longer than %d characters", key, n))
		}
		return "", nil
	}
	f := p.Fields
	for _, c := range []struct {
		bit uint32
		key string
		v   string
		n   int
	}{
		{ProfName, "name", p.Name, MaxProfileNameChars},
		{ProfPortrait, "portraitUri", p.PortraitUri, MaxGroupPortraitLen},
		{ProfEmail, "email", p.Email, MaxProfileTextChars},
		{ProfBirthday, "birthday", p.Birthday, MaxProfileTextChars},
		{ProfLocation, "location", p.Location, MaxProfileTextChars},
		{ProfUniqueID, "uniqueId", p.UniqueId, MaxIDBytes},
	} {
		if f&c.bit != 0 {
			if k, err := long(c.key, c.v, c.n); err != nil {
				return k, err
			}
		}
	}
	if f&ProfGender != 0 && (p.Gender < 0 || p.Gender > 2) {
		return "gender", codes.New(codes.RCUserProfileValueExceedRange, "gender must be 0-2")
	}
	if f&ProfRole != 0 && p.Role < 0 || f&ProfLevel != 0 && p.Level < 0 {
		return "role", codes.New(codes.RCUserProfileValueExceedRange, "role and level must not be negative")
	}
	if f&ProfExt != 0 && f&ProfExtKeys != 0 {
		return "extraProfile", codes.New(codes.InvalidParameterUserProfile, "extraProfile is either replaced or merged, not both")
	}
	if f&(ProfExt|ProfExtKeys) != 0 {
		if len(p.Ext) > MaxProfileExtKeys {
			return "extraProfile", codes.New(codes.RCUserProfileExtKVCountExceedLimit, "extraProfile holds at most 20 entries")
		}
		for k, v := range p.Ext {
			if k == "" || len(k) > MaxIDBytes || !ValidText(k) {
				return k, codes.New(codes.InvalidParameterUserProfile, "an extraProfile key of 1-64 bytes")
			}
			if key, err := long(k, v, MaxProfileExtChars); err != nil {
				return key, err
			}
		}
	}
	return "", nil
}

// CheckPeopleRequest checks a people request's shape, whoever asks.
func CheckPeopleRequest(r *pb.PeopleRequest) error {
	if r == nil || r.Op == pb.PeopleOp_PEOPLE_OP_NONE || r.Op.String() == strconv.Itoa(int(r.Op)) {
		return codes.New(codes.InvalidParameter, "unknown people operation")
	}
	user := func() error {
		if !ValidID(r.UserId) {
			return codes.New(codes.InvalidParameterUserID, "invalid user id")
		}
		return nil
	}
	direction := func() error {
		if r.Direction != DirectionBoth {
			return codes.New(codes.InvalidParameterQueryFriendsDirectionType, "directionType must be BOTH (2)")
		}
		return nil
	}
	users := func(max int, tooMany int32) error {
		if len(r.UserIds) > max {
			return codes.New(tooMany, fmt.Sprintf("at most %d user ids", max))
		}
		if len(r.UserIds) == 0 {
			return codes.New(codes.InvalidParameterCount, "user ids required")
		}
		return CheckGroupUsers(r.UserIds, max)
	}
	subscribeType := func() error {
		if r.Value < SubscribeOnline || r.Value > SubscribeFriendUP {
			return codes.New(codes.InvalidParameterSubscribeType, "subscribeType outside SubscribeType")
		}
		return nil
	}
	switch r.Op {
	case pb.PeopleOp_PROFILE_UPDATE:
		_, err := CheckProfile(r.Profile, false)
		return err
	case pb.PeopleOp_QUIET_HOURS_SET:
		return CheckQuietHours(r.QuietHours)
	case pb.PeopleOp_DND_SET:
		return CheckDndDuration(r.DurationMs)
	case pb.PeopleOp_PROFILES_GET:
		return users(MaxProfilesPerCall, codes.RCUserProfileQueryCountExceedLimit)
	case pb.PeopleOp_VISIBILITY_SET:
		if r.Value < VisibilityNotSet || r.Value > VisibilityFriends {
			return codes.New(codes.InvalidParameterUserProfileVisibility, "visibility outside UserProfileVisibility")
		}
	case pb.PeopleOp_PROFILE_BY_UNIQUE_ID:
		if r.Text == "" || len(r.Text) > MaxIDBytes {
			return codes.New(codes.InvalidParameter, "uniqueId must be 1-64 bytes")
		}
	case pb.PeopleOp_FRIEND_ADD:
		if err := user(); err != nil {
			return err
		}
		if err := direction(); err != nil {
			return err
		}
		if !ValidText(r.Extra) || utf8.RuneCountInString(r.Extra) > MaxFriendExtraChars {
			return codes.New(codes.RCFriendFieldsLengthExceedLimit, "extra is at most 128 characters")
		}
	case pb.PeopleOp_FRIENDS_DELETE:
		if err := direction(); err != nil {
			return err
		}
		return users(MaxFriendsPerCall, codes.InvalidParameterCount)
	case pb.PeopleOp_FRIEND_ACCEPT, pb.PeopleOp_FRIEND_REFUSE, pb.PeopleOp_BLACKLIST_ADD,
		pb.PeopleOp_BLACKLIST_REMOVE, pb.PeopleOp_BLACKLIST_STATUS:
		return user()
	case pb.PeopleOp_FRIEND_SET_INFO:
		if err := user(); err != nil {
			return err
		}
		if r.Fields == 0 || r.Fields&^(FriendFieldRemark|FriendFieldExt) != 0 {
			return codes.New(codes.InvalidParameter, "remark or extProfile required")
		}
		if !ValidText(r.Remark) || utf8.RuneCountInString(r.Remark) > MaxFriendRemarkChars {
			return codes.New(codes.RCFriendFieldsLengthExceedLimit, "remark is at most 64 characters")
		}
		if len(r.Ext) > MaxFriendExtKeys {
			return codes.New(codes.InvalidParameterFriendInfoExtFields, "extProfile holds at most 10 entries")
		}
		for k, v := range r.Ext {
			if k == "" || len(k) > MaxIDBytes || !ValidText(k) || !ValidText(v) || utf8.RuneCountInString(v) > MaxFriendExtraChars {
				return codes.New(codes.InvalidParameterFriendInfoExtFields, "an extProfile key of 1-64 bytes, a value of at most 128 characters")
			}
		}
	case pb.PeopleOp_FRIENDS_CHECK:
		if err := direction(); err != nil {
			return err
		}
		return users(MaxCheckFriends, codes.InvalidParameterCount)
	case pb.PeopleOp_FRIENDS_LIST, pb.PeopleOp_FRIEND_APPLICATIONS:
		if r.Op == pb.PeopleOp_FRIENDS_LIST {
			if err := direction(); err != nil {
				return err
			}
		}
		if r.Count > MaxFriendsPerCall {
			return codes.New(codes.InvalidParameterCount, "count must be 1-100")
		}
	case pb.PeopleOp_FRIENDS_INFO:
		return users(MaxFriendsPerCall, codes.InvalidParameterCount)
	case pb.PeopleOp_FRIENDS_SEARCH:
		if strings.TrimSpace(r.Text) == "" || !ValidText(r.Text) || utf8.RuneCountInString(r.Text) > MaxFriendRemarkChars {
			return codes.New(codes.InvalidParameter, "the name must be 1-64 characters, not blank")
		}
	case pb.PeopleOp_FRIEND_PERMISSION_SET:
		if r.Value < FriendAddFree || r.Value > FriendAddNoOne {
			return codes.New(codes.InvalidParameterFriendAddPermission, "permission outside FriendAddPermission")
		}
	case pb.PeopleOp_SUBSCRIBE:
		if err := subscribeType(); err != nil {
			return err
		}
		if r.Expiry < MinSubscribeExpiry || r.Expiry > MaxSubscribeExpiry {
			return codes.New(codes.InvalidParameterSubscribeExpiry, "expiry must be 60-2592000 seconds")
		}
		return users(MaxSubscribePerCall, codes.InvalidParameterSubscribePublisherUserIDs)
	case pb.PeopleOp_UNSUBSCRIBE, pb.PeopleOp_SUBSCRIBED_STATUS:
		if err := subscribeType(); err != nil {
			return err
		}
		return users(MaxSubscribePerCall, codes.InvalidParameterSubscribePublisherUserIDs)
	case pb.PeopleOp_SUBSCRIPTIONS:
		if err := subscribeType(); err != nil {
			return err
		}
		if r.Count == 0 || r.Count > MaxSubscribePerCall {
			return codes.New(codes.InvalidParameterSubscribePageSize, "pageSize must be 1-200")
		}
	case pb.PeopleOp_ONLINE_STATUS:
		return users(MaxSubscribePerCall, codes.InvalidParameterSubscribePublisherUserIDs)
	}
	return nil
}
