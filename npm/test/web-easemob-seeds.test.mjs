// Easemob's receipt docs in each browser engine against a real server,
// through imwasm/easemob in the pages of alice, bob (two devices) and carol:
// seed 002 (its Web SDK) with every code block as written, and seed 001
// (its Flutter SDK) as a flow of the web calls that stand for its calls.
//
// The blocks are pasted below as the seed has them. Running them binds
// only what the seed leaves to the reader: its placeholders ("your appKey",
// "userId", "id", "msgId", "messageId") become the server's app key and the
// real user and message ids, and
// the first block's connection gets `url`, the imwasm server (docs/
// migration.md: "change the import, point url at your server"). The group
// is called "groupId", so that placeholder is real as written. One block
// does not parse as the seed prints it (sendGroupReadMsg lacks the comma
// after `msg: 'message content'`, a SyntaxError with any SDK): the test
// adds that comma and checks that it is the only change.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveStatic, launch, engines, closeAll, gotOf, waitGot, bind } from './browser.mjs';
import { startServer, admin, appKey } from './harness.mjs';

const SEED = {
  connection: `const conn = new websdk.connection({
  appKey: "your appKey",
  delivery: true,
});`,
  deliveryHandlers: `conn.addEventHandler("customEvent", {
  onReceivedMessage: function (message) {}, // 收到消息送达服务器回执。
  onDeliveredMessage: function (message) {}, // 收到消息送达客户端回执。
});`,
  channelAck: `let option = {
  chatType: "singleChat", // 会话类型，设置为单聊。
  type: "channel", // 消息类型。
  to: "userId", // 接收消息对象的用户 ID。
};
let msg = WebIM.message.create(option);
conn.send(msg);`,
  readAck: `let option = {
  type: "read", // 消息类型为消息已读回执。
  chatType: "singleChat", // 会话类型，这里为单聊。
  to: "userId", // 消息接收方的用户 ID。
  id: "id", // 需要发送已读回执的消息 ID。
};
let msg = WebIM.message.create(option);
conn.send(msg);`,
  readHandler: `conn.addEventHandler("customEvent", {
  onReadMessage: (message) => {},
});`,
  sendGroupReadMsg: `sendGroupReadMsg = () => {
    let option = {
        type: 'txt',            // 消息类型。
        chatType: 'groupChat',  // 会话类型，这里为群聊。
        to: 'groupId',          // 消息接收方，即群组 ID。
        msg: 'message content'  // 消息内容。
        msgConfig: { allowGroupAck: true } // 设置此消息需要已读回执。
    }

    let msg = WebIM.message.create(option);
    conn.send(msg).then((res) => {
        console.log('send message success');
    }).catch((e) => {
        console.log("send message error");
    })
}`,
  sendReadMsg: `sendReadMsg = () => {
  let option = {
    type: "read", // 消息是否已读。
    chatType: "groupChat", // 会话类型，这里为群聊。
    id: "msgId", // 需要发送已读回执的消息 ID。
    to: "groupId", // 群组 ID。
    ackContent: JSON.stringify({}), // 回执内容。
  };
  let msg = WebIM.message.create(option);
  conn.send(msg);
};`,
  groupHandlers: `// 在线时可以在 onReadMessage 里监听。
conn.addEventHandler("customEvent", {
  onReadMessage: (message) => {
    let { mid } = message;
    let msg = {
      id: mid,
    };
    if (message.groupReadCount) {
      // 消息已读数。
      msg.groupReadCount = message.groupReadCount[message.mid];
    }
  },

  // 离线时收到回执，登录后会在这里监听到。
  onStatisticMessage: (message) => {
    let statisticMsg = message.location && JSON.parse(message.location);
    let groupAck = statisticMsg.group_ack || [];
  },
});`,
  readUsers: `conn
  .getGroupMsgReadUser({
    msgId: "messageId", // 消息 ID。
    groupId: "groupId", // 群组 ID。
  })
  .then((res) => {
    console.log(res);
  });`,
};

// The one repair a block needs to parse (see above).
const COMMA = ["msg: 'message content'  //", "msg: 'message content', //"];


test('the seed blocks are bound by placeholders only', () => {
  const fixed = bind(SEED.sendGroupReadMsg, { [COMMA[0]]: COMMA[1] });
  assert.throws(() => new Function(SEED.sendGroupReadMsg), SyntaxError);
  assert.doesNotThrow(() => new Function(fixed));
  for (const [name, code] of Object.entries(SEED)) {
    if (name !== 'sendGroupReadMsg') assert.doesNotThrow(() => new Function(code), name);
  }
});

for (const engine of engines()) describe(engine, () => {
  let server, web, browser;
  const u = {};

  // open loads user's page with imwasm/easemob imported as websdk (and
  // WebIM), runs the seed's connection block there with url added, and
  // opens it with an imwasm token (the quickstart's step, not this seed's).
  // Recorders note what the handlers get; console.log and console.error
  // are noted too (the seed's blocks log their results; the module logs a
  // handler that throws).
  async function open(user, device = user) {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error(`[${device} page error]`, e));
    await page.goto(web.url + '/page.html');
    await page.waitForFunction(() => window.sdkLoaded);
    const connection = bind(SEED.connection, { '"your appKey"': JSON.stringify(appKey) })
      .replace('delivery: true,', `url: ${JSON.stringify(server.url.replace(/^http/, 'ws'))},\n  delivery: true,`);
    await page.evaluate(async ({ connection, user, token }) => {
      window.websdk = (await import('/easemob.js')).default;
      window.WebIM = window.websdk;
      window.got = [];
      window.logged = [];
      window.errors = [];
      const log = console.log;
      console.log = (...a) => { window.logged.push(a); log(...a); };
      const error = console.error;
      console.error = (...a) => { window.errors.push(a.map(String).join(' ')); error(...a); };
      window.conn = new Function('websdk', `${connection}\nreturn conn;`)(window.websdk);
      const record = (name) => (m) => window.got.push([name, m]);
      const names = ['onReceivedMessage', 'onDeliveredMessage', 'onTextMessage', 'onReadMessage', 'onChannelMessage', 'onStatisticMessage'];
      window.conn.addEventHandler('recorder', Object.fromEntries(names.map((n) => [n, record(n)])));
      await window.conn.open({ user, accessToken: token }).catch((e) => { throw new Error(JSON.stringify(e)); });
    }, { connection, user, token: server.token(user) });
    return { page, context, user: device };
  }

  // run runs a seed block in x's page, with conn, WebIM and websdk in scope
  // as the seed's code has them (a block's own let and const stay its own;
  // a block that assigns a global, as sendGroupReadMsg = …, leaves it global).
  const run = (x, code) => x.page.evaluate((code) => {
    new Function('conn', 'WebIM', 'websdk', code)(window.conn, window.WebIM, window.websdk);
  }, code);


  const noErrors = async (x) => assert.deepEqual(await x.page.evaluate(() => window.errors), [], `${x.user}: a handler or send failed`);

  before(async () => {
    server = await startServer();
    web = await serveStatic();
    browser = await launch(engine);
    await admin(server, 'POST', '/v1/groups', { groupId: 'groupId', name: 'seed 002', ownerId: 'alice', memberIds: ['alice', 'bob', 'carol'] });
    u.alice = await open('alice');
    u.alice2 = await open('alice', 'alice2');
    u.bob = await open('bob');
    u.bob2 = await open('bob', 'bob2');
    u.carol = await open('carol');
    await run(u.alice, SEED.deliveryHandlers);
    await run(u.alice, SEED.readHandler);
    await run(u.alice, SEED.groupHandlers);
  });

  after(() => closeAll(() => browser?.close(), () => web?.close(), () => server?.stop()));

  // sendText sends a text as the quickstart does and answers its server id.
  const sendText = (x, to, text) => x.page.evaluate(async ({ to, text }) =>
    (await conn.send(WebIM.message.create({ type: 'txt', chatType: 'singleChat', to, msg: text }))).serverMsgId, { to, text });

  test('single chat: delivery acks, a message read ack, a conversation read ack', async () => {
    const mid = await sendText(u.alice, 'bob', 'are you there?');
    await waitGot(u.alice, 'onReceivedMessage', (m) => m.mid === mid, 'the server ack');
    await waitGot(u.alice, 'onDeliveredMessage', (m) => m.mid === mid && m.from === 'bob', "bob's SDK's delivery ack");

    await waitGot(u.bob, 'onTextMessage', (m) => m.id === mid, 'the text at bob');
    await run(u.bob, bind(SEED.readAck, { '"userId"': '"alice"', '"id"': JSON.stringify(mid) }));
    const read = await waitGot(u.alice, 'onReadMessage', (m) => m.mid === mid, 'the message read ack');
    assert.equal(read.from, 'bob');
    assert.equal(read.to, 'alice');
    assert.equal(read.chatType, 'singleChat');
    assert.equal(read.groupReadCount, undefined);
    assert.equal((await gotOf(u.alice, 'onChannelMessage')).length, 0, 'a message read ack came as a conversation ack');

    // Two more, then bob opens the chat: one conversation read ack.
    const two = await sendText(u.alice, 'bob', 'hello?');
    const three = await sendText(u.alice, 'bob', 'hello??');
    await waitGot(u.bob2, 'onTextMessage', (m) => m.id === three, 'the texts at bob2');
    await waitGot(u.bob, 'onTextMessage', (m) => m.id === three, 'the texts at bob');
    const unread = () => u.bob2.page.evaluate(async () => (await conn.getServerConversations({ pageSize: 20 })).data.conversations.find((c) => c.conversationId === 'alice')?.unReadCount);
    assert.equal(await unread(), 3);
    await run(u.bob, bind(SEED.channelAck, { '"userId"': '"alice"' }));
    const channel = await waitGot(u.alice, 'onChannelMessage', () => true, 'the conversation read ack');
    assert.equal(channel.from, 'bob');
    assert.equal(channel.to, 'alice');
    assert.equal(channel.mid, three);
    // bob's other device: told, and its unread count is 0.
    const own = await waitGot(u.bob2, 'onChannelMessage', () => true, "bob's ack at his other device");
    assert.equal(own.from, 'bob');
    assert.equal(own.to, 'alice');
    assert.equal(await unread(), 0);
    assert.equal((await gotOf(u.alice, 'onReadMessage')).filter((m) => m.mid === two).length, 0);
    for (const x of [u.alice, u.bob, u.bob2]) await noErrors(x);
  });

  // Seed 001's flow. Each Flutter call and the web call that stands for it:
  //   EMOptions(requireDeliveryAck: true)      new websdk.connection({ delivery: true })
  //   EMOptions(requireAck: true)              the server's receipt settings (on by default)
  //   chatManager.addEventHandler(id, EMChatEventHandler(...))   conn.addEventHandler(id, {...})
  //   onMessagesDelivered(list)                onDeliveredMessage, once per message
  //   sendConversationReadAck(convId)          send(create({ type: 'channel', chatType: 'singleChat', to: convId }))
  //   onConversationRead(from, to)             onChannelMessage({ from, to }), at the peer and the reader's other devices
  //   sendMessageReadAck(msg)                  send(create({ type: 'read', chatType: 'singleChat', to: msg.from, id: msg.id }))
  //   onMessagesRead(list)                     onReadMessage, once per message
  //   msg.needGroupAck = true                  msgConfig: { allowGroupAck: true }
  //   sendGroupMessageReadAck(msgId, groupId)  send(create({ type: 'read', chatType: 'groupChat', to: groupId, id: msgId }))
  //   onGroupMessageRead(list)                 onReadMessage with groupReadCount
  // Its limits are settings (docs/migration.md): every member may ask and
  // only the sender counts (the defaults), 200 members at most.
  test('seed 001 (Flutter) through its web equivalents', async () => {
    await admin(server, 'PUT', '/v1/settings', { receiptMaxGroupMembers: 200 });
    const create = (x, options) => x.page.evaluate(async (o) => (await conn.send(WebIM.message.create(o))).serverMsgId, options);

    // Delivery, then a conversation read ack by bob on one device.
    const first = await create(u.carol, { type: 'txt', chatType: 'singleChat', to: 'bob', msg: 'one' });
    const second = await create(u.carol, { type: 'txt', chatType: 'singleChat', to: 'bob', msg: 'two' });
    for (const mid of [first, second]) await waitGot(u.carol, 'onDeliveredMessage', (m) => m.mid === mid, 'onMessagesDelivered');
    await waitGot(u.bob2, 'onTextMessage', (m) => m.id === second, 'the texts at bob2');
    await create(u.bob, { type: 'channel', chatType: 'singleChat', to: 'carol' });
    const read = await waitGot(u.carol, 'onChannelMessage', (m) => m.from === 'bob', 'onConversationRead at carol');
    assert.equal(read.to, 'carol');
    await waitGot(u.bob2, 'onChannelMessage', (m) => m.to === 'carol', "onConversationRead at bob's other device");
    const unread = await u.bob2.page.evaluate(async () => (await conn.getServerConversations({ pageSize: 20 })).data.conversations.find((c) => c.conversationId === 'carol')?.unReadCount);
    assert.equal(unread, 0);

    // A message read ack.
    const third = await create(u.carol, { type: 'txt', chatType: 'singleChat', to: 'bob', msg: 'three' });
    const msg = await waitGot(u.bob, 'onTextMessage', (m) => m.id === third, 'the third text');
    await create(u.bob, { type: 'read', chatType: 'singleChat', to: msg.from, id: msg.id });
    await waitGot(u.carol, 'onReadMessage', (m) => m.mid === third && m.from === 'bob', 'onMessagesRead');

    // A group message that needs acks, acked by alice.
    const gid = await create(u.carol, { type: 'txt', chatType: 'groupChat', to: 'groupId', msg: 'read me', msgConfig: { allowGroupAck: true } });
    await waitGot(u.alice, 'onTextMessage', (m) => m.id === gid, 'the group message at alice');
    await create(u.alice, { type: 'read', chatType: 'groupChat', to: 'groupId', id: gid });
    const ack = await waitGot(u.carol, 'onReadMessage', (m) => m.mid === gid, 'onGroupMessageRead');
    assert.deepEqual(ack.groupReadCount, { [gid]: 1 });
    // Only the sender counts: bob may not list the readers.
    const denied = await u.bob.page.evaluate((msgId) => conn.getGroupMsgReadUser({ msgId, groupId: 'groupId' }).then(() => null, (e) => e), gid);
    assert.equal(denied.type, 603);

    // Past the cap (a cap of 2 for this group of 3), a message asks nothing: no acks, no error.
    await admin(server, 'PUT', '/v1/settings', { receiptMaxGroupMembers: 2 });
    const big = await create(u.carol, { type: 'txt', chatType: 'groupChat', to: 'groupId', msg: 'too many', msgConfig: { allowGroupAck: true } });
    await waitGot(u.alice, 'onTextMessage', (m) => m.id === big, 'the message past the cap');
    const refused = await u.alice.page.evaluate((id) => conn.send(WebIM.message.create({ type: 'read', chatType: 'groupChat', to: 'groupId', id })).then(() => null, (e) => e), big);
    assert.equal(refused.type, 51);
    await admin(server, 'PUT', '/v1/settings', { receiptMaxGroupMembers: 0 });
    for (const x of [u.alice, u.bob, u.bob2, u.carol]) await noErrors(x);
  });

  test('group: allowGroupAck, read acks with ackContent, onStatisticMessage for a sender who was away, getGroupMsgReadUser', async () => {
    await run(u.alice, bind(SEED.sendGroupReadMsg, { [COMMA[0]]: COMMA[1] }));
    await u.alice.page.evaluate(() => sendGroupReadMsg());
    await u.alice.page.waitForFunction(() => window.logged.some(([s]) => s === 'send message success'));
    const sent = await waitGot(u.alice, 'onReceivedMessage', (m) => m.to === 'groupId', 'the group message');
    const mid = sent.mid;
    for (const x of [u.bob, u.carol]) {
      const m = await waitGot(x, 'onTextMessage', (m) => m.id === mid, 'the group message');
      assert.deepEqual([m.msg, m.msgConfig], ['message content', { allowGroupAck: true }]);
    }

    await run(u.bob, bind(SEED.sendReadMsg, { '"msgId"': JSON.stringify(mid) }));
    await u.bob.page.evaluate(() => sendReadMsg());
    const ack = await waitGot(u.alice, 'onReadMessage', (m) => m.mid === mid, "bob's group read ack");
    assert.equal(ack.from, 'bob');
    assert.equal(ack.chatType, 'groupChat');
    assert.deepEqual(ack.groupReadCount, { [mid]: 1 });
    assert.equal(ack.ackContent, '{}');

    // alice away: carol's ack waits for her, and comes as onStatisticMessage.
    await u.alice.page.evaluate(() => conn.close());
    await run(u.carol, bind(SEED.sendReadMsg, { '"msgId"': JSON.stringify(mid) }));
    await u.carol.page.evaluate(() => sendReadMsg());
    // alice's other device, online, sees it: the server has written it to alice's log.
    await waitGot(u.alice2, 'onReadMessage', (m) => m.mid === mid && m.from === 'carol', "carol's ack at alice's other device");
    await u.alice.page.evaluate((token) => conn.open({ user: 'alice', accessToken: token }), server.token('alice'));
    const stat = await waitGot(u.alice, 'onStatisticMessage', () => true, 'the acks that waited');
    const groupAck = JSON.parse(stat.location).group_ack;
    assert.deepEqual(groupAck.map((a) => [a.msg_id, a.from, a.to, a.count, a.ack_content]), [[mid, 'carol', 'groupId', 2, '{}']]);
    assert.equal((await gotOf(u.alice, 'onReadMessage')).filter((m) => m.from === 'carol').length, 0, 'an ack that waited came as onReadMessage');

    await run(u.alice, bind(SEED.readUsers, { '"messageId"': JSON.stringify(mid) }));
    await u.alice.page.waitForFunction(() => window.logged.some(([r]) => r && r.data && Array.isArray(r.data.userlist)));
    const res = await u.alice.page.evaluate(() => window.logged.find(([r]) => r && r.data && Array.isArray(r.data.userlist))[0]);
    assert.equal(res.type, 0);
    assert.equal(res.data.ackmid, mid);
    assert.deepEqual([...res.data.userlist].sort(), ['bob', 'carol']);
    assert.equal(res.data.total, 2);
    for (const x of [u.alice, u.bob, u.carol]) await noErrors(x);
  });
});
