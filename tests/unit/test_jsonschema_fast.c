/* SPDX-License-Identifier: MIT */
/* Unit tests for jsonschema_fast.c (jsonschema_check_json): each keyword valid and invalid,
 * the text read exactly as json_parse reads it (cJSON's quirks included), what it leaves to
 * the validator (-1), and a differential test: random schemas of the keywords real specs
 * use, instances jsonschema_generate draws for them, and those instances broken (as trees
 * and as text). Whenever the fast check answers 0 or 1, the answer must be that of
 * json_parse + jsonschema_validate; on the subset it covers it must answer. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonschema.h"
#include "jsonschema_gen.h"
#include "testutil.h"
#include "util/rng.h"
#include "util/strbuf.h"

/* A resolver over one document: "#/a/b" is the member b of the member a of the root. */
static const cJSON *resolve_pointer(void *cls, const char *ref, const cJSON *from)
{
	(void)from;
	return ref[0] == '#' ? json_get_pointer(cls, ref + 1) : NULL;
}

static cJSON *doc;   /* the document of the last schema compiled; freed in fini */

static void fini(void)
{
	cJSON_Delete(doc);
	doc = NULL;
}

/* The "schema" member of text (text as a whole when it has none), compiled with
 * resolve_pointer over text; NULL when it does not compile (fail: fails the test then). */
static struct jsonschema *compile(enum jsonschema_dialect d, const char *text, bool fail)
{
	cJSON_Delete(doc);
	doc = json_parse(text, strlen(text), NULL);
	cr_assert_not_null(doc, "not JSON: %s", text);
	const cJSON *schema = cJSON_GetObjectItemCaseSensitive(doc, "schema");
	char *err = NULL;
	struct jsonschema *s = jsonschema_compile(schema ? schema : doc, d, resolve_pointer, doc, &err, NULL);
	if (fail)
		cr_assert_not_null(s, "%s does not compile: %s", text, err ? err : "?");
	free(err);
	return s;
}

/* What the fast check must agree with: the text parses and validates. */
static int slow_answer(const struct jsonschema *s, const char *text, size_t len)
{
	cJSON *v = json_parse(text, len, NULL);
	if (!v)
		return 0;
	int ok = jsonschema_validate(s, v, NULL, 0) == 0;
	cJSON_Delete(v);
	return ok;
}

static void check_len(enum jsonschema_dialect d, const char *schema, const char *text, size_t len, int want)
{
	struct jsonschema *s = compile(d, schema, true);
	int fast = jsonschema_check_json(s, text, len);
	int slow = slow_answer(s, text, len);
	cr_expect_eq(fast, want, "%s against %s (3.%d): fast %d, want %d (slow %d)", text, schema,
		     d == JSONSCHEMA_OAS30 ? 0 : 1, fast, want, slow);
	if (want != -1)
		cr_expect_eq(want, slow, "%s against %s: the slow path says %d", text, schema, slow);
	jsonschema_destroy(s);
}

#define check30(schema, text, want) check_len(JSONSCHEMA_OAS30, schema, text, strlen(text), want)
#define check31(schema, text, want) check_len(JSONSCHEMA_OAS31, schema, text, strlen(text), want)
/* the same in both dialects */
#define check(schema, text, want) \
	do { check30(schema, text, want); check31(schema, text, want); } while (0)
/* text with NULs in it: a string literal's length */
#define check_bytes(schema, lit, want) \
	do { \
		check_len(JSONSCHEMA_OAS30, schema, lit, sizeof lit - 1, want); \
		check_len(JSONSCHEMA_OAS31, schema, lit, sizeof lit - 1, want); \
	} while (0)

TestSuite(jsonschema_fast, .fini = fini);

Test(jsonschema_fast, types)
{
	check("{\"type\":\"string\"}", "\"a\"", 1);
	check("{\"type\":\"string\"}", "12", 0);
	check("{\"type\":\"integer\"}", "12", 1);
	check("{\"type\":\"integer\"}", "12.0", 1);
	check("{\"type\":\"integer\"}", "-0", 1);
	check("{\"type\":\"integer\"}", "1e2", 1);
	check("{\"type\":\"integer\"}", "1.5", 0);
	check("{\"type\":\"integer\"}", "1e400", 0);   /* infinite: a number, not an integer */
	check("{\"type\":\"number\"}", "1e400", 1);
	check("{\"type\":\"number\"}", "\"1.5\"", 0);
	check("{\"type\":\"boolean\"}", "false", 1);
	check("{\"type\":\"boolean\"}", "null", 0);
	check("{\"type\":\"null\"}", "null", 1);
	check("{\"type\":\"array\"}", "{}", 0);
	check("{\"type\":\"array\"}", "[1,\"a\",{}]", 1);
	check("{\"type\":\"object\"}", "[]", 0);
	check("{\"type\":\"object\"}", "{\"a\":[1,{\"b\":null}]}", 1);
	check("{}", "[1,{\"a\":null}]", 1);
	check("{\"description\":\"x\",\"example\":1,\"x-foo\":[]}", "true", 1);
}

Test(jsonschema_fast, nullable_and_type_lists)
{
	check30("{\"type\":\"string\",\"nullable\":true}", "null", 1);
	check30("{\"type\":\"string\",\"nullable\":true}", "\"a\"", 1);
	check30("{\"type\":\"string\",\"nullable\":true}", "1", 0);
	check30("{\"type\":\"string\",\"nullable\":false}", "null", 0);
	check30("{\"nullable\":true}", "[]", 1);   /* no type: anything */
	check31("{\"type\":\"string\",\"nullable\":true}", "null", 0);   /* not a 3.1 keyword */
	check31("{\"type\":[\"string\",\"null\"]}", "null", 1);
	check31("{\"type\":[\"string\",\"null\"]}", "\"x\"", 1);
	check31("{\"type\":[\"integer\",\"boolean\"]}", "1.5", 0);
	check31("{\"type\":[\"integer\",\"boolean\"]}", "true", 1);
}

Test(jsonschema_fast, enum_and_const)
{
	check("{\"enum\":[\"a\",\"b\"]}", "\"b\"", 1);
	check("{\"enum\":[\"a\",\"b\"]}", "\"c\"", 0);
	check("{\"enum\":[\"a\",\"b\"]}", "\"\\u0062\"", 1);   /* compared unescaped */
	check("{\"enum\":[\"\\u00e9\"]}", "\"\xc3\xa9\"", 1);
	check("{\"enum\":[\"a\"]}", "\"a\\n\"", 0);
	check("{\"enum\":[\"ab\"]}", "\"a\"", 0);
	check("{\"enum\":[\"a\"]}", "\"ab\"", 0);
	check("{\"enum\":[1,2.5]}", "1.0", 1);               /* numbers numerically */
	check("{\"enum\":[1,2.5]}", "25e-1", 1);
	check("{\"enum\":[1,2.5]}", "\"1\"", 0);
	check("{\"enum\":[\"1\"]}", "1", 0);
	check("{\"enum\":[true,null]}", "true", 1);
	check("{\"enum\":[true,null]}", "null", 1);
	check("{\"enum\":[true,null]}", "false", 0);
	check("{\"enum\":[]}", "1", 0);
	/* containers: unequal to every scalar; equal to one of their kind is the validator's */
	check("{\"enum\":[1,\"a\"]}", "{}", 0);
	check("{\"enum\":[1,\"a\"]}", "[1]", 0);
	check("{\"enum\":[1,{\"x\":[1,2]}]}", "{\"x\":[1,2.0]}", -1);
	check("{\"enum\":[1,{\"x\":1}]}", "[1]", 0);
	check("{\"enum\":[[1]]}", "[1]", -1);
	check("{\"const\":\"a\"}", "\"a\"", 1);
	check("{\"const\":\"a\"}", "\"b\"", 0);
	check("{\"const\":0}", "-0.0", 1);
	check("{\"const\":0}", "false", 0);
	check("{\"const\":false}", "false", 1);
	check("{\"const\":null}", "null", 1);
	check("{\"const\":null}", "0", 0);
	check("{\"const\":{\"a\":1}}", "{\"a\":1}", -1);
	check("{\"const\":{\"a\":1}}", "[]", 0);
}

Test(jsonschema_fast, objects)
{
	const char *s = "{\"type\":\"object\",\"required\":[\"name\",\"age\"],"
			"\"properties\":{\"name\":{\"type\":\"string\"},\"age\":{\"type\":\"integer\","
			"\"minimum\":0}}}";
	check(s, "{\"name\":\"x\",\"age\":3,\"more\":1}", 1);
	check(s, "{\"age\":3,\"name\":\"x\"}", 1);
	check(s, "{\"age\":-1,\"name\":\"x\"}", 0);
	check(s, "{\"age\":1}", 0);
	check(s, "{\"name\":12,\"age\":1}", 0);
	check(s, "{\"n\\u0061me\":\"x\",\"age\":3}", 1);    /* names compared unescaped */
	check(s, "{\"n\\u0061me\":1,\"age\":3}", 0);
	check(s, "\"s\"", 0);
	check("{\"additionalProperties\":false,\"properties\":{\"a\":{}}}", "{\"a\":1}", 1);
	check("{\"additionalProperties\":false,\"properties\":{\"a\":{}}}", "{\"a\":1,\"b\":2}", 0);
	check("{\"additionalProperties\":false}", "{}", 1);
	check("{\"additionalProperties\":{\"type\":\"integer\"},\"properties\":{\"a\":{}}}",
	      "{\"a\":\"s\",\"b\":2}", 1);
	check("{\"additionalProperties\":{\"type\":\"integer\"},\"properties\":{\"a\":{}}}",
	      "{\"a\":\"s\",\"b\":2,\"c\":\"x\"}", 0);
	check("{\"minProperties\":2,\"maxProperties\":3}", "{\"a\":1}", 0);
	check("{\"minProperties\":2,\"maxProperties\":3}", "{\"a\":1,\"b\":2}", 1);
	check("{\"minProperties\":2,\"maxProperties\":3}", "{\"a\":1,\"b\":2,\"c\":3,\"d\":4}", 0);
	/* properties and required only apply to objects */
	check("{\"required\":[\"a\"],\"minProperties\":3}", "\"s\"", 1);
	/* a required name that is no property (an allOf branch of its own, typically) */
	check("{\"required\":[\"a\",\"b\"]}", "{\"b\":1,\"a\":2}", 1);
	check("{\"required\":[\"a\",\"b\"]}", "{\"b\":1,\"c\":2}", 0);
	check("{\"required\":[\"a\",\"a\"],\"properties\":{\"b\":{}}}", "{\"b\":1,\"a\":2}", 1);
	check("{\"allOf\":[{\"properties\":{\"a\":{\"type\":\"string\"}}},{\"required\":[\"a\"]}]}",
	      "{\"a\":\"x\"}", 1);
	check("{\"allOf\":[{\"properties\":{\"a\":{\"type\":\"string\"}}},{\"required\":[\"a\"]}]}",
	      "{\"b\":\"x\"}", 0);
	check("{\"allOf\":[{\"properties\":{\"a\":{\"type\":\"string\"}}},{\"required\":[\"a\"]}]}",
	      "{\"a\":1}", 0);
	/* repeated members: each is checked (cJSON keeps both), counted once as required */
	check(s, "{\"name\":\"x\",\"age\":3,\"name\":\"y\"}", 1);
	check(s, "{\"name\":\"x\",\"age\":3,\"name\":5}", 0);
	check("{\"required\":[\"a\",\"b\"],\"properties\":{\"a\":{},\"b\":{}}}", "{\"a\":1,\"a\":2}", 0);
	check("{\"maxProperties\":1}", "{\"a\":1,\"a\":2}", 0);
	/* two properties of one name: both apply */
	check("{\"properties\":{\"a\":{\"type\":\"string\"},\"a\":{\"maxLength\":1}}}", "{\"a\":\"x\"}", 1);
	check("{\"properties\":{\"a\":{\"type\":\"string\"},\"a\":{\"maxLength\":1}}}", "{\"a\":\"xy\"}", 0);
	check("{\"required\":[\"a\"],\"properties\":{\"a\":{},\"a\":{}}}", "{\"a\":1}", 1);
	/* members in any order, the same as in schema order */
	const char *abc = "{\"required\":[\"a\",\"b\",\"c\"],\"additionalProperties\":false,"
			  "\"properties\":{\"a\":{\"type\":\"integer\"},\"b\":{\"type\":\"integer\"},"
			  "\"c\":{\"type\":\"integer\"}}}";
	check(abc, "{\"a\":1,\"b\":2,\"c\":3}", 1);
	check(abc, "{\"c\":1,\"b\":2,\"a\":3}", 1);
	check(abc, "{\"b\":1,\"c\":2,\"a\":3}", 1);
	check(abc, "{\"b\":1,\"c\":2,\"a\":\"3\"}", 0);
	check(abc, "{\"b\":1,\"c\":2,\"d\":3}", 0);
	/* a long escaped name (unescaped on the heap) */
	struct strbuf name = STRBUF_INIT, sch = STRBUF_INIT, text = STRBUF_INIT;
	for (int i = 0; i < 300; i++)
		strbuf_adds(&name, "ab");
	strbuf_addf(&sch, "{\"required\":[\"%s\"],\"properties\":{\"%s\":{\"type\":\"integer\"}}}", name.buf, name.buf);
	strbuf_addf(&text, "{\"\\u0061%s\":1}", name.buf + 1);
	check(sch.buf, text.buf, 1);
	strbuf_reset(&text);
	strbuf_addf(&text, "{\"\\u0061%s\":true}", name.buf + 1);
	check(sch.buf, text.buf, 0);
	strbuf_release(&name);
	strbuf_release(&sch);
	strbuf_release(&text);
}

/* A member expected next is matched with its colon as one 16-byte head ('"' name '"' ':',
 * names of up to 13 bytes, with 16 bytes of text left): the edges of that, and the other
 * ways a member is written, which the slower ways take. */
Test(jsonschema_fast, member_heads)
{
	const char *s = "{\"type\":\"object\",\"required\":[\"abcdefghijklm\",\"abcdefghijklmn\",\"a\"],"
			"\"additionalProperties\":false,"
			"\"properties\":{\"abcdefghijklm\":{\"type\":\"integer\"},"
			"\"abcdefghijklmn\":{\"type\":\"integer\"},\"a\":{\"type\":\"string\"},"
			"\"ab\":{\"type\":\"integer\"},\"q\\\"\":{\"type\":\"integer\"}}}";
	/* names of 13 (the longest head) and 14 bytes (none) */
	check(s, "{\"abcdefghijklm\":1,\"abcdefghijklmn\":2,\"a\":\"x\"}", 1);
	check(s, "{\"abcdefghijklm\":\"1\",\"abcdefghijklmn\":2,\"a\":\"x\"}", 0);
	check(s, "{\"abcdefghijklm\":1,\"abcdefghijklmn\":\"2\",\"a\":\"x\"}", 0);
	/* white space around the colon, of every kind */
	check(s, "{\"abcdefghijklm\" :1,\"abcdefghijklmn\"\t: 2,\"a\":\n\r\t \"x\"}", 1);
	check(s, "{\"abcdefghijklm\":  1,\"abcdefghijklmn\":\n2,\"a\" : \"x\"}", 1);
	check(s, "{\"abcdefghijklm\":  \"1\",\"abcdefghijklmn\":2,\"a\":\"x\"}", 0);
	/* no colon, or something else where it goes */
	check(s, "{\"abcdefghijklm\"1,\"abcdefghijklmn\":2,\"a\":\"x\"}", 0);
	check(s, "{\"abcdefghijklm\";1,\"abcdefghijklmn\":2,\"a\":\"x\"}", 0);
	check(s, "{\"abcdefghijklm\":", 0);
	check(s, "{\"abcdefghijklm\":     ", 0);
	/* a name that begins as the expected one, or that it begins as */
	check(s, "{\"abcdefghijklmn\":1,\"abcdefghijklm\":2,\"a\":\"x\"}", 1);
	check(s, "{\"abcdefghijklm\":1,\"abcdefghijklmn\":2,\"ab\":3,\"a\":\"x\"}", 1);
	check(s, "{\"abcdefghijklm\":1,\"abcdefghijklmn\":2,\"a\":\"x\",\"ab\":\"3\"}", 0);
	check(s, "{\"abcdefghijklm\":1,\"abcdefghijklmn\":2,\"a\":\"x\",\"abc\":3}", 0);
	/* an escaped name, a name with a quote (no head), a member at the text's end (fewer
	 * than 16 bytes left) */
	check(s, "{\"abcdefghijkl\\u006d\":1,\"abcdefghijklmn\":2,\"a\":\"x\"}", 1);
	check(s, "{\"abcdefghijklm\":1,\"abcdefghijklmn\":2,\"a\":\"x\",\"q\\\"\":1}", 1);
	check(s, "{\"abcdefghijklm\":1,\"abcdefghijklmn\":2,\"a\":\"x\",\"q\\\"\":\"1\"}", 0);
	check(s, "{\"abcdefghijklmn\":2,\"abcdefghijklm\":1,\"a\":\"x\"}", 1);
	check(s, "{\"abcdefghijklmn\":2,\"abcdefghijklm\":1,\"a\":1}", 0);
	check(s, "{\"abcdefghijklm\":1,\"a\":\"x\"}", 0);
	/* a repeated member, matched by its head again */
	check(s, "{\"abcdefghijklm\":1,\"abcdefghijklm\":1,\"abcdefghijklmn\":2,\"a\":\"x\"}", 1);
	check(s, "{\"abcdefghijklm\":1,\"abcdefghijklm\":\"1\",\"abcdefghijklmn\":2,\"a\":\"x\"}", 0);
}

Test(jsonschema_fast, arrays)
{
	check("{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"minItems\":1,\"maxItems\":3}", "[1,2]", 1);
	check("{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"minItems\":1,\"maxItems\":3}", "[]", 0);
	check("{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"minItems\":1,\"maxItems\":3}", "[1,2,3,4]", 0);
	check("{\"items\":{\"type\":\"integer\"}}", "[1,\"a\",3]", 0);
	check("{\"items\":{\"type\":\"integer\"}}", "{\"a\":\"b\"}", 1);   /* items only for arrays */
	check("{\"items\":{\"items\":{\"enum\":[1]}}}", "[[1,1],[],[1]]", 1);
	check("{\"items\":{\"items\":{\"enum\":[1]}}}", "[[1,1],[],[2]]", 0);
	check("{\"uniqueItems\":true}", "[1,2]", -1);
	check("{\"uniqueItems\":false}", "[1,1]", 1);
}

Test(jsonschema_fast, strings)
{
	check("{\"minLength\":2,\"maxLength\":3}", "\"ab\"", 1);
	check("{\"minLength\":2}", "\"a\"", 0);
	check("{\"maxLength\":3}", "\"abcd\"", 0);
	/* code points: UTF-8 as written, and escapes (a surrogate pair is one) */
	check("{\"maxLength\":4,\"minLength\":4}", "\"\xc5\xbc\xc3\xb3\xc5\x82w\"", 1);
	check("{\"maxLength\":1}", "\"\xf0\x9f\x98\x80\"", 1);
	check("{\"maxLength\":1,\"minLength\":1}", "\"\\ud83d\\ude00\"", 1);
	check("{\"maxLength\":2,\"minLength\":2}", "\"\\u00e9\\n\"", 1);
	check("{\"maxLength\":1}", "\"\\u00e9\\n\"", 0);
	check("{\"minLength\":9}", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\"", 1);
	check("{\"minLength\":10}", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\"", 0);
	check("{\"pattern\":\"^[a-z]+$\"}", "\"abc\"", 1);
	check("{\"pattern\":\"^[a-z]+$\"}", "\"ab1\"", 0);
	check("{\"pattern\":\"b\"}", "\"abc\"", 1);   /* searched, as JavaScript does */
	check("{\"pattern\":\"^a\\nb$\"}", "\"a\\nb\"", 1);
	check("{\"pattern\":\"^\\u00e9$\"}", "\"\\u00e9\"", 1);
	check("{\"pattern\":\"^x\"}", "1", 1);   /* strings only */
	/* a long string with an escape: unescaped on the heap */
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, "\"\\u0061");
	for (int i = 0; i < 1000; i++)
		strbuf_addc(&sb, 'a');
	strbuf_addc(&sb, '"');
	check("{\"pattern\":\"^a+$\",\"maxLength\":1001}", sb.buf, 1);
	check("{\"pattern\":\"^a+$\",\"maxLength\":1000}", sb.buf, 0);
	check("{\"enum\":[\"a\"],\"pattern\":\"^a+$\"}", sb.buf, 0);
	strbuf_release(&sb);
}

Test(jsonschema_fast, numbers)
{
	check("{\"minimum\":1,\"maximum\":3}", "1", 1);
	check("{\"minimum\":1,\"maximum\":3}", "3", 1);
	check("{\"minimum\":1,\"maximum\":3}", "0.999", 0);
	check("{\"minimum\":1,\"maximum\":3}", "3.0001", 0);
	check("{\"minimum\":1,\"maximum\":3}", "\"5\"", 1);
	check30("{\"minimum\":1,\"exclusiveMinimum\":true}", "1", 0);
	check30("{\"minimum\":1,\"exclusiveMinimum\":true}", "1.5", 1);
	check30("{\"maximum\":1,\"exclusiveMaximum\":true}", "1", 0);
	check30("{\"exclusiveMaximum\":true}", "1e300", 1);   /* without maximum: nothing */
	check31("{\"exclusiveMinimum\":1}", "1", 0);
	check31("{\"exclusiveMinimum\":1}", "1.01", 1);
	check31("{\"exclusiveMaximum\":1,\"maximum\":5}", "1", 0);
	check31("{\"exclusiveMaximum\":5,\"maximum\":1}", "1", 1);
	check("{\"multipleOf\":0.01}", "19.99", 1);
	check("{\"multipleOf\":0.01}", "19.999", 0);
	check("{\"multipleOf\":3}", "-9", 1);
	check("{\"multipleOf\":3}", "10", 0);
	check("{\"multipleOf\":3}", "1e400", 0);
	check("{\"maximum\":1e308}", "1e400", 0);
	check("{\"minimum\":0}", "-0", 1);
	/* as cJSON reads them: strtod on the longest run of number characters */
	check("{\"maximum\":1}", "01", 1);
	check("{\"maximum\":1}", "1.", 1);
	check("{\"maximum\":-0.4}", "-.5", 1);
	check("{\"type\":\"integer\"}", "00.0e0", 1);
	check("{\"minimum\":123456789012345678}", "123456789012345678", 1);
	check("{\"maximum\":0.1}", "0.1000000000000000055511151231257827", 1);
	check("{\"maximum\":0.1}", "0.1000000000000001", 0);
	check("{\"maximum\":9007199254740993}", "9007199254740993", 1);
	check("{}", "1.2.3", 0);
	check("{}", "[1e5e5]", 0);
	check("{}", "[1-2]", 0);
	check("{}", "-", 0);
	check("{}", "+1", 0);
	check("{}", ".5", 0);
	check("{}", "[0x10]", 0);
	check("{}", "Infinity", 0);
	/* read without strtod up to 15 digits (both sides of the point together), with it after */
	check("{\"maximum\":12345678.1234567}", "12345678.1234567", 1);
	check("{\"maximum\":12345678.1234567}", "12345678.1234568", 0);
	check("{\"maximum\":12345678.1234567}", "12345678.12345671", 0);
	check("{\"maximum\":12345678.1234567}", "-12345678.12345671", 1);
	check("{\"items\":{\"type\":\"integer\",\"maximum\":2}}", "[1.0,2,-3.00,0 ,1.]", 1);
	check("{\"items\":{\"type\":\"integer\"}}", "[1.0,2,-3.5]", 0);
	check("{\"items\":{\"maximum\":2}}", "[1.5e0,2.5]", 0);
	check("{}", "-x", 0);
	check("{}", "[-]", 0);
	check("{}", "[1.-2]", 0);
	/* 63 characters or more: cJSON 1.7.15 cut them, later versions do not */
	check("{}", "1000000000000000000000000000000000000000000000000000000000000000", -1);
	check("{}", "100000000000000000000000000000000000000000000000000000000000000", -1);
	check("{}", "10000000000000000000000000000000000000000000000000000000000000", 1);
}

Test(jsonschema_fast, formats)
{
	check("{\"format\":\"uuid\"}", "\"7f0c1a44-8a4b-4bb5-a0f0-3c2cbf3bd9a1\"", 1);
	check("{\"format\":\"uuid\"}", "\"7f0c1a44-8a4b-4bb5-a0f0-3c2cbf3bd9a\"", 0);
	check("{\"format\":\"email\"}", "\"ada@example.com\"", 1);
	check("{\"format\":\"email\"}", "\"ada@\"", 0);
	check("{\"format\":\"date-time\"}", "\"2024-01-02T03:04:05Z\"", 1);
	check("{\"format\":\"date-time\"}", "\"2024-01-02T03:04:05\"", 0);
	check("{\"format\":\"date\"}", "\"2024-02-29\"", 1);
	check("{\"format\":\"date\"}", "\"2023-02-29\"", 0);
	check("{\"format\":\"uri\"}", "\"https://example.com/r\"", 1);
	check("{\"format\":\"uri\"}", "\"example.com\"", 0);
	check("{\"format\":\"ipv4\"}", "\"10.0.0.1\"", 1);
	check("{\"format\":\"ipv4\"}", "\"10.0.0.256\"", 0);
	check("{\"format\":\"ipv6\"}", "\"::1\"", 1);
	check("{\"format\":\"ipv6\"}", "\"::g\"", 0);
	check("{\"format\":\"byte\"}", "\"aGk=\"", 1);
	check("{\"format\":\"byte\"}", "\"aGk\"", 0);
	check("{\"format\":\"hostname\"}", "\"?\"", 1);   /* not checked: an annotation */
	check("{\"format\":\"int32\"}", "2147483647", 1);
	check("{\"format\":\"int32\"}", "2147483648", 0);
	check("{\"format\":\"int32\"}", "1.5", 0);
	check("{\"format\":\"int64\"}", "9223372036854775807", 0);   /* 2^63 as a double */
	check("{\"format\":\"int64\"}", "-9223372036854775808", 1);
	check("{\"format\":\"float\"}", "1e38", 1);
	check("{\"format\":\"float\"}", "1e39", 0);
	check("{\"format\":\"double\"}", "1e400", 1);
	check("{\"format\":\"date\"}", "20240101", 1);   /* string formats on strings only */
	check("{\"format\":\"int32\"}", "\"x\"", 1);
	check("{\"format\":\"date\"}", "\"2024-01-0\\u0031\"", 1);   /* checked unescaped */
}

/* The string formats read the value as written, bounded by its length (no copy, no NUL):
 * the edges where a C string's NUL used to stop them. */
Test(jsonschema_fast, formats_at_their_ends)
{
	check("{\"format\":\"uuid\"}", "\"7F0C1A44-8A4B-4BB5-A0F0-3C2CBF3BD9A1\"", 1);
	check("{\"format\":\"uuid\"}", "\"7f0c1a44-8a4b-4bb5-a0f0-3c2cbf3bd9a1a\"", 0);
	check("{\"format\":\"uuid\"}", "\"7f0c1a448-a4b-4bb5-a0f0-3c2cbf3bd9a1\"", 0);
	check("{\"format\":\"uuid\"}", "\"7f0c1a44-8a4b-4bb5-a0f0-3c2cbf3bd9ag\"", 0);
	check("{\"format\":\"uuid\"}", "\"7f0c1a44-8a4b-4bb5-a0f0-3c2cbf3bd9a\\u0031\"", 1);
	check("{\"format\":\"uuid\"}", "\"7f0c1a44-8a4b-4bb5-a0f0-3c2cbf3bd9\xc3\xa9\"", 0);
	check("{\"format\":\"date\"}", "\"2024-01-011\"", 0);
	check("{\"format\":\"date\"}", "\"2024/01-01\"", 0);
	check("{\"format\":\"date\"}", "\"2024-01/01\"", 0);
	check("{\"format\":\"date\"}", "\"2O24-01-01\"", 0);
	check("{\"format\":\"date\"}", "\"2024-0:-01\"", 0);
	check("{\"format\":\"date\"}", "\"2024-01-0\xc3\"", 0);
	check("{\"format\":\"date\"}", "\"\xb2" "024-01-01\"", 0);
	check("{\"format\":\"date-time\"}", "\"2024-01-02T03-04:05Z\"", 0);
	check("{\"format\":\"date-time\"}", "\"2024-01-02T03:04:/5Z\"", 0);
	check("{\"format\":\"date-time\"}", "\"2024-01-02T03:04:0\xb5Z\"", 0);
	check("{\"format\":\"date-time\"}", "\"2024-01-02t23:59:60z\"", 1);
	check("{\"format\":\"date-time\"}", "\"2024-01-02T03:04:05.5Z\"", 1);
	check("{\"format\":\"date-time\"}", "\"2024-01-02T03:04:05.\"", 0);
	check("{\"format\":\"date-time\"}", "\"2024-01-02T03:04:05.Z\"", 0);
	check("{\"format\":\"date-time\"}", "\"2024-01-02T03:04:05.123\"", 0);
	check("{\"format\":\"date-time\"}", "\"2024-01-02T03:04:05Zx\"", 0);
	check("{\"format\":\"date-time\"}", "\"2024-01-02T03:04:05+01:00\"", 1);
	check("{\"format\":\"date-time\"}", "\"2024-01-02T03:04:05+01:0\"", 0);
	check("{\"format\":\"date-time\"}", "\"2024-01-02T03:04:05+01:000\"", 0);
	check("{\"format\":\"date-time\"}", "\"2024-01-02T03:04:05\\u005a\"", 1);
	check("{\"format\":\"email\"}", "\"@example.com\"", 0);
	check("{\"format\":\"email\"}", "\"a@b@example.com\"", 0);
	check("{\"format\":\"email\"}", "\"ada@example.\"", 0);
	check("{\"format\":\"email\"}", "\"ada@x..com\"", 0);
	check("{\"format\":\"email\"}", "\"ada@-x.com\"", 0);
	check("{\"format\":\"email\"}", "\"ada@x-.com\"", 0);
	check("{\"format\":\"email\"}", "\"ada@x\"", 1);
	check("{\"format\":\"email\"}", "\"ada\\u0040example.com\"", 1);
	check("{\"format\":\"uri\"}", "\"a:\"", 1);
	check("{\"format\":\"uri\"}", "\"a\"", 0);
	check("{\"format\":\"uri\"}", "\"a:%41\"", 1);
	check("{\"format\":\"uri\"}", "\"a:%4\"", 0);
	check("{\"format\":\"uri\"}", "\"a:%\"", 0);
	check("{\"format\":\"uri\"}", "\"1a:b\"", 0);
	check("{\"format\":\"ipv4\"}", "\"1.2.3.4\"", 1);
	check("{\"format\":\"ipv4\"}",
	      "\"1.2.3.4 5678901234567890123456789012345678901234567890123456789012345\"", 0);
	check("{\"format\":\"ipv6\"}", "\"0:0:0:0:0:ffff:255.255.255.255\"", 1);
	check("{\"format\":\"byte\"}", "\"\"", 1);
	check("{\"format\":\"byte\"}", "\"a===\"", 0);
	check("{\"format\":\"byte\"}", "\"aG\\u006b=\"", 1);
}

/* Strings are scanned sixteen bytes at a time (SSE2), then eight, then one by one near the
 * end of the text: a quote, an escape, a non-ASCII or a NUL byte at every offset, with
 * the text ending at several distances after the string. */
Test(jsonschema_fast, strings_at_every_offset)
{
	static const struct { const char *x; size_t cps; int nul; } specials[] = {
		{ "", 0, 0 }, { "\\n", 1, 0 }, { "\xc3\xa9", 1, 0 }, { "\\u00e9", 1, 0 },
		{ "\\ud83d\\ude00", 1, 0 }, { "\0", 1, 1 },
	};
	for (size_t i = 0; i < sizeof specials / sizeof *specials; i++)
		for (size_t k = 0; k < 40; k++)
			for (size_t tail = 0; tail < 24; tail += 7) {
				char text[128], schema[64];
				size_t xlen = specials[i].nul ? 1 : strlen(specials[i].x), n = 0;
				text[n++] = '[';
				text[n++] = '"';
				memset(text + n, 'a', k);
				n += k;
				memcpy(text + n, specials[i].x, xlen);
				n += xlen;
				memset(text + n, 'b', k % 5);
				n += k % 5;
				text[n++] = '"';
				memset(text + n, ' ', tail);
				n += tail;
				text[n++] = ']';
				size_t cps = k + specials[i].cps + k % 5;
				/* a NUL ends cJSON's value: left to the validator where the value counts */
				snprintf(schema, sizeof schema, "{\"items\":{\"maxLength\":%zu}}", cps);
				check_len(JSONSCHEMA_OAS30, schema, text, n, specials[i].nul ? -1 : 1);
				snprintf(schema, sizeof schema, "{\"items\":{\"maxLength\":%zu}}", cps - (cps > 0));
				check_len(JSONSCHEMA_OAS30, schema, text, n, specials[i].nul ? -1 : cps == 0);
				check_len(JSONSCHEMA_OAS30, "{\"items\":{}}", text, n, 1);
				check_len(JSONSCHEMA_OAS30, "{\"items\":{}}", text, n - 1, 0);   /* no ']' */
			}
}

/* A member's or an item's scalar against one node by itself is checked without the list
 * of nodes in effect; through a $ref or an allOf it takes the list. Both must agree. */
Test(jsonschema_fast, scalars_alone_and_in_lists)
{
	const char *alone = "{\"properties\":{\"a\":{\"type\":\"string\",\"enum\":[\"new\",\"paid\"]},"
			    "\"n\":{\"type\":\"integer\",\"maximum\":5},\"b\":{\"type\":\"boolean\"}},"
			    "\"items\":{\"type\":\"string\",\"maxLength\":2}}";
	check(alone, "{\"a\":\"new\",\"n\":5,\"b\":true}", 1);
	check(alone, "{\"a\":\"ne\"}", 0);
	check(alone, "{\"a\":\"newer\"}", 0);
	check(alone, "{\"a\":\"n\\u0065w\"}", 1);
	check(alone, "{\"n\":6}", 0);
	check(alone, "{\"n\":5.5}", 0);
	check(alone, "{\"n\":5e0}", 1);   /* strtod's way */
	check(alone, "{\"n\":0.6e1}", 0);
	check(alone, "{\"b\":null}", 0);
	check(alone, "{\"a\":nul}", 0);
	check(alone, "{\"a\":}", 0);
	check(alone, "{\"a\":", 0);
	check(alone, "{\"n\":-}", 0);
	check(alone, "[\"ab\",\"c\"]", 1);
	check(alone, "[\"ab\",\"abc\"]", 0);
	check(alone, "[\"ab\",1]", 0);
	check(alone, "[\"ab\",[]]", 0);
	check(alone, "[\"ab\"", 0);
	const char *listed = "{\"schema\":{\"properties\":{\"a\":{\"$ref\":\"#/S\"},"
			     "\"b\":{\"allOf\":[{\"$ref\":\"#/S\"},{\"maxLength\":3}]}},"
			     "\"items\":{\"$ref\":\"#/S\"}},"
			     "\"S\":{\"type\":\"string\",\"enum\":[\"new\",\"paid\"]}}";
	check(listed, "{\"a\":\"new\",\"b\":\"new\"}", 1);
	check(listed, "{\"a\":\"old\"}", 0);
	check(listed, "{\"b\":\"paid\"}", 0);
	check(listed, "{\"a\":1}", 0);
	check(listed, "[\"new\",\"paid\"]", 1);
	check(listed, "[\"new\",\"x\"]", 0);
	check(listed, "[\"new\",null]", 0);
}

Test(jsonschema_fast, refs_allof_and_false)
{
	const char *tree = "{\"schema\":{\"$ref\":\"#/defs/Node\"},\"defs\":{\"Node\":{\"type\":\"object\","
			   "\"required\":[\"v\"],\"properties\":{\"v\":{\"type\":\"integer\"},"
			   "\"kids\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/defs/Node\"}}}}}}";
	check(tree, "{\"v\":1,\"kids\":[{\"v\":2},{\"v\":3,\"kids\":[{\"v\":4}]}]}", 1);
	check(tree, "{\"v\":1,\"kids\":[{\"v\":2},{\"v\":3,\"kids\":[{\"w\":4}]}]}", 0);
	/* a chain of refs */
	check("{\"schema\":{\"$ref\":\"#/defs/A\"},\"defs\":{\"A\":{\"$ref\":\"#/defs/B\"},"
	      "\"B\":{\"type\":\"string\"}}}", "\"x\"", 1);
	check("{\"schema\":{\"$ref\":\"#/defs/A\"},\"defs\":{\"A\":{\"$ref\":\"#/defs/B\"},"
	      "\"B\":{\"type\":\"string\"}}}", "1", 0);
	/* 3.0 ignores a ref's siblings; 3.1 applies them */
	const char *sib = "{\"schema\":{\"$ref\":\"#/defs/S\",\"maxLength\":1},\"defs\":{\"S\":{\"type\":\"string\"}}}";
	check30(sib, "\"ab\"", 1);
	check31(sib, "\"ab\"", 0);
	/* a ref that never reaches a value: the validator's depth limit */
	check("{\"schema\":{\"$ref\":\"#/defs/L\"},\"defs\":{\"L\":{\"$ref\":\"#/defs/L\"}}}", "1", -1);
	check("{\"allOf\":[{\"type\":\"integer\"},{\"minimum\":2},{\"allOf\":[{\"maximum\":5}]}]}", "3", 1);
	check("{\"allOf\":[{\"type\":\"integer\"},{\"minimum\":2},{\"allOf\":[{\"maximum\":5}]}]}", "6", 0);
	check("{\"allOf\":[{\"type\":\"integer\"},{\"minimum\":2},{\"allOf\":[{\"maximum\":5}]}]}", "2.5", 0);
	check("{\"type\":\"object\",\"allOf\":[{\"properties\":{\"a\":{\"type\":\"string\"}}},"
	      "{\"properties\":{\"a\":{\"maxLength\":2}}}]}", "{\"a\":\"xy\"}", 1);
	check("{\"type\":\"object\",\"allOf\":[{\"properties\":{\"a\":{\"type\":\"string\"}}},"
	      "{\"properties\":{\"a\":{\"maxLength\":2}}}]}", "{\"a\":\"xyz\"}", 0);
	/* additionalProperties false in one branch counts that branch's properties only */
	check("{\"allOf\":[{\"properties\":{\"a\":{}}},{\"properties\":{\"b\":{}},"
	      "\"additionalProperties\":false}]}", "{\"b\":1}", 1);
	check("{\"allOf\":[{\"properties\":{\"a\":{}}},{\"properties\":{\"b\":{}},"
	      "\"additionalProperties\":false}]}", "{\"a\":1,\"b\":1}", 0);
	check31("{\"properties\":{\"x\":false,\"y\":true}}", "{\"y\":1}", 1);
	check31("{\"properties\":{\"x\":false,\"y\":true}}", "{\"x\":1}", 0);
	check31("false", "1", 0);
	check31("true", "[1]", 1);
	check31("{\"items\":false}", "[]", 1);
	check31("{\"items\":false}", "[1]", 0);
}

Test(jsonschema_fast, left_to_the_validator)
{
	check("{\"anyOf\":[{\"type\":\"string\"}]}", "\"a\"", -1);
	check("{\"oneOf\":[{\"type\":\"string\"}]}", "\"a\"", -1);
	check("{\"not\":{\"type\":\"string\"}}", "1", -1);
	check("{\"patternProperties\":{\"^x\":{}}}", "{}", -1);
	check("{\"uniqueItems\":true}", "[]", -1);
	check("{\"schema\":{\"oneOf\":[{\"$ref\":\"#/C\"}],\"discriminator\":{\"propertyName\":\"t\"}},"
	      "\"C\":{\"type\":\"object\"}}", "{\"t\":\"C\"}", -1);
	/* only where a value meets it: elsewhere the rest is decided */
	const char *deep = "{\"properties\":{\"a\":{\"anyOf\":[{\"type\":\"string\"}]},\"b\":{\"type\":\"integer\"}}}";
	check(deep, "{\"b\":1}", 1);
	check(deep, "{\"b\":\"x\",\"a\":1}", 0);   /* an error before it: invalid anyway */
	check(deep, "{\"b\":1,\"a\":1}", -1);
	/* a string with a raw NUL: cJSON's value ends there */
	check_bytes("{\"enum\":[\"a\"]}", "\"a\0b\"", -1);
	check_bytes("{}", "[\"a\0b\"]", 1);   /* nothing looks at it */
	check_bytes("{\"properties\":{\"a\":{}}}", "{\"a\0b\":1}", -1);
	/* \u without four hex digits: cJSON takes \uZZZZ for a NUL */
	check("{\"type\":\"string\"}", "\"\\uZZZZ\"", -1);
	check("{}", "\"\\u12\"", -1);
}

Test(jsonschema_fast, text_as_json_parse_reads_it)
{
	check("{}", "", 0);
	check("{}", "   ", 0);
	check("{}", " \t\r\n[1]\r\n\t ", 1);
	check("{}", "[1] x", 0);
	check("{}", "[1]]", 0);
	check("{}", "[1,]", 0);
	check("{}", "{\"a\":1,}", 0);
	check("{}", "{\"a\" 1}", 0);
	check("{}", "{a:1}", 0);
	check("{}", "{\"a\":1", 0);
	check("{}", "{\"a\":1,", 0);
	check("{}", "[", 0);
	check("{}", "\"abc", 0);
	check("{}", "\"abc\\", 0);
	check("{}", "nul", 0);
	check("{}", "nulll", 0);
	check("{}", "[truefalse]", 0);
	check("{}", "[true,false,null]", 1);
	check("{}", "[ ]", 1);
	check("{}", "{ }", 1);
	/* cJSON's white space between tokens is any byte up to ' '; after the value only four */
	check_bytes("{}", "[1,\x01\x0b\x0c" "2]", 1);
	check_bytes("{}", "[1,\0 2]", 1);
	check_bytes("{}", "\x01[1]", 1);
	check("{}", "[1]\x0c", 0);
	check_bytes("{}", "[1]\0", 0);
	/* a byte order mark, in a text of five bytes or more */
	check("{}", "\xef\xbb\xbf[1] ", 1);
	check("{}", "\xef\xbb\xbf" "12", 1);
	check("{}", "\xef\xbb\xbf" "1", 0);
	/* strings: raw controls and invalid UTF-8 pass, escapes as cJSON knows them */
	check("{\"maxLength\":3}", "\"a\tb\"", 1);
	check("{\"minLength\":2}", "\"\xff\xfe\"", 1);
	check("{}", "\"\\x\"", 0);
	check("{}", "\"\\'\"", 0);
	check("{}", "\"\\u0000\"", 0);     /* json_parse refuses NUL */
	check("{}", "{\"\\u0000\":1}", 0);
	check("{}", "[\"\\\\u0000\"]", 1);  /* an escaped backslash, then text */
	check("{}", "\"\\udc00\"", 0);     /* a lone low surrogate */
	check("{}", "\"\\ud800\"", 0);     /* a high one without its pair */
	check("{}", "\"\\ud800\\u0041\"", 0);
	check("{}", "\"\\ud800\\n\"", 0);
	check("{}", "\"\\ud800\\udfff\"", 1);
	check("{}", "\"\\ud800\\udfff\\uDBFF\\uDFFF\"", 1);
	/* nesting: cJSON stops past 1000 */
	struct strbuf sb = STRBUF_INIT;
	for (int i = 0; i < 1000; i++)
		strbuf_addc(&sb, '[');
	for (int i = 0; i < 1000; i++)
		strbuf_addc(&sb, ']');
	check("{}", sb.buf, 1);
	check("{\"type\":\"array\"}", sb.buf, 1);
	strbuf_reset(&sb);
	for (int i = 0; i < 1001; i++)
		strbuf_adds(&sb, "{\"a\":");
	strbuf_adds(&sb, "1");
	for (int i = 0; i < 1001; i++)
		strbuf_addc(&sb, '}');
	check("{}", sb.buf, 0);
	check("{\"type\":\"object\"}", sb.buf, 0);
	strbuf_release(&sb);
	/* deep values under a schema that follows them: the validator's depth limit */
	const char *deep = "{\"schema\":{\"$ref\":\"#/defs/A\"},\"defs\":{\"A\":{\"items\":{\"$ref\":\"#/defs/A\"}}}}";
	struct strbuf d = STRBUF_INIT;
	for (int i = 0; i < 100; i++)
		strbuf_addc(&d, '[');
	for (int i = 0; i < 100; i++)
		strbuf_addc(&d, ']');
	check(deep, d.buf, 1);
	strbuf_reset(&d);
	for (int i = 0; i < 200; i++)
		strbuf_addc(&d, '[');
	for (int i = 0; i < 200; i++)
		strbuf_addc(&d, ']');
	check(deep, d.buf, -1);
	strbuf_release(&d);
}

/* ---- differential: random schemas, generated instances, broken ones ---------------------- */

struct sgen {
	struct rng *r;
	struct strbuf *sb;
	enum jsonschema_dialect d;
	int ncomp;          /* components C0..C(ncomp-1) */
	int self;           /* the component being written (-1: the schema) */
	bool below;         /* inside a property or items of it: a ref back to it is no loop */
	bool undecided;     /* a keyword the fast check leaves to the validator was written */
};

static unsigned pick(struct sgen *g, unsigned n)
{
	return (unsigned)rng_below(g->r, n);
}

static bool chance(struct sgen *g, unsigned percent)
{
	return pick(g, 100) < percent;
}

#define PICK(g, arr) (arr)[pick(g, sizeof(arr) / sizeof *(arr))]

static const char *const names[] = { "a", "b", "c", "id", "name", "x y", "\\u00e9t\\u00e9", "tags", "n" };
static const char *const patterns[] = { "^[a-z]+$", "^[A-Z]{2}-[0-9]{3}$", "b", "^x", "^.{2,5}$", "[0-9]$" };
static const char *const formats[] = { "date", "date-time", "email", "uuid", "uri", "ipv4", "ipv6",
				       "byte", "int32", "int64", "float", "double", "hostname" };
static const char *const scalars[] = { "\"a\"", "\"b\"", "\"\"", "\"\\u00e9\"", "\"x\\ny\"", "1", "1.5", "-2",
				       "0", "1e3", "true", "false", "null", "\"2024-01-02\"", "3" };
static const char *const type_names[] = { "null", "boolean", "integer", "number", "string", "array", "object" };

static void gen_schema(struct sgen *g, int depth);

/* The schema of a property or the items: a level of the instance down. */
static void gen_below(struct sgen *g, int depth)
{
	bool was = g->below;
	g->below = true;
	gen_schema(g, depth);
	g->below = was;
}

/* ", " before every keyword but the first */
static void key(struct sgen *g, bool *first, const char *name)
{
	strbuf_addf(g->sb, "%s\"%s\":", *first ? "" : ",", name);
	*first = false;
}

static void gen_number_keywords(struct sgen *g, bool *first)
{
	static const char *const bounds[] = { "0", "1", "-5", "2.5", "100", "1e10" };
	if (chance(g, 30)) {
		key(g, first, "minimum");
		strbuf_adds(g->sb, PICK(g, bounds));
		if (g->d == JSONSCHEMA_OAS30 && chance(g, 30)) {
			key(g, first, "exclusiveMinimum");
			strbuf_adds(g->sb, chance(g, 50) ? "true" : "false");
		}
	}
	if (chance(g, 30)) {
		key(g, first, "maximum");
		strbuf_adds(g->sb, chance(g, 50) ? "1000" : PICK(g, bounds));
		if (g->d == JSONSCHEMA_OAS30 && chance(g, 30)) {
			key(g, first, "exclusiveMaximum");
			strbuf_adds(g->sb, chance(g, 50) ? "true" : "false");
		}
	}
	if (g->d == JSONSCHEMA_OAS31 && chance(g, 15)) {
		key(g, first, chance(g, 50) ? "exclusiveMinimum" : "exclusiveMaximum");
		strbuf_adds(g->sb, PICK(g, bounds));
	}
	if (chance(g, 15)) {
		static const char *const mult[] = { "0.5", "3", "0.01", "2" };
		key(g, first, "multipleOf");
		strbuf_adds(g->sb, PICK(g, mult));
	}
}

static void gen_string_keywords(struct sgen *g, bool *first)
{
	if (chance(g, 25)) {
		key(g, first, "minLength");
		strbuf_addf(g->sb, "%u", pick(g, 4));
	}
	if (chance(g, 25)) {
		key(g, first, "maxLength");
		strbuf_addf(g->sb, "%u", 2 + pick(g, 40));
	}
	if (chance(g, 20)) {
		key(g, first, "pattern");
		strbuf_addf(g->sb, "\"%s\"", PICK(g, patterns));
	}
	if (chance(g, 25)) {
		key(g, first, "format");
		strbuf_addf(g->sb, "\"%s\"", PICK(g, formats));
	}
}

static void gen_object_keywords(struct sgen *g, bool *first, int depth)
{
	unsigned nprops = depth < 4 ? pick(g, 5) : pick(g, 2);
	bool used[sizeof names / sizeof *names] = { false };
	if (nprops) {
		key(g, first, "properties");
		strbuf_addc(g->sb, '{');
		for (unsigned i = 0; i < nprops; i++) {
			unsigned k = pick(g, sizeof names / sizeof *names);
			used[k] = true;
			strbuf_addf(g->sb, "%s\"%s\":", i ? "," : "", names[k]);
			gen_below(g, depth + 1);
		}
		strbuf_addc(g->sb, '}');
	}
	if (chance(g, 50)) {
		bool any = false;
		key(g, first, "required");
		strbuf_addc(g->sb, '[');
		for (size_t k = 0; k < sizeof names / sizeof *names; k++)
			if ((used[k] && chance(g, 60)) || chance(g, 3)) {
				strbuf_addf(g->sb, "%s\"%s\"", any ? "," : "", names[k]);
				any = true;
			}
		strbuf_addc(g->sb, ']');
	}
	if (chance(g, 30)) {
		key(g, first, "additionalProperties");
		if (chance(g, 60))
			strbuf_adds(g->sb, "false");
		else
			gen_below(g, depth + 1);
	}
	if (chance(g, 10)) {
		key(g, first, "minProperties");
		strbuf_addf(g->sb, "%u", pick(g, 3));
	}
	if (chance(g, 10)) {
		key(g, first, "maxProperties");
		strbuf_addf(g->sb, "%u", 1 + pick(g, 6));
	}
}

static void gen_array_keywords(struct sgen *g, bool *first, int depth)
{
	if (chance(g, 75)) {
		key(g, first, "items");
		gen_below(g, depth + 1);
	}
	if (chance(g, 20)) {
		key(g, first, "minItems");
		strbuf_addf(g->sb, "%u", pick(g, 3));
	}
	if (chance(g, 20)) {
		key(g, first, "maxItems");
		strbuf_addf(g->sb, "%u", 1 + pick(g, 5));
	}
}

static void gen_undecided(struct sgen *g, bool *first, int depth)
{
	g->undecided = true;
	switch (pick(g, 5)) {
	case 0:
		key(g, first, "anyOf");
		strbuf_addc(g->sb, '[');
		gen_schema(g, depth + 1);
		strbuf_addc(g->sb, ',');
		gen_schema(g, depth + 1);
		strbuf_addc(g->sb, ']');
		break;
	case 1:
		key(g, first, "oneOf");
		strbuf_addc(g->sb, '[');
		gen_schema(g, depth + 1);
		strbuf_addc(g->sb, ']');
		break;
	case 2:
		key(g, first, "not");
		gen_schema(g, depth + 1);
		break;
	case 3:
		key(g, first, "uniqueItems");
		strbuf_adds(g->sb, "true");
		break;
	default:
		key(g, first, "patternProperties");
		strbuf_addf(g->sb, "{\"%s\":", PICK(g, patterns));
		gen_schema(g, depth + 1);
		strbuf_addc(g->sb, '}');
		break;
	}
}

static void gen_schema(struct sgen *g, int depth)
{
	if (g->d == JSONSCHEMA_OAS31 && depth > 0 && chance(g, 3)) {
		strbuf_adds(g->sb, chance(g, 70) ? "true" : "false");
		return;
	}
	/* a ref to a later component, or back to this one below the top (a recursion that
	 * goes through a property or an item) */
	if (depth > 0 && g->ncomp && chance(g, 12)) {
		int k = g->self + 1 + (int)pick(g, (unsigned)(g->ncomp - g->self));
		if (k >= g->ncomp)
			k = g->self >= 0 && g->below ? g->self : g->ncomp;
		if (k < g->ncomp) {
		strbuf_addf(g->sb, "{\"$ref\":\"#/components/C%d\"", k);
		if (g->d == JSONSCHEMA_OAS31 && chance(g, 20))
			strbuf_adds(g->sb, ",\"description\":\"x\"");
		strbuf_addc(g->sb, '}');
		return;
		}
	}
	bool first = true;
	strbuf_addc(g->sb, '{');
	unsigned t = depth > 5 ? 1 + pick(g, 5) : pick(g, 8);   /* 0: no type; 1..7: type_names */
	if (t) {
		key(g, &first, "type");
		if (g->d == JSONSCHEMA_OAS31 && chance(g, 20))
			strbuf_addf(g->sb, "[\"%s\",\"%s\"]", type_names[t - 1], PICK(g, type_names));
		else
			strbuf_addf(g->sb, "\"%s\"", type_names[t - 1]);
		if (g->d == JSONSCHEMA_OAS30 && chance(g, 20)) {
			key(g, &first, "nullable");
			strbuf_adds(g->sb, chance(g, 80) ? "true" : "false");
		}
	}
	const char *tn = t ? type_names[t - 1] : "";
	bool any = !t;
	if (any || !strcmp(tn, "integer") || !strcmp(tn, "number"))
		gen_number_keywords(g, &first);
	if (any || !strcmp(tn, "string"))
		gen_string_keywords(g, &first);
	if ((any && depth < 4) || !strcmp(tn, "object"))
		gen_object_keywords(g, &first, depth);
	if ((any && depth < 4) || !strcmp(tn, "array"))
		gen_array_keywords(g, &first, depth);
	if (chance(g, 8)) {
		unsigned n = pick(g, 4);
		key(g, &first, "enum");
		strbuf_addc(g->sb, '[');
		for (unsigned i = 0; i < n; i++)
			strbuf_addf(g->sb, "%s%s", i ? "," : "", PICK(g, scalars));
		strbuf_addc(g->sb, ']');
	} else if (chance(g, 4)) {
		key(g, &first, "const");
		strbuf_adds(g->sb, PICK(g, scalars));
	}
	if (depth < 4 && chance(g, 10)) {
		unsigned n = 1 + pick(g, 2);
		key(g, &first, "allOf");
		strbuf_addc(g->sb, '[');
		for (unsigned i = 0; i < n; i++) {
			if (i)
				strbuf_addc(g->sb, ',');
			gen_schema(g, depth + 2);
		}
		strbuf_addc(g->sb, ']');
	}
	if (chance(g, 2))
		gen_undecided(g, &first, depth);
	strbuf_addc(g->sb, '}');
}

/* A document {"schema": ..., "components": {"C0": ..., ...}}. */
static char *gen_document(struct rng *r, enum jsonschema_dialect d, bool *undecided)
{
	struct strbuf sb = STRBUF_INIT;
	struct sgen g = { .r = r, .sb = &sb, .d = d, .ncomp = (int)rng_below(r, 4), .self = -1 };
	strbuf_adds(&sb, "{\"schema\":");
	gen_schema(&g, 0);
	strbuf_adds(&sb, ",\"components\":{");
	for (int k = 0; k < g.ncomp; k++) {
		g.self = k;
		g.below = false;
		strbuf_addf(&sb, "%s\"C%d\":", k ? "," : "", k);
		gen_schema(&g, 1);
	}
	strbuf_adds(&sb, "}}");
	*undecided = g.undecided;
	return strbuf_detach(&sb, NULL);
}

struct tally {
	size_t checks, decided, valid, undecided_on_subset;
};

/* The fast and the slow answer for text: equal when the fast one decides. */
static int compare(const struct jsonschema *s, const char *schema, const char *text, size_t len, struct tally *t)
{
	int fast = jsonschema_check_json(s, text, len);
	t->checks++;
	if (fast == -1)
		return -1;
	int slow = slow_answer(s, text, len);
	cr_assert_eq(fast, slow, "fast %d, slow %d\nschema: %s\ntext (%zu bytes): %.*s", fast, slow, schema,
		     len, (int)len, text);
	t->decided++;
	t->valid += (size_t)fast;
	return fast;
}

/* A random node of v's tree (v itself included). */
static cJSON *random_node(struct rng *r, cJSON *v)
{
	cJSON *at = v;
	while ((cJSON_IsArray(at) || cJSON_IsObject(at)) && at->child && rng_below(r, 3)) {
		int n = cJSON_GetArraySize(at);
		at = cJSON_GetArrayItem(at, (int)rng_below(r, (uint64_t)n));
	}
	return at;
}

static cJSON *random_scalar(struct rng *r)
{
	static const char *const texts[] = { "\"x\"", "\"\"", "0", "-1", "2.5", "1e20", "true", "false",
					     "null", "{}", "[]", "\"2024-13-01\"", "\"not an email\"",
					     "\"AB-123\"", "\"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz\"",
					     "[1,2,3,4,5,6,7]", "{\"zz\":1}" };
	const char *t = texts[rng_below(r, sizeof texts / sizeof *texts)];
	return json_parse(t, strlen(t), NULL);
}

/* Breaks v in place in one random way: its types, members, items, lengths, bounds. */
static void mutate_tree(struct rng *r, cJSON *v)
{
	cJSON *at = random_node(r, v);
	cJSON *parent = NULL;
	if (at != v) {
		/* find the parent again to replace at */
		cJSON *stack[256];
		size_t n = 0;
		stack[n++] = v;
		while (n && !parent) {
			cJSON *c = stack[--n];
			for (cJSON *e = c->child; e && !parent; e = e->next) {
				if (e == at)
					parent = c;
				else if ((cJSON_IsArray(e) || cJSON_IsObject(e)) && n < 256)
					stack[n++] = e;
			}
		}
	}
	switch (rng_below(r, 6)) {
	case 0:
		if (parent) {
			cJSON *repl = random_scalar(r);
			cJSON_ReplaceItemViaPointer(parent, at, repl);
			return;
		}
		break;
	case 1:
		if (parent) {
			cJSON_Delete(cJSON_DetachItemViaPointer(parent, at));
			return;
		}
		break;
	case 2:
		if (cJSON_IsObject(at)) {
			static const char *const keys[] = { "zz", "a", "id", "name", "b" };
			json_object_add(at, keys[rng_below(r, 5)], random_scalar(r));
			return;
		}
		if (cJSON_IsArray(at)) {
			json_array_add(at, at->child && rng_below(r, 2) ? cJSON_Duplicate(at->child, true)
							     : random_scalar(r));
			return;
		}
		break;
	case 3:
		if (cJSON_IsString(at)) {
			size_t len = strlen(at->valuestring);
			char buf[300];
			if (rng_below(r, 2) && len) {
				snprintf(buf, sizeof buf, "%.*s", (int)(len - 1), at->valuestring);
			} else {
				snprintf(buf, sizeof buf, "%.200s%s", at->valuestring,
					 (const char *[]){ "x", "\xc3\xa9", "1", "-", "@" }[rng_below(r, 5)]);
			}
			cJSON_SetValuestring(at, buf);
			return;
		}
		break;
	case 4:
		if (cJSON_IsNumber(at)) {
			static const double deltas[] = { 1, -1, 0.5, 1000, -1000, 1e-9 };
			double x = at->valuedouble;
			switch (rng_below(r, 3)) {
			case 0: x += deltas[rng_below(r, 6)]; break;
			case 1: x = -x; break;
			default: x *= 1e10; break;
			}
			cJSON_SetNumberValue(at, x);
			return;
		}
		break;
	default:
		break;
	}
	/* nothing applied: change the type of the whole thing */
	if (parent) {
		cJSON_ReplaceItemViaPointer(parent, at, random_scalar(r));
	} else {
		cJSON *c = v->child;
		if (c)
			cJSON_Delete(cJSON_DetachItemViaPointer(v, c));
	}
}

/* text broken in one random way, as bytes (the caller frees; *len set). */
static char *mutate_text(struct rng *r, const char *text, size_t *len)
{
	static const char bytes[] = ",}]{[\"\\0 -e.u:\x01\xc3\t";
	size_t n = strlen(text);
	char *out = malloc(n + 8);
	cr_assert_not_null(out);
	size_t at = n ? (size_t)rng_below(r, n) : 0;
	switch (rng_below(r, 6)) {
	case 0: /* delete a byte */
		memcpy(out, text, at);
		memcpy(out + at, text + at + (n > 0), n - at - (n > 0));
		*len = n - (n > 0);
		break;
	case 1: /* insert a byte */
		memcpy(out, text, at);
		out[at] = bytes[rng_below(r, sizeof bytes - 1)];
		if (rng_below(r, 8) == 0)
			out[at] = '\0';
		memcpy(out + at + 1, text + at, n - at);
		*len = n + 1;
		break;
	case 2: /* replace a byte */
		memcpy(out, text, n);
		if (n)
			out[at] = bytes[rng_below(r, sizeof bytes - 1)];
		*len = n;
		break;
	case 3: /* cut the end off */
		memcpy(out, text, at);
		*len = at;
		break;
	case 4: { /* something after the value */
		static const char *const tails[] = { " ", "\n", " x", "]", "\f", ",1" };
		const char *tail = tails[rng_below(r, sizeof tails / sizeof *tails)];
		memcpy(out, text, n);
		memcpy(out + n, tail, strlen(tail));
		*len = n + strlen(tail);
		break;
	}
	default: /* an escape for a letter */
		memcpy(out, text, n);
		*len = n;
		for (size_t i = at; i < n; i++)
			if (out[i] == '"' && i + 2 < n && out[i + 1] >= 'a' && out[i + 1] <= 'z') {
				char *grown = malloc(n + 8);
				cr_assert_not_null(grown);
				memcpy(grown, out, i + 1);
				snprintf(grown + i + 1, 7, "\\u%04x", (unsigned)out[i + 1]);
				memcpy(grown + i + 7, out + i + 2, n - i - 2);
				free(out);
				out = grown;
				*len = n + 4;
				break;
			}
		break;
	}
	return out;
}

/* Fixed instances for schemas the generator found none for. */
static const char *const fixed[] = {
	"{}", "[]", "\"a\"", "1", "null", "true", "{\"a\":\"x\",\"b\":[1,2],\"id\":\"7f0c1a44-8a4b-4bb5-a0f0-3c2cbf3bd9a1\"}",
	"{\"name\":\"ab\",\"tags\":[\"x\",\"y\"],\"n\":3,\"c\":{\"a\":null}}",
};

static void differential(enum jsonschema_dialect d, uint64_t seed, int schemas, struct tally *t)
{
	struct rng r;
	rng_seed(&r, seed);
	for (int i = 0; i < schemas; i++) {
		bool undecided = false;
		char *text = gen_document(&r, d, &undecided);
		struct jsonschema *s = compile(d, text, false);
		if (!s) {
			free(text);
			continue;
		}
		for (int k = 0; k < 6; k++) {
			cJSON *v = jsonschema_generate(s, JSONSCHEMA_GEN_DYNAMIC, true, &r);
			if (!v) {
				const char *f = fixed[rng_below(&r, sizeof fixed / sizeof *fixed)];
				v = json_parse(f, strlen(f), NULL);
			} else {
				/* a valid instance: on the subset, decided and valid */
				char *inst = json_print(v, NULL);
				int got = compare(s, text, inst, strlen(inst), t);
				if (!undecided)
					cr_assert_eq(got, 1, "not decided valid: %s\nschema: %s", inst, text);
				free(inst);
			}
			for (int m = 0; m < 8; m++) {
				cJSON *w = cJSON_Duplicate(v, true);
				for (uint64_t c = 1 + rng_below(&r, 2); c; c--)
					mutate_tree(&r, w);
				char *inst = rng_below(&r, 4) ? json_print(w, NULL) : cJSON_Print(w);
				int got = compare(s, text, inst, strlen(inst), t);
				if (!undecided && got == -1) {
					t->undecided_on_subset++;
					cr_log_warn("undecided: %s\nschema: %s", inst, text);
				}
				size_t blen = 0;
				char *broken = mutate_text(&r, inst, &blen);
				compare(s, text, broken, blen, t);
				free(broken);
				free(inst);
				cJSON_Delete(w);
			}
			cJSON_Delete(v);
		}
		jsonschema_destroy(s);
		free(text);
	}
}

Test(jsonschema_fast, differential, .timeout = 300)
{
	struct tally t = { 0 };
	differential(JSONSCHEMA_OAS30, 1, 800, &t);
	differential(JSONSCHEMA_OAS31, 2, 800, &t);
	cr_log_info("differential: %zu checks, %zu decided (%zu valid), %zu undecided on the subset",
		    t.checks, t.decided, t.valid, t.undecided_on_subset);
	/* broken trees of subset schemas are decided too */
	cr_expect_eq(t.undecided_on_subset, 0);
	cr_expect_gt(t.valid, t.checks / 10);
	cr_expect_gt(t.decided, t.checks * 8 / 10);
}

/* The order body of bench/jsonschema.c, as the OpenAPI front-end will check it. */
Test(jsonschema_fast, order_body)
{
	const char *schema =
		"{\"schema\":{\"type\":\"object\",\"additionalProperties\":false,"
		"\"required\":[\"id\",\"customer\",\"email\",\"status\",\"total\",\"currency\",\"items\",\"created\"],"
		"\"properties\":{\"id\":{\"type\":\"string\",\"format\":\"uuid\"},"
		"\"customer\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":100},"
		"\"email\":{\"type\":\"string\",\"format\":\"email\"},"
		"\"status\":{\"type\":\"string\",\"enum\":[\"new\",\"paid\",\"shipped\",\"cancelled\"]},"
		"\"total\":{\"type\":\"number\",\"minimum\":0},"
		"\"currency\":{\"type\":\"string\",\"enum\":[\"EUR\",\"USD\",\"GBP\"]},"
		"\"items\":{\"type\":\"array\",\"minItems\":1,\"items\":{\"$ref\":\"#/components/Item\"}},"
		"\"note\":{\"type\":\"string\",\"nullable\":true,\"maxLength\":500},"
		"\"created\":{\"type\":\"string\",\"format\":\"date-time\"},"
		"\"due\":{\"type\":\"string\",\"format\":\"date\"},"
		"\"priority\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":5},"
		"\"gift\":{\"type\":\"boolean\"},\"coupon\":{\"type\":\"string\",\"nullable\":true},"
		"\"address\":{\"$ref\":\"#/components/Address\"},"
		"\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
		"\"channel\":{\"type\":\"string\",\"enum\":[\"web\",\"app\",\"phone\"]},"
		"\"weight\":{\"type\":\"number\",\"minimum\":0,\"exclusiveMinimum\":true},"
		"\"discount\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":100},"
		"\"referrer\":{\"type\":\"string\",\"format\":\"uri\"},"
		"\"metadata\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}}}},"
		"\"components\":{\"Item\":{\"type\":\"object\",\"required\":[\"sku\",\"qty\",\"price\"],"
		"\"properties\":{\"sku\":{\"type\":\"string\",\"pattern\":\"^[A-Z]{2}-[0-9]{3}$\"},"
		"\"qty\":{\"type\":\"integer\",\"minimum\":1},\"price\":{\"type\":\"number\",\"minimum\":0}}},"
		"\"Address\":{\"type\":\"object\",\"required\":[\"street\",\"city\",\"country\"],"
		"\"properties\":{\"street\":{\"type\":\"string\"},\"city\":{\"type\":\"string\"},"
		"\"zip\":{\"type\":\"string\"},\"country\":{\"type\":\"string\",\"minLength\":2,\"maxLength\":2}}}}}";
	const char *body =
		"{\"id\": \"7f0c1a44-8a4b-4bb5-a0f0-3c2cbf3bd9a1\", \"customer\": \"Ada Lovelace\", "
		"\"email\": \"ada@example.com\", \"status\": \"new\", \"total\": 59.9, \"currency\": \"EUR\", "
		"\"items\": [{\"sku\": \"BK-001\", \"qty\": 2, \"price\": 19.95}, {\"sku\": \"BK-002\", \"qty\": 1, "
		"\"price\": 20.0}], \"note\": null, \"created\": \"2024-01-02T03:04:05Z\", \"due\": \"2024-01-09\", "
		"\"priority\": 3, \"gift\": false, \"coupon\": null, \"address\": {\"street\": \"12 Analytical Row\", "
		"\"city\": \"London\", \"zip\": \"N1 9GU\", \"country\": \"GB\"}, \"tags\": [\"books\", \"priority\"], "
		"\"channel\": \"web\", \"weight\": 1.25, \"discount\": 0, \"referrer\": \"https://example.com/r\", "
		"\"metadata\": {\"campaign\": \"winter\"}}";
	check30(schema, body, 1);
	/* every one-byte deletion: decided, and as the slow path says */
	struct jsonschema *s = compile(JSONSCHEMA_OAS30, schema, true);
	size_t n = strlen(body), invalid = 0;
	char *cut = malloc(n);
	cr_assert_not_null(cut);
	for (size_t i = 0; i < n; i++) {
		memcpy(cut, body, i);
		memcpy(cut + i, body + i + 1, n - i - 1);
		int fast = jsonschema_check_json(s, cut, n - 1);
		cr_assert_neq(fast, -1, "undecided without byte %zu", i);
		cr_assert_eq(fast, slow_answer(s, cut, n - 1), "without byte %zu: %.*s", i, (int)(n - 1), cut);
		invalid += !fast;
	}
	cr_expect_gt(invalid, n / 2);
	free(cut);
	jsonschema_destroy(s);
}
