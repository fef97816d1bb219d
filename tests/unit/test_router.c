/* SPDX-License-Identifier: MIT */
/* The route index: winner order, the exact hash with any-method merge, the template
 * trie with backtracking, the regex/pathless scan, scale, and near misses. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "matcher.h"
#include "regex.h"
#include "router.h"
#include "stub.h"
#include "testutil.h"
#include "util/arena.h"
#include "util/rng.h"
#include "util/xalloc.h"

/* ---- builders ----------------------------------------------------------------- */

/* Every test's stubs and router; teardown frees them. */
static struct stub **stubs;
static size_t nstubs, astubs;
static struct router *router;

static void setup(void)
{
	stubs = NULL;
	nstubs = astubs = 0;
	router = NULL;
}

static void teardown(void)
{
	router_destroy(router);
	for (size_t i = 0; i < nstubs; i++)
		stub_destroy(stubs[i]);
	free(stubs);
}

TestSuite(router, .init = setup, .fini = teardown);

/*
 * A stub in load order (order = its index) accepting methods (a space-separated list,
 * "" for any) and path: "/x" exact, "/x/{id}" template, "~REGEX" path_regex, NULL none.
 */
static struct stub *add_stub(const char *id, const char *methods, const char *path)
{
	struct stub *s = xcalloc(1, sizeof(*s));
	s->id = xstrdup(id);
	s->priority = 100;
	s->order = nstubs;
	for (const char *p = methods; *p;) {
		size_t n = strcspn(p, " ");
		s->req.methods = xrealloc(s->req.methods, (s->req.nmethods + 1) * sizeof(char *));
		s->req.methods[s->req.nmethods++] = xstrndup(p, n);
		p += n;
		p += strspn(p, " ");
	}
	if (!path) {
		s->req.path_kind = PATH_NONE;
	} else if (path[0] == '~') {
		set_path_regex(s, path + 1);
	} else if (!strchr(path, '{')) {
		s->req.path_kind = PATH_EXACT;
		s->req.path = xstrdup(path);
	} else {
		set_path_template(s, path);
	}
	if (nstubs == astubs) {
		astubs = astubs ? 2 * astubs : 16;
		stubs = xrealloc(stubs, astubs * sizeof(*stubs));
	}
	stubs[nstubs++] = s;
	return s;
}

/* Adds a header condition `name: equals value`. */
static void add_header_cond(struct stub *s, const char *name, const char *value)
{
	s->req.headers = xrealloc(s->req.headers, (s->req.nheaders + 1) * sizeof(*s->req.headers));
	struct named_matcher *nm = &s->req.headers[s->req.nheaders++];
	memset(nm, 0, sizeof(*nm));
	nm->name = xstrdup(name);
	nm->m.clauses = xcalloc(1, sizeof(*nm->m.clauses));
	nm->m.n = 1;
	nm->m.clauses[0].op = MATCH_EQUALS;
	nm->m.clauses[0].text = xstrdup(value);
	s->nconds++;
}

/* The router takes load order from the array: sort a copy by each stub's order. */
static const struct stub *loaded[16384];

static int cmp_order(const void *a, const void *b)
{
	const struct stub *x = *(const struct stub *const *)a, *y = *(const struct stub *const *)b;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void build(void)
{
	cr_assert_leq(nstubs, sizeof(loaded) / sizeof(loaded[0]));
	for (size_t i = 0; i < nstubs; i++)
		loaded[i] = stubs[i];
	qsort(loaded, nstubs, sizeof(loaded[0]), cmp_order);
	router = router_build(loaded, nstubs);
	cr_assert_not_null(router);
}

/* Where s stands in the winner order. */
static size_t rank_of(const struct stub *s)
{
	for (size_t i = 0; i < nstubs; i++)
		if (loaded[i] == s)
			return router_rank(router, i);
	return SIZE_MAX;
}

/* The id of the winner for a bare request, or "(none)". */
static const char *winner(const char *method, const char *path)
{
	static char id[64];
	struct req q;
	req_init(&q, method, path);
	const struct stub *s = router_lookup(router, &q.v, &q.params);
	snprintf(id, sizeof(id), "%s", s ? s->id : "(none)");
	req_fini(&q);
	return id;
}

static const char *param(const struct params *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->items[i].name, name) == 0)
			return p->items[i].value;
	return NULL;
}

/* ---- winner order ------------------------------------------------------------- */

Test(router, empty)
{
	build();
	cr_expect_str_eq(winner("GET", "/"), "(none)");
	cr_expect_null(router_lookup(NULL, &(struct req_view){ .method = "GET", .path = "/" }, NULL));
}

Test(router, priority_wins)
{
	add_stub("late-but-urgent", "GET", "/x")->priority = 100;
	add_stub("first", "GET", "/x")->priority = 200;
	stubs[0]->order = 5;
	build();
	cr_expect_str_eq(winner("GET", "/x"), "late-but-urgent");
	cr_expect_eq(rank_of(stubs[0]), 0);
	cr_expect_eq(rank_of(stubs[1]), 1);
}

Test(router, priority_beats_path_kind)
{
	add_stub("exact", "GET", "/users/me");
	add_stub("template", "GET", "/users/{id}")->priority = 1;
	add_stub("none", "GET", NULL)->priority = 0;
	add_stub("regex", "GET", "~/users/.*")->priority = 50;
	build();
	cr_expect_str_eq(winner("GET", "/users/me"), "none");
	stubs[2]->req.methods[0][0] = 'X';      /* "XET": the pathless stub no longer applies */
	cr_expect_str_eq(winner("GET", "/users/me"), "template");
}

Test(router, fallback_tier_answers_only_what_the_main_tier_misses)
{
	struct stub *op = add_stub("operation", "GET", "/users/{id}");
	op->tier = STUB_TIER_FALLBACK;
	op->priority = 0;                       /* priority ranks only within a tier */
	struct stub *any = add_stub("any-operation", "", NULL);
	any->tier = STUB_TIER_FALLBACK;
	add_stub("stub", "GET", "/users/7")->priority = 200;
	add_stub("late-regex", "GET", "~/users/[0-9]+")->priority = 300;
	build();
	cr_expect_str_eq(winner("GET", "/users/7"), "stub", "a main-tier stub beats any fallback");
	cr_expect_str_eq(winner("GET", "/users/42"), "late-regex", "even a late, low-priority one");
	cr_expect_str_eq(winner("GET", "/users/me"), "operation", "the fallback answers a main-tier miss");
	cr_expect_str_eq(winner("PUT", "/x"), "any-operation");
	cr_expect_eq(rank_of(stubs[0]), 2, "fallback stubs rank after every main-tier stub");
	cr_expect_eq(rank_of(stubs[1]), 3);
}

/*
 * Stubs that differ only in path kind, method lists and load order, and who wins. The
 * strings are arrays, not pointers: Criterion hands the parameters to a worker process
 * where a pointer into this one means nothing.
 */
struct winner_case {
	char what[48];
	char stubs[4][3][24];           /* id, methods, path as add_stub takes them ("" path: none) */
	char lookups[6][3][24];         /* method, path, the winner's id or "(none)" */
};

ParameterizedTestParameters(router, winners)
{
	static struct winner_case cases[] = {
		{ "exact_beats_template",
		  {
			{ "template", "GET", "/users/{id}" },
			{ "exact", "GET", "/users/me" },
		  },
		  {
			{ "GET", "/users/me", "exact" },
			{ "GET", "/users/42", "template" },
		  } },
		{ "template_beats_regex",
		  {
			{ "regex", "GET", "~/users/[a-z0-9]+" },
			{ "template", "GET", "/users/{id}" },
		  },
		  {
			{ "GET", "/users/me", "template" },
			{ "GET", "/users/", "(none)" },
		  } },
		{ "regex_beats_none",
		  {
			{ "none", "", "" },
			{ "regex", "", "~/r/.*" },
		  },
		  {
			{ "GET", "/r/1", "regex" },
			{ "GET", "/other", "none" },
		  } },
		{ "exact_and_any_method_merge",
		  {
			{ "get", "GET", "/x" },
			{ "any", "", "/x" },
			{ "post-put", "POST PUT", "/x" },
			{ "any-kw", "ANY", "/y" },
		  },
		  {
			{ "GET", "/x", "get" },
			{ "get", "/x", "get" },
			{ "DELETE", "/x", "any" },
			{ "put", "/x", "any" },
			{ "PATCH", "/y", "any-kw" },
			{ "GET", "/x/", "(none)" },
		  } },
		{ "template_param_branch_can_win_by_rank",
		  {
			{ "param", "GET", "/a/{x}/c" },
			{ "literal", "GET", "/a/b/{y}" },
		  },
		  {
			{ "GET", "/a/b/c", "param" },
			{ "GET", "/a/b/d", "literal" },
			{ "GET", "/a/z/c", "param" },
		  } },
		{ "template_rest_loses_to_earlier_specific",
		  {
			{ "meta", "GET", "/files/{id}/meta" },
			{ "rest", "GET", "/files/{path*}" },
		  },
		  {
			{ "GET", "/files/1/meta", "meta" },
			{ "GET", "/files/1/meta/x", "rest" },
		  } },
		{ "template_trailing_slash",
		  {
			{ "one", "GET", "/u/{id}" },
			{ "slash", "GET", "/u/{id}/" },
		  },
		  {
			{ "GET", "/u/1", "one" },
			{ "GET", "/u/1/", "slash" },
			{ "GET", "/u/", "(none)" },
			{ "GET", "/u//", "(none)" },
			{ "GET", "u/1", "(none)" },
		  } },
	};
	return cr_make_param_array(struct winner_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct winner_case *c, router, winners)
{
	for (size_t i = 0; i < 4 && c->stubs[i][0][0]; i++)
		add_stub(c->stubs[i][0], c->stubs[i][1], c->stubs[i][2][0] ? c->stubs[i][2] : NULL);
	build();
	for (size_t i = 0; i < 6 && c->lookups[i][0][0]; i++)
		cr_expect_str_eq(winner(c->lookups[i][0], c->lookups[i][1]), c->lookups[i][2], "%s: %s %s", c->what,
				 c->lookups[i][0], c->lookups[i][1]);
}

Test(router, more_conditions_first)
{
	add_stub("plain", "GET", "/x");
	add_header_cond(add_stub("one", "GET", "/x"), "a", "1");
	struct stub *two = add_stub("two", "GET", "/x");
	add_header_cond(two, "a", "1");
	add_header_cond(two, "b", "2");
	build();
	struct req q;
	req_init(&q, "GET", "/x");
	cr_expect_str_eq(router_lookup(router, &q.v, NULL)->id, "plain");
	req_header(&q, "A", "1");
	cr_expect_str_eq(router_lookup(router, &q.v, NULL)->id, "one");
	req_header(&q, "B", "2");
	cr_expect_str_eq(router_lookup(router, &q.v, NULL)->id, "two");
	req_fini(&q);
	cr_expect_eq(rank_of(two), 0);
}

Test(router, load_order_last)
{
	add_stub("b", "GET", "/x")->order = 2;
	add_stub("a", "GET", "/x")->order = 1;
	add_stub("c", "GET", "/x")->order = 3;
	build();
	cr_expect_str_eq(winner("GET", "/x"), "a");
	cr_expect_eq(rank_of(stubs[1]), 0);
	cr_expect_eq(rank_of(stubs[0]), 1);
	cr_expect_eq(rank_of(stubs[2]), 2);
}

/* ---- exact hash --------------------------------------------------------------- */

Test(router, exact_any_first_by_rank)
{
	add_stub("any", "", "/x");
	add_header_cond(add_stub("get-cond", "GET", "/x"), "h", "1");
	add_stub("get", "GET", "/x");
	build();
	/* get-cond ranks first (a condition), then any (earlier), then get */
	struct req q;
	req_init(&q, "GET", "/x");
	req_header(&q, "h", "1");
	cr_expect_str_eq(router_lookup(router, &q.v, NULL)->id, "get-cond");
	req_fini(&q);
	cr_expect_str_eq(winner("GET", "/x"), "any");
}

Test(router, exact_params_empty)
{
	add_stub("x", "", "/x");
	build();
	struct req q;
	req_init(&q, "GET", "/x");
	q.params.n = 99;
	cr_assert_not_null(router_lookup(router, &q.v, &q.params));
	cr_expect_eq(q.params.n, 0);
	req_fini(&q);
}

/* ---- template trie ------------------------------------------------------------ */

Test(router, template_literal_and_param_at_same_level)
{
	add_stub("by-id", "GET", "/users/{id}/profile");
	add_stub("me", "GET", "/users/me/{section}/edit");
	add_stub("me-any", "GET", "/users/me/{section}");
	build();
	/* literal branch dead-ends at "profile" != "edit": backtrack into {id} */
	struct req q;
	req_init(&q, "GET", "/users/me/profile");
	const struct stub *s = router_lookup(router, &q.v, &q.params);
	cr_assert_not_null(s);
	cr_expect_str_eq(s->id, "by-id");
	cr_expect_str_eq(param(&q.params, "id"), "me");
	req_fini(&q);
	cr_expect_str_eq(winner("GET", "/users/me/x/edit"), "me");
	cr_expect_str_eq(winner("GET", "/users/me/x"), "me-any");
	cr_expect_str_eq(winner("GET", "/users/42/profile"), "by-id");
	cr_expect_str_eq(winner("GET", "/users/42/x"), "(none)");
}

Test(router, template_conditions_fall_through)
{
	add_header_cond(add_stub("admin", "GET", "/users/{id}"), "x-role", "admin");
	add_stub("user", "GET", "/users/{id}");
	add_stub("post", "POST", "/users/{id}");
	build();
	struct req q;
	req_init(&q, "GET", "/users/7");
	req_header(&q, "X-Role", "admin");
	cr_expect_str_eq(router_lookup(router, &q.v, NULL)->id, "admin");
	req_fini(&q);
	cr_expect_str_eq(winner("GET", "/users/7"), "user");
	cr_expect_str_eq(winner("POST", "/users/7"), "post");
	cr_expect_str_eq(winner("DELETE", "/users/7"), "(none)");
}

Test(router, template_rest)
{
	add_stub("rest", "GET", "/files/{path*}");
	add_stub("meta", "GET", "/files/{id}/meta");
	build();
	struct req q;
	req_init(&q, "GET", "/files/a/b/c.txt");
	const struct stub *s = router_lookup(router, &q.v, &q.params);
	cr_assert_not_null(s);
	cr_expect_str_eq(s->id, "rest");
	cr_assert_eq(q.params.n, 1);
	cr_expect_str_eq(param(&q.params, "path"), "a/b/c.txt");
	req_fini(&q);
	/* same kind and conditions: load order decides, the rest stub came first */
	cr_expect_str_eq(winner("GET", "/files/1/meta"), "rest");
	cr_expect_str_eq(winner("GET", "/files/x"), "rest");
	cr_expect_str_eq(winner("GET", "/files/"), "(none)");
	cr_expect_str_eq(winner("GET", "/files"), "(none)");
}

/* ---- regex and pathless ------------------------------------------------------- */

Test(router, regex_fallback_with_params)
{
	add_stub("exact", "GET", "/orders/new");
	add_stub("regex", "GET", "~/orders/(?<id>[0-9]+)");
	add_stub("catch-all", "", NULL);
	build();
	cr_expect_str_eq(winner("GET", "/orders/new"), "exact");
	struct req q;
	req_init(&q, "GET", "/orders/42");
	const struct stub *s = router_lookup(router, &q.v, &q.params);
	cr_assert_not_null(s);
	cr_expect_str_eq(s->id, "regex");
	cr_expect_str_eq(param(&q.params, "id"), "42");
	req_fini(&q);
	cr_expect_str_eq(winner("GET", "/orders/x"), "catch-all");
	cr_expect_str_eq(winner("POST", "/orders/42"), "catch-all");
}

/* ---- scale -------------------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define MANY 10000

Test(router, ten_thousand_exact, .timeout = 60)
{
	char path[64];
	for (size_t i = 0; i < MANY; i++) {
		snprintf(path, sizeof(path), "/items/%zu", i);
		char id[32];
		snprintf(id, sizeof(id), "e%zu", i);
		add_stub(id, i % 2 ? "GET" : "", path)->order = MANY - i;   /* reverse load order */
	}
	build();
	cr_expect_str_eq(winner("GET", "/items/0"), "e0");
	cr_expect_str_eq(winner("GET", "/items/9999"), "e9999");
	cr_expect_str_eq(winner("POST", "/items/9998"), "e9998");
	cr_expect_str_eq(winner("POST", "/items/9999"), "(none)");
	cr_expect_str_eq(winner("GET", "/items/10000"), "(none)");

	/* a hit costs a hash probe, not a scan: 50k lookups of the last stub are fast */
	struct req q;
	req_init(&q, "GET", "/items/9999");
	double t0 = now_s();
	for (int i = 0; i < 50000; i++)
		cr_assert_not_null(router_lookup(router, &q.v, NULL));
	double dt = now_s() - t0;
	req_fini(&q);
	cr_expect_lt(dt, 2.0, "50000 lookups took %.3fs", dt);
}

Test(router, ten_thousand_templates, .timeout = 60)
{
	char path[64];
	/* interleave literal levels so the trie has wide and deep nodes */
	for (size_t i = 0; i < MANY; i++) {
		snprintf(path, sizeof(path), "/t/%zu/{id}/v%zu", i % 100, i);
		char id[32];
		snprintf(id, sizeof(id), "t%zu", i);
		add_stub(id, "GET", path)->order = (i * 7919) % MANY;  /* scrambled load order */
	}
	build();
	struct req q;
	req_init(&q, "GET", "/t/0/abc/v0");
	const struct stub *s = router_lookup(router, &q.v, &q.params);
	cr_assert_not_null(s);
	cr_expect_str_eq(s->id, "t0");
	cr_expect_str_eq(param(&q.params, "id"), "abc");
	req_fini(&q);
	cr_expect_str_eq(winner("GET", "/t/99/x/v9999"), "t9999");
	cr_expect_str_eq(winner("GET", "/t/98/x/v9999"), "(none)");
	cr_expect_str_eq(winner("GET", "/t/42/x/v4242"), "t4242");

	req_init(&q, "GET", "/t/99/x/v9999");
	double t0 = now_s();
	for (int i = 0; i < 50000; i++)
		cr_assert_not_null(router_lookup(router, &q.v, NULL));
	double dt = now_s() - t0;
	req_fini(&q);
	cr_expect_lt(dt, 2.0, "50000 lookups took %.3fs", dt);
}

/* ---- near misses -------------------------------------------------------------- */

Test(router, near_misses_order_limit_and_text)
{
	/* 0 failures impossible here: nothing matches the request below */
	struct stub *a = add_stub("wrong-everything", "POST", "/other");
	add_header_cond(a, "x", "1");
	struct stub *b = add_stub("needs-auth", "GET", "/api/users");
	add_header_cond(b, "authorization", "Bearer t");
	add_stub("wrong-method", "DELETE", "/api/users");
	add_stub("wrong-path", "GET", "/api/orders");
	struct stub *e = add_stub("two-headers", "GET", "/api/users");
	add_header_cond(e, "a", "1");
	add_header_cond(e, "b", "2");
	build();
	/* ranks: two-headers(0), wrong-everything(1), needs-auth(2), wrong-method(3), wrong-path(4) */

	struct req q;
	req_init(&q, "GET", "/api/users");
	cr_assert_null(router_lookup(router, &q.v, NULL));
	struct near_miss nm[3];
	size_t n = router_near_misses(router, &q.v, nm, 3);
	cr_assert_eq(n, 3);
	cr_expect_str_eq(nm[0].stub->id, "needs-auth");
	cr_expect_eq(nm[0].failed, 1);
	cr_assert_eq(nm[0].why.n, 1);
	cr_expect_str_eq(nm[0].why.items[0], "header authorization: expected \"Bearer t\", got nothing");
	cr_expect_str_eq(nm[1].stub->id, "wrong-method");
	cr_expect_eq(nm[1].failed, 1);
	cr_expect_str_eq(nm[1].why.items[0], "method: expected \"DELETE\", got \"GET\"");
	cr_expect_str_eq(nm[2].stub->id, "wrong-path");
	cr_expect_str_eq(nm[2].why.items[0], "path: expected \"/api/orders\", got \"/api/users\"");
	near_miss_release(nm, n);

	/* a bigger budget brings in the rest, worst last, failures counted in full */
	struct near_miss all[8];
	n = router_near_misses(router, &q.v, all, 8);
	cr_assert_eq(n, 5);
	cr_expect_str_eq(all[3].stub->id, "two-headers");
	cr_expect_eq(all[3].failed, 2);
	cr_expect_str_eq(all[4].stub->id, "wrong-everything");
	cr_expect_eq(all[4].failed, 3);
	cr_assert_eq(all[4].why.n, 3);
	cr_expect_str_eq(all[4].why.items[0], "method: expected \"POST\", got \"GET\"");
	cr_expect_str_eq(all[4].why.items[1], "path: expected \"/other\", got \"/api/users\"");
	cr_expect_str_eq(all[4].why.items[2], "header x: expected \"1\", got nothing");
	near_miss_release(all, n);

	cr_expect_eq(router_near_misses(router, &q.v, nm, 0), 0);
	req_fini(&q);
}

Test(router, near_misses_prefer_the_closest_path_on_a_tie)
{
	/* all four fail once; the template under /api/users is the one a user meant */
	add_stub("logo", "GET", "/static/logo.svg");
	add_stub("orders", "GET", "/api/orders");
	add_stub("user", "GET", "/api/users/{id}");
	add_stub("users-post", "POST", "/api/users/7/x");
	build();
	struct req q;
	req_init(&q, "GET", "/api/users/7/x");
	struct near_miss nm[3];
	size_t n = router_near_misses(router, &q.v, nm, 3);
	cr_assert_eq(n, 3);
	/* the path holds and only the method differs: closest of all */
	cr_expect_str_eq(nm[0].stub->id, "users-post");
	cr_expect_str_eq(nm[1].stub->id, "user");
	cr_expect_str_eq(nm[2].stub->id, "orders");
	near_miss_release(nm, n);
	req_fini(&q);
}

Test(router, near_misses_fewer_stubs_than_max)
{
	add_stub("only", "GET", "/a");
	build();
	struct req q;
	req_init(&q, "GET", "/b");
	struct near_miss nm[3];
	size_t n = router_near_misses(router, &q.v, nm, 3);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(nm[0].stub->id, "only");
	cr_expect_str_eq(nm[0].why.items[0], "path: expected \"/a\", got \"/b\"");
	near_miss_release(nm, n);
	req_fini(&q);
}

Test(router, near_misses_ties_keep_winner_order)
{
	add_stub("a", "GET", "/a");
	add_stub("b", "GET", "/b");
	add_header_cond(add_stub("c", "POST", "/c"), "x", "1");
	build();
	struct req q;
	req_init(&q, "GET", "/c");
	struct near_miss nm[1];
	/* a and b fail once (path); c twice (method, header) and ranks first */
	size_t n = router_near_misses(router, &q.v, nm, 1);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(nm[0].stub->id, "a");
	cr_expect_eq(nm[0].failed, 1);
	near_miss_release(nm, n);
	req_fini(&q);
}

/* ---- WireMock's rule among mappings ---- */

Test(router, mappings_rank_by_priority_then_newest_first)
{
	/* path kind and conditions do not count among mappings: only recency */
	struct stub *old_exact = add_stub("old-exact", "GET", "/users/me");
	struct stub *new_regex = add_stub("new-regex", "GET", "~/users/.*");
	struct stub *newest_none = add_stub("newest-other-priority", "GET", NULL);
	old_exact->insertion = 1;
	new_regex->insertion = 2;
	newest_none->insertion = 3;
	newest_none->priority = 6;
	old_exact->priority = new_regex->priority = 5;
	build();
	cr_expect_str_eq(winner("GET", "/users/me"), "new-regex");
	new_regex->req.methods[0][0] = 'X';
	cr_expect_str_eq(winner("GET", "/users/me"), "old-exact");
	old_exact->req.methods[0][0] = 'X';
	cr_expect_str_eq(winner("GET", "/users/me"), "newest-other-priority");
}

Test(router, a_mapping_beats_other_stubs_of_its_priority)
{
	struct stub *yaml = add_stub("yaml-exact", "GET", "/a");
	struct stub *mapping = add_stub("mapping-regex", "GET", "~/.*");
	yaml->priority = mapping->priority = 5;
	mapping->insertion = 1;
	build();
	cr_expect_str_eq(winner("GET", "/a"), "mapping-regex");
	cr_expect_eq(rank_of(mapping), 0);
}

/* ---- near misses through the index, against counting every stub ---- */

/* path_distance's rule, written again: 0 when the path matches; else 1 + what is left of
 * the request path and of the stub path's literal start after their common prefix. */
static size_t ref_distance(const struct stub *s, struct req_view *req)
{
	if (stub_path_ok(s, req, NULL))
		return 0;
	const char *a = s->req.path, *b = req->path;
	if (!a)
		return 1 + strlen(b);
	bool regex = s->req.path_kind == PATH_REGEX;
	if (regex && a[0] == '^')
		a++;
	const char *meta = regex ? "{\\.^$|?*+()[]}" : "{";
	size_t lit = strcspn(a, meta), i = 0;
	while (i < lit && b[i] && a[i] == b[i])
		i++;
	return 1 + strlen(b + i) + (lit - i);
}

struct ref_miss {
	const struct stub *s;
	unsigned failed;
	size_t dist, rank;
};

static int cmp_ref(const void *x, const void *y)
{
	const struct ref_miss *a = x, *b = y;
	if (a->failed != b->failed)
		return a->failed < b->failed ? -1 : 1;
	if (a->dist != b->dist)
		return a->dist < b->dist ? -1 : 1;
	return a->rank < b->rank ? -1 : a->rank > b->rank;
}

static const char *const seg_words[] = { "api", "users", "user", "orders", "r1", "r12", "r123", "r5000", "42", "43",
					 "v1", "x", "items", "a", "" };

static void random_path(struct rng *r, char *out, size_t size, bool for_stub)
{
	size_t n = 1 + rng_below(r, 5), len = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n && len + 24 < size; i++) {
		const char *w = seg_words[rng_below(r, sizeof seg_words / sizeof *seg_words)];
		if (for_stub && i > 0 && rng_below(r, 8) == 0)
			w = rng_below(r, 6) ? "{id}" : "{rest*}";
		len += (size_t)snprintf(out + len, size - len, "/%s", w);
		if (strstr(w, "*}"))
			break;
	}
	if (!len)
		snprintf(out, size, "/");
}

Test(router, near_misses_through_the_index_equal_counting_every_stub)
{
	static const char *const methods[] = { "GET", "GET", "GET", "POST", "PUT", "", "GET POST", "delete", "ANY" };
	struct rng r;
	rng_seed(&r, 2026);
	char path[160];
	for (size_t i = 0; i < 3000; i++) {
		char id[32];
		snprintf(id, sizeof id, "s%zu", i);
		random_path(&r, path, sizeof path, true);
		size_t kind = rng_below(&r, 40);
		struct stub *s;
		if (kind == 0)   /* pathless: with a header no request sends, or it takes them all */
			add_header_cond(s = add_stub(id, methods[rng_below(&r, 9)], NULL), "x-never", "1");
		else if (kind == 1)
			s = add_stub(id, methods[rng_below(&r, 9)], "~^/api/r[0-9]+/users$");
		else
			s = add_stub(id, methods[rng_below(&r, 9)], path);
		if (rng_below(&r, 5) == 0)
			add_header_cond(s, "x-k", rng_below(&r, 2) ? "1" : "2");
		if (rng_below(&r, 9) == 0)
			add_header_cond(s, "x-j", "1");
		if (rng_below(&r, 50) == 0)
			s->implicit = true;
		if (rng_below(&r, 7) == 0)
			s->priority = 1 + (int)rng_below(&r, 5);
	}
	build();
	static const char *const req_methods[] = { "GET", "POST", "PUT", "DELETE", "PATCH", "get" };
	size_t misses = 0;
	struct ref_miss *ref = xmalloc(nstubs * sizeof *ref);
	for (size_t q = 0; q < 1500; q++) {
		random_path(&r, path, sizeof path, false);
		if (rng_below(&r, 2))   /* a typo, a segment too many */
			path[strlen(path) - 1] = rng_below(&r, 2) ? 'z' : '/';
		struct req rq;
		req_init(&rq, req_methods[rng_below(&r, 6)], path);
		if (rng_below(&r, 3) == 0)
			req_header(&rq, "x-k", rng_below(&r, 2) ? "1" : "2");
		if (router_lookup(router, &rq.v, NULL)) {
			req_fini(&rq);
			continue;
		}
		misses++;
		size_t nref = 0;
		for (size_t rank = 0; rank < nstubs; rank++) {
			const struct stub *s = router_at(router, rank, NULL);
			if (s->implicit)
				continue;
			ref[nref++] = (struct ref_miss){ s, stub_explain_count(s, &rq.v, 0), ref_distance(s, &rq.v), rank };
		}
		qsort(ref, nref, sizeof *ref, cmp_ref);
		size_t max = q % 2 ? 3 : ROUTER_MAX_NEAR_MISSES;
		struct near_miss nm[ROUTER_MAX_NEAR_MISSES];
		size_t n = router_near_misses(router, &rq.v, nm, max);
		cr_assert_eq(n, nref < max ? nref : max, "%s %s: %zu near misses, want %zu", rq.v.method, path, n,
			     nref < max ? nref : max);
		for (size_t i = 0; i < n; i++)
			cr_assert(nm[i].stub == ref[i].s && nm[i].failed == ref[i].failed,
				  "%s %s, near miss %zu: %s (%u failed), want %s (%u failed, distance %zu)", rq.v.method,
				  path, i, nm[i].stub->id, nm[i].failed, ref[i].s->id, ref[i].failed, ref[i].dist);
		near_miss_release(nm, n);
		req_fini(&rq);
	}
	free(ref);
	cr_assert_gt(misses, 400, "only %zu of the requests missed", misses);
}

/* The near-miss indexes are built by the first search: several threads missing at once
 * on a fresh router each get the same answer (one build is kept, the others freed). */
struct near_thread {
	const char *path;
	const char *first;       /* the first near miss's id */
	size_t n;
};

static void *near_thread_run(void *arg)
{
	struct near_thread *t = arg;
	struct req q;
	req_init(&q, "GET", t->path);
	struct near_miss nm[3];
	t->n = router_near_misses(router, &q.v, nm, 3);
	t->first = t->n ? nm[0].stub->id : NULL;
	near_miss_release(nm, t->n);
	req_fini(&q);
	return NULL;
}

Test(router, near_misses_from_several_threads_on_a_fresh_router)
{
	char path[64], id[32];
	for (int i = 0; i < 500; i++) {
		snprintf(path, sizeof path, "/api/r%d/users/42", i);
		snprintf(id, sizeof id, "r%d", i);
		add_stub(id, "GET", path);
	}
	build();
	struct near_thread t[4];
	pthread_t th[4];
	for (int i = 0; i < 4; i++) {
		t[i] = (struct near_thread){ .path = "/api/r250/users/43" };
		cr_assert_eq(pthread_create(&th[i], NULL, near_thread_run, &t[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		cr_assert_eq(t[i].n, 3);
		cr_assert_str_eq(t[i].first, "r250");
	}
}

/* ---- the flat index against the rules written plainly ---- */

/* The winner order as SPEC section 2 states it, compared field by field. */
static int cmp_ref_winner(const void *a, const void *b)
{
	const struct stub *s = *(const struct stub *const *)a, *t = *(const struct stub *const *)b;
	if (s->tier != t->tier)
		return s->tier < t->tier ? -1 : 1;
	if (s->priority != t->priority)
		return s->priority < t->priority ? -1 : 1;
	if ((s->insertion != 0) != (t->insertion != 0))
		return s->insertion ? -1 : 1;
	if (s->insertion != t->insertion)
		return s->insertion > t->insertion ? -1 : 1;
	if (s->req.path_kind != t->req.path_kind)
		return s->req.path_kind < t->req.path_kind ? -1 : 1;
	if (s->nconds != t->nconds)
		return s->nconds > t->nconds ? -1 : 1;
	return s->order < t->order ? -1 : s->order > t->order;
}

/* Random stubs of every path kind, methods named twice, conditions, tiers, priorities
 * (negative ones too) and, with mappings, WireMock recency: distinct enough keys that the
 * order is sorted by comparison rather than by counting. */
static void random_stubs(struct rng *r, size_t n, bool mappings)
{
	static const char *const methods[] = { "GET", "GET", "POST", "", "GET POST", "GET GET", "put", "ANY", "DELETE GET" };
	char path[160], id[32];
	for (size_t i = 0; i < n; i++) {
		snprintf(id, sizeof id, "s%zu", i);
		random_path(r, path, sizeof path, true);
		size_t kind = rng_below(r, 30);
		const char *m = methods[rng_below(r, sizeof methods / sizeof *methods)];
		struct stub *s = kind == 0 ? add_stub(id, m, NULL)
			       : kind == 1 ? add_stub(id, m, "~^/api/[a-z0-9]+/users")
					   : add_stub(id, m, path);
		if (rng_below(r, 4) == 0)
			add_header_cond(s, "x-k", rng_below(r, 2) ? "1" : "2");
		if (rng_below(r, 6) == 0)
			s->priority = (int)rng_below(r, 7) - 3;
		if (rng_below(r, 10) == 0)
			s->tier = STUB_TIER_FALLBACK;
		if (mappings && rng_below(r, 2))
			s->insertion = 1 + rng_below(r, 1u << 30);
	}
}

static void expect_reference_order(void)
{
	const struct stub **ref = xmalloc(nstubs * sizeof *ref);
	memcpy(ref, loaded, nstubs * sizeof *ref);
	qsort(ref, nstubs, sizeof *ref, cmp_ref_winner);
	for (size_t rank = 0; rank < nstubs; rank++) {
		size_t slot;
		const struct stub *s = router_at(router, rank, &slot);
		cr_assert(s == ref[rank], "rank %zu: %s, want %s", rank, s->id, ref[rank]->id);
		cr_assert(loaded[slot] == s, "rank %zu: slot %zu holds another stub", rank, slot);
	}
	cr_assert_null(router_at(router, nstubs, NULL));
	free(ref);
}

Test(router, winner_order_by_counting_equals_the_rule)
{
	struct rng r;
	rng_seed(&r, 7);
	random_stubs(&r, 5000, false);
	build();
	expect_reference_order();
}

Test(router, winner_order_of_many_mappings_equals_the_rule)
{
	struct rng r;
	rng_seed(&r, 8);
	random_stubs(&r, 5000, true);   /* ~2,500 distinct recencies: more keys than buckets */
	build();
	expect_reference_order();
}

/* Every lookup equals the first stub in winner order that takes the request. */
Test(router, lookups_equal_trying_every_stub_in_winner_order)
{
	struct rng r;
	rng_seed(&r, 9);
	random_stubs(&r, 4000, true);
	build();
	static const char *const req_methods[] = { "GET", "POST", "PUT", "DELETE", "PATCH", "get" };
	char path[160];
	size_t hits = 0;
	for (size_t q = 0; q < 3000; q++) {
		random_path(&r, path, sizeof path, false);
		struct req rq;
		req_init(&rq, req_methods[rng_below(&r, 6)], path);
		if (rng_below(&r, 3) == 0)
			req_header(&rq, "x-k", rng_below(&r, 2) ? "1" : "2");
		const struct stub *want = NULL;
		for (size_t rank = 0; rank < nstubs && !want; rank++) {
			const struct stub *s = router_at(router, rank, NULL);
			if (stub_method_ok(s, rq.v.method) && stub_path_ok(s, &rq.v, NULL) && stub_conditions_ok(s, &rq.v))
				want = s;
		}
		size_t slot = SIZE_MAX;
		const struct stub *got = router_find(router, &rq.v, &rq.params, &slot);
		cr_assert(got == want, "%s %s: %s, want %s", rq.v.method, path, got ? got->id : "(none)",
			  want ? want->id : "(none)");
		if (got) {
			cr_assert(loaded[slot] == got);
			hits++;
		}
		req_fini(&rq);
	}
	cr_assert_gt(hits, 1000, "only %zu of the requests matched", hits);
}

/* ---- router_rebuild: the index of a reload, from the previous one ---- */

/* Whether a and b give the same order, lookups and near misses over stubs[]. */
static void expect_same_router(const struct router *a, const struct router *b, const struct stub *const *set,
			       size_t n, struct rng *r, const char *what)
{
	for (size_t rank = 0; rank <= n; rank++) {
		size_t sa = SIZE_MAX, sb = SIZE_MAX;
		const struct stub *x = router_at(a, rank, &sa), *y = router_at(b, rank, &sb);
		cr_assert(x == y && (rank == n || sa == sb), "%s: rank %zu: %s, want %s", what, rank, x ? x->id : "-",
			  y ? y->id : "-");
		cr_assert(rank == n || set[sa] == x);
	}
	static const char *const req_methods[] = { "GET", "POST", "PUT", "DELETE", "PATCH", "get" };
	char path[160];
	for (size_t q = 0; q < 600; q++) {
		random_path(r, path, sizeof path, false);
		if (rng_below(r, 4) == 0)
			path[strlen(path) - 1] = 'z';
		struct req rq;
		req_init(&rq, req_methods[rng_below(r, 6)], path);
		if (rng_below(r, 3) == 0)
			req_header(&rq, "x-k", rng_below(r, 2) ? "1" : "2");
		size_t sa = SIZE_MAX, sb = SIZE_MAX;
		struct params pa, pb;
		const struct stub *x = router_find(a, &rq.v, &pa, &sa), *y = router_find(b, &rq.v, &pb, &sb);
		cr_assert(x == y && sa == sb, "%s: %s %s: %s, want %s", what, rq.v.method, path, x ? x->id : "(none)",
			  y ? y->id : "(none)");
		cr_assert_eq(pa.n, pb.n);
		if (!x && q % 4 == 0) {
			struct near_miss na[3], nb[3];
			size_t ka = router_near_misses(a, &rq.v, na, 3), kb = router_near_misses(b, &rq.v, nb, 3);
			cr_assert_eq(ka, kb, "%s: %s %s", what, rq.v.method, path);
			for (size_t i = 0; i < ka; i++)
				cr_assert(na[i].stub == nb[i].stub && na[i].failed == nb[i].failed, "%s: %s %s near miss %zu",
					  what, rq.v.method, path, i);
			near_miss_release(na, ka);
			near_miss_release(nb, kb);
		}
		req_fini(&rq);
	}
}

/*
 * A set made of "files" (runs of stubs in load order); each reload drops some files, adds
 * new ones at random places (the same paths as others, so that lists grow and keys go and
 * come back), and the rebuilt index must equal a full build, reload after reload (the
 * table's emptied slots pile up until a full build is due).
 */
Test(router, a_rebuild_equals_a_full_build_reload_after_reload)
{
	struct rng r;
	rng_seed(&r, 11);
	enum { FILES = 60, MAXF = 120 };
	struct file {
		size_t first, n;        /* stubs[first ..+ n) */
	} files[MAXF];
	size_t nfiles = 0;
	for (size_t f = 0; f < FILES; f++) {
		files[nfiles].first = nstubs;
		random_stubs(&r, 1 + rng_below(&r, 40), rng_below(&r, 4) == 0);
		files[nfiles].n = nstubs - files[nfiles].first;
		nfiles++;
	}
	/* the set: the files in their order */
	const struct stub **cur = xmalloc(16384 * sizeof *cur), **next = xmalloc(16384 * sizeof *next);
	size_t ncur = 0;
	size_t *off = xmalloc(MAXF * sizeof *off);
	for (size_t f = 0; f < nfiles; f++) {
		off[f] = ncur;
		for (size_t i = 0; i < files[f].n; i++)
			cur[ncur++] = stubs[files[f].first + i];
	}
	struct router *prev = router_build(cur, ncur);
	size_t rebuilt = 0, now[MAXF], nnow = nfiles;   /* the files of the set, in order */
	for (size_t f = 0; f < nfiles; f++)
		now[f] = f;
	for (int reload = 0; reload < 25; reload++) {
		/* the next list of files: each kept (in its order) unless dropped; new ones inserted */
		size_t order[MAXF], norder = 0;
		bool is_new[MAXF] = { false };
		for (size_t w = 0; w < nnow && norder < MAXF - 4; w++) {
			size_t f = now[w];
			if (rng_below(&r, 20) == 0 && nfiles < MAXF) {
				files[nfiles].first = nstubs;
				random_stubs(&r, 1 + rng_below(&r, 6), false);
				files[nfiles].n = nstubs - files[nfiles].first;
				off[nfiles] = SIZE_MAX;
				is_new[norder] = true;
				order[norder++] = nfiles++;
			}
			if (rng_below(&r, 25) == 0)
				continue;   /* dropped */
			order[norder++] = f;
		}
		uint32_t *new_of_old = xmalloc((ncur ? ncur : 1) * sizeof *new_of_old);
		memset(new_of_old, 0xff, (ncur ? ncur : 1) * sizeof *new_of_old);
		uint32_t *fresh = xmalloc(16384 * sizeof *fresh);
		size_t nnext = 0, nfresh = 0;
		size_t newoff[MAXF];
		for (size_t k = 0; k < norder; k++) {
			size_t f = order[k];
			newoff[k] = nnext;
			for (size_t i = 0; i < files[f].n; i++) {
				if (is_new[k])
					fresh[nfresh++] = (uint32_t)nnext;
				else
					new_of_old[off[f] + i] = (uint32_t)nnext;
				next[nnext++] = stubs[files[f].first + i];
			}
		}
		struct router *full = router_build(next, nnext);
		struct router *re = router_rebuild(prev, next, nnext, new_of_old, fresh, nfresh);
		if (re) {
			rebuilt++;
			expect_same_router(re, full, next, nnext, &r, "rebuild");
		}
		router_destroy(prev);
		prev = re ? re : full;
		if (re)
			router_destroy(full);
		/* the next round starts from this set */
		for (size_t f = 0; f < nfiles; f++)
			off[f] = SIZE_MAX;
		for (size_t k = 0; k < norder; k++)
			off[order[k]] = newoff[k];
		memcpy(now, order, norder * sizeof *now);
		nnow = norder;
		memcpy(cur, next, nnext * sizeof *cur);
		ncur = nnext;
		free(new_of_old);
		free(fresh);
	}
	cr_assert_gt(rebuilt, 15, "only %zu of 25 reloads were rebuilt", rebuilt);
	router_destroy(prev);
	free(off);
	free(cur);
	free(next);
}

Test(router, no_rebuild_when_too_much_is_new_or_the_counts_disagree)
{
	struct rng r;
	rng_seed(&r, 12);
	random_stubs(&r, 100, false);
	build();
	uint32_t new_of_old[100], fresh[100];
	for (uint32_t i = 0; i < 100; i++) {
		new_of_old[i] = UINT32_MAX;
		fresh[i] = i;
	}
	cr_assert_null(router_rebuild(router, loaded, 100, new_of_old, fresh, 100), "all new: a full build");
	for (uint32_t i = 0; i < 100; i++)
		new_of_old[i] = i;
	cr_assert_null(router_rebuild(router, loaded, 100, new_of_old, fresh, 1), "more stubs than the set");
	struct router *same = router_rebuild(router, loaded, 100, new_of_old, fresh, 0);
	cr_assert_not_null(same);
	expect_same_router(same, router, loaded, 100, &r, "unchanged");
	router_destroy(same);
}
