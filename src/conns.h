/* SPDX-License-Identifier: MIT */
/* The connection registry: every open client connection with where it stands (waiting for
 * a request head, reading a body, answering, idle between keep-alive requests) and its
 * deadline. It enforces what libmicrohttpd's idle timeout cannot: a deadline for a whole
 * request head (a client that sends one byte every few seconds resets an idle timer for
 * ever), a minimum body rate, and room for new clients at the connection limit (idle
 * keep-alive connections are closed first, as nginx does). A connection is ended by
 * shutdown(2) on its socket, which its owner then sees as the peer going away; the owner
 * closes the descriptor only after conns_close, so a shutdown never hits a reused one.
 * Thread-safe: one lock. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conns_config {
	unsigned head_timeout_ms;   /* a request head must be complete this long after the
				     * connection opened (0: no deadline) */
	unsigned idle_timeout_ms;   /* ... or after the previous request on it ended */
	unsigned body_rate;         /* bytes/s a body must average once its first
				     * head_timeout_ms are over (0: no minimum) */
	unsigned max_connections;   /* at this many, opening one more closes the connection
				     * idle the longest (0: no limit here) */
};

struct conns_stats {
	size_t open;                /* connections now */
	size_t idle;                /* ... of which idle between requests */
	uint64_t head_timeouts;     /* closed: request head not complete in time */
	uint64_t idle_timeouts;     /* closed: no complete head within idle_timeout_ms of the
				     * previous request (libmicrohttpd's idle timer, reset by
				     * every byte, would have let a trickle go on) */
	uint64_t slow_bodies;       /* closed: body slower than body_rate */
	uint64_t evicted_idle;      /* closed: idle, to make room for a new connection */
};

struct conns;
struct conn;

/** Never NULL. */
struct conns *conns_create(const struct conns_config *cfg);
/** Every connection must have been closed. NULL does nothing. */
void conns_destroy(struct conns *cs);

/** A new connection on socket fd at now_ms (CLOCK_MONOTONIC): waiting for its first head.
 *  At max_connections, the connection idle the longest is shut down first (if there is
 *  one). Never NULL. */
struct conn *conns_open(struct conns *cs, int fd, uint64_t now_ms);
/** The connection is over; its descriptor may be closed after this returns. */
void conns_close(struct conns *cs, struct conn *c);

/** The request head is complete: the body (if any) is read next. */
void conns_head_done(struct conns *cs, struct conn *c, uint64_t now_ms);
/** n more body bytes arrived. */
void conns_body(struct conns *cs, struct conn *c, size_t n);
/** The body is in: the answer is being worked out or sent (no deadline of ours). */
void conns_answering(struct conns *cs, struct conn *c);
/** The request is over and the connection stays open: idle until the next head. */
void conns_request_done(struct conns *cs, struct conn *c, uint64_t now_ms);

/** Shuts down every connection past its deadline at now_ms; returns how many. */
size_t conns_sweep(struct conns *cs, uint64_t now_ms);

struct conns_stats conns_get_stats(struct conns *cs);
