/* SPDX-License-Identifier: MIT */
/* The loader's shared helpers: located errors worded the same way everywhere, key
 * lookups with "did you mean" hints, templates placed inside their scalar, and YAML
 * values as JSON (exact integer digits for response bodies). */
#include "load.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/numtext.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

void *load_grow(void *v, size_t n, size_t size)
{
	if (n && (n & (n - 1)) != 0)
		return v;
	return xrealloc(v, (n ? n * 2 : 1) * size);
}

size_t load_nerrors(const struct loader *ld)
{
	return ld->diags->n + ld->diags->dropped;
}

const char *load_shown_after(struct loader *ld, const char *prefix, const char *s, size_t len)
{
	return ynode_quote(ld->shown[ld->shown_next++ % 4], prefix, s, len);
}

const char *load_shown(struct loader *ld, const char *s, size_t len)
{
	return load_shown_after(ld, "", s, len);
}

const char *load_shown_str(struct loader *ld, const char *s)
{
	return load_shown(ld, s, strlen(s));
}

const char *load_got(struct loader *ld, const struct ynode *n)
{
	return ynode_describe(ld->shown[ld->shown_next++ % 4], n);
}

void load_err(struct loader *ld, const struct ynode *at, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	diag_add(ld->diags, ld->file, at ? at->line : 0, at ? at->col : 0, "%s", strbuf_str(&sb));
	strbuf_release(&sb);
}

int load_key_index(const struct ynode *k, const char *const *keys)
{
	for (int i = 0; keys[i]; i++)
		if (strcmp(k->text, keys[i]) == 0)
			return i;
	return -1;
}

bool load_key_ok(struct loader *ld, const struct ynode *k)
{
	if (k->kind == YNODE_SCALAR)
		return true;
	load_err(ld, k, "a key must be a scalar, got %s", ynode_kind_name(k));
	return false;
}

void load_unknown_key(struct loader *ld, const struct ynode *k, const char *where, const char *const *known)
{
	const char *hint = diag_suggest(k->text, known);
	if (hint)
		load_err(ld, k, "unknown key %s in %s (did you mean '%s'?)", load_shown(ld, k->text, k->len), where, hint);
	else
		load_err(ld, k, "unknown key %s in %s", load_shown(ld, k->text, k->len), where);
}

int load_lookup_key(struct loader *ld, const struct ynode *k, const char *const *known, const char *const *later,
		    const char *where)
{
	int ki = load_key_index(k, known);
	if (ki >= 0)
		return ki;
	if (later && load_key_index(k, later) >= 0)
		load_err(ld, k, "'%s' is not supported yet", k->text);
	else
		load_unknown_key(ld, k, where, known);
	return -1;
}

bool load_first_time(struct loader *ld, unsigned *seen, int ki, const struct ynode *k, const char *where)
{
	if (*seen & (1u << ki)) {
		load_err(ld, k, "duplicate key '%s' in %s", k->text, where);
		return false;
	}
	*seen |= 1u << ki;
	return true;
}

bool load_is_token(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || numtext_is_digit((char)c))
			continue;
		if (!strchr("!#$%&'*+-.^_`|~", c))
			return false;
	}
	return true;
}

struct tpl *load_tpl(struct loader *ld, const struct ynode *n)
{
	struct tpl_error e;
	struct tpl *t = tpl_compile(n->text, n->len, &e);
	if (!t) {
		int line, col;
		yaml_reader_text_location(ld->yr, n, e.offset, &line, &col);
		diag_add(ld->diags, ld->file, line, col, "%s", e.msg);
	}
	return t;
}


bool load_expect_mapping(struct loader *ld, const struct ynode *v, const char *what)
{
	if (v->kind == YNODE_MAPPING)
		return true;
	load_err(ld, v, "%s must be a mapping, got %s", what, load_got(ld, v));
	return false;
}

/* ---- YAML values to JSON ---- */

/* A decimal integer's exact digits, as a body keeps them: "007" -> 7, "+5" -> 5, "-0" -> 0,
 * however large. */
static void raw_int(struct strbuf *out, const char *s)
{
	bool neg = *s == '-';
	if (*s == '+' || *s == '-')
		s++;
	while (s[0] == '0' && s[1])
		s++;
	if (neg && strcmp(s, "0") != 0)
		strbuf_addc(out, '-');
	strbuf_adds(out, s);
}

static cJSON *number_json(struct loader *ld, const struct ynode *n, unsigned flags)
{
	const char *s = n->text;
	int base = numtext_int_base(s);
	if (base == 10 && (flags & LOAD_JSON_RAW_INTS)) {
		struct strbuf sb = STRBUF_INIT;
		raw_int(&sb, s);
		cJSON *j = json_check(cJSON_CreateRaw(sb.buf));
		strbuf_release(&sb);
		return j;
	}
	if (base == 8 || base == 16) {
		unsigned long long v = 0;
		double d = 0;
		bool over = false;
		for (const char *p = s + 2; *p; p++) {
			unsigned dv = (unsigned)numtext_digit_value(*p);
			if (v > (ULLONG_MAX - dv) / (unsigned)base)
				over = true;
			else
				v = v * (unsigned)base + dv;
			d = d * base + dv;
		}
		if (!over && (flags & LOAD_JSON_RAW_INTS)) {
			char buf[32];
			snprintf(buf, sizeof(buf), "%llu", v);
			return json_check(cJSON_CreateRaw(buf));
		}
		if (over && !isfinite(d))
			goto range;
		return json_check(cJSON_CreateNumber(over ? d : (double)v));
	}
	double d = strtod(s, NULL);
	if (!isfinite(d))
		goto range;
	return json_check(cJSON_CreateNumber(d));
range:
	load_err(ld, n, "number %s is out of range", load_shown(ld, n->text, n->len));
	return json_check(cJSON_CreateNull());
}

static cJSON *scalar_json(struct loader *ld, const struct ynode *n, unsigned flags)
{
	if (n->plain) {
		if (ynode_is_null(n))
			return json_check(cJSON_CreateNull());
		int b = ynode_bool(n);
		if (b >= 0)
			return json_check(cJSON_CreateBool(b));
		if (numtext_int_base(n->text) || numtext_is_float(n->text))
			return number_json(ld, n, flags);
	}
	if ((flags & LOAD_JSON_TEMPLATES) && tpl_has_expr(n->text, n->len))
		tpl_destroy(load_tpl(ld, n));
	return json_check(cJSON_CreateString(n->text));
}

/* Up to this many pairs, a mapping's keys are checked against the earlier ones one by
 * one: cheaper than a hash map that copies every key (a response body's objects are
 * mostly small, and a start with 100,000 of them made ~800,000 such copies). */
#define FEW_KEYS 16

/* Whether scalar key kids[i] of mapping n is a scalar key before it (as written, up to a
 * NUL: what the hash map compares). */
static bool key_seen(const struct ynode *n, size_t i)
{
	for (size_t j = 0; j < i; j += 2)
		if (n->kids[j]->kind == YNODE_SCALAR && n->kids[j]->text[0] == n->kids[i]->text[0] &&
		    strcmp(n->kids[j]->text, n->kids[i]->text) == 0)
			return true;
	return false;
}

cJSON *load_json(struct loader *ld, const struct ynode *n, unsigned flags)
{
	if (n->kind == YNODE_SCALAR)
		return scalar_json(ld, n, flags);
	if (n->kind == YNODE_SEQUENCE) {
		cJSON *arr = json_check(cJSON_CreateArray());
		for (size_t i = 0; i < n->n; i++)
			json_array_add(arr, load_json(ld, n->kids[i], flags));
		return arr;
	}
	cJSON *obj = json_check(cJSON_CreateObject());
	struct hmap keys = HMAP_INIT;
	bool few = n->n / 2 <= FEW_KEYS;
	for (size_t i = 0; i + 1 < n->n; i += 2) {
		const struct ynode *k = n->kids[i];
		if (!load_key_ok(ld, k))
			continue;
		if (few ? key_seen(n, i) : !hmap_add_key(&keys, k->text)) {
			load_err(ld, k, "duplicate key %s", load_shown(ld, k->text, k->len));
			continue;
		}
		json_object_add(obj, k->text, load_json(ld, n->kids[i + 1], flags));
	}
	hmap_release(&keys, NULL);
	return obj;
}

/* A scalar as load_json types it for a body; false when only load_json and cJSON decide
 * its text (a float, a hex or octal number, a template, a NUL inside). */
static bool scalar_text(const struct ynode *n, bool tpl, struct strbuf *out)
{
	if (strlen(n->text) != n->len)
		return false;
	if (n->plain) {
		int b = ynode_bool(n);
		if (ynode_is_null(n)) {
			strbuf_adds(out, "null");
			return true;
		}
		if (b >= 0) {
			strbuf_adds(out, b ? "true" : "false");
			return true;
		}
		int base = numtext_int_base(n->text);
		if (base == 10) {
			raw_int(out, n->text);
			return true;
		}
		if (base || numtext_is_float(n->text))
			return false;
	}
	if (tpl && tpl_has_expr(n->text, n->len))
		return false;
	/* cJSON escapes as strbuf does for valid UTF-8, which libyaml's texts are */
	strbuf_add_json_string(out, n->text, n->len);
	return true;
}

bool load_json_text(const struct ynode *n, bool tpl, struct strbuf *out)
{
	if (n->kind == YNODE_SCALAR)
		return scalar_text(n, tpl, out);
	bool obj = n->kind == YNODE_MAPPING;
	if (obj && n->n / 2 > FEW_KEYS)
		return false;
	strbuf_addc(out, obj ? '{' : '[');
	for (size_t i = 0; i < n->n; i++) {
		if (i)
			strbuf_addc(out, ',');
		if (obj) {
			const struct ynode *k = n->kids[i];
			if (k->kind != YNODE_SCALAR || strlen(k->text) != k->len || key_seen(n, i))
				return false;
			strbuf_add_json_string(out, k->text, k->len);
			strbuf_addc(out, ':');
			i++;
		}
		if (!load_json_text(n->kids[i], tpl, out))
			return false;
	}
	strbuf_addc(out, obj ? '}' : ']');
	return true;
}

