/* SPDX-License-Identifier: MIT */
/* Unit tests for admin_ui.c, over a created (never started) server's parts: one journal
 * entry with its near misses and the stub that answered it, the stub YAML for an entry
 * (which the stub loader reads back), the last refused reload, and the 404s. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "admin_ui.h"
#include "catalog.h"
#include "journal.h"
#include "matcher.h"
#include "server.h"
#include "stub.h"
#include "stub_load.h"
#include "testutil.h"
#include "util/strbuf.h"

static struct cannery_server *srv;
static struct admin_ui_ctx ui;
static struct strbuf out = STRBUF_INIT;
static const char *ctype;

static void setup(void)
{
	tmpdir_enter("admin-ui");
	put("api.yaml", "- name: get-user\n"
			"  request: { method: GET, path: \"/users/{id}\" }\n"
			"  response: { json: { id: 1 } }\n");
	srv = server_new(".");
	const struct admin_ctx *ax = server_admin(srv);
	ui = (struct admin_ui_ctx){ ax->journal, ax->slot, ax->state, ax->catalog };
}

static void teardown(void)
{
	strbuf_release(&out);
	cannery_server_destroy(srv);
	tmpdir_leave();
}

TestSuite(admin_ui, .init = setup, .fini = teardown);

static int entry(const char *rest)
{
	strbuf_release(&out);
	ctype = NULL;
	return admin_ui_entry(&ui, rest, &out, &ctype);
}

Test(admin_ui, an_entry_and_its_near_misses)
{
	journal_add(ui.journal, "GET", "/users/1", "get-user", 200);
	journal_add(ui.journal, "POST", "/users/1", NULL, 404);
	cr_assert_eq(entry("1"), 200, "%s", strbuf_str(&out));
	cr_expect_str_eq(ctype, "application/json");
	cr_expect(strstr(strbuf_str(&out), "\"near_misses\":[],\"answered_by\":{\"id\":\"get-user\","
					    "\"file\":\"./api.yaml\",\"line\":1}}"),
		  "%s", strbuf_str(&out));
	cr_assert_eq(entry("2"), 200);
	cr_expect(strstr(strbuf_str(&out), "\"near_misses\":[{\"stub\":\"get-user\",\"file\":\"./api.yaml\",\"line\":1,"
					    "\"mismatches\":[\"method: expected \\\"GET\\\", got \\\"POST\\\"\"]}],"
					    "\"answered_by\":null}"),
		  "%s", strbuf_str(&out));
}

Test(admin_ui, unknown_entries_and_paths)
{
	journal_add(ui.journal, "GET", "/x", NULL, 404);
	cr_expect_eq(entry("2"), 404);
	cr_expect(strstr(strbuf_str(&out), "no such entry"), "%s", strbuf_str(&out));
	cr_expect_eq(entry("0"), 404);
	cr_expect_eq(entry("1/"), 404);
	cr_expect_eq(entry("1/stub/"), 404);
	cr_expect_eq(entry("18446744073709551616"), 404);
	cr_expect_eq(entry("+1"), 404);
	cr_expect_eq(entry("1/stub"), 200);
}

Test(admin_ui, the_stub_for_an_entry_loads_and_matches_it)
{
	journal_add(ui.journal, "DELETE", "/a {b}/c", NULL, 404);
	cr_assert_eq(entry("1/stub"), 200, "%s", strbuf_str(&out));
	cr_expect_str_eq(ctype, "application/yaml; charset=utf-8");
	const char *yaml = strbuf_str(&out);
	cr_expect(strncmp(yaml, "# a stub for journal entry 1:", 29) == 0, "%s", yaml);
	cr_expect(strstr(yaml, "path_regex: "), "braces would make a template: %s", yaml);
	cr_expect(strstr(yaml, "method: DELETE"), "%s", yaml);
	cr_expect(strstr(yaml, "response:\n  status: 200\n"), "%s", yaml);
	/* its request part loads, and matches that request and not another */
	struct diag_list diags = DIAG_LIST_INIT;
	struct stub *m = NULL;
	cr_assert_eq(stub_load_matcher(yaml, strlen(yaml), "copied.yaml", "request", &m, &diags), 0);
	struct req q;
	req_init(&q, "DELETE", "/a {b}/c");
	cr_expect(stub_method_ok(m, "DELETE") && stub_path_ok(m, &q.v, NULL) && stub_conditions_ok(m, &q.v));
	req_fini(&q);
	req_init(&q, "DELETE", "/a b/c");
	cr_expect(!stub_path_ok(m, &q.v, NULL));
	req_fini(&q);
	stub_destroy(m);
	diag_list_release(&diags);
}

Test(admin_ui, the_last_refused_reload)
{
	cr_assert_eq(admin_ui_reload_status(&ui, &out), 200);
	cr_expect_str_eq(strbuf_str(&out), "{\"reloads\":0,\"reload_errors\":0,\"generation\":1,\"last_error\":null}");
	put("bad.yaml", "request: [\n");
	char *errors = NULL;
	cr_assert_lt(catalog_reload(ui.catalog, &errors), 0);
	free(errors);
	strbuf_release(&out);
	cr_assert_eq(admin_ui_reload_status(&ui, &out), 200);
	cr_expect(strstr(strbuf_str(&out), "\"reload_errors\":1,\"generation\":1,\"last_error\":{\"time\":\""),
		  "%s", strbuf_str(&out));
	cr_expect(strstr(strbuf_str(&out), "\"current\":true,\"errors\":[\"./bad.yaml:2:1: error: yaml syntax:"),
		  "%s", strbuf_str(&out));
	remove("bad.yaml");
	cr_assert_eq(catalog_reload(ui.catalog, NULL), 0);
	strbuf_release(&out);
	admin_ui_reload_status(&ui, &out);
	cr_expect(strstr(strbuf_str(&out), "\"reloads\":1,\"reload_errors\":1,\"generation\":2,"), "%s",
		  strbuf_str(&out));
	cr_expect(strstr(strbuf_str(&out), "\"current\":false"), "%s", strbuf_str(&out));
}
