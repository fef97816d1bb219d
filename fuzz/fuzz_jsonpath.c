/* SPDX-License-Identifier: MIT */
/* Fuzz target: JSONPath (src/jsonpath.h), as WireMock's `matchesJsonPath` and `jsonPath`
 * helper will use it. The input is an expression, then a NUL or a newline, then a JSON
 * document; a document that does not parse is replaced by a fixed one with every kind of
 * value, so that any expression meets real data.
 *
 * What must hold: the expression compiles, or fails with a message and an offset inside
 * it; a compiled path selects without crash, leak or hang (the step budget ends the slow
 * ones), twice with the same answer; a definite path has at most one result; every result
 * prints (jsonpath_value_text), containers as JSON that parses again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "json.h"
#include "jsonpath.h"

static const char fixed_doc[] =
	"{\"store\":{\"book\":[{\"category\":\"reference\",\"author\":\"Nigel Rees\",\"price\":8.95,\"tags\":[\"a\",\"b\"]},"
	"{\"category\":\"fiction\",\"author\":\"Herman Melville\",\"isbn\":\"0-553-21311-3\",\"price\":8.99,\"tags\":[]}],"
	"\"bicycle\":{\"color\":\"red\",\"price\":19.95}},\"expensive\":10,\"age\":25,\"id\":\"25\",\"n\":null,"
	"\"ok\":true,\"no\":false,\"big\":1e300,\"neg\":-0.0001,\"text\":\"\\u00e9t\\u00e9 \\ud83d\\ude00\","
	"\"deep\":[[[[{\"a\":{\"a\":[1,{\"a\":2}]}}]]]],\"empty\":{},\"list\":[]}";

static void fail(const char *what, const char *expr)
{
	fprintf(stderr, "fuzz_jsonpath: %s: '%s'\n", what, expr);
	abort();
}

static void check_results(const struct jsonpath *p, const struct jsonpath_result *r, const char *expr)
{
	if (jsonpath_is_definite(p) && r->count > 1 && !r->exhausted)
		fail("a definite path with several results", expr);
	for (size_t i = 0; i < r->count; i++) {
		if (!r->values[i])
			fail("a NULL result", expr);
		char *text = jsonpath_value_text(r->values[i]);
		if (!text)
			fail("a result without text", expr);
		if (cJSON_IsArray(r->values[i]) || cJSON_IsObject(r->values[i])) {
			cJSON *again = json_parse(text, strlen(text), NULL);
			if (!again)
				fail("a container's text is not JSON", expr);
			cJSON_Delete(again);
		}
		free(text);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cut = 0;
	while (cut < size && data[cut] != '\0' && data[cut] != '\n')
		cut++;
	char *expr = malloc(cut + 1);
	if (!expr)
		abort();
	memcpy(expr, data, cut);
	expr[cut] = '\0';
	const char *doc = cut < size ? (const char *)data + cut + 1 : "";
	size_t doc_len = cut < size ? size - cut - 1 : 0;

	char *err = NULL;
	size_t offset = (size_t)-1;
	struct jsonpath *p = jsonpath_compile(expr, &err, &offset);
	if (!p) {
		if (!err || !*err)
			fail("an error without a message", expr);
		if (offset > cut)
			fail("an error offset outside the expression", expr);
		free(err);
		free(expr);
		return 0;
	}
	if (cut > JSONPATH_MAX_LENGTH)
		fail("an expression over the length limit compiled", expr);
	if (strcmp(jsonpath_source(p), expr) != 0)
		fail("the source is not the expression", expr);

	cJSON *root = json_parse(doc, doc_len, NULL);
	if (!root)
		root = json_parse(fixed_doc, sizeof(fixed_doc) - 1, NULL);
	if (!root)
		abort();
	struct jsonpath_result r1, r2;
	size_t n = jsonpath_select(p, root, &r1);
	if (n != r1.count)
		fail("select's count is not the result's", expr);
	check_results(p, &r1, expr);
	jsonpath_select(p, root, &r2);
	if (r1.count != r2.count || r1.exhausted != r2.exhausted)
		fail("two selects disagree", expr);
	for (size_t i = 0; i < r1.count; i++) {
		/* made values are new each time; what comes from the document is the same node */
		bool made = r1.values[i] != r2.values[i];
		if (!made)
			continue;
		/* compared as printed: cJSON_Compare finds an infinite number (1e999 in the
		 * document) unequal to itself, since inf - inf is NaN */
		char *a = json_print(r1.values[i], NULL), *b = json_print(r2.values[i], NULL);
		bool same = strcmp(a, b) == 0;
		free(a);
		free(b);
		if (!same)
			fail("two selects disagree on a value", expr);
	}
	jsonpath_result_release(&r1);
	jsonpath_result_release(&r2);
	cJSON_Delete(root);
	jsonpath_destroy(p);
	free(expr);
	return 0;
}
