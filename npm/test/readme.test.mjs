// Runs the README's code blocks marked runnable, as written, against a real
// server: the placeholders APP_KEY, SERVER_URL, TOKEN and WebSocket are
// bound to a test server and the `ws` package, and 'imwasm' to this package.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { startServer } from './harness.mjs';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const blocks = [...readme.matchAll(/<!-- runnable[^>]*-->\s*```js\n([\s\S]*?)```/g)].map((m) => m[1]);

test('README has runnable blocks', () => assert.ok(blocks.length > 0));

blocks.forEach((code, i) => {
  test(`README runnable block ${i + 1}`, async () => {
    const server = await startServer();
    try {
      const dir = mkdtempSync(join(tmpdir(), 'imwasm-readme-'));
      const file = join(dir, 'block.mjs');
      const pkg = new URL('../index.js', import.meta.url).href;
      const ws = new URL('../node_modules/ws/wrapper.mjs', import.meta.url).href;
      writeFileSync(file, [
        `import { default as WebSocket } from ${JSON.stringify(ws)};`,
        `const APP_KEY = 'node-test-app', SERVER_URL = ${JSON.stringify(server.url)}, TOKEN = ${JSON.stringify(server.token('alice'))};`,
        code.replace(/from 'imwasm'/g, `from ${JSON.stringify(pkg)}`),
        `const { parentPort } = await import('node:worker_threads'); parentPort.postMessage('done');`,
      ].join('\n'));
      await new Promise((resolve, reject) => {
        const w = new Worker(file);
        const t = setTimeout(() => { w.terminate(); reject(new Error('block did not finish')); }, 20000);
        w.on('message', () => { clearTimeout(t); w.terminate(); resolve(); });
        w.on('error', (e) => { clearTimeout(t); reject(e); });
      });
    } finally {
      await server.stop();
    }
  });
});
