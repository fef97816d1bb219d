/* SPDX-License-Identifier: MIT */
/* wiremock_load: WireMock mapping JSON into stubs. What each request key becomes in the
 * stub model (and how it then matches), what each response key serves, priority and
 * recency, scenarios, ids, and located errors for what is wrong or not supported. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "matcher.h"
#include "stub.h"
#include "testutil.h"
#include "util/xalloc.h"
#include "wiremock_load.h"

static uint64_t insertion;
static struct wm_out out;
static struct diag_list diags;
static struct wm_files files;

static void setup(void)
{
	tmpdir_enter("wiremock_load");
	make_dir("__files");
	files.shown = "__files";
	files.real = realpath("__files", NULL);
	insertion = 0;
	out = (struct wm_out){ NULL, 0, &insertion };
	diag_list_init(&diags);
}

static void teardown(void)
{
	for (size_t i = 0; i < out.n; i++)
		stub_destroy(out.stubs[i]);
	free(out.stubs);
	free((char *)files.real);
	diag_list_release(&diags);
	tmpdir_leave();
}

TestSuite(wiremock_load, .init = setup, .fini = teardown);

/* Loads text as file; asserts that it loads and returns its first stub. */
static struct stub *load(const char *text)
{
	size_t before = out.n;
	int rc = wm_load_file("m.json", text, strlen(text), &files, &out, &diags);
	char *why = diags_text(&diags);
	cr_assert_geq(rc, 1, "does not load: %s\n%s", text, why);
	free(why);
	return out.stubs[before];
}

/* Loads text, which must fail; returns the errors as text (caller frees). */
static char *errors_of(const char *text)
{
	diag_list_release(&diags);
	diag_list_init(&diags);
	size_t before = out.n;
	int rc = wm_load_file("m.json", text, strlen(text), &files, &out, &diags);
	cr_assert_eq(rc, -1, "loads, but should not: %s", text);
	cr_assert_eq(out.n, before, "nothing is appended on errors");
	return diags_text(&diags);
}

static void expect_error(const char *text, const char *want)
{
	char *got = errors_of(text);
	cr_expect(strstr(got, want) != NULL, "for %s\nexpected: %s\ngot: %s", text, want, got);
	free(got);
}

/* Whether the stub accepts a request: method, path (decoded), target as sent, one header
 * (NAME: VALUE, or NULL) and body (or NULL). */
static bool accepts(const struct stub *s, const char *method, const char *path, const char *target, const char *header,
		    const char *body)
{
	struct req q;
	req_init(&q, method, path);
	q.v.target = target;
	char name[64] = "";
	if (header) {
		size_t n = strcspn(header, ":");
		snprintf(name, sizeof(name), "%.*s", (int)n, header);
		req_header(&q, name, header + n + 2);
	}
	if (body)
		req_body(&q, body);
	bool ok = stub_method_ok(s, method) && stub_path_ok(s, &q.v, NULL) && stub_conditions_ok(s, &q.v);
	req_fini(&q);
	return ok;
}

Test(wiremock_load, a_minimal_mapping)
{
	struct stub *s = load("{\"request\": {\"url\": \"/remote-load/1\"}, \"response\": {\"body\": \"Remote load 1\"}}");
	cr_expect_eq(s->priority, 5, "WireMock's default priority");
	cr_expect_eq(s->insertion, 1);
	cr_expect_eq(s->req.nmethods, 0, "no method: any");
	cr_expect_eq(s->resp.status, 200);
	cr_expect_null(s->resp.content_type, "WireMock sends no Content-Type a mapping does not declare");
	cr_assert_eq(s->resp.nheaders, 1, "only WireMock's own Matched-Stub-Id");
	cr_expect_str_eq(s->resp.headers[0].name, "Matched-Stub-Id");
	cr_expect_str_eq(s->resp.headers[0].value, s->id);
	cr_expect_eq(s->resp.body_len, 13);
	cr_expect_str_eq(s->resp.handler->kind, "canned");
	cr_expect_eq(strlen(s->id), 36, "a generated UUID: %s", s->id);
	cr_expect_str_eq(s->file, "m.json");
	cr_expect_eq(s->line, 1);
	cr_expect(accepts(s, "DELETE", "/remote-load/1", "/remote-load/1", NULL, NULL));
	cr_expect_not(accepts(s, "GET", "/remote-load/1", "/remote-load/1?x=1", NULL, NULL), "url is the whole target");
}

Test(wiremock_load, ids_priority_and_bookkeeping_keys)
{
	struct stub *s = load("{\"id\": \"8e2b4a68-5c53-4ea2-9d6b-5d0f4c6c8b55\", \"uuid\": \"8e2b4a68-5c53-4ea2-9d6b-5d0f4c6c8b55\","
			      " \"name\": \"n\", \"persistent\": true, \"insertionIndex\": 3, \"metadata\": {\"a\": [1]},"
			      " \"priority\": 1, \"request\": {\"method\": \"ANY\"}, \"response\": {\"status\": 204}}");
	cr_expect_str_eq(s->id, "8e2b4a68-5c53-4ea2-9d6b-5d0f4c6c8b55");
	cr_expect_eq(s->priority, 1);
	cr_expect_eq(s->req.nmethods, 0, "ANY");
	cr_expect_eq(s->req.path_kind, PATH_NONE, "no URL: any");
	cr_expect_eq(s->resp.status, 204);
}

Test(wiremock_load, a_mappings_file_loads_in_order_and_later_is_newer)
{
	load("{\"mappings\": [{\"request\": {\"url\": \"/a\"}, \"response\": {}},\n"
	     "  {\"request\": {\"url\": \"/b\"}, \"response\": {}}], \"meta\": {\"total\": 2}}");
	cr_assert_eq(out.n, 2);
	cr_expect_str_eq(out.stubs[0]->req.path, "/a");
	cr_expect_lt(out.stubs[0]->insertion, out.stubs[1]->insertion);
	cr_expect_eq(out.stubs[1]->line, 2, "the line of its '{'");
	cr_expect_eq(out.stubs[1]->col, 3);
}

Test(wiremock_load, url_kinds)
{
	struct stub *s = load("{\"request\": {\"url\": \"/q%20r?x=1+2\"}, \"response\": {}}");
	cr_expect_str_eq(s->req.path, "/q r", "the router finds it by its decoded path");
	cr_expect(accepts(s, "GET", "/q r", "/q%20r?x=1+2", NULL, NULL));
	cr_expect_not(accepts(s, "GET", "/q r", "/q%20r?x=1%2B2", NULL, NULL));
	s = load("{\"request\": {\"urlPath\": \"/p\"}, \"response\": {}}");
	cr_expect(accepts(s, "GET", "/p", "/p?any=thing", NULL, NULL));
	s = load("{\"request\": {\"urlPattern\": \"/things/[0-9]+\\\\?x=.*\"}, \"response\": {}}");
	cr_expect(accepts(s, "GET", "/things/1", "/things/1?x=y", NULL, NULL));
	cr_expect_not(accepts(s, "GET", "/things/1", "/things/1", NULL, NULL));
	s = load("{\"request\": {\"urlPathPattern\": \"/things/[0-9]+\"}, \"response\": {}}");
	cr_expect(accepts(s, "GET", "/things/12", "/things/12?x=y", NULL, NULL));
	s = load("{\"request\": {\"urlPathTemplate\": \"/contacts/{contactId}/addresses/{addressId}\","
		 " \"pathParameters\": {\"contactId\": {\"matches\": \"[0-9]+\"}}}, \"response\": {}}");
	cr_expect_eq(s->req.path_kind, PATH_TEMPLATE);
	cr_expect(accepts(s, "GET", "/contacts/12/addresses/home", NULL, NULL, NULL));
	cr_expect_not(accepts(s, "GET", "/contacts/ab/addresses/home", NULL, NULL, NULL));
}

Test(wiremock_load, value_patterns)
{
	struct stub *s = load("{\"request\": {\"headers\": {"
			      "\"X-Eq\": {\"equalTo\": \"Abc\", \"caseInsensitive\": true},"
			      "\"X-Con\": {\"contains\": \"mid\"},"
			      "\"X-Not\": {\"doesNotContain\": \"bad\"},"
			      "\"X-Re\": {\"matches\": \"[0-9]+\"},"
			      "\"X-NoRe\": {\"doesNotMatch\": \"[0-9]+\"},"
			      "\"X-Gone\": {\"absent\": true},"
			      "\"X-Or\": {\"or\": [{\"equalTo\": \"a\"}, {\"equalTo\": \"b\"}]},"
			      "\"X-And\": {\"and\": [{\"contains\": \"a\"}, {\"contains\": \"b\"}]},"
			      "\"X-Json\": {\"equalToJson\": \"{\\\"a\\\": 1}\"}"
			      "}}, \"response\": {}}");
	cr_assert_eq(s->req.nheaders, 9);
	cr_expect_str_eq(s->req.headers[0].name, "x-eq", "header names are stored lower-case");
	const char *want[][3] = {
		{ "x-eq", "aBC", "abd" }, { "x-con", "a mid b", "a b" }, { "x-not", "good", "so bad" },
		{ "x-re", "123", "12a" }, { "x-nore", "12a", "123" }, { "x-or", "b", "c" },
		{ "x-and", "ba", "a" }, { "x-json", "{ \"a\" : 1.0 }", "{\"a\":2}" },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct matcher *m = &s->req.headers[i < 5 ? i : i + 1].m;
		cr_expect(matcher_test(m, want[i][1], strlen(want[i][1])), "%s accepts '%s'", want[i][0], want[i][1]);
		cr_expect_not(matcher_test(m, want[i][2], strlen(want[i][2])), "%s refuses '%s'", want[i][0], want[i][2]);
	}
	cr_expect(matcher_test(&s->req.headers[5].m, NULL, 0), "absent");
	cr_expect_not(matcher_test(&s->req.headers[5].m, "x", 1));
	cr_expect(matcher_test(&s->req.headers[2].m, NULL, 0), "doesNotContain holds when absent, as in WireMock");
}

Test(wiremock_load, query_cookies_and_basic_auth)
{
	struct stub *s = load("{\"request\": {\"queryParameters\": {\"page\": {\"equalTo\": \"2\"}},"
			      " \"cookies\": {\"session\": {\"matches\": \"s-.*\"}},"
			      " \"basicAuthCredentials\": {\"username\": \"ada\", \"password\": \"secret\"}}, \"response\": {}}");
	cr_expect_eq(s->req.nquery, 1);
	cr_expect_eq(s->req.ncookies, 1);
	cr_assert_eq(s->req.nheaders, 1);
	cr_expect_str_eq(s->req.headers[0].name, "authorization");
	cr_expect_str_eq(s->req.headers[0].m.clauses[0].text, "Basic YWRhOnNlY3JldA==");
	cr_expect(matcher_test(&s->req.headers[0].m, "basic YWRhOnNlY3JldA==", 22), "the scheme in any case");
	cr_expect_not(matcher_test(&s->req.headers[0].m, "Basic ywrhOnNlY3JldA==", 22), "the credentials exactly");
}

Test(wiremock_load, body_patterns)
{
	struct stub *s = load("{\"request\": {\"method\": \"POST\", \"bodyPatterns\": ["
			      "{\"contains\": \"milk\"},"
			      "{\"equalToJson\": {\"items\": [\"milk\", \"eggs\"]}, \"ignoreArrayOrder\": true, \"ignoreExtraElements\": true}"
			      "]}, \"response\": {}}");
	cr_assert_eq(s->req.nbodies, 2);
	cr_expect_eq(s->req.bodies[1].kind, BODY_JSON);
	cr_expect(s->req.bodies[1].cmp.ignore_array_order && s->req.bodies[1].cmp.ignore_extra);
	cr_expect(accepts(s, "POST", "/", NULL, NULL, "{\"items\": [\"eggs\", \"milk\", \"tea\"], \"more\": 1}"));
	cr_expect_not(accepts(s, "POST", "/", NULL, NULL, "{\"items\": [\"eggs\"], \"milk\": 1}"));
	s = load("{\"request\": {\"bodyPatterns\": [{\"equalToJson\": \"{\\\"a\\\": [1, 2]}\"}]}, \"response\": {}}");
	cr_expect(accepts(s, "POST", "/", NULL, NULL, "{\"a\":[1,2]}"), "equalToJson given as a string");
	cr_expect_not(accepts(s, "POST", "/", NULL, NULL, "{\"a\":[2,1]}"));
}

Test(wiremock_load, response_bodies)
{
	struct stub *s = load("{\"request\": {}, \"response\": {\"jsonBody\": {\"version\": 2.0, \"n\": 1234567890.12, \"s\": \"x\","
			      " \"list\": [true, null]}}}");
	cr_expect_str_eq(s->resp.body, "{\"version\":2.0,\"n\":1234567890.12,\"s\":\"x\",\"list\":[true,null]}",
			 "numbers as written");
	cr_expect_null(s->resp.content_type);
	s = load("{\"request\": {}, \"response\": {\"base64Body\": \"aGVsbG8=\"}}");
	cr_expect_eq(s->resp.body_len, 5);
	cr_expect_eq(memcmp(s->resp.body, "hello", 5), 0);
	put("__files/nested/body.xml", "<a/>");
	s = load("{\"request\": {}, \"response\": {\"bodyFileName\": \"nested/body.xml\","
		 " \"headers\": {\"Content-Type\": \"application/xml\", \"Set-Cookie\": [\"a=1\", \"b=2\"]}}}");
	cr_expect_str_eq(s->resp.body, "<a/>");
	cr_assert_eq(s->resp.nheaders, 4, "a list is one header line per value (and Matched-Stub-Id)");
	cr_expect_str_eq(s->resp.headers[2].value, "b=2");
}

Test(wiremock_load, delays_faults_and_scenarios)
{
	struct stub *s = load("{\"request\": {}, \"response\": {\"fixedDelayMilliseconds\": 250}}");
	cr_expect_eq(s->resp.delay_min_ms, 250);
	cr_expect_eq(s->resp.delay_max_ms, 250);
	s = load("{\"request\": {}, \"response\": {\"delayDistribution\": {\"type\": \"uniform\", \"lower\": 10, \"upper\": 20}}}");
	cr_expect_eq(s->resp.delay_min_ms, 10);
	cr_expect_eq(s->resp.delay_max_ms, 20);
	s = load("{\"request\": {}, \"response\": {\"fault\": \"CONNECTION_RESET_BY_PEER\"}}");
	cr_expect_str_eq(s->resp.handler->kind, "fault");
	s = load("{\"scenarioName\": \"To do\", \"requiredScenarioState\": \"Started\", \"newScenarioState\": \"Done\","
		 " \"request\": {}, \"response\": {}}");
	cr_expect_str_eq(s->scenario, "To do");
	cr_expect_str_eq(s->state, "start", "WireMock's Started is cannery's start: one set of states");
	cr_expect_str_eq(s->next_state, "Done");
	cr_expect(s->counts_hits);
}

Test(wiremock_load, errors_are_located_and_name_the_key)
{
	expect_error("{\"request\": {\"urll\": \"/x\"}, \"response\": {}}",
		     "m.json:1:14: error: unknown key 'urll' in 'request' (did you mean 'url'?)");
	expect_error("{\"request\": {\"host\": \"x\"}, \"response\": {}}",
		     "m.json:1:14: error: WireMock's 'host' in 'request' is not supported by cannery");
	expect_error("{\"request\": {\"headers\": {\"A\": {\"equalToXml\": \"<a/>\"}}}, \"response\": {}}",
		     "WireMock's 'equalToXml' in header 'A' is not supported by cannery");
	expect_error("{\"request\": {\"url\": \"/a\", \"urlPath\": \"/b\"}, \"response\": {}}",
		     "'request' has both 'url' and 'urlPath': give one");
	expect_error("{\"request\": {\"urlPattern\": \"(\"}, \"response\": {}}", "'urlPattern' is not a valid regex");
	expect_error("{\"request\": {}, \"response\": {\"status\": 99}}",
		     "'status' must be an integer from 100 to 599, got '99'");
	put("outside.txt", "secret");
	expect_error("{\"request\": {}, \"response\": {\"bodyFileName\": \"../outside.txt\"}}",
		     "'bodyFileName' must stay inside '__files', got '../outside.txt'");
	expect_error("{\"request\": {}, \"response\": {\"bodyFileName\": \"missing.txt\"}}",
		     "body file '__files/missing.txt' does not exist");
	expect_error("{\"request\": {}, \"response\": {\"body\": \"a\", \"jsonBody\": {}}}",
		     "'response' has both 'body' and 'jsonBody': give one body");
	expect_error("{\"request\": {}, \"response\": {\"fault\": \"NOPE\"}}", "unknown fault 'NOPE'");
	expect_error("{\"request\": {\"headers\": {\"A\": {}}}, \"response\": {}}", "header 'A' has no operator");
	expect_error("{\"id\": \"nope\", \"request\": {}}", "m.json:1:8: error: 'id' must be a UUID, got the string 'nope'");
	expect_error("[1]", "a mapping file must be a JSON object");
	expect_error("{\"request\": {\"url\": \"/a\", \"url\": \"/b\"}}", "m.json:1:27: error: duplicate key 'url' in 'request'");
	expect_error("{\"request\": ", "m.json:2:1: error: yaml syntax");
	expect_error("{\"mappings\": [{\"request\": {}, \"response\": {}}, {\"request\": {\"method\": [\"GET\"]}, \"response\": {}}]}",
		     "m.json:1:71: error: 'method' must be a string, got a sequence");
}

Test(wiremock_load, as_in_wiremock_no_request_is_any_and_no_response_a_200)
{
	struct stub *s = load("{\"id\": \"8e2b4a68-5c53-4ea2-9d6b-5d0f4c6c8b55\"}");
	cr_expect_eq(s->req.path_kind, PATH_NONE);
	cr_expect_eq(s->req.nmethods, 0);
	cr_expect_eq(s->resp.status, 200);
	cr_expect_str_eq(s->front_json, "{\"id\":\"8e2b4a68-5c53-4ea2-9d6b-5d0f4c6c8b55\",\"request\":{\"method\":\"ANY\"},"
					"\"response\":{\"status\":200},\"uuid\":\"8e2b4a68-5c53-4ea2-9d6b-5d0f4c6c8b55\"}");
}

Test(wiremock_load, the_mapping_as_wiremock_prints_it)
{
	struct stub *s = load("{\"priority\": 3, \"name\": \"n\", \"persistent\": false, \"insertionIndex\": 9,"
			      " \"response\": {\"jsonBody\": {\"v\": 2.0}},"
			      " \"request\": {\"urlPath\": \"/x\", \"method\": \"GET\"}, \"metadata\": {\"k\": \"v\"}}");
	char want[512];
	snprintf(want, sizeof(want),
		 "{\"id\":\"%s\",\"name\":\"n\",\"request\":{\"urlPath\":\"/x\",\"method\":\"GET\"},"
		 "\"response\":{\"jsonBody\":{\"v\":2.0},\"status\":200},\"uuid\":\"%s\",\"priority\":3,"
		 "\"metadata\":{\"k\":\"v\"}}", s->id, s->id);
	cr_expect_str_eq(s->front_json, want);
}

Test(wiremock_load, one_mapping_or_a_pattern_from_the_admin_api)
{
	const char *one = "{\"request\": {\"url\": \"/a\"}}";
	struct stub *s = wm_load_mapping("body", one, strlen(one), &files, 77,
					 "11111111-1111-1111-1111-111111111111", &diags);
	cr_assert_not_null(s);
	cr_expect_str_eq(s->id, "11111111-1111-1111-1111-111111111111");
	cr_expect_eq(s->insertion, 77);
	stub_destroy(s);
	cr_expect_null(wm_load_mapping("body", "[]", 2, &files, 1, NULL, &diags));
	cr_expect_null(wm_load_mapping("body", "{\"bogusTop\": 1}", 15, &files, 1, NULL, &diags));
	cr_expect_null(wm_load_mapping("body", "{not json", 9, &files, 1, NULL, &diags));
	char *text = diags_text(&diags);
	cr_expect(strstr(text, "body:1:1: error: a mapping must be a JSON object, got a sequence") != NULL, "%s", text);
	cr_expect(strstr(text, "body:1:2: error: unknown key 'bogusTop' in a mapping") != NULL, "%s", text);
	free(text);
	const char *pat = "{\"method\": \"GET\", \"url\": \"/tie\"}";
	struct stub *p = wm_load_pattern("body", pat, strlen(pat), &diags);
	cr_assert_not_null(p);
	cr_expect(accepts(p, "GET", "/tie", "/tie", NULL, NULL));
	cr_expect_not(accepts(p, "POST", "/tie", "/tie", NULL, NULL));
	stub_destroy(p);
	p = wm_load_pattern("body", "", 0, &diags);
	cr_assert_not_null(p);
	cr_expect(accepts(p, "DELETE", "/any", "/any", NULL, NULL), "an empty pattern: every request");
	stub_destroy(p);
	cr_expect(wm_is_uuid("8e2b4a68-5c53-4ea2-9d6b-5d0f4c6c8b55"));
	cr_expect_not(wm_is_uuid("8e2b4a68-5c53-4ea2-9d6b-5d0f4c6c8b5"));
	cr_expect_not(wm_is_uuid("not-a-uuid"));
}

Test(wiremock_load, decode_path)
{
	char *p = wm_decode_path("/a%20b%2Fc+d%zz%4", 17);
	cr_expect_str_eq(p, "/a b/c+d%zz%4");
	free(p);
}

Test(wiremock_load, matches_json_path_as_wiremock_reads_it)
{
	struct stub *s = load("{\"request\": {\"bodyPatterns\": [{\"matchesJsonPath\": \"$.a\"}]}}");
	cr_expect_eq(s->req.bodies[0].kind, BODY_JSONPATH);
	const char *found[] = { "{\"a\":1}", "{\"a\":false}", "{\"a\":\"\"}", "{\"a\":[0]}" };
	const char *not_found[] = { "{\"a\":null}", "{\"a\":[]}", "{\"a\":{}}", "{\"b\":1}", "not json" };
	for (size_t i = 0; i < 4; i++)
		cr_expect(accepts(s, "POST", "/", NULL, NULL, found[i]), "%s", found[i]);
	for (size_t i = 0; i < 5; i++)
		cr_expect_not(accepts(s, "POST", "/", NULL, NULL, not_found[i]), "%s", not_found[i]);
	s = load("{\"request\": {\"bodyPatterns\": [{\"matchesJsonPath\": \"$[?(@.['age'] =~ /[2-9][0-9]/)]\"}]}}");
	cr_expect(accepts(s, "POST", "/", NULL, NULL, "{\"age\": 25}"), "a filter on the root object tests it");
	cr_expect(accepts(s, "POST", "/", NULL, NULL, "{\"age\": \"25\"}"));
	cr_expect_not(accepts(s, "POST", "/", NULL, NULL, "{\"age\": 15}"));
	cr_expect(accepts(s, "POST", "/", NULL, NULL, "[{\"age\": 25}]"));
	s = load("{\"request\": {\"bodyPatterns\": [{\"matchesJsonPath\": {\"expression\": \"$.a\", \"equalTo\": \"1\"}}]}}");
	cr_expect(accepts(s, "POST", "/", NULL, NULL, "{\"a\": 1}"));
	cr_expect(accepts(s, "POST", "/", NULL, NULL, "{\"a\": \"1\"}"));
	cr_expect(accepts(s, "POST", "/", NULL, NULL, "{\"a\": [1]}"), "a one-item list is its item");
	cr_expect_not(accepts(s, "POST", "/", NULL, NULL, "{\"a\": 2}"));
	s = load("{\"request\": {\"bodyPatterns\": [{\"matchesJsonPath\": {\"expression\": \"$.items[*].id\", \"matches\": \"[0-9]+\"}}]}}");
	cr_expect(accepts(s, "POST", "/", NULL, NULL, "{\"items\": [{\"id\": 1}, {\"id\": 2}]}"));
	s = load("{\"request\": {\"bodyPatterns\": [{\"matchesJsonPath\": {\"expression\": \"$.a\", \"absent\": true}}]}}");
	cr_expect(accepts(s, "POST", "/", NULL, NULL, "{\"b\": 1}"));
	cr_expect_not(accepts(s, "POST", "/", NULL, NULL, "{\"a\": 1}"));
	s = load("{\"request\": {\"bodyPatterns\": [{\"matchesJsonPath\": {\"expression\": \"$.a\","
		 " \"equalToJson\": \"{\\\"k\\\": [1, 2]}\"}}]}}");
	cr_expect(accepts(s, "POST", "/", NULL, NULL, "{\"a\": {\"k\": [1, 2]}}"));
	cr_expect_not(accepts(s, "POST", "/", NULL, NULL, "{\"a\": {\"k\": [2, 1]}}"));
	expect_error("{\"request\": {\"bodyPatterns\": [{\"matchesJsonPath\": \"$.a[\"}]}}",
		     "'matchesJsonPath' is not a JSONPath WireMock reads");
	expect_error("{\"request\": {\"bodyPatterns\": [{\"matchesJsonPath\": {\"equalTo\": \"1\"}}]}}",
		     "'matchesJsonPath' needs 'expression'");
}

Test(wiremock_load, response_templates_only_with_the_transformer)
{
	struct stub *s = load("{\"request\": {}, \"response\": {\"body\": \"{{request.path}}\"}}");
	cr_expect_null(s->resp.body_tpl, "without response-template the text is sent as it is");
	cr_expect_str_eq(s->resp.handler->kind, "canned");
	s = load("{\"request\": {}, \"response\": {\"body\": \"path {{request.path}}\", \"transformers\": [\"response-template\"],"
		 " \"headers\": {\"X-Seg\": \"{{request.pathSegments.[0]}}\", \"X-Plain\": \"p\"}}}");
	cr_expect_not_null(s->resp.body_tpl);
	cr_expect_str_eq(s->resp.handler->kind, "template");
	cr_expect_not_null(s->resp.headers[0].tpl);
	cr_expect_null(s->resp.headers[1].tpl);
	s = load("{\"request\": {}, \"response\": {\"jsonBody\": {\"n\": \"{{jsonPath request.body '$.n'}}\"},"
		 " \"transformers\": [\"response-template\"]}}");
	cr_expect_not_null(s->resp.body_tpl, "a jsonBody renders as one template");
	expect_error("{\"request\": {}, \"response\": {\"body\": \"{{#if x}}y{{/if}}\", \"transformers\": [\"response-template\"]}}",
		     "m.json:1:38: error: WireMock template: block helper 'if' is not supported by cannery");
	expect_error("{\"request\": {}, \"response\": {\"transformers\": [\"my-transformer\"]}}",
		     "transformer 'my-transformer' is not supported by cannery (only response-template is)");
}

Test(wiremock_load, a_proxy_base_url_makes_a_forwarding_stub)
{
	struct stub *s = load("{\"request\": {\"urlPathPattern\": \"/api/.*\"}, \"response\": {\"proxyBaseUrl\": \"http://127.0.0.1:9\"}}");
	cr_expect_str_eq(s->resp.handler->kind, "proxy");
	cr_expect_str_eq(s->resp.proxy_base, "http://127.0.0.1:9");
	s = load("{\"request\": {}, \"response\": {\"proxyBaseUrl\": \"https://api.example/v1\", \"transformers\": [\"response-template\"]}}");
	cr_expect_str_eq(s->resp.handler->kind, "proxy", "templates do not take a forwarding stub's handler");
	expect_error("{\"request\": {}, \"response\": {\"proxyBaseUrl\": \"ftp://x\"}}",
		     "'proxyBaseUrl' must be an http or https URL with a host and no query, got the string 'ftp://x'");
	expect_error("{\"request\": {}, \"response\": {\"proxyBaseUrl\": \"http://x/?a=1\"}}", "'proxyBaseUrl' must be");
}
