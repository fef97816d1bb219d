// Tests of client.mjs against cannery, with Node's built-in runner: node --test
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { startCannery } from './cannery.mjs';
import { createUser, sendEventLater } from './client.mjs';

const stubs = join(dirname(fileURLToPath(import.meta.url)), 'stubs');
let cannery;

beforeEach(async () => { cannery = await startCannery(stubs); });
afterEach(async () => { assert.equal(await cannery.stop(), 0); });

test('createUser sends the token and the JSON body', async () => {
  assert.equal(await createUser(cannery.url, 't0k3n', 'Ada', 'ada@example.com'), 42);
  const { status, body } = await cannery.verify({
    method: 'POST',
    path: '/api/users',
    headers: { authorization: 'Bearer t0k3n' },
    body: { json: { name: 'Ada', email: 'ada@example.com' } },
  }, { count: 1 });
  assert.equal(status, 200, JSON.stringify(body));
});

test('count and the journal', async () => {
  await createUser(cannery.url, 't', 'Ada', 'ada@example.com');
  await createUser(cannery.url, 't', 'Alan', 'alan@example.com');
  assert.equal(await cannery.count({ path: '/api/users' }), 2);
  assert.equal(await cannery.count({ body: { json_path: { name: 'Alan' } } }), 1);
  const { body } = await cannery.admin('GET', 'requests?path=/api/users');
  assert.deepEqual(body.requests.map((r) => r.seq), [1, 2]);
  assert.equal(body.requests[0].headers.authorization, '[redacted]');
});

test('wait for a request sent in the background', async () => {
  sendEventLater(cannery.url, 'signup');
  const { status, body } = await cannery.wait({ path: '/api/events', body: { json_partial: { kind: 'signup' } } });
  assert.equal(status, 200);
  assert.equal(body.count, 1);
});

test('a failed verify explains itself', async () => {
  await createUser(cannery.url, 't0k3n', 'Ada', 'ada@example.com');
  const { status, body } = await cannery.verify({ path: '/api/users', method: 'PUT' }, { count: 1 });
  assert.equal(status, 409);
  assert.deepEqual(body.near_misses[0].mismatches, ['method: expected "PUT", got "POST"']);
});
