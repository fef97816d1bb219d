/* SPDX-License-Identifier: MIT */
/* The plain-subset YAML reader (yaml_fast.h). It follows libyaml's scanner where the two
 * meet (src/scanner.c of libyaml 0.2.5: which characters start and end a plain scalar,
 * when ':' is a value indicator, where each event's mark stands) and gives up wherever a
 * rule of YAML beyond the subset could apply, so that libyaml reads that text instead.
 * Every function returns NULL (or false) to give up; nothing is reported. */
#include "yaml_fast.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"
#include "util/xalloc.h"

/* Below libyaml's 1024-character bound on an implicit key, and below YAML_TREE_MAX_DEPTH:
 * near either bound libyaml reads the text and says what is wrong. */
#define FAST_MAX_KEY 1000
#define FAST_MAX_DEPTH (YAML_TREE_MAX_DEPTH - 4)

struct fr {
	const char *file;
	const unsigned char *s;
	size_t len;
	size_t p;          /* where reading is */
	size_t bol;        /* where p's line begins */
	int line;          /* p's line, 1-based */
	/* after a node that ended its line: the column of the next content (p is at it), or 0
	 * at the end of the text or at a `---` line (then p is at that line) */
	int next;
	struct arena *a;
	size_t nodes, max_nodes;
	unsigned depth;    /* collections open */
	const struct ynode **stack;   /* kids of the open collections (push) */
	size_t top, cap;
};

/* The byte at i, or 0 past the end (the text holds no NUL: yaml_fast_read checks). */
static inline int at(const struct fr *f, size_t i)
{
	return i < f->len ? f->s[i] : 0;
}

/* A space, a line end or the end: what libyaml calls blankz (tabs are not in the text). */
static inline bool blankz(int c)
{
	return c == ' ' || c == '\n' || c == 0;
}

static inline int col_of(const struct fr *f, size_t i)
{
	return (int)(i - f->bol) + 1;
}

/* A node at at_byte of p's line, with room for extra bytes after it (a scalar's text). */
static struct ynode *node(struct fr *f, enum ynode_kind kind, size_t at_byte, size_t extra)
{
	if (++f->nodes > f->max_nodes)
		return NULL;
	struct ynode *n = arena_alloc(f->a, sizeof(*n) + extra);
	*n = (struct ynode){ .kind = kind, .file = f->file, .line = f->line, .col = col_of(f, at_byte) };
	return n;
}

/* A scalar node at start, its text the len bytes after the node. */
static struct ynode *scalar_node(struct fr *f, size_t start, size_t len, enum ynode_style style)
{
	struct ynode *n = node(f, YNODE_SCALAR, start, len + 1);
	if (!n)
		return NULL;
	n->style = style;
	n->plain = style == YSTYLE_PLAIN;
	n->len = len;
	n->text = (char *)(n + 1);
	return n;
}

/* The kids of the collections being read, one range on top of another: a collection
 * closes by copying its range into the arena, one allocation of the exact size. */
static bool push(struct fr *f, const struct ynode *x)
{
	if (!x)
		return false;
	if (f->top == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 256;
		f->stack = xrealloc(f->stack, f->cap * sizeof(*f->stack));
	}
	f->stack[f->top++] = x;
	return true;
}

/* Gives c the kids pushed since base, and pops them. */
static void close_kids(struct fr *f, struct ynode *c, size_t base)
{
	c->n = f->top - base;
	if (c->n) {
		const struct ynode **v = arena_alloc(f->a, c->n * sizeof(*v));
		memcpy(v, f->stack + base, c->n * sizeof(*v));
		c->kids = v;
	}
	f->top = base;
	f->depth--;
}

static void spaces(struct fr *f)
{
	while (at(f, f->p) == ' ')
		f->p++;
}

/* The rest of a line after a node: spaces, then a comment (first on its line or after a
 * space) or nothing; p moves to the start of the next line. false when anything else
 * follows. */
static bool line_end(struct fr *f)
{
	spaces(f);
	int c = at(f, f->p);
	if (c == '#' && (f->p == f->bol || f->s[f->p - 1] == ' ')) {
		const void *nl = memchr(f->s + f->p, '\n', f->len - f->p);
		f->p = nl ? (size_t)((const unsigned char *)nl - f->s) : f->len;
		c = at(f, f->p);
	}
	if (c == '\n') {
		f->p++;
		f->line++;
		f->bol = f->p;
		return true;
	}
	return c == 0;
}

/* From the start of a line, past lines that hold only spaces or a comment, to the next
 * content: sets f->next. A line that starts with `---` or `...` is a document marker (or
 * close enough to one to leave it to libyaml): f->next is 0 there for `---` alone. */
static bool next_content(struct fr *f)
{
	for (;;) {
		if (f->p >= f->len) {
			f->next = 0;
			return true;
		}
		const unsigned char *s = f->s + f->p;
		if (f->len - f->p >= 3 && ((s[0] == '-' && s[1] == '-' && s[2] == '-') ||
					   (s[0] == '.' && s[1] == '.' && s[2] == '.'))) {
			if (s[0] != '-' || !blankz(at(f, f->p + 3)))
				return false;
			f->next = 0;
			return true;
		}
		spaces(f);
		int c = at(f, f->p);
		if (c == '#' || c == '\n' || c == 0) {
			if (!line_end(f))
				return false;
			continue;
		}
		f->next = col_of(f, f->p);
		return true;
	}
}

/* The bytes a quoted scalar's scan stops at (the text is printable ASCII and '\n'). */
static const unsigned char quote_stop[256] = { ['\n'] = 1, ['"'] = 1, ['\''] = 1, ['\\'] = 1 };

/* What the escape \c stands for in double quotes, or -1 for those left to libyaml (\x,
 * \u and \U, the ones that give UTF-8, a line continuation): the ones that give one
 * ASCII byte, as libyaml's scanner has them. */
static int escaped(int c)
{
	switch (c) {
	case '0': return '\0';
	case 'a': return '\a';
	case 'b': return '\b';
	case 't': return '\t';
	case 'n': return '\n';
	case 'v': return '\v';
	case 'f': return '\f';
	case 'r': return '\r';
	case 'e': return 0x1b;
	case ' ': case '"': case '/': case '\\': return c;
	default: return -1;
	}
}

/* A quoted scalar at p (its quote), on one line: the text between the quotes ('' in single
 * quotes is one ', escapes in double quotes as escaped() has them); p moves past the
 * closing quote. NULL for another escape or a line end before the closing quote (a
 * folded line). */
static const struct ynode *quoted(struct fr *f)
{
	size_t start = f->p, i = start + 1, shorter = 0;
	int q = at(f, start);
	for (;;) {
		while (i < f->len && !quote_stop[f->s[i]])
			i++;
		int c = at(f, i);
		if (c == q) {
			if (q == '"' || at(f, i + 1) != '\'')
				break;
			shorter++;
			i += 2;
			continue;
		}
		if (c == 0 || c == '\n')
			return NULL;
		if (q == '"' && c == '\\') {
			if (escaped(at(f, i + 1)) < 0)
				return NULL;
			shorter++;
			i += 2;
			continue;
		}
		i++;   /* the other quote, or a backslash in single quotes */
	}
	struct ynode *n = scalar_node(f, start, i - start - 1 - shorter, q == '"' ? YSTYLE_DOUBLE : YSTYLE_SINGLE);
	if (!n)
		return NULL;
	char *t = (char *)(n + 1);
	if (shorter) {
		size_t k = 0;
		for (size_t j = start + 1; j < i; j++) {
			int c = f->s[j];
			if (c == '\'' && q == '\'')
				j++;
			else if (c == '\\' && q == '"')
				c = escaped(f->s[++j]);
			t[k++] = (char)c;
		}
	} else {
		memcpy(t, f->s + start + 1, n->len);
	}
	t[n->len] = '\0';
	f->p = i + 1;
	return n;
}

/* Whether a plain scalar may start with c, then d: not an indicator, except '-' before
 * what cannot be read otherwise ('?' and ':' first are left to libyaml). */
static bool plain_first(int c, int d)
{
	if (c == '-')
		return (d >= '0' && d <= '9') || (d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z') || d == '.';
	return c > ' ' && !strchr("-?:,[]{}#&*!|>'\"%@`", c);
}

/* The bytes a plain scalar's scan stops at, to look closer (everything from 0x80 on
 * never reaches it). */
#define STOPS_COMMON ['\0'] = 1, ['\n'] = 1, [' '] = 1, [':'] = 1
static const unsigned char block_stop[256] = { STOPS_COMMON };
static const unsigned char flow_stop[256] = { STOPS_COMMON, [','] = 1, [']'] = 1, ['}'] = 1, ['['] = 1, ['{'] = 1,
					       ['#'] = 1, ['?'] = 1 };

/* A plain scalar at p on one line, in flow context or not: p moves past its last
 * non-space. It ends before ": " (or ':' at the line's end), before " #", at the line's end,
 * and in flow context before ',', ']' and '}'. NULL for what a longer reading might give
 * another meaning: in flow context a ':' inside it, '[', '{', '#' or '?'. */
static const struct ynode *plain(struct fr *f, bool flow)
{
	size_t start = f->p, i = start, end = start;
	if (!plain_first(at(f, i), at(f, i + 1)))
		return NULL;
	const unsigned char *stop = flow ? flow_stop : block_stop;
	for (;;) {
		/* most bytes end nothing: skip them a table look-up each */
		size_t from = i;
		while (i < f->len && !stop[f->s[i]])
			i++;
		if (i > from)
			end = i;
		int c = at(f, i);
		if (c == 0 || c == '\n')
			break;
		if (c == ' ') {
			size_t j = i;
			while (at(f, j) == ' ')
				j++;
			if (at(f, j) == '#')
				break;
			i = j;
			continue;
		}
		if (c == ':' && blankz(at(f, i + 1)))
			break;
		if (flow) {
			if (c == ',' || c == ']' || c == '}')
				break;
			if (c == ':' || c == '[' || c == '{' || c == '#' || c == '?')
				return NULL;
		}
		end = ++i;
	}
	struct ynode *n = scalar_node(f, start, end - start, YSTYLE_PLAIN);
	if (!n)
		return NULL;
	char *t = (char *)(n + 1);
	memcpy(t, f->s + start, n->len);
	t[n->len] = '\0';
	f->p = end;
	return n;
}

static const struct ynode *scalar(struct fr *f, bool flow)
{
	int c = at(f, f->p);
	return c == '"' || c == '\'' ? quoted(f) : plain(f, flow);
}

static const struct ynode *flow_node(struct fr *f);

/* After a flow collection's entry: spaces, then ',' (more follows) or the closing
 * bracket. 1: more, 0: closed (p past it), -1: anything else (a trailing ',' too). */
static int flow_next(struct fr *f, int close)
{
	spaces(f);
	int c = at(f, f->p);
	if (c == close) {
		f->p++;
		return 0;
	}
	if (c != ',')
		return -1;
	f->p++;
	spaces(f);
	c = at(f, f->p);
	return c == close || c == ',' ? -1 : 1;
}

/* A flow sequence or mapping at p ('[' or '{'), closed on the same line. */
static const struct ynode *flow_collection(struct fr *f)
{
	bool map = at(f, f->p) == '{';
	int close = map ? '}' : ']';
	struct ynode *c = node(f, map ? YNODE_MAPPING : YNODE_SEQUENCE, f->p, 0);
	if (!c || ++f->depth > FAST_MAX_DEPTH)
		return NULL;
	size_t base = f->top;
	f->p++;
	spaces(f);
	int more = 1;
	if (at(f, f->p) == close) {
		f->p++;
		more = 0;
	}
	while (more == 1) {
		if (map) {
			size_t k0 = f->p;
			const struct ynode *k = scalar(f, true);
			if (!k)
				return NULL;
			spaces(f);
			/* after a quoted key ':' is the value indicator even without a space after it
			 * (libyaml's JSON-like keys); after a plain one the space ended the key */
			if (at(f, f->p) != ':' || f->p - k0 > FAST_MAX_KEY)
				return NULL;
			f->p++;
			spaces(f);
			push(f, k);
		}
		if (!push(f, flow_node(f)))
			return NULL;
		more = flow_next(f, close);
	}
	if (more < 0)
		return NULL;
	close_kids(f, c, base);
	return c;
}

/* A value inside a flow collection: a nested one or a scalar. */
static const struct ynode *flow_node(struct fr *f)
{
	int c = at(f, f->p);
	return c == '[' || c == '{' ? flow_collection(f) : scalar(f, true);
}

/* The value at p in block context that ends its line (a scalar or a flow collection),
 * then the next content. */
static const struct ynode *line_value(struct fr *f, const struct ynode *v)
{
	return v && line_end(f) && next_content(f) ? v : NULL;
}

static const struct ynode *block_node(struct fr *f);

static bool entry_at(const struct fr *f)
{
	return at(f, f->p) == '-' && blankz(at(f, f->p + 1));
}

/* After "- " or "key:": the node on the rest of the line, or when nothing but a comment is
 * there, the node on the next content line, which must be deeper than col. */
static const struct ynode *node_after_indicator(struct fr *f, int col)
{
	spaces(f);
	int c = at(f, f->p);
	if (c != '#' && c != '\n' && c != 0)
		return block_node(f);
	if (!line_end(f) || !next_content(f) || f->next <= col)
		return NULL;
	return block_node(f);
}

/* A block sequence whose first "- " is at p, column col; indentless: it is the value of a
 * key at the same column, and ends at the mapping's next key. */
static const struct ynode *block_seq(struct fr *f, int col, bool indentless)
{
	struct ynode *s = node(f, YNODE_SEQUENCE, f->p, 0);
	if (!s || ++f->depth > FAST_MAX_DEPTH)
		return NULL;
	size_t base = f->top;
	for (;;) {
		f->p++;
		if (!push(f, node_after_indicator(f, col)))
			return NULL;
		if (f->next == col && entry_at(f))
			continue;
		if (f->next < col || (indentless && f->next == col))
			break;
		return NULL;
	}
	close_kids(f, s, base);
	return s;
}

/* Whether p is at ':' as a block mapping's value indicator, after spaces. */
static bool value_indicator(struct fr *f, size_t key_start)
{
	spaces(f);
	return at(f, f->p) == ':' && blankz(at(f, f->p + 1)) && f->p - key_start <= FAST_MAX_KEY;
}

/* A block mapping whose first key, key, has been read (p at its ':'). */
static const struct ynode *block_map(struct fr *f, const struct ynode *key)
{
	if (++f->nodes > f->max_nodes || ++f->depth > FAST_MAX_DEPTH)
		return NULL;
	struct ynode *m = arena_alloc(f->a, sizeof(*m));
	*m = (struct ynode){ .kind = YNODE_MAPPING, .file = f->file, .line = key->line, .col = key->col };
	int col = key->col;
	size_t base = f->top;
	for (;;) {
		push(f, key);
		f->p++;
		spaces(f);
		const struct ynode *v;
		int c = at(f, f->p);
		if (c == '#' || c == '\n' || c == 0) {
			if (!line_end(f) || !next_content(f))
				return NULL;
			if (f->next > col)
				v = block_node(f);
			else if (f->next == col && entry_at(f))
				v = block_seq(f, col, true);
			else
				return NULL;   /* an empty value */
		} else if (c == '-' && blankz(at(f, f->p + 1))) {
			return NULL;           /* "key: - x" */
		} else {
			v = line_value(f, c == '[' || c == '{' ? flow_collection(f) : scalar(f, false));
		}
		if (!push(f, v))
			return NULL;
		if (f->next < col)
			break;
		if (f->next > col || entry_at(f))
			return NULL;
		size_t k0 = f->p;
		key = scalar(f, false);
		if (!key || !value_indicator(f, k0))
			return NULL;
	}
	close_kids(f, m, base);
	return m;
}

/* The block node at p: a sequence, a mapping (a key then ": "), or a value that ends its
 * line. p is at the next content afterwards. */
static const struct ynode *block_node(struct fr *f)
{
	size_t k0 = f->p;
	int c = at(f, k0);
	if (c == '-' && blankz(at(f, k0 + 1)))
		return block_seq(f, col_of(f, k0), false);
	if (c == '[' || c == '{')
		return line_value(f, flow_collection(f));
	const struct ynode *s = scalar(f, false);
	if (!s)
		return NULL;
	if (value_indicator(f, k0))
		return block_map(f, s);
	return line_value(f, s);
}

/* In each byte of w, its high bit when the byte is zero, and nothing else. */
static inline uint64_t zero_bytes(uint64_t w)
{
	const uint64_t low7 = UINT64_C(0x7f7f7f7f7f7f7f7f);
	return ~(((w & low7) + low7) | w | low7);
}

/* Whether s[0..len) is printable ASCII (0x20-0x7E) and '\n' only: eight bytes a step. */
static bool printable(const unsigned char *s, size_t len)
{
	const uint64_t ones = UINT64_C(0x0101010101010101), high = ones * 0x80;
	uint64_t bad = 0, w;
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		memcpy(&w, s + i, 8);
		/* with no high bit set, a byte under 0x20 is one that adding 0x60 leaves under 0x80 */
		uint64_t low = ~(w + ones * 0x60) & high;
		bad |= (w & high) | (low & ~zero_bytes(w ^ (ones * '\n'))) | zero_bytes(w ^ (ones * 0x7f));
	}
	for (; i < len; i++)
		bad |= (s[i] < ' ' && s[i] != '\n') || s[i] > '~';
	return bad == 0;
}

/* Every document's root, pushed. */
static bool read_docs(struct fr *f)
{
	if (!next_content(f))
		return false;
	/* a `---` before the first document starts it; every later one starts another */
	bool marked = false;
	for (;;) {
		if (f->next == 0 && f->p < f->len) {
			f->p += 3;
			if (!line_end(f) || !next_content(f))
				return false;
			marked = true;
		}
		if (f->next == 0)
			return !marked;   /* an empty document: libyaml gives it a null root */
		f->nodes = 0;
		if (!push(f, block_node(f)) || f->next != 0)
			return false;
		marked = false;
		if (f->p >= f->len)
			return true;
	}
}

bool yaml_fast_read(const char *file, const char *text, size_t len, size_t max_nodes, struct arena *a,
		    const struct ynode ***docs, size_t *ndocs)
{
	*docs = NULL;
	*ndocs = 0;
	const unsigned char *s = (const unsigned char *)text;
	if (!printable(s, len))
		return false;
	struct fr f = { .file = file, .s = s, .len = len, .line = 1, .a = a, .max_nodes = max_nodes };
	bool ok = read_docs(&f);
	if (ok) {
		const struct ynode **v = arena_alloc(a, f.top * sizeof(*v));
		if (f.top)
			memcpy(v, f.stack, f.top * sizeof(*v));
		*docs = v;
		*ndocs = f.top;
	}
	free(f.stack);
	return ok;
}
