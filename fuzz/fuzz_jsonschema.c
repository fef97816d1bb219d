/* SPDX-License-Identifier: MIT */
/* Fuzz target: JSON Schema (src/jsonschema.h), as the OpenAPI front-end will use it. The
 * input is a schema document, then a NUL or a newline, then an instance; `$ref`s resolve as
 * JSON pointers ("#/a/b") into the schema document itself, so refs, cycles among them and
 * refs to non-schemas all occur. An instance that does not parse is replaced by a fixed one
 * with every kind of value.
 *
 * What must hold, in both dialects: the schema compiles, or fails with a message and a node
 * to point at; a compiled schema validates without crash, leak or hang (depth and step
 * budgets stop the slow ones), twice with the same errors; the count is at most
 * JSONSCHEMA_MAX_ERRORS and every error filled in has a path and a message; the instance
 * text, validated as a parameter, also ends. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "json.h"
#include "jsonschema.h"

static const char fixed_instance[] =
	"{\"name\":\"x\",\"age\":25,\"price\":8.95,\"ok\":true,\"n\":null,\"tags\":[\"a\",\"b\",\"a\"],"
	"\"when\":\"2024-01-02T03:04:05Z\",\"id\":\"123e4567-e89b-12d3-a456-426614174000\","
	"\"children\":[{\"name\":\"y\",\"children\":[]}],\"petType\":\"Cat\",\"big\":1e300}";

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_jsonschema: %s\n", what);
	abort();
}

static const cJSON *resolve(void *cls, const char *ref, const cJSON *from)
{
	(void)from;
	return ref[0] == '#' ? json_get_pointer(cls, ref + 1) : NULL;
}

static size_t validate_checked(const struct jsonschema *s, const cJSON *v, const char *text)
{
	struct jsonschema_error e[4], again[4];
	size_t n = jsonschema_validate(s, v, e, 4);
	if (n > JSONSCHEMA_MAX_ERRORS)
		fail("more errors than the cap");
	for (size_t i = 0; i < n && i < 4; i++)
		if (!e[i].path || !e[i].message || !*e[i].message)
			fail("an error without a path or a message");
	if (jsonschema_validate(s, v, again, 4) != n)
		fail("two validations disagree");
	for (size_t i = 0; i < n && i < 4; i++)
		if (strcmp(e[i].path, again[i].path) || strcmp(e[i].message, again[i].message))
			fail("two validations disagree on an error");
	jsonschema_errors_release(e, n < 4 ? n : 4);
	jsonschema_errors_release(again, n < 4 ? n : 4);
	if (text) {
		size_t m = jsonschema_validate_text(s, text, e, 2);
		if (m > JSONSCHEMA_MAX_ERRORS)
			fail("more errors than the cap (text)");
		jsonschema_errors_release(e, m < 2 ? m : 2);
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cut = 0;
	while (cut < size && data[cut] != '\0' && data[cut] != '\n')
		cut++;
	const char *inst = cut < size ? (const char *)data + cut + 1 : "";
	size_t inst_len = cut < size ? size - cut - 1 : 0;
	cJSON *doc = json_parse((const char *)data, cut, NULL);
	if (!doc)
		return 0;
	cJSON *v = json_parse(inst, inst_len, NULL);
	if (!v)
		v = json_parse(fixed_instance, sizeof fixed_instance - 1, NULL);
	if (!v)
		abort();
	/* the instance as parameter text: up to a NUL */
	char *text = malloc(inst_len + 1);
	if (!text)
		abort();
	memcpy(text, inst, inst_len);
	text[inst_len] = '\0';
	/* the document's "schema" member when it has one, so refs can point beside it */
	const cJSON *schema = cJSON_GetObjectItemCaseSensitive(doc, "schema");
	if (!schema)
		schema = doc;
	for (int d = JSONSCHEMA_OAS30; d <= JSONSCHEMA_OAS31; d++) {
		char *err = NULL;
		const cJSON *at = NULL;
		struct jsonschema *s = jsonschema_compile(schema, (enum jsonschema_dialect)d, resolve,
							  doc, &err, &at);
		if (!s) {
			if (!err || !*err || !at)
				fail("a compile error without a message or a node");
			free(err);
			continue;
		}
		validate_checked(s, v, text);
		validate_checked(s, schema, NULL);
		jsonschema_destroy(s);
	}
	free(text);
	cJSON_Delete(v);
	cJSON_Delete(doc);
	return 0;
}
