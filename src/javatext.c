/* SPDX-License-Identifier: MIT */
/* Java's text forms of numbers and JSON that WireMock's template helpers produce. */
#include "javatext.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

void javatext_double(struct strbuf *out, double d)
{
	if (isnan(d)) {
		strbuf_adds(out, "NaN");
		return;
	}
	if (isinf(d)) {
		strbuf_adds(out, d < 0 ? "-Infinity" : "Infinity");
		return;
	}
	if (d == 0) {
		strbuf_adds(out, signbit(d) ? "-0.0" : "0.0");
		return;
	}
	/* the shortest %e that reads back as d, with at least two digits as Java prints them
	 * (so the smallest subnormal is 4.9E-324, not 5.0E-324): its digits and exponent */
	char buf[40];
	for (int prec = 1; prec < 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	const char *p = buf;
	if (*p == '-') {
		strbuf_addc(out, '-');
		p++;
	}
	char digits[24];
	size_t nd = 0;
	for (; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9')
			digits[nd++] = *p;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	int exp = (int)strtol(p + 1, NULL, 10);
	if (exp >= -3 && exp < 7) {
		/* plain notation, with at least one digit after the point */
		if (exp < 0) {
			strbuf_adds(out, "0.");
			for (int i = -1; i > exp; i--)
				strbuf_addc(out, '0');
			strbuf_add(out, digits, nd);
			return;
		}
		for (int i = 0; i <= exp; i++)
			strbuf_addc(out, (size_t)i < nd ? digits[i] : '0');
		strbuf_addc(out, '.');
		if ((size_t)exp + 1 < nd)
			strbuf_add(out, digits + exp + 1, nd - (size_t)exp - 1);
		else
			strbuf_addc(out, '0');
		return;
	}
	/* computerized scientific notation: d.dddE[-]n */
	strbuf_addc(out, digits[0]);
	strbuf_addc(out, '.');
	if (nd > 1)
		strbuf_add(out, digits + 1, nd - 1);
	else
		strbuf_addc(out, '0');
	strbuf_addf(out, "E%d", exp);
}

/* A number held as a double: integral values as integers (BigInteger digits beyond long). */
static void number_of_double(struct strbuf *out, double d)
{
	if (d == floor(d) && fabs(d) < 9.2e18)
		strbuf_addf(out, "%lld", (long long)d);
	else if (d == floor(d) && isfinite(d))
		strbuf_addf(out, "%.0f", d);
	else
		javatext_double(out, d);
}

/*
 * BigDecimal's text for a JSON number: toString (scientific when the exponent is below
 * -6 or the scale is negative) or, for Jackson's WRITE_BIGDECIMAL_AS_PLAIN, toPlainString.
 */
static void big_decimal(struct strbuf *out, const char *text, bool plain)
{
	char digits[512];
	size_t nd = 0;
	long frac = 0, exp = 0;
	bool neg = text[0] == '-', in_frac = false;
	const char *p = text + neg;
	for (; *p && *p != 'e' && *p != 'E'; p++) {
		if (*p == '.')
			in_frac = true;
		else if (nd < sizeof(digits) - 1) {
			digits[nd++] = *p;
			frac += in_frac;
		}
	}
	if (*p)
		exp = strtol(p + 1, NULL, 10);
	long scale = frac - exp;
	long adjusted = -scale + (long)nd - 1;
	if (neg)
		strbuf_addc(out, '-');
	if (!plain && (scale < 0 || adjusted < -6)) {
		strbuf_addc(out, digits[0]);
		if (nd > 1) {
			strbuf_addc(out, '.');
			strbuf_add(out, digits + 1, nd - 1);
		}
		strbuf_addf(out, "E%s%ld", adjusted >= 0 ? "+" : "", adjusted);
		return;
	}
	if (scale <= 0) {
		strbuf_add(out, digits, nd);
		for (long i = 0; i < -scale; i++)
			strbuf_addc(out, '0');
	} else if ((long)nd > scale) {
		strbuf_add(out, digits, nd - (size_t)scale);
		strbuf_addc(out, '.');
		strbuf_add(out, digits + nd - (size_t)scale, (size_t)scale);
	} else {
		strbuf_adds(out, "0.");
		for (long i = (long)nd; i < scale; i++)
			strbuf_addc(out, '0');
		strbuf_add(out, digits, nd);
	}
}

/* A number item: its text when the exact reader kept it (cJSON_Raw), else its double. */
static void number(struct strbuf *out, const cJSON *v, bool jackson)
{
	if (!cJSON_IsRaw(v)) {
		number_of_double(out, v->valuedouble);
		return;
	}
	const char *text = v->valuestring;
	if (!strpbrk(text, ".eE"))
		strbuf_adds(out, strcmp(text, "-0") == 0 ? "0" : text);     /* Integer, Long, BigInteger */
	else if (strlen(text) > 18)
		big_decimal(out, text, jackson);        /* json-smart's hi-precision floats */
	else
		javatext_double(out, strtod(text, NULL));
}

static const char hex[] = "0123456789ABCDEF";

static void add_u_escape(struct strbuf *out, unsigned cp)
{
	char e[6] = { '\\', 'u', hex[cp >> 12 & 15], hex[cp >> 8 & 15], hex[cp >> 4 & 15], hex[cp & 15] };
	strbuf_add(out, e, 6);
}

/* The short escapes both libraries share; 0 when c has none. */
static char short_escape(unsigned char c)
{
	switch (c) {
	case '"':
		return '"';
	case '\\':
		return '\\';
	case '\b':
		return 'b';
	case '\f':
		return 'f';
	case '\n':
		return 'n';
	case '\r':
		return 'r';
	case '\t':
		return 't';
	default:
		return 0;
	}
}

/* Jackson: the short escapes, \u00XX for other control characters, everything else as is. */
static void jackson_string(struct strbuf *out, const char *s)
{
	strbuf_addc(out, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char e = short_escape(*p);
		if (e) {
			strbuf_addc(out, '\\');
			strbuf_addc(out, e);
		} else if (*p < 0x20) {
			add_u_escape(out, *p);
		} else {
			strbuf_addc(out, (char)*p);
		}
	}
	strbuf_addc(out, '"');
}

/* The code point of the UTF-8 sequence at p (n bytes long), or -1 when it is malformed. */
static long utf8_at(const unsigned char *p, size_t *n)
{
	if (p[0] < 0x80) {
		*n = 1;
		return p[0];
	}
	size_t len = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC0 ? 2 : 0;
	if (!len)
		return -1;
	long cp = p[0] & (0x7F >> len);
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return -1;
		cp = cp << 6 | (p[i] & 0x3F);
	}
	*n = len;
	return cp;
}

/* json-smart's ESCAPE4Web (the default for toString): '/' as "\/", and \uXXXX for control
 * characters, U+007F..U+009F and U+2000..U+20FF. */
static void smart_string(struct strbuf *out, const char *s)
{
	strbuf_addc(out, '"');
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		char e = short_escape(*p);
		size_t n = 1;
		long cp;
		if (e) {
			strbuf_addc(out, '\\');
			strbuf_addc(out, e);
		} else if (*p == '/') {
			strbuf_adds(out, "\\/");
		} else if ((cp = utf8_at(p, &n)) >= 0 &&
			   (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x2000 && cp <= 0x20FF))) {
			add_u_escape(out, (unsigned)cp);
		} else {
			strbuf_add(out, p, n);
		}
		p += n;
	}
	strbuf_addc(out, '"');
}

static void smart_value(struct strbuf *out, const cJSON *v)
{
	if (cJSON_IsString(v)) {
		smart_string(out, v->valuestring);
	} else if (cJSON_IsNumber(v) || cJSON_IsRaw(v)) {
		number(out, v, false);
	} else if (cJSON_IsBool(v)) {
		strbuf_adds(out, cJSON_IsTrue(v) ? "true" : "false");
	} else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
		bool obj = cJSON_IsObject(v);
		strbuf_addc(out, obj ? '{' : '[');
		for (const cJSON *c = v->child; c; c = c->next) {
			if (c != v->child)
				strbuf_addc(out, ',');
			if (obj) {
				smart_string(out, c->string ? c->string : "");
				strbuf_addc(out, ':');
			}
			smart_value(out, c);
		}
		strbuf_addc(out, obj ? '}' : ']');
	} else {
		strbuf_adds(out, "null");
	}
}

static void indent(struct strbuf *out, unsigned level)
{
	strbuf_addc(out, '\n');
	for (unsigned i = 0; i < level; i++)
		strbuf_adds(out, "  ");
}

/*
 * Jackson's DefaultPrettyPrinter: an object's members one per line, indented two spaces
 * per enclosing object, `"key" : value`; arrays on one line as `[ a, b ]` (they add no
 * indentation); empty ones `{ }` and `[ ]`. WireMock's mapper leaves null members out.
 */
static void jackson_value(struct strbuf *out, const cJSON *v, unsigned level)
{
	if (cJSON_IsObject(v)) {
		strbuf_addc(out, '{');
		size_t n = 0;
		for (const cJSON *c = v->child; c; c = c->next) {
			if (cJSON_IsNull(c))
				continue;
			if (n++)
				strbuf_addc(out, ',');
			indent(out, level + 1);
			jackson_string(out, c->string ? c->string : "");
			strbuf_adds(out, " : ");
			jackson_value(out, c, level + 1);
		}
		if (n)
			indent(out, level);
		else
			strbuf_addc(out, ' ');
		strbuf_addc(out, '}');
	} else if (cJSON_IsArray(v)) {
		strbuf_addc(out, '[');
		for (const cJSON *c = v->child; c; c = c->next) {
			strbuf_adds(out, c == v->child ? " " : ", ");
			jackson_value(out, c, level);
		}
		strbuf_adds(out, " ]");
	} else if (cJSON_IsString(v)) {
		jackson_string(out, v->valuestring);
	} else if (cJSON_IsNumber(v) || cJSON_IsRaw(v)) {
		number(out, v, true);
	} else if (cJSON_IsBool(v)) {
		strbuf_adds(out, cJSON_IsTrue(v) ? "true" : "false");
	} else {
		strbuf_adds(out, "null");
	}
}

void javatext_json_value(struct strbuf *out, const cJSON *v)
{
	if (!v || cJSON_IsNull(v))
		return;
	if (cJSON_IsString(v))
		strbuf_adds(out, v->valuestring);
	else if (cJSON_IsObject(v))
		jackson_value(out, v, 0);
	else if (cJSON_IsArray(v))
		smart_value(out, v);
	else if (cJSON_IsNumber(v) || cJSON_IsRaw(v))
		number(out, v, false);
	else if (cJSON_IsBool(v))
		strbuf_adds(out, cJSON_IsTrue(v) ? "true" : "false");
}
