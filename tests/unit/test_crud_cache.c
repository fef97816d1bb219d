/* SPDX-License-Identifier: MIT */
/* crud_cache: shared answers kept by request for one version, handed out by reference,
 * dropped when the version moves, bounded in entries and bytes. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "crud_cache.h"
#include "reply.h"
#include "util/xalloc.h"

static struct reply_shared *answer(int status, const char *body)
{
	return reply_shared_create(status, "application/json", xstrdup(body), strlen(body));
}

Test(crud_cache, gives_back_a_reference_to_what_was_put)
{
	struct crud_cache *c = crud_cache_create(4, 1 << 20);
	struct reply_shared *a = answer(200, "[1]");
	reply_shared_add_header(a, "Link", "<l>");
	cr_expect_null(crud_cache_get(c, "k", 1, 0));
	crud_cache_put(c, "k", 1, 0, a);
	cr_expect_eq(atomic_load(&a->refs), 2);
	struct reply_shared *got = crud_cache_get(c, "k", 1, 0);
	cr_assert_eq(got, a);
	cr_expect_eq(atomic_load(&a->refs), 3);
	cr_expect_str_eq(got->headers[0].value, "<l>");
	reply_shared_unref(got);
	reply_shared_unref(a);
	/* the cache's reference keeps it */
	got = crud_cache_get(c, "k", 1, 0);
	cr_expect_str_eq(got->body, "[1]");
	reply_shared_unref(got);
	crud_cache_destroy(c);
}

Test(crud_cache, keys_are_bytes)
{
	struct crud_cache *c = crud_cache_create(4, 1 << 20);
	struct reply_shared *a = answer(200, "a"), *b = answer(404, "b");
	crud_cache_put(c, "x\0y", 3, 0, a);
	crud_cache_put(c, "x\0z", 3, 0, b);
	struct reply_shared *got = crud_cache_get(c, "x\0z", 3, 0);
	cr_assert_not_null(got);
	cr_expect_eq(got->status, 404);
	reply_shared_unref(got);
	cr_expect_null(crud_cache_get(c, "x", 1, 0));
	reply_shared_unref(a);
	reply_shared_unref(b);
	crud_cache_destroy(c);
}

Test(crud_cache, another_version_finds_nothing)
{
	struct crud_cache *c = crud_cache_create(4, 1 << 20);
	struct reply_shared *a = answer(200, "{}");
	crud_cache_put(c, "k", 1, 3, a);
	cr_expect_null(crud_cache_get(c, "k", 1, 4));
	/* and the old version's answers are gone, not hidden */
	cr_expect_null(crud_cache_get(c, "k", 1, 3));
	cr_expect_eq(atomic_load(&a->refs), 1);
	/* an answer of an older version than the cache's is not kept */
	crud_cache_put(c, "k", 1, 2, a);
	cr_expect_null(crud_cache_get(c, "k", 1, 4));
	reply_shared_unref(a);
	crud_cache_destroy(c);
}

Test(crud_cache, stays_within_its_bounds)
{
	struct crud_cache *c = crud_cache_create(8, 4096);
	struct reply_shared *a = answer(200, "{}"), *got;
	char key[16];
	for (int i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		crud_cache_put(c, key, strlen(key), 0, a);
	}
	int kept = 0;
	for (int i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		if ((got = crud_cache_get(c, key, strlen(key), 0))) {
			kept++;
			reply_shared_unref(got);
		}
	}
	cr_expect(kept >= 1 && kept <= 8, "%d kept", kept);
	cr_expect_eq(atomic_load(&a->refs), 1 + (unsigned)kept);
	/* the last one put is there */
	got = crud_cache_get(c, "k99", 3, 0);
	cr_expect_not_null(got);
	reply_shared_unref(got);
	static char big[2048];
	memset(big, 'x', sizeof(big) - 1);
	struct reply_shared *large = answer(200, big);
	crud_cache_put(c, "big", 3, 0, large);
	cr_expect_null(crud_cache_get(c, "big", 3, 0));
	reply_shared_unref(large);
	reply_shared_unref(a);
	crud_cache_destroy(c);
	/* nothing leaks: ASan's leak check runs this too */
}
