/* SPDX-License-Identifier: MIT */
/* The dispatcher: one request and the stub set it started with -> a reply. Lookup,
 * scenario and hit-count updates under the state lock, the response choice, rendering,
 * CORS, delays and faults, in one place; nothing here knows about sockets, the journal
 * or the log file. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct arena;
struct near_miss;
struct reply;
struct req_view;
struct rng;
struct state;
struct strbuf;
struct stub_set;

struct dispatch_config {
	struct state *state;        /* hit counters and scenario states; borrowed */
	struct rng *rng;            /* templates and random delays; borrowed */
	bool cors;                  /* --no-cors turns it off */
	bool verbose;               /* every mismatch of a miss goes to the detail text */
	bool forward_misses;        /* a miss goes to the proxy: no 404 is built for it */
};

enum dispatch_result {
	DISPATCH_MATCHED,           /* a stub answered: the reply is its response */
	DISPATCH_PREFLIGHT,         /* the built-in CORS preflight answer */
	DISPATCH_MISS,              /* no stub matched: the reply is the 404 with near misses
				     * (SPEC section 5), or untouched with forward_misses */
};

/** Answers req from set (both borrowed; the reply borrows from set, so the caller holds
 *  it until the reply is sent). The set must carry reply_cache's per-set data (built with
 *  reply_cache's stub_set_ext, as the catalog builds every set): stub_set_from_stubs'
 *  bare sets are for the router and matchers only. Allocates in a, the request's arena. Appends a summary
 *  for the access log to note and, verbose, every mismatch of a miss to detail. Runs on
 *  any thread. */
enum dispatch_result dispatch(const struct dispatch_config *d, const struct stub_set *set, struct req_view *req,
			      struct arena *a, struct reply *out, struct strbuf *note, struct strbuf *detail);

/** Appends the near misses as the 404's JSON array: [{"stub","file","line","mismatches"}]
 *  (SPEC section 5). */
void dispatch_near_misses_json(const struct near_miss *nm, size_t n, struct strbuf *sb);
