/* SPDX-License-Identifier: MIT */
/* Building reply values. */
#include "reply.h"

#include <stdlib.h>
#include <string.h>

#include "util/arena.h"
#include "util/strbuf.h"

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

void reply_release(struct reply *r)
{
	free(r->body_owned);
	memset(r, 0, sizeof(*r));
}
