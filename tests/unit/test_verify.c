/* SPDX-License-Identifier: MIT */
/* Unit tests for verify.c: journal entries against request matchers loaded with
 * stub_load_matcher (the same text POST /__cannery/verify takes): one entry, counts over
 * a snapshot, near misses in their order, and counting from several threads. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "testutil.h"
#include "verify.h"

/* A request as the journal keeps it. query, headers and cookies: "name=value" lines
 * separated by '&' (NULL for none); body may be NULL. */
struct sent {
	const char *method, *path, *query, *headers, *cookies, *body;
};

static size_t split(const char *spec, struct kv *out, size_t max, char *store, size_t cap)
{
	size_t n = 0;
	if (!spec)
		return 0;
	snprintf(store, cap, "%s", spec);
	for (char *p = store; p && *p && n < max;) {
		char *amp = strchr(p, '&');
		if (amp)
			*amp = '\0';
		char *eq = strchr(p, '=');
		cr_assert_not_null(eq, "no '=' in '%s'", p);
		*eq = '\0';
		out[n].name = p;
		out[n].value = eq + 1;
		out[n].len = strlen(eq + 1);
		n++;
		p = amp ? amp + 1 : NULL;
	}
	return n;
}

static struct journal_entry *entry(const struct sent *r)
{
	struct kv q[8], h[8], c[8];
	char qs[256], hs[256], cs[256];
	struct journal_draft d = { 0 };
	d.method = r->method ? r->method : "GET";
	d.path = r->path ? r->path : "/";
	d.status = 200;
	d.query = q;
	d.nquery = split(r->query, q, 8, qs, sizeof(qs));
	d.headers = h;
	d.nheaders = split(r->headers, h, 8, hs, sizeof(hs));
	d.cookies = c;
	d.ncookies = split(r->cookies, c, 8, cs, sizeof(cs));
	d.body = r->body;
	d.body_len = r->body ? strlen(r->body) : 0;
	return journal_entry_create(&d);
}

struct match_case {
	const char *matcher;
	struct sent req;
	bool want;
};

static const struct match_case match_cases[] = {
	/* no text, or a null matcher: every request */
	{ NULL, { .method = "DELETE", .path = "/anything" }, true },
	{ "null", { .method = "POST", .path = "/x" }, true },
	{ "{}", { .method = "GET", .path = "/" }, true },
	{ "method: POST", { .method = "POST", .path = "/x" }, true },
	{ "method: POST", { .method = "GET", .path = "/x" }, false },
	{ "method: [GET, PUT]", { .method = "PUT", .path = "/x" }, true },
	{ "path: /api/users", { .method = "GET", .path = "/api/users" }, true },
	{ "path: /api/users", { .method = "GET", .path = "/api/users/1" }, false },
	{ "path: \"/api/users/{id}\"", { .method = "GET", .path = "/api/users/1" }, true },
	{ "path: \"/api/users/{id}\"", { .method = "GET", .path = "/api/users/1/orders" }, false },
	{ "path_regex: '/api/users/[0-9]+'", { .method = "GET", .path = "/api/users/12" }, true },
	{ "path_regex: '/api/users/[0-9]+'", { .method = "GET", .path = "/api/users/ab" }, false },
	{ "request: { method: GET, path: /a }", { .method = "GET", .path = "/a" }, true },
	{ "request: { method: GET, path: /a }", { .method = "GET", .path = "/b" }, false },
	{ "query: { page: \"2\" }", { .method = "GET", .path = "/", .query = "page=2&size=10" }, true },
	{ "query: { page: \"2\" }", { .method = "GET", .path = "/", .query = "page=3" }, false },
	{ "query: { page: { present: false } }", { .method = "GET", .path = "/", .query = "size=1" }, true },
	/* header names are compared case-insensitively; the journal stores them lower-case */
	{ "headers: { X-Trace: abc }", { .method = "GET", .path = "/", .headers = "X-TRACE=abc" }, true },
	{ "headers: { X-Trace: abc }", { .method = "GET", .path = "/", .headers = "x-trace=abd" }, false },
	/* the real value, not the "[redacted]" the JSON shows */
	{ "headers: { Authorization: { prefix: \"Bearer \" } }", { .method = "GET", .path = "/", .headers = "Authorization=Bearer t0k" }, true },
	{ "cookies: { session: s1 }", { .method = "GET", .path = "/", .cookies = "session=s1" }, true },
	{ "cookies: { session: s1 }", { .method = "GET", .path = "/", .cookies = "session=s2" }, false },
	{ "body: { contains: needle }", { .method = "POST", .path = "/", .body = "hay needle hay" }, true },
	{ "body: { contains: needle }", { .method = "POST", .path = "/" }, false },
	{ "body: { json_partial: { name: Ada } }", { .method = "POST", .path = "/", .body = "{\"name\":\"Ada\",\"n\":1}" }, true },
	{ "body: { json_partial: { name: Ada } }", { .method = "POST", .path = "/", .body = "{\"name\":\"Bob\"}" }, false },
	{ "{\"method\": \"POST\", \"path\": \"/json\"}", { .method = "POST", .path = "/json" }, true },
	{ "method: POST\npath: /both\nquery: { a: \"1\" }", { .method = "POST", .path = "/both", .query = "a=1" }, true },
	{ "method: POST\npath: /both\nquery: { a: \"1\" }", { .method = "POST", .path = "/both", .query = "a=2" }, false },
};

Test(verify, entry_matches)
{
	for (size_t i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
		const struct match_case *c = &match_cases[i];
		struct stub *m = load_matcher(c->matcher);
		struct journal_entry *e = entry(&c->req);
		cr_expect_eq(verify_entry_matches(m, e), c->want, "case %zu: '%s' on %s %s: expected %s", i,
			     c->matcher ? c->matcher : "(none)", e->method, e->path, c->want ? "a match" : "no match");
		journal_entry_unref(e);
		stub_destroy(m);
	}
}

/* A journal holding one entry per request, in order. */
static struct journal *journal_of(const struct sent *reqs, size_t n)
{
	struct journal *j = journal_create(100);
	for (size_t i = 0; i < n; i++)
		journal_append(j, entry(&reqs[i]));
	return j;
}

static const struct sent mixed[] = {
	{ .method = "GET", .path = "/a" },
	{ .method = "POST", .path = "/a", .body = "x" },
	{ .method = "GET", .path = "/b" },
	{ .method = "GET", .path = "/a", .query = "q=1" },
	{ .method = "DELETE", .path = "/a" },
	{ .method = "GET", .path = "/a" },
};

Test(verify, count_over_a_snapshot)
{
	struct journal *j = journal_of(mixed, 6);
	struct journal_snapshot snap;
	journal_snapshot(j, 0, &snap);
	static const struct {
		const char *matcher;
		size_t want;
	} cases[] = {
		{ NULL, 6 },
		{ "path: /a", 5 },
		{ "{ method: GET, path: /a }", 3 },
		{ "{ method: GET, path: /a, query: { q: \"1\" } }", 1 },
		{ "path: /c", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct stub *m = load_matcher(cases[i].matcher);
		cr_expect_eq(verify_count(m, &snap), cases[i].want, "'%s'", cases[i].matcher ? cases[i].matcher : "");
		stub_destroy(m);
	}
	uint64_t last = snap.last_seq;
	journal_snapshot_release(&snap);

	/* an empty snapshot counts nothing */
	journal_snapshot(j, last, &snap);
	cr_expect_eq(snap.n, 0);
	struct stub *m = load_matcher(NULL);
	cr_expect_eq(verify_count(m, &snap), 0);
	stub_destroy(m);
	journal_snapshot_release(&snap);
	journal_destroy(j);
}

Test(verify, near_misses_fewest_failures_then_newest)
{
	static const struct sent reqs[] = {
		{ .method = "GET", .path = "/x" },                     /* seq 1: method and path wrong: 2 */
		{ .method = "POST", .path = "/x" },                    /* seq 2: path wrong: 1 */
		{ .method = "GET", .path = "/orders" },                /* seq 3: method wrong: 1 */
		{ .method = "POST", .path = "/orders" },               /* seq 4: matches */
		{ .method = "PUT", .path = "/elsewhere" },             /* seq 5: 2 */
	};
	struct journal *j = journal_of(reqs, 5);
	struct journal_snapshot snap;
	journal_snapshot(j, 0, &snap);
	struct stub *m = load_matcher("{ method: POST, path: /orders }");
	struct verify_miss out[VERIFY_MAX_NEAR_MISSES];
	size_t n = verify_near_misses(m, &snap, out, VERIFY_MAX_NEAR_MISSES);
	cr_assert_eq(n, 4, "every entry but the matching one");
	static const uint64_t want_seq[] = { 3, 2, 5, 1 };
	static const unsigned want_failed[] = { 1, 1, 2, 2 };
	for (size_t i = 0; i < n; i++) {
		cr_expect_eq(out[i].entry->seq, want_seq[i], "miss %zu", i);
		cr_expect_eq(out[i].failed, want_failed[i], "miss %zu", i);
		cr_expect_eq(out[i].why.n, out[i].failed, "one line per failed condition");
	}
	cr_expect(strstr(out[0].why.items[0], "method") != NULL, "%s", out[0].why.items[0]);
	cr_expect(strstr(out[1].why.items[0], "path") != NULL, "%s", out[1].why.items[0]);
	verify_miss_release(out, n);

	/* max keeps the best ones */
	n = verify_near_misses(m, &snap, out, 1);
	cr_assert_eq(n, 1);
	cr_expect_eq(out[0].entry->seq, 3);
	verify_miss_release(out, n);
	n = verify_near_misses(m, &snap, out, 3);
	cr_assert_eq(n, 3);
	cr_expect_eq(out[2].entry->seq, 5);
	verify_miss_release(out, n);
	cr_expect_eq(verify_near_misses(m, &snap, out, 0), 0);

	stub_destroy(m);
	journal_snapshot_release(&snap);
	journal_destroy(j);
}

Test(verify, near_misses_are_capped)
{
	struct sent reqs[40];
	char paths[40][16];
	for (int i = 0; i < 40; i++) {
		snprintf(paths[i], sizeof(paths[i]), "/p%d", i);
		reqs[i] = (struct sent){ .method = "GET", .path = paths[i] };
	}
	struct journal *j = journal_of(reqs, 40);
	struct journal_snapshot snap;
	journal_snapshot(j, 0, &snap);
	struct stub *m = load_matcher("path: /wanted");
	struct verify_miss out[VERIFY_MAX_NEAR_MISSES + 8];
	size_t n = verify_near_misses(m, &snap, out, VERIFY_MAX_NEAR_MISSES + 8);
	cr_assert_eq(n, VERIFY_MAX_NEAR_MISSES);
	/* all equal: the most recent ones, newest first */
	for (size_t i = 0; i < n; i++)
		cr_expect_eq(out[i].entry->seq, 40 - i);
	verify_miss_release(out, n);
	stub_destroy(m);
	journal_snapshot_release(&snap);
	journal_destroy(j);
}

Test(verify, no_near_misses_when_all_match)
{
	struct journal *j = journal_of(mixed, 6);
	struct journal_snapshot snap;
	journal_snapshot(j, 0, &snap);
	struct stub *m = load_matcher(NULL);
	struct verify_miss out[4];
	cr_expect_eq(verify_near_misses(m, &snap, out, 4), 0);
	stub_destroy(m);
	journal_snapshot_release(&snap);
	journal_destroy(j);
}

/* ---- pure functions: one matcher and snapshot, several threads ---- */

#define THREADS 4

struct shared {
	const struct stub *m;
	const struct journal_snapshot *snap;
	size_t counts[THREADS];
	int next;
};

static void *count_many(void *p)
{
	struct shared *sh = p;
	int me = __atomic_fetch_add(&sh->next, 1, __ATOMIC_RELAXED);
	size_t c = 0;
	for (int i = 0; i < 200; i++) {
		c += verify_count(sh->m, sh->snap);
		struct verify_miss out[2];
		verify_miss_release(out, verify_near_misses(sh->m, sh->snap, out, 2));
	}
	sh->counts[me] = c;
	return NULL;
}

Test(verify, any_thread)
{
	struct journal *j = journal_of(mixed, 6);
	struct journal_snapshot snap;
	journal_snapshot(j, 0, &snap);
	struct stub *m = load_matcher("{ method: GET, path: /a, body: { json_partial: {} } }");
	size_t alone = verify_count(m, &snap);
	struct shared sh = { m, &snap, { 0 }, 0 };
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, count_many, &sh), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < THREADS; i++)
		cr_expect_eq(sh.counts[i], 200 * alone);
	stub_destroy(m);
	journal_snapshot_release(&snap);
	journal_destroy(j);
}
