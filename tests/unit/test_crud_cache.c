/* SPDX-License-Identifier: MIT */
/* crud_cache: answers kept by request for one version, copied out whole, dropped when the
 * version moves, bounded in entries and bytes. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "crud_cache.h"
#include "crud_store.h"

static struct crud_result result(int status, const char *body, long long total, const char *link)
{
	return (struct crud_result){ .status = status, .body = (char *)body, .body_len = strlen(body),
				     .total = total, .link = (char *)link };
}

Test(crud_cache, gives_back_a_copy_of_what_was_put)
{
	struct crud_cache *c = crud_cache_create(4, 1 << 20);
	struct crud_result r = result(200, "[1]", 7, "<l>"), got;
	cr_expect_not(crud_cache_get(c, "k", 1, 0, &got));
	crud_cache_put(c, "k", 1, 0, &r);
	cr_assert(crud_cache_get(c, "k", 1, 0, &got));
	cr_expect_eq(got.status, 200);
	cr_expect_str_eq(got.body, "[1]");
	cr_expect_eq(got.body_len, 3);
	cr_expect_eq(got.total, 7);
	cr_expect_str_eq(got.link, "<l>");
	cr_expect_neq(got.body, r.body);
	crud_result_release(&got);
	crud_cache_destroy(c);
}

Test(crud_cache, keys_are_bytes)
{
	struct crud_cache *c = crud_cache_create(4, 1 << 20);
	struct crud_result a = result(200, "a", -1, NULL), b = result(404, "b", -1, NULL), got;
	crud_cache_put(c, "x\0y", 3, 0, &a);
	crud_cache_put(c, "x\0z", 3, 0, &b);
	cr_assert(crud_cache_get(c, "x\0z", 3, 0, &got));
	cr_expect_eq(got.status, 404);
	cr_expect_null(got.link);
	crud_result_release(&got);
	cr_expect_not(crud_cache_get(c, "x", 1, 0, &got));
	crud_cache_destroy(c);
}

Test(crud_cache, another_version_finds_nothing)
{
	struct crud_cache *c = crud_cache_create(4, 1 << 20);
	struct crud_result r = result(200, "{}", -1, NULL), got;
	crud_cache_put(c, "k", 1, 3, &r);
	cr_expect_not(crud_cache_get(c, "k", 1, 4, &got));
	/* and the old version's answers are gone, not hidden */
	cr_expect_not(crud_cache_get(c, "k", 1, 3, &got));
	crud_cache_destroy(c);
}

Test(crud_cache, stays_within_its_bounds)
{
	struct crud_cache *c = crud_cache_create(8, 4096);
	struct crud_result r = result(200, "{}", -1, NULL), got;
	char key[16];
	for (int i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		crud_cache_put(c, key, strlen(key), 0, &r);
	}
	int kept = 0;
	for (int i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		if (crud_cache_get(c, key, strlen(key), 0, &got)) {
			kept++;
			crud_result_release(&got);
		}
	}
	cr_expect(kept >= 1 && kept <= 8, "%d kept", kept);
	/* the last one put is there */
	cr_expect(crud_cache_get(c, "k99", 3, 0, &got));
	crud_result_release(&got);
	static char big[2048];
	memset(big, 'x', sizeof(big) - 1);
	struct crud_result large = result(200, big, -1, NULL);
	crud_cache_put(c, "big", 3, 0, &large);
	cr_expect_not(crud_cache_get(c, "big", 3, 0, &got));
	crud_cache_destroy(c);
}
