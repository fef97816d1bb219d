/* SPDX-License-Identifier: MIT */
/* util/hmap: the string-keyed map and set, through growth, replacement and release. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>

#include "util/hmap.h"
#include "util/xalloc.h"

Test(hmap, empty_map_finds_nothing)
{
	struct hmap m = HMAP_INIT;
	cr_expect_null(hmap_get(&m, "a"));
	hmap_release(&m, NULL);
}

Test(hmap, put_get_and_replace)
{
	struct hmap m = HMAP_INIT;
	int a = 1, b = 2;
	hmap_put(&m, "a", &a);
	cr_expect_eq(hmap_get(&m, "a"), &a);
	hmap_put(&m, "a", &b);
	cr_expect_eq(hmap_get(&m, "a"), &b);
	cr_expect_eq(m.n, 1);
	cr_expect_null(hmap_get(&m, "b"));
	hmap_release(&m, NULL);
	cr_expect_eq(m.n, 0);
	cr_expect_null(m.v);
}

Test(hmap, keys_are_copied)
{
	struct hmap m = HMAP_INIT;
	char key[] = "name";
	int v = 0;
	hmap_put(&m, key, &v);
	key[0] = 'g';
	cr_expect_eq(hmap_get(&m, "name"), &v);
	cr_expect_null(hmap_get(&m, "game"));
	hmap_release(&m, NULL);
}

Test(hmap, grows_and_keeps_everything)
{
	struct hmap m = HMAP_INIT;
	static int vals[5000];
	char key[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		hmap_put(&m, key, &vals[i]);
	}
	cr_expect_eq(m.n, 5000);
	cr_expect_geq(m.cap, 10000);
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		cr_assert_eq(hmap_get(&m, key), &vals[i], "%s", key);
	}
	hmap_release(&m, NULL);
}

Test(hmap, sets_report_repeats)
{
	struct hmap set = HMAP_INIT;
	cr_expect(hmap_add_key(&set, "x"));
	cr_expect(hmap_add_key(&set, "y"));
	cr_expect_not(hmap_add_key(&set, "x"));
	cr_expect(hmap_add_key(&set, ""));
	cr_expect_not(hmap_add_key(&set, ""));
	hmap_release(&set, NULL);
}

static int freed;

static void count_free(void *p)
{
	freed++;
	free(p);
}

Test(hmap, release_frees_values_when_asked)
{
	struct hmap m = HMAP_INIT;
	hmap_put(&m, "a", xstrdup("1"));
	hmap_put(&m, "b", xstrdup("2"));
	freed = 0;
	hmap_release(&m, count_free);
	cr_expect_eq(freed, 2);
}

Test(hmap, delete_keeps_the_other_keys_reachable)
{
	struct hmap m = HMAP_INIT;
	static int vals[3000];
	char key[32];
	for (int i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		hmap_put(&m, key, &vals[i]);
	}
	cr_expect_null(hmap_del(&m, "absent"));
	for (int i = 0; i < 3000; i += 3) {
		snprintf(key, sizeof(key), "k%d", i);
		cr_assert_eq(hmap_del(&m, key), &vals[i], "%s", key);
	}
	cr_expect_eq(m.n, 2000);
	for (int i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		if (i % 3 == 0)
			cr_assert_null(hmap_get(&m, key), "%s", key);
		else
			cr_assert_eq(hmap_get(&m, key), &vals[i], "%s", key);
	}
	/* a deleted key can come back */
	hmap_put(&m, "k0", &vals[0]);
	cr_expect_eq(hmap_get(&m, "k0"), &vals[0]);
	hmap_release(&m, NULL);
}
