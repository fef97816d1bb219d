/* SPDX-License-Identifier: MIT */
/* Unit tests for crud.c, the CRUD front-end: a data file becomes stubs of the stub model
 * (which ids, paths, methods and handler), reloads tell when the routes changed, and a
 * bad file is located errors. The answers themselves are test_crud_store's and, over
 * HTTP, tests/integration/test_crud.c's. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "crud.h"
#include "stub.h"
#include "testutil.h"

static void setup(void)
{
	tmpdir_enter("crud");
}

static void teardown(void)
{
	tmpdir_leave();
}

TestSuite(crud, .init = setup, .fini = teardown);

/* "ID PATH METHODS" for each stub of the source's group, one per line. */
static char *routes(struct crud_source *src)
{
	struct stub_group *g = crud_source_group(src);
	char *out = calloc(1, 4096);
	cr_assert(out);
	for (size_t i = 0; i < g->n; i++) {
		const struct stub *s = g->stubs[i];
		size_t o = strlen(out);
		o += (size_t)snprintf(out + o, 4096 - o, "%s %s", s->id, s->req.path);
		for (size_t m = 0; m < s->req.nmethods; m++)
			o += (size_t)snprintf(out + o, 4096 - o, " %s", s->req.methods[m]);
		snprintf(out + o, 4096 - o, "\n");
		cr_expect_eq(s->priority, 100, "%s: section 10's priority", s->id);
		cr_expect_str_eq(s->resp.handler->kind, "crud");
		cr_expect_eq(s->req.path_kind, strstr(s->req.path, "{id}") ? PATH_TEMPLATE : PATH_EXACT);
	}
	stub_group_unref(g);
	return out;
}

Test(crud, a_data_file_becomes_routes)
{
	struct diag_list diags = DIAG_LIST_INIT;
	put("db.yaml", "posts: [{ id: 1 }]\nprofile: { name: me }\n");
	struct crud_source *src = crud_source_create("db.yaml", false, &diags);
	cr_assert_not_null(src, "%s", diags_text(&diags));
	cr_expect_str_eq(crud_source_file(src), "db.yaml");
	char *r = routes(src);
	cr_expect_str_eq(r, "crud:posts /posts GET HEAD POST\n"
			    "crud:posts#item /posts/{id} GET HEAD PUT PATCH DELETE\n"
			    "crud:profile /profile GET HEAD POST PUT PATCH\n");
	free(r);
	crud_source_destroy(src);
}

Test(crud, reloads_say_when_the_routes_change)
{
	struct diag_list diags = DIAG_LIST_INIT;
	put("db.json", "{\"posts\": [{\"id\": 1}]}");
	struct crud_source *src = crud_source_create("db.json", false, &diags);
	cr_assert_not_null(src);
	put("db.json", "{\"posts\": [{\"id\": 2}]}");
	cr_expect_eq(crud_source_reload(src, &diags), 0, "the same keys: only the data changed");
	put("db.json", "{\"posts\": [], \"users\": []}");
	cr_expect_eq(crud_source_reload(src, &diags), 1, "a new key: new routes");
	char *r = routes(src);
	cr_expect(strstr(r, "crud:users /users") != NULL, "%s", r);
	free(r);
	put("db.json", "{\"posts\": 1}");
	cr_expect_eq(crud_source_reload(src, &diags), -1, "a bad edit");
	char *text = diags_text(&diags);
	cr_expect(strstr(text, "db.json:1:11: error: 'posts' must be an array of objects") != NULL, "%s", text);
	free(text);
	diag_list_release(&diags);
	crud_source_destroy(src);
}

Test(crud, a_missing_or_bad_file_is_an_error)
{
	struct diag_list diags = DIAG_LIST_INIT;
	cr_expect_null(crud_source_create("missing.json", false, &diags));
	put("bad.yaml", "- 1\n");
	cr_expect_null(crud_source_create("bad.yaml", false, &diags));
	char *text = diags_text(&diags);
	cr_expect(strstr(text, "missing.json: error: cannot read the --crud data file") != NULL, "%s", text);
	cr_expect(strstr(text, "bad.yaml:1:1: error: a data file must be an object") != NULL, "%s", text);
	free(text);
	diag_list_release(&diags);
}

Test(crud, the_source_outlives_its_owner_while_a_group_holds_it)
{
	struct diag_list diags = DIAG_LIST_INIT;
	put("db.json", "{\"posts\": [{\"id\": 1}]}");
	struct crud_source *src = crud_source_create("db.json", false, &diags);
	struct stub_group *g = crud_source_group(src);
	crud_source_destroy(src);
	cr_expect_eq(g->n, 2, "the stubs are still there (a set serving them keeps the store)");
	stub_group_unref(g);
}
