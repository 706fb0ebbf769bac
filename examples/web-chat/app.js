// imwasm web chat: a small chat app on the npm package, written the way a
// RongCloud Web IMLib app is. Open it as
//   index.html#user=alice&token=TOKEN&server=http://127.0.0.1:8080
// (`make demo` prints these links). The token travels in the fragment, so
// it never reaches a server in a URL.
import * as RongIMLib from '/imwasm/index.js';

const { ConversationType: CT, Events, SentStatus, ErrorCode } = RongIMLib;
const params = new URLSearchParams(location.hash.slice(1));
const me = params.get('user');
const token = params.get('token');
// server= may name several (a cluster's nodes, comma-separated): tried in
// order, with failover.
const servers = (params.get('server') || `${location.protocol}//${location.hostname}:8080`).split(',');
const appkey = params.get('appkey') || 'demo-app';

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...kids) => {
  const e = Object.assign(document.createElement(tag), props);
  for (const k of kids) if (k != null) e.append(k);
  return e;
};
const keyOf = (c) => `${c.conversationType}:${c.targetId}`;
const convOf = (m) => ({ conversationType: m.conversationType, targetId: m.targetId });

// State: the conversation list, every conversation's messages by key
// (messageUId once sent, the local messageId before), who is typing, read
// counts of own group messages.
const state = {
  conversations: new Map(), // key -> {conversation, unread, latest}
  messages: new Map(), // key -> Map(msgKey -> message)
  current: null,
  typing: new Map(), // key -> [userId]
  counts: new Map(), // messageUId -> {readCount, totalCount}
};
const msgKey = (m) => m.messageUId || `local:${m.messageId}`;

function messagesOf(conv) {
  const k = keyOf(conv);
  if (!state.messages.has(k)) state.messages.set(k, new Map());
  return state.messages.get(k);
}

function putMessage(m) {
  const list = messagesOf(convOf(m));
  const entry = state.conversations.get(keyOf(convOf(m)));
  if (entry && m.sentTime && (!entry.latest || entry.latest.sentTime <= m.sentTime)) entry.latest = m;
  // A sent message gets its messageUId: drop the local placeholder.
  if (m.messageUId) list.delete(`local:${m.messageId}`);
  const prev = list.get(msgKey(m));
  if (prev && prev.sentStatus > m.sentStatus && m.messageType === prev.messageType) m = { ...m, sentStatus: prev.sentStatus };
  list.set(msgKey(m), m);
}

// ---- Rendering ----

function preview(m) {
  if (!m) return '';
  switch (m.messageType) {
    case 'RC:TxtMsg': return m.content.content;
    case 'RC:ImgMsg': return '[image]';
    case 'RC:FileMsg': return `[file] ${m.content.name}`;
    case 'RC:RcNtf': return '[recalled]';
    case 'RC:GrpNtf': return '[group notice]';
    default: return `[${m.messageType}]`;
  }
}

function renderConversations() {
  const ul = $('conversations');
  ul.replaceChildren();
  const list = [...state.conversations.values()].sort((a, b) => (b.latest?.sentTime || 0) - (a.latest?.sentTime || 0));
  for (const c of list) {
    const name = c.conversation.conversationType === CT.GROUP ? `# ${c.conversation.targetId}` : c.conversation.targetId;
    const li = el('li', { className: state.current && keyOf(state.current) === keyOf(c.conversation) ? 'active' : '' },
      el('span', { className: 'name', textContent: name }),
      el('span', { className: 'badge', textContent: c.unread ? String(c.unread) : '' }),
      el('span', { className: 'preview', textContent: preview(c.latest) }));
    li.dataset.key = keyOf(c.conversation);
    li.querySelector('.badge').dataset.count = String(c.unread || 0);
    li.onclick = () => openConversation(c.conversation);
    ul.append(li);
  }
}

function tick(m) {
  switch (m.sentStatus) {
    case SentStatus.SENDING: return ['🕓', 'sending'];
    case SentStatus.FAILED: return ['⚠ failed', 'failed'];
    case SentStatus.RECEIVED: return ['✓✓', 'delivered'];
    case SentStatus.READ: return ['✓✓', 'read'];
    default: return ['✓', 'sent'];
  }
}

// linkable is url if it is an absolute http(s) URL, else null: a message's
// URLs come from other users, and a javascript: one in a link would run in
// this page when clicked. (An <img> never runs its src, so images keep
// theirs, data: thumbnails included.)
function linkable(url) {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

function body(m) {
  const c = m.content || {};
  switch (m.messageType) {
    case 'RC:TxtMsg': return el('div', { className: 'text', textContent: c.content });
    case 'RC:ImgMsg': {
      const img = el('img', { alt: 'image' });
      img.src = c.imageUri || (c.content ? `data:image/jpeg;base64,${c.content}` : '');
      return img;
    }
    case 'RC:FileMsg': {
      const label = `📄 ${c.name} (${Math.ceil((c.size || 0) / 1024)} KB)`;
      const href = linkable(c.fileUrl);
      return href ? el('a', { className: 'file', href, target: '_blank', rel: 'noopener', textContent: label })
        : el('span', { className: 'file', textContent: label });
    }
    case 'RC:RcNtf': return el('div', { className: 'recalled', textContent: 'This message was recalled' });
    case 'RC:GrpNtf': return el('div', { className: 'recalled', textContent: `Group: ${c.operation || 'changed'}` });
    default: return el('div', { textContent: `[${m.messageType}]` });
  }
}

function renderMessages() {
  const ol = $('messages');
  const atBottom = ol.scrollHeight - ol.scrollTop - ol.clientHeight < 40;
  ol.replaceChildren();
  if (!state.current) return;
  const isGroup = state.current.conversationType === CT.GROUP;
  const list = [...messagesOf(state.current).values()].sort((a, b) => (a.sentTime || Infinity) - (b.sentTime || Infinity));
  for (const m of list) {
    const mine = m.messageDirection === RongIMLib.MessageDirection.SEND;
    const li = el('li', { className: `msg${mine ? ' mine' : ''}` });
    li.dataset.uid = m.messageUId || '';
    if (!mine && isGroup) li.append(el('div', { className: 'who', textContent: m.senderUserId }));
    li.append(body(m));
    const meta = el('div', { className: 'meta' });
    meta.append(el('span', { textContent: m.sentTime ? new Date(m.sentTime).toLocaleTimeString() : '' }));
    if (mine && m.messageType !== 'RC:RcNtf' && m.messageType !== 'RC:GrpNtf') {
      if (isGroup) {
        const info = m.readReceiptInfo;
        const count = state.counts.get(m.messageUId);
        if (info?.isReceiptRequestMessage || count) {
          const n = count?.readCount ?? (info?.readerList?.length || 0);
          const reads = el('span', { className: 'reads', textContent: `read ${n}${count ? '/' + count.totalCount : ''}` });
          reads.onclick = () => showReaders(m);
          meta.append(reads);
        } else if (m.messageUId && Date.now() - m.sentTime < 2 * 60 * 1000) {
          // Seed 000's advice: offer "view read status" for a couple of
          // minutes after sending, then ask for receipts only if wanted.
          const b = el('button', { className: 'ask-receipts', textContent: 'view read status' });
          b.onclick = () => askReceipts(m);
          meta.append(b);
        }
      } else {
        const [text, st] = tick(m);
        const t = el('span', { className: 'tick', textContent: text, title: st });
        t.dataset.state = st;
        meta.append(t);
      }
      if (m.messageUId && Date.now() - m.sentTime < 2 * 60 * 1000) {
        const r = el('button', { className: 'recall', textContent: 'recall' });
        r.onclick = () => recall(m);
        meta.append(r);
      }
    }
    li.append(meta);
    ol.append(li);
  }
  if (atBottom || ol.dataset.fresh) { ol.scrollTop = ol.scrollHeight; delete ol.dataset.fresh; }
}

function renderTyping() {
  const who = state.current ? state.typing.get(keyOf(state.current)) || [] : [];
  $('typing').textContent = who.length ? `${who.join(', ')} typing…` : '';
}

function render() {
  renderConversations();
  renderMessages();
  renderTyping();
}

// ---- Actions ----

async function refreshConversations() {
  const res = await RongIMLib.getConversationList();
  if (res.code !== ErrorCode.SUCCESS) return;
  for (const c of res.data) {
    const conversation = { conversationType: c.conversationType, targetId: c.targetId };
    state.conversations.set(keyOf(conversation), { conversation, unread: c.unreadMessageCount, latest: c.latestMessage });
  }
  renderConversations();
}

async function openConversation(conversation) {
  state.current = conversation;
  $('chat').hidden = false;
  $('empty').hidden = true;
  $('chat-title').textContent = conversation.conversationType === CT.GROUP ? `# ${conversation.targetId}` : conversation.targetId;
  if (!state.conversations.has(keyOf(conversation))) state.conversations.set(keyOf(conversation), { conversation, unread: 0, latest: null });
  const h = await RongIMLib.getHistoryMessages(conversation, { timestamp: 0, count: 50, order: 0 });
  if (h.code === ErrorCode.SUCCESS) for (const m of h.data.list) putMessage(m);
  $('messages').dataset.fresh = '1';
  render();
  await markRead();
}

// markRead tells the other side what this user has seen of the open
// conversation: a private read receipt, answers to group receipt
// requests, and the unread count cleared on every device.
async function markRead() {
  const c = state.current;
  if (!c || document.hidden) return;
  const entry = state.conversations.get(keyOf(c));
  const theirs = [...messagesOf(c).values()].filter((m) => m.messageDirection === RongIMLib.MessageDirection.RECEIVE && m.messageUId);
  const newest = theirs.sort((a, b) => b.sentTime - a.sentTime)[0];
  if (c.conversationType === CT.PRIVATE && newest) {
    await RongIMLib.sendReadReceiptMessage(c.targetId, newest.messageUId, newest.sentTime);
  }
  if (c.conversationType === CT.GROUP) await RongIMLib.sendReadReceiptResponseV2(c.targetId);
  if (entry?.unread) await RongIMLib.clearMessagesUnreadStatus(c);
  if (entry) entry.unread = 0;
  renderConversations();
}

async function sendText(text) {
  const c = state.current;
  const res = await RongIMLib.sendMessage(c, new RongIMLib.TextMessage({ content: text }), {
    onSendBefore: (m) => { putMessage(m); renderMessages(); },
  });
  if (res.data) putMessage(res.data);
  if (res.code !== ErrorCode.SUCCESS) console.warn('send failed', res.code, res.msg);
  render();
}

async function sendFile(file) {
  const c = state.current;
  const isImage = file.type.startsWith('image/') && file.type !== 'image/svg+xml';
  $('upload').hidden = false;
  $('upload-name').textContent = file.name;
  $('upload-progress').setAttribute('value', '0');
  const hooks = { onProgress: (p) => { $('upload-progress').setAttribute('value', String(p)); } };
  const opts = { onSendBefore: (m) => { putMessage(m); renderMessages(); } };
  const res = isImage
    ? await RongIMLib.sendImageMessage(c, { file }, hooks, { ...opts, contentDisposition: 'inline' })
    : await RongIMLib.sendFileMessage(c, { file }, hooks, opts);
  if (res.data) putMessage(res.data);
  if (res.code !== ErrorCode.SUCCESS) console.warn('upload failed', res.code, res.msg);
  $('upload').hidden = true;
  render();
}

async function askReceipts(m) {
  const res = await RongIMLib.sendReadReceiptRequest(m.targetId, m.messageUId);
  if (res.code !== ErrorCode.SUCCESS) return console.warn('receipt request', res.code, res.msg);
  m.readReceiptInfo = { isReceiptRequestMessage: true, hasRespond: false, readerList: [] };
  const readers = await RongIMLib.getMessageReader(m.targetId, m.messageUId);
  if (readers.code === ErrorCode.SUCCESS) {
    state.counts.set(m.messageUId, { readCount: readers.data.list.length, totalCount: readers.data.totalMemberCount });
  }
  renderMessages();
}

async function showReaders(m) {
  const res = await RongIMLib.getMessageReader(m.targetId, m.messageUId);
  const ul = $('reader-list');
  ul.replaceChildren(...(res.data?.list || []).map((r) => el('li', { textContent: `${r.userId} at ${new Date(r.readTime).toLocaleTimeString()}` })));
  $('readers').showModal();
}

async function recall(m) {
  const res = await RongIMLib.recallMessage(convOf(m), { messageUId: m.messageUId, sentTime: m.sentTime });
  if (res.code === ErrorCode.SUCCESS) putMessage(res.data);
  else console.warn('recall', res.code, res.msg);
  render();
}

// ---- Events ----

function listen() {
  RongIMLib.addEventListener(Events.CONNECTED, () => setStatus('connected'));
  RongIMLib.addEventListener(Events.CONNECTING, () => setStatus('connecting'));
  RongIMLib.addEventListener(Events.SUSPEND, () => setStatus('reconnecting'));
  RongIMLib.addEventListener(Events.DISCONNECT, () => setStatus('offline'));
  RongIMLib.addEventListener(Events.MESSAGES, ({ messages }) => {
    for (const m of messages) {
      putMessage(m);
      const k = keyOf(convOf(m));
      const entry = state.conversations.get(k) || { conversation: convOf(m), unread: 0, latest: null };
      entry.latest = m;
      state.conversations.set(k, entry);
    }
    render();
    if (state.current && messages.some((m) => keyOf(convOf(m)) === keyOf(state.current))) markRead();
  });
  RongIMLib.addEventListener(Events.CONVERSATION, ({ conversationList }) => {
    for (const { conversation: c } of conversationList) {
      const conversation = { conversationType: c.conversationType, targetId: c.targetId };
      const k = keyOf(conversation);
      const open = state.current && keyOf(state.current) === k && !document.hidden;
      state.conversations.set(k, { conversation, unread: open ? 0 : c.unreadMessageCount, latest: c.latestMessage });
    }
    renderConversations();
  });
  RongIMLib.addEventListener(Events.PULL_OFFLINE_MESSAGE_FINISHED, () => refreshConversations());
  RongIMLib.addEventListener(Events.MESSAGE_DELIVERED, ({ messageUIdList }) => {
    for (const list of state.messages.values()) {
      for (const uid of messageUIdList) {
        const m = list.get(uid);
        if (m && m.sentStatus < SentStatus.RECEIVED) m.sentStatus = SentStatus.RECEIVED;
      }
    }
    renderMessages();
  });
  RongIMLib.addEventListener(Events.READ_RECEIPT_RECEIVED, ({ conversation, sentTime }) => {
    for (const m of messagesOf(conversation).values()) {
      if (m.messageDirection === RongIMLib.MessageDirection.SEND && m.sentTime && m.sentTime <= sentTime && m.sentStatus >= SentStatus.SENT) m.sentStatus = SentStatus.READ;
    }
    renderMessages();
  });
  RongIMLib.addEventListener(Events.MESSAGE_RECEIPT_RESPONSE_V5, (list) => {
    for (const x of list) state.counts.set(x.messageUId, { readCount: x.readCount, totalCount: x.totalCount });
    renderMessages();
  });
  RongIMLib.addEventListener(Events.MESSAGE_RECEIPT_REQUEST, ({ conversation }) => {
    if (state.current && keyOf(state.current) === keyOf(conversation)) markRead();
  });
  RongIMLib.addEventListener(Events.TYPING_STATUS, ({ status }) => {
    for (const s of status) state.typing.set(keyOf(s), s.list.map((u) => u.userId));
    renderTyping();
  });
  document.addEventListener('visibilitychange', () => markRead());
}

function setStatus(s) {
  $('status').textContent = s;
  $('status').dataset.status = s;
}

// Notifications while the chat is closed: the service worker (sw.js) shows
// the server's Web Push with imwasm's handler; a click brings the chat
// back on the conversation.
async function enablePush() {
  const r = await RongIMLib.registerWebPush({ serviceWorker: 'sw.js' });
  $('push').dataset.state = r.code === ErrorCode.SUCCESS ? 'on' : 'off';
  $('push').title = r.code === ErrorCode.SUCCESS ? 'Notifications on while this chat is closed' : `No notifications: ${r.msg}`;
}

function bindUI() {
  $('push').onclick = () => enablePush();
  navigator.serviceWorker?.addEventListener('message', (e) => {
    const p = e.data?.type === 'imwasm.notificationclick' && e.data.push;
    if (p) openConversation({ conversationType: p.conversationType, targetId: p.targetId });
  });
  $('composer').onsubmit = (e) => {
    e.preventDefault();
    const text = $('text').value.trim();
    if (!text || !state.current) return;
    $('text').value = '';
    sendText(text);
  };
  $('text').oninput = () => {
    if (state.current) RongIMLib.sendTypingStatusMessage(state.current, RongIMLib.MessageType.TEXT);
  };
  $('file').onchange = () => {
    const f = $('file').files[0];
    $('file').value = '';
    if (f && state.current) sendFile(f);
  };
  $('new-chat').onsubmit = (e) => {
    e.preventDefault();
    const id = $('new-chat-id').value.trim();
    if (!id) return;
    $('new-chat-id').value = '';
    openConversation({ conversationType: CT.PRIVATE, targetId: id });
  };
  // Ticks and "view read status" buttons age: redraw now and then.
  setInterval(() => state.current && renderMessages(), 15000);
}

async function main() {
  if (!me || !token) {
    document.body.textContent = 'Open this page with #user=…&token=… (make demo prints the links).';
    return;
  }
  $('me').textContent = me;
  document.title = `${me} · imwasm chat`;
  bindUI();
  listen();
  RongIMLib.init({ appkey, navigators: servers, deliveryReceipts: true, logLevel: 'warn' });
  const res = await RongIMLib.connect(token);
  if (res.code !== ErrorCode.SUCCESS) {
    setStatus(`error ${res.code}`);
    return;
  }
  setStatus('connected');
  // Asked once by the bell; renewed on every start after (a browser may
  // have renewed its subscription meanwhile).
  if (globalThis.Notification?.permission === 'granted') enablePush();
  await refreshConversations();
  window.chatReady = true; // for the demo's browser test
}

main();
