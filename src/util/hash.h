/* SPDX-License-Identifier: MIT */
/* FNV-1a, the one string hash of the hash tables (hmap, the router's exact paths, the
 * recorder's index, metrics, scenario states, the CRUD answer cache). Not for anything an
 * attacker's collisions could hurt beyond a slower probe. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define FNV1A_INIT UINT64_C(14695981039346656037)

/** One more byte into hash h. */
static inline uint64_t fnv1a_step(uint64_t h, unsigned char c)
{
	return (h ^ c) * UINT64_C(1099511628211);
}

/** The hash of data[0..len). */
static inline uint64_t fnv1a(const void *data, size_t len)
{
	uint64_t h = FNV1A_INIT;
	for (size_t i = 0; i < len; i++)
		h = fnv1a_step(h, ((const unsigned char *)data)[i]);
	return h;
}

/** The hash of a NUL-terminated string. */
static inline uint64_t fnv1a_str(const char *s)
{
	uint64_t h = FNV1A_INIT;
	for (; *s; s++)
		h = fnv1a_step(h, (unsigned char)*s);
	return h;
}
