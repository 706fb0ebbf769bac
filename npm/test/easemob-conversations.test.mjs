// Easemob's conversation lists and read state across devices (found by a helper's hunt): pages of
// conversations sharing a millisecond, the list right after open() on a new device.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startServer, User, admin, fromPeers } from './harness.mjs';

globalThis.WebSocket = WebSocket;
const win = new EventTarget();
globalThis.addEventListener = win.addEventListener.bind(win);
globalThis.removeEventListener = win.removeEventListener.bind(win);
const websdk = (await import('../easemob.js')).default;

let server, conn;
const got = [];
const record = (name) => (m) => got.push([name, m]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const others = [];

before(async () => {
  server = await startServer();
  conn = new websdk.connection({ appKey: 'node-test-app', url: server.url });
  conn.addEventHandler('t', { onTextMessage: record('onTextMessage'), onChannelMessage: record('onChannelMessage') });
  // 60 peers each send one message, 20 at a time (several in one millisecond).
  await fromPeers(server, 'syem', 60);
  await conn.open({ user: 'syem', accessToken: server.token('syem') });
});
after(async () => {
  conn?.close();
  for (const u of others) await u.close();
  await server?.stop();
});

async function rc(user) {
  const u = new User();
  others.push(u);
  await u.call('$listen', 'MESSAGES', 'READ_RECEIPT_RECEIVED', 'SYNC_READ_STATUS', 'PULL_OFFLINE_MESSAGE_FINISHED');
  await u.call('init', { appkey: 'node-test-app', serverUrl: server.url, WebSocket: '$WebSocket', logLevel: 'error' });
  const r = await u.call('connect', server.token(user));
  assert.equal(r.code, 0, JSON.stringify(r));
  return u;
}

// Easemob-chat.d.ts: getServerConversations "Gets the list of conversations from the server":
// called as soon as open() resolved, it has the server's conversations.
test('getServerConversations right after open() lists the server\'s conversations', async () => {
  const res = await conn.getServerConversations({ pageSize: 20, cursor: '' });
  assert.equal(res.data.conversations.length, 20, `right after open(): ${res.data.conversations.length} conversations of 60`);
});

test('getServerConversations pages through conversations sharing a time, each once', async () => {
  for (let i = 0; i < 50 && (await conn.getServerConversations({ pageSize: 50 })).data.conversations.length < 50; i++) await sleep(100);
  const seen = [];
  let cursor = '';
  for (let i = 0; i < 20; i++) {
    const res = await conn.getServerConversations({ pageSize: 7, cursor });
    seen.push(...res.data.conversations.map((c) => c.conversationId));
    cursor = res.data.cursor;
    if (!cursor) break;
  }
  const all = Array.from({ length: 60 }, (_, i) => 'peer' + i);
  const missing = all.filter((p) => !seen.includes(p));
  assert.deepEqual(missing, [], `missed ${missing.length} of 60 conversations`);
});

test('getConversationlist (older list) lists every conversation past 100 (330) with equal times', async () => {
  await fromPeers(server, "syem", 330); // peer60..peer329 new, and peer0..59 again
  await sleep(1000);
  const res = await conn.getConversationlist();
  const ids = res.data.channel_infos.map((c) => c.channel_id.replace(/^node-test-app_/, '').replace(/@easemob\.com$/, ''));
  const missing = Array.from({ length: 330 }, (_, i) => 'peer' + i).filter((p) => !ids.includes(p));
  assert.deepEqual(missing, [], `missed ${missing.length} of 330`);
});

const txt = (to, msg, chatType = 'singleChat') => websdk.message.create({ type: 'txt', chatType, to, msg });
const emConv = async (id) => {
  for (let cursor = '', i = 0; i < 30; i++) {
    const r = await conn.getServerConversations({ pageSize: 50, cursor });
    const c = r.data.conversations.find((x) => x.conversationId === id);
    if (c || !r.data.cursor) return c;
    cursor = r.data.cursor;
  }
};
async function until(what, f, ms = 5000) {
  const deadline = Date.now() + ms;
  let v;
  while (!(v = await f()) && Date.now() < deadline) await sleep(50);
  assert.ok(v, `no ${what}`);
  return v;
}

test('a channel ack clears unReadCount here and on the other device; the peer gets the read', async () => {
  const peer = await rc('syem-p');
  const other = await rc('syem');
  let last;
  for (let i = 0; i < 3; i++) last = (await peer.call('sendMessage', { conversationType: 1, targetId: 'syem' }, { $class: 'TextMessage', content: { content: 'c' + i } })).data;
  await until('the messages', () => got.some(([n, m]) => n === 'onTextMessage' && m.id === last.messageUId));
  await until('unReadCount 3', async () => (await emConv('syem-p'))?.unReadCount === 3);
  await conn.send(websdk.message.create({ type: 'channel', chatType: 'singleChat', to: 'syem-p' }));
  assert.equal((await emConv('syem-p')).unReadCount, 0);
  await until('the peer\'s READ_RECEIPT_RECEIVED', () => peer.events.some(([n]) => n === 'READ_RECEIPT_RECEIVED'));
  await until('the other device\'s SYNC_READ_STATUS', () => other.events.some(([n, p]) => n === 'SYNC_READ_STATUS' && p.peerTold));
  assert.equal((await other.call('getUnreadCount', { conversationType: 1, targetId: 'syem-p' })).data, 0);
});

test('deleteConversation with deleteRoam, then a new message: unReadCount 1', async () => {
  const peer = await rc('syem-q');
  let last;
  for (let i = 0; i < 3; i++) last = (await peer.call('sendMessage', { conversationType: 1, targetId: 'syem' }, { $class: 'TextMessage', content: { content: 'q' + i } })).data;
  await until('the messages', () => got.some(([n, m]) => n === 'onTextMessage' && m.id === last.messageUId));
  await conn.deleteConversation({ channel: 'syem-q', chatType: 'singleChat', deleteRoam: true });
  assert.equal(await emConv('syem-q'), undefined);
  last = (await peer.call('sendMessage', { conversationType: 1, targetId: 'syem' }, { $class: 'TextMessage', content: { content: 'new' } })).data;
  await until('the new message', () => got.some(([n, m]) => n === 'onTextMessage' && m.id === last.messageUId));
  await sleep(300);
  const c = await emConv('syem-q');
  assert.equal(c?.unReadCount, 1, JSON.stringify(c));
  const h = await conn.getHistoryMessages({ targetId: 'syem-q', chatType: 'singleChat', pageSize: 10 });
  assert.deepEqual(h.messages.map((m) => m.msg), ['new']);
});
