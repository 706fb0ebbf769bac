// The edge relay under workerd (`wrangler dev --local`, local R2), in front
// of a real imwasm server on loopback: uploads from the browser SDK with
// progress go to R2 and download the same bytes; bad tokens are refused at
// the relay and never reach the origin; admin calls do reach it. Nothing
// leaves the machine (CLOUDFLARE_CF_FETCH_ENABLED=false, metrics off).
// Build first: make relay build wasm.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, stopProcess, bin, appSecret } from '../../../npm/test/harness.mjs';
import { serveStatic, launch, openUser, connectPage, waitMessages } from '../../../npm/test/browser.mjs';

const relayDir = new URL('..', import.meta.url).pathname;
const maxUpload = 1 << 20; // the relay's cap in this test: 1 MB

let server, origin, relay, web, browser;
const seenAtOrigin = []; // requests the recording proxy passed to the server

const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
});

// startRelay runs wrangler dev --local and waits until it serves.
async function startRelay(originURL) {
  const port = await freePort();
  const persist = mkdtempSync(join(tmpdir(), 'imwasm-relay-'));
  const proc = spawn(join(relayDir, 'node_modules/.bin/wrangler'), ['dev', '--local', '--ip', '127.0.0.1', '--port', String(port),
    '--inspector-port', String(await freePort()), '--persist-to', persist, '--show-interactive-dev-session=false', '--log-level', 'warn',
    '--var', `APP_SECRET:${appSecret}`, '--var', `ORIGIN_URL:${originURL}`, '--var', `MAX_UPLOAD_BYTES:${maxUpload}`],
  { cwd: relayDir, env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false', CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (b) => { log += b; });
  proc.stderr.on('data', (b) => { log += b; });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error('wrangler exited: ' + log);
    try {
      const r = await fetch(url + '/v1/files/' + 'a'.repeat(26));
      if (r.status === 404) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error('relay did not start: ' + log);
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, stop: async () => { await stopProcess(proc); rmSync(persist, { recursive: true, force: true }); } };
}

before(async () => {
  server = await startServer();
  // A recording proxy stands in for the origin's network: what passes
  // through it reached the server.
  origin = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    seenAtOrigin.push({ method: req.method, url: req.url, auth: req.headers.authorization || '' });
    const r = await fetch(server.url + req.url, { method: req.method, headers: { authorization: req.headers.authorization || '', 'content-type': req.headers['content-type'] || 'application/json' }, body: chunks.length ? Buffer.concat(chunks) : undefined });
    res.writeHead(r.status, { 'content-type': r.headers.get('content-type') || 'application/json' });
    res.end(Buffer.from(await r.arrayBuffer()));
  });
  await new Promise((r) => origin.listen(0, '127.0.0.1', r));
  relay = await startRelay(`http://127.0.0.1:${origin.address().port}`);
  web = await serveStatic();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  web?.close();
  await relay?.stop();
  origin?.close();
  await server?.stop();
});

const adminToken = () => execFileSync(bin, ['token', '--app-secret', appSecret, '--admin']).toString().trim();

test('bad tokens are refused at the relay and never reach the origin', async () => {
  const before = seenAtOrigin.length;
  const forged = execFileSync(bin, ['token', '--app-secret', 'another-secret-0123456789', '--user', 'eve']).toString().trim();
  for (const [method, path, tok, code] of [
    ['POST', '/v1/files?name=a.txt', '', 31004],
    ['POST', '/v1/files?name=a.txt', 'garbage', 31004],
    ['POST', '/v1/files?name=a.txt', forged, 31004], // signed with another secret
    ['GET', '/v1/settings', 'garbage', 31004],
    ['GET', '/v1/settings', server.token('eve'), 31004], // a user token on an admin call
    ['POST', '/v1/groups', forged, 31004],
  ]) {
    const res = await fetch(relay.url + path, { method, headers: tok ? { authorization: 'Bearer ' + tok } : {}, body: method === 'POST' ? 'x' : undefined });
    const body = await res.json();
    assert.ok(res.status === 401 || res.status === 403, `${method} ${path}: ${res.status}`);
    assert.equal(body.code, code, `${method} ${path}: ${JSON.stringify(body)}`);
  }
  assert.equal(seenAtOrigin.length, before, `the origin saw ${JSON.stringify(seenAtOrigin.slice(before))}`);
});

test('admin calls reach the origin', async () => {
  const tok = adminToken();
  const res = await fetch(relay.url + '/v1/groups', {
    method: 'POST', headers: { authorization: 'Bearer ' + tok, 'content-type': 'application/json' },
    body: JSON.stringify({ groupId: 'edge', name: 'edge', ownerId: 'rae', memberIds: ['sol'] }),
  });
  assert.equal(res.status, 200, await res.text());
  assert.ok(seenAtOrigin.some((r) => r.method === 'POST' && r.url === '/v1/groups' && r.auth === 'Bearer ' + tok));
  // The origin has the group: a second create is refused by it.
  const again = await fetch(server.url + '/v1/groups', {
    method: 'POST', headers: { authorization: 'Bearer ' + tok, 'content-type': 'application/json' },
    body: JSON.stringify({ groupId: 'edge', name: 'edge', ownerId: 'rae', memberIds: ['sol'] }),
  });
  assert.equal(again.status, 409);
  const settings = await (await fetch(relay.url + '/v1/settings', { headers: { authorization: 'Bearer ' + tok } })).json();
  assert.equal(settings.data.receiptMaxReaders, 500);
});

test('a browser upload through the relay, with progress, is sent as a message and downloads the same bytes', async () => {
  const rae = { user: 'rae', page: await (await browser.newContext()).newPage() };
  await connectPage(rae.page, web.url, server, 'rae', { init: { uploadUrl: relay.url } });
  const sol = await openUser(browser, web.url, server, 'sol');
  const r = await rae.page.evaluate(async () => {
    const bytes = new Uint8Array(900 * 1024);
    for (let i = 0; i < bytes.length; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
    const file = new File([bytes], 'edge.bin', { type: 'application/octet-stream' });
    const progress = [];
    const res = await RongIMLib.sendFileMessage({ conversationType: 1, targetId: 'sol' }, { file }, { onProgress: (p) => progress.push(p) });
    const digest = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
    const big = await RongIMLib.upload({ file: new File([new Uint8Array(2 << 20)], 'big.bin') });
    return { res, progress, digest, big };
  });
  assert.equal(r.res.code, 0, JSON.stringify(r.res));
  assert.equal(r.progress.at(-1), 100);
  for (let i = 1; i < r.progress.length; i++) assert.ok(r.progress[i] > r.progress[i - 1]);
  assert.ok(r.res.data.content.fileUrl.startsWith(relay.url + '/v1/files/'), r.res.data.content.fileUrl);
  const got = await waitMessages(sol, (m) => m.messageUId === r.res.data.messageUId, 'the file message');
  const dl = await sol.page.evaluate(async (url) => {
    const res = await fetch(url);
    const buf = await res.arrayBuffer();
    return { status: res.status, disposition: res.headers.get('content-disposition'), digest: Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', buf)), (b) => b.toString(16).padStart(2, '0')).join('') };
  }, got.content.fileUrl);
  assert.equal(dl.status, 200);
  assert.equal(dl.digest, r.digest);
  assert.match(dl.disposition, /^attachment; filename="edge.bin"/);
  // Over the relay's cap: 26106 from the relay.
  assert.equal(r.big.code, 26106, JSON.stringify(r.big));
});

test("downloads keep the server's rules: ranges, sandboxed HTML, safe names", async () => {
  const tok = server.token('rae');
  const up = async (name, type, body, disp) => (await (await fetch(`${relay.url}/v1/files?name=${encodeURIComponent(name)}${disp ? '&disposition=' + disp : ''}`, {
    method: 'POST', headers: { authorization: 'Bearer ' + tok, 'content-type': type }, body,
  })).json()).data;
  const html = await up('../evil".html', 'text/html', '<!doctype html><script>alert(1)</script>', 'inline');
  let res = await fetch(html.url);
  assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.match(res.headers.get('content-disposition'), /^attachment; filename="evil_.html"/);
  assert.match(res.headers.get('content-security-policy'), /sandbox/);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  const data = await up('digits.bin', 'application/octet-stream', new Uint8Array(Array.from({ length: 100 }, (_, i) => i)));
  // The md5 of the bytes stored, as the server answers it.
  assert.equal(data.md5, createHash('md5').update(Uint8Array.from({ length: 100 }, (_, i) => i)).digest('hex'));
  res = await fetch(data.url, { headers: { range: 'bytes=10-19' } });
  assert.equal(res.status, 206);
  assert.equal(res.headers.get('content-range'), 'bytes 10-19/100');
  assert.deepEqual([...new Uint8Array(await res.arrayBuffer())], [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  res = await fetch(data.url, { headers: { range: 'bytes=90-9223372036854775807' } });
  assert.equal(res.status, 206);
  assert.equal(res.headers.get('content-range'), 'bytes 90-99/100');
  assert.equal((await res.arrayBuffer()).byteLength, 10);
  // Several ranges: the relay answers with the whole file (workerd may
  // then cut the first range out of it itself).
  res = await fetch(data.url, { headers: { range: 'bytes=0-1,5-6' } });
  const whole = new Uint8Array(await res.arrayBuffer());
  assert.ok(res.status === 200 ? whole.length === 100 : res.status === 206 && whole[0] === 0, `several ranges: ${res.status}, ${whole.length} bytes`);
  assert.equal((await fetch(data.url, { headers: { range: 'bytes=100-' } })).status, 416);
  assert.equal((await fetch(relay.url + '/v1/files/..%2F..%2Fsecret')).status, 404);
});
