// docs/api.md covers every exported name, event and error code: what
// index.d.ts declares and index.js exports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as RongIMLib from '../index.js';

const doc = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
const dts = readFileSync(new URL('../index.d.ts', import.meta.url), 'utf8');
const mentioned = (name) => new RegExp('`' + name + '[`(]').test(doc);

test('every declared export has its entry in docs/api.md', () => {
  const declared = [...dts.matchAll(/export declare (?:const|function|class) (\w+)/g)].map((m) => m[1]);
  assert.ok(declared.length > 50);
  const missing = declared.filter((n) => !mentioned(n));
  assert.deepEqual(missing, [], `not in docs/api.md: ${missing}`);
});

test('every event and error code is in docs/api.md', () => {
  const missing = [...Object.keys(RongIMLib.Events), ...Object.keys(RongIMLib.ErrorCode)].filter((n) => !mentioned(n));
  assert.deepEqual(missing, [], `not in docs/api.md: ${missing}`);
  for (const [name, n] of Object.entries(RongIMLib.ErrorCode)) {
    const row = doc.split('\n').find((l) => l.startsWith('|') && (l.split('|')[1] || '').includes('`' + name + '`'));
    assert.ok(row && row.includes(`| ${n} |`), `${name}'s row does not give ${n}`);
  }
});
