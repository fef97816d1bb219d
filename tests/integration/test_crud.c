/* SPDX-License-Identifier: MIT */
/* `cannery serve --crud FILE` (SPEC section 10, docs/crud.md) through the real binary:
 * every operation and query option over HTTP, with the answers json-server 0.17.4 gives
 * for the same data (scripts/crud-parity.py checks them against it), the deliberate
 * differences, stubs overriding resource routes, reset, hot reload, --crud-save, bad
 * data files and the journal. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "harness.h"

TestSuite(crud, .init = h_setup, .fini = h_teardown, .timeout = 120);

static const char db_json[] =
	"{\n"
	"  \"posts\": [\n"
	"    {\"id\": 1, \"title\": \"json-server\", \"author\": \"typicode\", \"views\": 100, \"meta\": {\"lang\": \"en\"}},\n"
	"    {\"id\": 2, \"title\": \"cannery\", \"author\": \"ada\", \"views\": 250, \"meta\": {\"lang\": \"fr\"}},\n"
	"    {\"id\": 3, \"title\": \"Mock servers\", \"author\": \"ada\", \"views\": 40, \"meta\": {\"lang\": \"en\"}},\n"
	"    {\"id\": 4, \"title\": \"REST\", \"author\": \"bob\", \"views\": 250, \"meta\": {\"lang\": \"de\"}}\n"
	"  ],\n"
	"  \"comments\": [\n"
	"    {\"id\": 1, \"body\": \"first\", \"postId\": 1},\n"
	"    {\"id\": 2, \"body\": \"second\", \"postId\": 1},\n"
	"    {\"id\": 3, \"body\": \"third\", \"postId\": 2}\n"
	"  ],\n"
	"  \"tags\": [{\"id\": \"x1\", \"name\": \"http\"}],\n"
	"  \"profile\": {\"name\": \"typicode\"}\n"
	"}\n";

/* A server on db.json (in dir, with an empty stub dir beside it) and extra options. */
static struct h_server *serve_db(const char **dirp, const char *extra1, const char *extra2)
{
	const char *dir = h_tmpdir();
	h_write_file(dir, "db.json", db_json);
	h_write_file(dir, "stubs/.keep", "");
	if (dirp)
		*dirp = dir;
	return h_serve(h_fmt("%s/stubs", dir), "--crud", h_fmt("%s/db.json", dir), extra1, extra2, NULL);
}

static struct h_response *json_req(const struct h_server *s, const char *method, const char *path, const char *body)
{
	return h_request(s, method, path, body, HDRS("Content-Type: application/json"));
}

static const char *header(const struct h_response *r, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < r->nheaders; i++)
		if (strncasecmp(r->headers[i], name, n) == 0 && r->headers[i][n] == ':')
			return r->headers[i] + n + 1 + (r->headers[i][n + 1] == ' ');
	return NULL;
}

/* The body as compact JSON (json-server, and cannery with it, pretty-print answers). */
static const char *compact(const struct h_response *r)
{
	cJSON *j = cJSON_Parse(r->body);
	if (!j)
		return r->body;
	char *text = cJSON_PrintUnformatted(j);
	const char *out = h_fmt("%s", text);
	free(text);
	cJSON_Delete(j);
	return out;
}

static void expect(const struct h_response *r, long status, const char *body)
{
	cr_expect_eq(r->status, status, "status %ld, expected %ld: %s", r->status, status, r->body);
	if (body)
		cr_expect_str_eq(compact(r), body);
}

/* The ids of a JSON array of objects, as "1,2,3". */
static const char *ids(const struct h_response *r)
{
	static char out[256];
	size_t o = 0;
	out[0] = '\0';
	const char *body = compact(r);
	for (const char *p = body; (p = strstr(p, "\"id\":")) != NULL;) {
		p += 5;
		size_t n = strcspn(p, ",}");
		if (o && o < sizeof(out) - 1)
			out[o++] = ',';
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%.*s", (int)n, p);
	}
	return out;
}

Test(crud, read_the_collections)
{
	struct h_server *s = serve_db(NULL, NULL, NULL);
	struct h_response *r = h_get(s, "/posts");
	expect(r, 200, NULL);
	cr_expect_str_eq(ids(r), "1,2,3,4");
	cr_expect_str_eq(header(r, "Content-Type"), "application/json; charset=utf-8");
	expect(h_get(s, "/posts/2"), 200, NULL);
	cr_expect(h_contains(compact(h_get(s, "/posts/2")), "\"title\":\"cannery\""));
	expect(h_get(s, "/posts/99"), 404, "{}");
	expect(h_get(s, "/tags/x1"), 200, NULL);
	expect(h_get(s, "/profile"), 200, NULL);
	cr_expect(h_contains(h_get(s, "/profile")->body, "typicode"));
	h_server_stop_ok(s);
}

Test(crud, filters)
{
	struct h_server *s = serve_db(NULL, NULL, NULL);
	static const struct {
		const char *q, *ids;
	} cases[] = {
		{ "author=ada", "2,3" },          { "author=ada&author=bob", "2,3,4" }, { "meta.lang=en", "1,3" },
		{ "views_gte=100", "1,2,4" },     { "views_lte=40", "3" },              { "views_ne=250", "1,3" },
		{ "views_lt=250", "1,3" },        { "views_gt=100", "2,4" },            { "title_like=^M", "3" },
		{ "title_like=SERVER", "1,3" },   { "q=ada", "2,3" },                   { "q=250", "2,4" },
		{ "id=1&id=3", "1,3" },           { "author=nobody", "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct h_response *r = h_get(s, h_fmt("/posts?%s", cases[i].q));
		cr_expect_eq(r->status, 200, "%s", cases[i].q);
		cr_expect_str_eq(ids(r), cases[i].ids, "?%s", cases[i].q);
	}
	h_server_stop_ok(s);
}

Test(crud, sorting_slicing_and_pages)
{
	struct h_server *s = serve_db(NULL, NULL, NULL);
	cr_expect_str_eq(ids(h_get(s, "/posts?_sort=views&_order=desc")), "2,4,1,3", "stable: 2 before 4");
	cr_expect_str_eq(ids(h_get(s, "/posts?_sort=author,views&_order=asc,desc")), "2,3,4,1");
	struct h_response *r = h_get(s, "/posts?_start=1&_end=3");
	cr_expect_str_eq(ids(r), "2,3");
	cr_expect_str_eq(header(r, "X-Total-Count"), "4");
	cr_expect_str_eq(ids(h_get(s, "/posts?_start=1&_limit=2")), "2,3");
	r = h_get(s, "/posts?_page=2&_limit=1");
	cr_expect_str_eq(ids(r), "2");
	cr_expect_str_eq(header(r, "X-Total-Count"), "4");
	cr_expect_str_eq(header(r, "Link"), h_fmt("<%s/posts?_page=1&_limit=1>; rel=\"first\", "
						   "<%s/posts?_page=1&_limit=1>; rel=\"prev\", "
						   "<%s/posts?_page=3&_limit=1>; rel=\"next\", "
						   "<%s/posts?_page=4&_limit=1>; rel=\"last\"",
						   s->url, s->url, s->url, s->url));
	cr_expect_str_eq(header(r, "Access-Control-Expose-Headers"), "X-Total-Count, Link");
	h_server_stop_ok(s);
}

Test(crud, embed_and_expand)
{
	struct h_server *s = serve_db(NULL, NULL, NULL);
	struct h_response *r = h_get(s, "/posts/1?_embed=comments");
	cr_expect(h_contains(compact(r), "\"comments\":[{\"id\":1,\"body\":\"first\",\"postId\":1},{\"id\":2"), "%s",
		  r->body);
	r = h_get(s, "/comments/3?_expand=post");
	cr_expect(h_contains(compact(r), "\"post\":{\"id\":2,\"title\":\"cannery\""), "%s", r->body);
	h_server_stop_ok(s);
}

Test(crud, create_replace_patch_delete)
{
	struct h_server *s = serve_db(NULL, NULL, NULL);
	struct h_response *r = json_req(s, "POST", "/posts", "{\"title\":\"new\"}");
	expect(r, 201, "{\"title\":\"new\",\"id\":5}");
	cr_expect_str_eq(header(r, "Location"), h_fmt("%s/posts/5", s->url), "json-server's full URL, from Host");
	expect(h_get(s, "/posts/5"), 200, "{\"title\":\"new\",\"id\":5}");
	expect(json_req(s, "POST", "/posts", "{\"id\":1,\"title\":\"dup\"}"), 409, NULL);
	expect(json_req(s, "PUT", "/posts/2", "{\"title\":\"replaced\"}"), 200, "{\"title\":\"replaced\",\"id\":2}");
	r = json_req(s, "PATCH", "/posts/3", "{\"views\":41}");
	expect(r, 200, NULL);
	cr_expect(h_contains(compact(r), "\"views\":41") && h_contains(compact(r), "\"title\":\"Mock servers\""), "%s",
		  r->body);
	expect(json_req(s, "PATCH", "/posts/99", "{}"), 404, "{}");
	expect(h_request(s, "DELETE", "/posts/4", NULL, NULL), 200, "{}");
	expect(h_get(s, "/posts/4"), 404, "{}");
	r = json_req(s, "POST", "/posts", "{\"title\":\"after delete\"}");
	expect(r, 201, "{\"title\":\"after delete\",\"id\":6}");
	r = json_req(s, "POST", "/tags", "{\"name\":\"gen\"}");
	expect(r, 201, NULL);
	cr_expect(strlen(r->body) > 50 && h_contains(r->body, "-"), "a UUID id: %s", r->body);
	expect(json_req(s, "PATCH", "/profile", "{\"site\":\"x\"}"), 200, "{\"name\":\"typicode\",\"site\":\"x\"}");
	h_server_stop_ok(s);
}

Test(crud, bodies_that_are_not_one_object_are_400)
{
	struct h_server *s = serve_db(NULL, NULL, NULL);
	static const char *const bad[] = { "[1]", "12", "\"x\"", "", "{nope", "null" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		expect(json_req(s, "POST", "/posts", bad[i]), 400, NULL);
		expect(json_req(s, "PUT", "/posts/1", bad[i]), 400, NULL);
		expect(json_req(s, "PATCH", "/posts/1", bad[i]), 400, NULL);
	}
	cr_expect_str_eq(ids(h_get(s, "/posts")), "1,2,3,4", "nothing changed");
	h_server_stop_ok(s);
}

Test(crud, unknown_paths_get_near_misses_and_stubs_override)
{
	const char *dir;
	struct h_server *s = serve_db(&dir, NULL, NULL);
	struct h_response *r = h_get(s, "/postz");
	expect(r, 404, NULL);
	cr_expect(h_contains(r->body, "\"near_misses\"") && h_contains(r->body, "crud:posts"), "%s", r->body);
	h_server_stop_ok(s);
	/* an explicit stub for POST /posts wins over the resource (a full tie: the stub) */
	h_write_file(dir, "stubs/fail.yaml", "request: { method: POST, path: /posts }\nresponse: { status: 500, body: down }\n");
	s = h_serve(h_fmt("%s/stubs", dir), "--crud", h_fmt("%s/db.json", dir), NULL);
	expect(json_req(s, "POST", "/posts", "{\"title\":\"x\"}"), 500, "down");
	expect(h_get(s, "/posts/1"), 200, NULL);
	h_server_stop_ok(s);
}

Test(crud, reset_restores_the_file_and_the_journal_names_the_resource)
{
	struct h_server *s = serve_db(NULL, NULL, NULL);
	expect(json_req(s, "POST", "/posts", "{\"title\":\"new\"}"), 201, NULL);
	expect(h_request(s, "DELETE", "/posts/1", NULL, NULL), 200, NULL);
	struct h_response *j = h_get(s, "/__cannery/requests");
	cr_expect(h_contains(j->body, "\"stub\":\"crud:posts\""), "%s", j->body);
	expect(h_request(s, "POST", "/__cannery/reset", "", NULL), 204, NULL);
	cr_expect_str_eq(ids(h_get(s, "/posts")), "1,2,3,4");
	expect(json_req(s, "POST", "/posts", "{}"), 201, "{\"id\":5}");
	h_server_stop_ok(s);
}

Test(crud, editing_the_file_reloads_it)
{
	const char *dir;
	struct h_server *s = serve_db(&dir, NULL, NULL);
	struct h_response *last = NULL;
	h_write_file(dir, "db.json", "{\"posts\": [{\"id\": 7}], \"users\": [{\"id\": 1, \"name\": \"ada\"}]}");
	for (int64_t t0 = h_now_ms(); h_now_ms() - t0 < H_DEADLINE_MS; h_nap_ms(10))
		if ((last = h_get(s, "/users/1"))->status == 200)
			break;
	expect(last, 200, "{\"id\":1,\"name\":\"ada\"}");
	cr_expect_str_eq(ids(h_get(s, "/posts")), "7");
	expect(h_get(s, "/tags"), 404, NULL);
	/* a broken edit keeps the previous content */
	h_write_file(dir, "db.json", "{\"posts\": 12}");
	cr_assert(h_server_wait_log(s, "must be an array of objects", NULL), "%s", h_server_stderr(s));
	cr_expect_str_eq(ids(h_get(s, "/posts")), "7");
	h_server_stop_ok(s);
}

Test(crud, crud_save_writes_changes_back_atomically)
{
	const char *dir;
	struct h_server *s = serve_db(&dir, "--crud-save", NULL);
	expect(json_req(s, "POST", "/posts", "{\"title\":\"saved\"}"), 201, NULL);
	expect(h_request(s, "DELETE", "/posts/1", NULL, NULL), 200, NULL);
	char *text = h_slurp(h_fmt("%s/db.json", dir), NULL);
	cr_expect(h_contains(text, "\"title\": \"saved\""), "pretty JSON with the new post:\n%s", text);
	cr_expect(!h_contains(text, "\"json-server\""), "post 1 is gone:\n%s", text);
	/* the server did not reload from its own write: a POST still counts on */
	expect(json_req(s, "POST", "/posts", "{}"), 201, "{\"id\":6}");
	cr_expect(!h_contains(h_server_stderr(s), "reload failed"), "%s", h_server_stderr(s));
	h_server_stop_ok(s);
}

struct poster {
	const struct h_server *s;
	atomic_bool *stop;
	int created;
};

static void *post_until_stopped(void *arg)
{
	struct poster *p = arg;
	static const char body[] = "{\"title\":\"load\"}";
	struct h_client *c = h_client_create();
	while (!atomic_load(p->stop)) {
		struct h_response *r = h_client_request(c, p->s, "POST", "/posts", body, sizeof(body) - 1,
							HDRS("Content-Type: application/json"));
		if (r->status != 201)
			break;
		p->created++;
	}
	return NULL;
}

/* --crud-save writes a temporary file and renames it over FILE: killed at any moment, the
 * file is the old content or the new, never half of one, and holds every answered POST. */
Test(crud, crud_save_survives_kill_9)
{
	const char *dir;
	struct h_server *s = serve_db(&dir, "--crud-save", "--quiet");
	struct poster p[4];
	pthread_t t[4];
	atomic_bool stop = false;
	for (int i = 0; i < 4; i++) {
		p[i] = (struct poster){ s, &stop, 0 };
		cr_assert_eq(pthread_create(&t[i], NULL, post_until_stopped, &p[i]), 0);
	}
	int64_t t0 = h_now_ms();
	while (p[0].created + p[1].created + p[2].created + p[3].created < 200 && h_now_ms() - t0 < H_DEADLINE_MS)
		h_nap_ms(5);
	cr_assert_geq(p[0].created + p[1].created + p[2].created + p[3].created, 200, "the POSTs did not go through");
	h_server_signal(s, SIGKILL);
	atomic_store(&stop, true);
	int answered = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		answered += p[i].created;
	}
	cJSON *db = cJSON_Parse(h_slurp(h_fmt("%s/db.json", dir), NULL));
	cr_assert_not_null(db, "the file is whole JSON after kill -9");
	int in_file = cJSON_GetArraySize(cJSON_GetObjectItem(db, "posts")) - 4;
	cr_log_info("kill -9 during --crud-save: %d POSTs answered, %d in the file", answered, in_file);
	cr_expect_gt(answered, 0);
	cr_expect_geq(in_file, answered, "every answered POST is in the file (%d answered, %d there)", answered, in_file);
	cJSON_Delete(db);
}

Test(crud, bad_data_files_stop_the_start)
{
	const char *dir = h_tmpdir();
	h_write_file(dir, "db.yaml", "posts:\n  - { id: 1 }\n  - oops\n");
	h_write_file(dir, "stubs/.keep", "");
	struct h_run *r = h_runv("serve", h_fmt("%s/stubs", dir), "--port", "0", "--crud", h_fmt("%s/db.yaml", dir), NULL);
	cr_expect_eq(r->exit_code, 1, "exit 1: %s", r->err);
	cr_expect(h_contains(r->err, "db.yaml:3:5: error: item 1 of collection 'posts' must be an object"), "%s", r->err);
}
