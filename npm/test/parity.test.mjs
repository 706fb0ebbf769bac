// Parity with RongIMLib 5.38 (@rongcloud/imlib-next, a pinned
// devDependency used by this test only): every runtime export of the
// package is provided by imwasm or listed below with the reason it is not
// (the issue that brings it, or why it never will be), and every enum
// imwasm provides has RongIMLib's members and values exactly, plus the few
// members of imwasm's own named here. docs/api.md says the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as rong from '@rongcloud/imlib-next';
import * as imwasm from '../index.js';

const words = (s) => s.trim().split(/\s+/);

// Not provided yet, or not at all: reason → names.
const NOT_PROVIDED = {
  'not provided: RongIMLib\'s V4 group receipts (imwasm has V2 and V5)': words(`
    batchGetMessageReadReceiptInfoV4 getMessageReadReceiptV4 sendReadReceiptMessageV4`),
  'not provided: RongCloud\'s AI services (translation, speech to text, streamed replies, robots)': words(`
    TranslateMessageParam TranslateTextParam batchSetConversationTranslateStrategy
    getAllRobots getAutoTranslateEnabled getConversationsIncludingRobots getRobotById
    getTranslationLanguage requestSpeechToTextForMessage requestStreamMessageContent
    setAutoTranslateEnabled setTranslationLanguage translateMessagesWithParams
    translateTextsWithParams`),
  'not provided: RongCloud\'s audio and video rooms (imwasm has no RTC to bind a chat room to)': words('bindRTCRoomForChatroom'),
  'not provided: Electron only (its main process, proxy settings, and insertMessage, a local message the server never has: deprecated on the web)': words('electronExtension getProxy insertMessage setProxy testProxy'),
  'not provided: RongCloud\'s plugins, internal and diagnostic hooks': words(`
    __addSDKVersion addMonitor createLogDBProxy fail installPlugin ok removeMonitor`),
};

// imwasm's own exports and enum members beyond RongIMLib's (docs/api.md).
const OWN_EXPORTS = {
  RongIMEmoji: 'RongCloud\'s emoji helper, a separate package of theirs (seed 003)',
  forwardMessage: 'RongCloud\'s forwarding call of its other platforms',
  muteGroupMembers: 'group member mutes from the client (RongCloud has them in its server API; Easemob and NIM in their SDKs)',
  muteAllGroupMembers: 'muting a whole group from the client (as above)',
  sendMessageReadAck: 'Easemob\'s and NIM\'s per-message read ack (any private message; group messages with ackContent)',
  sendConversationReadAck: 'Easemob\'s conversation read ack (channel): read watermark and peer told at once',
  registerWebPush: 'Web Push to closed tabs (RongCloud\'s web SDK has no push)',
  unregisterWebPush: 'Web Push to closed tabs (as above)',
  setDoNotDisturb: 'a do-not-disturb of a set length (Easemob\'s silent-mode duration)',
  getDoNotDisturb: 'a do-not-disturb of a set length (as above)',
  renewToken: 'a newer token for the connected session (Easemob\'s renewToken, NIM\'s setOptions({token}))',
};
const OWN_MEMBERS = {
  ErrorCode: ['UNKNOWN', 'RC_RECALLMESSAGE_PARAMETER_INVALID', 'RC_RECALL_MESSAGE_USER_INVALID', 'RC_MSG_SIZE_OUT_OF_LIMIT',
    'RC_CONN_USER_OR_PASSWD_ERROR', 'INVALID_PARAMETER_MESSAGEUID', 'INVALID_PARAMETER_MESSAGEID'],
  MessageType: ['COMMAND', 'GROUP_NOTIFICATION', 'INFORMATION_NOTIFICATION', 'RECALL_NOTIFICATION'],
  Events: ['MESSAGE_DELIVERED', 'GROUP_MUTE', 'TOKEN_WILL_EXPIRE', 'TOKEN_EXPIRED'],
};

const isEnum = (v) => v && typeof v === 'object' && Object.values(v).every((x) => typeof x === 'string' || typeof x === 'number');

test('every RongIMLib 5.38 export is provided or listed with its reason', () => {
  const listed = new Map();
  for (const [reason, names] of Object.entries(NOT_PROVIDED)) {
    for (const n of names) {
      assert.ok(!listed.has(n), `${n} is listed twice`);
      listed.set(n, reason);
    }
  }
  const unaccounted = Object.keys(rong).filter((n) => n !== 'default' && !(n in imwasm) && !listed.has(n));
  assert.deepEqual(unaccounted, [], `RongIMLib exports these; imwasm neither provides nor lists them: ${unaccounted}`);
  const stale = [...listed.keys()].filter((n) => n in imwasm);
  assert.deepEqual(stale, [], `provided now, still listed as not: ${stale}`);
  const strange = [...listed.keys()].filter((n) => !(n in rong));
  assert.deepEqual(strange, [], `listed, but RongIMLib 5.38 has no such export: ${strange}`);
  const own = Object.keys(imwasm).filter((n) => !(n in rong));
  assert.deepEqual(own.sort(), Object.keys(OWN_EXPORTS).sort(), 'imwasm exports beyond RongIMLib\'s');
});

test('at least 85 % of RongIMLib 5.38\'s runtime exports are provided (SPEC §5)', (t) => {
  const all = Object.keys(rong).filter((n) => n !== 'default');
  const provided = all.filter((n) => n in imwasm);
  t.diagnostic(`${provided.length} of ${all.length} RongIMLib exports provided`);
  assert.equal(all.length, 310);
  assert.ok(provided.length >= 264, `${provided.length} of ${all.length}`);
});

test('every enum has RongIMLib\'s members and values, and imwasm\'s own on top', () => {
  const enums = Object.keys(rong).filter((n) => isEnum(rong[n]));
  assert.ok(enums.length >= 60, `${enums.length} enums in the package`);
  for (const name of enums) {
    if (!(name in imwasm)) continue; // listed above
    const ours = { ...imwasm[name] };
    for (const m of OWN_MEMBERS[name] || []) {
      assert.ok(m in ours, `${name}.${m} is listed as imwasm's own but missing`);
      assert.ok(!(m in rong[name]), `${name}.${m} is RongIMLib's, not imwasm's own`);
      delete ours[m];
    }
    assert.deepEqual(ours, { ...rong[name] }, `${name} differs from RongIMLib's`);
    assert.ok(Object.isFrozen(imwasm[name]), `${name} can be changed by an app`);
  }
});

test('the constants the seeds and common code read are there', () => {
  assert.equal(imwasm.LogLevel.WARN, 2);
  assert.equal(imwasm.MessageType.RECALL_NOTIFICATION_MESSAGE, 'RC:RcNtf');
  assert.equal(imwasm.ConversationType[imwasm.ConversationType.GROUP], 'GROUP');
  assert.equal(Object.keys(imwasm.Events).length, 58 + OWN_MEMBERS.Events.length);
});

test('docs/api.md lists the same exports not provided, with the same reasons', async () => {
  const { readFile } = await import('node:fs/promises');
  const doc = await readFile(new URL('../../docs/api.md', import.meta.url), 'utf8');
  const section = doc.split('## RongIMLib exports not provided')[1]?.split('\n## ')[0] ?? '';
  const rows = {};
  for (const line of section.split('\n')) {
    const m = line.match(/^\| (.+?) \| (`.*`) \|$/);
    if (m) rows[m[1]] = [...m[2].matchAll(/`([^`]+)`/g)].map((x) => x[1]).sort();
  }
  const want = Object.fromEntries(Object.entries(NOT_PROVIDED).map(([r, ns]) => [r, [...ns].sort()]));
  assert.deepEqual(rows, want);
});
