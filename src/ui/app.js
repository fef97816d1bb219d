// SPDX-License-Identifier: MIT
// The dashboard: follows the journal by polling GET /__cannery/requests?since=SEQ, keeps
// the entries in memory and shows them in a virtual list (only the rows in view exist in
// the DOM), so 10,000 entries cost no more to draw than 40. Everything the server sent is
// put on the page as text (textContent), never as markup.
'use strict';

const API = '/__cannery';
const POLL_MS = 400;          // new entries show within a second
const PAGE = 1000;            // entries asked for per poll; more are fetched at once
const KEEP = 20000;           // entries kept in the page at most (the oldest go first)
const TOKEN_KEY = 'cannery-admin-token';
const $ = (id) => document.getElementById(id);

const st = {
  entries: [],                // every entry kept, ascending seq
  shown: [],                  // the entries that pass the filters, ascending seq
  last: 0,                    // highest seq seen
  selected: 0,                // seq of the entry in the detail pane
  paused: false,
  filter: { method: '', path: '', matched: '' },
  rowH: 24,
  pool: [],                   // row elements, reused
  stubsTab: false,
  needToken: false,
  polling: false,
};

// ---- the admin API ----

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(method, path, { text = false } = {}) {
  const headers = {};
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = 'Bearer ' + token;
  const res = await fetch(API + path, { method, headers, cache: 'no-store' });
  if (res.status === 401) {
    askToken();
    throw new ApiError(401, 'the admin token is missing or wrong');
  }
  const body = res.status === 204 ? '' : await res.text();
  if (!res.ok) {
    let msg = body;
    try { msg = JSON.parse(body).error || body; } catch (e) { /* not JSON: show as is */ }
    throw new ApiError(res.status, res.status + ': ' + msg);
  }
  if (text || !body) return body;
  return JSON.parse(body);
}

function askToken() {
  if (st.needToken) return;
  st.needToken = true;
  $('token-form').hidden = false;
  $('token').focus();
  setLive(false, 'admin token needed');
}

$('token-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $('token').value);
  $('token').value = '';
  $('token-form').hidden = true;
  st.needToken = false;
  refreshAll();
});

// ---- small DOM helpers ----

function el(tag, props, ...kids) {
  const e = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    }
  }
  for (const kid of kids) if (kid != null) e.append(kid);
  return e;
}

function kvTable(obj) {
  const keys = Object.keys(obj || {});
  if (!keys.length) return el('p', { class: 'empty', text: 'none' });
  return el('table', { class: 'kv' }, el('tbody', null,
    ...keys.map((k) => el('tr', null, el('td', { text: k }), el('td', { text: String(obj[k]) })))));
}

function clock(iso) {
  const i = iso.indexOf('T');
  return i < 0 ? iso : iso.slice(i + 1, iso.length - 1);
}

function setLive(on, text) {
  const live = $('live');
  live.className = 'live ' + (on ? 'on' : 'off');
  live.textContent = text;
}

// ---- the list: filters and the virtual rows ----

function passes(e) {
  const f = st.filter;
  if (f.method && e.method.toUpperCase() !== f.method) return false;
  if (f.path && !e.path.includes(f.path)) return false;
  if (f.matched === 'true' && e.stub === null) return false;
  if (f.matched === 'false' && e.stub !== null) return false;
  return true;
}

function refilter() {
  st.shown = st.entries.filter(passes);
  layout();
  render();
}

function layout() {
  $('spacer').style.height = st.shown.length * st.rowH + 'px';
  $('shown').textContent = st.shown.length === st.entries.length
    ? st.entries.length + ' requests' : st.shown.length + ' of ' + st.entries.length;
}

// Newest first: row i shows shown[shown.length - 1 - i]. Only the rows in view (and a few
// more) are drawn, from a pool of elements that only grows to the height of the view.
function render() {
  const sc = $('scroller');
  const first = Math.max(0, Math.floor(sc.scrollTop / st.rowH) - 5);
  const count = Math.min(st.shown.length - first, Math.ceil(sc.clientHeight / st.rowH) + 10);
  const rows = $('rows');
  while (st.pool.length < count) {
    const r = el('div', { class: 'row' },
      el('span', { class: 'seq' }), el('span', { class: 'time' }), el('span', { class: 'method' }),
      el('span', { class: 'path' }), el('span', { class: 'status' }), el('span', { class: 'stub' }));
    r.addEventListener('click', () => select(Number(r.dataset.seq)));
    st.pool.push(r);
    rows.append(r);
  }
  for (let i = 0; i < st.pool.length; i++) {
    const r = st.pool[i];
    if (i >= count) { r.hidden = true; continue; }
    const e = st.shown[st.shown.length - 1 - (first + i)];
    r.hidden = false;
    r.style.top = (first + i) * st.rowH + 'px';
    if (r.dataset.seq !== String(e.seq)) {
      r.dataset.seq = e.seq;
      const c = r.children;
      c[0].textContent = e.seq;
      c[1].textContent = clock(e.time);
      c[2].textContent = e.method;
      c[3].textContent = e.path + (Object.keys(e.query).length ? '?' + new URLSearchParams(e.query) : '');
      c[3].title = c[3].textContent;
      c[4].textContent = e.status;
      c[5].textContent = e.stub === null ? 'no stub matched' : e.stub;
    }
    r.classList.toggle('miss', e.stub === null);
    r.classList.toggle('selected', e.seq === st.selected);
  }
}

// New entries (ascending seq, all newer than what is kept): appended, never a rebuild.
function append(list) {
  if (!list.length) return;
  for (const e of list) {
    st.entries.push(e);
    if (passes(e)) st.shown.push(e);
  }
  st.last = list[list.length - 1].seq;
  if (st.entries.length > KEEP) dropBefore(st.entries[st.entries.length - KEEP].seq);
  const sc = $('scroller');
  const added = list.filter(passes).length;
  const top = sc.scrollTop;
  layout();
  // reading older entries further down: keep them where they are on screen (the list
  // has grown first, so the new position is never clamped)
  if (top > 0) sc.scrollTop = top + added * st.rowH;
  render();
}

// Forgets the entries older than seq (evicted or cleared on the server).
function dropBefore(seq) {
  let n = 0;
  while (n < st.entries.length && st.entries[n].seq < seq) n++;
  if (!n) return;
  st.entries.splice(0, n);
  let m = 0;
  while (m < st.shown.length && st.shown[m].seq < seq) m++;
  st.shown.splice(0, m);
  layout();
  render();
}

for (const id of ['f-method', 'f-path', 'f-matched']) {
  $(id).addEventListener('input', () => {
    st.filter = { method: $('f-method').value, path: $('f-path').value, matched: $('f-matched').value };
    refilter();
  });
}
$('scroller').addEventListener('scroll', render, { passive: true });
window.addEventListener('resize', render);

// ---- following the journal ----

async function poll() {
  if (st.polling || st.paused || st.needToken) return;
  st.polling = true;
  try {
    // what the server still has: an empty journal or a later oldest entry means entries
    // were cleared or evicted there
    const head = await api('GET', '/requests?limit=1');
    if (!head.requests.length) {
      if (st.entries.length) dropBefore(Infinity);
    } else if (st.entries.length && head.requests[0].seq > st.entries[0].seq) {
      dropBefore(head.requests[0].seq);
    }
    for (;;) {
      const page = await api('GET', '/requests?since=' + st.last + '&limit=' + PAGE);
      append(page.requests);
      if (page.requests.length < PAGE) break;
    }
    setLive(true, 'live');
    $('counts').textContent = st.last ? 'last #' + st.last : 'no requests yet';
  } catch (err) {
    if (err.status !== 401) setLive(false, String(err.message || err));
  } finally {
    st.polling = false;
  }
}

async function reloadStatus() {
  try {
    const r = await api('GET', '/reload');
    const box = $('reload-error');
    if (!r.last_error) { box.hidden = true; return; }
    box.hidden = false;
    box.classList.toggle('past', !r.last_error.current);
    $('reload-error-title').textContent = r.last_error.current
      ? 'The stub files did not load (' + r.last_error.time + '): the previous stubs are still served.'
      : 'Last refused reload (' + r.last_error.time + '), fixed since:';
    $('reload-error-text').textContent = r.last_error.errors.join('\n');
  } catch (err) { /* shown by the poll */ }
}

async function loadStubs() {
  try {
    const r = await api('GET', '/stubs');
    const body = $('stubs').tBodies[0];
    const rows = r.stubs.map((s) => el('tr', { 'data-id': s.id },
      el('td', { text: s.id }),
      el('td', { text: s.file === null ? '(runtime)' : s.file + ':' + s.line }),
      el('td', { text: s.methods.length ? s.methods.join(', ') : 'any' }),
      el('td', { text: s.path === null ? 'any' : s.path }),
      el('td', { class: 'num', text: String(s.hits) })));
    body.replaceChildren(...rows);
    $('counts').textContent = r.stubs.length + ' stubs' + (st.last ? ', last #' + st.last : '');
  } catch (err) { /* shown by the poll */ }
}

function refreshAll() {
  poll();
  reloadStatus();
  if (st.stubsTab) loadStubs();
}

setInterval(poll, POLL_MS);
setInterval(reloadStatus, 2000);
setInterval(() => { if (st.stubsTab) loadStubs(); }, 2000);

// ---- one entry in full ----

async function select(seq) {
  st.selected = seq;
  render();
  const pane = $('detail');
  let d;
  try {
    d = await api('GET', '/requests/' + seq);
  } catch (err) {
    pane.replaceChildren(el('p', { class: 'bad', text: String(err.message || err) }));
    return;
  }
  if (st.selected !== seq) return;
  const e = d.request;
  const q = new URLSearchParams(e.query).toString();
  const parts = [
    el('h2', { id: 'detail-title', text: e.method + ' ' + e.path + (q ? '?' + q : '') }),
    el('div', { class: e.stub === null ? 'bad' : 'ok', id: 'detail-outcome',
      text: '#' + e.seq + ' at ' + e.time + ' · ' + e.status + ' · ' +
        (e.stub === null ? 'no stub matched' : 'answered by ' + e.stub) + ' · ' + e.duration_ms + ' ms' }),
  ];
  parts.push(el('h3', { text: 'Response' }));
  const r = d.response;
  const resp = { status: e.status === 0 ? '(a fault: no answer)' : e.status, stub: e.stub === null ? '(none)' : e.stub };
  if (d.answered_by) resp['stub file'] = d.answered_by.file === null ? '(runtime stub)' : d.answered_by.file + ':' + d.answered_by.line;
  if (r.kept && r.content_type !== null) resp['content-type'] = r.content_type;
  if (e.note) resp.note = e.note;
  resp.duration = e.duration_ms + ' ms';
  parts.push(kvTable(resp));
  if (r.kept && r.headers && r.headers.length) {
    parts.push(el('h3', { text: 'Response headers' }));
    parts.push(el('table', { class: 'kv', id: 'detail-response-headers' }, el('tbody', null,
      ...r.headers.map(([k, v]) => el('tr', null, el('td', { text: k }), el('td', { text: v }))))));
  }
  if (r.kept && r.bytes) {
    const text = r.body !== undefined ? pretty(r.body) : '(binary, base64) ' + r.body_base64;
    parts.push(el('pre', { id: 'detail-response', text }));
    if (r.truncated) parts.push(el('p', { class: 'hint', text: 'the first ' + 4096 + ' of ' + r.bytes + ' bytes (the journal keeps no more)' }));
  } else if (r.kept) {
    parts.push(el('p', { class: 'empty', id: 'detail-response', text: 'empty body' }));
  } else if (e.stub === null && e.status === 404) {
    parts.push(el('p', { class: 'hint', id: 'detail-response', text: 'the 404 that lists the near misses (below, as they stand now)' }));
  }
  if (e.stub === null) parts.push(...missParts(d));
  parts.push(el('h3', { text: 'Query' }), kvTable(e.query));
  parts.push(el('h3', { text: 'Headers' }), kvTable(e.headers));
  parts.push(el('h3', { text: 'Body' }));
  if (e.body_base64 !== undefined) parts.push(el('pre', { text: '(binary, base64) ' + e.body_base64 }));
  else if (e.body) parts.push(el('pre', { id: 'detail-body', text: pretty(e.body) }));
  else parts.push(el('p', { class: 'empty', text: 'empty' }));
  pane.replaceChildren(...parts);
}

function pretty(body) {
  try { return JSON.stringify(JSON.parse(body), null, 2); } catch (e) { return body; }
}

function missParts(d) {
  const out = [el('h3', { text: 'Near misses' })];
  if (!d.near_misses.length) out.push(el('p', { class: 'empty', text: 'no stub came close' }));
  else {
    out.push(el('ol', { class: 'misses', id: 'near-misses' }, ...d.near_misses.map((m) => el('li', null,
      el('strong', { text: m.stub }), ' ',
      el('span', { class: 'hint', text: m.file === null ? '(runtime)' : m.file + ':' + m.line }),
      el('ul', null, ...m.mismatches.map((t) => el('li', { text: t })))))));
  }
  const yaml = el('pre', { id: 'stub-yaml', hidden: '' });
  const note = el('span', { class: 'hint', id: 'copy-note' });
  const seq = d.request.seq;
  const button = el('button', { id: 'copy-stub', type: 'button', onclick: async () => {
    try {
      const text = await api('GET', '/requests/' + seq + '/stub', { text: true });
      yaml.textContent = text;
      yaml.hidden = false;
      note.textContent = await copy(text, yaml)
        ? 'Copied. Save it as a .yaml file in a stub directory: it is served after the next reload.'
        : 'Select the text below and copy it into a .yaml file in a stub directory.';
    } catch (err) {
      note.textContent = String(err.message || err);
    }
  } }, 'Copy as stub');
  out.push(el('h3', { text: 'A stub for this request' }), el('div', { class: 'actions' }, button, note), yaml);
  return out;
}

// The clipboard needs a secure context (localhost is one) and the page in focus; without
// it the text is selected for the user to copy.
async function copy(text, node) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch (e) {
    const range = document.createRange();
    range.selectNodeContents(node);
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    return false;
  }
}

// ---- buttons ----

async function action(method, path, confirmText) {
  if (confirmText && !window.confirm(confirmText)) return;
  try {
    await api(method, path);
  } catch (err) {
    setLive(false, String(err.message || err));
  }
  refreshAll();
}

$('clear').addEventListener('click', () => action('DELETE', '/requests'));
$('reset').addEventListener('click', () => action('POST', '/reset'));
$('reload').addEventListener('click', () => action('POST', '/reload'));
$('pause').addEventListener('click', () => {
  st.paused = !st.paused;
  $('pause').textContent = st.paused ? 'Resume' : 'Pause';
  setLive(!st.paused, st.paused ? 'paused' : 'live');
  if (!st.paused) poll();
});

function showTab(stubs) {
  st.stubsTab = stubs;
  $('view-requests').hidden = stubs;
  $('view-stubs').hidden = !stubs;
  $('tab-requests').classList.toggle('active', !stubs);
  $('tab-stubs').classList.toggle('active', stubs);
  if (stubs) loadStubs();
  else render();
}
$('tab-requests').addEventListener('click', () => showTab(false));
$('tab-stubs').addEventListener('click', () => showTab(true));

refreshAll();
