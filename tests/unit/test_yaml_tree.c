/* SPDX-License-Identifier: MIT */
/* yaml_tree: located nodes (YAML and JSON text), anchors and aliases, the bounds against
 * alias bombs, documents one at a time, core-schema typing, message helpers, locations
 * inside scalars, and the writer. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"
#include "yaml_tree.h"

static struct diag_list diags;
static struct yaml_reader *reader;

static void setup(void)
{
	diag_list_init(&diags);
	reader = NULL;
}

static void teardown(void)
{
	yaml_reader_destroy(reader);
	diag_list_release(&diags);
}

TestSuite(yaml_tree, .init = setup, .fini = teardown);

/* The first document of text; NULL (with diags) when it could not be read. */
static const struct ynode *read1(const char *text)
{
	const struct ynode *root = NULL;
	reader = yaml_reader_create("f.yaml", text, strlen(text), &diags);
	if (yaml_reader_next(reader, &root) <= 0)
		return NULL;
	return root;
}

static void expect_at(const struct ynode *n, int line, int col)
{
	cr_expect_eq(n->line, line, "line %d, expected %d", n->line, line);
	cr_expect_eq(n->col, col, "col %d, expected %d", n->col, col);
}

Test(yaml_tree, nodes_carry_file_line_and_column)
{
	const struct ynode *root = read1("a: 1\nlist:\n  - x\n  - 'y'\n");
	cr_assert_not_null(root);
	cr_assert_eq(root->kind, YNODE_MAPPING);
	cr_assert_eq(root->n, 4);
	expect_at(root, 1, 1);
	expect_at(root->kids[1], 1, 4);
	cr_expect_str_eq(root->kids[1]->text, "1");
	cr_expect(root->kids[1]->plain);
	cr_expect_str_eq(root->kids[0]->file, "f.yaml");
	const struct ynode *list = root->kids[3];
	cr_assert_eq(list->kind, YNODE_SEQUENCE);
	cr_assert_eq(list->n, 2);
	expect_at(list->kids[0], 3, 5);
	expect_at(list->kids[1], 4, 5);
	cr_expect_eq(list->kids[1]->style, YSTYLE_SINGLE);
	cr_expect_not(list->kids[1]->plain);
	cr_expect_eq(ynode_get(root, "list"), list);
	cr_expect_null(ynode_get(root, "nope"));
	cr_expect_null(ynode_get(list, "a"));
}

/* WireMock mappings and OpenAPI documents are JSON: libyaml reads JSON (tabs, escapes
 * such as \/ and \u00e9, no space after ':') with exact 1-based line:column, so JSON
 * front-ends get FILE:LINE:COLUMN messages through the same layer. */
Test(yaml_tree, json_text_reads_with_exact_locations)
{
	const char *json = "{\n"
			   "\t\"request\": {\"method\": \"GET\", \"url\": \"/a\\/b\\u00e9\"},\n"
			   "\t\"response\": {\"status\":200, \"jsonBody\": [1, 2.5, true, null]}\n"
			   "}\n";
	const struct ynode *root = read1(json);
	cr_assert_not_null(root, "%s", diags.n ? diags.items[0].msg : "");
	cr_assert_eq(root->kind, YNODE_MAPPING);
	expect_at(root, 1, 1);
	const struct ynode *req = ynode_get(root, "request");
	cr_assert_not_null(req);
	expect_at(root->kids[0], 2, 2);
	expect_at(req, 2, 13);
	const struct ynode *url = ynode_get(req, "url");
	expect_at(url, 2, 38);
	cr_expect_str_eq(url->text, "/a/b\xc3\xa9");
	cr_expect_eq(url->style, YSTYLE_DOUBLE);
	const struct ynode *resp = ynode_get(root, "response");
	const struct ynode *status = ynode_get(resp, "status");
	expect_at(status, 3, 24);
	long long v = 0;
	cr_expect(ynode_int(status, 100, 599, &v));
	cr_expect_eq(v, 200);
	const struct ynode *body = ynode_get(resp, "jsonBody");
	cr_assert_eq(body->n, 4);
	expect_at(body->kids[1], 3, 45);
	cr_expect_eq(ynode_bool(body->kids[2]), 1);
	cr_expect(ynode_is_null(body->kids[3]));
	/* a quoted JSON string is never typed: "1" stays text */
	cr_expect_not(ynode_get(req, "method")->plain);
}

Test(yaml_tree, json_syntax_errors_are_located)
{
	cr_expect_null(read1("{\n  \"a\": [1, 2\n}\n"));
	cr_assert_eq(diags.n, 1);
	cr_expect_eq(diags.items[0].line, 3);
	cr_expect_eq(diags.items[0].col, 1);
	cr_expect(strncmp(diags.items[0].msg, "yaml syntax: ", 13) == 0, "%s", diags.items[0].msg);
}

Test(yaml_tree, aliases_share_their_anchors_node)
{
	const struct ynode *root = read1("base: &b {x: 1}\ncopy: *b\n");
	cr_assert_not_null(root);
	cr_expect_eq(root->kids[1], root->kids[3]);
	cr_expect(root->kids[1]->anchored);
	cr_expect(yaml_reader_saw_anchors(reader));
}

Test(yaml_tree, no_anchors_seen_in_plain_text)
{
	cr_assert_not_null(read1("a: [1, 2]\n"));
	cr_expect_not(yaml_reader_saw_anchors(reader));
}

Test(yaml_tree, unknown_alias_is_located)
{
	cr_expect_null(read1("a: 1\nb: *nope\n"));
	cr_assert_eq(diags.n, 1);
	cr_expect_str_eq(diags.items[0].msg, "unknown alias '*nope'");
	cr_expect_eq(diags.items[0].line, 2);
	cr_expect_eq(diags.items[0].col, 4);
	cr_expect_str_eq(diags.items[0].file, "f.yaml");
}

Test(yaml_tree, nesting_is_bounded)
{
	struct strbuf sb = STRBUF_INIT;
	for (int i = 0; i < YAML_TREE_MAX_DEPTH + 1; i++)
		strbuf_addc(&sb, '[');
	for (int i = 0; i < YAML_TREE_MAX_DEPTH + 1; i++)
		strbuf_addc(&sb, ']');
	cr_expect_null(read1(sb.buf));
	cr_assert_eq(diags.n, 1);
	cr_expect_str_eq(diags.items[0].msg, "nesting deeper than 64 levels");
	cr_expect_eq(diags.items[0].col, YAML_TREE_MAX_DEPTH + 1);
	strbuf_release(&sb);
}

Test(yaml_tree, alias_bombs_are_refused)
{
	/* each level doubles: 2^25 nodes once expanded */
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, "a0: &a0 [x, x]\n");
	for (int i = 1; i <= 25; i++)
		strbuf_addf(&sb, "a%d: &a%d [*a%d, *a%d]\n", i, i, i - 1, i - 1);
	cr_expect_null(read1(sb.buf));
	cr_assert_eq(diags.n, 1);
	cr_expect_str_eq(diags.items[0].msg, "document too large: more than 1000000 nodes once aliases are expanded");
	strbuf_release(&sb);
}

Test(yaml_tree, documents_come_one_at_a_time)
{
	const char *text = "a: 1\n---\nb: 2\n---\nc: [\n";
	const struct ynode *root;
	reader = yaml_reader_create("f.yaml", text, strlen(text), &diags);
	cr_assert_eq(yaml_reader_next(reader, &root), 1);
	cr_expect_str_eq(root->kids[0]->text, "a");
	cr_expect_eq(diags.n, 0);
	cr_assert_eq(yaml_reader_next(reader, &root), 1);
	cr_expect_str_eq(root->kids[0]->text, "b");
	expect_at(root, 3, 1);
	cr_expect_eq(yaml_reader_next(reader, &root), -1);
	cr_expect_null(root);
	cr_expect_eq(diags.n, 1);
	cr_expect_eq(yaml_reader_next(reader, &root), -1);
}

Test(yaml_tree, an_empty_stream_has_no_documents)
{
	const struct ynode *root;
	reader = yaml_reader_create("f.yaml", NULL, 0, &diags);
	cr_expect_eq(yaml_reader_next(reader, &root), 0);
	cr_expect_eq(diags.n, 0);
}

Test(yaml_tree, bad_encoding_is_located_by_character)
{
	cr_expect_null(read1("a: 1\nb: \xc3\xa9\xff\n"));
	cr_assert_eq(diags.n, 1);
	cr_expect_eq(diags.items[0].line, 2);
	cr_expect_eq(diags.items[0].col, 5);
}

Test(yaml_tree, core_schema_typing)
{
	const struct ynode *root = read1("[~, null, '', true, False, 'true', 0x1F, 0o17, -12, 3.5, !!str 7, 99999999999999999999]");
	cr_assert_not_null(root);
	const struct ynode *const *k = root->kids;
	long long v;
	cr_expect(ynode_is_null(k[0]));
	cr_expect(ynode_is_null(k[1]));
	cr_expect_not(ynode_is_null(k[2]));
	cr_expect_eq(ynode_bool(k[3]), 1);
	cr_expect_eq(ynode_bool(k[4]), 0);
	cr_expect_eq(ynode_bool(k[5]), -1);
	cr_expect(ynode_int(k[6], 0, 100, &v) && v == 31);
	cr_expect(ynode_int(k[7], 0, 100, &v) && v == 15);
	cr_expect(ynode_int(k[8], -100, 100, &v) && v == -12);
	cr_expect_not(ynode_int(k[8], 0, 100, &v));
	cr_expect_not(ynode_int(k[9], 0, 100, &v));
	cr_expect_not(k[10]->plain);
	cr_expect_not(ynode_int(k[10], 0, 100, &v));
	cr_expect_not(ynode_int(k[11], 0, 100, &v));
}

Test(yaml_tree, messages_describe_what_was_found)
{
	const struct ynode *root = read1("a:\nb: abc\nc: '200'\nd: [1]\ne: {}\n");
	char buf[YNODE_QUOTE_MAX];
	cr_assert_not_null(root);
	cr_expect_str_eq(ynode_describe(buf, ynode_get(root, "a")), "nothing");
	cr_expect_str_eq(ynode_describe(buf, ynode_get(root, "b")), "'abc'");
	cr_expect_str_eq(ynode_describe(buf, ynode_get(root, "c")), "the string '200'");
	cr_expect_str_eq(ynode_describe(buf, ynode_get(root, "d")), "a sequence");
	cr_expect_str_eq(ynode_kind_name(ynode_get(root, "e")), "a mapping");
	cr_expect_str_eq(ynode_kind_name(ynode_get(root, "b")), "a scalar");
	cr_expect(ynode_expect_mapping(&diags, ynode_get(root, "e"), "'x'"));
	cr_expect_not(ynode_expect_mapping(&diags, ynode_get(root, "d"), "'request'"));
	cr_assert_eq(diags.n, 1);
	cr_expect_str_eq(diags.items[0].msg, "'request' must be a mapping, got a sequence");
	cr_expect_eq(diags.items[0].line, 4);
	cr_expect_eq(diags.items[0].col, 4);
}

Test(yaml_tree, quoting_escapes_and_cuts)
{
	char buf[YNODE_QUOTE_MAX];
	cr_expect_str_eq(ynode_quote(buf, "", "a\nb\tc\x01", 6), "'a\\nb\\tc?'");
	cr_expect_str_eq(ynode_quote(buf, "key ", "x", 1), "key 'x'");
	char long_text[100];
	memset(long_text, 'z', sizeof(long_text));
	ynode_quote(buf, "", long_text, sizeof(long_text));
	cr_expect_eq(strlen(buf), 1 + 57 + 3 + 1);
	cr_expect_str_eq(buf + 58, "...'");
}

Test(yaml_tree, locations_inside_scalars)
{
	const struct ynode *root = read1("a: hello {{x}}\nb: \"q {{y}}\"\nc: |\n  one\n  two {{z}}\n");
	int line, col;
	cr_assert_not_null(root);
	yaml_reader_text_location(reader, ynode_get(root, "a"), 6, &line, &col);
	cr_expect(line == 1 && col == 10, "%d:%d", line, col);
	yaml_reader_text_location(reader, ynode_get(root, "b"), 2, &line, &col);
	cr_expect(line == 2 && col == 7, "%d:%d", line, col);
	yaml_reader_text_location(reader, ynode_get(root, "c"), 8, &line, &col);
	cr_expect(line == 5 && col == 7, "%d:%d", line, col);
}

Test(yaml_tree, writer_emits_block_yaml)
{
	struct yaml_writer *w = yaml_writer_create();
	yaml_writer_begin(w, YNODE_MAPPING, NULL);
	yaml_writer_scalar(w, NULL, "list", 4, true, true, YSTYLE_ANY);
	yaml_writer_begin(w, YNODE_SEQUENCE, NULL);
	yaml_writer_scalar(w, NULL, "1", 1, true, false, YSTYLE_PLAIN);
	yaml_writer_scalar(w, NULL, "true", 4, false, true, YSTYLE_ANY);
	yaml_writer_end(w);
	yaml_writer_scalar(w, NULL, "text", 4, true, true, YSTYLE_ANY);
	yaml_writer_scalar(w, NULL, "a\nb\n", 4, false, true, YSTYLE_LITERAL);
	yaml_writer_end(w);
	char *out = yaml_writer_finish(w);
	cr_assert_not_null(out);
	cr_expect_str_eq(out, "list:\n- 1\n- 'true'\ntext: |\n  a\n  b\n");
	free(out);
}

Test(yaml_tree, writer_refuses_unbalanced_documents)
{
	struct yaml_writer *w = yaml_writer_create();
	yaml_writer_begin(w, YNODE_MAPPING, NULL);
	cr_expect_null(yaml_writer_finish(w));
	w = yaml_writer_create();
	yaml_writer_end(w);
	cr_expect_null(yaml_writer_finish(w));
}
