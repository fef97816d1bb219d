/* SPDX-License-Identifier: MIT */
/* The route index: picks the winning stub for a request without scanning every stub.
 * A hash on (method, exact path), a segment trie for templates, and a scan only over
 * path_regex stubs and stubs without a path; for a miss, the near misses, through an
 * index of paths by closeness built on the first miss. Safe on any thread. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "matcher.h"
#include "stub.h"

struct router;

/** Builds the index over stubs[0..n) (borrowed: they must outlive the router), whose
 *  order is the load order. Sorts them into the winner order (tier, priority, path kind, more
 *  conditions, load order); the stubs are not written. */
struct router *router_build(const struct stub *const *stubs, size_t n);
void router_destroy(struct router *r);
/** The index over stubs[0..n) built from prev's (whose stubs must still be alive), for a set
 *  that keeps most of prev's stubs in the same relative load order: new_of_old[prev slot]
 *  is that stub's slot in stubs[] or UINT32_MAX when it went, and fresh[0..nfresh) are
 *  the slots of the stubs that are new. Costs a few passes over flat arrays plus the new
 *  stubs' share, where router_build reads every stub. The same index router_build gives
 *  (same order, lookups and near misses); NULL when a full build is the better way (many
 *  new stubs, a table that must grow). */
struct router *router_rebuild(const struct router *prev, const struct stub *const *stubs, size_t n,
			      const uint32_t *new_of_old, const uint32_t *fresh, size_t nfresh);

/** The winning stub for the request, or NULL. Fills params (when not NULL) with the
 *  winner's path captures, allocated in req->arena, from the match that chose it (the
 *  path is not matched again), and *slot (when not NULL) with its index in stubs[]. */
const struct stub *router_find(const struct router *r, struct req_view *req, struct params *params, size_t *slot);
/** router_find without the slot. */
const struct stub *router_lookup(const struct router *r, struct req_view *req, struct params *params);

/** The position in the winner order of stubs[slot] (SIZE_MAX when out of range). O(n): for
 *  tests and building, not for requests. */
size_t router_rank(const struct router *r, size_t slot);
/** The stub at position rank of the winner order, or NULL past the end; *slot (when not
 *  NULL) gets its index in stubs[]. */
const struct stub *router_at(const struct router *r, size_t rank, size_t *slot);

/** One stub that came close to matching a request that matched nothing. */
struct near_miss {
	const struct stub *stub;
	unsigned failed;                /* failed conditions, method and path included */
	struct mismatches why;          /* owned; release with near_miss_release */
};

#define ROUTER_MAX_NEAR_MISSES 16

/** Up to max (at most ROUTER_MAX_NEAR_MISSES) stubs with the fewest failed conditions (ties go to
 *  the stub whose path is closest to the request path, then to winner order), with their
 *  mismatch text. Counts the stubs whose path matches, then the others nearest path first
 *  (near_index.h), until no stub left can do better; the indexes are built by the first
 *  call. Returns how many were filled. */
size_t router_near_misses(const struct router *r, struct req_view *req, struct near_miss *out, size_t max);
void near_miss_release(struct near_miss *nm, size_t n);
