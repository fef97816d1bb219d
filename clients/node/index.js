// cannery-client: start `cannery serve --port 0` from a Node test suite and drive its
// admin API. No dependencies: node:child_process and the global fetch (Node 18+).
// Works under node:test, jest and vitest; see docs/clients.md.
import { spawn } from 'node:child_process';
import { AssertionError } from 'node:assert';
import { accessSync, constants, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/** cannery could not be found or started, or refused an admin call. */
export class CanneryError extends Error {
  constructor(message) {
    super(message);
    this.name = 'CanneryError';
  }
}

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return !statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function onPath(name) {
  for (const dir of (process.env.PATH || '').split(delimiter)) {
    if (dir && executable(join(dir, name))) return join(dir, name);
  }
  return null;
}

/** The cannery executable: `bin`, else $CANNERY_BIN, else `cannery` on PATH. */
export function findBinary(bin) {
  for (const [source, value] of [['bin', bin], ['CANNERY_BIN', process.env.CANNERY_BIN]]) {
    if (!value) continue;
    const path = value.includes('/') ? resolve(value) : onPath(value);
    if (!path || !executable(path)) {
      throw new CanneryError(`${source} names '${value}', which is not an executable file`);
    }
    return path;
  }
  const path = onPath('cannery');
  if (!path) {
    throw new CanneryError('cannery binary not found: there is no `cannery` on PATH. Install cannery ' +
      '(`meson install`, or the Debian package), or name the binary with startCannery({bin}) or CANNERY_BIN=PATH.');
  }
  return path;
}

// The server runs under a small sh watchdog that holds the read end of a pipe from this
// process (its stdin): when this process ends that pipe, by stop() or by exiting in any
// way (a signal, SIGKILL, a test runner that ends its workers without running 'exit'
// listeners), the watchdog stops the server with SIGTERM and exits with its status. It
// tells this process the server's pid on fd 3. Nothing hooks process events or signals.
const WATCHDOG = `exec 4<&0
"$@" </dev/null 3>&- 4<&- &
server=$!
echo "$server" >&3
exec 3>&-
(while read -r _; do :; done <&4; kill -TERM "$server" 2>/dev/null) &
watcher=$!
exec 4<&-
wait "$server"
status=$?
kill "$watcher" 2>/dev/null
exit "$status"`;

const list = (value) => (value === undefined || value === null ? [] : Array.isArray(value) ? value : [value]);

function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function expectedText(expected) {
  if ('count' in expected) return `exactly ${plural(expected.count, 'request')}`;
  const lo = expected.at_least;
  const hi = expected.at_most;
  if (lo !== undefined && hi !== undefined) return `between ${lo} and ${hi} requests`;
  if (hi !== undefined) return `at most ${plural(hi, 'request')}`;
  return `at least ${plural(lo ?? 1, 'request')}`;
}

// the matcher on one line, or, when long, one line a condition (as in a stub file)
function matcherText(request) {
  const text = JSON.stringify(request);
  if (text.length <= 72 || typeof request !== 'object' || Array.isArray(request)) return `    ${text}`;
  return Object.entries(request).map(([key, value]) => `    ${key}: ${JSON.stringify(value)}`).join('\n');
}

/** The message of a failed verify: what was expected, the count, then the closest
 * journal entries, each with the conditions it failed. */
export function verifyMessage(request, answer, what = 'verify') {
  const expected = answer.expected || { at_least: 1 };
  const got = answer.count ?? 0;
  const lines = [
    `cannery ${what} failed: expected ${expectedText(expected)} matching`,
    matcherText(request),
    `but ${got === 0 ? 'none' : got === 1 ? '1 request' : plural(got, 'request')} matched.`,
  ];
  const misses = answer.near_misses || [];
  if (misses.length) {
    lines.push('Closest requests in the journal (fewest failed conditions first):');
    for (const m of misses) {
      lines.push(`  #${m.seq} ${m.method} ${m.path}`);
      for (const reason of m.mismatches || []) lines.push(`      x ${reason}`);
    }
  } else if (('at_most' in expected && got > expected.at_most) || ('count' in expected && got > expected.count)) {
    lines.push('(Every one of them matched: there were too many, not too few.)');
  } else {
    lines.push('No other request is in the journal.');
  }
  return lines.join('\n');
}

// node:assert's AssertionError, as assert.fail(message) makes it: node:test and vitest
// print the message; jest, which formats node:assert errors itself, prints it under
// "assert.fail(received, expected)" with no empty expected/received diff
function verifyFailure(message) {
  return new AssertionError({ message, operator: 'fail' });
}

class Cannery {
  #child;
  #stderr = '';
  #token;
  #workdir;
  #exited;

  constructor(child, workdir, token) {
    this.#child = child;
    this.#workdir = workdir;
    this.#token = token;
    this.url = '';
    this.port = 0;
    this.pid = undefined; // the server's, from the watchdog
    this.#exited = new Promise((done) => {
      child.once('exit', (code, signal) => done(code ?? signal));
      child.once('error', () => done(null)); // never started (ENOENT, EACCES)
    });
    child.stderr.setEncoding('utf8');
    child.stdin.on('error', () => {}); // EPIPE once the watchdog is gone
    child.stderr.on('data', (chunk) => {
      // keep the last MB: warnings and the access log
      this.#stderr = (this.#stderr + chunk).slice(-1 << 20);
    });
  }

  /** Everything the server wrote to stderr so far (the last MB). */
  log() {
    return this.#stderr;
  }

  get running() {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  async _pid() {
    let text = '';
    for await (const chunk of this.#child.stdio[3]) text += chunk;
    this.pid = Number(text.trim()) || undefined;
  }

  async _ready(argv, timeoutMs) {
    const child = this.#child;
    let buf = '';
    child.stdout.setEncoding('utf8');
    const line = await new Promise((done, fail) => {
      const timer = setTimeout(() => fail(new CanneryError(
        `cannery printed no ready line within ${timeoutMs} ms\ncommand: ${argv.join(' ')}\n${this.#stderr}`)), timeoutMs);
      const onData = (chunk) => {
        buf += chunk;
        const nl = buf.indexOf('\n');
        if (nl >= 0) {
          cleanup();
          done(buf.slice(0, nl));
        }
      };
      const onExit = (code, signal) => {
        cleanup();
        // let the last of stderr arrive before quoting it
        setImmediate(() => fail(new CanneryError(
          `cannery exited with status ${code ?? signal} before it was ready\ncommand: ${argv.join(' ')}\n${this.#stderr.trimEnd()}`)));
      };
      const onError = (e) => {
        cleanup();
        fail(new CanneryError(`cannot run ${argv[0]}: ${e.message}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        child.off('exit', onExit);
        child.off('error', onError);
      };
      child.stdout.on('data', onData);
      child.once('exit', onExit);
      child.once('error', onError);
    });
    child.stdout.resume(); // nothing else comes on stdout; never let it back up
    if (!line.startsWith('cannery: serving ') || !line.includes(' on http')) {
      throw new CanneryError(`unexpected ready line from cannery: '${line}' (expected 'cannery: serving N stubs on URL')`);
    }
    this.url = line.slice(line.lastIndexOf(' on ') + 4).trim();
    this.port = Number(new URL(this.url).port);
  }

  /** SIGTERM (graceful), SIGKILL after `timeoutMs`; resolves to the exit status (0). */
  async stop(timeoutMs = 20000) {
    const child = this.#child;
    if (this.running) {
      child.stdin.end(); // the watchdog sends SIGTERM: a graceful stop, exit status 0
      const timer = setTimeout(() => {
        if (this.pid) {
          try {
            process.kill(this.pid, 'SIGKILL');
          } catch { /* gone already */ }
        }
        child.kill('SIGKILL');
      }, timeoutMs);
      await this.#exited;
      clearTimeout(timer);
    }
    rmSync(this.#workdir, { recursive: true, force: true });
    return this.#exited;
  }

  /** Calls /__cannery/PATH: `body` is sent as JSON (a string as is). Resolves to
   * {status, body} with the answer parsed as JSON (null when empty). */
  async admin(method, path, body, contentType = 'application/json') {
    const headers = { 'Content-Type': contentType };
    if (this.#token !== undefined) headers.Authorization = `Bearer ${this.#token}`;
    let res;
    try {
      res = await fetch(`${this.url}/__cannery/${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body, null, 2),
      });
    } catch (e) {
      const state = this.running ? 'running' : `exited with status ${this.#child.exitCode ?? this.#child.signalCode}`;
      throw new CanneryError(`admin call ${method} /__cannery/${path} failed: ${e.cause?.message || e.message} (the server has ${state})`);
    }
    const text = await res.text();
    let parsed = null;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: res.status, body: parsed };
  }

  async #ok(what, expect, call) {
    const { status, body } = await call;
    if (!expect.includes(status)) {
      throw new CanneryError(`${what}: cannery answered ${status}: ${body && body.error ? body.error : JSON.stringify(body)}`);
    }
    return body;
  }

  health() {
    return this.#ok('health', [200], this.admin('GET', 'health'));
  }

  /** Every stub: [{id, name, file, line, methods, path}]. */
  async stubs() {
    return (await this.#ok('stubs', [200], this.admin('GET', 'stubs'))).stubs;
  }

  /** Adds runtime stubs: an object (one stub), an array, or YAML/JSON text. Resolves to
   * their ids; rejects with each located error and the document as sent. */
  async addStub(stub) {
    const text = typeof stub === 'string' ? stub : JSON.stringify(stub, null, 2);
    const { status, body } = await this.admin('POST', 'stubs', text,
      typeof stub === 'string' ? 'application/yaml' : 'application/json');
    if (status === 201) return body.ids;
    const errors = body && body.errors ? body.errors : [body && body.error ? body.error : String(body)];
    const numbered = text.split('\n').slice(0, 60).map((l, i) => `${String(i + 1).padStart(4)} | ${l}`);
    throw new CanneryError(`cannery refused the stub (${status}):\n${errors.map((e) => `  ${e}`).join('\n')}\n` +
      `the stub as sent ('body' in the errors):\n${numbered.join('\n')}`);
  }

  /** Removes a runtime stub by id. */
  async removeStub(id) {
    await this.#ok(`removeStub '${id}'`, [204], this.admin('DELETE', `stubs/${encodeURIComponent(id)}`));
  }

  /** Removes every runtime stub (those with no file). */
  async removeRuntimeStubs() {
    for (const s of await this.stubs()) {
      if (s.file === null) {
        // 409: a WireMock mapping or --crud route, which has no file either
        await this.#ok(`removeStub '${s.id}'`, [204, 404, 409], this.admin('DELETE', `stubs/${encodeURIComponent(s.id)}`));
      }
    }
  }

  /** The journal, oldest first; filters as GET /__cannery/requests takes them. */
  async requests(filter = {}) {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(filter)) {
      if (value !== undefined && value !== null) query.set(key, String(value));
    }
    const q = query.toString();
    return (await this.#ok('requests', [200], this.admin('GET', `requests${q ? `?${q}` : ''}`))).requests;
  }

  /** Empties the journal (sequence numbers keep counting). */
  async clearRequests() {
    await this.#ok('clearRequests', [204], this.admin('DELETE', 'requests'));
  }

  /** How many journal entries match `request` (a stub's `request:` keys; {} = all). */
  async count(request = {}) {
    return (await this.#ok('count', [200], this.admin('POST', 'requests/count', { request }))).count;
  }

  /** Asserts how many journal entries match: {count}, {atLeast, atMost}, or (nothing) at
   * least one. Resolves to the count; rejects with an AssertionError listing the closest
   * requests and the conditions each one failed. */
  async verify(request = {}, expect = {}) {
    const body = { request };
    if (expect.count !== undefined) body.count = expect.count;
    if (expect.atLeast !== undefined) body.at_least = expect.atLeast;
    if (expect.atMost !== undefined) body.at_most = expect.atMost;
    const answer = await this.admin('POST', 'verify', body);
    if (answer.status === 409) throw verifyFailure(verifyMessage(request, answer.body));
    return (await this.#ok('verify', [200], Promise.resolve(answer))).count;
  }

  /** Waits until at least `count` (1) journal entries match, at most `timeout` ms (5000;
   * 60000 at most). Resolves to the count; rejects with an AssertionError on timeout. */
  async wait(request = {}, { count = 1, timeout = 5000 } = {}) {
    const answer = await this.admin('POST', 'requests/wait', { request, count, timeout_ms: timeout });
    if (answer.status === 408) {
      const verdict = await this.admin('POST', 'verify', { request, at_least: count });
      if (verdict.status === 409) {
        throw verifyFailure(verifyMessage(request, verdict.body, `wait (${timeout} ms)`));
      }
      throw verifyFailure(`cannery wait timed out after ${timeout} ms: ${answer.body.count} of ${count} requests`);
    }
    return (await this.#ok('wait', [200], Promise.resolve(answer))).count;
  }

  /** Clears the journal, response sequences, scenario states and --crud data; the stubs
   * stay (runtime ones included). */
  async reset() {
    await this.#ok('reset', [204], this.admin('POST', 'reset'));
  }

  /** Reloads the stub files; resolves to the number of stubs. */
  async reload() {
    const { status, body } = await this.admin('POST', 'reload');
    if (status === 422) throw new CanneryError(`reload refused:\n${body.errors.map((e) => `  ${e}`).join('\n')}`);
    return (await this.#ok('reload', [200], Promise.resolve({ status, body }))).stubs;
  }
}

/**
 * Starts `cannery serve` and resolves once its ready line is read. Paths (stubs,
 * openapi, wiremock, crud) are taken from `cwd` (default: process.cwd()); with no stubs
 * an empty directory is served, never ./stubs. The CANNERY_* variables of this process
 * are not passed on (a shell's CANNERY_ADMIN_TOKEN would lock the client out); `env`
 * adds variables. `watch: false` (the default) passes --no-watch.
 */
export async function startCannery(options = {}) {
  const known = ['bin', 'stubs', 'openapi', 'wiremock', 'crud', 'args', 'env', 'host', 'port', 'watch',
    'quiet', 'seed', 'adminToken', 'cwd', 'startTimeout'];
  const unknown = Object.keys(options).filter((k) => !known.includes(k));
  if (unknown.length) throw new TypeError(`unknown startCannery option ${unknown.join(', ')} (known: ${known.join(', ')})`);
  const bin = findBinary(options.bin);
  const base = options.cwd || process.cwd();
  const abs = (p) => (isAbsolute(String(p)) ? String(p) : resolve(base, String(p)));
  const workdir = mkdtempSync(join(tmpdir(), 'cannery-'));
  const dirs = list(options.stubs).map(abs);
  const argv = [bin, 'serve', '--host', options.host || '127.0.0.1', '--port', String(options.port ?? 0)];
  for (const [flag, value] of [['--openapi', options.openapi], ['--wiremock', options.wiremock], ['--crud', options.crud]]) {
    for (const p of list(value)) argv.push(flag, abs(p));
  }
  if (!options.watch) argv.push('--no-watch');
  if (options.quiet) argv.push('--quiet');
  if (options.seed !== undefined) argv.push('--seed', String(options.seed));
  if (options.adminToken !== undefined) argv.push('--admin-token', options.adminToken);
  argv.push(...list(options.args).map(String), '--', ...(dirs.length ? dirs : [workdir]));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CANNERY_')));
  Object.assign(env, options.env || {});
  const child = spawn('/bin/sh', ['-c', WATCHDOG, 'cannery-watchdog', ...argv],
    { cwd: workdir, env, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
  // a server (forgotten or not) never keeps the test process alive; when that process
  // ends, its end of the watchdog's pipe closes and the server stops
  child.unref();
  for (const stream of child.stdio) stream.unref?.();
  const server = new Cannery(child, workdir, options.adminToken);
  try {
    await Promise.all([server._ready(argv, options.startTimeout ?? 30000), server._pid()]);
  } catch (e) {
    await server.stop();
    throw e;
  }
  return server;
}
