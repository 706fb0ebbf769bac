// People in each browser engine against a real server, through the npm
// package: a friend request accepted, a profile change a friend sees, a
// block that refuses messages (FAILED with 405, nothing at the blocker,
// unblocking restores them), online status changing when the last tab
// closes, and quiet hours kept by the server for every device of the user.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveStatic, launch, engines, openUser, waitEvent, messagesOf, waitMessages, closeAll } from './browser.mjs';
import { startServer } from './harness.mjs';
import { ConversationType, ErrorCode, FriendApplicationStatus, SentStatus, SubscribeType } from '../index.js';

for (const engine of engines()) describe(engine, () => {
  let server, web, browser;
  const u = {};

  before(async () => {
    server = await startServer();
    web = await serveStatic();
    browser = await launch(engine);
    for (const name of ['vera', 'walt', 'xena', 'yuki']) u[name] = await openUser(browser, web.url, server, name);
  });

  after(() => closeAll(() => browser?.close(), () => web?.close(), () => server?.stop()));

  const call = (x, fn, ...args) => x.page.evaluate(({ fn, args }) => RongIMLib[fn](...args), { fn, args });
  const sendText = (x, to, content) => x.page.evaluate(({ to, content }) =>
    RongIMLib.sendMessage({ conversationType: 1, targetId: to }, new RongIMLib.TextMessage({ content })), { to, content });

  test('a friend request accepted; a profile change the friend sees', async () => {
    const added = await call(u.vera, 'addFriend', 'walt', 2, 'hi, it is vera');
    assert.deepEqual(added, { code: 0, data: { processCode: ErrorCode.RC_FRIEND_NEED_ACCEPT } });
    const req = await waitEvent(u.walt, 'FRIEND_APPLICATION_STATUS_CHANGED', (e) => e.userId === 'vera', 'the request');
    assert.equal(req.applicationStatus, FriendApplicationStatus.UNHANDLED);
    assert.equal(req.extra, 'hi, it is vera');
    assert.equal((await call(u.walt, 'acceptFriendApplication', 'vera')).code, 0);
    await waitEvent(u.vera, 'FRIEND_ADDED', (e) => e.userId === 'walt', 'FRIEND_ADDED');
    const friends = await call(u.walt, 'getFriends', 2, { count: 10 });
    assert.deepEqual(friends.data.data.map((f) => f.userId), ['vera']);

    assert.equal((await call(u.vera, 'updateMyUserProfile', { name: 'Vera V.', portraitUri: 'https://example.com/v.png' })).code, 0);
    const seen = await waitEvent(u.walt, 'SUBSCRIBED_USER_STATUS_CHANGE',
      (list) => list.some((s) => s.userId === 'vera' && s.userProfile?.name === 'Vera V.'), 'the profile change');
    assert.equal(seen[0].subscribeType, SubscribeType.FRIEND_USER_PROFILE);
    const profiles = await call(u.walt, 'getUserProfiles', ['vera']);
    assert.equal(profiles.data[0].portraitUri, 'https://example.com/v.png');
    const bad = await call(u.vera, 'updateMyUserProfile', { gender: 7 });
    assert.equal(bad.code, ErrorCode.RC_USER_PROFILE_VALUE_EXCEED_RANGE);
  });

  // The pushes they hold back are the server's tests' (server/push_test.go
  // TestQuietHours); here: the calls, their codes, and a second device.
  test('quiet hours are kept by the server for every device; bad settings change nothing', async () => {
    const none = { code: 0, data: { startTime: '', spanMinutes: 0, level: 0 } };
    assert.deepEqual(await call(u.yuki, 'getNotificationQuietHoursSetting'), none);
    const set = { startTime: '22:30:00', spanMinutes: 480, level: 1, timezone: 'Asia/Shanghai' };
    assert.equal((await call(u.yuki, 'setNotificationQuietHoursWithSetting', set)).code, 0);
    for (const [bad, code] of [
      [{ ...set, startTime: '7:00:00' }, ErrorCode.INVALID_PARAMETER_TIMESTRING],
      [{ ...set, startTime: 700 }, ErrorCode.INVALID_PARAMETER_TIMESTRING],
      [{ ...set, spanMinutes: 1440 }, ErrorCode.INVALID_PARAMETER_SPAN_MINUTES],
      [{ ...set, spanMinutes: 2 ** 32 + 60 }, ErrorCode.INVALID_PARAMETER_SPAN_MINUTES],
      [{ ...set, level: 2 }, ErrorCode.INVALID_PARAMETER_NOTIFICATION_LEVEL],
      [{ ...set, timezone: 8 }, ErrorCode.BIZ_ERROR_INVALID_PARAMETER],
      [{ ...set, timezone: 'Mars/Olympus' }, ErrorCode.BIZ_ERROR_INVALID_PARAMETER],
      ['22:30:00', ErrorCode.BIZ_ERROR_INVALID_PARAMETER],
      // RongIMLib's order: the first bad field's code, whatever the type of those after it.
      [{ ...set, startTime: '7:00', spanMinutes: '60' }, ErrorCode.INVALID_PARAMETER_TIMESTRING],
      [{ ...set, spanMinutes: 0, level: '5' }, ErrorCode.INVALID_PARAMETER_SPAN_MINUTES],
      [{ ...set, level: 1.5 }, ErrorCode.INVALID_PARAMETER_NOTIFICATION_LEVEL],
    ]) {
      assert.equal((await call(u.yuki, 'setNotificationQuietHoursWithSetting', bad)).code, code, JSON.stringify(bad));
    }
    const other = await openUser(browser, web.url, server, 'yuki');
    assert.deepEqual(await call(other, 'getNotificationQuietHoursSetting'), { code: 0, data: set });
    // A fractional span is taken whole, as RongIMLib's range check lets it by.
    assert.equal((await call(other, 'setNotificationQuietHoursWithSetting', { ...set, spanMinutes: 90.5 })).code, 0);
    assert.equal((await call(u.yuki, 'getNotificationQuietHoursSetting')).data.spanMinutes, 90);
    assert.equal((await call(other, 'removeNotificationQuietHoursSetting')).code, 0);
    assert.deepEqual(await call(u.yuki, 'getNotificationQuietHoursSetting'), none);
    await other.page.close();
  });

  // imwasm's do-not-disturb of a set length sits beside the quiet hours.
  test('a do-not-disturb for a while: its end from the server, bad lengths refused, 0 ends it', async () => {
    assert.deepEqual(await call(u.yuki, 'getDoNotDisturb'), { code: 0, data: { until: 0 } });
    const set = await call(u.yuki, 'setDoNotDisturb', 90 * 60 * 1000);
    assert.equal(set.code, 0);
    assert.ok(Math.abs(set.data.until - (Date.now() + 90 * 60 * 1000)) < 60000, `until ${set.data.until}`);
    for (const bad of [-1, 7 * 86400000 + 1, 1.5, '60000', undefined]) {
      assert.equal((await call(u.yuki, 'setDoNotDisturb', bad)).code, ErrorCode.BIZ_ERROR_INVALID_PARAMETER, String(bad));
    }
    assert.deepEqual(await call(u.yuki, 'getDoNotDisturb'), { code: 0, data: { until: set.data.until } });
    assert.deepEqual(await call(u.yuki, 'getNotificationQuietHoursSetting'), { code: 0, data: { startTime: '', spanMinutes: 0, level: 0 } });
    assert.deepEqual(await call(u.yuki, 'setDoNotDisturb', 0), { code: 0, data: { until: 0 } });
    assert.deepEqual(await call(u.yuki, 'getDoNotDisturb'), { code: 0, data: { until: 0 } });
    // One conversation's: on every device, apart from the user's.
    const chat = { conversationType: ConversationType.PRIVATE, targetId: 'walt' };
    const muted = await call(u.yuki, 'setDoNotDisturb', 3600000, chat);
    assert.equal(muted.code, 0);
    assert.ok(Math.abs(muted.data.until - (Date.now() + 3600000)) < 60000, `until ${muted.data.until}`);
    assert.equal((await call(u.yuki, 'setDoNotDisturb', -1, chat)).code, ErrorCode.BIZ_ERROR_INVALID_PARAMETER);
    assert.equal((await call(u.yuki, 'setDoNotDisturb', 1000, { conversationType: ConversationType.CHATROOM, targetId: 'r' })).code,
      ErrorCode.INVALID_PARAMETER_CONVERSATION_TYPE);
    assert.deepEqual(await call(u.yuki, 'getDoNotDisturb'), { code: 0, data: { until: 0 } });
    const other = await openUser(browser, web.url, server, 'yuki');
    await other.page.waitForFunction(async (chat) => (await RongIMLib.getDoNotDisturb(chat)).data.until > 0, chat);
    assert.equal((await call(other, 'getDoNotDisturb', chat)).data.until, muted.data.until);
    assert.deepEqual(await call(other, 'setDoNotDisturb', 0, chat), { code: 0, data: { until: 0 } });
    await other.page.close();
    await u.yuki.page.waitForFunction(async (chat) => (await RongIMLib.getDoNotDisturb(chat)).data.until === 0, chat);
  });

  test('a block refuses messages with 405 and nothing reaches the blocker; unblocking restores them', async () => {
    assert.equal((await call(u.xena, 'addToBlacklist', 'walt')).code, 0);
    assert.deepEqual(await call(u.xena, 'getBlacklistStatus', 'walt'), { code: 0, data: true });
    const refused = await sendText(u.walt, 'xena', 'are you there?');
    assert.equal(refused.code, ErrorCode.REJECTED_BY_BLACKLIST);
    assert.equal(refused.data.sentStatus, SentStatus.FAILED);
    assert.equal((await sendText(u.xena, 'walt', 'one-way')).code, 0);
    await waitMessages(u.walt, (m) => m.content.content === 'one-way', 'her message');
    assert.ok(!(await messagesOf(u.xena)).some((m) => m.senderUserId === 'walt'), 'a blocked message reached xena');
    assert.equal((await call(u.xena, 'removeFromBlacklist', 'walt')).code, 0);
    assert.equal((await sendText(u.walt, 'xena', 'now?')).code, 0);
    await waitMessages(u.xena, (m) => m.content.content === 'now?', 'the message after unblocking');
  });

  test('online status changes when the last tab closes', async () => {
    const sub = await call(u.vera, 'subscribeUserStatus', ['xena'], SubscribeType.ONLINE_STATUS, 3600);
    assert.equal(sub.code, 0);
    const now = await call(u.vera, 'getSubscribeUsersOnlineStatus', ['xena']);
    assert.equal(now.data[0].isOnline, true);
    // A second tab of xena's: closing the first leaves her online.
    const tab2 = await openUser(browser, web.url, server, 'xena', u.xena.context);
    await u.xena.page.close();
    assert.equal((await call(u.vera, 'getSubscribeUsersOnlineStatus', ['xena'])).data[0].isOnline, true);
    await tab2.page.close();
    const off = await waitEvent(u.vera, 'SUBSCRIBED_USER_STATUS_CHANGE',
      (list) => list.some((s) => s.userId === 'xena' && s.details?.[0]?.eventValue === 0), 'xena offline');
    assert.equal(off[0].subscribeType, SubscribeType.ONLINE_STATUS);
    assert.equal((await call(u.vera, 'getSubscribeUsersOnlineStatus', ['xena'])).data[0].isOnline, false);
    const list = await call(u.vera, 'getSubscribeUserList', SubscribeType.ONLINE_STATUS, 10, 0);
    assert.deepEqual(list.data.map((s) => s.userId), ['xena']);
    assert.equal((await call(u.vera, 'subscribeUserStatus', ['xena'], SubscribeType.ONLINE_STATUS, 30)).code, ErrorCode.INVALID_PARAMETER_SUBSCRIBE_EXPIRY);
  });
});
