/* SPDX-License-Identifier: MIT */
/* Incremental loads of the stub files: what each file loaded into is kept, keyed by the
 * file's stat() and those of the `file:` bodies it read, so that a reload parses only the
 * files that changed. Gives what stub_load_dirs gives, errors included. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

struct stub_group;

/** A file whose newest timestamp (mtime or ctime, of itself or of a body) is less than
 *  this much older than the start of the load that read it may have been written again
 *  within the same timestamp tick after the read: it is read again on the next load. */
#define STUB_CACHE_RACY_NS 2000000000LL

struct stub_cache;

/** Counters, for tests and diagnostics. */
struct stub_cache_stats {
	uint64_t loads;       /* stub_cache_load calls */
	uint64_t parsed;      /* stub files read and parsed */
	uint64_t reused;      /* stub files whose stubs were taken from the cache */
	uint64_t full_loads;  /* loads that had errors, reported by a full stub_load_dirs */
};

/** Never NULL. */
struct stub_cache *stub_cache_create(void);
/** NULL does nothing. */
void stub_cache_destroy(struct stub_cache *c);

/** Loads every stub file under dirs[0..ndirs) as stub_load_dirs does, parsing only the
 *  files that are new or changed since the last call (themselves or a `file:` body they
 *  read: other dev, inode, size, mtime or ctime) and reusing the stubs of the others.
 *  Returns 0, *files (the stubs in stub_load_dirs' load order; drop with
 *  stub_group_unref) and *paths (what struct load_result's paths holds, in its order; the
 *  caller frees each and the array), or -1 with exactly the diagnostics stub_load_dirs
 *  gives (when anything is wrong the problems are collected by a full stub_load_dirs).
 *  Not thread-safe: one load at a time per cache. */
int stub_cache_load(struct stub_cache *c, const char *const *dirs, size_t ndirs, struct stub_group **files,
		    char ***paths, size_t *npaths, struct diag_list *diags);

/** Sets the racy window (STUB_CACHE_RACY_NS by default): tests that must see reuse of
 *  files they have just written set 0, or a long one to see them read again. */
void stub_cache_set_racy_ns(struct stub_cache *c, long long ns);

/** Whether the last stub_cache_load read a file (again) that some process had open for
 *  writing when it was read (stub_file_being_written): its content may be torn. */
bool stub_cache_saw_writer(const struct stub_cache *c);

/** A snapshot of the counters. Same thread rules as stub_cache_load. */
struct stub_cache_stats stub_cache_get_stats(const struct stub_cache *c);
