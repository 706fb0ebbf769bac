// npm run bench: the browser SDK's figures of BENCHMARKS.md in Chromium against a
// real server on loopback (build first: make build wasm).
//   cold start   navigation start to connect() resolved, fresh context, median of 10
//                (init and connect called by the page's own script; and, for
//                comparison with earlier runs, through Playwright after load)
//   latency      sendMessage to the MESSAGES event in another page, 40 messages at 4/s
//   offline sync 1,000 messages sent while offline, connect() to all stored in IndexedDB
import { execFileSync } from 'node:child_process';
import { startServer, bin, appSecret } from '../test/harness.mjs';
import { serveStatic, launch, connectPage } from '../test/browser.mjs';

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };

const server = await startServer();
const web = await serveStatic();
const browser = await launch();
const result = { chromium: browser.version() };
try {
  // Cold start, as an app does it: the page's own module script calls
  // init and connect; measured from navigation start to connect resolved,
  // each load in a fresh context. For comparison with earlier runs, also
  // with init and connect called through Playwright once the page has
  // loaded (adds the load event and a DevTools round trip before init).
  // The two kinds alternate; two loads of each warm the browser up first
  // (its first contexts start its helper processes) and are not counted.
  const ownScript = async (i) => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const o = { serverUrl: server.url, appkey: 'node-test-app', token: server.token(`cold${i}`) };
    await page.goto(web.url + '/connect.html#' + encodeURIComponent(JSON.stringify(o)));
    const r = await (await page.waitForFunction(() => window.connected)).jsonValue();
    await ctx.close();
    if (r.code !== 0) throw new Error(JSON.stringify(r));
    return r.at;
  };
  const viaHarness = async (i) => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(web.url + '/page.html');
    const ms = await page.evaluate(async ({ serverUrl, token }) => {
      while (!window.sdkLoaded) await new Promise((r) => setTimeout(r, 1));
      RongIMLib.init({ appkey: 'node-test-app', serverUrl, logLevel: 'error' });
      const r = await RongIMLib.connect(token);
      if (r.code !== 0) throw new Error(JSON.stringify(r));
      return performance.now(); // since navigation start
    }, { serverUrl: server.url, token: server.token(`coldh${i}`) });
    await ctx.close();
    return ms;
  };
  const own = [], harness = [];
  for (let i = -2; i < 10; i++) {
    const a = await ownScript(i), b = await viaHarness(i);
    if (i >= 0) { own.push(a); harness.push(b); }
  }
  const summary = (xs) => ({ median: Math.round(median(xs)), min: Math.round(Math.min(...xs)), max: Math.round(Math.max(...xs)) });
  result.cold_start_ms = summary(own);
  result.cold_start_harness_init_ms = summary(harness);

  // Send→receive between two pages (one browser: one clock).
  const ctxA = await browser.newContext(), ctxB = await browser.newContext();
  const a = await ctxA.newPage(), b = await ctxB.newPage();
  await connectPage(a, web.url, server, 'lat-a');
  await connectPage(b, web.url, server, 'lat-b');
  await b.evaluate(() => { window.arrived = {}; RongIMLib.addEventListener('MESSAGES', ({ messages }) => { for (const m of messages) window.arrived[m.content.n] = Date.now(); }); });
  const sentAt = await a.evaluate(async () => {
    const out = {};
    for (let n = 0; n < 40; n++) {
      out[n] = Date.now();
      await RongIMLib.sendMessage({ conversationType: 1, targetId: 'lat-b' }, new RongIMLib.TextMessage({ content: 'x', n }));
      await new Promise((r) => setTimeout(r, 250));
    }
    return out;
  });
  await b.waitForFunction(() => Object.keys(window.arrived).length >= 40, null, { timeout: 20000 });
  const arrived = await b.evaluate(() => window.arrived);
  const lat = Object.keys(sentAt).map((n) => arrived[n] - sentAt[n]);
  result.send_receive_ms = { p50: median(lat), p99: pct(lat, 0.99), max: Math.max(...lat), samples: lat.length };
  await ctxA.close(); await ctxB.close();

  // 1,000 offline messages into IndexedDB.
  const ctx = await browser.newContext();
  let page = await ctx.newPage();
  await connectPage(page, web.url, server, 'sync-me');
  await page.close();
  const tok = execFileSync(bin, ['token', '--app-secret', appSecret, '--admin']).toString().trim();
  for (let i = 0; i < 1000; i += 20) {
    await Promise.all(Array.from({ length: 20 }, (_, j) => fetch(server.url + '/v1/messages', {
      method: 'POST', headers: { authorization: 'Bearer ' + tok, 'content-type': 'application/json' },
      body: JSON.stringify({ fromUserId: 'sender', conversationType: 1, targetIds: ['sync-me'], objectName: 'RC:TxtMsg', content: { content: `m${i + j}` }, clientMsgId: `sync-${i + j}` }),
    })));
  }
  page = await ctx.newPage();
  await page.goto(web.url + '/page.html');
  const sync = await page.evaluate(async ({ serverUrl, token }) => {
    while (!window.sdkLoaded) await new Promise((r) => setTimeout(r, 1));
    let n = 0;
    const done = new Promise((resolve) => {
      RongIMLib.addEventListener('MESSAGES', ({ messages }) => { n += messages.length; });
      RongIMLib.addEventListener('PULL_OFFLINE_MESSAGE_FINISHED', () => resolve());
    });
    RongIMLib.init({ appkey: 'node-test-app', serverUrl, logLevel: 'error' });
    await RongIMLib.getTotalUnreadCount(); // waits for the runtime: not counted
    const t0 = performance.now();
    await RongIMLib.connect(token);
    await done;
    return { ms: performance.now() - t0, messages: n };
  }, { serverUrl: server.url, token: server.token('sync-me') });
  result.offline_sync_1000 = { ms: Math.round(sync.ms), messages: sync.messages, note: 'connect() to PULL_OFFLINE_MESSAGE_FINISHED, runtime already loaded' };
  await ctx.close();
} finally {
  await browser.close();
  web.close();
  await server.stop();
}
console.log(JSON.stringify(result, null, 2));
