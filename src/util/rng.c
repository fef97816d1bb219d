/* SPDX-License-Identifier: MIT */
/* splitmix64 (Steele, Lea, Flood 2014): each draw adds the golden gamma to the state with
 * one atomic add and mixes the result, so threads never wait on each other. */
#include "util/rng.h"

#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define GAMMA 0x9E3779B97F4A7C15ULL

void rng_seed(struct rng *r, uint64_t seed)
{
	atomic_init(&r->state, seed);
}

void rng_seed_random(struct rng *r)
{
	uint64_t seed = 0;
	if (getentropy(&seed, sizeof(seed)) != 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
		seed ^= (uint64_t)getpid() << 32;
	}
	rng_seed(r, seed);
}

uint64_t rng_next(struct rng *r)
{
	uint64_t z = atomic_fetch_add_explicit(&r->state, GAMMA, memory_order_relaxed) + GAMMA;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

uint64_t rng_below(struct rng *r, uint64_t n)
{
	if (n == 0)
		return rng_next(r);
	/* rejection keeps it unbiased: drop the top (2^64 mod n) values */
	uint64_t threshold = (0 - n) % n;
	for (;;) {
		uint64_t v = rng_next(r);
		if (v >= threshold)
			return v % n;
	}
}

void rng_uuid(struct rng *r, char out[RNG_UUID_SIZE])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	uint64_t hi = rng_next(r), lo = rng_next(r);
	for (int i = 0; i < 8; i++) {
		b[i] = (unsigned char)(hi >> (56 - 8 * i));
		b[8 + i] = (unsigned char)(lo >> (56 - 8 * i));
	}
	b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);   /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);   /* RFC 4122 variant */
	size_t o = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[o] = '\0';
}
