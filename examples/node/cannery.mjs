// Runs `cannery serve --port 0` and talks to its admin API. CANNERY_BIN names the binary
// (default: `cannery` on PATH).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

export async function startCannery(stubsDir) {
  const bin = process.env.CANNERY_BIN || 'cannery';
  const proc = spawn(bin, ['serve', stubsDir, '--port', '0', '--quiet'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: proc.stdout });
  // "cannery: serving 2 stubs on http://127.0.0.1:PORT"
  const [line] = await Promise.race([
    once(lines, 'line'),
    once(proc, 'exit').then(([code]) => { throw new Error(`cannery exited with ${code}`); }),
  ]);
  if (!line.startsWith('cannery: serving ')) throw new Error(`cannery did not start: ${line}`);
  const url = line.slice(line.lastIndexOf(' ') + 1);

  async function admin(method, path, body) {
    const res = await fetch(`${url}/__cannery/${path}`, {
      method,
      headers: { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  return {
    url,
    admin,
    async count(request) {
      return (await admin('POST', 'requests/count', { request })).body.count;
    },
    async verify(request, expect = {}) {
      return admin('POST', 'verify', { request, ...expect });
    },
    async wait(request, count = 1, timeout_ms = 5000) {
      return admin('POST', 'requests/wait', { request, count, timeout_ms });
    },
    async stop() {
      lines.close();
      proc.kill('SIGTERM');
      const [code] = await once(proc, 'exit');
      return code;
    },
  };
}
