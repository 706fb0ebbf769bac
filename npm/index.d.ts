// Type declarations of the npm package `imwasm`, written by hand to follow
// RongCloud's Web IMLib v5 (`@rongcloud/imlib-next`) names and shapes.

// Every enum of RongIMLib 5.38 (constants.d.ts, generated from the package);
// ErrorCode, MessageType and Events with imwasm's own members on top.
export * from './constants.js';
import type * as Rong from './constants.js';
import type { AreaCode, DirectionType, FriendAddPermission, FriendApplicationStatus, FriendApplicationType, FriendRelationType, Platform, QueryFriendsDirectionType, SubscribeOperationType, SubscribeType, UserProfileVisibility, GroupApplicationDirection, GroupApplicationStatus, GroupApplicationType, GroupInviteHandlePermission, GroupJoinPermission, GroupMemberInfoEditPermission, GroupMemberRole, GroupOperation, GroupOperationPermission, UltraGroupChannelType, UltraGroupChannelChangeType, ConversationType, FileType, LogLevel, MentionedType, MessageDirection, NotificationLevel, NotificationStatus, PushNotificationQuietHoursLevel, SentStatus, ReceivedStatus, RCConnectionStatus } from './constants.js';

export declare const ErrorCode: typeof Rong.ErrorCode & {
  readonly UNKNOWN: -2;
  readonly RC_RECALLMESSAGE_PARAMETER_INVALID: 25101;
  readonly RC_RECALL_MESSAGE_USER_INVALID: 25107;
  readonly RC_MSG_SIZE_OUT_OF_LIMIT: 30016;
  readonly RC_CONN_USER_OR_PASSWD_ERROR: 31004;
  readonly INVALID_PARAMETER_MESSAGEUID: 34203;
  readonly INVALID_PARAMETER_MESSAGEID: 34204;
};
export type ErrorCode = Rong.ErrorCode | -2;

export declare const MessageType: typeof Rong.MessageType & {
  readonly COMMAND: 'RC:CmdMsg'; readonly GROUP_NOTIFICATION: 'RC:GrpNtf'; readonly INFORMATION_NOTIFICATION: 'RC:InfoNtf';
  readonly RECALL_NOTIFICATION: 'RC:RcNtf';
};

export declare const Events: typeof Rong.Events & {
  readonly MESSAGE_DELIVERED: 'MESSAGE_DELIVERED'; readonly GROUP_MUTE: 'GROUP_MUTE';
  readonly TOKEN_WILL_EXPIRE: 'TOKEN_WILL_EXPIRE'; readonly TOKEN_EXPIRED: 'TOKEN_EXPIRED';
};
export type Events = Rong.Events | 'MESSAGE_DELIVERED' | 'GROUP_MUTE' | 'TOKEN_WILL_EXPIRE' | 'TOKEN_EXPIRED';

/** Every async call resolves (never rejects for an API error) to this. */
export interface RCResult<T = void> {
  code: ErrorCode | number;
  msg?: string;
  data?: T;
}

export interface IConversationOption {
  conversationType: ConversationType | number;
  targetId: string;
  channelId?: string;
}
export type IConversationIdentifier = IConversationOption;

export interface IMentionedInfo {
  type: MentionedType;
  userIdList?: string[];
  mentionedContent?: string;
}

export interface IReceivedStatusInfo {
  isRead: boolean;
  isListened: boolean;
  isDownload: boolean;
  isRetrieved: boolean;
}

/** A message as the SDK returns and emits it. */
export interface IAReceivedMessage<T = any> {
  conversationType: ConversationType | number;
  targetId: string;
  channelId: string;
  senderUserId: string;
  messageType: string;
  content: T;
  messageUId: string;
  messageId: number;
  /** imwasm's: the sender's client message id, the same on the sender and every receiver (NIM's idClient). */
  clientMsgId: string;
  messageDirection: MessageDirection;
  isOffLineMessage: boolean;
  sentTime: number;
  receivedTime: number;
  sentStatus: SentStatus;
  receivedStatus: ReceivedStatus;
  receivedStatusInfo: IReceivedStatusInfo;
  isPersited: boolean;
  isCounted: boolean;
  isStatusMessage: boolean;
  isMentioned: boolean;
  mentionedInfo?: IMentionedInfo;
  disableNotification: boolean;
  canIncludeExpansion: boolean;
  expansion: Record<string, string> | null;
  directedUserIds: string[];
  needReceipt: boolean;
  pushConfig?: unknown;
  /** Present on messages that take read receipts, in the form their model uses. */
  readReceiptInfo?: IReadReceiptInfo;
  /** Set once its sender edited it: when (content is {} and status 0, SUCCESS, as on RongIMLib's web). */
  modifyInfo?: { timestamp: number; content: Record<string, any>; status: number };
}

/**
 * readReceiptInfo: for a receipt request (sendReadReceiptRequest),
 * `{isReceiptRequestMessage, hasRespond, readerList: userId[]}`; for a
 * message sent with needReceipt, `{readerList: {userId, readTime}[],
 * readCount, totalCount, hasRespond}`.
 */
export interface IReadReceiptInfo {
  isReceiptRequestMessage?: boolean;
  hasRespond?: boolean;
  readerList?: string[] | IMessageReader[];
  readCount?: number;
  totalCount?: number;
}

export interface IMessageReader { userId: string; readTime: number }
export interface IReadReceiptUser { userId: string; timestamp: number; /** imwasm's: what the reader sent with sendMessageReadAck. */ content?: string }

/** getMessageReadReceiptInfoV5 item. */
export interface ReadReceiptInfoV5 { messageUId: string; readCount: number; unreadCount: number; totalCount: number }

/** MESSAGE_RECEIPT_RESPONSE_V5 item: `users` are the readers new since the last update. */
export interface ReadReceiptResponseV5 extends ReadReceiptInfoV5 { identifier: Required<IConversationOption>; users: IReadReceiptUser[]; /** imwasm's: it waited on the server while this user was away. */ isOffline?: boolean }

/** getMessagesReadReceiptUsersByPageV5 option: readStatus 0 lists readers, 1 those who have not read. */
export interface ReadReceiptUsersOption { pageToken?: string; pageCount?: number; order?: 0 | 1; readStatus?: 0 | 1 }
export interface ReadReceiptUsersResult { pageToken: string; totalCount: number; users: IReadReceiptUser[] }

export interface IAReceivedConversation extends Required<IConversationOption> {
  unreadMessageCount: number;
  hasMentioned: boolean;
  latestMessage: IAReceivedMessage | null;
  /** Pinned by this user (setConversationToTop), on every device of theirs. */
  isTop: boolean;
  notificationLevel: NotificationLevel;
  notificationStatus: NotificationStatus;
  /** When the settings last changed (server ms; 0: never). */
  operationTime: number;
  /** This device's draft ('' when none). */
  draft: string;
  /** How many unread messages mention this user. */
  unreadMentionedCount: number;
}

/** What another device of the user changed (CONVERSATION's updatedItems). */
export interface IConversationUpdateItems {
  isTop?: { val: boolean; time: number };
  notificationLevel?: { val: NotificationLevel; time: number };
  notificationStatus?: { val: NotificationStatus; time: number };
}

export declare class BaseMessage<T = any> {
  constructor(messageType: string, content: T, isPersited?: boolean, isCounted?: boolean, isStatusMessage?: boolean);
  readonly messageType: string;
  content: T;
  readonly isPersited: boolean;
  readonly isCounted: boolean;
  readonly isStatusMessage: boolean;
}

export interface ITextMessageContent { content: string; extra?: string; user?: unknown; mentionedInfo?: IMentionedInfo }
export interface IImageMessageContent { content: string; imageUri: string; thumWidth?: number; thumHeight?: number; extra?: string }
export interface IFileMessageContent { name: string; size: number; type: string; fileUrl: string; extra?: string }
export interface IHQVoiceMessageContent { remoteUrl: string; duration: number; extra?: string }
export interface ISightMessageContent { sightUrl: string; content: string; duration: number; size: number; name: string; extra?: string }
export interface IGIFMessageContent { gifDataSize: number; remoteUrl: string; width: number; height: number; extra?: string }
export interface IReferenceMessageContent { referMsgUserId: string; referMsg: unknown; content: string; objName: string; referMsgUid?: string }
export interface ILocationMessageContent { latitude: number; longitude: number; poi: string; content: string }
export interface IRichContentMessageContent { title: string; content: string; imageUri: string; url: string }
export interface IInformationNotificationMessageContent { message: string; extra?: string }
export interface ICommandMessageContent { name: string; data: string }
export interface IGroupNotificationMessageContent { operatorUserId: string; operation: string; data: string; message: string; extra?: string }

export declare class TextMessage extends BaseMessage<ITextMessageContent> { constructor(content: ITextMessageContent) }
export declare class VoiceMessage extends BaseMessage<any> { constructor(content: any) }
export declare class HQVoiceMessage extends BaseMessage<IHQVoiceMessageContent> { constructor(content: IHQVoiceMessageContent) }
export declare class ImageMessage extends BaseMessage<IImageMessageContent> { constructor(content: IImageMessageContent) }
export declare class GIFMessage extends BaseMessage<IGIFMessageContent> { constructor(content: IGIFMessageContent) }
export declare class FileMessage extends BaseMessage<IFileMessageContent> { constructor(content: IFileMessageContent) }
export declare class SightMessage extends BaseMessage<ISightMessageContent> { constructor(content: ISightMessageContent) }
export declare class LocationMessage extends BaseMessage<ILocationMessageContent> { constructor(content: ILocationMessageContent) }
export declare class RichContentMessage extends BaseMessage<IRichContentMessageContent> { constructor(content: IRichContentMessageContent) }
export declare class ReferenceMessage extends BaseMessage<IReferenceMessageContent> { constructor(content: IReferenceMessageContent) }
export declare class CombineMessage extends BaseMessage<any> { constructor(content: any) }
/** Content {conversationType, summaryList, nameList, msgNum, msgList}; the whole content within the content limit (30016 beyond). */
export declare class CombineV2Message extends BaseMessage<any> { constructor(content: any) }
export declare class InformationNotificationMessage extends BaseMessage<IInformationNotificationMessageContent> { constructor(content: IInformationNotificationMessageContent) }
export declare class CommandMessage extends BaseMessage<ICommandMessageContent> { constructor(content: ICommandMessageContent) }
export declare class GroupNotificationMessage extends BaseMessage<IGroupNotificationMessageContent> { constructor(content: IGroupNotificationMessageContent) }

/** A class for a custom message type (no `RC:` prefix). Not persisted or status types are never stored and reach online devices only. */
export declare function registerMessageType<T = any>(messageType: string, isPersited: boolean, isCounted: boolean, searchProps?: string[], isStatusMessage?: boolean): new (content: T) => BaseMessage<T>;

export interface IInitOption {
  appkey: string;
  /** The imwasm server's http(s) URL; `navigators[0]` is read when it is absent. */
  serverUrl?: string;
  /**
   * The servers of one cluster, tried in order (after `serverUrl` when both are given): the
   * first that answers wins, and when it fails the SDK moves to the next by itself
   * (`CONNECTING`, then `CONNECTED`) and syncs what it missed. Every reconnect starts again
   * from the first.
   */
  navigators?: string[];
  /** Where the .wasm lives, relative to the package's dist/ folder or absolute. */
  wasmUrl?: string;
  /** Where the upload helpers POST files (`/v1/files` is appended): an edge relay, say. Default: the server. */
  uploadUrl?: string;
  /** Ask for delivery receipts on private messages this device sends (MESSAGE_DELIVERED, sentStatus RECEIVED). */
  deliveryReceipts?: boolean;
  /** Milliseconds before an unacknowledged send fails with RC_MSG_RESP_TIMEOUT (default 10000). */
  sendTimeout?: number;
  /** A WebSocket constructor; Node 20 has none of its own (pass the `ws` package's). */
  WebSocket?: unknown;
  /** RongIMLib's LogLevel number, or a name (default warn). */
  logLevel?: LogLevel | 'debug' | 'info' | 'warn' | 'error' | 'none';
  /** 'memory' keeps the device's data in memory even where IndexedDB exists (default: IndexedDB when present). */
  storage?: 'indexeddb' | 'memory';
  /** RongIMLib's switch for its local store: false is storage 'memory'. */
  indexDBSwitch?: boolean;
  // RongIMLib's other options: accepted and ignored (they have no meaning here).
  logOutputLevel?: unknown;
  logStdout?: (logLevel: LogLevel, content: string) => void;
  connectType?: 'websocket' | 'comet';
  customCMP?: string[];
  checkCA?: boolean;
  uploadDomain?: string;
  httpInMainProcess?: boolean;
  logExpireTime?: number;
  areaCode?: AreaCode;
  logServerUrl?: string;
  environment?: string;
  eventLoopBlockingCheck?: boolean;
  enableReadReceiptStorage?: boolean;
  loggerProxy?: unknown;
  conversationCachePolicy?: unknown;
}

export interface ISendMessageOptions {
  /** @deprecated RongIMLib's: the message class's own isStatusMessage is the way; either makes it a status message. */
  isStatusMessage?: boolean;
  isMentioned?: boolean;
  mentionedInfo?: IMentionedInfo;
  disableNotification?: boolean;
  pushContent?: string;
  pushData?: string;
  pushConfig?: unknown;
  directionalUserIdList?: string[];
  canIncludeExpansion?: boolean;
  expansion?: Record<string, string>;
  /** Called with the local message (and its messageId) before the first attempt. */
  onSendBefore?: (message: IAReceivedMessage) => void;
  /** Resends that stored message (FAILED) with its original client id. */
  messageId?: number;
  /** imwasm's: send under this client message id (1-64 of [A-Za-z0-9_.@-]); a send this device holds under it is resent, one the server committed answers as it was. */
  clientMsgId?: string;
  needReceipt?: boolean;
}

export interface IRecallMessageOptions {
  messageUId: string;
  sentTime: number;
  isAdmin?: boolean;
  isDelete?: boolean;
  extra?: string;
  disableNotification?: boolean;
  pushContent?: string;
}

export interface IGetHistoryMessageOption {
  /** Exclusive bound in ms; 0 starts at the newest (order 0) or the oldest (order 1). */
  timestamp?: number;
  /** 1-100, default 20. */
  count?: number;
  /** 0: older than timestamp, newest first; 1: newer, oldest first. */
  order?: 0 | 1;
}

export interface ITypingUser { userId: string; timestamp: number; messageType: string }
export interface ITypingMessage extends Required<IConversationOption> { list: ITypingUser[] }

export interface IExpansionChange extends Required<IConversationOption> { messageUId: string }

export interface EventListeners {
  CONNECTING: () => void;
  CONNECTED: () => void;
  DISCONNECT: (code: ErrorCode | number) => void;
  SUSPEND: (code: ErrorCode | number) => void;
  MESSAGES: (event: { messages: IAReceivedMessage[] }) => void;
  PULL_OFFLINE_MESSAGE_FINISHED: () => void;
  TYPING_STATUS: (event: { status: ITypingMessage[] }) => void;
  EXPANSION: (event: {
    updatedExpansion?: IExpansionChange & { expansion: Record<string, string> };
    deletedExpansion?: IExpansionChange & { deletedKeys: string[] };
  }) => void;
  CONVERSATION: (event: { conversationList: { conversation: IAReceivedConversation; updatedItems?: IConversationUpdateItems }[] }) => void;
  READ_RECEIPT_RECEIVED: (event: { conversation: Required<IConversationOption>; messageUId: string; sentTime: number; sendUserId: string; isOffline?: boolean }) => void;
  SYNC_READ_STATUS: (event: Required<IConversationOption> & { timestamp: number; peerTold?: boolean }) => void;
  MESSAGE_RECEIPT_REQUEST: (event: { conversation: Required<IConversationOption>; messageUId: string; senderUserId: string }) => void;
  MESSAGE_RECEIPT_RESPONSE: (event: { conversation: Required<IConversationOption>; receivedUserId: string; messageUIdList: string[] }) => void;
  MESSAGE_RECEIPT_RESPONSE_V5: (data: ReadReceiptResponseV5[]) => void;
  MESSAGE_DELIVERED: (event: { conversation: Required<IConversationOption>; deliveredUserId: string; messageUIdList: string[]; deliveredTime: number }) => void;
  /** Messages held here that their senders edited, as they now are. */
  MESSAGE_MODIFIED: (messages: IAReceivedMessage[]) => void;
  /** The edits made while this device was offline are in (after each connection's sync). */
  MESSAGE_MODIFIED_SYNC_COMPLETED: () => void;
  /** Another session of the user changed their tags: getTags again. */
  TAG: () => void;
  /** Another session of the user changed which conversations are in their tags. */
  CONVERSATION_TAG: () => void;
  /** imwasm's: a fifth of the token's life is left (by the server's clock): renewToken with a newer one. */
  TOKEN_WILL_EXPIRE: (token: ITokenInfo) => void;
  /** imwasm's: the token expired; the connection stays, but a reconnect needs a newer token (renewToken, or connect). */
  TOKEN_EXPIRED: (token: ITokenInfo) => void;
  /** imwasm's: members muted until mutedUntil (0: unmuted), or the whole group (muteAll). */
  GROUP_MUTE: (event: { groupId: string; operatorInfo?: IGroupMemberInfo; memberInfos: { userId: string; mutedUntil: number }[]; muteAll?: boolean; operationTime: number }) => void;
  /** A group was created or dismissed, members joined, quit or were removed, managers or the owner changed. */
  GROUP_OPERATION: (data: IGroupOperationInfo) => void;
  /** A group's profile or permissions changed. */
  GROUP_INFO_CHANGED: (data: IGroupInfoChanged) => void;
  /** A member's nickname or extra changed. */
  GROUP_MEMBER_INFO_CHANGED: (data: IGroupMemberInfoChanged) => void;
  /** A join request or invitation this user made, received or may handle changed. */
  GROUP_APPLICATION_EVENT: (data: IGroupApplicationInfo) => void;
  /** This user's remark of a group changed on another device. */
  GROUP_REMARK_CHANGED_SYNC: (data: IGroupRemarkChangedSync) => void;
  /** This user's follows in a group changed on another device. */
  GROUP_FOLLOWS_CHANGED_SYNC: (data: IGroupFollowsChangedSync) => void;
  /** Users this user subscribes to (or is a friend of) went online or offline, or changed their profile. */
  SUBSCRIBED_USER_STATUS_CHANGE: (data: ISubscribeUserStatusInfo[]) => void;
  /** This user subscribed or unsubscribed on another device. */
  SUBSCRIBED_RELATION_CHANGE: (data: ISubscribeRelationInfo[]) => void;
  /** This user's profile changed (on any device). */
  OWN_USER_PROFILE_CHANGED: (data: IUserProfileInfo) => void;
  FRIEND_ADDED: (data: IFriendAdd) => void;
  FRIEND_DELETE: (data: IFriendDelete) => void;
  FRIEND_APPLICATION_STATUS_CHANGED: (data: IFriendApplicationStatusChange) => void;
  /** The app server cleared this user's friends: the time (ms). */
  FRIEND_CLEARED: (time: number) => void;
  /** This user changed a friend's remark or extProfile on another device. */
  FRIEND_INFO_CHANGED_SYNC: (data: IFriendInfoChangedSync) => void;
  /** A chat room's entries changed, members were muted, it was destroyed, or it was joined again after a reconnect. */
  CHATROOM: (data: IChatroomListenerData) => void;
  /** After each connection's sync: the ultra group channels this device holds. */
  ULTRA_GROUP_ENABLE: (list: IAReceivedConversation[]) => void;
  /** Ultra group messages held here whose expansion changed, as they now are. */
  ULTRA_GROUP_MESSAGE_EXPANSION_UPDATED: (list: IAReceivedMessage[]) => void;
  /** Ultra group messages recalled (now RC:RcNtf); they do not come as MESSAGES. */
  ULTRA_GROUP_MESSAGE_RECALLED: (list: IAReceivedMessage[]) => void;
  ULTRA_GROUP_CHANNEL_TYPE_CHANGE: (list: IUltraChannelChangeInfo[]) => void;
  ULTRA_GROUP_CHANNEL_DELETE: (list: IUltraChannelDeleteInfo[]) => void;
  ULTRA_GROUP_CHANNEL_USER_KICKED: (list: IUltraChannelUserKickedInfo[]) => void;
  [event: string]: (...args: any[]) => void;
}

export declare function init(options: IInitOption): void;
/** tokenExpiresAt: the token's expiry (unix ms; 0: it has none). */
export declare function connect(token: string): Promise<RCResult<{ userId: string; tokenExpiresAt: number }>>;
export declare function disconnect(): Promise<RCResult>;
/** A token's times, unix ms (0: not in the token). */
export interface ITokenInfo { expiresAt: number; issuedAt: number }
/**
 * imwasm's: hands the connected session a newer token of the same user (Easemob's renewToken); the server checks it
 * as at connect (RC_CONN_TOKEN_EXPIRED, RC_CONN_TOKEN_INCORRECT for another user's, RC_CONN_USER_BLOCKED) and
 * reconnects and uploads use it from then on. A refused token changes nothing.
 */
export declare function renewToken(token: string): Promise<RCResult<ITokenInfo>>;
export declare function getConnectionStatus(): RCConnectionStatus;
/** The server's clock (ms) as the last connect measured it; the device's own before one. */
export declare function getServerTime(): number;
/** This browser's id for the app key init was given ('' before init). */
export declare function getDeviceId(): string;
/** Ends what init started: disconnects, removes every listener; later calls answer BIZ_ERROR_CLIENT_NOT_INIT until init. */
export declare function destroy(): Promise<void>;
/**
 * registerWebPush's options: the service worker to subscribe (a registration, or a script URL to register with scope);
 * none: the page's own. whenHidden: this page, while hidden (document.visibilityState), does not count as connected, so
 * its user is pushed when every other session of theirs is closed or hidden too (the app's choice; default false).
 */
export interface IWebPushOption { serviceWorker?: ServiceWorkerRegistration | string; scope?: string; whenHidden?: boolean }
/**
 * imwasm's own (RongIMLib has none): subscribes the service worker to Web Push with the server's VAPID key and gives the
 * server the subscription, so this device's user is pushed while none of their devices is connected (the server's
 * webPushEnabled setting). The service worker shows them with imwasm/push-sw.js. OPERATION_NOT_SUPPORT: no Push API,
 * no service worker, or notifications refused.
 */
export declare function registerWebPush(options?: IWebPushOption): Promise<RCResult<{ endpoint: string }>>;
/**
 * imwasm's own: the server forgets this device's Web Push subscription, and the service worker's is withdrawn (the
 * registration given, or the one of exactly that scope; else the one registerWebPush subscribed in this page; else the
 * page's), if it was made with this server's key.
 */
export declare function unregisterWebPush(options?: { serviceWorker?: ServiceWorkerRegistration; scope?: string }): Promise<RCResult>;
/** The message this device holds, by messageId or messageUId (RC_DB_DATA_NOT_FOUND: none). */
export declare function getMessage(messageId: number | string): Promise<RCResult<IAReceivedMessage>>;
/** Deletes this device's copies of the conversation's messages (the server keeps them). */
export declare function clearMessages(conversation: IConversationOption): Promise<RCResult>;
/** Deletes this device's copies sent at or before timestamp (cleanSpace has no meaning here). */
export declare function deleteLocalMessagesByTimestamp(conversation: IConversationOption, timestamp: number, cleanSpace?: boolean): Promise<RCResult>;
/** Pins (or unpins) the conversation for this user on all their devices; the last two arguments have no meaning here. */
export declare function setConversationToTop(conversation: IConversationOption, isTop?: boolean, isUpdateTime?: boolean, isCreateConversation?: boolean): Promise<RCResult>;
/** Up to 20 conversations at once. */
export declare function batchSetConversationToTop(conversations: IConversationOption[], isTop: boolean, isCreateConversation?: boolean, isUpdateTime?: boolean): Promise<RCResult>;
/** Do-not-disturb for this user on all their devices. */
export declare function setConversationNotificationLevel(conversation: IConversationOption, notificationLevel: NotificationLevel): Promise<RCResult>;
export declare function batchSetConversationNotificationLevel(conversations: IConversationOption[], notificationLevel: NotificationLevel): Promise<RCResult>;
/** The older call: CLOSE is NOT_MESSAGE_NOTIFICATION, OPEN is ALL_MESSAGE. */
export declare function setConversationNotificationStatus(conversation: IConversationOption, notificationStatus: NotificationStatus): Promise<RCResult>;
export declare function getConversationNotificationLevel(conversation: IConversationOption): Promise<RCResult<NotificationLevel>>;
export declare function getConversationNotificationStatus(conversation: IConversationOption): Promise<RCResult<NotificationStatus>>;
export declare function getTopConversationList(conversationTypes?: ConversationType[], channelId?: string): Promise<RCResult<IAReceivedConversation[]>>;
export declare function getBlockedConversationList(): Promise<RCResult<IAReceivedConversation[]>>;
/** Keeps the text being written with the conversation, on this device only (IndexedDB). */
export declare function saveTextMessageDraft(conversation: IConversationOption, draft: string): Promise<RCResult>;
export declare function getTextMessageDraft(conversation: IConversationOption): Promise<RCResult<string>>;
export declare function clearTextMessageDraft(conversation: IConversationOption): Promise<RCResult>;

/** Marks the conversation read on all the user's devices (as clearMessagesUnreadStatus). */
export declare function markRemoteConversationAsRead(identifier: IConversationIdentifier): Promise<RCResult>;
/** RongCloud's "realtime conversations" are imwasm's list itself: these read and change it. */
export declare function clearRealtimeConUnreadCount(identifier: IConversationIdentifier): Promise<RCResult>;
export declare function getRealtimeConTotalUnreadCount(): Promise<RCResult<number>>;
/** Up to 20 conversations, as batchRemoveConversation. */
export declare function removeRealtimeConversations(identifiers: IConversationIdentifier[]): Promise<RCResult>;
/** A page of up to 50 conversations (order 0: before startTime, newest first; 1: after it, oldest first). */
export declare function getRealtimeConversations(options?: { count?: number; startTime?: number; order?: 0 | 1 }): Promise<RCResult<IAReceivedConversation[]>>;
/** Up to 10 conversations. */
export declare function getRealtimeConUnreadCounts(identifiers: IConversationIdentifier[]): Promise<RCResult<(Required<IConversationOption> & { unreadCount: number })[]>>;
/** Reads the conversation up to its last message sent at or before timestamp (as sendSyncReadStatusMessage). */
export declare function clearUnreadCountByTimestamp(conversation: IConversationIdentifier, timestamp: number): Promise<RCResult>;
/** Unread messages of the conversations (of conversationTypes) whose do-not-disturb level in effect (their own, or their type's when NOT_SET) is one of levels. */
export declare function getTotalUnreadCountByLevels(conversationTypes: ConversationType[], levels: NotificationLevel[]): Promise<RCResult<number>>;
export declare function getTotalUnreadMentionedCountByLevels(conversationTypes: ConversationType[], levels: NotificationLevel[]): Promise<RCResult<number>>;
/** Conversations with unread messages that mention the user, updated before timestamp (0: now), newest first; count 1-100. */
export declare function getUnreadMentionMeConversationList(params: { timestamp: number; count: number; topPriority?: boolean; conversationTypes: ConversationType[] }): Promise<RCResult<IAReceivedConversation[]>>;
/** The unread messages this device holds that mention the user, oldest first (a Promise here; RongIMLib's web answers synchronously with no data). */
export declare function getUnreadMentionedMessages(conversation: IConversationOption): Promise<RCResult<IAReceivedMessage[]>>;
/** 1-100 conversations out of the list on all the user's devices (deleteRemotely has no meaning here); with deleteMessages their history is cleared too. */
export declare function batchDeleteConversations(params: { identifiers: IConversationOption[]; deleteRemotely: boolean; deleteMessages: boolean }): Promise<RCResult>;
/** The level of a type's conversations whose own level is NOT_SET, on all the user's devices (PRIVATE or GROUP). */
export declare function setConversationTypeNotificationLevel(conversationType: ConversationType, level: NotificationLevel): Promise<RCResult>;
export declare function getConversationTypeNotificationLevel(conversationType: ConversationType): Promise<RCResult<NotificationLevel>>;
export interface IConversationListLoaderOptions {
  conversationTypes?: ConversationType[];
  /** Conversations in any of tagIds; topPriority: those pinned in the tags first. */
  tagFilter?: { tagIds?: string[]; topPriority?: boolean };
  order?: 0 | 1;
}
export interface ConversationListLoader {
  readonly hasMore: boolean;
  readonly isLoading: boolean;
  /** The next count (1-100) conversations; METHOD_BUSY while a load runs. */
  load(count: number): Promise<RCResult<IAReceivedConversation[]>>;
}
export declare function createConversationListLoader(options?: IConversationListLoaderOptions): Promise<RCResult<ConversationListLoader>>;

export interface IModifyMessageParams { messageUId: string; messageContent: Record<string, any>; conversation: IConversationIdentifier }
/** The sender replaces the content of their message (its type stays) within the recall window; every device of every member gets MESSAGE_MODIFIED. */
export declare function modifyMessageWithParams(params: IModifyMessageParams): Promise<RCResult>;
/** The older form of modifyMessageWithParams. */
export declare function modifyMessage(content: Record<string, any>, message: IAReceivedMessage): Promise<RCResult>;

/** Which of userIds (1-100) read the message, and when. */
export declare function getMessagesReadReceiptByUsersV5(conversation: IConversationOption, messageUId: string, userIds: string[]): Promise<RCResult<{ pageToken: string; totalCount: number; users: { userId: string; timestamp: number }[] }>>;
/** Read counts of 1-100 messages in any conversations. */
export declare function getMessageReadReceiptInfoV5ByIdentifiers(messageIds: { identifier: IConversationIdentifier; messageUId: string }[]): Promise<RCResult<{ identifier: IConversationIdentifier; messageUId: string; readCount: number; unreadCount: number; totalCount: number }[]>>;
/** The older form of sendReadReceiptResponseV2: answers the group's receipt requests for messageUIds. */
export declare function sendReadReceiptResponse(targetId: string, messageUIds: string[], channelId?: string): Promise<RCResult>;
/** This device's messages of the conversation whose searchable content contains keyword (case folded), sent before timestamp (0: now), newest first; count 1-100. */
export declare function searchMessages(conversation: IConversationOption, keyword: string, timestamp: number, count: number): Promise<RCResult<{ messages: IAReceivedMessage[]; count: number; /** the same as count (imwasm's older name) */ totalMatched: number }>>;
/** The conversations this device holds a matching message of. */
export declare function searchConversationByContent(keyword: string, conversationTypes?: ConversationType[], messageTypes?: string[], channelId?: string): Promise<RCResult<IAReceivedConversation[]>>;
/** This device's received status of a message it holds (ReceivedStatus bits: READ 1, LISTENED 2, DOWNLOADED 4, RETRIEVED 8). */
export declare function setMessageReceivedStatus(messageId: number, receivedStatus: ReceivedStatus | number): Promise<RCResult>;
/** For each quoting message (1-20), the message it quotes (messageInfoMap: quoting uid → quoted uid) as the server now has it: remoteMessageBlock gets [{code, messageUId, message?}]; localMessageBlock gets [] (as on RongIMLib's web). */
export declare function refreshReferenceMessageWithParams(params: {
  messageUIds: string[];
  conversationIdentifier: IConversationOption;
  remoteMessageBlock: (results: { code: number; messageUId: string; message?: IAReceivedMessage }[]) => void;
  localMessageBlock?: (results: { code: number; messageUId: string; message?: IAReceivedMessage }[]) => void;
  messageInfoMap: Record<string, string>;
}): Promise<RCResult>;
export interface AppSettings {
  readonly isSpeechToTextEnabled: boolean;
  readonly isConversationListIncludeUltraGroup: boolean;
  /** The recall window, in minutes (0: no limit). */
  readonly messageModifiableMinutes: number;
  readonly readReceiptVersion: number;
  readonly isServerSaveUnreadEnabled: boolean;
  readonly appkey: string;
  readonly connectionStatus: RCConnectionStatus;
  readonly userId: string;
}
/** What the server allows, as of the last connection (null before one). */
export declare function getAppSettings(): AppSettings | null;

export interface ITagParam { tagId: string; tagName: string }
export interface ITagInfo { tagId: string; tagName: string; conversationCount: number; createdTime: number }
export interface IConversationTag { tagId: string; tagName?: string; createdTime?: number; isTop?: boolean }
export interface IAReceivedConversationByTag extends IAReceivedConversation { isTopInTag: boolean }
/** Creates a tag (at most 20 a user; tagId 1-10 characters, tagName 1-15), kept by the server for all the user's devices. */
export declare function addTag(tag: ITagParam): Promise<RCResult>;
/** Renames a tag. */
export declare function updateTag(tag: ITagParam): Promise<RCResult>;
/** Removes a tag; its conversations stay. */
export declare function removeTag(tagId: string): Promise<RCResult>;
export declare function getTags(): Promise<RCResult<ITagInfo[]>>;
export declare function getTagsFromConversation(conversation: IConversationOption): Promise<RCResult<IConversationTag[]>>;
/** 1-1000 conversations; a tag holds 1,000, the first added leave when more come. */
export declare function addConversationsToTag(tagId: string, conversations: IConversationOption[]): Promise<RCResult>;
export declare function removeConversationsFromTag(tagId: string, conversations: IConversationOption[]): Promise<RCResult>;
export declare function removeTagFromConversations(tagId: string, conversations: IConversationOption[]): Promise<RCResult>;
export declare function removeTagsFromConversation(conversation: IConversationOption, tagIds: string[]): Promise<RCResult>;
/** The tag's conversations updated before startTime (0: now), newest first. */
export declare function getConversationsFromTagByPage(tagId: string, count: number, startTime: number): Promise<RCResult<IAReceivedConversationByTag[]>>;
export declare function getUnreadCountByTag(tagId: string, containMuted: boolean): Promise<RCResult<number>>;
/** Pins the conversation within the tag (NO_TAG_IN_CONVER when it is not in it). */
export declare function setConversationToTopInTag(tagId: string, conversation: IConversationOption, isTop: boolean): Promise<RCResult>;
export declare function getCurrentUserId(): string;

export declare function addEventListener<K extends keyof EventListeners>(event: K, listener: EventListeners[K], target?: any): void;
export declare function onceEventListener<K extends keyof EventListeners>(event: K, listener: EventListeners[K], target?: any): void;
export declare function removeEventListener<K extends keyof EventListeners>(event: K, listener: EventListeners[K], target?: any): void;
export declare function removeEventListeners(event: string): void;
export declare function clearEventListeners(): void;

export declare function sendMessage(conversation: IConversationOption, message: BaseMessage, options?: ISendMessageOptions): Promise<RCResult<IAReceivedMessage>>;
export declare function sendTextMessage(conversation: IConversationOption, messageBody: ITextMessageContent, options?: ISendMessageOptions): Promise<RCResult<IAReceivedMessage>>;
export declare function forwardMessage(conversation: IConversationOption, message: IAReceivedMessage | BaseMessage): Promise<RCResult<IAReceivedMessage>>;
export declare function recallMessage(conversation: IConversationOption, options: IRecallMessageOptions): Promise<RCResult<IAReceivedMessage>>;
export declare function deleteMessages(conversation: IConversationOption, messages: { messageUId: string; sentTime: number; messageDirection: MessageDirection }[]): Promise<RCResult>;
export declare function clearHistoryMessages(conversation: IConversationOption, timestamp: number): Promise<RCResult>;
export declare function sendTypingStatusMessage(conversation: IConversationOption, typingContentType: string): Promise<RCResult>;
export declare function updateMessageExpansion(expansion: Record<string, string>, message: IAReceivedMessage | (IConversationOption & { messageUId: string })): Promise<RCResult>;
export declare function removeMessageExpansionForKey(keys: string[], message: IAReceivedMessage | (IConversationOption & { messageUId: string })): Promise<RCResult>;
export declare function getHistoryMessages(conversation: IConversationOption, options?: IGetHistoryMessageOption): Promise<RCResult<{ list: IAReceivedMessage[]; hasMore: boolean }>>;
/** imwasm's narrowing of a server history page (Easemob's searchOptions, NIM's msgTypes). */
export interface IRemoteHistoryMessageOption extends IGetHistoryMessageOption {
  /** Only messages of these types (messageType / objectName), at most 20. */
  objectNames?: string[];
  /** Only messages of this sender. */
  senderUserId?: string;
  /** None past this time, the far end's (inclusive, ms; 0 none). */
  boundTimestamp?: number;
}
/** nextTimestamp: where the next page starts (a narrowed page may come back short with hasMore). */
export declare function getRemoteHistoryMessages(conversation: IConversationOption, options?: IRemoteHistoryMessageOption): Promise<RCResult<{ list: IAReceivedMessage[]; hasMore: boolean; nextTimestamp: number }>>;
/** A page of the list: count (1-1000, default 300) conversations updated before startTime (0: now), newest first, or with order 1 after it, oldest first. */
export declare function getConversationList(options?: { count?: number; startTime?: number; order?: 0 | 1 }, channelId?: string): Promise<RCResult<IAReceivedConversation[]>>;
export declare function getConversationListByTimestamp(params: { startTime: number; count: number; order?: 0 | 1; channelId?: string; topPriority?: boolean; conversationTypes?: ConversationType[] }): Promise<RCResult<IAReceivedConversation[]>>;
export declare function getAllConversationList(channelId?: string): Promise<RCResult<IAReceivedConversation[]>>;
/** The conversation as the list has it; null when this device knows nothing of it. */
export declare function getConversation(conversation: IConversationOption): Promise<RCResult<IAReceivedConversation | null>>;
export declare function getUnreadConversationList(conversationTypes?: ConversationType[]): Promise<RCResult<IAReceivedConversation[]>>;
/** Takes the conversation out of the user's list on all their devices until its next message; its messages stay. */
export declare function removeConversation(conversation: IConversationOption, deleteRemotely?: boolean): Promise<RCResult>;
export declare function batchRemoveConversation(conversations: IConversationOption[]): Promise<RCResult>;
/** The oldest unread message that counts, or null. */
export declare function getFirstUnreadMessage(conversation: IConversationOption): Promise<RCResult<IAReceivedMessage | null>>;
export declare function getFirstUnreadMessageInfo(conversation: IConversationOption): Promise<RCResult<{ messageUId: string; sentTime: number } | null>>;
/** Unread messages that mention this user. */
export declare function getUnreadMentionedCount(conversation: IConversationOption): Promise<RCResult<number>>;
/** The same over every group conversation. */
export declare function getAllUnreadMentionedCount(): Promise<RCResult<number>>;
/** clearMessagesUnreadStatus for every conversation with unread messages. */
export declare function clearAllMessagesUnreadStatus(): Promise<RCResult>;
/** Read up to timestamp (a message's sentTime), on all this user's devices; nobody else is told. */
export declare function sendSyncReadStatusMessage(conversation: IConversationOption, timestamp: number): Promise<RCResult>;
/** For each uid (1-100), the message this device holds, or code RC_DB_DATA_NOT_FOUND. */
export declare function getMessagesByUIds(params: { conversationIdentifier: IConversationOption; messageUIds: string[] }): Promise<RCResult<{ code: number; messageUId: string; message?: IAReceivedMessage }[]>>;
/** clearHistoryMessages for each (timestamp absent: everything so far); 1-100 conversations. */
export declare function batchClearRemoteHistoryMessages(clearMessageOption: (IConversationOption & { timestamp?: number })[], isDeleteLocal?: boolean): Promise<RCResult>;
export declare function getUnreadCount(conversation: IConversationOption): Promise<RCResult<number>>;
/** Unread messages of private and group conversations (or of conversationTypes); do-not-disturb ones only with includeMuted. */
export declare function getTotalUnreadCount(includeMuted?: boolean, conversationTypes?: ConversationType[]): Promise<RCResult<number>>;
export declare function clearMessagesUnreadStatus(conversation: IConversationOption): Promise<RCResult>;

/** Private chats: the peer gets READ_RECEIPT_RECEIVED; messages up to messageUId count as read. */
export declare function sendReadReceiptMessage(targetId: string, messageUId: string, timestamp: number, channelId?: string): Promise<RCResult>;
/** Group chats: only the message's sender may ask. */
export declare function sendReadReceiptRequest(targetId: string, messageUId: string, channelId?: string): Promise<RCResult>;
/** Without messageList the SDK answers every cached request of the group (latest 30, 24 h). */
export declare function sendReadReceiptResponseV2(targetId: string, messageList?: { [senderUserId: string]: string[] } | null, channelId?: string): Promise<RCResult>;
export declare function sendReadReceiptResponseV5(conversation: IConversationOption, messageUIds: string[]): Promise<RCResult>;
/** imwasm's own: this user read one message; its sender gets MESSAGE_RECEIPT_RESPONSE_V5 with ackContent (≤ 512 bytes). Private chats: any message of the peer; groups: one sent with needReceipt. */
export declare function sendMessageReadAck(conversation: IConversationOption, messageUId: string, ackContent?: string): Promise<RCResult>;
/** imwasm's own: this user read the conversation (up to messageUId, a message this device holds; all of it without): unread counts clear, the peer of a private chat gets READ_RECEIPT_RECEIVED, the user's other devices SYNC_READ_STATUS with peerTold. */
export declare function sendConversationReadAck(conversation: IConversationOption, messageUId?: string): Promise<RCResult>;
export declare function getMessageReader(targetId: string, messageUId: string, channelId?: string): Promise<RCResult<{ totalMemberCount: number; list: IMessageReader[] }>>;
export declare function getMessageReadReceiptInfoV5(conversation: IConversationOption, messageUIds: string[]): Promise<RCResult<ReadReceiptInfoV5[]>>;
export declare function getMessagesReadReceiptUsersByPageV5(conversation: IConversationOption, messageUId: string, options?: ReadReceiptUsersOption): Promise<RCResult<ReadReceiptUsersResult>>;

/** An emoji of RongIMEmoji.list. */
export interface IEmojiItem { unicode: string; emoji: string; symbol: string; node: HTMLSpanElement | null }
export interface IEmojiConfig {
  size?: number;
  url?: string;
  lang?: 'zh' | 'en';
  extension?: { dataSource: Record<string, { en?: string; zh?: string; tag: string; position?: string }>; url?: string };
}
/**
 * RongCloud's emoji helper (seed 003): native emoji ↔ names such as
 * [笑嘻嘻], and HTML for display. Messages themselves carry native emoji.
 */
export declare const RongIMEmoji: {
  readonly list: IEmojiItem[];
  init(config?: IEmojiConfig): void;
  emojiToSymbol(text: string): string;
  symbolToEmoji(text: string): string;
  emojiToHTML(text: string): string;
  symbolToHTML(text: string): string;
};

/** Upload hooks: onProgress gets whole percentages that only grow and end at 100. */
export interface IUploadHooks {
  onProgress?(progress: number): void;
  /** Called with the uploaded file; a returned message is sent instead of the default one. */
  onComplete?(fileInfo: IUploadFileInfo): void | BaseMessage;
}
export interface IUploadFileInfo { url: string; name: string; downloadUrl: string; uniqueName: string; size: number; type: string;
  /** imwasm's: hex MD5 of the stored file; what the SDK measured: an image's width and height (and thumbnail), an audio file's duration (s). */
  md5?: string; width?: number; height?: number; thumbnail?: string; duration?: number }
export interface IUploadMessageOption extends ISendMessageOptions {
  /** How the file is served: 'inline' only takes effect for images, audio and video. */
  contentDisposition?: 'inline' | 'attachment';
  /** Aborts the upload: the message turns FAILED with UPLOAD_FAIL and can be resent with messageId. */
  signal?: AbortSignal;
}
export interface ISendBody { file: File | Blob; user?: { id?: string; name?: string; portraitUri?: string; extra?: string }; extra?: string; mentionedInfo?: IMentionedInfo }
export interface ISendSightMessageOptions extends ISendBody { duration: number; thumbnail: string; name?: string }
export interface IUploadInfo {
  file: File | Blob;
  onProgress?(loaded: number, total: number): void;
  contentDisposition?: 'inline' | 'attachment';
  signal?: AbortSignal;
}
export interface IUploadResult { name: string; downloadUrl: string; url: string; uniqueName: string; size: number; type: string }

/** Uploads a file that is not sent as a message. */
export declare function upload(info: IUploadInfo): Promise<RCResult<IUploadResult>>;
/** An upload started at once: abort() stops it, awaitResult() answers what upload() answers. */
export declare class UploadTask {
  readonly id: number;
  constructor(info: IUploadInfo & { fileType?: FileType });
  abort(): void;
  awaitResult(): Promise<RCResult<IUploadResult>>;
}
export declare function createUploadTask(uploadInfo: IUploadInfo & { fileType?: FileType }): Promise<RCResult<UploadTask>>;
/** Stops a running task (data: whether one was running). */
export declare function stopUploadTask(taskId: number): Promise<RCResult<boolean>>;
/** RongCloud's storage-provider calls, answered for imwasm's /v1/files: the bearer token uploads use. */
export declare function getFileToken(fileType: FileType, fileName?: string, httpMethod?: 'POST' | 'PUT', queryString?: string): Promise<RCResult<{ token: string; deadline: number; bosToken: string; bosDate: string; path: string; fileName: string; qiniu: string; ossConfig: string }>>;
/** The URL of an uploaded file, by the id an upload answered (uniqueName). */
export declare function getFileUrl(fileType: FileType, filename: string, saveName?: string, _?: unknown, serverType?: number): Promise<RCResult<{ downloadUrl: string }>>;
/** Downloads need no auth here (a file id cannot be guessed): {deadline: 0}. */
export declare function getDownloadAuth(url: string): Promise<RCResult<{ deadline: number; token?: string }>>;
export declare function sendFileMessage(conversation: IConversationOption, msgBody: ISendBody, hooks?: IUploadHooks, sendOptions?: IUploadMessageOption): Promise<RCResult<IAReceivedMessage>>;
/** The thumbnail (content) is made in the browser: JPEG base64 without a data-URI prefix, longest side ≤ 240 px, ≤ 10 KB. */
export declare function sendImageMessage(conversation: IConversationOption, msgBody: ISendBody, hooks?: IUploadHooks, sendOptions?: IUploadMessageOption): Promise<RCResult<IAReceivedMessage>>;
export declare function sendGIFMessage(conversation: IConversationOption, msgBody: ISendBody, hooks?: IUploadHooks, sendOptions?: IUploadMessageOption): Promise<RCResult<IAReceivedMessage>>;
/** The duration is read from the audio. */
export declare function sendHQVoiceMessage(conversation: IConversationOption, msgBody: ISendBody, hooks?: IUploadHooks, sendOptions?: IUploadMessageOption): Promise<RCResult<IAReceivedMessage>>;
export declare function sendSightMessage(conversation: IConversationOption, msgBody: ISendSightMessageOptions, hooks?: IUploadHooks, sendOptions?: IUploadMessageOption): Promise<RCResult<IAReceivedMessage>>;

// Groups managed from the client.
export interface IPagingQueryOption { count: number; pageToken?: string; order?: boolean }
export interface IGetGroupMembersOption extends IPagingQueryOption { filterRobotType?: number }
export interface IPagingQueryResult<T> { pageToken: string; totalCount?: number; data: T[] }
export interface IGroupInfoOption {
  groupId: string; groupName?: string; portraitUri?: string; introduction?: string; notice?: string;
  extProfile?: Record<string, string>; joinPermission?: GroupJoinPermission; removeMemberPermission?: GroupOperationPermission;
  invitePermission?: GroupOperationPermission; inviteHandlePermission?: GroupInviteHandlePermission;
  groupInfoEditPermission?: GroupOperationPermission; memberInfoEditPermission?: GroupMemberInfoEditPermission;
}
export interface IGroupInfo extends IGroupInfoOption {
  remark?: string; role?: GroupMemberRole; joinedTime?: number; creatorId?: string; ownerId?: string; createTime?: number; membersCount?: number;
  /** imwasm's: the whole group is muted (muteAllGroupMembers). */
  muteAll?: boolean;
}
/** name and portraitUri are the user's profile as the caller may see it (empty in events). */
export interface IGroupMemberInfo { userId: string; name: string; portraitUri: string; nickname?: string; extra?: string; role?: GroupMemberRole; joinedTime?: number; isRobot?: boolean }
/** Accepted; imwasm always removes a leaving member's mute and follows (the defaults). */
export interface IQuitGroupConfig { removeMuteStatus: boolean; removeWhiteList: boolean; removeFollow: boolean }
export interface IProcessCode { processCode: number }
export type IErrorKeys = { errorKeys?: string[] };
export type ICreateGroupFail = IProcessCode & IErrorKeys;
export interface IFollowsInfo { userId: string; time: number }
export interface IGroupApplicationInfo {
  groupId: string; joinMemberInfo: IGroupMemberInfo; inviterInfo?: IGroupMemberInfo; operatorInfo?: IGroupMemberInfo;
  status: GroupApplicationStatus; direction: GroupApplicationDirection; type: GroupApplicationType; operationTime: number; reason: string;
}
export interface IGroupOperationInfo { groupId: string; operatorInfo?: IGroupMemberInfo; groupInfo?: IGroupInfo; operation: GroupOperation; memberInfos?: IGroupMemberInfo[]; operationTime: number }
export interface IGroupInfoChanged { operatorInfo: IGroupMemberInfo; groupInfo: IGroupInfo; changedGroupInfo: IGroupInfo; operationTime: number; fullGroupInfo: IGroupInfo }
export interface IGroupMemberInfoChanged { groupId: string; operatorInfo: IGroupMemberInfo; memberInfo: IGroupMemberInfo; operationTime: number }
export interface IGroupRemarkChangedSync { groupId: string; operationType: number; operationTime: number; groupRemark: string }
export interface IGroupFollowsChangedSync { groupId: string; operationType: number; operationTime: number; userIds: string[] }
export declare function createGroup(groupInfo: IGroupInfoOption, inviteeUserIds?: string[]): Promise<RCResult<ICreateGroupFail>>;
export declare function updateGroupInfo(groupInfo: IGroupInfoOption): Promise<RCResult<IErrorKeys>>;
export declare function getGroupsInfo(groupIds: string[]): Promise<RCResult<IGroupInfo[]>>;
export declare function kickGroupMembers(groupId: string, userIds: string[], config?: IQuitGroupConfig): Promise<RCResult>;
export declare function quitGroup(groupId: string, config?: IQuitGroupConfig): Promise<RCResult>;
export declare function dismissGroup(groupId: string): Promise<RCResult>;
export declare function transferGroupOwner(groupId: string, newOwnerId: string, quitGroup?: boolean, config?: IQuitGroupConfig): Promise<RCResult>;
export declare function addGroupManagers(groupId: string, userIds: string[]): Promise<RCResult>;
export declare function removeGroupManagers(groupId: string, userIds: string[]): Promise<RCResult>;
export declare function getGroupMembersByRole(groupId: string, role: GroupMemberRole, option: IGetGroupMembersOption): Promise<RCResult<IPagingQueryResult<IGroupMemberInfo>>>;
export declare function getGroupMembers(groupId: string, userIds: string[]): Promise<RCResult<IGroupMemberInfo[]>>;
export declare function setGroupMemberInfo(groupId: string, userId: string, nickname: string, extra?: string): Promise<RCResult<IErrorKeys>>;
export declare function searchGroupMembers(groupId: string, name: string, option: IPagingQueryOption): Promise<RCResult<IPagingQueryResult<IGroupMemberInfo>>>;
export declare function joinGroup(groupId: string): Promise<RCResult<IProcessCode>>;
export declare function inviteUsersToGroup(groupId: string, userIds: string[]): Promise<RCResult<IProcessCode>>;
export declare function acceptGroupInvite(groupId: string, inviterId: string): Promise<RCResult>;
export declare function refuseGroupInvite(groupId: string, inviterId: string, reason?: string): Promise<RCResult>;
export declare function acceptGroupApplication(groupId: string, applicantId: string, inviterId?: string): Promise<RCResult<IProcessCode>>;
export declare function refuseGroupApplication(groupId: string, applicantId: string, inviterId?: string, reason?: string): Promise<RCResult>;
export declare function getGroupApplications(option: IPagingQueryOption, directions?: GroupApplicationDirection[], status?: GroupApplicationStatus[]): Promise<RCResult<IPagingQueryResult<IGroupApplicationInfo>>>;
export declare function getJoinedGroupsByRole(option: IPagingQueryOption, role: GroupMemberRole): Promise<RCResult<IPagingQueryResult<IGroupInfo>>>;
export declare function searchJoinedGroups(groupName: string, option: IPagingQueryOption): Promise<RCResult<IPagingQueryResult<IGroupInfo>>>;
export declare function getJoinedGroups(groupIds: string[]): Promise<RCResult<IGroupInfo[]>>;
export declare function setGroupRemark(groupId: string, remark: string): Promise<RCResult>;
export declare function addGroupFollows(groupId: string, userIds: string[]): Promise<RCResult>;
export declare function removeGroupFollows(groupId: string, userIds: string[]): Promise<RCResult>;
export declare function getGroupFollows(groupId: string): Promise<RCResult<IFollowsInfo[]>>;
/** imwasm's own: the owner or a manager mutes members for durationMs (0 unmutes); their sends fail with 22408. */
export declare function muteGroupMembers(groupId: string, userIds: string[], durationMs: number): Promise<RCResult>;
/** imwasm's own: with the group muted only the owner and managers speak. */
export declare function muteAllGroupMembers(groupId: string, muted: boolean): Promise<RCResult>;

// Chat rooms: no standing membership; messages are sendMessage with conversationType CHATROOM.
export interface IChatroomJoinOpts { count: number; extra?: string }
export interface IChatroomJoinResponse {
  createTime: number; memberCount: number; isAllChatroomBanned: boolean; isCurrentUserBanned: boolean;
  isCurrentChatroomBanned: boolean; isCurrentChatroomInWhitelist: boolean; joinTime: number;
}
export interface IGetChatroomInfoOptions { count?: number; order?: 0 | 1 | 2 }
export interface IChatroomUser { id: string; time: number }
export interface IChatroomInfo { userInfos: IChatroomUser[]; userCount: number }
export interface IChatroomEntry { key: string; value: string; isSendNotification?: boolean; notificationExtra?: string; isAutoDelete?: boolean }
export interface IChatroomEntries { entries: { key: string; value: string }[]; isAutoDelete?: boolean; isForce?: boolean }
export interface IRemoveChatroomEntry { key: string; isSendNotification?: boolean; notificationExtra?: string }
export interface IChatroomEntryListenerData { key: string; value: string; timestamp: number; chatroomId: string; type: Rong.ChatroomEntryType }
export interface IChatroomNotifyBan { chatroomId: string; banType: Rong.ChrmMemBanType; durationTime: number; operateTime: number; userIdList: string[]; extra: string }
export type IChatroomRejoinedInfo = { chatroomId: string; errorCode: number } | (IChatroomJoinResponse & { chatroomId: string; count: number });
/** userChange, entriesSynced, chatroomNotifyMultiLoginSync and chatroomNotifyBlock are not emitted (docs/api.md). */
export interface IChatroomListenerData {
  rejoinedRoom?: IChatroomRejoinedInfo; updatedEntries?: IChatroomEntryListenerData[];
  chatroomDestroyed?: string; chatroomDestroyedType?: number; chatroomNotifyBan?: IChatroomNotifyBan;
}
/** @deprecated as in RongIMLib: joinExistChatRoom. Creates the room when there is none. */
export declare function joinChatRoom(roomId: string, options: IChatroomJoinOpts): Promise<RCResult<IChatroomJoinResponse>>;
export declare function joinExistChatRoom(targetId: string, options: IChatroomJoinOpts): Promise<RCResult<IChatroomJoinResponse>>;
export declare function quitChatRoom(targetId: string, extra?: string): Promise<RCResult>;
export declare function getChatRoomInfo(targetId: string, options?: IGetChatroomInfoOptions): Promise<RCResult<IChatroomInfo>>;
export declare function setChatRoomEntry(targetId: string, options: IChatroomEntry): Promise<RCResult>;
export declare function setChatRoomEntries(targetId: string, options: IChatroomEntries): Promise<RCResult>;
export declare function forceSetChatRoomEntry(targetId: string, options: IChatroomEntry): Promise<RCResult>;
export declare function removeChatRoomEntry(targetId: string, options: IRemoveChatroomEntry): Promise<RCResult>;
export declare function removeChatRoomEntries(targetId: string, options: { entries: string[]; notificationExtra?: string }): Promise<RCResult>;
export declare function forceRemoveChatRoomEntry(targetId: string, options: IRemoveChatroomEntry): Promise<RCResult>;
export declare function getChatRoomEntry(targetId: string, key: string): Promise<RCResult<string>>;
export declare function getAllChatRoomEntries(targetId: string): Promise<RCResult<Record<string, string>>>;
export declare function getChatroomHistoryMessages(targetId: string, options: IGetHistoryMessageOption): Promise<RCResult<{ list: IAReceivedMessage[]; hasMore: boolean }>>;

// Ultra groups: a channel is { conversationType: ULTRA_GROUP, targetId, channelId } ('' the default one).
export interface IUltraGroupOption { targetId: string; channelId?: string }
export interface IGetUltraGroupListOption { targetId?: string; channelType?: UltraGroupChannelType }
export interface IUltraGroupConversation extends IAReceivedConversation {
  channelType: UltraGroupChannelType;
  /** Unread messages naming this user (not @all). */
  unreadMentionedMeCount: number;
}
export interface IUltraGroupUnreadMentionedOption { targetId: string; channelId?: string; sentTime: number; count: number }
export interface IUltraUnreadMsg { messageUId?: string; sentTime: number; mentionedType?: MentionedType; messageType: string }
export interface IUltraGroupUnreadInfo {
  /** @deprecated as in RongIMLib: conversationType */
  type: ConversationType; conversationType: ConversationType; targetId: string; channelId: string;
  unreadMessageCount: number; mentionedCount: number; mentionedMeCount: number; notificationLevel: NotificationLevel;
}
export interface IUltraChannelChangeInfo { targetId: string; channelId: string; channelType: UltraGroupChannelType; changeType: UltraGroupChannelChangeType }
export interface IUltraChannelUserKickedInfo { targetId: string; channelId: string; channelType: UltraGroupChannelType; userId: string }
export interface IUltraChannelDeleteInfo { targetId: string; channelId: string; channelType: UltraGroupChannelType; deleteTime: number }
/** The user's ultra group channels (those they may use), with the level in effect (their own, else the channel's or group's default). */
export declare function getUltraGroupList(options?: IGetUltraGroupListOption): Promise<RCResult<IUltraGroupConversation[]>>;
export declare function getBlockUltraGroupList(): Promise<RCResult<IUltraGroupConversation[]>>;
export declare function sendUltraGroupTypingStatus(options: IConversationOption): Promise<RCResult>;
export declare function getUltraGroupMessageListByMessageUId(options: IConversationOption, messages: { messageUId: string }[]): Promise<RCResult<{ [messageUId: string]: IAReceivedMessage | undefined }>>;
export declare function updateExpansionForUltraGroupMessage(expansion: { [key: string]: string }, message: IAReceivedMessage): Promise<RCResult>;
export declare function removeExpansionForUltraGroupMessage(expansion: string[], message: IAReceivedMessage): Promise<RCResult>;
export declare function removeAllExpansionForUltraGroupMessage(message: IAReceivedMessage): Promise<RCResult>;
export declare function getUltraGroupUnreadMentionedCountByTargetId(targetId: string, notificationLevels?: NotificationLevel[]): Promise<RCResult<number>>;
export declare function getUltraGroupUnreadCountByTargetId(targetId: string, notificationLevels?: NotificationLevel[]): Promise<RCResult<number>>;
/** @deprecated as in RongIMLib */
export declare function getAllUltraGroupUnreadCount(): Promise<RCResult<number>>;
/** @deprecated as in RongIMLib */
export declare function getAllUltraGroupUnreadMentionedCount(): Promise<RCResult<number>>;
export declare function getUltraGroupDefaultNotificationLevel(options: IUltraGroupOption): Promise<RCResult<NotificationLevel>>;
/** The group's owner only (25405). */
export declare function setUltraGroupDefaultNotificationLevel(options: IUltraGroupOption, notificationLevel: NotificationLevel): Promise<RCResult>;
export declare function getUltraGroupUnreadMentionedMessages(options: IUltraGroupUnreadMentionedOption): Promise<RCResult<IUltraUnreadMsg[]>>;
export declare function getUltraGroupFirstUnreadMessageTimestamp(conversation: IUltraGroupOption): Promise<RCResult<IUltraUnreadMsg>>;
export declare function getUltraGroupUnreadInfoList(targetIds: string[]): Promise<RCResult<IUltraGroupUnreadInfo[]>>;

// People: profiles, friends, the blacklist and online status.
export interface IUserProfileInfo {
  userId?: string; name?: string; portraitUri?: string; readonly uniqueId?: string; email?: string; birthday?: string;
  gender?: number; location?: string; role?: number; level?: number; extraProfile?: { [key: string]: string };
}
export type IUpdateMyProfileFail = IErrorKeys & { errorKey: string };
export interface IFriendInfo { userId: string; name: string; portraitUri: string; remark: string; extProfile: { [key: string]: string }; addTime: number; directionType: DirectionType; inBlackList: boolean }
export interface IFriendApplicationInfo { userId: string; name: string; portraitUri: string; applicationType: FriendApplicationType; applicationStatus: FriendApplicationStatus; operationTime: number; extra: string }
export interface IFriendRelationInfo { userId: string; relationType: FriendRelationType }
export interface IFriendAdd { userId: string; name: string; portraitUri: string; directionType: DirectionType; operationTime: number }
/** operatorId: imwasm's, who deleted (this user on their other devices; the friend on the one deleted). */
export interface IFriendDelete { userIds: string[]; directionType: DirectionType; operationTime: number; operatorId?: string }
export interface IFriendApplicationStatusChange { userId: string; applicationType: FriendApplicationType; applicationStatus: FriendApplicationStatus; directionType: DirectionType; operationTime: number; extra: string }
export interface IFriendInfoChangedSync { userId: string; remark: string; extProfile: Record<string, string>; operationTime: number }
/** eventValue: 1 online, 0 offline. */
export interface ISubscribeStatusDetail { changeTime: number; eventValue: number; platform: Platform }
export interface ISubscribeUserStatusInfo { userId: string; subscribeType: SubscribeType; subscribeTime: number; expiry: number; details?: ISubscribeStatusDetail[]; userProfile?: IUserProfileInfo }
export interface ISubscribeRelationInfo { userId: string; subscribeType: SubscribeType; subscribeTime: number; expiry: number; operationType: SubscribeOperationType }
export interface IPlatformOnlineStatus { platform: Platform; isOnline: boolean; updateTime: number }
export interface ISubscribeUserOnlineStatus { userId: string; isOnline: boolean; details: IPlatformOnlineStatus[] }
/** options is imwasm's own: mergeExtraProfile sets the extraProfile keys given and keeps the others ('' removes one); without it extraProfile is replaced. */
export declare function updateMyUserProfile(profile: IUserProfileInfo, options?: { mergeExtraProfile?: boolean }): Promise<RCResult<IUpdateMyProfileFail>>;
export declare function getUserProfiles(userIds: string[]): Promise<RCResult<IUserProfileInfo[]>>;
export declare function getMyUserProfile(): Promise<RCResult<IUserProfileInfo>>;
export declare function updateMyUserProfileVisibility(visibility: UserProfileVisibility): Promise<RCResult>;
export declare function getMyUserProfileVisibility(): Promise<RCResult<UserProfileVisibility>>;
export declare function searchUserProfileByUniqueId(uniqueId: string): Promise<RCResult<IUserProfileInfo>>;
export declare function addFriend(userId: string, directionType: DirectionType, extra?: string): Promise<RCResult<IProcessCode>>;
export declare function deleteFriends(userIds: string[], directionType: DirectionType): Promise<RCResult<void>>;
export declare function acceptFriendApplication(userId: string): Promise<RCResult>;
export declare function refuseFriendApplication(userId: string): Promise<RCResult>;
export declare function setFriendInfo(userId: string, remark?: string, extProfile?: Record<string, string>): Promise<RCResult<IErrorKeys>>;
export declare function checkFriends(userIds: string[], directionType: DirectionType): Promise<RCResult<IFriendRelationInfo[]>>;
export declare function getFriends(directionType: QueryFriendsDirectionType, option?: IPagingQueryOption): Promise<RCResult<IPagingQueryResult<IFriendInfo>>>;
export declare function getFriendApplications(option?: IPagingQueryOption, types?: FriendApplicationType[], status?: FriendApplicationStatus[]): Promise<RCResult<IPagingQueryResult<IFriendApplicationInfo>>>;
export declare function getFriendsInfo(userIds: string[]): Promise<RCResult<IFriendInfo[]>>;
export declare function searchFriendsInfo(name: string): Promise<RCResult<IFriendInfo[]>>;
export declare function setFriendAddPermission(permission: FriendAddPermission): Promise<RCResult>;
export declare function getFriendAddPermission(): Promise<RCResult<FriendAddPermission>>;
/** A user's daily quiet hours for pushes: from startTime ("HH:MM:SS") for spanMinutes (1-1439) on timezone's clock (default UTC; an offset like "+08:00" or an IANA name). */
export interface INotificationQuietHoursSetting {
  startTime: string;
  spanMinutes: number;
  level: PushNotificationQuietHoursLevel;
  timezone?: string;
}
export declare function setNotificationQuietHoursWithSetting(setting: INotificationQuietHoursSetting): Promise<RCResult>;
export declare function removeNotificationQuietHoursSetting(): Promise<RCResult>;
export declare function getNotificationQuietHoursSetting(): Promise<RCResult<INotificationQuietHoursSetting>>;
/** imwasm's: no push reaches the user (from the conversation, when one is given) for durationMs from now (0 ends it; at most 604800000, 7 days), beside the levels and quiet hours. `until`: when it ends (server ms; 0 none). */
export declare function setDoNotDisturb(durationMs: number, conversation?: IConversationOption): Promise<RCResult<{ until: number }>>;
export declare function getDoNotDisturb(conversation?: IConversationOption): Promise<RCResult<{ until: number }>>;
export declare function addToBlacklist(userId: string): Promise<RCResult>;
export declare function removeFromBlacklist(userId: string): Promise<RCResult>;
export declare function getBlacklist(): Promise<RCResult<string[]>>;
export declare function getBlacklistStatus(userId: string): Promise<RCResult<boolean>>;
/** On 26021, data holds the users who have 5,000 subscribers already (the others are subscribed). */
export declare function subscribeUserStatus(userIds: string[], subscribeType: SubscribeType, expiry: number): Promise<RCResult<string[]>>;
export declare function unSubscribeUserStatus(userIds: string[], subscribeType: SubscribeType): Promise<RCResult>;
export declare function getSubscribeUserList(subscribeType: SubscribeType, pageSize: number, offset: number): Promise<RCResult<ISubscribeUserStatusInfo[]>>;
export declare function getSubscribeUserStatus(subscribeType: SubscribeType, userIds: string[]): Promise<RCResult<ISubscribeUserStatusInfo[]>>;
export declare function getSubscribeUsersOnlineStatus(userIds: string[]): Promise<RCResult<ISubscribeUserOnlineStatus[]>>;
