/* SPDX-License-Identifier: MIT */
/* The reply side's per-set data: for every response of every stub of a set, what its
 * CORS headers are and the slots for the HTTP adapter's prebuilt copies. A stub_set_ext
 * whose data for a stub is made by the first request that stub answers (published
 * atomically), read-only afterwards but for those atomic slots. */
#pragma once
#include <stddef.h>

#include "stub_set.h"

struct arena;
struct reply;
struct reply_prepared;

/** How the adapter frees one of its prebuilt responses (prepared->built[i]). */
struct reply_cache_config {
	void (*drop_built)(void *built);
	struct stub_set_ext ext;        /* filled by reply_cache_init: give &ext to stub_set_create */
};

/** Fills cfg->ext. cfg must outlive every set built with it. */
void reply_cache_init(struct reply_cache_config *cfg, void (*drop_built)(void *built));

/** The prepared data of response idx of stubs[slot] of a set built with the cache's ext. */
struct reply_prepared *reply_cache_get(const struct stub_set *set, size_t slot, size_t idx);

/** Fills r's content type, headers and body from its fixed response or its shared answer,
 *  CORS "*" included when r->star (headers in a; everything else borrowed from the stub or
 *  the answer). The status stays as r has it: it was set when the answer was chosen, and a
 *  handler may send a shared answer with another status (OpenAPI's `Prefer: code=` on a
 *  `default` response). */
void reply_expand(struct reply *r, struct arena *a);
