/* SPDX-License-Identifier: MIT */
/* Counters for GET /__cannery/metrics (Prometheus text format). Counters only grow:
 * neither DELETE /requests nor reset touches them. */
#pragma once
#include "conns.h"
#include <stddef.h>
#include <stdint.h>

struct metrics;
struct strbuf;

/** Never NULL. */
struct metrics *metrics_create(void);
/** NULL does nothing. */
void metrics_destroy(struct metrics *m);

/** Counts one answered (non-admin) request: its status, and the stub that answered
 *  (NULL when none did). Runs on request threads. */
void metrics_count(struct metrics *m, int status, const char *stub);

/** How many requests the stub with this id answered since the server started (the
 *  counter of cannery_stub_hits_total). Any thread. */
uint64_t metrics_stub_hits(struct metrics *m, const char *stub);

/** Gauges and counters kept elsewhere, rendered with the ones above. */
struct metrics_extra {
	size_t journal_entries;
	uint64_t journal_evicted_total;
	uint64_t reloads_total;
	uint64_t reload_errors_total;
	uint64_t reloads_torn_total;
	size_t stubs;
	struct conns_stats conns;
};

/** Appends every metric in Prometheus text format (version 0.0.4). Any thread. */
void metrics_render(struct metrics *m, const struct metrics_extra *x, struct strbuf *out);
