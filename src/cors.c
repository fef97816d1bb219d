/* SPDX-License-Identifier: MIT */
/* CORS headers and preflights for stub routes. */
#include "cors.h"

#include <string.h>
#include <strings.h>

#include "reply.h"
#include "request.h"
#include "stub.h"
#include "util/strbuf.h"

const char *cors_origin(const struct req_view *req, bool enabled)
{
	if (!enabled)
		return NULL;
	const struct kv *o = req_view_header(req, "Origin");
	return o ? o->value : NULL;
}

static const char *header(const struct req_view *req, const char *name)
{
	const struct kv *h = req_view_header(req, name);
	return h ? h->value : NULL;
}

bool cors_is_preflight(const struct req_view *req, const char *origin)
{
	return origin && strcmp(req->method, "OPTIONS") == 0 && header(req, "Access-Control-Request-Method");
}

void cors_add(struct reply *r, struct arena *a, const char *origin, const char *expose)
{
	reply_add_header(r, a, "Access-Control-Allow-Origin", origin ? origin : "*");
	if (origin)
		reply_add_header(r, a, "Access-Control-Allow-Credentials", "true");
	reply_add_header(r, a, "Vary", "Origin");
	if (expose)
		reply_add_header(r, a, "Access-Control-Expose-Headers", expose);
}

void cors_preflight(struct reply *r, struct arena *a, const struct req_view *req, const char *origin)
{
	const char *method = header(req, "Access-Control-Request-Method");
	const char *headers = header(req, "Access-Control-Request-Headers");
	const char *pna = header(req, "Access-Control-Request-Private-Network");
	r->status = 204;
	reply_add_header(r, a, "Access-Control-Allow-Origin", origin);
	reply_add_header(r, a, "Access-Control-Allow-Credentials", "true");
	reply_add_header(r, a, "Access-Control-Allow-Methods", method);
	if (headers && *headers)
		reply_add_header(r, a, "Access-Control-Allow-Headers", headers);
	/* Chrome asks before a public page may call a loopback server */
	if (pna && strcasecmp(pna, "true") == 0)
		reply_add_header(r, a, "Access-Control-Allow-Private-Network", "true");
	reply_add_header(r, a, "Vary", "Origin");
}

char *cors_expose_list(const struct stub_response *sr, bool *own_cors)
{
	struct strbuf sb = STRBUF_INIT;
	*own_cors = false;
	for (size_t i = 0; i < sr->nheaders; i++) {
		const char *name = sr->headers[i].name;
		if (strcasecmp(name, "Access-Control-Allow-Origin") == 0)
			*own_cors = true;
		if (strcasecmp(name, "Content-Type") == 0 || strncasecmp(name, "access-control-", 15) == 0)
			continue;
		bool dup = false;
		for (size_t j = 0; j < i; j++)
			if (strcasecmp(sr->headers[j].name, name) == 0)
				dup = true;
		if (dup)
			continue;
		if (sb.len)
			strbuf_adds(&sb, ", ");
		strbuf_adds(&sb, name);
	}
	return sb.len ? strbuf_detach(&sb, NULL) : NULL;
}
