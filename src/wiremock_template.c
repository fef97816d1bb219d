/* SPDX-License-Identifier: MIT */
/* The Handlebars front-end: WireMock's split into literal head, Handlebars middle and
 * literal tail, handlebars.java 4.3's lexing and path rules for the middle, and WireMock's
 * request model and helpers. WireMock 3 turns HTML escaping off: nothing is escaped. */
#include "wiremock_template.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "javadate.h"
#include "javatext.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* The longest randomValue cannery makes (WireMock takes any int and runs out of memory). */
#define WM_RANDOM_MAX 65536

/* ---- what a template compiles to, before whitespace control ---------------------- */

enum item_kind {
	IT_TEXT,                /* Handlebars text: ~ may trim it */
	IT_LIT,                 /* a constant an expression always renders */
	IT_ESCAPE,              /* \{{...}}: its text without the backslash */
	IT_HOLE,
	IT_NONE,                /* a comment, or an expression that always renders empty */
};

struct item {
	enum item_kind kind;
	const char *s;          /* TEXT, LIT */
	size_t len;
	bool trim_before;       /* a tag written {{~ */
	bool trim_after;        /* ~}} */
	bool after_escape;      /* TEXT right after a \{{...}}: {{~ leaves it alone, as handlebars.java does */
	struct tpl_var var;     /* HOLE: var.name and var.json_default owned here */
};

/* ---- tokens inside a mustache -------------------------------------------------------- */

enum tok_kind {
	TOK_END,                /* }} */
	TOK_END_T,              /* }}} */
	TOK_END_RAW,            /* }}}} */
	TOK_STRING,
	TOK_NUMBER,
	TOK_BOOL,
	TOK_QID,
	TOK_EQ,
	TOK_LP,                 /* '(': a subexpression */
	TOK_OTHER,              /* anything else: a syntax error here */
};

struct tok {
	enum tok_kind kind;
	size_t at, len;         /* in src */
	bool tilde;             /* END forms: ~}} */
	char *str;              /* STRING: the value (owned) */
};

struct wmc {
	const char *src;
	size_t end;             /* the end of the Handlebars middle */
	size_t pos;
	struct tpl_error *err;
	bool failed;
	struct item *items;
	size_t n;
};

static void fail(struct wmc *c, size_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fail(struct wmc *c, size_t at, const char *fmt, ...)
{
	if (c->failed)
		return;
	c->failed = true;
	va_list ap;
	va_start(ap, fmt);
	tpl_error_vset(c->err, at, fmt, ap);
	va_end(ap);
}

static struct item *push_item(struct wmc *c, enum item_kind kind)
{
	c->items = xrealloc(c->items, (c->n + 1) * sizeof(*c->items));
	struct item *it = &c->items[c->n++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	return it;
}

static void release_items(struct item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((char *)items[i].var.name);
		free((char *)items[i].var.json_default);
		javadate_destroy(items[i].var.now_format);
	}
	free(items);
}

static bool ahead(const struct wmc *c, size_t at, const char *s)
{
	size_t n = strlen(s);
	return at + n <= c->end && memcmp(c->src + at, s, n) == 0;
}

/* ---- the lexer inside a mustache --------------------------------------------------- */

static bool is_ws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static bool is_alpha(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* handlebars.java's ID_START: letters, _ $ @ :, some control characters, U+00C0..U+00FF
 * and the Russian letters А-Я а-я; the byte length of the one at `at`, or 0. */
static size_t id_start(const struct wmc *c, size_t at)
{
	const unsigned char *s = (const unsigned char *)c->src;
	unsigned char ch = s[at];
	if (is_alpha((char)ch) || ch == '_' || ch == '$' || ch == '@' || ch == ':')
		return 1;
	if ((ch >= 0x01 && ch <= 0x08) || ch == 0x0b || ch == 0x0c || (ch >= 0x0e && ch <= 0x1e))
		return 1;
	if (at + 1 < c->end) {
		unsigned char nx = s[at + 1];
		if ((ch == 0xC3 && nx >= 0x80 && nx <= 0xBF) || (ch == 0xD0 && nx >= 0x90 && nx <= 0xBF) ||
		    (ch == 0xD1 && nx >= 0x80 && nx <= 0x8F))
			return 2;
	}
	return 0;
}

/* An ID_ESCAPE "[...]" at `at` (with \] inside); its length, or 0. */
static size_t id_escape(const struct wmc *c, size_t at)
{
	if (at >= c->end || c->src[at] != '[')
		return 0;
	for (size_t i = at + 1; i < c->end; i++) {
		if (c->src[i] == '\\' && i + 1 < c->end && c->src[i + 1] == ']')
			i++;
		else if (c->src[i] == ']')
			return i > at + 1 ? i + 1 - at : 0;
	}
	return 0;
}

/* The length of the QID token at `at` (handlebars.java's QID rule), or 0. */
static size_t qid_len(const struct wmc *c, size_t at)
{
	size_t i = at;
	while (ahead(c, i, "../"))
		i += 3;
	if (ahead(c, i, "./"))
		i += 2;
	else if (i == at && ahead(c, i, ".."))
		return 2;
	else if (i == at && ahead(c, i, "."))
		return 1;
	size_t k = id_escape(c, i);
	if (!k)
		k = id_start(c, i);
	if (!k)
		return 0;
	i += k;
	while (i < c->end) {
		char ch = c->src[i];
		char prev = c->src[i - 1];
		if (ch == '[' && (prev == '.' || prev == '/' || prev == '-') && (k = id_escape(c, i)))
			i += k;
		else if ((k = id_start(c, i)))
			i += k;
		else if (is_digit(ch) || ch == '.' || ch == '/' || ch == '-')
			i++;
		else
			break;
	}
	return i - at;
}

/* NUMBER: -?[0-9]*\.?[0-9]+ */
static size_t number_len(const struct wmc *c, size_t at)
{
	size_t i = at;
	if (i < c->end && c->src[i] == '-')
		i++;
	size_t d = i;
	while (i < c->end && is_digit(c->src[i]))
		i++;
	if (i + 1 < c->end && c->src[i] == '.' && is_digit(c->src[i + 1])) {
		i++;
		while (i < c->end && is_digit(c->src[i]))
			i++;
		return i - at;
	}
	return i > d ? i - at : 0;
}

/* PATH (partials' names): [a-zA-Z0-9_$'/.:-]+, or one in brackets; the parser takes it
 * nowhere in an expression, so a longer PATH than any other token is a syntax error. */
static size_t path_len(const struct wmc *c, size_t at)
{
	size_t i = at;
	while (i < c->end && (is_alpha(c->src[i]) || is_digit(c->src[i]) || (c->src[i] && strchr("_$'/.:-", c->src[i]))))
		i++;
	return i - at;
}

/* A quoted string: the quote, then anything (\" or \' escapes the quote) up to it. */
static bool read_string(struct wmc *c, struct tok *t)
{
	char q = c->src[c->pos];
	struct strbuf sb = STRBUF_INIT;
	size_t i = c->pos + 1;
	for (; i < c->end && c->src[i] != q; i++) {
		if (c->src[i] == '\\' && i + 1 < c->end && c->src[i + 1] == q)
			i++;
		strbuf_addc(&sb, c->src[i]);
	}
	if (i >= c->end) {
		fail(c, c->pos, "unterminated string in '{{...}}' (missing closing %c)", q);
		strbuf_release(&sb);
		return false;
	}
	if (strlen(sb.buf ? sb.buf : "") != sb.len) {
		fail(c, c->pos, "a NUL byte in a string in '{{...}}'");
		strbuf_release(&sb);
		return false;
	}
	t->kind = TOK_STRING;
	t->len = i + 1 - c->pos;
	t->str = strbuf_detach(&sb, NULL);
	c->pos = i + 1;
	return true;
}

/* The next token of a mustache (white space skipped). False after fail(). */
static bool next_tok(struct wmc *c, struct tok *t)
{
	memset(t, 0, sizeof(*t));
	while (c->pos < c->end && is_ws(c->src[c->pos]))
		c->pos++;
	t->at = c->pos;
	if (c->pos >= c->end) {
		fail(c, c->pos, "unclosed '{{' (no matching '}}')");
		return false;
	}
	/* handlebars.java's endToken: the closing braces, or with '~' before the last "}}" */
	static const struct {
		const char *text, *tilde;
		enum tok_kind kind;
	} ends[] = {
		{ "}}}}", "}}~}}", TOK_END_RAW },
		{ "}}}", "}~}}", TOK_END_T },
		{ "}}", "~}}", TOK_END },
	};
	for (size_t i = 0; i < 3; i++) {
		bool plain = ahead(c, c->pos, ends[i].text);
		if (plain || ahead(c, c->pos, ends[i].tilde)) {
			t->kind = ends[i].kind;
			t->tilde = !plain;
			t->len = strlen(plain ? ends[i].text : ends[i].tilde);
			c->pos += t->len;
			return true;
		}
	}
	char ch = c->src[c->pos];
	if (ch == '"' || ch == '\'')
		return read_string(c, t);
	if (ch == '=' || ch == '(') {
		t->kind = ch == '=' ? TOK_EQ : TOK_LP;
		t->len = 1;
		c->pos++;
		return true;
	}
	size_t q = qid_len(c, c->pos), num = number_len(c, c->pos), path = path_len(c, c->pos);
	size_t best = q > num ? q : num;
	if (!best || path > best) {
		t->kind = TOK_OTHER;
		t->len = path > 1 ? path : 1;
		return true;
	}
	t->len = best;
	t->kind = num >= q ? TOK_NUMBER : TOK_QID;
	if (t->kind == TOK_QID && ((q == 4 && ahead(c, c->pos, "true")) || (q == 5 && ahead(c, c->pos, "false"))))
		t->kind = TOK_BOOL;
	c->pos += best;
	return true;
}

/* ---- paths --------------------------------------------------------------------------- */

#define MAX_SEGS 8

/* A QID's path segments as handlebars.java's PathCompiler splits them: "[...]" whole, or
 * runs between '.' and '/', copied into segs (caller frees); the count, or -1 after fail()
 * for what cannery does not resolve (this, ./, ../, more than MAX_SEGS segments). */
static int split_path(struct wmc *c, const struct tok *t, char **segs)
{
	const char *s = c->src + t->at;
	size_t n = t->len;
	char buf[64];
	if (ahead(c, t->at, "./") || ahead(c, t->at, "..") || (n == 1 && s[0] == '.')) {
		fail(c, t->at, "relative path %s is not supported by cannery", tpl_quote(buf, sizeof(buf), s, n));
		return -1;
	}
	int ns = 0;
	for (size_t i = 0; i < n;) {
		if (s[i] == '.' || s[i] == '/') {
			i++;
			continue;
		}
		size_t start = i, len;
		if (s[i] == '[') {
			const char *close = memchr(s + i, ']', n - i);
			len = (size_t)(close - (s + i)) - 1;
			start = i + 1;
			i += len + 2;
			if (memchr(s + start, '[', len) || memchr(s + start, '\\', len)) {
				fail(c, t->at + start - 1, "path segment '[%.*s]' is not supported by cannery", (int)len, s + start);
				goto fail;
			}
		} else {
			while (i < n && s[i] != '.' && s[i] != '/')
				i++;
			len = i - start;
		}
		if (ns == MAX_SEGS) {
			fail(c, t->at, "path %s is deeper than cannery resolves", tpl_quote(buf, sizeof(buf), s, n));
			goto fail;
		}
		segs[ns++] = xstrndup(s + start, len);
		if (strcmp(segs[ns - 1], "this") == 0) {
			fail(c, t->at, "'%s' in a path is not supported by cannery", segs[ns - 1]);
			goto fail;
		}
	}
	return ns;
fail:
	while (ns)
		free(segs[--ns]);
	return -1;
}

/* Integer.parseInt: [-+]?[0-9]+ within int. */
static bool java_int(const char *s, int64_t *out)
{
	const char *d = s + (s[0] == '-' || s[0] == '+');
	if (!*d || strspn(d, "0123456789") != strlen(d) || strlen(d) > 10)
		return false;
	long long v = strtoll(s, NULL, 10);
	if (v < -2147483648LL || v > 2147483647LL)
		return false;
	*out = v;
	return true;
}

/* Whether s is a plain index: 0 or [1-9][0-9]*, as a map key "N" and a list index agree. */
static bool plain_index(const char *s, int64_t *out)
{
	return (s[0] != '0' || !s[1]) && s[0] != '+' && s[0] != '-' && java_int(s, out);
}

/* Members Java would find on a list or a string by their getter or method name, which
 * cannery does not reproduce (`request.query.x.size`). */
static bool java_member(const char *s)
{
	static const char *const names[] = {
		"size", "empty", "isEmpty", "class", "getClass", "hashCode", "toString", "first", "last",
		"getFirst", "getLast", "single", "isSingle", "length", "bytes", "getBytes", "blank", "isBlank",
		"toUpperCase", "toLowerCase", "trim", "strip", "chars", "lines", "name", "getName", "value",
		"iterator", "stream", "keySet", "values", "entrySet", NULL,
	};
	for (size_t i = 0; names[i]; i++)
		if (strcmp(s, names[i]) == 0)
			return true;
	return false;
}

/* After a value that is a Java string (or number, or enum): an index reads nothing, a
 * member name is beyond cannery. True when segs[i..n) render empty. */
static bool scalar_tail(struct wmc *c, const struct tok *t, char **segs, int i, int n)
{
	int64_t idx;
	if (i >= n)
		return false;
	if (java_int(segs[i], &idx) || !java_member(segs[i]))
		return true;
	fail(c, t->at, "'%s' reads a Java member of a value; cannery does not support it", segs[i]);
	return true;
}

static void set_name(struct item *it, const char *name)
{
	it->var.name = xstrdup(name);
}

/*
 * request.query.NAME[.N], request.headers.NAME[.N], request.cookies.NAME[.N]: a
 * ListOrSingle of values, the first by default; N may be negative (ListOrSingle.get).
 */
static void resolve_multi(struct wmc *c, const struct tok *t, char **segs, int n, enum tpl_var_kind kind,
			  struct item *it)
{
	if (n == 2) {
		fail(c, t->at, "'request.%s' renders a Java map; name one: 'request.%s.NAME'", segs[1], segs[1]);
		return;
	}
	it->kind = IT_HOLE;
	it->var.kind = kind;
	set_name(it, segs[2]);
	if (n == 3)
		return;
	if (java_int(segs[3], &it->var.index)) {
		it->var.has_index = true;
		if (n > 4 && scalar_tail(c, t, segs, 4, n))
			it->kind = IT_NONE;
		return;
	}
	if (java_member(segs[3]))
		fail(c, t->at, "'%s' reads a Java member of a list; cannery does not support it", segs[3]);
	it->kind = IT_NONE;
}

/* request.path / request.pathSegments, with an index or a urlPathTemplate parameter. */
static void resolve_path(struct wmc *c, const struct tok *t, char **segs, int n, struct item *it)
{
	it->kind = IT_HOLE;
	it->var.kind = TPL_VAR_PATH;
	it->var.raw_if_params = true;
	if (n == 2)
		return;
	int64_t idx;
	if (plain_index(segs[2], &idx)) {
		it->var.kind = TPL_VAR_PATH_SEGMENT;
		it->var.index = idx;
	} else if (java_int(segs[2], &idx)) {
		/* a list index for WireMock's UrlPath, a map key for its TemplatedUrlPath */
		if (idx >= 0) {
			fail(c, t->at, "path index '%s': write it as a plain number ('[%lld]')", segs[2], (long long)idx);
			return;
		}
		it->kind = IT_NONE;
	} else if (java_member(segs[2])) {
		fail(c, t->at, "'%s' reads a Java member of the path; cannery does not support it", segs[2]);
		return;
	} else {
		it->var.kind = TPL_VAR_PARAM;
		set_name(it, segs[2]);
	}
	if (n > 3 && scalar_tail(c, t, segs, 3, n))
		it->kind = IT_NONE;
}

/* The request model's attributes (RequestTemplateModel's getters). */
static void resolve_request(struct wmc *c, const struct tok *t, char **segs, int n, struct item *it)
{
	static const struct {
		const char *name;
		enum tpl_var_kind kind;
	} plain[] = {
		{ "url", TPL_VAR_URL },   { "method", TPL_VAR_METHOD }, { "body", TPL_VAR_BODY },
		{ "host", TPL_VAR_HOST }, { "port", TPL_VAR_PORT },     { "baseUrl", TPL_VAR_BASE_URL },
		{ "scheme", TPL_VAR_SCHEME },
	};
	static const char *const unsupported[] = {
		"id", "requestLine", "bodyAsBase64", "binary", "isBinary", "multipart", "isMultipart", "parts",
		"clientIp", "class", "getClass", "hashCode", "toString", NULL,
	};
	if (n == 1) {
		fail(c, t->at, "'request' renders a Java object; name an attribute, e.g. 'request.path'");
		return;
	}
	const char *a = segs[1];
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		if (strcmp(a, plain[i].name) == 0) {
			it->kind = IT_HOLE;
			it->var.kind = plain[i].kind;
			if (scalar_tail(c, t, segs, 2, n))
				it->kind = IT_NONE;
			return;
		}
	}
	if (strcmp(a, "path") == 0 || strcmp(a, "pathSegments") == 0) {
		resolve_path(c, t, segs, n, it);
		return;
	}
	if (strcmp(a, "query") == 0 || strcmp(a, "headers") == 0 || strcmp(a, "cookies") == 0) {
		resolve_multi(c, t, segs, n, a[0] == 'q' ? TPL_VAR_QUERY : a[0] == 'h' ? TPL_VAR_HEADER : TPL_VAR_COOKIE, it);
		return;
	}
	for (size_t i = 0; unsupported[i]; i++)
		if (strcmp(a, unsupported[i]) == 0) {
			fail(c, t->at, "'request.%s' is not supported by cannery", a);
			return;
		}
	if ((strncmp(a, "get", 3) == 0 && a[3] >= 'A' && a[3] <= 'Z') || (strncmp(a, "is", 2) == 0 && a[2] >= 'A' && a[2] <= 'Z')) {
		char buf[64];
		fail(c, t->at, "the Java method %s of 'request' is not supported by cannery", tpl_quote(buf, sizeof(buf), a, strlen(a)));
		return;
	}
	it->kind = IT_NONE;     /* WireMock's model has no such attribute: empty */
}

/* A {{path}} without arguments that names no helper. */
static void resolve_variable(struct wmc *c, const struct tok *t, struct item *it)
{
	char *segs[MAX_SEGS];
	int n = split_path(c, t, segs);
	if (n < 0)
		return;
	/* @data variables (@index...) are empty outside blocks, and so is anything but request */
	it->kind = IT_NONE;
	if (n && strcmp(segs[0], "request") == 0)
		resolve_request(c, t, segs, n, it);
	else if (n && strcmp(segs[0], "requestCache") == 0)
		fail(c, t->at, "'requestCache' is not supported by cannery");
	for (int i = 0; i < n; i++)
		free(segs[i]);
}

/* ---- helpers ------------------------------------------------------------------------- */

struct arg {
	struct tok key;         /* hash arguments: the key (a QID); kind TOK_OTHER for params */
	struct tok val;
};

struct call {
	struct tok name;
	struct arg *args;
	size_t nargs;
	size_t nparams;         /* the first nparams args are positional */
};

static void call_release(struct call *k)
{
	free(k->name.str);
	for (size_t i = 0; i < k->nargs; i++) {
		free(k->args[i].key.str);
		free(k->args[i].val.str);
	}
	free(k->args);
}

static bool key_is(const struct wmc *c, const struct tok *key, const char *name)
{
	return key->len == strlen(name) && memcmp(c->src + key->at, name, key->len) == 0;
}

/* The last hash argument called name (a Java map keeps the last), or NULL. */
static const struct tok *hash_arg(const struct wmc *c, const struct call *k, const char *name)
{
	const struct tok *found = NULL;
	for (size_t i = k->nparams; i < k->nargs; i++)
		if (key_is(c, &k->args[i].key, name))
			found = &k->args[i].val;
	return found;
}

/* A hash value that must be a quoted string, or NULL after fail() (absent: NULL too). */
static const char *string_arg(struct wmc *c, const struct call *k, const char *name, const char *helper)
{
	const struct tok *v = hash_arg(c, k, name);
	if (v && v->kind != TOK_STRING) {
		fail(c, v->at, "'%s' of '%s' must be a quoted string in cannery, e.g. %s='...'", name, helper, name);
		return NULL;
	}
	return v ? v->str : NULL;
}

static const char *tok_text(const struct wmc *c, const struct tok *t, char *buf, size_t size)
{
	return tpl_quote(buf, size, c->src + t->at, t->len);
}

/* Offsets into a string token's source for a message about its contents. */
static size_t inside(const struct tok *t, size_t at)
{
	return t->at + 1 + at;
}

static void helper_now(struct wmc *c, const struct call *k, struct item *it)
{
	const char *format = string_arg(c, k, "format", "now");
	const char *offset = string_arg(c, k, "offset", "now");
	const char *zone = string_arg(c, k, "timezone", "now");
	if (c->failed)
		return;
	struct javadate_error derr;
	if (offset && javadate_offset_parse(offset, &it->var.now_offset, &derr) < 0) {
		fail(c, inside(hash_arg(c, k, "offset"), derr.at), "%s", derr.msg);
		return;
	}
	it->var.now_format = javadate_compile(format, zone, &derr);
	if (!it->var.now_format) {
		const struct tok *at = hash_arg(c, k, derr.in_zone ? "timezone" : "format");
		fail(c, at ? inside(at, derr.at) : k->name.at, "%s", derr.msg);
		return;
	}
	it->kind = IT_HOLE;
	it->var.kind = TPL_VAR_NOW;
}

static void helper_random(struct wmc *c, const struct call *k, struct item *it)
{
	static const struct {
		const char *name;
		enum tpl_random_chars chars;
	} types[] = {
		{ "ALPHANUMERIC", TPL_RANDOM_ALPHANUMERIC },
		{ "ALPHABETIC", TPL_RANDOM_ALPHABETIC },
		{ "NUMERIC", TPL_RANDOM_NUMERIC },
		{ "ALPHANUMERIC_AND_SYMBOLS", TPL_RANDOM_ALPHANUMERIC_AND_SYMBOLS },
		{ "UUID", TPL_RANDOM_UUID },
		{ "HEXADECIMAL", TPL_RANDOM_HEXADECIMAL },
	};
	char buf[64];
	const struct tok *len = hash_arg(c, k, "length"), *upper = hash_arg(c, k, "uppercase");
	const char *type = string_arg(c, k, "type", "randomValue");
	if (c->failed)
		return;
	it->var.random_length = 36;
	if (len) {
		int64_t v;
		char *text = xstrndup(c->src + len->at, len->len);
		bool ok = len->kind == TOK_NUMBER && java_int(text, &v);
		free(text);
		if (!ok || v < 0 || v > WM_RANDOM_MAX) {
			fail(c, len->at, "'length' of 'randomValue' must be a whole number from 0 to %d, got %s", WM_RANDOM_MAX,
			     tok_text(c, len, buf, sizeof(buf)));
			return;
		}
		it->var.random_length = (size_t)v;
	}
	if (upper) {
		if (upper->kind != TOK_BOOL) {
			fail(c, upper->at, "'uppercase' of 'randomValue' must be true or false, got %s",
			     tok_text(c, upper, buf, sizeof(buf)));
			return;
		}
		it->var.random_upper = c->src[upper->at] == 't';
	}
	/* any other type is commons-lang's randomAscii in WireMock */
	it->var.random_chars = type ? TPL_RANDOM_ASCII : TPL_RANDOM_ALPHANUMERIC;
	for (size_t i = 0; type && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(type, types[i].name) == 0)
			it->var.random_chars = types[i].chars;
	it->kind = IT_HOLE;
	it->var.kind = TPL_VAR_RANDOM;
}

/*
 * THE PLUG POINT for src/jsonpath.[ch] (being written on another branch). Until it lands,
 * cannery takes only the simple JSONPath forms `$`, `$.a.b` and `$.a[0].c`, converted to
 * the dotted path request.json reads (req_view_json_path: "a.0.c"); anything else is a
 * load error. When jsonpath.h arrives: compile the expression with jsonpath_compile here,
 * give struct tpl_var the compiled path instead of the dotted name, and select with it in
 * render.c's java_json_val (the one other place that reads this name).
 */
static bool simple_json_path(const char *path, struct strbuf *dotted, size_t *bad_at)
{
	const char *p = path;
	if (*p++ != '$') {
		*bad_at = 0;
		return false;
	}
	while (*p) {
		if (dotted->len)
			strbuf_addc(dotted, '.');
		if (*p == '.') {
			const char *name = ++p;
			while (*p && !strchr(".[]()*?@'\" \\,:=!<>|&$", *p))
				p++;
			/* an all-digit name would read as an array index here, not as Jayway reads it */
			if (p == name || strspn(name, "0123456789") >= (size_t)(p - name)) {
				*bad_at = (size_t)(name - path);
				return false;
			}
			strbuf_add(dotted, name, (size_t)(p - name));
		} else if (*p == '[' && is_digit(p[1])) {
			const char *digits = ++p;
			while (is_digit(*p))
				p++;
			if (*p != ']' || (digits[0] == '0' && p - digits > 1) || p - digits > 9) {
				*bad_at = (size_t)(digits - path);
				return false;
			}
			strbuf_add(dotted, digits, (size_t)(p - digits));
			p++;
		} else {
			*bad_at = (size_t)(p - path);
			return false;
		}
	}
	return true;
}

/* A jsonPath default as Java's toString shows it: a string, true/false, an Integer, or
 * else a Double (numbers lex as Integer.parseInt, else Double.parseDouble). */
static bool default_text(struct wmc *c, const struct tok *v, const char **out)
{
	struct strbuf sb = STRBUF_INIT;
	char *text = xstrndup(c->src + v->at, v->len);
	int64_t i;
	bool ok = true;
	if (v->kind == TOK_STRING)
		strbuf_adds(&sb, v->str);
	else if (v->kind == TOK_BOOL)
		strbuf_adds(&sb, text);
	else if (v->kind == TOK_NUMBER && java_int(text, &i))
		strbuf_addf(&sb, "%lld", (long long)i);
	else if (v->kind == TOK_NUMBER)
		javatext_double(&sb, strtod(text, NULL));
	else
		ok = false;
	if (!ok) {
		char buf[64];
		fail(c, v->at, "'default' of 'jsonPath' must be a quoted string, a number or a boolean in cannery, got %s",
		     tpl_quote(buf, sizeof(buf), text, v->len));
	}
	free(text);
	*out = ok ? strbuf_detach(&sb, NULL) : NULL;
	if (!ok)
		strbuf_release(&sb);
	return ok;
}

/* {{jsonPath request.body '$.x' [default=...]}} */
static void helper_json_path(struct wmc *c, const struct call *k, struct item *it)
{
	if (k->nparams < 2 || k->args[0].val.kind != TOK_QID || !key_is(c, &k->args[0].val, "request.body") ||
	    k->args[1].val.kind != TOK_STRING) {
		fail(c, k->name.at, "cannery supports 'jsonPath' as {{jsonPath request.body '$.path'}}");
		return;
	}
	const struct tok *path = &k->args[1].val;
	struct strbuf dotted = STRBUF_INIT;
	size_t bad = 0;
	if (!simple_json_path(path->str, &dotted, &bad)) {
		fail(c, inside(path, bad), "JSONPath '%s': cannery supports only $.a.b[0].c paths for now", path->str);
		strbuf_release(&dotted);
		return;
	}
	const struct tok *dflt = hash_arg(c, k, "default");
	if (dflt && !default_text(c, dflt, &it->var.json_default)) {
		strbuf_release(&dotted);
		return;
	}
	it->kind = IT_HOLE;
	it->var.kind = TPL_VAR_JSON_PATH;
	it->var.name = strbuf_detach(&dotted, NULL);
}

/* Every helper WireMock 3.13 registers: handlebars.java's built-ins, StringHelpers (but
 * `now`), NumberHelper, ConditionalHelpers, assign, WireMock's own, systemValue. */
static const char *const wm_helpers[] = {
	"with", "if", "unless", "each", "embedded", "block", "partial", "precompile", "i18n", "i18nJs", "lookup",
	"log", "capitalizeFirst", "center", "cut", "defaultIfEmpty", "join", "ljust", "rjust", "substring",
	"lower", "upper", "slugify", "stringFormat", "stripTags", "capitalize", "abbreviate", "wordWrap",
	"replace", "yesno", "dateFormat", "numberFormat", "isEven", "isOdd", "stripes", "eq", "neq", "gt", "gte",
	"lt", "lte", "and", "or", "not", "assign", "xPath", "soapXPath", "jsonPath", "randomValue", "hostname",
	"date", "now", "parseDate", "truncateDate", "trim", "base64", "urlEncode", "formData", "regexExtract",
	"size", "pickRandom", "randomInt", "randomDecimal", "range", "array", "arrayAdd", "arrayRemove",
	"parseJson", "matches", "contains", "math", "val", "arrayJoin", "formatJson", "formatXml", "toJson",
	"jsonMerge", "jsonRemove", "jsonArrayAdd", "systemValue", NULL,
};

static bool is_helper(const struct wmc *c, const struct tok *name)
{
	for (size_t i = 0; wm_helpers[i]; i++)
		if (key_is(c, name, wm_helpers[i]))
			return true;
	return false;
}

/* ---- one mustache ---------------------------------------------------------------------- */

/* sexpr: QID param* hash*, then the closing token, which must be `close`. */
static bool parse_call(struct wmc *c, struct call *k, enum tok_kind close, size_t open, struct tok *end)
{
	char buf[64];
	memset(k, 0, sizeof(*k));
	if (!next_tok(c, &k->name))
		return false;
	if (k->name.kind != TOK_QID) {
		if (k->name.kind == TOK_END || k->name.kind == TOK_END_T)
			fail(c, open, "empty expression '%.*s'", (int)(c->pos - open), c->src + open);
		else
			fail(c, k->name.at, "expected a name or a helper after '{{', got %s",
			     tok_text(c, &k->name, buf, sizeof(buf)));
		return false;
	}
	if (key_is(c, &k->name, "else") || key_is(c, &k->name, "as")) {
		fail(c, k->name.at, "%s outside a block: block helpers are not supported by cannery",
		     tok_text(c, &k->name, buf, sizeof(buf)));
		return false;
	}
	for (;;) {
		struct tok t;
		if (!next_tok(c, &t))
			return false;
		if (t.kind == TOK_END || t.kind == TOK_END_T || t.kind == TOK_END_RAW) {
			if (t.kind != close) {
				fail(c, t.at, "%s closes a '%s' (WireMock fails on it too): write '%s'",
				     tok_text(c, &t, buf, sizeof(buf)), close == TOK_END_T ? "{{{" : "{{",
				     close == TOK_END_T ? "}}}" : "}} }");
				return false;
			}
			/* handlebars.java lexes "}~}}}" and the like unpredictably: refuse them */
			if (t.tilde && c->pos < c->end && c->src[c->pos] == '}') {
				fail(c, c->pos, "'}' right after %s is ambiguous in Handlebars: put a space before it",
				     tok_text(c, &t, buf, sizeof(buf)));
				return false;
			}
			*end = t;
			return true;
		}
		if (t.kind == TOK_LP) {
			fail(c, t.at, "subexpressions '(...)' are not supported by cannery");
			return false;
		}
		if (t.kind == TOK_OTHER || t.kind == TOK_EQ) {
			fail(c, t.at, "unexpected %s in '{{...}}'", tok_text(c, &t, buf, sizeof(buf)));
			free(t.str);
			return false;
		}
		k->args = xrealloc(k->args, (k->nargs + 1) * sizeof(*k->args));
		struct arg *a = &k->args[k->nargs++];
		memset(a, 0, sizeof(*a));
		/* a QID followed by '=' is a hash key */
		size_t save = c->pos;
		while (c->pos < c->end && is_ws(c->src[c->pos]))
			c->pos++;
		if (t.kind == TOK_QID && c->pos < c->end && c->src[c->pos] == '=') {
			c->pos++;
			a->key = t;
			if (!next_tok(c, &a->val))
				return false;
			if (a->val.kind != TOK_STRING && a->val.kind != TOK_NUMBER && a->val.kind != TOK_BOOL &&
			    a->val.kind != TOK_QID) {
				fail(c, a->val.at, "expected a value after '%.*s=', got %s", (int)t.len, c->src + t.at,
				     tok_text(c, &a->val, buf, sizeof(buf)));
				return false;
			}
			continue;
		}
		c->pos = save;
		a->key.kind = TOK_OTHER;
		a->val = t;
		if (k->nparams != k->nargs - 1) {
			fail(c, t.at, "a positional argument after 'name=value' ones (WireMock fails on it too)");
			return false;
		}
		k->nparams++;
	}
}

/* {{ ... }} (close TOK_END) or {{{ ... }}} (TOK_END_T), from `open`; c->pos is past the
 * opening delimiter. */
static void parse_expression(struct wmc *c, size_t open, bool tilde, enum tok_kind close)
{
	struct call k;
	struct tok end;
	char buf[64];
	struct item *it = push_item(c, IT_NONE);
	it->trim_before = tilde;
	if (!parse_call(c, &k, close, open, &end))
		goto done;
	it = &c->items[c->n - 1];
	it->trim_after = end.tilde;
	bool args = k.nargs > 0;
	if (is_helper(c, &k.name)) {
		if (key_is(c, &k.name, "now"))
			helper_now(c, &k, it);
		else if (key_is(c, &k.name, "randomValue"))
			helper_random(c, &k, it);
		else if (key_is(c, &k.name, "jsonPath"))
			helper_json_path(c, &k, it);
		else
			fail(c, k.name.at, "helper %s is not supported by cannery (supported: now, randomValue, "
			     "jsonPath request.body)", tok_text(c, &k.name, buf, sizeof(buf)));
	} else if (args) {
		fail(c, k.name.at, "%s is not a helper (WireMock fails with \"could not find helper\")",
		     tok_text(c, &k.name, buf, sizeof(buf)));
	} else {
		resolve_variable(c, &k.name, it);
	}
done:
	call_release(&k);
}

/* {{#name ...}}, {{^...}}, {{> ...}}...: the construct's name for the message. */
static void unsupported_tag(struct wmc *c, size_t open, const char *what, size_t skip)
{
	char buf[64];
	size_t p = open + skip;
	while (p < c->end && is_ws(c->src[p]))
		p++;
	size_t n = qid_len(c, p);
	if (n)
		fail(c, open, "%s %s is not supported by cannery", what, tpl_quote(buf, sizeof(buf), c->src + p, n));
	else
		fail(c, open, "%s is not supported by cannery", what);
}

/* A comment from `open`: {{!-- ... --}} or {{! ... }}. It trims nothing. */
static void parse_comment(struct wmc *c, size_t open)
{
	const char *close = ahead(c, open, "{{!--") ? "--}}" : "}}";
	size_t i = open;
	while (i < c->end && !ahead(c, i, close))
		i++;
	if (i >= c->end) {
		fail(c, open, "unclosed comment (no '%s'; WireMock fails on it too)", close);
		return;
	}
	push_item(c, IT_NONE);
	c->pos = i + strlen(close);
}

/* The tag at c->pos (at "{{"), in handlebars.java's lexer order. */
static void parse_tag(struct wmc *c)
{
	static const struct {
		const char *sub;
		const char *what;       /* NULL: an expression */
	} tags[] = {
		{ "&", NULL }, { "{{/", "a raw block" }, { "{{", "a raw block" }, { "{", NULL },
		{ "^", "an inverted block" }, { "#>", "a partial block" }, { "#", "block helper" },
		{ "=", "changing the delimiters" }, { ">", "a partial" }, { "/", "a block end" },
	};
	size_t open = c->pos;
	if (ahead(c, open, "{{!")) {
		parse_comment(c, open);
		return;
	}
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		size_t n = strlen(tags[i].sub);
		bool tilde = false;
		if (!ahead(c, open + 2, tags[i].sub) && !(tilde = ahead(c, open + 2, "~") && ahead(c, open + 3, tags[i].sub)))
			continue;
		size_t skip = 2 + (tilde ? 1 : 0) + n;
		if (tags[i].what) {
			unsupported_tag(c, open, tags[i].what, skip);
			return;
		}
		c->pos = open + skip;
		parse_expression(c, open, tilde, tags[i].sub[0] == '{' ? TOK_END_T : TOK_END);
		return;
	}
	bool tilde = ahead(c, open + 2, "~");
	c->pos = open + 2 + (tilde ? 1 : 0);
	if (c->pos < c->end && c->src[c->pos] == '*') {
		fail(c, c->pos, "decorators '{{*...}}' are not supported by cannery");
		return;
	}
	parse_expression(c, open, tilde, TOK_END);
}

/* \{{ ... }}: the text without its backslash, unless another "{{" comes first, which
 * handlebars.java cannot lex. */
static void parse_escape(struct wmc *c)
{
	size_t at = c->pos;
	for (size_t i = at + 2; i < c->end; i++) {
		if (ahead(c, i, "}}")) {
			struct item *it = push_item(c, IT_ESCAPE);
			it->s = c->src + at + 1;
			it->len = i + 2 - at - 1;
			c->pos = i + 2;
			return;
		}
		if (ahead(c, i, "{{"))
			break;
	}
	fail(c, at, "'\\{{' escapes a '{{...}}' only when no other '{{' comes before its '}}' (WireMock fails on it too)");
}

/* ---- whitespace control and output ------------------------------------------------------ */

/* Java's Character.isWhitespace over ASCII, as StringUtils.strip uses it. */
static bool java_space(char ch)
{
	return (ch >= 0x09 && ch <= 0x0d) || (ch >= 0x1c && ch <= 0x20);
}

static void trim_whitespace(struct item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (items[i].trim_before && i > 0 && items[i - 1].kind == IT_TEXT && !items[i - 1].after_escape)
			while (items[i - 1].len && java_space(items[i - 1].s[items[i - 1].len - 1]))
				items[i - 1].len--;
		if (items[i].trim_after && i + 1 < n && items[i + 1].kind == IT_TEXT)
			while (items[i + 1].len && java_space(items[i + 1].s[0]))
				items[i + 1].s++, items[i + 1].len--;
	}
}

static void emit(struct tpl *t, struct item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct item *it = &items[i];
		if (it->kind == IT_TEXT || it->kind == IT_LIT || it->kind == IT_ESCAPE) {
			tpl_add_text(t, it->s, it->len);
		} else if (it->kind == IT_HOLE) {
			tpl_add_var(t, &it->var);
			it->var.now_format = NULL;      /* the template has it now */
		}
	}
}

/* The middle [first, end): text, escapes and tags. */
static void parse_middle(struct wmc *c, size_t first)
{
	c->pos = first;
	while (c->pos < c->end && !c->failed) {
		if (ahead(c, c->pos, "\\{{")) {
			parse_escape(c);
		} else if (ahead(c, c->pos, "{{")) {
			parse_tag(c);
		} else {
			size_t start = c->pos;
			while (c->pos < c->end && !ahead(c, c->pos, "{{") && !ahead(c, c->pos, "\\{{"))
				c->pos++;
			bool after_escape = c->n && c->items[c->n - 1].kind == IT_ESCAPE;
			struct item *it = push_item(c, IT_TEXT);
			it->s = c->src + start;
			it->len = c->pos - start;
			it->after_escape = after_escape;
		}
	}
}

static const char *find(const char *s, size_t len, const char *what, bool last)
{
	const char *found = NULL;
	for (size_t i = 0; i + 1 < len; i++)
		if (s[i] == what[0] && s[i + 1] == what[1]) {
			found = s + i;
			if (!last)
				break;
		}
	return found;
}

struct tpl *wm_template_compile(const char *src, size_t len, struct tpl_error *err)
{
	struct tpl *t = tpl_create();
	const char *first = find(src, len, "{{", false), *last = find(src, len, "}}", true);
	/* WireMock's split: no "{{", or no "}}" at all, and the whole text is literal */
	if (!first || !last || last + 2 == first) {
		tpl_add_text(t, src, len);
		return t;
	}
	if (last + 2 < first) {
		/* substring(first, last + 2) with its end before its start */
		err->offset = (size_t)(last - src);
		snprintf(err->msg, sizeof(err->msg), "a '}}' before the first '{{' makes WireMock fail on this template "
			 "(StringIndexOutOfBoundsException)");
		tpl_destroy(t);
		return NULL;
	}
	struct wmc c = { .src = src, .end = (size_t)(last + 2 - src), .err = err };
	parse_middle(&c, (size_t)(first - src));
	if (c.failed) {
		release_items(c.items, c.n);
		tpl_destroy(t);
		return NULL;
	}
	trim_whitespace(c.items, c.n);
	tpl_add_text(t, src, (size_t)(first - src));
	emit(t, c.items, c.n);
	tpl_add_text(t, last + 2, len - (size_t)(last + 2 - src));
	release_items(c.items, c.n);
	return t;
}
