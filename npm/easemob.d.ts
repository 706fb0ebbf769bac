// imwasm/easemob: Easemob Web SDK 4.x's names and shapes over imwasm (the
// connection, messages, every ack, recall, history, conversations,
// contacts, user attributes, the blocklist, presence, groups, chat rooms).
// docs/migration.md
// lists the rest.

export declare const statusCode: {
  readonly REQUEST_SUCCESS: 0; readonly REQUEST_TIMEOUT: -1; readonly REQUEST_UNKNOWN: -2; readonly REQUEST_PARAMETER_ERROR: -3;
  readonly WEBIM_CONNCTION_OPEN_ERROR: 1; readonly WEBIM_CONNCTION_AUTH_ERROR: 2; readonly WEBIM_CONNCTION_DISCONNECTED: 16;
  readonly WEBIM_CONNCTION_APPKEY_NOT_ASSIGN_ERROR: 27; readonly WEBIM_CONNCTION_TOKEN_NOT_ASSIGN_ERROR: 28;
  readonly WEBIM_CONNCTION_CLIENT_OFFLINE: 32; readonly WEBIM_CONNECTION_CLOSED: 39; readonly MAX_LIMIT: 50;
  readonly MESSAGE_NOT_FOUND: 51; readonly NO_PERMISSION: 52; readonly OPERATION_UNSUPPORTED: 53; readonly WEBIM_TOKEN_EXPIRED: 56;
  readonly MESSAGE_PARAMETER_ERROR: 205; readonly WEBIM_UPLOADFILE_ERROR: 101; readonly WEBIM_CONNCTION_USER_LOGIN_ANOTHER_DEVICE: 206; readonly USER_MUTED_BY_ADMIN: 219;
  readonly SERVICE_NOT_ENABLED: 505; readonly PERMISSION_DENIED: 603;
  readonly MESSAGE_CURRENT_LIMITING: 509; readonly MESSAGE_WEBSOCKET_DISCONNECTED: 510; readonly MESSAGE_EXTERNAL_LOGIC_BLOCKED: 502;
  readonly USER_NOT_FRIEND: 221; readonly MESSAGE_RECALL_TIME_LIMIT: 504; readonly GROUP_NOT_JOINED: 602;
  readonly SERVICE_NOT_ALLOW_MESSAGING_MUTE: 507; readonly MESSAGE_SIZE_LIMIT: 511; readonly GROUP_ALREADY_JOINED: 601; readonly GROUP_NOT_EXIST: 605;
  readonly GROUP_MEMBERS_FULL: 606; readonly CHATROOM_NOT_JOINED: 702; readonly CHATROOM_MEMBERS_FULL: 704; readonly CHATROOM_NOT_EXIST: 705;
};

export type ChatType = 'singleChat' | 'groupChat' | 'chatRoom';

export interface UpdateOwnUserInfoParams { nickname?: string; avatarurl?: string; mail?: string; phone?: string; gender?: string | number | boolean; sign?: string; birth?: string; ext?: string; [key: string]: string | number | boolean | undefined }
export type ConfigurableKey = 'nickname' | 'avatarurl' | 'mail' | 'phone' | 'gender' | 'sign' | 'birth' | 'ext';
export interface ErrorEvent { type: number; message: string; data?: any }
export type SilentModeRemindType = 'ALL' | 'AT' | 'NONE';
type HM = { hours: number; minutes: number };
export type SilentModeParam = { paramType: 0; remindType: SilentModeRemindType } | { paramType: 1; duration: number } | { paramType: 2; startTime: HM; endTime: HM };
type SilentConv = { conversationId: string; type: 'singleChat' | 'groupChat' };
type Silent<T> = T & { success?: (res: AsyncResult<any>) => void; error?: (e: ErrorEvent) => void };
/** type absent: not set; ignoreDuration: when the do-not-disturb ends (ms; 0 none); ignoreInterval: "H:M-H:M". */
export interface SilentModeResult { type?: SilentModeRemindType; ignoreDuration?: number; ignoreInterval?: string }

export interface ConnectionParameters {
  appKey: string;
  /** The imwasm server's address (http(s):// or ws(s)://); apiUrl may give it instead. */
  url?: string;
  apiUrl?: string;
  /** Delivery acks: the receivers' SDKs ack automatically (onDeliveredMessage). */
  delivery?: boolean;
  [key: string]: any;
}

interface MsgBase {
  id: string;
  chatType: ChatType;
  to: string;
  from?: string;
  time: number;
  ext?: { [key: string]: any };
  msgConfig?: { allowGroupAck?: boolean };
  success?: (res: SendMsgResult) => void;
  fail?: (e: ErrorEvent) => void;
}
export interface TextMsgBody extends MsgBase { type: 'txt'; msg: string }
export interface CustomMsgBody extends MsgBase { type: 'custom'; customEvent: string; customExts?: { [key: string]: any } }
export interface CmdMsgBody extends MsgBase { type: 'cmd'; action: string }
export interface FileObj { url?: string; filename?: string; filetype?: string; data: File }
interface FileMsgBase extends MsgBase {
  file?: FileObj;
  url?: string;
  onFileUploadProgress?: (e: { loaded: number; total: number }) => void;
  onFileUploadComplete?: (res: { url: string; entities: any[] }) => void;
  onFileUploadError?: (e: ErrorEvent) => void;
}
export interface ImgMsgBody extends FileMsgBase { type: 'img'; thumb?: string; width?: number; height?: number }
export interface FileMsgBody extends FileMsgBase { type: 'file'; filename?: string; file_length?: number }
/** length: seconds. */
export interface AudioMsgBody extends FileMsgBase { type: 'audio'; filename?: string; length?: number; file_length?: number }
export interface VideoMsgBody extends FileMsgBase { type: 'video'; filename?: string; length?: number; file_length?: number; thumb?: string }
export interface LocationMsgBody extends MsgBase { type: 'loc'; lat: number; lng: number; addr: string; buildingName?: string }
/** A read ack: ackId is the message read (message.create's id option); in a group, ackContent goes to its sender. */
export interface ReadMsgBody extends MsgBase { type: 'read'; ackId?: string; ackContent?: string }
/** A conversation read ack. */
export interface ChannelMsgBody extends MsgBase { type: 'channel' }
export type MessageBody = TextMsgBody | ImgMsgBody | FileMsgBody | AudioMsgBody | VideoMsgBody | LocationMsgBody | CustomMsgBody | CmdMsgBody | ReadMsgBody | ChannelMsgBody;
/** onReadMessage: groupReadCount { [mid]: readers so far } for group messages. */
export interface ReadAckBody { id: string; mid: string; ackId: string; type: 'read'; chatType: ChatType; from: string; to: string; time: number;
  groupReadCount?: { [mid: string]: number }; ackContent?: string }
export interface ChannelAckBody { id: string; mid?: string; type: 'channel'; chatType: ChatType; from: string; to: string; time: number }
/** location: JSON of { group_ack: [{ msg_id, from, to, count, ack_content, timestamp }] }, the group acks that came while away. */
export interface StatisticMsgBody { type: 'statistic'; from: string; to: string; location: string }

export interface SendMsgResult { localMsgId: string; serverMsgId: string; message?: MessageBody }
export interface ReceivedMsgBody { id: string; mid: string; to: string; from?: string; time?: number }
export interface DeliveryMsgBody { id: string; type: 'delivery'; mid: string; from: string; to: string; chatType?: ChatType }

export interface AsyncResult<T = any> { type: number; data?: T; message?: string }
export interface ContactMsgBody { type: 'subscribe' | 'unsubscribed' | 'subscribed'; to: string; from: string; status?: string }
export interface RecallMsgBody { id: string; from: string; to: string; mid: string; ext: string }
/** cursor: the ID of the page's last message (absent on the last page): the next page starts past it. */
export interface HistoryMessages { cursor?: string; messages: MessageBody[]; isLast: boolean }
export interface ModifiedMsgInfo { operatorId: string; operationCount: number; operationTime: number }
export interface ModifyMsgResult extends SendMsgResult { modifiedInfo: ModifiedMsgInfo }
/** joinGroup (action 'apply'), acceptGroupJoinRequest, … */
export interface CommonRequestResult { result: boolean; action: string; reason?: string; user: string; id: string }
export interface ChangeGroupOwnerResult { newowner: boolean }
/** The fields set. */
export interface ModifyGroupResult { groupname?: boolean; description?: boolean; avatar?: boolean; custom?: boolean }
export interface SetGroupAdminResult { newadmin: string; result: 'success' }
export interface RemoveGroupAdminResult { oldadmin: string; result: 'success' }
export interface DestroyGroupResult { id: string; success: boolean }
export interface InviteUsersToGroupResult { action: 'invite'; id: string; reason?: string; result: boolean; user: string }
export interface RemoveGroupMemberResult { action: 'remove_member'; groupid: string; result: boolean; user: string }
/** expire: the mute's end (ms). */
export interface MuteGroupMemberResult { expire: number; result: boolean; user: string }
export interface UnmuteGroupMemberResult { result: boolean; user: string }
export interface DeleteSessionResult { result: 'ok' }
export interface RosterData { name: string; subscription: 'both'; jid: { appKey: string; name: string; domain: string; clientResource: string } }
export interface ContactItem { userId: string; remark: string }
export interface CursorContactsResult { cursor?: string; contacts: ContactItem[] }
/** The users the call changed. */
export interface OperateResult { userIds: string[] }
export interface GetSubscribedPresenceListResult { result: { sublist: { uid: string; expiry: number }[]; totalnum: number } }
export interface ConversationInfo { channel_infos: { channel_id: string; lastMessage: MessageBody | Record<string, never>; unread_num: number }[] }

export interface PresenceType { userId: string; statusDetails: { device: string; status: number }[]; ext: string; lastTime: number; expire: number }
/** A getPresenceStatus / subscribePresence result: status per device ({ web: 1 | 0 }). */
export interface SubscribePresence { uid: string; expiry: number; ext: string; last_time: number; status: { [device: string]: number } }

export interface GroupEvent { operation: string; id: string; from: string; userId?: string | string[]; name?: string; reason?: string }
export interface GroupInfo { groupId: string; groupName: string; affiliationsCount?: number; role?: 'member' | 'admin' | 'owner'; disabled: boolean;
  approval: boolean; allowInvites: boolean; description: string; maxUsers: number; public: boolean }
export interface GroupDetailInfo { id: string; name: string; description: string; owner: string; created: number; affiliations_count: number;
  avatar: string; custom: string; allowinvites: boolean; membersonly: boolean; public: boolean; maxusers: number; mute: boolean;
  affiliations: ({ owner: string; joined_time: number } | { member: string; joined_time: number })[] }
type GroupParams<T> = T & { success?: (res: AsyncResult) => void; error?: (e: ErrorEvent) => void };

/** from: '' (not told); muteMember / unmuteMember (userId, muteTimestamp: the mute's end) go to the members muted only;
 * attributes: { key: value } (updateChatRoomAttributes) or the keys (removeChatRoomAttributes). */
export interface ChatroomEvent { operation: string; id: string; from: string; userId?: string; muteTimestamp?: number; attributes?: string[] | { [key: string]: string } }
/** muteExpireTimestamp: -1 not muted, 0 muted (until when is not told). */
export interface JoinChatRoomResult { result: boolean; action: string; user: string; id: string;
  info: { isAllMembersMuted: boolean; createTimestamp: number; isInAllowlist: boolean; memberCount: number; muteExpireTimestamp: number } }
/** The member count and the earliest 20 members (the room's name, owner, created, … are not told). */
export interface ChatRoomDetails { id: string; affiliations_count: number; affiliations: { member: string }[] }
/** The engine takes a call's keys all or none. */
export interface ChatroomAttributes { status: 'success' | 'fail'; errorKeys: { [key: string]: string }; successKeys: string[] }

export interface ConversationItem { conversationId: string; conversationType: ChatType; isPinned: boolean; pinnedTime: number; lastMessage: MessageBody | null; unReadCount: number }

export interface EventHandlerType {
  onModifiedMessage?: (msg: MessageBody & { modifiedInfo: { operationTime: number; operatorId: string; operationCount: number } }) => void;
  onGroupEvent?: (e: GroupEvent) => void;
  onChatroomEvent?: (e: ChatroomEvent) => void;
  onPresenceStatusChange?: (msg: PresenceType[]) => void;
  onRecallMessage?: (msg: RecallMsgBody) => void;
  onContactInvited?: (msg: ContactMsgBody) => void;
  onContactAgreed?: (msg: ContactMsgBody) => void;
  onContactRefuse?: (msg: ContactMsgBody) => void;
  onContactDeleted?: (msg: ContactMsgBody) => void;
  onContactAdded?: (msg: ContactMsgBody) => void;
  onConnected?: () => void;
  /** The connection was lost; the SDK reconnects by itself (onConnected once it is back). */
  onReconnecting?: () => void;
  /** The window's online and offline events. */
  onOnline?: () => void;
  onOffline?: () => void;
  onDisconnected?: (e?: ErrorEvent & { code?: number }) => void;
  /** A fifth of the token's life is left: renewToken with a newer one. */
  onTokenWillExpire?: () => void;
  /** The token expired: the connection closes (onDisconnected); open again with a newer token. */
  onTokenExpired?: () => void;
  onError?: (e: ErrorEvent) => void;
  onTextMessage?: (msg: TextMsgBody) => void;
  onImageMessage?: (msg: ImgMsgBody) => void;
  onFileMessage?: (msg: FileMsgBody) => void;
  onAudioMessage?: (msg: AudioMsgBody) => void;
  onVideoMessage?: (msg: VideoMsgBody) => void;
  onLocationMessage?: (msg: LocationMsgBody) => void;
  onReadMessage?: (msg: ReadAckBody) => void;
  onChannelMessage?: (msg: ChannelAckBody) => void;
  onStatisticMessage?: (msg: StatisticMsgBody) => void;
  onCustomMessage?: (msg: CustomMsgBody) => void;
  onCmdMessage?: (msg: CmdMsgBody) => void;
  onReceivedMessage?: (msg: ReceivedMsgBody) => void;
  onDeliveredMessage?: (msg: DeliveryMsgBody) => void;
  /** Each batch of messages that came (cmd messages left out), after their onTextMessage, onImageMessage, … */
  onMessage?: (msgs: Exclude<MessageBody, CmdMsgBody | ReadMsgBody | ChannelMsgBody>[]) => void;
  [key: string]: any;
}

export interface CreateMsgOptions {
  type: 'txt' | 'img' | 'file' | 'audio' | 'video' | 'loc' | 'custom' | 'cmd' | 'read' | 'channel' | 'delivery';
  /** read: the message read (the ack's ackId; every message gets an id of its own). */
  id?: string;
  /** delivery: the message delivered. */
  ackId?: string;
  ackContent?: string;
  lat?: number; lng?: number; addr?: string;
  length?: number;
  file?: FileObj;
  onFileUploadProgress?: (e: { loaded: number; total: number }) => void;
  onFileUploadComplete?: (res: { url: string; entities: any[] }) => void;
  onFileUploadError?: (e: ErrorEvent) => void;
  chatType: ChatType;
  to: string;
  msg?: string;
  customEvent?: string;
  customExts?: { [key: string]: any };
  action?: string;
  ext?: { [key: string]: any };
  msgConfig?: { allowGroupAck?: boolean };
  success?: (res: SendMsgResult) => void;
  fail?: (e: ErrorEvent) => void;
}

export declare class connection {
  constructor(options: ConnectionParameters);
  appKey: string;
  url: string;
  delivery: boolean;
  user?: string;
  /** accessToken: an imwasm token for user (the server's POST /v1/users/{id}/token); pwd is refused. */
  open(params: { user: string; accessToken?: string; pwd?: string; success?: (res: any) => void; error?: (e: ErrorEvent) => void }): Promise<{ accessToken: string; expireTimestamp?: number }>;
  /** Refused: users need no registering. */
  registerUser(params: any): Promise<never>;
  isOpened(): boolean;
  /** A newer imwasm token of the user for this connection; expire: its expiry (ms). Rejects {status: false} when not open or refused. */
  renewToken(token: string): Promise<{ status: boolean; token?: string; expire?: number }>;
  close(): void;
  addEventHandler(id: string, handlers: EventHandlerType): void;
  removeEventHandler(id: string): void;
  send(msg: MessageBody): Promise<SendMsgResult>;
  /** The sender's recall, within the server's recall window; chatType, or the older type ('chat', 'groupchat', 'chatroom'). ext reaches onRecallMessage. */
  recallMessage(params: { mid: string; to: string; chatType?: ChatType | 'groupchat'; type?: 'chat' | 'groupchat' | 'chatroom'; ext?: string;
    success?: (res: SendMsgResult) => void; fail?: (e: ErrorEvent) => void }): Promise<SendMsgResult>;
  /** A page of the server's history. cursor: a message ID (-1, '' or null: from the newest, or with down the oldest); the page starts past it
   * (51 when the conversation has no such message). searchOptions narrow it on the server (singleChat and groupChat). */
  getHistoryMessages(options: { targetId: string; chatType: ChatType; cursor?: number | string | null; pageSize?: number; searchDirection?: 'down' | 'up';
    searchOptions?: { from?: string; msgTypes?: Array<'txt' | 'img' | 'file' | 'audio' | 'video' | 'loc' | 'custom' | 'cmd'>; startTime?: number; endTime?: number };
    success?: (res: MessageBody[]) => void; fail?: (e: ErrorEvent) => void }): Promise<HistoryMessages>;
  /** Contacts are imwasm's (two-way) friends; these resolve nothing, as Easemob's. */
  addContact(to: string, message?: string): Promise<void>;
  deleteContact(to: string): Promise<void>;
  acceptContactInvite(to: string): Promise<void>;
  declineContactInvite(to: string): Promise<void>;
  /** @deprecated Easemob's older name of acceptContactInvite. */
  acceptInvitation(to: string): Promise<void>;
  /** @deprecated Easemob's older name of declineContactInvite. */
  declineInvitation(to: string): Promise<void>;
  getContacts(params?: { success?: (res: RosterData[]) => void; error?: (e: ErrorEvent) => void }): Promise<AsyncResult<string[]>>;
  /** Every contact with the remark this user gave them. */
  getAllContacts(): Promise<AsyncResult<ContactItem[]>>;
  /** A page of contacts (pageSize 1-50, default 20); cursor '' on the last page. */
  getContactsWithCursor(params?: { pageSize?: number; cursor?: string }): Promise<AsyncResult<CursorContactsResult>>;
  setContactRemark(params: { userId: string; remark: string }): Promise<void>;
  /** User attributes are imwasm's profiles: each user sets their own; answers the attributes now set. gender is kept as 0-2 ('male' or 1 is 1, 'female' or 2 is 2) and read as '1' or '2'. */
  updateUserInfo(params: UpdateOwnUserInfoParams | ConfigurableKey, value?: string): Promise<AsyncResult<UpdateOwnUserInfoParams>>;
  /** @deprecated Easemob's older name of updateUserInfo. */
  updateOwnUserInfo(params: UpdateOwnUserInfoParams | ConfigurableKey, value?: string): Promise<AsyncResult<UpdateOwnUserInfoParams>>;
  /** At most 100 users; properties: the attributes to answer (all when absent). */
  fetchUserInfoById(userId: string | string[], properties?: ConfigurableKey | ConfigurableKey[]): Promise<AsyncResult<{ [userId: string]: UpdateOwnUserInfoParams }>>;
  /** Answers the users blocked; no name, or one not a string: -3, nothing changed. */
  addUsersToBlocklist(params: { name: string | string[] }): Promise<AsyncResult<OperateResult>>;
  removeUserFromBlocklist(params: { name: string | string[] }): Promise<void>;
  getBlocklist(params?: { success?: (res: AsyncResult<string[]>) => void }): Promise<AsyncResult<string[]>>;
  /** @deprecated Easemob's older names. */
  getBlacklist(params?: { success?: (res: AsyncResult<string[]>) => void }): Promise<AsyncResult<string[]>>;
  /** @deprecated */
  addToBlackList(params: { name: string | string[] }): Promise<AsyncResult<OperateResult>>;
  /** @deprecated */
  addUsersToBlacklist(params: { name: string | string[] }): Promise<AsyncResult<OperateResult>>;
  /** @deprecated */
  removeFromBlackList(params: { name: string | string[] }): Promise<void>;
  /** @deprecated */
  removeUserFromBlackList(params: { name: string | string[] }): Promise<void>;
  /** Online status: expiry in seconds (60-2,592,000); status 1 online, 0 offline. */
  subscribePresence(params: { usernames: string[]; expiry: number; success?: (res: AsyncResult<{ result: SubscribePresence[] }>) => void; error?: (e: ErrorEvent) => void }): Promise<AsyncResult<{ result: SubscribePresence[] }>>;
  unsubscribePresence(params: { usernames: string[]; success?: () => void }): Promise<void>;
  /** The users this user subscribes to (pageNum from 1); expiry: the subscription's length in seconds. */
  getSubscribedPresencelist(params: { pageNum: number; pageSize: number; success?: (res: AsyncResult<GetSubscribedPresenceListResult>) => void; error?: (e: ErrorEvent) => void }): Promise<AsyncResult<GetSubscribedPresenceListResult>>;
  /** @deprecated Easemob's older name of getSubscribedPresencelist. */
  getSubscribedPresenceList(params: { pageNum: number; pageSize: number; success?: (res: AsyncResult<GetSubscribedPresenceListResult>) => void; error?: (e: ErrorEvent) => void }): Promise<AsyncResult<GetSubscribedPresenceListResult>>;
  /** Groups (imwasm's): createGroup names the group (data.groupid); maxusers and public are not kept. */
  createGroup(params: GroupParams<{ data: { groupname: string; desc: string; members: string[]; public: boolean; approval: boolean;
    allowinvites: boolean; inviteNeedConfirm: boolean; maxusers: number; avatar?: string; ext?: string } }>): Promise<AsyncResult<{ groupid: string }>>;
  getJoinedGroups(params: GroupParams<{ pageNum: number; pageSize: number; needAffiliations?: false; needRole?: false }>): Promise<AsyncResult<{ groupid: string; groupname: string }[]>>;
  /** With needAffiliations or needRole: GroupInfo (pageNum from 0). */
  getJoinedGroups(params: GroupParams<{ pageNum: number; pageSize: number; needAffiliations?: boolean; needRole?: boolean }>): Promise<AsyncResult<GroupInfo[]>>;
  /** The groups there are (605 when none is). */
  getGroupInfo(params: GroupParams<{ groupId: string | string[] }>): Promise<AsyncResult<GroupDetailInfo[]>>;
  modifyGroup(params: GroupParams<{ groupId: string; groupName?: string; description?: string; avatar?: string; ext?: string }>): Promise<AsyncResult<ModifyGroupResult>>;
  listGroupMembers(params: GroupParams<{ groupId: string; pageNum: number; pageSize: number }>): Promise<AsyncResult<({ owner: string; joined_time: number } | { member: string; joined_time: number })[]>>;
  /** result true whether the join took effect or waits for an approval. */
  joinGroup(params: GroupParams<{ groupId: string; message?: string }>): Promise<AsyncResult<CommonRequestResult>>;
  leaveGroup(params: GroupParams<{ groupId: string }>): Promise<AsyncResult<{ result: true }>>;
  destroyGroup(params: GroupParams<{ groupId: string }>): Promise<AsyncResult<DestroyGroupResult>>;
  inviteUsersToGroup(params: GroupParams<{ groupId: string; users: string[] }>): Promise<AsyncResult<InviteUsersToGroupResult[]>>;
  removeGroupMember(params: GroupParams<{ groupId: string; username: string }>): Promise<AsyncResult<RemoveGroupMemberResult>>;
  removeGroupMembers(params: GroupParams<{ groupId: string; users: string[] }>): Promise<AsyncResult<RemoveGroupMemberResult[]>>;
  setAdmin(params: GroupParams<{ groupId: string; username: string }>): Promise<AsyncResult<SetGroupAdminResult>>;
  removeAdmin(params: GroupParams<{ groupId: string; username: string }>): Promise<AsyncResult<RemoveGroupAdminResult>>;
  changeGroupOwner(params: GroupParams<{ groupId: string; newOwner: string }>): Promise<AsyncResult<ChangeGroupOwnerResult>>;
  acceptGroupJoinRequest(params: GroupParams<{ groupId: string; applicant: string }>): Promise<AsyncResult>;
  rejectGroupJoinRequest(params: GroupParams<{ groupId: string; applicant: string; reason?: string }>): Promise<AsyncResult>;
  acceptGroupInvite(params: GroupParams<{ groupId: string; invitee: string }>): Promise<AsyncResult>;
  rejectGroupInvite(params: GroupParams<{ groupId: string; invitee: string; reason?: string }>): Promise<AsyncResult>;
  /** muteDuration in ms; -1: for ever. */
  muteGroupMember(params: GroupParams<{ groupId: string; username: string | string[]; muteDuration: number }>): Promise<AsyncResult<MuteGroupMemberResult[]>>;
  unmuteGroupMember(params: GroupParams<{ groupId: string; username: string | string[] }>): Promise<AsyncResult<UnmuteGroupMemberResult[]>>;
  disableSendGroupMsg(params: GroupParams<{ groupId: string }>): Promise<AsyncResult>;
  enableSendGroupMsg(params: GroupParams<{ groupId: string }>): Promise<AsyncResult>;
  /** The server's conversations, newest first; pass back the cursor a page gave. */
  getServerConversations(params?: { pageSize?: number; cursor?: string }): Promise<AsyncResult<{ conversations: ConversationItem[]; cursor: string }>>;
  deleteConversation(params: { channel: string; chatType: ChatType; deleteRoam: boolean; success?: (res: AsyncResult<DeleteSessionResult>) => void; error?: (e: ErrorEvent) => void }): Promise<AsyncResult<DeleteSessionResult>>;
  /** pinnedTime: when the server pinned it (the lists' pinnedTime). */
  pinConversation(params: { conversationId: string; conversationType: 'singleChat' | 'groupChat'; isPinned: boolean }): Promise<AsyncResult<{ isPinned: boolean; pinnedTime: number }>>;
  /** The pinned conversations, the latest pinned first; pass back the cursor a page gave ('' on the last). */
  getServerPinnedConversations(params?: { pageSize?: number; cursor?: string }): Promise<AsyncResult<{ conversations: ConversationItem[]; cursor: string }>>;
  /** Easemob's older list: channel_id is appKey_id@easemob.com (a group's @conference.easemob.com); every conversation without pageNum. */
  getConversationlist(params?: { pageNum?: number; pageSize?: number; success?: (res: AsyncResult<ConversationInfo>) => void; error?: (e: ErrorEvent) => void }): Promise<AsyncResult<ConversationInfo>>;
  /** The sender edits a text within the recall window; answers the message as the server now has it (operationCount: 1, edits are not counted). */
  modifyMessage(params: { messageId: string; modifiedMessage: TextMsgBody }): Promise<ModifyMsgResult>;
  /** remindType (paramType 0), a do-not-disturb of duration ms (1; ≤ 7 days, 0 ends it) or daily on this browser's clock (2; 0:0-0:0 ends it). */
  setSilentModeForAll(params: Silent<{ options: SilentModeParam }>): Promise<AsyncResult<SilentModeResult>>;
  getSilentModeForAll(params?: Silent<{}>): Promise<AsyncResult<SilentModeResult>>;
  /** remindType (it outranks the app's) or duration (interval: 53). */
  setSilentModeForConversation(params: Silent<SilentConv & { options: SilentModeParam }>): Promise<AsyncResult<SilentModeResult>>;
  clearRemindTypeForConversation(params: Silent<SilentConv>): Promise<AsyncResult<SilentModeResult>>;
  getSilentModeForConversation(params: Silent<SilentConv>): Promise<AsyncResult<SilentModeResult>>;
  getSilentModeForConversations(params: Silent<{ conversationList: { id: string; type: SilentConv['type'] }[] }>): Promise<AsyncResult<{ user: { [id: string]: SilentModeResult }; group: { [id: string]: SilentModeResult } }>>;
  getPresenceStatus(params: { usernames: string[]; success?: (res: AsyncResult<{ result: SubscribePresence[] }>) => void }): Promise<AsyncResult<{ result: SubscribePresence[] }>>;
  /** Who read a message sent with allowGroupAck (its sender asks; the newest 500 kept). */
  getGroupMsgReadUser(params: GroupParams<{ groupId: string; msgId: string }>): Promise<AsyncResult<{ ackmid: string; is_last: boolean; next_key: string; timestamp: number; total: number; userlist: string[] }>>;
  /** A room the app server made (705 otherwise); its latest 10 messages come to the handlers. */
  joinChatRoom(params: GroupParams<{ roomId: string; message?: string; ext?: string; leaveOtherRooms?: boolean }>): Promise<AsyncResult<JoinChatRoomResult>>;
  leaveChatRoom(params: GroupParams<{ roomId: string }>): Promise<AsyncResult<{ result: boolean }>>;
  getChatRoomDetails(params: GroupParams<{ chatRoomId: string }>): Promise<AsyncResult<ChatRoomDetails[]>>;
  /** data: { key: value }, as Easemob's server answers. */
  getChatRoomAttributes(params: GroupParams<{ chatRoomId: string; attributeKeys?: string | string[] }>): Promise<AsyncResult<{ [key: string]: string }>>;
  /** At most 10 at once; autoDelete (default true): removed when this member leaves; isForced: other members' too. */
  setChatRoomAttributes(params: GroupParams<{ chatRoomId: string; attributes: { [key: string]: string }; autoDelete?: boolean; isForced?: boolean }>): Promise<AsyncResult<ChatroomAttributes>>;
  setChatRoomAttribute(params: GroupParams<{ chatRoomId: string; attributeKey: string; attributeValue: string; autoDelete?: boolean; isForced?: boolean }>): Promise<AsyncResult>;
  removeChatRoomAttributes(params: GroupParams<{ chatRoomId: string; attributeKeys: string | string[]; isForced?: boolean }>): Promise<AsyncResult<ChatroomAttributes>>;
  removeChatRoomAttribute(params: GroupParams<{ chatRoomId: string; attributeKey: string; isForced?: boolean }>): Promise<AsyncResult>;
}

export declare const message: {
  create(options: CreateMsgOptions): MessageBody;
  /** Options as plain JavaScript builds them (type and chatType as strings). */
  create(options: Omit<CreateMsgOptions, 'type' | 'chatType'> & { type: string; chatType: string }): MessageBody;
  /** The FileObj of a file input's (its element or id) first file. */
  getFileUrl(fileInputId: string | HTMLInputElement): FileObj;
};

declare const websdk: { connection: typeof connection; message: typeof message; utils: { getFileUrl: typeof message.getFileUrl }; statusCode: typeof statusCode };
export default websdk;
