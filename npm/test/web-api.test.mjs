// The SDK in each browser engine, users in separate browser contexts against a real
// server: the package loads straight from this folder with streaming
// instantiation, and messages, recall, typing and targeted group messages
// behave as in RongIMLib.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './harness.mjs';
import { serveStatic, launch, engines, openUser, waitMessages, closeAll } from './browser.mjs';

for (const engine of engines()) describe(engine, () => {
  let server, web, browser;
  const u = {};

  before(async () => {
    server = await startServer();
    web = await serveStatic();
    browser = await launch(engine);
    for (const name of ['alice', 'bob', 'carol']) u[name] = await openUser(browser, web.url, server, name);
    const admin = (await import('node:child_process')).execFileSync;
    const tok = admin(new URL('../../bin/imwasm', import.meta.url).pathname, ['token', '--app-secret', 'node-test-secret-0123456789', '--admin']).toString().trim();
    const res = await fetch(server.url + '/v1/groups', {
      method: 'POST', headers: { authorization: 'Bearer ' + tok, 'content-type': 'application/json' },
      body: JSON.stringify({ groupId: 'team', name: 'team', ownerId: 'alice', memberIds: ['bob', 'carol'] }),
    });
    assert.equal(res.status, 200);
  });

  after(() => closeAll(() => browser?.close(), () => web?.close(), () => server?.stop()));

  test('sendTextMessage, and listeners added, once, removed and cleared', async () => {
    const r = await u.alice.page.evaluate(async () => {
      const seen = { on: 0, once: 0, removed: 0 };
      // Counted: messages from bob only (a group notice may arrive meanwhile).
      const fromBob = (p) => p.messages.filter((m) => m.senderUserId === 'bob').length;
      const on = (p) => { seen.on += fromBob(p); }, once = (p) => { seen.once += 1; }, removed = (p) => { seen.removed += fromBob(p); };
      RongIMLib.addEventListener('MESSAGES', on);
      RongIMLib.onceEventListener('MESSAGES', once);
      RongIMLib.addEventListener('MESSAGES', removed);
      RongIMLib.removeEventListener('MESSAGES', removed);
      window.listenerSeen = seen;
      return RongIMLib.sendTextMessage({ conversationType: 1, targetId: 'bob' }, { content: 'text sugar' });
    });
    assert.equal(r.code, 0);
    assert.equal(r.data.messageType, 'RC:TxtMsg');
    await waitMessages(u.bob, (m) => m.content?.content === 'text sugar', 'the text');
    const back = await u.bob.page.evaluate(() => RongIMLib.sendTextMessage({ conversationType: 1, targetId: 'alice' }, { content: 'back' }));
    assert.equal(back.code, 0);
    await u.alice.page.waitForFunction(() => window.listenerSeen.on >= 1);
    await u.bob.page.evaluate(() => RongIMLib.sendTextMessage({ conversationType: 1, targetId: 'alice' }, { content: 'again' }));
    await u.alice.page.waitForFunction(() => window.listenerSeen.on >= 2);
    const seen = await u.alice.page.evaluate(() => window.listenerSeen);
    assert.deepEqual([seen.on, seen.once, seen.removed], [2, 1, 0]);
    // removeEventListeners and clearEventListeners silence them; the test's
    // own recorder is added back.
    const after = await u.alice.page.evaluate(() => {
      RongIMLib.removeEventListeners('MESSAGES');
      RongIMLib.clearEventListeners();
      for (const name of Object.values(RongIMLib.Events)) RongIMLib.addEventListener(name, (p) => window.events.push([name, p]));
      return window.listenerSeen.on;
    });
    await u.bob.page.evaluate(() => RongIMLib.sendTextMessage({ conversationType: 1, targetId: 'alice' }, { content: 'silent' }));
    await waitMessages(u.alice, (m) => m.content?.content === 'silent', 'the last text');
    assert.equal(await u.alice.page.evaluate(() => window.listenerSeen.on), after);
  });

  test('private messages between two browsers', async () => {
    const sent = await u.alice.page.evaluate((text) => RongIMLib.sendMessage(
      { conversationType: RongIMLib.ConversationType.PRIVATE, targetId: 'bob' },
      new RongIMLib.TextMessage({ content: text })), 'hi from ' + engine);
    assert.equal(sent.code, 0, JSON.stringify(sent));
    const got = await waitMessages(u.bob, (m) => m.content?.content === 'hi from ' + engine, 'the message');
    assert.equal(got.senderUserId, 'alice');
    assert.equal(got.messageUId, sent.data.messageUId);
    assert.equal(await u.bob.page.evaluate(() => RongIMLib.getCurrentUserId()), 'bob');
    assert.equal(await u.bob.page.evaluate(() => RongIMLib.getConnectionStatus()), 0);
  });

  test('every message class arrives with its content untouched', async () => {
    const classes = {
      TextMessage: { content: 'text', extra: 'x' },
      ImageMessage: { content: 'base64thumb', imageUri: 'https://files.example/a.png' },
      FileMessage: { name: 'a.pdf', size: 10, type: 'pdf', fileUrl: 'https://files.example/a.pdf' },
      HQVoiceMessage: { remoteUrl: 'https://files.example/a.aac', duration: 3 },
      SightMessage: { sightUrl: 'https://files.example/a.mp4', content: 'thumb', duration: 4, size: 100, name: 'a.mp4' },
      GIFMessage: { gifDataSize: 10, remoteUrl: 'https://files.example/a.gif', width: 10, height: 20 },
      LocationMessage: { latitude: 39.9, longitude: 116.4, poi: 'Beijing', content: 'thumb' },
      RichContentMessage: { title: 'title', content: 'summary', imageUri: 'https://files.example/i.png', url: 'https://example.com' },
      ReferenceMessage: { referMsgUserId: 'bob', referMsg: { content: 'quoted' }, content: 'reply', objName: 'RC:TxtMsg' },
      InformationNotificationMessage: { message: 'info' },
      CommandMessage: { name: 'cmd', data: '{"k":1}' },
      GroupNotificationMessage: { operatorUserId: 'alice', operation: 'Rename', data: '{}', message: 'renamed' },
    };
    const results = await u.alice.page.evaluate(async (classes) => {
      const out = {};
      for (const [cls, content] of Object.entries(classes)) {
        const r = await RongIMLib.sendMessage({ conversationType: 3, targetId: 'team' }, new RongIMLib[cls](content));
        out[cls] = [r.code, r.data?.messageType, r.data?.messageUId];
        await new Promise((r) => setTimeout(r, 220)); // under the SDK's 5 per second
      }
      return out;
    }, classes);
    for (const [cls, [code]] of Object.entries(results)) assert.equal(code, 0, cls);
    for (const [cls, content] of Object.entries(classes)) {
      const [, type, uid] = results[cls];
      const got = await waitMessages(u.bob, (m) => m.messageUId === uid, cls);
      assert.equal(got.messageType, type, cls);
      assert.deepEqual(got.content, content, cls);
    }
  });

  test('the SDK refuses a sixth message within a second (SEND_FREQUENCY_TOO_FAST), as the server announces', async () => {
    // A server of its own, limiting each user to 5 per second in bursts of
    // 5 (the one of the other tests has no limit, and the SDK follows that).
    const limited = await startServer(['--send-rate', '5', '--send-burst', '5']);
    const dave = await openUser(browser, web.url, limited, 'dave');
    try {
      // Seven at once (one after another they would take long enough, each
      // waiting for its answer, for the bucket to refill).
      const codes = await dave.page.evaluate(async () => {
        const sends = Array.from({ length: 7 }, (_, i) =>
          RongIMLib.sendMessage({ conversationType: 1, targetId: 'alice' }, new RongIMLib.TextMessage({ content: 'burst ' + i })));
        return (await Promise.all(sends)).map((r) => r.code);
      });
      assert.deepEqual(codes.toSorted(), [0, 0, 0, 0, 0, 20604, 20604]);
      // Refused by the SDK itself: the server refused fewer than were
      // refused. (Not none: on a busy machine the sends take long enough
      // for the SDK's bucket to refill a token the server's, counting from
      // other instants, has not.)
      const metrics = await (await fetch(limited.url + '/metrics')).text();
      const byServer = Number(metrics.match(/^imwasm_rate_limited_total (\d+)$/m)?.[1]);
      assert.ok(byServer < 2, `the server refused ${byServer} of the 2 refused: the SDK none`);
    } finally {
      await dave.context.close();
      await limited.stop();
    }
  });

  test('targeted group messages, recall and typing', async () => {
    const r = await u.alice.page.evaluate(() => RongIMLib.sendMessage({ conversationType: 3, targetId: 'team' },
      new RongIMLib.TextMessage({ content: 'just bob' }), { directionalUserIdList: ['bob'] }));
    assert.equal(r.code, 0);
    await waitMessages(u.bob, (m) => m.content?.content === 'just bob', 'the targeted message');
    const after = await u.alice.page.evaluate(() => RongIMLib.sendMessage({ conversationType: 3, targetId: 'team' },
      new RongIMLib.TextMessage({ content: 'everyone' })));
    await waitMessages(u.carol, (m) => m.content?.content === 'everyone', 'the next message');
    const carolSaw = await u.carol.page.evaluate(() => window.events.some(([n, p]) => n === 'MESSAGES' && p.messages.some((m) => m.content?.content === 'just bob')));
    assert.equal(carolSaw, false);

    const rc = await u.alice.page.evaluate((m) => RongIMLib.recallMessage({ conversationType: 3, targetId: 'team' },
      { messageUId: m.messageUId, sentTime: m.sentTime }), after.data);
    assert.equal(rc.code, 0);
    await waitMessages(u.carol, (m) => m.messageUId === after.data.messageUId && m.messageType === 'RC:RcNtf', 'the recall');

    assert.equal((await u.bob.page.evaluate(() => RongIMLib.sendTypingStatusMessage({ conversationType: 1, targetId: 'alice' }, 'RC:TxtMsg'))).code, 0);
    await u.alice.page.waitForFunction(() => window.events.some(([n, p]) => n === 'TYPING_STATUS' && p.status.some((s) => s.targetId === 'bob' && s.list.length === 1)));
  });

  test('seed 003: the group @ message example runs unchanged', async () => {
    // The example of seed 003 ("发送消息", steps 1-3), with its placeholders
    // bound: '<目标 Id>' is the group 'team', zhangsan is bob.
    const res = await u.alice.page.evaluate(() => {
      const zhangsan = 'bob';
      // 定义消息投送目标会话, 这里定义一个群组类型会话
      const conversation = { conversationType: RongIMLib.ConversationType.GROUP, targetId: 'team' }
      // 实例化待发送消息,RongIMLib.TextMessage 为内置文本型消息
      const message = new RongIMLib.TextMessage({
        content: '文本内容',
        extra: '消息中附加信息',
        mentionedInfo: {
          type: RongIMLib.MentionedType.SINGAL,
          userIdList: [zhangsan],
          mentionedContent: ''
        }
      })
      const options = {
        isMentioned: true,
        onSendBefore: (message) => {
          window.sendBefore = message
          console.log('消息发送前的回调', message)
        }
      }
      return RongIMLib.sendMessage(conversation, message, options).then(res => {
        if (res.code === RongIMLib.ErrorCode.SUCCESS) {
          console.log('消息发送成功', res.data)
        } else {
          console.log('消息发送失败', res.code, res.msg)
        }
        return { res, before: window.sendBefore }
      })
    });
    assert.equal(res.res.code, 0, JSON.stringify(res.res));
    assert.equal(res.before.messageId, res.res.data.messageId);
    assert.equal(res.before.sentStatus, 10); // SENDING
    const atBob = await waitMessages(u.bob, (m) => m.messageUId === res.res.data.messageUId, 'the @ message');
    const atCarol = await waitMessages(u.carol, (m) => m.messageUId === res.res.data.messageUId, 'the @ message');
    assert.equal(atBob.isMentioned, true);
    assert.equal(atCarol.isMentioned, false);
    assert.deepEqual(atBob.mentionedInfo.userIdList, ['bob']);
  });

  test('forward, expansion, delete and clear history', async () => {
    await new Promise((r) => setTimeout(r, 1100)); // the SDK's 5 per second
    const sent = await u.alice.page.evaluate(() => RongIMLib.sendMessage({ conversationType: 1, targetId: 'bob' },
      new RongIMLib.ImageMessage({ content: 'thumb', imageUri: 'https://files.example/cat.png' }), { canIncludeExpansion: true }));
    assert.equal(sent.code, 0);
    const got = await waitMessages(u.bob, (m) => m.messageUId === sent.data.messageUId, 'the image');
    const fwd = await u.bob.page.evaluate((m) => RongIMLib.forwardMessage({ conversationType: 1, targetId: 'carol' }, m), got);
    assert.equal(fwd.code, 0, JSON.stringify(fwd));
    const atCarol = await waitMessages(u.carol, (m) => m.messageUId === fwd.data.messageUId, 'the forwarded image');
    assert.deepEqual(atCarol.content, { content: 'thumb', imageUri: 'https://files.example/cat.png' });
    assert.equal(atCarol.senderUserId, 'bob');

    const ex = await u.bob.page.evaluate((m) => RongIMLib.updateMessageExpansion({ liked: 'yes' }, m), got);
    assert.equal(ex.code, 0, JSON.stringify(ex));
    await u.alice.page.waitForFunction((uid) => window.events.some(([n, p]) => n === 'EXPANSION' && p.updatedExpansion?.messageUId === uid && p.updatedExpansion.expansion.liked === 'yes'), sent.data.messageUId);
    const rm = await u.alice.page.evaluate((m) => RongIMLib.removeMessageExpansionForKey(['liked'], { ...m, targetId: 'bob' }), sent.data);
    assert.equal(rm.code, 0, JSON.stringify(rm));
    await u.bob.page.waitForFunction(() => window.events.some(([n, p]) => n === 'EXPANSION' && p.deletedExpansion?.deletedKeys[0] === 'liked'));

    const conv = { conversationType: 1, targetId: 'alice' };
    const del = await u.bob.page.evaluate(({ c, m }) => RongIMLib.deleteMessages(c, [{ messageUId: m.messageUId, sentTime: m.sentTime, messageDirection: 2 }]), { c: conv, m: got });
    assert.equal(del.code, 0);
    const h = await u.bob.page.evaluate((c) => RongIMLib.getHistoryMessages(c, { count: 100 }), conv);
    assert.ok(h.data.list.length > 0 && !h.data.list.some((m) => m.messageUId === got.messageUId));
    const clr = await u.bob.page.evaluate((c) => RongIMLib.clearHistoryMessages(c, Date.now()), conv);
    assert.equal(clr.code, 0);
    const h2 = await u.bob.page.evaluate((c) => RongIMLib.getHistoryMessages(c, { count: 100 }), conv);
    assert.deepEqual(h2.data.list, []);
    assert.equal((await u.bob.page.evaluate((c) => RongIMLib.getRemoteHistoryMessages(c, { count: 100 }), conv)).data.list.length, 0);
  });

  test("seed 003: the emoji message and the RongIMEmoji examples run in the page", async () => {
    const r = await u.alice.page.evaluate(async () => {
      // 定义消息投送目标会话 ('<目标 Id>' is bob)
      const conversation = { conversationType: RongIMLib.ConversationType.PRIVATE, targetId: 'bob' }
      // 实例化待发送消息,RongIMLib.TextMessage 为内置文本型消息
      const message = new RongIMLib.TextMessage({ content: '😀' })
      // 发送
      const sent = await RongIMLib.sendMessage(conversation, message).then(res => res)
      RongIMLib.RongIMEmoji.init();
      var list = RongIMLib.RongIMEmoji.list;
      return {
        sent,
        first: { unicode: list[1].unicode, emoji: list[1].emoji, symbol: list[1].symbol, node: list[1].node?.outerHTML },
        toSymbol: RongIMLib.RongIMEmoji.emojiToSymbol('😀😁测试 Emoji'),
        toEmoji: RongIMLib.RongIMEmoji.symbolToEmoji('[笑嘻嘻][露齿而笑]测试 Emoji'),
        toHTML: RongIMLib.RongIMEmoji.emojiToHTML('\uf600测试 Emoji'),
        symbolHTML: RongIMLib.RongIMEmoji.symbolToHTML('[露齿而笑]测试 Emoji'),
      };
    });
    assert.equal(r.sent.code, 0);
    const got = await waitMessages(u.bob, (m) => m.messageUId === r.sent.data.messageUId, 'the emoji message');
    assert.equal(got.content.content, '😀');
    assert.deepEqual(r.first, { unicode: 'u1F600', emoji: '😀', symbol: '[笑嘻嘻]', node: '<span class="rong-emoji-content" name="[笑嘻嘻]">😀</span>' });
    assert.equal(r.toSymbol, '[笑嘻嘻][露齿而笑]测试 Emoji');
    assert.equal(r.toEmoji, '😀😁测试 Emoji');
    assert.equal(r.toHTML, "<span class='rong-emoji-content' name='[笑嘻嘻]'>😀</span>测试 Emoji");
    assert.equal(r.symbolHTML, "<span class='rong-emoji-content' name='[露齿而笑]'>😁</span>测试 Emoji");
  });
});
