// imwasm: the browser (and Node) SDK of a self-hosted IM server, shaped like
// RongCloud's Web IMLib v5 so `import * as RongIMLib from 'imwasm'` runs code
// written for it. The SDK's logic is Go compiled to WebAssembly (dist/); this
// file loads it, holds the constants, message classes and event listeners,
// and forwards every call to the Go side, which checks its arguments.

import { uploadHelpers } from './upload.js';

// ---- Constants (RongIMLib's names and numbers) ----

// Every enum of RongIMLib 5.38, as it exports them (constants.js is
// generated from the package; test/parity.test.mjs compares). Three get
// imwasm's own members on top, declared below.
export * from './constants.js';
import * as rong from './constants.js';

export const ErrorCode = Object.freeze({
  ...rong.ErrorCode,
  // imwasm's: a failure with no RongIMLib code (the engine's internal error is -1, TIMEOUT).
  UNKNOWN: -2,
  // RongCloud's other names for codes RongIMLib 5.38 names otherwise
  // (../shared/reference/vendor-web-sdk-apis.md, older RongIMLib and the
  // other platforms), kept for code written against them.
  RC_RECALLMESSAGE_PARAMETER_INVALID: 25101,
  RC_RECALL_MESSAGE_USER_INVALID: 25107,
  RC_MSG_SIZE_OUT_OF_LIMIT: 30016,
  RC_CONN_USER_OR_PASSWD_ERROR: 31004,
  INVALID_PARAMETER_MESSAGEUID: 34203,
  INVALID_PARAMETER_MESSAGEID: 34204,
});

export const MessageType = Object.freeze({
  ...rong.MessageType,
  // Built-in types RongIMLib has as classes only, and imwasm's first name
  // for RECALL_NOTIFICATION_MESSAGE.
  COMMAND: 'RC:CmdMsg', GROUP_NOTIFICATION: 'RC:GrpNtf', INFORMATION_NOTIFICATION: 'RC:InfoNtf',
  RECALL_NOTIFICATION: 'RC:RcNtf',
});

// MESSAGE_DELIVERED is imwasm's addition (SPEC §3: delivery receipts,
// Easemob's onDeliveredMessage).
// GROUP_MUTE is imwasm's too (members or a whole group muted: Easemob's
// muteMember, NIM's updateTeamMembersMute).
// TOKEN_WILL_EXPIRE and TOKEN_EXPIRED are imwasm's (Easemob's
// onTokenWillExpire and onTokenExpired; renewToken hands a newer token).
export const Events = Object.freeze({
  ...rong.Events, MESSAGE_DELIVERED: 'MESSAGE_DELIVERED', GROUP_MUTE: 'GROUP_MUTE',
  TOKEN_WILL_EXPIRE: 'TOKEN_WILL_EXPIRE', TOKEN_EXPIRED: 'TOKEN_EXPIRED',
});

// ---- Message classes ----

export class BaseMessage {
  constructor(messageType, content, isPersited = true, isCounted = true, isStatusMessage = false) {
    this.messageType = messageType;
    this.content = content;
    this.isPersited = isPersited;
    this.isCounted = isCounted;
    this.isStatusMessage = isStatusMessage;
  }
}

const builtin = (type, persisted = true, counted = true) => class extends BaseMessage {
  constructor(content) { super(type, content, persisted, counted); }
};

export const TextMessage = builtin(MessageType.TEXT);
export const VoiceMessage = builtin(MessageType.VOICE);
export const HQVoiceMessage = builtin(MessageType.HQ_VOICE);
export const ImageMessage = builtin(MessageType.IMAGE);
export const GIFMessage = builtin(MessageType.GIF);
export const FileMessage = builtin(MessageType.FILE);
export const SightMessage = builtin(MessageType.SIGHT);
export const LocationMessage = builtin(MessageType.LOCATION);
export const RichContentMessage = builtin(MessageType.RICH_CONTENT);
export const ReferenceMessage = builtin(MessageType.REFERENCE);
export const CombineMessage = builtin(MessageType.COMBINE);
export const CombineV2Message = builtin(MessageType.COMBINE_V2);
export const InformationNotificationMessage = builtin(MessageType.INFORMATION_NOTIFICATION, true, false);
export const CommandMessage = builtin(MessageType.COMMAND, false, false); // RongIMLib keeps no command
export const GroupNotificationMessage = builtin(MessageType.GROUP_NOTIFICATION, true, false);

/**
 * registerMessageType(messageType, isPersited, isCounted, searchProps?, isStatusMessage?)
 * returns a class for a custom message type. Types that are not persisted,
 * or are status messages, are never stored and reach online devices only;
 * searchProps name the content properties searchMessages looks in.
 */
// searchProps of the registered types (objectName -> property names): the
// engine's search reads these properties of their content.
const searchProps = {};

export function registerMessageType(messageType, isPersited, isCounted, props = [], isStatusMessage = false) {
  if (typeof messageType !== 'string' || messageType === '' || messageType.startsWith('RC:')) {
    throw new TypeError('registerMessageType: messageType must be a non-empty string without the RC: prefix');
  }
  for (const [name, v] of [['isPersited', isPersited], ['isCounted', isCounted], ['isStatusMessage', isStatusMessage]]) {
    if (typeof v !== 'boolean') throw new TypeError(`registerMessageType: '${name}' is invalid: a boolean`);
  }
  if (!Array.isArray(props) || props.some((p) => typeof p !== 'string')) {
    throw new TypeError('registerMessageType: searchProps must be an array of property names');
  }
  searchProps[messageType] = [...props];
  return class extends BaseMessage {
    constructor(content) { super(messageType, content, isPersited, isCounted, isStatusMessage); }
  };
}

// ---- Events ----

const listeners = new Map(); // name -> [{fn, target, once}]

// listen adds fn (for target) once: the same pair added again is not
// called twice, as RongIMLib's emitter has it.
function listen(name, fn, target, once) {
  if (typeof fn !== 'function') return;
  if (!listeners.has(name)) listeners.set(name, []);
  const list = listeners.get(name);
  if (!list.some((l) => l.fn === fn && l.target === target)) list.push({ fn, target, once });
}

export function addEventListener(name, fn, target) { listen(name, fn, target, false); }
export function onceEventListener(name, fn, target) { listen(name, fn, target, true); }

export function removeEventListener(name, fn, target) {
  const list = listeners.get(name);
  if (!list) return;
  const i = list.findIndex((l) => l.fn === fn && l.target === target);
  if (i >= 0) list.splice(i, 1);
}

export function removeEventListeners(name) { listeners.delete(name); }
export function clearEventListeners() { listeners.clear(); }

// emit receives one batch of [name, payload] pairs from the Go side.
function emit(batch) {
  for (const [name, payload] of batch) {
    const list = listeners.get(name);
    if (!list) continue;
    for (const l of [...list]) {
      if (l.once) {
        const i = list.indexOf(l); // this entry, not another of the same function
        if (i >= 0) list.splice(i, 1);
      }
      try {
        // An event with nothing to say (CONNECTED, PULL_OFFLINE_MESSAGE_FINISHED…) calls with no argument.
        if (payload === null || payload === undefined) l.fn.call(l.target);
        else l.fn.call(l.target, payload);
      } catch (e) {
        console.error('[imwasm] a listener of', name, 'threw', e);
      }
    }
  }
}

// ---- Loading the runtime ----

let runtime = null; // Promise of the Go side's functions, set by init
let loaded = null; // the same once ready, for the synchronous calls

async function loadWasm(url) {
  if (url.protocol === 'file:') {
    const { readFile } = await import('node:fs/promises');
    return WebAssembly.compile(await readFile(url));
  }
  const res = await fetch(url);
  if (!res.ok) throw new Error(`imwasm: fetching ${url}: HTTP ${res.status}`);
  if (WebAssembly.compileStreaming && (res.headers.get('content-type') || '').startsWith('application/wasm')) {
    return WebAssembly.compileStreaming(res);
  }
  return WebAssembly.compile(await res.arrayBuffer());
}

function deviceId(appkey) {
  const key = `imwasm:device:${appkey}`;
  try {
    let id = globalThis.localStorage?.getItem(key);
    if (!id) {
      id = globalThis.crypto.randomUUID();
      globalThis.localStorage?.setItem(key, id);
    }
    return id;
  } catch {
    return globalThis.crypto.randomUUID(); // no storage: a new device each time
  }
}

// Performance marks (imwasm:*) show where a cold start goes.
const mark = (name) => globalThis.performance?.mark?.('imwasm:' + name);

// boot fetches, compiles and starts one Go runtime from url and resolves to
// its bridge (the SDK's Go functions) once main has registered them.
async function boot(url) {
  const base = new URL('./dist/', import.meta.url);
  // Go's glue and the module load side by side: both are fetches.
  const glue = globalThis.Go ? null : import(new URL('wasm_exec.js', base).href);
  glue?.catch(() => {}); // awaited below; if the module fails first, not unhandled
  const module = await loadWasm(url);
  mark('compiled');
  await glue;
  const go = new globalThis.Go();
  const bridge = {};
  const ready = new Promise((resolve) => { bridge.ready = resolve; });
  const instance = await WebAssembly.instantiate(module, go.importObject);
  mark('instantiated');
  // main reads globalThis.__imwasm before it first blocks, that is before
  // go.run returns: set right here, a second boot in flight cannot swap it.
  globalThis.__imwasm = bridge;
  go.run(instance).catch((e) => console.error('[imwasm] the runtime stopped', e));
  await ready;
  mark('ready');
  return bridge;
}

const defaultWasm = () => new URL('./dist/imwasm.wasm', import.meta.url).href;

// A page that imports the SDK is about to use it, so in a browser the
// runtime is fetched, compiled and started while the page goes on loading:
// init() then finds it ready (the cold start of BENCHMARKS.md). Only the first
// init with the default wasm URL takes it; its failure is reported there.
let preboot = null;
if (typeof document !== 'undefined' && typeof WebAssembly === 'object' && typeof fetch === 'function') {
  mark('preboot');
  preboot = boot(new URL(defaultWasm()));
  preboot.catch(() => {});
}

// start boots a runtime for options and inits it; emit receives its events.
async function start(options, emit) {
  mark('init');
  const url = new URL(options.wasmUrl || 'imwasm.wasm', new URL('./dist/', import.meta.url));
  let bridge;
  if (preboot && url.href === defaultWasm()) {
    const p = preboot;
    preboot = null;
    // A load that failed while the page loaded (a network hiccup) is tried
    // once more now rather than reported.
    bridge = await p.catch(() => boot(url));
  } else {
    bridge = await boot(url);
  }
  const res = bridge.init(options, emit, deviceId(String(options.appkey)));
  if (res.code !== ErrorCode.SUCCESS) {
    bridge.__close(); // nothing will use this runtime: it ends
    const err = new Error(`imwasm init: ${res.msg}`);
    err.code = res.code;
    throw err;
  }
  return bridge;
}

/**
 * init({appkey, serverUrl | navigators: [serverUrl], wasmUrl?, WebSocket?, sendTimeout?, logLevel?})
 * starts loading the SDK; every other call waits for it.
 */
export function init(options) {
  if (options === null || typeof options !== 'object') throw new TypeError('init: options object required');
  uploadBase = options.uploadUrl || options.serverUrl || options.navigators?.[0] || '';
  uploadExplicit = options.uploadUrl || '';
  lastToken = '';
  appKeyNow = String(options.appkey);
  loaded = null;
  stopVisibility(); // the new engine starts in the foreground, as a new app's choice
  const prev = runtime;
  // Only the latest init's runtime reaches the listeners: the one it
  // replaces may still be saying DISCONNECT as it closes.
  const r = start({ ...options }, (batch) => { if (runtime === r) emit(batch); });
  runtime = r;
  // The runtime replaced closes its engine (and WebSocket) and ends.
  prev?.then((b) => b.__close(), () => {});
  // Only the latest init's runtime serves the synchronous calls.
  r.then((b) => { if (runtime === r) loaded = b; }, (e) => console.error('[imwasm]', e.message));
}

// argsProblem says why args may not cross into the engine ('' when they
// may): a BigInt, or a property that throws when read (a getter, a revoked
// Proxy). The engine reads its arguments from Go, where such a throw
// unwound through the runtime, leaving its stack behind each time until
// the runtime died; here it is one refusal (33003).
function argsProblem(v, depth = 0, seen = new Set()) {
  if (typeof v === 'bigint') return 'a BigInt is no value here';
  if (v === null || typeof v !== 'object' || depth > 8 || seen.has(v)) return '';
  seen.add(v);
  let keys;
  try {
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return ''; // bytes: read as such
    keys = Object.keys(v);
  } catch {
    return 'an argument cannot be read (a revoked Proxy?)';
  }
  for (const k of keys) {
    let x;
    try { x = v[k]; } catch { return `${k} cannot be read: its getter throws`; }
    const why = argsProblem(x, depth + 1, seen);
    if (why) return why;
  }
  return '';
}

async function call(name, args) {
  if (!runtime) return { code: ErrorCode.BIZ_ERROR_CLIENT_NOT_INIT, msg: 'call init first' };
  const why = argsProblem(args);
  if (why) return { code: ErrorCode.BIZ_ERROR_INVALID_PARAMETER, msg: why };
  let bridge;
  try {
    bridge = await runtime;
  } catch (e) {
    return { code: e.code ?? ErrorCode.BIZ_ERROR_CLIENT_NOT_INIT, msg: e.message };
  }
  try {
    // A wasm older than this file has each function by name (no __call).
    return await (typeof bridge.__call === 'function' ? bridge.__call(name, ...args) : bridge[name](...args));
  } catch (e) { // a runtime a later init ended meanwhile ("Go program has already exited")
    return { code: ErrorCode.BIZ_ERROR_CLIENT_NOT_INIT, msg: e.message };
  }
}

const api = (name) => (...args) => call(name, args);

export { RongIMEmoji } from './emoji.js';

// ---- The API ----

let uploadBase = ''; // where uploads go: init's uploadUrl, else the server
let uploadExplicit = ''; // init's uploadUrl (an edge relay, say): it wins over the connected node
let lastToken = ''; // the token of the last connect(), for uploads

export function connect(token) {
  if (typeof token === 'string' && token) lastToken = token;
  return call('connect', [token]);
}
export const disconnect = api('disconnect');
// renewToken(token): a newer token of the connected user for the session,
// checked by the server; reconnects and uploads use it from then on.
export async function renewToken(token) {
  const res = await call('renewToken', [token]);
  if (res.code === 0) lastToken = token;
  return res;
}
export const sendMessage = api('sendMessage');
export const forwardMessage = api('forwardMessage');
export const recallMessage = api('recallMessage');
export const deleteMessages = api('deleteMessages');
export const clearHistoryMessages = api('clearHistoryMessages');
export const sendTypingStatusMessage = api('sendTypingStatusMessage');
export const updateMessageExpansion = api('updateMessageExpansion');
export const removeMessageExpansionForKey = api('removeMessageExpansionForKey');
export const getHistoryMessages = api('getHistoryMessages');
export const getRemoteHistoryMessages = api('getRemoteHistoryMessages');
export const getConversationList = api('getConversationList');
export const getConversationListByTimestamp = api('getConversationListByTimestamp');
export const getAllConversationList = api('getAllConversationList');
export const getConversation = api('getConversation');
export const getUnreadConversationList = api('getUnreadConversationList');
export const removeConversation = api('removeConversation');
export const batchRemoveConversation = api('batchRemoveConversation');
export const getFirstUnreadMessage = api('getFirstUnreadMessage');
export const getFirstUnreadMessageInfo = api('getFirstUnreadMessageInfo');
export const getUnreadMentionedCount = api('getUnreadMentionedCount');
export const getAllUnreadMentionedCount = api('getAllUnreadMentionedCount');
export const clearAllMessagesUnreadStatus = api('clearAllMessagesUnreadStatus');
export const sendSyncReadStatusMessage = api('sendSyncReadStatusMessage');
export const getMessagesByUIds = api('getMessagesByUIds');
export const batchClearRemoteHistoryMessages = api('batchClearRemoteHistoryMessages');
export const getUnreadCount = api('getUnreadCount');
export const getTotalUnreadCount = api('getTotalUnreadCount');
export const clearMessagesUnreadStatus = api('clearMessagesUnreadStatus');
export const getMessage = api('getMessage');
export const clearMessages = api('clearMessages');
export const deleteLocalMessagesByTimestamp = api('deleteLocalMessagesByTimestamp');
export const setConversationToTop = api('setConversationToTop');
export const batchSetConversationToTop = api('batchSetConversationToTop');
export const setConversationNotificationLevel = api('setConversationNotificationLevel');
export const batchSetConversationNotificationLevel = api('batchSetConversationNotificationLevel');
export const setConversationNotificationStatus = api('setConversationNotificationStatus');
export const getConversationNotificationLevel = api('getConversationNotificationLevel');
export const getConversationNotificationStatus = api('getConversationNotificationStatus');
export const getTopConversationList = api('getTopConversationList');
export const getBlockedConversationList = api('getBlockedConversationList');
export const saveTextMessageDraft = api('saveTextMessageDraft');
export const getTextMessageDraft = api('getTextMessageDraft');
export const clearTextMessageDraft = api('clearTextMessageDraft');

// RongIMLib's newer conversation calls; its "realtime conversations" are the
// same server-kept list here.
export const markRemoteConversationAsRead = api('markRemoteConversationAsRead');
export const clearRealtimeConUnreadCount = api('clearRealtimeConUnreadCount');
export const clearUnreadCountByTimestamp = api('clearUnreadCountByTimestamp');
export const getRealtimeConTotalUnreadCount = api('getRealtimeConTotalUnreadCount');
export const removeRealtimeConversations = api('removeRealtimeConversations');
export const getRealtimeConversations = api('getRealtimeConversations');
export const getRealtimeConUnreadCounts = api('getRealtimeConUnreadCounts');
export const getTotalUnreadCountByLevels = api('getTotalUnreadCountByLevels');
export const getTotalUnreadMentionedCountByLevels = api('getTotalUnreadMentionedCountByLevels');
export const getUnreadMentionMeConversationList = api('getUnreadMentionMeConversationList');
export const getUnreadMentionedMessages = api('getUnreadMentionedMessages');
export const batchDeleteConversations = api('batchDeleteConversations');
export const modifyMessageWithParams = api('modifyMessageWithParams');
export const modifyMessage = api('modifyMessage');
export const setMessageReceivedStatus = api('setMessageReceivedStatus');

// refreshReferenceMessageWithParams: the engine finds the quoted messages as
// the server now has them; the app's callbacks get the list (the local one
// nothing, as on RongIMLib's web).
export async function refreshReferenceMessageWithParams(params) {
  if (params === null || typeof params !== 'object' || typeof params.remoteMessageBlock !== 'function' ||
    (params.localMessageBlock !== undefined && typeof params.localMessageBlock !== 'function')) {
    return { code: ErrorCode.BIZ_ERROR_INVALID_PARAMETER, msg: 'params with remoteMessageBlock (and localMessageBlock) functions required' };
  }
  const res = await call('__referencedMessages', [params.conversationIdentifier, params.messageUIds, params.messageInfoMap]);
  if (res.code !== ErrorCode.SUCCESS) return res;
  params.localMessageBlock?.([]);
  params.remoteMessageBlock(res.data);
  return { code: ErrorCode.SUCCESS };
}
// Search over what this device holds; the registered types' searchProps go along.
export function searchMessages(conversation, keyword, timestamp, count) {
  return call('searchMessages', [conversation, keyword, timestamp, count, searchProps]);
}
export function searchConversationByContent(keyword, conversationTypes, messageTypes, channelId) {
  return call('searchConversationByContent', [keyword, conversationTypes, messageTypes, channelId, searchProps]);
}
export const getMessagesReadReceiptByUsersV5 = api('getMessagesReadReceiptByUsersV5');
export const getMessageReadReceiptInfoV5ByIdentifiers = api('getMessageReadReceiptInfoV5ByIdentifiers');
export const sendReadReceiptResponse = api('sendReadReceiptResponse');
export const setConversationTypeNotificationLevel = api('setConversationTypeNotificationLevel');
export const getConversationTypeNotificationLevel = api('getConversationTypeNotificationLevel');

// createConversationListLoader(options?): RongIMLib's paged loader. Each
// load(count) continues where the last ended; the engine orders and filters
// (the cursor it answers is opaque here).
// loaderCursor reads and sets a loader's cursor (plain data), for the
// vendor modules' own opaque cursors: not RongIMLib's API.
const loaderCursor = Symbol.for('imwasm.loaderCursor'); // the same symbol in the vendor modules
class ConversationListLoader {
  #options;
  #cursor = null;
  #more = true;
  #loading = false;
  constructor(options) { this.#options = options; }
  get [loaderCursor]() { return this.#cursor; }
  set [loaderCursor](c) { this.#cursor = c; this.#more = true; }
  get hasMore() { return this.#more; }
  get isLoading() { return this.#loading; }
  async load(count) {
    if (this.#loading) return { code: ErrorCode.METHOD_BUSY, msg: 'a load is in progress' };
    this.#loading = true;
    try {
      const res = await call('__conversationPage', [this.#options, this.#cursor, count]);
      if (res.code !== ErrorCode.SUCCESS) return res;
      this.#cursor = res.data.cursor;
      this.#more = res.data.hasMore;
      return { code: ErrorCode.SUCCESS, data: res.data.list };
    } finally {
      this.#loading = false;
    }
  }
}
export async function createConversationListLoader(options) {
  if (!runtime) return { code: ErrorCode.BIZ_ERROR_CLIENT_NOT_INIT, msg: 'call init first' };
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    return { code: ErrorCode.BIZ_ERROR_INVALID_PARAMETER, msg: 'options must be an object' };
  }
  return { code: ErrorCode.SUCCESS, data: new ConversationListLoader(options) };
}

// Conversation tags, kept by the server for all the user's devices.
export const addTag = api('addTag');
export const updateTag = api('updateTag');
export const removeTag = api('removeTag');
export const getTags = api('getTags');
export const getTagsFromConversation = api('getTagsFromConversation');
export const addConversationsToTag = api('addConversationsToTag');
export const removeConversationsFromTag = api('removeConversationsFromTag');
export const removeTagFromConversations = api('removeTagFromConversations');
export const removeTagsFromConversation = api('removeTagsFromConversation');
export const getConversationsFromTagByPage = api('getConversationsFromTagByPage');
export const getUnreadCountByTag = api('getUnreadCountByTag');
export const setConversationToTopInTag = api('setConversationToTopInTag');

// Groups managed from the client (the server keeps them; see docs/api.md).
export const createGroup = api('createGroup');
export const updateGroupInfo = api('updateGroupInfo');
export const getGroupsInfo = api('getGroupsInfo');
export const kickGroupMembers = api('kickGroupMembers');
export const quitGroup = api('quitGroup');
export const dismissGroup = api('dismissGroup');
export const transferGroupOwner = api('transferGroupOwner');
export const addGroupManagers = api('addGroupManagers');
export const removeGroupManagers = api('removeGroupManagers');
export const getGroupMembersByRole = api('getGroupMembersByRole');
export const getGroupMembers = api('getGroupMembers');
export const setGroupMemberInfo = api('setGroupMemberInfo');
export const searchGroupMembers = api('searchGroupMembers');
export const joinGroup = api('joinGroup');
export const inviteUsersToGroup = api('inviteUsersToGroup');
export const acceptGroupInvite = api('acceptGroupInvite');
export const refuseGroupInvite = api('refuseGroupInvite');
export const acceptGroupApplication = api('acceptGroupApplication');
export const refuseGroupApplication = api('refuseGroupApplication');
export const getGroupApplications = api('getGroupApplications');
export const getJoinedGroupsByRole = api('getJoinedGroupsByRole');
export const searchJoinedGroups = api('searchJoinedGroups');
export const getJoinedGroups = api('getJoinedGroups');
export const setGroupRemark = api('setGroupRemark');
export const addGroupFollows = api('addGroupFollows');
export const removeGroupFollows = api('removeGroupFollows');
export const getGroupFollows = api('getGroupFollows');
// imwasm's own: mutes, by the owner and managers (RongIMLib leaves them to its server API).
export const muteGroupMembers = api('muteGroupMembers');
export const muteAllGroupMembers = api('muteAllGroupMembers');

// Chat rooms (see docs/api.md): messages to a room are sendMessage with conversationType CHATROOM.
export const joinChatRoom = api('joinChatRoom');
export const joinExistChatRoom = api('joinExistChatRoom');
export const quitChatRoom = api('quitChatRoom');
export const getChatRoomInfo = api('getChatRoomInfo');
export const setChatRoomEntry = api('setChatRoomEntry');
export const setChatRoomEntries = api('setChatRoomEntries');
export const forceSetChatRoomEntry = api('forceSetChatRoomEntry');
export const removeChatRoomEntry = api('removeChatRoomEntry');
export const removeChatRoomEntries = api('removeChatRoomEntries');
export const forceRemoveChatRoomEntry = api('forceRemoveChatRoomEntry');
export const getChatRoomEntry = api('getChatRoomEntry');
export const getAllChatRoomEntries = api('getAllChatRoomEntries');
// The room's history on the server (the device keeps none).
export const getChatroomHistoryMessages = (targetId, options) =>
  call('getRemoteHistoryMessages', [{ conversationType: rong.ConversationType.CHATROOM, targetId }, options]);

// Ultra groups (see docs/api.md): a channel is {conversationType: ULTRA_GROUP, targetId, channelId};
// its messages are sendMessage, getHistoryMessages and the other conversation calls.
export const getUltraGroupList = api('getUltraGroupList');
export const getBlockUltraGroupList = api('getBlockUltraGroupList');
export const sendUltraGroupTypingStatus = api('sendUltraGroupTypingStatus');
export const getUltraGroupMessageListByMessageUId = api('getUltraGroupMessageListByMessageUId');
export const updateExpansionForUltraGroupMessage = api('updateExpansionForUltraGroupMessage');
export const removeExpansionForUltraGroupMessage = api('removeExpansionForUltraGroupMessage');
export const removeAllExpansionForUltraGroupMessage = api('removeAllExpansionForUltraGroupMessage');
export const getUltraGroupUnreadMentionedCountByTargetId = api('getUltraGroupUnreadMentionedCountByTargetId');
export const getUltraGroupUnreadCountByTargetId = api('getUltraGroupUnreadCountByTargetId');
export const getAllUltraGroupUnreadCount = api('getAllUltraGroupUnreadCount');
export const getAllUltraGroupUnreadMentionedCount = api('getAllUltraGroupUnreadMentionedCount');
export const getUltraGroupDefaultNotificationLevel = api('getUltraGroupDefaultNotificationLevel');
export const setUltraGroupDefaultNotificationLevel = api('setUltraGroupDefaultNotificationLevel');
export const getUltraGroupUnreadMentionedMessages = api('getUltraGroupUnreadMentionedMessages');
export const getUltraGroupFirstUnreadMessageTimestamp = api('getUltraGroupFirstUnreadMessageTimestamp');
export const getUltraGroupUnreadInfoList = api('getUltraGroupUnreadInfoList');

// People: profiles, friends, the blacklist and online status (the server keeps them; see docs/api.md).
export const updateMyUserProfile = api('updateMyUserProfile');
export const getUserProfiles = api('getUserProfiles');
export const getMyUserProfile = api('getMyUserProfile');
export const updateMyUserProfileVisibility = api('updateMyUserProfileVisibility');
export const getMyUserProfileVisibility = api('getMyUserProfileVisibility');
export const searchUserProfileByUniqueId = api('searchUserProfileByUniqueId');
export const addFriend = api('addFriend');
export const deleteFriends = api('deleteFriends');
export const acceptFriendApplication = api('acceptFriendApplication');
export const refuseFriendApplication = api('refuseFriendApplication');
export const setFriendInfo = api('setFriendInfo');
export const checkFriends = api('checkFriends');
export const getFriends = api('getFriends');
export const getFriendApplications = api('getFriendApplications');
export const getFriendsInfo = api('getFriendsInfo');
export const searchFriendsInfo = api('searchFriendsInfo');
export const setFriendAddPermission = api('setFriendAddPermission');
export const getFriendAddPermission = api('getFriendAddPermission');
export const setNotificationQuietHoursWithSetting = api('setNotificationQuietHoursWithSetting');
export const removeNotificationQuietHoursSetting = api('removeNotificationQuietHoursSetting');
export const getNotificationQuietHoursSetting = api('getNotificationQuietHoursSetting');
// imwasm's: no push for durationMs from now (Easemob's silent-mode duration).
export const setDoNotDisturb = api('setDoNotDisturb');
export const getDoNotDisturb = api('getDoNotDisturb');
export const addToBlacklist = api('addToBlacklist');
export const removeFromBlacklist = api('removeFromBlacklist');
export const getBlacklist = api('getBlacklist');
export const getBlacklistStatus = api('getBlacklistStatus');
export const subscribeUserStatus = api('subscribeUserStatus');
export const unSubscribeUserStatus = api('unSubscribeUserStatus');
export const getSubscribeUserList = api('getSubscribeUserList');
export const getSubscribeUserStatus = api('getSubscribeUserStatus');
export const getSubscribeUsersOnlineStatus = api('getSubscribeUsersOnlineStatus');

// Receipts (docs/receipts.md): private read, group request/response, needReceipt (V5).
export const sendReadReceiptMessage = api('sendReadReceiptMessage');
export const sendReadReceiptRequest = api('sendReadReceiptRequest');
export const sendReadReceiptResponseV2 = api('sendReadReceiptResponseV2');
export const sendReadReceiptResponseV5 = api('sendReadReceiptResponseV5');
// imwasm's own: the read acks of Easemob and NIM (docs/api.md).
export const sendMessageReadAck = api('sendMessageReadAck');
export const sendConversationReadAck = api('sendConversationReadAck');
export const getMessageReader = api('getMessageReader');
export const getMessageReadReceiptInfoV5 = api('getMessageReadReceiptInfoV5');
export const getMessagesReadReceiptUsersByPageV5 = api('getMessagesReadReceiptUsersByPageV5');

// Uploads: sendFileMessage, sendImageMessage, sendGIFMessage,
// sendHQVoiceMessage, sendSightMessage and the upload primitive.
const uploads = uploadHelpers({
  call,
  bridge: () => loaded,
  // Uploads go to init's uploadUrl, else to the node the SDK is connected
  // to (after a failover, the one it moved to).
  config: () => ({ uploadUrl: uploadExplicit || loaded?.__serverUrl?.() || uploadBase, token: lastToken }),
  classes: { FileMessage, ImageMessage, GIFMessage, HQVoiceMessage, SightMessage },
  isMessage: (m) => m instanceof BaseMessage || (typeof m === 'object' && typeof m.messageType === 'string' && 'content' in m),
});
export const upload = uploads.upload;
export const UploadTask = uploads.UploadTask;
export const createUploadTask = uploads.createUploadTask;
export const stopUploadTask = uploads.stopUploadTask;
export const getFileToken = uploads.getFileToken;
export const getFileUrl = uploads.getFileUrl;
export const getDownloadAuth = uploads.getDownloadAuth;
export const sendFileMessage = uploads.sendFileMessage;
export const sendImageMessage = uploads.sendImageMessage;
export const sendGIFMessage = uploads.sendGIFMessage;
export const sendHQVoiceMessage = uploads.sendHQVoiceMessage;
export const sendSightMessage = uploads.sendSightMessage;

/** sendTextMessage(conversation, {content, ...}, options?) sends a TextMessage. */
export function sendTextMessage(conversation, body, options) {
  return sendMessage(conversation, new TextMessage(body), options);
}

export function getConnectionStatus() {
  return loaded ? loaded.getConnectionStatus() : rong.RCConnectionStatus.DISCONNECTED;
}

export function getCurrentUserId() {
  return loaded ? loaded.getCurrentUserId() : '';
}

/** getAppSettings(): what the server allows, as of the last connection (null before one). */
export function getAppSettings() {
  return loaded ? loaded.getAppSettings() ?? null : null;
}

/** getServerTime(): the server's clock (ms) as the last connect measured it; the device's before. */
export function getServerTime() {
  return loaded ? loaded.getServerTime() : Date.now();
}

/** getDeviceId(): this browser's id for the app key init was given ('' before init). */
export function getDeviceId() {
  return loaded ? loaded.getDeviceId() : '';
}

// ---- Web Push (imwasm's own: RongIMLib has none; docs/api.md#web-push) ----

const unsupported = (msg) => Object.assign(new Error(msg), { code: ErrorCode.OPERATION_NOT_SUPPORT });

// serviceWorkerOf is the registration options name: one given, a script
// URL to register (then active), or the page's own (none: an error, not a
// wait for one that may never come).
async function serviceWorkerOf(options) {
  if (typeof navigator === 'undefined' || !navigator.serviceWorker || typeof PushManager === 'undefined') {
    throw unsupported('this browser has no service workers or Push API');
  }
  const sw = options?.serviceWorker;
  if (sw && typeof sw === 'object') return sw;
  if (typeof sw === 'string') {
    // Its own registration, active (not serviceWorker.ready: that is the
    // page's, never there when the scope does not cover the page).
    const reg = await navigator.serviceWorker.register(sw, options.scope ? { scope: options.scope } : undefined);
    const w = reg.installing || reg.waiting;
    if (!reg.active && w && w.state !== 'activated') {
      await new Promise((resolve, reject) => w.addEventListener('statechange', () => {
        if (w.state === 'activated') resolve();
        if (w.state === 'redundant') reject(unsupported('the service worker did not start'));
      }));
    }
    return reg;
  }
  const reg = await navigator.serviceWorker.getRegistration();
  if (!reg) throw unsupported('no service worker: register one, or pass {serviceWorker: its script URL}');
  return reg;
}

const b64url = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/**
 * registerWebPush({serviceWorker?, scope?, whenHidden?}): subscribes the
 * page's service worker (a registration, a script URL to register, or the
 * active one) to Web Push with the server's VAPID key and hands the
 * subscription to the server, which pushes this device's user while none
 * of their devices is connected — or, with whenHidden, while every page of
 * theirs that said so is hidden too. Resolves {code, data: {endpoint}};
 * OPERATION_NOT_SUPPORT where the browser has no Push API or the user
 * refused notifications.
 */
export async function registerWebPush(options = {}) {
  if (options.whenHidden && typeof document === 'undefined') {
    return { code: ErrorCode.OPERATION_NOT_SUPPORT, msg: 'whenHidden needs a page (document.visibilityState)' };
  }
  const key = await call('__webPush', [{ op: 0 }]);
  if (key.code !== ErrorCode.SUCCESS) return key;
  let sub, reg;
  try {
    reg = await serviceWorkerOf(options);
    sub = await reg.pushManager.getSubscription();
    if (sub && sub.options?.applicationServerKey && b64url(sub.options.applicationServerKey) !== key.data) {
      await sub.unsubscribe(); // made with another key (a new app secret): the push service would refuse ours
      sub = null;
    }
    sub ??= await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key.data });
  } catch (e) { // no Push API, no service worker, notifications refused (a DOMException's own code means nothing here)
    return { code: ErrorCode.OPERATION_NOT_SUPPORT, msg: e.message };
  }
  const { endpoint, keys } = sub.toJSON();
  const res = await call('__webPush', [{ op: 1, endpoint, p256dh: keys?.p256dh ?? '', auth: keys?.auth ?? '' }]);
  if (res.code !== ErrorCode.SUCCESS) return res;
  const before = pushRegistration?.appkey === appKeyNow ? pushRegistration.reg : null;
  pushRegistration = { reg, appkey: appKeyNow };
  if (before && before !== reg) await withdraw(before, key.data); // the server has only the new one now
  const shown = await pushWhenHidden(!!options.whenHidden);
  return shown.code === ErrorCode.SUCCESS ? { code: res.code, data: { endpoint } } : shown;
}

// The registration registerWebPush last subscribed, and the app key it
// was for, for unregisterWebPush; the app key of the last init.
let pushRegistration = null;
let appKeyNow = '';

// withdraw unsubscribes reg's subscription when it was made with key (the
// server's VAPID key; another's is some other app's), and says nothing.
async function withdraw(reg, key) {
  try {
    const sub = await reg?.pushManager.getSubscription();
    const made = sub?.options?.applicationServerKey;
    if (sub && (!made || !key || b64url(made) === key)) await sub.unsubscribe();
  } catch { /* nothing to withdraw here */ }
}

// pushWhenHidden(on): while on, the page tells the engine when it is
// hidden or shown (the engine tells the server, again after a reconnect),
// and its user is pushed while all their sessions are hidden ones.
let visibilityListener = null;
async function pushWhenHidden(on) {
  if (!on) {
    if (!stopVisibility()) return { code: ErrorCode.SUCCESS };
    return call('__webPush', [{ op: 4 }]);
  }
  if (!visibilityListener) {
    visibilityListener = () => call('__webPush', [{ op: document.visibilityState === 'hidden' ? 3 : 4 }]);
    document.addEventListener('visibilitychange', visibilityListener);
  }
  const res = await visibilityListener();
  if (res.code !== ErrorCode.SUCCESS) { // (a server that predates it): none of it, rather than half
    stopVisibility();
    await call('__webPush', [{ op: 4 }]);
  }
  return res;
}

// stopVisibility removes the listener; true if there was one.
function stopVisibility() {
  if (!visibilityListener) return false;
  document.removeEventListener('visibilitychange', visibilityListener);
  visibilityListener = null;
  return true;
}

/**
 * unregisterWebPush({serviceWorker?, scope?}): the server forgets this
 * device's subscription and the service worker's is withdrawn: the
 * registration given (or the one of exactly that scope), else the one
 * registerWebPush subscribed in this page, else the page's.
 */
export async function unregisterWebPush(options = {}) {
  const key = await call('__webPush', [{ op: 0 }]); // to withdraw only a subscription of this app's
  const res = await call('__webPush', [{ op: 2 }]);
  if (res.code !== ErrorCode.SUCCESS) return res;
  await pushWhenHidden(false);
  let reg = null;
  try {
    const sw = options?.serviceWorker;
    if (sw && typeof sw === 'object') {
      reg = sw;
    } else if (options?.scope) {
      // getRegistration(url) answers the registration covering url: the
      // one of exactly this scope only, not a wider one's.
      const r = await navigator.serviceWorker.getRegistration(options.scope);
      reg = r && r.scope === new URL(options.scope, location.href).href ? r : null;
    } else {
      reg = (pushRegistration?.appkey === appKeyNow ? pushRegistration.reg : null) ?? await navigator.serviceWorker.getRegistration();
    }
  } catch { /* no service workers here */ }
  await withdraw(reg, key.code === ErrorCode.SUCCESS ? key.data : '');
  if (reg && reg === pushRegistration?.reg) pushRegistration = null;
  return { code: ErrorCode.SUCCESS };
}

/**
 * destroy(): ends what init started — disconnects, removes every listener,
 * stops the runtime's engine; later calls answer BIZ_ERROR_CLIENT_NOT_INIT
 * until the next init.
 */
export async function destroy() {
  const r = runtime;
  runtime = null;
  loaded = null;
  lastToken = '';
  listeners.clear();
  stopVisibility();
  if (!r) return;
  const bridge = await r.catch(() => null);
  try { await bridge?.__call('disconnect'); } catch {} // a runtime that already ended throws
  bridge?.__close?.();
}
