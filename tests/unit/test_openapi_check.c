/* SPDX-License-Identifier: MIT */
/* openapi_check: `cannery check --openapi` (openapi_source_check): stubs against a spec.
 * A route that is no operation (an unknown path, or a known path with another method),
 * template and exact stub paths against the spec's templates, a response status the
 * operation does not declare, a body that is not JSON or does not validate (with the
 * located message), and what is not checked (templated bodies, regex paths, the spec's
 * own stubs). Each test runs in its own process and temporary directory. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "openapi.h"
#include "stub.h"
#include "testutil.h"

static const char api[] =
	"openapi: 3.0.3\n"
	"info: {title: t, version: '1'}\n"
	"servers: [{url: /v1}]\n"
	"paths:\n"
	"  /pets:\n"
	"    get:\n"
	"      responses:\n"
	"        '200': {description: x, content: {application/json: {schema: {type: array, items: {$ref: '#/components/schemas/Pet'}}}}}\n"
	"    post:\n"
	"      responses:\n"
	"        '201': {description: x, content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}}\n"
	"        4XX: {description: x, content: {application/problem+json: {schema: {type: object, required: [title]}}}}\n"
	"  /pets/{petId}:\n"
	"    get:\n"
	"      responses:\n"
	"        '200':\n"
	"          description: x\n"
	"          content:\n"
	"            application/json: {schema: {$ref: '#/components/schemas/Pet'}}\n"
	"            text/plain: {schema: {type: string}}\n"
	"        '404': {description: x}\n"
	"    delete:\n"
	"      responses:\n"
	"        default: {description: x, content: {application/json: {schema: {type: object, required: [error]}}}}\n"
	"  /pets/mine:\n"
	"    get:\n"
	"      responses:\n"
	"        '200': {description: x, content: {application/json: {schema: {type: string}}}}\n"
	"  /files/{name}.{ext}:\n"
	"    get:\n"
	"      responses:\n"
	"        '200': {description: x, content: {text/plain: {schema: {type: string}}}}\n"
	"  /things/{id}/parts:\n"
	"    put:\n"
	"      responses:\n"
	"        '204': {description: x}\n"
	"components:\n"
	"  schemas:\n"
	"    Pet:\n"
	"      type: object\n"
	"      required: [id, name]\n"
	"      properties: {id: {type: integer}, name: {type: string}}\n";

static struct diag_list diags;
static struct openapi_source *src;

static void setup(void)
{
	diag_list_init(&diags);
	tmpdir_enter("openapi-check");
	put("api.yaml", api);
	src = openapi_source_create("api.yaml", true, &diags);
	cr_assert_not_null(src, "%s", keep(diags_text(&diags)));
}

static void teardown(void)
{
	openapi_source_destroy(src);
	kept_release();
	diag_list_release(&diags);
	tmpdir_leave();
}

TestSuite(openapi_check, .init = setup, .fini = teardown);

/* The problems check finds in the stubs of YAML text loaded as stubs.yaml, one a line
 * (kept); the count it returns must be their number. */
static const char *check(const char *yaml)
{
	diag_list_release(&diags);
	diag_list_init(&diags);
	struct stub_group *g = load_group("stubs.yaml", yaml);
	size_t n = openapi_source_check(src, (const struct stub *const *)g->stubs, g->n, &diags);
	stub_group_unref(g);
	cr_expect_eq(n, diags.n, "returned %zu for %zu diagnostics", n, diags.n);
	return keep(diags_text(&diags));
}

Test(openapi_check, stubs_that_follow_the_spec)
{
	cr_expect_str_eq(check("- request: {method: GET, path: /v1/pets}\n"
			       "  response: {json: [{id: 1, name: Tom}]}\n"
			       "- request: {method: POST, path: /v1/pets}\n"
			       "  response: {status: 201, json: {id: 2, name: Rex}}\n"
			       "- request: {method: GET, path: /v1/pets/3}\n"
			       "  response: {json: {id: 3, name: Kit, extra: true}}\n"
			       "- request: {method: GET, path: /v1/pets/3}\n"
			       "  response: {status: 404}\n"
			       "- request: {method: HEAD, path: /v1/pets}\n"
			       "  response: {status: 200}\n"
			       "- request: {method: [GET, HEAD], path: /v1/pets}\n"
			       "  response: {status: 200, json: []}\n"
			       "- request: {path: /v1/pets}\n"
			       "  response: {json: []}\n"
			       "- request: {method: PUT, path: /v1/things/9/parts}\n"
			       "  response: {status: 204}\n"),
			 "");
}

Test(openapi_check, an_unknown_path_or_method)
{
	cr_expect_str_eq(check("- request: {method: GET, path: /v1/cats}\n"
			       "  response: {json: {}}\n"
			       "- request: {method: PUT, path: /v1/pets}\n"
			       "  response: {status: 200}\n"
			       "- request: {method: GET, path: /pets}\n"
			       "  response: {json: []}\n"
			       "- request: {path: /v1/pets/1/toys}\n"
			       "  response: {json: []}\n"
			       "- request: {method: [GET, PATCH], path: /v1/pets/1}\n"
			       "  response: {json: {id: 1, name: a}}\n"
			       "- request: {method: [GET, POST], path: /v1/pets}\n"
			       "  response: {status: 200, json: []}\n"),
			 "stubs.yaml:1:3: error: stub 'stubs.yaml#0': path '/v1/cats' is not in api.yaml\n"
			 "stubs.yaml:3:3: error: stub 'stubs.yaml#1': PUT /v1/pets is not an operation of api.yaml\n"
			 "stubs.yaml:5:3: error: stub 'stubs.yaml#2': path '/pets' is not in api.yaml\n"
			 "stubs.yaml:7:3: error: stub 'stubs.yaml#3': path '/v1/pets/1/toys' is not in api.yaml\n"
			 "stubs.yaml:9:3: error: stub 'stubs.yaml#4': PATCH /v1/pets/1 is not an operation of api.yaml\n"
			 "stubs.yaml:11:3: error: stub 'stubs.yaml#5': POST /v1/pets declares no response 200\n");
}

Test(openapi_check, stub_paths_against_the_specs_templates)
{
	cr_expect_str_eq(check("- request: {method: GET, path: '/v1/pets/{id}'}\n"
			       "  response: {json: {id: 1, name: a}}\n"
			       "- request: {method: DELETE, path: '/v1/pets/{petId}'}\n"
			       "  response: {status: 500, json: {error: x}}\n"
			       "- request: {method: PUT, path: '/v1/things/{x}/parts'}\n"
			       "  response: {status: 204}\n"
			       "- request: {method: GET, path: /v1/files/report.pdf}\n"
			       "  response: {body: hello, headers: {Content-Type: text/plain}}\n"
			       "- request: {method: GET, path: '/v1/files/{file}'}\n"
			       "  response: {body: hello, headers: {Content-Type: text/plain}}\n"),
			 "");
	cr_expect_str_eq(check("- request: {method: GET, path: '/v1/pets/{id}/x'}\n"
			       "  response: {json: {}}\n"
			       "- request: {method: GET, path: /v1/files/report}\n"
			       "  response: {body: hello}\n"
			       "- request: {method: GET, path: /v1/files/.pdf}\n"
			       "  response: {body: hello}\n"
			       "- request: {method: GET, path: '/v1/{what}'}\n"
			       "  response: {body: hello}\n"
			       "- request: {method: PUT, path: /v1/things//parts}\n"
			       "  response: {status: 204}\n"),
			 "stubs.yaml:1:3: error: stub 'stubs.yaml#0': path '/v1/pets/{id}/x' is not in api.yaml\n"
			 "stubs.yaml:3:3: error: stub 'stubs.yaml#1': path '/v1/files/report' is not in api.yaml\n"
			 "stubs.yaml:5:3: error: stub 'stubs.yaml#2': path '/v1/files/.pdf' is not in api.yaml\n"
			 "stubs.yaml:7:3: error: stub 'stubs.yaml#3': path '/v1/{what}' is not in api.yaml\n"
			 "stubs.yaml:9:3: error: stub 'stubs.yaml#4': path '/v1/things//parts' is not in api.yaml\n");
}

Test(openapi_check, an_exact_path_of_the_spec_before_its_templates)
{
	/* /v1/pets/mine is its own operation (a string), not /v1/pets/{petId} (a Pet) */
	cr_expect_str_eq(check("- request: {method: GET, path: /v1/pets/mine}\n"
			       "  response: {json: me}\n"),
			 "");
	cr_expect_str_eq(check("- request: {method: GET, path: /v1/pets/mine}\n"
			       "  response: {json: {id: 1, name: a}}\n"),
			 "stubs.yaml:1:3: error: stub 'stubs.yaml#0': response body does not match GET /v1/pets/mine 200 "
			 "(application/json): body: expected string, got an object\n");
}

Test(openapi_check, a_status_the_operation_does_not_declare)
{
	cr_expect_str_eq(check("- request: {method: GET, path: /v1/pets/1}\n"
			       "  response: {status: 500, json: {}}\n"
			       "- request: {method: POST, path: /v1/pets}\n"
			       "  response: {status: 409, json: {title: taken}, headers: {Content-Type: application/problem+json}}\n"
			       "- request: {method: POST, path: /v1/pets}\n"
			       "  response: {status: 500}\n"
			       "- request: {method: DELETE, path: /v1/pets/1}\n"
			       "  response: {status: 503, json: {error: down}}\n"),
			 "stubs.yaml:1:3: error: stub 'stubs.yaml#0': GET /v1/pets/{petId} declares no response 500\n"
			 "stubs.yaml:5:3: error: stub 'stubs.yaml#2': POST /v1/pets declares no response 500\n");
}

Test(openapi_check, a_body_that_does_not_validate)
{
	cr_expect_str_eq(check("- request: {method: GET, path: /v1/pets/2}\n"
			       "  response: {json: {id: 2, name: 12}}\n"
			       "- request: {method: GET, path: /v1/pets}\n"
			       "  response: {json: [{id: 1, name: a}, {id: x}]}\n"
			       "- request: {method: POST, path: /v1/pets}\n"
			       "  response: {status: 422, json: {detail: x}, headers: {Content-Type: application/problem+json}}\n"
			       "- request: {method: GET, path: /v1/pets/2}\n"
			       "  response: {json: [1]}\n"),
			 "stubs.yaml:1:3: error: stub 'stubs.yaml#0': response body does not match GET /v1/pets/{petId} 200 "
			 "(application/json): body.name: expected string, got 12\n"
			 "stubs.yaml:3:3: error: stub 'stubs.yaml#1': response body does not match GET /v1/pets 200 "
			 "(application/json): body.1: missing required property 'name'\n"
			 "stubs.yaml:3:3: error: stub 'stubs.yaml#1': response body does not match GET /v1/pets 200 "
			 "(application/json): body.1.id: expected integer, got \"x\"\n"
			 "stubs.yaml:5:3: error: stub 'stubs.yaml#2': response body does not match POST /v1/pets 4XX "
			 "(application/problem+json): body: missing required property 'title'\n"
			 "stubs.yaml:7:3: error: stub 'stubs.yaml#3': response body does not match GET /v1/pets/{petId} 200 "
			 "(application/json): body: expected object, got an array\n");
}

Test(openapi_check, media_types_are_compared_without_their_parameters)
{
	openapi_source_destroy(src);
	put("api.yaml", "openapi: 3.0.3\n"
			"paths:\n"
			"  /a:\n"
			"    get:\n"
			"      responses:\n"
			"        '200':\n"
			"          description: x\n"
			"          content:\n"
			"            application/problem+json: {schema: {type: object}}\n"
			"            'application/json; charset=utf-8': {schema: {type: array}}\n");
	src = openapi_source_create("api.yaml", true, &diags);
	cr_assert_not_null(src);
	cr_expect_str_eq(check("- request: {method: GET, path: /a}\n"
			       "  response: {json: [1]}\n"
			       "- request: {method: GET, path: /a}\n"
			       "  response: {json: {a: 1}, headers: {Content-Type: application/json;charset=UTF-8}}\n"),
			 "stubs.yaml:3:3: error: stub 'stubs.yaml#1': response body does not match GET /a 200 "
			 "(application/json; charset=utf-8): body: expected array, got an object\n");
}

Test(openapi_check, a_body_that_is_not_json)
{
	cr_expect_str_eq(check("- request: {method: GET, path: /v1/pets/2}\n"
			       "  response: {body: 'not json', headers: {Content-Type: application/json}}\n"
			       "- request: {method: GET, path: /v1/pets/2}\n"
			       "  response: {body: '{\"id\": 1', headers: {Content-Type: application/json; charset=utf-8}}\n"),
			 "stubs.yaml:1:3: error: stub 'stubs.yaml#0': the response body is not JSON; GET /v1/pets/{petId} 200 "
			 "expects application/json\n"
			 "stubs.yaml:3:3: error: stub 'stubs.yaml#1': the response body is not JSON; GET /v1/pets/{petId} 200 "
			 "expects application/json\n");
}

Test(openapi_check, what_is_not_checked)
{
	cr_expect_str_eq(check("- request: {method: GET, path: /v1/pets/2}\n"
			       "  response: {json: {id: '{{request.params.id}}', name: 12}}\n"
			       "- request: {method: GET, path: /v1/pets/2}\n"
			       "  response: {body: 'just text', headers: {Content-Type: text/plain}}\n"
			       "- request: {method: GET, path: /v1/pets/2}\n"
			       "  response: {body: '', headers: {Content-Type: application/json}}\n"
			       "- request: {method: GET, path_regex: '^/nowhere/.*'}\n"
			       "  response: {json: {}}\n"
			       "- request: {method: GET}\n"
			       "  response: {json: {}}\n"
			       "- request: {method: GET, path: /v1/pets/2}\n"
			       "  response: {body: '<pet/>', headers: {Content-Type: application/xml}}\n"),
			 "");
}

Test(openapi_check, every_response_of_a_sequence)
{
	cr_expect_str_eq(check("- request: {method: GET, path: /v1/pets/2}\n"
			       "  responses:\n"
			       "    - {json: {id: 2, name: a}}\n"
			       "    - {status: 404}\n"
			       "    - {status: 418}\n"
			       "    - {json: {id: 2}}\n"),
			 "stubs.yaml:1:3: error: stub 'stubs.yaml#0': GET /v1/pets/{petId} declares no response 418\n"
			 "stubs.yaml:1:3: error: stub 'stubs.yaml#0': response body does not match GET /v1/pets/{petId} 200 "
			 "(application/json): body: missing required property 'name'\n");
}

Test(openapi_check, the_specs_own_stubs_are_not_checked)
{
	struct stub_group *g = openapi_source_group(src);
	cr_expect_gt(g->n, 0);
	cr_expect_eq(openapi_source_check(src, (const struct stub *const *)g->stubs, g->n, &diags), 0);
	stub_group_unref(g);
	cr_expect_eq(diags.n, 0);
}

Test(openapi_check, a_head_stub_is_checked_against_the_specs_head_before_its_get)
{
	openapi_source_destroy(src);
	put("api.yaml", "openapi: 3.0.3\n"
			"paths:\n"
			"  /a:\n"
			"    get: {responses: {'200': {description: x}}}\n"
			"    head: {responses: {'204': {description: x}}}\n"
			"  /b:\n"
			"    get: {responses: {'200': {description: x}}}\n");
	src = openapi_source_create("api.yaml", true, &diags);
	cr_assert_not_null(src);
	cr_expect_str_eq(check("- request: {method: HEAD, path: /a}\n"
			       "  response: {status: 204}\n"
			       "- request: {method: HEAD, path: /b}\n"
			       "  response: {status: 200}\n"
			       "- request: {method: HEAD, path: /a}\n"
			       "  response: {status: 200}\n"),
			 "stubs.yaml:5:3: error: stub 'stubs.yaml#2': HEAD /a declares no response 200\n");
}
