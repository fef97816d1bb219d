/* SPDX-License-Identifier: MIT */
/* Strings ordered by how close they are to a query, without looking at most of them: the
 * near-miss search's index of stub paths. The distance of a key a to a query b is
 *
 *     1 + (|b| - lcp(a, b)) + (|a| - lcp(a, b))
 *
 * (what router.c's path_distance gives a path that does not match: the parts of both left
 * after their common prefix), and a walk hands out the keys in increasing (distance, id)
 * order, each once, doing O(log n) work per key handed out and per prefix length of the
 * query it passes. Immutable once built; any number of walks at once. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct near_index;

/** One key: text[0..len) (borrowed: it must outlive the index) and an id that orders keys
 *  of equal distance (unique ids make the order total). */
struct near_key {
	const char *text;
	size_t len;
	uint32_t id;
};

/** The index over keys[0..n) (copied; the texts are borrowed). NULL for n == 0. */
struct near_index *near_index_build(const struct near_key *keys, size_t n);
void near_index_destroy(struct near_index *ix);
size_t near_index_size(const struct near_index *ix);

struct near_walk_item;

/** A walk over an index for one query. Lives on the caller's stack; near_walk_end frees
 *  what it allocated. */
struct near_walk {
	const struct near_index *ix;
	const char *b;
	size_t blen;
	size_t pos;                     /* where b would go in the sorted keys */
	size_t lcp_left, lcp_right;     /* lcp of b with the keys at pos - 1 and pos */
	size_t lo, hi;                  /* the keys whose lcp with b is at least `level` */
	struct near_walk_item *heap;
	size_t nheap, aheap;
};

/** Starts a walk for the query b[0..blen). */
void near_walk_start(struct near_walk *w, const struct near_index *ix, const char *b, size_t blen);
/** The next key in (distance, id) order: its distance and id; false when every key has
 *  been handed out. */
bool near_walk_next(struct near_walk *w, size_t *dist, uint32_t *id);
/** The least (distance, id) the next near_walk_next can hand out, without taking it: a
 *  lower bound that lets a search stop early. false when none is left. */
bool near_walk_peek(struct near_walk *w, size_t *dist, uint32_t *id);
void near_walk_end(struct near_walk *w);
