// imwasm/nim's translation layer against nim-web-sdk-ng@10.8.1's own
// definitions (dist/v2/NIM_BROWSER_SDK/*.d.ts): each test states what NIM
// does and where its typings say so. Every NIM user is an SDK in a worker
// thread of its own (this same file, loaded as the worker), with the ws
// package as its WebSocket, against a real server (../bin/imwasm).
import { isMainThread, Worker, parentPort, workerData } from 'node:worker_threads';

if (!isMainThread) {
  const { default: WebSocket } = await import('ws');
  globalThis.WebSocket = WebSocket;
  const { default: NIMSDK } = await import('../nim.js');
  const nim = new NIMSDK(workerData);
  const clone = (x) => JSON.parse(JSON.stringify(x ?? null));
  const names = ['logined', 'kicked', 'disconnect', 'willReconnect', 'msg', 'modifyMsg', 'sessions', 'updateSession', 'updateTeam', 'addTeamMembers',
    'removeTeamMembers', 'updateTeamManagers', 'transferTeam', 'updateTeamMembersMute', 'dismissTeam', 'sysMsg', 'msgReceipts', 'teamMsgReceipts',
    'syncOfflineMsgs', 'syncRoamingMsgs', 'syncdone', 'syncFriend', 'friends', 'teams'];
  for (const n of names) nim.on(n, (x) => parentPort.postMessage({ event: n, payload: clone(x) }));
  // What an app reading the session list when the sync is done sees.
  nim.on('syncdone', () => parentPort.postMessage({ event: 'syncdone:getAllSessions', payload: clone(nim.session.getAllSessions()) }));
  parentPort.on('message', async ({ id, path, arg }) => {
    if (path === '$disconnectIsPromise') {
      const r = nim.disconnect();
      parentPort.postMessage({ id, ok: typeof r?.then === 'function' });
      return;
    }
    try {
      const parts = path.split('.');
      const fn = parts.pop();
      const obj = parts.reduce((o, k) => o[k], nim);
      const r = await obj[fn](arg);
      parentPort.postMessage({ id, ok: clone(r) });
    } catch (e) {
      parentPort.postMessage({ id, err: { code: e?.code, message: e?.message, msg: e?.msg ? clone(e.msg) : undefined } });
    }
  });
  parentPort.postMessage({ ready: true });
} else {
  const { test, before, after } = await import('node:test');
  const assert = (await import('node:assert/strict')).default;
  const { startServer } = await import('./harness.mjs');

  let server;
  const workers = [];
  before(async () => { server = await startServer(); });
  after(async () => {
    for (const w of workers) await w.terminate();
    await server?.stop();
  });

  // nimUser starts account's NIM SDK in a worker and connects it (waiting
  // for syncdone unless told not to).
  async function nimUser(account, { connect = true } = {}) {
    const w = new Worker(new URL(import.meta.url), { workerData: { appkey: 'node-test-app', account, token: server.token(account), linkUrl: server.url } });
    workers.push(w);
    const u = { account, events: [], waiters: [], pending: new Map(), seq: 0, w };
    await new Promise((resolve, reject) => {
      w.on('error', reject);
      w.on('message', (m) => {
        if (m.ready) return resolve();
        if (m.event) {
          u.events.push([m.event, m.payload]);
          u.waiters = u.waiters.filter((f) => !f());
          return;
        }
        const p = u.pending.get(m.id);
        u.pending.delete(m.id);
        p(m);
      });
    });
    // call: { ok } or { err: { code, message, msg } }
    u.call = (path, arg) => new Promise((r) => { const id = ++u.seq; u.pending.set(id, r); w.postMessage({ id, path, arg }); });
    u.must = async (path, arg) => {
      const r = await u.call(path, arg);
      assert.ok(!r.err, `${account} ${path}: ${JSON.stringify(r.err)}`);
      return r.ok;
    };
    u.got = (name, pred = () => true) => u.events.filter(([n, p]) => n === name && pred(p)).map(([, p]) => p);
    u.until = (name, pred = () => true, what = name, ms = 8000) => new Promise((resolve, reject) => {
      const check = () => {
        const hit = u.events.find(([n, p]) => n === name && pred(p));
        if (hit) { clearTimeout(t); resolve(hit[1]); return true; }
        return false;
      };
      const t = setTimeout(() => reject(new Error(`${account}: timed out waiting for ${what}; got ${JSON.stringify(u.events.map(([n]) => n))}`)), ms);
      if (!check()) u.waiters.push(check);
    });
    u.close = () => w.terminate();
    if (connect) {
      await u.must('connect');
      await u.until('syncdone');
    }
    return u;
  }
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  // SystemMessageServiceInterface.d.ts: SystemMessage has `feature:
  // TSysMsgFeature` ('default' | 'leave' | 'roam') and `recallMessageInfo?:
  // TSysMsgRecallMsgInfo` ({ idClient, idServer, createTime, fromNick,
  // opeAccount }: "Fields related to the recalled messages"); an app finds
  // the recalled message by recallMessageInfo.idClient.
  test('recall: sysMsg recallMsgP2p carries recallMessageInfo and feature', async () => {
    const a = await nimUser('rc-a');
    const b = await nimUser('rc-b');
    try {
      const sent = await a.must('msg.sendTextMsg', { scene: 'p2p', to: 'rc-b', body: 'oops' });
      await b.until('msg', (m) => m.idClient === sent.idClient);
      await a.must('msg.recallMsg', { msg: sent, ps: 'sorry' });
      const sys = await b.until('sysMsg', (s) => s.type === 'recallMsgP2p');
      assert.deepEqual([sys.from, sys.to, sys.content, sys.opeAccount, sys.feature], ['rc-a', 'rc-b', 'sorry', 'rc-a', 'default']);
      assert.deepEqual(sys.recallMessageInfo, { idClient: sent.idClient, idServer: sent.idServer, createTime: sent.time, fromNick: '', opeAccount: 'rc-a' });
    } finally { await a.close(); await b.close(); }
  });

  // NIMInterface.d.ts IMEventInterface: `sessions` (line 962, "Received
  // conversations during synchronization") and `syncdone` (line 943, the
  // sync is complete): the session list is there when syncdone fires, so an
  // app may read nim.session.getAllSessions() in its syncdone handler.
  test('sessions come before syncdone (getAllSessions in syncdone has the sessions)', async () => {
    const b = await nimUser('sd-b');
    await b.must('msg.sendTextMsg', { scene: 'p2p', to: 'sd-a', body: 'hello' });
    await b.close();
    const a = await nimUser('sd-a');
    try {
      const atDone = await a.until('syncdone:getAllSessions');
      const order = a.events.map(([n]) => n).filter((n) => n === 'sessions' || n === 'syncdone');
      assert.deepEqual(order, ['sessions', 'syncdone']);
      assert.deepEqual(a.got('sessions')[0].map((s) => s.id), ['p2p-sd-b']);
      assert.deepEqual(atDone.map((s) => s.id), ['p2p-sd-b'], 'getAllSessions() in the syncdone handler');
    } finally { await a.close(); }
  });

  // MsgServiceInterface.d.ts sendText (line 17, and every send): "消息发送方，
  // 接收方、以及发送方多端同步账号收到 updateSession 事件" — the sender, the
  // receiver and the sender's other devices get updateSession.
  test('a send emits updateSession on the sender, the receiver and the sender\'s other device', async () => {
    const a = await nimUser('us-a');
    const a2 = await nimUser('us-a');
    const b = await nimUser('us-b');
    try {
      const sent = await a.must('msg.sendTextMsg', { scene: 'p2p', to: 'us-b', body: 'first' });
      const has = (x) => x.id === 'p2p-us-b' && x.lastMsg?.idClient === sent.idClient;
      const s = await a.until('updateSession', has, 'updateSession on the sender', 3000);
      assert.deepEqual([s.scene, s.to, s.lastMsg.status, s.lastMsg.flow, s.unread], ['p2p', 'us-b', 'sent', 'out', 0]);
      assert.ok(s.updateTime >= sent.time);
      await a2.until('updateSession', has, "updateSession on the sender's other device", 3000);
      const r = await b.until('updateSession', (x) => x.id === 'p2p-us-a' && x.lastMsg?.idClient === sent.idClient, 'updateSession on the receiver', 3000);
      assert.equal(r.unread, 1);
      const forwarded = await a.must('msg.forwardMsg', { scene: 'p2p', to: 'us-c', msg: sent });
      await a.until('updateSession', (x) => x.id === 'p2p-us-c' && x.lastMsg?.idClient === forwarded.idClient, 'updateSession for a forward', 3000);
    } finally { await a.close(); await a2.close(); await b.close(); }
  });

  // V1NIMLoginService.d.ts line 39 / NIMInterface.d.ts line 92:
  // `disconnect(): Promise<void>`.
  test('disconnect() answers a Promise', async () => {
    const a = await nimUser('dc-a');
    const r = await a.call('$disconnectIsPromise');
    await a.close();
    assert.equal(r.ok, true, `nim.disconnect() answered ${JSON.stringify(r)}`);
  });

  // TeamServiceInterface.d.ts applyTeam (line 350): `Promise<Team>`; with
  // joinMode 'needVerify' "管理员收到 sysMsg，其 type 为 'applyTeam'" (the
  // owner and managers), who pass or reject it; rejectTeamApply: "申请者收到
  // type 为 'rejectTeamApply' sysMsg".
  test('applyTeam answers the Team; needVerify: the owner gets sysMsg applyTeam, the applicant rejectTeamApply', async () => {
    const a = await nimUser('ap-a');
    const c = await nimUser('ap-c');
    try {
      const open = await a.must('team.createTeam', { type: 'advanced', name: 'Open', accounts: [], joinMode: 'noVerify' });
      const joined = await c.must('team.applyTeam', { teamId: open.teamId });
      assert.deepEqual([joined.teamId, joined.name, joined.owner, joined.memberNum], [open.teamId, 'Open', 'ap-a', 2]);

      const team = await a.must('team.createTeam', { type: 'advanced', name: 'Closed', accounts: [], joinMode: 'needVerify' });
      const applied = await c.must('team.applyTeam', { teamId: team.teamId, ps: 'let me in' });
      assert.deepEqual([applied.teamId, applied.name, applied.joinMode, applied.memberNum], [team.teamId, 'Closed', 'needVerify', 1]);
      const sys = await a.until('sysMsg', (s) => s.type === 'applyTeam', 'sysMsg applyTeam', 4000);
      assert.deepEqual([sys.from, sys.to, sys.feature], ['ap-c', team.teamId, 'default']);
      assert.equal(c.got('sysMsg', (s) => s.type === 'applyTeam').length, 0, 'the applicant gets no applyTeam');
      await a.must('team.rejectTeamApply', { teamId: team.teamId, from: 'ap-c', ps: 'no' });
      const no = await c.until('sysMsg', (s) => s.type === 'rejectTeamApply', 'sysMsg rejectTeamApply', 4000);
      assert.deepEqual([no.from, no.to, no.content], ['ap-a', team.teamId, 'no']);
    } finally { await a.close(); await c.close(); }
  });

  // TeamServiceInterface.d.ts addTeamMembers: with beInviteMode 'needVerify'
  // "被邀请者触发 sysMsg，其 type 为 'teamInvite'"; createTeam: "After the user
  // rejects the invitation …, the inviter will receive a system notification
  // … whose type is 'rejectTeamInvite'".
  test('an invitation: the invitee gets sysMsg teamInvite, the inviter rejectTeamInvite', async () => {
    const a = await nimUser('iv-a');
    const b = await nimUser('iv-b');
    try {
      const team = await a.must('team.createTeam', { type: 'advanced', name: 'I', accounts: [], beInviteMode: 'needVerify' });
      await a.must('team.addTeamMembers', { teamId: team.teamId, accounts: ['iv-b'] });
      const inv = await b.until('sysMsg', (s) => s.type === 'teamInvite', 'sysMsg teamInvite', 4000);
      assert.deepEqual([inv.from, inv.to], ['iv-a', team.teamId]);
      await b.must('team.rejectTeamInvite', { teamId: team.teamId, from: 'iv-a', ps: 'busy' });
      const no = await a.until('sysMsg', (s) => s.type === 'rejectTeamInvite', 'sysMsg rejectTeamInvite', 4000);
      assert.deepEqual([no.from, no.to, no.content], ['iv-b', team.teamId, 'busy']);
    } finally { await a.close(); await b.close(); }
  });

  // TeamServiceInterface.d.ts: every team change sends the members a
  // notification msg with `msg.type: 'notification'` and `msg.attach.type`:
  // addTeamMembers (attach.accounts: the invitees), passTeamApply
  // (attach.account: the applicant), addTeamManagers / removeTeamManagers /
  // removeTeamMembers (attach.accounts), updateTeamMemberMute
  // (attach.account, attach.mute), updateTeam (attach.team), transferTeam
  // (attach.account: the new owner), leaveTeam, dismissTeam; msg.from is who
  // acted, msg.to the team.
  test('team notifications: msg type notification with NIM\'s attach.type', async () => {
    const a = await nimUser('tn-a');
    const b = await nimUser('tn-b');
    const c = await nimUser('tn-c');
    try {
      const team = await a.must('team.createTeam', { type: 'advanced', name: 'N', accounts: ['tn-b'], joinMode: 'noVerify', beInviteMode: 'noVerify' });
      const teamId = team.teamId;
      const next = async (type, what = type) => {
        const m = await b.until('msg', (x) => x.type === 'notification' && x.attach?.type === type && !x.seen, what, 4000);
        m.seen = true;
        assert.deepEqual([m.scene, m.to, m.attach.team?.teamId], ['team', teamId, teamId]);
        return m;
      };
      // createTeam: "被邀请者和创建者都收到 … attach.type == addTeamMembers 的通知消息".
      const created = await next('addTeamMembers', 'the creation');
      assert.deepEqual([created.from, created.attach.accounts], ['tn-a', ['tn-b']]);
      await a.must('team.addTeamMembers', { teamId, accounts: ['tn-c'] });
      const add = await next('addTeamMembers');
      assert.deepEqual([add.from, add.attach.accounts], ['tn-a', ['tn-c']]);
      await a.must('team.removeTeamMembers', { teamId, accounts: ['tn-c'] });
      assert.deepEqual((await next('removeTeamMembers')).attach.accounts, ['tn-c']);
      await c.must('team.applyTeam', { teamId });
      const pass = await next('passTeamApply');
      assert.deepEqual([pass.from, pass.attach.account], ['tn-c', 'tn-c']);
      await a.must('team.addTeamManagers', { teamId, accounts: ['tn-c'] });
      assert.deepEqual((await next('addTeamManagers')).attach.accounts, ['tn-c']);
      await a.must('team.removeTeamManagers', { teamId, accounts: ['tn-c'] });
      assert.deepEqual((await next('removeTeamManagers')).attach.accounts, ['tn-c']);
      await a.must('team.muteTeamMember', { teamId, account: 'tn-c', mute: true });
      const mute = await next('updateTeamMemberMute');
      assert.deepEqual([mute.attach.account, mute.attach.mute], ['tn-c', true]);
      await a.must('team.updateTeamInfo', { teamId, name: 'N2' });
      assert.equal((await next('updateTeam', 'updateTeam (name)')).attach.team.name, 'N2');
      await a.must('team.muteTeam', { teamId, mute: true });
      assert.equal((await next('updateTeam', 'updateTeam (mute)')).attach.team.mute, true);
      await c.must('team.leaveTeam', { teamId });
      assert.equal((await next('leaveTeam')).from, 'tn-c');
      await a.must('team.transferTeam', { teamId, account: 'tn-b', leave: false });
      assert.equal((await next('transferTeam')).attach.account, 'tn-b');
      await b.must('team.dismissTeam', { teamId });
      assert.equal((await next('dismissTeam')).from, 'tn-b');
      // History has them in the same shape.
      const history = await a.must('msgLog.getHistoryMsgs', { scene: 'team', to: teamId, limit: 100 });
      assert.ok(history.some((m) => m.type === 'notification' && m.attach.type === 'passTeamApply'), JSON.stringify(history.map((m) => m.attach?.type)));
    } finally { await a.close(); await b.close(); await c.close(); }
  });

  // NIM's team codes (the SDK's own table in dist/v2/NIM_BROWSER_SDK.js:
  // 802 "No permission", 803 "The team does not exist or has not changed",
  // 804 "The user is not in the team", 809 "Already in the team", 812 "The
  // team is muted").
  test('team error codes: 803 no such team, 802 no permission, 809 already in team, 812 team muted, 804 not in team', async () => {
    const a = await nimUser('ec-a');
    const b = await nimUser('ec-b');
    const c = await nimUser('ec-c');
    try {
      const team = await a.must('team.createTeam', { type: 'advanced', name: 'E', accounts: ['ec-b'], joinMode: 'noVerify', beInviteMode: 'noVerify' });
      const codes = {};
      codes.noTeam = (await a.call('team.getTeamInfo', { teamId: 'no-such-team' })).err?.code;
      codes.applyNoTeam = (await a.call('team.applyTeam', { teamId: 'no-such-team' })).err?.code;
      codes.sendNoTeam = (await a.call('msg.sendTextMsg', { scene: 'team', to: 'no-such-team', body: 'hi' })).err?.code;
      codes.sendNotMember = (await c.call('msg.sendTextMsg', { scene: 'team', to: team.teamId, body: 'hi' })).err?.code;
      codes.kickByMember = (await b.call('team.removeTeamMembers', { teamId: team.teamId, accounts: ['ec-a'] })).err?.code;
      codes.managerByMember = (await b.call('team.addTeamManagers', { teamId: team.teamId, accounts: ['ec-b'] })).err?.code;
      codes.applyAgain = (await b.call('team.applyTeam', { teamId: team.teamId })).err?.code;
      await a.must('team.muteTeam', { teamId: team.teamId, mute: true });
      const muted = await b.call('msg.sendTextMsg', { scene: 'team', to: team.teamId, body: 'x' });
      codes.mutedSend = muted.err?.code;
      assert.deepEqual(codes, { noTeam: 803, applyNoTeam: 803, sendNoTeam: 803, sendNotMember: 804, kickByMember: 802, managerByMember: 802, applyAgain: 809, mutedSend: 812 });
      assert.equal(muted.err.msg?.status, 'sendFailed');
    } finally { await a.close(); await b.close(); await c.close(); }
  });

  // MsgLogServiceInterface.d.ts GetHistoryMsgsOptions: `limit` messages
  // come back, of `msgTypes` when given (the filter is the query's, not
  // applied to a page afterwards); beginTime and endTime bound the range,
  // and lastMsgId (with endTime, or beginTime when reverse) names the
  // message at that end the app already has, left out.
  test('getHistoryMsgs: msgTypes narrows the query, endTime and beginTime are inclusive, lastMsgId leaves its message out', async () => {
    const a = await nimUser('nh-a');
    const b = await nimUser('nh-b');
    try {
      const sent = [];
      sent.push(await a.must('msg.sendCustomMsg', { scene: 'p2p', to: 'nh-b', attach: JSON.stringify({ k: 'c0' }) }));
      for (const body of ['t1', 't2', 't3']) sent.push(await a.must('msg.sendTextMsg', { scene: 'p2p', to: 'nh-b', body }));
      const [c0, t1, t2] = sent;
      const hist = async (o) => (await b.must('msgLog.getHistoryMsgs', { scene: 'p2p', to: 'nh-a', ...o })).map((m) => m.type === 'custom' ? m.attach.k : m.body);
      assert.deepEqual(await hist({ limit: 1, msgTypes: ['custom'] }), ['c0'], 'one custom message under three newer texts');
      assert.deepEqual(await hist({ limit: 2, msgTypes: ['text'] }), ['t3', 't2']);
      assert.deepEqual(await hist({ endTime: t2.time }), ['t2', 't1', 'c0'], 'endTime inclusive');
      assert.deepEqual(await hist({ endTime: t2.time, lastMsgId: t2.idServer }), ['t1', 'c0'], 'lastMsgId left out');
      assert.deepEqual(await hist({ beginTime: c0.time, endTime: t1.time, reverse: true, asc: true }), ['c0', 't1'], 'both ends inclusive, oldest first');
      assert.deepEqual(await hist({ beginTime: t1.time, msgTypes: ['custom'] }), [], 'no custom message since t1');
    } finally { await a.close(); await b.close(); }
  });
}
