/* SPDX-License-Identifier: MIT */
/* JSONPath after Jayway JsonPath 2.9: a recursive-descent compiler from the expression to
 * steps and filter trees, and an evaluator that follows Jayway's path tokens
 * (PropertyPathToken, ArrayIndexToken, ScanPathToken, PredicatePathToken) and filter
 * evaluators (EvaluatorFactory, ValueNodes) case by case, quirks included where a stub
 * written against WireMock could depend on them. */
#include "jsonpath.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "javatext.h"
#include "regex.h"
#include "util/numtext.h"
#include "util/strbuf.h"
#include "util/utf8.h"
#include "util/xalloc.h"

/* ---- the compiled form ---------------------------------------------------------------- */

enum step_kind {
	STEP_NAMES,      /* .a, ['a'], ['a','b'] */
	STEP_INDEXES,    /* [0], [-1], [0,2] */
	STEP_SLICE,      /* [1:3], [1:], [:2] */
	STEP_WILDCARD,   /* .*, [*] */
	STEP_SCAN,       /* .. (the next step applies to every node below, and to the node) */
	STEP_FILTER,     /* [?(...)] */
	STEP_LENGTH,     /* .length(), .size(): only as the last step */
};

struct expr;

struct step {
	enum step_kind kind;
	bool definite;              /* this step alone selects at most one value */
	bool upstream_definite;     /* every step before it is definite (Jayway then throws) */
	char **names;               /* STEP_NAMES */
	size_t nnames;
	int *indexes;               /* STEP_INDEXES */
	size_t nindexes;
	int from, to;               /* STEP_SLICE */
	bool has_from, has_to;
	struct expr *filter;        /* STEP_FILTER */
};

struct path {
	bool at_item;               /* '@': the item a filter tests; '$': the document */
	struct step *steps;
	size_t nsteps;
	bool definite;
	/* `$..x.length()`: Jayway turns it into length($..x.*), the number of children of
	 * every x; steps then hold `..x.*` and the evaluation counts their results */
	bool scan_length;
};

enum expr_kind { EXPR_OR, EXPR_AND, EXPR_NOT, EXPR_EXISTS, EXPR_COMPARE };

enum op {
	OP_EQ, OP_NE, OP_TSEQ, OP_TSNE, OP_LT, OP_LE, OP_GT, OP_GE, OP_REGEX,
	OP_IN, OP_NIN, OP_SIZE, OP_EMPTY, OP_CONTAINS, OP_SUBSETOF, OP_ANYOF, OP_NONEOF,
};

enum operand_kind { OPD_PATH, OPD_LITERAL, OPD_PATTERN };

struct operand {
	enum operand_kind kind;
	struct path *path;          /* OPD_PATH */
	cJSON *literal;             /* OPD_LITERAL: string, number, bool, null, list or object */
	char *number_text;          /* a number literal as written: strings compare to this */
	struct regex *re;           /* OPD_PATTERN */
};

struct expr {
	enum expr_kind kind;
	struct expr **kids;         /* EXPR_OR, EXPR_AND (two or more), EXPR_NOT (one) */
	size_t nkids;
	struct path *path;          /* EXPR_EXISTS */
	bool should_exist;          /* EXPR_EXISTS: false for `!@.a` */
	enum op op;                 /* EXPR_COMPARE */
	struct operand left, right;
};

struct jsonpath {
	char *source;
	struct path path;
};

static void expr_destroy(struct expr *e);

static void path_release(struct path *path)
{
	for (size_t i = 0; i < path->nsteps; i++) {
		struct step *s = &path->steps[i];
		for (size_t k = 0; k < s->nnames; k++)
			free(s->names[k]);
		free(s->names);
		free(s->indexes);
		expr_destroy(s->filter);
	}
	free(path->steps);
	memset(path, 0, sizeof(*path));
}

static void path_destroy(struct path *path)
{
	if (!path)
		return;
	path_release(path);
	free(path);
}

static void operand_release(struct operand *o)
{
	path_destroy(o->path);
	cJSON_Delete(o->literal);
	free(o->number_text);
	regex_destroy(o->re);
}

static void expr_destroy(struct expr *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nkids; i++)
		expr_destroy(e->kids[i]);
	free(e->kids);
	path_destroy(e->path);
	operand_release(&e->left);
	operand_release(&e->right);
	free(e);
}

/* ---- the compiler ----------------------------------------------------------------------- */

struct parser {
	const char *s;
	size_t end;                 /* the expression ends here (trailing blanks cut off) */
	size_t pos;
	unsigned depth;             /* filters, parentheses, `!` and list literals open */
	char *err;
	size_t err_at;
};

static bool fail_at(struct parser *p, size_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Records the first error only: what failed deeper down says more than its callers. */
static bool fail_at(struct parser *p, size_t at, const char *fmt, ...)
{
	if (p->err)
		return false;
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	p->err = strbuf_detach(&sb, NULL);
	p->err_at = at;
	return false;
}

static char peek_at(const struct parser *p, size_t ahead)
{
	return p->pos + ahead < p->end ? p->s[p->pos + ahead] : '\0';
}

static char peek(const struct parser *p)
{
	return peek_at(p, 0);
}

static bool at_end(const struct parser *p)
{
	return p->pos >= p->end;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void skip_blanks(struct parser *p)
{
	while (!at_end(p) && is_blank(peek(p)))
		p->pos++;
}

/* A readable name for the character at the parser's position, for messages. */
static const char *here(const struct parser *p, char *buf, size_t size)
{
	if (at_end(p))
		return "the end";
	unsigned char c = (unsigned char)peek(p);
	if (c < 0x20 || c >= 0x7f)
		snprintf(buf, size, "byte 0x%02x", c);
	else
		snprintf(buf, size, "'%c'", c);
	return buf;
}

static bool expected(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fails at the parser's position with "expected WHAT, not THIS". */
static bool expected(struct parser *p, const char *fmt, ...)
{
	struct strbuf what = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&what, fmt, ap);
	va_end(ap);
	char b[16];
	fail_at(p, p->pos, "expected %s, not %s", strbuf_str(&what), here(p, b, sizeof(b)));
	strbuf_release(&what);
	return false;
}

static bool enter(struct parser *p, size_t at)
{
	if (++p->depth > JSONPATH_MAX_DEPTH)
		return fail_at(p, at, "nested deeper than %d filters, parentheses, '!' and lists", JSONPATH_MAX_DEPTH);
	return true;
}

static void leave(struct parser *p)
{
	p->depth--;
}

static struct step *add_step(struct path *path, enum step_kind kind)
{
	path->steps = xrealloc(path->steps, (path->nsteps + 1) * sizeof(*path->steps));
	struct step *s = &path->steps[path->nsteps++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	return s;
}

static bool read_u4(struct parser *p, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		int h = numtext_digit_value(peek_at(p, (size_t)i));
		if (h > 15)
			return fail_at(p, p->pos, "expected four hex digits after '\\u'");
		v = v * 16 + (unsigned)h;
	}
	p->pos += 4;
	*out = v;
	return true;
}

/* A '...' or "..." string at the parser's position, with Jayway's escapes (Utils.unescape:
 * \\ \' \" \b \f \n \r \t \uXXXX, and a backslash before anything else drops). Returns
 * the text (caller frees), or NULL after an error. */
static char *read_quoted(struct parser *p)
{
	size_t open = p->pos;
	char quote = peek(p);
	p->pos++;
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, "");
	for (;;) {
		if (at_end(p)) {
			fail_at(p, open, "unterminated string: expected %c", quote);
			goto fail;
		}
		char c = peek(p);
		p->pos++;
		if (c == quote)
			break;
		if (c != '\\') {
			strbuf_addc(&sb, c);
			continue;
		}
		if (at_end(p)) {
			fail_at(p, open, "unterminated string: expected %c", quote);
			goto fail;
		}
		c = peek(p);
		p->pos++;
		switch (c) {
		case 'b': strbuf_addc(&sb, '\b'); break;
		case 'f': strbuf_addc(&sb, '\f'); break;
		case 'n': strbuf_addc(&sb, '\n'); break;
		case 'r': strbuf_addc(&sb, '\r'); break;
		case 't': strbuf_addc(&sb, '\t'); break;
		case 'u': {
			size_t at = p->pos - 2;
			unsigned cp;
			if (!read_u4(p, &cp))
				goto fail;
			if (cp >= 0xD800 && cp < 0xDC00 && peek(p) == '\\' && peek_at(p, 1) == 'u') {
				size_t save = p->pos;
				unsigned lo;
				p->pos += 2;
				if (!read_u4(p, &lo))
					goto fail;
				if (lo >= 0xDC00 && lo < 0xE000)
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				else
					p->pos = save;
			}
			if (cp == 0) {
				fail_at(p, at, "a NUL character (\\u0000) in a string");
				goto fail;
			}
			/* a lone surrogate has no UTF-8 form */
			if (cp >= 0xD800 && cp < 0xE000)
				cp = 0xFFFD;
			strbuf_add_utf8(&sb, cp);
			break;
		}
		default:
			strbuf_addc(&sb, c);
			break;
		}
	}
	return strbuf_detach(&sb, NULL);
fail:
	strbuf_release(&sb);
	return NULL;
}

static bool parse_steps(struct parser *p, struct path *path, bool in_filter);
static bool parse_filter_step(struct parser *p, struct path *path, size_t open);

/* ['a'] or ['a', "b", ...], the parser at the first quote. */
static bool parse_names(struct parser *p, struct path *path)
{
	struct step *s = add_step(path, STEP_NAMES);
	for (;;) {
		char *name = read_quoted(p);
		if (!name)
			return false;
		s->names = xrealloc(s->names, (s->nnames + 1) * sizeof(*s->names));
		s->names[s->nnames++] = name;
		skip_blanks(p);
		if (peek(p) == ']') {
			p->pos++;
			return true;
		}
		if (peek(p) != ',')
			return expected(p, "',' or ']' after a quoted name");
		p->pos++;
		skip_blanks(p);
		if (peek(p) != '\'' && peek(p) != '"')
			return expected(p, "a quoted name after ','");
	}
}

/* An int as Java's Integer.parseInt reads it ('-'? digits), or false after an error. */
static bool read_int(struct parser *p, int *out)
{
	size_t at = p->pos;
	bool neg = false;
	if (peek(p) == '-') {
		neg = true;
		p->pos++;
	}
	if (!numtext_is_digit(peek(p)))
		return fail_at(p, at, "expected a number");
	long long v = 0;
	while (numtext_is_digit(peek(p))) {
		v = v * 10 + (peek(p) - '0');
		if (v > (long long)INT_MAX + 1)
			return fail_at(p, at, "index out of range");
		p->pos++;
	}
	if (neg)
		v = -v;
	if (v > INT_MAX || v < INT_MIN)
		return fail_at(p, at, "index out of range");
	*out = (int)v;
	return true;
}

/* [N], [N, M, ...], [from:to], [from:], [:to]; the parser at the first number or ':'. */
static bool parse_indexes(struct parser *p, struct path *path)
{
	size_t start = p->pos;
	int first = 0;
	bool has_first = peek(p) != ':';
	if (has_first && !read_int(p, &first))
		return false;
	skip_blanks(p);
	if (peek(p) == ':') {
		struct step *s = add_step(path, STEP_SLICE);
		s->from = first;
		s->has_from = has_first;
		p->pos++;
		skip_blanks(p);
		if (peek(p) != ']' && peek(p) != ':') {
			if (!read_int(p, &s->to))
				return false;
			s->has_to = true;
			skip_blanks(p);
		}
		if (peek(p) == ':')
			return fail_at(p, p->pos, "slice steps ([start:end:step]) are not supported");
		if (!s->has_from && !s->has_to)
			return fail_at(p, start, "expected a number before or after ':' in a slice");
		if (peek(p) != ']')
			return expected(p, "']' after a slice");
		p->pos++;
		return true;
	}
	struct step *s = add_step(path, STEP_INDEXES);
	s->indexes = xmalloc(sizeof(*s->indexes));
	s->indexes[s->nindexes++] = first;
	while (peek(p) == ',') {
		p->pos++;
		skip_blanks(p);
		int v;
		if (!read_int(p, &v))
			return false;
		s->indexes = xrealloc(s->indexes, (s->nindexes + 1) * sizeof(*s->indexes));
		s->indexes[s->nindexes++] = v;
		skip_blanks(p);
	}
	if (peek(p) != ']')
		return expected(p, "',' or ']' after an index");
	p->pos++;
	return true;
}

/* A step in brackets; the parser at '['. */
static bool parse_bracket(struct parser *p, struct path *path)
{
	size_t open = p->pos;
	p->pos++;
	skip_blanks(p);
	char c = peek(p);
	if (c == '\'' || c == '"')
		return parse_names(p, path);
	if (numtext_is_digit(c) || c == '-' || c == ':')
		return parse_indexes(p, path);
	if (c == '*') {
		p->pos++;
		skip_blanks(p);
		if (peek(p) != ']')
			return fail_at(p, p->pos, "expected ']' after '[*'");
		p->pos++;
		add_step(path, STEP_WILDCARD);
		return true;
	}
	if (c == '?')
		return parse_filter_step(p, path, open);
	return expected(p, "a quoted name, an index, a slice, '*' or '?(' after '['");
}

static bool name_ends(char c, bool in_filter)
{
	if (c == '.' || c == '[' || c == '(')
		return true;
	/* In a filter a path ends at what may follow it: an operator, '&&', '||', ')' */
	return in_filter && (is_blank(c) || strchr(")]<>=~!&|,", c) != NULL);
}

/* What follows '.' or '..': a name, a function, '*' or a bracket step. */
static bool parse_after_dot(struct parser *p, struct path *path, bool in_filter, size_t dot)
{
	char c = peek(p);
	if (at_end(p))
		return fail_at(p, dot, "expected a name, '*' or '[' after '%s'", path->nsteps && path->steps[path->nsteps - 1].kind == STEP_SCAN ? ".." : ".");
	if (c == '[')
		return parse_bracket(p, path);
	if (c == '*') {
		p->pos++;
		add_step(path, STEP_WILDCARD);
		return true;
	}
	size_t start = p->pos;
	while (!at_end(p) && !name_ends(peek(p), in_filter)) {
		if (is_blank(peek(p)))
			return fail_at(p, p->pos, "a name with a blank in it needs brackets: ['my name']");
		p->pos++;
	}
	size_t len = p->pos - start;
	if (len == 0)
		return expected(p, "a name, '*' or '[' after '.'");
	if (peek(p) == '(') {
		p->pos++;
		skip_blanks(p);
		if (peek(p) != ')')
			return fail_at(p, p->pos, "functions with arguments are not supported");
		p->pos++;
		if (!((len == 6 && memcmp(p->s + start, "length", 6) == 0) || (len == 4 && memcmp(p->s + start, "size", 4) == 0)))
			return fail_at(p, start, "unknown function '%.*s()': length() and size() are supported", (int)len, p->s + start);
		add_step(path, STEP_LENGTH);
		return true;
	}
	struct step *s = add_step(path, STEP_NAMES);
	s->names = xmalloc(sizeof(*s->names));
	s->names[0] = xstrndup(p->s + start, len);
	s->nnames = 1;
	return true;
}

/* Jayway's definiteness, and what its tokens throw on depends on the steps before. */
static void finish_path(struct path *path)
{
	bool upstream = true;
	for (size_t i = 0; i < path->nsteps; i++) {
		struct step *s = &path->steps[i];
		bool leaf = i + 1 == path->nsteps;
		switch (s->kind) {
		case STEP_NAMES:
			/* several names as the last step merge into one object */
			s->definite = s->nnames == 1 || leaf;
			break;
		case STEP_INDEXES:
			s->definite = s->nindexes == 1;
			break;
		case STEP_LENGTH:
			s->definite = true;
			break;
		default:
			s->definite = false;
			break;
		}
		s->upstream_definite = upstream;
		upstream = upstream && s->definite;
	}
	path->definite = upstream;
	if (path->nsteps >= 2 && path->steps[0].kind == STEP_SCAN && path->steps[path->nsteps - 1].kind == STEP_LENGTH) {
		/* CompiledPath.invertScannerFunctionRelationship and Length: count `..x.*` */
		struct step *last = &path->steps[path->nsteps - 1];
		last->kind = STEP_WILDCARD;
		last->definite = false;
		path->scan_length = true;
		path->definite = true;
	}
}

/* The steps after '$' or '@' (or, for a path without either, from the start). Outside a
 * filter the steps run to the end; inside one they end where a step cannot go on. */
static bool parse_steps(struct parser *p, struct path *path, bool in_filter)
{
	for (;;) {
		if (path->nsteps && path->steps[path->nsteps - 1].kind == STEP_LENGTH &&
		    (peek(p) == '.' || peek(p) == '['))
			return fail_at(p, p->pos, "a function must be the last step of a path");
		char c = peek(p);
		if (at_end(p))
			return true;
		if (c == '.') {
			size_t dot = p->pos;
			p->pos++;
			if (peek(p) == '.') {
				p->pos++;
				add_step(path, STEP_SCAN);
				if (peek(p) == '.')
					return fail_at(p, p->pos, "expected a name, '*' or '[' after '..', not '.'");
			}
			if (!parse_after_dot(p, path, in_filter, dot))
				return false;
		} else if (c == '[') {
			if (!parse_bracket(p, path))
				return false;
		} else if (in_filter) {
			return true;
		} else {
			return expected(p, "'.' or '['");
		}
	}
}

/* A path starting at '$' or '@'. */
static struct path *parse_path(struct parser *p, bool in_filter)
{
	struct path *path = xcalloc(1, sizeof(*path));
	path->at_item = peek(p) == '@';
	p->pos++;
	if (!parse_steps(p, path, in_filter)) {
		path_destroy(path);
		return NULL;
	}
	finish_path(path);
	return path;
}

/* ---- filter expressions ---- */

static struct expr *parse_or(struct parser *p);

/* Java's BigDecimal(String) grammar: [+-]? (digits ('.' digits*)? | '.' digits)
 * ([eE] [+-]? digits)?, the whole of s[0..len). */
static bool decimal_text(const char *s, size_t len)
{
	size_t i = 0, digits = 0;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	while (i < len && numtext_is_digit(s[i])) {
		i++;
		digits++;
	}
	if (i < len && s[i] == '.') {
		i++;
		while (i < len && numtext_is_digit(s[i])) {
			i++;
			digits++;
		}
	}
	if (digits == 0)
		return false;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t exp = 0;
		while (i < len && numtext_is_digit(s[i])) {
			i++;
			exp++;
		}
		if (exp == 0)
			return false;
	}
	return i == len;
}

/* A number: a run of digits, '.', 'e', 'E', '-' and '+' that is a BigDecimal. */
static bool read_number(struct parser *p, cJSON **out, char **text)
{
	size_t start = p->pos;
	while (!at_end(p) && (numtext_is_digit(peek(p)) || strchr(".eE-+", peek(p))))
		p->pos++;
	size_t len = p->pos - start;
	if (!decimal_text(p->s + start, len))
		return fail_at(p, start, "invalid number '%.*s'", (int)len, p->s + start);
	char *copy = xstrndup(p->s + start, len);
	double d = strtod(copy, NULL);
	if (!isfinite(d)) {
		free(copy);
		return fail_at(p, start, "number out of range");
	}
	*out = json_check(cJSON_CreateNumber(d));
	if (text)
		*text = copy;
	else
		free(copy);
	return true;
}

static bool read_word(struct parser *p, const char *word)
{
	size_t n = strlen(word);
	if (p->pos + n > p->end || memcmp(p->s + p->pos, word, n) != 0)
		return false;
	p->pos += n;
	return true;
}

/* A list or object literal as json-smart's permissive reader takes the common forms:
 * strings in either quotes, numbers, true, false, null, lists and objects. */
static cJSON *read_json(struct parser *p)
{
	skip_blanks(p);
	char c = peek(p);
	size_t at = p->pos;
	if (c == '\'' || c == '"') {
		char *s = read_quoted(p);
		if (!s)
			return NULL;
		cJSON *v = json_check(cJSON_CreateString(s));
		free(s);
		return v;
	}
	if (numtext_is_digit(c) || c == '-' || c == '.') {
		cJSON *v;
		return read_number(p, &v, NULL) ? v : NULL;
	}
	if (read_word(p, "true"))
		return json_check(cJSON_CreateTrue());
	if (read_word(p, "false"))
		return json_check(cJSON_CreateFalse());
	if (read_word(p, "null"))
		return json_check(cJSON_CreateNull());
	if (c != '[' && c != '{') {
		expected(p, "a value in the list");
		return NULL;
	}
	if (!enter(p, at))
		return NULL;
	bool list = c == '[';
	char close = list ? ']' : '}';
	cJSON *v = json_check(list ? cJSON_CreateArray() : cJSON_CreateObject());
	p->pos++;
	skip_blanks(p);
	if (peek(p) == close) {
		p->pos++;
		leave(p);
		return v;
	}
	for (;;) {
		char *key = NULL;
		if (!list) {
			skip_blanks(p);
			if (peek(p) != '\'' && peek(p) != '"') {
				expected(p, "a quoted key");
				goto fail;
			}
			key = read_quoted(p);
			if (!key)
				goto fail;
			skip_blanks(p);
			if (peek(p) != ':') {
				free(key);
				fail_at(p, p->pos, "expected ':' after a key");
				goto fail;
			}
			p->pos++;
		}
		cJSON *item = read_json(p);
		if (!item) {
			free(key);
			goto fail;
		}
		if (list)
			json_array_add(v, item);
		else
			json_object_add(v, key, item);
		free(key);
		skip_blanks(p);
		if (peek(p) == close) {
			p->pos++;
			leave(p);
			return v;
		}
		if (peek(p) != ',') {
			expected(p, "',' or '%c'", close);
			goto fail;
		}
		p->pos++;
	}
fail:
	cJSON_Delete(v);
	return NULL;
}

/* /regex/flags, the parser at the first '/'. The flags Jayway knows are Java's d i x m s
 * u U; PCRE2 through regex.h gives i, and u (Unicode case folding), which it always does. */
static bool read_pattern(struct parser *p, struct operand *o)
{
	size_t open = p->pos;
	p->pos++;
	size_t start = p->pos;
	bool escaped = false;
	for (;; p->pos++) {
		if (at_end(p))
			return fail_at(p, open, "unterminated regex: expected '/'");
		char c = peek(p);
		if (escaped)
			escaped = false;
		else if (c == '\\')
			escaped = true;
		else if (c == '/')
			break;
	}
	size_t len = p->pos - start;
	p->pos++;
	bool ignore_case = false;
	while (!at_end(p) && strchr("dixmsuU", peek(p))) {
		char f = peek(p);
		if (f == 'i')
			ignore_case = true;
		else if (f != 'u')
			return fail_at(p, p->pos, "regex flag '%c' is not supported (i and u are)", f);
		p->pos++;
	}
	char *pattern = xstrndup(p->s + start, len);
	char *rerr = NULL;
	size_t roff = 0;
	o->kind = OPD_PATTERN;
	o->re = regex_compile(pattern, ignore_case, &rerr, &roff);
	free(pattern);
	if (!o->re) {
		fail_at(p, start + (roff < len ? roff : len), "invalid regex: %s", rerr ? rerr : "error");
		free(rerr);
		return false;
	}
	return true;
}

/* A value in a filter: a path, or a literal (Jayway's FilterCompiler.readValueNode). */
static bool parse_value(struct parser *p, struct operand *o, bool *negated)
{
	skip_blanks(p);
	char c = peek(p);
	size_t at = p->pos;
	*negated = false;
	if (c == '!') {
		p->pos++;
		skip_blanks(p);
		c = peek(p);
		if (c != '$' && c != '@')
			return fail_at(p, at, "expected a path after '!'");
		*negated = true;
	}
	if (c == '$' || c == '@') {
		o->kind = OPD_PATH;
		o->path = parse_path(p, true);
		return o->path != NULL;
	}
	o->kind = OPD_LITERAL;
	if (c == '\'' || c == '"') {
		char *s = read_quoted(p);
		if (!s)
			return false;
		o->literal = json_check(cJSON_CreateString(s));
		free(s);
		return true;
	}
	if (c == '/')
		return read_pattern(p, o);
	if (c == '[' || c == '{')
		return (o->literal = read_json(p)) != NULL;
	if (numtext_is_digit(c) || c == '-' || c == '.')
		return read_number(p, &o->literal, &o->number_text);
	if (read_word(p, "true"))
		o->literal = json_check(cJSON_CreateTrue());
	else if (read_word(p, "false"))
		o->literal = json_check(cJSON_CreateFalse());
	else if (read_word(p, "null"))
		o->literal = json_check(cJSON_CreateNull());
	else
		return expected(p, "a path, a string, a number, true, false, null, a list or a regex");
	return true;
}

static bool is_op_char(char c)
{
	return c == '<' || c == '>' || c == '=' || c == '~' || c == '!';
}

static bool is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Jayway's operators (RelationalOperator), by symbol or case-insensitive word. Returns
 * false without an error when no operator follows (an existence test). */
static bool parse_op(struct parser *p, enum op *op, bool *found)
{
	static const struct {
		const char *text;
		enum op op;
	} ops[] = {
		{ "==", OP_EQ }, { "!=", OP_NE }, { "===", OP_TSEQ }, { "!==", OP_TSNE }, { "<", OP_LT },
		{ "<=", OP_LE }, { ">", OP_GT }, { ">=", OP_GE }, { "=~", OP_REGEX }, { "in", OP_IN },
		{ "nin", OP_NIN }, { "size", OP_SIZE }, { "empty", OP_EMPTY }, { "contains", OP_CONTAINS },
		{ "subsetof", OP_SUBSETOF }, { "anyof", OP_ANYOF }, { "noneof", OP_NONEOF },
	};
	*found = false;
	skip_blanks(p);
	char c = peek(p);
	if (at_end(p) || c == ')' || c == '&' || c == '|')
		return true;
	size_t start = p->pos;
	if (is_op_char(c)) {
		while (is_op_char(peek(p)))
			p->pos++;
	} else if (is_letter(c)) {
		while (is_letter(peek(p)))
			p->pos++;
	} else {
		return expected(p, "an operator, '&&', '||' or ')'");
	}
	size_t len = p->pos - start;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strlen(ops[i].text) != len)
			continue;
		size_t k = 0;
		while (k < len && (p->s[start + k] | 0x20) == ops[i].text[k])
			k++;
		if (k == len) {
			*op = ops[i].op;
			*found = true;
			return true;
		}
	}
	return fail_at(p, start, "unknown operator '%.*s'", (int)len, p->s + start);
}

/* value [op value]: a comparison, or (a path alone) an existence test. */
static struct expr *parse_relation(struct parser *p)
{
	struct expr *e = xcalloc(1, sizeof(*e));
	size_t at = p->pos;
	bool negated, right_negated, found;
	if (!parse_value(p, &e->left, &negated) || !parse_op(p, &e->op, &found))
		goto fail;
	if (found) {
		/* a '!' before a compared path means nothing to Jayway (`!@.a == 1` is `@.a == 1`) */
		if (!parse_value(p, &e->right, &right_negated))
			goto fail;
		e->kind = EXPR_COMPARE;
		return e;
	}
	if (e->left.kind != OPD_PATH) {
		fail_at(p, at, "a value alone is no condition: expected an operator after it");
		goto fail;
	}
	e->kind = EXPR_EXISTS;
	e->path = e->left.path;
	e->left.path = NULL;
	e->should_exist = !negated;
	return e;
fail:
	expr_destroy(e);
	return NULL;
}

/* '!' operand | '(' or ')' | relation (FilterCompiler.readLogicalANDOperand). */
static struct expr *parse_operand(struct parser *p)
{
	skip_blanks(p);
	size_t at = p->pos;
	if (peek(p) == '!') {
		size_t save = p->pos;
		p->pos++;
		skip_blanks(p);
		if (peek(p) != '$' && peek(p) != '@') {
			if (!enter(p, at))
				return NULL;
			struct expr *kid = parse_operand(p);
			leave(p);
			if (!kid)
				return NULL;
			struct expr *e = xcalloc(1, sizeof(*e));
			e->kind = EXPR_NOT;
			e->kids = xmalloc(sizeof(*e->kids));
			e->kids[0] = kid;
			e->nkids = 1;
			return e;
		}
		p->pos = save;
	}
	if (peek(p) == '(') {
		if (!enter(p, at))
			return NULL;
		p->pos++;
		struct expr *e = parse_or(p);
		leave(p);
		if (!e)
			return NULL;
		skip_blanks(p);
		if (peek(p) != ')') {
			expr_destroy(e);
			expected(p, "')' to close the '(' at %zu", at);
			return NULL;
		}
		p->pos++;
		return e;
	}
	return parse_relation(p);
}

/* kid (sep kid)*, flattened into one node of kind when there are several. */
static struct expr *parse_chain(struct parser *p, const char *sep, enum expr_kind kind,
				struct expr *(*kid)(struct parser *))
{
	struct expr *first = kid(p);
	if (!first)
		return NULL;
	struct expr *e = NULL;
	for (;;) {
		skip_blanks(p);
		if (!read_word(p, sep))
			break;
		struct expr *next = kid(p);
		if (!next) {
			expr_destroy(first);
			expr_destroy(e);
			return NULL;
		}
		if (!e) {
			e = xcalloc(1, sizeof(*e));
			e->kind = kind;
			e->kids = xmalloc(sizeof(*e->kids));
			e->kids[e->nkids++] = first;
			first = NULL;
		}
		e->kids = xrealloc(e->kids, (e->nkids + 1) * sizeof(*e->kids));
		e->kids[e->nkids++] = next;
	}
	return e ? e : first;
}

static struct expr *parse_and(struct parser *p)
{
	return parse_chain(p, "&&", EXPR_AND, parse_operand);
}

static struct expr *parse_or(struct parser *p)
{
	return parse_chain(p, "||", EXPR_OR, parse_and);
}

/* [?( expr )], the parser at '?' (open is the '['). */
static bool parse_filter_step(struct parser *p, struct path *path, size_t open)
{
	p->pos++;
	skip_blanks(p);
	if (peek(p) != '(')
		return fail_at(p, p->pos, "expected '(' after '[?'");
	if (!enter(p, open))
		return false;
	size_t paren = p->pos;
	p->pos++;
	struct expr *e = parse_or(p);
	leave(p);
	if (!e)
		return false;
	struct step *s = add_step(path, STEP_FILTER);
	s->filter = e;
	skip_blanks(p);
	if (peek(p) != ')')
		return expected(p, "')' to close the filter's '(' at %zu", paren);
	p->pos++;
	skip_blanks(p);
	if (peek(p) != ']')
		return expected(p, "']' after the filter");
	p->pos++;
	return true;
}

struct jsonpath *jsonpath_compile(const char *expr, char **err, size_t *offset)
{
	struct parser p = { .s = expr, .end = strlen(expr) };
	struct jsonpath *jp = xcalloc(1, sizeof(*jp));
	jp->source = xstrdup(expr);
	if (p.end > JSONPATH_MAX_LENGTH) {
		fail_at(&p, JSONPATH_MAX_LENGTH, "expression longer than %d bytes", JSONPATH_MAX_LENGTH);
		goto fail;
	}
	while (p.end > 0 && is_blank(expr[p.end - 1]))
		p.end--;
	skip_blanks(&p);
	if (at_end(&p)) {
		fail_at(&p, p.pos, "empty expression: expected '$'");
		goto fail;
	}
	if (peek(&p) == '$' || peek(&p) == '@') {
		jp->path.at_item = false;  /* '@' outside a filter is the document too */
		p.pos++;
		if (!at_end(&p) && peek(&p) != '.' && peek(&p) != '[') {
			expected(&p, "'.' or '[' after '%c'", expr[p.pos - 1]);
			goto fail;
		}
	} else {
		/* Jayway reads "a.b" as "$.a.b" */
		size_t at = p.pos;
		if (peek(&p) == '.') {
			fail_at(&p, at, "expected '$' or a name, not '.'");
			goto fail;
		}
		if (!parse_after_dot(&p, &jp->path, false, at))
			goto fail;
	}
	if (!parse_steps(&p, &jp->path, false))
		goto fail;
	finish_path(&jp->path);
	return jp;
fail:
	if (err)
		*err = p.err;
	else
		free(p.err);
	if (offset)
		*offset = p.err_at;
	jsonpath_destroy(jp);
	return NULL;
}

void jsonpath_destroy(struct jsonpath *p)
{
	if (!p)
		return;
	path_release(&p->path);
	free(p->source);
	free(p);
}

bool jsonpath_is_definite(const struct jsonpath *p)
{
	return p->path.definite;
}

const char *jsonpath_source(const struct jsonpath *p)
{
	return p->source;
}

/* ---- numbers and strings as Java sees them ----------------------------------------------- */

/* d as Java prints it: integers (what json-smart reads as Integer or Long) without a
 * fraction, other values as Double.toString does (javatext_double). cJSON keeps no number
 * text, so 1.0 in a document prints as 1 here where Jayway would say 1.0. */
static void number_text(double d, char *buf, size_t size)
{
	if (!isnan(d) && !isinf(d) && d == trunc(d) && fabs(d) < 9.2e18) {
		snprintf(buf, size, "%lld", (long long)d);
		return;
	}
	struct strbuf sb = STRBUF_INIT;
	javatext_double(&sb, d);
	snprintf(buf, size, "%s", strbuf_str(&sb));
	strbuf_release(&sb);
}

static double number_of(const cJSON *v)
{
	if (cJSON_IsRaw(v))
		return strtod(v->valuestring, NULL);
	return v->valuedouble;
}

/* The next UTF-16 code unit of the UTF-8 text at *s, or -1 at its end. Java compares and
 * measures strings in these units; a byte that starts no valid sequence counts as one. */
static long next_unit(const unsigned char **s, unsigned *pending)
{
	if (*pending) {
		long u = *pending;
		*pending = 0;
		return u;
	}
	const unsigned char *c = *s;
	if (!*c)
		return -1;
	size_t n = utf8_seq(c, strnlen((const char *)c, 4));
	unsigned cp;
	switch (n) {
	case 2: cp = ((c[0] & 0x1Fu) << 6) | (c[1] & 0x3Fu); break;
	case 3: cp = ((c[0] & 0x0Fu) << 12) | ((c[1] & 0x3Fu) << 6) | (c[2] & 0x3Fu); break;
	case 4: cp = ((c[0] & 0x07u) << 18) | ((c[1] & 0x3Fu) << 12) | ((c[2] & 0x3Fu) << 6) | (c[3] & 0x3Fu); break;
	default: cp = c[0]; n = 1; break;
	}
	*s = c + n;
	if (cp >= 0x10000) {
		cp -= 0x10000;
		*pending = 0xDC00 + (cp & 0x3FF);
		return 0xD800 + (cp >> 10);
	}
	return cp;
}

/* String.compareTo: by UTF-16 code units (so U+1F600 sorts before U+FFFD). */
static int java_compare(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
	unsigned px = 0, py = 0;
	for (;;) {
		long ux = next_unit(&x, &px), uy = next_unit(&y, &py);
		if (ux != uy)
			return ux < uy ? -1 : 1;
		if (ux < 0)
			return 0;
	}
}

static long java_length(const char *s)
{
	const unsigned char *x = (const unsigned char *)s;
	unsigned pending = 0;
	long n = 0;
	while (next_unit(&x, &pending) >= 0)
		n++;
	return n;
}

char *jsonpath_value_text(const cJSON *v)
{
	char buf[40];
	if (!v || cJSON_IsNull(v))
		return xstrdup("null");
	if (cJSON_IsString(v))
		return xstrdup(v->valuestring);
	if (cJSON_IsRaw(v))
		return xstrdup(v->valuestring);
	if (cJSON_IsNumber(v)) {
		number_text(v->valuedouble, buf, sizeof(buf));
		return xstrdup(buf);
	}
	if (cJSON_IsTrue(v))
		return xstrdup("true");
	if (cJSON_IsFalse(v))
		return xstrdup("false");
	return json_print(v, NULL);
}

/* ---- evaluation --------------------------------------------------------------------------- */

/*
 * Recursion: eval calls itself once per step of the path (at most JSONPATH_MAX_LENGTH / 2
 * frames, however deep the document), `..` walks the document with a stack on the heap,
 * and filters nest at most JSONPATH_MAX_DEPTH deep. Only json_equal (`==` between two
 * objects or lists) recurses per level of the document, which json.h's parsers bound
 * (cJSON's nesting limit, 1000).
 */

struct nodes {
	const cJSON **v;
	size_t n, cap;
};

static void nodes_add(struct nodes *ns, const cJSON *v)
{
	if (ns->n == ns->cap) {
		ns->cap = ns->cap ? ns->cap * 2 : 8;
		ns->v = xrealloc(ns->v, ns->cap * sizeof(*ns->v));
	}
	ns->v[ns->n++] = v;
}

/* Values made during a select (freed with it), or while a filter is tested (freed when
 * it has answered). */
struct jsonpath_made {
	cJSON **v;
	size_t n, cap;
};

static const cJSON *store_add(struct jsonpath_made *st, cJSON *item)
{
	json_check(item);
	if (st->n == st->cap) {
		st->cap = st->cap ? st->cap * 2 : 8;
		st->v = xrealloc(st->v, st->cap * sizeof(*st->v));
	}
	st->v[st->n++] = item;
	return item;
}

/* Drops what was made after mark. */
static void store_truncate(struct jsonpath_made *st, size_t mark)
{
	while (st->n > mark)
		cJSON_Delete(st->v[--st->n]);
}

static void store_release(struct jsonpath_made *st)
{
	store_truncate(st, 0);
	free(st->v);
}

/* One select: what every path evaluation in it shares. */
struct run {
	const cJSON *root;
	size_t steps;
	bool exhausted;
	struct jsonpath_made scratch;   /* values made while a filter is tested */
};

/* One path evaluation. */
struct walk {
	struct run *run;
	struct nodes *out;
	struct jsonpath_made *made;
	bool require;               /* Jayway's REQUIRE_PROPERTIES (existence tests) */
	bool aborted;               /* Jayway would have thrown: no result at all */
};

static bool charge(struct run *r, size_t n)
{
	if (r->exhausted)
		return false;
	r->steps += n;
	if (r->steps > JSONPATH_MAX_STEPS) {
		r->exhausted = true;
		return false;
	}
	return true;
}

static bool stopped(const struct walk *w)
{
	return w->aborted || w->run->exhausted;
}

static bool accept(struct run *r, const struct expr *e, const cJSON *item);
static void eval(struct walk *w, const struct path *path, size_t i, const cJSON *node);

static bool is_container(const cJSON *v)
{
	return cJSON_IsArray(v) || cJSON_IsObject(v);
}

/* The object `['a','b']` makes as a last step: the names present, each once, as
 * references into the document (Jayway's merged map). */
static void merge_names(struct walk *w, const struct step *s, const cJSON *node)
{
	cJSON *merged = json_check(cJSON_CreateObject());
	for (size_t k = 0; k < s->nnames; k++) {
		cJSON *v = cJSON_GetObjectItemCaseSensitive(node, s->names[k]);
		if (!v) {
			if (w->require) {
				w->aborted = true;
				break;
			}
			continue;
		}
		if (cJSON_GetObjectItemCaseSensitive(merged, s->names[k]))
			continue;
		/* a reference item shares v's children and text, and deleting it leaves them */
		if (!cJSON_AddItemReferenceToObject(merged, s->names[k], v))
			json_check(NULL);
	}
	if (w->aborted) {
		cJSON_Delete(merged);
		return;
	}
	nodes_add(w->out, store_add(w->made, merged));
}

static void eval_names(struct walk *w, const struct path *path, size_t i, const cJSON *node)
{
	const struct step *s = &path->steps[i];
	bool leaf = i + 1 == path->nsteps;
	if (!cJSON_IsObject(node)) {
		if (s->upstream_definite)
			w->aborted = true;
		return;
	}
	if (s->nnames > 1 && leaf) {
		merge_names(w, s, node);
		return;
	}
	for (size_t k = 0; k < s->nnames && !stopped(w); k++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(node, s->names[k]);
		if (!v) {
			/* PathToken.handleObjectProperty: a definite path throws past a gap */
			if (w->require || (!leaf && s->upstream_definite && s->definite)) {
				w->aborted = true;
				return;
			}
			continue;
		}
		eval(w, path, i + 1, v);
	}
}

static void eval_indexes(struct walk *w, const struct path *path, size_t i, const cJSON *node)
{
	const struct step *s = &path->steps[i];
	int len = cJSON_GetArraySize(node);
	for (size_t k = 0; k < s->nindexes && !stopped(w); k++) {
		long at = s->indexes[k] < 0 ? (long)len + s->indexes[k] : s->indexes[k];
		if (at >= 0 && at < len)
			eval(w, path, i + 1, cJSON_GetArrayItem(node, (int)at));
	}
}

static void eval_slice(struct walk *w, const struct path *path, size_t i, const cJSON *node)
{
	const struct step *s = &path->steps[i];
	int len = cJSON_GetArraySize(node);
	if (len == 0)
		return;
	const cJSON **items = xmalloc((size_t)len * sizeof(*items));
	int n = 0;
	for (const cJSON *c = node->child; c && n < len; c = c->next)
		items[n++] = c;
	/* ArraySliceToken, as it is: [from:to] does not count a negative from from the end,
	 * so [-2:2] visits -2, -1, 0, 1 (each taken from the end when negative) */
	long from, to;
	if (s->has_from && !s->has_to) {
		from = s->from < 0 ? (long)len + s->from : s->from;
		if (from < 0)
			from = 0;
		to = len;
	} else if (s->has_from) {
		from = s->from;
		to = s->to < len ? s->to : len;
	} else {
		from = 0;
		to = s->to < 0 ? (long)len + s->to : s->to;
		if (to > len)
			to = len;
	}
	for (long k = from; k < to && !stopped(w); k++) {
		long at = k < 0 ? len + k : k;
		if (at >= 0 && at < len)
			eval(w, path, i + 1, items[at]);
	}
	free(items);
}

/* Whether the step after `..` applies at n (ScanPathToken's predicates). */
static bool scan_applies(struct walk *w, const struct path *path, size_t i, const cJSON *n)
{
	const struct step *pt = &path->steps[i];
	switch (pt->kind) {
	case STEP_NAMES:
		if (!cJSON_IsObject(n))
			return false;
		if (pt->definite)
			for (size_t k = 0; k < pt->nnames; k++)
				if (!cJSON_GetObjectItemCaseSensitive(n, pt->names[k]))
					return false;
		return true;
	case STEP_INDEXES:
	case STEP_SLICE:
		return cJSON_IsArray(n);
	case STEP_WILDCARD:
		return true;
	case STEP_FILTER:
		/* an object is tested by the filter step itself; a list must pass as a whole
		 * before its items are tested */
		return cJSON_IsObject(n) || (cJSON_IsArray(n) && accept(w->run, pt->filter, n));
	default:
		return false;
	}
}

/* `..` at step i: the next step at top and at every node below it, in document order,
 * each node before its children. Jayway applies a non-final [N], [*] or filter after `..`
 * on a list to the list's items without the step (so `..[0].a.b` reads a.b of every item);
 * we apply the step. */
static void eval_scan(struct walk *w, const struct path *path, size_t i, const cJSON *top)
{
	const cJSON **stack = NULL;
	size_t sp = 0, cap = 0;
	const cJSON *cur = top;
	for (;;) {
		if (stopped(w) || !charge(w->run, 1))
			break;
		if (scan_applies(w, path, i + 1, cur))
			eval(w, path, i + 1, cur);
		if (is_container(cur) && cur->child) {
			if (sp == cap) {
				cap = cap ? cap * 2 : 16;
				stack = xrealloc(stack, cap * sizeof(*stack));
			}
			stack[sp++] = cur->child;
		}
		cur = NULL;
		while (sp > 0 && !cur) {
			cur = stack[sp - 1];
			if (cur)
				stack[sp - 1] = cur->next;
			else
				sp--;
		}
		if (!cur)
			break;
	}
	free(stack);
}

static void eval(struct walk *w, const struct path *path, size_t i, const cJSON *node)
{
	if (stopped(w) || !charge(w->run, 1))
		return;
	if (i == path->nsteps) {
		if (w->out->n >= JSONPATH_MAX_RESULTS)
			w->run->exhausted = true;
		else
			nodes_add(w->out, node);
		return;
	}
	const struct step *s = &path->steps[i];
	switch (s->kind) {
	case STEP_NAMES:
		eval_names(w, path, i, node);
		break;
	case STEP_INDEXES:
	case STEP_SLICE:
		/* ArrayPathToken.checkArrayModel */
		if (!cJSON_IsArray(node)) {
			if (s->upstream_definite)
				w->aborted = true;
		} else if (s->kind == STEP_SLICE) {
			eval_slice(w, path, i, node);
		} else {
			eval_indexes(w, path, i, node);
		}
		break;
	case STEP_WILDCARD:
		if (is_container(node))
			for (const cJSON *c = node->child; c && !stopped(w); c = c->next)
				eval(w, path, i + 1, c);
		break;
	case STEP_SCAN:
		eval_scan(w, path, i, node);
		break;
	case STEP_FILTER:
		/* PredicatePathToken: an object is tested itself (so `$[?(...)]` on an object
		 * root selects the root), a list item by item */
		if (cJSON_IsObject(node)) {
			if (accept(w->run, s->filter, node))
				eval(w, path, i + 1, node);
		} else if (cJSON_IsArray(node)) {
			for (const cJSON *c = node->child; c && !stopped(w); c = c->next)
				if (accept(w->run, s->filter, c))
					eval(w, path, i + 1, c);
		} else if (s->upstream_definite) {
			w->aborted = true;
		}
		break;
	case STEP_LENGTH: {
		/* Length: a list's items or an object's members; null for anything else */
		cJSON *v = is_container(node) ? cJSON_CreateNumber(cJSON_GetArraySize(node)) : cJSON_CreateNull();
		eval(w, path, i + 1, store_add(w->made, v));
		break;
	}
	}
}

/* Evaluates path at start into w->out. */
static void eval_path(struct walk *w, const struct path *path, const cJSON *start)
{
	if (!path->scan_length) {
		eval(w, path, 0, start);
		return;
	}
	struct nodes found = { 0 };
	struct nodes *out = w->out;
	w->out = &found;
	eval(w, path, 0, start);
	w->out = out;
	free(found.v);
	if (!stopped(w))
		nodes_add(w->out, store_add(w->made, cJSON_CreateNumber((double)found.n)));
}

/* ---- filters ---- */

/* A filter operand's value, as Jayway's ValueNode kinds see it. */
enum vtype { T_UNDEF, T_STRING, T_NUMBER, T_BOOL, T_NULL, T_JSON, T_PATTERN };

struct val {
	enum vtype type;
	const cJSON *node;          /* T_STRING, T_NUMBER, T_BOOL, T_NULL; T_JSON unless a list */
	const char *text;           /* a number literal as written */
	bool is_list;               /* T_JSON: the results of an indefinite path, in list */
	struct nodes list;
	const struct regex *re;     /* T_PATTERN */
};

static enum vtype type_of_node(const cJSON *v)
{
	if (cJSON_IsString(v))
		return T_STRING;
	if (cJSON_IsNumber(v) || cJSON_IsRaw(v))
		return T_NUMBER;
	if (cJSON_IsBool(v))
		return T_BOOL;
	if (cJSON_IsNull(v))
		return T_NULL;
	return T_JSON;
}

static struct val node_val(const cJSON *v)
{
	struct val x = { .type = type_of_node(v), .node = v };
	return x;
}

/* The items of a list value: -1 for an object (Jayway's "not a list"). */
static long list_size(const struct val *v)
{
	if (v->is_list)
		return (long)v->list.n;
	return cJSON_IsArray(v->node) ? cJSON_GetArraySize(v->node) : -1;
}

/* Item k of a list value; call in order, k from 0, passing back *cursor. */
static const cJSON *list_item(const struct val *v, long k, const cJSON **cursor)
{
	if (v->is_list)
		return v->list.v[k];
	*cursor = k == 0 ? v->node->child : (*cursor)->next;
	return *cursor;
}

static void val_number_text(const struct val *v, char *buf, size_t size)
{
	if (v->text)
		snprintf(buf, size, "%s", v->text);
	else if (cJSON_IsRaw(v->node))
		snprintf(buf, size, "%s", v->node->valuestring);
	else
		number_text(v->node->valuedouble, buf, size);
}

/* Structural equality of two JSON values (Java's List and Map equals; numbers by value). */
static bool json_equal(struct run *r, const cJSON *a, const cJSON *b)
{
	if (!charge(r, 1))
		return false;
	enum vtype ta = type_of_node(a), tb = type_of_node(b);
	if (ta != tb)
		return false;
	switch (ta) {
	case T_STRING:
		return strcmp(a->valuestring, b->valuestring) == 0;
	case T_NUMBER:
		return number_of(a) == number_of(b);
	case T_BOOL:
		return cJSON_IsTrue(a) == cJSON_IsTrue(b);
	case T_NULL:
		return true;
	default:
		break;
	}
	if (cJSON_IsArray(a) != cJSON_IsArray(b))
		return false;
	if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
		return false;
	if (cJSON_IsArray(a)) {
		for (const cJSON *x = a->child, *y = b->child; x && y; x = x->next, y = y->next)
			if (!json_equal(r, x, y))
				return false;
		return true;
	}
	for (const cJSON *x = a->child; x; x = x->next) {
		const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
		if (!y || !json_equal(r, x, y))
			return false;
	}
	return true;
}

static bool json_val_equal(struct run *r, const struct val *a, const struct val *b)
{
	long na = list_size(a), nb = list_size(b);
	if (na < 0 || nb < 0)
		return na < 0 && nb < 0 && json_equal(r, a->node, b->node);
	if (na != nb)
		return false;
	const cJSON *ca = NULL, *cb = NULL;
	for (long k = 0; k < na; k++)
		if (!json_equal(r, list_item(a, k, &ca), list_item(b, k, &cb)))
			return false;
	return true;
}

/* Jayway's EQ: a.equals(b). A string equals a number whose text it is, a number equals a
 * string that reads (as a BigDecimal) as the same number; nothing equals a missing value. */
static bool val_equal(struct run *r, const struct val *a, const struct val *b)
{
	char buf[64];
	switch (a->type) {
	case T_JSON:
		return b->type == T_JSON && json_val_equal(r, a, b);
	case T_STRING:
		if (b->type == T_STRING)
			return strcmp(a->node->valuestring, b->node->valuestring) == 0;
		if (b->type == T_NUMBER) {
			val_number_text(b, buf, sizeof(buf));
			return strcmp(a->node->valuestring, buf) == 0;
		}
		return false;
	case T_NUMBER:
		if (b->type == T_NUMBER)
			return number_of(a->node) == number_of(b->node);
		if (b->type == T_STRING) {
			const char *s = b->node->valuestring;
			return decimal_text(s, strlen(s)) && strtod(s, NULL) == number_of(a->node);
		}
		return false;
	case T_BOOL:
		return b->type == T_BOOL && cJSON_IsTrue(a->node) == cJSON_IsTrue(b->node);
	case T_NULL:
		return b->type == T_NULL;
	default:
		return false;
	}
}

/* Whether any item of list equals x (ValueListNode.contains: x.equals(item)). */
static bool list_contains(struct run *r, const struct val *list, const struct val *x)
{
	long n = list_size(list);
	const cJSON *cursor = NULL;
	for (long k = 0; k < n && charge(r, 1); k++) {
		struct val item = node_val(list_item(list, k, &cursor));
		if (val_equal(r, x, &item))
			return true;
	}
	return false;
}

/* RegexpEvaluator.getInput: the text a regex sees; "" for null, objects, missing values. */
static bool regex_input_match(const struct regex *re, const struct val *v, struct run *r)
{
	char buf[64];
	const char *s = "";
	if (v->type == T_STRING)
		s = v->node->valuestring;
	else if (v->type == T_NUMBER) {
		val_number_text(v, buf, sizeof(buf));
		s = buf;
	} else if (v->type == T_BOOL)
		s = cJSON_IsTrue(v->node) ? "true" : "false";
	size_t len = strlen(s);
	if (!charge(r, 1 + len / 64))
		return false;
	return regex_match(re, s, len);
}

static bool match_regex(const struct regex *re, const struct val *v, struct run *r)
{
	long n = v->type == T_JSON ? list_size(v) : -1;
	if (n < 0)
		return regex_input_match(re, v, r);
	const cJSON *cursor = NULL;
	for (long k = 0; k < n && !r->exhausted; k++) {
		struct val item = node_val(list_item(v, k, &cursor));
		if (regex_input_match(re, &item, r))
			return true;
	}
	return false;
}

/* A side of subsetof, anyof, noneof as a value list: 1 a list, 0 an object (the operator
 * answers false), -1 not JSON at all (Jayway throws, and the filter fails). */
static int as_list(const struct val *v)
{
	if (v->type != T_JSON)
		return -1;
	return list_size(v) >= 0 ? 1 : 0;
}

/* Jayway's evaluators (EvaluatorFactory). *error: what Jayway throws out of the filter,
 * which then rejects the item whatever the rest of the filter says. */
static bool compare(const struct expr *e, const struct val *l, const struct val *r, struct run *run, bool *error)
{
	switch (e->op) {
	case OP_EQ:
		return val_equal(run, l, r);
	case OP_NE:
		return !val_equal(run, l, r);
	case OP_TSEQ:
		return l->type == r->type && val_equal(run, l, r);
	case OP_TSNE:
		return !(l->type == r->type && val_equal(run, l, r));
	case OP_LT:
	case OP_LE:
	case OP_GT:
	case OP_GE: {
		int c;
		if (l->type == T_NUMBER && r->type == T_NUMBER) {
			double a = number_of(l->node), b = number_of(r->node);
			c = a < b ? -1 : a > b ? 1 : 0;
		} else if (l->type == T_STRING && r->type == T_STRING) {
			c = java_compare(l->node->valuestring, r->node->valuestring);
		} else {
			return false;
		}
		return e->op == OP_LT ? c < 0 : e->op == OP_LE ? c <= 0 : e->op == OP_GT ? c > 0 : c >= 0;
	}
	case OP_REGEX:
		if ((l->type == T_PATTERN) == (r->type == T_PATTERN))
			return false;
		return l->type == T_PATTERN ? match_regex(l->re, r, run) : match_regex(r->re, l, run);
	case OP_IN:
	case OP_NIN: {
		int k = as_list(r);
		if (k < 0) {
			*error = true;
			return false;
		}
		bool in = k > 0 && list_contains(run, r, l);
		return e->op == OP_IN ? in : !in;
	}
	case OP_SIZE: {
		if (r->type != T_NUMBER)
			return false;
		double want = trunc(number_of(r->node));
		if (l->type == T_STRING)
			return (double)java_length(l->node->valuestring) == want;
		if (l->type == T_JSON)
			return (double)list_size(l) == want;
		return false;
	}
	case OP_EMPTY: {
		if (r->type != T_BOOL) {
			*error = true;
			return false;
		}
		bool want = cJSON_IsTrue(r->node);
		if (l->type == T_STRING)
			return (l->node->valuestring[0] == '\0') == want;
		if (l->type == T_JSON) {
			long n = list_size(l);
			if (n < 0)
				n = cJSON_GetArraySize(l->node);
			return (n == 0) == want;
		}
		return false;
	}
	case OP_CONTAINS:
		if (l->type == T_STRING && r->type == T_STRING)
			return strstr(l->node->valuestring, r->node->valuestring) != NULL;
		return as_list(l) > 0 && list_contains(run, l, r);
	case OP_SUBSETOF:
	case OP_ANYOF:
	case OP_NONEOF: {
		int kr = as_list(r), kl = as_list(l);
		if (kr < 0 || kl < 0) {
			*error = true;
			return false;
		}
		if (kr == 0 || kl == 0)
			return false;
		long n = list_size(l);
		const cJSON *cursor = NULL;
		for (long k = 0; k < n && !run->exhausted; k++) {
			struct val item = node_val(list_item(l, k, &cursor));
			bool in = list_contains(run, r, &item);
			if (e->op == OP_SUBSETOF && !in)
				return false;
			if (e->op == OP_ANYOF && in)
				return true;
			if (e->op == OP_NONEOF && in)
				return false;
		}
		return e->op != OP_ANYOF;
	}
	}
	return false;
}

/* A path in a filter evaluated from item (for '@') or the document (for '$'). */
static void eval_sub(struct run *r, const struct path *path, const cJSON *start, bool require, struct nodes *out,
		     bool *aborted)
{
	struct walk w = { .run = r, .out = out, .made = &r->scratch, .require = require };
	eval_path(&w, path, start);
	*aborted = w.aborted;
}

/* An operand's value (PathNode.evaluate: a definite path gives its value or nothing, any
 * other a list of its results). Release with val_release. */
static struct val operand_val(struct run *r, const struct operand *o, const cJSON *item)
{
	struct val v = { .type = T_UNDEF };
	if (o->kind == OPD_PATTERN) {
		v.type = T_PATTERN;
		v.re = o->re;
		return v;
	}
	if (o->kind == OPD_LITERAL) {
		v = node_val(o->literal);
		v.text = o->number_text;
		return v;
	}
	struct nodes found = { 0 };
	bool aborted;
	eval_sub(r, o->path, o->path->at_item ? item : r->root, false, &found, &aborted);
	if (aborted || (o->path->definite && found.n == 0)) {
		free(found.v);
		return v;
	}
	if (o->path->definite) {
		v = node_val(found.v[found.n - 1]);
		free(found.v);
		return v;
	}
	v.type = T_JSON;
	v.is_list = true;
	v.list = found;
	return v;
}

static void val_release(struct val *v)
{
	free(v->list.v);
}

static bool test(struct run *r, const struct expr *e, const cJSON *item, bool *error)
{
	if (r->exhausted || *error || !charge(r, 1))
		return false;
	switch (e->kind) {
	case EXPR_OR:
		for (size_t k = 0; k < e->nkids; k++)
			if (test(r, e->kids[k], item, error))
				return true;
		return false;
	case EXPR_AND:
		for (size_t k = 0; k < e->nkids; k++)
			if (!test(r, e->kids[k], item, error))
				return false;
		return true;
	case EXPR_NOT:
		return !test(r, e->kids[0], item, error);
	case EXPR_EXISTS: {
		/* PathNode.evaluate's existence test runs with REQUIRE_PROPERTIES, and on the
		 * item even for a '$' path, as Jayway does */
		struct nodes found = { 0 };
		bool aborted;
		eval_sub(r, e->path, item, true, &found, &aborted);
		bool exists = !aborted && (!e->path->definite || found.n > 0);
		free(found.v);
		return exists == e->should_exist;
	}
	case EXPR_COMPARE: {
		struct val l = operand_val(r, &e->left, item);
		struct val rv = operand_val(r, &e->right, item);
		bool ok = compare(e, &l, &rv, r, error);
		val_release(&l);
		val_release(&rv);
		return ok;
	}
	}
	return false;
}

/* Whether item passes filter e (PredicatePathToken.accept). */
static bool accept(struct run *r, const struct expr *e, const cJSON *item)
{
	size_t mark = r->scratch.n;
	bool error = false;
	bool ok = test(r, e, item, &error);
	store_truncate(&r->scratch, mark);
	return ok && !error && !r->exhausted;
}

size_t jsonpath_select(const struct jsonpath *p, const cJSON *root, struct jsonpath_result *out)
{
	memset(out, 0, sizeof(*out));
	struct run run = { .root = root };
	struct nodes found = { 0 };
	struct jsonpath_made *made = xcalloc(1, sizeof(*made));
	struct walk w = { .run = &run, .out = &found, .made = made };
	eval_path(&w, &p->path, root);
	store_release(&run.scratch);
	if (w.aborted)
		found.n = 0;
	out->values = found.v;
	out->count = found.n;
	out->exhausted = run.exhausted;
	out->made = made;
	return out->count;
}

void jsonpath_result_release(struct jsonpath_result *r)
{
	free(r->values);
	if (r->made) {
		store_release(r->made);
		free(r->made);
	}
	memset(r, 0, sizeof(*r));
}
