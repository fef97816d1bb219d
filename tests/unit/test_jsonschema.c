/* SPDX-License-Identifier: MIT */
/* Unit tests for jsonschema.c: every keyword valid and invalid, what differs between
 * OpenAPI 3.0 and 3.1, error paths and messages in nested objects and arrays, oneOf's
 * exactly-one, discriminators, $ref through a resolver (a cycle among them), compile
 * errors naming the keyword and node, bounded work, and parameters read from text. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonschema.h"
#include "testutil.h"
#include "util/strbuf.h"

/* A resolver over one document: "#/a/b" is the member b of the member a of the root. */
static const cJSON *resolve_pointer(void *cls, const char *ref, const cJSON *from)
{
	(void)from;
	return ref[0] == '#' ? json_get_pointer(cls, ref + 1) : NULL;
}

static cJSON *doc;   /* the last document schema_ok parsed; freed in fini */

static void fini(void)
{
	cJSON_Delete(doc);
	doc = NULL;
}

/* Compiles the "schema" member of text ("{...}" as a whole when it has none), with
 * resolve_pointer over the whole text. */
static struct jsonschema *schema_ok(enum jsonschema_dialect d, const char *text)
{
	cJSON_Delete(doc);
	doc = json_or_fail(text);
	const cJSON *schema = cJSON_GetObjectItemCaseSensitive(doc, "schema");
	char *err = NULL;
	const cJSON *at = NULL;
	struct jsonschema *s = jsonschema_compile(schema ? schema : doc, d, resolve_pointer, doc,
						  &err, &at);
	cr_assert_not_null(s, "%s does not compile: %s", text, err ? err : "?");
	return s;
}

/* The errors of instance against schema, "path: message" joined by " | "; "" when valid. */
static char *errors_of(const struct jsonschema *s, const char *instance)
{
	cJSON *v = json_or_fail(instance);
	struct jsonschema_error e[8];
	size_t n = jsonschema_validate(s, v, e, 8);
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < n && i < 8; i++)
		strbuf_addf(&sb, "%s%s: %s", i ? " | " : "", e[i].path, e[i].message);
	jsonschema_errors_release(e, n < 8 ? n : 8);
	cJSON_Delete(v);
	return strbuf_detach(&sb, NULL);
}

static void expect_d(enum jsonschema_dialect d, const char *schema, const char *instance,
		     const char *want)
{
	struct jsonschema *s = schema_ok(d, schema);
	char *got = errors_of(s, instance);
	cr_expect_str_eq(got, want, "%s against %s", instance, schema);
	free(got);
	jsonschema_destroy(s);
}

#define expect30(schema, instance, want) expect_d(JSONSCHEMA_OAS30, schema, instance, want)
#define expect31(schema, instance, want) expect_d(JSONSCHEMA_OAS31, schema, instance, want)
/* the same in both dialects */
#define expect(schema, instance, want) \
	do { expect30(schema, instance, want); expect31(schema, instance, want); } while (0)

static void compile_fails(enum jsonschema_dialect d, const char *text, const char *want_err,
			  const char *want_at)
{
	cJSON *js = json_or_fail(text);
	char *err = NULL;
	const cJSON *at = NULL;
	struct jsonschema *s = jsonschema_compile(js, d, resolve_pointer, js, &err, &at);
	cr_assert_null(s, "%s compiled", text);
	cr_expect_str_eq(err, want_err);
	cr_assert_not_null(at);
	char *at_text = json_print(at, NULL);
	cr_expect_str_eq(at_text, want_at);
	free(at_text);
	free(err);
	cJSON_Delete(js);
}

TestSuite(jsonschema, .fini = fini);

Test(jsonschema, type)
{
	expect("{\"type\":\"string\"}", "\"a\"", "");
	expect("{\"type\":\"string\"}", "12", ": expected string, got 12");
	expect("{\"type\":\"integer\"}", "12", "");
	expect("{\"type\":\"integer\"}", "12.0", "");
	expect("{\"type\":\"integer\"}", "1.5", ": expected integer, got 1.5");
	expect("{\"type\":\"number\"}", "1.5", "");
	expect("{\"type\":\"number\"}", "\"1.5\"", ": expected number, got \"1.5\"");
	expect("{\"type\":\"boolean\"}", "false", "");
	expect("{\"type\":\"boolean\"}", "null", ": expected boolean, got null");
	expect("{\"type\":\"array\"}", "{}", ": expected array, got an object");
	expect("{\"type\":\"object\"}", "[]", ": expected object, got an array");
	expect("{}", "[1,{\"a\":null}]", "");
	expect("{\"description\":\"x\",\"example\":1,\"readOnly\":true,\"x-foo\":[],\"bogus\":1}",
	       "\"any\"", "");
}

Test(jsonschema, nullable_30_and_type_lists_31)
{
	expect30("{\"type\":\"string\",\"nullable\":true}", "null", "");
	expect30("{\"type\":\"string\",\"nullable\":false}", "null", ": expected string, got null");
	expect30("{\"type\":\"string\"}", "null", ": expected string, got null");
	/* nullable widens the type only: an enum must list null itself (OpenAPI 3.0.3) */
	expect30("{\"type\":\"string\",\"nullable\":true,\"enum\":[\"a\"]}", "null",
		 ": must be one of [\"a\"]");
	expect30("{\"type\":\"string\",\"nullable\":true,\"enum\":[\"a\",null]}", "null", "");
	/* 3.0 ignores keywords beside $ref, nullable among them */
	expect30("{\"S\":{\"type\":\"string\"},\"schema\":{\"$ref\":\"#/S\",\"nullable\":true}}",
		 "null", ": expected string, got null");
	/* 3.1 has no nullable: it is an unknown keyword */
	expect31("{\"type\":\"string\",\"nullable\":true}", "null", ": expected string, got null");
	expect31("{\"type\":[\"string\",\"null\"]}", "null", "");
	expect31("{\"type\":[\"string\",\"null\"]}", "\"x\"", "");
	expect31("{\"type\":[\"integer\",\"boolean\"]}", "\"x\"",
		 ": expected boolean or integer, got \"x\"");
	compile_fails(JSONSCHEMA_OAS30, "{\"type\":[\"string\",\"null\"]}",
		      "'type' must be a string in OpenAPI 3.0 (a list of types needs 3.1; use "
		      "'nullable' for null)", "[\"string\",\"null\"]");
	compile_fails(JSONSCHEMA_OAS31, "{\"type\":\"strin\"}",
		      "'type' must be one of null, boolean, integer, number, string, array, object",
		      "\"strin\"");
}

Test(jsonschema, enum_and_const)
{
	expect("{\"enum\":[\"a\",\"b\"]}", "\"b\"", "");
	expect("{\"enum\":[\"a\",\"b\"]}", "\"c\"", ": must be one of [\"a\", \"b\"]");
	expect("{\"enum\":[1,{\"x\":[1,2]}]}", "{\"x\":[1,2.0]}", "");
	expect("{\"enum\":[1,{\"x\":[1,2]}]}", "{\"x\":[2,1]}", ": must be one of [1, {\"x\":[1,2]}]");
	expect31("{\"const\":\"on\"}", "\"on\"", "");
	expect31("{\"const\":\"on\"}", "\"off\"", ": must be \"on\"");
}

Test(jsonschema, objects)
{
	const char *s = "{\"type\":\"object\",\"required\":[\"name\",\"age\"],"
			"\"properties\":{\"name\":{\"type\":\"string\"},\"age\":{\"type\":\"integer\","
			"\"minimum\":0}}}";
	expect(s, "{\"name\":\"x\",\"age\":3,\"more\":1}", "");
	expect(s, "{\"age\":-1}", ": missing required property 'name' | age: must be at least 0");
	expect(s, "{\"name\":12,\"age\":1}", "name: expected string, got 12");
	expect("{\"additionalProperties\":false,\"properties\":{\"a\":{}}}", "{\"a\":1,\"b\":2}",
	       ": unexpected property 'b'");
	expect("{\"additionalProperties\":{\"type\":\"integer\"},\"properties\":{\"a\":{}}}",
	       "{\"a\":\"s\",\"b\":2,\"c\":\"x\"}", "c: expected integer, got \"x\"");
	expect("{\"patternProperties\":{\"^x-\":{\"type\":\"string\"}},\"additionalProperties\":false}",
	       "{\"x-a\":\"1\",\"x-b\":2,\"y\":1}",
	       "x-b: expected string, got 2 | : unexpected property 'y'");
	expect("{\"minProperties\":2,\"maxProperties\":2}", "{\"a\":1}",
	       ": must have at least 2 properties");
	expect("{\"minProperties\":1,\"maxProperties\":1}", "{\"a\":1,\"b\":2}",
	       ": must have at most 1 property");
	/* a keyword given twice: the first counts, as cJSON_GetObjectItem finds it */
	expect("{\"properties\":{\"a\":{\"type\":\"string\"}},\"properties\":{\"b\":{}},"
	       "\"maxProperties\":1,\"maxProperties\":5}", "{\"a\":1,\"b\":2}",
	       ": must have at most 1 property | a: expected string, got 1");
	/* properties and required only apply to objects */
	expect("{\"required\":[\"a\"],\"minProperties\":3}", "\"s\"", "");
}

/* Members are matched against the properties once, each trying the property after the last
 * one matched first: whatever the order, the errors are those of a lookup per name. */
Test(jsonschema, members_in_any_order)
{
	const char *s = "{\"required\":[\"c\",\"x\",\"a\",\"c\",\"y\"],\"additionalProperties\":false,"
			"\"properties\":{\"a\":{\"type\":\"string\"},\"b\":{\"type\":\"string\"},"
			"\"c\":{\"type\":\"string\"}}}";
	/* missing ones in the order `required` names them, a repeated name twice */
	expect(s, "{\"b\":\"1\"}",
	       ": missing required property 'c' | : missing required property 'x' | "
	       ": missing required property 'a' | : missing required property 'c' | "
	       ": missing required property 'y'");
	expect(s, "{\"y\":1,\"c\":\"1\",\"b\":2,\"a\":\"1\",\"x\":null}",
	       ": unexpected property 'y' | b: expected string, got 2 | : unexpected property 'x'");
	expect(s, "{\"a\":\"1\",\"b\":\"1\",\"c\":\"1\",\"x\":1,\"y\":1}",
	       ": unexpected property 'x' | : unexpected property 'y'");
	/* a repeated member is checked each time (cJSON keeps both) */
	expect(s, "{\"c\":\"1\",\"x\":1,\"y\":1,\"a\":\"1\",\"a\":2,\"c\":3}",
	       ": unexpected property 'x' | : unexpected property 'y' | a: expected string, got 2 | "
	       "c: expected string, got 3");
	/* two properties of one name: a member meets both */
	expect("{\"required\":[\"a\"],\"properties\":{\"a\":{\"type\":\"string\"},\"a\":{\"maxLength\":1}}}",
	       "{\"a\":\"xy\"}", "a: must be at most 1 characters long");
	expect("{\"required\":[\"a\"],\"properties\":{\"a\":{\"type\":\"string\"},\"a\":{\"maxLength\":1}}}",
	       "{\"b\":1}", ": missing required property 'a'");
	/* ... and the first is the one `required` counts, whichever was matched before */
	expect("{\"required\":[\"a\",\"b\"],\"properties\":{\"a\":{},\"b\":{},\"a\":{}}}",
	       "{\"b\":1,\"a\":2}", "");
	/* more properties than a small bitmap holds */
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, "{\"required\":[\"p0\",\"p299\",\"p150\"],\"properties\":{");
	for (int i = 0; i < 300; i++)
		strbuf_addf(&sb, "%s\"p%d\":{\"type\":\"integer\"}", i ? "," : "", i);
	strbuf_adds(&sb, "}}");
	expect(sb.buf, "{\"p299\":1,\"p0\":2}", ": missing required property 'p150'");
	expect(sb.buf, "{\"p150\":1,\"p299\":\"x\",\"p0\":2}", "p299: expected integer, got \"x\"");
	strbuf_release(&sb);
}

Test(jsonschema, arrays)
{
	expect("{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"minItems\":1,\"maxItems\":3}",
	       "[1,2]", "");
	expect("{\"items\":{\"type\":\"integer\"}}", "[1,\"a\",3,true]",
	       "1: expected integer, got \"a\" | 3: expected integer, got true");
	expect("{\"minItems\":1}", "[]", ": must have at least 1 item");
	expect("{\"maxItems\":2}", "[1,2,3]", ": must have at most 2 items");
	expect("{\"uniqueItems\":true}", "[1,{\"a\":1},2,{\"a\":1.0}]",
	       ": must not repeat items (1 and 3 are equal)");
	expect("{\"uniqueItems\":true}", "[1,\"1\",[1],{\"a\":[1]}]", "");
	expect("{\"uniqueItems\":false}", "[1,1]", "");
	compile_fails(JSONSCHEMA_OAS30, "{\"items\":[{}]}",
		      "'items' must be one schema (tuples are not supported)", "[{}]");
}

Test(jsonschema, nested_paths)
{
	const char *s = "{\"type\":\"object\",\"properties\":{\"items\":{\"type\":\"array\",\"items\":"
			"{\"type\":\"object\",\"required\":[\"sku\"],\"properties\":{\"qty\":"
			"{\"type\":\"integer\",\"minimum\":1}}}}}}";
	expect(s, "{\"items\":[{\"sku\":\"a\",\"qty\":1},{\"qty\":\"2\"},{\"sku\":\"c\",\"qty\":0}]}",
	       "items.1: missing required property 'sku' | items.1.qty: expected integer, got \"2\""
	       " | items.2.qty: must be at least 1");
}

Test(jsonschema, strings)
{
	expect("{\"minLength\":2,\"maxLength\":3}", "\"ab\"", "");
	expect("{\"minLength\":2}", "\"a\"", ": must be at least 2 characters long");
	expect("{\"maxLength\":3}", "\"abcd\"", ": must be at most 3 characters long");
	/* code points, not bytes: "żółw" is 4 of them in 7 bytes */
	expect("{\"maxLength\":4,\"minLength\":4}", "\"\xc5\xbc\xc3\xb3\xc5\x82w\"", "");
	expect("{\"maxLength\":1}", "\"\xf0\x9f\x98\x80\"", "");
	expect("{\"pattern\":\"^[a-z]+$\"}", "\"abc\"", "");
	expect("{\"pattern\":\"^[a-z]+$\"}", "\"abc1\"", ": must match pattern '^[a-z]+$'");
	/* a search, not anchored */
	expect("{\"pattern\":\"b+\"}", "\"abbc\"", "");
	expect("{\"pattern\":\"\\\\d{3}\"}", "\"ab12\"", ": must match pattern '\\d{3}'");
	compile_fails(JSONSCHEMA_OAS30, "{\"pattern\":\"(a\"}",
		      "'pattern' is not a valid regular expression: missing closing parenthesis at "
		      "offset 2", "\"(a\"");
	compile_fails(JSONSCHEMA_OAS30, "{\"minLength\":-1}",
		      "'minLength' must be a non-negative integer", "-1");
	compile_fails(JSONSCHEMA_OAS30, "{\"maxLength\":1.5}",
		      "'maxLength' must be a non-negative integer", "1.5");
}

Test(jsonschema, numbers)
{
	expect("{\"minimum\":1,\"maximum\":10}", "10", "");
	expect("{\"minimum\":1,\"maximum\":10}", "11", ": must be at most 10");
	expect("{\"minimum\":1.5}", "1", ": must be at least 1.5");
	expect("{\"multipleOf\":0.1}", "0.3", "");
	expect("{\"multipleOf\":3}", "10", ": must be a multiple of 3");
	expect("{\"maximum\":10}", "\"99\"", "");
	/* 3.0: booleans modifying minimum and maximum */
	expect30("{\"minimum\":1,\"exclusiveMinimum\":true}", "1", ": must be greater than 1");
	expect30("{\"maximum\":5,\"exclusiveMaximum\":true}", "5", ": must be less than 5");
	expect30("{\"maximum\":5,\"exclusiveMaximum\":false}", "5", "");
	expect30("{\"exclusiveMaximum\":true}", "5", "");
	/* 3.1: numbers of their own */
	expect31("{\"exclusiveMinimum\":1}", "1", ": must be greater than 1");
	expect31("{\"exclusiveMinimum\":1}", "1.01", "");
	expect31("{\"exclusiveMaximum\":5,\"maximum\":10}", "5", ": must be less than 5");
	expect31("{\"exclusiveMaximum\":5,\"maximum\":3}", "4", ": must be at most 3");
	compile_fails(JSONSCHEMA_OAS30, "{\"exclusiveMinimum\":1}",
		      "'exclusiveMinimum' must be true or false in OpenAPI 3.0 (a number needs 3.1)",
		      "1");
	compile_fails(JSONSCHEMA_OAS31, "{\"exclusiveMaximum\":true}",
		      "'exclusiveMaximum' must be a number in OpenAPI 3.1 (true or false was 3.0)",
		      "true");
	compile_fails(JSONSCHEMA_OAS31, "{\"multipleOf\":0}", "'multipleOf' must be greater than 0",
		      "0");
	compile_fails(JSONSCHEMA_OAS31, "{\"minimum\":\"1\"}", "'minimum' must be a number", "\"1\"");
}

Test(jsonschema, formats)
{
	struct { const char *format, *good, *bad, *msg; } cases[] = {
		{ "int32", "2147483647", "2147483648", "must be a 32-bit integer" },
		{ "int64", "-9007199254740993", "1e19", "must be a 64-bit integer" },
		{ "float", "1.5", "1e39", "must fit in a float" },
		{ "date", "\"2024-02-29\"", "\"2023-02-29\"", "must be a valid date" },
		{ "date", "\"1999-12-31\"", "\"1999-12-31T00:00:00Z\"", "must be a valid date" },
		{ "date-time", "\"2024-01-02T03:04:05Z\"", "\"2024-01-02 03:04:05Z\"",
		  "must be a valid date-time" },
		{ "date-time", "\"2024-01-02T03:04:05.123+01:30\"", "\"2024-01-02T24:00:00Z\"",
		  "must be a valid date-time" },
		{ "date-time", "\"2024-01-02t03:04:05z\"", "\"2024-01-02T03:04:05\"",
		  "must be a valid date-time" },
		{ "email", "\"a.b+c@example.com\"", "\"a b@example.com\"", "must be a valid email" },
		{ "email", "\"x@localhost\"", "\"@example.com\"", "must be a valid email" },
		{ "email", "\"x@a-b.c\"", "\"x@-a.c\"", "must be a valid email" },
		{ "uuid", "\"123e4567-e89b-12d3-a456-426614174000\"",
		  "\"123e4567-e89b-12d3-a456-42661417400\"", "must be a valid uuid" },
		{ "uri", "\"https://example.com/a?b=c#d\"", "\"/relative/path\"",
		  "must be a valid uri" },
		{ "uri", "\"urn:isbn:0451450523\"", "\"http://a b\"", "must be a valid uri" },
		{ "ipv4", "\"192.168.0.1\"", "\"256.1.1.1\"", "must be a valid ipv4" },
		{ "ipv6", "\"::1\"", "\"1:::2\"", "must be a valid ipv6" },
		{ "byte", "\"aGVsbG8=\"", "\"aGVsbG8\"", "must be a valid byte" },
		{ "byte", "\"\"", "\"a=bc\"", "must be a valid byte" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char schema[64], want[64];
		snprintf(schema, sizeof schema, "{\"format\":\"%s\"}", cases[i].format);
		snprintf(want, sizeof want, ": %s", cases[i].msg);
		expect(schema, cases[i].good, "");
		expect(schema, cases[i].bad, want);
	}
	/* formats of the other type, and unknown formats, pass */
	expect("{\"format\":\"int32\"}", "\"x\"", "");
	expect("{\"format\":\"date\"}", "12", "");
	expect("{\"format\":\"password\"}", "\"x\"", "");
	expect("{\"format\":\"double\"}", "1e300", "");
}

/* Whether the string text (a C string: no NUL) meets the string format of schema (a
 * compiled {"format": ...}), through the validator. */
static bool format_valid(const struct jsonschema *s, const char *text)
{
	cJSON *v = cJSON_CreateString(text);
	cr_assert_not_null(v);
	bool ok = jsonschema_validate(s, v, NULL, 0) == 0;
	cJSON_Delete(v);
	return ok;
}

/* The email and uri formats read a table of byte classes: each byte (but NUL, which no
 * string holds) in an address's local part, in a domain's label, in a URI's scheme and
 * after it, against the rules as RFCs 5322 and 3986 (as the validator reads them) word them. */
Test(jsonschema, format_bytes)
{
	struct jsonschema *email = schema_ok(JSONSCHEMA_OAS30, "{\"format\":\"email\"}");
	char *err = NULL;
	cJSON *uri_schema = cJSON_Parse("{\"format\":\"uri\"}");
	struct jsonschema *uri = jsonschema_compile(uri_schema, JSONSCHEMA_OAS30, NULL, NULL, &err, NULL);
	cr_assert_not_null(uri);
	for (int c = 1; c < 256; c++) {
		bool ascii_alnum = c < 128 && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
					       (c >= '0' && c <= '9'));
		bool control = c <= ' ';
		bool special = c < 128 && strchr("()<>[]:;@\\,\"", c);
		bool excluded = c < 128 && strchr("<>\"{}|\\^`", c);
		char text[32];
		snprintf(text, sizeof text, "a%cb@example.com", c);
		cr_expect_eq(format_valid(email, text), !control && !special, "email local part, byte 0x%02X", c);
		snprintf(text, sizeof text, "ab@ex%cm.com", c);
		cr_expect_eq(format_valid(email, text), ascii_alnum || c == '-' || c >= 0x80 || c == '.',
			     "email domain, byte 0x%02X", c);
		snprintf(text, sizeof text, "ab@%cx.com", c);
		cr_expect_eq(format_valid(email, text), ascii_alnum || c >= 0x80,
			     "email domain, first byte 0x%02X", c);
		snprintf(text, sizeof text, "h%ct:x", c);
		cr_expect_eq(format_valid(uri, text), ascii_alnum || c == '+' || c == '-' || c == '.' || c == ':',
			     "uri scheme, byte 0x%02X", c);
		snprintf(text, sizeof text, "%cb:x", c);
		cr_expect_eq(format_valid(uri, text), c < 128 && ascii_alnum && !(c >= '0' && c <= '9'),
			     "uri scheme, first byte 0x%02X", c);
		snprintf(text, sizeof text, "h:a%cb", c);
		cr_expect_eq(format_valid(uri, text), !control && !excluded && c != '%', "uri, byte 0x%02X", c);
		snprintf(text, sizeof text, "h:%%4%c", c);
		cr_expect_eq(format_valid(uri, text), (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
						      (c >= 'A' && c <= 'F'),
			     "uri, '%%4' then byte 0x%02X", c);
	}
	/* more than one '@': the local part holds one */
	cr_expect(!format_valid(email, "a@b@example.com"));
	cr_expect(!format_valid(email, "a(b@c@example.com"));
	cr_expect(format_valid(email, "\x7f@example.com"));
	jsonschema_destroy(email);
	jsonschema_destroy(uri);
	cJSON_Delete(uri_schema);
	free(err);
}

Test(jsonschema, combinators)
{
	expect("{\"allOf\":[{\"minimum\":1},{\"maximum\":3}]}", "2", "");
	expect("{\"allOf\":[{\"minimum\":1},{\"maximum\":3}]}", "5", ": must be at most 3");
	expect("{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}", "1", "");
	expect("{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}", "1.5",
	       ": must match at least one schema in 'anyOf'");
	const char *one = "{\"oneOf\":[{\"type\":\"integer\"},{\"minimum\":2}]}";
	expect(one, "1", "");
	expect(one, "2.5", "");
	expect(one, "3", ": must match exactly one schema in 'oneOf', matched 0 and 1");
	expect(one, "1.5", ": must match exactly one schema in 'oneOf', matched none");
	expect("{\"not\":{\"type\":\"string\"}}", "1", "");
	expect("{\"not\":{\"type\":\"string\"}}", "\"s\"", ": must not match the schema in 'not'");
	compile_fails(JSONSCHEMA_OAS30, "{\"oneOf\":[]}",
		      "'oneOf' must be a non-empty array of schemas", "[]");
	compile_fails(JSONSCHEMA_OAS30, "{\"allOf\":[{\"type\":1}]}",
		      "'type' must be a string or an array of strings", "1");
}

Test(jsonschema, boolean_schemas_31)
{
	expect31("{\"properties\":{\"a\":false,\"b\":true}}", "{\"b\":1}", "");
	expect31("{\"properties\":{\"a\":false,\"b\":true}}", "{\"a\":1}",
		 "a: no value is allowed here");
	compile_fails(JSONSCHEMA_OAS30, "{\"properties\":{\"a\":false}}",
		      "a schema must be an object", "false");
}

static const char pets[] =
	"{\"components\":{\"schemas\":{"
	"\"Cat\":{\"type\":\"object\",\"required\":[\"petType\",\"meows\"],"
	"\"properties\":{\"petType\":{\"type\":\"string\"},\"meows\":{\"type\":\"boolean\"}}},"
	"\"Dog\":{\"type\":\"object\",\"required\":[\"petType\",\"barks\"],"
	"\"properties\":{\"petType\":{\"type\":\"string\"},\"barks\":{\"type\":\"boolean\"}}}}},"
	"\"schema\":{\"oneOf\":[{\"$ref\":\"#/components/schemas/Cat\"},"
	"{\"$ref\":\"#/components/schemas/Dog\"}],\"discriminator\":{\"propertyName\":\"petType\"%s}}}";

Test(jsonschema, discriminator)
{
	char text[1024];
	snprintf(text, sizeof text, pets, "");
	expect(text, "{\"petType\":\"Cat\",\"meows\":true}", "");
	/* the chosen branch's errors, not oneOf's */
	expect(text, "{\"petType\":\"Dog\",\"meows\":true}", ": missing required property 'barks'");
	expect(text, "{\"petType\":\"Cow\"}",
	       ": discriminator property 'petType' must be one of [\"Cat\", \"Dog\"]");
	expect(text, "{\"meows\":true}", ": missing discriminator property 'petType'");
	snprintf(text, sizeof text, pets,
		 ",\"mapping\":{\"cat\":\"#/components/schemas/Cat\",\"dog\":\"#/components/schemas/Dog\"}");
	expect(text, "{\"petType\":\"dog\",\"barks\":false}", "");
	expect(text, "{\"petType\":\"dog\",\"barks\":1}", "barks: expected boolean, got 1");
	/* a mapping value may name a component schema instead of a $ref */
	snprintf(text, sizeof text, pets, ",\"mapping\":{\"kitty\":\"Cat\"}");
	expect(text, "{\"petType\":\"kitty\",\"meows\":\"no\"}", "meows: expected boolean, got \"no\"");
	expect(text, "{\"petType\":\"Dog\",\"barks\":true}", "");
	snprintf(text, sizeof text, pets, ",\"mapping\":{\"cat\":\"#/nowhere\"}");
	/* a mapping that names nothing: the branches are tried as plain oneOf */
	expect(text, "{\"petType\":\"cat\",\"meows\":true}", "");
	expect(text, "{\"petType\":\"x\",\"meows\":1}", ": must match exactly one schema in 'oneOf', matched none");
}

static const char tree[] =
	"{\"components\":{\"schemas\":{\"Node\":{\"type\":\"object\",\"required\":[\"value\"],"
	"\"properties\":{\"value\":{\"type\":\"integer\"},"
	"\"children\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/components/schemas/Node\"}}}}}},"
	"\"schema\":{\"$ref\":\"#/components/schemas/Node\"}}";

Test(jsonschema, ref_cycle)
{
	expect(tree, "{\"value\":1,\"children\":[{\"value\":2},{\"value\":3,\"children\":[]}]}", "");
	expect(tree, "{\"value\":1,\"children\":[{\"value\":2,\"children\":[{\"value\":\"x\"}]}]}",
	       "children.0.children.0.value: expected integer, got \"x\"");
	/* deeper than the depth limit: an error, not a crash */
	struct strbuf sb = STRBUF_INIT;
	for (int i = 0; i < JSONSCHEMA_MAX_DEPTH; i++)
		strbuf_adds(&sb, "{\"value\":1,\"children\":[");
	strbuf_adds(&sb, "{\"value\":1}");
	for (int i = 0; i < JSONSCHEMA_MAX_DEPTH; i++)
		strbuf_adds(&sb, "]}");
	struct jsonschema *s = schema_ok(JSONSCHEMA_OAS31, tree);
	char *got = errors_of(s, sb.buf);
	cr_expect(strstr(got, "nested more than 256 schemas deep"), "%s", got);
	free(got);
	jsonschema_destroy(s);
	strbuf_release(&sb);
	/* a loop of refs that never reaches the instance */
	expect("{\"a\":{\"$ref\":\"#/b\"},\"b\":{\"$ref\":\"#/a\"},\"schema\":{\"$ref\":\"#/a\"}}",
	       "1", ": nested more than 256 schemas deep");
}

Test(jsonschema, ref_siblings)
{
	const char *s = "{\"S\":{\"type\":\"string\"},\"schema\":{\"$ref\":\"#/S\",\"maxLength\":2}}";
	/* 3.0 ignores keywords beside $ref; 3.1 applies them */
	expect30(s, "\"abc\"", "");
	expect31(s, "\"abc\"", ": must be at most 2 characters long");
	expect(s, "1", ": expected string, got 1");
	compile_fails(JSONSCHEMA_OAS31, "{\"properties\":{\"a\":{\"$ref\":\"#/none\"}}}",
		      "'$ref' '#/none' does not resolve", "\"#/none\"");
}

Test(jsonschema, no_resolver)
{
	cJSON *js = json_or_fail("{\"$ref\":\"#/x\"}");
	char *err = NULL;
	cr_assert_null(jsonschema_compile(js, JSONSCHEMA_OAS30, NULL, NULL, &err, NULL));
	cr_expect_str_eq(err, "'$ref' '#/x' does not resolve");
	free(err);
	/* a chain of refs deeper than the compile limit fails; a long one compiles */
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, "{\"schema\":{\"$ref\":\"#/d0\"}");
	for (int i = 0; i < 600; i++)
		strbuf_addf(&sb, ",\"d%d\":{\"$ref\":\"#/d%d\"}", i, i + 1);
	strbuf_adds(&sb, ",\"d600\":{\"type\":\"string\"}}");
	cJSON *chain = json_or_fail(sb.buf);
	err = NULL;
	cr_assert_null(jsonschema_compile(cJSON_GetObjectItem(chain, "schema"), JSONSCHEMA_OAS31,
					  resolve_pointer, chain, &err, NULL));
	cr_expect_str_eq(err, "schema nested more than 512 levels deep");
	free(err);
	cJSON_Delete(chain);
	strbuf_release(&sb);
	cr_assert_null(jsonschema_compile(js, JSONSCHEMA_OAS30, NULL, NULL, NULL, NULL));
	cJSON_Delete(js);
}

Test(jsonschema, error_cap)
{
	struct jsonschema *s = schema_ok(JSONSCHEMA_OAS30, "{\"items\":{\"type\":\"string\"}}");
	struct strbuf sb = STRBUF_INIT;
	strbuf_addc(&sb, '[');
	for (int i = 0; i < 500; i++)
		strbuf_addf(&sb, "%s%d", i ? "," : "", i);
	strbuf_addc(&sb, ']');
	cJSON *v = json_or_fail(sb.buf);
	struct jsonschema_error e[3];
	cr_expect_eq(jsonschema_validate(s, v, e, 3), JSONSCHEMA_MAX_ERRORS);
	cr_expect_str_eq(e[2].path, "2");
	cr_expect_str_eq(e[2].message, "expected string, got 2");
	jsonschema_errors_release(e, 3);
	cr_expect_eq(jsonschema_validate(s, v, NULL, 0), JSONSCHEMA_MAX_ERRORS);
	cJSON_Delete(v);
	strbuf_release(&sb);
	jsonschema_destroy(s);
}

Test(jsonschema, explosive_oneof_gives_up)
{
	/* oneOf of two refs back to itself: 2^depth branches without the step budget */
	struct jsonschema *s = schema_ok(JSONSCHEMA_OAS31,
		"{\"A\":{\"oneOf\":[{\"$ref\":\"#/A\"},{\"$ref\":\"#/A\"},{\"$ref\":\"#/A\"}]},"
		"\"schema\":{\"$ref\":\"#/A\"}}");
	char *got = errors_of(s, "1");
	cr_expect(strstr(got, "validation gave up") || strstr(got, "nested more than"), "%s", got);
	free(got);
	jsonschema_destroy(s);
}

static size_t text_errors(const struct jsonschema *s, const char *text, char *msg, size_t len)
{
	struct jsonschema_error e[2];
	size_t n = jsonschema_validate_text(s, text, e, 2);
	snprintf(msg, len, "%s", n ? e[0].message : "");
	jsonschema_errors_release(e, n < 2 ? n : 2);
	return n;
}

Test(jsonschema, text_parameters)
{
	char msg[128];
	struct jsonschema *s = schema_ok(JSONSCHEMA_OAS30, "{\"type\":\"integer\",\"maximum\":100}");
	cr_expect_eq(text_errors(s, "42", msg, sizeof msg), 0);
	cr_expect_eq(text_errors(s, "-3", msg, sizeof msg), 0);
	cr_expect_eq(text_errors(s, "101", msg, sizeof msg), 1);
	cr_expect_str_eq(msg, "must be at most 100");
	cr_expect_eq(text_errors(s, "abc", msg, sizeof msg), 1);
	cr_expect_str_eq(msg, "expected integer, got \"abc\"");
	cr_expect_eq(text_errors(s, "1.5", msg, sizeof msg), 1);
	cr_expect_str_eq(msg, "expected integer, got 1.5");
	cr_expect_eq(text_errors(s, "0x10", msg, sizeof msg), 1);
	cr_expect_eq(text_errors(s, "", msg, sizeof msg), 1);
	jsonschema_destroy(s);

	s = schema_ok(JSONSCHEMA_OAS30, "{\"type\":\"boolean\"}");
	cr_expect_eq(text_errors(s, "true", msg, sizeof msg), 0);
	cr_expect_eq(text_errors(s, "yes", msg, sizeof msg), 1);
	jsonschema_destroy(s);

	/* a string stays a string, digits and all */
	s = schema_ok(JSONSCHEMA_OAS30, "{\"type\":\"string\",\"pattern\":\"^[0-9]+$\"}");
	cr_expect_eq(text_errors(s, "0123", msg, sizeof msg), 0);
	jsonschema_destroy(s);

	/* arrays: comma-separated, each item by the items' type, through a $ref */
	s = schema_ok(JSONSCHEMA_OAS31,
		      "{\"I\":{\"type\":\"integer\",\"minimum\":1},\"schema\":{\"type\":\"array\","
		      "\"maxItems\":3,\"items\":{\"$ref\":\"#/I\"}}}");
	cr_expect_eq(text_errors(s, "1,2,3", msg, sizeof msg), 0);
	cr_expect_eq(text_errors(s, "1,0", msg, sizeof msg), 1);
	cr_expect_str_eq(msg, "must be at least 1");
	cr_expect_eq(text_errors(s, "1,2,3,4", msg, sizeof msg), 1);
	cr_expect_str_eq(msg, "must have at most 3 items");
	struct jsonschema_error e[1];
	cr_expect_eq(jsonschema_validate_text(s, "1,x", e, 1), 1);
	cr_expect_str_eq(e[0].path, "1");
	jsonschema_errors_release(e, 1);
	jsonschema_destroy(s);

	s = schema_ok(JSONSCHEMA_OAS31, "{\"type\":[\"integer\",\"null\"]}");
	cr_expect_eq(text_errors(s, "null", msg, sizeof msg), 0);
	cr_expect_eq(text_errors(s, "7", msg, sizeof msg), 0);
	jsonschema_destroy(s);
}

Test(jsonschema, exact_numbers)
{
	/* cJSON_Raw numbers as json_parse_exact reads them count as numbers */
	struct jsonschema *s = schema_ok(JSONSCHEMA_OAS30,
					 "{\"type\":\"integer\",\"maximum\":10,\"enum\":[1,10]}");
	const char *text = "10.0";
	cJSON *v = json_parse_exact(text, strlen(text), 16, 100);
	cr_assert_not_null(v);
	cr_expect_eq(jsonschema_validate(s, v, NULL, 0), 0);
	cJSON_Delete(v);
	jsonschema_destroy(s);
}

static struct jsonschema *shared;

static void *validate_many(void *arg)
{
	(void)arg;
	cJSON *bad = json_or_fail("{\"value\":1,\"children\":[{\"value\":\"x\"}]}");
	cJSON *good = json_or_fail("{\"value\":1,\"children\":[{\"value\":2}]}");
	for (int i = 0; i < 2000; i++) {
		struct jsonschema_error e[1];
		if (jsonschema_validate(shared, good, e, 1) != 0 ||
		    jsonschema_validate(shared, bad, e, 1) != 1)
			return (void *)1;
		jsonschema_errors_release(e, 1);
	}
	cJSON_Delete(bad);
	cJSON_Delete(good);
	return NULL;
}

Test(jsonschema, threads)
{
	shared = schema_ok(JSONSCHEMA_OAS31, tree);
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, validate_many, NULL);
	for (int i = 0; i < 4; i++) {
		void *r;
		pthread_join(t[i], &r);
		cr_expect_null(r);
	}
	jsonschema_destroy(shared);
}

/* A subtype that is allOf its base, whose discriminator maps back to the subtype (the
 * usual OpenAPI inheritance): the base's discriminator met again on the same instance is
 * already being applied, not applied again until the depth runs out. */
Test(jsonschema, discriminator_inheritance)
{
	static const char text[] =
		"{\"schema\":{\"$ref\":\"#/components/schemas/Pet\"},"
		"\"components\":{\"schemas\":{"
		"\"Pet\":{\"type\":\"object\",\"required\":[\"petType\"],\"properties\":{\"petType\":{\"type\":\"string\"}},"
		"\"discriminator\":{\"propertyName\":\"petType\",\"mapping\":{\"cat\":\"#/components/schemas/Cat\"}}},"
		"\"Cat\":{\"allOf\":[{\"$ref\":\"#/components/schemas/Pet\"},"
		"{\"type\":\"object\",\"required\":[\"meows\"],\"properties\":{\"meows\":{\"type\":\"boolean\"}}}]}}}}";
	expect(text, "{\"petType\":\"cat\",\"meows\":true}", "");
	expect(text, "{\"petType\":\"cat\",\"meows\":1}", "meows: expected boolean, got 1");
	expect(text, "{\"petType\":\"cat\"}", ": missing required property 'meows'");
}

/* Schemas compiled in one library share the nodes of what they share: a component reached
 * from two operations is compiled once; a failed compile leaves the library refusing. */
Test(jsonschema, a_library_compiles_shared_schemas_once)
{
	cJSON *js = json_or_fail("{\"a\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/Pet\"}},"
				 "\"b\":{\"$ref\":\"#/Pet\"},"
				 "\"Pet\":{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},"
				 "\"kids\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/Pet\"}}}},"
				 "\"bad\":{\"minLength\":-1}}");
	struct jsonschema_lib *lib = jsonschema_lib_create(JSONSCHEMA_OAS30, resolve_pointer, js);
	const struct jsonschema *a = jsonschema_lib_compile(lib, cJSON_GetObjectItem(js, "a"), NULL, NULL);
	cr_assert_not_null(a);
	size_t after_a = jsonschema_lib_nodes(lib);
	const struct jsonschema *b = jsonschema_lib_compile(lib, cJSON_GetObjectItem(js, "b"), NULL, NULL);
	cr_assert_not_null(b);
	cr_expect_eq(jsonschema_lib_nodes(lib), after_a + 1, "b's own node only, Pet shared");
	size_t before = jsonschema_lib_nodes(lib);
	cr_expect_not_null(jsonschema_lib_compile(lib, cJSON_GetObjectItem(js, "b"), NULL, NULL));
	cr_expect_eq(jsonschema_lib_nodes(lib), before, "compiled again: no new node");
	char *got = errors_of(a, "[{\"name\":1,\"kids\":[{\"name\":\"x\"}]}]");
	cr_expect_str_eq(got, "0.name: expected string, got 1");
	free(got);
	got = errors_of(b, "{\"kids\":[{\"name\":2}]}");
	cr_expect_str_eq(got, "kids.0.name: expected string, got 2");
	free(got);
	char *err = NULL;
	const cJSON *at = NULL;
	cr_expect_null(jsonschema_lib_compile(lib, cJSON_GetObjectItem(js, "bad"), &err, &at));
	cr_expect_str_eq(err, "'minLength' must be a non-negative integer");
	free(err);
	cr_expect_null(jsonschema_lib_compile(lib, cJSON_GetObjectItem(js, "b"), &err, NULL));
	free(err);
	jsonschema_lib_destroy(lib);
	cJSON_Delete(js);
}

static char *fields_errors(const char *schema, const char *const *names, const char *const *values, size_t n)
{
	struct jsonschema *s = schema_ok(JSONSCHEMA_OAS30, schema);
	struct jsonschema_error e[8];
	size_t k = jsonschema_validate_fields(s, names, values, n, e, 8);
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < k && i < 8; i++)
		strbuf_addf(&sb, "%s%s: %s", i ? " | " : "", e[i].path, e[i].message);
	jsonschema_errors_release(e, k < 8 ? k : 8);
	jsonschema_destroy(s);
	return strbuf_detach(&sb, NULL);
}

/* Form fields read by the types of their properties: scalars, repeated names as arrays,
 * a[b][0][c] as nested objects and arrays (deepObject), JSON text or "k,v,k,v" for an
 * object given in one field. */
Test(jsonschema, form_fields)
{
	static const char schema[] =
		"{\"type\":\"object\",\"required\":[\"n\",\"address\"],\"properties\":{"
		"\"n\":{\"type\":\"integer\"},\"ok\":{\"type\":\"boolean\"},"
		"\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"}},"
		"\"address\":{\"type\":\"object\",\"required\":[\"city\"],\"properties\":{\"city\":{\"type\":\"string\"},"
		"\"zip\":{\"type\":\"integer\"}}},"
		"\"lines\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"required\":[\"qty\"],"
		"\"properties\":{\"qty\":{\"type\":\"integer\"}}}}}}";
	const char *n1[] = { "n", "ok", "tags", "tags", "address[city]", "address[zip]", "lines[0][qty]", "lines[1][qty]" };
	const char *v1[] = { "3", "true", "1", "2", "Paris", "75001", "1", "2" };
	char *got = fields_errors(schema, n1, v1, 8);
	cr_expect_str_eq(got, "");
	free(got);
	const char *v2[] = { "x", "maybe", "1", "b", "Paris", "z", "1", "q" };
	got = fields_errors(schema, n1, v2, 8);
	cr_expect_str_eq(got, "n: expected integer, got \"x\" | ok: expected boolean, got \"maybe\" | tags.1: expected "
			      "integer, got \"b\" | address.zip: expected integer, got \"z\" | lines.1.qty: expected integer, "
			      "got \"q\"");
	free(got);
	const char *n3[] = { "n", "address" };
	const char *v3[] = { "1", "{\"city\":\"Rome\"}" };
	got = fields_errors(schema, n3, v3, 2);
	cr_expect_str_eq(got, "");
	free(got);
	const char *v4[] = { "1", "city,Oslo,zip,150" };
	got = fields_errors(schema, n3, v4, 2);
	cr_expect_str_eq(got, "");
	free(got);
	const char *n5[] = { "n" };
	const char *v5[] = { "1" };
	got = fields_errors(schema, n5, v5, 1);
	cr_expect_str_eq(got, ": missing required property 'address'");
	free(got);
}
