/* SPDX-License-Identifier: MIT */
/* The served stub set, built in one go from stub groups. */
#include "stub_set.h"

#include <stdlib.h>
#include <string.h>

#include "router.h"
#include "util/xalloc.h"

struct stub_set *stub_set_create(struct stub_group *const *groups, size_t ngroups, uint64_t generation,
				 const struct stub_set_ext *ext)
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
	set->router = router_build(set->stubs, n);
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
