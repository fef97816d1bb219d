/* SPDX-License-Identifier: MIT */
/* The admin API under /__cannery/: JSON in, JSON out. */
#pragma once
#include "conns.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "matcher.h"

struct catalog;
struct journal;
struct metrics;
struct slot;
struct state;
struct waits;
struct wm_front;

/** What the admin API works on; everything borrowed. */
struct admin_ctx {
	struct catalog *catalog;        /* stubs: add, remove, reload */
	struct slot *slot;              /* the current set: list, count */
	struct journal *journal;
	struct waits *waits;
	struct metrics *metrics;
	struct state *state;            /* reset */
	const char *token;              /* --admin-token, or NULL */
	/* more to reset on POST /__cannery/reset (the CRUD resources); NULL: nothing */
	void (*on_reset)(void *cls);
	void *reset_cls;
	/* the connection registry's counters, for the metrics; NULL: none yet */
	struct conns_stats (*conn_stats)(void *cls);
	void *conn_cls;
	int log_fd;
	bool quiet;
	/* WireMock's /__admin/ API (wiremock_admin.h): the mappings it manages, and how the
	 * server publishes them after a change */
	struct wm_front *wiremock;
	void (*republish)(void *cls);
	void *republish_cls;
	int64_t started_ms;             /* CLOCK_REALTIME at start, for uptimes */
	bool https;                     /* served over TLS: absolute URLs say https:// */
};
struct strbuf;

#define ADMIN_PREFIX "/__cannery"

/** admin_handle's status for an answer that comes later, through req->answer. */
#define ADMIN_DEFERRED 0

/** One admin request, as the HTTP layer hands it over. Everything is borrowed for the
 *  duration of admin_handle. */
struct admin_request {
	const char *method;
	const char *path;               /* the full path, starting with ADMIN_PREFIX */
	const struct kv *query;         /* decoded query parameters */
	size_t nquery;
	const char *origin;             /* the Origin header; NULL when absent */
	const char *authorization;      /* the Authorization header; NULL when absent */
	const char *body;
	size_t body_len;
	/* Deferred answers (POST /__cannery/requests/wait): suspend(arg) is called before the
	 * answer can come; answer(arg, status, json) then comes exactly once, from any thread,
	 * and takes over json (malloc'd, NUL-terminated). */
	void (*suspend)(void *arg);
	void (*answer)(void *arg, int status, char *json);
	void *arg;
};

/** Handles one admin request: writes the body to out (nothing for 204), points
 *  *content_type at a static string (NULL: no body) and returns the HTTP status, or
 *  ADMIN_DEFERRED when the answer comes later through req->answer. Runs on MHD worker
 *  threads. */
int admin_handle(const struct admin_ctx *ax, const struct admin_request *req, struct strbuf *out,
		 const char **content_type);

/** SPEC section 6's admin rules, for every admin API (this one and WireMock's): 0 when
 *  the request may use it, else the status of the refusal, its JSON in out (403 for an
 *  Origin that is not loopback, 401 for a missing or wrong --admin-token). */
int admin_check_access(const struct admin_ctx *ax, const struct admin_request *req, struct strbuf *out);

/** POST /__cannery/reset and cannery_server_reset: clears the journal and every piece of
 *  per-stub state (sequence positions, hit counters, scenario states); stubs stay.
 *  Thread-safe. */
void admin_reset(const struct admin_ctx *ax);

/** Filters of GET /__cannery/requests. */
struct requests_filter {
	const char *method;             /* NULL: any; case-insensitive */
	const char *path;               /* NULL: any; exact */
	const char *stub;               /* NULL: any; exact id */
	int matched;                    /* -1: any; 1: a stub answered; 0: none did */
	uint64_t since;                 /* entries with seq > since */
	size_t limit;                   /* the first limit after since; SIZE_MAX: all */
};

/** Appends {"requests":[..],"total":N,"evicted":E} for the entries passing f (NULL: all).
 *  Any thread. */
void admin_requests_json(const struct admin_ctx *ax, const struct requests_filter *f, struct strbuf *out);
