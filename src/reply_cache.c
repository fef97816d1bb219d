/* SPDX-License-Identifier: MIT */
/* Per-set prepared reply data. */
#include "reply_cache.h"

#include <stdlib.h>

#include "cors.h"
#include "reply.h"
#include "stub.h"
#include "util/xalloc.h"

/* Every response of a set, stub after stub, in one array: two allocations per set rather
 * than one per stub (a 48-byte chunk and a pointer each, 5 MB at 100,000 stubs, and 100,000
 * callocs in every reload). */
struct prepared {
	size_t *first;                  /* stubs[i]'s responses are r[first[i] .. first[i + 1]) */
	struct reply_prepared *r;
	size_t total;
};

static void *prepare(const struct stub_set *set, void *cls)
{
	(void)cls;
	struct prepared *p = xmalloc(sizeof(*p));
	p->first = xmalloc((set->n + 1) * sizeof(*p->first));
	p->total = 0;
	for (size_t i = 0; i < set->n; i++) {
		p->first[i] = p->total;
		p->total += stub_response_count(set->stubs[i]);
	}
	p->first[set->n] = p->total;
	p->r = xcalloc(p->total ? p->total : 1, sizeof(*p->r));
	for (size_t i = 0; i < set->n; i++) {
		const struct stub *s = set->stubs[i];
		struct reply_prepared *r = &p->r[p->first[i]];
		for (size_t j = 0; j < p->first[i + 1] - p->first[i]; j++)
			r[j].expose = cors_expose_list(stub_response_at(s, j), &r[j].own_cors);
		/* the adapter's prebuilt responses come on first use */
	}
	return p;
}

static void release(void *data, size_t n, void *cls)
{
	(void)n;
	struct reply_cache_config *cfg = cls;
	struct prepared *p = data;
	for (size_t i = 0; i < p->total; i++) {
		for (size_t k = 0; k < 2; k++) {
			void *b = atomic_load(&p->r[i].built[k]);
			if (b && cfg->drop_built)
				cfg->drop_built(b);
		}
		free(p->r[i].expose);
	}
	free(p->r);
	free(p->first);
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
	size_t first = p->first[slot], n = p->first[slot + 1] - first;
	return &p->r[first + (idx < n ? idx : 0)];
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
