/* SPDX-License-Identifier: MIT */
/* Hardening (SPEC section 6) against the real binary: Host attacks, bodies and framing
 * meant to exhaust or confuse the server, slow, vanishing and flooding clients, heavy
 * concurrent traffic, reloads of half-written files and SIGTERM under load. Each test
 * ends with the server still answering and stopping cleanly (exit 0, which in the ASan
 * build also means no leak). Every wait is bounded and every attack stops by itself. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

TestSuite(hardening, .init = h_setup, .fini = h_teardown, .timeout = 180);

/* The body of GET /big when a test asks for it: large enough that it cannot sit whole in
 * the socket buffers of a client that does not read. */
#define BIG_SIZE ((size_t)32 << 20)

/* How long "promptly" may be for a fresh client while others attack: generous, because
 * this machine may be busy and the binary may run under ASan; a stalled server would
 * take the full attack time or forever. */
#define PROMPT_MS 3000

/* Under valgrind (meson test --setup valgrind) every thread of a process takes turns on
 * one core and memory is valgrind's: the checks of timing and RSS mean nothing there and
 * are skipped. Everything else still holds. */
static bool under_valgrind(void)
{
	return getenv("CANNERY_TEST_VALGRIND") != NULL;
}

static const char api_yaml[] =
	"- name: text\n"
	"  request: { method: GET, path: /text }\n"
	"  response: { body: \"hello\\n\" }\n"
	"- name: user\n"
	"  request: { method: GET, path: \"/users/{id}\" }\n"
	"  response: { json: { id: 1, name: Ada } }\n"
	"- name: upload\n"
	"  request: { method: POST, path: /upload }\n"
	"  response: { status: 201, body: uploaded }\n"
	"- name: search\n"
	"  request: { path: /search, query: { q: { regex: '[a-z]+' } } }\n"
	"  response: { body: found }\n"
	"- name: auth\n"
	"  request: { path: /auth, headers: { Authorization: { prefix: \"Bearer \" } } }\n"
	"  response: { body: authed }\n"
	"- name: order\n"
	"  request: { method: POST, path: /orders, body: { json_path: { item.id: { regex: '[0-9]+' } } } }\n"
	"  response: { status: 201, json: { ok: true } }\n"
	"- name: login\n"
	"  request: { method: POST, path: /login, body: { form: { user: ada } } }\n"
	"  response: { body: welcome }\n"
	"- name: teapot\n"
	"  request: { path: /teapot }\n"
	"  response: { status: 418, body: short and stout }\n"
	"- name: big\n"
	"  request: { method: GET, path: /big }\n"
	"  response: { file: big.bin }\n";

/* A stub directory with api_yaml, and a BIG_SIZE /big body when big is true. */
static const char *api_dir(bool big)
{
	const char *dir = h_stub_dir("api.yaml", api_yaml, NULL);

	if (big)
		h_write_filled(dir, "big.bin", BIG_SIZE, 'b');
	else
		h_write_file(dir, "big.bin", "small\n");
	return dir;
}

/* ---- helpers ------------------------------------------------------------------------- */

/* The server's resident memory in KiB, from /proc/PID/status (-1 when unreadable). */
static long rss_kib(const struct h_server *s)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)s->pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* Sends len bytes of data, repeating it, until total bytes went out, the peer is gone or
 * timeout_ms passed. Returns how many bytes were sent. Reads and drops what comes back. */
static size_t blast(int fd, const char *data, size_t len, size_t total, int timeout_ms)
{
	int64_t deadline = h_now_ms() + timeout_ms;
	size_t sent = 0;

	while (sent < total && h_now_ms() < deadline) {
		struct pollfd p = { fd, POLLIN | POLLOUT, 0 };
		char sink[4096];
		size_t off = sent % len, n = len - off;
		ssize_t w;

		if (poll(&p, 1, 100) <= 0)
			continue;
		if (p.revents & POLLIN) {
			ssize_t r = recv(fd, sink, sizeof(sink), 0);

			if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
				break;
		}
		if (p.revents & (POLLERR | POLLHUP))
			break;
		if (!(p.revents & POLLOUT))
			continue;
		if (n > total - sent)
			n = total - sent;
		w = send(fd, data + off, n, MSG_NOSIGNAL);
		if (w > 0)
			sent += (size_t)w;
		else if (w < 0 && errno != EAGAIN && errno != EINTR)
			break;
	}
	return sent;
}

/* unit repeated times times, as a harness-owned string. */
static char *repeat(const char *unit, size_t times)
{
	size_t len = strlen(unit);
	char *p = malloc(len * times + 1), *owned;

	cr_assert(p);
	for (size_t i = 0; i < times; i++)
		memcpy(p + i * len, unit, len);
	p[len * times] = '\0';
	owned = h_fmt("%s", p);
	free(p);
	return owned;
}

/* The status of a GET /text on a new connection within timeout_ms, or 0: for probing a
 * server that may not accept (a blocking connect could hang on a full backlog). */
static int probe(const struct h_server *s, int timeout_ms)
{
	static const char req[] = "GET /text HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
	int fd = h_connect_raw(s), status = 0;
	char buf[256];

	if (fd < 0)
		return 0;
	if (blast(fd, req, sizeof(req) - 1, sizeof(req) - 1, timeout_ms) == sizeof(req) - 1 &&
	    h_read_until(fd, "\r\n", timeout_ms, buf, sizeof(buf)) && sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		status = 0;
	h_close_reset(fd);
	return status;
}

/* Sends all of a small request on a fresh blocking-enough path: the harness exchange. */
static struct h_raw *ask(const struct h_server *s, const char *request, enum h_raw_until until)
{
	return h_raw(s, request, strlen(request), until);
}

/* GET /text answers 200 "hello\n" within PROMPT_MS; returns how long it took (ms). */
static int64_t prompt_get_(const struct h_server *s, const char *during, const char *file, int line)
{
	int64_t t0 = h_now_ms();
	struct h_response *r = h_get(s, "/text");
	int64_t took = h_now_ms() - t0;

	if (r->status != 200 || strcmp(r->body, "hello\n") != 0)
		cr_assert_fail("%s:%d: during %s a fresh client got %ld '%s' (%s)\nstderr:\n%.2000s", file, line,
			       during, r->status, r->body, r->error, h_server_stderr(s));
	cr_expect(took <= PROMPT_MS || under_valgrind(), "%s:%d: during %s a fresh client waited %lld ms", file,
		  line, during, (long long)took);
	return took;
}
#define prompt_get(s, during) prompt_get_((s), (during), __FILE__, __LINE__)

/* ASan keeps freed memory in a quarantine (256 MiB by default), which shows as growth of
 * the RSS: servers whose memory a test measures run without it. Children inherit the
 * environment; without ASan the variable means nothing. */
static void no_asan_quarantine(void)
{
	const char *old = getenv("ASAN_OPTIONS");

	setenv("ASAN_OPTIONS", h_fmt("%s%squarantine_size_mb=0", old ? old : "", old && *old ? ":" : ""), 1);
}

/* Raises the soft limit on open files to at least want (as far as the hard limit goes);
 * returns the soft limit in force. Spawned servers inherit it. */
static rlim_t raise_nofile(rlim_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur;
}

/* ---- Host attacks ------------------------------------------------------------------------ */

struct host_case {
	const char *request;
	int status;
};

static void expect_cases(const struct h_server *s, const struct host_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct h_raw *r = ask(s, cases[i].request, H_UNTIL_RESPONSE);

		cr_expect(r->status == cases[i].status, "%s-> %d, expected %d: '%.300s'", cases[i].request, r->status,
			  cases[i].status, r->data);
		if (r->status == 403)
			cr_expect(!h_contains(r->data, "near_misses") && !h_contains(r->data, "api.yaml"),
				  "a refused request must not see the stubs: '%.400s'", r->data);
	}
}

#define H11(target, host) "GET " target " HTTP/1.1\r\nHost: " host "\r\nConnection: close\r\n\r\n"

Test(hardening, host_header_attacks)
{
	static const struct host_case cases[] = {
		/* DNS rebinding: a name the attacker's DNS pointed at 127.0.0.1 */
		{ H11("/text", "evil.test"), 403 },
		{ H11("/text", "evil.test:80"), 403 },
		{ H11("/text", "localhost.evil.test"), 403 },
		{ H11("/text", "127.0.0.1.nip.io"), 403 },
		{ H11("/text", "xlocalhost"), 403 },
		{ H11("/__cannery/health", "evil.test"), 403 },
		/* other spellings of loopback: only the listed names pass, nothing is resolved */
		{ H11("/text", "localhost."), 403 },
		{ H11("/text", "127.0.0.2"), 403 },
		{ H11("/text", "127.1"), 403 },
		{ H11("/text", "2130706433"), 403 },
		{ H11("/text", "0x7f000001"), 403 },
		{ H11("/text", "[::ffff:127.0.0.1]"), 403 },
		{ H11("/text", "[0:0:0:0:0:0:0:1]"), 403 },
		{ H11("/text", "::1"), 403 },
		{ H11("/text", "[::1"), 403 },
		/* ports are digits after one colon; nothing else may ride along */
		{ H11("/text", "localhost:80:80"), 403 },
		{ H11("/text", "localhost:http"), 403 },
		{ H11("/text", "localhost:-1"), 403 },
		{ H11("/text", "localhost:+80"), 403 },
		{ H11("/text", "user@localhost"), 403 },
		{ H11("/text", "localhost/x"), 403 },
		{ H11("/text", "localhost%00"), 403 },
		/* accepted: the loopback names, any case, any port */
		{ H11("/text", "localhost"), 200 },
		{ H11("/text", "LOCALHOST"), 200 },
		{ H11("/text", "LocalHost:1"), 200 },
		{ H11("/text", "localhost:"), 200 },
		{ H11("/text", "127.0.0.1:65535"), 200 },
		{ H11("/text", "[::1]"), 200 },
		{ H11("/text", "[::1]:8080"), 200 },
		/* missing, empty and repeated Host (RFC 9112 3.2: 400 for two) */
		{ "GET /text HTTP/1.1\r\nConnection: close\r\n\r\n", 400 },
		{ "GET /text HTTP/1.1\r\nHost: \r\nConnection: close\r\n\r\n", 403 },
		{ "GET /text HTTP/1.0\r\n\r\n", 200 },
		{ "GET /text HTTP/1.0\r\nHost: evil.test\r\n\r\n", 403 },
		{ "GET /text HTTP/1.1\r\nHost: localhost\r\nHost: evil.test\r\nConnection: close\r\n\r\n", 400 },
		{ "GET /text HTTP/1.1\r\nHost: evil.test\r\nHost: localhost\r\nConnection: close\r\n\r\n", 400 },
		{ "GET /text HTTP/1.1\r\nHost: localhost\r\nhost: localhost\r\nConnection: close\r\n\r\n", 400 },
		/* absolute-form targets: their authority is the host (RFC 9112 3.2.2) */
		{ H11("http://evil.test/text", "localhost"), 403 },
		{ H11("http://evil.test:80/__cannery/reload", "localhost"), 403 },
		{ H11("http://user@localhost/text", "localhost"), 403 },
		{ H11("http:///text", "localhost"), 403 },
		{ H11("HTTP://LOCALHOST:1/text", "localhost"), 200 },
		{ H11("http://localhost/text?x=1", "evil.test"), 200 },
		{ H11("https://127.0.0.1/text", "localhost"), 200 },
		{ H11("http://localhost", "localhost"), 404 },
	};
	struct h_server *s = h_serve(api_dir(false), "--quiet", NULL);

	expect_cases(s, cases, sizeof(cases) / sizeof(cases[0]));
	prompt_get(s, "Host attacks");
	h_server_stop_ok(s);
}

Test(hardening, allow_host_is_exact)
{
	static const struct host_case cases[] = {
		{ H11("/text", "api.test"), 200 },
		{ H11("/text", "API.Test:9"), 200 },
		{ H11("http://api.test/text", "evil.test"), 200 },
		{ H11("/text", "api.test.evil.test"), 403 },
		{ H11("/text", "xapi.test"), 403 },
		{ H11("/text", "api.tes"), 403 },
		{ H11("/text", "evil.test"), 403 },
	};
	struct h_server *s = h_serve(api_dir(false), "--quiet", "--allow-host", "api.test", NULL);

	expect_cases(s, cases, sizeof(cases) / sizeof(cases[0]));
	h_server_stop_ok(s);
}

/* ---- special files in a stub directory -------------------------------------------------- */

Test(hardening, special_files_in_stub_dirs_are_skipped)
{
	const char *dir = h_stub_dir("ok.yaml", "request: { path: /ok }\nresponse: { body: ok }\n", NULL);
	struct h_run *r;

	/* an endless "file", a FIFO nobody writes, and a directory loop: none may hang the load */
	cr_assert_eq(symlink("/dev/zero", h_fmt("%s/zero.yaml", dir)), 0);
	cr_assert_eq(mkfifo(h_fmt("%s/fifo.yaml", dir), 0600), 0);
	cr_assert_eq(symlink(".", h_fmt("%s/loop", dir)), 0);
	r = h_runv("check", dir, NULL);
	cr_expect_eq(r->exit_code, 0, "check: %d\n%s%s", r->exit_code, r->out, r->err);
	cr_expect(h_contains(r->out, "1 stub in 1 file"), "check: %s%s", r->out, r->err);
	cr_expect(!r->timed_out, "check hung on a special file");
}

/* ---- bodies too large for --max-body ----------------------------------------------------- */

Test(hardening, oversized_bodies_are_not_buffered)
{
	static char zeros[65536];
	struct h_server *s;
	char chunk[65536 + 16];
	size_t chunk_len, sent;
	long before, after;
	int i;

	no_asan_quarantine();
	s = h_serve(api_dir(false), "--quiet", "--max-body", "1048576", NULL);
	/* warm up, so that the first measurement includes what any request allocates */
	for (i = 0; i < 20; i++)
		prompt_get(s, "warm-up");
	before = rss_kib(s);

	/* A declared 1 GiB body: 413 right after the headers, then the server reads no more,
	 * so the client cannot push 48 MiB into the connection. */
	for (i = 0; i < 4; i++) {
		int fd = h_connect(s);
		static const char head[] = "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1073741824\r\n\r\n";
		struct h_raw *r = h_sock_exchange(fd, head, sizeof(head) - 1, H_UNTIL_RESPONSE, H_DEADLINE_MS);

		cr_expect_eq(r->status, 413, "declared 1 GiB: '%.300s'", r->data);
		sent = blast(fd, zeros, sizeof(zeros), (size_t)48 << 20, H_DEADLINE_MS);
		cr_expect(sent < ((size_t)48 << 20), "the server read a 48 MiB body after answering 413");
		h_close(fd);
	}

	/* A chunked body that never ends: read and dropped up to a bound, then cut off. */
	chunk_len = (size_t)snprintf(chunk, sizeof(chunk), "%x\r\n", (unsigned)sizeof(zeros));
	memset(chunk + chunk_len, 'z', sizeof(zeros));
	chunk_len += sizeof(zeros);
	memcpy(chunk + chunk_len, "\r\n", 2);
	chunk_len += 2;
	for (i = 0; i < 3; i++) {
		int fd = h_connect(s);
		static const char head[] = "POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n";

		h_sock_exchange(fd, head, sizeof(head) - 1, H_UNTIL_RESPONSE, 1);
		sent = blast(fd, chunk, chunk_len, (size_t)96 << 20, 4 * H_DEADLINE_MS);
		cr_expect(sent < ((size_t)96 << 20), "the server read a 96 MiB chunked body to its end");
		h_close(fd);
	}

	/* A chunked body over the limit that ends: 413 at its end. */
	for (i = 0; i < 3; i++) {
		int fd = h_connect(s);
		static const char head[] = "POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n";
		struct h_raw *r;

		h_sock_exchange(fd, head, sizeof(head) - 1, H_UNTIL_RESPONSE, 1);
		sent = blast(fd, chunk, chunk_len, 40 * chunk_len, H_DEADLINE_MS);
		cr_assert_eq(sent, 40 * chunk_len, "a 2.5 MiB chunked body could not be sent");
		r = h_sock_exchange(fd, "0\r\n\r\n", 5, H_UNTIL_RESPONSE, H_DEADLINE_MS);
		cr_expect_eq(r->status, 413, "2.5 MiB chunked over a 1 MiB limit: '%.300s'", r->data);
		h_close(fd);
	}

	prompt_get(s, "oversized bodies");
	after = rss_kib(s);
	cr_log_info("oversized bodies: server RSS %ld KiB before, %ld KiB after", before, after);
	cr_expect(under_valgrind() || (before > 0 && after - before < 16 * 1024),
		  "the server's memory grew by %ld KiB while refusing oversized bodies (%ld -> %ld)", after - before,
		  before, after);
	h_server_stop_ok(s);
}

/* ---- framing: Content-Length values, TE+CL, duplicate CL --------------------------------- */

struct framing_case {
	const char *what;
	const char *headers;    /* framing headers, each ending in \r\n */
	const char *body;       /* what follows the headers before the smuggled request */
	int status[2];          /* acceptable statuses for the first response (0: unused) */
};

/* Sends one request with a second one behind it. A refused request must close the
 * connection so that the bytes behind it are never read as a request (no smuggling); an
 * accepted one answers both. */
static void expect_framing(const struct h_server *s, const struct framing_case *c)
{
	char *req = h_fmt("POST /upload HTTP/1.1\r\nHost: localhost\r\n%s\r\n%s"
			  "GET /teapot HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
			  c->headers, c->body);
	struct h_raw *r = ask(s, req, H_UNTIL_CLOSE);
	bool ok = r->status == c->status[0] || (c->status[1] && r->status == c->status[1]);

	cr_expect(ok, "%s: status %d, expected %d (or %d): '%.400s'", c->what, r->status, c->status[0],
		  c->status[1], r->data);
	cr_expect(r->closed, "%s: the connection should end", c->what);
	if (r->status == 201)
		cr_expect(h_contains(r->data, "short and stout"), "%s: the second request was lost: '%.400s'", c->what,
			  r->data);
	else
		cr_expect(!h_contains(r->data, "short and stout"),
			  "%s: the bytes after a refused request were served as a request: '%.600s'", c->what, r->data);
}

Test(hardening, malformed_content_length)
{
	static const struct framing_case cases[] = {
		{ "negative", "Content-Length: -1\r\n", "abc", { 400, 0 } },
		{ "hex", "Content-Length: 0x3\r\n", "abc", { 400, 0 } },
		{ "plus sign", "Content-Length: +3\r\n", "abc", { 400, 0 } },
		{ "two numbers", "Content-Length: 3 3\r\n", "abc", { 400, 0 } },
		{ "a list", "Content-Length: 3,3\r\n", "abc", { 400, 0 } },
		{ "empty", "Content-Length: \r\n", "abc", { 400, 0 } },
		{ "letters", "Content-Length: abc\r\n", "abc", { 400, 0 } },
		{ "exponent", "Content-Length: 3e0\r\n", "abc", { 400, 0 } },
		{ "fraction", "Content-Length: 3.0\r\n", "abc", { 400, 0 } },
		{ "2^64", "Content-Length: 18446744073709551616\r\n", "abc", { 400, 413 } },
		{ "far beyond 2^64", "Content-Length: 99999999999999999999999999\r\n", "abc", { 400, 413 } },
		{ "2^64 - 1", "Content-Length: 18446744073709551615\r\n", "abc", { 413, 0 } },
		{ "trailing space", "Content-Length: 3 \r\n", "abc", { 400, 201 } },
		{ "leading zeros", "Content-Length: 0003\r\n", "abc", { 201, 0 } },
		{ "leading space", "Content-Length:   3\r\n", "abc", { 201, 0 } },
	};
	struct h_server *s = h_serve(api_dir(false), "--quiet", NULL);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_framing(s, &cases[i]);
	prompt_get(s, "malformed Content-Length values");
	h_server_stop_ok(s);
}

Test(hardening, ambiguous_framing_closes_the_connection)
{
	static const struct framing_case cases[] = {
		{ "CL then TE", "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n", { 400, 0 } },
		{ "TE then CL", "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", "0\r\n\r\n", { 400, 0 } },
		{ "CL 0 and TE", "Content-Length: 0\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n", { 400, 0 } },
		{ "two different CL", "Content-Length: 3\r\nContent-Length: 5\r\n", "abcde", { 400, 0 } },
		{ "two TE lines", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n", { 400, 0 } },
		{ "TE list", "Transfer-Encoding: chunked, chunked\r\n", "0\r\n\r\n", { 400, 0 } },
		{ "TE identity", "Transfer-Encoding: identity\r\n", "", { 400, 0 } },
		{ "TE xchunked", "Transfer-Encoding: xchunked\r\n", "0\r\n\r\n", { 400, 0 } },
		/* accepted: identical duplicates and any case of chunked */
		{ "two equal CL", "Content-Length: 3\r\nContent-Length: 3\r\n", "abc", { 201, 400 } },
		{ "TE Chunked", "Transfer-Encoding: Chunked\r\n", "3\r\nabc\r\n0\r\n\r\n", { 201, 0 } },
	};
	struct h_server *s = h_serve(api_dir(false), "--quiet", NULL);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_framing(s, &cases[i]);
	prompt_get(s, "ambiguous framing");
	h_server_stop_ok(s);
}

/* ---- large headers and request targets, many at once ------------------------------------- */

struct big_req {
	const struct h_server *s;
	const char *request;
	size_t len;
	int status;             /* the result */
	bool closed, timed_out;
};

/* Runs on a test thread. */
static void *send_big(void *arg)
{
	struct big_req *b = arg;
	struct h_raw *r = h_raw(b->s, b->request, b->len, H_UNTIL_RESPONSE);

	b->status = r->status;
	b->closed = r->closed;
	b->timed_out = r->timed_out;
	return NULL;
}

Test(hardening, huge_headers_and_targets_at_once)
{
	struct h_server *s = h_serve(api_dir(false), "--quiet", NULL);
	const char *reqs[4];
	struct big_req b[16];
	pthread_t t[16];
	int i;

	reqs[0] = h_fmt("GET /text HTTP/1.1\r\nHost: localhost\r\nX-Big: %s\r\n\r\n", repeat("h", 65536));
	reqs[1] = h_fmt("GET /text HTTP/1.1\r\nHost: localhost\r\n%s\r\n", repeat("X-Header: value\r\n", 4000));
	reqs[2] = h_fmt("GET /%s HTTP/1.1\r\nHost: localhost\r\n\r\n", repeat("u", 1 << 20));
	reqs[3] = h_fmt("GET /search?%sq=z HTTP/1.1\r\nHost: localhost\r\n\r\n", repeat("q=abcdefghij&", 5000));
	for (i = 0; i < 16; i++) {
		b[i] = (struct big_req){ s, reqs[i % 4], strlen(reqs[i % 4]), 0, false, false };
		cr_assert_eq(pthread_create(&t[i], NULL, send_big, &b[i]), 0);
	}
	for (i = 0; i < 16; i++) {
		pthread_join(t[i], NULL);
		cr_expect(!b[i].timed_out || b[i].status, "request %d (%zu bytes): no answer and no close", i % 4,
			  b[i].len);
		cr_expect((b[i].status >= 400 && b[i].status < 500) || (b[i].closed && !b[i].status),
			  "request %d (%zu bytes): status %d, expected a 4xx or a close", i % 4, b[i].len, b[i].status);
	}

	/* Below the limits the same shapes are served normally. */
	h_assert_response(h_get(s, h_fmt("/search?q=%s", repeat("abcdefghij", 1000))), "a 10 KiB query", 200,
			  "found");
	h_assert_response(h_get_h(s, "/text", h_fmt("X-Big: %s", repeat("h", 8192))), "an 8 KiB header", 200,
			  "hello\n");
	prompt_get(s, "huge headers and targets");
	h_server_stop_ok(s);
}

/* ---- slow clients ------------------------------------------------------------------------ */

struct loris {
	const struct h_server *s;
	int nconn;
	int run_ms;
	int opened;             /* results */
	int dropped;            /* connections the server closed while they trickled */
};

/* Runs on a test thread: opens nconn connections and trickles one header byte on each,
 * every 100 ms, for run_ms; then closes them all. Bounded and self-stopping. */
static void *slowloris(void *arg)
{
	static const char start[] = "GET /text HTTP/1.1\r\nHost: localhost\r\n";
	struct loris *l = arg;
	int *fds = calloc((size_t)l->nconn, sizeof(int));
	int64_t stop = h_now_ms() + l->run_ms;
	int i;

	if (!fds)
		abort();
	for (i = 0; i < l->nconn; i++) {
		fds[i] = h_connect_raw(l->s);
		if (fds[i] >= 0)
			l->opened++;
	}
	/* the request line and Host go out once the handshakes are done */
	h_nap_ms(100);
	for (i = 0; i < l->nconn; i++)
		if (fds[i] >= 0 && send(fds[i], start, sizeof(start) - 1, MSG_NOSIGNAL) < 0) {
			close(fds[i]);
			fds[i] = -1;
		}
	while (h_now_ms() < stop) {
		h_nap_ms(100);
		for (i = 0; i < l->nconn; i++) {
			if (fds[i] < 0)
				continue;
			if (send(fds[i], "X", 1, MSG_NOSIGNAL) < 0) {
				l->dropped++;
				close(fds[i]);
				fds[i] = -1;
			}
		}
	}
	for (i = 0; i < l->nconn; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	return NULL;
}

Test(hardening, slowloris_does_not_stall_fresh_clients)
{
	struct h_server *s = h_serve(api_dir(false), "--quiet", NULL);
	struct loris l = { s, 300, 3000, 0, 0 };
	int64_t worst = 0, t0 = h_now_ms();
	pthread_t t;
	int n = 0;

	cr_assert(raise_nofile(1024) >= 512, "cannot open enough files for 300 connections");
	cr_assert_eq(pthread_create(&t, NULL, slowloris, &l), 0);
	/* fresh clients, one after another, while the 300 connections trickle */
	while (h_now_ms() - t0 < 2500) {
		int64_t took = prompt_get(s, "a slowloris attack");

		if (took > worst)
			worst = took;
		n++;
		h_nap_ms(50);
	}
	pthread_join(t, NULL);
	cr_log_info("slowloris: %d connections trickled; %d fresh requests, the slowest took %lld ms", l.opened, n,
		    (long long)worst);
	cr_expect_eq(l.opened, 300, "only %d of 300 connections opened", l.opened);
	prompt_get(s, "the end of a slowloris attack");
	h_server_stop_ok(s);
}

Test(hardening, slow_body_and_slow_readers)
{
	static const char head[] = "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 20\r\n\r\n";
	static const char get_big[] = "GET /big HTTP/1.1\r\nHost: localhost\r\n\r\n";
	struct h_server *s;
	int fd, readers[16];
	struct h_raw *r;
	long before, after;
	size_t got = 0;
	int i;

	no_asan_quarantine();
	s = h_serve(api_dir(true), "--quiet", NULL);
	fd = h_connect(s);
	/* A body trickling in at 10 bytes a second holds one request, not the server. */
	h_sock_exchange(fd, head, sizeof(head) - 1, H_UNTIL_RESPONSE, 1);
	for (i = 0; i < 19; i++) {
		h_sock_exchange(fd, "x", 1, H_UNTIL_RESPONSE, 1);
		prompt_get(s, "a slow body");
		h_nap_ms(50);
	}
	r = h_sock_exchange(fd, "y", 1, H_UNTIL_RESPONSE, H_DEADLINE_MS);
	cr_expect_eq(r->status, 201, "the slow body's request: '%.300s'", r->data);

	/* Readers that never read a 32 MiB response: the server must not copy the body per
	 * connection, nor stop serving others. */
	prompt_get(s, "warm-up");
	before = rss_kib(s);
	for (i = 0; i < 16; i++) {
		readers[i] = h_connect_raw(s);
		cr_assert(readers[i] >= 0);
	}
	h_nap_ms(100);
	for (i = 0; i < 16; i++)
		cr_assert(blast(readers[i], get_big, sizeof(get_big) - 1, sizeof(get_big) - 1, H_DEADLINE_MS) ==
				  sizeof(get_big) - 1,
			  "cannot send to reader %d", i);
	for (i = 0; i < 10; i++) {
		prompt_get(s, "16 slow readers");
		h_nap_ms(50);
	}
	after = rss_kib(s);
	cr_log_info("slow readers: server RSS %ld KiB before, %ld KiB with 16 pending 32 MiB responses", before,
		    after);
	cr_expect(under_valgrind() || (before > 0 && after - before < 64 * 1024),
		  "16 pending 32 MiB responses grew the server by %ld KiB: the body is copied per connection",
		  after - before);

	/* The first reader finally reads: it gets the whole body. */
	{
		int64_t deadline = h_now_ms() + 4 * H_DEADLINE_MS;
		char buf[65536];
		size_t header_end = 0;
		char head_seen[512] = "";

		while (h_now_ms() < deadline) {
			struct pollfd p = { readers[0], POLLIN, 0 };
			ssize_t n;

			if (poll(&p, 1, 200) <= 0)
				continue;
			n = recv(readers[0], buf, sizeof(buf), 0);
			if (n <= 0 && !(n < 0 && errno == EAGAIN))
				break;
			if (n <= 0)
				continue;
			if (!header_end) {
				size_t keep = (size_t)n < sizeof(head_seen) - 1 ? (size_t)n : sizeof(head_seen) - 1;
				char *end;

				memcpy(head_seen, buf, keep);
				head_seen[keep] = '\0';
				end = strstr(head_seen, "\r\n\r\n");
				cr_assert(end, "no header block in the first read: '%.200s'", head_seen);
				header_end = (size_t)(end - head_seen) + 4;
				got = (size_t)n - header_end;
			} else {
				got += (size_t)n;
			}
			if (got >= BIG_SIZE)
				break;
		}
		cr_expect(strncmp(head_seen, "HTTP/1.1 200", 12) == 0, "'%.200s'", head_seen);
		cr_expect_eq(got, BIG_SIZE, "the slow reader got %zu of %zu body bytes", got, BIG_SIZE);
	}
	for (i = 0; i < 16; i++)
		h_close_reset(readers[i]);
	prompt_get(s, "slow readers going away");
	h_server_stop_ok(s);
}

/* Waits until each of the n non-blocking connects in fds has completed (or failed), at
 * most timeout_ms; returns how many are connected. */
static int wait_connected(const int *fds, int n, int timeout_ms)
{
	int64_t deadline = h_now_ms() + timeout_ms;
	int done = 0, connected = 0, i;
	bool *seen = calloc((size_t)n, sizeof(bool));

	cr_assert(seen);
	while (done < n && h_now_ms() < deadline) {
		for (i = 0; i < n; i++) {
			struct pollfd p = { fds[i], POLLOUT, 0 };
			int err = 0;
			socklen_t len = sizeof(err);

			if (seen[i] || fds[i] < 0 || poll(&p, 1, 0) != 1)
				continue;
			seen[i] = true;
			done++;
			if (getsockopt(fds[i], SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)
				connected++;
		}
		if (done < n)
			h_nap_ms(20);
	}
	free(seen);
	return connected;
}

/* ---- more connections than the limit ----------------------------------------------------- */

Test(hardening, connection_flood_beyond_the_limit)
{
	/* a limit of 1024 connections, flooded with more than that */
	enum { FLOOD = 1400 };
	static int fds[FLOOD];
	struct h_server *s;
	struct h_response *r;
	int opened = 0, connected, i;
	int64_t t0;

	if (raise_nofile(4096) < FLOOD + 256) {
		cr_skip_test("the open-file limit is too low for %d connections", FLOOD);
		return;
	}
	s = h_serve(api_dir(false), "--quiet", "--max-connections", "1024", NULL);
	prompt_get(s, "warm-up");
	for (i = 0; i < FLOOD; i++) {
		fds[i] = h_connect_raw(s);
		opened += fds[i] >= 0;
	}
	/* let every handshake finish (SYNs dropped by a full backlog are retried after 1 s),
	 * so that the server holds its limit and the backlog is full when the probe comes */
	connected = wait_connected(fds, FLOOD, 3 * H_DEADLINE_MS);
	cr_log_info("connection flood: %d connections opened, %d connected", opened, connected);
	cr_expect_gt(connected, 1024, "the flood did not get beyond the connection limit");
	/* While flooded, a fresh client may be served or not; either way the probe gives up
	 * after 2 s instead of hanging. */
	i = probe(s, 2000);
	cr_log_info("connection flood: a fresh request during the flood got %d", i);
	cr_expect(i == 200 || i == 0, "during the flood: status %d", i);

	for (i = 0; i < FLOOD; i++)
		if (fds[i] >= 0)
			h_close_reset(fds[i]);
	/* The server recovers once the flood is gone. A first connection may land in the
	 * listen backlog behind the flood's reset ones while the server works through
	 * them: probes of 2 s each, until one is answered, so that one such connection does
	 * not spend the whole deadline (on a machine busy with other builds it took 10 s). */
	t0 = h_now_ms();
	while (probe(s, 2000) != 200 && h_now_ms() - t0 < 3 * H_DEADLINE_MS)
		h_nap_ms(20);
	r = h_get(s, "/text");
	h_assert_response(r, "after the flood", 200, "hello\n");
	cr_log_info("connection flood: serving again %lld ms after the flood ended", (long long)(h_now_ms() - t0));
	for (i = 0; i < 20; i++)
		prompt_get(s, "after a connection flood");
	h_server_stop_ok(s);
}

/* ---- deadlines and capacity (docs/security.md, "Slow heads" and "Connection capacity") ---- */

/* The value of one line of GET /__cannery/metrics, e.g. "cannery_connections". */
static double metric(const struct h_server *s, const char *name)
{
	struct h_response *r = h_get(s, "/__cannery/metrics");
	const char *at = strstr(r->body, h_fmt("\n%s ", name));
	cr_assert_not_null(at, "no metric %s in:\n%s", name, r->body);
	return strtod(at + strlen(name) + 2, NULL);
}

Test(hardening, slow_heads_are_closed_at_the_head_deadline)
{
	struct h_server *s = h_serve(api_dir(false), "--quiet", "--head-timeout", "1s", NULL);
	struct loris l = { s, 200, 3000, 0, 0 };
	int64_t worst = 0, t0 = h_now_ms();
	pthread_t t;

	cr_assert(raise_nofile(1024) >= 512, "cannot open enough files for 200 connections");
	cr_assert_eq(pthread_create(&t, NULL, slowloris, &l), 0);
	while (h_now_ms() - t0 < 2500) {
		int64_t took = prompt_get(s, "trickling request heads");
		if (took > worst)
			worst = took;
		h_nap_ms(50);
	}
	pthread_join(t, NULL);
	cr_log_info("slow heads: %d of %d trickling connections closed; fresh requests took at most %lld ms",
		    l.dropped, l.opened, (long long)worst);
	cr_expect_eq(l.opened, 200);
	cr_expect_eq(l.dropped, l.opened, "every trickling connection is closed once its head is 1 s late");
	cr_expect_geq(metric(s, "cannery_connections_closed_total{reason=\"head_timeout\"}"), 200.0);
	h_server_stop_ok(s);
}

/* n keep-alive connections, each with one request answered: idle ones. */
static int *idle_connections(const struct h_server *s, int n, int *answered)
{
	static const char req[] = "GET /text HTTP/1.1\r\nHost: localhost\r\n\r\n";
	int *fds = calloc((size_t)n, sizeof(int));
	char buf[512];

	cr_assert(fds);
	*answered = 0;
	for (int i = 0; i < n; i++) {
		fds[i] = h_connect_raw(s);
		if (fds[i] >= 0 && h_send_all(fds[i], req, sizeof(req) - 1, H_DEADLINE_MS) &&
		    h_read_until(fds[i], "hello\n", H_DEADLINE_MS, buf, sizeof(buf)))
			(*answered)++;
	}
	return fds;
}

static void close_all(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			h_close_reset(fds[i]);
	free(fds);
}

Test(hardening, idle_connections_make_room_at_the_limit)
{
	enum { N = 150 };
	struct h_server *s = h_serve(api_dir(false), "--quiet", "--max-connections", "64", NULL);
	int answered;

	cr_assert(raise_nofile(1024) >= 512);
	int *fds = idle_connections(s, N, &answered);
	cr_expect_eq(answered, N, "each new client is answered: idle ones make room (%d of %d answered)", answered, N);
	prompt_get(s, "a full house of idle connections");
	cr_expect_leq(metric(s, "cannery_connections"), 64.0);
	cr_expect_geq(metric(s, "cannery_connections_closed_total{reason=\"evicted_idle\"}"), (double)(N - 64));
	close_all(fds, N);
	h_server_stop_ok(s);
}

Test(hardening, two_thousand_idle_connections_leave_room)
{
	enum { N = 2000 };
	if (raise_nofile(4096) < N + 256) {
		cr_skip_test("the open-file limit is too low for %d connections", N);
		return;
	}
	/* the server raises its own limit and takes its connection limit from it */
	struct h_server *s = h_serve(api_dir(false), "--quiet", NULL);
	int answered;
	int *fds = idle_connections(s, N, &answered);
	cr_expect_eq(answered, N, "%d of %d connections answered", answered, N);
	int64_t took = prompt_get(s, "2,000 idle keep-alive connections");
	cr_log_info("2,000 idle connections: a fresh client answered in %lld ms; %.0f connections open",
		    (long long)took, metric(s, "cannery_connections"));
	close_all(fds, N);
	h_server_stop_ok(s);
}

Test(hardening, a_thousand_waiters_all_get_their_408)
{
	enum { N = 1000, TIMEOUT_MS = 1000 };
	static const char body[] = "{\"request\":{\"path\":\"/never\"},\"timeout_ms\":1000}";
	const char *req = h_fmt("POST /__cannery/requests/wait HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
				"application/json\r\nContent-Length: %zu\r\n\r\n%s",
				sizeof(body) - 1, body);
	if (raise_nofile(4096) < N + 256) {
		cr_skip_test("the open-file limit is too low for %d connections", N);
		return;
	}
	struct h_server *s = h_serve(api_dir(false), "--quiet", NULL);
	int *fds = calloc(N, sizeof(int)), sent = 0, got408 = 0;
	char buf[512];

	cr_assert(fds);
	int64_t t0 = h_now_ms();
	for (int i = 0; i < N; i++) {
		fds[i] = h_connect_raw(s);
		if (fds[i] >= 0 && h_send_all(fds[i], req, strlen(req), H_DEADLINE_MS))
			sent++;
	}
	prompt_get(s, "a thousand waiting clients");
	for (int i = 0; i < N; i++)
		if (fds[i] >= 0 && h_read_until(fds[i], "\r\n", TIMEOUT_MS + H_DEADLINE_MS, buf, sizeof(buf)) &&
		    strncmp(buf, "HTTP/1.1 408", 12) == 0)
			got408++;
	int64_t last = h_now_ms() - t0;
	cr_log_info("1,000 waiters: %d sent, %d answered 408, the last %lld ms after the first was sent", sent,
		    got408, (long long)last);
	cr_expect_eq(sent, N);
	cr_expect_eq(got408, N, "every waiter gets its 408");
	prompt_get(s, "after a thousand waits");
	close_all(fds, N);
	h_server_stop_ok(s);
}

/* ---- clients that vanish mid-upload and mid-download ------------------------------------- */

struct resetter {
	const struct h_server *s;
	int rounds;
	int failures;            /* rounds that could not set up their reset */
};

/* Runs on a test thread: rounds of one upload and one download, each reset halfway. */
static void *resets(void *arg)
{
	static const char upload[] = "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n"
				     "Expect: 100-continue\r\n\r\n";
	static const char download[] = "GET /big HTTP/1.1\r\nHost: localhost\r\n\r\n";
	static const char part[1000];
	struct resetter *rs = arg;
	char buf[1024];

	for (int i = 0; i < rs->rounds; i++) {
		int fd = h_connect_raw(rs->s);

		/* "100 Continue" proves the server has begun the request before it goes away */
		if (fd < 0 || blast(fd, upload, sizeof(upload) - 1, sizeof(upload) - 1, H_DEADLINE_MS) !=
				      sizeof(upload) - 1 ||
		    !h_read_until(fd, "100 Continue", H_DEADLINE_MS, buf, sizeof(buf)))
			rs->failures++;
		else
			blast(fd, part, sizeof(part), sizeof(part), H_DEADLINE_MS);
		if (fd >= 0)
			h_close_reset(fd);

		/* the first bytes of the response prove the request was answered */
		fd = h_connect_raw(rs->s);
		if (fd < 0 || blast(fd, download, sizeof(download) - 1, sizeof(download) - 1, H_DEADLINE_MS) !=
				      sizeof(download) - 1 ||
		    !h_read_until(fd, "HTTP/1.1 200", H_DEADLINE_MS, buf, sizeof(buf)))
			rs->failures++;
		if (fd >= 0)
			h_close_reset(fd);
	}
	return NULL;
}

Test(hardening, resets_mid_upload_and_mid_download)
{
	enum { THREADS = 4, ROUNDS = 125 };
	struct h_server *s;
	struct resetter rs[THREADS];
	pthread_t t[THREADS];
	size_t ended = 0;
	long before, after;
	int64_t deadline;
	int i;

	no_asan_quarantine();
	s = h_serve(api_dir(true), NULL);
	for (i = 0; i < 10; i++)
		prompt_get(s, "warm-up");
	before = rss_kib(s);
	for (i = 0; i < THREADS; i++) {
		rs[i] = (struct resetter){ s, ROUNDS, 0 };
		cr_assert_eq(pthread_create(&t[i], NULL, resets, &rs[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		cr_expect_eq(rs[i].failures, 0, "thread %d: %d rounds did not get as far as the reset", i,
			     rs[i].failures);
	}
	prompt_get(s, "a thousand resets");
	/* Each vanished request is logged once, as ended early: none lost, none twice. */
	deadline = h_now_ms() + H_DEADLINE_MS;
	do {
		ended = h_count_lines(h_server_stderr(s), "(connection ended early)");
		if (ended >= 2 * THREADS * ROUNDS)
			break;
		h_nap_ms(20);
	} while (h_now_ms() < deadline);
	cr_expect_eq(ended, (size_t)2 * THREADS * ROUNDS, "%zu access-log lines say 'ended early', expected %d", ended,
		     2 * THREADS * ROUNDS);
	after = rss_kib(s);
	cr_log_info("resets: server RSS %ld KiB before, %ld KiB after %d resets", before, after,
		    2 * THREADS * ROUNDS);
	cr_expect(under_valgrind() || (before > 0 && after - before < 32 * 1024),
		  "the server grew by %ld KiB over %d resets", after - before, 2 * THREADS * ROUNDS);
	h_server_stop_ok(s);
}

/* ---- many threads of mixed traffic ------------------------------------------------------- */

struct mixed_case {
	const char *method;
	const char *path;
	const char *body;
	const char *header;
	long status;
	const char *want;       /* exact body, or "~text" for a body that contains text */
};

static const struct mixed_case mixed[] = {
	{ NULL, "/text", NULL, NULL, 200, "hello\n" },
	{ NULL, "/users/7", NULL, NULL, 200, "{\"id\":1,\"name\":\"Ada\"}" },
	{ NULL, "/search?q=abc", NULL, NULL, 200, "found" },
	{ NULL, "/search?q=ABC", NULL, NULL, 404, "~\"near_misses\"" },
	{ NULL, "/auth", NULL, "Authorization: Bearer t", 200, "authed" },
	{ NULL, "/auth", NULL, "Authorization: Basic t", 404, "~expected prefix" },
	{ "POST", "/orders", "{\"item\":{\"id\":12}}", "Content-Type: application/json", 201, "{\"ok\":true}" },
	{ "POST", "/login", "user=ada&x=1", NULL, 200, "welcome" },
	{ NULL, "/teapot", NULL, NULL, 418, "short and stout" },
	{ NULL, "/__cannery/health", NULL, NULL, 200, "~\"status\":\"ok\"" },
	{ NULL, "/__cannery/stubs", NULL, NULL, 200, "~\"stubs\":[" },
	{ NULL, "/text", NULL, "Host: evil.test", 403, "~not allowed" },
	{ "POST", "/upload", "0123456789abcdef0123456789abcdef", NULL, 201, "uploaded" },
	{ "DELETE", "/text", NULL, NULL, 404, "~no stub matched" },
};

struct mixer {
	const struct h_server *s;
	int index;
	int requests;
	int failures;
	char first[512];
};

/* Runs on a test thread: one kept-alive client cycling through the mixed cases. */
static void *mix(void *arg)
{
	struct mixer *m = arg;
	struct h_client *c = h_client_create();
	size_t n = sizeof(mixed) / sizeof(mixed[0]);

	for (int i = 0; i < m->requests; i++) {
		const struct mixed_case *mc = &mixed[(size_t)(i + m->index) % n];
		const char *headers[2] = { mc->header, NULL };
		struct h_response *r = h_client_request(c, m->s, mc->method, mc->path, mc->body,
							mc->body ? strlen(mc->body) : 0, headers);
		bool ok = r->status == mc->status &&
			  (mc->want[0] == '~' ? h_contains(r->body, mc->want + 1) : strcmp(r->body, mc->want) == 0);

		if (!ok && m->failures++ == 0)
			snprintf(m->first, sizeof(m->first), "%s %s: %ld '%.200s' %s", mc->method ? mc->method : "GET",
				 mc->path, r->status, r->body, r->error);
	}
	return NULL;
}

Test(hardening, sixteen_threads_of_mixed_traffic)
{
	enum { THREADS = 16, REQUESTS = 140 };
	struct h_server *s = h_serve(api_dir(false), "--quiet", NULL);
	struct mixer m[THREADS];
	pthread_t t[THREADS];
	int i;

	for (i = 0; i < THREADS; i++) {
		m[i] = (struct mixer){ s, i, REQUESTS, 0, "" };
		cr_assert_eq(pthread_create(&t[i], NULL, mix, &m[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		cr_expect_eq(m[i].failures, 0, "thread %d: %d of %d responses wrong; first: %s", i, m[i].failures,
			     REQUESTS, m[i].first);
	}
	h_server_stop_ok(s);
}

/* ---- reloading half-written files under load --------------------------------------------- */

/* Sends SIGHUP and waits until the server has logged the outcome of that reload. */
static void sighup_and_wait(struct h_server *s)
{
	size_t before, now;
	int64_t deadline;
	char *err = h_server_stderr(s);

	before = h_count_lines(err, "cannery: reloaded") + h_count_lines(err, "cannery: reload failed");
	h_server_signal(s, SIGHUP);
	deadline = h_now_ms() + H_DEADLINE_MS;
	do {
		err = h_server_stderr(s);
		now = h_count_lines(err, "cannery: reloaded") + h_count_lines(err, "cannery: reload failed");
		if (now > before)
			return;
		h_nap_ms(5);
	} while (h_now_ms() < deadline);
	cr_assert_fail("SIGHUP: no reload logged within %d ms\nstderr:\n%.2000s", H_DEADLINE_MS, err);
}

Test(hardening, partial_writes_and_reloads_under_load)
{
	enum { ROUNDS = 15 };
	const char *dir = h_version_dir();
	/* --no-watch: reloads happen exactly at each SIGHUP, so the test knows what each sees */
	struct h_server *s = h_serve(dir, "--quiet", "--no-watch", NULL);
	const char *path = h_fmt("%s/v.yaml", dir);
	struct h_readers rd;
	struct h_response *last;
	char *err;
	int v;

	h_readers_start(&rd, 4, (struct h_version_reader){ .s = s, .monotonic = true });
	for (v = 1; v <= ROUNDS; v++) {
		const char *text = h_version_yaml(v);
		/* cut inside the flow mapping, so that the half file is a YAML error (a cut
		 * between keys could leave a valid stub that matches every path) */
		size_t half = (size_t)(strstr(text, "path:") - text);
		int fd = open(path, O_WRONLY | O_TRUNC);

		/* an editor writing in place: truncate, write part, (reload), write the rest */
		cr_assert(fd >= 0, "open %s", path);
		cr_assert_eq(write(fd, text, half), (ssize_t)half);
		sighup_and_wait(s);
		cr_assert_eq(write(fd, text + half, strlen(text) - half), (ssize_t)(strlen(text) - half));
		close(fd);
		sighup_and_wait(s);
	}
	cr_assert(h_poll_get(s, "/v", 200, h_fmt("v%d", ROUNDS), &last), "the last version is not served: %ld '%s'",
		  last->status, last->body);
	int total = h_readers_stop(&rd);
	cr_log_info("partial writes: 4 readers made %d requests during %d reloads", total, 2 * ROUNDS);
	err = h_server_stderr(s);
	cr_expect_eq(h_count_lines(err, "cannery: reload failed"), (size_t)ROUNDS,
		     "each half-written file should fail to reload:\n%.3000s", err);
	cr_expect_eq(h_count_lines(err, "cannery: reloaded"), (size_t)ROUNDS, "each whole file should reload");
	h_server_stop_ok(s);
}

/* ---- SIGTERM under load ------------------------------------------------------------------ */

struct hammer {
	const struct h_server *s;
	atomic_bool *stop;
	int ok, failed, wrong;
	char first[512];
};

/* Runs on a test thread: kept-alive GET /text until stopped or the server is gone. A
 * request may fail once the server stops, but it must never get a wrong answer. */
static void *hammer(void *arg)
{
	struct hammer *hm = arg;
	struct h_client *c = h_client_create();

	while (!atomic_load(hm->stop)) {
		struct h_response *r = h_client_request(c, hm->s, NULL, "/text", NULL, 0, NULL);

		if (r->curl_code != 0) {
			hm->failed++;
			h_nap_ms(10);
			continue;
		}
		if (r->status == 200 && strcmp(r->body, "hello\n") == 0) {
			hm->ok++;
		} else if (hm->wrong++ == 0) {
			snprintf(hm->first, sizeof(hm->first), "%ld '%.200s'", r->status, r->body);
		}
	}
	return NULL;
}

Test(hardening, sigterm_under_load)
{
	enum { THREADS = 8, INFLIGHT = 5 };
	static const char head[] = "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\nabcde";
	struct h_server *s = h_serve(api_dir(false), "--quiet", NULL);
	struct hammer hm[THREADS];
	pthread_t t[THREADS];
	atomic_bool stop = false;
	int fds[INFLIGHT];
	int64_t t0;
	int i, code;

	for (i = 0; i < THREADS; i++) {
		hm[i] = (struct hammer){ s, &stop, 0, 0, 0, "" };
		cr_assert_eq(pthread_create(&t[i], NULL, hammer, &hm[i]), 0);
	}
	/* requests in flight: half their body sent, and surely read by the server */
	for (i = 0; i < INFLIGHT; i++) {
		fds[i] = h_connect(s);
		h_sock_exchange(fds[i], head, sizeof(head) - 1, H_UNTIL_RESPONSE, 1);
		cr_assert(h_wait_server_read(s, fds[i]), "the server did not read in-flight request %d", i);
	}
	h_nap_ms(200);
	t0 = h_now_ms();
	h_server_signal(s, SIGTERM);
	for (i = 0; i < INFLIGHT; i++) {
		struct h_raw *r = h_sock_exchange(fds[i], "fghij", 5, H_UNTIL_RESPONSE, H_DEADLINE_MS);

		cr_expect_eq(r->status, 201, "in-flight request %d after SIGTERM: '%.300s'", i, r->data);
	}
	code = h_server_wait(s, 3 * H_DEADLINE_MS);
	cr_log_info("SIGTERM under load: exited %d after %lld ms", code, (long long)(h_now_ms() - t0));
	atomic_store(&stop, true);
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		cr_expect_eq(hm[i].wrong, 0, "client %d got %d wrong answers; first: %s", i, hm[i].wrong, hm[i].first);
		cr_expect_gt(hm[i].ok, 0, "client %d was never served", i);
	}
	cr_expect_eq(code, 0, "exit code %d after SIGTERM under load\nstderr:\n%.3000s", code, h_server_stderr(s));
}
