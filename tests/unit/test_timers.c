/* SPDX-License-Identifier: MIT */
/* Unit tests for timers: order, cancel, and destroy with timers pending. No test here
 * depends on the machine's speed: order and counts only, deadlines generous. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "timers.h"

struct log {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int order[16];
	int n;
	int cancelled;
};

struct entry {
	struct log *log;
	int tag;
};

static void record(void *arg, bool cancelled)
{
	struct entry *e = arg;
	pthread_mutex_lock(&e->log->lock);
	if (cancelled)
		e->log->cancelled++;
	else
		e->log->order[e->log->n++] = e->tag;
	pthread_cond_broadcast(&e->log->cond);
	pthread_mutex_unlock(&e->log->lock);
}

static void wait_for(struct log *l, int n)
{
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 10;
	pthread_mutex_lock(&l->lock);
	while (l->n < n)
		if (pthread_cond_timedwait(&l->cond, &l->lock, &deadline) != 0)
			break;
	pthread_mutex_unlock(&l->lock);
}

Test(timers, fire_in_deadline_order)
{
	struct log l = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, { 0 }, 0, 0 };
	struct entry e[4] = { { &l, 3 }, { &l, 1 }, { &l, 4 }, { &l, 2 } };
	struct timers *t = timers_create();
	timers_add(t, 300, record, &e[0]);
	timers_add(t, 10, record, &e[1]);
	timers_add(t, 400, record, &e[2]);
	timers_add(t, 150, record, &e[3]);
	wait_for(&l, 4);
	cr_assert_eq(l.n, 4);
	for (int i = 0; i < 4; i++)
		cr_expect_eq(l.order[i], i + 1);
	timers_destroy(t);
	cr_expect_eq(l.cancelled, 0);
}

Test(timers, cancel_prevents_the_call)
{
	struct log l = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, { 0 }, 0, 0 };
	struct entry a = { &l, 1 }, b = { &l, 2 };
	struct timers *t = timers_create();
	uint64_t ida = timers_add(t, 200, record, &a);
	timers_add(t, 250, record, &b);
	cr_assert(timers_cancel(t, ida));
	cr_assert_not(timers_cancel(t, ida));
	wait_for(&l, 1);
	cr_assert_eq(l.n, 1);
	cr_expect_eq(l.order[0], 2);
	timers_destroy(t);
}

Test(timers, destroy_reports_pending_as_cancelled)
{
	struct log l = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, { 0 }, 0, 0 };
	struct entry e[3] = { { &l, 1 }, { &l, 2 }, { &l, 3 } };
	struct timers *t = timers_create();
	for (int i = 0; i < 3; i++)
		timers_add(t, 3600 * 1000, record, &e[i]);
	timers_destroy(t);
	cr_expect_eq(l.n, 0);
	cr_expect_eq(l.cancelled, 3);
}
