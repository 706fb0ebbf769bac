// Upload helpers (docs/api.md, Uploads; RongCloud's "语法糖" helpers): upload a local file
// to POST /v1/files with XMLHttpRequest (so progress is reported), then
// send the message that points at it. The message is stored first (held,
// SENDING) so onSendBefore sees it and a failed upload leaves a FAILED
// message that the same helper resends with sendOptions.messageId.
// Browser work only (canvas thumbnails, audio durations, XHR): the engine
// in the wasm does the storing and sending.

const THUMB_SIDE = 240; // longest side of an image thumbnail, px
const THUMB_BYTES = 10 * 1024; // its base64 text at most

// Error codes used here (RongIMLib's numbers; index.js exports them all).
const UPLOAD_FAIL = 34011;
const MEDIA_EXCEPTION = 34018;
const FILE_SIZE_EXCEED_LIMIT = 26106;
const INVALID_CONTENT_DISPOSITION = 35032;
const INVALID_PARAMETER = 33003;
const REQUEST_OVER_FREQUENCY = 20607;
const CHATROOM = 4; // ConversationType.CHATROOM: its messages are not stored on the device

const fail = (code, msg, data) => (data === undefined ? { code, msg } : { code, msg, data });

const isBlob = (f) => typeof Blob !== 'undefined' && f instanceof Blob;

/** The extension of a file name, lower case ('' if none). */
const extension = (name) => {
  const i = String(name).lastIndexOf('.');
  return i > 0 ? String(name).slice(i + 1).toLowerCase() : '';
};

// post sends file to url with XMLHttpRequest when there is one (progress
// events), else with fetch (Node): resolves {status, body}.
function post(url, headers, file, onProgress, signal) {
  if (typeof XMLHttpRequest === 'undefined') {
    return fetch(url, { method: 'POST', headers, body: file, signal }).then(async (res) => {
      onProgress(file.size, file.size);
      return { status: res.status, body: await res.json().catch(() => null) };
    });
  }
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.responseType = 'json';
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded, e.total); };
    xhr.onload = () => resolve({ status: xhr.status, body: xhr.response });
    xhr.onerror = () => reject(new Error('network error'));
    xhr.onabort = () => reject(new Error('aborted'));
    xhr.ontimeout = () => reject(new Error('timed out'));
    if (signal) {
      if (signal.aborted) { reject(new Error('aborted')); return; }
      signal.addEventListener('abort', () => xhr.abort(), { once: true });
    }
    xhr.send(file);
  });
}

async function toBase64(blob) {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

// imageInfo decodes an image: its size and a JPEG thumbnail as base64
// without a data-URI prefix, longest side ≤ 240 px and ≤ 10 KB.
async function imageInfo(file, withThumb) {
  const bmp = await createImageBitmap(file);
  const out = { width: bmp.width, height: bmp.height };
  if (!withThumb) { bmp.close?.(); return out; }
  let scale = Math.min(1, THUMB_SIDE / Math.max(bmp.width, bmp.height));
  for (let tries = 0; tries < 8; tries++, scale *= 0.7) {
    const w = Math.max(1, Math.round(bmp.width * scale)), h = Math.max(1, Math.round(bmp.height * scale));
    const canvas = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(w, h) : Object.assign(document.createElement('canvas'), { width: w, height: h });
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#fff'; // JPEG has no transparency
    ctx.fillRect(0, 0, w, h);
    ctx.drawImage(bmp, 0, 0, w, h);
    for (const quality of [0.7, 0.5, 0.35, 0.2]) {
      const blob = canvas.convertToBlob
        ? await canvas.convertToBlob({ type: 'image/jpeg', quality })
        : await new Promise((r) => canvas.toBlob(r, 'image/jpeg', quality));
      const b64 = await toBase64(blob);
      if (b64.length <= THUMB_BYTES) {
        bmp.close?.();
        return { ...out, thumbnail: b64 };
      }
    }
  }
  bmp.close?.();
  return { ...out, thumbnail: '' };
}

// audioDuration reads an audio file's length in whole seconds (0 when the
// browser cannot tell).
async function audioDuration(file) {
  if (typeof Audio !== 'undefined') {
    const url = URL.createObjectURL(file);
    try {
      const d = await new Promise((resolve) => {
        const a = new Audio();
        a.preload = 'metadata';
        a.onloadedmetadata = () => resolve(a.duration);
        a.onerror = () => resolve(NaN);
        a.src = url;
      });
      if (Number.isFinite(d)) return Math.round(d);
    } finally {
      URL.revokeObjectURL(url);
    }
  }
  const Ctx = globalThis.AudioContext || globalThis.OfflineAudioContext;
  if (Ctx) {
    try {
      const ctx = new Ctx({ length: 1, sampleRate: 8000 });
      const buf = await ctx.decodeAudioData(await file.arrayBuffer());
      return Math.round(buf.duration);
    } catch { /* not decodable here */ }
  }
  return 0;
}

// videoInfo reads a video's size and length in whole seconds (zeros when
// the browser cannot decode it).
async function videoInfo(file) {
  if (typeof document === 'undefined') return { width: 0, height: 0, duration: 0 };
  const url = URL.createObjectURL(file);
  try {
    const v = document.createElement('video');
    const ok = await new Promise((resolve) => {
      v.preload = 'metadata';
      v.onloadedmetadata = () => resolve(true);
      v.onerror = () => resolve(false);
      setTimeout(() => resolve(false), 5000); // an engine that neither loads nor fails it
      v.src = url;
    });
    const d = ok && Number.isFinite(v.duration) ? Math.round(v.duration) : 0;
    return { width: ok ? v.videoWidth : 0, height: ok ? v.videoHeight : 0, duration: d };
  } finally {
    URL.revokeObjectURL(url);
  }
}

/**
 * uploadHelpers builds the helpers around index.js's internals:
 * call(name, args) → the bridge's Promise; bridge() → the loaded bridge or
 * null; config() → {uploadUrl, token}; classes → the message classes.
 */
export function uploadHelpers({ call, bridge, config, classes, isMessage }) {
  /**
   * upload({file, onProgress?(loaded, total), contentDisposition?, signal?})
   * → {code, data: {name, downloadUrl, uniqueName, size, type, md5}}.
   */
  async function upload(info) {
    if (info === null || typeof info !== 'object') return fail(INVALID_PARAMETER, 'upload: an options object is required');
    const { file, onProgress, contentDisposition, signal } = info;
    if (!isBlob(file) || file.size === 0) return fail(MEDIA_EXCEPTION, 'file must be a non-empty File or Blob');
    if (contentDisposition !== undefined && contentDisposition !== 'inline' && contentDisposition !== 'attachment') {
      return fail(INVALID_CONTENT_DISPOSITION, "contentDisposition must be 'inline' or 'attachment'");
    }
    if (onProgress !== undefined && typeof onProgress !== 'function') return fail(INVALID_PARAMETER, 'onProgress must be a function');
    const { uploadUrl, token } = config();
    if (!uploadUrl || !token) return fail(UPLOAD_FAIL, 'connect first: uploads need the server and a token');
    const limit = bridge()?.__uploadLimit() || 0;
    if (limit > 0 && file.size > limit) return fail(FILE_SIZE_EXCEED_LIMIT, `the file is over the upload limit of ${limit} bytes`);
    const q = new URLSearchParams({ name: file.name || 'file' });
    if (contentDisposition) q.set('disposition', contentDisposition);
    const headers = { authorization: 'Bearer ' + token };
    if (file.type) headers['content-type'] = file.type;
    let res;
    try {
      res = await post(`${uploadUrl.replace(/\/+$/, '')}/v1/files?${q}`, headers, file, (loaded, total) => onProgress?.(loaded, total), signal);
    } catch (e) {
      return fail(UPLOAD_FAIL, 'upload failed: ' + e.message);
    }
    if (res.status !== 200 || !res.body || res.body.code !== 0) {
      // A proxy in front may answer 413 itself, without our JSON.
      // Over the size limit or the uploader's quota; more than 3 uploads at
      // once; anything else is an upload that failed.
      const code = res.body?.code === FILE_SIZE_EXCEED_LIMIT || res.status === 413 ? FILE_SIZE_EXCEED_LIMIT
        : res.body?.code === REQUEST_OVER_FREQUENCY || res.status === 429 ? REQUEST_OVER_FREQUENCY : UPLOAD_FAIL;
      return fail(code, res.body?.msg || `upload failed: HTTP ${res.status}`);
    }
    const d = res.body.data;
    return { code: 0, data: { name: d.name, downloadUrl: d.url, uniqueName: d.id, size: d.size, type: d.type, url: d.url, md5: d.md5 } };
  }

  // What each helper sends: the class, what it reads from the file before
  // uploading, and the content once the URL is known. A name (and a voice's
  // duration) the app gives wins over the file's (a Blob has none; a
  // recording the browser cannot decode measures 0).
  const nameOf = (body, f, fallback) => (typeof body.name === 'string' && body.name) || f.name || fallback;
  const kinds = {
    file: {
      cls: classes.FileMessage,
      prepare: async () => ({}),
      content: (body, f, url) => ({ name: nameOf(body, f, 'file'), size: f.size, type: extension(nameOf(body, f, '')), fileUrl: url }),
    },
    image: {
      cls: classes.ImageMessage,
      // An image this browser cannot decode (HEIC in most) goes without a
      // thumbnail, as the vendors' SDKs upload it.
      prepare: (f) => imageInfo(f, true).catch(() => ({ width: 0, height: 0, thumbnail: '' })),
      content: (body, f, url, info) => ({ content: info.thumbnail, imageUri: url }),
    },
    gif: {
      cls: classes.GIFMessage,
      prepare: (f) => imageInfo(f, false),
      content: (body, f, url, info) => ({ gifDataSize: f.size, remoteUrl: url, width: info.width, height: info.height }),
    },
    voice: {
      cls: classes.HQVoiceMessage,
      prepare: async (f) => ({ duration: await audioDuration(f) }),
      content: (body, f, url, info) => ({ remoteUrl: url, duration: body.duration > 0 ? body.duration : info.duration, type: extension(nameOf(body, f, '')) || 'aac' }),
    },
    sight: {
      cls: classes.SightMessage,
      prepare: videoInfo,
      content: (body, f, url) => ({ sightUrl: url, content: body.thumbnail ?? '', duration: body.duration ?? 0, size: f.size, name: nameOf(body, f, 'video') }),
    },
  };

  async function send(kind, conversation, msgBody, hooks, sendOptions) {
    const k = kinds[kind];
    if (msgBody === null || typeof msgBody !== 'object') return fail(INVALID_PARAMETER, 'msgBody must be an object');
    const file = msgBody.file;
    if (!isBlob(file) || file.size === 0) return fail(MEDIA_EXCEPTION, 'msgBody.file must be a non-empty File or Blob');
    if (hooks != null && typeof hooks !== 'object') return fail(INVALID_PARAMETER, 'hooks must be an object');
    if (sendOptions != null && typeof sendOptions !== 'object') return fail(INVALID_PARAMETER, 'sendOptions must be an object');
    const { contentDisposition, signal, onSendBefore, messageId, ...options } = sendOptions ?? {};
    if (contentDisposition !== undefined && contentDisposition !== 'inline' && contentDisposition !== 'attachment') {
      return fail(INVALID_CONTENT_DISPOSITION, "contentDisposition must be 'inline' or 'attachment'");
    }
    if (kind === 'sight' && (typeof msgBody.duration !== 'number' || msgBody.duration < 0)) {
      return fail(INVALID_PARAMETER, 'msgBody.duration (seconds) is required for a sight message');
    }
    let info;
    try {
      info = await k.prepare(file);
    } catch (e) {
      return fail(MEDIA_EXCEPTION, `cannot read the ${kind}: ${e.message}`);
    }
    // The message as RongIMLib fills it, user and extra passed through.
    const { file: _f, thumbnail: _t, duration: _d, ...passed } = msgBody;
    const build = (url) => new k.cls({ ...passed, ...k.content(msgBody, file, url, info) });

    // A chat room's message is not kept on the device: sent once uploaded,
    // with nothing held (and nothing to resend by messageId).
    const room = conversation?.conversationType === CHATROOM;
    let held = messageId;
    if (held === undefined && !room) {
      const r = await call('sendMessage', [conversation, build(''), { ...options, onSendBefore, __hold: true }]);
      if (r.code !== 0) return r;
      held = r.data.messageId;
    }
    // Percentages only grow and end at 100.
    let last = -1;
    const progress = (p) => {
      if (p > last) {
        last = p;
        try { hooks?.onProgress?.(p); } catch (e) { console.error('[imwasm] onProgress threw', e); }
      }
    };
    const up = await upload({
      file, contentDisposition, signal,
      onProgress: (loaded, total) => progress(Math.min(99, Math.floor((loaded / total) * 100))),
    });
    const failHeld = async (code, msg) => (room ? fail(code, msg) : fail(code, msg, (await call('__failHeld', [held])).data));
    if (up.code !== 0) return failHeld(up.code, up.msg);
    progress(100);
    const fileInfo = { url: up.data.downloadUrl, ...info, ...up.data }; // what prepare measured too
    let message = build(fileInfo.url);
    try {
      const custom = hooks?.onComplete?.(fileInfo);
      if (custom !== undefined && custom !== null) {
        if (!isMessage(custom)) return failHeld(INVALID_PARAMETER, 'onComplete must return a message (e.g. new RongIMLib.FileMessage(…)) or nothing');
        message = custom;
      }
    } catch (e) {
      return failHeld(INVALID_PARAMETER, 'onComplete threw: ' + e.message);
    }
    if (room) return call('sendMessage', [conversation, message, { ...options, onSendBefore }]);
    return call('sendMessage', [conversation, message, { ...options, messageId: held, __replace: true }]);
  }

  // RongIMLib's upload task: createUploadTask(info) starts an upload now;
  // task.abort() or stopUploadTask(task.id) stops it; task.awaitResult()
  // answers what upload() answers.
  const tasks = new Map(); // id -> AbortController, while running
  let lastTaskId = 0;
  class UploadTask {
    #result;
    constructor(info) {
      const controller = new AbortController();
      this.id = ++lastTaskId;
      tasks.set(this.id, controller);
      const given = info && typeof info === 'object' ? info : null;
      this.#result = upload(given && { ...given, signal: controller.signal }).finally(() => tasks.delete(this.id));
    }
    abort() { tasks.get(this.id)?.abort(); }
    awaitResult() { return this.#result; }
  }
  async function createUploadTask(info) {
    if (info === null || typeof info !== 'object' || !isBlob(info.file)) return fail(INVALID_PARAMETER, 'createUploadTask: {file} is required');
    return { code: 0, data: new UploadTask(info) };
  }
  async function stopUploadTask(taskId) {
    const c = tasks.get(taskId);
    c?.abort();
    return { code: 0, data: Boolean(c) };
  }
  // RongCloud's storage-provider calls, answered for /v1/files: the token
  // an upload is made with, a file's URL (filename: the id an upload
  // answered as uniqueName), and no download auth (an id cannot be guessed).
  async function getFileToken(fileType, fileName) {
    const { uploadUrl, token } = config();
    if (!uploadUrl || !token) return fail(UPLOAD_FAIL, 'connect first: uploads need the server and a token');
    return { code: 0, data: { token, deadline: 0, bosToken: '', bosDate: '', path: '/v1/files', fileName: fileName || '', qiniu: '', ossConfig: '' } };
  }
  async function getFileUrl(fileType, filename) {
    const { uploadUrl } = config();
    if (typeof filename !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(filename)) return fail(INVALID_PARAMETER, 'filename must be a file id');
    if (!uploadUrl) return fail(UPLOAD_FAIL, 'init first: the server is not known');
    return { code: 0, data: { downloadUrl: `${uploadUrl.replace(/\/+$/, '')}/v1/files/${filename}` } };
  }
  async function getDownloadAuth(url) {
    if (typeof url !== 'string' || url === '') return fail(INVALID_PARAMETER, 'url must be a string');
    return { code: 0, data: { deadline: 0 } };
  }

  return {
    upload,
    UploadTask,
    createUploadTask,
    stopUploadTask,
    getFileToken,
    getFileUrl,
    getDownloadAuth,
    sendFileMessage: (c, body, hooks, opts) => send('file', c, body, hooks, opts),
    sendImageMessage: (c, body, hooks, opts) => send('image', c, body, hooks, opts),
    sendGIFMessage: (c, body, hooks, opts) => send('gif', c, body, hooks, opts),
    sendHQVoiceMessage: (c, body, hooks, opts) => send('voice', c, body, hooks, opts),
    sendSightMessage: (c, body, hooks, opts) => send('sight', c, body, hooks, opts),
  };
}
