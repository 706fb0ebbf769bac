#!/usr/bin/env node
// Easemob's chat history export (REST GET /{org}/{app}/chatmessages/{time},
// one .gz file per hour) to imwasm import lines:
//
//   node scripts/import/easemob.mjs 2024010110.gz … > history.jsonl
//
// Each exported line is a JSON object with the fields read here: msg_id,
// timestamp (ms), from, to, chat_type (chat, groupchat) and payload
// ({bodies, ext}), which the server reads as its Easemob routes read a
// send (txt, img, file, audio, video, loc, custom). Chat rooms and cmd
// messages (not stored) are skipped.
import { convert } from './lines.mjs';

const types = { chat: 1, groupchat: 3 };

await convert((raw) => {
  const m = JSON.parse(raw);
  const conversationType = types[m.chat_type];
  if (!conversationType) return `chat_type ${m.chat_type}`;
  const bodies = m.payload?.bodies ?? [];
  if (bodies[0]?.type === 'cmd') return 'cmd (not history)';
  if (!m.msg_id || !Number.isFinite(Number(m.timestamp))) return 'no msg_id or timestamp';
  return {
    kind: 'message', messageUId: String(m.msg_id), sentTime: Number(m.timestamp), fromUserId: m.from,
    conversationType, targetId: m.to, easemob: { bodies, ext: m.payload?.ext ?? {} },
  };
});
