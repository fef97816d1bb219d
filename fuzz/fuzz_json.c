/* SPDX-License-Identifier: MIT */
/* Fuzz target: the JSON layer (src/json.h), which reads admin bodies, stub `json:` values
 * and recorded upstream bodies.
 *
 * What must hold for any bytes: json_parse returns a tree, or an error whose offset lies
 * inside the input and whose line and column are 1-based; json_parse_exact (the
 * recorder's reader) accepts only what json_parse also accepts, and what it accepts
 * prints to text it reads back to the same text (numbers digit for digit, key order
 * kept). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static void fail(const char *what, const char *data, size_t size)
{
	fprintf(stderr, "fuzz_json: %s: '%.*s'\n", what, (int)(size > 200 ? 200 : size), data);
	abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *bytes, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *bytes, size_t size)
{
	const char *data = (const char *)bytes;
	struct json_error err = { 0, 0, 0 };
	cJSON *plain = json_parse(data, size, &err);
	if (!plain && (err.offset > size || err.line < 1 || err.col < 1))
		fail("an error outside the input", data, size);

	cJSON *exact = json_parse_exact(data, size, 64, 10000);
	if (exact) {
		if (!plain)
			fail("the exact reader took what json_parse refused", data, size);
		size_t len1, len2;
		char *once = json_print(exact, &len1);
		cJSON *again = json_parse_exact(once, len1, 64, 10000);
		if (!again)
			fail("printed exact JSON does not read back", once, len1);
		char *twice = json_print(again, &len2);
		if (len1 != len2 || memcmp(once, twice, len1) != 0)
			fail("printing exact JSON is not stable", once, len1);
		free(twice);
		free(once);
		cJSON_Delete(again);
		cJSON_Delete(exact);
	}
	cJSON_Delete(plain);
	return 0;
}
