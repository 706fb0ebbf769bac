// One SDK user for harness.mjs: runs RPC calls against `imwasm` and posts
// every event back.
import { parentPort, workerData } from 'node:worker_threads';
import WebSocket from 'ws';

// With workerData.idb the SDK keeps its data in IndexedDB (fake-indexeddb,
// in memory for the worker's life), as in a browser.
if (workerData?.idb) await import('fake-indexeddb/auto');
const RongIMLib = await import('../index.js');

const forwarded = new Set();

// '$TrackedWebSocket' is the ws package's WebSocket with every socket made
// kept, for '$sockets' (their readyStates, oldest first).
const sockets = [];
class TrackedWebSocket extends WebSocket {
  constructor(...args) {
    super(...args);
    sockets.push(this);
  }
}

function revive(a) {
  // {$class: 'TextMessage', content} -> new RongIMLib.TextMessage(content)
  if (a && typeof a === 'object' && a.$class) return new RongIMLib[a.$class](a.content);
  // {$custom: [name, isPersited, isCounted, isStatusMessage], content}: a registerMessageType class
  if (a && typeof a === 'object' && a.$custom) {
    const [name, persisted, counted, status] = a.$custom;
    return new (RongIMLib.registerMessageType(name, persisted, counted, [], status))(a.content);
  }
  if (a === '$WebSocket') return WebSocket;
  if (a === '$TrackedWebSocket') return TrackedWebSocket;
  if (a && typeof a === 'object' && !Array.isArray(a)) {
    return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, revive(v)]));
  }
  return a;
}

parentPort.on('message', async ({ id, fn, args }) => {
  try {
    if (fn === '$listen') {
      for (const name of args) {
        if (forwarded.has(name)) continue;
        forwarded.add(name);
        RongIMLib.addEventListener(name, (payload) => parentPort.postMessage({ event: name, payload }));
      }
      parentPort.postMessage({ id, result: null });
      return;
    }
    if (fn === '$sockets') {
      parentPort.postMessage({ id, result: sockets.map((ws) => ws.readyState) });
      return;
    }
    const result = await RongIMLib[fn](...args.map(revive));
    parentPort.postMessage({ id, result: result === undefined ? null : result });
  } catch (e) {
    parentPort.postMessage({ id, error: String(e && e.stack || e) });
  }
});
