/* SPDX-License-Identifier: MIT */
/* stub_set.h: a served set built whole from stub groups (load order, references to the
 * groups), its refcount, lookups by id, the OPTIONS stubs in winner order, has_states, and
 * the per-set hooks of later stages, called once per set. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"
#include "stub.h"
#include "stub_set.h"
#include "testutil.h"
#include "util/xalloc.h"

/* ---- the ext hooks, recording what they were called with ---- */

struct hook_log {
	unsigned prepared, released;
	const struct stub_set *set;        /* prepare's */
	size_t n_at_prepare, noptions_at_prepare;
	bool router_at_prepare, has_states_at_prepare;
	void *data;                        /* what prepare returned */
	void *released_data;
	size_t released_n;
	void *cls_seen[2];                 /* prepare's and release's cls */
};

static void *prepare(const struct stub_set *set, void *cls)
{
	struct hook_log *log = cls;
	log->prepared++;
	log->set = set;
	log->n_at_prepare = set->n;
	log->noptions_at_prepare = set->noptions;
	log->router_at_prepare = set->router != NULL;
	log->has_states_at_prepare = set->has_states;
	log->cls_seen[0] = cls;
	log->data = xmalloc(16);
	return log->data;
}

static void release(void *data, size_t n, void *cls)
{
	struct hook_log *log = cls;
	log->released++;
	log->released_data = data;
	log->released_n = n;
	log->cls_seen[1] = cls;
	free(data);
}

static struct hook_log hooks;
static const struct stub_set_ext ext = { prepare, release, &hooks };

static void expect_set_ids(const struct stub_set *set, const char *want)
{
	char *got = stub_ids(set->stubs, set->n);
	cr_assert_str_eq(got, want);
	free(got);
}

static struct stub_group *two_files[2];

static void load_two_files(void)
{
	two_files[0] = load_group("a.yaml", "- name: a1\n  request: { path: /a1 }\n  response: { body: A1 }\n"
					    "- request: { path: /a2 }\n  response: { body: A2 }\n");
	two_files[1] = load_group("b.yaml", "name: b1\nrequest: { path: /b1 }\nresponse: { body: B1 }\n");
}

static void unref_two_files(void)
{
	stub_group_unref(two_files[0]);
	stub_group_unref(two_files[1]);
}

/* ---- building ---- */

Test(stub_set, built_from_groups_in_their_order, .init = load_two_files, .fini = unref_two_files)
{
	struct stub_group *order[] = { two_files[1], two_files[0] };
	struct stub_set *set = stub_set_create(order, 2, 7, NULL);
	cr_assert_eq(atomic_load(&set->refs), 1);
	cr_assert_eq(set->generation, 7);
	cr_assert_eq(set->n, 3);
	expect_set_ids(set, "b1 a1 a.yaml#1 ");
	/* borrowed from the groups, which the set references */
	cr_assert_eq(set->stubs[0], two_files[1]->stubs[0]);
	cr_assert_eq(set->stubs[2], two_files[0]->stubs[1]);
	cr_assert_eq(set->ngroups, 2);
	cr_assert_eq(set->groups[0], two_files[1]);
	cr_assert_eq(atomic_load(&two_files[0]->refs), 2);
	cr_assert_eq(atomic_load(&two_files[1]->refs), 2);
	cr_assert_not_null(set->router);
	cr_assert_null(set->ext);
	cr_assert_null(set->ext_ops);
	cr_assert_not(set->has_states);
	cr_assert_eq(set->noptions, 0);
	/* the router indexes the set's stubs: slot i is set->stubs[i] */
	for (size_t rank = 0; rank < set->n; rank++) {
		size_t slot = SIZE_MAX;
		const struct stub *s = router_at(set->router, rank, &slot);
		cr_assert_lt(slot, set->n);
		cr_assert_eq(s, set->stubs[slot]);
	}
	stub_set_unref(set);
	/* the groups only lost the set's reference */
	cr_assert_eq(atomic_load(&two_files[0]->refs), 1);
	cr_assert_eq(atomic_load(&two_files[1]->refs), 1);
	cr_assert_str_eq(two_files[0]->stubs[0]->id, "a1");
}

Test(stub_set, the_groups_outlive_the_set_and_the_set_the_groups_references)
{
	unsigned freed = 0;
	struct stub_group *g = tracked_group("only", &freed);
	struct stub_set *set = stub_set_create(&g, 1, 1, NULL);
	/* the creator's reference goes first: the set keeps the stub */
	stub_group_unref(g);
	cr_assert_eq(freed, 0);
	cr_assert_str_eq(stub_set_find(set, "only")->id, "only");
	stub_set_unref(set);
	cr_assert_eq(freed, 1);
}

Test(stub_set, several_sets_share_a_group)
{
	unsigned freed = 0;
	struct stub_group *g = tracked_group("shared", &freed);
	struct stub_set *old = stub_set_create(&g, 1, 1, NULL);
	struct stub_set *new = stub_set_create(&g, 1, 2, NULL);
	stub_group_unref(g);
	cr_assert_eq(old->stubs[0], new->stubs[0]);
	stub_set_unref(old);
	cr_assert_eq(freed, 0);
	stub_set_unref(new);
	cr_assert_eq(freed, 1);
}

Test(stub_set, an_empty_set)
{
	struct stub_set *set = stub_set_create(NULL, 0, 1, &ext);
	cr_assert_eq(set->n, 0);
	cr_assert_eq(set->ngroups, 0);
	cr_assert_null(stub_set_find(set, "a"));
	cr_assert_null(router_at(set->router, 0, NULL));
	cr_assert_eq(hooks.prepared, 1);
	stub_set_unref(set);
	cr_assert_eq(hooks.released, 1);
	cr_assert_eq(hooks.released_n, 0);

	struct stub_group *none = stub_group_create(NULL, 0);
	set = stub_set_create(&none, 1, 1, NULL);
	stub_group_unref(none);
	cr_assert_eq(set->n, 0);
	cr_assert_eq(set->ngroups, 1);
	stub_set_unref(set);
}

Test(stub_set, from_stubs_takes_them_over_as_one_group)
{
	unsigned freed = 0;
	struct stub **stubs = xmalloc(2 * sizeof(*stubs));
	stubs[0] = tracked_stub("x", &freed);
	stubs[1] = tracked_stub("y", &freed);
	struct stub_set *set = stub_set_from_stubs(stubs, 2);
	cr_assert_eq(set->generation, 1);
	cr_assert_eq(set->ngroups, 1);
	cr_assert_eq(atomic_load(&set->groups[0]->refs), 1);
	cr_assert_null(set->ext_ops);
	expect_set_ids(set, "x y ");
	stub_set_unref(set);
	cr_assert_eq(freed, 2);
}

/* ---- refcount ---- */

Test(stub_set, the_last_reference_frees_it, .init = load_two_files, .fini = unref_two_files)
{
	struct stub_set *set = stub_set_create(two_files, 2, 1, &ext);
	cr_assert_eq(stub_set_ref(set), set);
	cr_assert_eq(stub_set_ref(set), set);
	cr_assert_eq(atomic_load(&set->refs), 3);
	stub_set_unref(set);
	stub_set_unref(set);
	cr_assert_eq(hooks.released, 0);
	cr_assert_eq(atomic_load(&two_files[0]->refs), 2);
	stub_set_unref(set);
	cr_assert_eq(hooks.released, 1);
	cr_assert_eq(atomic_load(&two_files[0]->refs), 1);
	stub_set_unref(NULL);
	cr_assert_eq(hooks.released, 1);
}

/* ---- find ---- */

Test(stub_set, find_by_id, .init = load_two_files, .fini = unref_two_files)
{
	struct stub_set *set = stub_set_create(two_files, 2, 1, NULL);
	cr_assert_str_eq(stub_set_find(set, "a1")->resp.body, "A1");
	cr_assert_str_eq(stub_set_find(set, "a.yaml#1")->resp.body, "A2");
	cr_assert_str_eq(stub_set_find(set, "b1")->resp.body, "B1");
	cr_assert_eq(stub_set_find(set, "b1"), two_files[1]->stubs[0]);
	cr_assert_null(stub_set_find(set, "a.yaml#0"));
	cr_assert_null(stub_set_find(set, "B1"));
	cr_assert_null(stub_set_find(set, ""));
	stub_set_unref(set);
}

/* ---- derived data ---- */

Test(stub_set, options_stubs_in_winner_order)
{
	struct stub_group *g = load_group("cors.yaml", "- name: any\n"
						       "  request: { path: /any }\n"
						       "  response: { body: any }\n"
						       "- name: get-and-options\n"
						       "  request: { method: [GET, options], path: /a }\n"
						       "  response: { body: a }\n"
						       "- name: regex-options\n"
						       "  request: { method: OPTIONS, path_regex: '/r/.*' }\n"
						       "  response: { body: r }\n"
						       "- name: urgent-options\n"
						       "  priority: 5\n"
						       "  request: { method: OPTIONS, path: /u }\n"
						       "  response: { body: u }\n"
						       "- name: get\n"
						       "  request: { method: GET, path: /g }\n"
						       "  response: { body: g }\n"
						       "- name: late-options\n"
						       "  request: { method: OPTIONS, path: /late }\n"
						       "  response: { body: late }\n");
	struct stub_set *set = stub_set_create(&g, 1, 1, NULL);
	stub_group_unref(g);
	/* priority first, then exact paths before regexes, then load order; a stub without a
	 * method list does not count: it takes OPTIONS only implicitly */
	cr_assert_eq(set->noptions, 4);
	char *got = stub_ids(set->options, set->noptions);
	cr_assert_str_eq(got, "urgent-options get-and-options late-options regex-options ");
	free(got);
	const size_t slots[] = { 3, 1, 5, 2 };
	for (size_t i = 0; i < set->noptions; i++) {
		cr_assert_eq(set->option_slots[i], slots[i]);
		cr_assert_eq(set->stubs[set->option_slots[i]], set->options[i]);
	}
	stub_set_unref(set);
}

Test(stub_set, has_states_only_with_a_state_condition)
{
	struct stub_group *plain = load_group("plain.yaml", "request: { path: /p }\nresponse: { body: p }\n");
	struct stub_group *moves = load_group("moves.yaml", "scenario: login\nnext_state: in\n"
							    "request: { path: /login }\nresponse: { body: ok }\n");
	struct stub_group *needs = load_group("needs.yaml", "scenario: login\nstate: in\n"
							    "request: { path: /me }\nresponse: { body: me }\n");
	struct stub_group *without[] = { plain, moves }, *with[] = { plain, moves, needs };
	struct stub_set *a = stub_set_create(without, 2, 1, NULL);
	struct stub_set *b = stub_set_create(with, 3, 2, NULL);
	struct stub_set *c = stub_set_create(&needs, 1, 3, NULL);
	cr_assert_not(a->has_states);
	cr_assert(b->has_states);
	cr_assert(c->has_states);
	stub_set_unref(a);
	stub_set_unref(b);
	stub_set_unref(c);
	for (size_t i = 0; i < 3; i++)
		stub_group_unref(with[i]);
}

/* ---- the ext hooks ---- */

Test(stub_set, ext_prepares_once_a_complete_set_and_releases_once, .init = load_two_files,
     .fini = unref_two_files)
{
	struct stub_group *g = load_group("o.yaml", "name: o\nscenario: s\nstate: t\n"
						    "request: { method: OPTIONS, path: /o }\nresponse: { body: o }\n");
	struct stub_group *all[] = { two_files[0], two_files[1], g };
	struct stub_set *set = stub_set_create(all, 3, 1, &ext);
	stub_group_unref(g);
	cr_assert_eq(hooks.prepared, 1);
	cr_assert_eq(hooks.released, 0);
	/* prepare saw the set whole: stubs, router and the derived fields */
	cr_assert_eq(hooks.set, set);
	cr_assert_eq(hooks.n_at_prepare, 4);
	cr_assert_eq(hooks.noptions_at_prepare, 1);
	cr_assert(hooks.router_at_prepare);
	cr_assert(hooks.has_states_at_prepare);
	cr_assert_eq(hooks.cls_seen[0], &hooks);
	cr_assert_eq(set->ext, hooks.data);
	cr_assert_eq(set->ext_ops, &ext);
	/* references come and go without calling the hooks */
	stub_set_unref(stub_set_ref(set));
	cr_assert_eq(hooks.prepared, 1);
	cr_assert_eq(hooks.released, 0);
	stub_set_unref(set);
	cr_assert_eq(hooks.prepared, 1);
	cr_assert_eq(hooks.released, 1);
	cr_assert_eq(hooks.released_data, hooks.data);
	cr_assert_eq(hooks.released_n, 4);
	cr_assert_eq(hooks.cls_seen[1], &hooks);
}

Test(stub_set, ext_runs_for_each_set, .init = load_two_files, .fini = unref_two_files)
{
	struct stub_set *sets[3];
	for (size_t i = 0; i < 3; i++) {
		sets[i] = stub_set_create(two_files, 2 - i % 2, i + 1, &ext);
		cr_assert_eq(hooks.prepared, i + 1);
		cr_assert_eq(hooks.set, sets[i]);
	}
	cr_assert_neq(sets[0]->ext, sets[2]->ext);
	for (size_t i = 0; i < 3; i++) {
		size_t n = sets[i]->n;
		stub_set_unref(sets[i]);
		cr_assert_eq(hooks.released, i + 1);
		cr_assert_eq(hooks.released_n, n);
	}
}

/* ---- a set that follows another: the route index built from the previous one ---- */

/* The ids in winner order. */
static char *winner_ids(const struct stub_set *set)
{
	const struct stub **v = xmalloc((set->n ? set->n : 1) * sizeof(*v));
	for (size_t rank = 0; rank < set->n; rank++)
		v[rank] = router_at(set->router, rank, NULL);
	char *ids = stub_ids((const struct stub *const *)v, set->n);
	free(v);
	return ids;
}

static void expect_same_as_a_fresh_set(const struct stub_set *from, struct stub_group *const *groups, size_t n)
{
	struct stub_set *fresh = stub_set_create(groups, n, 9, NULL);
	struct stub_set *next = stub_set_create_from(from, groups, n, 9, NULL);
	char *a = winner_ids(next), *b = winner_ids(fresh);
	cr_assert_str_eq(a, b);
	cr_assert_eq(next->nlisted, fresh->nlisted);
	for (size_t i = 0; i < next->n; i++)
		cr_assert_eq(next->stubs[i], fresh->stubs[i]);
	free(a);
	free(b);
	stub_set_unref(next);
	stub_set_unref(fresh);
}

/* A joined group of the given groups (each gets a reference), as the stub cache makes. */
static struct stub_group *join_of(struct stub_group *a, struct stub_group *b, struct stub_group *c)
{
	struct stub_group **parts = xmalloc(3 * sizeof(*parts));
	size_t n = 0;
	parts[n++] = stub_group_ref(a);
	parts[n++] = stub_group_ref(b);
	if (c)
		parts[n++] = stub_group_ref(c);
	return stub_group_join(parts, n);
}

/* A joined group of files (as the stub cache gives) where one file changed, one went and
 * one came; then the runtime groups before it change; then the files move around (no
 * rebuild then: load order breaks ties). Each equals a set built afresh. */
Test(stub_set, a_set_from_the_previous_one_equals_a_fresh_one)
{
	static const char *const texts[] = {
		"- request: { path: /a }\n  response: { body: a }\n- request: { method: POST, path: /a }\n  response: { body: p }\n",
		"- request: { path: /a }\n  response: { body: a2 }\n- request: { path: '/u/{id}' }\n  response: { body: u }\n",
		"- priority: 1\n  request: { path: /a }\n  response: { body: first }\n",
		"- request: { path_regex: '^/r' }\n  response: { body: r }\n- request: { path: /a, headers: { x: '1' } }\n"
		"  response: { body: h }\n",
	};
	struct stub_group *f[5];
	char name[16];
	for (size_t i = 0; i < 4; i++) {
		snprintf(name, sizeof name, "f%zu.yaml", i);
		f[i] = load_group(name, texts[i]);
	}
	f[4] = load_group("f1.yaml", "- request: { path: /a }\n  response: { body: a3 }\n");   /* f1, edited */
	struct stub_group *files1 = join_of(f[0], f[1], f[2]);
	struct stub_set *s1 = stub_set_create(&files1, 1, 1, NULL);
	struct stub_group *files2 = join_of(f[0], f[4], f[3]);
	expect_same_as_a_fresh_set(s1, &files2, 1);
	struct stub_group *runtime = load_group("runtime.yaml", "- request: { path: /a }\n  response: { body: rt }\n");
	struct stub_group *with_runtime[] = { runtime, files2 };
	expect_same_as_a_fresh_set(s1, with_runtime, 2);
	struct stub_group *moved = join_of(f[3], f[0], NULL);
	expect_same_as_a_fresh_set(s1, &moved, 1);
	stub_set_unref(s1);
	stub_group_unref(files1);
	stub_group_unref(files2);
	stub_group_unref(moved);
	stub_group_unref(runtime);
	for (size_t i = 0; i < 5; i++)
		stub_group_unref(f[i]);
}
