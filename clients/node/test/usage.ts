// Compiled (never run) by the client-node-types test: `tsc --noEmit --strict` against
// index.d.ts, as a TypeScript project that imports the package would see it.
import { startCannery, CanneryError, type Cannery, type JournalEntry } from '../index.js';

async function example(): Promise<void> {
  const cannery: Cannery = await startCannery({ stubs: ['stubs'], port: 0, openapi: 'spec.yaml' });
  const url: string = cannery.url;
  const ids: string[] = await cannery.addStub({ request: { method: 'GET', path: '/x' }, response: { json: {} } });
  await cannery.addStub('- request: {path: /y}\n  response: {body: y}\n');
  const entries: JournalEntry[] = await cannery.requests({ path: '/x', matched: true });
  const n: number = await cannery.count({ path: '/x' });
  await cannery.verify({ method: 'GET', path: '/x' }, { count: 1 });
  await cannery.verify({ path: '/x' }, { atLeast: 1, atMost: 2 });
  await cannery.wait({ path: '/x' }, { count: 1, timeout: 1000 });
  await cannery.reset();
  const code: number | string | null = await cannery.stop();
  void [url, ids, entries, n, code];
  // @ts-expect-error: verify's expectation is camelCase (atLeast), as the rest of the API
  await cannery.verify({ path: '/x' }, { at_least: 1 });
  // @ts-expect-error: an unknown option
  await startCannery({ stub: 'x' });
  const e: Error = new CanneryError();
  void e;
}
void example;
