/* SPDX-License-Identifier: MIT */
/* Per-set prepared reply data. */
#include "reply_cache.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "cors.h"
#include "reply.h"
#include "stub.h"
#include "util/xalloc.h"

/*
 * A pointer per stub, to its responses' prepared data, made by the first request the stub
 * answers: a set is created without touching its stubs (a reload of one file among
 * 100,000 stubs does not compute 100,000 CORS lists again), and a stub never served costs
 * 8 bytes rather than 32 per response (3.2 MB at 100,000 stubs).
 */
struct stub_prepared {
	size_t n;                       /* the stub's responses */
	struct reply_prepared r[];
};

struct prepared {
	_Atomic(struct stub_prepared *) *of;   /* of[slot]; NULL until first needed */
	size_t n;
};

static void *prepare(const struct stub_set *set, void *cls)
{
	(void)cls;
	struct prepared *p = xmalloc(sizeof(*p));
	p->n = set->n;
	p->of = xcalloc(set->n ? set->n : 1, sizeof(*p->of));
	return p;
}

static void drop(struct stub_prepared *sp, const struct reply_cache_config *cfg)
{
	for (size_t i = 0; i < sp->n; i++) {
		for (size_t k = 0; k < 2; k++) {
			void *b = atomic_load(&sp->r[i].built[k]);
			if (b && cfg->drop_built)
				cfg->drop_built(b);
		}
		free(sp->r[i].expose);
	}
	free(sp);
}

static void release(void *data, size_t n, void *cls)
{
	(void)n;
	struct prepared *p = data;
	for (size_t i = 0; i < p->n; i++) {
		struct stub_prepared *sp = atomic_load(&p->of[i]);
		if (sp)
			drop(sp, cls);
	}
	free(p->of);
	free(p);
}

void reply_cache_init(struct reply_cache_config *cfg, void (*drop_built)(void *built))
{
	cfg->drop_built = drop_built;
	cfg->ext.prepare = prepare;
	cfg->ext.release = release;
	cfg->ext.cls = cfg;
}

struct reply_prepared *reply_cache_get(const struct stub_set *set, size_t slot, size_t idx)
{
	const struct prepared *p = set->ext;
	struct stub_prepared *sp = atomic_load_explicit(&p->of[slot], memory_order_acquire);
	if (!sp) {
		/* made on first use; two threads may race: the first to publish wins */
		const struct stub *s = set->stubs[slot];
		size_t n = stub_response_count(s);
		struct stub_prepared *mine = xcalloc(1, sizeof(*mine) + (n ? n : 1) * sizeof(mine->r[0]));
		mine->n = n ? n : 1;
		for (size_t j = 0; j < n; j++)
			mine->r[j].expose = cors_expose_list(stub_response_at(s, j), &mine->r[j].own_cors);
		struct stub_prepared *none = NULL;
		if (atomic_compare_exchange_strong_explicit(&p->of[slot], &none, mine, memory_order_acq_rel,
							    memory_order_acquire)) {
			sp = mine;
		} else {
			for (size_t j = 0; j < n; j++)
				free(mine->r[j].expose);
			free(mine);
			sp = none;
		}
	}
	return &sp->r[idx < sp->n ? idx : 0];
}

void reply_expand(struct reply *r, struct arena *a)
{
	if (r->fixed) {
		const struct stub_response *sr = r->fixed;
		r->content_type = sr->content_type;
		r->body = sr->body;
		r->body_len = sr->body_len;
		for (size_t j = 0; j < sr->nheaders; j++)
			reply_add_header(r, a, sr->headers[j].name, sr->headers[j].value);
	} else if (r->shared) {
		const struct reply_shared *sh = r->shared;
		r->content_type = sh->content_type;
		r->body = sh->body;
		r->body_len = sh->body_len;
		for (size_t j = 0; j < sh->nheaders; j++)
			reply_add_header(r, a, sh->headers[j].name, sh->headers[j].value);
	}
	if (r->star && !r->prepared->own_cors)
		cors_add(r, a, NULL, r->prepared->expose);
}
