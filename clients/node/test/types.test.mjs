// index.d.ts is written by hand: check it against index.js both ways, the exported
// names and the members of a started Cannery, so that neither drifts from the other.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import * as client from '../index.js';

const dts = readFileSync(new URL('../index.d.ts', import.meta.url), 'utf8');

function interfaceBody(name) {
  const start = dts.indexOf(`export interface ${name} {`);
  assert.ok(start >= 0, `index.d.ts declares no interface ${name}`);
  return dts.slice(start, dts.indexOf('\n}\n', start));
}

test('the exports of index.js are those index.d.ts declares', () => {
  const declared = [...dts.matchAll(/^export (?:function|class) (\w+)/gm)].map((m) => m[1]).sort();
  assert.deepEqual(Object.keys(client).sort(), declared);
});

test('a started Cannery has exactly the members index.d.ts declares', async () => {
  const declared = [...interfaceBody('Cannery').matchAll(/^ {2}(?:readonly )?(\w+)\??[(:]/gm)].map((m) => m[1]).sort();
  const cannery = await client.startCannery();
  try {
    const proto = Object.getPrototypeOf(cannery);
    const actual = [...Object.keys(cannery), ...Object.getOwnPropertyNames(proto)]
      .filter((k) => k !== 'constructor' && !k.startsWith('_')).sort();
    assert.deepEqual(actual, declared);
  } finally {
    await cannery.stop();
  }
});

test('the options startCannery accepts are those StartOptions declares', async () => {
  const declared = [...interfaceBody('StartOptions').matchAll(/^ {2}(\w+)\?:/gm)].map((m) => m[1]).sort();
  await assert.rejects(client.startCannery({ notAnOption: 1 }), (e) => {
    const known = e.message.match(/\(known: (.*)\)/)[1].split(', ').sort();
    assert.deepEqual(known, declared);
    return true;
  });
});

test('package.json points at both files, as an ES module', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  assert.equal(pkg.type, 'module');
  assert.deepEqual(pkg.exports['.'], { types: './index.d.ts', default: './index.js' });
  assert.equal(pkg.types, './index.d.ts');
  assert.equal(pkg.dependencies, undefined, 'no runtime dependencies');
});
