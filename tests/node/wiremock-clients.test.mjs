// WireMock's two most used Node clients, unchanged, against cannery (SPEC section 8):
// wiremock-rest-client and wiremock-captain drive /__admin/ as they drive WireMock:
// create, call, count/find, delete, scenarios, reset. Run by meson (suite integration)
// with node; CANNERY_BIN names the binary and CANNERY_NODE_CLIENTS the node_modules
// folder scripts/dev.sh installs them into (.cache/node-clients); without them it skips.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const modules = process.env.CANNERY_NODE_CLIENTS;
if (!modules || !existsSync(join(modules, 'wiremock-rest-client')) || !existsSync(join(modules, 'wiremock-captain'))) {
  // meson's "skipped": scripts/dev.sh test installs them (npm install --prefix .cache/node-clients ...)
  console.error(`wiremock-clients: skipped: no wiremock-rest-client and wiremock-captain in ${modules}`);
  process.exit(77);
}
const require = createRequire(join(modules, 'x.js'));
const { WireMockRestClient } = require('wiremock-rest-client');
const { WireMock } = require('wiremock-captain');

let proc, url, root;

before(async () => {
  // a root with one file mapping beside what the clients add
  root = mkdtempSync(join(tmpdir(), 'cannery-wm-clients-'));
  mkdirSync(join(root, 'mappings'));
  writeFileSync(join(root, 'mappings', 'file.json'),
    JSON.stringify({ request: { method: 'GET', url: '/from-file' }, response: { status: 200, body: 'file' } }));
  proc = spawn(process.env.CANNERY_BIN || 'cannery', ['serve', '--wiremock', root, '--port', '0', '--quiet'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout });
  const [line] = await once(lines, 'line');
  assert.match(line, /^cannery: serving \d+ stubs? on http:\/\/127\.0\.0\.1:\d+$/);
  url = line.slice(line.lastIndexOf(' ') + 1);
});

after(async () => {
  proc.kill('SIGTERM');
  await once(proc, 'exit');
  rmSync(root, { recursive: true, force: true });
});

test('wiremock-rest-client: create, call, count, find, delete, reset', async () => {
  const wm = new WireMockRestClient(url, { logLevel: 'silent' });
  const mapping = await wm.mappings.createMapping({
    request: { method: 'POST', urlPath: '/orders', bodyPatterns: [{ matchesJsonPath: '$.items' }] },
    response: { status: 201, jsonBody: { id: 7 }, headers: { 'Content-Type': 'application/json' } },
  });
  assert.match(mapping.id, /^[0-9a-f-]{36}$/);
  const res = await fetch(`${url}/orders`, { method: 'POST', body: JSON.stringify({ items: [1] }) });
  assert.equal(res.status, 201);
  assert.deepEqual(await res.json(), { id: 7 });
  assert.equal(res.headers.get('matched-stub-id'), mapping.id);

  const { count } = await wm.requests.getCount({ method: 'POST', urlPath: '/orders' });
  assert.equal(count, 1);
  const found = await wm.requests.findRequests({ method: 'POST', urlPath: '/orders' });
  assert.equal(found.requests.length, 1);
  assert.equal(found.requests[0].url, '/orders');
  assert.deepEqual(JSON.parse(found.requests[0].body), { items: [1] });

  const all = await wm.mappings.getAllMappings();
  assert.equal(all.meta.total, 2);
  const one = await wm.mappings.getMapping(mapping.id);
  assert.equal(one.request.urlPath, '/orders');

  await wm.mappings.deleteMapping(mapping.id);
  assert.equal((await fetch(`${url}/orders`, { method: 'POST', body: '{}' })).status, 404);
  assert.equal((await fetch(`${url}/from-file`)).status, 200, 'the file mapping still serves');

  await wm.requests.deleteAllRequests();
  assert.equal((await wm.requests.getCount({})).count, 0);
  await wm.global.resetAll();
  assert.equal((await wm.mappings.getAllMappings()).meta.total, 1, 'the file mapping, read again');
});

test('wiremock-rest-client: scenarios', async () => {
  const wm = new WireMockRestClient(url, { logLevel: 'silent' });
  await wm.mappings.createMapping({
    scenarioName: 'cart', requiredScenarioState: 'Started', newScenarioState: 'full',
    request: { method: 'POST', url: '/cart' }, response: { status: 204 },
  });
  await wm.mappings.createMapping({
    scenarioName: 'cart', requiredScenarioState: 'full',
    request: { method: 'GET', url: '/cart' }, response: { status: 200, body: 'one item' },
  });
  assert.equal((await fetch(`${url}/cart`, { method: 'POST' })).status, 204);
  assert.equal(await (await fetch(`${url}/cart`)).text(), 'one item');
  const { scenarios } = await wm.scenarios.getAllScenarios();
  const cart = scenarios.find((s) => s.name === 'cart');
  assert.equal(cart.state, 'full');
  await wm.scenarios.resetAllScenarios();
  assert.equal((await fetch(`${url}/cart`)).status, 404);
  await wm.global.resetAll();
});

test('wiremock-captain: register, call, getRequestsForAPI, clear', async () => {
  const mock = new WireMock(url);
  // captain's default endpoint is WireMock's url: the whole target, so no query here
  await mock.register(
    { method: 'GET', endpoint: '/users/42', headers: { Accept: 'application/json' } },
    { status: 200, body: { id: 42, name: 'Ada' } },
  );
  const res = await fetch(`${url}/users/42`, { headers: { Accept: 'application/json' } });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { id: 42, name: 'Ada' });
  const calls = await mock.getRequestsForAPI('GET', '/users/42');
  assert.equal(calls.length, 1);
  assert.equal(calls[0].request.method, 'GET');
  assert.equal(calls[0].request.url, '/users/42');
  const mappings = await mock.getAllMappings();
  assert.ok(mappings.some((m) => m.request.url === '/users/42'), JSON.stringify(mappings));
  await mock.clearAll();
  assert.equal((await mock.getAllRequests()).length, 0);
  assert.equal((await fetch(`${url}/users/42`, { headers: { Accept: 'application/json' } })).status, 404);
  await mock.resetMappings();
  assert.equal((await fetch(`${url}/from-file`)).status, 200);
});
