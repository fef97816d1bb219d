/* SPDX-License-Identifier: MIT */
/* The dashboard's side of the server (SPEC section 11) end to end: the page with its
 * content type and security headers under the admin rules of section 6, and the admin
 * endpoints it reads: one journal entry with its near misses, the stub YAML for an entry
 * (saved and reloaded, it matches the same request: methods, paths with special
 * characters, query parameters, JSON, text and binary bodies), the last refused reload,
 * hits per stub. The page in a browser is tests/browser's. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

TestSuite(dashboard, .init = h_setup, .fini = h_teardown);

static const char api_yaml[] =
	"- name: get-user\n"
	"  request:\n"
	"    method: GET\n"
	"    path: /api/users/{id}\n"
	"    headers:\n"
	"      Authorization: { prefix: \"Bearer \" }\n"
	"  response:\n"
	"    json: { id: 1 }\n";

static cJSON *json(const struct h_response *r)
{
	cJSON *o = cJSON_Parse(r->body);
	cr_assert(o, "not JSON (status %ld): %s", r->status, r->body);
	return o;
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	cr_assert(cJSON_IsString(v), "no string '%s' in %s", key, cJSON_PrintUnformatted(o));
	return v->valuestring;
}

/* ---- the page ---- */

static void expect_page(const struct h_response *r)
{
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_expect_str_eq(h_header(r, "Content-Type"), "text/html; charset=utf-8");
	const char *csp = h_header(r, "Content-Security-Policy");
	cr_assert(csp, "no Content-Security-Policy");
	cr_expect(strncmp(csp, "default-src 'none'; ", 20) == 0, "%s", csp);
	cr_expect(h_contains(csp, "script-src 'sha256-") && h_contains(csp, "style-src 'sha256-"), "%s", csp);
	cr_expect(h_contains(csp, "connect-src 'self'") && h_contains(csp, "frame-ancestors 'none'"), "%s", csp);
	cr_expect(!h_contains(csp, "unsafe"), "%s", csp);
	cr_expect_str_eq(h_header(r, "X-Content-Type-Options"), "nosniff");
	cr_expect_str_eq(h_header(r, "X-Frame-Options"), "DENY");
	cr_expect_str_eq(h_header(r, "Referrer-Policy"), "no-referrer");
	cr_expect_str_eq(h_header(r, "Cache-Control"), "no-store");
	cr_expect_null(h_header(r, "Access-Control-Allow-Origin"), "no CORS on an admin answer");
}

Test(dashboard, page_is_one_self_contained_document)
{
	struct h_server *s = h_serve(h_stub_dir("api.yaml", api_yaml, NULL), "--no-watch", NULL);
	struct h_response *r = h_get(s, "/__cannery/ui");
	expect_page(r);
	cr_expect(strncmp(r->body, "<!DOCTYPE html>", 15) == 0);
	/* everything inline: one script and one style block, nothing fetched from anywhere */
	cr_expect_eq(h_count_substr(r->body, "<script"), 1);
	cr_expect_eq(h_count_substr(r->body, "<style"), 1);
	cr_expect(!h_contains(r->body, "<script src") && !h_contains(r->body, "<link rel=\"stylesheet"));
	cr_expect(!h_contains(r->body, "src=\"http") && !h_contains(r->body, "href=\"http") &&
		  !h_contains(r->body, "url(http") && !h_contains(r->body, "@import"));
	cr_expect(h_contains(r->body, "/__cannery"), "the page talks to the admin API");
	expect_page(h_get(s, "/__cannery/ui/"));
	expect_page(h_request(s, "HEAD", "/__cannery/ui", NULL, NULL));
	r = h_request(s, "POST", "/__cannery/ui", "x", NULL);
	cr_expect_eq(r->status, 405);
	cr_expect_str_eq(h_header(r, "Allow"), "GET, HEAD");
	/* the page is an admin call: not in the journal */
	cr_expect(h_contains(h_get(s, "/__cannery/requests")->body, "\"total\":0"));
	h_server_stop_ok(s);
}

Test(dashboard, page_follows_the_admin_rules)
{
	struct h_server *s = h_serve(h_stub_dir("api.yaml", api_yaml, NULL), "--no-watch", NULL);
	struct h_response *r = h_get_h(s, "/__cannery/ui", "Origin: http://evil.example");
	cr_expect_eq(r->status, 403, "%s", r->body);
	cr_expect(h_contains(r->body, "may not use the admin API"), "%s", r->body);
	cr_expect_eq(h_get_h(s, "/__cannery/ui", "Origin: null")->status, 403);
	expect_page(h_get_h(s, "/__cannery/ui", "Origin: http://localhost:5173"));
	expect_page(h_get_h(s, "/__cannery/ui", "Origin: http://127.0.0.1:8080"));
	/* DNS rebinding: the Host check holds for the page as for everything */
	cr_expect_eq(h_get_h(s, "/__cannery/ui", "Host: evil.example")->status, 403);
	cr_expect_eq(h_get_h(s, "/__cannery/requests/1", "Origin: http://evil.example")->status, 403);
	h_server_stop_ok(s);
}

Test(dashboard, with_a_token_the_page_loads_and_its_data_needs_the_token)
{
	struct h_server *s = h_serve(h_stub_dir("api.yaml", api_yaml, NULL), "--no-watch", "--admin-token", "s3cret",
				     NULL);
	/* a browser's navigation cannot send a bearer token: the page asks for it */
	expect_page(h_get(s, "/__cannery/ui"));
	h_get(s, "/api/users/1");
	cr_expect_eq(h_get(s, "/__cannery/requests?since=0")->status, 401);
	cr_expect_eq(h_get(s, "/__cannery/requests/1")->status, 401);
	cr_expect_eq(h_get(s, "/__cannery/requests/1/stub")->status, 401);
	cr_expect_eq(h_get(s, "/__cannery/reload")->status, 401);
	cr_expect_eq(h_get_h(s, "/__cannery/requests/1", "Authorization: Bearer wrong")->status, 401);
	struct h_response *r = h_get_h(s, "/__cannery/requests/1", "Authorization: Bearer s3cret");
	cr_expect_eq(r->status, 200, "%s", r->body);
	r = h_get_h(s, "/__cannery/requests/1/stub", "Authorization: Bearer s3cret");
	cr_expect_eq(r->status, 200, "%s", r->body);
	h_server_stop_ok(s);
}

/* ---- one entry ---- */

Test(dashboard, an_entry_in_full_with_its_near_misses)
{
	const char *dir = h_stub_dir("api.yaml", api_yaml, NULL);
	struct h_server *s = h_serve(dir, "--no-watch", NULL);
	cr_assert_eq(h_get_h(s, "/api/users/7", "Authorization: Bearer t0k3n")->status, 200);
	cr_assert_eq(h_get_h(s, "/api/users/7", "Authorization: Basic x")->status, 404);

	struct h_response *r = h_get(s, "/__cannery/requests/1");
	cr_assert_eq(r->status, 200, "%s", r->body);
	cJSON *o = json(r);
	const cJSON *req = cJSON_GetObjectItem(o, "request");
	cr_expect_eq(cJSON_GetObjectItem(req, "seq")->valuedouble, 1);
	cr_expect_str_eq(str(req, "stub"), "get-user");
	cr_expect_str_eq(str(cJSON_GetObjectItem(req, "headers"), "authorization"), "[redacted]");
	cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(o, "near_misses")), 0);
	const cJSON *by = cJSON_GetObjectItem(o, "answered_by");
	cr_expect_str_eq(str(by, "id"), "get-user");
	cr_expect_str_eq(str(by, "file"), h_fmt("%s/api.yaml", dir));
	cr_expect_eq(cJSON_GetObjectItem(by, "line")->valuedouble, 1);
	cJSON_Delete(o);

	r = h_get(s, "/__cannery/requests/2");
	cr_assert_eq(r->status, 200, "%s", r->body);
	o = json(r);
	cr_expect(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "request"), "stub")));
	cr_expect(cJSON_IsNull(cJSON_GetObjectItem(o, "answered_by")));
	const cJSON *near = cJSON_GetObjectItem(o, "near_misses");
	cr_assert_eq(cJSON_GetArraySize(near), 1, "%s", r->body);
	const cJSON *m = cJSON_GetArrayItem(near, 0);
	cr_expect_str_eq(str(m, "stub"), "get-user");
	cr_expect_eq(cJSON_GetObjectItem(m, "line")->valuedouble, 1);
	cr_expect_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(m, "mismatches"), 0)->valuestring,
			 "header authorization: expected prefix \"Bearer \", got \"Basic x\"");
	cJSON_Delete(o);

	/* the answers: the JSON the stub sent; nothing kept of the miss's 404 (its near misses
	 * are worked out again) */
	r = h_get(s, "/__cannery/requests/1");
	cr_expect(h_contains(r->body, "\"response\":{\"status\":200,\"kept\":true,\"content_type\":"
				      "\"application/json\",\"headers\":[[\"Access-Control-Allow-Origin\",\"*\"],"
				      "[\"Vary\",\"Origin\"]],\"body\":\"{\\\"id\\\":1}\",\"bytes\":8,"
				      "\"truncated\":false}"),
		  "%s", r->body);
	r = h_get(s, "/__cannery/requests/2");
	cr_expect(h_contains(r->body, "\"response\":{\"status\":404,\"kept\":false}"), "%s", r->body);

	/* unknown, evicted or malformed ones */
	cr_expect_eq(h_get(s, "/__cannery/requests/3")->status, 404);
	cr_expect_eq(h_get(s, "/__cannery/requests/0")->status, 404);
	cr_expect_eq(h_get(s, "/__cannery/requests/99999999999999999999999")->status, 404);
	cr_expect_eq(h_get(s, "/__cannery/requests/1x")->status, 404);
	cr_expect_eq(h_get(s, "/__cannery/requests/1/stubs")->status, 404);
	cr_expect_eq(h_request(s, "DELETE", "/__cannery/requests/1", NULL, NULL)->status, 405);
	cr_expect_eq(h_request(s, "DELETE", "/__cannery/requests", NULL, NULL)->status, 204);
	r = h_get(s, "/__cannery/requests/1");
	cr_expect_eq(r->status, 404);
	cr_expect(h_contains(r->body, "no such entry in the journal"), "%s", r->body);
	h_server_stop_ok(s);
}

Test(dashboard, what_an_entry_keeps_of_the_answer)
{
	const char *dir = h_stub_dir("r.yaml",
				     "- request: { path: /tpl }\n"
				     "  response: { headers: { Content-Type: text/csv }, body: \"n={{request.query.n}}\" }\n"
				     "- request: { path: /fx }\n"
				     "  response: { headers: { X-Fixed: '1' }, body: fixed }\n"
				     "- request: { path: /h }\n"
				     "  response:\n"
				     "    headers: { X-Id: '{{request.query.n}}', Set-Cookie: [a=1, b=2], Cache-Control: no-store }\n"
				     "    json: { ok: true }\n"
				     "- request: { path: /big }\n"
				     "  response: { file: big.txt }\n"
				     "- request: { path: /none }\n"
				     "  response: { status: 204 }\n"
				     "- request: { path: /reset }\n"
				     "  response: { fault: reset }\n",
				     NULL);
	/* 5000 bytes of two-byte characters: cut at 4096, inside none */
	char big[5001];
	for (int i = 0; i < 5000; i += 2) {
		big[i] = (char)0xc3;
		big[i + 1] = (char)0xa9;
	}
	big[5000] = '\0';
	h_write_file(dir, "big.txt", big);
	struct h_server *s = h_serve(dir, "--no-watch", NULL);
	h_get(s, "/tpl?n=7");
	h_get(s, "/big");
	h_get(s, "/none");
	h_get(s, "/reset");
	h_get(s, "/h?n=9");
	h_get(s, "/fx");
	struct h_response *r = h_get(s, "/__cannery/requests/1");
	cr_expect(h_contains(r->body, "\"response\":{\"status\":200,\"kept\":true,\"content_type\":\"text/csv\","
				      "\"headers\":[[\"Content-Type\",\"text/csv\"],[\"Access-Control-Allow-Origin\",\"*\"],"
				      "[\"Vary\",\"Origin\"]],\"body\":\"n=7\",\"bytes\":3,"
				      "\"truncated\":false}"),
		  "%s", r->body);
	/* the headers as sent, in order, one pair a line (templated, a list, CORS's) */
	r = h_get(s, "/__cannery/requests/5");
	cr_expect(h_contains(r->body, "\"headers\":[[\"X-Id\",\"9\"],[\"Set-Cookie\",\"a=1\"],[\"Set-Cookie\",\"b=2\"],"
				      "[\"Cache-Control\",\"no-store\"],[\"Access-Control-Allow-Origin\",\"*\"],"
				      "[\"Vary\",\"Origin\"],[\"Access-Control-Expose-Headers\",\"X-Id, Set-Cookie, "
				      "Cache-Control\"]]"),
		  "%s", r->body);
	/* a fixed response's, which the adapter adds only when it sends it */
	r = h_get(s, "/__cannery/requests/6");
	cr_expect(h_contains(r->body, "\"headers\":[[\"X-Fixed\",\"1\"],[\"Access-Control-Allow-Origin\",\"*\"],"
				      "[\"Vary\",\"Origin\"],[\"Access-Control-Expose-Headers\",\"X-Fixed\"]]"),
		  "%s", r->body);
	r = h_get(s, "/__cannery/requests/2");
	cr_expect(h_contains(r->body, "\"bytes\":5000,\"truncated\":true}"), "%s", r->body);
	cJSON *o = json(r);
	const char *body = str(cJSON_GetObjectItem(o, "response"), "body");
	cr_expect_eq(strlen(body), 4096, "whole characters up to the limit");
	cJSON_Delete(o);
	r = h_get(s, "/__cannery/requests/3");
	cr_expect(h_contains(r->body, "\"response\":{\"status\":204,\"kept\":true,\"content_type\":null,"
				      "\"headers\":[[\"Access-Control-Allow-Origin\",\"*\"],[\"Vary\",\"Origin\"]],\"body\":\"\","
				      "\"bytes\":0,\"truncated\":false}"),
		  "%s", r->body);
	r = h_get(s, "/__cannery/requests/4");
	cr_expect(h_contains(r->body, "\"response\":{\"status\":0,\"kept\":false}"), "%s", r->body);
	h_server_stop_ok(s);
}

/* ---- copy as stub ---- */

struct miss {
	const char *method;
	const char *path;           /* as sent (percent-encoded) */
	const char *body;           /* NULL: none */
	const char *type;           /* Content-Type, or NULL */
};

Test(dashboard, the_stub_for_a_miss_matches_it_once_saved)
{
	static const struct miss misses[] = {
		{ "GET", "/plain", NULL, NULL },
		{ "PURGE", "/cache/item", NULL, NULL },
		{ "GET", "/api/%7Bid%7D/a%20b/%C3%BC/x.y+z*%3F(q)[1]$^|\\", NULL, NULL },
		{ "GET", "/search?q=a+b&q=c&empty=&tag=%23x%3A%20y&u=%C3%A9t%C3%A9&k%20ey=%22v%27", NULL, NULL },
		{ "POST", "/orders?dry=true", "{\"sku\":\"A-1\",\"n\":[1,2.50,{\"deep\":null}],\"s\":\"x\\\"y\\n\"}",
		  "application/json" },
		{ "PUT", "/notes/1", "line one\nline \"two\": 'three' #four\n\t- five", "text/plain" },
		{ "POST", "/upload", "\xff\xfe\x01binary", "application/octet-stream" },
		{ "PATCH", "/yaml-ish", "- [a, b]\n? c\n: d\n&anchor *alias !!tag", NULL },
		{ "DELETE", "/t%C3%A9l%C3%A9/%E2%9C%93", NULL, NULL },
	};
	size_t n = sizeof(misses) / sizeof(misses[0]);
	const char *dir = h_stub_dir("api.yaml", api_yaml, NULL);
	struct h_server *s = h_serve(dir, "--no-watch", NULL);
	for (size_t i = 0; i < n; i++) {
		const struct miss *m = &misses[i];
		const char *hdr = m->type ? h_fmt("Content-Type: %s", m->type) : "Content-Type:";
		struct h_response *r = h_request(s, m->method, m->path, m->body, HDRS(hdr));
		cr_assert_eq(r->status, 404, "%s %s: %ld %s", m->method, m->path, r->status, r->body);
		r = h_get(s, h_fmt("/__cannery/requests/%zu/stub", i + 1));
		cr_assert_eq(r->status, 200, "%s", r->body);
		cr_expect_str_eq(h_header(r, "Content-Type"), "application/yaml; charset=utf-8");
		cr_expect(h_contains(r->body, h_fmt("method: %s", m->method)), "%s", r->body);
		cr_expect(!h_contains(r->body, "headers:"), "headers are not matched: %s", r->body);
		h_write_file(dir, h_fmt("copied-%zu.yaml", i + 1), r->body);
	}
	/* the path arrived as meant (braces make the stub a literal path_regex) */
	struct h_response *r = h_get(s, "/__cannery/requests/3");
	cr_expect(h_contains(r->body, "\"path\":\"/api/{id}/a b/\u00fc/x.y+z*?(q)[1]$^|\\\\\""), "%s", r->body);
	cr_expect(h_contains(h_get(s, "/__cannery/requests/3/stub")->body, "path_regex:"));
	r = h_request(s, "POST", "/__cannery/reload", NULL, NULL);
	cr_assert_eq(r->status, 200, "the copied stubs load: %s", r->body);
	for (size_t i = 0; i < n; i++) {
		const struct miss *m = &misses[i];
		const char *hdr = m->type ? h_fmt("Content-Type: %s", m->type) : "Content-Type:";
		r = h_request(s, m->method, m->path, m->body, HDRS(hdr));
		cr_expect_eq(r->status, 200, "%s %s: %ld %s", m->method, m->path, r->status, r->body);
	}
	/* and each was answered by its own copy, not by a looser one */
	r = h_get(s, h_fmt("/__cannery/requests?since=%zu", n));
	cJSON *o = json(r);
	const cJSON *list = cJSON_GetObjectItem(o, "requests");
	cr_assert_eq(cJSON_GetArraySize(list), (int)n);
	for (size_t i = 0; i < n; i++)
		cr_expect_str_eq(str(cJSON_GetArrayItem(list, (int)i), "stub"), h_fmt("copied-%zu.yaml#0", i + 1));
	cJSON_Delete(o);
	/* the same stubs do not match what they should not: another query value, another body */
	cr_expect_eq(h_get(s, "/search?q=other&empty=&tag=%23x%3A%20y&u=%C3%A9t%C3%A9&k%20ey=%22v%27")->status, 404);
	cr_expect_eq(h_request(s, "POST", "/orders?dry=true", "{\"sku\":\"A-2\"}", HDRS("Content-Type: application/json"))->status,
		     404);
	h_server_stop_ok(s);
}

Test(dashboard, the_stub_for_a_matched_entry_is_a_stub_too)
{
	const char *dir = h_stub_dir("api.yaml", api_yaml, NULL);
	struct h_server *s = h_serve(dir, "--no-watch", NULL);
	h_get_h(s, "/api/users/7", "Authorization: Bearer t0k3n");
	struct h_response *r = h_get(s, "/__cannery/requests/1/stub");
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_expect(h_contains(r->body, "path: /api/users/7"), "%s", r->body);
	cr_expect(!h_contains(r->body, "t0k3n"), "no credentials in the stub: %s", r->body);
	h_server_stop_ok(s);
}

/* ---- the last refused reload, hits ---- */

Test(dashboard, the_last_refused_reload)
{
	const char *dir = h_stub_dir("api.yaml", api_yaml, NULL);
	struct h_server *s = h_serve(dir, "--no-watch", NULL);
	struct h_response *r = h_get(s, "/__cannery/reload");
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_expect_str_eq(r->body, "{\"reloads\":0,\"reload_errors\":0,\"generation\":1,\"last_error\":null}");

	h_write_file(dir, "bad.yaml", "- request: { path: /x, methd: GET }\n");
	cr_assert_eq(h_request(s, "POST", "/__cannery/reload", NULL, NULL)->status, 422);
	r = h_get(s, "/__cannery/reload");
	cJSON *o = json(r);
	cr_expect_eq(cJSON_GetObjectItem(o, "reload_errors")->valuedouble, 1);
	const cJSON *last = cJSON_GetObjectItem(o, "last_error");
	cr_assert(cJSON_IsObject(last), "%s", r->body);
	cr_expect(cJSON_IsTrue(cJSON_GetObjectItem(last, "current")), "%s", r->body);
	cr_expect_eq(strlen(str(last, "time")), 24, "%s", r->body);
	const cJSON *errors = cJSON_GetObjectItem(last, "errors");
	cr_assert_eq(cJSON_GetArraySize(errors), 1, "%s", r->body);
	cr_expect_str_eq(cJSON_GetArrayItem(errors, 0)->valuestring,
			 h_fmt("%s/bad.yaml:1:24: error: unknown key 'methd' in 'request' (did you mean 'method'?)", dir));
	cJSON_Delete(o);

	/* fixed: kept, but no longer current */
	h_write_file(dir, "bad.yaml", "- request: { path: /x, method: GET }\n");
	cr_assert_eq(h_request(s, "POST", "/__cannery/reload", NULL, NULL)->status, 200);
	o = json(h_get(s, "/__cannery/reload"));
	last = cJSON_GetObjectItem(o, "last_error");
	cr_expect(cJSON_IsFalse(cJSON_GetObjectItem(last, "current")));
	cr_expect_eq(cJSON_GetObjectItem(o, "reloads")->valuedouble, 1);
	cJSON_Delete(o);
	cr_expect_eq(h_request(s, "PUT", "/__cannery/reload", NULL, NULL)->status, 405);
	h_server_stop_ok(s);
}

Test(dashboard, hot_reload_failures_are_kept_too)
{
	const char *dir = h_stub_dir("api.yaml", api_yaml, NULL);
	struct h_server *s = h_serve(dir, NULL);
	h_write_file(dir, "bad.yaml", "- request: [\n");
	cr_assert(h_server_wait_log(s, "reload failed", NULL), "%s", h_server_stderr(s));
	struct h_response *r = h_get(s, "/__cannery/reload");
	cr_expect(h_contains(r->body, "\"current\":true") && h_contains(r->body, "bad.yaml:"), "%s", r->body);
	h_server_stop_ok(s);
}

Test(dashboard, stubs_carry_their_hits)
{
	struct h_server *s = h_serve(h_stub_dir("api.yaml", api_yaml, NULL), "--no-watch", NULL);
	for (int i = 0; i < 3; i++)
		h_get_h(s, "/api/users/1", "Authorization: Bearer x");
	h_get(s, "/api/users/1");
	h_request(s, "POST", "/__cannery/stubs", "{\"name\":\"rt\",\"request\":{\"path\":\"/rt\"}}", NULL);
	/* reset does not touch them: they are the metrics' counters */
	cr_assert_eq(h_request(s, "POST", "/__cannery/reset", NULL, NULL)->status, 204);
	struct h_response *r = h_get(s, "/__cannery/stubs");
	cr_expect(h_contains(r->body, "\"path\":\"/api/users/{id}\",\"hits\":3}"), "%s", r->body);
	cr_expect(h_contains(r->body, "\"id\":\"rt\",\"name\":\"rt\",\"file\":null,\"line\":1,\"methods\":[],"
				      "\"path\":\"/rt\",\"hits\":0}"),
		  "%s", r->body);
	h_server_stop_ok(s);
}
