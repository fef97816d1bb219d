/* SPDX-License-Identifier: MIT */
/* Unit tests for load.c: the YAML front-end's shared helpers (load.h), which every part of
 * the compiler (load_stub.c, load_request.c, load_response.c) reports through: key
 * look-ups with their "did you mean" and "not supported yet", duplicate keys, located
 * errors, quoting of user text, tokens, templates and YAML values as JSON. The parts
 * themselves are tested through stub_load.h by test_stub_load.c. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"
#include "testutil.h"

static struct diag_list diags;
static struct load_result res;
static struct loader ld;
static struct yaml_reader *yr;

static void teardown(void)
{
	yaml_reader_destroy(yr);
	yr = NULL;
	load_ids_release(&ld);
	load_result_release(&res);
	diag_list_release(&diags);
}

TestSuite(load, .fini = teardown);

/* The root node of text, read as the file "t.yaml", with ld ready to report on it. */
static const struct ynode *doc(const char *text)
{
	memset(&ld, 0, sizeof(ld));
	diag_list_init(&diags);
	ld.diags = &diags;
	ld.res = &res;
	ld.file = "t.yaml";
	ld.relpath = "t.yaml";
	yr = yaml_reader_create("t.yaml", text, strlen(text), &diags);
	ld.yr = yr;
	const struct ynode *root = NULL;
	cr_assert_gt(yaml_reader_next(yr, &root), 0, "no document in '%s': %s", text, diags_text(&diags));
	return root;
}

static void expect_diags(const char *want)
{
	char *got = diags_text(&diags);
	cr_expect_str_eq(got, want);
	free(got);
}

static const char *const keys[] = { "request", "response", "priority", NULL };
static const char *const later[] = { "callbacks", NULL };

Test(load, key_lookup_finds_hints_and_future_keys)
{
	const struct ynode *m = doc("request: 1\nresponce: 2\ncallbacks: 3\nzzzzzz: 4\n");
	cr_expect_eq(load_lookup_key(&ld, m->kids[0], keys, later, "stub"), 0);
	cr_expect_eq(load_lookup_key(&ld, m->kids[2], keys, later, "stub"), -1);
	cr_expect_eq(load_lookup_key(&ld, m->kids[4], keys, later, "stub"), -1);
	cr_expect_eq(load_lookup_key(&ld, m->kids[6], keys, later, "stub"), -1);
	cr_expect_eq(load_nerrors(&ld), 3);
	expect_diags("t.yaml:2:1: error: unknown key 'responce' in stub (did you mean 'response'?)\n"
		     "t.yaml:3:1: error: 'callbacks' is not supported yet\n"
		     "t.yaml:4:1: error: unknown key 'zzzzzz' in stub\n");
}

Test(load, a_key_twice_is_an_error_at_the_second)
{
	const struct ynode *m = doc("priority: 1\nrequest: {}\npriority: 2\n");
	unsigned seen = 0;
	cr_expect(load_first_time(&ld, &seen, load_key_index(m->kids[0], keys), m->kids[0], "stub"));
	cr_expect(load_first_time(&ld, &seen, load_key_index(m->kids[2], keys), m->kids[2], "stub"));
	cr_expect(!load_first_time(&ld, &seen, load_key_index(m->kids[4], keys), m->kids[4], "stub"));
	expect_diags("t.yaml:3:1: error: duplicate key 'priority' in stub\n");
}

Test(load, keys_must_be_scalars_and_mappings_are_checked)
{
	const struct ynode *m = doc("? [a, b]\n: 1\nrequest: [1]\n");
	cr_expect(!load_key_ok(&ld, m->kids[0]), "a sequence as a key");
	cr_expect(load_key_ok(&ld, m->kids[2]));
	cr_expect(!load_expect_mapping(&ld, m->kids[3], "'request'"));
	cr_expect(load_expect_mapping(&ld, m, "the stub"));
	cr_expect_eq(load_nerrors(&ld), 2);
	char *got = diags_text(&diags);
	cr_expect(strstr(got, "t.yaml:1:3: error: ") != NULL, "%s", got);
	cr_expect(strstr(got, "t.yaml:3:10: error: 'request' must be a mapping, got a sequence") != NULL, "%s", got);
	free(got);
}

Test(load, errors_are_located_and_counted)
{
	const struct ynode *m = doc("a:\n  b: c\n");
	load_err(&ld, m->kids[1]->kids[1], "bad %s", "value");
	load_err(&ld, NULL, "no place");
	cr_expect_eq(load_nerrors(&ld), 2);
	expect_diags("t.yaml:2:6: error: bad value\nt.yaml: error: no place\n");
}

Test(load, user_text_is_quoted_in_a_ring_of_four)
{
	doc("a: 1\n");
	const char *q[5];
	q[0] = load_shown_str(&ld, "one");
	q[1] = load_shown_str(&ld, "two");
	q[2] = load_shown(&ld, "three and more", 5);
	q[3] = load_shown_after(&ld, "got ", "four", 4);
	cr_expect_str_eq(q[0], "'one'");
	cr_expect_str_eq(q[1], "'two'");
	cr_expect_str_eq(q[2], "'three'");
	cr_expect_str_eq(q[3], "got 'four'");
	q[4] = load_shown_str(&ld, "five");
	cr_expect_str_eq(q[4], "'five'");
	cr_expect_eq(q[4], q[0], "the fifth quote reuses the first slot");
	char big[YNODE_QUOTE_MAX * 2];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_expect_lt(strlen(load_shown_str(&ld, big)), (size_t)YNODE_QUOTE_MAX, "long text is cut to fit");
}

Test(load, tokens)
{
	static const char *const ok[] = { "GET", "X-Trace-Id", "a!#$%&'*+-.^_`|~9" };
	static const char *const bad[] = { "", "two words", "a:b", "caf\xc3\xa9", "tab\t", "(x)" };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		cr_expect(load_is_token(ok[i]), "'%s' is a token", ok[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect(!load_is_token(bad[i]), "'%s' is no token", bad[i]);
}

Test(load, grow_doubles_at_powers_of_two)
{
	int *v = NULL;
	for (size_t n = 0; n < 100; n++) {
		v = load_grow(v, n, sizeof(*v));
		v[n] = (int)n;
	}
	for (int i = 0; i < 100; i++)
		cr_expect_eq(v[i], i);
	free(v);
}

Test(load, templates_compile_or_point_inside_the_scalar)
{
	const struct ynode *m = doc("good: \"id {{request.params.id}}\"\nbad: \"x {{request.path | uper}}\"\n");
	struct tpl *t = load_tpl(&ld, m->kids[1]);
	cr_expect_not_null(t);
	tpl_destroy(t);
	cr_expect_null(load_tpl(&ld, m->kids[3]));
	char *got = diags_text(&diags);
	cr_expect(strstr(got, "t.yaml:2:") && strstr(got, "uper"), "%s", got);
	free(got);
}

Test(load, yaml_values_as_json)
{
	const struct ynode *m = doc("v: { n: 12345678901234567890, f: 1.50, s: \"{{seq}}\", l: [true, null, ~, x] }\n");
	cJSON *j = load_json(&ld, m->kids[1], LOAD_JSON_RAW_INTS | LOAD_JSON_TEMPLATES);
	char *text = json_print(j, NULL);
	cr_expect_str_eq(text, "{\"n\":12345678901234567890,\"f\":1.5,\"s\":\"{{seq}}\",\"l\":[true,null,null,\"x\"]}");
	free(text);
	cJSON_Delete(j);
	cr_expect_eq(load_nerrors(&ld), 0, "%s", diags_text(&diags));
	/* without LOAD_JSON_RAW_INTS a large integer is a double */
	j = load_json(&ld, m->kids[1]->kids[1], 0);
	cr_expect(cJSON_IsNumber(j));
	cJSON_Delete(j);
}

Test(load, a_bad_template_in_json_is_an_error)
{
	const struct ynode *m = doc("v: { s: \"{{nope | uper}}\" }\n");
	cJSON *j = load_json(&ld, m->kids[1], LOAD_JSON_TEMPLATES);
	cr_expect_not_null(j, "never NULL");
	cJSON_Delete(j);
	cr_expect_eq(load_nerrors(&ld), 1, "%s", diags_text(&diags));
}
