// Media messages through the vendor modules keep what the app gave (found by a helper's hunt):
// NIM's ext, Easemob's file names and audio length, Easemob's upload result.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveStatic, launch, engines, closeAll, waitGot, gotOf, waitMessages } from './browser.mjs';
import { startServer, appKey } from './harness.mjs';

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
    server = await startServer(['--max-upload-bytes', String(1 << 20)]);
    web = await serveStatic();
    browser = await launch(engine);
    u.nia = await openNim('nia');
    u.ola = await openNim('ola');
    u.amy = await openEm('amy');
    u.ben = await openEm('ben');
    u.rob = await openRong('rob');
    for (const x of Object.values(u)) await helpers(x);
  });

  after(() => closeAll(() => browser?.close(), () => web?.close(), () => server?.stop()));
  test('NIM: sendFileMsg and sendImageMsg keep the ext the app sent', async () => {
    const r = await u.nia.page.evaluate(async () => {
      const file = new File([new TextEncoder().encode('hello file')], 'notes.txt', { type: 'text/plain' });
      const f = await nim.msg.sendFileMsg({ scene: 'p2p', to: 'ola', file, ext: '{"k":"file-ext"}' });
      await pause();
      const i = await nim.msg.sendImageMsg({ scene: 'p2p', to: 'ola', file: await pngFile(30, 20, 'red.png'), ext: '{"k":"img-ext"}' });
      return { f, i };
    });
    const f = await waitGot(u.ola, 'msg', (m) => m.idServer === r.f.idServer, 'the file message');
    const i = await waitGot(u.ola, 'msg', (m) => m.idServer === r.i.idServer, 'the image message');
    assert.deepEqual([r.f.ext, r.i.ext, f.ext, i.ext], ['{"k":"file-ext"}', '{"k":"img-ext"}', '{"k":"file-ext"}', '{"k":"img-ext"}']);
  });

  test('Easemob: an audio message keeps the length the app gave', async () => {
    const r = await u.amy.page.evaluate(async () => {
      // An AMR recording the browser cannot decode; the app knows it is 7 s.
      const amr = new File([new Uint8Array([0x23, 0x21, 0x41, 0x4d, 0x52, 0x0a, ...new Array(500).fill(0x3c)])], 'voice.amr', { type: 'audio/amr' });
      return conn.send(WebIM.message.create({ type: 'audio', chatType: 'singleChat', to: 'ben', length: 7, filename: 'voice.amr', file: { data: amr, filename: 'voice.amr', filetype: 'amr', url: '' } }));
    });
    const a = await waitGot(u.ben, 'onAudioMessage', (m) => m.id === r.serverMsgId, 'the audio');
    assert.deepEqual([a.filename, a.length], ['voice.amr', 7]);
  });

  test('Easemob: a file sent from a Blob keeps the filename of its FileObj', async () => {
    const r = await u.amy.page.evaluate(async () => {
      await pause();
      const blob = new Blob([new TextEncoder().encode('%PDF-1.4 report')], { type: 'application/pdf' });
      return conn.send(WebIM.message.create({ type: 'file', chatType: 'singleChat', to: 'ben', filename: 'report.pdf', file: { data: blob, filename: 'report.pdf', filetype: 'pdf', url: '' } }));
    });
    const f = await waitGot(u.ben, 'onFileMessage', (m) => m.id === r.serverMsgId, 'the file');
    assert.deepEqual([f.filename, f.file_length], ['report.pdf', 15]);
  });

  test('Easemob: a video keeps its filename', async () => {
    const r = await u.amy.page.evaluate(async () => {
      await pause();
      const clip = new File([new Uint8Array(1000).fill(1)], 'blob', { type: 'video/mp4' });
      return conn.send(WebIM.message.create({ type: 'video', chatType: 'singleChat', to: 'ben', length: 4, filename: 'holiday.mp4', file: { data: clip, filename: 'holiday.mp4', filetype: 'mp4', url: '' } }));
    });
    const v = await waitGot(u.ben, 'onVideoMessage', (m) => m.id === r.serverMsgId, 'the video');
    assert.deepEqual([v.filename, v.length, v.file_length], ['holiday.mp4', 4, 1000]);
  });

  test('Easemob: onFileUploadComplete answers UploadFileResult with its entities (uuid)', async () => {
    const r = await u.amy.page.evaluate(async () => {
      await pause();
      let done;
      const doc = new File([new TextEncoder().encode('x1')], 'x1.txt', { type: 'text/plain' });
      await conn.send(WebIM.message.create({ type: 'file', chatType: 'singleChat', to: 'ben', file: { data: doc, filename: 'x1.txt', filetype: 'txt', url: '' }, onFileUploadComplete: (d) => { done = d; } }));
      return done;
    });
    assert.equal(typeof r.url, 'string');
    assert.equal(r.entities.length, 1, JSON.stringify(r));
    assert.equal(typeof r.entities[0].uuid, 'string');
  });


  test('Easemob and NIM: an image the browser cannot decode (HEIC) is still sent, as the vendors upload it', async () => {
    const em = await u.amy.page.evaluate(async () => {
      await pause();
      const heic = new File([new Uint8Array([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 0x68, 0x65, 0x69, 0x63, ...new Array(300).fill(5)])], 'IMG_0001.HEIC', { type: 'image/heic' });
      try { return { ok: await conn.send(WebIM.message.create({ type: 'img', chatType: 'singleChat', to: 'ben', file: { data: heic, filename: 'IMG_0001.HEIC', filetype: 'heic', url: '' } })) }; } catch (e) { return { type: e.type, message: e.message }; }
    });
    const ni = await u.nia.page.evaluate(async () => {
      await pause();
      const heic = new File([new Uint8Array([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 0x68, 0x65, 0x69, 0x63, ...new Array(300).fill(5)])], 'IMG_0002.HEIC', { type: 'image/heic' });
      try { return { ok: await nim.msg.sendImageMsg({ scene: 'p2p', to: 'ola', file: heic }) }; } catch (e) { return { code: e.code, message: e.message }; }
    });
    assert.deepEqual({ easemob: !!em.ok, nim: !!ni.ok }, { easemob: true, nim: true }, JSON.stringify({ em, ni }));
  });

  // Easemob-chat.d.ts Utils.getFileUrl(fileInputId | HTMLInputElement) →
  // FileObj {url, filename, filetype, data}: how Easemob apps make the
  // file of an attachment message.
  test('Easemob: WebIM.utils.getFileUrl gives the FileObj of a file input', async () => {
    const r = await u.amy.page.evaluate(() => {
      const input = Object.assign(document.createElement('input'), { type: 'file', id: 'pick' });
      document.body.append(input);
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(12)], 'Photo.JPG', { type: 'image/jpeg' }));
      input.files = dt.files;
      const byId = WebIM.utils.getFileUrl('pick');
      const byEl = WebIM.message.getFileUrl(input);
      return [byId.filename, byId.filetype, byId.data.size, byId.url.startsWith('blob:'), byEl.filename];
    });
    assert.deepEqual(r, ['Photo.JPG', 'jpg', 12, true, 'Photo.JPG']);
  });
});
