/* SPDX-License-Identifier: MIT */
/* Dynamic responses end to end (SPEC section 2): templates, responses: sequences,
 * scenarios, delays that hold no server thread, fault: reset, --seed, and what a reload
 * keeps. The unit tests (test_render, test_state) cover every filter and state rule; here
 * each feature is checked through real HTTP, including under concurrency. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

TestSuite(dynamic, .init = h_setup, .fini = h_teardown, .timeout = 120);

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct h_server *serve_yaml(const char *yaml)
{
	return h_serve(h_stub_dir("stubs.yaml", yaml, NULL), NULL);
}

/* ---- templates ----------------------------------------------------------------------- */

static const char templates_yaml[] =
	"- name: user\n"
	"  request: { method: GET, path: \"/users/{id}\" }\n"
	"  response:\n"
	"    headers:\n"
	"      X-Request-Id: \"{{uuid}}\"\n"
	"      X-Echo: \"{{request.query.echo | default \\\"none\\\"}}\"\n"
	"    json:\n"
	"      id: \"{{request.params.id | number}}\"\n"
	"      name: \"{{request.query.name | default \\\"anon\\\" | upper}}\"\n"
	"      client: \"{{request.headers.x-client}}\"\n"
	"      session: \"{{request.cookies.sid}}\"\n"
	"      hit: \"{{seq | number}}\"\n"
	"      method: \"{{request.method | lower}}\"\n"
	"      fixed: [1, true, null, \"text\"]\n"
	"- name: echo\n"
	"  request: { method: POST, path: /echo }\n"
	"  response:\n"
	"    status: 201\n"
	"    json:\n"
	"      got: \"{{request.json | json}}\"\n"
	"      name: \"{{request.json.user.name}}\"\n"
	"      second: \"{{request.json.items.1 | number}}\"\n"
	"      raw: \"{{request.body}}\"\n"
	"      missing: \"{{request.json.nope | json}}\"\n"
	"- name: text\n"
	"  request: { path: /text }\n"
	"  response: { body: \"Hello {{request.query.name | default \\\"world\\\"}} at {{request.path}}\" }\n"
	"- name: regex\n"
	"  request: { path_regex: '/files/(?<name>[a-z]+)\\.txt' }\n"
	"  response: { body: \"file {{request.params.name}}\" }\n"
	"- name: literal\n"
	"  template: false\n"
	"  request: { path: /literal }\n"
	"  response: { body: \"{{request.path}}\" }\n";

Test(dynamic, templates_end_to_end)
{
	struct h_server *s = serve_yaml(templates_yaml);
	struct h_response *r = h_request(s, NULL, "/users/42?name=ada", NULL,
					 HDRS("X-Client: suite/1", "Cookie: sid=abc; other=1"));

	h_assert_response(r, "GET /users/42", 200,
			  "{\"id\":42,\"name\":\"ADA\",\"client\":\"suite/1\",\"session\":\"abc\",\"hit\":1,"
			  "\"method\":\"get\",\"fixed\":[1,true,null,\"text\"]}");
	cr_expect_str_eq(h_header(r, "Content-Type"), "application/json");
	cr_expect_str_eq(h_header(r, "X-Echo"), "none");
	const char *id = h_header(r, "X-Request-Id");
	cr_assert_not_null(id);
	cr_expect_eq(strlen(id), 36, "uuid: %s", id);
	cr_expect_eq(id[14], '4', "uuid v4: %s", id);

	/* a second hit: a new uuid, the next seq, absent values empty */
	struct h_response *r2 = h_get(s, "/users/7");
	h_assert_response(r2, "GET /users/7", 200,
			  "{\"id\":7,\"name\":\"ANON\",\"client\":\"\",\"session\":\"\",\"hit\":2,"
			  "\"method\":\"get\",\"fixed\":[1,true,null,\"text\"]}");
	cr_expect_str_neq(h_header(r2, "X-Request-Id"), id);

	/* not a number: null */
	h_assert_response(h_get(s, "/users/abc"), "GET /users/abc", 200,
			  "{\"id\":null,\"name\":\"ANON\",\"client\":\"\",\"session\":\"\",\"hit\":3,"
			  "\"method\":\"get\",\"fixed\":[1,true,null,\"text\"]}");
	h_assert_get(s, "/text?name=Ada", 200, "Hello Ada at /text");
	h_assert_get(s, "/text", 200, "Hello world at /text");
	h_assert_get(s, "/files/notes.txt", 200, "file notes");
	h_assert_get(s, "/literal", 200, "{{request.path}}");
	h_server_stop_ok(s);
}

Test(dynamic, json_request_values)
{
	struct h_server *s = serve_yaml(templates_yaml);
	struct h_response *r = h_request(s, "POST", "/echo", "{\"user\": {\"name\": \"Ada \\\"Countess\\\"\"}, \"items\": [1, 2.5]}",
					 HDRS("Content-Type: application/json"));

	h_assert_response(r, "POST /echo", 201,
			  "{\"got\":{\"user\":{\"name\":\"Ada \\\"Countess\\\"\"},\"items\":[1,2.5]},"
			  "\"name\":\"Ada \\\"Countess\\\"\",\"second\":2.5,"
			  "\"raw\":\"{\\\"user\\\": {\\\"name\\\": \\\"Ada \\\\\\\"Countess\\\\\\\"\\\"}, \\\"items\\\": [1, 2.5]}\","
			  "\"missing\":null}");
	/* a body that is not JSON: request.json is absent, the body still renders */
	r = h_request(s, "POST", "/echo", "a\"b\n", NULL);
	h_assert_response(r, "POST /echo (not JSON)", 201,
			  "{\"got\":null,\"name\":\"\",\"second\":null,\"raw\":\"a\\\"b\\n\",\"missing\":null}");
	h_server_stop_ok(s);
}

Test(dynamic, rendered_headers_stay_on_one_line)
{
	struct h_server *s = serve_yaml(templates_yaml);
	struct h_response *r = h_get(s, "/users/1?echo=a%0D%0AX-Evil:%201");

	cr_expect_eq(r->status, 200);
	cr_expect_str_eq(h_header(r, "X-Echo"), "a  X-Evil: 1");
	cr_expect_null(h_header(r, "X-Evil"), "a request value must not add a header");
	h_server_stop_ok(s);
}

/* ---- sequences ----------------------------------------------------------------------- */

static const char sequence_yaml[] =
	"- name: repeat\n"
	"  request: { path: /repeat }\n"
	"  responses:\n"
	"    - { status: 202, body: pending }\n"
	"    - { status: 202, body: running }\n"
	"    - { body: done }\n"
	"- name: cycle\n"
	"  request: { path: /cycle }\n"
	"  sequence: cycle\n"
	"  responses:\n"
	"    - body: a\n"
	"    - body: b\n"
	"    - { body: \"c{{seq}}\" }\n";

Test(dynamic, sequence_repeat_last)
{
	struct h_server *s = serve_yaml(sequence_yaml);

	h_assert_get(s, "/repeat", 202, "pending");
	h_assert_get(s, "/repeat", 202, "running");
	h_assert_get(s, "/repeat", 200, "done");
	h_assert_get(s, "/repeat", 200, "done");
	h_assert_get(s, "/repeat", 200, "done");
	h_server_stop_ok(s);
}

Test(dynamic, sequence_cycle)
{
	struct h_server *s = serve_yaml(sequence_yaml);

	h_assert_get(s, "/cycle", 200, "a");
	h_assert_get(s, "/cycle", 200, "b");
	h_assert_get(s, "/cycle", 200, "c3");
	h_assert_get(s, "/cycle", 200, "a");
	h_assert_get(s, "/cycle", 200, "b");
	h_assert_get(s, "/cycle", 200, "c6");
	/* each stub has its own position */
	h_assert_get(s, "/repeat", 202, "pending");
	h_server_stop_ok(s);
}

#define SEQ_THREADS 8
#define SEQ_REQUESTS 40
#define SEQ_N 5

struct seq_worker {
	const struct h_server *s;
	const char *path;
	int bodies[SEQ_N];          /* how often each response was served */
	int other;                  /* anything else (failures) */
	unsigned long seqs[SEQ_REQUESTS];
};

static void *seq_run(void *arg)
{
	struct seq_worker *w = arg;
	struct h_client *c = h_client_create();

	for (int i = 0; i < SEQ_REQUESTS; i++) {
		struct h_response *r = h_client_request(c, w->s, NULL, w->path, NULL, 0, NULL);
		const char *q = h_header(r, "X-Seq");

		if (r->status == 200 && r->body_len == 2 && r->body[0] == 'r' && r->body[1] >= '0' &&
		    r->body[1] < '0' + SEQ_N)
			w->bodies[r->body[1] - '0']++;
		else
			w->other++;
		w->seqs[i] = q ? strtoul(q, NULL, 10) : 0;
	}
	return NULL;
}

/* N threads x M requests: every position is served exactly as often as the sequence
 * says, and every hit gets its own seq. */
static void concurrent_sequence(const char *mode, const char *path)
{
	char *yaml = h_fmt("- name: seq\n"
			   "  request: { path: %s }\n"
			   "  sequence: %s\n"
			   "  responses:\n"
			   "    - { body: r0, headers: { X-Seq: \"{{seq}}\" } }\n"
			   "    - { body: r1, headers: { X-Seq: \"{{seq}}\" } }\n"
			   "    - { body: r2, headers: { X-Seq: \"{{seq}}\" } }\n"
			   "    - { body: r3, headers: { X-Seq: \"{{seq}}\" } }\n"
			   "    - { body: r4, headers: { X-Seq: \"{{seq}}\" } }\n",
			   path, mode);
	struct h_server *s = serve_yaml(yaml);
	static struct seq_worker w[SEQ_THREADS];
	pthread_t t[SEQ_THREADS];
	int total[SEQ_N] = { 0 };
	static bool seen[SEQ_THREADS * SEQ_REQUESTS + 1];

	for (int i = 0; i < SEQ_THREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].s = s;
		w[i].path = path;
		cr_assert_eq(pthread_create(&t[i], NULL, seq_run, &w[i]), 0);
	}
	for (int i = 0; i < SEQ_THREADS; i++)
		pthread_join(t[i], NULL);
	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < SEQ_THREADS; i++) {
		cr_expect_eq(w[i].other, 0, "thread %d got %d unexpected answers", i, w[i].other);
		for (int k = 0; k < SEQ_N; k++)
			total[k] += w[i].bodies[k];
		for (int k = 0; k < SEQ_REQUESTS; k++) {
			unsigned long q = w[i].seqs[k];
			cr_expect(q >= 1 && q <= SEQ_THREADS * SEQ_REQUESTS, "seq %lu out of range", q);
			if (q >= 1 && q <= SEQ_THREADS * SEQ_REQUESTS) {
				cr_expect(!seen[q], "seq %lu served twice", q);
				seen[q] = true;
			}
		}
	}
	if (strcmp(mode, "cycle") == 0) {
		for (int k = 0; k < SEQ_N; k++)
			cr_expect_eq(total[k], SEQ_THREADS * SEQ_REQUESTS / SEQ_N, "r%d served %d times", k, total[k]);
	} else {
		for (int k = 0; k + 1 < SEQ_N; k++)
			cr_expect_eq(total[k], 1, "r%d served %d times", k, total[k]);
		cr_expect_eq(total[SEQ_N - 1], SEQ_THREADS * SEQ_REQUESTS - (SEQ_N - 1));
	}
	h_server_stop_ok(s);
}

Test(dynamic, concurrent_repeat_last_is_exactly_once)
{
	concurrent_sequence("repeat_last", "/rl");
}

Test(dynamic, concurrent_cycle_is_exactly_once)
{
	concurrent_sequence("cycle", "/cy");
}

/* ---- scenarios ----------------------------------------------------------------------- */

static const char cart_yaml[] =
	"- name: empty-cart\n"
	"  scenario: cart\n"
	"  state: start\n"
	"  request: { method: GET, path: /cart }\n"
	"  response: { json: { items: [] } }\n"
	"- name: full-cart\n"
	"  scenario: cart\n"
	"  state: full\n"
	"  request: { method: GET, path: /cart }\n"
	"  response: { json: { items: [42] } }\n"
	"- name: add\n"
	"  scenario: cart\n"
	"  request: { method: POST, path: /cart }\n"
	"  next_state: full\n"
	"  response: { status: 201 }\n"
	"- name: clear\n"
	"  scenario: cart\n"
	"  state: full\n"
	"  request: { method: DELETE, path: /cart }\n"
	"  next_state: start\n"
	"  response: { status: 204 }\n"
	"- name: checkout\n"
	"  scenario: cart\n"
	"  state: paid\n"
	"  request: { method: GET, path: /receipt }\n"
	"  response: { body: paid }\n"
	"- name: generic\n"
	"  request: { method: GET, path: /generic }\n"
	"  response: { body: generic }\n"
	"- name: generic-when-full\n"
	"  scenario: cart\n"
	"  state: full\n"
	"  request: { method: GET, path: /generic }\n"
	"  response: { body: full }\n";

Test(dynamic, scenario_states)
{
	struct h_server *s = serve_yaml(cart_yaml);

	h_assert_get(s, "/cart", 200, "{\"items\":[]}");
	h_assert_get(s, "/generic", 200, "generic");
	/* DELETE needs state full: no stub answers yet */
	cr_expect_eq(h_request(s, "DELETE", "/cart", NULL, NULL)->status, 404);
	cr_expect_eq(h_request(s, "POST", "/cart", "x", NULL)->status, 201);
	h_assert_get(s, "/cart", 200, "{\"items\":[42]}");
	/* state: counts as a condition, so the stub tied to the state wins over the plain one */
	h_assert_get(s, "/generic", 200, "full");
	cr_expect_eq(h_request(s, "DELETE", "/cart", NULL, NULL)->status, 204);
	h_assert_get(s, "/cart", 200, "{\"items\":[]}");

	/* a stub that only misses its state is a near miss that says so */
	struct h_response *r = h_get(s, "/receipt");
	cr_expect_eq(r->status, 404);
	cr_expect(h_contains(r->body, "\"stub\":\"checkout\""), "%s", r->body);
	cr_expect(h_contains(r->body, "scenario cart: expected state \\\"paid\\\", got \\\"start\\\""), "%s", r->body);
	h_server_stop_ok(s);
}

#define RACE_THREADS 8
#define RACE_REQUESTS 20

struct racer {
	const struct h_server *s;
	int won, lost, other;
};

static void *race(void *arg)
{
	struct racer *w = arg;
	struct h_client *c = h_client_create();

	for (int i = 0; i < RACE_REQUESTS; i++) {
		struct h_response *r = h_client_request(c, w->s, "POST", "/race", "x", 1, NULL);
		if (r->status == 201 && strcmp(r->body, "winner") == 0)
			w->won++;
		else if (r->status == 409 && strcmp(r->body, "taken") == 0)
			w->lost++;
		else
			w->other++;
	}
	return NULL;
}

/* Many clients race on a stub that moves its scenario out of the state it needs: exactly
 * one of them gets it, because matching, choosing and moving are one step. */
Test(dynamic, scenario_transition_is_atomic)
{
	struct h_server *s = serve_yaml("- name: first\n"
					"  scenario: race\n"
					"  state: start\n"
					"  next_state: taken\n"
					"  request: { method: POST, path: /race }\n"
					"  response: { status: 201, body: winner }\n"
					"- name: later\n"
					"  request: { method: POST, path: /race }\n"
					"  response: { status: 409, body: taken }\n");
	static struct racer w[RACE_THREADS];
	pthread_t t[RACE_THREADS];
	int won = 0, lost = 0, other = 0;

	for (int i = 0; i < RACE_THREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].s = s;
		cr_assert_eq(pthread_create(&t[i], NULL, race, &w[i]), 0);
	}
	for (int i = 0; i < RACE_THREADS; i++) {
		pthread_join(t[i], NULL);
		won += w[i].won;
		lost += w[i].lost;
		other += w[i].other;
	}
	cr_expect_eq(won, 1, "exactly one winner, got %d", won);
	cr_expect_eq(lost, RACE_THREADS * RACE_REQUESTS - 1);
	cr_expect_eq(other, 0);
	h_server_stop_ok(s);
}

Test(dynamic, reload_keeps_counters_and_scenarios)
{
	const char *dir = h_stub_dir("a.yaml", sequence_yaml, "b.yaml", cart_yaml, NULL);
	struct h_server *s = h_serve(dir, "--no-watch", NULL);

	h_assert_get(s, "/repeat", 202, "pending");
	cr_expect_eq(h_request(s, "POST", "/cart", "x", NULL)->status, 201);
	/* the same ids and scenario names, a changed definition */
	h_write_file(dir, "a.yaml",
		     "- name: repeat\n"
		     "  request: { path: /repeat }\n"
		     "  responses:\n"
		     "    - { status: 202, body: pending }\n"
		     "    - { status: 202, body: still running }\n"
		     "    - { body: done }\n");
	cr_expect_eq(h_request(s, "POST", "/__cannery/reload", "", NULL)->status, 200);
	h_assert_get(s, "/repeat", 202, "still running");
	h_assert_get(s, "/cart", 200, "{\"items\":[42]}");
	h_server_stop_ok(s);
}

/* ---- delays -------------------------------------------------------------------------- */

#define DELAYED 200

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return size * n;
}

/* Runs n GETs of path at once (one connection each); returns how many answered 200. */
static int concurrent_gets(const struct h_server *s, const char *path, int n)
{
	CURLM *m = curl_multi_init();
	CURL **e = calloc((size_t)n, sizeof(*e));
	char *url = h_fmt("%s%s", s->url, path);
	int ok = 0, running = 0;

	cr_assert(m && e);
	curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L);
	for (int i = 0; i < n; i++) {
		e[i] = curl_easy_init();
		curl_easy_setopt(e[i], CURLOPT_URL, url);
		curl_easy_setopt(e[i], CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(e[i], CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(e[i], CURLOPT_FORBID_REUSE, 1L);
		curl_easy_setopt(e[i], CURLOPT_TIMEOUT_MS, 60000L);
		curl_multi_add_handle(m, e[i]);
	}
	do {
		curl_multi_perform(m, &running);
		if (running)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	} while (running);
	for (int i = 0; i < n; i++) {
		long status = 0;
		curl_easy_getinfo(e[i], CURLINFO_RESPONSE_CODE, &status);
		if (status == 200)
			ok++;
		curl_multi_remove_handle(m, e[i]);
		curl_easy_cleanup(e[i]);
	}
	curl_multi_cleanup(m);
	free(e);
	return ok;
}

/* 200 requests to a 1 s stub at once, with the default thread pool: a delay holds no
 * thread, so they all finish in about 1 s (5 s allows for a loaded machine). */
Test(dynamic, delays_hold_no_thread)
{
	struct h_server *s = serve_yaml("name: slow\n"
					"request: { path: /slow }\n"
					"response: { body: slow, delay: 1s }\n");
	double t0 = now_s();
	int ok = concurrent_gets(s, "/slow", DELAYED);
	double took = now_s() - t0;

	cr_expect_eq(ok, DELAYED, "%d of %d answered 200", ok, DELAYED);
	cr_expect_geq(took, 0.99, "a 1 s delay answered in %.3f s", took);
	cr_expect_lt(took, 5.0, "%d concurrent 1 s delays took %.2f s", DELAYED, took);
	cr_log_info("%d concurrent 1 s delays took %.3f s\n", DELAYED, took);
	h_server_stop_ok(s);
}

Test(dynamic, delay_range_and_other_requests_meanwhile)
{
	struct h_server *s = serve_yaml("- name: range\n"
					"  request: { path: /range }\n"
					"  response: { body: r, delay: { min: 200ms, max: 400ms } }\n"
					"- name: fast\n"
					"  request: { path: /fast }\n"
					"  response: { body: f }\n");
	for (int i = 0; i < 3; i++) {
		double t0 = now_s();
		h_assert_get(s, "/range", 200, "r");
		double took = now_s() - t0;
		cr_expect_geq(took, 0.199, "a {min: 200ms} delay answered in %.3f s", took);
		cr_expect_lt(took, 5.0);
	}
	h_assert_get(s, "/fast", 200, "f");
	h_server_stop_ok(s);
}

/* SIGTERM while requests wait on a long delay: they are answered at once and the server
 * exits cleanly (no connection left suspended, nothing leaked under ASan). */
Test(dynamic, shutdown_with_pending_delays)
{
	struct h_server *s = serve_yaml("name: sleepy\n"
					"request: { path: /sleepy }\n"
					"response: { body: zzz, delay: 600s }\n");
	static const char req[] = "GET /sleepy HTTP/1.1\r\nHost: localhost\r\n\r\n";
	int fds[3];

	for (int i = 0; i < 3; i++) {
		fds[i] = h_connect(s);
		h_sock_exchange(fds[i], req, sizeof(req) - 1, H_UNTIL_RESPONSE, 1);
		cr_assert(h_wait_server_read(s, fds[i]), "the server did not read request %d", i);
	}
	/* the requests are surely suspended once the access log could have shown them */
	h_assert_get(s, "/sleepy-not", 404, NULL);
	double t0 = now_s();
	h_server_signal(s, SIGTERM);
	for (int i = 0; i < 3; i++) {
		struct h_raw *r = h_sock_exchange(fds[i], "", 0, H_UNTIL_RESPONSE, H_DEADLINE_MS);
		cr_expect_eq(r->status, 200, "request %d: %s", i, r->data);
		cr_expect(h_contains(r->data, "zzz"), "request %d: %s", i, r->data);
	}
	cr_expect_eq(h_server_wait(s, H_DEADLINE_MS), 0);
	cr_expect_lt(now_s() - t0, 5.0, "shutdown waited on the delays");
}

/* ---- faults -------------------------------------------------------------------------- */

Test(dynamic, fault_reset_closes_without_a_response)
{
	struct h_server *s = serve_yaml("- name: reset\n"
					"  request: { path: /reset }\n"
					"  response: { status: 200, body: never sent, fault: reset }\n"
					"- name: late-reset\n"
					"  request: { path: /late }\n"
					"  response: { fault: reset, delay: 100ms }\n"
					"- name: flaky\n"
					"  request: { path: /flaky }\n"
					"  sequence: cycle\n"
					"  responses: [ { fault: reset }, { body: ok } ]\n");
	static const char *const paths[] = { "/reset", "/late", "/flaky" };

	for (size_t i = 0; i < 3; i++) {
		struct h_raw *r = h_raw_str(s, h_fmt("GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", paths[i]));
		cr_expect(r->closed, "%s: the connection should be closed", paths[i]);
		cr_expect(r->reset, "%s: the connection should be reset, not closed cleanly", paths[i]);
		cr_expect_eq(r->len, 0, "%s: nothing may be sent, got: %s", paths[i], r->data);
		cr_expect_eq(r->ncomplete, 0);
	}
	struct h_response *c = h_get(s, "/reset");
	cr_expect_eq(c->status, 0, "curl sees no response");
	cr_expect_neq(c->curl_code, 0);
	h_assert_get(s, "/flaky", 200, "ok");
	/* the server keeps serving */
	struct h_raw *r = h_raw_str(s, "GET /flaky HTTP/1.1\r\nHost: localhost\r\n\r\n");
	cr_expect_eq(r->len, 0);
	h_assert_get(s, "/flaky", 200, "ok");
	cr_expect(h_server_wait_log(s, "GET /reset 0 reset fault: reset", NULL) != NULL, "log:\n%s", h_server_stderr(s));
	cr_expect(!h_contains(h_server_stderr(s), "internal error"), "a fault is not an error:\n%s", h_server_stderr(s));
	h_server_stop_ok(s);
}

/* ---- --seed -------------------------------------------------------------------------- */

static const char seeded_yaml[] =
	"name: random\n"
	"request: { path: /r }\n"
	"response:\n"
	"  headers: { X-Id: \"{{uuid}}\" }\n"
	"  json: { id: \"{{uuid}}\", roll: \"{{random_int 1 1000000 | number}}\" }\n";

static char *three_bodies(const char *dir, const char *seed)
{
	struct h_server *s = h_serve(dir, "--seed", seed, NULL);
	char *all = h_fmt("%s", "");

	for (int i = 0; i < 3; i++) {
		struct h_response *r = h_get(s, "/r");
		cr_expect_eq(r->status, 200);
		all = h_fmt("%s%s %s\n", all, h_header(r, "X-Id"), r->body);
	}
	h_server_stop_ok(s);
	return all;
}

Test(dynamic, seed_reproduces_random_values)
{
	const char *dir = h_stub_dir("r.yaml", seeded_yaml, NULL);
	char *a = three_bodies(dir, "42");
	char *b = three_bodies(dir, "42");
	char *c = three_bodies(dir, "43");

	cr_expect_str_eq(a, b, "the same seed gives the same values");
	cr_expect_str_neq(a, c, "another seed gives other values");
	/* without --seed, two runs differ */
	struct h_server *s1 = h_serve(dir, NULL);
	struct h_server *s2 = h_serve(dir, NULL);
	cr_expect_str_neq(h_get(s1, "/r")->body, h_get(s2, "/r")->body);
	h_server_stop_ok(s1);
	h_server_stop_ok(s2);
}

/* ---- reset and the journal (issues 4 and 5 together) ------------------------------------- */

Test(dynamic, admin_reset_restarts_sequences_scenarios_and_counters)
{
	struct h_server *s = serve_yaml(sequence_yaml);

	h_assert_get(s, "/repeat", 202, "pending");
	h_assert_get(s, "/repeat", 202, "running");
	h_assert_get(s, "/cycle", 200, "a");
	cr_expect_eq(h_request(s, "POST", "/__cannery/reset", "", NULL)->status, 204);
	h_assert_get(s, "/repeat", 202, "pending");
	h_assert_get(s, "/cycle", 200, "a");
	h_assert_get(s, "/cycle", 200, "b");
	/* seq counts from 1 again after the reset */
	h_assert_get(s, "/cycle", 200, "c3");
	h_server_stop_ok(s);

	s = serve_yaml(cart_yaml);
	cr_expect_eq(h_request(s, "POST", "/cart", "x", NULL)->status, 201);
	h_assert_get(s, "/generic", 200, "full");
	cr_expect_eq(h_request(s, "POST", "/__cannery/reset", "", NULL)->status, 204);
	h_assert_get(s, "/generic", 200, "generic");
	h_server_stop_ok(s);
}

Test(dynamic, delayed_reset_and_preflight_answers_are_journaled)
{
	struct h_server *s = serve_yaml("- name: slow\n"
					"  request: { path: /slow }\n"
					"  response: { body: late, delay: 50ms }\n"
					"- name: reset\n"
					"  request: { path: /reset }\n"
					"  response: { fault: reset }\n");

	h_assert_get(s, "/slow", 200, "late");
	cr_expect_eq(h_get(s, "/reset")->status, 0);
	const char *const pre[] = { "Origin: http://app.test", "Access-Control-Request-Method: PUT", NULL };
	cr_expect_eq(h_request(s, "OPTIONS", "/slow", NULL, pre)->status, 204);
	struct h_response *r = h_get(s, "/__cannery/requests");
	cr_assert_eq(r->status, 200);
	cr_expect(h_contains(r->body, "\"path\":\"/slow\",") && h_contains(r->body, "\"stub\":\"slow\",\"status\":200"),
		  "%s", r->body);
	cr_expect(h_contains(r->body, "\"stub\":\"reset\""), "the reset request is journaled: %s", r->body);
	cr_expect(h_contains(r->body, "\"method\":\"OPTIONS\""), "the preflight is journaled: %s", r->body);
	cr_expect(h_contains(r->body, "\"total\":3"), "%s", r->body);
	h_server_stop_ok(s);
}
