/* SPDX-License-Identifier: MIT */
/* openapi: a spec file as a source of fallback-tier stubs. Sniffing a positional file;
 * the stubs an operation and a path become (ids, methods with HEAD added to GET, exact,
 * template and regex paths, priorities, the implicit 405s, locations); the files a spec
 * was read from; reloads that say whether the stubs changed and keep the previous spec
 * on errors; located errors at start. Each test runs in its own process and temporary
 * directory. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "matcher.h"
#include "openapi.h"
#include "openapi_model.h"
#include "openapi_respond.h"
#include "stub.h"
#include "testutil.h"
#include "util/strbuf.h"

static struct diag_list diags;

static void setup(void)
{
	diag_list_init(&diags);
	tmpdir_enter("openapi");
}

static void teardown(void)
{
	kept_release();
	diag_list_release(&diags);
	tmpdir_leave();
}

TestSuite(openapi, .init = setup, .fini = teardown);

/* The source of file; fails the test, showing the diagnostics, when it does not load. */
static struct openapi_source *open_ok(const char *file)
{
	struct openapi_source *src = openapi_source_create(file, true, &diags);
	cr_assert_not_null(src, "%s does not load:\n%s", file, keep(diags_text(&diags)));
	cr_assert_eq(diags.n, 0, "%s", keep(diags_text(&diags)));
	return src;
}

/* The diagnostics of a spec that must not load (kept). */
static const char *open_fails(const char *file)
{
	diag_list_release(&diags);
	diag_list_init(&diags);
	struct openapi_source *src = openapi_source_create(file, true, &diags);
	cr_assert_null(src, "%s loads, but should not", file);
	cr_assert_gt(diags.n, 0);
	return keep(diags_text(&diags));
}

static const struct stub *stub_of(const struct stub_group *g, const char *id)
{
	for (size_t i = 0; i < g->n; i++)
		if (strcmp(g->stubs[i]->id, id) == 0)
			return g->stubs[i];
	cr_assert_fail("no stub %s", id);
	return NULL;
}

/* "ID METHODS PATH" of each stub, one a line (kept). */
static const char *routes(const struct stub_group *g)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, "");
	for (size_t i = 0; i < g->n; i++) {
		const struct stub *s = g->stubs[i];
		strbuf_addf(&sb, "%s", s->id);
		for (size_t m = 0; m < s->req.nmethods; m++)
			strbuf_addf(&sb, "%s%s", m ? "," : " ", s->req.methods[m]);
		if (!s->req.nmethods)
			strbuf_adds(&sb, " *");
		strbuf_addf(&sb, " %s\n", s->req.path);
	}
	return keep(strbuf_detach(&sb, NULL));
}

/* ---- sniffing ---- */

Test(openapi, a_file_whose_top_level_has_an_openapi_key_is_a_spec)
{
	put("a.yaml", "openapi: 3.0.0\n");
	put("b.yaml", "# a pet store\n---\ninfo: {title: t}\nopenapi: 3.1.0\n");
	put("c.yaml", "\"openapi\": 3.0.0\n");
	put("d.yaml", "'openapi': 3.0.0\n");
	put("e.yaml", "openapi : 3.0.0\n");
	put("f.json", "\n  {\"info\": {}, \"openapi\": \"3.0.3\"}\n");
	put("g.yml", "info:\r\nopenapi: 3.0.0\r\n");
	/* a UTF-8 byte order mark, as editors on Windows write it, and YAML's flow style,
	 * both of which the spec reader takes */
	put("h.json", "\xEF\xBB\xBF{\"openapi\": \"3.0.3\"}");
	put("i.yaml", "\xEF\xBB\xBFopenapi: 3.0.0\n");
	put("j.yaml", "{openapi: 3.0.0, info: {title: t}}\n");
	put("k.yaml", "{info: {title: t},\n openapi: 3.1.0}\n");
	cr_expect(openapi_is_spec("a.yaml"));
	cr_expect(openapi_is_spec("b.yaml"));
	cr_expect(openapi_is_spec("c.yaml"));
	cr_expect(openapi_is_spec("d.yaml"));
	cr_expect(openapi_is_spec("e.yaml"));
	cr_expect(openapi_is_spec("f.json"));
	cr_expect(openapi_is_spec("g.yml"));
	cr_expect(openapi_is_spec("h.json"));
	cr_expect(openapi_is_spec("i.yaml"));
	cr_expect(openapi_is_spec("j.yaml"));
	cr_expect(openapi_is_spec("k.yaml"));
}

Test(openapi, other_files_are_not_specs)
{
	put("stub.yaml", "request: {method: GET, path: /a}\nresponse: {json: {openapi: 3}}\n");
	put("nested.yaml", "info:\n  openapi: 3.0.0\n");
	put("prefix.yaml", "openapix: 3.0.0\nopenapi_version: 3\n");
	put("text.yaml", "# openapi: 3.0.0\n");
	put("mapping.json", "{\"request\": {\"url\": \"/openapi\"}, \"x\": {\"openapi\": 1}}");
	put("list.json", "[{\"openapi\": \"3.0.0\"}]");
	put("broken.json", "{\"openapi\": ");
	put("empty.yaml", "");
	put("flow.yaml", "{info: {openapi: 3.0.0}}\n");
	put("flowlist.yaml", "[{openapi: 3.0.0}]\n");
	put("bad.yaml", "{openapi: [\n");
	put("swagger.yaml", "swagger: '2.0'\n");
	make_dir("dir.yaml");
	cr_expect_not(openapi_is_spec("stub.yaml"));
	cr_expect_not(openapi_is_spec("nested.yaml"));
	cr_expect_not(openapi_is_spec("prefix.yaml"));
	cr_expect_not(openapi_is_spec("text.yaml"));
	cr_expect_not(openapi_is_spec("mapping.json"));
	cr_expect_not(openapi_is_spec("list.json"));
	cr_expect_not(openapi_is_spec("broken.json"));
	cr_expect_not(openapi_is_spec("empty.yaml"));
	cr_expect_not(openapi_is_spec("flow.yaml"));
	cr_expect_not(openapi_is_spec("flowlist.yaml"));
	cr_expect_not(openapi_is_spec("bad.yaml"));
	cr_expect_not(openapi_is_spec("swagger.yaml"));
	cr_expect_not(openapi_is_spec("dir.yaml"));
	cr_expect_not(openapi_is_spec("missing.yaml"));
}

/* ---- the stubs ---- */

static const char pets[] =
	"openapi: 3.0.3\n"
	"info: {title: pets, version: '1'}\n"
	"servers: [{url: 'http://pets.example/v1/'}]\n"
	"paths:\n"
	"  /pets:\n"
	"    get:\n"
	"      operationId: listPets\n"
	"      responses: {'200': {description: x}}\n"
	"    post:\n"
	"      operationId: createPet\n"
	"      responses: {'201': {description: x}, '400': {description: x}}\n"
	"  /pets/{petId}:\n"
	"    get:\n"
	"      operationId: showPet\n"
	"      responses: {'404': {description: x}, default: {description: x}}\n"
	"    head:\n"
	"      responses: {'204': {description: x}}\n"
	"    delete:\n"
	"      responses: {'404': {description: x}, '302': {description: x}}\n"
	"  /files/{name}.{ext}:\n"
	"    get:\n"
	"      operationId: getFile\n"
	"      responses: {'200': {description: x}}\n"
	"  /:\n"
	"    options:\n"
	"      operationId: root\n"
	"      responses: {'200': {description: x}}\n";

Test(openapi, each_operation_is_a_fallback_stub_and_each_path_a_405)
{
	put("api.yaml", pets);
	struct openapi_source *src = open_ok("api.yaml");
	struct stub_group *g = openapi_source_group(src);
	cr_expect_str_eq(routes(g), "openapi:listPets GET,HEAD /v1/pets\n"
				    "openapi:createPet POST /v1/pets\n"
				    "openapi:showPet GET /v1/pets/{petId}\n"
				    "openapi:DELETE /v1/pets/{petId} DELETE /v1/pets/{petId}\n"
				    "openapi:HEAD /v1/pets/{petId} HEAD /v1/pets/{petId}\n"
				    "openapi:getFile GET,HEAD /v1/files/{name}.{ext}\n"
				    "openapi:root OPTIONS /v1\n"
				    "openapi:405 /v1/pets * /v1/pets\n"
				    "openapi:405 /v1/pets/{petId} * /v1/pets/{petId}\n"
				    "openapi:405 /v1/files/{name}.{ext} * /v1/files/{name}.{ext}\n"
				    "openapi:405 /v1 * /v1\n");
	for (size_t i = 0; i < g->n; i++) {
		const struct stub *s = g->stubs[i];
		bool is405 = strncmp(s->id, "openapi:405 ", 12) == 0;
		cr_expect_eq(s->tier, STUB_TIER_FALLBACK, "%s", s->id);
		cr_expect_eq(s->order, i);
		cr_expect_eq(s->implicit, is405, "%s", s->id);
		/* 100 less the path's literal segments: a concrete path first, its 405 with its
		 * operations (the operations loaded first win their own path) */
		int literals = strstr(s->req.path, "/files/") ? 2 : strstr(s->req.path, "/pets") ? 2 : 1;
		cr_expect_eq(s->priority, 100 - literals, "%s: %d", s->id, s->priority);
		cr_expect_eq(s->resp.handler, is405 ? &openapi_path_responder : &openapi_op_responder);
		cr_expect_eq(s->nconds, 0);
		if (is405) {
			cr_expect_eq(s->resp.status, 405);
			cr_expect_str_eq(s->file, "api.yaml");
			cr_expect_eq(s->line, 0);
		}
	}
	stub_group_unref(g);
	openapi_source_destroy(src);
}

Test(openapi, a_stub_answers_with_the_response_chosen_and_stands_where_its_operation_does)
{
	put("api.yaml", pets);
	struct openapi_source *src = open_ok("api.yaml");
	struct stub_group *g = openapi_source_group(src);
	cr_expect_eq(stub_of(g, "openapi:listPets")->resp.status, 200);
	cr_expect_eq(stub_of(g, "openapi:createPet")->resp.status, 201);
	cr_expect_eq(stub_of(g, "openapi:showPet")->resp.status, 200, "default, served as 200");
	cr_expect_eq(stub_of(g, "openapi:DELETE /v1/pets/{petId}")->resp.status, 302);
	const struct stub *s = stub_of(g, "openapi:showPet");
	cr_expect_str_eq(s->file, "api.yaml");
	cr_expect_eq(s->line, 14, "the operation object's first line");
	cr_expect_eq(s->col, 7);
	cr_expect_eq(s->req.path_line, 14);
	cr_expect_eq(s->req.path_col, 7);
	const struct oa_op *op = s->resp.handler_data;
	cr_expect_str_eq(op->id, "openapi:showPet");
	cr_expect_str_eq(op->method, "GET");
	s = stub_of(g, "openapi:listPets");
	cr_expect_eq(s->line, 7);
	cr_expect_eq(s->col, 7);
	const struct oa_path *p = stub_of(g, "openapi:405 /v1/pets")->resp.handler_data;
	cr_expect_str_eq(p->allow, "GET, POST, HEAD");
	stub_group_unref(g);
	openapi_source_destroy(src);
}

Test(openapi, paths_are_exact_templates_or_regexes)
{
	put("api.yaml", pets);
	struct openapi_source *src = open_ok("api.yaml");
	struct stub_group *g = openapi_source_group(src);
	const struct stub *s = stub_of(g, "openapi:listPets");
	cr_expect_eq(s->req.path_kind, PATH_EXACT);
	s = stub_of(g, "openapi:showPet");
	cr_expect_eq(s->req.path_kind, PATH_TEMPLATE);
	cr_assert_eq(s->req.nsegs, 3);
	cr_expect_str_eq(s->req.segs[0].text, "v1");
	cr_expect_not(s->req.segs[0].is_param);
	cr_expect_str_eq(s->req.segs[1].text, "pets");
	cr_expect_str_eq(s->req.segs[2].text, "petId");
	cr_expect(s->req.segs[2].is_param);
	cr_expect_not(s->req.segs[2].is_rest);
	s = stub_of(g, "openapi:getFile");
	cr_expect_eq(s->req.path_kind, PATH_REGEX, "a parameter inside a segment");
	const struct oa_op *op = s->resp.handler_data;
	cr_assert_eq(op->ngroups, 2);
	cr_expect_str_eq(op->group_names[0], "name");
	cr_expect_str_eq(op->group_names[1], "ext");
	/* the regex matches whole segments of the path, with the literal text escaped */
	struct req q;
	req_init(&q, "GET", "/v1/files/report.tar.gz");
	cr_expect(stub_path_ok(s, &q.v, &q.params));
	cr_assert_eq(q.params.n, 2);
	cr_expect_str_eq(q.params.items[0].name, "g0");
	cr_expect_str_eq(q.params.items[0].value, "report.tar");
	cr_expect_str_eq(q.params.items[1].value, "gz");
	req_fini(&q);
	static const char *const misses[] = { "/v1/files/report", "/v1/files/a/b.pdf", "/v1/files/.pdf", "/v1/files/a.",
					      "/v1/filesXa.pdf", "/x/v1/files/a.pdf", "/v1/files/a.pdf/" };
	for (size_t i = 0; i < sizeof(misses) / sizeof(*misses); i++) {
		req_init(&q, "GET", misses[i]);
		cr_expect_not(stub_path_ok(s, &q.v, NULL), "%s", misses[i]);
		req_fini(&q);
	}
	s = stub_of(g, "openapi:405 /v1/files/{name}.{ext}");
	cr_expect_eq(s->req.path_kind, PATH_REGEX);
	req_init(&q, "PUT", "/v1/files/a.b");
	cr_expect(stub_path_ok(s, &q.v, NULL));
	req_fini(&q);
	stub_group_unref(g);
	openapi_source_destroy(src);
}

Test(openapi, regex_metacharacters_in_a_path_are_literal)
{
	put("api.yaml", "openapi: 3.0.3\n"
			"paths:\n"
			"  /v1.0/a+b/{x}(1).{y}: {get: {responses: {'200': {description: x}}}}\n");
	struct openapi_source *src = open_ok("api.yaml");
	struct stub_group *g = openapi_source_group(src);
	const struct stub *s = g->stubs[0];
	cr_assert_eq(s->req.path_kind, PATH_REGEX);
	struct req q;
	req_init(&q, "GET", "/v1.0/a+b/z(1).w");
	cr_expect(stub_path_ok(s, &q.v, NULL));
	req_fini(&q);
	req_init(&q, "GET", "/v1x0/aab/z1.w");
	cr_expect_not(stub_path_ok(s, &q.v, NULL));
	req_fini(&q);
	stub_group_unref(g);
	openapi_source_destroy(src);
}

Test(openapi, head_is_answered_like_get_unless_the_spec_has_its_own)
{
	put("api.yaml", pets);
	struct openapi_source *src = open_ok("api.yaml");
	struct stub_group *g = openapi_source_group(src);
	const struct stub *s = stub_of(g, "openapi:listPets");
	cr_expect(stub_method_ok(s, "HEAD"));
	s = stub_of(g, "openapi:showPet");
	cr_expect_not(stub_method_ok(s, "HEAD"), "its own HEAD operation answers HEAD");
	cr_expect(stub_method_ok(stub_of(g, "openapi:HEAD /v1/pets/{petId}"), "HEAD"));
	stub_group_unref(g);
	openapi_source_destroy(src);
}

Test(openapi, repeated_operation_ids_are_numbered)
{
	put("api.yaml", "openapi: 3.0.3\n"
			"paths:\n"
			"  /a: {get: {operationId: op, responses: {'200': {description: x}}}}\n"
			"  /b: {get: {operationId: op, responses: {'200': {description: x}}}}\n"
			"  /c: {get: {operationId: op, responses: {'200': {description: x}}},\n"
			"       put: {operationId: 'op#2', responses: {'200': {description: x}}}}\n");
	struct openapi_source *src = open_ok("api.yaml");
	struct stub_group *g = openapi_source_group(src);
	cr_expect_str_eq(routes(g), "openapi:op GET,HEAD /a\n"
				    "openapi:op#2 GET,HEAD /b\n"
				    "openapi:op#3 GET,HEAD /c\n"
				    "openapi:op#2#2 PUT /c\n"
				    "openapi:405 /a * /a\n"
				    "openapi:405 /b * /b\n"
				    "openapi:405 /c * /c\n");
	stub_group_unref(g);
	openapi_source_destroy(src);
}

Test(openapi, a_spec_without_operations_has_no_stubs)
{
	put("api.yaml", "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {/a: {summary: s}}\n");
	struct openapi_source *src = open_ok("api.yaml");
	struct stub_group *g = openapi_source_group(src);
	cr_expect_eq(g->n, 0);
	stub_group_unref(g);
	openapi_source_destroy(src);
}

/* ---- the source ---- */

Test(openapi, the_files_a_spec_was_read_from)
{
	put("specs/api.yaml", "openapi: 3.0.3\n"
			      "paths:\n"
			      "  /a: {get: {responses: {'200': {$ref: 'common/r.yaml#/R'}}}}\n");
	put("specs/common/r.yaml", "R: {description: x, content: {application/json: {schema: {$ref: 's.yaml'}}}}\n");
	put("specs/common/s.yaml", "type: integer\n");
	struct openapi_source *src = open_ok("specs/api.yaml");
	size_t n = 99;
	char **files = openapi_source_files(src, &n);
	cr_assert_eq(n, 3);
	cr_expect_str_eq(files[0], "specs/api.yaml");
	cr_expect_str_eq(files[1], "specs/common/r.yaml");
	cr_expect_str_eq(files[2], "specs/common/s.yaml");
	cr_expect_null(files[3]);
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
	struct oa_spec *sp = openapi_source_spec(src);
	cr_expect_str_eq(sp->file, "specs/api.yaml");
	cr_expect(sp->validate);
	oa_spec_unref(sp);
	openapi_source_destroy(src);
	openapi_source_destroy(NULL);
}

Test(openapi, no_validate_is_the_specs_flag)
{
	put("api.yaml", pets);
	struct openapi_source *src = openapi_source_create("api.yaml", false, &diags);
	cr_assert_not_null(src);
	struct oa_spec *sp = openapi_source_spec(src);
	cr_expect_not(sp->validate);
	oa_spec_unref(sp);
	openapi_source_destroy(src);
}

Test(openapi, stubs_outlive_their_source)
{
	put("api.yaml", pets);
	struct openapi_source *src = open_ok("api.yaml");
	struct stub_group *g = openapi_source_group(src);
	struct oa_spec *sp = openapi_source_spec(src);
	openapi_source_destroy(src);
	const struct oa_op *op = stub_of(g, "openapi:listPets")->resp.handler_data;
	cr_expect_eq(op->spec, sp);
	cr_expect_str_eq(op->path, "/v1/pets");
	oa_spec_unref(sp);
	stub_group_unref(g);
}

/* Writes text to path with a modification time one second later than it had, so that a
 * reload sees the change even on a coarse clock. */
static void rewrite(const char *path, const char *text)
{
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	put(path, text);
	struct timespec t[2] = { st.st_atim, st.st_mtim };
	t[1].tv_sec += 1;
	cr_assert_eq(utimensat(AT_FDCWD, path, t, 0), 0);
}

static const char mini[] = "openapi: 3.0.3\n"
			   "paths:\n"
			   "  /a: {get: {responses: {'200': {$ref: 'r.yaml#/R'}}}}\n";

Test(openapi, reload_says_whether_the_stubs_changed)
{
	put("api.yaml", mini);
	put("r.yaml", "R: {description: x}\n");
	struct openapi_source *src = open_ok("api.yaml");
	struct stub_group *g1 = openapi_source_group(src);
	cr_expect_eq(openapi_source_reload(src, &diags), 0, "nothing changed");
	cr_expect_eq(openapi_source_reload(src, &diags), 0);
	struct stub_group *same = openapi_source_group(src);
	cr_expect_eq(same, g1);
	stub_group_unref(same);
	/* a referenced file changed */
	rewrite("r.yaml", "R: {description: y, content: {text/plain: {example: hi}}}\n");
	cr_expect_eq(openapi_source_reload(src, &diags), 1);
	struct stub_group *g2 = openapi_source_group(src);
	cr_expect_neq(g2, g1);
	cr_expect_eq(openapi_source_reload(src, &diags), 0, "and then nothing again");
	/* the spec changed, and now reaches no other file */
	rewrite("api.yaml", "openapi: 3.0.3\npaths:\n  /b: {get: {responses: {'200': {description: x}}}}\n");
	cr_expect_eq(openapi_source_reload(src, &diags), 1);
	struct stub_group *g3 = openapi_source_group(src);
	cr_expect_str_eq(routes(g3), "openapi:GET /b GET,HEAD /b\nopenapi:405 /b * /b\n");
	size_t n;
	char **files = openapi_source_files(src, &n);
	cr_expect_eq(n, 1);
	free(files[0]);
	free(files);
	rewrite("r.yaml", "R: {description: z}\n");
	cr_expect_eq(openapi_source_reload(src, &diags), 0, "a file the spec no longer reads");
	cr_expect_eq(diags.n, 0);
	/* the old groups still work: a set serving them keeps their spec */
	cr_expect_str_eq(routes(g1), "openapi:GET /a GET,HEAD /a\nopenapi:405 /a * /a\n");
	stub_group_unref(g1);
	stub_group_unref(g2);
	stub_group_unref(g3);
	openapi_source_destroy(src);
}

Test(openapi, a_bad_edit_keeps_the_previous_spec)
{
	put("api.yaml", mini);
	put("r.yaml", "R: {description: x}\n");
	struct openapi_source *src = open_ok("api.yaml");
	struct stub_group *g1 = openapi_source_group(src);
	struct oa_spec *sp1 = openapi_source_spec(src);
	rewrite("r.yaml", "R: {description: x, content: {application/json: {schema: {type: 12}}}}\n");
	cr_expect_eq(openapi_source_reload(src, &diags), -1);
	cr_expect_str_eq(keep(diags_text(&diags)), "r.yaml:1:65: error: invalid schema: 'type' must be a string or an array of "
						   "strings\n");
	struct stub_group *g = openapi_source_group(src);
	struct oa_spec *sp = openapi_source_spec(src);
	cr_expect_eq(g, g1, "the previous stubs keep serving");
	cr_expect_eq(sp, sp1);
	stub_group_unref(g);
	oa_spec_unref(sp);
	size_t n;
	char **files = openapi_source_files(src, &n);
	cr_expect_eq(n, 2, "and the files they were read from");
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
	/* a syntax error, and then the file gone */
	diag_list_release(&diags);
	diag_list_init(&diags);
	rewrite("api.yaml", "openapi: 3.0.3\npaths: [\n");
	cr_expect_eq(openapi_source_reload(src, &diags), -1);
	cr_expect(strncmp(keep(diags_text(&diags)), "api.yaml:3:1: error: ", 21) == 0, "%s", keep(diags_text(&diags)));
	remove("api.yaml");
	cr_expect_eq(openapi_source_reload(src, &diags), -1);
	g = openapi_source_group(src);
	cr_expect_eq(g, g1);
	stub_group_unref(g);
	/* fixed again */
	put("api.yaml", "openapi: 3.0.3\npaths:\n  /c: {get: {responses: {'200': {description: x}}}}\n");
	cr_expect_eq(openapi_source_reload(src, &diags), 1);
	g = openapi_source_group(src);
	cr_expect_str_eq(routes(g), "openapi:GET /c GET,HEAD /c\nopenapi:405 /c * /c\n");
	stub_group_unref(g);
	stub_group_unref(g1);
	oa_spec_unref(sp1);
	openapi_source_destroy(src);
}

Test(openapi, specs_that_cannot_be_used_are_located_errors)
{
	cr_expect_str_eq(open_fails("missing.yaml"), "missing.yaml: error: cannot read 'missing.yaml': No such file or directory\n");
	put("v2.yaml", "swagger: '2.0'\n");
	cr_expect_str_eq(open_fails("v2.yaml"), "v2.yaml:1:10: error: Swagger 2.0 is not supported: expected an OpenAPI 3.0 or "
						"3.1 document (convert it, e.g. with swagger2openapi)\n");
	put("ref.yaml", "openapi: 3.0.0\npaths:\n  /a:\n    get:\n      responses:\n        '200': {$ref: 'gone.yaml#/R'}\n");
	cr_expect_str_eq(open_fails("ref.yaml"), "ref.yaml:6:23: error: cannot read 'gone.yaml' (named by '$ref' 'gone.yaml#/R'): "
						 "No such file or directory\n");
	put("bad.yaml", "openapi: 3.0.0\npaths:\n  /a: {get: {responses: {'200': {}, nope: {}}}}\n");
	cr_expect_str_eq(open_fails("bad.yaml"), "bad.yaml:3:43: error: response code 'nope' must be 100..599, 1XX..5XX or 'default'\n");
}

Test(openapi, an_edit_whose_time_is_set_back_is_not_missed)
{
	put("api.yaml", "openapi: 3.0.3\npaths:\n  /a: {get: {responses: {'200': {description: x}}}}\n");
	struct stat st;
	cr_assert_eq(stat("api.yaml", &st), 0);
	struct openapi_source *src = open_ok("api.yaml");
	/* the same size and, as cp -p, tar or touch -d leave it, the same modification time */
	put("api.yaml", "openapi: 3.0.3\npaths:\n  /b: {get: {responses: {'200': {description: x}}}}\n");
	struct timespec t[2] = { st.st_atim, st.st_mtim };
	cr_assert_eq(utimensat(AT_FDCWD, "api.yaml", t, 0), 0);
	cr_expect_eq(openapi_source_reload(src, &diags), 1);
	struct stub_group *g = openapi_source_group(src);
	cr_expect_str_eq(routes(g), "openapi:GET /b GET,HEAD /b\nopenapi:405 /b * /b\n");
	stub_group_unref(g);
	openapi_source_destroy(src);
}
