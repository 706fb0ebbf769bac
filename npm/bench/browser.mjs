// npm run bench: the browser SDK's figures of BENCHMARKS.md in each engine
// (Chromium, Firefox, WebKit; IMWASM_BROWSERS picks) against a real server
// on loopback (build first: make build wasm). Each figure has its baseline
// measured in the same run, alternating with it, since absolute times vary
// 2–3× between machines of this kind:
//   cold start    navigation start to connect() resolved (the page's own
//                 module script calls init and connect), fresh context each
//                 time; baseline: a Go hello-world wasm page, navigation
//                 start to its main() running, built by the same Go
//   offline sync  1,000 messages sent while offline, connect() to all of
//                 them stored in IndexedDB (runtime already loaded); baseline:
//                 plain JavaScript putting 1,000 such records in one
//                 IndexedDB transaction
//   latency       sendMessage to the MESSAGES event in another page, 40
//                 messages at 4/s
//   conversations a user with 1,000 conversations (one message each, sent
//                 while away): getConversationList's first page of 100, the
//                 whole list, and getTotalUnreadCount; baseline: plain
//                 JavaScript reading the same 1,000 records from IndexedDB
//                 (getAll of the conversations as the list gives them), and
//                 beside it the earlier, leaner baseline (1,000 records of a
//                 few fields each, a sixth of a conversation's)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, bin, appSecret, fromPeers } from '../test/harness.mjs';
import { serveStatic, launch, engines, connectPage } from '../test/browser.mjs';

const COLD_RUNS = Number(process.env.COLD_RUNS || 10);
const SYNC_RUNS = Number(process.env.SYNC_RUNS || 5);
// BENCH=cold,sync,latency,conversations picks figures (default: all).
const only = new Set((process.env.BENCH || 'cold,sync,latency,conversations').split(','));

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const summary = (xs) => ({ median: Math.round(median(xs)), min: Math.round(Math.min(...xs)), max: Math.round(Math.max(...xs)), runs: xs.length });

// The hello-world baseline: the smallest Go wasm program, built by the Go
// that built imwasm.wasm, started by that Go's wasm_exec.js.
const go = process.env.GO || 'go';
const helloDir = mkdtempSync(join(tmpdir(), 'imwasm-hello-'));
writeFileSync(join(helloDir, 'go.mod'), 'module hello\n\ngo 1.21\n');
writeFileSync(join(helloDir, 'main.go'), 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello") }\n');
execFileSync(go, ['build', '-trimpath', '-o', 'hello.wasm', '.'], { cwd: helloDir, env: { ...process.env, GOOS: 'js', GOARCH: 'wasm' } });
const helloWasm = readFileSync(join(helloDir, 'hello.wasm'));
rmSync(helloDir, { recursive: true, force: true });
// The page starts the program as an app would and notes when main printed.
const helloPage = `<!doctype html><meta charset="utf-8"><title>hello</title>
<script src="/dist/wasm_exec.js"></script>
<script type="module">
const write = globalThis.fs.writeSync.bind(globalThis.fs);
globalThis.fs.writeSync = (fd, buf) => { window.helloAt ??= performance.now(); return write(fd, buf); };
const go = new Go();
const { instance } = await WebAssembly.instantiateStreaming(fetch('/hello.wasm'), go.importObject);
go.run(instance);
</script>`;

const server = await startServer();
const web = await serveStatic();
web.hook = (u, res) => {
  const f = { '/hello.html': ['text/html', helloPage], '/hello.wasm': ['application/wasm', helloWasm] }[u.pathname];
  if (!f) return false;
  res.writeHead(200, { 'content-type': f[0], 'cache-control': 'no-store' });
  res.end(f[1]);
  return true;
};
const adminToken = execFileSync(bin, ['token', '--app-secret', appSecret, '--admin']).toString().trim();
const results = {};
try {
  for (const engine of engines()) results[engine] = await benchEngine(engine);
} finally {
  web.close();
  await server.stop();
}
console.log(JSON.stringify(results, null, 2));

async function benchEngine(engine) {
  const browser = await launch(engine);
  const result = {};
  try {
    // Each load in a fresh context; the two kinds alternate, and two of
    // each warm the browser up first (its first contexts start its helper
    // processes) and are not counted.
    const fresh = async (url, ready) => {
      const ctx = await browser.newContext();
      try {
        const page = await ctx.newPage();
        await page.goto(url);
        await page.waitForFunction(ready, null, { timeout: 30000 });
        return await page.evaluate(ready);
      } finally {
        await ctx.close();
      }
    };
    const imwasm = [], hello = [];
    for (let i = -2; only.has('cold') && i < COLD_RUNS; i++) {
      const o = { serverUrl: server.url, appkey: 'node-test-app', token: server.token(`cold-${engine}-${i}`) };
      const r = await fresh(web.url + '/connect.html#' + encodeURIComponent(JSON.stringify(o)), () => window.connected);
      if (r.code !== 0) throw new Error(`${engine} cold start: ${JSON.stringify(r)}`);
      const h = await fresh(web.url + '/hello.html', () => window.helloAt);
      if (i >= 0) { imwasm.push(r.at); hello.push(h); }
    }
    result.version = await browser.version(); // WebKit's is known once a session ran
    if (only.has('cold')) {
      result.cold_start_ms = summary(imwasm);
      result.hello_world_start_ms = summary(hello);
      result.cold_start_ratio = +(median(imwasm) / median(hello)).toFixed(2);
    }

    const syncs = [], puts = [];
    for (let i = 0; only.has('sync') && i < SYNC_RUNS; i++) {
      syncs.push(await offlineSync(browser, engine, i));
      puts.push(await plainPut(browser));
    }
    if (only.has('sync')) {
      result.offline_sync_1000_ms = { ...summary(syncs), note: 'connect() to PULL_OFFLINE_MESSAGE_FINISHED, runtime already loaded' };
      result.plain_idb_put_1000_ms = summary(puts);
      result.offline_sync_ratio = +(median(syncs) / median(puts)).toFixed(2);
    }
    if (only.has('latency')) result.send_receive_ms = await latency(browser, engine);
    if (only.has('conversations')) Object.assign(result, await conversations(browser, engine));
  } finally {
    await browser.close();
  }
  console.error(`# ${engine}: ${JSON.stringify(result)}`);
  return result;
}

// offlineSync: a user's device connects once, goes away, 1,000 messages
// are sent to the user, and the device connects again.
async function offlineSync(browser, engine, i) {
  const user = `sync-${engine}-${i}`;
  const ctx = await browser.newContext();
  try {
    let page = await ctx.newPage();
    await connectPage(page, web.url, server, user);
    await page.close();
    for (let k = 0; k < 1000; k += 20) {
      await Promise.all(Array.from({ length: 20 }, (_, j) => fetch(server.url + '/v1/messages', {
        method: 'POST', headers: { authorization: 'Bearer ' + adminToken, 'content-type': 'application/json' },
        body: JSON.stringify({ fromUserId: 'sender', conversationType: 1, targetIds: [user], objectName: 'RC:TxtMsg', content: { content: `m${k + j}` }, clientMsgId: `${user}-${k + j}` }),
      }).then((r) => { if (r.status !== 200) throw new Error(`send: HTTP ${r.status}`); })));
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
    }, { serverUrl: server.url, token: server.token(user) });
    if (sync.messages !== 1000) throw new Error(`${engine} offline sync: ${sync.messages} messages, not 1,000`);
    return sync.ms;
  } finally {
    await ctx.close();
  }
}

// plainPut: what the engine's IndexedDB takes to store 1,000 message-sized
// records in one transaction, from plain JavaScript (a fresh database).
async function plainPut(browser) {
  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    await page.goto(web.url + '/page.html');
    return await page.evaluate(async () => {
      const db = await new Promise((resolve, reject) => {
        const r = indexedDB.open('plain-put', 1);
        r.onupgradeneeded = () => r.result.createObjectStore('msgs', { keyPath: 'id' }).createIndex('conv', ['conv', 'seq']);
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
      const t0 = performance.now();
      await new Promise((resolve, reject) => {
        const tx = db.transaction('msgs', 'readwrite');
        const s = tx.objectStore('msgs');
        for (let i = 0; i < 1000; i++) {
          s.put({ id: `m${i}`, conv: '1:sender', seq: i + 1, uid: `UID${i}-0000-0000`, sender: 'sender', type: 'RC:TxtMsg', content: `{"content":"m${i}"}`, sent: Date.now(), dir: 2 });
        }
        tx.oncomplete = resolve;
        tx.onerror = () => reject(tx.error);
      });
      const ms = performance.now() - t0;
      db.close();
      return ms;
    });
  } finally {
    await ctx.close();
  }
}

// latency: send→receive between two pages of one browser (one clock).
async function latency(browser, engine) {
  const ctxA = await browser.newContext(), ctxB = await browser.newContext();
  try {
    const a = await ctxA.newPage(), b = await ctxB.newPage();
    const ua = `lat-a-${engine}`, ub = `lat-b-${engine}`;
    await connectPage(a, web.url, server, ua);
    await connectPage(b, web.url, server, ub);
    await b.evaluate(() => { window.arrived = {}; RongIMLib.addEventListener('MESSAGES', ({ messages }) => { for (const m of messages) window.arrived[m.content.n] = Date.now(); }); });
    const sentAt = await a.evaluate(async (to) => {
      const out = {};
      for (let n = 0; n < 40; n++) {
        out[n] = Date.now();
        await RongIMLib.sendMessage({ conversationType: 1, targetId: to }, new RongIMLib.TextMessage({ content: 'x', n }));
        await new Promise((r) => setTimeout(r, 250));
      }
      return out;
    }, ub);
    await b.waitForFunction(() => Object.keys(window.arrived).length >= 40, null, { timeout: 20000 });
    const arrived = await b.evaluate(() => window.arrived);
    const lat = Object.keys(sentAt).map((n) => arrived[n] - sentAt[n]);
    return { p50: median(lat), p99: pct(lat, 0.99), max: Math.max(...lat), samples: lat.length };
  } finally {
    await ctxA.close();
    await ctxB.close();
  }
}

// conversations: the list calls over 1,000 conversations, each beside
// plain JavaScript reading 1,000 records from IndexedDB in the same page.
async function conversations(browser, engine) {
  const user = `convs-${engine}`;
  const ctx = await browser.newContext();
  try {
    let page = await ctx.newPage();
    await connectPage(page, web.url, server, user);
    await page.close();
    await fromPeers(server, user, 1000);
    page = await ctx.newPage();
    await connectPage(page, web.url, server, user);
    return await page.evaluate(async () => {
      const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      const time = async (fn) => { const t0 = performance.now(); const r = await fn(); return [performance.now() - t0, r]; };
      const db = await new Promise((resolve, reject) => {
        const r = indexedDB.open('plain-read', 1);
        r.onupgradeneeded = () => { r.result.createObjectStore('convs', { keyPath: 'k' }); r.result.createObjectStore('lean', { keyPath: 'k' }); };
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
      // The same records: the conversations as the list gives them.
      const same = (await RongIMLib.getConversationList({ count: 1000 })).data;
      await new Promise((resolve, reject) => {
        const tx = db.transaction(['convs', 'lean'], 'readwrite');
        for (const c of same) tx.objectStore('convs').put({ k: `${c.conversationType}:${c.targetId}`, ...c });
        for (let i = 0; i < 1000; i++) {
          tx.objectStore('lean').put({ k: `1:peer${i}`, unread: 1, latest: { uid: `UID${i}-0000-0000`, sender: `peer${i}`, type: 'RC:TxtMsg', content: `{"content":"m${i}"}`, sent: Date.now() } });
        }
        tx.oncomplete = resolve;
        tx.onerror = () => reject(tx.error);
      });
      const plain = (store) => () => new Promise((resolve, reject) => {
        const r = db.transaction(store).objectStore(store).getAll();
        r.onsuccess = () => resolve(r.result.length);
        r.onerror = () => reject(r.error);
      });
      const runs = { first100: [], all: [], total: [], plain: [], lean: [] };
      for (let i = 0; i < 9; i++) {
        const [a, first] = await time(() => RongIMLib.getConversationList({ count: 100 }));
        const [b, all] = await time(() => RongIMLib.getConversationList({ count: 1000 }));
        const [c, total] = await time(() => RongIMLib.getTotalUnreadCount());
        const [d, n] = await time(plain('convs'));
        const [e, nl] = await time(plain('lean'));
        if (same.length !== 1000 || first.data.length !== 100 || all.data.length !== 1000 || total.data !== 1000 || n !== 1000 || nl !== 1000) {
          throw new Error(`conversations: ${same.length}, ${first.data.length}, ${all.data.length}, total ${total.data}, plain ${n}, ${nl}`);
        }
        runs.first100.push(a); runs.all.push(b); runs.total.push(c); runs.plain.push(d); runs.lean.push(e);
      }
      db.close();
      const m = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, +median(v).toFixed(1)]));
      return {
        conversation_list_100_ms: m.first100, conversation_list_1000_ms: m.all, total_unread_ms: m.total,
        plain_idb_read_1000_ms: m.plain, plain_idb_read_1000_lean_ms: m.lean,
        conversation_list_100_ratio: +(m.first100 / m.plain).toFixed(2), conversation_list_1000_ratio: +(m.all / m.plain).toFixed(2),
        total_unread_ratio: +(m.total / m.plain).toFixed(2), conversation_list_1000_lean_ratio: +(m.all / m.lean).toFixed(2),
      };
    });
  } finally {
    await ctx.close();
  }
}
