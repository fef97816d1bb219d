/* SPDX-License-Identifier: MIT */
/* stub_load: YAML stub files into struct stub, with exact located diagnostics. Each test
 * runs in its own process inside a fresh temporary directory, loading DIR "stubs" so that
 * FILE in messages is stable ("stubs/x.yaml"). */
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "regex.h"
#include "respond.h"
#include "stub_load.h"
#include "testutil.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static const char *tmp;
static struct load_result res;
static struct diag_list diags;

static void setup(void)
{
	tmp = tmpdir_enter("stub-load");
	make_dir("stubs");
	memset(&res, 0, sizeof(res));
	diag_list_init(&diags);
}

static void teardown(void)
{
	load_result_release(&res);
	diag_list_release(&diags);
	tmpdir_leave();
}

TestSuite(stub_load, .init = setup, .fini = teardown);

static int load(void)
{
	const char *dirs[] = { "stubs" };
	load_result_release(&res);
	diag_list_release(&diags);
	return stub_load_dirs(dirs, 1, &res, &diags);
}

/* Loads text as stubs/x.yaml. */
static int load_yaml(const char *text)
{
	put("stubs/x.yaml", text);
	return load();
}

static int load_str(const char *text, bool runtime)
{
	load_result_release(&res);
	diag_list_release(&diags);
	return stub_load_string(text, strlen(text), "admin", NULL, runtime, &res, &diags);
}

/* Every diagnostic in GCC format, one a line. */
static char *all_diags(void)
{
	return diags_text(&diags);
}

static void expect_error(const char *yaml, const char *expected)
{
	int rc = load_yaml(yaml);
	char *got = all_diags();
	cr_assert_eq(rc, -1, "expected failure, got %d (diags: %s)", rc, got);
	cr_assert_eq(res.n, 0);
	cr_assert_eq(res.npaths, 0);
	cr_assert_str_eq(got, expected);
	free(got);
}

static void expect_ok(int rc)
{
	char *got = all_diags();
	cr_assert_eq(rc, 0, "load failed: %s", got);
	cr_assert_eq(diags.n, 0);
	free(got);
}

static const struct stub *find(const char *id)
{
	for (size_t i = 0; i < res.n; i++)
		if (strcmp(res.stubs[i]->id, id) == 0)
			return res.stubs[i];
	cr_assert_fail("no stub '%s'", id);
	return NULL;
}

static double since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* ---- good stubs ---- */

Test(stub_load, good_fixture_every_key)
{
	const char *fixtures = getenv("CANNERY_FIXTURES");
	cr_assert_not_null(fixtures);
	cr_assert_eq(chdir(fixtures), 0);
	const char *dirs[] = { "good/" };
	expect_ok(stub_load_dirs(dirs, 1, &res, &diags));
	cr_assert_eq(chdir(tmp), 0);

	/* forms.yaml, more/files.yml (two stubs), users.yaml (two stubs); dot files skipped */
	cr_assert_eq(res.n, 5);
	cr_assert_str_eq(res.stubs[0]->id, "login");
	cr_assert_str_eq(res.stubs[1]->id, "more/files.yml#0");
	cr_assert_str_eq(res.stubs[2]->id, "more/files.yml#1");
	cr_assert_str_eq(res.stubs[3]->id, "get-user");
	cr_assert_str_eq(res.stubs[4]->id, "users.yaml#1");
	for (size_t i = 0; i < res.n; i++)
		cr_assert_eq(res.stubs[i]->order, i);

	const struct stub *s = find("get-user");
	cr_assert_str_eq(s->name, "get-user");
	cr_assert_str_eq(s->file, "good/users.yaml");
	cr_assert_eq(s->line, 2);
	cr_assert_eq(s->col, 3);
	cr_assert_eq(s->priority, 5);
	cr_assert_eq(s->req.nmethods, 2);
	cr_assert_str_eq(s->req.methods[0], "GET");
	cr_assert_str_eq(s->req.methods[1], "POST");
	cr_assert_eq(s->req.path_kind, PATH_TEMPLATE);
	cr_assert_str_eq(s->req.path, "/api/users/{id}/files/{rest*}");
	cr_assert_eq(s->req.path_line, 7);
	cr_assert_eq(s->req.path_col, 11);
	cr_assert_eq(s->req.nsegs, 5);
	cr_assert_str_eq(s->req.segs[0].text, "api");
	cr_assert_not(s->req.segs[0].is_param);
	cr_assert_str_eq(s->req.segs[2].text, "id");
	cr_assert(s->req.segs[2].is_param);
	cr_assert_not(s->req.segs[2].is_rest);
	cr_assert_str_eq(s->req.segs[3].text, "files");
	cr_assert_str_eq(s->req.segs[4].text, "rest");
	cr_assert(s->req.segs[4].is_param);
	cr_assert(s->req.segs[4].is_rest);

	cr_assert_eq(s->req.nquery, 2);
	cr_assert_str_eq(s->req.query[0].name, "include");
	cr_assert_eq(s->req.query[0].line, 9);
	cr_assert_eq(s->req.query[0].col, 7);
	cr_assert_eq(s->req.query[0].m.n, 1);
	cr_assert_eq(s->req.query[0].m.clauses[0].op, MATCH_EQUALS);
	cr_assert_str_eq(s->req.query[0].m.clauses[0].text, "profile");
	cr_assert_eq(s->req.query[1].m.clauses[0].op, MATCH_REGEX);
	cr_assert(regex_match(s->req.query[1].m.clauses[0].re, "12", 2));
	cr_assert_not(regex_match(s->req.query[1].m.clauses[0].re, "12a", 3));

	cr_assert_eq(s->req.nheaders, 2);
	cr_assert_str_eq(s->req.headers[0].name, "authorization");
	cr_assert_eq(s->req.headers[0].m.clauses[0].op, MATCH_PREFIX);
	cr_assert_str_eq(s->req.headers[0].m.clauses[0].text, "Bearer ");
	cr_assert_str_eq(s->req.headers[1].name, "x-trace");
	cr_assert_eq(s->req.headers[1].m.clauses[0].op, MATCH_PRESENT);
	cr_assert_not(s->req.headers[1].m.clauses[0].present);

	cr_assert_eq(s->req.ncookies, 1);
	const struct matcher *cm = &s->req.cookies[0].m;
	cr_assert(cm->ignore_case);
	cr_assert_eq(cm->n, 1);
	cr_assert_eq(cm->clauses[0].op, MATCH_NOT);
	cr_assert(cm->clauses[0].inner->ignore_case, "not inherits ignore_case");
	cr_assert_eq(cm->clauses[0].inner->clauses[0].op, MATCH_ONE_OF);
	cr_assert_eq(cm->clauses[0].inner->clauses[0].nlist, 2);
	cr_assert_str_eq(cm->clauses[0].inner->clauses[0].list[1], "revoked");

	cr_assert_eq(s->req.bodies[0].kind, BODY_JSON_PATH);
	cr_assert_eq(s->req.bodies[0].nfields, 2);
	cr_assert_str_eq(s->req.bodies[0].fields[0].name, "user.name");
	cr_assert(s->req.bodies[0].fields[0].m.ignore_case);
	cr_assert_str_eq(s->req.bodies[0].fields[1].name, "items.0.id");
	cr_assert_str_eq(s->req.bodies[0].fields[1].m.clauses[0].text, "7");
	cr_assert_eq(s->nconds, 6);

	cr_assert_eq(s->resp.status, 201);
	cr_assert_eq(s->resp.nheaders, 3);
	cr_assert_str_eq(s->resp.headers[0].name, "X-Request-Id");
	cr_assert_str_eq(s->resp.headers[0].value, "{{literal}}");
	cr_assert_str_eq(s->resp.headers[1].name, "Set-Cookie");
	cr_assert_str_eq(s->resp.headers[1].value, "a=1");
	cr_assert_str_eq(s->resp.headers[2].value, "b=2");
	cr_assert_str_eq(s->resp.body,
			 "{\"id\":42,\"name\":\"Ada Lovelace\",\"tags\":[\"math\",\"1843\"],\"active\":true,\"manager\":null}");
	cr_assert_eq(s->resp.body_len, strlen(s->resp.body));
	cr_assert_str_eq(s->resp.content_type, "application/json");

	s = find("users.yaml#1");
	cr_assert_null(s->name);
	cr_assert_eq(s->line, 32);
	cr_assert_eq(s->priority, 100);
	cr_assert_eq(s->req.nmethods, 0, "ANY means any method");
	cr_assert_eq(s->req.path_kind, PATH_REGEX);
	cr_assert_not_null(s->req.path_re);
	cr_assert_str_eq(s->req.path, "/api/items/(?<id>[0-9]+)");
	cr_assert_eq(s->req.bodies[0].kind, BODY_RAW);
	cr_assert_eq(s->req.bodies[0].raw.clauses[0].op, MATCH_CONTAINS);
	cr_assert_eq(s->nconds, 1);
	cr_assert_str_eq(s->resp.body, "plain text");
	cr_assert_str_eq(s->resp.content_type, "text/plain; charset=utf-8");

	s = find("login");
	cr_assert_str_eq(s->file, "good/forms.yaml");
	cr_assert_eq(s->req.bodies[0].kind, BODY_FORM);
	cr_assert_eq(s->req.bodies[0].nfields, 2);
	cr_assert_str_eq(s->req.bodies[0].fields[0].name, "user");
	cr_assert_eq(s->req.bodies[0].fields[1].m.clauses[0].op, MATCH_PRESENT);
	cr_assert_eq(s->resp.status, 303);
	cr_assert_null(s->resp.body);
	cr_assert_null(s->resp.content_type);

	s = find("more/files.yml#0");
	cr_assert_str_eq(s->resp.body, "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n");
	cr_assert_str_eq(s->resp.content_type, "image/svg+xml");
	s = find("more/files.yml#1");
	cr_assert_eq(s->line, 7);
	cr_assert_str_eq(s->resp.body, "{\"id\": 1, \"name\": \"Ada\"}\n");
	cr_assert_null(s->resp.content_type, "a Content-Type header wins");

	cr_assert_eq(res.npaths, 5);
	cr_assert_str_eq(res.paths[0], "good/forms.yaml");
	cr_assert_str_eq(res.paths[1], "good/more/files.yml");
	cr_assert_str_eq(res.paths[2], "good/more/../bodies/logo.svg");
	cr_assert_str_eq(res.paths[3], "good/more/../bodies/user.json");
	cr_assert_str_eq(res.paths[4], "good/users.yaml");
}

Test(stub_load, defaults)
{
	expect_ok(load_yaml("request:\n  path: /x\n"));
	cr_assert_eq(res.n, 1);
	const struct stub *s = res.stubs[0];
	cr_assert_str_eq(s->id, "x.yaml#0");
	cr_assert_str_eq(s->file, "stubs/x.yaml");
	cr_assert_eq(s->line, 1);
	cr_assert_eq(s->col, 1);
	cr_assert_eq(s->priority, 100);
	cr_assert_eq(s->req.nmethods, 0);
	cr_assert_eq(s->req.path_kind, PATH_EXACT);
	cr_assert_eq(s->resp.status, 200);
	cr_assert_null(s->resp.body);
	cr_assert_eq(s->resp.body_len, 0);
	cr_assert_null(s->resp.content_type);
	cr_assert_eq(s->nconds, 0);

	/* no request at all: matches everything */
	expect_ok(load_yaml("response: { status: 204 }\n"));
	cr_assert_eq(res.stubs[0]->req.path_kind, PATH_NONE);
	cr_assert_null(res.stubs[0]->req.path);
	cr_assert_eq(res.stubs[0]->resp.status, 204);

	expect_ok(load_yaml("priority: -3\nrequest:\nresponse:\n"));
	cr_assert_eq(res.stubs[0]->priority, -3);
}

Test(stub_load, multi_document_ids)
{
	put("stubs/multi.yaml", "# comment only before the first document\n"
				"---\n"
				"request: { path: /a }\n"
				"---\n"
				"---\n"
				"- request: { path: /b }\n"
				"- name: named\n"
				"  request: { path: /c }\n"
				"- request: { path: /d }\n"
				"...\n"
				"---\n"
				"request: { path: /e }\n");
	put("stubs/empty.yaml", "");
	put("stubs/comments.yml", "# nothing here\n");
	expect_ok(load());
	cr_assert_eq(res.n, 5);
	cr_assert_str_eq(res.stubs[0]->id, "multi.yaml#0");
	cr_assert_str_eq(res.stubs[1]->id, "multi.yaml#1");
	cr_assert_str_eq(res.stubs[2]->id, "named");
	cr_assert_str_eq(res.stubs[3]->id, "multi.yaml#3");
	cr_assert_str_eq(res.stubs[3]->req.path, "/d");
	cr_assert_str_eq(res.stubs[4]->id, "multi.yaml#4");
	cr_assert_eq(res.stubs[4]->line, 12);
	cr_assert_eq(res.stubs[1]->line, 6);
	cr_assert_eq(res.stubs[1]->col, 3);
	/* every stub file is watched, even one without stubs */
	cr_assert_eq(res.npaths, 3);
	cr_assert_str_eq(res.paths[0], "stubs/comments.yml");
	cr_assert_str_eq(res.paths[1], "stubs/empty.yaml");
	cr_assert_str_eq(res.paths[2], "stubs/multi.yaml");
}

Test(stub_load, byte_order_across_subdirectories)
{
	const char *files[] = {
		"stubs/b.yaml", "stubs/a/z.yaml", "stubs/a.yaml", "stubs/A.yaml", "stubs/a-b.yml",
		"stubs/a/b/c.yml", "stubs/_x.yaml", "stubs/a.b/c.yaml",
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char text[128];
		snprintf(text, sizeof(text), "request: { path: /%zu }\n", i);
		put(files[i], text);
	}
	/* skipped: dot files and dot directories, other extensions */
	put("stubs/.hidden.yaml", "broken: [\n");
	put("stubs/.git/config.yaml", "broken: [\n");
	put("stubs/a/.swp.yml", "broken: [\n");
	put("stubs/readme.md", "broken: [\n");
	put("stubs/x.yaml.bak", "broken: [\n");
	put("stubs/x.YAML", "broken: [\n");
	expect_ok(load());
	const char *want[] = {
		"A.yaml#0", "_x.yaml#0", "a-b.yml#0", "a.b/c.yaml#0", "a.yaml#0", "a/b/c.yml#0", "a/z.yaml#0", "b.yaml#0",
	};
	cr_assert_eq(res.n, 8);
	for (size_t i = 0; i < 8; i++) {
		cr_assert_str_eq(res.stubs[i]->id, want[i]);
		cr_assert_eq(res.stubs[i]->order, i);
	}
	cr_assert_str_eq(res.stubs[5]->file, "stubs/a/b/c.yml");
}

Test(stub_load, symlinks)
{
	put("stubs/real/a.yaml", "request: { path: /a }\n");
	put("elsewhere/b.yaml", "request: { path: /b }\n");
	/* a loop: following symlinked directories would never end */
	cr_assert_eq(symlink("..", "stubs/real/up"), 0);
	cr_assert_eq(symlink("../elsewhere", "stubs/linked-dir"), 0);
	/* a symlinked file is loaded */
	cr_assert_eq(symlink("../elsewhere/b.yaml", "stubs/link.yaml"), 0);
	expect_ok(load());
	cr_assert_eq(res.n, 2);
	cr_assert_str_eq(res.stubs[0]->id, "link.yaml#0");
	cr_assert_str_eq(res.stubs[0]->req.path, "/b");
	cr_assert_str_eq(res.stubs[1]->id, "real/a.yaml#0");

	/* a dangling symlink named like a stub file is reported */
	cr_assert_eq(symlink("nowhere.yaml", "stubs/dangling.yaml"), 0);
	cr_assert_eq(load(), -1);
	char *got = all_diags();
	cr_assert_str_eq(got, "stubs/dangling.yaml: error: cannot read file: No such file or directory\n");
	free(got);
}

Test(stub_load, dir_spelling_and_several_dirs)
{
	put("stubs/a.yaml", "name: one\n");
	put("more/b.yaml", "name: two\n");
	const char *dirs[] = { "stubs///", "./more" };
	expect_ok(stub_load_dirs(dirs, 2, &res, &diags));
	cr_assert_eq(res.n, 2);
	cr_assert_str_eq(res.stubs[0]->file, "stubs/a.yaml");
	cr_assert_str_eq(res.stubs[1]->file, "./more/b.yaml");
	cr_assert_eq(res.stubs[1]->order, 1);
}

Test(stub_load, missing_dir)
{
	const char *dirs[] = { "nope/" };
	cr_assert_eq(stub_load_dirs(dirs, 1, &res, &diags), -1);
	char *got = all_diags();
	cr_assert_str_eq(got, "nope: error: cannot open directory: No such file or directory\n");
	free(got);
}

Test(stub_load, duplicate_names_across_files_and_dirs)
{
	put("stubs/a.yaml", "- name: get-user\n  request: { path: /a }\n");
	put("stubs/b.yaml", "\n- request: { path: /b }\n- request: { path: /c }\n  name: get-user\n");
	expect_error("name: b.yaml#0\n",
		     "stubs/b.yaml:4:9: error: duplicate stub id 'get-user' (first defined at stubs/a.yaml:1:3)\n"
		     "stubs/x.yaml:1:7: error: duplicate stub id 'b.yaml#0' (first defined at stubs/b.yaml:2:3)\n");

	unlink("stubs/x.yaml");
	unlink("stubs/b.yaml");
	put("other/c.yaml", "name: get-user\n");
	diag_list_release(&diags);
	const char *dirs[] = { "stubs", "other" };
	cr_assert_eq(stub_load_dirs(dirs, 2, &res, &diags), -1);
	char *got = all_diags();
	cr_assert_str_eq(got, "other/c.yaml:1:7: error: duplicate stub id 'get-user' (first defined at stubs/a.yaml:1:3)\n");
	free(got);
	cr_assert_eq(res.n, 0);
}

/* ---- errors, with exact locations ---- */

Test(stub_load, yaml_syntax_error)
{
	expect_error("request:\n  path: /x\n method: GET\n",
		     "stubs/x.yaml:3:2: error: yaml syntax: did not find expected key\n");
	expect_error("request: { path: /x\n",
		     "stubs/x.yaml:2:1: error: yaml syntax: did not find expected ',' or '}'\n");
	/* documents before the broken one are still checked */
	expect_error("request: { pth: /x }\n---\nrequest: [\n",
		     "stubs/x.yaml:1:12: error: unknown key 'pth' in 'request' (did you mean 'path'?)\n"
		     "stubs/x.yaml:4:1: error: yaml syntax: did not find expected node content\n");
}

Test(stub_load, yaml_reader_error)
{
	expect_error("request:\n  path: /x\n  query: { a: \"\xff\" }\n",
		     "stubs/x.yaml:3:16: error: yaml syntax: invalid leading UTF-8 octet\n");
	expect_error("request:\n  path: /x\x01\n",
		     "stubs/x.yaml:2:11: error: yaml syntax: control characters are not allowed\n");
}

Test(stub_load, unknown_keys)
{
	expect_error("request:\n  path: /users\n  bodyy: hello\n",
		     "stubs/x.yaml:3:3: error: unknown key 'bodyy' in 'request' (did you mean 'body'?)\n");
	expect_error("Request: { path: /a }\nfrobnicate: 1\n",
		     "stubs/x.yaml:1:1: error: unknown key 'Request' in stub (did you mean 'request'?)\n"
		     "stubs/x.yaml:2:1: error: unknown key 'frobnicate' in stub\n");
	expect_error("response:\n  stauts: 200\n",
		     "stubs/x.yaml:2:3: error: unknown key 'stauts' in 'response' (did you mean 'status'?)\n");
	/* merge keys are not supported */
	expect_error("anchors: &b { path: /a }\n",
		     "stubs/x.yaml:1:1: error: unknown key 'anchors' in stub\n");
	expect_error("request:\n  <<: { path: /a }\n",
		     "stubs/x.yaml:2:3: error: unknown key '<<' in 'request'\n");
}

Test(stub_load, wrong_types)
{
	expect_error("request: [GET, /x]\n",
		     "stubs/x.yaml:1:10: error: 'request' must be a mapping, got a sequence\n");
	expect_error("response: ok\n",
		     "stubs/x.yaml:1:11: error: 'response' must be a mapping, got 'ok'\n");
	expect_error("priority: high\n",
		     "stubs/x.yaml:1:11: error: 'priority' must be an integer, got 'high'\n");
	expect_error("priority: \"1\"\n",
		     "stubs/x.yaml:1:11: error: 'priority' must be an integer, got the string '1'\n");
	expect_error("priority: 99999999999\n",
		     "stubs/x.yaml:1:11: error: 'priority' must be an integer, got '99999999999'\n");
	expect_error("name: { a: 1 }\n",
		     "stubs/x.yaml:1:7: error: 'name' must be a string, got a mapping\n");
	expect_error("name: ''\n", "stubs/x.yaml:1:7: error: 'name' must not be empty\n");
	expect_error("template: yes\n",
		     "stubs/x.yaml:1:11: error: 'template' must be true or false, got 'yes'\n");
	expect_error("- 42\n- [a]\n", "stubs/x.yaml:1:3: error: a stub must be a mapping, got '42'\n"
				      "stubs/x.yaml:2:3: error: a stub must be a mapping, got a sequence\n");
	expect_error("just text\n",
		     "stubs/x.yaml:1:1: error: a stub file must hold a stub (a mapping) or a list of stubs, got 'just text'\n");
	expect_error("? [a]\n: b\n", "stubs/x.yaml:1:3: error: a key must be a scalar, got a sequence\n");
	expect_error("request: { path: /a }\nrequest: { path: /b }\n",
		     "stubs/x.yaml:2:1: error: duplicate key 'request' in stub\n");
}

Test(stub_load, status)
{
	expect_error("response:\n  status: abc\n",
		     "stubs/x.yaml:2:11: error: 'status' must be an integer from 100 to 599, got 'abc'\n");
	expect_error("response: { status: 600 }\n",
		     "stubs/x.yaml:1:21: error: 'status' must be an integer from 100 to 599, got '600'\n");
	expect_error("response: { status: 99 }\n",
		     "stubs/x.yaml:1:21: error: 'status' must be an integer from 100 to 599, got '99'\n");
	expect_ok(load_yaml("response: { status: 599 }\n"));
	cr_assert_eq(res.stubs[0]->resp.status, 599);
	expect_ok(load_yaml("response: { status: 100 }\n"));
	cr_assert_eq(res.stubs[0]->resp.status, 100);
}

Test(stub_load, bad_regex)
{
	expect_error("request:\n  path_regex: '/users/([0-9]+'\n",
		     "stubs/x.yaml:2:15: error: 'path_regex' is not a valid regex: missing closing parenthesis at offset 14\n");
	expect_error("request:\n  headers:\n    X-Id: { regex: '*x' }\n",
		     "stubs/x.yaml:3:20: error: 'regex' is not a valid regex: quantifier does not follow a repeatable item at offset 0\n");
}

Test(stub_load, two_bodies)
{
	expect_error("response:\n  json: { ok: true }\n  body: ok\n",
		     "stubs/x.yaml:3:3: error: 'response' has both 'json' and 'body': give at most one body\n");
	expect_error("response:\n  body: ok\n  file: a.txt\n",
		     "stubs/x.yaml:3:3: error: 'response' has both 'body' and 'file': give at most one body\n");
	expect_error("response:\n  body: [a]\n",
		     "stubs/x.yaml:2:9: error: 'body' must be a string, got a sequence (use 'json' for structured data)\n");
}

Test(stub_load, path_templates)
{
	expect_ok(load_yaml("request: { path: \"/{a}/x/{b_2}/\" }\n"));
	const struct stub_request *r = &res.stubs[0]->req;
	cr_assert_eq(r->path_kind, PATH_TEMPLATE);
	cr_assert_eq(r->nsegs, 4);
	cr_assert_str_eq(r->segs[0].text, "a");
	cr_assert(r->segs[0].is_param);
	cr_assert_str_eq(r->segs[1].text, "x");
	cr_assert_str_eq(r->segs[2].text, "b_2");
	cr_assert_str_eq(r->segs[3].text, "");
	cr_assert_not(r->segs[3].is_param);

	expect_error("request: { path: \"/v{id}\" }\n",
		     "stubs/x.yaml:1:18: error: 'path' segment 'v{id}' mixes text and a parameter: a parameter must be a whole segment, like '{id}'\n");
	expect_error("request: { path: \"/{id\" }\n",
		     "stubs/x.yaml:1:18: error: 'path' segment '{id' has unbalanced braces\n");
	expect_error("request: { path: \"/{id}/{id}\" }\n",
		     "stubs/x.yaml:1:18: error: 'path' has parameter 'id' twice\n");
	expect_error("request: { path: \"/{rest*}/x\" }\n",
		     "stubs/x.yaml:1:18: error: 'path' parameter '{rest*}' must be the last segment\n");
	expect_error("request: { path: \"/{a-b}\" }\n",
		     "stubs/x.yaml:1:18: error: 'path' parameter name 'a-b' is not valid: use letters, digits and '_', not starting with a digit\n");
	expect_error("request: { path: x }\n", "stubs/x.yaml:1:18: error: 'path' must start with '/', got 'x'\n");
	expect_error("request: { path: /a, path_regex: /b }\n",
		     "stubs/x.yaml:1:22: error: 'request' has both 'path' and 'path_regex': give only one\n");
}

Test(stub_load, methods)
{
	expect_ok(load_yaml("request: { method: [get, Get, delete] }\n"));
	cr_assert_eq(res.stubs[0]->req.nmethods, 2);
	cr_assert_str_eq(res.stubs[0]->req.methods[0], "GET");
	cr_assert_str_eq(res.stubs[0]->req.methods[1], "DELETE");
	expect_ok(load_yaml("request: { method: [GET, any] }\n"));
	cr_assert_eq(res.stubs[0]->req.nmethods, 0);
	cr_assert_null(res.stubs[0]->req.methods);
	expect_ok(load_yaml("request: { method: options }\n"));
	cr_assert_str_eq(res.stubs[0]->req.methods[0], "OPTIONS");
	expect_error("request: { method: \"GE T\" }\n",
		     "stubs/x.yaml:1:20: error: 'method' must be an HTTP method such as 'GET', got the string 'GE T'\n");
	expect_error("request: { method: [] }\n", "stubs/x.yaml:1:20: error: 'method' must not be an empty list\n");
}

Test(stub_load, reserved_admin_paths)
{
	const char *msg = "error: stub routes may not live under '/__cannery/' (reserved for the admin API)\n";
	char want[256];
	snprintf(want, sizeof(want), "stubs/x.yaml:2:9: %s", msg);
	expect_error("request:\n  path: /__cannery/stubs\n", want);
	expect_error("request:\n  path: /__cannery\n", want);
	expect_error("request:\n  path: /__cannery/{x*}\n", want);
	snprintf(want, sizeof(want), "stubs/x.yaml:2:15: %s", msg);
	expect_error("request:\n  path_regex: ^/__cannery/.*\n", want);
	expect_error("request:\n  path_regex: '\\/__cannery(/.*)?'\n", want);
	expect_ok(load_yaml("- request: { path: /__canneryish }\n"
			    "- request: { path_regex: '/__cannery-x/.*' }\n"
			    "- request: { path_regex: '/__cannery?/x' }\n"
			    "- request: { path: /api/__cannery/ }\n"));
}

Test(stub_load, dynamic_keys)
{
	expect_ok(load_yaml("name: d\n"
			    "scenario: login\n"
			    "state: start\n"
			    "next_state: in\n"
			    "sequence: cycle\n"
			    "responses:\n"
			    "  - status: 201\n"
			    "    body: a\n"
			    "    delay: 250ms\n"
			    "  - { body: b, delay: { min: 100ms, max: 1.5s } }\n"
			    "  - fault: reset\n"
			    "  -\n"));
	const struct stub *s = res.stubs[0];
	cr_assert_eq(s->nresponses, 4);
	cr_assert_eq(stub_response_count(s), 4);
	cr_assert_eq(s->responses[0], &s->resp);
	cr_assert_eq(stub_response_at(s, 0)->status, 201);
	cr_assert_eq(s->resp.delay_min_ms, 250);
	cr_assert_eq(s->resp.delay_max_ms, 250);
	cr_assert_str_eq(stub_response_at(s, 1)->body, "b");
	cr_assert_eq(stub_response_at(s, 1)->delay_min_ms, 100);
	cr_assert_eq(stub_response_at(s, 1)->delay_max_ms, 1500);
	cr_assert(stub_response_at(s, 2)->handler == &respond_fault);
	cr_assert_eq(stub_response_at(s, 3)->status, 200);
	cr_assert_eq(stub_response_at(s, 3)->body_len, 0);
	cr_assert_eq(s->sequence, SEQUENCE_CYCLE);
	cr_assert_str_eq(s->scenario, "login");
	cr_assert_str_eq(s->state, "start");
	cr_assert_str_eq(s->next_state, "in");
	cr_assert(s->counts_hits);
	cr_assert_eq(s->nconds, 1, "state: counts as a condition");

	/* a plain stub has one response, itself, and needs no counter */
	expect_ok(load_yaml("response: { body: x }\n"));
	s = res.stubs[0];
	cr_assert_eq(s->nresponses, 1);
	cr_assert_eq(s->responses[0], &s->resp);
	cr_assert_eq(s->sequence, SEQUENCE_REPEAT_LAST);
	cr_assert(!s->counts_hits);
	cr_assert(s->resp.handler == &respond_canned);
	cr_assert_null(s->resp.body_tpl);

	/* seq in a template needs the counter too */
	expect_ok(load_yaml("response: { headers: { X-N: \"{{seq}}\" } }\n"));
	cr_assert(res.stubs[0]->counts_hits);
	cr_assert(res.stubs[0]->resp.handler == &respond_template);
	expect_ok(load_yaml("responses: [ { body: a } ]\nsequence: repeat_last\n"));
	cr_assert_eq(res.stubs[0]->nresponses, 1);
	cr_assert(!res.stubs[0]->counts_hits);
	expect_ok(load_yaml("scenario: s\nnext_state: t\n"));
	cr_assert(res.stubs[0]->counts_hits);
	expect_ok(load_yaml("response: { delay: 0ms }\n"));
	expect_ok(load_yaml("response: { delay: 2 s }\n"));
	cr_assert_eq(res.stubs[0]->resp.delay_min_ms, 2000);
	expect_ok(load_yaml("response: { delay: 600s }\n"));
}

Test(stub_load, dynamic_key_errors)
{
	expect_error("response: { body: a }\nresponses: [ { body: b } ]\n",
		     "stubs/x.yaml:2:1: error: a stub has either 'response' or 'responses' (a list), not both\n");
	expect_error("responses: [ { body: b } ]\nresponse: { body: a }\n",
		     "stubs/x.yaml:2:1: error: a stub has either 'response' or 'responses' (a list), not both\n");
	expect_error("responses: []\n",
		     "stubs/x.yaml:1:12: error: 'responses' must be a non-empty list of responses, got an empty list\n");
	expect_error("responses: ok\n",
		     "stubs/x.yaml:1:12: error: 'responses' must be a non-empty list of responses, got 'ok'\n");
	expect_error("responses:\n  - 200\n  - { bodyy: x }\n",
		     "stubs/x.yaml:2:5: error: each item of 'responses' must be a mapping (a response), got '200'\n"
		     "stubs/x.yaml:3:7: error: unknown key 'bodyy' in 'response' (did you mean 'body'?)\n");
	expect_error("responses: [ { body: a } ]\nsequence: loop\n",
		     "stubs/x.yaml:2:11: error: 'sequence' must be repeat_last or cycle, got 'loop'\n");
	expect_error("responses: [ { body: a } ]\nsequence: cycel\n",
		     "stubs/x.yaml:2:11: error: 'sequence' must be repeat_last or cycle, got 'cycel' (did you mean 'cycle'?)\n");
	expect_error("sequence: cycle\nresponse: { body: a }\n",
		     "stubs/x.yaml:1:1: error: 'sequence' needs 'responses' (a list of responses to go through)\n");
	expect_error("state: start\nnext_state: b\n",
		     "stubs/x.yaml:1:1: error: 'state' needs 'scenario' (the scenario whose state it names)\n"
		     "stubs/x.yaml:2:1: error: 'next_state' needs 'scenario' (the scenario whose state it sets)\n");
	expect_error("scenario: ''\nstate: [a]\nnext_state:\n",
		     "stubs/x.yaml:1:11: error: 'scenario' must be a non-empty string\n"
		     "stubs/x.yaml:2:8: error: 'state' must be a string, got a sequence\n"
		     "stubs/x.yaml:3:12: error: 'next_state' must be a string, got nothing\n");
}

Test(stub_load, delay_and_fault_errors)
{
	expect_error("response:\n  delay: 12parsecs\n",
		     "stubs/x.yaml:2:10: error: 'delay' must be a duration like 250ms or 2s, got '12parsecs'\n");
	expect_error("response:\n  delay: 250\n",
		     "stubs/x.yaml:2:10: error: 'delay' needs a unit: '250ms' or '250s', got '250'\n");
	expect_error("response:\n  delay: -5ms\n",
		     "stubs/x.yaml:2:10: error: 'delay' must be a duration like 250ms or 2s, got '-5ms'\n");
	expect_error("response:\n  delay: 601s\n",
		     "stubs/x.yaml:2:10: error: 'delay' must be at most 600s, got '601s'\n");
	expect_error("response:\n  delay: [1s]\n",
		     "stubs/x.yaml:2:10: error: 'delay' must be a duration like 250ms or a mapping {min: 100ms, max: 400ms}, got a sequence\n");
	expect_error("response:\n  delay: { min: 400ms, max: 100ms }\n",
		     "stubs/x.yaml:2:17: error: 'delay' min (400ms) is greater than max (100ms)\n");
	expect_error("response:\n  delay: { min: 1s }\n",
		     "stubs/x.yaml:2:10: error: 'delay' needs both 'min' and 'max', e.g. {min: 100ms, max: 400ms}\n");
	expect_error("response:\n  delay: { min: 1s, max: 2x, avg: 1s }\n",
		     "stubs/x.yaml:2:26: error: 'delay' max must be a duration like 250ms or 2s, got '2x'\n"
		     "stubs/x.yaml:2:30: error: unknown key 'avg' in 'delay'\n");
	expect_error("response:\n  fault: close\n",
		     "stubs/x.yaml:2:10: error: unknown fault 'close' (the only fault is 'reset')\n");
	expect_error("response:\n  fault: rest\n",
		     "stubs/x.yaml:2:10: error: unknown fault 'rest' (did you mean 'reset'?)\n");
	expect_error("response:\n  fault: { reset: true }\n",
		     "stubs/x.yaml:2:10: error: unknown fault a mapping (the only fault is 'reset')\n");
}

Test(stub_load, template_errors_are_located)
{
	/* inside a double-quoted flow scalar: the column of the filter itself */
	expect_error("response:\n  json: { id: \"{{request.params.id | uper}}\" }\n",
		     "stubs/x.yaml:2:38: error: unknown filter 'uper' (did you mean 'upper'?)\n");
	/* plain scalar */
	expect_error("response:\n  body: hi {{ x | nope }}\n",
		     "stubs/x.yaml:2:19: error: unknown filter 'nope' (filters: number, json, upper, lower, default \"x\")\n");
	/* a header value in a list */
	expect_error("response:\n  headers: { X-A: [a, \"{{uuid\"] }\n",
		     "stubs/x.yaml:2:24: error: unclosed '{{' in template (no matching '}}')\n");
	/* a literal block: line and column inside it */
	expect_error("response:\n  body: |\n    line one\n      {{ request.path | default }}\n",
		     "stubs/x.yaml:4:25: error: filter 'default' needs a quoted text, e.g. default \"x\"\n");
	/* a single-quoted scalar */
	expect_error("response:\n  body: 'a {{}} b'\n",
		     "stubs/x.yaml:2:12: error: empty template expression '{{}}'\n");
	/* an escape before the problem: the scalar's start */
	expect_error("response:\n  body: \"\\t{{ random_int 5 1 }}\"\n",
		     "stubs/x.yaml:2:9: error: 'random_int' MIN (5) is greater than MAX (1)\n");
	expect_error("response:\n  body: \"{{ random_int 5 }}\"\n",
		     "stubs/x.yaml:2:24: error: 'random_int' needs two integers: random_int MIN MAX\n");
	expect_error("response:\n  body: \"{{ now | upper 3 }}\"\n",
		     "stubs/x.yaml:2:25: error: filter 'upper' takes no argument\n");
	expect_error("response:\n  body: \"{{ request.path request.method }}\"\n",
		     "stubs/x.yaml:2:26: error: unexpected 'request.method' in template expression (filters follow '|')\n");
	expect_error("response:\n  body: \"{{ x | default 'y }}\"\n",
		     "stubs/x.yaml:2:25: error: unterminated string in template expression (missing closing ')\n");
	/* every template string of a stub is checked, and the stub is dropped */
	expect_error("response:\n  json: [\"{{ a | x }}\", { k: \"{{ b | y }}\" }]\n",
		     "stubs/x.yaml:2:18: error: unknown filter 'x' (filters: number, json, upper, lower, default \"x\")\n"
		     "stubs/x.yaml:2:38: error: unknown filter 'y' (filters: number, json, upper, lower, default \"x\")\n");
}

Test(stub_load, templates_compile)
{
	expect_ok(load_yaml("response:\n"
			    "  json: { id: \"{{request.params.id | number}}\", plain: x }\n"
			    "  headers: { X-A: [a, \"{{uuid}}\"] }\n"));
	const struct stub *s = res.stubs[0];
	cr_assert(s->resp.handler == &respond_template);
	cr_assert_not_null(s->resp.body_tpl);
	cr_assert_null(s->resp.headers[0].tpl);
	cr_assert_not_null(s->resp.headers[1].tpl);
	/* the static serialization stays available */
	cr_assert_str_eq(s->resp.body, "{\"id\":\"{{request.params.id | number}}\",\"plain\":\"x\"}");
	expect_ok(load_yaml("response:\n  body: hi {{x}}\n"));
	cr_assert_not_null(res.stubs[0]->resp.body_tpl);
	cr_assert_str_eq(res.stubs[0]->resp.body, "hi {{x}}");
	/* unknown variables are not errors: they render empty */
	expect_ok(load_yaml("response:\n  body: \"{{ nothing.here }}\"\n"));

	/* template: false serves '{{' as is, wherever the key stands */
	expect_ok(load_yaml("response:\n  json: { id: \"{{x}}\" }\n  headers: { X-A: \"{{y}}\" }\ntemplate: false\n"));
	cr_assert_str_eq(res.stubs[0]->resp.body, "{\"id\":\"{{x}}\"}");
	cr_assert_str_eq(res.stubs[0]->resp.headers[0].value, "{{y}}");
	cr_assert(res.stubs[0]->resp.handler == &respond_canned);
	expect_ok(load_yaml("template: false\nresponse: { body: \"{{ x | nope }}\" }\n"));
	cr_assert_str_eq(res.stubs[0]->resp.body, "{{ x | nope }}");
	cr_assert_null(res.stubs[0]->resp.body_tpl);
	expect_ok(load_yaml("template: false\nresponses: [ { body: \"{{\" } ]\n"));
	/* matchers are not templates */
	expect_ok(load_yaml("request: { body: { contains: \"{{\" } }\n"));
}

static char *real_tmp(const char *rel)
{
	char *real = realpath(tmp, NULL);
	cr_assert_not_null(real);
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "%s/%s", real, rel);
	free(real);
	return strbuf_detach(&sb, NULL);
}

Test(stub_load, file_escapes_via_dotdot)
{
	put("secret.txt", "secret\n");
	char *real = real_tmp("secret.txt");
	char want[PATH_MAX + 256];
	snprintf(want, sizeof(want),
		 "stubs/x.yaml:1:19: error: 'file' must stay inside 'stubs', got '../secret.txt' (which resolves to '%s')\n", real);
	expect_error("response: { file: ../secret.txt }\n", want);
	/* through a subdirectory and back up is fine while it stays inside */
	put("stubs/sub/ok.txt", "ok\n");
	put("stubs/sub/y.yaml", "response: { file: ../sub/./ok.txt }\n");
	unlink("stubs/x.yaml");
	expect_ok(load());
	cr_assert_str_eq(res.stubs[0]->resp.body, "ok\n");
	cr_assert_str_eq(res.stubs[0]->resp.content_type, "text/plain; charset=utf-8");
	cr_assert_str_eq(res.paths[1], "stubs/sub/../sub/./ok.txt");
	free(real);
}

Test(stub_load, file_absolute)
{
	expect_error("response:\n  file: /etc/passwd\n",
		     "stubs/x.yaml:2:9: error: 'file' must be a path relative to the stub file, got '/etc/passwd'\n");
}

Test(stub_load, file_symlink_out)
{
	cr_assert_eq(symlink("/etc/passwd", "stubs/passwd.txt"), 0);
	char *real = realpath("/etc/passwd", NULL);
	cr_assert_not_null(real);
	char want[PATH_MAX + 256];
	snprintf(want, sizeof(want),
		 "stubs/x.yaml:1:19: error: 'file' must stay inside 'stubs', got 'passwd.txt' (which resolves to '%s')\n", real);
	expect_error("response: { file: passwd.txt }\n", want);
	free(real);
}

Test(stub_load, file_missing_or_not_regular)
{
	expect_error("response: { file: missing.json }\n",
		     "stubs/x.yaml:1:19: error: file 'stubs/missing.json' does not exist\n");
	mkdir("stubs/dir", 0755);
	expect_error("response: { file: dir }\n", "stubs/x.yaml:1:19: error: file 'stubs/dir' is not a regular file\n");
	expect_error("response: { file: }\n", "stubs/x.yaml:1:19: error: 'file' must be a path, got nothing\n");
}

/* `cannery check` prints how many stub files it read: a `file:` body is not one, even
 * when its name ends in .yaml (it lives where the walk does not look) */
Test(stub_load, stub_files_are_counted_apart_from_file_bodies)
{
	put("stubs/.bodies/data.yaml", "a: 1\n");
	put("stubs/b.yml", "request: { path: /b }\n");
	cr_assert_eq(load_yaml("request: { path: /x }\nresponse: { file: .bodies/data.yaml }\n"), 0, "%s", all_diags());
	cr_expect_eq(res.nfiles, 2, "stub files: b.yml and x.yaml");
	cr_expect_eq(res.npaths, 3, "paths read: the two stub files and the body");
	cr_assert_eq(load_str("request: { path: /y }\n", true), 0);
	cr_expect_eq(res.nfiles, 0, "a string is no stub file");
}

Test(stub_load, file_content_types)
{
	static const struct {
		const char *name, *type;
	} cases[] = {
		{ "a.json", "application/json" },
		{ "a.html", "text/html; charset=utf-8" },
		{ "a.HTM", "text/html; charset=utf-8" },
		{ "a.txt", "text/plain; charset=utf-8" },
		{ "a.css", "text/css; charset=utf-8" },
		{ "a.js", "text/javascript; charset=utf-8" },
		{ "a.mjs", "text/javascript; charset=utf-8" },
		{ "a.png", "image/png" },
		{ "a.jpg", "image/jpeg" },
		{ "a.jpeg", "image/jpeg" },
		{ "a.gif", "image/gif" },
		{ "a.svg", "image/svg+xml" },
		{ "a.webp", "image/webp" },
		{ "a.ico", "image/x-icon" },
		{ "a.xml", "application/xml" },
		{ "a.pdf", "application/pdf" },
		{ "a.csv", "text/csv; charset=utf-8" },
		{ "a.wasm", "application/wasm" },
		{ "a.yml", "application/yaml" },
		{ "a.md", "text/markdown; charset=utf-8" },
		{ "a.bin", "application/octet-stream" },
		{ "noext", "application/octet-stream" },
	};
	struct strbuf yaml = STRBUF_INIT;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[64];
		snprintf(path, sizeof(path), "stubs/files/%s", cases[i].name);
		put(path, "# content\n");
		strbuf_addf(&yaml, "- response: { file: files/%s }\n", cases[i].name);
	}
	/* binary content is kept whole */
	FILE *f = fopen("stubs/files/zeros.bin", "wb");
	fwrite("\0\1\0", 1, 3, f);
	fclose(f);
	strbuf_adds(&yaml, "- response: { file: files/zeros.bin }\n");
	expect_ok(load_yaml(strbuf_str(&yaml)));
	strbuf_release(&yaml);
	size_t n = sizeof(cases) / sizeof(cases[0]);
	cr_assert_eq(res.n, n + 1);
	for (size_t i = 0; i < n; i++) {
		cr_assert_str_eq(res.stubs[i]->resp.content_type, cases[i].type, "%s", cases[i].name);
		cr_assert_str_eq(res.stubs[i]->resp.body, "# content\n");
		cr_assert_eq(res.stubs[i]->resp.body_len, 10);
	}
	cr_assert_eq(res.stubs[n]->resp.body_len, 3);
	cr_assert_eq(memcmp(res.stubs[n]->resp.body, "\0\1\0", 3), 0);
	/* the stub files (files/a.yml is one too), and every body read */
	cr_assert_eq(res.npaths, n + 3);
}

Test(stub_load, content_type_header_wins)
{
	expect_ok(load_yaml("- response:\n    headers: { content-TYPE: text/x-custom }\n    json: [1]\n"
			    "- response:\n    body: x\n    headers: { Content-Type: [a/b] }\n"
			    "- response:\n    body: x\n    headers: { X-Content-Type: a/b }\n"));
	cr_assert_null(res.stubs[0]->resp.content_type);
	cr_assert_str_eq(res.stubs[0]->resp.headers[0].value, "text/x-custom");
	cr_assert_str_eq(res.stubs[0]->resp.body, "[1]");
	cr_assert_null(res.stubs[1]->resp.content_type);
	cr_assert_str_eq(res.stubs[2]->resp.content_type, "text/plain; charset=utf-8");
}

Test(stub_load, response_headers)
{
	expect_ok(load_yaml("response:\n  headers:\n    X-B: 2\n    Set-Cookie: [a=1, \"b=2; Path=/\"]\n    X-Empty: \"\"\n    X-A: true\n"));
	const struct stub_response *r = &res.stubs[0]->resp;
	cr_assert_eq(r->nheaders, 5);
	const char *want[][2] = {
		{ "X-B", "2" }, { "Set-Cookie", "a=1" }, { "Set-Cookie", "b=2; Path=/" }, { "X-Empty", "" }, { "X-A", "true" },
	};
	for (size_t i = 0; i < 5; i++) {
		cr_assert_str_eq(r->headers[i].name, want[i][0]);
		cr_assert_str_eq(r->headers[i].value, want[i][1]);
	}
	expect_error("response:\n  headers:\n    X-Bad: \"a\\r\\nInjected: 1\"\n",
		     "stubs/x.yaml:3:12: error: header 'X-Bad' value must not contain a line break\n");
	expect_error("response:\n  headers:\n    X Bad: a\n",
		     "stubs/x.yaml:3:5: error: header name 'X Bad' is not a valid HTTP token\n");
	expect_error("response:\n  headers: [X-A]\n",
		     "stubs/x.yaml:2:12: error: 'headers' must be a mapping of header name to value, got a sequence\n");
}

Test(stub_load, file_not_allowed_without_base_dir)
{
	cr_assert_eq(load_str("response: { file: a.txt }", false), -1);
	char *got = all_diags();
	cr_assert_str_eq(got, "admin:1:13: error: 'file' is not allowed here\n");
	free(got);

	/* with a base directory, file: is relative to it and confined to it */
	put("base/a.txt", "hello");
	load_result_release(&res);
	diag_list_release(&diags);
	expect_ok(stub_load_string("response: { file: a.txt }", 25, "admin", "base", false, &res, &diags));
	cr_assert_str_eq(res.stubs[0]->resp.body, "hello");
	cr_assert_str_eq(res.stubs[0]->file, "admin");
	cr_assert_str_eq(res.stubs[0]->id, "admin#0");
	cr_assert_eq(res.npaths, 1);
	cr_assert_str_eq(res.paths[0], "base/a.txt");
	put("outside.txt", "no");
	load_result_release(&res);
	cr_assert_eq(stub_load_string("response: { file: ../outside.txt }", 34, "admin", "base", false, &res, &diags), -1);
}

Test(stub_load, billion_laughs)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
	for (char c = 'b'; c <= 'i'; c++) {
		strbuf_addf(&sb, "%c: &%c [", c, c);
		for (int i = 0; i < 9; i++)
			strbuf_addf(&sb, "%s*%c", i ? ", " : "", c - 1);
		strbuf_adds(&sb, "]\n");
	}
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	expect_error(strbuf_str(&sb),
		     "stubs/x.yaml:7:8: error: document too large: more than 1000000 nodes once aliases are expanded\n");
	cr_assert_lt(since(&t0), 1.0);
	strbuf_release(&sb);
}

Test(stub_load, alias_big_strings)
{
	/* few nodes, but each repeats a long string: bounded by bytes */
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, "a: &a \"");
	for (int i = 0; i < 1000000; i++)
		strbuf_addc(&sb, 'x');
	strbuf_adds(&sb, "\"\nb: &b [");
	for (int i = 0; i < 100; i++)
		strbuf_addf(&sb, "%s*a", i ? ", " : "");
	strbuf_adds(&sb, "]\n");
	int rc = load_yaml(strbuf_str(&sb));
	cr_assert_eq(rc, -1);
	cr_assert_eq(diags.n, 1);
	cr_assert_str_eq(diags.items[0].msg, "document too large: aliases repeat more than 67108864 bytes of text");
	strbuf_release(&sb);
}

Test(stub_load, aliases_share_nodes)
{
	expect_ok(load_yaml("- name: a\n  request: &req { path: /x, headers: { Accept: json } }\n"
			    "  response: &resp { json: &j { k: [1, 2] } }\n"
			    "- name: b\n  request: *req\n  response: { json: [*j, *j] }\n"));
	cr_assert_str_eq(res.stubs[1]->req.path, "/x");
	cr_assert_str_eq(res.stubs[1]->req.headers[0].name, "accept");
	cr_assert_str_eq(res.stubs[1]->resp.body, "[{\"k\":[1,2]},{\"k\":[1,2]}]");
}

Test(stub_load, self_referencing_alias)
{
	expect_error("request: &req\n  path: /x\n  again: *req\n",
		     "stubs/x.yaml:3:10: error: alias '*req' refers to itself\n");
	expect_error("&a [ *a ]\n", "stubs/x.yaml:1:6: error: alias '*a' refers to itself\n");
}

Test(stub_load, unknown_alias)
{
	expect_error("request:\n  path: *nowhere\n", "stubs/x.yaml:2:9: error: unknown alias '*nowhere'\n");
	/* anchors do not cross documents */
	expect_error("name: &n a\n---\nname: *n\n", "stubs/x.yaml:3:7: error: unknown alias '*n'\n");
}

Test(stub_load, deep_nesting_flow)
{
	struct strbuf sb = STRBUF_INIT;
	for (int i = 0; i < 10000; i++)
		strbuf_addc(&sb, '[');
	for (int i = 0; i < 10000; i++)
		strbuf_addc(&sb, ']');
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	expect_error(strbuf_str(&sb), "stubs/x.yaml:1:65: error: nesting deeper than 64 levels\n");
	/* unclosed too */
	strbuf_reset(&sb);
	for (int i = 0; i < 10000; i++)
		strbuf_adds(&sb, "{a: ");
	expect_error(strbuf_str(&sb), "stubs/x.yaml:1:257: error: nesting deeper than 64 levels\n");
	cr_assert_lt(since(&t0), 2.0);
	strbuf_release(&sb);
}

Test(stub_load, deep_nesting_block)
{
	struct strbuf sb = STRBUF_INIT;
	for (int i = 0; i < 10000; i++)
		strbuf_adds(&sb, "- ");
	strbuf_adds(&sb, "x\n");
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	expect_error(strbuf_str(&sb), "stubs/x.yaml:1:129: error: nesting deeper than 64 levels\n");
	/* indented mappings, one level a line (1000 levels: the file grows with the square) */
	strbuf_reset(&sb);
	for (int i = 0; i < 1000; i++) {
		for (int j = 0; j < i; j++)
			strbuf_addc(&sb, ' ');
		strbuf_adds(&sb, "a:\n");
	}
	expect_error(strbuf_str(&sb), "stubs/x.yaml:65:65: error: nesting deeper than 64 levels\n");
	cr_assert_lt(since(&t0), 2.0);
	strbuf_release(&sb);
}

Test(stub_load, deep_nesting_through_aliases)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, "a: &x ");
	for (int i = 0; i < 60; i++)
		strbuf_addc(&sb, '[');
	for (int i = 0; i < 60; i++)
		strbuf_addc(&sb, ']');
	strbuf_adds(&sb, "\nb: [[[[[*x]]]]]\n");
	expect_error(strbuf_str(&sb), "stubs/x.yaml:2:9: error: nesting deeper than 64 levels (through alias '*x')\n");
	strbuf_release(&sb);
}

Test(stub_load, json_text_through_string)
{
	const char *json = "{\"name\":\"j\",\"request\":{\"path\":\"/x\",\"method\":[\"get\"]},"
			   "\"response\":{\"status\":201,\"json\":{\"a\":[1,2.5,true,null,\"s\"]}}}";
	expect_ok(load_str(json, false));
	cr_assert_eq(res.n, 1);
	cr_assert_str_eq(res.stubs[0]->id, "j");
	cr_assert_str_eq(res.stubs[0]->file, "admin");
	cr_assert_str_eq(res.stubs[0]->req.path, "/x");
	cr_assert_str_eq(res.stubs[0]->req.methods[0], "GET");
	cr_assert_eq(res.stubs[0]->resp.status, 201);
	cr_assert_str_eq(res.stubs[0]->resp.body, "{\"a\":[1,2.5,true,null,\"s\"]}");

	/* a list, pretty-printed with tabs; runtime ids */
	expect_ok(load_str("[\n\t{\"request\": {\"path\": \"/a\"}},\n\t{\"name\": \"n\"},\n\t{}\n]\n", true));
	cr_assert_eq(res.n, 3);
	cr_assert_str_eq(res.stubs[0]->id, "runtime-0");
	cr_assert_null(res.stubs[0]->file);
	cr_assert_str_eq(res.stubs[1]->id, "n");
	cr_assert_str_eq(res.stubs[2]->id, "runtime-2");
	cr_assert_eq(res.stubs[2]->order, 2);

	cr_assert_eq(load_str("{\"request\": {\"path\": \"x\"}}", true), -1);
	char *got = all_diags();
	cr_assert_str_eq(got, "admin:1:22: error: 'path' must start with '/', got the string 'x'\n");
	free(got);
	cr_assert_eq(load_str("{\"request\": ", true), -1);
	cr_assert_eq(diags.n, 1);

	expect_ok(load_str("", true));
	cr_assert_eq(res.n, 0);
}

/* A body is printed straight from the YAML nodes unless it holds what only the cJSON way
 * decides (here a float next to it): both ways give the same bytes. */
Test(stub_load, json_body_text_is_the_same_without_the_tree)
{
	static const char *const bodies[] = {
		"{ \"q\\\"uote\": \"a\\\"b\\\\c/d\", tab: \"x\\ty\", nl: \"l1\\nl2\", ctl: \"\\x01\\x1f\\x7f\" }",
		"{ u: \"\u00e9\u65e5\U0001F389\", e: \"\", n: ~, N: NULL, t: True, f: false, y: yes, o: on }",
		"{ i: 007, p: +5, m: -0, big: 123456789012345678901234567890, s: '007', tagged: !!str 7 }",
		"[1, \"2\", [], {}, [[]], {a: {b: [null]}}, { \"\": 1 }, \"}\", \"]\", \",\", \":\"]",
		"{ key with spaces: value with spaces, 'single': \"double\", multi: \"a\n        b\", 1: key is text }",
		"\"just a string\"",
		"\"folded\n        over lines\\n\"",
		"{ tpl: \"{{ not a template here }}\" }",
	};
	for (size_t i = 0; i < sizeof(bodies) / sizeof(*bodies); i++) {
		char text[512];
		snprintf(text, sizeof(text), "template: false\nresponse:\n  json: %s\n", bodies[i]);
		expect_ok(load_yaml(text));
		char *fast = xstrdup(res.stubs[0]->resp.body);
		snprintf(text, sizeof(text), "template: false\nresponse:\n  json:\n    - 1.5\n    - %s\n", bodies[i]);
		expect_ok(load_yaml(text));
		const char *slow = res.stubs[0]->resp.body;
		cr_assert_eq(strncmp(slow, "[1.5,", 5), 0, "%s", slow);
		cr_assert_eq(strlen(slow), strlen(fast) + 6, "%s\n%s", fast, slow);
		cr_assert_eq(strncmp(slow + 5, fast, strlen(fast)), 0, "fast: %s\nslow: %s", fast, slow);
		free(fast);
	}
	/* with templates on, a template string makes a template body (the cJSON way) */
	expect_ok(load_yaml("response: { json: { id: \"{{request.params.id}}\", n: 1 } }\n"));
	cr_assert_not_null(res.stubs[0]->resp.body_tpl);
	expect_ok(load_yaml("response: { json: { id: \"plain\", n: 1 } }\n"));
	cr_assert_null(res.stubs[0]->resp.body_tpl);
	cr_assert_str_eq(res.stubs[0]->resp.body, "{\"id\":\"plain\",\"n\":1}");
}

Test(stub_load, scalar_typing_in_json)
{
	expect_ok(load_yaml("response:\n  json:\n"
			    "    nulls: [~, null, Null, NULL]\n"
			    "    empty:\n"
			    "    bools: [true, True, TRUE, false, False, FALSE, yes, no, on]\n"
			    "    ints: [0, -7, +5, 007, 0x1F, 0o17, 9007199254740993, 123456789012345678901234567890, -0]\n"
			    "    floats: [1.5, -0.25, .5, 1., 1e3, 2.5E-1, 1e+2]\n"
			    "    strings: [\"42\", '1.5', \"true\", 'null', .inf, -.Inf, .nan, 0x, 1_000, 12:30, 0b101, !!str 7]\n"
			    "    block: |\n      text\n"
			    "    1: key is text\n"));
	cr_assert_str_eq(res.stubs[0]->resp.body,
			 "{\"nulls\":[null,null,null,null],\"empty\":null,"
			 "\"bools\":[true,true,true,false,false,false,\"yes\",\"no\",\"on\"],"
			 "\"ints\":[0,-7,5,7,31,15,9007199254740993,123456789012345678901234567890,0],"
			 "\"floats\":[1.5,-0.25,0.5,1,1000,0.25,100],"
			 "\"strings\":[\"42\",\"1.5\",\"true\",\"null\",\".inf\",\"-.Inf\",\".nan\",\"0x\",\"1_000\",\"12:30\",\"0b101\",\"7\"],"
			 "\"block\":\"text\\n\","
			 "\"1\":\"key is text\"}");
	cr_assert_str_eq(res.stubs[0]->resp.content_type, "application/json");
	/* serialized once, scalars at the top too */
	expect_ok(load_yaml("response: { json: 12 }\n"));
	cr_assert_str_eq(res.stubs[0]->resp.body, "12");
	expect_ok(load_yaml("response: { json: }\n"));
	cr_assert_str_eq(res.stubs[0]->resp.body, "null");
	expect_error("response: { json: [1e400] }\n", "stubs/x.yaml:1:20: error: number '1e400' is out of range\n");
	expect_error("response: { json: { a: 1, a: 2 } }\n", "stubs/x.yaml:1:27: error: duplicate key 'a'\n");
	/* many keys (checked through a hash map), and few (one by one): the same errors */
	expect_error("response: { json: { k1: 1, k2: 2, k3: 3, k4: 4, k5: 5, k6: 6, k7: 7, k8: 8, k9: 9, k10: 10,\n"
		     "  k11: 11, k12: 12, k13: 13, k14: 14, k15: 15, k16: 16, k17: 17, k2: 0, k17: 0 } }\n",
		     "stubs/x.yaml:2:66: error: duplicate key 'k2'\nstubs/x.yaml:2:73: error: duplicate key 'k17'\n");
	expect_error("response: { json: { k1: 1, [x]: 2, k2: 2, k1: 3, k2: 4, k1: 5 } }\n",
		     "stubs/x.yaml:1:28: error: a key must be a scalar, got a sequence\n"
		     "stubs/x.yaml:1:43: error: duplicate key 'k1'\nstubs/x.yaml:1:50: error: duplicate key 'k2'\n"
		     "stubs/x.yaml:1:57: error: duplicate key 'k1'\n");
}

Test(stub_load, body_conditions)
{
	expect_ok(load_yaml("- request: { body: '{\"a\": 1}' }\n"
			    "- request: { body: { json: { a: [1, x, \"2\"] } } }\n"
			    "- request: { body: { json_partial: { user: { id: 7 } } } }\n"
			    "- request: { body: { form: { a: 1, b: { prefix: x } } } }\n"
			    "- request: { body: { prefix: '{', suffix: '}' } }\n"
			    "- request: { body: { json: ~ } }\n"));
	cr_assert_eq(res.stubs[0]->req.bodies[0].kind, BODY_RAW);
	cr_assert_str_eq(res.stubs[0]->req.bodies[0].raw.clauses[0].text, "{\"a\": 1}");
	cr_assert_eq(res.stubs[1]->req.bodies[0].kind, BODY_JSON);
	char *j = cJSON_PrintUnformatted(res.stubs[1]->req.bodies[0].json);
	cr_assert_str_eq(j, "{\"a\":[1,\"x\",\"2\"]}");
	cJSON_free(j);
	cr_assert(cJSON_IsNumber(cJSON_GetArrayItem(cJSON_GetObjectItem(res.stubs[1]->req.bodies[0].json, "a"), 0)));
	cr_assert_eq(res.stubs[2]->req.bodies[0].kind, BODY_JSON_PARTIAL);
	cr_assert_eq(res.stubs[3]->req.bodies[0].kind, BODY_FORM);
	cr_assert_eq(res.stubs[3]->req.bodies[0].nfields, 2);
	cr_assert_eq(res.stubs[3]->nconds, 1);
	cr_assert_eq(res.stubs[4]->req.bodies[0].kind, BODY_RAW);
	cr_assert_eq(res.stubs[4]->req.bodies[0].raw.n, 2);
	cr_assert(cJSON_IsNull(res.stubs[5]->req.bodies[0].json));

	expect_error("request:\n  body: { json: 1, form: {} }\n",
		     "stubs/x.yaml:2:20: error: 'body' has both 'json' and 'form': give only one\n");
	expect_error("request:\n  body: { contains: x, json: 1 }\n",
		     "stubs/x.yaml:2:24: error: 'body' mixes 'contains' with 'json': give either a matcher or one of json, json_partial, json_path, form\n");
	expect_error("request:\n  body: { json_path: { a..b: 1 } }\n",
		     "stubs/x.yaml:2:24: error: json path 'a..b' has an empty segment\n");
	expect_error("request:\n  body: { jsn: 1 }\n",
		     "stubs/x.yaml:2:11: error: unknown key 'jsn' in 'body' (did you mean 'json'?)\n");
}

Test(stub_load, matchers)
{
	expect_ok(load_yaml("request:\n  query:\n"
			    "    a: 2\n"
			    "    b: { suffix: z, contains: y, prefix: x, equals: xyz }\n"
			    "    c: { regex: 'ab+', ignore_case: true }\n"
			    "    d: { not: abc, ignore_case: true }\n"
			    "    e: { ignore_case: true, not: { equals: x, ignore_case: false } }\n"
			    "    f: { one_of: [1, two, \"3\"], present: true }\n"
			    "  headers:\n    Accept: ~\n"
			    "  cookies: {}\n"));
	const struct stub *s = res.stubs[0];
	cr_assert_eq(s->req.nquery, 6);
	cr_assert_eq(s->nconds, 7);
	const struct matcher *m = &s->req.query[0].m;
	cr_assert_eq(m->n, 1);
	cr_assert_eq(m->clauses[0].op, MATCH_EQUALS);
	cr_assert_str_eq(m->clauses[0].text, "2");
	cr_assert_not(m->ignore_case);
	m = &s->req.query[1].m;
	cr_assert_eq(m->n, 4);
	cr_assert_eq(m->clauses[0].op, MATCH_SUFFIX);
	cr_assert_eq(m->clauses[1].op, MATCH_CONTAINS);
	cr_assert_eq(m->clauses[2].op, MATCH_PREFIX);
	cr_assert_eq(m->clauses[3].op, MATCH_EQUALS);
	m = &s->req.query[2].m;
	cr_assert(m->ignore_case);
	cr_assert_eq(m->n, 1);
	cr_assert_str_eq(m->clauses[0].text, "ab+");
	cr_assert(regex_match(m->clauses[0].re, "ABB", 3), "ignore_case after regex still applies");
	cr_assert_not(regex_match(m->clauses[0].re, "xab", 3), "whole match");
	m = &s->req.query[3].m;
	cr_assert(m->clauses[0].inner->ignore_case, "a scalar under not inherits ignore_case");
	cr_assert_str_eq(m->clauses[0].inner->clauses[0].text, "abc");
	m = &s->req.query[4].m;
	cr_assert(m->ignore_case);
	cr_assert_not(m->clauses[0].inner->ignore_case, "not sets its own");
	m = &s->req.query[5].m;
	cr_assert_eq(m->clauses[0].op, MATCH_ONE_OF);
	cr_assert_eq(m->clauses[0].nlist, 3);
	cr_assert_str_eq(m->clauses[0].list[0], "1");
	cr_assert_eq(m->clauses[1].op, MATCH_PRESENT);
	cr_assert(m->clauses[1].present);
	cr_assert_str_eq(s->req.headers[0].m.clauses[0].text, "~");

	expect_error("request:\n  query:\n    a: { ignore_case: true }\n",
		     "stubs/x.yaml:3:8: error: matcher has no condition\n");
	expect_error("request:\n  query:\n    a: {}\n", "stubs/x.yaml:3:8: error: matcher has no condition\n");
	expect_error("request:\n  headers:\n    a: { not: { ignore_case: true } }\n",
		     "stubs/x.yaml:3:15: error: matcher has no condition\n");
	expect_error("request:\n  query:\n    a: [1]\n",
		     "stubs/x.yaml:3:8: error: query parameter 'a' must be a string or a matcher mapping, got a sequence\n");
	expect_error("request:\n  cookies:\n    a: { prefx: 1 }\n",
		     "stubs/x.yaml:3:10: error: unknown key 'prefx' in cookie 'a' (did you mean 'prefix'?)\n");
	expect_error("request:\n  query:\n    a: { present: yes }\n",
		     "stubs/x.yaml:3:19: error: 'present' must be true or false, got 'yes'\n");
	expect_error("request:\n  headers:\n    Accept: a\n    accept: b\n",
		     "stubs/x.yaml:4:5: error: duplicate header 'accept'\n");
}

Test(stub_load, keeps_going_and_frees_everything)
{
	put("stubs/a.yaml", "- request: { path: nope }\n- name: fine\n- response: { status: 1 }\n");
	put("stubs/b.yaml", "request: [\n");
	put("stubs/c.yaml", "name: also-fine\n---\nrequest: { methd: GET }\n");
	cr_assert_eq(load(), -1);
	char *got = all_diags();
	cr_assert_str_eq(got, "stubs/a.yaml:1:20: error: 'path' must start with '/', got 'nope'\n"
			      "stubs/a.yaml:3:23: error: 'status' must be an integer from 100 to 599, got '1'\n"
			      "stubs/b.yaml:2:1: error: yaml syntax: did not find expected node content\n"
			      "stubs/c.yaml:3:12: error: unknown key 'methd' in 'request' (did you mean 'method'?)\n");
	free(got);
	cr_assert_eq(res.n, 0);
	cr_assert_null(res.stubs);
	cr_assert_eq(res.npaths, 0);
	cr_assert_null(res.paths);
}

Test(stub_load, diag_list_is_appended_to)
{
	diag_add(&diags, "earlier", 1, 1, "from before");
	const char *dirs[] = { "stubs" };
	put("stubs/a.yaml", "name: ok\n");
	cr_assert_eq(stub_load_dirs(dirs, 1, &res, &diags), 0, "earlier errors are not this load's");
	cr_assert_eq(diags.n, 1);
}

/* ---- golden files: tests/fixtures/bad/NAME.yaml and NAME.expected ---- */

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads each bad fixture alone, copied to "bad/NAME.yaml" in the temporary directory, and
 * compares diag_list_print's output with NAME.expected. CANNERY_UPDATE_GOLDEN=1 rewrites
 * the expected files instead. */
Test(stub_load, golden_bad_fixtures)
{
	const char *fixtures = getenv("CANNERY_FIXTURES");
	cr_assert_not_null(fixtures);
	bool update = getenv("CANNERY_UPDATE_GOLDEN") != NULL;
	char dirpath[PATH_MAX];
	snprintf(dirpath, sizeof(dirpath), "%s/bad", fixtures);
	DIR *d = opendir(dirpath);
	cr_assert_not_null(d);
	char *names[256];
	size_t nnames = 0;
	struct dirent *de;
	while ((de = readdir(d)) && nnames < 256) {
		size_t len = strlen(de->d_name);
		if (len > 5 && strcmp(de->d_name + len - 5, ".yaml") == 0)
			names[nnames++] = xstrndup(de->d_name, len - 5);
	}
	closedir(d);
	qsort(names, nnames, sizeof(*names), cmp_names);
	cr_assert_gt(nnames, 10);

	size_t failures = 0;
	for (size_t i = 0; i < nnames; i++) {
		struct strbuf src = STRBUF_INIT, dst = STRBUF_INIT, exp = STRBUF_INIT;
		strbuf_addf(&src, "%s/%s.yaml", dirpath, names[i]);
		strbuf_addf(&dst, "bad/%s.yaml", names[i]);
		strbuf_addf(&exp, "%s/%s.expected", dirpath, names[i]);
		char *text = read_file(src.buf, NULL);
		cr_assert_not_null(text);
		put(dst.buf, text);
		free(text);

		const char *dirs[] = { "bad" };
		load_result_release(&res);
		diag_list_release(&diags);
		int rc = stub_load_dirs(dirs, 1, &res, &diags);
		char *out = NULL;
		size_t outlen = 0;
		FILE *mem = open_memstream(&out, &outlen);
		diag_list_print(&diags, mem);
		fclose(mem);
		unlink(dst.buf);

		if (update) {
			FILE *f = fopen(exp.buf, "wb");
			cr_assert_not_null(f);
			fwrite(out, 1, outlen, f);
			fclose(f);
		} else {
			char *expected = read_file(exp.buf, NULL);
			if (rc != -1 || !expected || strcmp(expected, out) != 0) {
				cr_log_error("golden %s: rc %d\n--- expected\n%s--- got\n%s", names[i], rc,
					     expected ? expected : "(missing .expected file)\n", out);
				failures++;
			}
			free(expected);
		}
		free(out);
		free(names[i]);
		strbuf_release(&src);
		strbuf_release(&dst);
		strbuf_release(&exp);
	}
	cr_assert_eq(failures, 0, "%zu golden fixture(s) differ", failures);
}

/* ---- the data files of --crud ---- */

static char *data_errors(const char *text)
{
	diag_list_release(&diags);
	cJSON *j = stub_load_data("db.yaml", text, strlen(text), &diags);
	cr_expect_null(j, "'%s' should not load", text);
	cJSON_Delete(j);
	return diags_text(&diags);
}

Test(stub_load, data_files_load_as_json_objects)
{
	static const char yaml[] = "users:\n  - { id: 1, name: Ada }\n  - { id: b7, tags: [x, y] }\nprofile: { name: me }\n"
				   "empty: []\n";
	diag_list_release(&diags);
	cJSON *j = stub_load_data("db.yaml", yaml, strlen(yaml), &diags);
	cr_assert_not_null(j, "%s", diags_text(&diags));
	char *text = json_print(j, NULL);
	cr_expect_str_eq(text, "{\"users\":[{\"id\":1,\"name\":\"Ada\"},{\"id\":\"b7\",\"tags\":[\"x\",\"y\"]}],"
			       "\"profile\":{\"name\":\"me\"},\"empty\":[]}");
	free(text);
	cJSON_Delete(j);
	static const char json[] = "{\"posts\": [{\"id\": 1, \"title\": \"a\"}]}";
	j = stub_load_data("db.json", json, strlen(json), &diags);
	cr_expect_not_null(j);
	cJSON_Delete(j);
	/* JSON that libyaml cannot read: a key past YAML's 1024-character simple-key limit
	 * (what a --crud-save dump of an odd key may hold) */
	char big[1200 + 64];
	memset(big, 0, sizeof(big));
	strcpy(big, "{\"");
	memset(big + 2, 'k', 1200);
	strcat(big, "\": [{\"id\": 1}]}");
	j = stub_load_data("db.json", big, strlen(big), &diags);
	cr_expect_not_null(j, "%s", diags_text(&diags));
	cr_expect(cJSON_IsArray(j ? j->child : NULL));
	cJSON_Delete(j);
	j = stub_load_data("db.json", "{\"a\": 1}", 8, &diags);
	cr_expect_null(j, "not a collection: still the located error");
	cr_expect(diags.n > 0);
}

Test(stub_load, data_file_errors_are_located)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "- 1\n", "db.yaml:1:1: error: a data file must be an object" },
		{ "users: hello\n", "db.yaml:1:8: error: 'users' must be an array of objects (a collection) or an object" },
		{ "users:\n  - { id: 1 }\n  - 2\n", "db.yaml:3:5: error: item 1 of collection 'users' must be an object" },
		{ "users: []\nusers: []\n", "duplicate key" },
		{ "a: {}\n---\nb: {}\n", "db.yaml:3:1: error: a data file holds one document" },
		{ "", "db.yaml: error: the data file is empty" },
		{ "users: [\n", "db.yaml:2:" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = data_errors(cases[i].text);
		cr_expect(strstr(got, cases[i].want) != NULL, "'%s': expected '%s' in:\n%s", cases[i].text, cases[i].want,
			  got);
		free(got);
	}
}
