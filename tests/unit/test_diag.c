/* SPDX-License-Identifier: MIT */
/* Unit tests for diag: GCC-style formatting, the error cap and "did you mean". */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

Test(diag, formats_file_line_column)
{
	struct diag_list l = DIAG_LIST_INIT;
	diag_add(&l, "stubs/users.yaml", 12, 7, "unknown key '%s' in 'request' (did you mean '%s'?)", "bodyy", "body");
	cr_assert_eq(l.n, 1);
	char *s = diag_format(&l.items[0]);
	cr_assert_str_eq(s, "stubs/users.yaml:12:7: error: unknown key 'bodyy' in 'request' (did you mean 'body'?)");
	free(s);
	diag_list_release(&l);
}

Test(diag, leaves_out_unknown_parts)
{
	struct diag_list l = DIAG_LIST_INIT;
	diag_add(&l, NULL, 0, 0, "no file");
	diag_add(&l, "a.yaml", 3, 0, "line only");
	diag_add(&l, "b.yaml", 0, 0, "file only");
	char *a = diag_format(&l.items[0]), *b = diag_format(&l.items[1]), *c = diag_format(&l.items[2]);
	cr_assert_str_eq(a, "error: no file");
	cr_assert_str_eq(b, "a.yaml:3: error: line only");
	cr_assert_str_eq(c, "b.yaml: error: file only");
	free(a);
	free(b);
	free(c);
	diag_list_release(&l);
}

Test(diag, caps_the_list_and_counts_the_rest)
{
	struct diag_list l = DIAG_LIST_INIT;
	for (int i = 0; i < DIAG_MAX + 5; i++)
		diag_add(&l, "f.yaml", i + 1, 1, "error %d", i);
	cr_assert_eq(l.n, DIAG_MAX);
	cr_assert_eq(l.dropped, 5);
	diag_list_release(&l);
}

Test(diag, move_appends_and_empties_the_source)
{
	struct diag_list a = DIAG_LIST_INIT, b = DIAG_LIST_INIT;
	diag_add(&a, "a", 1, 1, "one");
	diag_add(&b, "b", 2, 2, "two");
	diag_add(&b, "b", 3, 3, "three");
	diag_list_move(&a, &b);
	cr_assert_eq(a.n, 3);
	cr_assert_eq(b.n, 0);
	cr_assert_str_eq(a.items[2].msg, "three");
	diag_list_release(&a);
	diag_list_release(&b);
}

Test(diag, suggests_close_words_only)
{
	static const char *const keys[] = { "method", "path", "path_regex", "query", "headers", "cookies", "body", NULL };
	cr_assert_str_eq(diag_suggest("bodyy", keys), "body");
	cr_assert_str_eq(diag_suggest("header", keys), "headers");
	cr_assert_str_eq(diag_suggest("metod", keys), "method");
	cr_assert_str_eq(diag_suggest("Query", keys), "query");
	cr_assert_null(diag_suggest("zzzzzz", keys));
	cr_assert_null(diag_suggest("x", keys));
}

Test(diag, list_format_joins_lines)
{
	struct diag_list l = DIAG_LIST_INIT;
	char *empty = diag_list_format(&l);
	cr_expect_str_eq(empty, "");
	free(empty);
	diag_add(&l, "a.yaml", 1, 2, "one");
	diag_add(&l, "b.yaml", 3, 4, "two");
	char *s = diag_list_format(&l);
	cr_expect_str_eq(s, "a.yaml:1:2: error: one\nb.yaml:3:4: error: two\n");
	free(s);
	diag_list_release(&l);
}
