// The demo, driven in Chromium as its users: what `make demo` starts
// (server, demo users and group, the web chat) on free ports. Screenshots
// go to test/artifacts/. Build first: make build wasm.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemo } from '../demo.mjs';
import { launch } from '../../../npm/test/browser.mjs';

const artifacts = new URL('./artifacts/', import.meta.url).pathname;
let demo, browser, dataDir;
const pages = {};

const open = async (user) => {
  const ctx = await browser.newContext({ viewport: { width: 1000, height: 640 } });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error(`[${user}]`, e));
  page.on('console', (m) => { if (m.type() !== 'log') console.error(`[${user} console]`, m.text()); });
  await page.goto(demo.links[user]);
  await page.waitForFunction(() => window.chatReady, null, { timeout: 20000 });
  pages[user] = page;
  return page;
};

const shot = (user, name) => pages[user].screenshot({ path: join(artifacts, `${name}-${user}.png`) });

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), 'imwasm-demo-'));
  demo = await startDemo({ appPort: 0, serverPort: 0, dataDir });
  browser = await launch();
  for (const u of ['alice', 'bob', 'carol']) await open(u);
});

after(async () => {
  await browser?.close();
  await demo?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('a private message arrives and its tick turns to read', async () => {
  const { alice, bob } = pages;
  await alice.fill('#new-chat-id', 'bob');
  await alice.press('#new-chat-id', 'Enter');
  await alice.fill('#text', 'hi bob, from the demo');
  await alice.press('#text', 'Enter');
  // Bob sees the conversation with an unread badge, opens it, reads.
  const row = bob.locator('#conversations li[data-key="1:alice"]');
  await row.waitFor();
  await bob.waitForFunction(() => document.querySelector('#conversations li[data-key="1:alice"] .badge')?.dataset.count === '1');
  await shot('bob', '1-unread');
  await row.click();
  await bob.locator('.msg', { hasText: 'hi bob, from the demo' }).waitFor();
  // Alice's tick goes to read (green ✓✓).
  const tick = alice.locator('.msg.mine', { hasText: 'hi bob, from the demo' }).locator('.tick');
  await alice.waitForFunction(() => document.querySelector('.msg.mine .tick')?.dataset.state === 'read', null, { timeout: 15000 });
  assert.equal(await tick.getAttribute('data-state'), 'read');
  assert.equal(await bob.locator('#conversations li[data-key="1:alice"] .badge').getAttribute('data-count'), '0');
  await shot('alice', '2-read');
});

test('a group message: "view read status", then the read count climbs', async () => {
  const { alice, bob, carol } = pages;
  await alice.click('#conversations li[data-key="3:team"]');
  await alice.fill('#text', 'lunch at noon?');
  await alice.press('#text', 'Enter');
  const mine = alice.locator('.msg.mine', { hasText: 'lunch at noon?' });
  await mine.locator('.ask-receipts').click();
  await mine.locator('.reads', { hasText: 'read 0/2' }).waitFor();
  for (const [u, n] of [[bob, 1], [carol, 2]]) {
    await u.click('#conversations li[data-key="3:team"]');
    await u.locator('.msg', { hasText: 'lunch at noon?' }).waitFor();
    await mine.locator('.reads', { hasText: `read ${n}/2` }).waitFor({ timeout: 15000 });
  }
  await mine.locator('.reads').click();
  await alice.locator('#reader-list li', { hasText: 'carol' }).waitFor();
  assert.equal(await alice.locator('#reader-list li').count(), 2);
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
  // A 1200x800 PNG made here, given to the page's file input.
  const png = await alice.evaluate(async () => {
    const c = Object.assign(document.createElement('canvas'), { width: 1200, height: 800 });
    const ctx = c.getContext('2d');
    for (let i = 0; i < 3000; i++) { ctx.fillStyle = `hsl(${i % 360} 70% 50%)`; ctx.fillRect((i * 37) % 1200, (i * 53) % 800, 30, 20); }
    const b = await new Promise((r) => c.toBlob(r, 'image/png'));
    return Array.from(new Uint8Array(await b.arrayBuffer()));
  });
  await alice.setInputFiles('#file', { name: 'colors.png', mimeType: 'image/png', buffer: Buffer.from(png) });
  await alice.locator('.msg.mine img[src^="http"]').waitFor({ timeout: 20000 });
  const seen = await alice.evaluate(() => window.progressSeen);
  assert.equal(seen.at(-1), 100, `progress ${seen}`);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i] >= seen[i - 1], `progress ${seen}`);
  await bob.click('#conversations li[data-key="1:alice"]');
  await bob.locator('.msg img[src^="http"]').waitFor({ timeout: 20000 });
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
  await bob.click('#conversations li[data-key="1:carol"]');
  const evil = bob.locator('.msg', { hasText: 'evil.txt' });
  const fine = bob.locator('.msg', { hasText: 'fine.txt' });
  await evil.waitFor();
  await fine.waitFor();
  assert.equal(await evil.locator('[href]').count(), 0, 'the javascript: URL is linked');
  assert.equal(await fine.locator('a').getAttribute('href'), 'https://example.com/fine.txt');
});
