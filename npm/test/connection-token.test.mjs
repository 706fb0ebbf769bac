// Found by a helper's hunt (connection life): connect(token) while connected, in this realm (its sockets
// tracked so that a test can drop one as a network would).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import WebSocket from 'ws';
import * as RongIMLib from '../index.js';
import { startServer, bin, appSecret } from './harness.mjs';

const sockets = [];
class Tracked extends WebSocket { constructor(...a) { super(...a); sockets.push(this); } }
let server;
const events = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const tokenFor = (user, ttl = '24h') => execFileSync(bin, ['token', '--app-secret', appSecret, '--user', user, '--ttl', ttl]).toString().trim();
before(async () => {
  server = await startServer();
  for (const n of ['CONNECTED', 'CONNECTING', 'DISCONNECT', 'SUSPEND']) RongIMLib.addEventListener(RongIMLib.Events[n], (p) => events.push(p === undefined ? n : `${n}:${p}`));
  RongIMLib.init({ appkey: 'node-test-app', serverUrl: server.url, WebSocket: Tracked, logLevel: 'error' });
});
after(async () => { await RongIMLib.disconnect(); await server?.stop(); });
async function until(what, find, ms = 8000) {
  const deadline = Date.now() + ms;
  let v;
  while (!(v = find()) && Date.now() < deadline) await sleep(50);
  assert.ok(v, `no ${what}: ${JSON.stringify(events)}`);
  return v;
}
const drop = () => { for (const s of sockets) if (s.readyState === 1) s.terminate(); };

// docs/api.md connect: "RC_CONN_TOKEN_INCORRECT (31004) for a bad token ...
// Calling it again with a new token renews the token for later reconnects."
test('connect(a malformed token) while connected: refused, and the next reconnect still works', async () => {
  const r = await RongIMLib.connect(tokenFor('pr-rn-a'));
  assert.equal(r.code, 0);
  const bad = await RongIMLib.connect('not-a-token');
  events.length = 0;
  drop();
  await until('a reconnect', () => events.includes('CONNECTED') || events.some((e) => e.startsWith('DISCONNECT')));
  // Either refused (31004, the token kept) or ignored as RongIMLib does
  // while CONNECTED: in both the connection must survive the next drop.
  assert.deepEqual(events.filter((e) => e === 'CONNECTED' || e.startsWith('DISCONNECT')), ['CONNECTED'],
    `connect('not-a-token') answered ${JSON.stringify(bad)}; after a drop: ${JSON.stringify(events)}`);
});

test('connect(an expired token of the same user) while connected: the session survives the next drop', async () => {
  if (RongIMLib.getConnectionStatus() !== 0) assert.equal((await RongIMLib.connect(tokenFor('pr-rn-a'))).code, 0);
  const expired = tokenFor('pr-rn-a', '1s');
  await sleep(2100);
  const r = await RongIMLib.connect(expired);
  events.length = 0;
  drop();
  await until('a reconnect', () => events.includes('CONNECTED') || events.some((e) => e.startsWith('DISCONNECT')));
  assert.deepEqual(events.filter((e) => e === 'CONNECTED' || e.startsWith('DISCONNECT')), ['CONNECTED'],
    `connect(expired) answered ${JSON.stringify(r)}; after a drop: ${JSON.stringify(events)}`);
});

// RongIMLib 5.38's engine: connect() answers at once only when CONNECTED
// (`_crtConnectionStatus === CONNECTED ? vr(userId) : ...try2Connect`);
// otherwise it connects and answers how that went. docs/api.md: connect →
// {code, data: {userId}}, "Connects and keeps the connection up".
test('connect() while the connection is lost (SUSPEND) does not answer success without a connection', async () => {
  const other = await startServer();
  try {
    RongIMLib.init({ appkey: 'node-test-app', serverUrl: other.url, WebSocket: Tracked, logLevel: 'error' });
    assert.equal((await RongIMLib.connect(tokenFor('pr-sus-a'))).code, 0);
    events.length = 0;
    await other.stop();
    await until('SUSPEND', () => events.some((e) => e.startsWith('SUSPEND')));
    const r = await RongIMLib.connect(tokenFor('pr-sus-a'));
    const status = RongIMLib.getConnectionStatus();
    assert.ok(r.code !== 0 || status === 0, `connect answered ${JSON.stringify(r)} with the status ${status} (${JSON.stringify(events)})`);
  } finally { await RongIMLib.disconnect(); await other.stop(); }
});
