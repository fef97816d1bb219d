// cannery-client under node:test: node --test clients/node/test/
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { CanneryError, findBinary, startCannery } from '../index.js';

const here = dirname(fileURLToPath(import.meta.url));
const stubs = join(here, 'fixtures', 'stubs');

async function call(url, init) {
  const res = await fetch(url, init);
  return { status: res.status, text: await res.text() };
}

describe('a server shared by a describe block', () => {
  let cannery;
  before(async () => { cannery = await startCannery({ stubs: [stubs] }); });
  after(async () => { assert.equal(await cannery.stop(), 0); });
  beforeEach(async () => { await cannery.reset(); await cannery.removeRuntimeStubs(); });

  test('url from the ready line, stubs served, count and requests', async () => {
    assert.match(cannery.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(cannery.port > 0);
    assert.ok(cannery.pid > 0); // the server's own, not its watchdog's
    assert.deepEqual(JSON.parse((await call(`${cannery.url}/api/users`)).text), [{ id: 1, name: 'Ada' }]);
    assert.equal(await cannery.count({ path: '/api/users' }), 1);
    assert.equal(await cannery.count(), 1);
    const [entry] = await cannery.requests({ path: '/api/users', matched: true });
    assert.equal(entry.stub, 'list-users');
    assert.equal(entry.seq, 1);
    assert.equal(await cannery.verify({ method: 'GET', path: '/api/users' }, { count: 1 }), 1);
  });

  test('addStub takes an object, an array or YAML text; removeStub', async () => {
    assert.deepEqual(await cannery.addStub({ name: 'ping', request: { path: '/ping' }, response: { json: { pong: true } } }), ['ping']);
    assert.deepEqual(await cannery.addStub('- request: {path: /a}\n  response: {body: A}\n'), ['runtime-1']);
    assert.deepEqual(await cannery.addStub([{ request: { path: '/b' }, response: { body: 'B' } }]), ['runtime-2']);
    assert.deepEqual(await call(`${cannery.url}/ping`), { status: 200, text: '{"pong":true}' });
    assert.equal((await call(`${cannery.url}/a`)).text, 'A');
    await cannery.removeStub('ping');
    assert.equal((await call(`${cannery.url}/ping`)).status, 404);
    await assert.rejects(cannery.addStub('request:\n  path: /x\n  metod: GET\n'), (e) => {
      assert.ok(e instanceof CanneryError);
      assert.match(e.message, /body:3:3: error: unknown key 'metod' in 'request' \(did you mean 'method'\?\)/);
      assert.match(e.message, / {3}3 \| {3}metod: GET/);
      return true;
    });
  });

  test('the runtime stubs of the previous test are gone, and so is its journal', async () => {
    assert.deepEqual((await cannery.stubs()).map((s) => s.id), ['list-users', 'create-user']);
    assert.deepEqual(await cannery.requests(), []);
  });

  test('a failed verify lists the near misses', async () => {
    // sequence numbers count for the server's lifetime: reset() does not restart them
    const seq = await lastSeq(cannery);
    await call(`${cannery.url}/api/users`, { method: 'POST', headers: { Authorization: 'Bearer t' }, body: '{}' });
    await call(`${cannery.url}/api/users`);
    await assert.rejects(cannery.verify({ method: 'PUT', path: '/api/users' }, { count: 1 }), (e) => {
      assert.equal(e.name, 'AssertionError');
      assert.equal(e.message, [
        'cannery verify failed: expected exactly 1 request matching',
        '    {"method":"PUT","path":"/api/users"}',
        'but none matched.',
        'Closest requests in the journal (fewest failed conditions first):',
        `  #${seq + 2} GET /api/users`,
        '      x method: expected "PUT", got "GET"',
        `  #${seq + 1} POST /api/users`,
        '      x method: expected "PUT", got "POST"',
      ].join('\n'));
      return true;
    });
  });

  test('verify ranges, too many, and an empty journal', async () => {
    for (let i = 0; i < 3; i++) await call(`${cannery.url}/api/users`);
    assert.equal(await cannery.verify({ path: '/api/users' }, { atLeast: 2, atMost: 3 }), 3);
    assert.equal(await cannery.verify({ path: '/api/users' }), 3);
    await assert.rejects(cannery.verify({ path: '/api/users' }, { atMost: 2 }),
      /expected at most 2 requests matching\n {4}\{"path":"\/api\/users"\}\nbut 3 requests matched\.\n\(Every one of them matched/);
    await cannery.clearRequests();
    await assert.rejects(cannery.verify({ method: 'DELETE' }), /expected at least 1 request matching[^]*No other request is in the journal\./);
  });

  test('wait for a request sent later, and its timeout', async () => {
    setTimeout(() => { fetch(`${cannery.url}/api/users`).then((r) => r.text()); }, 20);
    assert.equal(await cannery.wait({ path: '/api/users' }), 1);
    await assert.rejects(cannery.wait({ path: '/api/users' }, { count: 2, timeout: 200 }),
      /^AssertionError.*cannery wait \(200 ms\) failed: expected at least 2 requests matching[^]*but 1 request matched\./);
  });

  test('the access log is kept', async () => {
    await call(`${cannery.url}/nope`);
    // the access log line is written once the answer is sent: poll for it
    const deadline = Date.now() + 10000;
    while (!/GET \/nope 404 no stub matched/.test(cannery.log())) {
      assert.ok(Date.now() < deadline, `no access log line for /nope in:\n${cannery.log()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  });
});

test('openapi and wiremock roots, relative to cwd', async () => {
  const cannery = await startCannery({ cwd: here, openapi: 'fixtures/pets.yaml', wiremock: ['fixtures/wm'] });
  try {
    assert.deepEqual(await call(`${cannery.url}/hello`), { status: 200, text: 'hi' });
    assert.equal(JSON.parse((await call(`${cannery.url}/pets/7`)).text).name, 'Rex');
    assert.equal((await call(`${cannery.url}/pets/abc`)).status, 422);
  } finally {
    await cannery.stop();
  }
});

test('a bad stub file: the error names its file, line and column', async () => {
  await assert.rejects(startCannery({ stubs: join(here, 'fixtures', 'bad') }), (e) => {
    assert.ok(e instanceof CanneryError);
    assert.match(e.message, /cannery exited with status 1 before it was ready/);
    assert.match(e.message, /bad\/typo\.yaml:3:3: error: unknown key 'respons'/);
    return true;
  });
});

test('finding the binary: option, CANNERY_BIN, PATH', async (t) => {
  const bin = findBinary();
  const saved = { bin: process.env.CANNERY_BIN, path: process.env.PATH };
  t.after(() => {
    process.env.CANNERY_BIN = saved.bin;
    process.env.PATH = saved.path;
    if (saved.bin === undefined) delete process.env.CANNERY_BIN;
  });
  process.env.CANNERY_BIN = '/nonexistent/cannery';
  assert.throws(() => findBinary(), /CANNERY_BIN names '\/nonexistent\/cannery', which is not an executable file/);
  assert.equal(findBinary(bin), bin); // the option wins
  delete process.env.CANNERY_BIN;
  process.env.PATH = dirname(bin);
  assert.equal(findBinary(), bin.endsWith('/cannery') ? bin : findBinary());
  process.env.PATH = here;
  assert.throws(() => findBinary(), /cannery binary not found: there is no `cannery` on PATH/);
  await assert.rejects(startCannery({ bin: 'no-such-cannery' }), /bin names 'no-such-cannery'/);
  await assert.rejects(startCannery({ stub: 'x' }), /unknown startCannery option stub/);
});

test('this process\'s CANNERY_* variables do not reach the server; adminToken does', async (t) => {
  process.env.CANNERY_ADMIN_TOKEN = 'from-the-shell';
  t.after(() => { delete process.env.CANNERY_ADMIN_TOKEN; });
  const open = await startCannery();
  assert.equal(await open.count(), 0);
  await open.stop();
  const locked = await startCannery({ adminToken: 's3cret' });
  assert.equal(await locked.count(), 0);
  assert.equal((await fetch(`${locked.url}/__cannery/health`)).status, 401);
  await locked.stop();
});

test('a server left running does not keep its process alive, and stops when it ends', async () => {
  // a child Node process starts cannery, prints its pid, and simply ends without stop()
  const script = `import { startCannery } from ${JSON.stringify(new URL('../index.js', import.meta.url).href)};
    const c = await startCannery(); console.log(c.pid);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
  await assertGone(Number(out.trim()));
});

for (const signal of ['SIGTERM', 'SIGKILL']) {
  test(`the server stops when the process that started it is killed with ${signal}`, async () => {
    const script = `import { startCannery } from ${JSON.stringify(new URL('../index.js', import.meta.url).href)};
      const c = await startCannery(); console.log(c.pid); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; if (out.includes('\n')) child.kill(signal); });
    const [code, got] = await once(child, 'exit');
    assert.deepEqual([code, got], [null, signal]); // ended by the signal, as without the client
    await assertGone(Number(out.trim()));
  });
}

// the seq of the last request the server answered (0: none yet), through a throwaway request
async function lastSeq(cannery) {
  await call(`${cannery.url}/__seq-probe`);
  const [probe] = await cannery.requests({ path: '/__seq-probe' });
  await cannery.clearRequests();
  return probe.seq;
}

// polls (no fixed sleep) until pid has exited; it is not our child: an exited one is a
// zombie until whoever adopted it reaps it, which counts as gone
async function assertGone(pid) {
  assert.ok(pid > 0);
  const deadline = Date.now() + 20000;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch (e) {
      assert.equal(e.code, 'ESRCH');
      return;
    }
    if (existsSync('/proc/self')) {
      let stat = '';
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        return; // reaped in between
      }
      if (/^\d+ \(.*\) Z/.test(stat)) return;
    }
    assert.ok(Date.now() < deadline, `cannery (pid ${pid}) still runs`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
