/* SPDX-License-Identifier: MIT */
/* Unit tests for jsonschema_gen.c: the example each keyword gives (example, default,
 * const, enum, formats, bounds, lengths, patterns, properties, items), readOnly and
 * writeOnly by direction, combinators and discriminators, both dialects, recursive schemas
 * bounded, dynamic data reproducible by seed and varied across draws, and a property test:
 * whatever is generated validates. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonschema.h"
#include "jsonschema_gen.h"
#include "regex.h"
#include "testutil.h"
#include "util/rng.h"
#include "util/strbuf.h"

/* A resolver over one document: "#/a/b" is the member b of the member a of the root. */
static const cJSON *resolve_pointer(void *cls, const char *ref, const cJSON *from)
{
	(void)from;
	return ref[0] == '#' ? json_get_pointer(cls, ref + 1) : NULL;
}

/* Documents compiled by schema_ok, freed in fini (a test may compile several). */
static cJSON *docs[64];
static size_t ndocs;

static void fini(void)
{
	for (size_t i = 0; i < ndocs; i++)
		cJSON_Delete(docs[i]);
	ndocs = 0;
}

/* Compiles the "schema" member of text ("{...}" as a whole when it has none), with
 * resolve_pointer over the whole text. */
static struct jsonschema *schema_ok(enum jsonschema_dialect d, const char *text)
{
	cr_assert_lt(ndocs, sizeof docs / sizeof *docs);
	cJSON *doc = docs[ndocs++] = json_or_fail(text);
	const cJSON *schema = cJSON_GetObjectItemCaseSensitive(doc, "schema");
	char *err = NULL;
	const cJSON *at = NULL;
	struct jsonschema *s = jsonschema_compile(schema ? schema : doc, d, resolve_pointer, doc,
						  &err, &at);
	cr_assert_not_null(s, "%s does not compile: %s", text, err ? err : "?");
	return s;
}

/* The errors of v against s, "path: message" joined by " | "; "" when valid. */
static char *errors_of(const struct jsonschema *s, const cJSON *v)
{
	struct jsonschema_error e[4];
	size_t n = jsonschema_validate(s, v, e, 4);
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < n && i < 4; i++)
		strbuf_addf(&sb, "%s%s: %s", i ? " | " : "", e[i].path, e[i].message);
	jsonschema_errors_release(e, n < 4 ? n : 4);
	return strbuf_detach(&sb, NULL);
}

/* Generates from s, asserts the result is valid (or NULL), returns it as text ("NULL" for
 * none; caller frees). */
static char *gen(const struct jsonschema *s, enum jsonschema_gen_mode mode, bool request,
		 struct rng *rng)
{
	cJSON *v = jsonschema_generate(s, mode, request, rng);
	if (!v)
		return strdup("NULL");
	char *text = json_print(v, NULL);
	char *errs = errors_of(s, v);
	cr_assert_str_eq(errs, "", "generated %s is not valid: %s", text, errs);
	free(errs);
	cJSON_Delete(v);
	return text;
}

static void expect_example_d(enum jsonschema_dialect d, const char *schema, bool request,
			     const char *want)
{
	struct jsonschema *s = schema_ok(d, schema);
	char *got = gen(s, JSONSCHEMA_GEN_EXAMPLE, request, NULL);
	cr_expect_str_eq(got, want, "example of %s: %s, not %s", schema, got, want);
	/* the same every time */
	char *again = gen(s, JSONSCHEMA_GEN_EXAMPLE, request, NULL);
	cr_expect_str_eq(again, got);
	free(again);
	free(got);
	jsonschema_destroy(s);
}

#define example30(schema, want) expect_example_d(JSONSCHEMA_OAS30, schema, false, want)
#define example31(schema, want) expect_example_d(JSONSCHEMA_OAS31, schema, false, want)
#define example(schema, want) \
	do { example30(schema, want); example31(schema, want); } while (0)
#define example_request(schema, want) \
	do { \
		expect_example_d(JSONSCHEMA_OAS30, schema, true, want); \
		expect_example_d(JSONSCHEMA_OAS31, schema, true, want); \
	} while (0)

/* n dynamic draws from seed, each valid; every non-NULL. Returns how many distinct texts
 * there were. */
static size_t draws_d(enum jsonschema_dialect d, const char *schema, uint64_t seed, int n,
		      bool request)
{
	struct jsonschema *s = schema_ok(d, schema);
	struct rng r;
	rng_seed(&r, seed);
	char **seen = calloc((size_t)n, sizeof *seen);
	size_t distinct = 0;
	for (int i = 0; i < n; i++) {
		char *t = gen(s, JSONSCHEMA_GEN_DYNAMIC, request, &r);
		cr_assert_str_neq(t, "NULL", "no dynamic instance of %s (seed %llu, draw %d)",
				  schema, (unsigned long long)seed, i);
		bool dup = false;
		for (size_t k = 0; k < distinct && !dup; k++)
			dup = !strcmp(seen[k], t);
		if (dup)
			free(t);
		else
			seen[distinct++] = t;
	}
	for (size_t k = 0; k < distinct; k++)
		free(seen[k]);
	free(seen);
	jsonschema_destroy(s);
	return distinct;
}

#define draws(schema, n) \
	(draws_d(JSONSCHEMA_OAS30, schema, 1, n, false), \
	 draws_d(JSONSCHEMA_OAS31, schema, 2, n, false))

/* Whether text (a generated value) matches the regular expression re (searched). */
static bool matches(const char *re, const char *text)
{
	char *err = NULL;
	size_t off = 0;
	struct regex *r = regex_compile_search(re, false, &err, &off);
	cr_assert_not_null(r, "%s: %s", re, err);
	bool ok = regex_match(r, text, strlen(text));
	regex_destroy(r);
	return ok;
}

TestSuite(jsonschema_gen, .fini = fini);

Test(jsonschema_gen, scalars)
{
	example("{\"type\":\"string\"}", "\"string\"");
	example("{\"type\":\"integer\"}", "0");
	example("{\"type\":\"number\"}", "0");
	example("{\"type\":\"boolean\"}", "true");
	example31("{\"type\":\"null\"}", "null");
	/* no type: what the keywords suggest, else a string */
	example("{}", "\"string\"");
	example("{\"minLength\":2}", "\"string\"");
	example("{\"minimum\":3}", "3");
	example("{\"items\":{\"type\":\"integer\"}}", "[0]");
	example("{\"required\":[\"a\"]}", "{\"a\":\"string\"}");
	cr_expect_null(jsonschema_generate(NULL, JSONSCHEMA_GEN_EXAMPLE, false, NULL));
}

Test(jsonschema_gen, formats)
{
	example("{\"type\":\"string\",\"format\":\"date-time\"}", "\"2024-01-01T00:00:00Z\"");
	example("{\"type\":\"string\",\"format\":\"date\"}", "\"2024-01-01\"");
	example("{\"type\":\"string\",\"format\":\"email\"}", "\"user@example.com\"");
	example("{\"type\":\"string\",\"format\":\"uuid\"}",
		"\"3fa85f64-5717-4562-b3fc-2c963f66afa6\"");
	example("{\"type\":\"string\",\"format\":\"uri\"}", "\"https://example.com\"");
	example("{\"type\":\"string\",\"format\":\"ipv4\"}", "\"192.0.2.1\"");
	example("{\"type\":\"string\",\"format\":\"ipv6\"}", "\"2001:db8::1\"");
	example("{\"type\":\"string\",\"format\":\"byte\"}", "\"c3RyaW5n\"");
	example("{\"type\":\"string\",\"format\":\"password\"}", "\"string\"");
	example("{\"type\":\"integer\",\"format\":\"int32\",\"minimum\":-5}", "0");
	example("{\"type\":\"number\",\"format\":\"float\",\"minimum\":1.5}", "1.5");
	example("{\"type\":\"number\",\"format\":\"double\"}", "0");
	/* lengths the formats can meet */
	example("{\"type\":\"string\",\"format\":\"email\",\"minLength\":20}",
		"\"userxxxx@example.com\"");
	example("{\"type\":\"string\",\"format\":\"email\",\"maxLength\":10}", "\"u@x.io\"");
	example("{\"type\":\"string\",\"format\":\"byte\",\"minLength\":10}", "\"c3RyaW5nc3Ry\"");
	example("{\"type\":\"string\",\"format\":\"uri\",\"minLength\":22}", "\"https://example.com/xx\"");
	/* and those they cannot */
	example("{\"type\":\"string\",\"format\":\"uuid\",\"maxLength\":10}", "NULL");
	example("{\"type\":\"integer\",\"format\":\"int32\",\"minimum\":3000000000}", "NULL");
	/* every format, drawn: valid, and not always the same */
	const char *fmts[] = { "date-time", "date", "email", "uuid", "uri", "ipv4", "ipv6", "byte" };
	for (size_t i = 0; i < sizeof fmts / sizeof *fmts; i++) {
		char schema[128];
		snprintf(schema, sizeof schema, "{\"type\":\"string\",\"format\":\"%s\"}", fmts[i]);
		cr_expect_geq(draws_d(JSONSCHEMA_OAS31, schema, 7, 20, false), 15, "%s", fmts[i]);
	}
	draws("{\"type\":\"integer\",\"format\":\"int64\"}", 20);
	draws("{\"type\":\"number\",\"format\":\"float\"}", 20);
}

Test(jsonschema_gen, example_default_const_enum)
{
	example("{\"type\":\"string\",\"example\":\"hello\",\"default\":\"dflt\"}", "\"hello\"");
	example("{\"type\":\"string\",\"default\":\"dflt\",\"enum\":[\"x\",\"dflt\"]}", "\"dflt\"");
	example("{\"const\":{\"a\":[1,2]}}", "{\"a\":[1,2]}");
	example("{\"type\":\"string\",\"enum\":[\"b\",\"a\"]}", "\"b\"");
	/* an example or default that is not valid is passed over */
	example("{\"type\":\"integer\",\"example\":\"12\",\"default\":3}", "3");
	example("{\"type\":\"integer\",\"minimum\":5,\"example\":1,\"default\":2}", "5");
	/* an enum value the other keywords refuse is passed over too */
	example("{\"type\":\"integer\",\"enum\":[1,20,30],\"minimum\":10}", "20");
	example("{\"type\":\"integer\",\"enum\":[1,2],\"minimum\":10}", "NULL");
	/* an object's example wins over its properties' */
	example("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"example\":\"x\"}},"
		"\"example\":{\"a\":\"whole\"}}", "{\"a\":\"whole\"}");
	example("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"example\":\"x\"},"
		"\"b\":{\"type\":\"integer\",\"default\":7}}}", "{\"a\":\"x\",\"b\":7}");
	/* 3.1: the first of `examples`, before the `example` it replaces */
	example31("{\"type\":\"string\",\"examples\":[\"first\",\"second\"],\"example\":\"old\"}",
		  "\"first\"");
	example30("{\"type\":\"string\",\"examples\":[\"first\",\"second\"],\"example\":\"old\"}",
		  "\"old\"");
	/* 3.0 ignores what stands beside a $ref, 3.1 does not */
	const char *beside = "{\"schema\":{\"$ref\":\"#/d/S\",\"example\":\"beside\"},"
			     "\"d\":{\"S\":{\"type\":\"string\",\"example\":\"target\"}}}";
	example30(beside, "\"target\"");
	example31(beside, "\"beside\"");
	/* dynamic data ignores examples and defaults, and draws from the enum */
	struct jsonschema *s = schema_ok(JSONSCHEMA_OAS31,
					 "{\"type\":\"string\",\"example\":\"hello\",\"default\":\"d\"}");
	struct rng r;
	rng_seed(&r, 5);
	for (int i = 0; i < 10; i++) {
		char *t = gen(s, JSONSCHEMA_GEN_DYNAMIC, false, &r);
		cr_expect(strcmp(t, "\"hello\"") && strcmp(t, "\"d\""), "%s", t);
		free(t);
	}
	jsonschema_destroy(s);
	cr_expect_eq(draws_d(JSONSCHEMA_OAS30, "{\"enum\":[\"a\",\"b\",\"c\",1,null]}", 3, 60, false), 5);
}

Test(jsonschema_gen, numbers)
{
	example("{\"type\":\"integer\",\"minimum\":5}", "5");
	example("{\"type\":\"integer\",\"maximum\":-5}", "-5");
	example("{\"type\":\"integer\",\"minimum\":-5,\"maximum\":5}", "0");
	example("{\"type\":\"integer\",\"minimum\":2.5}", "3");
	example("{\"type\":\"integer\",\"minimum\":5,\"multipleOf\":3}", "6");
	example("{\"type\":\"number\",\"multipleOf\":0.25,\"minimum\":0.3}", "0.5");
	example("{\"allOf\":[{\"type\":\"integer\",\"multipleOf\":4},{\"multipleOf\":6}],"
		"\"minimum\":1}", "12");
	example("{\"type\":\"integer\",\"multipleOf\":0.5,\"minimum\":1}", "1");
	example("{\"type\":\"integer\",\"minimum\":6,\"maximum\":5}", "NULL");
	example("{\"type\":\"integer\",\"minimum\":1,\"maximum\":2,\"multipleOf\":5}", "NULL");
	/* exclusive bounds: booleans in 3.0, numbers in 3.1 */
	example30("{\"type\":\"integer\",\"minimum\":5,\"exclusiveMinimum\":true}", "6");
	example30("{\"type\":\"integer\",\"maximum\":-5,\"exclusiveMaximum\":true}", "-6");
	example30("{\"type\":\"number\",\"minimum\":0,\"maximum\":1,\"exclusiveMinimum\":true}", "0.5");
	example30("{\"type\":\"integer\",\"minimum\":5,\"maximum\":6,\"exclusiveMinimum\":true,"
		  "\"exclusiveMaximum\":true}", "NULL");
	example31("{\"type\":\"integer\",\"exclusiveMinimum\":5}", "6");
	example31("{\"type\":\"number\",\"exclusiveMinimum\":0,\"exclusiveMaximum\":1}", "0.5");
	example31("{\"type\":\"number\",\"exclusiveMinimum\":0.1,\"maximum\":0.2,\"multipleOf\":0.05}",
		  "0.15");
	/* drawn: inside the bounds, and spread */
	cr_expect_eq(draws_d(JSONSCHEMA_OAS31, "{\"type\":\"integer\",\"minimum\":1,\"maximum\":3}",
			     4, 40, false), 3);
	cr_expect_geq(draws_d(JSONSCHEMA_OAS31, "{\"type\":\"number\",\"exclusiveMinimum\":0,"
			      "\"exclusiveMaximum\":1}", 4, 40, false), 30);
	cr_expect_geq(draws_d(JSONSCHEMA_OAS30, "{\"type\":\"number\",\"multipleOf\":0.01,"
			      "\"minimum\":-1,\"maximum\":1}", 4, 40, false), 30);
	draws("{\"type\":\"integer\",\"minimum\":1e15}", 10);
	draws("{\"type\":\"integer\",\"maximum\":-1e15,\"multipleOf\":7}", 10);
}

Test(jsonschema_gen, strings)
{
	example("{\"type\":\"string\",\"minLength\":10}", "\"stringstri\"");
	example("{\"type\":\"string\",\"maxLength\":3}", "\"str\"");
	example("{\"type\":\"string\",\"maxLength\":0}", "\"\"");
	example("{\"type\":\"string\",\"minLength\":4,\"maxLength\":3}", "NULL");
	/* lengths count characters */
	example("{\"type\":\"string\",\"pattern\":\"^é+$\",\"minLength\":3}", "\"ééé\"");
	cr_expect_geq(draws_d(JSONSCHEMA_OAS30, "{\"type\":\"string\",\"minLength\":5,\"maxLength\":9}",
			      8, 30, false), 20);
	draws("{\"type\":\"string\",\"minLength\":200}", 5);
}

/* The example of pattern, and n draws: each matches it. */
static void pattern_case(const char *pattern, const char *want_example, bool varies)
{
	char *schema = NULL;
	cJSON *js = cJSON_CreateObject();
	cJSON_AddStringToObject(js, "type", "string");
	cJSON_AddStringToObject(js, "pattern", pattern);
	schema = json_print(js, NULL);
	cJSON_Delete(js);
	if (want_example)
		example(schema, want_example);
	struct jsonschema *s = schema_ok(JSONSCHEMA_OAS31, schema);
	struct rng r;
	rng_seed(&r, 99);
	size_t distinct = 0;
	char *first = NULL;
	for (int i = 0; i < 50; i++) {
		char *t = gen(s, JSONSCHEMA_GEN_DYNAMIC, false, &r);
		cr_assert_str_neq(t, "NULL", "nothing matches %s", pattern);
		cJSON *v = json_or_fail(t);
		cr_expect(matches(pattern, v->valuestring), "%s does not match %s", t, pattern);
		cJSON_Delete(v);
		if (!first)
			first = t;
		else
			distinct += strcmp(first, t) != 0, free(t);
	}
	if (varies)
		cr_expect_gt(distinct, 0, "%s: always %s", pattern, first);
	free(first);
	free(schema);
	jsonschema_destroy(s);
}

Test(jsonschema_gen, patterns)
{
	pattern_case("^[A-Z]{3}-\\d{4}$", "\"ABC-3456\"", true);
	pattern_case("^(foo|bar)+$", "\"foo\"", true);
	pattern_case("[a-f0-9]{32}", "\"abcdef0123456789abcdef0123456789\"", true);
	pattern_case("^\\+?[1-9]\\d{1,14}$", "\"+11\"", true);
	pattern_case("^[\\w.+-]+@[\\w-]+\\.[a-z]{2,}$", NULL, true);
	pattern_case("^[^\\s@]+$", "\"a\"", true);
	pattern_case("^(\\d{3})-\\1$", "\"012-012\"", true);
	pattern_case("^(?<year>\\d{4})-(?:0[1-9]|1[0-2])$", "\"0123-05\"", true);
	pattern_case("^[[:upper:]][[:digit:]]{2}\\.?$", "\"A12.\"", true);
	pattern_case("^\\p{Lu}\\p{Ll}+$", "\"Ab\"", true);
	pattern_case("^[\\x{4e00}-\\x{9fa5}]{2}$", "\"一丁\"", true);
	pattern_case("^a{2,}b?c*$", "\"aabc\"", true);
	pattern_case("^(?i)abc\\b", "\"abc\"", false);
	pattern_case("^[.\\-\\]]x\\t$", NULL, true);
	pattern_case("^\\Q(a|b)\\E+$", "\"(a|b)\"", true);
	/* lookarounds are not sampled: the regex sorts the draws */
	pattern_case("^(?=.*[A-Z])(?=.*\\d)[A-Za-z\\d]{8,}$", NULL, true);
	/* a pattern with lengths: stretched or padded to fit */
	example("{\"type\":\"string\",\"pattern\":\"^[a-z]+$\",\"minLength\":5}", "\"abcde\"");
	example("{\"type\":\"string\",\"pattern\":\"[0-9]{2}\",\"minLength\":5}", "\"01xxx\"");
	example("{\"type\":\"string\",\"pattern\":\"^[0-9]{2}$\",\"minLength\":5}", "NULL");
	/* two patterns (allOf): both must match */
	example("{\"allOf\":[{\"type\":\"string\",\"pattern\":\"^[a-c]+$\"},{\"pattern\":\"b\"}]}",
		"\"b\"");
	/* beyond the subset: nothing, never something wrong */
	example("{\"type\":\"string\",\"pattern\":\"^(?<x>a)\\\\k<x>$\"}", "NULL");
	/* with a format: the pattern's draws, checked against the format */
	example("{\"type\":\"string\",\"format\":\"date\",\"pattern\":\"^20[0-9]{2}-0[1-9]-1[0-9]$\"}",
		"\"2001-03-13\"");
}

Test(jsonschema_gen, objects)
{
	const char *user = "{\"type\":\"object\",\"required\":[\"id\"],\"properties\":{"
			   "\"id\":{\"type\":\"integer\",\"minimum\":1,\"readOnly\":true},"
			   "\"name\":{\"type\":\"string\"},"
			   "\"password\":{\"type\":\"string\",\"writeOnly\":true},"
			   "\"created\":{\"type\":\"string\",\"format\":\"date\",\"readOnly\":true}}}";
	/* a response leaves writeOnly out; a request leaves readOnly out unless required */
	example(user, "{\"id\":1,\"name\":\"string\",\"created\":\"2024-01-01\"}");
	example_request(user, "{\"id\":1,\"name\":\"string\",\"password\":\"string\"}");
	/* required wins over writeOnly in a response too */
	example("{\"type\":\"object\",\"required\":[\"pw\"],\"properties\":{\"pw\":{\"type\":\"string\","
		"\"writeOnly\":true},\"x\":{\"type\":\"string\",\"writeOnly\":true}}}", "{\"pw\":\"string\"}");
	/* ...also when the flag is on a $ref's target or an allOf branch */
	example("{\"schema\":{\"type\":\"object\",\"properties\":{\"a\":{\"$ref\":\"#/d/S\"},"
		"\"b\":{\"allOf\":[{\"writeOnly\":true}]},\"c\":{\"type\":\"integer\"}}},"
		"\"d\":{\"S\":{\"type\":\"string\",\"writeOnly\":true}}}", "{\"c\":0}");
	/* required members no property declares */
	example("{\"type\":\"object\",\"required\":[\"x\"],\"additionalProperties\":false,"
		"\"patternProperties\":{\"^x$\":{\"type\":\"integer\"}}}", "{\"x\":0}");
	example("{\"type\":\"object\",\"required\":[\"x\"],\"additionalProperties\":{\"type\":\"integer\"}}",
		"{\"x\":0,\"additionalProp1\":0}");
	/* a map shows one entry; minProperties adds more; maxProperties leaves some out */
	example("{\"type\":\"object\",\"additionalProperties\":{\"type\":\"integer\"}}",
		"{\"additionalProp1\":0}");
	example("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},\"minProperties\":3}",
		"{\"a\":\"string\",\"additionalProp1\":\"string\",\"additionalProp2\":\"string\"}");
	example("{\"type\":\"object\",\"properties\":{\"a\":{},\"b\":{},\"c\":{}},\"required\":[\"c\"],"
		"\"maxProperties\":2}", "{\"a\":\"string\",\"c\":\"string\"}");
	example("{\"type\":\"object\",\"minProperties\":2,\"additionalProperties\":false,"
		"\"patternProperties\":{\"^x-[a-z]+$\":{\"type\":\"integer\"}}}", "{\"x-a\":0,\"x-m\":0}");
	example("{\"type\":\"object\",\"minProperties\":1,\"additionalProperties\":false}", "NULL");
	example("{\"type\":\"object\",\"minProperties\":3,\"maxProperties\":2}", "NULL");
	/* additionalProperties: false in one allOf branch forbids the other's properties */
	example("{\"allOf\":[{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}},"
		"\"additionalProperties\":false},{\"properties\":{\"b\":{\"type\":\"integer\"}}}]}",
		"{\"a\":0}");
	/* a property that is the schema false is left out (3.1) */
	example31("{\"type\":\"object\",\"properties\":{\"a\":false,\"b\":true}}", "{\"b\":\"string\"}");
	example31("{\"type\":\"object\",\"required\":[\"a\"],\"properties\":{\"a\":false}}", "NULL");
	/* drawn: optional members come and go, required ones stay */
	cr_expect_geq(draws_d(JSONSCHEMA_OAS30, user, 11, 40, false), 20);
	struct jsonschema *s = schema_ok(JSONSCHEMA_OAS30, user);
	struct rng r;
	rng_seed(&r, 3);
	bool without_name = false, with_name = false;
	for (int i = 0; i < 40; i++) {
		char *t = gen(s, JSONSCHEMA_GEN_DYNAMIC, false, &r);
		cr_expect(!strstr(t, "password"), "%s", t);
		with_name |= strstr(t, "\"name\"") != NULL;
		without_name |= !strstr(t, "\"name\"");
		free(t);
	}
	cr_expect(with_name && without_name);
	jsonschema_destroy(s);
}

Test(jsonschema_gen, arrays)
{
	example("{\"type\":\"array\",\"items\":{\"type\":\"integer\"}}", "[0]");
	example("{\"type\":\"array\"}", "[\"string\"]");
	example("{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"minItems\":3}", "[0,0,0]");
	example("{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"maxItems\":0}", "[]");
	example("{\"type\":\"array\",\"minItems\":3,\"maxItems\":2}", "NULL");
	example("{\"type\":\"array\",\"items\":{\"enum\":[\"a\",\"b\",\"c\"]},\"minItems\":3,"
		"\"uniqueItems\":true}", "[\"a\",\"c\",\"b\"]");
	example("{\"type\":\"array\",\"items\":{\"type\":\"boolean\"},\"minItems\":3,"
		"\"uniqueItems\":true}", "NULL");
	/* unique items drawn until there are enough */
	struct jsonschema *s = schema_ok(JSONSCHEMA_OAS30, "{\"type\":\"array\",\"items\":{\"type\":"
					 "\"integer\",\"minimum\":0,\"maximum\":99},\"minItems\":50,"
					 "\"uniqueItems\":true}");
	cJSON *v = jsonschema_generate(s, JSONSCHEMA_GEN_EXAMPLE, false, NULL);
	cr_assert_not_null(v);
	cr_expect_eq(cJSON_GetArraySize(v), 50);
	cJSON_Delete(v);
	jsonschema_destroy(s);
	/* more items than one instance may hold */
	example("{\"type\":\"array\",\"minItems\":20000}", "NULL");
	cr_expect_geq(draws_d(JSONSCHEMA_OAS31, "{\"type\":\"array\",\"items\":{\"type\":\"integer\","
			      "\"maximum\":9,\"minimum\":0},\"minItems\":1,\"maxItems\":3}", 5, 40, false), 15);
}

Test(jsonschema_gen, all_of)
{
	const char *doc = "{\"schema\":{\"allOf\":[{\"$ref\":\"#/d/Base\"},{\"type\":\"object\","
			  "\"required\":[\"extra\"],\"properties\":{\"extra\":{\"type\":\"integer\","
			  "\"minimum\":5,\"multipleOf\":3},\"id\":{\"minLength\":3}}}]},"
			  "\"d\":{\"Base\":{\"type\":\"object\",\"required\":[\"id\"],"
			  "\"properties\":{\"id\":{\"type\":\"string\"},\"n\":{\"type\":\"integer\"}}}}}";
	/* one object with the branches' members, each valid against every branch's schema */
	example(doc, "{\"id\":\"string\",\"n\":0,\"extra\":6}");
	draws(doc, 30);
	/* allOf back to itself: a $ref loop the validator refuses every instance of */
	example("{\"schema\":{\"$ref\":\"#/d/A\"},\"d\":{\"A\":{\"allOf\":[{\"$ref\":\"#/d/A\"}],"
		"\"type\":\"integer\"}}}", "NULL");
	/* allOf through another schema that does not come back */
	example("{\"schema\":{\"$ref\":\"#/d/A\"},\"d\":{\"A\":{\"allOf\":[{\"$ref\":\"#/d/B\"}],"
		"\"type\":\"integer\"},\"B\":{\"allOf\":[{\"minimum\":4}]}}}", "4");
	/* types narrowed by each branch: integer and number make an integer */
	example("{\"allOf\":[{\"type\":\"number\",\"minimum\":1.5},{\"type\":\"integer\"}]}", "2");
	example("{\"allOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}", "NULL");
}

Test(jsonschema_gen, one_of_any_of)
{
	/* the first branch, unless it makes more than one branch match */
	example("{\"oneOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}", "\"string\"");
	example("{\"anyOf\":[{\"type\":\"integer\",\"minimum\":3},{\"type\":\"string\"}]}", "3");
	example("{\"oneOf\":[{\"type\":\"integer\",\"minimum\":0},{\"type\":\"integer\",\"maximum\":10}]}",
		"150");
	/* 0 is an integer and a number: a number that is not an integer */
	struct jsonschema *s = schema_ok(JSONSCHEMA_OAS31,
					 "{\"oneOf\":[{\"type\":\"integer\"},{\"type\":\"number\"}]}");
	char *t = gen(s, JSONSCHEMA_GEN_EXAMPLE, false, NULL);
	cr_expect(strchr(t, '.'), "%s", t);
	free(t);
	jsonschema_destroy(s);
	/* branches nothing can satisfy exactly once */
	example("{\"oneOf\":[{\"type\":\"string\"},{\"type\":\"string\"}]}", "NULL");
	/* dynamic: every branch comes up */
	s = schema_ok(JSONSCHEMA_OAS30, "{\"oneOf\":[{\"type\":\"string\"},{\"type\":\"integer\"},"
		      "{\"type\":\"boolean\"},{\"type\":\"array\",\"items\":{\"type\":\"string\"}}]}");
	struct rng r;
	rng_seed(&r, 17);
	unsigned seen = 0;
	for (int i = 0; i < 60; i++) {
		cJSON *v = jsonschema_generate(s, JSONSCHEMA_GEN_DYNAMIC, false, &r);
		cr_assert_not_null(v);
		seen |= cJSON_IsString(v) ? 1 : cJSON_IsNumber(v) ? 2 : cJSON_IsBool(v) ? 4 :
			cJSON_IsArray(v) ? 8 : 16;
		cJSON_Delete(v);
	}
	cr_expect_eq(seen, 15u);
	jsonschema_destroy(s);
	draws("{\"oneOf\":[{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}}},"
	      "{\"type\":\"object\",\"required\":[\"b\"],\"properties\":{\"b\":{\"type\":\"integer\"}}}]}",
	      40);
	draws("{\"anyOf\":[{\"type\":\"string\",\"maxLength\":2},{\"type\":\"string\",\"minLength\":5}],"
	      "\"not\":{\"const\":\"\"}}", 40);
}

Test(jsonschema_gen, discriminator)
{
	const char *pets = "{\"schema\":{\"oneOf\":[{\"$ref\":\"#/components/schemas/Cat\"},"
			   "{\"$ref\":\"#/components/schemas/Dog\"}],\"discriminator\":{\"propertyName\":"
			   "\"petType\"}},\"components\":{\"schemas\":{"
			   "\"Cat\":{\"type\":\"object\",\"required\":[\"petType\"],\"properties\":{"
			   "\"petType\":{\"type\":\"string\"},\"meow\":{\"type\":\"boolean\"}}},"
			   "\"Dog\":{\"type\":\"object\",\"required\":[\"petType\",\"bark\"],\"properties\":{"
			   "\"petType\":{\"type\":\"string\"},\"bark\":{\"type\":\"string\"}}}}}}";
	/* the property names the branch built */
	example(pets, "{\"petType\":\"Cat\",\"meow\":true}");
	struct jsonschema *s = schema_ok(JSONSCHEMA_OAS30, pets);
	struct rng r;
	rng_seed(&r, 23);
	unsigned seen = 0;
	for (int i = 0; i < 30; i++) {
		char *t = gen(s, JSONSCHEMA_GEN_DYNAMIC, false, &r);
		seen |= strstr(t, "\"petType\":\"Cat\"") ? 1 : strstr(t, "\"petType\":\"Dog\",\"bark\"") ? 2 : 4;
		free(t);
	}
	cr_expect_eq(seen, 3u);
	jsonschema_destroy(s);
	/* an explicit mapping: its names, and an enum on the property that only one fits */
	const char *mapped = "{\"schema\":{\"oneOf\":[{\"$ref\":\"#/c/Cat\"},{\"$ref\":\"#/c/Dog\"}],"
			     "\"discriminator\":{\"propertyName\":\"kind\",\"mapping\":{"
			     "\"doggy\":\"#/c/Dog\",\"kitty\":\"#/c/Cat\"}}},\"c\":{"
			     "\"Cat\":{\"type\":\"object\",\"required\":[\"kind\"],\"properties\":{"
			     "\"kind\":{\"type\":\"string\",\"enum\":[\"kitty\"]}}},"
			     "\"Dog\":{\"type\":\"object\",\"required\":[\"kind\"],\"properties\":{"
			     "\"kind\":{\"type\":\"string\",\"enum\":[\"kitty\"]}}}}}";
	example(mapped, "{\"kind\":\"kitty\"}");
	draws(mapped, 20);
}

Test(jsonschema_gen, nullable_and_type_lists)
{
	/* 3.0: nullable adds null; the type is shown, null only when nothing else fits */
	example30("{\"type\":\"string\",\"nullable\":true}", "\"string\"");
	example30("{\"type\":\"string\",\"nullable\":true,\"minLength\":3,\"maxLength\":2}", "null");
	/* 3.1: the first type listed that is not null */
	example31("{\"type\":[\"null\",\"integer\",\"string\"]}", "0");
	example31("{\"type\":[\"string\",\"integer\"]}", "\"string\"");
	example31("{\"type\":[\"integer\",\"string\"]}", "0");
	example31("{\"anyOf\":[{\"type\":\"null\"},{\"type\":\"string\"}]}", "null");
	/* boolean schemas */
	example31("true", "\"string\"");
	example31("false", "NULL");
	example31("{\"type\":\"array\",\"items\":false}", "[]");
	example31("{\"type\":\"array\",\"items\":false,\"minItems\":1}", "NULL");
	/* dynamic: null sometimes, the type mostly */
	struct jsonschema *s = schema_ok(JSONSCHEMA_OAS30, "{\"type\":\"integer\",\"nullable\":true}");
	struct rng r;
	rng_seed(&r, 8);
	int nulls = 0;
	for (int i = 0; i < 80; i++) {
		char *t = gen(s, JSONSCHEMA_GEN_DYNAMIC, false, &r);
		nulls += !strcmp(t, "null");
		free(t);
	}
	cr_expect(nulls > 0 && nulls < 40, "%d nulls in 80", nulls);
	jsonschema_destroy(s);
	cr_expect_geq(draws_d(JSONSCHEMA_OAS31, "{\"type\":[\"string\",\"integer\",\"boolean\",\"null\"]}",
			      9, 40, false), 20);
}

/* How deeply v nests containers. */
static int nesting(const cJSON *v)
{
	int most = 0;
	for (const cJSON *e = v->child; e; e = e->next) {
		int n = nesting(e);
		most = n > most ? n : most;
	}
	return most + (cJSON_IsArray(v) || cJSON_IsObject(v));
}

/* Every instance of doc (example, request example, many draws) is valid and at most
 * max_nesting deep. */
static void recursive_case(enum jsonschema_dialect d, const char *doc, int max_nesting)
{
	struct jsonschema *s = schema_ok(d, doc);
	struct rng r;
	rng_seed(&r, 1234);
	for (int i = 0; i < 42; i++) {
		cJSON *v = jsonschema_generate(s, i == 0 ? JSONSCHEMA_GEN_EXAMPLE : JSONSCHEMA_GEN_DYNAMIC,
					       i % 2, &r);
		cr_assert_not_null(v, "nothing for %s (draw %d)", doc, i);
		char *errs = errors_of(s, v);
		cr_assert_str_eq(errs, "");
		free(errs);
		cr_expect_leq(nesting(v), max_nesting, "%s", doc);
		cJSON_Delete(v);
	}
	jsonschema_destroy(s);
}

Test(jsonschema_gen, recursion)
{
	/* a tree: children of children, to JSONSCHEMA_GEN_MAX_DEPTH levels in the example */
	const char *tree = "{\"schema\":{\"$ref\":\"#/d/Node\"},\"d\":{\"Node\":{\"type\":\"object\","
			   "\"required\":[\"value\"],\"properties\":{\"value\":{\"type\":\"integer\"},"
			   "\"children\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/d/Node\"}}}}}}";
	recursive_case(JSONSCHEMA_OAS30, tree, 2 * JSONSCHEMA_GEN_MAX_DEPTH + 1);
	recursive_case(JSONSCHEMA_OAS31, tree, 2 * JSONSCHEMA_GEN_MAX_DEPTH + 1);
	struct jsonschema *s = schema_ok(JSONSCHEMA_OAS30, tree);
	cJSON *v = jsonschema_generate(s, JSONSCHEMA_GEN_EXAMPLE, false, NULL);
	cr_assert_not_null(v);
	/* JSONSCHEMA_GEN_MAX_DEPTH nodes deep, the last without its optional children */
	cr_expect_eq(nesting(v), 2 * JSONSCHEMA_GEN_MAX_DEPTH - 1);
	cJSON_Delete(v);
	jsonschema_destroy(s);
	/* a linked list whose `next` is optional */
	const char *list = "{\"schema\":{\"$ref\":\"#/d/L\"},\"d\":{\"L\":{\"type\":\"object\","
			   "\"properties\":{\"v\":{\"type\":\"string\"},\"next\":{\"$ref\":\"#/d/L\"}}}}}";
	recursive_case(JSONSCHEMA_OAS30, list, JSONSCHEMA_GEN_MAX_DEPTH + 1);
	/* ...and required but nullable: the list ends in null */
	const char *nlist = "{\"schema\":{\"$ref\":\"#/d/L\"},\"d\":{\"L\":{\"type\":\"object\","
			    "\"required\":[\"next\"],\"properties\":{\"next\":{\"anyOf\":["
			    "{\"$ref\":\"#/d/L\"},{\"type\":\"null\"}]}}}}}";
	recursive_case(JSONSCHEMA_OAS31, nlist, JSONSCHEMA_GEN_MAX_DEPTH + 1);
	example31(nlist, "{\"next\":{\"next\":{\"next\":{\"next\":{\"next\":{\"next\":{\"next\":"
		  "{\"next\":null}}}}}}}}");
	const char *tlist = "{\"schema\":{\"$ref\":\"#/d/L\"},\"d\":{\"L\":{\"type\":[\"object\",\"null\"],"
			    "\"required\":[\"next\"],\"properties\":{\"next\":{\"$ref\":\"#/d/L\"}}}}}";
	recursive_case(JSONSCHEMA_OAS31, tlist, JSONSCHEMA_GEN_MAX_DEPTH + 1);
	/* mutual recursion, A requiring a B that may hold an A */
	const char *mutual = "{\"schema\":{\"$ref\":\"#/d/A\"},\"d\":{"
			     "\"A\":{\"type\":\"object\",\"required\":[\"b\"],\"properties\":{"
			     "\"b\":{\"$ref\":\"#/d/B\"}}},"
			     "\"B\":{\"type\":\"object\",\"properties\":{\"a\":{\"$ref\":\"#/d/A\"},"
			     "\"list\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/d/A\"}}}}}}";
	recursive_case(JSONSCHEMA_OAS30, mutual, 4 * JSONSCHEMA_GEN_MAX_DEPTH);
	recursive_case(JSONSCHEMA_OAS31, mutual, 4 * JSONSCHEMA_GEN_MAX_DEPTH);
	/* through oneOf and allOf */
	const char *expr = "{\"schema\":{\"$ref\":\"#/d/E\"},\"d\":{\"E\":{\"oneOf\":["
			   "{\"type\":\"object\",\"required\":[\"op\",\"args\"],\"properties\":{"
			   "\"op\":{\"enum\":[\"+\",\"*\"]},\"args\":{\"type\":\"array\",\"minItems\":2,"
			   "\"items\":{\"$ref\":\"#/d/E\"}}}},"
			   "{\"type\":\"integer\"}]}}}";
	recursive_case(JSONSCHEMA_OAS30, expr, 4 * JSONSCHEMA_GEN_MAX_DEPTH);
	/* a required member that recurses for ever: no finite instance */
	example("{\"schema\":{\"$ref\":\"#/d/A\"},\"d\":{\"A\":{\"type\":\"object\",\"required\":[\"a\"],"
		"\"properties\":{\"a\":{\"$ref\":\"#/d/A\"}}}}}", "NULL");
	example("{\"schema\":{\"$ref\":\"#/d/A\"},\"d\":{\"A\":{\"type\":\"array\",\"minItems\":1,"
		"\"items\":{\"$ref\":\"#/d/A\"}}}}", "NULL");
	/* ...unless it can end: at JSONSCHEMA_GEN_MAX_DEPTH the minimal array is empty */
	example("{\"schema\":{\"$ref\":\"#/d/A\"},\"d\":{\"A\":{\"type\":\"array\","
		"\"items\":{\"$ref\":\"#/d/A\"}}}}", "[[[[[[[[]]]]]]]]");
	/* a tree with two ways back (children and parent): one depth for both */
	const char *both = "{\"schema\":{\"$ref\":\"#/d/N\"},\"d\":{\"N\":{\"type\":\"object\","
			   "\"properties\":{\"parent\":{\"$ref\":\"#/d/N\"},\"children\":{\"type\":"
			   "\"array\",\"items\":{\"$ref\":\"#/d/N\"}}}}}}";
	s = schema_ok(JSONSCHEMA_OAS31, both);
	v = jsonschema_generate(s, JSONSCHEMA_GEN_EXAMPLE, false, NULL);
	cr_assert_not_null(v);
	const cJSON *at = v;
	int parents = 0;
	while ((at = cJSON_GetObjectItemCaseSensitive(at, "parent")))
		parents++;
	cr_expect_eq(parents, JSONSCHEMA_GEN_MAX_DEPTH - 1);
	cr_expect_leq(nesting(v), 2 * JSONSCHEMA_GEN_MAX_DEPTH - 1);
	cJSON_Delete(v);
	jsonschema_destroy(s);
}

Test(jsonschema_gen, bounded_size)
{
	/* a node with five recursive members: the example stops growing, still valid */
	const char *wide = "{\"schema\":{\"$ref\":\"#/d/N\"},\"d\":{\"N\":{\"type\":\"object\","
			   "\"properties\":{\"a\":{\"$ref\":\"#/d/N\"},\"b\":{\"$ref\":\"#/d/N\"},"
			   "\"c\":{\"$ref\":\"#/d/N\"},\"d\":{\"$ref\":\"#/d/N\"},"
			   "\"e\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/d/N\"}}}}}}";
	struct jsonschema *s = schema_ok(JSONSCHEMA_OAS30, wide);
	cJSON *v = jsonschema_generate(s, JSONSCHEMA_GEN_EXAMPLE, false, NULL);
	cr_assert_not_null(v);
	char *t = json_print(v, NULL);
	size_t values = 0;
	for (const char *p = t; *p; p++)
		values += *p == '{' || *p == '[';
	cr_expect_leq(values, JSONSCHEMA_GEN_MAX_VALUES);
	free(t);
	cJSON_Delete(v);
	jsonschema_destroy(s);
	/* too many values asked for */
	example("{\"type\":\"array\",\"minItems\":200,\"items\":{\"type\":\"array\",\"minItems\":200}}",
		"NULL");
	example("{\"type\":\"string\",\"minLength\":1000000}", "NULL");
}

Test(jsonschema_gen, dynamic_reproducible)
{
	const char *doc = "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\","
			  "\"format\":\"uuid\"},\"n\":{\"type\":\"number\"},\"tags\":{\"type\":\"array\","
			  "\"items\":{\"type\":\"string\",\"pattern\":\"^[a-z]{2,6}$\"}},\"when\":{\"type\":"
			  "\"string\",\"format\":\"date-time\"},\"kind\":{\"enum\":[\"a\",\"b\",\"c\"]}}}";
	struct jsonschema *s = schema_ok(JSONSCHEMA_OAS30, doc);
	struct rng a, b, c;
	rng_seed(&a, 42);
	rng_seed(&b, 42);
	rng_seed(&c, 43);
	int differ = 0;
	for (int i = 0; i < 20; i++) {
		char *x = gen(s, JSONSCHEMA_GEN_DYNAMIC, false, &a);
		char *y = gen(s, JSONSCHEMA_GEN_DYNAMIC, false, &b);
		char *z = gen(s, JSONSCHEMA_GEN_DYNAMIC, false, &c);
		cr_expect_str_eq(x, y, "the same seed, draw %d", i);
		differ += strcmp(x, z) != 0;
		free(x);
		free(y);
		free(z);
	}
	cr_expect_geq(differ, 19);
	jsonschema_destroy(s);
	cr_expect_geq(draws_d(JSONSCHEMA_OAS30, doc, 42, 30, false), 25);
	/* without an rng, dynamic data still comes, always the same */
	s = schema_ok(JSONSCHEMA_OAS31, doc);
	char *x = gen(s, JSONSCHEMA_GEN_DYNAMIC, false, NULL);
	char *y = gen(s, JSONSCHEMA_GEN_DYNAMIC, false, NULL);
	cr_expect_str_eq(x, y);
	cr_expect_str_neq(x, "NULL");
	free(x);
	free(y);
	jsonschema_destroy(s);
}

/* Schemas of every kind, for the property test: each must give an instance every time. */
static const char *const varied[] = {
	"{\"type\":\"string\"}",
	"{\"type\":\"integer\",\"minimum\":-3,\"maximum\":3,\"multipleOf\":3}",
	"{\"type\":\"number\",\"maximum\":-0.5}",
	"{\"type\":\"string\",\"format\":\"date-time\"}",
	"{\"type\":\"string\",\"pattern\":\"^[A-Z]{2}[0-9]{2}[A-Z0-9]{4}[0-9]{7}([A-Z0-9]?){0,16}$\"}",
	"{\"type\":\"string\",\"pattern\":\"^#?([a-fA-F0-9]{6}|[a-fA-F0-9]{3})$\"}",
	"{\"type\":\"string\",\"pattern\":\"^\\\\d{5}(-\\\\d{4})?$\",\"maxLength\":5}",
	"{\"type\":\"array\",\"items\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":5},"
	"\"uniqueItems\":true,\"minItems\":2,\"maxItems\":4}",
	"{\"type\":\"object\",\"required\":[\"a\",\"b\"],\"properties\":{\"a\":{\"type\":\"string\","
	"\"enum\":[\"x\",\"y\"]},\"b\":{\"type\":\"array\",\"items\":{\"type\":\"boolean\"}},"
	"\"c\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\",\"format\":\"email\"}}},"
	"\"additionalProperties\":false}",
	"{\"oneOf\":[{\"type\":\"integer\"},{\"type\":\"number\"},{\"type\":\"string\",\"format\":\"uuid\"}]}",
	"{\"anyOf\":[{\"type\":\"object\",\"required\":[\"x\"]},{\"type\":\"array\",\"minItems\":1}],"
	"\"not\":{\"type\":\"array\",\"maxItems\":1}}",
	"{\"allOf\":[{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\",\"minimum\":1}}},"
	"{\"properties\":{\"a\":{\"maximum\":3}},\"required\":[\"a\"]},{\"minProperties\":2}]}",
	"{\"schema\":{\"$ref\":\"#/d/T\"},\"d\":{\"T\":{\"type\":\"object\",\"properties\":{"
	"\"l\":{\"$ref\":\"#/d/T\"},\"r\":{\"$ref\":\"#/d/T\"},\"v\":{\"type\":\"integer\"}},"
	"\"required\":[\"v\"]}}}",
	"{\"type\":\"object\",\"patternProperties\":{\"^[a-z]{1,3}$\":{\"type\":\"integer\"}},"
	"\"additionalProperties\":false,\"minProperties\":2,\"maxProperties\":3}",
	"{\"schema\":{\"oneOf\":[{\"$ref\":\"#/d/A\"},{\"$ref\":\"#/d/B\"}],\"discriminator\":{"
	"\"propertyName\":\"kind\",\"mapping\":{\"A\":\"#/d/A\",\"B\":\"#/d/B\"}}},\"d\":{"
	"\"A\":{\"type\":\"object\",\"required\":[\"kind\",\"a\"],\"properties\":{\"kind\":"
	"{\"const\":\"A\"},\"a\":{\"type\":\"integer\"}}},\"B\":{\"type\":\"object\",\"required\":"
	"[\"kind\"],\"properties\":{\"kind\":{\"const\":\"B\"}}}}}",
	"{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":{\"type\":\"string\","
	"\"minLength\":1,\"maxLength\":2},\"maxItems\":2},\"minItems\":1}",
	"{\"type\":\"string\",\"format\":\"byte\",\"maxLength\":16}",
	"{\"type\":\"string\",\"format\":\"ipv6\"}",
	"{\"type\":\"number\",\"format\":\"float\",\"minimum\":-1e30}",
	"{\"type\":\"integer\",\"format\":\"int32\",\"maximum\":-2147483000}",
};

Test(jsonschema_gen, property_every_instance_validates)
{
	for (int d = JSONSCHEMA_OAS30; d <= JSONSCHEMA_OAS31; d++)
		for (size_t i = 0; i < sizeof varied / sizeof *varied; i++) {
			/* every draw of draws_d is checked valid and non-NULL */
			for (uint64_t seed = 1; seed <= 10; seed++)
				draws_d((enum jsonschema_dialect)d, varied[i], seed * 7919, 10, seed & 1);
			struct jsonschema *s = schema_ok((enum jsonschema_dialect)d, varied[i]);
			for (int request = 0; request < 2; request++) {
				char *t = gen(s, JSONSCHEMA_GEN_EXAMPLE, request, NULL);
				cr_expect_str_neq(t, "NULL", "no example of %s", varied[i]);
				free(t);
			}
			jsonschema_destroy(s);
			fini();
		}
}

struct thread_arg {
	const struct jsonschema *s;
	struct rng *rng;
	int bad;
};

static void *generate_many(void *p)
{
	struct thread_arg *a = p;
	for (int i = 0; i < 50; i++) {
		cJSON *v = jsonschema_generate(a->s, i % 2 ? JSONSCHEMA_GEN_DYNAMIC : JSONSCHEMA_GEN_EXAMPLE,
					       false, a->rng);
		a->bad += !v || jsonschema_validate(a->s, v, NULL, 0) != 0;
		cJSON_Delete(v);
	}
	return NULL;
}

Test(jsonschema_gen, threads)
{
	struct jsonschema *s = schema_ok(JSONSCHEMA_OAS30, varied[8]);
	struct rng r;
	rng_seed(&r, 77);
	pthread_t t[4];
	struct thread_arg a[4];
	for (int i = 0; i < 4; i++) {
		a[i] = (struct thread_arg){ s, &r, 0 };
		cr_assert_eq(pthread_create(&t[i], NULL, generate_many, &a[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		cr_expect_eq(a[i].bad, 0);
	}
	jsonschema_destroy(s);
}

/* The usual OpenAPI inheritance (Cat: allOf [Pet, ...], Pet's discriminator mapping to
 * Cat) gets an example: the subtype's, with the discriminator set. */
Test(jsonschema_gen, discriminator_inheritance)
{
	static const char text[] =
		"{\"schema\":{\"$ref\":\"#/components/schemas/Pet\"},"
		"\"components\":{\"schemas\":{"
		"\"Pet\":{\"type\":\"object\",\"required\":[\"petType\"],\"properties\":{\"petType\":{\"type\":\"string\"}},"
		"\"discriminator\":{\"propertyName\":\"petType\",\"mapping\":{\"cat\":\"#/components/schemas/Cat\"}}},"
		"\"Cat\":{\"allOf\":[{\"$ref\":\"#/components/schemas/Pet\"},"
		"{\"type\":\"object\",\"required\":[\"meows\"],\"properties\":{\"meows\":{\"type\":\"boolean\"}}}]}}}}";
	example(text, "{\"petType\":\"cat\",\"meows\":true}");
}
