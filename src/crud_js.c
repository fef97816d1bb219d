/* SPDX-License-Identifier: MIT */
/* JavaScript's value semantics as json-server 0.17 meets them (ECMAScript's Number::toString,
 * StringToNumber, IsLessThan; lodash's compareAscending and castPath; pluralize's regular
 * rules). */
#include "crud_js.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/strbuf.h"
#include "util/xalloc.h"

/* ---- numbers as text ---------------------------------------------------------------- */

/* The shortest decimal digits that read back as d (> 0), and the exponent n such that
 * d = 0.DIGITS * 10^n: ECMAScript's s, k and n. */
static size_t shortest_digits(double d, char digits[24], int *n)
{
	char buf[40];
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	size_t k = 0;
	const char *p = buf;
	for (; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9')
			digits[k++] = *p;
	while (k > 1 && digits[k - 1] == '0')
		k--;
	*n = (int)strtol(p + 1, NULL, 10) + 1;
	return k;
}

static void add_zeros(struct strbuf *out, int count)
{
	for (int i = 0; i < count; i++)
		strbuf_addc(out, '0');
}

void crud_js_add_number(struct strbuf *out, double d)
{
	if (isnan(d)) {
		strbuf_adds(out, "NaN");
		return;
	}
	if (d < 0) {
		strbuf_addc(out, '-');
		d = -d;
	}
	if (isinf(d)) {
		strbuf_adds(out, "Infinity");
		return;
	}
	if (d == 0) {
		/* -0 prints as "0" too: the sign added above is taken back */
		if (out->len && out->buf[out->len - 1] == '-')
			out->len--, out->buf[out->len] = '\0';
		strbuf_addc(out, '0');
		return;
	}
	char digits[24];
	int n;
	int k = (int)shortest_digits(d, digits, &n);
	if (k <= n && n <= 21) {
		strbuf_add(out, digits, (size_t)k);
		add_zeros(out, n - k);
	} else if (0 < n && n <= 21) {
		strbuf_add(out, digits, (size_t)n);
		strbuf_addc(out, '.');
		strbuf_add(out, digits + n, (size_t)(k - n));
	} else if (-6 < n && n <= 0) {
		strbuf_adds(out, "0.");
		add_zeros(out, -n);
		strbuf_add(out, digits, (size_t)k);
	} else {
		strbuf_addc(out, digits[0]);
		if (k > 1) {
			strbuf_addc(out, '.');
			strbuf_add(out, digits + 1, (size_t)(k - 1));
		}
		strbuf_addf(out, "e%c%d", n - 1 >= 0 ? '+' : '-', abs(n - 1));
	}
}

/* ---- values as text ----------------------------------------------------------------- */

void crud_js_text(const cJSON *v, struct strbuf *out)
{
	if (cJSON_IsString(v)) {
		strbuf_adds(out, v->valuestring);
	} else if (cJSON_IsNumber(v)) {
		crud_js_add_number(out, v->valuedouble);
	} else if (cJSON_IsBool(v)) {
		strbuf_adds(out, cJSON_IsTrue(v) ? "true" : "false");
	} else if (cJSON_IsNull(v)) {
		strbuf_adds(out, "null");
	} else if (cJSON_IsArray(v)) {
		/* Array.prototype.join: null and undefined elements are empty */
		for (const cJSON *e = v->child; e; e = e->next) {
			if (e != v->child)
				strbuf_addc(out, ',');
			if (!cJSON_IsNull(e))
				crud_js_text(e, out);
		}
	} else if (cJSON_IsObject(v)) {
		strbuf_adds(out, "[object Object]");
	}
}

bool crud_js_text_is(const cJSON *v, const char *text, size_t len)
{
	if (cJSON_IsString(v))
		return strlen(v->valuestring) == len && memcmp(v->valuestring, text, len) == 0;
	/* the common id, an integer, without the allocation (below 1e21 JavaScript writes
	 * integers digit for digit, as %.0f does) */
	double d = cJSON_IsNumber(v) ? v->valuedouble : NAN;
	if (d == floor(d) && fabs(d) < 1e21 && d != 0) {
		char buf[32];
		int n = snprintf(buf, sizeof(buf), "%.0f", d);
		return n > 0 && (size_t)n == len && memcmp(buf, text, len) == 0;
	}
	struct strbuf sb = STRBUF_INIT;
	crud_js_text(v, &sb);
	bool same = sb.len == len && memcmp(strbuf_str(&sb), text, len) == 0;
	strbuf_release(&sb);
	return same;
}

bool crud_js_safe_integer(const cJSON *v)
{
	return cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) && fabs(v->valuedouble) <= 9007199254740991.0;
}

bool crud_js_truthy(const cJSON *v)
{
	if (!v || cJSON_IsNull(v) || cJSON_IsFalse(v))
		return false;
	if (cJSON_IsNumber(v))
		return v->valuedouble != 0 && !isnan(v->valuedouble);
	if (cJSON_IsString(v))
		return v->valuestring[0] != '\0';
	return true;
}

/* ---- comparisons -------------------------------------------------------------------- */

/* A primitive after ToPrimitive: a string (borrowed or in own) or a number. */
struct prim {
	bool is_string;
	const char *s;
	size_t len;
	double n;
	struct strbuf own;
};

static void prim_of(const cJSON *v, struct prim *p)
{
	memset(p, 0, sizeof(*p));
	if (cJSON_IsString(v)) {
		p->is_string = true;
		p->s = v->valuestring;
		p->len = strlen(p->s);
	} else if (cJSON_IsNumber(v)) {
		p->n = v->valuedouble;
	} else if (cJSON_IsBool(v)) {
		p->n = cJSON_IsTrue(v) ? 1 : 0;
	} else if (cJSON_IsNull(v)) {
		p->n = 0;
	} else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
		/* an array or object becomes its toString() text */
		p->is_string = true;
		crud_js_text(v, &p->own);
		p->s = strbuf_str(&p->own);
		p->len = p->own.len;
	} else {
		p->n = NAN;
	}
}

static bool js_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool all_digits(const char *s, const char *end, const char *set)
{
	if (s == end)
		return false;
	for (; s < end; s++)
		if (!strchr(set, *s))
			return false;
	return true;
}

/* StringToNumber's decimal literal: [+-](Infinity | digits[.digits] | .digits)[e[+-]digits] */
static bool decimal_literal(const char *s, const char *end)
{
	if (s < end && (*s == '+' || *s == '-'))
		s++;
	if ((size_t)(end - s) == 8 && memcmp(s, "Infinity", 8) == 0)
		return true;
	size_t int_digits = 0, frac_digits = 0;
	for (; s < end && *s >= '0' && *s <= '9'; s++)
		int_digits++;
	if (s < end && *s == '.')
		for (s++; s < end && *s >= '0' && *s <= '9'; s++)
			frac_digits++;
	if (int_digits + frac_digits == 0)
		return false;
	if (s < end && (*s == 'e' || *s == 'E')) {
		s++;
		if (s < end && (*s == '+' || *s == '-'))
			s++;
		return all_digits(s, end, "0123456789");
	}
	return s == end;
}

static double radix_literal(const char *s, const char *end, int base)
{
	double v = 0;
	for (; s < end; s++) {
		int d = *s <= '9' ? *s - '0' : (*s | 0x20) - 'a' + 10;
		v = v * base + d;
	}
	return v;
}

/* ECMAScript's StringToNumber: "" and blanks are 0, anything not a literal is NaN. */
static double string_to_number(const char *s, size_t len)
{
	const char *end = s + len;
	while (s < end && js_space(*s))
		s++;
	while (end > s && js_space(end[-1]))
		end--;
	if (s == end)
		return 0;
	if (end - s > 2 && s[0] == '0') {
		char x = (char)(s[1] | 0x20);
		if (x == 'x' && all_digits(s + 2, end, "0123456789abcdefABCDEF"))
			return radix_literal(s + 2, end, 16);
		if (x == 'o' && all_digits(s + 2, end, "01234567"))
			return radix_literal(s + 2, end, 8);
		if (x == 'b' && all_digits(s + 2, end, "01"))
			return radix_literal(s + 2, end, 2);
	}
	if (!decimal_literal(s, end))
		return NAN;
	const char *inf = memchr(s, 'I', (size_t)(end - s));
	if (inf)
		return *s == '-' ? -INFINITY : INFINITY;
	char *copy = xmemdup0(s, (size_t)(end - s));
	double v = strtod(copy, NULL);
	free(copy);
	return v;
}

static enum crud_js_order compare_prims(const struct prim *a, const struct prim *b)
{
	if (a->is_string && b->is_string) {
		size_t n = a->len < b->len ? a->len : b->len;
		int c = memcmp(a->s, b->s, n);
		if (c == 0)
			c = a->len < b->len ? -1 : a->len > b->len;
		return c < 0 ? CRUD_JS_LT : c > 0 ? CRUD_JS_GT : CRUD_JS_EQ;
	}
	double x = a->is_string ? string_to_number(a->s, a->len) : a->n;
	double y = b->is_string ? string_to_number(b->s, b->len) : b->n;
	if (isnan(x) || isnan(y))
		return CRUD_JS_UNORDERED;
	return x < y ? CRUD_JS_LT : x > y ? CRUD_JS_GT : CRUD_JS_EQ;
}

enum crud_js_order crud_js_compare(const cJSON *a, const cJSON *b)
{
	struct prim pa, pb;
	prim_of(a, &pa);
	prim_of(b, &pb);
	enum crud_js_order r = compare_prims(&pa, &pb);
	strbuf_release(&pa.own);
	strbuf_release(&pb.own);
	return r;
}

enum crud_js_order crud_js_compare_text(const char *text, size_t len, const cJSON *v)
{
	struct prim pt = { .is_string = true, .s = text, .len = len };
	struct prim pv;
	prim_of(v, &pv);
	enum crud_js_order r = compare_prims(&pt, &pv);
	strbuf_release(&pv.own);
	return r;
}

/* `a === b` for two values of the data (different objects are never identical). */
static bool strictly_equal(const cJSON *a, const cJSON *b)
{
	if (!a || !b)
		return a == b;
	if (cJSON_IsNull(a) || cJSON_IsNull(b))
		return cJSON_IsNull(a) && cJSON_IsNull(b);
	if (cJSON_IsArray(a) || cJSON_IsObject(a) || cJSON_IsArray(b) || cJSON_IsObject(b))
		return a == b;
	if (cJSON_IsBool(a) || cJSON_IsBool(b))
		return cJSON_IsBool(a) && cJSON_IsBool(b) && cJSON_IsTrue(a) == cJSON_IsTrue(b);
	if (cJSON_IsNumber(a) && cJSON_IsNumber(b))
		return a->valuedouble == b->valuedouble;
	return cJSON_IsString(a) && cJSON_IsString(b) && strcmp(a->valuestring, b->valuestring) == 0;
}

int crud_js_sort_order(const cJSON *a, const cJSON *b)
{
	if (strictly_equal(a, b))
		return 0;
	bool a_null = a && cJSON_IsNull(a), b_null = b && cJSON_IsNull(b);
	enum crud_js_order r = a && b ? crud_js_compare(a, b) : CRUD_JS_UNORDERED;
	/* lodash's compareAscending, clause by clause (no symbols or NaN in JSON data) */
	if ((!b_null && r == CRUD_JS_GT) || (a_null && b) || !a)
		return 1;
	if ((!a_null && r == CRUD_JS_LT) || (b_null && a) || !b)
		return -1;
	return 0;
}

double crud_js_parse_int(const char *s)
{
	while (js_space(*s))
		s++;
	double sign = 1;
	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if (*s < '0' || *s > '9')
		return NAN;
	double v = 0;
	for (; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (*s - '0');
	return sign * v;
}

/* ---- paths and ids ------------------------------------------------------------------ */

/* One step down: an object's key, or an array's index written canonically ("0", "12"). */
static const cJSON *child(const cJSON *v, const char *key, size_t len)
{
	if (cJSON_IsObject(v)) {
		for (const cJSON *c = v->child; c; c = c->next)
			if (strlen(c->string) == len && memcmp(c->string, key, len) == 0)
				return c;
		return NULL;
	}
	if (!cJSON_IsArray(v) || len == 0 || len > 9 || (key[0] == '0' && len > 1))
		return NULL;
	int index = 0;
	for (size_t i = 0; i < len; i++) {
		if (key[i] < '0' || key[i] > '9')
			return NULL;
		index = index * 10 + (key[i] - '0');
	}
	return cJSON_GetArrayItem(v, index);
}

/* The next segment of a lodash path at *p ("a", "[0]", "['k']"); advances *p. */
static const char *next_segment(const char **p, size_t *len)
{
	const char *s = *p, *seg;
	if (*s == '[') {
		s++;
		char quote = (*s == '"' || *s == '\'') ? *s++ : 0;
		seg = s;
		while (*s && !(quote ? s[0] == quote && s[1] == ']' : *s == ']'))
			s++;
		*len = (size_t)(s - seg);
		s += *s ? (quote ? 2 : 1) : 0;
	} else {
		seg = s;
		while (*s && *s != '.' && *s != '[')
			s++;
		*len = (size_t)(s - seg);
	}
	if (*s == '.')
		s++;
	*p = s;
	return seg;
}

const cJSON *crud_js_get(const cJSON *v, const char *path)
{
	const cJSON *literal = cJSON_IsObject(v) ? child(v, path, strlen(path)) : NULL;
	if (literal || !strpbrk(path, ".["))
		return literal;
	const char *p = path;
	while (v && *p) {
		size_t len;
		const char *seg = next_segment(&p, &len);
		v = child(v, seg, len);
	}
	return v;
}

void crud_js_assign(cJSON *obj, const char *key, cJSON *value)
{
	/* cJSON's replace frees value's old name before copying key: key may be that name */
	char *name = xstrdup(key);
	if (cJSON_GetObjectItemCaseSensitive(obj, name))
		cJSON_ReplaceItemInObjectCaseSensitive(obj, name, json_check(value));
	else
		json_object_add(obj, name, value);
	free(name);
}

/* Whether text is an integer as String() writes one ("12", "-3"; not "012", "-0", "1.0"),
 * short enough to be exact; *v gets it. */
static bool integer_text(const char *text, size_t len, double *v)
{
	size_t neg = len > 0 && text[0] == '-';
	if (len - neg == 0 || len - neg > 15 || (text[neg] == '0' && (len - neg > 1 || neg)))
		return false;
	*v = 0;
	for (size_t i = neg; i < len; i++) {
		if (text[i] < '0' || text[i] > '9')
			return false;
		*v = *v * 10 + (text[i] - '0');
	}
	*v = neg ? -*v : *v;
	return true;
}

int crud_js_find_id(const cJSON *coll, const char *id, size_t len)
{
	/* a number id against integer text compares as numbers: no text made per item */
	double want = 0;
	bool numeric = integer_text(id, len, &want);
	int i = 0;
	for (const cJSON *item = coll ? coll->child : NULL; item; item = item->next, i++) {
		const cJSON *have = cJSON_IsObject(item) ? cJSON_GetObjectItemCaseSensitive(item, "id") : NULL;
		if (!have || cJSON_IsNull(have))
			continue;
		if ((numeric && cJSON_IsNumber(have)) ? have->valuedouble == want : crud_js_text_is(have, id, len))
			return i;
	}
	return -1;
}

/* ---- words -------------------------------------------------------------------------- */

/* Whether w (n bytes) ends with suffix, case-insensitively, with something before it. */
static bool ends_ci(const char *w, size_t n, const char *suffix)
{
	size_t s = strlen(suffix);
	return n > s && strncasecmp(w + n - s, suffix, s) == 0;
}

/* The suffix in the word's case: "POST" gets "S" (pluralize restores the case too). */
static char *with_suffix(const char *w, size_t keep, const char *suffix)
{
	size_t n = strlen(w), s = strlen(suffix);
	bool upper = n > 0 && w[n - 1] >= 'A' && w[n - 1] <= 'Z';
	char *out = xmalloc(keep + s + 1);
	memcpy(out, w, keep);
	for (size_t i = 0; i < s; i++)
		out[keep + i] = upper ? (char)(suffix[i] & ~0x20) : suffix[i];
	out[keep + s] = '\0';
	return out;
}

static bool vowel(char c)
{
	return strchr("aeiouAEIOU", c) != NULL;
}

char *crud_js_singular(const char *w)
{
	size_t n = strlen(w);
	if (ends_ci(w, n, "ies"))
		return with_suffix(w, n - 3, "y");
	if (ends_ci(w, n, "sses") || ends_ci(w, n, "shes") || ends_ci(w, n, "ches") || ends_ci(w, n, "xes") ||
	    ends_ci(w, n, "zes"))
		return xstrndup(w, n - 2);
	if (ends_ci(w, n, "ss") || ends_ci(w, n, "us") || ends_ci(w, n, "is") || !ends_ci(w, n, "s"))
		return xstrdup(w);
	return xstrndup(w, n - 1);
}

char *crud_js_plural(const char *w)
{
	size_t n = strlen(w);
	char *single = crud_js_singular(w);
	bool already = strcmp(single, w) != 0;
	free(single);
	if (already || n == 0)
		return xstrdup(w);
	char last = (char)(w[n - 1] | 0x20), before = n > 1 ? (char)(w[n - 2] | 0x20) : 0;
	if (last == 'y' && n > 1 && !vowel(before))
		return with_suffix(w, n - 1, "ies");
	if (last == 's' || last == 'x' || last == 'z' || (last == 'h' && (before == 'c' || before == 's')))
		return with_suffix(w, n, "es");
	return with_suffix(w, n, "s");
}
