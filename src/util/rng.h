/* SPDX-License-Identifier: MIT */
/* A small, lock-free pseudo-random generator (splitmix64 over an atomic counter), one per
 * server: seeded from --seed for reproducible uuid, random_int and delays. Not for secrets. */
#pragma once
#include <stdatomic.h>
#include <stdint.h>

struct rng {
	atomic_uint_least64_t state;
};

/** Seeds r: the same seed gives the same sequence of draws. */
void rng_seed(struct rng *r, uint64_t seed);
/** Seeds r from the system's entropy (falls back to the clock). */
void rng_seed_random(struct rng *r);
/** The next 64 random bits. Thread-safe and lock-free; with several threads drawing at
 *  once, which thread gets which value depends on their order. */
uint64_t rng_next(struct rng *r);
/** A uniform value in [0, n); n == 0 means the whole 64-bit range. Thread-safe. */
uint64_t rng_below(struct rng *r, uint64_t n);

/** Room for rng_uuid's text: 36 characters and the NUL. */
#define RNG_UUID_SIZE 37
/** A random version-4 UUID in lower case, "xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx", from
 *  two draws (the same seed gives the same UUIDs). Thread-safe. */
void rng_uuid(struct rng *r, char out[RNG_UUID_SIZE]);
