// Chat rooms in each browser engine against a real server, through the npm
// package: rooms joined (created, or only existing), messages to the
// members in the room only, the latest messages for a newcomer, info,
// entries with RongIMLib's CHATROOM events and codes, a member muted by
// the app server (23408), history, a member whose connection drops joined
// again by the SDK, and a room destroyed.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, bin, appSecret } from './harness.mjs';
import { waitEvent, eventsOf, serveStatic, launch, engines, openUser, closeAll, messagesOf, waitMessages } from './browser.mjs';
import { ErrorCode, ChatroomEntryType, ChrmMemBanType, ConversationType } from '../index.js';

for (const engine of engines()) describe(engine, () => {
  let server, web, browser;
  const u = {};

  async function admin(method, path, body) {
    const tok = execFileSync(bin, ['token', '--app-secret', appSecret, '--admin']).toString().trim();
    const res = await fetch(server.url + path, {
      method, headers: { authorization: 'Bearer ' + tok, 'content-type': 'application/json' },
      body: body && JSON.stringify(body),
    });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    return JSON.parse(text);
  }

  // A page whose WebSockets the test can close (the SDK reads the global
  // WebSocket at init), as a dropped network would.
  async function openDroppable(name) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(web.url + '/page.html');
    await page.waitForFunction(() => window.sdkLoaded);
    const res = await page.evaluate(async ({ serverUrl, token }) => {
      const Native = window.WebSocket;
      window.sockets = [];
      window.WebSocket = class extends Native {
        constructor(...args) { super(...args); window.sockets.push(this); }
      };
      window.events = [];
      for (const name of Object.values(RongIMLib.Events)) {
        RongIMLib.addEventListener(name, (payload) => window.events.push([name, payload]));
      }
      RongIMLib.init({ appkey: 'node-test-app', serverUrl, logLevel: 'error' });
      return RongIMLib.connect(token);
    }, { serverUrl: server.url, token: server.token(name) });
    assert.equal(res.code, 0, JSON.stringify(res));
    return { page, context, user: name };
  }

  before(async () => {
    server = await startServer();
    web = await serveStatic();
    browser = await launch(engine);
    for (const name of ['rita', 'sam']) u[name] = await openUser(browser, web.url, server, name);
    u.tom = await openDroppable('tom');
  });

  after(() => closeAll(() => browser?.close(), () => web?.close(), () => server?.stop()));

  const call = (x, fn, ...args) => x.page.evaluate(({ fn, args }) => RongIMLib[fn](...args), { fn, args });
  const room = { conversationType: ConversationType.CHATROOM, targetId: 'stage' };
  const say = (x, content) => x.page.evaluate(({ room, content }) =>
    RongIMLib.sendMessage(room, new RongIMLib.TextMessage({ content })), { room, content });
  const roomTexts = async (x) => (await messagesOf(x))
    .filter((m) => m.conversationType === ConversationType.CHATROOM && m.targetId === 'stage')
    .map((m) => m.content.content);

  test('join, messages to the members in the room, the latest for a newcomer, info, history', async () => {
    assert.equal((await call(u.sam, 'joinExistChatRoom', 'stage', { count: 10 })).code, ErrorCode.RC_CHATROOM_NOT_EXIST);
    const created = await call(u.rita, 'joinChatRoom', 'stage', { count: 10 });
    assert.equal(created.code, 0);
    assert.equal(created.data.memberCount, 1);
    const joined = await call(u.sam, 'joinExistChatRoom', 'stage', { count: -1 });
    assert.equal(joined.code, 0);
    assert.equal(joined.data.memberCount, 2);
    assert.equal(joined.data.isCurrentChatroomBanned, false);

    assert.equal((await say(u.tom, 'outside')).code, ErrorCode.NOT_IN_CHATROOM);
    const sent = await say(u.rita, 'one');
    assert.equal(sent.code, 0);
    assert.equal(sent.data.conversationType, ConversationType.CHATROOM);
    assert.ok(sent.data.messageUId);
    assert.equal((await say(u.rita, 'two')).code, 0);
    await waitMessages(u.sam, (m) => m.content?.content === 'two', 'two');
    assert.deepEqual(await roomTexts(u.sam), ['one', 'two']);

    // tom joins and gets the latest message only.
    assert.equal((await call(u.tom, 'joinExistChatRoom', 'stage', { count: 1 })).code, 0);
    await waitMessages(u.tom, (m) => m.content?.content === 'two', 'the latest');
    assert.equal((await say(u.sam, 'three')).code, 0);
    await waitMessages(u.tom, (m) => m.content?.content === 'three', 'three');
    assert.deepEqual(await roomTexts(u.tom), ['two', 'three']);
    // Nothing went into the conversation list.
    const list = await call(u.tom, 'getConversationList');
    assert.deepEqual(list.data.filter((c) => c.conversationType === ConversationType.CHATROOM), []);

    const info = await call(u.sam, 'getChatRoomInfo', 'stage', { count: 5, order: 2 });
    assert.equal(info.data.userCount, 3);
    assert.deepEqual(info.data.userInfos.map((x) => x.id), ['tom', 'sam', 'rita']);
    const hist = await call(u.tom, 'getChatroomHistoryMessages', 'stage', { count: 2, order: 0, timestamp: 0 });
    assert.equal(hist.code, 0);
    assert.deepEqual(hist.data.list.map((m) => m.content.content), ['three', 'two']);
    assert.equal(hist.data.hasMore, true);
  });

  test('entries: set, the rules\' codes, CHATROOM events, read back', async () => {
    const set = await call(u.rita, 'setChatRoomEntry', 'stage', { key: 'topic', value: 'news', isSendNotification: true });
    assert.equal(set.code, 0);
    const ev = await waitEvent(u.sam, 'CHATROOM', (e) => e.updatedEntries?.some((x) => x.key === 'topic'), 'the entry');
    assert.deepEqual(ev.updatedEntries.map(({ key, value, chatroomId, type }) => ({ key, value, chatroomId, type })),
      [{ key: 'topic', value: 'news', chatroomId: 'stage', type: ChatroomEntryType.UPDATE }]);
    await waitMessages(u.sam, (m) => m.messageType === 'RC:chrmKVNotiMsg', 'the notice');
    assert.equal((await call(u.sam, 'setChatRoomEntry', 'stage', { key: 'topic', value: 'mine' })).code, ErrorCode.CHATROOM_KV_OVERWRITE_INVALID);
    assert.equal((await call(u.sam, 'forceSetChatRoomEntry', 'stage', { key: 'topic', value: 'sports' })).code, 0);
    assert.equal((await call(u.sam, 'removeChatRoomEntry', 'stage', { key: 'nope' })).code, ErrorCode.CHATROOM_KEY_NOT_EXIST);
    const many = Array.from({ length: 11 }, (_, i) => ({ key: `k${i}`, value: 'v' }));
    assert.equal((await call(u.sam, 'setChatRoomEntries', 'stage', { entries: many })).code, ErrorCode.CHATROOM_KV_STORE_OUT_LIMIT);
    assert.equal((await call(u.sam, 'setChatRoomEntries', 'stage', { entries: many.slice(0, 2) })).code, 0);
    assert.deepEqual((await call(u.tom, 'getChatRoomEntry', 'stage', 'topic')).data, 'sports');
    assert.equal((await call(u.tom, 'getChatRoomEntry', 'stage', 'nope')).code, ErrorCode.CHATROOM_KEY_NOT_EXIST);
    assert.deepEqual((await call(u.tom, 'getAllChatRoomEntries', 'stage')).data, { k0: 'v', k1: 'v', topic: 'sports' });
    assert.equal((await call(u.sam, 'removeChatRoomEntries', 'stage', { entries: ['k0', 'k1'] })).code, 0);
    await waitEvent(u.rita, 'CHATROOM', (e) => e.updatedEntries?.some((x) => x.key === 'k1' && x.type === ChatroomEntryType.DELETE), 'removed');
  });

  test('a member muted by the app server is refused with 23408; the room is told', async () => {
    await admin('POST', '/v1/chatrooms/stage/mute', { userIds: ['sam'], durationMs: 3600000 });
    const ban = await waitEvent(u.rita, 'CHATROOM', (e) => e.chatroomNotifyBan, 'the ban');
    assert.equal(ban.chatroomNotifyBan.banType, ChrmMemBanType.MuteUsers);
    assert.deepEqual(ban.chatroomNotifyBan.userIdList, ['sam']);
    assert.equal((await say(u.sam, 'muted?')).code, ErrorCode.FORBIDDEN_IN_CHATROOM);
    await admin('POST', '/v1/chatrooms/stage/mute', { userIds: ['sam'], durationMs: 0 });
    assert.equal((await say(u.sam, 'free')).code, 0);
    await waitMessages(u.rita, (m) => m.content?.content === 'free', 'free');
  });

  test('a dropped connection: the SDK joins again and the member gets what followed', async () => {
    await u.tom.page.evaluate(() => window.sockets.forEach((s) => s.close()));
    const rejoined = await waitEvent(u.tom, 'CHATROOM', (e) => e.rejoinedRoom, 'rejoined');
    assert.equal(rejoined.rejoinedRoom.chatroomId, 'stage');
    assert.equal(rejoined.rejoinedRoom.count, 1);
    assert.equal(rejoined.rejoinedRoom.errorCode, undefined);
    assert.equal((await say(u.rita, 'after')).code, 0);
    await waitMessages(u.tom, (m) => m.content?.content === 'after', 'after the rejoin');
    const texts = await roomTexts(u.tom);
    assert.equal(texts.filter((t) => t === 'after').length, 1, texts.join());
  });

  test('destroyed: the members are told and are out', async () => {
    await admin('DELETE', '/v1/chatrooms/stage');
    for (const x of [u.rita, u.sam, u.tom]) {
      const ev = await waitEvent(x, 'CHATROOM', (e) => e.chatroomDestroyed, 'destroyed');
      assert.equal(ev.chatroomDestroyed, 'stage');
      assert.equal(ev.chatroomDestroyedType, 1);
    }
    assert.equal((await say(u.rita, 'gone?')).code, ErrorCode.NOT_IN_CHATROOM);
    assert.equal((await call(u.sam, 'joinExistChatRoom', 'stage', { count: 0 })).code, ErrorCode.RC_CHATROOM_NOT_EXIST);
    assert.ok((await eventsOf(u.tom, 'CHATROOM')).length >= 1);
  });
});
