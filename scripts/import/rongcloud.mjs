#!/usr/bin/env node
// RongCloud's message history log (server API message/history.json, one
// file per hour, unzipped) to imwasm import lines:
//
//   node scripts/import/rongcloud.mjs 2024010110.log … > history.jsonl
//
// Each log line is a JSON object (anything before its first "{" is
// skipped) with the fields read here: msgUID, fromUserId, targetId,
// targetType (1 private, 3 group), GroupId, classname, content, and
// timestamp (ms) or dateTime ("YYYY-MM-DD HH:mm:ss[.SSS]", Beijing time).
// Status and command messages (never stored by RongCloud either) and
// conversation types other than private and group are skipped.
import { convert } from './lines.mjs';

const notHistory = new Set(['RC:TypSts', 'RC:ReadNtf', 'RC:RRReqMsg', 'RC:RRRspMsg', 'RC:SRSMsg', 'RC:CmdMsg', 'RC:RcCmd']);

// timeOf reads dateTime as Beijing time (UTC+8).
function timeOf(m) {
  if (Number.isFinite(m.timestamp)) return m.timestamp;
  const t = /^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?/.exec(m.dateTime ?? '');
  if (!t) return NaN;
  return Date.UTC(+t[1], t[2] - 1, +t[3], t[4] - 8, +t[5], +t[6], +(t[7] ?? '0').padEnd(3, '0'));
}

await convert((raw) => {
  const m = JSON.parse(raw.slice(raw.indexOf('{')));
  if (notHistory.has(m.classname)) return `${m.classname} (not history)`;
  if (m.targetType !== 1 && m.targetType !== 3) return `conversation type ${m.targetType}`;
  const sentTime = timeOf(m);
  if (!m.msgUID || !Number.isFinite(sentTime)) return 'no msgUID or time';
  return {
    kind: 'message', messageUId: m.msgUID, sentTime, fromUserId: m.fromUserId,
    conversationType: m.targetType, targetId: m.targetType === 3 ? m.GroupId || m.targetId : m.targetId,
    objectName: m.classname, content: typeof m.content === 'string' ? m.content : JSON.stringify(m.content),
  };
});
