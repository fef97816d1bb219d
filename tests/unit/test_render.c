/* SPDX-License-Identifier: MIT */
/* render: every variable and filter, chains, JSON skeletons (number/json holes, escaping,
 * static parts byte-identical to cJSON), unknown variables, and compile errors with their
 * byte offsets. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "matcher.h"
#include "render.h"
#include "util/arena.h"
#include "util/rng.h"
#include "util/strbuf.h"

#include "testutil.h"

static struct arena arena;
static struct req_view view;
static struct params params;
static struct rng rng;
static struct kv query[] = {
	{ "q", "hello world", 11 },
	{ "n", "42", 2 },
	{ "tag", "first", 5 },
	{ "tag", "second", 6 },
	{ "empty", "", 0 },
	{ "pad", " 7 ", 3 },
	{ "zeros", "007", 3 },
	{ "plus", "+5", 2 },
	{ "exp", "1e3", 3 },
	{ "word", "abc", 3 },
	{ "quote", "say \"hi\"\n\\", 10 },
	{ "bad", "a\xff" "b", 3 },
};
static struct kv headers[] = {
	{ "User-Agent", "test/1.0", 8 },
	{ "X-Mixed", "MiXeD", 5 },
};
static struct kv cookies[] = {
	{ "session", "s3cr3t", 6 },
};
static struct kv captures[] = {
	{ "id", "42", 2 },
	{ "rest", "a/b/c", 5 },
};
static const char body[] = "{\"user\":{\"name\":\"Ada\",\"age\":36,\"tags\":[\"x\",\"y\"]},\"ok\":true}";

static void setup(void)
{
	arena_init(&arena);
	memset(&view, 0, sizeof(view));
	view.method = "POST";
	view.path = "/api/users/42";
	view.query = query;
	view.nquery = sizeof(query) / sizeof(query[0]);
	view.headers = headers;
	view.nheaders = sizeof(headers) / sizeof(headers[0]);
	view.cookies = cookies;
	view.ncookies = sizeof(cookies) / sizeof(cookies[0]);
	view.body = body;
	view.body_len = strlen(body);
	view.arena = &arena;
	params.items = captures;
	params.n = sizeof(captures) / sizeof(captures[0]);
	rng_seed(&rng, 42);
}

/* Rendered strings, freed at teardown so that tests can compare them freely. */
static void teardown(void)
{
	kept_release();
	req_view_release(&view);
	arena_release(&arena);
}

TestSuite(render, .init = setup, .fini = teardown);

static struct render_ctx ctx_with(uint64_t seq)
{
	struct render_ctx c = { &view, &params, &rng, seq, 0 };
	return c;
}

/* Renders src as a text template; the result lives until teardown. */
static const char *render_text(const char *src)
{
	struct tpl_error err;
	struct tpl *t = tpl_compile(src, strlen(src), &err);
	cr_assert_not_null(t, "'%s' does not compile: %s at %zu", src, err.msg, err.offset);
	struct render_ctx c = ctx_with(7);
	struct strbuf sb = STRBUF_INIT;
	tpl_render(t, &c, &sb);
	tpl_destroy(t);
	return keep(strbuf_detach(&sb, NULL));
}

static void expect_text(const char *src, const char *want)
{
	const char *got = render_text(src);
	cr_expect_str_eq(got, want, "'%s' rendered '%s', want '%s'", src, got, want);
}

/* Renders a JSON document given as JSON text; checks that the output parses. */
static const char *render_json(const char *json)
{
	cJSON *root = cJSON_Parse(json);
	cr_assert_not_null(root, "bad test JSON: %s", json);
	struct tpl *t = tpl_compile_json(root);
	const char *out;
	if (!t) {
		char *printed = cJSON_PrintUnformatted(root);
		out = keep(strdup(printed));
		cJSON_free(printed);
	} else {
		struct render_ctx c = ctx_with(3);
		struct strbuf sb = STRBUF_INIT;
		tpl_render(t, &c, &sb);
		tpl_destroy(t);
		out = keep(strbuf_detach(&sb, NULL));
	}
	cJSON_Delete(root);
	const char *end = NULL;
	cJSON *back = cJSON_ParseWithLengthOpts(out, strlen(out), &end, false);
	cr_expect(back && end == out + strlen(out), "not valid JSON: %s", out);
	cJSON_Delete(back);
	return out;
}

static void expect_json(const char *json, const char *want)
{
	const char *got = render_json(json);
	cr_expect_str_eq(got, want, "%s rendered %s, want %s", json, got, want);
}

/* Whole-string match with the project's PCRE2 adapter. */
/* ---- literals ---- */

Test(render, literal_text_is_kept)
{
	expect_text("", "");
	expect_text("plain text", "plain text");
	expect_text("a } b }} c { d", "a } b }} c { d");
	expect_text("\\{{ not a template }}", "{{ not a template }}");
	expect_text("x \\{{ {{request.method}}", "x {{ POST");
	cr_assert(tpl_has_expr("a{{b", 4));
	cr_assert(!tpl_has_expr("a{b}", 4));
	cr_assert(!tpl_has_expr("a{", 2));
}

/* ---- variables ---- */

Test(render, request_variables)
{
	expect_text("{{request.method}} {{ request.path }}", "POST /api/users/42");
	expect_text("{{request.params.id}}|{{request.params.rest}}", "42|a/b/c");
	expect_text("{{request.query.q}}", "hello world");
	expect_text("{{request.query.tag}}", "first");
	expect_text("[{{request.query.empty}}]", "[]");
	expect_text("{{request.headers.user-agent}} {{request.headers.USER-AGENT}}", "test/1.0 test/1.0");
	expect_text("{{request.cookies.session}}", "s3cr3t");
	expect_text("{{request.body}}", body);
}

Test(render, request_json)
{
	expect_text("{{request.json.user.name}}", "Ada");
	expect_text("{{request.json.user.age}}", "36");
	expect_text("{{request.json.user.tags}}", "[\"x\",\"y\"]");
	expect_text("{{request.json.user.tags.1}}", "y");
	expect_text("{{request.json.ok}}", "true");
	expect_text("[{{request.json.user.missing}}]", "[]");
	expect_text("{{request.json}}", "{\"user\":{\"name\":\"Ada\",\"age\":36,\"tags\":[\"x\",\"y\"]},\"ok\":true}");
	req_view_release(&view);    /* drop the cached parse */
	view.body = "not json";
	view.body_len = 8;
	expect_text("[{{request.json.user}}]", "[]");
	expect_text("{{request.json.user | default \"none\"}}", "none");
}

Test(render, missing_request_parts)
{
	expect_text("[{{request.params.nope}}][{{request.query.nope}}][{{request.headers.nope}}][{{request.cookies.nope}}]",
		    "[][][][]");
	view.body = NULL;
	view.body_len = 0;
	expect_text("[{{request.body}}]", "[]");
	struct tpl_error err;
	struct tpl *t = tpl_compile("[{{request.params.id}}]", 23, &err);
	struct render_ctx c = { &view, NULL, &rng, 1, 0 };
	struct strbuf sb = STRBUF_INIT;
	tpl_render(t, &c, &sb);
	cr_expect_str_eq(sb.buf, "[]", "no params: empty");
	strbuf_release(&sb);
	tpl_destroy(t);
}

Test(render, unknown_variables_render_empty)
{
	expect_text("[{{nothing}}]", "[]");
	expect_text("[{{request.nope}}]", "[]");
	expect_text("[{{request.params}}]", "[]");
	expect_text("[{{ requst.path }}]", "[]");
	expect_text("[{{nothing | default \"x\"}}]", "[x]");
	expect_text("[{{nothing | upper}}]", "[]");
}

Test(render, clock_variables)
{
	const char *now = render_text("{{now}}");
	cr_expect(re_matches("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z", now), "now: %s", now);
	const char *ms = render_text("{{now_ms}}");
	cr_expect(re_matches("[0-9]{13}", ms), "now_ms: %s", ms);
	/* one clock reading per request: now and now_ms agree */
	struct tpl_error err;
	struct tpl *t = tpl_compile("{{now}} {{now_ms}}", 18, &err);
	struct render_ctx c = ctx_with(1);
	c.now_ms = 1798286400123;   /* 2026-12-26T12:00:00.123Z */
	struct strbuf sb = STRBUF_INIT;
	tpl_render(t, &c, &sb);
	cr_expect_str_eq(sb.buf, "2026-12-26T12:00:00.123Z 1798286400123");
	strbuf_release(&sb);
	tpl_destroy(t);
}

Test(render, uuid_is_v4_and_seeded)
{
	const char *a = render_text("{{uuid}}");
	const char *b = render_text("{{uuid}}");
	cr_expect(re_matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", a), "uuid: %s", a);
	cr_expect_str_neq(a, b);
	/* the same seed gives the same values */
	rng_seed(&rng, 42);
	cr_expect_str_eq(render_text("{{uuid}}"), a);
	cr_expect_str_eq(render_text("{{uuid}}"), b);
}

Test(render, random_int_bounds)
{
	bool seen[7] = { false };
	for (int i = 0; i < 400; i++) {
		int v = (int)strtol(render_text("{{random_int 1 6}}"), NULL, 10);
		cr_assert(v >= 1 && v <= 6, "out of range: %d", v);
		seen[v] = true;
	}
	for (int v = 1; v <= 6; v++)
		cr_expect(seen[v], "%d never drawn in 400 rolls", v);
	expect_text("{{random_int 5 5}}", "5");
	expect_text("{{ random_int -3 -3 }}", "-3");
	const char *big = render_text("{{random_int -9223372036854775808 9223372036854775807}}");
	cr_expect(re_matches("-?[0-9]+", big), "%s", big);
}

Test(render, seq)
{
	expect_text("#{{seq}}", "#7");
	struct tpl_error err;
	struct tpl *t = tpl_compile("{{ seq }}", 9, &err);
	cr_expect(tpl_uses_seq(t));
	tpl_destroy(t);
	t = tpl_compile("{{ now }}", 9, &err);
	cr_expect(!tpl_uses_seq(t));
	tpl_destroy(t);
}

/* ---- filters ---- */

Test(render, number_filter)
{
	expect_text("{{request.query.n | number}}", "42");
	expect_text("{{request.query.pad | number}}", "7");
	expect_text("{{request.query.zeros | number}}", "7");
	expect_text("{{request.query.plus | number}}", "5");
	expect_text("{{request.query.exp | number}}", "1e3");
	expect_text("[{{request.query.word | number}}]", "[]");
	expect_text("[{{request.query.nope | number}}]", "[]");
	expect_text("{{request.json.user.age | number}}", "36");
}

Test(render, json_filter)
{
	expect_text("{{request.query.q | json}}", "\"hello world\"");
	expect_text("{{request.query.quote | json}}", "\"say \\\"hi\\\"\\n\\\\\"");
	expect_text("{{request.query.nope | json}}", "null");
	expect_text("{{request.json.user.age | json}}", "36");
	expect_text("{{request.json.user.name | json}}", "\"Ada\"");
	expect_text("{{request.json.user.tags | json}}", "[\"x\",\"y\"]");
	expect_text("{{seq | json}}", "7");
}

Test(render, case_filters)
{
	expect_text("{{request.headers.x-mixed | upper}}", "MIXED");
	expect_text("{{request.headers.x-mixed | lower}}", "mixed");
	expect_text("{{request.query.q|upper}}", "HELLO WORLD");
}

Test(render, default_filter)
{
	expect_text("{{request.query.nope | default \"x\"}}", "x");
	expect_text("{{request.query.empty | default \"x\"}}", "x");
	expect_text("{{request.query.q | default \"x\"}}", "hello world");
	expect_text("{{request.query.nope | default 'single \"quoted\"'}}", "single \"quoted\"");
	expect_text("{{request.query.nope | default \"say \\\"hi\\\" }}\"}}", "say \"hi\" }}");
	expect_text("{{request.query.nope | default \"\"}}", "");
}

Test(render, filters_chain_left_to_right)
{
	expect_text("{{request.query.nope | default \"x\" | upper}}", "X");
	expect_text("{{request.query.nope | upper | default \"x\"}}", "x");
	expect_text("{{request.query.q | upper | lower}}", "hello world");
	expect_text("{{request.query.q | json | upper}}", "\"HELLO WORLD\"");
	expect_text("{{request.query.nope | default \"12\" | number}}", "12");
	expect_text("{{ request.query.q|default \"x\"|upper }}", "HELLO WORLD");
}

/* ---- JSON skeletons ---- */

Test(render, static_json_has_no_skeleton)
{
	cJSON *root = cJSON_Parse("{\"a\":[1,2,{\"b\":\"{ not }\"}]}");
	cr_expect_null(tpl_compile_json(root));
	cJSON_Delete(root);
	cr_expect_null(tpl_compile_json(NULL));
}

Test(render, json_strings_and_values)
{
	expect_json("{\"id\":\"{{request.params.id | number}}\",\"name\":\"Ada\"}", "{\"id\":42,\"name\":\"Ada\"}");
	expect_json("{\"id\":\"{{request.params.id}}\"}", "{\"id\":\"42\"}");
	expect_json("{\"user\":\"{{request.json.user | json}}\"}",
		    "{\"user\":{\"name\":\"Ada\",\"age\":36,\"tags\":[\"x\",\"y\"]}}");
	expect_json("[\"{{request.query.word | number}}\",\"{{request.query.nope | json}}\"]", "[null,null]");
	expect_json("[\"{{request.query.q | json}}\"]", "[\"hello world\"]");
	expect_json("[\"{{seq | number}}\",\"{{seq}}\"]", "[3,\"3\"]");
	/* only the last filter decides: upper makes text again */
	expect_json("[\"{{request.params.id | number | upper}}\"]", "[\"42\"]");
	/* more than one expression, or text around it: a string */
	expect_json("[\"{{request.params.id | number}}{{request.params.id | number}}\"]", "[\"4242\"]");
	expect_json("[\" {{request.params.id | number}}\"]", "[\" 42\"]");
}

Test(render, json_escaping)
{
	expect_json("{\"m\":\"<{{request.query.quote}}>\"}", "{\"m\":\"<say \\\"hi\\\"\\n\\\\>\"}");
	expect_json("{\"m\":\"{{request.query.bad}}\"}", "{\"m\":\"a\xEF\xBF\xBD" "b\"}");
	/* literal parts around a hole are escaped as cJSON escapes them */
	expect_json("{\"k\\\"ey\":\"tab\\there \\\"{{request.method}}\\\" \\u0001 é\"}",
		    "{\"k\\\"ey\":\"tab\\there \\\"POST\\\" \\u0001 é\"}");
}

Test(render, static_parts_match_cjson)
{
	/* render, then compare with cJSON's printing of the same document whose template
	 * string holds what the hole produced */
	const char *doc = "{\"a\":1.5,\"b\":[true,false,null,\"x\\n\"],\"c\":{},\"d\":[],\"t\":\"{{seq}}\",\"u\":\"\\u00e9\\b\\f\\u0001\"}";
	const char *got = render_json(doc);
	cJSON *root = cJSON_Parse(doc);
	cJSON_SetValuestring(cJSON_GetObjectItem(root, "t"), "3");
	char *want = cJSON_PrintUnformatted(root);
	cr_expect_str_eq(got, want);
	cJSON_free(want);
	cJSON_Delete(root);
	expect_json("[{\"deep\":[[[\"{{request.method}}\"]]]},1234567,-0.25,\"\\u00e9\\b\\f\"]",
		    "[{\"deep\":[[[\"POST\"]]]},1234567,-0.25,\"é\\b\\f\"]");
}

/* ---- compile errors ---- */

/* Arrays, not pointers: Criterion copies parameters into each test's own process. */
struct bad_tpl {
	char src[48];
	size_t offset;
	char msg[96];
};

ParameterizedTestParameters(render, compile_errors)
{
	static struct bad_tpl cases[] = {
		{ "x {{ request.path", 2, "unclosed '{{' in template (no matching '}}')" },
		{ "{{}}", 0, "empty template expression '{{}}'" },
		{ "a {{   }}", 2, "empty template expression '{{}}'" },
		{ "{{ x | uper }}", 7, "unknown filter 'uper' (did you mean 'upper'?)" },
		{ "{{ x | frobnicate }}", 7, "unknown filter 'frobnicate' (filters: number, json, upper, lower, default \"x\")" },
		{ "{{ x | }}", 7, "expected a filter name after '|'" },
		{ "{{ x || upper }}", 6, "expected a filter name after '|'" },
		{ "{{ | upper }}", 3, "expected a variable at the start of the expression, got '|'" },
		{ "{{ x | default }}", 7, "filter 'default' needs a quoted text, e.g. default \"x\"" },
		{ "{{ x | default y }}", 7, "filter 'default' needs a quoted text, e.g. default \"x\"" },
		{ "{{ x | default \"y }}", 15, "unterminated string in template expression (missing closing \")" },
		{ "{{ x | upper 1 }}", 13, "filter 'upper' takes no argument" },
		{ "{{ x y }}", 5, "unexpected 'y' in template expression (filters follow '|')" },
		{ "{{ uuid 4 }}", 8, "unexpected '4' in template expression (filters follow '|')" },
		{ "{{ random_int }}", 3, "'random_int' needs two integers: random_int MIN MAX" },
		{ "{{ random_int 1 }}", 14, "'random_int' needs two integers: random_int MIN MAX" },
		{ "{{ random_int a b }}", 14, "'random_int' needs two integers: random_int MIN MAX" },
		{ "{{ random_int 1 99999999999999999999 }}", 14, "'random_int' needs two integers: random_int MIN MAX" },
		{ "{{ random_int 9 1 }}", 14, "'random_int' MIN (9) is greater than MAX (1)" },
		{ "ok {{ x }} then {{ y | nope }}", 23, "unknown filter 'nope' (filters: number, json, upper, lower, default \"x\")" },
	};
	return cr_make_param_array(struct bad_tpl, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_tpl *c, render, compile_errors)
{
	struct tpl_error err;
	memset(&err, 0, sizeof(err));
	struct tpl *t = tpl_compile(c->src, strlen(c->src), &err);
	cr_assert_null(t, "'%s' should not compile", c->src);
	cr_expect_str_eq(err.msg, c->msg, "'%s'", c->src);
	cr_expect_eq(err.offset, c->offset, "'%s': offset %zu, want %zu", c->src, err.offset, c->offset);
}

Test(render, json_strings_that_do_not_compile_stay_literal)
{
	expect_json("[\"{{ x | nope }}\",\"{{seq}}\"]", "[\"{{ x | nope }}\",\"3\"]");
}

/* ---- the builder API (front-ends) ---- */

/* Renders a template built from parts; NULL spec fields mean text. */
static const char *render_built(struct tpl *t, int64_t now)
{
	struct render_ctx c = ctx_with(1);
	c.now_ms = now;
	struct strbuf sb = STRBUF_INIT;
	tpl_render(t, &c, &sb);
	tpl_destroy(t);
	return keep(strbuf_detach(&sb, NULL));
}

static const char *render_var(const struct tpl_var *v)
{
	struct tpl *t = tpl_create();
	tpl_add_text(t, "[", 1);
	tpl_add_var(t, v);
	tpl_add_text(t, "]", 1);
	return render_built(t, 1796653800123LL);
}

static void expect_var(const struct tpl_var *v, const char *want)
{
	const char *got = render_var(v);
	cr_expect_str_eq(got, want, "kind %d rendered '%s', want '%s'", (int)v->kind, got, want);
}

Test(render, builder_text_and_request_parts)
{
	struct tpl *t = tpl_create();
	tpl_add_text(t, "a", 1);
	tpl_add_text(t, "", 0);
	tpl_add_text(t, "b{{c}}", 6);       /* text is never parsed */
	cr_expect_str_eq(render_built(t, 0), "ab{{c}}");
	cr_expect_str_eq(render_built(tpl_create(), 0), "");

	view.target = "/api/users/42?q=hello+world";
	expect_var(&(struct tpl_var){ .kind = TPL_VAR_METHOD }, "[POST]");
	expect_var(&(struct tpl_var){ .kind = TPL_VAR_PATH }, "[/api/users/42]");
	expect_var(&(struct tpl_var){ .kind = TPL_VAR_URL }, "[/api/users/42?q=hello+world]");
	expect_var(&(struct tpl_var){ .kind = TPL_VAR_BODY }, "[" "{\"user\":{\"name\":\"Ada\",\"age\":36,\"tags\":[\"x\",\"y\"]},\"ok\":true}" "]");
	expect_var(&(struct tpl_var){ .kind = TPL_VAR_PARAM, .name = "rest" }, "[a/b/c]");
	expect_var(&(struct tpl_var){ .kind = TPL_VAR_COOKIE, .name = "session" }, "[s3cr3t]");
	expect_var(&(struct tpl_var){ .kind = TPL_VAR_HEADER, .name = "x-mixed" }, "[MiXeD]");
	view.target = NULL;
	expect_var(&(struct tpl_var){ .kind = TPL_VAR_URL }, "[/api/users/42]");
}

Test(render, builder_indexes)
{
	expect_var(&(struct tpl_var){ .kind = TPL_VAR_QUERY, .name = "tag" }, "[first]");
	expect_var(&(struct tpl_var){ .kind = TPL_VAR_QUERY, .name = "tag", .has_index = true, .index = 1 }, "[second]");
	expect_var(&(struct tpl_var){ .kind = TPL_VAR_QUERY, .name = "tag", .has_index = true, .index = 2 }, "[]");
	/* negative: WireMock's ListOrSingle.get, count-1+index */
	expect_var(&(struct tpl_var){ .kind = TPL_VAR_QUERY, .name = "tag", .has_index = true, .index = -1 }, "[first]");
	expect_var(&(struct tpl_var){ .kind = TPL_VAR_QUERY, .name = "tag", .has_index = true, .index = -2 }, "[]");
	expect_var(&(struct tpl_var){ .kind = TPL_VAR_HEADER, .name = "USER-AGENT", .has_index = true, .index = 0 },
		   "[test/1.0]");
	expect_var(&(struct tpl_var){ .kind = TPL_VAR_PATH_SEGMENT, .index = 0 }, "[api]");
	expect_var(&(struct tpl_var){ .kind = TPL_VAR_PATH_SEGMENT, .index = 2 }, "[42]");
	expect_var(&(struct tpl_var){ .kind = TPL_VAR_PATH_SEGMENT, .index = 3 }, "[]");
	expect_var(&(struct tpl_var){ .kind = TPL_VAR_PATH_SEGMENT, .index = -1 }, "[]");
	view.path = "//a///b/";
	expect_var(&(struct tpl_var){ .kind = TPL_VAR_PATH_SEGMENT, .index = 1 }, "[b]");
}

Test(render, builder_raw_path_with_params)
{
	view.target = "/p/4%202/x?q=1";
	view.path = "/p/4 2/x";
	struct tpl_var v = { .kind = TPL_VAR_PATH, .raw_if_params = true };
	expect_var(&v, "[/p/4%202/x]");                /* the fixture has captures */
	v.kind = TPL_VAR_PATH_SEGMENT;
	v.index = 1;
	expect_var(&v, "[4%202]");
	v.raw_if_params = false;
	expect_var(&v, "[4 2]");
	params.n = 0;
	v.raw_if_params = true;
	expect_var(&v, "[4 2]");
}

Test(render, builder_host_port_base_url)
{
	struct kv host[] = { { "Host", "example.com:8080", 16 } };
	view.headers = host;
	view.nheaders = 1;
	expect_var(&(struct tpl_var){ .kind = TPL_VAR_HOST }, "[example.com]");
	expect_var(&(struct tpl_var){ .kind = TPL_VAR_PORT }, "[8080]");
	expect_var(&(struct tpl_var){ .kind = TPL_VAR_BASE_URL }, "[http://example.com:8080]");
	host[0] = (struct kv){ "host", "example.com", 11 };
	expect_var(&(struct tpl_var){ .kind = TPL_VAR_PORT }, "[80]");
	expect_var(&(struct tpl_var){ .kind = TPL_VAR_BASE_URL }, "[http://example.com]");
	host[0] = (struct kv){ "Host", "[::1]:0080", 10 };
	expect_var(&(struct tpl_var){ .kind = TPL_VAR_HOST }, "[[::1]]");
	expect_var(&(struct tpl_var){ .kind = TPL_VAR_BASE_URL }, "[http://[::1]]");
	view.nheaders = 0;
	expect_var(&(struct tpl_var){ .kind = TPL_VAR_HOST }, "[]");
	expect_var(&(struct tpl_var){ .kind = TPL_VAR_BASE_URL }, "[]");
}

Test(render, builder_random)
{
	struct tpl_var v = { .kind = TPL_VAR_RANDOM, .random_length = 64, .random_chars = TPL_RANDOM_ALPHANUMERIC };
	cr_expect(re_matches("\\[[a-z0-9]{64}\\]", render_var(&v)));
	v.random_upper = true;
	cr_expect(re_matches("\\[[A-Z0-9]{64}\\]", render_var(&v)));
	v.random_chars = TPL_RANDOM_HEXADECIMAL;
	cr_expect(re_matches("\\[[A-F0-9]{64}\\]", render_var(&v)));
	v.random_chars = TPL_RANDOM_ASCII;
	cr_expect(re_matches("\\[[ -`{-~]{64}\\]", render_var(&v)));
	v.random_chars = TPL_RANDOM_UUID;
	cr_expect(re_matches("\\[[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}\\]", render_var(&v)));
	v.random_chars = TPL_RANDOM_NUMERIC;
	v.random_length = 0;
	expect_var(&v, "[]");
}

Test(render, builder_now)
{
	struct javadate_error err;
	struct tpl_var v = { .kind = TPL_VAR_NOW, .now_format = javadate_compile(NULL, NULL, &err) };
	expect_var(&v, "[2026-12-07T14:30:00Z]");
	v.now_format = javadate_compile("yyyy-MM-dd HH:mm:ss.SSS", "Europe/Paris", &err);
	v.now_offset = (struct javadate_offset){ -1, JAVADATE_MONTHS };
	expect_var(&v, "[2026-11-07 15:30:00.123]");
	/* one clock reading per request, as with now and now_ms */
	struct tpl *t = tpl_create();
	tpl_add_var(t, &(struct tpl_var){ .kind = TPL_VAR_NOW, .now_format = javadate_compile("epoch", NULL, &err) });
	tpl_add_text(t, " ", 1);
	tpl_add_var(t, &(struct tpl_var){ .kind = TPL_VAR_NOW, .now_format = javadate_compile("unix", NULL, &err) });
	const char *got = render_built(t, 0);
	cr_expect(re_matches("([0-9]{10})[0-9]{3} \\1", got), "%s", got);
}

Test(render, builder_json_path)
{
	struct tpl_var v = { .kind = TPL_VAR_JSON_PATH, .name = "user.name" };
	expect_var(&v, "[Ada]");
	v.name = "user.tags";
	expect_var(&v, "[[\"x\",\"y\"]]");
	v.name = "user";
	expect_var(&v, "[{\n  \"name\" : \"Ada\",\n  \"age\" : 36,\n  \"tags\" : [ \"x\", \"y\" ]\n}]");
	v.name = "user.tags.1";
	expect_var(&v, "[y]");
	v.name = "user.missing";
	expect_var(&v, "[]");
	v.json_default = "none";
	expect_var(&v, "[none]");
	view.body = NULL;
	view.body_len = 0;
	expect_var(&v, "[]");
}
