/* SPDX-License-Identifier: MIT */
/* The CRUD front-end's answers, by request, for one version of the store's content: a
 * repeated GET answers from here (one shared answer, prebuilt once by the HTTP adapter)
 * instead of filtering, sorting and printing again. A different version empties it (any
 * write invalidates every answer). Bounded in entries and bytes: when full it starts
 * over. Not thread-safe (its owner locks around it). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct crud_cache;
struct reply_shared;

/** A cache of at most max_entries answers and max_bytes of their text. Never NULL. */
struct crud_cache *crud_cache_create(size_t max_entries, size_t max_bytes);
void crud_cache_destroy(struct crud_cache *c);

/** A new reference to the answer stored for the request key[0..len) at version, or NULL. */
struct reply_shared *crud_cache_get(struct crud_cache *c, const char *key, size_t len, uint64_t version);
/** Keeps a new reference to answer as the answer to key[0..len) at version. Too large an
 *  answer, or one of a version older than the cache's, is not kept. */
void crud_cache_put(struct crud_cache *c, const char *key, size_t len, uint64_t version, struct reply_shared *answer);
