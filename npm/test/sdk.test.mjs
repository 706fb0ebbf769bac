// The built SDK (dist/imwasm.wasm) in Node against a real server: the API,
// its argument checks and its events. Run `make wasm build` first (make
// test does).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, User } from './harness.mjs';
import * as RongIMLib from '../index.js';

const { ConversationType: CT, ErrorCode: EC } = RongIMLib;
const EVENTS = ['MESSAGES', 'CONNECTED', 'CONNECTING', 'DISCONNECT', 'SUSPEND', 'PULL_OFFLINE_MESSAGE_FINISHED',
  'TYPING_STATUS', 'EXPANSION', 'CONVERSATION'];

let server;
const users = {};

async function user(name) {
  const u = new User();
  await u.call('$listen', ...EVENTS);
  await u.call('init', { appkey: 'node-test-app', serverUrl: server.url, WebSocket: '$WebSocket', logLevel: 'error' });
  const r = await u.call('connect', server.token(name));
  assert.equal(r.code, 0, JSON.stringify(r));
  assert.equal(r.data.userId, name);
  await u.until((evs) => evs.some(([n]) => n === 'PULL_OFFLINE_MESSAGE_FINISHED'), 'sync');
  users[name] = u;
  return u;
}

const text = (s) => ({ $class: 'TextMessage', content: { content: s } });
const toUser = (id) => ({ conversationType: CT.PRIVATE, targetId: id });

before(async () => {
  server = await startServer();
  await user('alice');
  await user('bob');
});

after(async () => {
  await Promise.all(Object.values(users).map((u) => u.close()));
  await server?.stop();
});

test('exports RongIMLib numbers', () => {
  assert.equal(CT.PRIVATE, 1);
  assert.equal(CT.GROUP, 3);
  assert.equal(RongIMLib.MentionedType.SINGAL, 2);
  assert.equal(RongIMLib.SentStatus.FAILED, 20);
  assert.equal(EC.BIZ_ERROR_INVALID_PARAMETER, 33003);
  assert.equal(RongIMLib.Events.MESSAGES, 'MESSAGES');
  const m = new RongIMLib.TextMessage({ content: 'x' });
  assert.deepEqual([m.messageType, m.isPersited, m.isCounted], ['RC:TxtMsg', true, true]);
  const Custom = RongIMLib.registerMessageType('App:Poke', false, false, [], true);
  assert.equal(new Custom({}).isStatusMessage, true);
  assert.throws(() => RongIMLib.registerMessageType('RC:Mine', true, true));
});

// RongIMLib's init options, as an app written for it passes them: a
// LogLevel number, and the options that mean nothing here, accepted.
test("init takes RongIMLib's options: a LogLevel number and the ones without meaning here", async () => {
  const u = new User();
  try {
    const r = await u.call('init', {
      appkey: 'node-test-app', navigators: [server.url], WebSocket: '$WebSocket', logLevel: RongIMLib.LogLevel.WARN,
      connectType: 'websocket', areaCode: RongIMLib.AreaCode.BJ, customCMP: [], checkCA: true, indexDBSwitch: false,
      logExpireTime: 1, environment: 'x', enableReadReceiptStorage: true,
    });
    assert.equal(r, null, 'init answers nothing'); // its errors come with the calls after it
    const c = await u.call('connect', server.token('carol'));
    assert.equal(c.code, 0, JSON.stringify(c));
    for (const level of [RongIMLib.LogLevel.DEBUG, RongIMLib.LogLevel.FATAL, RongIMLib.LogLevel.NONE, 'none']) {
      await u.call('init', { appkey: 'node-test-app', serverUrl: server.url, WebSocket: '$WebSocket', logLevel: level });
      const again = await u.call('connect', server.token('carol'));
      assert.equal(again.code, 0, `logLevel ${level}: ${JSON.stringify(again)}`);
    }
    await u.call('init', { appkey: 'node-test-app', serverUrl: server.url, WebSocket: '$WebSocket', logLevel: { level: 2 } });
    const bad = await u.call('connect', server.token('carol'));
    assert.equal(bad.code, EC.BIZ_ERROR_INVALID_PARAMETER, JSON.stringify(bad));
  } finally {
    await u.close();
  }
});

test('calls before init answer BIZ_ERROR_CLIENT_NOT_INIT', async () => {
  const u = new User();
  try {
    const r = await u.call('connect', 'x');
    assert.equal(r.code, EC.BIZ_ERROR_CLIENT_NOT_INIT);
  } finally {
    await u.close();
  }
});

test('send and receive, with the message shape of RongIMLib', async () => {
  const { alice, bob } = users;
  const r = await alice.call('sendMessage', toUser('bob'), text('hello bob'), { pushContent: 'hi' });
  assert.equal(r.code, 0, JSON.stringify(r));
  assert.equal(r.data.sentStatus, RongIMLib.SentStatus.SENT);
  assert.equal(r.data.messageDirection, RongIMLib.MessageDirection.SEND);
  assert.ok(r.data.messageUId && r.data.messageId > 0 && r.data.sentTime > 0);
  const got = await bob.until((evs) => bob.messages().find((m) => m.content?.content === 'hello bob'), 'bob to receive');
  assert.equal(got.messageType, 'RC:TxtMsg');
  assert.equal(got.senderUserId, 'alice');
  assert.equal(got.targetId, 'alice');
  assert.equal(got.conversationType, CT.PRIVATE);
  assert.equal(got.messageDirection, RongIMLib.MessageDirection.RECEIVE);
  assert.equal(got.messageUId, r.data.messageUId);
  assert.equal(got.receivedStatusInfo.isRead, false);
  // The conversation list and unread count follow.
  const unread = await bob.call('getUnreadCount', toUser('alice'));
  assert.deepEqual(unread, { code: 0, data: 1 });
  const list = await bob.call('getConversationList');
  assert.equal(list.data[0].targetId, 'alice');
  assert.equal(list.data[0].latestMessage.messageUId, r.data.messageUId);
  assert.equal((await bob.call('clearMessagesUnreadStatus', toUser('alice'))).code, 0);
  assert.deepEqual(await bob.call('getTotalUnreadCount'), { code: 0, data: 0 });
  const h = await bob.call('getHistoryMessages', toUser('alice'), { timestamp: 0, count: 20, order: 0 });
  assert.equal(h.code, 0);
  assert.equal(h.data.hasMore, false);
  assert.equal(h.data.list.at(-1)?.content?.content ?? h.data.list[0].content.content, 'hello bob');
});

test('bad arguments answer BIZ_ERROR_INVALID_PARAMETER and the runtime lives on', async () => {
  const { alice } = users;
  const cases = [
    ['sendMessage', null, text('x')],
    ['sendMessage', { conversationType: 'one', targetId: 'bob' }, text('x')],
    ['sendMessage', { conversationType: CT.PRIVATE }, text('x')],
    ['sendMessage', toUser('bob'), { messageType: 'RC:TxtMsg' }],
    ['sendMessage', toUser('bob'), text('x'), { directionalUserIdList: 'bob' }],
    ['sendMessage', toUser('bob'), text('x'), { messageId: 'seven' }],
    ['connect', 42],
    ['recallMessage', toUser('bob'), 'uid'],
    ['sendTypingStatusMessage', toUser('bob'), 7],
    ['updateMessageExpansion', { k: 1 }, { conversationType: 1, targetId: 'bob', messageUId: 'x' }],
    ['getHistoryMessages', toUser('bob'), { count: 'many' }],
  ];
  for (const [fn, ...args] of cases) {
    const r = await alice.call(fn, ...args);
    assert.equal(r.code, EC.BIZ_ERROR_INVALID_PARAMETER, `${fn}(${JSON.stringify(args)}) → ${JSON.stringify(r)}`);
  }
  const r = await alice.call('getHistoryMessages', toUser('bob'), { count: 101 });
  assert.equal(r.code, EC.INVALID_PARAMETER_COUNT);
  const ok = await alice.call('sendMessage', toUser('bob'), text('still alive'));
  assert.equal(ok.code, 0);
});

test('recall, expansion, typing and delete', async () => {
  const { alice, bob } = users;
  const sent = await alice.call('sendMessage', toUser('bob'), text('take back'), { canIncludeExpansion: true, expansion: { votes: '0' } });
  assert.equal(sent.code, 0);
  await bob.until(() => bob.messages().some((m) => m.messageUId === sent.data.messageUId), 'the message');
  const ex = await bob.call('updateMessageExpansion', { votes: '1' }, { conversationType: CT.PRIVATE, targetId: 'alice', messageUId: sent.data.messageUId });
  assert.equal(ex.code, 0, JSON.stringify(ex));
  const [, payload] = await alice.until((evs) => evs.find(([n]) => n === 'EXPANSION'), 'EXPANSION');
  assert.deepEqual(payload.updatedExpansion.expansion, { votes: '1' });
  assert.equal(payload.updatedExpansion.messageUId, sent.data.messageUId);

  const rc = await alice.call('recallMessage', toUser('bob'), { messageUId: sent.data.messageUId, sentTime: sent.data.sentTime });
  assert.equal(rc.code, 0, JSON.stringify(rc));
  assert.equal(rc.data.messageType, 'RC:RcNtf');
  await bob.until(() => bob.messages().some((m) => m.messageUId === sent.data.messageUId && m.messageType === 'RC:RcNtf'), 'the recall');
  const again = await alice.call('recallMessage', toUser('bob'), { messageUId: sent.data.messageUId, sentTime: sent.data.sentTime });
  assert.equal(again.code, EC.RECALL_MESSAGE);

  assert.equal((await alice.call('sendTypingStatusMessage', toUser('bob'), 'RC:TxtMsg')).code, 0);
  const [, typing] = await bob.until((evs) => evs.find(([n, p]) => n === 'TYPING_STATUS' && p.status[0].list.length), 'TYPING_STATUS');
  assert.equal(typing.status[0].targetId, 'alice');
  assert.equal(typing.status[0].list[0].userId, 'alice');
  assert.equal(typing.status[0].list[0].messageType, 'RC:TxtMsg');

  const del = await bob.call('deleteMessages', toUser('alice'), [{ messageUId: sent.data.messageUId, sentTime: sent.data.sentTime, messageDirection: 2 }]);
  assert.equal(del.code, 0);
  const h = await bob.call('getHistoryMessages', toUser('alice'), { count: 100 });
  assert.ok(!h.data.list.some((m) => m.messageUId === sent.data.messageUId));
});

test('registerMessageType: a type not persisted reaches online devices only; one not counted leaves unread counts alone', async () => {
  const { alice, bob } = users;
  const conv = toUser('alice');
  await bob.call('clearMessagesUnreadStatus', conv);
  const before = (await bob.call('getUnreadCount', conv)).data;
  const poke = await alice.call('sendMessage', toUser('bob'), { $custom: ['App:Poke', false, false, false], content: { strength: 3 } });
  assert.equal(poke.code, 0, JSON.stringify(poke));
  const got = await bob.until(() => bob.messages().find((m) => m.messageType === 'App:Poke'), 'the poke');
  assert.deepEqual(got.content, { strength: 3 });
  assert.equal(got.isStatusMessage, true);
  const quiet = await alice.call('sendMessage', toUser('bob'), { $custom: ['App:Note', true, false, false], content: { note: 'n' } });
  assert.equal(quiet.code, 0);
  await bob.until(() => bob.messages().find((m) => m.messageType === 'App:Note'), 'the note');
  const h = await bob.call('getHistoryMessages', conv, { count: 100 });
  assert.ok(!h.data.list.some((m) => m.messageType === 'App:Poke'), 'a not-persisted message was stored');
  assert.ok(h.data.list.some((m) => m.messageType === 'App:Note'), 'the persisted one is in history');
  assert.equal((await bob.call('getUnreadCount', conv)).data, before);
  const remote = await bob.call('getRemoteHistoryMessages', conv, { count: 100 });
  assert.ok(!remote.data.list.some((m) => m.messageType === 'App:Poke'));
});

// RongIMLib's local calls: a message by local or server id, deletes of
// this device's copies only, the server's clock, the device id, destroy.
test('getMessage, clearMessages, deleteLocalMessagesByTimestamp, getServerTime, getDeviceId, destroy', async () => {
  const u = new User();
  try {
    assert.equal(await u.call('getConnectionStatus'), RongIMLib.RCConnectionStatus.DISCONNECTED, 'before init');
    assert.equal(await u.call('getDeviceId'), '', 'before init');
    await u.call('$listen', ...EVENTS);
    await u.call('init', { appkey: 'node-test-app', serverUrl: server.url, WebSocket: '$WebSocket', logLevel: 'error' });
    assert.equal((await u.call('connect', server.token('dora'))).code, 0);
    assert.match(await u.call('getDeviceId'), /.+/);
    const skew = (await u.call('getServerTime')) - Date.now();
    assert.ok(Math.abs(skew) < 60000, `server time ${skew} ms off this machine's (one clock here)`);

    const sent = [];
    for (const t of ['one', 'two', 'three']) {
      const r = await users.alice.call('sendMessage', toUser('dora'), text(t));
      assert.equal(r.code, 0);
      sent.push(r.data);
    }
    await u.until((evs) => evs.filter(([n, p]) => n === 'MESSAGES' && p.messages.some((m) => m.messageUId === sent[2].messageUId)).length, 'three');
    const conv = toUser('alice');
    const local = await u.call('getHistoryMessages', conv, { count: 20 });
    const two = local.data.list.find((m) => m.messageUId === sent[1].messageUId);
    const byId = await u.call('getMessage', two.messageId);
    assert.deepEqual([byId.code, byId.data.messageUId, byId.data.content.content], [0, two.messageUId, 'two']);
    const byUid = await u.call('getMessage', two.messageUId);
    assert.deepEqual([byUid.code, byUid.data.messageId], [0, two.messageId]);
    assert.equal((await u.call('getMessage', two.messageId + 1000)).code, EC.RC_DB_DATA_NOT_FOUND);
    assert.equal((await u.call('getMessage', { id: 1 })).code, EC.BIZ_ERROR_INVALID_PARAMETER);
    assert.equal((await u.call('getMessage', 0)).code, EC.INVALID_PARAMETER_MESSAGE_ID);

    const held = async () => (await u.call('getHistoryMessages', conv, { count: 20 })).data.list.map((m) => m.content.content).sort();
    assert.equal((await u.call('deleteLocalMessagesByTimestamp', conv, two.sentTime, true)).code, 0);
    assert.deepEqual(await held(), ['three']);
    assert.equal((await u.call('clearMessages', conv)).code, 0);
    assert.deepEqual(await held(), []);
    // Only this device's copies: the server still has all three.
    const remote = await u.call('getRemoteHistoryMessages', conv, { timestamp: 0, count: 20, order: 0 });
    assert.deepEqual(remote.data.list.map((m) => m.content.content).sort(), ['one', 'three', 'two']);

    await u.call('destroy');
    assert.equal((await u.call('getHistoryMessages', conv, { count: 20 })).code, EC.BIZ_ERROR_CLIENT_NOT_INIT);
    assert.equal(await u.call('getConnectionStatus'), RongIMLib.RCConnectionStatus.DISCONNECTED);
  } finally {
    await u.close();
  }
});

// The conversation list's pages, one conversation, and the filtered total,
// through the package: argument checks and shapes.
test('getConversationList pages, getConversationListByTimestamp, getConversation, getTotalUnreadCount filters', async () => {
  const { alice } = users;
  for (const [to, text_] of [['pages-a', 'one'], ['pages-b', 'two'], ['pages-c', 'three']]) {
    assert.equal((await alice.call('sendMessage', toUser(to), text(text_))).code, 0);
  }
  const first = await alice.call('getConversationList', { count: 2 });
  assert.equal(first.code, 0);
  assert.deepEqual(first.data.map((c) => c.targetId), ['pages-c', 'pages-b']);
  const before = first.data[1].latestMessage.sentTime;
  const next = await alice.call('getConversationListByTimestamp', { startTime: before, count: 1 });
  assert.deepEqual(next.data.map((c) => c.targetId), ['pages-a']);
  const forward = await alice.call('getConversationList', { startTime: next.data[0].latestMessage.sentTime, count: 5, order: 1 });
  assert.deepEqual(forward.data.map((c) => c.targetId).slice(0, 2), ['pages-b', 'pages-c']);
  assert.equal((await alice.call('getConversationList', { count: 0 })).code, EC.INVALID_PARAMETER_COUNT);
  assert.equal((await alice.call('getConversationList', { count: 1001 })).code, EC.INVALID_PARAMETER_COUNT);
  assert.equal((await alice.call('getConversationListByTimestamp', { startTime: 0 })).code, EC.BIZ_ERROR_INVALID_PARAMETER);
  assert.equal((await alice.call('getConversationList', { order: 2 })).code, EC.BIZ_ERROR_INVALID_PARAMETER);
  const one = await alice.call('getConversation', toUser('pages-b'));
  assert.deepEqual([one.code, one.data.targetId, one.data.latestMessage.content.content, one.data.isTop, one.data.draft], [0, 'pages-b', 'two', false, '']);
  const none = await alice.call('getConversation', toUser('nobody-here'));
  assert.deepEqual([none.code, none.data ?? null], [0, null]);
  const all = await alice.call('getAllConversationList');
  assert.ok(all.data.length >= 3);
  assert.deepEqual(await alice.call('getTotalUnreadCount', true, [CT.GROUP]), { code: 0, data: 0 });
  assert.equal((await alice.call('getTotalUnreadCount', 'yes')).code, EC.BIZ_ERROR_INVALID_PARAMETER);
});

// The first unread message, mention counts and clearing every unread count.
test('getFirstUnreadMessage(Info), getUnreadMentionedCount, clearAllMessagesUnreadStatus', async () => {
  const u = new User();
  try {
    await u.call('$listen', ...EVENTS);
    await u.call('init', { appkey: 'node-test-app', serverUrl: server.url, WebSocket: '$WebSocket', logLevel: 'error' });
    assert.equal((await u.call('connect', server.token('erin'))).code, 0);
    const sent = [];
    for (const t of ['first', 'second']) sent.push((await users.alice.call('sendMessage', toUser('erin'), text(t))).data);
    await u.until((evs) => evs.some(([n, p]) => n === 'MESSAGES' && p.messages.some((m) => m.messageUId === sent[1].messageUId)), 'both');
    const first = await u.call('getFirstUnreadMessage', toUser('alice'));
    assert.deepEqual([first.code, first.data.messageUId, first.data.content.content], [0, sent[0].messageUId, 'first']);
    assert.deepEqual((await u.call('getFirstUnreadMessageInfo', toUser('alice'))).data, { messageUId: sent[0].messageUId, sentTime: sent[0].sentTime });
    assert.deepEqual(await u.call('getUnreadMentionedCount', toUser('alice')), { code: 0, data: 0 });
    assert.deepEqual(await u.call('getAllUnreadMentionedCount'), { code: 0, data: 0 });
    assert.equal((await u.call('getConversation', toUser('alice'))).data.unreadMentionedCount, 0);
    assert.equal((await u.call('sendSyncReadStatusMessage', toUser('alice'), sent[0].sentTime)).code, 0);
    assert.deepEqual(await u.call('getUnreadCount', toUser('alice')), { code: 0, data: 1 });
    assert.equal((await u.call('getFirstUnreadMessage', toUser('alice'))).data.messageUId, sent[1].messageUId);
    assert.equal((await u.call('sendSyncReadStatusMessage', toUser('alice'), 'now')).code, EC.BIZ_ERROR_INVALID_PARAMETER);
    assert.equal((await u.call('clearAllMessagesUnreadStatus')).code, 0);
    assert.deepEqual(await u.call('getTotalUnreadCount', true), { code: 0, data: 0 });
    assert.equal((await u.call('getFirstUnreadMessage', toUser('alice'))).data ?? null, null);
  } finally {
    await u.close();
  }
});

// getMessagesByUIds and batchClearRemoteHistoryMessages through the package.
test('getMessagesByUIds, batchClearRemoteHistoryMessages', async () => {
  const u = new User();
  try {
    await u.call('$listen', ...EVENTS);
    await u.call('init', { appkey: 'node-test-app', serverUrl: server.url, WebSocket: '$WebSocket', logLevel: 'error' });
    assert.equal((await u.call('connect', server.token('fay'))).code, 0);
    const m = (await users.alice.call('sendMessage', toUser('fay'), text('by uid'))).data;
    await u.until((evs) => evs.some(([n, p]) => n === 'MESSAGES' && p.messages.some((x) => x.messageUId === m.messageUId)), 'the message');
    const r = await u.call('getMessagesByUIds', { conversationIdentifier: toUser('alice'), messageUIds: [m.messageUId, 'NOPE'] });
    assert.equal(r.code, 0);
    assert.deepEqual(r.data.map((x) => [x.code, x.messageUId, x.message?.content?.content]), [[0, m.messageUId, 'by uid'], [EC.RC_DB_DATA_NOT_FOUND, 'NOPE', undefined]]);
    assert.equal((await u.call('getMessagesByUIds', { conversationIdentifier: toUser('alice'), messageUIds: [] })).code, EC.INVALID_PARAMETER_COUNT);
    assert.equal((await u.call('batchClearRemoteHistoryMessages', [{ ...toUser('alice') }], true)).code, 0);
    const remote = await u.call('getRemoteHistoryMessages', toUser('alice'), { timestamp: 0, count: 20, order: 0 });
    assert.deepEqual(remote.data.list, [], 'cleared on the server');
    assert.equal((await u.call('batchClearRemoteHistoryMessages', [])).code, EC.INVALID_PARAMETER_COUNT);
  } finally {
    await u.close();
  }
});
