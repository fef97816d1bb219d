/* SPDX-License-Identifier: MIT */
/* Fuzz target: instances built from a JSON Schema (src/jsonschema_gen.h), as the OpenAPI
 * front-end will build example and dynamic bodies. The input is a schema document; `$ref`s
 * resolve as JSON pointers ("#/a/b") into it (its "schema" member is the schema when it has
 * one), so refs, recursion, cycles and refs to non-schemas all occur.
 *
 * What must hold, in both dialects, for a schema that compiles: jsonschema_generate ends
 * (its work is budgeted) without crash or leak; whatever it returns validates against the
 * schema and holds at most JSONSCHEMA_GEN_MAX_VALUES values; the example is the same text
 * twice, and the same seed draws the same dynamic data twice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "json.h"
#include "jsonschema.h"
#include "jsonschema_gen.h"
#include "util/rng.h"

static void fail(const char *what, const cJSON *v)
{
	char *text = v ? json_print(v, NULL) : NULL;
	fprintf(stderr, "fuzz_jsonschema_gen: %s%s%s\n", what, text ? ": " : "", text ? text : "");
	free(text);
	abort();
}

static const cJSON *resolve(void *cls, const char *ref, const cJSON *from)
{
	(void)from;
	return ref[0] == '#' ? json_get_pointer(cls, ref + 1) : NULL;
}

static size_t count_values(const cJSON *v)
{
	size_t n = 1;
	for (const cJSON *e = v->child; e; e = e->next)
		n += count_values(e);
	return n;
}

/* v's text (caller frees; NULL for NULL) after checking that v is valid against s. */
static char *checked(const struct jsonschema *s, cJSON *v)
{
	if (!v)
		return NULL;
	struct jsonschema_error e[1];
	size_t n = jsonschema_validate(s, v, e, 1);
	if (n) {
		fprintf(stderr, "fuzz_jsonschema_gen: %s: %s\n", e[0].path, e[0].message);
		fail("a generated instance is not valid", v);
	}
	if (count_values(v) > JSONSCHEMA_GEN_MAX_VALUES)
		fail("a generated instance holds too many values", NULL);
	char *text = json_print(v, NULL);
	cJSON_Delete(v);
	return text;
}

static void same(const char *a, const char *b, const char *what)
{
	if ((a == NULL) != (b == NULL) || (a && strcmp(a, b))) {
		fprintf(stderr, "%s\n%s\n", a ? a : "NULL", b ? b : "NULL");
		fail(what, NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *doc = json_parse((const char *)data, size, NULL);
	if (!doc)
		return 0;
	const cJSON *schema = cJSON_GetObjectItemCaseSensitive(doc, "schema");
	if (!schema)
		schema = doc;
	/* the seed: the input's FNV-1a hash, so a reproducer draws the same */
	uint64_t seed = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < size; i++)
		seed = (seed ^ data[i]) * 0x100000001b3ULL;
	for (int d = JSONSCHEMA_OAS30; d <= JSONSCHEMA_OAS31; d++) {
		struct jsonschema *s = jsonschema_compile(schema, (enum jsonschema_dialect)d, resolve,
							  doc, NULL, NULL);
		if (!s)
			continue;
		char *a = checked(s, jsonschema_generate(s, JSONSCHEMA_GEN_EXAMPLE, false, NULL));
		char *b = checked(s, jsonschema_generate(s, JSONSCHEMA_GEN_EXAMPLE, false, NULL));
		same(a, b, "two examples differ");
		free(a);
		free(b);
		free(checked(s, jsonschema_generate(s, JSONSCHEMA_GEN_EXAMPLE, true, NULL)));
		struct rng r1, r2;
		rng_seed(&r1, seed);
		rng_seed(&r2, seed);
		for (int i = 0; i < 2; i++) {
			a = checked(s, jsonschema_generate(s, JSONSCHEMA_GEN_DYNAMIC, i, &r1));
			b = checked(s, jsonschema_generate(s, JSONSCHEMA_GEN_DYNAMIC, i, &r2));
			same(a, b, "the same seed draws different data");
			free(a);
			free(b);
		}
		jsonschema_destroy(s);
	}
	cJSON_Delete(doc);
	return 0;
}
