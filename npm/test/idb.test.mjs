// The IndexedDB store in Node through fake-indexeddb: what a device keeps
// across a restart of the SDK (init and connect again in the same realm).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, User } from './harness.mjs';

test('IndexedDB keeps history, unread counts and cursors across a restart', async () => {
  const server = await startServer();
  const bob = new User({ idb: true });
  const alice = new User();
  try {
    for (const [u, name] of [[bob, 'bob'], [alice, 'alice']]) {
      await u.call('$listen', 'MESSAGES', 'PULL_OFFLINE_MESSAGE_FINISHED');
      await u.call('init', { appkey: 'node-test-app', serverUrl: server.url, WebSocket: '$WebSocket', logLevel: 'error' });
      assert.equal((await u.call('connect', server.token(name))).code, 0);
    }
    for (const t of ['one', 'two']) {
      assert.equal((await alice.call('sendMessage', { conversationType: 1, targetId: 'bob' }, { $class: 'TextMessage', content: { content: t } })).code, 0);
    }
    await bob.until(() => bob.messages().length === 2, 'two messages');
    const conv = { conversationType: 1, targetId: 'alice' };
    assert.equal((await bob.call('getUnreadCount', conv)).data, 2);

    // Restart: a new engine on the same database.
    await bob.call('disconnect');
    bob.events.length = 0;
    await bob.call('init', { appkey: 'node-test-app', serverUrl: server.url, WebSocket: '$WebSocket', logLevel: 'error' });
    assert.equal((await bob.call('connect', server.token('bob'))).code, 0);
    await bob.until((evs) => evs.some(([n]) => n === 'PULL_OFFLINE_MESSAGE_FINISHED'), 'sync');
    assert.equal(bob.messages().length, 0, 'held messages were delivered again');
    assert.equal((await bob.call('getUnreadCount', conv)).data, 2);
    const h = await bob.call('getHistoryMessages', conv, { count: 10 });
    assert.deepEqual(h.data.list.map((m) => m.content.content), ['two', 'one']);
    assert.equal(h.data.hasMore, false);
    // And what comes next arrives once.
    await alice.call('sendMessage', { conversationType: 1, targetId: 'bob' }, { $class: 'TextMessage', content: { content: 'three' } });
    await bob.until(() => bob.messages().length === 1, 'the next message');
    assert.equal(bob.messages()[0].content.content, 'three');
  } finally {
    await bob.close();
    await alice.close();
    await server.stop();
  }
});
