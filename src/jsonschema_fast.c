/* SPDX-License-Identifier: MIT */
/* The fast check of a JSON text against a compiled schema: one pass over the text, no tree,
 * each value checked as it is read against the schema nodes in effect for it (a `$ref`
 * chain and `allOf` branches at once). The text is read exactly as json_parse reads it
 * (cJSON's grammar and its quirks); what the check does not decide is left to
 * json_parse + jsonschema_validate (-1). */
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "jsonschema.h"
#include "jsonschema_node.h"
#include "regex.h"
#include "util/numtext.h"
#include "util/xalloc.h"

/* For the few helpers each value goes through: a call costs as much as their work. */
#define HOT inline __attribute__((always_inline))

/* what each step answers: jsonschema_check_json's 0, 1 and -1 */
enum { BAD = 0, OK = 1, UNSURE = -1 };

/* Nodes in effect along the path from the root to the value being read, all levels
 * together; a schema that needs more (an allOf of allOfs many levels deep) is left to the
 * validator. */
#define FAST_MAX_ENTRIES 256
/* 64-bit words of "required property seen" bits, all open objects together */
#define FAST_MAX_WORDS 64
/* an unescaped string or member name up to this long (with its NUL) stays on the stack */
#define FAST_BUF 512

struct ent {
	const struct node *n;
	unsigned depth;            /* the validator's depth when it validates n here */
	/* while the value is an object: */
	size_t next;               /* the property to try first (after the last matched) */
	size_t found;              /* required names seen (distinct) */
	size_t bits;               /* where its seen bits start in struct fast's bits */
};

struct fast {
	const unsigned char *p, *end;
	size_t nent;               /* ent[0..nent) used */
	size_t nbits;              /* bits[0..nbits) used */
	size_t steps;              /* the validator's steps so far (one per node applied) */
	unsigned nest;             /* containers open, against cJSON's CJSON_NESTING_LIMIT */
	struct ent ent[FAST_MAX_ENTRIES];
	uint64_t bits[FAST_MAX_WORDS];
	char buf[FAST_BUF];
};

/* ---- reading the text as cJSON does ---------------------------------------------------- */

/* Between tokens cJSON skips every byte up to the space (NUL and other controls too). */
static inline void skip_ws(struct fast *f)
{
	const unsigned char *p = f->p, *end = f->end;
	while (p < end && *p <= ' ')
		p++;
	f->p = p;
}

/* The four hex digits at p (end bounds them), or -1 when they are not four hex digits. */
static long hex4(const unsigned char *p, const unsigned char *end)
{
	if (end - p < 4)
		return -1;
	long v = 0;
	for (int i = 0; i < 4; i++) {
		int d = numtext_digit_value((char)p[i]);
		if (d > 15)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/* Strings are scanned a 64-bit word at a time where its first byte is its lowest. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SWAR_OK 1
#else
#define SWAR_OK 0
#endif

/* Non-zero when one of the eight bytes of w is 0, and then its lowest set bit is in the
 * first such byte (the ones after it may be flagged wrongly). */
static inline uint64_t has_zero_byte(uint64_t w)
{
	return (w - 0x0101010101010101u) & ~w & 0x8080808080808080u;
}

/* A string token: its raw text between the quotes and what its value measures. */
struct str {
	const unsigned char *raw;
	size_t raw_len;
	size_t code_points;        /* of the unescaped value, as jsonschema.c counts them */
	bool escaped;              /* holds a backslash: the value differs from raw */
};

/* The string at f->p (its opening quote). cJSON copies any byte but a quote or a backslash
 * as it is (controls and invalid UTF-8 too). A raw NUL would end cJSON's value early:
 * where the value matters (value_matters), that is left to the validator. So is an
 * escape \u with other than four hex digits, which cJSON reads as a NUL (or refuses).
 * \u0000 is refused by json_parse. */
static HOT int scan_string(struct fast *f, struct str *s, bool value_matters)
{
	const unsigned char *p = f->p + 1, *end = f->end;
	size_t cps = 0;
	s->raw = p;
	s->escaped = false;
	for (;;) {
		/* up to the first quote, backslash, NUL or non-ASCII byte: sixteen bytes at a time
		 * where SSE2 is (every x86-64), then (or else) eight where a word's first byte is
		 * its lowest, the last few bytes of the text one by one */
		bool found = false;
#if defined(__SSE2__)
		const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'),
			      zero = _mm_setzero_si128();
		while (end - p >= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
			/* a byte's top bit: equal to one of the three, or non-ASCII itself */
			__m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
						   _mm_or_si128(_mm_cmpeq_epi8(v, zero), v));
			unsigned special = (unsigned)_mm_movemask_epi8(hit);
			size_t plain = special ? (size_t)__builtin_ctz(special) : 16;
			p += plain;
			cps += plain;
			if ((found = special))
				break;
		}
#endif
		while (SWAR_OK && !found && end - p >= 8) {
			uint64_t w;
			memcpy(&w, p, 8);
			uint64_t special = has_zero_byte(w ^ 0x2222222222222222u) |
					   has_zero_byte(w ^ 0x5C5C5C5C5C5C5C5Cu) | has_zero_byte(w) |
					   (w & 0x8080808080808080u);
			size_t plain = special ? (size_t)__builtin_ctzll(special) / 8 : 8;
			p += plain;
			cps += plain;
			if ((found = special))
				break;
		}
		if (p >= end)
			return BAD;
		unsigned char c = *p;
		if (c == '"')
			break;
		if (c != '\\') {
			if (!c && value_matters)
				return UNSURE;
			cps += (c & 0xC0) != 0x80;
			p++;
			continue;
		}
		s->escaped = true;
		if (end - p < 2)
			return BAD;
		switch (p[1]) {
		case 'b': case 'f': case 'n': case 'r': case 't': case '"': case '\\': case '/':
			p += 2;
			break;
		case 'u': {
			long cp = hex4(p + 2, end);
			if (cp < 0)
				return UNSURE;
			if (cp == 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
				return BAD;
			p += 6;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				/* the low half must follow: anything else, cJSON refuses */
				long lo = end - p >= 2 && p[0] == '\\' && p[1] == 'u' ? hex4(p + 2, end) : -1;
				if (lo < 0xDC00 || lo > 0xDFFF)
					return BAD;
				p += 6;
			}
			break;
		}
		default:
			return BAD;
		}
		cps++;
	}
	s->raw_len = (size_t)(p - s->raw);
	s->code_points = cps;
	f->p = p + 1;
	return OK;
}

static size_t put_utf8(char *out, unsigned long cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* The value of a string scan_string accepted, NUL-terminated, as cJSON builds it: into
 * f->buf, or when longer into *heap (the caller frees it). Returns its length. */
static size_t unescape(struct fast *f, const struct str *s, const char **out, char **heap)
{
	char *o = s->raw_len < sizeof f->buf ? f->buf : (*heap = xmalloc(s->raw_len + 1));
	*out = o;
	if (!s->escaped) {
		memcpy(o, s->raw, s->raw_len);
		o[s->raw_len] = '\0';
		return s->raw_len;
	}
	const unsigned char *p = s->raw, *end = s->raw + s->raw_len;
	size_t n = 0;
	while (p < end) {
		if (*p != '\\') {
			o[n++] = (char)*p++;
			continue;
		}
		char c = (char)p[1];
		switch (c) {
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		default: break;   /* '"', '\\', '/' stand for themselves */
		}
		if (p[1] != 'u') {
			o[n++] = c;
			p += 2;
			continue;
		}
		unsigned long cp = (unsigned long)hex4(p + 2, end);
		p += 6;
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			unsigned long lo = (unsigned long)hex4(p + 2, end);
			cp = 0x10000 + (((cp & 0x3FF) << 10) | (lo & 0x3FF));
			p += 6;
		}
		n += put_utf8(o + n, cp);
	}
	o[n] = '\0';
	return n;
}

static bool number_char(unsigned char c)
{
	return (c >= '0' && c <= '9') || c == '+' || c == '-' || c == 'e' || c == 'E' || c == '.';
}

/* scan_number's way for any number: strtod over the run, as cJSON. */
static __attribute__((noinline)) int scan_number_strtod(struct fast *f, double *out)
{
	const unsigned char *s = f->p, *q = s, *end = f->end;
	while (q < end && number_char(*q))
		q++;
	/* cJSON copied at most 63 characters before CVE-2023-26819's fix, all of them after */
	char buf[64];
	size_t len = (size_t)(q - s);
	if (len >= sizeof buf - 1)
		return UNSURE;
	memcpy(buf, s, len);
	buf[len] = '\0';
	/* cJSON reads a '.' as the locale's decimal point; strtod here would not */
	const struct lconv *lc = localeconv();
	if (memchr(buf, '.', len) && (lc->decimal_point[0] != '.' || lc->decimal_point[1]))
		return UNSURE;
	char *after;
	*out = strtod(buf, &after);
	if (after == buf)
		return BAD;
	f->p = s + (after - buf);
	return OK;
}

/* The number at f->p (a '-' or a digit) as cJSON reads it: the longest run of [0-9+-eE.],
 * read by strtod as far as strtod goes (so 01, 1. and -.5 are numbers, and 1.2.3 is 1.2
 * then junk). */
static HOT int scan_number(struct fast *f, double *out)
{
	static const double pow10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
					1e11, 1e12, 1e13, 1e14, 1e15 };
	const unsigned char *s = f->p, *q = s + (*s == '-'), *end = f->end;
	/* -?D+(.D+)? with at most 15 digits, ending the run: exact as an integer over a power
	 * of ten, and one division rounds it correctly, as strtod does */
	uint64_t m = 0;
	unsigned c;
	const unsigned char *first = q;
	while (q < end && (c = *q - (unsigned)'0') < 10) {
		m = m * 10 + c;
		q++;
	}
	size_t digits = (size_t)(q - first), frac = 0;
	if (digits && q < end && *q == '.') {
		const unsigned char *point = q++;
		while (q < end && (c = *q - (unsigned)'0') < 10) {
			m = m * 10 + c;
			q++;
		}
		frac = (size_t)(q - point - 1);
		digits += frac;
	}
	if (digits && digits <= 15 && q[-1] != '.' && (q == end || !number_char(*q)) && FLT_EVAL_METHOD == 0) {
		double d = frac ? (double)m / pow10[frac] : (double)m;
		*out = *s == '-' ? -d : d;
		f->p = q;
		return OK;
	}
	return scan_number_strtod(f, out);
}

/* cJSON's type of the literal at f->p (cJSON_NULL, cJSON_False, cJSON_True), or 0. */
static int scan_literal(struct fast *f)
{
	size_t left = (size_t)(f->end - f->p);
	if (left >= 4 && !memcmp(f->p, "null", 4)) {
		f->p += 4;
		return cJSON_NULL;
	}
	if (left >= 5 && !memcmp(f->p, "false", 5)) {
		f->p += 5;
		return cJSON_False;
	}
	if (left >= 4 && !memcmp(f->p, "true", 4)) {
		f->p += 4;
		return cJSON_True;
	}
	return 0;
}

/* A scalar whose value nothing checks. */
static int skip_scalar(struct fast *f)
{
	unsigned char c = *f->p;
	if (c == '"') {
		struct str s;
		return scan_string(f, &s, false);
	}
	if (c == '-' || (c >= '0' && c <= '9')) {
		double d;
		return scan_number(f, &d);
	}
	return scan_literal(f) ? OK : BAD;
}

/* A member's name and its colon, nothing checking it; f->p at the name. */
static int skip_name(struct fast *f)
{
	struct str s;
	if (f->p >= f->end || *f->p != '"')
		return BAD;
	int rc = scan_string(f, &s, false);
	if (rc != OK)
		return rc;
	skip_ws(f);
	if (f->p >= f->end || *f->p != ':')
		return BAD;
	f->p++;
	skip_ws(f);
	return OK;
}

/* A value nothing checks (any nesting, without recursion): only its syntax. */
static int skip_value(struct fast *f)
{
	if (f->p < f->end && *f->p != '{' && *f->p != '[')
		return skip_scalar(f);
	uint64_t is_object[(CJSON_NESTING_LIMIT + 63) / 64] = { 0 };
	unsigned depth = 0;
	int rc;
	for (;;) {
		/* a value starts at f->p */
		if (f->p >= f->end)
			return BAD;
		unsigned char c = *f->p;
		bool closed = false;
		if (c == '{' || c == '[') {
			if (f->nest >= CJSON_NESTING_LIMIT)
				return BAD;
			f->nest++;
			uint64_t bit = UINT64_C(1) << (depth % 64);
			is_object[depth / 64] = c == '{' ? is_object[depth / 64] | bit : is_object[depth / 64] & ~bit;
			depth++;
			f->p++;
			skip_ws(f);
			if (f->p < f->end && *f->p == (c == '{' ? '}' : ']')) {
				f->p++;
				f->nest--;
				depth--;
				closed = true;
			} else if (c == '{' && (rc = skip_name(f)) != OK) {
				return rc;
			}
			if (!closed)
				continue;
		} else if ((rc = skip_scalar(f)) != OK) {
			return rc;
		}
		/* after a value: close what ends here, up to the next value */
		for (;;) {
			if (!depth)
				return OK;
			bool obj = is_object[(depth - 1) / 64] >> ((depth - 1) % 64) & 1;
			skip_ws(f);
			if (f->p < f->end && *f->p == ',') {
				f->p++;
				skip_ws(f);
				if (obj && (rc = skip_name(f)) != OK)
					return rc;
				break;
			}
			if (f->p >= f->end || *f->p != (obj ? '}' : ']'))
				return BAD;
			f->p++;
			f->nest--;
			depth--;
		}
	}
}

/* ---- the nodes in effect ----------------------------------------------------------------- */

static inline bool push(struct fast *f, const struct node *n, unsigned depth)
{
	if (f->nent == FAST_MAX_ENTRIES)
		return false;
	struct ent *e = &f->ent[f->nent++];
	e->n = n;
	e->depth = depth;
	return true;
}

/* The validator's step for one node applied at depth: what it refuses (too deep, too
 * many steps) is left to it. */
static inline bool step(struct fast *f, unsigned depth)
{
	return depth < JSONSCHEMA_MAX_DEPTH && ++f->steps <= JSONSCHEMA_MAX_STEPS;
}

/* ent[base..nent) as the validator applies them to one value: each with its `$ref` chain
 * and `allOf` branches (one validator step and level each), those that ask nothing
 * dropped. */
static int expand_all(struct fast *f, size_t base)
{
	bool inert = false;
	for (size_t i = base; i < f->nent; i++) {
		const struct node *n = f->ent[i].n;
		unsigned depth = f->ent[i].depth;
		inert |= n->fast & NODE_INERT;
		if (!step(f, depth))
			return UNSURE;   /* the validator reports these; rare enough to leave it */
		if (n->fast & NODE_UNDECIDED)
			return UNSURE;
		if (n->never)
			return BAD;
		if (n->ref && !push(f, n->ref, depth + 1))
			return UNSURE;
		for (size_t k = 0; k < n->all_of.n; k++)
			if (!push(f, n->all_of.v[k], depth + 1))
				return UNSURE;
	}
	if (!inert)
		return OK;
	size_t kept = base;
	for (size_t i = base; i < f->nent; i++) {
		if (f->ent[i].n->fast & NODE_INERT)
			continue;
		if (kept != i)
			f->ent[kept] = f->ent[i];
		kept++;
	}
	f->nent = kept;
	return OK;
}

/* expand_all, and first the usual case: one node, which brings in no other */
static inline int expand(struct fast *f, size_t base)
{
	if (f->nent == base + 1 && (f->ent[base].n->fast & NODE_ALONE))
		return step(f, f->ent[base].depth) ? OK : UNSURE;
	return expand_all(f, base);
}

/* ---- values ------------------------------------------------------------------------------ */

static int value(struct fast *f, size_t base);
static int child_value(struct fast *f, const struct node *n, unsigned depth);

/* enum and const against an array or object (cJSON type kind): equal only to one of its
 * kind, which is left to the validator. */
static int container_enum(const struct node *n, int kind)
{
	if (n->enum_values) {
		for (const cJSON *e = n->enum_values->child; e; e = e->next)
			if ((e->type & 0xFF) == kind)
				return UNSURE;
		return BAD;
	}
	if (n->const_value)
		return (n->const_value->type & 0xFF) == kind ? UNSURE : BAD;
	return OK;
}

static void see(struct fast *f, struct ent *e, size_t bit)
{
	uint64_t *w = &f->bits[e->bits + bit / 64], m = UINT64_C(1) << (bit % 64);
	if (!(*w & m)) {
		*w |= m;
		e->found++;
	}
}

/* Whether a[0..len) and b[0..len) are the same bytes (names are short: no call, and
 * words that overlap rather than a loop over the last bytes). */
static inline bool same_bytes(const char *a, const unsigned char *b, size_t len)
{
	if (len >= 8) {
		uint64_t x, y;
		for (size_t i = 0; i + 8 < len; i += 8) {
			memcpy(&x, a + i, 8);
			memcpy(&y, b + i, 8);
			if (x != y)
				return false;
		}
		memcpy(&x, a + len - 8, 8);
		memcpy(&y, b + len - 8, 8);
		return x == y;
	}
	if (len >= 4) {
		uint32_t x0, y0, x1, y1;
		memcpy(&x0, a, 4);
		memcpy(&y0, b, 4);
		memcpy(&x1, a + len - 4, 4);
		memcpy(&y1, b + len - 4, 4);
		return x0 == y0 && x1 == y1;
	}
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)a[i] != b[i])
			return false;
	return true;
}

/* Whether the member name at f->p (its opening quote) is written exactly as property p's
 * name: without escapes, the same bytes, then the closing quote. */
static inline bool written_as(const struct fast *f, const struct prop *p)
{
	return p->plain && (size_t)(f->end - f->p) >= p->len + 2 && f->p[p->len + 1] == '"' &&
	       same_bytes(p->name, f->p + 1, p->len);
}

/* Whether the text at f->p starts with property p's head ('"' name '"' ':', see struct
 * prop): the usual way a member is written, in two word compares. Needs 16 bytes of text
 * (else false, and the caller's slower ways decide). */
static inline bool written_head(const struct fast *f, const struct prop *p)
{
	if (f->end - f->p < 16)
		return false;
	uint64_t w0, w1, h0, h1, m0, m1;
	memcpy(&w0, f->p, 8);
	memcpy(&w1, f->p + 8, 8);
	memcpy(&h0, p->head, 8);
	memcpy(&h1, p->head + 8, 8);
	memcpy(&m0, p->head_mask, 8);
	memcpy(&m1, p->head_mask + 8, 8);
	return !(((w0 ^ h0) & m0) | ((w1 ^ h1) & m1));
}

/* The required names that are no property of e's node equal to name[0..len): seen. */
static void see_other(struct fast *f, struct ent *e, const char *name, size_t len)
{
	const struct node *n = e->n;
	for (size_t k = 0; k < n->nreq_other; k++)
		if (!strncmp(n->req_other[k], name, len) && !n->req_other[k][len])
			see(f, e, n->nprops + k);
}

/* Whether the member name at f->p (its opening quote) is written exactly as the property the
 * first object node with properties, ent[*at], expects next (bodies mostly list members in
 * the schema's order): then it needs no scanning, unescaping or looking up. Sets *at and
 * *k, and moves f->p past the name. */
static bool expected_name(struct fast *f, size_t base, size_t top, size_t *at, size_t *k)
{
	for (size_t i = base; i < top; i++) {
		const struct ent *e = &f->ent[i];
		const struct node *n = e->n;
		if (!n->nprops)
			continue;
		if (n->props_dup || e->next >= n->nprops)
			return false;
		const struct prop *p = &n->props[e->next];
		if (!written_as(f, p))
			return false;
		*at = i;
		*k = e->next;
		f->p += p->len + 2;
		return true;
	}
	return false;
}

/* The member name[0..len) against the objects' nodes ent[base..top): the schemas of its
 * value pushed, the required names it is counted. ent[at]'s node (if at < top) is known to
 * have it as its property k. */
static int match_member(struct fast *f, size_t base, size_t top, const char *name, size_t len, size_t at,
			size_t known)
{
	for (size_t i = base; i < top; i++) {
		struct ent *e = &f->ent[i];
		const struct node *n = e->n;
		bool matched = false;
		if (!n->props_dup) {
			size_t k = i == at ? (e->next = known + 1, known)
			       : n->nprops ? jsonschema_node_find_prop(n, name, len, &e->next) : NODE_NO_PROP;
			if (k != NODE_NO_PROP) {
				matched = true;
				if (!push(f, n->props[k].schema, e->depth + 1))
					return UNSURE;
				if (n->props[k].required)
					see(f, e, k);
			}
		} else {
			for (size_t k = 0; k < n->nprops; k++) {
				if (n->props[k].len != len || memcmp(n->props[k].name, name, len))
					continue;
				matched = true;
				if (!push(f, n->props[k].schema, e->depth + 1))
					return UNSURE;
				if (n->props[k].required)
					see(f, e, k);
			}
		}
		if (matched)
			continue;
		if (n->no_additional)
			return BAD;
		if (n->additional && !push(f, n->additional, e->depth + 1))
			return UNSURE;
		see_other(f, e, name, len);
	}
	return OK;
}

/* After a member or an item: a ',' and more to come, or close and the end (*more false);
 * false for anything else. */
static inline bool next_member(struct fast *f, char close, bool *more)
{
	/* most often written "," or ", " before the next one */
	const unsigned char *p = f->p;
	if (f->end - p >= 3 && p[0] == ',') {
		p += 1 + (p[1] == ' ');
		if (*p > ' ') {
			f->p = p;
			return true;
		}
	}
	skip_ws(f);
	if (f->p < f->end && *f->p == ',') {
		f->p++;
		skip_ws(f);
		return true;
	}
	if (f->p < f->end && *f->p == close) {
		f->p++;
		*more = false;
		return true;
	}
	return false;
}

/* A member's name that was not the expected one, at f->p (its opening quote): *name and
 * *len get its value, in the text or (escaped) in f->buf or *heap (the caller frees it). */
static int read_name(struct fast *f, const char **name, size_t *len, char **heap)
{
	struct str key;
	int rc = scan_string(f, &key, true);
	if (rc != OK)
		return rc;
	*name = (const char *)key.raw;
	*len = key.raw_len;
	if (key.escaped)
		*len = unescape(f, &key, name, heap);
	return OK;
}

/* The ':' after a member's name, with the white space around it. */
static inline bool colon(struct fast *f)
{
	/* most often written ":" or ": " before the value */
	const unsigned char *p = f->p;
	if (f->end - p >= 3 && p[0] == ':' && (p[1] > ' ' || (p[1] == ' ' && p[2] > ' '))) {
		f->p = p + 1 + (p[1] == ' ');
		return true;
	}
	skip_ws(f);
	if (f->p >= f->end || *f->p != ':')
		return false;
	f->p++;
	skip_ws(f);
	return true;
}

/* A member of an object that one node alone checks (ent[e]), whose name is not the one
 * expected next, at f->p (the name's opening quote): its name read and looked up, and the
 * colon. *child gets the schema of its value (NULL: nothing checks it). */
static __attribute__((noinline)) int other_member(struct fast *f, struct ent *e, const struct node **child)
{
	const struct node *n = e->n;
	const char *name = NULL;
	size_t len = 0;
	char *heap = NULL;
	int rc = read_name(f, &name, &len, &heap);
	if (rc != OK)
		return rc;
	size_t k = n->nprops ? jsonschema_node_find_prop(n, name, len, &e->next) : NODE_NO_PROP;
	*child = NULL;
	rc = colon(f) ? OK : BAD;
	if (rc == OK && k != NODE_NO_PROP) {
		*child = n->props[k].schema;
		if (n->props[k].required)
			see(f, e, k);
	} else if (rc == OK && n->no_additional) {
		rc = BAD;
	} else if (rc == OK) {
		*child = n->additional;
		see_other(f, e, name, len);
	}
	if (heap)
		free(heap);
	return rc;
}

/* One member of an object that one node alone checks (ent[base], no two properties of one
 * name), at f->p (the name's opening quote): match_member's work for that one node,
 * without its loops, then the value. */
static int member_alone(struct fast *f, size_t base)
{
	struct ent *e = &f->ent[base];
	const struct node *n = e->n, *child;
	if (e->next < n->nprops && written_head(f, &n->props[e->next])) {
		/* the name and the colon at once: then the white space before the value */
		const struct prop *p = &n->props[e->next++];
		const unsigned char *q = f->p + p->len + 3, *end = f->end;
		while (q < end && *q <= ' ')
			q++;
		f->p = q;
		if (p->required)
			see(f, e, (size_t)(p - n->props));
		child = p->schema;
	} else if (e->next < n->nprops && written_as(f, &n->props[e->next])) {
		const struct prop *p = &n->props[e->next++];
		f->p += p->len + 2;
		if (!colon(f))
			return BAD;
		if (p->required)
			see(f, e, (size_t)(p - n->props));
		child = p->schema;
	} else {
		int rc = other_member(f, e, &child);
		if (rc != OK)
			return rc;
	}
	return child ? child_value(f, child, e->depth + 1) : skip_value(f);
}

static int object(struct fast *f, size_t base)
{
	size_t top = f->nent, bits = f->nbits, count = 0;
	int rc;
	for (size_t i = base; i < top; i++) {
		struct ent *e = &f->ent[i];
		const struct node *n = e->n;
		if (n->types && !(n->types & T_OBJECT))
			return BAD;
		if ((rc = container_enum(n, cJSON_Object)) != OK)
			return rc;
		e->next = e->found = 0;
		if (n->nreq_props || n->nreq_other) {
			size_t words = (n->nprops + n->nreq_other + 63) / 64;
			if (words > FAST_MAX_WORDS - f->nbits)
				return UNSURE;
			e->bits = f->nbits;
			if (words == 1)   /* the usual case, without a call */
				f->bits[f->nbits] = 0;
			else
				memset(&f->bits[f->nbits], 0, words * sizeof *f->bits);
			f->nbits += words;
		}
	}
	if (f->nest >= CJSON_NESTING_LIMIT)
		return BAD;
	f->nest++;
	f->p++;
	skip_ws(f);
	bool more = f->p >= f->end || *f->p != '}';
	if (!more)
		f->p++;
	bool alone = top == base + 1 && !f->ent[base].n->props_dup;
	while (more) {
		if (f->p >= f->end || *f->p != '"')
			return BAD;
		count++;
		if (alone) {
			if ((rc = member_alone(f, base)) != OK)
				return rc;
			if (!next_member(f, '}', &more))
				return BAD;
			continue;
		}
		size_t at = top, k = NODE_NO_PROP;
		const char *name = NULL;
		size_t len = 0;
		char *heap = NULL;
		if (expected_name(f, base, top, &at, &k)) {
			name = f->ent[at].n->props[k].name;
			len = f->ent[at].n->props[k].len;
		} else if ((rc = read_name(f, &name, &len, &heap)) != OK) {
			return rc;
		}
		if (!colon(f)) {
			if (heap)
				free(heap);
			return BAD;
		}
		size_t child = f->nent;
		rc = match_member(f, base, top, name, len, at, k);
		if (heap)
			free(heap);
		if (rc != OK)
			return rc;
		rc = f->nent > child ? value(f, child) : skip_value(f);
		f->nent = child;
		if (rc != OK)
			return rc;
		if (!next_member(f, '}', &more))
			return BAD;
	}
	f->nest--;
	for (size_t i = base; i < top; i++) {
		const struct ent *e = &f->ent[i];
		const struct node *n = e->n;
		if ((n->min_props >= 0 && count < (size_t)n->min_props) ||
		    (n->max_props >= 0 && count > (size_t)n->max_props) ||
		    e->found < n->nreq_props + n->nreq_other)
			return BAD;
	}
	f->nbits = bits;
	return OK;
}

static int array(struct fast *f, size_t base)
{
	size_t top = f->nent, count = 0;
	int rc;
	for (size_t i = base; i < top; i++) {
		const struct node *n = f->ent[i].n;
		if (n->types && !(n->types & T_ARRAY))
			return BAD;
		if ((rc = container_enum(n, cJSON_Array)) != OK)
			return rc;
	}
	if (f->nest >= CJSON_NESTING_LIMIT)
		return BAD;
	f->nest++;
	f->p++;
	skip_ws(f);
	bool more = f->p >= f->end || *f->p != ']';
	if (!more)
		f->p++;
	/* the usual case: one node, whose items are one node */
	const struct node *items = top == base + 1 ? f->ent[base].n->items : NULL;
	while (more) {
		if (items) {
			rc = child_value(f, items, f->ent[base].depth + 1);
		} else {
			size_t child = f->nent;
			for (size_t i = base; i < top; i++)
				if (f->ent[i].n->items && !push(f, f->ent[i].n->items, f->ent[i].depth + 1))
					return UNSURE;
			rc = f->nent > child ? value(f, child) : skip_value(f);
			f->nent = child;
		}
		if (rc != OK)
			return rc;
		count++;
		if (!next_member(f, ']', &more))
			return BAD;
	}
	f->nest--;
	for (size_t i = base; i < top; i++) {
		const struct node *n = f->ent[i].n;
		if ((n->min_items >= 0 && count < (size_t)n->min_items) ||
		    (n->max_items >= 0 && count > (size_t)n->max_items))
			return BAD;
	}
	return OK;
}

/* Whether cJSON's equal (jsonschema.c) holds between v and a string holding s[0..len)
 * (which holds no NUL). Inline: an enum's values are compared on every request. */
static inline bool equals_string(const cJSON *v, const char *s, size_t len)
{
	if ((v->type & 0xFF) != cJSON_String || !v->valuestring)
		return false;
	const char *a = v->valuestring;
	for (size_t i = 0; i < len; i++)   /* a's NUL differs from any byte of s */
		if (a[i] != s[i])
			return false;
	return !a[len];
}

/* Whether the string text[0..len) (s as scanned) meets node n, its type aside. */
static HOT bool string_ok(const struct node *n, const struct str *s, const char *text, size_t len)
{
	if ((n->min_length >= 0 && s->code_points < (size_t)n->min_length) ||
	    (n->max_length >= 0 && s->code_points > (size_t)n->max_length) ||
	    (n->pattern && !regex_match(n->pattern, text, len)) ||
	    (n->format > FMT_DOUBLE && !jsonschema_format_string(n->format, text, len)) ||
	    (n->const_value && !equals_string(n->const_value, text, len)))
		return false;
	if (!n->enum_values)
		return true;
	const cJSON *e = n->enum_values->child;
	while (e && !equals_string(e, text, len))
		e = e->next;
	return e;
}

/* Scalars are checked against the nodes e[0..count), expanded: in f->ent, or one node
 * outside it (child_value). */

static HOT int string(struct fast *f, const struct ent *e, size_t count)
{
	struct str s;
	int rc = scan_string(f, &s, true);
	if (rc != OK)
		return rc;
	bool checks = false;
	for (size_t i = 0; i < count; i++) {
		const struct node *n = e[i].n;
		if (n->types && !(n->types & T_STRING))
			return BAD;
		checks |= n->fast & NODE_STR_CHECKS;
	}
	if (!checks)
		return OK;
	/* the checks read the value: as written unless it has escapes (a raw NUL was left to
	 * the validator by scan_string) */
	const char *text = (const char *)s.raw;
	size_t len = s.raw_len;
	char *heap = NULL;
	if (s.escaped)
		len = unescape(f, &s, &text, &heap);
	rc = OK;
	for (size_t i = 0; i < count && rc == OK; i++)
		rc = string_ok(e[i].n, &s, text, len) ? OK : BAD;
	if (heap)
		free(heap);
	return rc;
}

/* Whether cJSON's equal (jsonschema.c) holds between v and a number d. */
static bool equals_number(const cJSON *v, double d)
{
	double x;
	return jsonschema_number_of(v, &x) && x == d;
}

static HOT int number(struct fast *f, const struct ent *e, size_t count)
{
	double d;
	int rc = scan_number(f, &d);
	if (rc != OK)
		return rc;
	/* as isfinite(d) && d == floor(d), without a call: from 2^53 on every double is whole */
	bool whole = fabs(d) < 9007199254740992.0 ? d == (double)(long long)d : isfinite(d);
	unsigned t = whole ? T_INTEGER | T_NUMBER : T_NUMBER;
	for (size_t i = 0; i < count; i++) {
		const struct node *n = e[i].n;
		if ((n->types && !(n->types & t)) || node_below_min(n, d) || node_above_max(n, d) ||
		    node_not_multiple(n, d) ||
		    (n->format && n->format <= FMT_DOUBLE && !jsonschema_format_number(n->format, d)) ||
		    (n->const_value && !equals_number(n->const_value, d)))
			return BAD;
		if (n->enum_values) {
			const cJSON *v = n->enum_values->child;
			while (v && !equals_number(v, d))
				v = v->next;
			if (!v)
				return BAD;
		}
	}
	return OK;
}

static int literal(struct fast *f, const struct ent *e, size_t count)
{
	int kind = scan_literal(f);
	if (!kind)
		return BAD;
	unsigned t = kind == cJSON_NULL ? T_NULL : T_BOOLEAN;
	for (size_t i = 0; i < count; i++) {
		const struct node *n = e[i].n;
		if ((n->types && !(n->types & t)) ||
		    (n->const_value && (n->const_value->type & 0xFF) != kind))
			return BAD;
		if (n->enum_values) {
			const cJSON *v = n->enum_values->child;
			while (v && (v->type & 0xFF) != kind)
				v = v->next;
			if (!v)
				return BAD;
		}
	}
	return OK;
}

/* The scalar at f->p (f->p < f->end) against e[0..count), expanded. */
static HOT int scalar(struct fast *f, const struct ent *e, size_t count)
{
	switch (*f->p) {
	case '"': return string(f, e, count);
	case 'n': case 't': case 'f': return literal(f, e, count);
	case '-': case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
	case '8': case '9': return number(f, e, count);
	default: return BAD;
	}
}

/* The scalar at f->p against ent[base..nent), expanded: not the usual case, one copy of
 * scalar's code for it. */
static __attribute__((noinline)) int scalars(struct fast *f, size_t base)
{
	return scalar(f, &f->ent[base], f->nent - base);
}

/* The value at f->p against ent[base..nent), which are not expanded yet. */
static int value(struct fast *f, size_t base)
{
	int rc = expand(f, base);
	if (rc != OK)
		return rc;
	if (f->nent == base)
		return skip_value(f);
	if (f->p >= f->end)
		return BAD;
	switch (*f->p) {
	case '{': return object(f, base);
	case '[': return array(f, base);
	default: return scalars(f, base);
	}
}

/* The value at f->p (a member's or an item's) against node n applied at depth. The usual
 * case, a scalar and a node in effect by itself, is checked without the entry list: most
 * values of a body are that. */
static HOT int child_value(struct fast *f, const struct node *n, unsigned depth)
{
	if ((n->fast & NODE_ALONE) && f->p < f->end && *f->p != '{' && *f->p != '[') {
		if (!step(f, depth))
			return UNSURE;
		struct ent one;
		one.n = n;   /* all a scalar reads */
		return scalar(f, &one, 1);
	}
	size_t base = f->nent;
	if (!push(f, n, depth))
		return UNSURE;
	int rc = value(f, base);
	f->nent = base;
	return rc;
}

int jsonschema_check_json(const struct jsonschema *s, const char *text, size_t len)
{
	if (!s)
		return UNSURE;
	if (!text || !len)
		return BAD;
	struct fast f;
	f.p = (const unsigned char *)text;
	f.end = f.p + len;
	f.nbits = f.steps = 0;
	f.nest = 0;
	/* cJSON skips a UTF-8 byte order mark (in a text of 5 bytes or more) */
	if (len >= 5 && !memcmp(text, "\xEF\xBB\xBF", 3))
		f.p += 3;
	skip_ws(&f);
	f.nent = 0;
	push(&f, s->root, 0);
	int rc = value(&f, 0);
	if (rc != OK)
		return rc;
	/* after the value, json_parse allows the four JSON white space characters only */
	while (f.p < f.end && (*f.p == ' ' || *f.p == '\t' || *f.p == '\n' || *f.p == '\r'))
		f.p++;
	return f.p == f.end ? OK : BAD;
}
