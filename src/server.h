/* SPDX-License-Identifier: MIT */
/* Server glue: the stub-set slot, reloads, and the listening socket. Owns the HTTP layer. */
#pragma once
#include <pthread.h>
#include <stdatomic.h>

#include "cannery/cannery.h"
#include "stub.h"

struct http;

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

	struct proxy *proxy;           /* NULL without cfg.proxy */
	struct recorder *recorder;     /* NULL without cfg.record_dir */
	char *proxy_url;               /* owned copies behind cfg.proxy and cfg.record_dir */
	char *record_dir;
};

/** The current stub set with a reference the caller drops with stub_set_unref.
 *  Runs on any thread; never waits on a reload's parse. */
struct stub_set *server_acquire(struct cannery_server *srv);
