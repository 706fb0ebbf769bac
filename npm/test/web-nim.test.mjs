// imwasm/nim's services in each browser engine against a real server:
// teams, users and the blacklist (a refused message), friends, sessions,
// editing, NIM's error codes and the connection events, for nia, ola and
// pim, each in a page of their own.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveStatic, launch, engines, closeAll, gotOf, waitGot } from './browser.mjs';
import { startServer, admin, appKey } from './harness.mjs';

for (const engine of engines()) describe(engine, () => {
  let server, web, browser;
  const u = {};

  // open connects account's page with NIMSDK as window.nim, recording its events.
  async function open(account) {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error(`[${account} page error]`, e));
    await page.goto(web.url + '/page.html');
    await page.waitForFunction(() => window.sdkLoaded);
    await page.evaluate(async (options) => {
      const NIMSDK = (await import('/nim.js')).default;
      window.got = [];
      window.nim = new NIMSDK(options);
      for (const name of ['logined', 'kicked', 'disconnect', 'willReconnect', 'msg', 'modifyMsg', 'sessions', 'updateSession', 'updateTeam', 'addTeamMembers', 'removeTeamMembers', 'updateTeamManagers', 'transferTeam', 'updateTeamMembersMute', 'sysMsg']) {
        window.nim.on(name, (x) => window.got.push([name, x ?? {}]));
      }
      await window.nim.connect();
    }, { appkey: appKey, account, token: server.token(account), linkUrl: server.url });
    return { page, context, user: account };
  }
  // call runs nim.<path>(arg) in x's page: { ok } or { code, message, status } of the error.
  const call = (x, path, arg) => x.page.evaluate(async ({ path, arg }) => {
    const [svc, fn] = path.split('.');
    // null for undefined: WebDriver drops undefined properties
    try { return { ok: (await window.nim[svc][fn](arg)) ?? null }; } catch (e) { return { code: e.code, message: e.message, status: e.msg?.status }; }
  }, { path, arg });
  const must = async (x, path, arg) => {
    const r = await call(x, path, arg);
    assert.ok('ok' in r, `${x.user} ${path}: ${JSON.stringify(r)}`);
    return r.ok;
  };

  before(async () => {
    server = await startServer(['--send-rate', '5']); // the product's rate, for 416
    web = await serveStatic();
    browser = await launch(engine);
    u.nia = await open('nia');
    u.ola = await open('ola');
    u.pim = await open('pim');
  });

  after(() => closeAll(() => browser?.close(), () => web?.close(), () => server?.stop()));

  test('logined and the session list on connect', async () => {
    await waitGot(u.nia, 'logined', (e) => e.account === 'nia', 'logined');
    await waitGot(u.nia, 'sessions', (list) => Array.isArray(list), 'the session list after syncdone');
  });

  test('teams: create, info, members, managers, mutes, join, leave, transfer', async () => {
    const team = await must(u.nia, 'team.createTeam', { type: 'advanced', name: 'Club', accounts: ['ola'], joinMode: 'noVerify', intro: 'books' });
    assert.deepEqual([team.name, team.owner, team.memberNum, team.joinMode, team.intro], ['Club', 'nia', 2, 'noVerify', 'books']);
    const teamId = team.teamId;
    assert.ok((await must(u.ola, 'team.getTeams')).some((t) => t.teamId === teamId));
    await must(u.nia, 'team.updateTeamInfo', { teamId, name: 'Club 2', announcement: 'hello' });
    const upd = await waitGot(u.ola, 'updateTeam', (t) => t.teamId === teamId && t.name === 'Club 2', 'updateTeam');
    assert.equal(upd.announcement, 'hello');
    await must(u.nia, 'team.addTeamManagers', { teamId, accounts: ['ola'] });
    const members = await must(u.nia, 'team.getTeamMembers', { teamId });
    assert.deepEqual(members.map((m) => [m.account, m.type]).sort(), [['nia', 'owner'], ['ola', 'manager']]);
    await must(u.nia, 'team.removeTeamManagers', { teamId, accounts: ['ola'] });
    await must(u.nia, 'team.muteTeamMember', { teamId, account: 'ola', mute: true });
    await waitGot(u.ola, 'updateTeamMembersMute', (e) => e.accounts.includes('ola') && e.mute, 'muted');
    const muted = await call(u.ola, 'msg.sendTextMsg', { scene: 'team', to: teamId, body: 'muted?' });
    assert.equal(muted.status, 'sendFailed', JSON.stringify(muted));
    await must(u.nia, 'team.muteTeamMember', { teamId, account: 'ola', mute: false });
    await must(u.nia, 'team.muteTeam', { teamId, mute: true });
    assert.equal((await must(u.ola, 'team.getTeamInfo', { teamId })).mute, true);
    await must(u.nia, 'team.muteTeam', { teamId, mute: false });
    await must(u.pim, 'team.applyTeam', { teamId });
    await waitGot(u.nia, 'addTeamMembers', (e) => e.team.teamId === teamId && e.accounts.includes('pim'), 'pim joined');
    await must(u.nia, 'team.removeTeamMembers', { teamId, accounts: ['pim'] });
    await waitGot(u.ola, 'removeTeamMembers', (e) => e.accounts.includes('pim'), 'pim removed');
    await must(u.nia, 'team.transferTeam', { teamId, account: 'ola', leave: true });
    await waitGot(u.ola, 'transferTeam', (e) => e.to.account === 'ola', 'ola owns it');
    assert.ok(!(await must(u.nia, 'team.getTeams')).some((t) => t.teamId === teamId), 'nia left');
    const notMember = await call(u.nia, 'msg.sendTextMsg', { scene: 'team', to: teamId, body: 'still here?' });
    assert.equal(notMember.code, 804);
    assert.equal((await call(u.nia, 'team.getTeamInfo', { teamId: 'no-such-team' })).code, 803);
  });

  test('the blacklist refuses, name cards, friends', async () => {
    await must(u.ola, 'user.setBlack', { account: 'nia', isAdd: true });
    assert.deepEqual((await must(u.ola, 'user.getBlackList')).map((b) => b.account), ['nia']);
    const refused = await call(u.nia, 'msg.sendTextMsg', { scene: 'p2p', to: 'ola', body: 'blocked?' });
    assert.deepEqual([refused.code, refused.status], [7101, 'refused']);
    await must(u.ola, 'user.setBlack', { account: 'nia', isAdd: false });
    assert.deepEqual((await must(u.ola, 'user.getRelations')).blackList, []);

    const card = await must(u.nia, 'user.updateMyNameCard', { nick: 'Nia', gender: 'female', signature: 'reading' });
    assert.deepEqual([card.account, card.nick, card.gender, card.signature], ['nia', 'Nia', 'female', 'reading']);
    const [seen] = await must(u.ola, 'user.getUsersNameCardFromServer', { accounts: ['nia'] });
    assert.deepEqual([seen.nick, seen.gender, seen.signature], ['Nia', 'female', 'reading']);
    // One field at a time: the others, extra fields too, are kept.
    const tel = await must(u.nia, 'user.updateMyNameCard', { tel: '123' });
    assert.deepEqual([tel.nick, tel.signature, tel.tel], ['Nia', 'reading', '123']);

    await must(u.nia, 'friend.applyFriend', { account: 'ola', ps: 'hi' });
    await must(u.ola, 'friend.passFriendApply', { account: 'nia' });
    await u.nia.page.waitForFunction(async () => (await window.nim.friend.getFriends()).some((f) => f.account === 'ola'));
    await must(u.nia, 'friend.updateFriend', { account: 'ola', alias: 'Ola B.' });
    assert.equal((await must(u.nia, 'friend.getFriends')).find((f) => f.account === 'ola').alias, 'Ola B.');
    await must(u.nia, 'friend.deleteFriend', { account: 'ola' });
    assert.ok(!(await must(u.nia, 'friend.getFriends')).some((f) => f.account === 'ola'));
  });

  test('sessions, editing, and errors with NIM codes', async () => {
    const sent = await must(u.pim, 'msg.sendTextMsg', { scene: 'p2p', to: 'ola', body: 'frist' });
    await waitGot(u.ola, 'msg', (m) => m.idClient === sent.idClient, 'the text');
    // The session list: the updateSession that came with it, and the synchronous getters.
    const upd = await waitGot(u.ola, 'updateSession', (s) => s.id === 'p2p-pim' && s.lastMsg?.idClient === sent.idClient, 'updateSession');
    assert.deepEqual([upd.scene, upd.to, upd.unread], ['p2p', 'pim', 1]);
    const got = await u.ola.page.evaluate(() => [window.nim.session.getSession({ id: 'p2p-pim' })?.unread, window.nim.session.getSessions({ limit: 1 })[0]?.id,
      window.nim.session.getAllSessions().map((s) => s.id)]);
    assert.deepEqual(got.slice(0, 2), [1, 'p2p-pim']);
    assert.ok(got[2].includes('p2p-pim'));
    const unread = () => u.ola.page.evaluate(async () => (await window.RongIMLib.getConversation({ conversationType: 1, targetId: 'pim' })).data.unreadMessageCount);
    assert.equal(await unread(), 1);
    await must(u.ola, 'session.resetSessionUnreadCount', { id: 'p2p-pim' });
    assert.equal(await unread(), 0);
    const pinned = await must(u.ola, 'session.addStickTopSession', { id: 'p2p-pim' });
    assert.deepEqual([pinned.id, pinned.stickTopInfo.isStickOnTop], ['p2p-pim', true]);
    assert.equal((await u.ola.page.evaluate(async () => (await window.RongIMLib.getConversation({ conversationType: 1, targetId: 'pim' })).data.isTop)), true);

    const edited = await must(u.pim, 'msg.modifyMsg', { msg: sent, body: 'first' });
    assert.equal(edited.body, 'first');
    const seen = await waitGot(u.ola, 'modifyMsg', (m) => m.idClient === sent.idClient, 'the edit');
    assert.equal(seen.body, 'first');

    assert.equal((await call(u.pim, 'msg.sendTextMsg', { scene: 'bogus', to: 'ola', body: 'x' })).code, 414);
    // Every session id is read before any is reset: a bogus one resets none.
    const again = await must(u.pim, 'msg.sendTextMsg', { scene: 'p2p', to: 'ola', body: 'again' });
    await waitGot(u.ola, 'updateSession', (s) => s.id === 'p2p-pim' && s.lastMsg?.idClient === again.idClient, 'the second text');
    assert.equal(await unread(), 1);
    assert.equal((await call(u.ola, 'session.resetMultiSessionUnreadCount', { ids: ['p2p-pim', 'bogus'] })).code, 414);
    assert.equal((await call(u.ola, 'session.resetMultiSessionUnreadCount', { ids: 'p2p-pim' })).code, 414, 'ids is an array');
    assert.equal(await unread(), 1, 'nothing reset');
    await must(u.ola, 'session.resetMultiSessionUnreadCount', { ids: ['p2p-pim'] });
    assert.equal(await unread(), 0);
    // Bad parameters are 414, as rejections (never thrown at the call), and
    // so are the engine's INVALID_PARAMETER_* codes.
    const bad = await u.pim.page.evaluate(async () => {
      const caught = (f) => {
        let p;
        try { p = f(); } catch (e) { return { sync: true, code: e?.code, name: e?.name }; }
        return p.then((ok) => ({ ok: !!ok }), (e) => ({ code: e.code, message: e.message }));
      };
      const cycle = {};
      cycle.self = cycle;
      const to = { scene: 'p2p', to: 'ola' };
      return {
        bigAttach: await caught(() => window.nim.msg.sendCustomMsg({ ...to, attach: { n: 1n } })),
        cycleAttach: await caught(() => window.nim.msg.sendCustomMsg({ ...to, attach: cycle })),
        bigEdit: await caught(() => window.nim.msg.modifyMsg({ msg: { ...to, target: 'ola', idServer: 'x', type: 'custom' }, attach: { n: 1n } })),
        latText: await caught(() => window.nim.msg.sendGeoLocationMsg({ ...to, attach: { lat: 'north', lng: 2, title: 'x' } })),
        noLng: await caught(() => window.nim.msg.sendGeoLocationMsg({ ...to, attach: { lat: 1, title: 'x' } })),
        nanLat: await caught(() => window.nim.msg.sendGeoLocationMsg({ ...to, attach: { lat: NaN, lng: 2 } })),
        gender: await caught(() => window.nim.user.updateMyNameCard({ nick: 'Robot', gender: 'robot' })),
        count: await caught(() => window.nim.msgLog.getHistoryMsgs({ ...to, limit: 0 })), // 34232
        geo: await caught(() => window.nim.msg.sendGeoLocationMsg({ ...to, attach: { lat: 30.5, lng: 114.3, title: 'here' } })),
      };
    });
    for (const k of ['bigAttach', 'cycleAttach', 'bigEdit', 'latText', 'noLng', 'nanLat', 'gender', 'count']) {
      assert.deepEqual([bad[k].sync, bad[k].code], [undefined, 414], `${k}: ${JSON.stringify(bad[k])}`);
    }
    assert.equal(bad.geo.ok, true, 'numbers are sent');
    assert.notEqual((await must(u.pim, 'user.getUsersNameCardFromServer', { accounts: ['pim'] }))[0].nick, 'Robot', 'nothing set');
    const theirs = (await gotOf(u.ola, 'msg')).find((m) => m.idClient === sent.idClient);
    assert.equal((await call(u.ola, 'msg.recallMsg', { msg: theirs })).code, 403, 'recalling another user\'s message');
    assert.equal((await call(u.pim, 'msg.getTeamMsgReads', { teamMsgReceipts: [{ teamId: 'nope', idServer: 'x' }] })).code, 804);
    assert.equal((await call(u.pim, 'msg.sendMsgReceipt', { msg: { scene: 'team' } })).code, 414);
    // 416: past the SDK's send rate (5 a second in bursts of 10): 40 at once
    // outrun the refill unless sending them takes over 6 s.
    const codes = await u.pim.page.evaluate(() => Promise.all(Array.from({ length: 40 }, (_, i) =>
      window.nim.msg.sendTextMsg({ scene: 'p2p', to: 'ola', body: 'fast ' + i }).then(() => 0, (e) => e.code))));
    assert.ok(codes.includes(416), `codes ${codes}`);
    // 814: team receipts switched off by the app.
    const team = await must(u.ola, 'team.createTeam', { type: 'advanced', name: 'Acks', accounts: ['pim'] });
    const asking = await must(u.ola, 'msg.sendTextMsg', { scene: 'team', to: team.teamId, body: 'ack?', teamSpecializationInfo: { needACK: true } });
    // A mode NIM does not have is refused before anything changes.
    for (const mode of [{ joinMode: 'open' }, { inviteMode: 'owner' }, { updateTeamMode: 'everyone' }, { beInviteMode: 'maybe' }]) {
      assert.equal((await call(u.ola, 'team.updateTeamInfo', { teamId: team.teamId, name: 'Renamed', ...mode })).code, 414, JSON.stringify(mode));
    }
    assert.equal((await must(u.ola, 'team.getTeamInfo', { teamId: team.teamId })).name, 'Acks', 'not renamed');
    assert.equal((await must(u.ola, 'team.updateTeamInfo', { teamId: team.teamId, joinMode: 'rejectAll', beInviteMode: 'noVerify' })).joinMode, 'rejectAll');
    assert.deepEqual((await must(u.ola, 'team.getTeamMembers', { teamId: team.teamId, accounts: 'olapim' })), [], 'a string is one account');
    assert.deepEqual((await must(u.ola, 'team.getTeamMembers', { teamId: team.teamId, accounts: 'pim' })).map((m) => m.account), ['pim']);
    // 404: a message the team does not have.
    assert.equal((await call(u.ola, 'msg.getTeamMsgReads', { teamMsgReceipts: [{ teamId: team.teamId, idServer: 'no-such-message' }] })).code, 404);
    await admin(server, 'PUT', '/v1/settings', { receiptsEnabled: false });
    try {
      const off = await call(u.pim, 'msg.sendTeamMsgReceipt', { teamMsgReceipts: [{ teamId: team.teamId, idServer: asking.idServer, idClient: asking.idClient }] });
      assert.equal(off.code, 814);
    } finally {
      await admin(server, 'PUT', '/v1/settings', { receiptsEnabled: true });
    }
  });

  test('super teams: sent and received, the session and its unread count, no receipts, a recall, NIM codes', async () => {
    await admin(server, 'POST', '/v1/ultragroups', { id: 'st1', ownerId: 'nia', memberIds: ['ola'] });
    const sent = await must(u.nia, 'msg.sendTextMsg', { scene: 'superTeam', to: 'st1', body: 'hello super' });
    assert.deepEqual([sent.scene, sent.sessionId, sent.to, sent.status], ['superTeam', 'superTeam-st1', 'st1', 'sent']);
    const got = await waitGot(u.ola, 'msg', (m) => m.idServer === sent.idServer, 'the super team message');
    assert.deepEqual([got.scene, got.from, got.to, got.flow, got.body], ['superTeam', 'nia', 'st1', 'in', 'hello super']);
    await waitGot(u.ola, 'updateSession', (s) => s.id === 'superTeam-st1' && s.unread === 1 && s.lastMsg?.idServer === sent.idServer, 'the session');
    // No receipts in super teams; a non-member and a team that is not there answer NIM's codes.
    const acked = await call(u.nia, 'msg.sendTextMsg', { scene: 'superTeam', to: 'st1', body: 'ack?', teamSpecializationInfo: { needACK: true } });
    assert.equal(acked.code, 414);
    // (ola, not pim, as the non-member: the test before spends pim's send rate, and the SDK's 416
    // comes before the server's 804 until it refills.)
    await admin(server, 'POST', '/v1/ultragroups', { id: 'st2', ownerId: 'nia', memberIds: [] });
    assert.equal((await call(u.ola, 'msg.sendTextMsg', { scene: 'superTeam', to: 'st2', body: 'let me in' })).code, 804);
    assert.equal((await call(u.ola, 'msg.sendTextMsg', { scene: 'superTeam', to: 'nope', body: '?' })).code, 803);
    await must(u.nia, 'msg.recallMsg', { msg: sent });
    const sys = await waitGot(u.ola, 'sysMsg', (m) => m.idServer === sent.idServer, 'the recall');
    assert.deepEqual([sys.type, sys.from, sys.to, sys.attach.sessionId], ['recallMsgSuperTeam', 'nia', 'st1', 'superTeam-st1']);
  });

  test('kicked when the app server signs the user out', async () => {
    await admin(server, 'POST', '/v1/users/pim/kick', {});
    await waitGot(u.pim, 'kicked', () => true, 'kicked');
  });

  test('disconnect on nim.disconnect(), willReconnect when the server goes away', async () => {
    await u.ola.page.evaluate(() => window.nim.disconnect());
    await waitGot(u.ola, 'disconnect', () => true, 'disconnect');
    await server.stop(); // the last test: after() stops nothing more
    await waitGot(u.nia, 'willReconnect', () => true, 'willReconnect');
  });
});
