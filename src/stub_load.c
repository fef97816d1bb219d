/* SPDX-License-Identifier: MIT */
/* Stub files to stubs: libyaml events build a tree of located nodes (an alias shares its
 * anchor's node, never a copy), then each document's tree becomes struct stub, with a
 * located diagnostic for every problem found. The only file that includes <yaml.h>. */
#include "stub_load.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "regex.h"
#include "render.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define MAX_DELAY_MS 600000u      /* 10 minutes: longer delays are load errors */
#define RESERVED_MSG "stub routes may not live under '/__cannery/' (reserved for the admin API)"

static void die_oom(void)
{
	fputs("cannery: out of memory\n", stderr);
	abort();
}

static cJSON *cj(cJSON *item)
{
	if (!item)
		die_oom();
	return item;
}

static size_t sat_add(size_t a, size_t b)
{
	return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

/* Grows an array whose capacity is the next power of two above its count. */
static void *grow_pow2(void *v, size_t n, size_t size)
{
	if (n && (n & (n - 1)) != 0)
		return v;
	return xrealloc(v, (n ? n * 2 : 1) * size);
}

static char *path_join(const char *a, const char *b)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, a);
	if (sb.len && sb.buf[sb.len - 1] != '/')
		strbuf_addc(&sb, '/');
	strbuf_adds(&sb, b);
	return strbuf_detach(&sb, NULL);
}

/* Reads a whole file into a NUL-terminated buffer. Returns 0 or a negative errno. */
static int read_all(const char *path, char **out, size_t *outlen)
{
	int err;
	char *buf = NULL;
	size_t len = 0, alloc = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (alloc - len < 2) {
			alloc = alloc ? alloc * 2 : 65536;
			buf = xrealloc(buf, alloc);
		}
		ssize_t r = read(fd, buf + len, alloc - len - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
fail:
	close(fd);
	free(buf);
	return err;
}

/* ---- a small string-keyed hash map: anchors, stub ids, duplicate keys ---- */

struct hmap_entry {
	char *key;
	void *val;
};

struct hmap {
	struct hmap_entry *v;
	size_t cap, n;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603u;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211u;
	}
	return h;
}

static struct hmap_entry *hmap_find(const struct hmap *m, const char *key)
{
	if (!m->cap)
		return NULL;
	size_t i = (size_t)hash_str(key) & (m->cap - 1);
	while (m->v[i].key) {
		if (strcmp(m->v[i].key, key) == 0)
			return &m->v[i];
		i = (i + 1) & (m->cap - 1);
	}
	return NULL;
}

static void *hmap_get(const struct hmap *m, const char *key)
{
	struct hmap_entry *e = hmap_find(m, key);
	return e ? e->val : NULL;
}

static void hmap_insert(struct hmap_entry *v, size_t cap, char *key, void *val)
{
	size_t i = (size_t)hash_str(key) & (cap - 1);
	while (v[i].key)
		i = (i + 1) & (cap - 1);
	v[i].key = key;
	v[i].val = val;
}

/* Sets key to val (a non-NULL pointer), replacing an earlier value. */
static void hmap_put(struct hmap *m, const char *key, void *val)
{
	struct hmap_entry *e = hmap_find(m, key);
	if (e) {
		e->val = val;
		return;
	}
	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		struct hmap_entry *v = xcalloc(cap, sizeof(*v));
		for (size_t i = 0; i < m->cap; i++)
			if (m->v[i].key)
				hmap_insert(v, cap, m->v[i].key, m->v[i].val);
		free(m->v);
		m->v = v;
		m->cap = cap;
	}
	hmap_insert(m->v, m->cap, xstrdup(key), val);
	m->n++;
}

static void hmap_release(struct hmap *m, void (*free_val)(void *))
{
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->v[i].key)
			continue;
		free(m->v[i].key);
		if (free_val)
			free_val(m->v[i].val);
	}
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* Adds key to a set; false when it was there already. */
static bool keyset_add(struct hmap *set, const char *key)
{
	static char present;
	if (hmap_get(set, key))
		return false;
	hmap_put(set, key, &present);
	return true;
}

/* ---- located nodes ---- */

enum node_type {
	NODE_SCALAR,
	NODE_SEQUENCE,
	NODE_MAPPING,
};

struct node {
	enum node_type type;
	bool plain;          /* a scalar without quotes, block style or !!str: typed by the core schema */
	bool open;           /* a collection whose end event has not come yet */
	char style;          /* scalar: 'p' plain, '\'' or '"' quoted, '|' literal, '>' folded */
	int line, col;       /* 1-based, where the node starts */
	char *text;          /* scalar: NUL-terminated */
	size_t len;
	struct node **kids;  /* sequence: items; mapping: key, value, key, value, ... (shared by aliases) */
	size_t n;
	size_t weight;       /* nodes once aliases are expanded: 1 + the children's weights, saturating */
	size_t bytes;        /* scalar text once aliases are expanded, saturating */
	unsigned height;     /* nesting levels, this one included, aliases expanded; 0 for scalars */
};

/* ---- the loader: one per stub_load_* call ---- */

struct id_loc {
	char *file;
	int line, col;
};

struct loader {
	struct diag_list *diags;
	struct load_result *res;
	struct hmap ids;            /* stub id -> struct id_loc *, across the whole load */
	/* the file (or text) being loaded */
	const char *file;           /* FILE in messages */
	const char *stub_file;      /* stub->file; NULL for runtime stubs */
	const char *relpath;        /* RELPATH of RELPATH#INDEX ids */
	bool runtime;
	const char *file_dir;       /* file: paths are relative to it; NULL forbids file: */
	const char *root_shown;     /* ... and must stay inside this directory */
	const char *root_real;      /* its realpath, or NULL when that failed */
	size_t index;               /* next stub index in this file, across documents */
	const unsigned char *src;   /* the text being parsed, to place errors inside a scalar */
	size_t srclen;
	/* quoted user text for messages, in a small ring so one message can show several */
	char shown[4][160];
	unsigned shown_next;
	/* stub_load_matcher: documents convert into one request matcher instead of stubs */
	bool matcher_mode;
	const char *matcher_member;
	struct stub *matcher;
	size_t docs;
};

static size_t nerrors(const struct loader *ld)
{
	return ld->diags->n + ld->diags->dropped;
}

/* Quotes user text for a message, after prefix (a short literal): control bytes escaped,
 * long text cut. Valid until four more calls. */
static const char *shown_after(struct loader *ld, const char *prefix, const char *s, size_t len)
{
	char *buf = ld->shown[ld->shown_next++ % 4];
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

static const char *shown(struct loader *ld, const char *s, size_t len)
{
	return shown_after(ld, "", s, len);
}

static const char *shown_str(struct loader *ld, const char *s)
{
	return shown(ld, s, strlen(s));
}

static bool is_null(const struct node *n)
{
	if (n->type != NODE_SCALAR || !n->plain)
		return false;
	const char *t = n->text;
	return !t[0] || strcmp(t, "~") == 0 || strcmp(t, "null") == 0 || strcmp(t, "Null") == 0 ||
	       strcmp(t, "NULL") == 0;
}

static const char *kind_of(const struct node *n)
{
	switch (n->type) {
	case NODE_MAPPING:
		return "a mapping";
	case NODE_SEQUENCE:
		return "a sequence";
	case NODE_SCALAR:
		break;
	}
	return "a scalar";
}

/* What a message says was found: "a mapping", "nothing", "'abc'" or "the string '200'". */
static const char *got(struct loader *ld, const struct node *n)
{
	if (n->type != NODE_SCALAR)
		return kind_of(n);
	if (n->plain && n->len == 0)
		return "nothing";
	if (n->plain)
		return shown(ld, n->text, n->len);
	return shown_after(ld, "the string ", n->text, n->len);
}

static void err(struct loader *ld, const struct node *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void err(struct loader *ld, const struct node *at, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	diag_add(ld->diags, ld->file, at ? at->line : 0, at ? at->col : 0, "%s", strbuf_str(&sb));
	strbuf_release(&sb);
}

static int key_index(const struct node *k, const char *const *keys)
{
	for (int i = 0; keys[i]; i++)
		if (strcmp(k->text, keys[i]) == 0)
			return i;
	return -1;
}

/* A mapping key must be a scalar; false (after an error) when the pair is to be skipped. */
static bool key_ok(struct loader *ld, const struct node *k)
{
	if (k->type == NODE_SCALAR)
		return true;
	err(ld, k, "a key must be a scalar, got %s", kind_of(k));
	return false;
}

static void unknown_key(struct loader *ld, const struct node *k, const char *where, const char *const *known)
{
	const char *hint = diag_suggest(k->text, known);
	if (hint)
		err(ld, k, "unknown key %s in %s (did you mean '%s'?)", shown(ld, k->text, k->len), where, hint);
	else
		err(ld, k, "unknown key %s in %s", shown(ld, k->text, k->len), where);
}

/* The index of key k in known, or -1 after reporting it: "not supported yet" when it
 * is in later (a key of a feature still to come), else unknown with a hint. */
static int lookup_key(struct loader *ld, const struct node *k, const char *const *known,
		      const char *const *later, const char *where)
{
	int ki = key_index(k, known);
	if (ki >= 0)
		return ki;
	if (later && key_index(k, later) >= 0)
		err(ld, k, "'%s' is not supported yet", k->text);
	else
		unknown_key(ld, k, where, known);
	return -1;
}

/* Marks key number ki as seen; false (after an error) when it was seen before. */
static bool first_time(struct loader *ld, unsigned *seen, int ki, const struct node *k, const char *where)
{
	if (*seen & (1u << ki)) {
		err(ld, k, "duplicate key '%s' in %s", k->text, where);
		return false;
	}
	*seen |= 1u << ki;
	return true;
}

/* ---- scalar typing (YAML 1.2 core schema, plain scalars only) ---- */

static bool is_dig(char c)
{
	return c >= '0' && c <= '9';
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

static bool all_digits(const char *s, int base)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (digit_value(*s) >= base)
			return false;
	return true;
}

/* 10 for [-+]?[0-9]+, 16 for 0x[0-9a-fA-F]+, 8 for 0o[0-7]+, else 0. */
static int int_base(const char *s)
{
	if (s[0] == '0' && s[1] == 'x')
		return all_digits(s + 2, 16) ? 16 : 0;
	if (s[0] == '0' && s[1] == 'o')
		return all_digits(s + 2, 8) ? 8 : 0;
	if (*s == '+' || *s == '-')
		s++;
	return all_digits(s, 10) ? 10 : 0;
}

/* [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )? */
static bool is_float(const char *p)
{
	size_t idig = 0, fdig = 0;
	if (*p == '+' || *p == '-')
		p++;
	for (; is_dig(*p); p++)
		idig++;
	if (*p == '.') {
		for (p++; is_dig(*p); p++)
			fdig++;
		if (!idig && !fdig)
			return false;
	} else if (!idig) {
		return false;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!is_dig(*p))
			return false;
		while (is_dig(*p))
			p++;
	}
	return *p == '\0';
}

/* 1 true, 0 false, -1 not a boolean. */
static int scalar_bool(const struct node *n)
{
	if (n->type != NODE_SCALAR || !n->plain)
		return -1;
	const char *t = n->text;
	if (strcmp(t, "true") == 0 || strcmp(t, "True") == 0 || strcmp(t, "TRUE") == 0)
		return 1;
	if (strcmp(t, "false") == 0 || strcmp(t, "False") == 0 || strcmp(t, "FALSE") == 0)
		return 0;
	return -1;
}

/* A plain integer scalar in [min, max]. */
static bool scalar_int(const struct node *n, long long min, long long max, long long *out)
{
	if (n->type != NODE_SCALAR || !n->plain)
		return false;
	int base = int_base(n->text);
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

/* RFC 9110 token: methods and header names. */
static bool is_token(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_dig((char)c))
			continue;
		if (!strchr("!#$%&'*+-.^_`|~", c))
			return false;
	}
	return true;
}

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static void upper(char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
}

/* ---- templates ---- */

/* The byte offset of 1-based (line, col) in the text being parsed (col counts
 * characters, as libyaml does), or SIZE_MAX when it is not there. */
static size_t source_offset(const struct loader *ld, int line, int col)
{
	size_t i = 0;
	for (int l = 1; l < line; l++) {
		while (i < ld->srclen && ld->src[i] != '\n')
			i++;
		if (i >= ld->srclen)
			return SIZE_MAX;
		i++;
	}
	for (int c = 1; c < col; c++) {
		if (i >= ld->srclen || ld->src[i] == '\n')
			return SIZE_MAX;
		i++;
		while (i < ld->srclen && (ld->src[i] & 0xC0) == 0x80)
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

/*
 * Where byte off of a scalar's text stands in the file. Exact for plain and quoted
 * scalars on one line without escapes before that point, and for literal blocks ('|');
 * otherwise (folded lines, escapes) the scalar's own start.
 */
static void text_location(const struct loader *ld, const struct node *n, size_t off, int *line, int *col)
{
	*line = n->line;
	*col = n->col;
	size_t start = ld->src ? source_offset(ld, n->line, n->col) : SIZE_MAX;
	if (start == SIZE_MAX || off > n->len)
		return;
	const unsigned char *src = ld->src;
	if (n->style == '|') {
		/* the text's line k is the k-th line after the indicator, minus the block indent */
		size_t k = 0, bol = 0;
		for (size_t i = 0; i < off; i++)
			if (n->text[i] == '\n') {
				k++;
				bol = i + 1;
			}
		size_t p = start;
		int ln = n->line;
		for (size_t i = 0; i <= k; i++) {
			while (p < ld->srclen && src[p] != '\n')
				p++;
			if (p >= ld->srclen)
				return;
			p++;
			ln++;
		}
		size_t indent = 0;
		while (p + indent < ld->srclen && src[p + indent] == ' ')
			indent++;
		/* the block indent is that of its first line; deeper lines keep the extra spaces */
		size_t first = start, findent = 0;
		while (first < ld->srclen && src[first] != '\n')
			first++;
		first++;
		while (first + findent < ld->srclen && src[first + findent] == ' ')
			findent++;
		if (findent > indent)
			return;
		size_t q = p + findent;
		for (size_t i = bol; i < off; i++, q++)
			if (q >= ld->srclen || src[q] != (unsigned char)n->text[i])
				return;
		*line = ln;
		*col = 1 + columns(src + p, q - p);
		return;
	}
	size_t p = start;
	if (n->style == '\'' || n->style == '"')
		p++;
	else if (n->style != 'p')
		return;
	for (size_t i = 0; i < off; i++, p++) {
		unsigned char c = p < ld->srclen ? src[p] : 0;
		if (c != (unsigned char)n->text[i] || c == '\n' || (c == '\\' && n->style == '"') ||
		    (c == '\'' && n->style == '\''))
			return;
	}
	*col = n->col + columns(src + start, p - start);
}

/* Compiles a scalar as a template; NULL after a located error. */
static struct tpl *compile_tpl(struct loader *ld, const struct node *n)
{
	struct tpl_error e;
	struct tpl *t = tpl_compile(n->text, n->len, &e);
	if (!t) {
		int line, col;
		text_location(ld, n, e.offset, &line, &col);
		diag_add(ld->diags, ld->file, line, col, "%s", e.msg);
	}
	return t;
}

/* ---- YAML values to cJSON ---- */

enum {
	JSON_RAW_INTS = 1,   /* integers keep their exact digits (response bodies) */
	JSON_TEMPLATES = 2,  /* a string with '{{' is a template: check that it compiles */
};

static cJSON *number_json(struct loader *ld, const struct node *n, unsigned flags)
{
	const char *s = n->text;
	int base = int_base(s);
	if (base == 10 && (flags & JSON_RAW_INTS)) {
		/* exact digits: "007" -> 7, "+5" -> 5, however large */
		bool neg = *s == '-';
		if (*s == '+' || *s == '-')
			s++;
		while (s[0] == '0' && s[1])
			s++;
		struct strbuf sb = STRBUF_INIT;
		if (neg && strcmp(s, "0") != 0)
			strbuf_addc(&sb, '-');
		strbuf_adds(&sb, s);
		cJSON *j = cj(cJSON_CreateRaw(sb.buf));
		strbuf_release(&sb);
		return j;
	}
	if (base == 8 || base == 16) {
		unsigned long long v = 0;
		double d = 0;
		bool over = false;
		for (const char *p = s + 2; *p; p++) {
			unsigned dv = (unsigned)digit_value(*p);
			if (v > (ULLONG_MAX - dv) / (unsigned)base)
				over = true;
			else
				v = v * (unsigned)base + dv;
			d = d * base + dv;
		}
		if (!over && (flags & JSON_RAW_INTS)) {
			char buf[32];
			snprintf(buf, sizeof(buf), "%llu", v);
			return cj(cJSON_CreateRaw(buf));
		}
		if (over && !isfinite(d))
			goto range;
		return cj(cJSON_CreateNumber(over ? d : (double)v));
	}
	double d = strtod(s, NULL);
	if (!isfinite(d))
		goto range;
	return cj(cJSON_CreateNumber(d));
range:
	err(ld, n, "number %s is out of range", shown(ld, n->text, n->len));
	return cj(cJSON_CreateNull());
}

static cJSON *scalar_json(struct loader *ld, const struct node *n, unsigned flags)
{
	if (n->plain) {
		if (is_null(n))
			return cj(cJSON_CreateNull());
		int b = scalar_bool(n);
		if (b >= 0)
			return cj(cJSON_CreateBool(b));
		if (int_base(n->text) || is_float(n->text))
			return number_json(ld, n, flags);
	}
	if ((flags & JSON_TEMPLATES) && tpl_has_expr(n->text, n->len))
		tpl_destroy(compile_tpl(ld, n));
	return cj(cJSON_CreateString(n->text));
}

/* Any YAML value as JSON; never NULL (a wrong part becomes null after an error). */
static cJSON *to_json(struct loader *ld, const struct node *n, unsigned flags)
{
	if (n->type == NODE_SCALAR)
		return scalar_json(ld, n, flags);
	if (n->type == NODE_SEQUENCE) {
		cJSON *arr = cj(cJSON_CreateArray());
		for (size_t i = 0; i < n->n; i++)
			if (!cJSON_AddItemToArray(arr, to_json(ld, n->kids[i], flags)))
				die_oom();
		return arr;
	}
	cJSON *obj = cj(cJSON_CreateObject());
	struct hmap keys = { 0 };
	for (size_t i = 0; i + 1 < n->n; i += 2) {
		const struct node *k = n->kids[i];
		if (!key_ok(ld, k))
			continue;
		if (!keyset_add(&keys, k->text)) {
			err(ld, k, "duplicate key %s", shown(ld, k->text, k->len));
			continue;
		}
		if (!cJSON_AddItemToObject(obj, k->text, to_json(ld, n->kids[i + 1], flags)))
			die_oom();
	}
	hmap_release(&keys, NULL);
	return obj;
}

/* ---- matchers ---- */

static const char *const matcher_keys[] = {
	"equals", "contains", "prefix", "suffix", "regex", "one_of", "present", "not", "ignore_case", NULL,
};

enum {
	MK_EQUALS,
	MK_CONTAINS,
	MK_PREFIX,
	MK_SUFFIX,
	MK_REGEX,
	MK_ONE_OF,
	MK_PRESENT,
	MK_NOT,
	MK_IGNORE_CASE,
};

static const char *const body_kinds[] = { "json", "json_partial", "json_path", "form", NULL };

/* what a mapping under body: may hold, for "did you mean" */
static const char *const body_keys[] = {
	"equals", "contains", "prefix", "suffix", "regex", "one_of", "present", "not", "ignore_case",
	"json", "json_partial", "json_path", "form", NULL,
};

static struct regex *compile_regex(struct loader *ld, const char *key, const struct node *v, bool ignore_case)
{
	char *msg = NULL;
	size_t off = 0;
	struct regex *re = regex_compile(v->text, ignore_case, &msg, &off);
	if (!re) {
		err(ld, v, "'%s' is not a valid regex: %s at offset %zu", key, msg ? msg : "error", off);
		free(msg);
	}
	return re;
}

/* A matcher from a scalar (equals) or a mapping of operations. label names the subject in
 * messages ("'body'", "header 'accept'"); ignore_case is inherited from an enclosing
 * matcher; known lists the keys to suggest for a typo. */
static void to_matcher(struct loader *ld, const struct node *v, const char *label, bool ignore_case,
		       struct matcher *m, const char *const *known)
{
	m->ignore_case = ignore_case;
	if (v->type == NODE_SCALAR) {
		m->clauses = xcalloc(1, sizeof(*m->clauses));
		m->clauses[0].op = MATCH_EQUALS;
		m->clauses[0].text = xstrdup(v->text);
		m->n = 1;
		return;
	}
	if (v->type == NODE_SEQUENCE) {
		err(ld, v, "%s must be a string or a matcher mapping, got a sequence", label);
		return;
	}
	/* ignore_case applies to the whole mapping (regex is compiled with it), wherever it stands */
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct node *k = v->kids[i];
		if (k->type == NODE_SCALAR && strcmp(k->text, "ignore_case") == 0 && scalar_bool(v->kids[i + 1]) >= 0)
			m->ignore_case = scalar_bool(v->kids[i + 1]) == 1;
	}
	unsigned seen = 0;
	bool conditions = false;
	m->clauses = xcalloc(v->n / 2 + 1, sizeof(*m->clauses));
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct node *k = v->kids[i], *val = v->kids[i + 1];
		if (!key_ok(ld, k))
			continue;
		int ki = key_index(k, matcher_keys);
		if (ki < 0) {
			unknown_key(ld, k, label, known);
			conditions = true;
			continue;
		}
		if (!first_time(ld, &seen, ki, k, label))
			continue;
		if (ki != MK_IGNORE_CASE)
			conditions = true;
		struct match_clause *c = &m->clauses[m->n];
		switch (ki) {
		case MK_EQUALS:
		case MK_CONTAINS:
		case MK_PREFIX:
		case MK_SUFFIX:
			if (val->type != NODE_SCALAR) {
				err(ld, val, "'%s' must be a string, got %s", k->text, kind_of(val));
				break;
			}
			c->op = ki == MK_EQUALS ? MATCH_EQUALS : ki == MK_CONTAINS ? MATCH_CONTAINS
				: ki == MK_PREFIX ? MATCH_PREFIX : MATCH_SUFFIX;
			c->text = xstrdup(val->text);
			m->n++;
			break;
		case MK_REGEX:
			if (val->type != NODE_SCALAR) {
				err(ld, val, "'regex' must be a string, got %s", kind_of(val));
				break;
			}
			c->re = compile_regex(ld, "regex", val, m->ignore_case);
			if (!c->re)
				break;
			c->op = MATCH_REGEX;
			c->text = xstrdup(val->text);
			m->n++;
			break;
		case MK_ONE_OF:
			if (val->type != NODE_SEQUENCE) {
				err(ld, val, "'one_of' must be a list of strings, got %s", got(ld, val));
				break;
			}
			if (val->n == 0) {
				err(ld, val, "'one_of' must not be empty");
				break;
			}
			c->op = MATCH_ONE_OF;
			c->list = xcalloc(val->n, sizeof(*c->list));
			for (size_t j = 0; j < val->n; j++) {
				if (val->kids[j]->type != NODE_SCALAR) {
					err(ld, val->kids[j], "'one_of' entries must be strings, got %s", kind_of(val->kids[j]));
					continue;
				}
				c->list[c->nlist++] = xstrdup(val->kids[j]->text);
			}
			m->n++;
			break;
		case MK_PRESENT: {
			int b = scalar_bool(val);
			if (b < 0) {
				err(ld, val, "'present' must be true or false, got %s", got(ld, val));
				break;
			}
			c->op = MATCH_PRESENT;
			c->present = b == 1;
			m->n++;
			break;
		}
		case MK_NOT:
			c->op = MATCH_NOT;
			c->inner = xcalloc(1, sizeof(*c->inner));
			to_matcher(ld, val, label, m->ignore_case, c->inner, matcher_keys);
			m->n++;
			break;
		case MK_IGNORE_CASE:
			if (scalar_bool(val) < 0)
				err(ld, val, "'ignore_case' must be true or false, got %s", got(ld, val));
			break;
		}
	}
	if (!conditions)
		err(ld, v, "matcher has no condition");
}

enum named_kind {
	NAMED_PLAIN,
	NAMED_HEADER,      /* stored lower-case, must be a token */
	NAMED_JSON_PATH,   /* DOTTED.PATH without empty segments */
};

/* A mapping of name -> matcher: query, headers, cookies, json_path, form. key is the YAML
 * key ("query"), noun what one entry is called in messages ("query parameter"). */
static void to_named(struct loader *ld, const struct node *v, const char *key, const char *noun,
		     enum named_kind kind, struct named_matcher **out, size_t *nout)
{
	if (v->type != NODE_MAPPING) {
		err(ld, v, "'%s' must be a mapping of name to matcher, got %s", key, got(ld, v));
		return;
	}
	struct hmap names = { 0 };
	struct strbuf label = STRBUF_INIT;
	*out = xcalloc(v->n / 2 + 1, sizeof(**out));
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct node *k = v->kids[i];
		if (!key_ok(ld, k))
			continue;
		char *name = xstrdup(k->text);
		if (kind == NAMED_HEADER) {
			lower(name);
			if (!is_token(name))
				err(ld, k, "header name %s is not a valid HTTP token", shown(ld, k->text, k->len));
		}
		if (kind == NAMED_JSON_PATH && (!*name || *name == '.' || name[strlen(name) - 1] == '.' ||
						strstr(name, "..")))
			err(ld, k, "json path %s has an empty segment", shown(ld, k->text, k->len));
		if (!keyset_add(&names, name)) {
			err(ld, k, "duplicate %s %s", noun, shown(ld, k->text, k->len));
			free(name);
			continue;
		}
		struct named_matcher *nm = &(*out)[(*nout)++];
		nm->name = name;
		nm->line = k->line;
		nm->col = k->col;
		strbuf_reset(&label);
		strbuf_addf(&label, "%s %s", noun, shown(ld, k->text, k->len));
		to_matcher(ld, v->kids[i + 1], strbuf_str(&label), false, &nm->m, matcher_keys);
	}
	strbuf_release(&label);
	hmap_release(&names, NULL);
}

#define BODY_MIX_MSG "'body' mixes '%s' with '%s': give either a matcher or one of json, json_partial, json_path, form"

/* body: a matcher on the raw text, or exactly one of json, json_partial, json_path, form. */
static void to_body(struct loader *ld, const struct node *v, struct body_match *b)
{
	if (v->type == NODE_SEQUENCE) {
		err(ld, v, "'body' must be a string or a mapping, got a sequence");
		return;
	}
	if (v->type == NODE_SCALAR) {
		b->kind = BODY_RAW;
		to_matcher(ld, v, "'body'", false, &b->raw, body_keys);
		return;
	}
	const struct node *kind_key = NULL, *kind_val = NULL, *op_key = NULL;
	bool bad = false;
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct node *k = v->kids[i];
		if (k->type != NODE_SCALAR)
			continue;
		bool is_kind = key_index(k, body_kinds) >= 0;
		bool is_op = key_index(k, matcher_keys) >= 0;
		if (is_kind && kind_key) {
			if (strcmp(kind_key->text, k->text) == 0)
				err(ld, k, "duplicate key '%s' in 'body'", k->text);
			else
				err(ld, k, "'body' has both '%s' and '%s': give only one", kind_key->text, k->text);
			bad = true;
		} else if (is_kind && op_key) {
			err(ld, k, BODY_MIX_MSG, op_key->text, k->text);
			bad = true;
		} else if (is_kind) {
			kind_key = k;
			kind_val = v->kids[i + 1];
		} else if (is_op && kind_key) {
			err(ld, k, BODY_MIX_MSG, kind_key->text, k->text);
			bad = true;
		} else if (is_op && !op_key) {
			op_key = k;
		}
	}
	if (!kind_key && !bad) {
		b->kind = BODY_RAW;
		to_matcher(ld, v, "'body'", false, &b->raw, body_keys);
		return;
	}
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct node *k = v->kids[i];
		if (key_ok(ld, k) && key_index(k, body_kinds) < 0 && key_index(k, matcher_keys) < 0)
			unknown_key(ld, k, "'body'", body_keys);
	}
	if (bad)
		return;
	switch (key_index(kind_key, body_kinds)) {
	case 0:
		b->kind = BODY_JSON;
		b->json = to_json(ld, kind_val, 0);
		break;
	case 1:
		b->kind = BODY_JSON_PARTIAL;
		b->json = to_json(ld, kind_val, 0);
		break;
	case 2:
		b->kind = BODY_JSON_PATH;
		to_named(ld, kind_val, "json_path", "json path", NAMED_JSON_PATH, &b->fields, &b->nfields);
		break;
	default:
		b->kind = BODY_FORM;
		to_named(ld, kind_val, "form", "form field", NAMED_PLAIN, &b->fields, &b->nfields);
		break;
	}
}

/* ---- request ---- */

static bool reserved_path(const char *p)
{
	return strcmp(p, "/__cannery") == 0 || strncmp(p, "/__cannery/", 11) == 0;
}

/* The text every match of the regex must start with (as far as a simple scan can tell). */
static char *regex_literal_prefix(const char *re)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = re;
	strbuf_grow(&sb, strlen(re));
	if (*p == '^')
		p++;
	while (*p) {
		size_t before = sb.len;
		if (*p == '\\') {
			unsigned char c = (unsigned char)p[1];
			if (!c || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80)
				break;
			strbuf_addc(&sb, (char)c);
			p += 2;
		} else if (strchr(".^$|?*+()[]{}", *p)) {
			break;
		} else {
			strbuf_addc(&sb, *p++);
		}
		/* a quantifier makes the last character optional: it is not part of the prefix */
		if (*p == '?' || *p == '*' || *p == '{') {
			sb.len = before;
			sb.buf[before] = '\0';
			break;
		}
		if (*p == '+')
			break;
	}
	return strbuf_detach(&sb, NULL);
}

static void to_methods(struct loader *ld, const struct node *v, struct stub_request *req)
{
	const struct node *const *items = (const struct node *const *)&v;
	size_t n = 1;
	bool any = false;
	if (v->type == NODE_MAPPING) {
		err(ld, v, "'method' must be a string or a list of strings, got a mapping");
		return;
	}
	if (v->type == NODE_SEQUENCE) {
		items = (const struct node *const *)v->kids;
		n = v->n;
		if (!n) {
			err(ld, v, "'method' must not be an empty list");
			return;
		}
	}
	req->methods = xcalloc(n, sizeof(*req->methods));
	for (size_t i = 0; i < n; i++) {
		const struct node *it = items[i];
		if (it->type != NODE_SCALAR) {
			err(ld, it, "'method' entries must be strings, got %s", kind_of(it));
			continue;
		}
		char *m = xstrdup(it->text);
		upper(m);
		if (!is_token(m)) {
			err(ld, it, "'method' must be an HTTP method such as 'GET', got %s", got(ld, it));
			free(m);
			continue;
		}
		bool dup = strcmp(m, "ANY") == 0;
		any = any || dup;
		for (size_t j = 0; j < req->nmethods && !dup; j++)
			dup = strcmp(req->methods[j], m) == 0;
		if (dup)
			free(m);
		else
			req->methods[req->nmethods++] = m;
	}
	if (any) {
		for (size_t i = 0; i < req->nmethods; i++)
			free(req->methods[i]);
		req->nmethods = 0;
	}
	if (!req->nmethods) {
		free(req->methods);
		req->methods = NULL;
	}
}

static bool valid_param_name(const char *s, size_t len)
{
	if (!len || is_dig(*s))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!(c == '_' || is_dig(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			return false;
	}
	return true;
}

/* Splits a template path into segments; false after an error. */
static bool parse_template(struct loader *ld, const struct node *v, struct stub_request *req)
{
	const char *p = v->text + 1;
	size_t nslash = 0;
	struct hmap names = { 0 };
	bool ok = true;
	for (const char *q = p; *q; q++)
		nslash += *q == '/';
	struct path_seg *segs = xcalloc(nslash + 1, sizeof(*segs));
	size_t n = 0;
	for (;;) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		struct path_seg *s = &segs[n++];
		const char *ob = memchr(p, '{', len), *cb = memchr(p, '}', len);
		if (!ob && !cb) {
			s->text = xstrndup(p, len);
		} else {
			size_t nopen = 0, nclose = 0;
			for (size_t i = 0; i < len; i++) {
				nopen += p[i] == '{';
				nclose += p[i] == '}';
			}
			char *seg = xstrndup(p, len);
			if (nopen != nclose) {
				err(ld, v, "'path' segment %s has unbalanced braces", shown_str(ld, seg));
				ok = false;
			} else if (p[0] != '{' || p[len - 1] != '}' || nopen != 1) {
				err(ld, v, "'path' segment %s mixes text and a parameter: a parameter must be a whole segment, like '{id}'",
				    shown_str(ld, seg));
				ok = false;
			} else {
				bool rest = len >= 3 && p[len - 2] == '*';
				size_t nlen = len - 2 - (rest ? 1 : 0);
				if (!valid_param_name(p + 1, nlen)) {
					err(ld, v, "'path' parameter name %s is not valid: use letters, digits and '_', not starting with a digit",
					    shown(ld, p + 1, len - 2));
					ok = false;
				} else {
					s->is_param = true;
					s->is_rest = rest;
					s->text = xstrndup(p + 1, nlen);
					if (!keyset_add(&names, s->text)) {
						err(ld, v, "'path' has parameter %s twice", shown_str(ld, s->text));
						ok = false;
					} else if (rest && end) {
						err(ld, v, "'path' parameter %s must be the last segment", shown_str(ld, seg));
						ok = false;
					}
				}
			}
			free(seg);
		}
		if (!end)
			break;
		p = end + 1;
	}
	hmap_release(&names, NULL);
	if (!ok) {
		for (size_t i = 0; i < n; i++)
			free(segs[i].text);
		free(segs);
		return false;
	}
	req->segs = segs;
	req->nsegs = n;
	return true;
}

static void to_path(struct loader *ld, const struct node *v, struct stub_request *req)
{
	req->path_line = v->line;
	req->path_col = v->col;
	if (v->type != NODE_SCALAR || (v->plain && v->len == 0)) {
		err(ld, v, "'path' must be a string starting with '/', got %s", got(ld, v));
		return;
	}
	if (v->text[0] != '/') {
		err(ld, v, "'path' must start with '/', got %s", got(ld, v));
		return;
	}
	if (strlen(v->text) != v->len) {
		err(ld, v, "'path' must not contain a NUL byte");
		return;
	}
	if (reserved_path(v->text)) {
		err(ld, v, RESERVED_MSG);
		return;
	}
	if (!strpbrk(v->text, "{}")) {
		req->path_kind = PATH_EXACT;
		req->path = xstrdup(v->text);
		return;
	}
	if (parse_template(ld, v, req)) {
		req->path_kind = PATH_TEMPLATE;
		req->path = xstrdup(v->text);
	}
}

static void to_path_regex(struct loader *ld, const struct node *v, struct stub_request *req)
{
	req->path_line = v->line;
	req->path_col = v->col;
	if (v->type != NODE_SCALAR || v->len == 0 || strlen(v->text) != v->len) {
		err(ld, v, "'path_regex' must be a regex string, got %s", got(ld, v));
		return;
	}
	struct regex *re = compile_regex(ld, "path_regex", v, false);
	if (!re)
		return;
	char *prefix = regex_literal_prefix(v->text);
	bool reserved = reserved_path(prefix);
	free(prefix);
	if (reserved) {
		err(ld, v, RESERVED_MSG);
		regex_destroy(re);
		return;
	}
	req->path_kind = PATH_REGEX;
	req->path = xstrdup(v->text);
	req->path_re = re;
}

static const char *const request_keys[] = {
	"method", "path", "path_regex", "query", "headers", "cookies", "body", NULL,
};

enum { RK_METHOD, RK_PATH, RK_PATH_REGEX, RK_QUERY, RK_HEADERS, RK_COOKIES, RK_BODY };

static void to_request(struct loader *ld, const struct node *map, struct stub_request *req)
{
	const struct node *path_key = NULL;
	unsigned seen = 0;
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct node *k = map->kids[i], *v = map->kids[i + 1];
		if (!key_ok(ld, k))
			continue;
		int ki = key_index(k, request_keys);
		if (ki < 0) {
			unknown_key(ld, k, "'request'", request_keys);
			continue;
		}
		if (!first_time(ld, &seen, ki, k, "'request'"))
			continue;
		switch (ki) {
		case RK_METHOD:
			to_methods(ld, v, req);
			break;
		case RK_PATH:
		case RK_PATH_REGEX:
			if (path_key) {
				err(ld, k, "'request' has both '%s' and '%s': give only one", path_key->text, k->text);
				break;
			}
			path_key = k;
			if (ki == RK_PATH)
				to_path(ld, v, req);
			else
				to_path_regex(ld, v, req);
			break;
		case RK_QUERY:
			to_named(ld, v, "query", "query parameter", NAMED_PLAIN, &req->query, &req->nquery);
			break;
		case RK_HEADERS:
			to_named(ld, v, "headers", "header", NAMED_HEADER, &req->headers, &req->nheaders);
			break;
		case RK_COOKIES:
			to_named(ld, v, "cookies", "cookie", NAMED_PLAIN, &req->cookies, &req->ncookies);
			break;
		case RK_BODY:
			to_body(ld, v, &req->body);
			break;
		}
	}
}

/* ---- response ---- */

static const char *content_type_for(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ "json", "application/json" },
		{ "html", "text/html; charset=utf-8" },
		{ "htm", "text/html; charset=utf-8" },
		{ "txt", "text/plain; charset=utf-8" },
		{ "css", "text/css; charset=utf-8" },
		{ "js", "text/javascript; charset=utf-8" },
		{ "mjs", "text/javascript; charset=utf-8" },
		{ "png", "image/png" },
		{ "jpg", "image/jpeg" },
		{ "jpeg", "image/jpeg" },
		{ "gif", "image/gif" },
		{ "svg", "image/svg+xml" },
		{ "webp", "image/webp" },
		{ "ico", "image/x-icon" },
		{ "xml", "application/xml" },
		{ "pdf", "application/pdf" },
		{ "csv", "text/csv; charset=utf-8" },
		{ "wasm", "application/wasm" },
		{ "yaml", "application/yaml" },
		{ "yml", "application/yaml" },
		{ "md", "text/markdown; charset=utf-8" },
	};
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *dot = strrchr(base, '.');
	if (dot && dot != base)
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strcasecmp(dot + 1, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}

static void add_path(struct load_result *res, const char *path)
{
	res->paths = grow_pow2(res->paths, res->npaths, sizeof(*res->paths));
	res->paths[res->npaths++] = xstrdup(path);
}

static bool inside(const char *real, const char *root)
{
	size_t n = strlen(root);
	if (n == 1 && root[0] == '/')
		return real[0] == '/';
	return strncmp(real, root, n) == 0 && (real[n] == '/' || real[n] == '\0');
}

static void to_file(struct loader *ld, const struct node *k, const struct node *v, struct stub_response *r)
{
	char *path = NULL, *real = NULL;
	struct stat st;
	if (!ld->file_dir) {
		err(ld, k, "'file' is not allowed here");
		return;
	}
	if (v->type != NODE_SCALAR || v->len == 0 || strlen(v->text) != v->len) {
		err(ld, v, "'file' must be a path, got %s", got(ld, v));
		return;
	}
	if (v->text[0] == '/') {
		err(ld, v, "'file' must be a path relative to the stub file, got %s", got(ld, v));
		return;
	}
	path = path_join(ld->file_dir, v->text);
	real = realpath(path, NULL);
	if (!real) {
		if (errno == ENOENT || errno == ENOTDIR)
			err(ld, v, "file %s does not exist", shown_str(ld, path));
		else
			err(ld, v, "cannot read file %s: %s", shown_str(ld, path), strerror(errno));
		goto out;
	}
	if (!ld->root_real || !inside(real, ld->root_real)) {
		err(ld, v, "'file' must stay inside %s, got %s (which resolves to %s)", shown_str(ld, ld->root_shown),
		    shown(ld, v->text, v->len), shown_str(ld, real));
		goto out;
	}
	if (stat(real, &st) != 0 || !S_ISREG(st.st_mode)) {
		err(ld, v, "file %s is not a regular file", shown_str(ld, path));
		goto out;
	}
	int rc = read_all(real, &r->body, &r->body_len);
	if (rc < 0) {
		err(ld, v, "cannot read file %s: %s", shown_str(ld, path), strerror(-rc));
		goto out;
	}
	r->content_type = xstrdup(content_type_for(v->text));
	add_path(ld->res, path);
out:
	free(real);
	free(path);
}

static void add_header(struct loader *ld, struct stub_response *r, const char *name, const struct node *v, bool tpl)
{
	if (v->type != NODE_SCALAR) {
		err(ld, v, "header '%s' value must be a string, got %s", name, kind_of(v));
		return;
	}
	if (strlen(v->text) != v->len || strpbrk(v->text, "\r\n")) {
		err(ld, v, "header '%s' value must not contain a line break", name);
		return;
	}
	struct tpl *t = NULL;
	if (tpl && tpl_has_expr(v->text, v->len) && !(t = compile_tpl(ld, v)))
		return;
	r->headers = grow_pow2(r->headers, r->nheaders, sizeof(*r->headers));
	r->headers[r->nheaders].name = xstrdup(name);
	r->headers[r->nheaders].value = xstrdup(v->text);
	r->headers[r->nheaders].tpl = t;
	r->nheaders++;
}

/* Returns true when the headers carry a Content-Type. */
static bool to_resp_headers(struct loader *ld, const struct node *v, struct stub_response *r, bool tpl)
{
	bool has_ct = false;
	if (v->type != NODE_MAPPING) {
		err(ld, v, "'headers' must be a mapping of header name to value, got %s", got(ld, v));
		return false;
	}
	struct hmap names = { 0 };
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct node *k = v->kids[i], *val = v->kids[i + 1];
		if (!key_ok(ld, k))
			continue;
		if (!keyset_add(&names, k->text)) {
			err(ld, k, "duplicate key %s in 'headers'", shown(ld, k->text, k->len));
			continue;
		}
		if (!is_token(k->text) || strlen(k->text) != k->len) {
			err(ld, k, "header name %s is not a valid HTTP token", shown(ld, k->text, k->len));
			continue;
		}
		has_ct = has_ct || strcasecmp(k->text, "content-type") == 0;
		if (val->type == NODE_SEQUENCE) {
			for (size_t j = 0; j < val->n; j++)
				add_header(ld, r, k->text, val->kids[j], tpl);
		} else {
			add_header(ld, r, k->text, val, tpl);
		}
	}
	hmap_release(&names, NULL);
	return has_ct;
}

static const char *const response_keys[] = { "status", "headers", "json", "body", "file", "delay", "fault", NULL };

enum { PK_STATUS, PK_HEADERS, PK_JSON, PK_BODY, PK_FILE, PK_DELAY, PK_FAULT };

/* "250ms", "2s", "1.5s" (spaces allowed before the unit) into milliseconds, rounded; false
 * when s is not such a duration. *unitless is set for a bare number. */
static bool parse_duration(const char *s, double *ms, bool *unitless)
{
	const char *p = s;
	*unitless = false;
	if (!is_dig(*p))
		return false;
	while (is_dig(*p))
		p++;
	if (*p == '.') {
		p++;
		if (!is_dig(*p))
			return false;
		while (is_dig(*p))
			p++;
	}
	double v = strtod(s, NULL);
	while (*p == ' ')
		p++;
	if (strcmp(p, "ms") == 0)
		*ms = v;
	else if (strcmp(p, "s") == 0)
		*ms = v * 1000;
	else {
		*unitless = *p == '\0';
		return false;
	}
	*ms = floor(*ms + 0.5);
	return true;
}

/* One duration of a delay; false after an error. what names it in messages. */
static bool to_duration(struct loader *ld, const struct node *v, const char *what, unsigned *out)
{
	double ms;
	bool unitless = false;
	if (v->type != NODE_SCALAR || !parse_duration(v->text, &ms, &unitless)) {
		if (unitless)
			err(ld, v, "%s needs a unit: '%sms' or '%ss', got %s", what, v->text, v->text, got(ld, v));
		else
			err(ld, v, "%s must be a duration like 250ms or 2s, got %s", what, got(ld, v));
		return false;
	}
	if (ms > MAX_DELAY_MS) {
		err(ld, v, "%s must be at most %us, got %s", what, MAX_DELAY_MS / 1000, got(ld, v));
		return false;
	}
	*out = (unsigned)ms;
	return true;
}

static void to_delay(struct loader *ld, const struct node *v, struct stub_response *r)
{
	static const char *const keys[] = { "min", "max", NULL };
	if (v->type == NODE_SCALAR) {
		unsigned ms;
		if (to_duration(ld, v, "'delay'", &ms))
			r->delay_min_ms = r->delay_max_ms = ms;
		return;
	}
	if (v->type != NODE_MAPPING) {
		err(ld, v, "'delay' must be a duration like 250ms or a mapping {min: 100ms, max: 400ms}, got %s",
		    got(ld, v));
		return;
	}
	const struct node *at[2] = { NULL, NULL };
	unsigned ms[2] = { 0, 0 };
	unsigned seen = 0;
	bool ok = true;
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct node *k = v->kids[i];
		if (!key_ok(ld, k)) {
			ok = false;
			continue;
		}
		int ki = lookup_key(ld, k, keys, NULL, "'delay'");
		if (ki < 0 || !first_time(ld, &seen, ki, k, "'delay'")) {
			ok = false;
			continue;
		}
		at[ki] = v->kids[i + 1];
		if (!to_duration(ld, v->kids[i + 1], ki == 0 ? "'delay' min" : "'delay' max", &ms[ki]))
			ok = false;
	}
	for (int i = 0; i < 2; i++) {
		if (!at[i] && ok) {
			err(ld, v, "'delay' needs both 'min' and 'max', e.g. {min: 100ms, max: 400ms}");
			return;
		}
	}
	if (!ok)
		return;
	if (ms[0] > ms[1]) {
		err(ld, at[0], "'delay' min (%ums) is greater than max (%ums)", ms[0], ms[1]);
		return;
	}
	r->delay_min_ms = ms[0];
	r->delay_max_ms = ms[1];
}

static void to_fault(struct loader *ld, const struct node *v, struct stub_response *r)
{
	static const char *const faults[] = { "reset", NULL };
	if (v->type == NODE_SCALAR && strcmp(v->text, "reset") == 0) {
		r->fault_reset = true;
		return;
	}
	const char *hint = v->type == NODE_SCALAR ? diag_suggest(v->text, faults) : NULL;
	if (hint)
		err(ld, v, "unknown fault %s (did you mean '%s'?)", got(ld, v), hint);
	else
		err(ld, v, "unknown fault %s (the only fault is 'reset')", got(ld, v));
}

static void to_response(struct loader *ld, const struct node *map, struct stub_response *r, bool tpl)
{
	const struct node *body_key = NULL;
	unsigned seen = 0;
	bool has_ct = false;
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct node *k = map->kids[i], *v = map->kids[i + 1];
		if (!key_ok(ld, k))
			continue;
		int ki = lookup_key(ld, k, response_keys, NULL, "'response'");
		if (ki < 0)
			continue;
		if (!first_time(ld, &seen, ki, k, "'response'"))
			continue;
		if (ki == PK_JSON || ki == PK_BODY || ki == PK_FILE) {
			if (body_key) {
				err(ld, k, "'response' has both '%s' and '%s': give at most one body", body_key->text, k->text);
				continue;
			}
			body_key = k;
		}
		switch (ki) {
		case PK_STATUS: {
			long long st;
			if (!scalar_int(v, 100, 599, &st))
				err(ld, v, "'status' must be an integer from 100 to 599, got %s", got(ld, v));
			else
				r->status = (int)st;
			break;
		}
		case PK_HEADERS:
			has_ct = to_resp_headers(ld, v, r, tpl);
			break;
		case PK_JSON: {
			size_t before = nerrors(ld);
			cJSON *j = to_json(ld, v, JSON_RAW_INTS | (tpl ? JSON_TEMPLATES : 0));
			char *text = cJSON_PrintUnformatted(j);
			if (tpl && nerrors(ld) == before)
				r->body_tpl = tpl_compile_json(j);
			cJSON_Delete(j);
			if (!text)
				die_oom();
			r->body_len = strlen(text);
			r->body = xmemdup0(text, r->body_len);
			cJSON_free(text);
			r->content_type = xstrdup("application/json");
			break;
		}
		case PK_BODY:
			if (v->type != NODE_SCALAR) {
				err(ld, v, "'body' must be a string, got %s (use 'json' for structured data)", kind_of(v));
				break;
			}
			if (tpl && tpl_has_expr(v->text, v->len) && !(r->body_tpl = compile_tpl(ld, v)))
				break;
			r->body = xmemdup0(v->text, v->len);
			r->body_len = v->len;
			r->content_type = xstrdup("text/plain; charset=utf-8");
			break;
		case PK_FILE:
			to_file(ld, k, v, r);
			break;
		case PK_DELAY:
			to_delay(ld, v, r);
			break;
		case PK_FAULT:
			to_fault(ld, v, r);
			break;
		}
	}
	r->dynamic = r->body_tpl != NULL;
	for (size_t i = 0; i < r->nheaders; i++)
		if (r->headers[i].tpl)
			r->dynamic = true;
	if (has_ct) {
		free(r->content_type);
		r->content_type = NULL;
	}
}

/* ---- stubs ---- */

static const char *const stub_keys[] = {
	"name", "priority", "request", "response", "template",
	"responses", "scenario", "state", "next_state", "sequence", NULL,
};

enum {
	SK_NAME, SK_PRIORITY, SK_REQUEST, SK_RESPONSE, SK_TEMPLATE,
	SK_RESPONSES, SK_SCENARIO, SK_STATE, SK_NEXT_STATE, SK_SEQUENCE,
};

/* A non-empty string value of a stub key (scenario, state...); NULL after an error. */
static char *to_name(struct loader *ld, const struct node *k, const struct node *v)
{
	if (v->type != NODE_SCALAR || (v->plain && v->len == 0)) {
		err(ld, v, "'%s' must be a string, got %s", k->text, got(ld, v));
		return NULL;
	}
	if (v->len == 0 || strlen(v->text) != v->len) {
		err(ld, v, "'%s' must be a non-empty string", k->text);
		return NULL;
	}
	return xstrdup(v->text);
}

static void to_responses(struct loader *ld, const struct node *v, struct stub *s, bool tpl)
{
	if (v->type != NODE_SEQUENCE || v->n == 0) {
		err(ld, v, "'responses' must be a non-empty list of responses, got %s",
		    v->type == NODE_SEQUENCE ? "an empty list" : got(ld, v));
		return;
	}
	s->responses = xcalloc(v->n, sizeof(*s->responses));
	s->responses[0] = &s->resp;
	for (size_t i = 1; i < v->n; i++) {
		s->responses[i] = xcalloc(1, sizeof(**s->responses));
		s->responses[i]->status = 200;
	}
	s->nresponses = v->n;
	for (size_t i = 0; i < v->n; i++) {
		const struct node *it = v->kids[i];
		if (is_null(it))
			continue;
		if (it->type != NODE_MAPPING)
			err(ld, it, "each item of 'responses' must be a mapping (a response), got %s", got(ld, it));
		else
			to_response(ld, it, s->responses[i], tpl);
	}
}

static bool stub_uses_seq(const struct stub *s)
{
	for (size_t i = 0; i < stub_response_count(s); i++) {
		const struct stub_response *r = stub_response_at(s, i);
		if (tpl_uses_seq(r->body_tpl))
			return true;
		for (size_t j = 0; j < r->nheaders; j++)
			if (tpl_uses_seq(r->headers[j].tpl))
				return true;
	}
	return false;
}

static void free_id_loc(void *p)
{
	struct id_loc *loc = p;
	free(loc->file);
	free(loc);
}

static void register_id(struct loader *ld, const char *id, const struct node *at, const struct node *stub)
{
	const struct id_loc *first = hmap_get(&ld->ids, id);
	if (first) {
		err(ld, at, "duplicate stub id %s (first defined at %s:%d:%d)", shown_str(ld, id), first->file,
		    first->line, first->col);
		return;
	}
	struct id_loc *loc = xcalloc(1, sizeof(*loc));
	loc->file = xstrdup(ld->file);
	loc->line = stub->line;
	loc->col = stub->col;
	hmap_put(&ld->ids, id, loc);
}

static void convert_stub(struct loader *ld, const struct node *map)
{
	size_t index = ld->index++;
	size_t before = nerrors(ld);
	struct stub *s = xcalloc(1, sizeof(*s));
	const struct node *name_node = NULL;
	const struct node *at[SK_SEQUENCE + 1] = { NULL };
	unsigned seen = 0;
	bool tpl = true;

	s->line = map->line;
	s->col = map->col;
	s->priority = 100;
	s->req.path_kind = PATH_NONE;
	s->resp.status = 200;
	/* template: changes how the response is read, so it counts wherever it is written */
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (map->kids[i]->type == NODE_SCALAR && strcmp(map->kids[i]->text, "template") == 0 &&
		    scalar_bool(map->kids[i + 1]) >= 0)
			tpl = scalar_bool(map->kids[i + 1]) == 1;

	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct node *k = map->kids[i], *v = map->kids[i + 1];
		if (!key_ok(ld, k))
			continue;
		int ki = lookup_key(ld, k, stub_keys, NULL, "stub");
		if (ki < 0)
			continue;
		if (!first_time(ld, &seen, ki, k, "stub"))
			continue;
		at[ki] = k;
		if ((ki == SK_RESPONSE && at[SK_RESPONSES]) || (ki == SK_RESPONSES && at[SK_RESPONSE])) {
			err(ld, k, "a stub has either 'response' or 'responses' (a list), not both");
			continue;
		}
		switch (ki) {
		case SK_NAME:
			if (v->type != NODE_SCALAR || (v->plain && v->len == 0))
				err(ld, v, "'name' must be a string, got %s", got(ld, v));
			else if (v->len == 0)
				err(ld, v, "'name' must not be empty");
			else {
				s->name = xstrdup(v->text);
				name_node = v;
			}
			break;
		case SK_PRIORITY: {
			long long p;
			if (!scalar_int(v, INT_MIN, INT_MAX, &p))
				err(ld, v, "'priority' must be an integer, got %s", got(ld, v));
			else
				s->priority = (int)p;
			break;
		}
		case SK_REQUEST:
			if (is_null(v))
				break;
			if (v->type != NODE_MAPPING)
				err(ld, v, "'request' must be a mapping, got %s", got(ld, v));
			else
				to_request(ld, v, &s->req);
			break;
		case SK_RESPONSE:
			if (is_null(v))
				break;
			if (v->type != NODE_MAPPING)
				err(ld, v, "'response' must be a mapping, got %s", got(ld, v));
			else
				to_response(ld, v, &s->resp, tpl);
			break;
		case SK_TEMPLATE:
			if (scalar_bool(v) < 0)
				err(ld, v, "'template' must be true or false, got %s", got(ld, v));
			break;
		case SK_RESPONSES:
			to_responses(ld, v, s, tpl);
			break;
		case SK_SCENARIO:
			s->scenario = to_name(ld, k, v);
			break;
		case SK_STATE:
			s->state = to_name(ld, k, v);
			break;
		case SK_NEXT_STATE:
			s->next_state = to_name(ld, k, v);
			break;
		case SK_SEQUENCE: {
			static const char *const modes[] = { "repeat_last", "cycle", NULL };
			int mode = v->type == NODE_SCALAR ? key_index(v, modes) : -1;
			const char *hint = v->type == NODE_SCALAR ? diag_suggest(v->text, modes) : NULL;
			if (mode >= 0)
				s->sequence = mode == 1 ? SEQUENCE_CYCLE : SEQUENCE_REPEAT_LAST;
			else if (hint)
				err(ld, v, "'sequence' must be repeat_last or cycle, got %s (did you mean '%s'?)", got(ld, v),
				    hint);
			else
				err(ld, v, "'sequence' must be repeat_last or cycle, got %s", got(ld, v));
			break;
		}
		}
	}
	if (at[SK_SEQUENCE] && !at[SK_RESPONSES])
		err(ld, at[SK_SEQUENCE], "'sequence' needs 'responses' (a list of responses to go through)");
	if (at[SK_STATE] && !at[SK_SCENARIO])
		err(ld, at[SK_STATE], "'state' needs 'scenario' (the scenario whose state it names)");
	if (at[SK_NEXT_STATE] && !at[SK_SCENARIO])
		err(ld, at[SK_NEXT_STATE], "'next_state' needs 'scenario' (the scenario whose state it sets)");
	if (!s->nresponses) {
		s->responses = xcalloc(1, sizeof(*s->responses));
		s->responses[0] = &s->resp;
		s->nresponses = 1;
	}
	s->counts_hits = s->nresponses > 1 || s->next_state || stub_uses_seq(s);
	/* `state:` is a condition like a header: it counts toward "more conditions win" */
	s->nconds = (unsigned)(s->req.nquery + s->req.nheaders + s->req.ncookies) +
		    (s->req.body.kind != BODY_NONE ? 1u : 0u) + (s->state ? 1u : 0u);

	struct strbuf id = STRBUF_INIT;
	if (s->name)
		strbuf_adds(&id, s->name);
	else if (ld->runtime)
		strbuf_addf(&id, "runtime-%zu", index);
	else
		strbuf_addf(&id, "%s#%zu", ld->relpath, index);
	size_t idlen;
	char *idbuf = strbuf_detach(&id, &idlen);
	/* shrink strbuf's 128-byte minimum to the id's size: 1.3 MB at 10,000 stubs */
	s->id = xrealloc(idbuf, idlen + 1);
	register_id(ld, s->id, name_node ? name_node : map, map);

	if (nerrors(ld) != before) {
		stub_destroy(s);
		return;
	}
	s->file = ld->stub_file ? xstrdup(ld->stub_file) : NULL;
	s->order = ld->res->n;
	ld->res->stubs = grow_pow2(ld->res->stubs, ld->res->n, sizeof(*ld->res->stubs));
	ld->res->stubs[ld->res->n++] = s;
}

static void convert_matcher(struct loader *ld, const struct node *root);

static void convert_doc(struct loader *ld, const struct node *root)
{
	if (ld->matcher_mode) {
		convert_matcher(ld, root);
		return;
	}
	if (!root || is_null(root))
		return;
	if (root->type == NODE_MAPPING) {
		convert_stub(ld, root);
	} else if (root->type == NODE_SEQUENCE) {
		for (size_t i = 0; i < root->n; i++) {
			const struct node *it = root->kids[i];
			if (it->type == NODE_MAPPING) {
				convert_stub(ld, it);
			} else {
				ld->index++;
				err(ld, it, "a stub must be a mapping, got %s", got(ld, it));
			}
		}
	} else {
		err(ld, root, "a stub file must hold a stub (a mapping) or a list of stubs, got %s", got(ld, root));
	}
}

/* ---- libyaml events to nodes, one document at a time ---- */

struct builder {
	struct loader *ld;
	struct node **all;                    /* every node of the document, for freeing */
	size_t nall;
	struct node *root;
	struct node *stack[LOAD_MAX_DEPTH];   /* open collections */
	size_t depth;
	struct hmap anchors;                  /* anchor name -> node */
	size_t total;                         /* nodes so far, aliases expanded */
	size_t alias_bytes;                   /* scalar text repeated by aliases so far */
	bool failed;                          /* the file cannot be read further */
};

static void builder_reset(struct builder *b)
{
	for (size_t i = 0; i < b->nall; i++) {
		free(b->all[i]->text);
		free(b->all[i]->kids);
		free(b->all[i]);
	}
	free(b->all);
	b->all = NULL;
	b->nall = 0;
	b->root = NULL;
	b->depth = 0;
	b->total = 0;
	b->alias_bytes = 0;
	hmap_release(&b->anchors, NULL);
}

static void fail(struct builder *b, const yaml_mark_t *m, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fail(struct builder *b, const yaml_mark_t *m, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	diag_add(b->ld->diags, b->ld->file, (int)m->line + 1, (int)m->column + 1, "%s", strbuf_str(&sb));
	strbuf_release(&sb);
	b->failed = true;
}

static bool count_nodes(struct builder *b, size_t weight, const yaml_mark_t *m)
{
	b->total = sat_add(b->total, weight);
	if (b->total <= LOAD_MAX_NODES)
		return true;
	fail(b, m, "document too large: more than %d nodes once aliases are expanded", LOAD_MAX_NODES);
	return false;
}

static struct node *node_new(struct builder *b, enum node_type type, const yaml_mark_t *m, const yaml_char_t *anchor)
{
	struct node *n = xcalloc(1, sizeof(*n));
	n->type = type;
	n->line = (int)m->line + 1;
	n->col = (int)m->column + 1;
	n->weight = 1;
	b->all = grow_pow2(b->all, b->nall, sizeof(*b->all));
	b->all[b->nall++] = n;
	if (anchor)
		hmap_put(&b->anchors, (const char *)anchor, n);
	return n;
}

static void attach(struct builder *b, struct node *n)
{
	if (!b->depth) {
		b->root = n;
		return;
	}
	struct node *p = b->stack[b->depth - 1];
	p->kids = grow_pow2(p->kids, p->n, sizeof(*p->kids));
	p->kids[p->n++] = n;
	if (!n->open) {
		p->weight = sat_add(p->weight, n->weight);
		p->bytes = sat_add(p->bytes, n->bytes);
		if (n->height + 1 > p->height)
			p->height = n->height + 1;
	}
}

static void on_alias(struct builder *b, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "*%s", name);
	const char *q = shown(b->ld, sb.buf, sb.len);
	strbuf_release(&sb);
	struct node *t = hmap_get(&b->anchors, name);
	if (!t)
		fail(b, &ev->start_mark, "unknown alias %s", q);
	else if (t->open)
		fail(b, &ev->start_mark, "alias %s refers to itself", q);
	else if (b->depth + t->height > LOAD_MAX_DEPTH)
		fail(b, &ev->start_mark, "nesting deeper than %d levels (through alias %s)", LOAD_MAX_DEPTH, q);
	else if (!count_nodes(b, t->weight, &ev->start_mark))
		return;
	else if ((b->alias_bytes = sat_add(b->alias_bytes, t->bytes)) > LOAD_MAX_ALIAS_BYTES)
		fail(b, &ev->start_mark, "document too large: aliases repeat more than %u bytes of text",
		     LOAD_MAX_ALIAS_BYTES);
	else
		attach(b, t);
}

static void on_event(struct builder *b, const yaml_event_t *ev)
{
	const yaml_mark_t *m = &ev->start_mark;
	struct node *n;
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		builder_reset(b);
		break;
	case YAML_DOCUMENT_END_EVENT:
		convert_doc(b->ld, b->root);
		builder_reset(b);
		break;
	case YAML_SCALAR_EVENT: {
		if (!count_nodes(b, 1, m))
			break;
		const char *tag = (const char *)ev->data.scalar.tag;
		n = node_new(b, NODE_SCALAR, m, ev->data.scalar.anchor);
		n->text = xmemdup0(ev->data.scalar.value, ev->data.scalar.length);
		n->len = ev->data.scalar.length;
		n->bytes = n->len;
		switch (ev->data.scalar.style) {
		case YAML_SINGLE_QUOTED_SCALAR_STYLE: n->style = '\''; break;
		case YAML_DOUBLE_QUOTED_SCALAR_STYLE: n->style = '"'; break;
		case YAML_LITERAL_SCALAR_STYLE: n->style = '|'; break;
		case YAML_FOLDED_SCALAR_STYLE: n->style = '>'; break;
		default: n->style = 'p'; break;
		}
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
			   !(tag && (strcmp(tag, "!") == 0 || strcmp(tag, YAML_STR_TAG) == 0));
		attach(b, n);
		break;
	}
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (b->depth >= LOAD_MAX_DEPTH) {
			fail(b, m, "nesting deeper than %d levels", LOAD_MAX_DEPTH);
			break;
		}
		if (!count_nodes(b, 1, m))
			break;
		n = node_new(b, ev->type == YAML_SEQUENCE_START_EVENT ? NODE_SEQUENCE : NODE_MAPPING, m,
			     ev->type == YAML_SEQUENCE_START_EVENT ? ev->data.sequence_start.anchor
								   : ev->data.mapping_start.anchor);
		n->open = true;
		n->height = 1;
		attach(b, n);
		b->stack[b->depth++] = n;
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (!b->depth)
			break;
		n = b->stack[--b->depth];
		n->open = false;
		if (b->depth) {
			struct node *p = b->stack[b->depth - 1];
			p->weight = sat_add(p->weight, n->weight);
			p->bytes = sat_add(p->bytes, n->bytes);
			if (n->height + 1 > p->height)
				p->height = n->height + 1;
		}
		break;
	case YAML_ALIAS_EVENT:
		on_alias(b, ev);
		break;
	default:
		break;
	}
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

static void load_text(struct loader *ld, const unsigned char *buf, size_t len)
{
	yaml_parser_t parser;
	struct builder b;
	memset(&b, 0, sizeof(b));
	b.ld = ld;
	ld->index = 0;
	if (!yaml_parser_initialize(&parser))
		die_oom();
	yaml_parser_set_input_string(&parser, buf, len);
	ld->src = buf;
	ld->srclen = len;
	while (!b.failed) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			yaml_mark_t m = parser.problem_mark;
			if (parser.error == YAML_MEMORY_ERROR)
				die_oom();
			if (parser.error == YAML_READER_ERROR)
				offset_mark(buf, len, parser.problem_offset, &m);
			fail(&b, &m, "yaml syntax: %s", parser.problem ? parser.problem : "cannot parse");
			break;
		}
		bool end = ev.type == YAML_STREAM_END_EVENT;
		on_event(&b, &ev);
		yaml_event_delete(&ev);
		if (end)
			break;
	}
	builder_reset(&b);
	yaml_parser_delete(&parser);
	ld->src = NULL;
	ld->srclen = 0;
}

/* ---- files and directories ---- */

static bool has_yaml_ext(const char *name)
{
	size_t n = strlen(name);
	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) || (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

/* Stub files found by walk: relative paths and stat() results, side by side. */
struct filevec {
	struct stub_file *v;
	size_t n;
};

static void filevec_push(struct filevec *fv, char *rel, const struct stat *st)
{
	fv->v = grow_pow2(fv->v, fv->n, sizeof(*fv->v));
	fv->v[fv->n].rel = rel;
	fv->v[fv->n].st = *st;
	fv->n++;
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct stub_file *)a)->rel, ((const struct stub_file *)b)->rel);
}

/* Collects the relative paths of stub files under top/rel, with their stat(). Symlinked
 * directories are not followed (no loops); symlinked files are. */
static void walk(struct diag_list *diags, const char *top, const char *rel, struct filevec *out)
{
	char *dir = rel ? path_join(top, rel) : xstrdup(top);
	DIR *d = opendir(dir);
	if (!d) {
		diag_add(diags, dir, 0, 0, "cannot open directory: %s", strerror(errno));
		free(dir);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *child = rel ? path_join(rel, de->d_name) : xstrdup(de->d_name);
		char *full = path_join(top, child);
		struct stat st;
		/* relative to the open directory: no path lookup from the top for each file */
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			free(child);
		} else if (S_ISDIR(st.st_mode)) {
			walk(diags, top, child, out);
			free(child);
		} else if (!has_yaml_ext(de->d_name)) {
			free(child);
		} else if (S_ISREG(st.st_mode)) {
			filevec_push(out, child, &st);
		} else if (S_ISLNK(st.st_mode)) {
			if (fstatat(dirfd(d), de->d_name, &st, 0) != 0) {
				diag_add(diags, full, 0, 0, "cannot read file: %s", strerror(errno));
				free(child);
			} else if (S_ISREG(st.st_mode)) {
				filevec_push(out, child, &st);
			} else {
				free(child);
			}
		} else {
			free(child);
		}
		free(full);
	}
	closedir(d);
	free(dir);
}

static void load_file(struct loader *ld, const char *top, const char *rel)
{
	char *file = path_join(top, rel);
	char *slash = strrchr(file, '/');
	char *dir = slash == file ? xstrdup("/") : xstrndup(file, (size_t)(slash - file));
	char *buf = NULL;
	size_t len = 0;
	ld->file = file;
	ld->stub_file = file;
	ld->relpath = rel;
	ld->runtime = false;
	ld->file_dir = dir;
	add_path(ld->res, file);
	int rc = read_all(file, &buf, &len);
	if (rc < 0)
		diag_add(ld->diags, file, 0, 0, "cannot read file: %s", strerror(-rc));
	else
		load_text(ld, (const unsigned char *)buf, len);
	free(buf);
	free(dir);
	free(file);
	ld->file = ld->stub_file = ld->relpath = ld->file_dir = NULL;
}

void load_result_release(struct load_result *res)
{
	for (size_t i = 0; i < res->n; i++)
		stub_destroy(res->stubs[i]);
	free(res->stubs);
	for (size_t i = 0; i < res->npaths; i++)
		free(res->paths[i]);
	free(res->paths);
	memset(res, 0, sizeof(*res));
}

static int finish(struct loader *ld, size_t before)
{
	hmap_release(&ld->ids, free_id_loc);
	if (nerrors(ld) == before)
		return 0;
	load_result_release(ld->res);
	return -1;
}

int stub_load_dirs(const char *const *dirs, size_t ndirs, struct load_result *out, struct diag_list *diags)
{
	struct loader ld;
	memset(&ld, 0, sizeof(ld));
	memset(out, 0, sizeof(*out));
	ld.diags = diags;
	ld.res = out;
	size_t before = nerrors(&ld);
	for (size_t i = 0; i < ndirs; i++) {
		/* FILE is DIR as typed, minus trailing slashes ("/" stays "/") */
		size_t n = strlen(dirs[i]);
		while (n > 1 && dirs[i][n - 1] == '/')
			n--;
		char *top = xstrndup(dirs[i], n);
		char *real = realpath(top, NULL);
		struct stub_file *files = NULL;
		size_t nfiles = stub_load_list(top, &files, diags);
		ld.root_shown = top;
		ld.root_real = real;
		for (size_t j = 0; j < nfiles; j++)
			load_file(&ld, top, files[j].rel);
		stub_files_release(files, nfiles);
		free(real);
		free(top);
	}
	return finish(&ld, before);
}

size_t stub_load_list(const char *top, struct stub_file **out, struct diag_list *diags)
{
	struct filevec files = { 0 };
	walk(diags, top, NULL, &files);
	if (files.n)
		qsort(files.v, files.n, sizeof(*files.v), cmp_file);
	*out = files.v;
	return files.n;
}

void stub_files_release(struct stub_file *files, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(files[i].rel);
	free(files);
}

int stub_load_file(const char *top, const char *root_real, const char *rel, struct load_result *out,
		   struct diag_list *diags)
{
	struct loader ld;
	memset(&ld, 0, sizeof(ld));
	memset(out, 0, sizeof(*out));
	ld.diags = diags;
	ld.res = out;
	size_t before = nerrors(&ld);
	ld.root_shown = top;
	ld.root_real = root_real;
	load_file(&ld, top, rel);
	return finish(&ld, before);
}

int stub_load_string(const char *text, size_t len, const char *label, const char *base_dir,
		     bool runtime, struct load_result *out, struct diag_list *diags)
{
	struct loader ld;
	memset(&ld, 0, sizeof(ld));
	memset(out, 0, sizeof(*out));
	ld.diags = diags;
	ld.res = out;
	size_t before = nerrors(&ld);
	char *real = base_dir ? realpath(base_dir, NULL) : NULL;
	ld.file = label ? label : "<input>";
	ld.stub_file = runtime ? NULL : ld.file;
	ld.relpath = ld.file;
	ld.runtime = runtime;
	ld.file_dir = base_dir;
	ld.root_shown = base_dir;
	ld.root_real = real;
	load_text(&ld, (const unsigned char *)(text ? text : ""), text ? len : 0);
	free(real);
	return finish(&ld, before);
}

/* ---- request matchers (journal count, verify and wait) ---- */

/* The value of the `request` key of a mapping, or NULL. */
static const struct node *member(const struct node *map, const char *key)
{
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (map->kids[i]->type == NODE_SCALAR && strcmp(map->kids[i]->text, key) == 0)
			return map->kids[i + 1];
	return NULL;
}

static void convert_matcher(struct loader *ld, const struct node *root)
{
	const struct node *v = root;
	if (ld->docs++) {
		err(ld, root, "expected one document, got several");
		return;
	}
	if (ld->matcher_member) {
		if (!root || root->type != NODE_MAPPING) {
			err(ld, root, "expected a mapping with '%s', got %s", ld->matcher_member,
			    root ? got(ld, root) : "nothing");
			return;
		}
		v = member(root, ld->matcher_member);
		if (!v) {
			err(ld, root, "missing '%s' (a request matcher, as in a stub)", ld->matcher_member);
			return;
		}
	} else if (root && root->type == NODE_MAPPING && root->n == 2 && member(root, "request")) {
		v = member(root, "request");
	}
	struct stub *s = xcalloc(1, sizeof(*s));
	s->id = xstrdup("matcher");
	s->priority = 100;
	s->req.path_kind = PATH_NONE;
	s->line = v ? v->line : 1;
	s->col = v ? v->col : 1;
	if (v && !is_null(v)) {
		if (v->type != NODE_MAPPING)
			err(ld, v, "a request matcher must be a mapping, got %s", got(ld, v));
		else
			to_request(ld, v, &s->req);
	}
	s->nconds = (unsigned)(s->req.nquery + s->req.nheaders + s->req.ncookies) +
		    (s->req.body.kind != BODY_NONE ? 1u : 0u);
	ld->matcher = s;
}

int stub_load_matcher(const char *text, size_t len, const char *label, const char *member_key,
		      struct stub **out, struct diag_list *diags)
{
	struct loader ld;
	struct load_result res;
	memset(&ld, 0, sizeof(ld));
	memset(&res, 0, sizeof(res));
	ld.diags = diags;
	ld.res = &res;
	ld.file = label ? label : "<input>";
	ld.relpath = ld.file;
	ld.runtime = true;
	ld.matcher_mode = true;
	ld.matcher_member = member_key;
	size_t before = nerrors(&ld);
	load_text(&ld, (const unsigned char *)(text ? text : ""), text ? len : 0);
	if (!ld.docs && nerrors(&ld) == before)
		convert_matcher(&ld, NULL);
	finish(&ld, before);
	if (nerrors(&ld) != before) {
		stub_destroy(ld.matcher);
		*out = NULL;
		return -1;
	}
	*out = ld.matcher;
	return 0;
}
