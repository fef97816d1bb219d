/* SPDX-License-Identifier: MIT */
/* A timer thread over a binary min-heap of deadlines (CLOCK_MONOTONIC). */
#include "timers.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "util/clock.h"
#include "util/xalloc.h"

struct timer {
	uint64_t due_ns;
	uint64_t id;
	timer_fn *fn;
	void *arg;
};

struct timers {
	pthread_mutex_t lock;        /* guards everything below */
	pthread_cond_t wake;         /* signalled when the earliest deadline changes or on stop */
	struct timer *heap;
	size_t n, alloc;
	uint64_t next_id;
	bool stop;
	pthread_t thread;
	bool closed;                 /* timers_close ran: timers_add cancels at once */
};

static void swap(struct timer *a, struct timer *b)
{
	struct timer t = *a;
	*a = *b;
	*b = t;
}

static void sift_up(struct timer *h, size_t i)
{
	while (i > 0 && h[(i - 1) / 2].due_ns > h[i].due_ns) {
		swap(&h[i], &h[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
}

static void sift_down(struct timer *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && h[l].due_ns < h[m].due_ns)
			m = l;
		if (r < n && h[r].due_ns < h[m].due_ns)
			m = r;
		if (m == i)
			return;
		swap(&h[i], &h[m]);
		i = m;
	}
}

static struct timer pop_at(struct timers *t, size_t i)
{
	struct timer out = t->heap[i];
	t->heap[i] = t->heap[--t->n];
	if (i < t->n) {
		sift_down(t->heap, t->n, i);
		sift_up(t->heap, i);
	}
	return out;
}

/* The timer thread: sleeps until the earliest deadline, runs what is due unlocked. */
static void *run(void *arg)
{
	struct timers *t = arg;
	pthread_mutex_lock(&t->lock);
	while (!t->stop) {
		if (t->n == 0) {
			pthread_cond_wait(&t->wake, &t->lock);
			continue;
		}
		uint64_t now = clock_now_ns();
		if (t->heap[0].due_ns > now) {
			uint64_t due = t->heap[0].due_ns;
			struct timespec ts = { (time_t)(due / 1000000000u), (long)(due % 1000000000u) };
			pthread_cond_timedwait(&t->wake, &t->lock, &ts);
			continue;
		}
		struct timer due = pop_at(t, 0);
		pthread_mutex_unlock(&t->lock);
		due.fn(due.arg, false);
		pthread_mutex_lock(&t->lock);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

struct timers *timers_create(void)
{
	struct timers *t = xcalloc(1, sizeof(*t));
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&t->wake, &attr);
	pthread_condattr_destroy(&attr);
	pthread_mutex_init(&t->lock, NULL);
	t->next_id = 1;
	int rc = pthread_create(&t->thread, NULL, run, t);
	if (rc != 0) {
		fprintf(stderr, "cannery: cannot start the timer thread: error %d\n", rc);
		abort();
	}
	return t;
}

void timers_close(struct timers *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	bool was = t->closed;
	t->closed = true;
	t->stop = true;
	pthread_cond_signal(&t->wake);
	pthread_mutex_unlock(&t->lock);
	if (was)
		return;
	pthread_join(t->thread, NULL);
	/* no thread left: pending callbacks learn that they will never fire */
	pthread_mutex_lock(&t->lock);
	while (t->n) {
		struct timer left = pop_at(t, 0);
		pthread_mutex_unlock(&t->lock);
		left.fn(left.arg, true);
		pthread_mutex_lock(&t->lock);
	}
	pthread_mutex_unlock(&t->lock);
}

void timers_destroy(struct timers *t)
{
	if (!t)
		return;
	timers_close(t);
	free(t->heap);
	pthread_cond_destroy(&t->wake);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

uint64_t timers_add(struct timers *t, uint64_t delay_ms, timer_fn *fn, void *arg)
{
	uint64_t due = clock_now_ns() + delay_ms * 1000000u;
	pthread_mutex_lock(&t->lock);
	if (t->closed) {
		/* closed: the timer would never fire, so it is cancelled right away */
		pthread_mutex_unlock(&t->lock);
		fn(arg, true);
		return 0;
	}
	if (t->n == t->alloc) {
		t->alloc = t->alloc ? t->alloc * 2 : 16;
		t->heap = xrealloc(t->heap, t->alloc * sizeof(*t->heap));
	}
	uint64_t id = t->next_id++;
	t->heap[t->n] = (struct timer){ due, id, fn, arg };
	sift_up(t->heap, t->n++);
	if (t->heap[0].id == id)
		pthread_cond_signal(&t->wake);
	pthread_mutex_unlock(&t->lock);
	return id;
}

bool timers_cancel(struct timers *t, uint64_t id)
{
	bool found = false;
	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < t->n; i++) {
		if (t->heap[i].id == id) {
			pop_at(t, i);
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return found;
}
