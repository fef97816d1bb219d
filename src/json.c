/* SPDX-License-Identifier: MIT */
/* The JSON layer over cJSON: located parse errors, compact printing, checked building,
 * and an exact reader (number text, no duplicate keys) that cJSON cannot be. */
#include "json.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"
#include "util/utf8.h"
#include "util/xalloc.h"

static void die_oom(void)
{
	fputs("cannery: out of memory\n", stderr);
	abort();
}

cJSON *json_check(cJSON *item)
{
	if (!item)
		die_oom();
	return item;
}

void json_array_add(cJSON *array, cJSON *item)
{
	if (!cJSON_AddItemToArray(array, json_check(item)))
		die_oom();
}

void json_object_add(cJSON *object, const char *key, cJSON *item)
{
	if (!cJSON_AddItemToObject(object, key, json_check(item)))
		die_oom();
}

char *json_print(const cJSON *item, size_t *len)
{
	char *text = cJSON_PrintUnformatted(item);
	if (!text)
		die_oom();
	size_t n = strlen(text);
	/* ours to free with free(), whatever hooks cJSON was given */
	char *copy = xmemdup0(text, n);
	cJSON_free(text);
	if (len)
		*len = n;
	return copy;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void locate(const char *text, size_t len, size_t offset, struct json_error *err)
{
	if (!err)
		return;
	err->offset = offset;
	err->what = "not valid JSON";
	err->line = 1;
	err->col = 1;
	for (size_t i = 0; i < offset && i < len; i++) {
		if (text[i] == '\n') {
			err->line++;
			err->col = 1;
		} else if (((unsigned char)text[i] & 0xC0) != 0x80) {
			err->col++;
		}
	}
}

/* The offset of the first \u0000 escape in the strings of well-formed JSON text, or len. */
static size_t nul_escape(const char *text, size_t len)
{
	bool in_string = false;
	for (size_t i = 0; i < len; i++) {
		if (!in_string) {
			in_string = text[i] == '"';
		} else if (text[i] == '"') {
			in_string = false;
		} else if (text[i] == '\\' && i + 1 < len) {
			if (text[i + 1] == 'u' && i + 5 < len && memcmp(text + i + 2, "0000", 4) == 0)
				return i;
			i++;    /* the escaped character; a \uXXXX's digits hold no '"' or '\\' */
		}
	}
	return len;
}

cJSON *json_parse(const char *text, size_t len, struct json_error *err)
{
	const char *end = NULL;
	if (!text)
		text = "";
	cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (!j) {
		/* cJSON points end at the problem (also when the text ended too early) */
		size_t off = end && end >= text && end <= text + len ? (size_t)(end - text) : len;
		if (len == 0 || (off == len - 1 && is_ws(text[off])))
			off = len;
		locate(text, len, off, err);
		return NULL;
	}
	size_t off = end ? (size_t)(end - text) : len;
	while (off < len && is_ws(text[off]))
		off++;
	if (off < len) {
		cJSON_Delete(j);
		locate(text, len, off, err);
		return NULL;
	}
	if ((off = nul_escape(text, len)) < len) {
		cJSON_Delete(j);
		locate(text, len, off, err);
		if (err)
			err->what = "a NUL character (\\u0000) in a string";
		return NULL;
	}
	return j;
}

/* ---- the exact reader ---- */

struct jread {
	const char *p, *end;
	unsigned depth, max_depth;
	size_t nodes, max_nodes;
};

static void skip_ws(struct jread *j)
{
	while (j->p < j->end && is_ws(*j->p))
		j->p++;
}

static bool hex4(struct jread *j, uint32_t *out)
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

/* \uXXXX (after the 'u'), a surrogate pair as one code point; false for NUL or a lone
 * surrogate. */
static bool unicode_escape(struct jread *j, struct strbuf *sb)
{
	uint32_t cp;
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
	strbuf_add_utf8(sb, cp);
	return true;
}

/* A JSON string (at its opening quote) into sb; false when it is malformed or holds what
 * the exact form excludes. */
static bool read_string(struct jread *j, struct strbuf *sb)
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
			if (!unicode_escape(j, sb))
				return false;
			break;
		default:
			return false;
		}
	}
	return false;
}

static bool digit(const struct jread *j)
{
	return j->p < j->end && *j->p >= '0' && *j->p <= '9';
}

static void digits(struct jread *j)
{
	while (digit(j))
		j->p++;
}

static cJSON *read_number(struct jread *j)
{
	const char *start = j->p;
	bool frac = false;
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (!digit(j))
		return NULL;
	if (*j->p == '0')
		j->p++;
	else
		digits(j);
	if (j->p < j->end && *j->p == '.') {
		frac = true;
		j->p++;
		if (!digit(j))
			return NULL;
		digits(j);
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		frac = true;
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (!digit(j))
			return NULL;
		digits(j);
	}
	char *text = xstrndup(start, (size_t)(j->p - start));
	/* integers are kept digit for digit, but a fraction must still read as a double */
	cJSON *n = frac && !isfinite(strtod(text, NULL)) ? NULL : json_check(cJSON_CreateRaw(text));
	free(text);
	return n;
}

static bool word(struct jread *j, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
		return false;
	j->p += n;
	return true;
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

static bool keys_unique(const cJSON *obj)
{
	size_t n = (size_t)cJSON_GetArraySize(obj);
	if (n < 2)
		return true;
	const cJSON **keys = xmalloc(n * sizeof(*keys));
	size_t i = 0;
	for (const cJSON *c = obj->child; c; c = c->next)
		keys[i++] = c;
	qsort(keys, n, sizeof(*keys), cmp_keys);
	bool ok = true;
	for (i = 1; i < n && ok; i++)
		ok = strcmp(keys[i - 1]->string, keys[i]->string) != 0;
	free(keys);
	return ok;
}

static cJSON *read_value(struct jread *j);

/* An object or array, at its opening bracket. */
static cJSON *read_container(struct jread *j)
{
	if (++j->depth > j->max_depth)
		return NULL;
	bool obj = *j->p == '{';
	char close = obj ? '}' : ']';
	cJSON *c = json_check(obj ? cJSON_CreateObject() : cJSON_CreateArray());
	j->p++;
	skip_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		j->depth--;
		return c;
	}
	for (;;) {
		struct strbuf key = STRBUF_INIT;
		if (obj) {
			skip_ws(j);
			bool ok = j->p < j->end && *j->p == '"' && read_string(j, &key);
			skip_ws(j);
			if (!ok || j->p >= j->end || *j->p != ':') {
				strbuf_release(&key);
				goto fail;
			}
			j->p++;
		}
		cJSON *v = read_value(j);
		if (!v) {
			strbuf_release(&key);
			goto fail;
		}
		if (obj)
			json_object_add(c, key.buf, v);
		else
			json_array_add(c, v);
		strbuf_release(&key);
		skip_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == close) {
			j->p++;
			break;
		}
		goto fail;
	}
	j->depth--;
	if (obj && !keys_unique(c))
		goto fail;
	return c;
fail:
	cJSON_Delete(c);
	return NULL;
}

static cJSON *read_value(struct jread *j)
{
	skip_ws(j);
	if (j->p >= j->end || ++j->nodes > j->max_nodes)
		return NULL;
	char c = *j->p;
	if (c == '{' || c == '[')
		return read_container(j);
	if (c == '"') {
		struct strbuf s = STRBUF_INIT;
		cJSON *v = read_string(j, &s) ? json_check(cJSON_CreateString(s.buf)) : NULL;
		strbuf_release(&s);
		return v;
	}
	if (c == 't')
		return word(j, "true") ? json_check(cJSON_CreateTrue()) : NULL;
	if (c == 'f')
		return word(j, "false") ? json_check(cJSON_CreateFalse()) : NULL;
	if (c == 'n')
		return word(j, "null") ? json_check(cJSON_CreateNull()) : NULL;
	return read_number(j);
}

cJSON *json_parse_exact(const char *text, size_t len, unsigned max_depth, size_t max_nodes)
{
	struct jread j = { text, text + len, 0, max_depth, 0, max_nodes };
	cJSON *v = read_value(&j);
	if (!v)
		return NULL;
	skip_ws(&j);
	if (j.p != j.end) {
		cJSON_Delete(v);
		return NULL;
	}
	return v;
}

/* ---- dotted paths ------------------------------------------------------------ */

static const cJSON *json_member(const cJSON *obj, const char *key, size_t klen)
{
	for (const cJSON *c = obj->child; c; c = c->next)
		if (c->string && strlen(c->string) == klen && memcmp(c->string, key, klen) == 0)
			return c;
	return NULL;
}

static bool parse_index(const char *s, size_t n, size_t *out)
{
	size_t v = 0;
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (SIZE_MAX - 9) / 10)
			return false;
		v = v * 10 + (size_t)(s[i] - '0');
	}
	*out = v;
	return true;
}

/*
 * `user.name` or `items.0.id`: each segment a member of an object or a decimal index into
 * an array.
 */
/* The member key[0..n) of an object, or item number key of an array; NULL when none. */
static const cJSON *child(const cJSON *cur, const char *key, size_t n)
{
	size_t idx;
	if (cJSON_IsObject(cur))
		return json_member(cur, key, n);
	if (!cJSON_IsArray(cur) || !parse_index(key, n, &idx))
		return NULL;
	const cJSON *next = cur->child;
	while (next && idx--)
		next = next->next;
	return next;
}

const cJSON *json_get_dotted(const cJSON *root, const char *path)
{
	const cJSON *cur = root;
	const char *p = path;
	if (!p[0])
		return root;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		cur = child(cur, p, n);
		if (!cur || !dot)
			return cur;
		p = dot + 1;
	}
}

const cJSON *json_get_pointer(const cJSON *root, const char *pointer)
{
	const cJSON *cur = root;
	struct strbuf seg = STRBUF_INIT;
	for (const char *p = pointer; cur && *p;) {
		if (*p != '/') {
			cur = NULL;
			break;
		}
		p++;
		size_t n = strcspn(p, "/");
		strbuf_reset(&seg);
		for (size_t i = 0; i < n; i++) {
			bool esc = p[i] == '~' && i + 1 < n && (p[i + 1] == '0' || p[i + 1] == '1');
			strbuf_addc(&seg, esc ? (p[++i] == '0' ? '~' : '/') : p[i]);
		}
		cur = child(cur, seg.buf ? seg.buf : "", seg.len);
		p += n;
	}
	strbuf_release(&seg);
	return cur;
}
