/* SPDX-License-Identifier: MIT */
/* Pending waits: a journal watch counts matching entries as they arrive, a timer ends the
 * wait at its deadline, and whoever claims the wait first (watch, timer or close) answers. */
#include "wait.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "journal.h"
#include "timers.h"
#include "verify.h"
#include "util/xalloc.h"

struct wait {
	struct journal_watch watch;     /* first: the journal hands this back */
	struct waits *ws;
	struct stub *m;                 /* owned */
	size_t want;
	struct wait_cb cb;
	/* lock guards snap, live and counted */
	pthread_mutex_t lock;
	size_t snap;                    /* matches among the entries there when the wait began */
	size_t live;                    /* matches among the entries appended since */
	bool counted;                   /* snap is final: the watch may end the wait */
	atomic_bool claimed;            /* set once, by whoever answers */
	/*
	 * Two references: one for whoever claims the wait, one for its timer (dropped by the
	 * timer callback, by a successful timers_cancel, or at once when no timer is set).
	 */
	atomic_uint refs;
	/* under ws->lock */
	uint64_t timer;
	bool listed;
	struct wait *prev, *next;
};

struct waits {
	/* lock guards list, closed, and each wait's timer, listed, prev and next */
	pthread_mutex_t lock;
	struct wait *list;
	bool closed;
	struct journal *j;
	struct timers *t;
};

struct waits *waits_create(struct journal *j, struct timers *t)
{
	struct waits *ws = xcalloc(1, sizeof(*ws));
	pthread_mutex_init(&ws->lock, NULL);
	ws->j = j;
	ws->t = t;
	return ws;
}

static void wait_unref(struct wait *w)
{
	if (atomic_fetch_sub_explicit(&w->refs, 1, memory_order_acq_rel) != 1)
		return;
	stub_destroy(w->m);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

static bool claim(struct wait *w)
{
	return !atomic_exchange(&w->claimed, true);
}

static size_t total(struct wait *w)
{
	pthread_mutex_lock(&w->lock);
	size_t n = w->snap + w->live;
	pthread_mutex_unlock(&w->lock);
	return n;
}

/* The claimant's part once the watch is unlinked: answer, leave the registry, stop the
 * timer, and drop the claim's reference. */
static void finish(struct wait *w, int status)
{
	struct waits *ws = w->ws;
	w->cb.answer(w->cb.arg, status, total(w));
	pthread_mutex_lock(&ws->lock);
	if (w->listed) {
		if (w->prev)
			w->prev->next = w->next;
		else
			ws->list = w->next;
		if (w->next)
			w->next->prev = w->prev;
		w->listed = false;
	}
	uint64_t timer = w->timer;
	pthread_mutex_unlock(&ws->lock);
	if (timer && timers_cancel(ws->t, timer))
		wait_unref(w);
	wait_unref(w);
}

/* Runs under the journal's lock, on the appending request thread. */
static bool on_entry(struct journal_watch *watch, const struct journal_entry *e)
{
	struct wait *w = (struct wait *)watch;
	if (!verify_entry_matches(w->m, e))
		return false;
	pthread_mutex_lock(&w->lock);
	w->live++;
	bool done = w->counted && w->snap + w->live >= w->want;
	pthread_mutex_unlock(&w->lock);
	return done && claim(w);
}

/* Runs on the appending request thread, after the journal unlinked the watch. */
static void on_fire(struct journal_watch *watch)
{
	finish((struct wait *)watch, 200);
}

/* Runs on the timer thread (cancelled: inside timers_destroy). */
static void on_timeout(void *arg, bool cancelled)
{
	struct wait *w = arg;
	if (claim(w)) {
		journal_watch_remove(w->ws->j, &w->watch);
		finish(w, cancelled ? 503 : 408);
	}
	wait_unref(w);
}

int waits_start(struct waits *ws, struct stub *m, size_t want, unsigned timeout_ms, const struct wait_cb *cb,
		size_t *count)
{
	pthread_mutex_lock(&ws->lock);
	bool closed = ws->closed;
	pthread_mutex_unlock(&ws->lock);
	if (closed) {
		stub_destroy(m);
		*count = 0;
		return 503;
	}
	struct wait *w = xcalloc(1, sizeof(*w));
	w->watch.on_entry = on_entry;
	w->watch.fire = on_fire;
	w->ws = ws;
	w->m = m;
	w->want = want;
	w->cb = *cb;
	pthread_mutex_init(&w->lock, NULL);
	atomic_init(&w->claimed, false);
	atomic_init(&w->refs, 2);

	/* every entry is either in the snapshot or seen by on_entry: none twice, none lost */
	struct journal_snapshot snap;
	journal_watch_add(ws->j, &w->watch, &snap);
	size_t c = verify_count(m, &snap);
	journal_snapshot_release(&snap);
	pthread_mutex_lock(&w->lock);
	w->snap = c;
	if (c + w->live >= want) {
		/* already there; nobody else can claim a wait that is not counted yet */
		*count = c + w->live;
		pthread_mutex_unlock(&w->lock);
		journal_watch_remove(ws->j, &w->watch);
		stub_destroy(w->m);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return 200;
	}
	if (cb->suspend)
		cb->suspend(cb->arg);
	w->counted = true;
	pthread_mutex_unlock(&w->lock);

	pthread_mutex_lock(&ws->lock);
	closed = ws->closed;
	if (!closed && !atomic_load(&w->claimed)) {
		w->listed = true;
		w->prev = NULL;
		w->next = ws->list;
		if (ws->list)
			ws->list->prev = w;
		ws->list = w;
		w->timer = timers_add(ws->t, timeout_ms, on_timeout, w);
		pthread_mutex_unlock(&ws->lock);
		return 0;
	}
	pthread_mutex_unlock(&ws->lock);
	if (closed && claim(w)) {
		journal_watch_remove(ws->j, &w->watch);
		finish(w, 503);
	}
	wait_unref(w);      /* no timer: drop its reference now */
	return 0;
}

void waits_close(struct waits *ws)
{
	pthread_mutex_lock(&ws->lock);
	ws->closed = true;
	size_t n = 0;
	for (struct wait *w = ws->list; w; w = w->next)
		n++;
	struct wait **all = xmalloc((n ? n : 1) * sizeof(*all));
	n = 0;
	for (struct wait *w = ws->list; w; w = w->next) {
		atomic_fetch_add_explicit(&w->refs, 1, memory_order_relaxed);
		all[n++] = w;
	}
	pthread_mutex_unlock(&ws->lock);
	for (size_t i = 0; i < n; i++) {
		if (claim(all[i])) {
			journal_watch_remove(ws->j, &all[i]->watch);
			finish(all[i], 503);
		}
		wait_unref(all[i]);
	}
	free(all);
}

void waits_destroy(struct waits *ws)
{
	if (!ws)
		return;
	waits_close(ws);
	pthread_mutex_destroy(&ws->lock);
	free(ws);
}
