/* SPDX-License-Identifier: MIT */
/* wiremock: a WireMock root. Which directories are roots, the mapping files it loads (only
 * .json, in byte order, later newer), reloads that notice added, changed and removed
 * mapping and body files, and errors that keep the previous mappings. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stub.h"
#include "testutil.h"
#include "wiremock.h"

static void setup(void)
{
	tmpdir_enter("wiremock");
}

static void teardown(void)
{
	tmpdir_leave();
}

TestSuite(wiremock, .init = setup, .fini = teardown);

#define MAPPING(url, body) "{\"request\": {\"url\": \"" url "\"}, \"response\": {\"body\": \"" body "\"}}"

/* "ID-less URL list" of the root's group: the request paths in group order. */
static char *paths(struct wm_root *r)
{
	struct stub_group *g = wm_root_group(r);
	char *out = calloc(1, 1024);
	cr_assert(out);
	for (size_t i = 0; i < g->n; i++) {
		strcat(out, g->stubs[i]->req.path);
		strcat(out, " ");
	}
	stub_group_unref(g);
	return out;
}

static void expect_paths(struct wm_root *r, const char *want)
{
	char *got = paths(r);
	cr_expect_str_eq(got, want);
	free(got);
}

Test(wiremock, a_root_has_mappings)
{
	make_dir("root");
	make_dir("root/mappings");
	make_dir("plain");
	cr_expect(wm_is_root("root"));
	cr_expect(wm_is_root("root/"));
	cr_expect_not(wm_is_root("plain"));
	cr_expect_not(wm_is_root("missing"));
}

Test(wiremock, loads_json_files_in_byte_order)
{
	put("root/mappings/b.json", MAPPING("/b", "b"));
	put("root/mappings/a/z.json", MAPPING("/az", "az"));
	put("root/mappings/README.md", "not a mapping");
	put("root/mappings/.hidden.json", "{");
	put("root/__files/x.txt", "x");
	struct diag_list diags = DIAG_LIST_INIT;
	struct wm_root *r = wm_root_create("root/", 0, &diags);
	cr_assert_not_null(r, "%s", diags_text(&diags));
	cr_expect_str_eq(wm_root_dir(r), "root");
	expect_paths(r, "/az /b /x.txt ");
	struct stub_group *g = wm_root_group(r);
	cr_expect_eq(g->stubs[2]->tier, STUB_TIER_FALLBACK, "__files answers only what no mapping matched");
	cr_expect_str_eq(g->stubs[2]->resp.content_type, "text/plain");
	cr_expect_lt(g->stubs[0]->insertion, g->stubs[1]->insertion, "a later file is newer");
	cr_expect_str_eq(g->stubs[1]->file, "root/mappings/b.json");
	stub_group_unref(g);
	const char *dirs[2];
	wm_root_watch_dirs(r, dirs);
	cr_expect_str_eq(dirs[0], "root/mappings");
	cr_expect_str_eq(dirs[1], "root/__files");
	wm_root_destroy(r);
}

Test(wiremock, reloads_what_changed)
{
	put("root/mappings/a.json", MAPPING("/a", "a"));
	struct diag_list diags = DIAG_LIST_INIT;
	struct wm_root *r = wm_root_create("root", 0, &diags);
	cr_assert_not_null(r);
	cr_expect_eq(wm_root_reload(r, &diags), 0, "nothing changed");
	put("root/mappings/b.json", MAPPING("/b", "b"));
	cr_expect_eq(wm_root_reload(r, &diags), 1, "a new file");
	expect_paths(r, "/a /b ");
	put("root/mappings/a.json", "{\"request\": {\"url\": \"/a2\"}, \"response\": {}}");
	cr_expect_eq(wm_root_reload(r, &diags), 1, "a changed file");
	expect_paths(r, "/a2 /b ");
	unlink("root/mappings/b.json");
	cr_expect_eq(wm_root_reload(r, &diags), 1, "a removed file");
	expect_paths(r, "/a2 ");
	put("root/__files/body.txt", "v1");
	cr_expect_eq(wm_root_reload(r, &diags), 1, "a body file came");
	expect_paths(r, "/a2 /body.txt ");
	put("root/mappings/a.json", "{\"request\": {\"url\": \"/a3\"}, \"respons\": {}}");
	cr_expect_eq(wm_root_reload(r, &diags), -1, "a bad edit");
	char *text = diags_text(&diags);
	cr_expect(strstr(text, "root/mappings/a.json:1:29: error: unknown key 'respons' in a mapping") != NULL, "%s", text);
	free(text);
	expect_paths(r, "/a2 /body.txt ");
	wm_root_destroy(r);
	diag_list_release(&diags);
}

Test(wiremock, files_are_served_with_welcome_files_as_wiremock_does)
{
	make_dir("root");
	make_dir("root/mappings");
	put("root/__files/data.json", "{}");
	put("root/__files/noext", "x");
	put("root/__files/index.html", "<p>");
	put("root/__files/sub/index.txt", "t");
	put("root/__files/sub/index.json", "{\"j\":1}");
	struct diag_list diags = DIAG_LIST_INIT;
	struct wm_root *r = wm_root_create("root", 0, &diags);
	cr_assert_not_null(r);
	expect_paths(r, "/data.json /index.html /noext /sub/index.json /sub/index.txt / /sub /sub/ ");
	struct stub_group *g = wm_root_group(r);
	cr_expect_str_eq(g->stubs[2]->resp.content_type, "application/json", "unknown: JSON, as WireMock");
	cr_expect_str_eq(g->stubs[5]->resp.content_type, "text/html;charset=utf-8");
	cr_expect_str_eq(g->stubs[6]->resp.body, "{\"j\":1}", "index.json before index.txt");
	cr_expect_str_eq(g->stubs[6]->req.methods[0], "GET");
	stub_group_unref(g);
	wm_root_destroy(r);
}

Test(wiremock, not_a_root_or_a_bad_mapping_is_an_error)
{
	struct diag_list diags = DIAG_LIST_INIT;
	make_dir("plain");
	cr_expect_null(wm_root_create("plain", 0, &diags));
	put("root/mappings/bad.json", "{\"request\": {}, \"response\": {\"status\": \"x\"}}");
	cr_expect_null(wm_root_create("root", 0, &diags));
	char *text = diags_text(&diags);
	cr_expect(strstr(text, "plain: error: not a WireMock root: it has no mappings directory") != NULL, "%s", text);
	cr_expect(strstr(text, "root/mappings/bad.json:1:40: error: 'status' must be an integer") != NULL, "%s", text);
	free(text);
	diag_list_release(&diags);
}
