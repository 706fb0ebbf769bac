// imwasm's Web Push handler for a service worker. In yours:
//   importScripts('/node_modules/imwasm/push-sw.js');   (or copy it beside your app)
// or register this file itself as the service worker. Each push the server
// sends (docs/http-api.md#push) is shown as a notification tagged with its
// conversation (a newer one replaces it), the app badge set to the user's
// unread count where the browser has one; a click focuses the app's window
// (which gets {type: 'imwasm.notificationclick', push}) or opens it.
self.addEventListener('push', (event) => {
  let p;
  try {
    p = event.data?.json();
  } catch {
    return; // not imwasm's
  }
  if (!p || typeof p.body !== 'string') return;
  const shown = self.registration.showNotification(p.title || p.body, {
    body: p.title ? p.body : '',
    tag: p.tag,
    renotify: true,
    timestamp: p.sentTime,
    data: p,
  });
  const badge = typeof p.badge === 'number' && self.navigator.setAppBadge ? self.navigator.setAppBadge(p.badge).catch(() => {}) : null;
  event.waitUntil(Promise.all([shown, badge]));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const push = event.notification.data;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    for (const w of windows) {
      w.postMessage({ type: 'imwasm.notificationclick', push });
      if ('focus' in w) return w.focus();
    }
    return self.clients.openWindow(self.registration.scope);
  })());
});
