/* SPDX-License-Identifier: MIT */
/* `cannery serve --openapi SPEC` (SPEC section 9, docs/openapi.md) through the real binary,
 * on tests/fixtures/integration/openapi/petstore.yaml (3.0, YAML, $refs to other files) and
 * petstore-31.json (3.1, JSON): the response choice, examples, schema-built and dynamic
 * bodies, Prefer and Accept, 404/405, request validation of every location with its 401,
 * 415, 400 and 422, the journal and the access log, --no-validate, precedence under stub
 * files, hot reload, bad specs and `check --openapi`. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "harness.h"

TestSuite(openapi, .init = h_setup, .fini = h_teardown, .timeout = 120);

static struct h_server *serve_petstore(const char *extra1, const char *extra2)
{
	return h_server_spawnv("serve", "--port", "0", h_fixture("openapi/petstore.yaml"), extra1, extra2, NULL);
}

static cJSON *body_json(const struct h_response *r)
{
	cJSON *j = cJSON_Parse(r->body);
	cr_assert(j, "not JSON: %s", r->body);
	return j;
}

/* The response's problem document: its errors[i].location and .message. */
static void assert_problem(const struct h_response *r, long status, const char *location, const char *message)
{
	cr_assert_eq(r->status, status, "status %ld, want %ld: %s", r->status, status, r->body);
	cr_expect_str_eq(h_header(r, "Content-Type"), "application/problem+json");
	cJSON *j = body_json(r);
	cr_expect_eq(cJSON_GetObjectItem(j, "status")->valueint, status);
	if (location) {
		bool found = false;
		const cJSON *e;
		cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "errors")) {
			const char *l = cJSON_GetObjectItem(e, "location")->valuestring;
			const char *m = cJSON_GetObjectItem(e, "message")->valuestring;
			if (strcmp(l, location) == 0 && (!message || strcmp(m, message) == 0))
				found = true;
		}
		cr_expect(found, "no error %s: %s in %s", location, message ? message : "*", r->body);
	}
	cJSON_Delete(j);
}

Test(openapi, ready_line_counts_operations_and_examples_are_served)
{
	struct h_server *s = serve_petstore(NULL, NULL);
	cr_expect_eq(s->nstubs, 8, "%s", s->ready_line);
	struct h_response *r = h_get(s, "/v1/pets/1");
	h_assert_response(r, "GET /v1/pets/1", 200, "{\"id\":1,\"name\":\"Tom\",\"tag\":\"cat\"}");
	cr_expect_str_eq(h_header(r, "Content-Type"), "application/json");
	h_assert_response(h_get_h(s, "/v1/pets/7", "Prefer: example=dog"), "example=dog", 200,
			  "{\"id\":2,\"name\":\"Rex\",\"tag\":\"dog\"}");
	h_assert_response(h_get_h(s, "/v1/pets/7", "Prefer: code=404"), "code=404", 404,
			  "{\"code\":404,\"message\":\"no such pet\"}");
	assert_problem(h_get_h(s, "/v1/pets/7", "Prefer: code=418"), 404, NULL, NULL);
	assert_problem(h_get_h(s, "/v1/pets/7", "Prefer: example=fish"), 404, NULL, NULL);
	h_server_stop_ok(s);
}

Test(openapi, bodies_built_from_schemas)
{
	struct h_server *s = serve_petstore(NULL, NULL);
	struct h_response *r = h_get(s, "/v1/pets");
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_expect_str_eq(h_header(r, "X-Total"), "2");
	cJSON *j = body_json(r);
	cr_assert(cJSON_IsArray(j));
	cr_expect_geq(cJSON_GetArraySize(j), 2);
	const cJSON *pet = cJSON_GetArrayItem(j, 0);
	cr_expect(cJSON_IsNumber(cJSON_GetObjectItem(pet, "id")));
	cr_expect(cJSON_IsString(cJSON_GetObjectItem(pet, "name")));
	const cJSON *owner = cJSON_GetObjectItem(pet, "owner");
	cr_expect(strchr(cJSON_GetObjectItem(owner, "email")->valuestring, '@'));
	cJSON_Delete(j);
	/* default is served as 200; a schema in another file; a recursive schema */
	r = h_get(s, "/v1/reports");
	cr_expect_eq(r->status, 200);
	j = body_json(r);
	cr_expect(cJSON_IsArray(cJSON_GetObjectItem(j, "rows")));
	cJSON_Delete(j);
	r = h_get(s, "/v1/tree");
	cr_expect_eq(r->status, 200);
	j = body_json(r);
	cr_expect(cJSON_IsString(cJSON_GetObjectItem(j, "name")));
	cJSON_Delete(j);
	/* a parameter inside a path segment */
	h_assert_response(h_get(s, "/v1/files/report.pdf"), "files", 200, "hello");
	assert_problem(h_get(s, "/v1/files/report.doc"), 422, "path.ext", NULL);
	h_server_stop_ok(s);
}

Test(openapi, accept_negotiation)
{
	struct h_server *s = serve_petstore(NULL, NULL);
	struct h_response *r = h_get_h(s, "/v1/reports", "Accept: text/csv");
	h_assert_response(r, "csv", 200, "a,b\n1,2\n");
	cr_expect_str_eq(h_header(r, "Content-Type"), "text/csv");
	r = h_get_h(s, "/v1/reports", "Accept: text/csv;q=0.5, application/json");
	cr_expect_str_eq(h_header(r, "Content-Type"), "application/json");
	r = h_get_h(s, "/v1/reports", "Accept: text/*");
	cr_expect_str_eq(h_header(r, "Content-Type"), "text/csv");
	assert_problem(h_get_h(s, "/v1/reports", "Accept: application/xml"), 406, NULL, NULL);
	h_server_stop_ok(s);
}

Test(openapi, unknown_path_is_404_and_other_method_405)
{
	struct h_server *s = serve_petstore(NULL, NULL);
	struct h_response *r = h_get(s, "/v1/petz");
	cr_expect_eq(r->status, 404);
	cr_expect(h_contains(r->body, "openapi:listPets"), "near misses: %s", r->body);
	cr_expect(!h_contains(r->body, "openapi:405"), "%s", r->body);
	r = h_request(s, "PUT", "/v1/pets", "{}", HDRS("Content-Type: application/json"));
	assert_problem(r, 405, NULL, NULL);
	cr_expect_str_eq(h_header(r, "Allow"), "GET, POST, HEAD");
	r = h_request(s, "PATCH", "/v1/pets/3", NULL, NULL);
	cr_expect_eq(r->status, 405);
	cr_expect_str_eq(h_header(r, "Allow"), "GET, DELETE, HEAD");
	/* HEAD like GET */
	r = h_request(s, "HEAD", "/v1/pets/1", NULL, NULL);
	cr_expect_eq(r->status, 200);
	/* without the servers prefix, nothing */
	cr_expect_eq(h_get(s, "/pets/1")->status, 404);
	h_server_stop_ok(s);
}

Test(openapi, parameters_are_validated)
{
	struct h_server *s = serve_petstore(NULL, NULL);
	assert_problem(h_get(s, "/v1/pets/abc"), 422, "path.petId", NULL);
	assert_problem(h_get(s, "/v1/pets?limit=1000"), 422, "query.limit", NULL);
	assert_problem(h_get(s, "/v1/pets?limit=x"), 422, "query.limit", NULL);
	cr_expect_eq(h_get(s, "/v1/pets?limit=10")->status, 200);
	assert_problem(h_get_h(s, "/v1/pets", "X-Trace: nothex!"), 422, "header.X-Trace", NULL);
	cr_expect_eq(h_get_h(s, "/v1/pets", "X-Trace: 0a1b2c3d")->status, 200);
	assert_problem(h_get_h(s, "/v1/pets", "Cookie: session=ab"), 422, "cookie.session", NULL);
	cr_expect_eq(h_get_h(s, "/v1/pets", "Cookie: session=abcd")->status, 200);
	h_server_stop_ok(s);
}

Test(openapi, bodies_and_security_are_validated)
{
	struct h_server *s = serve_petstore(NULL, NULL);
	const char *key = "X-API-Key: k";
	/* credentials first: 401 wins over the body */
	struct h_response *r = h_request(s, "POST", "/v1/pets", "{\"name\":12}", HDRS("Content-Type: application/json"));
	assert_problem(r, 401, "header.X-API-Key", NULL);
	cr_expect_str_eq(h_header(r, "WWW-Authenticate"), "ApiKey header=\"X-API-Key\"");
	r = h_request(s, "POST", "/v1/pets", "{\"name\":12}", HDRS("Content-Type: application/json", key));
	assert_problem(r, 422, "body.name", "expected string, got 12");
	r = h_request(s, "POST", "/v1/pets", "{\"name\":", HDRS("Content-Type: application/json", key));
	assert_problem(r, 400, "body", NULL);
	r = h_request(s, "POST", "/v1/pets", "name=x", HDRS("Content-Type: text/plain", key));
	assert_problem(r, 415, "header.Content-Type", NULL);
	r = h_request(s, "POST", "/v1/pets", NULL, HDRS("Content-Type: application/json", key));
	assert_problem(r, 422, "body", "request body is required");
	r = h_request(s, "POST", "/v1/pets", "{\"name\":\"Rex\"}", HDRS("Content-Type: application/json; charset=utf-8", key));
	h_assert_response(r, "valid POST", 201, "{\"id\":10,\"name\":\"Rex\"}");
	/* bearer */
	r = h_request(s, "DELETE", "/v1/pets/1", NULL, NULL);
	assert_problem(r, 401, "header.Authorization", NULL);
	cr_expect_str_eq(h_header(r, "WWW-Authenticate"), "Bearer");
	cr_expect_eq(h_request(s, "DELETE", "/v1/pets/1", NULL, HDRS("Authorization: Bearer t"))->status, 204);
	/* nested locations, and a form body read by the schema's types */
	r = h_request(s, "POST", "/v1/orders", "{\"items\":[{\"qty\":1},{\"qty\":0}]}", HDRS("Content-Type: application/json"));
	assert_problem(r, 422, "body.items.1.qty", NULL);
	cr_expect_eq(h_request(s, "POST", "/v1/orders", "qty=3&note=x", HDRS("Content-Type: application/x-www-form-urlencoded"))->status,
		     202);
	r = h_request(s, "POST", "/v1/orders", "qty=three", HDRS("Content-Type: application/x-www-form-urlencoded"));
	assert_problem(r, 422, "body.qty", NULL);
	h_server_stop_ok(s);
}

Test(openapi, problems_reach_the_journal_and_the_access_log)
{
	struct h_server *s = serve_petstore(NULL, NULL);
	struct h_response *r = h_request(s, "POST", "/v1/orders", "{\"items\":[{\"qty\":\"2\"}]}",
					 HDRS("Content-Type: application/json"));
	cr_assert_eq(r->status, 422);
	r = h_get(s, "/__cannery/requests");
	cr_expect(h_contains(r->body, "\"note\":\"Invalid request: body.items.0.qty: expected integer, got \\\"2\\\"\""),
		  "%s", r->body);
	cr_expect(h_contains(r->body, "\"stub\":\"openapi:createOrder\""), "%s", r->body);
	cr_expect(h_server_wait_log(s, "body.items.0.qty: expected integer", NULL), "access log: %s", h_server_stderr(s));
	h_server_stop_ok(s);
}

Test(openapi, no_validate_serves_invalid_requests)
{
	struct h_server *s = serve_petstore("--no-validate", NULL);
	cr_expect_eq(h_get(s, "/v1/pets/abc")->status, 200);
	cr_expect_eq(h_request(s, "POST", "/v1/pets", "nope", HDRS("Content-Type: text/plain"))->status, 201);
	h_server_stop_ok(s);
}

Test(openapi, dynamic_data_is_valid_and_seeded)
{
	struct h_server *a = serve_petstore("--seed", "42");
	struct h_server *b = serve_petstore("--seed", "42");
	struct h_response *ra = h_get_h(a, "/v1/reports", "Prefer: dynamic=true");
	struct h_response *rb = h_get_h(b, "/v1/reports", "Prefer: dynamic=true");
	cr_assert_eq(ra->status, 200);
	cr_expect_str_eq(ra->body, rb->body);
	cJSON *j = body_json(ra);
	cr_expect(cJSON_IsString(cJSON_GetObjectItem(j, "generated")));
	cr_expect_geq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "rows")), 1);
	cJSON_Delete(j);
	struct h_response *again = h_get_h(a, "/v1/reports", "Prefer: dynamic=true");
	cr_expect_str_neq(again->body, ra->body, "two draws alike: %s", ra->body);
	h_server_stop_ok(a);
	h_server_stop_ok(b);
}

Test(openapi, spec_31_in_json)
{
	const char *empty = h_tmpdir();
	struct h_server *s = h_server_spawnv("serve", "--port", "0", empty, "--openapi", h_fixture("openapi/petstore-31.json"), NULL);
	cr_expect_eq(s->nstubs, 3, "%s", s->ready_line);
	struct h_response *r = h_get(s, "/pets");
	cr_expect_eq(r->status, 200);
	assert_problem(h_get(s, "/pets/123"), 422, "path.id", NULL);
	cr_expect_eq(h_get(s, "/pets/0b5c7c4e-8c0a-4a8e-9c53-6f1b0f3e2a11")->status, 200);
	r = h_request(s, "POST", "/pets", "{\"id\":0,\"name\":\"x\"}", HDRS("Content-Type: application/json"));
	assert_problem(r, 422, "body.id", NULL);
	r = h_request(s, "POST", "/pets", "{\"id\":1,\"name\":\"x\",\"tag\":null}", HDRS("Content-Type: application/json"));
	cr_expect_eq(r->status, 201, "%s", r->body);
	h_server_stop_ok(s);
}

Test(openapi, stub_files_come_first)
{
	const char *dir = h_stub_dir("pets.yaml",
				     "request: {method: GET, path: /v1/pets/1}\n"
				     "response: {json: {from: stub}}\n",
				     NULL);
	struct h_server *s = h_server_spawnv("serve", "--port", "0", dir, "--openapi", h_fixture("openapi/petstore.yaml"), NULL);
	h_assert_get(s, "/v1/pets/1", 200, "{\"from\":\"stub\"}");
	h_assert_get(s, "/v1/pets/2", 200, "{\"id\":1,\"name\":\"Tom\",\"tag\":\"cat\"}");
	h_server_stop_ok(s);
}

static const char mini[] =
	"openapi: 3.0.0\n"
	"info: {title: t, version: '1'}\n"
	"paths:\n"
	"  /a:\n"
	"    get:\n"
	"      responses:\n"
	"        '200': {description: a, content: {application/json: {example: {v: 1}}}}\n";

Test(openapi, hot_reload_keeps_the_last_good_spec)
{
	const char *dir = h_tmpdir();
	h_write_file(dir, "api.yaml", mini);
	struct h_server *s = h_server_spawnv("serve", "--port", "0", h_fmt("%s/api.yaml", dir), NULL);
	h_assert_get(s, "/a", 200, "{\"v\":1}");
	char *changed = h_fmt("%s", mini);
	*strstr(changed, "v: 1") = 'w';
	h_write_file(dir, "api.yaml", changed);
	cr_expect(h_poll_get(s, "/a", 200, "{\"w\":1}", NULL));
	h_write_file(dir, "api.yaml", "openapi: 3.0.0\npaths:\n  /a: {get: {responses: {'200': {$ref: '#/nope'}}}}\n");
	cr_expect(h_server_wait_log(s, "api.yaml:3:", NULL), "%s", h_server_stderr(s));
	h_assert_get(s, "/a", 200, "{\"w\":1}");
	h_server_stop_ok(s);
}

Test(openapi, unusable_specs_exit_1_with_a_location)
{
	const char *dir = h_tmpdir();
	h_write_file(dir, "v2.yaml", "swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n");
	struct h_run *r = h_runv("serve", "--port", "0", "--openapi", h_fmt("%s/v2.yaml", dir), NULL);
	cr_expect_eq(r->exit_code, 1);
	cr_expect(h_contains(r->err, "v2.yaml:1:10:"), "%s", r->err);
	h_write_file(dir, "ref.yaml", "openapi: 3.0.0\npaths:\n  /a:\n    get:\n      responses:\n        '200': {$ref: 'gone.yaml#/R'}\n");
	r = h_runv("serve", "--port", "0", "--openapi", h_fmt("%s/ref.yaml", dir), NULL);
	cr_expect_eq(r->exit_code, 1);
	cr_expect(h_contains(r->err, "ref.yaml:6:"), "%s", r->err);
	h_write_file(dir, "syntax.yaml", "openapi: 3.0.0\npaths: [\n");
	r = h_runv("serve", "--port", "0", "--openapi", h_fmt("%s/syntax.yaml", dir), NULL);
	cr_expect_eq(r->exit_code, 1);
	cr_expect(h_contains(r->err, "syntax.yaml:"), "%s", r->err);
}

Test(openapi, check_reports_stubs_that_drift_from_the_spec)
{
	const char *dir = h_stub_dir("ok.yaml",
				     "- request: {method: GET, path: /v1/pets/1}\n"
				     "  response: {json: {id: 1, name: Tom}}\n"
				     "- request: {method: GET, path: '/v1/pets/{id}'}\n"
				     "  response: {status: 404, json: {code: 404, message: gone}}\n",
				     "drift.yaml",
				     "- request: {method: GET, path: /v1/pets/2}\n"
				     "  response: {json: {id: 2, name: 12}}\n"
				     "- request: {method: GET, path: /v1/cats}\n"
				     "  response: {json: {}}\n"
				     "- request: {method: PUT, path: /v1/pets}\n"
				     "  response: {status: 200}\n",
				     NULL);
	struct h_run *r = h_runv("check", "--openapi", h_fixture("openapi/petstore.yaml"), dir, NULL);
	cr_expect_eq(r->exit_code, 1, "%s", r->err);
	cr_expect(h_contains(r->err, "drift.yaml:1:3: error: stub 'drift.yaml#0': response body does not match GET /v1/pets/{petId} 200 (application/json): body.name: expected string, got 12"),
		  "%s", r->err);
	cr_expect(h_contains(r->err, "drift.yaml:3:3: error: stub 'drift.yaml#1': path '/v1/cats' is not in"), "%s", r->err);
	cr_expect(h_contains(r->err, "drift.yaml:5:3: error: stub 'drift.yaml#2': PUT /v1/pets is not an operation of"),
		  "%s", r->err);
	cr_expect(!h_contains(r->err, "ok.yaml"), "%s", r->err);
	h_remove_tree(h_fmt("%s/drift.yaml", dir));
	r = h_runv("check", "--openapi", h_fixture("openapi/petstore.yaml"), dir, NULL);
	cr_expect_eq(r->exit_code, 0, "%s", r->err);
}

/* `default` answers a Prefer code the operation does not declare, with that status, also
 * on the first request (the one that has the adapter build its prebuilt response). */
Test(openapi, prefer_code_served_by_default)
{
	struct h_server *s = serve_petstore(NULL, NULL);
	struct h_response *r = h_get_h(s, "/v1/reports", "Prefer: code=503");
	cr_expect_eq(r->status, 503, "%s", r->body);
	cr_expect(h_contains(r->body, "\"rows\""), "%s", r->body);
	cr_expect_eq(h_get(s, "/v1/reports")->status, 200);
	cr_expect_eq(h_get_h(s, "/v1/reports", "Prefer: code=599")->status, 599);
	h_server_stop_ok(s);
}

/* Without Accept, or with Accept: * / * (curl, fetch), JSON wins a tie over a media type
 * declared before it (Swagger's Petstore lists XML first); an Accept that asks for the
 * other one gets it. */
Test(openapi, json_wins_a_tie)
{
	const char *dir = h_tmpdir();
	h_write_file(dir, "api.yaml",
		     "openapi: 3.0.0\n"
		     "info: {title: t, version: '1'}\n"
		     "paths:\n"
		     "  /p:\n"
		     "    get:\n"
		     "      responses:\n"
		     "        '200':\n"
		     "          description: p\n"
		     "          content:\n"
		     "            application/xml: {example: '<p/>'}\n"
		     "            application/json: {example: {p: 1}}\n");
	struct h_server *s = h_server_spawnv("serve", "--port", "0", h_fmt("%s/api.yaml", dir), NULL);
	struct h_response *r = h_get_h(s, "/p", "Accept: */*");
	h_assert_response(r, "*/*", 200, "{\"p\":1}");
	r = h_get_h(s, "/p", "Accept:");
	h_assert_response(r, "no Accept", 200, "{\"p\":1}");
	r = h_get_h(s, "/p", "Accept: application/xml");
	h_assert_response(r, "xml", 200, "<p/>");
	h_server_stop_ok(s);
}
