/* SPDX-License-Identifier: MIT */
/* A stub's `request:` into struct stub_request: method, path (exact, template or regex),
 * and the matchers on query, headers, cookies and body. */
#include "load.h"

#include <stdlib.h>
#include <string.h>

#include "regex.h"
#include "util/numtext.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define RESERVED_MSG "stub routes may not live under '/__cannery/' (reserved for the admin API)"

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static void upper(char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
}

static const char *const matcher_keys[] = {
	"equals", "contains", "prefix", "suffix", "regex", "one_of", "present", "not", "ignore_case", NULL,
};

enum {
	MK_EQUALS,
	MK_CONTAINS,
	MK_PREFIX,
	MK_SUFFIX,
	MK_REGEX,
	MK_ONE_OF,
	MK_PRESENT,
	MK_NOT,
	MK_IGNORE_CASE,
};

static const char *const body_kinds[] = { "json", "json_partial", "json_path", "form", NULL };

/* what a mapping under body: may hold, for "did you mean" */
static const char *const body_keys[] = {
	"equals", "contains", "prefix", "suffix", "regex", "one_of", "present", "not", "ignore_case",
	"json", "json_partial", "json_path", "form", NULL,
};

static struct regex *compile_regex(struct loader *ld, const char *key, const struct ynode *v, bool ignore_case)
{
	char *msg = NULL;
	size_t off = 0;
	struct regex *re = regex_compile(v->text, ignore_case, &msg, &off);
	if (!re) {
		load_err(ld, v, "'%s' is not a valid regex: %s at offset %zu", key, msg ? msg : "error", off);
		free(msg);
	}
	return re;
}

/* A matcher from a scalar (equals) or a mapping of operations. label names the subject in
 * messages ("'body'", "header 'accept'"); ignore_case is inherited from an enclosing
 * matcher; known lists the keys to suggest for a typo. */
static void to_matcher(struct loader *ld, const struct ynode *v, const char *label, bool ignore_case,
		       struct matcher *m, const char *const *known)
{
	m->ignore_case = ignore_case;
	if (v->kind == YNODE_SCALAR) {
		m->clauses = xcalloc(1, sizeof(*m->clauses));
		m->clauses[0].op = MATCH_EQUALS;
		m->clauses[0].text = xstrdup(v->text);
		m->n = 1;
		return;
	}
	if (v->kind == YNODE_SEQUENCE) {
		load_err(ld, v, "%s must be a string or a matcher mapping, got a sequence", label);
		return;
	}
	/* ignore_case applies to the whole mapping (regex is compiled with it), wherever it stands */
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct ynode *k = v->kids[i];
		if (k->kind == YNODE_SCALAR && strcmp(k->text, "ignore_case") == 0 && ynode_bool(v->kids[i + 1]) >= 0)
			m->ignore_case = ynode_bool(v->kids[i + 1]) == 1;
	}
	unsigned seen = 0;
	bool conditions = false;
	m->clauses = xcalloc(v->n / 2 + 1, sizeof(*m->clauses));
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct ynode *k = v->kids[i], *val = v->kids[i + 1];
		if (!load_key_ok(ld, k))
			continue;
		int ki = load_key_index(k, matcher_keys);
		if (ki < 0) {
			load_unknown_key(ld, k, label, known);
			conditions = true;
			continue;
		}
		if (!load_first_time(ld, &seen, ki, k, label))
			continue;
		if (ki != MK_IGNORE_CASE)
			conditions = true;
		struct match_clause *c = &m->clauses[m->n];
		switch (ki) {
		case MK_EQUALS:
		case MK_CONTAINS:
		case MK_PREFIX:
		case MK_SUFFIX:
			if (val->kind != YNODE_SCALAR) {
				load_err(ld, val, "'%s' must be a string, got %s", k->text, ynode_kind_name(val));
				break;
			}
			c->op = ki == MK_EQUALS ? MATCH_EQUALS : ki == MK_CONTAINS ? MATCH_CONTAINS
				: ki == MK_PREFIX ? MATCH_PREFIX : MATCH_SUFFIX;
			c->text = xstrdup(val->text);
			m->n++;
			break;
		case MK_REGEX:
			if (val->kind != YNODE_SCALAR) {
				load_err(ld, val, "'regex' must be a string, got %s", ynode_kind_name(val));
				break;
			}
			c->re = compile_regex(ld, "regex", val, m->ignore_case);
			if (!c->re)
				break;
			c->op = MATCH_REGEX;
			c->text = xstrdup(val->text);
			m->n++;
			break;
		case MK_ONE_OF:
			if (val->kind != YNODE_SEQUENCE) {
				load_err(ld, val, "'one_of' must be a list of strings, got %s", load_got(ld, val));
				break;
			}
			if (val->n == 0) {
				load_err(ld, val, "'one_of' must not be empty");
				break;
			}
			c->op = MATCH_ONE_OF;
			c->list = xcalloc(val->n, sizeof(*c->list));
			for (size_t j = 0; j < val->n; j++) {
				if (val->kids[j]->kind != YNODE_SCALAR) {
					load_err(ld, val->kids[j], "'one_of' entries must be strings, got %s", ynode_kind_name(val->kids[j]));
					continue;
				}
				c->list[c->nlist++] = xstrdup(val->kids[j]->text);
			}
			m->n++;
			break;
		case MK_PRESENT: {
			int b = ynode_bool(val);
			if (b < 0) {
				load_err(ld, val, "'present' must be true or false, got %s", load_got(ld, val));
				break;
			}
			c->op = MATCH_PRESENT;
			c->present = b == 1;
			m->n++;
			break;
		}
		case MK_NOT:
			c->op = MATCH_NOT;
			c->inner = xcalloc(1, sizeof(*c->inner));
			to_matcher(ld, val, label, m->ignore_case, c->inner, matcher_keys);
			m->n++;
			break;
		case MK_IGNORE_CASE:
			if (ynode_bool(val) < 0)
				load_err(ld, val, "'ignore_case' must be true or false, got %s", load_got(ld, val));
			break;
		}
	}
	if (!conditions)
		load_err(ld, v, "matcher has no condition");
}

enum named_kind {
	NAMED_PLAIN,
	NAMED_HEADER,      /* stored lower-case, must be a token */
	NAMED_JSON_PATH,   /* DOTTED.PATH without empty segments */
};

/* A mapping of name -> matcher: query, headers, cookies, json_path, form. key is the YAML
 * key ("query"), noun what one entry is called in messages ("query parameter"). */
static void to_named(struct loader *ld, const struct ynode *v, const char *key, const char *noun,
		     enum named_kind kind, struct named_matcher **out, uint32_t *nout)
{
	if (v->kind != YNODE_MAPPING) {
		load_err(ld, v, "'%s' must be a mapping of name to matcher, got %s", key, load_got(ld, v));
		return;
	}
	struct hmap names = HMAP_INIT;
	struct strbuf label = STRBUF_INIT;
	*out = xcalloc(v->n / 2 + 1, sizeof(**out));
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct ynode *k = v->kids[i];
		if (!load_key_ok(ld, k))
			continue;
		char *name = xstrdup(k->text);
		if (kind == NAMED_HEADER) {
			lower(name);
			if (!load_is_token(name))
				load_err(ld, k, "header name %s is not a valid HTTP token", load_shown(ld, k->text, k->len));
		}
		if (kind == NAMED_JSON_PATH && (!*name || *name == '.' || name[strlen(name) - 1] == '.' ||
						strstr(name, "..")))
			load_err(ld, k, "json path %s has an empty segment", load_shown(ld, k->text, k->len));
		if (!hmap_add_key(&names, name)) {
			load_err(ld, k, "duplicate %s %s", noun, load_shown(ld, k->text, k->len));
			free(name);
			continue;
		}
		struct named_matcher *nm = &(*out)[(*nout)++];
		nm->name = name;
		nm->line = k->line;
		nm->col = k->col;
		strbuf_reset(&label);
		strbuf_addf(&label, "%s %s", noun, load_shown(ld, k->text, k->len));
		to_matcher(ld, v->kids[i + 1], strbuf_str(&label), false, &nm->m, matcher_keys);
	}
	strbuf_release(&label);
	hmap_release(&names, NULL);
}

#define BODY_MIX_MSG "'body' mixes '%s' with '%s': give either a matcher or one of json, json_partial, json_path, form"

/* body: a matcher on the raw text, or exactly one of json, json_partial, json_path, form. */
static void to_body(struct loader *ld, const struct ynode *v, struct body_match *b)
{
	if (v->kind == YNODE_SEQUENCE) {
		load_err(ld, v, "'body' must be a string or a mapping, got a sequence");
		return;
	}
	if (v->kind == YNODE_SCALAR) {
		b->kind = BODY_RAW;
		to_matcher(ld, v, "'body'", false, &b->raw, body_keys);
		return;
	}
	const struct ynode *kind_key = NULL, *kind_val = NULL, *op_key = NULL;
	bool bad = false;
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct ynode *k = v->kids[i];
		if (k->kind != YNODE_SCALAR)
			continue;
		bool is_kind = load_key_index(k, body_kinds) >= 0;
		bool is_op = load_key_index(k, matcher_keys) >= 0;
		if (is_kind && kind_key) {
			if (strcmp(kind_key->text, k->text) == 0)
				load_err(ld, k, "duplicate key '%s' in 'body'", k->text);
			else
				load_err(ld, k, "'body' has both '%s' and '%s': give only one", kind_key->text, k->text);
			bad = true;
		} else if (is_kind && op_key) {
			load_err(ld, k, BODY_MIX_MSG, op_key->text, k->text);
			bad = true;
		} else if (is_kind) {
			kind_key = k;
			kind_val = v->kids[i + 1];
		} else if (is_op && kind_key) {
			load_err(ld, k, BODY_MIX_MSG, kind_key->text, k->text);
			bad = true;
		} else if (is_op && !op_key) {
			op_key = k;
		}
	}
	if (!kind_key && !bad) {
		b->kind = BODY_RAW;
		to_matcher(ld, v, "'body'", false, &b->raw, body_keys);
		return;
	}
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct ynode *k = v->kids[i];
		if (load_key_ok(ld, k) && load_key_index(k, body_kinds) < 0 && load_key_index(k, matcher_keys) < 0)
			load_unknown_key(ld, k, "'body'", body_keys);
	}
	if (bad)
		return;
	switch (load_key_index(kind_key, body_kinds)) {
	case 0:
		b->kind = BODY_JSON;
		b->json = load_json(ld, kind_val, 0);
		break;
	case 1:
		b->kind = BODY_JSON_PARTIAL;
		b->json = load_json(ld, kind_val, 0);
		break;
	case 2:
		b->kind = BODY_JSON_PATH;
		to_named(ld, kind_val, "json_path", "json path", NAMED_JSON_PATH, &b->fields, &b->nfields);
		break;
	default:
		b->kind = BODY_FORM;
		to_named(ld, kind_val, "form", "form field", NAMED_PLAIN, &b->fields, &b->nfields);
		break;
	}
}

/* ---- request ---- */

static bool reserved_path(const char *p)
{
	return strcmp(p, "/__cannery") == 0 || strncmp(p, "/__cannery/", 11) == 0;
}

/* The text every match of the regex must start with (as far as a simple scan can tell). */
static char *regex_literal_prefix(const char *re)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = re;
	strbuf_grow(&sb, strlen(re));
	if (*p == '^')
		p++;
	while (*p) {
		size_t before = sb.len;
		if (*p == '\\') {
			unsigned char c = (unsigned char)p[1];
			if (!c || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80)
				break;
			strbuf_addc(&sb, (char)c);
			p += 2;
		} else if (strchr(".^$|?*+()[]{}", *p)) {
			break;
		} else {
			strbuf_addc(&sb, *p++);
		}
		/* a quantifier makes the last character optional: it is not part of the prefix */
		if (*p == '?' || *p == '*' || *p == '{') {
			sb.len = before;
			sb.buf[before] = '\0';
			break;
		}
		if (*p == '+')
			break;
	}
	return strbuf_detach(&sb, NULL);
}

static void to_methods(struct loader *ld, const struct ynode *v, struct stub_request *req)
{
	const struct ynode *const *items = (const struct ynode *const *)&v;
	size_t n = 1;
	bool any = false;
	if (v->kind == YNODE_MAPPING) {
		load_err(ld, v, "'method' must be a string or a list of strings, got a mapping");
		return;
	}
	if (v->kind == YNODE_SEQUENCE) {
		items = (const struct ynode *const *)v->kids;
		n = v->n;
		if (!n) {
			load_err(ld, v, "'method' must not be an empty list");
			return;
		}
	}
	req->methods = xcalloc(n, sizeof(*req->methods));
	for (size_t i = 0; i < n; i++) {
		const struct ynode *it = items[i];
		if (it->kind != YNODE_SCALAR) {
			load_err(ld, it, "'method' entries must be strings, got %s", ynode_kind_name(it));
			continue;
		}
		char *m = xstrdup(it->text);
		upper(m);
		if (!load_is_token(m)) {
			load_err(ld, it, "'method' must be an HTTP method such as 'GET', got %s", load_got(ld, it));
			free(m);
			continue;
		}
		bool dup = strcmp(m, "ANY") == 0;
		any = any || dup;
		for (size_t j = 0; j < req->nmethods && !dup; j++)
			dup = strcmp(req->methods[j], m) == 0;
		if (dup)
			free(m);
		else
			req->methods[req->nmethods++] = m;
	}
	if (any) {
		for (size_t i = 0; i < req->nmethods; i++)
			free(req->methods[i]);
		req->nmethods = 0;
	}
	if (!req->nmethods) {
		free(req->methods);
		req->methods = NULL;
	}
}

static bool valid_param_name(const char *s, size_t len)
{
	if (!len || numtext_is_digit(*s))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!(c == '_' || numtext_is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			return false;
	}
	return true;
}

/* Splits a template path into segments; false after an error. */
static bool parse_template(struct loader *ld, const struct ynode *v, struct stub_request *req)
{
	const char *p = v->text + 1;
	size_t nslash = 0;
	struct hmap names = HMAP_INIT;
	bool ok = true;
	for (const char *q = p; *q; q++)
		nslash += *q == '/';
	struct path_seg *segs = xcalloc(nslash + 1, sizeof(*segs));
	size_t n = 0;
	for (;;) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		struct path_seg *s = &segs[n++];
		const char *ob = memchr(p, '{', len), *cb = memchr(p, '}', len);
		if (!ob && !cb) {
			s->text = xstrndup(p, len);
		} else {
			size_t nopen = 0, nclose = 0;
			for (size_t i = 0; i < len; i++) {
				nopen += p[i] == '{';
				nclose += p[i] == '}';
			}
			char *seg = xstrndup(p, len);
			if (nopen != nclose) {
				load_err(ld, v, "'path' segment %s has unbalanced braces", load_shown_str(ld, seg));
				ok = false;
			} else if (p[0] != '{' || p[len - 1] != '}' || nopen != 1) {
				load_err(ld, v, "'path' segment %s mixes text and a parameter: a parameter must be a whole segment, like '{id}'",
				    load_shown_str(ld, seg));
				ok = false;
			} else {
				bool rest = len >= 3 && p[len - 2] == '*';
				size_t nlen = len - 2 - (rest ? 1 : 0);
				if (!valid_param_name(p + 1, nlen)) {
					load_err(ld, v, "'path' parameter name %s is not valid: use letters, digits and '_', not starting with a digit",
					    load_shown(ld, p + 1, len - 2));
					ok = false;
				} else {
					s->is_param = true;
					s->is_rest = rest;
					s->text = xstrndup(p + 1, nlen);
					if (!hmap_add_key(&names, s->text)) {
						load_err(ld, v, "'path' has parameter %s twice", load_shown_str(ld, s->text));
						ok = false;
					} else if (rest && end) {
						load_err(ld, v, "'path' parameter %s must be the last segment", load_shown_str(ld, seg));
						ok = false;
					}
				}
			}
			free(seg);
		}
		if (!end)
			break;
		p = end + 1;
	}
	hmap_release(&names, NULL);
	if (!ok) {
		for (size_t i = 0; i < n; i++)
			free(segs[i].text);
		free(segs);
		return false;
	}
	req->segs = segs;
	req->nsegs = n;
	return true;
}

static void to_path(struct loader *ld, const struct ynode *v, struct stub_request *req)
{
	req->path_line = v->line;
	req->path_col = v->col;
	if (v->kind != YNODE_SCALAR || (v->plain && v->len == 0)) {
		load_err(ld, v, "'path' must be a string starting with '/', got %s", load_got(ld, v));
		return;
	}
	if (v->text[0] != '/') {
		load_err(ld, v, "'path' must start with '/', got %s", load_got(ld, v));
		return;
	}
	if (strlen(v->text) != v->len) {
		load_err(ld, v, "'path' must not contain a NUL byte");
		return;
	}
	if (reserved_path(v->text)) {
		load_err(ld, v, RESERVED_MSG);
		return;
	}
	if (!strpbrk(v->text, "{}")) {
		req->path_kind = PATH_EXACT;
		req->path = xstrdup(v->text);
		return;
	}
	if (parse_template(ld, v, req)) {
		req->path_kind = PATH_TEMPLATE;
		req->path = xstrdup(v->text);
	}
}

static void to_path_regex(struct loader *ld, const struct ynode *v, struct stub_request *req)
{
	req->path_line = v->line;
	req->path_col = v->col;
	if (v->kind != YNODE_SCALAR || v->len == 0 || strlen(v->text) != v->len) {
		load_err(ld, v, "'path_regex' must be a regex string, got %s", load_got(ld, v));
		return;
	}
	struct regex *re = compile_regex(ld, "path_regex", v, false);
	if (!re)
		return;
	char *prefix = regex_literal_prefix(v->text);
	bool reserved = reserved_path(prefix);
	free(prefix);
	if (reserved) {
		load_err(ld, v, RESERVED_MSG);
		regex_destroy(re);
		return;
	}
	req->path_kind = PATH_REGEX;
	req->path = xstrdup(v->text);
	req->path_re = re;
}

static const char *const request_keys[] = {
	"method", "path", "path_regex", "query", "headers", "cookies", "body", NULL,
};

enum { RK_METHOD, RK_PATH, RK_PATH_REGEX, RK_QUERY, RK_HEADERS, RK_COOKIES, RK_BODY };

void load_request(struct loader *ld, const struct ynode *map, struct stub_request *req)
{
	const struct ynode *path_key = NULL;
	unsigned seen = 0;
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct ynode *k = map->kids[i], *v = map->kids[i + 1];
		if (!load_key_ok(ld, k))
			continue;
		int ki = load_key_index(k, request_keys);
		if (ki < 0) {
			load_unknown_key(ld, k, "'request'", request_keys);
			continue;
		}
		if (!load_first_time(ld, &seen, ki, k, "'request'"))
			continue;
		switch (ki) {
		case RK_METHOD:
			to_methods(ld, v, req);
			break;
		case RK_PATH:
		case RK_PATH_REGEX:
			if (path_key) {
				load_err(ld, k, "'request' has both '%s' and '%s': give only one", path_key->text, k->text);
				break;
			}
			path_key = k;
			if (ki == RK_PATH)
				to_path(ld, v, req);
			else
				to_path_regex(ld, v, req);
			break;
		case RK_QUERY:
			to_named(ld, v, "query", "query parameter", NAMED_PLAIN, &req->query, &req->nquery);
			break;
		case RK_HEADERS:
			to_named(ld, v, "headers", "header", NAMED_HEADER, &req->headers, &req->nheaders);
			break;
		case RK_COOKIES:
			to_named(ld, v, "cookies", "cookie", NAMED_PLAIN, &req->cookies, &req->ncookies);
			break;
		case RK_BODY:
			req->bodies = xcalloc(1, sizeof(*req->bodies));
			req->nbodies = 1;
			to_body(ld, v, &req->bodies[0]);
			break;
		}
	}
}

