/* SPDX-License-Identifier: MIT */
/* The near-miss index: every walk hands out every key once, in (distance, id) order, the
 * same order as sorting them all; peek tells the next one; runs are found at every
 * prefix length, on both sides of where the query goes. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "near_index.h"
#include "util/rng.h"

static size_t lcp(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i = 0;
	while (i < alen && i < blen && a[i] == b[i])
		i++;
	return i;
}

static size_t distance(const struct near_key *k, const char *b, size_t blen)
{
	size_t l = lcp(k->text, k->len, b, blen);
	return 1 + (blen - l) + (k->len - l);
}

struct expect {
	size_t dist;
	uint32_t id;
};

static int cmp_expect(const void *x, const void *y)
{
	const struct expect *a = x, *b = y;
	if (a->dist != b->dist)
		return a->dist < b->dist ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* Walks ix for b to the end and checks it against sorting keys[0..n). */
static void check_walk(const struct near_index *ix, const struct near_key *keys, size_t n, const char *b)
{
	size_t blen = strlen(b);
	struct expect *want = malloc((n ? n : 1) * sizeof *want);
	for (size_t i = 0; i < n; i++)
		want[i] = (struct expect){ distance(&keys[i], b, blen), keys[i].id };
	qsort(want, n, sizeof *want, cmp_expect);
	struct near_walk w;
	near_walk_start(&w, ix, b, blen);
	for (size_t i = 0; i < n; i++) {
		size_t pd = 0, d = 0;
		uint32_t pid = 0, id = 0;
		cr_assert(near_walk_peek(&w, &pd, &pid), "query '%s': peek ran out at %zu of %zu", b, i, n);
		cr_assert(near_walk_next(&w, &d, &id), "query '%s': ran out at %zu of %zu", b, i, n);
		cr_assert(pd == d && pid == id, "query '%s': peek said (%zu, %u), next gave (%zu, %u)", b, pd, pid, d, id);
		cr_assert(d == want[i].dist && id == want[i].id, "query '%s', key %zu: got (%zu, %u), want (%zu, %u)",
			  b, i, d, id, want[i].dist, want[i].id);
	}
	size_t d;
	uint32_t id;
	cr_assert_not(near_walk_next(&w, &d, &id), "query '%s': more than %zu keys", b, n);
	near_walk_end(&w);
	free(want);
}

Test(near_index, empty_index_hands_out_nothing)
{
	cr_assert_null(near_index_build(NULL, 0));
	struct near_walk w;
	near_walk_start(&w, NULL, "/a", 2);
	size_t d;
	uint32_t id;
	cr_assert_not(near_walk_peek(&w, &d, &id));
	cr_assert_not(near_walk_next(&w, &d, &id));
	near_walk_end(&w);
}

Test(near_index, paths_in_order_of_distance_then_id)
{
	static const char *const paths[] = { "/api/users/42", "/api/users/43", "/api/user", "/api/orders/",
					     "/health", "/api/users/", "/", "/api/users/42/posts", "/api/r5000/users/42",
					     "/api/r500/users/42", "/api/r5001/users/42", "/api/r50/users/42" };
	size_t n = sizeof paths / sizeof *paths;
	struct near_key keys[sizeof paths / sizeof *paths];
	for (size_t i = 0; i < n; i++)
		keys[i] = (struct near_key){ paths[i], strlen(paths[i]), (uint32_t)(n - i) };
	struct near_index *ix = near_index_build(keys, n);
	cr_assert_eq(near_index_size(ix), n);
	static const char *const queries[] = { "/api/users/44", "/api/users/42", "/api/r5000/users/43", "/", "",
					       "/zzz", "/api", "/api/users/42/posts/1", "\x7f", "/api/orders" };
	for (size_t q = 0; q < sizeof queries / sizeof *queries; q++)
		check_walk(ix, keys, n, queries[q]);
	/* the first one handed out is the nearest */
	struct near_walk w;
	near_walk_start(&w, ix, "/api/users/44", 13);
	size_t d;
	uint32_t id;
	cr_assert(near_walk_next(&w, &d, &id));
	/* "/api/users/42", "/api/users/43" and "/api/users/" are all 3 away: the lowest id */
	cr_assert_eq(d, 3);
	cr_assert_eq(id, n - 5);
	near_walk_end(&w);
	near_index_destroy(ix);
}

Test(near_index, equal_keys_and_one_key)
{
	struct near_key one = { "/a", 2, 7 };
	struct near_index *ix = near_index_build(&one, 1);
	check_walk(ix, &one, 1, "/a");
	check_walk(ix, &one, 1, "/b");
	check_walk(ix, &one, 1, "");
	near_index_destroy(ix);
	struct near_key same[] = { { "/x", 2, 3 }, { "/x", 2, 1 }, { "/x", 2, 2 }, { "/x/y", 4, 0 } };
	ix = near_index_build(same, 4);
	check_walk(ix, same, 4, "/x");
	check_walk(ix, same, 4, "/x/y/z");
	check_walk(ix, same, 4, "/w");
	near_index_destroy(ix);
}

/* Random keys over a small alphabet (many shared prefixes, many ties) against sorting. */
Test(near_index, random_sets_match_a_full_sort)
{
	struct rng r;
	rng_seed(&r, 12345);
	static char text[600][12];
	struct near_key keys[600];
	for (int round = 0; round < 40; round++) {
		size_t n = 1 + rng_next(&r) % 600;
		for (size_t i = 0; i < n; i++) {
			size_t len = rng_next(&r) % 11;
			for (size_t j = 0; j < len; j++)
				text[i][j] = "ab/c"[rng_next(&r) % 4];
			text[i][len] = '\0';
			keys[i] = (struct near_key){ text[i], len, (uint32_t)(rng_next(&r) % 100000) * 600 + (uint32_t)i };
		}
		struct near_index *ix = near_index_build(keys, n);
		for (int q = 0; q < 8; q++) {
			char b[14];
			size_t len = rng_next(&r) % 13;
			for (size_t j = 0; j < len; j++)
				b[j] = "ab/c"[rng_next(&r) % 4];
			b[len] = '\0';
			check_walk(ix, keys, n, b);
		}
		near_index_destroy(ix);
	}
}
