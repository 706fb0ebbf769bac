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
    'syncOfflineMsgs', 'syncRoamingMsgs', 'syncdone', 'syncFriend', 'friends', 'teams', 'updateMyNameCard', 'updateMuteList', 'updateBlackList'];
  for (const n of names) nim.on(n, (x) => parentPort.postMessage({ event: n, payload: clone(x) }));
  // What an app reading the session list when the sync is done sees.
  nim.on('syncdone', () => parentPort.postMessage({ event: 'syncdone:getAllSessions', payload: clone(nim.session.getAllSessions()) }));
  const consoleErrors = [];
  const logError = console.error;
  console.error = (...a) => { consoleErrors.push(a.map(String).join(' ')); logError(...a); };
  parentPort.on('message', async ({ id, path, arg }) => {
    if (path === '$consoleErrors') {
      parentPort.postMessage({ id, ok: consoleErrors });
      return;
    }
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
  const { startServer, admin } = await import('./harness.mjs');

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
      // History has them in the same shape (read while the team exists).
      const history = await a.must('msgLog.getHistoryMsgs', { scene: 'team', to: teamId, limit: 100 });
      assert.ok(history.some((m) => m.type === 'notification' && m.attach.type === 'passTeamApply'), JSON.stringify(history.map((m) => m.attach?.type)));
      await c.must('team.leaveTeam', { teamId });
      assert.equal((await next('leaveTeam')).from, 'tn-c');
      await a.must('team.transferTeam', { teamId, account: 'tn-b', leave: false });
      assert.equal((await next('transferTeam')).attach.account, 'tn-b');
      await b.must('team.dismissTeam', { teamId });
      assert.equal((await next('dismissTeam')).from, 'tn-b');
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
  // V1NIMLoginService.d.ts V1NIMLoginServiceLoginResult: logined gives
  // { connectionId, ip, port, ... } (strings); V1NIMLoginListener.disconnect
  // fires on a manual disconnect ("1. 手动断开"), never for a kick; kicked:
  // V1NIMLoginKickedReason { reason: 'unknow' | 'samePlatformKick' |
  // 'serverKick' | 'otherPlatformKick' | 'silentlyKick', message, clientType,
  // customClientType } — a user the server blocks is kicked by the server.
  test('login events: logined payload, disconnect on disconnect(), serverKick for a blocked user', async () => {
    const a = await nimUser('lg-a');
    const b = await nimUser('lg-b');
    try {
      const l = a.got('logined')[0];
      assert.deepEqual([typeof l.connectionId, typeof l.ip, typeof l.port], ['string', 'string', 'string'], JSON.stringify(l));
      await a.must('disconnect');
      await a.until('disconnect', () => true, 'disconnect after disconnect()', 3000);
      await admin(server, 'POST', '/v1/users/lg-b/block', { minutes: 1 });
      const k = await b.until('kicked', () => true, 'kicked for a block', 4000);
      assert.equal(k.reason, 'serverKick');
      assert.equal(typeof k.customClientType, 'number');
      assert.equal(b.got('disconnect').length, 0, 'no disconnect for a kick');
    } finally { await a.close(); await b.close(); }
  });

  // SessionServiceInterface.d.ts GetSessionsOptions.desc: "为 true 则逆序，获取
  // lastSessionId 所在记录之后的 limit 个 / 为 false 则正序，获取 lastSessionId 所在
  // 记录之前的 limit 个" (default true: newest first); the SDK's own getSessions
  // walks its list oldest to newest: desc false answers the oldest `limit`
  // first, or those after (newer than) lastSessionId, oldest first.
  test('getSessions: desc false pages from the oldest on, after lastSessionId', async () => {
    const a = await nimUser('gs-a');
    try {
      for (const to of ['gs-1', 'gs-2', 'gs-3']) { await a.must('msg.sendTextMsg', { scene: 'p2p', to, body: 'x' }); await sleep(5); }
      await a.until('updateSession', (s) => s.id === 'p2p-gs-3');
      const ids = async (o) => (await a.must('session.getSessions', o)).map((s) => s.id);
      assert.deepEqual(await ids({ limit: 2 }), ['p2p-gs-3', 'p2p-gs-2']);
      assert.deepEqual(await ids({ limit: 2, lastSessionId: 'p2p-gs-2' }), ['p2p-gs-1']);
      assert.deepEqual(await ids({ limit: 2, desc: false }), ['p2p-gs-1', 'p2p-gs-2']);
      assert.deepEqual(await ids({ limit: 2, desc: false, lastSessionId: 'p2p-gs-1' }), ['p2p-gs-2', 'p2p-gs-3']);
    } finally { await a.close(); }
  });

  // SessionServiceInterface.d.ts Session.lastMsg: "lastMsg 为 null 则可能是撤回消息"
  // (null: the last message was recalled), never the recall notice as a message;
  // resetSessionUnreadCount: "会将其未读数置为 0，同时会收到 … updateSession 事件 -
  // 多端同步用户也会收到 updateSession 事件" (this device and the user's others).
  test('sessions: lastMsg null after a recall; resetSessionUnreadCount emits updateSession with unread 0 here and on other devices', async () => {
    const a = await nimUser('ss-a');
    const b = await nimUser('ss-b');
    const b2 = await nimUser('ss-b');
    try {
      const one = await a.must('msg.sendTextMsg', { scene: 'p2p', to: 'ss-b', body: 'one' });
      await b.until('updateSession', (s) => s.id === 'p2p-ss-a' && s.lastMsg?.idClient === one.idClient);
      const two = await a.must('msg.sendTextMsg', { scene: 'p2p', to: 'ss-b', body: 'two' });
      await b.until('updateSession', (s) => s.id === 'p2p-ss-a' && s.unread === 2, 'unread 2');
      await b2.until('updateSession', (s) => s.id === 'p2p-ss-a' && s.unread === 2, 'unread 2 (b2)');
      const n = b.events.length;
      const n2 = b2.events.length;
      await b.must('session.resetSessionUnreadCount', { id: 'p2p-ss-a' });
      const after = (u, from) => (s) => s.id === 'p2p-ss-a' && s.unread === 0 && u.events.indexOf(u.events.find(([, p]) => p === s)) >= from;
      await b.until('updateSession', after(b, n), 'updateSession unread 0 on this device', 3000);
      await b2.until('updateSession', after(b2, n2), 'updateSession unread 0 on the other device', 3000);
      assert.equal((await b.must('session.getSession', { id: 'p2p-ss-a' })).unread, 0);
      await a.must('msg.recallMsg', { msg: two });
      await b.until('sysMsg', (s) => s.type === 'recallMsgP2p');
      await sleep(300);
      for (const s of b.got('updateSession', (x) => x.id === 'p2p-ss-a')) {
        assert.ok(s.lastMsg === null || s.lastMsg.type === 'text', `lastMsg is a message or null: ${JSON.stringify(s.lastMsg)}`);
      }
      const s = await b.must('session.getSession', { id: 'p2p-ss-a' });
      assert.ok(s.lastMsg === null || s.lastMsg.idClient === one.idClient, JSON.stringify(s.lastMsg));
      assert.notEqual(s.lastMsg?.idClient, two.idClient);
    } finally { await a.close(); await b.close(); await b2.close(); }
  });

  // SessionServiceInterface.d.ts Session.msgReceiptTime: "聊天对象所读过的最近一条
  // 消息的时间 … p2p 会话特有 … 被 API sendMsgReceipt … 所更新", and
  // MsgServiceInterface.d.ts p2pMsgReceipt { sessionId, idClient,
  // msgReceiptTime }: the sender's session of the reader shows the read time
  // (updateSession), the msgReceipts item names that session.
  test('receipts: sendMsgReceipt gives the sender msgReceipts of the session and its msgReceiptTime', async () => {
    const a = await nimUser('mr-a');
    const b = await nimUser('mr-b');
    try {
      const sent = await a.must('msg.sendTextMsg', { scene: 'p2p', to: 'mr-b', body: 'read me' });
      const got = await b.until('msg', (m) => m.idClient === sent.idClient);
      const res = await b.must('msg.sendMsgReceipt', { msg: got });
      assert.deepEqual(res, { to: 'mr-a', idClient: sent.idClient, time: sent.time });
      const [r] = await a.until('msgReceipts', () => true, 'msgReceipts', 3000);
      assert.deepEqual([r.sessionId, r.idClient, r.msgReceiptTime], ['p2p-mr-b', sent.idClient, sent.time]);
      const s = await a.until('updateSession', (x) => x.id === 'p2p-mr-b' && x.msgReceiptTime >= sent.time, 'updateSession with msgReceiptTime', 3000);
      assert.equal(s.msgReceiptTime, sent.time);
      assert.equal((await a.must('session.getSession', { id: 'p2p-mr-b' })).msgReceiptTime, sent.time);
    } finally { await a.close(); await b.close(); }
  });

  // MsgServiceInterface.d.ts getTeamMsgReads: "仅当发送消息时，设置了
  // teamSpecializationInfo.needACK 为 true，才能获取到已读列表。否则对应消息的结果会在
  // 返回数组中被删掉" (a message sent without needACK is left out of the answer);
  // getTeamMsgReadAccounts: "否则会报 414 参数错误".
  test('team receipts: getTeamMsgReads leaves out a message without needACK, getTeamMsgReadAccounts answers 414 for it', async () => {
    const a = await nimUser('tr-a');
    const b = await nimUser('tr-b');
    try {
      const team = await a.must('team.createTeam', { type: 'advanced', name: 'R', accounts: ['tr-b'], beInviteMode: 'noVerify' });
      const acked = await a.must('msg.sendTextMsg', { scene: 'team', to: team.teamId, body: 'ack me', teamSpecializationInfo: { needACK: true } });
      const plain = await a.must('msg.sendTextMsg', { scene: 'team', to: team.teamId, body: 'plain' });
      const q = (m) => ({ teamId: team.teamId, idServer: m.idServer, idClient: m.idClient });
      await b.until('msg', (m) => m.idClient === acked.idClient);
      await b.must('msg.sendTeamMsgReceipt', { teamMsgReceipts: [q(acked)] });
      const [r] = await a.until('teamMsgReceipts', () => true, 'teamMsgReceipts', 3000);
      assert.deepEqual([r.teamId, r.idServer, r.idClient, r.account, r.read, r.unread], [team.teamId, acked.idServer, acked.idClient, 'tr-b', 1, 0]);
      const reads = await a.must('msg.getTeamMsgReads', { teamMsgReceipts: [q(acked), q(plain)] });
      assert.deepEqual(reads, [{ teamId: team.teamId, idServer: acked.idServer, idClient: acked.idClient, read: 1, unread: 0 }]);
      const accounts = await a.must('msg.getTeamMsgReadAccounts', { teamMsgReceipt: q(acked) });
      assert.deepEqual([accounts.readAccounts, accounts.unreadAccounts], [['tr-b'], []]);
      assert.equal((await a.call('msg.getTeamMsgReadAccounts', { teamMsgReceipt: q(plain) })).err?.code, 414);
    } finally { await a.close(); await b.close(); }
  });

  // UserServiceInterface.d.ts UserNameCard / UpdateMyInfoOptions: the
  // signature is `signature` (no `sign`); updateMyNameCard: "多端同步账号收到
  // updateMyNameCard 事件"; MarkedUserInfo { account, isBlack?, isMuted?,
  // createTime, updateTime } in getBlackList, getMuteList and getRelations;
  // setMute adds to / removes from the mute list (会话免打扰), and the user's
  // other devices get updateMuteList { account, isAdd }.
  test('users: signature, updateMyNameCard on other devices, black and mute lists as MarkedUserInfo', async () => {
    const a = await nimUser('nc-a');
    const a2 = await nimUser('nc-a');
    const b = await nimUser('nc-b');
    try {
      const card = await a.must('user.updateMyNameCard', { nick: 'Ann', signature: 'hi there', gender: 'female' });
      assert.deepEqual([card.account, card.nick, card.signature, card.gender], ['nc-a', 'Ann', 'hi there', 'female']);
      assert.equal('sign' in card, false, 'NIM has no sign');
      const seen = await a2.until('updateMyNameCard', (c) => c.nick === 'Ann', 'updateMyNameCard on the other device', 3000);
      assert.deepEqual([seen.account, seen.signature], ['nc-a', 'hi there']);
      const [other] = await b.must('user.getUsersNameCardFromServer', { accounts: ['nc-a'] });
      assert.deepEqual([other.nick, other.signature, other.gender], ['Ann', 'hi there', 'female']);

      await a.must('user.setBlack', { account: 'nc-b', isAdd: true });
      const [black] = await a.must('user.getBlackList');
      assert.deepEqual([black.account, black.isBlack, typeof black.createTime, typeof black.updateTime], ['nc-b', true, 'number', 'number']);
      // (imwasm lists the muted users it has a session with: see docs/migration.md.)
      await a.must('msg.sendTextMsg', { scene: 'p2p', to: 'nc-c', body: 'hi' });
      await a.must('user.setMute', { account: 'nc-c', isAdd: true });
      const [mute] = await a.must('user.getMuteList');
      assert.deepEqual([mute.account, mute.isMuted, typeof mute.createTime], ['nc-c', true, 'number']);
      await a2.until('updateMuteList', (e) => e.account === 'nc-c' && e.isAdd === true, 'updateMuteList on the other device', 3000);
      const rel = await a.must('user.getRelations');
      assert.deepEqual([rel.blackList.map((x) => [x.account, x.isBlack]), rel.muteList.map((x) => [x.account, x.isMuted])], [[['nc-b', true]], [['nc-c', true]]]);
      assert.equal(typeof rel.blackList[0].createTime, 'number');
      await a.must('user.setMute', { account: 'nc-c', isAdd: false });
      assert.deepEqual(await a.must('user.getMuteList'), []);
      assert.equal((await a.call('user.setMute', { isAdd: true })).err?.code, 414);
    } finally { await a.close(); await a2.close(); await b.close(); }
  });

  // FriendServiceInterface.d.ts addFriend: `Promise<FriendProfile>` ({ account,
  // alias?, ext?, createTime, updateTime, valid }); updateFriend: "多端同步账号
  // 收到 syncFriend 的事件通知。事件 type 为 updateFriend" (IMEventSyncFriendResult
  // { type, friend?, account? }).
  test('friends: addFriend answers the FriendProfile; updateFriend: syncFriend updateFriend on the other device', async () => {
    const a = await nimUser('fr-a');
    const a2 = await nimUser('fr-a');
    const b = await nimUser('fr-b');
    try {
      // (imwasm's addFriend asks when the other side verifies requests, the
      // default: here it accepts fr-b's request.)
      await b.must('friend.applyFriend', { account: 'fr-a', ps: 'hi' });
      const f = await a.must('friend.addFriend', { account: 'fr-b' });
      assert.deepEqual([f.account, f.valid, typeof f.createTime, typeof f.updateTime], ['fr-b', true, 'number', 'number'], JSON.stringify(f));
      await a.must('friend.updateFriend', { account: 'fr-b', alias: 'Bee', ext: 'x' });
      const [got] = (await a.must('friend.getFriends')).filter((x) => x.account === 'fr-b');
      assert.deepEqual([got.alias, got.ext], ['Bee', 'x']);
      const sync = await a2.until('syncFriend', (e) => e.type === 'updateFriend', 'syncFriend updateFriend', 3000);
      assert.deepEqual([sync.account, sync.friend?.account, sync.friend?.alias, sync.friend?.ext], ['fr-b', 'fr-b', 'Bee', 'x']);
    } finally { await a.close(); await a2.close(); await b.close(); }
  });

  // types.d.ts IBaseSendMsgOptions.pushInfo (TMsgPushInfo { needPush,
  // pushContent, pushPayload, … }) and MsgServiceInterface.d.ts
  // IMMessage.pushInfo: the message carries the push settings it was sent
  // with, on the sender and the receiver.
  test('send options: pushInfo (needPush, pushContent, pushPayload) goes with the message', async () => {
    const a = await nimUser('pi-a');
    const b = await nimUser('pi-b');
    try {
      const pushInfo = { needPush: false, pushContent: 'You have mail', pushPayload: JSON.stringify({ k: 1 }) };
      const sent = await a.must('msg.sendTextMsg', { scene: 'p2p', to: 'pi-b', body: 'quiet', pushInfo });
      assert.deepEqual(sent.pushInfo, pushInfo);
      const got = await b.until('msg', (m) => m.idClient === sent.idClient);
      assert.deepEqual(got.pushInfo, pushInfo);
      const plain = await a.must('msg.sendTextMsg', { scene: 'p2p', to: 'pi-b', body: 'loud' });
      assert.notEqual(plain.pushInfo?.needPush, false);
    } finally { await a.close(); await b.close(); }
  });

  // GetHistoryMsgsOptions.limit: "the number of messages returned". A
  // recalled message is no message of the history (its sysMsg tells of
  // it): the page is filled from older ones, not answered short.
  test('getHistoryMsgs fills limit past a recalled message', async () => {
    const a = await nimUser('nr-a');
    const b = await nimUser('nr-b');
    try {
      const sent = [];
      for (const body of ['t0', 't1', 't2', 't3']) sent.push(await a.must('msg.sendTextMsg', { scene: 'p2p', to: 'nr-b', body }));
      await a.must('msg.recallMsg', { msg: sent[3] });
      await b.until('sysMsg', (s) => s.type === 'recallMsgP2p');
      const got = (await b.must('msgLog.getHistoryMsgs', { scene: 'p2p', to: 'nr-a', limit: 3 })).map((m) => m.body);
      assert.deepEqual(got, ['t2', 't1', 't0']);
    } finally { await a.close(); await b.close(); }
  });

  // SessionServiceInterface.d.ts addStickTopSession: `Promise<Session>` (the
  // session with stickTopInfo { id, isStickOnTop, ext, createTime, updateTime });
  // "多端同步账号收到 updateSession 事件" with it; deleteStickTopSession the
  // same, without stickTopInfo.
  test('stick top: addStickTopSession answers the Session; the other device gets updateSession with stickTopInfo', async () => {
    const a = await nimUser('st-a');
    const a2 = await nimUser('st-a');
    try {
      await a.must('msg.sendTextMsg', { scene: 'p2p', to: 'st-b', body: 'x' });
      await a.until('updateSession', (s) => s.id === 'p2p-st-b');
      const s = await a.must('session.addStickTopSession', { id: 'p2p-st-b' });
      assert.deepEqual([s.id, s.scene, s.to, s.stickTopInfo?.id, s.stickTopInfo?.isStickOnTop, s.lastMsg?.body], ['p2p-st-b', 'p2p', 'st-b', 'p2p-st-b', true, 'x']);
      const o = await a2.until('updateSession', (x) => x.id === 'p2p-st-b' && x.stickTopInfo?.isStickOnTop, 'updateSession with stickTopInfo', 3000);
      assert.equal(o.stickTopInfo.ext, '');
      const d = await a.must('session.deleteStickTopSession', { id: 'p2p-st-b' });
      assert.equal(d.stickTopInfo, undefined);
      await a2.until('updateSession', (x) => x.id === 'p2p-st-b' && !x.stickTopInfo, 'updateSession without stickTopInfo', 3000);
      assert.equal((await a.call('session.addStickTopSession', { id: 'nonsense' })).err?.code, 414);
    } finally { await a.close(); await a2.close(); }
  });
  // NIMInterface.d.ts IMEventInterface.disconnect: "v0.14.0 … 3. 登陆保持阶段第一次
  // 断开时触发" — a signed-in connection that drops gets disconnect (once),
  // then willReconnect as the SDK tries again. The last test: it stops the server.
  // FriendServiceInterface.d.ts applyFriend: "被添加者收到 friendRequest 类型的系统通知。
  // 通知的 attach.type 为 applyFriend" — the receiver learns of the request by
  // sysMsg (the only way a NIM app gets the `account` passFriendApply needs).
  test('applyFriend tells the receiver sysMsg friendRequest (attach.type applyFriend)', async () => {
    const a = await nimUser('gpf-a');
    const b = await nimUser('gpf-b');
    try {
      await a.must('friend.applyFriend', { account: 'gpf-b', ps: 'hi' });
      const sys = await b.until('sysMsg', (s) => s.type === 'friendRequest', 'sysMsg friendRequest', 4000);
      assert.deepEqual([sys.from, sys.to, sys.attach?.type, sys.ps], ['gpf-a', 'gpf-b', 'applyFriend', 'hi']);
    } finally { await a.close(); await b.close(); }
  });

  // deleteFriend: "被删除者收到 deleteFriend 类型的系统通知 from 删除方 to 被删除方".
  test('deleteFriend tells the one deleted sysMsg deleteFriend', async () => {
    const a = await nimUser('gpd-a');
    const b = await nimUser('gpd-b');
    try {
      await a.must('friend.applyFriend', { account: 'gpd-b' });
      await b.until('sysMsg', (s) => s.type === 'friendRequest');
      await b.must('friend.passFriendApply', { account: 'gpd-a' });
      await a.until('sysMsg', (s) => s.type === 'friendRequest');
      assert.deepEqual((await a.must('friend.getFriends')).map((f) => f.account), ['gpd-b']);
      await a.must('friend.deleteFriend', { account: 'gpd-b' });
      assert.deepEqual((await b.must('friend.getFriends')).map((f) => f.account), [], 'gone on both sides');
      const sys = await b.until('sysMsg', (s) => s.type === 'deleteFriend', 'sysMsg deleteFriend', 4000);
      assert.deepEqual([sys.from, sys.to], ['gpd-a', 'gpd-b']);
    } finally { await a.close(); await b.close(); }
  });


  // passFriendApply / rejectFriendApply: "A 收到 friendRequest 类型的系统通知。
  // 通知的 attach.type 为 passFriendApply" (rejectFriendApply likewise).
  test('passFriendApply and rejectFriendApply tell the applicant sysMsg friendRequest', async () => {
    const a = await nimUser('gpp-a');
    const b = await nimUser('gpp-b');
    const c = await nimUser('gpp-c');
    try {
      await a.must('friend.applyFriend', { account: 'gpp-b' });
      await c.must('friend.applyFriend', { account: 'gpp-b' });
      await b.until('sysMsg', () => b.got('sysMsg', (x) => x.type === 'friendRequest').length === 2, 'both requests');
      await b.must('friend.passFriendApply', { account: 'gpp-a' });
      await b.must('friend.rejectFriendApply', { account: 'gpp-c' });
      const pass = await a.until('sysMsg', (s) => s.type === 'friendRequest', 'sysMsg friendRequest (pass)', 4000);
      assert.deepEqual([pass.from, pass.to, pass.attach?.type], ['gpp-b', 'gpp-a', 'passFriendApply']);
      const no = await c.until('sysMsg', (s) => s.type === 'friendRequest', 'sysMsg friendRequest (reject)', 4000);
      assert.deepEqual([no.from, no.to, no.attach?.type], ['gpp-b', 'gpp-c', 'rejectFriendApply']);
    } finally { await a.close(); await b.close(); await c.close(); }
  });

  // The module's errors carry NIM's codes (its SDK's table: 802 "No
  // permission", 7101 "Be pulled black"), never the engine's RongCloud
  // numbers: the owner leaving the team, a friend request to a user who
  // blocked the caller.
  test('the owner leaving a team fails with 802, a friend request to one who blocked the caller with 7101', async () => {
    const a = await nimUser('gpn-a');
    const b = await nimUser('gpn-b');
    try {
      const team = await a.must('team.createTeam', { type: 'advanced', name: 'L', accounts: ['gpn-b'], joinMode: 'noVerify', beInviteMode: 'noVerify' });
      const lv = await a.call('team.leaveTeam', { teamId: team.teamId });
      await b.must('user.setBlack', { account: 'gpn-a', isAdd: true });
      const ap = await a.call('friend.applyFriend', { account: 'gpn-b' });
      assert.deepEqual([lv.err?.code, ap.err?.code], [802, 7101], JSON.stringify([lv.err, ap.err]));
    } finally { await a.close(); await b.close(); }
  });

  // NIMInterface.d.ts setOptions: "Set the options for initialization. The
  // settings are applied for the next connection" — a dynamic token set
  // anew. While connected, the token goes to the session at once (the
  // engine's own reconnects use it), checked by the server: another
  // account's is refused (logged; nothing changes).
  test('setOptions({token}) is the token of the next connection; a refused one is logged', async () => {
    const a = await nimUser('so-a');
    try {
      await a.must('setOptions', { token: server.token('so-someone-else') });
      let errors = [];
      for (let i = 0; i < 100 && !errors.length; i++) {
        await sleep(20);
        errors = (await a.call('$consoleErrors')).ok;
      }
      assert.match(errors.join('\n'), /setOptions: the new token was refused 31004/);
      // Kicked by the app server (every token issued so far revoked): the
      // app sets the new token its backend issued, and connects.
      await admin(server, 'POST', '/v1/users/so-a/kick');
      await a.until('kicked');
      const { data: { token } } = await admin(server, 'POST', '/v1/users/so-a/token', {});
      await a.must('setOptions', { token });
      await a.must('connect');
      await a.until('logined', () => a.got('logined').length === 2, 'the second logined');
    } finally { await a.close(); }
  });

  test('a dropped connection: disconnect once, then willReconnect', async () => {
    const a = await nimUser('dr-a');
    try {
      await server.stop();
      await a.until('willReconnect', () => true, 'willReconnect', 8000);
      await a.until('disconnect', () => true, 'disconnect on the drop', 8000);
      const order = a.events.map(([n]) => n).filter((n) => n === 'disconnect' || n === 'willReconnect');
      assert.equal(order[0], 'disconnect', JSON.stringify(order));
      await sleep(1500);
      assert.equal(a.got('disconnect').length, 1, JSON.stringify(a.events.map(([n]) => n)));
    } finally { await a.close(); }
  });

}
