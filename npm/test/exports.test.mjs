// The package's exports, its declarations and the type-checked usage file
// agree: nothing exported is untyped or unexercised, nothing typed is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as RongIMLib from '../index.js';

const dts = readFileSync(new URL('../index.d.ts', import.meta.url), 'utf8') + readFileSync(new URL('../constants.d.ts', import.meta.url), 'utf8');
const usage = readFileSync(new URL('./usage.ts', import.meta.url), 'utf8');

test('every export is declared in index.d.ts and used in usage.ts', () => {
  const declared = new Set([...dts.matchAll(/export declare (?:const|function|class) (\w+)/g)].map((m) => m[1]));
  for (const name of Object.keys(RongIMLib)) {
    assert.ok(declared.has(name), `${name} is exported but not declared`);
    assert.ok(new RegExp(`RongIMLib\\.${name}\\b|\\b${name}\\b[^\\n]*= RongIMLib`).test(usage), `${name} is not used in usage.ts`);
  }
  for (const name of declared) {
    assert.ok(name in RongIMLib, `${name} is declared but not exported`);
  }
});
