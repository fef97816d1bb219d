/* SPDX-License-Identifier: MIT */
/* The CRUD store's rendered GET answers, by request, for one version of the content:
 * a repeated GET answers from here instead of filtering, sorting and printing again. A
 * different version empties it (any write invalidates every answer). Bounded in entries
 * and bytes: when full it starts over. Not thread-safe (the store's lock guards it). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct crud_cache;
struct crud_result;

/** A cache of at most max_entries answers and max_bytes of their text. Never NULL. */
struct crud_cache *crud_cache_create(size_t max_entries, size_t max_bytes);
void crud_cache_destroy(struct crud_cache *c);

/** Copies the answer stored for the request key[0..len) at version into out (which the
 *  caller then releases); false when there is none. */
bool crud_cache_get(struct crud_cache *c, const char *key, size_t len, uint64_t version, struct crud_result *out);
/** Stores a copy of r as the answer to key[0..len) at version (too large an answer is
 *  not kept). */
void crud_cache_put(struct crud_cache *c, const char *key, size_t len, uint64_t version, const struct crud_result *r);
