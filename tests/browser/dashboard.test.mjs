// SPDX-License-Identifier: MIT
// The dashboard (SPEC section 11) in a real browser: headless Chromium, driven through
// the DevTools protocol (cdp.mjs), against the real binary on port 0 with a temporary
// stub directory. Requests appear in the list without a reload, a miss shows its near
// misses, "Copy as stub" gives YAML that, saved into the stub directory, makes the next
// such request match (seen in the page), filters, the stub list with hits, the reload
// error, clear, the --admin-token prompt, and 10,000 entries drawn with a bounded DOM.
// Every wait polls the page; nothing sleeps a fixed time. With CANNERY_SCREENSHOT=FILE
// the last test saves a screenshot there (docs/dashboard.png). Without a Chromium:
// skipped (77).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { mkdtempSync, writeFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findChromium, launch } from './cdp.mjs';

const chromium = findChromium();
if (!chromium) {
  console.error('dashboard browser test: skipped: no Chromium on PATH (chromium, chromium-browser, google-chrome '
    + 'or $CHROMIUM); scripts/dev.sh test installs Debian\'s chromium');
  process.exit(77);
}

const STUBS = `- name: get-user
  request:
    method: GET
    path: /api/users/{id}
    headers:
      Authorization: { prefix: "Bearer " }
  response:
    json: { id: 1, name: Ada }
- name: create-order
  request:
    method: POST
    path: /api/orders
    body:
      json_partial: { sku: A-1 }
  response:
    status: 201
    json: { id: 7 }
`;

const servers = [];
let browser;

async function serve(dir, ...extra) {
  const proc = spawn(process.env.CANNERY_BIN || 'cannery', ['serve', '--port', '0', '--quiet', ...extra, dir],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await once(createInterface({ input: proc.stdout }), 'line');
  assert.match(line, /^cannery: serving \d+ stubs? on http:\/\/127\.0\.0\.1:\d+$/);
  const s = { proc, dir, url: line.slice(line.lastIndexOf(' ') + 1) };
  servers.push(s);
  return s;
}

function stubDir(text) {
  const dir = mkdtempSync(join(tmpdir(), 'cannery-dashboard-'));
  writeFileSync(join(dir, 'api.yaml'), text);
  return dir;
}

// polls fn (async, returns a value or a falsy one) without fixed sleeps beyond a 50 ms tick
async function until(what, fn, timeoutMs = 20000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  console.error(`dashboard browser test: ${chromium.version}`);
  browser = await launch(chromium.path);
});

after(async () => {
  if (browser) await browser.close();
  for (const s of servers) {
    s.proc.kill('SIGTERM');
    if (s.proc.exitCode === null) await once(s.proc, 'exit');
    rmSync(s.dir, { recursive: true, force: true });
  }
});

// the rows the list has drawn: [{seq, method, path, status, stub, miss}]
const ROWS = `[...document.querySelectorAll('#rows .row:not([hidden])')].map((r) => ({
  seq: Number(r.dataset.seq), method: r.children[2].textContent, path: r.children[3].textContent,
  status: r.children[4].textContent, stub: r.children[5].textContent, miss: r.classList.contains('miss') }))`;

test('live journal, near misses, copy as stub, hot reload, the match seen in the page', async () => {
  const srv = await serve(stubDir(STUBS));
  await browser.grantClipboard(srv.url);
  const page = await browser.newPage();
  await page.navigate(`${srv.url}/__cannery/ui`);
  await page.waitFor('the page to follow the journal', `document.getElementById('live').textContent === 'live'`);
  assert.equal(await page.eval(`getComputedStyle(document.getElementById('token-form')).display`), 'none',
    'no token prompt without --admin-token');

  // requests made outside the page appear in it without a reload
  assert.equal((await fetch(`${srv.url}/api/users/1`, { headers: { Authorization: 'Bearer t0k3n' } })).status, 200);
  const miss = await fetch(`${srv.url}/api/orders?tag=a%20b&x={y}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ sku: 'B-2', qty: 2, note: 'a "quoted" üñí' }),
  });
  assert.equal(miss.status, 404);
  const rows = await page.waitFor('both requests in the list', `(() => { const r = ${ROWS}; return r.length === 2 && r; })()`);
  assert.deepEqual(rows.map((r) => [r.method, r.stub, r.miss]),
    [['POST', 'no stub matched', true], ['GET', 'get-user', false]], 'newest first; the miss marked');
  const missSeq = rows[0].seq;

  // a matched request in full: what it was answered
  await page.eval(`document.querySelector('#rows .row:not(.miss)').click()`);
  const answer = await page.waitFor('the answer of the matched request', `(() => {
    const r = document.getElementById('detail-response'); return r && r.textContent; })()`);
  assert.match(answer, /"name": "Ada"/);
  assert.match(await page.eval(`document.getElementById('detail').textContent`), /api\.yaml:1/);

  // the miss in full: its near misses, with the mismatch that made create-order miss
  await page.eval(`document.querySelector('#rows .row.miss').click()`);
  const near = await page.waitFor('the near misses', `(() => {
    const li = [...document.querySelectorAll('#near-misses > li')];
    return li.length && li.map((l) => l.textContent); })()`);
  assert.match(near[0], /create-order/);
  assert.match(near[0], /api\.yaml:9/);
  assert.match(near[0], /body/);
  assert.match(await page.eval(`document.getElementById('detail-title').textContent`), /^POST \/api\/orders\?tag=a\+b&x=%7By%7D$/);
  assert.match(await page.eval(`document.getElementById('detail-body').textContent`), /"sku": "B-2"/);
  assert.match(await page.eval(`document.getElementById('detail-response').textContent`), /near misses/);

  // copy as stub: YAML shown (and put on the clipboard where the browser allows it)
  await page.eval(`document.getElementById('copy-stub').click()`);
  const yaml = await page.waitFor('the stub YAML', `(() => { const y = document.getElementById('stub-yaml');
    return y && !y.hidden && y.textContent; })()`);
  assert.match(yaml, /method: POST/);
  assert.match(yaml, /path: \/api\/orders/);
  assert.match(yaml, /sku: B-2/);
  assert.equal(await page.eval(`navigator.clipboard.readText()`), yaml, 'the same text on the clipboard');

  // saved into the stub directory: hot reload serves it, and the same request now matches
  writeFileSync(join(srv.dir, 'copied.yaml'), yaml);
  await until('the hot reload of copied.yaml', async () => {
    const r = await (await fetch(`${srv.url}/__cannery/stubs`)).json();
    return r.stubs.some((s) => s.id === 'copied.yaml#0');
  });
  const again = await fetch(`${srv.url}/api/orders?tag=a%20b&x={y}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ qty: 2, note: 'a "quoted" üñí', sku: 'B-2' }),
  });
  assert.equal(again.status, 200);
  const matched = await page.waitFor('the repeated request, matched, in the list', `(() => {
    const r = ${ROWS}.find((x) => x.seq > ${missSeq}); return r && r; })()`);
  assert.equal(matched.stub, 'copied.yaml#0');
  assert.equal(matched.miss, false);

  // filters: unmatched only, then a method, then a path
  await page.eval(`(() => { const f = document.getElementById('f-matched'); f.value = 'false';
    f.dispatchEvent(new Event('input')); })()`);
  let shown = await page.waitFor('the unmatched filter', `(() => { const r = ${ROWS}; return r.length === 1 && r; })()`);
  assert.equal(shown[0].seq, missSeq);
  await page.eval(`(() => { const f = document.getElementById('f-matched'); f.value = '';
    f.dispatchEvent(new Event('input')); const m = document.getElementById('f-method'); m.value = 'GET';
    m.dispatchEvent(new Event('input')); })()`);
  shown = await page.waitFor('the method filter', `(() => { const r = ${ROWS}; return r.length === 1 && r; })()`);
  assert.equal(shown[0].stub, 'get-user');
  await page.eval(`(() => { const m = document.getElementById('f-method'); m.value = '';
    m.dispatchEvent(new Event('input')); const p = document.getElementById('f-path'); p.value = 'orders';
    p.dispatchEvent(new Event('input')); })()`);
  shown = await page.waitFor('the path filter', `(() => { const r = ${ROWS}; return r.length === 2 && r; })()`);
  assert.ok(shown.every((r) => r.path.startsWith('/api/orders')));

  // the stubs, with file:line and hits
  await page.eval(`document.getElementById('tab-stubs').click()`);
  const stubs = await page.waitFor('the stub list', `(() => { const r = [...document.querySelectorAll('#stubs tbody tr')]
    .map((t) => [...t.children].map((c) => c.textContent)); return r.length === 3 && r; })()`);
  assert.deepEqual(stubs.find((s) => s[0] === 'get-user'), ['get-user', `${srv.dir}/api.yaml:1`, 'GET', '/api/users/{id}', '1']);
  assert.deepEqual(stubs.find((s) => s[0] === 'copied.yaml#0').slice(1), [`${srv.dir}/copied.yaml:3`, 'POST', '/api/orders', '1']);

  // a stub file that does not load: the page says so, and the previous stubs still serve
  writeFileSync(join(srv.dir, 'broken.yaml'), '- request: { path: /x, methd: GET }\n');
  const banner = await page.waitFor('the reload error', `(() => { const b = document.getElementById('reload-error');
    return !b.hidden && !b.classList.contains('past') && b.textContent; })()`);
  assert.match(banner, /broken\.yaml:1:\d+: error: unknown key 'methd'/);
  unlinkSync(join(srv.dir, 'broken.yaml'));
  await page.waitFor('the reload error marked as fixed', `document.getElementById('reload-error').classList.contains('past')`);

  // clear: the list empties
  await page.eval(`document.getElementById('tab-requests').click()`);
  await page.eval(`(() => { const p = document.getElementById('f-path'); p.value = '';
    p.dispatchEvent(new Event('input')); document.getElementById('clear').click(); })()`);
  await page.waitFor('the list to empty after Clear', `${ROWS}.length === 0`);
  assert.equal((await (await fetch(`${srv.url}/__cannery/requests`)).json()).total, 0);

  assert.deepEqual(page.problems, [], 'no exception, console error or CSP violation in the page');
});

test('with --admin-token the page asks for the token and sends it', async () => {
  const srv = await serve(stubDir(STUBS), '--admin-token', 's3cret');
  const page = await browser.newPage();
  await page.navigate(`${srv.url}/__cannery/ui`);
  await page.waitFor('the token prompt', `!document.getElementById('token-form').hidden`);
  assert.equal(await page.eval(`${ROWS}.length`), 0);
  await fetch(`${srv.url}/api/users/2`);
  await page.eval(`(() => { document.getElementById('token').value = 's3cret';
    document.getElementById('token-form').requestSubmit(); })()`);
  await page.waitFor('the journal, with the token', `(() => { const r = ${ROWS}; return r.length === 1 && r[0].path === '/api/users/2'; })()`);
  assert.equal(await page.eval(`sessionStorage.getItem('cannery-admin-token')`), 's3cret');
  assert.equal(await page.eval(`document.getElementById('live').textContent`), 'live');
  // 401s are expected here (before the token); nothing else may go wrong
  assert.deepEqual(page.problems.filter((p) => !/401/.test(p)), []);
});

test('10,000 entries: all counted, a bounded number of rows in the DOM, scrolling draws the right ones', async () => {
  const srv = await serve(stubDir(STUBS), '--journal-limit', '20000');
  const page = await browser.newPage();
  await page.navigate(`${srv.url}/__cannery/ui`);
  await page.waitFor('the page to follow the journal', `document.getElementById('live').textContent === 'live'`);
  const N = 10000;
  const t0 = Date.now();
  for (let i = 0; i < N; i += 50) {
    await Promise.all(Array.from({ length: 50 }, (_, k) => fetch(`${srv.url}/load/${i + k}`).then((r) => r.arrayBuffer())));
  }
  const sent = Date.now();
  await page.waitFor('10,000 entries in the page', `document.getElementById('shown').textContent === '${N} requests'`, 60000);
  console.error(`dashboard browser test: ${N} requests sent in ${sent - t0} ms, all in the page ${Date.now() - sent} ms later`);
  // how long a filter change over all of them takes (logged, not asserted: machine speed)
  const filterMs = await page.eval(`(async () => { const p = document.getElementById('f-path');
    const t = performance.now(); p.value = '/load/99'; p.dispatchEvent(new Event('input'));
    const n = document.getElementById('shown').textContent; const ms = performance.now() - t;
    p.value = ''; p.dispatchEvent(new Event('input')); return n + ' in ' + ms.toFixed(1) + ' ms'; })()`);
  console.error(`dashboard browser test: path filter over ${N} entries: ${filterMs}`);
  const dom = await page.eval(`document.querySelectorAll('#rows .row').length`);
  assert.ok(dom < 200, `${dom} row elements for ${N} entries`);
  // scrolled to the middle: the rows drawn are the ones there
  const mid = await page.eval(`(async () => { const sc = document.getElementById('scroller');
    sc.scrollTop = 5000 * 24; sc.dispatchEvent(new Event('scroll'));
    await new Promise((r) => requestAnimationFrame(r)); return ${ROWS}.map((r) => r.seq); })()`);
  assert.ok(mid.includes(N - 5000), `row of seq ${N - 5000} drawn at the middle (got ${mid[0]}..${mid[mid.length - 1]})`);
  // one more request while scrolled: appended without moving what is on screen
  await fetch(`${srv.url}/load/last`);
  await page.waitFor('the new entry counted', `document.getElementById('shown').textContent === '${N + 1} requests'`);
  const top = await page.eval(`document.getElementById('scroller').scrollTop`);
  assert.equal(top, 5001 * 24);
  assert.deepEqual(page.problems, []);
});

test('a session like a front-end developer\'s (the screenshot of docs/dashboard.md)', async () => {
  const srv = await serve(stubDir(STUBS));
  await browser.grantClipboard(srv.url);
  const page = await browser.newPage(1400, 760);
  await page.navigate(`${srv.url}/__cannery/ui`);
  await page.waitFor('the page to follow the journal', `document.getElementById('live').textContent === 'live'`);
  const auth = { Authorization: 'Bearer t0k3n' };
  const json = { 'Content-Type': 'application/json' };
  const calls = [
    ['GET', '/api/users/1', auth], ['GET', '/api/users/2', auth],
    ['POST', '/api/orders', json, { sku: 'A-1', qty: 1 }], ['GET', '/api/users/3', {}],
    ['GET', '/api/users/1', auth], ['POST', '/api/orders', json, { sku: 'A-1', qty: 3 }],
    ['DELETE', '/api/orders/7', auth], ['GET', '/api/users/4?fields=name', auth],
    ['POST', '/api/orders?dryRun=true', json, { sku: 'B-2', qty: 2 }],
  ];
  for (const [method, path, headers, body] of calls)
    await fetch(srv.url + path, { method, headers, body: body && JSON.stringify(body) });
  await page.waitFor('every request in the list', `${ROWS}.length === ${calls.length}`);
  await page.eval(`document.querySelector('#rows .row.miss').click()`);
  await page.waitFor('the near misses', `document.querySelectorAll('#near-misses > li').length > 0`);
  await page.eval(`document.getElementById('copy-stub').click()`);
  const yaml = await page.waitFor('the stub YAML', `(() => { const y = document.getElementById('stub-yaml');
    return y && !y.hidden && y.textContent; })()`);
  assert.match(yaml, /dryRun: 'true'|dryRun: "true"/);
  assert.equal(await page.eval(`${ROWS}.filter((r) => r.miss).length`), 3);
  if (process.env.CANNERY_SCREENSHOT) {
    writeFileSync(process.env.CANNERY_SCREENSHOT, await page.screenshot());
    console.error(`dashboard browser test: screenshot saved as ${process.env.CANNERY_SCREENSHOT}`);
  }
  assert.deepEqual(page.problems, []);
});
