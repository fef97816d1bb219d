// A Node test suite that used WireMock, unchanged but for the command that starts the
// server: `cannery serve --wiremock wiremock/` reads the same mappings and __files, and
// wiremock-captain (WireMock's Node client) stubs and verifies through /__admin/ as before.
// Run: CANNERY_BIN=... NODE_PATH=... node --test client.test.mjs (see README.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getUser, renameUser } from './client.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const modules = process.env.CANNERY_NODE_CLIENTS || join(here, 'node_modules');
if (!existsSync(join(modules, 'wiremock-captain'))) {
  console.error(`example-wiremock-node: skipped: no wiremock-captain in ${modules} (npm install wiremock-captain)`);
  process.exit(77);
}
const { WireMock } = createRequire(join(modules, 'x.js'))('wiremock-captain');

let server, url, wiremock;

before(async () => {
  server = spawn(process.env.CANNERY_BIN || 'cannery', ['serve', '--wiremock', join(here, 'wiremock'), '--port', '0', '--quiet'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await once(createInterface({ input: server.stdout }), 'line');
  url = line.slice(line.lastIndexOf(' ') + 1);   // "cannery: serving N stubs on http://127.0.0.1:PORT"
  wiremock = new WireMock(url);
});

after(async () => {
  server.kill('SIGTERM');
  await once(server, 'exit');
});

test('reads a user from the mapping files', async () => {
  assert.deepEqual(await getUser(url, 42), { id: 42, name: 'Ada Lovelace' });
  assert.equal(await getUser(url, 7), null);
});

test('renames a user against a stub registered by the test', async () => {
  await wiremock.register(
    { method: 'PATCH', endpoint: '/api/users/42', body: { name: 'Ada King' } },
    { status: 200, body: { id: 42, name: 'Ada King' } },
  );
  assert.deepEqual(await renameUser(url, 42, 'Ada King'), { id: 42, name: 'Ada King' });
  const calls = await wiremock.getRequestsForAPI('PATCH', '/api/users/42');
  assert.equal(calls.length, 1);
  assert.deepEqual(JSON.parse(calls[0].request.body), { name: 'Ada King' });
  await wiremock.resetMappings();
});
