// What `make cluster` starts (two nodes on PostgreSQL, NATS and versitygw),
// driven in each browser engine: alice's page tries node A first, bob's
// node B, so a message between them crosses the bus; node A is then killed
// with -9, and alice's page moves to node B by itself (its SDK's
// navigators) and goes on sending. Before that, both join a chat room and
// are made members of an ultra group: their messages cross between the
// nodes. Build first: make build wasm.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster } from '../cluster.mjs';
import { links, admin } from '../demo.mjs';
import { launch, engines, closeAll } from '../../../npm/test/browser.mjs';

for (const engine of engines()) describe(`${engine}: cluster`, () => {
  let cluster, browser;
  const pages = {};

  const waitText = (page, sel, text, timeout = 20000) => page.waitForFunction(({ sel, text }) =>
    [...document.querySelectorAll(sel)].some((el) => el.textContent.includes(text)), { sel, text }, { timeout });

  before(async () => {
    cluster = await startCluster({ appPort: 0, nodePorts: [0, 0] });
    const urls = cluster.nodes.map((n) => n.url);
    const link = { alice: cluster.links.alice, bob: links(cluster.appUrl, [...urls].reverse()).bob };
    browser = await launch(engine);
    for (const u of ['alice', 'bob']) {
      const page = await (await browser.newContext()).newPage();
      page.on('pageerror', (e) => console.error(`[${u}]`, e));
      await page.goto(link[u]);
      await page.waitForFunction(() => window.chatReady, null, { timeout: 20000 });
      pages[u] = page;
    }
  });

  after(() => closeAll(() => browser?.close(), () => cluster?.stop()));

  const send = async (text) => {
    const { alice, bob } = pages;
    await alice.fill('#text', text);
    await alice.press('#text', 'Enter');
    await bob.waitForFunction((text) => document.querySelector('#conversations li[data-key="1:alice"] .preview')?.textContent.includes(text),
      text, { timeout: 30000 });
  };

  test('a message crosses from node A to node B', async () => {
    await pages.alice.fill('#new-chat-id', 'bob');
    await pages.alice.press('#new-chat-id', 'Enter');
    await send('from node A');
  });

  test('a chat room spread over both nodes', async () => {
    // The pages' own SDK (the module the demo imported): alice is on node A, bob on node B.
    const sdk = (page, fn, arg) => page.evaluate(async ({ fn, arg }) => {
      const R = await import('/imwasm/index.js');
      if (!window.roomGot) {
        window.roomGot = [];
        R.addEventListener(R.Events.MESSAGES, ({ messages }) => {
          for (const m of messages) if (m.conversationType === R.ConversationType.CHATROOM) window.roomGot.push(m.content.content);
        });
      }
      const room = { conversationType: R.ConversationType.CHATROOM, targetId: 'lobby' };
      if (fn === 'join') return (await R.joinChatRoom('lobby', { count: 10 })).code;
      if (fn === 'say') return (await R.sendMessage(room, new R.TextMessage({ content: arg }))).code;
      if (fn === 'info') return (await R.getChatRoomInfo('lobby', { count: 5, order: 1 })).data;
      return null;
    }, { fn, arg });
    const got = (page) => page.evaluate(() => window.roomGot);
    const waitGot = (page, text) => page.waitForFunction((text) => window.roomGot?.includes(text), text, { timeout: 20000 });
    for (const u of ['alice', 'bob']) assert.equal(await sdk(pages[u], 'join'), 0);
    assert.equal((await sdk(pages.bob, 'info')).userCount, 2); // both nodes' members, read on node B
    for (const text of ['a1', 'a2']) assert.equal(await sdk(pages.alice, 'say', text), 0);
    assert.equal(await sdk(pages.bob, 'say', 'b1'), 0);
    await waitGot(pages.bob, 'a2');
    await waitGot(pages.alice, 'b1');
    assert.deepEqual(await got(pages.bob), ['a1', 'a2']);
    assert.deepEqual(await got(pages.alice), ['b1']);
  });

  test('an ultra group spread over both nodes', async () => {
    // Made through node A while both are online: node B puts bob's session in it too.
    const made = await admin(cluster.nodes[0].url, 'POST', '/v1/ultragroups', { id: 'plaza', ownerId: 'alice', memberIds: ['bob'] });
    assert.equal(made.status, 200, JSON.stringify(made.body));
    const sdk = (page, text) => page.evaluate(async (text) => {
      const R = await import('/imwasm/index.js');
      if (!window.plazaGot) {
        window.plazaGot = [];
        R.addEventListener(R.Events.MESSAGES, ({ messages }) => {
          for (const m of messages) if (m.conversationType === R.ConversationType.ULTRA_GROUP) window.plazaGot.push(m.content.content);
        });
      }
      if (!text) return 0;
      const plaza = { conversationType: R.ConversationType.ULTRA_GROUP, targetId: 'plaza', channelId: '' };
      return (await R.sendMessage(plaza, new R.TextMessage({ content: text }))).code;
    }, text);
    const waitGot = (page, text) => page.waitForFunction((text) => window.plazaGot?.includes(text), text, { timeout: 20000 });
    await sdk(pages.bob, '');
    assert.equal(await sdk(pages.alice, 'from A'), 0);
    await waitGot(pages.bob, 'from A');
    assert.equal(await sdk(pages.bob, 'from B'), 0);
    await waitGot(pages.alice, 'from B');
  });

  test('node A killed with -9: alice moves to node B and goes on', async () => {
    const { alice } = pages;
    await alice.evaluate(() => {
      window.statuses = [];
      new MutationObserver(() => window.statuses.push(document.getElementById('status').dataset.status))
        .observe(document.getElementById('status'), { attributes: true, attributeFilter: ['data-status'] });
    });
    cluster.nodes[0].proc.kill('SIGKILL');
    // Her page loses node A, and is connected again (to node B) by itself.
    await alice.waitForFunction(() => window.statuses.some((s) => s !== 'connected') && window.statuses.at(-1) === 'connected',
      null, { timeout: 30000 });
    await send('after node A died');
    await waitText(pages.alice, '.msg.mine', 'after node A died');
  });

  test('and her uploads go to node B', async () => {
    const { alice, bob } = pages;
    await alice.setInputFiles('#file', { name: 'after.txt', mimeType: 'text/plain', buffer: Buffer.from('sent through node B') });
    await bob.waitForFunction(() => document.querySelector('#conversations li[data-key="1:alice"] .preview')?.textContent.includes('after.txt'),
      null, { timeout: 30000 });
  });
});
