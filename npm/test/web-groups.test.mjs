// Groups from the client in each browser engine against a real server,
// through the npm package: a group created from the page, joined with the
// owner's approval, a manager added, a member muted by the app server
// (22408) and unmuted, ownership transferred, the group dismissed — with
// RongIMLib's events on the members' pages.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, bin, appSecret } from './harness.mjs';
import { waitEvent, serveStatic, launch, engines, openUser, closeAll } from './browser.mjs';
import { ErrorCode, GroupOperation, GroupApplicationStatus, GroupApplicationDirection, GroupMemberRole } from '../index.js';

for (const engine of engines()) describe(engine, () => {
  let server, web, browser;
  const u = {};

  async function admin(method, path, body) {
    const tok = execFileSync(bin, ['token', '--app-secret', appSecret, '--admin']).toString().trim();
    const res = await fetch(server.url + path, {
      method, headers: { authorization: 'Bearer ' + tok, 'content-type': 'application/json' },
      body: body && JSON.stringify(body),
    });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    return JSON.parse(text);
  }

  before(async () => {
    server = await startServer();
    web = await serveStatic();
    browser = await launch(engine);
    for (const name of ['olga', 'pete', 'quinn']) u[name] = await openUser(browser, web.url, server, name);
  });

  after(() => closeAll(() => browser?.close(), () => web?.close(), () => server?.stop()));


  const call = (x, fn, ...args) => x.page.evaluate(({ fn, args }) => RongIMLib[fn](...args), { fn, args });
  const club = { conversationType: 3, targetId: 'club' };
  const sendText = (x, content) => x.page.evaluate(({ club, content }) =>
    RongIMLib.sendMessage(club, new RongIMLib.TextMessage({ content })), { club, content });

  test('create, join with approval, manager, mute (22408) and unmute, transfer, dismiss', async () => {
    // Created from olga's page with pete in it.
    const created = await call(u.olga, 'createGroup', { groupId: 'club', groupName: 'Club', notice: 'welcome' }, ['pete']);
    assert.deepEqual(created, { code: 0, data: { processCode: 0 } });
    const op = await waitEvent(u.pete, 'GROUP_OPERATION', (e) => e.operation === GroupOperation.CREATE, 'created');
    assert.equal(op.groupId, 'club');
    assert.equal(op.operatorInfo.userId, 'olga');
    assert.equal(op.groupInfo.groupName, 'Club');
    assert.equal(op.groupInfo.notice, 'welcome');
    assert.deepEqual(op.memberInfos.map((m) => m.userId).sort(), ['olga', 'pete']);
    const bad = await call(u.pete, 'createGroup', { groupId: 'club2', groupName: '   ' });
    assert.equal(bad.code, ErrorCode.RC_GROUP_NAME_INVALID);

    // quinn asks to join; olga (the owner) sees the request and accepts.
    const joined = await call(u.quinn, 'joinGroup', 'club');
    assert.deepEqual(joined, { code: 0, data: { processCode: ErrorCode.RC_GROUP_JOIN_GROUP_NEED_MANAGER_ACCEPT } });
    const app = await waitEvent(u.olga, 'GROUP_APPLICATION_EVENT', (e) => e.joinMemberInfo.userId === 'quinn', 'the request');
    assert.equal(app.status, GroupApplicationStatus.MANAGER_UNHANDLED);
    assert.equal(app.direction, GroupApplicationDirection.APPLICATION_RECEIVED);
    assert.equal((await call(u.pete, 'acceptGroupApplication', 'club', 'quinn')).code, ErrorCode.RC_GROUP_AUTHORITY_ERROR);
    const listed = await call(u.olga, 'getGroupApplications', { count: 10 });
    assert.equal(listed.data.data[0].joinMemberInfo.userId, 'quinn');
    assert.equal((await call(u.olga, 'acceptGroupApplication', 'club', 'quinn')).code, 0);
    await waitEvent(u.quinn, 'GROUP_OPERATION', (e) => e.operation === GroupOperation.JOIN, 'joined');
    assert.equal((await sendText(u.quinn, 'hi all')).code, 0);

    // pete becomes a manager; the member list says so.
    assert.equal((await call(u.olga, 'addGroupManagers', 'club', ['pete'])).code, 0);
    await waitEvent(u.quinn, 'GROUP_OPERATION', (e) => e.operation === GroupOperation.ADD_MANAGER, 'manager added');
    const managers = await call(u.quinn, 'getGroupMembersByRole', 'club', GroupMemberRole.MANAGER, { count: 10 });
    assert.deepEqual(managers.data.data.map((m) => m.userId), ['pete']);
    assert.equal(managers.data.totalCount, 1);

    // The app server mutes quinn: her sends fail with 22408 until unmuted.
    await admin('POST', '/v1/groups/club/mute', { userIds: ['quinn'], durationMs: 3600000 });
    assert.equal((await sendText(u.quinn, 'muted?')).code, ErrorCode.FORBIDDEN_IN_GROUP);
    await admin('POST', '/v1/groups/club/mute', { userIds: ['quinn'], durationMs: 0 });
    assert.equal((await sendText(u.quinn, 'free')).code, 0);

    // Profiles: quinn's nickname, the group's name (a member may not).
    assert.equal((await call(u.quinn, 'setGroupMemberInfo', 'club', 'quinn', 'Quinny', 'vip')).code, 0);
    assert.equal((await call(u.quinn, 'setGroupMemberInfo', 'club', 'quinn', 'Q')).code, 0); // extra left out: it stays
    const mi = await waitEvent(u.olga, 'GROUP_MEMBER_INFO_CHANGED', (e) => e.memberInfo.userId === 'quinn' && e.memberInfo.nickname === 'Q', 'nickname');
    assert.equal(mi.memberInfo.nickname, 'Q');
    assert.equal((await call(u.olga, 'getGroupMembers', 'club', ['quinn'])).data[0].extra, 'vip');
    assert.equal((await call(u.quinn, 'updateGroupInfo', { groupId: 'club', groupName: 'Mine' })).code, ErrorCode.RC_GROUP_AUTHORITY_ERROR);
    assert.equal((await call(u.olga, 'updateGroupInfo', { groupId: 'club', groupName: 'The Club' })).code, 0);
    const changed = await waitEvent(u.quinn, 'GROUP_INFO_CHANGED', () => true, 'renamed');
    assert.deepEqual(changed.changedGroupInfo, { groupId: 'club', groupName: 'The Club' });
    assert.equal(changed.fullGroupInfo.notice, 'welcome');

    // Ownership to pete, olga leaving with it.
    assert.equal((await call(u.olga, 'quitGroup', 'club')).code, ErrorCode.RC_GROUP_OWNER_NOT_ALLOW_QUIT_OR_KICK);
    assert.equal((await call(u.olga, 'transferGroupOwner', 'club', 'pete', true)).code, 0);
    await waitEvent(u.quinn, 'GROUP_OPERATION', (e) => e.operation === GroupOperation.TRANSFER_GROUP_OWNER, 'transferred');
    await waitEvent(u.quinn, 'GROUP_OPERATION', (e) => e.operation === GroupOperation.QUIT, 'olga quit');
    const info = await call(u.quinn, 'getGroupsInfo', ['club']);
    assert.equal(info.data[0].ownerId, 'pete');
    assert.equal(info.data[0].creatorId, 'olga');
    assert.equal(info.data[0].membersCount, 2);
    assert.equal((await sendText(u.olga, 'still here?')).code, ErrorCode.NOT_IN_GROUP);

    // Dismissed by its new owner.
    assert.equal((await call(u.quinn, 'dismissGroup', 'club')).code, ErrorCode.RC_GROUP_AUTHORITY_ERROR);
    assert.equal((await call(u.pete, 'dismissGroup', 'club')).code, 0);
    await waitEvent(u.quinn, 'GROUP_OPERATION', (e) => e.operation === GroupOperation.DISMISS, 'dismissed');
    assert.equal((await sendText(u.quinn, 'anyone?')).code, ErrorCode.NOT_IN_GROUP);
    assert.deepEqual((await call(u.quinn, 'getGroupsInfo', ['club'])).data, []);
  });

  test('bad arguments answer 33003 or the group code and change nothing', async () => {
    assert.equal((await call(u.olga, 'createGroup', 'club')).code, ErrorCode.BIZ_ERROR_INVALID_PARAMETER);
    assert.equal((await call(u.olga, 'createGroup', { groupId: 'bad id', groupName: 'x' })).code, ErrorCode.RC_GROUP_ID_INVALID);
    assert.equal((await call(u.olga, 'kickGroupMembers', 'club', 'pete')).code, ErrorCode.BIZ_ERROR_INVALID_PARAMETER);
    assert.equal((await call(u.olga, 'getGroupsInfo', [])).code, ErrorCode.RC_GROUP_QUERY_GROUP_COUNT_EXCEED_LIMIT);
    assert.equal((await call(u.olga, 'getJoinedGroupsByRole', { count: 1000 }, 0)).code, ErrorCode.BIZ_ERROR_INVALID_PARAMETER);
    const mine = await call(u.olga, 'getJoinedGroupsByRole', { count: 10 }, GroupMemberRole.UNDEF);
    assert.deepEqual(mine.data.data, []);
  });
});
