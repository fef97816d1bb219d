/* SPDX-License-Identifier: MIT */
/* Fuzz target: the matchers on arbitrary request parts, against a fixed rich stub set.
 *
 * The input is a request in lines: "M METHOD", "P /path", "Q name=value",
 * "H name: value", "C name=value", and "B" after which the rest of the input is the body
 * (other lines are ignored; fuzz_parse_request in common.c reads them). Every stub is tried and explained; the checks: the route
 * index picks what a scan in winner order picks, a stub explains zero mismatches exactly
 * when it accepts the request, and the counting variant agrees with the text one. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "common.h"
#include "matcher.h"
#include "router.h"
#include "stub.h"
#include "stub_set.h"
#include "stub_load.h"
#include "util/arena.h"

static struct stub_set *set;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *dir = fuzz_tmpdir("body.json", fuzz_rich_body_json, NULL);
	struct load_result res;
	struct diag_list diags = DIAG_LIST_INIT;
	if (stub_load_string(fuzz_rich_stubs, strlen(fuzz_rich_stubs), "rich.yaml", dir, false, &res, &diags) != 0) {
		diag_list_print(&diags, stderr);
		abort();
	}
	diag_list_release(&diags);
	set = stub_set_from_stubs(res.stubs, res.n);
	res.stubs = NULL;
	res.n = 0;
	load_result_release(&res);
	return 0;
}

static void check_stub(const struct stub *s, struct req_view *view, bool accepts)
{
	struct mismatches mm = { 0 };
	unsigned n = stub_explain(s, view, &mm);
	if ((n == 0) != accepts || mm.n != n) {
		fprintf(stderr, "fuzz_matcher: stub %s: accepts %d but explains %u mismatches (%zu lines)\n", s->id,
			accepts, n, mm.n);
		abort();
	}
	unsigned counted = stub_explain_count(s, view, 0), capped = stub_explain_count(s, view, 1);
	if (counted != n || capped != (n ? 1u : 0u)) {
		fprintf(stderr, "fuzz_matcher: stub %s: %u mismatches explained, %u counted, %u with limit 1\n", s->id,
			n, counted, capped);
		abort();
	}
	mismatches_release(&mm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!set)
		LLVMFuzzerInitialize(NULL, NULL);
	struct arena arena;
	arena_init(&arena);
	static struct fuzz_request parts;
	memset(&parts, 0, sizeof(parts));
	struct req_view view = { 0 };
	view.method = "GET";
	view.path = "/";
	view.arena = &arena;
	fuzz_parse_request((const char *)data, size, &view, &parts);

	struct params params = { 0 };
	const struct stub *got = router_lookup(set->router, &view, &params);
	const struct stub *want = NULL;
	/* in winner order: the first stub that accepts is the one the index must pick */
	for (size_t rank = 0; rank < set->n; rank++) {
		const struct stub *s = router_at(set->router, rank, NULL);
		bool accepts = stub_method_ok(s, view.method) && stub_path_ok(s, &view, NULL) &&
			       stub_conditions_ok(s, &view);
		if (accepts && !want)
			want = s;
		check_stub(s, &view, accepts);
	}
	if (got != want) {
		fprintf(stderr, "fuzz_matcher: %s '%s': the index picked %s, a scan picks %s\n", view.method, view.path,
			got ? got->id : "nothing", want ? want->id : "nothing");
		abort();
	}
	/* FUZZ_ECHO=1 shows what an input reaches */
	if (getenv("FUZZ_ECHO"))
		fprintf(stderr, "%s %s: %s\n", view.method, view.path, got ? got->id : "no stub matched");
	if (!got) {
		struct near_miss nm[3];
		size_t n = router_near_misses(set->router, &view, nm, 3);
		near_miss_release(nm, n);
	}
	req_view_release(&view);
	arena_release(&arena);
	return 0;
}
