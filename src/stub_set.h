/* SPDX-License-Identifier: MIT */
/* The served stub set: the stubs of some groups in load order, the route index over them
 * and everything else derived from them, built completely before anyone sees it, then
 * immutable and shared by refcount. A request holds the set it started with. */
#pragma once
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stub.h"

struct router;
struct stub_set;

/** Per-set data of a later stage (the HTTP adapter's prebuilt responses), built by
 *  prepare while the set is created and freed by release when it goes. */
struct stub_set_ext {
	void *(*prepare)(const struct stub_set *set, void *cls);
	void (*release)(void *data, size_t n, void *cls);
	void *cls;
};

struct stub_set {
	atomic_uint refs;
	const struct stub *const *stubs;   /* in load order (index = slot); borrowed from groups */
	size_t n;
	bool own_stubs;                    /* stubs is the set's array, not its one group's */
	size_t nlisted;                    /* the stubs that are not implicit (stub.h): what users count */
	struct stub_group **groups;        /* referenced: they own the stubs */
	size_t ngroups;
	struct router *router;             /* owned */
	bool has_states;                   /* some stub has `state:`: matching reads scenario states */
	const struct stub **options;       /* stubs that list OPTIONS explicitly, in winner order (CORS) */
	size_t noptions;
	size_t *option_slots;              /* their slots */
	uint64_t generation;               /* numbers the sets of one catalog, from 1 */
	void *ext;                         /* stub_set_ext's data; NULL without one */
	const struct stub_set_ext *ext_ops;
};

/** A set of the stubs of groups[0..ngroups) in that order (the load order of SPEC section
 *  2's winner rule), taking a reference to each group; ext (may be NULL; borrowed, must
 *  outlive the set) prepares per-set data before this returns. Refcount 1. */
struct stub_set *stub_set_create(struct stub_group *const *groups, size_t ngroups, uint64_t generation,
				 const struct stub_set_ext *ext);
/** stub_set_create for a set that follows prev (may be NULL), whose route index it builds
 *  from prev's when they share most groups (a reload of a few files): the same set, made
 *  in a fraction of the time at 100,000 stubs. prev is only read. */
struct stub_set *stub_set_create_from(const struct stub_set *prev, struct stub_group *const *groups, size_t ngroups,
				      uint64_t generation, const struct stub_set_ext *ext);
/** Adds a reference; returns set. Thread-safe. */
struct stub_set *stub_set_ref(struct stub_set *set);
/** Drops a reference; the last one frees the set (the groups only lose a reference). NULL
 *  does nothing. Thread-safe. */
void stub_set_unref(struct stub_set *set);
/** The stub with this id, or NULL. */
const struct stub *stub_set_find(const struct stub_set *set, const char *id);

/** A set of stubs[0..n) alone (taking them and the array over, as one group), without
 *  per-set data of later stages: for tests, fuzzers and tools. Refcount 1. */
struct stub_set *stub_set_from_stubs(struct stub **stubs, size_t n);
