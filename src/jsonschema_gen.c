/* SPDX-License-Identifier: MIT */
/* Instances built from compiled schemas (jsonschema_node.h): every schema a value must
 * satisfy (its `$ref`s, `allOf` branches and one chosen branch of each `oneOf`/`anyOf`) is
 * gathered into one flat set, a value is built to all of their keywords at once, and what
 * was built is checked against the schemas it had to satisfy; a miss tries other choices. */
#include "jsonschema_gen.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonschema.h"
#include "jsonschema_node.h"
#include "regex.h"
#include "util/base64.h"
#include "util/hmap.h"
#include "util/numtext.h"
#include "util/rng.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* ---- limits --------------------------------------------------------------------------- */

/* Most schemas one value gathers (its refs, allOf branches, chosen branches). */
#define MAX_FLAT 64
/* Most discriminator values one object is told to carry. */
#define MAX_FORCED 8
/* Deepest instance built: a required recursive member cannot force more, and the validator
 * (JSONSCHEMA_MAX_DEPTH schemas deep, several per instance level) can still check it. */
#define HARD_DEPTH 64
/* Tries at one value with other choices (fewer once recursion is being wound down). */
#define MAX_ATTEMPTS 8
#define MINIMAL_ATTEMPTS 4
/* Work for one call, retries included: values built and schemas entered, and steps of the
 * validations that check them. A schema that cannot be satisfied costs at most this. */
#define WORK_BUDGET (16 * (size_t)JSONSCHEMA_GEN_MAX_VALUES)
#define STEP_BUDGET (8 * (size_t)JSONSCHEMA_MAX_STEPS)
/* Longest string built (code points), and most extra repetitions a pattern is stretched. */
#define MAX_STRING 65536
#define PATTERN_TRIES 48
/* Largest integer a double holds exactly: random integers stay inside. */
#define SAFE_INT 9007199254740992.0

struct gen {
	enum jsonschema_gen_mode mode;
	bool request;
	struct rng *rng;
	size_t work;        /* values built and schemas entered, over all attempts */
	size_t steps;       /* validation steps, over all attempts */
	size_t made;        /* values built in this attempt at the whole instance */
	bool exhausted;     /* a budget is spent: every call gives up */
	const struct node *path[HARD_DEPTH + 1];   /* the schema entered at each level (a $ref:
						    * its target), for recursion */
};

/* Where a value is built. */
struct ctx {
	unsigned depth;     /* instance nesting: 0 for the root */
	unsigned rec;       /* most times one schema occurs on the path here */
	bool vary;          /* example mode retrying: draw values instead of the canonical ones */
	bool minimal;       /* recursion deep enough (or the budget half spent): the smallest
			     * valid form, optional members left out */
};

static uint64_t below(struct gen *g, uint64_t n)
{
	return rng_below(g->rng, n);
}

static bool drawing(const struct gen *g, const struct ctx *c)
{
	return g->mode == JSONSCHEMA_GEN_DYNAMIC || c->vary;
}

static cJSON *made(struct gen *g, cJSON *v)
{
	g->made++;
	g->work++;
	return json_check(v);
}

static size_t count_values(const cJSON *v)
{
	size_t n = 1;
	for (const cJSON *e = v->child; e; e = e->next)
		n += count_values(e);
	return n;
}

/* A copy of a schema's value (an example, an enum member) to hand out. */
static cJSON *copy_value(struct gen *g, const cJSON *v)
{
	cJSON *c = json_check(cJSON_Duplicate(v, true));
	if (c->string && !(c->type & cJSON_StringIsConst))
		cJSON_free(c->string);
	c->string = NULL;
	c->type &= ~cJSON_StringIsConst;
	size_t n = count_values(c);
	g->made += n;
	g->work += n;
	return c;
}

static size_t code_points(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* ---- a sampler for regular expressions ------------------------------------------------ */

/*
 * `pattern` is searched for anywhere in a string (regex_compile_search), so any string
 * the whole pattern matches will do. The pattern is parsed into a small tree (the subset
 * real specs use: literals, escapes, classes, `.`, groups, alternation, quantifiers,
 * anchors; lookarounds and word boundaries are skipped) and sampled; the compiled regex
 * has the last word, so what this gets wrong only costs another draw.
 */

enum rk { RK_NOTHING, RK_LIT, RK_SET, RK_SEQ, RK_ALT, RK_REP, RK_GROUP, RK_BACKREF };

#define RX_NONE ((size_t)-1)
#define RX_MAX_REPEAT 10000

struct range {
	uint32_t lo, hi;
};

struct rnode {
	enum rk kind;
	size_t child, last, next;   /* first and last child, next sibling: indexes or RX_NONE */
	uint32_t cp;                /* RK_LIT */
	size_t range0, nranges;     /* RK_SET: x->r[range0 .. range0 + nranges) */
	bool negated;               /* RK_SET */
	long min, max;              /* RK_REP; max -1: unbounded */
	unsigned group;             /* RK_GROUP, RK_BACKREF */
};

struct rx {
	struct rnode *v;
	size_t n, cap;
	struct range *r;
	size_t nr, rcap;
	unsigned ngroups;
	size_t root;
	const char *p, *start;
	unsigned depth;
	bool bad;                   /* malformed or not in the subset: no samples */
	bool quoted;                /* inside \Q...\E: every character is itself */
	bool anchored_end;          /* ends with `$`: nothing may be appended */
};

static size_t rx_node(struct rx *x, enum rk kind)
{
	if (x->n == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 32;
		x->v = xrealloc(x->v, x->cap * sizeof *x->v);
	}
	x->v[x->n] = (struct rnode){ .kind = kind, .child = RX_NONE, .last = RX_NONE,
				     .next = RX_NONE };
	return x->n++;
}

static void rx_link(struct rx *x, size_t parent, size_t child)
{
	if (x->v[parent].last == RX_NONE)
		x->v[parent].child = child;
	else
		x->v[x->v[parent].last].next = child;
	x->v[parent].last = child;
}

static void rx_range(struct rx *x, uint32_t lo, uint32_t hi)
{
	if (x->nr == x->rcap) {
		x->rcap = x->rcap ? 2 * x->rcap : 32;
		x->r = xrealloc(x->r, x->rcap * sizeof *x->r);
	}
	x->r[x->nr++] = (struct range){ lo, hi };
}

static bool in_ranges(const struct range *r, size_t n, uint32_t cp)
{
	for (size_t i = 0; i < n; i++)
		if (cp >= r[i].lo && cp <= r[i].hi)
			return true;
	return false;
}

/* Adds the printable ASCII characters not in r[0..n) (a negated escape inside a class). */
static void rx_complement(struct rx *x, const struct range *r, size_t n)
{
	struct range copy[8];
	size_t m = n < 8 ? n : 8;
	memcpy(copy, r, m * sizeof *r);
	for (uint32_t c = 0x20; c <= 0x7e; c++) {
		if (in_ranges(copy, m, c))
			continue;
		uint32_t e = c;
		while (e + 1 <= 0x7e && !in_ranges(copy, m, e + 1))
			e++;
		rx_range(x, c, e);
		c = e;
	}
}

/* The ranges of a class escape (\d \w \s \h \v and their negations); false for others. */
static bool class_escape(char c, struct range *out, size_t *n, bool *negated)
{
	static const struct range digit[] = { { '0', '9' } };
	static const struct range word[] = { { 'a', 'z' }, { 'A', 'Z' }, { '0', '9' }, { '_', '_' } };
	static const struct range space[] = { { ' ', ' ' }, { '\t', '\r' } };
	static const struct range hspace[] = { { ' ', ' ' }, { '\t', '\t' } };
	static const struct range vspace[] = { { '\n', '\r' } };
	const struct range *r;
	size_t k;
	switch (c | 0x20) {
	case 'd': r = digit; k = 1; break;
	case 'w': r = word; k = 4; break;
	case 's': r = space; k = 2; break;
	case 'h': r = hspace; k = 2; break;
	case 'v': r = vspace; k = 1; break;
	default: return false;
	}
	memcpy(out, r, k * sizeof *r);
	*n = k;
	*negated = c >= 'A' && c <= 'Z';
	return true;
}

/* Unicode properties as ASCII stand-ins: \p{L} letters, \p{N} digits... */
static bool property_escape(struct rx *x, struct range *out, size_t *n)
{
	char name[32];
	size_t len = 0;
	if (*x->p == '{') {
		x->p++;
		if (*x->p == '^')
			x->p++;   /* \p{^L}: treated as \p{L}; the regex decides */
		while (*x->p && *x->p != '}' && len < sizeof name - 1)
			name[len++] = *x->p++;
		if (*x->p != '}')
			return false;
		x->p++;
	} else if (*x->p) {
		name[len++] = *x->p++;
	}
	name[len] = '\0';
	*n = 0;
	if (!strcmp(name, "Lu") || !strcmp(name, "Lt")) {
		out[(*n)++] = (struct range){ 'A', 'Z' };
	} else if (!strcmp(name, "Ll")) {
		out[(*n)++] = (struct range){ 'a', 'z' };
	} else if (name[0] == 'L' || !strcmp(name, "Latin") || !strcmp(name, "Alphabetic")) {
		out[(*n)++] = (struct range){ 'a', 'z' };
		out[(*n)++] = (struct range){ 'A', 'Z' };
	} else if (name[0] == 'N') {
		out[(*n)++] = (struct range){ '0', '9' };
	} else if (name[0] == 'Z') {
		out[(*n)++] = (struct range){ ' ', ' ' };
	} else if (name[0] == 'P') {
		out[(*n)++] = (struct range){ '!', '#' };
		out[(*n)++] = (struct range){ '%', '*' };
		out[(*n)++] = (struct range){ ',', '/' };
	} else if (name[0] == 'S') {
		out[(*n)++] = (struct range){ '$', '$' };
		out[(*n)++] = (struct range){ '+', '+' };
		out[(*n)++] = (struct range){ '<', '>' };
	} else {
		return false;
	}
	return true;
}

/* Hex digits, at most max of them (or up to '}' after '{'). */
static bool hex_code(struct rx *x, int max, uint32_t *cp)
{
	bool brace = *x->p == '{';
	x->p += brace;
	uint32_t v = 0;
	int n = 0;
	while ((brace || n < max) && numtext_digit_value(*x->p) < 16 && v <= 0x10FFFF) {
		v = v * 16 + (uint32_t)numtext_digit_value(*x->p++);
		n++;
	}
	if (brace && *x->p++ != '}')
		return false;
	*cp = v;
	return n > 0 && v <= 0x10FFFF;
}

enum esc { ESC_CP, ESC_SET, ESC_ASSERT, ESC_BACKREF, ESC_BAD };

/* One escape after the backslash (x->p at the letter): a code point, a set of ranges
 * (*negated for \D \W \S...), an assertion, or a back reference. */
static enum esc parse_escape(struct rx *x, bool in_class, uint32_t *cp, struct range *set,
			     size_t *nset, bool *negated)
{
	char c = *x->p;
	if (!c)
		return ESC_BAD;
	x->p++;
	if (class_escape(c, set, nset, negated))
		return ESC_SET;
	switch (c) {
	case 'p':
	case 'P':
		*negated = c == 'P';
		return property_escape(x, set, nset) ? ESC_SET : ESC_BAD;
	case 'N':
		set[0] = (struct range){ '\n', '\n' };
		*nset = 1;
		*negated = true;
		return ESC_SET;
	case 'b':
		if (in_class) {
			*cp = '\b';
			return ESC_CP;
		}
		return ESC_ASSERT;
	case 'B': case 'A': case 'z': case 'Z': case 'G': case 'K':
		return in_class ? ESC_BAD : ESC_ASSERT;
	case 'n': *cp = '\n'; return ESC_CP;
	case 't': *cp = '\t'; return ESC_CP;
	case 'r': *cp = '\r'; return ESC_CP;
	case 'f': *cp = '\f'; return ESC_CP;
	case 'e': *cp = 0x1b; return ESC_CP;
	case 'a': *cp = 0x07; return ESC_CP;
	case 'R': *cp = '\n'; return ESC_CP;
	case 'x': return hex_code(x, 2, cp) ? ESC_CP : ESC_BAD;
	case 'u': return hex_code(x, 4, cp) ? ESC_CP : ESC_BAD;
	case 'c':
		if (!*x->p)
			return ESC_BAD;
		*cp = (uint32_t)(*x->p++ & 0x1f);
		return ESC_CP;
	case 'o': {
		if (*x->p != '{')
			return ESC_BAD;
		uint32_t v = 0;
		for (x->p++; *x->p >= '0' && *x->p <= '7' && v <= 0x10FFFF; x->p++)
			v = v * 8 + (uint32_t)(*x->p - '0');
		if (*x->p++ != '}')
			return ESC_BAD;
		*cp = v;
		return v <= 0x10FFFF ? ESC_CP : ESC_BAD;
	}
	case 'g': {
		/* \g1, \g{1}; relative and named references are not sampled */
		bool brace = *x->p == '{';
		x->p += brace;
		if (in_class || !(*x->p >= '1' && *x->p <= '9'))
			return ESC_BAD;
		unsigned n = 0;
		while (*x->p >= '0' && *x->p <= '9' && n < 1000)
			n = n * 10 + (unsigned)(*x->p++ - '0');
		if (brace && *x->p++ != '}')
			return ESC_BAD;
		*cp = n;
		return ESC_BACKREF;
	}
	default:
		break;
	}
	if (c == '0' || (in_class && c >= '1' && c <= '7')) {
		uint32_t v = (uint32_t)(c - '0');
		for (int i = 0; i < 2 && *x->p >= '0' && *x->p <= '7'; i++)
			v = v * 8 + (uint32_t)(*x->p++ - '0');
		*cp = v;
		return ESC_CP;
	}
	if (c >= '1' && c <= '9') {
		unsigned n = (unsigned)(c - '0');
		while (*x->p >= '0' && *x->p <= '9' && n < 1000)
			n = n * 10 + (unsigned)(*x->p++ - '0');
		*cp = n;
		return ESC_BACKREF;
	}
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return ESC_BAD;   /* \k<name>, \X...: not in the subset */
	*cp = (unsigned char)c;
	if ((unsigned char)c >= 0x80)
		return ESC_BAD;
	return ESC_CP;
}

/* One UTF-8 sequence as a code point (a stray byte as itself). */
static uint32_t utf8_next(const char **p)
{
	const unsigned char *s = (const unsigned char *)*p;
	uint32_t cp = s[0];
	int extra = cp >= 0xF0 ? 3 : cp >= 0xE0 ? 2 : cp >= 0xC0 ? 1 : 0;
	if (extra)
		cp &= 0x3Fu >> extra;
	int i = 1;
	for (; i <= extra && (s[i] & 0xC0) == 0x80; i++)
		cp = (cp << 6) | (s[i] & 0x3F);
	*p += i;
	return cp;
}

static const struct {
	const char *name;
	struct range r[4];
	size_t n;
} posix_classes[] = {
	{ "alpha", { { 'a', 'z' }, { 'A', 'Z' } }, 2 },
	{ "digit", { { '0', '9' } }, 1 },
	{ "alnum", { { 'a', 'z' }, { 'A', 'Z' }, { '0', '9' } }, 3 },
	{ "upper", { { 'A', 'Z' } }, 1 },
	{ "lower", { { 'a', 'z' } }, 1 },
	{ "space", { { ' ', ' ' }, { '\t', '\r' } }, 2 },
	{ "blank", { { ' ', ' ' }, { '\t', '\t' } }, 2 },
	{ "xdigit", { { '0', '9' }, { 'a', 'f' }, { 'A', 'F' } }, 3 },
	{ "word", { { 'a', 'z' }, { 'A', 'Z' }, { '0', '9' }, { '_', '_' } }, 4 },
	{ "punct", { { '!', '/' }, { ':', '@' }, { '[', '`' }, { '{', '~' } }, 4 },
	{ "graph", { { '!', '~' } }, 1 },
	{ "print", { { ' ', '~' } }, 1 },
	{ "cntrl", { { 0, 0x1f } }, 1 },
};

/* [:name:] or [:^name:] inside a class, x->p at the first ':' */
static bool posix_class(struct rx *x)
{
	const char *p = x->p + 1;
	bool neg = *p == '^';
	p += neg;
	for (size_t i = 0; i < sizeof posix_classes / sizeof *posix_classes; i++) {
		size_t len = strlen(posix_classes[i].name);
		if (strncmp(p, posix_classes[i].name, len) || strncmp(p + len, ":]", 2))
			continue;
		if (neg)
			rx_complement(x, posix_classes[i].r, posix_classes[i].n);
		else
			for (size_t k = 0; k < posix_classes[i].n; k++)
				rx_range(x, posix_classes[i].r[k].lo, posix_classes[i].r[k].hi);
		x->p = p + len + 2;
		return true;
	}
	return false;
}

/* A class member's code point, or a class escape's ranges added (*was_set). */
static bool class_atom(struct rx *x, uint32_t *cp, bool *was_set)
{
	*was_set = false;
	if (*x->p != '\\') {
		*cp = utf8_next(&x->p);
		return true;
	}
	x->p++;
	struct range set[8];
	size_t nset = 0;
	bool neg = false;
	switch (parse_escape(x, true, cp, set, &nset, &neg)) {
	case ESC_CP:
		return true;
	case ESC_SET:
		*was_set = true;
		if (neg)
			rx_complement(x, set, nset);
		else
			for (size_t i = 0; i < nset; i++)
				rx_range(x, set[i].lo, set[i].hi);
		return true;
	default:
		return false;
	}
}

static size_t parse_class(struct rx *x)
{
	size_t n = rx_node(x, RK_SET);
	size_t range0 = x->nr;
	x->p++;   /* [ */
	bool negated = *x->p == '^';
	x->p += negated;
	bool first = true;
	while (*x->p && (*x->p != ']' || first) && !x->bad) {
		first = false;
		if (x->p[0] == '[' && x->p[1] == ':' && (x->p++, posix_class(x)))
			continue;
		uint32_t lo, hi;
		bool set;
		if (!class_atom(x, &lo, &set)) {
			x->bad = true;
			break;
		}
		if (set)
			continue;
		hi = lo;
		if (x->p[0] == '-' && x->p[1] && x->p[1] != ']') {
			x->p++;
			if (!class_atom(x, &hi, &set) || set || hi < lo) {
				x->bad = true;
				break;
			}
		}
		rx_range(x, lo, hi);
	}
	if (*x->p != ']')
		x->bad = true;
	else
		x->p++;
	x->v[n].range0 = range0;
	x->v[n].nranges = x->nr - range0;
	x->v[n].negated = negated;
	return n;
}

static size_t parse_alt(struct rx *x);

static size_t parse_group(struct rx *x)
{
	x->p++;   /* ( */
	bool capture = true, look = false;
	if (*x->p == '?') {
		x->p++;
		capture = false;
		if (*x->p == ':' || *x->p == '>') {
			x->p++;   /* (?:...), and atomic (?>...) samples the same */
		} else if (*x->p == '=' || *x->p == '!') {
			x->p++;
			look = true;
		} else if (*x->p == '<' && (x->p[1] == '=' || x->p[1] == '!')) {
			x->p += 2;
			look = true;
		} else if (*x->p == '<' || *x->p == '\'' || (*x->p == 'P' && x->p[1] == '<')) {
			char close = *x->p == '\'' ? '\'' : '>';
			x->p = strchr(x->p, close);
			if (!x->p) {
				x->bad = true;
				return RX_NONE;
			}
			x->p++;
			capture = true;
		} else if (*x->p == '#') {
			const char *end = strchr(x->p, ')');
			x->p = end ? end + 1 : x->p + strlen(x->p);
			return RX_NONE;
		} else {
			/* inline flags: (?i) alone, or (?i:...) as a group */
			while ((*x->p >= 'a' && *x->p <= 'z') || (*x->p >= 'A' && *x->p <= 'Z') ||
			       *x->p == '-' || *x->p == '^')
				x->p++;
			if (*x->p == ')') {
				x->p++;
				return RX_NONE;
			}
			if (*x->p != ':') {
				x->bad = true;
				return RX_NONE;
			}
			x->p++;
		}
	}
	unsigned group = capture ? ++x->ngroups : 0;
	size_t inner = parse_alt(x);
	if (*x->p != ')') {
		x->bad = true;
		return RX_NONE;
	}
	x->p++;
	if (look)
		return rx_node(x, RK_NOTHING);   /* the regex checks lookarounds */
	if (!capture)
		return inner;
	size_t n = rx_node(x, RK_GROUP);
	x->v[n].group = group;
	rx_link(x, n, inner);
	return n;
}

/* Leaves a \Q...\E quote at its \E; true when x->p stood there. */
static bool quote_end(struct rx *x)
{
	if (!x->quoted || x->p[0] != '\\' || x->p[1] != 'E')
		return false;
	x->p += 2;
	x->quoted = false;
	return true;
}

static size_t parse_atom(struct rx *x)
{
	size_t n;
	if (quote_end(x))
		return RX_NONE;
	if (x->quoted) {
		n = rx_node(x, RK_LIT);
		x->v[n].cp = utf8_next(&x->p);
		return n;
	}
	switch (*x->p) {
	case '(':
		return parse_group(x);
	case '[':
		return parse_class(x);
	case '.':
		x->p++;
		n = rx_node(x, RK_SET);
		x->v[n].range0 = x->nr;
		rx_range(x, '\n', '\n');
		x->v[n].nranges = 1;
		x->v[n].negated = true;
		return n;
	case '^':
		x->p++;
		return rx_node(x, RK_NOTHING);
	case '$':
		x->p++;
		x->anchored_end |= !*x->p;
		return rx_node(x, RK_NOTHING);
	case '\\': {
		x->p++;
		if (*x->p == 'Q') {
			x->p++;
			x->quoted = true;
			return RX_NONE;
		}
		if (*x->p == 'E') {
			x->p++;
			return RX_NONE;
		}
		uint32_t cp = 0;
		struct range set[8];
		size_t nset = 0;
		bool neg = false;
		switch (parse_escape(x, false, &cp, set, &nset, &neg)) {
		case ESC_CP:
			n = rx_node(x, RK_LIT);
			x->v[n].cp = cp;
			return n;
		case ESC_SET:
			n = rx_node(x, RK_SET);
			x->v[n].range0 = x->nr;
			for (size_t i = 0; i < nset; i++)
				rx_range(x, set[i].lo, set[i].hi);
			x->v[n].nranges = nset;
			x->v[n].negated = neg;
			return n;
		case ESC_ASSERT:
			return rx_node(x, RK_NOTHING);
		case ESC_BACKREF:
			n = rx_node(x, RK_BACKREF);
			x->v[n].group = cp;
			return n;
		default:
			x->bad = true;
			return RX_NONE;
		}
	}
	case '*': case '+': case '?':
		x->bad = true;   /* nothing to repeat: the regex would not have compiled */
		return RX_NONE;
	default:
		n = rx_node(x, RK_LIT);
		x->v[n].cp = utf8_next(&x->p);
		return n;
	}
}

/* {n}, {n,}, {n,m}, {,m} at x->p: true with the bounds, else false (a literal '{'). */
static bool parse_braces(struct rx *x, long *min, long *max)
{
	const char *p = x->p + 1;
	long a = -1, b = -1;
	if (*p >= '0' && *p <= '9')
		for (a = 0; *p >= '0' && *p <= '9'; p++)
			a = a < 1000000 ? a * 10 + (*p - '0') : a;
	if (*p == '}' && a >= 0) {
		b = a;
	} else if (*p == ',') {
		p++;
		if (*p >= '0' && *p <= '9')
			for (b = 0; *p >= '0' && *p <= '9'; p++)
				b = b < 1000000 ? b * 10 + (*p - '0') : b;
		if (*p != '}' || (a < 0 && b < 0))
			return false;
		a = a < 0 ? 0 : a;
	} else {
		return false;
	}
	x->p = p + 1;
	*min = a;
	*max = b;
	return true;
}

static size_t parse_quantified(struct rx *x, size_t atom)
{
	/* "\Qab\E+": the quantifier after a quote applies to its last character */
	if (x->quoted && !quote_end(x))
		return atom;
	for (;;) {
		long min, max;
		char c = *x->p;
		if (c == '*' || c == '+' || c == '?') {
			x->p++;
			min = c == '+';
			max = c == '?' ? 1 : -1;
		} else if (!(c == '{' && parse_braces(x, &min, &max))) {
			return atom;
		}
		if (*x->p == '?' || *x->p == '+')
			x->p++;   /* lazy or possessive: the same strings */
		if (min > RX_MAX_REPEAT || (max >= 0 && max < min)) {
			x->bad = true;
			return atom;
		}
		size_t rep = rx_node(x, RK_REP);
		x->v[rep].min = min;
		x->v[rep].max = max > RX_MAX_REPEAT ? RX_MAX_REPEAT : max;
		rx_link(x, rep, atom);
		atom = rep;
	}
}

static size_t parse_seq(struct rx *x)
{
	size_t seq = rx_node(x, RK_SEQ);
	while (*x->p && (x->quoted || (*x->p != '|' && *x->p != ')')) && !x->bad) {
		size_t a = parse_atom(x);
		if (a == RX_NONE)
			continue;
		rx_link(x, seq, parse_quantified(x, a));
	}
	return seq;
}

static size_t parse_alt(struct rx *x)
{
	if (++x->depth > 200) {
		x->bad = true;
		return rx_node(x, RK_NOTHING);
	}
	size_t first = parse_seq(x);
	if (*x->p == '|') {
		size_t alt = rx_node(x, RK_ALT);
		rx_link(x, alt, first);
		while (*x->p == '|' && !x->bad) {
			x->p++;
			rx_link(x, alt, parse_seq(x));
		}
		first = alt;
	}
	x->depth--;
	return first;
}

static void rx_parse(struct rx *x, const char *pattern)
{
	memset(x, 0, sizeof *x);
	x->p = x->start = pattern;
	x->root = parse_alt(x);
	if (*x->p)
		x->bad = true;   /* an unmatched ')' */
}

static void rx_release(struct rx *x)
{
	free(x->v);
	free(x->r);
}

struct sample {
	struct gen *g;
	const struct rx *x;
	bool draw;            /* random choices, else the first ones */
	long extra;           /* more repetitions for each open-ended quantifier */
	unsigned counter;     /* canonical characters cycle through a class */
	struct strbuf out;
	size_t *caps;         /* group i: caps[2i], caps[2i+1]; SIZE_MAX unset */
	size_t limit;         /* most bytes */
};

/* Printable ASCII, letters and digits first: what a negated class or `.` picks from. */
static const char universe[] =
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	" !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

static bool sample_set(struct sample *s, const struct rnode *n)
{
	const struct range *r = s->x->r + n->range0;
	uint32_t cp = 0;
	if (n->negated) {
		char pool[sizeof universe];
		size_t k = 0;
		for (const char *u = universe; *u; u++)
			if (!in_ranges(r, n->nranges, (unsigned char)*u))
				pool[k++] = *u;
		if (!k)
			return false;
		cp = (unsigned char)pool[s->draw ? below(s->g, k) : s->counter++ % k];
	} else {
		/* printable ASCII members when there are any, else any member */
		uint64_t printable = 0, total = 0;
		for (size_t i = 0; i < n->nranges; i++) {
			uint32_t lo = r[i].lo < 0x20 ? 0x20 : r[i].lo, hi = r[i].hi > 0x7e ? 0x7e : r[i].hi;
			printable += lo <= hi ? hi - lo + 1 : 0;
			total += r[i].hi - r[i].lo + 1;
		}
		bool ascii = printable > 0;
		uint64_t k = ascii ? printable : total;
		if (!k)
			return false;
		uint64_t pick = s->draw ? below(s->g, k) : s->counter++ % k;
		for (size_t i = 0; i < n->nranges; i++) {
			uint32_t lo = r[i].lo, hi = r[i].hi;
			if (ascii) {
				lo = lo < 0x20 ? 0x20 : lo;
				hi = hi > 0x7e ? 0x7e : hi;
				if (lo > hi)
					continue;
			}
			if (pick <= hi - lo) {
				cp = lo + (uint32_t)pick;
				break;
			}
			pick -= hi - lo + 1;
		}
	}
	if (!cp || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return false;
	strbuf_add_utf8(&s->out, cp);
	return true;
}

static bool sample_node(struct sample *s, size_t i)
{
	if (s->out.len > s->limit)
		return false;
	const struct rnode *n = &s->x->v[i];
	switch (n->kind) {
	case RK_NOTHING:
		return true;
	case RK_LIT:
		if (!n->cp || n->cp > 0x10FFFF || (n->cp >= 0xD800 && n->cp <= 0xDFFF))
			return false;
		strbuf_add_utf8(&s->out, n->cp);
		return true;
	case RK_SET:
		return sample_set(s, n);
	case RK_SEQ:
		for (size_t c = n->child; c != RX_NONE; c = s->x->v[c].next)
			if (!sample_node(s, c))
				return false;
		return true;
	case RK_ALT: {
		size_t k = 0;
		for (size_t c = n->child; c != RX_NONE; c = s->x->v[c].next)
			k++;
		size_t pick = s->draw ? below(s->g, k) : 0, c = n->child;
		while (pick--)
			c = s->x->v[c].next;
		return sample_node(s, c);
	}
	case RK_REP: {
		long count;
		if (!s->draw) {
			/* one of an optional part, so that the example shows it */
			count = n->min ? n->min : n->max != 0;
		} else {
			long span = n->max < 0 ? 4 : n->max - n->min;
			span = span > 16 ? 16 : span;
			count = n->min + (long)below(s->g, (uint64_t)span + 1);
		}
		count += s->extra;
		if (n->max >= 0 && count > n->max)
			count = n->max;
		for (long k = 0; k < count; k++)
			if (!sample_node(s, n->child))
				return false;
		return true;
	}
	case RK_GROUP: {
		size_t start = s->out.len;
		if (!sample_node(s, n->child))
			return false;
		s->caps[2 * n->group] = start;
		s->caps[2 * n->group + 1] = s->out.len;
		return true;
	}
	case RK_BACKREF:
		/* an empty capture adds nothing (and the output may have no buffer yet) */
		if (n->group <= s->x->ngroups && s->caps[2 * n->group] != SIZE_MAX &&
		    s->caps[2 * n->group + 1] > s->caps[2 * n->group]) {
			size_t a = s->caps[2 * n->group], b = s->caps[2 * n->group + 1];
			char *copy = xmemdup0(s->out.buf + a, b - a);
			strbuf_add(&s->out, copy, b - a);
			free(copy);
		}
		return true;
	}
	return false;
}

/* A string x's whole pattern matches (the caller frees it), or NULL. */
static char *rx_sample(const struct rx *x, struct gen *g, bool draw, long extra, size_t limit)
{
	if (x->bad)
		return NULL;
	struct sample s = { .g = g, .x = x, .draw = draw, .extra = extra, .out = STRBUF_INIT,
			    .limit = limit };
	s.caps = xmalloc(2 * (x->ngroups + 1) * sizeof *s.caps);
	for (size_t i = 0; i < 2 * (x->ngroups + 1); i++)
		s.caps[i] = SIZE_MAX;
	bool ok = sample_node(&s, x->root) && s.out.len <= limit;
	free(s.caps);
	if (!ok) {
		strbuf_release(&s.out);
		return NULL;
	}
	return strbuf_detach(&s.out, NULL);
}

/* ---- gathering the schemas one value must satisfy ------------------------------------ */

/* The choices of one try at a value: each oneOf/anyOf/discriminator met while gathering,
 * and the type, is one digit of the try's number (so that tries 1, 2, ... go through the
 * combinations in order), or a random draw. */
struct pick {
	uint64_t attempt;
	uint64_t radix;       /* product of the choices' sizes so far */
	bool random;
	bool shallow;         /* prefer what ends a recursion (null, scalars) */
};

static size_t choose(struct gen *g, struct pick *pk, size_t n, size_t pref)
{
	if (n <= 1)
		return 0;
	if (pk->random)
		return below(g, n);
	size_t digit = (size_t)((pk->attempt / pk->radix) % n);
	if (pk->radix < (UINT64_C(1) << 40))
		pk->radix *= n;
	return (pref + digit) % n;
}

/* Schemas a walk through $refs and allOf looks at, at most: allOf lists sharing branches
 * would otherwise make it exponential. */
#define WALK_BUDGET 64

/* The types n allows, through $refs and allOf (0: unknown). */
static unsigned types_through(const struct node *n, unsigned *budget)
{
	if (!n || !*budget)
		return 0;
	--*budget;
	if (n->types)
		return n->types;
	unsigned t = types_through(n->ref, budget);
	for (size_t i = 0; !t && i < n->all_of.n; i++)
		t = types_through(n->all_of.v[i], budget);
	return t;
}

/* How far n is from ending a recursion: 0 allows null, 1 scalars, 2 arrays, 3 the rest. */
static unsigned depth_score(const struct node *n)
{
	unsigned budget = WALK_BUDGET;
	unsigned t = types_through(n, &budget);
	if (t & T_NULL)
		return 0;
	if (t && !(t & (T_ARRAY | T_OBJECT)))
		return 1;
	return t && !(t & T_OBJECT) ? 2 : 3;
}

static size_t shallowest(struct node *const *v, size_t n)
{
	size_t best = 0;
	for (size_t i = 1; i < n; i++)
		if (depth_score(v[i]) < depth_score(v[best]))
			best = i;
	return best;
}

struct forced {
	const char *name, *value;   /* a discriminator property and the mapping's name */
};

struct flat {
	const struct node *const *base;   /* what the value must be valid against */
	size_t nbase;
	const struct node *v[MAX_FLAT];   /* base, their refs, allOf and chosen branches */
	size_t n;
	struct forced forced[MAX_FORCED];
	size_t nforced;
	bool never, overflow;
};

static void flatten(struct gen *g, struct flat *f, struct pick *pk, const struct node *n)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i] == n)
			return;   /* met already (allOf back to a parent, a cycle of refs) */
	if (f->n == MAX_FLAT) {
		f->overflow = true;
		return;
	}
	f->v[f->n++] = n;
	f->never |= n->never;
	if (n->ref)
		flatten(g, f, pk, n->ref);
	for (size_t i = 0; i < n->all_of.n; i++)
		flatten(g, f, pk, n->all_of.v[i]);
	if (n->disc_prop && n->ndisc_map) {
		/* the validator goes by the discriminator alone: pick a mapping, name it */
		size_t pref = 0;
		if (pk->shallow)
			for (size_t i = 1; i < n->ndisc_map; i++)
				if (depth_score(n->disc_map[i].schema) < depth_score(n->disc_map[pref].schema))
					pref = i;
		size_t k = choose(g, pk, n->ndisc_map, pref);
		if (f->nforced < MAX_FORCED)
			f->forced[f->nforced++] = (struct forced){ n->disc_prop, n->disc_map[k].value };
		else
			f->overflow = true;
		flatten(g, f, pk, n->disc_map[k].schema);
		return;
	}
	if (n->any_of.n) {
		size_t k = choose(g, pk, n->any_of.n, pk->shallow ? shallowest(n->any_of.v, n->any_of.n) : 0);
		flatten(g, f, pk, n->any_of.v[k]);
	}
	if (n->one_of.n) {
		size_t k = choose(g, pk, n->one_of.n, pk->shallow ? shallowest(n->one_of.v, n->one_of.n) : 0);
		flatten(g, f, pk, n->one_of.v[k]);
	}
}

static bool valid_base(struct gen *g, const struct flat *f, const cJSON *v)
{
	bool ok = true;
	for (size_t i = 0; i < f->nbase && ok; i++)
		ok = jsonschema_node_valid(f->base[i], v, &g->steps);
	if (g->steps > STEP_BUDGET)
		g->exhausted = true;
	return ok;
}

/* A growable list of schemas: what one property or item must satisfy. */
struct nodes {
	const struct node **v;
	size_t n, cap;
};

static void nodes_add(struct nodes *l, const struct node *n)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i] == n)
			return;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 8;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n++] = n;
}

static cJSON *gen_value(struct gen *g, const struct node *const *base, size_t nbase,
			const struct ctx *parent, bool vary);

/* ---- numbers -------------------------------------------------------------------------- */

struct bounds {
	double lo, hi;          /* -inf, inf: none */
	bool lo_ex, hi_ex;
};

static bool in_bounds(const struct bounds *b, double x)
{
	return (b->lo_ex ? x > b->lo : x >= b->lo) && (b->hi_ex ? x < b->hi : x <= b->hi);
}

static double gcd(double a, double b)
{
	while (b > 0) {
		double t = fmod(a, b);
		a = b;
		b = t;
	}
	return a;
}

/* A multiple of both a and b (decimals scaled to integers first); 0 for none found. */
static double lcm(double a, double b)
{
	if (a == 0)
		return b;
	for (double scale = 1; scale <= 1e6; scale *= 10) {
		double x = a * scale, y = b * scale;
		if (fabs(x - nearbyint(x)) > 1e-9 * fmax(1, x) || fabs(y - nearbyint(y)) > 1e-9 * fmax(1, y))
			continue;
		x = nearbyint(x);
		y = nearbyint(y);
		double l = x / gcd(x, y) * y;
		return l < SAFE_INT ? l / scale : 0;
	}
	return 0;
}

/* Decimal places that print m exactly (0.25: 2), at most 10. */
static int decimals(double m)
{
	int d = 0;
	double scale = 1;
	while (d < 10 && fabs(m * scale - nearbyint(m * scale)) > 1e-9 * fmax(1, m * scale)) {
		d++;
		scale *= 10;
	}
	return d;
}

static double round_to(double x, int d)
{
	char buf[64];
	snprintf(buf, sizeof buf, "%.*f", d, x);
	return strtod(buf, NULL);
}

/* k in [ka, kb] (either may be infinite): 0 or the bound nearest it, else a draw. */
static double pick_k(struct gen *g, bool draw, double ka, double kb, double spread)
{
	if (!draw)
		return ka <= 0 && kb >= 0 ? 0 : ka > 0 ? ka : kb;
	double a = ka, b = kb;
	if (isinf(a) && isinf(b)) {
		a = 0;
		b = spread;
	} else if (isinf(a)) {
		a = b - spread;
	} else if (isinf(b)) {
		b = a + spread;
	}
	double span = b - a;
	if (span > SAFE_INT / 2)
		span = SAFE_INT / 2;
	return a + (double)below(g, (uint64_t)span + 1);
}

static cJSON *build_number(struct gen *g, const struct flat *f, const struct ctx *c, bool integer,
			   bool *checked)
{
	struct bounds b = { -INFINITY, INFINITY, false, false };
	double fmt_lo = -INFINITY, fmt_hi = INFINITY, mult = 0, biggest = 0;
	bool no_lcm = false;
	for (size_t i = 0; i < f->n; i++) {
		const struct node *x = f->v[i];
		if (x->has_min && (x->min > b.lo || (x->min == b.lo && x->excl_min))) {
			b.lo = x->min;
			b.lo_ex = x->excl_min;
		}
		if (x->has_max && (x->max < b.hi || (x->max == b.hi && x->excl_max))) {
			b.hi = x->max;
			b.hi_ex = x->excl_max;
		}
		if (x->multiple_of > 0) {
			/* a common multiple of them all; failing that, the largest (the check
			 * decides) */
			biggest = fmax(biggest, x->multiple_of);
			double l = no_lcm ? 0 : lcm(mult, x->multiple_of);
			no_lcm |= l == 0;
			mult = no_lcm ? biggest : l;
		}
		if (x->format == FMT_INT32) {
			fmt_lo = fmax(fmt_lo, -2147483648.0);
			fmt_hi = fmin(fmt_hi, 2147483647.0);
		}
		if (x->format == FMT_INT64) {
			fmt_lo = fmax(fmt_lo, -SAFE_INT);
			fmt_hi = fmin(fmt_hi, SAFE_INT);
		}
		if (x->format == FMT_FLOAT) {
			fmt_lo = fmax(fmt_lo, -FLT_MAX);
			fmt_hi = fmin(fmt_hi, FLT_MAX);
		}
		integer |= x->format == FMT_INT32 || x->format == FMT_INT64;
	}
	double step = mult;
	if (integer) {
		double l = lcm(mult > 0 ? mult : 1, 1);
		step = l > 0 ? l : mult > 0 ? mult : 1;
	}
	*checked = true;
	for (int t = 0; t < 8; t++) {
		bool draw = drawing(g, c) || t > 0;
		double x;
		if (step > 0) {
			double ka = isinf(b.lo) ? -INFINITY : (b.lo_ex ? floor(b.lo / step) + 1 : ceil(b.lo / step));
			double kb = isinf(b.hi) ? INFINITY : (b.hi_ex ? ceil(b.hi / step) - 1 : floor(b.hi / step));
			/* a format's range clamps the draw; it does not widen it (int64 ids stay
			 * small) */
			double fa = ceil(fmt_lo / step), fb = floor(fmt_hi / step);
			if (fmax(ka, fa) > fmin(kb, fb))
				return NULL;
			double spread = fmax(10, floor(1000 / step));
			x = fmin(fmax(pick_k(g, draw, ka, kb, spread), fmax(ka, fa)), fmin(kb, fb)) * step;
			if (!integer)
				x = round_to(x, decimals(step));
		} else if (!draw) {
			if (in_bounds(&b, 0)) {
				x = 0;
			} else if (!isinf(b.lo)) {
				x = !b.lo_ex ? b.lo : !isinf(b.hi) ? b.lo + (b.hi - b.lo) / 2 : b.lo + 1;
			} else {
				x = !b.hi_ex ? b.hi : b.hi - 1;
			}
		} else {
			double lo = isinf(b.lo) ? (isinf(b.hi) ? 0 : b.hi - 1000) : b.lo;
			double hi = isinf(b.hi) ? lo + 1000 : b.hi;
			lo = fmax(lo, fmt_lo);
			hi = fmin(hi, fmt_hi);
			double u = (double)below(g, UINT64_C(1) << 53) / SAFE_INT;
			double raw = lo + (hi - lo) * u;
			x = round_to(raw, 2);
			if (!in_bounds(&b, x))
				x = in_bounds(&b, raw) ? raw : lo + (hi - lo) / 2;
		}
		if (!isfinite(x))
			continue;
		cJSON *v = made(g, cJSON_CreateNumber(x));
		if (valid_base(g, f, v))
			return v;
		cJSON_Delete(v);
		if (g->exhausted)
			break;
	}
	return NULL;
}

/* ---- strings -------------------------------------------------------------------------- */

static const char *const words[] = {
	"lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit", "sed",
	"do", "eiusmod", "tempor", "incididunt", "ut", "labore", "et", "dolore", "magna",
};
#define NWORDS (sizeof words / sizeof *words)

static const char *word(struct gen *g)
{
	return words[below(g, NWORDS)];
}

/* "string" (or words, drawn) cut or grown to a length inside [minl, maxl] (maxl -1: none). */
static char *plain_string(struct gen *g, bool draw, long minl, long maxl)
{
	long target;
	if (!draw) {
		target = minl > 6 ? minl : 6;
	} else {
		long lo = minl ? minl : 1, hi = maxl >= 0 ? maxl : lo + 16;
		if (hi > lo + 24)
			hi = lo + 24;
		target = hi >= lo ? lo + (long)below(g, (uint64_t)(hi - lo) + 1) : lo;
	}
	if (maxl >= 0 && target > maxl)
		target = maxl;
	struct strbuf sb = STRBUF_INIT;
	strbuf_grow(&sb, (size_t)target + 16);
	while ((long)sb.len < target) {
		if (!draw) {
			strbuf_adds(&sb, "string");
		} else {
			if (sb.len)
				strbuf_addc(&sb, ' ');
			strbuf_adds(&sb, word(g));
		}
	}
	/* whole words unless maxLength cuts one (never at a space) */
	if (!draw || (maxl >= 0 && (long)sb.len > maxl)) {
		sb.len = (size_t)target;
		if (sb.buf) {
			sb.buf[sb.len] = '\0';
			if (sb.len && sb.buf[sb.len - 1] == ' ')
				sb.buf[sb.len - 1] = 'a';
		}
	}
	return strbuf_detach(&sb, NULL);
}

static char *format_string(struct gen *g, enum format fmt, bool draw, long minl, long maxl)
{
	struct strbuf sb = STRBUF_INIT;
	int y = 2024, mo = 1, d = 1, h = 0, mi = 0, s = 0;
	if (draw) {
		y = 2000 + (int)below(g, 31);
		mo = 1 + (int)below(g, 12);
		d = 1 + (int)below(g, 28);
		h = (int)below(g, 24);
		mi = (int)below(g, 60);
		s = (int)below(g, 60);
	}
	switch (fmt) {
	case FMT_DATE_TIME:
		strbuf_addf(&sb, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, h, mi, s);
		break;
	case FMT_DATE:
		strbuf_addf(&sb, "%04d-%02d-%02d", y, mo, d);
		break;
	case FMT_EMAIL: {
		const char *local = draw ? word(g) : "user";
		long domain = (long)strlen("@example.com");
		long len = (long)strlen(local) + domain;
		if (maxl >= 0 && len > maxl) {
			/* a shorter address, down to "u@x.io" */
			strbuf_adds(&sb, maxl >= 13 ? "u@example.com" : "u@x.io");
			break;
		}
		strbuf_adds(&sb, local);
		if (draw)
			strbuf_addf(&sb, "%u", (unsigned)below(g, 100));
		while ((long)sb.len + domain < minl)
			strbuf_addc(&sb, 'x');
		strbuf_adds(&sb, "@example.com");
		break;
	}
	case FMT_UUID:
		if (draw) {
			char u[RNG_UUID_SIZE];
			rng_uuid(g->rng, u);
			strbuf_adds(&sb, u);
		} else {
			strbuf_adds(&sb, "3fa85f64-5717-4562-b3fc-2c963f66afa6");
		}
		break;
	case FMT_URI:
		if (maxl >= 0 && maxl < 19) {
			strbuf_adds(&sb, maxl >= 5 ? "urn:x" : "a:");
			break;
		}
		strbuf_adds(&sb, "https://example.com");
		if (draw)
			strbuf_addf(&sb, "/%s/%u", word(g), (unsigned)below(g, 1000));
		if ((long)sb.len < minl && !draw)
			strbuf_addc(&sb, '/');
		while ((long)sb.len < minl)
			strbuf_addc(&sb, 'x');
		break;
	case FMT_IPV4:
		if (draw)
			strbuf_addf(&sb, "%u.%u.%u.%u", 1 + (unsigned)below(g, 223), (unsigned)below(g, 256),
				    (unsigned)below(g, 256), 1 + (unsigned)below(g, 254));
		else
			strbuf_adds(&sb, "192.0.2.1");
		break;
	case FMT_IPV6:
		if (draw)
			for (int i = 0; i < 8; i++)
				strbuf_addf(&sb, "%s%x", i ? ":" : "", (unsigned)below(g, 0x10000));
		else
			strbuf_adds(&sb, "2001:db8::1");
		break;
	case FMT_BYTE: {
		/* base64 of n bytes is 4 * ceil(n / 3) characters: n from the length asked */
		long len = minl > 8 ? (minl + 3) / 4 * 4 : 8;
		if (draw && maxl < 0)
			len += 4 * (long)below(g, 4);
		if (maxl >= 0 && len > maxl)
			len = maxl / 4 * 4;
		size_t n = (size_t)len / 4 * 3;
		unsigned char *bytes = xmalloc(n + 1);
		for (size_t i = 0; i < n; i++)
			bytes[i] = draw ? (unsigned char)below(g, 256) : (unsigned char)"string"[i % 6];
		base64_encode(&sb, bytes, n);
		free(bytes);
		break;
	}
	default:
		break;
	}
	return strbuf_detach(&sb, NULL);
}

static cJSON *build_string(struct gen *g, const struct flat *f, const struct ctx *c, bool *checked)
{
	long minl = 0, maxl = -1;
	enum format fmt = FMT_NONE;
	struct rx rx[4];
	size_t nrx = 0;
	for (size_t i = 0; i < f->n; i++) {
		const struct node *x = f->v[i];
		minl = x->min_length > minl ? x->min_length : minl;
		if (x->max_length >= 0 && (maxl < 0 || x->max_length < maxl))
			maxl = x->max_length;
		if (!fmt && x->format >= FMT_DATE)
			fmt = x->format;
		if (x->pattern && nrx < 4)
			rx_parse(&rx[nrx++], regex_source(x->pattern));
	}
	*checked = true;
	cJSON *result = NULL;
	if ((maxl >= 0 && minl > maxl) || minl > MAX_STRING)
		goto done;
	long extra = 0;
	bool stretch = false;   /* the last try was only too short: the same again, longer */
	int tries = nrx ? PATTERN_TRIES : 12;
	for (int t = 0; t < tries && !result && !g->exhausted; t++) {
		bool draw = drawing(g, c) || (t > 0 && !(stretch && t < 4));
		stretch = false;
		const struct rx *x = nrx ? &rx[(size_t)t % nrx] : NULL;
		bool from_pattern = x && !x->bad && !(fmt && t % 4 == 3);
		char *s;
		if (from_pattern)
			s = rx_sample(x, g, draw, extra, (size_t)MAX_STRING * 4);
		else if (fmt)
			s = format_string(g, fmt, draw, minl, maxl);
		else
			s = plain_string(g, draw, minl, maxl);
		if (!s)
			continue;
		long len = (long)code_points(s);
		if (from_pattern && len < minl) {
			/* longer next time; meanwhile pad where the pattern leaves room */
			extra = extra * 2 + (minl - len);
			extra = extra > MAX_STRING ? MAX_STRING : extra;
			stretch = true;
			if (!x->anchored_end) {
				struct strbuf sb = STRBUF_INIT;
				strbuf_adds(&sb, s);
				while (len++ < minl)
					strbuf_addc(&sb, 'x');
				free(s);
				s = strbuf_detach(&sb, NULL);
				len = minl;
			}
		} else if (from_pattern && maxl >= 0 && len > maxl) {
			extra = 0;
		}
		g->work++;
		if (len >= minl && (maxl < 0 || len <= maxl)) {
			cJSON *v = made(g, cJSON_CreateString(s));
			if (valid_base(g, f, v))
				result = v;
			else
				cJSON_Delete(v);
		}
		free(s);
	}
done:
	for (size_t i = 0; i < nrx; i++)
		rx_release(&rx[i]);
	return result;
}

/* ---- arrays --------------------------------------------------------------------------- */

static bool repeats(const cJSON *arr, const cJSON *v)
{
	for (const cJSON *e = arr->child; e; e = e->next)
		if (cJSON_Compare(e, v, true))
			return true;
	return false;
}

static cJSON *build_array(struct gen *g, const struct flat *f, const struct ctx *c)
{
	struct nodes items = { 0 };
	long min = 0, max = -1;
	bool unique = false;
	for (size_t i = 0; i < f->n; i++) {
		const struct node *x = f->v[i];
		if (x->items)
			nodes_add(&items, x->items);
		min = x->min_items > min ? x->min_items : min;
		if (x->max_items >= 0 && (max < 0 || x->max_items < max))
			max = x->max_items;
		unique |= x->unique_items;
	}
	cJSON *arr = NULL;
	if ((max >= 0 && min > max) || min > JSONSCHEMA_GEN_MAX_VALUES)
		goto done;
	long count;
	if (c->minimal)
		count = min;
	else if (!drawing(g, c))
		count = min > 1 ? min : 1;
	else
		count = min + (long)below(g, 4);
	if (max >= 0 && count > max)
		count = max;
	arr = made(g, cJSON_CreateArray());
	for (long i = 0; i < count; i++) {
		cJSON *v = NULL;
		for (int t = 0; t < (unique ? 8 : 1) && !g->exhausted; t++) {
			v = gen_value(g, items.v, items.n, c, c->vary || t > 0);
			if (!v || !unique || !repeats(arr, v))
				break;
			cJSON_Delete(v);
			v = NULL;
		}
		if (!v) {
			if (i >= min)
				break;
			cJSON_Delete(arr);
			arr = NULL;
			break;
		}
		json_array_add(arr, v);
	}
done:
	free(items.v);
	return arr;
}

/* ---- objects -------------------------------------------------------------------------- */

/* What the member name must satisfy, from every schema of f; false when one of them
 * forbids it (additionalProperties: false and neither a property nor a pattern). */
static bool member_schemas(const struct flat *f, const char *name, struct nodes *out)
{
	bool allowed = true;
	for (size_t i = 0; i < f->n; i++) {
		const struct node *x = f->v[i];
		bool matched = false;
		for (size_t k = 0; k < x->nprops; k++)
			if (!strcmp(x->props[k].name, name)) {
				nodes_add(out, x->props[k].schema);
				matched = true;
			}
		for (size_t k = 0; k < x->npprops; k++)
			if (regex_match(x->pprops[k].re, name, strlen(name))) {
				nodes_add(out, x->pprops[k].schema);
				matched = true;
			}
		if (!matched && x->additional)
			nodes_add(out, x->additional);
		if (!matched && x->no_additional)
			allowed = false;
	}
	return allowed;
}

/* Whether n (through $refs and allOf) is readOnly (write false) or writeOnly. */
static bool flagged(const struct node *n, bool write, unsigned *budget)
{
	if (!n || !*budget)
		return false;
	--*budget;
	if (write ? n->write_only : n->read_only)
		return true;
	if (flagged(n->ref, write, budget))
		return true;
	for (size_t i = 0; i < n->all_of.n; i++)
		if (flagged(n->all_of.v[i], write, budget))
			return true;
	return false;
}

/* Whether this side of the exchange leaves the member out: writeOnly in a response,
 * readOnly in a request. */
static bool hidden(const struct gen *g, const struct nodes *l)
{
	for (size_t i = 0; i < l->n; i++) {
		unsigned budget = WALK_BUDGET;
		if (flagged(l->v[i], !g->request, &budget))
			return true;
	}
	return false;
}

struct member {
	const char *name;
	bool required;
	const char *forced;     /* a discriminator's value */
};

struct members {
	struct member *v;
	size_t n, cap;
	struct hmap seen;
};

static struct member *member_add(struct members *m, const char *name)
{
	/* the map holds index + 1: v moves as it grows */
	uintptr_t at = (uintptr_t)hmap_get(&m->seen, name);
	if (at)
		return &m->v[at - 1];
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 16;
		m->v = xrealloc(m->v, m->cap * sizeof *m->v);
	}
	m->v[m->n] = (struct member){ .name = name };
	hmap_put(&m->seen, name, (void *)(uintptr_t)(m->n + 1));
	return &m->v[m->n++];
}

/* Adds the member name with a value built for it; false when none could be built. */
static bool add_member(struct gen *g, const struct flat *f, const struct ctx *c, cJSON *obj,
		       const char *name, const char *forced)
{
	cJSON *v;
	if (forced) {
		v = made(g, cJSON_CreateString(forced));
	} else {
		struct nodes l = { 0 };
		member_schemas(f, name, &l);
		v = gen_value(g, l.v, l.n, c, c->vary);
		free(l.v);
	}
	if (!v)
		return false;
	json_object_add(obj, name, v);
	return true;
}

/* A name for a member no property declares: additionalPropN, or one a patternProperties
 * key matches. NULL when the object takes none. */
static char *extra_name(struct gen *g, const struct flat *f, const cJSON *obj, unsigned k,
			bool draw)
{
	for (unsigned i = 0; i < 4; i++) {
		char buf[32];
		snprintf(buf, sizeof buf, "additionalProp%u", k + i);
		struct nodes l = { 0 };
		bool ok = member_schemas(f, buf, &l) && !cJSON_GetObjectItemCaseSensitive(obj, buf);
		free(l.v);
		if (ok)
			return xstrdup(buf);
	}
	for (size_t i = 0; i < f->n; i++)
		for (size_t p = 0; p < f->v[i]->npprops; p++) {
			struct rx x;
			rx_parse(&x, regex_source(f->v[i]->pprops[p].re));
			for (int t = 0; t < 8; t++) {
				char *s = rx_sample(&x, g, draw || t > 0 || k > 1, 0, 256);
				struct nodes l = { 0 };
				bool ok = s && *s && member_schemas(f, s, &l) &&
					  !cJSON_GetObjectItemCaseSensitive(obj, s);
				free(l.v);
				if (ok) {
					rx_release(&x);
					return s;
				}
				free(s);
			}
			rx_release(&x);
		}
	return NULL;
}

static cJSON *build_object(struct gen *g, const struct flat *f, const struct ctx *c)
{
	struct members m = { .seen = HMAP_INIT };
	long minp = 0, maxp = -1;
	bool map = false;
	for (size_t i = 0; i < f->n; i++) {
		const struct node *x = f->v[i];
		for (size_t k = 0; k < x->nprops; k++)
			member_add(&m, x->props[k].name);
		minp = x->min_props > minp ? x->min_props : minp;
		if (x->max_props >= 0 && (maxp < 0 || x->max_props < maxp))
			maxp = x->max_props;
		map |= x->additional != NULL;
	}
	for (size_t i = 0; i < f->n; i++)
		for (size_t k = 0; k < f->v[i]->nrequired; k++)
			member_add(&m, f->v[i]->required[k])->required = true;
	for (size_t i = 0; i < f->nforced; i++)
		member_add(&m, f->forced[i].name)->forced = f->forced[i].value;

	if (minp > JSONSCHEMA_GEN_MAX_VALUES || (maxp >= 0 && minp > maxp)) {
		free(m.v);
		hmap_release(&m.seen, NULL);
		return NULL;
	}
	cJSON *obj = made(g, cJSON_CreateObject());
	long count = 0, room = maxp;
	for (size_t i = 0; i < m.n; i++)
		room -= m.v[i].required || m.v[i].forced;
	bool *tried = xcalloc(m.n + 1, sizeof *tried);
	/* in the order declared: required and discriminator members always, optional ones as
	 * the mode says and maxProperties leaves room */
	for (size_t i = 0; i < m.n && obj && !g->exhausted; i++) {
		struct member *e = &m.v[i];
		bool must = e->required || e->forced;
		if (!must) {
			struct nodes l = { 0 };
			bool allowed = member_schemas(f, e->name, &l);
			bool skip = !allowed || hidden(g, &l) || c->minimal || (maxp >= 0 && room <= 0) ||
				    (drawing(g, c) && below(g, 2));
			free(l.v);
			if (skip)
				continue;
			room--;
		}
		tried[i] = true;
		if (add_member(g, f, c, obj, e->name, e->forced)) {
			count++;
		} else if (must) {
			cJSON_Delete(obj);
			obj = NULL;
		}
	}
	/* minProperties: the members left out, then names no property declares */
	for (size_t i = 0; i < m.n && obj && count < minp && !g->exhausted; i++) {
		struct nodes l = { 0 };
		bool allowed = member_schemas(f, m.v[i].name, &l) && !hidden(g, &l);
		free(l.v);
		if (!tried[i] && allowed && add_member(g, f, c, obj, m.v[i].name, NULL))
			count++;
	}
	long extras = 0;
	if (obj && map && !c->minimal)
		extras = drawing(g, c) ? (long)below(g, 3) : 1;
	for (unsigned k = 1; obj && (count < minp || extras > 0) && k < (unsigned)minp + 16 &&
	     (maxp < 0 || count < maxp) && !g->exhausted; k++) {
		char *name = extra_name(g, f, obj, k, drawing(g, c));
		if (!name)
			break;
		if (add_member(g, f, c, obj, name, NULL)) {
			count++;
			extras--;
		}
		free(name);
	}
	free(tried);
	free(m.v);
	hmap_release(&m.seen, NULL);
	return obj;
}

/* ---- one value ------------------------------------------------------------------------ */

enum kind { K_NULL, K_BOOLEAN, K_INTEGER, K_NUMBER, K_STRING, K_ARRAY, K_OBJECT, K_COUNT };

static const unsigned kind_bits[K_COUNT] = {
	T_NULL, T_BOOLEAN, T_INTEGER, T_NUMBER, T_STRING, T_ARRAY, T_OBJECT,
};

/* The types f's keywords suggest when no schema names one. */
static unsigned inferred_types(const struct flat *f)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct node *x = f->v[i];
		if (x->nprops || x->nrequired || x->npprops || x->additional || x->no_additional ||
		    x->min_props >= 0 || x->max_props >= 0 || x->disc_prop)
			return T_OBJECT;
		if (x->items || x->min_items >= 0 || x->max_items >= 0 || x->unique_items)
			return T_ARRAY;
		if (x->pattern || x->min_length >= 0 || x->max_length >= 0 || x->format >= FMT_DATE)
			return T_STRING;
		if (x->format == FMT_INT32 || x->format == FMT_INT64)
			return T_INTEGER;
		if (x->has_min || x->has_max || x->multiple_of > 0 || x->format)
			return T_NUMBER | T_INTEGER;
	}
	return 0;
}

static enum kind choose_kind(struct gen *g, const struct flat *f, struct pick *pk,
			     const struct ctx *c, unsigned mask)
{
	enum kind avail[K_COUNT];
	size_t n = 0, pref = SIZE_MAX;
	for (int k = 0; k < K_COUNT; k++)
		if ((mask & kind_bits[k]) && !(k == K_INTEGER && (mask & T_NUMBER)))
			avail[n++] = (enum kind)k;
	if (n == 0)
		return K_COUNT;
	if (pk->random && !c->minimal) {
		/* null now and then, else any type alike */
		if (avail[0] == K_NULL && n > 1)
			return below(g, 8) ? avail[1 + below(g, n - 1)] : K_NULL;
		return avail[below(g, n)];
	}
	if (c->minimal) {
		/* what ends a recursion soonest: null, a scalar, an array */
		static const enum kind order[] = { K_NULL, K_STRING, K_INTEGER, K_NUMBER,
						   K_BOOLEAN, K_ARRAY, K_OBJECT };
		for (size_t o = 0; o < K_COUNT && pref == SIZE_MAX; o++)
			for (size_t i = 0; i < n; i++)
				if (avail[i] == order[o])
					pref = i;
	}
	for (size_t i = 0; i < f->n && pref == SIZE_MAX; i++)
		for (size_t k = 0; k < n && f->v[i]->first_type; k++)
			if (kind_bits[avail[k]] == f->v[i]->first_type ||
			    (f->v[i]->first_type == T_INTEGER && avail[k] == K_NUMBER))
				pref = k;
	if (pref == SIZE_MAX) {
		/* untyped: a string before the rest, null last */
		pref = 0;
		for (size_t i = 0; i < n; i++)
			if (avail[i] == K_STRING)
				pref = i;
		if (avail[pref] == K_NULL && n > 1)
			pref = 1;
	}
	return avail[choose(g, pk, n, pref)];
}

/* A value for the gathered schemas f, or NULL. *checked: already valid against f->base. */
static cJSON *build(struct gen *g, const struct flat *f, struct pick *pk, const struct ctx *c,
		    bool *checked)
{
	*checked = false;
	if (f->never || f->overflow)
		return NULL;
	if (g->mode == JSONSCHEMA_GEN_EXAMPLE && !c->vary) {
		/* what the spec says an instance looks like, when it is valid */
		for (int which = 0; which < 2; which++)
			for (size_t i = 0; i < f->n; i++) {
				const cJSON *ex = which ? f->v[i]->default_value : f->v[i]->example;
				if (!ex)
					continue;
				cJSON *v = copy_value(g, ex);
				if (valid_base(g, f, v)) {
					*checked = true;
					return v;
				}
				cJSON_Delete(v);
			}
	}
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i]->const_value)
			return copy_value(g, f->v[i]->const_value);
	for (size_t i = 0; i < f->n; i++) {
		const cJSON *e = f->v[i]->enum_values;
		if (!e)
			continue;
		size_t n = (size_t)cJSON_GetArraySize(e), start = drawing(g, c) && n ? below(g, n) : 0;
		*checked = true;
		for (size_t k = 0; k < n && !g->exhausted; k++) {
			cJSON *v = copy_value(g, cJSON_GetArrayItem(e, (int)((start + k) % n)));
			if (valid_base(g, f, v))
				return v;
			cJSON_Delete(v);
		}
		return NULL;
	}
	unsigned mask = 0x7f;
	bool typed = false;
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i]->types) {
			unsigned t = f->v[i]->types;
			mask &= t | ((t & T_NUMBER) ? T_INTEGER : 0);
			typed = true;
		}
	if (!typed)
		mask = inferred_types(f);
	if (!typed && !mask)
		mask = T_BOOLEAN | T_INTEGER | T_NUMBER | T_STRING;
	switch (choose_kind(g, f, pk, c, mask)) {
	case K_NULL:
		return made(g, cJSON_CreateNull());
	case K_BOOLEAN:
		return made(g, cJSON_CreateBool(drawing(g, c) ? below(g, 2) : 1));
	case K_INTEGER:
		return build_number(g, f, c, true, checked);
	case K_NUMBER:
		return build_number(g, f, c, false, checked);
	case K_STRING:
		return build_string(g, f, c, checked);
	case K_ARRAY:
		return build_array(g, f, c);
	case K_OBJECT:
		return build_object(g, f, c);
	default:
		return NULL;   /* no type satisfies them all */
	}
}

/* A value valid against every schema of base (none: any value), built at one level below
 * parent (NULL: the root), or NULL. */
static cJSON *gen_value(struct gen *g, const struct node *const *base, size_t nbase,
			const struct ctx *parent, bool vary)
{
	struct ctx c = { .vary = vary };
	if (parent) {
		c.depth = parent->depth + 1;
		c.rec = parent->rec;
	}
	if (g->exhausted || c.depth > HARD_DEPTH)
		return NULL;
	if (++g->work > WORK_BUDGET) {
		g->exhausted = true;
		return NULL;
	}
	/*
	 * Recursion: how often the schema entered here occurs on the path down to here. It is
	 * counted by the $ref's target, so that the several ways back into one schema (a
	 * tree's `children` items and its `parent`) add up to one depth, not one each.
	 */
	const struct node *key = nbase ? base[0] : NULL;
	for (unsigned hops = 0; key && key->ref && hops < 16; hops++)
		key = key->ref;
	g->path[c.depth] = key;
	unsigned occurs = 0;
	for (unsigned d = 0; d <= c.depth && key; d++)
		occurs += g->path[d] == key;
	c.rec = occurs > c.rec ? occurs : c.rec;
	if (c.rec > 2 * JSONSCHEMA_GEN_MAX_DEPTH)
		return NULL;   /* a required member recursing on and on: no finite instance */
	c.minimal = c.rec >= JSONSCHEMA_GEN_MAX_DEPTH || g->made > JSONSCHEMA_GEN_MAX_VALUES / 2;

	uint64_t combos = 1;
	unsigned attempts = c.minimal ? MINIMAL_ATTEMPTS : MAX_ATTEMPTS;
	for (unsigned a = 0; a < attempts && !g->exhausted; a++) {
		/* the first choices, then (example mode) each other combination of them,
		 * then draws */
		bool systematic = c.minimal || (g->mode == JSONSCHEMA_GEN_EXAMPLE && a < combos);
		if (c.minimal && a && a >= combos)
			break;
		struct pick pk = { .attempt = a, .radix = 1, .random = !systematic,
				   .shallow = c.minimal };
		struct ctx ca = c;
		ca.vary = vary || !systematic;
		struct flat f = { .base = base, .nbase = nbase };
		for (size_t i = 0; i < nbase; i++)
			flatten(g, &f, &pk, base[i]);
		bool checked;
		cJSON *v = build(g, &f, &pk, &ca, &checked);
		if (a == 0)
			combos = pk.radix;
		if (v && (checked || valid_base(g, &f, v)))
			return v;
		cJSON_Delete(v);
	}
	return NULL;
}

static cJSON *generate(const struct jsonschema *s, enum jsonschema_gen_mode mode, bool request, struct rng *rng,
		       bool best_effort);

cJSON *jsonschema_generate(const struct jsonschema *s, enum jsonschema_gen_mode mode, bool request,
			   struct rng *rng)
{
	return generate(s, mode, request, rng, false);
}

cJSON *jsonschema_generate_best(const struct jsonschema *s, enum jsonschema_gen_mode mode, bool request,
				struct rng *rng)
{
	return generate(s, mode, request, rng, true);
}

static cJSON *generate(const struct jsonschema *s, enum jsonschema_gen_mode mode, bool request, struct rng *rng,
		       bool best_effort)
{
	if (!s)
		return NULL;
	/* example mode's retries draw too, from a generator of their own with a fixed seed:
	 * the same schema gives the same example every time */
	struct rng fixed;
	rng_seed(&fixed, 0x6a736f6e736368ULL);
	struct gen gs = { .mode = mode, .request = request,
			  .rng = mode == JSONSCHEMA_GEN_DYNAMIC && rng ? rng : &fixed };
	struct gen *g = &gs;
	cJSON *v = NULL, *first = NULL;
	const struct node *root = s->root;
	for (unsigned attempt = 0; attempt < 4 && !g->exhausted; attempt++) {
		g->made = 0;
		v = gen_value(g, &root, 1, NULL, attempt > 0);
		if (v && count_values(v) <= JSONSCHEMA_GEN_MAX_VALUES &&
		    jsonschema_validate(s, v, NULL, 0) == 0)
			break;
		if (best_effort && !first && v && count_values(v) <= JSONSCHEMA_GEN_MAX_VALUES)
			first = v;
		else
			cJSON_Delete(v);
		v = NULL;
	}
	if (v) {
		cJSON_Delete(first);
		return v;
	}
	if (first || !best_effort)
		return first;
	/* nothing came out valid, nor whole: the branches one by one, as a last resort */
	g->exhausted = false;
	g->work = g->steps = 0;
	g->made = 0;
	const struct node *n = root;
	for (unsigned hops = 0; n && n->ref && hops < 16; hops++)
		n = n->ref;
	const struct list *l = n && n->one_of.n ? &n->one_of : n && n->any_of.n ? &n->any_of : NULL;
	for (size_t i = 0; l && i < l->n && !v; i++) {
		const struct node *b = l->v[i];
		v = gen_value(g, &b, 1, NULL, false);
	}
	return v;
}
