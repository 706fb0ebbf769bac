// Test harness: a real imwasm server on a loopback port (the Go binary in
// ../bin), tokens from its `token` command, and SDK users each in a worker
// thread of their own (the SDK is a singleton per JS realm, like RongIMLib).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

const root = new URL('../../', import.meta.url).pathname;
export const bin = join(root, 'bin', 'imwasm');
export const appKey = 'node-test-app';
export const appSecret = 'node-test-secret-0123456789';

export async function startServer(extra = []) {
  const dir = mkdtempSync(join(tmpdir(), 'imwasm-node-'));
  const proc = spawn(bin, ['serve', '--addr', '127.0.0.1:0', '--data', dir, '--app-key', appKey,
    '--app-secret', appSecret, '--send-rate', '0', '--log-level', 'warn', ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (b) => {
      out += b;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) resolve(m[1]);
    });
    proc.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
    setTimeout(() => reject(new Error('server did not start')), 10000);
  });
  return {
    url,
    proc,
    token: (user) => execFileSync(bin, ['token', '--app-secret', appSecret, '--user', user]).toString().trim(),
    // Waits for the server to exit before removing its folder: a graceful
    // shutdown still writes there (removing it meanwhile failed with
    // ENOTEMPTY).
    stop: async () => {
      await stopProcess(proc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// adminToken is an app-server token, made once (a process of the binary per
// call cost ~70 ms, blocking: 1,500 sends took over 100 s).
let adminTok;
export const adminToken = () => (adminTok ??= execFileSync(bin, ['token', '--app-secret', appSecret, '--admin']).toString().trim());

// admin calls the app-server API as the admin and answers the decoded body
// (throwing on a status other than 200).
export async function admin(server, method, path, body) {
  const tok = adminToken();
  const res = await fetch(server.url + path, {
    method, headers: { authorization: 'Bearer ' + tok, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

// adminSend posts private messages as from to to through the app-server API
// (counted, like RC:TxtMsg from an SDK), parallel at a time.
export async function adminSend(server, from, to, texts, parallel = 16) {
  for (let i = 0; i < texts.length; i += parallel) {
    await Promise.all(texts.slice(i, i + parallel).map((t, j) => admin(server, 'POST', '/v1/messages', {
      fromUserId: from, conversationType: 1, targetIds: [to], objectName: 'RC:TxtMsg', content: { content: t }, clientMsgId: `${from}-${to}-${i + j}-${t.length}`,
    })));
  }
}

// fromPeers posts one message from each of n peers (peer0, peer1, …) to
// user through the app-server API, 20 at a time: n conversations, as the
// benches' conversation list has them.
export async function fromPeers(server, user, n) {
  const tok = adminToken();
  for (let k = 0; k < n; k += 20) {
    await Promise.all(Array.from({ length: Math.min(20, n - k) }, (_, j) => fetch(server.url + '/v1/messages', {
      method: 'POST', headers: { authorization: 'Bearer ' + tok, 'content-type': 'application/json' },
      body: JSON.stringify({ fromUserId: `peer${k + j}`, conversationType: 1, targetIds: [user], objectName: 'RC:TxtMsg', content: { content: `m${k + j}` }, clientMsgId: `${user}-${k + j}` }),
    }).then((r) => { if (r.status !== 200) throw new Error(`send: HTTP ${r.status}`); })));
  }
}

// pause stops proc with SIGSTOP and returns once the kernel says it is
// stopped (state T in /proc), so that what the test does next meets a
// server that answers nothing; resume continues it.
export async function pause(proc) {
  proc.kill('SIGSTOP');
  for (let i = 0; i < 500; i++) {
    const stat = readFileSync(`/proc/${proc.pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('T')) return;
    await new Promise((r) => setTimeout(r, 10)); // polling a condition
  }
  throw new Error('the server did not stop');
}

export function resume(proc) {
  proc.kill('SIGCONT');
}

// stopProcess sends SIGTERM and waits for the process to exit (SIGKILL
// after 10 s), so that its files can be removed.
export async function stopProcess(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 10000);
  await exited;
  clearTimeout(timer);
}

// A user: an SDK instance in a worker thread, driven by RPC. Every event
// it receives is recorded in order.
export class User {
  constructor({ idb = false } = {}) {
    this.worker = new Worker(new URL('./user-worker.mjs', import.meta.url), { workerData: { idb } });
    this.pending = new Map();
    this.events = [];
    this.waiters = [];
    this.seq = 0;
    this.worker.on('message', (m) => {
      if (m.event) {
        this.events.push([m.event, m.payload]);
        this.waiters = this.waiters.filter((w) => !w());
        return;
      }
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error) p.reject(new Error(m.error)); else p.resolve(m.result);
    });
  }

  // call runs RongIMLib[fn](...args) in the worker; message classes are
  // named by {class, content} and rebuilt there.
  call(fn, ...args) {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, fn, args });
    });
  }

  // until waits for a predicate over the recorded events.
  until(pred, what = 'events', ms = 10000) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const v = pred(this.events);
        if (v) { clearTimeout(t); resolve(v); return true; }
        return false;
      };
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
      if (!check()) this.waiters.push(check);
    });
  }

  messages() {
    return this.events.filter(([n]) => n === 'MESSAGES').flatMap(([, p]) => p.messages);
  }

  close() { return this.worker.terminate(); }
}
