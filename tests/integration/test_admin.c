/* SPDX-License-Identifier: MIT */
/* The admin API end to end (SPEC sections 5 and 6): runtime stubs, reload, the journal
 * endpoints (requests, count, verify, wait), reset, metrics, and the admin security rules
 * (Origin, --admin-token, no CORS). Every endpoint and its error paths. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness.h"

TestSuite(admin, .init = h_setup, .fini = h_teardown, .timeout = 90);

static const char files_yaml[] =
	"- name: file-hello\n"
	"  request: { method: GET, path: /hello }\n"
	"  response: { body: from-file }\n"
	"- name: shared\n"
	"  request: { path: /shared }\n"
	"  response: { body: file }\n";

static struct h_server *serve_files(const char *dir, const char *extra1, const char *extra2)
{
	if (extra2)
		return h_serve(dir, "--no-watch", extra1, extra2, NULL);
	if (extra1)
		return h_serve(dir, "--no-watch", extra1, NULL);
	return h_serve(dir, "--no-watch", NULL);
}

static struct h_server *server(void)
{
	return serve_files(h_stub_dir("files.yaml", files_yaml, NULL), NULL, NULL);
}

static struct h_response *post(const struct h_server *s, const char *path, const char *body)
{
	return h_request(s, "POST", path, body, HDRS("Content-Type: application/json"));
}

static struct h_response *del(const struct h_server *s, const char *path)
{
	return h_request(s, "DELETE", path, NULL, NULL);
}

/* The parsed body (the caller deletes it); fails the test when it is not JSON. */
static cJSON *json(const struct h_response *r)
{
	cJSON *o = cJSON_Parse(r->body);
	cr_assert(o, "not JSON (status %ld): %s", r->status, r->body);
	return o;
}

/* One number of a JSON body. */
static double body_num(const struct h_response *r, const char *key);

static double num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	cr_assert(cJSON_IsNumber(v), "no number '%s' in %s", key, cJSON_PrintUnformatted(o));
	return v->valuedouble;
}

static double body_num(const struct h_response *r, const char *key)
{
	cJSON *o = json(r);
	double v = num(o, key);
	cJSON_Delete(o);
	return v;
}

static void expect_error(const struct h_response *r, long status, const char *what, const char *needle)
{
	cr_expect_eq(r->status, status, "%s: got %ld %s", what, r->status, r->body);
	cJSON *o = cJSON_Parse(r->body);
	cr_expect(o && cJSON_IsString(cJSON_GetObjectItem(o, "error")), "%s: no JSON error: %s", what, r->body);
	if (needle)
		cr_expect(h_contains(r->body, needle), "%s: '%s' not in %s", what, needle, r->body);
	cJSON_Delete(o);
}

static int journal_total(const struct h_server *s)
{
	struct h_response *r = h_get(s, "/__cannery/requests");
	cr_assert_eq(r->status, 200, "%s", r->body);
	return (int)body_num(r, "total");
}

/* ---- health and stubs ---- */

Test(admin, health_counts_runtime_stubs)
{
	struct h_server *s = server();
	h_assert_get(s, "/__cannery/health", 200, "{\"status\":\"ok\",\"stubs\":2,\"version\":\"0.1.0\"}");
	h_assert_response(post(s, "/__cannery/stubs", "{\"request\":{\"path\":\"/x\"}}"), "POST stub", 201, NULL);
	h_assert_get(s, "/__cannery/health", 200, "{\"status\":\"ok\",\"stubs\":3,\"version\":\"0.1.0\"}");
	h_server_stop_ok(s);
}

Test(admin, post_one_json_stub)
{
	struct h_server *s = server();
	struct h_response *r = post(s, "/__cannery/stubs",
				    "{\"name\":\"rt\",\"request\":{\"method\":\"GET\",\"path\":\"/rt/{id}\"},"
				    "\"response\":{\"status\":202,\"json\":{\"ok\":true}}}");
	h_assert_response(r, "POST /__cannery/stubs", 201, "{\"ids\":[\"rt\"]}");
	h_assert_get(s, "/rt/7", 202, "{\"ok\":true}");
	r = h_get(s, "/__cannery/stubs");
	cr_expect(h_contains(r->body, "{\"id\":\"rt\",\"name\":\"rt\",\"file\":null,\"line\":1,\"methods\":[\"GET\"],"
				      "\"path\":\"/rt/{id}\",\"hits\":1}"),
		  "runtime stubs are listed with file null: %s", r->body);
	cr_expect(strstr(r->body, "\"rt\"") < strstr(r->body, "file-hello"), "runtime stubs come first: %s", r->body);
	h_server_stop_ok(s);
}

Test(admin, post_yaml_list)
{
	struct h_server *s = server();
	struct h_response *r = post(s, "/__cannery/stubs",
				    "- request: { path: /one }\n"
				    "  response: { body: one }\n"
				    "- request: { path: /two }\n"
				    "  response: { body: two }\n");
	h_assert_response(r, "POST a YAML list", 201, "{\"ids\":[\"runtime-1\",\"runtime-2\"]}");
	h_assert_get(s, "/one", 200, "one");
	h_assert_get(s, "/two", 200, "two");
	r = post(s, "/__cannery/stubs", "request: { path: /three }\nresponse: { body: three }\n");
	h_assert_response(r, "POST one YAML stub", 201, "{\"ids\":[\"runtime-3\"]}");
	r = h_get(s, "/__cannery/stubs");
	cr_expect(h_contains(r->body, "\"id\":\"runtime-2\",\"name\":null,\"file\":null,\"line\":3"), "%s", r->body);
	h_server_stop_ok(s);
}

Test(admin, post_unparsable_is_400)
{
	struct h_server *s = server();
	expect_error(post(s, "/__cannery/stubs", "{\"request\": {"), 400, "truncated JSON", "does not parse");
	expect_error(post(s, "/__cannery/stubs", "a: [b\n"), 400, "bad YAML", "yaml syntax");
	expect_error(post(s, "/__cannery/stubs", ""), 400, "empty body", NULL);
	expect_error(post(s, "/__cannery/stubs", "[]"), 400, "no stubs", NULL);
	h_assert_get(s, "/__cannery/health", 200, "{\"status\":\"ok\",\"stubs\":2,\"version\":\"0.1.0\"}");
	h_server_stop_ok(s);
}

Test(admin, post_is_all_or_nothing)
{
	struct h_server *s = server();
	struct h_response *r = post(s, "/__cannery/stubs",
				    "- request: { path: /good }\n"
				    "  response: { body: good }\n"
				    "- request: { path: /bad, methd: GET }\n"
				    "  response: { body: bad }\n");
	cr_expect_eq(r->status, 422, "%s", r->body);
	cr_expect(strncmp(r->body, "{\"errors\":[\"body:3:", 19) == 0, "located errors: %s", r->body);
	cr_expect(h_contains(r->body, "did you mean 'method'"), "%s", r->body);
	h_assert_get(s, "/good", 404, NULL);
	h_assert_get(s, "/__cannery/health", 200, "{\"status\":\"ok\",\"stubs\":2,\"version\":\"0.1.0\"}");

	r = post(s, "/__cannery/stubs", "{\"request\":{\"path\":\"/__cannery/x\"}}");
	cr_expect_eq(r->status, 422, "admin paths are reserved: %s", r->body);
	r = post(s, "/__cannery/stubs", "{\"request\":{\"path\":\"/f\"},\"response\":{\"file\":\"x.txt\"}}");
	cr_expect_eq(r->status, 422, "runtime stubs have no file: bodies: %s", r->body);
	h_server_stop_ok(s);
}

Test(admin, post_duplicate_ids_are_422)
{
	struct h_server *s = server();
	struct h_response *r = post(s, "/__cannery/stubs", "{\"name\":\"file-hello\",\"request\":{\"path\":\"/x\"}}");
	cr_expect_eq(r->status, 422, "%s", r->body);
	cr_expect(h_contains(r->body, "duplicate stub id 'file-hello'") && h_contains(r->body, "files.yaml:1:"),
		  "%s", r->body);
	h_assert_response(post(s, "/__cannery/stubs", "{\"name\":\"mine\",\"request\":{\"path\":\"/x\"}}"), "first",
			  201, NULL);
	r = post(s, "/__cannery/stubs", "{\"name\":\"mine\",\"request\":{\"path\":\"/y\"}}");
	cr_expect_eq(r->status, 422, "%s", r->body);
	cr_expect(h_contains(r->body, "already a runtime stub"), "%s", r->body);
	h_server_stop_ok(s);
}

Test(admin, runtime_stubs_win_newest_first)
{
	struct h_server *s = server();
	h_assert_get(s, "/shared", 200, "file");
	h_assert_response(post(s, "/__cannery/stubs", "{\"name\":\"rt1\",\"request\":{\"path\":\"/shared\"},"
						      "\"response\":{\"body\":\"rt1\"}}"),
			  "rt1", 201, NULL);
	h_assert_get(s, "/shared", 200, "rt1");
	h_assert_response(post(s, "/__cannery/stubs", "{\"name\":\"rt2\",\"request\":{\"path\":\"/shared\"},"
						      "\"response\":{\"body\":\"rt2\"}}"),
			  "rt2", 201, NULL);
	h_assert_get(s, "/shared", 200, "rt2");
	/* priority still comes first */
	h_assert_response(post(s, "/__cannery/stubs", "{\"name\":\"low\",\"priority\":500,"
						      "\"request\":{\"path\":\"/shared\"},\"response\":{\"body\":\"low\"}}"),
			  "low", 201, NULL);
	h_assert_get(s, "/shared", 200, "rt2");
	h_assert_response(del(s, "/__cannery/stubs/rt2"), "DELETE rt2", 204, "");
	h_assert_get(s, "/shared", 200, "rt1");
	h_assert_response(del(s, "/__cannery/stubs/rt1"), "DELETE rt1", 204, "");
	h_assert_get(s, "/shared", 200, "file");
	h_server_stop_ok(s);
}

Test(admin, delete_stub)
{
	struct h_server *s = server();
	h_assert_response(post(s, "/__cannery/stubs", "request: { path: /gone }\n"), "POST", 201,
			  "{\"ids\":[\"runtime-1\"]}");
	h_assert_get(s, "/gone", 200, "");
	h_assert_response(del(s, "/__cannery/stubs/runtime-1"), "DELETE", 204, "");
	h_assert_get(s, "/gone", 404, NULL);
	expect_error(del(s, "/__cannery/stubs/runtime-1"), 404, "DELETE twice", "runtime-1");
	expect_error(del(s, "/__cannery/stubs/file-hello"), 409, "DELETE a file stub", "file");
	expect_error(del(s, "/__cannery/stubs/nope"), 404, "DELETE unknown", NULL);
	h_assert_get(s, "/hello", 200, "from-file");
	h_server_stop_ok(s);
}

Test(admin, runtime_stubs_survive_reloads)
{
	const char *dir = h_stub_dir("files.yaml", files_yaml, NULL);
	struct h_server *s = serve_files(dir, NULL, NULL);
	h_assert_response(post(s, "/__cannery/stubs", "{\"name\":\"rt\",\"request\":{\"path\":\"/rt\"},"
						      "\"response\":{\"body\":\"runtime\"}}"),
			  "POST", 201, NULL);
	h_write_file(dir, "more.yaml", "name: more\nrequest: { path: /more }\nresponse: { body: more }\n");
	h_assert_response(post(s, "/__cannery/reload", ""), "reload", 200, "{\"stubs\":4}");
	h_assert_get(s, "/rt", 200, "runtime");
	h_assert_get(s, "/more", 200, "more");
	h_server_signal(s, SIGHUP);
	cr_assert(h_server_wait_log(s, "reloaded", NULL), "%s", h_server_stderr(s));
	h_assert_get(s, "/rt", 200, "runtime");

	/* a file stub that takes a runtime stub's id: the reload fails, the old set stays */
	h_write_file(dir, "clash.yaml", "name: rt\nrequest: { path: /clash }\n");
	struct h_response *r = post(s, "/__cannery/reload", "");
	cr_expect_eq(r->status, 422, "%s", r->body);
	cr_expect(h_contains(r->body, "clash.yaml:1:") && h_contains(r->body, "duplicate stub id 'rt'"), "%s", r->body);
	h_assert_get(s, "/rt", 200, "runtime");
	h_assert_get(s, "/clash", 404, NULL);
	h_server_stop_ok(s);
}

/* ---- requests ---- */

static void traffic(const struct h_server *s)
{
	h_assert_get(s, "/hello", 200, "from-file");                                /* seq 1 */
	h_assert_response(h_request(s, "POST", "/hello", "x", NULL), "POST", 404, NULL); /* seq 2 */
	h_assert_get(s, "/nothing?x=1", 404, NULL);                                 /* seq 3 */
	h_assert_get(s, "/hello?again=1", 200, "from-file");                        /* seq 4 */
}

static void expect_seqs(const struct h_server *s, const char *query, const char *want_seqs, int total)
{
	struct h_response *r = h_get(s, h_fmt("/__cannery/requests%s", query));
	cr_assert_eq(r->status, 200, "%s: %s", query, r->body);
	cJSON *o = json(r);
	char got[128] = "";
	const cJSON *e;
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(o, "requests"))
	{
		size_t n = strlen(got);
		snprintf(got + n, sizeof(got) - n, "%s%d", n ? "," : "", (int)num(e, "seq"));
	}
	cr_expect_str_eq(got, want_seqs, "%s: seqs", query);
	cr_expect_eq((int)num(o, "total"), total, "%s: total in %s", query, r->body);
	cr_expect_eq((int)num(o, "evicted"), 0);
	cJSON_Delete(o);
}

Test(admin, requests_and_filters)
{
	struct h_server *s = server();
	traffic(s);
	expect_seqs(s, "", "1,2,3,4", 4);
	expect_seqs(s, "?method=post", "2", 1);
	expect_seqs(s, "?path=/hello", "1,2,4", 3);
	expect_seqs(s, "?stub=file-hello", "1,4", 2);
	expect_seqs(s, "?matched=false", "2,3", 2);
	expect_seqs(s, "?matched=true&path=/hello", "1,4", 2);
	expect_seqs(s, "?since=2", "3,4", 2);
	expect_seqs(s, "?limit=2", "1,2", 4);
	expect_seqs(s, "?since=1&limit=1&path=/hello", "2", 2);
	expect_seqs(s, "?since=4", "", 0);
	h_server_stop_ok(s);
}

Test(admin, requests_bad_filters_are_400)
{
	struct h_server *s = server();
	expect_error(h_get(s, "/__cannery/requests?matched=maybe"), 400, "matched=maybe", "matched");
	expect_error(h_get(s, "/__cannery/requests?since=-1"), 400, "since=-1", "since");
	expect_error(h_get(s, "/__cannery/requests?limit=ten"), 400, "limit=ten", "limit");
	expect_error(h_get(s, "/__cannery/requests?methd=GET"), 400, "methd", "did you mean 'method'");
	h_server_stop_ok(s);
}

Test(admin, delete_requests)
{
	struct h_server *s = server();
	traffic(s);
	h_assert_response(del(s, "/__cannery/requests"), "DELETE /__cannery/requests", 204, "");
	expect_seqs(s, "", "", 0);
	h_assert_get(s, "/hello", 200, "from-file");
	expect_seqs(s, "", "5", 1);
	h_server_stop_ok(s);
}

Test(admin, admin_calls_are_not_journaled)
{
	struct h_server *s = server();
	h_assert_get(s, "/__cannery/health", 200, NULL);
	h_assert_get(s, "/__cannery/stubs", 200, NULL);
	h_assert_get(s, "/__cannery/nope", 404, NULL);
	h_assert_response(h_get_h(s, "/__cannery/health", "Host: evil.example"), "refused admin call", 403, NULL);
	cr_expect_eq(journal_total(s), 0);
	h_server_stop_ok(s);
}

/* ---- count and verify ---- */

Test(admin, count)
{
	struct h_server *s = server();
	traffic(s);
	h_assert_response(post(s, "/__cannery/requests/count", "{\"request\":{\"path\":\"/hello\"}}"), "count path",
			  200, "{\"count\":3}");
	h_assert_response(post(s, "/__cannery/requests/count", "{\"request\":{\"method\":\"GET\",\"path\":\"/hello\"}}"),
			  "count method+path", 200, "{\"count\":2}");
	h_assert_response(post(s, "/__cannery/requests/count", "{\"request\":{\"query\":{\"again\":\"1\"}}}"),
			  "count query", 200, "{\"count\":1}");
	h_assert_response(post(s, "/__cannery/requests/count", "{\"request\":{\"body\":{\"equals\":\"x\"}}}"),
			  "count body", 200, "{\"count\":1}");
	h_assert_response(post(s, "/__cannery/requests/count", "{\"request\":{\"path\":\"/{a}\"}}"), "template", 200,
			  "{\"count\":4}");
	h_assert_response(post(s, "/__cannery/requests/count", "{\"request\":{}}"), "everything", 200,
			  "{\"count\":4}");
	h_server_stop_ok(s);
}

Test(admin, count_bad_input_is_400)
{
	struct h_server *s = server();
	static const struct {
		const char *body, *needle;
	} bad[] = {
		{ "", "JSON object" },
		{ "not json", "JSON object" },
		{ "[1,2]", "JSON object" },
		{ "{\"request\":{\"path\":\"/x\"}", "JSON object" },
		{ "{}", "missing 'request'" },
		{ "{\"requst\":{}}", "did you mean 'request'" },
		{ "{\"request\":{\"methd\":\"GET\"}}", "body:1:13: error: unknown key 'methd'" },
		{ "{\"request\":{\"path_regex\":\"(\"}}", "regex" },
		{ "{\"request\":[1]}", "must be a mapping" },
		{ "{\"request\":{\"headers\":{\"x\":{\"one_of\":7}}}}", "one_of" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error(post(s, "/__cannery/requests/count", bad[i].body), 400, bad[i].body, bad[i].needle);
	h_assert_get(s, "/__cannery/health", 200, NULL);
	h_server_stop_ok(s);
}

Test(admin, verify)
{
	struct h_server *s = server();
	traffic(s);
	h_assert_response(post(s, "/__cannery/verify", "{\"request\":{\"path\":\"/hello\"}}"), "default at_least 1", 200,
			  "{\"ok\":true,\"count\":3}");
	h_assert_response(post(s, "/__cannery/verify", "{\"request\":{\"path\":\"/hello\"},\"count\":3}"), "exact", 200,
			  "{\"ok\":true,\"count\":3}");
	h_assert_response(post(s, "/__cannery/verify", "{\"request\":{\"path\":\"/hello\"},\"at_least\":1,\"at_most\":3}"),
			  "range", 200, "{\"ok\":true,\"count\":3}");
	h_assert_response(post(s, "/__cannery/verify", "{\"request\":{\"path\":\"/none\"},\"count\":0}"), "zero", 200,
			  "{\"ok\":true,\"count\":0}");

	struct h_response *r = post(s, "/__cannery/verify", "{\"request\":{\"method\":\"DELETE\",\"path\":\"/hello\"}}");
	cr_expect_eq(r->status, 409, "%s", r->body);
	cJSON *o = json(r);
	cr_expect(cJSON_IsFalse(cJSON_GetObjectItem(o, "ok")));
	cr_expect_eq(num(o, "count"), 0);
	cr_expect_eq(num(cJSON_GetObjectItem(o, "expected"), "at_least"), 1);
	const cJSON *nm = cJSON_GetObjectItem(o, "near_misses");
	cr_assert_eq(cJSON_GetArraySize(nm), 3, "%s", r->body);
	const cJSON *first = cJSON_GetArrayItem(nm, 0);
	cr_expect_eq(num(first, "seq"), 4, "fewest mismatches, newest first: %s", r->body);
	cr_expect_str_eq(cJSON_GetObjectItem(first, "path")->valuestring, "/hello");
	cr_expect_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(first, "mismatches"), 0)->valuestring,
			 "method: expected \"DELETE\", got \"GET\"");
	cJSON_Delete(o);

	r = post(s, "/__cannery/verify", "{\"request\":{\"path\":\"/hello\"},\"at_most\":2}");
	h_assert_response(r, "too many", 409, "{\"ok\":false,\"count\":3,\"expected\":{\"at_most\":2},\"near_misses\":[]}");
	r = post(s, "/__cannery/verify", "{\"request\":{\"path\":\"/hello\"},\"count\":1}");
	h_assert_response(r, "exact mismatch", 409, "{\"ok\":false,\"count\":3,\"expected\":{\"count\":1},\"near_misses\":[]}");
	h_server_stop_ok(s);
}

Test(admin, verify_bad_input_is_400)
{
	struct h_server *s = server();
	expect_error(post(s, "/__cannery/verify", "{\"request\":{},\"count\":1,\"at_least\":1}"), 400, "both", "not both");
	expect_error(post(s, "/__cannery/verify", "{\"request\":{},\"count\":-1}"), 400, "negative", "count");
	expect_error(post(s, "/__cannery/verify", "{\"request\":{},\"count\":1.5}"), 400, "fraction", "count");
	expect_error(post(s, "/__cannery/verify", "{\"request\":{},\"at_least\":\"2\"}"), 400, "string", "at_least");
	expect_error(post(s, "/__cannery/verify", "{\"request\":{},\"at_least\":3,\"at_most\":2}"), 400, "range", NULL);
	expect_error(post(s, "/__cannery/verify", "{\"count\":1}"), 400, "no request", "request");
	expect_error(post(s, "/__cannery/verify", "{\"request\":{},\"cnt\":1}"), 400, "typo", "did you mean 'count'");
	h_server_stop_ok(s);
}

/* ---- wait ---- */

/* Sends a wait on its own connection and returns once the server has read it. */
static int send_wait(const struct h_server *s, const char *body)
{
	int fd = h_connect(s);
	char *req = h_fmt("POST /__cannery/requests/wait HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
			  "Content-Length: %zu\r\n\r\n%s",
			  strlen(body), body);
	h_sock_exchange(fd, req, strlen(req), H_UNTIL_RESPONSE, 1);
	h_wait_server_read(s, fd);
	return fd;
}

static struct h_raw *wait_answer(int fd)
{
	return h_sock_exchange(fd, "", 0, H_UNTIL_RESPONSE, H_DEADLINE_MS);
}

Test(admin, wait_times_out_with_408)
{
	struct h_server *s = server();
	traffic(s);
	struct h_response *r = post(s, "/__cannery/requests/wait",
				    "{\"request\":{\"path\":\"/hello\"},\"count\":5,\"timeout_ms\":200}");
	h_assert_response(r, "wait for 5 of 3", 408, "{\"count\":3}");
	h_server_stop_ok(s);
}

Test(admin, wait_answers_when_the_count_is_reached)
{
	struct h_server *s = server();
	h_assert_get(s, "/hello", 200, NULL);
	/* the timeout is far beyond the harness's 10 s deadline: an answer proves it came early */
	int fd = send_wait(s, "{\"request\":{\"path\":\"/hello\"},\"count\":3,\"timeout_ms\":60000}");
	h_assert_get(s, "/hello", 200, NULL);
	h_assert_get(s, "/other", 404, NULL);
	h_assert_get(s, "/hello", 200, NULL);
	struct h_raw *raw = wait_answer(fd);
	cr_expect_eq(raw->status, 200, "%s", raw->data);
	cr_expect(h_contains(raw->data, "{\"count\":3}"), "%s", raw->data);
	cr_expect(!raw->timed_out);
	h_server_stop_ok(s);
}

Test(admin, wait_already_satisfied)
{
	struct h_server *s = server();
	traffic(s);
	h_assert_response(post(s, "/__cannery/requests/wait", "{\"request\":{\"path\":\"/hello\"},\"count\":2}"), "2 of 3",
			  200, "{\"count\":3}");
	h_assert_response(post(s, "/__cannery/requests/wait", "{\"request\":{\"path\":\"/none\"},\"count\":0}"),
			  "count 0", 200, "{\"count\":0}");
	h_assert_response(post(s, "/__cannery/requests/wait", "{\"request\":{\"path\":\"/hello\"}}"), "default count 1",
			  200, "{\"count\":3}");
	h_server_stop_ok(s);
}

Test(admin, waits_hold_no_server_thread)
{
	enum { N = 8 };
	struct h_server *s = server();
	int fds[N];
	/* more waits than the server has threads (one per core) */
	for (int i = 0; i < N; i++)
		fds[i] = send_wait(s, "{\"request\":{\"path\":\"/later\"},\"timeout_ms\":60000}");
	h_assert_get(s, "/__cannery/health", 200, NULL);
	h_assert_get(s, "/hello", 200, "from-file");
	h_assert_get(s, "/later", 404, NULL);
	for (int i = 0; i < N; i++) {
		struct h_raw *raw = wait_answer(fds[i]);
		cr_expect_eq(raw->status, 200, "wait %d: %s", i, raw->data);
		cr_expect(h_contains(raw->data, "{\"count\":1}"), "wait %d: %s", i, raw->data);
	}
	h_server_stop_ok(s);
}

Test(admin, wait_is_answered_when_the_server_stops)
{
	struct h_server *s = server();
	int fd = send_wait(s, "{\"request\":{\"path\":\"/never\"},\"timeout_ms\":60000}");
	h_server_signal(s, SIGTERM);
	struct h_raw *raw = wait_answer(fd);
	cr_expect_eq(raw->status, 503, "%s", raw->data);
	cr_expect_eq(h_server_wait(s, H_DEADLINE_MS), 0, "the server should exit 0 promptly:\n%s", h_server_stderr(s));
}

Test(admin, wait_bad_input_is_400)
{
	struct h_server *s = server();
	expect_error(post(s, "/__cannery/requests/wait", "{\"request\":{},\"timeout_ms\":60001}"), 400, "too long",
		     "timeout_ms");
	expect_error(post(s, "/__cannery/requests/wait", "{\"request\":{},\"timeout_ms\":-5}"), 400, "negative",
		     "timeout_ms");
	expect_error(post(s, "/__cannery/requests/wait", "{\"request\":{},\"count\":\"x\"}"), 400, "count", "count");
	expect_error(post(s, "/__cannery/requests/wait", "{\"timeout_ms\":10}"), 400, "no request", "request");
	expect_error(post(s, "/__cannery/requests/wait", "[]"), 400, "array", NULL);
	h_server_stop_ok(s);
}

/* ---- reset and metrics ---- */

Test(admin, reset_clears_the_journal_and_keeps_stubs)
{
	struct h_server *s = server();
	h_assert_response(post(s, "/__cannery/stubs", "{\"name\":\"rt\",\"request\":{\"path\":\"/rt\"}}"), "POST", 201,
			  NULL);
	traffic(s);
	h_assert_response(post(s, "/__cannery/reset", ""), "reset", 204, "");
	cr_expect_eq(journal_total(s), 0);
	h_assert_get(s, "/__cannery/health", 200, "{\"status\":\"ok\",\"stubs\":3,\"version\":\"0.1.0\"}");
	h_assert_get(s, "/rt", 200, "");
	h_server_stop_ok(s);
}

static bool has_line(const char *text, const char *line)
{
	const char *p = text;
	size_t n = strlen(line);
	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

Test(admin, metrics)
{
	struct h_server *s = server();
	traffic(s);
	h_assert_get(s, "/__cannery/health", 200, NULL);
	h_assert_response(post(s, "/__cannery/reload", ""), "reload", 200, NULL);
	struct h_response *r = h_get(s, "/__cannery/metrics");
	cr_assert_eq(r->status, 200);
	const char *ct = h_header(r, "Content-Type");
	cr_expect(ct && strncmp(ct, "text/plain", 10) == 0, "Content-Type: %s", ct ? ct : "(none)");
	const char *want[] = {
		"# TYPE cannery_requests_total counter",
		"cannery_requests_total{status=\"200\",matched=\"true\"} 2",
		"cannery_requests_total{status=\"404\",matched=\"false\"} 2",
		"# TYPE cannery_stub_hits_total counter",
		"cannery_stub_hits_total{stub=\"file-hello\"} 2",
		"# TYPE cannery_journal_entries gauge",
		"cannery_journal_entries 4",
		"cannery_journal_evicted_total 0",
		"cannery_reloads_total 1",
		"cannery_reload_errors_total 0",
		"cannery_stubs 2",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_expect(has_line(r->body, want[i]), "missing '%s' in:\n%s", want[i], r->body);

	/* counters are never reset */
	h_assert_response(del(s, "/__cannery/requests"), "DELETE requests", 204, NULL);
	h_assert_response(post(s, "/__cannery/reset", ""), "reset", 204, NULL);
	r = h_get(s, "/__cannery/metrics");
	cr_expect(has_line(r->body, "cannery_requests_total{status=\"200\",matched=\"true\"} 2"), "%s", r->body);
	cr_expect(has_line(r->body, "cannery_stub_hits_total{stub=\"file-hello\"} 2"), "%s", r->body);
	cr_expect(has_line(r->body, "cannery_journal_entries 0"), "%s", r->body);
	h_server_stop_ok(s);
}

Test(admin, wrong_methods_are_405)
{
	struct h_server *s = server();
	static const char *const cases[][2] = {
		{ "POST", "/__cannery/health" },          { "PUT", "/__cannery/stubs" },
		{ "GET", "/__cannery/stubs/x" },          { "PUT", "/__cannery/reload" },
		{ "POST", "/__cannery/requests" },        { "GET", "/__cannery/requests/count" },
		{ "GET", "/__cannery/requests/wait" },    { "GET", "/__cannery/verify" },
		{ "GET", "/__cannery/reset" },            { "POST", "/__cannery/metrics" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(h_request(s, cases[i][0], cases[i][1], NULL, NULL), 405, cases[i][1], "use ");
	h_server_stop_ok(s);
}

/* SPEC section 5: an unknown path under /__cannery/ is 404 whatever its method, also when
 * a real endpoint is a prefix of it; 405 is only for a known path. Ids may hold '/', so a
 * deeper /stubs/ path names an endpoint exactly when a stub has that id. */
Test(admin, unknown_paths_under_a_real_prefix_are_404)
{
	struct h_server *s = server();
	static const char *const cases[][2] = {
		{ "GET", "/__cannery/stubs/extra/segments" }, { "POST", "/__cannery/stubs/a/b" },
		{ "GET", "/__cannery/health/x" },             { "DELETE", "/__cannery/requests/count/x" },
		{ "GET", "/__cannery/nope" },                 { "PUT", "/__cannery/metrics/" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(h_request(s, cases[i][0], cases[i][1], NULL, NULL), 404, cases[i][1], "unknown admin endpoint");
	/* a runtime stub whose id holds '/' is still reachable at /stubs/ID */
	h_assert_response(post(s, "/__cannery/stubs", "name: a/b\nrequest: { path: /ab }\nresponse: { body: ab }\n"),
			  "add a/b", 201, NULL);
	expect_error(h_request(s, "GET", "/__cannery/stubs/a/b", NULL, NULL), 405, "GET a/b", "use DELETE");
	h_assert_response(del(s, "/__cannery/stubs/a/b"), "DELETE a/b", 204, NULL);
	expect_error(h_request(s, "DELETE", "/__cannery/stubs/a/b", NULL, NULL), 404, "DELETE a/b again", "no stub");
	h_server_stop_ok(s);
}

/* ---- security (SPEC section 6) ---- */

static void expect_no_cors(const struct h_response *r, const char *what)
{
	for (size_t i = 0; i < r->nheaders; i++)
		cr_expect(strncasecmp(r->headers[i], "Access-Control-", 15) != 0, "%s: admin answers carry no CORS: %s",
			  what, r->headers[i]);
}

Test(admin, foreign_origin_is_refused_and_changes_nothing)
{
	struct h_server *s = server();
	const char *evil = "Origin: http://evil.example";
	traffic(s);
	struct h_response *r = h_request(s, "POST", "/__cannery/stubs", "{\"request\":{\"path\":\"/pwn\"}}", HDRS(evil));
	expect_error(r, 403, "POST stubs from a foreign origin", "origin");
	expect_no_cors(r, "403");
	expect_error(h_request(s, "DELETE", "/__cannery/requests", NULL, HDRS(evil)), 403, "DELETE requests", NULL);
	expect_error(h_request(s, "POST", "/__cannery/reset", "", HDRS(evil)), 403, "reset", NULL);
	expect_error(h_request(s, "DELETE", "/__cannery/stubs/file-hello", NULL, HDRS(evil)), 403, "DELETE stub", NULL);
	expect_error(h_request(s, "GET", "/__cannery/requests", NULL, HDRS(evil)), 403, "GET requests", NULL);
	expect_error(h_request(s, "GET", "/__cannery/health", NULL, HDRS("Origin: null")), 403, "Origin null", NULL);
	expect_error(h_request(s, "GET", "/__cannery/health", NULL, HDRS("Origin: http://localhost.evil.example")), 403,
		     "a look-alike", NULL);
	expect_error(h_request(s, "GET", "/__cannery/health", NULL, HDRS("Origin: http://127.0.0.1.nip.io")), 403,
		     "another look-alike", NULL);
	/* nothing changed */
	h_assert_get(s, "/pwn", 404, NULL);
	cr_expect_eq(journal_total(s), 5, "the journal is intact (the /pwn miss is the fifth entry)");
	h_assert_get(s, "/hello", 200, "from-file");

	static const char *const ok[] = { "Origin: http://localhost:3000", "Origin: http://127.0.0.1:8080",
					  "Origin: https://localhost", "Origin: http://[::1]:5173" };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		r = h_request(s, "GET", "/__cannery/health", NULL, HDRS(ok[i]));
		cr_expect_eq(r->status, 200, "%s: %ld %s", ok[i], r->status, r->body);
		expect_no_cors(r, ok[i]);
	}
	h_server_stop_ok(s);
}

/* SPEC section 6 and docs/security.md: a security header that arrives twice is refused
 * before anything reads it, so "the first one wins" can never meet "the last one wins" */
Test(admin, repeated_security_headers_are_400)
{
	struct h_server *s = serve_files(h_stub_dir("files.yaml", files_yaml, NULL), "--admin-token", "s3cret");
	const char *tok = "Authorization: Bearer s3cret";
	const char *local = "Origin: http://localhost:3000", *evil = "Origin: http://evil.test";
	expect_error(h_request(s, "GET", "/__cannery/health", NULL, HDRS(tok, local, evil)), 400, "loopback, then evil",
		     "more than one Origin");
	expect_error(h_request(s, "GET", "/__cannery/health", NULL, HDRS(tok, evil, local)), 400, "evil, then loopback",
		     "more than one Origin");
	expect_error(h_request(s, "POST", "/__cannery/stubs", "{\"request\":{\"path\":\"/pwn\"}}",
			       HDRS(tok, local, local)),
		     400, "the same loopback origin twice", "more than one Origin");
	expect_error(h_request(s, "GET", "/__cannery/health", NULL, HDRS(tok, "Authorization: Bearer nope")), 400,
		     "right token, then a wrong one", "more than one Authorization");
	expect_error(h_request(s, "GET", "/__cannery/health", NULL, HDRS("Authorization: Bearer nope", tok)), 400,
		     "wrong token, then the right one", "more than one Authorization");
	/* the same rule on stub routes: one place decides it for every request */
	expect_error(h_request(s, "GET", "/hello", NULL, HDRS(local, evil)), 400, "stub route", "more than one Origin");
	h_assert_get(s, "/pwn", 404, NULL);
	/* one of each is fine */
	h_assert_response(h_request(s, "GET", "/__cannery/health", NULL, HDRS(tok, local)), "one of each", 200, NULL);
	h_server_stop_ok(s);
}

Test(admin, admin_token)
{
	struct h_server *s = serve_files(h_stub_dir("files.yaml", files_yaml, NULL), "--admin-token", "s3cret");
	traffic(s);
	expect_error(h_get(s, "/__cannery/health"), 401, "no token", "missing");
	expect_error(h_get_h(s, "/__cannery/health", "Authorization: Bearer wrong"), 401, "wrong token", "wrong");
	expect_error(h_get_h(s, "/__cannery/health", "Authorization: Bearer s3cre"), 401, "a prefix", NULL);
	expect_error(h_get_h(s, "/__cannery/health", "Authorization: Bearer s3cret!"), 401, "longer", NULL);
	expect_error(h_get_h(s, "/__cannery/health", "Authorization: Basic s3cret"), 401, "not bearer", NULL);
	expect_error(h_request(s, "POST", "/__cannery/stubs", "{\"request\":{\"path\":\"/pwn\"}}",
			       HDRS("Authorization: Bearer nope")),
		     401, "POST stubs", NULL);
	expect_error(h_request(s, "DELETE", "/__cannery/requests", NULL, HDRS("Authorization: Bearer nope")), 401,
		     "DELETE requests", NULL);
	h_assert_get(s, "/pwn", 404, NULL);
	/* stub routes never need the token */
	h_assert_get(s, "/hello", 200, "from-file");
	struct h_response *r = h_get_h(s, "/__cannery/requests", "Authorization: Bearer s3cret");
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_expect_eq((int)body_num(r, "total"), 6, "nothing was cleared (admin calls are not journaled): %s", r->body);
	h_server_stop_ok(s);
}
