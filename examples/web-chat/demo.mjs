// `make demo`: the imwasm server on its embedded default, demo users and a
// group, and the web chat served beside the npm package; prints a link per
// user (the token rides in the link's fragment, never in a request).
// Needs bin/imwasm and npm/dist (make build wasm); Node ≥ 20, nothing else.
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import { join, extname, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin', 'imwasm');
const appKey = 'demo-app';
const appSecret = 'demo-secret-0123456789';
const users = ['alice', 'bob', 'carol'];
const types = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json' };

const listen = (srv, port) => new Promise((resolve, reject) => {
  srv.once('error', reject);
  srv.listen(port, '127.0.0.1', () => resolve(srv.address().port));
});

// serveApp serves the chat at / and the npm package at /imwasm/.
export async function serveApp(port) {
  const dirs = { '/imwasm/': join(root, 'npm'), '/': join(root, 'examples', 'web-chat') };
  const srv = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const prefix = path.startsWith('/imwasm/') ? '/imwasm/' : '/';
    const rel = normalize(path.slice(prefix.length) || 'index.html');
    if (rel.startsWith('..')) { res.writeHead(404); res.end(); return; }
    try {
      const body = await readFile(join(dirs[prefix], rel));
      res.writeHead(200, { 'content-type': types[extname(rel)] || 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  let bound;
  try {
    bound = await listen(srv, port);
  } catch {
    bound = await listen(srv, 0); // taken: any free port
  }
  return { srv, url: `http://127.0.0.1:${bound}` };
}

// startServer runs `imwasm serve` (with more flags, for a cluster's node)
// and resolves its URL.
export function startServer(port, dataDir, more = [], env = process.env) {
  mkdirSync(dataDir, { recursive: true });
  const proc = spawn(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--data', dataDir, '--app-key', appKey, '--app-secret', appSecret, '--log-level', 'warn', ...more],
    { stdio: ['ignore', 'pipe', 'inherit'], env });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (b) => {
      out += b;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) resolve({ proc, url: m[1] });
    });
    proc.on('exit', (code) => reject(new Error(`imwasm serve exited with ${code} (port ${port} taken? set IMWASM_DEMO_SERVER_PORT)`)));
  });
}

const token = (args) => execFileSync(bin, ['token', '--app-secret', appSecret, ...args]).toString().trim();

// admin calls a server's admin API: {status, body}.
export async function admin(serverUrl, method, path, body) {
  const res = await fetch(serverUrl + path, {
    method, headers: { authorization: 'Bearer ' + token(['--admin']), 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

// stopProc stops a child process and resolves once it has exited.
export function stopProc(proc, signal = 'SIGTERM') {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill(signal);
  return exited;
}

// seed makes the demo group and its welcome message (kept if it exists).
export async function seed(serverUrl) {
  // Web Push to the users' browsers while their chat is closed (the bell).
  const st = await admin(serverUrl, 'PUT', '/v1/settings', { webPushEnabled: true });
  if (st.status !== 200) throw new Error('turn Web Push on: ' + JSON.stringify(st.body));
  const g = await admin(serverUrl, 'POST', '/v1/groups', { groupId: 'team', name: 'team', ownerId: 'alice', memberIds: users });
  if (g.status === 200) {
    await admin(serverUrl, 'POST', '/v1/messages', {
      fromUserId: 'alice', conversationType: 3, targetIds: ['team'], objectName: 'RC:TxtMsg',
      content: { content: 'Welcome to the imwasm demo group 👋' }, clientMsgId: 'demo-welcome',
    });
  } else if (g.status !== 409) {
    throw new Error('create the demo group: ' + JSON.stringify(g.body));
  }
}

// links are the chat's link per user; servers, the server URLs to try in
// order (the nodes of a cluster), comma-separated in the link.
export function links(appUrl, servers) {
  return Object.fromEntries(users.map((u) => [u,
    `${appUrl}/#user=${u}&token=${token(['--user', u, '--ttl', '24h'])}&server=${encodeURIComponent(servers.join(','))}&appkey=${appKey}`]));
}

/** startDemo starts everything and returns the links and a stop function. */
export async function startDemo({ appPort = 8000, serverPort = 8080, dataDir = join(root, 'data-demo'), serverFlags = [] } = {}) {
  const server = await startServer(serverPort, dataDir, serverFlags);
  await seed(server.url);
  const app = await serveApp(appPort);
  return {
    serverUrl: server.url, appUrl: app.url, links: links(app.url, [server.url]),
    // Resolves once the server has exited (its data folder is then free).
    stop: () => {
      app.srv.close();
      return stopProc(server.proc);
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const d = await startDemo({
    appPort: Number(process.env.IMWASM_DEMO_PORT || 8000),
    serverPort: Number(process.env.IMWASM_DEMO_SERVER_PORT || 8080),
  });
  console.log(`imwasm demo: server ${d.serverUrl}, chat app ${d.appUrl}\n`);
  console.log('Open one link per user (each in its own browser profile or private window):\n');
  for (const [u, link] of Object.entries(d.links)) console.log(`  ${u.padEnd(6)} ${link}\n`);
  console.log('They share the group "team"; start a private chat by typing a user id. Ctrl-C stops the demo.');
  const stop = async () => { await d.stop(); process.exit(0); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
