/* SPDX-License-Identifier: MIT */
/* openapi_compile: an OpenAPI document compiled into operations (openapi_model.h): the
 * version check, the servers prefix, the parameters of path items and operations merged,
 * request bodies, security schemes and requirements, responses with their answers built
 * once (examples, schema-built bodies, headers), the response served without Prefer,
 * oa_op_response, each path's 405, and every problem located as FILE:LINE:COLUMN. Each
 * test runs in its own process and temporary directory. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "openapi_doc.h"
#include "jsonschema.h"
#include "openapi_model.h"
#include "reply.h"
#include "testutil.h"
#include "util/strbuf.h"

static struct diag_list diags;

static void setup(void)
{
	diag_list_init(&diags);
	tmpdir_enter("openapi-compile");
}

static void teardown(void)
{
	kept_release();
	diag_list_release(&diags);
	tmpdir_leave();
}

TestSuite(openapi_compile, .init = setup, .fini = teardown);

/* The spec text, written to api.yaml and compiled; fails the test, showing the
 * diagnostics, when it does not compile. */
static struct oa_spec *compile(const char *text)
{
	put("api.yaml", text);
	struct openapi_doc *doc = openapi_doc_load("api.yaml", &diags);
	char *why = diags_text(&diags);
	cr_assert_not_null(doc, "does not load:\n%s", why);
	struct oa_spec *sp = oa_spec_compile(doc, "api.yaml", true, &diags);
	free(why);
	why = diags_text(&diags);
	cr_assert_not_null(sp, "does not compile:\n%s\n%s", text, why);
	cr_assert_eq(diags.n, 0, "%s", why);
	free(why);
	return sp;
}

/* The diagnostics of a spec that must not compile (kept). */
static const char *compile_fails(const char *text)
{
	diag_list_release(&diags);
	diag_list_init(&diags);
	put("api.yaml", text);
	struct openapi_doc *doc = openapi_doc_load("api.yaml", &diags);
	cr_assert_not_null(doc, "does not even load:\n%s", keep(diags_text(&diags)));
	struct oa_spec *sp = oa_spec_compile(doc, "api.yaml", true, &diags);
	cr_assert_null(sp, "compiles, but should not:\n%s", text);
	cr_assert_gt(diags.n, 0, "no diagnostic for:\n%s", text);
	return keep(diags_text(&diags));
}

static const struct oa_op *op_of(const struct oa_spec *sp, const char *method, const char *path)
{
	for (size_t i = 0; i < sp->nops; i++)
		if (strcmp(sp->ops[i].method, method) == 0 && strcmp(sp->ops[i].path, path) == 0)
			return &sp->ops[i];
	cr_assert_fail("no operation %s %s", method, path);
	return NULL;
}

static const struct oa_param *param_of(const struct oa_op *op, const char *in, const char *name)
{
	static const char *const ins[] = { "path", "query", "header", "cookie" };
	for (size_t i = 0; i < op->nparams; i++)
		if (strcmp(ins[op->params[i].in], in) == 0 && strcmp(op->params[i].name, name) == 0)
			return &op->params[i];
	return NULL;
}

static const struct oa_response *response_of(const struct oa_op *op, const char *code)
{
	for (size_t i = 0; i < op->nresponses; i++)
		if (strcmp(op->responses[i].code, code) == 0)
			return &op->responses[i];
	cr_assert_fail("%s %s has no response %s", op->method, op->path, code);
	return NULL;
}

/* The body of a shared answer as a string (kept). */
static const char *body_of(const struct reply_shared *sh)
{
	cr_assert_not_null(sh);
	char *s = malloc(sh->body_len + 1);
	cr_assert_not_null(s);
	if (sh->body_len)
		memcpy(s, sh->body, sh->body_len);
	s[sh->body_len] = '\0';
	return keep(s);
}

static const char *shared_header(const struct reply_shared *sh, const char *name)
{
	for (size_t i = 0; i < sh->nheaders; i++)
		if (strcmp(sh->headers[i].name, name) == 0)
			return sh->headers[i].value;
	return NULL;
}

static const char head[] = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\n";

/* head followed by rest (kept). */
static const char *spec(const char *rest)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, head);
	strbuf_adds(&sb, rest);
	return keep(strbuf_detach(&sb, NULL));
}

/* ---- versions ---- */

Test(openapi_compile, versions_3_0_and_3_1_pick_the_schema_dialect)
{
	struct oa_spec *sp = compile("openapi: 3.0.3\npaths: {}\n");
	cr_expect_not(sp->oas31);
	cr_expect_str_eq(sp->file, "api.yaml");
	cr_expect(sp->validate);
	cr_expect_eq(sp->nops, 0);
	cr_expect_eq(sp->npaths, 0);
	cr_expect_str_eq(sp->prefix, "");
	oa_spec_unref(sp);
	sp = compile("openapi: 3.1.0\n");
	cr_expect(sp->oas31);
	cr_expect_eq(sp->nops, 0, "no paths at all is a spec without operations");
	oa_spec_unref(sp);
	sp = compile("openapi: '3.0'\n");
	cr_expect_not(sp->oas31);
	oa_spec_unref(sp);
	sp = compile("openapi: '3.1'\n");
	cr_expect(sp->oas31);
	oa_spec_unref(sp);
}

Test(openapi_compile, schemas_are_read_in_the_specs_dialect)
{
	static const char rest[] = "paths:\n"
				   "  /p:\n"
				   "    get:\n"
				   "      parameters: [{name: q, in: query, schema: {type: [string, 'null']}}]\n"
				   "      responses: {'200': {description: x}}\n";
	char text[512];
	snprintf(text, sizeof(text), "openapi: 3.1.0\n%s", rest);
	struct oa_spec *sp = compile(text);
	cr_expect_not_null(sp->ops[0].params[0].schema);
	oa_spec_unref(sp);
	snprintf(text, sizeof(text), "openapi: 3.0.3\n%s", rest);
	cr_expect_str_eq(compile_fails(text), "api.yaml:5:56: error: invalid schema: 'type' must be a string in OpenAPI 3.0 "
					      "(a list of types needs 3.1; use 'nullable' for null)\n");
}

Test(openapi_compile, the_validate_flag_is_kept)
{
	put("api.yaml", "openapi: 3.0.0\n");
	struct openapi_doc *doc = openapi_doc_load("api.yaml", &diags);
	cr_assert_not_null(doc);
	struct oa_spec *sp = oa_spec_compile(doc, "api.yaml", false, &diags);
	cr_assert_not_null(sp);
	cr_expect_not(sp->validate);
	oa_spec_unref(sp);
}

Test(openapi_compile, documents_that_are_not_openapi_3)
{
	cr_expect_str_eq(compile_fails("swagger: '2.0'\ninfo: {title: t}\n"),
			 "api.yaml:1:10: error: Swagger 2.0 is not supported: expected an OpenAPI 3.0 or 3.1 document "
			 "(convert it, e.g. with swagger2openapi)\n");
	cr_expect_str_eq(compile_fails("info: {title: t}\n"),
			 "api.yaml:1:1: error: not an OpenAPI document: expected a top-level 'openapi' key (3.0.x or 3.1.x)\n");
	cr_expect_str_eq(compile_fails("- openapi: 3.0.0\n"),
			 "api.yaml:1:1: error: not an OpenAPI document: expected a top-level 'openapi' key (3.0.x or 3.1.x)\n");
	cr_expect_str_eq(compile_fails("openapi: 2.5.0\n"),
			 "api.yaml:1:10: error: OpenAPI version '2.5.0' is not supported: expected 3.0.x or 3.1.x\n");
	cr_expect_str_eq(compile_fails("info: {}\nopenapi: 3.10.0\n"),
			 "api.yaml:2:10: error: OpenAPI version '3.10.0' is not supported: expected 3.0.x or 3.1.x\n");
	cr_expect_str_eq(compile_fails("openapi: '3.02'\n"),
			 "api.yaml:1:10: error: OpenAPI version '3.02' is not supported: expected 3.0.x or 3.1.x\n");
	/* YAML reads 3.0 as a number: the key is there, its value is not a version string */
	cr_expect_str_eq(compile_fails("openapi: 3.0\n"),
			 "api.yaml:1:10: error: 'openapi' must be a version string such as '3.0.3' or '3.1.0'\n");
}

/* ---- the servers prefix ---- */

/* The prefix compiled from this servers: list (YAML flow text). */
static const char *prefix_of(const char *servers)
{
	char text[1024];
	snprintf(text, sizeof(text), "openapi: 3.0.3\nservers: %s\npaths: {/p: {get: {responses: {'204': {description: x}}}}}\n",
		 servers);
	struct oa_spec *sp = compile(text);
	const char *p = keep(strdup(sp->prefix));
	cr_expect_eq(sp->nops, 1);
	char want[256];
	snprintf(want, sizeof(want), "%s/p", p);
	cr_expect_str_eq(sp->ops[0].path, want, "the operation's path is the prefix and its path");
	oa_spec_unref(sp);
	return p;
}

Test(openapi_compile, the_servers_prefix_is_the_path_of_the_first_url)
{
	cr_expect_str_eq(prefix_of("[{url: 'http://petstore.example/v1'}]"), "/v1");
	cr_expect_str_eq(prefix_of("[{url: 'https://h.example:8443/api/v2/'}]"), "/api/v2", "trailing '/' dropped");
	cr_expect_str_eq(prefix_of("[{url: 'https://h.example/api//'}]"), "/api", "every trailing '/' dropped");
	cr_expect_str_eq(prefix_of("[{url: 'https://h.example'}]"), "");
	cr_expect_str_eq(prefix_of("[{url: 'https://h.example/'}]"), "");
	cr_expect_str_eq(prefix_of("[{url: '//h.example/base'}]"), "/base", "scheme-relative");
	cr_expect_str_eq(prefix_of("[{url: '/rel/v3'}]"), "/rel/v3", "relative");
	cr_expect_str_eq(prefix_of("[{url: '/'}]"), "");
	cr_expect_str_eq(prefix_of("[{url: 'v1'}]"), "", "relative without a leading '/': no prefix");
	cr_expect_str_eq(prefix_of("[{url: 'http://h/a?x=1#f'}]"), "/a", "query and fragment are not the path");
	cr_expect_str_eq(prefix_of("[{url: 'http://h/one'}, {url: 'http://h/two'}]"), "/one", "servers[0] only");
	cr_expect_str_eq(prefix_of("[]"), "");
	cr_expect_str_eq(prefix_of("[{description: no url}]"), "");
}

Test(openapi_compile, server_variables_take_their_defaults)
{
	cr_expect_str_eq(prefix_of("[{url: '{scheme}://{host}/{base}/x', variables: {scheme: {default: https}, "
				   "host: {default: h.example}, base: {default: api, enum: [api, beta]}}}]"),
			 "/api/x");
	cr_expect_str_eq(prefix_of("[{url: '/api/{version}', variables: {version: {default: v2}}}]"), "/api/v2");
	cr_expect_str_eq(prefix_of("[{url: 'https://{env}.example.com/v1', variables: {env: {default: prod}}}]"), "/v1");
	cr_expect_str_eq(prefix_of("[{url: '/api/{v}/x'}]"), "/api//x", "a variable without a default is empty");
	cr_expect_str_eq(prefix_of("[{url: '/api/{open'}]"), "/api/{open", "no closing brace: literal text");
}

Test(openapi_compile, no_servers_no_prefix_and_the_root_path)
{
	struct oa_spec *sp = compile(spec("paths:\n  /: {get: {responses: {'200': {description: x}}}}\n"));
	cr_expect_str_eq(sp->prefix, "");
	cr_expect_str_eq(sp->ops[0].path, "/");
	oa_spec_unref(sp);
	sp = compile(spec("servers: [{url: /v1}]\npaths:\n  /: {get: {responses: {'200': {description: x}}}}\n"));
	cr_expect_str_eq(sp->ops[0].path, "/v1", "'/' under a prefix is the prefix itself");
	cr_expect_str_eq(sp->paths[0].path, "/v1");
	oa_spec_unref(sp);
}

/* ---- operations and paths ---- */

Test(openapi_compile, every_method_of_a_path_item_is_an_operation)
{
	struct oa_spec *sp = compile(spec("paths:\n"
					  "  /a:\n"
					  "    summary: s\n"
					  "    x-thing: {get: 1}\n"
					  "    trace: {responses: {'200': {description: x}}}\n"
					  "    patch: {responses: {'200': {description: x}}}\n"
					  "    head: {responses: {'200': {description: x}}}\n"
					  "    options: {responses: {'200': {description: x}}}\n"
					  "    delete: {operationId: del, responses: {'200': {description: x}}}\n"
					  "    post: {responses: {'200': {description: x}}}\n"
					  "    put: {responses: {'200': {description: x}}}\n"
					  "    get: {operationId: getA, responses: {'200': {description: x}}}\n"
					  "  x-ext: {get: {}}\n"
					  "  /empty: {summary: nothing here}\n"));
	cr_assert_eq(sp->nops, 8);
	static const char *const order[] = { "GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE" };
	for (size_t i = 0; i < 8; i++) {
		cr_expect_str_eq(sp->ops[i].method, order[i]);
		cr_expect_str_eq(sp->ops[i].path, "/a");
		cr_expect_eq(sp->ops[i].spec, sp);
		cr_expect_not_null(sp->ops[i].node);
	}
	cr_expect_str_eq(op_of(sp, "GET", "/a")->id, "openapi:getA");
	cr_expect_str_eq(op_of(sp, "DELETE", "/a")->id, "openapi:del");
	cr_expect_str_eq(op_of(sp, "PUT", "/a")->id, "openapi:PUT /a", "no operationId: method and path");
	cr_assert_eq(sp->npaths, 1, "a path item without operations is no path");
	cr_expect_str_eq(sp->paths[0].path, "/a");
	cr_expect_str_eq(sp->paths[0].allow, "GET, PUT, POST, DELETE, OPTIONS, HEAD, PATCH, TRACE");
	cr_expect_eq(sp->paths[0].spec, sp);
	oa_spec_unref(sp);
}

Test(openapi_compile, a_path_item_may_be_a_reference)
{
	struct oa_spec *sp = compile(spec("paths:\n"
					  "  /a: {$ref: '#/x-items/A'}\n"
					  "x-items:\n"
					  "  A: {get: {operationId: a, responses: {'200': {description: x}}}}\n"));
	cr_assert_eq(sp->nops, 1);
	cr_expect_str_eq(sp->ops[0].id, "openapi:a");
	cr_expect_str_eq(sp->ops[0].path, "/a");
	oa_spec_unref(sp);
}

Test(openapi_compile, each_path_gets_its_405)
{
	struct oa_spec *sp = compile(spec("servers: [{url: /v1}]\n"
					  "paths:\n"
					  "  /pets: {get: {responses: {'200': {description: x}}}, post: {responses: {'201': {description: x}}}}\n"
					  "  /f/{name}.{ext}: {get: {responses: {'200': {description: x}}}}\n"
					  "  /p/{id}: {delete: {responses: {'204': {description: x}}}}\n"));
	cr_assert_eq(sp->npaths, 3);
	const struct oa_path *p = &sp->paths[0];
	cr_expect_str_eq(p->path, "/v1/pets");
	cr_expect_str_eq(p->allow, "GET, POST, HEAD");
	cr_expect_not(p->regex);
	cr_assert_not_null(p->answer);
	cr_expect_eq(p->answer->status, 405);
	cr_expect_str_eq(p->answer->content_type, "application/problem+json");
	cr_expect_str_eq(body_of(p->answer), "{\"type\":\"about:blank\",\"title\":\"Method Not Allowed\",\"status\":405,"
					     "\"detail\":\"/v1/pets allows GET, POST, HEAD\"}");
	cr_expect_eq(p->answer->nheaders, 1);
	cr_expect_str_eq(shared_header(p->answer, "Allow"), "GET, POST, HEAD");
	cr_expect(sp->paths[1].regex, "a parameter inside a segment");
	cr_expect_str_eq(sp->paths[1].path, "/v1/f/{name}.{ext}");
	cr_expect_not(sp->paths[2].regex, "a whole-segment parameter is a template");
	cr_expect_str_eq(sp->paths[2].allow, "DELETE");
	oa_spec_unref(sp);
}

Test(openapi_compile, problems_with_paths_and_operations_are_located)
{
	cr_expect_str_eq(compile_fails(spec("paths: [1]\n")), "api.yaml:3:8: error: 'paths' must be an object of path items\n");
	cr_expect_str_eq(compile_fails(spec("paths:\n  pets: {get: {}}\n")), "api.yaml:4:9: error: path 'pets' must start with '/'\n");
	cr_expect_str_eq(compile_fails(spec("paths:\n  /pets: 12\n")), "api.yaml:4:10: error: path item '/pets' must be an object\n");
	cr_expect_str_eq(compile_fails(spec("paths:\n  /pets: {get: nope}\n")),
			 "api.yaml:4:16: error: operation 'get' of '/pets' must be an object\n");
	/* several problems at once */
	const char *t = compile_fails(spec("paths:\n"
					   "  a: {}\n"
					   "  /b: {get: 1, put: {responses: {'999': {description: x}}}}\n"));
	cr_expect_str_eq(t, "api.yaml:4:6: error: path 'a' must start with '/'\n"
			    "api.yaml:5:13: error: operation 'get' of '/b' must be an object\n"
			    "api.yaml:5:41: error: response code '999' must be 100..599, 1XX..5XX or 'default'\n");
}

/* ---- parameters ---- */

Test(openapi_compile, path_level_parameters_are_merged_and_overridden)
{
	struct oa_spec *sp = compile(spec("paths:\n"
					  "  /p/{id}:\n"
					  "    parameters:\n"
					  "      - {name: id, in: path, schema: {type: string}}\n"
					  "      - {name: limit, in: query, required: true, schema: {type: integer}}\n"
					  "      - {$ref: '#/components/parameters/Trace'}\n"
					  "    get:\n"
					  "      parameters:\n"
					  "        - {name: limit, in: query, schema: {type: integer, maximum: 5}}\n"
					  "        - {name: limit, in: header, schema: {type: string}}\n"
					  "        - {name: q, in: query}\n"
					  "      responses: {'200': {description: x}}\n"
					  "    put:\n"
					  "      responses: {'200': {description: x}}\n"
					  "components:\n"
					  "  parameters:\n"
					  "    Trace: {name: X-Trace, in: header, required: true, schema: {type: string}}\n"));
	const struct oa_op *get = op_of(sp, "GET", "/p/{id}");
	cr_assert_eq(get->nparams, 5);
	cr_expect_str_eq(get->params[0].name, "id");
	cr_expect_str_eq(get->params[1].name, "limit");
	cr_expect_eq(get->params[1].in, OA_IN_QUERY);
	cr_expect_not(get->params[1].required, "the operation's limit replaced the path item's, in its place");
	cr_expect_str_eq(get->params[2].name, "X-Trace");
	cr_expect_str_eq(get->params[3].name, "limit");
	cr_expect_eq(get->params[3].in, OA_IN_HEADER, "the same name in another location is another parameter");
	cr_expect_str_eq(get->params[4].name, "q");
	cr_expect_null(get->params[4].schema, "no schema: any value");
	const struct oa_param *id = param_of(get, "path", "id");
	cr_expect(id->required, "a path parameter is required, whatever it says");
	cr_expect_not_null(id->schema);
	cr_expect(param_of(get, "header", "X-Trace")->required);
	const struct oa_op *put = op_of(sp, "PUT", "/p/{id}");
	cr_assert_eq(put->nparams, 3, "the path item's parameters as they are");
	cr_expect(param_of(put, "query", "limit")->required);
	oa_spec_unref(sp);
}

Test(openapi_compile, a_header_parameter_is_overridden_whatever_its_case)
{
	struct oa_spec *sp = compile(spec("paths:\n"
					  "  /p:\n"
					  "    parameters: [{name: X-Trace, in: header, required: true}]\n"
					  "    get:\n"
					  "      parameters: [{name: x-trace, in: header}]\n"
					  "      responses: {'200': {description: x}}\n"));
	const struct oa_op *get = op_of(sp, "GET", "/p");
	cr_assert_eq(get->nparams, 1, "HTTP header names are case-insensitive: one header");
	cr_expect_not(get->params[0].required);
	oa_spec_unref(sp);
}

Test(openapi_compile, accept_content_type_and_authorization_headers_are_not_parameters)
{
	struct oa_spec *sp = compile(spec("paths:\n"
					  "  /p:\n"
					  "    get:\n"
					  "      parameters:\n"
					  "        - {name: Accept, in: header, required: true}\n"
					  "        - {name: content-type, in: header, required: true}\n"
					  "        - {name: AUTHORIZATION, in: header, required: true}\n"
					  "        - {name: Accept, in: query, required: true}\n"
					  "        - {name: Accept-Language, in: header}\n"
					  "      responses: {'200': {description: x}}\n"));
	const struct oa_op *get = op_of(sp, "GET", "/p");
	cr_assert_eq(get->nparams, 2);
	cr_expect_not_null(param_of(get, "query", "Accept"), "only the headers are described elsewhere");
	cr_expect_not_null(param_of(get, "header", "Accept-Language"));
	oa_spec_unref(sp);
}

Test(openapi_compile, content_parameters_and_exploded_objects)
{
	struct oa_spec *sp = compile(spec("paths:\n"
					  "  /p:\n"
					  "    get:\n"
					  "      parameters:\n"
					  "        - {name: j, in: query, content: {application/json: {schema: {type: object}}}}\n"
					  "        - {name: v, in: query, content: {application/vnd.x+json: {schema: {type: object}}}}\n"
					  "        - {name: t, in: query, content: {text/plain: {schema: {type: integer}}}}\n"
					  "        - {name: d, in: query, style: deepObject, schema: {type: object}}\n"
					  "        - {name: f, in: query, schema: {type: object}}\n"
					  "        - {name: g, in: query, explode: false, schema: {type: object}}\n"
					  "        - {name: r, in: query, schema: {$ref: '#/components/schemas/Obj'}}\n"
					  "        - {name: h, in: header, schema: {type: object}}\n"
					  "        - {name: a, in: query, schema: {type: array, items: {type: integer}}}\n"
					  "      responses: {'200': {description: x}}\n"
					  "components:\n"
					  "  schemas:\n"
					  "    Obj: {type: object}\n"));
	const struct oa_op *get = op_of(sp, "GET", "/p");
	const struct oa_param *p = param_of(get, "query", "j");
	cr_expect(p->json);
	cr_expect_not_null(p->schema);
	cr_expect_not(p->exploded_object, "a content parameter is one value, whatever its schema");
	cr_expect(param_of(get, "query", "v")->json, "+json is JSON");
	p = param_of(get, "query", "t");
	cr_expect_not(p->json);
	cr_expect_not_null(p->schema);
	cr_expect(param_of(get, "query", "d")->exploded_object);
	cr_expect(param_of(get, "query", "f")->exploded_object, "form style explodes objects by default");
	cr_expect_not(param_of(get, "query", "g")->exploded_object);
	cr_expect(param_of(get, "query", "r")->exploded_object, "the type read through the $ref");
	cr_expect_not(param_of(get, "header", "h")->exploded_object, "only query objects explode into members");
	cr_expect_not(param_of(get, "query", "a")->exploded_object);
	oa_spec_unref(sp);
}

Test(openapi_compile, bad_parameters_are_located)
{
	cr_expect_str_eq(compile_fails(spec("paths:\n  /p: {parameters: {a: 1}, get: {responses: {'200': {description: x}}}}\n")),
			 "api.yaml:4:20: error: 'parameters' must be an array\n");
	/* a path item's problems are its own: said once, however many operations it has */
	cr_expect_str_eq(compile_fails(spec("paths:\n"
					    "  /p:\n"
					    "    parameters: [{name: a}, {name: b, in: query, schema: {type: 1}}]\n"
					    "    get: {responses: {'200': {description: x}}}\n"
					    "    put: {responses: {'200': {description: x}}}\n")),
			 "api.yaml:5:18: error: a parameter needs a 'name' and an 'in' of path, query, header or cookie\n"
			 "api.yaml:5:65: error: invalid schema: 'type' must be a string or an array of strings\n");
	/* and so are a shared schema's */
	cr_expect_str_eq(compile_fails(spec("paths:\n"
					    "  /p:\n"
					    "    get:\n"
					    "      parameters: [{name: a, in: query, schema: {$ref: '#/components/schemas/S'}}]\n"
					    "      responses: {'200': {description: x, content: {application/json: {schema: {$ref: '#/components/schemas/S'}}}}}\n"
					    "components:\n"
					    "  schemas:\n"
					    "    S: {type: string, pattern: '('}\n")),
			 "api.yaml:10:32: error: invalid schema: 'pattern' is not a valid regular expression: missing closing parenthesis "
			 "at offset 1\n");
	cr_expect_str_eq(compile_fails(spec("paths:\n"
					    "  /p:\n"
					    "    get:\n"
					    "      parameters:\n"
					    "        - {name: a, in: body}\n"
					    "        - {in: query}\n"
					    "      responses: {'200': {description: x}}\n")),
			 "api.yaml:7:11: error: a parameter needs a 'name' and an 'in' of path, query, header or cookie\n"
			 "api.yaml:8:11: error: a parameter needs a 'name' and an 'in' of path, query, header or cookie\n");
	cr_expect_str_eq(compile_fails(spec("paths:\n"
					    "  /p:\n"
					    "    get:\n"
					    "      parameters: [{name: a, in: query, schema: {type: string, minLength: -1}}]\n"
					    "      responses: {'200': {description: x}}\n")),
			 "api.yaml:6:75: error: invalid schema: 'minLength' must be a non-negative integer\n");
}

/* ---- request bodies ---- */

Test(openapi_compile, request_bodies_and_their_media_types)
{
	struct oa_spec *sp = compile(spec("paths:\n"
					  "  /p:\n"
					  "    post:\n"
					  "      requestBody:\n"
					  "        required: true\n"
					  "        content:\n"
					  "          Application/JSON: {schema: {type: object}}\n"
					  "          application/merge-patch+json: {}\n"
					  "          application/x-www-form-urlencoded: {schema: {type: object}}\n"
					  "          text/*: {}\n"
					  "          '*/*': {schema: {type: string}}\n"
					  "      responses: {'200': {description: x}}\n"
					  "    put:\n"
					  "      requestBody: {$ref: '#/components/requestBodies/B'}\n"
					  "      responses: {'200': {description: x}}\n"
					  "    patch:\n"
					  "      requestBody: {description: no content}\n"
					  "      responses: {'200': {description: x}}\n"
					  "    delete:\n"
					  "      responses: {'200': {description: x}}\n"
					  "components:\n"
					  "  requestBodies:\n"
					  "    B: {content: {application/json: {schema: {type: integer}}}}\n"));
	const struct oa_op *post = op_of(sp, "POST", "/p");
	cr_expect(post->has_body);
	cr_expect(post->body_required);
	cr_assert_eq(post->nbody, 5);
	cr_expect_str_eq(post->body[0].type, "application/json", "lower-cased");
	cr_expect(post->body[0].is_json);
	cr_expect_not(post->body[0].is_form);
	cr_expect_not_null(post->body[0].schema);
	cr_expect(post->body[1].is_json, "+json");
	cr_expect_null(post->body[1].schema);
	cr_expect(post->body[2].is_form);
	cr_expect_not(post->body[2].is_json);
	cr_expect_not(post->body[3].is_json);
	cr_expect_not(post->body[3].is_form);
	cr_expect_str_eq(post->body[4].type, "*/*");
	cr_expect_not(post->body[4].is_json, "a body of any type is not read as JSON");
	const struct oa_op *put = op_of(sp, "PUT", "/p");
	cr_expect(put->has_body);
	cr_expect_not(put->body_required, "required is false unless said");
	cr_assert_eq(put->nbody, 1);
	cr_expect_not_null(put->body[0].schema);
	const struct oa_op *patch = op_of(sp, "PATCH", "/p");
	cr_expect(patch->has_body);
	cr_expect_eq(patch->nbody, 0);
	cr_expect_not(op_of(sp, "DELETE", "/p")->has_body);
	oa_spec_unref(sp);
}

Test(openapi_compile, a_schema_is_compiled_once)
{
	struct oa_spec *sp = compile(spec("paths:\n"
					  "  /p:\n"
					  "    post:\n"
					  "      parameters: [{name: q, in: query, schema: {$ref: '#/components/schemas/S'}}]\n"
					  "      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/S'}}}}\n"
					  "      responses:\n"
					  "        '200': {description: x, content: {application/json: {schema: {$ref: '#/components/schemas/S'}}}}\n"
					  "components:\n"
					  "  schemas:\n"
					  "    S: {type: string}\n"));
	const struct oa_op *post = op_of(sp, "POST", "/p");
	cr_expect_eq(post->params[0].schema, post->body[0].schema);
	cr_expect_eq(post->body[0].schema, post->responses[0].media[0].schema);
	cr_expect_eq(jsonschema_lib_nodes(sp->lib), 1, "S compiled once");
	oa_spec_unref(sp);
}

/* ---- security ---- */

Test(openapi_compile, security_schemes)
{
	struct oa_spec *sp = compile(spec("components:\n"
					  "  securitySchemes:\n"
					  "    q: {type: apiKey, in: query, name: key}\n"
					  "    h: {type: apiKey, in: header, name: X-Key}\n"
					  "    c: {type: apiKey, in: cookie, name: sid}\n"
					  "    basic: {type: http, scheme: basic}\n"
					  "    bearer: {type: http, scheme: BEARER, bearerFormat: JWT}\n"
					  "    digest: {type: http, scheme: Digest}\n"
					  "    oauth: {type: oauth2, flows: {}}\n"
					  "    oidc: {type: openIdConnect, openIdConnectUrl: 'https://x'}\n"
					  "    tls: {type: mutualTLS}\n"
					  "    odd: {type: carrier-pigeon}\n"));
	cr_assert_eq(sp->nschemes, 10);
	const struct oa_scheme *s = sp->schemes;
	cr_expect_str_eq(s[0].name, "q");
	cr_expect_eq(s[0].kind, OA_SCHEME_API_KEY);
	cr_expect_eq(s[0].in, OA_IN_QUERY);
	cr_expect_str_eq(s[0].param, "key");
	cr_expect_str_eq(s[0].challenge, "ApiKey query=\"key\"");
	cr_expect_eq(s[1].in, OA_IN_HEADER);
	cr_expect_str_eq(s[1].challenge, "ApiKey header=\"X-Key\"");
	cr_expect_eq(s[2].in, OA_IN_COOKIE);
	cr_expect_str_eq(s[2].challenge, "ApiKey cookie=\"sid\"");
	cr_expect_eq(s[3].kind, OA_SCHEME_HTTP);
	cr_expect_str_eq(s[3].http_scheme, "Basic");
	cr_expect_str_eq(s[3].challenge, "Basic realm=\"cannery\"");
	cr_expect_str_eq(s[4].http_scheme, "Bearer", "capitalised as sent, whatever the spec says");
	cr_expect_str_eq(s[4].challenge, "Bearer");
	cr_expect_str_eq(s[5].http_scheme, "Digest");
	cr_expect_str_eq(s[5].challenge, "Digest");
	cr_expect_eq(s[6].kind, OA_SCHEME_OAUTH);
	cr_expect_str_eq(s[6].http_scheme, "Bearer");
	cr_expect_str_eq(s[6].challenge, "Bearer");
	cr_expect_eq(s[7].kind, OA_SCHEME_OAUTH);
	cr_expect_eq(s[8].kind, OA_SCHEME_ANY);
	cr_expect_null(s[8].challenge);
	cr_expect_eq(s[9].kind, OA_SCHEME_ANY);
	oa_spec_unref(sp);
}

Test(openapi_compile, bad_security_schemes_are_located)
{
	cr_expect_str_eq(compile_fails(spec("components:\n"
					    "  securitySchemes:\n"
					    "    a: {type: apiKey, in: query}\n"
					    "    b: {type: apiKey, in: path, name: x}\n"
					    "    c: {type: apiKey, name: x}\n"
					    "    d: {type: http}\n"
					    "    e: {type: http, scheme: ''}\n")),
			 "api.yaml:5:8: error: an apiKey security scheme needs a 'name' and an 'in' of query, header or cookie\n"
			 "api.yaml:6:8: error: an apiKey security scheme needs a 'name' and an 'in' of query, header or cookie\n"
			 "api.yaml:7:8: error: an apiKey security scheme needs a 'name' and an 'in' of query, header or cookie\n"
			 "api.yaml:8:8: error: an http security scheme needs a 'scheme' (basic, bearer...)\n"
			 "api.yaml:9:8: error: an http security scheme needs a 'scheme' (basic, bearer...)\n");
}

static const char schemes[] = "components:\n"
			      "  securitySchemes:\n"
			      "    k: {type: apiKey, in: header, name: X-Key}\n"
			      "    b: {type: http, scheme: bearer}\n"
			      "    o: {type: oauth2, flows: {}}\n";

/* The security of GET /p in a spec with schemes k, b and o: "k+b|o" (alternatives by '|',
 * the schemes of one by '+'), "" for none (kept). */
static const char *security_of(const char *root_security, const char *op_security)
{
	char text[2048];
	snprintf(text, sizeof(text), "%s%s%s%spaths:\n  /p:\n    get:\n%s%s%s      responses: {'200': {description: x}}\n%s",
		 head, root_security ? "security: " : "", root_security ? root_security : "", root_security ? "\n" : "",
		 op_security ? "      security: " : "", op_security ? op_security : "", op_security ? "\n" : "", schemes);
	struct oa_spec *sp = compile(text);
	const struct oa_security *s = &sp->ops[0].security;
	struct strbuf out = STRBUF_INIT;
	strbuf_adds(&out, "");
	for (size_t i = 0; i < s->n; i++) {
		if (i)
			strbuf_addc(&out, '|');
		for (size_t j = 0; j < s->nalt[i]; j++) {
			if (j)
				strbuf_addc(&out, '+');
			strbuf_adds(&out, s->alts[i][j]->name);
		}
	}
	oa_spec_unref(sp);
	return keep(strbuf_detach(&out, NULL));
}

Test(openapi_compile, security_requirements)
{
	cr_expect_str_eq(security_of(NULL, NULL), "");
	cr_expect_str_eq(security_of(NULL, "[{k: []}]"), "k");
	cr_expect_str_eq(security_of(NULL, "[{k: [], b: []}]"), "k+b", "AND within one requirement");
	cr_expect_str_eq(security_of(NULL, "[{k: []}, {b: [], o: [read]}]"), "k|b+o", "OR across requirements");
	cr_expect_str_eq(security_of("[{k: []}]", NULL), "k", "the root's requirement applies");
	cr_expect_str_eq(security_of("[{k: []}]", "[{o: []}]"), "o", "the operation's replaces it");
	cr_expect_str_eq(security_of("[{k: []}]", "[]"), "", "security: [] removes it");
	cr_expect_str_eq(security_of(NULL, "[{}]"), "", "{} is anonymous access");
	cr_expect_str_eq(security_of(NULL, "[{k: []}, {}]"), "", "anonymous access as one alternative: nothing to check");
	cr_expect_str_eq(security_of(NULL, "[{}, {k: []}]"), "");
	cr_expect_str_eq(security_of("[{k: []}, {}]", NULL), "");
}

Test(openapi_compile, bad_security_requirements_are_located)
{
	char text[1024];
	snprintf(text, sizeof(text), "%spaths:\n  /p: {get: {security: [{nope: []}], responses: {'200': {description: x}}}}\n%s",
		 head, schemes);
	cr_expect_str_eq(compile_fails(text), "api.yaml:4:32: error: security scheme 'nope' is not defined in components/securitySchemes\n");
	snprintf(text, sizeof(text), "%ssecurity: {k: []}\npaths:\n  /p: {get: {responses: {'200': {description: x}}}}\n%s",
		 head, schemes);
	cr_expect_str_eq(compile_fails(text), "api.yaml:3:11: error: 'security' must be an array of security requirements\n");
	/* anonymous access does not hide the others' unknown schemes */
	snprintf(text, sizeof(text), "%spaths:\n  /p: {get: {security: [{}, {nope: []}], responses: {'200': {description: x}}}}\n%s",
		 head, schemes);
	cr_expect_str_eq(compile_fails(text), "api.yaml:4:36: error: security scheme 'nope' is not defined in components/securitySchemes\n");
	/* the root's requirements are reported once, not once per operation */
	snprintf(text, sizeof(text),
		 "%ssecurity: [{nope: []}]\npaths:\n  /p: {get: {responses: {'200': {description: x}}}, put: {responses: {'200': {description: x}}}}\n%s",
		 head, schemes);
	cr_expect_str_eq(compile_fails(text), "api.yaml:3:19: error: security scheme 'nope' is not defined in components/securitySchemes\n");
	/* a requirement that is not an object is no anonymous access */
	snprintf(text, sizeof(text), "%spaths:\n  /p: {get: {security: [k], responses: {'200': {description: x}}}}\n%s",
		 head, schemes);
	cr_expect_str_eq(compile_fails(text), "api.yaml:4:25: error: a security requirement must be an object of scheme names\n");
}

/* ---- responses ---- */

Test(openapi_compile, response_codes_and_their_statuses)
{
	struct oa_spec *sp = compile(spec("paths:\n"
					  "  /p:\n"
					  "    get:\n"
					  "      responses:\n"
					  "        '200': {description: x}\n"
					  "        2XX: {description: x}\n"
					  "        4xx: {description: x}\n"
					  "        '599': {description: x}\n"
					  "        '100': {description: x}\n"
					  "        default: {description: x}\n"
					  "        x-note: {description: ignored}\n"));
	const struct oa_op *get = op_of(sp, "GET", "/p");
	cr_assert_eq(get->nresponses, 6);
	cr_expect_eq(response_of(get, "200")->status, 200);
	cr_expect_eq(response_of(get, "2XX")->status, 200);
	cr_expect_eq(response_of(get, "4xx")->status, 400);
	cr_expect_eq(response_of(get, "599")->status, 599);
	cr_expect_eq(response_of(get, "100")->status, 100);
	cr_expect_eq(response_of(get, "default")->status, 200, "default is served as 200");
	oa_spec_unref(sp);
}

Test(openapi_compile, bad_response_codes_are_located)
{
	cr_expect_str_eq(compile_fails(spec("paths:\n"
					    "  /p:\n"
					    "    get:\n"
					    "      responses:\n"
					    "        '600': {description: x}\n"
					    "        '099': {description: x}\n"
					    "        6XX: {description: x}\n"
					    "        20: {description: x}\n"
					    "        2X0: {description: x}\n"
					    "        ok: {description: x}\n")),
			 "api.yaml:7:16: error: response code '600' must be 100..599, 1XX..5XX or 'default'\n"
			 "api.yaml:8:16: error: response code '099' must be 100..599, 1XX..5XX or 'default'\n"
			 "api.yaml:9:14: error: response code '6XX' must be 100..599, 1XX..5XX or 'default'\n"
			 "api.yaml:10:13: error: response code '20' must be 100..599, 1XX..5XX or 'default'\n"
			 "api.yaml:11:14: error: response code '2X0' must be 100..599, 1XX..5XX or 'default'\n"
			 "api.yaml:12:13: error: response code 'ok' must be 100..599, 1XX..5XX or 'default'\n");
}

Test(openapi_compile, no_responses_is_an_empty_200)
{
	struct oa_spec *sp = compile(spec("paths:\n  /p: {get: {}}\n"));
	const struct oa_op *get = op_of(sp, "GET", "/p");
	cr_assert_eq(get->nresponses, 1);
	cr_expect_str_eq(get->responses[0].code, "200");
	cr_expect_eq(get->responses[0].status, 200);
	cr_expect_eq(get->chosen, 0);
	cr_expect_eq(get->responses[0].nmedia, 0);
	cr_assert_not_null(get->responses[0].empty);
	cr_expect_eq(get->responses[0].empty->status, 200);
	cr_expect_null(get->responses[0].empty->content_type);
	cr_expect_eq(get->responses[0].empty->body_len, 0);
	oa_spec_unref(sp);
}

/* The code of the response GET /p serves without Prefer, its responses given as YAML
 * flow mapping members ("'404': {description: x}, ...") (kept). */
static const char *chosen(const char *responses)
{
	char text[1024];
	snprintf(text, sizeof(text), "%spaths:\n  /p: {get: {responses: {%s}}}\n", head, responses);
	struct oa_spec *sp = compile(text);
	const struct oa_op *get = &sp->ops[0];
	const char *code = keep(strdup(get->responses[get->chosen].code));
	oa_spec_unref(sp);
	return code;
}

#define R(code) "'" code "': {description: x}, "

Test(openapi_compile, the_response_served_is_the_lowest_2xx_else_default_else_the_lowest)
{
	cr_expect_str_eq(chosen(R("404") R("201") R("200")), "200");
	cr_expect_str_eq(chosen(R("2XX") R("204")), "204", "an exact code before its range");
	cr_expect_str_eq(chosen(R("default") R("2XX")), "2XX");
	cr_expect_str_eq(chosen(R("500") R("default") R("404")), "default");
	cr_expect_str_eq(chosen(R("default")), "default");
	cr_expect_str_eq(chosen(R("404") R("302")), "302");
	cr_expect_str_eq(chosen(R("500") R("4XX")), "4XX");
	cr_expect_str_eq(chosen(R("4XX") R("400")), "400");
	cr_expect_str_eq(chosen(R("1XX") R("301")), "1XX");
	cr_expect_str_eq(chosen(R("299") R("3XX") R("200")), "200");
}

Test(openapi_compile, oa_op_response_finds_a_code_then_its_range)
{
	struct oa_spec *sp = compile(spec("paths:\n"
					  "  /p: {get: {responses: {'404': {description: x}, 4XX: {description: x}, 2xx: {description: x},"
					  " default: {description: x}}}}\n"));
	const struct oa_op *get = &sp->ops[0];
	cr_expect_str_eq(oa_op_response(get, 404)->code, "404");
	cr_expect_str_eq(oa_op_response(get, 400)->code, "4XX");
	cr_expect_str_eq(oa_op_response(get, 418)->code, "4XX");
	cr_expect_str_eq(oa_op_response(get, 201)->code, "2xx");
	cr_expect_null(oa_op_response(get, 500), "default is the caller's choice");
	cr_expect_null(oa_op_response(get, 302));
	oa_spec_unref(sp);
}

/* ---- answers ---- */

Test(openapi_compile, examples_become_answers)
{
	struct oa_spec *sp = compile(spec("paths:\n"
					  "  /p:\n"
					  "    get:\n"
					  "      responses:\n"
					  "        '200':\n"
					  "          description: x\n"
					  "          headers:\n"
					  "            X-Rate: {schema: {type: integer}, example: 7}\n"
					  "          content:\n"
					  "            application/json:\n"
					  "              example: {a: 1}\n"
					  "              examples:\n"
					  "                one: {value: {b: 1}}\n"
					  "                ext: {externalValue: 'https://x/e.json'}\n"
					  "                two: {$ref: '#/components/examples/Two'}\n"
					  "            application/vnd.x+json:\n"
					  "              examples:\n"
					  "                first: {value: [1, 2]}\n"
					  "                second: {value: 'text'}\n"
					  "            text/plain:\n"
					  "              example: \"hello\\n\"\n"
					  "            text/csv:\n"
					  "              example: 12\n"
					  "        4XX:\n"
					  "          description: x\n"
					  "          content: {application/json: {example: {e: 1}}}\n"
					  "components:\n"
					  "  examples:\n"
					  "    Two: {summary: s, value: {c: 2}}\n"));
	const struct oa_op *get = &sp->ops[0];
	const struct oa_response *r = response_of(get, "200");
	cr_assert_eq(r->nmedia, 4);
	cr_expect_null(r->empty, "an answer per media type instead");
	cr_assert_eq(r->nheaders, 1);
	cr_expect_str_eq(r->headers[0].name, "X-Rate");
	cr_expect_str_eq(r->headers[0].value, "7");
	const struct oa_media *m = &r->media[0];
	cr_expect_str_eq(m->type, "application/json");
	cr_expect(m->is_json);
	cr_expect_null(m->schema);
	cr_expect_eq(m->answer->status, 200);
	cr_expect_null(m->answer->content_type, "among the headers");
	cr_expect_str_eq(shared_header(m->answer, "Content-Type"), "application/json");
	cr_expect_str_eq(body_of(m->answer), "{\"a\":1}", "example before examples");
	cr_expect_str_eq(shared_header(m->answer, "X-Rate"), "7");
	cr_assert_eq(m->nexamples, 2, "an example without a value is left out");
	cr_expect_str_eq(m->examples[0].name, "one");
	cr_expect_str_eq(body_of(m->examples[0].answer), "{\"b\":1}");
	cr_expect_str_eq(m->examples[1].name, "two");
	cr_expect_str_eq(body_of(m->examples[1].answer), "{\"c\":2}");
	cr_expect_eq(m->examples[1].answer->status, 200);
	cr_expect_str_eq(shared_header(m->examples[1].answer, "Content-Type"), "application/json");
	cr_expect_str_eq(shared_header(m->examples[1].answer, "X-Rate"), "7");
	m = &r->media[1];
	cr_expect(m->is_json);
	cr_expect_str_eq(body_of(m->answer), "[1,2]", "no example: the first of examples");
	cr_expect_str_eq(body_of(m->examples[1].answer), "\"text\"", "a JSON string is JSON text");
	m = &r->media[2];
	cr_expect_not(m->is_json);
	cr_expect_str_eq(body_of(m->answer), "hello\n", "a string as it is for a type that is not JSON");
	cr_expect_str_eq(shared_header(m->answer, "Content-Type"), "text/plain");
	cr_expect_str_eq(body_of(r->media[3].answer), "12", "another value as JSON text");
	const struct oa_response *e = response_of(get, "4XX");
	cr_expect_eq(e->media[0].answer->status, 400, "NXX is served as N00");
	oa_spec_unref(sp);
}

Test(openapi_compile, bodies_built_from_the_schema)
{
	struct oa_spec *sp = compile(spec("paths:\n"
					  "  /p:\n"
					  "    get:\n"
					  "      responses:\n"
					  "        default:\n"
					  "          description: x\n"
					  "          content:\n"
					  "            application/json:\n"
					  "              schema:\n"
					  "                type: object\n"
					  "                required: [id]\n"
					  "                properties:\n"
					  "                  id: {type: integer, minimum: 3}\n"
					  "                  mail: {type: string, format: email}\n"
					  "                  kind: {type: string, enum: [cat, dog]}\n"
					  "            text/plain:\n"
					  "              schema: {type: string, default: plain}\n"
					  "            application/octet-stream: {}\n"));
	struct oa_response *r = &sp->ops[0].responses[0];
	/* built on first use, then kept */
	cr_expect_null(atomic_load(&r->media[0].answer));
	struct reply_shared *a0 = oa_media_answer(r, &r->media[0]);
	cr_expect_eq(oa_media_answer(r, &r->media[0]), a0);
	cr_expect_eq(a0->status, 200);
	cr_expect_not_null(r->media[0].schema);
	cr_expect_str_eq(body_of(a0), "{\"id\":3,\"mail\":\"user@example.com\",\"kind\":\"cat\"}");
	cr_expect_str_eq(body_of(oa_media_answer(r, &r->media[1])), "plain");
	struct reply_shared *a2 = oa_media_answer(r, &r->media[2]);
	cr_expect_eq(a2->body_len, 0, "nothing to build from: empty");
	cr_expect_str_eq(shared_header(a2, "Content-Type"), "application/octet-stream");
	oa_spec_unref(sp);
}

Test(openapi_compile, response_headers_and_their_examples)
{
	struct oa_spec *sp = compile(spec("paths:\n"
					  "  /p:\n"
					  "    get:\n"
					  "      responses:\n"
					  "        '204':\n"
					  "          description: x\n"
					  "          headers:\n"
					  "            X-A: {example: a}\n"
					  "            X-B: {examples: {one: {value: b1}, two: {value: b2}}}\n"
					  "            X-C: {schema: {type: string, example: c}}\n"
					  "            X-D: {schema: {type: integer, default: 4}}\n"
					  "            X-E: {schema: {type: string}}\n"
					  "            Content-Type: {example: text/evil}\n"
					  "            X-F: {example: \"two\\nlines\\r\"}\n"
					  "            X-G: {example: null}\n"
					  "            X-H: {$ref: '#/components/headers/H'}\n"
					  "            X-I: {example: [1, 2]}\n"
					  "components:\n"
					  "  headers:\n"
					  "    H: {schema: {type: boolean}, example: true}\n"));
	const struct oa_response *r = &sp->ops[0].responses[0];
	cr_assert_eq(r->nheaders, 7, "no example, Content-Type or null: not sent");
	static const char *const want[][2] = { { "X-A", "a" },	     { "X-B", "b1" },	 { "X-C", "c" },    { "X-D", "4" },
					       { "X-F", "two lines " }, { "X-H", "true" }, { "X-I", "[1,2]" } };
	for (size_t i = 0; i < 7; i++) {
		cr_expect_str_eq(r->headers[i].name, want[i][0]);
		cr_expect_str_eq(r->headers[i].value, want[i][1]);
	}
	cr_expect_eq(r->nmedia, 0);
	cr_assert_not_null(r->empty);
	cr_expect_eq(r->empty->status, 204);
	cr_expect_null(r->empty->content_type);
	cr_expect_eq(r->empty->nheaders, 7);
	cr_expect_str_eq(shared_header(r->empty, "X-H"), "true");
	oa_spec_unref(sp);
}

/* ---- references ---- */

Test(openapi_compile, a_spec_lives_as_long_as_its_references)
{
	struct oa_spec *sp = compile(spec("paths:\n  /p: {get: {responses: {'200': {description: x}}}}\n"));
	cr_expect_eq(oa_spec_ref(sp), sp);
	oa_spec_unref(sp);
	cr_expect_str_eq(sp->ops[0].path, "/p", "still there");
	oa_spec_unref(sp);
	oa_spec_unref(NULL);
}
