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
  nim.off('msg');
  nim.disconnect();
}
void demo;
