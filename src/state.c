/* SPDX-License-Identifier: MIT */
/* Hit counters keyed by stub id and scenario states keyed by scenario name, in two small
 * hash maps under one mutex. Keys are ids and names, not stub pointers, so that what a
 * reload keeps (same id, same scenario) keeps its count and its state. */
#include "state.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "stub.h"
#include "util/hash.h"
#include "util/xalloc.h"

struct entry {
	char *key;                 /* NULL: empty slot */
	uint64_t hits;             /* hit map */
	char *value;               /* scenario map: the current state */
};

struct map {
	struct entry *v;
	size_t cap, n;             /* cap is 0 or a power of two */
};

struct state {
	pthread_mutex_t lock;      /* guards both maps */
	struct map hits;           /* stub id -> hits */
	struct map scenarios;      /* scenario name -> state other than "start" */
};

static struct entry *map_find(const struct map *m, const char *key)
{
	if (!m->cap)
		return NULL;
	for (size_t i = (size_t)fnv1a_str(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->v[i].key)
			return NULL;
		if (strcmp(m->v[i].key, key) == 0)
			return &m->v[i];
	}
}

static void map_place(struct entry *v, size_t cap, struct entry e)
{
	size_t i = (size_t)fnv1a_str(e.key) & (cap - 1);
	while (v[i].key)
		i = (i + 1) & (cap - 1);
	v[i] = e;
}

/* The entry for key, created empty when missing. */
static struct entry *map_get(struct map *m, const char *key)
{
	struct entry *e = map_find(m, key);
	if (e)
		return e;
	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 16;
		struct entry *v = xcalloc(cap, sizeof(*v));
		for (size_t i = 0; i < m->cap; i++)
			if (m->v[i].key)
				map_place(v, cap, m->v[i]);
		free(m->v);
		m->v = v;
		m->cap = cap;
	}
	map_place(m->v, m->cap, (struct entry){ xstrdup(key), 0, NULL });
	m->n++;
	return map_find(m, key);
}

static void map_release(struct map *m)
{
	for (size_t i = 0; i < m->cap; i++) {
		free(m->v[i].key);
		free(m->v[i].value);
	}
	free(m->v);
	memset(m, 0, sizeof(*m));
}

struct state *state_create(void)
{
	struct state *st = xcalloc(1, sizeof(*st));
	pthread_mutex_init(&st->lock, NULL);
	return st;
}

void state_destroy(struct state *st)
{
	if (!st)
		return;
	map_release(&st->hits);
	map_release(&st->scenarios);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

void state_lock(struct state *st)
{
	pthread_mutex_lock(&st->lock);
}

void state_unlock(struct state *st)
{
	pthread_mutex_unlock(&st->lock);
}

const char *state_scenario_locked(void *cls, const char *scenario)
{
	struct state *st = cls;
	const struct entry *e = map_find(&st->scenarios, scenario);
	return e && e->value ? e->value : "start";
}

size_t state_hit_locked(struct state *st, const struct stub *s, uint64_t *seq)
{
	struct entry *e = map_get(&st->hits, s->id);
	uint64_t h = ++e->hits;
	if (seq)
		*seq = h;
	if (s->scenario && s->next_state) {
		struct entry *sc = map_get(&st->scenarios, s->scenario);
		if (!sc->value || strcmp(sc->value, s->next_state) != 0) {
			free(sc->value);
			sc->value = xstrdup(s->next_state);
		}
	}
	size_t n = stub_response_count(s);
	if (n == 1)
		return 0;
	if (s->sequence == SEQUENCE_CYCLE)
		return (size_t)((h - 1) % n);
	return h - 1 < n ? (size_t)(h - 1) : n - 1;
}

uint64_t state_hits(struct state *st, const char *id)
{
	state_lock(st);
	const struct entry *e = map_find(&st->hits, id);
	uint64_t h = e ? e->hits : 0;
	state_unlock(st);
	return h;
}

void state_set_scenario(struct state *st, const char *scenario, const char *value)
{
	state_lock(st);
	struct entry *e = map_get(&st->scenarios, scenario);
	free(e->value);
	e->value = strcmp(value, "start") == 0 ? NULL : xstrdup(value);
	state_unlock(st);
}

void state_reset_scenarios(struct state *st)
{
	state_lock(st);
	map_release(&st->scenarios);
	state_unlock(st);
}

char *state_scenario(struct state *st, const char *scenario)
{
	state_lock(st);
	char *s = xstrdup(state_scenario_locked(st, scenario));
	state_unlock(st);
	return s;
}

void state_reset(struct state *st)
{
	state_lock(st);
	map_release(&st->hits);
	map_release(&st->scenarios);
	state_unlock(st);
}
