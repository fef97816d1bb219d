/* SPDX-License-Identifier: MIT */
/* Matchers, method/path/condition predicates and mismatch text, on stubs built by hand
 * (independent of the YAML loader). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "matcher.h"
#include "regex.h"
#include "stub.h"
#include "testutil.h"
#include "util/arena.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* ---- builders ----------------------------------------------------------------- */

static struct match_clause *add_clause(struct matcher *m, enum match_op op)
{
	return matcher_add_clause(m, op);
}

/* EQUALS, CONTAINS, PREFIX, SUFFIX; REGEX compiles with m->ignore_case (set it first). */
static void m_add(struct matcher *m, enum match_op op, const char *text)
{
	struct match_clause *c = add_clause(m, op);
	c->text = xstrdup(text);
	if (op == MATCH_REGEX) {
		char *err = NULL;
		size_t off = 0;
		c->re = regex_compile(text, m->ignore_case, &err, &off);
		cr_assert_not_null(c->re, "regex %s: %s", text, err ? err : "?");
	}
}

static void m_one_of(struct matcher *m, ...)
{
	struct match_clause *c = add_clause(m, MATCH_ONE_OF);
	va_list ap;
	va_start(ap, m);
	for (const char *s; (s = va_arg(ap, const char *));) {
		c->list = xrealloc(c->list, (c->nlist + 1) * sizeof(*c->list));
		c->list[c->nlist++] = xstrdup(s);
	}
	va_end(ap);
}

static void m_present(struct matcher *m, bool present)
{
	add_clause(m, MATCH_PRESENT)->present = present;
}

/* Returns the negated matcher for the caller to fill. */
static struct matcher *m_not(struct matcher *m)
{
	struct match_clause *c = add_clause(m, MATCH_NOT);
	c->inner = xcalloc(1, sizeof(*c->inner));
	return c->inner;
}

static bool test_str(const struct matcher *m, const char *v)
{
	return matcher_test(m, v, v ? strlen(v) : 0);
}

static struct stub *stub_new(void)
{
	struct stub *s = xcalloc(1, sizeof(*s));
	s->id = xstrdup("test#0");
	s->priority = 100;
	s->req.path_kind = PATH_NONE;
	return s;
}

static void stub_methods(struct stub *s, ...)
{
	va_list ap;
	va_start(ap, s);
	for (const char *m; (m = va_arg(ap, const char *));) {
		s->req.methods = xrealloc(s->req.methods, (s->req.nmethods + 1) * sizeof(char *));
		s->req.methods[s->req.nmethods++] = xstrdup(m);
	}
	va_end(ap);
}

static void stub_exact(struct stub *s, const char *path)
{
	s->req.path_kind = PATH_EXACT;
	s->req.path = xstrdup(path);
}

static struct matcher *named(struct named_matcher **v, uint32_t *n, const char *name)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	struct named_matcher *nm = &(*v)[(*n)++];
	memset(nm, 0, sizeof(*nm));
	nm->name = xstrdup(name);
	return &nm->m;
}

static struct matcher *stub_query(struct stub *s, const char *name)
{
	s->nconds++;
	return named(&s->req.query, &s->req.nquery, name);
}

static struct matcher *stub_header(struct stub *s, const char *name)
{
	s->nconds++;
	return named(&s->req.headers, &s->req.nheaders, name);
}

static struct matcher *stub_cookie(struct stub *s, const char *name)
{
	s->nconds++;
	return named(&s->req.cookies, &s->req.ncookies, name);
}

/* The stub's body condition, made on first use. */
static struct body_match *body_of(struct stub *s)
{
	if (!s->req.nbodies) {
		s->req.bodies = calloc(1, sizeof(*s->req.bodies));
		cr_assert_not_null(s->req.bodies);
		s->req.nbodies = 1;
	}
	return &s->req.bodies[0];
}

static void stub_body_json(struct stub *s, enum body_kind kind, const char *json)
{
	s->nconds++;
	body_of(s)->kind = kind;
	body_of(s)->json = cJSON_Parse(json);
	cr_assert_not_null(body_of(s)->json, "bad test json %s", json);
}

static struct matcher *stub_body_field(struct stub *s, enum body_kind kind, const char *name)
{
	if (body_of(s)->kind == BODY_NONE)
		s->nconds++;
	body_of(s)->kind = kind;
	return named(&body_of(s)->fields, &body_of(s)->nfields, name);
}

/* The single mismatch line of s against q (asserts there is exactly one). */
static void expect_one_mismatch(const struct stub *s, struct req *q, const char *want)
{
	struct mismatches why = { 0 };
	unsigned n = stub_explain(s, &q->v, &why);
	cr_assert_eq(n, 1, "expected 1 failure, got %u", n);
	cr_assert_eq(why.n, 1);
	cr_expect_str_eq(why.items[0], want);
	mismatches_release(&why);
}

/* expect_one_mismatch for a request with only a method and a path. */
static void expect_bare_mismatch(const struct stub *s, const char *method, const char *path, const char *want)
{
	struct req q;
	req_init(&q, method, path);
	expect_one_mismatch(s, &q, want);
	req_fini(&q);
}

/* expect_one_mismatch for a POST / with only a body. */
static void expect_body_mismatch(const struct stub *s, const char *body, const char *want)
{
	struct req q;
	req_init(&q, "POST", "/");
	req_body(&q, body);
	expect_one_mismatch(s, &q, want);
	req_fini(&q);
}

static void expect_describe(const struct matcher *m, const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	matcher_describe(m, &sb);
	cr_expect_str_eq(strbuf_str(&sb), want);
	strbuf_release(&sb);
}

/* ---- string operators --------------------------------------------------------- */

struct op_case {
	enum match_op op;
	char text[24];
	bool icase;
	bool absent;
	char value[24];
	bool want;
};

ParameterizedTestParameters(matcher, ops)
{
	static struct op_case cases[] = {
		{ MATCH_EQUALS, "abc", false, false, "abc", true },
		{ MATCH_EQUALS, "abc", false, false, "ABC", false },
		{ MATCH_EQUALS, "abc", true, false, "ABC", true },
		{ MATCH_EQUALS, "abc", false, false, "abcd", false },
		{ MATCH_EQUALS, "", false, false, "", true },
		{ MATCH_EQUALS, "abc", false, true, "", false },
		{ MATCH_EQUALS, "", false, true, "", false },
		{ MATCH_CONTAINS, "ell", false, false, "hello", true },
		{ MATCH_CONTAINS, "ELL", false, false, "hello", false },
		{ MATCH_CONTAINS, "ELL", true, false, "hello", true },
		{ MATCH_CONTAINS, "", false, false, "x", true },
		{ MATCH_CONTAINS, "hello!", false, false, "hello", false },
		{ MATCH_CONTAINS, "ell", false, true, "", false },
		{ MATCH_PREFIX, "Bearer ", false, false, "Bearer abc", true },
		{ MATCH_PREFIX, "Bearer ", false, false, "bearer abc", false },
		{ MATCH_PREFIX, "Bearer ", true, false, "bEARER abc", true },
		{ MATCH_PREFIX, "Bearer ", false, false, "Bear", false },
		{ MATCH_PREFIX, "Bearer ", false, true, "", false },
		{ MATCH_SUFFIX, ".json", false, false, "a.json", true },
		{ MATCH_SUFFIX, ".json", false, false, "a.JSON", false },
		{ MATCH_SUFFIX, ".json", true, false, "a.JSON", true },
		{ MATCH_SUFFIX, ".json", false, false, "json", false },
		{ MATCH_SUFFIX, ".json", false, true, "", false },
		{ MATCH_REGEX, "[0-9]+", false, false, "123", true },
		{ MATCH_REGEX, "[0-9]+", false, false, "12a", false },
		{ MATCH_REGEX, "[0-9]+", false, false, "a12", false },
		{ MATCH_REGEX, "^[0-9]+$", false, false, "42", true },
		{ MATCH_REGEX, "ab|cd", false, false, "abcd", false },
		{ MATCH_REGEX, "ab|cd", false, false, "cd", true },
		{ MATCH_REGEX, "abc", false, false, "ABC", false },
		{ MATCH_REGEX, "abc", true, false, "ABC", true },
		{ MATCH_REGEX, ".*", false, true, "", false },
	};
	return cr_make_param_array(struct op_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct op_case *c, matcher, ops)
{
	struct matcher m = { 0 };
	m.ignore_case = c->icase;
	m_add(&m, c->op, c->text);
	const char *v = c->absent ? NULL : c->value;
	cr_expect_eq(test_str(&m, v), c->want, "op %d %s%s on %s%s%s", c->op, c->text, c->icase ? " (icase)" : "",
		     v ? "\"" : "", v ? v : "nothing", v ? "\"" : "");
	matcher_release(&m);
}

Test(matcher, one_of)
{
	struct matcher m = { 0 };
	m_one_of(&m, "red", "green", (const char *)NULL);
	cr_expect(test_str(&m, "red"));
	cr_expect(test_str(&m, "green"));
	cr_expect_not(test_str(&m, "GREEN"));
	cr_expect_not(test_str(&m, "blue"));
	cr_expect_not(test_str(&m, "re"));
	cr_expect_not(test_str(&m, NULL));
	m.ignore_case = true;
	cr_expect(test_str(&m, "GREEN"));
	cr_expect_not(test_str(&m, NULL));
	matcher_release(&m);
}

Test(matcher, present)
{
	struct matcher yes = { 0 }, no = { 0 };
	m_present(&yes, true);
	m_present(&no, false);
	cr_expect(test_str(&yes, "x"));
	cr_expect(test_str(&yes, ""));
	cr_expect_not(test_str(&yes, NULL));
	cr_expect_not(test_str(&no, "x"));
	cr_expect_not(test_str(&no, ""));
	cr_expect(test_str(&no, NULL));
	matcher_release(&yes);
	matcher_release(&no);
}

Test(matcher, not_and_nested_not)
{
	struct matcher m = { 0 };
	m_add(m_not(&m), MATCH_EQUALS, "x");
	cr_expect_not(test_str(&m, "x"));
	cr_expect(test_str(&m, "y"));
	/* equals fails on absence, so its negation holds */
	cr_expect(test_str(&m, NULL));
	matcher_release(&m);

	struct matcher nn = { 0 };
	m_add(m_not(m_not(&nn)), MATCH_PREFIX, "ab");
	cr_expect(test_str(&nn, "abc"));
	cr_expect_not(test_str(&nn, "xbc"));
	cr_expect_not(test_str(&nn, NULL));
	matcher_release(&nn);

	struct matcher np = { 0 };
	m_present(m_not(&np), true);
	cr_expect(test_str(&np, NULL));
	cr_expect_not(test_str(&np, "v"));
	matcher_release(&np);
}

Test(matcher, not_with_ignore_case)
{
	struct matcher m = { 0 };
	struct matcher *in = m_not(&m);
	in->ignore_case = true;
	m_add(in, MATCH_EQUALS, "yes");
	cr_expect_not(test_str(&m, "YES"));
	cr_expect(test_str(&m, "no"));
	matcher_release(&m);
}

Test(matcher, all_clauses_must_hold)
{
	struct matcher m = { 0 };
	m_add(&m, MATCH_PREFIX, "a");
	m_add(&m, MATCH_SUFFIX, "z");
	m_add(m_not(&m), MATCH_CONTAINS, "q");
	cr_expect(test_str(&m, "abz"));
	cr_expect_not(test_str(&m, "abq"));
	cr_expect_not(test_str(&m, "aqz"));
	cr_expect_not(test_str(&m, "bz"));
	matcher_release(&m);

	struct matcher empty = { 0 };
	cr_expect(test_str(&empty, "anything"));
	cr_expect(test_str(&empty, NULL));
}

Test(matcher, embedded_nul_uses_length)
{
	struct matcher m = { 0 };
	m_add(&m, MATCH_EQUALS, "a");
	cr_expect_not(matcher_test(&m, "a\0b", 3));
	cr_expect(matcher_test(&m, "a\0b", 1));
	matcher_release(&m);
}

/* ---- named parts -------------------------------------------------------------- */

Test(conditions, repeated_query_any_value)
{
	struct stub *s = stub_new();
	m_add(stub_query(s, "tag"), MATCH_EQUALS, "b");
	struct req q;
	req_init(&q, "GET", "/");
	req_query(&q, "tag", "a");
	req_query(&q, "tag", "b");
	cr_expect(stub_conditions_ok(s, &q.v));
	q.query[1].value = "c";
	q.query[1].len = 1;
	cr_expect_not(stub_conditions_ok(s, &q.v));
	req_fini(&q);
	stub_destroy(s);
}

Test(conditions, absent_name_tested_once_as_null)
{
	struct stub *s = stub_new();
	m_present(stub_query(s, "debug"), false);
	struct req q;
	req_init(&q, "GET", "/");
	req_query(&q, "other", "1");
	cr_expect(stub_conditions_ok(s, &q.v));
	req_query(&q, "debug", "");
	cr_expect_not(stub_conditions_ok(s, &q.v));
	req_fini(&q);
	stub_destroy(s);
}

Test(conditions, query_and_cookie_names_exact)
{
	struct stub *s = stub_new();
	m_add(stub_query(s, "Page"), MATCH_EQUALS, "2");
	struct req q;
	req_init(&q, "GET", "/");
	req_query(&q, "page", "2");
	cr_expect_not(stub_conditions_ok(s, &q.v));
	req_query(&q, "Page", "2");
	cr_expect(stub_conditions_ok(s, &q.v));
	req_fini(&q);
	stub_destroy(s);

	s = stub_new();
	m_add(stub_cookie(s, "sid"), MATCH_PREFIX, "s-");
	req_init(&q, "GET", "/");
	req_cookie(&q, "SID", "s-1");
	cr_expect_not(stub_conditions_ok(s, &q.v));
	req_cookie(&q, "sid", "s-1");
	cr_expect(stub_conditions_ok(s, &q.v));
	req_fini(&q);
	stub_destroy(s);
}

Test(conditions, header_names_case_insensitive_values_any)
{
	struct stub *s = stub_new();
	m_add(stub_header(s, "x-api-key"), MATCH_EQUALS, "k2");
	struct req q;
	req_init(&q, "GET", "/");
	req_header(&q, "X-Api-Key", "k1");
	cr_expect_not(stub_conditions_ok(s, &q.v));
	req_header(&q, "X-API-KEY", "k2");
	cr_expect(stub_conditions_ok(s, &q.v));
	req_fini(&q);
	stub_destroy(s);
}

Test(conditions, every_condition_must_hold)
{
	struct stub *s = stub_new();
	m_add(stub_query(s, "a"), MATCH_EQUALS, "1");
	m_add(stub_header(s, "h"), MATCH_EQUALS, "2");
	m_add(stub_cookie(s, "c"), MATCH_EQUALS, "3");
	struct req q;
	req_init(&q, "GET", "/");
	req_query(&q, "a", "1");
	req_header(&q, "H", "2");
	cr_expect_not(stub_conditions_ok(s, &q.v));
	req_cookie(&q, "c", "3");
	cr_expect(stub_conditions_ok(s, &q.v));
	req_fini(&q);
	stub_destroy(s);
}

/* ---- body --------------------------------------------------------------------- */

static bool body_matches(struct stub *s, const char *body)
{
	struct req q;
	req_init(&q, "POST", "/");
	req_header(&q, "Content-Type", "application/json");
	if (body)
		req_body(&q, body);
	bool ok = stub_conditions_ok(s, &q.v);
	req_fini(&q);
	return ok;
}

Test(body, raw)
{
	struct stub *s = stub_new();
	body_of(s)->kind = BODY_RAW;
	m_add(&body_of(s)->raw, MATCH_CONTAINS, "hello");
	cr_expect(body_matches(s, "say hello"));
	cr_expect_not(body_matches(s, "bye"));
	cr_expect_not(body_matches(s, NULL));
	stub_destroy(s);

	/* an empty body is "", present */
	s = stub_new();
	body_of(s)->kind = BODY_RAW;
	m_present(&body_of(s)->raw, false);
	cr_expect_not(body_matches(s, NULL));
	cr_expect_not(body_matches(s, ""));
	stub_destroy(s);

	s = stub_new();
	body_of(s)->kind = BODY_RAW;
	m_add(&body_of(s)->raw, MATCH_EQUALS, "");
	cr_expect(body_matches(s, NULL));
	cr_expect_not(body_matches(s, "x"));
	stub_destroy(s);
}

Test(body, json_equal)
{
	struct stub *s = stub_new();
	stub_body_json(s, BODY_JSON, "{\"a\":1,\"b\":{\"c\":[1,2,\"x\"],\"d\":null},\"e\":true}");
	cr_expect(body_matches(s, "{\"a\":1,\"b\":{\"c\":[1,2,\"x\"],\"d\":null},\"e\":true}"));
	/* key order ignored, numbers by value, whitespace free */
	cr_expect(body_matches(s, " { \"e\" : true, \"b\":{\"d\":null,\"c\":[1.0,2e0,\"x\"]}, \"a\":1.0 }\n"));
	/* arrays are ordered */
	cr_expect_not(body_matches(s, "{\"a\":1,\"b\":{\"c\":[2,1,\"x\"],\"d\":null},\"e\":true}"));
	/* type mismatch */
	cr_expect_not(body_matches(s, "{\"a\":\"1\",\"b\":{\"c\":[1,2,\"x\"],\"d\":null},\"e\":true}"));
	cr_expect_not(body_matches(s, "{\"a\":1,\"b\":{\"c\":[1,2,\"x\"],\"d\":false},\"e\":true}"));
	cr_expect_not(body_matches(s, "{\"a\":1,\"b\":{\"c\":[1,2,\"x\"],\"d\":null},\"e\":1}"));
	/* extra and missing keys */
	cr_expect_not(body_matches(s, "{\"a\":1,\"b\":{\"c\":[1,2,\"x\"],\"d\":null},\"e\":true,\"f\":0}"));
	cr_expect_not(body_matches(s, "{\"a\":1,\"b\":{\"c\":[1,2,\"x\"]},\"e\":true}"));
	/* not JSON at all, or trailing garbage */
	cr_expect_not(body_matches(s, NULL));
	cr_expect_not(body_matches(s, "nope"));
	cr_expect_not(body_matches(s, "{\"a\":1,\"b\":{\"c\":[1,2,\"x\"],\"d\":null},\"e\":true} x"));
	stub_destroy(s);

	s = stub_new();
	stub_body_json(s, BODY_JSON, "[1,2,3]");
	cr_expect(body_matches(s, "[1, 2, 3]"));
	cr_expect_not(body_matches(s, "[1,2]"));
	cr_expect_not(body_matches(s, "[1,2,3,4]"));
	cr_expect_not(body_matches(s, "{\"0\":1}"));
	stub_destroy(s);
}

Test(body, json_parsed_once_and_cached)
{
	struct stub *s = stub_new();
	stub_body_json(s, BODY_JSON, "{\"a\":1}");
	struct req q;
	req_init(&q, "POST", "/");
	req_body(&q, "{\"a\":1}");
	cr_expect(stub_conditions_ok(s, &q.v));
	cr_expect_eq(q.v.json_state, 1);
	const cJSON *first = q.v.json;
	cr_expect(stub_conditions_ok(s, &q.v));
	cr_expect_eq(q.v.json, first);
	req_fini(&q);
	req_init(&q, "POST", "/");
	req_body(&q, "{");
	cr_expect_not(stub_conditions_ok(s, &q.v));
	cr_expect_eq(q.v.json_state, -1);
	req_fini(&q);
	stub_destroy(s);
}

Test(body, json_partial)
{
	struct stub *s = stub_new();
	stub_body_json(s, BODY_JSON_PARTIAL, "{\"user\":{\"name\":\"Ada\"},\"items\":[{\"id\":1},{\"id\":2}]}");
	cr_expect(body_matches(s, "{\"user\":{\"name\":\"Ada\",\"age\":36},\"x\":0,"
				  "\"items\":[{\"id\":1,\"q\":5},{\"id\":2.0}]}"));
	/* nested key missing */
	cr_expect_not(body_matches(s, "{\"user\":{\"age\":36},\"items\":[{\"id\":1},{\"id\":2}]}"));
	/* arrays: same length, element by element */
	cr_expect_not(body_matches(s, "{\"user\":{\"name\":\"Ada\"},\"items\":[{\"id\":1}]}"));
	cr_expect_not(body_matches(s, "{\"user\":{\"name\":\"Ada\"},\"items\":[{\"id\":1},{\"id\":2},{\"id\":3}]}"));
	cr_expect_not(body_matches(s, "{\"user\":{\"name\":\"Ada\"},\"items\":[{\"id\":2},{\"id\":1}]}"));
	/* scalar type mismatch */
	cr_expect_not(body_matches(s, "{\"user\":{\"name\":\"Ada\"},\"items\":[{\"id\":\"1\"},{\"id\":2}]}"));
	cr_expect_not(body_matches(s, "{\"user\":\"Ada\",\"items\":[{\"id\":1},{\"id\":2}]}"));
	cr_expect_not(body_matches(s, "not json"));
	stub_destroy(s);

	s = stub_new();
	stub_body_json(s, BODY_JSON_PARTIAL, "{}");
	cr_expect(body_matches(s, "{\"anything\":[1]}"));
	cr_expect_not(body_matches(s, "[]"));
	stub_destroy(s);
}

struct path_case {
	char path[24];
	char body[80];
	bool absent;
	char want[40];
};

ParameterizedTestParameters(body, json_path_text)
{
	static struct path_case cases[] = {
		{ "user.name", "{\"user\":{\"name\":\"Ada\"}}", false, "Ada" },
		{ "n", "{\"n\":42}", false, "42" },
		{ "n", "{\"n\":1.5}", false, "1.5" },
		{ "n", "{\"n\":1.0}", false, "1" },
		{ "n", "{\"n\":-3e2}", false, "-300" },
		{ "t", "{\"t\":true}", false, "true" },
		{ "f", "{\"f\":false}", false, "false" },
		{ "z", "{\"z\":null}", false, "null" },
		{ "o", "{\"o\":{ \"a\" : [1, \"x\"] }}", false, "{\"a\":[1,\"x\"]}" },
		{ "a", "{\"a\":[ 1 , 2 ]}", false, "[1,2]" },
		{ "items.0.id", "{\"items\":[{\"id\":7},{\"id\":8}]}", false, "7" },
		{ "items.1.id", "{\"items\":[{\"id\":7},{\"id\":8}]}", false, "8" },
		{ "items.2.id", "{\"items\":[{\"id\":7},{\"id\":8}]}", true, "" },
		{ "items.x", "{\"items\":[1]}", true, "" },
		{ "0", "[\"first\"]", false, "first" },
		{ "user.name", "{\"user\":{\"nick\":\"A\"}}", true, "" },
		{ "user.name.x", "{\"user\":{\"name\":\"Ada\"}}", true, "" },
		{ "s", "{\"s\":\"\"}", false, "" },
		{ "a", "not json", true, "" },
	};
	return cr_make_param_array(struct path_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct path_case *c, body, json_path_text)
{
	struct stub *s = stub_new();
	if (c->absent)
		m_present(stub_body_field(s, BODY_JSON_PATH, c->path), false);
	else
		m_add(stub_body_field(s, BODY_JSON_PATH, c->path), MATCH_EQUALS, c->want);
	cr_expect(body_matches(s, c->body), "%s in %s", c->path, c->body);
	stub_destroy(s);

	/* the opposite matcher fails */
	s = stub_new();
	if (c->absent)
		m_present(stub_body_field(s, BODY_JSON_PATH, c->path), true);
	else
		m_add(m_not(stub_body_field(s, BODY_JSON_PATH, c->path)), MATCH_EQUALS, c->want);
	cr_expect_not(body_matches(s, c->body), "%s in %s (negated)", c->path, c->body);
	stub_destroy(s);
}

Test(body, json_path_all_fields)
{
	struct stub *s = stub_new();
	m_add(stub_body_field(s, BODY_JSON_PATH, "a"), MATCH_REGEX, "[0-9]+");
	m_add(stub_body_field(s, BODY_JSON_PATH, "b"), MATCH_PREFIX, "x");
	cr_expect_eq(s->nconds, 1);
	cr_expect(body_matches(s, "{\"a\":12,\"b\":\"xy\"}"));
	cr_expect_not(body_matches(s, "{\"a\":12,\"b\":\"yy\"}"));
	cr_expect_not(body_matches(s, "{\"a\":\"z\",\"b\":\"xy\"}"));
	stub_destroy(s);
}

static bool form_matches(struct stub *s, const char *ctype, const char *body)
{
	struct req q;
	req_init(&q, "POST", "/");
	if (ctype)
		req_header(&q, "Content-Type", ctype);
	req_body(&q, body);
	bool ok = stub_conditions_ok(s, &q.v);
	req_fini(&q);
	return ok;
}

Test(body, form)
{
	struct stub *s = stub_new();
	m_add(stub_body_field(s, BODY_FORM, "name"), MATCH_EQUALS, "Ada Lovelace");
	m_add(stub_body_field(s, BODY_FORM, "a&b"), MATCH_EQUALS, "1=2%");
	const char *body = "x=1&name=Ada+Lovelace&a%26b=1%3D2%25";
	cr_expect(form_matches(s, "application/x-www-form-urlencoded", body));
	cr_expect(form_matches(s, "Application/X-WWW-Form-Urlencoded; charset=utf-8", body));
	/* without the content type every field is absent */
	cr_expect_not(form_matches(s, NULL, body));
	cr_expect_not(form_matches(s, "text/plain", body));
	cr_expect_not(form_matches(s, "application/x-www-form-urlencoded", "name=Ada"));
	stub_destroy(s);

	s = stub_new();
	m_present(stub_body_field(s, BODY_FORM, "name"), false);
	cr_expect(form_matches(s, "text/plain", "name=x"));
	cr_expect_not(form_matches(s, "application/x-www-form-urlencoded", "name"));
	cr_expect(form_matches(s, "application/x-www-form-urlencoded", "&&other=1&"));
	stub_destroy(s);
}

Test(body, form_repeated_and_bad_escapes)
{
	struct stub *s = stub_new();
	m_add(stub_body_field(s, BODY_FORM, "t"), MATCH_EQUALS, "100%z");
	cr_expect(form_matches(s, "application/x-www-form-urlencoded", "t=a&t=100%z&t=%4"));
	stub_destroy(s);

	s = stub_new();
	m_add(stub_body_field(s, BODY_FORM, "t"), MATCH_EQUALS, "%4");
	cr_expect(form_matches(s, "application/x-www-form-urlencoded", "t=a&t=%4"));
	stub_destroy(s);

	s = stub_new();
	m_add(stub_body_field(s, BODY_FORM, "e"), MATCH_EQUALS, "");
	cr_expect(form_matches(s, "application/x-www-form-urlencoded", "e"));
	cr_expect(form_matches(s, "application/x-www-form-urlencoded", "e="));
	stub_destroy(s);
}

/* ---- method and path ---------------------------------------------------------- */

Test(method, ok)
{
	struct stub *s = stub_new();
	cr_expect(stub_method_ok(s, "PATCH"));
	stub_methods(s, "GET", "POST", (const char *)NULL);
	cr_expect(stub_method_ok(s, "GET"));
	cr_expect(stub_method_ok(s, "post"));
	cr_expect_not(stub_method_ok(s, "DELETE"));
	cr_expect_not(stub_method_ok(s, "GE"));
	stub_destroy(s);

	s = stub_new();
	stub_methods(s, "ANY", (const char *)NULL);
	cr_expect(stub_method_ok(s, "PURGE"));
	stub_destroy(s);
}

static bool path_ok(struct stub *s, const char *path, struct params *p, struct req *q)
{
	req_init(q, "GET", path);
	return stub_path_ok(s, &q->v, p);
}

/* Whether s accepts a GET of path; with captures, asking for the path parameters too. */
static bool path_matches(struct stub *s, const char *path, bool captures)
{
	struct req q;
	struct params p;
	bool ok = path_ok(s, path, captures ? &p : NULL, &q);
	req_fini(&q);
	return ok;
}

Test(path, exact)
{
	struct stub *s = stub_new();
	stub_exact(s, "/api/users");
	struct req q;
	struct params p;
	cr_expect(path_ok(s, "/api/users", &p, &q));
	cr_expect_eq(p.n, 0);
	req_fini(&q);
	cr_expect_not(path_matches(s, "/api/users/", false));
	cr_expect_not(path_matches(s, "/api/Users", false));
	stub_destroy(s);

	s = stub_new();
	cr_expect(path_matches(s, "/whatever", false));
	stub_destroy(s);
}

Test(path, template_params)
{
	struct stub *s = stub_new();
	set_path_template(s, "/api/users/{id}/posts/{post}");
	struct req q;
	struct params p;
	cr_assert(path_ok(s, "/api/users/42/posts/hello%20x", &p, &q));
	cr_assert_eq(p.n, 2);
	cr_expect_str_eq(p.items[0].name, "id");
	cr_expect_str_eq(p.items[0].value, "42");
	cr_expect_eq(p.items[0].len, 2);
	cr_expect_str_eq(p.items[1].name, "post");
	cr_expect_str_eq(p.items[1].value, "hello%20x");
	req_fini(&q);
	cr_expect_not(path_matches(s, "/api/users/42/post/1", true));
	cr_expect_not(path_matches(s, "/api/users/42/posts", true));
	cr_expect_not(path_matches(s, "/api/users/42/posts/1/x", true));
	cr_expect_not(path_matches(s, "api/users/42/posts/1", true));
	stub_destroy(s);
}

Test(path, template_trailing_slash_and_empty_segment)
{
	struct stub *s = stub_new();
	set_path_template(s, "/users/{id}");
	/* "/users/" is "users", "": an empty segment is not a value */
	cr_expect_not(path_matches(s, "/users/", false));
	cr_expect_not(path_matches(s, "/users/1/", false));
	cr_expect_not(path_matches(s, "/users//", false));
	cr_expect_not(path_matches(s, "/users", false));
	cr_expect(path_matches(s, "/users/1", false));
	stub_destroy(s);

	s = stub_new();
	set_path_template(s, "/users/{id}/");
	cr_expect(path_matches(s, "/users/1/", false));
	cr_expect_not(path_matches(s, "/users/1", false));
	stub_destroy(s);

	s = stub_new();
	set_path_template(s, "/{a}/{b}");
	cr_expect_not(path_matches(s, "//x", false));
	cr_expect(path_matches(s, "/x/y", false));
	stub_destroy(s);
}

Test(path, template_rest)
{
	struct stub *s = stub_new();
	set_path_template(s, "/files/{kind}/{path*}");
	struct req q;
	struct params p;
	cr_assert(path_ok(s, "/files/img/a/b/c.png", &p, &q));
	cr_assert_eq(p.n, 2);
	cr_expect_str_eq(p.items[0].value, "img");
	cr_expect_str_eq(p.items[1].name, "path");
	cr_expect_str_eq(p.items[1].value, "a/b/c.png");
	req_fini(&q);
	cr_assert(path_ok(s, "/files/img/a/", &p, &q));
	cr_expect_str_eq(p.items[1].value, "a/");
	req_fini(&q);
	cr_assert(path_ok(s, "/files/img//x", &p, &q));
	cr_expect_str_eq(p.items[1].value, "/x");
	req_fini(&q);
	/* the rest needs at least one byte */
	cr_expect_not(path_matches(s, "/files/img/", true));
	cr_expect_not(path_matches(s, "/files/img", true));
	stub_destroy(s);
}

Test(path, regex_named_groups)
{
	struct stub *s = stub_new();
	set_path_regex(s, "/orders/(?<id>[0-9]+)(/(?<part>[a-z]+))?");
	struct req q;
	struct params p;
	cr_assert(path_ok(s, "/orders/12/lines", &p, &q));
	cr_assert_eq(p.n, 2);
	cr_expect_str_eq(p.items[0].name, "id");
	cr_expect_str_eq(p.items[0].value, "12");
	cr_expect_str_eq(p.items[1].name, "part");
	cr_expect_str_eq(p.items[1].value, "lines");
	req_fini(&q);
	cr_assert(path_ok(s, "/orders/12", &p, &q));
	cr_assert_eq(p.n, 1);
	cr_expect_str_eq(p.items[0].value, "12");
	req_fini(&q);
	/* whole-path match */
	cr_expect_not(path_matches(s, "/orders/12x", true));
	cr_expect_not(path_matches(s, "/x/orders/12", false));
	stub_destroy(s);
}

/* ---- descriptions and mismatch text ------------------------------------------- */

Test(describe, styles)
{
	struct matcher m = { 0 };
	m_add(&m, MATCH_EQUALS, "GET");
	expect_describe(&m, "\"GET\"");
	m_add(&m, MATCH_CONTAINS, "E");
	expect_describe(&m, "equals \"GET\" and contains \"E\"");
	matcher_release(&m);

	m_add(&m, MATCH_PREFIX, "Bearer ");
	expect_describe(&m, "prefix \"Bearer \"");
	matcher_release(&m);
	m_add(&m, MATCH_SUFFIX, "\"q\"\n");
	expect_describe(&m, "suffix \"\\\"q\\\"\\n\"");
	matcher_release(&m);
	m_add(&m, MATCH_REGEX, "[0-9]+");
	expect_describe(&m, "regex \"[0-9]+\"");
	matcher_release(&m);
	m_one_of(&m, "a", "b", (const char *)NULL);
	expect_describe(&m, "one of [\"a\", \"b\"]");
	matcher_release(&m);
	m_present(&m, true);
	expect_describe(&m, "present");
	matcher_release(&m);
	m_present(&m, false);
	expect_describe(&m, "absent");
	matcher_release(&m);
	m_add(m_not(&m), MATCH_EQUALS, "x");
	expect_describe(&m, "not equals \"x\"");
	matcher_release(&m);
	struct matcher *in = m_not(&m);
	m_add(in, MATCH_PREFIX, "a");
	m_add(in, MATCH_SUFFIX, "b");
	expect_describe(&m, "not (prefix \"a\" and suffix \"b\")");
	matcher_release(&m);
	m.ignore_case = true;
	m_add(&m, MATCH_EQUALS, "abc");
	expect_describe(&m, "\"abc\" (ignore case)");
	matcher_release(&m);
	m.ignore_case = true;
	m_present(&m, true);
	expect_describe(&m, "present");
	matcher_release(&m);
	expect_describe(&m, "anything");
}

Test(mismatch, method)
{
	struct stub *s = stub_new();
	stub_methods(s, "GET", (const char *)NULL);
	struct req q;
	req_init(&q, "POST", "/");
	expect_one_mismatch(s, &q, "method: expected \"GET\", got \"POST\"");
	stub_methods(s, "POST", (const char *)NULL);
	req_fini(&q);
	expect_bare_mismatch(s, "DELETE", "/", "method: expected one of [\"GET\", \"POST\"], got \"DELETE\"");
	stub_destroy(s);
}

Test(mismatch, path)
{
	struct stub *s = stub_new();
	set_path_template(s, "/api/users/{id}");
	expect_bare_mismatch(s, "GET", "/api/orders", "path: expected \"/api/users/{id}\", got \"/api/orders\"");
	stub_destroy(s);

	s = stub_new();
	stub_exact(s, "/a");
	expect_bare_mismatch(s, "GET", "/b", "path: expected \"/a\", got \"/b\"");
	stub_destroy(s);

	s = stub_new();
	set_path_regex(s, "/o/[0-9]+");
	expect_bare_mismatch(s, "GET", "/o/x", "path: expected regex \"/o/[0-9]+\", got \"/o/x\"");
	stub_destroy(s);
}

Test(mismatch, query)
{
	struct stub *s = stub_new();
	m_add(stub_query(s, "page"), MATCH_REGEX, "[0-9]+");
	struct req q;
	req_init(&q, "GET", "/");
	req_query(&q, "page", "abc");
	expect_one_mismatch(s, &q, "query page: expected regex \"[0-9]+\", got \"abc\"");
	req_fini(&q);
	req_init(&q, "GET", "/");
	req_query(&q, "page", "a");
	req_query(&q, "x", "1");
	req_query(&q, "page", "b");
	expect_one_mismatch(s, &q, "query page: expected regex \"[0-9]+\", got \"a\", \"b\"");
	req_fini(&q);
	stub_destroy(s);
}

Test(mismatch, header)
{
	struct stub *s = stub_new();
	m_add(stub_header(s, "Authorization"), MATCH_PREFIX, "Bearer ");
	struct req q;
	req_init(&q, "GET", "/");
	expect_one_mismatch(s, &q, "header authorization: expected prefix \"Bearer \", got nothing");
	req_header(&q, "AUTHORIZATION", "Basic x");
	expect_one_mismatch(s, &q, "header authorization: expected prefix \"Bearer \", got \"Basic x\"");
	req_fini(&q);
	stub_destroy(s);

	s = stub_new();
	m_present(stub_header(s, "x-debug"), false);
	req_init(&q, "GET", "/");
	req_header(&q, "X-Debug", "1");
	expect_one_mismatch(s, &q, "header x-debug: expected absent, got \"1\"");
	req_fini(&q);
	stub_destroy(s);
}

Test(mismatch, cookie)
{
	struct stub *s = stub_new();
	m_add(stub_cookie(s, "session"), MATCH_EQUALS, "abc");
	struct req q;
	req_init(&q, "GET", "/");
	req_cookie(&q, "session", "xyz");
	expect_one_mismatch(s, &q, "cookie session: expected \"abc\", got \"xyz\"");
	req_fini(&q);
	stub_destroy(s);
}

Test(mismatch, body_raw_and_json)
{
	struct stub *s = stub_new();
	body_of(s)->kind = BODY_RAW;
	m_add(&body_of(s)->raw, MATCH_CONTAINS, "hi");
	expect_body_mismatch(s, "bye", "body: expected contains \"hi\", got \"bye\"");
	expect_bare_mismatch(s, "POST", "/", "body: expected contains \"hi\", got \"\"");
	stub_destroy(s);

	s = stub_new();
	stub_body_json(s, BODY_JSON, "{ \"a\" : 1 }");
	expect_body_mismatch(s, "{\"a\":2}", "body: expected json {\"a\":1}, got \"{\\\"a\\\":2}\"");
	stub_destroy(s);

	s = stub_new();
	stub_body_json(s, BODY_JSON_PARTIAL, "{\"a\":[1]}");
	expect_body_mismatch(s, "{\"a\":[]}", "body: expected json_partial {\"a\":[1]}, got \"{\\\"a\\\":[]}\"");
	stub_destroy(s);
}

Test(mismatch, body_got_truncated)
{
	struct stub *s = stub_new();
	body_of(s)->kind = BODY_RAW;
	m_add(&body_of(s)->raw, MATCH_EQUALS, "x");
	char body[201];
	memset(body, 'a', 200);
	body[200] = '\0';
	/* a two-byte character straddling the cut is left out whole */
	body[79] = '\xC3';
	body[80] = '\xA9';
	struct req q;
	req_init(&q, "POST", "/");
	req_body(&q, body);
	char want[160];
	char as[80];
	memset(as, 'a', 79);
	as[79] = '\0';
	snprintf(want, sizeof(want), "body: expected \"x\", got \"%s...\"", as);
	expect_one_mismatch(s, &q, want);
	req_fini(&q);
	stub_destroy(s);
}

Test(mismatch, invalid_utf8_replaced)
{
	struct stub *s = stub_new();
	m_add(stub_header(s, "h"), MATCH_EQUALS, "x");
	struct req q;
	req_init(&q, "GET", "/");
	req_header(&q, "h", "a\xFF\xC3(b\x01");
	expect_one_mismatch(s, &q, "header h: expected \"x\", got \"a\xEF\xBF\xBD\xEF\xBF\xBD(b\\u0001\"");
	req_fini(&q);
	stub_destroy(s);
}

Test(mismatch, body_json_path_and_form)
{
	struct stub *s = stub_new();
	m_add(stub_body_field(s, BODY_JSON_PATH, "user.name"), MATCH_EQUALS, "Ada");
	m_add(stub_body_field(s, BODY_JSON_PATH, "user.id"), MATCH_REGEX, "[0-9]+");
	struct req q;
	expect_body_mismatch(s, "{\"user\":{\"id\":12}}", "body json_path user.name: expected \"Ada\", got nothing");
	req_init(&q, "POST", "/");
	req_body(&q, "{\"user\":{\"id\":true,\"name\":{\"first\":\"A\"}}}");
	struct mismatches why = { 0 };
	cr_assert_eq(stub_explain(s, &q.v, &why), 2);
	cr_expect_str_eq(why.items[0], "body json_path user.name: expected \"Ada\", got \"{\\\"first\\\":\\\"A\\\"}\"");
	cr_expect_str_eq(why.items[1], "body json_path user.id: expected regex \"[0-9]+\", got \"true\"");
	mismatches_release(&why);
	req_fini(&q);
	stub_destroy(s);

	s = stub_new();
	m_add(stub_body_field(s, BODY_FORM, "name"), MATCH_PREFIX, "A");
	req_init(&q, "POST", "/");
	req_header(&q, "content-type", "application/x-www-form-urlencoded");
	req_body(&q, "name=Bob+B&name=Carl");
	expect_one_mismatch(s, &q, "body form name: expected prefix \"A\", got \"Bob B\", \"Carl\"");
	req_fini(&q);
	expect_body_mismatch(s, "name=Bob", "body form name: expected prefix \"A\", got nothing");
	stub_destroy(s);
}

Test(mismatch, every_failure_in_order)
{
	struct stub *s = stub_new();
	stub_methods(s, "GET", (const char *)NULL);
	stub_exact(s, "/a");
	m_add(stub_query(s, "q"), MATCH_EQUALS, "1");
	m_add(stub_query(s, "ok"), MATCH_EQUALS, "1");
	m_present(stub_header(s, "x-a"), true);
	m_add(stub_cookie(s, "c"), MATCH_EQUALS, "1");
	body_of(s)->kind = BODY_RAW;
	m_add(&body_of(s)->raw, MATCH_EQUALS, "b");
	s->nconds++;
	struct req q;
	req_init(&q, "put", "/b");
	req_query(&q, "ok", "1");
	struct mismatches why = { 0 };
	cr_assert_eq(stub_explain(s, &q.v, &why), 6);
	cr_assert_eq(why.n, 6);
	cr_expect_str_eq(why.items[0], "method: expected \"GET\", got \"put\"");
	cr_expect_str_eq(why.items[1], "path: expected \"/a\", got \"/b\"");
	cr_expect_str_eq(why.items[2], "query q: expected \"1\", got nothing");
	cr_expect_str_eq(why.items[3], "header x-a: expected present, got nothing");
	cr_expect_str_eq(why.items[4], "cookie c: expected \"1\", got nothing");
	cr_expect_str_eq(why.items[5], "body: expected \"b\", got \"\"");
	mismatches_release(&why);

	cr_expect_eq(stub_explain(s, &q.v, NULL), 6);
	cr_expect_eq(stub_explain_count(s, &q.v, 0), 6);
	cr_expect_eq(stub_explain_count(s, &q.v, 2), 2);

	/* a full match explains nothing */
	req_fini(&q);
	req_init(&q, "GET", "/a");
	req_query(&q, "q", "1");
	req_query(&q, "ok", "1");
	req_header(&q, "X-A", "");
	req_cookie(&q, "c", "1");
	req_body(&q, "b");
	cr_expect_eq(stub_explain(s, &q.v, &why), 0);
	cr_expect_eq(why.n, 0);
	cr_expect(stub_conditions_ok(s, &q.v));
	mismatches_release(&why);
	req_fini(&q);
	stub_destroy(s);
}

/* ---- WireMock's additions: or, equalToJson, url, urlPattern, pathParameters ---- */

Test(matcher, any_holds_when_one_alternative_does)
{
	struct matcher m = { 0 };
	struct match_clause *c = add_clause(&m, MATCH_ANY);
	c->alts = xcalloc(2, sizeof(*c->alts));
	c->nalts = 2;
	m_add(&c->alts[0], MATCH_PREFIX, "ab");
	c->alts[1].ignore_case = true;
	m_add(&c->alts[1], MATCH_EQUALS, "XYZ");
	cr_expect(test_str(&m, "abc"));
	cr_expect(test_str(&m, "xyz"), "the second alternative keeps its own ignore_case");
	cr_expect_not(test_str(&m, "zzz"));
	cr_expect_not(test_str(&m, NULL));
	struct strbuf sb = STRBUF_INIT;
	matcher_describe(&m, &sb);
	cr_expect_str_eq(strbuf_str(&sb), "(prefix \"ab\" or equals \"XYZ\" (ignore case))");
	strbuf_release(&sb);
	matcher_release(&m);
}

Test(matcher, json_compares_parsed_values)
{
	struct matcher m = { 0 };
	struct match_clause *c = add_clause(&m, MATCH_JSON);
	c->json = cJSON_Parse("{\"a\": [1, 2], \"b\": \"x\"}");
	cr_expect(test_str(&m, "{\"b\":\"x\",\"a\":[1,2.0]}"));
	cr_expect_not(test_str(&m, "{\"b\":\"x\",\"a\":[2,1]}"));
	cr_expect_not(test_str(&m, "{\"b\":\"x\",\"a\":[1,2],\"c\":0}"));
	cr_expect_not(test_str(&m, "not json"));
	c->cmp.ignore_array_order = true;
	cr_expect(test_str(&m, "{\"b\":\"x\",\"a\":[2,1]}"));
	c->cmp.ignore_extra = true;
	cr_expect(test_str(&m, "{\"b\":\"x\",\"a\":[2,3,1],\"c\":0}"));
	cr_expect_not(test_str(&m, "{\"b\":\"x\",\"a\":[2,2]}"), "each expected item needs its own match");
	matcher_release(&m);
}

Test(body, json_with_wiremock_options)
{
	struct stub *s = stub_new();
	stub_body_json(s, BODY_JSON, "{\"tags\": [\"a\", \"b\"], \"n\": {\"x\": 1}}");
	cr_expect(body_matches(s, "{\"n\":{\"x\":1},\"tags\":[\"a\",\"b\"]}"));
	cr_expect_not(body_matches(s, "{\"n\":{\"x\":1},\"tags\":[\"b\",\"a\"]}"));
	body_of(s)->cmp.ignore_array_order = true;
	cr_expect(body_matches(s, "{\"n\":{\"x\":1},\"tags\":[\"b\",\"a\"]}"));
	cr_expect_not(body_matches(s, "{\"n\":{\"x\":1,\"y\":2},\"tags\":[\"b\",\"a\"]}"));
	body_of(s)->cmp.ignore_extra = true;
	cr_expect(body_matches(s, "{\"n\":{\"x\":1,\"y\":2},\"tags\":[\"b\",\"c\",\"a\"],\"more\":true}"));
	struct req q;
	req_init(&q, "POST", "/");
	req_body(&q, "{}");
	struct mismatches why = { 0 };
	cr_expect_eq(stub_explain(s, &q.v, &why), 1);
	cr_expect(strstr(why.items[0], "(ignoring array order) (ignoring extra elements)") != NULL, "%s", why.items[0]);
	mismatches_release(&why);
	req_fini(&q);
	stub_destroy(s);
}

Test(body, several_conditions_all_hold)
{
	struct stub *s = stub_new();
	s->req.bodies = xcalloc(2, sizeof(*s->req.bodies));
	s->req.nbodies = 2;
	s->req.bodies[0].kind = BODY_RAW;
	m_add(&s->req.bodies[0].raw, MATCH_CONTAINS, "milk");
	s->req.bodies[1].kind = BODY_RAW;
	m_add(&s->req.bodies[1].raw, MATCH_CONTAINS, "bread");
	cr_expect(body_matches(s, "milk and bread"));
	cr_expect_not(body_matches(s, "milk"));
	cr_expect_not(body_matches(s, "bread"));
	stub_destroy(s);
}

/* Whether s accepts a GET whose target as sent is target (path: its decoded path). */
static bool target_matches(struct stub *s, const char *path, const char *target)
{
	struct req q;
	req_init(&q, "GET", path);
	q.v.target = target;
	bool ok = stub_path_ok(s, &q.v, NULL);
	req_fini(&q);
	return ok;
}

Test(path, a_url_is_the_target_as_sent)
{
	struct stub *s = stub_new();
	stub_exact(s, "/a b");
	s->req.target = xstrdup("/a%20b?q=1+2");
	cr_expect(target_matches(s, "/a b", "/a%20b?q=1+2"));
	cr_expect_not(target_matches(s, "/a b", "/a%20b?q=1%2B2"), "+ and %%2B differ, as in WireMock");
	cr_expect_not(target_matches(s, "/a b", "/a b?q=1+2"));
	cr_expect_not(target_matches(s, "/a b", "/a%20b"));
	struct req q;
	req_init(&q, "GET", "/a b");
	q.v.target = "/a%20b";
	struct mismatches why = { 0 };
	cr_expect_eq(stub_explain(s, &q.v, &why), 1);
	cr_expect_str_eq(why.items[0], "url: expected \"/a%20b?q=1+2\", got \"/a%20b\"");
	mismatches_release(&why);
	req_fini(&q);
	stub_destroy(s);
}

Test(path, a_url_pattern_sees_the_query)
{
	struct stub *s = stub_new();
	s->req.path_kind = PATH_REGEX;
	s->req.path_re = regex_compile("/search\\?q=[a-z]+", false, NULL, NULL);
	s->req.path_re_target = true;
	cr_expect(target_matches(s, "/search", "/search?q=abc"));
	cr_expect_not(target_matches(s, "/search", "/search?q=ABC"));
	s->req.path_re_target = false;
	cr_expect_not(target_matches(s, "/search", "/search?q=abc"), "urlPathPattern sees the path alone");
	stub_destroy(s);
}

Test(path, path_parameters_match_the_captures)
{
	struct stub *s = stub_new();
	s->req.path_kind = PATH_TEMPLATE;
	s->req.path = xstrdup("/contacts/{id}");
	s->req.segs = xcalloc(2, sizeof(*s->req.segs));
	s->req.nsegs = 2;
	s->req.segs[0].text = xstrdup("contacts");
	s->req.segs[1].text = xstrdup("id");
	s->req.segs[1].is_param = true;
	m_add(named(&s->req.path_params, &s->req.npath_params, "id"), MATCH_REGEX, "[0-9]+");
	cr_expect(path_matches(s, "/contacts/42", false));
	cr_expect(path_matches(s, "/contacts/42", true));
	cr_expect_not(path_matches(s, "/contacts/abc", false));
	cr_expect_not(path_matches(s, "/contacts/abc", true));
	stub_destroy(s);
}
