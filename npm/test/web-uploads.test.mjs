// The upload helpers in each browser engine with real File objects against a real
// server (its upload limit set to 8 MB): every helper sends a message whose
// URL downloads the same bytes, progress only grows and ends at 100, the
// image thumbnail keeps its limits, onComplete can replace the message, an
// oversized file fails with 26106, and an aborted upload leaves a FAILED
// message that is resent once.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './harness.mjs';
import { serveStatic, launch, engines, openUser, waitMessages, closeAll } from './browser.mjs';

for (const engine of engines()) describe(engine, () => {
  let server, web, browser;
  const u = {};

  before(async () => {
    server = await startServer(['--max-upload-bytes', String(8 << 20)]);
    web = await serveStatic();
    browser = await launch(engine);
    for (const name of ['ann', 'ben']) u[name] = await openUser(browser, web.url, server, name);
    // Helpers the page scripts below use.
    for (const x of Object.values(u)) {
      await x.page.evaluate(() => {
        window.digest = async (buf) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', buf)), (b) => b.toString(16).padStart(2, '0')).join('');
        window.randomFile = (size, name, type) => {
          const b = new Uint8Array(size);
          for (let i = 0; i < size; i += 65536) crypto.getRandomValues(b.subarray(i, Math.min(size, i + 65536)));
          return new File([b], name, { type });
        };
        window.pause = () => new Promise((r) => setTimeout(r, 250)); // under the SDK's 5 sends per second
      });
    }
  });

  after(() => closeAll(() => browser?.close(), () => web?.close(), () => server?.stop()));

  const toBen = { conversationType: 1, targetId: 'ben' };

  // downloaded fetches url in ben's page and returns its digest and headers.
  const downloaded = (url) => u.ben.page.evaluate(async (url) => {
    const res = await fetch(url);
    return { status: res.status, digest: await digest(await res.arrayBuffer()), type: res.headers.get('content-type'), disposition: res.headers.get('content-disposition') };
  }, url);

  test('sendFileMessage: a 5 MB file, progress that only grows and ends at 100, the same bytes downloaded', async () => {
    const r = await u.ann.page.evaluate(async (conv) => {
      const file = randomFile(5 << 20, 'data.bin', 'application/octet-stream');
      const progress = [];
      let before;
      const res = await RongIMLib.sendFileMessage(conv, { file, extra: 'five megabytes' }, { onProgress: (p) => progress.push(p) },
        { onSendBefore: (m) => { before = m; } });
      return { res, progress, digest: await digest(await file.arrayBuffer()), before };
    }, toBen);
    assert.equal(r.res.code, 0, JSON.stringify(r.res));
    assert.ok(r.progress.length >= 1 && r.progress.at(-1) === 100, `progress ${r.progress}`);
    for (let i = 1; i < r.progress.length; i++) assert.ok(r.progress[i] > r.progress[i - 1] && Number.isInteger(r.progress[i]), `progress ${r.progress}`);
    assert.equal(r.before.messageId, r.res.data.messageId);
    assert.equal(r.before.sentStatus, 10);
    const c = r.res.data.content;
    assert.deepEqual([c.name, c.size, c.type, c.extra], ['data.bin', 5 << 20, 'bin', 'five megabytes']);
    const got = await waitMessages(u.ben, (m) => m.messageUId === r.res.data.messageUId, 'the file message');
    assert.equal(got.messageType, 'RC:FileMsg');
    const d = await downloaded(got.content.fileUrl);
    assert.equal(d.status, 200);
    assert.equal(d.digest, r.digest);
    assert.match(d.disposition, /^attachment;/);
  });

  test('sendImageMessage: thumbnail made in the browser within its limits; GIF, voice and sight messages', async () => {
    const r = await u.ann.page.evaluate(async (conv) => {
      const canvas = Object.assign(document.createElement('canvas'), { width: 800, height: 600 });
      const ctx = canvas.getContext('2d');
      for (let i = 0; i < 2000; i++) { // noise, so the JPEG is not trivially small
        ctx.fillStyle = `hsl(${(i * 37) % 360} 80% ${(i * 13) % 100}%)`;
        ctx.fillRect((i * 53) % 800, (i * 97) % 600, 40, 30);
      }
      const png = await new Promise((res) => canvas.toBlob(res, 'image/png'));
      const image = new File([png], 'photo.png', { type: 'image/png' });
      const img = await RongIMLib.sendImageMessage(conv, { file: image }, {}, { contentDisposition: 'inline' });
      const thumb = img.data?.content?.content ?? '';
      const decoded = await createImageBitmap(await (await fetch('data:image/jpeg;base64,' + thumb)).blob());
      await pause();
      const gifBytes = Uint8Array.from(atob('R0lGODlhAwACAIAAAP///wAAACH5BAAAAAAALAAAAAADAAIAAAIDhI9WADs='), (c) => c.charCodeAt(0));
      const gif = await RongIMLib.sendGIFMessage(conv, { file: new File([gifBytes], 'tiny.gif', { type: 'image/gif' }) });
      await pause();
      // One second of 8 kHz 16-bit mono silence as WAV.
      const n = 8000, wav = new DataView(new ArrayBuffer(44 + 2 * n));
      const put = (o, s) => [...s].forEach((ch, i) => wav.setUint8(o + i, ch.charCodeAt(0)));
      put(0, 'RIFF'); wav.setUint32(4, 36 + 2 * n, true); put(8, 'WAVEfmt '); wav.setUint32(16, 16, true);
      wav.setUint16(20, 1, true); wav.setUint16(22, 1, true); wav.setUint32(24, 8000, true); wav.setUint32(28, 16000, true);
      wav.setUint16(32, 2, true); wav.setUint16(34, 16, true); put(36, 'data'); wav.setUint32(40, 2 * n, true);
      const voice = await RongIMLib.sendHQVoiceMessage(conv, { file: new File([wav.buffer], 'hello.wav', { type: 'audio/wav' }) });
      await pause();
      const video = randomFile(300000, 'clip.mp4', 'video/mp4');
      const sight = await RongIMLib.sendSightMessage(conv, { file: video, duration: 3, thumbnail: 'dGh1bWI=' });
      return {
        img, gif, voice, sight, gifLen: gifBytes.length, thumbLen: thumb.length, thumbPrefix: thumb.slice(0, 5), thumbW: decoded.width, thumbH: decoded.height,
        digests: { img: await digest(await image.arrayBuffer()), gif: await digest(gifBytes), voice: await digest(wav.buffer), sight: await digest(await video.arrayBuffer()) },
      };
    }, toBen);
    for (const k of ['img', 'gif', 'voice', 'sight']) assert.equal(r[k].code, 0, `${k}: ${JSON.stringify(r[k])}`);
    assert.ok(r.thumbLen > 0 && r.thumbLen <= 10240, `thumbnail is ${r.thumbLen} characters`);
    assert.notEqual(r.thumbPrefix, 'data:');
    // At most 240 px on its longest side (smaller when 10 KB needs it), the
    // photo's 4:3 kept.
    assert.ok(r.thumbW <= 240 && r.thumbW >= 60, `thumbnail ${r.thumbW}x${r.thumbH}`);
    assert.ok(Math.abs(r.thumbW / r.thumbH - 4 / 3) < 0.02, `thumbnail ${r.thumbW}x${r.thumbH}`);
    const img = await waitMessages(u.ben, (m) => m.messageUId === r.img.data.messageUId, 'the image');
    const di = await downloaded(img.content.imageUri);
    assert.deepEqual([di.digest, di.type], [r.digests.img, 'image/png']);
    assert.match(di.disposition, /^inline;/);
    const gif = await waitMessages(u.ben, (m) => m.messageUId === r.gif.data.messageUId, 'the GIF');
    assert.deepEqual([gif.messageType, gif.content.width, gif.content.height, gif.content.gifDataSize], ['RC:GIFMsg', 3, 2, r.gifLen]);
    assert.equal((await downloaded(gif.content.remoteUrl)).digest, r.digests.gif);
    const voice = await waitMessages(u.ben, (m) => m.messageUId === r.voice.data.messageUId, 'the voice');
    assert.deepEqual([voice.messageType, voice.content.duration], ['RC:HQVCMsg', 1]);
    assert.equal((await downloaded(voice.content.remoteUrl)).digest, r.digests.voice);
    const sight = await waitMessages(u.ben, (m) => m.messageUId === r.sight.data.messageUId, 'the sight');
    assert.deepEqual([sight.messageType, sight.content.duration, sight.content.size, sight.content.name, sight.content.content], ['RC:SightMsg', 3, 300000, 'clip.mp4', 'dGh1bWI=']);
    assert.equal((await downloaded(sight.content.sightUrl)).digest, r.digests.sight);
  });

  test('onComplete may return the message to send instead', async () => {
    const r = await u.ann.page.evaluate(async (conv) => {
      await pause();
      const Shared = RongIMLib.registerMessageType('App:Shared', true, true);
      return RongIMLib.sendFileMessage(conv, { file: randomFile(1000, 'notes.txt', 'text/plain') }, {
        onComplete(fileInfo) { return new Shared({ link: fileInfo.url, note: 'see this' }); },
      });
    }, toBen);
    assert.equal(r.code, 0, JSON.stringify(r));
    const got = await waitMessages(u.ben, (m) => m.messageUId === r.data.messageUId, 'the custom message');
    assert.equal(got.messageType, 'App:Shared');
    assert.equal(got.content.note, 'see this');
    assert.equal((await downloaded(got.content.link)).status, 200);
  });

  test('an oversized file fails with RC_FILE_SIZE_EXCEED_LIMIT (26106)', async () => {
    const r = await u.ann.page.evaluate(async (conv) => {
      await pause();
      return RongIMLib.sendFileMessage(conv, { file: randomFile(9 << 20, 'huge.bin', 'application/octet-stream') });
    }, toBen);
    assert.equal(r.code, 26106, JSON.stringify(r));
    assert.equal(r.data.sentStatus, 20); // FAILED, kept to resend
  });

  test('an aborted upload leaves a FAILED message (UPLOAD_FAIL) that is resent once', async () => {
    const r = await u.ann.page.evaluate(async (conv) => {
      await pause();
      const file = randomFile(6 << 20, 'retry.bin', 'application/octet-stream');
      const ac = new AbortController();
      // Aborted as soon as the message is stored (deterministic: a loopback
      // upload may finish before its first progress event).
      const first = await RongIMLib.sendFileMessage(conv, { file }, {}, { signal: ac.signal, onSendBefore: () => ac.abort() });
      await pause();
      const again = await RongIMLib.sendFileMessage(conv, { file }, {}, { messageId: first.data?.messageId });
      const h = await RongIMLib.getHistoryMessages(conv, { count: 20 });
      return { first, again, copies: h.data.list.filter((m) => m.messageId === first.data?.messageId).length };
    }, toBen);
    assert.equal(r.first.code, 34011, JSON.stringify(r.first));
    assert.equal(r.first.data.sentStatus, 20);
    assert.equal(r.again.code, 0, JSON.stringify(r.again));
    assert.equal(r.again.data.messageId, r.first.data.messageId);
    assert.equal(r.again.data.sentStatus, 30);
    assert.equal(r.copies, 1);
    await waitMessages(u.ben, (m) => m.messageUId === r.again.data.messageUId, 'the resent file');
    const n = await u.ben.page.evaluate(() => window.events.filter(([e, p]) => e === 'MESSAGES').flatMap(([, p]) => p.messages).filter((m) => m.content?.name === 'retry.bin').length);
    assert.equal(n, 1);
  });

  test('upload tasks: one that completes, one stopped at once; getFileUrl serves the same bytes', async () => {
    const r = await u.ann.page.evaluate(async () => {
      const file = randomFile(100000, 'task.bin', 'application/octet-stream');
      const t1 = await RongIMLib.createUploadTask({ file, fileType: RongIMLib.FileType.FILE });
      const done = await t1.data.awaitResult();
      const url = await RongIMLib.getFileUrl(RongIMLib.FileType.FILE, done.data.uniqueName);
      const same = await digest(await (await fetch(url.data.downloadUrl)).arrayBuffer()) === await digest(await file.arrayBuffer());
      const t2 = await RongIMLib.createUploadTask({ file: randomFile(6 << 20, 'stopped.bin', 'application/octet-stream') });
      const stopped = await RongIMLib.stopUploadTask(t2.data.id);
      const aborted = await t2.data.awaitResult();
      const again = await RongIMLib.stopUploadTask(t2.data.id);
      const token = await RongIMLib.getFileToken(RongIMLib.FileType.FILE);
      const auth = await RongIMLib.getDownloadAuth(url.data.downloadUrl);
      const bad = await RongIMLib.createUploadTask({});
      return { done: done.code, same, ids: t2.data.id > t1.data.id, stopped: stopped.data, aborted: aborted.code, again: again.data,
        token: token.data.token.length > 0, auth: auth.data.deadline, bad: bad.code };
    });
    assert.deepEqual(r, { done: 0, same: true, ids: true, stopped: true, aborted: 34011, again: false, token: true, auth: 0, bad: 33003 });
  });

  test("seed 003's sendFileMessage and sendImageMessage examples, and an HTML file that never runs inline", async () => {
    const r = await u.ann.page.evaluate(async () => {
      await pause();
      let file = randomFile(2000, 'report.pdf', 'application/pdf');
      const conversation = {
        conversationType: RongIMLib.ConversationType.PRIVATE,
        targetId: 'ben'
      }
      const msgBody = {
        file, // 待上传文件
        user: { id: '', name: '', portraitUri: '', extra: '' }, // 消息中携带的用户信息,非必填
        extra: '' // 消息中携带的透传信息,非必填
      }
      const hooks = {
        onProgress (progress) {}, // 上传进度监听,可选
        onComplete (fileInfo) { // 上传完成时的回调钩子,可选
          console.log(fileInfo.url) // 文件存储地址
        }
      }
      const options = {
        contentDisposition: 'attachment' // 'inline': 在浏览器中预览, 'attachment': 直接下载
      }
      const fileRes = await RongIMLib.sendFileMessage(
        conversation,
        msgBody,
        hooks,
        options
      ).then(({ code, data: message }) => {
        if (code === 0) {
          // 发送成功
        }
        return { code, message }
      })
      await pause();
      const canvas = Object.assign(document.createElement('canvas'), { width: 64, height: 64 });
      canvas.getContext('2d').fillRect(0, 0, 32, 32);
      file = new File([await new Promise((r) => canvas.toBlob(r, 'image/png'))], 'square.png', { type: 'image/png' });
      const imageRes = await RongIMLib.sendImageMessage(
        conversation,
        { ...msgBody, file },
        hooks,
        { contentDisposition: 'inline' }
      ).then(({ code, data: message }) => ({ code, message }));
      const html = new File(['<!doctype html><script>parent.pwned = true</script>'], 'page.html', { type: 'text/html' });
      const up = await RongIMLib.upload({ file: html, contentDisposition: 'inline' });
      return { fileRes, imageRes, up };
    });
    assert.equal(r.fileRes.code, 0, JSON.stringify(r.fileRes));
    assert.equal(r.imageRes.code, 0, JSON.stringify(r.imageRes));
    assert.equal(r.up.code, 0, JSON.stringify(r.up));
    const res = await fetch(r.up.data.downloadUrl);
    assert.match(res.headers.get('content-disposition'), /^attachment;/);
    assert.match(res.headers.get('content-security-policy'), /sandbox/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    // Opened in a tab, the HTML does not run.
    const page = await u.ben.context.newPage();
    // A download: Chromium aborts the navigation, Firefox never fires load
    // (so only a short wait), WebKit navigates nowhere.
    const nav = await page.goto(r.up.data.downloadUrl, { timeout: 3000 }).catch((e) => e);
    assert.ok(!(await page.evaluate(() => window.pwned).catch(() => undefined)));
    await page.close();
    void nav;
  });
});
