/* SPDX-License-Identifier: MIT */
/* WireMock roots (SPEC section 8, docs/wiremock.md) through the real binary: a root given
 * as a DIR argument or with --wiremock, served with YAML stubs from one index; matching,
 * WireMock's precedence, bodies, scenarios, status messages, the four faults on the wire,
 * hot reload, `cannery check` and located load errors. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

TestSuite(wiremock, .init = h_setup, .fini = h_teardown, .timeout = 120);

static const char mappings_json[] =
	"{\"mappings\": [\n"
	"  {\"request\": {\"method\": \"GET\", \"url\": \"/users?active=true\"},\n"
	"   \"response\": {\"status\": 200, \"jsonBody\": [{\"id\": 1, \"score\": 2.0}]}},\n"
	"  {\"request\": {\"method\": \"GET\", \"urlPath\": \"/users\", \"queryParameters\": {\"page\": {\"matches\": \"[0-9]+\"}}},\n"
	"   \"response\": {\"status\": 200, \"headers\": {\"Content-Type\": \"application/json\"}, \"body\": \"[\\\"page\\\"]\"}},\n"
	"  {\"request\": {\"method\": \"POST\", \"url\": \"/users\", \"headers\": {\"Content-Type\": {\"contains\": \"json\"}},\n"
	"               \"bodyPatterns\": [{\"equalToJson\": {\"name\": \"ada\"}, \"ignoreExtraElements\": true}]},\n"
	"   \"response\": {\"status\": 201, \"bodyFileName\": \"created.json\", \"headers\": {\"Location\": \"/users/2\"}}},\n"
	"  {\"request\": {\"urlPathPattern\": \"/files/.*\"}, \"response\": {\"status\": 200, \"body\": \"old\"}},\n"
	"  {\"request\": {\"urlPathPattern\": \"/files/.*\"}, \"response\": {\"status\": 200, \"body\": \"newer\"}},\n"
	"  {\"priority\": 1, \"request\": {\"urlPathPattern\": \"/files/urgent.*\"}, \"response\": {\"body\": \"urgent\"}},\n"
	"  {\"request\": {\"url\": \"/teapot\"}, \"response\": {\"status\": 418, \"statusMessage\": \"Short and stout\", \"body\": \"tea\"}},\n"
	"  {\"request\": {\"url\": \"/secret\", \"basicAuthCredentials\": {\"username\": \"ada\", \"password\": \"pw\"}},\n"
	"   \"response\": {\"status\": 200, \"body\": \"in\"}}\n"
	"]}\n";

static const char scenario_json[] =
	"{\"mappings\": [\n"
	"  {\"scenarioName\": \"todo\", \"requiredScenarioState\": \"Started\", \"request\": {\"method\": \"GET\", \"url\": \"/todo\"},\n"
	"   \"response\": {\"body\": \"milk\"}},\n"
	"  {\"scenarioName\": \"todo\", \"requiredScenarioState\": \"Started\", \"newScenarioState\": \"added\",\n"
	"   \"request\": {\"method\": \"POST\", \"url\": \"/todo\", \"bodyPatterns\": [{\"contains\": \"bread\"}]},\n"
	"   \"response\": {\"status\": 201}},\n"
	"  {\"scenarioName\": \"todo\", \"requiredScenarioState\": \"added\", \"request\": {\"method\": \"GET\", \"url\": \"/todo\"},\n"
	"   \"response\": {\"body\": \"milk, bread\"}}\n"
	"]}\n";

static const char faults_json[] =
	"{\"mappings\": [\n"
	"  {\"request\": {\"url\": \"/empty\"}, \"response\": {\"fault\": \"EMPTY_RESPONSE\"}},\n"
	"  {\"request\": {\"url\": \"/garbage\"}, \"response\": {\"fault\": \"RANDOM_DATA_THEN_CLOSE\"}},\n"
	"  {\"request\": {\"url\": \"/chunk\"}, \"response\": {\"fault\": \"MALFORMED_RESPONSE_CHUNK\"}},\n"
	"  {\"request\": {\"url\": \"/reset\"}, \"response\": {\"fault\": \"CONNECTION_RESET_BY_PEER\"}}\n"
	"]}\n";

/* A WireMock root in a temporary directory: the mappings above and a body file. */
static const char *make_root(void)
{
	const char *dir = h_tmpdir();
	h_write_file(dir, "mappings/users.json", mappings_json);
	h_write_file(dir, "mappings/sub/todo.json", scenario_json);
	h_write_file(dir, "mappings/faults.json", faults_json);
	h_write_file(dir, "mappings/README.md", "not a mapping: ignored");
	h_write_file(dir, "__files/created.json", "{\"id\": 2, \"name\": \"ada\"}");
	return dir;
}

Test(wiremock, a_root_as_a_dir_argument_is_served)
{
	const char *root = make_root();
	struct h_server *s = h_serve(root, NULL);
	struct h_response *r = h_get(s, "/users?active=true");
	h_assert_response(r, "GET /users?active=true", 200, "[{\"id\":1,\"score\":2.0}]");
	cr_expect_null(h_header(r, "Content-Type"), "WireMock sends no Content-Type a mapping does not declare");
	r = h_get(s, "/users?active=false");
	cr_expect_eq(r->status, 404, "url is the whole target as sent");
	r = h_get(s, "/users?page=2");
	h_assert_response(r, "GET /users?page=2", 200, "[\"page\"]");
	cr_expect_str_eq(h_header(r, "Content-Type"), "application/json");
	r = h_request(s, "POST", "/users", "{\"name\": \"ada\", \"age\": 36}", HDRS("Content-Type: application/json"));
	h_assert_response(r, "POST /users", 201, "{\"id\": 2, \"name\": \"ada\"}");
	cr_expect_str_eq(h_header(r, "Location"), "/users/2");
	r = h_request(s, "POST", "/users", "{\"name\": \"bob\"}", HDRS("Content-Type: application/json"));
	cr_expect_eq(r->status, 404);
	cr_expect(h_contains(r->body, "body: expected json") && h_contains(r->body, "(ignoring extra elements)"), "%s",
		  r->body);
	r = h_get_h(s, "/secret", "Authorization: Basic YWRhOnB3");
	h_assert_response(r, "GET /secret", 200, "in");
	cr_expect_eq(h_get(s, "/secret")->status, 404);
	h_server_stop_ok(s);
}

Test(wiremock, an_unmatched_get_of_a_file_in___files_gets_the_file)
{
	const char *root = make_root();
	h_write_file(root, "__files/docs/index.html", "<h1>docs</h1>");
	struct h_server *s = h_serve(root, NULL);
	struct h_response *r = h_get(s, "/created.json?x=1");
	h_assert_response(r, "GET /created.json", 200, "{\"id\": 2, \"name\": \"ada\"}");
	cr_expect_str_eq(h_header(r, "Content-Type"), "application/json");
	r = h_get(s, "/docs/");
	h_assert_response(r, "GET /docs/", 200, "<h1>docs</h1>");
	cr_expect_str_eq(h_header(r, "Content-Type"), "text/html;charset=utf-8");
	cr_expect_eq(h_request(s, "POST", "/created.json", "x", NULL)->status, 404, "GET only");
	cr_expect_eq(h_get(s, "/missing.json")->status, 404);
	h_server_stop_ok(s);
}

Test(wiremock, newest_mapping_wins_a_tie_and_priority_beats_it)
{
	struct h_server *s = h_serve(make_root(), NULL);
	h_assert_get(s, "/files/a.txt", 200, "newer");
	h_assert_get(s, "/files/urgent-1", 200, "urgent");
	h_server_stop_ok(s);
}

Test(wiremock, mappings_and_yaml_stubs_share_one_index)
{
	const char *root = make_root();
	const char *stubs = h_stub_dir("a.yaml",
				       "- request: { path: /users, query: { page: '2' } }\n"
				       "  response: { body: yaml }\n"
				       "- request: { path: /only-yaml }\n"
				       "  response: { body: yaml only }\n",
				       NULL);
	struct h_server *s = h_serve(stubs, "--wiremock", root, NULL);
	/* a mapping's default priority 5 beats a stub's default 100 */
	h_assert_get(s, "/users?page=2", 200, "[\"page\"]");
	h_assert_get(s, "/only-yaml", 200, "yaml only");
	struct h_response *r = h_get(s, "/__cannery/stubs");
	cr_expect(h_contains(r->body, "mappings/users.json"), "%s", r->body);
	/* /__cannery/ keeps its own rule for what a file serves: 409 */
	r = h_get(s, "/__admin/mappings");
	const char *at = strstr(r->body, "\"id\":\"");
	cr_assert_not_null(at);
	char id[64];
	snprintf(id, sizeof(id), "%.36s", at + 6);
	r = h_request(s, "DELETE", h_fmt("/__cannery/stubs/%s", id), NULL, NULL);
	cr_expect_eq(r->status, 409, "%s: %s", id, r->body);
	h_server_stop_ok(s);
}

Test(wiremock, scenarios_walk_from_started)
{
	struct h_server *s = h_serve(make_root(), NULL);
	h_assert_get(s, "/todo", 200, "milk");
	struct h_response *r = h_request(s, "POST", "/todo", "buy bread", NULL);
	cr_expect_eq(r->status, 201);
	h_assert_get(s, "/todo", 200, "milk, bread");
	r = h_request(s, "POST", "/__cannery/reset", NULL, NULL);
	cr_expect_eq(r->status, 204);
	h_assert_get(s, "/todo", 200, "milk");
	h_server_stop_ok(s);
}

Test(wiremock, a_status_message_is_on_the_status_line)
{
	struct h_server *s = h_serve(make_root(), NULL);
	struct h_raw *raw = h_raw_str(s, "GET /teapot HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
	cr_expect(strncmp(raw->data, "HTTP/1.1 418 Short and stout\r\n", 30) == 0, "%s", raw->data);
	cr_expect(h_contains(raw->data, "\r\n\r\ntea"), "%s", raw->data);
	h_server_stop_ok(s);
}

static struct h_raw *until_close(const struct h_server *s, const char *request)
{
	return h_raw(s, request, strlen(request), H_UNTIL_CLOSE);
}

Test(wiremock, faults_behave_on_the_wire_as_wiremock_s)
{
	struct h_server *s = h_serve(make_root(), NULL);
	struct h_raw *raw = until_close(s, "GET /empty HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
	cr_expect(raw->closed && !raw->reset && raw->len == 0, "EMPTY_RESPONSE: closed with no bytes (%zu)", raw->len);
	raw = until_close(s, "GET /garbage HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
	cr_expect(raw->closed && raw->len == 36 && strcmp(raw->data, "lskdu018973t09sylgasjkfg1][]'./.sdlv") == 0,
		  "RANDOM_DATA_THEN_CLOSE: WireMock's 36 bytes (%zu)", raw->len);
	raw = until_close(s, "GET /chunk HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
	cr_expect(raw->closed && strncmp(raw->data, "HTTP/1.1 200 OK\r\n", 17) == 0 && raw->ncomplete == 0,
		  "MALFORMED_RESPONSE_CHUNK: a 200 head, no complete response: %s", raw->data);
	raw = until_close(s, "GET /reset HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
	cr_expect(raw->reset, "CONNECTION_RESET_BY_PEER: a reset");
	/* and the server goes on serving */
	h_assert_get(s, "/files/x", 200, "newer");
	h_server_stop_ok(s);
}

Test(wiremock, a_changed_mapping_file_reloads)
{
	const char *root = make_root();
	struct h_server *s = h_serve(root, NULL);
	h_assert_get(s, "/files/x", 200, "newer");
	h_write_file(root, "mappings/more.json",
		     "{\"priority\": 2, \"request\": {\"urlPathPattern\": \"/files/.*\"}, \"response\": {\"body\": \"reloaded\"}}");
	cr_expect(h_poll_get(s, "/files/x", 200, "reloaded", NULL), "a new mapping file takes effect");
	h_write_file(root, "__files/created.json", "{\"id\": 3}");
	struct h_response *r = NULL;
	bool changed = false;
	for (int i = 0; i < 200 && !changed; i++) {
		r = h_request(s, "POST", "/users", "{\"name\": \"ada\"}", HDRS("Content-Type: application/json"));
		changed = r->status == 201 && strcmp(r->body, "{\"id\": 3}") == 0;
		if (!changed)
			h_nap_ms(25);
	}
	cr_expect(changed, "a changed body file takes effect: %s", r ? r->body : "");
	h_write_file(root, "mappings/more.json", "{\"request\": {\"url\": [\"/x\"]}, \"response\": {}}");
	char *log = h_server_wait_log(s, "more.json:1:21: error: 'url' must be a string, got a sequence", NULL);
	cr_expect_not_null(log, "a bad edit is logged with its location");
	h_assert_get(s, "/files/x", 200, "reloaded");
	h_server_stop_ok(s);
}

Test(wiremock, check_and_serve_report_located_errors)
{
	const char *root = make_root();
	struct h_run *run = h_runv("check", root, NULL);
	cr_expect_eq(run->exit_code, 0, "%s", run->err);
	cr_expect(h_contains(run->out, "16 stubs in 3 files ok"), "%s", run->out);
	h_write_file(root, "mappings/bad.json", "{\"request\": {\"urlPatern\": \"/x\"}, \"response\": {\"fault\": \"BOOM\"}}");
	run = h_runv("check", root, NULL);
	cr_expect_eq(run->exit_code, 1);
	cr_expect(h_contains(run->err, "mappings/bad.json:1:14: error: unknown key 'urlPatern' in 'request' (did you mean 'urlPattern'?)"),
		  "%s", run->err);
	cr_expect(h_contains(run->err, "mappings/bad.json:1:56: error: unknown fault 'BOOM'"), "%s", run->err);
	run = h_runv("serve", root, "--port", "0", NULL);
	cr_expect_eq(run->exit_code, 1);
	cr_expect(h_contains(run->err, "bad.json:1:14: error: unknown key 'urlPatern'"), "%s", run->err);
}

/* ---- the /__admin/ API ---- */

static struct h_response *admin(const struct h_server *s, const char *method, const char *path, const char *body)
{
	return h_request(s, method, path, body, NULL);
}

Test(wiremock, admin_mappings_create_get_replace_delete)
{
	const char *root = make_root();
	struct h_server *s = h_serve(root, NULL);
	struct h_response *r = admin(s, "POST", "/__admin/mappings",
				     "{\"request\": {\"method\": \"GET\", \"urlPath\": \"/api/x\"}, \"response\": {\"status\": 201, \"body\": \"made\"}}");
	cr_assert_eq(r->status, 201, "%s", r->body);
	cr_expect_str_eq(h_header(r, "Content-Type"), "application/json");
	const char *at = strstr(r->body, "\"id\":\"");
	cr_assert_not_null(at, "%s", r->body);
	char id[37];
	snprintf(id, sizeof(id), "%s", at + 6);
	cr_expect(h_contains(r->body, "\"uuid\":\""), "%s", r->body);
	h_assert_get(s, "/api/x", 201, "made");
	r = admin(s, "GET", h_fmt("/__admin/mappings/%s", id), NULL);
	cr_expect_eq(r->status, 200);
	cr_expect(h_contains(r->body, "\"urlPath\":\"/api/x\""), "%s", r->body);
	r = admin(s, "PUT", h_fmt("/__admin/mappings/%s", id), "{\"request\": {\"urlPath\": \"/api/x\"}, \"response\": {\"body\": \"replaced\"}}");
	cr_expect_eq(r->status, 200, "%s", r->body);
	cr_expect(h_contains(r->body, h_fmt("\"id\":\"%s\"", id)), "the id stays: %s", r->body);
	h_assert_get(s, "/api/x", 200, "replaced");
	r = admin(s, "GET", "/__admin/mappings", NULL);
	cr_expect(h_contains(r->body, "\"meta\":{\"total\":16}"), "15 file mappings and one from the API: %s", r->body);
	r = admin(s, "DELETE", h_fmt("/__admin/mappings/%s", id), NULL);
	h_assert_response(r, "DELETE mapping", 200, "{}");
	cr_expect_eq(h_get(s, "/api/x")->status, 404);
	r = admin(s, "DELETE", h_fmt("/__admin/mappings/%s", id), NULL);
	h_assert_response(r, "DELETE it again", 404, "");
	cr_expect_null(h_header(r, "Content-Type"));
	r = admin(s, "GET", "/__admin/mappings/not-a-uuid", NULL);
	h_assert_response(r, "a bad id", 400, "{\"errors\":[{\"code\":10,\"title\":\"not-a-uuid is not a valid UUID\"}]}");
	h_server_stop_ok(s);
}

Test(wiremock, admin_bad_bodies_are_422_with_the_location)
{
	struct h_server *s = h_serve(make_root(), NULL);
	struct h_response *r = admin(s, "POST", "/__admin/mappings", "{\"request\": {\"bogus\": 1}}");
	cr_expect_eq(r->status, 422);
	cr_expect(h_contains(r->body, "\"title\":\"Error parsing JSON\""), "%s", r->body);
	cr_expect(h_contains(r->body, "body:1:14: error: unknown key 'bogus' in 'request'"), "%s", r->body);
	r = admin(s, "POST", "/__admin/mappings", "{not json");
	cr_expect_eq(r->status, 422, "%s", r->body);
	r = admin(s, "POST", "/__admin/mappings", "{\"response\": {\"bodyFileName\": \"../mappings/users.json\"}}");
	cr_expect_eq(r->status, 422, "a body file outside __files: %s", r->body);
	const char *dup = "{\"id\": \"11111111-1111-1111-1111-111111111111\", \"request\": {\"url\": \"/d\"}}";
	cr_expect_eq(admin(s, "POST", "/__admin/mappings", dup)->status, 201);
	r = admin(s, "POST", "/__admin/mappings", dup);
	cr_expect_eq(r->status, 422);
	cr_expect(h_contains(r->body, "\"code\":109"), "%s", r->body);
	h_server_stop_ok(s);
}

Test(wiremock, admin_file_mappings_are_hidden_not_deleted_until_a_reset)
{
	const char *root = make_root();
	struct h_server *s = h_serve(root, NULL);
	struct h_response *r = admin(s, "DELETE", "/__admin/mappings", NULL);
	h_assert_response(r, "DELETE /__admin/mappings", 200, "{}");
	cr_expect_eq(h_get(s, "/files/x")->status, 404);
	cr_expect(h_contains(admin(s, "GET", "/__admin/mappings", NULL)->body, "\"total\":0"));
	char *file = h_slurp(h_fmt("%s/mappings/users.json", root), NULL);
	cr_expect_str_eq(file, mappings_json, "the file is not touched");
	admin(s, "POST", "/__admin/mappings", "{\"request\": {\"url\": \"/api\"}, \"response\": {\"body\": \"api\"}}");
	h_assert_get(s, "/api", 200, "api");
	r = admin(s, "POST", "/__admin/reset", NULL);
	h_assert_response(r, "reset", 200, "");
	h_assert_get(s, "/files/x", 200, "newer");
	cr_expect_eq(h_get(s, "/api")->status, 404, "a reset drops the API's mappings");
	h_server_stop_ok(s);
}

Test(wiremock, admin_journal_count_find_unmatched)
{
	struct h_server *s = h_serve(make_root(), NULL);
	h_get(s, "/files/a?x=1");
	h_get(s, "/files/b");
	h_get(s, "/nothing");
	struct h_response *r = admin(s, "POST", "/__admin/requests/count", "{\"method\": \"GET\", \"urlPathPattern\": \"/files/.*\"}");
	h_assert_response(r, "count", 200, "{\"count\":2,\"requestJournalDisabled\":false}");
	r = admin(s, "POST", "/__admin/requests/count", "{}");
	cr_expect(h_contains(r->body, "\"count\":3"), "the empty pattern counts everything: %s", r->body);
	r = admin(s, "POST", "/__admin/requests/find", "{\"url\": \"/files/a?x=1\"}");
	cr_expect(h_contains(r->body, "\"url\":\"/files/a?x=1\""), "%s", r->body);
	cr_expect(h_contains(r->body, "\"queryParams\":{\"x\":{\"key\":\"x\",\"values\":[\"1\"]}}"), "%s", r->body);
	r = admin(s, "GET", "/__admin/requests", NULL);
	cr_expect(h_contains(r->body, "\"meta\":{\"total\":3}"), "%s", r->body);
	cr_expect(strstr(r->body, "/nothing") < strstr(r->body, "/files/a"), "newest first: %s", r->body);
	cr_expect(h_contains(r->body, "\"wasMatched\":false"), "%s", r->body);
	r = admin(s, "GET", "/__admin/requests/unmatched", NULL);
	cr_expect(h_contains(r->body, "/nothing") && !h_contains(r->body, "/files/"), "%s", r->body);
	r = admin(s, "DELETE", "/__admin/requests", NULL);
	h_assert_response(r, "clear", 200, "{}");
	r = admin(s, "POST", "/__admin/requests/count", "{}");
	cr_expect(h_contains(r->body, "\"count\":0"), "%s", r->body);
	h_server_stop_ok(s);
}

Test(wiremock, admin_scenarios)
{
	struct h_server *s = h_serve(make_root(), NULL);
	struct h_response *r = admin(s, "GET", "/__admin/scenarios", NULL);
	cr_expect(h_contains(r->body, "\"name\":\"todo\",\"state\":\"Started\",\"possibleStates\":[\"Started\",\"added\"]"), "%s",
		  r->body);
	r = admin(s, "PUT", "/__admin/scenarios/todo/state", "{\"state\": \"added\"}");
	h_assert_response(r, "set", 200, "{}");
	h_assert_get(s, "/todo", 200, "milk, bread");
	r = admin(s, "PUT", "/__admin/scenarios/todo/state", "{\"state\": \"nowhere\"}");
	h_assert_response(r, "a state it has not", 422,
			  "{\"errors\":[{\"code\":11,\"title\":\"Scenario todo does not support state nowhere\"}]}");
	r = admin(s, "PUT", "/__admin/scenarios/unknown/state", "{\"state\": \"x\"}");
	cr_expect_eq(r->status, 404);
	r = admin(s, "POST", "/__admin/scenarios/reset", NULL);
	h_assert_response(r, "reset", 200, "{}");
	h_assert_get(s, "/todo", 200, "milk");
	h_server_stop_ok(s);
}

Test(wiremock, admin_rules_and_health)
{
	struct h_server *s = h_serve(make_root(), "--admin-token", "sesame", NULL);
	struct h_response *r = admin(s, "GET", "/__admin/mappings", NULL);
	cr_expect_eq(r->status, 401, "the admin token guards /__admin/ too");
	r = h_get_h(s, "/__admin/health", "Authorization: Bearer sesame");
	cr_expect_eq(r->status, 200);
	cr_expect(h_contains(r->body, "\"status\":\"healthy\",\"message\":\"Wiremock is ok\",\"version\":\"3.13.2\""), "%s", r->body);
	r = h_request(s, "GET", "/__admin/mappings", NULL, HDRS("Authorization: Bearer sesame", "Origin: https://evil.example"));
	cr_expect_eq(r->status, 403, "a foreign Origin may not");
	r = h_get_h(s, "/__admin/nothing", "Authorization: Bearer sesame");
	h_assert_response(r, "unknown admin path", 404, "");
	h_server_stop_ok(s);
}

Test(wiremock, the_admin_api_works_without_a_root)
{
	const char *stubs = h_stub_dir("a.yaml", "- request: { path: /yaml }\n  response: { body: yaml }\n", NULL);
	struct h_server *s = h_serve(stubs, NULL);
	struct h_response *r = admin(s, "POST", "/__admin/mappings", "{\"request\": {\"url\": \"/wm\"}, \"response\": {\"body\": \"wm\"}}");
	cr_expect_eq(r->status, 201, "%s", r->body);
	h_assert_get(s, "/wm", 200, "wm");
	h_assert_get(s, "/yaml", 200, "yaml");
	h_server_stop_ok(s);
}

Test(wiremock, response_templates_render_as_wiremock_s)
{
	const char *root = h_tmpdir();
	h_write_file(root, "mappings/t.json",
		     "{\"request\": {\"urlPathPattern\": \"/tpl/.*\"}, \"response\": {\"transformers\": [\"response-template\"],"
		     " \"headers\": {\"X-Method\": \"{{request.method}}\"},"
		     " \"body\": \"{{request.path}}|{{request.pathSegments.[1]}}|{{request.query.x}}|{{jsonPath request.body '$.a'}}\"}}");
	h_write_file(root, "mappings/literal.json",
		     "{\"request\": {\"url\": \"/literal\"}, \"response\": {\"body\": \"{{request.path}}\"}}");
	struct h_server *s = h_serve(root, NULL);
	struct h_response *r = h_request(s, "POST", "/tpl/a%20b/c?x=1&x=2", "{\"a\": \"A\"}", NULL);
	h_assert_response(r, "a template", 200, "/tpl/a b/c|a b|1|A");
	cr_expect_str_eq(h_header(r, "X-Method"), "POST");
	h_assert_get(s, "/literal", 200, "{{request.path}}");
	h_server_stop_ok(s);
}

Test(wiremock, a_proxy_base_url_forwards_to_another_server)
{
	/* the other server: a cannery with one stub */
	const char *up_stubs = h_stub_dir("up.yaml", "- request: { path: /api/items, query: { q: x } }\n"
						     "  response: { status: 201, headers: { X-Up: yes }, body: from upstream }\n", NULL);
	struct h_server *up = h_serve(up_stubs, NULL);
	const char *root = h_tmpdir();
	h_write_file(root, "mappings/proxy.json",
		     h_fmt("{\"request\": {\"urlPathPattern\": \"/api/.*\"}, \"response\": {\"proxyBaseUrl\": \"%s\"}}", up->url));
	h_write_file(root, "mappings/local.json", "{\"request\": {\"url\": \"/local\"}, \"response\": {\"body\": \"here\"}}");
	struct h_server *s = h_serve(root, NULL);
	struct h_response *r = h_get(s, "/api/items?q=x");
	h_assert_response(r, "GET /api/items?q=x through the proxy mapping", 201, "from upstream");
	cr_expect_str_eq(h_header(r, "X-Up"), "yes");
	h_assert_get(s, "/local", 200, "here");
	r = h_request(s, "POST", "/__admin/requests/count", "{\"urlPathPattern\": \"/api/.*\"}", NULL);
	cr_expect(h_contains(r->body, "\"count\":1"), "journaled: %s", r->body);
	h_server_stop_ok(s);
	h_server_stop_ok(up);
}
