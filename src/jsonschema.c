/* SPDX-License-Identifier: MIT */
/* JSON Schema for OpenAPI: a compiler from the schema's cJSON tree to nodes (one per
 * schema object; a `$ref` target compiled once and shared, so cycles are pointers back),
 * and a validator that walks nodes and instance together, depth- and step-bounded. */
#include "jsonschema.h"

#include <arpa/inet.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonschema_node.h"
#include "regex.h"
#include "util/hmap.h"
#include "util/numtext.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* ---- names ---------------------------------------------------------------------------- */

/* by T_* bit position */
static const char *const type_names[] = {
	"null", "boolean", "integer", "number", "string", "array", "object",
};

/* by enum format */
static const char *const format_names[] = {
	"", "int32", "int64", "float", "double", "date", "date-time", "email", "uuid", "uri",
	"ipv4", "ipv6", "byte",
};

/* ---- compiling ------------------------------------------------------------------------ */

struct compiler {
	struct jsonschema *s;
	enum jsonschema_dialect d;
	jsonschema_resolve_fn *resolve;
	void *cls;
	struct hmap refs;           /* "%p" of a $ref target -> its node */
	char *err;
	const cJSON *at;
};

static struct node *new_node(struct compiler *c)
{
	struct jsonschema *s = c->s;
	if (s->nnodes == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->nodes = xrealloc(s->nodes, s->cap * sizeof *s->nodes);
	}
	/* on a cache line of its own: the fast check reads a node's first 64 bytes */
	size_t size = (sizeof(struct node) + 63) / 64 * 64;
	struct node *n = aligned_alloc(64, size);
	if (!n)
		n = xcalloc(1, sizeof *n);   /* aborts with the out-of-memory message */
	memset(n, 0, sizeof *n);
	n->min_items = n->max_items = n->min_length = n->max_length = -1;
	n->min_props = n->max_props = -1;
	s->nodes[s->nnodes++] = n;
	return n;
}

static bool fail(struct compiler *c, const cJSON *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static char *vformat(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* fmt with ap, as a string the caller frees. */
static char *vformat(const char *fmt, va_list ap)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_vaddf(&sb, fmt, ap);
	return strbuf_detach(&sb, NULL);
}

/* Keeps the first error only: what failed deeper down says more than its callers. */
static bool fail(struct compiler *c, const cJSON *at, const char *fmt, ...)
{
	if (c->err)
		return false;
	va_list ap;
	va_start(ap, fmt);
	c->err = vformat(fmt, ap);
	va_end(ap);
	c->at = at;
	return false;
}

bool jsonschema_number_of(const cJSON *item, double *out)
{
	if (cJSON_IsNumber(item)) {
		*out = item->valuedouble;
		return true;
	}
	if (cJSON_IsRaw(item) && item->valuestring && item->valuestring[0]) {
		char *end;
		*out = strtod(item->valuestring, &end);
		return *end == '\0';
	}
	return false;
}

static bool get_count(struct compiler *c, const cJSON *v, const char *kw, long *out)
{
	double d;
	if (!jsonschema_number_of(v, &d) || d < 0 || d != floor(d) || d > 1e15)
		return fail(c, v, "'%s' must be a non-negative integer", kw);
	*out = (long)d;
	return true;
}

static bool get_number(struct compiler *c, const cJSON *v, const char *kw, double *out)
{
	if (!jsonschema_number_of(v, out) || !isfinite(*out))
		return fail(c, v, "'%s' must be a number", kw);
	return true;
}

static bool get_bool(struct compiler *c, const cJSON *v, const char *kw, bool *out)
{
	if (!cJSON_IsBool(v))
		return fail(c, v, "'%s' must be true or false", kw);
	*out = cJSON_IsTrue(v);
	return true;
}

static struct node *compile_node(struct compiler *c, const cJSON *js, unsigned depth);

static bool compile_list(struct compiler *c, const cJSON *v, const char *kw, struct list *l,
			 unsigned depth)
{
	if (!cJSON_IsArray(v) || !v->child)
		return fail(c, v, "'%s' must be a non-empty array of schemas", kw);
	l->n = (size_t)cJSON_GetArraySize(v);
	l->v = xcalloc(l->n, sizeof *l->v);
	size_t i = 0;
	for (const cJSON *e = v->child; e; e = e->next)
		if (!(l->v[i++] = compile_node(c, e, depth + 1)))
			return false;
	return true;
}

static bool compile_type(struct compiler *c, struct node *n, const cJSON *v)
{
	if (cJSON_IsArray(v) && c->d == JSONSCHEMA_OAS30)
		return fail(c, v, "'type' must be a string in OpenAPI 3.0 (a list of types needs "
			    "3.1; use 'nullable' for null)");
	const cJSON *one = v;
	if (cJSON_IsArray(v))
		one = v->child;
	else if (!cJSON_IsString(v))
		return fail(c, v, "'type' must be a string or an array of strings");
	for (; one; one = cJSON_IsArray(v) ? one->next : NULL) {
		size_t i = 0;
		while (i < sizeof type_names / sizeof *type_names &&
		       !(cJSON_IsString(one) && !strcmp(one->valuestring, type_names[i])))
			i++;
		if (i == sizeof type_names / sizeof *type_names)
			return fail(c, one, "'type' must be one of null, boolean, integer, number, "
				    "string, array, object");
		n->types |= 1u << i;
		if (!n->first_type && i)
			n->first_type = 1u << i;   /* what an example is built as */
	}
	if (!n->types)
		return fail(c, v, "'type' must not be an empty array");
	return true;
}

static struct node *resolve_target(struct compiler *c, const cJSON *target, unsigned depth);

static struct node *resolve_ref(struct compiler *c, const cJSON *v, unsigned depth)
{
	if (!cJSON_IsString(v))
		return fail(c, v, "'$ref' must be a string"), NULL;
	const cJSON *target = c->resolve ? c->resolve(c->cls, v->valuestring, v) : NULL;
	if (!target)
		return fail(c, v, "'$ref' '%s' does not resolve", v->valuestring), NULL;
	return resolve_target(c, target, depth);
}

/* target's node: the one compiled already (a cycle, or a schema referred to twice), or a
 * new one. */
static struct node *resolve_target(struct compiler *c, const cJSON *target, unsigned depth)
{
	char key[32];
	snprintf(key, sizeof key, "%p", (const void *)target);
	struct node *n = hmap_get(&c->refs, key);
	if (n)
		return n;
	return compile_node(c, target, depth + 1);
}

/* A mapping value is a $ref, or the name of a schema under #/components/schemas. */
static struct node *resolve_mapping(struct compiler *c, const cJSON *m, unsigned depth)
{
	if (strchr(m->valuestring, '/') || strchr(m->valuestring, '#') || !c->resolve)
		return resolve_ref(c, m, depth);
	struct strbuf ref = STRBUF_INIT;
	strbuf_addf(&ref, "#/components/schemas/%s", m->valuestring);
	const cJSON *target = c->resolve(c->cls, ref.buf, NULL);
	strbuf_release(&ref);
	return target ? resolve_target(c, target, depth) : resolve_ref(c, m, depth);
}

/* Whether a mapping value names a schema, as resolve_mapping would find it. */
static bool mapping_resolves(struct compiler *c, const cJSON *m)
{
	if (!c->resolve)
		return false;
	if (strchr(m->valuestring, '/') || strchr(m->valuestring, '#'))
		return c->resolve(c->cls, m->valuestring, m) != NULL;
	struct strbuf ref = STRBUF_INIT;
	strbuf_addf(&ref, "#/components/schemas/%s", m->valuestring);
	bool ok = c->resolve(c->cls, ref.buf, NULL) || c->resolve(c->cls, m->valuestring, m);
	strbuf_release(&ref);
	return ok;
}

static bool compile_discriminator(struct compiler *c, struct node *n, const cJSON *v,
				  const cJSON *schema, unsigned depth)
{
	const cJSON *pn = cJSON_GetObjectItemCaseSensitive(v, "propertyName");
	if (!cJSON_IsObject(v) || !cJSON_IsString(pn))
		return fail(c, v, "'discriminator' must be an object with a string 'propertyName'");
	n->disc_prop = xstrdup(pn->valuestring);
	const cJSON *mapping = cJSON_GetObjectItemCaseSensitive(v, "mapping");
	const cJSON *branches = cJSON_GetObjectItemCaseSensitive(schema, "oneOf");
	if (!branches)
		branches = cJSON_GetObjectItemCaseSensitive(schema, "anyOf");
	size_t cap = (size_t)cJSON_GetArraySize(mapping) + (size_t)cJSON_GetArraySize(branches);
	n->disc_map = xcalloc(cap ? cap : 1, sizeof *n->disc_map);
	if (mapping) {
		if (!cJSON_IsObject(mapping))
			return fail(c, mapping, "'mapping' must be an object of strings");
		for (const cJSON *m = mapping->child; m; m = m->next) {
			if (!cJSON_IsString(m))
				return fail(c, m, "'mapping' must be an object of strings");
			if (!mapping_resolves(c, m)) {
				/* a mapping that names nothing (bundled specs keep names of files
				 * they did not bundle): the branches are tried as plain oneOf/anyOf */
				for (size_t k = 0; k < n->ndisc_map; k++)
					free(n->disc_map[k].value);
				free(n->disc_map);
				n->disc_map = NULL;
				n->ndisc_map = 0;
				free(n->disc_prop);
				n->disc_prop = NULL;
				return true;
			}
			struct node *t = resolve_mapping(c, m, depth);
			if (!t)
				return false;
			n->disc_map[n->ndisc_map++] = (struct mapping){ xstrdup(m->string), t };
		}
	}
	/* implicit: a branch `$ref: '#/components/schemas/Cat'` is chosen by "Cat" */
	size_t i = 0;
	const struct list *l = n->one_of.n ? &n->one_of : &n->any_of;
	for (const cJSON *b = cJSON_IsArray(branches) ? branches->child : NULL; b && i < l->n;
	     b = b->next, i++) {
		const cJSON *ref = cJSON_GetObjectItemCaseSensitive(b, "$ref");
		if (!cJSON_IsString(ref))
			continue;
		const char *name = strrchr(ref->valuestring, '/');
		name = name ? name + 1 : ref->valuestring;
		n->disc_map[n->ndisc_map++] = (struct mapping){ xstrdup(name), l->v[i] };
	}
	return true;
}

/* p's plain and head (see struct prop), from its name: set with the name, so that no
 * property is without them (a zeroed head_mask would match any member). */
static void set_head(struct prop *p)
{
	p->plain = !strpbrk(p->name, "\"\\");
	if (p->plain && p->len <= PROP_HEAD_MAX) {
		p->head[0] = '"';
		memcpy(p->head + 1, p->name, p->len);
		p->head[p->len + 1] = '"';
		p->head[p->len + 2] = ':';
		memset(p->head_mask, 0xFF, p->len + 3);
	} else {
		p->head[0] = '\0';
		p->head_mask[0] = 0xFF;
	}
}

static bool compile_keyword(struct compiler *c, struct node *n, const cJSON *schema,
			    const cJSON *v, unsigned depth)
{
	const char *k = v->string;
	if (!strcmp(k, "type"))
		return compile_type(c, n, v);
	if (!strcmp(k, "nullable")) {
		bool b = false;
		if (c->d != JSONSCHEMA_OAS30)
			return true;   /* not a 3.1 keyword */
		if (!get_bool(c, v, k, &b))
			return false;
		n->types |= b && cJSON_GetObjectItemCaseSensitive(schema, "type") ? T_NULL : 0;
		return true;
	}
	if (!strcmp(k, "enum")) {
		if (!cJSON_IsArray(v))
			return fail(c, v, "'enum' must be an array");
		n->enum_values = v;
		return true;
	}
	if (!strcmp(k, "const")) {
		n->const_value = v;
		return true;
	}
	if (!strcmp(k, "required")) {
		if (!cJSON_IsArray(v))
			return fail(c, v, "'required' must be an array of strings");
		n->required = xcalloc((size_t)cJSON_GetArraySize(v) + 1, sizeof *n->required);
		for (const cJSON *e = v->child; e; e = e->next) {
			if (!cJSON_IsString(e))
				return fail(c, e, "'required' must be an array of strings");
			n->required[n->nrequired++] = xstrdup(e->valuestring);
		}
		return true;
	}
	if (!strcmp(k, "properties")) {
		if (!cJSON_IsObject(v))
			return fail(c, v, "'properties' must be an object of schemas");
		/* one block: the properties, then their names, read together by the fast check */
		size_t count = (size_t)cJSON_GetArraySize(v) + 1, names = 0;
		for (const cJSON *e = v->child; e; e = e->next)
			names += strlen(e->string) + 1;
		n->props = xcalloc(1, count * sizeof *n->props + names);
		char *at = (char *)(n->props + count);
		for (const cJSON *e = v->child; e; e = e->next) {
			struct prop *p = &n->props[n->nprops++];
			p->len = strlen(e->string);
			p->name = memcpy(at, e->string, p->len + 1);
			at += p->len + 1;
			set_head(p);
			if (!(p->schema = compile_node(c, e, depth + 1)))
				return false;
		}
		return true;
	}
	if (!strcmp(k, "patternProperties")) {
		if (!cJSON_IsObject(v))
			return fail(c, v, "'patternProperties' must be an object of schemas");
		n->pprops = xcalloc((size_t)cJSON_GetArraySize(v) + 1, sizeof *n->pprops);
		for (const cJSON *e = v->child; e; e = e->next) {
			char *rerr = NULL;
			size_t off = 0;
			struct pattern_prop *p = &n->pprops[n->npprops++];
			if (!(p->re = regex_compile_search(e->string, false, &rerr, &off))) {
				fail(c, e, "'patternProperties' key '%s' is not a valid regular "
				     "expression: %s at offset %zu", e->string, rerr, off);
				free(rerr);
				return false;
			}
			if (!(p->schema = compile_node(c, e, depth + 1)))
				return false;
		}
		return true;
	}
	if (!strcmp(k, "additionalProperties")) {
		if (cJSON_IsFalse(v))
			n->no_additional = true;
		else if (!cJSON_IsTrue(v) && !(n->additional = compile_node(c, v, depth + 1)))
			return false;
		return true;
	}
	if (!strcmp(k, "items")) {
		if (cJSON_IsArray(v))
			return fail(c, v, "'items' must be one schema (tuples are not supported)");
		return (n->items = compile_node(c, v, depth + 1)) != NULL;
	}
	if (!strcmp(k, "minItems"))
		return get_count(c, v, k, &n->min_items);
	if (!strcmp(k, "maxItems"))
		return get_count(c, v, k, &n->max_items);
	if (!strcmp(k, "minLength"))
		return get_count(c, v, k, &n->min_length);
	if (!strcmp(k, "maxLength"))
		return get_count(c, v, k, &n->max_length);
	if (!strcmp(k, "minProperties"))
		return get_count(c, v, k, &n->min_props);
	if (!strcmp(k, "maxProperties"))
		return get_count(c, v, k, &n->max_props);
	if (!strcmp(k, "uniqueItems"))
		return get_bool(c, v, k, &n->unique_items);
	if (!strcmp(k, "pattern")) {
		if (!cJSON_IsString(v))
			return fail(c, v, "'pattern' must be a string");
		char *rerr = NULL;
		size_t off = 0;
		if (!(n->pattern = regex_compile_search(v->valuestring, false, &rerr, &off))) {
			fail(c, v, "'pattern' is not a valid regular expression: %s at offset %zu",
			     rerr, off);
			free(rerr);
			return false;
		}
		return true;
	}
	if (!strcmp(k, "minimum"))
		return (n->has_min = get_number(c, v, k, &n->min));
	if (!strcmp(k, "maximum"))
		return (n->has_max = get_number(c, v, k, &n->max));
	if (!strcmp(k, "exclusiveMinimum") || !strcmp(k, "exclusiveMaximum")) {
		bool is_min = !strcmp(k, "exclusiveMinimum");
		if (c->d == JSONSCHEMA_OAS30) {
			if (!cJSON_IsBool(v))
				return fail(c, v, "'%s' must be true or false in OpenAPI 3.0 (a "
					    "number needs 3.1)", k);
			*(is_min ? &n->excl_min : &n->excl_max) = cJSON_IsTrue(v);
			return true;
		}
		if (!jsonschema_number_of(v, &(double){ 0 }))
			return fail(c, v, "'%s' must be a number in OpenAPI 3.1 (true or false "
				    "was 3.0)", k);
		return true;   /* applied after all keywords are read: see compile_node */
	}
	if (!strcmp(k, "multipleOf")) {
		if (!get_number(c, v, k, &n->multiple_of))
			return false;
		if (n->multiple_of <= 0)
			return fail(c, v, "'multipleOf' must be greater than 0");
		return true;
	}
	if (!strcmp(k, "format")) {
		if (!cJSON_IsString(v))
			return fail(c, v, "'format' must be a string");
		for (size_t i = 1; i < sizeof format_names / sizeof *format_names; i++)
			if (!strcmp(v->valuestring, format_names[i]))
				n->format = (enum format)i;
		return true;   /* an unknown format is an annotation */
	}
	if (!strcmp(k, "allOf"))
		return compile_list(c, v, k, &n->all_of, depth);
	if (!strcmp(k, "anyOf"))
		return compile_list(c, v, k, &n->any_of, depth);
	if (!strcmp(k, "oneOf"))
		return compile_list(c, v, k, &n->one_of, depth);
	if (!strcmp(k, "not"))
		return (n->not = compile_node(c, v, depth + 1)) != NULL;
	return true;   /* unknown keywords and annotations (example, readOnly: compile_node) */
}

/* Whether a member before v has its name: cJSON keeps duplicate keys, and the first one is
 * what cJSON_GetObjectItem (and so the rest of cannery) sees. */
static bool repeated(const cJSON *v)
{
	for (const cJSON *e = v->prev; e && e->next; e = e->prev)
		if (!strcmp(e->string, v->string))
			return true;
	return false;
}

/* n's `required` against its properties (see struct node): what lets an object's members
 * be matched once, each against the property after the one matched before. */
static void index_required(struct node *n)
{
	for (size_t i = 0; i < n->nprops && !n->props_dup; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(n->props[i].name, n->props[j].name)) {
				n->props_dup = true;
				break;
			}
	if (!n->nrequired)
		return;
	n->req_prop = xcalloc(n->nrequired, sizeof *n->req_prop);
	n->req_other = xcalloc(n->nrequired, sizeof *n->req_other);
	for (size_t i = 0; i < n->nrequired; i++) {
		size_t next = 0;
		size_t p = jsonschema_node_find_prop(n, n->required[i], strlen(n->required[i]), &next);
		n->req_prop[i] = p;
		if (p != NODE_NO_PROP) {
			n->nreq_props += !n->props[p].required;
			n->props[p].required = true;
			continue;
		}
		bool seen = false;
		for (size_t k = 0; k < n->nreq_other && !seen; k++)
			seen = !strcmp(n->req_other[k], n->required[i]);
		if (!seen)
			n->req_other[n->nreq_other++] = n->required[i];
	}
}

static struct node *compile_node(struct compiler *c, const cJSON *js, unsigned depth)
{
	if (depth > JSONSCHEMA_MAX_COMPILE_DEPTH)
		return fail(c, js, "schema nested more than %d levels deep",
			    JSONSCHEMA_MAX_COMPILE_DEPTH),
		       NULL;
	if (cJSON_IsBool(js) && c->d == JSONSCHEMA_OAS31) {
		struct node *n = new_node(c);
		n->never = cJSON_IsFalse(js);
		return n;
	}
	if (!cJSON_IsObject(js))
		return fail(c, js, c->d == JSONSCHEMA_OAS31 ? "a schema must be an object or a boolean"
			    : "a schema must be an object"), NULL;
	char key[32];
	snprintf(key, sizeof key, "%p", (const void *)js);
	struct node *n = hmap_get(&c->refs, key);
	if (n)
		return n;     /* compiled before, by this compile or (a library) an earlier one */
	n = new_node(c);
	hmap_put(&c->refs, key, n);   /* a $ref back to js (a cycle) finds n */

	const cJSON *ref = cJSON_GetObjectItemCaseSensitive(js, "$ref");
	if (ref && !(n->ref = resolve_ref(c, ref, depth)))
		return NULL;
	if (ref && c->d == JSONSCHEMA_OAS30)
		return n;   /* 3.0: "any sibling elements of a $ref are ignored" */
	/* oneOf/anyOf first: the discriminator's implicit mapping names their branches */
	for (const cJSON *v = js->child; v; v = v->next)
		if ((!strcmp(v->string, "oneOf") || !strcmp(v->string, "anyOf")) && !repeated(v) &&
		    !compile_keyword(c, n, js, v, depth))
			return NULL;
	for (const cJSON *v = js->child; v; v = v->next) {
		if (!strcmp(v->string, "oneOf") || !strcmp(v->string, "anyOf") ||
		    !strcmp(v->string, "$ref") || repeated(v))
			continue;
		if (!strcmp(v->string, "discriminator")) {
			if (!compile_discriminator(c, n, v, js, depth))
				return NULL;
			continue;
		}
		if (!compile_keyword(c, n, js, v, depth))
			return NULL;
	}
	index_required(n);
	/* annotations for generation: 3.1's `examples` over the `example` it deprecates */
	const cJSON *examples = cJSON_GetObjectItemCaseSensitive(js, "examples");
	if (c->d == JSONSCHEMA_OAS31 && cJSON_IsArray(examples) && examples->child)
		n->example = examples->child;
	else
		n->example = cJSON_GetObjectItemCaseSensitive(js, "example");
	n->default_value = cJSON_GetObjectItemCaseSensitive(js, "default");
	n->read_only = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(js, "readOnly"));
	n->write_only = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(js, "writeOnly"));
	if (c->d == JSONSCHEMA_OAS31) {
		/* numeric exclusive bounds: the tighter of the two bounds wins */
		double x;
		if (jsonschema_number_of(cJSON_GetObjectItemCaseSensitive(js, "exclusiveMinimum"), &x) &&
		    (!n->has_min || x >= n->min)) {
			n->has_min = n->excl_min = true;
			n->min = x;
		}
		if (jsonschema_number_of(cJSON_GetObjectItemCaseSensitive(js, "exclusiveMaximum"), &x) &&
		    (!n->has_max || x <= n->max)) {
			n->has_max = n->excl_max = true;
			n->max = x;
		}
	} else {
		n->excl_min &= n->has_min;
		n->excl_max &= n->has_max;
	}
	return n;
}

/* struct node's fast for s->nodes[from..nnodes), all compiled now. */
static void summarize(struct jsonschema *s, size_t from)
{
	for (size_t i = from; i < s->nnodes; i++) {
		struct node *n = s->nodes[i];
		if (n->any_of.n || n->one_of.n || n->not || n->disc_prop || n->unique_items || n->npprops)
			n->fast |= NODE_UNDECIDED;
		if (!n->never && !n->types && !n->enum_values && !n->const_value && !n->nrequired &&
		    !n->nprops && !n->no_additional && !n->additional && !n->items && n->min_items < 0 &&
		    n->max_items < 0 && n->min_length < 0 && n->max_length < 0 && n->min_props < 0 &&
		    n->max_props < 0 && !n->pattern && !n->has_min && !n->has_max && !n->multiple_of &&
		    !n->format && !(n->fast & NODE_UNDECIDED))
			n->fast |= NODE_INERT;
		if (!(n->fast & (NODE_UNDECIDED | NODE_INERT)) && !n->never && !n->ref && !n->all_of.n)
			n->fast |= NODE_ALONE;
		if (n->enum_values || n->const_value || n->pattern || n->format > FMT_DOUBLE ||
		    n->min_length >= 0 || n->max_length >= 0)
			n->fast |= NODE_STR_CHECKS;
	}
}

struct jsonschema *jsonschema_compile(const cJSON *schema, enum jsonschema_dialect d,
				      jsonschema_resolve_fn *resolve, void *cls,
				      char **err, const cJSON **at)
{
	struct jsonschema *s = xcalloc(1, sizeof *s);
	struct compiler c = { .s = s, .d = d, .resolve = resolve, .cls = cls };
	s->root = compile_node(&c, schema, 0);
	hmap_release(&c.refs, NULL);
	if (!s->root) {
		if (err)
			*err = c.err;
		else
			free(c.err);
		if (at)
			*at = c.at;
		jsonschema_destroy(s);
		return NULL;
	}
	summarize(s, 0);
	return s;
}

/* ---- a library: schemas compiled together, sharing what they share ----------------- */

struct jsonschema_lib {
	struct compiler c;
	struct jsonschema pool;     /* every node of every schema compiled */
	struct jsonschema **made;
	size_t nmade;
	bool broken;                /* a compile failed half way: nothing more is compiled */
};

struct jsonschema_lib *jsonschema_lib_create(enum jsonschema_dialect d, jsonschema_resolve_fn *resolve, void *cls)
{
	struct jsonschema_lib *lib = xcalloc(1, sizeof *lib);
	lib->c = (struct compiler){ .s = &lib->pool, .d = d, .resolve = resolve, .cls = cls };
	return lib;
}

const struct jsonschema *jsonschema_lib_compile(struct jsonschema_lib *lib, const cJSON *schema, char **err,
						const cJSON **at)
{
	if (lib->broken) {
		if (err)
			*err = xstrdup("an earlier schema failed to compile");
		if (at)
			*at = schema;
		return NULL;
	}
	struct compiler *c = &lib->c;
	c->err = NULL;
	c->at = NULL;
	size_t from = lib->pool.nnodes;
	struct node *root = compile_node(c, schema, 0);
	if (!root) {
		lib->broken = true;
		if (err)
			*err = c->err;
		else
			free(c->err);
		c->err = NULL;
		if (at)
			*at = c->at;
		return NULL;
	}
	summarize(&lib->pool, from);
	struct jsonschema *s = xcalloc(1, sizeof *s);
	s->root = root;
	lib->made = xrealloc(lib->made, (lib->nmade + 1) * sizeof *lib->made);
	lib->made[lib->nmade++] = s;
	return s;
}

size_t jsonschema_lib_nodes(const struct jsonschema_lib *lib)
{
	return lib->pool.nnodes;
}

static void free_node(struct node *n);

void jsonschema_lib_destroy(struct jsonschema_lib *lib)
{
	if (!lib)
		return;
	for (size_t i = 0; i < lib->pool.nnodes; i++)
		free_node(lib->pool.nodes[i]);
	free(lib->pool.nodes);
	for (size_t i = 0; i < lib->nmade; i++)
		free(lib->made[i]);
	free(lib->made);
	hmap_release(&lib->c.refs, NULL);
	free(lib);
}

static void free_node(struct node *n)
{
	for (size_t i = 0; i < n->nrequired; i++)
		free(n->required[i]);
	free(n->required);
	free(n->req_prop);
	free(n->req_other);
	free(n->props);             /* and the names after them */
	for (size_t i = 0; i < n->npprops; i++)
		regex_destroy(n->pprops[i].re);
	free(n->pprops);
	regex_destroy(n->pattern);
	free(n->all_of.v);
	free(n->any_of.v);
	free(n->one_of.v);
	free(n->disc_prop);
	for (size_t i = 0; i < n->ndisc_map; i++)
		free(n->disc_map[i].value);
	free(n->disc_map);
	free(n);
}

void jsonschema_destroy(struct jsonschema *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nnodes; i++)
		free_node(s->nodes[i]);
	free(s->nodes);
	free(s);
}

/* ---- validating ----------------------------------------------------------------------- */

struct run {
	struct jsonschema_error *out;
	size_t max;
	size_t count;          /* errors found */
	bool probe;            /* inside anyOf/oneOf/not: only whether there is an error */
	struct strbuf path;
	unsigned depth;
	size_t steps;
	bool gave_up;          /* JSONSCHEMA_MAX_STEPS reached */
	/* the discriminators being applied, each to its instance: a subtype that is allOf its
	 * base (Cat: allOf [Pet, ...], Pet's discriminator mapping to Cat) meets the base's
	 * discriminator again on the same instance, which then is already being checked */
	const struct node *disc[16];
	const cJSON *disc_of[16];
	size_t ndisc;
};

static void report(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void report(struct run *r, const char *fmt, ...)
{
	if (r->count >= JSONSCHEMA_MAX_ERRORS)
		return;
	if (!r->probe && r->count < r->max) {
		va_list ap;
		va_start(ap, fmt);
		r->out[r->count].message = vformat(fmt, ap);
		va_end(ap);
		r->out[r->count].path = xstrdup(strbuf_str(&r->path));
	}
	r->count++;
}

/* Whether to stop: enough errors, or (probing) any. */
static bool done(const struct run *r)
{
	return r->gave_up || r->count >= JSONSCHEMA_MAX_ERRORS || (r->probe && r->count);
}

static unsigned type_of(const cJSON *v)
{
	double d;
	if (cJSON_IsNull(v))
		return T_NULL;
	if (cJSON_IsBool(v))
		return T_BOOLEAN;
	if (jsonschema_number_of(v, &d))
		return isfinite(d) && d == floor(d) ? T_INTEGER | T_NUMBER : T_NUMBER;
	if (cJSON_IsString(v))
		return T_STRING;
	if (cJSON_IsArray(v))
		return T_ARRAY;
	if (cJSON_IsObject(v))
		return T_OBJECT;
	return 0;
}

/* A number as short as it reads back the same. */
static void add_number(struct strbuf *sb, double d)
{
	char buf[40];
	snprintf(buf, sizeof buf, "%.15g", d);
	if (strtod(buf, NULL) != d)
		snprintf(buf, sizeof buf, "%.17g", d);
	strbuf_adds(sb, buf);
}

/* A value for a message: scalars as JSON (long strings cut), containers by kind. */
static void add_value(struct strbuf *sb, const cJSON *v)
{
	double d;
	if (cJSON_IsObject(v)) {
		strbuf_adds(sb, "an object");
	} else if (cJSON_IsArray(v)) {
		strbuf_adds(sb, "an array");
	} else if (cJSON_IsString(v)) {
		size_t len = strlen(v->valuestring);
		strbuf_add_json_string(sb, v->valuestring, len > 40 ? 40 : len);
		if (len > 40)
			strbuf_adds(sb, "...");
	} else if (jsonschema_number_of(v, &d)) {
		add_number(sb, d);
	} else {
		strbuf_adds(sb, cJSON_IsNull(v) ? "null" : cJSON_IsTrue(v) ? "true" : "false");
	}
}

static void add_types(struct strbuf *sb, unsigned types)
{
	bool first = true;
	if ((types & T_INTEGER) && (types & T_NUMBER))
		types &= ~(unsigned)T_INTEGER;
	for (size_t i = 0; i < sizeof type_names / sizeof *type_names; i++) {
		if (!(types & (1u << i)))
			continue;
		if (!first)
			strbuf_adds(sb, " or ");
		strbuf_adds(sb, type_names[i]);
		first = false;
	}
}

static void add_list(struct strbuf *sb, const cJSON *arr)
{
	strbuf_addc(sb, '[');
	for (const cJSON *e = arr->child; e; e = e->next) {
		char *t = json_print(e, NULL);
		strbuf_adds(sb, t);
		free(t);
		if (e->next)
			strbuf_adds(sb, ", ");
	}
	strbuf_addc(sb, ']');
}

static size_t push(struct run *r, const char *seg)
{
	size_t len = r->path.len;
	if (len)
		strbuf_addc(&r->path, '.');
	strbuf_adds(&r->path, seg);
	return len;
}

static void pop(struct run *r, size_t len)
{
	r->path.len = len;
	if (r->path.buf)
		r->path.buf[len] = '\0';
}

static bool equal(const cJSON *a, const cJSON *b)
{
	double x, y;
	if (jsonschema_number_of(a, &x) && jsonschema_number_of(b, &y))
		return x == y;
	if (cJSON_IsArray(a) && cJSON_IsArray(b)) {
		const cJSON *i = a->child, *j = b->child;
		for (; i && j; i = i->next, j = j->next)
			if (!equal(i, j))
				return false;
		return !i && !j;
	}
	if (cJSON_IsObject(a) && cJSON_IsObject(b)) {
		if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
			return false;
		for (const cJSON *i = a->child; i; i = i->next) {
			const cJSON *j = cJSON_GetObjectItemCaseSensitive(b, i->string);
			if (!j || !equal(i, j))
				return false;
		}
		return true;
	}
	return cJSON_Compare(a, b, true);
}

/* ---- formats ---- */

static bool digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int num2(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* Whether the eight bytes at s are written as pattern, where '0' stands for any digit
 * ("0000-00-", "00:00:00"), all at once (a date is checked on every body that has one).
 * XOR with the pattern leaves 0..9 for a digit where it has '0' and 0 for its own
 * byte elsewhere; a byte at 0x80 or above stays so, and adding 0x76 to bytes under
 * 0x80 carries into no other byte. */
static inline bool written_like(const char *s, const char pattern[8])
{
	const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
	uint64_t w, pat;
	memcpy(&w, s, 8);
	memcpy(&pat, pattern, 8);
	/* 0xFF where the pattern has no '0' (its bytes are ASCII) */
	uint64_t y = pat ^ ones * '0', others = (((((y & ~high) + ~high) | y) & high) >> 7) * 0xFF;
	uint64_t x = w ^ pat;
	return !(x & high) && !((x + ones * 0x76) & high) && !(x & others);
}

static bool is_date(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (!written_like(s, "0000-00-") || !digits(s + 8, 2))
		return false;
	int y = num2(s) * 100 + num2(s + 2), m = num2(s + 5), d = num2(s + 8);
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m != 2 || d < 29 || leap;
}

static bool is_date_time(const char *s, size_t len)
{
	const char *end = s + len;
	if (len < 20 || !is_date(s) || (s[10] != 'T' && s[10] != 't'))
		return false;
	const char *t = s + 11;
	if (!written_like(t, "00:00:00"))
		return false;
	if (num2(t) > 23 || num2(t + 3) > 59 || num2(t + 6) > 60)
		return false;
	t += 8;
	if (*t == '.') {
		if (++t == end || !digits(t, 1))
			return false;
		while (t < end && *t >= '0' && *t <= '9')
			t++;
	}
	if (t == end)
		return false;
	if ((*t == 'Z' || *t == 'z') && t + 1 == end)
		return true;
	return end - t == 6 && (*t == '+' || *t == '-') && digits(t + 1, 2) && t[3] == ':' &&
	       digits(t + 4, 2) && num2(t + 1) <= 23 && num2(t + 4) <= 59;
}

/* What the formats take of each byte: one load a byte, where chains of comparisons cost
 * several (a format is checked on every request body that has one). */
enum {
	BYTE_URI = 1,       /* in a URI after its scheme, as it is: not a control, the space, one
			     * RFC 3986 excludes (<>"{}|\\^`) or '%' (which takes two hex digits) */
	BYTE_LOCAL = 2,     /* in an address's local part: not a control, the space or one of
			     * RFC 5322's specials ()<>[]:;@\\," */
	BYTE_DOMAIN = 4,    /* in a domain's label: a letter, a digit, '-' or a non-ASCII byte */
	BYTE_SCHEME = 8,    /* in a URI's scheme after its first letter: a letter, a digit, +-. */
};

/* the table's entries: NO class, URI and Local part, AlphaNumeric (all four), URI local
 * part and Scheme ('+', '.'), URI only, Local part only, the bytes from 0x80 (HIgh: all
 * but the scheme) */
#define NO 0
#define UL (BYTE_URI | BYTE_LOCAL)
#define AN (BYTE_URI | BYTE_LOCAL | BYTE_DOMAIN | BYTE_SCHEME)
#define US (BYTE_URI | BYTE_LOCAL | BYTE_SCHEME)
#define U_ BYTE_URI
#define L_ BYTE_LOCAL
#define HI (BYTE_URI | BYTE_LOCAL | BYTE_DOMAIN)
static const unsigned char byte_class[256] = {
	/*       x0  x1  x2  x3  x4  x5  x6  x7  x8  x9  xA  xB  xC  xD  xE  xF */
	/* 0x */ NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO,
	/* 1x */ NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO,
	/* 2x */ NO, UL, NO, UL, UL, L_, UL, UL, U_, U_, UL, US, U_, AN, US, UL,
	/* 3x */ AN, AN, AN, AN, AN, AN, AN, AN, AN, AN, U_, U_, NO, UL, NO, UL,
	/* 4x */ U_, AN, AN, AN, AN, AN, AN, AN, AN, AN, AN, AN, AN, AN, AN, AN,
	/* 5x */ AN, AN, AN, AN, AN, AN, AN, AN, AN, AN, AN, U_, NO, U_, L_, UL,
	/* 6x */ L_, AN, AN, AN, AN, AN, AN, AN, AN, AN, AN, AN, AN, AN, AN, AN,
	/* 7x */ AN, AN, AN, AN, AN, AN, AN, AN, AN, AN, AN, L_, L_, L_, UL, UL,
	/* 8x */ HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI,
	/* 9x */ HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI,
	/* Ax */ HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI,
	/* Bx */ HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI,
	/* Cx */ HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI,
	/* Dx */ HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI,
	/* Ex */ HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI,
	/* Fx */ HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI,
};
#undef NO
#undef UL
#undef AN
#undef US
#undef U_
#undef L_
#undef HI

static bool is_email(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	/* the local part: up to the first byte it does not take, which must be the last '@'
	 * (a byte before it is in the local part; an '@' after it is refused by the domain) */
	while (p < end && (byte_class[*p] & BYTE_LOCAL))
		p++;
	const unsigned char *at = p;
	if (at == end || *at != '@' || at == (const unsigned char *)s || at + 1 == end ||
	    at - (const unsigned char *)s > 64)
		return false;
	/* the domain: dot-separated labels of letters, digits and inner hyphens */
	for (p = at + 1; p < end;) {
		const unsigned char *label = p;
		while (p < end && (byte_class[*p] & BYTE_DOMAIN))
			p++;
		if (p == label || *label == '-' || p[-1] == '-')
			return false;
		if (p < end && *p == '.' && p + 1 < end)
			p++;
		else if (p < end)
			return false;
	}
	return true;
}

/* Whether s[0..n) are hex digits. */
static bool hex_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i], lower = c | 0x20;   /* 'A'..'F' as 'a'..'f' */
		if ((unsigned char)(c - '0') > 9 && (unsigned char)(lower - 'a') > 5)
			return false;
	}
	return true;
}

/* Whether the eight bytes of w are hex digits, all at once (a uuid is checked on every
 * body that has one): each byte under 0x80, then in '0'..'9' or, with 0x20 set, in
 * 'a'..'f'. Adding to bytes under 0x80 carries into no other byte. */
static bool hex_word(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
	if (w & high)
		return false;
	uint64_t lower = w | ones * 0x20;
	uint64_t digit = (w + ones * (0x80 - '0')) & ~(w + ones * (0x7F - '9'));
	uint64_t letter = (lower + ones * (0x80 - 'a')) & ~(lower + ones * (0x7F - 'f'));
	return ((digit | letter) & high) == high;
}

/* The bytes s[0..4) and t[0..4) as one word (which byte lands where does not matter to
 * hex_word). */
static uint64_t two_halves(const char *s, const char *t)
{
	uint32_t a, b;
	memcpy(&a, s, 4);
	memcpy(&b, t, 4);
	return (uint64_t)a << 32 | b;
}

static bool is_uuid(const char *s, size_t len)
{
	/* 8-4-4-4-12 hex digits: s[0..8), s[9..13) with s[14..18), s[19..23) with s[24..28),
	 * s[28..36) */
	uint64_t first, last;
	if (len != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
		return false;
	memcpy(&first, s, 8);
	memcpy(&last, s + 28, 8);
	return hex_word(first) && hex_word(two_halves(s + 9, s + 14)) &&
	       hex_word(two_halves(s + 19, s + 24)) && hex_word(last);
}

static bool is_uri(const char *s, size_t len)
{
	const char *p = s, *end = s + len;
	if (p == end || !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return false;
	while (p < end && (byte_class[(unsigned char)*p] & BYTE_SCHEME))
		p++;
	if (p == end || *p != ':')
		return false;
	for (p++; p < end; p++) {
		if (byte_class[(unsigned char)*p] & BYTE_URI)
			continue;
		if (*p != '%' || end - p < 3 || !hex_digits(p + 1, 2))
			return false;
	}
	return true;
}

static bool is_base64(const char *s, size_t len)
{
	size_t pad = 0;
	if (len % 4)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '=') {
			pad++;
		} else if (pad || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
				    (c >= '0' && c <= '9') || c == '+' || c == '/')) {
			return false;
		}
	}
	return pad <= 2;
}

/* inet_pton wants a C string: s[0..len) copied. No address is written in 64 characters
 * or more (an IPv6 one takes at most 45). */
static bool is_ip(int af, const char *s, size_t len)
{
	char text[64];
	unsigned char addr[16];
	if (len >= sizeof text)
		return false;
	memcpy(text, s, len);
	text[len] = '\0';
	return inet_pton(af, text, addr) == 1;
}

bool jsonschema_format_number(enum format f, double d)
{
	switch (f) {
	case FMT_INT32:
		return d == floor(d) && d >= -2147483648.0 && d <= 2147483647.0;
	case FMT_INT64:
		return d == floor(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0;
	case FMT_FLOAT:
		return fabs(d) <= FLT_MAX;
	default:
		return true;
	}
}

bool jsonschema_format_string(enum format f, const char *s, size_t len)
{
	switch (f) {
	case FMT_DATE: return len == 10 && is_date(s);
	case FMT_DATE_TIME: return is_date_time(s, len);
	case FMT_EMAIL: return is_email(s, len);
	case FMT_UUID: return is_uuid(s, len);
	case FMT_URI: return is_uri(s, len);
	case FMT_IPV4: return is_ip(AF_INET, s, len);
	case FMT_IPV6: return is_ip(AF_INET6, s, len);
	case FMT_BYTE: return is_base64(s, len);
	default: return true;
	}
}

static void check_format(struct run *r, const struct node *n, const cJSON *v)
{
	double d;
	bool ok = true;
	if (n->format <= FMT_DOUBLE) {
		if (!jsonschema_number_of(v, &d))
			return;
		ok = jsonschema_format_number(n->format, d);
	} else {
		if (!cJSON_IsString(v))
			return;
		ok = jsonschema_format_string(n->format, v->valuestring, strlen(v->valuestring));
	}
	if (!ok) {
		if (n->format == FMT_INT32 || n->format == FMT_INT64)
			report(r, "must be a %s integer", n->format == FMT_INT32 ? "32-bit" : "64-bit");
		else if (n->format == FMT_FLOAT)
			report(r, "must fit in a float");
		else
			report(r, "must be a valid %s", format_names[n->format]);
	}
}

/* ---- keywords ---- */

static void validate(struct run *r, const struct node *n, const cJSON *v);

/* Whether v is valid against n, without reporting. */
static bool probe(struct run *r, const struct node *n, const cJSON *v)
{
	size_t count = r->count;
	bool was = r->probe;
	r->probe = true;
	r->count = 0;
	validate(r, n, v);
	bool ok = !r->count;
	r->probe = was;
	r->count = count;
	return ok;
}

static size_t code_points(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static void check_number(struct run *r, const struct node *n, double d)
{
	struct strbuf sb = STRBUF_INIT;
	if (node_below_min(n, d)) {
		add_number(&sb, n->min);
		report(r, "must be %s %s", n->excl_min ? "greater than" : "at least", sb.buf);
		strbuf_reset(&sb);
	}
	if (node_above_max(n, d)) {
		add_number(&sb, n->max);
		report(r, "must be %s %s", n->excl_max ? "less than" : "at most", sb.buf);
		strbuf_reset(&sb);
	}
	if (node_not_multiple(n, d)) {
		add_number(&sb, n->multiple_of);
		report(r, "must be a multiple of %s", sb.buf);
	}
	strbuf_release(&sb);
}

static void check_string(struct run *r, const struct node *n, const char *s)
{
	if (n->min_length >= 0 || n->max_length >= 0) {
		size_t len = code_points(s);
		if (n->min_length >= 0 && len < (size_t)n->min_length)
			report(r, "must be at least %ld characters long", n->min_length);
		if (n->max_length >= 0 && len > (size_t)n->max_length)
			report(r, "must be at most %ld characters long", n->max_length);
	}
	if (n->pattern && !regex_match(n->pattern, s, strlen(s)))
		report(r, "must match pattern '%s'", regex_source(n->pattern));
}

static void check_array(struct run *r, const struct node *n, const cJSON *v)
{
	size_t count = (size_t)cJSON_GetArraySize(v);
	if (n->min_items >= 0 && count < (size_t)n->min_items)
		report(r, "must have at least %ld item%s", n->min_items, n->min_items == 1 ? "" : "s");
	if (n->max_items >= 0 && count > (size_t)n->max_items)
		report(r, "must have at most %ld item%s", n->max_items, n->max_items == 1 ? "" : "s");
	if (n->unique_items) {
		size_t i = 0;
		for (const cJSON *a = v->child; a && !done(r); a = a->next, i++) {
			size_t j = i + 1;
			for (const cJSON *b = a->next; b; b = b->next, j++) {
				if (++r->steps > JSONSCHEMA_MAX_STEPS) {
					r->gave_up = true;
					return;
				}
				if (equal(a, b)) {
					report(r, "must not repeat items (%zu and %zu are equal)", i, j);
					break;
				}
			}
		}
	}
	if (n->items) {
		size_t i = 0;
		char seg[24];
		for (const cJSON *e = v->child; e && !done(r); e = e->next, i++) {
			snprintf(seg, sizeof seg, "%zu", i);
			size_t len = push(r, seg);
			validate(r, n->items, e);
			pop(r, len);
		}
	}
}

size_t jsonschema_node_find_prop(const struct node *n, const char *name, size_t len, size_t *next)
{
	size_t i = *next;
	/* with two properties of one name, the one after the last matched may be the second */
	if (!n->props_dup && i < n->nprops && n->props[i].len == len && !memcmp(n->props[i].name, name, len)) {
		*next = i + 1;
		return i;
	}
	for (i = 0; i < n->nprops; i++)
		if (n->props[i].len == len && !memcmp(n->props[i].name, name, len)) {
			*next = i + 1;
			return i;
		}
	return NODE_NO_PROP;
}

/* The missing required properties of v, in the order `required` lists them: the members
 * are matched against the properties once (a bit per property seen), and only a required
 * name that is no property is looked up by name. */
static void check_required(struct run *r, const struct node *n, const cJSON *v)
{
	uint64_t small[4] = { 0 }, *seen = small;
	size_t found = 0;
	if (n->nprops > 64 * (sizeof small / sizeof *small))
		seen = xcalloc((n->nprops + 63) / 64, sizeof *seen);
	if (n->nreq_props) {
		size_t next = 0;
		for (const cJSON *e = v->child; e && found < n->nreq_props; e = e->next) {
			size_t i = jsonschema_node_find_prop(n, e->string, strlen(e->string), &next);
			if (i == NODE_NO_PROP || !n->props[i].required || (seen[i / 64] >> (i % 64) & 1))
				continue;
			seen[i / 64] |= UINT64_C(1) << (i % 64);
			found++;
		}
	}
	if (found < n->nreq_props || n->nreq_other) {
		for (size_t i = 0; i < n->nrequired; i++) {
			size_t p = n->req_prop[i];
			bool present = p != NODE_NO_PROP ? seen[p / 64] >> (p % 64) & 1
				       : cJSON_GetObjectItemCaseSensitive(v, n->required[i]) != NULL;
			if (!present)
				report(r, "missing required property '%s'", n->required[i]);
		}
	}
	if (seen != small)
		free(seen);
}

static void check_object(struct run *r, const struct node *n, const cJSON *v)
{
	if (n->nrequired)
		check_required(r, n, v);
	size_t count = (size_t)cJSON_GetArraySize(v);
	if (n->min_props >= 0 && count < (size_t)n->min_props)
		report(r, "must have at least %ld propert%s", n->min_props,
		       n->min_props == 1 ? "y" : "ies");
	if (n->max_props >= 0 && count > (size_t)n->max_props)
		report(r, "must have at most %ld propert%s", n->max_props,
		       n->max_props == 1 ? "y" : "ies");
	size_t next = 0;
	for (const cJSON *e = v->child; e && !done(r); e = e->next) {
		bool matched = false;
		size_t len = push(r, e->string);
		if (!n->props_dup) {
			/* names are unique: the first match is the only one */
			size_t i = n->nprops ? jsonschema_node_find_prop(n, e->string, strlen(e->string), &next)
					     : NODE_NO_PROP;
			if (i != NODE_NO_PROP) {
				matched = true;
				validate(r, n->props[i].schema, e);
			}
		} else {
			for (size_t i = 0; i < n->nprops && !done(r); i++)
				if (!strcmp(n->props[i].name, e->string)) {
					matched = true;
					validate(r, n->props[i].schema, e);
				}
		}
		for (size_t i = 0; i < n->npprops && !done(r); i++)
			if (regex_match(n->pprops[i].re, e->string, strlen(e->string))) {
				matched = true;
				validate(r, n->pprops[i].schema, e);
			}
		if (!matched && n->additional)
			validate(r, n->additional, e);
		pop(r, len);
		if (!matched && n->no_additional)
			report(r, "unexpected property '%s'", e->string);
	}
}

static void check_discriminator(struct run *r, const struct node *n, const cJSON *v)
{
	if (!cJSON_IsObject(v))
		return;   /* the type check says so */
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(v, n->disc_prop);
	if (!cJSON_IsString(p)) {
		report(r, p ? "discriminator property '%s' must be a string"
		       : "missing discriminator property '%s'", n->disc_prop);
		return;
	}
	for (size_t i = 0; i < r->ndisc; i++)
		if (r->disc[i] == n && r->disc_of[i] == v)
			return;
	for (size_t i = 0; i < n->ndisc_map; i++)
		if (!strcmp(n->disc_map[i].value, p->valuestring)) {
			if (r->ndisc < sizeof r->disc / sizeof *r->disc) {
				r->disc[r->ndisc] = n;
				r->disc_of[r->ndisc++] = v;
				validate(r, n->disc_map[i].schema, v);
				r->ndisc--;
			} else {
				validate(r, n->disc_map[i].schema, v);
			}
			return;
		}
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < n->ndisc_map; i++) {
		bool dup = false;
		for (size_t j = 0; j < i; j++)
			dup |= !strcmp(n->disc_map[i].value, n->disc_map[j].value);
		if (dup)
			continue;
		strbuf_adds(&sb, sb.len ? ", " : "");
		strbuf_add_json_string(&sb, n->disc_map[i].value, strlen(n->disc_map[i].value));
	}
	report(r, "discriminator property '%s' must be one of [%s]", n->disc_prop,
	       strbuf_str(&sb));
	strbuf_release(&sb);
}

static void check_combinators(struct run *r, const struct node *n, const cJSON *v)
{
	for (size_t i = 0; i < n->all_of.n && !done(r); i++)
		validate(r, n->all_of.v[i], v);
	if (n->disc_prop && n->ndisc_map) {
		check_discriminator(r, n, v);
	} else {
		if (n->any_of.n) {
			bool any = false;
			for (size_t i = 0; i < n->any_of.n && !any && !r->gave_up; i++)
				any = probe(r, n->any_of.v[i], v);
			if (!any && !r->gave_up)
				report(r, "must match at least one schema in 'anyOf'");
		}
		if (n->one_of.n) {
			size_t matched = 0, first = 0, second = 0;
			for (size_t i = 0; i < n->one_of.n && matched < 2 && !r->gave_up; i++)
				if (probe(r, n->one_of.v[i], v)) {
					*(matched ? &second : &first) = i;
					matched++;
				}
			if (r->gave_up)
				return;
			if (!matched)
				report(r, "must match exactly one schema in 'oneOf', matched none");
			else if (matched > 1)
				report(r, "must match exactly one schema in 'oneOf', matched %zu and %zu",
				       first, second);
		}
	}
	if (n->not && !r->gave_up && probe(r, n->not, v) && !r->gave_up)
		report(r, "must not match the schema in 'not'");
}

static void validate(struct run *r, const struct node *n, const cJSON *v)
{
	if (done(r))
		return;
	if (++r->steps > JSONSCHEMA_MAX_STEPS) {
		r->gave_up = true;   /* reported once, at the top: see jsonschema_validate */
		return;
	}
	if (r->depth >= JSONSCHEMA_MAX_DEPTH) {
		report(r, "nested more than %d schemas deep", JSONSCHEMA_MAX_DEPTH);
		return;
	}
	r->depth++;
	if (n->never)
		report(r, "no value is allowed here");
	if (n->ref)
		validate(r, n->ref, v);
	unsigned t = type_of(v);
	double d;
	if (n->types && !(n->types & t)) {
		struct strbuf sb = STRBUF_INIT;
		add_types(&sb, n->types);
		strbuf_adds(&sb, ", got ");
		add_value(&sb, v);
		report(r, "expected %s", sb.buf);
		strbuf_release(&sb);
		r->depth--;
		return;   /* the other keywords would only say it again */
	}
	if (n->enum_values) {
		bool found = false;
		for (const cJSON *e = n->enum_values->child; e && !found; e = e->next)
			found = equal(e, v);
		if (!found) {
			struct strbuf sb = STRBUF_INIT;
			add_list(&sb, n->enum_values);
			report(r, "must be one of %s", sb.buf);
			strbuf_release(&sb);
		}
	}
	if (n->const_value && !equal(n->const_value, v)) {
		char *t2 = json_print(n->const_value, NULL);
		report(r, "must be %s", t2);
		free(t2);
	}
	if (jsonschema_number_of(v, &d))
		check_number(r, n, d);
	else if (cJSON_IsString(v))
		check_string(r, n, v->valuestring);
	else if (cJSON_IsArray(v))
		check_array(r, n, v);
	else if (cJSON_IsObject(v))
		check_object(r, n, v);
	if (n->format)
		check_format(r, n, v);
	check_combinators(r, n, v);
	r->depth--;
}

size_t jsonschema_validate(const struct jsonschema *s, const cJSON *instance,
			   struct jsonschema_error *out, size_t max)
{
	struct run r = { .out = out, .max = out ? max : 0, .path = STRBUF_INIT };
	validate(&r, s->root, instance);
	if (r.gave_up) {
		strbuf_reset(&r.path);
		report(&r, "validation gave up after %u steps", JSONSCHEMA_MAX_STEPS);
	}
	strbuf_release(&r.path);
	return r.count;
}

bool jsonschema_node_valid(const struct node *n, const cJSON *v, size_t *steps)
{
	/* probing: the first error ends it, and no message is built */
	struct run r = { .probe = true, .path = STRBUF_INIT };
	validate(&r, n, v);
	strbuf_release(&r.path);
	if (steps)
		*steps += r.steps;
	return !r.count && !r.gave_up;
}

void jsonschema_errors_release(struct jsonschema_error *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].path);
		free(e[i].message);
		e[i].path = e[i].message = NULL;
	}
}

/* ---- parameters as text ---- */

/* The types n allows, through $refs and allOf. */
static unsigned types_of(const struct node *n, const struct node **items)
{
	for (unsigned hops = 0; n && hops < JSONSCHEMA_MAX_DEPTH; hops++) {
		if (n->items && items && !*items)
			*items = n->items;
		if (n->types)
			return n->types;
		if (n->all_of.n) {
			for (size_t i = 0; i < n->all_of.n; i++) {
				unsigned t = types_of(n->all_of.v[i], items);
				if (t)
					return t;
			}
		}
		n = n->ref;
	}
	return 0;
}

static cJSON *coerce(const char *text, size_t len, unsigned types)
{
	char *s = xmemdup0(text, len);
	cJSON *v = NULL;
	if (types & (T_INTEGER | T_NUMBER)) {
		char *end;
		double d = strtod(s, &end);
		if (len && *end == '\0' && isfinite(d) && !strchr(s, 'x') && !strchr(s, 'X') &&
		    strspn(s, "+-0123456789.eE") == len)
			v = cJSON_CreateNumber(d);
	}
	if (!v && (types & T_BOOLEAN) && (!strcmp(s, "true") || !strcmp(s, "false")))
		v = cJSON_CreateBool(s[0] == 't');
	if (!v && (types & T_NULL) && (!strcmp(s, "null") || !len) && !(types & T_STRING))
		v = cJSON_CreateNull();
	if (!v)
		v = cJSON_CreateString(s);
	free(s);
	return json_check(v);
}

size_t jsonschema_validate_text(const struct jsonschema *s, const char *text,
				struct jsonschema_error *out, size_t max)
{
	const struct node *items = NULL;
	unsigned types = types_of(s->root, &items);
	cJSON *v;
	if (types & T_ARRAY) {
		unsigned item_types = types_of(items, NULL);
		v = json_check(cJSON_CreateArray());
		for (const char *p = text; *text;) {
			const char *comma = strchr(p, ',');
			size_t len = comma ? (size_t)(comma - p) : strlen(p);
			json_array_add(v, coerce(p, len, item_types));
			if (!comma)
				break;
			p = comma + 1;
		}
	} else {
		v = coerce(text, strlen(text), types);
	}
	size_t n = jsonschema_validate(s, v, out, max);
	cJSON_Delete(v);
	return n;
}

/* The schema of property name in n (through `$ref`s and `allOf` branches), else the
 * schema for other properties, or NULL. */
static const struct node *property_of(const struct node *n, const char *name, unsigned depth)
{
	for (; n && depth < JSONSCHEMA_MAX_DEPTH; n = n->ref, depth++) {
		for (size_t i = 0; i < n->nprops; i++)
			if (strcmp(n->props[i].name, name) == 0)
				return n->props[i].schema;
		for (size_t i = 0; i < n->all_of.n; i++) {
			const struct node *p = property_of(n->all_of.v[i], name, depth + 1);
			if (p)
				return p;
		}
		if (n->additional)
			return n->additional;
	}
	return NULL;
}

/* A form value for a schema with these types: a scalar read as a parameter is; an object
 * or an array given as JSON text, or an object as "k,v,k,v" (form style, not exploded). */
static cJSON *form_value(const char *text, unsigned types, const struct node *items)
{
	size_t len = strlen(text);
	if ((types & (T_OBJECT | T_ARRAY)) && !(types & T_STRING)) {
		cJSON *j = json_parse(text, len, NULL);
		if (j && ((cJSON_IsObject(j) && (types & T_OBJECT)) || (cJSON_IsArray(j) && (types & T_ARRAY))))
			return j;
		cJSON_Delete(j);
		if (types & T_OBJECT) {
			cJSON *o = json_check(cJSON_CreateObject());
			for (const char *p = text; *p;) {
				const char *k = p, *comma = strchr(p, ',');
				if (!comma)
					break;
				const char *v = comma + 1, *end = strchr(v, ',');
				size_t vn = end ? (size_t)(end - v) : strlen(v);
				char *key = xmemdup0(k, (size_t)(comma - k));
				json_object_add(o, key, coerce(v, vn, T_STRING | T_NUMBER | T_INTEGER | T_BOOLEAN));
				free(key);
				p = end ? end + 1 : v + vn;
			}
			if (o->child)
				return o;
			cJSON_Delete(o);
		}
		if ((types & T_ARRAY) && (types_of(items, NULL) & T_OBJECT) && strchr(text, ',')) {
			/* an array of one object, its members as "k,v,k,v" */
			cJSON *a = json_check(cJSON_CreateArray());
			json_array_add(a, form_value(text, T_OBJECT, NULL));
			return a;
		}
		if (types & T_ARRAY) {
			cJSON *a = json_check(cJSON_CreateArray());
			unsigned item_types = types_of(items, NULL);
			for (const char *p = text; *text;) {
				const char *comma = strchr(p, ',');
				size_t n = comma ? (size_t)(comma - p) : strlen(p);
				json_array_add(a, coerce(p, n, item_types));
				if (!comma)
					break;
				p = comma + 1;
			}
			return a;
		}
	}
	return coerce(text, len, types ? types : T_STRING);
}

/* The member key of container (an object: its member; an array: item at index key, or a
 * new last item for ""), made as kind (cJSON_Object or cJSON_Array) when absent. */
static cJSON *form_slot(cJSON *container, const char *key, int kind)
{
	cJSON *have = NULL;
	if (cJSON_IsArray(container)) {
		char *end;
		long i = *key ? strtol(key, &end, 10) : -1;
		if (*key && !*end && i >= 0 && i < 10000)
			have = cJSON_GetArrayItem(container, (int)i);
		if (!have) {
			have = json_check(kind == cJSON_Array ? cJSON_CreateArray() : cJSON_CreateObject());
			json_array_add(container, have);
		}
	} else {
		have = cJSON_GetObjectItemCaseSensitive(container, key);
		if (!have) {
			have = json_check(kind == cJSON_Array ? cJSON_CreateArray() : cJSON_CreateObject());
			json_object_add(container, key, have);
		}
	}
	return have;
}

/* The schema a value at key of a container with schema n has. */
static const struct node *form_child(const struct node *n, bool array, const char *key)
{
	if (!array)
		return n ? property_of(n, key, 0) : NULL;
	const struct node *items = NULL;
	types_of(n, &items);
	return items;
}

size_t jsonschema_validate_fields(const struct jsonschema *s, const char *const *names, const char *const *values,
				  size_t n, struct jsonschema_error *out, size_t max)
{
	cJSON *obj = json_check(cJSON_CreateObject());
	for (size_t i = 0; i < n; i++) {
		const char *open = strchr(names[i], '[');
		if (open && strchr(open, ']')) {
			/* a[b][0][c]=v (deepObject, as qs and Stripe write nested objects) */
			char *base = xmemdup0(names[i], (size_t)(open - names[i]));
			cJSON *container = obj;
			const struct node *node = s->root;
			bool array = false;
			char *key = base;
			for (const char *p = open; *p == '[';) {
				const char *close = strchr(p, ']');
				if (!close)
					break;
				char *seg = xmemdup0(p + 1, (size_t)(close - p - 1));
				const struct node *child = form_child(node, array, key);
				unsigned t = types_of(child, NULL);
				bool next_array = (t & T_ARRAY) && (!*seg || strspn(seg, "0123456789") == strlen(seg));
				cJSON *slot = form_slot(container, key, next_array ? cJSON_Array : cJSON_Object);
				if (!(next_array ? cJSON_IsArray(slot) : cJSON_IsObject(slot))) {
					free(seg);
					container = NULL;
					break;
				}
				container = slot;
				node = child;
				array = next_array;
				free(key);
				key = seg;
				p = close + 1;
			}
			if (container) {
				const struct node *items = NULL;
				const struct node *leaf = form_child(node, array, key);
				unsigned types = leaf ? types_of(leaf, &items) : T_STRING;
				cJSON *v = form_value(values[i], types, items);
				if (cJSON_IsArray(container)) {
					char *end;
					long k = *key ? strtol(key, &end, 10) : -1;
					if (*key && !*end && k >= 0 && k < cJSON_GetArraySize(container))
						cJSON_ReplaceItemInArray(container, (int)k, v);
					else
						json_array_add(container, v);
				} else if (!cJSON_GetObjectItemCaseSensitive(container, key)) {
					json_object_add(container, key, v);
				} else {
					cJSON_Delete(v);
				}
			}
			free(key);
			continue;
		}
		if (cJSON_GetObjectItemCaseSensitive(obj, names[i]))
			continue;   /* a repeated name: taken with its first */
		const struct node *items = NULL;
		const struct node *p = property_of(s->root, names[i], 0);
		unsigned types = p ? types_of(p, &items) : T_STRING;
		cJSON *v;
		if ((types & T_ARRAY) && !(types_of(items, NULL) & (T_OBJECT | T_ARRAY))) {
			unsigned item_types = types_of(items, NULL);
			v = json_check(cJSON_CreateArray());
			for (size_t k = i; k < n; k++)
				if (strcmp(names[k], names[i]) == 0)
					json_array_add(v, coerce(values[k], strlen(values[k]), item_types));
		} else {
			v = form_value(values[i], types, items);
		}
		json_object_add(obj, names[i], v);
	}
	size_t nerr = jsonschema_validate(s, obj, out, max);
	cJSON_Delete(obj);
	return nerr;
}
