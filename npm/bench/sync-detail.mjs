// npm run bench:sync [engine]: where an offline sync's time goes. Three
// users, each with 1,000 messages sent while away, sync one after another
// in one page (ROUNDS pages); for each sync: connect() to
// PULL_OFFLINE_MESSAGE_FINISHED, the time spent inside Go (the runtime's
// resume and run exports) and inside a few JavaScript calls it makes
// (IndexedDB put, getAll and transaction, JSON.parse). The first sync of a
// page runs on code the engine has not warmed up; the bench (npm run bench)
// always measures a first one.
import { execFileSync } from 'node:child_process';
import { startServer, bin, appSecret } from '../test/harness.mjs';
import { serveStatic, launch, connectPage } from '../test/browser.mjs';

const engine = process.argv[2] || 'chromium';
const ROUNDS = Number(process.env.ROUNDS || 3);
const server = await startServer();
const web = await serveStatic();
const adminToken = execFileSync(bin, ['token', '--app-secret', appSecret, '--admin']).toString().trim();
const browser = await launch(engine);

// away: the user's device connects once, then 1,000 messages come.
async function away(user) {
  const ctx = await browser.newContext();
  await connectPage(await ctx.newPage(), web.url, server, user);
  await ctx.close();
  for (let k = 0; k < 1000; k += 20) {
    await Promise.all(Array.from({ length: 20 }, (_, j) => fetch(server.url + '/v1/messages', {
      method: 'POST', headers: { authorization: 'Bearer ' + adminToken, 'content-type': 'application/json' },
      body: JSON.stringify({ fromUserId: 'sender', conversationType: 1, targetIds: [user], objectName: 'RC:TxtMsg', content: { content: `m${k + j}` }, clientMsgId: `${user}-${k + j}` }),
    }).then((r) => { if (r.status !== 200) throw new Error(`send: HTTP ${r.status}`); })));
  }
}

try {
  for (let r = 0; r < ROUNDS; r++) {
    const users = [0, 1, 2].map((i) => `sync-detail-${engine}-${r}-${i}`);
    for (const u of users) await away(u);
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(web.url + '/page.html');
    const syncs = await page.evaluate(async ({ serverUrl, tokens }) => {
      const spent = {};
      const timed = (name, f) => function (...a) {
        const t = performance.now();
        try { return f.apply(this, a); } finally { spent[name] = (spent[name] || 0) + performance.now() - t; }
      };
      for (const [o, m] of [[IDBObjectStore.prototype, 'put'], [IDBIndex.prototype, 'getAll'], [JSON, 'parse'], [IDBDatabase.prototype, 'transaction']]) o[m] = timed(m, o[m]);
      // The runtime's exports, wrapped: Go runs only inside them.
      const instantiate = WebAssembly.instantiate;
      WebAssembly.instantiate = async function (...a) {
        const r = await instantiate.apply(this, a);
        const inst = r instanceof WebAssembly.Instance ? r : r.instance;
        const exports = { ...inst.exports, resume: timed('go', inst.exports.resume), run: timed('go', inst.exports.run) };
        const wrapped = Object.create(WebAssembly.Instance.prototype, { exports: { value: exports } });
        return r instanceof WebAssembly.Instance ? wrapped : { ...r, instance: wrapped };
      };
      while (!window.sdkLoaded) await new Promise((res) => setTimeout(res, 1));
      const out = [];
      for (const token of tokens) {
        let n = 0;
        const done = new Promise((resolve) => {
          RongIMLib.addEventListener('MESSAGES', ({ messages }) => { n += messages.length; });
          RongIMLib.addEventListener('PULL_OFFLINE_MESSAGE_FINISHED', () => resolve());
        });
        RongIMLib.init({ appkey: 'node-test-app', serverUrl, logLevel: 'error' });
        await RongIMLib.getTotalUnreadCount(); // the runtime is up: not counted
        for (const k in spent) delete spent[k];
        const t0 = performance.now();
        await RongIMLib.connect(token);
        await done;
        const ms = performance.now() - t0;
        out.push({ ms: Math.round(ms), messages: n, ...Object.fromEntries(Object.entries(spent).map(([k, v]) => [k, Math.round(v)])) });
        await RongIMLib.disconnect();
        RongIMLib.clearEventListeners();
      }
      return out;
    }, { serverUrl: server.url, tokens: users.map((u) => server.token(u)) });
    for (const s of syncs) if (s.messages !== 1000) throw new Error(`${engine}: ${s.messages} messages, not 1,000`);
    console.log(engine, 'page', r, JSON.stringify(syncs));
    await ctx.close();
  }
} finally {
  await browser.close();
  web.close();
  await server.stop();
}
