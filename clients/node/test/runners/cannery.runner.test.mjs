// cannery-client under jest and vitest (run.sh runs this file with each, their globals
// on): start, stubs, verify passing and failing, and a server the test never stops.
import { writeFileSync } from 'node:fs';

import { startCannery } from 'cannery-client';

let cannery;
beforeAll(async () => { cannery = await startCannery(); });
afterAll(async () => { expect(await cannery.stop()).toBe(0); });
beforeEach(async () => { await cannery.reset(); await cannery.removeRuntimeStubs(); });

test('a stub answers and verify counts the request', async () => {
  await cannery.addStub({ request: { method: 'POST', path: '/users' }, response: { status: 201, json: { id: 42 } } });
  const res = await fetch(`${cannery.url}/users`, { method: 'POST', body: '{}' });
  expect(res.status).toBe(201);
  expect(await res.json()).toEqual({ id: 42 });
  expect(await cannery.verify({ method: 'POST', path: '/users' }, { count: 1 })).toBe(1);
});

test('a failed verify rejects with the near misses', async () => {
  await fetch(`${cannery.url}/users`);
  await expect(cannery.verify({ method: 'PUT', path: '/users' }))
    .rejects.toThrow(/expected at least 1 request matching[^]*#\d+ GET \/users\n {6}x method: expected "PUT", got "GET"/);
});

test('a server the test forgets to stop', async () => {
  // run.sh checks that it is gone once the runner has exited
  const forgotten = await startCannery();
  writeFileSync(process.env.CANNERY_PID_FILE, String(forgotten.pid));
});
