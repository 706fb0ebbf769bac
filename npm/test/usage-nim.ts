// imwasm/nim's typings under tsc --strict: the module's calls as an app
// written against nim-web-sdk-ng makes them.
import NIMSDK from '../nim.js';

async function demo(token: string, file: File) {
  const nim = NIMSDK.getInstance({ appkey: 'app', account: 'ann', token, linkUrl: 'im.example.com' });
  nim.on('logined', (r) => console.log(r.account));
  nim.on('msg', (m) => console.log(m.sessionId, m.idClient, m.status, m.attach?.url));
  nim.on('syncOfflineMsgs', (r) => console.log(r.sessionId, r.timetag, r.msgs.length));
  nim.on('syncRoamingMsgs', (r) => console.log(r.msgs[0]?.flow));
  nim.on('msgReceipts', (list) => console.log(list.length));
  nim.on('sysMsg', (s) => console.log(s.type === 'recallMsgP2p', s.content));
  await nim.connect();
  const sent = await nim.msg.sendTextMsg({ scene: 'p2p', to: 'ben', body: 'hi', idClient: 'my-id-1', onSendBefore: (m) => console.log(m.status) });
  const pic = await nim.msg.sendImageMsg({ scene: 'team', to: 't1', file, onUploadDone: (f) => console.log(f.md5, f.w), teamSpecializationInfo: { needACK: true } });
  try {
    await nim.msg.resendMsg({ msg: sent });
  } catch (e) {
    console.log((e as { code: number }).code);
  }
  await nim.msg.forwardMsg({ scene: 'p2p', to: 'cal', msg: sent });
  await nim.msg.recallMsg({ msg: sent, ps: 'oops' });
  const r = await nim.msg.sendMsgReceipt({ msg: sent });
  console.log(r.idClient, r.time);
  const q = { teamId: 't1', idServer: pic.idServer ?? '', idClient: pic.idClient };
  await nim.msg.sendTeamMsgReceipt({ teamMsgReceipts: [q] });
  const reads = await nim.msg.getTeamMsgReads({ teamMsgReceipts: [q] });
  const who = await nim.msg.getTeamMsgReadAccounts({ teamMsgReceipt: q });
  console.log(reads[0]?.read, who.readAccounts, who.unreadAccounts);
  await nim.session.resetSessionUnread('p2p-ben');
  await nim.session.resetSessionUnreadCount({ id: 'team-t1' });
  await nim.session.addStickTopSession({ id: 'p2p-ben' });
  nim.on('updateSession', (s) => console.log(s.unread, s.lastMsg?.body));
  console.log(nim.session.getSession({ id: 'p2p-ben' })?.unread, nim.session.getSessions({ limit: 10 }).length);
  const edited = await nim.msg.modifyMsg({ msg: sent, body: 'hello' });
  nim.on('modifyMsg', (m) => console.log(m.body === edited.body));
  const team = await nim.team.createTeam({ type: 'advanced', name: 'Club', accounts: ['ben'], joinMode: 'noVerify' });
  const members = await nim.team.getTeamMembers({ teamId: team.teamId });
  console.log(members[0]?.type, (await nim.team.getTeams()).length);
  await nim.team.muteTeamMember({ teamId: team.teamId, account: 'ben', mute: true });
  await nim.team.transferTeam({ teamId: team.teamId, account: 'ben', leave: false });
  nim.on('addTeamMembers', (e) => console.log(e.accounts));
  await nim.user.setBlack({ account: 'eve', isAdd: true });
  const [card] = await nim.user.getUsersNameCardFromServer({ accounts: ['ben'] });
  console.log(card?.nick, (await nim.user.updateMyNameCard({ nick: 'Ann', gender: 'female' })).gender);
  await nim.friend.applyFriend({ account: 'ben', ps: 'hi' });
  console.log((await nim.friend.getFriends()).map((f) => f.alias));
  const history = await nim.msgLog.getHistoryMsgs({ scene: 'p2p', to: 'ben', limit: 20, msgTypes: ['text'] });
  console.log(history[0]?.status === 'receipt');
  nim.off('msg');
  nim.disconnect();
}
void demo;
