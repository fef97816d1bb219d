/* SPDX-License-Identifier: MIT */
/* json: parsing with located errors (never cJSON's global error pointer), compact
 * printing, checked building, and the exact reader the recorder needs. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "json.h"

Test(json, parses_and_prints_compactly)
{
	const char *text = " {\"a\": [1, 2.5, \"x\"], \"b\": null} \n";
	struct json_error e;
	cJSON *j = json_parse(text, strlen(text), &e);
	cr_assert_not_null(j);
	size_t len;
	char *out = json_print(j, &len);
	cr_expect_str_eq(out, "{\"a\":[1,2.5,\"x\"],\"b\":null}");
	cr_expect_eq(len, strlen(out));
	free(out);
	cJSON_Delete(j);
}

Test(json, text_need_not_be_terminated)
{
	const char text[] = "[1,2]garbage";
	cJSON *j = json_parse(text, 5, NULL);
	cr_assert_not_null(j);
	cr_expect_eq(cJSON_GetArraySize(j), 2);
	cJSON_Delete(j);
}

Test(json, errors_have_offset_line_and_column)
{
	const char *text = "{\n  \"a\": 1,\n  \"b\": ?\n}";
	struct json_error e;
	cr_expect_null(json_parse(text, strlen(text), &e));
	cr_expect_eq(e.line, 3);
	cr_expect_eq(e.col, 8);
	cr_expect_eq(e.offset, 19);
}

Test(json, columns_count_characters)
{
	const char *text = "[\"\xc3\xa9\xc3\xa9\", x]";
	struct json_error e;
	cr_expect_null(json_parse(text, strlen(text), &e));
	cr_expect_eq(e.line, 1);
	cr_expect_eq(e.col, 8);
}

Test(json, trailing_text_is_an_error_where_it_starts)
{
	const char *text = "{\"a\": 1}\n  x";
	struct json_error e;
	cr_expect_null(json_parse(text, strlen(text), &e));
	cr_expect_eq(e.line, 2);
	cr_expect_eq(e.col, 3);
}

Test(json, empty_text_is_an_error_at_its_end)
{
	struct json_error e;
	cr_expect_null(json_parse("", 0, &e));
	cr_expect_eq(e.offset, 0);
	cr_expect_null(json_parse(NULL, 0, &e));
	cr_expect_null(json_parse("  ", 2, &e));
	cr_expect_eq(e.offset, 2);
}

Test(json, building_helpers_take_ownership)
{
	cJSON *o = json_check(cJSON_CreateObject());
	cJSON *a = json_check(cJSON_CreateArray());
	json_array_add(a, cJSON_CreateNumber(1));
	json_array_add(a, cJSON_CreateString("two"));
	json_object_add(o, "list", a);
	char *out = json_print(o, NULL);
	cr_expect_str_eq(out, "{\"list\":[1,\"two\"]}");
	free(out);
	cJSON_Delete(o);
}

Test(json, exact_reader_keeps_number_text_and_key_order)
{
	const char *text = "{\"z\": 1.10, \"a\": 12345678901234567890123, \"m\": [-0, 1e400, 2E-3]}";
	cJSON *j = json_parse_exact(text, strlen(text), 48, 1000);
	/* 1e400 is out of a double's range: refused */
	cr_expect_null(j);
	text = "{\"z\": 1.10, \"a\": 12345678901234567890123, \"m\": [-0, 2E-3, true, null, \"s\"]}";
	j = json_parse_exact(text, strlen(text), 48, 1000);
	cr_assert_not_null(j);
	cr_expect(cJSON_IsRaw(j->child));
	cr_expect_str_eq(j->child->string, "z");
	cr_expect_str_eq(j->child->valuestring, "1.10");
	char *out = json_print(j, NULL);
	cr_expect_str_eq(out, "{\"z\":1.10,\"a\":12345678901234567890123,\"m\":[-0,2E-3,true,null,\"s\"]}");
	free(out);
	cJSON_Delete(j);
}

Test(json, exact_reader_refuses_what_a_stub_cannot_hold)
{
	static const char *const bad[] = {
		"{\"a\": 1, \"a\": 2}",    /* duplicate key */
		"\"a\\u0000b\"",           /* NUL */
		"\"\\ud800\"",             /* lone high surrogate */
		"\"\\udc00\"",             /* lone low surrogate */
		"\"\xff\"",                /* invalid UTF-8 */
		"[1,]",
		"01",
		"1.",
		"tru",
		"[1] 2",
		"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		cr_expect_null(json_parse_exact(bad[i], strlen(bad[i]), 48, 1000), "%s", bad[i]);
}

Test(json, exact_reader_decodes_escapes)
{
	const char *text = "\"\\ud83d\\ude00 \\u00e9\\n\\/\"";
	cJSON *j = json_parse_exact(text, strlen(text), 48, 1000);
	cr_assert_not_null(j);
	cr_expect_str_eq(j->valuestring, "\xf0\x9f\x98\x80 \xc3\xa9\n/");
	cJSON_Delete(j);
}

Test(json, exact_reader_is_bounded)
{
	cJSON *j = json_parse_exact("[[1]]", 5, 2, 10);
	cr_expect_not_null(j);
	cJSON_Delete(j);
	cr_expect_null(json_parse_exact("[[[1]]]", 7, 2, 10));
	cr_expect_null(json_parse_exact("[1,2,3]", 7, 2, 3));
	j = json_parse_exact("[1,2,3]", 7, 2, 4);
	cr_expect_not_null(j);
	cJSON_Delete(j);
}

/* JSON pointers (RFC 6901) and dotted paths over the same document. */
Test(json, pointers_and_dotted_paths)
{
	static const char text[] = "{\"a\":[{\"b/c\":1,\"m~n\":2,\"\":3}],\"x\":{\"y\":true}}";
	cJSON *root = json_parse(text, strlen(text), NULL);
	cr_assert_not_null(root);
	cr_expect_eq(json_get_pointer(root, ""), root);
	cr_expect_eq(json_get_pointer(root, "/a/0/b~1c")->valueint, 1);
	cr_expect_eq(json_get_pointer(root, "/a/0/m~0n")->valueint, 2);
	cr_expect_eq(json_get_pointer(root, "/a/0/")->valueint, 3);
	cr_expect(cJSON_IsTrue(json_get_pointer(root, "/x/y")));
	cr_expect_null(json_get_pointer(root, "/a/1"));
	cr_expect_null(json_get_pointer(root, "/a/01"));
	cr_expect_null(json_get_pointer(root, "x/y"), "a pointer starts with '/'");
	cr_expect_null(json_get_pointer(root, "/nope/y"));
	cr_expect(cJSON_IsTrue(json_get_dotted(root, "x.y")));
	cr_expect_eq(json_get_dotted(root, "a.0.m~n")->valueint, 2);
	cr_expect_eq(json_get_dotted(root, ""), root);
	cr_expect_null(json_get_dotted(root, "a.1"));
	cJSON_Delete(root);
}
