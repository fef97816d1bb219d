/* SPDX-License-Identifier: MIT */
/* slot.h: publishing sets and acquiring the current one, and when a replaced set goes: only
 * once its last holder lets go, also while other threads acquire and release as a publisher
 * swaps sets in. Every set is built over one shared group with a stub_set_ext that marks
 * its generation released, so a set freed too early shows as a flag (and to ASan). */
#include <criterion/criterion.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "slot.h"
#include "stub.h"
#include "stub_set.h"
#include "testutil.h"
#include "util/xalloc.h"

#define MAX_GEN 512

/* the per-set data: its generation again, read by holders (freed with the set) */
struct mark {
	uint64_t generation;
};

static atomic_bool released[MAX_GEN + 1];
static atomic_uint nprepared, nreleased;
static struct stub_group *group;
static struct slot *slot;

static void *prepare(const struct stub_set *set, void *cls)
{
	(void)cls;
	struct mark *m = xmalloc(sizeof(*m));
	m->generation = set->generation;
	atomic_fetch_add(&nprepared, 1);
	return m;
}

static void release(void *data, size_t n, void *cls)
{
	(void)n;
	(void)cls;
	struct mark *m = data;
	atomic_store(&released[m->generation], true);
	atomic_fetch_add(&nreleased, 1);
	free(m);
}

static const struct stub_set_ext ext = { prepare, release, NULL };

static void setup(void)
{
	group = load_group("slot.yaml", "- name: a\n  request: { path: /a }\n  response: { body: A }\n"
					"- name: b\n  request: { path: /b }\n  response: { body: B }\n");
	slot = slot_create();
}

static void teardown(void)
{
	slot_destroy(slot);
	stub_group_unref(group);
}

TestSuite(slot, .init = setup, .fini = teardown);

static struct stub_set *new_set(uint64_t generation)
{
	cr_assert_leq(generation, MAX_GEN);
	return stub_set_create(&group, 1, generation, &ext);
}

/* Whether set is the live set of generation gen: not released, its data intact. */
static bool live(const struct stub_set *set, uint64_t gen)
{
	const struct mark *m = set->ext;
	return set->generation == gen && !atomic_load(&released[gen]) && m->generation == gen && set->n == 2 &&
	       stub_set_find(set, "b") == group->stubs[1];
}

Test(slot, an_empty_slot_gives_nothing)
{
	cr_assert_null(slot_acquire(slot));
	cr_assert_null(slot_acquire(slot));
	slot_destroy(NULL);
}

Test(slot, acquire_takes_a_reference_to_the_published_set)
{
	struct stub_set *set = new_set(1);
	slot_publish(slot, set);
	struct stub_set *a = slot_acquire(slot), *b = slot_acquire(slot);
	cr_assert_eq(a, set);
	cr_assert_eq(b, set);
	cr_assert_eq(atomic_load(&set->refs), 3);
	stub_set_unref(a);
	stub_set_unref(b);
	cr_assert_eq(atomic_load(&set->refs), 1);
	cr_assert_not(atomic_load(&released[1]));
	/* destroying the slot drops its reference */
	slot_destroy(slot);
	slot = NULL;
	cr_assert(atomic_load(&released[1]));
}

Test(slot, a_replaced_set_goes_with_its_last_holder)
{
	slot_publish(slot, new_set(1));
	struct stub_set *held = slot_acquire(slot), *again = slot_acquire(slot);
	slot_publish(slot, new_set(2));
	cr_assert(live(held, 1));
	struct stub_set *now = slot_acquire(slot);
	cr_assert(live(now, 2));
	stub_set_unref(now);
	stub_set_unref(held);
	cr_assert(live(again, 1));
	stub_set_unref(again);
	cr_assert(atomic_load(&released[1]));
	/* a set nobody holds goes as soon as it is replaced */
	slot_publish(slot, new_set(3));
	cr_assert(atomic_load(&released[2]));
	cr_assert_not(atomic_load(&released[3]));
	cr_assert_eq(atomic_load(&nprepared), 3);
	cr_assert_eq(atomic_load(&nreleased), 2);
}

Test(slot, a_held_set_outlives_the_slot)
{
	slot_publish(slot, new_set(1));
	struct stub_set *held = slot_acquire(slot);
	slot_destroy(slot);
	slot = NULL;
	cr_assert(live(held, 1));
	stub_set_unref(held);
	cr_assert(atomic_load(&released[1]));
}

/* ---- threads ---- */

/* One thread holds a set while another publishes: ordered by barriers, not by time. */
static pthread_barrier_t step;
static atomic_bool held_was_live;

static void *holder(void *arg)
{
	(void)arg;
	struct stub_set *set = slot_acquire(slot);
	pthread_barrier_wait(&step);        /* 1: holding generation 1 */
	pthread_barrier_wait(&step);        /* 2: generation 2 is published */
	atomic_store(&held_was_live, live(set, 1));
	stub_set_unref(set);
	pthread_barrier_wait(&step);        /* 3: let go */
	return NULL;
}

Test(slot, a_set_held_by_another_thread_stays_until_that_thread_releases_it)
{
	pthread_t t;
	cr_assert_eq(pthread_barrier_init(&step, NULL, 2), 0);
	slot_publish(slot, new_set(1));
	cr_assert_eq(pthread_create(&t, NULL, holder, NULL), 0);
	pthread_barrier_wait(&step);
	slot_publish(slot, new_set(2));
	cr_assert_not(atomic_load(&released[1]));
	pthread_barrier_wait(&step);
	pthread_barrier_wait(&step);
	cr_assert(atomic_load(&held_was_live));
	cr_assert(atomic_load(&released[1]));
	pthread_join(t, NULL);
	pthread_barrier_destroy(&step);
}

#define READERS 4
#define READS 4000
#define PUBLISHES 400

struct reader {
	pthread_t thread;
	unsigned bad;              /* acquisitions that saw a dead or out-of-order set */
	uint64_t first, last;      /* generations seen first and last */
};

/* Acquires READS times, keeping the previous set held until the next one is acquired, so
 * that sets are held across publishes; generations never go back. */
static void *reader(void *arg)
{
	struct reader *r = arg;
	struct stub_set *prev = NULL;
	for (int i = 0; i < READS; i++) {
		struct stub_set *set = slot_acquire(slot);
		if (!set || !live(set, set->generation) || (prev && set->generation < prev->generation) ||
		    (prev && !live(prev, prev->generation)))
			r->bad++;
		if (!prev)
			r->first = set ? set->generation : 0;
		stub_set_unref(prev);
		prev = set;
	}
	r->last = prev ? prev->generation : 0;
	stub_set_unref(prev);
	return NULL;
}

static void *publisher(void *arg)
{
	(void)arg;
	for (uint64_t gen = 2; gen <= PUBLISHES + 1; gen++)
		slot_publish(slot, new_set(gen));
	return NULL;
}

Test(slot, readers_and_a_publisher_at_once)
{
	struct reader readers[READERS] = { 0 };
	pthread_t pub;
	slot_publish(slot, new_set(1));
	for (int i = 0; i < READERS; i++)
		cr_assert_eq(pthread_create(&readers[i].thread, NULL, reader, &readers[i]), 0);
	cr_assert_eq(pthread_create(&pub, NULL, publisher, NULL), 0);
	pthread_join(pub, NULL);
	for (int i = 0; i < READERS; i++) {
		pthread_join(readers[i].thread, NULL);
		cr_assert_eq(readers[i].bad, 0, "reader %d saw %u bad sets", i, readers[i].bad);
		cr_assert_geq(readers[i].first, 1);
		cr_assert_leq(readers[i].last, PUBLISHES + 1);
		cr_assert_leq(readers[i].first, readers[i].last);
	}
	/* every replaced set is gone now that nobody holds it; the current one stays */
	cr_assert_eq(atomic_load(&nprepared), PUBLISHES + 1);
	cr_assert_eq(atomic_load(&nreleased), PUBLISHES);
	for (uint64_t gen = 1; gen <= PUBLISHES; gen++)
		cr_assert(atomic_load(&released[gen]), "generation %lu still there", (unsigned long)gen);
	struct stub_set *last = slot_acquire(slot);
	cr_assert(live(last, PUBLISHES + 1));
	stub_set_unref(last);
	/* the shared group lost every set's reference but the current one's */
	cr_assert_eq(atomic_load(&group->refs), 2);
}
