/* SPDX-License-Identifier: MIT */
/* Unit tests for pipeline.c with hand-built exchanges, the way the HTTP adapter drives it:
 * begin, handle (again after each resume), end. Stubs and misses, refusals by the header
 * checks and the body limit, admin calls (answered at once or deferred), delays through
 * the timer thread (also cancelled, also with the client gone), faults, proxying, the set
 * a request holds, and what is recorded: the journal (once, at the answer), the metrics
 * and the access log. Resumes are awaited on a condition variable, never slept for. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "journal.h"
#include "metrics.h"
#include "pipeline.h"
#include "proxy.h"
#include "reply_cache.h"
#include "testutil.h"
#include "timers.h"
#include "util/strbuf.h"

static struct rig rig;

static void setup(void)
{
	rig_init(&rig, NULL);
	add_stubs(rig.srv, "- name: hello\n"
			   "  request: { method: GET, path: /hello }\n"
			   "  response: { body: hi }\n"
			   "- name: echo\n"
			   "  request: { method: POST, path: /echo, body: { json_partial: { a: 1 } } }\n"
			   "  response: { status: 201, body: '{{ request.body }}' }\n"
			   "- name: slow\n"
			   "  request: { path: /slow }\n"
			   "  response: { body: late, delay: 20ms }\n"
			   "- name: forever\n"
			   "  request: { path: /forever }\n"
			   "  response: { body: never, delay: 600s }\n"
			   "- name: reset\n"
			   "  request: { path: /reset }\n"
			   "  response: { fault: reset }\n");
}

static void teardown(void)
{
	rig_release(&rig);
}

TestSuite(pipeline, .init = setup, .fini = teardown, .timeout = 60);

/* ---- an exchange as the adapter makes one ---- */

struct tx {
	struct exchange x;              /* first: the callbacks get &t->x */
	struct kv headers[8];
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int suspended, resumed;
	pthread_t resumed_on;
};

static void tx_suspend(struct exchange *x)
{
	struct tx *t = (struct tx *)x;
	pthread_mutex_lock(&t->lock);
	t->suspended++;
	pthread_mutex_unlock(&t->lock);
}

static void tx_resume(struct exchange *x)
{
	struct tx *t = (struct tx *)x;
	pthread_mutex_lock(&t->lock);
	t->resumed++;
	t->resumed_on = pthread_self();
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

/* A request with the "Name: value" lines of headers (NULL-terminated; NULL: just
 * "Host: 127.0.0.1") and body (NULL: none). */
static void tx_init(struct tx *t, const char *method, const char *path, const char *const *headers,
		    const char *body)
{
	static const char *const host_only[] = { "Host: 127.0.0.1", NULL };
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
	struct exchange *x = &t->x;
	arena_init(&x->arena);
	clock_gettime(CLOCK_MONOTONIC, &x->start);
	clock_gettime(CLOCK_REALTIME, &x->wall);
	x->suspend = tx_suspend;
	x->resume = tx_resume;
	x->view.arena = &x->arena;
	x->view.method = method;
	x->view.path = path;
	x->raw_uri = path;
	for (const char *const *h = headers ? headers : host_only; *h; h++) {
		const char *colon = strchr(*h, ':');
		cr_assert(colon && x->view.nheaders < 8, "bad header line %s", *h);
		struct kv *kv = &t->headers[x->view.nheaders++];
		kv->name = arena_strndup(&x->arena, *h, (size_t)(colon - *h));
		kv->value = colon + 1 + strspn(colon + 1, " ");
		kv->len = strlen(kv->value);
	}
	x->view.headers = t->headers;
	x->view.body = body;
	x->view.body_len = body ? strlen(body) : 0;
}

#define HEADERS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* begin, then handle unless begin answered: what the adapter does once the body is in. */
static enum pipe_result run(struct tx *t)
{
	enum pipe_result r = pipeline_begin(rig.pipeline, &t->x);
	if (r == PIPE_CONTINUE)
		r = pipeline_handle(rig.pipeline, &t->x);
	return r;
}

/* The request is over; frees what the adapter owns. */
static void finish(struct tx *t, bool ended_early)
{
	pipeline_end(rig.pipeline, &t->x, ended_early);
	arena_release(&t->x.arena);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
}

/* Blocks until t was resumed n times in all; false at the deadline. */
static bool await_resume(struct tx *t, int n)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += TEST_DEADLINE_MS / 1000;
	pthread_mutex_lock(&t->lock);
	int rc = 0;
	while (t->resumed < n && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&t->cond, &t->lock, &until);
	bool ok = t->resumed >= n;
	pthread_mutex_unlock(&t->lock);
	return ok;
}

/* The reply's body as text (a fixed stub response is expanded first, as the adapter does). */
static const char *body_of(struct tx *t)
{
	struct reply *r = &t->x.reply;
	if (r->fixed || r->serve_shared)
		reply_expand(r, &t->x.arena);
	return r->body ? arena_strndup(&t->x.arena, r->body, r->body_len) : "";
}

/* The value of the reply's first header called name, or NULL. */
static const char *header_of(const struct tx *t, const char *name)
{
	for (size_t i = 0; i < t->x.reply.nheaders; i++)
		if (strcasecmp(t->x.reply.headers[i].name, name) == 0)
			return t->x.reply.headers[i].value;
	return NULL;
}

/* ---- what was recorded ---- */

static size_t journaled(void)
{
	struct journal_stats st;
	journal_stats(rig.ax->journal, &st);
	return st.entries;
}

/* The journal holds n entries, the last with this status, stub (NULL: none) and path. */
static void expect_journal(size_t n, int status, const char *stub, const char *path)
{
	struct journal_snapshot snap;
	journal_snapshot(rig.ax->journal, 0, &snap);
	cr_expect_eq(snap.n, n, "journal entries: %zu, want %zu", snap.n, n);
	if (snap.n && n) {
		const struct journal_entry *e = snap.v[snap.n - 1];
		cr_expect_eq(e->status, status, "journaled status %d, want %d", e->status, status);
		if (stub)
			cr_expect(e->stub && strcmp(e->stub, stub) == 0, "journaled stub %s, want %s",
				  e->stub ? e->stub : "(none)", stub);
		else
			cr_expect_null(e->stub, "journaled stub %s, want none", e->stub);
		cr_expect_str_eq(e->path, path);
	}
	journal_snapshot_release(&snap);
}

/* Whether the metrics text has this line. */
static bool metric(const char *line)
{
	struct metrics_extra none = { 0 };
	struct strbuf sb = STRBUF_INIT;
	metrics_render(rig.ax->metrics, &none, &sb);
	struct strbuf want = STRBUF_INIT;
	strbuf_addf(&want, "\n%s\n", line);
	bool found = strstr(sb.buf, want.buf) != NULL;
	strbuf_release(&want);
	strbuf_release(&sb);
	return found;
}

/* ---- the admin prefix ---- */

Test(pipeline, admin_paths)
{
	static const char *const admin[] = { "/__cannery", "/__cannery/", "/__cannery/health", "/__cannery/a/b" };
	static const char *const other[] = { "/", "/__canner", "/__canneryx", "/__cannery2/health", "/x/__cannery",
					     "__cannery/health", "" };
	for (size_t i = 0; i < sizeof(admin) / sizeof(admin[0]); i++)
		cr_expect(pipeline_is_admin_path(admin[i]), "%s", admin[i]);
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		cr_expect_not(pipeline_is_admin_path(other[i]), "%s", other[i]);
}

/* ---- stubs ---- */

Test(pipeline, matched_stub_is_answered_journaled_and_counted)
{
	struct tx t;
	tx_init(&t, "GET", "/hello", NULL, NULL);
	cr_assert_eq(pipeline_begin(rig.pipeline, &t.x), PIPE_CONTINUE, "the body is read next");
	cr_expect_eq(journaled(), 0, "nothing journaled before the answer");
	cr_assert_eq(pipeline_handle(rig.pipeline, &t.x), PIPE_ANSWER);
	cr_expect_eq(t.x.reply.status, 200);
	cr_expect_str_eq(t.x.reply.stub_id, "hello");
	cr_expect_str_eq(body_of(&t), "hi");
	cr_expect_eq(t.suspended + t.resumed, 0);
	expect_journal(1, 200, "hello", "/hello");
	cr_expect(metric("cannery_requests_total{status=\"200\",matched=\"true\"} 1"));
	cr_expect(metric("cannery_stub_hits_total{stub=\"hello\"} 1"));
	/* handling an answered exchange again changes nothing */
	cr_expect_eq(pipeline_handle(rig.pipeline, &t.x), PIPE_ANSWER);
	finish(&t, false);
	expect_journal(1, 200, "hello", "/hello");
	cr_expect(metric("cannery_requests_total{status=\"200\",matched=\"true\"} 1"));
}

Test(pipeline, the_body_reaches_matcher_template_and_journal)
{
	struct tx t;
	tx_init(&t, "POST", "/echo", HEADERS("Host: localhost:8080", "Content-Type: application/json"),
		"{\"a\":1,\"b\":2}");
	cr_assert_eq(run(&t), PIPE_ANSWER);
	cr_expect_eq(t.x.reply.status, 201);
	cr_expect_str_eq(body_of(&t), "{\"a\":1,\"b\":2}");
	struct journal_snapshot snap;
	journal_snapshot(rig.ax->journal, 0, &snap);
	cr_assert_eq(snap.n, 1);
	cr_expect_str_eq(snap.v[0]->body, "{\"a\":1,\"b\":2}");
	cr_expect_eq(snap.v[0]->nheaders, 2);
	journal_snapshot_release(&snap);
	finish(&t, false);
}

Test(pipeline, miss_is_404_with_cors)
{
	struct tx t;
	tx_init(&t, "GET", "/nothing", NULL, NULL);
	cr_assert_eq(run(&t), PIPE_ANSWER);
	cr_expect_eq(t.x.reply.status, 404);
	cr_expect_null(t.x.reply.stub_id);
	cr_expect(strstr(body_of(&t), "\"near_misses\""), "%s", body_of(&t));
	cr_expect_str_eq(header_of(&t, "Access-Control-Allow-Origin"), "*");
	expect_journal(1, 404, NULL, "/nothing");
	cr_expect(metric("cannery_requests_total{status=\"404\",matched=\"false\"} 1"));
	finish(&t, false);
}

Test(pipeline, no_cors_headers_when_cors_is_off)
{
	struct tx t;
	rig.cfg.cors = false;
	rig_rebuild(&rig);
	tx_init(&t, "GET", "/nothing", NULL, NULL);
	cr_assert_eq(run(&t), PIPE_ANSWER);
	cr_expect_eq(t.x.reply.status, 404);
	cr_expect_null(header_of(&t, "Access-Control-Allow-Origin"));
	finish(&t, false);
}

Test(pipeline, a_request_keeps_the_set_it_started_with)
{
	struct tx t;
	tx_init(&t, "GET", "/hello", NULL, NULL);
	cr_assert_eq(pipeline_begin(rig.pipeline, &t.x), PIPE_CONTINUE);
	cr_assert_eq(cannery_server_remove_stub(rig.srv, "hello"), 0);
	cr_assert_eq(pipeline_handle(rig.pipeline, &t.x), PIPE_ANSWER);
	cr_expect_eq(t.x.reply.status, 200, "answered from the set it began with");
	cr_expect_str_eq(body_of(&t), "hi");
	finish(&t, false);
	/* the next request sees the new set */
	tx_init(&t, "GET", "/hello", NULL, NULL);
	cr_assert_eq(run(&t), PIPE_ANSWER);
	cr_expect_eq(t.x.reply.status, 404);
	finish(&t, false);
}

Test(pipeline, fault_reset_is_journaled_with_status_0)
{
	struct tx t;
	tx_init(&t, "GET", "/reset", NULL, NULL);
	cr_assert_eq(run(&t), PIPE_ANSWER);
	cr_expect(t.x.reply.fault == STUB_FAULT_RESET);
	cr_expect_str_eq(strbuf_str(&t.x.note), "fault: reset");
	expect_journal(1, 0, "reset", "/reset");
	cr_expect(metric("cannery_requests_total{status=\"0\",matched=\"true\"} 1"));
	finish(&t, true);
}

/* ---- refusals ---- */

/* t was refused with status: a JSON error with CORS, noted for the log, journaled and
 * counted as a miss. */
static void expect_refused(struct tx *t, int status, const char *path)
{
	char line[96];
	cr_expect_eq(t->x.reply.status, status);
	cr_expect(strncmp(body_of(t), "{\"error\":", 9) == 0, "%s", body_of(t));
	cr_expect_str_eq(t->x.reply.content_type, "application/json");
	cr_expect_str_eq(header_of(t, "Access-Control-Allow-Origin"), "*");
	cr_expect(strncmp(strbuf_str(&t->x.note), "refused: ", 9) == 0, "%s", strbuf_str(&t->x.note));
	expect_journal(1, status, NULL, path);
	snprintf(line, sizeof(line), "cannery_requests_total{status=\"%d\",matched=\"false\"} 1", status);
	cr_expect(metric(line), "%s", line);
}

Test(pipeline, foreign_host_is_refused_before_the_body)
{
	struct tx t;
	tx_init(&t, "POST", "/echo", HEADERS("Host: evil.example"), NULL);
	cr_assert_eq(pipeline_begin(rig.pipeline, &t.x), PIPE_ANSWER, "refused on its headers alone");
	expect_refused(&t, 403, "/echo");
	cr_expect(strstr(body_of(&t), "evil.example"), "the body names the host: %s", body_of(&t));
	finish(&t, false);
}

/* The status GET /hello gets with these headers, as HTTP/1.0 or 1.1, with the authority
 * of an absolute-form target (or NULL). */
static int hello_status(const char *const *headers, bool http10, const char *authority)
{
	struct tx t;
	tx_init(&t, "GET", "/hello", headers, NULL);
	t.x.http10 = http10;
	t.x.authority = authority;
	cr_assert_eq(run(&t), PIPE_ANSWER);
	int status = t.x.reply.status;
	finish(&t, false);
	return status;
}

Test(pipeline, host_rules)
{
	static const char *const allowed[] = { "example.test" };
	/* HTTP/1.1 needs a Host; HTTP/1.0 may go without */
	cr_expect_eq(hello_status(HEADERS("Accept: */*"), false, NULL), 400, "no Host");
	cr_expect_eq(hello_status(HEADERS("Accept: */*"), true, NULL), 200, "HTTP/1.0 without Host");
	cr_expect_eq(hello_status(HEADERS("Host: [::1]:80"), false, NULL), 200, "IPv6 loopback");
	/* an absolute-form target's authority stands in for Host */
	cr_expect_eq(hello_status(HEADERS("Host: evil.example"), false, "127.0.0.1:8080"), 200, "a loopback authority");
	cr_expect_eq(hello_status(HEADERS("Host: localhost"), false, "evil.example"), 403, "a foreign authority");
	/* --allow-host */
	rig.cfg.allow_hosts = allowed;
	rig.cfg.nallow_hosts = 1;
	rig_rebuild(&rig);
	cr_expect_eq(hello_status(HEADERS("Host: example.test:1234"), false, NULL), 200, "an allowed host");
	cr_expect_eq(hello_status(HEADERS("Host: example.tests"), false, NULL), 403, "not quite the allowed host");
	/* not bound to loopback: no Host check */
	rig.cfg.loopback = false;
	rig.cfg.nallow_hosts = 0;
	rig_rebuild(&rig);
	cr_expect_eq(hello_status(HEADERS("Host: anything.example"), false, NULL), 200, "no Host check off loopback");
	expect_journal(8, 200, "hello", "/hello");
}

Test(pipeline, too_large_is_413)
{
	struct tx t;
	tx_init(&t, "POST", "/echo", NULL, NULL);
	cr_assert_eq(pipeline_begin(rig.pipeline, &t.x), PIPE_CONTINUE);
	cr_assert_eq(pipeline_too_large(rig.pipeline, &t.x), PIPE_ANSWER);
	expect_refused(&t, 413, "/echo");
	cr_expect_str_eq(strbuf_str(&t.x.note), "refused: request body too large");
	finish(&t, false);
}

/* ---- the admin API ---- */

Test(pipeline, admin_calls_are_answered_but_not_journaled)
{
	struct tx t;
	tx_init(&t, "GET", "/__cannery/health", NULL, NULL);
	cr_assert_eq(run(&t), PIPE_ANSWER);
	cr_expect_eq(t.x.reply.status, 200);
	cr_expect_str_eq(t.x.reply.stub_id, "admin");
	cr_expect(strstr(body_of(&t), "\"stubs\":5"), "%s", body_of(&t));
	cr_expect_null(header_of(&t, "Access-Control-Allow-Origin"), "no CORS on admin answers");
	finish(&t, false);
	tx_init(&t, "DELETE", "/__cannery/requests", NULL, NULL);
	cr_assert_eq(run(&t), PIPE_ANSWER);
	cr_expect_eq(t.x.reply.status, 204);
	finish(&t, false);
	expect_journal(0, 0, NULL, NULL);
	cr_expect_not(metric("cannery_requests_total{status=\"200\",matched=\"true\"} 1"), "admin calls are not counted");
}

Test(pipeline, refused_admin_calls_carry_no_cors)
{
	struct tx t;
	tx_init(&t, "GET", "/__cannery/health", HEADERS("Host: evil.example"), NULL);
	cr_assert_eq(pipeline_begin(rig.pipeline, &t.x), PIPE_ANSWER);
	cr_expect_eq(t.x.reply.status, 403);
	cr_expect_null(header_of(&t, "Access-Control-Allow-Origin"));
	finish(&t, false);
	expect_journal(0, 0, NULL, NULL);
}

Test(pipeline, admin_body_and_origin_reach_the_admin_api)
{
	struct tx t;
	tx_init(&t, "POST", "/__cannery/stubs", HEADERS("Host: 127.0.0.1", "Origin: http://evil.example"),
		"request: { path: /new }\n");
	cr_assert_eq(run(&t), PIPE_ANSWER);
	cr_expect_eq(t.x.reply.status, 403, "%s", body_of(&t));
	finish(&t, false);
	tx_init(&t, "POST", "/__cannery/stubs", NULL, "request: { path: /new }\n");
	cr_assert_eq(run(&t), PIPE_ANSWER);
	cr_expect_eq(t.x.reply.status, 201, "%s", body_of(&t));
	cr_expect_str_eq(body_of(&t), "{\"ids\":[\"runtime-1\"]}");
	finish(&t, false);
	cr_expect_eq(cannery_server_stub_count(rig.srv), 6);
}

Test(pipeline, deferred_admin_wait_resumes_when_a_request_arrives)
{
	struct tx w, t;
	tx_init(&w, "POST", "/__cannery/requests/wait", NULL, "{\"request\":{\"path\":\"/hello\"},\"timeout_ms\":60000}");
	cr_assert_eq(run(&w), PIPE_DEFER);
	cr_expect_eq(w.suspended, 1, "parked before anything can resume it");
	cr_expect_eq(w.resumed, 0);
	/* the matching request is journaled before its answer: the wait ends on this thread */
	tx_init(&t, "GET", "/hello", NULL, NULL);
	cr_assert_eq(run(&t), PIPE_ANSWER);
	cr_expect_eq(w.resumed, 1);
	cr_expect(pthread_equal(w.resumed_on, pthread_self()));
	finish(&t, false);
	cr_assert_eq(pipeline_handle(rig.pipeline, &w.x), PIPE_ANSWER);
	cr_expect_eq(w.x.reply.status, 200);
	cr_expect_str_eq(body_of(&w), "{\"count\":1}");
	cr_expect_str_eq(w.x.reply.content_type, "application/json");
	finish(&w, false);
	expect_journal(1, 200, "hello", "/hello");
}

Test(pipeline, deferred_admin_wait_times_out_on_the_timer_thread)
{
	struct tx w;
	tx_init(&w, "POST", "/__cannery/requests/wait", NULL, "{\"request\":{\"path\":\"/hello\"},\"timeout_ms\":0}");
	cr_assert_eq(run(&w), PIPE_DEFER);
	cr_assert(await_resume(&w, 1), "not resumed within %d ms", TEST_DEADLINE_MS);
	cr_expect_not(pthread_equal(w.resumed_on, pthread_self()));
	cr_assert_eq(pipeline_handle(rig.pipeline, &w.x), PIPE_ANSWER);
	cr_expect_eq(w.x.reply.status, 408);
	cr_expect_str_eq(body_of(&w), "{\"count\":0}");
	finish(&w, false);
}

/* ---- delays ---- */

Test(pipeline, delay_resumes_from_the_timer_thread_and_journals_then)
{
	struct tx t;
	tx_init(&t, "GET", "/slow", NULL, NULL);
	cr_assert_eq(run(&t), PIPE_DEFER);
	cr_expect_eq(t.suspended, 1);
	cr_expect_eq(t.x.reply.delay_ms, 20);
	cr_assert(await_resume(&t, 1), "not resumed within %d ms", TEST_DEADLINE_MS);
	cr_expect_not(pthread_equal(t.resumed_on, pthread_self()), "resumed by the timer thread");
	cr_expect_eq(journaled(), 0, "journaled when answered, not when resumed");
	cr_assert_eq(pipeline_handle(rig.pipeline, &t.x), PIPE_ANSWER);
	cr_expect_eq(t.x.reply.status, 200);
	cr_expect_str_eq(body_of(&t), "late");
	expect_journal(1, 200, "slow", "/slow");
	struct journal_snapshot snap;
	journal_snapshot(rig.ax->journal, 0, &snap);
	cr_expect_geq(snap.v[0]->duration_ms, 20.0, "the duration includes the delay: %f", snap.v[0]->duration_ms);
	journal_snapshot_release(&snap);
	finish(&t, false);
	expect_journal(1, 200, "slow", "/slow");
}

Test(pipeline, closing_the_timers_ends_delays_at_once)
{
	struct tx t;
	tx_init(&t, "GET", "/forever", NULL, NULL);
	cr_assert_eq(run(&t), PIPE_DEFER);
	cr_expect_eq(t.resumed, 0);
	/* what a stopping server does: the cancelled delay resumes on this thread */
	timers_close(rig.timers);
	cr_assert_eq(t.resumed, 1);
	cr_assert_eq(pipeline_handle(rig.pipeline, &t.x), PIPE_ANSWER);
	cr_expect_eq(t.x.reply.status, 200);
	cr_expect_str_eq(body_of(&t), "never");
	finish(&t, false);
	expect_journal(1, 200, "forever", "/forever");
}

Test(pipeline, a_client_gone_during_a_delay_is_still_journaled)
{
	struct tx t;
	tx_init(&t, "GET", "/forever", NULL, NULL);
	cr_assert_eq(run(&t), PIPE_DEFER);
	cr_expect_eq(journaled(), 0);
	pipeline_end(rig.pipeline, &t.x, true);
	expect_journal(1, 200, "forever", "/forever");
	cr_expect(metric("cannery_requests_total{status=\"200\",matched=\"true\"} 1"));
	/* the timer still holds the exchange: end it before the exchange goes */
	timers_close(rig.timers);
	cr_expect_eq(t.resumed, 1);
	arena_release(&t.x.arena);
	expect_journal(1, 200, "forever", "/forever");
}

/* ---- the access log ---- */

static int log_fd;
static char *log_path;

/* Points the pipeline's log at a fresh file with this verbosity. */
static void log_to_file(int level)
{
	log_path = tmpfile_create("pipeline-log");
	log_fd = open(log_path, O_WRONLY | O_APPEND);
	cr_assert(log_fd >= 0, "open %s: %s", log_path, strerror(errno));
	rig.cfg.log_fd = log_fd;
	rig.cfg.log = level;
	rig_rebuild(&rig);
}

/* What was logged (caller frees); the file goes. */
static char *take_log(void)
{
	char *log = slurp(log_path);
	close(log_fd);
	unlink(log_path);
	free(log_path);
	return log;
}

/* One whole request, from begin to end. */
static void one(const char *method, const char *path, const char *const *headers, bool ended_early)
{
	struct tx t;
	tx_init(&t, method, path, headers, NULL);
	run(&t);
	finish(&t, ended_early);
}

Test(pipeline, access_log_lines)
{
	log_to_file(CANNERY_LOG_NORMAL);
	one("GET", "/hello", NULL, false);
	one("GET", "/reset", NULL, true);
	one("PUT", "/x", HEADERS("Host: evil.example"), false);
	one("GET", "/__cannery/health", NULL, false);
	char *log = take_log();
	cr_expect_eq(count_substr(log, "\n"), 4, "one line per request: %s", log);
	cr_expect(strstr(log, "Z GET /hello 200 hello "), "%s", log);
	cr_expect(strstr(log, "Z GET /reset 0 reset fault: reset (connection ended early) "), "%s", log);
	cr_expect(strstr(log, "Z PUT /x 403 refused: "), "%s", log);
	cr_expect(strstr(log, "Z GET /__cannery/health 200 admin "), "admin calls are logged: %s", log);
	free(log);
}

Test(pipeline, verbose_log_explains_a_miss)
{
	log_to_file(CANNERY_LOG_VERBOSE);
	one("GET", "/hellp", NULL, false);
	char *log = take_log();
	cr_expect(strstr(log, "Z GET /hellp 404 "), "%s", log);
	cr_expect_gt(count_substr(log, "\n"), 1, "the mismatches follow the line: %s", log);
	cr_expect(strstr(log, "hello"), "the near miss is named: %s", log);
	free(log);
}

Test(pipeline, quiet_writes_nothing)
{
	log_to_file(CANNERY_LOG_QUIET);
	one("GET", "/hello", NULL, false);
	char *log = take_log();
	cr_expect_str_eq(log, "");
	free(log);
}

/* ---- proxying ---- */

/* A proxy to a loopback port that refuses connections: bound, never listening. */
static int refusing_port(unsigned *port)
{
	struct sockaddr_in sa = { 0 };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static struct proxy *px;
static int refusing_fd = -1;

/* The pipeline again, with a proxy to a port that refuses connections. */
static void proxy_to_nowhere(bool all)
{
	unsigned port;
	char url[64], *err = NULL;
	refusing_fd = refusing_port(&port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", port);
	cr_assert_eq(proxy_create(url, 0, 0, &px, &err), 0, "%s", err ? err : "");
	rig.cfg.proxy = px;
	rig.cfg.proxy_all = all;
	rig_rebuild(&rig);
}

static void drop_proxy(void)
{
	proxy_destroy(px);
	close(refusing_fd);
}

/* Runs t through the proxy: deferred, resumed by the proxy thread, then answered. */
static void forward(struct tx *t)
{
	cr_assert_eq(run(t), PIPE_DEFER);
	cr_expect_eq(t->suspended, 1);
	cr_assert(await_resume(t, 1), "the proxy did not answer within %d ms", TEST_DEADLINE_MS);
	cr_assert_eq(pipeline_handle(rig.pipeline, &t->x), PIPE_ANSWER);
}

Test(pipeline, a_miss_is_forwarded_and_an_unreachable_upstream_is_502)
{
	struct tx t;
	proxy_to_nowhere(false);
	tx_init(&t, "GET", "/nothing", NULL, NULL);
	forward(&t);
	cr_expect_eq(t.x.reply.status, 502);
	cr_expect(strstr(body_of(&t), "{\"error\":\"upstream http://127.0.0.1:"), "%s", body_of(&t));
	cr_expect(strncmp(strbuf_str(&t.x.note), "proxy failed: ", 14) == 0, "%s", strbuf_str(&t.x.note));
	cr_expect_str_eq(header_of(&t, "Access-Control-Allow-Origin"), "*");
	expect_journal(1, 502, NULL, "/nothing");
	finish(&t, false);
	cr_expect_eq(hello_status(NULL, false, NULL), 200, "a stub still wins without proxy_all");
	drop_proxy();
}

Test(pipeline, proxy_all_forwards_even_a_stubbed_request)
{
	struct tx t;
	proxy_to_nowhere(true);
	tx_init(&t, "GET", "/hello", NULL, NULL);
	forward(&t);
	cr_expect_eq(t.x.reply.status, 502);
	cr_expect_null(t.x.reply.stub_id);
	finish(&t, false);
	drop_proxy();
}

Test(pipeline, a_target_without_a_path_cannot_be_forwarded)
{
	struct tx t;
	proxy_to_nowhere(false);
	tx_init(&t, "OPTIONS", "/nothing", NULL, NULL);
	t.x.raw_uri = "*";     /* authority-form ("example.com:443") the guard refuses before */
	cr_assert_eq(run(&t), PIPE_ANSWER);
	cr_expect_eq(t.x.reply.status, 400);
	cr_expect_str_eq(strbuf_str(&t.x.note), "refused: cannot forward this request target");
	expect_journal(1, 400, NULL, "/nothing");
	finish(&t, false);
	drop_proxy();
}
