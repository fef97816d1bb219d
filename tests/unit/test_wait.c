/* SPDX-License-Identifier: MIT */
/* Unit tests for wait.c over a real journal and timer thread: answered at once without a
 * callback, pending then answered by an append (on the appending thread), by the deadline
 * (408, on the timer thread) or by waits_close (503), and every wait answered exactly once
 * while appends, deadlines and close race. Waits block on a condition variable with a
 * generous deadline that a passing run never reaches; nothing sleeps. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "journal.h"
#include "stub.h"
#include "testutil.h"
#include "timers.h"
#include "wait.h"

#define DEADLINE_MS 10000
#define FOREVER_MS 600000u

static struct journal *j;
static struct timers *t;
static struct waits *ws;

static void setup(void)
{
	j = journal_create(1000);
	t = timers_create();
	ws = waits_create(j, t);
}

static void teardown(void)
{
	waits_destroy(ws);
	timers_destroy(t);
	journal_destroy(j);
}

TestSuite(wait, .init = setup, .fini = teardown, .timeout = 60);

static void append(const char *method, const char *path)
{
	struct journal_draft d = { 0 };
	d.method = method;
	d.path = path;
	d.status = 200;
	journal_append(j, journal_entry_create(&d));
}

/* ---- a callback that records, and lets the test wait for the answer ---- */

struct rec {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int suspended, answered;
	int status;
	size_t count;
	pthread_t answered_on;
};

#define REC_INIT { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0, 0 }

static void on_suspend(void *arg)
{
	struct rec *r = arg;
	pthread_mutex_lock(&r->lock);
	r->suspended++;
	pthread_mutex_unlock(&r->lock);
}

static void on_answer(void *arg, int status, size_t count)
{
	struct rec *r = arg;
	pthread_mutex_lock(&r->lock);
	r->answered++;
	r->status = status;
	r->count = count;
	r->answered_on = pthread_self();
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

static struct wait_cb cb_for(struct rec *r)
{
	struct wait_cb cb = { on_suspend, on_answer, r };
	return cb;
}

/* Starts a wait for want entries matching text; returns what waits_start returned. */
static int start(struct rec *r, const char *text, size_t want, unsigned timeout_ms, size_t *count)
{
	struct wait_cb cb = cb_for(r);
	return waits_start(ws, load_matcher(text), want, timeout_ms, &cb, count);
}

/* Blocks until r was answered (true) or DEADLINE_MS passed (false). */
static bool await_answer(struct rec *r)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += DEADLINE_MS / 1000;
	pthread_mutex_lock(&r->lock);
	int rc = 0;
	while (!r->answered && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&r->cond, &r->lock, &until);
	bool answered = r->answered != 0;
	pthread_mutex_unlock(&r->lock);
	return answered;
}

static int answers(struct rec *r)
{
	pthread_mutex_lock(&r->lock);
	int n = r->answered;
	pthread_mutex_unlock(&r->lock);
	return n;
}

/* ---- answered at once ---- */

Test(wait, already_there_answers_200_without_callbacks)
{
	struct rec r = REC_INIT;
	size_t count = 99;
	append("GET", "/a");
	append("POST", "/a");
	append("GET", "/a");
	cr_expect_eq(start(&r, "{ method: GET, path: /a }", 2, FOREVER_MS, &count), 200);
	cr_expect_eq(count, 2);
	cr_expect_eq(r.suspended, 0);
	cr_expect_eq(r.answered, 0);
}

Test(wait, want_zero_is_already_there)
{
	struct rec r = REC_INIT;
	size_t count = 99;
	cr_expect_eq(start(&r, "path: /none", 0, FOREVER_MS, &count), 200);
	cr_expect_eq(count, 0);
	cr_expect_eq(r.suspended + r.answered, 0);
}

Test(wait, closed_registry_answers_503_at_once)
{
	struct rec r = REC_INIT;
	size_t count = 99;
	append("GET", "/a");
	waits_close(ws);
	cr_expect_eq(start(&r, "path: /a", 5, FOREVER_MS, &count), 503);
	cr_expect_eq(count, 0);
	cr_expect_eq(r.suspended + r.answered, 0, "no callback for a final status");
	/* closing twice is fine */
	waits_close(ws);
}

Test(wait, destroy_null_does_nothing)
{
	waits_destroy(NULL);
}

/* ---- pending ---- */

Test(wait, append_answers_on_the_appending_thread)
{
	struct rec r = REC_INIT;
	size_t count = 99;
	append("GET", "/orders");
	cr_assert_eq(start(&r, "{ method: GET, path: /orders }", 3, FOREVER_MS, &count), 0);
	cr_expect_eq(r.suspended, 1, "suspended before anything can answer");
	cr_expect_eq(answers(&r), 0);
	append("POST", "/orders");
	append("GET", "/elsewhere");
	append("GET", "/orders");
	cr_expect_eq(answers(&r), 0, "two of three");
	/* the watch answers inside journal_append, on this thread */
	append("GET", "/orders");
	cr_assert_eq(answers(&r), 1);
	cr_expect_eq(r.status, 200);
	cr_expect_eq(r.count, 3);
	cr_expect(pthread_equal(r.answered_on, pthread_self()));
	append("GET", "/orders");
	cr_expect_eq(answers(&r), 1, "answered exactly once");
}

struct appender {
	int n;
	pthread_t self;
};

static void *append_some(void *arg)
{
	struct appender *a = arg;
	a->self = pthread_self();
	for (int i = 0; i < a->n; i++)
		append("PUT", "/thing");
	return NULL;
}

Test(wait, answered_from_another_thread)
{
	struct rec r = REC_INIT;
	size_t count;
	cr_assert_eq(start(&r, "{ method: PUT, path: /thing }", 50, FOREVER_MS, &count), 0);
	struct appender a = { 50, 0 };
	pthread_t th;
	cr_assert_eq(pthread_create(&th, NULL, append_some, &a), 0);
	cr_assert(await_answer(&r), "not answered within %d ms", DEADLINE_MS);
	pthread_join(th, NULL);
	cr_expect_eq(r.status, 200);
	cr_expect_eq(r.count, 50);
	cr_expect(pthread_equal(r.answered_on, a.self), "answered by the appending thread");
	cr_expect_eq(answers(&r), 1);
}

Test(wait, deadline_answers_408_on_the_timer_thread)
{
	struct rec r = REC_INIT;
	size_t count;
	append("GET", "/slow");
	cr_assert_eq(start(&r, "path: /slow", 2, 1, &count), 0);
	cr_assert(await_answer(&r), "not answered within %d ms", DEADLINE_MS);
	cr_expect_eq(r.status, 408);
	cr_expect_eq(r.count, 1, "the matches there at the deadline");
	cr_expect_not(pthread_equal(r.answered_on, pthread_self()));
	/* a match after the deadline changes nothing */
	append("GET", "/slow");
	append("GET", "/slow");
	cr_expect_eq(answers(&r), 1);
}

Test(wait, zero_timeout_still_answers_through_the_timer)
{
	struct rec r = REC_INIT;
	size_t count;
	cr_assert_eq(start(&r, "path: /never", 1, 0, &count), 0);
	cr_assert(await_answer(&r));
	cr_expect_eq(r.status, 408);
	cr_expect_eq(r.count, 0);
}

Test(wait, close_answers_every_pending_wait_503)
{
	struct rec r[3] = { REC_INIT, REC_INIT, REC_INIT };
	size_t count;
	append("GET", "/x");
	cr_assert_eq(start(&r[0], "path: /x", 2, FOREVER_MS, &count), 0);
	cr_assert_eq(start(&r[1], "path: /y", 1, FOREVER_MS, &count), 0);
	cr_assert_eq(start(&r[2], "path: /x", 5, FOREVER_MS, &count), 0);
	/* one append ends the first, and only the first */
	append("GET", "/x");
	cr_expect_eq(answers(&r[0]), 1);
	cr_expect_eq(r[0].status, 200);
	cr_expect_eq(answers(&r[1]) + answers(&r[2]), 0);
	/* close answers the rest at once, on this thread */
	waits_close(ws);
	for (int i = 1; i < 3; i++) {
		cr_assert_eq(answers(&r[i]), 1, "wait %d", i);
		cr_expect_eq(r[i].status, 503, "wait %d", i);
		cr_expect(pthread_equal(r[i].answered_on, pthread_self()));
	}
	cr_expect_eq(r[1].count, 0);
	cr_expect_eq(r[2].count, 2);
	append("GET", "/x");
	append("GET", "/y");
	cr_expect_eq(answers(&r[0]) + answers(&r[1]) + answers(&r[2]), 3, "nothing answered twice");
}

Test(wait, destroy_answers_pending_waits)
{
	struct rec r = REC_INIT;
	size_t count;
	cr_assert_eq(start(&r, "path: /z", 1, FOREVER_MS, &count), 0);
	waits_destroy(ws);
	ws = NULL;
	cr_expect_eq(answers(&r), 1);
	cr_expect_eq(r.status, 503);
}

/* ---- exactly once, whatever races ---- */

#define NWAITS 200
#define APPENDERS 2
#define APPENDS 300

struct racer {
	struct rec rec[NWAITS];
	int started;
};

static void *append_race(void *arg)
{
	(void)arg;
	for (int i = 0; i < APPENDS; i++)
		append("GET", i % 2 ? "/race" : "/other");
	return NULL;
}

Test(wait, every_wait_answered_exactly_once)
{
	static struct racer rc;
	pthread_t th[APPENDERS];
	for (int i = 0; i < NWAITS; i++)
		rc.rec[i] = (struct rec)REC_INIT;
	for (int i = 0; i < APPENDERS; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, append_race, NULL), 0);
	/* waits for 1..NWAITS matches, with deadlines from 0 ms to a few ms or none at all,
	 * started while the appends run */
	int final[NWAITS] = { 0 };
	for (int i = 0; i < NWAITS; i++) {
		size_t count;
		unsigned timeout = i % 4 == 3 ? FOREVER_MS : (unsigned)(i % 7);
		final[i] = start(&rc.rec[i], "path: /race", (size_t)(i % 400) + 1, timeout, &count);
		cr_assert(final[i] == 0 || final[i] == 200, "wait %d: %d", i, final[i]);
	}
	for (int i = 0; i < APPENDERS; i++)
		pthread_join(th[i], NULL);
	/* the rest end now: 503 for those still pending */
	waits_close(ws);
	size_t total = APPENDERS * APPENDS / 2;
	for (int i = 0; i < NWAITS; i++) {
		struct rec *r = &rc.rec[i];
		size_t want = (size_t)(i % 400) + 1;
		if (final[i] == 200) {
			cr_expect_eq(r->suspended + r->answered, 0, "wait %d", i);
			continue;
		}
		cr_expect_eq(r->suspended, 1, "wait %d", i);
		cr_assert(await_answer(r), "wait %d never answered", i);
		cr_expect_eq(answers(r), 1, "wait %d answered %d times", i, answers(r));
		switch (r->status) {
		case 200:
			cr_expect_geq(r->count, want, "wait %d", i);
			break;
		case 408:
			cr_expect(i % 4 != 3, "wait %d without a deadline timed out", i);
			break;
		case 503:       /* still pending at close: a deadline not yet reached */
			break;
		default:
			cr_expect_fail("wait %d: status %d", i, r->status);
		}
		/* with no deadline, only enough matches or close can end it */
		if (i % 4 == 3)
			cr_expect_eq(r->status, want <= total ? 200 : 503, "wait %d for %zu of %zu", i, want, total);
	}
}
