/* SPDX-License-Identifier: MIT */
/* Fuzz target: WireMock mapping files (wiremock_load), and the same bytes as an admin API
 * body (one mapping, a request pattern).
 *
 * What must hold for any bytes: the compiler returns stubs or located errors, never a
 * crash, hang or leak; every FILE:LINE:COLUMN is inside the input; no stub comes back
 * with errors, or errors with stubs; a loaded mapping's front_json is JSON; a compiled
 * mapping and pattern can be matched against a request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "diag.h"
#include "json.h"
#include "matcher.h"
#include "stub.h"
#include "util/arena.h"
#include "wiremock_load.h"

static const char *files_dir;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	files_dir = fuzz_tmpdir("__files/", "", "__files/body.json", "{\"a\": 1}", "__files/sub/", "",
				"__files/sub/x.txt", "x", NULL);
	return 0;
}

static void fail(const char *what, const char *text)
{
	fprintf(stderr, "fuzz_wiremock: %s\n%.400s\n", what, text ? text : "");
	abort();
}

static void check_diags(const struct diag_list *d, const unsigned char *bytes, size_t size)
{
	size_t lines = 1;
	for (size_t i = 0; i < size; i++)
		lines += bytes[i] == '\n' || (bytes[i] == '\r' && (i + 1 == size || bytes[i + 1] != '\n'));
	for (size_t i = 0; i < d->n; i++)
		if (d->items[i].line < 0 || (size_t)d->items[i].line > lines + 1)
			fail("an error outside the input", d->items[i].msg);
}

/* Every stub matched against one request: exercises each compiled matcher. */
static void exercise(const struct stub *s)
{
	struct arena a;
	arena_init(&a);
	struct kv hdr = { "content-type", "application/json", 16 };
	struct req_view v = { 0 };
	v.method = "POST";
	v.path = "/a b";
	v.target = "/a%20b?x=1";
	v.headers = &hdr;
	v.nheaders = 1;
	v.body = "{\"a\": [1, {\"b\": \"c\"}]}";
	v.body_len = strlen(v.body);
	v.arena = &a;
	struct params p;
	if (stub_method_ok(s, v.method))
		(void)(stub_path_ok(s, &v, &p) && stub_conditions_ok(s, &v));
	struct mismatches why = { 0 };
	stub_explain(s, &v, &why);
	mismatches_release(&why);
	req_view_release(&v);
	arena_release(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
	char files_shown[512];
	snprintf(files_shown, sizeof(files_shown), "%s/__files", files_dir);
	char *real = realpath(files_shown, NULL);
	const struct wm_files files = { files_shown, real };
	uint64_t insertion = 0;
	struct wm_out out = { NULL, 0, &insertion };
	struct diag_list diags = DIAG_LIST_INIT;
	int rc = wm_load_file("m.json", (const char *)bytes, size, &files, &out, &diags);
	check_diags(&diags, bytes, size);
	if (rc >= 0 && (diags.n || diags.dropped))
		fail("mappings loaded with errors", diags.items[0].msg);
	if (rc < 0 && out.n)
		fail("errors, yet stubs came back", NULL);
	for (size_t i = 0; i < out.n; i++) {
		cJSON *j = out.stubs[i]->front_json ? json_parse(out.stubs[i]->front_json, strlen(out.stubs[i]->front_json), NULL) : NULL;
		if (!j)
			fail("a mapping's front_json is not JSON", out.stubs[i]->front_json);
		cJSON_Delete(j);
		exercise(out.stubs[i]);
		stub_destroy(out.stubs[i]);
	}
	free(out.stubs);
	diag_list_release(&diags);

	struct stub *one = wm_load_mapping("body", (const char *)bytes, size, &files, 1, NULL, &diags);
	check_diags(&diags, bytes, size);
	if (one)
		exercise(one);
	stub_destroy(one);
	diag_list_release(&diags);
	struct stub *pattern = wm_load_pattern("body", (const char *)bytes, size, &diags);
	if (pattern)
		exercise(pattern);
	stub_destroy(pattern);
	diag_list_release(&diags);
	free(real);
	return 0;
}
