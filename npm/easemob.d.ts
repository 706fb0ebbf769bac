// imwasm/easemob: Easemob Web SDK 4.x's names and shapes over imwasm (the
// part provided so far: the connection, text, custom and cmd messages, the
// server's and delivery acks). docs/migration.md lists the rest.

export declare const statusCode: {
  readonly REQUEST_SUCCESS: 0; readonly REQUEST_TIMEOUT: -1; readonly REQUEST_UNKNOWN: -2; readonly REQUEST_PARAMETER_ERROR: -3;
  readonly WEBIM_CONNCTION_OPEN_ERROR: 1; readonly WEBIM_CONNCTION_AUTH_ERROR: 2; readonly WEBIM_CONNCTION_DISCONNECTED: 16;
  readonly WEBIM_CONNCTION_APPKEY_NOT_ASSIGN_ERROR: 27; readonly WEBIM_CONNCTION_TOKEN_NOT_ASSIGN_ERROR: 28;
  readonly WEBIM_CONNCTION_CLIENT_OFFLINE: 32; readonly WEBIM_CONNECTION_CLOSED: 39; readonly MAX_LIMIT: 50;
  readonly MESSAGE_NOT_FOUND: 51; readonly NO_PERMISSION: 52; readonly OPERATION_UNSUPPORTED: 53; readonly WEBIM_TOKEN_EXPIRED: 56;
  readonly MESSAGE_PARAMETER_ERROR: 205; readonly WEBIM_CONNCTION_USER_LOGIN_ANOTHER_DEVICE: 206; readonly USER_MUTED_BY_ADMIN: 219;
  readonly MESSAGE_SEND_TIMEOUT: 512; readonly SERVICE_NOT_ENABLED: 505; readonly PERMISSION_DENIED: 603;
  readonly MESSAGE_CURRENT_LIMITING: 509; readonly MESSAGE_WEBSOCKET_DISCONNECTED: 510; readonly MESSAGE_EXTERNAL_LOGIC_BLOCKED: 508;
  readonly USER_NOT_FRIEND: 221; readonly MESSAGE_RECALL_TIME_LIMIT: 504; readonly GROUP_NOT_JOINED: 605;
};

export type ChatType = 'singleChat' | 'groupChat';

export interface ErrorEvent { type: number; message: string; data?: any }

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
export type MessageBody = TextMsgBody | CustomMsgBody | CmdMsgBody;

export interface SendMsgResult { localMsgId: string; serverMsgId: string; message?: MessageBody }
export interface ReceivedMsgBody { id: string; mid: string; to: string; from?: string; time?: number }
export interface DeliveryMsgBody { mid: string; from: string; to: string; chatType?: ChatType }

export interface EventHandlerType {
  onConnected?: () => void;
  onDisconnected?: (e?: ErrorEvent & { code?: number }) => void;
  onTokenExpired?: () => void;
  onTextMessage?: (msg: TextMsgBody) => void;
  onCustomMessage?: (msg: CustomMsgBody) => void;
  onCmdMessage?: (msg: CmdMsgBody) => void;
  onReceivedMessage?: (msg: ReceivedMsgBody) => void;
  onDeliveredMessage?: (msg: DeliveryMsgBody) => void;
  [key: string]: any;
}

export interface CreateMsgOptions {
  type: 'txt' | 'custom' | 'cmd';
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
  close(): void;
  addEventHandler(id: string, handlers: EventHandlerType): void;
  removeEventHandler(id: string): void;
  send(msg: MessageBody): Promise<SendMsgResult>;
}

export declare const message: { create(options: CreateMsgOptions): MessageBody };

declare const websdk: { connection: typeof connection; message: typeof message; statusCode: typeof statusCode };
export default websdk;
