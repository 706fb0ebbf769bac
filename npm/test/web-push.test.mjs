// Web Push to a closed tab, in Chromium, through the npm package and a real
// server: registerWebPush hands the server a subscription, the tab closes,
// a message comes, the server pushes it (VAPID-signed, encrypted to the
// subscription: a push-service stand-in on loopback decrypts it), and the
// page's service worker (push-sw.js) shows it as a notification.
//
// Chromium only, and with two stand-ins, said here: Chromium here cannot
// subscribe (its push service, Google's FCM, is unreachable), so
// PushManager.prototype.subscribe is stubbed with a subscription whose
// keys this test made; and the push reaches the service worker through
// the DevTools protocol (ServiceWorker.deliverPushMessage), which is how a
// push service's message arrives in a real browser. Firefox's and WebKit's
// drivers have no such command, and their push services are unreachable
// too.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createECDH, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { startServer, admin, adminSend } from './harness.mjs';
import { serveStatic, launch, engines, openUser, closeAll } from './browser.mjs';
import { ErrorCode } from '../index.js';

// decrypt opens an aes128gcm Web Push body (RFC 8291) with a subscription's keys.
function decrypt(ecdh, auth, body) {
  const salt = body.subarray(0, 16);
  const idlen = body[20];
  const asPublic = body.subarray(21, 21 + idlen);
  const secret = ecdh.computeSecret(asPublic);
  const info = Buffer.concat([Buffer.from('WebPush: info\0'), ecdh.getPublicKey(), asPublic]);
  const ikm = Buffer.from(hkdfSync('sha256', secret, auth, info, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const data = body.subarray(21 + idlen);
  const d = createDecipheriv('aes-128-gcm', cek, nonce);
  d.setAuthTag(data.subarray(data.length - 16));
  let plain = Buffer.concat([d.update(data.subarray(0, data.length - 16)), d.final()]);
  let end = plain.length;
  while (end > 0 && plain[end - 1] === 0) end--;
  assert.equal(plain[end - 1], 2, 'the last record\'s delimiter');
  return JSON.parse(plain.subarray(0, end - 1).toString());
}

for (const engine of engines().filter((e) => e === 'chromium')) describe(engine, () => {
  let server, web, browser, pushService;
  const pushes = []; // decrypted payloads, as the stand-in got them
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = randomBytes(16);
  const b64url = (b) => Buffer.from(b).toString('base64url');

  before(async () => {
    server = await startServer(['--webpush-allow-http']);
    await admin(server, 'PUT', '/v1/settings', { webPushEnabled: true });
    await admin(server, 'PUT', '/v1/users/alice/profile', { name: 'Alice' });
    pushService = createServer((req, res) => {
      const parts = [];
      req.on('data', (b) => parts.push(b));
      req.on('end', () => {
        try {
          assert.match(req.headers.authorization ?? '', /^vapid t=[\w-]+\.[\w-]+\.[\w-]+, k=[\w-]+$/);
          assert.equal(req.headers['content-encoding'], 'aes128gcm');
          pushes.push(decrypt(ecdh, auth, Buffer.concat(parts)));
          res.writeHead(201).end();
        } catch (e) {
          console.error('push refused:', e);
          res.writeHead(400).end();
        }
      });
    });
    await new Promise((r) => pushService.listen(0, '127.0.0.1', r));
    web = await serveStatic();
    // The app's service worker: imwasm's handler, as docs/api.md shows.
    web.hook = (u, res) => {
      if (u.pathname !== '/sw.js') return false;
      res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' });
      res.end("importScripts('/push-sw.js');");
      return true;
    };
    browser = await launch(engine);
  });

  after(() => closeAll(() => browser?.close(), () => web?.close(), () => server?.stop(), () => pushService?.close()));

  test('a message for a closed tab arrives as a notification', async () => {
    const context = await browser.newContext();
    await context.grantPermissions(['notifications'], { origin: web.url });
    const bob = await openUser(browser, web.url, server, 'bob', context);
    const endpoint = `http://127.0.0.1:${pushService.address().port}/push/bob`;
    // The stand-in subscription (see the top of the file).
    await bob.page.evaluate(({ endpoint, p256dh, auth }) => {
      const fromB64 = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)).buffer;
      window.subscribedWith = null;
      PushManager.prototype.getSubscription = async () => null;
      PushManager.prototype.subscribe = async (opts) => {
        window.subscribedWith = opts;
        return {
          endpoint, options: opts,
          getKey: (name) => fromB64(name === 'p256dh' ? p256dh : auth),
          toJSON: () => ({ endpoint, expirationTime: null, keys: { p256dh, auth } }),
          unsubscribe: async () => true,
        };
      };
    }, { endpoint, p256dh: b64url(ecdh.getPublicKey()), auth: b64url(auth) });

    const r = await bob.page.evaluate(() => RongIMLib.registerWebPush({ serviceWorker: '/sw.js' }));
    assert.equal(r.code, ErrorCode.SUCCESS, JSON.stringify(r));
    assert.equal(r.data.endpoint, endpoint);
    const opts = await bob.page.evaluate(() => ({ ...window.subscribedWith, key: String(window.subscribedWith.applicationServerKey) }));
    assert.equal(opts.userVisibleOnly, true);
    assert.match(opts.key, /^[\w-]{87}$/, 'subscribed with the server\'s VAPID key');
    const deviceId = await bob.page.evaluate(() => RongIMLib.getDeviceId());
    let state = (await admin(server, 'GET', '/v1/users/bob/push')).data;
    assert.deepEqual(state.webPush.map((s) => [s.deviceId, s.endpoint]), [[deviceId, endpoint]], 'the server keeps the subscription');

    // A bad subscription is refused with its code, and changes nothing.
    const bad = await bob.page.evaluate(() => RongIMLib.registerWebPush({ serviceWorker: { pushManager: { getSubscription: async () => null,
      subscribe: async () => ({ toJSON: () => ({ endpoint: 'ftp://nowhere', keys: { p256dh: 'AAAA', auth: 'AAAA' } }) }) } } }));
    assert.equal(bad.code, ErrorCode.BIZ_ERROR_INVALID_PARAMETER, JSON.stringify(bad));
    state = (await admin(server, 'GET', '/v1/users/bob/push')).data;
    assert.equal(state.webPush[0].endpoint, endpoint);

    // The tab closes: bob has no device connected.
    await bob.page.close();
    for (let i = 0; (await admin(server, 'GET', '/v1/users/bob/push')).data.online; i++) {
      assert.ok(i < 300, 'bob still online');
      await new Promise((r) => setTimeout(r, 50)); // polling a condition
    }
    await adminSend(server, 'alice', 'bob', ['are you there?']);
    for (let i = 0; pushes.length === 0; i++) {
      assert.ok(i < 300, 'no push came');
      await new Promise((r) => setTimeout(r, 50)); // polling a condition
    }
    const push = pushes[0];
    assert.equal(push.title, 'Alice');
    assert.equal(push.body, 'are you there?');
    assert.equal(push.tag, '1:alice:');
    assert.equal(push.badge, 1);

    // The push service hands it to the service worker.
    const page = await context.newPage();
    await page.goto(web.url + '/page.html'); // the app's origin, not connected: the tab is still "closed" to the IM
    const cdp = await context.newCDPSession(page);
    const registrations = [];
    cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => registrations.push(...e.registrations));
    await cdp.send('ServiceWorker.enable');
    for (let i = 0; !registrations.some((x) => x.scopeURL.startsWith(web.url) && !x.isDeleted); i++) {
      assert.ok(i < 200, 'no service worker registration');
      await new Promise((r) => setTimeout(r, 50)); // polling a condition
    }
    const reg = registrations.find((x) => x.scopeURL.startsWith(web.url));
    await cdp.send('ServiceWorker.deliverPushMessage', { origin: web.url, registrationId: reg.registrationId, data: JSON.stringify(push) });
    const shown = await page.evaluate(async () => {
      const r = await navigator.serviceWorker.getRegistration();
      for (let i = 0; i < 200; i++) {
        const ns = await r.getNotifications();
        if (ns.length) return ns.map((n) => ({ title: n.title, body: n.body, tag: n.tag, targetId: n.data?.targetId }));
        await new Promise((res) => setTimeout(res, 50)); // polling a condition
      }
      return [];
    });
    assert.deepEqual(shown, [{ title: 'Alice', body: 'are you there?', tag: '1:alice:', targetId: 'alice' }]);
    await context.close();
  });
});
