/* SPDX-License-Identifier: MIT */
/* The OpenAPI front-end's response handlers (SPEC section 9): an operation validates the
 * request, then answers with the response `Prefer` and `Accept` pick: its shared answer
 * built at load (served prebuilt like a canned stub), a named example, or data generated
 * per request; a path answers another method with 405 and Allow. */
#include "openapi_respond.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsonschema_gen.h"
#include "reply.h"
#include "request.h"
#include "respond.h"
#include "util/arena.h"
#include "util/strbuf.h"

/* What the Prefer header asks for. */
struct prefer {
	int code;                   /* 0: none */
	const char *example;        /* NULL: none (in the arena) */
	bool dynamic;
};

/* Reads `Prefer: code=404, example=cat, dynamic=true` (preferences separated by ',' or
 * ';', values optionally quoted), from every Prefer header. */
static void read_prefer(struct req_view *req, struct arena *a, struct prefer *p)
{
	for (size_t i = 0; i < req->nheaders; i++) {
		if (strcasecmp(req->headers[i].name, "Prefer") != 0)
			continue;
		const char *s = req->headers[i].value;
		while (*s) {
			s += strspn(s, " \t,;");
			size_t n = strcspn(s, ",;");
			const char *eq = memchr(s, '=', n);
			if (eq) {
				size_t kn = (size_t)(eq - s);
				while (kn && (s[kn - 1] == ' ' || s[kn - 1] == '\t'))
					kn--;
				const char *v = eq + 1;
				size_t vn = n - (size_t)(v - s);
				while (vn && (*v == ' ' || *v == '\t'))
					v++, vn--;
				while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
					vn--;
				if (vn >= 2 && v[0] == '"' && v[vn - 1] == '"')
					v++, vn -= 2;
				if (kn == 4 && strncasecmp(s, "code", 4) == 0) {
					char buf[8];
					snprintf(buf, sizeof buf, "%.*s", (int)(vn < 7 ? vn : 7), v);
					char *end;
					long c = strtol(buf, &end, 10);
					p->code = *end || c < 100 || c > 599 ? -1 : (int)c;
				} else if (kn == 7 && strncasecmp(s, "example", 7) == 0) {
					p->example = arena_strndup(a, v, vn);
				} else if (kn == 7 && strncasecmp(s, "dynamic", 7) == 0) {
					p->dynamic = vn == 4 && strncasecmp(v, "true", 4) == 0;
				}
			}
			s += n;
		}
	}
}

/* How specifically the media range range[0..n) covers type[0..tn) (major: the length of
 * its type part): 3 the type itself, 2 its "type/" wildcard, 1 the any-type one, 0 not. */
static int range_rank(const char *range, size_t n, const char *type, size_t tn, size_t major)
{
	if (n == tn && strncasecmp(range, type, tn) == 0)
		return 3;
	if (n == major + 2 && strncasecmp(range, type, major + 1) == 0 && range[major + 1] == '*')
		return 2;
	return n == 3 && strncmp(range, "*/*", 3) == 0 ? 1 : 0;
}

/* The q Accept gives type ("application/json"): 1000 for q=1, 0 when no entry covers it
 * or it is refused (q=0). The most specific entry that covers the type decides (RFC 9110
 * 12.5.1: "text/csv;q=0, * / *" refuses text/csv); among equally specific ones, the
 * highest q. */
static int accept_q(const char *accept, const char *type)
{
	size_t tn = strcspn(type, ";");
	while (tn && type[tn - 1] == ' ')
		tn--;
	const char *slash = memchr(type, '/', tn);
	size_t major = slash ? (size_t)(slash - type) : tn;
	int best = 0, best_rank = 0;
	for (const char *s = accept; *s;) {
		s += strspn(s, " \t,");
		size_t n = strcspn(s, ",");
		size_t rn = strcspn(s, ";");
		if (rn > n)
			rn = n;
		size_t en = rn;
		while (en && (s[en - 1] == ' ' || s[en - 1] == '\t'))
			en--;
		int q = 1000;
		const char *qp = s + rn;
		while (qp < s + n) {
			qp += strspn(qp, "; \t");
			if (qp + 2 <= s + n && (qp[0] == 'q' || qp[0] == 'Q') && qp[1] == '=') {
				q = (int)(strtod(qp + 2, NULL) * 1000 + 0.5);
				break;
			}
			qp += strcspn(qp, ";,");
		}
		int rank = range_rank(s, en, type, tn, major);
		if (rank > best_rank || (rank && rank == best_rank && q > best)) {
			best_rank = rank;
			best = q;
		}
		s += n;
	}
	return best;
}

/* The media type of r that Accept prefers (declared order breaks ties), or NULL (406). */
static const struct oa_media *negotiate(const struct oa_response *r, struct req_view *req)
{
	const struct kv *accept = req_view_header(req, "Accept");
	const struct oa_media *best = NULL;
	int best_q = 0;
	for (size_t i = 0; i < r->nmedia; i++) {
		int q = accept && *accept->value ? accept_q(accept->value, r->media[i].type) : 1000;
		/* a tie goes to JSON (Swagger's Petstore declares XML first; curl and fetch
		 * send Accept: * / *), then to the declared order */
		if (q > best_q || (q && q == best_q && r->media[i].is_json && !best->is_json)) {
			best = &r->media[i];
			best_q = q;
		}
	}
	return best;
}

/* Answers with a problem document; its first problems also become the note. */
static void problem(struct reply *out, struct arena *a, int status, const char *title, const char *detail,
		    const struct oa_problem *p, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	oa_problem_json(&sb, status, title, detail, p, n);
	out->status = status;
	reply_take_body(out, &sb, "application/problem+json");
	struct strbuf note = STRBUF_INIT;
	strbuf_adds(&note, n ? title : detail);
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&note, "%s%s: %s", i ? "; " : ": ", p[i].location, p[i].message);
	out->note = arena_strndup(a, note.buf ? note.buf : "", note.len);
	strbuf_release(&note);
}

/* The path captures under the operation's parameter names (a path served as a regex
 * captures into groups g0, g1...). */
static const struct params *captures(const struct oa_op *op, const struct params *in, struct arena *a)
{
	if (!op->ngroups || !in)
		return in;
	struct params *out = arena_alloc(a, sizeof *out);
	out->items = arena_alloc(a, (in->n + 1) * sizeof *out->items);
	out->n = 0;
	for (size_t i = 0; i < in->n; i++) {
		const char *g = in->items[i].name;
		size_t k = g[0] == 'g' ? (size_t)strtoul(g + 1, NULL, 10) : SIZE_MAX;
		out->items[out->n] = in->items[i];
		if (k < op->ngroups)
			out->items[out->n].name = op->group_names[k];
		out->n++;
	}
	return out;
}

/* Answers with sh at status. A shared answer carries its own status, which the adapter
 * serves (prebuilt, or expanded for a CORS origin); when Prefer: code asked for another
 * one that a range or default response answers, the reply gets sh's content and headers
 * (borrowed: the spec outlives the request) under that status instead. */
static void use_answer(struct reply *out, struct arena *a, struct reply_shared *sh, int status)
{
	if (sh->status == status) {
		reply_use_shared(out, reply_shared_ref(sh));
		return;
	}
	out->status = status;
	out->content_type = sh->content_type;
	out->body = sh->body;
	out->body_len = sh->body_len;
	for (size_t i = 0; i < sh->nheaders; i++)
		reply_add_header(out, a, sh->headers[i].name, sh->headers[i].value);
}

static void respond_op(const struct stub_response *sr, struct respond_ctx *ctx, struct reply *out)
{
	const struct oa_op *op = sr->handler_data;
	struct req_view *req = ctx->render.req;
	struct arena *a = ctx->arena;
	if (op->spec->validate) {
		struct oa_problem p[OA_MAX_PROBLEMS];
		size_t n = 0;
		const struct oa_scheme *scheme = NULL;
		switch (oa_validate(op, req, captures(op, ctx->render.params, a), a, p, &n, &scheme)) {
		case OA_VALID:
			break;
		case OA_UNAUTHORIZED:
			problem(out, a, 401, "Unauthorized", "the credentials this operation's security asks for are missing", p, n);
			if (scheme && scheme->challenge)
				reply_add_header(out, a, "WWW-Authenticate", scheme->challenge);
			return;
		case OA_UNSUPPORTED_MEDIA:
			problem(out, a, 415, "Unsupported Media Type", NULL, p, n);
			return;
		case OA_MALFORMED:
			problem(out, a, 400, "Bad Request", NULL, p, n);
			return;
		case OA_INVALID:
			problem(out, a, 422, "Invalid request", NULL, p, n);
			return;
		}
	}
	struct prefer pref = { 0 };
	read_prefer(req, a, &pref);
	const struct oa_response *r = &op->responses[op->chosen];
	int status = r->status;
	if (pref.code) {
		r = pref.code > 0 ? oa_op_response(op, pref.code) : NULL;
		if (!r && pref.code > 0)
			for (size_t i = 0; i < op->nresponses && !r; i++)
				if (strcmp(op->responses[i].code, "default") == 0)
					r = &op->responses[i];
		if (!r) {
			char detail[200];
			snprintf(detail, sizeof detail, "Prefer: code asks for a response %s %s does not declare",
				 op->method, op->path);
			problem(out, a, 404, "Not Found", detail, NULL, 0);
			return;
		}
		status = pref.code;
	}
	if (!r->nmedia) {
		use_answer(out, a, r->empty, status);
		return;
	}
	const struct oa_media *m = negotiate(r, req);
	if (!m) {
		struct strbuf detail = STRBUF_INIT;
		strbuf_adds(&detail, "Accept allows none of");
		for (size_t i = 0; i < r->nmedia; i++)
			strbuf_addf(&detail, "%s %s", i ? "," : "", r->media[i].type);
		problem(out, a, 406, "Not Acceptable", detail.buf, NULL, 0);
		strbuf_release(&detail);
		return;
	}
	struct reply_shared *sh = oa_media_answer(r, (struct oa_media *)m);
	if (pref.example) {
		sh = NULL;
		for (size_t i = 0; i < m->nexamples && !sh; i++)
			if (strcmp(m->examples[i].name, pref.example) == 0)
				sh = m->examples[i].answer;
		if (!sh) {
			char detail[300];
			snprintf(detail, sizeof detail, "Prefer: example asks for an example '%.100s' that %s does not declare",
				 pref.example, m->type);
			problem(out, a, 404, "Not Found", detail, NULL, 0);
			return;
		}
	} else if (pref.dynamic && m->schema) {
		cJSON *data = jsonschema_generate(m->schema, JSONSCHEMA_GEN_DYNAMIC, false, ctx->render.rng);
		if (data) {
			size_t len;
			char *text = json_print(data, &len);
			cJSON_Delete(data);
			struct strbuf body = { .buf = text, .len = len, .alloc = len + 1 };
			out->status = status;
			reply_take_body(out, &body, m->type);
			for (size_t i = 0; i < r->nheaders; i++)
				reply_add_header(out, a, r->headers[i].name, r->headers[i].value);
			return;
		}
	}
	use_answer(out, a, sh, status);
}

static void release_op(void *data)
{
	const struct oa_op *op = data;
	oa_spec_unref(op->spec);
}

const struct responder openapi_op_responder = {
	.kind = "openapi",
	.respond = respond_op,
	.release = release_op,
};

static void respond_path(const struct stub_response *sr, struct respond_ctx *ctx, struct reply *out)
{
	(void)ctx;
	const struct oa_path *p = sr->handler_data;
	reply_use_shared(out, reply_shared_ref(p->answer));
}

static void release_path(void *data)
{
	const struct oa_path *p = data;
	oa_spec_unref(p->spec);
}

const struct responder openapi_path_responder = {
	.kind = "openapi-405",
	.respond = respond_path,
	.release = release_path,
};
