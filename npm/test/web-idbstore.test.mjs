// The Go tests of the IndexedDB store (jsbridge/idbstore: the client.Store
// conformance suite, two tabs, a callback's panic) in each browser engine's
// own IndexedDB, where make test-wasm runs them on fake-indexeddb in Node.
// `go test -c` builds the test binary for js/wasm; a page runs it with
// Go's wasm_exec.js and hands back its output and exit code.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, engines } from './browser.mjs';

const root = new URL('../../', import.meta.url).pathname;
const go = process.env.GO || 'go';

// The page runs the binary as `go test` would run it (the flags are the
// test binary's; -test.timeout makes a hang a failure with every
// goroutine's stack, not a silent page timeout) and sets window.result.
const page = `<!doctype html><meta charset="utf-8"><title>idbstore test</title>
<script src="/wasm_exec.js"></script>
<script type="module">
let output = '';
const decoder = new TextDecoder();
const write = globalThis.fs.writeSync.bind(globalThis.fs);
globalThis.fs.writeSync = (fd, buf) => { output += decoder.decode(buf, { stream: true }); return write(fd, buf); };
const go = new Go();
go.argv = ['idbstore.test', '-test.v', '-test.timeout=45s'];
go.env = {};
let code = null;
go.exit = (c) => { code = c; };
try {
  const { instance } = await WebAssembly.instantiateStreaming(fetch('/test.wasm'), go.importObject);
  await go.run(instance);
  window.result = { code, output };
} catch (e) {
  window.result = { code: -1, output: output + '\\n' + (e.stack || e) };
}
</script>`;

let dir, web;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imwasm-idbstore-'));
  const bin = join(dir, 'idbstore.test.wasm');
  execFileSync(go, ['test', '-c', '-o', bin, './jsbridge/idbstore'], {
    cwd: root, env: { ...process.env, GOOS: 'js', GOARCH: 'wasm' }, stdio: ['ignore', 'inherit', 'inherit'],
  });
  // The glue of the Go that built the binary (they must match).
  const goroot = execFileSync(go, ['env', 'GOROOT'], { cwd: root }).toString().trim();
  const files = {
    '/wasm_exec.js': ['text/javascript', readFileSync(join(goroot, 'lib', 'wasm', 'wasm_exec.js'))],
    '/test.wasm': ['application/wasm', readFileSync(bin)],
    '/': ['text/html', page],
  };
  const srv = createServer((req, res) => {
    const f = files[new URL(req.url, 'http://x').pathname];
    if (!f) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': f[0] });
    res.end(f[1]);
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  web = { url: `http://127.0.0.1:${srv.address().port}/`, close: () => srv.close() };
});

after(async () => {
  web?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

for (const engine of engines()) describe(engine, () => {
  let browser;
  before(async () => { browser = await launch(engine); });
  after(async () => { await browser?.close(); });

  test(`the IndexedDB store passes its Go tests in ${engine}`, { timeout: 90000 }, async () => {
    const ctx = await browser.newContext(); // its own, empty IndexedDB
    try {
      const p = await ctx.newPage();
      await p.goto(web.url);
      await p.waitForFunction(() => window.result, null, { timeout: 55000 });
      const { code, output } = await p.evaluate(() => window.result);
      assert.equal(code, 0, output);
      // They ran: the suite's parts and the store's own tests passed by name.
      for (const name of ['TestStoreContract/Sends', 'TestStoreContract/History', 'TestStoreContract/Atomic',
        'TestStoreContract/Isolation', 'TestApplyKeepsBatchWhenAnotherTabStoredAMessage',
        'TestPanicInCallbackFailsTheTransaction', 'TestSchemaIsVersion1']) {
        assert.match(output, new RegExp(`--- PASS: ${name} `), `${name} did not pass:\n${output}`);
      }
    } finally {
      await ctx.close();
    }
  });
});
