// A later init replaces the SDK instance of the one before (each init
// starts a Go runtime of its own): the one replaced closes its engine, so
// its WebSocket closes, and its last events no longer reach the listeners.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, User } from './harness.mjs';

const CLOSED = 3;
const OPEN = 1;

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

test('init again closes the engine of the init before', async () => {
  const u = new User();
  try {
    await u.call('$listen', 'DISCONNECT');
    const options = { appkey: 'node-test-app', serverUrl: server.url, WebSocket: '$TrackedWebSocket', logLevel: 'error' };
    await u.call('init', options);
    assert.equal((await u.call('connect', server.token('alice'))).code, 0);
    assert.deepEqual(await u.call('$sockets'), [OPEN]);

    await u.call('init', options);
    const deadline = Date.now() + 10000;
    while ((await u.call('$sockets'))[0] !== CLOSED) {
      assert.ok(Date.now() < deadline, 'the first init\'s WebSocket is still open');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const r = await u.call('connect', server.token('alice'));
    assert.equal(r.code, 0, JSON.stringify(r));
    assert.deepEqual(await u.call('$sockets'), [CLOSED, OPEN]);
    assert.deepEqual(u.events, [], 'the instance replaced told the listeners it disconnected');
  } finally {
    await u.close();
  }
});
