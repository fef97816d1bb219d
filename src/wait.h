/* SPDX-License-Identifier: MIT */
/* Waits for journal entries: "answer once N requests matching M are in the journal, or
 * after T ms", without holding a thread while waiting. A journal watch counts new entries
 * as they are appended and the server's timer thread ends the wait at its deadline. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct journal;
struct stub;
struct timers;
struct waits;

/** How a pending wait reports back. */
struct wait_cb {
	/** Called once, on the caller's thread inside waits_start, when the wait turns out
	 *  to be pending and before anything can answer it (NULL: not needed). The HTTP layer
	 *  suspends its connection here. */
	void (*suspend)(void *arg);
	/** Called exactly once for a pending wait: status 200 when count matching entries
	 *  are in the journal, 408 at the deadline, 503 when the server stops; count is the
	 *  number of matching entries then. Runs on a request thread, the timer thread or the
	 *  thread that stops the server; must not block. */
	void (*answer)(void *arg, int status, size_t count);
	void *arg;
};

/** The registry of a server's pending waits. Never NULL. journal and timers are borrowed
 *  and must outlive it. */
struct waits *waits_create(struct journal *j, struct timers *t);
/** Answers every pending wait with 503 now and every later one at once. Thread-safe. */
void waits_close(struct waits *ws);
/** Closes, then frees. NULL does nothing. */
void waits_destroy(struct waits *ws);

/** Waits until want entries match m (m is taken over and freed by the wait) or timeout_ms
 *  pass. Returns 0 when the wait is pending: cb->suspend was called, and cb->answer will
 *  be called exactly once later (possibly before this returns, from another thread).
 *  Otherwise returns the final status without calling cb at all: 200 when want matching
 *  entries are already there, 503 when the registry is closed; *count gets the count. */
int waits_start(struct waits *ws, struct stub *m, size_t want, unsigned timeout_ms, const struct wait_cb *cb,
		size_t *count);
