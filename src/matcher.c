/* SPDX-License-Identifier: MIT */
/* Request predicates: matchers, a stub's method, path and conditions, and the mismatch
 * text that explains a miss. Reads frozen stubs only and keeps per-request state in the
 * req_view, so every function here is safe on any thread. */
#include "matcher.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonpath.h"
#include "regex.h"
#include "util/arena.h"
#include "util/strbuf.h"
#include "util/utf8.h"
#include "util/xalloc.h"

/*
 * Mismatch text: request values are cut to about this many bytes, expected JSON bodies
 * (which can be large documents) to the second.
 */
#define GOT_LIMIT 80
#define EXPECTED_JSON_LIMIT 200
/* Named groups a path_regex may hand back as params. */
#define MAX_REGEX_PARAMS 32


static unsigned char ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

static bool bytes_eq(const char *a, const char *b, size_t n, bool icase)
{
	if (!icase)
		return memcmp(a, b, n) == 0;
	for (size_t i = 0; i < n; i++)
		if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i]))
			return false;
	return true;
}

/*
 * ASCII-only on purpose: header names and methods are tokens, and the C library's
 * strcasecmp depends on the locale.
 */
static bool str_eq_icase(const char *a, const char *b)
{
	for (;; a++, b++) {
		if (ascii_lower((unsigned char)*a) != ascii_lower((unsigned char)*b))
			return false;
		if (!*a)
			return true;
	}
}

static bool bytes_contain(const char *hay, size_t hlen, const char *needle, size_t nlen, bool icase)
{
	if (nlen > hlen)
		return false;
	for (size_t i = 0; i + nlen <= hlen; i++)
		if (bytes_eq(hay + i, needle, nlen, icase))
			return true;
	return false;
}

static bool value_eq(const char *value, size_t len, const char *text, bool icase)
{
	size_t tlen = strlen(text);
	return tlen == len && bytes_eq(value, text, len, icase);
}

static bool json_text_equal(const cJSON *expected, const struct json_compare *cmp, const char *value, size_t len);

static bool clause_test(const struct match_clause *c, bool icase, const char *value, size_t len)
{
	if (c->op == MATCH_PRESENT)
		return c->present == (value != NULL);
	if (c->op == MATCH_NOT)
		return !(c->inner && matcher_test(c->inner, value, len));
	if (c->op == MATCH_ANY) {
		for (size_t i = 0; i < c->nalts; i++)
			if (matcher_test(&c->alts[i], value, len))
				return true;
		return false;
	}
	if (!value)
		return false;
	switch (c->op) {
	case MATCH_EQUALS:
		return c->text && value_eq(value, len, c->text, icase);
	case MATCH_CONTAINS:
		return c->text && bytes_contain(value, len, c->text, strlen(c->text), icase);
	case MATCH_PREFIX: {
		size_t tlen = c->text ? strlen(c->text) : 0;
		return c->text && tlen <= len && bytes_eq(value, c->text, tlen, icase);
	}
	case MATCH_SUFFIX: {
		size_t tlen = c->text ? strlen(c->text) : 0;
		return c->text && tlen <= len && bytes_eq(value + len - tlen, c->text, tlen, icase);
	}
	case MATCH_REGEX:
		/* compiled anchored at both ends, caseless when ignore_case was set */
		return c->re && regex_match(c->re, value, len);
	case MATCH_ONE_OF:
		for (size_t i = 0; i < c->nlist; i++)
			if (value_eq(value, len, c->list[i], icase))
				return true;
		return false;
	case MATCH_JSON:
		return c->json && json_text_equal(c->json, &c->cmp, value, len);
	case MATCH_PRESENT:
	case MATCH_NOT:
	case MATCH_ANY:
		break;
	}
	return false;
}

bool matcher_test(const struct matcher *m, const char *value, size_t len)
{
	for (size_t i = 0; i < m->n; i++)
		if (!clause_test(&m->clauses[i], m->ignore_case, value, len))
			return false;
	return true;
}

/* ---- multi-valued parts ------------------------------------------------------- */

static bool kv_named(const struct kv *kv, const char *name, bool icase_name)
{
	return icase_name ? str_eq_icase(kv->name, name) : strcmp(kv->name, name) == 0;
}

/*
 * A repeated name matches when any of its values satisfies the whole matcher; an
 * absent name is tested once as NULL.
 */
static bool named_test(const struct named_matcher *nm, const struct kv *kvs, size_t n, bool icase_name)
{
	bool seen = false;
	for (size_t i = 0; i < n; i++) {
		if (!kv_named(&kvs[i], nm->name, icase_name))
			continue;
		if (matcher_test(&nm->m, kvs[i].value, kvs[i].len))
			return true;
		seen = true;
	}
	return !seen && matcher_test(&nm->m, NULL, 0);
}

static bool all_named_ok(const struct named_matcher *v, size_t nv, const struct kv *kvs, size_t n, bool icase_name)
{
	for (size_t i = 0; i < nv; i++)
		if (!named_test(&v[i], kvs, n, icase_name))
			return false;
	return true;
}

/* ---- body: JSON --------------------------------------------------------------- */
/* cJSON keeps flags (IsReference, StringIsConst) above the low byte of type. */
static int json_type(const cJSON *j)
{
	return j->type & 0xFF;
}

static const cJSON *json_member(const cJSON *obj, const char *key, size_t klen)
{
	for (const cJSON *c = obj->child; c; c = c->next)
		if (c->string && strlen(c->string) == klen && memcmp(c->string, key, klen) == 0)
			return c;
	return NULL;
}

static bool json_scalar_equal(const cJSON *a, const cJSON *b)
{
	switch (json_type(a)) {
	case cJSON_Number:
		return a->valuedouble == b->valuedouble;
	case cJSON_String:
	case cJSON_Raw:
		return a->valuestring && b->valuestring && strcmp(a->valuestring, b->valuestring) == 0;
	default:
		/* true, false and null carry no value beyond their type */
		return true;
	}
}

/*
 * Every key of expected present in actual with a partially matching value; arrays
 * element by element with the same length; scalars equal.
 */
static bool json_partial(const cJSON *expected, const cJSON *actual)
{
	if (json_type(expected) != json_type(actual))
		return false;
	if (cJSON_IsArray(expected)) {
		const cJSON *x = expected->child, *y = actual->child;
		for (; x && y; x = x->next, y = y->next)
			if (!json_partial(x, y))
				return false;
		return !x && !y;
	}
	if (cJSON_IsObject(expected)) {
		for (const cJSON *x = expected->child; x; x = x->next) {
			const cJSON *y = x->string ? json_member(actual, x->string, strlen(x->string)) : NULL;
			if (!y || !json_partial(x, y))
				return false;
		}
		return true;
	}
	return json_scalar_equal(expected, actual);
}

static bool json_compare_values(const cJSON *e, const cJSON *a, const struct json_compare *cmp);

/* Whether every item of e has its own match among a's (a used at most once), and, unless
 * extra items pass, nothing of a is left. Quadratic: request bodies are bounded. */
static bool json_array_unordered(const cJSON *e, const cJSON *a, const struct json_compare *cmp)
{
	size_t na = (size_t)cJSON_GetArraySize(a), ne = (size_t)cJSON_GetArraySize(e);
	if (ne > na || (!cmp->ignore_extra && ne != na))
		return false;
	bool *used = na ? xcalloc(na, sizeof(*used)) : NULL;
	bool ok = true;
	for (const cJSON *x = e->child; x && ok; x = x->next) {
		size_t i = 0;
		const cJSON *y = a->child;
		for (; y; y = y->next, i++)
			if (!used[i] && json_compare_values(x, y, cmp))
				break;
		if (y)
			used[i] = true;
		else
			ok = false;
	}
	free(used);
	return ok;
}

/* Deep equality (key order ignored, numbers by value, array order significant), with
 * WireMock's equalToJson options. */
static bool json_compare_values(const cJSON *e, const cJSON *a, const struct json_compare *cmp)
{
	if (json_type(e) != json_type(a))
		return false;
	if (cJSON_IsArray(e)) {
		if (cmp->ignore_array_order)
			return json_array_unordered(e, a, cmp);
		const cJSON *x = e->child, *y = a->child;
		for (; x && y; x = x->next, y = y->next)
			if (!json_compare_values(x, y, cmp))
				return false;
		return !x && (!y || cmp->ignore_extra);
	}
	if (cJSON_IsObject(e)) {
		if (!cmp->ignore_extra && cJSON_GetArraySize(e) != cJSON_GetArraySize(a))
			return false;
		for (const cJSON *x = e->child; x; x = x->next) {
			const cJSON *y = x->string ? json_member(a, x->string, strlen(x->string)) : NULL;
			if (!y || !json_compare_values(x, y, cmp))
				return false;
		}
		return true;
	}
	return json_scalar_equal(e, a);
}

static bool json_text_equal(const cJSON *expected, const struct json_compare *cmp, const char *value, size_t len)
{
	cJSON *actual = json_parse(value, len, NULL);
	bool ok = actual && json_compare_values(expected, actual, cmp);
	cJSON_Delete(actual);
	return ok;
}

/*
 * The text a json_path matcher sees: strings raw, everything else as compact JSON
 * (numbers exactly as cJSON_PrintUnformatted writes them). NULL when absent.
 */
static const char *json_path_text(struct req_view *r, const char *path, size_t *len)
{
	const cJSON *j = path[0] ? req_view_json_path(r, path) : NULL;
	const char *text;
	if (!j)
		return NULL;
	switch (json_type(j)) {
	case cJSON_String:
		text = j->valuestring ? j->valuestring : "";
		break;
	case cJSON_True:
		text = "true";
		break;
	case cJSON_False:
		text = "false";
		break;
	case cJSON_NULL:
		text = "null";
		break;
	default: {
		char *printed = cJSON_PrintUnformatted(j);
		if (!printed)
			return NULL;
		char *copy = arena_strdup(r->arena, printed);
		cJSON_free(printed);
		*len = strlen(copy);
		return copy;
	}
	}
	*len = strlen(text);
	return text;
}

/* ---- body --------------------------------------------------------------------- */

/* Whether a JSONPath result counts as found for a plain matchesJsonPath: WireMock's
 * "no value" is missing, null, an empty array or an empty object. */
static bool jsonpath_found(const cJSON *v)
{
	return v && !cJSON_IsNull(v) && !((cJSON_IsArray(v) || cJSON_IsObject(v)) && !v->child);
}

/* Tests one value's text (WireMock's: strings as they are, others as JSON) with m. */
static bool jsonpath_value_ok(const struct matcher *m, const cJSON *v, struct strbuf *got)
{
	char *text = jsonpath_value_text(v);
	bool ok = matcher_test(m, text, strlen(text));
	if (got && !got->len)
		strbuf_adds(got, text);
	free(text);
	return ok;
}

/*
 * WireMock's matchesJsonPath. Plain: the path finds something (jsonpath_found). With a
 * matcher: some result's text matches it; a definite path's array is tried whole and
 * item by item (`{"expression": "$.a", "equalTo": "1"}` holds for "a": [1]); nothing found
 * is an absent value (`absent: true` holds). got (when not NULL) receives the first
 * result's text, for the mismatch line.
 */
static bool jsonpath_body_ok(const struct body_match *b, struct req_view *r, struct strbuf *got)
{
	const cJSON *root = req_view_json(r);
	if (!root || !b->jp)
		return b->raw.n && matcher_test(&b->raw, NULL, 0);
	struct jsonpath_result res;
	jsonpath_select(b->jp, root, &res);
	bool ok = false;
	if (!b->raw.n) {
		for (size_t i = 0; i < res.count && !ok; i++)
			ok = jsonpath_found(res.values[i]);
		if (got && res.count) {
			char *text = jsonpath_value_text(res.values[0]);
			strbuf_adds(got, text);
			free(text);
		}
	} else if (res.count == 0) {
		ok = matcher_test(&b->raw, NULL, 0);
	} else {
		for (size_t i = 0; i < res.count && !ok; i++) {
			const cJSON *v = res.values[i];
			ok = jsonpath_value_ok(&b->raw, v, got);
			if (!ok && jsonpath_is_definite(b->jp) && cJSON_IsArray(v))
				for (const cJSON *item = v->child; item && !ok; item = item->next)
					ok = jsonpath_value_ok(&b->raw, item, NULL);
		}
	}
	jsonpath_result_release(&res);
	return ok;
}

/*
 * A raw-body matcher always sees a present value: a request without a body is the
 * empty string "", so `present: false` never matches and `equals: ""` matches an
 * empty body. HTTP cannot tell "no body" from "empty body" reliably anyway.
 */
static bool body_ok(const struct body_match *b, struct req_view *r)
{
	const cJSON *j;
	switch (b->kind) {
	case BODY_NONE:
		return true;
	case BODY_RAW:
		return matcher_test(&b->raw, r->body ? r->body : "", r->body ? r->body_len : 0);
	case BODY_JSON:
		j = req_view_json(r);
		return j && b->json && json_compare_values(b->json, j, &b->cmp);
	case BODY_JSON_PARTIAL:
		j = req_view_json(r);
		return j && b->json && json_partial(b->json, j);
	case BODY_JSON_PATH:
		for (size_t i = 0; i < b->nfields; i++) {
			size_t len = 0;
			const char *text = json_path_text(r, b->fields[i].name, &len);
			if (!matcher_test(&b->fields[i].m, text, len))
				return false;
		}
		return true;
	case BODY_FORM:
		req_view_form(r);
		return all_named_ok(b->fields, b->nfields, r->form, r->nform, false);
	case BODY_JSONPATH:
		return jsonpath_body_ok(b, r, NULL);
	}
	return false;
}

static bool bodies_ok(const struct stub_request *q, struct req_view *r)
{
	for (size_t i = 0; i < q->nbodies; i++)
		if (!body_ok(&q->bodies[i], r))
			return false;
	return true;
}

/* ---- method and path ---------------------------------------------------------- */

bool stub_method_ok(const struct stub *s, const char *method)
{
	if (s->req.nmethods == 0)
		return true;
	for (size_t i = 0; i < s->req.nmethods; i++)
		if (str_eq_icase(s->req.methods[i], method) || strcmp(s->req.methods[i], "ANY") == 0)
			return true;
	return false;
}

/*
 * Segments follow the leading '/': "/users/" is "users", "" (a trailing slash is
 * significant). {name} takes exactly one non-empty segment; {name*} takes the rest of
 * the path, slashes included, and needs at least one byte of it: "/files/" does not
 * match "/files/{path*}". With params, fills the captures into arena.
 */
static bool template_match(const struct stub_request *q, const char *path, struct arena *arena,
			   struct params *params)
{
	if (path[0] != '/')
		return false;
	const char *p = path + 1;       /* start of the current segment; NULL once all are used */
	size_t np = 0;
	for (size_t i = 0; i < q->nsegs; i++) {
		const struct path_seg *seg = &q->segs[i];
		if (!p)
			return false;
		if (seg->is_rest) {
			if (!*p)
				return false;
			if (params) {
				params->items[np].name = seg->text;
				params->items[np].len = strlen(p);
				params->items[np].value = arena_strndup(arena, p, params->items[np].len);
				np++;
			}
			p = NULL;
			continue;
		}
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (seg->is_param) {
			if (n == 0)
				return false;
			if (params) {
				params->items[np].name = seg->text;
				params->items[np].value = arena_strndup(arena, p, n);
				params->items[np].len = n;
				np++;
			}
		} else if (strlen(seg->text) != n || memcmp(seg->text, p, n) != 0) {
			return false;
		}
		p = slash ? slash + 1 : NULL;
	}
	if (p)
		return false;
	if (params)
		params->n = np;
	return true;
}

/* The raw request target (path and query as sent); the path when the request has none. */
static const char *raw_target(const struct req_view *r)
{
	return r->target ? r->target : r->path;
}

static bool regex_path_match(const struct stub *s, struct req_view *r, struct params *params)
{
	if (!s->req.path_re)
		return false;
	const char *subject = s->req.path_re_target ? raw_target(r) : r->path;
	if (!params)
		return regex_match(s->req.path_re, subject, strlen(subject));
	struct regex_capture caps[MAX_REGEX_PARAMS];
	int n = regex_match_named(s->req.path_re, subject, strlen(subject), r->arena, caps, MAX_REGEX_PARAMS);
	if (n < 0)
		return false;
	params->n = (size_t)n;
	params->items = n > 0 ? arena_alloc(r->arena, (size_t)n * sizeof(*params->items)) : NULL;
	for (int i = 0; i < n; i++) {
		params->items[i].name = caps[i].name;
		params->items[i].value = caps[i].value;
		params->items[i].len = strlen(caps[i].value);
	}
	return true;
}

bool stub_path_ok(const struct stub *s, struct req_view *r, struct params *params)
{
	if (params) {
		params->items = NULL;
		params->n = 0;
	}
	switch (s->req.path_kind) {
	case PATH_EXACT:
		return s->req.path && strcmp(s->req.path, r->path) == 0 &&
		       (!s->req.target || strcmp(s->req.target, raw_target(r)) == 0);
	case PATH_TEMPLATE: {
		size_t np = 0;
		struct params local;    /* the captures path_params need when the caller wants none */
		if (!template_match(&s->req, r->path, NULL, NULL))
			return false;
		if (!params && !s->req.npath_params)
			return true;
		if (!params)
			params = &local;
		for (size_t i = 0; i < s->req.nsegs; i++)
			if (s->req.segs[i].is_param || s->req.segs[i].is_rest)
				np++;
		if (np == 0)
			return true;
		params->items = arena_alloc(r->arena, np * sizeof(*params->items));
		return template_match(&s->req, r->path, r->arena, params) &&
		       all_named_ok(s->req.path_params, s->req.npath_params, params->items, params->n, false);
	}
	case PATH_REGEX:
		return regex_path_match(s, r, params);
	case PATH_NONE:
		return true;
	}
	return false;
}

bool stub_conditions_ok(const struct stub *s, struct req_view *r)
{
	const struct stub_request *q = &s->req;
	return all_named_ok(q->query, q->nquery, r->query, r->nquery, false) &&
	       all_named_ok(q->headers, q->nheaders, r->headers, r->nheaders, true) &&
	       all_named_ok(q->cookies, q->ncookies, r->cookies, r->ncookies, false) &&
	       bodies_ok(q, r) && stub_state_ok(s, r);
}

/* ---- descriptions ------------------------------------------------------------- */

static void add_quoted(struct strbuf *out, const char *s)
{
	strbuf_add_json_string(out, s, strlen(s));
}

static void describe(const struct matcher *m, struct strbuf *out, bool top);
static void add_expected_json(struct strbuf *line, const cJSON *j);

/* m described, in parentheses when it has several clauses. */
static void describe_grouped(const struct matcher *m, struct strbuf *out)
{
	if (m->n > 1)
		strbuf_addc(out, '(');
	describe(m, out, false);
	if (m->n > 1)
		strbuf_addc(out, ')');
}

static void clause_describe(const struct match_clause *c, struct strbuf *out, bool plain_equals)
{
	static const char *const words[] = {
		[MATCH_EQUALS] = "equals ",
		[MATCH_CONTAINS] = "contains ",
		[MATCH_PREFIX] = "prefix ",
		[MATCH_SUFFIX] = "suffix ",
		[MATCH_REGEX] = "regex ",
	};
	switch (c->op) {
	case MATCH_EQUALS:
	case MATCH_CONTAINS:
	case MATCH_PREFIX:
	case MATCH_SUFFIX:
		if (!(c->op == MATCH_EQUALS && plain_equals))
			strbuf_adds(out, words[c->op]);
		add_quoted(out, c->text ? c->text : "");
		break;
	case MATCH_REGEX:
		strbuf_adds(out, words[c->op]);
		add_quoted(out, c->text ? c->text : c->re ? regex_source(c->re) : "");
		break;
	case MATCH_ONE_OF:
		strbuf_adds(out, "one of [");
		for (size_t i = 0; i < c->nlist; i++) {
			if (i)
				strbuf_adds(out, ", ");
			add_quoted(out, c->list[i]);
		}
		strbuf_addc(out, ']');
		break;
	case MATCH_PRESENT:
		strbuf_adds(out, c->present ? "present" : "absent");
		break;
	case MATCH_NOT:
		strbuf_adds(out, "not ");
		if (!c->inner)
			strbuf_adds(out, "anything");
		else
			describe_grouped(c->inner, out);
		break;
	case MATCH_ANY:
		strbuf_addc(out, '(');
		for (size_t i = 0; i < c->nalts; i++) {
			if (i)
				strbuf_adds(out, " or ");
			describe_grouped(&c->alts[i], out);
		}
		strbuf_addc(out, ')');
		break;
	case MATCH_JSON:
		strbuf_adds(out, "json ");
		add_expected_json(out, c->json);
		break;
	}
}

/* Whether ignore_case changes anything: present/absent and not ignore it. */
static bool folds_case(const struct matcher *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->clauses[i].op != MATCH_PRESENT && m->clauses[i].op != MATCH_NOT &&
		    m->clauses[i].op != MATCH_ANY && m->clauses[i].op != MATCH_JSON)
			return true;
	return false;
}

/*
 * One style throughout: a matcher that is a lone `equals` (the YAML scalar form) reads
 * as the plain quoted value, `"GET"`; every other clause carries its operator word,
 * `prefix "Bearer "`, `not equals "x"`. ignore_case adds " (ignore case)".
 */
static void describe(const struct matcher *m, struct strbuf *out, bool top)
{
	if (m->n == 0)
		strbuf_adds(out, "anything");
	for (size_t i = 0; i < m->n; i++) {
		if (i)
			strbuf_adds(out, " and ");
		clause_describe(&m->clauses[i], out, top && m->n == 1);
	}
	if (m->ignore_case && folds_case(m))
		strbuf_adds(out, " (ignore case)");
}

void matcher_describe(const struct matcher *m, struct strbuf *out)
{
	describe(m, out, true);
}

/* ---- mismatches --------------------------------------------------------------- */

void mismatches_release(struct mismatches *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->items[i]);
	free(m->items);
	memset(m, 0, sizeof(*m));
}

void mismatches_add_json(const struct mismatches *m, struct strbuf *out)
{
	strbuf_addc(out, '[');
	for (size_t i = 0; i < m->n; i++) {
		if (i)
			strbuf_addc(out, ',');
		strbuf_add_json_string(out, m->items[i], strlen(m->items[i]));
	}
	strbuf_addc(out, ']');
}

/*
 * Appends a request value as a JSON string cut to about limit bytes (on a character
 * boundary, "..." marking the cut). Invalid UTF-8 becomes U+FFFD so the text can go
 * into JSON responses and logs as it is.
 */
static void add_value(struct strbuf *out, const char *s, size_t len, size_t limit)
{
	struct strbuf tmp = STRBUF_INIT;
	size_t i = 0;
	bool cut = false;
	while (i < len) {
		size_t n = utf8_seq((const unsigned char *)s + i, len - i);
		if (i + (n ? n : 1) > limit) {
			cut = true;
			break;
		}
		if (n)
			strbuf_add(&tmp, s + i, n);
		else
			strbuf_adds(&tmp, "\xEF\xBF\xBD");
		i += n ? n : 1;
	}
	if (cut)
		strbuf_adds(&tmp, "...");
	strbuf_add_json_string(out, strbuf_str(&tmp), tmp.len);
	strbuf_release(&tmp);
}

struct explain_ctx {
	struct mismatches *out;         /* NULL: count only */
	unsigned count;
	unsigned limit;                 /* stop once count reaches it */
};

/* Records one failure; line (when text is wanted) is taken over. True to stop. */
static bool explain_fail(struct explain_ctx *x, struct strbuf *line)
{
	x->count++;
	if (x->out && line) {
		struct mismatches *m = x->out;
		if (m->n == m->alloc) {
			m->alloc = m->alloc ? 2 * m->alloc : 4;
			m->items = xrealloc(m->items, m->alloc * sizeof(*m->items));
		}
		m->items[m->n++] = strbuf_detach(line, NULL);
	}
	strbuf_release(line);
	return x->count >= x->limit;
}

/* Each value quoted on its own, so that two header lines "a" and "b" read
 * `got "a", "b"` and cannot be mistaken for one line "a, b". */
static void add_got_values(struct strbuf *line, const struct kv *kvs, size_t n, const char *name, bool icase_name)
{
	bool seen = false;
	strbuf_adds(line, ", got ");
	for (size_t i = 0; i < n; i++) {
		if (!kv_named(&kvs[i], name, icase_name))
			continue;
		if (seen)
			strbuf_adds(line, ", ");
		add_value(line, kvs[i].value, kvs[i].len, GOT_LIMIT);
		seen = true;
	}
	if (!seen)
		strbuf_adds(line, "nothing");
}

static void add_lower(struct strbuf *out, const char *s)
{
	for (; *s; s++)
		strbuf_addc(out, (char)ascii_lower((unsigned char)*s));
}

static bool explain_named(struct explain_ctx *x, const char *part, const struct named_matcher *v, size_t nv,
			  const struct kv *kvs, size_t n, bool icase_name)
{
	for (size_t i = 0; i < nv; i++) {
		struct strbuf line = STRBUF_INIT;
		if (named_test(&v[i], kvs, n, icase_name))
			continue;
		if (x->out) {
			strbuf_adds(&line, part);
			strbuf_addc(&line, ' ');
			if (icase_name)
				add_lower(&line, v[i].name);
			else
				strbuf_adds(&line, v[i].name);
			strbuf_adds(&line, ": expected ");
			matcher_describe(&v[i].m, &line);
			add_got_values(&line, kvs, n, v[i].name, icase_name);
		}
		if (explain_fail(x, &line))
			return true;
	}
	return false;
}

static void add_got_body(struct strbuf *line, const struct req_view *r)
{
	strbuf_adds(line, ", got ");
	add_value(line, r->body ? r->body : "", r->body ? r->body_len : 0, GOT_LIMIT);
}

static void add_expected_json(struct strbuf *line, const cJSON *j)
{
	char *printed = j ? cJSON_PrintUnformatted(j) : NULL;
	if (!printed) {
		strbuf_adds(line, "null");
		return;
	}
	size_t len = strlen(printed);
	if (len > EXPECTED_JSON_LIMIT) {
		strbuf_add(line, printed, EXPECTED_JSON_LIMIT);
		strbuf_adds(line, "...");
	} else {
		strbuf_add(line, printed, len);
	}
	cJSON_free(printed);
}

static bool explain_body(struct explain_ctx *x, const struct body_match *b, struct req_view *r)
{
	struct strbuf line = STRBUF_INIT;
	switch (b->kind) {
	case BODY_NONE:
		return false;
	case BODY_RAW:
		if (body_ok(b, r))
			return false;
		if (x->out) {
			strbuf_adds(&line, "body: expected ");
			matcher_describe(&b->raw, &line);
			add_got_body(&line, r);
		}
		return explain_fail(x, &line);
	case BODY_JSON:
	case BODY_JSON_PARTIAL:
		if (body_ok(b, r))
			return false;
		if (x->out) {
			strbuf_adds(&line, b->kind == BODY_JSON ? "body: expected json " : "body: expected json_partial ");
			add_expected_json(&line, b->json);
			if (b->cmp.ignore_array_order)
				strbuf_adds(&line, " (ignoring array order)");
			if (b->cmp.ignore_extra)
				strbuf_adds(&line, " (ignoring extra elements)");
			add_got_body(&line, r);
		}
		return explain_fail(x, &line);
	case BODY_JSONPATH: {
		struct strbuf got = STRBUF_INIT;
		if (jsonpath_body_ok(b, r, x->out ? &got : NULL)) {
			strbuf_release(&got);
			return false;
		}
		if (x->out) {
			strbuf_adds(&line, "body jsonpath ");
			strbuf_adds(&line, b->jp_source ? b->jp_source : "");
			strbuf_adds(&line, ": expected ");
			if (b->raw.n)
				matcher_describe(&b->raw, &line);
			else
				strbuf_adds(&line, "a match");
			strbuf_adds(&line, ", got ");
			if (got.len)
				add_value(&line, got.buf, got.len, GOT_LIMIT);
			else
				strbuf_adds(&line, "nothing");
		}
		strbuf_release(&got);
		return explain_fail(x, &line);
	}
	case BODY_JSON_PATH:
		for (size_t i = 0; i < b->nfields; i++) {
			size_t len = 0;
			const char *text = json_path_text(r, b->fields[i].name, &len);
			if (matcher_test(&b->fields[i].m, text, len))
				continue;
			if (x->out) {
				strbuf_adds(&line, "body json_path ");
				strbuf_adds(&line, b->fields[i].name);
				strbuf_adds(&line, ": expected ");
				matcher_describe(&b->fields[i].m, &line);
				strbuf_adds(&line, ", got ");
				if (text)
					add_value(&line, text, len, GOT_LIMIT);
				else
					strbuf_adds(&line, "nothing");
			}
			if (explain_fail(x, &line))
				return true;
		}
		return false;
	case BODY_FORM:
		req_view_form(r);
		return explain_named(x, "body form", b->fields, b->nfields, r->form, r->nform, false);
	}
	return false;
}

static void add_methods(struct strbuf *line, const struct stub_request *q)
{
	if (q->nmethods == 1) {
		add_quoted(line, q->methods[0]);
		return;
	}
	strbuf_adds(line, "one of [");
	for (size_t i = 0; i < q->nmethods; i++) {
		if (i)
			strbuf_adds(line, ", ");
		add_quoted(line, q->methods[i]);
	}
	strbuf_addc(line, ']');
}

static const char *scenario_now(struct req_view *r, const char *scenario)
{
	return r->scenario_state ? r->scenario_state(r->scenario_cls, scenario) : "start";
}

static unsigned explain(const struct stub *s, struct req_view *r, struct mismatches *out, unsigned limit)
{
	struct explain_ctx x = { out, 0, limit ? limit : UINT_MAX };
	const struct stub_request *q = &s->req;
	struct strbuf line = STRBUF_INIT;

	if (!stub_method_ok(s, r->method)) {
		if (out) {
			strbuf_adds(&line, "method: expected ");
			add_methods(&line, q);
			strbuf_adds(&line, ", got ");
			add_value(&line, r->method, strlen(r->method), GOT_LIMIT);
		}
		if (explain_fail(&x, &line))
			return x.count;
	}
	if (!stub_path_ok(s, r, NULL)) {
		if (out) {
			/* a WireMock url or urlPattern is about the target as sent */
			bool raw = q->target || (q->path_kind == PATH_REGEX && q->path_re_target);
			const char *got = raw ? raw_target(r) : r->path;
			strbuf_adds(&line, raw ? "url: expected " : "path: expected ");
			if (q->path_kind == PATH_REGEX)
				strbuf_adds(&line, "regex ");
			add_quoted(&line, q->target ? q->target : q->path ? q->path : q->path_re ? regex_source(q->path_re) : "");
			strbuf_adds(&line, ", got ");
			add_value(&line, got, strlen(got), GOT_LIMIT);
		}
		if (explain_fail(&x, &line))
			return x.count;
	}
	if (explain_named(&x, "query", q->query, q->nquery, r->query, r->nquery, false) ||
	    explain_named(&x, "header", q->headers, q->nheaders, r->headers, r->nheaders, true) ||
	    explain_named(&x, "cookie", q->cookies, q->ncookies, r->cookies, r->ncookies, false))
		return x.count;
	for (size_t i = 0; i < q->nbodies; i++)
		if (explain_body(&x, &q->bodies[i], r))
			return x.count;
	if (!stub_state_ok(s, r)) {
		if (out) {
			strbuf_adds(&line, "scenario ");
			strbuf_adds(&line, s->scenario);
			strbuf_adds(&line, ": expected state ");
			add_quoted(&line, s->state);
			strbuf_adds(&line, ", got ");
			add_quoted(&line, scenario_now(r, s->scenario));
		}
		explain_fail(&x, &line);
	}
	return x.count;
}

unsigned stub_explain(const struct stub *s, struct req_view *r, struct mismatches *out)
{
	return explain(s, r, out, 0);
}

unsigned stub_explain_count(const struct stub *s, struct req_view *r, unsigned limit)
{
	return explain(s, r, NULL, limit);
}

/* ---- scenarios ------------------------------------------------------------------ */

bool stub_state_ok(const struct stub *s, struct req_view *r)
{
	if (!s->state || !s->scenario)
		return true;
	return strcmp(scenario_now(r, s->scenario), s->state) == 0;
}
