/* SPDX-License-Identifier: MIT */
/* openapi_respond: the OpenAPI front-end's handlers, run the way the dispatcher runs them
 * on the stubs of a spec: the operation's answer (shared, served prebuilt), validation's
 * 401/415/400/422 problem documents and their notes, Prefer (code, example, dynamic;
 * quoted values, several preferences and headers, bad codes, default and NXX answering
 * codes they were not written for), Accept (q-values, wildcards, ties, q=0, 406),
 * responses without content, captures of a path served as a regex, and the 405. What is
 * sent is read as the adapter reads it (reply_expand of a shared answer). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "matcher.h"
#include "openapi.h"
#include "openapi_respond.h"
#include "reply.h"
#include "reply_cache.h"
#include "respond.h"
#include "stub.h"
#include "testutil.h"
#include "util/rng.h"

static const char api[] =
	"openapi: 3.0.3\n"
	"info: {title: t, version: '1'}\n"
	"servers: [{url: /api}]\n"
	"paths:\n"
	"  /pets/{id}:\n"
	"    get:\n"
	"      operationId: showPet\n"
	"      parameters: [{name: id, in: path, required: true, schema: {type: integer}}]\n"
	"      responses:\n"
	"        '200':\n"
	"          description: a pet\n"
	"          headers: {X-Rate: {example: 5}}\n"
	"          content:\n"
	"            application/json:\n"
	"              schema: {$ref: '#/components/schemas/Pet'}\n"
	"              examples:\n"
	"                cat: {value: {id: 1, name: Tom}}\n"
	"                dog: {value: {id: 2, name: Rex}}\n"
	"            text/plain:\n"
	"              example: a pet\n"
	"              examples:\n"
	"                short: {value: pet}\n"
	"        '404':\n"
	"          description: none\n"
	"          content: {application/json: {example: {code: 404}}}\n"
	"        4XX:\n"
	"          description: client error\n"
	"          content: {application/problem+json: {example: {title: bad}}}\n"
	"        default:\n"
	"          description: anything else\n"
	"          headers: {X-Default: {example: d}}\n"
	"          content: {application/json: {example: {error: true}}}\n"
	"    delete:\n"
	"      operationId: deletePet\n"
	"      security: [{bearer: []}]\n"
	"      responses:\n"
	"        '204': {description: gone, headers: {X-Gone: {example: 'yes'}}}\n"
	"  /files/{name}.{ext}:\n"
	"    get:\n"
	"      operationId: getFile\n"
	"      parameters:\n"
	"        - {name: name, in: path, required: true, schema: {type: string, maxLength: 5}}\n"
	"        - {name: ext, in: path, required: true, schema: {type: string, enum: [pdf, txt]}}\n"
	"      responses: {'200': {description: f, content: {text/plain: {example: hello}}}}\n"
	"  /orders:\n"
	"    post:\n"
	"      operationId: createOrder\n"
	"      security: [{key: []}]\n"
	"      requestBody:\n"
	"        required: true\n"
	"        content: {application/json: {schema: {type: object, required: [qty], properties: {qty: {type: integer}}}}}\n"
	"      responses:\n"
	"        '201':\n"
	"          description: x\n"
	"          content: {application/json: {schema: {type: object, required: [id], properties: {id: {type: integer, minimum: 1}}}}}\n"
	"  /reports:\n"
	"    get:\n"
	"      operationId: getReport\n"
	"      responses:\n"
	"        default:\n"
	"          description: r\n"
	"          content:\n"
	"            application/json:\n"
	"              schema: {type: object, required: [n], properties: {n: {type: integer, minimum: 0, maximum: 1000000}}}\n"
	"            text/csv: {example: \"a,b\\n\"}\n"
	"            application/xml: {example: <a/>}\n"
	"  /empty:\n"
	"    get: {operationId: empty}\n"
	"components:\n"
	"  schemas:\n"
	"    Pet: {type: object, required: [id, name], properties: {id: {type: integer}, name: {type: string}}}\n"
	"  securitySchemes:\n"
	"    bearer: {type: http, scheme: bearer}\n"
	"    key: {type: apiKey, in: header, name: X-Key}\n";

static struct diag_list diags;
static struct openapi_source *src;
static struct stub_group *group;
static struct req q;
static struct reply out;
static struct rng rng;

static void open_spec(bool validate)
{
	stub_group_unref(group);
	openapi_source_destroy(src);
	src = openapi_source_create("api.yaml", validate, &diags);
	cr_assert_not_null(src, "%s", keep(diags_text(&diags)));
	group = openapi_source_group(src);
}

static void setup(void)
{
	diag_list_init(&diags);
	tmpdir_enter("openapi-respond");
	put("api.yaml", api);
	src = NULL;
	group = NULL;
	open_spec(true);
	req_init(&q, "GET", "/");
	memset(&out, 0, sizeof(out));
	rng_seed(&rng, 42);
}

static void teardown(void)
{
	reply_release(&out);
	req_fini(&q);
	stub_group_unref(group);
	openapi_source_destroy(src);
	kept_release();
	diag_list_release(&diags);
	tmpdir_leave();
}

TestSuite(openapi_respond, .init = setup, .fini = teardown);

static const struct stub *stub_of(const char *id)
{
	for (size_t i = 0; i < group->n; i++)
		if (strcmp(group->stubs[i]->id, id) == 0)
			return group->stubs[i];
	cr_assert_fail("no stub %s", id);
	return NULL;
}

/* A new request METHOD PATH (the previous one is freed). */
static void request(const char *method, const char *path)
{
	req_fini(&q);
	req_init(&q, method, path);
}

/* Runs the handler of stub id for the request as the dispatcher does (path captures from
 * the stub's path, status preset), then reads the reply as the adapter does. */
static void run(const char *id)
{
	const struct stub *s = stub_of(id);
	cr_assert(stub_path_ok(s, &q.v, &q.params), "%s does not take %s", id, q.v.path);
	reply_release(&out);
	out.status = s->resp.status;
	struct respond_ctx ctx = { { &q.v, &q.params, &rng, 1, 0 }, &q.arena };
	s->resp.handler->respond(&s->resp, &ctx, &out);
	if (out.shared)
		reply_expand(&out, &q.arena);
}

static const char *content_type(void)
{
	return out.content_type ? out.content_type : got_header(&out, "Content-Type");
}

static const char *body_text(void)
{
	char *s = malloc(out.body_len + 1);
	cr_assert_not_null(s);
	if (out.body_len)
		memcpy(s, out.body, out.body_len);
	s[out.body_len] = '\0';
	return keep(s);
}

static void expect_answer(int status, const char *type, const char *body)
{
	cr_expect_eq(out.status, status, "status %d, want %d: %s", out.status, status, body_text());
	if (type)
		cr_expect_str_eq(content_type(), type);
	else
		cr_expect_null(content_type(), "no content type: %s", content_type());
	if (body)
		cr_expect_str_eq(body_text(), body);
}

/* GET /api/pets/1 with one Prefer header (and an Accept when not NULL). */
static void prefer(const char *value, const char *accept)
{
	request("GET", "/api/pets/1");
	req_header(&q, "Prefer", value);
	if (accept)
		req_header(&q, "Accept", accept);
	run("openapi:showPet");
}

static void expect_problem(int status, const char *title, const char *detail)
{
	char want[512];
	if (detail)
		snprintf(want, sizeof(want), "{\"type\":\"about:blank\",\"title\":\"%s\",\"status\":%d,\"detail\":\"%s\"}", title,
			 status, detail);
	else
		snprintf(want, sizeof(want), "{\"type\":\"about:blank\",\"title\":\"%s\",\"status\":%d}", title, status);
	expect_answer(status, "application/problem+json", want);
}

/* ---- the handlers ---- */

Test(openapi_respond, the_handlers)
{
	cr_expect_str_eq(openapi_op_responder.kind, "openapi");
	cr_expect_not(openapi_op_responder.fixed, "validation and Prefer differ per request");
	cr_expect_not_null(openapi_op_responder.release, "each stub holds its spec");
	cr_expect_str_eq(openapi_path_responder.kind, "openapi-405");
	cr_expect_not(openapi_path_responder.fixed);
	cr_expect_not_null(openapi_path_responder.release);
	cr_expect_eq(stub_of("openapi:showPet")->resp.handler, &openapi_op_responder);
}

/* ---- the default answer ---- */

Test(openapi_respond, the_chosen_response_is_a_shared_answer)
{
	request("GET", "/api/pets/1");
	const struct stub *s = stub_of("openapi:showPet");
	cr_assert(stub_path_ok(s, &q.v, &q.params));
	struct respond_ctx ctx = { { &q.v, &q.params, &rng, 1, 0 }, &q.arena };
	out.status = s->resp.status;
	s->resp.handler->respond(&s->resp, &ctx, &out);
	cr_assert_not_null(out.shared, "the adapter may serve it prebuilt");
	cr_expect_eq(out.status, 200);
	cr_expect_eq(out.shared->status, 200);
	cr_expect_null(out.note);
	reply_expand(&out, &q.arena);
	expect_answer(200, "application/json", "{\"id\":1,\"name\":\"Tom\"}");
	cr_expect_str_eq(got_header(&out, "X-Rate"), "5");
}

Test(openapi_respond, head_is_answered_like_get)
{
	request("HEAD", "/api/pets/2");
	run("openapi:showPet");
	expect_answer(200, "application/json", "{\"id\":1,\"name\":\"Tom\"}");
	request("HEAD", "/api/pets/x");
	run("openapi:showPet");
	cr_expect_eq(out.status, 422, "validated the same way");
}

Test(openapi_respond, default_is_served_as_200)
{
	request("GET", "/api/reports");
	run("openapi:getReport");
	expect_answer(200, "application/json", "{\"n\":0}");
}

Test(openapi_respond, no_content_and_no_responses)
{
	request("DELETE", "/api/pets/1");
	req_header(&q, "Authorization", "Bearer t");
	run("openapi:deletePet");
	expect_answer(204, NULL, "");
	cr_expect_str_eq(got_header(&out, "X-Gone"), "yes");
	request("GET", "/api/empty");
	run("openapi:empty");
	expect_answer(200, NULL, "");
	cr_expect_eq(out.nheaders, 0);
}

/* ---- validation ---- */

Test(openapi_respond, an_invalid_request_is_422_with_its_problems)
{
	request("GET", "/api/pets/x");
	run("openapi:showPet");
	expect_answer(422, "application/problem+json",
		      "{\"type\":\"about:blank\",\"title\":\"Invalid request\",\"status\":422,\"errors\":["
		      "{\"location\":\"path.id\",\"message\":\"expected integer, got \\\"x\\\"\"}]}");
	cr_expect_str_eq(out.note, "Invalid request: path.id: expected integer, got \"x\"");
	cr_expect_null(out.shared);
	request("POST", "/api/orders");
	req_header(&q, "X-Key", "k");
	req_header(&q, "Content-Type", "application/json");
	req_body(&q, "{\"qty\": \"2\", \"x\": [1]}");
	run("openapi:createOrder");
	cr_expect_eq(out.status, 422);
	cr_expect_str_eq(out.note, "Invalid request: body.qty: expected integer, got \"2\"");
}

Test(openapi_respond, missing_credentials_are_401_with_a_challenge)
{
	request("DELETE", "/api/pets/1");
	run("openapi:deletePet");
	expect_answer(401, "application/problem+json",
		      "{\"type\":\"about:blank\",\"title\":\"Unauthorized\",\"status\":401,"
		      "\"detail\":\"the credentials this operation's security asks for are missing\",\"errors\":["
		      "{\"location\":\"header.Authorization\",\"message\":\"credentials for 'bearer' are missing\"}]}");
	cr_expect_str_eq(got_header(&out, "WWW-Authenticate"), "Bearer");
	cr_expect_str_eq(out.note, "Unauthorized: header.Authorization: credentials for 'bearer' are missing");
	request("POST", "/api/orders");
	run("openapi:createOrder");
	cr_expect_eq(out.status, 401);
	cr_expect_str_eq(got_header(&out, "WWW-Authenticate"), "ApiKey header=\"X-Key\"");
}

Test(openapi_respond, unsupported_media_and_malformed_json)
{
	request("POST", "/api/orders");
	req_header(&q, "X-Key", "k");
	req_header(&q, "Content-Type", "text/plain");
	req_body(&q, "qty=1");
	run("openapi:createOrder");
	expect_answer(415, "application/problem+json",
		      "{\"type\":\"about:blank\",\"title\":\"Unsupported Media Type\",\"status\":415,\"errors\":["
		      "{\"location\":\"header.Content-Type\",\"message\":\"'text/plain' is not a media type of this "
		      "operation; expected application/json\"}]}");
	cr_expect_str_eq(out.note, "Unsupported Media Type: header.Content-Type: 'text/plain' is not a media type of "
				   "this operation; expected application/json");
	request("POST", "/api/orders");
	req_header(&q, "X-Key", "k");
	req_header(&q, "Content-Type", "application/json");
	req_body(&q, "{\"qty\":");
	run("openapi:createOrder");
	expect_answer(400, "application/problem+json",
		      "{\"type\":\"about:blank\",\"title\":\"Bad Request\",\"status\":400,\"errors\":["
		      "{\"location\":\"body\",\"message\":\"not well-formed JSON: not valid JSON at line 1, column 7\"}]}");
}

Test(openapi_respond, without_validation_anything_is_answered)
{
	open_spec(false);
	request("GET", "/api/pets/x");
	run("openapi:showPet");
	expect_answer(200, "application/json", "{\"id\":1,\"name\":\"Tom\"}");
	request("POST", "/api/orders");
	req_body(&q, "nope");
	run("openapi:createOrder");
	expect_answer(201, "application/json", "{\"id\":1}");
}

/* ---- Prefer: code ---- */

Test(openapi_respond, prefer_code_picks_a_declared_response)
{
	prefer("code=404", NULL);
	expect_answer(404, "application/json", "{\"code\":404}");
	cr_expect_null(got_header(&out, "X-Rate"), "the headers of that response");
	prefer("code=200", NULL);
	expect_answer(200, "application/json", "{\"id\":1,\"name\":\"Tom\"}");
	prefer("code=400", NULL);
	expect_answer(400, "application/problem+json", "{\"title\":\"bad\"}");
}

Test(openapi_respond, prefer_code_answered_by_a_range_or_default_keeps_its_code)
{
	prefer("code=418", NULL);
	expect_answer(418, "application/problem+json", "{\"title\":\"bad\"}");
	prefer("code=500", NULL);
	expect_answer(500, "application/json", "{\"error\":true}");
	cr_expect_str_eq(got_header(&out, "X-Default"), "d");
	prefer("code=302", NULL);
	expect_answer(302, "application/json", "{\"error\":true}");
	/* an empty response too */
	request("DELETE", "/api/pets/1");
	req_header(&q, "Authorization", "Bearer t");
	req_header(&q, "Prefer", "code=204");
	run("openapi:deletePet");
	expect_answer(204, NULL, "");
}

Test(openapi_respond, prefer_code_not_declared_is_a_404_problem)
{
	request("POST", "/api/orders");
	req_header(&q, "X-Key", "k");
	req_header(&q, "Content-Type", "application/json");
	req_body(&q, "{\"qty\": 1}");
	req_header(&q, "Prefer", "code=500");
	run("openapi:createOrder");
	expect_problem(404, "Not Found", "Prefer: code asks for a response POST /api/orders does not declare");
	cr_expect_str_eq(out.note, "Prefer: code asks for a response POST /api/orders does not declare");
	request("DELETE", "/api/pets/1");
	req_header(&q, "Authorization", "Bearer t");
	req_header(&q, "Prefer", "code=404");
	run("openapi:deletePet");
	expect_problem(404, "Not Found", "Prefer: code asks for a response DELETE /api/pets/{id} does not declare");
}

Test(openapi_respond, prefer_code_values_that_are_no_status)
{
	static const char *const bad[] = { "code=abc", "code=99", "code=600", "code=", "code=4041234", "code=404x",
					   "code=\"\"", "code=40 4" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		prefer(bad[i], NULL);
		cr_expect_eq(out.status, 404, "%s: %d", bad[i], out.status);
		cr_expect_str_eq(body_text(),
				 "{\"type\":\"about:blank\",\"title\":\"Not Found\",\"status\":404,\"detail\":\"Prefer: code asks "
				 "for a response GET /api/pets/{id} does not declare\"}",
				 "%s", bad[i]);
	}
}

Test(openapi_respond, prefer_syntax_variants)
{
	static const char *const ok404[] = { "code=\"404\"",	      "code = 404",	       "CODE=404",
					     " code=404 ",	      "respond-async, code=404", "wait=10; code=404",
					     "example=cat,code=404", "code=0404",		       "code=\t404\t" };
	for (size_t i = 0; i < sizeof(ok404) / sizeof(*ok404); i++) {
		prefer(ok404[i], NULL);
		cr_expect_eq(out.status, 404, "%s: %d %s", ok404[i], out.status, body_text());
	}
	prefer("example=\"dog\"", NULL);
	expect_answer(200, "application/json", "{\"id\":2,\"name\":\"Rex\"}");
	prefer("Example = dog", NULL);
	expect_answer(200, "application/json", "{\"id\":2,\"name\":\"Rex\"}");
	prefer("code", NULL);
	expect_answer(200, "application/json", "{\"id\":1,\"name\":\"Tom\"}");
	prefer("return=minimal", NULL);
	expect_answer(200, "application/json", "{\"id\":1,\"name\":\"Tom\"}");
}

Test(openapi_respond, several_prefer_headers_are_read_in_order)
{
	request("GET", "/api/pets/1");
	req_header(&q, "Prefer", "code=404");
	req_header(&q, "prefer", "code=200");
	req_header(&q, "Prefer", "example=dog");
	run("openapi:showPet");
	expect_answer(200, "application/json", "{\"id\":2,\"name\":\"Rex\"}");
	request("GET", "/api/pets/1");
	req_header(&q, "Prefer", "code=200");
	req_header(&q, "Prefer", "code=404");
	run("openapi:showPet");
	expect_answer(404, "application/json", "{\"code\":404}");
	/* an example is looked up in the response the code picks */
	request("GET", "/api/pets/1");
	req_header(&q, "Prefer", "example=dog");
	req_header(&q, "Prefer", "code=404");
	run("openapi:showPet");
	cr_expect_eq(out.status, 404);
	cr_expect_str_eq(content_type(), "application/problem+json");
}

/* ---- Prefer: example and dynamic ---- */

Test(openapi_respond, prefer_example_picks_a_named_example)
{
	prefer("example=cat", NULL);
	expect_answer(200, "application/json", "{\"id\":1,\"name\":\"Tom\"}");
	cr_expect_str_eq(got_header(&out, "X-Rate"), "5");
	prefer("example=short", "text/plain");
	expect_answer(200, "text/plain", "pet");
	prefer("example=fish", NULL);
	expect_problem(404, "Not Found", "Prefer: example asks for an example 'fish' that application/json does not declare");
	prefer("example=dog", "text/plain");
	expect_problem(404, "Not Found", "Prefer: example asks for an example 'dog' that text/plain does not declare");
	prefer("example=cat, code=404", NULL);
	expect_problem(404, "Not Found", "Prefer: example asks for an example 'cat' that application/json does not declare");
	prefer("example=Cat", NULL);
	cr_expect_eq(out.status, 404, "example names are compared exactly");
}

Test(openapi_respond, prefer_dynamic_generates_valid_data)
{
	request("GET", "/api/reports");
	req_header(&q, "Prefer", "dynamic=true");
	run("openapi:getReport");
	cr_expect_eq(out.status, 200);
	cr_expect_str_eq(content_type(), "application/json");
	cr_expect_null(out.shared, "made for this request");
	const char *first = body_text();
	cJSON *j = json_or_fail(first);
	cr_expect(cJSON_IsNumber(cJSON_GetObjectItem(j, "n")), "%s", first);
	cJSON_Delete(j);
	/* another draw from the same generator differs; the same seed gives the same data */
	run("openapi:getReport");
	const char *second = body_text();
	cr_expect_str_neq(second, first);
	rng_seed(&rng, 42);
	run("openapi:getReport");
	cr_expect_str_eq(body_text(), first);
	/* with the response's headers, and valid against the schema */
	request("GET", "/api/pets/1");
	req_header(&q, "Prefer", "dynamic=TRUE");
	run("openapi:showPet");
	cr_expect_eq(out.status, 200);
	cr_expect_str_eq(got_header(&out, "X-Rate"), "5");
	j = json_or_fail(body_text());
	cr_expect(cJSON_IsNumber(cJSON_GetObjectItem(j, "id")));
	cr_expect(cJSON_IsString(cJSON_GetObjectItem(j, "name")));
	cJSON_Delete(j);
	/* with a code */
	request("GET", "/api/reports");
	req_header(&q, "Prefer", "dynamic=true; code=503");
	run("openapi:getReport");
	cr_expect_eq(out.status, 503);
}

Test(openapi_respond, prefer_dynamic_without_a_schema_or_false)
{
	request("GET", "/api/reports");
	req_header(&q, "Prefer", "dynamic=true");
	req_header(&q, "Accept", "text/csv");
	run("openapi:getReport");
	expect_answer(200, "text/csv", "a,b\n");
	request("GET", "/api/reports");
	req_header(&q, "Prefer", "dynamic=false");
	run("openapi:getReport");
	expect_answer(200, "application/json", "{\"n\":0}");
	request("GET", "/api/reports");
	req_header(&q, "Prefer", "dynamic=true, dynamic=no");
	run("openapi:getReport");
	expect_answer(200, "application/json", "{\"n\":0}");
	prefer("dynamic=true, example=dog", NULL);
	expect_answer(200, "application/json", "{\"id\":2,\"name\":\"Rex\"}");
}

/* ---- Accept ---- */

/* The content type GET /api/reports answers this Accept with (its media types are
 * application/json, text/csv and application/xml, in that order), or "406" (kept). */
static const char *negotiated(const char *accept)
{
	request("GET", "/api/reports");
	req_header(&q, "Accept", accept);
	run("openapi:getReport");
	if (out.status == 406)
		return "406";
	cr_expect_eq(out.status, 200);
	return keep(strdup(content_type()));
}

Test(openapi_respond, accept_exact_and_wildcards)
{
	cr_expect_str_eq(negotiated("text/csv"), "text/csv");
	cr_expect_str_eq(negotiated("TEXT/CSV"), "text/csv");
	cr_expect_str_eq(negotiated("application/xml"), "application/xml");
	cr_expect_str_eq(negotiated("text/*"), "text/csv");
	cr_expect_str_eq(negotiated("*/*"), "application/json");
	cr_expect_str_eq(negotiated(""), "application/json");
	cr_expect_str_eq(negotiated("application/*"), "application/json", "a tie: the declared order");
	cr_expect_str_eq(negotiated("application/xml, text/csv"), "text/csv", "a tie: the declared order, not Accept's");
	cr_expect_str_eq(negotiated("image/png, text/html;level=1"), "406");
	cr_expect_str_eq(negotiated("text/csv;charset=utf-8"), "text/csv");
	cr_expect_str_eq(negotiated("text/csvx"), "406");
	cr_expect_str_eq(negotiated("text"), "406");
}

Test(openapi_respond, accept_q_values)
{
	cr_expect_str_eq(negotiated("text/csv;q=0.5, application/json"), "application/json");
	cr_expect_str_eq(negotiated("text/csv ; q=0.9 , application/json;q=0.8"), "text/csv");
	cr_expect_str_eq(negotiated("application/json;level=1;q=0.1, application/xml;Q=0.2"), "application/xml");
	cr_expect_str_eq(negotiated("*/*;q=0.1, text/csv;q=0.2"), "text/csv");
	cr_expect_str_eq(negotiated("application/*;q=0.5, application/xml"), "application/xml");
	cr_expect_str_eq(negotiated("text/csv;q=0.001, image/png"), "text/csv");
	cr_expect_str_eq(negotiated("text/csv;q=1.0, application/xml;q=1"), "text/csv");
}

Test(openapi_respond, accept_q_zero_refuses)
{
	cr_expect_str_eq(negotiated("text/csv;q=0"), "406");
	cr_expect_str_eq(negotiated("*/*;q=0"), "406");
	cr_expect_str_eq(negotiated("application/json;q=0, application/*"), "application/xml",
			 "the most specific range decides for a type");
	cr_expect_str_eq(negotiated("application/json;q=0, */*"), "text/csv");
	cr_expect_str_eq(negotiated("*/*, text/*;q=0, application/json;q=0"), "application/xml");
	cr_expect_str_eq(negotiated("text/csv, */*;q=0"), "text/csv");
	cr_expect_str_eq(negotiated("application/*;q=0, application/json"), "application/json");
}

Test(openapi_respond, not_acceptable_is_a_406_problem)
{
	negotiated("image/png");
	expect_problem(406, "Not Acceptable", "Accept allows none of application/json, text/csv, application/xml");
	cr_expect_str_eq(out.note, "Accept allows none of application/json, text/csv, application/xml");
	/* a response without content needs no media type */
	request("DELETE", "/api/pets/1");
	req_header(&q, "Authorization", "Bearer t");
	req_header(&q, "Accept", "image/png");
	run("openapi:deletePet");
	cr_expect_eq(out.status, 204);
}

/* ---- paths served as a regex ---- */

Test(openapi_respond, captures_of_a_regex_path_are_named_by_the_template)
{
	request("GET", "/api/files/notes.pdf");
	run("openapi:getFile");
	expect_answer(200, "text/plain", "hello");
	request("GET", "/api/files/a.b.txt");
	run("openapi:getFile");
	cr_expect_eq(out.status, 200, "%s", body_text());
	request("GET", "/api/files/toolong.doc");
	run("openapi:getFile");
	cr_expect_eq(out.status, 422);
	cr_expect_str_eq(out.note, "Invalid request: path.name: must be at most 5 characters long; "
				   "path.ext: must be one of [\"pdf\", \"txt\"]");
}

/* ---- 405 ---- */

Test(openapi_respond, another_method_is_405_with_allow)
{
	request("PUT", "/api/pets/1");
	run("openapi:405 /api/pets/{id}");
	cr_expect_not_null(out.shared);
	expect_answer(405, "application/problem+json",
		      "{\"type\":\"about:blank\",\"title\":\"Method Not Allowed\",\"status\":405,"
		      "\"detail\":\"/api/pets/{id} allows GET, DELETE, HEAD\"}");
	cr_expect_str_eq(got_header(&out, "Allow"), "GET, DELETE, HEAD");
}
