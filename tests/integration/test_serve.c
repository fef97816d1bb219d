/* SPDX-License-Identifier: MIT */
/* Serving stubs end to end (SPEC sections 2 and 5): responses, a representative set of
 * matching rules and the winner order, near misses, the admin API, keep-alive and the
 * access log. The unit tests cover each matcher operation exhaustively; here every rule is
 * checked once through real HTTP. Most tests use tests/fixtures/integration/api. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

TestSuite(serve, .init = h_setup, .fini = h_teardown, .timeout = 60);

#define API_NSTUBS 62

static struct h_server *api(void)
{
	return h_serve(h_fixture("api"), NULL);
}

/* One request of a table: what to send and what must come back. */
struct row {
	const char *method;          /* NULL: GET */
	const char *path;
	const char *header1, *header2;
	const char *body;
	long status;
	const char *want;            /* exact body; NULL: any */
};

static void run_rows(const struct h_server *s, const struct row *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct row *w = &rows[i];
		const char *headers[3] = { w->header1, w->header2, NULL };
		struct h_response *r = h_request(s, w->method, w->path, w->body, headers);

		cr_expect(r->curl_code == 0, "%s %s: transfer failed: %s", w->method ? w->method : "GET", w->path,
			  r->error);
		cr_expect(r->status == w->status && (!w->want || strcmp(r->body, w->want) == 0),
			  "%s %s [%s%s%s%s%s]: got %ld '%s', expected %ld '%s'", w->method ? w->method : "GET",
			  w->path, w->header1 ? w->header1 : "", w->header2 ? "; " : "", w->header2 ? w->header2 : "",
			  w->body ? " body: " : "", w->body ? w->body : "", r->status, r->body, w->status,
			  w->want ? w->want : "(any)");
	}
}

#define RUN_ROWS(s, rows) run_rows((s), (rows), sizeof(rows) / sizeof((rows)[0]))

/* The rows against a fresh server on the api fixture, which must then exit cleanly. */
static void api_rows(const struct row *rows, size_t n)
{
	struct h_server *s = api();

	run_rows(s, rows, n);
	h_server_stop_ok(s);
}

#define API_ROWS(rows) api_rows((rows), sizeof(rows) / sizeof((rows)[0]))

/* ---- responses --------------------------------------------------------------------------- */

Test(serve, text_body)
{
	struct h_server *s = api();
	struct h_response *r = h_get(s, "/r/text");

	h_assert_response(r, "/r/text", 200, "hello, world\n");
	cr_expect_str_eq(h_header(r, "Content-Type"), "text/plain; charset=utf-8");
	h_server_stop_ok(s);
}

Test(serve, json_body_is_compact_json)
{
	struct h_server *s = api();
	struct h_response *r = h_get(s, "/r/json");
	const char *ct;

	h_assert_response(r, "/r/json", 200,
			  "{\"id\":42,\"name\":\"Ada Lovelace\",\"zip\":\"02134\",\"ratio\":0.5,\"admin\":false,"
			  "\"tags\":[\"a\",\"b\"],\"manager\":null,\"address\":{\"city\":\"London\"}}");
	ct = h_header(r, "Content-Type");
	cr_expect(ct && strncmp(ct, "application/json", 16) == 0, "Content-Type: %s", ct ? ct : "(none)");
	h_server_stop_ok(s);
}

Test(serve, status_without_body)
{
	struct h_server *s = api();
	struct h_response *r = h_request(s, "POST", "/r/created", "", NULL);
	const char *cl;

	h_assert_response(r, "POST /r/created", 201, "");
	cl = h_header(r, "Content-Length");
	cr_expect(!cl || strcmp(cl, "0") == 0, "Content-Length: %s", cl);
	h_assert_get(s, "/r/teapot", 418, "short and stout");
	h_server_stop_ok(s);
}

Test(serve, headers_and_repeated_headers)
{
	struct h_server *s = api();
	struct h_response *r = h_get(s, "/r/headers");

	h_assert_response(r, "/r/headers", 202, "with headers");
	cr_expect_str_eq(h_header(r, "x-single") ? h_header(r, "x-single") : "(none)", "one");
	cr_expect_eq(h_header_count(r, "X-Multi"), 2, "X-Multi should be sent twice, got %zu",
		     h_header_count(r, "X-Multi"));
	if (h_header_count(r, "X-Multi") == 2) {
		cr_expect_str_eq(h_header_nth(r, "X-Multi", 0), "first");
		cr_expect_str_eq(h_header_nth(r, "X-Multi", 1), "second");
	}
	h_server_stop_ok(s);
}

Test(serve, content_type_header_wins)
{
	struct h_server *s = api();
	struct h_response *r = h_get(s, "/r/ctype");

	h_assert_response(r, "/r/ctype", 200, "{\"data\":[]}");
	cr_expect_eq(h_header_count(r, "Content-Type"), 1, "one Content-Type expected, got %zu",
		     h_header_count(r, "Content-Type"));
	cr_expect_str_eq(h_header(r, "Content-Type") ? h_header(r, "Content-Type") : "(none)",
			 "application/vnd.api+json");
	h_server_stop_ok(s);
}

Test(serve, file_bodies)
{
	struct h_server *s = api();
	struct h_response *r = h_get(s, "/r/page");
	size_t len;
	char *want = h_slurp(h_fixture("api/files/page.html"), &len);
	const char *ct;

	h_assert_response(r, "/r/page", 200, want);
	ct = h_header(r, "Content-Type");
	cr_expect(ct && strncmp(ct, "text/html", 9) == 0, "Content-Type: %s", ct ? ct : "(none)");

	r = h_get(s, "/r/blob");
	want = h_slurp(h_fixture("api/files/blob.unknownext"), &len);
	cr_expect_eq(r->status, 200);
	cr_expect(r->body_len == len && memcmp(r->body, want, len) == 0,
		  "binary file body differs (%zu bytes, expected %zu)", r->body_len, len);
	ct = h_header(r, "Content-Type");
	cr_expect_str_eq(ct ? ct : "(none)", "application/octet-stream");
	h_server_stop_ok(s);
}

Test(serve, template_false_serves_braces_literally)
{
	const char *dir = h_stub_dir("raw.yaml",
				     "name: raw\n"
				     "template: false\n"
				     "request: { path: /raw }\n"
				     "response:\n"
				     "  headers: { X-Raw: \"{{ uuid }}\" }\n"
				     "  json: { text: \"{{ request.path }}\" }\n",
				     NULL);
	struct h_server *s = h_serve(dir, NULL);
	struct h_response *r = h_get(s, "/raw");

	h_assert_response(r, "/raw", 200, "{\"text\":\"{{ request.path }}\"}");
	cr_expect_str_eq(h_header(r, "X-Raw") ? h_header(r, "X-Raw") : "(none)", "{{ uuid }}");
	h_server_stop_ok(s);
}

/* ---- matching ---------------------------------------------------------------------------- */

Test(serve, methods)
{
	static const struct row rows[] = {
		{ "PUT", "/m/list", NULL, NULL, NULL, 200, "list" },
		{ "PATCH", "/m/list", NULL, NULL, NULL, 200, "list" },
		{ "POST", "/m/list", NULL, NULL, NULL, 404, NULL },
		{ "GET", "/m/list", NULL, NULL, NULL, 404, NULL },
		{ "GET", "/m/any", NULL, NULL, NULL, 200, "any" },
		{ "DELETE", "/m/any", NULL, NULL, NULL, 200, "any" },
		{ "POST", "/m/omitted", NULL, NULL, "x", 200, "omitted" },
		{ "GET", "/m/omitted", NULL, NULL, NULL, 200, "omitted" },
		{ "DELETE", "/m/lower", NULL, NULL, NULL, 200, "lower" },
		{ "GET", "/m/lower", NULL, NULL, NULL, 404, NULL },
	};

	API_ROWS(rows);
}

Test(serve, paths)
{
	static const struct row rows[] = {
		{ NULL, "/p/exact", NULL, NULL, NULL, 200, "exact" },
		{ NULL, "/p/exact/", NULL, NULL, NULL, 404, NULL },
		{ NULL, "/p/exact?x=1", NULL, NULL, NULL, 200, "exact" },
		{ NULL, "/p/%65xact", NULL, NULL, NULL, 200, "exact" },
		{ NULL, "/p/with%20space", NULL, NULL, NULL, 200, "space" },
		{ NULL, "/p/users/7/posts/9", NULL, NULL, NULL, 200, "template" },
		{ NULL, "/p/users/7/posts", NULL, NULL, NULL, 404, NULL },
		{ NULL, "/p/users/7/posts/9/x", NULL, NULL, NULL, 404, NULL },
		{ NULL, "/p/files/a", NULL, NULL, NULL, 200, "rest" },
		{ NULL, "/p/files/a/b/c.txt", NULL, NULL, NULL, 200, "rest" },
		{ NULL, "/p/years/2024", NULL, NULL, NULL, 200, "regex" },
		{ NULL, "/p/years/24", NULL, NULL, NULL, 404, NULL },
		{ NULL, "/p/years/2024x", NULL, NULL, NULL, 404, NULL },
		{ NULL, "/x/p/years/2024", NULL, NULL, NULL, 404, NULL },
	};

	API_ROWS(rows);
}

Test(serve, winner_by_path_kind)
{
	static const struct row rows[] = {
		{ NULL, "/k/users/me", "X-Kind: 1", NULL, NULL, 200, "exact" },
		{ NULL, "/k/users/7", "X-Kind: 1", NULL, NULL, 200, "template" },
		{ NULL, "/k/users", "X-Kind: 1", NULL, NULL, 200, "regex" },
		{ NULL, "/elsewhere", "X-Kind: 1", NULL, NULL, 200, "none" },
		{ NULL, "/elsewhere", NULL, NULL, NULL, 404, NULL },
	};

	API_ROWS(rows);
}

Test(serve, winner_by_priority_conditions_and_load_order)
{
	static const struct row rows[] = {
		/* priority 10 beats an exact path at the default 100 */
		{ NULL, "/prio/x", NULL, NULL, NULL, 200, "priority" },
		/* more conditions win */
		{ NULL, "/c/x?a=1", "X-B: 2", NULL, NULL, 200, "two" },
		{ NULL, "/c/x?a=1", NULL, NULL, NULL, 200, "one" },
		{ NULL, "/c/x?a=2", "X-B: 2", NULL, NULL, 200, "zero" },
		{ NULL, "/c/x", NULL, NULL, NULL, 200, "zero" },
		/* then load order: files in byte order of relative path, then index */
		{ NULL, "/o/x", NULL, NULL, NULL, 200, "a" },
		{ NULL, "/o/y", NULL, NULL, NULL, 200, "first" },
		{ NULL, "/o/z", NULL, NULL, NULL, 200, "flat" },
	};

	API_ROWS(rows);
}

Test(serve, files_documents_and_hidden_names)
{
	static const struct row rows[] = {
		{ NULL, "/u/named", NULL, NULL, NULL, 200, "named" },
		{ NULL, "/u/first", NULL, NULL, NULL, 200, "first" },
		{ NULL, "/u/second", NULL, NULL, NULL, 200, "second" },
		{ NULL, "/single", NULL, NULL, NULL, 200, "single" },
		{ NULL, "/hidden", NULL, NULL, NULL, 404, NULL },
	};
	struct h_server *s = api();
	struct h_response *r;

	RUN_ROWS(s, rows);
	r = h_get(s, "/__cannery/stubs");
	h_assert_response(r, "/__cannery/stubs", 200, NULL);
	cr_expect(h_contains(r->body, "\"id\":\"doc0-named\""), "%s", r->body);
	cr_expect(h_contains(r->body, "\"id\":\"80-unnamed.yaml#1\""), "%s", r->body);
	cr_expect(h_contains(r->body, "\"id\":\"80-unnamed.yaml#2\""), "ids count across documents: %s", r->body);
	cr_expect(h_contains(r->body, "\"id\":\"single-mapping\""), "%s", r->body);
	cr_expect(!h_contains(r->body, "hidden-"), "dot files and dirs must be skipped: %s", r->body);
	h_server_stop_ok(s);
}

Test(serve, query)
{
	static const struct row rows[] = {
		{ NULL, "/q/search?q=hello+world", NULL, NULL, NULL, 200, "space" },
		{ NULL, "/q/search?q=hello%20world", NULL, NULL, NULL, 200, "space" },
		{ NULL, "/q/search?other=1&q=hello+world", NULL, NULL, NULL, 200, "space" },
		{ NULL, "/q/search?q=hello", NULL, NULL, NULL, 404, NULL },
		{ NULL, "/q/search", NULL, NULL, NULL, 404, NULL },
		{ NULL, "/q/tags?tag=a&tag=b", NULL, NULL, NULL, 200, "tag-b" },
		{ NULL, "/q/tags?tag=b&tag=a", NULL, NULL, NULL, 200, "tag-b" },
		{ NULL, "/q/tags?tag=a", NULL, NULL, NULL, 404, NULL },
		{ NULL, "/q/page?page=2", NULL, NULL, NULL, 200, "page-2" },
		{ NULL, "/q/page?page=17", NULL, NULL, NULL, 200, "page-digits" },
		{ NULL, "/q/page?page=a1", NULL, NULL, NULL, 404, NULL },
		{ NULL, "/q/page?page=12a", NULL, NULL, NULL, 404, NULL },
		{ NULL, "/q/enc?a%20b=c%26d", NULL, NULL, NULL, 200, "encoded" },
		{ NULL, "/q/enc?a+b=c%26d", NULL, NULL, NULL, 200, "encoded" },
		{ NULL, "/q/enc?a+b=c&d", NULL, NULL, NULL, 404, NULL },
	};

	API_ROWS(rows);
}

Test(serve, headers_and_cookies)
{
	static const struct row rows[] = {
		{ NULL, "/h/auth", "Authorization: Bearer abc", NULL, NULL, 200, "authed" },
		{ NULL, "/h/auth", "Authorization: Basic abc", NULL, NULL, 404, NULL },
		{ NULL, "/h/auth", NULL, NULL, NULL, 404, NULL },
		{ NULL, "/h/case", "x-api-key: secret", NULL, NULL, 200, "case" },
		{ NULL, "/h/case", "X-API-KEY: secret", NULL, NULL, 200, "case" },
		{ NULL, "/h/case", "X-Api-Key: Secret", NULL, NULL, 404, NULL },
		{ NULL, "/h/repeat", "X-Tag: one", "X-Tag: two", NULL, 200, "repeat" },
		{ NULL, "/h/repeat", "X-Tag: two", "X-Tag: one", NULL, 200, "repeat" },
		{ NULL, "/h/repeat", "X-Tag: one, two", NULL, NULL, 404, NULL },
		{ NULL, "/h/cookie", "Cookie: theme=dark; session=abc123", NULL, NULL, 200, "cookie" },
		{ NULL, "/h/cookie", "Cookie: session=abc123", NULL, NULL, 200, "cookie" },
		{ NULL, "/h/cookie", "Cookie: session=abc", NULL, NULL, 404, NULL },
		{ NULL, "/h/cookie", "X-Session: abc123", NULL, NULL, 404, NULL },
	};

	API_ROWS(rows);
}

Test(serve, bodies)
{
	static const struct row rows[] = {
		{ "POST", "/b/raw", "Content-Type: text/plain", NULL, "hay needle hay", 200, "raw" },
		{ "POST", "/b/raw", "Content-Type: text/plain", NULL, "hay hay", 404, NULL },
		{ "POST", "/b/raw", NULL, NULL, NULL, 404, NULL },

		{ "POST", "/b/json", "Content-Type: application/json", NULL,
		  "{\"tags\":[\"x\",\"y\"],\"age\":36.0,\"name\":\"Ada\"}", 200, "json" },
		{ "POST", "/b/json", "Content-Type: application/json", NULL,
		  " { \"name\" : \"Ada\", \"age\" : 3.6e1, \"tags\" : [ \"x\" , \"y\" ] } ", 200, "json" },
		{ "POST", "/b/json", "Content-Type: application/json", NULL,
		  "{\"name\":\"Ada\",\"age\":36,\"tags\":[\"y\",\"x\"]}", 404, NULL },
		{ "POST", "/b/json", "Content-Type: application/json", NULL,
		  "{\"name\":\"Ada\",\"age\":36,\"tags\":[\"x\",\"y\"],\"extra\":1}", 404, NULL },
		{ "POST", "/b/json", "Content-Type: application/json", NULL, "{\"name\":", 404, NULL },

		{ "POST", "/b/partial", "Content-Type: application/json", NULL,
		  "{\"user\":{\"name\":\"Ada\",\"id\":9},\"items\":[{\"id\":1,\"x\":true},{\"id\":2}],\"extra\":1}",
		  200, "partial" },
		{ "POST", "/b/partial", "Content-Type: application/json", NULL,
		  "{\"user\":{\"name\":\"Ada\"},\"items\":[{\"id\":1},{\"id\":2},{\"id\":3}]}", 404, NULL },
		{ "POST", "/b/partial", "Content-Type: application/json", NULL,
		  "{\"user\":{\"name\":\"Bob\"},\"items\":[{\"id\":1},{\"id\":2}]}", 404, NULL },

		{ "POST", "/b/path", "Content-Type: application/json", NULL,
		  "{\"user\":{\"name\":\"Ada\"},\"items\":[{\"id\":7}]}", 200, "json-path" },
		{ "POST", "/b/path", "Content-Type: application/json", NULL,
		  "{\"user\":{\"name\":\"Adam\"},\"items\":[{\"id\":\"7\"},{\"id\":8}]}", 200, "json-path" },
		{ "POST", "/b/path", "Content-Type: application/json", NULL,
		  "{\"user\":{\"name\":\"Bob\"},\"items\":[{\"id\":7}]}", 404, NULL },
		{ "POST", "/b/path", "Content-Type: application/json", NULL,
		  "{\"user\":{\"name\":\"Ada\"},\"items\":[]}", 404, NULL },

		{ "POST", "/b/form", "Content-Type: application/x-www-form-urlencoded", NULL,
		  "user=ada+lovelace&role=owner", 200, "form" },
		{ "POST", "/b/form", "Content-Type: application/x-www-form-urlencoded", NULL,
		  "role=admin&user=ada%20lovelace", 200, "form" },
		{ "POST", "/b/form", "Content-Type: application/x-www-form-urlencoded", NULL,
		  "user=ada+lovelace&role=guest", 404, NULL },
	};

	API_ROWS(rows);
}

Test(serve, matcher_operations)
{
	static const struct row rows[] = {
		{ NULL, "/ops/equals", "X-V: abc", NULL, NULL, 200, "equals" },
		{ NULL, "/ops/equals", "X-V: abcd", NULL, NULL, 404, NULL },
		{ NULL, "/ops/contains", "X-V: xbcx", NULL, NULL, 200, "contains" },
		{ NULL, "/ops/contains", "X-V: xbx", NULL, NULL, 404, NULL },
		{ NULL, "/ops/prefix", "X-V: abz", NULL, NULL, 200, "prefix" },
		{ NULL, "/ops/prefix", "X-V: zab", NULL, NULL, 404, NULL },
		{ NULL, "/ops/suffix", "X-V: zbc", NULL, NULL, 200, "suffix" },
		{ NULL, "/ops/suffix", "X-V: bcz", NULL, NULL, 404, NULL },
		{ NULL, "/ops/regex", "X-V: axc", NULL, NULL, 200, "regex" },
		{ NULL, "/ops/regex", "X-V: zaxc", NULL, NULL, 404, NULL },
		{ NULL, "/ops/regex", "X-V: axcz", NULL, NULL, 404, NULL },
		{ NULL, "/ops/one_of", "X-V: abc", NULL, NULL, 200, "one_of" },
		{ NULL, "/ops/one_of", "X-V: x", NULL, NULL, 200, "one_of" },
		{ NULL, "/ops/one_of", "X-V: y", NULL, NULL, 404, NULL },
		{ NULL, "/ops/present", "X-V: anything", NULL, NULL, 200, "present" },
		{ NULL, "/ops/present", NULL, NULL, NULL, 404, NULL },
		{ NULL, "/ops/absent", NULL, NULL, NULL, 200, "absent" },
		{ NULL, "/ops/absent", "X-V: here", NULL, NULL, 404, NULL },
		{ NULL, "/ops/not", "X-V: abc", NULL, NULL, 200, "not" },
		{ NULL, "/ops/not", "X-V: xyz", NULL, NULL, 404, NULL },
		{ NULL, "/ops/ignore_case", "X-V: aBc", NULL, NULL, 200, "ignore_case" },
		{ NULL, "/ops/ignore_case", "X-V: abd", NULL, NULL, 404, NULL },
		{ NULL, "/ops/combined", "X-V: abc", NULL, NULL, 200, "combined" },
		{ NULL, "/ops/combined", "X-V: azc", NULL, NULL, 404, NULL },
		{ NULL, "/ops/combined", "X-V: abd", NULL, NULL, 404, NULL },
	};

	API_ROWS(rows);
}

/* ---- unmatched requests ------------------------------------------------------------------ */

static const char near_yaml[] =
	"# near-miss fixture: the stub starts on line 2\n"
	"- name: secured\n"
	"  request:\n"
	"    method: GET\n"
	"    path: /secure\n"
	"    headers:\n"
	"      Authorization: { prefix: \"Bearer \" }\n"
	"  response:\n"
	"    body: ok\n";

Test(serve, unmatched_gets_404_with_near_miss)
{
	const char *dir = h_stub_dir("near.yaml", near_yaml, NULL);
	struct h_server *s = h_serve(dir, NULL);
	struct h_response *r = h_get(s, "/secure");
	const char *ct = h_header(r, "Content-Type");

	h_assert_response(r, "/secure", 404,
			  h_fmt("{\"error\":\"no stub matched\",\"method\":\"GET\",\"path\":\"/secure\","
				"\"near_misses\":[{\"stub\":\"secured\",\"file\":\"%s/near.yaml\",\"line\":2,"
				"\"mismatches\":[\"header authorization: expected prefix \\\"Bearer \\\", got nothing\"]}]}",
				dir));
	cr_expect(ct && strncmp(ct, "application/json", 16) == 0, "Content-Type: %s", ct ? ct : "(none)");
	h_assert_response(h_get_h(s, "/secure", "Authorization: Bearer t"), "/secure with a token", 200, "ok");
	h_server_stop_ok(s);
}

Test(serve, near_misses_closest_three)
{
	const char *dir = h_stub_dir("n.yaml",
				     "- name: far\n"
				     "  request: { method: POST, path: /other, headers: { X-A: a }, query: { page: { regex: '[0-9]+' } } }\n"
				     "  response: { body: far }\n"
				     "- name: three\n"
				     "  request: { method: POST, path: /nope, query: { page: { regex: '[0-9]+' } } }\n"
				     "  response: { body: three }\n"
				     "- name: two-a\n"
				     "  request: { method: POST, path: /target, query: { page: { regex: '[0-9]+' } } }\n"
				     "  response: { body: two-a }\n"
				     "- name: closest\n"
				     "  request: { method: GET, path: /target, query: { page: { regex: '[0-9]+' } } }\n"
				     "  response: { body: closest }\n"
				     "- name: two-b\n"
				     "  request: { method: GET, path: /nope, query: { page: { regex: '[0-9]+' } } }\n"
				     "  response: { body: two-b }\n",
				     NULL);
	struct h_server *s = h_serve(dir, NULL);
	struct h_response *r = h_get(s, "/target?page=abc");
	const char *closest, *a, *b;

	h_assert_response(r, "/target?page=abc", 404, NULL);
	cr_expect(h_contains(r->body, "\"path\":\"/target\""), "the path excludes the query: %s", r->body);
	cr_expect_eq(h_count_substr(r->body, "\"stub\":"), 3, "up to 3 near misses: %s", r->body);
	closest = strstr(r->body, "\"stub\":\"closest\"");
	a = strstr(r->body, "\"stub\":\"two-a\"");
	b = strstr(r->body, "\"stub\":\"two-b\"");
	cr_expect(closest && a && b && closest < a && a < b,
		  "expected closest, then two-a and two-b (ties in load order): %s", r->body);
	cr_expect(!h_contains(r->body, "\"stub\":\"far\"") && !h_contains(r->body, "\"stub\":\"three\""),
		  "%s", r->body);
	cr_expect(h_contains(r->body, "\"query page: expected regex \\\"[0-9]+\\\", got \\\"abc\\\"\""),
		  "mismatch text: %s", r->body);
	cr_expect(h_server_wait_log(s, "/target", "404", "closest", NULL),
		  "the access log should mention the closest stub:\n%s", h_server_stderr(s));
	h_server_stop_ok(s);
}

Test(serve, unmatched_with_no_stubs)
{
	struct h_server *s = h_serve(h_tmpdir(), NULL);

	h_assert_response(h_request(s, "DELETE", "/x", NULL, NULL), "DELETE /x", 404,
			  "{\"error\":\"no stub matched\",\"method\":\"DELETE\",\"path\":\"/x\",\"near_misses\":[]}");
	h_server_stop_ok(s);
}

Test(serve, unmatched_path_is_json_escaped)
{
	struct h_server *s = h_serve(h_tmpdir(), NULL);

	/* The decoded path holds a quote, a control character and a backslash. */
	h_assert_response(h_get(s, "/a%22b%01c%5C"), "GET /a%22b%01c%5C", 404,
			  "{\"error\":\"no stub matched\",\"method\":\"GET\",\"path\":\"/a\\\"b\\u0001c\\\\\","
			  "\"near_misses\":[]}");
	h_server_stop_ok(s);
}

/* ---- admin API --------------------------------------------------------------------------- */

Test(serve, admin_health)
{
	struct h_server *s = api();
	struct h_response *r = h_get(s, "/__cannery/health");
	const char *ct = h_header(r, "Content-Type");

	h_assert_response(r, "/__cannery/health", 200,
			  h_fmt("{\"status\":\"ok\",\"stubs\":%d,\"version\":\"0.1.0\"}", API_NSTUBS));
	cr_expect(ct && strncmp(ct, "application/json", 16) == 0, "Content-Type: %s", ct ? ct : "(none)");
	h_server_stop_ok(s);
}

Test(serve, admin_stubs)
{
	const char *dir = h_stub_dir("near.yaml", near_yaml, NULL);
	struct h_server *s = h_serve(dir, NULL);
	struct h_response *r = h_get(s, "/__cannery/stubs");

	h_assert_response(r, "/__cannery/stubs", 200,
			  h_fmt("{\"stubs\":[{\"id\":\"secured\",\"name\":\"secured\",\"file\":\"%s/near.yaml\","
				"\"line\":2,\"methods\":[\"GET\"],\"path\":\"/secure\",\"hits\":0}]}",
				dir));
	h_server_stop_ok(s);

	s = api();
	r = h_get(s, "/__cannery/stubs");
	h_assert_response(r, "/__cannery/stubs", 200, NULL);
	cr_expect_eq(h_count_substr(r->body, "\"id\":"), API_NSTUBS, "%s", r->body);
	cr_expect(h_contains(r->body, "\"methods\":[\"PUT\",\"PATCH\"]"), "methods upper-case, in order: %s",
		  r->body);
	cr_expect(h_contains(r->body, "\"methods\":[\"DELETE\"]"), "methods upper-case: %s", r->body);
	cr_expect(h_contains(r->body, "\"name\":null"), "unnamed stubs have name null: %s", r->body);
	h_server_stop_ok(s);
}

Test(serve, admin_unknown_path)
{
	struct h_server *s = api();
	struct h_response *r = h_get(s, "/__cannery/nope");
	const char *ct = h_header(r, "Content-Type");

	h_assert_response(r, "/__cannery/nope", 404, NULL);
	cr_expect(ct && strncmp(ct, "application/json", 16) == 0, "Content-Type: %s", ct ? ct : "(none)");
	cr_expect(h_contains(r->body, "\"error\""), "%s", r->body);
	h_server_stop_ok(s);
}

Test(serve, admin_reload)
{
	const char *dir = h_stub_dir("a.yaml",
				     "name: a\n"
				     "request: { path: /a }\n"
				     "response: { body: a1 }\n",
				     NULL);
	struct h_server *s = h_serve(dir, "--no-watch", NULL);
	struct h_response *r;

	h_assert_get(s, "/a", 200, "a1");
	h_write_file(dir, "a.yaml",
		     "name: a\n"
		     "request: { path: /a }\n"
		     "response: { body: a2 }\n");
	h_write_file(dir, "b.yaml",
		     "name: b\n"
		     "request: { path: /b }\n"
		     "response: { body: b }\n");
	h_assert_response(h_request(s, "POST", "/__cannery/reload", "", NULL), "POST /__cannery/reload", 200,
			  "{\"stubs\":2}");
	h_assert_get(s, "/a", 200, "a2");
	h_assert_get(s, "/b", 200, "b");

	/* An invalid file: 422 with the errors, and the old set keeps serving. */
	h_write_file(dir, "b.yaml",
		     "name: b\n"
		     "request: { path: /b, bogus: 1 }\n"
		     "response: { body: b2 }\n");
	r = h_request(s, "POST", "/__cannery/reload", "", NULL);
	h_assert_response(r, "POST /__cannery/reload (invalid)", 422, NULL);
	cr_expect(strncmp(r->body, "{\"errors\":[", 11) == 0, "%s", r->body);
	cr_expect(h_contains(r->body, "b.yaml:2:"), "the error should be located: %s", r->body);
	cr_expect(h_contains(r->body, "bogus"), "%s", r->body);
	h_assert_get(s, "/a", 200, "a2");
	h_assert_get(s, "/b", 200, "b");
	h_assert_get(s, "/__cannery/health", 200, "{\"status\":\"ok\",\"stubs\":2,\"version\":\"0.1.0\"}");
	h_server_stop_ok(s);
}

/* Readers hammer a stub while reloads swap the set: no request may fail. */
struct hammer {
	const struct h_server *s;
	int ok, bad;
	long last_status;
	char last_body[64];
};

static void *hammer_run(void *arg)
{
	struct hammer *h = arg;
	struct h_client *c = h_client_create();
	int i;

	for (i = 0; i < 150; i++) {
		struct h_response *r = h_client_request(c, h->s, NULL, "/r/text", NULL, 0, NULL);

		if (r->status == 200 && strcmp(r->body, "hello, world\n") == 0) {
			h->ok++;
		} else {
			h->bad++;
			h->last_status = r->status;
			snprintf(h->last_body, sizeof(h->last_body), "%.63s", r->curl_code ? r->error : r->body);
		}
	}
	return NULL;
}

Test(serve, requests_during_reloads_never_fail)
{
	struct h_server *s = h_serve(h_fixture("api"), "--no-watch", "--quiet", NULL);
	struct hammer hs[4];
	pthread_t t[4];
	int i;

	for (i = 0; i < 4; i++) {
		memset(&hs[i], 0, sizeof(hs[i]));
		hs[i].s = s;
		cr_assert(pthread_create(&t[i], NULL, hammer_run, &hs[i]) == 0);
	}
	for (i = 0; i < 20; i++)
		h_assert_response(h_request(s, "POST", "/__cannery/reload", "", NULL), "reload", 200,
				  h_fmt("{\"stubs\":%d}", API_NSTUBS));
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		cr_expect_eq(hs[i].bad, 0, "thread %d: %d of %d requests failed, last: %ld '%s'", i, hs[i].bad,
			     hs[i].ok + hs[i].bad, hs[i].last_status, hs[i].last_body);
	}
	h_server_stop_ok(s);
}

/* ---- connections and the access log ------------------------------------------------------ */

Test(serve, keep_alive)
{
	struct h_server *s = api();
	struct h_client *c = h_client_create();
	struct h_response *r1 = h_client_request(c, s, NULL, "/r/text", NULL, 0, NULL);
	struct h_response *r2 = h_client_request(c, s, NULL, "/r/json", NULL, 0, NULL);
	struct h_response *r3 = h_client_request(c, s, NULL, "/nothing-here", NULL, 0, NULL);

	h_assert_response(r1, "first request", 200, "hello, world\n");
	h_assert_response(r2, "second request", 200, NULL);
	h_assert_response(r3, "third request (404)", 404, NULL);
	cr_expect_eq(r1->num_connects, 1);
	cr_expect_eq(r2->num_connects, 0, "the second request should reuse the connection");
	cr_expect_eq(r3->num_connects, 0, "a 404 should keep the connection too");
	cr_expect_eq(r1->http_version, CURL_HTTP_VERSION_1_1, "HTTP/1.1 expected");
	h_server_stop_ok(s);
}

Test(serve, access_log)
{
	struct h_server *s = api();
	char *line, *err;
	int i;

	for (i = 0; i < 3; i++)
		h_assert_get(s, "/r/teapot", 418, "short and stout");
	line = h_server_wait_log(s, "GET", "/r/teapot", "418", "teapot", NULL);
	cr_assert(line, "no access log line with method, path, status and stub id:\n%s", h_server_stderr(s));
	cr_expect(h_contains(line, "ms"), "the line should carry a duration: %s", line);
	h_server_stop_ok(s);
	err = h_server_stderr(s);
	cr_expect_eq(h_count_lines(err, "/r/teapot"), 3, "one line per request:\n%s", err);
}

Test(serve, access_log_names_file_stub_ids)
{
	struct h_server *s = api();

	h_assert_get(s, "/u/second", 200, "second");
	cr_expect(h_server_wait_log(s, "/u/second", "200", "80-unnamed.yaml#2", NULL), "stderr:\n%s",
		  h_server_stderr(s));
	h_server_stop_ok(s);
}

Test(serve, quiet_has_no_access_log)
{
	struct h_server *s = h_serve(h_fixture("api"), "--quiet", NULL);
	char *err;

	h_assert_get(s, "/r/teapot", 418, "short and stout");
	h_assert_get(s, "/not-a-stub", 404, NULL);
	h_server_stop_ok(s);
	err = h_server_stderr(s);
	cr_expect(!h_contains(err, "/r/teapot") && !h_contains(err, "/not-a-stub"), "--quiet, yet:\n%s", err);
}

/*
 * The requests of one keep-alive connection share one request context (src/http.c
 * reuses it): nothing of a request may leak into the next, whatever each one was.
 */
Test(serve, requests_on_one_connection_are_independent)
{
	static const char *const bearer[] = { "Authorization: Bearer x", NULL };
	struct h_server *s = api();
	struct h_client *c = h_client_create();
	char *err;
	int i;

	for (i = 0; i < 10; i++) {
		struct h_response *r = h_client_request(c, s, "POST", "/b/raw", "a needle here", 13, NULL);

		h_assert_response(r, "POST with a matching body", 200, "raw");
		cr_expect(i == 0 || r->num_connects == 0, "round %d: the connection should be reused", i);
		r = h_client_request(c, s, "POST", "/b/raw", "no match", 8, NULL);
		h_assert_response(r, "POST whose body does not match", 404, NULL);
		cr_expect(h_contains(r->body, "body-raw"), "round %d: near miss expected: %s", i, r->body);
		r = h_client_request(c, s, NULL, "/h/auth", NULL, 0, bearer);
		h_assert_response(r, "GET with the header its stub wants", 200, "authed");
		r = h_client_request(c, s, NULL, "/h/auth", NULL, 0, NULL);
		h_assert_response(r, "the same GET without the header", 404, NULL);
		cr_expect(r->num_connects == 0, "round %d: a 404 should keep the connection", i);
	}
	h_server_stop_ok(s);
	err = h_server_stderr(s);
	cr_expect_eq(h_count_lines(err, "POST /b/raw 200"), 10, "stderr:\n%s", err);
	cr_expect_eq(h_count_lines(err, "POST /b/raw 404"), 10, "stderr:\n%s", err);
	cr_expect_eq(h_count_lines(err, "GET /h/auth 200"), 10, "stderr:\n%s", err);
	cr_expect_eq(h_count_lines(err, "GET /h/auth 404"), 10, "stderr:\n%s", err);
}

/* Per-connection memory (src/http.c) takes about 16 KiB of request headers. */
Test(serve, twelve_kib_of_headers_accepted)
{
	struct h_server *s = api();
	char *big = h_fmt("X-Big: %*s", 12 * 1024, "");

	memset(big + strlen("X-Big: "), 'b', 12 * 1024);
	h_assert_response(h_get_h(s, "/r/text", big), "GET with 12 KiB of headers", 200, "hello, world\n");
	h_server_stop_ok(s);
}
