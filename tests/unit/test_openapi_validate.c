/* SPDX-License-Identifier: MIT */
/* openapi_validate: a request against its operation (oa_validate): the credentials
 * security asks for (401, AND within a requirement, OR across), parameters of every
 * location (required, typed, arrays, deepObject, JSON content), the Content-Type (415),
 * malformed JSON (400), schema errors (422) with their locations; and the problem
 * document every refusal is written as (oa_problem_json). Each test runs in its own
 * process and temporary directory. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openapi_doc.h"
#include "openapi_model.h"
#include "testutil.h"
#include "util/strbuf.h"

static const char api[] =
	"openapi: 3.0.3\n"
	"info: {title: t, version: '1'}\n"
	"paths:\n"
	"  /p/{id}:\n"
	"    parameters: [{name: id, in: path, required: true, schema: {type: integer, minimum: 1}}]\n"
	"    get: {responses: {'200': {description: x}}}\n"
	"  /q:\n"
	"    get:\n"
	"      parameters:\n"
	"        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 100}}\n"
	"        - {name: sort, in: query, schema: {type: string, enum: [asc, desc]}}\n"
	"        - {name: ids, in: query, schema: {type: array, items: {type: integer}}}\n"
	"        - {name: tags, in: query, explode: false, schema: {type: array, items: {type: string, maxLength: 3}}}\n"
	"        - {name: j, in: query, content: {application/json: {schema: {type: object, required: [a]}}}}\n"
	"        - {name: t, in: query, content: {text/plain: {schema: {type: integer}}}}\n"
	"        - {name: any, in: query}\n"
	"      responses: {'200': {description: x}}\n"
	"  /need:\n"
	"    get:\n"
	"      parameters:\n"
	"        - {name: sort, in: query, required: true, schema: {type: string}}\n"
	"        - {name: filter, in: query, required: true, style: deepObject, schema: {type: object}}\n"
	"        - {name: f, in: query, required: true, schema: {type: object, properties: {a: {type: integer}}}}\n"
	"        - {name: X-Req, in: header, required: true}\n"
	"        - {name: sid, in: cookie, required: true}\n"
	"      responses: {'200': {description: x}}\n"
	"  /h:\n"
	"    get:\n"
	"      parameters:\n"
	"        - {name: X-Trace, in: header, schema: {type: string, pattern: '^[a-f0-9]{8}$'}}\n"
	"        - {name: X-Count, in: header, schema: {type: integer}}\n"
	"        - {name: session, in: cookie, schema: {type: string, minLength: 4}}\n"
	"      responses: {'200': {description: x}}\n"
	"  /body:\n"
	"    post:\n"
	"      parameters: [{name: n, in: query, schema: {type: integer}}]\n"
	"      requestBody:\n"
	"        required: true\n"
	"        content:\n"
	"          application/json:\n"
	"            schema:\n"
	"              type: object\n"
	"              required: [name]\n"
	"              properties:\n"
	"                name: {type: string}\n"
	"                items: {type: array, items: {type: object, required: [qty], properties: {qty: {type: integer, minimum: 1}}}}\n"
	"          application/x-www-form-urlencoded:\n"
	"            schema:\n"
	"              type: object\n"
	"              required: [qty]\n"
	"              properties: {qty: {type: integer}, note: {type: string}, flag: {type: array, items: {type: boolean}}}\n"
	"          text/*: {schema: {type: string, maxLength: 1}}\n"
	"      responses: {'200': {description: x}}\n"
	"    put:\n"
	"      requestBody:\n"
	"        content:\n"
	"          application/json: {}\n"
	"          application/merge-patch+json: {schema: {type: object, maxProperties: 1}}\n"
	"          '*/*': {schema: {type: object}}\n"
	"      responses: {'200': {description: x}}\n"
	"    patch:\n"
	"      requestBody: {description: no content}\n"
	"      responses: {'200': {description: x}}\n"
	"    options:\n"
	"      requestBody:\n"
	"        content:\n"
	"          'application/json; charset=utf-8': {schema: {type: array}}\n"
	"          'text/*; charset=utf-8': {}\n"
	"      responses: {'200': {description: x}}\n"
	"    delete:\n"
	"      responses: {'200': {description: x}}\n"
	"  /s/key: {get: {security: [{k: []}], responses: {'200': {description: x}}}}\n"
	"  /s/query: {get: {security: [{q: []}], responses: {'200': {description: x}}}}\n"
	"  /s/cookie: {get: {security: [{c: []}], responses: {'200': {description: x}}}}\n"
	"  /s/basic: {get: {security: [{basic: []}], responses: {'200': {description: x}}}}\n"
	"  /s/bearer: {get: {security: [{bearer: []}], responses: {'200': {description: x}}}}\n"
	"  /s/oauth: {get: {security: [{oauth: [read]}], responses: {'200': {description: x}}}}\n"
	"  /s/tls: {get: {security: [{tls: []}], responses: {'200': {description: x}}}}\n"
	"  /s/and: {get: {security: [{k: [], bearer: []}], responses: {'200': {description: x}}}}\n"
	"  /s/or: {get: {security: [{k: []}, {bearer: []}], responses: {'200': {description: x}}}}\n"
	"  /s/mixed: {get: {security: [{k: [], basic: []}, {q: []}], responses: {'200': {description: x}}}}\n"
	"  /s/first:\n"
	"    post:\n"
	"      security: [{k: []}]\n"
	"      parameters: [{name: n, in: query, required: true}]\n"
	"      requestBody: {required: true, content: {application/json: {schema: {type: object}}}}\n"
	"      responses: {'200': {description: x}}\n"
	"components:\n"
	"  securitySchemes:\n"
	"    k: {type: apiKey, in: header, name: X-API-Key}\n"
	"    q: {type: apiKey, in: query, name: api_key}\n"
	"    c: {type: apiKey, in: cookie, name: token}\n"
	"    basic: {type: http, scheme: basic}\n"
	"    bearer: {type: http, scheme: bearer}\n"
	"    oauth: {type: oauth2, flows: {}}\n"
	"    tls: {type: mutualTLS}\n";

static struct diag_list diags;
static struct oa_spec *spec;
static struct req q;
static struct kv caps[4];
static struct oa_problem problems[OA_MAX_PROBLEMS];
static size_t nproblems;
static const struct oa_scheme *challenged;

static struct oa_spec *compile(const char *text)
{
	put("api.yaml", text);
	struct openapi_doc *doc = openapi_doc_load("api.yaml", &diags);
	cr_assert_not_null(doc, "%s", keep(diags_text(&diags)));
	struct oa_spec *sp = oa_spec_compile(doc, "api.yaml", true, &diags);
	cr_assert_not_null(sp, "%s", keep(diags_text(&diags)));
	return sp;
}

static void setup(void)
{
	diag_list_init(&diags);
	tmpdir_enter("openapi-validate");
	spec = compile(api);
	memset(&q, 0, sizeof(q));
}

static void teardown(void)
{
	req_fini(&q);
	oa_spec_unref(spec);
	kept_release();
	diag_list_release(&diags);
	tmpdir_leave();
}

TestSuite(openapi_validate, .init = setup, .fini = teardown);

static const struct oa_op *op_of(const char *method, const char *path)
{
	for (size_t i = 0; i < spec->nops; i++)
		if (strcmp(spec->ops[i].method, method) == 0 && strcmp(spec->ops[i].path, path) == 0)
			return &spec->ops[i];
	cr_assert_fail("no operation %s %s", method, path);
	return NULL;
}

/* Starts a new request (the previous one is freed). */
static void request(const char *method, const char *path)
{
	req_fini(&q);
	req_init(&q, method, path);
}

/* A path capture of the request. */
static void capture(const char *name, const char *value)
{
	cr_assert_lt(q.params.n, 4);
	caps[q.params.n] = (struct kv){ name, value, strlen(value) };
	q.params.items = caps;
	q.params.n++;
}

/* The request with this Content-Type and body. */
static void body(const char *type, const char *text)
{
	if (type)
		req_header(&q, "Content-Type", type);
	req_body(&q, text);
}

/* Validates the request against METHOD TEMPLATE; the problems go to problems[]. */
static enum oa_verdict check(const char *method, const char *tpl)
{
	challenged = NULL;
	return oa_validate(op_of(method, tpl), &q.v, q.params.n ? &q.params : NULL, &q.arena, problems, &nproblems,
			   &challenged);
}

/* The problems found, "LOCATION: MESSAGE" one a line (kept). */
static const char *found(void)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, "");
	for (size_t i = 0; i < nproblems; i++)
		strbuf_addf(&sb, "%s: %s\n", problems[i].location, problems[i].message);
	return keep(strbuf_detach(&sb, NULL));
}

#define expect_valid(method, tpl)                                                                      \
	do {                                                                                           \
		enum oa_verdict v_ = check(method, tpl);                                               \
		cr_expect_eq(v_, OA_VALID, "verdict %d for %s %s: %s", v_, method, q.v.path, found()); \
		cr_expect_eq(nproblems, 0);                                                            \
	} while (0)

#define expect_verdict(method, tpl, verdict, text)                                                   \
	do {                                                                                         \
		enum oa_verdict v_ = check(method, tpl);                                             \
		cr_expect_eq(v_, verdict, "verdict %d, want %d, for %s %s: %s", v_, verdict, method, \
			     q.v.path, found());                                                     \
		cr_expect_str_eq(found(), text);                                                     \
	} while (0)

/* ---- security ---- */

Test(openapi_validate, no_security_no_credentials)
{
	request("GET", "/p/1");
	capture("id", "1");
	expect_valid("GET", "/p/{id}");
	cr_expect_null(challenged);
}

Test(openapi_validate, an_api_key_in_a_header)
{
	request("GET", "/s/key");
	expect_verdict("GET", "/s/key", OA_UNAUTHORIZED, "header.X-API-Key: credentials for 'k' are missing\n");
	cr_assert_not_null(challenged);
	cr_expect_str_eq(challenged->name, "k");
	cr_expect_str_eq(challenged->challenge, "ApiKey header=\"X-API-Key\"");
	request("GET", "/s/key");
	req_header(&q, "x-api-key", "");
	expect_valid("GET", "/s/key");
	request("GET", "/s/key");
	req_query(&q, "X-API-Key", "k");
	cr_expect_eq(check("GET", "/s/key"), OA_UNAUTHORIZED, "a header key is not a query parameter");
}

Test(openapi_validate, an_api_key_in_the_query_or_a_cookie)
{
	request("GET", "/s/query");
	req_query(&q, "api_key", "k");
	expect_valid("GET", "/s/query");
	request("GET", "/s/query");
	req_query(&q, "API_KEY", "k");
	expect_verdict("GET", "/s/query", OA_UNAUTHORIZED, "query.api_key: credentials for 'q' are missing\n");
	request("GET", "/s/query");
	req_header(&q, "api_key", "k");
	cr_expect_eq(check("GET", "/s/query"), OA_UNAUTHORIZED);
	request("GET", "/s/cookie");
	req_cookie(&q, "token", "t");
	expect_valid("GET", "/s/cookie");
	request("GET", "/s/cookie");
	expect_verdict("GET", "/s/cookie", OA_UNAUTHORIZED, "cookie.token: credentials for 'c' are missing\n");
	cr_expect_str_eq(challenged->challenge, "ApiKey cookie=\"token\"");
}

/* The verdict for GET /s/WHAT with this Authorization header (NULL: none). */
static enum oa_verdict authorization(const char *what, const char *value)
{
	char path[64];
	snprintf(path, sizeof(path), "/s/%s", what);
	request("GET", keep(strdup(path)));
	if (value)
		req_header(&q, "Authorization", value);
	return check("GET", q.v.path);
}

Test(openapi_validate, http_schemes_read_the_authorization_header)
{
	cr_expect_eq(authorization("basic", "Basic dTpw"), OA_VALID);
	cr_expect_eq(authorization("basic", "basic dTpw"), OA_VALID, "the scheme in any case");
	cr_expect_eq(authorization("basic", "BASIC  dTpw"), OA_VALID);
	cr_expect_eq(authorization("basic", NULL), OA_UNAUTHORIZED);
	cr_expect_str_eq(found(), "header.Authorization: credentials for 'basic' are missing\n");
	cr_expect_str_eq(challenged->challenge, "Basic realm=\"cannery\"");
	cr_expect_eq(authorization("basic", "Basic"), OA_UNAUTHORIZED, "a scheme without credentials");
	cr_expect_eq(authorization("basic", "Basic "), OA_UNAUTHORIZED);
	cr_expect_eq(authorization("basic", "Basicx dTpw"), OA_UNAUTHORIZED);
	cr_expect_eq(authorization("basic", "Bearer t"), OA_UNAUTHORIZED, "another scheme");
	cr_expect_eq(authorization("bearer", "Bearer t"), OA_VALID);
	cr_expect_eq(authorization("bearer", "Basic dTpw"), OA_UNAUTHORIZED);
	cr_expect_str_eq(challenged->challenge, "Bearer");
	cr_expect_eq(authorization("oauth", "Bearer t"), OA_VALID, "oauth2 asks for a bearer token");
	cr_expect_eq(authorization("oauth", "Basic dTpw"), OA_UNAUTHORIZED);
	cr_expect_str_eq(found(), "header.Authorization: credentials for 'oauth' are missing\n");
	cr_expect_eq(authorization("tls", NULL), OA_VALID, "mutualTLS: nothing to check here");
}

Test(openapi_validate, every_scheme_of_a_requirement_and_any_requirement)
{
	/* AND: both */
	cr_expect_eq(authorization("and", "Bearer t"), OA_UNAUTHORIZED);
	cr_expect_str_eq(found(), "header.X-API-Key: credentials for 'k' are missing\n");
	request("GET", "/s/and");
	req_header(&q, "X-API-Key", "k");
	expect_verdict("GET", "/s/and", OA_UNAUTHORIZED, "header.Authorization: credentials for 'bearer' are missing\n");
	cr_expect_str_eq(challenged->name, "bearer");
	req_header(&q, "Authorization", "Bearer t");
	expect_valid("GET", "/s/and");
	/* OR: either */
	cr_expect_eq(authorization("or", "Bearer t"), OA_VALID);
	request("GET", "/s/or");
	req_header(&q, "X-API-Key", "k");
	expect_valid("GET", "/s/or");
	request("GET", "/s/or");
	expect_verdict("GET", "/s/or", OA_UNAUTHORIZED, "header.X-API-Key: credentials for 'k' are missing\n");
	cr_expect_str_eq(challenged->name, "k", "the first alternative's first missing scheme is challenged");
	/* [{k, basic}, {q}]: k alone is not enough, q is */
	request("GET", "/s/mixed");
	req_header(&q, "X-API-Key", "k");
	expect_verdict("GET", "/s/mixed", OA_UNAUTHORIZED, "header.Authorization: credentials for 'basic' are missing\n");
	req_query(&q, "api_key", "x");
	expect_valid("GET", "/s/mixed");
}

Test(openapi_validate, credentials_are_checked_before_anything_else)
{
	request("POST", "/s/first");
	body("text/plain", "{");
	expect_verdict("POST", "/s/first", OA_UNAUTHORIZED, "header.X-API-Key: credentials for 'k' are missing\n");
	req_header(&q, "X-API-Key", "k");
	expect_verdict("POST", "/s/first", OA_UNSUPPORTED_MEDIA,
		       "header.Content-Type: 'text/plain' is not a media type of this operation; expected application/json\n");
}

/* ---- parameters ---- */

Test(openapi_validate, path_parameters)
{
	request("GET", "/p/7");
	capture("id", "7");
	expect_valid("GET", "/p/{id}");
	request("GET", "/p/abc");
	capture("id", "abc");
	expect_verdict("GET", "/p/{id}", OA_INVALID, "path.id: expected integer, got \"abc\"\n");
	request("GET", "/p/0");
	capture("id", "0");
	expect_verdict("GET", "/p/{id}", OA_INVALID, "path.id: must be at least 1\n");
	request("GET", "/p/");
	expect_verdict("GET", "/p/{id}", OA_INVALID, "path.id: required parameter is missing\n");
	request("GET", "/p/7");
	capture("other", "7");
	expect_verdict("GET", "/p/{id}", OA_INVALID, "path.id: required parameter is missing\n");
}

Test(openapi_validate, query_parameters)
{
	request("GET", "/q");
	expect_valid("GET", "/q");
	req_query(&q, "limit", "10");
	req_query(&q, "sort", "asc");
	req_query(&q, "any", "whatever");
	req_query(&q, "unknown", "x");
	expect_valid("GET", "/q");
	request("GET", "/q");
	req_query(&q, "limit", "1000");
	req_query(&q, "sort", "up");
	expect_verdict("GET", "/q", OA_INVALID,
		       "query.limit: must be at most 100\n"
		       "query.sort: must be one of [\"asc\", \"desc\"]\n");
	request("GET", "/q");
	req_query(&q, "limit", "x");
	expect_verdict("GET", "/q", OA_INVALID, "query.limit: expected integer, got \"x\"\n");
	request("GET", "/q");
	req_query(&q, "limit", "");
	expect_verdict("GET", "/q", OA_INVALID, "query.limit: expected integer, got \"\"\n");
	request("GET", "/q");
	req_query(&q, "Limit", "x");
	expect_valid("GET", "/q");
}

Test(openapi_validate, query_arrays_repeated_or_comma_separated)
{
	request("GET", "/q");
	req_query(&q, "ids", "1");
	req_query(&q, "limit", "5");
	req_query(&q, "ids", "2");
	expect_valid("GET", "/q");
	request("GET", "/q");
	req_query(&q, "ids", "1,2,3");
	expect_valid("GET", "/q");
	request("GET", "/q");
	req_query(&q, "ids", "1");
	req_query(&q, "ids", "x");
	req_query(&q, "ids", "3");
	expect_verdict("GET", "/q", OA_INVALID, "query.ids.1: expected integer, got \"x\"\n");
	request("GET", "/q");
	req_query(&q, "ids", "1,x");
	expect_verdict("GET", "/q", OA_INVALID, "query.ids.1: expected integer, got \"x\"\n");
	request("GET", "/q");
	req_query(&q, "tags", "ab,abcd");
	expect_verdict("GET", "/q", OA_INVALID, "query.tags.1: must be at most 3 characters long\n");
	request("GET", "/q");
	req_query(&q, "limit", "5");
	req_query(&q, "limit", "6");
	expect_verdict("GET", "/q", OA_INVALID, "query.limit: expected integer, got \"5,6\"\n");
}

Test(openapi_validate, content_parameters)
{
	request("GET", "/q");
	req_query(&q, "j", "{\"a\": 1}");
	req_query(&q, "t", "12");
	expect_valid("GET", "/q");
	request("GET", "/q");
	req_query(&q, "j", "{\"b\": 1}");
	expect_verdict("GET", "/q", OA_INVALID, "query.j: missing required property 'a'\n");
	request("GET", "/q");
	req_query(&q, "j", "{a: 1}");
	expect_verdict("GET", "/q", OA_INVALID, "query.j: expected JSON text\n");
	request("GET", "/q");
	req_query(&q, "j", "[1]");
	expect_verdict("GET", "/q", OA_INVALID, "query.j: expected object, got an array\n");
	request("GET", "/q");
	req_query(&q, "t", "twelve");
	expect_verdict("GET", "/q", OA_INVALID, "query.t: expected integer, got \"twelve\"\n");
}

Test(openapi_validate, required_parameters_of_every_location)
{
	request("GET", "/need");
	expect_verdict("GET", "/need", OA_INVALID,
		       "query.sort: required parameter is missing\n"
		       "query.filter: required parameter is missing\n"
		       "query.f: required parameter is missing\n"
		       "header.X-Req: required parameter is missing\n"
		       "cookie.sid: required parameter is missing\n");
	request("GET", "/need");
	req_query(&q, "sort", "");
	req_query(&q, "filter[name]", "x");
	req_query(&q, "f", "a=1");
	req_header(&q, "x-req", "1");
	req_cookie(&q, "sid", "s");
	expect_valid("GET", "/need");
	/* a deepObject is there when one of its members is, or its own name */
	request("GET", "/need");
	req_query(&q, "sort", "a");
	req_query(&q, "filter", "");
	req_query(&q, "f", "");
	req_header(&q, "X-Req", "");
	req_cookie(&q, "sid", "");
	expect_valid("GET", "/need");
	request("GET", "/need");
	req_query(&q, "sort", "a");
	req_query(&q, "filterx[a]", "1");
	req_query(&q, "filter.a", "1");
	req_query(&q, "f", "");
	req_header(&q, "X-Req", "");
	req_cookie(&q, "SID", "");
	expect_verdict("GET", "/need", OA_INVALID,
		       "query.filter: required parameter is missing\n"
		       "cookie.sid: required parameter is missing\n");
}

Test(openapi_validate, headers_and_cookies)
{
	request("GET", "/h");
	req_header(&q, "x-trace", "0a1b2c3d");
	req_header(&q, "X-Count", "3");
	req_cookie(&q, "session", "abcd");
	expect_valid("GET", "/h");
	request("GET", "/h");
	req_header(&q, "X-Trace", "nothex!");
	req_header(&q, "X-Count", "three");
	req_cookie(&q, "session", "ab");
	expect_verdict("GET", "/h", OA_INVALID,
		       "header.X-Trace: must match pattern '^[a-f0-9]{8}$'\n"
		       "header.X-Count: expected integer, got \"three\"\n"
		       "cookie.session: must be at least 4 characters long\n");
}

Test(openapi_validate, at_most_twenty_problems)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, "openapi: 3.0.3\npaths:\n  /m:\n    get:\n      parameters:\n");
	for (int i = 0; i < 30; i++)
		strbuf_addf(&sb, "        - {name: p%d, in: query, required: true}\n", i);
	strbuf_adds(&sb, "      responses: {'200': {description: x}}\n");
	oa_spec_unref(spec);
	spec = compile(sb.buf);
	strbuf_release(&sb);
	request("GET", "/m");
	cr_expect_eq(check("GET", "/m"), OA_INVALID);
	cr_assert_eq(nproblems, OA_MAX_PROBLEMS);
	cr_expect_str_eq(problems[0].location, "query.p0");
	cr_expect_str_eq(problems[19].location, "query.p19");
}

/* ---- bodies ---- */

Test(openapi_validate, json_bodies)
{
	request("POST", "/body");
	body("application/json", "{\"name\": \"Rex\", \"items\": [{\"qty\": 1}]}");
	expect_valid("POST", "/body");
	request("POST", "/body");
	body("application/json", "{\"name\": 12, \"items\": [{\"qty\": 1}, {\"qty\": 0}, {}]}");
	expect_verdict("POST", "/body", OA_INVALID,
		       "body.name: expected string, got 12\n"
		       "body.items.1.qty: must be at least 1\n"
		       "body.items.2: missing required property 'qty'\n");
	request("POST", "/body");
	body("application/json", "[]");
	expect_verdict("POST", "/body", OA_INVALID, "body: expected object, got an array\n");
}

Test(openapi_validate, a_missing_required_body)
{
	request("POST", "/body");
	req_header(&q, "Content-Type", "application/json");
	expect_verdict("POST", "/body", OA_INVALID, "body: request body is required\n");
	request("POST", "/body");
	req_query(&q, "n", "x");
	expect_verdict("POST", "/body", OA_INVALID,
		       "query.n: expected integer, got \"x\"\n"
		       "body: request body is required\n");
	request("PUT", "/body");
	expect_valid("PUT", "/body");
}

Test(openapi_validate, malformed_json_is_400)
{
	request("POST", "/body");
	req_query(&q, "n", "x");
	body("application/json", "{\"name\":");
	expect_verdict("POST", "/body", OA_MALFORMED, "body: not well-formed JSON: not valid JSON at line 1, column 8\n");
	request("POST", "/body");
	body("application/json", "{\"name\": \"a\"}\n\n  x");
	expect_verdict("POST", "/body", OA_MALFORMED, "body: not well-formed JSON: not valid JSON at line 3, column 3\n");
	/* a JSON media type without a schema is still JSON */
	request("PUT", "/body");
	body("application/json", "{");
	expect_verdict("PUT", "/body", OA_MALFORMED, "body: not well-formed JSON: not valid JSON at line 1, column 1\n");
}

Test(openapi_validate, the_content_type_picks_the_media_type)
{
	/* exact, in any case, with parameters */
	request("POST", "/body");
	body("Application/JSON; charset=utf-8", "{\"name\": \"x\"}");
	expect_valid("POST", "/body");
	request("POST", "/body");
	body("application/json ; charset=utf-8", "{\"name\": \"x\"}");
	expect_valid("POST", "/body");
	/* type wildcard */
	request("POST", "/body");
	body("text/csv", "a");
	expect_valid("POST", "/body");
	/* a body that is neither JSON nor a form is not read against its schema */
	request("POST", "/body");
	body("text/plain;charset=utf-8", "ab");
	expect_valid("POST", "/body");
	/* none fits */
	request("POST", "/body");
	req_query(&q, "n", "x");
	body("application/xml", "<a/>");
	expect_verdict("POST", "/body", OA_UNSUPPORTED_MEDIA,
		       "header.Content-Type: 'application/xml' is not a media type of this operation; expected "
		       "application/json, application/x-www-form-urlencoded, text/*\n");
	request("POST", "/body");
	body("application/jsonx", "{}");
	cr_expect_eq(check("POST", "/body"), OA_UNSUPPORTED_MEDIA);
	request("POST", "/body");
	body("text", "a");
	cr_expect_eq(check("POST", "/body"), OA_UNSUPPORTED_MEDIA);
	request("POST", "/body");
	body(NULL, "{}");
	expect_verdict("POST", "/body", OA_UNSUPPORTED_MEDIA,
		       "header.Content-Type: the body has no Content-Type; expected application/json, "
		       "application/x-www-form-urlencoded, text/*\n");
}

Test(openapi_validate, any_media_type_and_the_more_specific_first)
{
	/* +json validated by its own schema */
	request("PUT", "/body");
	body("application/merge-patch+json", "{\"a\": 1, \"b\": 2}");
	expect_verdict("PUT", "/body", OA_INVALID, "body: must have at most 1 property\n");
	/* exact beats the catch-all */
	request("PUT", "/body");
	body("application/json", "[1]");
	expect_valid("PUT", "/body");
	/* the catch-all takes anything, and reads it as no JSON */
	request("PUT", "/body");
	body("image/png", "\x89PNG");
	expect_valid("PUT", "/body");
	request("PUT", "/body");
	body("application/vnd.other+json", "[1]");
	expect_valid("PUT", "/body");
}

Test(openapi_validate, declared_media_types_with_parameters)
{
	request("OPTIONS", "/body");
	body("application/json; charset=utf-8", "[]");
	expect_valid("OPTIONS", "/body");
	request("OPTIONS", "/body");
	body("application/json", "{}");
	expect_verdict("OPTIONS", "/body", OA_INVALID, "body: expected array, got an object\n");
	request("OPTIONS", "/body");
	body("text/plain", "x");
	expect_valid("OPTIONS", "/body");
	request("OPTIONS", "/body");
	body("image/png", "x");
	expect_verdict("OPTIONS", "/body", OA_UNSUPPORTED_MEDIA,
		       "header.Content-Type: 'image/png' is not a media type of this operation; expected "
		       "application/json; charset=utf-8, text/*; charset=utf-8\n");
}

Test(openapi_validate, form_bodies_typed_by_the_schema)
{
	request("POST", "/body");
	body("application/x-www-form-urlencoded", "qty=3&note=x&flag=true&flag=false");
	expect_valid("POST", "/body");
	request("POST", "/body");
	body("application/x-www-form-urlencoded", "qty=three&flag=maybe");
	expect_verdict("POST", "/body", OA_INVALID,
		       "body.qty: expected integer, got \"three\"\n"
		       "body.flag.0: expected boolean, got \"maybe\"\n");
	request("POST", "/body");
	body("application/x-www-form-urlencoded; charset=utf-8", "note=x");
	expect_verdict("POST", "/body", OA_INVALID, "body: missing required property 'qty'\n");
}

Test(openapi_validate, bodies_without_a_declaration_or_content)
{
	request("DELETE", "/body");
	body("application/json", "{");
	expect_valid("DELETE", "/body");
	request("PATCH", "/body");
	body("application/json", "{");
	expect_valid("PATCH", "/body");
	request("PATCH", "/body");
	expect_valid("PATCH", "/body");
}

/* ---- the problem document ---- */

static const char *problem_json(int status, const char *title, const char *detail, const struct oa_problem *p, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	oa_problem_json(&sb, status, title, detail, p, n);
	return keep(strbuf_detach(&sb, NULL));
}

Test(openapi_validate, problem_documents)
{
	cr_expect_str_eq(problem_json(404, "Not Found", NULL, NULL, 0),
			 "{\"type\":\"about:blank\",\"title\":\"Not Found\",\"status\":404}");
	cr_expect_str_eq(problem_json(405, "Method Not Allowed", "/a allows GET", NULL, 0),
			 "{\"type\":\"about:blank\",\"title\":\"Method Not Allowed\",\"status\":405,\"detail\":\"/a allows GET\"}");
	struct oa_problem p[] = { { "body.name", "expected string, got 12" }, { "query.q\"", "bad \"x\"\n\ttab \\ \x01" } };
	cr_expect_str_eq(problem_json(422, "Invalid request", NULL, p, 2),
			 "{\"type\":\"about:blank\",\"title\":\"Invalid request\",\"status\":422,\"errors\":["
			 "{\"location\":\"body.name\",\"message\":\"expected string, got 12\"},"
			 "{\"location\":\"query.q\\\"\",\"message\":\"bad \\\"x\\\"\\n\\ttab \\\\ \\u0001\"}]}");
	cr_expect_str_eq(problem_json(401, "Unauthorized", "why", p, 1),
			 "{\"type\":\"about:blank\",\"title\":\"Unauthorized\",\"status\":401,\"detail\":\"why\",\"errors\":["
			 "{\"location\":\"body.name\",\"message\":\"expected string, got 12\"}]}");
	/* what it writes is JSON */
	cJSON *j = json_or_fail(problem_json(422, "Invalid request", "d\xc3\xa9", p, 2));
	cr_expect_str_eq(cJSON_GetObjectItem(j, "detail")->valuestring, "d\xc3\xa9");
	cr_expect_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "errors"), 1)->child->valuestring, "query.q\"");
	cJSON_Delete(j);
}

Test(openapi_validate, strings_live_in_the_arena)
{
	request("GET", "/p/x");
	capture("id", "x");
	cr_expect_eq(check("GET", "/p/{id}"), OA_INVALID);
	cr_assert_eq(nproblems, 1);
	cr_expect_str_eq(problems[0].location, "path.id");
	cr_expect_str_eq(problems[0].message, "expected integer, got \"x\"");
}
