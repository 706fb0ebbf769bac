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
import { startServer, admin, adminSend } from './harness.mjs';
import { serveStatic, launch, engines, openUser, closeAll } from './browser.mjs';
import { startPushService, stubSubscribe, deliverPush } from './pushservice.mjs';
import { ErrorCode } from '../index.js';

for (const engine of engines().filter((e) => e === 'chromium')) describe(engine, () => {
  let server, web, browser, ps;

  before(async () => {
    server = await startServer(['--webpush-allow-http']);
    // The stand-in's loopback host is allowed as a push service (webPushHosts).
    await admin(server, 'PUT', '/v1/settings', { webPushEnabled: true, webPushHosts: ['127.0.0.1'] });
    await admin(server, 'PUT', '/v1/users/alice/profile', { name: 'Alice' });
    ps = await startPushService();
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

  after(() => closeAll(() => browser?.close(), () => web?.close(), () => server?.stop(), () => ps?.close()));

  test('a message for a closed tab arrives as a notification', async () => {
    const context = await browser.newContext();
    await context.grantPermissions(['notifications'], { origin: web.url });
    const bob = await openUser(browser, web.url, server, 'bob', context);
    const { endpoint } = ps.subscription;
    await bob.page.evaluate(stubSubscribe, ps.subscription); // the stand-in subscription (see the top of the file)

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
    const push = await ps.waitPush();
    assert.equal(push.title, 'Alice');
    assert.equal(push.body, 'are you there?');
    assert.equal(push.tag, '1:alice:');
    assert.equal(push.badge, 1);

    // The push service hands it to the service worker.
    const page = await context.newPage();
    await page.goto(web.url + '/page.html'); // the app's origin, not connected: the tab is still "closed" to the IM
    const shown = await deliverPush(context, page, web.url, push);
    assert.deepEqual(shown, [{ title: 'Alice', body: 'are you there?', tag: '1:alice:', targetId: 'alice' }]);
    await context.close();
  });

  // A service worker whose scope does not cover the page: unregisterWebPush
  // withdraws the subscription registerWebPush made there (it looked at the
  // page's registration only, and there is none). The stub keeps a
  // subscription per PushManager, so the test sees which was withdrawn.
  test('unregisterWebPush withdraws the subscription of a service worker scoped away from the page', async () => {
    const context = await browser.newContext();
    await context.grantPermissions(['notifications'], { origin: web.url });
    const dave = await openUser(browser, web.url, server, 'dave', context);
    await dave.page.evaluate(({ endpoint, p256dh, auth }) => {
      const subs = new WeakMap();
      // As a browser does, the subscription's options hold the key as bytes.
      const bytes = (k) => Uint8Array.from(atob(k.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)).buffer;
      PushManager.prototype.getSubscription = async function () { return subs.get(this) ?? null; };
      PushManager.prototype.subscribe = async function (opts) {
        const options = { ...opts, applicationServerKey: bytes(opts.applicationServerKey) };
        const sub = { endpoint, options, toJSON: () => ({ endpoint, expirationTime: null, keys: { p256dh, auth } }),
          unsubscribe: async () => subs.delete(this) };
        subs.set(this, sub);
        return sub;
      };
    }, ps.subscription);
    const subscribed = () => dave.page.evaluate(async () => !!(await (await navigator.serviceWorker.getRegistration('/scoped/')).pushManager.getSubscription()));
    const r = await dave.page.evaluate(() => RongIMLib.registerWebPush({ serviceWorker: '/sw.js', scope: '/scoped/' }));
    assert.equal(r.code, ErrorCode.SUCCESS, JSON.stringify(r));
    assert.equal(await subscribed(), true);
    assert.equal(await dave.page.evaluate(async () => !!(await navigator.serviceWorker.getRegistration())), false, 'no service worker covers the page');
    assert.equal((await admin(server, 'GET', '/v1/users/dave/push')).data.webPush.length, 1);

    // A scope that is no registration's exactly withdraws nothing in the
    // browser (the registration covering it is not the one named).
    assert.equal((await dave.page.evaluate(() => RongIMLib.unregisterWebPush({ scope: '/scoped/deeper/' }))).code, ErrorCode.SUCCESS);
    assert.equal(await subscribed(), true);
    assert.equal((await admin(server, 'GET', '/v1/users/dave/push')).data.webPush.length, 0, 'the server forgets it all the same');
    assert.equal((await dave.page.evaluate(() => RongIMLib.unregisterWebPush())).code, ErrorCode.SUCCESS);
    assert.equal(await subscribed(), false, 'the scoped registration\'s subscription is withdrawn');
    await context.close();
  });

  // whenHidden: the app's choice to push while its tab is open but hidden.
  // Headless Chromium's pages are always visible, so the test sets
  // document.visibilityState and fires visibilitychange itself, as the
  // browser does when the tab goes to the background.
  test('a hidden tab is pushed when the app registered with whenHidden', async () => {
    const context = await browser.newContext();
    await context.grantPermissions(['notifications'], { origin: web.url });
    const carol = await openUser(browser, web.url, server, 'carol', context);
    await carol.page.evaluate(stubSubscribe, ps.subscription);
    const state = async () => (await admin(server, 'GET', '/v1/users/carol/push')).data;
    const waitState = async (inBackground) => {
      for (let i = 0; (await state()).inBackground !== inBackground; i++) {
        assert.ok(i < 300, `carol never inBackground ${inBackground}`);
        await new Promise((r) => setTimeout(r, 50)); // polling a condition
      }
      assert.equal((await state()).online, true);
    };
    const visibility = (v) => carol.page.evaluate((v) => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => v });
      document.dispatchEvent(new Event('visibilitychange'));
    }, v);

    await visibility('hidden'); // hidden before the app chose: the tab still counts as connected
    await carol.page.evaluate(() => RongIMLib.registerWebPush({ serviceWorker: '/sw.js' }));
    assert.deepEqual([(await state()).online, (await state()).inBackground], [true, false]);
    const r = await carol.page.evaluate(() => RongIMLib.registerWebPush({ serviceWorker: '/sw.js', whenHidden: true }));
    assert.equal(r.code, ErrorCode.SUCCESS, JSON.stringify(r));
    await waitState(true); // registering said it at once
    const before = ps.pushes.length;
    await adminSend(server, 'alice', 'carol', ['while hidden']);
    assert.equal((await ps.waitPush(before)).body, 'while hidden');

    await visibility('visible');
    await waitState(false);
    await adminSend(server, 'alice', 'carol', ['while shown']); // read live: not pushed
    await visibility('hidden');
    await waitState(true);
    await adminSend(server, 'alice', 'carol', ['hidden once more']); // (adminSend's client ids differ by length)
    assert.equal((await ps.waitPush(before + 1)).body, 'hidden once more');

    // unregisterWebPush ends it: the hidden tab counts as connected again.
    assert.equal((await carol.page.evaluate(() => RongIMLib.unregisterWebPush())).code, ErrorCode.SUCCESS);
    await waitState(false);
    assert.deepEqual(ps.pushes.slice(before).map((p) => p.body), ['while hidden', 'hidden once more']);
    await context.close();
  });
});
