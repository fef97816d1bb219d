/* SPDX-License-Identifier: MIT */
/* Per-server mutable state of dynamic responses: each stub's hit counter (which also
 * picks its place in a `responses:` sequence and feeds `seq`), and each scenario's
 * current state. One mutex guards it all, so that matching on a scenario state, choosing
 * the response and moving to next_state happen as one step. */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct stub;
struct state;

/** An empty state: no hits, every scenario in "start". Never NULL. */
struct state *state_create(void);
/** Frees it. NULL does nothing. */
void state_destroy(struct state *st);

/** Takes / releases the state's lock (a plain mutex: not recursive). */
void state_lock(struct state *st);
void state_unlock(struct state *st);

/** The current state of a scenario ("start" until a stub moves it). cls is the struct
 *  state; the signature fits req_view.scenario_state. The caller holds the lock; the
 *  result is borrowed until it releases it. */
const char *state_scenario_locked(void *cls, const char *scenario);

/** Counts one answer of stub s and returns the index of the response it gives (its
 *  `responses:` position, per its sequence mode; 0 for a single response); *seq (when not
 *  NULL) receives the hit count, from 1. Moves s's scenario to s->next_state when it has
 *  one. The caller holds the lock. */
size_t state_hit_locked(struct state *st, const struct stub *s, uint64_t *seq);

/** How many times the stub with this id answered since start or the last reset.
 *  Takes the lock. */
uint64_t state_hits(struct state *st, const char *id);
/** A copy of a scenario's current state (caller frees). Takes the lock. */
char *state_scenario(struct state *st, const char *scenario);

/** Puts a scenario in a state ("start": the initial one). Takes the lock. */
void state_set_scenario(struct state *st, const char *scenario, const char *value);
/** Puts every scenario back in "start"; hit counters stay. Takes the lock. */
void state_reset_scenarios(struct state *st);

/** Forgets every hit counter (and so every sequence position) and puts every scenario
 *  back in "start". Takes the lock; safe while requests run. */
void state_reset(struct state *st);
