/* SPDX-License-Identifier: MIT */
/* The request view: header look-up, the JSON body (cJSON's and the exact reader's) and its
 * dotted paths, the form body, each parse made once and dropped by req_view_release. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <string.h>

#include "request.h"
#include "testutil.h"

static struct req q;

static void setup(void)
{
	req_init(&q, "POST", "/x");
}

static void teardown(void)
{
	req_fini(&q);
}

TestSuite(request, .init = setup, .fini = teardown);

/* ---- headers ---- */

Test(request, header_names_are_case_insensitive)
{
	req_header(&q, "Content-Type", "text/plain");
	req_header(&q, "X-Trace", "abc");
	const struct kv *h = req_view_header(&q.v, "content-type");
	cr_assert_not_null(h, "Content-Type not found as content-type");
	cr_expect_str_eq(h->value, "text/plain");
	cr_expect_eq(h, &q.headers[0], "the kv is borrowed from the request");
	cr_expect_not_null(req_view_header(&q.v, "X-TRACE"));
	cr_expect_null(req_view_header(&q.v, "X-Missing"));
	cr_expect_null(req_view_header(&q.v, "X-Trac"), "a prefix of a name is another name");
}

Test(request, the_first_of_repeated_headers)
{
	req_header(&q, "Accept", "a");
	req_header(&q, "accept", "b");
	cr_expect_str_eq(req_view_header(&q.v, "ACCEPT")->value, "a");
}

/* ---- JSON ---- */

static void expect_text(const cJSON *j, const char *want, const char *path)
{
	cr_assert_not_null(j, "path '%s' is missing", path);
	char *s = cJSON_PrintUnformatted(j);
	cr_expect_str_eq(s, want, "path '%s'", path);
	cJSON_free(s);
}

Test(request, json_body_is_parsed_once)
{
	req_body(&q, "{\"a\":1}");
	const cJSON *j = req_view_json(&q.v);
	cr_assert_not_null(j);
	cr_expect_eq(q.v.json_state, 1);
	cr_expect_eq(req_view_json(&q.v), j, "the second call returns the cached parse");
	expect_text(j, "{\"a\":1}", "");
}

Test(request, json_body_allows_trailing_white_space)
{
	req_body(&q, "  [1, 2]\r\n\t ");
	expect_text(req_view_json(&q.v), "[1,2]", "");
}

Test(request, trailing_bytes_make_it_not_json)
{
	req_body(&q, "{\"a\":1} x");
	cr_expect_null(req_view_json(&q.v));
	cr_expect_eq(q.v.json_state, -1, "the failure is cached too");
	cr_expect_null(q.v.json, "nothing kept from a failed parse");
}

Test(request, two_documents_are_not_json)
{
	req_body(&q, "{} {}");
	cr_expect_null(req_view_json(&q.v));
}

Test(request, no_body_is_not_json)
{
	cr_expect_null(req_view_json(&q.v), "a NULL body");
	req_view_release(&q.v);
	q.v.body = "";
	q.v.body_len = 0;
	cr_expect_null(req_view_json(&q.v), "an empty body");
	req_view_release(&q.v);
	req_body(&q, "not json");
	cr_expect_null(req_view_json(&q.v), "text");
}

Test(request, a_nul_in_a_json_string_makes_it_not_json)
{
	/* cJSON's strings end at a NUL: "a\u0000b" would read as "a" and match "a" */
	req_body(&q, "{\"name\":\"a\\u0000b\"}");
	cr_expect_null(req_view_json(&q.v));
	cr_expect_null(req_view_json_path(&q.v, "name"));
}

Test(request, json_reads_only_body_len_bytes)
{
	static const char buf[] = "{\"a\":1}GARBAGE";
	q.v.body = buf;
	q.v.body_len = 7;
	expect_text(req_view_json(&q.v), "{\"a\":1}", "");
}

Test(request, json_paths)
{
	req_body(&q, "{\"user\":{\"name\":\"Ada\",\"tags\":[\"x\",\"y\"]},"
		     "\"items\":[{\"id\":7},{\"id\":8}],\"n\":null,\"user.name\":\"dotted\"}");
	expect_text(req_view_json_path(&q.v, "user.name"), "\"Ada\"", "user.name");
	expect_text(req_view_json_path(&q.v, "items.1.id"), "8", "items.1.id");
	expect_text(req_view_json_path(&q.v, "user.tags.0"), "\"x\"", "user.tags.0");
	expect_text(req_view_json_path(&q.v, "user"), "{\"name\":\"Ada\",\"tags\":[\"x\",\"y\"]}", "user");
	expect_text(req_view_json_path(&q.v, "n"), "null", "n");
	cr_expect_eq(req_view_json_path(&q.v, ""), req_view_json(&q.v), "\"\" is the whole body");
}

Test(request, json_paths_that_lead_nowhere)
{
	req_body(&q, "{\"user\":{\"name\":\"Ada\"},\"items\":[{\"id\":7}],\"s\":\"text\"}");
	static const char *const missing[] = {
		"nobody",
		"use",                  /* a prefix of a key is not the key */
		"username",             /* nor is a longer name */
		"user.name.first",      /* through a string */
		"items.1.id",           /* past the end */
		"items.x",              /* not an index */
		"items.-1",
		"items.01x",
		"items.99999999999999999999999999",     /* does not fit */
		"items.",               /* empty segment */
		"user..name",
		"s.0",                  /* a string is not an array */
	};
	for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++)
		cr_expect_null(req_view_json_path(&q.v, missing[i]), "path '%s' should be missing", missing[i]);
}

Test(request, json_path_of_a_body_that_is_not_json)
{
	req_body(&q, "a=1");
	cr_expect_null(req_view_json_path(&q.v, ""));
	cr_expect_null(req_view_json_path(&q.v, "a"));
}

Test(request, release_drops_the_parse_and_allows_another)
{
	req_body(&q, "[1]");
	cr_assert_not_null(req_view_json(&q.v));
	req_view_release(&q.v);
	cr_expect_null(q.v.json);
	cr_expect_eq(q.v.json_state, 0);
	req_body(&q, "[2]");
	expect_text(req_view_json(&q.v), "[2]", "after release");
}

Test(request, the_exact_parse_keeps_number_text)
{
	req_body(&q, "{\"price\": 10.0, \"n\": [1, 2.50]}");
	const cJSON *j = req_view_json_exact(&q.v);
	cr_assert_not_null(j);
	cr_expect_eq(req_view_json_exact(&q.v), j, "parsed once");
	const cJSON *price = json_get_dotted(j, "price");
	cr_assert(cJSON_IsRaw(price));
	cr_expect_str_eq(price->valuestring, "10.0");
	cr_expect_str_eq(json_get_dotted(j, "n.1")->valuestring, "2.50");
	cr_expect_eq(json_get_dotted(j, ""), j);
	cr_expect_null(json_get_dotted(j, "n.2"));
	req_view_release(&q.v);
	cr_expect_null(q.v.json_exact);
	cr_expect_eq(q.v.json_exact_state, 0);
	/* what the exact reader refuses, cJSON may still read */
	req_body(&q, "{\"a\":1,\"a\":2}");
	cr_expect_null(req_view_json_exact(&q.v));
	cr_expect_not_null(req_view_json(&q.v));
	req_view_release(&q.v);
	req_body(&q, "");
	cr_expect_null(req_view_json_exact(&q.v));
}

/* ---- forms ---- */

static const struct kv *field(size_t i)
{
	cr_assert_lt(i, q.v.nform, "only %zu fields", q.v.nform);
	return &q.v.form[i];
}

static void expect_field(size_t i, const char *name, const char *value)
{
	cr_expect_str_eq(field(i)->name, name, "field %zu", i);
	cr_expect_str_eq(field(i)->value, value, "field %zu (%s)", i, name);
	cr_expect_eq(field(i)->len, strlen(value), "field %zu (%s) length", i, name);
}

/* Parses body as a form sent with the form Content-Type; asserts it has n fields. */
static void form(const char *body, size_t n)
{
	req_header(&q, "Content-Type", "application/x-www-form-urlencoded");
	req_body(&q, body);
	req_view_form(&q.v);
	cr_assert_eq(q.v.nform, n, "%zu fields in '%s', expected %zu", q.v.nform, body, n);
}

/* Parses body as a form and expects exactly the fields NAME, VALUE, ... (NULL ends). */
static void expect_form(const char *body, ...)
{
	va_list ap;
	size_t n = 0;
	va_start(ap, body);
	while (va_arg(ap, const char *))
		n++;
	va_end(ap);
	form(body, n / 2);
	va_start(ap, body);
	for (size_t i = 0; i < n / 2; i++) {
		const char *name = va_arg(ap, const char *);
		expect_field(i, name, va_arg(ap, const char *));
	}
	va_end(ap);
}

Test(request, form_fields_are_decoded)
{
	expect_form("user+name=Ada+Lovelace&email=ada%40example.com&a%2Bb=1%2b1",
		    "user name", "Ada Lovelace", "email", "ada@example.com", "a+b", "1+1", NULL);
}

Test(request, form_keeps_malformed_escapes_as_written)
{
	expect_form("a=%zz&b=%4&c=100%&d=%41", "a", "%zz", "b", "%4", "c", "100%", "d", "A", NULL);
}

Test(request, form_fields_without_value_empty_fields_and_repeats)
{
	/* empty pieces between '&' are no fields; a repeated name is kept twice, in order */
	expect_form("debug&&x=1&x=2&empty=&", "debug", "", "x", "1", "x", "2", "empty", "", NULL);
}

Test(request, form_value_with_a_nul_byte_keeps_its_length)
{
	form("v=a%00b", 1);
	cr_expect_eq(field(0)->len, 3, "len counts past the NUL");
	cr_expect_eq(memcmp(field(0)->value, "a\0b", 3), 0);
}

Test(request, a_form_name_with_a_nul_is_no_field)
{
	/* "a%00x" would pass for the field "a" */
	expect_form("a%00x=1&b=2&a=3", "b", "2", "a", "3", NULL);
}

Test(request, form_content_type_is_a_case_insensitive_prefix)
{
	req_header(&q, "content-type", "Application/X-WWW-Form-Urlencoded; charset=utf-8");
	req_body(&q, "a=1");
	req_view_form(&q.v);
	cr_assert_eq(q.v.nform, 1);
	expect_field(0, "a", "1");
}

Test(request, form_needs_its_content_type)
{
	static const char *const types[] = { NULL, "text/plain", "application/json", "application/x-www-form" };
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		req_fini(&q);
		req_init(&q, "POST", "/");
		if (types[i])
			req_header(&q, "Content-Type", types[i]);
		req_body(&q, "a=1&b=2");
		req_view_form(&q.v);
		cr_expect_eq(q.v.nform, 0, "Content-Type %s read as a form", types[i] ? types[i] : "(none)");
		cr_expect_eq(q.v.form_state, 1, "the answer is cached");
	}
}

Test(request, form_of_an_empty_body)
{
	form("", 0);
	cr_expect_null(q.v.form);
}

Test(request, form_is_parsed_once_until_release)
{
	form("a=1", 1);
	req_body(&q, "b=2&c=3");
	req_view_form(&q.v);
	cr_assert_eq(q.v.nform, 1, "the second call kept the first parse");
	expect_field(0, "a", "1");
	req_view_release(&q.v);
	cr_expect_eq(q.v.nform, 0);
	cr_expect_null(q.v.form);
	req_view_form(&q.v);
	cr_assert_eq(q.v.nform, 2, "after release the body is parsed again");
	expect_field(1, "c", "3");
}
