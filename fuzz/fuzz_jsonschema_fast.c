/* SPDX-License-Identifier: MIT */
/* Fuzz target: the fast check of a JSON body (jsonschema_check_json, src/jsonschema_fast.c)
 * against the slow path it stands in for. The input is fuzz_jsonschema's: a schema document,
 * then a NUL or a newline, then the instance text (as bytes: it need not parse); `$ref`s
 * resolve as JSON pointers ("#/a/b") into the schema document (its "schema" member is the
 * schema when there is one).
 *
 * What must hold, in both dialects, for a schema that compiles: whenever the fast check
 * answers 0 or 1, the answer is that of json_parse + jsonschema_validate on the same bytes
 * (1 exactly when the text parses and validates without error); it answers 0, 1 or -1 only;
 * it ends without crash, leak or hang, the same twice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "json.h"
#include "jsonschema.h"

static void fail(const char *what, int fast, int slow, const char *text, size_t len)
{
	fprintf(stderr, "fuzz_jsonschema_fast: %s (fast %d, slow %d) for %.*s\n", what, fast, slow,
		(int)len, text);
	abort();
}

static const cJSON *resolve(void *cls, const char *ref, const cJSON *from)
{
	(void)from;
	return ref[0] == '#' ? json_get_pointer(cls, ref + 1) : NULL;
}

static void differ(const struct jsonschema *s, const char *text, size_t len)
{
	int fast = jsonschema_check_json(s, text, len);
	if (fast < -1 || fast > 1)
		fail("an answer that is not 0, 1 or -1", fast, 0, text, len);
	if (jsonschema_check_json(s, text, len) != fast)
		fail("two answers differ", fast, fast, text, len);
	if (fast == -1)
		return;
	cJSON *v = json_parse(text, len, NULL);
	int slow = v && jsonschema_validate(s, v, NULL, 0) == 0;
	cJSON_Delete(v);
	if (fast != slow)
		fail("the fast check and the validator disagree", fast, slow, text, len);
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
	const cJSON *schema = cJSON_GetObjectItemCaseSensitive(doc, "schema");
	if (!schema)
		schema = doc;
	for (int d = JSONSCHEMA_OAS30; d <= JSONSCHEMA_OAS31; d++) {
		char *err = NULL;
		struct jsonschema *s = jsonschema_compile(schema, (enum jsonschema_dialect)d, resolve, doc, &err,
							  NULL);
		free(err);
		if (!s)
			continue;
		differ(s, inst, inst_len);
		/* the instance as cJSON prints it back, when it parses: a valid body more often */
		cJSON *v = json_parse(inst, inst_len, NULL);
		if (v) {
			size_t len;
			char *text = json_print(v, &len);
			differ(s, text, len);
			free(text);
			cJSON_Delete(v);
		}
		jsonschema_destroy(s);
	}
	cJSON_Delete(doc);
	return 0;
}
