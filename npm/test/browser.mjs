// Browser harness: a static server for this package (the page imports
// index.js straight from the folder, no bundler), and pages that are SDK
// users, in any of the three engines (engines.mjs).
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, extname } from 'node:path';
import { launch as launchEngine } from './engines.mjs';

export { engines } from './engines.mjs';

const pkgDir = new URL('../', import.meta.url);
const types = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html', '.json': 'application/json' };

// serveStatic serves the npm folder on a loopback port. Nothing is cached
// (a fresh context's start is a cold start in every engine, whose contexts
// may share a cache), and a test may set web.hook(url, res) to see each
// request first and answer it itself by returning true (the same in every
// engine, unlike a driver's request interception).
export async function serveStatic() {
  const web = { hook: null };
  const srv = createServer(async (req, res) => {
    try {
      const u = new URL(req.url, 'http://x');
      if (web.hook?.(u, res)) return;
      res.setHeader('cache-control', 'no-store');
      const path = decodeURIComponent(u.pathname);
      if (path === '/' || path === '/page.html') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!doctype html><meta charset="utf-8"><title>imwasm test</title><script type="module">import * as RongIMLib from "/index.js"; window.RongIMLib = RongIMLib; window.sdkLoaded = true;</script>');
        return;
      }
      if (path === '/connect.html') {
        // An app's first page: its own module script calls init and connect
        // (serverUrl, appkey and token in the fragment, as JSON).
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!doctype html><meta charset="utf-8"><title>imwasm connect</title><script type="module">import * as RongIMLib from "/index.js"; window.RongIMLib = RongIMLib; window.sdkLoaded = true;' +
          'const o = JSON.parse(decodeURIComponent(location.hash.slice(1)));' +
          'RongIMLib.init({ appkey: o.appkey, serverUrl: o.serverUrl, logLevel: "error" });' +
          'RongIMLib.connect(o.token).then((r) => { window.connected = { code: r.code, msg: r.msg, at: performance.now() }; });</script>');
        return;
      }
      if (path.includes('..')) throw new Error('no');
      const body = await readFile(new URL('.' + path, pkgDir));
      res.writeHead(200, { 'content-type': types[extname(path)] || 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  return Object.assign(web, { url: `http://127.0.0.1:${srv.address().port}`, close: () => srv.close() });
}

// closeAll runs each closer in turn, also after one failed (a server left
// running would keep the test process alive), then throws the first error.
export async function closeAll(...closers) {
  let first;
  for (const close of closers) {
    try { await close(); } catch (e) { first ??= e; }
  }
  if (first) throw first;
}

// launch starts a browser of the engine (chromium, firefox or webkit).
export function launch(engine = 'chromium') {
  return launchEngine(engine);
}

// openUser opens a fresh browser context (its own storage: a device) on
// the test page, with every SDK event recorded in window.events.
export async function openUser(browser, pageURL, server, user, context) {
  context = context || await browser.newContext();
  const page = await context.newPage();
  await connectPage(page, pageURL, server, user);
  return { page, context, user };
}

// connectPage loads the test page in page and connects user; window.events
// records every SDK event from then on.
export async function connectPage(page, pageURL, server, user, { wait = true, init = {} } = {}) {
  page.on('pageerror', (e) => console.error(`[${user} page error]`, e));
  await page.goto(pageURL + '/page.html');
  await page.waitForFunction(() => window.sdkLoaded);
  const res = await page.evaluate(async ({ serverUrl, token, wait, extra }) => {
    window.events = [];
    for (const name of Object.values(RongIMLib.Events)) {
      RongIMLib.addEventListener(name, (payload) => window.events.push([name, payload]));
    }
    RongIMLib.init({ appkey: 'node-test-app', serverUrl, logLevel: 'error', ...extra });
    const connected = RongIMLib.connect(token);
    return wait ? connected : { code: 0 };
  }, { serverUrl: server.url, token: server.token(user), wait, extra: init });
  if (res.code !== 0) throw new Error(`${user} connect: ${JSON.stringify(res)}`);
  if (wait) await page.waitForFunction(() => window.events.some(([n]) => n === 'PULL_OFFLINE_MESSAGE_FINISHED'));
}

// eventsOf returns the payloads of the events named name a page was given.
export const eventsOf = (x, name) => x.page.evaluate((name) => window.events.filter(([n]) => n === name).map(([, p]) => p), name);

// waitIn polls list(x) until an item satisfies pred (15 s).
async function waitIn(list, x, pred, what) {
  const deadline = Date.now() + 15000;
  for (;;) {
    const hit = (await list(x)).find(pred);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`${x.user}: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// waitEvent waits for x's event name whose payload satisfies pred.
export const waitEvent = (x, name, pred, what) => waitIn((x) => eventsOf(x, name), x, pred, what);

// gotOf and waitGot are eventsOf and waitEvent for pages of the vendor
// modules, whose test handlers record [handler name, payload] in window.got.
export const gotOf = (x, name) => x.page.evaluate((name) => window.got.filter(([n]) => n === name).map(([, m]) => m), name);
export const waitGot = (x, name, pred, what) => waitIn((x) => gotOf(x, name), x, pred, what);

// messagesOf returns the messages a page was given, in order.
export function messagesOf(u) {
  return u.page.evaluate(() => window.events.filter(([n]) => n === 'MESSAGES').flatMap(([, p]) => p.messages));
}

export async function waitMessages(u, pred, what) {
  const deadline = Date.now() + 15000;
  for (;;) {
    const ms = await messagesOf(u);
    const hit = ms.find(pred);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`${u.user}: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// bind gives a vendor doc's code block its placeholders' values: each key
// (which the block must contain) is replaced by its value, and nothing else.
export function bind(code, values = {}) {
  for (const [from, to] of Object.entries(values)) {
    if (!code.includes(from)) throw new Error(`the block has no ${from}`);
    code = code.replaceAll(from, to);
  }
  return code;
}
