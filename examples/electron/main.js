// The imwasm web chat in Electron's renderer process. The renderer is a
// Chromium page like any other: the SDK runs there unchanged (its wasm,
// IndexedDB for the device's data, the browser WebSocket). The main
// process only serves the files under a privileged app:// scheme, so the
// SDK's fetch of its .wasm and its ES module imports work as on the web.
//
//   npm start -- "<a link printed by make demo>"
'use strict';

const { app, BrowserWindow, protocol, net } = require('electron');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const repo = path.resolve(__dirname, '..', '..');
// app://chat/…          -> examples/web-chat/…
// app://chat/imwasm/…   -> npm/… (the SDK package, with dist/ built by make wasm)
const roots = { '/imwasm/': path.join(repo, 'npm'), '/': path.join(repo, 'examples', 'web-chat') };

protocol.registerSchemesAsPrivileged([
  { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } },
]);

// fileFor maps an app:// URL to a file inside the two folders, or null.
function fileFor(url) {
  const { pathname } = new URL(url);
  const prefix = pathname.startsWith('/imwasm/') ? '/imwasm/' : '/';
  const rel = path.normalize(decodeURIComponent(pathname.slice(prefix.length)) || 'index.html');
  if (rel.startsWith('..') || path.isAbsolute(rel)) return null;
  return path.join(roots[prefix], rel);
}

// The demo link's fragment (#user=…&token=…&server=…) picks the user.
function chatURL() {
  const link = process.argv.find((a) => a.includes('#user=')) || process.env.IMWASM_DEMO_LINK || '';
  const fragment = link.includes('#') ? link.slice(link.indexOf('#')) : '';
  return 'app://chat/index.html' + fragment;
}

app.whenReady().then(() => {
  protocol.handle('app', (request) => {
    const file = fileFor(request.url);
    if (!file) return new Response('not found', { status: 404 });
    return net.fetch(pathToFileURL(file).toString());
  });
  const win = new BrowserWindow({
    width: 1100,
    height: 720,
    title: 'imwasm chat',
    webPreferences: {
      preload: path.join(__dirname, 'preload.js'),
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
    },
  });
  win.loadURL(chatURL());
});

app.on('window-all-closed', () => app.quit());
