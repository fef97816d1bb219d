/* SPDX-License-Identifier: MIT */
/* Per-set prepared reply data. */
#include "reply_cache.h"

#include <stdlib.h>

#include "cors.h"
#include "reply.h"
#include "stub.h"
#include "util/xalloc.h"

/* One stub's responses. */
struct prepared {
	size_t n;
	struct reply_prepared r[];
};

static void *prepare(const struct stub_set *set, void *cls)
{
	(void)cls;
	struct prepared **v = xcalloc(set->n ? set->n : 1, sizeof(*v));
	for (size_t i = 0; i < set->n; i++) {
		const struct stub *s = set->stubs[i];
		size_t n = stub_response_count(s);
		struct prepared *p = xcalloc(1, sizeof(*p) + n * sizeof(p->r[0]));
		p->n = n;
		for (size_t j = 0; j < n; j++)
			p->r[j].expose = cors_expose_list(stub_response_at(s, j), &p->r[j].own_cors);
		/* the adapter's prebuilt responses come on first use */
		v[i] = p;
	}
	return v;
}

static void release(void *data, size_t n, void *cls)
{
	struct reply_cache_config *cfg = cls;
	struct prepared **v = data;
	for (size_t i = 0; i < n; i++) {
		struct prepared *p = v[i];
		for (size_t j = 0; j < p->n; j++) {
			for (size_t k = 0; k < 2; k++) {
				void *b = atomic_load(&p->r[j].built[k]);
				if (b && cfg->drop_built)
					cfg->drop_built(b);
			}
			free(p->r[j].expose);
		}
		free(p);
	}
	free(v);
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
	struct prepared *p = ((struct prepared **)set->ext)[slot];
	return &p->r[idx < p->n ? idx : 0];
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
