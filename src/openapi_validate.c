/* SPDX-License-Identifier: MIT */
/* A request against its OpenAPI operation (SPEC section 9): the credentials security asks
 * for, then parameters of every location, the Content-Type and the body, each against its
 * compiled schema; problems located as the 422 shows them ("query.limit", "body.items.0.qty").
 * Also the problem document every refusal of the front-end is written as. */
#include "openapi_model.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "jsonschema.h"
#include "request.h"
#include "util/arena.h"
#include "util/strbuf.h"

static const char *const in_names[] = { "path", "query", "header", "cookie" };

struct found {
	struct arena *a;
	struct oa_problem *p;
	size_t n;
};

static void add(struct found *f, const char *location, const char *message)
{
	if (f->n < OA_MAX_PROBLEMS)
		f->p[f->n++] = (struct oa_problem){ arena_strdup(f->a, location), arena_strdup(f->a, message) };
}

/* Adds the schema's errors, their paths under prefix ("body", "query.ids"). */
static void add_errors(struct found *f, const char *prefix, struct jsonschema_error *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_adds(&sb, prefix);
		if (*e[i].path) {
			strbuf_addc(&sb, '.');
			strbuf_adds(&sb, e[i].path);
		}
		add(f, sb.buf, e[i].message);
		strbuf_release(&sb);
	}
	jsonschema_errors_release(e, n);
}

static const struct kv *find_kv(const struct kv *v, size_t n, const char *name, bool nocase)
{
	for (size_t i = 0; i < n; i++)
		if (nocase ? strcasecmp(v[i].name, name) == 0 : strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

/* ---- security ---- */

static bool has_credential(const struct oa_scheme *s, struct req_view *req)
{
	switch (s->kind) {
	case OA_SCHEME_API_KEY:
		if (s->in == OA_IN_QUERY)
			return find_kv(req->query, req->nquery, s->param, false) != NULL;
		if (s->in == OA_IN_COOKIE)
			return find_kv(req->cookies, req->ncookies, s->param, false) != NULL;
		return req_view_header(req, s->param) != NULL;
	case OA_SCHEME_HTTP:
	case OA_SCHEME_OAUTH: {
		const struct kv *h = req_view_header(req, "Authorization");
		size_t n = strlen(s->http_scheme);
		return h && strncasecmp(h->value, s->http_scheme, n) == 0 && h->value[n] == ' ' && h->value[n + 1];
	}
	case OA_SCHEME_ANY:
		break;
	}
	return true;
}

/* The scheme to challenge with when no alternative of sec is met, or NULL when one is. */
static const struct oa_scheme *unmet(const struct oa_security *sec, struct req_view *req)
{
	const struct oa_scheme *first = NULL;
	for (size_t i = 0; i < sec->n; i++) {
		bool all = true;
		for (size_t j = 0; j < sec->nalt[i] && all; j++) {
			all = has_credential(sec->alts[i][j], req);
			if (!all && !first)
				first = sec->alts[i][j];
		}
		if (all)
			return NULL;
	}
	return first;
}

/* ---- parameters ---- */

/* The value of a query parameter: its one value, or its repeated values joined with ','
 * (a form-exploded array). NULL when absent. */
static const char *query_value(struct req_view *req, const char *name, struct arena *a)
{
	const struct kv *first = NULL;
	size_t count = 0, len = 0;
	for (size_t i = 0; i < req->nquery; i++)
		if (strcmp(req->query[i].name, name) == 0) {
			first = first ? first : &req->query[i];
			count++;
			len += req->query[i].len + 1;
		}
	if (count <= 1)
		return first ? first->value : NULL;
	char *out = arena_alloc(a, len), *p = out;
	for (size_t i = 0; i < req->nquery; i++)
		if (strcmp(req->query[i].name, name) == 0) {
			if (p != out)
				*p++ = ',';
			memcpy(p, req->query[i].value, req->query[i].len);
			p += req->query[i].len;
		}
	*p = '\0';
	return out;
}

/* Whether any query parameter is NAME[...] (a deepObject member). */
static bool has_members(struct req_view *req, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < req->nquery; i++)
		if (strncmp(req->query[i].name, name, n) == 0 && req->query[i].name[n] == '[')
			return true;
	return false;
}

static const char *param_value(const struct oa_param *p, struct req_view *req, const struct params *captures,
			       struct arena *a)
{
	switch (p->in) {
	case OA_IN_PATH:
		for (size_t i = 0; captures && i < captures->n; i++)
			if (strcmp(captures->items[i].name, p->name) == 0)
				return captures->items[i].value;
		return NULL;
	case OA_IN_QUERY:
		return query_value(req, p->name, a);
	case OA_IN_HEADER: {
		const struct kv *h = req_view_header(req, p->name);
		return h ? h->value : NULL;
	}
	case OA_IN_COOKIE: {
		const struct kv *c = find_kv(req->cookies, req->ncookies, p->name, false);
		return c ? c->value : NULL;
	}
	}
	return NULL;
}

static void check_param(const struct oa_param *p, struct req_view *req, const struct params *captures,
			struct found *f)
{
	char location[300];
	snprintf(location, sizeof location, "%s.%s", in_names[p->in], p->name);
	if (p->exploded_object) {
		/* members as separate parameters: only their presence is checked */
		if (p->required && !has_members(req, p->name) && !query_value(req, p->name, f->a))
			add(f, location, "required parameter is missing");
		return;
	}
	const char *v = param_value(p, req, captures, f->a);
	if (!v) {
		if (p->required)
			add(f, location, "required parameter is missing");
		return;
	}
	if (!p->schema)
		return;
	struct jsonschema_error e[OA_MAX_PROBLEMS];
	size_t n;
	if (p->json) {
		cJSON *j = json_parse(v, strlen(v), NULL);
		if (!j) {
			add(f, location, "expected JSON text");
			return;
		}
		n = jsonschema_validate(p->schema, j, e, OA_MAX_PROBLEMS);
		cJSON_Delete(j);
	} else {
		n = jsonschema_validate_text(p->schema, v, e, OA_MAX_PROBLEMS);
	}
	add_errors(f, location, e, n < OA_MAX_PROBLEMS ? n : OA_MAX_PROBLEMS);
}

/* ---- the body ---- */

/* The length of a media type without its parameters ("text/plain; charset=utf-8": 10). */
static size_t type_len(const char *t)
{
	size_t n = strcspn(t, ";");
	while (n && (t[n - 1] == ' ' || t[n - 1] == '\t'))
		n--;
	return n;
}

/* The declared media type for the request's Content-Type: exact, then type/ *, then * / *,
 * parameters left out on both sides. */
static const struct oa_body_media *body_media(const struct oa_op *op, const char *ct)
{
	size_t n = type_len(ct);
	const char *slash = memchr(ct, '/', n);
	const struct oa_body_media *wild = NULL, *any = NULL;
	for (size_t i = 0; i < op->nbody; i++) {
		const char *t = op->body[i].type;
		size_t tn = type_len(t);
		if (tn == n && strncasecmp(t, ct, n) == 0)
			return &op->body[i];
		if (tn == 3 && strncmp(t, "*/*", 3) == 0)
			any = &op->body[i];
		else if (slash && tn == (size_t)(slash - ct) + 2 && strncasecmp(t, ct, tn - 1) == 0 && t[tn - 1] == '*')
			wild = &op->body[i];
	}
	return wild ? wild : any;
}

/* The 415's message: the Content-Type received and the ones declared. */
static void unsupported(struct found *f, const struct oa_op *op, const char *ct)
{
	struct strbuf sb = STRBUF_INIT;
	if (ct)
		strbuf_addf(&sb, "'%.100s' is not a media type of this operation; expected ", ct);
	else
		strbuf_adds(&sb, "the body has no Content-Type; expected ");
	for (size_t i = 0; i < op->nbody; i++)
		strbuf_addf(&sb, "%s%s", i ? ", " : "", op->body[i].type);
	add(f, "header.Content-Type", sb.buf);
	strbuf_release(&sb);
}

/* Checks the body; returns OA_UNSUPPORTED_MEDIA or OA_MALFORMED when it cannot be read,
 * else OA_VALID (its schema errors added to f). */
static enum oa_verdict check_body(const struct oa_op *op, struct req_view *req, struct found *f)
{
	if (!op->has_body)
		return OA_VALID;
	if (!req->body_len) {
		if (op->body_required)
			add(f, "body", "request body is required");
		return OA_VALID;
	}
	if (!op->nbody)
		return OA_VALID;
	const struct kv *ct = req_view_header(req, "Content-Type");
	const struct oa_body_media *m = ct ? body_media(op, ct->value) : NULL;
	if (!m) {
		f->n = 0;
		unsupported(f, op, ct ? ct->value : NULL);
		return OA_UNSUPPORTED_MEDIA;
	}
	if (!m->is_json && !(m->is_form && m->schema))
		return OA_VALID;
	/* the usual case, a valid body, decided from its text without a tree (1); an invalid
	 * one, or a schema the fast check leaves to the validator, takes the way below,
	 * which says where and what */
	if (m->is_json && m->schema && jsonschema_check_json(m->schema, req->body, req->body_len) == 1)
		return OA_VALID;
	struct jsonschema_error e[OA_MAX_PROBLEMS];
	size_t n;
	if (m->is_json) {
		/* well-formed JSON even without a schema to validate it against (SPEC 9: 400) */
		const cJSON *j = req_view_json(req);
		if (!j) {
			struct json_error je = { 0 };
			cJSON *again = json_parse(req->body, req->body_len, &je);
			cJSON_Delete(again);
			char msg[160];
			snprintf(msg, sizeof msg, "not well-formed JSON: %s at line %d, column %d", je.what ? je.what : "not valid JSON",
				 je.line, je.col);
			f->n = 0;
			add(f, "body", msg);
			return OA_MALFORMED;
		}
		if (!m->schema)
			return OA_VALID;
		n = jsonschema_validate(m->schema, j, e, OA_MAX_PROBLEMS);
	} else {
		req_view_form(req);
		const char **names = arena_alloc(f->a, (req->nform + 1) * sizeof *names);
		const char **values = arena_alloc(f->a, (req->nform + 1) * sizeof *values);
		for (size_t i = 0; i < req->nform; i++) {
			names[i] = req->form[i].name;
			values[i] = req->form[i].value;
		}
		n = jsonschema_validate_fields(m->schema, names, values, req->nform, e, OA_MAX_PROBLEMS);
	}
	add_errors(f, "body", e, n < OA_MAX_PROBLEMS ? n : OA_MAX_PROBLEMS);
	return OA_VALID;
}

enum oa_verdict oa_validate(const struct oa_op *op, struct req_view *req, const struct params *params,
			    struct arena *a, struct oa_problem *p, size_t *n, const struct oa_scheme **scheme)
{
	struct found f = { a, p, 0 };
	*n = 0;
	const struct oa_scheme *s = unmet(&op->security, req);
	if (s) {
		*scheme = s;
		char msg[300];
		snprintf(msg, sizeof msg, "credentials for '%s' are missing", s->name);
		add(&f, s->kind == OA_SCHEME_API_KEY ? in_names[s->in] : "header.Authorization", msg);
		if (s->kind == OA_SCHEME_API_KEY) {
			snprintf(msg, sizeof msg, "%s.%s", in_names[s->in], s->param);
			f.p[0].location = arena_strdup(a, msg);
		}
		*n = f.n;
		return OA_UNAUTHORIZED;
	}
	for (size_t i = 0; i < op->nparams; i++)
		check_param(&op->params[i], req, params, &f);
	enum oa_verdict v = check_body(op, req, &f);
	*n = f.n;
	if (v != OA_VALID)
		return v;
	return f.n ? OA_INVALID : OA_VALID;
}

void oa_problem_json(struct strbuf *out, int status, const char *title, const char *detail,
		     const struct oa_problem *p, size_t n)
{
	strbuf_addf(out, "{\"type\":\"about:blank\",\"title\":");
	strbuf_add_json_string(out, title, strlen(title));
	strbuf_addf(out, ",\"status\":%d", status);
	if (detail) {
		strbuf_adds(out, ",\"detail\":");
		strbuf_add_json_string(out, detail, strlen(detail));
	}
	if (n) {
		strbuf_adds(out, ",\"errors\":[");
		for (size_t i = 0; i < n; i++) {
			strbuf_adds(out, i ? ",{\"location\":" : "{\"location\":");
			strbuf_add_json_string(out, p[i].location, strlen(p[i].location));
			strbuf_adds(out, ",\"message\":");
			strbuf_add_json_string(out, p[i].message, strlen(p[i].message));
			strbuf_addc(out, '}');
		}
		strbuf_addc(out, ']');
	}
	strbuf_addc(out, '}');
}
