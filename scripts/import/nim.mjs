#!/usr/bin/env node
// NetEase Yunxin (NIM) history to imwasm import lines. NIM has no bulk
// export: a backend pages through the server API's
// history/querySessionMsg.action (p2p) and history/queryTeamMsg.action
// (teams) and writes each message of their "msgs" lists as one line, with
// the conversation added as "ope" (0 p2p, 1 team) and "to" where the
// answer leaves them out. Then:
//
//   node scripts/import/nim.mjs msgs.jsonl > history.jsonl
//
// Fields read: msgid (idServer), msgidclient (idClient, kept as the
// message's clientMsgId), from, to, ope, sendtime (ms), type and body,
// which the server reads as its NIM routes read a send (0 text, 100
// custom). Other types are refused by the import with the line's number.
import { convert } from './lines.mjs';

// bodyOf is the message's body as JSON text (a text message's body may
// come as the bare text).
function bodyOf(m) {
  if (typeof m.body !== 'string') return JSON.stringify(m.body ?? {});
  return Number(m.type) === 0 && !m.body.trimStart().startsWith('{') ? JSON.stringify({ msg: m.body }) : m.body;
}

await convert((raw) => {
  const m = JSON.parse(raw);
  const ope = Number(m.ope ?? 0);
  if (ope !== 0 && ope !== 1) return `ope ${m.ope}`;
  if (!m.msgid || !Number.isFinite(Number(m.sendtime))) return 'no msgid or sendtime';
  return {
    kind: 'message', messageUId: String(m.msgid), sentTime: Number(m.sendtime), fromUserId: m.from,
    conversationType: ope === 1 ? 3 : 1, targetId: String(m.to),
    ...(m.msgidclient && { clientMsgId: String(m.msgidclient) }),
    nim: { type: m.type, body: bodyOf(m) },
  };
});
