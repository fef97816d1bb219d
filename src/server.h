/* SPDX-License-Identifier: MIT */
/* Server glue: the stub-set slot, reloads, and the listening socket. Owns the HTTP layer. */
#pragma once
#include <pthread.h>
#include <stdatomic.h>

#include "cannery/cannery.h"
#include "stub.h"
#include "util/rng.h"

struct http;
struct state;
struct journal;
struct journal_draft;
struct metrics;
struct stub_group;
struct stub_cache;
struct timers;
struct waits;

struct cannery_server {
	struct cannery_config cfg;     /* pointers below are owned copies */
	char **dirs;
	char **allow_hosts;
	char *host;

	/* slot_lock guards current only: readers ref under it, reload swaps under it */
	pthread_mutex_t slot_lock;
	struct stub_set *current;

	pthread_mutex_t reload_lock;   /* one reload at a time */
	atomic_ulong reloads;          /* successful reloads since start */
	atomic_ulong reload_errors;

	struct http *http;
	int listen_fd;
	unsigned port;
	char url[96];
	bool loopback;                 /* bound to a loopback address: the Host check applies */
	bool stopped;

	struct watch *watch;           /* NULL with watching off (or unavailable) */
	char *watch_errors;            /* the watcher's last logged reload errors; watcher thread only */
	/* dynamic responses */
	struct state *state;           /* hit counters and scenario states (its own lock) */
	struct rng rng;                /* uuid, random_int, random delays (lock-free) */
	/* the stubs a set is composed of (runtime.h); all three under reload_lock */
	struct stub_group *files;      /* the last good load of the stub files */
	struct stub_group **runtime;   /* runtime stubs, one per group, newest first */
	size_t nruntime;
	unsigned long runtime_next;    /* the last N given to an unnamed runtime stub */

	struct journal *journal;       /* every non-admin request */
	struct metrics *metrics;
	struct timers *timers;         /* the server's timer thread (admin waits, delays) */
	struct waits *waits;           /* pending POST /__cannery/requests/wait calls */
	char *journal_file;            /* owned copies of the config's strings */
	char *admin_token;

	struct proxy *proxy;           /* NULL without cfg.proxy */
	struct recorder *recorder;     /* NULL without cfg.record_dir */
	char *proxy_url;               /* owned copies behind cfg.proxy and cfg.record_dir */
	char *record_dir;

	struct stub_cache *cache;      /* each stub file's last load, for reloads; under reload_lock */
};

/** The current stub set with a reference the caller drops with stub_set_unref.
 *  Runs on any thread; never waits on a reload's parse. */
struct stub_set *server_acquire(struct cannery_server *srv);

/** Prepares set for the HTTP layer and makes it the current one; the old set goes once the
 *  requests holding it finish. Call under reload_lock. */
void server_publish(struct cannery_server *srv, struct stub_set *set);

/** Records one answered (non-admin) request in the journal and the metrics. Runs on
 *  request threads. */
void server_record(struct cannery_server *srv, const struct journal_draft *d);

/** POST /__cannery/reset and cannery_server_reset: clears the journal and every piece of
 *  per-stub state (sequence positions, hit counters, scenario states); stubs stay.
 *  Thread-safe. */
void server_reset(struct cannery_server *srv);
