/* SPDX-License-Identifier: MIT */
/* load_result: stubs keep their load order, paths are copied, release empties it. */
#include <criterion/criterion.h>

#include <string.h>

#include "load_result.h"
#include "util/xalloc.h"

Test(load_result, stubs_are_numbered_in_order_and_paths_copied)
{
	struct load_result res;
	memset(&res, 0, sizeof(res));
	for (int i = 0; i < 5; i++) {
		struct stub *s = xcalloc(1, sizeof(*s));
		s->id = xstrdup("x");
		load_result_add_stub(&res, s);
	}
	char path[] = "stubs/a.yaml";
	load_result_add_path(&res, path);
	path[0] = 'S';
	cr_assert_eq(res.n, 5);
	for (size_t i = 0; i < res.n; i++)
		cr_expect_eq(res.stubs[i]->order, i);
	cr_assert_eq(res.npaths, 1);
	cr_expect_str_eq(res.paths[0], "stubs/a.yaml");
	load_result_release(&res);
	cr_expect_eq(res.n, 0);
	cr_expect_null(res.stubs);
	cr_expect_eq(res.npaths, 0);
	load_result_release(&res);
}
