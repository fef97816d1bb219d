/* SPDX-License-Identifier: MIT */
/* Response templates: a small parser for `{{ variable args | filter "arg" | ... }}`, a
 * compiled form of literal runs and expression holes, and the per-request renderer. */
#include "render.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "diag.h"
#include "javatext.h"
#include "request.h"
#include "util/arena.h"
#include "util/rng.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

enum var_kind {
	VAR_UNKNOWN,            /* renders empty (or its default) */
	VAR_METHOD,
	VAR_PATH,
	VAR_PARAM,
	VAR_QUERY,
	VAR_HEADER,
	VAR_COOKIE,
	VAR_BODY,
	VAR_JSON,
	VAR_NOW,
	VAR_NOW_MS,
	VAR_UUID,
	VAR_RANDOM_INT,
	VAR_SEQ,
	/* only through tpl_add_var (front-ends) */
	VAR_URL,
	VAR_SEGMENT,
	VAR_HOST,
	VAR_PORT,
	VAR_BASE_URL,
	VAR_SCHEME,
	VAR_RANDOM,
	VAR_JAVA_NOW,           /* a javadate-printed time */
	VAR_JAVA_JSON,          /* a JSON body value printed as WireMock's jsonPath helper */
};

enum filter_kind {
	F_NUMBER,
	F_JSON,
	F_UPPER,
	F_LOWER,
	F_DEFAULT,
};

static const char *const filter_names[] = { "number", "json", "upper", "lower", "default", NULL };

struct filter {
	enum filter_kind kind;
	char *arg;              /* default: the replacement text (owned) */
	size_t arglen;
};

struct expr {
	enum var_kind var;
	char *name;             /* PARAM, QUERY, HEADER, COOKIE: the name; JSON: the dotted path ("" = body) */
	int64_t min, max;       /* RANDOM_INT */
	struct filter *filters;
	size_t nfilters;
	/* front-end holes (tpl_add_var): see struct tpl_var */
	bool has_index, raw_if_params;
	int64_t index;
	size_t random_length;
	enum tpl_random_chars random_chars;
	bool random_upper;
	struct javadate *date;  /* owned */
	struct javadate_offset offset;
	char *dflt;             /* JAVA_JSON: owned; NULL for none */
};

/* How a hole's value is written. */
enum out_mode {
	OUT_TEXT,               /* as is: body and header templates */
	OUT_IN_STRING,          /* JSON-escaped, inside a JSON string literal */
	OUT_VALUE,              /* a JSON value of its own: number, json, or null when absent */
};

struct part {
	bool is_expr;
	enum out_mode mode;
	size_t off, len;        /* literal: bytes in tpl->lits */
	struct expr *expr;      /* expression: owned */
};

struct tpl {
	struct part *parts;
	size_t n, alloc;
	struct strbuf lits;     /* every literal run, back to back */
	bool uses_seq;
};

/* ---- building ------------------------------------------------------------------ */

static struct tpl *tpl_new(void)
{
	return xcalloc(1, sizeof(struct tpl));
}

static struct part *push_part(struct tpl *t)
{
	if (t->n == t->alloc) {
		t->alloc = t->alloc ? 2 * t->alloc : 4;
		t->parts = xrealloc(t->parts, t->alloc * sizeof(*t->parts));
	}
	struct part *p = &t->parts[t->n++];
	memset(p, 0, sizeof(*p));
	return p;
}

/* Appends literal bytes, merging with a literal run just before. */
static void add_lit(struct tpl *t, const char *s, size_t len)
{
	if (!len)
		return;
	if (!t->n || t->parts[t->n - 1].is_expr) {
		struct part *p = push_part(t);
		p->off = t->lits.len;
	}
	strbuf_add(&t->lits, s, len);
	t->parts[t->n - 1].len += len;
}

static void add_expr(struct tpl *t, struct expr *e, enum out_mode mode)
{
	struct part *p = push_part(t);
	p->is_expr = true;
	p->mode = mode;
	p->expr = e;
	if (e->var == VAR_SEQ)
		t->uses_seq = true;
}

static void expr_destroy(struct expr *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nfilters; i++)
		free(e->filters[i].arg);
	free(e->filters);
	free(e->name);
	javadate_destroy(e->date);
	free(e->dflt);
	free(e);
}

void tpl_destroy(struct tpl *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		expr_destroy(t->parts[i].expr);
	free(t->parts);
	strbuf_release(&t->lits);
	free(t);
}

bool tpl_uses_seq(const struct tpl *t)
{
	return t && t->uses_seq;
}

bool tpl_has_expr(const char *s, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++)
		if (s[i] == '{' && s[i + 1] == '{')
			return true;
	return false;
}

/* ---- the builder (front-ends) ---------------------------------------------------- */

struct tpl *tpl_create(void)
{
	return tpl_new();
}

void tpl_add_text(struct tpl *t, const char *s, size_t len)
{
	add_lit(t, s, len);
}

void tpl_add_var(struct tpl *t, const struct tpl_var *spec)
{
	static const enum var_kind kinds[] = {
		[TPL_VAR_METHOD] = VAR_METHOD,
		[TPL_VAR_PATH] = VAR_PATH,
		[TPL_VAR_URL] = VAR_URL,
		[TPL_VAR_PATH_SEGMENT] = VAR_SEGMENT,
		[TPL_VAR_PARAM] = VAR_PARAM,
		[TPL_VAR_QUERY] = VAR_QUERY,
		[TPL_VAR_HEADER] = VAR_HEADER,
		[TPL_VAR_COOKIE] = VAR_COOKIE,
		[TPL_VAR_BODY] = VAR_BODY,
		[TPL_VAR_HOST] = VAR_HOST,
		[TPL_VAR_PORT] = VAR_PORT,
		[TPL_VAR_BASE_URL] = VAR_BASE_URL,
		[TPL_VAR_SCHEME] = VAR_SCHEME,
		[TPL_VAR_RANDOM] = VAR_RANDOM,
		[TPL_VAR_NOW] = VAR_JAVA_NOW,
		[TPL_VAR_JSON_PATH] = VAR_JAVA_JSON,
	};
	struct expr *e = xcalloc(1, sizeof(*e));
	e->var = kinds[spec->kind];
	if (spec->name)
		e->name = xstrdup(spec->name);
	e->has_index = spec->has_index;
	e->index = spec->index;
	e->raw_if_params = spec->raw_if_params;
	e->random_length = spec->random_length;
	e->random_chars = spec->random_chars;
	e->random_upper = spec->random_upper;
	e->date = spec->now_format;
	e->offset = spec->now_offset;
	if (spec->json_default)
		e->dflt = xstrdup(spec->json_default);
	add_expr(t, e, OUT_TEXT);
}

/* ---- parsing ------------------------------------------------------------------- */

struct parser {
	const char *src;
	size_t len;
	size_t pos;
	struct tpl_error *err;
	bool failed;
};

void tpl_error_vset(struct tpl_error *err, size_t at, const char *fmt, va_list ap)
{
	err->offset = at;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

static void perr(struct parser *p, size_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void perr(struct parser *p, size_t at, const char *fmt, ...)
{
	if (p->failed)
		return;
	p->failed = true;
	va_list ap;
	va_start(ap, fmt);
	tpl_error_vset(p->err, at, fmt, ap);
	va_end(ap);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

const char *tpl_quote(char *buf, size_t size, const char *s, size_t len)
{
	if (len > 40)
		snprintf(buf, size, "'%.37s...'", s);
	else
		snprintf(buf, size, "'%.*s'", (int)len, s);
	for (char *c = buf; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = '?';
	return buf;
}

/* Skips spaces within [pos, end). */
static void skip_space(struct parser *p, size_t end)
{
	while (p->pos < end && is_space(p->src[p->pos]))
		p->pos++;
}

/* A run of characters up to a space, '|', or a quote: a variable name or argument. */
static size_t read_word(struct parser *p, size_t end)
{
	size_t start = p->pos;
	while (p->pos < end && !is_space(p->src[p->pos]) && p->src[p->pos] != '|' && p->src[p->pos] != '"' &&
	       p->src[p->pos] != '\'')
		p->pos++;
	return p->pos - start;
}

static bool word_is(const char *w, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(w, lit, n) == 0;
}

static bool word_prefix(const char *w, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);
	return n > k && memcmp(w, prefix, k) == 0;
}

static void resolve_var(struct expr *e, const char *w, size_t n)
{
	static const struct {
		const char *prefix;
		enum var_kind var;
	} named[] = {
		{ "request.params.", VAR_PARAM },
		{ "request.query.", VAR_QUERY },
		{ "request.headers.", VAR_HEADER },
		{ "request.cookies.", VAR_COOKIE },
		{ "request.json.", VAR_JSON },
	};
	static const struct {
		const char *word;
		enum var_kind var;
	} plain[] = {
		{ "request.method", VAR_METHOD },
		{ "request.path", VAR_PATH },
		{ "request.body", VAR_BODY },
		{ "request.json", VAR_JSON },
		{ "now", VAR_NOW },
		{ "now_ms", VAR_NOW_MS },
		{ "uuid", VAR_UUID },
		{ "random_int", VAR_RANDOM_INT },
		{ "seq", VAR_SEQ },
	};
	e->var = VAR_UNKNOWN;
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		if (word_is(w, n, plain[i].word)) {
			e->var = plain[i].var;
			if (e->var == VAR_JSON)
				e->name = xstrdup("");
			return;
		}
	}
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		if (word_prefix(w, n, named[i].prefix)) {
			size_t k = strlen(named[i].prefix);
			e->var = named[i].var;
			e->name = xstrndup(w + k, n - k);
			return;
		}
	}
}

/* An integer argument of random_int: [-+]?[0-9]+ within int64. */
static bool read_int(struct parser *p, size_t end, int64_t *out)
{
	size_t start = p->pos;
	size_t n = read_word(p, end);
	char buf[32];
	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, p->src + start, n);
	buf[n] = '\0';
	const char *d = buf + (buf[0] == '-' || buf[0] == '+');
	if (!*d)
		return false;
	for (const char *c = d; *c; c++)
		if (*c < '0' || *c > '9')
			return false;
	errno = 0;
	char *stop;
	long long v = strtoll(buf, &stop, 10);
	if (errno || *stop)
		return false;
	*out = v;
	return true;
}

/* A quoted string argument: "..." with \" \\ \n \t escapes, or '...' taken literally. */
static bool read_string(struct parser *p, size_t end, struct filter *f)
{
	char q = p->src[p->pos];
	size_t open = p->pos;
	struct strbuf sb = STRBUF_INIT;
	p->pos++;
	while (p->pos < end && p->src[p->pos] != q) {
		char c = p->src[p->pos++];
		if (c == '\\' && q == '"' && p->pos < end) {
			char e = p->src[p->pos++];
			c = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
		}
		strbuf_addc(&sb, c);
	}
	if (p->pos >= end) {
		perr(p, open, "unterminated string in template expression (missing closing %c)", q);
		strbuf_release(&sb);
		return false;
	}
	p->pos++;
	f->arg = strbuf_detach(&sb, &f->arglen);
	return true;
}

static void parse_filter(struct parser *p, size_t end, struct expr *e)
{
	char qbuf[64];
	size_t start = p->pos;
	while (p->pos < end && (p->src[p->pos] == '_' || (p->src[p->pos] >= 'a' && p->src[p->pos] <= 'z') ||
				(p->src[p->pos] >= 'A' && p->src[p->pos] <= 'Z') ||
				(p->src[p->pos] >= '0' && p->src[p->pos] <= '9')))
		p->pos++;
	size_t n = p->pos - start;
	if (n == 0) {
		perr(p, start, "expected a filter name after '|'");
		return;
	}
	int kind = -1;
	for (int i = 0; filter_names[i]; i++)
		if (word_is(p->src + start, n, filter_names[i]))
			kind = i;
	if (kind < 0) {
		/* the whole word, for the message and the hint */
		p->pos = start;
		n = read_word(p, end);
		char *word = xstrndup(p->src + start, n);
		const char *hint = diag_suggest(word, filter_names);
		if (hint)
			perr(p, start, "unknown filter %s (did you mean '%s'?)", tpl_quote(qbuf, sizeof(qbuf), word, n), hint);
		else
			perr(p, start, "unknown filter %s (filters: number, json, upper, lower, default \"x\")",
			     tpl_quote(qbuf, sizeof(qbuf), word, n));
		free(word);
		return;
	}
	e->filters = xrealloc(e->filters, (e->nfilters + 1) * sizeof(*e->filters));
	struct filter *f = &e->filters[e->nfilters++];
	memset(f, 0, sizeof(*f));
	f->kind = (enum filter_kind)kind;
	skip_space(p, end);
	if (f->kind == F_DEFAULT) {
		if (p->pos >= end || (p->src[p->pos] != '"' && p->src[p->pos] != '\'')) {
			perr(p, start, "filter 'default' needs a quoted text, e.g. default \"x\"");
			return;
		}
		read_string(p, end, f);
		skip_space(p, end);
		return;
	}
	if (p->pos < end && p->src[p->pos] != '|')
		perr(p, p->pos, "filter '%s' takes no argument", filter_names[kind]);
}

/* Parses the expression between "{{" and "}}": [start, end) of the source. */
static struct expr *parse_expr(struct parser *p, size_t open, size_t start, size_t end)
{
	char qbuf[64];
	struct expr *e = xcalloc(1, sizeof(*e));
	p->pos = start;
	skip_space(p, end);
	if (p->pos >= end) {
		perr(p, open, "empty template expression '{{}}'");
		goto fail;
	}
	size_t wstart = p->pos;
	size_t n = read_word(p, end);
	if (n == 0) {
		perr(p, wstart, "expected a variable at the start of the expression, got %s",
		     tpl_quote(qbuf, sizeof(qbuf), p->src + wstart, 1));
		goto fail;
	}
	resolve_var(e, p->src + wstart, n);
	skip_space(p, end);
	if (e->var == VAR_RANDOM_INT) {
		size_t astart = p->pos;
		if (!read_int(p, end, &e->min) || (skip_space(p, end), !read_int(p, end, &e->max))) {
			perr(p, astart < end ? astart : wstart, "'random_int' needs two integers: random_int MIN MAX");
			goto fail;
		}
		if (e->min > e->max) {
			perr(p, astart, "'random_int' MIN (%" PRId64 ") is greater than MAX (%" PRId64 ")", e->min, e->max);
			goto fail;
		}
		skip_space(p, end);
	}
	while (p->pos < end && !p->failed) {
		if (p->src[p->pos] != '|') {
			size_t bad = p->pos;
			size_t k = read_word(p, end);
			perr(p, bad, "unexpected %s in template expression (filters follow '|')",
			     tpl_quote(qbuf, sizeof(qbuf), p->src + bad, k ? k : 1));
			break;
		}
		p->pos++;
		skip_space(p, end);
		parse_filter(p, end, e);
	}
	if (p->failed)
		goto fail;
	return e;
fail:
	expr_destroy(e);
	return NULL;
}

/* The "}}" closing the expression that starts at pos, skipping quoted strings; len if none. */
static size_t find_close(const char *s, size_t len, size_t pos)
{
	char q = 0;
	for (size_t i = pos; i < len; i++) {
		char c = s[i];
		if (q) {
			if (c == '\\' && q == '"' && i + 1 < len)
				i++;
			else if (c == q)
				q = 0;
		} else if (c == '"' || c == '\'') {
			q = c;
		} else if (c == '}' && i + 1 < len && s[i + 1] == '}') {
			return i;
		}
	}
	/* an unterminated quote: close at the first "}}" so the parser can name the quote */
	for (size_t i = pos; q && i + 1 < len; i++)
		if (s[i] == '}' && s[i + 1] == '}')
			return i;
	return len;
}

struct tpl *tpl_compile(const char *src, size_t len, struct tpl_error *err)
{
	struct tpl *t = tpl_new();
	struct parser p = { src, len, 0, err, false };
	size_t i = 0, lit = 0;
	while (i < len) {
		if (src[i] == '\\' && i + 2 < len && src[i + 1] == '{' && src[i + 2] == '{') {
			/* \{{ is a literal {{ */
			add_lit(t, src + lit, i - lit);
			add_lit(t, "{{", 2);
			i += 3;
			lit = i;
			continue;
		}
		if (src[i] != '{' || i + 1 >= len || src[i + 1] != '{') {
			i++;
			continue;
		}
		add_lit(t, src + lit, i - lit);
		size_t close = find_close(src, len, i + 2);
		if (close >= len) {
			perr(&p, i, "unclosed '{{' in template (no matching '}}')");
			goto fail;
		}
		struct expr *e = parse_expr(&p, i, i + 2, close);
		if (!e)
			goto fail;
		add_expr(t, e, OUT_TEXT);
		i = close + 2;
		lit = i;
	}
	add_lit(t, src + lit, len - lit);
	return t;
fail:
	tpl_destroy(t);
	return NULL;
}

/* ---- JSON skeletons ------------------------------------------------------------ */

/* (string literals are escaped by strbuf_add_json_escaped, exactly as cJSON prints them, so
 * a skeleton's literal parts equal the static serialization) */

static bool json_has_tpl(const cJSON *j)
{
	if (cJSON_IsString(j))
		return j->valuestring && tpl_has_expr(j->valuestring, strlen(j->valuestring));
	for (const cJSON *c = j->child; c; c = c->next)
		if (json_has_tpl(c))
			return true;
	return false;
}

static void lit_json_string(struct tpl *t, const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addc(&sb, '"');
	strbuf_add_json_escaped(&sb, s, strlen(s));
	strbuf_addc(&sb, '"');
	add_lit(t, sb.buf, sb.len);
	strbuf_release(&sb);
}

static bool ends_in_value_filter(const struct expr *e)
{
	if (!e->nfilters)
		return false;
	enum filter_kind k = e->filters[e->nfilters - 1].kind;
	return k == F_NUMBER || k == F_JSON;
}

static void emit_string(struct tpl *t, const char *s)
{
	struct tpl_error err;
	struct tpl *one = tpl_compile(s, strlen(s), &err);
	if (!one) {
		lit_json_string(t, s);
		return;
	}
	if (one->n == 1 && one->parts[0].is_expr && ends_in_value_filter(one->parts[0].expr)) {
		add_expr(t, one->parts[0].expr, OUT_VALUE);
		one->parts[0].expr = NULL;
		tpl_destroy(one);
		return;
	}
	add_lit(t, "\"", 1);
	for (size_t i = 0; i < one->n; i++) {
		struct part *p = &one->parts[i];
		if (p->is_expr) {
			add_expr(t, p->expr, OUT_IN_STRING);
			p->expr = NULL;
		} else {
			struct strbuf sb = STRBUF_INIT;
			strbuf_add_json_escaped(&sb, one->lits.buf + p->off, p->len);
			add_lit(t, sb.buf, sb.len);
			strbuf_release(&sb);
		}
	}
	add_lit(t, "\"", 1);
	tpl_destroy(one);
}

static void emit_json(struct tpl *t, const cJSON *j)
{
	if (!json_has_tpl(j)) {
		char *s = cJSON_PrintUnformatted(j);
		if (!s) {
			fputs("cannery: out of memory\n", stderr);
			abort();
		}
		add_lit(t, s, strlen(s));
		cJSON_free(s);
		return;
	}
	if (cJSON_IsString(j)) {
		emit_string(t, j->valuestring);
		return;
	}
	bool obj = cJSON_IsObject(j);
	add_lit(t, obj ? "{" : "[", 1);
	for (const cJSON *c = j->child; c; c = c->next) {
		if (c != j->child)
			add_lit(t, ",", 1);
		if (obj) {
			lit_json_string(t, c->string ? c->string : "");
			add_lit(t, ":", 1);
		}
		emit_json(t, c);
	}
	add_lit(t, obj ? "}" : "]", 1);
}

struct tpl *tpl_compile_json(const cJSON *root)
{
	if (!root || !json_has_tpl(root))
		return NULL;
	struct tpl *t = tpl_new();
	emit_json(t, root);
	return t;
}

/* ---- rendering ----------------------------------------------------------------- */

enum val_kind {
	VAL_MISSING,            /* absent: renders empty; `default` replaces it; null as a JSON value */
	VAL_TEXT,               /* text: quoted by `json` */
	VAL_JSON,               /* JSON text (a number, true, an object...): as is */
};

struct val {
	enum val_kind kind;
	const char *s;
	size_t len;
};

static struct val text_val(const char *s, size_t len)
{
	return (struct val){ VAL_TEXT, s, len };
}

static const struct kv *find_kv(const struct kv *v, size_t n, const char *name, bool icase)
{
	for (size_t i = 0; i < n; i++)
		if (icase ? strcasecmp(v[i].name, name) == 0 : strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

static struct val kv_val(const struct kv *kv)
{
	return kv ? text_val(kv->value, kv->len) : (struct val){ VAL_MISSING, NULL, 0 };
}

static int64_t wall_ms(struct render_ctx *ctx)
{
	if (!ctx->now_ms) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ctx->now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	}
	return ctx->now_ms;
}

static struct val printed(struct arena *a, enum val_kind kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static struct val printed(struct arena *a, enum val_kind kind, const char *fmt, ...)
{
	char buf[64];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	return (struct val){ kind, arena_strndup(a, buf, (size_t)n), (size_t)n };
}

static struct val json_val(struct arena *a, const cJSON *j)
{
	if (!j)
		return (struct val){ VAL_MISSING, NULL, 0 };
	if (cJSON_IsString(j))
		return text_val(j->valuestring, strlen(j->valuestring));
	char *s = cJSON_PrintUnformatted(j);
	if (!s)
		return (struct val){ VAL_MISSING, NULL, 0 };
	size_t n = strlen(s);
	struct val v = { VAL_JSON, arena_strndup(a, s, n), n };
	cJSON_free(s);
	return v;
}

static struct val uuid_val(struct render_ctx *ctx)
{
	char id[RNG_UUID_SIZE];
	rng_uuid(ctx->rng, id);
	return text_val(arena_strndup(ctx->req->arena, id, 36), 36);
}

/* The index-th value called name (a negative index counts as WireMock's ListOrSingle.get
 * does: count-1+index), or NULL. */
static const struct kv *find_nth_kv(const struct kv *v, size_t n, const char *name, bool icase, int64_t index)
{
	int64_t count = 0;
	for (size_t i = 0; i < n; i++)
		count += icase ? strcasecmp(v[i].name, name) == 0 : strcmp(v[i].name, name) == 0;
	if (index < 0)
		index += count - 1;
	if (index < 0 || index >= count)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((icase ? strcasecmp(v[i].name, name) == 0 : strcmp(v[i].name, name) == 0) && index-- == 0)
			return &v[i];
	return NULL;
}

static struct val named_val(const struct expr *e, const struct kv *v, size_t n, bool icase)
{
	return kv_val(e->has_index ? find_nth_kv(v, n, e->name, icase, e->index) : find_kv(v, n, e->name, icase));
}

static const struct val missing = { VAL_MISSING, NULL, 0 };

/* Moves sb's text into the request's arena. */
static struct val arena_text(struct arena *a, struct strbuf *sb)
{
	struct val v = text_val(arena_strndup(a, sb->buf ? sb->buf : "", sb->len), sb->len);
	strbuf_release(sb);
	return v;
}

/* The path a hole shows: decoded, or as received (up to the query) when raw_if_params
 * and the stub captured path parameters. Not NUL-terminated. */
static struct val path_val(const struct expr *e, struct render_ctx *ctx)
{
	struct req_view *r = ctx->req;
	if (e->raw_if_params && ctx->params && ctx->params->n && r->target)
		return text_val(r->target, strcspn(r->target, "?"));
	return r->path ? text_val(r->path, strlen(r->path)) : missing;
}

/* The index-th non-empty segment of the path; WireMock's UrlPath drops empty ones. */
static struct val segment_val(const struct expr *e, struct render_ctx *ctx)
{
	struct val p = path_val(e, ctx);
	int64_t want = e->index;
	if (p.kind == VAL_MISSING || want < 0)
		return missing;
	for (size_t i = 0; i < p.len;) {
		while (i < p.len && p.s[i] == '/')
			i++;
		size_t start = i;
		while (i < p.len && p.s[i] != '/')
			i++;
		if (i > start && want-- == 0)
			return text_val(p.s + start, i - start);
	}
	return missing;
}

/* The Host header as Jetty splits it: the host ("[v6]" whole) and the port, the scheme's
 * ("80", or "443" over TLS) when it names none; a decimal port loses its leading zeros.
 * False without a Host header. */
static bool host_parts(struct req_view *r, struct val *host, struct val *port)
{
	const struct kv *h = req_view_header(r, "host");
	if (!h)
		return false;
	const char *s = h->value;
	size_t n = h->len, colon;
	if (n && s[0] == '[') {
		const char *close = memchr(s, ']', n);
		colon = close ? (size_t)(close - s) + 1 : n;
	} else {
		const char *c = memchr(s, ':', n);
		colon = c ? (size_t)(c - s) : n;
	}
	*host = text_val(s, colon);
	if (colon + 1 >= n) {
		*port = r->https ? text_val("443", 3) : text_val("80", 2);
		return true;
	}
	const char *p = s + colon + 1;
	size_t plen = n - colon - 1;
	if (plen <= 5 && strspn(p, "0123456789") >= plen) {
		while (plen > 1 && p[0] == '0')
			p++, plen--;
	}
	*port = text_val(p, plen);
	return true;
}

static struct val host_val(enum var_kind var, struct req_view *r)
{
	struct val host, port;
	if (!host_parts(r, &host, &port))
		return missing;
	if (var == VAR_HOST)
		return host;
	if (var == VAR_PORT)
		return port;
	struct strbuf sb = STRBUF_INIT;
	const char *dflt = r->https ? "443" : "80";
	strbuf_adds(&sb, r->https ? "https://" : "http://");
	strbuf_add(&sb, host.s, host.len);
	if (!(port.len == strlen(dflt) && memcmp(port.s, dflt, port.len) == 0)) {
		strbuf_addc(&sb, ':');
		strbuf_add(&sb, port.s, port.len);
	}
	return arena_text(r->arena, &sb);
}

static char fold_case(char c, bool upper)
{
	if (upper && c >= 'a' && c <= 'z')
		return (char)(c - 'a' + 'A');
	if (!upper && c >= 'A' && c <= 'Z')
		return (char)(c - 'A' + 'a');
	return c;
}

/* WireMock's randomValue: commons-lang's character sets, then the whole text in upper or
 * lower case. */
static struct val random_val(const struct expr *e, struct render_ctx *ctx)
{
	static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	static const char hexdigits[] = "ABCDEF0123456789";
	struct val v;
	if (e->random_chars == TPL_RANDOM_UUID) {
		v = uuid_val(ctx);
	} else {
		const char *set = NULL;
		size_t nset = 0;
		char lo = 0;
		switch (e->random_chars) {
		case TPL_RANDOM_ALPHANUMERIC:
			set = alnum, nset = 62;
			break;
		case TPL_RANDOM_ALPHABETIC:
			set = alnum, nset = 52;
			break;
		case TPL_RANDOM_NUMERIC:
			set = alnum + 52, nset = 10;
			break;
		case TPL_RANDOM_HEXADECIMAL:
			set = hexdigits, nset = 16;
			break;
		case TPL_RANDOM_ALPHANUMERIC_AND_SYMBOLS:
			lo = '!', nset = '}' - '!' + 1;
			break;
		default:
			lo = ' ', nset = '~' - ' ' + 1;
			break;
		}
		char *s = arena_alloc(ctx->req->arena, e->random_length + 1);
		for (size_t i = 0; i < e->random_length; i++) {
			size_t k = (size_t)rng_below(ctx->rng, nset);
			s[i] = set ? set[k] : (char)(lo + (char)k);
		}
		s[e->random_length] = '\0';
		v = text_val(s, e->random_length);
	}
	char *w = (char *)v.s;
	for (size_t i = 0; i < v.len; i++)
		w[i] = fold_case(w[i], e->random_upper);
	return v;
}

/* WireMock's jsonPath helper: empty without a body (before any default); the default, or
 * empty, when the value is absent or null. The dotted path is the stand-in for a compiled
 * JSONPath until src/jsonpath.h lands: see simple_json_path in wiremock_template.c. */
static struct val java_json_val(const struct expr *e, struct req_view *r)
{
	if (!r->body || !r->body_len)
		return missing;
	/* numbers as written where the exact reader takes the body: Java tells 1 from 1.0 */
	const cJSON *root = req_view_json_exact(r);
	const cJSON *j = root ? json_get_dotted(root, e->name) : req_view_json_path(r, e->name);
	if (!j || cJSON_IsNull(j))
		return e->dflt ? text_val(e->dflt, strlen(e->dflt)) : missing;
	struct strbuf sb = STRBUF_INIT;
	javatext_json_value(&sb, j);
	return arena_text(r->arena, &sb);
}

static struct val eval_var(const struct expr *e, struct render_ctx *ctx)
{
	struct req_view *r = ctx->req;
	switch (e->var) {
	case VAR_UNKNOWN:
		break;
	case VAR_METHOD:
		return r->method ? text_val(r->method, strlen(r->method)) : (struct val){ VAL_MISSING, NULL, 0 };
	case VAR_PATH:
		return path_val(e, ctx);
	case VAR_PARAM:
		return ctx->params ? kv_val(find_kv(ctx->params->items, ctx->params->n, e->name, false))
				   : (struct val){ VAL_MISSING, NULL, 0 };
	case VAR_QUERY:
		return named_val(e, r->query, r->nquery, false);
	case VAR_HEADER:
		return named_val(e, r->headers, r->nheaders, true);
	case VAR_COOKIE:
		return named_val(e, r->cookies, r->ncookies, false);
	case VAR_BODY:
		return text_val(r->body ? r->body : "", r->body ? r->body_len : 0);
	case VAR_JSON:
		return json_val(r->arena, req_view_json_path(r, e->name));
	case VAR_NOW: {
		int64_t ms = wall_ms(ctx);
		time_t sec = (time_t)(ms / 1000);
		struct tm tm;
		gmtime_r(&sec, &tm);
		return printed(r->arena, VAL_TEXT, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
			       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	}
	case VAR_NOW_MS:
		return printed(r->arena, VAL_JSON, "%" PRId64, wall_ms(ctx));
	case VAR_UUID:
		return uuid_val(ctx);
	case VAR_RANDOM_INT: {
		/* the span may be the whole 64-bit range: rng_below(0) covers it */
		uint64_t span = (uint64_t)e->max - (uint64_t)e->min + 1;
		uint64_t v = (uint64_t)e->min + rng_below(ctx->rng, span);
		return printed(r->arena, VAL_JSON, "%" PRId64, (int64_t)v);
	}
	case VAR_SEQ:
		return printed(r->arena, VAL_JSON, "%" PRIu64, ctx->seq);
	case VAR_URL:
		return r->target ? text_val(r->target, strlen(r->target)) : path_val(e, ctx);
	case VAR_SEGMENT:
		return segment_val(e, ctx);
	case VAR_HOST:
	case VAR_PORT:
	case VAR_BASE_URL:
		return host_val(e->var, r);
	case VAR_SCHEME:
		return r->https ? text_val("https", 5) : text_val("http", 4);
	case VAR_RANDOM:
		return random_val(e, ctx);
	case VAR_JAVA_NOW: {
		struct strbuf sb = STRBUF_INIT;
		javadate_print(e->date, javadate_offset_apply(&e->offset, wall_ms(ctx)), &sb);
		return arena_text(r->arena, &sb);
	}
	case VAR_JAVA_JSON:
		return java_json_val(e, r);
	}
	return (struct val){ VAL_MISSING, NULL, 0 };
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)? */
static bool is_json_number(const char *s, size_t n)
{
	size_t i = 0;
	if (i < n && s[i] == '-')
		i++;
	if (i >= n)
		return false;
	if (s[i] == '0') {
		i++;
	} else if (s[i] >= '1' && s[i] <= '9') {
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	} else {
		return false;
	}
	if (i < n && s[i] == '.') {
		size_t d = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == d)
			return false;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t d = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == d)
			return false;
	}
	return i == n;
}

/*
 * `number`: the value as a JSON number. JSON number text is kept as it is (big integers
 * keep every digit); other decimal spellings ("+5", "007", ".5", " 42 ") are normalised;
 * anything else is absent (null as a JSON value).
 */
static struct val to_number(struct arena *a, struct val v)
{
	if (v.kind == VAL_MISSING)
		return v;
	const char *s = v.s;
	size_t n = v.len;
	while (n && is_space(*s))
		s++, n--;
	while (n && is_space(s[n - 1]))
		n--;
	if (is_json_number(s, n))
		return (struct val){ VAL_JSON, s, n };
	if (n == 0 || n > 64 || strspn(s, "+-0123456789.eE") < n)
		return (struct val){ VAL_MISSING, NULL, 0 };
	char buf[72];
	memcpy(buf, s, n);
	buf[n] = '\0';
	char *end;
	double d = strtod(buf, &end);
	if (*end || !isfinite(d))
		return (struct val){ VAL_MISSING, NULL, 0 };
	if (d == 0)
		d = 0;      /* no "-0" */
	if (d == floor(d) && fabs(d) < 9007199254740992.0)
		return printed(a, VAL_JSON, "%.0f", d);
	struct val out = printed(a, VAL_JSON, "%.15g", d);
	if (strtod(out.s, NULL) != d)
		out = printed(a, VAL_JSON, "%.17g", d);
	return out;
}

static struct val to_json_text(struct arena *a, struct val v)
{
	if (v.kind == VAL_MISSING)
		return (struct val){ VAL_JSON, "null", 4 };
	if (v.kind == VAL_JSON)
		return v;
	struct strbuf sb = STRBUF_INIT;
	strbuf_addc(&sb, '"');
	strbuf_add_json_escaped(&sb, v.s, v.len);
	strbuf_addc(&sb, '"');
	struct val out = { VAL_JSON, arena_strndup(a, sb.buf, sb.len), sb.len };
	strbuf_release(&sb);
	return out;
}

static struct val change_case(struct arena *a, struct val v, bool up)
{
	if (v.kind == VAL_MISSING)
		return v;
	char *s = arena_strndup(a, v.s, v.len);
	for (size_t i = 0; i < v.len; i++) {
		if (up && s[i] >= 'a' && s[i] <= 'z')
			s[i] = (char)(s[i] - 'a' + 'A');
		else if (!up && s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
	}
	return text_val(s, v.len);
}

static struct val eval(const struct expr *e, struct render_ctx *ctx)
{
	struct arena *a = ctx->req->arena;
	struct val v = eval_var(e, ctx);
	for (size_t i = 0; i < e->nfilters; i++) {
		const struct filter *f = &e->filters[i];
		switch (f->kind) {
		case F_NUMBER:
			v = to_number(a, v);
			break;
		case F_JSON:
			v = to_json_text(a, v);
			break;
		case F_UPPER:
		case F_LOWER:
			v = change_case(a, v, f->kind == F_UPPER);
			break;
		case F_DEFAULT:
			if (v.kind == VAL_MISSING || v.len == 0)
				v = text_val(f->arg, f->arglen);
			break;
		}
	}
	return v;
}

void tpl_render(const struct tpl *t, struct render_ctx *ctx, struct strbuf *out)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct part *p = &t->parts[i];
		if (!p->is_expr) {
			strbuf_add(out, t->lits.buf + p->off, p->len);
			continue;
		}
		struct val v = eval(p->expr, ctx);
		switch (p->mode) {
		case OUT_TEXT:
			if (v.kind != VAL_MISSING)
				strbuf_add(out, v.s, v.len);
			break;
		case OUT_IN_STRING:
			if (v.kind != VAL_MISSING)
				strbuf_add_json_escaped(out, v.s, v.len);
			break;
		case OUT_VALUE:
			v = to_json_text(ctx->req->arena, v);
			strbuf_add(out, v.s, v.len);
			break;
		}
	}
}
