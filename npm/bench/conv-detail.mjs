// npm run bench:conv [engine]: where getConversationList({count: 1000})
// spends its time in one engine: the first call after the page's start
// (each latest message read from IndexedDB), then 20 calls, each with the
// JSON.parse of an equal text from JavaScript beside it (what the bridge's
// parse costs at least).
import { startServer, fromPeers } from '../test/harness.mjs';
import { serveStatic, launch, connectPage } from '../test/browser.mjs';

const engine = process.argv[2] || 'chromium';
const server = await startServer();
const web = await serveStatic();
const browser = await launch(engine);
try {
  const user = `convd-${engine}`;
  const ctx = await browser.newContext();
  let page = await ctx.newPage();
  await connectPage(page, web.url, server, user);
  await page.close();
  await fromPeers(server, user, 1000);
  page = await ctx.newPage();
  await connectPage(page, web.url, server, user);
  const out = await page.evaluate(async () => {
    const t = [], parse = [];
    let text = '';
    const f0 = performance.now();
    await RongIMLib.getConversationList({ count: 1000 });
    const first = performance.now() - f0;
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      const r = await RongIMLib.getConversationList({ count: 1000 });
      t.push(performance.now() - t0);
      if (!text) text = JSON.stringify(r.data);
      const t1 = performance.now();
      JSON.parse(text);
      parse.push(performance.now() - t1);
    }
    return { t, parse, bytes: text.length, first };
  });
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(engine, 'first list(1000) after the start', out.first.toFixed(0), 'ms');
  console.log(engine, 'list(1000) median', med(out.t).toFixed(1), 'ms, runs', out.t.map((x) => x.toFixed(0)).join(' '));
  console.log(engine, 'JSON.parse of the same text median', med(out.parse).toFixed(1), 'ms;', out.bytes, 'chars');
  await ctx.close();
} finally {
  await browser.close();
  web.close();
  await server.stop();
}
