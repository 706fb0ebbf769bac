// RongIMLib-shaped unread counts, read state and lists across devices (a helper's hunt: all held;
// one case it found, a clear reaching into a server-counted conversation's held messages, is left).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, User, admin } from './harness.mjs';
import * as RongIMLib from '../index.js';

const { ConversationType: CT } = RongIMLib;
const EVENTS = ['MESSAGES', 'CONNECTED', 'DISCONNECT', 'PULL_OFFLINE_MESSAGE_FINISHED', 'CONVERSATION', 'SYNC_READ_STATUS', 'READ_RECEIPT_RECEIVED'];
let server;
const all = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function device(name) {
  const u = new User();
  all.push(u);
  await u.call('$listen', ...EVENTS);
  await u.call('init', { appkey: 'node-test-app', serverUrl: server.url, WebSocket: '$WebSocket', logLevel: 'error' });
  const r = await u.call('connect', server.token(name));
  assert.equal(r.code, 0, JSON.stringify(r));
  await u.until((evs) => evs.some(([n]) => n === 'PULL_OFFLINE_MESSAGE_FINISHED'), 'sync');
  u.name = name;
  return u;
}
async function reconnect(u) {
  const n = u.events.filter(([e]) => e === 'PULL_OFFLINE_MESSAGE_FINISHED').length;
  const r = await u.call('connect', server.token(u.name));
  assert.equal(r.code, 0, JSON.stringify(r));
  await u.until((evs) => evs.filter(([e]) => e === 'PULL_OFFLINE_MESSAGE_FINISHED').length > n, 'sync again');
}
const text = (s) => ({ $class: 'TextMessage', content: { content: s } });
const priv = (id) => ({ conversationType: CT.PRIVATE, targetId: id });
const grp = (id) => ({ conversationType: CT.GROUP, targetId: id });
async function send(u, conv, s, opts) {
  const r = await u.call('sendMessage', conv, text(s), opts);
  assert.equal(r.code, 0, JSON.stringify(r));
  return r.data;
}
const has = (u, uid) => u.until(() => u.messages().some((m) => m.messageUId === uid), `message ${uid}`);
async function unread(u, conv) { return (await u.call('getUnreadCount', conv)).data; }
async function total(u) { return (await u.call('getTotalUnreadCount', true)).data; }
async function eventually(f, want, what, ms = 5000) {
  const deadline = Date.now() + ms;
  let v;
  while (true) {
    v = await f();
    try { assert.deepEqual(v, want); return; } catch (e) { if (Date.now() > deadline) throw new Error(`${what}: got ${JSON.stringify(v)}, want ${JSON.stringify(want)}`); }
    await sleep(100);
  }
}

before(async () => { server = await startServer(); });
after(async () => {
  for (const u of all) await u.close();
  await server?.stop();
});

test('a read on one device clears the other device, live and after a reconnect', async () => {
  const a1 = await device('sy1a');
  const a2 = await device('sy1a');
  const b = await device('sy1b');
  let last;
  for (let i = 0; i < 3; i++) last = await send(b, priv('sy1a'), 'x' + i);
  await has(a1, last.messageUId); await has(a2, last.messageUId);
  assert.equal(await unread(a1, priv('sy1b')), 3);
  assert.equal(await unread(a2, priv('sy1b')), 3);
  assert.equal((await a1.call('clearMessagesUnreadStatus', priv('sy1b'))).code, 0);
  await a2.until((evs) => evs.some(([n]) => n === 'SYNC_READ_STATUS'), 'SYNC_READ_STATUS');
  assert.equal(await unread(a2, priv('sy1b')), 0);
  assert.equal(await total(a2), 0);
  const list = (await a2.call('getConversationList')).data;
  assert.equal(list.find((c) => c.targetId === 'sy1b').unreadMessageCount, 0);
  // a2 offline; more messages, a read on a1, more messages.
  await a2.call('disconnect');
  for (let i = 0; i < 3; i++) last = await send(b, priv('sy1a'), 'y' + i);
  await has(a1, last.messageUId);
  assert.equal((await a1.call('clearMessagesUnreadStatus', priv('sy1b'))).code, 0);
  for (let i = 0; i < 2; i++) last = await send(b, priv('sy1a'), 'z' + i);
  await has(a1, last.messageUId);
  assert.equal(await unread(a1, priv('sy1b')), 2);
  await reconnect(a2);
  await eventually(() => unread(a2, priv('sy1b')), 2, 'a2 unread after reconnect');
  assert.equal(await total(a2), 2);
  // a new device
  const a3 = await device('sy1a');
  await eventually(() => unread(a3, priv('sy1b')), 2, 'a3 unread');
  const l3 = (await a3.call('getConversationList')).data;
  assert.equal(l3.find((c) => c.targetId === 'sy1b')?.unreadMessageCount, 2);
  // a new message live on the new device
  last = await send(b, priv('sy1a'), 'w');
  await has(a3, last.messageUId);
  await eventually(() => unread(a3, priv('sy1b')), 3, 'a3 unread after one more');
});

test('own messages from another device never count; recall of an unread message uncounts it', async () => {
  const a1 = await device('sy2a');
  const a2 = await device('sy2a');
  const b = await device('sy2b');
  const own = await send(a1, priv('sy2b'), 'mine');
  await has(a2, own.messageUId);
  assert.equal(await unread(a2, priv('sy2b')), 0);
  assert.equal(await total(a2), 0);
  const m1 = await send(b, priv('sy2a'), 'one');
  const m2 = await send(b, priv('sy2a'), 'two');
  await has(a2, m2.messageUId);
  assert.equal(await unread(a2, priv('sy2b')), 2);
  const r = await b.call('recallMessage', priv('sy2a'), { messageUId: m2.messageUId, sentTime: m2.sentTime, messageType: m2.messageType, senderUserId: 'sy2b' });
  assert.equal(r.code, 0, JSON.stringify(r));
  await eventually(() => unread(a2, priv('sy2b')), 1, 'a2 unread after recall');
  await eventually(() => unread(a1, priv('sy2b')), 1, 'a1 unread after recall');
  const a3 = await device('sy2a');
  await eventually(() => unread(a3, priv('sy2b')), 1, 'a3 unread after recall');
});

// A new device holds the latest 1,000 of a conversation: its counts start from the server's.
test('server-counted unread on a new device: recalls, reads, new messages, remove', async () => {
  const N = 1010;
  const texts = Array.from({ length: N }, (_, i) => 'm' + i);
  const sent = [];
  for (let i = 0; i < N; i += 16) {
    sent.push(...await Promise.all(texts.slice(i, i + 16).map((t, j) => admin(server, 'POST', '/v1/messages', {
      fromUserId: 'sy3b', conversationType: 1, targetIds: ['sy3a'], objectName: 'RC:TxtMsg', content: { content: t }, clientMsgId: `sy3-${i + j}`,
    }))));
  }
  const a1 = await device('sy3a');
  await eventually(() => unread(a1, priv('sy3b')), N, 'a1 server count');
  const l = (await a1.call('getConversationList')).data;
  assert.equal(l.find((c) => c.targetId === 'sy3b')?.unreadMessageCount, N);
  // An old unread message (not held) is recalled by its sender.
  const b = await device('sy3b');
  const hist = (await b.call('getRemoteHistoryMessages', priv('sy3a'), { timestamp: 0, count: 100, order: 1 })).data;
  const oldest = hist.list[0];
  assert.ok(oldest, JSON.stringify(hist).slice(0, 300));
  const r = await b.call('recallMessage', priv('sy3a'), { messageUId: oldest.messageUId, sentTime: oldest.sentTime, messageType: oldest.messageType, senderUserId: 'sy3b' });
  assert.equal(r.code, 0, JSON.stringify(r));
  await eventually(() => unread(a1, priv('sy3b')), N - 1, 'a1 after recall of a message not held');
  const a2 = await device('sy3a');
  await eventually(() => unread(a2, priv('sy3b')), N - 1, 'a2 (new) after recall');
  const m = await send(b, priv('sy3a'), 'live');
  await has(a2, m.messageUId);
  await eventually(() => unread(a2, priv('sy3b')), N, 'a2 after a live message');
  await eventually(() => unread(a1, priv('sy3b')), N, 'a1 after a live message');
  assert.equal((await a1.call('clearMessagesUnreadStatus', priv('sy3b'))).code, 0);
  await eventually(() => unread(a2, priv('sy3b')), 0, 'a2 after read on a1');
  assert.equal(await unread(a1, priv('sy3b')), 0);
  const m2 = await send(b, priv('sy3a'), 'live2');
  await has(a2, m2.messageUId);
  await eventually(() => unread(a2, priv('sy3b')), 1, 'a2 after read then one');
  await eventually(() => unread(a1, priv('sy3b')), 1, 'a1 after read then one');
});

const mention = (ids) => ({ isMentioned: true, mentionedInfo: { type: 2, userIdList: ids, mentionedContent: '' } });
async function mentions(u, conv) { return (await u.call('getUnreadMentionedCount', conv)).data; }
async function listed(u, id) { return (await u.call('getConversationList')).data.find((c) => c.targetId === id); }

test('group @mentions: recall, edit, another device, a new device, a read', async () => {
  await admin(server, 'POST', '/v1/groups', { groupId: 'sy4g', name: 'g', ownerId: 'sy4b', memberIds: ['sy4a'] });
  const a1 = await device('sy4a');
  const a2 = await device('sy4a');
  const b = await device('sy4b');
  const g = grp('sy4g');
  const m1 = await send(b, g, 'hi @a', mention(['sy4a']));
  const m2 = await send(b, g, 'plain');
  const m3 = await send(b, g, 'again @a', mention(['sy4a']));
  await has(a1, m3.messageUId); await has(a2, m3.messageUId);
  for (const u of [a1, a2]) {
    assert.equal(await unread(u, g), 3);
    assert.equal(await mentions(u, g), 2);
  }
  let r = await b.call('recallMessage', g, { messageUId: m1.messageUId, sentTime: m1.sentTime, messageType: m1.messageType, senderUserId: 'sy4b' });
  assert.equal(r.code, 0, JSON.stringify(r));
  for (const u of [a1, a2]) {
    await eventually(() => unread(u, g), 2, 'unread after recall of a mention');
    await eventually(() => mentions(u, g), 1, 'mentions after recall of a mention');
  }
  r = await b.call('modifyMessageWithParams', { messageUId: m2.messageUId, messageContent: { content: 'plain, edited' }, conversation: g });
  assert.equal(r.code, 0, JSON.stringify(r));
  await sleep(500);
  for (const u of [a1, a2]) {
    assert.equal(await unread(u, g), 2, 'an edit moved the count');
    assert.equal(await mentions(u, g), 1);
  }
  const a3 = await device('sy4a');
  await eventually(() => unread(a3, g), 2, 'a3 unread');
  await eventually(() => mentions(a3, g), 1, 'a3 mentions');
  const c3 = await listed(a3, 'sy4g');
  assert.deepEqual([c3.unreadMessageCount, c3.hasMentioned, c3.unreadMentionedCount], [2, true, 1]);
  assert.equal((await a1.call('clearMessagesUnreadStatus', g)).code, 0);
  for (const u of [a2, a3]) {
    await eventually(() => unread(u, g), 0, 'unread after the read elsewhere');
    await eventually(() => mentions(u, g), 0, 'mentions after the read elsewhere');
    const c = await listed(u, 'sy4g');
    assert.deepEqual([c.unreadMessageCount, c.hasMentioned, c.unreadMentionedCount], [0, false, 0]);
    assert.equal((await u.call('getAllUnreadMentionedCount')).data, 0);
  }
});

test('deleteMessages and clearHistoryMessages of unread messages uncount them everywhere', async () => {
  const a1 = await device('sy5a');
  const a2 = await device('sy5a');
  const b = await device('sy5b');
  const c = priv('sy5b');
  const ms = [];
  for (let i = 0; i < 4; i++) ms.push(await send(b, priv('sy5a'), 'd' + i));
  await has(a1, ms[3].messageUId); await has(a2, ms[3].messageUId);
  assert.equal(await unread(a2, c), 4);
  const got = a1.messages().find((m) => m.messageUId === ms[0].messageUId);
  let r = await a1.call('deleteMessages', c, [{ messageUId: got.messageUId, sentTime: got.sentTime, messageDirection: got.messageDirection }]);
  assert.equal(r.code, 0, JSON.stringify(r));
  await eventually(() => unread(a1, c), 3, 'a1 after deleting an unread message');
  await eventually(() => unread(a2, c), 3, 'a2 after deleting an unread message elsewhere');
  r = await a1.call('clearHistoryMessages', c, 0);
  assert.equal(r.code, 0, JSON.stringify(r));
  await eventually(() => unread(a1, c), 0, 'a1 after clearHistoryMessages');
  await eventually(() => unread(a2, c), 0, 'a2 after clearHistoryMessages elsewhere');
  assert.equal(await total(a2), 0);
  const a3 = await device('sy5a');
  assert.equal(await unread(a3, c), 0, 'a new device after the clear');
  const n = await send(b, priv('sy5a'), 'after');
  await has(a3, n.messageUId); await has(a2, n.messageUId);
  for (const u of [a1, a2, a3]) await eventually(() => unread(u, c), 1, 'one message after the clear');
});

test('removeConversation: out of the totals on every device, back with its next message', async () => {
  const a1 = await device('sy6a');
  const a2 = await device('sy6a');
  const b = await device('sy6b');
  const c = priv('sy6b');
  let m;
  for (let i = 0; i < 2; i++) m = await send(b, priv('sy6a'), 'r' + i);
  await has(a1, m.messageUId); await has(a2, m.messageUId);
  assert.equal((await a1.call('removeConversation', c)).code, 0);
  for (const u of [a1, a2]) {
    await eventually(async () => (await listed(u, 'sy6b')) === undefined, true, 'listed after remove');
    await eventually(() => total(u), 0, 'total after remove');
  }
  const a3 = await device('sy6a');
  assert.equal(await listed(a3, 'sy6b'), undefined, 'a new device lists a removed conversation');
  assert.equal(await total(a3), 0);
  m = await send(b, priv('sy6a'), 'back');
  for (const u of [a1, a2, a3]) {
    await has(u, m.messageUId);
    await eventually(async () => (await listed(u, 'sy6b'))?.unreadMessageCount, 3, 'back with its count (2 before + 1)');
    await eventually(() => total(u), 3, 'total when back');
  }
});

async function bulk(n, body) {
  const out = [];
  for (let i = 0; i < n; i += 16) {
    out.push(...await Promise.all(Array.from({ length: Math.min(16, n - i) }, (_, j) => admin(server, 'POST', '/v1/messages', body(i + j)))));
  }
  return out;
}
test('server-counted: a read up to a held message in the middle, then remove and back', async () => {
  const N = 1010;
  await bulk(N, (i) => ({ fromUserId: 'sy8b', conversationType: 1, targetIds: ['sy8a'], objectName: 'RC:TxtMsg', content: { content: 'p' + i }, clientMsgId: `sy8-${i}` }));
  const c = priv('sy8b');
  const a1 = await device('sy8a');
  const a2 = await device('sy8a');
  await eventually(() => unread(a1, c), N, 'a1 server count');
  const held = (await a1.call('getHistoryMessages', c, { timestamp: 0, count: 6 })).data.list; // newest first
  // read up to the 6th newest: 5 stay unread
  const r = await a1.call('sendSyncReadStatusMessage', c, held[5].sentTime);
  assert.equal(r.code, 0, JSON.stringify(r));
  await eventually(() => unread(a1, c), 5, 'a1 after reading up to the 6th newest');
  await eventually(() => unread(a2, c), 5, 'a2 after a1 read up to the 6th newest');
  const a3 = await device('sy8a');
  await eventually(() => unread(a3, c), 5, 'a3 (new)');
  assert.equal((await a2.call('removeConversation', c)).code, 0);
  await eventually(() => total(a1), 0, 'a1 total after remove');
  const m = await send(await device('sy8b'), priv('sy8a'), 'back');
  for (const u of [a1, a2, a3]) {
    await has(u, m.messageUId);
    await eventually(() => unread(u, c), 6, 'back with 5 + 1');
  }
  const a4 = await device('sy8a');
  await eventually(() => unread(a4, c), 6, 'a4 (new) after back');
});

// The same clear, staying inside what the device does not hold (a control for the test above).
test('server-counted: a clear inside the part the device does not hold', async () => {
  await admin(server, 'POST', '/v1/groups', { groupId: 'sy9g', name: 'g', ownerId: 'sy9b', memberIds: ['sy9a'] });
  const N = 1010;
  await bulk(N, (i) => ({ fromUserId: 'sy9b', conversationType: 3, targetIds: ['sy9g'], objectName: 'RC:TxtMsg', content: { content: 'g' + i }, clientMsgId: `sy9-${i}` }));
  const g = grp('sy9g');
  const a1 = await device('sy9a');
  await eventually(() => unread(a1, g), N, 'a1 server counts');
  const b = await device('sy9b');
  const hist = (await b.call('getRemoteHistoryMessages', g, { timestamp: 0, count: 20, order: 1 })).data.list.filter((m) => m.messageType === 'RC:TxtMsg');
  assert.equal((await a1.call('clearHistoryMessages', g, hist[4].sentTime)).code, 0);
  await sleep(1500);
  const a2 = await device('sy9a');
  assert.deepEqual([await unread(a1, g), await unread(a2, g)], [N - 5, N - 5]);
});
