// npm run bench:cold: where a cold start goes, load by load (N=10 loads by
// default): the page's own timings and the performance marks index.js sets
// (imwasm:preboot when the import started the runtime, compiled,
// instantiated, ready, init), and end = connect() resolved. Times are ms
// since navigation start.
import { startServer } from '../test/harness.mjs';
import { serveStatic, launch } from '../test/browser.mjs';
const server = await startServer();
const web = await serveStatic();
const browser = await launch();
const rows = [];
try {
  for (let i = 0; i < Number(process.env.N || 10); i++) {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    // Times of the page's IndexedDB open and WebSocket events, recorded by
    // wrapping the two constructors before any script runs.
    await page.addInitScript(() => {
      const t = (k) => { window.__t ??= {}; window.__t[k] ??= Math.round(performance.now()); };
      const open = indexedDB.open.bind(indexedDB);
      indexedDB.open = (...a) => { t('idbOpen'); const r = open(...a); r.addEventListener('success', () => t('idbOpened')); return r; };
      const WS = window.WebSocket;
      window.WebSocket = function (...a) {
        t('wsNew'); const ws = new WS(...a);
        ws.addEventListener('open', () => t('wsOpen'));
        ws.addEventListener('message', () => t('wsFirstMsg'));
        const send = ws.send.bind(ws); ws.send = (d) => { t('wsFirstSend'); return send(d); };
        return ws;
      };
      window.WebSocket.prototype = WS.prototype;
      Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
    });
    await page.goto(web.url + '/page.html');
    const r = await page.evaluate(async ({ serverUrl, token }) => {
      while (!window.sdkLoaded) await new Promise((r) => setTimeout(r, 1));
      const t0 = performance.now();
      RongIMLib.init({ appkey: 'node-test-app', serverUrl, logLevel: 'error' });
      const res = await RongIMLib.connect(token);
      if (res.code !== 0) throw new Error(JSON.stringify(res));
      const end = performance.now();
      const m = Object.fromEntries(performance.getEntriesByType('mark').map((e) => [e.name.replace('imwasm:', ''), Math.round(e.startTime)]));
      const nav = performance.getEntriesByType('navigation')[0];
      const idx = performance.getEntriesByType('resource').find((e) => e.name.endsWith('/index.js'));
      return { domInteractive: Math.round(nav.domInteractive), indexEnd: Math.round(idx?.responseEnd), loadEnd: Math.round(nav.loadEventEnd), evalStart: Math.round(t0), ...m, ...window.__t, end: Math.round(end) };
    }, { serverUrl: server.url, token: server.token(`cold${i}`) });
    rows.push(r);
    await ctx.close();
  }
} finally { await browser.close(); web.close(); await server.stop?.(); }
console.table(rows);
const med = (k) => { const s = rows.map((r) => r[k]).sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
console.log('median end', med('end'));
process.exit(0);
