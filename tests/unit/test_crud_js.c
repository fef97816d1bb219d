/* SPDX-License-Identifier: MIT */
/* crud_js: the JavaScript semantics json-server's answers depend on, each checked against
 * what node prints for the same values (String(), <, lodash's orderBy, parseInt, _.get,
 * lodash-id's getById, pluralize). */
#include <criterion/criterion.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "crud_js.h"
#include "testutil.h"
#include "util/strbuf.h"

static char *text_of(const char *json)
{
	cJSON *v = json_or_fail(json);
	struct strbuf sb = STRBUF_INIT;
	crud_js_text(v, &sb);
	cJSON_Delete(v);
	return strbuf_detach(&sb, NULL);
}

Test(crud_js, values_as_javascript_writes_them)
{
	static const char *const cases[][2] = {
		/* numbers: the shortest form that reads back, exponents past 1e21 and below 1e-6 */
		{ "1", "1" }, { "-0", "0" }, { "1.5", "1.5" }, { "0.1", "0.1" }, { "100", "100" },
		{ "1e21", "1e+21" }, { "1e20", "100000000000000000000" }, { "1.25e-7", "1.25e-7" },
		{ "0.000001", "0.000001" }, { "123456789012", "123456789012" }, { "-3.5", "-3.5" },
		{ "0.30000000000000004", "0.30000000000000004" }, { "2e-300", "2e-300" },
		/* the rest of String() */
		{ "\"x y\"", "x y" }, { "true", "true" }, { "false", "false" }, { "null", "null" },
		{ "[1,null,\"a\",[2,3]]", "1,,a,2,3" }, { "[]", "" }, { "{\"a\":1}", "[object Object]" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = text_of(cases[i][0]);
		cr_expect_str_eq(got, cases[i][1], "String(%s)", cases[i][0]);
		free(got);
	}
}

Test(crud_js, truthiness)
{
	static const char *const falsy[] = { "false", "null", "0", "\"\"", "-0" };
	static const char *const truthy[] = { "true", "1", "\"0\"", "[]", "{}", "-1" };
	for (size_t i = 0; i < sizeof(falsy) / sizeof(falsy[0]); i++) {
		cJSON *v = json_or_fail(falsy[i]);
		cr_expect_not(crud_js_truthy(v), "%s is falsy", falsy[i]);
		cJSON_Delete(v);
	}
	for (size_t i = 0; i < sizeof(truthy) / sizeof(truthy[0]); i++) {
		cJSON *v = json_or_fail(truthy[i]);
		cr_expect(crud_js_truthy(v), "%s is truthy", truthy[i]);
		cJSON_Delete(v);
	}
	cr_expect_not(crud_js_truthy(NULL));
}

static enum crud_js_order cmp_text(const char *text, const char *json)
{
	cJSON *v = json_or_fail(json);
	enum crud_js_order r = crud_js_compare_text(text, strlen(text), v);
	cJSON_Delete(v);
	return r;
}

Test(crud_js, comparisons_as_javascript_makes_them)
{
	/* a string against a number compares as numbers */
	cr_expect_eq(cmp_text("100", "20"), CRUD_JS_GT);
	cr_expect_eq(cmp_text("20", "100"), CRUD_JS_LT);
	cr_expect_eq(cmp_text(" 20 ", "20"), CRUD_JS_EQ);
	cr_expect_eq(cmp_text("", "0"), CRUD_JS_EQ);
	cr_expect_eq(cmp_text("0x10", "16"), CRUD_JS_EQ);
	cr_expect_eq(cmp_text("1e3", "1000"), CRUD_JS_EQ);
	cr_expect_eq(cmp_text("-Infinity", "-5"), CRUD_JS_LT);
	cr_expect_eq(cmp_text("abc", "5"), CRUD_JS_UNORDERED);
	cr_expect_eq(cmp_text("12px", "5"), CRUD_JS_UNORDERED);
	cr_expect_eq(cmp_text("1", "true"), CRUD_JS_EQ);
	/* two strings compare by code units: "100" < "20", "B" < "a" */
	cr_expect_eq(cmp_text("100", "\"20\""), CRUD_JS_LT);
	cr_expect_eq(cmp_text("B", "\"a\""), CRUD_JS_LT);
	cr_expect_eq(cmp_text("ab", "\"a\""), CRUD_JS_GT);
	/* an array is its joined text, an object "[object Object]" */
	cr_expect_eq(cmp_text("1,2", "[1,2]"), CRUD_JS_EQ);
	cr_expect_eq(cmp_text("[object Object]", "{}"), CRUD_JS_EQ);
}

static int order(const char *a, const char *b)
{
	cJSON *x = a ? json_or_fail(a) : NULL, *y = b ? json_or_fail(b) : NULL;
	int r = crud_js_sort_order(x, y);
	cJSON_Delete(x);
	cJSON_Delete(y);
	return r;
}

Test(crud_js, lodash_sort_order)
{
	cr_expect_lt(order("1", "2"), 0);
	cr_expect_gt(order("\"b\"", "\"a\""), 0);
	cr_expect_eq(order("1", "1"), 0);
	cr_expect_eq(order("{}", "{}"), 0);
	/* null after any value, a missing one after null */
	cr_expect_gt(order("null", "-5"), 0);
	cr_expect_gt(order("null", "\"z\""), 0);
	cr_expect_lt(order("5", "null"), 0);
	cr_expect_gt(order(NULL, "null"), 0);
	cr_expect_lt(order("null", NULL), 0);
	cr_expect_gt(order(NULL, "1"), 0);
	cr_expect_eq(order(NULL, NULL), 0);
	cr_expect_eq(order("null", "null"), 0);
	/* what JavaScript cannot order stays where it is */
	cr_expect_eq(order("\"abc\"", "5"), 0);
}

Test(crud_js, parse_int)
{
	cr_expect_eq(crud_js_parse_int("42"), 42);
	cr_expect_eq(crud_js_parse_int("  -7xyz"), -7);
	cr_expect_eq(crud_js_parse_int("+3"), 3);
	cr_expect_eq(crud_js_parse_int("1.9"), 1);
	cr_expect_eq(crud_js_parse_int("0x10"), 0);
	cr_expect(isnan(crud_js_parse_int("")));
	cr_expect(isnan(crud_js_parse_int("abc")));
	cr_expect(isnan(crud_js_parse_int("-")));
}

Test(crud_js, paths_as_lodash_get_reads_them)
{
	cJSON *v = json_or_fail("{\"a\":{\"b\":[10,{\"c\":\"deep\"}]},\"x.y\":1,\"n\":null}");
	cr_expect_eq(crud_js_get(v, "a.b.0")->valuedouble, 10);
	cr_expect_eq(crud_js_get(v, "a.b[0]")->valuedouble, 10);
	cr_expect_str_eq(crud_js_get(v, "a.b[1].c")->valuestring, "deep");
	cr_expect_str_eq(crud_js_get(v, "a[\"b\"][1]['c']")->valuestring, "deep");
	cr_expect_eq(crud_js_get(v, "x.y")->valuedouble, 1, "a key held literally wins");
	cr_expect(cJSON_IsNull(crud_js_get(v, "n")));
	cr_expect_null(crud_js_get(v, "a.b.2"));
	cr_expect_null(crud_js_get(v, "a.b.01"));
	cr_expect_null(crud_js_get(v, "a.zz"));
	cr_expect_null(crud_js_get(v, "n.x"));
	cr_expect_null(crud_js_get(v, "missing"));
	cJSON_Delete(v);
}

Test(crud_js, ids_compare_as_text)
{
	cJSON *coll = json_or_fail("[{\"x\":1},{\"id\":null},{\"id\":1},{\"id\":\"a\"},{\"id\":1.5},\"scalar\"]");
	cr_expect_eq(crud_js_find_id(coll, "1", 1), 2);
	cr_expect_eq(crud_js_find_id(coll, "a", 1), 3);
	cr_expect_eq(crud_js_find_id(coll, "1.5", 3), 4);
	cr_expect_eq(crud_js_find_id(coll, "null", 4), -1, "a null id is no id");
	cr_expect_eq(crud_js_find_id(coll, "01", 2), -1);
	cr_expect_eq(crud_js_find_id(NULL, "1", 1), -1);
	cJSON_Delete(coll);
	/* integer text against number ids, the fast way, agrees with String() */
	coll = json_or_fail("[{\"id\":-0},{\"id\":1e21},{\"id\":-12},{\"id\":120}]");
	cr_expect_eq(crud_js_find_id(coll, "0", 1), 0);
	cr_expect_eq(crud_js_find_id(coll, "-0", 2), -1);
	cr_expect_eq(crud_js_find_id(coll, "1e+21", 5), 1);
	cr_expect_eq(crud_js_find_id(coll, "-12", 3), 2);
	cr_expect_eq(crud_js_find_id(coll, "120", 3), 3);
	cr_expect_eq(crud_js_find_id(coll, "0120", 4), -1);
	cr_expect_eq(crud_js_find_id(coll, "120.0", 5), -1);
	cJSON_Delete(coll);
}

Test(crud_js, assign_keeps_a_key_in_its_place)
{
	cJSON *o = json_or_fail("{\"a\":1,\"b\":2}");
	crud_js_assign(o, "a", cJSON_CreateString("x"));
	crud_js_assign(o, "c", cJSON_CreateTrue());
	char *text = json_print(o, NULL);
	cr_expect_str_eq(text, "{\"a\":\"x\",\"b\":2,\"c\":true}");
	free(text);
	/* the key may be the new value's own name */
	cJSON *v = cJSON_CreateNumber(3);
	v->string = strdup("b");
	crud_js_assign(o, v->string, v);
	text = json_print(o, NULL);
	cr_expect_str_eq(text, "{\"a\":\"x\",\"b\":3,\"c\":true}");
	free(text);
	cJSON_Delete(o);
}

Test(crud_js, regular_plurals_both_ways)
{
	static const char *const pairs[][2] = {
		{ "post", "posts" }, { "category", "categories" }, { "box", "boxes" }, { "match", "matches" },
		{ "wish", "wishes" }, { "class", "classes" }, { "day", "days" }, { "User", "Users" },
		{ "POST", "POSTS" }, { "Category", "Categories" },
	};
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		char *plural = crud_js_plural(pairs[i][0]);
		char *single = crud_js_singular(pairs[i][1]);
		cr_expect_str_eq(plural, pairs[i][1], "plural of %s", pairs[i][0]);
		cr_expect_str_eq(single, pairs[i][0], "singular of %s", pairs[i][1]);
		free(plural);
		free(single);
	}
	/* a word already in the wanted form comes back as it is ("bus" is not a plural) */
	char *w = crud_js_plural("bus");
	cr_expect_str_eq(w, "buses");
	free(w);
	w = crud_js_plural("posts");
	cr_expect_str_eq(w, "posts");
	free(w);
	w = crud_js_singular("post");
	cr_expect_str_eq(w, "post");
	free(w);
	w = crud_js_singular("");
	cr_expect_str_eq(w, "");
	free(w);
}
