// docs/api.md covers every exported name, event and error code: what
// index.d.ts declares and index.js exports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as RongIMLib from '../index.js';

const doc = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
const dts = readFileSync(new URL('../index.d.ts', import.meta.url), 'utf8') + readFileSync(new URL('../constants.d.ts', import.meta.url), 'utf8');
const constantsDoc = readFileSync(new URL('../../docs/constants.md', import.meta.url), 'utf8');
const mentioned = (name) => new RegExp('`' + name + '[`(]').test(doc);

test('every declared export has its entry in docs/api.md', () => {
  const declared = [...dts.matchAll(/export declare (?:const|function|class) (\w+)/g)].map((m) => m[1]);
  assert.ok(declared.length > 50);
  const missing = declared.filter((n) => !mentioned(n));
  assert.deepEqual(missing, [], `not in docs/api.md: ${missing}`);
});

// Events: each in api.md, emitted or not yet. Error codes: the ones the SDK
// produces have their row in api.md's table (proto/codes' test checks that
// list is the Go codes); every other RongIMLib code has its row in
// docs/constants.md.
test('every event and error code is in the docs', () => {
  const missing = Object.keys(RongIMLib.Events).filter((n) => !mentioned(n));
  assert.deepEqual(missing, [], `events not in docs/api.md: ${missing}`);
  const rows = (text, name) => text.split('\n').filter((l) => l.startsWith('|') && (l.split('|')[1] || '').includes('`' + name + '`'));
  for (const [name, n] of Object.entries(RongIMLib.ErrorCode)) {
    if (/^-?\d+$/.test(name)) continue; // a value's reverse entry
    const row = [...rows(doc, name), ...rows(constantsDoc, name)].find((l) => l.includes(`| ${n} |`));
    assert.ok(row, `ErrorCode.${name} (${n}) has no row in docs/api.md or docs/constants.md`);
  }
});
