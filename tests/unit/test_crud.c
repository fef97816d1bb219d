/* SPDX-License-Identifier: MIT */
/* Unit tests for crud.c, the CRUD front-end: a data file becomes stubs of the stub model
 * (which ids, paths, methods and handler), reloads tell when the routes changed, and a
 * bad file is located errors. The answers themselves are test_crud_store's and, over
 * HTTP, tests/integration/test_crud.c's. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "crud.h"
#include "reply.h"
#include "respond.h"
#include "stub.h"
#include "util/rng.h"
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

/* ---- the answers, as the handler gives them ---- */

/* Runs the handler of stub i of the source's group for q; id: the item's path capture. */
static void ask(struct crud_source *src, size_t i, struct req *q, const char *id, struct reply *out)
{
	struct stub_group *g = crud_source_group(src);
	struct kv cap = { "id", id, id ? strlen(id) : 0 };
	struct params params = { &cap, id ? 1 : 0 };
	struct rng rng;
	rng_seed(&rng, 1);
	struct respond_ctx rc = { { &q->v, &params, &rng, 1, 0 }, &q->arena };
	const struct stub_response *sr = &g->stubs[i]->resp;
	memset(out, 0, sizeof(*out));
	sr->handler->respond(sr, &rc, out);
	stub_group_unref(g);
}

/* GET /posts?_page=1&_limit=1 with this Host. */
static void first_page(struct req *q, const char *host)
{
	req_init(q, "GET", "/posts");
	req_header(q, "Host", host);
	req_query(q, "_page", "1");
	req_query(q, "_limit", "1");
	q->v.target = "/posts?_page=1&_limit=1";
}

Test(crud, a_repeated_get_is_one_shared_answer_until_a_write)
{
	struct diag_list diags = DIAG_LIST_INIT;
	put("db.json", "{\"posts\": [{\"id\": 1, \"t\": \"a\"}, {\"id\": 2, \"t\": \"b\"}]}");
	struct crud_source *src = crud_source_create("db.json", false, &diags);
	struct req q;
	struct reply a, b, c, w;
	first_page(&q, "h:1");
	ask(src, 0, &q, NULL, &a);
	ask(src, 0, &q, NULL, &b);
	cr_assert_not_null(a.shared, "a GET answers with a shared answer");
	cr_expect_eq(a.shared, b.shared, "the same request: the same answer, from the cache");
	cr_expect_str_eq(a.stub_id, "crud:posts");
	cr_expect_eq(a.status, 200);
	cr_expect_null(a.body, "the body stays in the answer until dispatch or the adapter expands it");
	const struct reply_shared *sh = a.shared;
	cr_expect_eq(sh->nheaders, 3);
	cr_expect_str_eq(sh->headers[0].name, "X-Total-Count");
	cr_expect_str_eq(sh->headers[0].value, "2");
	cr_expect_str_eq(sh->headers[2].name, "Link");
	cr_expect(strstr(sh->headers[2].value, "<http://h:1/posts?_page=2&_limit=1>; rel=\"next\"") != NULL, "%s",
		  sh->headers[2].value);
	/* another Host: another Link, another answer */
	req_fini(&q);
	first_page(&q, "h:2");
	ask(src, 0, &q, NULL, &c);
	cr_expect_neq(c.shared, a.shared);
	reply_release(&c);
	/* a write: the next GET is printed again and shows it */
	req_fini(&q);
	req_init(&q, "DELETE", "/posts/2");
	ask(src, 1, &q, "2", &w);
	cr_expect_eq(w.status, 200);
	reply_release(&w);
	req_fini(&q);
	first_page(&q, "h:1");
	ask(src, 0, &q, NULL, &c);
	cr_expect_neq(c.shared, a.shared);
	cr_expect_str_eq(c.shared->headers[0].value, "1");
	reply_release(&a);
	reply_release(&b);
	reply_release(&c);
	req_fini(&q);
	crud_source_destroy(src);
}

Test(crud, a_post_answers_with_its_location)
{
	struct diag_list diags = DIAG_LIST_INIT;
	put("db.json", "{\"posts\": []}");
	struct crud_source *src = crud_source_create("db.json", false, &diags);
	struct req q;
	struct reply r;
	req_init(&q, "POST", "/posts");
	req_header(&q, "Host", "localhost:9");
	req_body(&q, "{\"t\": \"x\"}");
	ask(src, 0, &q, NULL, &r);
	cr_assert_not_null(r.shared);
	cr_expect_eq(r.status, 201);
	cr_expect_str_eq(r.shared->headers[0].value, "Location");
	cr_expect_str_eq(r.shared->headers[1].name, "Location");
	cr_expect_str_eq(r.shared->headers[1].value, "http://localhost:9/posts/1");
	cr_expect(strstr(r.shared->body, "\"id\": 1") != NULL, "%s", r.shared->body);
	reply_release(&r);
	req_fini(&q);
	crud_source_destroy(src);
}
