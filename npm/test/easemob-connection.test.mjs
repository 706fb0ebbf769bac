// Found by a helper's hunt (connection life): imwasm/easemob's connection life and presence.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import WebSocket from 'ws';
import { startServer, User, admin, bin, appSecret } from './harness.mjs';

const sockets = [];
globalThis.WebSocket = class extends WebSocket { constructor(...a) { super(...a); sockets.push(this); } };
const win = new EventTarget();
globalThis.addEventListener = win.addEventListener.bind(win);
globalThis.removeEventListener = win.removeEventListener.bind(win);
const websdk = (await import('../easemob.js')).default;
const im = await import('../index.js');

let server;
const workers = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
before(async () => { server = await startServer(); });
after(async () => {
  await im.destroy(); // this realm's runtime, which keeps timers
  for (const u of workers) await u.close();
  await server?.stop();
});
const tokenFor = (user, ttl = '24h') => execFileSync(bin, ['token', '--app-secret', appSecret, '--user', user, '--ttl', ttl]).toString().trim();

async function until(what, find, ms = 5000) {
  const deadline = Date.now() + ms;
  let v;
  while (!(v = find()) && Date.now() < deadline) await sleep(50);
  assert.ok(v, `no ${what}`);
  return v;
}
async function peer(user) {
  const u = new User();
  workers.push(u);
  await u.call('$listen', 'MESSAGES', 'SUBSCRIBED_USER_STATUS_CHANGE', 'DISCONNECT');
  await u.call('init', { appkey: 'node-test-app', serverUrl: server.url, WebSocket: '$WebSocket', logLevel: 'error' });
  const r = await u.call('connect', server.token(user));
  assert.equal(r.code, 0, JSON.stringify(r));
  return u;
}
function connection(got) {
  const conn = new websdk.connection({ appKey: 'node-test-app', url: server.url });
  const rec = (name) => (m) => got.push([name, m]);
  conn.addEventHandler('t', {
    onTextMessage: rec('onTextMessage'), onConnected: rec('onConnected'), onReconnecting: rec('onReconnecting'),
    onDisconnected: rec('onDisconnected'), onError: rec('onError'), onTokenExpired: rec('onTokenExpired'),
    onPresenceStatusChange: rec('onPresenceStatusChange'),
  });
  return conn;
}

test('close() then open() at once: the connection is open and messages arrive', async () => {
  const got = [];
  const conn = connection(got);
  try {
    await conn.open({ user: 'em-co-a', accessToken: server.token('em-co-a') });
    const b = await peer('em-co-b');
    conn.close();
    await conn.open({ user: 'em-co-a', accessToken: server.token('em-co-a') });
    await sleep(1500);
    assert.ok(conn.isOpened(), 'isOpened after close+open: ' + JSON.stringify(got.map(([n, m]) => n + (m?.code !== undefined ? ':' + m.code : ''))));
    await b.call('sendMessage', { conversationType: 1, targetId: 'em-co-a' }, { $class: 'TextMessage', content: { content: 'hi again' } });
    await until('the message', () => got.find(([n, m]) => n === 'onTextMessage' && m.msg === 'hi again'));
  } finally { conn.close(); await sleep(200); }
});

test('presence: offline is told only when the last device goes', async () => {
  const got = [];
  const conn = connection(got);
  try {
    await conn.open({ user: 'em-pr-a', accessToken: server.token('em-pr-a') });
    const b1 = await peer('em-pr-b');
    const b2 = await peer('em-pr-b');
    const sub = await conn.subscribePresence({ usernames: ['em-pr-b'], expiry: 3600 });
    assert.equal(sub.data?.result?.[0]?.status?.web ?? sub.result?.[0]?.status?.web, 1, JSON.stringify(sub));
    await b1.call('disconnect');
    await sleep(1000);
    assert.equal(got.filter(([n]) => n === 'onPresenceStatusChange').length, 0, 'told while a device is still online: ' + JSON.stringify(got));
    await b2.call('disconnect');
    const [, ch] = await until('onPresenceStatusChange', () => got.find(([n]) => n === 'onPresenceStatusChange'));
    assert.equal(ch[0].userId, 'em-pr-b');
    assert.equal(ch[0].statusDetails[0].status, 0);
    const st = await conn.getPresenceStatus({ usernames: ['em-pr-b'] });
    assert.equal(st.data.result[0].status.web, 0);
  } finally { conn.close(); await sleep(200); }
});

test('kicked by the app server: onDisconnected with 206 and onError', async () => {
  const got = [];
  const conn = connection(got);
  try {
    await conn.open({ user: 'em-k-a', accessToken: server.token('em-k-a') });
    await admin(server, 'POST', '/v1/users/em-k-a/kick');
    await until('onDisconnected', () => got.find(([n]) => n === 'onDisconnected'));
    assert.equal(got.find(([n]) => n === 'onDisconnected')[1].type, 206);
    assert.equal(conn.isOpened(), false);
  } finally { conn.close(); await sleep(200); }
});

// docs/migration.md: "`expiry`/`expire` is the subscription's length in
// seconds"; Easemob's SubscribePresence.expiry (types/presenceApi.d.ts):
// "The expiration time of the presence subscription" — not 0 for one just made.
test('subscribePresence answers the subscription\'s expiry for each user', async () => {
  const got = [];
  const conn = connection(got);
  try {
    await conn.open({ user: 'em-ex-a', accessToken: server.token('em-ex-a') });
    const sub = await conn.subscribePresence({ usernames: ['em-ex-b'], expiry: 3600 });
    assert.equal(sub.data.result[0].uid, 'em-ex-b');
    assert.equal(sub.data.result[0].expiry, 3600, JSON.stringify(sub));
  } finally { conn.close(); await sleep(200); }
});

