/* SPDX-License-Identifier: MIT */
/* The result of a load: growing and freeing its arrays. */
#include "load_result.h"

#include <stdlib.h>
#include <string.h>

#include "util/strpool.h"
#include "util/xalloc.h"

/* Grows an array whose capacity is the next power of two above its count. */
static void *grow_pow2(void *v, size_t n, size_t size)
{
	if (n && (n & (n - 1)) != 0)
		return v;
	return xrealloc(v, (n ? n * 2 : 1) * size);
}

void load_result_release(struct load_result *res)
{
	for (size_t i = 0; i < res->n; i++)
		stub_destroy(res->stubs[i]);
	free(res->stubs);
	for (size_t i = 0; i < res->npaths; i++)
		free(res->paths[i]);
	free(res->paths);
	strpool_destroy(res->pool);
	memset(res, 0, sizeof(*res));
}

struct stub_group *load_result_take(struct load_result *res, char ***paths, size_t *npaths)
{
	if (res->pool) {
		stub_pack(res->stubs, res->n, res->pool);
		strpool_seal(res->pool);
	}
	struct stub_group *g = stub_group_create(res->stubs, res->n);
	g->pool = res->pool;
	*paths = res->paths;
	*npaths = res->npaths;
	memset(res, 0, sizeof(*res));
	return g;
}

void load_result_add_stub(struct load_result *res, struct stub *s)
{
	s->order = res->n;
	res->stubs = grow_pow2(res->stubs, res->n, sizeof(*res->stubs));
	res->stubs[res->n++] = s;
}

void load_result_add_path(struct load_result *res, const char *path)
{
	res->paths = grow_pow2(res->paths, res->npaths, sizeof(*res->paths));
	res->paths[res->npaths++] = xstrdup(path);
}
