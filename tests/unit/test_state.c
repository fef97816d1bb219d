/* SPDX-License-Identifier: MIT */
/* state: hit counters, sequence positions (repeat_last, cycle), scenario states and
 * next_state, reset, what a reload keeps (keys are ids and names), and exactly-once
 * counting under concurrent hits. */
#include <criterion/criterion.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "stub.h"
#include "util/xalloc.h"

static struct state *st;

static void setup(void)
{
	st = state_create();
}

static void teardown(void)
{
	state_destroy(st);
}

TestSuite(state, .init = setup, .fini = teardown);

/* A hand-built stub with n responses (their contents do not matter here). */
static struct stub *make(const char *id, size_t n, enum sequence_mode mode)
{
	struct stub *s = xcalloc(1, sizeof(*s));
	s->id = xstrdup(id);
	s->sequence = mode;
	s->responses = xcalloc(n, sizeof(*s->responses));
	s->responses[0] = &s->resp;
	for (size_t i = 1; i < n; i++)
		s->responses[i] = xcalloc(1, sizeof(**s->responses));
	s->nresponses = n;
	s->counts_hits = true;
	return s;
}

static size_t hit(struct stub *s, uint64_t *seq)
{
	state_lock(st);
	size_t i = state_hit_locked(st, s, seq);
	state_unlock(st);
	return i;
}

static char *scenario(const char *name)
{
	return state_scenario(st, name);
}

Test(state, starts_empty)
{
	cr_expect_eq(state_hits(st, "nope"), 0);
	char *s = scenario("any");
	cr_expect_str_eq(s, "start");
	free(s);
}

Test(state, single_response_counts_hits)
{
	struct stub *s = make("one", 1, SEQUENCE_REPEAT_LAST);
	uint64_t seq = 0;
	for (uint64_t i = 1; i <= 5; i++) {
		cr_expect_eq(hit(s, &seq), 0);
		cr_expect_eq(seq, i);
	}
	cr_expect_eq(state_hits(st, "one"), 5);
	stub_destroy(s);
}

Test(state, repeat_last)
{
	struct stub *s = make("seq", 3, SEQUENCE_REPEAT_LAST);
	static const size_t want[] = { 0, 1, 2, 2, 2, 2 };
	for (size_t i = 0; i < 6; i++)
		cr_expect_eq(hit(s, NULL), want[i], "hit %zu", i + 1);
	stub_destroy(s);
}

Test(state, cycle)
{
	struct stub *s = make("cyc", 3, SEQUENCE_CYCLE);
	for (size_t i = 0; i < 9; i++)
		cr_expect_eq(hit(s, NULL), i % 3, "hit %zu", i + 1);
	stub_destroy(s);
}

Test(state, next_state_moves_only_its_scenario)
{
	struct stub *login = make("login", 1, SEQUENCE_REPEAT_LAST);
	login->scenario = xstrdup("auth");
	login->next_state = xstrdup("logged_in");
	struct stub *plain = make("plain", 1, SEQUENCE_REPEAT_LAST);
	plain->scenario = xstrdup("auth");   /* a scenario without next_state leaves it */

	hit(plain, NULL);
	char *s = scenario("auth");
	cr_expect_str_eq(s, "start");
	free(s);
	hit(login, NULL);
	s = scenario("auth");
	cr_expect_str_eq(s, "logged_in");
	free(s);
	s = scenario("other");
	cr_expect_str_eq(s, "start");
	free(s);
	state_lock(st);
	cr_expect_str_eq(state_scenario_locked(st, "auth"), "logged_in");
	state_unlock(st);
	stub_destroy(login);
	stub_destroy(plain);
}

Test(state, reset_clears_everything)
{
	struct stub *s = make("seq", 2, SEQUENCE_REPEAT_LAST);
	s->scenario = xstrdup("flow");
	s->next_state = xstrdup("two");
	hit(s, NULL);
	hit(s, NULL);
	cr_expect_eq(hit(s, NULL), 1);
	state_reset(st);
	cr_expect_eq(state_hits(st, "seq"), 0);
	char *sc = scenario("flow");
	cr_expect_str_eq(sc, "start");
	free(sc);
	uint64_t seq = 0;
	cr_expect_eq(hit(s, &seq), 0, "the sequence starts over");
	cr_expect_eq(seq, 1);
	stub_destroy(s);
}

Test(state, same_id_keeps_its_count_across_reloads)
{
	/* a reload builds new stubs: the same id continues where the old one was */
	struct stub *old = make("orders", 3, SEQUENCE_REPEAT_LAST);
	hit(old, NULL);
	stub_destroy(old);
	struct stub *now = make("orders", 2, SEQUENCE_REPEAT_LAST);
	cr_expect_eq(hit(now, NULL), 1);
	cr_expect_eq(hit(now, NULL), 1, "a shorter sequence repeats its last");
	stub_destroy(now);
	struct stub *cyc = make("orders", 2, SEQUENCE_CYCLE);
	cr_expect_eq(hit(cyc, NULL), 1, "hit 4 of a cycle of 2");
	stub_destroy(cyc);
}

#define THREADS 8
#define HITS 2000
#define NRESP 5

struct worker {
	struct stub *s;
	size_t counts[NRESP];
	uint64_t seqs[HITS];
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	for (size_t i = 0; i < HITS; i++) {
		uint64_t seq;
		w->counts[hit(w->s, &seq)]++;
		w->seqs[i] = seq;
	}
	return NULL;
}

Test(state, concurrent_hits_are_counted_exactly_once, .timeout = 60)
{
	struct stub *rl = make("rl", NRESP, SEQUENCE_REPEAT_LAST);
	struct stub *cy = make("cy", NRESP, SEQUENCE_CYCLE);
	static struct worker w[2 * THREADS];
	pthread_t t[2 * THREADS];
	for (size_t i = 0; i < 2 * THREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].s = i % 2 ? cy : rl;
		cr_assert_eq(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
	}
	for (size_t i = 0; i < 2 * THREADS; i++)
		pthread_join(t[i], NULL);

	size_t rlc[NRESP] = { 0 }, cyc[NRESP] = { 0 };
	static bool seen[2][THREADS * HITS + 1];
	for (size_t i = 0; i < 2 * THREADS; i++) {
		for (size_t k = 0; k < NRESP; k++)
			(i % 2 ? cyc : rlc)[k] += w[i].counts[k];
		for (size_t k = 0; k < HITS; k++) {
			uint64_t q = w[i].seqs[k];
			cr_assert(q >= 1 && q <= THREADS * HITS);
			cr_assert(!seen[i % 2][q], "seq %lu handed out twice", (unsigned long)q);
			seen[i % 2][q] = true;
		}
	}
	for (size_t k = 0; k + 1 < NRESP; k++)
		cr_expect_eq(rlc[k], 1, "repeat_last: response %zu served %zu times", k, rlc[k]);
	cr_expect_eq(rlc[NRESP - 1], THREADS * HITS - (NRESP - 1));
	for (size_t k = 0; k < NRESP; k++)
		cr_expect_eq(cyc[k], THREADS * HITS / NRESP, "cycle: response %zu served %zu times", k, cyc[k]);
	cr_expect_eq(state_hits(st, "rl"), THREADS * HITS);
	cr_expect_eq(state_hits(st, "cy"), THREADS * HITS);
	stub_destroy(rl);
	stub_destroy(cy);
}
