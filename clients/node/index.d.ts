// Types of cannery-client (index.js). Kept by hand; test/types.test.mjs checks that every
// export and method declared here exists at run time, and the other way round.

/** A request matcher: what a stub's `request:` holds (docs/stub-format.md). `{}` matches every request. */
export interface RequestMatcher {
  method?: string | string[] | Record<string, unknown>;
  path?: string | Record<string, unknown>;
  path_regex?: string;
  query?: Record<string, unknown>;
  headers?: Record<string, unknown>;
  cookies?: Record<string, unknown>;
  body?: Record<string, unknown>;
  [key: string]: unknown;
}

/** A stub, as in a stub file (docs/stub-format.md). */
export interface Stub {
  name?: string;
  priority?: number;
  request: RequestMatcher;
  response?: Record<string, unknown>;
  responses?: Array<Record<string, unknown>>;
  [key: string]: unknown;
}

/** One journal entry (docs/admin-api.md#the-journal). */
export interface JournalEntry {
  seq: number;
  time: string;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body?: string;
  body_base64?: string;
  stub: string | null;
  note?: string;
  status: number;
  duration_ms: number;
}

/** One entry of GET /__cannery/stubs. */
export interface StubInfo {
  id: string;
  name: string | null;
  file: string | null;
  line: number;
  methods: string[];
  path: string | null;
}

export interface JournalFilter {
  method?: string;
  path?: string;
  stub?: string;
  matched?: boolean;
  since?: number;
  limit?: number;
}

export interface VerifyExpectation {
  /** exactly this many */
  count?: number;
  atLeast?: number;
  atMost?: number;
}

export interface WaitOptions {
  /** how many matching requests to wait for (default 1) */
  count?: number;
  /** milliseconds (default 5000, at most 60000) */
  timeout?: number;
}

export interface StartOptions {
  /** the executable (default: $CANNERY_BIN, else `cannery` on PATH) */
  bin?: string;
  /** stub directories (default: an empty one, never ./stubs) */
  stubs?: string | string[];
  /** OpenAPI specs (--openapi) */
  openapi?: string | string[];
  /** WireMock roots (--wiremock) */
  wiremock?: string | string[];
  /** json-server data files (--crud) */
  crud?: string | string[];
  /** more `cannery serve` arguments */
  args?: string[];
  /** more environment variables (this process's CANNERY_* are not passed on) */
  env?: Record<string, string>;
  /** listen address (default 127.0.0.1) */
  host?: string;
  /** listen port (default 0: a free one) */
  port?: number;
  /** hot-reload stub files (default false: --no-watch) */
  watch?: boolean;
  /** no access log (default false) */
  quiet?: boolean;
  seed?: number | bigint;
  /** --admin-token; the client then sends it with every admin call */
  adminToken?: string;
  /** the directory relative paths are taken from (default process.cwd()) */
  cwd?: string;
  /** milliseconds to wait for the ready line (default 30000) */
  startTimeout?: number;
}

export interface AdminAnswer {
  status: number;
  body: any;
}

export interface Cannery {
  /** "http://127.0.0.1:PORT", from the ready line */
  readonly url: string;
  readonly port: number;
  /** the server process (not its sh watchdog) */
  readonly pid: number | undefined;
  readonly running: boolean;
  /** what the server wrote to stderr so far (the last MB): warnings and the access log */
  log(): string;
  /** SIGTERM, SIGKILL after timeoutMs (20000); resolves to the exit status */
  stop(timeoutMs?: number): Promise<number | string | null>;
  admin(method: string, path: string, body?: unknown, contentType?: string): Promise<AdminAnswer>;
  health(): Promise<{ status: string; stubs: number; version: string }>;
  stubs(): Promise<StubInfo[]>;
  /** one stub, an array, or YAML/JSON text; resolves to the ids */
  addStub(stub: Stub | Stub[] | string): Promise<string[]>;
  removeStub(id: string): Promise<void>;
  removeRuntimeStubs(): Promise<void>;
  requests(filter?: JournalFilter): Promise<JournalEntry[]>;
  clearRequests(): Promise<void>;
  count(request?: RequestMatcher): Promise<number>;
  /** resolves to the count; rejects with an AssertionError that lists the near misses */
  verify(request?: RequestMatcher, expect?: VerifyExpectation): Promise<number>;
  /** resolves to the count; rejects with an AssertionError on timeout */
  wait(request?: RequestMatcher, options?: WaitOptions): Promise<number>;
  reset(): Promise<void>;
  reload(): Promise<number>;
}

export class CanneryError extends Error {}

export function startCannery(options?: StartOptions): Promise<Cannery>;
export function findBinary(bin?: string): string;
export function verifyMessage(request: RequestMatcher, answer: unknown, what?: string): string;
