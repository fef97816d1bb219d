/* SPDX-License-Identifier: MIT */
/* The catalog: every source of stubs (the stub files under each DIR, through the
 * incremental stub cache, and the runtime stubs added through the admin or C API), and
 * each rebuild of the served set from them. A rebuild makes a new numbered generation
 * beside the current one and publishes it to the slot only when it is complete; a
 * failed one leaves the current set alone. */
#pragma once
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "diag.h"

struct catalog;
struct stub_group;
struct slot;
struct stub_set_ext;

struct catalog_config {
	const char *const *dirs;            /* borrowed: must outlive the catalog */
	size_t ndirs;
	struct slot *slot;                  /* where each new set is published; borrowed */
	const struct stub_set_ext *ext;     /* per-set data of later stages; borrowed, may be NULL */
	/* Called after a successful load is published, with the files it read (the caller
	 * frees each path and the array); NULL: freed here. Runs under the catalog's lock. */
	void (*files_read)(void *cls, char **paths, size_t n);
	void *cls;
	/* Where the heap is trimmed once publishes (but the first) have paused for
	 * CATALOG_TRIM_DELAY_MS, off the reloads' answers; borrowed, must outlive the
	 * catalog. NULL: after each publish, at once. */
	struct timers *timers;
};

/* An editing session's reloads keep the memory they reuse; an idle server gives it back. */
#define CATALOG_TRIM_DELAY_MS 10000

struct catalog_stats {
	uint64_t reloads;                   /* successful reloads since start */
	uint64_t reload_errors;             /* failed ones */
	uint64_t reloads_torn;              /* not published: files changed while being read */
	uint64_t generation;                /* of the set published last */
};

/** Loads every DIR and publishes the first set. Returns 0, or -EINVAL with the problems
 *  in *errors (GCC-style lines; caller frees), when the catalog is freed again. */
int catalog_create(const struct catalog_config *cfg, struct catalog **out, char **errors);
/** NULL does nothing. The slot keeps the last set published. */
void catalog_destroy(struct catalog *c);

/** Loads the stub files again (only those that changed are parsed) and publishes the
 *  result with the runtime stubs. Returns 0, or -EINVAL with *errors set (caller frees;
 *  errors may be NULL) while the previous set stays. Serialized; any thread. */
int catalog_reload(struct catalog *c, char **errors);
/** catalog_reload, but before anything is published or reported settled(cls, writer_seen)
 *  tells whether the files stayed put while they were read (watch_settled; writer_seen:
 *  a file read was open for writing, stub_cache_saw_writer); if not, nothing happens and
 *  the result is -EAGAIN (the watcher reloads again once the writes settle). */
int catalog_reload_settled(struct catalog *c, char **errors, bool (*settled)(void *cls, bool writer_seen),
			   void *cls);

/** Replaces the stubs of other front-ends (one group per `--crud FILE`, in order), served
 *  after the stub files, and publishes the new set (none when neither the old nor the new
 *  sources have a stub: the current set is that one already). Takes its own references. Returns 0,
 *  or -EINVAL with *errors (caller frees; may be NULL) while the previous set stays. */
int catalog_set_sources(struct catalog *c, struct stub_group *const *groups, size_t n, char **errors);

/** Adds the stubs of text (one stub or a list, YAML or JSON; no `file:` bodies) as runtime
 *  stubs, all or nothing, and publishes the new set. Unnamed stubs get ids "runtime-N".
 *  Returns 0 and the new ids (a NULL-terminated array the caller frees with free() on each
 *  and on the array); -EINVAL when the text does not parse as YAML (diags tell why);
 *  -EBADMSG when a stub is invalid or its id is taken (diags). label names the text in
 *  messages. Serialized with reloads; any thread. */
int catalog_add(struct catalog *c, const char *text, size_t len, const char *label, char ***ids,
		struct diag_list *diags);

/** Removes the runtime stub with this id and publishes the new set. Returns 0, -ENOENT
 *  when no stub has this id, -EPERM when it is a file stub, -EACCES when a front-end's
 *  source serves it (a WireMock mapping, a CRUD resource). */
int catalog_remove(struct catalog *c, const char *id);

/** A snapshot of the counters. Thread-safe. */
struct catalog_stats catalog_get_stats(struct catalog *c);

/** The last reload of the stub files that was refused (SIGHUP, POST /__cannery/reload, a
 *  hot reload), for the dashboard. */
struct catalog_failure {
	char *errors;                       /* its diagnostics, one a line (caller frees); NULL:
					     * no reload has failed since start */
	struct timespec time;               /* CLOCK_REALTIME when it failed */
	bool current;                       /* no reload has succeeded since: the files on disk
					     * are not what is served */
};
/** A copy of the last refused reload. Thread-safe. */
struct catalog_failure catalog_last_failure(struct catalog *c);

