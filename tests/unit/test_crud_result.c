/* SPDX-License-Identifier: MIT */
/* Unit tests for crud_result.c: an answer starts empty and is emptied again. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "crud_result.h"

Test(crud_result, init_and_release)
{
	struct crud_result r;
	memset(&r, 0x5a, sizeof(r));
	crud_result_init(&r);
	cr_expect_eq(r.status, 0);
	cr_expect_null(r.body);
	cr_expect_null(r.location);
	cr_expect_null(r.link);
	cr_expect_eq(r.total, -1, "no X-Total-Count");
	r.status = 201;
	r.body = strdup("{}");
	r.body_len = 2;
	r.location = strdup("/posts/1");
	r.link = strdup("");
	r.total = 3;
	crud_result_release(&r);
	cr_expect_null(r.body);
	cr_expect_eq(r.total, -1);
	crud_result_release(&r);
	crud_result_release(NULL);
}
