// imwasm/nim: NetEase Yunxin's Web SDK (nim-web-sdk-ng, the nim.msg /
// nim.session surface seed 004 documents) over imwasm. docs/migration.md
// lists what is provided and what is not yet.

/** superTeam: an ultra group's default channel (made by the app server). */
export type TMsgScene = 'p2p' | 'team' | 'superTeam';
export type TMsgType = 'text' | 'image' | 'audio' | 'video' | 'file' | 'geo' | 'custom' | 'tip' | 'notification';
export type TMsgStatus = 'sending' | 'sent' | 'sendFailed' | 'read' | 'unread' | 'receipt' | 'refused' | 'deleted';

export interface NIMInitializeOptions {
  appkey: string;
  /** imwasm: an imwasm token whose sub is account, from the app backend. */
  account: string;
  token: string;
  /** The imwasm server: host[:port] (wss), ws(s)://… or http(s)://… */
  linkUrl: string;
  debugLevel?: string;
  /** imwasm's: ms before a send without an answer fails (default 10,000). */
  sendTimeout?: number;
  [key: string]: any;
}

export interface IMMessage {
  scene: TMsgScene;
  /** 'p2p-<account>' or 'team-<teamId>'. */
  sessionId: string;
  target: string;
  from: string;
  to: string;
  flow: 'in' | 'out';
  time: number;
  userUpdateTime: number;
  type: TMsgType;
  body: string;
  /**
   * A notification's (type 'notification', a team's change): attach.type (addTeamMembers, passTeamApply — a join
   * the joiner made —, removeTeamMembers, leaveTeam, addTeamManagers, removeTeamManagers, transferTeam,
   * updateTeam, updateTeamMemberMute, dismissTeam), attach.team, attach.account or attach.accounts.
   */
  attach?: { [key: string]: any };
  /** As sent (needPush false: no push); absent when sent with none. */
  pushInfo?: TMsgPushInfo;
  /** The same on the sender and every receiver. */
  idClient: string;
  idServer?: string;
  status: TMsgStatus;
  ext?: string;
  feature: string;
  teamSpecializationInfo?: { needACK?: boolean; isACKSent: boolean; ackSnapshot: number };
}

/** Upload results: url, name, ext, size, md5; w and h for images; dur (ms) for audio and video. */
export interface UploadFileResult { url: string; name: string; ext: string; size: number; md5: string; w?: number; h?: number; dur?: number }

/** needPush false: no push; pushContent: the push's text; pushPayload: its data. */
export interface TMsgPushInfo { needPush?: boolean; pushContent?: string; pushPayload?: string }
export interface ISendMsgOptions {
  scene: TMsgScene;
  to: string;
  /** Send under this idClient (1-64 of [A-Za-z0-9_.@-]). */
  idClient?: string;
  ext?: string;
  teamSpecializationInfo?: { needACK?: boolean };
  pushInfo?: TMsgPushInfo;
  onSendBefore?: (msg: IMMessage) => void;
}
export interface ISendFileOptions extends ISendMsgOptions {
  file: File | Blob;
  onUploadStart?: (task: { abort(): void }) => void;
  onUploadProgress?: (progress: { total: number; loaded: number; percentage: number; percentageText: string }) => void;
  onUploadDone?: (file: UploadFileResult) => void;
}
export interface TeamMsgReceiptQuery { teamId: string; idServer: string; idClient?: string }
export interface TeamMsgReceipt { teamId: string; idServer: string; idClient: string; read: number; unread: number; account: string }
export interface P2pMsgReceipt { sessionId: string; idClient: string; msgReceiptTime: number }
/** What the recall's sysMsg says of the recalled message (fromNick: '', imwasm's messages carry no nick). */
export interface TSysMsgRecallMsgInfo { idClient: string; idServer: string; createTime: number; fromNick: string; opeAccount?: string }
/**
 * recallMsg*: from is who recalled, content the ps. applyTeam (to the owner and managers: from the applicant),
 * rejectTeamApply (to the applicant), teamInvite (to the invitee: from the inviter), rejectTeamInvite (to the
 * inviter: from the invitee), each with to the teamId and content the ps; their idServer is ''.
 */
export interface SystemMessage { type: 'recallMsgP2p' | 'recallMsgTeam' | 'recallMsgSuperTeam' | 'applyTeam' | 'rejectTeamApply' | 'teamInvite' | 'rejectTeamInvite';
  from: string; to: string; time: number; idServer: string; content: string; attach: { [key: string]: any }; state?: 'init';
  /** default; leave: a recall that came with the connection's sync. */
  feature: 'default' | 'leave' | 'roam'; opeAccount?: string; recallMessageInfo?: TSysMsgRecallMsgInfo }
export interface SyncMsgsResult { sessionId: string; timetag: number; msgs: IMMessage[] }

/** Errors: { code, message } (NIM's codes: 802 no permission, 803 no such team, 804 not in the team, 809 already in it, 812 muted, …); a failed send carries msg with status sendFailed (or refused). */
export interface NIMError extends Error { code: number; message: string; msg?: IMMessage }

export interface MsgServiceInterface {
  sendTextMsg(options: ISendMsgOptions & { body: string }): Promise<IMMessage>;
  sendTipMsg(options: ISendMsgOptions & { body: string }): Promise<IMMessage>;
  /** attach: a JSON string (or an object). */
  sendCustomMsg(options: ISendMsgOptions & { attach: string | object; body?: string }): Promise<IMMessage>;
  sendGeoLocationMsg(options: ISendMsgOptions & { attach: { lng: number; lat: number; title: string } }): Promise<IMMessage>;
  sendImageMsg(options: ISendFileOptions): Promise<IMMessage>;
  sendAudioMsg(options: ISendFileOptions): Promise<IMMessage>;
  sendVideoMsg(options: ISendFileOptions): Promise<IMMessage>;
  sendFileMsg(options: ISendFileOptions): Promise<IMMessage>;
  /** Sends msg again under its idClient: the receiver gets it once. */
  resendMsg(options: { msg: IMMessage; [key: string]: any }): Promise<IMMessage>;
  forwardMsg(options: { scene: TMsgScene; to: string; msg: IMMessage }): Promise<IMMessage>;
  /** The other side gets sysMsg recallMsgP2p / recallMsgTeam with ps as content. */
  recallMsg(options: { msg: IMMessage; ps?: string }): Promise<IMMessage>;
  /** p2p: moves the reader's read time to msg (every device) and tells its sender (msgReceipts). */
  sendMsgReceipt(options: { msg: IMMessage }): Promise<{ to: string; idClient: string; time: number }>;
  sendTeamMsgReceipt(options: { teamMsgReceipts: TeamMsgReceiptQuery[] }): Promise<void>;
  /** Messages sent without needACK are left out of the answer. */
  getTeamMsgReads(options: { teamMsgReceipts: TeamMsgReceiptQuery[] }): Promise<Omit<TeamMsgReceipt, 'account'>[]>;
  /** 414 for a message sent without needACK. */
  getTeamMsgReadAccounts(options: { teamMsgReceipt: TeamMsgReceiptQuery }): Promise<{ readAccounts: string[]; unreadAccounts: string[]; teamMsgReceipt: { teamId: string; idClient: string } }>;
  /** The sender edits body, attach or ext within the recall window (event modifyMsg everywhere). */
  modifyMsg(options: { msg: IMMessage; body?: string; attach?: string | object; ext?: string }): Promise<IMMessage>;
}

export type TeamJoinMode = 'noVerify' | 'needVerify' | 'rejectAll';
export interface Team { teamId: string; type: 'normal' | 'advanced'; name: string; avatar: string; intro: string; announcement: string; ext: string; owner: string;
  memberNum: number; createTime: number; updateTime: number; joinMode: TeamJoinMode; inviteMode: 'manager' | 'all'; updateTeamMode: 'manager' | 'all';
  beInviteMode: 'needVerify' | 'noVerify'; updateExtMode: 'manager' | 'all'; mute: boolean; muteType: string; valid: boolean; validToCurrentUser: boolean; level: number; memberUpdateTime: number }
export interface TeamMember { id: string; teamId: string; account: string; type: 'normal' | 'owner' | 'manager'; nickInTeam: string; joinTime: number; updateTime: number; active: boolean; valid: boolean; mute?: boolean }
type TeamModes = Partial<Pick<Team, 'name' | 'avatar' | 'intro' | 'announcement' | 'ext' | 'joinMode' | 'inviteMode' | 'updateTeamMode' | 'beInviteMode'>>;
export interface TeamServiceInterface {
  /** The module names the team (teamId). */
  createTeam(options: TeamModes & { type: 'normal' | 'advanced'; name: string; accounts?: string[]; ps?: string }): Promise<Team>;
  getTeamInfo(options: { teamId: string }): Promise<Team>;
  getTeams(): Promise<Team[]>;
  updateTeamInfo(options: TeamModes & { teamId: string }): Promise<Partial<Team>>;
  getTeamMembers(options: { teamId: string; accounts?: string[] }): Promise<TeamMember[]>;
  dismissTeam(options: { teamId: string }): Promise<void>;
  leaveTeam(options: { teamId: string }): Promise<void>;
  transferTeam(options: { teamId: string; account: string; leave: boolean }): Promise<void>;
  addTeamMembers(options: { teamId: string; accounts: string[]; ps?: string }): Promise<void>;
  removeTeamMembers(options: { teamId: string; accounts: string[] }): Promise<void>;
  addTeamManagers(options: { teamId: string; accounts: string[] }): Promise<void>;
  removeTeamManagers(options: { teamId: string; accounts: string[] }): Promise<void>;
  /** The Team, joined (noVerify) or applied to (needVerify: its owner and managers get sysMsg applyTeam). */
  applyTeam(options: { teamId: string; ps?: string }): Promise<Team>;
  passTeamApply(options: { teamId: string; from: string }): Promise<void>;
  rejectTeamApply(options: { teamId: string; from: string; ps?: string }): Promise<void>;
  acceptTeamInvite(options: { teamId: string; from: string }): Promise<void>;
  rejectTeamInvite(options: { teamId: string; from: string; ps?: string }): Promise<void>;
  muteTeamMember(options: { teamId: string; account: string; mute: boolean }): Promise<void>;
  muteTeam(options: { teamId: string; mute: boolean }): Promise<void>;
}
export interface UserNameCard { account: string; nick: string; avatar: string; signature: string; gender: 'unknown' | 'male' | 'female'; email: string; birth: string; tel: string; ext: string; createTime: number; updateTime: number }
/** createTime and updateTime: 0 for the blacklist (imwasm keeps no time); a mute's last change. */
export interface MarkedUserInfo { account: string; isBlack?: boolean; isMuted?: boolean; createTime: number; updateTime: number }
export interface UserServiceInterface {
  /** The blacklist: a blocked user's message to this user fails with 7101 (status refused). */
  setBlack(options: { account: string; isAdd: boolean }): Promise<void>;
  /** The mute list: the p2p session's notifications off (on) on all the user's devices; they get updateMuteList. */
  setMute(options: { account: string; isAdd: boolean }): Promise<void>;
  getBlackList(): Promise<MarkedUserInfo[]>;
  /** The muted users the user has a session with. */
  getMuteList(): Promise<MarkedUserInfo[]>;
  getRelations(): Promise<{ blackList: MarkedUserInfo[]; muteList: MarkedUserInfo[] }>;
  getUsersNameCardFromServer(options: { accounts: string[] }): Promise<UserNameCard[]>;
  updateMyNameCard(options: Partial<Omit<UserNameCard, 'account' | 'createTime' | 'updateTime'>>): Promise<UserNameCard>;
}
export interface FriendProfile { account: string; alias: string; ext: string; createTime: number; updateTime: number; valid: boolean }
export interface FriendServiceInterface {
  getFriends(): Promise<FriendProfile[]>;
  /** Where the other side verifies requests (imwasm's default) a request: valid false until accepted. */
  addFriend(options: { account: string; ps?: string }): Promise<FriendProfile>;
  applyFriend(options: { account: string; ps?: string }): Promise<void>;
  passFriendApply(options: { account: string }): Promise<void>;
  rejectFriendApply(options: { account: string }): Promise<void>;
  deleteFriend(options: { account: string }): Promise<void>;
  updateFriend(options: { account: string; alias?: string; ext?: string }): Promise<void>;
}
/** lastMsg null: the last message was recalled; msgReceiptTime (p2p): how far the peer has read, once told. */
export interface Session { id: string; scene: TMsgScene; to: string; unread: number; lastMsg: IMMessage | null; updateTime: number; msgReceiptTime?: number;
  stickTopInfo?: { id: string; isStickOnTop: boolean; ext: string; createTime: number; updateTime: number } }
export interface SessionServiceInterface {
  /** From the list the engine last gave (the sessions event, before syncdone; then kept by updateSession). */
  getSession(options: { id: string }): Session | undefined;
  /** desc (default): limit (100) sessions older than lastSessionId, newest first; desc false: newer than it (from the oldest without one), oldest first. */
  getSessions(options: { limit?: number; lastSessionId?: string; desc?: boolean }): Session[];
  getAllSessions(): Session[];
  /** The user's read time moves to the latest on every device; nobody is told. */
  resetSessionUnread(sessionId: string): Promise<void>;
  resetSessionUnreadCount(options: { id: string }): Promise<void>;
  resetMultiSessionUnreadCount(options: { ids: string[] }): Promise<void>;
  resetAllSessionsUnreadCount(): Promise<void>;
  deleteSession(options: { id: string; isSyncToServer: boolean }): Promise<void>;
  addStickTopSession(options: { id: string; ext?: string }): Promise<Partial<Session> & { id: string }>;
  deleteStickTopSession(options: { id: string }): Promise<Partial<Session> & { id: string }>;
}

export interface IMEventInterface {
  /** connectionId, ip and port: '' (imwasm tells none); account: imwasm's. */
  logined: (res: { connectionId: string; ip: string; port: string; account: string }) => void;
  willReconnect: (res: { retryCount: number; duration: number }) => void;
  /** On disconnect() and the first drop of a signed-in connection (then willReconnect); never for a kick. */
  disconnect: (res: { code: number }) => void;
  /** samePlatformKick: the app server's kick or a session beyond the limit; serverKick: blocked. No clientType (imwasm does not tell). */
  kicked: (res: { reason: 'samePlatformKick' | 'serverKick'; message: string; customClientType: number }) => void;
  updateMyNameCard: (card: UserNameCard) => void;
  updateMuteList: (res: { account: string; isAdd: boolean }) => void;
  syncFriend: (res: { type: 'updateFriend'; account: string; friend: Partial<FriendProfile> }) => void;
  msg: (msg: IMMessage) => void;
  syncOfflineMsgs: (res: SyncMsgsResult) => void;
  syncRoamingMsgs: (res: SyncMsgsResult) => void;
  syncdone: () => void;
  msgReceipts: (receipts: TeamMsgReceipt[] | P2pMsgReceipt[]) => void;
  teamMsgReceipts: (receipts: TeamMsgReceipt[]) => void;
  sysMsg: (msg: SystemMessage) => void;
  modifyMsg: (msg: IMMessage) => void;
  sessions: (sessions: Session[]) => void;
  updateSession: (session: Session) => void;
  addTeamMembers: (res: { team: Partial<Team>; accounts: string[]; members: Partial<TeamMember>[] }) => void;
  removeTeamMembers: (res: { team: Partial<Team>; accounts: string[] }) => void;
  updateTeamManagers: (res: { team: Partial<Team>; accounts: string[]; isManager: boolean; members: Partial<TeamMember>[] }) => void;
  transferTeam: (res: { team: Partial<Team>; from: Partial<TeamMember>; to: Partial<TeamMember> }) => void;
  dismissTeam: (res: { teamId: string }) => void;
  updateTeam: (team: Partial<Team>) => void;
  updateTeamMembersMute: (res: { team: Partial<Team>; accounts: string[]; members: Partial<TeamMember>[]; mute: boolean }) => void;
}

export default class NIMSDK {
  constructor(options: NIMInitializeOptions);
  static getInstance(options: NIMInitializeOptions): NIMSDK;
  options: NIMInitializeOptions;
  account: string;
  msg: MsgServiceInterface;
  msgLog: {
    /** Newest first from endTime (reverse: oldest first from beginTime); limit ≤ 100; asc orders the answer oldest first. */
    getHistoryMsgs(options: { scene: TMsgScene; to: string; beginTime?: number; endTime?: number; lastMsgId?: string; limit?: number; reverse?: boolean; asc?: boolean; msgTypes?: TMsgType[] }): Promise<IMMessage[]>;
  };
  session: SessionServiceInterface;
  team: TeamServiceInterface;
  user: UserServiceInterface;
  friend: FriendServiceInterface;
  connect(): Promise<void>;
  /** For the next connection; a token given while connected is handed to the session (the engine's reconnects use it). */
  setOptions(options: Partial<NIMInitializeOptions>): void;
  disconnect(): Promise<void>;
  on<K extends keyof IMEventInterface>(name: K, fn: IMEventInterface[K]): void;
  on(name: string, fn: (...args: any[]) => void): void;
  off(name: string, fn?: (...args: any[]) => void): void;
  shape(message: any, status?: TMsgStatus): IMMessage;
}
export { NIMSDK };
