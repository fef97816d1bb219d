/* SPDX-License-Identifier: MIT */
/* libyaml adapter: parser events into located, immutable nodes (one document at a time,
 * aliases sharing their anchor's node, bounded), messages about nodes, and an emitter
 * wrapper. The only file that includes <yaml.h>. */
#include "yaml_tree.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "yaml_fast.h"
#include "util/arena.h"
#include "util/hmap.h"
#include "util/numtext.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static void die_oom(void)
{
	fputs("cannery: out of memory\n", stderr);
	abort();
}

static size_t sat_add(size_t a, size_t b)
{
	return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

/* A node as built: the public part first, so a struct ynode * of ours converts back. */
struct tnode {
	struct ynode pub;
	struct ynode **kids;
	bool open;           /* a collection whose end event has not come yet */
	size_t weight;       /* nodes once aliases are expanded: 1 + the children's weights, saturating */
	size_t bytes;        /* scalar text once aliases are expanded, saturating */
	unsigned height;     /* nesting levels, this one included, aliases expanded; 0 for scalars */
};

struct yaml_reader {
	yaml_parser_t parser;
	bool parser_ready;                    /* parser initialised: only when libyaml reads */
	/* the plain-subset reader (yaml_fast.h), tried once before libyaml: every document it
	 * read, in its own arena, kept until the reader goes */
	bool fast_off, fast_tried, fast;
	struct arena fast_nodes;
	const struct ynode **docs;
	size_t ndocs, next_doc;
	struct diag_list *diags;
	const char *file;
	const unsigned char *src;             /* to place errors inside a scalar */
	size_t srclen;
	/* every node of the document, its text, tag and kids: one block after another,
	 * freed at once when the next document starts (a node by node malloc and free was a
	 * third of a large load's time) */
	struct arena nodes;
	struct tnode *root;
	struct tnode *stack[YAML_TREE_MAX_DEPTH];   /* open collections */
	size_t depth;
	struct hmap anchors;                  /* anchor name -> node */
	size_t total;                         /* nodes so far, aliases expanded */
	size_t max_nodes;                     /* the bound on total */
	size_t alias_bytes;                   /* scalar text repeated by aliases so far */
	bool failed;                          /* the text cannot be read further */
	bool ended;                           /* the stream end came */
	bool saw_anchors;
};

/* Room for kid n of an array of n kids: the capacity is the next power of two, and a full
 * array moves to one twice its size in the arena (what it leaves behind goes with it). */
static struct ynode **grow_kids(struct arena *a, struct ynode **v, size_t n)
{
	if (n && (n & (n - 1)) != 0)
		return v;
	struct ynode **w = arena_alloc(a, (n ? n * 2 : 1) * sizeof(*w));
	if (n)
		memcpy(w, v, n * sizeof(*w));
	return w;
}

static void reset(struct yaml_reader *r)
{
	arena_release(&r->nodes);
	r->root = NULL;
	r->depth = 0;
	r->total = 0;
	r->alias_bytes = 0;
	hmap_release(&r->anchors, NULL);
}

static void fail(struct yaml_reader *r, const yaml_mark_t *m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct yaml_reader *r, const yaml_mark_t *m, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	diag_add(r->diags, r->file, (int)m->line + 1, (int)m->column + 1, "%s", strbuf_str(&sb));
	strbuf_release(&sb);
	r->failed = true;
}

static bool count_nodes(struct yaml_reader *r, size_t weight, const yaml_mark_t *m)
{
	r->total = sat_add(r->total, weight);
	if (r->total <= r->max_nodes)
		return true;
	fail(r, m, "document too large: more than %zu nodes once aliases are expanded", r->max_nodes);
	return false;
}

static struct tnode *node_new(struct yaml_reader *r, enum ynode_kind kind, const yaml_mark_t *m,
			      const yaml_char_t *anchor, const yaml_char_t *tag)
{
	struct tnode *n = arena_calloc(&r->nodes, sizeof(*n));
	n->pub.kind = kind;
	n->pub.file = r->file;
	n->pub.line = (int)m->line + 1;
	n->pub.col = (int)m->column + 1;
	n->pub.tag = tag ? arena_strdup(&r->nodes, (const char *)tag) : NULL;
	n->weight = 1;
	if (anchor) {
		n->pub.anchored = true;
		r->saw_anchors = true;
		hmap_put(&r->anchors, (const char *)anchor, n);
	}
	return n;
}

/* Adds a finished child's totals to its parent. */
static void add_totals(struct tnode *p, const struct tnode *n)
{
	p->weight = sat_add(p->weight, n->weight);
	p->bytes = sat_add(p->bytes, n->bytes);
	if (n->height + 1 > p->height)
		p->height = n->height + 1;
}

static void attach(struct yaml_reader *r, struct tnode *n)
{
	if (!r->depth) {
		r->root = n;
		return;
	}
	struct tnode *p = r->stack[r->depth - 1];
	p->kids = grow_kids(&r->nodes, p->kids, p->pub.n);
	p->kids[p->pub.n++] = &n->pub;
	p->pub.kids = (const struct ynode *const *)p->kids;
	if (!n->open)
		add_totals(p, n);
}

static void on_alias(struct yaml_reader *r, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	char q[YNODE_QUOTE_MAX];
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "*%s", name);
	ynode_quote(q, "", sb.buf, sb.len);
	strbuf_release(&sb);
	r->saw_anchors = true;
	struct tnode *t = hmap_get(&r->anchors, name);
	if (!t)
		fail(r, &ev->start_mark, "unknown alias %s", q);
	else if (t->open)
		fail(r, &ev->start_mark, "alias %s refers to itself", q);
	else if (r->depth + t->height > YAML_TREE_MAX_DEPTH)
		fail(r, &ev->start_mark, "nesting deeper than %d levels (through alias %s)", YAML_TREE_MAX_DEPTH, q);
	else if (!count_nodes(r, t->weight, &ev->start_mark))
		return;
	else if ((r->alias_bytes = sat_add(r->alias_bytes, t->bytes)) > YAML_TREE_MAX_ALIAS_BYTES)
		fail(r, &ev->start_mark, "document too large: aliases repeat more than %u bytes of text",
		     YAML_TREE_MAX_ALIAS_BYTES);
	else
		attach(r, t);
}

static void on_scalar(struct yaml_reader *r, const yaml_event_t *ev)
{
	if (!count_nodes(r, 1, &ev->start_mark))
		return;
	const char *tag = (const char *)ev->data.scalar.tag;
	struct tnode *n = node_new(r, YNODE_SCALAR, &ev->start_mark, ev->data.scalar.anchor, ev->data.scalar.tag);
	/* the text may hold NULs: copied by length */
	n->pub.text = arena_strndup(&r->nodes, (const char *)ev->data.scalar.value, ev->data.scalar.length);
	n->pub.len = ev->data.scalar.length;
	n->bytes = n->pub.len;
	switch (ev->data.scalar.style) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE: n->pub.style = YSTYLE_SINGLE; break;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE: n->pub.style = YSTYLE_DOUBLE; break;
	case YAML_LITERAL_SCALAR_STYLE: n->pub.style = YSTYLE_LITERAL; break;
	case YAML_FOLDED_SCALAR_STYLE: n->pub.style = YSTYLE_FOLDED; break;
	default: n->pub.style = YSTYLE_PLAIN; break;
	}
	n->pub.plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		       !(tag && (strcmp(tag, "!") == 0 || strcmp(tag, YAML_STR_TAG) == 0));
	attach(r, n);
}

static void on_start(struct yaml_reader *r, const yaml_event_t *ev)
{
	const yaml_mark_t *m = &ev->start_mark;
	bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
	if (r->depth >= YAML_TREE_MAX_DEPTH) {
		fail(r, m, "nesting deeper than %d levels", YAML_TREE_MAX_DEPTH);
		return;
	}
	if (!count_nodes(r, 1, m))
		return;
	struct tnode *n = node_new(r, seq ? YNODE_SEQUENCE : YNODE_MAPPING, m,
				   seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor,
				   seq ? ev->data.sequence_start.tag : ev->data.mapping_start.tag);
	n->open = true;
	n->height = 1;
	attach(r, n);
	r->stack[r->depth++] = n;
}

static void on_end(struct yaml_reader *r)
{
	if (!r->depth)
		return;
	struct tnode *n = r->stack[--r->depth];
	n->open = false;
	if (r->depth)
		add_totals(r->stack[r->depth - 1], n);
}

/* Where a reader error (bad encoding, control character) stands: libyaml gives only a byte
 * offset for those. */
static void offset_mark(const unsigned char *buf, size_t len, size_t offset, yaml_mark_t *m)
{
	m->line = 0;
	m->column = 0;
	for (size_t i = 0; i < offset && i < len; i++) {
		if (buf[i] == '\n') {
			m->line++;
			m->column = 0;
		} else if ((buf[i] & 0xC0) != 0x80) {
			m->column++;
		}
	}
}

struct yaml_reader *yaml_reader_create(const char *file, const char *text, size_t len, struct diag_list *diags)
{
	struct yaml_reader *r = xcalloc(1, sizeof(*r));
	r->src = (const unsigned char *)(text ? text : "");
	r->srclen = text ? len : 0;
	r->file = file;
	r->diags = diags;
	r->max_nodes = YAML_TREE_MAX_NODES;
	arena_init(&r->nodes);
	arena_init(&r->fast_nodes);
	return r;
}

void yaml_reader_set_fast(struct yaml_reader *r, bool on)
{
	r->fast_off = !on;
}

bool yaml_reader_was_fast(const struct yaml_reader *r)
{
	return r->fast;
}

/* The first document: the plain-subset reader reads the whole text when it can; else
 * libyaml reads it, from the start. */
static void choose(struct yaml_reader *r)
{
	r->fast_tried = true;
	if (!r->fast_off)
		r->fast = yaml_fast_read(r->file, (const char *)r->src, r->srclen, r->max_nodes, &r->fast_nodes,
					 &r->docs, &r->ndocs);
	if (r->fast)
		return;
	arena_release(&r->fast_nodes);
	if (!yaml_parser_initialize(&r->parser))
		die_oom();
	yaml_parser_set_input_string(&r->parser, r->src, r->srclen);
	r->parser_ready = true;
}

void yaml_reader_set_max_nodes(struct yaml_reader *r, size_t max)
{
	r->max_nodes = max;
}

void yaml_reader_destroy(struct yaml_reader *r)
{
	if (!r)
		return;
	reset(r);
	arena_release(&r->fast_nodes);
	if (r->parser_ready)
		yaml_parser_delete(&r->parser);
	free(r);
}

bool yaml_reader_saw_anchors(const struct yaml_reader *r)
{
	return r->saw_anchors;
}

int yaml_reader_next(struct yaml_reader *r, const struct ynode **root)
{
	*root = NULL;
	if (!r->fast_tried)
		choose(r);
	if (r->fast) {
		if (r->next_doc == r->ndocs)
			return 0;
		*root = r->docs[r->next_doc++];
		return 1;
	}
	reset(r);
	while (!r->failed && !r->ended) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&r->parser, &ev)) {
			yaml_mark_t m = r->parser.problem_mark;
			if (r->parser.error == YAML_MEMORY_ERROR)
				die_oom();
			if (r->parser.error == YAML_READER_ERROR)
				offset_mark(r->src, r->srclen, r->parser.problem_offset, &m);
			fail(r, &m, "yaml syntax: %s", r->parser.problem ? r->parser.problem : "cannot parse");
			break;
		}
		bool done = false;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			r->ended = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			reset(r);
			break;
		case YAML_DOCUMENT_END_EVENT:
			*root = r->root ? &r->root->pub : NULL;
			done = true;
			break;
		case YAML_SCALAR_EVENT:
			on_scalar(r, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			on_start(r, &ev);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			on_end(r);
			break;
		case YAML_ALIAS_EVENT:
			on_alias(r, &ev);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
		if (done)
			return 1;
	}
	return r->failed ? -1 : 0;
}

/* ---- locations inside a scalar ---- */

/* The byte offset of 1-based (line, col) in the source (col counts characters, as libyaml
 * does), or SIZE_MAX when it is not there. */
static size_t source_offset(const struct yaml_reader *r, int line, int col)
{
	size_t i = 0;
	for (int l = 1; l < line; l++) {
		while (i < r->srclen && r->src[i] != '\n')
			i++;
		if (i >= r->srclen)
			return SIZE_MAX;
		i++;
	}
	for (int c = 1; c < col; c++) {
		if (i >= r->srclen || r->src[i] == '\n')
			return SIZE_MAX;
		i++;
		while (i < r->srclen && (r->src[i] & 0xC0) == 0x80)
			i++;
	}
	return i;
}

static int columns(const unsigned char *s, size_t n)
{
	int c = 0;
	for (size_t i = 0; i < n; i++)
		if ((s[i] & 0xC0) != 0x80)
			c++;
	return c;
}

/* A literal block: the text's line k is the k-th line after the indicator, minus the
 * block indent. */
static void literal_location(const struct yaml_reader *r, const struct ynode *n, size_t start, size_t off,
			     int *line, int *col)
{
	const unsigned char *src = r->src;
	size_t k = 0, bol = 0;
	for (size_t i = 0; i < off; i++)
		if (n->text[i] == '\n') {
			k++;
			bol = i + 1;
		}
	size_t p = start;
	int ln = n->line;
	for (size_t i = 0; i <= k; i++) {
		while (p < r->srclen && src[p] != '\n')
			p++;
		if (p >= r->srclen)
			return;
		p++;
		ln++;
	}
	size_t indent = 0;
	while (p + indent < r->srclen && src[p + indent] == ' ')
		indent++;
	/* the block indent is that of its first line; deeper lines keep the extra spaces */
	size_t first = start, findent = 0;
	while (first < r->srclen && src[first] != '\n')
		first++;
	first++;
	while (first + findent < r->srclen && src[first + findent] == ' ')
		findent++;
	if (findent > indent)
		return;
	size_t q = p + findent;
	for (size_t i = bol; i < off; i++, q++)
		if (q >= r->srclen || src[q] != (unsigned char)n->text[i])
			return;
	*line = ln;
	*col = 1 + columns(src + p, q - p);
}

void yaml_reader_text_location(const struct yaml_reader *r, const struct ynode *n, size_t off, int *line,
			       int *col)
{
	*line = n->line;
	*col = n->col;
	size_t start = source_offset(r, n->line, n->col);
	if (start == SIZE_MAX || off > n->len)
		return;
	if (n->style == YSTYLE_LITERAL) {
		literal_location(r, n, start, off, line, col);
		return;
	}
	const unsigned char *src = r->src;
	size_t p = start;
	if (n->style == YSTYLE_SINGLE || n->style == YSTYLE_DOUBLE)
		p++;
	else if (n->style != YSTYLE_PLAIN)
		return;
	for (size_t i = 0; i < off; i++, p++) {
		unsigned char c = p < r->srclen ? src[p] : 0;
		if (c != (unsigned char)n->text[i] || c == '\n' || (c == '\\' && n->style == YSTYLE_DOUBLE) ||
		    (c == '\'' && n->style == YSTYLE_SINGLE))
			return;
	}
	*col = n->col + columns(src + start, p - start);
}

/* ---- messages ---- */

const char *ynode_kind_name(const struct ynode *n)
{
	switch (n->kind) {
	case YNODE_MAPPING:
		return "a mapping";
	case YNODE_SEQUENCE:
		return "a sequence";
	case YNODE_SCALAR:
		break;
	}
	return "a scalar";
}

const char *ynode_quote(char *buf, const char *prefix, const char *s, size_t len)
{
	size_t o = strlen(prefix), lim = len;
	memcpy(buf, prefix, o);
	if (len > 60) {
		lim = 57;
		while (lim > 0 && ((unsigned char)s[lim] & 0xC0) == 0x80)
			lim--;
	}
	buf[o++] = '\'';
	for (size_t i = 0; i < lim; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else if (c == '\t') {
			buf[o++] = '\\';
			buf[o++] = 't';
		} else if (c < 0x20 || c == 0x7f) {
			buf[o++] = '?';
		} else {
			buf[o++] = (char)c;
		}
	}
	if (lim < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '\'';
	buf[o] = '\0';
	return buf;
}

const char *ynode_describe(char *buf, const struct ynode *n)
{
	if (n->kind != YNODE_SCALAR)
		return ynode_kind_name(n);
	if (n->plain && n->len == 0)
		return "nothing";
	if (n->plain)
		return ynode_quote(buf, "", n->text, n->len);
	return ynode_quote(buf, "the string ", n->text, n->len);
}

bool ynode_expect_mapping(struct diag_list *diags, const struct ynode *n, const char *what)
{
	char q[YNODE_QUOTE_MAX];
	if (n->kind == YNODE_MAPPING)
		return true;
	diag_add(diags, n->file, n->line, n->col, "%s must be a mapping, got %s", what, ynode_describe(q, n));
	return false;
}

/* ---- core schema ---- */

bool ynode_is_null(const struct ynode *n)
{
	if (n->kind != YNODE_SCALAR || !n->plain)
		return false;
	const char *t = n->text;
	return !t[0] || strcmp(t, "~") == 0 || strcmp(t, "null") == 0 || strcmp(t, "Null") == 0 ||
	       strcmp(t, "NULL") == 0;
}

int ynode_bool(const struct ynode *n)
{
	if (n->kind != YNODE_SCALAR || !n->plain)
		return -1;
	const char *t = n->text;
	if (strcmp(t, "true") == 0 || strcmp(t, "True") == 0 || strcmp(t, "TRUE") == 0)
		return 1;
	if (strcmp(t, "false") == 0 || strcmp(t, "False") == 0 || strcmp(t, "FALSE") == 0)
		return 0;
	return -1;
}

bool ynode_int(const struct ynode *n, long long min, long long max, long long *out)
{
	if (n->kind != YNODE_SCALAR || !n->plain)
		return false;
	int base = numtext_int_base(n->text);
	if (!base)
		return false;
	const char *digits = base == 10 ? n->text : n->text + 2;
	errno = 0;
	char *end;
	long long v = strtoll(digits, &end, base);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

const struct ynode *ynode_get(const struct ynode *map, const char *key)
{
	if (!map || map->kind != YNODE_MAPPING)
		return NULL;
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (map->kids[i]->kind == YNODE_SCALAR && strcmp(map->kids[i]->text, key) == 0)
			return map->kids[i + 1];
	return NULL;
}

/* ---- writing ---- */

struct yaml_writer {
	yaml_emitter_t e;
	struct strbuf out;
	struct strbuf open;   /* 's' or 'm' for each collection begun and not yet ended */
	bool ok;
};

static int on_write(void *data, unsigned char *buffer, size_t size)
{
	strbuf_add(data, buffer, size);
	return 1;
}

static void emit(struct yaml_writer *w, yaml_event_t *ev, int initialized)
{
	if (!initialized) {
		w->ok = false;
		return;
	}
	if (!w->ok) {
		yaml_event_delete(ev);
		return;
	}
	/* the emitter takes the event, also when it refuses it */
	if (!yaml_emitter_emit(&w->e, ev))
		w->ok = false;
}

struct yaml_writer *yaml_writer_create(void)
{
	struct yaml_writer *w = xcalloc(1, sizeof(*w));
	yaml_event_t ev;
	if (!yaml_emitter_initialize(&w->e))
		die_oom();
	w->ok = true;
	yaml_emitter_set_output(&w->e, on_write, &w->out);
	yaml_emitter_set_unicode(&w->e, 1);
	yaml_emitter_set_width(&w->e, -1);
	yaml_emitter_set_indent(&w->e, 2);
	emit(w, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
	emit(w, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
	return w;
}

static yaml_scalar_style_t libyaml_style(enum ynode_style s)
{
	switch (s) {
	case YSTYLE_PLAIN: return YAML_PLAIN_SCALAR_STYLE;
	case YSTYLE_SINGLE: return YAML_SINGLE_QUOTED_SCALAR_STYLE;
	case YSTYLE_DOUBLE: return YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	case YSTYLE_LITERAL: return YAML_LITERAL_SCALAR_STYLE;
	case YSTYLE_FOLDED: return YAML_FOLDED_SCALAR_STYLE;
	case YSTYLE_ANY: break;
	}
	return YAML_ANY_SCALAR_STYLE;
}

void yaml_writer_scalar(struct yaml_writer *w, const char *tag, const char *text, size_t len, bool plain_implicit,
			bool quoted_implicit, enum ynode_style style)
{
	yaml_event_t ev;
	emit(w, &ev, yaml_scalar_event_initialize(&ev, NULL, (yaml_char_t *)tag, (yaml_char_t *)text, (int)len,
						  plain_implicit, quoted_implicit, libyaml_style(style)));
}

void yaml_writer_begin(struct yaml_writer *w, enum ynode_kind kind, const char *tag)
{
	yaml_event_t ev;
	if (kind == YNODE_SEQUENCE)
		emit(w, &ev, yaml_sequence_start_event_initialize(&ev, NULL, (yaml_char_t *)tag, !tag,
								  YAML_BLOCK_SEQUENCE_STYLE));
	else
		emit(w, &ev, yaml_mapping_start_event_initialize(&ev, NULL, (yaml_char_t *)tag, !tag,
								 YAML_BLOCK_MAPPING_STYLE));
	/* a scalar cannot be begun: there would be no end event to match */
	if (kind == YNODE_SCALAR)
		w->ok = false;
	strbuf_addc(&w->open, kind == YNODE_SEQUENCE ? 's' : 'm');
}

void yaml_writer_end(struct yaml_writer *w)
{
	yaml_event_t ev;
	if (!w->open.len) {
		w->ok = false;
		return;
	}
	if (w->open.buf[--w->open.len] == 's')
		emit(w, &ev, yaml_sequence_end_event_initialize(&ev));
	else
		emit(w, &ev, yaml_mapping_end_event_initialize(&ev));
}

char *yaml_writer_finish(struct yaml_writer *w)
{
	yaml_event_t ev;
	emit(w, &ev, yaml_document_end_event_initialize(&ev, 1));
	emit(w, &ev, yaml_stream_end_event_initialize(&ev));
	if (w->ok && !yaml_emitter_flush(&w->e))
		w->ok = false;
	yaml_emitter_delete(&w->e);
	char *text = w->ok && !w->open.len ? strbuf_detach(&w->out, NULL) : NULL;
	strbuf_release(&w->out);
	strbuf_release(&w->open);
	free(w);
	return text;
}
