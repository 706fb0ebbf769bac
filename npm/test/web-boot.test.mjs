// How the runtime starts in a page: importing the package fetches, compiles
// and starts the Go runtime before init() (the cold start of BENCHMARKS.md), the
// first init takes that runtime, an init with another wasmUrl boots its
// own, and a wasm that cannot be loaded is reported by the calls.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './harness.mjs';
import { serveStatic, launch, engines, closeAll } from './browser.mjs';

for (const engine of engines()) describe(engine, () => {
  let server, web, browser;

  before(async () => {
    server = await startServer();
    web = await serveStatic();
    browser = await launch(engine);
  });

  after(() => closeAll(() => browser?.close(), () => web?.close(), () => server?.stop()));

  // page opens the test page in a fresh context; hook sees (and may
  // answer) each request for the wasm.
  async function page(hook) {
    web.hook = hook ? (u, res) => u.pathname.endsWith('/dist/imwasm.wasm') && hook(u, res) : null;
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    await p.goto(web.url + '/page.html');
    await p.waitForFunction(() => window.sdkLoaded);
    return { p, close: () => { web.hook = null; return ctx.close(); } };
  }

  const marks = (p, name) => p.evaluate((n) => performance.getEntriesByName('imwasm:' + n).length, name);

  test('the runtime starts on import, and the first init takes it', async () => {
    const { p, close } = await page();
    try {
      // Ready without any call: nothing but the import started it.
      await p.waitForFunction(() => performance.getEntriesByName('imwasm:ready').length === 1);
      assert.equal(await marks(p, 'init'), 0);
      const res = await p.evaluate(async ({ serverUrl, token }) => {
        RongIMLib.init({ appkey: 'node-test-app', serverUrl, logLevel: 'error' });
        return RongIMLib.connect(token);
      }, { serverUrl: server.url, token: server.token('boot1') });
      assert.equal(res.code, 0, JSON.stringify(res));
      assert.equal(res.data.userId, 'boot1');
      assert.equal(await marks(p, 'compiled'), 1, 'init must not load a second runtime');
      // A later init (another app key) boots a fresh runtime, as before.
      const again = await p.evaluate(async ({ serverUrl, token }) => {
        RongIMLib.init({ appkey: 'node-test-app', serverUrl, logLevel: 'error' });
        return RongIMLib.connect(token);
      }, { serverUrl: server.url, token: server.token('boot2') });
      assert.equal(again.code, 0, JSON.stringify(again));
      assert.equal(await marks(p, 'compiled'), 2);
    } finally {
      await close();
    }
  });

  test('init with its own wasmUrl loads that module', async () => {
    const requested = [];
    const { p, close } = await page((u) => { requested.push(u.search); return false; });
    try {
      const res = await p.evaluate(async ({ serverUrl, token }) => {
        RongIMLib.init({ appkey: 'node-test-app', serverUrl, logLevel: 'error', wasmUrl: 'imwasm.wasm?own=1' });
        return RongIMLib.connect(token);
      }, { serverUrl: server.url, token: server.token('boot3') });
      assert.equal(res.code, 0, JSON.stringify(res));
      assert.deepEqual(requested.sort(), ['', '?own=1']);
    } finally {
      await close();
    }
  });

  test('a wasm that cannot be loaded: calls answer with an error, nothing hangs', async () => {
    const { p, close } = await page((u, res) => { res.writeHead(404); res.end('gone'); return true; });
    try {
      const res = await p.evaluate(async ({ serverUrl, token }) => {
        RongIMLib.init({ appkey: 'node-test-app', serverUrl, logLevel: 'error' });
        return RongIMLib.connect(token);
      }, { serverUrl: server.url, token: server.token('boot4') });
      assert.equal(res.code, 33001, JSON.stringify(res)); // BIZ_ERROR_CLIENT_NOT_INIT
      assert.match(res.msg, /HTTP 404/);
    } finally {
      await close();
    }
  });
});
