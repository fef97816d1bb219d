/* SPDX-License-Identifier: MIT */
/* Stub lifetime and the refcounted, immutable stub set. */
#include "stub.h"

#include <stdlib.h>
#include <string.h>

#include "regex.h"
#include "render.h"
#include "router.h"
#include "util/xalloc.h"

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

void stub_destroy(struct stub *s)
{
	if (!s)
		return;
	free(s->id);
	free(s->name);
	free(s->file);
	for (size_t i = 0; i < s->req.nmethods; i++)
		free(s->req.methods[i]);
	free(s->req.methods);
	free(s->req.path);
	for (size_t i = 0; i < s->req.nsegs; i++)
		free(s->req.segs[i].text);
	free(s->req.segs);
	regex_destroy(s->req.path_re);
	named_release(s->req.query, s->req.nquery);
	named_release(s->req.headers, s->req.nheaders);
	named_release(s->req.cookies, s->req.ncookies);
	matcher_release(&s->req.body.raw);
	cJSON_Delete(s->req.body.json);
	named_release(s->req.body.fields, s->req.body.nfields);
	stub_response_release(&s->resp);
	for (size_t i = 1; i < s->nresponses; i++) {
		stub_response_release(s->responses[i]);
		free(s->responses[i]);
	}
	free(s->responses);
	free(s->scenario);
	free(s->state);
	free(s->next_state);
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
	tpl_destroy(r->body_tpl);
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

static int cmp_rank(const void *a, const void *b)
{
	const struct stub *x = *(struct stub *const *)a, *y = *(struct stub *const *)b;
	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

struct stub_set *stub_set_create(struct stub **stubs, size_t n)
{
	struct stub_set *set = xcalloc(1, sizeof(*set));
	atomic_init(&set->refs, 1);
	set->stubs = stubs;
	set->n = n;
	for (size_t i = 0; i < n; i++)
		stubs[i]->slot = i;
	set->router = router_build(stubs, n);
	/* after router_build: the OPTIONS list is kept in winner order (rank) */
	for (size_t i = 0; i < n; i++) {
		if (stubs[i]->state)
			set->has_states = true;
		for (size_t j = 0; j < stubs[i]->req.nmethods; j++) {
			if (strcmp(stubs[i]->req.methods[j], "OPTIONS") == 0) {
				set->options = xrealloc(set->options, (set->noptions + 1) * sizeof(*set->options));
				set->options[set->noptions++] = stubs[i];
				break;
			}
		}
	}
	if (set->noptions > 1)
		qsort(set->options, set->noptions, sizeof(*set->options), cmp_rank);
	return set;
}

struct stub_set *stub_set_ref(struct stub_set *set)
{
	atomic_fetch_add_explicit(&set->refs, 1, memory_order_relaxed);
	return set;
}

void stub_set_unref(struct stub_set *set)
{
	if (!set || atomic_fetch_sub_explicit(&set->refs, 1, memory_order_acq_rel) != 1)
		return;
	if (set->attached_free)
		set->attached_free(set->attached, set->n);
	router_destroy(set->router);
	free(set->options);
	if (set->stubs_free) {
		set->stubs_free(set->stubs, set->n, set->stubs_free_arg);
		free(set);
		return;
	}
	for (size_t i = 0; i < set->n; i++)
		stub_destroy(set->stubs[i]);
	free(set->stubs);
	free(set);
}

const struct stub *stub_set_find(const struct stub_set *set, const char *id)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->stubs[i]->id, id) == 0)
			return set->stubs[i];
	return NULL;
}
