/* SPDX-License-Identifier: MIT */
/* Unit tests for jsonpath.c: the syntax Jayway JsonPath 2.9 reads and what it selects
 * (the store examples of Jayway's README among them), filters and their operators,
 * definite paths, the text WireMock compares, compile errors with their offsets, and
 * deep, wide and explosive inputs finishing quickly. Expected answers follow Jayway's
 * source (PathToken, ScanPathToken, PredicatePathToken, EvaluatorFactory). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonpath.h"
#include "testutil.h"
#include "util/strbuf.h"

static const char store[] =
	"{\"store\":{\"book\":["
	"{\"category\":\"reference\",\"author\":\"Nigel Rees\",\"title\":\"Sayings of the Century\",\"price\":8.95},"
	"{\"category\":\"fiction\",\"author\":\"Evelyn Waugh\",\"title\":\"Sword of Honour\",\"price\":12.99},"
	"{\"category\":\"fiction\",\"author\":\"Herman Melville\",\"title\":\"Moby Dick\",\"isbn\":\"0-553-21311-3\","
	"\"price\":8.99},"
	"{\"category\":\"fiction\",\"author\":\"J. R. R. Tolkien\",\"title\":\"The Lord of the Rings\","
	"\"isbn\":\"0-395-19395-8\",\"price\":22.99}],"
	"\"bicycle\":{\"color\":\"red\",\"price\":19.95}},"
	"\"expensive\":10}";

static struct jsonpath *compile_ok(const char *expr)
{
	char *err = NULL;
	size_t off = 0;
	struct jsonpath *p = jsonpath_compile(expr, &err, &off);
	cr_assert_not_null(p, "'%s' does not compile: %s at %zu", expr, err ? err : "?", off);
	return p;
}

/* The results of expr on doc as one compact JSON list. */
static char *sel(const char *expr, const char *doc)
{
	struct jsonpath *p = compile_ok(expr);
	cJSON *root = json_or_fail(doc);
	struct jsonpath_result r;
	size_t n = jsonpath_select(p, root, &r);
	cr_assert_eq(n, r.count);
	cr_assert(!r.exhausted, "'%s' ran out of steps", expr);
	cJSON *list = json_check(cJSON_CreateArray());
	for (size_t i = 0; i < r.count; i++)
		json_array_add(list, cJSON_Duplicate(r.values[i], true));
	char *text = json_print(list, NULL);
	cJSON_Delete(list);
	jsonpath_result_release(&r);
	cJSON_Delete(root);
	jsonpath_destroy(p);
	return text;
}

struct sel_case {
	const char *expr;
	const char *doc;            /* NULL: the store */
	const char *want;           /* the results as a compact JSON list */
};

static void check_cases(const struct sel_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *got = sel(cases[i].expr, cases[i].doc ? cases[i].doc : store);
		cr_expect_str_eq(got, cases[i].want, "%s on %s", cases[i].expr, cases[i].doc ? cases[i].doc : "the store");
		free(got);
	}
}

#define CHECK(cases) check_cases(cases, sizeof(cases) / sizeof(cases[0]))

/* Jayway's README examples over its store document. */
Test(jsonpath, readme_examples)
{
	static const struct sel_case cases[] = {
		{ "$.store.book[*].author", NULL,
		  "[\"Nigel Rees\",\"Evelyn Waugh\",\"Herman Melville\",\"J. R. R. Tolkien\"]" },
		{ "$..author", NULL, "[\"Nigel Rees\",\"Evelyn Waugh\",\"Herman Melville\",\"J. R. R. Tolkien\"]" },
		{ "$.store.*", NULL, NULL },
		{ "$.store..price", NULL, "[8.95,12.99,8.99,22.99,19.95]" },
		{ "$..book[2].title", NULL, "[\"Moby Dick\"]" },
		{ "$..book[-2].title", NULL, "[\"Moby Dick\"]" },
		{ "$..book[0,1].title", NULL, "[\"Sayings of the Century\",\"Sword of Honour\"]" },
		{ "$..book[:2].price", NULL, "[8.95,12.99]" },
		{ "$..book[1:2].price", NULL, "[12.99]" },
		{ "$..book[-2:].price", NULL, "[8.99,22.99]" },
		{ "$..book[2:].price", NULL, "[8.99,22.99]" },
		{ "$..book[?(@.isbn)].title", NULL, "[\"Moby Dick\",\"The Lord of the Rings\"]" },
		{ "$.store.book[?(@.price < 10)].price", NULL, "[8.95,8.99]" },
		{ "$..book[?(@.price <= $['expensive'])].price", NULL, "[8.95,8.99]" },
		{ "$..book[?(@.author =~ /.*REES/i)].author", NULL, "[\"Nigel Rees\"]" },
		{ "$..book.length()", NULL, "[4]" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!cases[i].want)
			continue;
		char *got = sel(cases[i].expr, store);
		cr_expect_str_eq(got, cases[i].want, "%s", cases[i].expr);
		free(got);
	}
	char *all = sel("$.store.*", store);
	cr_expect(strncmp(all, "[[{\"category\":\"reference\"", 25) == 0, "%s", all);
	cr_expect(strstr(all, "],{\"color\":\"red\",\"price\":19.95}]") != NULL, "%s", all);
	free(all);
	char *everything = sel("$..*", store);
	cJSON *list = json_or_fail(everything);
	/* store, expensive, book, bicycle, 4 books, their 4+4+5+5 members, color, price */
	cr_expect_eq(cJSON_GetArraySize(list), 2 + 2 + 4 + 18 + 2);
	cJSON_Delete(list);
	free(everything);
}

Test(jsonpath, root_and_names)
{
	static const struct sel_case cases[] = {
		{ "$", "{\"a\":1}", "[{\"a\":1}]" },
		{ "$", "[1,2]", "[[1,2]]" },
		{ "$", "\"text\"", "[\"text\"]" },
		{ "$.a", "{\"a\":1}", "[1]" },
		{ "$.a.b.c", "{\"a\":{\"b\":{\"c\":true}}}", "[true]" },
		{ "$.a", "{\"a\":null}", "[null]" },
		{ "$.missing", "{\"a\":1}", "[]" },
		{ "$.a.missing.deeper", "{\"a\":{}}", "[]" },
		{ "$.a", "[1]", "[]" },
		{ "$.a.b", "{\"a\":\"text\"}", "[]" },
		{ "$['a']", "{\"a\":1}", "[1]" },
		{ "$[\"a\"]", "{\"a\":1}", "[1]" },
		{ "$.['a']", "{\"a\":1}", "[1]" },
		{ "$['a b']", "{\"a b\":1}", "[1]" },
		{ "$['a.b']", "{\"a.b\":1,\"a\":{\"b\":2}}", "[1]" },
		{ "$.a.b", "{\"a.b\":1,\"a\":{\"b\":2}}", "[2]" },
		{ "$['it\\'s']", "{\"it's\":1}", "[1]" },
		{ "$[\"say \\\"hi\\\"\"]", "{\"say \\\"hi\\\"\":1}", "[1]" },
		{ "$['\\u00e9t\\u00e9']", "{\"\\u00e9t\\u00e9\":1}", "[1]" },
		{ "$['\\ud83d\\ude00']", "{\"\\ud83d\\ude00\":1}", "[1]" },
		{ "$['']", "{\"\":7}", "[7]" },
		{ "$[ 'a' ]", "{\"a\":1}", "[1]" },
		/* names are case-sensitive and may hold what JSON keys hold */
		{ "$.A", "{\"a\":1}", "[]" },
		/* Jayway ends a dotted name only at '.', '[' and '(' */
		{ "$.a]", "{\"a]\":1}", "[1]" },
		{ "$.first-name", "{\"first-name\":\"ada\"}", "[\"ada\"]" },
		{ "$.$id", "{\"$id\":3}", "[3]" },
		{ "$.caf\xc3\xa9", "{\"caf\xc3\xa9\":1}", "[1]" },
		/* without '$', Jayway reads "$." in front */
		{ "a.b", "{\"a\":{\"b\":1}}", "[1]" },
		{ "[1]", "[5,6]", "[6]" },
		{ "*", "{\"a\":1,\"b\":2}", "[1,2]" },
		/* '@' outside a filter is the document too */
		{ "@.a", "{\"a\":1}", "[1]" },
		{ "  $.a  ", "{\"a\":1}", "[1]" },
	};
	CHECK(cases);
}

/* Several names: as the last step they merge into one object (Jayway's merged map, of the
 * names present, in the order written); before other steps each is followed in turn. */
Test(jsonpath, several_names)
{
	static const struct sel_case cases[] = {
		{ "$['a','b']", "{\"a\":1,\"b\":2,\"c\":3}", "[{\"a\":1,\"b\":2}]" },
		{ "$['b','a']", "{\"a\":1,\"b\":2}", "[{\"b\":2,\"a\":1}]" },
		{ "$['a','zz']", "{\"a\":1}", "[{\"a\":1}]" },
		{ "$['x','y']", "{\"a\":1}", "[{}]" },
		{ "$['a', \"b\"]", "{\"a\":[1],\"b\":{\"c\":2}}", "[{\"a\":[1],\"b\":{\"c\":2}}]" },
		{ "$['a','a']", "{\"a\":1}", "[{\"a\":1}]" },
		{ "$['b','a'].v", "{\"a\":{\"v\":1},\"b\":{\"v\":2}}", "[2,1]" },
		{ "$['a','zz'].v", "{\"a\":{\"v\":1}}", "[1]" },
		{ "$[*]['x','y']", "[{\"x\":1,\"y\":2},{\"x\":3}]", "[{\"x\":1,\"y\":2},{\"x\":3}]" },
	};
	CHECK(cases);
}

Test(jsonpath, indexes_and_slices)
{
	static const char *arr = "[0,1,2,3,4]";
	static const struct sel_case cases[] = {
		{ "$[0]", "[0,1,2,3,4]", "[0]" },
		{ "$[4]", "[0,1,2,3,4]", "[4]" },
		{ "$[5]", "[0,1,2,3,4]", "[]" },
		{ "$[-1]", "[0,1,2,3,4]", "[4]" },
		{ "$[-5]", "[0,1,2,3,4]", "[0]" },
		{ "$[-6]", "[0,1,2,3,4]", "[]" },
		{ "$[ 1 ]", "[0,1,2,3,4]", "[1]" },
		{ "$[3,0,-1]", "[0,1,2,3,4]", "[3,0,4]" },
		{ "$[1, 1]", "[0,1,2,3,4]", "[1,1]" },
		{ "$[0]", "{\"0\":1}", "[]" },
		{ "$[0]", "[]", "[]" },
		{ "$[1:3]", "[0,1,2,3,4]", "[1,2]" },
		{ "$[1:]", "[0,1,2,3,4]", "[1,2,3,4]" },
		{ "$[:2]", "[0,1,2,3,4]", "[0,1]" },
		{ "$[-2:]", "[0,1,2,3,4]", "[3,4]" },
		{ "$[:-2]", "[0,1,2,3,4]", "[0,1,2]" },
		{ "$[-9:]", "[0,1,2,3,4]", "[0,1,2,3,4]" },
		{ "$[:9]", "[0,1,2,3,4]", "[0,1,2,3,4]" },
		{ "$[3:1]", "[0,1,2,3,4]", "[]" },
		{ "$[7:9]", "[0,1,2,3,4]", "[]" },
		/* ArraySliceToken as it is: [from:to] takes a negative end as empty, and walks a
		 * negative start up from below zero, each index taken from the end */
		{ "$[1:-1]", "[0,1,2,3,4]", "[]" },
		{ "$[-2:2]", "[0,1,2,3,4]", "[3,4,0,1]" },
		{ "$[0:1]", "[]", "[]" },
		{ "$[1:2]", "{\"1\":1}", "[]" },
	};
	(void)arr;
	CHECK(cases);
}

Test(jsonpath, wildcards)
{
	static const struct sel_case cases[] = {
		{ "$[*]", "[1,[2],{\"a\":3}]", "[1,[2],{\"a\":3}]" },
		{ "$.*", "{\"b\":1,\"a\":2}", "[1,2]" },
		{ "$[*]", "{\"b\":1,\"a\":2}", "[1,2]" },
		{ "$.*", "[1,2]", "[1,2]" },
		{ "$.*", "5", "[]" },
		{ "$.*.*", "{\"a\":[1,2],\"b\":{\"c\":3},\"d\":4}", "[1,2,3]" },
		{ "$[*].id", "[{\"id\":1},{\"x\":2},{\"id\":3},7]", "[1,3]" },
		{ "$[ * ]", "[1]", "[1]" },
	};
	CHECK(cases);
}

/* `..`: the next step at the node and at every node below, each node's own results before
 * those of its descendants (Jayway's order, which for `..*` is not document order). */
Test(jsonpath, recursive_descent)
{
	static const struct sel_case cases[] = {
		{ "$..name", "{\"name\":\"a\",\"kids\":[{\"name\":\"b\",\"kids\":[{\"name\":\"c\"}]},{\"name\":\"d\"}]}",
		  "[\"a\",\"b\",\"c\",\"d\"]" },
		{ "$..*", "{\"a\":{\"x\":1},\"b\":2}", "[{\"x\":1},2,1]" },
		{ "$..*", "[[1,[2]],3]", "[[1,[2]],3,1,[2],2]" },
		{ "$..[0]", "[[1,[2]],3]", "[[1,[2]],1,2]" },
		{ "$..['a','b']", "{\"a\":1,\"b\":2,\"c\":{\"a\":3},\"d\":{\"a\":4,\"b\":5}}",
		  "[{\"a\":1,\"b\":2},{\"a\":4,\"b\":5}]" },
		{ "$..[?(@.id)]", "[{\"id\":1,\"kid\":{\"id\":2}},{\"x\":{\"id\":3}}]",
		  "[{\"id\":1,\"kid\":{\"id\":2}},{\"id\":2},{\"id\":3}]" },
		{ "$..[?(@.id > 1)].id", "[{\"id\":1,\"kid\":{\"id\":2}},{\"x\":{\"id\":3}}]", "[2,3]" },
		{ "$.a..b", "{\"a\":{\"b\":1,\"c\":{\"b\":2}},\"b\":3}", "[1,2]" },
		{ "$..a..b", "{\"a\":{\"a\":{\"b\":1}}}", "[1,1]" },
		{ "$..[1:]", "[[1,2,3],4]", "[4,2,3]" },
		{ "$..missing", "{\"a\":[{\"b\":1}]}", "[]" },
		{ "$..x", "7", "[]" },
		{ "$..['a']", "{\"a\":{\"a\":1}}", "[{\"a\":1},1]" },
		{ "$..length()", "{\"a\":[1,2],\"b\":3}", "[4]" },
	};
	CHECK(cases);
}

Test(jsonpath, functions)
{
	static const struct sel_case cases[] = {
		{ "$.length()", "[1,2,3]", "[3]" },
		{ "$.size()", "[1,2,3]", "[3]" },
		{ "$.a.length()", "{\"a\":{\"x\":1,\"y\":2}}", "[2]" },
		{ "$.a.length()", "{\"a\":\"text\"}", "[null]" },
		{ "$.a.length()", "{\"a\":[]}", "[0]" },
		{ "$[*].length()", "[[1],[1,2],\"x\"]", "[1,2,null]" },
		{ "$.missing.length()", "{}", "[]" },
		{ "$.a[?(@.tags.length() > 1)].id", "{\"a\":[{\"id\":1,\"tags\":[1]},{\"id\":2,\"tags\":[1,2]}]}", "[2]" },
		{ "$[?(@.length() == 2)]", "[[1],[1,2],{\"a\":1,\"b\":2}]", "[[1,2],{\"a\":1,\"b\":2}]" },
	};
	CHECK(cases);
}

static const char people[] =
	"[{\"name\":\"ann\",\"age\":31,\"tags\":[\"admin\",\"dev\"],\"city\":\"Oslo\",\"active\":true},"
	"{\"name\":\"bob\",\"age\":17,\"tags\":[],\"city\":null,\"active\":false},"
	"{\"name\":\"cy\",\"age\":\"40\",\"tags\":[\"dev\"]},"
	"{\"name\":\"dee\",\"age\":25.5,\"email\":\"dee@example.com\",\"active\":true}]";

/* Filters over a list of objects: each item that passes, in order. */
Test(jsonpath, filters)
{
	static const struct sel_case cases[] = {
		{ "$[?(@.age > 18)].name", people, "[\"ann\",\"dee\"]" },
		{ "$[?(@.age >= 31)].name", people, "[\"ann\"]" },
		{ "$[?(@.age < 18)].name", people, "[\"bob\"]" },
		{ "$[?(@.age <= 25.5)].name", people, "[\"bob\",\"dee\"]" },
		{ "$[?(@.age == 31)].name", people, "[\"ann\"]" },
		{ "$[?(@.age != 31)].name", people, "[\"bob\",\"cy\",\"dee\"]" },
		{ "$[?(@.name == 'bob')].age", people, "[17]" },
		{ "$[?(@.name == \"bob\")].age", people, "[17]" },
		{ "$[?(@.active == true)].name", people, "[\"ann\",\"dee\"]" },
		{ "$[?(@.active == false)].name", people, "[\"bob\"]" },
		{ "$[?(@.city == null)].name", people, "[\"bob\"]" },
		{ "$[?(@.email)].name", people, "[\"dee\"]" },
		{ "$[?(!@.email)].name", people, "[\"ann\",\"bob\",\"cy\"]" },
		{ "$[?(@.city)].name", people, "[\"ann\",\"bob\"]" },
		{ "$[?(@.age > 18 && @.active == true)].name", people, "[\"ann\",\"dee\"]" },
		{ "$[?(@.age < 18 || @.name == 'cy')].name", people, "[\"bob\",\"cy\"]" },
		{ "$[?(@.age > 30 || @.age < 18 && @.active == false)].name", people, "[\"ann\",\"bob\"]" },
		{ "$[?((@.age > 30 || @.age < 18) && @.active == false)].name", people, "[\"bob\"]" },
		{ "$[?(!(@.age > 18))].name", people, "[\"bob\",\"cy\"]" },
		{ "$[?(! (@.name == 'ann' || @.name == 'bob'))].name", people, "[\"cy\",\"dee\"]" },
		{ "$[?(@.name in ['ann','cy'])].name", people, "[\"ann\",\"cy\"]" },
		{ "$[?(@.name nin ['ann','cy'])].name", people, "[\"bob\",\"dee\"]" },
		{ "$[?(@.name IN [\"bob\"])].name", people, "[\"bob\"]" },
		{ "$[?(@.age in [17, 25.5])].name", people, "[\"bob\",\"dee\"]" },
		{ "$[?(@.tags contains 'dev')].name", people, "[\"ann\",\"cy\"]" },
		{ "$[?(@.name contains 'e')].name", people, "[\"dee\"]" },
		{ "$[?(@.tags size 2)].name", people, "[\"ann\"]" },
		{ "$[?(@.name size 3)].name", people, "[\"ann\",\"bob\",\"dee\"]" },
		{ "$[?(@.tags empty true)].name", people, "[\"bob\"]" },
		{ "$[?(@.tags empty false)].name", people, "[\"ann\",\"cy\"]" },
		{ "$[?(@.tags anyof ['admin','ops'])].name", people, "[\"ann\"]" },
		{ "$[?(@.tags noneof ['admin'])].name", people, "[\"bob\",\"cy\"]" },
		{ "$[?(@.tags subsetof ['dev','ops'])].name", people, "[\"bob\",\"cy\"]" },
		{ "$[?(@.name =~ /^[ab].*/)].name", people, "[\"ann\",\"bob\"]" },
		{ "$[?(@.name =~ /A.*/i)].name", people, "[\"ann\"]" },
		{ "$[?(@.name=~/b.b/)].name", people, "[\"bob\"]" },
		{ "$[?(@.tags[0] == 'dev')].name", people, "[\"cy\"]" },
		{ "$[?(@.tags[?(@ == 'admin')])].name", people, "[\"ann\",\"bob\",\"cy\"]" },
		{ "$[?(@.age>18)].name", people, "[\"ann\",\"dee\"]" },
		{ "$[ ?( @.age > 18 ) ].name", people, "[\"ann\",\"dee\"]" },
		{ "$[?(@['name'] == 'ann')].age", people, "[31]" },
		{ "$[?(@.['name'] == 'ann')].age", people, "[31]" },
		/* filters over plain values, with '@' alone */
		{ "$[?(@ > 2)]", "[1,2,3,4]", "[3,4]" },
		{ "$.tags[?(@ == 'b')]", "{\"tags\":[\"a\",\"b\"]}", "[\"b\"]" },
		{ "$[?(@ =~ /a.*/)]", "[\"abc\",\"bcd\",1]", "[\"abc\"]" },
		/* '$' in a filter is the document */
		{ "$.items[?(@.id == $.wanted)].v", "{\"wanted\":2,\"items\":[{\"id\":1,\"v\":\"a\"},{\"id\":2,\"v\":\"b\"}]}",
		  "[\"b\"]" },
		{ "$.items[?(@.n < @.max)].n", "{\"items\":[{\"n\":1,\"max\":2},{\"n\":3,\"max\":2}]}", "[1]" },
		/* a filter on anything but a list or an object selects nothing */
		{ "$.a[?(@.x)]", "{\"a\":\"text\"}", "[]" },
		{ "$[?(@.x)]", "[1,\"x\",null,[]]", "[]" },
		/* nested filters */
		{ "$[?(@.items[?(@.ok == true)])].id", "[{\"id\":1,\"items\":[{\"ok\":false}]},{\"id\":2,\"items\":[{\"ok\":true}]}]",
		  "[1,2]" },
		{ "$[?(@.items[?(@.ok == true)] size 1)].id",
		  "[{\"id\":1,\"items\":[{\"ok\":false}]},{\"id\":2,\"items\":[{\"ok\":true}]}]", "[2]" },
	};
	CHECK(cases);
}

/* On an object, a filter tests the object itself: `$[?(...)]` on an object body selects
 * the body (PredicatePathToken), which Spring Cloud Contract's stubs rely on. */
Test(jsonpath, filter_on_object_root)
{
	static const struct sel_case cases[] = {
		{ "$[?(@.['age'] =~ /[2-9][0-9]/)]", "{\"age\":25}", "[{\"age\":25}]" },
		{ "$[?(@.['age'] =~ /[2-9][0-9]/)]", "{\"age\":\"25\"}", "[{\"age\":\"25\"}]" },
		{ "$[?(@.['age'] =~ /[2-9][0-9]/)]", "{\"age\":5}", "[]" },
		{ "$[?(@.['age'] =~ /[2-9][0-9]/)]", "{\"age\":125}", "[]" },
		{ "$[?(@.['age'] =~ /[2-9][0-9]/)]", "{\"name\":\"x\"}", "[]" },
		{ "$[?(@.name == 'ann')]", "{\"name\":\"ann\",\"n\":1}", "[{\"name\":\"ann\",\"n\":1}]" },
		{ "$[?(@.name == 'ann')].n", "{\"name\":\"ann\",\"n\":1}", "[1]" },
		{ "$.user[?(@.id == 7)]", "{\"user\":{\"id\":7}}", "[{\"id\":7}]" },
		{ "$[?(@.a)]", "{\"a\":null}", "[{\"a\":null}]" },
		{ "$[?(@.a == 1)]", "[{\"a\":1},{\"a\":2}]", "[{\"a\":1}]" },
	};
	CHECK(cases);
}

/* Jayway's equality is ValueNode.equals: a string equals the number it spells (either
 * way round, the number side as a BigDecimal), while <, >, <= and >= compare numbers with
 * numbers and strings with strings only; a missing value equals nothing, so != holds. */
Test(jsonpath, comparison_types)
{
	static const struct sel_case cases[] = {
		{ "$[?(@.v == 1)].id", "[{\"id\":1,\"v\":\"1\"},{\"id\":2,\"v\":1},{\"id\":3,\"v\":\"1.0\"}]", "[1,2]" },
		{ "$[?(@.v == '1')].id", "[{\"id\":1,\"v\":\"1\"},{\"id\":2,\"v\":1},{\"id\":3,\"v\":1.0}]", "[1,2,3]" },
		{ "$[?(@.v == '1.0')].id", "[{\"id\":1,\"v\":1},{\"id\":2,\"v\":\"1.0\"}]", "[1,2]" },
		{ "$[?(@.v == 'x')].id", "[{\"id\":1,\"v\":1}]", "[]" },
		{ "$[?(@.v == 1.50)].id", "[{\"id\":1,\"v\":\"1.50\"},{\"id\":2,\"v\":\"1.5\"},{\"id\":3,\"v\":1.5}]", "[1,3]" },
		{ "$[?(@.v === 1)].id", "[{\"id\":1,\"v\":\"1\"},{\"id\":2,\"v\":1}]", "[2]" },
		{ "$[?(@.v !== 1)].id", "[{\"id\":1,\"v\":\"1\"},{\"id\":2,\"v\":1}]", "[1]" },
		{ "$[?(@.v > 1)].id", "[{\"id\":1,\"v\":\"5\"},{\"id\":2,\"v\":5}]", "[2]" },
		{ "$[?(@.v < 'b')].id", "[{\"id\":1,\"v\":\"a\"},{\"id\":2,\"v\":1},{\"id\":3,\"v\":\"c\"}]", "[1]" },
		{ "$[?(@.v == true)].id", "[{\"id\":1,\"v\":\"true\"},{\"id\":2,\"v\":true}]", "[2]" },
		{ "$[?(@.v == null)].id", "[{\"id\":1,\"v\":\"null\"},{\"id\":2,\"v\":null},{\"id\":3}]", "[2]" },
		{ "$[?(@.v != 'x')].id", "[{\"id\":1,\"v\":\"x\"},{\"id\":2},{\"id\":3,\"v\":null}]", "[2,3]" },
		{ "$[?(@.v > 0)].id", "[{\"id\":1},{\"id\":2,\"v\":null},{\"id\":3,\"v\":true}]", "[]" },
		{ "$[?(@.v == [1,'a'])].id", "[{\"id\":1,\"v\":[1,\"a\"]},{\"id\":2,\"v\":[\"a\",1]}]", "[1]" },
		{ "$[?(@.v == {'a':1,'b':[2]})].id", "[{\"id\":1,\"v\":{\"b\":[2],\"a\":1}},{\"id\":2,\"v\":{\"a\":1}}]", "[1]" },
		{ "$[?(@.v == -2.5e1)].id", "[{\"id\":1,\"v\":-25}]", "[1]" },
		/* Java orders strings by UTF-16 code units: U+1F600 (a surrogate pair) before U+FFFD */
		{ "$[?(@.v < '\\ufffd')].id", "[{\"id\":1,\"v\":\"\\ud83d\\ude00\"},{\"id\":2,\"v\":\"\\uffff\"}]", "[1]" },
		{ "$[?(@.v size 2)].id", "[{\"id\":1,\"v\":\"\\ud83d\\ude00\"},{\"id\":2,\"v\":\"\\u00e9\"}]", "[1]" },
		/* a regex sees numbers and booleans as text, and a missing value as "" */
		{ "$[?(@.v =~ /2.5/)].id", "[{\"id\":1,\"v\":2.5},{\"id\":2,\"v\":\"2.5\"}]", "[1,2]" },
		{ "$[?(@.v =~ /tr.e/)].id", "[{\"id\":1,\"v\":true}]", "[1]" },
		{ "$[?(@.v =~ /.*/)].id", "[{\"id\":1},{\"id\":2,\"v\":null}]", "[1,2]" },
		{ "$[?(@.v =~ /a.*/)].id", "[{\"id\":1,\"v\":[\"x\",\"ab\"]},{\"id\":2,\"v\":[\"b\"]}]", "[1]" },
		/* Java's matches(): the whole string */
		{ "$[?(@.v =~ /b/)].id", "[{\"id\":1,\"v\":\"abc\"},{\"id\":2,\"v\":\"b\"}]", "[2]" },
		/* in needs a list on its right; anything else makes Jayway throw, so even nin fails */
		{ "$[?(@.v in 'x')].id", "[{\"id\":1,\"v\":\"x\"}]", "[]" },
		{ "$[?(@.v nin 'x')].id", "[{\"id\":1,\"v\":\"x\"}]", "[]" },
		{ "$[?(@.v in $.allowed)].id", "{\"allowed\":[1,3],\"v\":1,\"id\":9}", "[9]" },
		{ "$.items[?(@ in $.allowed)]", "{\"allowed\":[1,3],\"items\":[1,2,3]}", "[1,3]" },
		{ "$[?(@.v in ['1'])].id", "[{\"id\":1,\"v\":1}]", "[1]" },
	};
	CHECK(cases);
}

/* An existence test runs with REQUIRE_PROPERTIES: an indefinite path exists unless it
 * meets a missing name, so an empty list exists; a definite one when it has a value. */
Test(jsonpath, existence)
{
	static const struct sel_case cases[] = {
		{ "$[?(@.a.b)].id", "[{\"id\":1,\"a\":{\"b\":null}},{\"id\":2,\"a\":{}},{\"id\":3,\"a\":5}]", "[1]" },
		{ "$[?(@.a[*].b)].id", "[{\"id\":1,\"a\":[{\"b\":1},{\"b\":2}]},{\"id\":2,\"a\":[{\"b\":1},{}]},{\"id\":3,\"a\":[]}]",
		  "[1,3]" },
		{ "$[?(@.a[0])].id", "[{\"id\":1,\"a\":[0]},{\"id\":2,\"a\":[]},{\"id\":3,\"a\":{}}]", "[1]" },
		{ "$[?(!@.a)].id", "[{\"id\":1,\"a\":0},{\"id\":2}]", "[2]" },
		/* Jayway tests existence on the item even for a '$' path */
		{ "$.items[?($.x)].id", "{\"x\":1,\"items\":[{\"id\":1},{\"id\":2,\"x\":0}]}", "[2]" },
		/* a '!' before a compared path is ignored */
		{ "$[?(!@.a == 1)].id", "[{\"id\":1,\"a\":1},{\"id\":2,\"a\":2}]", "[1]" },
	};
	CHECK(cases);
}

Test(jsonpath, definite)
{
	static const struct {
		const char *expr;
		bool definite;
	} cases[] = {
		{ "$", true }, { "$.a.b", true }, { "$['a']", true }, { "$[0]", true }, { "$[-1].a", true },
		{ "$['a','b']", true }, { "$.a.length()", true }, { "$..a.length()", true }, { "a.b", true },
		{ "$['a','b'].c", false }, { "$[0,1]", false }, { "$[*]", false }, { "$.*", false }, { "$..a", false },
		{ "$[?(@.a)]", false }, { "$[1:2]", false }, { "$[*].length()", false }, { "$.a..b.length()", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct jsonpath *p = compile_ok(cases[i].expr);
		cr_expect_eq(jsonpath_is_definite(p), cases[i].definite, "%s", cases[i].expr);
		cr_expect_str_eq(jsonpath_source(p), cases[i].expr);
		jsonpath_destroy(p);
	}
}

/* A path Jayway answers with an exception (a definite path past a gap, an index or a
 * filter on a plain value) selects nothing, even where another branch found something. */
Test(jsonpath, what_jayway_throws_on_is_empty)
{
	static const struct sel_case cases[] = {
		{ "$.a[0]", "{\"a\":{\"0\":1}}", "[]" },
		{ "$.a[?(@.x)]", "{\"a\":1}", "[]" },
		{ "$.a.b.c", "{\"a\":{\"x\":1}}", "[]" },
		{ "$[1:2].b", "[{\"b\":1},{\"b\":2}]", "[2]" },
	};
	CHECK(cases);
}

Test(jsonpath, value_text)
{
	static const struct {
		const char *json;
		const char *want;
	} cases[] = {
		{ "\"plain text\"", "plain text" }, { "\"\"", "" }, { "1", "1" }, { "-7", "-7" }, { "0", "0" },
		{ "25.0", "25" }, { "1.5", "1.5" }, { "-2.25", "-2.25" }, { "0.1", "0.1" }, { "0.001", "0.001" },
		{ "0.0001", "1.0E-4" }, { "1.25e-7", "1.25E-7" }, { "12345678.5", "1.23456785E7" },
		{ "1234567.5", "1234567.5" }, { "1e20", "1.0E20" }, { "123456789012", "123456789012" },
		{ "3.141592653589793", "3.141592653589793" }, { "true", "true" }, { "false", "false" },
		{ "null", "null" }, { "[1, \"a\", {\"b\": null}]", "[1,\"a\",{\"b\":null}]" },
		{ "{ \"a\" : [ ] }", "{\"a\":[]}" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *v = json_or_fail(cases[i].json);
		char *text = jsonpath_value_text(v);
		cr_expect_str_eq(text, cases[i].want, "%s", cases[i].json);
		free(text);
		cJSON_Delete(v);
	}
	/* a merged object prints like any other */
	char *merged = sel("$['b','a']", "{\"a\":\"x/y\",\"b\":[1]}");
	cr_expect_str_eq(merged, "[{\"b\":[1],\"a\":\"x/y\"}]");
	free(merged);
	/* exact-reader trees keep the number text */
	cJSON *exact = json_parse_exact("{\"n\":1.50}", 10, 8, 100);
	cr_assert_not_null(exact);
	char *t = jsonpath_value_text(cJSON_GetObjectItemCaseSensitive(exact, "n"));
	cr_expect_str_eq(t, "1.50");
	free(t);
	cJSON_Delete(exact);
}

struct error_case {
	const char *expr;
	size_t offset;
	const char *says;           /* a part of the message */
};

Test(jsonpath, compile_errors)
{
	static const struct error_case cases[] = {
		{ "", 0, "empty expression" },
		{ "   ", 0, "empty expression" },
		{ "$.", 1, "expected a name, '*' or '[' after '.'" },
		{ "$.a.", 3, "after '.'" },
		{ "$..", 1, "after '..'" },
		{ "$...a", 3, "after '..'" },
		{ "$x", 1, "expected '.' or '[' after '$'" },
		{ "$.a b", 3, "needs brackets" },
		{ "$[", 2, "expected a quoted name, an index" },
		{ "$[]", 2, "expected a quoted name, an index" },
		{ "$['a", 2, "unterminated string" },
		{ "$['a' 'b']", 6, "expected ',' or ']'" },
		{ "$['a',]", 6, "expected a quoted name after ','" },
		{ "$['\\u12']", 5, "four hex digits" },
		{ "$['\\u0000']", 3, "NUL" },
		{ "$[1", 3, "expected ',' or ']' after an index" },
		{ "$[1,]", 4, "expected a number" },
		{ "$[1:2:3]", 5, "slice steps" },
		{ "$[:]", 2, "expected a number before or after ':'" },
		{ "$[99999999999]", 2, "out of range" },
		{ "$[-]", 2, "expected a number" },
		{ "$[*", 3, "expected ']' after '[*'" },
		{ "$[x]", 2, "expected a quoted name" },
		{ "$['a']b", 6, "expected '.' or '['" },
		{ "$.a.sum()", 4, "unknown function 'sum()'" },
		{ "$.a.length(1)", 11, "functions with arguments" },
		{ "$.length().a", 10, "a function must be the last step" },
		{ "..a", 0, "expected '$' or a name" },
		{ "$[?@.a]", 3, "expected '(' after '[?'" },
		{ "$[?(@.a)", 8, "expected ']' after the filter" },
		{ "$[?(@.a == 1]", 12, "expected ')' to close" },
		{ "$[?(@.a ==)]", 10, "expected a path, a string" },
		{ "$[?(@.a foo 1)]", 8, "unknown operator 'foo'" },
		{ "$[?(@.a <> 1)]", 8, "unknown operator '<>'" },
		{ "$[?(@.a exists true)]", 8, "unknown operator 'exists'" },
		{ "$[?(1)]", 4, "a value alone is no condition" },
		{ "$[?('a' && @.b)]", 4, "a value alone is no condition" },
		{ "$[?(@.a == 'x)]", 11, "unterminated string" },
		{ "$[?(@.a =~ /x)]", 11, "unterminated regex" },
		{ "$[?(@.a =~ /(/)]", 13, "invalid regex" },
		{ "$[?(@.a =~ /x/m)]", 14, "regex flag 'm'" },
		{ "$[?(@.a == 1.2.3)]", 11, "invalid number" },
		{ "$[?(@.a == tru)]", 11, "expected a path, a string" },
		{ "$[?(@.a in [1,)]", 14, "expected a value in the list" },
		{ "$[?(@.a in {a:1})]", 12, "expected a quoted key" },
		{ "$[?(@.a && )]", 11, "expected a path, a string" },
		{ "$[?(!1)]", 5, "a value alone is no condition" },
		{ "$[?((@.a)]", 9, "expected ')' to close the filter's '(' at 3" },
		{ "$[?((@.a && (@.b)]", 17, "expected ')' to close the '(' at 4" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *err = NULL;
		size_t off = 12345;
		struct jsonpath *p = jsonpath_compile(cases[i].expr, &err, &off);
		cr_expect_null(p, "'%s' compiled", cases[i].expr);
		jsonpath_destroy(p);
		if (!err)
			continue;
		cr_expect(strstr(err, cases[i].says) != NULL, "'%s': '%s' does not say '%s'", cases[i].expr, err, cases[i].says);
		cr_expect_eq(off, cases[i].offset, "'%s': offset %zu, not %zu (%s)", cases[i].expr, off, cases[i].offset, err);
		free(err);
	}
	/* err and offset may be NULL */
	cr_expect_null(jsonpath_compile("$[", NULL, NULL));
}

/* s repeated n times, then tail. Caller frees. */
static char *repeat(const char *head, const char *s, int n, const char *mid, const char *s2, int n2, const char *tail)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, head);
	for (int i = 0; i < n; i++)
		strbuf_adds(&sb, s);
	strbuf_adds(&sb, mid);
	for (int i = 0; i < n2; i++)
		strbuf_adds(&sb, s2);
	strbuf_adds(&sb, tail);
	return strbuf_detach(&sb, NULL);
}

static void expect_error(const char *expr, const char *says)
{
	char *err = NULL;
	size_t off = 0;
	struct jsonpath *p = jsonpath_compile(expr, &err, &off);
	cr_expect_null(p, "%s compiled", expr);
	jsonpath_destroy(p);
	cr_expect(err && strstr(err, says), "%s: '%s' does not say '%s'", expr, err ? err : "(null)", says);
	free(err);
}

Test(jsonpath, limits)
{
	/* JSONPATH_MAX_DEPTH levels compile (the filter's own '(' is one), one more does not */
	char *ok = repeat("$[?(", "(", JSONPATH_MAX_DEPTH - 1, "@.a", ")", JSONPATH_MAX_DEPTH - 1, ")]");
	jsonpath_destroy(compile_ok(ok));
	free(ok);
	char *deep = repeat("$[?(", "(", JSONPATH_MAX_DEPTH, "@.a", ")", JSONPATH_MAX_DEPTH, ")]");
	expect_error(deep, "nested deeper than 32");
	free(deep);
	/* '!', nested filters and list literals count too */
	char *nots = repeat("$[?(", "!(", 40, "@.a", ")", 40, ")]");
	expect_error(nots, "nested deeper than 32");
	free(nots);
	char *filters = repeat("$", "[?(@", 40, "", ")]", 40, "");
	expect_error(filters, "nested deeper than 32");
	free(filters);
	char *lists = repeat("$[?(@.a in ", "[", 40, "", "]", 40, ")]");
	expect_error(lists, "nested deeper than 32");
	free(lists);

	/* expressions up to JSONPATH_MAX_LENGTH bytes */
	char *longest = repeat("$.", "a", JSONPATH_MAX_LENGTH - 2, "", "", 0, "");
	jsonpath_destroy(compile_ok(longest));
	free(longest);
	char *too_long = repeat("$.", "a", JSONPATH_MAX_LENGTH - 1, "", "", 0, "");
	char *err = NULL;
	size_t off = 0;
	cr_expect_null(jsonpath_compile(too_long, &err, &off));
	cr_expect_eq(off, JSONPATH_MAX_LENGTH);
	cr_expect(err && strstr(err, "longer than 4096"), "%s", err ? err : "(null)");
	free(err);
	free(too_long);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Deep documents: `..` keeps its own stack, so depth costs no C stack. */
Test(jsonpath, deep_document)
{
	/* cJSON parses up to 1000 levels; build a deeper one by hand as well */
	int depth = 990;
	char *text = repeat("", "{\"a\":", depth, "1", "}", depth, "");
	cJSON *root = json_or_fail(text);
	free(text);
	struct jsonpath *p = compile_ok("$..a");
	struct jsonpath_result r;
	cr_expect_eq(jsonpath_select(p, root, &r), (size_t)depth);
	jsonpath_result_release(&r);
	jsonpath_destroy(p);
	cJSON_Delete(root);

	cJSON *top = json_check(cJSON_CreateArray());
	cJSON *cur = top;
	for (int i = 0; i < 200000; i++) {
		cJSON *next = json_check(cJSON_CreateArray());
		json_array_add(cur, next);
		cur = next;
	}
	cJSON *bottom = json_check(cJSON_CreateObject());
	json_object_add(bottom, "name", json_check(cJSON_CreateString("bottom")));
	json_array_add(cur, bottom);
	p = compile_ok("$..[?(@.name == 'bottom')].name");
	double t0 = now_s();
	cr_assert_eq(jsonpath_select(p, top, &r), 1);
	cr_expect(now_s() - t0 < 5.0);
	cr_expect_str_eq(r.values[0]->valuestring, "bottom");
	jsonpath_result_release(&r);
	jsonpath_destroy(p);
	/* `..*..*..*` over a chain of 1000 lists is some 10^8 steps: it stops at the budget */
	p = compile_ok("$..*..*..*");
	t0 = now_s();
	jsonpath_select(p, top->child->child, &r);
	cr_expect(r.exhausted);
	cr_expect(r.count > 0 && r.count <= JSONPATH_MAX_RESULTS);
	cr_expect(now_s() - t0 < 5.0);
	jsonpath_result_release(&r);
	jsonpath_destroy(p);
	/* cJSON_Delete recurses; unlink level by level */
	while (top) {
		cJSON *child = top->child;
		if (child)
			cJSON_DetachItemViaPointer(top, child);
		cJSON_Delete(top);
		top = child;
	}
}

/* One select of expr on root: its count; *exhausted says whether it hit the budget.
 * Fails the test when it takes more than five seconds (sanitizers and load included). */
static size_t timed_select(const char *expr, const cJSON *root, bool *exhausted)
{
	struct jsonpath *p = compile_ok(expr);
	struct jsonpath_result r;
	double t0 = now_s();
	size_t n = jsonpath_select(p, root, &r);
	double took = now_s() - t0;
	cr_expect(took < 5.0, "%s took %.1f s", expr, took);
	*exhausted = r.exhausted;
	jsonpath_result_release(&r);
	jsonpath_destroy(p);
	return n;
}

/* A wide document, and paths whose work multiplies: they end at the step budget, saying
 * so, within a fraction of a second (a few seconds under sanitizers). */
Test(jsonpath, huge_and_explosive)
{
	cJSON *root = json_check(cJSON_CreateArray());
	for (int i = 0; i < 100000; i++) {
		cJSON *item = json_check(cJSON_CreateObject());
		json_object_add(item, "id", json_check(cJSON_CreateNumber(i)));
		json_object_add(item, "tags", json_check(cJSON_CreateStringArray((const char *[]){ "a", "b" }, 2)));
		json_array_add(root, item);
	}
	bool exhausted;
	cr_expect_eq(timed_select("$[?(@.id >= 99998)].id", root, &exhausted), 2);
	cr_expect(!exhausted);
	cr_expect_eq(timed_select("$..tags[1]", root, &exhausted), 100000);
	cr_expect(!exhausted);
	/* some 500,000 results of `..*`, each walked again: past the budget */
	timed_select("$..*..*", root, &exhausted);
	cr_expect(exhausted);
	/* each item's filter reads the whole list again: 10^10 steps */
	timed_select("$[?(@.id in $[?(@.id < 3)].id)]", root, &exhausted);
	cr_expect(exhausted);
	/* and so does one that compares each item with the whole list */
	timed_select("$[?(@.id in $[*].id)]", root, &exhausted);
	cr_expect(exhausted);
	cJSON_Delete(root);

	/* the same `..*..*` on 2,000 items fits */
	root = json_check(cJSON_CreateArray());
	for (int i = 0; i < 2000; i++) {
		cJSON *item = json_check(cJSON_CreateObject());
		json_object_add(item, "id", json_check(cJSON_CreateNumber(i)));
		json_object_add(item, "tags", json_check(cJSON_CreateStringArray((const char *[]){ "a", "b" }, 2)));
		json_array_add(root, item);
	}
	cr_expect_eq(timed_select("$..*..*", root, &exhausted), 2000 * 4 + 4000);
	cr_expect(!exhausted);
	cJSON_Delete(root);
}

struct shared {
	const struct jsonpath *p;
	const cJSON *root;
	int ok;
};

static void *select_many(void *arg)
{
	struct shared *s = arg;
	for (int i = 0; i < 2000; i++) {
		struct jsonpath_result r;
		if (jsonpath_select(s->p, s->root, &r) == 2 && strcmp(r.values[1]->valuestring, "Moby Dick") == 0)
			s->ok++;
		jsonpath_result_release(&r);
	}
	return NULL;
}

/* One compiled path, several threads at once (each select has its own state). */
Test(jsonpath, threads)
{
	struct jsonpath *p = compile_ok("$..book[?(@.price < 10 && @.title =~ /.*[a-z].*/)].title");
	cJSON *root = json_or_fail(store);
	struct shared s[4];
	pthread_t t[4];
	for (int i = 0; i < 4; i++) {
		s[i] = (struct shared){ p, root, 0 };
		pthread_create(&t[i], NULL, select_many, &s[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		cr_expect_eq(s[i].ok, 2000);
	}
	cJSON_Delete(root);
	jsonpath_destroy(p);
}
