/* SPDX-License-Identifier: MIT */
/* Unit tests for admin.c: admin_handle called directly with hand-built requests against a
 * created (never started) server's admin context. Health, stubs (add, list, delete, ids
 * holding '/'), reload, the journal (list with filters, clear, count, verify, wait),
 * reset, metrics, the routing (404 for unknown paths, 405 for wrong methods), the
 * Origin and token checks, and the 400 {"error":...} every malformed body gets. The
 * journal is filled with journal_add, as the pipeline fills it. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "config.h"
#include "journal.h"
#include "json.h"
#include "server.h"
#include "state.h"
#include "testutil.h"
#include "util/strbuf.h"
#include "wait.h"

static struct cannery_server *srv;
static const struct admin_ctx *ax;
static struct strbuf out = STRBUF_INIT;       /* the last answer's body */
static const char *ctype;                      /* and its content type */

static void setup(void)
{
	srv = server_new(NULL);
	ax = server_admin(srv);
}

static void teardown(void)
{
	strbuf_release(&out);
	cannery_server_destroy(srv);
	tmpdir_leave();
}

TestSuite(admin, .init = setup, .fini = teardown, .timeout = 60);

/* admin_handle on ctx with req; the body is in out, the content type in ctype. */
static int handle_on(const struct admin_ctx *ctx, const struct admin_request *req)
{
	strbuf_release(&out);
	ctype = "(not set)";
	return admin_handle(ctx, req, &out, &ctype);
}

static struct admin_request request(const char *method, const char *path, const char *body)
{
	struct admin_request req = { 0 };
	req.method = method;
	req.path = path;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	return req;
}

static int call(const char *method, const char *path, const char *body)
{
	struct admin_request req = request(method, path, body);
	return handle_on(ax, &req);
}

/* GET /__cannery/requests with query parameters given as name, value, ..., NULL. */
static int get_requests(const char *first, ...)
{
	struct kv q[8];
	size_t n = 0;
	va_list ap;
	va_start(ap, first);
	for (const char *name = first; name && n < 8; name = va_arg(ap, const char *)) {
		q[n].name = name;
		q[n].value = va_arg(ap, const char *);
		q[n].len = strlen(q[n].value);
		n++;
	}
	va_end(ap);
	struct admin_request req = request("GET", "/__cannery/requests", NULL);
	req.query = q;
	req.nquery = n;
	return handle_on(ax, &req);
}

#define BODY strbuf_str(&out)

/* The answer was status with a JSON body {"error": "...needle..."} and nothing else. */
static void expect_error(int got, int status, const char *needle, const char *what)
{
	cr_expect_eq(got, status, "%s: status %d, want %d: %s", what, got, status, BODY);
	cr_expect_str_eq(ctype, "application/json", "%s", what);
	cJSON *o = cJSON_Parse(BODY);
	cr_assert(cJSON_IsObject(o), "%s: not a JSON object: %s", what, BODY);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
	cr_expect(cJSON_IsString(e), "%s: no \"error\" string: %s", what, BODY);
	cr_expect_eq(cJSON_GetArraySize(o), 1, "%s: only \"error\": %s", what, BODY);
	if (cJSON_IsString(e) && needle)
		cr_expect(strstr(e->valuestring, needle), "%s: '%s' not in: %s", what, needle, e->valuestring);
	cJSON_Delete(o);
}

/* The answer was status with exactly the JSON body want. */
static void expect_json(int got, int status, const char *want, const char *what)
{
	cr_expect_eq(got, status, "%s: status %d, want %d: %s", what, got, status, BODY);
	cr_expect_str_eq(ctype, "application/json", "%s", what);
	cr_expect_str_eq(BODY, want, "%s: got %s", what, BODY);
}

/* A 204: no body, no content type. */
static void expect_no_content(int got, const char *what)
{
	cr_expect_eq(got, 204, "%s: status %d: %s", what, got, BODY);
	cr_expect_null(ctype, "%s: content type %s", what, ctype ? ctype : "");
	cr_expect_eq(out.len, 0, "%s: body %s", what, BODY);
}

static size_t journal_size(void)
{
	struct journal_stats st;
	journal_stats(ax->journal, &st);
	return st.entries;
}

static const char two_stubs[] = "- name: get-user\n"
				"  request: { method: GET, path: '/users/{id}' }\n"
				"  response: { json: { id: 1 } }\n"
				"- request: { method: [POST, PUT], path: /users }\n"
				"  response: { status: 201 }\n";

/* ---- health ---- */

Test(admin, health_get_and_head)
{
	char want[128];
	add_stubs(srv, two_stubs);
	snprintf(want, sizeof(want), "{\"status\":\"ok\",\"stubs\":2,\"version\":\"%s\"}", CANNERY_VERSION);
	expect_json(call("GET", "/__cannery/health", NULL), 200, want, "GET health");
	expect_json(call("HEAD", "/__cannery/health", NULL), 200, want, "HEAD health");
}

/* ---- stubs ---- */

Test(admin, stubs_add_json_and_yaml)
{
	expect_json(call("POST", "/__cannery/stubs", "{\"name\":\"j\",\"request\":{\"path\":\"/j\"},\"response\":{}}"),
		    201, "{\"ids\":[\"j\"]}", "one JSON stub");
	expect_json(call("POST", "/__cannery/stubs", two_stubs), 201, "{\"ids\":[\"get-user\",\"runtime-1\"]}",
		    "a YAML list");
	expect_json(call("POST", "/__cannery/stubs", "request: { path: /k }\n"), 201, "{\"ids\":[\"runtime-2\"]}",
		    "unnamed ids are never reused");
	cr_expect_eq(cannery_server_stub_count(srv), 4);
}

Test(admin, stubs_list)
{
	add_stubs(srv, two_stubs);
	cr_assert_eq(call("GET", "/__cannery/stubs", NULL), 200, "%s", BODY);
	cr_expect_str_eq(ctype, "application/json");
	cJSON *o = cJSON_Parse(BODY);
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(o, "stubs");
	cr_assert_eq(cJSON_GetArraySize(list), 2, "%s", BODY);
	const cJSON *a = cJSON_GetArrayItem(list, 0), *b = cJSON_GetArrayItem(list, 1);
	cr_expect_str_eq(cJSON_GetObjectItemCaseSensitive(a, "id")->valuestring, "get-user");
	cr_expect_str_eq(cJSON_GetObjectItemCaseSensitive(a, "name")->valuestring, "get-user");
	cr_expect(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(a, "file")), "a runtime stub has no file");
	cr_expect_str_eq(cJSON_GetObjectItemCaseSensitive(a, "path")->valuestring, "/users/{id}");
	cr_expect_str_eq(cJSON_GetObjectItemCaseSensitive(b, "id")->valuestring, "runtime-1");
	cr_expect(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(b, "name")));
	char *methods = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(b, "methods"));
	cr_expect_str_eq(methods, "[\"POST\",\"PUT\"]");
	cJSON_free(methods);
	cr_expect(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(b, "line")));
	cJSON_Delete(o);
}

Test(admin, stubs_list_empty)
{
	expect_json(call("GET", "/__cannery/stubs", NULL), 200, "{\"stubs\":[]}", "no stubs");
}

Test(admin, stubs_add_bad_bodies)
{
	expect_error(call("POST", "/__cannery/stubs", NULL), 400, "empty body", "no body");
	expect_error(call("POST", "/__cannery/stubs", "{ \"name\": "), 400, "the body does not parse", "bad JSON");
	expect_error(call("POST", "/__cannery/stubs", "a: [b\n"), 400, "the body does not parse", "bad YAML");
	cr_expect_eq(cannery_server_stub_count(srv), 0);
}

Test(admin, stubs_add_invalid_is_422_all_or_nothing)
{
	int st = call("POST", "/__cannery/stubs",
		      "- name: fine\n  request: { path: /fine }\n"
		      "- name: broken\n  request: { path: /b }\n  response: { stauts: 200 }\n");
	cr_expect_eq(st, 422, "%s", BODY);
	cJSON *o = cJSON_Parse(BODY);
	const cJSON *errors = cJSON_GetObjectItemCaseSensitive(o, "errors");
	cr_assert(cJSON_IsArray(errors), "%s", BODY);
	cr_assert_geq(cJSON_GetArraySize(errors), 1);
	const char *first = cJSON_GetArrayItem(errors, 0)->valuestring;
	cr_expect(strstr(first, "body:5:") && strstr(first, "unknown key 'stauts'"), "%s", first);
	cJSON_Delete(o);
	cr_expect_eq(cannery_server_stub_count(srv), 0, "the valid one is not added either");
	/* an id in use is refused the same way */
	add_stubs(srv, "name: taken\nrequest: { path: /t }\n");
	st = call("POST", "/__cannery/stubs", "name: taken\nrequest: { path: /u }\n");
	cr_expect_eq(st, 422, "%s", BODY);
	cr_expect(strstr(BODY, "taken"), "%s", BODY);
	cr_expect_eq(cannery_server_stub_count(srv), 1);
}

Test(admin, stubs_delete)
{
	add_stubs(srv, two_stubs);
	expect_no_content(call("DELETE", "/__cannery/stubs/get-user", NULL), "DELETE get-user");
	cr_expect_eq(cannery_server_stub_count(srv), 1);
	expect_error(call("DELETE", "/__cannery/stubs/get-user", NULL), 404, "no stub with id 'get-user'", "again");
	expect_no_content(call("DELETE", "/__cannery/stubs/runtime-1", NULL), "DELETE runtime-1");
	cr_expect_eq(cannery_server_stub_count(srv), 0);
}

Test(admin, stub_ids_holding_a_slash)
{
	add_stubs(srv, "name: users/get\nrequest: { path: /users }\n");
	/* while the stub exists, /stubs/users/get names it: other methods are 405 */
	expect_error(call("GET", "/__cannery/stubs/users/get", NULL), 405, "use DELETE", "GET while it exists");
	expect_error(call("POST", "/__cannery/stubs/users/get", NULL), 405, "use DELETE", "POST while it exists");
	expect_no_content(call("DELETE", "/__cannery/stubs/users/get", NULL), "DELETE users/get");
	cr_expect_eq(cannery_server_stub_count(srv), 0);
	/* gone: deleting again says there is no such stub; anything else is no endpoint */
	expect_error(call("DELETE", "/__cannery/stubs/users/get", NULL), 404, "no stub with id 'users/get'",
		     "DELETE again");
	expect_error(call("GET", "/__cannery/stubs/users/get", NULL), 404, "unknown admin endpoint", "GET once gone");
	/* an id without '/' is always an endpoint */
	expect_error(call("GET", "/__cannery/stubs/nothing", NULL), 405, "use DELETE", "GET an unknown plain id");
}

Test(admin, file_stubs_cannot_be_deleted)
{
	const char *dir = tmpdir_create("admin-files");
	char path[512];
	snprintf(path, sizeof(path), "%s/sub/a.yaml", dir);
	put(path, "- request: { path: /a }\n  response: { body: a }\n");
	struct cannery_server *files = server_new(dir);
	const struct admin_ctx *fax = server_admin(files);
	struct admin_request req = request("DELETE", "/__cannery/stubs/sub/a.yaml#0", NULL);
	expect_error(handle_on(fax, &req), 409, "stub 'sub/a.yaml#0' comes from a stub file", "DELETE a file stub");
	req.method = "GET";
	expect_error(handle_on(fax, &req), 405, "use DELETE", "GET a file stub whose id holds '/'");
	cr_expect_eq(cannery_server_stub_count(files), 1);
	cannery_server_destroy(files);
}

/* ---- reload ---- */

Test(admin, reload)
{
	const char *dir = tmpdir_enter("admin-reload");
	(void)dir;
	put("a.yaml", "request: { path: /a }\n");
	struct cannery_server *files = server_new(".");
	struct admin_ctx ctx = *server_admin(files);
	char *log = tmpfile_create("admin-reload-log");
	ctx.log_fd = open(log, O_WRONLY | O_APPEND);
	ctx.quiet = false;
	cr_assert(ctx.log_fd >= 0);
	struct admin_request req = request("POST", "/__cannery/reload", NULL);

	put("b.yaml", "- request: { path: /b }\n- request: { path: /c }\n");
	expect_json(handle_on(&ctx, &req), 200, "{\"stubs\":3}", "a good reload");
	cr_expect_eq(cannery_server_stub_count(files), 3);

	put("b.yaml", "- request: { path: /b }\n  response: { stauts: 1 }\n");
	cr_expect_eq(handle_on(&ctx, &req), 422, "%s", BODY);
	cr_expect_str_eq(ctype, "application/json");
	cJSON *o = cJSON_Parse(BODY);
	const cJSON *errors = cJSON_GetObjectItemCaseSensitive(o, "errors");
	cr_assert_eq(cJSON_GetArraySize(errors), 1, "one error, one line: %s", BODY);
	cr_expect(strstr(cJSON_GetArrayItem(errors, 0)->valuestring, "b.yaml:2:"), "%s", BODY);
	cJSON_Delete(o);
	cr_expect_eq(cannery_server_stub_count(files), 3, "the old set stays");
	char *logged = slurp(log);
	cr_expect(strstr(logged, "b.yaml:2:"), "a failed reload is logged: %s", logged);
	free(logged);

	req.method = "PUT";
	expect_error(handle_on(&ctx, &req), 405, "use GET or POST for /__cannery/reload", "PUT reload");
	close(ctx.log_fd);
	unlink(log);
	free(log);
	cannery_server_destroy(files);
}

/* ---- the journal ---- */

static void traffic(void)
{
	journal_add(ax->journal, "GET", "/users/1", "get-user", 200);
	journal_add(ax->journal, "POST", "/users", "runtime-1", 201);
	journal_add(ax->journal, "GET", "/nothing", NULL, 404);
	journal_add(ax->journal, "get", "/users/1", "get-user", 200);
}

/* The seqs of the listed requests, "1,2,..", and the total. */
static void expect_listed(const char *seqs, size_t total, const char *what)
{
	cJSON *o = cJSON_Parse(BODY);
	cr_assert(cJSON_IsObject(o), "%s: %s", what, BODY);
	struct strbuf got = STRBUF_INIT;
	const cJSON *e;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(o, "requests"))
	{
		strbuf_addf(&got, "%s%d", got.len ? "," : "", cJSON_GetObjectItemCaseSensitive(e, "seq")->valueint);
	}
	cr_expect_str_eq(strbuf_str(&got), seqs, "%s: %s", what, BODY);
	cr_expect_eq(cJSON_GetObjectItemCaseSensitive(o, "total")->valueint, (int)total, "%s: %s", what, BODY);
	strbuf_release(&got);
	cJSON_Delete(o);
}

Test(admin, requests_list_and_filters)
{
	expect_json(get_requests(NULL), 200, "{\"requests\":[],\"total\":0,\"evicted\":0}", "empty");
	traffic();
	cr_assert_eq(get_requests(NULL), 200);
	expect_listed("1,2,3,4", 4, "all");
	get_requests("method", "GET", NULL);
	expect_listed("1,3,4", 3, "method is case-insensitive");
	get_requests("path", "/users/1", NULL);
	expect_listed("1,4", 2, "path");
	get_requests("stub", "runtime-1", NULL);
	expect_listed("2", 1, "stub");
	get_requests("matched", "false", NULL);
	expect_listed("3", 1, "matched=false");
	get_requests("matched", "true", "method", "GET", NULL);
	expect_listed("1,4", 2, "two filters");
	get_requests("since", "2", NULL);
	expect_listed("3,4", 2, "since");
	get_requests("limit", "1", "since", "1", NULL);
	expect_listed("2", 3, "limit: total counts past it");
	get_requests("limit", "0", NULL);
	expect_listed("", 4, "limit 0");
}

Test(admin, requests_bad_filters_are_400)
{
	expect_error(get_requests("matched", "yes", NULL), 400, "invalid value 'yes' for 'matched'", "matched");
	expect_error(get_requests("since", "-1", NULL), 400, "invalid value '-1' for 'since'", "since");
	expect_error(get_requests("since", "", NULL), 400, "for 'since'", "empty since");
	expect_error(get_requests("limit", "ten", NULL), 400, "invalid value 'ten' for 'limit'", "limit");
	expect_error(get_requests("limit", "99999999999999999999999", NULL), 400, "for 'limit'", "limit overflow");
	expect_error(get_requests("methd", "GET", NULL), 400, "unknown filter 'methd' (did you mean 'method'?)",
		     "a typo");
	expect_error(get_requests("zzzzzz", "1", NULL), 400, "use method, path, stub, matched, since or limit",
		     "no suggestion");
}

Test(admin, requests_delete_clears_the_journal)
{
	traffic();
	expect_no_content(call("DELETE", "/__cannery/requests", NULL), "DELETE requests");
	cr_expect_eq(journal_size(), 0);
	cr_expect_eq(journal_add(ax->journal, "GET", "/after", NULL, 404), 5, "seqs keep growing");
	get_requests(NULL);
	expect_listed("5", 1, "after the clear");
}

Test(admin, requests_count)
{
	traffic();
	expect_json(call("POST", "/__cannery/requests/count", "{\"request\":{\"method\":\"GET\",\"path\":\"/users/1\"}}"),
		    200, "{\"count\":2}", "GET /users/1");
	expect_json(call("POST", "/__cannery/requests/count", "{\"request\":{\"path\":\"/none\"}}"), 200,
		    "{\"count\":0}", "no match");
	expect_json(call("POST", "/__cannery/requests/count", "{\"request\":{}}"), 200, "{\"count\":4}",
		    "an empty matcher: every request");
	expect_json(call("POST", "/__cannery/requests/count", "{\"request\":null}"), 200, "{\"count\":4}",
		    "a null matcher: every request");
}

/* Every body that is not a JSON object with only the allowed keys and a valid matcher. */
static const char *const malformed[][2] = {
	{ NULL, "the body must be a JSON object" },
	{ "", "the body must be a JSON object" },
	{ "[1]", "the body must be a JSON object" },
	{ "\"request\"", "the body must be a JSON object" },
	{ "{\"request\":", "the body must be a JSON object" },
	{ "{}", "invalid request matcher: body:1:1: error: missing 'request'" },
	{ "{} trailing", "the body must be a JSON object" },
	{ "{\"request\":{\"path\":\"/a\\u0000b\"}}", "a NUL character (\\u0000) in a string" },
	{ "{\"reqest\":{}}", "unknown key 'reqest' (did you mean 'request'?)" },
	{ "{\"zzzzzzzz\":1}", "unknown key 'zzzzzzzz'" },
	{ "{\"request\":{\"methd\":\"GET\"}}", "invalid request matcher: " },
	{ "{\"request\":{\"path\":\"/a\",\"headers\":[1]}}", "invalid request matcher: " },
};

static void expect_malformed_400(const char *path)
{
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		char what[256];
		snprintf(what, sizeof(what), "POST %s %s", path, malformed[i][0] ? malformed[i][0] : "(no body)");
		expect_error(call("POST", path, malformed[i][0]), 400, malformed[i][1], what);
	}
}

Test(admin, requests_count_malformed_bodies_are_400)
{
	expect_malformed_400("/__cannery/requests/count");
}

Test(admin, verify_malformed_bodies_are_400)
{
	expect_malformed_400("/__cannery/verify");
}

Test(admin, wait_malformed_bodies_are_400)
{
	expect_malformed_400("/__cannery/requests/wait");
}

Test(admin, verify)
{
	traffic();
	expect_json(call("POST", "/__cannery/verify", "{\"request\":{\"path\":\"/users/1\"}}"), 200,
		    "{\"ok\":true,\"count\":2}", "at least 1 by default");
	expect_json(call("POST", "/__cannery/verify", "{\"request\":{\"path\":\"/users/1\"},\"count\":2}"), 200,
		    "{\"ok\":true,\"count\":2}", "exactly");
	expect_json(call("POST", "/__cannery/verify", "{\"request\":{\"path\":\"/users/1\"},\"at_most\":1}"), 409,
		    "{\"ok\":false,\"count\":2,\"expected\":{\"at_most\":1},\"near_misses\":[]}",
		    "too many: no near misses");
	expect_json(call("POST", "/__cannery/verify", "{\"request\":{\"path\":\"/users/1\"},\"at_least\":3,\"at_most\":5}"),
		    409,
		    "{\"ok\":false,\"count\":2,\"expected\":{\"at_least\":3,\"at_most\":5},\"near_misses\":["
		    "{\"seq\":3,\"method\":\"GET\",\"path\":\"/nothing\","
		    "\"mismatches\":[\"path: expected \\\"/users/1\\\", got \\\"/nothing\\\"\"]},"
		    "{\"seq\":2,\"method\":\"POST\",\"path\":\"/users\","
		    "\"mismatches\":[\"path: expected \\\"/users/1\\\", got \\\"/users\\\"\"]}]}",
		    "too few: the near misses, the newest first among equals");
	expect_json(call("POST", "/__cannery/verify", "{\"request\":{\"path\":\"/users/1\"},\"at_least\":0,\"at_most\":9}"),
		    200, "{\"ok\":true,\"count\":2}", "a range");
}

Test(admin, verify_explains_near_misses)
{
	traffic();
	int st = call("POST", "/__cannery/verify", "{\"request\":{\"method\":\"DELETE\",\"path\":\"/users\"},\"count\":1}");
	cr_expect_eq(st, 409, "%s", BODY);
	cJSON *o = cJSON_Parse(BODY);
	cr_expect(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(o, "ok")), "%s", BODY);
	const cJSON *nm = cJSON_GetObjectItemCaseSensitive(o, "near_misses");
	cr_assert_geq(cJSON_GetArraySize(nm), 1, "%s", BODY);
	const cJSON *first = cJSON_GetArrayItem(nm, 0);
	cr_expect_eq(cJSON_GetObjectItemCaseSensitive(first, "seq")->valueint, 2, "POST /users is closest: %s", BODY);
	cr_expect_str_eq(cJSON_GetObjectItemCaseSensitive(first, "path")->valuestring, "/users");
	cr_expect(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(first, "mismatches")) >= 1, "%s", BODY);
	cJSON_Delete(o);
}

Test(admin, verify_bad_counts_are_400)
{
	static const char *const cases[][2] = {
		{ "{\"count\":1,\"at_least\":1}", "not both" },
		{ "{\"count\":1,\"at_most\":1}", "not both" },
		{ "{\"count\":-1}", "'count' must be a whole number" },
		{ "{\"count\":1.5}", "'count' must be a whole number" },
		{ "{\"count\":\"1\"}", "'count' must be a whole number" },
		{ "{\"at_least\":null}", "'at_least' must be a whole number" },
		{ "{\"at_most\":1e300}", "'at_most' must be a whole number" },
		{ "{\"at_least\":3,\"at_most\":2}", "'at_least' is larger than 'at_most'" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(call("POST", "/__cannery/verify", cases[i][0]), 400, cases[i][1], cases[i][0]);
}

/* ---- waits ---- */

/* A deferred answer, as the pipeline would take it. */
struct deferred {
	pthread_mutex_t lock;
	int suspended, answered;
	int status;
	char *json;
};

static void on_suspend(void *arg)
{
	struct deferred *d = arg;
	pthread_mutex_lock(&d->lock);
	d->suspended++;
	pthread_mutex_unlock(&d->lock);
}

static void on_answer(void *arg, int status, char *json)
{
	struct deferred *d = arg;
	pthread_mutex_lock(&d->lock);
	d->answered++;
	d->status = status;
	free(d->json);
	d->json = json;
	pthread_mutex_unlock(&d->lock);
}

static int wait_call(struct deferred *d, const char *body)
{
	struct admin_request req = request("POST", "/__cannery/requests/wait", body);
	req.suspend = on_suspend;
	req.answer = on_answer;
	req.arg = d;
	return handle_on(ax, &req);
}

Test(admin, wait_already_satisfied)
{
	struct deferred d = { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, NULL };
	traffic();
	expect_json(wait_call(&d, "{\"request\":{\"path\":\"/users/1\"},\"count\":2}"), 200, "{\"count\":2}",
		    "two are there");
	expect_json(wait_call(&d, "{\"request\":{\"path\":\"/none\"},\"count\":0}"), 200, "{\"count\":0}", "count 0");
	cr_expect_eq(d.suspended + d.answered, 0, "no callback for an answer at once");
}

Test(admin, wait_deferred_until_a_request_arrives)
{
	struct deferred d = { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, NULL };
	journal_add(ax->journal, "GET", "/later", NULL, 404);
	cr_assert_eq(wait_call(&d, "{\"request\":{\"path\":\"/later\"},\"count\":2,\"timeout_ms\":60000}"), ADMIN_DEFERRED,
		     "%s", BODY);
	cr_expect_eq(out.len, 0, "no body for a deferred answer");
	cr_expect_eq(d.suspended, 1);
	cr_expect_eq(d.answered, 0);
	journal_add(ax->journal, "GET", "/other", NULL, 404);
	cr_expect_eq(d.answered, 0);
	/* the matching append answers, on this thread */
	journal_add(ax->journal, "GET", "/later", NULL, 404);
	cr_assert_eq(d.answered, 1);
	cr_expect_eq(d.status, 200);
	cr_expect_str_eq(d.json, "{\"count\":2}");
	free(d.json);
}

Test(admin, wait_answered_503_when_the_server_stops)
{
	struct deferred d = { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, NULL };
	cr_assert_eq(wait_call(&d, "{\"request\":{\"path\":\"/never\"}}"), ADMIN_DEFERRED, "%s", BODY);
	cannery_server_stop(srv);
	cr_assert_eq(d.answered, 1, "stop answers pending waits");
	cr_expect_eq(d.status, 503);
	cr_expect_str_eq(d.json, "{\"error\":\"the server is stopping\",\"count\":0}");
	free(d.json);
	/* after the stop a wait is answered at once */
	expect_json(wait_call(&d, "{\"request\":{\"path\":\"/never\"}}"), 503,
		    "{\"error\":\"the server is stopping\",\"count\":0}", "a wait after stop");
	cr_expect_eq(d.suspended, 1);
}

Test(admin, wait_without_a_way_to_answer_is_500)
{
	expect_error(call("POST", "/__cannery/requests/wait", "{\"request\":{\"path\":\"/x\"}}"), 500,
		     "waiting is not available here", "no answer callback");
}

Test(admin, wait_bad_numbers_are_400)
{
	struct deferred d = { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, NULL };
	expect_error(wait_call(&d, "{\"count\":-1}"), 400, "'count' must be a whole number", "negative count");
	expect_error(wait_call(&d, "{\"timeout_ms\":60001}"), 400, "'timeout_ms' must be a whole number from 0 to 60000",
		     "too long");
	expect_error(wait_call(&d, "{\"timeout_ms\":0.5}"), 400, "'timeout_ms'", "a fraction");
	cr_expect_eq(d.suspended + d.answered, 0);
}

/* ---- reset and metrics ---- */

Test(admin, reset_clears_journal_and_state_and_keeps_stubs)
{
	add_stubs(srv, two_stubs);
	traffic();
	stub_hit(srv, "get-user");
	cr_assert_eq(state_hits(ax->state, "get-user"), 1);
	expect_no_content(call("POST", "/__cannery/reset", NULL), "reset");
	cr_expect_eq(journal_size(), 0);
	cr_expect_eq(state_hits(ax->state, "get-user"), 0);
	cr_expect_eq(cannery_server_stub_count(srv), 2);
	expect_error(call("GET", "/__cannery/reset", NULL), 405, "use POST for /__cannery/reset", "GET reset");
}

Test(admin, metrics)
{
	add_stubs(srv, two_stubs);
	traffic();
	cr_assert_eq(call("GET", "/__cannery/metrics", NULL), 200);
	cr_expect_str_eq(ctype, "text/plain; version=0.0.4; charset=utf-8");
	cr_expect(strstr(BODY, "cannery_journal_entries 4\n"), "%s", BODY);
	cr_expect(strstr(BODY, "cannery_stubs 2\n"), "%s", BODY);
	cr_expect(strstr(BODY, "cannery_reloads_total 0\n"), "%s", BODY);
	expect_error(call("POST", "/__cannery/metrics", NULL), 405, "use GET for /__cannery/metrics", "POST metrics");
}

/* ---- routing ---- */

Test(admin, wrong_methods_are_405)
{
	static const char *const cases[][3] = {
		{ "POST", "/__cannery/health", "use GET for /__cannery/health" },
		{ "DELETE", "/__cannery/stubs", "use GET or POST for /__cannery/stubs" },
		{ "PUT", "/__cannery/stubs", "use GET or POST for /__cannery/stubs" },
		{ "PUT", "/__cannery/stubs/x", "use DELETE for /__cannery/stubs/ID" },
		{ "PUT", "/__cannery/reload", "use GET or POST for /__cannery/reload" },
		{ "POST", "/__cannery/requests/1", "use GET for /__cannery/requests/SEQ" },
		{ "POST", "/__cannery/requests", "use GET or DELETE for /__cannery/requests" },
		{ "GET", "/__cannery/requests/count", "use POST for /__cannery/requests/count" },
		{ "DELETE", "/__cannery/requests/wait", "use POST for /__cannery/requests/wait" },
		{ "GET", "/__cannery/verify", "use POST for /__cannery/verify" },
		{ "DELETE", "/__cannery/reset", "use POST for /__cannery/reset" },
		{ "PATCH", "/__cannery/metrics", "use GET for /__cannery/metrics" },
		{ "get", "/__cannery/health", "use GET for /__cannery/health" },
	};
	traffic();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char what[128];
		snprintf(what, sizeof(what), "%s %s", cases[i][0], cases[i][1]);
		expect_error(call(cases[i][0], cases[i][1], NULL), 405, cases[i][2], what);
	}
	cr_expect_eq(journal_size(), 4, "a refused call changes nothing");
}

Test(admin, unknown_paths_are_404)
{
	static const char *const cases[][2] = {
		{ "GET", "/__cannery" },          { "GET", "/__cannery/" },
		{ "GET", "/__cannery/nope" },     { "GET", "/__cannery/health/" },
		{ "GET", "/__cannery/health/x" }, { "POST", "/__cannery/stubs/" },
		{ "DELETE", "/__cannery/stubs/" }, { "GET", "/__cannery/stubs/a/b" },
		{ "POST", "/__cannery/requests/count/x" }, { "GET", "/__cannery/HEALTH" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char want[128];
		snprintf(want, sizeof(want), "unknown admin endpoint: %s %s", cases[i][0], cases[i][1]);
		expect_error(call(cases[i][0], cases[i][1], NULL), 404, want, cases[i][1]);
	}
}

/* ---- security (SPEC section 6) ---- */

static int from_origin(const char *origin, const char *method, const char *path)
{
	struct admin_request req = request(method, path, NULL);
	req.origin = origin;
	return handle_on(ax, &req);
}

Test(admin, loopback_origins_are_accepted)
{
	static const char *const ok[] = {
		"http://localhost",       "http://localhost:3000", "https://LOCALHOST",  "http://127.0.0.1",
		"http://127.1.2.3:8080",  "http://[::1]",          "http://[::1]:5173",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		cr_expect_eq(from_origin(ok[i], "GET", "/__cannery/health"), 200, "%s: %s", ok[i], BODY);
}

Test(admin, foreign_origins_are_403_and_change_nothing)
{
	static const char *const bad[] = {
		"null",
		"http://evil.example",
		"http://localhost.evil.example",
		"http://127.0.0.1.nip.io",
		"http://127.0.0.1/",
		"http://localhost:",
		"http://localhost:80x",
		"ftp://localhost",
		"http://127.0.0.1234",
		"http://127.0..1",
		"http://1270.0.0.1",
		"http://[::2]",
		"http://[::1",
		"localhost",
	};
	add_stubs(srv, two_stubs);
	traffic();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[128];
		snprintf(want, sizeof(want), "origin '%s' may not use the admin API", bad[i]);
		expect_error(from_origin(bad[i], "DELETE", "/__cannery/requests"), 403, want, bad[i]);
	}
	expect_error(from_origin("http://evil.example", "DELETE", "/__cannery/stubs/get-user"), 403, NULL, "delete");
	expect_error(from_origin("http://evil.example", "POST", "/__cannery/reset"), 403, NULL, "reset");
	cr_expect_eq(journal_size(), 4);
	cr_expect_eq(cannery_server_stub_count(srv), 2);
}

static int with_token(const char *authorization)
{
	struct admin_ctx ctx = *ax;
	ctx.token = "s3cret";
	struct admin_request req = request("GET", "/__cannery/health", NULL);
	req.authorization = authorization;
	return handle_on(&ctx, &req);
}

Test(admin, admin_token)
{
	expect_error(with_token(NULL), 401, "missing admin token", "no Authorization");
	expect_error(with_token("Bearer wrong"), 401, "wrong admin token", "wrong token");
	expect_error(with_token("Bearer s3cre"), 401, "wrong admin token", "a prefix of it");
	expect_error(with_token("Bearer s3cret2"), 401, "wrong admin token", "longer");
	expect_error(with_token("Basic s3cret"), 401, "wrong admin token", "another scheme");
	expect_error(with_token("s3cret"), 401, "wrong admin token", "no scheme");
	cr_expect_eq(with_token("Bearer s3cret"), 200, "%s", BODY);
	cr_expect_eq(with_token("bearer s3cret"), 200, "the scheme is case-insensitive: %s", BODY);
	/* without a token configured, any Authorization is fine */
	struct admin_request req = request("GET", "/__cannery/health", NULL);
	req.authorization = "Bearer whatever";
	cr_expect_eq(handle_on(ax, &req), 200);
}

/* ---- the calls the embedding API uses ---- */

Test(admin, requests_json_with_a_filter)
{
	traffic();
	struct requests_filter f = { "GET", NULL, "get-user", 1, 1, 5 };
	struct strbuf sb = STRBUF_INIT;
	admin_requests_json(ax, &f, &sb);
	cJSON *o = cJSON_Parse(strbuf_str(&sb));
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(o, "requests");
	cr_assert_eq(cJSON_GetArraySize(list), 1, "%s", strbuf_str(&sb));
	cr_expect_eq(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(list, 0), "seq")->valueint, 4);
	cJSON_Delete(o);
	strbuf_release(&sb);
	admin_requests_json(ax, NULL, &sb);
	cr_expect(strstr(strbuf_str(&sb), "\"total\":4,\"evicted\":0}"), "%s", strbuf_str(&sb));
	strbuf_release(&sb);
}

Test(admin, reset_directly)
{
	traffic();
	admin_reset(ax);
	cr_expect_eq(journal_size(), 0);
	cr_expect_eq(journal_add(ax->journal, "GET", "/next", NULL, 404), 5);
}
