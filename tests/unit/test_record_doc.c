/* SPDX-License-Identifier: MIT */
/* record_doc: the tree the recorder builds, its canonical form, and a file read back and
 * written again unchanged. (Whole documents for exchanges are checked in test_recorder.) */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "record_doc.h"
#include "util/strbuf.h"

static char *canon_of(const struct rnode *y)
{
	struct strbuf sb = STRBUF_INIT;
	record_doc_canon(y, &sb);
	return strbuf_detach(&sb, NULL);
}

Test(record_doc, strings_are_quoted_when_a_plain_scalar_would_change)
{
	struct rnode *map = record_doc_new(RNODE_MAP);
	static const char *const texts[] = { "/users", "true", "42", "null", "", "two\nlines" };
	for (size_t i = 0; i < sizeof(texts) / sizeof(*texts); i++) {
		char key[8] = { (char)('a' + i), 0 };
		record_doc_add(map, record_doc_str(key));
		record_doc_add(map, record_doc_str(texts[i]));
	}
	char *text = record_doc_emit(map);
	cr_assert_not_null(text);
	cr_expect_str_eq(text, "a: /users\nb: 'true'\nc: '42'\nd: 'null'\ne: ''\nf: |-\n  two\n  lines\n");
	struct rnode *back = record_doc_parse(text, strlen(text));
	cr_assert_not_null(back);
	char *c1 = canon_of(map), *c2 = canon_of(back);
	cr_expect_str_eq(c1, c2);
	char *again = record_doc_emit(back);
	cr_expect_str_eq(again, text);
	cr_expect_eq(record_doc_get(back, "a"), back->kids[1]);
	cr_expect_null(record_doc_get(back, "zz"));
	free(again);
	free(c1);
	free(c2);
	free(text);
	record_doc_free(back);
	record_doc_free(map);
}

Test(record_doc, files_that_are_not_ours_are_refused)
{
	static const char *const bad[] = {
		"- a\n- b\n",                   /* not a mapping */
		"a: &x 1\nb: *x\n",             /* anchors */
		"a: 1\n---\nb: 2\n",            /* two documents */
		"a: [\n",                       /* syntax */
		"",                             /* nothing */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		cr_expect_null(record_doc_parse(bad[i], strlen(bad[i])), "%s", bad[i]);
}

Test(record_doc, tags_and_styles_survive_a_round_trip)
{
	const char *text = "a: !!str 12\nb: \"x\"\nc: 'y'\nd: !custom\n  k: v\n";
	struct rnode *doc = record_doc_parse(text, strlen(text));
	cr_assert_not_null(doc);
	char *out = record_doc_emit(doc);
	cr_assert_not_null(out);
	cr_expect_str_eq(out, text);
	free(out);
	record_doc_free(doc);
}
