// Nothing of Node reaches the page: the SDK needs only what a browser has.
// The preload only tells the page it runs in Electron.
'use strict';

const { contextBridge } = require('electron');

contextBridge.exposeInMainWorld('imwasmHost', { kind: 'electron', versions: { electron: process.versions.electron, chrome: process.versions.chrome } });
