/* SPDX-License-Identifier: MIT */
/* The CRUD store's answers. */
#include "crud_result.h"

#include <stdlib.h>
#include <string.h>

void crud_result_init(struct crud_result *r)
{
	memset(r, 0, sizeof(*r));
	r->total = -1;
}

void crud_result_release(struct crud_result *r)
{
	if (!r)
		return;
	free(r->body);
	free(r->location);
	free(r->link);
	crud_result_init(r);
}
