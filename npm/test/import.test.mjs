// Bringing history along: each vendor's export, turned into imwasm's import
// format by scripts/import/*.mjs, imported by `imwasm import` into a real
// server, and read back through the SDK with the vendors' original message
// ids and times. The export lines are written from the fields each
// vendor's documentation lists (no real export is at hand here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, User, appKey, appSecret, bin } from './harness.mjs';
import * as RongIMLib from '../index.js';

const { ConversationType: CT } = RongIMLib;
const scripts = new URL('../../scripts/import/', import.meta.url).pathname;
const base = Date.UTC(2024, 0, 1, 2); // 10:00 in Beijing

// convert runs a conversion script over lines and answers its output.
function convert(script, lines) {
  const r = spawnSync('node', [join(scripts, script)], { input: lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n' });
  assert.equal(r.status, 0, r.stderr.toString());
  return { out: r.stdout.toString(), err: r.stderr.toString() };
}

// importFile runs imwasm import over text and answers its exit code and output.
function importFile(server, text) {
  const file = join(mkdtempSync(join(tmpdir(), 'imwasm-import-')), 'in.jsonl');
  writeFileSync(file, text);
  const r = spawnSync(bin, ['import', '--url', server.url, '--app-secret', appSecret, '--quiet', file]);
  return { code: r.status, out: r.stdout.toString(), err: r.stderr.toString() };
}

// added reads "KIND N lines N added N existing" from the summary.
function summary(out, kind) {
  const m = new RegExp(`${kind}\\s+(\\d+) lines\\s+(\\d+) added\\s+(\\d+) existing`).exec(out);
  return m ? { lines: +m[1], added: +m[2], existing: +m[3] } : null;
}

test('vendor exports, converted and imported, read back through the SDK with their ids and times', async () => {
  const server = await startServer();
  const ben = new User();
  try {
    const rc = convert('rongcloud.mjs', [
      // Out of order within the hour's file: the script sorts it.
      `2024-01-01 10:00:02 ${JSON.stringify({ appId: 'x', fromUserId: 'ben', targetId: 'ann', targetType: 1, GroupId: '', classname: 'RC:TxtMsg',
        content: { content: 'second', extra: '' }, dateTime: '2024-01-01 10:00:02.500', msgUID: 'BQ2K-RC01-0002-0002' })}`,
      { fromUserId: 'ann', targetId: 'ben', targetType: 1, classname: 'RC:TxtMsg', content: { content: 'first' },
        dateTime: '2024-01-01 10:00:01', msgUID: 'BQ2K-RC01-0001-0001' },
      { fromUserId: 'ann', targetId: 'team', targetType: 3, GroupId: 'team', classname: 'RC:TxtMsg', content: { content: 'to the team' },
        dateTime: '2024-01-01 10:00:03', msgUID: 'BQ2K-RC01-0003-0003' },
      { fromUserId: 'ann', targetId: 'ben', targetType: 1, classname: 'RC:TypSts', content: {}, dateTime: '2024-01-01 10:00:04', msgUID: 'X' },
      { fromUserId: 'ann', targetId: 'room', targetType: 4, classname: 'RC:TxtMsg', content: {}, dateTime: '2024-01-01 10:00:04', msgUID: 'Y' },
    ]);
    assert.match(rc.err, /3 lines written/);
    assert.match(rc.err, /1 skipped: RC:TypSts/);
    assert.match(rc.err, /1 skipped: conversation type 4/);
    const em = convert('easemob.mjs', [
      { msg_id: '1223456789012345678', timestamp: base + 5000, direction: 'outgoing', from: 'ann', to: 'ben', chat_type: 'chat',
        payload: { bodies: [{ type: 'txt', msg: 'from easemob' }], ext: { mood: 'happy' } } },
      { msg_id: '1223456789012345679', timestamp: base + 6000, from: 'ben', to: 'ann', chat_type: 'chat',
        payload: { bodies: [{ type: 'loc', addr: 'Here', lat: 31.2, lng: 121.5 }], ext: {} } },
      { msg_id: '1223456789012345680', timestamp: base + 6500, from: 'ben', to: 'ann', chat_type: 'chat', payload: { bodies: [{ type: 'cmd', action: 'x' }] } },
    ]);
    assert.match(em.err, /2 lines written/);
    const nim = convert('nim.mjs', [
      { msgid: 9000000001, msgidclient: 'c-7', from: 'ben', to: 'ann', ope: 0, sendtime: base + 7000, type: 0, body: 'from nim' },
      { msgid: 9000000002, from: 'ann', to: 'ben', ope: 0, sendtime: base + 8000, type: 100, body: { card: 1 } },
    ]);
    const people = [
      { kind: 'user', userId: 'ann', name: 'Ann' },
      { kind: 'user', userId: 'ben', name: 'Ben' },
      { kind: 'friend', userId: 'ann', friendId: 'ben' },
      { kind: 'group', groupId: 'team', ownerId: 'ann', memberIds: ['ben'], name: 'Team', createTime: base - 60000 },
    ].map((l) => JSON.stringify(l) + '\n').join('');
    const all = people + rc.out + em.out + nim.out;

    let r = importFile(server, all);
    assert.equal(r.code, 0, r.out + r.err);
    assert.deepEqual(summary(r.out, 'message'), { lines: 7, added: 7, existing: 0 });
    r = importFile(server, all);
    assert.equal(r.code, 0, r.out + r.err);
    assert.deepEqual(summary(r.out, 'message'), { lines: 7, added: 0, existing: 7 });
    assert.deepEqual(summary(r.out, 'group'), { lines: 1, added: 0, existing: 1 });

    await ben.call('$listen', 'PULL_OFFLINE_MESSAGE_FINISHED');
    await ben.call('init', { appkey: appKey, serverUrl: server.url, WebSocket: '$WebSocket', logLevel: 'error' });
    assert.equal((await ben.call('connect', server.token('ben'))).code, 0);
    await ben.until((evs) => evs.some(([n]) => n === 'PULL_OFFLINE_MESSAGE_FINISHED'), 'sync');
    const h = await ben.call('getHistoryMessages', { conversationType: CT.PRIVATE, targetId: 'ann' }, { timestamp: 0, count: 20, order: 0 });
    assert.equal(h.code, 0);
    const got = h.data.list.map((m) => [m.messageUId, m.sentTime, m.messageType, m.senderUserId]);
    got.sort((a, b) => a[1] - b[1]);
    assert.deepEqual(got, [
      ['BQ2K-RC01-0001-0001', base + 1000, 'RC:TxtMsg', 'ann'],
      ['BQ2K-RC01-0002-0002', base + 2500, 'RC:TxtMsg', 'ben'],
      ['1223456789012345678', base + 5000, 'RC:TxtMsg', 'ann'],
      ['1223456789012345679', base + 6000, 'RC:LBSMsg', 'ben'],
      ['9000000001', base + 7000, 'RC:TxtMsg', 'ben'],
      ['9000000002', base + 8000, 'NIM:CustomMsg', 'ann'],
    ]);
    const byUId = Object.fromEntries(h.data.list.map((m) => [m.messageUId, m]));
    assert.equal(byUId['1223456789012345678'].content.content, 'from easemob');
    assert.deepEqual(JSON.parse(byUId['1223456789012345678'].content.extra), { mood: 'happy' });
    assert.equal(byUId['1223456789012345679'].content.poi, 'Here');
    assert.equal(byUId['9000000001'].content.content, 'from nim');
    // The conversation list shows the imported conversations with their
    // latest messages, and imported history is read history.
    const list = await ben.call('getConversationList');
    assert.deepEqual(list.data.map((c) => [c.targetId, c.latestMessage?.messageUId, c.unreadMessageCount]),
      [['ann', '9000000002', 0], ['team', 'BQ2K-RC01-0003-0003', 0]]);
    assert.deepEqual(await ben.call('getTotalUnreadCount'), { code: 0, data: 0 });
    const g = await ben.call('getHistoryMessages', { conversationType: CT.GROUP, targetId: 'team' }, { timestamp: 0, count: 20, order: 0 });
    assert.deepEqual(g.data.list.map((m) => [m.messageUId, m.content.content]), [['BQ2K-RC01-0003-0003', 'to the team']]);
  } finally {
    await ben.close();
    await server.stop();
  }
});

test('imwasm import reports refused lines with their numbers and fails', async () => {
  const server = await startServer();
  try {
    const r = importFile(server, '{"kind":"user","userId":"ok"}\n{"kind":"message","messageUId":"M1","sentTime":1,"fromUserId":"a","conversationType":3,"targetId":"nogroup","objectName":"RC:TxtMsg","content":"{}"}\n');
    assert.equal(r.code, 1);
    assert.match(r.err, /line 2 refused: 25410 no group nogroup/);
    assert.deepEqual(summary(r.out, 'user'), { lines: 1, added: 1, existing: 0 });
  } finally {
    await server.stop();
  }
});

test("docs/migration.md's example file imports as it stands", async () => {
  const doc = (await import('node:fs')).readFileSync(new URL('../../docs/migration.md', import.meta.url), 'utf8');
  const example = /```json lines\n([\s\S]*?)```/.exec(doc)[1];
  const server = await startServer();
  try {
    const r = importFile(server, example);
    assert.equal(r.code, 0, r.out + r.err);
    for (const [kind, n] of [['user', 2], ['friend', 1], ['group', 1], ['message', 2]]) {
      assert.deepEqual(summary(r.out, kind), { lines: n, added: n, existing: 0 }, kind);
    }
  } finally {
    await server.stop();
  }
});
