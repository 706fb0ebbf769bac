// The JavaScript layer against RongIMLib 5.38's own behaviour
// (@rongcloud/imlib-next and @rongcloud/engine 5.38.0): the event
// listeners, the message classes and the flows around init, in Node with a
// real server. Each test states what RongIMLib does.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import WebSocket from 'ws';
import { createHmac } from 'node:crypto';
import { startServer, admin, appSecret } from './harness.mjs';
import * as RongIMLib from '../index.js';

const { ConversationType: CT, Events } = RongIMLib;

let server;
const options = () => ({ appkey: 'node-test-app', serverUrl: server.url, WebSocket, logLevel: 'error' });

before(async () => { server = await startServer(); });
after(async () => {
  await RongIMLib.destroy();
  await server?.stop();
});

// connectAs inits this realm's SDK afresh and connects it, waiting for the
// first sync to end.
async function connectAs(user) {
  await RongIMLib.destroy();
  RongIMLib.init(options());
  const synced = new Promise((resolve) => RongIMLib.onceEventListener(Events.PULL_OFFLINE_MESSAGE_FINISHED, resolve));
  const r = await RongIMLib.connect(server.token(user));
  assert.equal(r.code, 0, JSON.stringify(r));
  await synced;
}

// cycles connects and disconnects n times, so CONNECTED comes n times.
async function cycles(user, n) {
  for (let i = 0; i < n; i++) {
    const r = await RongIMLib.connect(server.token(user));
    assert.equal(r.code, 0, JSON.stringify(r));
    await RongIMLib.disconnect();
  }
}

// ---- Message classes ----

// RongIMLib's engine (getMessageTypeDescription) has RC:CmdMsg as
// {isCounted: false, isPersited: false}: a command is not stored, so it is
// neither in the history nor the conversation's latestMessage.
test('CommandMessage is not persisted (RC:CmdMsg, as RongIMLib has it)', () => {
  const m = new RongIMLib.CommandMessage({ name: 'cmd', data: '{}' });
  assert.equal(m.messageType, 'RC:CmdMsg');
  assert.equal(m.isCounted, false);
  assert.equal(m.isPersited, false, 'RongIMLib: CommandMessage is {isPersited: false, isCounted: false}');
});

test('a CommandMessage sent is kept out of the history and the conversation list', async () => {
  await connectAs('cmd-a');
  const conv = { conversationType: CT.PRIVATE, targetId: 'cmd-b' };
  assert.equal((await RongIMLib.sendMessage(conv, new RongIMLib.TextMessage({ content: 'hello' }))).code, 0);
  const sent = await RongIMLib.sendMessage(conv, new RongIMLib.CommandMessage({ name: 'sync', data: '' }));
  assert.equal(sent.code, 0, JSON.stringify(sent));
  const hist = await RongIMLib.getHistoryMessages(conv, { count: 10 });
  assert.deepEqual(hist.data.list.map((m) => m.messageType), ['RC:TxtMsg'], 'the command was stored');
  const c = await RongIMLib.getConversation(conv);
  assert.equal(c.data?.latestMessage?.messageType, 'RC:TxtMsg', 'the command became the latest message');
});

// A send the server refused is kept, failed, with the time it was made as
// its sentTime (RongIMLib's local messages carry one), so an app paging
// getConversationList by the last conversation's latestMessage.sentTime
// goes on past it. It had sentTime 0: the next page started from the top
// again, for ever.
test('a failed send has a sentTime, and paging the list by latestMessage.sentTime ends', async () => {
  await connectAs('pg-a');
  for (const peer of ['pg-b', 'pg-c', 'pg-d']) {
    assert.equal((await RongIMLib.sendMessage({ conversationType: CT.PRIVATE, targetId: peer }, new RongIMLib.TextMessage({ content: peer }))).code, 0);
  }
  // A group where pg-a is muted: the send is refused, and kept.
  await admin(server, 'POST', '/v1/groups', { groupId: 'pg-muted', name: 'm', ownerId: 'pg-owner', memberIds: ['pg-a'] });
  await admin(server, 'PUT', '/v1/groups/pg-muted/mute-all', { muted: true });
  const failed = await RongIMLib.sendMessage({ conversationType: CT.GROUP, targetId: 'pg-muted' }, new RongIMLib.TextMessage({ content: 'x' }));
  assert.notEqual(failed.code, 0);
  assert.equal(failed.data?.sentStatus, RongIMLib.SentStatus.FAILED, JSON.stringify(failed));
  assert.ok(failed.data.sentTime > 0, `a failed send's sentTime: ${failed.data.sentTime}`);
  for (const peer of ['pg-e', 'pg-f']) {
    assert.equal((await RongIMLib.sendMessage({ conversationType: CT.PRIVATE, targetId: peer }, new RongIMLib.TextMessage({ content: peer }))).code, 0);
  }
  const seen = [];
  let startTime = 0;
  for (let page = 0; page < 10; page++) {
    const res = await RongIMLib.getConversationList({ count: 2, startTime });
    assert.equal(res.code, 0);
    seen.push(...res.data.map((c) => c.targetId));
    if (res.data.length < 2) break;
    startTime = res.data[res.data.length - 1].latestMessage.sentTime;
  }
  assert.deepEqual(seen, ['pg-f', 'pg-e', 'pg-muted', 'pg-d', 'pg-c', 'pg-b']);
});

// Bad input from JavaScript is refused with BIZ_ERROR_INVALID_PARAMETER
// (33003) and changes nothing: a BigInt, a getter that throws, a revoked
// Proxy. The engine read them from Go, where the throw unwound through the
// runtime (a raw exception for the app, the runtime's stack left behind
// each time until it died) and a BigInt answered -1.
test('a BigInt, a throwing getter or a revoked Proxy in the arguments: 33003, and the SDK lives on', async () => {
  await connectAs('bad-a');
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  const conv = { conversationType: CT.PRIVATE, targetId: 'bad-b' };
  const cases = {
    bigint: () => RongIMLib.getConversation({ conversationType: 1n, targetId: 'bad-b' }),
    getter: () => RongIMLib.getConversation({ get conversationType() { throw new Error('boom'); }, targetId: 'bad-b' }),
    revoked: () => RongIMLib.getRemoteHistoryMessages(proxy, { count: 10 }),
    nested: () => RongIMLib.sendMessage(conv, new RongIMLib.TextMessage({ content: 'x', extra: { n: 2n } })),
  };
  for (const [name, f] of Object.entries(cases)) {
    for (let i = 0; i < 200; i++) {
      const r = await f();
      assert.equal(r.code, RongIMLib.ErrorCode.BIZ_ERROR_INVALID_PARAMETER, `${name}: ${JSON.stringify(r)}`);
    }
  }
  const hist = await RongIMLib.getHistoryMessages(conv, { count: 10 });
  assert.equal(hist.code, 0);
  assert.equal(hist.data.list.length, 0, 'a refused send was stored');
  assert.equal((await RongIMLib.sendMessage(conv, new RongIMLib.TextMessage({ content: 'fine' }))).code, 0, 'the SDK lives on');
});

// ISendMessageOptions.isStatusMessage (deprecated, still read by RongIMLib's
// sendMessage: `isStatusMessage: !!options.isStatusMessage`): a status
// message is neither stored nor counted (jsbridge/message.go messageArg
// reads the flag from the options too).
test('sendMessage honours options.isStatusMessage', async () => {
  await connectAs('status-a');
  const conv = { conversationType: CT.PRIVATE, targetId: 'status-b' };
  const r = await RongIMLib.sendMessage(conv, new RongIMLib.TextMessage({ content: 'typing…' }), { isStatusMessage: true });
  assert.equal(r.code, 0, JSON.stringify(r));
  assert.equal(r.data.isStatusMessage, true, 'the message answered is no status message');
  const hist = await RongIMLib.getHistoryMessages(conv, { count: 10 });
  assert.deepEqual(hist.data.list, [], 'the status message was stored');
});

// ---- Event listeners ----

// RongIMLib's EventEmitter (engine 5.38, `on`/`once`) adds a listener only
// when the same (listener, target) is not there already:
//   n.some(e => e.listener === t && e.target === r) || n.push({listener: t, target: r})
// the listener runs once per event, not once per registration.
test('addEventListener twice with the same listener calls it once per event', async () => {
  await connectAs('dup-a');
  await RongIMLib.disconnect();
  let calls = 0;
  const fn = () => { calls++; };
  RongIMLib.addEventListener(Events.CONNECTED, fn);
  RongIMLib.addEventListener(Events.CONNECTED, fn);
  await cycles('dup-a', 1);
  assert.equal(calls, 1, 'the listener ran once per addEventListener');
  RongIMLib.removeEventListener(Events.CONNECTED, fn);
  await cycles('dup-a', 1);
  assert.equal(calls, 1, 'one removeEventListener left the listener in place');
});

// A listener added with addEventListener and then with onceEventListener:
// RongIMLib keeps the first (the once is a duplicate, not added), and the
// listener goes on firing.
test('a permanent listener survives a onceEventListener of the same function', async () => {
  await connectAs('once-a');
  await RongIMLib.disconnect();
  let calls = 0;
  const fn = () => { calls++; };
  RongIMLib.addEventListener(Events.CONNECTED, fn);
  RongIMLib.onceEventListener(Events.CONNECTED, fn);
  await cycles('once-a', 4);
  assert.equal(calls, 4, 'RongIMLib calls it once per CONNECTED (four connections)');
});

// The same with a target: the once registration removed must be that one,
// not the permanent registration of the same function and target.
test('onceEventListener with a target removes only itself', async () => {
  await connectAs('once-t');
  await RongIMLib.disconnect();
  const seen = [];
  const target = { name: 't' };
  function fn() { seen.push(this === target); }
  RongIMLib.addEventListener(Events.CONNECTED, fn, target);
  RongIMLib.onceEventListener(Events.CONNECTED, fn, target);
  await cycles('once-t', 4);
  assert.equal(seen.length, 4, JSON.stringify(seen));
  assert.ok(seen.every(Boolean));
});

// RongIMLib's EventListeners: CONNECTING, CONNECTED, PULL_OFFLINE_MESSAGE_FINISHED
// are `() => void` and its engine emits them with no argument: a listener
// with a default parameter or one reading arguments.length sees none.
test('CONNECTED and PULL_OFFLINE_MESSAGE_FINISHED listeners get no argument', async () => {
  await RongIMLib.destroy();
  RongIMLib.init(options());
  const got = [];
  for (const name of [Events.CONNECTING, Events.CONNECTED, Events.PULL_OFFLINE_MESSAGE_FINISHED]) {
    RongIMLib.addEventListener(name, function (...args) { got.push([name, args.length]); });
  }
  const synced = new Promise((resolve) => RongIMLib.onceEventListener(Events.PULL_OFFLINE_MESSAGE_FINISHED, resolve));
  assert.equal((await RongIMLib.connect(server.token('args-a'))).code, 0);
  await synced;
  assert.deepEqual(got, [[Events.CONNECTING, 0], [Events.CONNECTED, 0], [Events.PULL_OFFLINE_MESSAGE_FINISHED, 0]]);
});

// ---- init / connect / destroy flows ----

// Replacing the SDK (a second init, or destroy) while a connect is still
// opening its WebSocket: the engine closes the socket and leaves no-op
// handlers (jsbridge/websocket.go Close). The `ws` package (the WebSocket
// Node apps pass to init, as harness.mjs does) emits 'error' for a socket
// closed before it opened; with no listener Node would end the process
// ("Unhandled 'error' event"). RongIMLib's init may be called again at any
// time.
test('init again while connect is in flight does not crash Node (ws WebSocket)', () => {
  const script = `
    import WebSocket from 'ws';
    import * as R from './index.js';
    const opts = { appkey: 'node-test-app', serverUrl: ${JSON.stringify(server.url)}, WebSocket, logLevel: 'error' };
    R.init(opts);
    const p = R.connect(${JSON.stringify(server.token('race-a'))});
    R.init(opts);
    await p;
    const r = await R.connect(${JSON.stringify(server.token('race-a'))});
    console.log('connected', r.code); // (the first socket's 'error' came while this connected)
    await R.destroy();
    console.log('done');
    process.exit(0);
  `;
  const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: new URL('..', import.meta.url).pathname, encoding: 'utf8', timeout: 30000,
  });
  assert.equal(res.status, 0, `node exited with ${res.status}:\n${res.stdout}\n${res.stderr.slice(0, 1500)}`);
  assert.match(res.stdout, /connected 0\ndone/);
});

// RongIMLib's createConversationListLoader goes through the engine
// (tn().next(...)): before init it answers BIZ_ERROR_CLIENT_NOT_INIT, as
// every other call (not SUCCESS with a loader whose load then fails).
test('createConversationListLoader before init answers BIZ_ERROR_CLIENT_NOT_INIT', async () => {
  await RongIMLib.destroy();
  const r = await RongIMLib.createConversationListLoader();
  assert.equal(r.code, RongIMLib.ErrorCode.BIZ_ERROR_CLIENT_NOT_INIT, JSON.stringify(r));
});

// RongIMLib asserts isPersited and isCounted as required booleans (and
// isStatusMessage as an optional one): `'isPersited' is invalid` is thrown.
// a flag given as the string 'false' (say, from a config file) would make
// a persisted, counted type.
test('registerMessageType rejects flags that are not booleans', () => {
  assert.throws(() => RongIMLib.registerMessageType('App:NoFlags'), /isPersited/);
  assert.throws(() => RongIMLib.registerMessageType('App:StrFlags', 'false', 'false'), /isPersited/);
  assert.throws(() => RongIMLib.registerMessageType('App:StrStatus', false, false, [], 'true'), /isStatusMessage/);
});

// A token signed here with the server's app secret, for times the token
// command does not make (issued in the past).
function signedToken(claims) {
  const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${input}.${createHmac('sha256', appSecret).update(input).digest('base64url')}`;
}

// imwasm's TOKEN_WILL_EXPIRE (Easemob's onTokenWillExpire: a fifth of the
// token's life left) and renewToken: the server checks the new token, a
// refused one changes nothing, and the next connect's data tells its expiry.
test('TOKEN_WILL_EXPIRE when a fifth of the token\'s life is left; renewToken checks and takes a newer token', async () => {
  await RongIMLib.destroy();
  RongIMLib.init(options());
  const now = Math.floor(Date.now() / 1000);
  const will = new Promise((resolve) => RongIMLib.onceEventListener(Events.TOKEN_WILL_EXPIRE, resolve));
  const r = await RongIMLib.connect(signedToken({ sub: 'renewer', iat: now - 600, exp: now + 60 }));
  assert.equal(r.code, 0, JSON.stringify(r));
  assert.equal(r.data.tokenExpiresAt, (now + 60) * 1000);
  assert.deepEqual(await will, { expiresAt: (now + 60) * 1000, issuedAt: (now - 600) * 1000 });

  assert.equal((await RongIMLib.renewToken(server.token('someone-else'))).code, RongIMLib.ErrorCode.RC_CONN_TOKEN_INCORRECT);
  assert.equal((await RongIMLib.renewToken(signedToken({ sub: 'renewer', iat: now - 600, exp: now - 1 }))).code, RongIMLib.ErrorCode.RC_CONN_TOKEN_EXPIRED);
  assert.equal((await RongIMLib.renewToken('')).code, RongIMLib.ErrorCode.BIZ_ERROR_INVALID_PARAMETER);
  const renewed = await RongIMLib.renewToken(signedToken({ sub: 'renewer', iat: now, exp: now + 7200 }));
  assert.equal(renewed.code, 0, JSON.stringify(renewed));
  assert.deepEqual(renewed.data, { expiresAt: (now + 7200) * 1000, issuedAt: now * 1000 });
  await RongIMLib.disconnect();
  assert.equal((await RongIMLib.renewToken(server.token('renewer'))).code, RongIMLib.ErrorCode.RC_NET_CHANNEL_INVALID);
});
