// `make cluster`: the demo on a cluster of two imwasm nodes sharing a
// PostgreSQL database, a NATS server and an S3-compatible file store
// (versitygw), all on this machine in a temporary folder; prints a link per
// user, each trying both nodes in turn (stop one with kill -9 and watch its
// users move to the other). Needs bin/imwasm and npm/dist (make build wasm),
// Debian's postgresql and nats-server, and versitygw (scripts/versitygw.sh
// builds it once, about 1.5 minutes).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync, chmodSync, chownSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startServer, seed, serveApp, links, stopProc } from './demo.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));

const freePort = () => new Promise((resolve, reject) => {
  const srv = createServer();
  srv.once('error', reject);
  srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
});

// waitFor polls check (another process's readiness) until it resolves true.
async function waitFor(what, check, ms = 30000) {
  const end = Date.now() + ms;
  for (;;) {
    try { if (await check()) return; } catch { /* not yet */ }
    if (Date.now() > end) throw new Error(`${what}: not ready within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const canConnect = (port) => new Promise((resolve) => {
  const s = createServer();
  s.once('error', () => resolve(true)); // taken: listening
  s.listen(port, '127.0.0.1', () => s.close(() => resolve(false)));
});

// postgres runs a throwaway PostgreSQL (as the postgres user when this
// runs as root, which PostgreSQL refuses to be).
async function postgres(dir) {
  const base = '/usr/lib/postgresql';
  const version = existsSync(base) && readdirSync(base).sort((a, b) => b - a)[0];
  if (!version) throw new Error('no PostgreSQL server here: apt-get install postgresql');
  const bin = join(base, version, 'bin');
  const asRoot = userInfo().uid === 0;
  const ids = asRoot ? { uid: Number(execFileSync('id', ['-u', 'postgres'])), gid: Number(execFileSync('id', ['-g', 'postgres'])) } : {};
  mkdirSync(dir, { recursive: true });
  if (asRoot) chownSync(dir, ids.uid, ids.gid);
  execFileSync(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-locale'], { ...ids, stdio: 'ignore' });
  const port = await freePort();
  const proc = spawn(join(bin, 'postgres'), ['-D', join(dir, 'data'), '-p', String(port), '-h', '127.0.0.1', '-k', dir], { ...ids, stdio: 'ignore' });
  await waitFor('PostgreSQL', () => { execFileSync(join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port)]); return true; });
  return { proc, url: `postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable` };
}

async function nats() {
  const port = await freePort();
  const proc = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  proc.on('error', () => {}); // reported by the wait below
  await waitFor('nats-server (apt-get install nats-server)', () => canConnect(port));
  return { proc, url: `nats://127.0.0.1:${port}` };
}

async function s3(dir) {
  const bin = execFileSync(join(root, 'scripts', 'versitygw.sh'), { stdio: ['ignore', 'pipe', 'inherit'] }).toString().trim();
  const port = await freePort();
  for (const d of ['meta', 'data']) mkdirSync(join(dir, d), { recursive: true });
  const access = 'imwasm-cluster', secret = 'imwasm-cluster-secret';
  const proc = spawn(bin, ['--port', `127.0.0.1:${port}`, '--quiet', '--access', access, '--secret', secret,
    'posix', '--sidecar', join(dir, 'meta'), join(dir, 'data')], { stdio: 'ignore' });
  await waitFor('versitygw', () => canConnect(port));
  return { proc, url: `s3://imwasm-files?endpoint=http://127.0.0.1:${port}&region=us-east-1&lookup=path`, access, secret };
}

/** startCluster starts everything and returns the nodes, the links and a stop function. */
export async function startCluster({ appPort = 8000, nodePorts = [8080, 8081] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'imwasm-cluster-'));
  chmodSync(dir, 0o711); // PostgreSQL's user reaches its folder inside
  const procs = [];
  const stop = async () => {
    for (const p of procs.reverse()) await stopProc(p);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const pg = await postgres(join(dir, 'pg'));
    procs.push(pg.proc);
    const bus = await nats();
    procs.push(bus.proc);
    const files = await s3(join(dir, 's3'));
    procs.push(files.proc);
    const env = { ...process.env, AWS_ACCESS_KEY_ID: files.access, AWS_SECRET_ACCESS_KEY: files.secret };
    const nodes = [];
    for (const [i, port] of nodePorts.entries()) {
      const node = await startServer(port, join(dir, `node${i}`), ['--store', pg.url, '--bus', bus.url, '--files', files.url], env);
      procs.push(node.proc);
      nodes.push(node);
    }
    await seed(nodes[0].url);
    const app = await serveApp(appPort);
    const urls = nodes.map((n) => n.url);
    const stopAll = async () => { app.srv.close(); await stop(); };
    return { nodes, appUrl: app.url, links: links(app.url, urls), stop: stopAll, pg, nats: bus, s3: files };
  } catch (e) {
    await stop();
    throw e;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const c = await startCluster({
    appPort: Number(process.env.IMWASM_DEMO_PORT || 8000),
    nodePorts: (process.env.IMWASM_CLUSTER_PORTS || '8080,8081').split(',').map(Number),
  });
  console.log(`imwasm cluster: nodes ${c.nodes.map((n) => n.url).join(' and ')} (pids ${c.nodes.map((n) => n.proc.pid).join(', ')})`);
  console.log(`  PostgreSQL ${c.pg.url}\n  NATS ${c.nats.url}\n  S3 ${c.s3.url}\n  chat app ${c.appUrl}\n`);
  console.log('Open one link per user (each in its own browser profile or private window); each tries both nodes:\n');
  for (const [u, link] of Object.entries(c.links)) console.log(`  ${u.padEnd(6)} ${link}\n`);
  console.log('kill -9 a node and its users move to the other. Ctrl-C stops everything.');
  const stop = async () => { await c.stop(); process.exit(0); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
