// Receipts in each browser engine against a real server: seed 000's group
// request/response flow as its example code is written (also after a
// reload, and not after 24 hours), needReceipt counts and reader pages,
// delivery and private read ticks, and read state shared by two tabs.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, bin, appSecret } from './harness.mjs';
import { eventsOf, waitEvent, serveStatic, launch, engines, openUser, connectPage, closeAll } from './browser.mjs';
import { ErrorCode } from '../index.js';

for (const engine of engines()) describe(engine, () => {
  let server, web, browser;
  const u = {};

  async function createGroup(groupId, ownerId, memberIds) {
    const tok = execFileSync(bin, ['token', '--app-secret', appSecret, '--admin']).toString().trim();
    const res = await fetch(server.url + '/v1/groups', {
      method: 'POST', headers: { authorization: 'Bearer ' + tok, 'content-type': 'application/json' },
      body: JSON.stringify({ groupId, name: groupId, ownerId, memberIds }),
    });
    assert.equal(res.status, 200, await res.text());
  }

  before(async () => {
    server = await startServer();
    web = await serveStatic();
    browser = await launch(engine);
    await createGroup('club', 'rita', ['sam', 'tess', 'uma']);
    for (const name of ['rita', 'sam', 'tess', 'uma']) u[name] = await openUser(browser, web.url, server, name);
  });

  after(() => closeAll(() => browser?.close(), () => web?.close(), () => server?.stop()));


  const club = { conversationType: 3, targetId: 'club' };
  const sendText = (x, conv, content, options) => x.page.evaluate(({ conv, content, options }) =>
    RongIMLib.sendMessage(conv, new RongIMLib.TextMessage({ content }), options), { conv, content, options });

  test("seed 000: request, MESSAGE_RECEIPT_REQUEST, responses with and without messageList, MESSAGE_RECEIPT_RESPONSE, readReceiptInfo, getMessageReader", async () => {
    const sent = await sendText(u.rita, club, 'who has read this?');
    assert.equal(sent.code, 0);
    // The members listen as seed 000's example does.
    for (const m of [u.sam, u.tess]) {
      await m.page.evaluate(() => {
        window.requests = [];
        const Events = RongIMLib.Events
        function onMessageReceiptRequest({conversation, messageUId, senderUserId}) {
          // conversation 群组会话
          // messageUId 需要回执的消息UId
          // senderUserId 消息发送者Id
          console.log(conversation, messageUId, senderUserId)
          window.requests.push({ conversation, messageUId, senderUserId })
        }
        RongIMLib.addEventListener(
          Events.MESSAGE_RECEIPT_REQUEST,
          onMessageReceiptRequest
        )
      });
    }
    await u.rita.page.evaluate(() => {
      window.responses = [];
      const Events = RongIMLib.Events
      function onMessageReceiptResponse({conversation, receivedUserId, messageUIdList}) {
        // conversation 群组会话
        // receivedUserId 为消息接收者,即谁响应了之前发送的消息回执请求
        // messageUIdList 为 消息接收者已查看了的消息UId列表
        console.log(conversation, receivedUserId, messageUIdList)
        window.responses.push({ conversation, receivedUserId, messageUIdList })
      }
      RongIMLib.addEventListener(
        Events.MESSAGE_RECEIPT_RESPONSE,
        onMessageReceiptResponse
      )
    });

    // The request, as seed 000 writes it ('targetId' is the group, the
    // messageUId the one just sent).
    const req = await u.rita.page.evaluate((uid) => {
      return RongIMLib.sendReadReceiptRequest('club', uid)
        .then((res) => {
          if (res.code === 0) {
            console.log(res.code, res.data)
          } else {
            console.log(res.code, res.msg)
          }
          return res
        })
        .catch((error) => {
          console.log(error)
        })
    }, sent.data.messageUId);
    assert.equal(req.code, 0, JSON.stringify(req));
    for (const m of [u.sam, u.tess]) {
      await m.page.waitForFunction((uid) => window.requests.some((r) => r.messageUId === uid), sent.data.messageUId);
      const r = await m.page.evaluate(() => window.requests[0]);
      assert.deepEqual([r.conversation.targetId, r.conversation.conversationType, r.senderUserId], ['club', 3, 'rita']);
    }
    // A member may not ask.
    const denied = await u.sam.page.evaluate((uid) => RongIMLib.sendReadReceiptRequest('club', uid), sent.data.messageUId);
    assert.equal(denied.code, 26320);

    // sam answers with a messageList, as the example writes it.
    const v2 = await u.sam.page.evaluate((uid) => {
      const messageList = {
        'rita': [uid],
      };
      return RongIMLib.sendReadReceiptResponseV2('club', messageList).then(res => {
        if (res.code === 0) {
          console.log(res.code, res.data)
        } else {
          console.log(res.code, res.msg)
        }
        return res
      }).catch(error => {
        console.log(error)
      })
    }, sent.data.messageUId);
    assert.equal(v2.code, 0, JSON.stringify(v2));
    await u.rita.page.waitForFunction(() => window.responses.some((r) => r.receivedUserId === 'sam'));

    // tess reloads first: her cached request survives in IndexedDB and is
    // answered without a messageList.
    await u.tess.page.reload();
    await connectPage(u.tess.page, web.url, server, 'tess');
    const cached = await u.tess.page.evaluate(() => RongIMLib.sendReadReceiptResponseV2('club'));
    assert.equal(cached.code, 0, JSON.stringify(cached));
    await u.rita.page.waitForFunction(() => window.responses.some((r) => r.receivedUserId === 'tess'));
    const responses = await u.rita.page.evaluate(() => window.responses);
    for (const r of responses) {
      assert.deepEqual(r.messageUIdList, [sent.data.messageUId]);
      assert.equal(r.conversation.targetId, 'club');
    }
    assert.deepEqual(responses.map((r) => r.receivedUserId).toSorted(), ['sam', 'tess']);

    // readReceiptInfo in history, on both sides.
    const mine = await u.rita.page.evaluate(async (uid) => {
      for (let i = 0; i < 100; i++) {
        const h = await RongIMLib.getHistoryMessages({ conversationType: 3, targetId: 'club' }, { count: 20 });
        const m = h.data.list.find((x) => x.messageUId === uid);
        if (m?.readReceiptInfo?.readerList?.length === 2) return m.readReceiptInfo;
        await new Promise((r) => setTimeout(r, 50));
      }
      return null;
    }, sent.data.messageUId);
    assert.ok(mine, 'readReceiptInfo never showed both readers');
    assert.equal(mine.isReceiptRequestMessage, true);
    assert.deepEqual(mine.readerList.toSorted(), ['sam', 'tess']);
    const theirs = await u.sam.page.evaluate(async (uid) => {
      const h = await RongIMLib.getHistoryMessages({ conversationType: 3, targetId: 'club' }, { count: 20 });
      return h.data.list.find((x) => x.messageUId === uid)?.readReceiptInfo;
    }, sent.data.messageUId);
    assert.deepEqual([theirs.isReceiptRequestMessage, theirs.hasRespond], [true, true]);

    const readers = await u.rita.page.evaluate((uid) => RongIMLib.getMessageReader('club', uid), sent.data.messageUId);
    assert.equal(readers.code, 0, JSON.stringify(readers));
    assert.equal(readers.data.totalMemberCount, 3);
    assert.deepEqual(readers.data.list.map((r) => r.userId).toSorted(), ['sam', 'tess']);
    assert.ok(readers.data.list.every((r) => r.readTime > 0));
  });

  test('a cached request is not answered after 24 hours', async () => {
    const sent = await sendText(u.rita, club, 'old request');
    assert.equal((await u.rita.page.evaluate((uid) => RongIMLib.sendReadReceiptRequest('club', uid), sent.data.messageUId)).code, 0);
    await waitEvent(u.uma, 'MESSAGE_RECEIPT_REQUEST', (p) => p.messageUId === sent.data.messageUId, 'the request');
    // uma's clock moves 25 hours on (the Go runtime reads it through Date).
    const res = await u.uma.page.evaluate(() => {
      const Real = Date, off = 25 * 3600 * 1000;
      window.Date = class extends Real {
        constructor(...a) { if (a.length === 0) super(Real.now() + off); else super(...a); }
        static now() { return Real.now() + off; }
      };
      return RongIMLib.sendReadReceiptResponseV2('club');
    });
    assert.equal(res.code, 0, JSON.stringify(res));
    await new Promise((r) => setTimeout(r, 600));
    const readers = await u.rita.page.evaluate((uid) => RongIMLib.getMessageReader('club', uid), sent.data.messageUId);
    assert.equal(readers.code, 0);
    assert.deepEqual(readers.data.list, [], 'an expired cached request was answered');
  });

  test('needReceipt: V5 responses, counts and reader pages', async () => {
    await new Promise((r) => setTimeout(r, 1100)); // the SDK's 5 per second
    const sent = await sendText(u.rita, club, 'please confirm', { needReceipt: true });
    assert.equal(sent.code, 0, JSON.stringify(sent));
    for (const m of [u.sam, u.tess]) {
      const got = await waitEvent(m, 'MESSAGES', (p) => p.messages.some((x) => x.messageUId === sent.data.messageUId), 'the message');
      assert.equal(got.messages.find((x) => x.messageUId === sent.data.messageUId).needReceipt, true);
      const r = await m.page.evaluate((uid) => RongIMLib.sendReadReceiptResponseV5({ conversationType: 3, targetId: 'club' }, [uid]), sent.data.messageUId);
      assert.equal(r.code, 0, JSON.stringify(r));
    }
    await waitEvent(u.rita, 'MESSAGE_RECEIPT_RESPONSE_V5', (list) => list.some((x) => x.messageUId === sent.data.messageUId && x.readCount === 2), 'the count of 2');
    const v5 = (await eventsOf(u.rita, 'MESSAGE_RECEIPT_RESPONSE_V5')).flat().filter((x) => x.messageUId === sent.data.messageUId);
    const last = v5.at(-1);
    assert.deepEqual([last.readCount, last.unreadCount, last.totalCount, last.identifier.targetId], [2, 1, 3, 'club']);
    const info = await u.rita.page.evaluate((uid) => RongIMLib.getMessageReadReceiptInfoV5({ conversationType: 3, targetId: 'club' }, [uid]), sent.data.messageUId);
    const clubId = { conversationType: 3, targetId: 'club', channelId: '' };
    assert.deepEqual(info.data, [{ identifier: clubId, messageUId: sent.data.messageUId, readCount: 2, unreadCount: 1, totalCount: 3 }]);
    const byIds = await u.rita.page.evaluate((uid) => RongIMLib.getMessageReadReceiptInfoV5ByIdentifiers([{ identifier: { conversationType: 3, targetId: 'club' }, messageUId: uid }]), sent.data.messageUId);
    assert.deepEqual(byIds.data, info.data);
    const byUsers = await u.rita.page.evaluate((uid) => RongIMLib.getMessagesReadReceiptByUsersV5({ conversationType: 3, targetId: 'club' }, uid, ['tess', 'uma']), sent.data.messageUId);
    assert.deepEqual([byUsers.data.totalCount, byUsers.data.users.map((x) => x.userId)], [1, ['tess']]);
    assert.ok(byUsers.data.users[0].timestamp > 0);
    const settings = await u.rita.page.evaluate(() => RongIMLib.getAppSettings());
    assert.deepEqual([settings.userId, settings.isServerSaveUnreadEnabled, settings.readReceiptVersion], ['rita', true, 4]);
    const p1 = await u.rita.page.evaluate((uid) => RongIMLib.getMessagesReadReceiptUsersByPageV5({ conversationType: 3, targetId: 'club' }, uid, { pageCount: 1 }), sent.data.messageUId);
    assert.equal(p1.code, 0, JSON.stringify(p1));
    assert.equal(p1.data.users.length, 1);
    assert.ok(p1.data.pageToken);
    const p2 = await u.rita.page.evaluate(({ uid, token }) => RongIMLib.getMessagesReadReceiptUsersByPageV5({ conversationType: 3, targetId: 'club' }, uid, { pageCount: 1, pageToken: token }), { uid: sent.data.messageUId, token: p1.data.pageToken });
    assert.equal(p2.data.pageToken, '');
    assert.deepEqual([p1.data.users[0].userId, p2.data.users[0].userId].toSorted(), ['sam', 'tess']);
    const unread = await u.rita.page.evaluate((uid) => RongIMLib.getMessagesReadReceiptUsersByPageV5({ conversationType: 3, targetId: 'club' }, uid, { readStatus: 1 }), sent.data.messageUId);
    assert.deepEqual(unread.data.users.map((x) => x.userId), ['uma']);
    const hist = await u.rita.page.evaluate(async (uid) => {
      const h = await RongIMLib.getHistoryMessages({ conversationType: 3, targetId: 'club' }, { count: 20 });
      return h.data.list.find((x) => x.messageUId === uid).readReceiptInfo;
    }, sent.data.messageUId);
    assert.deepEqual([hist.readCount, hist.totalCount, hist.readerList.length], [2, 3, 2]);
  });

  test('delivery and private read ticks', async () => {
    const vic = { user: 'vic', page: await (await browser.newContext()).newPage() };
    await connectPage(vic.page, web.url, server, 'vic', { init: { deliveryReceipts: true } });
    const will = await openUser(browser, web.url, server, 'will');
    const sent = await sendText(vic, { conversationType: 1, targetId: 'will' }, 'tick tick');
    assert.equal(sent.code, 0);
    assert.equal(sent.data.sentStatus, 30);
    const d = await waitEvent(vic, 'MESSAGE_DELIVERED', (p) => p.messageUIdList.includes(sent.data.messageUId), 'MESSAGE_DELIVERED');
    assert.equal(d.deliveredUserId, 'will');
    const status = (x) => x.page.evaluate(async (uid) => {
      const h = await RongIMLib.getHistoryMessages({ conversationType: 1, targetId: 'will' }, { count: 20 });
      return h.data.list.find((m) => m.messageUId === uid)?.sentStatus;
    }, sent.data.messageUId);
    assert.equal(await status(vic), 40); // RECEIVED
    const got = await waitEvent(will, 'MESSAGES', (p) => p.messages.some((m) => m.messageUId === sent.data.messageUId), 'the message');
    const m = got.messages.find((x) => x.messageUId === sent.data.messageUId);
    const r = await will.page.evaluate((m) => RongIMLib.sendReadReceiptMessage('vic', m.messageUId, m.sentTime), m);
    assert.equal(r.code, 0, JSON.stringify(r));
    const rr = await waitEvent(vic, 'READ_RECEIPT_RECEIVED', () => true, 'READ_RECEIPT_RECEIVED');
    assert.deepEqual([rr.messageUId, rr.sentTime, rr.sendUserId, rr.conversation.targetId], [m.messageUId, m.sentTime, 'will', 'will']);
    assert.equal(await status(vic), 50); // READ
  });

  test('clearMessagesUnreadStatus in one tab clears the unread count in the other', async () => {
    const context = await browser.newContext();
    const tab1 = await openUser(browser, web.url, server, 'xena', context);
    const tab2 = await openUser(browser, web.url, server, 'xena', context);
    for (const t of ['one', 'two']) assert.equal((await sendText(u.sam, { conversationType: 1, targetId: 'xena' }, t)).code, 0);
    const unread = (t) => t.page.evaluate(() => RongIMLib.getUnreadCount({ conversationType: 1, targetId: 'sam' }).then((r) => r.data));
    for (const t of [tab1, tab2]) await waitEvent(t, 'MESSAGES', (p) => p.messages.some((m) => m.content?.content === 'two'), 'two');
    assert.equal(await unread(tab2), 2);
    assert.equal((await tab1.page.evaluate(() => RongIMLib.clearMessagesUnreadStatus({ conversationType: 1, targetId: 'sam' }))).code, 0);
    await waitEvent(tab2, 'SYNC_READ_STATUS', (p) => p.targetId === 'sam', 'SYNC_READ_STATUS');
    const deadline = Date.now() + 5000;
    while (await unread(tab2) !== 0) {
      if (Date.now() > deadline) assert.fail('tab2 still counts unread messages');
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(await unread(tab1), 0);
  });

  // Reading and telling are apart (RongIMLib's model): clearing unread tells
  // the peer nothing; only sendReadReceiptMessage does, and the app can
  // turn that off.
  test('clearMessagesUnreadStatus sends no receipt; private receipts can be switched off', async () => {
    const yuri = await openUser(browser, web.url, server, 'yuri');
    const zoe = await openUser(browser, web.url, server, 'zoe');
    const sent = await sendText(yuri, { conversationType: 1, targetId: 'zoe' }, 'read me');
    assert.equal(sent.code, 0);
    await waitEvent(zoe, 'MESSAGES', (p) => p.messages.some((m) => m.messageUId === sent.data.messageUId), 'the message');
    assert.equal((await zoe.page.evaluate(() => RongIMLib.clearMessagesUnreadStatus({ conversationType: 1, targetId: 'yuri' }))).code, 0);
    // zoe's next message reaches yuri after anything the clear had sent him.
    const after = await sendText(zoe, { conversationType: 1, targetId: 'yuri' }, 'after');
    await waitEvent(yuri, 'MESSAGES', (p) => p.messages.some((m) => m.messageUId === after.data.messageUId), 'the message after');
    assert.deepEqual(await eventsOf(yuri, 'READ_RECEIPT_RECEIVED'), [], 'clearing unread told the peer');

    const admin = execFileSync(bin, ['token', '--app-secret', appSecret, '--admin']).toString().trim();
    const settings = async (on) => {
      const res = await fetch(server.url + '/v1/settings', {
        method: 'PUT', headers: { authorization: 'Bearer ' + admin, 'content-type': 'application/json' },
        body: JSON.stringify({ privateReadReceiptsEnabled: on }),
      });
      assert.equal(res.status, 200, await res.text());
    };
    const receipt = () => zoe.page.evaluate((m) => RongIMLib.sendReadReceiptMessage('yuri', m.messageUId, m.sentTime), sent.data);
    await settings(false);
    try {
      assert.equal((await receipt()).code, ErrorCode.SERVICE_RRSV5_UNAVAILABLE);
    } finally {
      await settings(true);
    }
    assert.equal((await receipt()).code, 0);
    const rr = await waitEvent(yuri, 'READ_RECEIPT_RECEIVED', () => true, 'READ_RECEIPT_RECEIVED');
    assert.equal(rr.messageUId, sent.data.messageUId);
  });
});
