// Found by a helper's hunt (connection life): imwasm/nim's login events against nim-web-sdk-ng@10.8.1's
// V1NIMLoginService.d.ts. Every NIM user is an SDK in a worker of its own.
import { isMainThread, Worker, parentPort, workerData } from 'node:worker_threads';

if (!isMainThread) {
  const { default: WebSocket } = await import('ws');
  globalThis.WebSocket = WebSocket;
  const { default: NIMSDK } = await import('../nim.js');
  const nim = new NIMSDK(workerData);
  const clone = (x) => JSON.parse(JSON.stringify(x ?? null));
  for (const n of ['logined', 'kicked', 'disconnect', 'willReconnect', 'syncdone', 'msg', 'syncOfflineMsgs', 'syncRoamingMsgs']) {
    nim.on(n, (x) => parentPort.postMessage({ event: n, payload: clone(x) }));
  }
  parentPort.on('message', async ({ id, path, arg }) => {
    try {
      const parts = path.split('.');
      const fn = parts.pop();
      const obj = parts.reduce((o, k) => o[k], nim);
      const r = await obj[fn](arg);
      parentPort.postMessage({ id, ok: clone(r) });
    } catch (e) {
      parentPort.postMessage({ id, err: { code: e?.code, message: e?.message } });
    }
  });
  parentPort.postMessage({ ready: true });
} else {
  const { test, before, after } = await import('node:test');
  const assert = (await import('node:assert/strict')).default;
  const { startServer, admin } = await import('./harness.mjs');
  let server;
  const workers = [];
  before(async () => { server = await startServer(); });
  after(async () => { for (const w of workers) await w.terminate(); await server?.stop(); });
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  async function nimUser(account, token) {
    const w = new Worker(new URL(import.meta.url), { workerData: { appkey: 'node-test-app', account, token: token ?? server.token(account), linkUrl: server.url } });
    workers.push(w);
    const u = { events: [], pending: new Map(), seq: 0 };
    await new Promise((resolve, reject) => {
      w.on('error', reject);
      w.on('message', (m) => {
        if (m.ready) return resolve();
        if (m.event) { u.events.push([m.event, m.payload]); return; }
        const p = u.pending.get(m.id);
        u.pending.delete(m.id);
        p(m);
      });
    });
    u.call = (path, arg) => new Promise((r) => { const id = ++u.seq; u.pending.set(id, r); w.postMessage({ id, path, arg }); });
    u.names = () => u.events.map(([n]) => n);
    return u;
  }

  // V1NIMLoginListener.disconnect: "1. 手动断开。2. 在连接断开后，自动登录超过重试上限次数。
  // 3. 登陆保持阶段第一次断开时触发" — a login that fails rejects connect()
  // (docs/migration.md: "disconnect (on disconnect() and on the first drop of
  // a signed-in connection ...)"); kicked: "被踢下线", a signed-in session's.
  test('a connect() refused for a bad token rejects, telling neither disconnect nor kicked', async () => {
    const u = await nimUser('pr-nim-bad', 'x.y.z');
    const r = await u.call('connect');
    await sleep(500);
    assert.ok(r.err, 'connect() must reject');
    assert.deepEqual(u.names().filter((n) => n === 'disconnect' || n === 'kicked'), [], `events for a login that never was: ${JSON.stringify(u.events)}`);
  });

  test('a connect() refused for a blocked account rejects, and no kicked is told', async () => {
    await admin(server, 'POST', '/v1/users/pr-nim-blk/block', { minutes: 5 });
    const u = await nimUser('pr-nim-blk');
    const r = await u.call('connect');
    await sleep(500);
    assert.ok(r.err, 'connect() must reject');
    assert.deepEqual(u.names().filter((n) => n === 'disconnect' || n === 'kicked'), [], `events for a login that never was: ${JSON.stringify(u.events)}; connect: ${JSON.stringify(r)}`);
  });

  test('disconnect() then connect(): logined and syncdone again, the messages sent meanwhile arrive', async () => {
    const a = await nimUser('pr-nim-re-a');
    const b = await nimUser('pr-nim-re-b');
    assert.ok(!(await a.call('connect')).err);
    assert.ok(!(await b.call('connect')).err);
    await sleep(300);
    assert.ok(!(await a.call('disconnect')).err);
    const s = await b.call('msg.sendTextMsg', { scene: 'p2p', to: 'pr-nim-re-a', body: 'while away' });
    assert.ok(!s.err, JSON.stringify(s));
    a.events.length = 0;
    assert.ok(!(await a.call('connect')).err);
    await sleep(1500);
    assert.ok(a.names().includes('logined'), JSON.stringify(a.names()));
    assert.ok(a.names().includes('syncdone'), JSON.stringify(a.names()));
    const got = a.events.some(([n, p]) => (n === 'msg' && p.body === 'while away') || ((n === 'syncOfflineMsgs' || n === 'syncRoamingMsgs') && p.msgs.some((m) => m.body === 'while away')));
    assert.ok(got, JSON.stringify(a.events));
  });
}
