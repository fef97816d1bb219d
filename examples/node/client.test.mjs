// Tests of client.mjs against cannery, with cannery-client and Node's built-in runner:
// npm install && npm test (or node --test client.test.mjs)
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { startCannery } from 'cannery-client';

import { createUser, sendEventLater } from './client.mjs';

const stubs = join(dirname(fileURLToPath(import.meta.url)), 'stubs');
let cannery;

// one server for the file, on a free port; a clean journal for each test
before(async () => { cannery = await startCannery({ stubs }); });
after(async () => { assert.equal(await cannery.stop(), 0); });
beforeEach(async () => { await cannery.reset(); await cannery.removeRuntimeStubs(); });

test('createUser sends the token and the JSON body', async () => {
  assert.equal(await createUser(cannery.url, 't0k3n', 'Ada', 'ada@example.com'), 42);
  await cannery.verify({
    method: 'POST',
    path: '/api/users',
    headers: { authorization: 'Bearer t0k3n' },
    body: { json: { name: 'Ada', email: 'ada@example.com' } },
  }, { count: 1 });
});

test('count and the journal', async () => {
  await createUser(cannery.url, 't', 'Ada', 'ada@example.com');
  await createUser(cannery.url, 't', 'Alan', 'alan@example.com');
  assert.equal(await cannery.count({ path: '/api/users' }), 2);
  assert.equal(await cannery.count({ body: { json_path: { name: 'Alan' } } }), 1);
  const sent = await cannery.requests({ path: '/api/users' });
  assert.deepEqual(sent.map((r) => r.stub), ['create-user', 'create-user']);
  // secrets are redacted in the journal, but matchers see the real value
  assert.equal(sent[0].headers.authorization, '[redacted]');
});

test('wait for a request sent in the background', async () => {
  sendEventLater(cannery.url, 'signup');
  assert.equal(await cannery.wait({ path: '/api/events', body: { json_partial: { kind: 'signup' } } }), 1);
});

test('an error case from a runtime stub', async () => {
  // same conditions as the file's create-user stub: the newer runtime stub wins
  await cannery.addStub({
    name: 'users-full',
    request: { method: 'POST', path: '/api/users', headers: { Authorization: { prefix: 'Bearer ' } } },
    response: { status: 507, json: { error: 'no room' } },
  });
  await assert.rejects(createUser(cannery.url, 't', 'Ada', 'ada@example.com'), /create user: HTTP 507/);
});

test('a failed verify explains itself', async () => {
  await createUser(cannery.url, 't0k3n', 'Ada', 'ada@example.com');
  await assert.rejects(cannery.verify({ path: '/api/users', method: 'PUT' }, { count: 1 }),
    /expected exactly 1 request matching[^]*but none matched[^]*x method: expected "PUT", got "POST"$/);
});
