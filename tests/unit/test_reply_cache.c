/* SPDX-License-Identifier: MIT */
/* reply_cache.h: the per-set data of every response of every stub (the CORS expose list and
 * own_cors, the adapter's prebuilt slots, made on first use even by racing threads, freed
 * with their set through drop_built), and
 * reply_expand, which turns a stub's fixed response into a reply. Sets are built over
 * stubs loaded from YAML, with the cache's stub_set_ext. */
#include <criterion/criterion.h>
#include <pthread.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reply.h"
#include "reply_cache.h"
#include "stub.h"
#include "stub_set.h"
#include "testutil.h"
#include "util/arena.h"
#include "util/strbuf.h"

static const char stubs_yaml[] = "- name: plain\n"
				 "  request: { path: /plain }\n"
				 "  response: { body: hi }\n"
				 "- name: headers\n"
				 "  request: { path: /h }\n"
				 "  response:\n"
				 "    status: 201\n"
				 "    headers:\n"
				 "      X-Request-Id: abc\n"
				 "      Content-Type: text/csv\n"
				 "      Set-Cookie: [a=1, b=2]\n"
				 "      Access-Control-Max-Age: '60'\n"
				 "      x-request-id: again\n"
				 "    body: 'a,b'\n"
				 "- name: own\n"
				 "  request: { path: /own }\n"
				 "  response:\n"
				 "    headers: { Access-Control-Allow-Origin: 'https://app.example', X-Own: '1' }\n"
				 "    json: { ok: true }\n"
				 "- name: seq\n"
				 "  request: { path: /seq }\n"
				 "  responses:\n"
				 "    - { headers: { X-First: '1' }, body: one }\n"
				 "    - { body: two }\n"
				 "    - { headers: { access-control-allow-origin: '*' }, body: three }\n";

enum { PLAIN, HEADERS, OWN, SEQ };

/* what drop_built was given */
static void *dropped[16];
static size_t ndropped;

static void drop_built(void *built)
{
	cr_assert_lt(ndropped, 16);
	dropped[ndropped++] = built;
}

static struct reply_cache_config cfg;
static struct stub_group *group;
static struct stub_set *set;
static struct arena arena;

static void setup(void)
{
	reply_cache_init(&cfg, drop_built);
	group = load_group("cors.yaml", stubs_yaml);
	set = stub_set_create(&group, 1, 1, &cfg.ext);
	arena_init(&arena);
}

static void teardown(void)
{
	arena_release(&arena);
	stub_set_unref(set);
	stub_group_unref(group);
}

TestSuite(reply_cache, .init = setup, .fini = teardown);

static void expect_prepared(size_t slot, size_t idx, const char *expose, bool own_cors)
{
	const struct reply_prepared *p = reply_cache_get(set, slot, idx);
	if (expose)
		cr_assert_str_eq(p->expose, expose, "stub %zu response %zu", slot, idx);
	else
		cr_assert_null(p->expose, "stub %zu response %zu: %s", slot, idx, p->expose);
	cr_assert_eq(p->own_cors, own_cors, "stub %zu response %zu", slot, idx);
	cr_assert_null(atomic_load(&p->built[0]));
	cr_assert_null(atomic_load(&p->built[1]));
}

/* A reply of response idx of stubs[slot] expanded from its fixed response, as the HTTP
 * adapter builds its prebuilt copy; star: with Access-Control-Allow-Origin: *. */
static struct reply expand(size_t slot, size_t idx, bool star)
{
	struct reply r = { 0 };
	r.fixed = stub_response_at(set->stubs[slot], idx);
	r.prepared = reply_cache_get(set, slot, idx);
	r.star = star;
	reply_expand(&r, &arena);
	return r;
}

/* The reply's headers, "Name: value" a line. */
static char *headers_text(const struct reply *r)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < r->nheaders; i++)
		strbuf_addf(&sb, "%s: %s\n", r->headers[i].name, r->headers[i].value);
	return strbuf_detach(&sb, NULL);
}

static void expect_headers(const struct reply *r, const char *want)
{
	char *got = headers_text(r);
	cr_assert_str_eq(got, want);
	free(got);
}

Test(reply_cache, init_fills_the_ext)
{
	struct reply_cache_config c = { 0 };
	reply_cache_init(&c, drop_built);
	cr_assert_eq(c.drop_built, drop_built);
	cr_assert_not_null(c.ext.prepare);
	cr_assert_not_null(c.ext.release);
	cr_assert_eq(c.ext.cls, &c);
	cr_assert_eq(set->ext_ops, &cfg.ext);
}

Test(reply_cache, each_response_has_its_expose_list_and_own_cors)
{
	cr_assert_eq(set->n, 4);
	expect_prepared(PLAIN, 0, NULL, false);
	/* Content-Type and access-control-* left out; each name once, as first written */
	expect_prepared(HEADERS, 0, "X-Request-Id, Set-Cookie", false);
	expect_prepared(OWN, 0, "X-Own", true);
	expect_prepared(SEQ, 0, "X-First", false);
	expect_prepared(SEQ, 1, NULL, false);
	expect_prepared(SEQ, 2, NULL, true);
	cr_assert_neq(reply_cache_get(set, SEQ, 0), reply_cache_get(set, SEQ, 1));
	cr_assert_neq(reply_cache_get(set, SEQ, 0), reply_cache_get(set, OWN, 0));
}

Test(reply_cache, each_set_has_its_own_prepared_data)
{
	struct stub_set *other = stub_set_create(&group, 1, 2, &cfg.ext);
	struct reply_prepared *mine = reply_cache_get(set, HEADERS, 0), *its = reply_cache_get(other, HEADERS, 0);
	cr_assert_neq(mine, its);
	cr_assert_str_eq(its->expose, mine->expose);
	static int built;
	atomic_store(&mine->built[1], &built);
	cr_assert_null(atomic_load(&its->built[1]));
	stub_set_unref(other);
	cr_assert_eq(ndropped, 0);
	cr_assert_eq(atomic_load(&mine->built[1]), &built);
}

Test(reply_cache, built_copies_go_with_their_set)
{
	static int b[4];
	atomic_store(&reply_cache_get(set, PLAIN, 0)->built[0], &b[0]);
	atomic_store(&reply_cache_get(set, PLAIN, 0)->built[1], &b[1]);
	atomic_store(&reply_cache_get(set, SEQ, 2)->built[1], &b[2]);
	atomic_store(&reply_cache_get(set, OWN, 0)->built[0], &b[3]);
	struct stub_set *held = stub_set_ref(set);
	stub_set_unref(set);
	cr_assert_eq(ndropped, 0);
	stub_set_unref(held);
	set = NULL;
	/* each once, in slot and response order */
	cr_assert_eq(ndropped, 4);
	cr_assert_eq(dropped[0], &b[0]);
	cr_assert_eq(dropped[1], &b[1]);
	cr_assert_eq(dropped[2], &b[3]);
	cr_assert_eq(dropped[3], &b[2]);
}

Test(reply_cache, without_drop_built_built_copies_are_left_alone)
{
	struct reply_cache_config keep;
	reply_cache_init(&keep, NULL);
	struct stub_set *other = stub_set_create(&group, 1, 2, &keep.ext);
	static int b;
	atomic_store(&reply_cache_get(other, PLAIN, 0)->built[0], &b);
	stub_set_unref(other);
	cr_assert_eq(ndropped, 0);
}

Test(reply_cache, an_empty_set)
{
	struct stub_set *empty = stub_set_create(NULL, 0, 2, &cfg.ext);
	cr_assert_not_null(empty->ext);
	stub_set_unref(empty);
}

/* The data is made by the first request a stub answers: threads asking at once for a
 * fresh set's stub all get the one that was published. */
static void *get_seq(void *arg)
{
	struct reply_prepared **out = arg;
	for (size_t i = 0; i < 3; i++)
		out[i] = reply_cache_get(set, SEQ, i);
	return NULL;
}

Test(reply_cache, threads_racing_for_a_fresh_stub_get_the_same_data)
{
	for (int round = 0; round < 20; round++) {
		struct stub_set *fresh = stub_set_create(&group, 1, 3 + (uint64_t)round, &cfg.ext);
		struct stub_set *mine = set;
		set = fresh;
		struct reply_prepared *got[4][3];
		pthread_t th[4];
		for (int t = 0; t < 4; t++)
			cr_assert_eq(pthread_create(&th[t], NULL, get_seq, got[t]), 0);
		for (int t = 0; t < 4; t++)
			pthread_join(th[t], NULL);
		for (int t = 1; t < 4; t++)
			for (int i = 0; i < 3; i++)
				cr_assert_eq(got[t][i], got[0][i], "round %d thread %d response %d", round, t, i);
		cr_assert_str_eq(got[0][0]->expose, "X-First");
		cr_assert(got[0][2]->own_cors);
		/* past the last response: the first one's (as a sequence's index is clamped) */
		cr_assert_eq(reply_cache_get(set, SEQ, 7), got[0][0]);
		set = mine;
		stub_set_unref(fresh);
	}
}

/* ---- reply_expand ---- */

Test(reply_cache, expand_fills_the_reply_from_the_stub_response)
{
	struct reply r = expand(HEADERS, 0, false);
	const struct stub_response *sr = stub_response_at(set->stubs[HEADERS], 0);
	/* the status is the reply's own: set when the answer was chosen (0 here) */
	cr_assert_eq(r.status, 0);
	/* the stub's Content-Type header is among the headers: no content type of its own */
	cr_assert_null(r.content_type);
	cr_assert_eq(r.body_len, 3);
	cr_assert_eq(r.body, sr->body, "the body is borrowed, not copied");
	cr_assert_eq(memcmp(r.body, "a,b", 3), 0);
	expect_headers(&r, "X-Request-Id: abc\n"
			   "Content-Type: text/csv\n"
			   "Set-Cookie: a=1\n"
			   "Set-Cookie: b=2\n"
			   "Access-Control-Max-Age: 60\n"
			   "x-request-id: again\n");
	cr_assert_null(r.body_owned);
}

Test(reply_cache, expand_with_star_adds_cors_and_the_expose_list)
{
	struct reply r = expand(HEADERS, 0, true);
	expect_headers(&r, "X-Request-Id: abc\n"
			   "Content-Type: text/csv\n"
			   "Set-Cookie: a=1\n"
			   "Set-Cookie: b=2\n"
			   "Access-Control-Max-Age: 60\n"
			   "x-request-id: again\n"
			   "Access-Control-Allow-Origin: *\n"
			   "Vary: Origin\n"
			   "Access-Control-Expose-Headers: X-Request-Id, Set-Cookie\n");
	r = expand(PLAIN, 0, true);
	cr_assert_eq(r.status, 0);
	cr_assert_str_eq(r.content_type, "text/plain; charset=utf-8");
	cr_assert_eq(r.body_len, 2);
	expect_headers(&r, "Access-Control-Allow-Origin: *\nVary: Origin\n");
	r = expand(PLAIN, 0, false);
	expect_headers(&r, "");
}

Test(reply_cache, expand_with_star_leaves_a_stub_with_its_own_cors_alone)
{
	struct reply r = expand(OWN, 0, true);
	cr_assert_str_eq(r.content_type, "application/json");
	cr_assert_eq(r.body_len, strlen("{\"ok\":true}"));
	cr_assert_eq(memcmp(r.body, "{\"ok\":true}", r.body_len), 0);
	expect_headers(&r, "Access-Control-Allow-Origin: https://app.example\nX-Own: 1\n");
	r = expand(SEQ, 2, true);
	expect_headers(&r, "access-control-allow-origin: *\n");
	cr_assert_eq(memcmp(r.body, "three", 5), 0);
}

Test(reply_cache, expand_takes_the_response_of_a_sequence_it_is_given)
{
	struct reply r = expand(SEQ, 0, true);
	cr_assert_eq(memcmp(r.body, "one", 3), 0);
	expect_headers(&r, "X-First: 1\nAccess-Control-Allow-Origin: *\nVary: Origin\n"
			   "Access-Control-Expose-Headers: X-First\n");
	r = expand(SEQ, 1, true);
	cr_assert_eq(memcmp(r.body, "two", 3), 0);
	expect_headers(&r, "Access-Control-Allow-Origin: *\nVary: Origin\n");
}
