/* SPDX-License-Identifier: MIT */
/* Fuzz target: the data files of `--crud` (stub_load_data, then the store built from it).
 *
 * What must hold for any bytes: the reader returns a JSON object or located errors, never
 * a crash, hang or leak; every FILE:LINE:COLUMN is inside the input; a data file that
 * loads builds a store whose dump is JSON that loads again as a data file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crud_store.h"
#include "diag.h"
#include "json.h"
#include "stub_load.h"

int LLVMFuzzerTestOneInput(const unsigned char *bytes, size_t size);

static void fail(const char *what, const char *text)
{
	fprintf(stderr, "fuzz_crud_data: %s\n%.400s\n", what, text ? text : "");
	abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *bytes, size_t size)
{
	struct diag_list diags = DIAG_LIST_INIT;
	cJSON *root = stub_load_data("db.yaml", (const char *)bytes, size, &diags);
	size_t lines = 1;
	/* line breaks as YAML counts them: LF, CR, CR LF */
	for (size_t i = 0; i < size; i++)
		lines += bytes[i] == '\n' || (bytes[i] == '\r' && (i + 1 == size || bytes[i + 1] != '\n'));
	for (size_t i = 0; i < diags.n; i++)
		if (diags.items[i].line < 0 || (size_t)diags.items[i].line > lines + 1)
			fail("an error outside the input", diags.items[i].msg);
	if (root && diags.n)
		fail("a data file loaded with errors", diags.items[0].msg);
	if (root) {
		struct crud_store *st = crud_store_create(root);
		size_t len;
		uint64_t version;
		char *dump = crud_store_dump(st, &len, &version);
		struct diag_list again = DIAG_LIST_INIT;
		cJSON *back = stub_load_data("dump.json", dump, len, &again);
		if (!back)
			fail("the store's dump does not load as a data file", again.n ? again.items[0].msg : dump);
		cJSON_Delete(back);
		diag_list_release(&again);
		free(dump);
		crud_store_destroy(st);
		cJSON_Delete(root);
	}
	diag_list_release(&diags);
	return 0;
}
