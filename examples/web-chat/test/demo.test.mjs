// The demo, driven as its users in each browser engine (Chromium, Firefox,
// WebKit): what `make demo` starts (server, demo users and group, the web
// chat) on free ports, a fresh one per engine. Clicks, typing and file
// picks are real input through each engine's driver. Screenshots go to
// test/artifacts/ (named by engine). Build first: make build wasm.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemo, admin } from '../demo.mjs';
import { launch, engines, closeAll } from '../../../npm/test/browser.mjs';
import { startPushService, stubSubscribe, deliverPush } from '../../../npm/test/pushservice.mjs';

const artifacts = new URL('./artifacts/', import.meta.url).pathname;
for (const engine of engines()) describe(engine, () => {
  let demo, browser, dataDir;
  const pages = {};

  const open = async (user) => {
    const ctx = await browser.newContext({ viewport: { width: 1000, height: 640 } });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => console.error(`[${user}]`, e));
    await page.goto(demo.links[user]);
    await page.waitForFunction(() => window.chatReady, null, { timeout: 20000 });
    pages[user] = page;
    return page;
  };

  const shot = (user, name) => pages[user].screenshot({ path: join(artifacts, `${engine}-${name}-${user}.png`) });

  // waitText waits for an element matching sel whose text includes text.
  const waitText = (page, sel, text = '', timeout = 15000) => page.waitForFunction(({ sel, text }) =>
    [...document.querySelectorAll(sel)].some((el) => el.textContent.includes(text)), { sel, text }, { timeout });

  before(async () => {
    mkdirSync(artifacts, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), 'imwasm-demo-'));
    // http push endpoints: the push service here is a stand-in on loopback.
    demo = await startDemo({ appPort: 0, serverPort: 0, dataDir, serverFlags: ['--webpush-allow-http'] });
    browser = await launch(engine);
    for (const u of ['alice', 'bob', 'carol']) await open(u);
  });

  after(() => closeAll(() => browser?.close(), () => demo?.stop(),
    () => dataDir && rmSync(dataDir, { recursive: true, force: true })));

  // openChat clicks a conversation once its row shows the latest message
  // expected: rows are sorted by their latest message, so a row clicked
  // while messages still arrive may move before the click lands (a busy
  // CI machine clicked Bob's row for Alice instead of Carol's).
  const openChat = async (page, key, latest) => {
    await page.waitForFunction(({ key, latest }) => document.querySelector(`#conversations li[data-key="${key}"] .preview`)?.textContent.includes(latest),
      { key, latest }, { timeout: 15000 });
    await page.click(`#conversations li[data-key="${key}"]`);
  };

  // clickIn clicks the first element matching inner inside the first
  // element matching outer whose text includes text, once there is one:
  // marked first, since a selector cannot say "whose text includes"; the
  // list re-renders as messages change, so a mark that vanished before the
  // click is tried again.
  const clickIn = async (page, outer, text, inner) => {
    for (let attempt = 0; ; attempt++) {
      await page.waitForFunction(({ outer, text, inner }) => {
        const el = [...document.querySelectorAll(outer)].find((e) => e.textContent.includes(text));
        const target = el?.querySelector(inner);
        if (!target) return false;
        document.querySelectorAll('[data-test-click]').forEach((e) => e.removeAttribute('data-test-click'));
        target.setAttribute('data-test-click', '');
        return true;
      }, { outer, text, inner }, { timeout: 15000 });
      try {
        await page.click('[data-test-click]');
        return;
      } catch (e) {
        if (attempt === 2) throw e;
      }
    }
  };

  test('a private message arrives and its tick turns to read', async () => {
    const { alice, bob } = pages;
    await alice.fill('#new-chat-id', 'bob');
    await alice.press('#new-chat-id', 'Enter');
    await alice.fill('#text', 'hi bob, from the demo');
    await alice.press('#text', 'Enter');
    // Bob sees the conversation with an unread badge, opens it, reads.
    await bob.waitForFunction(() => document.querySelector('#conversations li[data-key="1:alice"] .badge')?.dataset.count === '1', null, { timeout: 15000 });
    await shot('bob', '1-unread');
    await openChat(bob, '1:alice', 'hi bob, from the demo');
    await waitText(bob, '.msg', 'hi bob, from the demo');
    // Alice's tick goes to read (green ✓✓).
    await alice.waitForFunction(() => [...document.querySelectorAll('.msg.mine')].find((m) => m.textContent.includes('hi bob, from the demo'))
      ?.querySelector('.tick')?.dataset.state === 'read', null, { timeout: 15000 });
    // Bob's list shows it read (its badge re-renders after the receipt went).
    await bob.waitForFunction(() => document.querySelector('#conversations li[data-key="1:alice"] .badge')?.dataset.count === '0', null, { timeout: 15000 });
    await shot('alice', '2-read');
  });

  test('a group message: "view read status", then the read count climbs', async () => {
    const { alice, bob, carol } = pages;
    await alice.click('#conversations li[data-key="3:team"]');
    await alice.fill('#text', 'lunch at noon?');
    await alice.press('#text', 'Enter');
    await waitText(alice, '.msg.mine', 'lunch at noon?');
    await clickIn(alice, '.msg.mine', 'lunch at noon?', '.ask-receipts');
    const reads = (n) => alice.waitForFunction((n) => [...document.querySelectorAll('.msg.mine')].find((m) => m.textContent.includes('lunch at noon?'))
      ?.querySelector('.reads')?.textContent.includes(`read ${n}/2`), n, { timeout: 15000 });
    await reads(0);
    for (const [u, n] of [[bob, 1], [carol, 2]]) {
      await openChat(u, '3:team', 'lunch at noon?');
      await waitText(u, '.msg', 'lunch at noon?');
      await reads(n);
    }
    await clickIn(alice, '.msg.mine', 'lunch at noon?', '.reads');
    await waitText(alice, '#reader-list li', 'carol');
    assert.equal(await alice.evaluate(() => document.querySelectorAll('#reader-list li').length), 2);
    await shot('alice', '3-group-read');
    await alice.click('#readers button');
  });

  test('an image upload shows its progress bar and arrives', async () => {
    const { alice, bob } = pages;
    await alice.click('#conversations li[data-key="1:bob"]');
    await alice.evaluate(() => {
      window.progressSeen = [];
      new MutationObserver(() => window.progressSeen.push(Number(document.getElementById('upload-progress').getAttribute('value'))))
        .observe(document.getElementById('upload-progress'), { attributes: true, attributeFilter: ['value'] });
    });
    // A 1200x800 PNG made here, picked in the page's file input.
    const png = await alice.evaluate(async () => {
      const c = Object.assign(document.createElement('canvas'), { width: 1200, height: 800 });
      const ctx = c.getContext('2d');
      for (let i = 0; i < 3000; i++) { ctx.fillStyle = `hsl(${i % 360} 70% 50%)`; ctx.fillRect((i * 37) % 1200, (i * 53) % 800, 30, 20); }
      const b = await new Promise((r) => c.toBlob(r, 'image/png'));
      return Array.from(new Uint8Array(await b.arrayBuffer()));
    });
    await alice.setInputFiles('#file', { name: 'colors.png', mimeType: 'image/png', buffer: Buffer.from(png) });
    await alice.waitForFunction(() => document.querySelector('.msg.mine img[src^="http"]'), null, { timeout: 20000 });
    const seen = await alice.evaluate(() => window.progressSeen);
    assert.equal(seen.at(-1), 100, `progress ${seen}`);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i] >= seen[i - 1], `progress ${seen}`);
    await openChat(bob, '1:alice', '[image]');
    await bob.waitForFunction(() => document.querySelector('.msg img[src^="http"]'), null, { timeout: 20000 });
    const ok = await bob.evaluate(async () => {
      const img = document.querySelector('.msg img[src^="http"]');
      await img.decode();
      return img.naturalWidth;
    });
    assert.equal(ok, 1200);
    await shot('bob', '4-image');
  });

  test('a file message is linked only for an http(s) URL', async () => {
    const { bob, carol } = pages;
    // Carol's client sends what a hostile one could: a javascript: fileUrl.
    const codes = await carol.evaluate(async () => {
      const R = await import('/imwasm/index.js');
      const conv = { conversationType: R.ConversationType.PRIVATE, targetId: 'bob' };
      const out = [];
      for (const [name, fileUrl] of [['evil.txt', 'javascript:window.pwned=1'], ['fine.txt', 'https://example.com/fine.txt']]) {
        out.push((await R.sendMessage(conv, new R.FileMessage({ name, size: 2048, type: 'txt', fileUrl }))).code);
      }
      return out;
    });
    assert.deepEqual(codes, [0, 0]);
    await openChat(bob, '1:carol', '[file] fine.txt');
    await waitText(bob, '.msg', 'evil.txt');
    await waitText(bob, '.msg', 'fine.txt');
    const links = await bob.evaluate(() => {
      const msg = (t) => [...document.querySelectorAll('.msg')].find((m) => m.textContent.includes(t));
      return { evil: msg('evil.txt').querySelectorAll('[href]').length, fine: msg('fine.txt').querySelector('a')?.getAttribute('href') };
    });
    assert.equal(links.evil, 0, 'the javascript: URL is linked');
    assert.equal(links.fine, 'https://example.com/fine.txt');
  });

  // Chromium only: its push service is unreachable here, so the page's
  // PushManager.subscribe is stubbed with a subscription a loopback
  // stand-in holds the keys of, and the push reaches the service worker
  // through the DevTools protocol (npm/test/pushservice.mjs); Firefox's
  // and WebKit's drivers have no such command.
  if (engine === 'chromium') test('a message for a closed chat shows as a notification', async () => {
    const ps = await startPushService();
    try {
      // The stand-in's host is no push service the server knows: allowed here.
      await admin(demo.serverUrl, 'PUT', '/v1/settings', { webPushHosts: ['127.0.0.1'] });
      const { alice, carol } = pages;
      await carol.context().grantPermissions(['notifications'], { origin: demo.appUrl });
      await carol.evaluate(stubSubscribe, ps.subscription);
      await carol.click('#push');
      await carol.waitForFunction(() => document.querySelector('#push').dataset.state === 'on', null, { timeout: 15000 });
      const subs = (await admin(demo.serverUrl, 'GET', '/v1/users/carol/push')).body.data.webPush;
      assert.deepEqual(subs.map((x) => x.endpoint), [ps.subscription.endpoint]);
      const ctx = carol.context();
      await carol.close();
      for (let i = 0; (await admin(demo.serverUrl, 'GET', '/v1/users/carol/push')).body.data.online; i++) {
        assert.ok(i < 300, 'carol still online');
        await new Promise((r) => setTimeout(r, 50)); // polling a condition
      }
      await alice.fill('#new-chat-id', 'carol');
      await alice.press('#new-chat-id', 'Enter');
      await alice.fill('#text', 'dinner at 8?');
      await alice.press('#text', 'Enter');
      const push = await ps.waitPush();
      assert.equal(push.body, 'dinner at 8?');
      // The chat's origin without a user: the chat is still closed.
      const page = await ctx.newPage();
      await page.goto(demo.appUrl + '/');
      const shown = await deliverPush(ctx, page, demo.appUrl, push);
      assert.deepEqual(shown, [{ title: 'alice', body: 'dinner at 8?', tag: '1:alice:', targetId: 'alice' }]);
    } finally {
      ps.close();
    }
  });
});
