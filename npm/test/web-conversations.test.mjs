// RongIMLib's conversation settings in each browser engine against a real
// server: pins and do-not-disturb set in one tab reach the user's other tab
// (CONVERSATION with updatedItems), stay after a reload, and a new device
// (a fresh browser context) starts with them.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, admin, adminSend } from './harness.mjs';
import { eventsOf, waitEvent, serveStatic, launch, engines, openUser, connectPage, closeAll } from './browser.mjs';

for (const engine of engines()) describe(engine, () => {
  let server, web, browser;

  before(async () => {
    server = await startServer(['--write-rate', '0']); // the tag test makes some 40 changes in a row
    web = await serveStatic();
    browser = await launch(engine);
  });

  after(() => closeAll(() => browser?.close(), () => web?.close(), () => server?.stop()));

  // waitTold waits for an event without a payload (TAG, CONVERSATION_TAG).
  async function waitTold(x, name) {
    const deadline = Date.now() + 15000;
    while ((await eventsOf(x, name)).length === 0) {
      if (Date.now() > deadline) throw new Error(`${x.user}: timed out waiting for ${name}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const call = (x, fn, ...args) => x.page.evaluate(({ fn, args }) => RongIMLib[fn](...args), { fn, args });

  test('pins and do-not-disturb reach the other tab, survive a reload, and a new device has them', async () => {
    const context = await browser.newContext();
    const tab1 = await openUser(browser, web.url, server, 'pia', context);
    const tab2 = await openUser(browser, web.url, server, 'pia', context);
    const quinn = { conversationType: 1, targetId: 'quinn' };
    const r0 = await call(tab1, 'setConversationToTop', quinn, true);
    assert.equal(r0.code, 0, JSON.stringify(r0));
    assert.equal((await call(tab1, 'setConversationNotificationLevel', quinn, 5)).code, 0);

    const pinned = await waitEvent(tab2, 'CONVERSATION', (p) => p.conversationList.some((c) => c.updatedItems?.isTop?.val === true), 'the pin');
    const entry = pinned.conversationList.find((c) => c.conversation.targetId === 'quinn');
    assert.equal(entry.conversation.isTop, true);
    assert.ok(entry.updatedItems.isTop.time > 0);
    await waitEvent(tab2, 'CONVERSATION', (p) => p.conversationList.some((c) => c.updatedItems?.notificationLevel?.val === 5), 'the level');
    assert.deepEqual((await call(tab2, 'getConversationNotificationStatus', quinn)), { code: 0, data: 2 });
    const top = await call(tab2, 'getTopConversationList');
    assert.deepEqual(top.data.map((c) => [c.targetId, c.isTop, c.notificationLevel, c.notificationStatus, c.latestMessage]), [['quinn', true, 5, 2, null]]);
    assert.deepEqual((await eventsOf(tab1, 'CONVERSATION')).filter((p) => p.conversationList.some((c) => c.updatedItems)), [], 'the tab that changed them was told');

    await tab2.page.reload();
    await connectPage(tab2.page, web.url, server, 'pia');
    assert.deepEqual((await call(tab2, 'getBlockedConversationList')).data.map((c) => c.targetId), ['quinn']);
    assert.equal((await call(tab2, 'getConversationNotificationLevel', quinn)).data, 5);

    const device2 = await openUser(browser, web.url, server, 'pia'); // its own context: another device
    const list = await call(device2, 'getConversationList');
    assert.deepEqual(list.data.map((c) => [c.targetId, c.isTop, c.notificationLevel]), [['quinn', true, 5]]);

    assert.equal((await call(tab1, 'setConversationToTop', quinn, false)).code, 0);
    await waitEvent(device2, 'CONVERSATION', (p) => p.conversationList.some((c) => c.updatedItems?.isTop?.val === false), 'the unpin');
    assert.deepEqual((await call(device2, 'getTopConversationList')).data, []);

    // Bad input: RongIMLib's codes, nothing changed.
    assert.equal((await call(tab1, 'setConversationNotificationLevel', quinn, 3)).code, 33003);
    assert.equal((await call(tab1, 'setConversationNotificationStatus', quinn, 7)).code, 33003);
    assert.equal((await call(tab1, 'batchSetConversationToTop', Array(21).fill(quinn), true)).code, 34232);
    assert.equal((await call(tab1, 'setConversationToTop', { conversationType: 3, targetId: 'nogroup' }, true)).code, 22406);
    assert.equal((await call(tab1, 'getConversationNotificationLevel', quinn)).data, 5);
  });

  // Counts are the server's on a new device: it holds the latest 1,000 of
  // 1,500 unread messages and still shows 1,500.
  test('a new device shows 1,500 unread, and a read elsewhere clears them', async () => {
    await adminSend(server, 'wes', 'xia', Array.from({ length: 1500 }, (_, i) => `m${i}`), 32);
    const wes = { conversationType: 1, targetId: 'wes' };
    const dev1 = await openUser(browser, web.url, server, 'xia');
    assert.deepEqual(await call(dev1, 'getUnreadCount', wes), { code: 0, data: 1500 });
    assert.deepEqual(await call(dev1, 'getTotalUnreadCount'), { code: 0, data: 1500 });
    const list = await call(dev1, 'getConversationList', { count: 10 });
    assert.deepEqual(list.data.map((c) => [c.targetId, c.unreadMessageCount, c.latestMessage.receivedStatusInfo.isRead]), [['wes', 1500, false]]);
    const held = await call(dev1, 'getHistoryMessages', wes, { timestamp: 0, count: 100 });
    assert.equal(held.data.list.length, 100);

    const dev2 = await openUser(browser, web.url, server, 'xia');
    assert.equal((await call(dev2, 'clearMessagesUnreadStatus', wes)).code, 0);
    const read = await waitEvent(dev1, 'CONVERSATION', (p) => p.conversationList.some((c) => c.conversation.targetId === 'wes' && c.conversation.unreadMessageCount === 0), 'the read on the other device');
    assert.deepEqual(await call(dev1, 'getTotalUnreadCount'), { code: 0, data: 0 });
    // The latest message is read by the watermark everywhere it is shown,
    // as its history says, though this device stored it unread.
    const readLatest = read.conversationList.find((c) => c.conversation.targetId === 'wes').conversation.latestMessage;
    assert.deepEqual([readLatest.receivedStatus & 1, readLatest.receivedStatusInfo.isRead], [1, true]);
    const after = (await call(dev1, 'getConversationList', { count: 10 })).data[0].latestMessage;
    assert.deepEqual([after.messageUId, after.receivedStatus & 1, after.receivedStatusInfo.isRead], [list.data[0].latestMessage.messageUId, 1, true]);
    assert.equal((await call(dev1, 'getConversation', wes)).data.latestMessage.receivedStatusInfo.isRead, true);
    assert.equal((await call(dev1, 'getHistoryMessages', wes, { timestamp: 0, count: 1 })).data.list[0].receivedStatusInfo.isRead, true);
    const dev3 = await openUser(browser, web.url, server, 'xia');
    assert.deepEqual(await call(dev3, 'getUnreadCount', wes), { code: 0, data: 0 });
  });

  // Tags are the user's, kept by the server: the other tab hears TAG and
  // CONVERSATION_TAG and reads the new set; a reload and a new device have them.
  test('tags reach the other tab, survive a reload, and a new device has them', async () => {
    await adminSend(server, 'yan', 'zoe', ['hi', 'there']);
    const context = await browser.newContext();
    const tab1 = await openUser(browser, web.url, server, 'zoe', context);
    const tab2 = await openUser(browser, web.url, server, 'zoe', context);
    const yan = { conversationType: 1, targetId: 'yan' };
    assert.equal((await call(tab1, 'addTag', { tagId: 'work', tagName: '工作' })).code, 0);
    await waitTold(tab2, 'TAG');
    assert.deepEqual((await call(tab2, 'getTags')).data.map((t) => [t.tagId, t.tagName, t.conversationCount]), [['work', '工作', 0]]);
    assert.equal((await call(tab1, 'addConversationsToTag', 'work', [yan, { conversationType: 3, targetId: 'g0' }])).code, 0);
    assert.equal((await call(tab1, 'setConversationToTopInTag', 'work', yan, true)).code, 0);
    await waitTold(tab2, 'CONVERSATION_TAG');
    for (const deadline = Date.now() + 15000; ;) { // both changes may come as one event or two
      const tags = (await call(tab2, 'getTagsFromConversation', yan)).data;
      if (tags.length === 1 && tags[0].isTop) break;
      if (Date.now() > deadline) throw new Error(`the pin in the tag never reached tab2: ${JSON.stringify(tags)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const page = await call(tab2, 'getConversationsFromTagByPage', 'work', 10, 0);
    assert.deepEqual(page.data.map((c) => [c.targetId, c.isTopInTag, c.unreadMessageCount]), [['yan', true, 2]]);
    assert.deepEqual(await call(tab2, 'getUnreadCountByTag', 'work', false), { code: 0, data: 2 });
    assert.deepEqual((await eventsOf(tab1, 'TAG')).concat(await eventsOf(tab1, 'CONVERSATION_TAG')), [], 'the tab that changed them was told');

    await tab2.page.reload();
    await connectPage(tab2.page, web.url, server, 'zoe');
    assert.deepEqual((await call(tab2, 'getTags')).data.map((t) => [t.tagId, t.conversationCount]), [['work', 2]]);
    const device2 = await openUser(browser, web.url, server, 'zoe');
    assert.deepEqual((await call(device2, 'getTagsFromConversation', yan)).data.map((t) => [t.tagId, t.tagName, t.isTop]), [['work', '工作', true]]);
    assert.equal((await call(device2, 'removeTagsFromConversation', yan, ['work'])).code, 0);
    assert.deepEqual((await call(device2, 'getUnreadCountByTag', 'work', true)).data, 0);

    // Bad input: RongIMLib's codes, nothing changed.
    assert.equal((await call(tab1, 'addTag', { tagId: 'work', tagName: 'again' })).code, 33101);
    assert.equal((await call(tab1, 'updateTag', { tagId: 'work', tagName: 'a name of 16 chr' })).code, 34213);
    assert.equal((await call(tab1, 'addTag', { tagId: 'eleven-char', tagName: 'x' })).code, 34212);
    assert.equal((await call(tab1, 'addConversationsToTag', 'home', [yan])).code, 33100);
    assert.equal((await call(tab1, 'getUnreadCountByTag', 'home', true)).code, 33100);
    assert.equal((await call(tab1, 'setConversationToTopInTag', 'work', yan, true)).code, 33102);
    assert.equal((await call(tab1, 'addConversationsToTag', 'work', [{ conversationType: 4, targetId: 'room' }])).code, 34209);
    for (let i = 1; i < 20; i++) assert.equal((await call(tab1, 'addTag', { tagId: `t${i}`, tagName: `n${i}` })).code, 0);
    assert.equal((await call(tab1, 'addTag', { tagId: 't20', tagName: 'x' })).code, 26004);
    assert.equal((await call(tab1, 'getTags')).data.length, 20);
  });

  // The newer conversation calls over the same list: RongCloud's "realtime"
  // ones, counts by level, @-mentions, a type's do-not-disturb level, the
  // paged loader and batch deletion.
  test('realtime lists, counts by level, mentions, type levels, the loader and batch deletion', async () => {
    await adminSend(server, 'bea', 'ann', ['one', 'two']);
    await adminSend(server, 'cid', 'ann', ['three']);
    await admin(server, 'POST', '/v1/groups', { groupId: 'gx', name: 'gx', ownerId: 'bea', memberIds: ['ann', 'bea'] });
    await admin(server, 'POST', '/v1/messages', { fromUserId: 'bea', conversationType: 3, targetIds: ['gx'], objectName: 'RC:TxtMsg',
      content: { content: '@ann' }, clientMsgId: 'at-ann', isMentioned: true, mentionedInfo: { type: 2, userIdList: ['ann'] } });
    const ann = await openUser(browser, web.url, server, 'ann');
    const bea = { conversationType: 1, targetId: 'bea' };
    const cid = { conversationType: 1, targetId: 'cid' };
    const gx = { conversationType: 3, targetId: 'gx' };
    assert.deepEqual((await call(ann, 'getRealtimeConversations', { count: 10 })).data.map((c) => c.targetId).sort(), ['bea', 'cid', 'gx']);
    assert.deepEqual((await call(ann, 'getRealtimeConUnreadCounts', [bea, cid])).data.map((c) => [c.targetId, c.unreadCount]), [['bea', 2], ['cid', 1]]);
    assert.equal((await call(ann, 'getRealtimeConTotalUnreadCount')).data, 4);
    assert.deepEqual((await call(ann, 'getUnreadMentionMeConversationList', { timestamp: 0, count: 10, conversationTypes: [1, 3] })).data.map((c) => c.targetId), ['gx']);
    const at = await call(ann, 'getUnreadMentionedMessages', gx);
    assert.deepEqual(at.data.map((m) => [m.content.content, m.isMentioned]), [['@ann', true]]);
    assert.equal((await call(ann, 'getTotalUnreadMentionedCountByLevels', [3], [0])).data, 1);

    // A type's level: the private conversations are muted (their own is NOT_SET), on every device.
    assert.equal((await call(ann, 'setConversationTypeNotificationLevel', 1, 5)).code, 0);
    assert.equal((await call(ann, 'getConversationTypeNotificationLevel', 1)).data, 5);
    assert.equal((await call(ann, 'getTotalUnreadCount', false)).data, 1);
    assert.deepEqual((await call(ann, 'getBlockedConversationList')).data.map((c) => c.targetId).sort(), ['bea', 'cid']);
    assert.equal((await call(ann, 'getTotalUnreadCountByLevels', [1], [5])).data, 3, 'by the level in effect: the type\'s');
    assert.equal((await call(ann, 'getTotalUnreadCountByLevels', [1], [0])).data, 0);
    const ann2 = await openUser(browser, web.url, server, 'ann');
    assert.equal((await call(ann2, 'getConversationTypeNotificationLevel', 1)).data, 5);
    assert.equal((await call(ann2, 'getConversationList')).data.length, 3, 'a type\'s level is no conversation');
    assert.equal((await call(ann, 'setConversationTypeNotificationLevel', 1, 0)).code, 0);

    const first = (await call(ann, 'getHistoryMessages', bea, { timestamp: 0, count: 10, order: 1 })).data.list[0];
    assert.equal((await call(ann, 'clearUnreadCountByTimestamp', bea, first.sentTime)).code, 0);
    assert.equal((await call(ann, 'getUnreadCount', bea)).data, 1);
    assert.equal((await call(ann, 'markRemoteConversationAsRead', cid)).code, 0);
    assert.equal((await call(ann, 'clearRealtimeConUnreadCount', gx)).code, 0);
    assert.equal((await call(ann, 'getRealtimeConTotalUnreadCount')).data, 1);

    // The loader pages through the list and ends.
    const pages = await ann.page.evaluate(async () => {
      const { data: loader } = await RongIMLib.createConversationListLoader({ conversationTypes: [1, 3] });
      const out = [];
      while (loader.hasMore) {
        const r = await loader.load(2);
        out.push([r.code, r.data.map((c) => c.targetId), loader.hasMore]);
      }
      return out;
    });
    assert.deepEqual(pages.map(([code, ids]) => [code, ids.length]), [[0, 2], [0, 1]]);
    assert.deepEqual(pages.flatMap(([, ids]) => ids).sort(), ['bea', 'cid', 'gx']);

    assert.equal((await call(ann, 'batchDeleteConversations', { identifiers: [bea, cid], deleteRemotely: true, deleteMessages: true })).code, 0);
    assert.deepEqual((await call(ann, 'getConversationList')).data.map((c) => c.targetId), ['gx']);
    assert.equal((await call(ann, 'getRemoteHistoryMessages', bea, { timestamp: 0, count: 10 })).data.list.length, 0);

    // Bad input: RongIMLib's codes.
    assert.equal((await call(ann, 'getRealtimeConversations', { count: 51 })).code, 34232);
    assert.equal((await call(ann, 'getRealtimeConUnreadCounts', Array(11).fill(bea))).code, 34232);
    assert.equal((await call(ann, 'setConversationTypeNotificationLevel', 4, 5)).code, 34209);
    assert.equal((await call(ann, 'setConversationTypeNotificationLevel', 1, 3)).code, 33003);
    assert.equal((await call(ann, 'batchDeleteConversations', { identifiers: [], deleteRemotely: true, deleteMessages: false })).code, 34232);
  });

  // Editing: the sender's edit reaches the peer (MESSAGE_MODIFIED) and
  // stays after a reload; others may not edit.
  test('an edit reaches the peer and stays after a reload', async () => {
    const ed = await openUser(browser, web.url, server, 'ed');
    const fi = await openUser(browser, web.url, server, 'fi');
    const toFi = { conversationType: 1, targetId: 'fi' };
    const sent = await ed.page.evaluate((c) => RongIMLib.sendMessage(c, new RongIMLib.TextMessage({ content: 'helo' })), toFi);
    assert.equal(sent.code, 0);
    await waitEvent(fi, 'MESSAGES', (p) => p.messages.some((m) => m.messageUId === sent.data.messageUId), 'the message');
    const toEd = { conversationType: 1, targetId: 'ed' };
    assert.equal((await call(fi, 'modifyMessageWithParams', { messageUId: sent.data.messageUId, messageContent: { content: 'x' }, conversation: toEd })).code, 33401);
    assert.equal((await call(ed, 'modifyMessageWithParams', { messageUId: sent.data.messageUId, messageContent: { content: 'hello' }, conversation: toFi })).code, 0);
    const [m] = await waitEvent(fi, 'MESSAGE_MODIFIED', (list) => list.length > 0, 'MESSAGE_MODIFIED');
    assert.equal(m.content.content, 'hello');
    assert.equal(m.messageType, 'RC:TxtMsg');
    assert.ok(m.modifyInfo.timestamp > 0);
    await fi.page.reload();
    await connectPage(fi.page, web.url, server, 'fi');
    const h = await call(fi, 'getHistoryMessages', toEd, { timestamp: 0, count: 10 });
    assert.deepEqual(h.data.list.map((x) => [x.content.content, x.modifyInfo?.timestamp]), [['hello', m.modifyInfo.timestamp]]);
    // The list's latest message follows each change (the bridge keeps its
    // text between calls: a stale one would show here).
    const latest = async () => (await call(fi, 'getConversationList')).data.find((c) => c.targetId === 'ed').latestMessage;
    assert.equal((await latest()).content.content, 'hello');
    assert.equal((await call(ed, 'modifyMessage', { content: 'hello!' }, sent.data)).code, 0);
    await waitEvent(fi, 'MESSAGE_MODIFIED', (list) => list.some((x) => x.content.content === 'hello!'), 'the second edit');
    assert.equal((await latest()).content.content, 'hello!');

    // A quote of it refreshed: the server's current form.
    const refreshed = await fi.page.evaluate(async ({ conv, uid }) => {
      let remote, local;
      const r = await RongIMLib.refreshReferenceMessageWithParams({ messageUIds: ['q1', 'q2'], conversationIdentifier: conv,
        messageInfoMap: { q1: uid, q2: 'AAAA-AAAA-AAAA-AAAA' }, remoteMessageBlock: (x) => { remote = x; }, localMessageBlock: (x) => { local = x; } });
      return { code: r.code, local, remote: remote.map((x) => [x.code, x.messageUId, x.message?.content.content ?? null]) };
    }, { conv: toEd, uid: sent.data.messageUId });
    assert.deepEqual(refreshed, { code: 0, local: [], remote: [[0, 'q1', 'hello!'], [34304, 'q2', null]] });

    // This device's received status of the message (RongIMLib's setMessageReceivedStatus).
    const id = h.data.list[0].messageId;
    assert.equal((await call(fi, 'setMessageReceivedStatus', id, 1 | 2)).code, 0);
    const got = (await call(fi, 'getMessage', id)).data;
    assert.deepEqual([got.receivedStatus, got.receivedStatusInfo.isRead, got.receivedStatusInfo.isListened, got.receivedStatusInfo.isDownload], [3, true, true, false]);
    assert.deepEqual([(await latest()).receivedStatus, (await latest()).receivedStatusInfo.isListened], [3, true]);
    assert.equal((await call(fi, 'setMessageReceivedStatus', 999999, 1)).code, 34304);
    assert.equal((await call(fi, 'setMessageReceivedStatus', id, 16)).code, 33003);
  });

  // Another user connecting in the same page sees their own list: the
  // bridge's kept texts of the first user's latest messages (whose
  // conversation keys and revs the second user's can share) are not theirs.
  test('a second user in the same page lists their own latest messages', async () => {
    await adminSend(server, 'zed', 'ulla', ['for ulla']);
    await adminSend(server, 'zed', 'vanja', ['for vanja']);
    const x = await openUser(browser, web.url, server, 'ulla');
    const latest = async () => (await call(x, 'getConversationList')).data.map((c) => [c.targetId, c.latestMessage.content.content]);
    assert.deepEqual(await latest(), [['zed', 'for ulla']]);
    const r = await x.page.evaluate(async (token) => {
      await RongIMLib.disconnect();
      window.events = [];
      return RongIMLib.connect(token);
    }, server.token('vanja'));
    assert.equal(r.code, 0, JSON.stringify(r));
    assert.equal(r.data.userId, 'vanja');
    await x.page.waitForFunction(() => window.events.some(([n]) => n === 'PULL_OFFLINE_MESSAGE_FINISHED'));
    assert.deepEqual(await latest(), [['zed', 'for vanja']]);
  });

  // Search over IndexedDB: the built-in types' searchable properties and a
  // registered type's searchProps.
  test('searchMessages and searchConversationByContent find what the device holds', async () => {
    const hal = await openUser(browser, web.url, server, 'hal');
    const gil = await openUser(browser, web.url, server, 'gil');
    const sent = await hal.page.evaluate(async () => {
      const Card = RongIMLib.registerMessageType('app:Card', true, true, ['title']);
      const to = { conversationType: 1, targetId: 'gil' };
      const out = [];
      for (const m of [new RongIMLib.TextMessage({ content: 'Hello world' }), new RongIMLib.TextMessage({ content: 'goodbye' }),
        new Card({ title: 'a hello card', body: 'x' }), new RongIMLib.TextMessage({ content: 'say \u00e9 HELLO' })]) {
        out.push((await RongIMLib.sendMessage(to, m)).data.messageUId);
      }
      return out;
    });
    await waitEvent(gil, 'MESSAGES', (p) => p.messages.some((m) => m.messageUId === sent[3]), 'the last message');
    const found = await gil.page.evaluate(() => {
      RongIMLib.registerMessageType('app:Card', true, true, ['title']);
      return RongIMLib.searchMessages({ conversationType: 1, targetId: 'hal' }, 'hello', 0, 2);
    });
    assert.equal(found.code, 0, JSON.stringify(found));
    assert.deepEqual([found.data.count, found.data.totalMatched, found.data.messages.map((m) => m.messageUId)], [3, 3, [sent[3], sent[2]]]);
    assert.deepEqual((await call(gil, 'searchConversationByContent', 'WORLD')).data.map((c) => c.targetId), ['hal']);
    assert.deepEqual((await call(gil, 'searchConversationByContent', 'world', [1], ['RC:FileMsg'])).data, []);
    assert.equal((await call(gil, 'searchMessages', { conversationType: 1, targetId: 'hal' }, '', 0, 10)).code, 33003);
    assert.equal((await call(gil, 'searchMessages', { conversationType: 1, targetId: 'hal' }, 'x', 0, 101)).code, 34232);
  });

  // removeConversation: out of the list on the user's other tab and after a
  // reload, its messages kept, back with the next message.
  test('a removed conversation leaves the list everywhere and comes back with its next message', async () => {
    const context = await browser.newContext();
    const tab1 = await openUser(browser, web.url, server, 'uma', context);
    const tab2 = await openUser(browser, web.url, server, 'uma', context);
    const vic = await openUser(browser, web.url, server, 'vic');
    const toUma = { conversationType: 1, targetId: 'uma' };
    const fromVic = { conversationType: 1, targetId: 'vic' };
    assert.equal((await call(vic, 'sendMessage', toUma, { messageType: 'RC:TxtMsg', content: { content: 'one' } })).code, 0);
    const listed = async (x) => (await call(x, 'getConversationList')).data.some((c) => c.targetId === 'vic');
    const until = async (what, cond) => {
      const deadline = Date.now() + 15000;
      while (!(await cond())) {
        if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    for (const t of [tab1, tab2]) await until('the message', () => listed(t));
    assert.equal((await call(tab1, 'removeConversation', fromVic)).code, 0);
    assert.equal(await listed(tab1), false);
    await until('gone from the other tab', async () => !(await listed(tab2)));
    assert.equal((await call(tab2, 'getTotalUnreadCount', true)).data, 0);
    assert.equal((await call(tab2, 'getHistoryMessages', fromVic, { count: 10 })).data.list.length, 1, 'its messages stay');
    await tab2.page.reload();
    await connectPage(tab2.page, web.url, server, 'uma');
    assert.equal(await listed(tab2), false, 'back after a reload');
    assert.equal((await call(vic, 'sendMessage', toUma, { messageType: 'RC:TxtMsg', content: { content: 'two' } })).code, 0);
    for (const t of [tab1, tab2]) await until('back with the next message', () => listed(t));
    assert.equal((await call(tab1, 'getUnreadCount', fromVic)).data, 2);
  });

  // Drafts are the device's: kept in IndexedDB (a reload, the other tab),
  // not the user's other devices.
  test('a draft survives a reload and stays on its device', async () => {
    const context = await browser.newContext();
    const tab1 = await openUser(browser, web.url, server, 'rae', context);
    const sid = { conversationType: 1, targetId: 'sid' };
    assert.equal((await call(tab1, 'sendMessage', sid, { messageType: 'RC:TxtMsg', content: { content: 'hi' } })).code, 0);
    assert.equal((await call(tab1, 'saveTextMessageDraft', sid, 'half a thought 😀')).code, 0);
    assert.deepEqual(await call(tab1, 'getTextMessageDraft', sid), { code: 0, data: 'half a thought 😀' });
    await tab1.page.reload();
    await connectPage(tab1.page, web.url, server, 'rae');
    assert.deepEqual(await call(tab1, 'getTextMessageDraft', sid), { code: 0, data: 'half a thought 😀' });
    assert.equal((await call(tab1, 'getConversationList')).data.find((c) => c.targetId === 'sid').draft, 'half a thought 😀');
    const tab2 = await openUser(browser, web.url, server, 'rae', context);
    assert.equal((await call(tab2, 'getTextMessageDraft', sid)).data, 'half a thought 😀');
    const elsewhere = await openUser(browser, web.url, server, 'rae'); // another device
    assert.equal((await call(elsewhere, 'getTextMessageDraft', sid)).data, '');
    assert.equal((await call(tab1, 'clearTextMessageDraft', sid)).code, 0);
    assert.equal((await call(tab1, 'getTextMessageDraft', sid)).data, '');
    assert.equal((await call(tab1, 'saveTextMessageDraft', sid, 7)).code, 33003);
  });

  // RongIMLib's indexDBSwitch: false keeps nothing on the device.
  test('init({indexDBSwitch: false}) keeps nothing across a reload', async () => {
    const page = await (await browser.newContext()).newPage();
    const x = { page, user: 'wes' };
    await connectPage(page, web.url, server, 'wes', { init: { indexDBSwitch: false } });
    const sid = { conversationType: 1, targetId: 'sid' };
    assert.equal((await call(x, 'saveTextMessageDraft', sid, 'not kept')).code, 0);
    assert.equal((await call(x, 'getTextMessageDraft', sid)).data, 'not kept');
    await page.reload();
    await connectPage(page, web.url, server, 'wes', { init: { indexDBSwitch: false } });
    assert.equal((await call(x, 'getTextMessageDraft', sid)).data, '');
    assert.deepEqual(await page.evaluate(async () => (await indexedDB.databases?.())?.map((d) => d.name).filter((n) => n.startsWith('imwasm:')) ?? []), []);
  });
});
