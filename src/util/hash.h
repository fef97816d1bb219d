/* SPDX-License-Identifier: MIT */
/* FNV-1a, the string hash of the hash tables (hmap, the router's exact paths, the
 * recorder's index, metrics, scenario states, the CRUD answer cache), and a hash a word at
 * a time for long texts (the string pool's bodies). Not for anything an attacker's
 * collisions could hurt beyond a slower probe. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

/** A hash of data[0..len) eight bytes a step: for texts of hundreds of bytes, where
 *  FNV-1a's byte a step is most of a look-up. */
static inline uint64_t hash_words(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = FNV1A_INIT ^ len, w;
	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * UINT64_C(0x9E3779B97F4A7C15);
		h ^= h >> 29;
	}
	w = 0;
	memcpy(&w, p, len);
	h = (h ^ w) * UINT64_C(0x9E3779B97F4A7C15);
	return h ^ (h >> 32);
}
