/* SPDX-License-Identifier: MIT */
/* Building reply values. */
#include "reply.h"

#include <stdlib.h>
#include <string.h>

#include "util/arena.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

void reply_add_header(struct reply *r, struct arena *a, const char *name, const char *value)
{
	if (r->nheaders == r->aheaders) {
		size_t n = r->aheaders ? 2 * r->aheaders : 8;
		struct reply_header *v = arena_alloc(a, n * sizeof(*v));
		if (r->nheaders)
			memcpy(v, r->headers, r->nheaders * sizeof(*v));
		r->headers = v;
		r->aheaders = n;
	}
	r->headers[r->nheaders].name = name;
	r->headers[r->nheaders].value = value;
	r->nheaders++;
}

void reply_take_body(struct reply *r, struct strbuf *text, const char *content_type)
{
	free(r->body_owned);
	r->body_owned = strbuf_detach(text, &r->body_len);
	r->body = r->body_owned;
	r->content_type = content_type;
}

void reply_json(struct reply *r, int status, struct strbuf *json)
{
	r->status = status;
	reply_take_body(r, json, "application/json");
}

struct reply_shared *reply_shared_create(int status, const char *content_type, char *body, size_t body_len)
{
	struct reply_shared *sh = xcalloc(1, sizeof(*sh));
	atomic_init(&sh->refs, 1);
	sh->status = status;
	sh->content_type = content_type;
	sh->body = body;
	sh->body_len = body_len;
	return sh;
}

void reply_shared_add_header(struct reply_shared *sh, const char *name, const char *value)
{
	sh->headers = xrealloc(sh->headers, (sh->nheaders + 1) * sizeof(*sh->headers));
	sh->headers[sh->nheaders].name = xstrdup(name);
	sh->headers[sh->nheaders].value = xstrdup(value);
	sh->nheaders++;
}

struct reply_shared *reply_shared_ref(struct reply_shared *sh)
{
	atomic_fetch_add_explicit(&sh->refs, 1, memory_order_relaxed);
	return sh;
}

void reply_shared_unref(struct reply_shared *sh)
{
	if (!sh || atomic_fetch_sub_explicit(&sh->refs, 1, memory_order_acq_rel) != 1)
		return;
	void (*drop)(void *) = atomic_load(&sh->drop);
	for (size_t i = 0; i < 2; i++) {
		void *b = atomic_load(&sh->built[i]);
		if (b)
			drop(b);
	}
	for (size_t i = 0; i < sh->nheaders; i++) {
		free((char *)sh->headers[i].name);
		free((char *)sh->headers[i].value);
	}
	free(sh->headers);
	free(sh->body);
	free(sh);
}

void reply_use_shared(struct reply *r, struct reply_shared *sh)
{
	reply_shared_unref(r->shared);
	r->shared = sh;
	r->status = sh->status;
}

void reply_release(struct reply *r)
{
	free(r->body_owned);
	reply_shared_unref(r->shared);
	memset(r, 0, sizeof(*r));
}
