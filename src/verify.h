/* SPDX-License-Identifier: MIT */
/* Journal entries against a request matcher (a stub's `request:` part, loaded with
 * stub_load_matcher): does an entry match, how many do, and which came closest. Matchers
 * see the real header values, not the redacted ones. Pure functions; any thread. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "journal.h"
#include "matcher.h"
#include "stub.h"

/** Whether the entry satisfies every condition of m: method, path, query, headers,
 *  cookies and body. */
bool verify_entry_matches(const struct stub *m, const struct journal_entry *e);

/** How many entries of the snapshot match m. */
size_t verify_count(const struct stub *m, const struct journal_snapshot *snap);

/** One journal entry that came close to matching. */
struct verify_miss {
	const struct journal_entry *entry;  /* borrowed from the snapshot */
	unsigned failed;                    /* conditions that failed */
	struct mismatches why;              /* owned: `PART NAME: expected OP VALUE, got ACTUAL` */
};

#define VERIFY_MAX_NEAR_MISSES 16

/** Up to max (at most VERIFY_MAX_NEAR_MISSES) entries that do not match m, fewest failed
 *  conditions first, the most recent first among equals. Returns how many were filled;
 *  release them with verify_miss_release. */
size_t verify_near_misses(const struct stub *m, const struct journal_snapshot *snap, struct verify_miss *out,
			  size_t max);
void verify_miss_release(struct verify_miss *v, size_t n);

/** A journal checked against a matcher and an expected count, as the admin API's
 *  count/verify and the embedding API's cannery_server_count/verify report it. */
struct verify_result {
	struct journal_snapshot snap;       /* the entries counted (near points into it) */
	size_t count;                       /* entries that match */
	bool ok;                            /* at_least <= count <= at_most */
	struct verify_miss near[3];         /* too few: the closest entries; too many: none */
	size_t nnear;
};

/** Counts the entries of j that match m and checks at_least <= count <= at_most
 *  (SIZE_MAX: no upper bound). Release out with verify_result_release. Thread-safe. */
void verify_journal(const struct stub *m, struct journal *j, size_t at_least, size_t at_most,
		    struct verify_result *out);
void verify_result_release(struct verify_result *r);
