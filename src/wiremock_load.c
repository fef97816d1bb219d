/* SPDX-License-Identifier: MIT */
/* WireMock mappings into stubs: the request pattern into the stub model's matchers, the
 * response definition into a canned (or fault) response, WireMock's priority and recency
 * into the stub's rank. The JSON is read through the YAML layer (JSON is YAML's flow
 * style), which places every node for FILE:LINE:COLUMN. */
#define _GNU_SOURCE     /* memmem */
#include "wiremock_load.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "jsonpath.h"
#include "load.h"
#include "regex.h"
#include "respond.h"
#include "stub.h"
#include "stub_files.h"
#include "util/base64.h"
#include "util/numtext.h"
#include "util/rng.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "wiremock_template.h"
#include "yaml_tree.h"

/* WireMock's default priority: 1 is the highest. */
#define WM_DEFAULT_PRIORITY 5

struct wm_loader {
	struct loader ld;           /* messages: FILE:LINE:COLUMN, key hints */
	const struct wm_files *files;
	struct rng rng;             /* ids of mappings that bring none */
	const char *keep_id;        /* PUT /__admin/mappings/{id}: the id, whatever the body says */
};

/* ---- small readers -------------------------------------------------------------- */

static bool is_string(const struct ynode *v)
{
	return v->kind == YNODE_SCALAR && !(v->plain && ynode_is_null(v));
}

/* A scalar's text, or NULL after "KEY must be a string". */
static const char *want_string(struct wm_loader *w, const struct ynode *k, const struct ynode *v)
{
	if (is_string(v) && strlen(v->text) == v->len)
		return v->text;
	load_err(&w->ld, v, "'%s' must be a string, got %s", k->text, load_got(&w->ld, v));
	return NULL;
}

static bool want_bool(struct wm_loader *w, const struct ynode *k, const struct ynode *v, bool *out)
{
	int b = v->kind == YNODE_SCALAR ? ynode_bool(v) : -1;
	if (b < 0) {
		load_err(&w->ld, v, "'%s' must be true or false, got %s", k->text, load_got(&w->ld, v));
		return false;
	}
	*out = b == 1;
	return true;
}

static bool want_int(struct wm_loader *w, const struct ynode *k, const struct ynode *v, long long min, long long max,
		     long long *out)
{
	if (v->kind == YNODE_SCALAR && ynode_int(v, min, max, out))
		return true;
	load_err(&w->ld, v, "'%s' must be an integer from %lld to %lld, got %s", k->text, min, max, load_got(&w->ld, v));
	return false;
}

/* Whether v is an object without a key given twice (Jackson would let the last one win
 * silently: a clear error is kinder, and the compiler never sees a key twice). */
static bool want_object(struct wm_loader *w, const struct ynode *v, const char *what)
{
	if (v->kind != YNODE_MAPPING) {
		load_err(&w->ld, v, "%s must be a JSON object, got %s", what, load_got(&w->ld, v));
		return false;
	}
	bool ok = true;
	for (size_t i = 2; i + 1 < v->n; i += 2)
		for (size_t j = 0; j < i; j += 2)
			if (v->kids[i]->kind == YNODE_SCALAR && v->kids[j]->kind == YNODE_SCALAR &&
			    v->kids[i]->len == v->kids[j]->len && memcmp(v->kids[i]->text, v->kids[j]->text, v->kids[i]->len) == 0) {
				load_err(&w->ld, v->kids[i], "duplicate key %s in %s", load_shown(&w->ld, v->kids[i]->text, v->kids[i]->len),
					 what);
				ok = false;
				break;
			}
	return ok;
}

/* The index of k in known; -1 after an error: "not supported" for a WireMock feature
 * cannery lacks (those in unsupported), unknown with a hint otherwise. */
static int key_of(struct wm_loader *w, const struct ynode *k, const char *const *known, const char *const *unsupported,
		  const char *where)
{
	if (!load_key_ok(&w->ld, k))
		return -1;
	int ki = load_key_index(k, known);
	if (ki >= 0)
		return ki;
	if (unsupported && load_key_index(k, unsupported) >= 0)
		load_err(&w->ld, k, "WireMock's '%s' in %s is not supported by cannery (docs/wiremock.md lists what is)",
			 k->text, where);
	else
		load_unknown_key(&w->ld, k, where, known);
	return -1;
}

/* ---- JSON text ------------------------------------------------------------------ */

/* Whether a plain scalar is a JSON literal (number, true, false, null) rather than text:
 * what YAML also reads as a number but JSON does not (+418, 01, .5) stays text, so that
 * the text made of it is JSON. */
static bool json_literal(const struct ynode *v)
{
	if (!v->plain)
		return false;
	if (strcmp(v->text, "true") == 0 || strcmp(v->text, "false") == 0 || strcmp(v->text, "null") == 0)
		return true;
	return numtext_is_json_number(v->text);
}

/* v as compact JSON text, numbers exactly as written (jsonBody's 2.0 stays 2.0). */
static void json_text(const struct ynode *v, struct strbuf *out)
{
	switch (v->kind) {
	case YNODE_MAPPING:
		strbuf_addc(out, '{');
		for (size_t i = 0; i + 1 < v->n; i += 2) {
			if (i)
				strbuf_addc(out, ',');
			strbuf_add_json_string(out, v->kids[i]->text, v->kids[i]->len);
			strbuf_addc(out, ':');
			json_text(v->kids[i + 1], out);
		}
		strbuf_addc(out, '}');
		return;
	case YNODE_SEQUENCE:
		strbuf_addc(out, '[');
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				strbuf_addc(out, ',');
			json_text(v->kids[i], out);
		}
		strbuf_addc(out, ']');
		return;
	case YNODE_SCALAR:
		if (json_literal(v))
			strbuf_add(out, v->text, v->len);
		else
			strbuf_add_json_string(out, v->text, v->len);
		return;
	}
}

/* An equalToJson operand: JSON given as a string, or as JSON itself. NULL after an error. */
static cJSON *json_operand(struct wm_loader *w, const struct ynode *k, const struct ynode *v)
{
	struct strbuf sb = STRBUF_INIT;
	if (is_string(v) && !json_literal(v))
		strbuf_add(&sb, v->text, v->len);
	else
		json_text(v, &sb);
	struct json_error err;
	cJSON *j = json_parse(sb.buf ? sb.buf : "", sb.len, &err);
	if (!j)
		load_err(&w->ld, v, "'%s' must be JSON: %s at line %d, column %d of the value", k->text, err.what, err.line,
			 err.col);
	strbuf_release(&sb);
	return j;
}

/* ---- value patterns (equalTo, contains, matches, ...) ---------------------------- */

static const char *const pattern_keys[] = {
	"equalTo", "caseInsensitive", "contains", "doesNotContain", "matches", "doesNotMatch", "absent", "and", "or",
	"equalToJson", "ignoreArrayOrder", "ignoreExtraElements", NULL,
};
enum {
	VK_EQUAL_TO, VK_CASE_INSENSITIVE, VK_CONTAINS, VK_DOES_NOT_CONTAIN, VK_MATCHES, VK_DOES_NOT_MATCH, VK_ABSENT,
	VK_AND, VK_OR, VK_EQUAL_TO_JSON, VK_IGNORE_ARRAY_ORDER, VK_IGNORE_EXTRA,
};
/* WireMock's other matchers: named in the error */
static const char *const pattern_unsupported[] = {
	"binaryEqualTo", "equalToXml", "matchesXPath", "before", "after", "equalToDateTime", "hasExactly", "includes",
	"equalToNumber", "greaterThanNumber", "lessThanNumber", "matchesJsonSchema", "matchesJsonPath", "not",
	"enableCaseInsensitive", NULL,
};

static void to_pattern(struct wm_loader *w, const struct ynode *v, const char *label, struct matcher *m);

static struct match_clause *add_clause(struct matcher *m, enum match_op op)
{
	return matcher_add_clause(m, op);
}

/* A WireMock regex: Java's Pattern with DOTALL ('.' matches a newline too), matched
 * against the whole value. */
static struct regex *compile(struct wm_loader *w, const struct ynode *k, const struct ynode *v, bool icase)
{
	char *msg = NULL;
	size_t off = 0;
	struct strbuf src = STRBUF_INIT;
	strbuf_adds(&src, "(?s)");
	strbuf_add(&src, v->text, v->len);
	struct regex *re = regex_compile(src.buf, icase, &msg, &off);
	strbuf_release(&src);
	if (!re) {
		load_err(&w->ld, v, "'%s' is not a valid regex: %s at offset %zu", k->text, msg ? msg : "error",
			 off >= 4 ? off - 4 : 0);
		free(msg);
	}
	return re;
}

/* `and` / `or`: a list of patterns, each kept whole (with its own caseInsensitive) as one
 * alternative of an `any` clause; `and` adds one clause per pattern. */
static void to_pattern_list(struct wm_loader *w, const struct ynode *k, const struct ynode *v, const char *label,
			    struct matcher *m, bool any)
{
	if (v->kind != YNODE_SEQUENCE || v->n == 0) {
		load_err(&w->ld, v, "'%s' must be a non-empty list of matchers, got %s", k->text, load_got(&w->ld, v));
		return;
	}
	struct match_clause *c = any ? add_clause(m, MATCH_ANY) : NULL;
	for (size_t i = 0; i < v->n; i++) {
		if (!any)
			c = add_clause(m, MATCH_ANY);
		c->alts = xrealloc(c->alts, (c->nalts + 1) * sizeof(*c->alts));
		memset(&c->alts[c->nalts], 0, sizeof(*c->alts));
		to_pattern(w, v->kids[i], label, &c->alts[c->nalts++]);
	}
}

/* One WireMock value pattern into m (its operator and modifiers). label names the
 * subject in messages. */
static void to_pattern(struct wm_loader *w, const struct ynode *v, const char *label, struct matcher *m)
{
	if (!want_object(w, v, label))
		return;
	const struct ynode *op = NULL, *opval = NULL;
	struct json_compare cmp = { false, false };
	size_t errors = load_nerrors(&w->ld);
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct ynode *k = v->kids[i], *val = v->kids[i + 1];
		int ki = key_of(w, k, pattern_keys, pattern_unsupported, label);
		if (ki < 0)
			continue;
		switch (ki) {
		case VK_CASE_INSENSITIVE:
			want_bool(w, k, val, &m->ignore_case);
			continue;
		case VK_IGNORE_ARRAY_ORDER:
			want_bool(w, k, val, &cmp.ignore_array_order);
			continue;
		case VK_IGNORE_EXTRA:
			want_bool(w, k, val, &cmp.ignore_extra);
			continue;
		default:
			break;
		}
		if (op) {
			load_err(&w->ld, k, "%s has both '%s' and '%s': a WireMock matcher has one operator", label, op->text,
				 k->text);
			continue;
		}
		op = k;
		opval = val;
	}
	if (!op) {
		if (load_nerrors(&w->ld) == errors)
			load_err(&w->ld, v, "%s has no operator (equalTo, contains, matches, absent, ...)", label);
		return;
	}
	int ki = load_key_index(op, pattern_keys);
	const char *text = NULL;
	if (ki == VK_EQUAL_TO || ki == VK_CONTAINS || ki == VK_DOES_NOT_CONTAIN || ki == VK_MATCHES ||
	    ki == VK_DOES_NOT_MATCH) {
		/* WireMock takes numbers and booleans here too, as their text */
		if (opval->kind != YNODE_SCALAR || strlen(opval->text) != opval->len) {
			load_err(&w->ld, opval, "'%s' must be a string, got %s", op->text, load_got(&w->ld, opval));
			return;
		}
		text = opval->text;
	}
	struct match_clause *c;
	switch (ki) {
	case VK_EQUAL_TO:
		add_clause(m, MATCH_EQUALS)->text = xstrdup(text);
		break;
	case VK_CONTAINS:
		add_clause(m, MATCH_CONTAINS)->text = xstrdup(text);
		break;
	case VK_DOES_NOT_CONTAIN:
		c = add_clause(m, MATCH_NOT);
		c->inner = xcalloc(1, sizeof(*c->inner));
		c->inner->ignore_case = m->ignore_case;
		add_clause(c->inner, MATCH_CONTAINS)->text = xstrdup(text);
		break;
	case VK_MATCHES:
	case VK_DOES_NOT_MATCH: {
		struct regex *re = compile(w, op, opval, m->ignore_case);
		if (!re)
			return;
		if (ki == VK_MATCHES) {
			c = add_clause(m, MATCH_REGEX);
		} else {
			c = add_clause(m, MATCH_NOT);
			c->inner = xcalloc(1, sizeof(*c->inner));
			c = add_clause(c->inner, MATCH_REGEX);
		}
		c->re = re;
		c->text = xstrdup(text);
		break;
	}
	case VK_ABSENT: {
		bool absent = false;
		if (want_bool(w, op, opval, &absent))
			add_clause(m, MATCH_PRESENT)->present = !absent;
		break;
	}
	case VK_AND:
	case VK_OR:
		to_pattern_list(w, op, opval, label, m, ki == VK_OR);
		break;
	case VK_EQUAL_TO_JSON: {
		cJSON *j = json_operand(w, op, opval);
		if (!j)
			return;
		c = add_clause(m, MATCH_JSON);
		c->json = j;
		c->cmp = cmp;
		break;
	}
	default:
		break;
	}
}

/* {NAME: pattern, ...} of queryParameters, headers, cookies, pathParameters. */
static void to_named_patterns(struct wm_loader *w, const struct ynode *k, const struct ynode *v, const char *noun,
			      bool header, struct named_matcher **out, uint32_t *nout)
{
	if (!want_object(w, v, k->text))
		return;
	*out = xcalloc(v->n / 2 + 1, sizeof(**out));
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct ynode *name = v->kids[i];
		if (!load_key_ok(&w->ld, name))
			continue;
		struct named_matcher *nm = &(*out)[(*nout)++];
		nm->name = xstrdup(name->text);
		if (header)
			for (char *p = nm->name; *p; p++)
				if (*p >= 'A' && *p <= 'Z')
					*p = (char)(*p - 'A' + 'a');
		nm->line = name->line;
		nm->col = name->col;
		struct strbuf label = STRBUF_INIT;
		strbuf_addf(&label, "%s '%s'", noun, name->text);
		to_pattern(w, v->kids[i + 1], strbuf_str(&label), &nm->m);
		strbuf_release(&label);
	}
}

/* ---- the request pattern ------------------------------------------------------- */

static const char *const request_keys[] = {
	"method", "url", "urlPath", "urlPattern", "urlPathPattern", "urlPathTemplate", "pathParameters",
	"queryParameters", "headers", "cookies", "basicAuthCredentials", "bodyPatterns", "basicAuth", NULL,
};
enum {
	RK_METHOD, RK_URL, RK_URL_PATH, RK_URL_PATTERN, RK_URL_PATH_PATTERN, RK_URL_PATH_TEMPLATE, RK_PATH_PARAMETERS,
	RK_QUERY, RK_HEADERS, RK_COOKIES, RK_BASIC_AUTH, RK_BODY_PATTERNS, RK_BASIC_AUTH_ALIAS,
};
static const char *const request_unsupported[] = {
	"host", "port", "scheme", "clientIp", "formParameters", "multipartPatterns", "customMatcher", NULL,
};

char *wm_decode_path(const char *path, size_t len)
{
	char *out = xmalloc(len + 1);
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		int hi, lo;
		if (path[i] == '%' && i + 2 < len && (hi = numtext_digit_value(path[i + 1])) < 16 &&
		    (lo = numtext_digit_value(path[i + 2])) < 16) {
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			out[o++] = path[i];
		}
	}
	out[o] = '\0';
	return out;
}

/* urlPathTemplate: "/contacts/{contactId}/addresses/{addressId}". */
static void to_template(struct wm_loader *w, const struct ynode *v, struct stub_request *q)
{
	const char *t = v->text;
	if (t[0] != '/') {
		load_err(&w->ld, v, "'urlPathTemplate' must start with '/', got %s", load_got(&w->ld, v));
		return;
	}
	q->path_kind = PATH_TEMPLATE;
	q->path = xstrdup(t);
	for (const char *p = t + 1;;) {
		size_t n = strcspn(p, "/");
		if (n >= 2 && p[0] == '{' && p[n - 1] == '}')
			stub_request_add_seg(q, p + 1, n - 2, true);
		else if (memchr(p, '{', n) || memchr(p, '}', n))
			load_err(&w->ld, v, "'urlPathTemplate' segment %s must be literal or one {name}",
				 load_shown(&w->ld, p, n));
		else
			stub_request_add_seg(q, p, n, false);
		if (!p[n])
			break;
		p += n + 1;
	}
}

/* The URL key: url (the raw target), urlPath (the decoded path), urlPattern (a regex on
 * the raw target), urlPathPattern (on the decoded path), urlPathTemplate. */
static void to_url(struct wm_loader *w, int ki, const struct ynode *k, const struct ynode *v, struct stub_request *q)
{
	const char *text = want_string(w, k, v);
	if (!text)
		return;
	q->path_line = v->line;
	q->path_col = v->col;
	switch (ki) {
	case RK_URL:
		q->path_kind = PATH_EXACT;
		q->target = xstrdup(text);
		q->path = wm_decode_path(text, strcspn(text, "?"));
		break;
	case RK_URL_PATH:
		q->path_kind = PATH_EXACT;
		q->path = xstrdup(text);
		break;
	case RK_URL_PATTERN:
	case RK_URL_PATH_PATTERN:
		q->path_re = compile(w, k, v, false);
		if (!q->path_re)
			return;
		q->path_kind = PATH_REGEX;
		q->path = xstrdup(text);
		q->path_re_target = ki == RK_URL_PATTERN;
		break;
	default:
		to_template(w, v, q);
		break;
	}
}

/* basicAuthCredentials: the Authorization header WireMock expects, "Basic " + base64. */
static void to_basic_auth(struct wm_loader *w, const struct ynode *v, struct stub_request *q)
{
	static const char *const keys[] = { "username", "password", NULL };
	const char *user = NULL, *pass = NULL;
	if (!want_object(w, v, "'basicAuthCredentials'"))
		return;
	size_t errors = load_nerrors(&w->ld);
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		int ki = key_of(w, v->kids[i], keys, NULL, "'basicAuthCredentials'");
		if (ki == 0)
			user = want_string(w, v->kids[i], v->kids[i + 1]);
		else if (ki == 1)
			pass = want_string(w, v->kids[i], v->kids[i + 1]);
	}
	if (!user || !pass) {
		if (load_nerrors(&w->ld) == errors)
			load_err(&w->ld, v, "'basicAuthCredentials' needs 'username' and 'password'");
		return;
	}
	/* WireMock: Authorization equal to "Basic " + base64(user:pass), the scheme's case aside */
	struct strbuf cred = STRBUF_INIT, value = STRBUF_INIT, re = STRBUF_INIT;
	strbuf_addf(&cred, "%s:%s", user, pass);
	base64_encode(&value, cred.buf, cred.len);
	strbuf_addf(&re, "(?i:Basic) \\Q%s\\E", value.buf);
	q->headers = xrealloc(q->headers, (q->nheaders + 1) * sizeof(*q->headers));
	struct named_matcher *nm = &q->headers[q->nheaders++];
	memset(nm, 0, sizeof(*nm));
	nm->name = xstrdup("authorization");
	nm->line = v->line;
	nm->col = v->col;
	struct match_clause *c = add_clause(&nm->m, MATCH_REGEX);
	c->re = regex_compile(re.buf, false, NULL, NULL);
	strbuf_reset(&re);
	strbuf_addf(&re, "Basic %s", value.buf);
	c->text = strbuf_detach(&re, NULL);
	strbuf_release(&value);
	strbuf_release(&cred);
}

/* matchesJsonPath: "EXPR", or {"expression": "EXPR", <a value pattern>} matching what it
 * finds. */
static void to_json_path(struct wm_loader *w, const struct ynode *k, const struct ynode *v, struct body_match *b)
{
	const struct ynode *expr = v;
	if (v->kind == YNODE_MAPPING) {
		expr = ynode_get(v, "expression");
		if (!expr) {
			load_err(&w->ld, v, "'matchesJsonPath' needs 'expression' (a JSONPath) beside its matcher");
			return;
		}
		/* the pattern is the mapping without its expression */
		const struct ynode **kids = xcalloc(v->n, sizeof(*kids));
		struct ynode rest = *v;
		rest.n = 0;
		for (size_t i = 0; i + 1 < v->n; i += 2)
			if (v->kids[i + 1] != expr) {
				kids[rest.n++] = v->kids[i];
				kids[rest.n++] = v->kids[i + 1];
			}
		rest.kids = kids;
		if (rest.n)
			to_pattern(w, &rest, "'matchesJsonPath'", &b->raw);
		free(kids);
	}
	const char *text = want_string(w, expr == v ? k : expr, expr);
	if (!text)
		return;
	char *err = NULL;
	size_t off = 0;
	b->kind = BODY_JSONPATH;
	b->jp = jsonpath_compile(text, &err, &off);
	b->jp_source = xstrdup(text);
	if (!b->jp) {
		int line, col;
		yaml_reader_text_location(w->ld.yr, expr, off, &line, &col);
		diag_add(w->ld.diags, w->ld.file, line, col, "'matchesJsonPath' is not a JSONPath WireMock reads: %s",
			 err ? err : "error");
		free(err);
	}
}

/* One of bodyPatterns: a value pattern on the raw body, equalToJson, or matchesJsonPath. */
static void to_body_pattern(struct wm_loader *w, const struct ynode *v, struct body_match *b)
{
	if (!want_object(w, v, "a body pattern"))
		return;
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct ynode *k = v->kids[i];
		if (k->kind != YNODE_SCALAR)
			continue;
		if (strcmp(k->text, "equalToJson") == 0) {
			b->kind = BODY_JSON;
			for (size_t j = 0; j + 1 < v->n; j += 2) {
				const struct ynode *o = v->kids[j];
				if (o == k)
					continue;
				if (o->kind == YNODE_SCALAR && strcmp(o->text, "ignoreArrayOrder") == 0)
					want_bool(w, o, v->kids[j + 1], &b->cmp.ignore_array_order);
				else if (o->kind == YNODE_SCALAR && strcmp(o->text, "ignoreExtraElements") == 0)
					want_bool(w, o, v->kids[j + 1], &b->cmp.ignore_extra);
				else
					key_of(w, o, (const char *const[]){ "equalToJson", "ignoreArrayOrder", "ignoreExtraElements", NULL },
					       pattern_unsupported, "an equalToJson body pattern");
			}
			b->json = json_operand(w, k, v->kids[i + 1]);
			return;
		}
		if (strcmp(k->text, "matchesJsonPath") == 0) {
			for (size_t j = 0; j + 1 < v->n; j += 2)
				if (v->kids[j] != k)
					key_of(w, v->kids[j], (const char *const[]){ "matchesJsonPath", NULL }, NULL,
					       "a matchesJsonPath body pattern");
			to_json_path(w, k, v->kids[i + 1], b);
			return;
		}
	}
	b->kind = BODY_RAW;
	to_pattern(w, v, "a body pattern", &b->raw);
}

static void to_request(struct wm_loader *w, const struct ynode *v, struct stub *s)
{
	struct stub_request *q = &s->req;
	if (!want_object(w, v, "'request'"))
		return;
	const struct ynode *url_key = NULL;
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct ynode *k = v->kids[i], *val = v->kids[i + 1];
		int ki = key_of(w, k, request_keys, request_unsupported, "'request'");
		switch (ki) {
		case RK_METHOD: {
			const char *m = want_string(w, k, val);
			if (!m)
				break;
			if (!load_is_token(m)) {
				load_err(&w->ld, val, "'method' must be an HTTP method, got %s", load_got(&w->ld, val));
				break;
			}
			if (strcmp(m, "ANY") == 0)
				break;
			stub_request_add_method(q, m);
			break;
		}
		case RK_URL:
		case RK_URL_PATH:
		case RK_URL_PATTERN:
		case RK_URL_PATH_PATTERN:
		case RK_URL_PATH_TEMPLATE:
			if (url_key) {
				load_err(&w->ld, k, "'request' has both '%s' and '%s': give one", url_key->text, k->text);
				break;
			}
			url_key = k;
			to_url(w, ki, k, val, q);
			break;
		case RK_PATH_PARAMETERS:
			to_named_patterns(w, k, val, "path parameter", false, &q->path_params, &q->npath_params);
			break;
		case RK_QUERY:
			to_named_patterns(w, k, val, "query parameter", false, &q->query, &q->nquery);
			break;
		case RK_HEADERS:
			to_named_patterns(w, k, val, "header", true, &q->headers, &q->nheaders);
			break;
		case RK_COOKIES:
			to_named_patterns(w, k, val, "cookie", false, &q->cookies, &q->ncookies);
			break;
		case RK_BASIC_AUTH:
		case RK_BASIC_AUTH_ALIAS:
			to_basic_auth(w, val, q);
			break;
		case RK_BODY_PATTERNS:
			if (val->kind != YNODE_SEQUENCE) {
				load_err(&w->ld, val, "'bodyPatterns' must be a list, got %s", load_got(&w->ld, val));
				break;
			}
			q->bodies = xcalloc(val->n + 1, sizeof(*q->bodies));
			for (size_t j = 0; j < val->n; j++)
				to_body_pattern(w, val->kids[j], &q->bodies[q->nbodies++]);
			break;
		default:
			break;
		}
	}
	if (!url_key)
		q->path_kind = PATH_NONE;
	if (q->npath_params && q->path_kind != PATH_TEMPLATE)
		load_err(&w->ld, v, "'pathParameters' needs 'urlPathTemplate'");
	for (size_t i = 0; i < q->npath_params; i++) {
		bool found = false;
		for (size_t j = 0; j < q->nsegs; j++)
			found |= q->segs[j].is_param && strcmp(q->segs[j].text, q->path_params[i].name) == 0;
		if (!found && q->path_kind == PATH_TEMPLATE)
			diag_add(w->ld.diags, w->ld.file, q->path_params[i].line, q->path_params[i].col,
				 "path parameter '%s' is not in the urlPathTemplate", q->path_params[i].name);
	}
}

/* ---- the response definition --------------------------------------------------- */

static const char *const response_keys[] = {
	"status", "headers", "body", "jsonBody", "base64Body", "bodyFileName", "fixedDelayMilliseconds",
	"delayDistribution", "fault", "statusMessage", "transformers", "proxyBaseUrl", NULL,
};
enum {
	PK_STATUS, PK_HEADERS, PK_BODY, PK_JSON_BODY, PK_BASE64_BODY, PK_BODY_FILE, PK_FIXED_DELAY, PK_DELAY_DIST,
	PK_FAULT, PK_STATUS_MESSAGE, PK_TRANSFORMERS, PK_PROXY_BASE,
};
static const char *const response_unsupported[] = {
	"transformerParameters", "additionalProxyRequestHeaders",
	"removeProxyRequestHeaders", "proxyUrlPrefixToRemove", "chunkedDribbleDelay", NULL,
};

static void add_named_header(struct stub_response *r, const char *name, const char *value)
{
	r->headers = xrealloc(r->headers, (r->nheaders + 1) * sizeof(*r->headers));
	r->headers[r->nheaders].name = xstrdup(name);
	r->headers[r->nheaders].value = xstrdup(value);
	r->headers[r->nheaders].tpl = NULL;
	r->nheaders++;
}

static void add_header(struct wm_loader *w, struct stub_response *r, const char *name, const struct ynode *v)
{
	if (v->kind != YNODE_SCALAR || strlen(v->text) != v->len || strpbrk(v->text, "\r\n")) {
		load_err(&w->ld, v, "header '%s' value must be a string without line breaks, got %s", name,
			 load_got(&w->ld, v));
		return;
	}
	add_named_header(r, name, v->text);
}

/* text[0..len) of node v as a WireMock template (the response-template transformer), or
 * NULL when it holds none; a template cannery cannot compile is a located error. */
static struct tpl *template_at(struct wm_loader *w, const struct ynode *v, const char *text, size_t len, bool *bad)
{
	if (!memmem(text, len, "{{", 2))
		return NULL;
	struct tpl_error err = { 0 };
	struct tpl *t = wm_template_compile(text, len, &err);
	if (!t) {
		int line = v->line, col = v->col;
		if (v->kind == YNODE_SCALAR && v->text == text)
			yaml_reader_text_location(w->ld.yr, v, err.offset, &line, &col);
		diag_add(w->ld.diags, w->ld.file, line, col, "WireMock template: %s", err.msg);
		*bad = true;
	}
	return t;
}

/* headers: {NAME: VALUE or [VALUES]}; a list is one header line per value. */
static void to_headers(struct wm_loader *w, const struct ynode *k, const struct ynode *v, struct stub_response *r)
{
	if (!want_object(w, v, "'headers'"))
		return;
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct ynode *name = v->kids[i], *val = v->kids[i + 1];
		if (!load_key_ok(&w->ld, name))
			continue;
		if (!load_is_token(name->text)) {
			load_err(&w->ld, name, "header name %s is not a valid HTTP token", load_shown(&w->ld, name->text, name->len));
			continue;
		}
		if (val->kind == YNODE_SEQUENCE)
			for (size_t j = 0; j < val->n; j++)
				add_header(w, r, name->text, val->kids[j]);
		else
			add_header(w, r, name->text, val);
	}
	(void)k;
}

/* bodyFileName: a file under ROOT/__files (it may not escape it). */
static void to_body_file(struct wm_loader *w, const struct ynode *k, const struct ynode *v, struct stub_response *r)
{
	const char *name = want_string(w, k, v);
	if (!name)
		return;
	if (!w->files || !w->files->shown) {
		load_err(&w->ld, k, "'bodyFileName' needs a WireMock root (its __files directory)");
		return;
	}
	char *path = stub_path_join(w->files->shown, name);
	char *real = realpath(path, NULL);
	struct stat st;
	if (!real) {
		load_err(&w->ld, v, "body file %s does not exist", load_shown_str(&w->ld, path));
	} else if (!w->files->real || !stub_path_inside(real, w->files->real)) {
		load_err(&w->ld, v, "'bodyFileName' must stay inside %s, got %s", load_shown_str(&w->ld, w->files->shown),
			 load_shown(&w->ld, v->text, v->len));
	} else if (stat(real, &st) != 0 || !S_ISREG(st.st_mode)) {
		load_err(&w->ld, v, "body file %s is not a regular file", load_shown_str(&w->ld, path));
	} else {
		int rc = stub_file_read(real, &r->body, &r->body_len);
		if (rc < 0)
			load_err(&w->ld, v, "cannot read body file %s: %s", load_shown_str(&w->ld, path), strerror(-rc));
	}
	free(real);
	free(path);
}

/* delayDistribution: {"type": "uniform", "lower": MS, "upper": MS} or {"type": "lognormal",
 * "median": MS, "sigma": S, "maxValue": MS}. */
static void to_delay_distribution(struct wm_loader *w, const struct ynode *v, struct stub_response *r)
{
	static const char *const keys[] = { "type", "lower", "upper", "median", "sigma", "maxValue", NULL };
	enum { DK_TYPE, DK_LOWER, DK_UPPER, DK_MEDIAN, DK_SIGMA, DK_MAX };
	if (!want_object(w, v, "'delayDistribution'"))
		return;
	long long n[6] = { -1, -1, -1, -1, -1, 0 };
	double sigma = -1;
	const struct ynode *type = NULL;
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct ynode *k = v->kids[i], *val = v->kids[i + 1];
		int ki = key_of(w, k, keys, NULL, "'delayDistribution'");
		if (ki == DK_TYPE) {
			type = val;
		} else if (ki == DK_SIGMA) {
			char *end = NULL;
			sigma = val->kind == YNODE_SCALAR ? strtod(val->text, &end) : -1;
			if (!end || *end || !(sigma >= 0 && sigma <= 10)) {
				load_err(&w->ld, val, "'sigma' must be a number from 0 to 10, got %s", load_got(&w->ld, val));
				sigma = -1;
			}
		} else if (ki > 0) {
			want_int(w, k, val, 0, 3600000, &n[ki]);
		}
	}
	const char *t = type && is_string(type) ? type->text : "";
	if (strcmp(t, "uniform") == 0) {
		if (n[DK_LOWER] < 0 || n[DK_UPPER] < n[DK_LOWER]) {
			load_err(&w->ld, v, "a uniform 'delayDistribution' needs 'lower' and 'upper' (lower <= upper)");
			return;
		}
		r->delay_min_ms = (unsigned)n[DK_LOWER];
		r->delay_max_ms = (unsigned)n[DK_UPPER];
	} else if (strcmp(t, "lognormal") == 0) {
		if (n[DK_MEDIAN] < 0 || sigma < 0) {
			load_err(&w->ld, v, "a lognormal 'delayDistribution' needs 'median' and 'sigma'");
			return;
		}
		r->delay_min_ms = (unsigned)n[DK_MEDIAN];
		r->delay_max_ms = (unsigned)n[DK_MAX];
		r->delay_sigma = sigma > 0 ? sigma : 0;
	} else {
		load_err(&w->ld, type ? type : v, "'delayDistribution' needs \"type\": \"uniform\" or \"lognormal\"");
	}
}

static void to_fault(struct wm_loader *w, const struct ynode *k, const struct ynode *v, struct stub_response *r)
{
	static const char *const faults[] = {
		"CONNECTION_RESET_BY_PEER", "EMPTY_RESPONSE", "RANDOM_DATA_THEN_CLOSE", "MALFORMED_RESPONSE_CHUNK", NULL,
	};
	static const enum stub_fault kinds[] = {
		STUB_FAULT_RESET, STUB_FAULT_EMPTY, STUB_FAULT_GARBAGE, STUB_FAULT_BAD_CHUNK,
	};
	const char *f = want_string(w, k, v);
	if (!f)
		return;
	int i = load_key_index(v, faults);
	if (i < 0) {
		load_err(&w->ld, v, "unknown fault %s (WireMock has CONNECTION_RESET_BY_PEER, EMPTY_RESPONSE, "
			 "MALFORMED_RESPONSE_CHUNK, RANDOM_DATA_THEN_CLOSE)", load_shown_str(&w->ld, f));
		return;
	}
	r->handler = &respond_fault;
	r->fault = kinds[i];
}

/* transformers: WireMock's response-template is the one cannery has. */
static bool to_transformers(struct wm_loader *w, const struct ynode *v)
{
	if (v->kind != YNODE_SEQUENCE) {
		load_err(&w->ld, v, "'transformers' must be a list of names, got %s", load_got(&w->ld, v));
		return false;
	}
	bool on = false;
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *t = v->kids[i];
		if (t->kind == YNODE_SCALAR && strcmp(t->text, "response-template") == 0)
			on = true;
		else
			load_err(&w->ld, t, "transformer %s is not supported by cannery (only response-template is)",
				 t->kind == YNODE_SCALAR ? load_shown(&w->ld, t->text, t->len) : load_got(&w->ld, t));
	}
	return on;
}

/* With the response-template transformer: the body (whatever its source) and every header
 * value that holds "{{" become templates. */
static void compile_templates(struct wm_loader *w, const struct ynode *v, struct stub_response *r)
{
	bool bad = false;
	const struct ynode *at = ynode_get(v, "body");
	if (!at)
		at = ynode_get(v, "jsonBody");
	if (!at)
		at = ynode_get(v, "bodyFileName");
	if (r->body && at)
		r->body_tpl = template_at(w, at, r->body, r->body_len, &bad);
	const struct ynode *hdrs = ynode_get(v, "headers");
	for (size_t i = 0; i < r->nheaders && !bad; i++) {
		const struct ynode *hv = hdrs ? ynode_get(hdrs, r->headers[i].name) : NULL;
		if (hv && hv->kind == YNODE_SEQUENCE)
			hv = NULL;
		r->headers[i].tpl = template_at(w, hv ? hv : v, r->headers[i].value, strlen(r->headers[i].value), &bad);
	}
	if (r->handler != &respond_fault && r->handler != &respond_proxy)
		r->handler = respond_choose(r);
}

static void to_response(struct wm_loader *w, const struct ynode *v, struct stub_response *r)
{
	if (!want_object(w, v, "'response'"))
		return;
	bool templates = false;
	const struct ynode *body_key = NULL;
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct ynode *k = v->kids[i], *val = v->kids[i + 1];
		int ki = key_of(w, k, response_keys, response_unsupported, "'response'");
		long long n;
		if (ki == PK_BODY || ki == PK_JSON_BODY || ki == PK_BASE64_BODY || ki == PK_BODY_FILE) {
			if (body_key) {
				load_err(&w->ld, k, "'response' has both '%s' and '%s': give one body", body_key->text, k->text);
				continue;
			}
			body_key = k;
		}
		switch (ki) {
		case PK_STATUS:
			if (want_int(w, k, val, 100, 599, &n))
				r->status = (int)n;
			break;
		case PK_HEADERS:
			to_headers(w, k, val, r);
			break;
		case PK_BODY: {
			const char *text = want_string(w, k, val);
			if (text) {
				r->body = xmemdup0(val->text, val->len);
				r->body_len = val->len;
			}
			break;
		}
		case PK_JSON_BODY: {
			struct strbuf sb = STRBUF_INIT;
			json_text(val, &sb);
			r->body = strbuf_detach(&sb, &r->body_len);
			break;
		}
		case PK_BASE64_BODY: {
			const char *text = want_string(w, k, val);
			struct strbuf sb = STRBUF_INIT;
			if (text && !base64_decode(&sb, text, val->len))
				load_err(&w->ld, val, "'base64Body' is not base64");
			r->body_len = sb.len;
			r->body = sb.buf ? strbuf_detach(&sb, NULL) : xstrdup("");
			break;
		}
		case PK_BODY_FILE:
			to_body_file(w, k, val, r);
			break;
		case PK_FIXED_DELAY:
			if (want_int(w, k, val, 0, 3600000, &n))
				r->delay_min_ms = r->delay_max_ms = (unsigned)n;
			break;
		case PK_DELAY_DIST:
			to_delay_distribution(w, val, r);
			break;
		case PK_FAULT:
			to_fault(w, k, val, r);
			break;
		case PK_TRANSFORMERS:
			templates = to_transformers(w, val);
			break;
		case PK_PROXY_BASE: {
			/* the request goes on to this server (its target appended) and its answer is
			 * the mapping's (WireMock's proxyBaseUrl) */
			const char *url = want_string(w, k, val);
			size_t scheme = !url ? 0 : strncasecmp(url, "http://", 7) == 0 ? 7 : strncasecmp(url, "https://", 8) == 0 ? 8 : 0;
			if (url && (!scheme || !url[scheme] || url[scheme] == '/' || strpbrk(url, "?# \t\r\n"))) {
				load_err(&w->ld, val, "'proxyBaseUrl' must be an http or https URL with a host and no query, got %s",
					 load_got(&w->ld, val));
			} else if (url) {
				r->proxy_base = xstrdup(url);
				r->handler = &respond_proxy;
			}
			break;
		}
		case PK_STATUS_MESSAGE: {
			const char *text = want_string(w, k, val);
			if (text && strpbrk(text, "\r\n"))
				load_err(&w->ld, val, "'statusMessage' must be one line");
			else if (text)
				r->status_message = xstrdup(text);
			break;
		}
		default:
			break;
		}
	}
	/* without the transformer WireMock sends "{{...}}" as it is */
	if (templates)
		compile_templates(w, v, r);
}

/* ---- one mapping ---------------------------------------------------------------- */

static const char *const mapping_keys[] = {
	"request", "response", "priority", "scenarioName", "requiredScenarioState", "newScenarioState",
	"id", "uuid", "name", "persistent", "insertionIndex", "metadata", NULL,
};
enum { MK_REQUEST, MK_RESPONSE, MK_PRIORITY, MK_SCENARIO, MK_REQUIRED_STATE, MK_NEW_STATE, MK_ID, MK_UUID };
static const char *const mapping_unsupported[] = { "postServeActions", "serveEventListeners", NULL };

/* WireMock's initial scenario state is "Started"; cannery's is "start": one set of
 * scenario states serves both. */
static char *state_name(const char *s)
{
	return xstrdup(strcmp(s, "Started") == 0 ? "start" : s);
}

bool wm_is_uuid(const char *s)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	for (size_t i = 0; i < sizeof(shape) - 1; i++) {
		if (shape[i] == '-' ? s[i] != '-' : numtext_digit_value(s[i]) >= 16)
			return false;
	}
	return s[sizeof(shape) - 1] == '\0';
}

static bool is_uuid(const char *s)
{
	return wm_is_uuid(s);
}

static char *random_uuid(struct rng *rng)
{
	char id[RNG_UUID_SIZE];
	rng_uuid(rng, id);
	return xstrdup(id);
}

/* The mapping as WireMock prints it (GET /__admin/mappings): id first, the request with
 * its method ("ANY" when none), the response with its status (200 when none), uuid, then
 * the other keys given; numbers as written. */
static char *front_json(const struct ynode *v, const char *id)
{
	static const char *const order[] = {
		"name", "request", "response", "uuid", "persistent", "priority", "scenarioName",
		"requiredScenarioState", "newScenarioState", "metadata", NULL,
	};
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, "{\"id\":");
	strbuf_add_json_string(&sb, id, strlen(id));
	for (size_t o = 0; order[o]; o++) {
		const struct ynode *val = ynode_get(v, order[o]);
		bool req = strcmp(order[o], "request") == 0, resp = strcmp(order[o], "response") == 0;
		if (strcmp(order[o], "uuid") == 0) {
			strbuf_adds(&sb, ",\"uuid\":");
			strbuf_add_json_string(&sb, id, strlen(id));
			continue;
		}
		if (!val && !req && !resp)
			continue;
		if (strcmp(order[o], "persistent") == 0 && !(val->kind == YNODE_SCALAR && ynode_bool(val) == 1))
			continue;
		strbuf_addf(&sb, ",\"%s\":", order[o]);
		if ((req || resp) && (!val || val->kind == YNODE_MAPPING)) {
			const char *must = req ? "method" : "status";
			struct strbuf inner = STRBUF_INIT;
			if (val)
				json_text(val, &inner);
			else
				strbuf_adds(&inner, "{}");
			strbuf_add(&sb, inner.buf, inner.len - 1);
			if (!val || !ynode_get(val, must))
				strbuf_addf(&sb, "%s\"%s\":%s", inner.len > 2 ? "," : "", must, req ? "\"ANY\"" : "200");
			strbuf_addc(&sb, '}');
			strbuf_release(&inner);
		} else {
			json_text(val, &sb);
		}
	}
	strbuf_addc(&sb, '}');
	return strbuf_detach(&sb, NULL);
}

static struct stub *to_mapping(struct wm_loader *w, const struct ynode *v, uint64_t insertion)
{
	if (!want_object(w, v, "a mapping"))
		return NULL;
	struct stub *s = xcalloc(1, sizeof(*s));
	s->file = xstrdup(w->ld.file);
	s->line = v->line;
	s->col = v->col;
	s->priority = WM_DEFAULT_PRIORITY;
	s->insertion = insertion;
	s->resp.status = 200;
	s->resp.handler = &respond_canned;
	const struct ynode *req = NULL, *resp = NULL, *id = NULL;
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct ynode *k = v->kids[i], *val = v->kids[i + 1];
		int ki = key_of(w, k, mapping_keys, mapping_unsupported, "a mapping");
		long long n;
		const char *text;
		switch (ki) {
		case MK_REQUEST:
			req = val;
			break;
		case MK_RESPONSE:
			resp = val;
			break;
		case MK_PRIORITY:
			if (want_int(w, k, val, -2147483647LL, 2147483647LL, &n))
				s->priority = (int)n;
			break;
		case MK_SCENARIO:
			if ((text = want_string(w, k, val)))
				s->scenario = xstrdup(text);
			break;
		case MK_REQUIRED_STATE:
			if ((text = want_string(w, k, val)))
				s->state = state_name(text);
			break;
		case MK_NEW_STATE:
			if ((text = want_string(w, k, val)))
				s->next_state = state_name(text);
			break;
		case MK_ID:
		case MK_UUID:
			/* `id` and `uuid` are the same UUID in WireMock's files; the first wins */
			if (!id && want_string(w, k, val))
				id = val;
			break;
		default:
			break;
		}
	}
	/* as in WireMock: no request matches every request, no response is a 200 */
	if (req)
		to_request(w, req, s);
	else
		s->req.path_kind = PATH_NONE;
	if (resp)
		to_response(w, resp, &s->resp);
	if ((s->state || s->next_state) && !s->scenario)
		load_err(&w->ld, v, "'requiredScenarioState' and 'newScenarioState' need 'scenarioName'");
	s->id = w->keep_id ? xstrdup(w->keep_id) : id ? xstrdup(id->text) : random_uuid(&w->rng);
	/* WireMock names the mapping that answered in every matched answer */
	if (s->resp.fault == STUB_FAULT_NONE) {
		add_named_header(&s->resp, "Matched-Stub-Id", s->id);
		const struct ynode *name = ynode_get(v, "name");
		if (name && is_string(name))
			add_named_header(&s->resp, "Matched-Stub-Name", name->text);
	}
	if (id && !w->keep_id && !is_uuid(id->text))
		load_err(&w->ld, id, "'%s' must be a UUID, got %s", "id", load_got(&w->ld, id));
	s->front_json = front_json(v, s->id);
	s->responses = xcalloc(1, sizeof(*s->responses));
	s->responses[0] = &s->resp;
	s->nresponses = 1;
	s->counts_hits = s->next_state != NULL;
	s->nconds = (unsigned)(s->req.nquery + s->req.nheaders + s->req.ncookies) + (s->req.nbodies ? 1u : 0u) +
		    (s->state ? 1u : 0u);
	return s;
}

/* ---- a file --------------------------------------------------------------------- */

static void append(struct wm_out *out, struct stub *s)
{
	out->stubs = xrealloc(out->stubs, (out->n + 1) * sizeof(*out->stubs));
	out->stubs[out->n++] = s;
}

int wm_load_file(const char *file, const char *text, size_t len, const struct wm_files *files, struct wm_out *out,
		 struct diag_list *diags)
{
	struct wm_loader w = { .files = files };
	w.ld.diags = diags;
	w.ld.file = file;
	rng_seed_random(&w.rng);
	size_t errors_before = diags->n + diags->dropped, first = out->n;
	struct yaml_reader *yr = yaml_reader_create(file, text, len, diags);
	w.ld.yr = yr;
	const struct ynode *root = NULL;
	int rc = yaml_reader_next(yr, &root);
	if (rc == 0) {
		diag_add(diags, file, 0, 0, "a mapping file must hold a JSON object, got nothing");
	} else if (rc > 0 && want_object(&w, root, "a mapping file")) {
		const struct ynode *list = ynode_get(root, "mappings");
		if (!list) {
			struct stub *s = to_mapping(&w, root, ++*out->insertion);
			if (s)
				append(out, s);
		} else if (list->kind != YNODE_SEQUENCE) {
			load_err(&w.ld, list, "'mappings' must be a list of mappings, got %s", load_got(&w.ld, list));
		} else {
			for (size_t i = 0; i + 1 < root->n; i += 2)
				if (root->kids[i]->kind == YNODE_SCALAR && strcmp(root->kids[i]->text, "mappings") != 0 &&
				    strcmp(root->kids[i]->text, "meta") != 0)
					load_unknown_key(&w.ld, root->kids[i], "a mappings file",
							 (const char *const[]){ "mappings", "meta", NULL });
			for (size_t i = 0; i < list->n; i++) {
				struct stub *s = to_mapping(&w, list->kids[i], ++*out->insertion);
				if (s)
					append(out, s);
			}
		}
	}
	yaml_reader_destroy(yr);
	if (diags->n + diags->dropped == errors_before)
		return (int)(out->n - first);
	for (size_t i = first; i < out->n; i++)
		stub_destroy(out->stubs[i]);
	out->n = first;
	return -1;
}

/* The one JSON object of text (an admin API body); NULL after an error. */
static const struct ynode *read_object(struct wm_loader *w, struct yaml_reader *yr, const char *what)
{
	const struct ynode *root = NULL;
	int rc = yaml_reader_next(yr, &root);
	if (rc == 0)
		diag_add(w->ld.diags, w->ld.file, 0, 0, "%s must be a JSON object, got nothing", what);
	if (rc <= 0 || !want_object(w, root, what))
		return NULL;
	return root;
}

struct stub *wm_load_mapping(const char *label, const char *text, size_t len, const struct wm_files *files,
			     uint64_t insertion, const char *keep_id, struct diag_list *diags)
{
	struct wm_loader w = { .files = files, .keep_id = keep_id };
	w.ld.diags = diags;
	w.ld.file = label;
	rng_seed_random(&w.rng);
	size_t errors = diags->n + diags->dropped;
	struct yaml_reader *yr = yaml_reader_create(label, text, len, diags);
	w.ld.yr = yr;
	const struct ynode *root = read_object(&w, yr, "a mapping");
	struct stub *s = root ? to_mapping(&w, root, insertion) : NULL;
	yaml_reader_destroy(yr);
	if (s && diags->n + diags->dropped == errors)
		return s;
	stub_destroy(s);
	return NULL;
}

struct stub *wm_load_pattern(const char *label, const char *text, size_t len, struct diag_list *diags)
{
	struct wm_loader w = { 0 };
	w.ld.diags = diags;
	w.ld.file = label;
	size_t errors = diags->n + diags->dropped;
	struct yaml_reader *yr = yaml_reader_create(label, text, len ? len : 2, diags);
	w.ld.yr = yr;
	struct stub *s = xcalloc(1, sizeof(*s));
	s->id = xstrdup("pattern");
	s->req.path_kind = PATH_NONE;
	/* an empty body is the empty pattern: every request */
	const struct ynode *root = len ? read_object(&w, yr, "a request pattern") : NULL;
	if (root)
		to_request(&w, root, s);
	yaml_reader_destroy(yr);
	if (diags->n + diags->dropped == errors)
		return s;
	stub_destroy(s);
	return NULL;
}

/* ---- __files as WireMock's static file server ----------------------------------- */

/* Jetty's types for the extensions WireMock roots hold; anything else is served as JSON,
 * as WireMock does. */
static const char *static_type(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ "json", "application/json" }, { "html", "text/html" }, { "htm", "text/html" },
		{ "xml", "application/xml" }, { "txt", "text/plain" }, { "css", "text/css" },
		{ "js", "text/javascript" }, { "png", "image/png" }, { "jpg", "image/jpeg" },
		{ "jpeg", "image/jpeg" }, { "gif", "image/gif" }, { "svg", "image/svg+xml" },
		{ "ico", "image/x-icon" }, { "pdf", "application/pdf" }, { "zip", "application/zip" },
		{ "csv", "text/csv" },
	};
	const char *dot = strrchr(name, '.'), *slash = strrchr(name, '/');
	if (dot && (!slash || dot > slash))
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strcasecmp(dot + 1, types[i].ext) == 0)
				return types[i].type;
	return "application/json";
}

/* A fallback stub answering GET path with the file's bytes. */
static void static_stub(const struct wm_files *files, const char *rel, const char *path, const char *type,
			struct wm_out *out)
{
	char *file = stub_path_join(files->shown, rel);
	struct stub *s = xcalloc(1, sizeof(*s));
	if (stub_file_read(file, &s->resp.body, &s->resp.body_len) < 0) {
		free(file);
		free(s);
		return;
	}
	struct strbuf id = STRBUF_INIT;
	strbuf_addf(&id, "%s#%s", file, path);
	s->id = strbuf_detach(&id, NULL);
	s->file = file;
	s->line = 1;
	s->col = 1;
	s->tier = STUB_TIER_FALLBACK;
	s->priority = WM_DEFAULT_PRIORITY;
	stub_request_add_method(&s->req, "GET");
	s->req.path_kind = PATH_EXACT;
	s->req.path = xstrdup(path);
	s->resp.status = 200;
	s->resp.content_type = xstrdup(type);
	s->resp.handler = &respond_canned;
	s->responses = xcalloc(1, sizeof(*s->responses));
	s->responses[0] = &s->resp;
	s->nresponses = 1;
	append(out, s);
}

void wm_load_static(const struct wm_files *files, const struct stub_file *v, size_t n, struct wm_out *out)
{
	static const char *const welcome[] = { "index.json", "index.html", "index.xml", "index.txt" };
	for (size_t i = 0; i < n; i++) {
		struct strbuf path = STRBUF_INIT;
		strbuf_addc(&path, '/');
		strbuf_adds(&path, v[i].rel);
		static_stub(files, v[i].rel, path.buf, static_type(v[i].rel), out);
		strbuf_release(&path);
	}
	/* a directory's welcome file answers DIR/ and DIR (the top: /) */
	for (size_t i = 0; i < n; i++) {
		const char *slash = strrchr(v[i].rel, '/');
		const char *base = slash ? slash + 1 : v[i].rel;
		size_t dirlen = slash ? (size_t)(slash - v[i].rel) : 0;
		size_t w = 0;
		while (w < 4 && strcmp(base, welcome[w]) != 0)
			w++;
		if (w == 4)
			continue;
		bool better = false;   /* an earlier welcome name in the same directory wins */
		for (size_t j = 0; j < n && !better; j++) {
			const char *s2 = strrchr(v[j].rel, '/');
			size_t d2 = s2 ? (size_t)(s2 - v[j].rel) : 0;
			if (d2 != dirlen || strncmp(v[j].rel, v[i].rel, dirlen) != 0)
				continue;
			for (size_t k = 0; k < w; k++)
				better |= strcmp(s2 ? s2 + 1 : v[j].rel, welcome[k]) == 0;
		}
		if (better)
			continue;
		const char *type = w == 1 ? "text/html;charset=utf-8" : static_type(base);
		struct strbuf path = STRBUF_INIT;
		strbuf_addc(&path, '/');
		strbuf_add(&path, v[i].rel, dirlen);
		if (dirlen) {
			static_stub(files, v[i].rel, path.buf, type, out);
			strbuf_addc(&path, '/');
		}
		static_stub(files, v[i].rel, path.buf, type, out);
		strbuf_release(&path);
	}
}
