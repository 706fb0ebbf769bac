// Shared by the conversion scripts: read an export's lines from standard
// input (or the files named), write imwasm import lines to standard output,
// and count what was skipped on standard error.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';

// convert calls each(line) for every non-empty input line (files ending in
// .gz are unzipped); each returns an import line (an object), or a string
// saying why the line is skipped. Each input's lines are written in time
// order (an export's hour fits in memory; the import takes each
// conversation's messages oldest first), the inputs in the order given.
export async function convert(each) {
  const files = process.argv.slice(2);
  const inputs = files.length ? files.map((f) => (f.endsWith('.gz') ? createReadStream(f).pipe(createGunzip()) : createReadStream(f))) : [process.stdin];
  const skipped = new Map();
  let written = 0;
  for (const input of inputs) {
    const out = [];
    for await (const raw of createInterface({ input, crlfDelay: Infinity })) {
      if (!raw.trim()) continue;
      let line;
      try {
        line = each(raw);
      } catch (e) {
        line = `unreadable line (${e.message})`;
      }
      if (typeof line === 'string') {
        skipped.set(line, (skipped.get(line) ?? 0) + 1);
        continue;
      }
      out.push(line);
    }
    out.sort((a, b) => (a.sentTime ?? 0) - (b.sentTime ?? 0)); // stable: ties keep their order
    for (const line of out) {
      if (!process.stdout.write(JSON.stringify(line) + '\n')) await new Promise((r) => process.stdout.once('drain', r));
    }
    written += out.length;
  }
  process.stderr.write(`${written} lines written\n`);
  for (const [why, n] of skipped) process.stderr.write(`${n} skipped: ${why}\n`);
}
