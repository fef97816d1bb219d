/* SPDX-License-Identifier: MIT */
/* The served stub set, built in one go from stub groups. */
#include "stub_set.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"
#include "util/xalloc.h"

/* ---- what a reload kept: the groups that hold no other group ---- */

struct leaf {
	const struct stub_group *g;
	size_t off;                     /* its first stub's slot in the set */
};

struct leaves {
	struct leaf *v;
	size_t n, cap;
};

/* The groups g is made of, in order, with their offsets from off: a joined group's parts
 * (when it took all of their stubs), else g itself. */
static void collect(struct leaves *l, const struct stub_group *g, size_t off)
{
	size_t sum = 0;
	for (size_t i = 0; g->parts && i < g->nparts; i++)
		sum += g->parts[i]->n;
	if (g->parts && sum == g->n) {
		for (size_t i = 0; i < g->nparts; i++) {
			collect(l, g->parts[i], off);
			off += g->parts[i]->n;
		}
		return;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = (struct leaf){ g, off };
}

static struct leaves leaves_of(struct stub_group *const *groups, size_t ngroups)
{
	struct leaves l = { 0 };
	size_t off = 0;
	for (size_t i = 0; i < ngroups; i++) {
		collect(&l, groups[i], off);
		off += groups[i]->n;
	}
	return l;
}

static size_t ptr_hash(const void *p, size_t mask)
{
	uint64_t x = (uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15u;
	return (size_t)(x >> 32) & mask;
}

/*
 * The route index of a set whose stubs are mostly prev's: the groups both sets hold (the
 * files a reload did not read again) map prev's slots to the new ones, and router_rebuild
 * renumbers prev's index rather than reading 100,000 stubs again. A full build when the
 * groups moved around or little is kept.
 */
static struct router *route(const struct stub_set *prev, struct stub_group *const *groups, size_t ngroups,
			    const struct stub *const *stubs, size_t n)
{
	if (!prev || !prev->router)
		return router_build(stubs, n);
	struct leaves old = leaves_of(prev->groups, prev->ngroups), now = leaves_of(groups, ngroups);
	size_t cap = 16;
	while (cap < 2 * old.n)
		cap *= 2;
	const struct leaf **table = xcalloc(cap, sizeof(*table));
	for (size_t i = 0; i < old.n; i++) {
		size_t j = ptr_hash(old.v[i].g, cap - 1);
		while (table[j])
			j = (j + 1) & (cap - 1);
		table[j] = &old.v[i];
	}
	uint32_t *new_of_old = xmalloc((prev->n ? prev->n : 1) * sizeof(*new_of_old));
	memset(new_of_old, 0xff, (prev->n ? prev->n : 1) * sizeof(*new_of_old));
	uint32_t *fresh = xmalloc((n ? n : 1) * sizeof(*fresh));
	size_t nfresh = 0, last_off = 0;
	bool in_order = true;
	for (size_t i = 0; i < now.n && in_order; i++) {
		const struct leaf *nl = &now.v[i], *ol = NULL;
		for (size_t j = ptr_hash(nl->g, cap - 1); table[j]; j = (j + 1) & (cap - 1))
			if (table[j]->g == nl->g) {
				ol = table[j];
				break;
			}
		if (!ol) {
			for (size_t k = 0; k < nl->g->n; k++)
				fresh[nfresh++] = (uint32_t)(nl->off + k);
			continue;
		}
		/* kept groups must keep their order: load order breaks ties */
		in_order = ol->off >= last_off;
		last_off = ol->off + nl->g->n;
		for (size_t k = 0; k < nl->g->n; k++)
			new_of_old[ol->off + k] = (uint32_t)(nl->off + k);
	}
	struct router *r = in_order ? router_rebuild(prev->router, stubs, n, new_of_old, fresh, nfresh) : NULL;
	free(fresh);
	free(new_of_old);
	free(table);
	free(old.v);
	free(now.v);
	return r ? r : router_build(stubs, n);
}

struct stub_set *stub_set_create(struct stub_group *const *groups, size_t ngroups, uint64_t generation,
				 const struct stub_set_ext *ext)
{
	return stub_set_create_from(NULL, groups, ngroups, generation, ext);
}

struct stub_set *stub_set_create_from(const struct stub_set *prev, struct stub_group *const *groups, size_t ngroups,
				      uint64_t generation, const struct stub_set_ext *ext)
{
	struct stub_set *set = xcalloc(1, sizeof(*set));
	atomic_init(&set->refs, 1);
	set->generation = generation;
	size_t n = 0;
	for (size_t i = 0; i < ngroups; i++)
		n += groups[i]->n;
	/* one group (the stub files alone, as most servers run): its array is the set's */
	set->own_stubs = ngroups != 1;
	const struct stub **stubs = set->own_stubs ? xmalloc((n ? n : 1) * sizeof(*stubs)) : NULL;
	set->groups = xmalloc((ngroups ? ngroups : 1) * sizeof(*set->groups));
	n = 0;
	bool has_options = false;
	for (size_t i = 0; i < ngroups; i++) {
		set->groups[set->ngroups++] = stub_group_ref(groups[i]);
		if (stubs)
			memcpy(stubs + n, groups[i]->stubs, groups[i]->n * sizeof(*stubs));
		n += groups[i]->n;
		set->nlisted += groups[i]->nlisted;
		set->has_states |= groups[i]->has_states;
		has_options |= groups[i]->has_options;
	}
	set->stubs = stubs ? stubs : (const struct stub *const *)groups[0]->stubs;
	set->n = n;
	set->router = route(prev, groups, ngroups, set->stubs, n);
	/* in winner order: the first OPTIONS stub that accepts a preflight answers it */
	for (size_t rank = 0; has_options && rank < n; rank++) {
		size_t slot;
		const struct stub *s = router_at(set->router, rank, &slot);
		if (!stub_lists_options(s))
			continue;
		set->options = xrealloc(set->options, (set->noptions + 1) * sizeof(*set->options));
		set->option_slots = xrealloc(set->option_slots, (set->noptions + 1) * sizeof(*set->option_slots));
		set->options[set->noptions] = s;
		set->option_slots[set->noptions++] = slot;
	}
	if (ext) {
		set->ext_ops = ext;
		set->ext = ext->prepare(set, ext->cls);
	}
	return set;
}

struct stub_set *stub_set_ref(struct stub_set *set)
{
	atomic_fetch_add_explicit(&set->refs, 1, memory_order_relaxed);
	return set;
}

void stub_set_unref(struct stub_set *set)
{
	if (!set || atomic_fetch_sub_explicit(&set->refs, 1, memory_order_acq_rel) != 1)
		return;
	if (set->ext_ops)
		set->ext_ops->release(set->ext, set->n, set->ext_ops->cls);
	router_destroy(set->router);
	free(set->options);
	free(set->option_slots);
	if (set->own_stubs)
		free((void *)set->stubs);
	for (size_t i = 0; i < set->ngroups; i++)
		stub_group_unref(set->groups[i]);
	free(set->groups);
	free(set);
}

const struct stub *stub_set_find(const struct stub_set *set, const char *id)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->stubs[i]->id, id) == 0)
			return set->stubs[i];
	return NULL;
}

struct stub_set *stub_set_from_stubs(struct stub **stubs, size_t n)
{
	struct stub_group *g = stub_group_create(stubs, n);
	struct stub_set *set = stub_set_create(&g, 1, 1, NULL);
	stub_group_unref(g);
	return set;
}
