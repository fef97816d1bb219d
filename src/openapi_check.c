/* SPDX-License-Identifier: MIT */
/* `cannery check --openapi SPEC DIR...` (SPEC section 9): stubs and recordings against a
 * spec. A stub's route must be an operation of the spec (its path against the spec's path
 * templates, each of its methods), and each of its responses must be declared for its
 * status, with a body that validates against the schema of its content type. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsonschema.h"
#include "openapi.h"
#include "openapi_model.h"
#include "regex.h"
#include "stub.h"
#include "util/strbuf.h"

/* Whether text b[0..nb) fits the template segment a[0..na): its literal text equal, each
 * {param} standing for one or more characters. */
static bool fits(const char *a, size_t na, const char *b, size_t nb)
{
	const char *close = na && a[0] == '{' ? memchr(a, '}', na) : NULL;
	if (!close) {
		if (!na)
			return nb == 0;
		return nb && a[0] == b[0] && fits(a + 1, na - 1, b + 1, nb - 1);
	}
	size_t rest = na - (size_t)(close - a) - 1;
	for (size_t k = 1; k <= nb; k++)
		if (fits(close + 1, rest, b + k, nb - k))
			return true;
	return false;
}

/* Whether a path as a stub declares it matches the operation's path template, segment by
 * segment: literal segments equal; a segment with parameters ("{id}", "{name}.{ext}")
 * fitting the stub's text, or taking a stub's own whole-segment {param}. */
static bool path_matches(const struct oa_op *op, const char *path)
{
	const char *a = op->path, *b = path;
	while (*a && *b) {
		if (*a != '/' || *b != '/')
			return false;
		a++, b++;
		size_t na = strcspn(a, "/"), nb = strcspn(b, "/");
		if (!memchr(a, '{', na)) {
			if (na != nb || strncmp(a, b, na) != 0)
				return false;
		} else if (!(nb > 2 && b[0] == '{' && b[nb - 1] == '}' && !memchr(b + 1, '{', nb - 2)) &&
			   !fits(a, na, b, nb)) {
			return false;
		}
		a += na, b += nb;
	}
	return *a == *b;
}

static const char *content_type(const struct stub_response *sr)
{
	for (size_t i = 0; i < sr->nheaders; i++)
		if (strcasecmp(sr->headers[i].name, "Content-Type") == 0)
			return sr->headers[i].value;
	return sr->content_type;
}

/* The length of a media type without its parameters ("text/plain; charset=utf-8": 10). */
static size_t type_len(const char *t)
{
	size_t n = strcspn(t, ";");
	while (n && (t[n - 1] == ' ' || t[n - 1] == '\t'))
		n--;
	return n;
}

/* The response media the stub's content type stands for: exact (parameters ignored),
 * else the first JSON one when the body is JSON. */
static const struct oa_media *response_media(const struct oa_response *r, const char *ct)
{
	size_t n = ct ? type_len(ct) : 0;
	for (size_t i = 0; ct && i < r->nmedia; i++)
		if (type_len(r->media[i].type) == n && strncasecmp(r->media[i].type, ct, n) == 0)
			return &r->media[i];
	for (size_t i = 0; i < r->nmedia; i++)
		if (r->media[i].is_json && (!ct || strstr(ct, "json")))
			return &r->media[i];
	return NULL;
}

static void check_response(const struct oa_op *op, const struct stub *s, const struct stub_response *sr,
			   struct diag_list *diags, size_t *problems)
{
	const struct oa_response *r = oa_op_response(op, sr->status);
	for (size_t i = 0; !r && i < op->nresponses; i++)
		if (strcmp(op->responses[i].code, "default") == 0)
			r = &op->responses[i];
	if (!r) {
		diag_add(diags, s->file, s->line, s->col, "stub '%s': %s %s declares no response %d", s->id, op->method,
			 op->path, sr->status);
		(*problems)++;
		return;
	}
	if (sr->body_tpl || !sr->body || !sr->body_len || !r->nmedia)
		return;
	const struct oa_media *m = response_media(r, content_type(sr));
	if (!m || !m->schema || !m->is_json)
		return;
	cJSON *body = json_parse(sr->body, sr->body_len, NULL);
	if (!body) {
		diag_add(diags, s->file, s->line, s->col, "stub '%s': the response body is not JSON; %s %s %s expects %s",
			 s->id, op->method, op->path, r->code, m->type);
		(*problems)++;
		return;
	}
	struct jsonschema_error e[OA_MAX_PROBLEMS];
	size_t n = jsonschema_validate(m->schema, body, e, OA_MAX_PROBLEMS);
	cJSON_Delete(body);
	for (size_t i = 0; i < n && i < OA_MAX_PROBLEMS; i++) {
		diag_add(diags, s->file, s->line, s->col, "stub '%s': response body does not match %s %s %s (%s): %s%s: %s",
			 s->id, op->method, op->path, r->code, m->type, *e[i].path ? "body." : "body", e[i].path,
			 e[i].message);
		(*problems)++;
	}
	jsonschema_errors_release(e, n < OA_MAX_PROBLEMS ? n : OA_MAX_PROBLEMS);
}

/* The stub's path as a sample request path: its template's {param} segments kept as they
 * are, which any operation parameter segment matches. NULL: a regex or no path. */
static const char *stub_path(const struct stub *s)
{
	if (s->req.path_kind == PATH_EXACT || s->req.path_kind == PATH_TEMPLATE)
		return s->req.path;
	return NULL;
}

/* The operation of method (NULL: any) whose path the stub's path matches: a path of the
 * spec written as the stub writes it first (/pets/mine before /pets/{id}, as the router
 * ranks exact paths first), then its templates. *path_known: some operation has the path. */
static const struct oa_op *find_op(const struct oa_spec *sp, const char *path, const char *method, bool *path_known)
{
	for (int exact = 1; exact >= 0; exact--) {
		for (size_t i = 0; i < sp->nops; i++) {
			if (exact ? strcmp(sp->ops[i].path, path) != 0 : !path_matches(&sp->ops[i], path))
				continue;
			*path_known = true;
			if (!method || strcmp(sp->ops[i].method, method) == 0)
				return &sp->ops[i];
		}
	}
	return NULL;
}

static void check_stub(const struct oa_spec *sp, const struct stub *s, struct diag_list *diags, size_t *problems)
{
	const char *path = stub_path(s);
	if (!path)
		return;
	bool path_known = false;
	size_t nm = s->req.nmethods ? s->req.nmethods : 1;
	for (size_t k = 0; k < nm; k++) {
		const char *method = s->req.nmethods ? s->req.methods[k] : NULL;
		const struct oa_op *op = find_op(sp, path, method, &path_known);
		if (!op && method && strcmp(method, "HEAD") == 0)
			op = find_op(sp, path, "GET", &path_known);     /* served like GET */
		if (!op) {
			if (path_known)
				diag_add(diags, s->file, s->line, s->col, "stub '%s': %s %s is not an operation of %s", s->id,
					 method ? method : "any method on", path, sp->file);
			else
				diag_add(diags, s->file, s->line, s->col, "stub '%s': path '%s' is not in %s", s->id, path,
					 sp->file);
			(*problems)++;
			return;
		}
		for (size_t i = 0; i < stub_response_count(s); i++)
			check_response(op, s, stub_response_at(s, i), diags, problems);
		if (!method)
			return;
	}
}

size_t openapi_source_check(struct openapi_source *src, const struct stub *const *stubs, size_t n,
			    struct diag_list *diags)
{
	struct oa_spec *sp = openapi_source_spec(src);
	size_t problems = 0;
	for (size_t i = 0; i < n; i++)
		if (!stubs[i]->implicit && stubs[i]->tier == STUB_TIER_MAIN)
			check_stub(sp, stubs[i], diags, &problems);
	oa_spec_unref(sp);
	return problems;
}
