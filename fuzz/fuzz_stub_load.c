/* SPDX-License-Identifier: MIT */
/* Fuzz target: YAML bytes into the stub loader. Whatever the bytes, the load ends in
 * stubs or in located errors, and everything is freed. A successful load is also turned
 * into a published stub set (route index, prebuilt HTTP responses) and every stub is
 * explained against a fixed request, which walks the matcher descriptions. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "common.h"
#include "http.h"
#include "matcher.h"
#include "reply_cache.h"
#include "router.h"
#include "stub.h"
#include "stub_set.h"
#include "stub_load.h"
#include "util/arena.h"

/* `file:` bodies resolve inside this directory: a file, a subdirectory, and symlinks
 * that point inside and outside it. */
static const char *base_dir;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	base_dir = fuzz_tmpdir("a.txt", "text\n", "b.json", "{\"k\": [1, 2]}\n", "sub/", "", "sub/c.svg", "<svg/>",
			       "in", "->a.txt", "out", "->/etc/hostname", "up", "->..", NULL);
	return 0;
}

static void explain_all(struct stub_set *set)
{
	static const struct kv query[] = { { "page", "2", 1 }, { "q", "a b", 3 } };
	static const struct kv headers[] = { { "Content-Type", "application/x-www-form-urlencoded", 33 },
					     { "Authorization", "Bearer x", 8 } };
	static const struct kv cookies[] = { { "session", "abc", 3 } };
	static const char body[] = "user=ada&role=admin";
	struct arena arena;
	arena_init(&arena);
	struct req_view view = { 0 };
	view.method = "POST";
	view.path = "/api/users/42";
	view.query = query;
	view.nquery = 2;
	view.headers = headers;
	view.nheaders = 2;
	view.cookies = cookies;
	view.ncookies = 1;
	view.body = body;
	view.body_len = sizeof(body) - 1;
	view.arena = &arena;
	for (size_t i = 0; i < set->n; i++) {
		struct mismatches mm = { 0 };
		stub_explain(set->stubs[i], &view, &mm);
		mismatches_release(&mm);
	}
	struct params params = { 0 };
	if (!router_lookup(set->router, &view, &params)) {
		struct near_miss nm[3];
		size_t n = router_near_misses(set->router, &view, nm, 3);
		near_miss_release(nm, n);
	}
	req_view_release(&view);
	arena_release(&arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct load_result res;
	struct diag_list diags = DIAG_LIST_INIT;
	/* runtime stubs (admin API) and file stubs differ in ids and file:, so try both */
	bool runtime = size & 1;
	if (!base_dir)
		LLVMFuzzerInitialize(NULL, NULL);
	if (stub_load_string((const char *)data, size, "fuzz.yaml", base_dir, runtime, &res, &diags) == 0) {
		/* with the reply side's per-set data, as the server builds its sets */
		struct reply_cache_config replies;
		reply_cache_init(&replies, http_drop_built);
		struct stub_group *g = stub_group_create(res.stubs, res.n);
		struct stub_set *set = stub_set_create(&g, 1, 1, &replies.ext);
		stub_group_unref(g);
		res.stubs = NULL;
		res.n = 0;
		explain_all(set);
		stub_set_unref(set);
	}
	for (size_t i = 0; i < diags.n; i++)
		free(diag_format(&diags.items[i]));
	load_result_release(&res);
	diag_list_release(&diags);
	return 0;
}
