// Package codes lists the error codes that cross the wire and the JS API.
// Numbers and names are RongIMLib's web ErrorCode (@rongcloud/engine's
// ErrorCode enum).
package codes

import "errors"

// Each code's comment starts with its name in RongIMLib's web ErrorCode
// (npm's ErrorCode holds the same name and number, and docs/api.md lists
// it: codes_test.go checks both).
const (
	Success                                   = 0     // SUCCESS
	ActiveDisconnect                          = 2     // ACTIVE_DISCONNECT: DISCONNECT after disconnect()
	Timeout                                   = -1    // TIMEOUT: the web enum's name for "unknown error"
	RejectedByBlacklist                       = 405   // REJECTED_BY_BLACKLIST: a private message or typing status to a user who blocked the sender
	RCUserProfileKeyNotAllowSDKSet            = 24360 // RC_USER_PROFILE_KEY_NOT_ALLOW_SDK_SET: a profile field only the app server sets (uniqueId)
	RCUserProfileExtKVCountExceedLimit        = 24363 // RC_USER_PROFILE_EXT_KV_COUNT_EXCEED_LIMIT: over 20 extraProfile entries
	RCUserProfileValueLengthExceedLimit       = 24364 // RC_USER_PROFILE_VALUE_LENGTH_EXCEED_LIMIT: a profile text over its length
	RCUserProfileQueryCountExceedLimit        = 24365 // RC_USER_PROFILE_QUERY_COUNT_EXCEED_LIMIT: over 100 users in one query
	RCUserProfileUserNotExist                 = 24366 // RC_USER_PROFILE_USER_NOT_EXIST: no user with that uniqueId (or not visible)
	RCUserProfileValueExceedRange             = 24368 // RC_USER_PROFILE_VALUE_EXCEED_RANGE: gender outside 0-2, a negative role or level
	RCFriendAlreadyFriend                     = 25460 // RC_FRIEND_ALREADY_FRIEND: adding a friend
	RCFriendNeedAccept                        = 25461 // RC_FRIEND_NEED_ACCEPT: processCode of a friend request waiting for the user
	RCFriendInOtherBlackList                  = 25462 // RC_FRIEND_IN_OTHER_BLACK_LIST: adding a user who blocked the caller
	RCFriendInMyBlackList                     = 25464 // RC_FRIEND_IN_MY_BLACK_LIST: adding a user the caller blocked
	RCFriendApplicationNotExist               = 25466 // RC_FRIEND_APPLICATION_NOT_EXIST: no pending request from that user (or expired)
	RCFriendMyFriendCountExceedLimit          = 25467 // RC_FRIEND_MY_FRIEND_COUNT_EXCEED_LIMIT: the caller's friends past the limit
	RCFriendOtherFriendCountExceedLimit       = 25468 // RC_FRIEND_OTHER_FRIEND_COUNT_EXCEED_LIMIT: the other user's friends past the limit
	RCFriendNotFriend                         = 25469 // RC_FRIEND_NOT_FRIEND: setting the info of a user who is no friend
	RCFriendFieldsLengthExceedLimit           = 25470 // RC_FRIEND_FIELDS_LENGTH_EXCEED_LIMIT: a remark or request note over its length
	RCFriendOtherNotAllowAddFriend            = 25471 // RC_FRIEND_OTHER_NOT_ALLOW_ADD_FRIEND: the user takes no friend requests
	RCFriendNotAllowAddSelf                   = 25473 // RC_FRIEND_NOT_ALLOW_ADD_SELF
	RCBesubscribedUserIDsCountExceedLimit     = 26021 // RC_BESUBSCRIBED_USERIDS_COUNT_EXCEED_LIMIT: users with 5,000 subscribers already (their ids in the answer)
	RCSubscribedUserIDsExceedLimit            = 26022 // RC_SUBSCRIBED_USERIDS_EXCEED_LIMIT: over 1,000 subscriptions
	InvalidParameterSubscribeType             = 34306 // INVALID_PARAMETER_SUBSCRIBE_TYPE
	InvalidParameterSubscribeExpiry           = 34307 // INVALID_PARAMETER_SUBSCRIBE_EXPIRY: outside 60-2,592,000 s
	InvalidParameterSubscribePublisherUserIDs = 34308 // INVALID_PARAMETER_SUBSCRIBE_PUBLISHER_USERIDS: 1-200 valid user ids
	InvalidParameterSubscribePageSize         = 34309 // INVALID_PARAMETER_SUBSCRIBE_PAGESIZE: outside 1-200
	InvalidParameterUserProfile               = 34312 // INVALID_PARAMETER_USER_PROFILE: no field, or a bad extraProfile key
	InvalidParameterUserProfileVisibility     = 34313 // INVALID_PARAMETER_USER_PROFILE_VISIBILITY
	InvalidParameterQueryFriendsDirectionType = 34330 // INVALID_PARAMETER_QUERY_FRIENDS_DIRECTION_TYPE: other than BOTH
	InvalidParameterFriendAddPermission       = 34334 // INVALID_PARAMETER_FRIEND_ADD_PERMISSION
	InvalidParameterFriendInfoExtFields       = 34335 // INVALID_PARAMETER_FRIEND_INFO_EXT_FIELDS
	MessageOverModifyTimeFail                 = 20114 // MESSAGE_OVER_MODIFY_TIME_FAIL: an edit after the recall window
	MessageSizeExceeded                       = 20115 // MESSAGE_SIZE_EXCEEDED: edited content over the content limit
	MessageUnsupportedModify                  = 20116 // MESSAGE_UNSUPPORTED_MODIFY: a recalled message, or one that is no message of its own
	SendFrequencyTooFast                      = 20604 // SEND_FREQUENCY_TOO_FAST
	RequestOverFrequency                      = 20607 // REQUEST_OVER_FREQUENCY: a per-user limit on requests other than sends
	NotInGroup                                = 22406 // NOT_IN_GROUP
	ForbiddenInGroup                          = 22408 // FORBIDDEN_IN_GROUP
	NotInChatroom                             = 23406 // NOT_IN_CHATROOM: a request about a chat room the session has not joined
	ForbiddenInChatroom                       = 23408 // FORBIDDEN_IN_CHATROOM: a muted member (or the whole room muted) sending
	RCChatroomNotExist                        = 23410 // RC_CHATROOM_NOT_EXIST: joinExistChatRoom, or a room destroyed
	RCChatroomParameterInvalid                = 23412 // RC_CHATROOM_PATAMETER_INVALID: a room id, count, order, entry key or value out of its rules
	ChatroomKVExceed                          = 23423 // CHATROOM_KV_EXCEED: a room past 100 entries
	ChatroomKVOverwriteInvalid                = 23424 // CHATROOM_KV_OVERWRITE_INVALID: changing an entry another member set, without force
	ChatroomKeyNotExist                       = 23427 // CHATROOM_KEY_NOT_EXIST: removing or reading an entry the room does not have
	ChatroomKVStoreOutLimit                   = 23429 // CHATROOM_KV_STORE_OUT_LIMIT: more than 10 entries in one call
	SensitiveShield                           = 21501 // SENSITIVE_SHIELD: the app's backend blocked the message (before-send webhook), unless it named another code
	OperationNotSupport                       = 20606 // OPERATION_NOT_SUPPORT: registerWebPush where the browser has no Push API or service worker, or notifications are refused (the JavaScript's)
	NotInUltraGroup                           = 24406 // NOT_IN_ULTRA_GROUP: sending to or reading an ultra group the user is not in
	ForbiddenInUltraGroup                     = 24408 // FORBIDDEN_IN_ULTRA_GROUP: a muted member (or the whole group muted) sending
	UltraGroupNotExist                        = 24410 // ULTRA_GROUP_NOT_EXIST
	UltraGroupMembersOversize                 = 24411 // ULTRA_GROUP_MEMBERS_OVERSIZE: a group past its member limit
	UltraGroupChannelsOversize                = 24413 // ULTRA_GROUP_CHANNELS_OVERSIZE: creating a channel past the group's channel limit
	UltraGroupChannelIDNotExist               = 24414 // ULTRA_GROUP_CHANNEL_ID_NOT_EXIST: a channel the group does not have
	UltraGroupUserNotInPrivateChannel         = 24416 // ULTRA_GROUP_USER_NOT_IN_PRIVATE_CHANNEL: sending to or reading a private channel the member is not in
	RecallMessage                             = 25101 // RECALL_MESSAGE
	MessageStorageUnavailable                 = 25102 // MESSAGE_STORAGE_SERVICE_UNAVAILABLE: the server cannot reach its store (PostgreSQL down); a resend stores the message once
	RecallMessageUserInvalid                  = 25107 // RECALL_MESSAGE_USER_INVALID
	RCGroupIllegalError                       = 25404 // RC_GROUP_ILLEGAL_ERROR: a group's permissions changed by other than its owner
	RCGroupAuthorityError                     = 25405 // RC_GROUP_AUTHORITY_ERROR: a group operation the user's role does not allow
	RCGroupParameterLengthExceedLimit         = 25406 // RC_GROUP_PARAMETER_LENGTH_EXCEED_LIMIT: a group profile text over its length
	RCGroupParameterFormatError               = 25407 // RC_GROUP_PARAMETER_FORMAT_ERROR: a group profile text that is blank or not UTF-8
	RCGroupIDAlreadyExist                     = 25409 // RC_GROUP_ID_ALREADY_EXIST: creating a group whose id is taken
	RCGroupIDNotExist                         = 25410 // RC_GROUP_ID_NOT_EXIST: a group that does not exist or was dismissed
	RCGroupMembersCountExceedLimit            = 25411 // RC_GROUP_MEMBERS_COUNT_EXCEED_LIMIT: a group past its member limit
	RCGroupMembersAlreadyInGroup              = 25412 // RC_GROUP_MEMBERS_ALREADY_IN_GROUP: joining or inviting members
	RCGroupManagerOrFollowCountExceed         = 25419 // RC_GROUP_MANAGER_OR_FOLLOW_COUNT_EXCEED_LIMIT: past the managers or follows limit
	RCGroupUserIsNotManagerInGroup            = 25420 // RC_GROUP_USER_IS_NOT_MANAGER_IN_GROUP: removing a manager who is not one
	RCGroupApplicationNotExist                = 25421 // RC_GROUP_APPLICATION_NOT_EXIST: no pending request or invitation of that user
	RCGroupQueryGroupCountExceedLimit         = 25422 // RC_GROUP_QUERY_GROUP_COUNT_EXCEED_LIMIT: over 20 groups in one query
	RCGroupJoinGroupNeedManagerAccept         = 25424 // RC_GROUP_JOIN_GROUP_NEED_MANAGER_ACCEPT: processCode of a join waiting for approval
	RCGroupOwnerNotAllowBeManager             = 25425 // RC_GROUP_OWNER_NOT_ALLOW_BE_MANAGER: making the owner a manager
	RCGroupNeedInviteeAccept                  = 25427 // RC_GROUP_NEED_INVITEE_ACCEPT: processCode of an invitation waiting for the invitee
	RCGroupApplicationAlreadyHandle           = 25428 // RC_GROUP_APPLICATION_ALREADY_HANDLE: a request someone already accepted or refused
	RCGroupIDInvalid                          = 25430 // RC_GROUP_ID_INVALID: a group id that is not 1-64 characters of [A-Za-z0-9_.@-]
	RCPageTokenParsingFailed                  = 25432 // RC_PAGE_TOKEN_PARSING_FAILED: a pageToken this server did not give
	RCGroupOwnerNotAllowQuitOrKick            = 25417 // RC_GROUP_OWNER_NOT_ALLOW_QUIT_OR_KICK: the owner quitting or being removed
	RCGroupUserNotInGroup                     = 25418 // RC_GROUP_USER_NOT_IN_GROUP: a group operation by or on a non-member
	RCGroupNotAllowJoin                       = 25414 // RC_GROUP_NOT_ALLOW_JOIN: joining a group that takes no one
	RCGroupNameInvalid                        = 25423 // RC_GROUP_NAME_INVALID: a group name that is missing or blank
	RCGroupNoInvitePermission                 = 25426 // RC_GROUP_NO_INVITE_PERMISSION: inviting where the user's role may not
	FileSizeExceedLimit                       = 26106 // RC_FILE_SIZE_EXCEED_LIMIT
	ConversationTagOversize                   = 26004 // CONVERSATION_TAG_OVERSIZE: over 20 tags
	RRSV5Unavailable                          = 26314 // SERVICE_RRSV5_UNAVAILABLE
	RRSV5ReadReceiptNotSupport                = 26315 // SERVICE_RRSV5_READ_RECEIPT_NOT_SUPPORT
	RRSV5ParamLengthExceed                    = 26316 // SERVICE_RRSV5_PARAM_LENGTH_EXCEED
	RRSV5ConversationNotSupport               = 26317 // SERVICE_RRSV5_CONVERSATION_NOT_SUPPORT
	RRSV5QueryNotSupport                      = 26318 // SERVICE_RRSV5_QUERY_NOT_SUPPORT
	RRSV5MessageSenderMismatch                = 26320 // SERVICE_RRSV5_MESSAGE_SENDER_MISMATCH
	RRSV5MessageReceiptNeedless               = 26321 // SERVICE_RRSV5_MESSAGE_RECEIPT_NEEDLESS
	RRSV5MessageNotExist                      = 26322 // SERVICE_RRSV5_MESSAGE_NOT_EXIST
	NetChannelInvalid                         = 30001 // RC_NET_CHANNEL_INVALID
	NetUnavailable                            = 30002 // RC_NET_UNAVAILABLE
	MsgRespTimeout                            = 30003 // RC_MSG_RESP_TIMEOUT
	MsgContentExceedLimit                     = 30016 // RC_MSG_CONTENT_EXCEED_LIMIT
	ConnAckTimeout                            = 31000 // RC_CONN_ACK_TIMEOUT
	ConnTokenIncorrect                        = 31004 // RC_CONN_TOKEN_INCORRECT
	ConnUserBlocked                           = 31009 // RC_CONN_USER_BLOCKED: the app server blocked the user
	DisconnKick                               = 31010 // RC_DISCONN_KICK
	ConnTokenExpired                          = 31020 // RC_CONN_TOKEN_EXPIRED
	ClientNotInit                             = 33001 // BIZ_ERROR_CLIENT_NOT_INIT
	InvalidParameter                          = 33003 // BIZ_ERROR_INVALID_PARAMETER
	TagNotExist                               = 33100 // TAG_NOT_EXIST
	TagExists                                 = 33101 // TAG_EXISTS
	NoTagInConver                             = 33102 // NO_TAG_IN_CONVER: the conversation is not in the tag
	MethodBusy                                = 33103 // METHOD_BUSY: a conversation list loader's load while one runs
	ModifiedMessageIsNotSent                  = 33401 // MODIFIED_MESSAGE_IS_NOT_SENT: an edit of a message not this user's, or not sent
	ConnectionExist                           = 34001 // RC_CONNECTION_EXIST
	ConnectionTimeout                         = 34006 // CONNECTION_TIMEOUT
	ExpansionLimitExceeded                    = 34010 // EXPANSION_LIMIT_EXCEET: a message's expansion over 300 keys or 64 KiB
	UploadFail                                = 34011 // UPLOAD_FAIL
	MediaException                            = 34018 // MEDIA_EXCEPTION
	DBDataNotFound                            = 34304 // RC_DB_DATA_NOT_FOUND: not held on this device (getMessage)
	InvalidParameterMessageUID                = 34203 // INVALID_PARAMETER_MESSAGE_UID
	InvalidParameterMessageID                 = 34204 // INVALID_PARAMETER_MESSAGE_ID
	InvalidParameterConversationType          = 34209 // INVALID_PARAMETER_CONVERSATION_TYPE
	InvalidParameterTargetID                  = 34210 // INVALID_PARAMETER_TARGET_ID
	InvalidParameterUserID                    = 34214 // INVALID_PARAMETER_USER_ID: a user id that is not 1-64 characters of [A-Za-z0-9_.@-]
	InvalidParameterTagID                     = 34212 // INVALID_PARAMETER_TAG_ID
	InvalidParameterTagName                   = 34213 // INVALID_PARAMETER_TAG_NAME
	InvalidParameterMessageExpansion          = 34220 // INVALID_PARAMETER_MESSAGE_EXPANSION: an expansion key or value malformed or too long, or over 20 keys in one call
	InvalidParameterTimestring                = 34224 // INVALID_PARAMETER_TIMESTRING: quiet hours' startTime not "HH:MM:SS"
	InvalidParameterNotificationLevel         = 34228 // INVALID_PARAMETER_NOTIFICATION_LEVEL: quiet hours' level not a PushNotificationQuietHoursLevel
	InvalidParameterCount                     = 34232 // INVALID_PARAMETER_COUNT
	InvalidParameterSpanMinutes               = 34283 // INVALID_PARAMETER_SPAN_MINUTES: quiet hours' spanMinutes outside 1-1439
	InvalidParameterContentDisposition        = 35032 // INVALID_PARAMETER_CONTENT_DISPOSITION
	MethodOnlySupportUltraGroup               = 35014 // METHOD_ONLY_SUPPORT_ULTRA_GROUP: an ultra-group function given another conversation type
	SendReadReceiptConfError                  = 35056 // SEND_READ_RECEIPT_CONF_ERROR
)

// Error is an error that carries a wire code, and the error that caused
// it, if any.
type Error struct {
	Code int32
	Msg  string // what the API reports: what failed, and the cause's text
	Err  error  // the cause (errors.Is and errors.As see it)
}

func (e *Error) Error() string {
	if e.Msg == "" {
		return "imwasm error " + itoa(e.Code)
	}
	return "imwasm error " + itoa(e.Code) + ": " + e.Msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// New returns an *Error.
func New(code int32, msg string) *Error { return &Error{Code: code, Msg: msg} }

// Wrap returns an *Error of code for a failure caused by err; msg says
// what was being done.
func Wrap(code int32, msg string, err error) *Error {
	if err == nil {
		return New(code, msg)
	}
	cause := err.Error()
	if e, ok := err.(*Error); ok {
		cause = e.Msg // its code is said once, by the outer error
	}
	return &Error{Code: code, Msg: msg + ": " + cause, Err: err}
}

// Of extracts the code of err: Success for nil, the code of the first
// *Error in its chain (errors.As), Timeout (unknown) when there is none.
func Of(err error) int32 {
	if err == nil {
		return Success
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Timeout
}

// itoa avoids strconv so this package stays tiny in the wasm build.
func itoa(n int32) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	v := int64(n)
	if neg {
		v = -v
	}
	var b [12]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
