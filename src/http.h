/* SPDX-License-Identifier: MIT */
/* The HTTP adapter: libmicrohttpd's thread pool turned into exchanges for the pipeline and
 * replies back into responses. The only file that includes <microhttpd.h>. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "conns.h"

struct http;
struct pipeline;
struct timers;

struct http_config {
	struct pipeline *pipeline;      /* borrowed: must outlive the adapter */
	struct timers *timers;          /* the server's timer thread, for the connection sweep;
					 * borrowed, closed before the adapter is destroyed */
	unsigned threads;               /* 0: one per core */
	unsigned max_connections;       /* at this many, idle keep-alive connections make room */
	unsigned idle_timeout_s;
	unsigned head_timeout_ms;       /* a whole request head, from the connection's start */
	unsigned min_body_rate;         /* bytes/s a body must average after head_timeout_ms */
	size_t max_body;
	int log_fd;                     /* libmicrohttpd's own messages */
	bool quiet;
	/* HTTPS (SPEC section 12): the certificate chain and its key as PEM text, checked
	 * already (tls.h); borrowed: they must outlive the adapter. NULL: plain HTTP. */
	const char *tls_cert_pem;
	const char *tls_key_pem;
};

/** A stopped adapter. */
struct http *http_create(const struct http_config *cfg);
/** Takes ownership of the listening socket and starts the thread pool. Returns 0, or a
 *  negative errno with a message in *error (caller frees). */
int http_start(struct http *h, int listen_fd, char **error);
/** Stops accepting new connections (the socket is closed); requests in flight go on. */
void http_quiesce(struct http *h);
/** Waits up to ms for the requests in flight to finish. */
void http_drain(struct http *h, unsigned ms);
/** Stops the thread pool (no connection may be suspended then). Idempotent. */
void http_stop(struct http *h);
/** Stops and frees. NULL does nothing. */
void http_destroy(struct http *h);

/** The connection registry's counters (open, idle, closed for a slow head or body, evicted). */
struct conns_stats http_conn_stats(struct http *h);

/** Frees one prebuilt response (struct reply_prepared's built[]): the reply cache's
 *  drop_built. */
void http_drop_built(void *built);
