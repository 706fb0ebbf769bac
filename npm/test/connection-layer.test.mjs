// Found by a helper's hunt (connection life): connection life across the RongIMLib-shaped API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as RongIMLib from '../index.js';
import { startServer, User, admin, bin, appSecret } from './harness.mjs';

const { ConversationType: CT } = RongIMLib;
const EVENTS = ['MESSAGES', 'CONNECTED', 'CONNECTING', 'DISCONNECT', 'SUSPEND', 'PULL_OFFLINE_MESSAGE_FINISHED',
  'TYPING_STATUS', 'SUBSCRIBED_USER_STATUS_CHANGE'];
let server;
const all = [];
before(async () => { server = await startServer(); });
after(async () => { for (const u of all) await u.close(); await server?.stop(); });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function user(name, tok) {
  const u = new User();
  all.push(u);
  await u.call('$listen', ...EVENTS);
  await u.call('init', { appkey: 'node-test-app', serverUrl: server.url, WebSocket: '$WebSocket', logLevel: 'error' });
  if (name) {
    const r = await u.call('connect', tok ?? server.token(name));
    assert.equal(r.code, 0, JSON.stringify(r));
  }
  return u;
}
const statusEvents = (u) => u.events.filter(([n]) => ['CONNECTED', 'CONNECTING', 'DISCONNECT', 'SUSPEND'].includes(n)).map(([n, p]) => p === undefined || p === null ? n : `${n}:${p}`);
const text = (s) => ({ $class: 'TextMessage', content: { content: s } });

test('disconnect() then connect() without awaiting the disconnect: connected in the end', async () => {
  const a = await user('pr-dc-a');
  const b = await user('pr-dc-b');
  const tok = server.token('pr-dc-a');
  const d = a.call('disconnect');
  const c = a.call('connect', tok);
  const [, r] = await Promise.all([d, c]);
  assert.equal(r.code, 0, JSON.stringify(r));
  await sleep(1500);
  assert.equal(await a.call('getConnectionStatus'), 0, 'status after connect resolved: ' + JSON.stringify(statusEvents(a)));
  // and messages still reach it
  const s = await b.call('sendMessage', { conversationType: CT.PRIVATE, targetId: 'pr-dc-a' }, text('after reconnect'));
  assert.equal(s.code, 0);
  await a.until((evs) => evs.some(([n, p]) => n === 'MESSAGES' && p.messages.some((m) => m.content.content === 'after reconnect')), 'the message', 5000);
});

test('admin kick: DISCONNECT 31010; the old token is refused; a token minted right after connects', async () => {
  const a = await user('pr-kick-a');
  await admin(server, 'POST', '/v1/users/pr-kick-a/kick');
  await a.until((evs) => evs.some(([n]) => n === 'DISCONNECT'), 'DISCONNECT');
  assert.deepEqual(statusEvents(a).slice(-1), ['DISCONNECT:31010']);
  assert.equal(await a.call('getConnectionStatus'), 2);
  const minted = await admin(server, 'POST', '/v1/users/pr-kick-a/token', {});
  const token = minted.token ?? minted.data?.token;
  assert.ok(token, JSON.stringify(minted));
  const r = await a.call('connect', token);
  assert.equal(r.code, 0, 'a token minted after the kick: ' + JSON.stringify(r));
});

test('block while connected: DISCONNECT 31009, connects refused with 31009, unblock: the same token connects', async () => {
  const tok = server.token('pr-blk-a');
  const a = await user('pr-blk-a', tok);
  await admin(server, 'POST', '/v1/users/pr-blk-a/block', { minutes: 5 });
  await a.until((evs) => evs.some(([n]) => n === 'DISCONNECT'), 'DISCONNECT');
  assert.deepEqual(statusEvents(a).slice(-1), ['DISCONNECT:31009']);
  const r = await a.call('connect', tok);
  assert.equal(r.code, 31009, JSON.stringify(r));
  assert.equal(await a.call('getConnectionStatus'), 2);
  await admin(server, 'DELETE', '/v1/users/pr-blk-a/block');
  const r2 = await a.call('connect', tok);
  assert.equal(r2.code, 0, JSON.stringify(r2));
});

test('typing: the peer sees it, then the empty list when it expires; the typist\'s other device does not', async () => {
  const a = await user('pr-ty-a');
  const a2 = await user('pr-ty-a');
  const b = await user('pr-ty-b');
  assert.equal((await a.call('sendTypingStatusMessage', { conversationType: CT.PRIVATE, targetId: 'pr-ty-b' }, 'RC:TxtMsg')).code, 0);
  const [, t] = await b.until((evs) => evs.find(([n, p]) => n === 'TYPING_STATUS' && p.status[0].list.length), 'typing');
  assert.equal(t.status[0].targetId, 'pr-ty-a');
  await b.until((evs) => evs.find(([n, p]) => n === 'TYPING_STATUS' && p.status[0].list.length === 0), 'typing over', 10000);
  assert.equal(a2.events.filter(([n]) => n === 'TYPING_STATUS').length, 0);
});

// RongIMLib 5.38's engine: disconnect() sets DISCONNECTED with
// ErrorCode.ACTIVE_DISCONNECT (2: "主动断开连接"), and Events.DISCONNECT
// carries it; docs/api.md: "SUSPEND, DISCONNECT: the error code that ended
// the connection".
test('disconnect(): DISCONNECT carries ACTIVE_DISCONNECT (2)', async () => {
  const a = await user('pr-ad-a');
  await a.call('disconnect');
  await a.until((evs) => evs.some(([n]) => n === 'DISCONNECT'), 'DISCONNECT');
  assert.deepEqual(statusEvents(a).slice(-1), [`DISCONNECT:${RongIMLib.ErrorCode.ACTIVE_DISCONNECT}`]);
});

// RongIMLib 5.38's engine clears its user id when the status turns
// DISCONNECTED (setConnectionStatus: `default: ... this._crtUserId = ""`),
// so getCurrentUserId() answers '' after disconnect() or a kick; docs/api.md:
// "getCurrentUserId(): ... the connected user id".
test('getCurrentUserId() is \'\' once disconnected (disconnect(), or a kick)', async () => {
  const a = await user('pr-uid-a');
  assert.equal(await a.call('getCurrentUserId'), 'pr-uid-a');
  await a.call('disconnect');
  const afterDisconnect = await a.call('getCurrentUserId');
  const b = await user('pr-uid-b');
  await admin(server, 'POST', '/v1/users/pr-uid-b/kick');
  await b.until((evs) => evs.some(([n]) => n === 'DISCONNECT'), 'DISCONNECT');
  const afterKick = await b.call('getCurrentUserId');
  assert.deepEqual({ afterDisconnect, afterKick }, { afterDisconnect: '', afterKick: '' });
});
