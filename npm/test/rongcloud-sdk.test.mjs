// RongCloud's own Node server SDK (npm rongcloud-sdk 3.1.1) pointed at the
// imwasm server's /compat/rongcloud/ prefix, as a backend moving to imwasm
// would point it: its token works in the imwasm SDK, its messages arrive,
// its group calls land, a wrong secret is refused as RongCloud refuses it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startServer, User, appKey, appSecret } from './harness.mjs';

const require = createRequire(import.meta.url);

// rongcloud-sdk keeps its configuration in its module: each test loads a
// fresh copy for the secret it tests.
function rongcloud(server, secret) {
  for (const k of Object.keys(require.cache)) if (k.includes('/rongcloud-sdk/')) delete require.cache[k];
  return require('rongcloud-sdk')({ appkey: appKey, secret, api: server.url + '/compat/rongcloud' });
}

test("rongcloud-sdk's user, message and group calls against the compat routes", async () => {
  const server = await startServer();
  const ann = new User();
  try {
    const { User: Users, Message, Group } = rongcloud(server, appSecret);
    const reg = await Users.register({ id: 'ann', name: 'Ann', portrait: 'https://p.example/ann.png' });
    assert.equal(reg.code, 200);
    assert.equal(reg.userId, 'ann');
    // The token connects the imwasm SDK.
    await ann.call('$listen', 'MESSAGES');
    await ann.call('init', { appkey: appKey, serverUrl: server.url, WebSocket: '$WebSocket', logLevel: 'error' });
    assert.equal((await ann.call('connect', reg.token)).code, 0);

    const sent = await Message.Private.send({ senderId: 'ops', targetId: 'ann', objectName: 'RC:TxtMsg', content: { content: 'from the backend' } });
    assert.equal(sent.code, 200);
    await ann.until(() => ann.messages().some((m) => m.content.content === 'from the backend' && m.senderUserId === 'ops'), 'the backend message');

    const created = await Group.create({ id: 'book-club', name: 'Book club', members: [{ id: 'ann' }, { id: 'ben' }] });
    assert.equal(created.code, 200);
    const got = await Group.get({ id: 'book-club' });
    assert.equal(got.code, 200);
    assert.deepEqual(got.members.map((u) => u.id).sort(), ['ann', 'ben']);
    const upd = await Users.update({ id: 'ann', name: 'Ann B.', portrait: 'https://p.example/ann2.png' });
    assert.equal(upd.code, 200);

    // A system message arrives in the private conversation with its sender.
    const sys = await Message.System.send({ senderId: 'notices', targetId: 'ann', objectName: 'RC:TxtMsg', content: { content: 'maintenance' } });
    assert.equal(sys.code, 200);
    await ann.until(() => ann.messages().some((m) => m.content.content === 'maintenance' && m.senderUserId === 'notices'), 'the system message');

    // Block: ann's connection closes with RC_CONN_USER_BLOCKED and her
    // token is refused; unblock: the same token connects.
    await ann.call('$listen', 'DISCONNECT');
    assert.equal((await Users.Block.add({ id: 'ann', minute: 10 })).code, 200);
    await ann.until((evs) => evs.some(([n, code]) => n === 'DISCONNECT' && code === 31009), 'the block');
    assert.equal((await ann.call('connect', reg.token)).code, 31009);
    assert.equal((await Users.Block.remove({ id: 'ann' })).code, 200);
    assert.equal((await ann.call('connect', reg.token)).code, 0);
  } finally {
    await ann.close();
    await server.stop();
  }
});

test('rongcloud-sdk with a wrong secret is refused with 1004', async () => {
  const server = await startServer();
  try {
    const { User: Users } = rongcloud(server, 'not-the-secret');
    // The SDK answers a refusal with the error it maps it to (RongCloud's
    // 1004 is "签名错误" in its table), not a rejection.
    const res = await Users.register({ id: 'ann', name: 'Ann', portrait: 'https://p.example/ann.png' });
    assert.notEqual(res.code, 200);
    assert.match(JSON.stringify(res), /签名错误|1004/);
  } finally {
    await server.stop();
  }
});
