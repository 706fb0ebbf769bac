// Media sends at their edges (found by a helper's hunt): a held upload whose send is refused
// turns FAILED; image and file messages in chat rooms (not held: rooms keep nothing on the device).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveStatic, launch, engines, closeAll, waitGot, gotOf, waitMessages } from './browser.mjs';
import { startServer, appKey, admin } from './harness.mjs';

for (const engine of engines()) describe(engine, () => {
  let server, web, browser;
  const u = {};

  async function page(user) {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error(`[${user} page error]`, e));
    await page.goto(web.url + '/page.html');
    await page.waitForFunction(() => window.sdkLoaded);
    return { page, context, user };
  }
  async function openNim(account) {
    const x = await page(account);
    await x.page.evaluate(async (options) => {
      const NIMSDK = (await import('/nim.js')).default;
      window.got = [];
      window.nim = new NIMSDK(options);
      for (const name of ['logined', 'msg', 'sessions', 'syncdone']) window.nim.on(name, (m) => window.got.push([name, m ?? {}]));
      await window.nim.connect();
    }, { appkey: appKey, account, token: server.token(account), linkUrl: server.url });
    return x;
  }
  async function openEm(user) {
    const x = await page(user);
    await x.page.evaluate(async ({ url, user, token }) => {
      const websdk = (await import('/easemob.js')).default;
      window.WebIM = websdk;
      window.got = [];
      const conn = new websdk.connection({ appKey: 'node-test-app', url });
      window.conn = conn;
      const record = (name) => (m) => window.got.push([name, m]);
      conn.addEventHandler('test', Object.fromEntries(['onTextMessage', 'onCustomMessage', 'onImageMessage', 'onFileMessage', 'onAudioMessage',
        'onVideoMessage', 'onLocationMessage', 'onCmdMessage'].map((n) => [n, record(n)])));
      await conn.open({ user, accessToken: token });
    }, { url: server.url.replace(/^http/, 'ws'), user, token: server.token(user) });
    return x;
  }
  async function openRong(user) {
    const x = await page(user);
    await x.page.evaluate(async ({ serverUrl, token }) => {
      window.events = [];
      for (const name of Object.values(RongIMLib.Events)) RongIMLib.addEventListener(name, (p) => window.events.push([name, p]));
      RongIMLib.init({ appkey: 'node-test-app', serverUrl, logLevel: 'error' });
      const r = await RongIMLib.connect(token);
      if (r.code !== 0) throw new Error('connect ' + r.code);
    }, { serverUrl: server.url, token: server.token(user) });
    return x;
  }
  const helpers = (x) => x.page.evaluate(() => {
    window.pause = () => new Promise((r) => setTimeout(r, 250));
    window.pngFile = async (w, h, name) => {
      const canvas = Object.assign(document.createElement('canvas'), { width: w, height: h });
      const ctx = canvas.getContext('2d');
      ctx.fillStyle = '#c33';
      ctx.fillRect(0, 0, w, h);
      const png = await new Promise((r) => canvas.toBlob(r, 'image/png'));
      return new File([png], name, { type: 'image/png' });
    };
  });

  before(async () => {
    server = await startServer(['--max-upload-bytes', String(1 << 20), '--send-rate', '5']);
    web = await serveStatic();
    browser = await launch(engine);
    u.ola = await openNim('ola');
    u.rob = await openRong('rob');
    u.amy = await openEm('amy');
    u.ben = await openEm('ben');
    for (const x of Object.values(u)) await helpers(x);
  });

  after(() => closeAll(() => browser?.close(), () => web?.close(), () => server?.stop()));


  // statusOf answers the sentStatus of rob's local copies of these messages.
  const statuses = (ids) => u.rob.page.evaluate(async (ids) => {
    const h = await RongIMLib.getHistoryMessages({ conversationType: 1, targetId: 'ola' }, { count: 100 });
    return ids.map((id) => h.data.list.find((m) => m.messageId === id)?.sentStatus ?? null);
  }, ids);

  test('RongIMLib sendFileMessage to a chat room it joined', async () => {
    const r = await u.rob.page.evaluate(async () => {
      const j = await RongIMLib.joinChatRoom('hall', { count: 10 });
      const file = new File([new TextEncoder().encode('room file')], 'room.txt', { type: 'text/plain' });
      const res = await RongIMLib.sendFileMessage({ conversationType: 4, targetId: 'hall' }, { file });
      return { j: j.code, code: res.code, msg: res.msg, url: res.data?.content?.fileUrl };
    });
    assert.equal(r.j, 0);
    assert.equal(r.code, 0, JSON.stringify(r));
    assert.match(r.url, /^http/);
  });

  test('Easemob img and file messages in a chat room', async () => {
    await admin(server, 'POST', '/v1/chatrooms', { id: 'stage' });
    for (const x of [u.amy, u.ben]) await x.page.evaluate(() => conn.joinChatRoom({ roomId: 'stage' }));
    const r = await u.amy.page.evaluate(async () => {
      const file = new File([new TextEncoder().encode('stage notes')], 'stage.txt', { type: 'text/plain' });
      try {
        return { ok: await conn.send(WebIM.message.create({ type: 'file', chatType: 'chatRoom', to: 'stage', file: { data: file, filename: 'stage.txt', filetype: 'txt', url: '' } })) };
      } catch (e) { return { type: e.type, message: e.message }; }
    });
    assert.ok(r.ok, JSON.stringify(r));
    const f = await waitGot(u.ben, 'onFileMessage', (m) => m.id === r.ok.serverMsgId, 'the room file');
    assert.deepEqual([f.chatType, f.to, f.filename], ['chatRoom', 'stage', 'stage.txt']);
  });


  test('a send refused after the upload (onComplete message too large) leaves the message FAILED, not SENDING', async () => {
    const r = await u.rob.page.evaluate(async () => {
      let held;
      const Big = RongIMLib.registerMessageType('App:Big', true, true);
      const res = await RongIMLib.sendFileMessage({ conversationType: 1, targetId: 'ola' }, { file: new File(['abc'], 'a.txt') }, {
        onComplete: () => new Big({ pad: 'x'.repeat(200000) }),
      }, { onSendBefore: (m) => { held = m.messageId; } });
      return { code: res.code, sentStatus: res.data?.sentStatus, held };
    });
    assert.notEqual(r.code, 0);
    assert.deepEqual(await statuses([r.held]), [20], JSON.stringify(r));
  });

  test('a file whose send meets an empty send bucket after its upload is FAILED, not left SENDING', async () => {
    await new Promise((res) => setTimeout(res, 2500)); // the bucket full again
    const r = await u.rob.page.evaluate(async () => {
      let held;
      const texts = [];
      const res = await RongIMLib.sendFileMessage({ conversationType: 1, targetId: 'ola' }, { file: new File(['rate'], 'rate.txt') }, {}, {
        onSendBefore: (m) => {
          held = m.messageId;
          // The app sends texts while the file uploads: the bucket empties.
          for (let i = 0; i < 12; i++) texts.push(RongIMLib.sendMessage({ conversationType: 1, targetId: 'ola' }, new RongIMLib.TextMessage({ content: 't' + i })).then((x) => x.code));
        },
      });
      return { code: res.code, msg: res.msg, sentStatus: res.data?.sentStatus ?? null, held, texts: await Promise.all(texts) };
    });
    assert.notEqual(r.code, 0, 'the send was expected to meet the empty bucket: ' + JSON.stringify(r));
    assert.deepEqual(await statuses([r.held]), [20], JSON.stringify(r));
  });

});
