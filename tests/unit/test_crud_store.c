/* SPDX-License-Identifier: MIT */
/* crud_store: json-server 0.17's operations on one data file's content (status codes and
 * bodies as json-server 0.17.4 answers them), SPEC section 10's deliberate differences,
 * ids that are never handed out twice, reset and replace, the dump, and writers on many
 * threads at once. The query options have their own test (test_crud_query). */
#include <criterion/criterion.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crud_store.h"
#include "regex.h"
#include "testutil.h"

static const char *const data =
	"{\"posts\": [{\"id\":1,\"title\":\"a\",\"views\":5,\"meta\":{\"x\":1,\"y\":2}},"
	"             {\"id\":2,\"title\":\"b\"},{\"id\":\"3\",\"title\":\"c\"}],"
	" \"comments\": [{\"id\":1,\"postId\":1},{\"id\":2,\"postId\":2},{\"id\":3,\"postId\":1},{\"id\":4}],"
	" \"tags\": [{\"id\":\"red\"}],"
	" \"empty\": [],"
	" \"profile\": {\"name\":\"typicode\"},"
	" \"$schema\": \"./schema.json\"}";

static struct crud_store *store_of(const char *text)
{
	cJSON *root = json_or_fail(text);
	struct crud_store *st = crud_store_create(root);
	cJSON_Delete(root);
	return st;
}

/* Expects r's status and, when body is not NULL, its body as compact JSON; releases r. */
static void expect_result(struct crud_result *r, int status, const char *body)
{
	cr_expect_eq(r->status, status, "status %d, want %d: %s", r->status, status, r->body);
	cr_assert_not_null(r->body);
	cr_expect_eq(strlen(r->body), r->body_len);
	if (body) {
		char *got = compact_json(r->body);
		cr_expect_str_eq(got, body);
		free(got);
	}
	crud_result_release(r);
}

static void get(struct crud_store *st, const char *key, const char *id, struct crud_result *r)
{
	crud_get(st, key, id, NULL, 0, "http://localhost/x", r);
}

#define POST(st, key, body, r) crud_post(st, key, body, strlen(body), r)
#define PUT(st, key, id, body, r) crud_put(st, key, id, body, strlen(body), r)
#define PATCH(st, key, id, body, r) crud_patch(st, key, id, body, strlen(body), r)

Test(crud_store, kinds_and_keys_in_file_order)
{
	struct crud_store *st = store_of(data);
	cr_expect_eq(crud_store_kind(st, "posts"), CRUD_COLLECTION);
	cr_expect_eq(crud_store_kind(st, "empty"), CRUD_COLLECTION);
	cr_expect_eq(crud_store_kind(st, "profile"), CRUD_SINGULAR);
	cr_expect_eq(crud_store_kind(st, "$schema"), CRUD_NONE);
	cr_expect_eq(crud_store_kind(st, "nope"), CRUD_NONE);
	char **keys = crud_store_keys(st);
	const char *want[] = { "posts", "comments", "tags", "empty", "profile", "$schema", NULL };
	for (size_t i = 0; want[i] || keys[i]; i++) {
		cr_assert_not_null(keys[i]);
		cr_expect_str_eq(keys[i], want[i]);
		free(keys[i]);
	}
	free(keys);
	crud_store_destroy(st);
}

Test(crud_store, get_answers_pretty_json_as_json_server)
{
	struct crud_store *st = store_of(data);
	struct crud_result r;
	get(st, "posts", "1", &r);
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(r.body, "{\n  \"id\": 1,\n  \"title\": \"a\",\n  \"views\": 5,\n  \"meta\": {\n    \"x\": 1,\n"
				 "    \"y\": 2\n  }\n}");
	cr_expect_eq(r.total, -1);
	cr_expect_null(r.link);
	cr_expect_null(r.location);
	crud_result_release(&r);
	get(st, "empty", NULL, &r);
	cr_expect_str_eq(r.body, "[]");
	crud_result_release(&r);
	/* ids compare as text: "3" finds "3", and "2" finds 2 */
	get(st, "posts", "3", &r);
	expect_result(&r, 200, "{\"id\":\"3\",\"title\":\"c\"}");
	get(st, "posts", "2", &r);
	expect_result(&r, 200, "{\"id\":2,\"title\":\"b\"}");
	get(st, "profile", NULL, &r);
	expect_result(&r, 200, "{\"name\":\"typicode\"}");
	crud_store_destroy(st);
}

Test(crud_store, unknown_ids_and_routes_are_404_empty_object)
{
	struct crud_store *st = store_of(data);
	struct crud_result r;
	get(st, "posts", "99", &r);
	expect_result(&r, 404, "{}");
	get(st, "posts", "01", &r);
	expect_result(&r, 404, "{}");
	get(st, "nope", NULL, &r);
	expect_result(&r, 404, "{}");
	get(st, "profile", "1", &r);
	expect_result(&r, 404, "{}");
	PUT(st, "posts", "99", "{}", &r);
	expect_result(&r, 404, "{}");
	PATCH(st, "posts", "99", "{}", &r);
	expect_result(&r, 404, "{}");
	crud_delete(st, "posts", "99", &r);
	expect_result(&r, 404, "{}");
	/* the collection itself takes no PUT, PATCH or DELETE; a singular one no id, no DELETE */
	PUT(st, "posts", NULL, "{}", &r);
	expect_result(&r, 404, "{}");
	PATCH(st, "posts", NULL, "{}", &r);
	expect_result(&r, 404, "{}");
	crud_delete(st, "posts", NULL, &r);
	expect_result(&r, 404, "{}");
	PUT(st, "profile", "1", "{}", &r);
	expect_result(&r, 404, "{}");
	crud_delete(st, "profile", NULL, &r);
	expect_result(&r, 404, "{}");
	POST(st, "nope", "{}", &r);
	expect_result(&r, 404, "{}");
	cr_expect_eq(crud_store_version(st), 0, "nothing changed");
	crud_store_destroy(st);
}

Test(crud_store, post_gives_the_next_integer_id)
{
	struct crud_store *st = store_of(data);
	struct crud_result r;
	POST(st, "comments", "{\"postId\":2}", &r);
	cr_expect_eq(r.status, 201);
	cr_expect_str_eq(r.location, "/comments/5");
	/* the id goes last, as JavaScript adds a new key */
	expect_result(&r, 201, "{\"postId\":2,\"id\":5}");
	POST(st, "empty", "{\"a\":1}", &r);
	expect_result(&r, 201, "{\"a\":1,\"id\":1}");
	/* absent, null, 0, "" and false all get one (lodash-id's `doc.id || createId()`) */
	static const char *const falsy[] = { "null", "0", "\"\"", "false" };
	for (size_t i = 0; i < 4; i++) {
		char body[64], want[64];
		snprintf(body, sizeof(body), "{\"id\":%s,\"n\":%zu}", falsy[i], i);
		snprintf(want, sizeof(want), "{\"id\":%zu,\"n\":%zu}", 6 + i, i);
		POST(st, "comments", body, &r);
		expect_result(&r, 201, want);
	}
	/* a given id is kept, and new ones continue above it */
	POST(st, "comments", "{\"id\":40}", &r);
	expect_result(&r, 201, "{\"id\":40}");
	POST(st, "comments", "{}", &r);
	expect_result(&r, 201, "{\"id\":41}");
	cr_expect_eq(crud_store_version(st), 8);
	crud_store_destroy(st);
}

Test(crud_store, a_stray_string_id_does_not_stop_integers)
{
	/* json-server's max id is lodash's maxBy (JavaScript's >): 5 beats "3" and the next
	 * id is 6; "3" beats 2, and a string max means a random id */
	struct crud_store *st = store_of("{\"a\":[{\"id\":5},{\"id\":\"3\"}],\"b\":[{\"id\":2},{\"id\":\"3\"}]}");
	struct crud_result r;
	POST(st, "a", "{}", &r);
	expect_result(&r, 201, "{\"id\":6}");
	POST(st, "b", "{}", &r);
	cr_expect_eq(r.status, 201);
	cr_expect_null(strstr(r.body, "\"id\": 4"), "%s", r.body);
	crud_result_release(&r);
	crud_store_destroy(st);
}

Test(crud_store, string_ids_get_uuids)
{
	struct crud_store *st = store_of(data);
	struct regex *uuid = regex_compile("\\{\"name\":\"x\",\"id\":\"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
					   "[0-9a-f]{12}\"\\}",
					   false, NULL, NULL);
	cr_assert_not_null(uuid);
	char *seen[20];
	for (int i = 0; i < 20; i++) {
		struct crud_result r;
		POST(st, "tags", "{\"name\":\"x\"}", &r);
		cr_expect_eq(r.status, 201);
		char *got = compact_json(r.body);
		cr_expect(regex_match(uuid, got, strlen(got)), "%s", got);
		char want_location[64];
		snprintf(want_location, sizeof(want_location), "/tags/%.36s", got + strlen("{\"name\":\"x\",\"id\":\""));
		cr_expect_str_eq(r.location, want_location);
		seen[i] = got;
		for (int j = 0; j < i; j++)
			cr_expect_str_neq(seen[j], got);
		crud_result_release(&r);
	}
	for (int i = 0; i < 20; i++)
		free(seen[i]);
	regex_destroy(uuid);
	crud_store_destroy(st);
}

Test(crud_store, an_existing_id_is_409)
{
	struct crud_store *st = store_of(data);
	struct crud_result r;
	/* json-server: 500 and a stack trace; ids compare as text, so "1" is taken by 1 */
	POST(st, "posts", "{\"id\":\"1\",\"title\":\"dup\"}", &r);
	expect_result(&r, 409, "{\"error\":\"an item with id '1' already exists in 'posts'\"}");
	POST(st, "posts", "{\"id\":3}", &r);
	expect_result(&r, 409, NULL);
	POST(st, "posts", "{\"id\":{\"a\":1}}", &r);
	expect_result(&r, 400, "{\"error\":\"the id must be a string or a number\"}");
	cr_expect_eq(crud_store_version(st), 0);
	crud_store_destroy(st);
}

Test(crud_store, a_body_that_is_not_one_object_is_400)
{
	static const char *const bodies[][2] = {
		{ "", "the body is empty: one JSON object was expected" },
		{ "[{\"a\":1}]", "the body is an array: one JSON object was expected" },
		{ "5", "the body is a number: one JSON object was expected" },
		{ "\"s\"", "the body is a string: one JSON object was expected" },
		{ "true", "the body is true: one JSON object was expected" },
		{ "null", "the body is null: one JSON object was expected" },
		{ "{\"a\":", "the body is not JSON (not valid JSON at line 1, column 5): one JSON object was expected" },
		{ "{} {}", "the body is not JSON (not valid JSON at line 1, column 4): one JSON object was expected" },
	};
	struct crud_store *st = store_of(data);
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		char want[200];
		snprintf(want, sizeof(want), "{\"error\":\"%s\"}", bodies[i][1]);
		struct crud_result r;
		POST(st, "posts", bodies[i][0], &r);
		expect_result(&r, 400, want);
		PUT(st, "posts", "1", bodies[i][0], &r);
		expect_result(&r, 400, want);
		PATCH(st, "posts", "1", bodies[i][0], &r);
		expect_result(&r, 400, want);
		PUT(st, "profile", NULL, bodies[i][0], &r);
		expect_result(&r, 400, want);
	}
	cr_expect_eq(crud_store_version(st), 0);
	crud_store_destroy(st);
}

Test(crud_store, put_replaces_and_keeps_the_id)
{
	struct crud_store *st = store_of(data);
	struct crud_result r;
	/* lodash-id's replaceById: the body's keys, the old id in the body's place for it */
	PUT(st, "posts", "1", "{\"title\":\"put\",\"id\":77,\"z\":1}", &r);
	expect_result(&r, 200, "{\"title\":\"put\",\"id\":1,\"z\":1}");
	PUT(st, "posts", "2", "{\"title\":\"put2\"}", &r);
	expect_result(&r, 200, "{\"title\":\"put2\",\"id\":2}");
	PUT(st, "posts", "3", "{}", &r);
	expect_result(&r, 200, "{\"id\":\"3\"}");
	get(st, "posts", "1", &r);
	expect_result(&r, 200, "{\"title\":\"put\",\"id\":1,\"z\":1}");
	get(st, "posts", "77", &r);
	expect_result(&r, 404, "{}");
	cr_expect_eq(crud_store_version(st), 3);
	crud_store_destroy(st);
}

Test(crud_store, patch_merges_shallowly)
{
	struct crud_store *st = store_of(data);
	struct crud_result r;
	PATCH(st, "posts", "1", "{\"views\":6,\"id\":9,\"meta\":{\"x\":5},\"extra\":[1]}", &r);
	expect_result(&r, 200, "{\"id\":1,\"title\":\"a\",\"views\":6,\"meta\":{\"x\":5},\"extra\":[1]}");
	PATCH(st, "posts", "1", "{}", &r);
	expect_result(&r, 200, "{\"id\":1,\"title\":\"a\",\"views\":6,\"meta\":{\"x\":5},\"extra\":[1]}");
	get(st, "posts", "9", &r);
	expect_result(&r, 404, "{}");
	crud_store_destroy(st);
}

Test(crud_store, delete_answers_empty_object_and_removes_dependents)
{
	struct crud_store *st = store_of(data);
	struct crud_result r;
	crud_delete(st, "posts", "1", &r);
	expect_result(&r, 200, "{}");
	get(st, "posts", "1", &r);
	expect_result(&r, 404, "{}");
	crud_delete(st, "posts", "1", &r);
	expect_result(&r, 404, "{}");
	/* json-server also removes what pointed at it: post 1's comments (not the one with no
	 * postId, nor a tag) */
	crud_get(st, "comments", NULL, NULL, 0, "", &r);
	expect_result(&r, 200, "[{\"id\":2,\"postId\":2},{\"id\":4}]");
	cr_expect_eq(crud_store_version(st), 1);
	crud_store_destroy(st);
}

Test(crud_store, delete_removes_dangling_references_the_file_had)
{
	struct crud_store *st = store_of("{\"users\":[{\"id\":1}],\"posts\":[{\"id\":1,\"userId\":1},"
					 "{\"id\":2,\"userId\":7},{\"id\":3,\"userId\":null},{\"id\":4,\"ownerId\":7}]}");
	struct crud_result r;
	/* even a DELETE that finds nothing looks for dependents, as in json-server */
	crud_delete(st, "users", "42", &r);
	expect_result(&r, 404, "{}");
	cr_expect_eq(crud_store_version(st), 1, "the removal is a change");
	crud_get(st, "posts", NULL, NULL, 0, "", &r);
	expect_result(&r, 200, "[{\"id\":1,\"userId\":1},{\"id\":3,\"userId\":null},{\"id\":4,\"ownerId\":7}]");
	crud_store_destroy(st);
}

Test(crud_store, a_deleted_id_is_not_given_again_until_reset)
{
	struct crud_store *st = store_of(data);
	struct crud_result r;
	crud_delete(st, "comments", "4", &r);
	expect_result(&r, 200, "{}");
	/* json-server would give 4 again (the current max + 1) */
	POST(st, "comments", "{}", &r);
	expect_result(&r, 201, "{\"id\":5}");
	crud_delete(st, "comments", "5", &r);
	expect_result(&r, 200, "{}");
	POST(st, "comments", "{}", &r);
	expect_result(&r, 201, "{\"id\":6}");
	crud_store_reset(st);
	get(st, "comments", "4", &r);
	expect_result(&r, 200, "{\"id\":4}");
	get(st, "comments", "6", &r);
	expect_result(&r, 404, "{}");
	POST(st, "comments", "{}", &r);
	expect_result(&r, 201, "{\"id\":5}");
	/* a replace starts from the new content's ids */
	cJSON *root = json_or_fail("{\"comments\":[{\"id\":10}],\"other\":[]}");
	crud_store_replace(st, root);
	cJSON_Delete(root);
	cr_expect_eq(crud_store_kind(st, "posts"), CRUD_NONE);
	crud_delete(st, "comments", "10", &r);
	expect_result(&r, 200, "{}");
	POST(st, "comments", "{}", &r);
	expect_result(&r, 201, "{\"id\":11}");
	crud_store_reset(st);
	get(st, "comments", "10", &r);
	expect_result(&r, 200, "{\"id\":10}");
	crud_store_destroy(st);
}

/* Every write keeps the id index in step: what GET /KEY/ID finds is what the list holds. */
Test(crud_store, ids_are_found_after_every_kind_of_write)
{
	/* the same id twice in a file: the first is found, then the second once it is gone */
	struct crud_store *st = store_of("{\"a\":[{\"id\":1,\"n\":\"first\"},{\"id\":\"1\",\"n\":\"second\"},{\"id\":2}]}");
	struct crud_result r;
	get(st, "a", "1", &r);
	expect_result(&r, 200, "{\"id\":1,\"n\":\"first\"}");
	PUT(st, "a", "1", "{\"n\":\"put\"}", &r);
	expect_result(&r, 200, "{\"n\":\"put\",\"id\":1}");
	get(st, "a", "1", &r);
	expect_result(&r, 200, "{\"n\":\"put\",\"id\":1}");
	PATCH(st, "a", "1", "{\"id\":7,\"m\":1}", &r);
	expect_result(&r, 200, "{\"n\":\"put\",\"id\":1,\"m\":1}");
	get(st, "a", "7", &r);
	expect_result(&r, 404, "{}");
	crud_delete(st, "a", "1", &r);
	expect_result(&r, 200, "{}");
	get(st, "a", "1", &r);
	expect_result(&r, 200, "{\"id\":\"1\",\"n\":\"second\"}");
	crud_delete(st, "a", "1", &r);
	expect_result(&r, 200, "{}");
	get(st, "a", "1", &r);
	expect_result(&r, 404, "{}");
	/* a string id among integers took the slow way to the next id; gone, the fast one */
	POST(st, "a", "{}", &r);
	expect_result(&r, 201, "{\"id\":3}");
	get(st, "a", "3", &r);
	expect_result(&r, 200, "{\"id\":3}");
	POST(st, "a", "{\"id\":\"x\"}", &r);
	expect_result(&r, 201, "{\"id\":\"x\"}");
	get(st, "a", "x", &r);
	expect_result(&r, 200, "{\"id\":\"x\"}");
	crud_store_reset(st);
	get(st, "a", "3", &r);
	expect_result(&r, 404, "{}");
	get(st, "a", "1", &r);
	expect_result(&r, 200, "{\"id\":1,\"n\":\"first\"}");
	cJSON *root = json_or_fail("{\"a\":[{\"id\":5}]}");
	crud_store_replace(st, root);
	cJSON_Delete(root);
	get(st, "a", "2", &r);
	expect_result(&r, 404, "{}");
	get(st, "a", "5", &r);
	expect_result(&r, 200, "{\"id\":5}");
	crud_store_destroy(st);
}

/* GET answers are kept for the content they were printed from: never one of an older one. */
Test(crud_store, a_write_is_visible_to_the_next_get)
{
	struct crud_store *st = store_of(data);
	struct crud_result r;
	struct kv page[] = { { "_page", "1", 1 }, { "_limit", "1", 1 } };
	crud_get(st, "posts", NULL, page, 2, "http://h/posts?_page=1&_limit=1", &r);
	cr_expect_eq(r.total, 3);
	crud_result_release(&r);
	POST(st, "posts", "{\"title\":\"d\"}", &r);
	crud_result_release(&r);
	crud_get(st, "posts", NULL, page, 2, "http://h/posts?_page=1&_limit=1", &r);
	cr_expect_eq(r.total, 4);
	crud_result_release(&r);
	/* the same request again (from the cache) answers the same, headers included */
	crud_get(st, "posts", NULL, page, 2, "http://h/posts?_page=1&_limit=1", &r);
	cr_expect_eq(r.total, 4);
	cr_expect_str_eq(r.link, "<http://h/posts?_page=1&_limit=1>; rel=\"first\", "
				 "<http://h/posts?_page=2&_limit=1>; rel=\"next\", "
				 "<http://h/posts?_page=4&_limit=1>; rel=\"last\"");
	crud_result_release(&r);
	/* another URL or other values are other requests */
	struct kv page2[] = { { "_page", "2", 1 }, { "_limit", "1", 1 } };
	crud_get(st, "posts", NULL, page2, 2, "http://h/posts?_page=1&_limit=1", &r);
	expect_result(&r, 200, "[{\"id\":2,\"title\":\"b\"}]");
	get(st, "profile", NULL, &r);
	expect_result(&r, 200, "{\"name\":\"typicode\"}");
	PATCH(st, "profile", NULL, "{\"name\":\"x\"}", &r);
	crud_result_release(&r);
	get(st, "profile", NULL, &r);
	expect_result(&r, 200, "{\"name\":\"x\"}");
	crud_store_reset(st);
	get(st, "profile", NULL, &r);
	expect_result(&r, 200, "{\"name\":\"typicode\"}");
	get(st, "posts", "2", &r);
	expect_result(&r, 200, "{\"id\":2,\"title\":\"b\"}");
	crud_delete(st, "posts", "2", &r);
	crud_result_release(&r);
	get(st, "posts", "2", &r);
	expect_result(&r, 404, "{}");
	cJSON *root = json_or_fail("{\"posts\":[{\"id\":2,\"title\":\"new\"}]}");
	crud_store_replace(st, root);
	cJSON_Delete(root);
	get(st, "posts", "2", &r);
	expect_result(&r, 200, "{\"id\":2,\"title\":\"new\"}");
	crud_store_destroy(st);
}

Test(crud_store, singular_resources)
{
	struct crud_store *st = store_of(data);
	struct crud_result r;
	PATCH(st, "profile", NULL, "{\"age\":3,\"name\":\"x\"}", &r);
	expect_result(&r, 200, "{\"name\":\"x\",\"age\":3}");
	PUT(st, "profile", NULL, "{\"id\":1}", &r);
	expect_result(&r, 200, "{\"id\":1}");
	/* a singular resource has no id to protect: "id" is a field like any other */
	PATCH(st, "profile", NULL, "{\"id\":2}", &r);
	expect_result(&r, 200, "{\"id\":2}");
	/* json-server takes a POST as a replacement, answered 201 with Location /KEY */
	POST(st, "profile", "{\"name\":\"posted\"}", &r);
	cr_expect_str_eq(r.location, "/profile");
	expect_result(&r, 201, "{\"name\":\"posted\"}");
	get(st, "profile", NULL, &r);
	expect_result(&r, 200, "{\"name\":\"posted\"}");
	cr_expect_eq(crud_store_version(st), 4);
	crud_store_destroy(st);
}

Test(crud_store, list_queries_answer_with_headers)
{
	struct crud_store *st = store_of(data);
	struct kv q[8];
	char *copy;
	size_t n = split_query("_page=1&_limit=2&_embed=comments", q, 8, &copy);
	struct crud_result r;
	crud_get(st, "posts", NULL, q, n, "http://h/posts?_page=1&_limit=2&_embed=comments", &r);
	cr_expect_eq(r.total, 3);
	cr_expect_str_eq(r.link, "<http://h/posts?_page=1&_limit=2&_embed=comments>; rel=\"first\", "
				 "<http://h/posts?_page=2&_limit=2&_embed=comments>; rel=\"next\", "
				 "<http://h/posts?_page=2&_limit=2&_embed=comments>; rel=\"last\"");
	expect_result(&r, 200, "[{\"id\":1,\"title\":\"a\",\"views\":5,\"meta\":{\"x\":1,\"y\":2},"
			       "\"comments\":[{\"id\":1,\"postId\":1},{\"id\":3,\"postId\":1}]},"
			       "{\"id\":2,\"title\":\"b\",\"comments\":[{\"id\":2,\"postId\":2}]}]");
	free(copy);
	/* GET /KEY/ID takes _embed and _expand, nothing else */
	n = split_query("_expand=post&_limit=0", q, 8, &copy);
	crud_get(st, "comments", "2", q, n, "", &r);
	cr_expect_eq(r.total, -1);
	expect_result(&r, 200, "{\"id\":2,\"postId\":2,\"post\":{\"id\":2,\"title\":\"b\"}}");
	free(copy);
	/* json-server: 500 and a stack trace */
	struct kv bad = { "title_like", "a(", 2 };
	crud_get(st, "posts", NULL, &bad, 1, "", &r);
	expect_result(&r, 400, "{\"error\":\"'title_like' is not a regular expression: missing closing "
			       "parenthesis at offset 2\"}");
	crud_store_destroy(st);
}

Test(crud_store, dump_is_json_stringify_with_two_spaces)
{
	struct crud_store *st = store_of("{\"b\":[{\"id\":1,\"n\":[]}],\"a\":{\"s\":\"\\u00e9\\n\",\"o\":{}},"
					 "\"c\":[],\"x\":[1e21,0.5,true,null]}");
	size_t len;
	uint64_t version = 99;
	char *text = crud_store_dump(st, &len, &version);
	cr_expect_str_eq(text, "{\n  \"b\": [\n    {\n      \"id\": 1,\n      \"n\": []\n    }\n  ],\n"
			       "  \"a\": {\n    \"s\": \"\u00e9\\n\",\n    \"o\": {}\n  },\n  \"c\": [],\n"
			       "  \"x\": [\n    1e+21,\n    0.5,\n    true,\n    null\n  ]\n}");
	cr_expect_eq(len, strlen(text));
	cr_expect_eq(version, 0);
	free(text);
	struct crud_result r;
	POST(st, "c", "{}", &r);
	crud_result_release(&r);
	text = crud_store_dump(st, &len, &version);
	cr_expect_eq(version, 1);
	cr_expect(strstr(text, "\"c\": [\n    {\n      \"id\": 1\n    }\n  ],"), "%s", text);
	free(text);
	crud_store_destroy(st);
}

/* ---- many writers at once ---------------------------------------------------------------- */

#define THREADS 8
#define POSTS 500

struct writer {
	struct crud_store *st;
	int n;
	int deleted;
};

/* POSTs, and after every fifth a PATCH of it and every tenth a DELETE of it. */
static void *write_many(void *arg)
{
	struct writer *w = arg;
	for (int i = 0; i < POSTS; i++) {
		struct crud_result r;
		char body[64];
		snprintf(body, sizeof(body), "{\"writer\":%d,\"i\":%d}", w->n, i);
		POST(w->st, "items", body, &r);
		cr_assert_eq(r.status, 201);
		char id[32];
		snprintf(id, sizeof(id), "%s", r.location + strlen("/items/"));
		crud_result_release(&r);
		get(w->st, "items", id, &r);
		cr_assert_eq(r.status, 200, "GET /items/%s after its POST: %d", id, r.status);
		crud_result_release(&r);
		if (i % 5 == 0) {
			PATCH(w->st, "items", id, "{\"patched\":true}", &r);
			cr_assert_eq(r.status, 200);
			crud_result_release(&r);
			/* the answer cached by the GET above is not given again */
			get(w->st, "items", id, &r);
			cr_assert(strstr(r.body, "\"patched\": true"), "%s", r.body);
			crud_result_release(&r);
		}
		if (i % 10 == 0) {
			crud_delete(w->st, "items", id, &r);
			cr_assert_eq(r.status, 200);
			crud_result_release(&r);
			w->deleted++;
			get(w->st, "items", id, &r);
			cr_assert_eq(r.status, 404);
			crud_result_release(&r);
		}
	}
	return NULL;
}

Test(crud_store, concurrent_writers_lose_nothing_and_share_no_id)
{
	struct crud_store *st = store_of("{\"items\":[]}");
	pthread_t t[THREADS];
	struct writer w[THREADS];
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct writer){ .st = st, .n = i };
		cr_assert_eq(pthread_create(&t[i], NULL, write_many, &w[i]), 0);
	}
	int deleted = 0;
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		deleted += w[i].deleted;
	}
	struct crud_result r;
	crud_get(st, "items", NULL, NULL, 0, "", &r);
	cJSON *items = json_or_fail(r.body);
	crud_result_release(&r);
	int n = cJSON_GetArraySize(items);
	cr_expect_eq(n, THREADS * POSTS - deleted);
	/* ids 1..4000 each given once: the survivors' ids are distinct and in that range */
	static bool seen[THREADS * POSTS + 1];
	int patched = 0;
	for (const cJSON *it = items->child; it; it = it->next) {
		int id = (int)cJSON_GetObjectItem(it, "id")->valuedouble;
		cr_assert(id >= 1 && id <= THREADS * POSTS, "id %d", id);
		cr_expect_not(seen[id], "id %d twice", id);
		seen[id] = true;
		patched += cJSON_GetObjectItem(it, "patched") != NULL;
		/* the index found every survivor */
		char text[32];
		snprintf(text, sizeof(text), "%d", id);
		get(st, "items", text, &r);
		cr_expect_eq(r.status, 200, "GET /items/%d", id);
		crud_result_release(&r);
	}
	cr_expect_eq(patched, THREADS * (POSTS / 5 - POSTS / 10));
	cr_expect_eq(crud_store_version(st), (uint64_t)(THREADS * POSTS + THREADS * POSTS / 5 + deleted));
	/* and the next id is above all of them */
	POST(st, "items", "{}", &r);
	cr_expect_str_eq(r.location, "/items/4001");
	crud_result_release(&r);
	cJSON_Delete(items);
	crud_store_destroy(st);
}
