/* SPDX-License-Identifier: MIT */
/* recorder: file names, the stub text it emits (read back through the real loader, so
 * "replays the same" is checked byte for byte), redaction, and recorder_record's files:
 * collisions, record modes, atomic writes and temporary-file cleanup. Each test runs in
 * its own process inside a fresh temporary directory. */
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "matcher.h"
#include "recorder.h"
#include "stub_load.h"
#include "testutil.h"
#include "util/arena.h"
#include "util/xalloc.h"

static void setup(void)
{
	tmpdir_enter("recorder");
}

static void teardown(void)
{
	tmpdir_leave();
}

TestSuite(recorder, .init = setup, .fini = teardown);

/* ---- helpers ---- */

static struct record_exchange get(const char *path, const char *ct, const char *body)
{
	static struct header h[1];
	struct record_exchange ex = { 0 };
	ex.method = "GET";
	ex.path = path;
	ex.status = 200;
	if (ct) {
		h[0].name = (char *)"Content-Type";
		h[0].value = (char *)ct;
		ex.headers = h;
		ex.nheaders = 1;
	}
	ex.body = body;
	ex.body_len = body ? strlen(body) : 0;
	return ex;
}

/* Loads YAML text as the file rec/x.yaml would be; asserts it is one valid stub. */
static struct stub *load_one(const char *text, struct load_result *res)
{
	struct diag_list diags = DIAG_LIST_INIT;
	mkdir("rec", 0755);
	int rc = stub_load_string(text, strlen(text), "rec/x.yaml", "rec", false, res, &diags);
	if (rc != 0) {
		for (size_t i = 0; i < diags.n; i++)
			cr_log_error("%s:%d:%d: %s", diags.items[i].file, diags.items[i].line, diags.items[i].col,
				     diags.items[i].msg);
	}
	diag_list_release(&diags);
	cr_assert_eq(rc, 0, "the emitted stub does not load:\n%s", text);
	cr_assert_eq(res->n, 1);
	return res->stubs[0];
}

static char *emit(const struct record_exchange *ex)
{
	char *text = recorder_emit(ex, NULL);
	cr_assert_not_null(text);
	return text;
}

/* The response body a stub emitted for ex replays, byte for byte. */
static void expect_replays(const struct record_exchange *ex, const char *want, size_t want_len)
{
	struct load_result res = { 0 };
	char *text = emit(ex);
	struct stub *s = load_one(text, &res);
	cr_expect_eq(s->resp.status, ex->status);
	cr_expect_eq(s->resp.body_len, want_len, "length %zu, expected %zu\n%s", s->resp.body_len, want_len, text);
	cr_expect(s->resp.body_len == want_len && (!want_len || memcmp(s->resp.body, want, want_len) == 0),
		  "replayed body differs:\n%s", text);
	load_result_release(&res);
	free(text);
}

/* ---- names ---- */

Test(recorder, slugs)
{
	static const struct {
		const char *method, *path, *want;
	} cases[] = {
		{ "GET", "/api/users/42", "get-api-users-42" },
		{ "POST", "/api/users", "post-api-users" },
		{ "GET", "/", "get-root" },
		{ "DELETE", "//a//b/", "delete-a-b" },
		{ "GET", "/API/Users.JSON", "get-api-users-json" },
		{ "GET", "/caf\xc3\xa9/x y", "get-caf-x-y" },
		{ "M-SEARCH", "/x", "msearch-x" },
		{ "GET", "/%%%", "get-root" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *s = recorder_slug(cases[i].method, cases[i].path);
		cr_expect_str_eq(s, cases[i].want, "%s %s", cases[i].method, cases[i].path);
		free(s);
	}
	char long_path[600];
	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[0] = '/';
	long_path[sizeof(long_path) - 1] = '\0';
	char *s = recorder_slug("GET", long_path);
	cr_expect_leq(strlen(s), 90);
	free(s);
}

Test(recorder, binary_bodies_and_extensions)
{
	cr_expect(recorder_body_is_binary("image/png", "abc", 3));
	cr_expect(recorder_body_is_binary("application/octet-stream", "abc", 3));
	cr_expect(recorder_body_is_binary("text/plain", "a\0b", 3));
	cr_expect(recorder_body_is_binary("text/plain", "\xff\xfe", 2));
	cr_expect(recorder_body_is_binary(NULL, "\xc0\x80", 2), "overlong NUL is not text");
	cr_expect(recorder_body_is_binary(NULL, "\xed\xa0\x80", 3), "a surrogate is not text");
	cr_expect(!recorder_body_is_binary("image/svg+xml", "<svg/>", 6));
	cr_expect(!recorder_body_is_binary("text/html; charset=utf-8", "<p>caf\xc3\xa9</p>", 12));
	cr_expect(!recorder_body_is_binary(NULL, "plain", 5));
	cr_expect_str_eq(recorder_extension("image/png"), "png");
	cr_expect_str_eq(recorder_extension("IMAGE/JPEG; q=1"), "jpg");
	cr_expect_str_eq(recorder_extension("application/pdf"), "pdf");
	cr_expect_str_eq(recorder_extension("application/yaml"), "bin", "never a stub file extension");
	cr_expect_str_eq(recorder_extension("text/plain"), "txt");
	cr_expect_str_eq(recorder_extension(NULL), "bin");
}

/* ---- emitting ---- */

Test(recorder, json_response_keeps_order_types_and_digits)
{
	const char *json = "{\"id\":42,\"name\":\"Ada\",\"zip\":\"02134\",\"s\":\"42\",\"t\":\"true\",\"n\":\"null\","
			   "\"big\":12345678901234567890,\"f\":1.5,\"e\":-2E+3,\"ok\":false,\"none\":null,"
			   "\"list\":[1,\"two\",[],{}],\"empty\":\"\",\"multi\":\"a\\nb\\r\\nc\","
			   "\"u\":\"\\u00e9\\ud83d\\ude00\",\"q\":\"it's \\\"quoted\\\": yes\",\"tpl\":\"{{x}}\"}";
	struct record_exchange ex = get("/api/users/42", "application/json; charset=utf-8", json);
	char *text = emit(&ex);
	/* key order is the upstream's */
	cr_expect(strstr(text, "id:") < strstr(text, "name:") && strstr(text, "name:") < strstr(text, "zip:"), "%s", text);
	cr_expect(strstr(text, "template: false"), "%s", text);
	free(text);
	/* the loader prints exactly what the upstream sent, except the escapes it spells differently */
	const char *want = "{\"id\":42,\"name\":\"Ada\",\"zip\":\"02134\",\"s\":\"42\",\"t\":\"true\",\"n\":\"null\","
			   "\"big\":12345678901234567890,\"f\":1.5,\"e\":-2000,\"ok\":false,\"none\":null,"
			   "\"list\":[1,\"two\",[],{}],\"empty\":\"\",\"multi\":\"a\\nb\\r\\nc\","
			   "\"u\":\"\xc3\xa9\xf0\x9f\x98\x80\",\"q\":\"it's \\\"quoted\\\": yes\",\"tpl\":\"{{x}}\"}";
	expect_replays(&ex, want, strlen(want));
}

Test(recorder, json_response_headers_win_the_content_type)
{
	struct record_exchange ex = get("/x", "application/vnd.api+json", "{\"a\":1}");
	struct load_result res = { 0 };
	char *text = emit(&ex);
	struct stub *s = load_one(text, &res);
	cr_expect(strstr(text, "json:"), "+json is JSON:\n%s", text);
	cr_expect_null(s->resp.content_type, "a Content-Type header wins");
	cr_expect_eq(s->resp.nheaders, 1);
	cr_expect_str_eq(s->resp.headers[0].value, "application/vnd.api+json");
	load_result_release(&res);
	free(text);
}

Test(recorder, json_a_stub_cannot_hold_stays_text)
{
	static const char *const bodies[] = {
		"{\"a\":1,\"a\":2}",            /* duplicate keys: a load error in YAML */
		"{\"x\":1e400}",                 /* not a finite double */
		"{\"nul\":\"a\\u0000b\"}",       /* NUL in a string */
		"[\"\\ud800\"]",                 /* lone surrogate */
		"{\"a\":1} trailing",            /* not JSON at all */
		"{\"a\":01}",
	};
	for (size_t i = 0; i < sizeof(bodies) / sizeof(*bodies); i++) {
		struct record_exchange ex = get("/x", "application/json", bodies[i]);
		char *text = emit(&ex);
		cr_expect(!strstr(text, "json:") && strstr(text, "body:"), "%s:\n%s", bodies[i], text);
		free(text);
		expect_replays(&ex, bodies[i], strlen(bodies[i]));
	}
	/* deeper than a stub may nest */
	char deep[260];
	for (int i = 0; i < 100; i++)
		deep[i] = '[';
	for (int i = 0; i < 100; i++)
		deep[100 + i] = ']';
	deep[200] = '\0';
	struct record_exchange ex = get("/x", "application/json", deep);
	expect_replays(&ex, deep, strlen(deep));
}

Test(recorder, text_bodies_replay_byte_for_byte)
{
	static const char *const bodies[] = {
		"hello",
		"hello {{not a template}}\nsecond line\n",
		"  leading spaces\nand trailing   \n",
		"crlf\r\nlines\r\n",
		"tabs\tand\ttabs",
		"no newline at the end\nreally",
		"\n\nblank lines first\n\n\n",
		"unicode caf\xc3\xa9 \xe2\x80\xa8 line separator \xc2\x85 next line",
		"control \x01\x1b chars",
		"# not a comment: - [x] {y} & *z ! | > ' \" % @ `",
		"42",
		"true",
		"null",
		"~",
		"- item",
		"\xef\xbb\xbf" "bom first",
		" ",
	};
	for (size_t i = 0; i < sizeof(bodies) / sizeof(*bodies); i++) {
		struct record_exchange ex = get("/t", "text/plain; charset=utf-8", bodies[i]);
		expect_replays(&ex, bodies[i], strlen(bodies[i]));
	}
}

Test(recorder, binary_bodies_are_files)
{
	static const char bin[] = { (char)0x89, 'P', 'N', 'G', 0, (char)0xff, 1, 2 };
	struct record_exchange ex = get("/logo", "image/png", NULL);
	ex.body = bin;
	ex.body_len = sizeof(bin);
	char *text = recorder_emit(&ex, "get-logo.body.png");
	cr_expect(strstr(text, "file: get-logo.body.png"), "%s", text);
	FILE *f = fopen("rec/get-logo.body.png", "wb");
	if (!f) {
		mkdir("rec", 0755);
		f = fopen("rec/get-logo.body.png", "wb");
	}
	cr_assert_not_null(f);
	fwrite(bin, 1, sizeof(bin), f);
	fclose(f);
	struct load_result res = { 0 };
	struct stub *s = load_one(text, &res);
	cr_expect_eq(s->resp.body_len, sizeof(bin));
	cr_expect(memcmp(s->resp.body, bin, sizeof(bin)) == 0);
	cr_expect_eq(s->resp.nheaders, 1, "Content-Type recorded as a header");
	load_result_release(&res);
	free(text);
}

Test(recorder, no_body_no_body_key)
{
	struct record_exchange ex = get("/e", NULL, NULL);
	ex.status = 204;
	char *text = emit(&ex);
	cr_expect(!strstr(text, "body") && !strstr(text, "json") && !strstr(text, "file"), "%s", text);
	free(text);
	expect_replays(&ex, "", 0);
}

Test(recorder, headers_filtered_grouped_and_redacted)
{
	struct header h[] = {
		{ "Content-Type", "application/json", NULL },
		{ "Date", "Tue, 01 Jan 2030 00:00:00 GMT", NULL },
		{ "Content-Length", "11", NULL },
		{ "Content-Encoding", "gzip", NULL },
		{ "Transfer-Encoding", "chunked", NULL },
		{ "Connection", "close", NULL },
		{ "Keep-Alive", "timeout=5", NULL },
		{ "Set-Cookie", "session=abc123; Path=/; HttpOnly", NULL },
		{ "set-cookie", "theme=dark", NULL },
		{ "Set-Cookie", "opaque", NULL },
		{ "Authorization", "Bearer upstream-token", NULL },
		{ "Proxy-Authorization", "Basic eA==", NULL },
		{ "X-Api-Key", "key-123", NULL },
		{ "Cookie", "a=b", NULL },
		{ "X-Request-Id", "r-1", NULL },
		{ "Location", "/next", NULL },
	};
	struct record_exchange ex = get("/s", NULL, "{\"ok\":true}");
	ex.headers = h;
	ex.nheaders = sizeof(h) / sizeof(*h);
	char *text = emit(&ex);
	static const char *const gone[] = {
		"Date", "Content-Length", "Content-Encoding", "Transfer-Encoding", "Connection", "Keep-Alive",
		"Proxy-Authorization", "abc123", "dark", "opaque", "upstream-token", "key-123", "a=b",
	};
	for (size_t i = 0; i < sizeof(gone) / sizeof(*gone); i++)
		cr_expect(!strstr(text, gone[i]), "'%s' should not be written:\n%s", gone[i], text);
	struct load_result res = { 0 };
	struct stub *s = load_one(text, &res);
	static const char *const want[][2] = {
		{ "Content-Type", "application/json" },
		{ "Set-Cookie", "session=[redacted]; Path=/; HttpOnly" },
		{ "Set-Cookie", "theme=[redacted]" },
		{ "Set-Cookie", "[redacted]" },
		{ "Authorization", "[redacted]" },
		{ "X-Api-Key", "[redacted]" },
		{ "Cookie", "[redacted]" },
		{ "X-Request-Id", "r-1" },
		{ "Location", "/next" },
	};
	cr_assert_eq(s->resp.nheaders, sizeof(want) / sizeof(*want), "%s", text);
	for (size_t i = 0; i < s->resp.nheaders; i++) {
		cr_expect_str_eq(s->resp.headers[i].name, want[i][0]);
		cr_expect_str_eq(s->resp.headers[i].value, want[i][1]);
	}
	load_result_release(&res);
	free(text);
}

/* The recorded request matches the request it came from, through the real matcher. */
static void expect_matches_path(const struct record_exchange *ex, const char *path, const struct kv *query,
				size_t nquery, const char *body, bool want)
{
	struct load_result res = { 0 };
	char *text = emit(ex);
	struct stub *s = load_one(text, &res);
	struct arena a;
	arena_init(&a);
	struct req_view v = { 0 };
	v.method = ex->method;
	v.path = path;
	v.query = query;
	v.nquery = nquery;
	v.body = body;
	v.body_len = body ? strlen(body) : 0;
	v.arena = &a;
	bool ok = stub_method_ok(s, v.method) && stub_path_ok(s, &v, NULL) && stub_conditions_ok(s, &v);
	cr_expect_eq(ok, want, "%s:\n%s", want ? "should match" : "should not match", text);
	req_view_release(&v);
	arena_release(&a);
	load_result_release(&res);
	free(text);
}

static void expect_matches(const struct record_exchange *ex, const struct kv *query, size_t nquery,
			   const char *body, bool want)
{
	expect_matches_path(ex, ex->path, query, nquery, body, want);
}

Test(recorder, request_matchers)
{
	struct kv q[] = {
		{ "page", "2", 1 },
		{ "sort", "name asc", 8 },
		{ "flag", "", 0 },
		{ "null", "null", 4 },
		{ "page", "3", 1 },
	};
	struct record_exchange ex = get("/api/users", NULL, NULL);
	ex.method = "POST";
	ex.query = q;
	ex.nquery = 5;
	ex.req_content_type = "application/json";
	ex.req_body = "{\"name\":\"Ada\",\"age\":36}";
	ex.req_body_len = strlen(ex.req_body);
	char *text = emit(&ex);
	cr_expect(strstr(text, "method: POST"), "%s", text);
	cr_expect(strstr(text, "path: /api/users"), "%s", text);
	cr_expect(strstr(text, "page: '2'"), "%s", text);
	cr_expect(strstr(text, "json:"), "%s", text);
	free(text);
	/* the same request, body keys in another order */
	expect_matches(&ex, q, 5, "{\"age\":36,\"name\":\"Ada\"}", true);
	expect_matches(&ex, q, 4, "{\"name\":\"Ada\",\"age\":36}", true);
	expect_matches(&ex, q + 1, 3, "{\"name\":\"Ada\",\"age\":36}", false);
	expect_matches(&ex, q, 5, "{\"name\":\"Ada\"}", false);
	/* a text body is matched whole */
	ex.req_content_type = "text/plain";
	ex.req_body = "a=1&b=2\n";
	ex.req_body_len = strlen(ex.req_body);
	expect_matches(&ex, q, 5, "a=1&b=2\n", true);
	expect_matches(&ex, q, 5, "a=1&b=2", false);
	/* a binary body is not spelled out, so it is not matched */
	ex.req_body = "\xff\x00\xfe";
	ex.req_body_len = 3;
	text = emit(&ex);
	cr_expect(!strstr(text, "body"), "%s", text);
	free(text);
}

Test(recorder, braces_in_a_path_are_matched_literally)
{
	struct record_exchange ex = get("/odd/{id}/a.b+c", NULL, NULL);
	char *text = emit(&ex);
	cr_expect(strstr(text, "path_regex:"), "%s", text);
	free(text);
	expect_matches(&ex, NULL, 0, NULL, true);
	expect_matches_path(&ex, "/odd/{id}/aXb+c", NULL, 0, NULL, false);
	expect_matches_path(&ex, "/odd/7/a.b+c", NULL, 0, NULL, false);
}

/* ---- recorder_record: files ---- */

static struct recorder *open_rec(enum record_mode mode)
{
	struct recorder *r = NULL;
	char *error = NULL;
	int rc = recorder_create("out/rec", mode, &r, &error);
	cr_assert_eq(rc, 0, "%s", error ? error : "");
	return r;
}

static char *record(struct recorder *r, const struct record_exchange *ex, enum record_outcome want)
{
	enum record_outcome outcome;
	char *file = NULL, *error = NULL;
	int rc = recorder_record(r, ex, &outcome, &file, &error);
	cr_assert_eq(rc, 0, "%s", error ? error : "");
	cr_expect_eq(outcome, want, "outcome %d, expected %d", outcome, want);
	return file;
}

Test(recorder, files_collisions_and_first_mode)
{
	struct recorder *r = open_rec(RECORD_FIRST);
	struct kv p1[] = { { "page", "1", 1 } }, p2[] = { { "page", "2", 1 } };
	struct record_exchange a = get("/api/users", "application/json", "[1]");
	struct record_exchange b = a;
	b.query = p1;
	b.nquery = 1;
	struct record_exchange c = a;
	c.query = p2;
	c.nquery = 1;
	char *f;

	f = record(r, &a, RECORD_WROTE);
	cr_expect_str_eq(f, "get-api-users.yaml");
	free(f);
	f = record(r, &b, RECORD_WROTE);
	cr_expect_str_eq(f, "get-api-users-2.yaml");
	free(f);
	f = record(r, &c, RECORD_WROTE);
	cr_expect_str_eq(f, "get-api-users-3.yaml");
	free(f);
	/* the same request again: kept, nothing written */
	char *before = slurp("out/rec/get-api-users-2.yaml");
	struct record_exchange b2 = b;
	b2.body = "[2]";
	b2.body_len = 3;
	f = record(r, &b2, RECORD_KEPT);
	cr_expect_str_eq(f, "get-api-users-2.yaml");
	free(f);
	char *after = slurp("out/rec/get-api-users-2.yaml");
	cr_expect_str_eq(after, before);
	free(before);
	free(after);
	cr_expect_eq(count_files("out/rec", ""), 3 + 2, "files: . .. and three stubs");
	recorder_destroy(r);

	/* a later run knows what the directory already records */
	r = open_rec(RECORD_FIRST);
	f = record(r, &c, RECORD_KEPT);
	cr_expect_str_eq(f, "get-api-users-3.yaml");
	free(f);
	struct record_exchange post = a;
	post.method = "POST";
	f = record(r, &post, RECORD_WROTE);
	cr_expect_str_eq(f, "post-api-users.yaml");
	free(f);
	recorder_destroy(r);

	/* everything written loads */
	const char *dirs[] = { "out/rec" };
	struct load_result res = { 0 };
	struct diag_list diags = DIAG_LIST_INIT;
	cr_expect_eq(stub_load_dirs(dirs, 1, &res, &diags), 0);
	cr_expect_eq(res.n, 4);
	load_result_release(&res);
	diag_list_release(&diags);
}

Test(recorder, a_name_taken_by_another_file_is_skipped)
{
	mkdir("out", 0755);
	mkdir("out/rec", 0755);
	FILE *f = fopen("out/rec/get-x.yaml", "w");
	cr_assert_not_null(f);
	fputs("# hand-written, not a recording\nrequest: {path: /other}\nresponse: {body: mine}\n", f);
	fclose(f);
	struct recorder *r = open_rec(RECORD_FIRST);
	struct record_exchange ex = get("/x", "text/plain", "recorded");
	char *name = record(r, &ex, RECORD_WROTE);
	cr_expect_str_eq(name, "get-x-2.yaml");
	free(name);
	char *mine = slurp("out/rec/get-x.yaml");
	cr_expect(strstr(mine, "hand-written"), "the existing file was touched");
	free(mine);
	recorder_destroy(r);
}

Test(recorder, sequence_mode_appends_responses)
{
	struct recorder *r = open_rec(RECORD_SEQUENCE);
	static const char bin[] = { 0, 1, 2, (char)0xff };
	struct record_exchange ex = get("/counter", "application/json", "{\"n\":1}");
	char *f = record(r, &ex, RECORD_WROTE);
	cr_expect_str_eq(f, "get-counter.yaml");
	free(f);
	ex.body = "{\"n\":2}";
	free(record(r, &ex, RECORD_APPENDED));
	recorder_destroy(r);
	/* and across runs */
	r = open_rec(RECORD_SEQUENCE);
	struct header h[] = { { "Content-Type", "image/png", NULL } };
	ex.headers = h;
	ex.body = bin;
	ex.body_len = sizeof(bin);
	free(record(r, &ex, RECORD_APPENDED));
	recorder_destroy(r);
	char *text = slurp("out/rec/get-counter.yaml");
	cr_expect(strstr(text, "responses:"), "%s", text);
	cr_expect(!strstr(text, "response:"), "%s", text);
	char *n1 = strstr(text, "'n': 1"), *n2 = strstr(text, "'n': 2"), *fl = strstr(text, "file: get-counter.body-3.png");
	cr_expect(n1 && n2 && fl && n1 < n2 && n2 < fl, "three responses in order:\n%s", text);
	cr_expect(strstr(text, "template: false"), "%s", text);
	cr_expect(file_exists("out/rec/get-counter.body-3.png"));
	cr_expect_eq(count_files("out/rec", "get-counter"), 2);
	free(text);
}

Test(recorder, leftover_temporary_files_are_removed_at_start)
{
	mkdir("out", 0755);
	mkdir("out/rec", 0755);
	/* a crashed writer's (no such pid), another live writer's (pid 1), not ours at all */
	static const char *const names[] = { "out/rec/.cannery-tmp-999999999-0", "out/rec/.cannery-tmp-999999998-9",
					     "out/rec/.keep", "out/rec/.cannery-tmp-1-3" };
	for (size_t i = 0; i < 4; i++) {
		FILE *f = fopen(names[i], "w");
		cr_assert_not_null(f);
		fputs("request: {path: /half-writ", f);
		fclose(f);
	}
	struct recorder *r = open_rec(RECORD_FIRST);
	cr_expect(!file_exists(names[0]) && !file_exists(names[1]), "temporary files left");
	cr_expect(file_exists(names[2]), "a dotfile that is not ours was removed");
	cr_expect(file_exists(names[3]), "a live writer's temporary file was removed");
	struct record_exchange ex = get("/x", "text/plain", "x");
	free(record(r, &ex, RECORD_WROTE));
	cr_expect_eq(count_files("out/rec", ".cannery-tmp-"), 1, "a write left its temporary file");
	recorder_destroy(r);
}

Test(recorder, a_directory_that_cannot_be_made_is_an_error)
{
	struct recorder *r = NULL;
	char *error = NULL;
	FILE *f = fopen("file", "w");
	cr_assert_not_null(f);
	fclose(f);
	cr_expect_lt(recorder_create("file/rec", RECORD_FIRST, &r, &error), 0);
	cr_expect(error && strstr(error, "file/rec"), "%s", error ? error : "(none)");
	free(error);
	cr_expect_null(r);
}
