// imwasm/easemob: Easemob Web SDK 4.x's shape over the same engine as
// imwasm's RongIMLib API, so code written against `easemob-websdk` runs
// against a self-hosted imwasm server: `import websdk from 'imwasm/easemob'`.
// A thin adapter: every call goes to the RongIMLib-shaped functions of
// index.js (and so to the Go engine); nothing here keeps state of its own
// beyond the event handlers and the one connection a page has.
// docs/migration.md lists what is provided and what is not yet.

import * as im from './index.js';

// Easemob's status codes (status.d.ts's Code) this module reports.
export const statusCode = Object.freeze({
  REQUEST_SUCCESS: 0,
  REQUEST_TIMEOUT: -1,
  REQUEST_UNKNOWN: -2,
  REQUEST_PARAMETER_ERROR: -3,
  WEBIM_CONNCTION_OPEN_ERROR: 1,
  WEBIM_CONNCTION_AUTH_ERROR: 2,
  WEBIM_CONNCTION_DISCONNECTED: 16,
  WEBIM_CONNCTION_APPKEY_NOT_ASSIGN_ERROR: 27,
  WEBIM_CONNCTION_TOKEN_NOT_ASSIGN_ERROR: 28,
  WEBIM_CONNCTION_CLIENT_OFFLINE: 32,
  WEBIM_CONNECTION_CLOSED: 39,
  MAX_LIMIT: 50,
  MESSAGE_NOT_FOUND: 51,
  NO_PERMISSION: 52,
  OPERATION_UNSUPPORTED: 53,
  WEBIM_TOKEN_EXPIRED: 56,
  MESSAGE_PARAMETER_ERROR: 205,
  WEBIM_UPLOADFILE_ERROR: 101,
  WEBIM_CONNCTION_USER_LOGIN_ANOTHER_DEVICE: 206,
  USER_MUTED_BY_ADMIN: 219,
  SERVICE_NOT_ENABLED: 505,
  PERMISSION_DENIED: 603,
  MESSAGE_CURRENT_LIMITING: 509,
  MESSAGE_WEBSOCKET_DISCONNECTED: 510,
  MESSAGE_EXTERNAL_LOGIC_BLOCKED: 502,
  USER_NOT_FRIEND: 221,
  MESSAGE_RECALL_TIME_LIMIT: 504,
  GROUP_NOT_JOINED: 602,
  SERVICE_NOT_ALLOW_MESSAGING_MUTE: 507,
  MESSAGE_SIZE_LIMIT: 511,
  GROUP_ALREADY_JOINED: 601,
  GROUP_NOT_EXIST: 605,
  GROUP_MEMBERS_FULL: 606,
  CHATROOM_NOT_JOINED: 702,
  CHATROOM_MEMBERS_FULL: 704,
  CHATROOM_NOT_EXIST: 705,
});

// The engine's codes (RongIMLib's) as Easemob reports them: one table.
const codeMap = new Map([
  // INVALID_PARAMETER_*: parameter errors, as 33003.
  ...Object.entries(im.ErrorCode).filter(([k]) => k.startsWith('INVALID_PARAMETER_')).map(([, v]) => [v, -3]),
  [im.ErrorCode.RC_NET_CHANNEL_INVALID, statusCode.WEBIM_CONNCTION_CLIENT_OFFLINE],
  [im.ErrorCode.RC_CONN_TOKEN_INCORRECT, statusCode.WEBIM_CONNCTION_AUTH_ERROR],
  [im.ErrorCode.RC_DISCONN_KICK, statusCode.WEBIM_CONNCTION_USER_LOGIN_ANOTHER_DEVICE],
  [im.ErrorCode.RC_CONN_TOKEN_EXPIRED, statusCode.WEBIM_TOKEN_EXPIRED],
  [im.ErrorCode.BIZ_ERROR_INVALID_PARAMETER, statusCode.REQUEST_PARAMETER_ERROR],
  [im.ErrorCode.SEND_FREQUENCY_TOO_FAST, statusCode.MESSAGE_CURRENT_LIMITING],
  [im.ErrorCode.REQUEST_OVER_FREQUENCY, statusCode.MESSAGE_CURRENT_LIMITING],
  [im.ErrorCode.NOT_IN_GROUP, statusCode.GROUP_NOT_JOINED],
  // A member muted in the group, or the whole group muted: "the current user is muted".
  [im.ErrorCode.FORBIDDEN_IN_GROUP, statusCode.SERVICE_NOT_ALLOW_MESSAGING_MUTE],
  // A message (or an edit) over the content limit.
  [im.ErrorCode.RC_MSG_CONTENT_EXCEED_LIMIT, statusCode.MESSAGE_SIZE_LIMIT],
  [im.ErrorCode.MESSAGE_SIZE_EXCEEDED, statusCode.MESSAGE_SIZE_LIMIT],
  [im.ErrorCode.REJECTED_BY_BLACKLIST, statusCode.MESSAGE_EXTERNAL_LOGIC_BLOCKED],
  [im.ErrorCode.TIMEOUT, statusCode.REQUEST_TIMEOUT],
  [im.ErrorCode.UPLOAD_FAIL, statusCode.WEBIM_UPLOADFILE_ERROR],
  [im.ErrorCode.SERVICE_RRSV5_UNAVAILABLE, statusCode.SERVICE_NOT_ENABLED],
  [im.ErrorCode.SERVICE_RRSV5_MESSAGE_NOT_EXIST, statusCode.MESSAGE_NOT_FOUND],
  [im.ErrorCode.SERVICE_RRSV5_MESSAGE_RECEIPT_NEEDLESS, statusCode.MESSAGE_NOT_FOUND],
  [im.ErrorCode.SERVICE_RRSV5_MESSAGE_SENDER_MISMATCH, statusCode.PERMISSION_DENIED],
  // Chat rooms: not in it, muted ("you were muted"), none, a key's refusals.
  [23406, 702], [23408, 507], [23410, 705], [23411, 704], [23412, -3], [23423, 50], [23429, 50], [23424, 52], [23427, -3],
  // Groups: none (or dismissed); not the role for it (the owner leaving or
  // removed, joining one that takes no one, inviting where the role may not);
  // already in it; full; a user not in it; too many managers or groups asked;
  // a name, text or id out of its rules.
  [25410, 605], [25405, 603], [25404, 603], [25417, 603], [25414, 603], [25426, 603], [25412, 601], [25411, 606],
  [25418, 602], [25419, 50], [25422, 50], [25406, -3], [25407, -3], [25423, -3], [25430, -3],
  // User attributes: too long, too many, out of range.
  [24364, -3], [24363, -3], [24368, -3],
]);

// The server's reasons that tell apart refusals sharing an engine code, as
// Easemob's SDK tells them apart by the server's reason: the engine's 22408
// is a muted member's send (507) or a member who may not ask for group read
// acks (219, docs/migration.md); its 25101 any refused recall, one past the
// recall window 504.
const reasonMap = new Map([
  [`${im.ErrorCode.FORBIDDEN_IN_GROUP}:group ack msg permission denied`, statusCode.USER_MUTED_BY_ADMIN],
  [`${im.ErrorCode.RECALL_MESSAGE}:the recall window has passed`, statusCode.MESSAGE_RECALL_TIME_LIMIT],
]);

// emError is Easemob's error object for an engine result.
function emError(res, fallback = statusCode.REQUEST_UNKNOWN) {
  const type = reasonMap.get(`${res.code}:${res.msg}`) || codeMap.get(res.code) || fallback;
  return { type, message: res.msg || `imwasm error ${res.code}`, data: { code: res.code } };
}

// extOf reads the ext a message of this module carries in its extra.
function extOf(c) {
  try { return c.extra ? JSON.parse(c.extra) : {}; } catch { return {}; } // a RongIMLib message's own extra
}

const chatTypes = { singleChat: im.ConversationType.PRIVATE, groupChat: im.ConversationType.GROUP, chatRoom: im.ConversationType.CHATROOM };
// The older SDKs' names (recallMessage's type, chatType 'groupchat').
const legacyChatTypes = { chat: im.ConversationType.PRIVATE, groupchat: im.ConversationType.GROUP, chatroom: im.ConversationType.CHATROOM };
const chatTypeOf = (t) => (t === im.ConversationType.GROUP ? 'groupChat' : t === im.ConversationType.CHATROOM ? 'chatRoom' : 'singleChat');
// Addressed by its id for every member, not by the peer.
const shared = (t) => t === im.ConversationType.GROUP || t === im.ConversationType.CHATROOM;

// Easemob's custom and cmd messages travel as these object names; text is
// RongIMLib's RC:TxtMsg, so both APIs read each other's texts.
const CUSTOM = 'EM:CustomMsg';
const CMD = 'EM:CmdMsg';
// objectNamesOf: the message types each of Easemob's message types is
// (#shape's inverse), for searchOptions.msgTypes.
const objectNamesOf = {
  txt: ['RC:TxtMsg'], img: ['RC:ImgMsg'], file: ['RC:FileMsg'], audio: ['RC:HQVCMsg'], video: ['RC:SightMsg'],
  loc: ['RC:LBSMsg'], custom: [CUSTOM], cmd: [CMD],
};
// A narrowed history page asks the server again, from where it stopped,
// until it is full or the history ends: at most this many times (each
// examines up to 2,000 messages).
const narrowedRounds = 25;
// The engine's conversation loaders' cursor (npm/index.js), for Easemob's
// opaque list cursors.
const loaderCursor = Symbol.for('imwasm.loaderCursor');
let CustomMessage, CmdMessage;

let localSeq = 0;
const localId = () => `${Date.now().toString(36)}-${(localSeq++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

// message.create(options) makes the message send takes.
// As Easemob's, every message gets an id of its own (options.id is not
// kept) and from ''; a read ack names the message read as ackId (its
// options.id), a delivery ack its options.ackId.
function create(options) {
  if (options === null || typeof options !== 'object') throw new TypeError('message.create: options object required');
  const ack = options.type === 'read' ? { ackId: options.id } : options.type === 'delivery' ? { ackId: options.ackId } : {};
  return { chatType: 'singleChat', ext: {}, ...options, id: localId(), from: '', ...ack, time: Date.now() };
}

// failed tells the call's error callback (Easemob names it error, or
// fail for messages) and returns the error to throw.
function failed(params, res, fallback) {
  const e = emError(res, fallback);
  (params?.error ?? params?.fail)?.(e);
  return e;
}

// result turns an engine result into Easemob's: resolves { type: 0 } (data:
// shape(res.data)) or rejects { type, message }.
async function result(p, params, shape) {
  const res = await p;
  if (res.code !== 0) throw failed(params, res);
  const out = shape ? { type: 0, data: shape(res.data) } : { type: 0 };
  params?.success?.(out);
  return out;
}

// refuse throws Easemob's error of this type (told to p.error or p.fail);
// badParam, the parameter error.
const refuse = (type, message, p) => { const e = { type, message }; (p?.error ?? p?.fail)?.(e); throw e; };
const badParam = (message, p) => refuse(statusCode.REQUEST_PARAMETER_ERROR, message, p);
// json is v's JSON text (a BigInt, a cycle: -3).
const json = (v, p) => { try { return JSON.stringify(v); } catch { badParam('ext must be JSON', p); } };
// keysOf reads attributeKeys: a key, or keys.
const keysOf = (k, p) => ((k = [].concat(k ?? [])).every((x) => typeof x === 'string') ? k : badParam('attributeKeys must be keys', p));

// Easemob's remindType and the engine's notification levels.
const remindLevels = { ALL: im.NotificationLevel.ALL_MESSAGE, AT: im.NotificationLevel.AT_MESSAGE_NOTIFICATION, NONE: im.NotificationLevel.NOT_MESSAGE_NOTIFICATION };
const remind = (level) => (level === im.NotificationLevel.NOT_SET ? {} : { type: level === -1 ? 'ALL' : level === 5 ? 'NONE' : 'AT' });

// convSilent reads a conversation's silent mode: { type?, ignoreDuration? }.
async function convSilent(params, c) {
  const [level, dnd] = await Promise.all([im.getConversationNotificationLevel(c), im.getDoNotDisturb(c)]);
  for (const res of [level, dnd]) if (res.code) throw failed(params, res);
  return () => ({ ...remind(level.data), ...(dnd.data.until ? { ignoreDuration: dnd.data.until } : {}) });
}

// silentOptions reads a silent-mode call's options as { level, remindType },
// { duration } or { quiet (null: 0:0-0:0 ends it), interval }; a
// conversation takes no interval.
function silentOptions(params, app) {
  const o = params?.options ?? badParam('options is required');
  if (o.paramType === 0) return o.remindType in remindLevels ? { level: remindLevels[o.remindType], remindType: o.remindType } : badParam('options.remindType must be ALL, AT or NONE');
  if (o.paramType === 1) return Number.isInteger(o.duration) ? { duration: o.duration } : badParam('options.duration must be ms (0-604800000)');
  if (o.paramType !== 2) badParam('options.paramType must be 0, 1 or 2');
  if (!app) throw { type: statusCode.OPERATION_UNSUPPORTED, message: 'a conversation takes no interval: it is the app\'s (setSilentModeForAll)' };
  const [start, end] = [o.startTime, o.endTime].map((t) => (Number.isInteger(t?.hours) && Number.isInteger(t.minutes) && t.hours >= 0 && t.hours < 24 && t.minutes >= 0 && t.minutes < 60
    ? t.hours * 60 + t.minutes : badParam('options.startTime and endTime must be { hours: 0-23, minutes: 0-59 }')));
  const interval = `${o.startTime.hours}:${o.startTime.minutes}-${o.endTime.hours}:${o.endTime.minutes}`;
  if (start === end && start) badParam('options.startTime and endTime must differ (0:0-0:0 ends it)');
  const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, '0'), off = -new Date().getTimezoneOffset();
  return { interval, quiet: start !== end && {
    startTime: `${pad(start / 60)}:${pad(start % 60)}:00`, spanMinutes: (end - start + 1440) % 1440, level: 5, // blocked
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || `${off < 0 ? '-' : '+'}${pad(off / 60)}:${pad(off % 60)}`,
  } };
}

// silentConversation: a private or group conversation (chat rooms are not pushed).
function silentConversation(params) {
  const conversationType = { singleChat: im.ConversationType.PRIVATE, groupChat: im.ConversationType.GROUP }[params?.type];
  return typeof params?.conversationId === 'string' && params.conversationId && conversationType !== undefined
    ? { conversationType, targetId: params.conversationId } : badParam('conversationId and type (singleChat or groupChat) are required');
}

// attributes answers chat room attribute calls ([engine call, its keys]) as
// Easemob's { status, errorKeys, successKeys }: a refused key fails its
// call's keys (the engine takes them all or none).
async function attributes(calls, params) {
  const data = { status: 'success', errorKeys: {}, successKeys: [] };
  for (const [p, keys] of calls) {
    const res = await p;
    if (res.code && !(keys.length && [23412, 23423, 23424, 23427, 23429].includes(res.code))) throw failed(params, res);
    if (res.code) data.status = 'fail';
    for (const k of keys) res.code ? (data.errorKeys[k] = res.msg) : data.successKeys.push(k);
  }
  return result({ code: 0 }, params, () => data);
}

// byPageNumber answers Easemob's page pageNum of pageSize items (pageNum
// from 1, or from 0) from imwasm's token pages of at most 100.
async function byPageNumber(params, fetch, zeroBased = false) {
  const pageSize = Math.max(params?.pageSize ?? 20, 1), first = +!zeroBased, pageNum = params?.pageNum ?? first;
  if (!(Number.isInteger(pageNum) && pageNum >= first && Number.isInteger(pageSize))) badParam('pageNum and pageSize must be integers', params);
  const from = (pageNum - first) * pageSize;
  const items = [];
  for (let pageToken = ''; items.length < from + pageSize;) {
    const res = await fetch(100, pageToken);
    if (res.code !== 0) throw failed(params, res);
    items.push(...res.data.data);
    pageToken = res.data.pageToken;
    if (!pageToken) break;
  }
  return items.slice(from, from + pageSize);
}

// Easemob's user attributes and imwasm's profile: nickname, avatarurl, mail,
// birth and gender (0-2) are its fields; phone is the extra field tel, any
// other attribute an extra field of its own name.
const userFields = { nickname: 'name', avatarurl: 'portraitUri', mail: 'email', birth: 'birthday' };
const userExtra = { phone: 'tel' };
function profileOf(attrs) {
  const p = {}, extraProfile = {};
  for (const [k, v] of Object.entries(attrs)) {
    const text = v === undefined || v === null ? '' : String(v);
    if (k === 'gender') p.gender = { 1: 1, male: 1, 2: 2, female: 2 }[text] ?? 0;
    else if (k in userFields) p[userFields[k]] = text;
    else extraProfile[userExtra[k] ?? k] = text;
  }
  return Object.keys(extraProfile).length ? { ...p, extraProfile } : p;
}
// userInfoOf: the attributes set (keys: only those), gender as '1' or '2'.
function userInfoOf(p, keys) {
  const out = {};
  for (const [k, f] of Object.entries(userFields)) if (p[f]) out[k] = p[f];
  if (p.gender) out.gender = String(p.gender);
  const byExtra = Object.fromEntries(Object.entries(userExtra).map(([k, f]) => [f, k]));
  for (const [f, v] of Object.entries(p.extraProfile ?? {})) if (v) out[byExtra[f] ?? f] = v;
  return keys ? Object.fromEntries(keys.filter((k) => k in out).map((k) => [k, out[k]])) : out;
}

// The connection of this page (the engine is one per page).
let current = null;

// serverOf derives the imwasm server's http(s) address from Easemob's url
// (ws or http) and apiUrl.
function serverOf({ url, apiUrl }) {
  const base = apiUrl || url;
  if (typeof base !== 'string' || !base) return '';
  return base.replace(/^ws(s?):\/\//, 'http$1://').replace(/\/(v1\/ws|ws)?\/?$/, '');
}

class Connection {
  #handlers = new Map();
  #opened = false;
  #expiredTold = false; // onTokenExpired told for the token in use
  #synced = null; // settles when the sync of the connection open() made ends (or it drops)
  #syncDone = () => {};
  #listening = [];
  #windowListening = [];

  constructor(options) {
    if (options === null || typeof options !== 'object') throw new TypeError('connection: options object required');
    if (!options.appKey) throw Object.assign(new Error('appKey is required'), { type: statusCode.WEBIM_CONNCTION_APPKEY_NOT_ASSIGN_ERROR });
    if (current && current.#opened) {
      throw Object.assign(new Error('a connection is open on this page: close it first (one engine per page)'), { type: statusCode.REQUEST_PARAMETER_ERROR });
    }
    current?.#unlisten();
    current = this;
    this.appKey = options.appKey;
    this.delivery = !!options.delivery;
    this.url = serverOf(options);
    im.init({ appkey: options.appKey, serverUrl: this.url, deliveryReceipts: this.delivery, logLevel: options.logLevel ?? 'error' });
    CustomMessage = im.registerMessageType(CUSTOM, true, true);
    CmdMessage = im.registerMessageType(CMD, true, false);
    this.#listen();
    this.#listenWindow();
  }

  // open({ user, accessToken }): an imwasm token for user, from the app's
  // backend (the server's POST /v1/users/{id}/token).
  async open(params) {
    const fail = (type, message) => {
      const e = { type, message };
      params?.error?.(e);
      return Promise.reject(e);
    };
    if (!params || typeof params.user !== 'string' || !params.user) return fail(statusCode.REQUEST_PARAMETER_ERROR, 'user is required');
    if (!params.accessToken) {
      return fail(statusCode.WEBIM_CONNCTION_TOKEN_NOT_ASSIGN_ERROR,
        'imwasm signs users in with tokens the app backend gets from the server (POST /v1/users/{id}/token): pass accessToken, not pwd');
    }
    this.user = params.user; // before connecting: offline messages come before connect settles
    // The lists wait for this connection's sync (none follows an open of
    // an open connection); whoever waited on an earlier one's goes on.
    this.#syncDone();
    this.#synced = this.isOpened() ? null : new Promise((resolve) => { this.#syncDone = resolve; });
    const res = await im.connect(params.accessToken);
    if (res.code !== 0) {
      this.#syncDone();
      throw failed(params, res, statusCode.WEBIM_CONNCTION_OPEN_ERROR); // onError comes with DISCONNECT
    }
    if (res.data?.userId !== params.user) {
      this.#syncDone();
      im.disconnect();
      return fail(statusCode.WEBIM_CONNCTION_AUTH_ERROR, 'the accessToken is not for this user');
    }
    this.#opened = true;
    this.#expiredTold = false;
    const out = { accessToken: params.accessToken, expireTimestamp: res.data.tokenExpiresAt || undefined };
    params.success?.(out);
    return out;
  }

  registerUser() {
    return Promise.reject({ type: statusCode.OPERATION_UNSUPPORTED, message: 'users need no registering: the app backend gets them tokens from the server' });
  }

  isOpened() { return this.#opened && im.getConnectionStatus() === im.RCConnectionStatus.CONNECTED; }

  close() {
    this.#opened = false;
    this.#syncDone(); // (its DISCONNECT, ACTIVE_DISCONNECT, may come after the next open)
    im.disconnect();
  }

  // renewToken(token): a newer imwasm token of the user for this
  // connection (the server checks it), and its expiry, as Easemob answers;
  // reconnects and uploads use it from then on.
  async renewToken(token) {
    if (!this.isOpened()) throw { status: false };
    const res = await im.renewToken(token);
    if (res.code !== 0) throw { status: false, type: codeMap.get(res.code) ?? statusCode.WEBIM_CONNCTION_AUTH_ERROR, message: res.msg };
    this.#expiredTold = false;
    return { status: true, token, expire: res.data.expiresAt };
  }

  addEventHandler(id, handlers) {
    if (handlers && typeof handlers === 'object') this.#handlers.set(id, handlers);
  }

  removeEventHandler(id) { this.#handlers.delete(id); }

  #emit(name, payload) {
    for (const h of this.#handlers.values()) {
      if (typeof h[name] === 'function') {
        try { h[name](payload); } catch (e) { console.error('[imwasm/easemob]', name, e); }
      }
    }
    if (typeof this[name] === 'function') this[name](payload); // the deprecated conn.onTextMessage = …
  }

  // send(msg) → { localMsgId, serverMsgId }.
  async send(msg) {
    if (msg === null || typeof msg !== 'object') throw { type: statusCode.MESSAGE_PARAMETER_ERROR, message: 'send: a message from message.create' };
    const conversationType = chatTypes[msg.chatType];
    if (conversationType === undefined) throw { type: statusCode.MESSAGE_PARAMETER_ERROR, message: `chatType ${msg.chatType} is not provided` };
    if (typeof msg.to !== 'string' || !msg.to) throw { type: statusCode.MESSAGE_PARAMETER_ERROR, message: 'to is required' };
    if (msg.receiverList || msg.deliverOnlineOnly) throw { type: statusCode.OPERATION_UNSUPPORTED, message: 'receiverList and deliverOnlineOnly are not provided yet' };
    const conversation = { conversationType, targetId: msg.to };
    switch (msg.type) {
      case 'read': { // one message read: its sender's onReadMessage; ackId from message.create, else id
        const read = 'ackId' in msg ? msg.ackId : msg.id;
        if (typeof read !== 'string' || !read) throw { type: statusCode.MESSAGE_PARAMETER_ERROR, message: 'id (the message read) is required' };
        return this.#ack(msg, im.sendMessageReadAck(conversation, read, msg.ackContent));
      }
      case 'channel': // the conversation read: the peer's onChannelMessage
        return this.#ack(msg, im.sendConversationReadAck(conversation));
      case 'delivery':
        throw { type: statusCode.OPERATION_UNSUPPORTED, message: 'delivery acks are sent by the SDK itself (connection option delivery: true)' };
    }
    const ext = msg.ext && Object.keys(msg.ext).length ? msg.ext : undefined, extra = ext && { extra: json(ext, msg) };
    // allowGroupAck: group members answer with read acks (the engine's needReceipt).
    const options = conversationType === im.ConversationType.GROUP && msg.msgConfig?.allowGroupAck ? { needReceipt: true } : undefined;
    let content;
    switch (msg.type) {
      case 'txt':
        content = new im.TextMessage({ content: String(msg.msg ?? ''), ...extra });
        break;
      case 'custom':
        json(msg.customExts, msg);
        content = new CustomMessage({ customEvent: msg.customEvent ?? '', customExts: msg.customExts ?? {}, ...(ext && { ext }) });
        break;
      case 'cmd':
        content = new CmdMessage({ action: msg.action ?? '', ...(ext && { ext }) });
        break;
      case 'loc':
        if (!Number.isFinite(msg.lat) || !Number.isFinite(msg.lng)) badParam('lat and lng must be numbers', msg);
        content = new im.LocationMessage({ latitude: msg.lat, longitude: msg.lng, poi: String(msg.addr ?? ''), content: '', ...extra });
        break;
      case 'img':
      case 'file':
      case 'audio':
      case 'video':
        return this.#sendFile(msg, conversation, extra, options);
      default:
        throw { type: statusCode.OPERATION_UNSUPPORTED, message: `message type ${msg.type} is not provided yet` };
    }
    const res = await im.sendMessage(conversation, content, options);
    if (res.code !== 0) throw failed(msg, res);
    const out = { localMsgId: msg.id, serverMsgId: res.data.messageUId, message: { ...msg, id: res.data.messageUId, time: res.data.sentTime, from: this.user } };
    this.#emit('onReceivedMessage', { id: msg.id, mid: res.data.messageUId, to: msg.to, from: this.user, time: res.data.sentTime });
    msg.success?.(out);
    return out;
  }

  // #sendFile uploads msg.file.data to the server and sends the image or
  // file message that points at it (imwasm's upload helpers), with
  // Easemob's upload callbacks.
  async #sendFile(msg, conversation, extra, options) {
    const file = msg.file?.data;
    if (!(typeof Blob !== 'undefined' && file instanceof Blob)) throw { type: statusCode.MESSAGE_PARAMETER_ERROR, message: 'file.data must be a File' };
    const body = { file, ...extra };
    // The names and the audio's length the app gives (a Blob has no name;
    // a recording the browser cannot decode measures 0).
    const name = msg.filename || msg.file.filename || file.name;
    if (msg.type === 'file' && name) body.name = name;
    if (msg.type === 'video') Object.assign(body, { duration: Number(msg.length) || 0, name });
    if (msg.type === 'audio') Object.assign(body, { name: name || 'audio', size: file.size, ...(Number(msg.length) > 0 && { duration: Number(msg.length) }) });
    const send = { img: im.sendImageMessage, file: im.sendFileMessage, audio: im.sendHQVoiceMessage, video: im.sendSightMessage }[msg.type];
    const res = await send(conversation, body, {
      onProgress: (percent) => msg.onFileUploadProgress?.({ loaded: percent, total: 100 }),
      // UploadFileResult: the file's id as Easemob's entities[0].uuid.
      onComplete: (info) => { msg.onFileUploadComplete?.({ url: info.url, entities: [{ uuid: info.uniqueName, type: 'chatfile', 'share-secret': '' }] }); },
    }, options);
    if (res.code !== 0) {
      const e = emError(res, statusCode.WEBIM_UPLOADFILE_ERROR);
      msg.onFileUploadError?.(e);
      msg.fail?.(e);
      throw e;
    }
    const out = { localMsgId: msg.id, serverMsgId: res.data.messageUId };
    this.#emit('onReceivedMessage', { id: msg.id, mid: res.data.messageUId, to: msg.to, from: this.user, time: res.data.sentTime });
    msg.success?.(out);
    return out;
  }

  // #ack answers an ack's send (read or channel) as Easemob does.
  async #ack(msg, p) {
    const res = await p;
    if (res.code !== 0) throw failed(msg, res);
    const out = { localMsgId: msg.id ?? '', serverMsgId: msg.id ?? '' };
    msg.success?.(out);
    return out;
  }

  // getGroupMsgReadUser({ msgId, groupId }): who read a message sent with
  // allowGroupAck (its sender may ask; the newest 500 readers are kept).
  async getGroupMsgReadUser(params) {
    if (!params?.msgId || !params.groupId) badParam('msgId and groupId are required');
    const conversation = { conversationType: im.ConversationType.GROUP, targetId: params.groupId };
    const userlist = [];
    for (let pageToken = ''; ;) {
      const res = await im.getMessagesReadReceiptUsersByPageV5(conversation, params.msgId, { pageToken, pageCount: 100 });
      if (res.code !== 0) throw failed(params, res);
      userlist.push(...res.data.users.map((u) => u.userId));
      if (!(pageToken = res.data.pageToken)) break;
    }
    const data = { ackmid: params.msgId, is_last: true, next_key: '', timestamp: Date.now(), total: userlist.length, userlist };
    return result({ code: 0 }, params, () => data);
  }

  // recallMessage({ mid, to, chatType }): the sender's recall, within the
  // server's recall window. chatType, or else the older SDKs' type ('chat',
  // 'groupchat', 'chatroom'), as Easemob reads them.
  async recallMessage(params) {
    const chatType = params?.chatType ?? params?.type ?? 'singleChat';
    const conversationType = chatTypes[chatType] ?? legacyChatTypes[chatType];
    if (!params?.mid || !params.to || conversationType === undefined) badParam('mid, to and chatType are required');
    // The server finds the message by its id (sentTime only narrows a RongIMLib lookup).
    const res = await im.recallMessage({ conversationType, targetId: params.to }, { messageUId: params.mid, sentTime: 0, ...(params.ext && { extra: String(params.ext) }) });
    if (res.code !== 0) throw failed(params, res);
    const out = { localMsgId: params.mid, serverMsgId: params.mid };
    params.success?.(out);
    return out;
  }

  // getHistoryMessages({ targetId, chatType, cursor, pageSize,
  // searchDirection, searchOptions }): a page of the server's history.
  // cursor is a message ID (-1, '' or null: from the newest, or down from
  // the oldest): the page starts past that message (the engine's pages
  // start at a time: the message's sentTime, asked of the server); the
  // cursor answered is the ID of the page's last message. searchOptions
  // ({ from, msgTypes, startTime, endTime }) narrow it on the server.
  async getHistoryMessages(options) {
    const conversationType = chatTypes[options?.chatType];
    if (!options?.targetId || conversationType === undefined) badParam('targetId and chatType are required', options);
    const conversation = { conversationType, targetId: options.targetId };
    const count = Math.min(Math.max(options.pageSize ?? 20, 1), 50);
    const down = options.searchDirection === 'down';
    const so = options.searchOptions ?? {};
    const narrowed = !!(so.from || so.msgTypes?.length || so.startTime || so.endTime);
    if (narrowed && conversationType === im.ConversationType.CHATROOM) badParam('searchOptions are for singleChat and groupChat', options);
    const objectNames = so.msgTypes?.length ? so.msgTypes.flatMap((t) => objectNamesOf[t] ?? []) : undefined;
    if (objectNames && !objectNames.length) badParam(`msgTypes: ${so.msgTypes} (txt, img, file, audio, video, loc, custom, cmd)`, options);
    const cursor = options.cursor === undefined || options.cursor === null || options.cursor === '' || String(options.cursor) === '-1' ? '' : String(options.cursor);
    // From the cursor's message, else the window's near end (inclusive).
    let timestamp = down ? (so.startTime > 0 ? so.startTime - 1 : 0) : (so.endTime > 0 ? so.endTime + 1 : 0);
    if (cursor.startsWith('t:')) {
      timestamp = Number(cursor.slice(2)) || 0; // a narrowed page's, that found nothing to name
    } else if (cursor) {
      const at = await im.getUltraGroupMessageListByMessageUId(conversation, [{ messageUId: cursor }]); // any conversation type
      if (at.code !== 0) throw failed(options, at);
      timestamp = at.data[cursor]?.sentTime ?? refuse(statusCode.MESSAGE_NOT_FOUND, `cursor: no message ${cursor} in this conversation`, options);
    }
    let list = [], more = false, next = timestamp;
    if (conversationType === im.ConversationType.CHATROOM) { // members only (702)
      const res = await im.getChatroomHistoryMessages(options.targetId, { timestamp, count, order: down ? 1 : 0 });
      if (res.code !== 0) throw failed(options, res);
      [list, more] = [res.data.list, res.data.hasMore];
    } else {
      const narrowing = narrowed && {
        ...(objectNames && { objectNames }), ...(so.from && { senderUserId: String(so.from) }),
        ...((down ? so.endTime : so.startTime) > 0 && { boundTimestamp: down ? so.endTime : so.startTime }),
      };
      for (let round = 0; round < (narrowed ? narrowedRounds : 1); round++) {
        const res = await im.getRemoteHistoryMessages(conversation, { timestamp: next, count: count - list.length, order: down ? 1 : 0, ...narrowing });
        if (res.code !== 0) throw failed(options, res);
        list.push(...res.data.list);
        [more, next] = [res.data.hasMore, res.data.nextTimestamp];
        if (!more || list.length >= count || !next) break; // (!next: an older server, which narrows nothing)
      }
    }
    // up: newest first, the cursor the oldest; down: the reverse.
    list = [...list].sort((a, b) => (down ? a.sentTime - b.sentTime : b.sentTime - a.sentTime));
    const messages = list.map((m) => this.#shape(m)).filter(Boolean);
    const last = list[list.length - 1];
    const out = { messages, isLast: !more, cursor: more ? (last ? last.messageUId : `t:${next}`) : undefined };
    options.success?.(messages);
    return out;
  }

  // Contacts: imwasm's friends (two-way). addContact, deleteContact and
  // the answers to an invitation resolve nothing, as Easemob's
  // (Promise<void>); a bad user id fails with -3.
  async addContact(to, message) { await result(im.addFriend(to, im.DirectionType.BOTH, message)); }
  async deleteContact(to) { await result(im.deleteFriends([typeof to === 'string' && to ? to : badParam('to must be a user id')], im.DirectionType.BOTH)); }
  async acceptContactInvite(to) { await result(im.acceptFriendApplication(to)); }
  async declineContactInvite(to) { await result(im.refuseFriendApplication(to)); }
  /** @deprecated Easemob's older names. */
  acceptInvitation(to) { return this.acceptContactInvite(to); }
  declineInvitation(to) { return this.declineContactInvite(to); }
  // #friends: a page of the engine's friends (its pageToken the cursor).
  async #friends(params, count, pageToken) {
    const res = await im.getFriends(im.QueryFriendsDirectionType.BOTH, { count, pageToken });
    if (res.code !== 0) throw failed(params, res);
    return res.data;
  }
  async #allFriends(params) {
    const all = [];
    for (let pageToken = ''; ;) {
      const page = await this.#friends(params, 100, pageToken);
      all.push(...page.data);
      if (!(pageToken = page.pageToken)) return all;
    }
  }
  async getContacts(params) {
    const ids = (await this.#allFriends(params)).map((f) => f.userId);
    params?.success?.(ids.map((name) => ({ name, subscription: 'both', jid: { appKey: this.appKey, name, domain: '', clientResource: '' } })));
    return { type: 0, data: ids };
  }
  // getAllContacts: ContactItem[] ({ userId, remark }); getContactsWithCursor
  // a page of them ({ cursor, contacts }; cursor '' on the last page).
  async getAllContacts() {
    return { type: 0, data: (await this.#allFriends(null)).map((f) => ({ userId: f.userId, remark: f.remark ?? '' })) };
  }
  async getContactsWithCursor(params) {
    const pageSize = params?.pageSize ?? 20;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 50) badParam('pageSize must be 1-50', params);
    const page = await this.#friends(params, pageSize, params?.cursor ?? '');
    return { type: 0, data: { cursor: page.pageToken ?? '', contacts: page.data.map((f) => ({ userId: f.userId, remark: f.remark ?? '' })) } };
  }
  // setContactRemark: the friend's remark (the engine's setFriendInfo).
  async setContactRemark(params) {
    if (typeof params?.userId !== 'string' || !params.userId || typeof params.remark !== 'string') badParam('userId and remark are required', params);
    await result(im.setFriendInfo(params.userId, params.remark), params);
  }

  // User attributes: imwasm's profiles (as imwasm/nim keeps them).
  async updateUserInfo(params, value) {
    const attrs = typeof params === 'string' ? { [params]: value } : params;
    if (attrs === null || typeof attrs !== 'object' || Array.isArray(attrs)) badParam('attributes object, or a key and its value, required');
    const res = await im.updateMyUserProfile(profileOf(attrs), { mergeExtraProfile: true });
    if (res.code !== 0) throw failed(null, res);
    const me = await im.getMyUserProfile();
    return result(me, null, (p) => userInfoOf(p));
  }
  updateOwnUserInfo(params, value) { return this.updateUserInfo(params, value); }
  async fetchUserInfoById(userId, properties) {
    const ids = [].concat(userId ?? []), keys = properties === undefined ? null : [].concat(properties);
    if (!ids.length || ids.some((id) => typeof id !== 'string' || !id)) badParam('userId: a user id or an array of them required');
    if (ids.length > 100) throw { type: statusCode.MAX_LIMIT, message: 'at most 100 users a call' };
    return result(im.getUserProfiles(ids), null, (list) => Object.fromEntries(list.map((p) => [p.userId, userInfoOf(p, keys)])));
  }

  // The blocklist: imwasm's blacklist. name is a user id or an array of
  // them (none, or one not a string: -3, nothing changed); adding answers
  // the users added ({ userIds }, OperateResult), removing nothing.
  // Easemob's server takes the list as one request: a name refused takes
  // back what the call did before it (the engine's calls are one user each).
  async addUsersToBlocklist(params) {
    const ids = this.#blockNames(params);
    await this.#blockAll(params, ids, im.addToBlacklist, im.removeFromBlacklist, false);
    return { type: 0, data: { userIds: ids } };
  }
  async removeUserFromBlocklist(params) {
    await this.#blockAll(params, this.#blockNames(params), im.removeFromBlacklist, im.addToBlacklist, true);
  }
  async #blockAll(params, ids, change, undo, blocked) {
    const before = await im.getBlacklist();
    if (before.code !== 0) throw failed(params, before);
    const done = [];
    for (const id of ids) {
      if (before.data.includes(id) === blocked) done.push(id); // it changes
      const res = await change(id);
      if (res.code !== 0) {
        for (const d of done.filter((d) => d !== id)) await undo(d);
        throw failed(params, res);
      }
    }
  }
  #blockNames(params) {
    const ids = [].concat(params?.name ?? []);
    return ids.length && ids.every((id) => typeof id === 'string' && id) ? ids : badParam('name must be a user id or an array of them', params);
  }
  async getBlocklist(params) {
    const res = await im.getBlacklist();
    if (res.code !== 0) throw failed(params, res);
    params?.success?.({ type: 0, data: res.data });
    return { type: 0, data: res.data };
  }
  /** @deprecated Easemob's older names. */
  getBlacklist(params) { return this.getBlocklist(params); }
  addToBlackList(params) { return this.addUsersToBlocklist(params); }
  addUsersToBlacklist(params) { return this.addUsersToBlocklist(params); }
  removeFromBlackList(params) { return this.removeUserFromBlocklist(params); }
  removeUserFromBlackList(params) { return this.removeUserFromBlocklist(params); }

  // Presence: imwasm's online-status subscriptions (expiry in seconds,
  // 60-2,592,000); a status is 1 online, 0 offline, per device ("web").
  async subscribePresence(params) {
    const res = await im.subscribeUserStatus([].concat(params?.usernames ?? []), im.SubscribeType.ONLINE_STATUS, params?.expiry);
    if (res.code !== 0 && res.code !== im.ErrorCode.RC_BESUBSCRIBED_USERIDS_COUNT_EXCEED_LIMIT) {
      const e = emError(res);
      params?.error?.(e);
      throw e;
    }
    const status = await this.getPresenceStatus({ usernames: params.usernames });
    for (const r of status.data.result) r.expiry = params.expiry; // the subscription's length (s), as the list tells it
    params?.success?.(status);
    return status;
  }
  // getSubscribedPresencelist({ pageNum, pageSize }): the users this user
  // subscribes to, { result: { sublist: [{ uid, expiry }], totalnum } }
  // (pageNum from 1).
  async getSubscribedPresencelist(params) {
    const { pageNum, pageSize } = params ?? {};
    if (!Number.isInteger(pageNum) || pageNum < 1 || !Number.isInteger(pageSize) || pageSize < 1) badParam('pageNum and pageSize must be positive integers', params);
    const all = [];
    for (let offset = 0; ; offset += 100) {
      const res = await im.getSubscribeUserList(im.SubscribeType.ONLINE_STATUS, 100, offset);
      if (res.code !== 0) throw failed(params, res);
      all.push(...res.data);
      if (res.data.length < 100) break;
    }
    const sublist = all.slice((pageNum - 1) * pageSize, pageNum * pageSize).map((s) => ({ uid: s.userId, expiry: s.expiry }));
    return result({ code: 0 }, params, () => ({ result: { sublist, totalnum: all.length } }));
  }
  /** @deprecated Easemob's older name. */
  getSubscribedPresenceList(params) { return this.getSubscribedPresencelist(params); }
  async unsubscribePresence(params) {
    const res = await im.unSubscribeUserStatus([].concat(params?.usernames ?? []), im.SubscribeType.ONLINE_STATUS);
    if (res.code !== 0) throw failed(params, res);
    params?.success?.();
  }
  async getPresenceStatus(params) {
    const res = await im.getSubscribeUsersOnlineStatus([].concat(params?.usernames ?? []));
    if (res.code !== 0) throw failed(params, res);
    const result = res.data.map((s) => ({
      uid: s.userId, expiry: 0, ext: '', last_time: Math.max(0, ...s.details.map((d) => d.updateTime)),
      status: { web: s.isOnline ? 1 : 0 },
    }));
    const out = { type: 0, data: { result } };
    params?.success?.(out);
    return out;
  }

  // Silent mode over the engine's push settings: remindType is a
  // notification level (the app's: private and group conversations'; a
  // conversation's own outranks it), duration the engine's do-not-disturb
  // (the user's or a conversation's), interval its quiet hours (blocked, on
  // this browser's clock).
  async setSilentModeForAll(params) {
    const o = silentOptions(params, true);
    let res, data = { ignoreInterval: o.interval };
    if (o.level !== undefined) {
      for (const type of [im.ConversationType.PRIVATE, im.ConversationType.GROUP]) {
        res = await im.setConversationTypeNotificationLevel(type, o.level);
        if (res.code) break;
      }
      data = { type: o.remindType };
    } else if (o.duration !== undefined) {
      res = await im.setDoNotDisturb(o.duration);
      data = { ignoreDuration: res.data?.until };
    } else {
      res = await (o.quiet ? im.setNotificationQuietHoursWithSetting(o.quiet) : im.removeNotificationQuietHoursSetting());
    }
    return result(res, params, () => data);
  }
  async getSilentModeForAll(params) {
    const all = await Promise.all([im.getConversationTypeNotificationLevel(im.ConversationType.GROUP), im.getDoNotDisturb(), im.getNotificationQuietHoursSetting()]);
    const [level, dnd, quiet] = all.map((res) => { if (res.code) throw failed(params, res); return res.data; });
    const data = { ...remind(level), ignoreDuration: dnd.until };
    if (quiet.spanMinutes) {
      const [h, m] = quiet.startTime.split(':').map(Number), end = (h * 60 + m + quiet.spanMinutes) % 1440;
      data.ignoreInterval = `${h}:${m}-${Math.floor(end / 60)}:${end % 60}`;
    }
    return result({ code: 0 }, params, () => data);
  }
  async setSilentModeForConversation(params) {
    const c = silentConversation(params), o = silentOptions(params, false);
    if (o.duration !== undefined) {
      const res = await im.setDoNotDisturb(o.duration, c);
      return result(res, params, () => ({ ignoreDuration: res.data?.until }));
    }
    return result(im.setConversationNotificationLevel(c, o.level), params, () => ({ type: o.remindType }));
  }
  async clearRemindTypeForConversation(params) {
    return result(im.setConversationNotificationLevel(silentConversation(params), im.NotificationLevel.NOT_SET), params, () => ({}));
  }
  async getSilentModeForConversation(params) {
    return result({ code: 0 }, params, await convSilent(params, silentConversation(params)));
  }
  async getSilentModeForConversations(params) {
    const data = { user: {}, group: {} };
    for (const c of Array.isArray(params?.conversationList) ? params.conversationList : badParam('conversationList must be an array', params)) {
      data[c?.type === 'groupChat' ? 'group' : 'user'][c?.id] = (await convSilent(params, silentConversation({ conversationId: c?.id, type: c?.type })))();
    }
    return result({ code: 0 }, params, () => data);
  }

  // Groups: imwasm's groups (RongIMLib's calls). createGroup names the
  // group itself (Easemob's server would); approval, allowinvites and
  // inviteNeedConfirm become the group's join, invite and invitee
  // permissions.
  async createGroup(params) {
    const d = params?.data;
    if (!d || typeof d.groupname !== 'string') badParam('data.groupname is required');
    const groupId = 'g' + Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
    const info = {
      groupId, groupName: d.groupname, introduction: d.desc ?? '',
      joinPermission: d.approval ? im.GroupJoinPermission.OWNER_OR_MANAGER_VERIFY : im.GroupJoinPermission.FREE,
      invitePermission: d.allowinvites ? im.GroupOperationPermission.EVERYONE : im.GroupOperationPermission.OWNER_OR_MANAGER,
      inviteHandlePermission: im.GroupInviteHandlePermission.FREE, // the members given join at once (directJoined)
      ...(d.avatar && { portraitUri: d.avatar }), ...(d.ext && { extProfile: { ext: d.ext } }),
    };
    const out = await result(im.createGroup(info, d.members?.length ? d.members : undefined), params);
    if (d.inviteNeedConfirm !== false) { // later invitations wait for the invitee (Easemob's default)
      await result(im.updateGroupInfo({ groupId, inviteHandlePermission: im.GroupInviteHandlePermission.INVITEE_VERIFY }), params);
    }
    return { ...out, data: { groupid: groupId } };
  }
  async getJoinedGroups(params) {
    const zeroBased = params?.needAffiliations || params?.needRole;
    const items = await byPageNumber(params, (count, pageToken) => im.getJoinedGroupsByRole({ count, pageToken, order: true }, im.GroupMemberRole.UNDEF), zeroBased);
    // With needAffiliations or needRole: GroupInfo (the user's role, the
    // member count); else BaseGroupInfo.
    const roles = { [im.GroupMemberRole.OWNER]: 'owner', [im.GroupMemberRole.MANAGER]: 'admin' };
    const data = items.map((g) => (zeroBased ? {
      groupId: g.groupId, groupName: g.groupName, description: g.introduction ?? '', disabled: false, public: true, maxUsers: 0,
      approval: g.joinPermission !== im.GroupJoinPermission.FREE, allowInvites: g.invitePermission === im.GroupOperationPermission.EVERYONE,
      ...(params.needAffiliations && { affiliationsCount: g.membersCount }), ...(params.needRole && { role: roles[g.role] ?? 'member' }),
    } : { groupid: g.groupId, groupname: g.groupName }));
    return result({ code: 0 }, params, () => data);
  }
  async getGroupInfo(params) {
    const ids = [].concat(params?.groupId ?? []);
    const res = await im.getGroupsInfo(ids);
    if (res.code !== 0) throw failed(params, res);
    // None of them is (the engine answers the groups it has): 605.
    if (ids.length && !res.data.length) refuse(statusCode.GROUP_NOT_EXIST, `no group ${ids.join(', ')}`, params);
    const data = await Promise.all(res.data.map(async (g) => ({
      id: g.groupId, name: g.groupName, description: g.introduction ?? '', owner: g.ownerId, created: g.createTime,
      affiliations_count: g.membersCount, avatar: g.portraitUri ?? '', custom: g.extProfile?.ext ?? '',
      allowinvites: g.invitePermission === im.GroupOperationPermission.EVERYONE,
      membersonly: g.joinPermission !== im.GroupJoinPermission.FREE, public: true, maxusers: 0, mute: !!g.muteAll,
      affiliations: await this.#members({ ...params, groupId: g.groupId, pageNum: 1, pageSize: g.membersCount || 1 }),
    })));
    return result({ code: 0 }, params, () => data);
  }
  // modifyGroup answers which fields it set (ModifyGroupResult).
  modifyGroup(params) {
    const set = { groupname: params?.groupName, description: params?.description, avatar: params?.avatar, custom: params?.ext };
    return result(im.updateGroupInfo({ groupId: params?.groupId, ...(set.groupname !== undefined && { groupName: set.groupname }),
      ...(set.description !== undefined && { introduction: set.description }), ...(set.avatar !== undefined && { portraitUri: set.avatar }),
      ...(set.custom !== undefined && { extProfile: { ext: set.custom } }) }), params,
    () => Object.fromEntries(Object.keys(set).filter((k) => set[k] !== undefined).map((k) => [k, true])));
  }
  async listGroupMembers(params) {
    const data = await this.#members(params);
    return result({ code: 0 }, params, () => data);
  }
  // #members is a page of a group's members as Easemob lists them.
  async #members(params) {
    const items = await byPageNumber(params, (count, pageToken) => im.getGroupMembersByRole(params?.groupId, im.GroupMemberRole.UNDEF, { count, pageToken, order: true }));
    return items.map((m) => (m.role === im.GroupMemberRole.OWNER ? { owner: m.userId, joined_time: m.joinedTime } : { member: m.userId, joined_time: m.joinedTime }));
  }
  // The group calls answer Easemob's data (types/groupApi.d.ts,
  // types/common.d.ts): a join or an invitation is made (result: true)
  // whether it took effect or waits for an approval.
  joinGroup(params) { return result(im.joinGroup(params?.groupId), params, () => ({ action: 'apply', id: params.groupId, result: true, user: this.user })); }
  leaveGroup(params) { return result(im.quitGroup(params?.groupId), params, () => ({ result: true })); }
  destroyGroup(params) { return result(im.dismissGroup(params?.groupId), params, () => ({ id: params.groupId, success: true })); }
  inviteUsersToGroup(params) {
    const users = [].concat(params?.users ?? []);
    return result(im.inviteUsersToGroup(params?.groupId, users), params, () => users.map((user) => ({ action: 'invite', id: params.groupId, result: true, user })));
  }
  removeGroupMember(params) {
    return result(im.kickGroupMembers(params?.groupId, [params?.username]), params, () => ({ action: 'remove_member', groupid: params.groupId, result: true, user: params.username }));
  }
  removeGroupMembers(params) {
    const users = [].concat(params?.users ?? []);
    return result(im.kickGroupMembers(params?.groupId, users), params, () => users.map((user) => ({ action: 'remove_member', groupid: params.groupId, result: true, user })));
  }
  setAdmin(params) { return result(im.addGroupManagers(params?.groupId, [params?.username]), params, () => ({ newadmin: params.username, result: 'success' })); }
  removeAdmin(params) { return result(im.removeGroupManagers(params?.groupId, [params?.username]), params, () => ({ oldadmin: params.username, result: 'success' })); }
  changeGroupOwner(params) { return result(im.transferGroupOwner(params?.groupId, params?.newOwner), params, () => ({ newowner: true })); }
  acceptGroupJoinRequest(params) { return result(im.acceptGroupApplication(params?.groupId, params?.applicant), params); }
  rejectGroupJoinRequest(params) { return result(im.refuseGroupApplication(params?.groupId, params?.applicant, undefined, params?.reason), params); }
  // The invitee answers: Easemob names no inviter, so the pending
  // invitation to this group is looked up.
  async acceptGroupInvite(params) { return result(im.acceptGroupInvite(params?.groupId, await this.#inviter(params?.groupId)), params); }
  async rejectGroupInvite(params) { return result(im.refuseGroupInvite(params?.groupId, await this.#inviter(params?.groupId), params?.reason), params); }
  async #inviter(groupId) {
    const res = await im.getGroupApplications({ count: 100 });
    const inv = res.data?.data?.find((a) => a.groupId === groupId && a.inviterInfo && a.joinMemberInfo.userId === this.user &&
      a.status === im.GroupApplicationStatus.INVITEE_UNHANDLED);
    return inv?.inviterInfo.userId ?? '';
  }

  // Conversations: the server's list (newest first), delete, pin. Pages
  // follow the engine's loader, whose cursor names the last conversation
  // given (its time and key: conversations sharing a millisecond are each
  // given once); Easemob's cursor is that cursor as text.
  async getServerConversations(params) {
    const count = Math.min(Math.max(params?.pageSize ?? 20, 1), 50);
    let from = null;
    if (params?.cursor) {
      try { from = JSON.parse(atob(params.cursor)); } catch { badParam('cursor: one a page gave', params); }
    }
    await this.#firstSync();
    const { list, cursor } = await this.#conversationPage(count, from, params);
    return { type: 0, data: { conversations: list.map((c) => this.#conversation(c)), cursor: cursor ? btoa(JSON.stringify(cursor)) : '' } };
  }
  // #conversationPage is one load of private and group conversations
  // from cursor (null: the newest): the list, and the cursor after it
  // (null: none left).
  async #conversationPage(count, cursor, params) {
    const made = await im.createConversationListLoader({ conversationTypes: [im.ConversationType.PRIVATE, im.ConversationType.GROUP] });
    const loader = made.data;
    if (cursor) loader[loaderCursor] = cursor;
    const res = await loader.load(count);
    if (res.code !== 0) throw failed(params, res);
    return { list: res.data, cursor: loader.hasMore ? loader[loaderCursor] : null };
  }
  // #firstSync waits for the sync of the connection open() made, so a list
  // read at once on a new device has the server's conversations (Easemob's
  // lists are the server's).
  #firstSync() { return this.#synced ?? Promise.resolve(); }
  async deleteConversation(params) {
    const conversationType = chatTypes[params?.chatType];
    if (!params?.channel || conversationType === undefined) badParam('channel and chatType are required');
    const conversation = { conversationType, targetId: params.channel };
    if (params.deleteRoam) {
      const res = await im.clearHistoryMessages(conversation, Date.now());
      if (res.code !== 0) throw failed(params, res);
    }
    return result(im.removeConversation(conversation, true), params, () => ({ result: 'ok' }));
  }
  // pinConversation answers when it was pinned, as the server keeps it.
  async pinConversation(params) {
    const conversationType = { singleChat: im.ConversationType.PRIVATE, groupChat: im.ConversationType.GROUP }[params?.conversationType];
    if (!params?.conversationId || conversationType === undefined) badParam('conversationId and conversationType (singleChat or groupChat) are required', params);
    const conversation = { conversationType, targetId: params.conversationId };
    await result(im.setConversationToTop(conversation, !!params.isPinned));
    const now = params.isPinned ? await im.getConversation(conversation) : null;
    return { type: 0, data: { isPinned: !!params.isPinned, pinnedTime: params.isPinned ? now?.data?.operationTime || Date.now() : 0 } };
  }
  // getServerPinnedConversations: the pinned conversations, the latest
  // pinned first; the cursor is how many earlier pages gave ('' on the last).
  async getServerPinnedConversations(params) {
    const count = Math.min(Math.max(params?.pageSize ?? 20, 1), 50), from = Number(params?.cursor || 0);
    if (!Number.isInteger(from) || from < 0) badParam('cursor: one a page gave', params);
    const res = await im.getTopConversationList([im.ConversationType.PRIVATE, im.ConversationType.GROUP]);
    if (res.code !== 0) throw failed(params, res);
    const list = [...res.data].sort((a, b) => (b.operationTime ?? 0) - (a.operationTime ?? 0));
    const conversations = list.slice(from, from + count).map((c) => this.#conversation(c));
    return { type: 0, data: { conversations, cursor: from + count < list.length ? String(from + count) : '' } };
  }
  #conversation(c) {
    return {
      conversationId: c.targetId, conversationType: chatTypeOf(c.conversationType), isPinned: !!c.isTop,
      pinnedTime: c.isTop ? c.operationTime ?? 0 : 0, unReadCount: c.unreadMessageCount ?? 0,
      lastMessage: (c.latestMessage && this.#shape(c.latestMessage)) ?? null,
    };
  }
  // getConversationlist({ pageNum, pageSize }): the older list, { channel_infos:
  // [{ channel_id, lastMessage, unread_num }] }, channel_id as Easemob's
  // server names a conversation (appKey_id@easemob.com, a group's
  // @conference.easemob.com); every conversation without pageNum.
  async getConversationlist(params) {
    const paged = Number.isInteger(params?.pageNum) && params.pageNum > 0 && Number.isInteger(params?.pageSize) && params.pageSize > 0;
    await this.#firstSync();
    const list = [];
    for (let cursor = null; ;) {
      const page = await this.#conversationPage(100, cursor, params);
      list.push(...page.list);
      cursor = page.cursor;
      if (!cursor || (paged && list.length >= params.pageNum * params.pageSize)) break;
    }
    const page = paged ? list.slice((params.pageNum - 1) * params.pageSize, params.pageNum * params.pageSize) : list;
    const channel_infos = page.map((c) => ({
      channel_id: `${this.appKey}_${c.targetId}@${c.conversationType === im.ConversationType.GROUP ? 'conference.' : ''}easemob.com`,
      lastMessage: (c.latestMessage && this.#shape(c.latestMessage)) ?? {}, unread_num: c.unreadMessageCount ?? 0,
    }));
    return result({ code: 0 }, params, () => ({ channel_infos }));
  }

  // modifyMessage({ messageId, modifiedMessage }): the sender edits a text
  // (within the recall window); every member's devices get
  // onModifiedMessage. Answers Easemob's ModifyMsgResult: the message as the
  // server now has it, with modifiedInfo (the engine counts no edits:
  // operationCount 1, as onModifiedMessage tells).
  async modifyMessage(params) {
    const m = params?.modifiedMessage;
    const conversationType = chatTypes[m?.chatType];
    if (!params?.messageId || !m || m.type !== 'txt' || conversationType === undefined || !m.to) {
      badParam('messageId and a txt modifiedMessage with to and chatType are required');
    }
    const conversation = { conversationType, targetId: m.to };
    const res = await im.modifyMessageWithParams({
      messageUId: params.messageId, conversation,
      messageContent: { content: String(m.msg ?? ''), ...(m.ext && Object.keys(m.ext).length && { extra: json(m.ext, params) }) },
    });
    if (res.code !== 0) throw failed(params, res);
    const now = await im.getUltraGroupMessageListByMessageUId(conversation, [{ messageUId: params.messageId }]); // any conversation type
    const edited = now.code === 0 ? now.data[params.messageId] : undefined;
    const modifiedInfo = { operatorId: this.user, operationCount: 1, operationTime: edited?.modifyInfo?.timestamp ?? Date.now() };
    const message = edited && this.#shape(edited);
    return { localMsgId: m.id ?? '', serverMsgId: params.messageId, ...(message && { message: { ...message, modifiedInfo } }), modifiedInfo };
  }

  // Mutes: muteDuration in ms, -1 for ever (100 years here); data, each
  // user's result and for a mute until when (ms, this clock's).
  muteGroupMember(params) {
    const ms = params?.muteDuration === -1 ? 100 * 365 * 24 * 3600 * 1000 : params?.muteDuration;
    const users = [].concat(params?.username ?? []), from = Date.now();
    return result(im.muteGroupMembers(params?.groupId, users, ms), params, () => users.map((user) => ({ user, result: true, expire: from + ms })));
  }
  unmuteGroupMember(params) {
    const users = [].concat(params?.username ?? []);
    return result(im.muteGroupMembers(params?.groupId, users, 0), params, () => users.map((user) => ({ user, result: true })));
  }
  disableSendGroupMsg(params) { return result(im.muteAllGroupMembers(params?.groupId, true), params); }
  enableSendGroupMsg(params) { return result(im.muteAllGroupMembers(params?.groupId, false), params); }

  // Chat rooms, made, muted and destroyed by the app server: joining one
  // that exists (705 otherwise) hands on its latest 10 messages.
  joinChatRoom(p) {
    if (p?.leaveOtherRooms) return Promise.reject({ type: statusCode.OPERATION_UNSUPPORTED, message: 'leaveOtherRooms is not provided' });
    return result(im.joinExistChatRoom(p?.roomId, { count: 10 }), p, (r) => ({ action: 'apply', id: p.roomId, result: true, user: this.user, info: {
      isAllMembersMuted: r.isAllChatroomBanned, createTimestamp: r.createTime, isInAllowlist: false, memberCount: r.memberCount,
      muteExpireTimestamp: r.isCurrentChatroomBanned ? 0 : -1, // muted: until when is not told
    } }));
  }
  leaveChatRoom(p) { return result(im.quitChatRoom(p?.roomId), p, () => ({ result: true })); }
  // The member count and the earliest 20 members (no name, owner, …).
  getChatRoomDetails(p) {
    return result(im.getChatRoomInfo(p?.chatRoomId, { count: 20, order: 1 }), p,
      (r) => [{ id: p.chatRoomId, affiliations_count: r.userCount, affiliations: r.userInfos.map((m) => ({ member: m.id })) }]);
  }
  // Attributes: the room's entries, { key: value }.
  async getChatRoomAttributes(p) {
    const keys = keysOf(p?.attributeKeys, p);
    return result(im.getAllChatRoomEntries(p?.chatRoomId), p, (r) => (keys.length ? Object.fromEntries(Object.entries(r).filter(([k]) => keys.includes(k))) : r));
  }
  async setChatRoomAttributes(p) {
    const a = p?.attributes;
    if (a?.constructor !== Object || Object.values(a).some((v) => typeof v !== 'string')) badParam('attributes must be { key: string }', p);
    const entries = Object.entries(a).map(([key, value]) => ({ key, value }));
    return attributes([[im.setChatRoomEntries(p?.chatRoomId, { entries, isAutoDelete: p?.autoDelete ?? true, isForce: !!p?.isForced }), entries.map((e) => e.key)]], p);
  }
  setChatRoomAttribute(p) {
    return result((p?.isForced ? im.forceSetChatRoomEntry : im.setChatRoomEntry)(p?.chatRoomId,
      { key: p?.attributeKey, value: p?.attributeValue, isAutoDelete: p?.autoDelete ?? true }), p);
  }
  // isForced: other members' too, a call per key (the engine has no batch).
  async removeChatRoomAttributes(p) {
    const keys = keysOf(p?.attributeKeys, p);
    return attributes(p?.isForced ? keys.map((key) => [im.forceRemoveChatRoomEntry(p.chatRoomId, { key }), [key]])
      : [[im.removeChatRoomEntries(p?.chatRoomId, { entries: keys }), keys]], p);
  }
  removeChatRoomAttribute(p) {
    return result((p?.isForced ? im.forceRemoveChatRoomEntry : im.removeChatRoomEntry)(p?.chatRoomId, { key: p?.attributeKey }), p);
  }

  #groupEvent(operation, id, from, extra) { this.#emit('onGroupEvent', { operation, id, from: from ?? '', ...extra }); }
  #roomEvent(operation, id, extra) { this.#emit('onChatroomEvent', { operation, id, from: '', ...extra }); }

  #listen() {
    const on = (name, fn) => { im.addEventListener(name, fn); this.#listening.push([name, fn]); };
    const ops = {
      [im.GroupOperation.JOIN]: ['memberPresence', 'membersPresence'],
      [im.GroupOperation.QUIT]: ['memberAbsence', 'membersAbsence'],
      [im.GroupOperation.KICK]: ['memberAbsence', 'membersAbsence'],
    };
    on(im.Events.GROUP_OPERATION, (e) => {
      const from = e.operatorInfo?.userId;
      const users = (e.memberInfos ?? []).map((m) => m.userId);
      const me = users.includes(this.user);
      switch (e.operation) {
        case im.GroupOperation.CREATE:
          this.#groupEvent(from === this.user ? 'create' : 'directJoined', e.groupId, from, { name: e.groupInfo?.groupName });
          return;
        case im.GroupOperation.DISMISS:
          this.#groupEvent('destroy', e.groupId, from);
          return;
        case im.GroupOperation.ADD_MANAGER:
        case im.GroupOperation.REMOVE_MANAGER:
          if (me) this.#groupEvent(e.operation === im.GroupOperation.ADD_MANAGER ? 'setAdmin' : 'removeAdmin', e.groupId, from);
          return;
        case im.GroupOperation.TRANSFER_GROUP_OWNER:
          // To the new and the old owner only, as Easemob tells it.
          if (me || from === this.user) this.#groupEvent('changeOwner', e.groupId, from, { userId: users[0] });
          return;
      }
      if (e.operation === im.GroupOperation.KICK && me) this.#groupEvent('removeMember', e.groupId, from);
      const names = ops[e.operation];
      if (!names) return;
      if (users.length === 1) this.#groupEvent(names[0], e.groupId, users[0], { userId: users[0] });
      else this.#groupEvent(names[1], e.groupId, from, { userId: users });
    });
    on(im.Events.GROUP_MUTE, (e) => {
      const from = e.operatorInfo?.userId;
      if (e.muteAll !== undefined) {
        this.#groupEvent(e.muteAll ? 'muteAllMembers' : 'unmuteAllMembers', e.groupId, from);
        return;
      }
      const mine = e.memberInfos.find((m) => m.userId === this.user);
      if (mine) this.#groupEvent(mine.mutedUntil > 0 ? 'muteMember' : 'unmuteMember', e.groupId, from, { userId: this.user, muteTimestamp: mine.mutedUntil });
    });
    // Chat rooms: attributes set or removed (by whom is not told), the room
    // destroyed, mutes (muteMember only to the members muted, as Easemob's).
    on(im.Events.CHATROOM, ({ updatedEntries: list = [], chatroomDestroyed, chatroomNotifyBan: ban }) => {
      const set = list.filter((x) => x.type === 1), removed = list.filter((x) => x.type === 2);
      if (set[0]) this.#roomEvent('updateChatRoomAttributes', set[0].chatroomId, { attributes: Object.fromEntries(set.map((x) => [x.key, x.value])) });
      if (removed[0]) this.#roomEvent('removeChatRoomAttributes', removed[0].chatroomId, { attributes: removed.map((x) => x.key) });
      if (chatroomDestroyed) this.#roomEvent('destroy', chatroomDestroyed);
      const t = ban?.banType; // ChrmMemBanType: 0 unmute users, 1 mute users, 2 unmute all, 3 mute all
      if (t > 1) this.#roomEvent(t === 3 ? 'muteAllMembers' : 'unmuteAllMembers', ban.chatroomId);
      else if (ban?.userIdList.includes(this.user)) {
        this.#roomEvent(t ? 'muteMember' : 'unmuteMember', ban.chatroomId, { userId: this.user, ...(t && { muteTimestamp: ban.operateTime + ban.durationTime }) });
      }
    });
    on(im.Events.GROUP_INFO_CHANGED, (e) => {
      const g = e.fullGroupInfo ?? {};
      this.#groupEvent('updateInfo', g.groupId, e.operatorInfo?.userId, { name: g.groupName });
    });
    on(im.Events.GROUP_APPLICATION_EVENT, (a) => {
      const who = a.joinMemberInfo.userId;
      const S = im.GroupApplicationStatus, D = im.GroupApplicationDirection;
      if (a.direction === D.APPLICATION_RECEIVED && a.status === S.MANAGER_UNHANDLED) this.#groupEvent('requestToJoin', a.groupId, who, { reason: a.reason });
      else if (a.direction === D.INVITATION_RECEIVED && a.status === S.INVITEE_UNHANDLED) this.#groupEvent('inviteToJoin', a.groupId, a.inviterInfo?.userId);
      else if (a.direction === D.APPLICATION_SENT && a.status === S.JOINED) this.#groupEvent('acceptRequest', a.groupId, a.operatorInfo?.userId);
      else if (a.direction === D.APPLICATION_SENT && a.status === S.MANAGER_REFUSED) this.#groupEvent('joinPublicGroupDeclined', a.groupId, a.operatorInfo?.userId, { reason: a.reason });
      else if (a.direction === D.INVITATION_SENT && a.status === S.JOINED) this.#groupEvent('acceptInvite', a.groupId, who);
      else if (a.direction === D.INVITATION_SENT && a.status === S.INVITEE_REFUSED) this.#groupEvent('rejectInvite', a.groupId, who, { reason: a.reason });
    });
    on(im.Events.SUBSCRIBED_USER_STATUS_CHANGE, (list) => {
      const changes = list.filter((s) => s.subscribeType === im.SubscribeType.ONLINE_STATUS && s.details).map((s) => ({
        userId: s.userId, ext: '', expire: s.expiry, lastTime: Math.max(0, ...s.details.map((d) => d.changeTime)),
        statusDetails: s.details.map((d) => ({ device: 'web', status: d.eventValue })),
      }));
      if (changes.length) this.#emit('onPresenceStatusChange', changes);
    });
    on(im.Events.FRIEND_APPLICATION_STATUS_CHANGED, (e) => {
      if (e.applicationType !== im.FriendApplicationType.RECEIVED && e.applicationStatus === im.FriendApplicationStatus.UNHANDLED) return;
      const from = e.applicationType === im.FriendApplicationType.RECEIVED ? e.userId : this.user;
      const to = from === e.userId ? this.user : e.userId;
      if (e.applicationStatus === im.FriendApplicationStatus.UNHANDLED) this.#emit('onContactInvited', { type: 'subscribe', from, to, status: e.extra });
      if (e.applicationStatus === im.FriendApplicationStatus.ACCEPTED && e.applicationType === im.FriendApplicationType.SENT) {
        this.#emit('onContactAgreed', { type: 'subscribed', from: e.userId, to: this.user });
      }
      if (e.applicationStatus === im.FriendApplicationStatus.REFUSED && e.applicationType === im.FriendApplicationType.SENT) {
        this.#emit('onContactRefuse', { type: 'unsubscribed', from: e.userId, to: this.user });
      }
    });
    on(im.Events.FRIEND_ADDED, (e) => this.#emit('onContactAdded', { type: 'subscribed', from: e.userId, to: this.user }));
    on(im.Events.FRIEND_DELETE, (e) => {
      // To the one deleted, as Easemob's (not the deleter's other devices).
      if (e.operatorId === this.user) return;
      for (const id of e.userIds) this.#emit('onContactDeleted', { type: 'unsubscribed', from: id, to: this.user });
    });
    on(im.Events.CONNECTED, () => {
      this.#opened = true;
      this.#emit('onConnected');
    });
    // A fifth of the token's life left; then its end, which closes the
    // connection as Easemob's SDK does (open or renewToken again).
    on(im.Events.TOKEN_WILL_EXPIRE, () => this.#emit('onTokenWillExpire'));
    on(im.Events.TOKEN_EXPIRED, () => {
      this.#expiredTold = true;
      this.#emit('onTokenExpired');
      this.close();
    });
    // The connection lost: the engine reconnects by itself (onConnected
    // again once it is back), as Easemob's onReconnecting tells.
    on(im.Events.SUSPEND, () => { this.#syncDone(); this.#emit('onReconnecting'); });
    on(im.Events.MESSAGE_MODIFIED, (list) => {
      for (const m of list) {
        const msg = this.#shape(m);
        if (msg) this.#emit('onModifiedMessage', { ...msg, modifiedInfo: { operationTime: m.modifyInfo?.timestamp ?? 0, operatorId: m.senderUserId, operationCount: 1 } });
      }
    });
    on(im.Events.DISCONNECT, (code) => {
      if (code !== im.ErrorCode.ACTIVE_DISCONNECT) this.#syncDone(); // lists answer what the device has
      this.#opened = false;
      if (code === im.ErrorCode.RC_CONN_TOKEN_EXPIRED && !this.#expiredTold) this.#emit('onTokenExpired');
      const type = codeMap.get(code);
      this.#emit('onDisconnected', { type: type ?? statusCode.WEBIM_CONNCTION_DISCONNECTED, code });
      if (type) this.#emit('onError', { type, message: `disconnected (${code})`, data: { code } }); // a kick, an expired or refused token
    });
    // Each message to the handler of its type, then the batch's messages
    // (cmd messages and recalls left out, as Easemob's) to onMessage.
    on(im.Events.MESSAGES, ({ messages }) => {
      const batch = messages.map((m) => this.#received(m)).filter((msg) => msg && msg.type !== 'cmd');
      if (batch.length) this.#emit('onMessage', batch);
    });
    // Read acks: onReadMessage when they come live; the group acks that
    // waited while this user was away gather into one onStatisticMessage
    // once the connection's sync is in.
    let waited = [];
    on(im.Events.MESSAGE_RECEIPT_RESPONSE_V5, (list) => {
      for (const { identifier, messageUId: mid, readCount, users, isOffline } of list) {
        const group = identifier.conversationType === im.ConversationType.GROUP;
        for (const u of users) {
          if (group && isOffline) {
            waited.push({ msg_id: mid, from: u.userId, to: identifier.targetId, count: readCount, ack_content: u.content ?? '', timestamp: u.timestamp });
            continue;
          }
          this.#emit('onReadMessage', {
            id: mid, mid, ackId: mid, type: 'read', chatType: chatTypeOf(identifier.conversationType), from: u.userId,
            to: group ? identifier.targetId : this.user, time: u.timestamp,
            ...(group && { groupReadCount: { [mid]: readCount } }), ...(u.content && { ackContent: u.content }),
          });
        }
      }
    });
    on(im.Events.PULL_OFFLINE_MESSAGE_FINISHED, () => {
      this.#syncDone();
      if (!waited.length) return;
      const group_ack = waited;
      waited = [];
      this.#emit('onStatisticMessage', { type: 'statistic', from: '', to: this.user, location: JSON.stringify({ group_ack }) });
    });
    // Conversation read acks: the peer's, and this user's from another device.
    on(im.Events.READ_RECEIPT_RECEIVED, ({ conversation, messageUId, sentTime, sendUserId }) => {
      this.#emit('onChannelMessage', { id: messageUId, mid: messageUId, type: 'channel', chatType: chatTypeOf(conversation.conversationType), from: sendUserId, to: this.user, time: sentTime });
    });
    on(im.Events.SYNC_READ_STATUS, ({ conversationType, targetId, timestamp, peerTold }) => {
      if (peerTold) this.#emit('onChannelMessage', { id: '', type: 'channel', chatType: chatTypeOf(conversationType), from: this.user, to: targetId, time: timestamp });
    });
    on(im.Events.MESSAGE_DELIVERED, ({ conversation, deliveredUserId, messageUIdList }) => {
      for (const mid of messageUIdList) this.#emit('onDeliveredMessage', { id: mid, type: 'delivery', mid, from: deliveredUserId, to: this.user, chatType: chatTypeOf(conversation.conversationType) });
    });
  }

  #unlisten() {
    for (const [name, fn] of this.#listening) im.removeEventListener(name, fn);
    this.#listening = [];
    for (const [name, fn] of this.#windowListening) globalThis.removeEventListener(name, fn);
    this.#windowListening = [];
  }

  // The browser's network going and coming: onOffline and onOnline, as
  // Easemob's SDK relays the window's offline and online events.
  #listenWindow() {
    if (typeof globalThis.addEventListener !== 'function') return;
    for (const [name, event] of [['online', 'onOnline'], ['offline', 'onOffline']]) {
      const fn = () => this.#emit(event);
      globalThis.addEventListener(name, fn);
      this.#windowListening.push([name, fn]);
    }
  }

  // #shape is an imwasm message as Easemob shapes it (undefined for kinds
  // this module does not provide yet).
  #shape(m) {
    const base = {
      id: m.messageUId, chatType: chatTypeOf(m.conversationType), from: m.senderUserId,
      to: shared(m.conversationType) ? m.targetId : (m.senderUserId === this.user ? m.targetId : this.user),
      time: m.sentTime, ext: {}, ...(m.needReceipt && { msgConfig: { allowGroupAck: true } }),
    };
    const c = m.content || {};
    switch (m.messageType) {
      case im.MessageType.TEXT:
        return { ...base, type: 'txt', msg: c.content ?? '', ext: extOf(c) };
      case im.MessageType.IMAGE:
        return { ...base, type: 'img', url: c.imageUri ?? '', thumb: c.content ? 'data:image/jpeg;base64,' + c.content : '', ext: extOf(c) };
      case im.MessageType.FILE:
        return { ...base, type: 'file', url: c.fileUrl ?? '', filename: c.name ?? '', file_length: c.size ?? 0, ext: extOf(c) };
      case im.MessageType.HQ_VOICE:
        return { ...base, type: 'audio', url: c.remoteUrl ?? '', filename: c.name ?? '', length: c.duration ?? 0, file_length: c.size ?? 0, ext: extOf(c) };
      case im.MessageType.SIGHT:
        return { ...base, type: 'video', url: c.sightUrl ?? '', filename: c.name ?? '', length: c.duration ?? 0, file_length: c.size ?? 0,
          thumb: c.content ? 'data:image/jpeg;base64,' + c.content : '', ext: extOf(c) };
      case im.MessageType.LOCATION:
        return { ...base, type: 'loc', lat: c.latitude, lng: c.longitude, addr: c.poi ?? '', buildingName: '', ext: extOf(c) };
      case CUSTOM:
        return { ...base, type: 'custom', customEvent: c.customEvent, customExts: c.customExts ?? {}, ext: c.ext ?? {} };
      case CMD:
        return { ...base, type: 'cmd', action: c.action, ext: c.ext ?? {} };
    }
    return undefined;
  }

  // #received hands a message to Easemob's handler for its type and
  // answers it as Easemob shapes it (undefined for a recall or a kind not
  // provided). A recall carries the ext it was made with (the
  // notification's extra).
  #received(m) {
    if (m.messageType === im.MessageType.RECALL_NOTIFICATION) {
      const to = m.conversationType === im.ConversationType.GROUP || m.senderUserId === this.user ? m.targetId : this.user;
      this.#emit('onRecallMessage', { id: m.messageUId, mid: m.messageUId, from: m.senderUserId, to, ext: m.content?.extra ?? '' });
      return undefined;
    }
    const msg = this.#shape(m);
    const handler = {
      txt: 'onTextMessage', img: 'onImageMessage', file: 'onFileMessage', audio: 'onAudioMessage', video: 'onVideoMessage',
      loc: 'onLocationMessage', custom: 'onCustomMessage', cmd: 'onCmdMessage',
    }[msg?.type];
    if (handler) this.#emit(handler, msg);
    return msg;
  }
}

// getFileUrl(input): Easemob's FileObj of a file input's (its element or
// id) first file, as apps make the file of an attachment message.
function getFileUrl(input) {
  const el = typeof input === 'string' ? globalThis.document?.getElementById(input) : input;
  const file = el?.files?.[0];
  if (!file) return { url: '', filename: '', filetype: '', data: undefined };
  const filename = file.name;
  return { url: URL.createObjectURL(file), filename, filetype: filename.includes('.') ? filename.slice(filename.lastIndexOf('.') + 1).toLowerCase() : '', data: file };
}

const websdk = Object.freeze({
  connection: Connection,
  message: Object.freeze({ create, getFileUrl }),
  utils: Object.freeze({ getFileUrl }),
  statusCode,
});

export default websdk;
export { Connection as connection };
export const message = websdk.message;
