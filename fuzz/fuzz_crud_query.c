/* SPDX-License-Identifier: MIT */
/* Fuzz target: json-server's list options (crud_query through crud_get) against a fixed
 * CRUD store. The first byte picks the route (byte % 8: GET /posts, /comments, /users,
 * /profile, /empty, /nope, /posts/1, /comments/x); the rest is the query string, split on
 * '&' and '=' (no percent-decoding). Must hold: no crash, leak or hang; the answer is 200,
 * 400 or 404 with a body that is JSON; a list's X-Total-Count is at least the number of
 * items it holds, and _page always brings a Link; a GET changes nothing. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "crud_store.h"
#include "json.h"

#define MAX_QUERY 32

/* Nested objects, integers, fractions, strings, booleans, nulls, arrays, string and number
 * ids, references between collections (postId, userId), a singular resource. */
static const char data[] =
	"{\"posts\":["
	"{\"id\":1,\"title\":\"Hello\",\"views\":100,\"draft\":false,\"userId\":1,\"tags\":[\"a\",\"b\"],"
	"\"meta\":{\"score\":4.5,\"by\":{\"name\":\"ann\"},\"list\":[1,null,{\"x\":true}]}},"
	"{\"id\":2,\"title\":\"second post\",\"views\":\"20\",\"draft\":true,\"userId\":\"2\",\"tags\":[]},"
	"{\"id\":\"3\",\"title\":null,\"views\":-1.25e3,\"meta\":{}},"
	"{\"id\":4,\"title\":\"\\u00e9t\\u00e9 \\ud83d\\ude00\",\"views\":0,\"userId\":9},"
	"{\"title\":\"no id\",\"views\":1e21}],"
	"\"comments\":[{\"id\":1,\"postId\":1,\"body\":\"c1\"},{\"id\":2,\"postId\":\"3\",\"body\":\"C2\"},"
	"{\"id\":\"x\",\"postId\":null},{\"id\":3}],"
	"\"users\":[{\"id\":1,\"name\":\"ann\",\"admin\":true},{\"id\":2,\"name\":\"Bob\",\"admin\":null}],"
	"\"empty\":[],"
	"\"profile\":{\"name\":\"typicode\",\"nested\":{\"a\":[1,2]}}}";

static struct crud_store *store(void)
{
	static struct crud_store *st;
	if (!st) {
		cJSON *root = json_parse(data, strlen(data), NULL);
		if (!root)
			abort();
		st = crud_store_create(root);
		cJSON_Delete(root);
	}
	return st;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	store();
	return 0;
}

/* The invariants of one answer; aborts, saying which, when one does not hold. */
static void check(const struct crud_result *r, bool list, bool paged, const char *what)
{
	if (r->status != 200 && r->status != 400 && r->status != 404) {
		fprintf(stderr, "%s: status %d\n", what, r->status);
		abort();
	}
	cJSON *body = r->body ? json_parse(r->body, r->body_len, NULL) : NULL;
	if (!body) {
		fprintf(stderr, "%s: the body is not JSON: %s\n", what, r->body ? r->body : "(null)");
		abort();
	}
	if (r->total >= 0 && (!cJSON_IsArray(body) || r->total < cJSON_GetArraySize(body))) {
		fprintf(stderr, "%s: X-Total-Count %lld for %d items\n", what, r->total, cJSON_GetArraySize(body));
		abort();
	}
	if (list && paged && r->status == 200 && !r->link) {
		fprintf(stderr, "%s: _page without a Link\n", what);
		abort();
	}
	cJSON_Delete(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data_in, size_t size)
{
	static const struct {
		const char *key, *id;
		bool list;
	} routes[] = {
		{ "posts", NULL, true }, { "comments", NULL, true }, { "users", NULL, true }, { "profile", NULL, false },
		{ "empty", NULL, true }, { "nope", NULL, false }, { "posts", "1", false }, { "comments", "x", false },
	};
	if (size == 0)
		return 0;
	unsigned pick = data_in[0] % 8;
	size_t len = size - 1;
	char *text = malloc(len + 1);
	if (!text)
		abort();
	memcpy(text, data_in + 1, len);
	text[len] = '\0';
	char *url = malloc(len + 32);
	if (!url)
		abort();
	snprintf(url, len + 32, "http://h/%s?", routes[pick].key);
	memcpy(url + strlen(url), text, len + 1);

	struct kv query[MAX_QUERY];
	size_t n = fuzz_split_query(text, len, query, MAX_QUERY);
	/* the first _page counts, when it is not empty */
	bool paged = false;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(query[i].name, "_page") == 0) {
			paged = query[i].len > 0;
			break;
		}
	}
	struct crud_result r;
	crud_get(store(), routes[pick].key, routes[pick].id, query, n, url, &r);
	check(&r, routes[pick].list, paged, routes[pick].key);
	crud_result_release(&r);
	if (crud_store_version(store()) != 0) {
		fprintf(stderr, "a GET changed the store\n");
		abort();
	}
	free(url);
	free(text);
	return 0;
}
