/* SPDX-License-Identifier: MIT */
/* A string pool: strings copied into a few large blocks instead of a malloc each, equal
 * strings stored once (interned), all freed at once. Filled by one thread, then sealed and
 * read-only: what many stubs of one load share (file names, methods, content types,
 * bodies). Not thread-safe while filled. */
#pragma once
#include <stddef.h>

struct strpool;

/** An empty pool. Never NULL (aborts on OOM). */
struct strpool *strpool_create(void);
/** Frees the pool and every string in it. NULL does nothing. */
void strpool_destroy(struct strpool *p);

/** A NUL-terminated copy of s[0..len) in the pool (s may hold NULs), or the copy made
 *  by an earlier call with the same bytes. Valid until strpool_destroy. */
const char *strpool_intern(struct strpool *p, const char *s, size_t len);
/** n bytes aligned for a pointer (arrays of pointers or sizes), not interned. Valid until strpool_destroy. */
void *strpool_alloc(struct strpool *p, size_t n);
/** n bytes aligned for anything, in a block of exactly that size: for an array whose size
 *  is known (no room wasted after it). Valid until strpool_destroy. */
void *strpool_alloc_exact(struct strpool *p, size_t n);
/** Drops the table that finds equal strings: the strings stay, intern copies from now on.
 *  For a pool that is done being filled. */
void strpool_seal(struct strpool *p);
/** Bytes the pool holds in blocks (for tests and measurements). */
size_t strpool_size(const struct strpool *p);
