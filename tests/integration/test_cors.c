/* SPDX-License-Identifier: MIT */
/* CORS on stub routes (SPEC section 6): preflights, Allow-Origin on every stub-route
 * response (404 near misses, refusals, rendered and delayed answers included), an explicit
 * OPTIONS stub winning the preflight, --no-cors, and admin routes that never carry CORS. */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"

TestSuite(cors, .init = h_setup, .fini = h_teardown, .timeout = 60);

static const char api_yaml[] =
	"- name: todos\n"
	"  request: { method: GET, path: /api/todos }\n"
	"  response:\n"
	"    headers: { X-Total: \"2\", X-Trace: [a, b] }\n"
	"    json: [ { id: 1 }, { id: 2 } ]\n"
	"- name: create\n"
	"  request: { method: POST, path: /api/todos }\n"
	"  response: { status: 201, json: { id: \"{{seq | number}}\" }, delay: 10ms }\n"
	"- name: anything\n"
	"  request: { path: /api/any }\n"
	"  response: { body: any }\n"
	"- name: custom-options\n"
	"  request: { method: OPTIONS, path: /api/custom }\n"
	"  response: { status: 200, headers: { Allow: \"GET, OPTIONS\" }, body: custom }\n"
	"- name: own-cors\n"
	"  request: { path: /api/own }\n"
	"  response: { headers: { Access-Control-Allow-Origin: \"https://only.example\" }, body: own }\n";

static struct h_server *serve(const char *extra)
{
	const char *dir = h_stub_dir("api.yaml", api_yaml, NULL);
	return extra ? h_serve(dir, extra, NULL) : h_serve(dir, NULL);
}

static void expect_origin(const struct h_response *r, const char *what, const char *origin)
{
	const char *acao = h_header(r, "Access-Control-Allow-Origin");
	cr_expect(acao && strcmp(acao, origin) == 0, "%s: Access-Control-Allow-Origin '%s', want '%s'", what,
		  acao ? acao : "(none)", origin);
	cr_expect_eq(h_header_count(r, "Access-Control-Allow-Origin"), 1, "%s: one Allow-Origin", what);
	const char *vary = h_header(r, "Vary");
	cr_expect(vary && strcmp(vary, "Origin") == 0, "%s: Vary '%s'", what, vary ? vary : "(none)");
}

static void expect_no_cors(const struct h_response *r, const char *what)
{
	for (size_t i = 0; i < r->nheaders; i++)
		cr_expect(strncasecmp(r->headers[i], "access-control-", 15) != 0, "%s: unexpected %s", what,
			  r->headers[i]);
}

Test(cors, preflight)
{
	struct h_server *s = serve(NULL);
	struct h_response *r = h_request(s, "OPTIONS", "/api/todos", NULL,
					 HDRS("Origin: http://localhost:5173", "Access-Control-Request-Method: PUT",
					      "Access-Control-Request-Headers: content-type, x-token"));

	cr_expect_eq(r->status, 204);
	cr_expect_eq(r->body_len, 0);
	expect_origin(r, "preflight", "http://localhost:5173");
	cr_expect_str_eq(h_header(r, "Access-Control-Allow-Methods"), "PUT");
	cr_expect_str_eq(h_header(r, "Access-Control-Allow-Headers"), "content-type, x-token");
	cr_expect_str_eq(h_header(r, "Access-Control-Allow-Credentials"), "true");

	/* any path: the real request then gets the 404 with CORS, which a page can read */
	r = h_request(s, "OPTIONS", "/nowhere", NULL,
		      HDRS("Origin: http://app.test", "Access-Control-Request-Method: GET",
			   "Access-Control-Request-Private-Network: true"));
	cr_expect_eq(r->status, 204);
	cr_expect_null(h_header(r, "Access-Control-Allow-Headers"), "none requested, none echoed");
	cr_expect_str_eq(h_header(r, "Access-Control-Allow-Private-Network"), "true");

	/* OPTIONS without Access-Control-Request-Method is not a preflight: routed as usual */
	r = h_request(s, "OPTIONS", "/api/todos", NULL, HDRS("Origin: http://app.test"));
	cr_expect_eq(r->status, 404);
	expect_origin(r, "plain OPTIONS", "http://app.test");
	h_server_stop_ok(s);
}

Test(cors, explicit_options_stub_wins_but_any_method_does_not)
{
	struct h_server *s = serve(NULL);
	struct h_response *r = h_request(s, "OPTIONS", "/api/custom", NULL,
					 HDRS("Origin: http://app.test", "Access-Control-Request-Method: GET"));

	cr_expect_eq(r->status, 200);
	cr_expect_str_eq(r->body, "custom");
	cr_expect_str_eq(h_header(r, "Allow"), "GET, OPTIONS");
	expect_origin(r, "OPTIONS stub", "http://app.test");
	cr_expect_null(h_header(r, "Access-Control-Allow-Methods"), "the stub answers, not the built-in preflight");

	/* /api/any has no method: it does not swallow the preflight */
	r = h_request(s, "OPTIONS", "/api/any", NULL,
		      HDRS("Origin: http://app.test", "Access-Control-Request-Method: DELETE"));
	cr_expect_eq(r->status, 204);
	cr_expect_str_eq(h_header(r, "Access-Control-Allow-Methods"), "DELETE");
	/* ...but a plain OPTIONS reaches it */
	r = h_request(s, "OPTIONS", "/api/any", NULL, NULL);
	cr_expect_eq(r->status, 200);
	cr_expect_str_eq(r->body, "any");
	h_server_stop_ok(s);
}

Test(cors, every_stub_route_response)
{
	struct h_server *s = serve(NULL);
	struct h_response *r = h_get_h(s, "/api/todos", "Origin: https://app.example");

	h_assert_response(r, "GET /api/todos", 200, "[{\"id\":1},{\"id\":2}]");
	expect_origin(r, "with Origin", "https://app.example");
	cr_expect_str_eq(h_header(r, "Access-Control-Allow-Credentials"), "true");
	cr_expect_str_eq(h_header(r, "Access-Control-Expose-Headers"), "X-Total, X-Trace");
	cr_expect_eq(h_header_count(r, "X-Trace"), 2);

	/* without Origin: the prebuilt "*" answer */
	r = h_get(s, "/api/todos");
	expect_origin(r, "without Origin", "*");
	cr_expect_null(h_header(r, "Access-Control-Allow-Credentials"));
	cr_expect_str_eq(h_header(r, "Access-Control-Expose-Headers"), "X-Total, X-Trace");

	/* rendered and delayed */
	r = h_request(s, "POST", "/api/todos", "{}", HDRS("Origin: null"));
	h_assert_response(r, "POST /api/todos", 201, "{\"id\":1}");
	expect_origin(r, "rendered, Origin null", "null");
	r = h_request(s, "POST", "/api/todos", "{}", NULL);
	h_assert_response(r, "POST /api/todos", 201, "{\"id\":2}");
	expect_origin(r, "rendered, no Origin", "*");

	/* the 404 of an unmatched request, so a page can read its near misses */
	r = h_get_h(s, "/api/todoz", "Origin: https://app.example");
	cr_expect_eq(r->status, 404);
	cr_expect(h_contains(r->body, "near_misses"));
	expect_origin(r, "404", "https://app.example");
	r = h_get(s, "/api/todoz");
	expect_origin(r, "404 without Origin", "*");

	/* refusals before any stub: 400 for ambiguous framing */
	struct h_raw *raw = h_raw_str(s, "POST /api/todos HTTP/1.1\r\nHost: localhost\r\nOrigin: https://app.example\r\n"
				      "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n");
	cr_expect_eq(raw->status, 400);
	cr_expect(h_contains(raw->data, "Access-Control-Allow-Origin: https://app.example"), "%s", raw->data);

	/* a stub that sets Allow-Origin itself is left alone */
	r = h_get_h(s, "/api/own", "Origin: https://app.example");
	cr_expect_str_eq(h_header(r, "Access-Control-Allow-Origin"), "https://only.example");
	cr_expect_eq(h_header_count(r, "Access-Control-Allow-Origin"), 1);
	h_server_stop_ok(s);
}

Test(cors, admin_routes_never_carry_cors)
{
	struct h_server *s = serve(NULL);
	struct h_response *r = h_get_h(s, "/__cannery/health", "Origin: http://localhost:3000");

	cr_expect_eq(r->status, 200);
	expect_no_cors(r, "health");
	r = h_get(s, "/__cannery/nope");
	cr_expect_eq(r->status, 404);
	expect_no_cors(r, "unknown admin path");
	r = h_request(s, "OPTIONS", "/__cannery/health", NULL,
		      HDRS("Origin: http://localhost:3000", "Access-Control-Request-Method: GET"));
	cr_expect_neq(r->status, 204, "no built-in preflight for the admin API");
	expect_no_cors(r, "admin preflight");
	h_server_stop_ok(s);
}

Test(cors, no_cors)
{
	struct h_server *s = serve("--no-cors");
	struct h_response *r = h_get_h(s, "/api/todos", "Origin: https://app.example");

	cr_expect_eq(r->status, 200);
	expect_no_cors(r, "GET with --no-cors");
	cr_expect_null(h_header(r, "Vary"));
	r = h_get(s, "/api/nothing");
	cr_expect_eq(r->status, 404);
	expect_no_cors(r, "404 with --no-cors");
	r = h_request(s, "OPTIONS", "/api/todos", NULL,
		      HDRS("Origin: http://app.test", "Access-Control-Request-Method: PUT"));
	cr_expect_eq(r->status, 404, "no built-in preflight with --no-cors");
	expect_no_cors(r, "preflight with --no-cors");
	h_server_stop_ok(s);
}

/* examples/cors-frontend: what its page does, from the page's origin. */
Test(cors, example_frontend_stubs)
{
	const char *dir = h_fmt("%s/examples/cors-frontend/stubs", h_env("CANNERY_SRCDIR"));
	struct h_server *s = h_serve(dir, NULL);
	struct h_response *r = h_request(s, "OPTIONS", "/api/todos", NULL,
					 HDRS("Origin: http://localhost:8000", "Access-Control-Request-Method: POST",
					      "Access-Control-Request-Headers: content-type"));

	cr_expect_eq(r->status, 204);
	expect_origin(r, "preflight", "http://localhost:8000");
	cr_expect_str_eq(h_header(r, "Access-Control-Allow-Headers"), "content-type");
	r = h_request(s, "POST", "/api/todos", "{\"title\":\"Call the plumber\"}",
		      HDRS("Origin: http://localhost:8000", "Content-Type: application/json"));
	cr_expect_eq(r->status, 201, "%s", r->body);
	expect_origin(r, "POST", "http://localhost:8000");
	cr_expect(h_contains(r->body, "\"title\":\"Call the plumber\""), "%s", r->body);
	cr_expect_str_eq(h_header(r, "Location"), "/api/todos/1");
	cr_expect_str_eq(h_header(r, "Access-Control-Expose-Headers"), "Location");
	r = h_get_h(s, "/api/todos", "Origin: http://localhost:8000");
	cr_expect_eq(r->status, 200);
	cr_expect_str_eq(h_header(r, "X-Total-Count"), "2");
	cr_expect_str_eq(h_header(r, "Access-Control-Expose-Headers"), "X-Total-Count");
	r = h_get_h(s, "/api/nope", "Origin: http://localhost:8000");
	cr_expect_eq(r->status, 404);
	expect_origin(r, "404", "http://localhost:8000");
	h_server_stop_ok(s);
}
