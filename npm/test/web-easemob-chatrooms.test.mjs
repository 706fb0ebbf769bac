// imwasm/easemob's chat rooms in each browser engine against a real server:
// Easemob Web SDK code joins rooms the app server made (joinChatRoom),
// sends and gets chatType 'chatRoom' messages (to the members in the room
// only, the latest for a newcomer), reads getChatRoomDetails and the
// room's history, sets and removes attributes (onChatroomEvent), is muted
// by the app server (muteMember to the member, the send refused with 507;
// muteAllMembers to everyone), leaves (leaveChatRoom), and hears the room
// destroyed by the app server (onChatroomEvent destroy).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveStatic, launch, engines, closeAll, gotOf, waitGot } from './browser.mjs';
import { startServer, admin } from './harness.mjs';

for (const engine of engines()) describe(engine, () => {
  let server, web, browser;
  const u = {};

  // open loads the page, imports imwasm/easemob as Easemob code imports
  // easemob-websdk, and opens user's connection with an imwasm token.
  async function open(user) {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error(`[${user} page error]`, e));
    await page.goto(web.url + '/page.html');
    await page.waitForFunction(() => window.sdkLoaded);
    await page.evaluate(async ({ url, user, token }) => {
      const websdk = (await import('/easemob.js')).default;
      window.WebIM = websdk;
      window.got = [];
      const conn = new websdk.connection({ appKey: 'node-test-app', url });
      window.conn = conn;
      const record = (name) => (m) => window.got.push([name, m]);
      conn.addEventHandler('test', {
        onTextMessage: record('onTextMessage'),
        onCustomMessage: record('onCustomMessage'),
        onReceivedMessage: record('onReceivedMessage'),
        onChatroomEvent: record('onChatroomEvent'),
      });
      // caught runs an Easemob call and answers its result or its error.
      window.caught = async (f) => { try { return { ok: await f() }; } catch (e) { return { error: { type: e.type, message: e.message } }; } };
      await conn.open({ user, accessToken: token });
    }, { url: server.url, user, token: server.token(user) });
    return { page, context, user };
  }

  before(async () => {
    server = await startServer();
    web = await serveStatic();
    browser = await launch(engine);
    for (const name of ['amy', 'ben', 'cy']) u[name] = await open(name);
  });

  after(() => closeAll(() => browser?.close(), () => web?.close(), () => server?.stop()));

  const text = (x, to, msg, chatType = 'chatRoom') => x.page.evaluate(({ to, msg, chatType }) =>
    caught(() => conn.send(WebIM.message.create({ type: 'txt', chatType, to, msg }))), { to, msg, chatType });
  const run = (x, fn, params) => x.page.evaluate(({ fn, params }) => caught(() => conn[fn](params)), { fn, params });
  const roomTexts = async (x, room) => (await gotOf(x, 'onTextMessage')).filter((m) => m.chatType === 'chatRoom' && m.to === room).map((m) => m.msg);

  test('join, messages to the members in the room only, the latest for a newcomer, details, history', async () => {
    assert.equal((await run(u.amy, 'joinChatRoom', { roomId: 'nowhere' })).error?.type, 705, 'a room the app server did not make');
    await admin(server, 'POST', '/v1/chatrooms', { id: 'stage' });
    const amy = (await run(u.amy, 'joinChatRoom', { roomId: 'stage', message: 'hello' })).ok;
    assert.deepEqual({ ...amy.data, info: undefined }, { action: 'apply', id: 'stage', result: true, user: 'amy', info: undefined });
    assert.equal(amy.type, 0);
    assert.equal(amy.data.info.memberCount, 1);
    assert.equal(amy.data.info.isAllMembersMuted, false);
    assert.equal(amy.data.info.muteExpireTimestamp, -1);
    assert.ok(amy.data.info.createTimestamp > 0);
    assert.equal((await run(u.ben, 'joinChatRoom', { roomId: 'stage' })).ok.data.info.memberCount, 2);

    const sent = (await text(u.amy, 'stage', 'hello room')).ok;
    assert.ok(sent.serverMsgId);
    const got = await waitGot(u.ben, 'onTextMessage', (m) => m.id === sent.serverMsgId, 'the room text');
    assert.deepEqual([got.chatType, got.to, got.from, got.msg], ['chatRoom', 'stage', 'amy', 'hello room']);
    await waitGot(u.amy, 'onReceivedMessage', (m) => m.mid === sent.serverMsgId && m.to === 'stage', 'the server ack');
    const custom = (await u.ben.page.evaluate(() => caught(() => conn.send(WebIM.message.create({
      type: 'custom', chatType: 'chatRoom', to: 'stage', customEvent: 'gift', customExts: { rose: 1 },
    }))))).ok;
    const gift = await waitGot(u.amy, 'onCustomMessage', (m) => m.id === custom.serverMsgId, 'the room custom message');
    assert.deepEqual([gift.chatType, gift.to, gift.customEvent], ['chatRoom', 'stage', 'gift']);

    // cy is not in the room: nothing of it reaches her, and her send is refused.
    assert.equal((await text(u.cy, 'stage', 'let me talk')).error?.type, 702);
    const direct = (await text(u.amy, 'cy', 'are you there?', 'singleChat')).ok;
    await waitGot(u.cy, 'onTextMessage', (m) => m.id === direct.serverMsgId, 'the private text');
    assert.deepEqual(await roomTexts(u.cy, 'stage'), []);
    // Joining, she gets the room's latest messages as room messages.
    assert.equal((await run(u.cy, 'joinChatRoom', { roomId: 'stage' })).ok.data.info.memberCount, 3);
    const latest = await waitGot(u.cy, 'onTextMessage', (m) => m.id === sent.serverMsgId, 'the latest on joining');
    assert.deepEqual([latest.chatType, latest.to, latest.from], ['chatRoom', 'stage', 'amy']);

    const details = (await run(u.ben, 'getChatRoomDetails', { chatRoomId: 'stage' })).ok;
    assert.equal(details.type, 0);
    assert.equal(details.data.length, 1);
    assert.equal(details.data[0].id, 'stage');
    assert.equal(details.data[0].affiliations_count, 3);
    assert.deepEqual(details.data[0].affiliations, [{ member: 'amy' }, { member: 'ben' }, { member: 'cy' }], 'the earliest joiners first');
    assert.equal((await run(u.ben, 'getChatRoomDetails', { chatRoomId: 'nowhere' })).error?.type, 705);

    const page = (await run(u.ben, 'getHistoryMessages', { targetId: 'stage', chatType: 'chatRoom', pageSize: 10 })).ok;
    assert.deepEqual(page.messages.filter((m) => m.type === 'txt').map((m) => [m.msg, m.chatType, m.to]), [['hello room', 'chatRoom', 'stage']]);
    assert.equal(page.messages[0].type, 'custom', 'newest first');
    assert.equal(page.isLast, true);
  });

  test('attributes: set, read and removed, with onChatroomEvent', async () => {
    const set = (await run(u.amy, 'setChatRoomAttributes', { chatRoomId: 'stage', attributes: { seat1: 'amy', theme: 'jazz' }, autoDelete: false })).ok;
    assert.deepEqual(set, { type: 0, data: { status: 'success', errorKeys: {}, successKeys: ['seat1', 'theme'] } });
    const told = await waitGot(u.ben, 'onChatroomEvent', (e) => e.operation === 'updateChatRoomAttributes', 'the attributes set');
    assert.deepEqual(told, { operation: 'updateChatRoomAttributes', id: 'stage', from: '', attributes: { seat1: 'amy', theme: 'jazz' } });
    await waitGot(u.amy, 'onChatroomEvent', (e) => e.operation === 'updateChatRoomAttributes' && e.attributes.theme === 'jazz', 'the setter told too');

    // Another member's attribute: refused without isForced, as Easemob answers it.
    const refused = (await run(u.ben, 'setChatRoomAttributes', { chatRoomId: 'stage', attributes: { seat1: 'ben' } })).ok;
    assert.equal(refused.data.status, 'fail');
    assert.deepEqual(Object.keys(refused.data.errorKeys), ['seat1']);
    assert.deepEqual(refused.data.successKeys, []);
    assert.equal((await run(u.ben, 'setChatRoomAttribute', { chatRoomId: 'stage', attributeKey: 'seat1', attributeValue: 'ben' })).error?.type, 52);
    assert.equal((await run(u.ben, 'setChatRoomAttribute', { chatRoomId: 'stage', attributeKey: 'seat1', attributeValue: 'ben', isForced: true })).ok.type, 0);
    await waitGot(u.amy, 'onChatroomEvent', (e) => e.operation === 'updateChatRoomAttributes' && e.attributes.seat1 === 'ben', 'seat1 taken');

    assert.deepEqual((await run(u.cy, 'getChatRoomAttributes', { chatRoomId: 'stage' })).ok, { type: 0, data: { seat1: 'ben', theme: 'jazz' } });
    assert.deepEqual((await run(u.cy, 'getChatRoomAttributes', { chatRoomId: 'stage', attributeKeys: ['theme'] })).ok.data, { theme: 'jazz' });

    const notMine = (await run(u.amy, 'removeChatRoomAttributes', { chatRoomId: 'stage', attributeKeys: ['seat1'] })).ok;
    assert.equal(notMine.data.status, 'fail');
    const removed = (await run(u.amy, 'removeChatRoomAttributes', { chatRoomId: 'stage', attributeKeys: ['seat1', 'theme'], isForced: true })).ok;
    assert.deepEqual(removed.data, { status: 'success', errorKeys: {}, successKeys: ['seat1', 'theme'] });
    await waitGot(u.ben, 'onChatroomEvent', (e) => e.operation === 'removeChatRoomAttributes' && e.attributes.includes('theme'), 'the attributes removed');
    assert.deepEqual((await run(u.cy, 'getChatRoomAttributes', { chatRoomId: 'stage' })).ok.data, {});
    assert.equal((await run(u.cy, 'setChatRoomAttributes', { chatRoomId: 'nowhere', attributes: { a: 'b' } })).error?.type, 702, 'not in that room');
  });

  test('mutes by the app server: the member muted, then the whole room', async () => {
    const before = Date.now();
    await admin(server, 'POST', '/v1/chatrooms/stage/mute', { userIds: ['ben'], durationMs: 60000 });
    const muted = await waitGot(u.ben, 'onChatroomEvent', (e) => e.operation === 'muteMember', 'ben muted');
    assert.equal(muted.id, 'stage');
    assert.equal(muted.userId, 'ben');
    assert.ok(muted.muteTimestamp >= before + 60000 && muted.muteTimestamp < Date.now() + 61000, `muteTimestamp ${muted.muteTimestamp}`);
    assert.equal((await text(u.ben, 'stage', 'muted?')).error?.type, 507);
    const free = (await text(u.amy, 'stage', 'amy speaks')).ok;
    await waitGot(u.cy, 'onTextMessage', (m) => m.id === free.serverMsgId, 'the others still speak');
    await admin(server, 'POST', '/v1/chatrooms/stage/mute', { userIds: ['ben'], durationMs: 0 });
    await waitGot(u.ben, 'onChatroomEvent', (e) => e.operation === 'unmuteMember' && e.userId === 'ben', 'ben unmuted');
    assert.ok((await text(u.ben, 'stage', 'back')).ok);

    await admin(server, 'PUT', '/v1/chatrooms/stage/mute-all', { muted: true });
    for (const x of [u.amy, u.ben, u.cy]) {
      assert.deepEqual(await waitGot(x, 'onChatroomEvent', (e) => e.operation === 'muteAllMembers', 'the room muted'),
        { operation: 'muteAllMembers', id: 'stage', from: '' });
    }
    assert.equal((await text(u.amy, 'stage', 'quiet?')).error?.type, 507);
    // Joining a muted room says so.
    assert.equal((await run(u.cy, 'leaveChatRoom', { roomId: 'stage' })).ok.type, 0);
    assert.equal((await run(u.cy, 'joinChatRoom', { roomId: 'stage' })).ok.data.info.isAllMembersMuted, true);
    await admin(server, 'PUT', '/v1/chatrooms/stage/mute-all', { muted: false });
    for (const x of [u.amy, u.ben, u.cy]) await waitGot(x, 'onChatroomEvent', (e) => e.operation === 'unmuteAllMembers', 'the room unmuted');
    assert.ok((await text(u.amy, 'stage', 'talk again')).ok);
    // Only the member muted hears of a member's mute (Easemob's muteMember).
    for (const x of [u.amy, u.cy]) {
      assert.deepEqual((await gotOf(x, 'onChatroomEvent')).filter((e) => e.operation.endsWith('muteMember')), [], `${x.user} heard of ben's mute`);
    }
  });

  test('leaving, then the room destroyed by the app server', async () => {
    // cy's attribute (autoDelete by default) goes when she leaves.
    assert.equal((await run(u.cy, 'setChatRoomAttributes', { chatRoomId: 'stage', attributes: { mic: 'cy' } })).ok.data.status, 'success');
    assert.deepEqual((await run(u.cy, 'leaveChatRoom', { roomId: 'stage' })).ok, { type: 0, data: { result: true } });
    assert.equal((await run(u.cy, 'leaveChatRoom', { roomId: 'stage' })).error?.type, 702);
    const gone = await waitGot(u.ben, 'onChatroomEvent', (e) => e.operation === 'removeChatRoomAttributes' && e.attributes.includes('mic'), 'the autoDelete attribute gone');
    assert.deepEqual(gone, { operation: 'removeChatRoomAttributes', id: 'stage', from: '', attributes: ['mic'] });
    assert.equal((await text(u.cy, 'stage', 'still here?')).error?.type, 702);
    assert.equal((await run(u.cy, 'getHistoryMessages', { targetId: 'stage', chatType: 'chatRoom' })).error?.type, 702, 'history is for members');
    const after = (await text(u.amy, 'stage', 'after cy left')).ok;
    await waitGot(u.ben, 'onTextMessage', (m) => m.id === after.serverMsgId, 'the text after cy left');
    const direct = (await text(u.amy, 'cy', 'you left', 'singleChat')).ok;
    await waitGot(u.cy, 'onTextMessage', (m) => m.id === direct.serverMsgId, 'the private text');
    assert.ok(!(await roomTexts(u.cy, 'stage')).includes('after cy left'), 'cy got a room message after leaving');
    assert.equal((await run(u.cy, 'getChatRoomDetails', { chatRoomId: 'stage' })).ok.data[0].affiliations_count, 2);

    await admin(server, 'DELETE', '/v1/chatrooms/stage');
    for (const x of [u.amy, u.ben]) {
      assert.deepEqual(await waitGot(x, 'onChatroomEvent', (e) => e.operation === 'destroy', 'the room destroyed'), { operation: 'destroy', id: 'stage', from: '' });
    }
    assert.equal((await text(u.amy, 'stage', 'anyone?')).error?.type, 702, 'out of the destroyed room');
    assert.equal((await run(u.amy, 'getChatRoomDetails', { chatRoomId: 'stage' })).error?.type, 705);
    assert.equal((await run(u.amy, 'joinChatRoom', { roomId: 'stage' })).error?.type, 705);
    assert.deepEqual((await gotOf(u.cy, 'onChatroomEvent')).filter((e) => e.operation === 'destroy'), [], 'cy had left');
  });

  test('errors and what is not provided', async () => {
    const errors = await u.amy.page.evaluate(async () => ({
      noRoom: await caught(() => conn.joinChatRoom({})),
      leaveOthers: await caught(() => conn.joinChatRoom({ roomId: 'x', leaveOtherRooms: true })),
      noKeys: await caught(() => conn.removeChatRoomAttributes({ chatRoomId: 'x' })),
      noAttributes: await caught(() => conn.setChatRoomAttributes({ chatRoomId: 'x' })),
      recall: await caught(() => conn.recallMessage({ mid: 'x', to: 'x', chatType: 'chatRoom' })),
    }));
    assert.equal(errors.noRoom.error.type, -3);
    assert.equal(errors.leaveOthers.error.type, 53);
    assert.equal(errors.noKeys.error.type, -3);
    assert.equal(errors.noAttributes.error.type, -3);
    assert.ok(errors.recall.error, 'recalls are not taken in rooms');
  });
});
