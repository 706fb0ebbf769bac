// The chat's service worker: imwasm's Web Push handler shows a
// notification for each message the server pushes while the chat is closed.
importScripts('/imwasm/push-sw.js');
