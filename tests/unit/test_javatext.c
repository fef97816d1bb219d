/* SPDX-License-Identifier: MIT */
/* javatext: Double.toString, and JSON values as the jsonPath helper renders them, over the
 * exact reader's number text and over cJSON's doubles. */
#include <criterion/criterion.h>

#include <math.h>
#include <string.h>

#include "javatext.h"
#include "json.h"
#include "util/strbuf.h"

static void expect_double(double d, const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	javatext_double(&sb, d);
	cr_expect_str_eq(strbuf_str(&sb), want, "%.17g", d);
	strbuf_release(&sb);
}

Test(javatext, doubles_as_java_prints_them)
{
	expect_double(1.5, "1.5");
	expect_double(1000, "1000.0");
	expect_double(0.001, "0.001");
	expect_double(0.0001, "1.0E-4");
	expect_double(1e-5, "1.0E-5");
	expect_double(9999999, "9999999.0");
	expect_double(1e7, "1.0E7");
	expect_double(12345678.5, "1.23456785E7");
	expect_double(1e22, "1.0E22");
	expect_double(-2.5, "-2.5");
	expect_double(0.1 + 0.2, "0.30000000000000004");
	expect_double(0, "0.0");
	expect_double(-0.0, "-0.0");
	expect_double(5e-324, "4.9E-324");
	expect_double(1.7976931348623157e308, "1.7976931348623157E308");
	expect_double(NAN, "NaN");
	expect_double(-INFINITY, "-Infinity");
}

/* Renders JSON text's value: exact (numbers as written) or through cJSON's doubles. */
static void expect_value(const char *json, bool exact, const char *want)
{
	cJSON *v = exact ? json_parse_exact(json, strlen(json), 64, 1000) : json_parse(json, strlen(json), NULL);
	cr_assert_not_null(v, "bad test JSON %s", json);
	struct strbuf sb = STRBUF_INIT;
	javatext_json_value(&sb, v);
	cr_expect_str_eq(strbuf_str(&sb), want, "%s (%s)", json, exact ? "exact" : "cJSON");
	strbuf_release(&sb);
	cJSON_Delete(v);
}

Test(javatext, scalars)
{
	expect_value("\"x\\u00e9/y\\n\"", true, "x\xc3\xa9/y\n");
	expect_value("true", true, "true");
	expect_value("null", true, "");
	expect_value("10", true, "10");
	expect_value("10.0", true, "10.0");
	expect_value("10.0", false, "10");
	expect_value("1e3", true, "1000.0");
	expect_value("-0", true, "0");
	expect_value("-0.0", true, "-0.0");
	expect_value("123456789012345678901234567890", true, "123456789012345678901234567890");
	expect_value("0.1234567890123456789", true, "0.1234567890123456789");
	expect_value("1.2345678901234567890E+5", true, "123456.78901234567890");
	expect_value("1.2345678901234567890E-15", true, "1.2345678901234567890E-15");
	expect_value("1.2345678901234567890E+25", true, "1.2345678901234567890E+25");
	expect_value("2.5", false, "2.5");
}

Test(javatext, arrays_as_json_smart_prints_them)
{
	expect_value("[\"x\",\"y/z\",1.5,null,{\"m\":1,\"n\":null},[],true]", true,
		     "[\"x\",\"y\\/z\",1.5,null,{\"m\":1,\"n\":null},[],true]");
	expect_value("[\"\\u2028\\u0001\\u001f\\u007f\\u0085\\\"\\\\\\t\\b\\f\\r\\n\xc3\xa9\"]", true,
		     "[\"\\u2028\\u0001\\u001F\\u007F\\u0085\\\"\\\\\\t\\b\\f\\r\\n\xc3\xa9\"]");
	expect_value("[1.0E22,1.0,0.12345678901234567890]", true, "[1.0E22,1.0,0.12345678901234567890]");
	expect_value("[]", true, "[]");
}

Test(javatext, objects_as_jackson_pretty_prints_them)
{
	expect_value("{\"k\":1,\"z\":null,\"arr\":[1,2,{\"q\":\"w\"}],\"e\":{},\"ea\":[]}", true,
		     "{\n  \"k\" : 1,\n  \"arr\" : [ 1, 2, {\n    \"q\" : \"w\"\n  } ],\n  \"e\" : { },\n  \"ea\" : [ ]\n}");
	expect_value("{\"s\":\"q\\\"/\\u00e9\\u0001\\u001f\\n\",\"l\":[null,\"x\",[]],\"o\":{\"a\":{\"b\":2}}}", true,
		     "{\n  \"s\" : \"q\\\"/\xc3\xa9\\u0001\\u001F\\n\",\n  \"l\" : [ null, \"x\", [ ] ],\n"
		     "  \"o\" : {\n    \"a\" : {\n      \"b\" : 2\n    }\n  }\n}");
	expect_value("{\"n\":null}", true, "{ }");
	expect_value("{\"big\":0.1234567890123456789e-3}", true, "{\n  \"big\" : 0.0001234567890123456789\n}");
}
