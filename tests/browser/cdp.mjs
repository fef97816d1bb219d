// SPDX-License-Identifier: MIT
// Headless Chromium driven through the DevTools protocol with nothing but Node's own
// modules: a minimal WebSocket client (RFC 6455: masked text frames out; text,
// continuation, ping and close frames in) over an http upgrade, and a launcher that
// reads the DevTools URL Chromium prints. No npm package is needed, so the browser test
// runs wherever Debian's chromium and nodejs are installed.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The first Chromium on PATH (or $CHROMIUM), or null. */
export function findChromium() {
  const names = process.env.CHROMIUM ? [process.env.CHROMIUM] : ['chromium', 'chromium-browser', 'google-chrome'];
  for (const name of names) {
    const r = spawnSync(name, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return { path: name, version: r.stdout.trim() };
  }
  return null;
}

class WebSocket {
  constructor(socket, head) {
    this.socket = socket;
    this.buf = head && head.length ? Buffer.from(head) : Buffer.alloc(0);
    this.parts = [];
    this.onmessage = () => {};
    this.onclose = () => {};
    socket.on('data', (d) => { this.buf = Buffer.concat([this.buf, d]); this.parse(); });
    socket.on('close', () => this.onclose());
    socket.on('error', () => {});
    if (this.buf.length) this.parse();
  }

  static connect(url) {
    const u = new URL(url);
    return new Promise((resolve, reject) => {
      const req = http.request({
        host: u.hostname, port: u.port, path: u.pathname + u.search,
        headers: {
          Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
          'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        },
      });
      req.on('upgrade', (res, socket, head) => resolve(new WebSocket(socket, head)));
      req.on('response', (res) => reject(new Error(`no WebSocket upgrade: HTTP ${res.statusCode}`)));
      req.on('error', reject);
      req.end();
    });
  }

  frame(opcode, payload) {
    const mask = randomBytes(4);
    const n = payload.length;
    const head = n < 126 ? Buffer.from([0x80 | opcode, 0x80 | n])
      : n < 65536 ? Buffer.from([0x80 | opcode, 0x80 | 126, n >> 8, n & 255])
        : Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | 127]), (() => {
          const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(n)); return b;
        })()]);
    const body = Buffer.alloc(n);
    for (let i = 0; i < n; i++) body[i] = payload[i] ^ mask[i & 3];
    this.socket.write(Buffer.concat([head, mask, body]));
  }

  send(text) { this.frame(0x1, Buffer.from(text, 'utf8')); }

  close() {
    try { this.frame(0x8, Buffer.alloc(0)); } catch (e) { /* already gone */ }
    this.socket.end();
  }

  parse() {
    for (;;) {
      const b = this.buf;
      if (b.length < 2) return;
      const fin = (b[0] & 0x80) !== 0;
      const opcode = b[0] & 0x0f;
      let len = b[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2); off = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2)); off = 10;
      }
      const masked = (b[1] & 0x80) !== 0;
      const maskOff = off;
      if (masked) off += 4;
      if (b.length < off + len) return;
      let payload = b.subarray(off, off + len);
      if (masked) payload = Buffer.from(payload.map((x, i) => x ^ b[maskOff + (i & 3)]));
      this.buf = b.subarray(off + len);
      if (opcode === 0x9) this.frame(0xa, payload);          // ping: pong
      else if (opcode === 0x8) this.socket.end();           // close
      else if (opcode === 0x1 || opcode === 0x0) {
        this.parts.push(Buffer.from(payload));
        if (fin) {
          const text = Buffer.concat(this.parts).toString('utf8');
          this.parts = [];
          this.onmessage(text);
        }
      }
    }
  }
}

/** One DevTools connection: send(method, params, sessionId) -> result; events by name. */
class Cdp {
  constructor(ws) {
    this.ws = ws;
    this.next = 1;
    this.waiting = new Map();
    this.listeners = [];
    ws.onmessage = (text) => {
      const m = JSON.parse(text);
      if (m.id !== undefined) {
        const w = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        if (!w) return;
        if (m.error) w.reject(new Error(`${w.method}: ${m.error.message}`));
        else w.resolve(m.result);
      } else {
        for (const l of this.listeners) l(m);
      }
    };
    ws.onclose = () => {
      for (const w of this.waiting.values()) w.reject(new Error(`${w.method}: the browser went away`));
      this.waiting.clear();
    };
  }

  send(method, params = {}, sessionId) {
    const id = this.next++;
    const msg = { id, method, params };
    if (sessionId) msg.sessionId = sessionId;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, method });
      this.ws.send(JSON.stringify(msg));
    });
  }

  on(fn) { this.listeners.push(fn); }
}

/** A page: evaluate expressions in it, wait for conditions, take screenshots. */
class Page {
  constructor(cdp, sessionId) {
    this.cdp = cdp;
    this.session = sessionId;
    this.problems = [];      // uncaught exceptions, console errors, CSP violations
    cdp.on((m) => {
      if (m.sessionId !== sessionId) return;
      if (m.method === 'Runtime.exceptionThrown') {
        const d = m.params.exceptionDetails;
        this.problems.push(`exception: ${d.exception ? d.exception.description : d.text}`);
      } else if (m.method === 'Runtime.consoleAPICalled' && m.params.type === 'error') {
        this.problems.push(`console.error: ${m.params.args.map((a) => a.value ?? a.description).join(' ')}`);
      } else if (m.method === 'Log.entryAdded' && m.params.entry.level === 'error') {
        this.problems.push(`log (${m.params.entry.source}): ${m.params.entry.text}`);
      }
    });
  }

  send(method, params) { return this.cdp.send(method, params, this.session); }

  /** The value of a JavaScript expression (awaited), or throws with the page's error. */
  async eval(expression) {
    const r = await this.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
    if (r.exceptionDetails) {
      const d = r.exceptionDetails;
      throw new Error(`${expression}: ${d.exception ? d.exception.description : d.text}`);
    }
    return r.result.value;
  }

  /** Polls expression until it is truthy; returns its value. Throws after timeoutMs with
   *  what; no fixed sleeps. */
  async waitFor(what, expression, timeoutMs = 20000) {
    const end = Date.now() + timeoutMs;
    let last;
    for (;;) {
      last = await this.eval(expression);
      if (last) return last;
      if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${expression} was ${JSON.stringify(last)})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async navigate(url) {
    const loaded = new Promise((resolve) => this.cdp.on((m) => {
      if (m.sessionId === this.session && m.method === 'Page.loadEventFired') resolve();
    }));
    const r = await this.send('Page.navigate', { url });
    if (r.errorText) throw new Error(`navigate ${url}: ${r.errorText}`);
    await loaded;
  }

  async screenshot() {
    const r = await this.send('Page.captureScreenshot', { format: 'png' });
    return Buffer.from(r.data, 'base64');
  }
}

/** Starts a headless Chromium with a throwaway profile. Returns { newPage, close }. */
export async function launch(chromium) {
  const profile = mkdtempSync(join(tmpdir(), 'cannery-chromium-'));
  const args = ['--headless=new', '--remote-debugging-port=0', `--user-data-dir=${profile}`,
    '--no-first-run', '--no-default-browser-check', '--disable-gpu', '--disable-dev-shm-usage',
    '--disable-extensions', '--disable-background-networking', '--disable-sync', '--mute-audio',
    '--hide-scrollbars', 'about:blank'];
  // Chromium refuses to run as root with its sandbox; the page it loads is our own
  if (process.getuid && process.getuid() === 0) args.unshift('--no-sandbox');
  const proc = spawn(chromium, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const wsUrl = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Chromium printed no DevTools URL in 30 s:\n${stderr}`)), 30000);
    proc.stderr.on('data', (d) => {
      stderr += d;
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(stderr);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`Chromium exited (${code}):\n${stderr}`)); });
  });
  proc.stderr.resume();
  const cdp = new Cdp(await WebSocket.connect(wsUrl));
  return {
    version: stderr,
    /** Lets pages of origin use the clipboard. */
    async grantClipboard(origin) {
      await cdp.send('Browser.grantPermissions', { origin, permissions: ['clipboardReadWrite', 'clipboardSanitizedWrite'] });
    },
    async newPage(width = 1400, height = 820) {
      const { targetId } = await cdp.send('Target.createTarget', { url: 'about:blank' });
      const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: true });
      const page = new Page(cdp, sessionId);
      await page.send('Page.enable');
      await page.send('Runtime.enable');
      await page.send('Log.enable');
      await page.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
      // a headless page is never focused, and the clipboard wants a focused page
      await page.send('Emulation.setFocusEmulationEnabled', { enabled: true });
      return page;
    },
    async close() {
      try { await cdp.send('Browser.close'); } catch (e) { /* it may be gone already */ }
      cdp.ws.close();
      if (proc.exitCode === null) {
        const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await once(proc, 'exit');
        clearTimeout(t);
      }
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
