/* SPDX-License-Identifier: MIT */
/* Security and limits (SPEC section 6) through the real binary: the Host check, body
 * limits, ambiguous framing, and malformed HTTP on raw sockets. After every hostile input
 * the server must still answer a normal request. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

TestSuite(malformed, .init = h_setup, .fini = h_teardown, .timeout = 60);

/* The api fixture, with a small body limit; POST /upload answers "uploaded". */
static struct h_server *server(void)
{
	return h_serve(h_fixture("api"), "--max-body", "1024", NULL);
}

/* The server still answers normal requests, on a new connection and over curl. */
static void still_up_(const struct h_server *s, const char *after, const char *file, int line)
{
	struct h_response *r = h_get(s, "/r/text");

	if (r->status != 200 || strcmp(r->body, "hello, world\n") != 0)
		cr_assert_fail("%s:%d: after %s the server no longer answers: %ld '%s' %s\nstderr:\n%s", file, line,
			       after, r->status, r->body, r->error, h_server_stderr(s));
}
#define still_up(s, after) still_up_((s), (after), __FILE__, __LINE__)

/* A 4xx response, or a close without any response. */
static void expect_refused_(const struct h_raw *r, const char *what, const char *file, int line)
{
	if (r->timed_out && !r->status)
		cr_assert_fail("%s:%d: %s: no answer and no close within %d ms; read: '%.200s'", file, line, what,
			       H_DEADLINE_MS, r->data);
	if (r->status)
		cr_expect(r->status >= 400 && r->status < 500, "%s:%d: %s: status %d, expected 4xx: '%.300s'", file,
			  line, what, r->status, r->data);
	else
		cr_expect(r->closed && r->len == 0, "%s:%d: %s: no status line and %s: '%.200s'", file, line, what,
			  r->closed ? "closed" : "not closed", r->data);
}
#define expect_refused(r, what) expect_refused_((r), (what), __FILE__, __LINE__)

static void expect_status_(const struct h_raw *r, int status, const char *what, const char *file, int line)
{
	cr_expect(r->status == status, "%s:%d: %s: status %d, expected %d%s; read: '%.300s'", file, line, what,
		  r->status, status, r->timed_out ? " (timed out)" : r->closed ? " (closed)" : "", r->data);
}
#define expect_status(r, status, what) expect_status_((r), (status), (what), __FILE__, __LINE__)

static char *repeat(char c, size_t n)
{
	char *p = h_fmt("%*s", (int)n, "");

	memset(p, c, n);
	return p;
}

/* ---- Host check -------------------------------------------------------------------------- */

Test(malformed, foreign_host_is_403)
{
	static const char *const refused[] = { "Host: evil.test", "Host: evil.test:80", "Host: 127.0.0.2",
					       "Host: localhost.evil.test", NULL };
	static const char *const allowed[] = { "Host: localhost", "Host: localhost:1", "Host: 127.0.0.1",
					       "Host: 127.0.0.1:9", "Host: [::1]", "Host: [::1]:8080", NULL };
	struct h_server *s = server();
	size_t i;

	for (i = 0; refused[i]; i++) {
		struct h_response *r = h_get_h(s, "/r/text", refused[i]);
		const char *ct = h_header(r, "Content-Type");

		cr_expect_eq(r->status, 403, "%s: status %ld, body '%s'", refused[i], r->status, r->body);
		cr_expect(ct && strncmp(ct, "application/json", 16) == 0, "%s: Content-Type %s", refused[i],
			  ct ? ct : "(none)");
		cr_expect(h_contains(r->body, "\"error\""), "%s: body '%s'", refused[i], r->body);
	}
	for (i = 0; allowed[i]; i++)
		h_assert_response(h_get_h(s, "/r/text", allowed[i]), allowed[i], 200, "hello, world\n");
	h_assert_response(h_get_h(s, "/__cannery/health", "Host: evil.test"), "admin with Host evil.test", 403,
			  NULL);
	h_server_stop_ok(s);
}

Test(malformed, allow_host)
{
	struct h_server *s = h_serve(h_fixture("api"), "--allow-host", "api.test", "--allow-host", "other.test", NULL);

	h_assert_response(h_get_h(s, "/r/text", "Host: api.test:1234"), "Host api.test:1234", 200, "hello, world\n");
	h_assert_response(h_get_h(s, "/r/text", "Host: api.test"), "Host api.test", 200, "hello, world\n");
	h_assert_response(h_get_h(s, "/r/text", "Host: other.test:80"), "Host other.test:80", 200, "hello, world\n");
	h_assert_response(h_get_h(s, "/r/text", "Host: localhost"), "Host localhost", 200, "hello, world\n");
	h_assert_response(h_get_h(s, "/r/text", "Host: evil.test"), "Host evil.test", 403, NULL);
	h_server_stop_ok(s);
}

Test(malformed, missing_host)
{
	struct h_server *s = server();

	expect_refused(h_raw_str(s, "GET /r/text HTTP/1.1\r\n\r\n"), "HTTP/1.1 without Host");
	still_up(s, "a request without Host");
	h_server_stop_ok(s);
}

/* ---- body limits ------------------------------------------------------------------------- */

Test(malformed, body_at_limit_accepted_over_limit_413)
{
	struct h_server *s = server();
	const char *const ct[] = { "Content-Type: application/octet-stream", NULL };

	h_assert_response(h_request(s, "POST", "/upload", repeat('a', 1024), ct), "1024 bytes", 200, "uploaded");
	h_assert_response(h_request(s, "POST", "/upload", repeat('a', 1025), ct), "1025 bytes", 413, NULL);
	still_up(s, "a 413");
	h_server_stop_ok(s);
}

Test(malformed, content_length_over_limit_answers_before_body)
{
	struct h_server *s = server();
	struct h_raw *r;

	/* Only the headers: a server waiting for the 100000 bytes would never answer. */
	r = h_raw_str(s, "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n"
			 "Content-Length: 100000\r\n\r\n");
	expect_status(r, 413, "Content-Length 100000 without the body");
	still_up(s, "a 413 before the body");

	r = h_raw_str(s, "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n"
			 "Content-Length: 5000\r\nExpect: 100-continue\r\n\r\n");
	expect_status(r, 413, "Content-Length 5000 with Expect: 100-continue");
	cr_expect(!h_contains(r->data, "100 Continue"), "no 100 Continue for a body that is too large: '%.200s'",
		  r->data);
	still_up(s, "a 413 with Expect");
	h_server_stop_ok(s);
}

Test(malformed, chunked_body_over_limit_413)
{
	struct h_server *s = server();
	char *chunk = h_fmt("200\r\n%s\r\n", repeat('b', 512));
	char *req = h_fmt("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n"
			  "Transfer-Encoding: chunked\r\n\r\n%s%s%s%s0\r\n\r\n",
			  chunk, chunk, chunk, chunk);
	struct h_raw *r = h_raw_str(s, req);

	expect_status(r, 413, "2048 bytes chunked");
	still_up(s, "a chunked 413");

	req = h_fmt("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n%s%s0\r\n\r\n",
		    chunk, chunk);
	r = h_raw_str(s, req);
	expect_status(r, 200, "exactly 1024 bytes chunked");
	cr_expect(h_contains(r->data, "uploaded"), "'%.300s'", r->data);
	h_server_stop_ok(s);
}

/* ---- ambiguous framing ------------------------------------------------------------------- */

Test(malformed, ambiguous_framing_400)
{
	static const struct {
		const char *what;
		const char *req;
	} cases[] = {
		{ "Transfer-Encoding and Content-Length",
		  "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
		  "5\r\nhello\r\n0\r\n\r\n" },
		{ "Content-Length then Transfer-Encoding",
		  "POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nContent-Length: 16\r\n\r\n"
		  "5\r\nhello\r\n0\r\n\r\n" },
		{ "two different Content-Length values",
		  "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"
		  "hello!" },
		{ "Transfer-Encoding gzip",
		  "POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\n\r\nhello" },
		{ "Transfer-Encoding gzip, chunked",
		  "POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
		  "5\r\nhello\r\n0\r\n\r\n" },
	};
	struct h_server *s = server();
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct h_raw *r = h_raw_str(s, cases[i].req);

		expect_status(r, 400, cases[i].what);
		still_up(s, cases[i].what);
	}
	h_server_stop_ok(s);
}

/* ---- malformed requests ------------------------------------------------------------------ */

Test(malformed, garbage_request_line)
{
	static const char *const garbage[] = {
		"GARBAGE\r\n\r\n",
		"GET\r\n\r\n",
		"GET /r/text HTTP/1.1 extra\r\nHost: localhost\r\n\r\n",
		" / HTTP/1.1\r\nHost: localhost\r\n\r\n",
		"GET /r/text FTP/1.1\r\nHost: localhost\r\n\r\n",
		NULL,
	};
	struct h_server *s = server();
	struct h_raw *r;
	char junk[512];
	size_t i;

	for (i = 0; garbage[i]; i++) {
		expect_refused(h_raw_str(s, garbage[i]), garbage[i]);
		still_up(s, garbage[i]);
	}

	/* An unknown version is well-formed: 505 is the right answer (RFC 9110 15.6.6). */
	r = h_raw_str(s, "GET / HTTP/9.9\r\nHost: localhost\r\n\r\n");
	cr_expect(r->status == 505 || (r->status >= 400 && r->status < 500) || (r->closed && !r->status),
		  "HTTP/9.9: %d", r->status);
	still_up(s, "HTTP/9.9");

	/* Empty lines before a request line are to be ignored (RFC 9112 2.2). */
	r = h_raw_str(s, "\r\n\r\nGET /r/text HTTP/1.1\r\nHost: localhost\r\n\r\n");
	cr_expect(r->status == 200 || (r->status >= 400 && r->status < 500) || (r->closed && !r->status),
		  "leading empty lines: %d '%.200s'", r->status, r->data);

	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (char)((i * 131 + 7) & 0xff);
	h_raw(s, junk, sizeof(junk), H_UNTIL_CLOSE);
	still_up(s, "512 bytes of binary junk");
	h_server_stop_ok(s);
}

Test(malformed, huge_headers)
{
	struct h_server *s = server();
	char *req = h_fmt("GET /r/text HTTP/1.1\r\nHost: localhost\r\nX-Big: %s\r\n\r\n", repeat('h', 64 * 1024));
	struct h_raw *r = h_raw_str(s, req);

	expect_refused(r, "64 KiB of headers");
	if (r->status && r->status != 431)
		cr_log_warn("64 KiB of headers got %d (431 preferred)", r->status);
	still_up(s, "64 KiB of headers");

	req = h_fmt("GET /r/text HTTP/1.1\r\nHost: localhost\r\n");
	for (int i = 0; i < 2000; i++)
		req = h_fmt("%sX-H%d: %s\r\n", req, i, "value");
	req = h_fmt("%s\r\n", req);
	expect_refused(h_raw_str(s, req), "2000 header lines");
	still_up(s, "2000 header lines");
	h_server_stop_ok(s);
}

Test(malformed, very_long_url)
{
	struct h_server *s = server();
	char *req = h_fmt("GET /%s HTTP/1.1\r\nHost: localhost\r\n\r\n", repeat('u', 100 * 1024));
	struct h_raw *r = h_raw_str(s, req);

	expect_refused(r, "a 100 KiB URL");
	if (r->status && r->status != 414)
		cr_log_warn("a 100 KiB URL got %d (414 preferred)", r->status);
	still_up(s, "a 100 KiB URL");
	h_server_stop_ok(s);
}

Test(malformed, binary_and_invalid_utf8)
{
	static const char body[] = "\x00\xff\xfe needle \x00\x80";
	static const char nul_header[] = "GET /r/text HTTP/1.1\r\nHost: localhost\r\nX-Nul: a\0b\r\n\r\n";
	struct h_server *s = server();
	struct h_client *c = h_client_create();
	const char *const ct[] = { "Content-Type: application/octet-stream", NULL };
	const char *const weird[] = { "X-V: \xff\xfe\x80 caf\xc3", NULL };
	struct h_response *r;
	struct h_raw *raw;

	r = h_get(s, "/%ff%fe%00%c3");
	cr_expect(r->status == 404 || r->status == 400, "invalid UTF-8 path: %ld", r->status);
	still_up(s, "an invalid UTF-8 path");

	r = h_get(s, "/q/search?q=%ff%00&%zz=%");
	cr_expect(r->status == 404 || r->status == 400, "bad query escapes: %ld", r->status);
	still_up(s, "bad query escapes");

	r = h_request(s, NULL, "/ops/present", NULL, weird);
	cr_expect(r->status == 200 || r->status == 400, "non-UTF-8 header value: %ld '%s'", r->status, r->body);
	still_up(s, "a non-UTF-8 header value");

	r = h_client_request(c, s, "POST", "/b/raw", body, sizeof(body) - 1, ct);
	h_assert_response(r, "a binary body containing 'needle'", 200, "raw");

	r = h_client_request(c, s, "POST", "/b/json", body, sizeof(body) - 1, ct);
	h_assert_response(r, "a binary body to a json matcher", 404, NULL);

	r = h_client_request(c, s, "POST", "/b/form", body, sizeof(body) - 1, ct);
	h_assert_response(r, "a binary body to a form matcher", 404, NULL);

	raw = h_raw(s, nul_header, sizeof(nul_header) - 1, H_UNTIL_RESPONSE);
	cr_expect(raw->status == 200 || raw->status == 400 || (raw->closed && !raw->status),
		  "a NUL in a header: %d", raw->status);
	still_up(s, "a NUL in a header");
	h_server_stop_ok(s);
}

Test(malformed, aborted_requests)
{
	struct h_server *s = server();
	int i;

	static const char half[] = "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\nabc";
	static const char headers_only[] = "GET /r/text HTTP/1.1\r\nHost: loc";

	for (i = 0; i < 5; i++) {
		int fd = h_connect(s);

		/* Half a request, then the connection goes away. */
		h_sock_exchange(fd, i % 2 ? half : headers_only, i % 2 ? sizeof(half) - 1 : sizeof(headers_only) - 1,
				H_UNTIL_RESPONSE, 20);
		h_close(fd);
	}
	still_up(s, "aborted requests");
	h_server_stop_ok(s);
}

Test(malformed, slow_client_does_not_stall_others)
{
	struct h_server *s = server();
	int i;

	/* Several connections each holding half a request line. */
	for (i = 0; i < 8; i++) {
		int fd = h_connect(s);

		h_sock_exchange(fd, "GET /r/te", strlen("GET /r/te"), H_UNTIL_RESPONSE, 1);
	}
	for (i = 0; i < 10; i++)
		still_up(s, "slow clients hold connections");
	h_server_stop_ok(s);
}

Test(malformed, pipelined_requests)
{
	static const char two[] = "GET /r/text HTTP/1.1\r\nHost: localhost\r\n\r\n"
				  "GET /r/teapot HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
	struct h_server *s = server();
	struct h_raw *r = h_raw(s, two, sizeof(two) - 1, H_UNTIL_CLOSE);
	const char *first = strstr(r->data, "hello, world"), *second = strstr(r->data, "short and stout");

	cr_expect(first && second && first < second, "two responses in order expected: '%.600s'", r->data);
	still_up(s, "pipelined requests");
	h_server_stop_ok(s);
}

Test(malformed, http10_and_bare_lf)
{
	struct h_server *s = server();
	struct h_raw *r;

	r = h_raw(s, "GET /r/text HTTP/1.0\r\nHost: localhost\r\n\r\n",
		  strlen("GET /r/text HTTP/1.0\r\nHost: localhost\r\n\r\n"), H_UNTIL_CLOSE);
	expect_status(r, 200, "HTTP/1.0");
	cr_expect(r->closed, "HTTP/1.0 without keep-alive: the server closes");
	cr_expect(h_contains(r->data, "hello, world"), "'%.300s'", r->data);

	r = h_raw_str(s, "GET /r/text HTTP/1.1\nHost: localhost\n\n");
	cr_expect(r->status == 200 || (r->status >= 400 && r->status < 500) || (r->closed && !r->status),
		  "bare LF: %d '%.200s'", r->status, r->data);
	still_up(s, "bare LF line endings");
	h_server_stop_ok(s);
}
