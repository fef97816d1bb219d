/* SPDX-License-Identifier: MIT */
/* yaml_fast: the plain-subset reader takes what it should (the stub shapes of bench/ and
 * of hand-written files), leaves everything else to libyaml, and where it reads a text
 * gives exactly libyaml's nodes: each case is read both ways and the trees, printed with
 * every node's place, style and text, compared. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "util/strbuf.h"
#include "yaml_tree.h"

/* One line per node: depth, kind, place, style, text. */
static void dump(struct strbuf *out, const struct ynode *n, int depth)
{
	static const char kinds[] = "SQM";
	strbuf_addf(out, "%*s%c %d:%d s%d p%d a%d %s", depth * 2, "", kinds[n->kind], n->line, n->col, (int)n->style,
		    n->plain, n->anchored, n->tag ? n->tag : "-");
	if (n->kind == YNODE_SCALAR)
		strbuf_addf(out, " [%.*s] %zu", (int)n->len, n->text, n->len);
	strbuf_add(out, "\n", 1);
	for (size_t i = 0; i < n->n; i++)
		dump(out, n->kids[i], depth + 1);
}

/* Every document of text as dump prints it, then the result code and the first error;
 * *fast: whether the subset reader read it. */
static char *read_all(const char *text, bool allow_fast, bool *fast)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct strbuf out = STRBUF_INIT;
	struct yaml_reader *r = yaml_reader_create("f.yaml", text, strlen(text), &diags);
	yaml_reader_set_fast(r, allow_fast);
	const struct ynode *root;
	int rc;
	while ((rc = yaml_reader_next(r, &root)) == 1) {
		strbuf_add(&out, "---\n", 4);
		dump(&out, root, 0);
	}
	strbuf_addf(&out, "rc %d", rc);
	if (diags.n)
		strbuf_addf(&out, " %d:%d %s", diags.items[0].line, diags.items[0].col, diags.items[0].msg);
	*fast = yaml_reader_was_fast(r);
	yaml_reader_destroy(r);
	diag_list_release(&diags);
	return strbuf_detach(&out, NULL);
}

/* text reads the same both ways, and the subset reader takes it exactly when expected. */
static void check(const char *text, bool in_subset)
{
	bool fast, slow_fast;
	char *a = read_all(text, true, &fast);
	char *b = read_all(text, false, &slow_fast);
	cr_expect(!slow_fast);
	cr_expect_eq(fast, in_subset, "subset reader %s:\n%s", fast ? "took" : "left", text);
	cr_expect_str_eq(a, b, "for:\n%s", text);
	free(a);
	free(b);
}

Test(yaml_fast, bench_stub_files)
{
	check("- request:\n    method: GET\n    path: /api/r0/users/42\n  response:\n"
	      "    json: {\"id\": 42, \"name\": \"Ada Lovelace\", \"active\": true, \"tags\": [\"math\", \"engines\"]}\n"
	      "- request:\n    method: GET\n    path: /api/t5/users/{id}\n  response:\n    status: 201\n",
	      true);
}

Test(yaml_fast, block_forms)
{
	check("a: 1\nb:\n  c: d\n  e:\n  - x\n  - y\nf: g\n", true);
	check("list:\n- a\n- b: 1\n  c: 2\n-   - nested\n    - -1\nafter: x\n", true);
	check("- - a\n  - b\n- c\n", true);
	check("-\n  x\n-\n  - y\n", true);
	check("key:\n  value on the next line\nk2: v\n", true);
	check("json:\n  {\"a\": [1, 2]}\n", true);
	check("  indented: root\n  second: key\n", true);
	check("a:    spaced   value   \n", true);
	check("last: line without newline", true);
	check("a: b\n\n\n   \nc: d\n", true);
}

Test(yaml_fast, scalars)
{
	check("a: 'it''s'\nb: ''\nc: \"\"\nd: \"a # b : c, [d]\"\ne: 'x: y'\n", true);
	check("\"quoted key\": 1\n'single': 2\n\"spaced\" : 3\n", true);
	check("url: http://example.com/a#frag\nt: 2024-01-15T09:30:00Z\np: /a/{id}/b[0]\n", true);
	check("n: -1\nm: -.5\nw: a  b   c\nq: a\"b'c\n", true);
	check("a: \"esc\\n\"\nb: \"\\0\\a\\b\\t\\n\\v\\f\\r\\e\\ \\\"\\/\\\\\"\nc: 'a\\b'\n", true);
	check("{\"k\\\"\": \"v\\\\\"}\n", true);
	check("plain root\n", true);
	check("\"quoted root\"\n", true);
}

Test(yaml_fast, flow_forms)
{
	check("a: {}\nb: []\nc: [[], {}]\nd: {k: v w, 'q': \"r\", \"s\":1,\"t\":[x,y]}\n", true);
	check("[1, 2, 3]\n", true);
	check("{a: b}\n", true);
	check("x: [ a , b ]\n", true);
}

Test(yaml_fast, comments_and_documents)
{
	check("# head\na: 1 # after\n# between\n  # indented\nb: 2\n", true);
	check("---\na: 1\n---\nb: 2\n", true);
	check("a: 1\n--- # comment\nb: 2\n", true);
	check("", true);
	check("# only a comment\n", true);
	check("a: # comment\n  b\n", true);
	check("- # comment\n  x\n", true);
}

/* Left to libyaml: the texts read the same, by libyaml. */
Test(yaml_fast, outside_the_subset)
{
	static const char *const texts[] = {
		"a: \"\\x41\"\n",               /* escapes that give UTF-8 or take digits */
		"a: \"\\u00e9\"\n",
		"a: \"\\N\"\n",
		"a: \"\\q\"\n",                 /* not an escape: libyaml's error */
		"a: |\n  block\n",             /* block scalars */
		"a: >\n  folded\n",
		"a: &x 1\nb: *x\n",            /* anchors and aliases */
		"a: !tag 1\n",                 /* tags */
		"%YAML 1.2\n---\na: 1\n",      /* directives */
		"a: 1\n...\n",                 /* document end */
		"a: 1\n---\n",                 /* an empty document */
		"---\n",
		"a:\nb: 1\n",                  /* empty values */
		"- \n- a\n",
		"? complex\n: key\n",
		"a: plain\n  continued\n",     /* multi-line scalars */
		"a: 'quoted\n  continued'\n",
		"a: {b: 1,\n  c: 2}\n",        /* flow over lines */
		"a: [1, 2,]\n",                /* a trailing comma */
		"a:\tb\n",                     /* tabs, CR, non-ASCII */
		"a: b\r\n",
		"a: caf\xc3\xa9\n",
		"{a:1}\n",                     /* ':' inside a flow plain scalar */
		"a: b: c\n",                   /* errors */
		"a: 1\n b: 2\n",
		"- a\nb: 1\n",
		"a: [1, 2\n",
		"a: - b\n",
		"\"unterminated\n",
		"a: 1\n- b\n",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		check(texts[i], false);
}

/* A key of libyaml's maximum length and beyond: near the bound libyaml decides. */
Test(yaml_fast, long_keys)
{
	char text[2200];
	memset(text, 'k', 1100);
	strcpy(text + 1100, ": v\n");
	check(text, false);
	memset(text, 'k', 900);
	strcpy(text + 900, ": v\n");
	check(text, true);
}

/* Nesting near the depth bound is left to libyaml, which reports it. */
Test(yaml_fast, deep_nesting)
{
	char text[512];
	size_t n = 0;
	for (int i = 0; i < 70; i++)
		text[n++] = '[';
	for (int i = 0; i < 70; i++)
		text[n++] = ']';
	text[n] = '\0';
	check(text, false);
	n = 0;
	for (int i = 0; i < 10; i++)
		text[n++] = '[';
	for (int i = 0; i < 10; i++)
		text[n++] = ']';
	text[n] = '\0';
	check(text, true);
}

/* The node bound: a document over it is left to libyaml, which says so. */
Test(yaml_fast, node_bound)
{
	struct diag_list diags = DIAG_LIST_INIT;
	const char *text = "[1, 2, 3, 4, 5]\n";
	struct yaml_reader *r = yaml_reader_create("f.yaml", text, strlen(text), &diags);
	yaml_reader_set_max_nodes(r, 4);
	const struct ynode *root;
	cr_expect_eq(yaml_reader_next(r, &root), -1);
	cr_expect(!yaml_reader_was_fast(r));
	cr_assert_eq(diags.n, 1);
	cr_expect(strstr(diags.items[0].msg, "more than 4 nodes") != NULL, "%s", diags.items[0].msg);
	yaml_reader_destroy(r);
	diag_list_release(&diags);
}

/* A byte outside printable ASCII and '\n', anywhere in an eight-byte word or the tail,
 * leaves the text to libyaml (the check reads eight bytes a step). */
Test(yaml_fast, bytes_outside_ascii)
{
	for (int b = 1; b < 256; b++) {
		if (b == '\n' || (b >= ' ' && b <= '~'))
			continue;
		for (size_t at = 3; at < 20; at++) {
			char text[] = "a: xxxxxxxxxxxxxxxxx\n";
			text[at] = (char)b;
			bool fast;
			free(read_all(text, true, &fast));
			cr_expect(!fast, "byte 0x%02x at %zu", b, at);
		}
	}
	bool fast;
	free(read_all("a: xxxxxxxxxxxxxxxxx\n", true, &fast));
	cr_expect(fast);
}
