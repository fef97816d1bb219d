/* SPDX-License-Identifier: MIT */
/* stub.h: a stub's responses (stub_response_count/at), and the refcounted groups that own
 * stubs: creating, sharing, joining and searching them, and when their stubs are freed.
 * Stubs come from YAML through the loader, or are built by hand (tracked_stub) where the
 * test must see them freed. */
#include <criterion/criterion.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "stub.h"
#include "testutil.h"
#include "util/strpool.h"
#include "util/xalloc.h"

static unsigned freed;

/* The group's stub ids, each followed by a space, checked against want. */
static void expect_ids(const struct stub_group *g, const char *want)
{
	char *got = stub_ids((const struct stub *const *)g->stubs, g->n);
	cr_assert_str_eq(got, want);
	free(got);
}

/* A malloc'd array of groups, as stub_group_join takes it. */
static struct stub_group **parts_of(struct stub_group *a, struct stub_group *b)
{
	struct stub_group **parts = xmalloc(2 * sizeof(*parts));
	parts[0] = a;
	parts[1] = b;
	return parts;
}

/* ---- responses ---- */

Test(stub, one_response_is_the_stub_response)
{
	struct stub_group *g = load_group("one.yaml", "request: { path: /a }\nresponse: { status: 201, body: A }\n");
	const struct stub *s = g->stubs[0];
	cr_assert_eq(stub_response_count(s), 1);
	cr_assert_eq(stub_response_at(s, 0), &s->resp);
	cr_assert_eq(stub_response_at(s, 0)->status, 201);
	cr_assert_str_eq(stub_response_at(s, 0)->body, "A");
	stub_group_unref(g);
}

Test(stub, a_responses_list_in_its_order)
{
	struct stub_group *g = load_group("seq.yaml", "request: { path: /a }\n"
						      "responses:\n"
						      "  - { status: 200, body: first }\n"
						      "  - { status: 202, body: second }\n"
						      "  - { status: 503, body: third }\n");
	const struct stub *s = g->stubs[0];
	cr_assert_eq(stub_response_count(s), 3);
	cr_assert_eq(stub_response_at(s, 0), &s->resp);
	const char *bodies[] = { "first", "second", "third" };
	const int statuses[] = { 200, 202, 503 };
	for (size_t i = 0; i < 3; i++) {
		cr_assert_str_eq(stub_response_at(s, i)->body, bodies[i]);
		cr_assert_eq(stub_response_at(s, i)->status, statuses[i]);
	}
	cr_assert(s->counts_hits);
	stub_group_unref(g);
}

Test(stub, a_stub_built_by_hand_has_its_one_response)
{
	struct stub *s = tracked_stub("by-hand", &freed);
	cr_assert_eq(s->nresponses, 0);
	cr_assert_eq(stub_response_count(s), 1);
	cr_assert_eq(stub_response_at(s, 0), &s->resp);
	stub_destroy(s);
	cr_assert_eq(freed, 1);
	stub_destroy(NULL);
}

/* ---- groups ---- */

Test(stub, interned_stubs_share_equal_strings_and_the_group_frees_them)
{
	struct stub_group *g = load_group("f.yaml", "- request: { method: GET, path: /a }\n"
						    "  response: { json: { ok: true } }\n"
						    "- request: { method: [GET, POST], path: /b }\n"
						    "  response: { json: { ok: true } }\n"
						    "- request: { path: /c }\n"
						    "  responses: [ { body: x }, { body: y } ]\n");
	g->pool = strpool_create();
	for (size_t i = 0; i < g->n; i++)
		stub_intern(g->stubs[i], g->pool);
	stub_pack(g->stubs, g->n, g->pool);
	const struct stub *a = g->stubs[0], *b = g->stubs[1], *c = g->stubs[2];
	cr_assert_eq(a->file, b->file);
	cr_assert_str_eq(a->file, "f.yaml");
	cr_assert_eq(a->req.methods[0], b->req.methods[0]);
	cr_assert_str_eq(b->req.methods[1], "POST");
	cr_assert_eq(a->resp.body, b->resp.body);
	cr_assert_str_eq(a->resp.body, "{\"ok\":true}");
	cr_assert_eq(a->resp.content_type, b->resp.content_type);
	cr_assert_str_eq(a->id, "f.yaml#0");
	cr_assert_str_eq(b->req.path, "/b");
	cr_assert_eq(a->pooled & STUB_POOLED_METHODS, STUB_POOLED_METHODS);
	cr_assert_eq(c->pooled & (STUB_POOLED_METHODS | STUB_POOLED_RESPONSES), STUB_POOLED_RESPONSES);
	cr_assert_eq(c->pooled & STUB_POOLED_SELF, STUB_POOLED_SELF);
	/* a responses list: its array moved, the responses themselves still the stub's */
	cr_assert_eq(stub_response_count(c), 2);
	cr_assert_eq(stub_response_at(c, 0), &c->resp);
	cr_assert_str_eq(stub_response_at(c, 1)->body, "y");
	/* the stubs go first, then the pool (ASan tells otherwise) */
	stub_group_unref(g);
}

Test(stub, a_group_owns_its_stubs_until_the_last_reference_goes)
{
	struct stub_group *g = tracked_group("a b c", &freed);
	cr_assert_eq(atomic_load(&g->refs), 1);
	cr_assert_eq(g->n, 3);
	cr_assert_null(g->parts);
	expect_ids(g, "a b c ");
	cr_assert_eq(stub_group_ref(g), g);
	cr_assert_eq(atomic_load(&g->refs), 2);
	stub_group_unref(g);
	cr_assert_eq(atomic_load(&g->refs), 1);
	cr_assert_eq(freed, 0);
	stub_group_unref(g);
	cr_assert_eq(freed, 3);
	stub_group_unref(NULL);
}

Test(stub, an_empty_group)
{
	struct stub_group *g = stub_group_create(NULL, 0);
	cr_assert_eq(g->n, 0);
	cr_assert_null(stub_group_find(&g, 1, "x"));
	stub_group_unref(g);
}

Test(stub, a_join_lists_the_parts_stubs_in_order_and_borrows_them)
{
	struct stub_group *a = tracked_group("a1 a2", &freed), *b = tracked_group("b1", &freed);
	struct stub_group *j = stub_group_join(parts_of(stub_group_ref(a), b), 2);
	cr_assert_eq(atomic_load(&j->refs), 1);
	cr_assert_eq(j->nparts, 2);
	expect_ids(j, "a1 a2 b1 ");
	/* the same stubs, not copies */
	cr_assert_eq(j->stubs[0], a->stubs[0]);
	cr_assert_eq(j->stubs[1], a->stubs[1]);
	cr_assert_eq(j->stubs[2], b->stubs[0]);
	/* the join took the references it was given and added none */
	cr_assert_eq(atomic_load(&a->refs), 2);
	cr_assert_eq(atomic_load(&b->refs), 1);
	stub_group_unref(j);
	/* b's only reference was the join's; a is still ours */
	cr_assert_eq(freed, 1);
	cr_assert_eq(atomic_load(&a->refs), 1);
	expect_ids(a, "a1 a2 ");
	stub_group_unref(a);
	cr_assert_eq(freed, 3);
}

Test(stub, a_join_of_joins_frees_each_stub_once)
{
	struct stub_group *a = tracked_group("a", &freed), *bc = tracked_group("b c", &freed);
	struct stub_group *inner = stub_group_join(parts_of(a, bc), 2);
	struct stub_group *outer = stub_group_join(parts_of(inner, tracked_group("d", &freed)), 2);
	expect_ids(outer, "a b c d ");
	stub_group_unref(outer);
	cr_assert_eq(freed, 4);
}

Test(stub, a_join_of_nothing_or_of_empty_groups_is_empty)
{
	struct stub_group *none = stub_group_join(NULL, 0);
	cr_assert_eq(none->n, 0);
	cr_assert_null(stub_group_find(&none, 1, "a"));
	struct stub_group *empty = stub_group_join(parts_of(stub_group_create(NULL, 0), none), 2);
	cr_assert_eq(empty->n, 0);
	stub_group_unref(empty);
	cr_assert_eq(freed, 0);
}

Test(stub, find_searches_the_groups_in_order_and_skips_null_ones)
{
	struct stub_group *groups[] = {
		load_group("first.yaml", "- name: a\n  request: { path: /a }\n  response: { body: first-a }\n"
					 "- request: { path: /x }\n  response: { body: X }\n"),
		NULL,
		load_group("second.yaml", "- name: b\n  request: { path: /b }\n  response: { body: B }\n"
					  "- name: a\n  request: { path: /a }\n  response: { body: second-a }\n"),
	};
	cr_assert_str_eq(stub_group_find(groups, 3, "b")->resp.body, "B");
	cr_assert_str_eq(stub_group_find(groups, 3, "first.yaml#1")->resp.body, "X");
	/* an id in two groups: the first group's */
	cr_assert_str_eq(stub_group_find(groups, 3, "a")->resp.body, "first-a");
	cr_assert_str_eq(stub_group_find(groups + 1, 2, "a")->resp.body, "second-a");
	cr_assert_null(stub_group_find(groups, 3, "c"));
	cr_assert_null(stub_group_find(groups, 3, "A"));
	/* only the first n groups */
	cr_assert_null(stub_group_find(groups, 1, "b"));
	cr_assert_null(stub_group_find(groups, 0, "a"));
	stub_group_unref(groups[0]);
	stub_group_unref(groups[2]);
}

#define REF_THREADS 4
#define REF_ROUNDS 20000

static void *ref_and_unref(void *arg)
{
	struct stub_group *g = arg;
	for (int i = 0; i < REF_ROUNDS; i++) {
		stub_group_ref(g);
		stub_group_ref(g);
		stub_group_unref(g);
		stub_group_unref(g);
	}
	return NULL;
}

Test(stub, references_from_several_threads_add_up)
{
	struct stub_group *g = tracked_group("a b", &freed);
	pthread_t t[REF_THREADS];
	for (int i = 0; i < REF_THREADS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, ref_and_unref, g), 0);
	for (int i = 0; i < REF_THREADS; i++)
		pthread_join(t[i], NULL);
	cr_assert_eq(atomic_load(&g->refs), 1);
	cr_assert_eq(freed, 0);
	stub_group_unref(g);
	cr_assert_eq(freed, 2);
}
