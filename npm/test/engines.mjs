// The three browser engines behind one small API, so that every browser
// test runs in each: Chromium (Debian's, driven by playwright-core),
// Firefox (Debian's firefox-esr over WebDriver BiDi, driven by
// puppeteer-core) and WebKit (WebKitGTK's MiniBrowser, driven by
// WebKitWebDriver through the `webdriver` client, on an Xvfb display of
// its own). Nothing is downloaded: each binary comes from Debian.
//
// The API is the part of Playwright's the tests use:
//   browser = await launch(engine)      browser.engine, version(), newContext(), close()
//   context = await browser.newContext({ viewport })  (own storage: a device) newPage(), close()
//   page: goto(url, { timeout }), reload(), evaluate(fn, arg), waitForFunction(fn, arg, { timeout }),
//         waitForTimeout(ms), on('pageerror', f), close(),
//         and real input on the first element a CSS selector matches: click(sel), fill(sel, text),
//         press(sel, 'Enter'), setInputFiles(sel, { name, mimeType, buffer }), screenshot({ path })
// evaluate's argument and result: structured values in Chromium and
// Firefox, JSON in WebKit (WebDriver classic): undefined and NaN arrive as
// null, a Date as a string; tests pass and return plain data. Page errors
// reach on('pageerror') in Chromium and Firefox only. Clicks and typing
// wait for their element (up to 15 s) in every engine.
//
// IMWASM_BROWSERS=chromium,firefox picks engines (default: all three).
import { spawn } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ALL_ENGINES = ['chromium', 'firefox', 'webkit'];

// engines are the engines this run tests.
export function engines() {
  const pick = (process.env.IMWASM_BROWSERS || '').split(',').map((s) => s.trim()).filter(Boolean);
  if (pick.length === 0) return ALL_ENGINES;
  for (const e of pick) if (!ALL_ENGINES.includes(e)) throw new Error(`IMWASM_BROWSERS: unknown engine ${e}`);
  return pick;
}

export const binaries = {
  chromium: process.env.CHROMIUM || '/usr/bin/chromium',
  firefox: process.env.FIREFOX || '/usr/bin/firefox-esr',
  webkitDriver: process.env.WEBKIT_DRIVER || '/usr/bin/WebKitWebDriver',
  // Installed by Debian's libwebkit2gtk-4.1-0 (dpkg -L shows it), under
  // the machine's multiarch folder.
  miniBrowser: process.env.MINIBROWSER || ['x86_64-linux-gnu', 'aarch64-linux-gnu']
    .map((a) => `/usr/lib/${a}/webkit2gtk-4.1/MiniBrowser`).find((f) => existsSync(f)) || 'MiniBrowser',
};

const ELEMENT_WAIT = 15000;

// Processes the WebKit harness starts (Xvfb, drivers: each in its own
// process group, with the MiniBrowser it starts) are killed when this
// process exits, also when a run ends without browser.close().
const children = new Set();
process.on('exit', () => { for (const c of children) killGroup(c); });

function spawnOwned(cmd, args, opts) {
  const c = spawn(cmd, args, { ...opts, detached: true });
  children.add(c);
  c.on('exit', () => children.delete(c));
  return c;
}

function killGroup(c) {
  try { process.kill(-c.pid, 'SIGKILL'); } catch { /* gone */ }
}

export async function launch(engine) {
  switch (engine) {
    case 'chromium': return launchChromium();
    case 'firefox': return launchFirefox();
    case 'webkit': return launchWebKit();
    default: throw new Error(`unknown engine ${engine}`);
  }
}

async function launchChromium() {
  const { chromium } = await import('playwright-core');
  const b = await chromium.launch({
    executablePath: binaries.chromium,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  // Playwright's objects already have this API.
  b.engine = 'chromium';
  return b;
}

async function launchFirefox() {
  const { default: puppeteer } = await import('puppeteer-core');
  const b = await puppeteer.launch({
    browser: 'firefox', executablePath: binaries.firefox, headless: true,
    extraPrefsFirefox: {
      // No update checks or telemetry in a test profile.
      'app.update.enabled': false, 'datareporting.policy.dataSubmissionEnabled': false,
      // Every page but one is a background tab to Firefox, whose timers it
      // clamps to 1 s (a page's setTimeout(220) took 1,000 ms): off, as
      // Playwright turns Chromium's off, so that tests wait on the SDK,
      // not on the clamp. A real background tab keeps it; the SDK's timers
      // are seconds long.
      'dom.min_background_timeout_value': 4,
      'dom.min_background_timeout_value_without_budget_throttling': 4,
      'dom.timeout.enable_budget_timer_throttling': false,
    },
  });
  const uploads = mkdtempSync(join(tmpdir(), 'imwasm-uploads-'));
  return {
    engine: 'firefox',
    version: () => b.version(),
    async newContext({ viewport } = {}) {
      const ctx = await b.createBrowserContext();
      return {
        async newPage() {
          // A window, not a tab: a background tab is hidden (document.hidden),
          // and apps rightly do less there (the demo marks nothing read).
          // Chromium's headless pages are all visible, and so are WebKit's windows.
          const p = await ctx.newPage({ type: 'window' });
          if (viewport) await p.setViewport(viewport);
          return puppeteerPage(p, uploads);
        },
        close: () => ctx.close(),
      };
    },
    async close() {
      await b.close();
      rmSync(uploads, { recursive: true, force: true });
    },
  };
}

function puppeteerPage(p, uploads) {
  return {
    goto: (url, { timeout } = {}) => p.goto(url, timeout ? { timeout } : undefined),
    reload: () => p.reload(),
    evaluate: (fn, arg) => p.evaluate(fn, arg),
    waitForFunction: (fn, arg, { timeout = 30000 } = {}) => p.waitForFunction(fn, { timeout, polling: 50 }, arg),
    waitForTimeout: (ms) => new Promise((r) => setTimeout(r, ms)),
    on: (ev, f) => { if (ev === 'pageerror') p.on('pageerror', f); },
    close: () => p.close(),
    // Locators wait for the element and act again if a re-render replaced it.
    click: (sel) => p.locator(sel).setTimeout(ELEMENT_WAIT).click(),
    fill: (sel, text) => p.locator(sel).setTimeout(ELEMENT_WAIT).fill(text),
    async press(sel, key) {
      await p.locator(sel).setTimeout(ELEMENT_WAIT).click();
      await p.keyboard.press(key);
    },
    async setInputFiles(sel, file) {
      const el = await p.locator(sel).setTimeout(ELEMENT_WAIT).waitHandle();
      await el.uploadFile(pickable(uploads, file));
    },
    screenshot: ({ path }) => p.screenshot({ path }),
  };
}

// pickable writes a file where a user would pick it from disk (drivers
// upload paths) and returns its path. The browser reads the file when it
// sends it, later: it stays until the browser closes (uploads dir).
function pickable(uploads, { name, buffer }) {
  const path = join(mkdtempSync(join(uploads, 'f-')), name);
  writeFileSync(path, buffer);
  return path;
}

// WebKit: WebDriver classic has no contexts and WebKitWebDriver holds one
// session, so a context is a driver with its session (a MiniBrowser process
// with its own ephemeral storage), all on one Xvfb display, and a page is
// one of the session's windows. A session runs one command at a time in
// its current window, so each page's commands take the session's turn and
// switch to their window first.
async function launchWebKit() {
  process.env.WDIO_LOG_LEVEL ??= 'silent'; // not its "connecting to driver" lines
  const { default: WebDriver } = await import('webdriver');
  const display = await startXvfb();
  const uploads = mkdtempSync(join(tmpdir(), 'imwasm-uploads-'));
  const contexts = new Set();
  let version = 'unknown'; // known from the first session
  return {
    engine: 'webkit',
    version: () => version,
    async newContext({ viewport } = {}) {
      const port = await freePort();
      const driver = spawnOwned(binaries.webkitDriver, [`--port=${port}`], {
        stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DISPLAY: display.name },
      });
      const failed = new Promise((_, reject) => driver.on('error', (e) => reject(new Error(`start WebKitWebDriver: ${e.message}`))));
      failed.catch(() => {});
      let s;
      try {
        s = await Promise.race([newSessionRetrying(WebDriver, port), failed]);
        // evaluate's promise may take long (a sync, an upload): the page
        // waits for it, not WebDriver's 30 s default.
        await s.setTimeouts(undefined, 60000, 120000);
        version = `WebKitGTK ${s.capabilities?.browserVersion}`;
        if (viewport) await s.setWindowRect(null, null, viewport.width, viewport.height);
      } catch (e) {
        killGroup(driver);
        throw e;
      }
      let turn = Promise.resolve();
      let current = await s.getWindowHandle();
      const exclusive = (handle, f) => {
        const run = turn.then(async () => {
          if (handle !== current) { await s.switchToWindow(handle); current = handle; }
          return f();
        });
        turn = run.catch(() => {});
        return run;
      };
      // Closing a session's last window ends the session (and its
      // storage): the last page closed is parked on about:blank instead,
      // and the next newPage takes it.
      const open = new Set();
      let spare = current;
      const ctx = {
        async newPage() {
          let handle = spare;
          spare = null;
          // A window, not a tab: a background tab is hidden (see Firefox's
          // newPage). It opens from an open one (none is current after a close).
          if (!handle) handle = (await exclusive(current ?? [...open][0], () => s.createWindow('window'))).handle;
          open.add(handle);
          const page = webdriverPage(s, handle, exclusive, uploads);
          page.close = async () => {
            if (!open.delete(handle)) return;
            if (open.size === 0) {
              await exclusive(handle, () => s.navigateTo('about:blank'));
              spare = handle;
            } else {
              await exclusive(handle, async () => {
                await s.closeWindow();
                current = null; // the session has no current window until a switch
              });
            }
          };
          return page;
        },
        async close() {
          if (!contexts.delete(ctx)) return;
          await s.deleteSession().catch(() => {});
          killGroup(driver); // and the MiniBrowser it started, if the session did not end it
        },
      };
      contexts.add(ctx);
      return ctx;
    },
    async close() {
      await Promise.all([...contexts].map((c) => c.close()));
      display.stop();
      rmSync(uploads, { recursive: true, force: true });
    },
  };
}

function webdriverPage(s, handle, exclusive, uploads) {
  const evaluate = (fn, arg) => exclusive(handle, async () => {
    const out = await s.executeAsyncScript(
      `const done = arguments[arguments.length - 1];
       Promise.resolve().then(() => (${fn})(arguments[0]))
         .then((v) => JSON.stringify({ v: v === undefined ? null : v }))
         .catch((e) => JSON.stringify({ err: String(e && e.message || e) + (e && e.stack ? '\\n' + e.stack : '') }))
         .then(done);`,
      [arg === undefined ? null : arg]);
    const r = JSON.parse(out);
    if ('err' in r) throw new Error(`evaluate in WebKit: ${r.err}`);
    return r.v;
  });
  return {
    goto: (url, { timeout } = {}) => exclusive(handle, async () => {
      if (timeout) await s.setTimeouts(undefined, timeout, undefined);
      try {
        return await s.navigateTo(url);
      } finally {
        if (timeout) await s.setTimeouts(undefined, 60000, undefined);
      }
    }),
    reload: () => exclusive(handle, () => s.refresh()),
    evaluate,
    async waitForFunction(fn, arg, { timeout = 30000 } = {}) {
      const deadline = Date.now() + timeout;
      for (;;) {
        const v = await evaluate(fn, arg);
        if (v) return v;
        if (Date.now() > deadline) throw new Error(`waitForFunction timed out after ${timeout} ms: ${fn}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    waitForTimeout: (ms) => new Promise((r) => setTimeout(r, ms)),
    on() {}, // WebDriver classic has no page error events
    click: (sel) => onElement(sel, (el) => s.elementClick(el)),
    fill: (sel, text) => onElement(sel, async (el) => { await s.elementClear(el); await s.elementSendKeys(el, text); }),
    press: (sel, key) => onElement(sel, (el) => s.elementSendKeys(el, { Enter: '\uE007' }[key] ?? key)),
    setInputFiles: (sel, file) => onElement(sel, (el) => s.elementSendKeys(el, pickable(uploads, file))),
    screenshot: ({ path }) => exclusive(handle, async () => writeFileSync(path, Buffer.from(await s.takeScreenshot(), 'base64'))),
  };
  // onElement waits for the element (the client answers a missing one
  // with an error object, not an exception) and acts on it; a page that
  // re-renders may replace it in between (a stale element): found again.
  function onElement(sel, f) {
    return exclusive(handle, async () => {
      const deadline = Date.now() + ELEMENT_WAIT;
      for (;;) {
        const found = await s.findElement('css selector', sel);
        const id = found?.['element-6066-11e4-a52e-4f735466cecf'];
        if (id) {
          try {
            return await f(id);
          } catch (e) {
            if (!/stale|was not found/i.test(String(e?.message))) throw e;
          }
        }
        if (Date.now() > deadline) throw new Error(`no element ${sel} after ${ELEMENT_WAIT} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    });
  }
}

// newSessionRetrying waits for the driver to listen (it starts in
// milliseconds, but a busy machine may take longer), then opens its session.
async function newSessionRetrying(WebDriver, port) {
  const deadline = Date.now() + 20000;
  while (!await accepts(port)) {
    if (Date.now() > deadline) throw new Error(`WebKitWebDriver did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return WebDriver.newSession({
    hostname: '127.0.0.1', port, logLevel: 'silent',
    // A failed command is not sent again (the client's default is 3 more
    // times: an evaluate that threw ran 4 times), and a request outlives
    // the 120 s script timeout the session sets.
    connectionRetryCount: 0, connectionRetryTimeout: 150000,
    capabilities: { 'webkitgtk:browserOptions': { binary: binaries.miniBrowser, args: ['--automation'] } },
  });
}

function accepts(port) {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.on('connect', () => { c.destroy(); resolve(true); });
    c.on('error', () => resolve(false));
  });
}

// startXvfb starts a virtual display of its own (-displayfd picks a free
// number and writes it to fd 3).
function startXvfb() {
  return new Promise((resolve, reject) => {
    const x = spawnOwned('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'],
      { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
    const fail = (e) => { clearTimeout(timer); killGroup(x); reject(e); };
    const timer = setTimeout(() => fail(new Error('Xvfb did not start in 20 s')), 20000);
    let out = '';
    x.stdio[3].on('data', (b) => {
      out += b;
      if (out.includes('\n')) { clearTimeout(timer); resolve({ name: ':' + out.trim(), stop: () => killGroup(x) }); }
    });
    x.on('error', fail);
    x.on('exit', (code) => fail(new Error(`Xvfb exited with ${code}`)));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}
