// A stand-in for a browser vendor's push service (RFC 8030) on a loopback
// port: the subscription's keys are made here, as a browser makes them;
// each push must carry a VAPID Authorization and the aes128gcm encoding,
// and is decrypted with the subscription's keys (RFC 8291) and kept. The
// browser tests stub PushManager.subscribe with subscription(), since the
// browsers here cannot reach their real push services.
import { createServer } from 'node:http';
import { createECDH, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

function decrypt(ecdh, auth, body) {
  const salt = body.subarray(0, 16);
  const idlen = body[20];
  const asPublic = body.subarray(21, 21 + idlen);
  const secret = ecdh.computeSecret(asPublic);
  const info = Buffer.concat([Buffer.from('WebPush: info\0'), ecdh.getPublicKey(), asPublic]);
  const ikm = Buffer.from(hkdfSync('sha256', secret, auth, info, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const data = body.subarray(21 + idlen);
  const d = createDecipheriv('aes-128-gcm', cek, nonce);
  d.setAuthTag(data.subarray(data.length - 16));
  const plain = Buffer.concat([d.update(data.subarray(0, data.length - 16)), d.final()]);
  let end = plain.length;
  while (end > 0 && plain[end - 1] === 0) end--;
  if (plain[end - 1] !== 2) throw new Error('no last-record delimiter');
  return JSON.parse(plain.subarray(0, end - 1).toString());
}

export async function startPushService() {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = randomBytes(16);
  const pushes = [];
  const refused = [];
  const srv = createServer((req, res) => {
    const parts = [];
    req.on('data', (b) => parts.push(b));
    req.on('end', () => {
      try {
        if (!/^vapid t=[\w-]+\.[\w-]+\.[\w-]+, k=[\w-]+$/.test(req.headers.authorization ?? '')) throw new Error('no VAPID authorization');
        if (req.headers['content-encoding'] !== 'aes128gcm') throw new Error('content encoding ' + req.headers['content-encoding']);
        pushes.push(decrypt(ecdh, auth, Buffer.concat(parts)));
        res.writeHead(201).end();
      } catch (e) {
        refused.push(e.message);
        res.writeHead(400).end();
      }
    });
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const endpoint = `http://127.0.0.1:${srv.address().port}/push/1`;
  return {
    pushes,
    refused,
    // What the page's stubbed PushManager.subscribe resolves with.
    subscription: { endpoint, p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') },
    // waitPush waits up to 15 s for the nth push (0-based).
    async waitPush(n = 0) {
      for (let i = 0; pushes.length <= n; i++) {
        if (refused.length) throw new Error('pushes refused: ' + refused.join('; '));
        if (i > 300) throw new Error('no push came');
        await new Promise((r) => setTimeout(r, 50)); // polling a condition
      }
      return pushes[n];
    },
    close: () => srv.close(),
  };
}

// stubSubscribe, run in a page, makes PushManager hand out sub (from
// startPushService) as the browser's subscription.
export function stubSubscribe({ endpoint, p256dh, auth }) {
  const fromB64 = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)).buffer;
  window.subscribedWith = null;
  PushManager.prototype.getSubscription = async () => null;
  PushManager.prototype.subscribe = async (opts) => {
    window.subscribedWith = opts;
    return {
      endpoint, options: { ...opts, applicationServerKey: fromB64(opts.applicationServerKey) }, // bytes, as a browser's
      getKey: (name) => fromB64(name === 'p256dh' ? p256dh : auth),
      toJSON: () => ({ endpoint, expirationTime: null, keys: { p256dh, auth } }),
      unsubscribe: async () => true,
    };
  };
}

// deliverPush hands payload to the service worker of origin in context
// (Playwright, Chromium) as its push service would, through the DevTools
// protocol, from page (one of the context's), and answers the
// notifications the worker then shows.
export async function deliverPush(context, page, origin, payload) {
  const cdp = await context.newCDPSession(page);
  const registrations = [];
  cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => registrations.push(...e.registrations));
  await cdp.send('ServiceWorker.enable');
  for (let i = 0; !registrations.some((x) => x.scopeURL.startsWith(origin) && !x.isDeleted); i++) {
    if (i > 200) throw new Error('no service worker registration');
    await new Promise((r) => setTimeout(r, 50)); // polling a condition
  }
  const reg = registrations.find((x) => x.scopeURL.startsWith(origin) && !x.isDeleted);
  await cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId: reg.registrationId, data: JSON.stringify(payload) });
  return page.evaluate(async () => {
    const r = await navigator.serviceWorker.getRegistration();
    for (let i = 0; i < 200; i++) {
      const ns = await r.getNotifications();
      if (ns.length) return ns.map((n) => ({ title: n.title, body: n.body, tag: n.tag, targetId: n.data?.targetId }));
      await new Promise((res) => setTimeout(res, 50)); // polling a condition
    }
    return [];
  });
}
