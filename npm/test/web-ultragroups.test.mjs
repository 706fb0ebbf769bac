// Ultra groups in each browser engine against a real server, through the
// npm package: channels public and private made by the app server, a
// channel's unread counts and mentions for a member who was offline, an
// edit every member sees, a recall and an expansion as RongIMLib's
// ULTRA_GROUP_* events, default notification levels, a channel deleted, a
// member removed (24406), and the ultra-group functions' refusals.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, admin } from './harness.mjs';
import { waitEvent, eventsOf, serveStatic, launch, engines, openUser, closeAll, messagesOf, waitMessages } from './browser.mjs';
import { ErrorCode, ConversationType, NotificationLevel, UltraGroupChannelType, UltraGroupChannelChangeType } from '../index.js';

for (const engine of engines()) describe(engine, () => {
  let server, web, browser;
  const u = {};
  const G = 'town';
  const chan = (channelId) => ({ conversationType: ConversationType.ULTRA_GROUP, targetId: G, channelId });
  const call = (x, fn, ...args) => x.page.evaluate(({ fn, args }) => RongIMLib[fn](...args), { fn, args });
  const say = (x, channelId, content, mentioned) => x.page.evaluate(({ conv, content, mentioned }) =>
    RongIMLib.sendMessage(conv, new RongIMLib.TextMessage({ content, ...(mentioned && { mentionedInfo: { type: 2, userIdList: mentioned } }) }),
      { canIncludeExpansion: true, ...(mentioned && { isMentioned: true }) }), { conv: chan(channelId), content, mentioned });
  const texts = async (x, channelId) => (await messagesOf(x))
    .filter((m) => m.conversationType === ConversationType.ULTRA_GROUP && m.targetId === G && m.channelId === channelId)
    .map((m) => m.content.content);

  before(async () => {
    server = await startServer();
    web = await serveStatic();
    browser = await launch(engine);
    await admin(server, 'POST', '/v1/ultragroups', { id: G, name: 'Town', ownerId: 'olga', memberIds: ['pat', 'quinn', 'ray'] });
    await admin(server, 'POST', `/v1/ultragroups/${G}/channels`, { channelId: 'news' });
    await admin(server, 'POST', `/v1/ultragroups/${G}/channels`, { channelId: 'staff', private: true });
    await admin(server, 'POST', `/v1/ultragroups/${G}/channels/staff/users`, { userIds: ['olga', 'pat'] });
    for (const name of ['olga', 'pat', 'quinn']) u[name] = await openUser(browser, web.url, server, name);
  });

  after(() => closeAll(() => browser?.close(), () => web?.close(), () => server?.stop()));

  test('channels, messages to their members, counts and mentions for one who was offline', async () => {
    const list = await call(u.pat, 'getUltraGroupList', { targetId: G });
    assert.equal(list.code, 0, JSON.stringify(list));
    assert.deepEqual(list.data.map((c) => [c.channelId, c.channelType]).sort(),
      [['', UltraGroupChannelType.PUBLIC], ['news', UltraGroupChannelType.PUBLIC], ['staff', UltraGroupChannelType.PRIVATE]]);
    const quinns = await call(u.quinn, 'getUltraGroupList', { channelType: UltraGroupChannelType.PRIVATE });
    assert.deepEqual(quinns.data, [], 'quinn is on no private channel\'s list');

    assert.equal((await say(u.olga, 'news', 'n1')).code, 0);
    await waitMessages(u.quinn, (m) => m.channelId === 'news' && m.content.content === 'n1', 'n1');
    assert.equal((await say(u.pat, 'staff', 's1')).code, 0);
    await waitMessages(u.olga, (m) => m.channelId === 'staff', 's1');
    assert.equal((await say(u.quinn, 'staff', 'let me in')).code, ErrorCode.ULTRA_GROUP_USER_NOT_IN_PRIVATE_CHANNEL);
    assert.equal((await say(u.quinn, 'nope', '?')).code, ErrorCode.ULTRA_GROUP_CHANNEL_ID_NOT_EXIST);

    // Ray was offline: his first device shows each channel's count.
    await say(u.olga, 'news', 'n2');
    await say(u.pat, 'news', '@ray', ['ray']);
    await say(u.olga, '', 'hello');
    u.ray = await openUser(browser, web.url, server, 'ray');
    await waitMessages(u.ray, (m) => m.content.content === 'hello', 'hello');
    assert.equal((await call(u.ray, 'getUltraGroupUnreadCountByTargetId', G)).data, 4);
    assert.equal((await call(u.ray, 'getUltraGroupUnreadMentionedCountByTargetId', G)).data, 1);
    const info = (await call(u.ray, 'getUltraGroupUnreadInfoList', [G])).data;
    const news = info.find((c) => c.channelId === 'news');
    assert.deepEqual([news.unreadMessageCount, news.mentionedCount, news.mentionedMeCount], [3, 1, 1]);
    assert.equal(info.find((c) => c.channelId === '').unreadMessageCount, 1);
    assert.equal(info.length, 2, 'ray is not on staff\'s list');
    const ats = (await call(u.ray, 'getUltraGroupUnreadMentionedMessages', { targetId: G, channelId: 'news', sentTime: 0, count: 10 })).data;
    assert.equal(ats.length, 1);
    assert.equal(ats[0].messageType, 'RC:TxtMsg');
    const first = (await call(u.ray, 'getUltraGroupFirstUnreadMessageTimestamp', { targetId: G, channelId: 'news' })).data;
    assert.ok(first.sentTime > 0 && first.sentTime < ats[0].sentTime, JSON.stringify(first));
    assert.ok((await eventsOf(u.ray, 'ULTRA_GROUP_ENABLE')).some((l) => l.some((c) => c.channelId === 'news')));
    // Read: the count goes on every device of his.
    assert.equal((await call(u.ray, 'clearMessagesUnreadStatus', chan('news'))).code, 0);
    assert.equal((await call(u.ray, 'getUltraGroupUnreadCountByTargetId', G)).data, 1);
    assert.equal((await call(u.ray, 'getAllUltraGroupUnreadCount')).data, 1);
  });

  test('an edit everyone sees, a recall and an expansion as ULTRA_GROUP events', async () => {
    const sent = await say(u.olga, 'news', 'typo');
    assert.equal(sent.code, 0);
    await waitMessages(u.pat, (m) => m.messageUId === sent.data.messageUId, 'typo');
    const edited = await call(u.olga, 'modifyMessage', { content: 'fixed' }, sent.data);
    assert.equal(edited.code, 0, JSON.stringify(edited));
    for (const x of [u.pat, u.quinn]) {
      await waitEvent(x, 'MESSAGE_MODIFIED', (l) => l.some((m) => m.messageUId === sent.data.messageUId && m.content.content === 'fixed'), 'the edit');
    }
    assert.equal((await call(u.olga, 'updateExpansionForUltraGroupMessage', { like: '1', star: '2' }, sent.data)).code, 0);
    await waitEvent(u.pat, 'ULTRA_GROUP_MESSAGE_EXPANSION_UPDATED', (l) => l[0]?.expansion?.like === '1', 'the expansion');
    assert.equal((await call(u.olga, 'removeAllExpansionForUltraGroupMessage', sent.data)).code, 0);
    await waitEvent(u.pat, 'ULTRA_GROUP_MESSAGE_EXPANSION_UPDATED', (l) => l[0] && Object.keys(l[0].expansion ?? {}).length === 0, 'every key removed');
    const byUid = await call(u.pat, 'getUltraGroupMessageListByMessageUId', chan('news'), [{ messageUId: sent.data.messageUId }, { messageUId: 'AAAA-AAAA-AAAA-AAAA' }]);
    assert.equal(byUid.data[sent.data.messageUId].content.content, 'fixed');
    assert.equal(byUid.data['AAAA-AAAA-AAAA-AAAA'], undefined);
    assert.equal((await call(u.olga, 'recallMessage', chan('news'), { messageUId: sent.data.messageUId, sentTime: sent.data.sentTime })).code, 0);
    await waitEvent(u.pat, 'ULTRA_GROUP_MESSAGE_RECALLED', (l) => l.some((m) => m.messageUId === sent.data.messageUId && m.messageType === 'RC:RcNtf'), 'the recall');
    assert.equal((await call(u.pat, 'sendUltraGroupTypingStatus', chan('news'))).code, 0);
    await waitEvent(u.quinn, 'TYPING_STATUS', (e) => e.status.some((s) => s.channelId === 'news' && s.list.some((t) => t.userId === 'pat')), 'pat typing');
    // The ultra-group forms refuse other conversation types.
    assert.equal((await call(u.pat, 'sendUltraGroupTypingStatus', { conversationType: ConversationType.GROUP, targetId: G })).code,
      ErrorCode.METHOD_ONLY_SUPPORT_ULTRA_GROUP);
  });

  test('default levels set by the owner, a channel deleted, a member taken off a list and removed', async () => {
    assert.equal((await call(u.pat, 'setUltraGroupDefaultNotificationLevel', { targetId: G }, NotificationLevel.NOT_MESSAGE_NOTIFICATION)).code,
      ErrorCode.RC_GROUP_AUTHORITY_ERROR);
    assert.equal((await call(u.olga, 'setUltraGroupDefaultNotificationLevel', { targetId: G, channelId: 'news' }, NotificationLevel.NOT_MESSAGE_NOTIFICATION)).code, 0);
    assert.equal((await call(u.pat, 'getUltraGroupDefaultNotificationLevel', { targetId: G, channelId: 'news' })).data, NotificationLevel.NOT_MESSAGE_NOTIFICATION);
    assert.equal((await call(u.pat, 'getUltraGroupDefaultNotificationLevel', { targetId: G })).data, NotificationLevel.NOT_SET);
    const blocked = (await call(u.pat, 'getBlockUltraGroupList')).data;
    assert.deepEqual(blocked.map((c) => c.channelId), ['news']);

    await admin(server, 'POST', `/v1/ultragroups/${G}/channels/staff/users/remove`, { userIds: ['pat'] });
    const kicked = await waitEvent(u.pat, 'ULTRA_GROUP_CHANNEL_USER_KICKED', (l) => l[0]?.channelId === 'staff', 'taken off staff');
    assert.equal(kicked[0].userId, 'pat');
    assert.equal((await say(u.pat, 'staff', 'still?')).code, ErrorCode.ULTRA_GROUP_USER_NOT_IN_PRIVATE_CHANNEL);
    await admin(server, 'DELETE', `/v1/ultragroups/${G}/channels/news`);
    const del = await waitEvent(u.quinn, 'ULTRA_GROUP_CHANNEL_DELETE', (l) => l[0]?.channelId === 'news', 'news deleted');
    assert.ok(del[0].deleteTime > 0);
    assert.equal((await say(u.quinn, 'news', 'gone?')).code, ErrorCode.ULTRA_GROUP_CHANNEL_ID_NOT_EXIST);
    await admin(server, 'PUT', `/v1/ultragroups/${G}/channels/staff`, { private: false });
    await waitEvent(u.quinn, 'ULTRA_GROUP_CHANNEL_TYPE_CHANGE', (l) => l[0]?.changeType === UltraGroupChannelChangeType.PRIVATE_TO_PUBLIC, 'staff made public');

    await admin(server, 'POST', `/v1/ultragroups/${G}/members/remove`, { userIds: ['quinn'] });
    assert.equal((await say(u.quinn, '', 'still here?')).code, ErrorCode.NOT_IN_ULTRA_GROUP);
    assert.equal((await call(u.quinn, 'getUltraGroupList', { targetId: G })).code, ErrorCode.NOT_IN_ULTRA_GROUP);
    await say(u.olga, '', 'after quinn');
    await waitMessages(u.pat, (m) => m.content?.content === 'after quinn', 'after quinn');
    assert.ok(!(await texts(u.quinn, '')).includes('after quinn'));
  });
});
