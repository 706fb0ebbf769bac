// Seed 004 (NetEase Yunxin's "消息收发", its next-generation Web SDK) in each
// browser engine against a real server, through imwasm/nim: the seed's
// code blocks as it prints them (kept once, in test/usage-nim-seed004.ts,
// which also type-checks them) run in the pages of ann, ben (two devices),
// cal and xiaodong1 (the receiver the resend block names).
//
// Running a block binds only what the seed leaves to the reader: its
// placeholders ("{{Receiver_ACCOUNT_ID}}", "{{Other_Receiver_ACCOUNT_ID}}",
// `options`) become real accounts and the page's NIMSDK options (with
// `linkUrl`, the imwasm server: docs/migration.md's one change), and
// `document.getElementById('fileInput')` finds a real <input type="file">
// holding a PNG, as the seed's page would. One block needs a repair to
// run as JavaScript (see TYPED below).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { serveStatic, launch, engines, closeAll, gotOf, waitGot, bind } from './browser.mjs';
import { startServer, admin, appKey, pause, resume } from './harness.mjs';

// The blocks, one copy: test/usage-nim-seed004.ts holds them as the seed
// prints them (and type-checks them), one exported function each.
const source = readFileSync(new URL('./usage-nim-seed004.ts', import.meta.url), 'utf8');
const SEED = Object.fromEntries(source.split(/^export async function /m).slice(1)
  .map((f) => [/^\w+/.exec(f)[0], f.slice(f.indexOf('{\n') + 2).replace(/\n\}\s*$/, '')]));

// The one repair a block needs to run as JavaScript: the team-events
// block types its parameter (`key: any`), TypeScript in a block the seed
// labels js.
const TYPED = ['(key: any) =>', '(key) =>'];


test('the seed blocks are all here', () => {
  assert.deepEqual(Object.keys(SEED), ['teamEvents', 'send', 'receive', 'resend', 'forward', 'recall', 'receipt']);
});

test('the seed blocks parse as JavaScript once bound, and only the team-events block needs its repair', () => {
  const AsyncFunction = (async () => {}).constructor;
  assert.throws(() => new AsyncFunction('nim', SEED.teamEvents), SyntaxError);
  assert.doesNotThrow(() => new AsyncFunction('nim', bind(SEED.teamEvents, { [TYPED[0]]: TYPED[1] })));
  for (const [name, code] of Object.entries(SEED)) {
    if (name !== 'teamEvents') assert.doesNotThrow(() => new AsyncFunction('NIMSDK', 'options', code), name);
  }
});

for (const engine of engines()) describe(engine, () => {
  let server, web, browser;
  const u = {};

  // page opens a page for account with NIMSDK, the options the seed calls
  // `options`, a file input holding a PNG, and recorders of the module's
  // events and of console.log / console.error (the seed's blocks log
  // their results). setup is the seed block that connects there.
  async function page(account, setup, device = account) {
    const context = await browser.newContext();
    const p = await context.newPage();
    p.on('pageerror', (e) => console.error(`[${device} page error]`, e));
    await p.goto(web.url + '/page.html');
    await p.waitForFunction(() => window.sdkLoaded);
    const options = { appkey: appKey, account, token: server.token(account), linkUrl: server.url.replace(/^http/, 'ws'), sendTimeout: 2000 };
    await p.evaluate(async ({ options, setup }) => {
      window.NIMSDK = (await import('/nim.js')).default;
      window.options = options;
      window.logged = [];
      window.errors = [];
      window.got = [];
      const log = console.log;
      console.log = (...a) => { window.logged.push(a); log(...a); };
      const error = console.error;
      console.error = (...a) => { window.errors.push(a); error(...a); };
      const canvas = Object.assign(document.createElement('canvas'), { width: 64, height: 48 });
      canvas.getContext('2d').fillRect(0, 0, 64, 48);
      const png = await new Promise((r) => canvas.toBlob(r, 'image/png'));
      const input = Object.assign(document.createElement('input'), { type: 'file', id: 'fileInput' });
      const dt = new DataTransfer();
      dt.items.add(new File([png], 'dot.png', { type: 'image/png' }));
      input.files = dt.files;
      document.body.append(input);
      // The block's `new NIMSDK(options)` gets the test's recorders before it connects.
      class Recorded extends window.NIMSDK {
        constructor(o) {
          super(o);
          for (const name of ['msg', 'sysMsg', 'msgReceipts', 'teamMsgReceipts', 'syncOfflineMsgs', 'syncRoamingMsgs', 'syncdone']) {
            this.on(name, (x) => window.got.push([name, x]));
          }
        }
      }
      const AsyncFunction = (async () => {}).constructor;
      window.nim = await new AsyncFunction('NIMSDK', 'options', `${setup}\nreturn nim;`)(Recorded, options);
    }, { options, setup });
    return { page: p, context, user: device };
  }

  // run runs a seed block in x's page with nim, NIMSDK and options in scope.
  const run = (x, code) => x.page.evaluate((code) => {
    const AsyncFunction = (async () => {}).constructor;
    return new AsyncFunction('nim', 'NIMSDK', 'options', code)(window.nim, window.NIMSDK, window.options);
  }, code);
  const logged = (x) => x.page.evaluate(() => window.logged);

  before(async () => {
    server = await startServer();
    web = await serveStatic();
    browser = await launch(engine);
    await admin(server, 'POST', '/v1/groups', { groupId: 'team1', name: 'seed 004', ownerId: 'ann', memberIds: ['ann', 'ben', 'cal'] });
    u.ann = await page('ann', SEED.receive);
    u.ben = await page('ben', SEED.receipt);
    u.cal = await page('cal', SEED.receive);
    await run(u.ann, bind(SEED.teamEvents, { [TYPED[0]]: TYPED[1] }));
  });

  after(() => closeAll(() => browser?.close(), () => web?.close(), () => server?.stop()));

  test('sending every type: what ben receives, the callbacks, idClient on both sides', async () => {
    await run(u.ann, bind(SEED.send, { '{{Receiver_ACCOUNT_ID}}': 'ben' }));
    const got = [];
    for (const type of ['text', 'tip', 'custom', 'geo', 'image', 'audio', 'video', 'file']) {
      got.push(await waitGot(u.ben, 'msg', (m) => m.type === type && m.from === 'ann', `the ${type} message`));
    }
    const [text, tip, custom, geo, image, audio, video, file] = got;
    assert.deepEqual([text.body, text.scene, text.sessionId, text.flow, text.to, text.target], ['this is a text', 'p2p', 'p2p-ann', 'in', 'ben', 'ann']);
    assert.equal(tip.body, 'this is a text');
    assert.deepEqual(custom.attach, { a: 1 });
    assert.deepEqual(geo.attach, { lng: 120.18201069999999, lat: 30.2006603, title: 'Hangzhou' });
    assert.deepEqual([image.attach.name, image.attach.ext, image.attach.w, image.attach.h], ['dot.png', 'png', 64, 48]);
    assert.match(image.attach.md5, /^[0-9a-f]{32}$/);
    for (const m of [image, audio, video, file]) {
      assert.ok(m.attach.url && m.attach.size > 0, `${m.type} attach ${JSON.stringify(m.attach)}`);
      assert.equal(m.attach.md5, image.attach.md5, 'the same file, the same md5');
    }
    assert.equal(typeof audio.attach.dur, 'number');
    assert.equal(typeof video.attach.dur, 'number');
    // ann's side: onSendBefore saw each message sending, with the idClient ben got.
    const before = (await logged(u.ann)).filter(([s]) => s === 'Get msg before send').map(([, m]) => m);
    assert.equal(before.length, 5);
    assert.ok(before.every((m) => m.status === 'sending' && m.idClient));
    assert.deepEqual(before.map((m) => m.idClient), [text, image, audio, video, file].map((m) => m.idClient));
    const uploads = (await logged(u.ann)).filter(([s]) => s.startsWith('Upl'));
    assert.equal(uploads.filter(([s]) => s === 'Upload start!').length, 4);
    assert.ok(uploads.filter(([s]) => s === 'Uploading!').every(([, p]) => p.total > 0 && p.percentage >= 0 && p.percentageText.endsWith('%')));
    assert.deepEqual(uploads.filter(([s]) => s === 'Upload done!').map(([, f]) => f.md5), Array(4).fill(image.attach.md5));
    assert.deepEqual(await u.ann.page.evaluate(() => window.errors), []);
  });

  test('receipts: ben receipts every message, ann hears of each', async () => {
    const mid = await u.ann.page.evaluate(async () => (await nim.msg.sendTextMsg({ scene: 'p2p', to: 'ben', body: 'read me' })).idClient);
    const receipt = await waitGot(u.ann, 'msgReceipts', (list) => list.some((r) => r.idClient === mid), 'the receipt');
    const r = receipt.find((x) => x.idClient === mid);
    assert.equal(r.sessionId, 'p2p-ben');
    assert.ok(r.msgReceiptTime > 0);
    // "发送后能在消息对象的 status 属性找到是否被发送过已读回执": ann's copy says receipt.
    const history = await u.ann.page.evaluate(() => nim.msgLog.getHistoryMsgs({ scene: 'p2p', to: 'ben', limit: 3 }));
    assert.deepEqual([history[0].idClient, history[0].status], [mid, 'receipt']);
    const bens = await u.ben.page.evaluate(() => nim.msgLog.getHistoryMsgs({ scene: 'p2p', to: 'ann', limit: 1 }));
    assert.deepEqual([bens[0].idClient, bens[0].status, bens[0].flow], [mid, 'read', 'in']);
  });

  test('forward and recall', async () => {
    await run(u.ann, bind(SEED.forward, { '{{Receiver_ACCOUNT_ID}}': 'ben', '{{Other_Receiver_ACCOUNT_ID}}': 'cal' }));
    const fwd = await waitGot(u.cal, 'msg', (m) => m.type === 'text' && m.body === 'this is a text', 'the forwarded text');
    assert.equal(fwd.from, 'ann');
    await run(u.ann, bind(SEED.recall, { '{{Receiver_ACCOUNT_ID}}': 'ben' }));
    const sys = await waitGot(u.ben, 'sysMsg', (s) => s.type === 'recallMsgP2p', 'the recall');
    assert.deepEqual([sys.from, sys.to, sys.content], ['ann', 'ben', 'recall msg']);
  });

  test('a send that fails while the server is frozen, resent after 5 s: xiaodong1 gets it once', async () => {
    const xd = await page('xiaodong1', SEED.receive);
    await pause(server.proc);
    try {
      await run(u.ann, SEED.resend); // returns once the send failed and the timer is set
    } finally {
      resume(server.proc);
    }
    const failed = await u.ann.page.evaluate(() => {
      const e = window.errors.find(([s]) => s === 'sendFailed')?.[1];
      return e && { code: e.code, message: e.message, msg: e.msg };
    });
    assert.equal(failed.msg.status, 'sendFailed');
    assert.equal(failed.code, 408);
    const m = await waitGot(xd, 'msg', (x) => x.body === 'test2', 'the resent message');
    assert.equal(m.idClient, failed.msg.idClient);
    await u.ann.page.evaluate(async () => (await nim.msg.sendTextMsg({ scene: 'p2p', to: 'xiaodong1', body: 'after' })));
    await waitGot(xd, 'msg', (x) => x.body === 'after', 'the next message');
    assert.equal((await gotOf(xd, 'msg')).filter((x) => x.body === 'test2').length, 1);
    await u.ann.page.evaluate(() => { window.errors = []; });
    await xd.context.close();
  });

  test('offline and roaming per session: read on another device comes as roaming, unread as offline', async () => {
    const one = await u.ann.page.evaluate(async () => (await nim.msg.sendTextMsg({ scene: 'p2p', to: 'ben', body: 'one' })).idClient);
    await waitGot(u.ann, 'msgReceipts', (list) => list.some((r) => r.idClient === one), 'ben read one');
    await u.ben.page.evaluate(() => nim.disconnect());
    const two = await u.ann.page.evaluate(async () => (await nim.msg.sendTextMsg({ scene: 'p2p', to: 'ben', body: 'two' })).idClient);
    const ben2 = await page('ben', SEED.receive, 'ben2');
    const roaming = await waitGot(ben2, 'syncRoamingMsgs', (r) => r.sessionId === 'p2p-ann', 'roaming messages');
    const offline = await waitGot(ben2, 'syncOfflineMsgs', (r) => r.sessionId === 'p2p-ann', 'offline messages');
    assert.ok(roaming.msgs.some((m) => m.idClient === one));
    assert.ok(!roaming.msgs.some((m) => m.idClient === two));
    assert.deepEqual(offline.msgs.map((m) => m.idClient), [two]);
    assert.equal(offline.timetag, offline.msgs[0].time);
    await ben2.page.waitForFunction(() => window.got.some(([n]) => n === 'syncdone'));
    assert.equal((await gotOf(ben2, 'msg')).filter((m) => m.idClient === two || m.idClient === one).length, 0, 'synced messages came as msg');
    await ben2.context.close();
    await u.ben.page.evaluate(() => nim.connect());
  });

  test("team notifications: the seed's handlers log each of its events", async () => {
    const call = (method, path, body) => admin(server, method, path, body);
    await call('POST', '/v1/groups/team1/members', { userIds: ['dee'] });
    await call('POST', '/v1/groups/team1/managers', { userIds: ['cal'] });
    await call('POST', '/v1/groups/team1/mute', { userIds: ['dee'], durationMs: 60000 });
    await call('PUT', '/v1/groups/team1', { name: 'renamed' });
    await call('DELETE', '/v1/groups/team1/members/dee');
    await call('POST', '/v1/groups/team1/owner', { userId: 'ben' });
    await call('POST', '/v1/groups', { groupId: 'team2', name: 'short-lived', ownerId: 'cal', memberIds: ['cal', 'ann'] });
    await call('DELETE', '/v1/groups/team2');
    const events = async () => (await logged(u.ann)).filter(([s]) => typeof s === 'string' && s.startsWith('收到 ')).map(([s, res]) => [s, res]);
    const want = ['addTeamMembers', 'updateTeamManagers', 'updateTeamMembersMute', 'updateTeam', 'removeTeamMembers', 'transferTeam', 'dismissTeam'];
    await u.ann.page.waitForFunction((n) => window.logged.filter(([s]) => typeof s === 'string' && s.startsWith('收到 ')).length >= n, want.length);
    const got = await events();
    assert.deepEqual(got.map(([s]) => s), want.map((k) => `收到 ${k} 事件:`));
    const by = Object.fromEntries(got.map(([s, res]) => [s.slice(3, -4), res]));
    assert.deepEqual(by.addTeamMembers.accounts, ['dee']);
    assert.equal(by.addTeamMembers.team.teamId, 'team1');
    assert.deepEqual([by.updateTeamManagers.accounts, by.updateTeamManagers.isManager], [['cal'], true]);
    assert.deepEqual([by.updateTeamMembersMute.accounts, by.updateTeamMembersMute.mute], [['dee'], true]);
    assert.equal(by.updateTeam.name, 'renamed');
    assert.deepEqual(by.removeTeamMembers.accounts, ['dee']);
    assert.deepEqual([by.transferTeam.to.account, by.transferTeam.to.type], ['ben', 'owner']);
    assert.deepEqual(by.dismissTeam, { teamId: 'team2' });
  });

  test('team receipts: needACK, sendTeamMsgReceipt, getTeamMsgReads, getTeamMsgReadAccounts', async () => {
    const sent = await u.ann.page.evaluate(() => nim.msg.sendTextMsg({ scene: 'team', to: 'team1', body: 'ack me', teamSpecializationInfo: { needACK: true } }));
    const m = await waitGot(u.cal, 'msg', (x) => x.idClient === sent.idClient, 'the team message');
    assert.deepEqual([m.scene, m.sessionId, m.teamSpecializationInfo?.needACK], ['team', 'team-team1', true]);
    await u.cal.page.evaluate((m) => nim.msg.sendTeamMsgReceipt({ teamMsgReceipts: [{ teamId: 'team1', idServer: m.idServer, idClient: m.idClient }] }), m);
    const list = await waitGot(u.ann, 'teamMsgReceipts', (l) => l.some((r) => r.idClient === sent.idClient), "cal's receipt");
    assert.deepEqual(list.find((r) => r.idClient === sent.idClient), { teamId: 'team1', idServer: sent.idServer, idClient: sent.idClient, read: 1, unread: 1, account: 'cal' });
    const q = { teamId: 'team1', idServer: sent.idServer, idClient: sent.idClient };
    const reads = await u.ann.page.evaluate((q) => nim.msg.getTeamMsgReads({ teamMsgReceipts: [q] }), q);
    assert.deepEqual(reads, [{ ...q, read: 1, unread: 1 }]);
    const accounts = await u.ann.page.evaluate((q) => nim.msg.getTeamMsgReadAccounts({ teamMsgReceipt: q }), q);
    assert.deepEqual(accounts, { readAccounts: ['cal'], unreadAccounts: ['ben'], teamMsgReceipt: { teamId: 'team1', idClient: sent.idClient } });
    const err = await u.ann.page.evaluate(() => nim.msg.sendMsgReceipt({ msg: { scene: 'team' } }).then(() => null, (e) => ({ code: e.code, message: e.message })));
    assert.equal(err.code, 414);
  });
});
