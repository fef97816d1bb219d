/* SPDX-License-Identifier: MIT */
/* Fuzz target: the plain-subset YAML reader against libyaml. Whatever the bytes, when the
 * subset reader takes a text, libyaml must read the same documents from it: the same
 * nodes with the same kinds, styles, texts, lines and columns. A difference aborts. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "diag.h"
#include "yaml_tree.h"

static void differ(const struct ynode *a, const struct ynode *b, const char *what)
{
	fprintf(stderr, "fuzz_yaml_fast: the subset reader and libyaml differ in %s at %d:%d (libyaml %d:%d)\n", what,
		a->line, a->col, b->line, b->col);
	abort();
}

/* a: the subset reader's node; b: libyaml's. */
static void same(const struct ynode *a, const struct ynode *b, unsigned depth)
{
	if (a->kind != b->kind)
		differ(a, b, "the kind");
	if (a->line != b->line || a->col != b->col)
		differ(a, b, "the place");
	if (a->style != b->style || a->plain != b->plain || a->anchored != b->anchored)
		differ(a, b, "the style");
	if (a->tag || b->tag)
		differ(a, b, "the tag");
	if (a->kind == YNODE_SCALAR) {
		if (a->len != b->len || memcmp(a->text, b->text, a->len) != 0 || a->text[a->len] != '\0')
			differ(a, b, "the text");
		return;
	}
	if (a->n != b->n)
		differ(a, b, "the number of entries");
	for (size_t i = 0; i < a->n; i++)
		same(a->kids[i], b->kids[i], depth + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct diag_list dfast = DIAG_LIST_INIT, dslow = DIAG_LIST_INIT;
	struct yaml_reader *fast = yaml_reader_create("f.yaml", text, size, &dfast);
	const struct ynode *root;
	int rc = yaml_reader_next(fast, &root);
	if (yaml_reader_was_fast(fast)) {
		if (dfast.n)
			abort();   /* the subset reader reports nothing */
		struct yaml_reader *slow = yaml_reader_create("f.yaml", text, size, &dslow);
		yaml_reader_set_fast(slow, false);
		for (;;) {
			const struct ynode *sroot;
			int src = yaml_reader_next(slow, &sroot);
			if (yaml_reader_was_fast(slow))
				abort();
			if (src != rc) {
				fprintf(stderr, "fuzz_yaml_fast: the subset reader gives %d, libyaml %d%s%s\n", rc, src,
					dslow.n ? ": " : "", dslow.n ? dslow.items[0].msg : "");
				abort();
			}
			if (rc != 1)
				break;
			same(root, sroot, 0);
			rc = yaml_reader_next(fast, &root);
		}
		yaml_reader_destroy(slow);
	} else {
		while (rc == 1)
			rc = yaml_reader_next(fast, &root);
	}
	yaml_reader_destroy(fast);
	diag_list_release(&dfast);
	diag_list_release(&dslow);
	return 0;
}
