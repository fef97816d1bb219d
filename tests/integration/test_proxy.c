/* SPDX-License-Identifier: MIT */
/* Proxy mode end to end (SPEC sections 1 and 6): `serve --proxy URL` forwards what no stub
 * matches to an upstream the test runs itself (upstream.h), and answers with the
 * upstream's status, headers and decoded body; failures are 502/504 JSON errors. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "upstream.h"

static void fini(void)
{
	up_teardown();
	h_teardown();
}

TestSuite(proxy, .init = h_setup, .fini = fini, .timeout = 120);

static const char *local_stubs(void)
{
	return h_stub_dir("local.yaml", "request: { path: /local }\nresponse: { body: from a stub }\n", NULL);
}

/* serve DIR --port 0 --proxy URL [extra...] */
static struct h_server *proxy_to(const char *url, const char *extra1, const char *extra2)
{
	return h_serve(local_stubs(), "--proxy", url, extra1, extra2, NULL);
}

static char *lower(const char *s)
{
	char *p = h_fmt("%s", s);

	for (char *q = p; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	return p;
}

/* Whether the upstream's echo lists a header of this name (case-insensitive). */
static bool echoed_header(const struct h_response *r, const char *name)
{
	return h_contains(lower(r->body), h_fmt("[\"%s\",", name));
}

Test(proxy, forwards_only_what_no_stub_matches)
{
	struct upstream *u = up_start();
	struct h_server *s = proxy_to(up_url(u), NULL, NULL);
	struct h_response *r;

	h_assert_get(s, "/local", 200, "from a stub");
	cr_expect_eq(up_count(u), 0, "a stub answered, the upstream saw %zu requests", up_count(u));
	r = h_get(s, "/json");
	h_assert_response(r, "/json", 200, UP_JSON);
	cr_expect_str_eq(h_header(r, "Content-Type"), "application/json; charset=utf-8");
	cr_expect_str_eq(h_header(r, "X-Upstream"), "yes");
	cr_expect_eq(up_count(u), 1);
	cr_expect(h_server_wait_log(s, "GET /json 200", "proxied to", NULL), "log:\n%s", h_server_stderr(s));
	h_server_stop_ok(s);
}

Test(proxy, admin_api_is_never_forwarded)
{
	struct upstream *u = up_start();
	struct h_server *s = proxy_to(up_url(u), NULL, NULL);
	struct h_response *r = h_get(s, "/__cannery/health");

	cr_expect_eq(r->status, 200);
	cr_expect(h_contains(r->body, "\"status\":\"ok\""), "%s", r->body);
	r = h_get(s, "/__cannery/nope");
	cr_expect_eq(r->status, 404);
	cr_expect_eq(up_count(u), 0);
	h_server_stop_ok(s);
}

Test(proxy, text_binary_and_head)
{
	struct upstream *u = up_start();
	struct h_server *s = proxy_to(up_url(u), NULL, NULL);
	struct h_response *r;

	r = h_get(s, "/text");
	h_assert_response(r, "/text", 200, UP_TEXT);
	cr_expect_str_eq(h_header(r, "Content-Type"), "text/plain; charset=utf-8");
	r = h_get(s, "/binary");
	cr_expect_eq(r->status, 200);
	cr_expect_eq(r->body_len, UP_BINARY_LEN);
	cr_expect(r->body_len == UP_BINARY_LEN && memcmp(r->body, up_binary(), UP_BINARY_LEN) == 0,
		  "binary body differs");
	cr_expect_str_eq(h_header(r, "Content-Type"), "image/png");
	r = h_request(s, "HEAD", "/text", NULL, NULL);
	cr_expect_eq(r->status, 200);
	cr_expect_eq(r->body_len, 0);
	h_server_stop_ok(s);
}

Test(proxy, gzip_and_deflate_arrive_decoded)
{
	struct upstream *u = up_start();
	struct h_server *s = proxy_to(up_url(u), NULL, NULL);
	struct h_response *r;

	/* whatever the client says it accepts, it gets the decoded body without the encoding */
	r = h_get_h(s, "/gzip", "Accept-Encoding: gzip");
	h_assert_response(r, "/gzip", 200, UP_GZIP_JSON);
	cr_expect_null(h_header(r, "Content-Encoding"), "Content-Encoding: %s", h_header(r, "Content-Encoding"));
	cr_expect_str_eq(h_header(r, "Content-Length"), h_fmt("%zu", strlen(UP_GZIP_JSON)));
	cr_expect_str_eq(h_header(r, "Vary"), "Accept-Encoding");
	r = h_get(s, "/deflate");
	h_assert_response(r, "/deflate", 200, UP_DEFLATE_TEXT);
	cr_expect_null(h_header(r, "Content-Encoding"));
	h_server_stop_ok(s);
}

Test(proxy, chunked_upstream_response)
{
	struct upstream *u = up_start();
	struct h_server *s = proxy_to(up_url(u), NULL, NULL);
	struct h_response *r = h_get(s, "/chunked");

	h_assert_response(r, "/chunked", 200, UP_CHUNKED);
	cr_expect_eq(h_header_count(r, "Transfer-Encoding") + h_header_count(r, "Content-Length"), 1,
		     "exactly one framing header expected");
	h_server_stop_ok(s);
}

Test(proxy, request_target_is_forwarded_byte_for_byte)
{
	struct upstream *u = up_start();
	struct h_server *s = proxy_to(up_url(u), NULL, NULL);
	const char *target = "/echo/a%2Fb/%7Bx%7D?x=1&y=a+b&z=%20&flag&x=2";
	struct h_response *r = h_get(s, target);

	cr_expect_eq(r->status, 200);
	cr_expect(h_contains(r->body, h_fmt("\"target\":\"%s\"", target)), "echo: %s", r->body);
	h_server_stop_ok(s);
}

Test(proxy, upstream_path_prefixes_every_path)
{
	struct upstream *u = up_start();
	struct h_server *s = proxy_to(h_fmt("%s/base/", up_url(u)), NULL, NULL);
	struct h_response *r = h_get(s, "/users?q=1");

	cr_expect(h_contains(r->body, "\"target\":\"/base/users?q=1\""), "echo: %s", r->body);
	h_server_stop_ok(s);
}

Test(proxy, methods_and_bodies)
{
	static const char *const methods[] = { "POST", "PUT", "PATCH", "DELETE" };
	struct upstream *u = up_start();
	struct h_server *s = proxy_to(up_url(u), NULL, NULL);
	struct h_response *r;
	size_t i;

	for (i = 0; i < 4; i++) {
		r = h_request(s, methods[i], "/echo/users", "{\"name\":\"Ada\"}", HDRS("Content-Type: application/json"));
		cr_expect_eq(r->status, 200, "%s", methods[i]);
		cr_expect(h_contains(r->body, h_fmt("\"method\":\"%s\"", methods[i])), "%s", r->body);
		cr_expect(h_contains(r->body, "\"body\":\"{\\\"name\\\":\\\"Ada\\\"}\""), "%s: %s", methods[i], r->body);
		cr_expect(h_contains(r->body, "[\"Content-Type\",\"application/json\"]"), "%s", r->body);
		cr_expect(h_contains(r->body, "[\"Content-Length\",\"14\"]"), "%s", r->body);
	}
	/* no Content-Type of curl's own when the client sent none */
	r = h_request(s, "POST", "/echo/raw", "a=1", HDRS("Content-Type:"));
	cr_expect(!echoed_header(r, "content-type"), "%s", r->body);
	cr_expect(h_contains(r->body, "\"body\":\"a=1\""), "%s", r->body);
	/* an empty POST body still travels as Content-Length: 0 */
	r = h_request(s, "POST", "/echo/empty", "", NULL);
	cr_expect(h_contains(r->body, "[\"Content-Length\",\"0\"]"), "%s", r->body);
	/* a GET without a body gets no Content-Length, no Expect, no Accept of curl's */
	r = h_request(s, "GET", "/echo/get", NULL, HDRS("Accept:"));
	cr_expect(!echoed_header(r, "content-length") && !echoed_header(r, "expect") && !echoed_header(r, "accept"),
		  "%s", r->body);
	/* a large body goes without Expect: 100-continue */
	r = h_request(s, "POST", "/echo/big", h_fmt("%0*d", 200000, 7), HDRS("Content-Type: text/plain"));
	cr_expect_eq(r->status, 200);
	cr_expect(!echoed_header(r, "expect"), "Expect forwarded");
	cr_expect(h_contains(r->body, "[\"Content-Length\",\"200000\"]"), "large body not forwarded whole");
	h_server_stop_ok(s);
}

Test(proxy, statuses_pass_through)
{
	struct upstream *u = up_start();
	struct h_server *s = proxy_to(up_url(u), NULL, NULL);
	struct h_response *r;

	r = h_get(s, "/missing");
	h_assert_response(r, "/missing", 404, "{\"error\":\"not here\"}");
	cr_expect_str_eq(h_header(r, "Content-Type"), "application/json");
	h_assert_get(s, "/error", 500, "boom");
	h_assert_get(s, "/empty", 204, "");
	h_server_stop_ok(s);
}

Test(proxy, redirects_are_passed_through_not_followed)
{
	struct upstream *u = up_start();
	struct h_server *s = proxy_to(up_url(u), NULL, NULL);
	struct h_response *r = h_get(s, "/redirect");

	h_assert_response(r, "/redirect", 302, "moved");
	cr_expect_str_eq(h_header(r, "Location"), "/json");
	cr_expect_eq(up_count(u), 1, "the redirect was followed: the upstream saw %zu requests", up_count(u));
	h_server_stop_ok(s);
}

Test(proxy, hop_by_hop_request_headers_and_host_are_not_forwarded)
{
	struct upstream *u = up_start();
	struct h_server *s = proxy_to(up_url(u), NULL, NULL);
	struct h_response *r = h_request(s, "GET", "/echo/h", NULL,
					 HDRS("Connection: keep-alive, X-Private", "X-Private: p", "Keep-Alive: 300",
					      "Proxy-Authorization: Basic Zm9vOmJhcg==", "TE: trailers",
					      "Authorization: Bearer end-to-end", "X-Kept: 1"));

	cr_expect_eq(r->status, 200);
	cr_expect(!echoed_header(r, "x-private"), "%s", r->body);
	cr_expect(!echoed_header(r, "keep-alive"), "%s", r->body);
	cr_expect(!echoed_header(r, "proxy-authorization"), "%s", r->body);
	cr_expect(!echoed_header(r, "te"), "%s", r->body);
	cr_expect(h_contains(r->body, "[\"Authorization\",\"Bearer end-to-end\"]"), "%s", r->body);
	cr_expect(h_contains(r->body, "[\"X-Kept\",\"1\"]"), "%s", r->body);
	/* Host names the upstream, not cannery */
	cr_expect(h_contains(r->body, h_fmt("[\"Host\",\"127.0.0.1:%d\"]", up_port(u))), "%s", r->body);
	cr_expect_eq(h_count_substr(lower(r->body), "[\"host\","), 1, "one Host header expected: %s", r->body);
	h_server_stop_ok(s);
}

Test(proxy, hop_by_hop_response_headers_are_dropped)
{
	struct upstream *u = up_start();
	struct h_server *s = proxy_to(up_url(u), NULL, NULL);
	struct h_response *r = h_get(s, "/hop");

	h_assert_response(r, "/hop", 200, "hop");
	cr_expect_str_eq(h_header(r, "X-Kept"), "yes");
	cr_expect_null(h_header(r, "X-Hop"), "X-Hop is named in Connection");
	cr_expect_null(h_header(r, "Keep-Alive"));
	cr_expect_null(h_header(r, "Proxy-Thing"));
	cr_expect_null(h_header(r, "Trailer"));
	/* the upstream's Connection: close is its own business: the client connection lives on */
	cr_expect(!h_contains(h_header(r, "Connection"), "X-Hop"));
	h_server_stop_ok(s);
}

Test(proxy, upstream_down_is_a_502_naming_it)
{
	const char *url = h_fmt("http://127.0.0.1:%d", up_free_port());
	struct h_server *s = proxy_to(url, NULL, NULL);
	struct h_response *r = h_get(s, "/anything");

	cr_expect_eq(r->status, 502);
	cr_expect_str_eq(h_header(r, "Content-Type"), "application/json");
	cr_expect(h_contains(r->body, h_fmt("{\"error\":\"upstream %s unreachable: ", url)), "%s", r->body);
	h_assert_get(s, "/local", 200, "from a stub");
	h_server_stop_ok(s);
}

Test(proxy, slow_upstream_is_a_504_within_the_bound)
{
	struct upstream *u = up_start();
	struct h_server *s = proxy_to(up_url(u), "--proxy-timeout", "500ms");
	int64_t t0 = h_now_ms();
	struct h_response *r = h_get(s, "/hold");
	long long took = (long long)(h_now_ms() - t0);

	cr_expect_eq(r->status, 504, "got %ld: %s", r->status, r->body);
	cr_expect(h_contains(r->body, "timed out after 500 ms"), "%s", r->body);
	cr_expect(h_contains(r->body, up_url(u)), "%s", r->body);
	/* bounded: nothing releases /hold, so only the timeout can have answered */
	cr_expect_lt(took, H_DEADLINE_MS);
	up_release(u);
	h_server_stop_ok(s);
}

Test(proxy, huge_upstream_bodies_are_bounded)
{
	struct upstream *u = up_start();
	struct h_server *s = proxy_to(up_url(u), NULL, NULL);
	struct h_response *r;

	r = h_get(s, "/huge-cl");
	cr_expect_eq(r->status, 502, "declared length: got %ld", r->status);
	cr_expect(h_contains(r->body, "response is larger than 67108864 bytes"), "%s", r->body);
	r = h_get(s, "/huge");
	cr_expect_eq(r->status, 502, "endless chunked body: got %ld", r->status);
	cr_expect(h_contains(r->body, "response is larger than 67108864 bytes"), "%s", r->body);
	h_assert_response(h_get(s, "/text"), "/text after the huge ones", 200, UP_TEXT);
	h_server_stop_ok(s);
}

struct held {
	const struct h_server *s;
	struct h_response *r;
};

static void *get_hold(void *arg)
{
	struct held *h = arg;

	h->r = h_get(h->s, "/hold");
	return NULL;
}

/* More slow exchanges than the server has threads: a worker that waited on an upstream
 * would leave none for the next request. */
Test(proxy, a_slow_upstream_holds_no_server_thread)
{
	struct upstream *u = up_start();
	struct h_server *s = proxy_to(up_url(u), NULL, NULL);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = (size_t)(cores > 0 ? cores : 1) * 2 + 2, i;
	struct held *held;
	pthread_t *threads;

	if (n > 64)
		n = 64;
	held = calloc(n, sizeof(*held));
	threads = calloc(n, sizeof(*threads));
	cr_assert(held && threads);
	for (i = 0; i < n; i++) {
		held[i].s = s;
		cr_assert(pthread_create(&threads[i], NULL, get_hold, &held[i]) == 0);
	}
	cr_assert(up_wait_held(u, n, H_DEADLINE_MS), "the %zu slow requests did not all reach the upstream", n);
	h_assert_response(h_get(s, "/json"), "/json while slow requests wait", 200, UP_JSON);
	h_assert_get(s, "/local", 200, "from a stub");
	up_release(u);
	for (i = 0; i < n; i++) {
		pthread_join(threads[i], NULL);
		h_assert_response(held[i].r, "/hold", 200, "released");
	}
	free(held);
	free(threads);
	h_server_stop_ok(s);
}

Test(proxy, shutdown_lets_a_proxied_request_finish)
{
	struct upstream *u = up_start();
	struct h_server *s = proxy_to(up_url(u), NULL, NULL);
	struct held h = { s, NULL };
	pthread_t t;

	cr_assert(pthread_create(&t, NULL, get_hold, &h) == 0);
	cr_assert(up_wait_held(u, 1, H_DEADLINE_MS));
	h_server_signal(s, SIGTERM);
	cr_assert(h_server_wait_log(s, "shutting down", NULL), "stderr:\n%s", h_server_stderr(s));
	up_release(u);
	pthread_join(t, NULL);
	h_assert_response(h.r, "/hold during shutdown", 200, "released");
	cr_expect_eq(h_server_wait(s, H_DEADLINE_MS), 0, "stderr:\n%s", h_server_stderr(s));
}

Test(proxy, shutdown_ends_a_stuck_exchange)
{
	struct upstream *u = up_start();
	struct h_server *s = proxy_to(up_url(u), "--proxy-timeout", "60s");
	struct held h = { s, NULL };
	pthread_t t;

	cr_assert(pthread_create(&t, NULL, get_hold, &h) == 0);
	cr_assert(up_wait_held(u, 1, H_DEADLINE_MS));
	/* the upstream never answers: after the grace period the exchange ends with 503 and
	 * the server still exits cleanly (MHD must not stop with a suspended connection) */
	h_server_signal(s, SIGTERM);
	cr_expect_eq(h_server_wait(s, 3 * H_DEADLINE_MS), 0, "stderr:\n%s", h_server_stderr(s));
	pthread_join(t, NULL);
	cr_expect(h.r->status == 503 || h.r->status == 0, "got %ld: %s", h.r->status, h.r->body);
	up_release(u);
}

Test(proxy, forwarded_answers_carry_cors_and_are_journaled)
{
	struct upstream *u = up_start();
	struct h_server *s = proxy_to(up_url(u), NULL, NULL);
	struct h_response *r = h_get_h(s, "/json", "Origin: http://app.test");

	h_assert_response(r, "/json", 200, UP_JSON);
	cr_expect_str_eq(h_header(r, "Access-Control-Allow-Origin"), "http://app.test");
	r = h_get(s, "/__cannery/requests?path=/json");
	cr_expect(h_contains(r->body, "\"total\":1"), "%s", r->body);
	cr_expect(h_contains(r->body, "\"stub\":null,\"status\":200"), "a proxied entry has no stub: %s", r->body);
	h_server_stop_ok(s);
}
