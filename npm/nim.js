// imwasm/nim: NetEase Yunxin's Web SDK (nim-web-sdk-ng, the nim.msg /
// nim.session surface seed 004 documents) over the same engine as imwasm's
// RongIMLib API, so its code runs against a self-hosted imwasm server:
// `import NIMSDK from 'imwasm/nim'`. A thin adapter: every call goes to the
// functions of index.js (and so to the Go engine); what it keeps is the
// event handlers, the messages of a connection's sync until they are
// sorted into offline and roaming ones, and the session list the engine
// last gave (NIM's getSession and getSessions answer synchronously).
// docs/migration.md lists what is provided and what is not yet.

import * as im from './index.js';

const P2P = im.ConversationType.PRIVATE;
const TEAM = im.ConversationType.GROUP;
// A super team is an ultra group's default channel (channelId ''): stored
// once, counted from the member's read position, whatever its size.
const SUPER = im.ConversationType.ULTRA_GROUP;
const sceneOf = (t) => ({ [TEAM]: 'team', [SUPER]: 'superTeam' })[t] ?? 'p2p';
// NIM's scenes are p2p, team and superTeam; chat rooms are its other SDK,
// and an ultra group's other channels have no NIM form.
const nimConv = (c) => c.conversationType === P2P || c.conversationType === TEAM || (c.conversationType === SUPER && !c.channelId);

// NIM's codes for the engine's (RongIMLib's): one table.
const codeMap = new Map([
  // INVALID_PARAMETER_*: parameter errors, as 33003 (but 34204 below: 404).
  ...Object.entries(im.ErrorCode).filter(([k]) => k.startsWith('INVALID_PARAMETER_')).map(([, v]) => [v, 414]),
  [im.ErrorCode.SEND_FREQUENCY_TOO_FAST, 416],
  [im.ErrorCode.RECALL_MESSAGE, 508],
  [im.ErrorCode.BIZ_ERROR_INVALID_PARAMETER, 414],
  // A receipt query of a message sent without needACK: NIM's 414.
  [im.ErrorCode.SERVICE_RRSV5_MESSAGE_RECEIPT_NEEDLESS, 414],
  [im.ErrorCode.RC_MSG_RESP_TIMEOUT, 408],
  [im.ErrorCode.SERVICE_RRSV5_MESSAGE_SENDER_MISMATCH, 403],
  [im.ErrorCode.RECALL_MESSAGE_USER_INVALID, 403],
  [im.ErrorCode.INVALID_PARAMETER_MESSAGE_ID, 404],
  [im.ErrorCode.SERVICE_RRSV5_MESSAGE_NOT_EXIST, 404],
  [im.ErrorCode.NOT_IN_GROUP, 804],
  [im.ErrorCode.RC_GROUP_USER_NOT_IN_GROUP, 804],
  [im.ErrorCode.NOT_IN_ULTRA_GROUP, 804],
  [im.ErrorCode.ULTRA_GROUP_NOT_EXIST, 803],
  // NIM's team codes (its SDK's table: 801 full, 802 no permission, 803
  // no such team, 809 already in the team, 812 muted, 815 managers limit).
  [im.ErrorCode.RC_GROUP_ID_NOT_EXIST, 803],
  [im.ErrorCode.RC_GROUP_AUTHORITY_ERROR, 802],
  [im.ErrorCode.RC_GROUP_ILLEGAL_ERROR, 802],
  [im.ErrorCode.RC_GROUP_NO_INVITE_PERMISSION, 802],
  [im.ErrorCode.RC_GROUP_OWNER_NOT_ALLOW_QUIT_OR_KICK, 802],
  [im.ErrorCode.RC_GROUP_NOT_ALLOW_JOIN, 802],
  [im.ErrorCode.RC_GROUP_MEMBERS_ALREADY_IN_GROUP, 809],
  [im.ErrorCode.RC_GROUP_MEMBERS_COUNT_EXCEED_LIMIT, 801],
  [im.ErrorCode.RC_GROUP_MANAGER_OR_FOLLOW_COUNT_EXCEED_LIMIT, 815],
  [im.ErrorCode.FORBIDDEN_IN_GROUP, 812],
  [im.ErrorCode.FORBIDDEN_IN_ULTRA_GROUP, 812],
  [im.ErrorCode.SERVICE_RRSV5_UNAVAILABLE, 814],
  [im.ErrorCode.REJECTED_BY_BLACKLIST, 7101],
  // NIM's 7101 "be pulled black" for a friend request either way across a
  // block; 404 for a request that is not there.
  [im.ErrorCode.RC_FRIEND_IN_OTHER_BLACK_LIST, 7101],
  [im.ErrorCode.RC_FRIEND_IN_MY_BLACK_LIST, 7101],
  [im.ErrorCode.RC_FRIEND_APPLICATION_NOT_EXIST, 404],
  [im.ErrorCode.RC_CONN_TOKEN_INCORRECT, 302],
  [im.ErrorCode.RC_CONN_TOKEN_EXPIRED, 302],
  [im.ErrorCode.RC_CONN_USER_BLOCKED, 422], // NIM's "account banned"
  [im.ErrorCode.RC_NET_CHANNEL_INVALID, 415],
]);

// NIMError is how this module fails: { code, message } (and msg for a send).
class NIMError extends Error {
  constructor(code, message, extra) {
    super(message);
    Object.assign(this, { name: 'NIMError', code }, extra);
  }
}
const failure = (res, extra) => new NIMError(codeMap.get(res.code) ?? res.code, res.msg || `imwasm error ${res.code}`, { imwasmCode: res.code, ...extra });
// sendFailure is a failed send's error. The server answers a send to a
// team with NOT_IN_GROUP whether or not the team exists; NIM tells 803 (no
// such team) from 804 (not in the team), so the module asks which.
async function sendFailure(conversation, res, extra) {
  const e = failure(res, extra);
  if (conversation.conversationType === TEAM && res.code === im.ErrorCode.NOT_IN_GROUP) {
    const info = await im.getGroupsInfo([conversation.targetId]);
    if (info.code === 0 && !info.data.length) Object.assign(e, { code: 803, message: 'no such team' });
  }
  return e;
}
const bad = (message) => new NIMError(414, message);
// json is v's JSON text (a BigInt or a cycle: 414).
const json = (v) => { try { return JSON.stringify(v); } catch { throw bad('attach must be JSON'); } };
const ok = async (p) => {
  const res = await p;
  if (res.code !== 0) throw failure(res);
  return res.data;
};

// convOf reads NIM's (scene, to), or a sessionId 'p2p-bob' / 'team-42' /
// 'superTeam-7'.
function convOf(scene, to) {
  const conversationType = { p2p: P2P, team: TEAM, superTeam: SUPER }[scene];
  if (conversationType === undefined || typeof to !== 'string' || !to) throw bad('scene (p2p, team or superTeam) and to are required');
  return conversationType === SUPER ? { conversationType, targetId: to, channelId: '' } : { conversationType, targetId: to };
}
const sessionConv = (id) => convOf(String(id).split('-', 1)[0], String(id).slice(String(id).indexOf('-') + 1));

// NIM's message types that RongIMLib has no class for travel as these.
const TIP = 'NIM:TipMsg';
const CUSTOM = 'NIM:CustomMsg';
// historyRounds bounds the server pages one getHistoryMsgs asks for.
const historyRounds = 25;
// objectNamesOf: the message types each of NIM's msgTypes is (shape's inverse).
const objectNamesOf = {
  text: ['RC:TxtMsg'], tip: [TIP], custom: [CUSTOM], geo: ['RC:LBSMsg'], image: ['RC:ImgMsg'], file: ['RC:FileMsg'],
  audio: ['RC:HQVCMsg'], video: ['RC:SightMsg'], notification: ['RC:GrpNtf'],
};
let TipMessage, CustomMessage;

const extOf = (name) => (/\.([^./]+)$/.exec(name || '')?.[1] ?? '').toLowerCase();
const parse = (s) => { try { return JSON.parse(s); } catch { return s; } };

let current = null;

export default class NIMSDK {
  #handlers = new Map();
  #offline = null; // the first sync's messages, until it is done
  #connected = false;
  #leaving = false; // disconnect() of a signed-in session: its DISCONNECT is told
  #dropped = false; // the connection dropped (disconnect told) and is not back yet
  #retries = 0; // the engine's attempts since it dropped
  #sessions = new Map(); // id → Session, as the engine last listed them

  // getInstance gives this page's instance (one engine per page).
  static getInstance(options) { return current ?? new NIMSDK(options); }

  constructor(options) {
    if (!options?.appkey) throw bad('appkey is required');
    current?.#unlisten();
    current = this;
    this.options = { ...options };
    this.account = options.account;
    const link = String(options.linkUrl ?? '');
    const url = /^(https?|wss?):\/\//.test(link) ? link.replace(/^ws(s?):/, 'http$1:') : link && 'https://' + link;
    im.init({ appkey: options.appkey, serverUrl: url.replace(/\/+$/, ''), logLevel: options.debugLevel === 'debug' ? 'debug' : 'error',
      ...(options.sendTimeout && { sendTimeout: options.sendTimeout }) });
    TipMessage = im.registerMessageType(TIP, true, false);
    CustomMessage = im.registerMessageType(CUSTOM, true, true);
    this.#listen();
    this.msg = new MsgService(this, (c) => this.#touched(c));
    this.session = sessionService(this.#sessions);
    this.team = teamService();
    this.user = userService();
    this.friend = friendService();
    this.msgLog = {
      // A session's history from endTime back (reverse: from beginTime on),
      // up to 100, newest first (asc: oldest first); status tells receipts
      // and reads.
      // getHistoryMsgs: the server's history between beginTime and endTime
      // (both inclusive; the one at lastMsgId's end is left out: the
      // message already had), from endTime back, or with reverse from
      // beginTime on; msgTypes narrows it on the server.
      getHistoryMsgs: async (o) => {
        const up = !!o?.reverse;
        const begin = o?.beginTime ?? 0;
        const end = o?.endTime ?? 0;
        const start = up ? (begin > 0 ? (o.lastMsgId ? begin : begin - 1) : 0) : (end > 0 ? (o.lastMsgId ? end : end + 1) : 0);
        const objectNames = o?.msgTypes?.length ? o.msgTypes.flatMap((t) => objectNamesOf[t] ?? []) : undefined;
        if (objectNames && !objectNames.length) return [];
        // The server examines a bounded stretch a page, and recalls are
        // left out here: asked again from where it stopped until the page
        // is full or the history ends.
        const limit = Math.min(o?.limit ?? 100, 100);
        if (!Number.isInteger(limit) || limit < 1) throw bad('limit: 1-100');
        const msgs = [];
        for (let round = 0, timestamp = start; round < historyRounds && msgs.length < limit; round++) {
          const res = await ok(im.getRemoteHistoryMessages(convOf(o?.scene, o?.to), {
            timestamp, count: limit - msgs.length, order: up ? 1 : 0,
            ...(objectNames && { objectNames }), ...((up ? end : begin) > 0 && { boundTimestamp: up ? end : begin }),
          }));
          msgs.push(...res.list.filter((m) => m.messageType !== im.MessageType.RECALL_NOTIFICATION).map((m) => this.shape(m)));
          if (!res.hasMore || !res.nextTimestamp) break; // (an older server tells no next_timestamp)
          timestamp = res.nextTimestamp;
        }
        return msgs.sort((a, b) => (o?.asc ? a.time - b.time : b.time - a.time));
      },
    };
  }

  on(name, fn) {
    if (!this.#handlers.has(name)) this.#handlers.set(name, new Set());
    this.#handlers.get(name).add(fn);
  }
  off(name, fn) { fn ? this.#handlers.get(name)?.delete(fn) : this.#handlers.delete(name); }
  emit(name, ...args) {
    for (const fn of this.#handlers.get(name) ?? []) {
      try { fn(...args); } catch (e) { console.error('[imwasm/nim]', name, e); }
    }
  }

  // connect signs in with options.token, an imwasm token for options.account.
  async connect() {
    if (!this.options.token) throw bad('token is required: an imwasm token from the app backend (POST /v1/users/{id}/token)');
    this.#offline ??= new Map();
    const data = await ok(im.connect(this.options.token));
    if (data.userId !== this.account) {
      im.disconnect();
      throw new NIMError(302, 'the token is not for this account');
    }
  }

  // setOptions(options): NIM's, for the next connection (a dynamic token
  // set in willReconnect). A new token of a signed-in session goes to the
  // engine at once, so its own reconnects use it: connected, handed to the
  // session (renewToken, checked by the server); dropped, the next attempt's
  // (connect). appkey and linkUrl are init's and stay.
  setOptions(options) {
    if (!options || typeof options !== 'object') throw bad('options must be an object');
    const { appkey, linkUrl, ...rest } = options;
    const token = rest.token;
    Object.assign(this.options, rest);
    if (rest.account) this.account = rest.account;
    if (typeof token === 'string' && token && (this.#connected || this.#dropped)) {
      (this.#dropped ? im.connect(token) : im.renewToken(token)).then((res) => {
        if (res.code !== 0) console.error('[imwasm/nim] setOptions: the new token was refused', res.code, res.msg);
      });
    }
  }

  // disconnect answers once the connection is closed (the instance stays).
  async disconnect() {
    this.#leaving = this.#connected;
    this.#connected = false;
    await im.disconnect();
  }

  #listening = [];
  #listen() {
    const on = (name, fn) => { im.addEventListener(name, fn); this.#listening.push([name, fn]); };
    // logined: NIM's V1NIMLoginServiceLoginResult (connectionId, ip and
    // port, which the engine does not tell: ''), and imwasm's account.
    on(im.Events.CONNECTED, () => {
      if (im.getCurrentUserId() !== this.account) return; // connect refuses it
      this.#connected = true;
      this.#dropped = false;
      this.#retries = 0;
      this.emit('logined', { connectionId: '', ip: '', port: '', account: this.account });
    });
    on(im.Events.CONNECTING, () => {
      this.#offline ??= new Map(); // each connection's sync is sorted (a dropped one's buffer kept)
      if (this.#connected) this.emit('willReconnect', { retryCount: ++this.#retries, duration: 0 });
    });
    // A connection that drops while signed in: disconnect (the first time),
    // then willReconnect as the engine tries again.
    on(im.Events.SUSPEND, (code) => {
      if (!this.#connected || this.#dropped) return;
      this.#dropped = true;
      this.emit('disconnect', { code: codeMap.get(code) ?? code });
    });
    // kicked: a session closed by the server (the app server's kick, a
    // newer session beyond the limit: samePlatformKick; a block:
    // serverKick); disconnect for the rest (NIM's is not told of kicks).
    on(im.Events.DISCONNECT, (code) => {
      // A connect that failed is told by its rejection only: disconnect and
      // kicked are for a session that was signed in.
      const was = this.#connected || this.#leaving;
      this.#connected = this.#leaving = false;
      if (!was) return;
      if (code === im.ErrorCode.RC_DISCONN_KICK) this.emit('kicked', { reason: 'samePlatformKick', message: 'signed in elsewhere', customClientType: 0 });
      else if (code === im.ErrorCode.RC_CONN_USER_BLOCKED) this.emit('kicked', { reason: 'serverKick', message: 'blocked by the app server', customClientType: 0 });
      else this.emit('disconnect', { code: codeMap.get(code) ?? code });
    });
    on(im.Events.MESSAGES, ({ messages }) => {
      for (const m of messages) {
        // Chat rooms are NIM's separate SDK: a room the page joined through imwasm is not this one's.
        if (!nimConv(m)) continue;
        if (m.messageType === im.MessageType.RECALL_NOTIFICATION) { this.#recalled(m, this.#offline && m.isOffLineMessage ? 'leave' : 'default'); continue; }
        const msg = this.shape(m);
        if (this.#offline && m.isOffLineMessage) {
          const list = this.#offline.get(msg.sessionId) ?? [];
          list.push(msg);
          this.#offline.set(msg.sessionId, list);
        } else this.emit('msg', msg);
      }
    });
    // What came with the first sync, per session: offline (nobody read
    // it on any device) and roaming (read on another device, or sent there);
    // then the session list (sessions), then syncdone: the sync is complete,
    // and getAllSessions() in its handler has the list.
    on(im.Events.PULL_OFFLINE_MESSAGE_FINISHED, async () => {
      const sessions = this.#offline ?? new Map();
      this.#offline = null;
      for (const [sessionId, msgs] of sessions) {
        const offline = msgs.filter((m) => m.status === 'unread');
        const roaming = msgs.filter((m) => m.status !== 'unread');
        for (const [name, list] of [['syncOfflineMsgs', offline], ['syncRoamingMsgs', roaming]]) {
          if (list.length) this.emit(name, { sessionId, timetag: list[list.length - 1].time, msgs: list });
        }
      }
      const [res, supers] = await Promise.all([im.getAllConversationList(), im.getUltraGroupList()]);
      if (res.code === 0) {
        this.#sessions.clear();
        for (const c of [...res.data, ...(supers.code === 0 ? supers.data : [])]) this.#session(c);
        this.emit('sessions', [...this.#sessions.values()]);
      }
      this.emit('syncdone');
    });
    // A super team's recalls come as the ultra groups' event.
    on(im.Events.ULTRA_GROUP_MESSAGE_RECALLED, (list) => { for (const m of list) if (nimConv(m)) this.#recalled(m); });
    on(im.Events.CONVERSATION, ({ conversationList }) => {
      for (const { conversation, updatedItems } of conversationList) {
        // A p2p conversation's notifications turned off or on elsewhere: the mute list.
        const level = updatedItems?.notificationLevel;
        if (level && conversation.conversationType === P2P) this.emit('updateMuteList', { account: conversation.targetId, isAdd: level.val === NO_PUSH });
        const s = this.#session(conversation);
        if (s) this.emit('updateSession', s);
      }
    });
    // The user's profile changed (on another device): updateMyNameCard.
    on(im.Events.OWN_USER_PROFILE_CHANGED, (p) => this.emit('updateMyNameCard', cardOf({ userId: this.account, ...p })));
    // A friend's alias or ext changed on another device: syncFriend updateFriend.
    on(im.Events.FRIEND_INFO_CHANGED_SYNC, (f) => this.emit('syncFriend', { type: 'updateFriend', account: f.userId,
      friend: { account: f.userId, alias: f.remark ?? '', ext: f.extProfile?.ext ?? '', updateTime: f.operationTime, valid: true } }));
    // Friend requests and deletions as NIM's system messages: friendRequest
    // to the receiver (attach.type applyFriend) and to the applicant when
    // answered (passFriendApply, rejectFriendApply); deleteFriend to the one
    // deleted (syncFriend deleteFriend on the deleter's other devices).
    const FS = im.FriendApplicationStatus;
    on(im.Events.FRIEND_APPLICATION_STATUS_CHANGED, (a) => {
      const type = a.applicationType === im.FriendApplicationType.RECEIVED
        ? (a.applicationStatus === FS.UNHANDLED ? 'applyFriend' : '')
        : ({ [FS.ACCEPTED]: 'passFriendApply', [FS.REFUSED]: 'rejectFriendApply' })[a.applicationStatus] ?? '';
      if (type) this.emit('sysMsg', { type: 'friendRequest', from: a.userId, to: this.account, time: a.operationTime, idServer: '',
        ps: a.extra ?? '', state: 'init', feature: 'default', attach: { type } });
    });
    on(im.Events.FRIEND_DELETE, (e) => {
      for (const id of e.userIds) {
        if (e.operatorId === this.account) this.emit('syncFriend', { type: 'deleteFriend', account: id });
        else this.emit('sysMsg', { type: 'deleteFriend', from: id, to: this.account, time: e.operationTime, idServer: '', state: 'init', feature: 'default' });
      }
    });
    this.#teamEvents(on);
    on(im.Events.MESSAGE_MODIFIED, (list) => { for (const m of list) this.emit('modifyMsg', this.shape(m)); });
    on(im.Events.READ_RECEIPT_RECEIVED, async ({ conversation, messageUId, sentTime, sendUserId }) => {
      if (conversation.conversationType !== P2P) return;
      const held = await im.getMessage(messageUId).catch(() => ({}));
      const sessionId = 'p2p-' + (conversation.targetId || sendUserId);
      this.emit('msgReceipts', [{ sessionId, idClient: held.data?.clientMsgId ?? '', msgReceiptTime: sentTime }]);
      // The session's msgReceiptTime: how far the peer has read.
      const s = this.#sessions.get(sessionId);
      if (s && !(s.msgReceiptTime >= sentTime)) {
        s.msgReceiptTime = sentTime;
        this.emit('updateSession', { ...s });
      }
    });
    on(im.Events.MESSAGE_RECEIPT_RESPONSE_V5, async (list) => {
      const out = [];
      for (const { identifier, messageUId, readCount, unreadCount, users } of list) {
        if (identifier.conversationType !== TEAM) continue;
        const held = await im.getMessage(messageUId).catch(() => ({}));
        for (const u of users) {
          out.push({ teamId: identifier.targetId, idServer: messageUId, idClient: held.data?.clientMsgId ?? '', read: readCount, unread: unreadCount, account: u.userId });
        }
      }
      if (out.length) {
        this.emit('teamMsgReceipts', out);
        this.emit('msgReceipts', out);
      }
    });
  }

  // Team notifications (seed 004's list) from the engine's group events.
  #teamEvents(on) {
    const O = im.GroupOperation;
    const member = (teamId, account, extra) => ({ id: `${teamId}-${account}`, teamId, account, ...extra });
    on(im.Events.GROUP_OPERATION, (e) => {
      const team = { teamId: e.groupId, ...(e.groupInfo?.groupName && { name: e.groupInfo.groupName }) };
      const accounts = (e.memberInfos ?? []).map((m) => m.userId);
      switch (e.operation) {
        case O.JOIN: return this.emit('addTeamMembers', { team, accounts, members: accounts.map((a) => member(e.groupId, a, { type: 'normal' })) });
        case O.KICK: case O.QUIT: return this.emit('removeTeamMembers', { team, accounts });
        case O.DISMISS: return this.emit('dismissTeam', { teamId: e.groupId });
        case O.ADD_MANAGER: case O.REMOVE_MANAGER: {
          const isManager = e.operation === O.ADD_MANAGER;
          return this.emit('updateTeamManagers', { team, accounts, isManager, members: accounts.map((a) => member(e.groupId, a, { type: isManager ? 'manager' : 'normal' })) });
        }
        case O.TRANSFER_GROUP_OWNER: {
          const from = e.operatorInfo?.userId ?? '';
          return this.emit('transferTeam', { team: { ...team, owner: accounts[0] }, from: member(e.groupId, from, { type: 'normal' }), to: member(e.groupId, accounts[0], { type: 'owner' }) });
        }
      }
    });
    on(im.Events.GROUP_INFO_CHANGED, (e) => {
      const g = e.fullGroupInfo ?? {};
      this.emit('updateTeam', { teamId: g.groupId, name: g.groupName, intro: g.introduction ?? '', announcement: g.notice ?? '', avatar: g.portraitUri ?? '' });
    });
    // Join requests and invitations, as the engine tells each user concerned:
    // sysMsg applyTeam (to the owner and managers), rejectTeamApply (to the
    // applicant), teamInvite (to the invitee), rejectTeamInvite (to the
    // inviter); from is who acted, to the team.
    const D = im.GroupApplicationDirection;
    const S = im.GroupApplicationStatus;
    on(im.Events.GROUP_APPLICATION_EVENT, (a) => {
      const user = a.joinMemberInfo?.userId ?? '';
      const [type, from] = a.type === im.GroupApplicationType.APPLICATION
        ? (a.direction === D.APPLICATION_RECEIVED && a.status === S.MANAGER_UNHANDLED ? ['applyTeam', user]
          : a.direction === D.APPLICATION_SENT && a.status === S.MANAGER_REFUSED ? ['rejectTeamApply', a.operatorInfo?.userId ?? ''] : [])
        : (a.direction === D.INVITATION_RECEIVED && a.status === S.INVITEE_UNHANDLED ? ['teamInvite', a.inviterInfo?.userId ?? '']
          : a.direction === D.INVITATION_SENT && a.status === S.INVITEE_REFUSED ? ['rejectTeamInvite', user] : []);
      if (!type) return;
      this.emit('sysMsg', { type, from, to: a.groupId, time: a.operationTime, idServer: '', content: a.reason ?? '', state: 'init', feature: 'default',
        attach: { team: { teamId: a.groupId }, ...(type === 'applyTeam' && { account: user }) } });
    });
    on(im.Events.GROUP_MUTE, (e) => {
      const team = { teamId: e.groupId };
      if (e.muteAll !== undefined) return this.emit('updateTeam', { ...team, mute: e.muteAll, muteType: e.muteAll ? 'normal' : 'none' });
      const members = e.memberInfos.map((m) => member(e.groupId, m.userId, { mute: m.mutedUntil > 0, updateTime: e.operationTime }));
      this.emit('updateTeamMembersMute', { team, accounts: members.map((m) => m.account), members, mute: members[0]?.mute ?? false });
    });
  }

  #unlisten() {
    for (const [name, fn] of this.#listening) im.removeEventListener(name, fn);
    this.#listening = [];
  }

  // #touched tells of the session of a message this device sent
  // (updateSession: its lastMsg and updateTime), as the engine now has it;
  // the engine tells this device's app of others' messages only.
  #touched(conversation) {
    im.getConversation(conversation).then((res) => {
      const s = res.code === 0 && res.data ? this.#session(res.data) : undefined;
      if (s) this.emit('updateSession', s);
    }, () => {});
  }

  // #session keeps an imwasm conversation as NIM's Session.
  #session(c) {
    if (!nimConv(c)) return undefined;
    const scene = sceneOf(c.conversationType);
    const id = `${scene}-${c.targetId}`;
    const t = c.operationTime ?? 0;
    const last = c.latestMessage;
    const held = this.#sessions.get(id);
    // lastMsg null: the last message was recalled (NIM's Session.lastMsg).
    const s = { id, scene, to: c.targetId, unread: c.unreadMessageCount ?? 0,
      lastMsg: last && last.messageType !== im.MessageType.RECALL_NOTIFICATION ? this.shape(last) : null,
      ...(held?.msgReceiptTime && { msgReceiptTime: held.msgReceiptTime }),
      updateTime: Math.max(c.latestMessage?.sentTime ?? 0, t), ...(c.isTop && { stickTopInfo: { id, isStickOnTop: true, ext: '', createTime: t, updateTime: t } }) };
    this.#sessions.set(id, s);
    return s;
  }

  // #recalled tells of a recall as NIM's sysMsg recallMsgP2p (7) /
  // recallMsgTeam (8) / recallMsgSuperTeam (12), with recallMessageInfo
  // naming the recalled message (fromNick: imwasm's messages carry none)
  // and feature (leave: it came with the sync, as NIM's offline ones).
  #recalled(m, feature = 'default') {
    const team = m.conversationType !== P2P;
    const to = team || m.senderUserId === this.account ? m.targetId : this.account;
    const opeAccount = m.content?.operatorId ?? m.senderUserId;
    this.emit('sysMsg', {
      type: { [TEAM]: 'recallMsgTeam', [SUPER]: 'recallMsgSuperTeam' }[m.conversationType] ?? 'recallMsgP2p', from: opeAccount, to, time: m.content?.recallTime ?? m.sentTime,
      idServer: m.messageUId, content: m.content?.extra ?? '', attach: { idClient: m.clientMsgId, scene: sceneOf(m.conversationType), sessionId: `${sceneOf(m.conversationType)}-${m.targetId}` },
      opeAccount, feature,
      recallMessageInfo: { idClient: m.clientMsgId, idServer: m.messageUId, createTime: m.content?.sentTime ?? m.sentTime, fromNick: '', opeAccount },
    });
  }

  // shape is an imwasm message as NIM's IMMessage; status overrides.
  shape(m, status) {
    const scene = sceneOf(m.conversationType);
    const out = m.messageDirection === im.MessageDirection.SEND;
    const c = m.content ?? {};
    const msg = {
      scene, sessionId: `${scene}-${m.targetId}`, target: m.targetId, from: m.senderUserId,
      to: scene !== 'p2p' || out ? m.targetId : this.account, flow: out ? 'out' : 'in', time: m.sentTime, userUpdateTime: 0,
      idClient: m.clientMsgId, idServer: m.messageUId || undefined, body: '', type: 'custom', feature: 'default',
      status: status ?? (out
        ? ({ [im.SentStatus.SENDING]: 'sending', [im.SentStatus.FAILED]: 'sendFailed', [im.SentStatus.READ]: 'receipt' }[m.sentStatus] ?? 'sent')
        : (m.receivedStatusInfo?.isRead ? 'read' : 'unread')),
      ...(typeof c.extra === 'string' && c.extra && { ext: c.extra }),
      ...(m.needReceipt && scene === 'team' && { teamSpecializationInfo: { needACK: true, isACKSent: !!m.readReceiptInfo?.hasRespond, ackSnapshot: 0 } }),
      ...pushInfoOf(m),
    };
    const file = (url) => ({ url, name: c.name ?? '', ext: c.ext ?? extOf(c.name), size: c.size ?? 0, md5: c.md5 ?? '', ...(c.w && { w: c.w, h: c.h }) });
    switch (m.messageType) {
      case im.MessageType.TEXT: return { ...msg, type: 'text', body: c.content ?? '' };
      case TIP: return { ...msg, type: 'tip', body: c.body ?? '' };
      case CUSTOM: return { ...msg, type: 'custom', body: c.body ?? '', attach: parse(c.attach ?? '{}') };
      case im.MessageType.LOCATION: return { ...msg, type: 'geo', attach: { lat: c.latitude, lng: c.longitude, title: c.poi ?? '' } };
      case im.MessageType.IMAGE: return { ...msg, type: 'image', attach: file(c.imageUri) };
      case im.MessageType.FILE: return { ...msg, type: 'file', attach: { ...file(c.fileUrl), ext: c.type ?? '' } };
      case im.MessageType.HQ_VOICE: return { ...msg, type: 'audio', attach: { ...file(c.remoteUrl), dur: Math.round((c.duration ?? 0) * 1000) } };
      case im.MessageType.SIGHT: return { ...msg, type: 'video', attach: { ...file(c.sightUrl), dur: Math.round((c.duration ?? 0) * 1000) } };
      case im.MessageType.GROUP_NOTIFICATION: return { ...msg, type: 'notification', attach: noticeOf(m.targetId, c) };
    }
    return { ...msg, attach: { type: m.messageType, content: c } };
  }
}

// pushInfoOf is NIM's pushInfo of a message sent with any: needPush
// (false: no push), pushContent and pushPayload (from its pushConfig).
function pushInfoOf(m) {
  const cfg = m.pushConfig && typeof m.pushConfig === 'object' ? m.pushConfig : {};
  if (!m.disableNotification && !cfg.pushContent && !cfg.pushData) return {};
  return { pushInfo: { needPush: !m.disableNotification, ...(cfg.pushContent && { pushContent: cfg.pushContent }), ...(cfg.pushData && { pushPayload: cfg.pushData }) } };
}

// noticeOf is a team notification's attach as NIM has it (attach.type,
// team, account or accounts) from the server's RC:GrpNtf content
// ({ operatorUserId, operation, data }). A join the joiner made (an
// application to a noVerify team, an accepted invitation) is passTeamApply
// with the joiner as account; any other is addTeamMembers.
function noticeOf(teamId, c) {
  const data = typeof c.data === 'string' ? parse(c.data) : c.data ?? {};
  const accounts = [].concat(data?.targetUserIds ?? []);
  const team = { teamId };
  const op = c.operatorUserId ?? '';
  switch (c.operation) {
    case 'Create': return { type: 'addTeamMembers', team: { ...team, name: data.name ?? '', owner: op }, accounts: [].concat(data.memberIds ?? []).filter((a) => a !== op) };
    case 'Add':
      if (accounts.length === 1 && accounts[0] === op) return { type: 'passTeamApply', team, account: op, accounts };
      return { type: 'addTeamMembers', team, accounts };
    case 'Kicked': return { type: 'removeTeamMembers', team, accounts };
    case 'Quit': return { type: 'leaveTeam', team, users: accounts.map((account) => ({ account })), accounts };
    case 'Dismiss': return { type: 'dismissTeam', team };
    case 'Transfer': return { type: 'transferTeam', team: { ...team, owner: accounts[0] }, account: accounts[0] };
    case 'AddManager': return { type: 'addTeamManagers', team, accounts };
    case 'RemoveManager': return { type: 'removeTeamManagers', team, accounts };
    case 'Rename': return { type: 'updateTeam', team: { ...team, name: data.name ?? '' } };
    case 'Bulletin': return { type: 'updateTeam', team: { ...team, announcement: data.notice ?? '' } };
    case 'Update': return { type: 'updateTeam', team };
    case 'MuteAll': return { type: 'updateTeam', team: { ...team, mute: !!data.muteAll, muteType: data.muteAll ? 'normal' : 'none' } };
    case 'Mute': return { type: 'updateTeamMemberMute', team, account: accounts[0], accounts, mute: (data.durationMs ?? 0) > 0 };
    // A member's nickname: no NIM notification message; the event's name.
    case 'UpdateMember': return { type: 'updateTeamMember', team, account: accounts[0], accounts };
  }
  return { type: String(c.operation ?? ''), team, ...(accounts.length && { accounts }) };
}

// MsgService is nim.msg.
class MsgService {
  #nim;
  #sent;
  constructor(nim, sent) { this.#nim = nim; this.#sent = sent; }

  // #done is a sent message as NIM's, its session's updateSession told.
  #done(conversation, m) {
    this.#sent(conversation);
    return this.#nim.shape(m);
  }

  // #send sends content as NIM asked (idClient, needACK, onSendBefore).
  async #send(o, content, upload) {
    const conversation = convOf(o?.scene, o?.to);
    const push = o?.pushInfo ?? {};
    const options = {
      onSendBefore: (m) => o.onSendBefore?.(this.#nim.shape(m)),
      // pushInfo: needPush false sends no push; pushContent and pushPayload
      // (the push's data) go with the message as its pushConfig too.
      ...(push.needPush === false && { disableNotification: true }),
      ...(push.pushContent !== undefined && { pushContent: String(push.pushContent) }),
      ...(push.pushPayload !== undefined && { pushData: String(push.pushPayload) }),
      ...((push.pushContent !== undefined || push.pushPayload !== undefined) && { pushConfig: {
        ...(push.pushContent !== undefined && { pushContent: String(push.pushContent) }), ...(push.pushPayload !== undefined && { pushData: String(push.pushPayload) }) } }),
      ...(o.idClient && { clientMsgId: o.idClient }),
      ...(conversation.conversationType === TEAM && o.teamSpecializationInfo?.needACK && { needReceipt: true }),
    };
    // NIM takes no read receipts in super teams.
    if (conversation.conversationType === SUPER && o.teamSpecializationInfo?.needACK) throw bad('super team messages take no receipts (needACK)');
    const res = upload ? await upload(conversation, options) : await im.sendMessage(conversation, content, options);
    if (res.code === 0) return this.#done(conversation, res.data);
    const status = res.code === im.ErrorCode.REJECTED_BY_BLACKLIST ? 'refused' : 'sendFailed';
    throw await sendFailure(conversation, res, res.data ? { msg: this.#nim.shape(res.data, status) } : {});
  }

  sendTextMsg(o) { return this.#send(o, new im.TextMessage({ content: String(o?.body ?? ''), ...(o?.ext && { extra: o.ext }) })); }
  sendTipMsg(o) { return this.#send(o, new TipMessage({ body: String(o?.body ?? ''), ...(o?.ext && { extra: o.ext }) })); }
  async sendCustomMsg(o) {
    const attach = typeof o?.attach === 'string' ? o.attach : json(o?.attach ?? {});
    return this.#send(o, new CustomMessage({ attach, body: String(o?.body ?? ''), ...(o?.ext && { extra: o.ext }) }));
  }
  async sendGeoLocationMsg(o) {
    const a = o?.attach ?? {};
    if (!Number.isFinite(a.lat) || !Number.isFinite(a.lng)) throw bad('attach.lat and attach.lng must be numbers');
    return this.#send(o, new im.LocationMessage({ latitude: a.lat, longitude: a.lng, poi: String(a.title ?? ''), content: '', ...(o?.ext && { extra: o.ext }) }));
  }
  sendImageMsg(o) { return this.#file('image', o); }
  sendAudioMsg(o) { return this.#file('audio', o); }
  sendVideoMsg(o) { return this.#file('video', o); }
  sendFileMsg(o) { return this.#file('file', o); }

  // #file uploads o.file to the server (onUploadStart with abort,
  // onUploadProgress, onUploadDone) and sends the message pointing at it,
  // its attach as NIM has it (url, name, ext, size, md5, w, h, dur in ms).
  async #file(kind, o) {
    const file = o?.file;
    if (!(typeof Blob !== 'undefined' && file instanceof Blob)) throw bad('file (a File) is required');
    const abort = new AbortController();
    const name = file.name || kind;
    const ext = extOf(name);
    return this.#send(o, null, (conversation, options) => {
      o.onUploadStart?.({ abort: () => abort.abort() });
      const hooks = {
        onProgress: (p) => o.onUploadProgress?.({ total: file.size, loaded: Math.round((file.size * p) / 100), percentage: p, percentageText: p + '%' }),
        onComplete: (info) => {
          const extra = o.ext ? { extra: String(o.ext) } : {}; // the app's ext, as on every other message
          const nim = { name, ext, size: info.size, md5: info.md5 ?? '', ...(info.width && { w: info.width, h: info.height }) };
          o.onUploadDone?.({ url: info.url, ...nim, ...(info.duration !== undefined && { dur: info.duration * 1000 }) });
          switch (kind) {
            case 'image': return new im.ImageMessage({ content: info.thumbnail ?? '', imageUri: info.url, ...nim, ...extra });
            case 'audio': return new im.HQVoiceMessage({ remoteUrl: info.url, duration: info.duration ?? 0, type: ext || 'aac', ...nim, ...extra });
            case 'video': return new im.SightMessage({ sightUrl: info.url, content: '', duration: info.duration ?? 0, ...nim, ...extra });
          }
          return new im.FileMessage({ name, size: info.size, type: ext, fileUrl: info.url, md5: nim.md5, ...extra });
        },
      };
      const send = { image: im.sendImageMessage, audio: im.sendHQVoiceMessage, video: im.sendSightMessage, file: im.sendFileMessage }[kind];
      return send(conversation, { file, ...(kind === 'video' && { duration: 0 }), ...(o.ext && { extra: String(o.ext) }) }, hooks, { ...options, signal: abort.signal });
    });
  }

  // resendMsg sends a failed message again under its idClient: the server
  // answers one it already has as it was, so the receiver gets it once.
  async resendMsg(o) {
    const msg = o?.msg;
    if (!msg?.idClient) throw bad('msg with its idClient is required');
    if (['image', 'audio', 'video', 'file'].includes(msg.type) && !msg.attach?.url) {
      throw bad('a file message whose upload failed is sent again with its file: sendImageMsg (or Audio, Video, File) with the same idClient');
    }
    // A message this device holds under idClient goes as it was stored.
    const conversation = convOf(msg.scene, msg.target);
    const res = await im.sendMessage(conversation, contentOf(msg), { clientMsgId: msg.idClient });
    if (res.code === 0) return this.#done(conversation, res.data);
    throw await sendFailure(conversation, res, res.data ? { msg: this.#nim.shape(res.data, 'sendFailed') } : {});
  }

  async forwardMsg(o) {
    const conversation = convOf(o?.scene, o?.to);
    const held = await ok(im.getMessage(o?.msg?.idServer ?? ''));
    return this.#done(conversation, await ok(im.forwardMessage(conversation, held)));
  }

  // recallMsg: the sender, within the server's recall window; ps reaches
  // the other side in its sysMsg's content.
  async recallMsg(o) {
    const msg = o?.msg;
    if (!msg?.idServer) throw bad('msg (a sent message) is required');
    await ok(im.recallMessage(convOf(msg.scene, msg.target), { messageUId: msg.idServer, sentTime: msg.time, ...(o.ps && { extra: String(o.ps) }) }));
    return { ...msg, status: 'deleted' };
  }

  // modifyMsg: the sender edits a text (body), tip, custom (attach) or
  // ext within the recall window; every device of both sides gets the
  // modifyMsg event with the message as it now is.
  async modifyMsg(o) {
    const msg = o?.msg;
    if (!msg?.idServer) throw bad('msg (a sent message) is required');
    const edited = { ...msg, ...(o.body !== undefined && { body: o.body }), ...(o.attach !== undefined && { attach: parse(o.attach) }), ...(o.ext !== undefined && { ext: o.ext }) };
    const res = await ok(im.modifyMessageWithParams({ messageUId: msg.idServer, conversation: convOf(msg.scene, msg.target), messageContent: contentOf(edited).content }));
    return res ? this.#nim.shape(res) : edited;
  }

  // sendMsgReceipt (p2p): the reader's read time for the session moves to
  // msg on all their devices, and its sender's msgReceipts tells them.
  async sendMsgReceipt(o) {
    const msg = o?.msg;
    if (msg?.scene !== 'p2p' || !msg.idServer) throw bad('sendMsgReceipt takes a p2p message; team messages take sendTeamMsgReceipt');
    await ok(im.sendConversationReadAck(convOf('p2p', msg.target), msg.idServer));
    return { to: msg.target, idClient: msg.idClient, time: msg.time };
  }

  async sendTeamMsgReceipt(o) {
    for (const [teamId, list] of byTeam(o?.teamMsgReceipts)) {
      await ok(im.sendReadReceiptResponseV5({ conversationType: TEAM, targetId: teamId }, list.map((r) => r.idServer)));
    }
  }

  // getTeamMsgReads: the counts of messages sent with needACK; the others
  // are left out of the answer (NIM's).
  async getTeamMsgReads(o) {
    const out = [];
    const NEEDLESS = im.ErrorCode.SERVICE_RRSV5_MESSAGE_RECEIPT_NEEDLESS;
    for (const [teamId, list] of byTeam(o?.teamMsgReceipts)) {
      const conversation = { conversationType: TEAM, targetId: teamId };
      let res = await im.getMessageReadReceiptInfoV5(conversation, list.map((r) => r.idServer));
      let infos = res.data ?? [];
      if (res.code === NEEDLESS) { // one or more without needACK: each on its own
        infos = [];
        for (const r of list) {
          res = await im.getMessageReadReceiptInfoV5(conversation, [r.idServer]);
          if (res.code === 0) infos.push(...res.data);
          else if (res.code !== NEEDLESS) throw failure(res);
        }
      } else if (res.code !== 0) throw failure(res);
      for (const r of list) {
        const i = infos.find((x) => x.messageUId === r.idServer);
        if (i) out.push({ teamId, idServer: r.idServer, idClient: r.idClient ?? '', read: i.readCount ?? 0, unread: i.unreadCount ?? 0 });
      }
    }
    return out;
  }

  async getTeamMsgReadAccounts(o) {
    const r = o?.teamMsgReceipt;
    if (!r?.teamId || !r.idServer) throw bad('teamMsgReceipt { teamId, idServer, idClient } is required');
    const conversation = { conversationType: TEAM, targetId: r.teamId };
    const accounts = async (readStatus) => {
      const out = [];
      for (let pageToken = ''; ;) {
        const page = await ok(im.getMessagesReadReceiptUsersByPageV5(conversation, r.idServer, { pageToken, pageCount: 100, readStatus }));
        out.push(...page.users.map((u) => u.userId));
        if (!(pageToken = page.pageToken)) return out;
      }
    };
    return { readAccounts: await accounts(0), unreadAccounts: await accounts(1), teamMsgReceipt: { teamId: r.teamId, idClient: r.idClient ?? '' } };
  }
}

// nim.session: the session list, read times and pins of sessions
// ('p2p-bob', 'team-42').
function sessionService(sessions) {
  // Every id is read before any is reset.
  const reset = async (ids) => {
    if (!Array.isArray(ids)) throw bad('ids (session ids) are required');
    for (const c of ids.map(sessionConv)) await ok(im.clearMessagesUnreadStatus(c));
  };
  const top = async (id, isTop) => {
    await ok(im.setConversationToTop(sessionConv(id), isTop));
    const t = Date.now();
    const s = { ...sessions.get(id), id, stickTopInfo: isTop ? { id, isStickOnTop: true, ext: '', createTime: t, updateTime: t } : undefined };
    if (sessions.has(id)) sessions.set(id, s);
    return s;
  };
  const sorted = () => [...sessions.values()].sort((a, b) => b.updateTime - a.updateTime);
  return {
    getSession: (o) => sessions.get(o?.id),
    getAllSessions: sorted,
    // A page of the list (NIM's walks it oldest to newest): desc (the
    // default) the limit sessions older than lastSessionId, newest first;
    // desc false the limit newer than it (from the oldest on without one),
    // oldest first.
    getSessions(o) {
      const all = sorted();
      const at = o?.lastSessionId ? all.findIndex((s) => s.id === o.lastSessionId) : -1;
      if (o?.lastSessionId && at < 0) return []; // not in the list (any more): no page after it
      const limit = o?.limit ?? 100;
      if (o?.desc !== false) return all.slice(at + 1, at + 1 + limit);
      const end = at < 0 ? all.length : at;
      return all.slice(Math.max(0, end - limit), end).reverse();
    },
    // The user's read time moves; nobody is told (sendMsgReceipt tells).
    resetSessionUnread: (id) => reset([id]),
    resetSessionUnreadCount: (o) => reset([o?.id]),
    resetMultiSessionUnreadCount: (o) => reset(o?.ids),
    resetAllSessionsUnreadCount: () => ok(im.clearAllMessagesUnreadStatus()).then(() => {}),
    async deleteSession(o) {
      await ok(im.removeConversation(sessionConv(o?.id), !!o?.isSyncToServer));
      sessions.delete(o.id);
    },
    addStickTopSession: (o) => top(o?.id ?? o?.sessionId, true),
    deleteStickTopSession: (o) => top(o?.id ?? o?.sessionId, false),
  };
}

// Team shapes: NIM's modes as imwasm's group permissions, and back.
const R = im.GroupMemberRole;
const P = im.GroupOperationPermission;
const J = im.GroupJoinPermission;
const joinModes = { noVerify: J.FREE, needVerify: J.OWNER_OR_MANAGER_VERIFY, rejectAll: J.NO_ONE_ALLOWED };
const byManagers = { all: P.EVERYONE, manager: P.OWNER_OR_MANAGER };
const modes = { joinMode: joinModes, inviteMode: byManagers, updateTeamMode: byManagers,
  beInviteMode: { needVerify: im.GroupInviteHandlePermission.INVITEE_VERIFY, noVerify: im.GroupInviteHandlePermission.FREE } };
// groupOf: a team's options as a group's info (a mode NIM does not have: 414).
function groupOf(o) {
  for (const k in modes) if (o[k] !== undefined && !Object.hasOwn(modes[k], o[k])) throw bad(`${k} must be ${Object.keys(modes[k]).join(' or ')}`);
  const g = { groupId: o.teamId, groupName: o.name, portraitUri: o.avatar, introduction: o.intro, notice: o.announcement,
    ...(o.ext !== undefined && { extProfile: { ext: o.ext } }), joinPermission: joinModes[o.joinMode], invitePermission: byManagers[o.inviteMode],
    groupInfoEditPermission: byManagers[o.updateTeamMode], inviteHandlePermission: modes.beInviteMode[o.beInviteMode] };
  return Object.fromEntries(Object.entries(g).filter(([, v]) => v !== undefined));
}
const teamOf = (g) => ({
  teamId: g.groupId, type: 'advanced', name: g.groupName ?? '', avatar: g.portraitUri ?? '', intro: g.introduction ?? '', announcement: g.notice ?? '',
  ext: g.extProfile?.ext ?? '', owner: g.ownerId ?? '', memberNum: g.membersCount ?? 0, createTime: g.createTime ?? 0, updateTime: g.createTime ?? 0,
  joinMode: Object.keys(joinModes).find((k) => joinModes[k] === g.joinPermission) ?? 'needVerify',
  inviteMode: g.invitePermission === P.EVERYONE ? 'all' : 'manager', updateTeamMode: g.groupInfoEditPermission === P.EVERYONE ? 'all' : 'manager',
  beInviteMode: g.inviteHandlePermission === im.GroupInviteHandlePermission.INVITEE_VERIFY ? 'needVerify' : 'noVerify',
  mute: !!g.muteAll, muteType: g.muteAll ? 'normal' : 'none', valid: true, validToCurrentUser: true, level: 0, memberUpdateTime: 0,
  updateExtMode: 'manager',
});
const memberOf = (teamId, m) => ({
  id: `${teamId}-${m.userId}`, teamId, account: m.userId, nickInTeam: m.nickname ?? '', joinTime: m.joinedTime ?? 0, updateTime: m.joinedTime ?? 0,
  type: { [R.OWNER]: 'owner', [R.MANAGER]: 'manager' }[m.role] ?? 'normal', active: true, valid: true,
});

// pages gathers every page of a token-paged imwasm list.
async function pages(fetch) {
  const out = [];
  for (let pageToken = ''; ;) {
    const page = await ok(fetch({ count: 100, pageToken, order: true }));
    out.push(...page.data);
    if (!(pageToken = page.pageToken)) return out;
  }
}

// nim.team: teams are imwasm's groups.
function teamService() {
  const accounts = (o) => [].concat(o?.accounts ?? []);
  const done = (p) => ok(p).then(() => {});
  return {
    async createTeam(o) {
      const teamId = 't' + Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
      await ok(im.createGroup(groupOf({ joinMode: 'needVerify', inviteMode: 'manager', updateTeamMode: 'manager', ...o, teamId }), accounts(o)));
      return teamOf((await ok(im.getGroupsInfo([teamId])))[0]);
    },
    async getTeamInfo(o) {
      const [g] = await ok(im.getGroupsInfo([o?.teamId]));
      if (!g) throw new NIMError(803, 'no such team');
      return teamOf(g);
    },
    getTeams: async () => (await pages((opt) => im.getJoinedGroupsByRole(opt, R.UNDEF))).map(teamOf),
    updateTeamInfo: async (o) => { await ok(im.updateGroupInfo(groupOf(o ?? {}))); return { teamId: o.teamId, ...o }; },
    getTeamMembers: async (o) => {
      const all = (await pages((opt) => im.getGroupMembersByRole(o?.teamId, R.UNDEF, opt))).map((m) => memberOf(o.teamId, m));
      return o.accounts ? all.filter((m) => accounts(o).includes(m.account)) : all;
    },
    dismissTeam: (o) => done(im.dismissGroup(o?.teamId)),
    leaveTeam: (o) => done(im.quitGroup(o?.teamId)),
    transferTeam: (o) => done(im.transferGroupOwner(o?.teamId, o?.account, !!o?.leave)),
    addTeamMembers: (o) => done(im.inviteUsersToGroup(o?.teamId, accounts(o))),
    removeTeamMembers: (o) => done(im.kickGroupMembers(o?.teamId, accounts(o))),
    addTeamManagers: (o) => done(im.addGroupManagers(o?.teamId, accounts(o))),
    removeTeamManagers: (o) => done(im.removeGroupManagers(o?.teamId, accounts(o))),
    // applyTeam answers the Team, joined (noVerify) or applied to (needVerify:
    // its owner and managers get sysMsg applyTeam).
    async applyTeam(o) {
      await ok(im.joinGroup(o?.teamId));
      const [g] = await ok(im.getGroupsInfo([o.teamId]));
      if (!g) throw new NIMError(803, 'no such team');
      return teamOf(g);
    },
    passTeamApply: (o) => done(im.acceptGroupApplication(o?.teamId, o?.from)),
    rejectTeamApply: (o) => done(im.refuseGroupApplication(o?.teamId, o?.from, undefined, o?.ps)),
    acceptTeamInvite: (o) => done(im.acceptGroupInvite(o?.teamId, o?.from)),
    rejectTeamInvite: (o) => done(im.refuseGroupInvite(o?.teamId, o?.from, o?.ps)),
    // A member's mute lasts until unmuted (the engine's longest mute).
    muteTeamMember: (o) => done(im.muteGroupMembers(o?.teamId, [o?.account], o?.mute ? 365 * 86400000 : 0)),
    muteTeam: (o) => done(im.muteAllGroupMembers(o?.teamId, !!o?.mute)),
  };
}

const genders = ['unknown', 'male', 'female'];
const NO_PUSH = im.NotificationLevel.NOT_MESSAGE_NOTIFICATION;
// NIM's signature is the profile's extra field sign (Easemob's attribute too).
const cardOf = (p) => ({ account: p.userId, nick: p.name ?? '', avatar: p.portraitUri ?? '', signature: p.extraProfile?.sign ?? '', gender: genders[p.gender] ?? 'unknown',
  email: p.email ?? '', birth: p.birthday ?? '', tel: p.extraProfile?.tel ?? '', ext: p.extraProfile?.ext ?? '', createTime: 0, updateTime: 0 });

// nim.user: name cards are imwasm's profiles; the blacklist is imwasm's.
function userService() {
  const account = (o) => {
    if (typeof o?.account !== 'string' || !o.account) throw bad('account is required');
    return o.account;
  };
  // MarkedUserInfo: imwasm keeps no time for these (0).
  const blackList = async () => (await ok(im.getBlacklist())).map((a) => ({ account: a, isBlack: true, createTime: 0, updateTime: 0 }));
  const muteList = async () => (await ok(im.getBlockedConversationList()))
    .filter((c) => c.conversationType === P2P).map((c) => ({ account: c.targetId, isMuted: true, createTime: c.operationTime ?? 0, updateTime: c.operationTime ?? 0 }));
  return {
    async setBlack(o) {
      await ok(o?.isAdd ? im.addToBlacklist(account(o)) : im.removeFromBlacklist(account(o)));
    },
    // The mute list (NIM's 会话免打扰 of a user) is the user's p2p
    // conversations set to no notifications, on all their devices.
    async setMute(o) {
      await ok(im.setConversationNotificationLevel({ conversationType: P2P, targetId: account(o) }, o.isAdd ? NO_PUSH : im.NotificationLevel.NOT_SET));
    },
    getBlackList: blackList,
    getMuteList: muteList,
    getRelations: async () => ({ blackList: await blackList(), muteList: await muteList() }),
    getUsersNameCardFromServer: async (o) => (await ok(im.getUserProfiles(o?.accounts ?? []))).map(cardOf),
    async updateMyNameCard(o) {
      if (o?.gender !== undefined && !genders.includes(o.gender)) throw bad('gender must be unknown, male or female');
      const extra = Object.fromEntries([['sign', 'signature'], ['tel', 'tel'], ['ext', 'ext']].filter(([, k]) => o?.[k] !== undefined).map(([key, k]) => [key, String(o[k])]));
      await ok(im.updateMyUserProfile({ ...(o?.nick !== undefined && { name: o.nick }), ...(o?.avatar !== undefined && { portraitUri: o.avatar }),
        ...(o?.email !== undefined && { email: o.email }), ...(o?.birth !== undefined && { birthday: o.birth }),
        ...(o?.gender !== undefined && { gender: genders.indexOf(o.gender) }), ...(Object.keys(extra).length && { extraProfile: extra }) },
      { mergeExtraProfile: true })); // signature, tel and ext each their own
      return cardOf(await ok(im.getMyUserProfile()));
    },
  };
}

const friendOf = (f) => ({ account: f.userId, alias: f.remark ?? '', ext: f.extProfile?.ext ?? '', createTime: f.addTime ?? 0, updateTime: f.addTime ?? 0, valid: true });

// nim.friend: friends are imwasm's two-way friends.
function friendService() {
  const done = (p) => ok(p).then(() => {});
  return {
    getFriends: async () => (await pages((opt) => im.getFriends(im.QueryFriendsDirectionType.BOTH, opt))).map(friendOf),
    // addFriend answers the FriendProfile (valid false while the other
    // side has yet to accept).
    async addFriend(o) {
      await ok(im.addFriend(o?.account, im.DirectionType.BOTH, o?.ps));
      const [f] = await ok(im.getFriendsInfo([o.account]));
      return f ? friendOf(f) : { account: o.account, alias: '', ext: '', createTime: 0, updateTime: 0, valid: false };
    },
    applyFriend: (o) => done(im.addFriend(o?.account, im.DirectionType.BOTH, o?.ps)),
    passFriendApply: (o) => done(im.acceptFriendApplication(o?.account)),
    rejectFriendApply: (o) => done(im.refuseFriendApplication(o?.account)),
    deleteFriend: (o) => done(im.deleteFriends([o?.account], im.DirectionType.BOTH)),
    updateFriend: (o) => done(im.setFriendInfo(o?.account, o?.alias, o?.ext !== undefined ? { ext: String(o.ext) } : undefined)),
  };
}

// byTeam groups NIM's team receipts { teamId, idServer, idClient } by team.
function byTeam(list) {
  if (!Array.isArray(list) || !list.length || list.some((r) => !r?.teamId || !r.idServer)) throw bad('teamMsgReceipts [{ teamId, idServer, idClient }] are required');
  const out = new Map();
  for (const r of list) out.set(r.teamId, [...(out.get(r.teamId) ?? []), r]);
  return out;
}

// contentOf rebuilds a message's content from NIM's shape (a resend of
// one this device does not hold).
function contentOf(msg) {
  const extra = msg.ext ? { extra: msg.ext } : {};
  switch (msg.type) {
    case 'text': return new im.TextMessage({ content: msg.body ?? '', ...extra });
    case 'tip': return new TipMessage({ body: msg.body ?? '', ...extra });
    case 'geo': return new im.LocationMessage({ latitude: msg.attach?.lat, longitude: msg.attach?.lng, poi: msg.attach?.title ?? '', content: '', ...extra });
  }
  const a = msg.attach ?? {};
  const nim = { name: a.name, ext: a.ext, size: a.size, md5: a.md5, ...(a.w && { w: a.w, h: a.h }) };
  switch (msg.type) {
    case 'image': return new im.ImageMessage({ content: '', imageUri: a.url, ...nim, ...extra });
    case 'audio': return new im.HQVoiceMessage({ remoteUrl: a.url, duration: (a.dur ?? 0) / 1000, type: a.ext || 'aac', ...nim, ...extra });
    case 'video': return new im.SightMessage({ sightUrl: a.url, content: '', duration: (a.dur ?? 0) / 1000, ...nim, ...extra });
    case 'file': return new im.FileMessage({ name: a.name, size: a.size, type: a.ext, fileUrl: a.url, md5: a.md5, ...extra });
  }
  return new CustomMessage({ attach: json(msg.attach ?? {}), body: msg.body ?? '', ...extra });
}

export { NIMSDK };
