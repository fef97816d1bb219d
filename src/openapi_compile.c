/* SPDX-License-Identifier: MIT */
/* An OpenAPI document (openapi_doc) compiled into operations (openapi_model.h): the
 * servers prefix, the parameters of path items and operations merged, request bodies,
 * security requirements, responses with their answers built once (examples, or bodies
 * built from the schema by jsonschema_gen), every schema compiled once per spec. */
#include "openapi_model.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsonschema.h"
#include "jsonschema_gen.h"
#include "openapi_doc.h"
#include "reply.h"
#include "util/hmap.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* The methods an OpenAPI path item may hold, in the order Allow lists them. */
static const char *const methods[] = { "get", "put", "post", "delete", "options", "head", "patch", "trace", NULL };

struct compiler {
	struct oa_spec *spec;
	struct diag_list *diags;
	struct hmap schemas;        /* "%p" of a schema node -> its compiled form */
	bool schema_failed;         /* the spec's schema library is broken: said once */
	size_t errors;
	bool quiet;                 /* count errors without reporting them again */
	bool root_security_read;    /* the root's security was compiled once, its errors reported */
};

static void err_at(struct compiler *c, const cJSON *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void err_at(struct compiler *c, const cJSON *at, const char *fmt, ...)
{
	c->errors++;
	if (c->quiet)
		return;
	const char *file = c->spec->file;
	int line = 0, col = 0;
	if (at)
		openapi_doc_locate(c->spec->doc, at, &file, &line, &col);
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	diag_add(c->diags, file, line, col, "%s", sb.buf);
	strbuf_release(&sb);
}

static const cJSON *deref(struct compiler *c, const cJSON *n)
{
	return n ? openapi_doc_deref(c->spec->doc, n) : NULL;
}

static const cJSON *member(struct compiler *c, const cJSON *obj, const char *key)
{
	return cJSON_IsObject(obj) ? deref(c, cJSON_GetObjectItemCaseSensitive(obj, key)) : NULL;
}

static const char *string_member(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool bool_member(const cJSON *obj, const char *key, bool dflt)
{
	const cJSON *v = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
	return cJSON_IsBool(v) ? cJSON_IsTrue(v) : dflt;
}

/* ---- schemas ---- */

/* What c->schemas holds for a schema that did not compile (its error said once). */
static char not_compiled;

/* The compiled form of the schema node (NULL when n is NULL, or after an error). */
static const struct jsonschema *schema(struct compiler *c, const cJSON *n)
{
	if (!n || cJSON_IsNull(n))
		return NULL;     /* `schema: null` (Directus's spec): no schema, as Prism reads it */
	n = deref(c, n);
	char key[32];
	snprintf(key, sizeof key, "%p", (const void *)n);
	void *have = hmap_get(&c->schemas, key);
	if (have == &not_compiled) {
		c->errors++;
		return NULL;
	}
	if (have)
		return have;
	char *err = NULL;
	const cJSON *at = NULL;
	struct oa_spec *sp = c->spec;
	if (!sp->lib)
		sp->lib = jsonschema_lib_create(sp->oas31 ? JSONSCHEMA_OAS31 : JSONSCHEMA_OAS30, openapi_doc_resolve, sp->doc);
	const struct jsonschema *cs = jsonschema_lib_compile(sp->lib, n, &err, &at);
	if (!cs) {
		/* once one schema failed the library refuses the rest: that one is reported */
		if (!c->schema_failed)
			err_at(c, at ? at : n, "invalid schema: %s", err ? err : "cannot compile");
		c->schema_failed = true;
		c->errors++;
		free(err);
		hmap_put(&c->schemas, key, &not_compiled);
		return NULL;
	}
	hmap_put(&c->schemas, key, (void *)cs);
	return cs;
}

/* ---- media types ---- */

static bool media_is_json(const char *type)
{
	size_t n = strcspn(type, ";");
	while (n && type[n - 1] == ' ')
		n--;
	if (n == 16 && strncasecmp(type, "application/json", 16) == 0)
		return true;
	if (n >= 5 && strncasecmp(type + n - 5, "+json", 5) == 0)
		return true;
	return n == 3 && strncmp(type, "*/*", 3) == 0;
}

static bool media_is_form(const char *type)
{
	return strncasecmp(type, "application/x-www-form-urlencoded", 33) == 0;
}

/* The bytes of an example value for a media type: JSON text, or a string as it is for a
 * type that is not JSON. */
static char *example_text(const cJSON *v, bool json, size_t *len)
{
	if (!json && cJSON_IsString(v)) {
		*len = strlen(v->valuestring);
		return xstrdup(v->valuestring);
	}
	return json_print(v, len);
}

static struct reply_shared *answer(int status, const char *type, char *body, size_t len,
				   const struct oa_header *h, size_t nh)
{
	struct reply_shared *sh = reply_shared_create(status, NULL, body, len);
	if (type)
		reply_shared_add_header(sh, "Content-Type", type);
	for (size_t i = 0; i < nh; i++)
		reply_shared_add_header(sh, h[i].name, h[i].value);
	return sh;
}

/* The value of an Example Object (`value`; `externalValue` is not fetched). */
static const cJSON *example_value(struct compiler *c, const cJSON *ex, bool *found)
{
	ex = deref(c, ex);
	const cJSON *v = cJSON_IsObject(ex) ? cJSON_GetObjectItemCaseSensitive(ex, "value") : NULL;
	*found = v != NULL;
	return v;
}

static void compile_media(struct compiler *c, struct oa_response *r, struct oa_media *m, const char *type,
			  const cJSON *mo)
{
	m->type = xstrdup(type);
	m->is_json = media_is_json(type);
	m->schema = schema(c, member(c, mo, "schema"));
	const cJSON *examples = member(c, mo, "examples");
	const cJSON *ex = cJSON_IsObject(mo) ? cJSON_GetObjectItemCaseSensitive(mo, "example") : NULL;
	if (cJSON_IsObject(examples)) {
		size_t n = (size_t)cJSON_GetArraySize(examples);
		m->examples = xcalloc(n ? n : 1, sizeof *m->examples);
		for (const cJSON *e = examples->child; e; e = e->next) {
			bool found;
			const cJSON *v = example_value(c, e, &found);
			if (!found)
				continue;
			size_t len;
			char *body = example_text(v, m->is_json, &len);
			struct oa_example *oe = &m->examples[m->nexamples++];
			oe->name = xstrdup(e->string);
			oe->answer = answer(r->status, type, body, len, r->headers, r->nheaders);
			if (!ex)
				ex = v;
		}
	}
	if (ex) {
		size_t len = 0;
		char *body = example_text(ex, m->is_json, &len);
		atomic_init(&m->answer, answer(r->status, type, body, len, r->headers, r->nheaders));
	} else if (!m->schema) {
		atomic_init(&m->answer, answer(r->status, type, NULL, 0, r->headers, r->nheaders));
	} else {
		/* built from the schema when first asked for: a large spec is ready at once, and
		 * operations nobody calls cost nothing */
		atomic_init(&m->answer, NULL);
	}
}

struct reply_shared *oa_media_answer(const struct oa_response *r, struct oa_media *m)
{
	struct reply_shared *have = atomic_load_explicit(&m->answer, memory_order_acquire);
	if (have)
		return have;
	char *body = NULL;
	size_t len = 0;
	cJSON *built = jsonschema_generate_best(m->schema, JSONSCHEMA_GEN_EXAMPLE, false, NULL);
	if (built) {
		body = example_text(built, m->is_json, &len);
		cJSON_Delete(built);
	}
	struct reply_shared *fresh = answer(r->status, m->type, body, len, r->headers, r->nheaders);
	if (atomic_compare_exchange_strong_explicit(&m->answer, &have, fresh, memory_order_acq_rel,
						    memory_order_acquire))
		return fresh;
	reply_shared_unref(fresh);
	return have;
}

/* A header's example as text: `example`, the first of `examples`, else the schema's
 * `example` or `default`; NULL when it has none (it is not sent). */
static char *header_value(struct compiler *c, const cJSON *h)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(h, "example");
	const cJSON *examples = member(c, h, "examples");
	bool found = v != NULL;
	if (!found && cJSON_IsObject(examples) && examples->child)
		v = example_value(c, examples->child, &found);
	const cJSON *sch = member(c, h, "schema");
	if (!found && cJSON_IsObject(sch)) {
		v = cJSON_GetObjectItemCaseSensitive(sch, "example");
		if (!v)
			v = cJSON_GetObjectItemCaseSensitive(sch, "default");
		found = v != NULL;
	}
	if (!found || cJSON_IsNull(v))
		return NULL;
	size_t len;
	char *text = example_text(v, false, &len);
	/* a header value is one line */
	for (char *p = text; *p; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	return text;
}

static int status_of(const char *code)
{
	if (strcmp(code, "default") == 0)
		return 200;
	if (strlen(code) == 3 && code[0] >= '1' && code[0] <= '5' && toupper((unsigned char)code[1]) == 'X' &&
	    toupper((unsigned char)code[2]) == 'X')
		return (code[0] - '0') * 100;
	if (strlen(code) == 3 && isdigit((unsigned char)code[0]) && isdigit((unsigned char)code[1]) &&
	    isdigit((unsigned char)code[2])) {
		int s = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
		return s >= 100 && s <= 599 ? s : -1;
	}
	return -1;
}

static void compile_response(struct compiler *c, struct oa_response *r, const cJSON *code, const cJSON *ro)
{
	r->code = xstrdup(code->string);
	r->status = status_of(code->string);
	const cJSON *headers = member(c, ro, "headers");
	if (cJSON_IsObject(headers)) {
		size_t n = (size_t)cJSON_GetArraySize(headers);
		r->headers = xcalloc(n ? n : 1, sizeof *r->headers);
		for (const cJSON *h = headers->child; h; h = h->next) {
			if (strcasecmp(h->string, "Content-Type") == 0)
				continue;
			char *v = header_value(c, deref(c, h));
			if (!v)
				continue;
			r->headers[r->nheaders++] = (struct oa_header){ xstrdup(h->string), v };
		}
	}
	const cJSON *content = member(c, ro, "content");
	if (cJSON_IsObject(content)) {
		size_t n = (size_t)cJSON_GetArraySize(content);
		r->media = xcalloc(n ? n : 1, sizeof *r->media);
		for (const cJSON *m = content->child; m; m = m->next)
			compile_media(c, r, &r->media[r->nmedia++], m->string, deref(c, m));
	}
	if (!r->nmedia)
		r->empty = answer(r->status, NULL, NULL, 0, r->headers, r->nheaders);
}

/* The response served without Prefer: the lowest 2xx, else default, else the lowest. */
static size_t choose(const struct oa_op *op)
{
	size_t best = SIZE_MAX, dflt = SIZE_MAX, low = SIZE_MAX;
	for (size_t i = 0; i < op->nresponses; i++) {
		const struct oa_response *r = &op->responses[i];
		if (strcmp(r->code, "default") == 0) {
			dflt = i;
			continue;
		}
		if (r->status >= 200 && r->status < 300 && (best == SIZE_MAX || strcmp(r->code, op->responses[best].code) < 0))
			best = i;
		if (low == SIZE_MAX || strcmp(r->code, op->responses[low].code) < 0)
			low = i;
	}
	if (best != SIZE_MAX)
		return best;
	if (dflt != SIZE_MAX)
		return dflt;
	return low == SIZE_MAX ? 0 : low;
}

static void compile_responses(struct compiler *c, struct oa_op *op, const cJSON *responses)
{
	size_t n = cJSON_IsObject(responses) ? (size_t)cJSON_GetArraySize(responses) : 0;
	op->responses = xcalloc(n ? n : 1, sizeof *op->responses);
	for (const cJSON *code = n ? responses->child : NULL; code; code = code->next) {
		if (status_of(code->string) < 0) {
			if (strncmp(code->string, "x-", 2) != 0)
				err_at(c, code, "response code '%s' must be 100..599, 1XX..5XX or 'default'", code->string);
			continue;
		}
		compile_response(c, &op->responses[op->nresponses++], code, deref(c, code));
	}
	if (!op->nresponses) {
		/* no responses declared: an empty 200, as Prism answers */
		op->responses[0] = (struct oa_response){ .code = xstrdup("200"), .status = 200 };
		op->responses[0].empty = answer(200, NULL, NULL, 0, NULL, 0);
		op->nresponses = 1;
	}
	op->chosen = choose(op);
}

/* ---- parameters and bodies ---- */

static bool parse_in(const char *s, enum oa_in *in)
{
	static const char *const names[] = { "path", "query", "header", "cookie" };
	for (int i = 0; i < 4; i++)
		if (s && strcmp(s, names[i]) == 0) {
			*in = (enum oa_in)i;
			return true;
		}
	return false;
}

/* Adds the parameters of list (path item's, then the operation's: the later one of a
 * name and location replaces the earlier). */
static void compile_params(struct compiler *c, struct oa_op *op, const cJSON *list)
{
	if (!list)
		return;
	if (!cJSON_IsArray(list)) {
		err_at(c, list, "'parameters' must be an array");
		return;
	}
	op->params = xrealloc(op->params, (op->nparams + (size_t)cJSON_GetArraySize(list) + 1) * sizeof *op->params);
	for (const cJSON *item = list->child; item; item = item->next) {
		const cJSON *p = deref(c, item);
		const char *name = string_member(p, "name");
		enum oa_in in;
		if (!name || !parse_in(string_member(p, "in"), &in)) {
			err_at(c, p, "a parameter needs a 'name' and an 'in' of path, query, header or cookie");
			continue;
		}
		/* Accept, Content-Type and Authorization headers are described elsewhere (OpenAPI) */
		if (in == OA_IN_HEADER && (strcasecmp(name, "Accept") == 0 || strcasecmp(name, "Content-Type") == 0 ||
					   strcasecmp(name, "Authorization") == 0))
			continue;
		struct oa_param np = { .name = xstrdup(name), .in = in };
		np.required = in == OA_IN_PATH || bool_member(p, "required", false);
		const cJSON *sch = member(c, p, "schema");
		const cJSON *content = member(c, p, "content");
		bool by_content = !sch && cJSON_IsObject(content) && content->child;
		if (by_content) {
			sch = member(c, deref(c, content->child), "schema");
			np.json = media_is_json(content->child->string);
		}
		np.schema = schema(c, sch);
		const char *style = string_member(p, "style");
		const cJSON *dsch = deref(c, sch);
		const char *type = string_member(dsch, "type");
		/* a `content` parameter is one value in its media type, whatever its schema: only a
		 * `schema` one is serialized by style, an object into its members */
		if (in == OA_IN_QUERY && !by_content &&
		    ((style && strcmp(style, "deepObject") == 0) ||
		     (type && strcmp(type, "object") == 0 && bool_member(p, "explode", true))))
			np.exploded_object = true;
		/* the same parameter: name and location (a header's name in any case, as HTTP
		 * compares them) */
		size_t i = 0;
		while (i < op->nparams &&
		       !(op->params[i].in == np.in && (in == OA_IN_HEADER ? strcasecmp(op->params[i].name, np.name)
									 : strcmp(op->params[i].name, np.name)) == 0))
			i++;
		if (i < op->nparams) {
			free(op->params[i].name);
			op->params[i] = np;
		} else {
			op->params[op->nparams++] = np;
		}
	}
}

static void compile_body(struct compiler *c, struct oa_op *op, const cJSON *rb)
{
	rb = deref(c, rb);
	if (!rb)
		return;
	op->has_body = true;
	op->body_required = bool_member(rb, "required", false);
	const cJSON *content = member(c, rb, "content");
	size_t n = cJSON_IsObject(content) ? (size_t)cJSON_GetArraySize(content) : 0;
	op->body = xcalloc(n ? n : 1, sizeof *op->body);
	for (const cJSON *m = n ? content->child : NULL; m; m = m->next) {
		struct oa_body_media *bm = &op->body[op->nbody++];
		bm->type = xstrdup(m->string);
		for (char *p = bm->type; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		bm->is_json = media_is_json(bm->type) && strcmp(bm->type, "*/*") != 0;
		bm->is_form = media_is_form(bm->type);
		bm->schema = schema(c, member(c, deref(c, m), "schema"));
	}
}

/* ---- security ---- */

static void compile_schemes(struct compiler *c, const cJSON *root)
{
	const cJSON *list = member(c, member(c, root, "components"), "securitySchemes");
	size_t n = cJSON_IsObject(list) ? (size_t)cJSON_GetArraySize(list) : 0;
	struct oa_spec *sp = c->spec;
	sp->schemes = xcalloc(n ? n : 1, sizeof *sp->schemes);
	for (const cJSON *e = n ? list->child : NULL; e; e = e->next) {
		const cJSON *s = deref(c, e);
		const char *type = string_member(s, "type");
		struct oa_scheme *sc = &sp->schemes[sp->nschemes++];
		sc->name = xstrdup(e->string);
		sc->kind = OA_SCHEME_ANY;
		if (type && strcmp(type, "apiKey") == 0) {
			const char *name = string_member(s, "name");
			if (!name || !parse_in(string_member(s, "in"), &sc->in) || sc->in == OA_IN_PATH) {
				err_at(c, s, "an apiKey security scheme needs a 'name' and an 'in' of query, header or cookie");
				continue;
			}
			sc->kind = OA_SCHEME_API_KEY;
			sc->param = xstrdup(name);
			struct strbuf sb = STRBUF_INIT;
			strbuf_addf(&sb, "ApiKey %s=\"%s\"", sc->in == OA_IN_QUERY ? "query" : sc->in == OA_IN_HEADER ? "header" : "cookie", name);
			sc->challenge = strbuf_detach(&sb, NULL);
		} else if (type && strcmp(type, "http") == 0) {
			const char *scheme = string_member(s, "scheme");
			if (!scheme || !*scheme) {
				err_at(c, s, "an http security scheme needs a 'scheme' (basic, bearer...)");
				continue;
			}
			sc->kind = OA_SCHEME_HTTP;
			sc->http_scheme = xstrdup(scheme);
			sc->http_scheme[0] = (char)toupper((unsigned char)scheme[0]);
			for (char *p = sc->http_scheme + 1; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			struct strbuf sb = STRBUF_INIT;
			strbuf_adds(&sb, sc->http_scheme);
			if (strcmp(sc->http_scheme, "Basic") == 0)
				strbuf_adds(&sb, " realm=\"cannery\"");
			sc->challenge = strbuf_detach(&sb, NULL);
		} else if (type && (strcmp(type, "oauth2") == 0 || strcmp(type, "openIdConnect") == 0)) {
			sc->kind = OA_SCHEME_OAUTH;
			sc->http_scheme = xstrdup("Bearer");
			sc->challenge = xstrdup("Bearer");
		}
	}
}

static const struct oa_scheme *find_scheme(const struct oa_spec *sp, const char *name)
{
	for (size_t i = 0; i < sp->nschemes; i++)
		if (strcmp(sp->schemes[i].name, name) == 0)
			return &sp->schemes[i];
	return NULL;
}

static void compile_security(struct compiler *c, struct oa_op *op, const cJSON *sec)
{
	if (!sec)
		return;
	if (!cJSON_IsArray(sec)) {
		err_at(c, sec, "'security' must be an array of security requirements");
		return;
	}
	size_t n = (size_t)cJSON_GetArraySize(sec);
	struct oa_security *s = &op->security;
	s->alts = xcalloc(n ? n : 1, sizeof *s->alts);
	s->nalt = xcalloc(n ? n : 1, sizeof *s->nalt);
	bool anonymous = false;
	for (const cJSON *req = sec->child; req; req = req->next) {
		if (!cJSON_IsObject(req)) {
			/* not {}: a typo like `security: [apiKey]` must not open the operation */
			err_at(c, req, "a security requirement must be an object of scheme names");
			continue;
		}
		size_t k = (size_t)cJSON_GetArraySize(req);
		if (k == 0) {
			anonymous = true;
			continue;
		}
		const struct oa_scheme **alt = xcalloc(k, sizeof *alt);
		size_t m = 0;
		for (const cJSON *e = req->child; e; e = e->next) {
			const struct oa_scheme *sc = find_scheme(c->spec, e->string);
			if (!sc) {
				err_at(c, e, "security scheme '%s' is not defined in components/securitySchemes", e->string);
				continue;
			}
			alt[m++] = sc;
		}
		s->alts[s->n] = alt;
		s->nalt[s->n++] = m;
	}
	if (anonymous) {
		/* {}: anonymous access is one alternative: nothing to check at all (the other
		 * requirements were still read, so that their unknown schemes are reported) */
		for (size_t i = 0; i < s->n; i++)
			free(s->alts[i]);
		s->n = 0;
	}
}

/* ---- operations and paths ---- */

static char *upper(const char *s)
{
	char *u = xstrdup(s);
	for (char *p = u; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return u;
}

/* Whether template path has a parameter that is not a whole segment ("/f/{name}.{ext}"). */
static bool partial_params(const char *path)
{
	for (const char *seg = path; *seg;) {
		size_t n = strcspn(seg, "/");
		const char *open = memchr(seg, '{', n);
		if (open && !(open == seg && seg[n - 1] == '}' && memchr(seg + 1, '{', n - 1) == NULL))
			return true;
		seg += n + (seg[n] == '/');
	}
	return false;
}

/* Compiles operation o of path item item; first: o is the item's first operation (the
 * item's parameters are compiled again for each, their problems reported for the first). */
static void compile_op(struct compiler *c, struct oa_op *op, const char *path, const char *method,
		       const cJSON *item, const cJSON *o, const cJSON *root, bool first)
{
	op->spec = c->spec;
	op->method = upper(method);
	op->path = xstrdup(path);
	op->node = o;
	const char *opid = string_member(o, "operationId");
	struct strbuf sb = STRBUF_INIT;
	if (opid)
		strbuf_addf(&sb, "openapi:%s", opid);
	else
		strbuf_addf(&sb, "openapi:%s %s", op->method, path);
	op->id = strbuf_detach(&sb, NULL);
	c->quiet = !first;
	compile_params(c, op, member(c, item, "parameters"));
	c->quiet = false;
	compile_params(c, op, member(c, o, "parameters"));
	compile_body(c, op, member(c, o, "requestBody"));
	const cJSON *sec = cJSON_GetObjectItemCaseSensitive(o, "security");
	if (sec) {
		compile_security(c, op, sec);
	} else {
		/* the root's requirements, compiled for every operation that has none of its
		 * own: their problems are reported for the first one only */
		c->quiet = c->root_security_read;
		compile_security(c, op, cJSON_GetObjectItemCaseSensitive(root, "security"));
		c->quiet = false;
		c->root_security_read = true;
	}
	compile_responses(c, op, member(c, o, "responses"));
}

/* The path part of servers[0].url, its variables replaced by their defaults, without a
 * trailing '/'. */
static char *server_prefix(struct compiler *c, const cJSON *root)
{
	const cJSON *servers = member(c, root, "servers");
	const cJSON *first = cJSON_IsArray(servers) ? deref(c, servers->child) : NULL;
	const char *url = string_member(first, "url");
	if (!url)
		return xstrdup("");
	const cJSON *vars = member(c, first, "variables");
	struct strbuf sb = STRBUF_INIT;
	for (const char *p = url; *p;) {
		if (*p == '{' && strchr(p, '}')) {
			const char *end = strchr(p, '}');
			char name[256];
			snprintf(name, sizeof name, "%.*s", (int)(end - p - 1), p + 1);
			const char *dflt = string_member(member(c, vars, name), "default");
			strbuf_adds(&sb, dflt ? dflt : "");
			p = end + 1;
		} else {
			strbuf_addc(&sb, *p++);
		}
	}
	const char *s = sb.buf ? sb.buf : "";
	const char *scheme = strstr(s, "://");
	if (scheme)
		s = scheme + 3;
	else if (s[0] == '/' && s[1] == '/')
		s += 2;
	if (scheme || (sb.buf && sb.buf[0] == '/' && sb.buf[1] == '/'))
		s += strcspn(s, "/");     /* the host */
	else if (*s != '/')
		s += strlen(s);           /* a relative URL without a path: no prefix */
	size_t n = strcspn(s, "?#");
	while (n && s[n - 1] == '/')
		n--;
	char *prefix = xmalloc(n + 1);
	memcpy(prefix, s, n);
	prefix[n] = '\0';
	strbuf_release(&sb);
	return prefix;
}

static void compile_paths(struct compiler *c, const cJSON *root)
{
	struct oa_spec *sp = c->spec;
	const cJSON *paths = member(c, root, "paths");
	if (paths && !cJSON_IsObject(paths)) {
		err_at(c, paths, "'paths' must be an object of path items");
		return;
	}
	size_t npaths = paths ? (size_t)cJSON_GetArraySize(paths) : 0;
	sp->paths = xcalloc(npaths ? npaths : 1, sizeof *sp->paths);
	sp->ops = xcalloc(npaths * 8 + 1, sizeof *sp->ops);
	for (const cJSON *p = npaths ? paths->child : NULL; p; p = p->next) {
		if (strncmp(p->string, "x-", 2) == 0)
			continue;
		if (p->string[0] != '/') {
			err_at(c, p, "path '%s' must start with '/'", p->string);
			continue;
		}
		const cJSON *item = deref(c, p);
		if (!cJSON_IsObject(item)) {
			err_at(c, p, "path item '%s' must be an object", p->string);
			continue;
		}
		struct strbuf full = STRBUF_INIT;
		strbuf_adds(&full, sp->prefix);
		strbuf_adds(&full, strcmp(p->string, "/") == 0 && *sp->prefix ? "" : p->string);
		if (!full.len)
			strbuf_addc(&full, '/');
		struct strbuf allow = STRBUF_INIT;
		for (int m = 0; methods[m]; m++) {
			const cJSON *o = member(c, item, methods[m]);
			if (!o)
				continue;
			if (!cJSON_IsObject(o)) {
				err_at(c, o, "operation '%s' of '%s' must be an object", methods[m], p->string);
				continue;
			}
			compile_op(c, &sp->ops[sp->nops++], full.buf, methods[m], item, o, root, !allow.len);
			if (allow.len)
				strbuf_adds(&allow, ", ");
			strbuf_adds(&allow, sp->ops[sp->nops - 1].method);
		}
		if (!allow.len) {
			strbuf_release(&full);
			strbuf_release(&allow);
			continue;
		}
		/* HEAD is answered like GET where the path has no head operation of its own */
		if (member(c, item, "get") && !member(c, item, "head"))
			strbuf_adds(&allow, ", HEAD");
		struct oa_path *op = &sp->paths[sp->npaths++];
		op->spec = sp;
		op->path = strbuf_detach(&full, NULL);
		op->regex = partial_params(op->path);
		op->allow = strbuf_detach(&allow, NULL);
		struct strbuf body = STRBUF_INIT;
		struct strbuf detail = STRBUF_INIT;
		strbuf_addf(&detail, "%s allows %s", op->path, op->allow);
		oa_problem_json(&body, 405, "Method Not Allowed", detail.buf, NULL, 0);
		strbuf_release(&detail);
		size_t len;
		char *text = strbuf_detach(&body, &len);
		op->answer = reply_shared_create(405, "application/problem+json", text, len);
		reply_shared_add_header(op->answer, "Allow", op->allow);
	}
}

/* ---- the spec ---- */

struct oa_spec *oa_spec_compile(struct openapi_doc *doc, const char *file, bool validate, struct diag_list *diags)
{
	struct oa_spec *sp = xcalloc(1, sizeof *sp);
	atomic_init(&sp->refs, 1);
	sp->file = xstrdup(file);
	sp->validate = validate;
	sp->doc = doc;
	struct compiler c = { .spec = sp, .diags = diags, .schemas = HMAP_INIT };
	const cJSON *root = openapi_doc_root(doc);
	const char *version = string_member(root, "openapi");
	if (!cJSON_IsObject(root) || !version) {
		const char *swagger = string_member(root, "swagger");
		const cJSON *key = cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, "openapi") : NULL;
		if (key)
			/* `openapi: 3.0` in YAML is a number: the key is there, say what is wrong with it */
			err_at(&c, key, "'openapi' must be a version string such as '3.0.3' or '3.1.0'");
		else if (swagger)
			err_at(&c, cJSON_GetObjectItemCaseSensitive(root, "swagger"),
			       "Swagger %s is not supported: expected an OpenAPI 3.0 or 3.1 document (convert it, e.g. with swagger2openapi)",
			       swagger);
		else
			err_at(&c, root, "not an OpenAPI document: expected a top-level 'openapi' key (3.0.x or 3.1.x)");
		goto out;
	}
	if (strncmp(version, "3.0", 3) == 0 && (version[3] == '\0' || version[3] == '.')) {
		sp->oas31 = false;
	} else if (strncmp(version, "3.1", 3) == 0 && (version[3] == '\0' || version[3] == '.')) {
		sp->oas31 = true;
	} else {
		err_at(&c, cJSON_GetObjectItemCaseSensitive(root, "openapi"),
		       "OpenAPI version '%s' is not supported: expected 3.0.x or 3.1.x", version);
		goto out;
	}
	sp->prefix = server_prefix(&c, root);
	compile_schemes(&c, root);
	compile_paths(&c, root);
out:
	hmap_release(&c.schemas, NULL);
	if (c.errors) {
		oa_spec_unref(sp);
		return NULL;
	}
	return sp;
}

struct oa_spec *oa_spec_ref(struct oa_spec *s)
{
	atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	return s;
}

static void media_release(struct oa_media *m)
{
	free(m->type);
	reply_shared_unref(atomic_load(&m->answer));
	for (size_t i = 0; i < m->nexamples; i++) {
		free(m->examples[i].name);
		reply_shared_unref(m->examples[i].answer);
	}
	free(m->examples);
}

static void op_release(struct oa_op *op)
{
	free(op->method);
	free(op->path);
	free(op->id);
	for (size_t i = 0; i < op->nparams; i++)
		free(op->params[i].name);
	free(op->params);
	for (size_t i = 0; i < op->nbody; i++)
		free(op->body[i].type);
	free(op->body);
	for (size_t i = 0; i < op->security.n; i++)
		free(op->security.alts[i]);
	free(op->security.alts);
	free(op->security.nalt);
	for (size_t i = 0; i < op->nresponses; i++) {
		struct oa_response *r = &op->responses[i];
		free(r->code);
		for (size_t j = 0; j < r->nmedia; j++)
			media_release(&r->media[j]);
		free(r->media);
		for (size_t j = 0; j < r->nheaders; j++) {
			free(r->headers[j].name);
			free(r->headers[j].value);
		}
		free(r->headers);
		reply_shared_unref(r->empty);
	}
	free(op->responses);
	for (size_t i = 0; i < op->ngroups; i++)
		free(op->group_names[i]);
	free(op->group_names);
}

void oa_spec_unref(struct oa_spec *s)
{
	if (!s || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (size_t i = 0; i < s->nops; i++)
		op_release(&s->ops[i]);
	free(s->ops);
	for (size_t i = 0; i < s->npaths; i++) {
		free(s->paths[i].path);
		free(s->paths[i].allow);
		reply_shared_unref(s->paths[i].answer);
	}
	free(s->paths);
	for (size_t i = 0; i < s->nschemes; i++) {
		free(s->schemes[i].name);
		free(s->schemes[i].param);
		free(s->schemes[i].http_scheme);
		free(s->schemes[i].challenge);
	}
	free(s->schemes);
	jsonschema_lib_destroy(s->lib);
	openapi_doc_destroy(s->doc);
	free(s->prefix);
	free(s->file);
	free(s);
}

const struct oa_response *oa_op_response(const struct oa_op *op, int status)
{
	char code[8];
	snprintf(code, sizeof code, "%d", status);
	for (size_t i = 0; i < op->nresponses; i++)
		if (strcmp(op->responses[i].code, code) == 0)
			return &op->responses[i];
	for (size_t i = 0; i < op->nresponses; i++) {
		const char *rc = op->responses[i].code;
		if (rc[0] == code[0] && toupper((unsigned char)rc[1]) == 'X' && toupper((unsigned char)rc[2]) == 'X')
			return &op->responses[i];
	}
	return NULL;
}
