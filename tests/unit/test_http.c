/* SPDX-License-Identifier: MIT */
/* Unit tests for http.c, the libmicrohttpd adapter: started on a listening socket of our
 * own on 127.0.0.1 port 0 over a pipeline rig, and spoken to with raw sockets. Fixed and
 * rendered replies (kept alive, prebuilt once), bodies by length and chunked, the body
 * limit both ways, refusals, the request view (query, headers, cookies, absolute-form
 * targets, HTTP/1.0), suspended exchanges (delays, admin waits), resets, quiesce and
 * drain. Waits for in-flight requests poll a counter; nothing sleeps for a set time. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "http.h"
#include "journal.h"
#include "testutil.h"
#include "timers.h"
#include "util/strbuf.h"

static struct rig rig;
static struct http *h;
static unsigned port;

static void start_http(size_t max_body)
{
	rig.cfg.max_body = max_body;
	rig_rebuild(&rig);
	struct http_config hc = {
		.pipeline = rig.pipeline,
		.threads = 2,
		.max_connections = 64,
		.idle_timeout_s = 30,
		.max_body = max_body,
		.log_fd = 2,
		.quiet = true,
	};
	char *err = NULL;
	int fd = listen_loopback(&port);
	h = http_create(&hc);
	cr_assert_eq(http_start(h, fd, &err), 0, "http_start: %s", err ? err : "");
}

static void setup(void)
{
	rig_init(&rig, NULL);
	add_stubs(rig.srv, "- name: hello\n"
			   "  request: { method: GET, path: /hello }\n"
			   "  response: { body: hi, headers: { X-Stub: yes } }\n"
			   "- name: echo\n"
			   "  request: { method: POST, path: /echo }\n"
			   "  response: { status: 201, body: '{{ request.body }}' }\n"
			   "- name: slow\n"
			   "  request: { path: /slow }\n"
			   "  responses: [ { body: late, delay: 20ms }, { body: later, delay: 20ms } ]\n"
			   "- name: reset\n"
			   "  request: { path: /reset }\n"
			   "  response: { fault: reset }\n");
	start_http(1 << 20);
}

/* What a stopping server does first: no exchange may stay suspended when MHD stops. */
static void teardown(void)
{
	cannery_server_stop(rig.srv);
	timers_close(rig.timers);
	http_destroy(h);
	rig_release(&rig);
}

TestSuite(http, .init = setup, .fini = teardown, .timeout = 60);

static char *request(const char *method, const char *target, const char *headers, const char *body)
{
	return http_request(port, method, target, headers, body);
}

static struct journal_entry *last_entry(struct journal_snapshot *snap)
{
	journal_snapshot(rig.ax->journal, 0, snap);
	cr_assert_gt(snap->n, 0, "nothing journaled");
	return snap->v[snap->n - 1];
}

static size_t journaled(void)
{
	struct journal_stats st;
	journal_stats(rig.ax->journal, &st);
	return st.entries;
}

/* ---- replies ---- */

Test(http, fixed_reply_with_its_headers)
{
	char *resp = request("GET", "/hello", NULL, NULL);
	cr_expect(strstr(resp, "\r\nX-Stub: yes\r\n"), "%s", resp);
	cr_expect(strstr(resp, "\r\nContent-Length: 2\r\n"), "%s", resp);
	cr_expect(strstr(resp, "\r\nAccess-Control-Allow-Origin: *\r\n"), "%s", resp);
	expect_http(resp, 200, "hi");
	cr_expect_eq(journaled(), 1);
}

Test(http, kept_alive_the_prebuilt_reply_serves_again)
{
	const char *two = "GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
			  "GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
	char *resp = http_raw(port, two);
	cr_expect_eq(count_substr(resp, "HTTP/1.1 200 OK\r\n"), 2, "%s", resp);
	cr_expect_eq(count_substr(resp, "X-Stub: yes"), 2, "%s", resp);
	cr_expect_eq(count_substr(resp, "\r\n\r\nhi"), 2, "%s", resp);
	free(resp);
	cr_expect_eq(journaled(), 2);
}

Test(http, a_miss_is_404_json)
{
	char *resp = request("GET", "/nothing", NULL, NULL);
	cr_expect(strstr(resp, "\r\nContent-Type: application/json\r\n"), "%s", resp);
	cr_expect(strstr(http_body(resp), "\"near_misses\""), "%s", resp);
	expect_http(resp, 404, NULL);
}

Test(http, admin_calls_are_answered)
{
	expect_http(request("DELETE", "/__cannery/requests", NULL, NULL), 204, "");
	char *resp = request("GET", "/__cannery/health", NULL, NULL);
	cr_expect(strstr(http_body(resp), "\"stubs\":4"), "%s", resp);
	expect_http(resp, 200, NULL);
	cr_expect_eq(journaled(), 0);
}

/* ---- request bodies ---- */

Test(http, body_by_length_is_rendered_and_journaled)
{
	expect_http(request("POST", "/echo", NULL, "{\"a\":1}"), 201, "{\"a\":1}");
	struct journal_snapshot snap;
	struct journal_entry *e = last_entry(&snap);
	cr_expect_eq(e->body_len, 7);
	cr_expect_str_eq(e->body, "{\"a\":1}");
	journal_snapshot_release(&snap);
}

Test(http, chunked_body)
{
	char *resp = http_raw(port, "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
				    "Transfer-Encoding: chunked\r\n\r\n"
				    "3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n");
	expect_http(resp, 201, "abcdefg");
}

Test(http, body_over_the_limit_is_413)
{
	http_destroy(h);
	start_http(8);
	expect_http(request("POST", "/echo", NULL, "12345678"), 201, "12345678");
	/* by Content-Length: refused on the headers */
	char *resp = request("POST", "/echo", NULL, "123456789");
	cr_expect(strstr(http_body(resp), "{\"error\":"), "%s", resp);
	expect_http(resp, 413, NULL);
	/* chunked: read, dropped, then refused at its end */
	resp = http_raw(port, "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
			      "Transfer-Encoding: chunked\r\n\r\n"
			      "5\r\n12345\r\n5\r\n67890\r\n5\r\nabcde\r\n0\r\n\r\n");
	expect_http(resp, 413, NULL);
	struct journal_snapshot snap;
	struct journal_entry *e = last_entry(&snap);
	cr_expect_eq(e->status, 413);
	cr_expect_eq(e->body_len, 0, "nothing of an oversized body is kept");
	journal_snapshot_release(&snap);
}

/* ---- the request view ---- */

static const char *kv_value(const struct kv *items, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(items[i].name, name) == 0)
			return items[i].value;
	return NULL;
}

Test(http, query_headers_and_cookies_reach_the_journal)
{
	expect_http(request("GET", "/hello?a=1&b=x%20y&c=p+q", "X-Thing: one\r\nCookie: session=abc; theme=dark\r\n",
				NULL),
			200, "hi");
	struct journal_snapshot snap;
	struct journal_entry *e = last_entry(&snap);
	cr_expect_str_eq(e->path, "/hello");
	cr_expect_eq(e->nquery, 3);
	cr_expect_str_eq(kv_value(e->query, e->nquery, "b"), "x y");
	cr_expect_str_eq(kv_value(e->query, e->nquery, "c"), "p q");
	cr_expect_str_eq(kv_value(e->headers, e->nheaders, "x-thing"), "one");
	cr_expect_str_eq(kv_value(e->cookies, e->ncookies, "theme"), "dark");
	journal_snapshot_release(&snap);
}

Test(http, percent_decoded_path)
{
	add_stubs(rig.srv, "request: { path: '/a b' }\nresponse: { body: spaced }\n");
	expect_http(request("GET", "/a%20b", NULL, NULL), 200, "spaced");
}

Test(http, absolute_form_target_routes_on_its_path)
{
	char req[256];
	snprintf(req, sizeof(req),
		 "GET http://127.0.0.1:%u/hello HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n", port);
	expect_http(http_raw(port, req), 200, "hi");
	expect_http(http_raw(port, "GET http://evil.example/hello HTTP/1.1\r\nHost: 127.0.0.1\r\n"
				       "Connection: close\r\n\r\n"),
			403, NULL);
	expect_http(http_raw(port, "GET HTTP://localhost HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"),
			404, NULL);
	struct journal_snapshot snap;
	struct journal_entry *e = last_entry(&snap);
	cr_expect_str_eq(e->path, "/", "an authority alone is the path /");
	journal_snapshot_release(&snap);
}

Test(http, host_rules)
{
	expect_http(http_raw(port, "GET /hello HTTP/1.0\r\n\r\n"), 200, "hi");
	expect_http(http_raw(port, "GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n"), 400, NULL);
	expect_http(http_raw(port, "GET /hello HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"), 403,
			NULL);
}

/* ---- suspended exchanges ---- */

Test(http, delayed_reply)
{
	expect_http(request("GET", "/slow", NULL, NULL), 200, "late");
	struct journal_snapshot snap;
	struct journal_entry *e = last_entry(&snap);
	cr_expect_geq(e->duration_ms, 20.0, "%f", e->duration_ms);
	journal_snapshot_release(&snap);
}

Test(http, admin_wait_answered_by_its_deadline)
{
	expect_http(request("POST", "/__cannery/requests/wait", NULL, "{\"request\":{\"path\":\"/x\"},\"timeout_ms\":0}"),
			408, "{\"count\":0}");
}

struct waiter {
	char *resp;
};

static void *wait_for_hello(void *arg)
{
	struct waiter *w = arg;
	w->resp = request("POST", "/__cannery/requests/wait", NULL,
			  "{\"request\":{\"path\":\"/hello\"},\"count\":2,\"timeout_ms\":60000}");
	return NULL;
}

Test(http, admin_wait_answered_by_other_requests)
{
	struct waiter w = { NULL };
	pthread_t th;
	cr_assert_eq(pthread_create(&th, NULL, wait_for_hello, &w), 0);
	/* whether the wait starts before, between or after these, it ends with 2 */
	expect_http(request("GET", "/hello", NULL, NULL), 200, "hi");
	expect_http(request("GET", "/hello", NULL, NULL), 200, "hi");
	pthread_join(th, NULL);
	expect_http(w.resp, 200, "{\"count\":2}");
}

Test(http, fault_reset_resets_the_connection)
{
	int fd = connect_or_fail(port);
	const char *req = "GET /reset HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	send_all(fd, req, strlen(req));
	struct raw_reply r = read_to_close(fd);
	cr_expect_not(r.timed_out);
	cr_expect(r.reset, "a reset, not a clean close");
	cr_expect_eq(r.len, 0, "nothing was sent: %s", r.text);
	free(r.text);
	struct journal_snapshot snap;
	struct journal_entry *e = last_entry(&snap);
	cr_expect_eq(e->status, 0);
	cr_expect_str_eq(e->stub, "reset");
	journal_snapshot_release(&snap);
	/* the server goes on */
	expect_http(request("GET", "/hello", NULL, NULL), 200, "hi");
}

/* ---- concurrency ---- */

#define CLIENTS 4
#define REQUESTS 25

static void *client(void *arg)
{
	int *ok = arg;
	for (int i = 0; i < REQUESTS; i++) {
		char *resp = request("GET", "/hello", NULL, NULL);
		*ok += http_status(resp) == 200 && strcmp(http_body(resp), "hi") == 0;
		free(resp);
	}
	return NULL;
}

Test(http, concurrent_clients)
{
	pthread_t th[CLIENTS];
	int ok[CLIENTS] = { 0 };
	for (int i = 0; i < CLIENTS; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, client, &ok[i]), 0);
	for (int i = 0; i < CLIENTS; i++) {
		pthread_join(th[i], NULL);
		cr_expect_eq(ok[i], REQUESTS, "client %d", i);
	}
	cr_expect_eq(journaled(), CLIENTS * REQUESTS);
}

/* ---- lifecycle ---- */

Test(http, quiesce_refuses_new_connections_and_drain_waits_for_requests_in_flight)
{
	int fd = connect_or_fail(port);
	const char *req = "GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
	send_all(fd, req, strlen(req));
	cr_assert(await_hit(rig.ax->state, "slow"), "the request never arrived");
	http_quiesce(h);
	cr_expect_eq(connect_loopback(port), -1, "nothing listens after quiesce");
	cr_expect_eq(errno, ECONNREFUSED);
	http_drain(h, TEST_DEADLINE_MS);
	cr_expect_eq(journaled(), 1, "the request in flight finished during the drain");
	struct raw_reply r = read_to_close(fd);
	cr_expect_eq(http_status(r.text), 200, "%s", r.text);
	cr_expect_str_eq(http_body(r.text), "late");
	free(r.text);
	http_stop(h);
	http_stop(h);
	http_quiesce(h);
	http_drain(h, 10);
}

Test(http, drain_without_requests_returns_at_once)
{
	http_drain(h, 600000);
	http_destroy(NULL);
}
