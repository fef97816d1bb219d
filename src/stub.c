/* SPDX-License-Identifier: MIT */
/* Stub lifetime, and the refcounted groups that own stubs. */
#include "stub.h"

#include <stdlib.h>
#include <string.h>

#include "jsonpath.h"
#include "regex.h"
#include "render.h"
#include "util/strpool.h"
#include "util/xalloc.h"

void stub_request_add_seg(struct stub_request *q, const char *text, size_t n, bool is_param)
{
	q->segs = xrealloc(q->segs, (q->nsegs + 1) * sizeof(*q->segs));
	struct path_seg *g = &q->segs[q->nsegs++];
	memset(g, 0, sizeof(*g));
	g->text = xstrndup(text, n);
	g->is_param = is_param;
}

void stub_request_add_method(struct stub_request *q, const char *method)
{
	q->methods = xrealloc(q->methods, (q->nmethods + 1) * sizeof(*q->methods));
	q->methods[q->nmethods++] = xstrdup(method);
}

struct match_clause *matcher_add_clause(struct matcher *m, enum match_op op)
{
	m->clauses = xrealloc(m->clauses, (m->n + 1) * sizeof(*m->clauses));
	struct match_clause *c = &m->clauses[m->n++];
	memset(c, 0, sizeof(*c));
	c->op = op;
	return c;
}

void matcher_release(struct matcher *m)
{
	for (size_t i = 0; i < m->n; i++) {
		struct match_clause *c = &m->clauses[i];
		free(c->text);
		regex_destroy(c->re);
		for (size_t j = 0; j < c->nlist; j++)
			free(c->list[j]);
		free(c->list);
		if (c->inner) {
			matcher_release(c->inner);
			free(c->inner);
		}
		for (size_t j = 0; j < c->nalts; j++)
			matcher_release(&c->alts[j]);
		free(c->alts);
		cJSON_Delete(c->json);
	}
	free(m->clauses);
	memset(m, 0, sizeof(*m));
}

static void named_release(struct named_matcher *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		matcher_release(&v[i].m);
	}
	free(v);
}

void body_match_release(struct body_match *b)
{
	matcher_release(&b->raw);
	cJSON_Delete(b->json);
	named_release(b->fields, b->nfields);
	jsonpath_destroy(b->jp);
	free(b->jp_source);
	memset(b, 0, sizeof(*b));
}

/* A pooled copy of *field (len bytes), the malloc'd one freed; NULL stays NULL. */
static bool intern_field(char **field, size_t len, struct strpool *pool)
{
	if (!*field)
		return false;
	char *old = *field;
	*field = (char *)strpool_intern(pool, old, len);
	free(old);
	return true;
}

void stub_intern(struct stub *s, struct strpool *pool)
{
	if (s->id && intern_field(&s->id, strlen(s->id), pool))
		s->pooled |= STUB_POOLED_ID;
	if (s->file && intern_field(&s->file, strlen(s->file), pool))
		s->pooled |= STUB_POOLED_FILE;
	if (s->req.path && intern_field(&s->req.path, strlen(s->req.path), pool))
		s->pooled |= STUB_POOLED_PATH;
	if (s->req.nmethods) {
		char **v = strpool_alloc(pool, s->req.nmethods * sizeof(*v));
		for (size_t i = 0; i < s->req.nmethods; i++) {
			v[i] = s->req.methods[i];
			intern_field(&v[i], strlen(v[i]), pool);
		}
		free(s->req.methods);
		s->req.methods = v;
		s->pooled |= STUB_POOLED_METHODS;
	}
	if (intern_field(&s->resp.body, s->resp.body_len, pool))
		s->pooled |= STUB_POOLED_BODY;
	if (s->resp.content_type && intern_field(&s->resp.content_type, strlen(s->resp.content_type), pool))
		s->pooled |= STUB_POOLED_CONTENT_TYPE;
	if (s->nresponses) {
		struct stub_response **v = strpool_alloc(pool, s->nresponses * sizeof(*v));
		memcpy(v, s->responses, s->nresponses * sizeof(*v));
		free(s->responses);
		s->responses = v;
		s->pooled |= STUB_POOLED_RESPONSES;
	}
}

void stub_pack(struct stub **stubs, size_t n, struct strpool *pool)
{
	if (!n)
		return;
	struct stub *v = strpool_alloc_exact(pool, n * sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		v[i] = *stubs[i];
		free(stubs[i]);
		stubs[i] = &v[i];
		if (v[i].nresponses)
			v[i].responses[0] = &v[i].resp;
		v[i].pooled |= STUB_POOLED_SELF;
	}
}

void stub_destroy(struct stub *s)
{
	if (!s)
		return;
	if (!(s->pooled & STUB_POOLED_ID))
		free(s->id);
	free(s->name);
	if (!(s->pooled & STUB_POOLED_FILE))
		free(s->file);
	for (size_t i = 0; !(s->pooled & STUB_POOLED_METHODS) && i < s->req.nmethods; i++)
		free(s->req.methods[i]);
	if (!(s->pooled & STUB_POOLED_METHODS))
		free(s->req.methods);
	if (!(s->pooled & STUB_POOLED_PATH))
		free(s->req.path);
	for (size_t i = 0; i < s->req.nsegs; i++)
		free(s->req.segs[i].text);
	free(s->req.segs);
	regex_destroy(s->req.path_re);
	named_release(s->req.query, s->req.nquery);
	named_release(s->req.headers, s->req.nheaders);
	named_release(s->req.cookies, s->req.ncookies);
	free(s->req.target);
	named_release(s->req.path_params, s->req.npath_params);
	for (size_t i = 0; i < s->req.nbodies; i++)
		body_match_release(&s->req.bodies[i]);
	free(s->req.bodies);
	if (s->pooled & STUB_POOLED_BODY)
		s->resp.body = NULL;
	if (s->pooled & STUB_POOLED_CONTENT_TYPE)
		s->resp.content_type = NULL;
	stub_response_release(&s->resp);
	for (size_t i = 1; i < s->nresponses; i++) {
		stub_response_release(s->responses[i]);
		free(s->responses[i]);
	}
	if (!(s->pooled & STUB_POOLED_RESPONSES))
		free(s->responses);
	free(s->front_json);
	free(s->scenario);
	free(s->state);
	free(s->next_state);
	if (!(s->pooled & STUB_POOLED_SELF))
		free(s);
}

void stub_response_release(struct stub_response *r)
{
	for (size_t i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
		tpl_destroy(r->headers[i].tpl);
	}
	free(r->headers);
	free(r->body);
	free(r->content_type);
	free(r->status_message);
	free(r->proxy_base);
	tpl_destroy(r->body_tpl);
	if (r->handler && r->handler->release)
		r->handler->release(r->handler_data);
	memset(r, 0, sizeof(*r));
}

size_t stub_response_count(const struct stub *s)
{
	return s->nresponses ? s->nresponses : 1;
}

const struct stub_response *stub_response_at(const struct stub *s, size_t i)
{
	return s->nresponses && i < s->nresponses ? s->responses[i] : &s->resp;
}

static struct stub_group *group_new(struct stub **stubs, size_t n)
{
	struct stub_group *g = xcalloc(1, sizeof(*g));
	atomic_init(&g->refs, 1);
	g->stubs = stubs;
	g->n = n;
	return g;
}

bool stub_lists_options(const struct stub *s)
{
	for (size_t j = 0; j < s->req.nmethods; j++)
		if (strcmp(s->req.methods[j], "OPTIONS") == 0)
			return true;
	return false;
}

/* The summary of g's stubs, from the stubs themselves. */
static void summarize(struct stub_group *g)
{
	for (size_t i = 0; i < g->n; i++) {
		const struct stub *s = g->stubs[i];
		g->nlisted += !s->implicit;
		g->has_states |= s->state != NULL;
		g->has_options |= stub_lists_options(s);
	}
}

struct stub_group *stub_group_create(struct stub **stubs, size_t n)
{
	struct stub_group *g = group_new(stubs, n);
	summarize(g);
	return g;
}

struct stub_group *stub_group_ref(struct stub_group *g)
{
	atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed);
	return g;
}

void stub_group_unref(struct stub_group *g)
{
	if (!g || atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (size_t i = 0; !g->parts && i < g->n; i++)
		stub_destroy(g->stubs[i]);
	for (size_t i = 0; i < g->nparts; i++)
		stub_group_unref(g->parts[i]);
	free(g->parts);
	free(g->stubs);
	strpool_destroy(g->pool);
	free(g);
}

struct stub_group *stub_group_join(struct stub_group **parts, size_t nparts)
{
	return stub_group_subset(parts, nparts, NULL, NULL);
}

struct stub_group *stub_group_subset(struct stub_group **parts, size_t nparts, bool (*keep)(const struct stub *s, void *cls),
				      void *cls)
{
	size_t n = 0;
	for (size_t i = 0; i < nparts; i++)
		n += parts[i]->n;
	struct stub **stubs = xmalloc((n ? n : 1) * sizeof(*stubs));
	n = 0;
	for (size_t i = 0; i < nparts; i++)
		for (size_t j = 0; j < parts[i]->n; j++)
			if (!keep || keep(parts[i]->stubs[j], cls))
				stubs[n++] = parts[i]->stubs[j];
	struct stub_group *g = group_new(stubs, n);
	/* never NULL, so that an empty join still borrows */
	g->parts = parts ? parts : xmalloc(1);
	g->nparts = nparts;
	if (keep) {
		summarize(g);
		return g;
	}
	for (size_t i = 0; i < nparts; i++) {
		g->nlisted += parts[i]->nlisted;
		g->has_states |= parts[i]->has_states;
		g->has_options |= parts[i]->has_options;
	}
	return g;
}

const struct stub *stub_group_find(struct stub_group *const *groups, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; groups[i] && j < groups[i]->n; j++)
			if (strcmp(groups[i]->stubs[j]->id, id) == 0)
				return groups[i]->stubs[j];
	return NULL;
}
