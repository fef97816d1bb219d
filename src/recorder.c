/* SPDX-License-Identifier: MIT */
/* Exchanges to stub files: each becomes a small YAML tree (request matcher, response,
 * `template: false`) that libyaml's emitter writes; a file is written to a temporary name,
 * fsynced and renamed (or linked) into place. The only file that uses libyaml's emitter. */
#include "recorder.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "util/strbuf.h"
#include "util/utf8.h"
#include "util/xalloc.h"

/* Temporary files start with '.', so that neither the loader nor the watcher looks at them. */
#define TMP_PREFIX ".cannery-tmp-"
/* JSON deeper or larger than this is recorded as text: the loader bounds nesting at 64
 * levels (the stub's own mappings take up to four) and documents at a million nodes. */
#define JSON_MAX_DEPTH 48
#define JSON_MAX_NODES 200000
#define SLUG_MAX 80
/* Nesting read back from a stub file, as the loader bounds it. */
#define PARSE_MAX_DEPTH 64
/* How many numbered names (NAME-2, NAME-3, ...) are tried before giving up: a bound, so
 * that a directory we cannot even look into fails instead of looping. */
#define MAX_NAME_TRIES 10000

/* ---- a small YAML tree ---- */

enum ytype { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
	enum ytype type;
	char *text;                 /* scalar, NUL-terminated */
	size_t len;
	yaml_scalar_style_t style;  /* as parsed, or what the emitter should prefer */
	bool plain_implicit;        /* a plain scalar reads back as the same string */
	bool quoted_implicit;
	char *tag;                  /* as parsed; NULL for ours */
	struct ynode **kids;        /* sequence items; mapping keys and values alternating */
	size_t n;
};

static void ynode_free(struct ynode *y)
{
	if (!y)
		return;
	for (size_t i = 0; i < y->n; i++)
		ynode_free(y->kids[i]);
	free(y->kids);
	free(y->text);
	free(y->tag);
	free(y);
}

static struct ynode *ynode_new(enum ytype type)
{
	struct ynode *y = xcalloc(1, sizeof(*y));
	y->type = type;
	return y;
}

static void yadd(struct ynode *parent, struct ynode *kid)
{
	parent->kids = xrealloc(parent->kids, (parent->n + 1) * sizeof(*parent->kids));
	parent->kids[parent->n++] = kid;
}

/* Text the loader reads back as a string even without quotes: it starts with a letter,
 * '/' or '_' and is none of the words YAML schemas turn into null or booleans. */
static bool plain_is_string(const char *s, size_t len)
{
	static const char *const words[] = { "null", "true", "false", "yes", "no", "on", "off", "y", "n" };
	if (len == 0)
		return false;
	char c = s[0];
	if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '/' || c == '_'))
		return false;
	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++)
		if (strlen(words[i]) == len && strncasecmp(s, words[i], len) == 0)
			return false;
	return true;
}

/* A string, quoted when a plain scalar would read back as something else, and in a
 * literal block when it spans lines (double-quoted when it holds breaks a block would
 * normalise). */
static struct ynode *ystr(const char *s, size_t len)
{
	struct ynode *y = ynode_new(Y_SCALAR);
	y->text = xmemdup0(s, len);
	y->len = len;
	y->plain_implicit = plain_is_string(s, len);
	y->quoted_implicit = true;
	y->style = YAML_ANY_SCALAR_STYLE;
	bool nl = memchr(s, '\n', len) != NULL;
	bool odd_break = memchr(s, '\r', len) != NULL;
	for (size_t i = 0; i + 1 < len && !odd_break; i++)
		if ((unsigned char)s[i] == 0xC2 && (unsigned char)s[i + 1] == 0x85)
			odd_break = true;
	if (odd_break)
		y->style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	else if (nl)
		y->style = YAML_LITERAL_SCALAR_STYLE;
	return y;
}

static struct ynode *ystrz(const char *s)
{
	return ystr(s, strlen(s));
}

/* A plain scalar that the loader types: a number, true, false or null. */
static struct ynode *ytyped(const char *s, size_t len)
{
	struct ynode *y = ynode_new(Y_SCALAR);
	y->text = xmemdup0(s, len);
	y->len = len;
	y->plain_implicit = true;
	y->style = YAML_PLAIN_SCALAR_STYLE;
	return y;
}

static void yput(struct ynode *map, const char *key, struct ynode *value)
{
	yadd(map, ystrz(key));
	yadd(map, value);
}

static struct ynode *yget(const struct ynode *map, const char *key)
{
	if (!map || map->type != Y_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (map->kids[i]->type == Y_SCALAR && strcmp(map->kids[i]->text, key) == 0)
			return map->kids[i + 1];
	return NULL;
}

/* ---- the canonical form of a tree: what identifies a recorded request ---- */

static bool scalar_is_typed(const struct ynode *y)
{
	bool plain = y->style == YAML_PLAIN_SCALAR_STYLE || (y->style == YAML_ANY_SCALAR_STYLE && y->plain_implicit);
	return plain && !y->tag && !plain_is_string(y->text, y->len);
}

/* Independent of quoting and layout: two trees that load as the same request have the
 * same canonical text. */
static void canon(const struct ynode *y, struct strbuf *out)
{
	switch (y->type) {
	case Y_SCALAR:
		strbuf_addf(out, "%c%zu:", scalar_is_typed(y) ? 'T' : 'S', y->len);
		strbuf_add(out, y->text, y->len);
		break;
	case Y_SEQ:
	case Y_MAP:
		strbuf_addf(out, "%c%zu[", y->type == Y_SEQ ? 'L' : 'M', y->n);
		for (size_t i = 0; i < y->n; i++)
			canon(y->kids[i], out);
		strbuf_addc(out, ']');
		break;
	}
}

static uint64_t fnv1a(const char *s, size_t len)
{
	uint64_t h = 14695981039346656037u;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211u;
	}
	return h;
}

/* ---- emitting ---- */

static int on_write(void *data, unsigned char *buffer, size_t size)
{
	strbuf_add(data, buffer, size);
	return 1;
}

static bool emit_node(yaml_emitter_t *e, const struct ynode *y)
{
	yaml_event_t ev;
	int ok = 0;
	switch (y->type) {
	case Y_SCALAR:
		ok = yaml_scalar_event_initialize(&ev, NULL, (yaml_char_t *)y->tag, (yaml_char_t *)y->text, (int)y->len,
						  y->plain_implicit, y->quoted_implicit, y->style);
		return ok && yaml_emitter_emit(e, &ev);
	case Y_SEQ:
		ok = yaml_sequence_start_event_initialize(&ev, NULL, (yaml_char_t *)y->tag, !y->tag,
							  YAML_BLOCK_SEQUENCE_STYLE);
		if (!ok || !yaml_emitter_emit(e, &ev))
			return false;
		for (size_t i = 0; i < y->n; i++)
			if (!emit_node(e, y->kids[i]))
				return false;
		return yaml_sequence_end_event_initialize(&ev) && yaml_emitter_emit(e, &ev);
	case Y_MAP:
		ok = yaml_mapping_start_event_initialize(&ev, NULL, (yaml_char_t *)y->tag, !y->tag,
							 YAML_BLOCK_MAPPING_STYLE);
		if (!ok || !yaml_emitter_emit(e, &ev))
			return false;
		for (size_t i = 0; i < y->n; i++)
			if (!emit_node(e, y->kids[i]))
				return false;
		return yaml_mapping_end_event_initialize(&ev) && yaml_emitter_emit(e, &ev);
	}
	return false;
}

/* The tree as one YAML document, or NULL when libyaml refused it. Caller frees. */
static char *emit_doc(const struct ynode *root)
{
	yaml_emitter_t e;
	yaml_event_t ev;
	struct strbuf sb = STRBUF_INIT;
	if (!yaml_emitter_initialize(&e)) {
		fputs("cannery: out of memory\n", stderr);
		abort();
	}
	yaml_emitter_set_output(&e, on_write, &sb);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_width(&e, -1);
	yaml_emitter_set_indent(&e, 2);
	bool ok = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) && yaml_emitter_emit(&e, &ev) &&
		  yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) && yaml_emitter_emit(&e, &ev) &&
		  emit_node(&e, root) && yaml_document_end_event_initialize(&ev, 1) && yaml_emitter_emit(&e, &ev) &&
		  yaml_stream_end_event_initialize(&ev) && yaml_emitter_emit(&e, &ev) && yaml_emitter_flush(&e);
	yaml_emitter_delete(&e);
	if (!ok) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb, NULL);
}

/* ---- parsing a stub file back (ours: one document, no anchors or aliases) ---- */

static struct ynode *parse_doc(const char *text, size_t len)
{
	yaml_parser_t parser;
	struct ynode *stack[PARSE_MAX_DEPTH], *root = NULL;
	size_t depth = 0;
	unsigned docs = 0;
	bool bad = false;
	if (!yaml_parser_initialize(&parser)) {
		fputs("cannery: out of memory\n", stderr);
		abort();
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			bad = true;
			break;
		}
		bool end = ev.type == YAML_STREAM_END_EVENT;
		struct ynode *y = NULL;
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1)
				bad = true;
			break;
		case YAML_ALIAS_EVENT:
			bad = true;
			break;
		case YAML_SCALAR_EVENT:
			if (ev.data.scalar.anchor) {
				bad = true;
				break;
			}
			y = ynode_new(Y_SCALAR);
			y->text = xmemdup0(ev.data.scalar.value, ev.data.scalar.length);
			y->len = ev.data.scalar.length;
			y->style = ev.data.scalar.style;
			y->plain_implicit = ev.data.scalar.plain_implicit;
			y->quoted_implicit = ev.data.scalar.quoted_implicit;
			if (ev.data.scalar.tag)
				y->tag = xstrdup((const char *)ev.data.scalar.tag);
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT: {
			const yaml_char_t *anchor = ev.type == YAML_SEQUENCE_START_EVENT ? ev.data.sequence_start.anchor
											  : ev.data.mapping_start.anchor;
			const yaml_char_t *tag = ev.type == YAML_SEQUENCE_START_EVENT ? ev.data.sequence_start.tag
										       : ev.data.mapping_start.tag;
			if (anchor || depth == PARSE_MAX_DEPTH) {
				bad = true;
				break;
			}
			y = ynode_new(ev.type == YAML_SEQUENCE_START_EVENT ? Y_SEQ : Y_MAP);
			if (tag)
				y->tag = xstrdup((const char *)tag);
			break;
		}
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth)
				depth--;
			break;
		default:
			break;
		}
		if (y) {
			if (depth)
				yadd(stack[depth - 1], y);
			else if (!root)
				root = y;
			else {
				ynode_free(y);
				bad = true;
			}
			if (y->type != Y_SCALAR)
				stack[depth++] = y;
		}
		yaml_event_delete(&ev);
		if (end || bad)
			break;
	}
	yaml_parser_delete(&parser);
	if (bad || !root || root->type != Y_MAP) {
		ynode_free(root);
		return NULL;
	}
	return root;
}

/* ---- JSON bodies to trees, keeping key order and number text ---- */

struct jparse {
	const char *p, *end;
	unsigned depth;
	size_t nodes;
};

/* Valid UTF-8 without NUL: text a stub file can hold as a string. */
static bool is_text(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	while (p < end) {
		if (*p == 0)
			return false;
		size_t n = utf8_seq(p, (size_t)(end - p));
		if (!n)
			return false;
		p += n;
	}
	return true;
}

static void skip_ws(struct jparse *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static void add_utf8(struct strbuf *sb, uint32_t cp)
{
	char b[4];
	size_t n;
	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		b[0] = (char)(0xF0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	strbuf_add(sb, b, n);
}

static bool hex4(struct jparse *j, uint32_t *out)
{
	uint32_t v = 0;
	if (j->end - j->p < 4)
		return false;
	for (int i = 0; i < 4; i++) {
		char c = *j->p++;
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return false;
	}
	*out = v;
	return true;
}

/* A JSON string (at its opening quote) into sb; false when it is malformed or holds what
 * a stub file cannot (NUL, lone surrogates). */
static bool j_string(struct jparse *j, struct strbuf *sb)
{
	j->p++;
	while (j->p < j->end) {
		unsigned char c = (unsigned char)*j->p;
		if (c == '"') {
			j->p++;
			if (!sb->buf)
				strbuf_add(sb, "", 0);
			return true;
		}
		if (c < 0x20)
			return false;
		if (c != '\\') {
			size_t n = utf8_seq((const unsigned char *)j->p, (size_t)(j->end - j->p));
			if (!n)
				return false;
			strbuf_add(sb, j->p, n);
			j->p += n;
			continue;
		}
		if (++j->p >= j->end)
			return false;
		char e = *j->p++;
		uint32_t cp;
		switch (e) {
		case '"': strbuf_addc(sb, '"'); break;
		case '\\': strbuf_addc(sb, '\\'); break;
		case '/': strbuf_addc(sb, '/'); break;
		case 'b': strbuf_addc(sb, '\b'); break;
		case 'f': strbuf_addc(sb, '\f'); break;
		case 'n': strbuf_addc(sb, '\n'); break;
		case 'r': strbuf_addc(sb, '\r'); break;
		case 't': strbuf_addc(sb, '\t'); break;
		case 'u':
			if (!hex4(j, &cp) || cp == 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
				return false;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				uint32_t lo;
				if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u')
					return false;
				j->p += 2;
				if (!hex4(j, &lo) || lo < 0xDC00 || lo > 0xDFFF)
					return false;
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			}
			add_utf8(sb, cp);
			break;
		default:
			return false;
		}
	}
	return false;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static struct ynode *j_number(struct jparse *j)
{
	const char *start = j->p;
	bool frac = false;
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p >= j->end || !is_digit(*j->p))
		return NULL;
	if (*j->p == '0')
		j->p++;
	else
		while (j->p < j->end && is_digit(*j->p))
			j->p++;
	if (j->p < j->end && *j->p == '.') {
		frac = true;
		j->p++;
		if (j->p >= j->end || !is_digit(*j->p))
			return NULL;
		while (j->p < j->end && is_digit(*j->p))
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		frac = true;
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (j->p >= j->end || !is_digit(*j->p))
			return NULL;
		while (j->p < j->end && is_digit(*j->p))
			j->p++;
	}
	struct ynode *y = ytyped(start, (size_t)(j->p - start));
	/* the loader keeps integers digit for digit, but reads other numbers as doubles */
	if (frac && !isfinite(strtod(y->text, NULL))) {
		ynode_free(y);
		return NULL;
	}
	return y;
}

static bool word(struct jparse *j, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
		return false;
	j->p += n;
	return true;
}

static int cmp_keys(const void *a, const void *b)
{
	const struct ynode *x = *(struct ynode *const *)a, *y = *(struct ynode *const *)b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->text, y->text, n);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Duplicate keys are valid JSON but a load error in a stub: such a body stays text. */
static bool keys_unique(const struct ynode *map)
{
	size_t n = map->n / 2;
	if (n < 2)
		return true;
	struct ynode **keys = xmalloc(n * sizeof(*keys));
	for (size_t i = 0; i < n; i++)
		keys[i] = map->kids[2 * i];
	qsort(keys, n, sizeof(*keys), cmp_keys);
	bool ok = true;
	for (size_t i = 1; i < n && ok; i++)
		ok = cmp_keys(&keys[i - 1], &keys[i]) != 0;
	free(keys);
	return ok;
}

static struct ynode *j_value(struct jparse *j)
{
	skip_ws(j);
	if (j->p >= j->end || ++j->nodes > JSON_MAX_NODES)
		return NULL;
	char c = *j->p;
	if (c == '{' || c == '[') {
		if (++j->depth > JSON_MAX_DEPTH)
			return NULL;
		bool obj = c == '{';
		struct ynode *y = ynode_new(obj ? Y_MAP : Y_SEQ);
		j->p++;
		skip_ws(j);
		if (j->p < j->end && *j->p == (obj ? '}' : ']')) {
			j->p++;
			j->depth--;
			return y;
		}
		for (;;) {
			if (obj) {
				struct strbuf key = STRBUF_INIT;
				skip_ws(j);
				if (j->p >= j->end || *j->p != '"' || !j_string(j, &key)) {
					strbuf_release(&key);
					goto fail;
				}
				yadd(y, ystr(key.buf, key.len));
				strbuf_release(&key);
				skip_ws(j);
				if (j->p >= j->end || *j->p != ':')
					goto fail;
				j->p++;
			}
			struct ynode *v = j_value(j);
			if (!v)
				goto fail;
			yadd(y, v);
			skip_ws(j);
			if (j->p < j->end && *j->p == ',') {
				j->p++;
				continue;
			}
			if (j->p < j->end && *j->p == (obj ? '}' : ']')) {
				j->p++;
				break;
			}
			goto fail;
		}
		j->depth--;
		if (obj && !keys_unique(y))
			goto fail;
		return y;
fail:
		ynode_free(y);
		return NULL;
	}
	if (c == '"') {
		struct strbuf s = STRBUF_INIT;
		struct ynode *y = j_string(j, &s) ? ystr(s.buf, s.len) : NULL;
		strbuf_release(&s);
		return y;
	}
	if (c == 't' || c == 'f' || c == 'n') {
		const char *w = c == 't' ? "true" : c == 'f' ? "false" : "null";
		return word(j, w) ? ytyped(w, strlen(w)) : NULL;
	}
	return j_number(j);
}

/* The body as a tree when it is JSON a stub can hold exactly (JSON-equal), else NULL. */
static struct ynode *json_tree(const char *body, size_t len)
{
	struct jparse j = { body, body + len, 0, 0 };
	struct ynode *y = j_value(&j);
	if (!y)
		return NULL;
	skip_ws(&j);
	if (j.p != j.end) {
		ynode_free(y);
		return NULL;
	}
	return y;
}

/* ---- content types ---- */

/* The media type without parameters, lower-case, into buf. */
static const char *media_type(const char *ct, char *buf, size_t size)
{
	size_t n = 0;
	if (!ct)
		ct = "";
	while (*ct == ' ')
		ct++;
	for (; *ct && *ct != ';' && *ct != ' ' && n + 1 < size; ct++)
		buf[n++] = (char)(*ct >= 'A' && *ct <= 'Z' ? *ct - 'A' + 'a' : *ct);
	buf[n] = '\0';
	return buf;
}

static bool is_json_type(const char *ct)
{
	char mt[128];
	media_type(ct, mt, sizeof(mt));
	size_t n = strlen(mt);
	return strcmp(mt, "application/json") == 0 || strcmp(mt, "text/json") == 0 ||
	       (n > 5 && strcmp(mt + n - 5, "+json") == 0);
}

static const struct {
	const char *type, *ext;
} binary_types[] = {
	{ "image/png", "png" },
	{ "image/jpeg", "jpg" },
	{ "image/gif", "gif" },
	{ "image/webp", "webp" },
	{ "image/x-icon", "ico" },
	{ "image/vnd.microsoft.icon", "ico" },
	{ "image/avif", "avif" },
	{ "image/bmp", "bmp" },
	{ "application/pdf", "pdf" },
	{ "application/zip", "zip" },
	{ "application/gzip", "gz" },
	{ "application/wasm", "wasm" },
	{ "application/octet-stream", "bin" },
	{ "application/protobuf", "bin" },
	{ "application/x-protobuf", "bin" },
	{ "font/woff", "woff" },
	{ "font/woff2", "woff2" },
	{ "audio/mpeg", "mp3" },
	{ "video/mp4", "mp4" },
};

const char *recorder_extension(const char *content_type)
{
	char mt[128];
	media_type(content_type, mt, sizeof(mt));
	for (size_t i = 0; i < sizeof(binary_types) / sizeof(*binary_types); i++)
		if (strcmp(mt, binary_types[i].type) == 0)
			return binary_types[i].ext;
	/* text kept in a file (it was not valid UTF-8): an extension that is not a stub's */
	if (strncmp(mt, "text/", 5) == 0)
		return "txt";
	return "bin";
}

bool recorder_body_is_binary(const char *content_type, const char *body, size_t len)
{
	char mt[128];
	media_type(content_type, mt, sizeof(mt));
	if (!is_text(body, len))
		return true;
	if (strcmp(mt, "image/svg+xml") == 0)
		return false;
	if (strncmp(mt, "image/", 6) == 0 || strncmp(mt, "audio/", 6) == 0 || strncmp(mt, "video/", 6) == 0 ||
	    strncmp(mt, "font/", 5) == 0)
		return true;
	for (size_t i = 0; i < sizeof(binary_types) / sizeof(*binary_types); i++)
		if (strcmp(mt, binary_types[i].type) == 0)
			return true;
	return false;
}

/* ---- exchanges to trees ---- */

static const char *header_value(const struct header *h, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(h[i].name, name) == 0)
			return h[i].value;
	return NULL;
}

static bool is_token(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			continue;
		if (!strchr("!#$%&'*+-.^_`|~", c))
			return false;
	}
	return true;
}

/* Response headers that are not recorded: hop-by-hop ones, and those the replaying
 * server sets itself. */
static bool header_skipped(const char *name)
{
	static const char *const skipped[] = {
		"connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade",
		"date", "content-length", "content-encoding",
	};
	for (size_t i = 0; i < sizeof(skipped) / sizeof(*skipped); i++)
		if (strcasecmp(name, skipped[i]) == 0)
			return true;
	return strncasecmp(name, "proxy-", 6) == 0;
}

/* The value as written: secrets become "[redacted]"; a Set-Cookie keeps its cookie name
 * and attributes, so a replay still sets a cookie of that name. */
static char *recorded_value(const char *name, const char *value)
{
	static const char *const secret[] = { "authorization", "cookie", "x-api-key" };
	for (size_t i = 0; i < sizeof(secret) / sizeof(*secret); i++)
		if (strcasecmp(name, secret[i]) == 0)
			return xstrdup("[redacted]");
	if (strcasecmp(name, "set-cookie") == 0) {
		struct strbuf sb = STRBUF_INIT;
		const char *eq = strchr(value, '=');
		const char *semi = strchr(value, ';');
		if (eq && (!semi || eq < semi))
			strbuf_add(&sb, value, (size_t)(eq - value + 1));
		strbuf_adds(&sb, "[redacted]");
		if (semi)
			strbuf_adds(&sb, semi);
		return strbuf_detach(&sb, NULL);
	}
	return xstrdup(value);
}

static struct ynode *response_headers(const struct record_exchange *ex)
{
	struct ynode *map = ynode_new(Y_MAP);
	bool *done = xcalloc(ex->nheaders + 1, sizeof(*done));
	for (size_t i = 0; i < ex->nheaders; i++) {
		const struct header *h = &ex->headers[i];
		if (done[i] || header_skipped(h->name) || !is_token(h->name) || strpbrk(h->value, "\r\n"))
			continue;
		/* every line of the same name, case-insensitively, goes under the first spelling */
		struct ynode *values = ynode_new(Y_SEQ);
		for (size_t j = i; j < ex->nheaders; j++) {
			if (done[j] || strcasecmp(ex->headers[j].name, h->name) != 0 || strpbrk(ex->headers[j].value, "\r\n"))
				continue;
			done[j] = true;
			char *v = recorded_value(h->name, ex->headers[j].value);
			yadd(values, ystrz(v));
			free(v);
		}
		if (values->n == 1) {
			struct ynode *one = values->kids[0];
			values->n = 0;
			ynode_free(values);
			values = one;
		}
		yput(map, h->name, values);
	}
	free(done);
	if (!map->n) {
		ynode_free(map);
		return NULL;
	}
	return map;
}

/* How a response body is written. */
enum body_form { FORM_NONE, FORM_JSON, FORM_TEXT, FORM_FILE };

static enum body_form response_form(const struct record_exchange *ex, struct ynode **json)
{
	*json = NULL;
	if (!ex->body_len)
		return FORM_NONE;
	const char *ct = header_value(ex->headers, ex->nheaders, "content-type");
	if (is_json_type(ct) && (*json = json_tree(ex->body, ex->body_len)))
		return FORM_JSON;
	if (recorder_body_is_binary(ct, ex->body, ex->body_len))
		return FORM_FILE;
	return FORM_TEXT;
}

static struct ynode *build_response(const struct record_exchange *ex, const char *file_name)
{
	struct ynode *map = ynode_new(Y_MAP);
	char status[16];
	snprintf(status, sizeof(status), "%d", ex->status);
	yput(map, "status", ytyped(status, strlen(status)));
	struct ynode *headers = response_headers(ex);
	if (headers)
		yput(map, "headers", headers);
	struct ynode *json;
	switch (response_form(ex, &json)) {
	case FORM_JSON:
		yput(map, "json", json);
		break;
	case FORM_TEXT:
		yput(map, "body", ystr(ex->body, ex->body_len));
		break;
	case FORM_FILE:
		if (file_name)
			yput(map, "file", ystrz(file_name));
		break;
	case FORM_NONE:
		break;
	}
	return map;
}

/* A path with braces would read as a template: such a path is matched by a regex that
 * spells it out literally. */
static struct ynode *path_matcher(const char *path, const char **key)
{
	if (!strpbrk(path, "{}")) {
		*key = "path";
		return ystrz(path);
	}
	struct strbuf sb = STRBUF_INIT;
	for (const char *p = path; *p; p++) {
		unsigned char c = (unsigned char)*p;
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (c < 0x80 && !alnum && c != '/')
			strbuf_addc(&sb, '\\');
		strbuf_addc(&sb, (char)c);
	}
	*key = "path_regex";
	struct ynode *y = ystr(sb.buf, sb.len);
	strbuf_release(&sb);
	return y;
}

static struct ynode *build_request(const struct record_exchange *ex)
{
	struct ynode *map = ynode_new(Y_MAP);
	const char *path_key;
	yput(map, "method", ystrz(ex->method));
	struct ynode *path = path_matcher(ex->path, &path_key);
	yput(map, path_key, path);
	struct ynode *query = ynode_new(Y_MAP);
	for (size_t i = 0; i < ex->nquery; i++) {
		const struct kv *q = &ex->query[i];
		bool seen = false;
		/* a mapping holds a name once: a repeated parameter is matched on its first value */
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(ex->query[j].name, q->name) == 0;
		if (seen || !q->name[0] || !is_text(q->name, strlen(q->name)) || !is_text(q->value, q->len))
			continue;
		yput(query, q->name, ystr(q->value, q->len));
	}
	if (query->n)
		yput(map, "query", query);
	else
		ynode_free(query);
	if (ex->req_body_len) {
		struct ynode *json = is_json_type(ex->req_content_type) ? json_tree(ex->req_body, ex->req_body_len) : NULL;
		struct ynode *body = NULL;
		if (json) {
			body = ynode_new(Y_MAP);
			yput(body, "json", json);
		} else if (is_text(ex->req_body, ex->req_body_len)) {
			body = ynode_new(Y_MAP);
			yput(body, "equals", ystr(ex->req_body, ex->req_body_len));
		}
		/* a binary request body cannot be spelled in a stub: it is not matched */
		if (body)
			yput(map, "body", body);
	}
	return map;
}

static struct ynode *build_stub(struct ynode *request, struct ynode *response)
{
	struct ynode *root = ynode_new(Y_MAP);
	yput(root, "request", request);
	yput(root, "response", response);
	yput(root, "template", ytyped("false", 5));
	return root;
}

char *recorder_emit(const struct record_exchange *ex, const char *file_name)
{
	struct ynode *root = build_stub(build_request(ex), build_response(ex, file_name));
	char *text = emit_doc(root);
	ynode_free(root);
	return text;
}

char *recorder_slug(const char *method, const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	bool dash = false;
	for (const char *p = method; *p && sb.len < 16; p++) {
		char c = *p;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			strbuf_addc(&sb, c);
	}
	if (!sb.len)
		strbuf_adds(&sb, "request");
	size_t base = sb.len;
	for (const char *p = path; *p && sb.len < SLUG_MAX; p++) {
		char c = *p;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			if (dash || sb.len == base)
				strbuf_addc(&sb, '-');
			dash = false;
			strbuf_addc(&sb, c);
		} else {
			dash = true;
		}
	}
	if (sb.len == base)
		strbuf_adds(&sb, "-root");
	return strbuf_detach(&sb, NULL);
}

/* ---- files ---- */

struct entry {
	uint64_t hash;              /* of the canonical request */
	char *file;                 /* relative to the directory */
};

struct recorder {
	pthread_mutex_t lock;       /* serialises recorder_record; guards everything below */
	char *dir;
	int dirfd;
	enum record_mode mode;
	struct entry *entries;
	size_t n;
	unsigned tmp_seq;
};

static int read_at(int dirfd, const char *name, char **out, size_t *outlen)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	struct strbuf sb = STRBUF_INIT;
	char buf[65536];
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int err = errno;
			close(fd);
			strbuf_release(&sb);
			return -err;
		}
		if (r == 0)
			break;
		strbuf_add(&sb, buf, (size_t)r);
	}
	close(fd);
	*out = strbuf_detach(&sb, outlen);
	return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t w = write(fd, data, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		data += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Whether name is taken in the directory (anything but a clear "no" counts as taken). */
static bool exists_at(int dirfd, const char *name)
{
	return faccessat(dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT;
}

/* Writes name atomically: a temporary file in the same directory, fsynced, then renamed
 * over name (replace) or linked to it (!replace: -EEXIST when name exists), then the
 * directory fsynced. A crash leaves the old file or the new one, and at worst a temporary
 * file that the next start removes. */
static int write_atomic(struct recorder *r, const char *name, const char *data, size_t len, bool replace)
{
	char tmp[64];
	snprintf(tmp, sizeof(tmp), TMP_PREFIX "%ld-%u", (long)getpid(), r->tmp_seq++);
	int fd = openat(r->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	int rc = write_all(fd, data, len);
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0) {
		if (replace) {
			if (renameat(r->dirfd, tmp, r->dirfd, name) != 0)
				rc = -errno;
		} else if (linkat(r->dirfd, tmp, r->dirfd, name, 0) != 0) {
			rc = -errno;
			/* a file system without hard links: claim the name by checking first */
			if (rc != -EEXIST)
				rc = exists_at(r->dirfd, name) ? -EEXIST
							       : renameat(r->dirfd, tmp, r->dirfd, name) == 0 ? 0 : -errno;
		}
	}
	unlinkat(r->dirfd, tmp, 0);
	if (rc == 0 && fsync(r->dirfd) != 0)
		rc = -errno;
	return rc;
}

static bool has_yaml_ext(const char *name)
{
	size_t n = strlen(name);
	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) || (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

/* The canonical text of the request a stub file records, or NULL (with *doc NULL) when
 * it is not a file we can read back. *doc receives the parsed file (caller frees). */
static char *file_request(struct recorder *r, const char *name, struct ynode **doc)
{
	char *text = NULL;
	size_t len = 0;
	*doc = NULL;
	if (read_at(r->dirfd, name, &text, &len) < 0)
		return NULL;
	struct ynode *root = parse_doc(text, len);
	free(text);
	const struct ynode *req = yget(root, "request");
	if (!req) {
		ynode_free(root);
		return NULL;
	}
	struct strbuf sb = STRBUF_INIT;
	canon(req, &sb);
	*doc = root;
	return strbuf_detach(&sb, NULL);
}

static void add_entry(struct recorder *r, uint64_t hash, const char *file)
{
	r->entries = xrealloc(r->entries, (r->n + 1) * sizeof(*r->entries));
	r->entries[r->n].hash = hash;
	r->entries[r->n].file = xstrdup(file);
	r->n++;
}

static bool in_index(const struct recorder *r, const char *file)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->entries[i].file, file) == 0)
			return true;
	return false;
}

/* Whether the process that named a temporary file "PID-N" still runs: another recorder
 * writing into the same directory keeps its file. */
static bool writer_alive(const char *suffix)
{
	char *end;
	errno = 0;
	long pid = strtol(suffix, &end, 10);
	if (errno || end == suffix || *end != '-' || pid <= 0 || pid == (long)getpid())
		return false;
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/* Removes what a crash left behind and indexes the requests already recorded. */
static void scan(struct recorder *r)
{
	int fd = dup(r->dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0) {
			if (!writer_alive(de->d_name + strlen(TMP_PREFIX)))
				unlinkat(r->dirfd, de->d_name, 0);
			continue;
		}
		if (de->d_name[0] == '.' || !has_yaml_ext(de->d_name))
			continue;
		struct ynode *doc;
		char *key = file_request(r, de->d_name, &doc);
		if (key)
			add_entry(r, fnv1a(key, strlen(key)), de->d_name);
		free(key);
		ynode_free(doc);
	}
	closedir(d);
}

static int mkdirs(const char *dir)
{
	char *p = xstrdup(dir);
	int rc = 0;
	for (char *s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST) {
			rc = -errno;
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return rc;
}

int recorder_create(const char *dir, enum record_mode mode, struct recorder **out, char **error)
{
	struct strbuf sb = STRBUF_INIT;
	int rc = mkdirs(dir);
	int fd = rc < 0 ? -1 : open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rc < 0 || fd < 0) {
		strbuf_addf(&sb, "cannot use '%s' for recordings: %s", dir, strerror(rc < 0 ? -rc : errno));
		*error = strbuf_detach(&sb, NULL);
		return rc < 0 ? rc : -errno;
	}
	struct recorder *r = xcalloc(1, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	r->dir = xstrdup(dir);
	r->dirfd = fd;
	r->mode = mode;
	scan(r);
	*out = r;
	return 0;
}

void recorder_destroy(struct recorder *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->entries[i].file);
	free(r->entries);
	close(r->dirfd);
	pthread_mutex_destroy(&r->lock);
	free(r->dir);
	free(r);
}

/* A body file name for stem that nothing uses yet: STEM.body.EXT, or STEM.body-K.EXT for
 * the K-th response of a sequence. */
static char *body_name(struct recorder *r, const char *stem, size_t k, const char *ext)
{
	for (size_t i = k; i < k + MAX_NAME_TRIES; i++) {
		struct strbuf sb = STRBUF_INIT;
		if (i <= 1)
			strbuf_addf(&sb, "%s.body.%s", stem, ext);
		else
			strbuf_addf(&sb, "%s.body-%zu.%s", stem, i, ext);
		if (!exists_at(r->dirfd, sb.buf))
			return strbuf_detach(&sb, NULL);
		strbuf_release(&sb);
	}
	return NULL;
}

static void say(struct recorder *r, char **error, const char *what, const char *file, int rc)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "cannot %s %s/%s: %s", what, r->dir, file, strerror(-rc));
	free(*error);
	*error = strbuf_detach(&sb, NULL);
}

/* Writes the body file of a binary response, when there is one; *name gets its name. */
static int write_body_file(struct recorder *r, const struct record_exchange *ex, const char *stem, size_t k,
			   char **name, char **error)
{
	const char *ct = header_value(ex->headers, ex->nheaders, "content-type");
	*name = NULL;
	/* as response_form decides, without parsing JSON twice: a body JSON could be read
	 * from is valid UTF-8 with a JSON type, so never binary */
	if (!ex->body_len || !recorder_body_is_binary(ct, ex->body, ex->body_len))
		return 0;
	for (unsigned tries = 0;; tries++) {
		char *n = body_name(r, stem, k, recorder_extension(ct));
		if (!n || tries == MAX_NAME_TRIES) {
			free(n);
			say(r, error, "find a free name for the body of", stem, -EEXIST);
			return -EEXIST;
		}
		int rc = write_atomic(r, n, ex->body, ex->body_len, false);
		if (rc == 0) {
			*name = n;
			return 0;
		}
		if (rc != -EEXIST) {
			say(r, error, "write", n, rc);
			free(n);
			return rc;
		}
		free(n);
	}
}

/* Sequence mode: one more response in doc (the parsed file `name`), written in place. */
static int append(struct recorder *r, struct ynode *doc, const char *name, const struct record_exchange *ex,
		  char **error)
{
	size_t ri = SIZE_MAX;
	for (size_t i = 0; i + 1 < doc->n; i += 2)
		if (doc->kids[i]->type == Y_SCALAR &&
		    (strcmp(doc->kids[i]->text, "response") == 0 || strcmp(doc->kids[i]->text, "responses") == 0))
			ri = i;
	if (ri == SIZE_MAX) {
		say(r, error, "append to", name, -EINVAL);
		return -EINVAL;
	}
	struct ynode *key = doc->kids[ri], *val = doc->kids[ri + 1];
	if (strcmp(key->text, "response") == 0) {
		/* response: X becomes responses: [X] */
		struct ynode *seq = ynode_new(Y_SEQ);
		yadd(seq, val);
		ynode_free(key);
		doc->kids[ri] = ystrz("responses");
		doc->kids[ri + 1] = seq;
		val = seq;
	} else if (val->type != Y_SEQ) {
		say(r, error, "append to", name, -EINVAL);
		return -EINVAL;
	}
	size_t stem_len = strlen(name) - (strrchr(name, '.') ? strlen(strrchr(name, '.')) : 0);
	char *stem = xstrndup(name, stem_len);
	char *body_file = NULL;
	int rc = write_body_file(r, ex, stem, val->n + 1, &body_file, error);
	if (rc == 0) {
		yadd(val, build_response(ex, body_file));
		char *text = emit_doc(doc);
		rc = text ? write_atomic(r, name, text, strlen(text), true) : -EINVAL;
		if (rc < 0) {
			say(r, error, "write", name, rc);
			if (body_file)
				unlinkat(r->dirfd, body_file, 0);
		}
		free(text);
	}
	free(body_file);
	free(stem);
	return rc;
}

/* A new stub file for the exchange, under the first free name of its slug. */
static int create_file(struct recorder *r, struct ynode *request, const struct record_exchange *ex, uint64_t hash,
		       char **file, char **error)
{
	char *slug = recorder_slug(ex->method, ex->path);
	int rc = 0;
	for (unsigned i = 1;; i++) {
		struct strbuf stem = STRBUF_INIT, name = STRBUF_INIT;
		if (i > MAX_NAME_TRIES) {
			say(r, error, "find a free name for", slug, -EEXIST);
			rc = -EEXIST;
			break;
		}
		if (i == 1)
			strbuf_adds(&stem, slug);
		else
			strbuf_addf(&stem, "%s-%u", slug, i);
		strbuf_addf(&name, "%s.yaml", stem.buf);
		if (exists_at(r->dirfd, name.buf) || in_index(r, name.buf)) {
			strbuf_release(&stem);
			strbuf_release(&name);
			continue;
		}
		char *body_file = NULL;
		rc = write_body_file(r, ex, stem.buf, 1, &body_file, error);
		if (rc == 0) {
			struct ynode *root = build_stub(request, build_response(ex, body_file));
			char *text = emit_doc(root);
			/* the request stays the caller's */
			root->kids[1] = NULL;
			ynode_free(root);
			rc = text ? write_atomic(r, name.buf, text, strlen(text), false) : -EINVAL;
			free(text);
			if (rc < 0 && body_file)
				unlinkat(r->dirfd, body_file, 0);
		}
		free(body_file);
		strbuf_release(&stem);
		if (rc == -EEXIST) {
			strbuf_release(&name);
			continue;
		}
		if (rc == 0) {
			add_entry(r, hash, name.buf);
			*file = strbuf_detach(&name, NULL);
		} else {
			if (!*error)
				say(r, error, "write", name.buf, rc);
			strbuf_release(&name);
		}
		break;
	}
	free(slug);
	return rc;
}

int recorder_record(struct recorder *r, const struct record_exchange *ex, enum record_outcome *outcome,
		    char **file, char **error)
{
	struct ynode *request = build_request(ex);
	struct strbuf key = STRBUF_INIT;
	canon(request, &key);
	uint64_t hash = fnv1a(key.buf, key.len);
	int rc = 0;
	*file = NULL;
	*error = NULL;
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->n; i++) {
		if (r->entries[i].hash != hash)
			continue;
		struct ynode *doc;
		char *other = file_request(r, r->entries[i].file, &doc);
		bool same = other && strcmp(other, key.buf) == 0;
		free(other);
		if (!same) {
			ynode_free(doc);
			continue;
		}
		if (r->mode == RECORD_FIRST) {
			*outcome = RECORD_KEPT;
		} else {
			rc = append(r, doc, r->entries[i].file, ex, error);
			*outcome = RECORD_APPENDED;
		}
		ynode_free(doc);
		if (rc == 0)
			*file = xstrdup(r->entries[i].file);
		goto out;
	}
	*outcome = RECORD_WROTE;
	rc = create_file(r, request, ex, hash, file, error);
out:
	pthread_mutex_unlock(&r->lock);
	ynode_free(request);
	strbuf_release(&key);
	return rc;
}
