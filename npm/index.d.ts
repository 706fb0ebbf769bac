// Type declarations of the npm package `imwasm`, written by hand to follow
// RongCloud's Web IMLib v5 (`@rongcloud/imlib-next`) names and shapes.

export declare const ErrorCode: {
  readonly SUCCESS: 0;
  readonly TIMEOUT: -1;
  readonly UNKNOWN: -2;
  readonly SEND_FREQUENCY_TOO_FAST: 20604;
  readonly REQUEST_OVER_FREQUENCY: 20607;
  readonly NOT_IN_GROUP: 22406;
  readonly FORBIDDEN_IN_GROUP: 22408;
  readonly RECALL_MESSAGE: 25101;
  readonly RC_RECALLMESSAGE_PARAMETER_INVALID: 25101;
  readonly RECALL_MESSAGE_USER_INVALID: 25107;
  readonly RC_RECALL_MESSAGE_USER_INVALID: 25107;
  readonly RC_FILE_SIZE_EXCEED_LIMIT: 26106;
  readonly SERVICE_RRSV5_UNAVAILABLE: 26314;
  readonly SERVICE_RRSV5_READ_RECEIPT_NOT_SUPPORT: 26315;
  readonly SERVICE_RRSV5_PARAM_LENGTH_EXCEED: 26316;
  readonly SERVICE_RRSV5_CONVERSATION_NOT_SUPPORT: 26317;
  readonly SERVICE_RRSV5_QUERY_NOT_SUPPORT: 26318;
  readonly SERVICE_RRSV5_MESSAGE_SENDER_MISMATCH: 26320;
  readonly SERVICE_RRSV5_MESSAGE_RECEIPT_NEEDLESS: 26321;
  readonly SERVICE_RRSV5_MESSAGE_NOT_EXIST: 26322;
  readonly RC_NET_CHANNEL_INVALID: 30001;
  readonly RC_NET_UNAVAILABLE: 30002;
  readonly RC_MSG_RESP_TIMEOUT: 30003;
  readonly RC_MSG_CONTENT_EXCEED_LIMIT: 30016;
  readonly RC_MSG_SIZE_OUT_OF_LIMIT: 30016;
  readonly RC_CONN_ACK_TIMEOUT: 31000;
  readonly RC_CONN_TOKEN_INCORRECT: 31004;
  readonly RC_CONN_USER_OR_PASSWD_ERROR: 31004;
  readonly RC_DISCONN_KICK: 31010;
  readonly RC_CONN_TOKEN_EXPIRED: 31020;
  readonly BIZ_ERROR_CLIENT_NOT_INIT: 33001;
  readonly BIZ_ERROR_INVALID_PARAMETER: 33003;
  readonly RC_CONNECTION_EXIST: 34001;
  readonly CONNECTION_TIMEOUT: 34006;
  readonly EXPANSION_LIMIT_EXCEET: 34010;
  readonly UPLOAD_FAIL: 34011;
  readonly MEDIA_EXCEPTION: 34018;
  readonly INVALID_PARAMETER_MESSAGE_EXPANSION: 34220;
  readonly INVALID_PARAMETER_MESSAGE_UID: 34203;
  readonly INVALID_PARAMETER_MESSAGEUID: 34203;
  readonly INVALID_PARAMETER_MESSAGE_ID: 34204;
  readonly INVALID_PARAMETER_MESSAGEID: 34204;
  readonly INVALID_PARAMETER_CONVERSATION_TYPE: 34209;
  readonly INVALID_PARAMETER_TARGET_ID: 34210;
  readonly INVALID_PARAMETER_COUNT: 34232;
  readonly INVALID_PARAMETER_CONTENT_DISPOSITION: 35032;
  readonly SEND_READ_RECEIPT_CONF_ERROR: 35056;
};
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export declare const ConversationType: {
  readonly NONE: 0; readonly PRIVATE: 1; readonly DISCUSSION: 2; readonly GROUP: 3; readonly CHATROOM: 4;
  readonly CUSTOMER_SERVICE: 5; readonly SYSTEM: 6; readonly APP_PUBLIC_SERVICE: 7; readonly PUBLIC_SERVICE: 8;
  readonly ULTRA_GROUP: 10; readonly RTC_ROOM: 12;
};
export type ConversationType = (typeof ConversationType)[keyof typeof ConversationType];

export declare const MentionedType: { readonly ALL: 1; readonly SINGAL: 2 };
export type MentionedType = (typeof MentionedType)[keyof typeof MentionedType];

export declare const MessageDirection: { readonly SEND: 1; readonly RECEIVE: 2 };
export type MessageDirection = (typeof MessageDirection)[keyof typeof MessageDirection];

export declare const SentStatus: {
  readonly SENDING: 10; readonly FAILED: 20; readonly SENT: 30; readonly RECEIVED: 40; readonly READ: 50; readonly DESTROYED: 60;
};
export type SentStatus = (typeof SentStatus)[keyof typeof SentStatus];

export declare const ReceivedStatus: {
  readonly UNREAD: 0; readonly READ: 1; readonly LISTENED: 2; readonly DOWNLOADED: 4; readonly RETRIEVED: 8;
};
export type ReceivedStatus = (typeof ReceivedStatus)[keyof typeof ReceivedStatus];

export declare const ConnectionStatus: { readonly CONNECTED: 0; readonly CONNECTING: 1; readonly DISCONNECTED: 2; readonly SUSPENDED: 3 };
export type ConnectionStatus = (typeof ConnectionStatus)[keyof typeof ConnectionStatus];
export declare const RCConnectionStatus: typeof ConnectionStatus;
export type RCConnectionStatus = ConnectionStatus;

export declare const MessageType: {
  readonly TEXT: 'RC:TxtMsg'; readonly VOICE: 'RC:VcMsg'; readonly HQ_VOICE: 'RC:HQVCMsg'; readonly IMAGE: 'RC:ImgMsg';
  readonly GIF: 'RC:GIFMsg'; readonly RICH_CONTENT: 'RC:ImgTextMsg'; readonly LOCATION: 'RC:LBSMsg'; readonly FILE: 'RC:FileMsg';
  readonly SIGHT: 'RC:SightMsg'; readonly COMBINE: 'RC:CombineMsg'; readonly REFERENCE: 'RC:ReferenceMsg';
  readonly EXPANSION_NOTIFY: 'RC:MsgExMsg'; readonly COMMAND: 'RC:CmdMsg'; readonly GROUP_NOTIFICATION: 'RC:GrpNtf';
  readonly INFORMATION_NOTIFICATION: 'RC:InfoNtf'; readonly RECALL: 'RC:RcCmd'; readonly RECALL_NOTIFICATION: 'RC:RcNtf';
  readonly TYPING_STATUS: 'RC:TypSts';
};

export declare const Events: {
  readonly CONNECTING: 'CONNECTING'; readonly CONNECTED: 'CONNECTED'; readonly DISCONNECT: 'DISCONNECT';
  readonly SUSPEND: 'SUSPEND'; readonly MESSAGES: 'MESSAGES'; readonly READ_RECEIPT_RECEIVED: 'READ_RECEIPT_RECEIVED';
  readonly MESSAGE_RECEIPT_REQUEST: 'MESSAGE_RECEIPT_REQUEST'; readonly MESSAGE_RECEIPT_RESPONSE: 'MESSAGE_RECEIPT_RESPONSE';
  readonly MESSAGE_RECEIPT_RESPONSE_V5: 'MESSAGE_RECEIPT_RESPONSE_V5'; readonly SYNC_READ_STATUS: 'SYNC_READ_STATUS';
  readonly CONVERSATION: 'CONVERSATION'; readonly EXPANSION: 'EXPANSION';
  readonly PULL_OFFLINE_MESSAGE_FINISHED: 'PULL_OFFLINE_MESSAGE_FINISHED'; readonly TYPING_STATUS: 'TYPING_STATUS';
  readonly MESSAGE_DELIVERED: 'MESSAGE_DELIVERED';
};
export type Events = (typeof Events)[keyof typeof Events];

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
export interface IReadReceiptUser { userId: string; timestamp: number }

/** getMessageReadReceiptInfoV5 item. */
export interface ReadReceiptInfoV5 { messageUId: string; readCount: number; unreadCount: number; totalCount: number }

/** MESSAGE_RECEIPT_RESPONSE_V5 item: `users` are the readers new since the last update. */
export interface ReadReceiptResponseV5 extends ReadReceiptInfoV5 { identifier: Required<IConversationOption>; users: IReadReceiptUser[] }

/** getMessagesReadReceiptUsersByPageV5 option: readStatus 0 lists readers, 1 those who have not read. */
export interface ReadReceiptUsersOption { pageToken?: string; pageCount?: number; order?: 0 | 1; readStatus?: 0 | 1 }
export interface ReadReceiptUsersResult { pageToken: string; totalCount: number; users: IReadReceiptUser[] }

export interface IAReceivedConversation extends Required<IConversationOption> {
  unreadMessageCount: number;
  hasMentioned: boolean;
  latestMessage: IAReceivedMessage | null;
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
export declare class InformationNotificationMessage extends BaseMessage<IInformationNotificationMessageContent> { constructor(content: IInformationNotificationMessageContent) }
export declare class CommandMessage extends BaseMessage<ICommandMessageContent> { constructor(content: ICommandMessageContent) }
export declare class GroupNotificationMessage extends BaseMessage<IGroupNotificationMessageContent> { constructor(content: IGroupNotificationMessageContent) }

/** A class for a custom message type (no `RC:` prefix). Not persisted or status types are never stored and reach online devices only. */
export declare function registerMessageType<T = any>(messageType: string, isPersited: boolean, isCounted: boolean, searchProps?: string[], isStatusMessage?: boolean): new (content: T) => BaseMessage<T>;

export interface IInitOption {
  appkey: string;
  /** The imwasm server's http(s) URL; `navigators[0]` is read when it is absent. */
  serverUrl?: string;
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
  logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'none';
  /** 'memory' keeps the device's data in memory even where IndexedDB exists (default: IndexedDB when present). */
  storage?: 'indexeddb' | 'memory';
}

export interface ISendMessageOptions {
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
  CONVERSATION: (event: { conversationList: { conversation: IAReceivedConversation; updatedItems?: unknown }[] }) => void;
  READ_RECEIPT_RECEIVED: (event: { conversation: Required<IConversationOption>; messageUId: string; sentTime: number; sendUserId: string }) => void;
  SYNC_READ_STATUS: (event: Required<IConversationOption> & { timestamp: number }) => void;
  MESSAGE_RECEIPT_REQUEST: (event: { conversation: Required<IConversationOption>; messageUId: string; senderUserId: string }) => void;
  MESSAGE_RECEIPT_RESPONSE: (event: { conversation: Required<IConversationOption>; receivedUserId: string; messageUIdList: string[] }) => void;
  MESSAGE_RECEIPT_RESPONSE_V5: (data: ReadReceiptResponseV5[]) => void;
  MESSAGE_DELIVERED: (event: { conversation: Required<IConversationOption>; deliveredUserId: string; messageUIdList: string[]; deliveredTime: number }) => void;
  [event: string]: (...args: any[]) => void;
}

export declare function init(options: IInitOption): void;
export declare function connect(token: string): Promise<RCResult<{ userId: string }>>;
export declare function disconnect(): Promise<RCResult>;
export declare function getConnectionStatus(): ConnectionStatus;
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
export declare function getRemoteHistoryMessages(conversation: IConversationOption, options?: IGetHistoryMessageOption): Promise<RCResult<{ list: IAReceivedMessage[]; hasMore: boolean }>>;
export declare function getConversationList(): Promise<RCResult<IAReceivedConversation[]>>;
export declare function getUnreadCount(conversation: IConversationOption): Promise<RCResult<number>>;
export declare function getTotalUnreadCount(): Promise<RCResult<number>>;
export declare function clearMessagesUnreadStatus(conversation: IConversationOption): Promise<RCResult>;

/** Private chats: the peer gets READ_RECEIPT_RECEIVED; messages up to messageUId count as read. */
export declare function sendReadReceiptMessage(targetId: string, messageUId: string, timestamp: number, channelId?: string): Promise<RCResult>;
/** Group chats: only the message's sender may ask. */
export declare function sendReadReceiptRequest(targetId: string, messageUId: string, channelId?: string): Promise<RCResult>;
/** Without messageList the SDK answers every cached request of the group (latest 30, 24 h). */
export declare function sendReadReceiptResponseV2(targetId: string, messageList?: { [senderUserId: string]: string[] } | null, channelId?: string): Promise<RCResult>;
export declare function sendReadReceiptResponseV5(conversation: IConversationOption, messageUIds: string[]): Promise<RCResult>;
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
export interface IUploadFileInfo { url: string; name: string; downloadUrl: string; uniqueName: string; size: number; type: string }
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
export declare function sendFileMessage(conversation: IConversationOption, msgBody: ISendBody, hooks?: IUploadHooks, sendOptions?: IUploadMessageOption): Promise<RCResult<IAReceivedMessage>>;
/** The thumbnail (content) is made in the browser: JPEG base64 without a data-URI prefix, longest side ≤ 240 px, ≤ 10 KB. */
export declare function sendImageMessage(conversation: IConversationOption, msgBody: ISendBody, hooks?: IUploadHooks, sendOptions?: IUploadMessageOption): Promise<RCResult<IAReceivedMessage>>;
export declare function sendGIFMessage(conversation: IConversationOption, msgBody: ISendBody, hooks?: IUploadHooks, sendOptions?: IUploadMessageOption): Promise<RCResult<IAReceivedMessage>>;
/** The duration is read from the audio. */
export declare function sendHQVoiceMessage(conversation: IConversationOption, msgBody: ISendBody, hooks?: IUploadHooks, sendOptions?: IUploadMessageOption): Promise<RCResult<IAReceivedMessage>>;
export declare function sendSightMessage(conversation: IConversationOption, msgBody: ISendSightMessageOptions, hooks?: IUploadHooks, sendOptions?: IUploadMessageOption): Promise<RCResult<IAReceivedMessage>>;
