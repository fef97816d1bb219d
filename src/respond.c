/* SPDX-License-Identifier: MIT */
/* The built-in response handlers. */
#include "respond.h"

#include "reply.h"
#include "util/arena.h"
#include "util/strbuf.h"

/* Header values rendered from request data must stay on one line. */
static void one_line(char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
			s[i] = ' ';
}

/* The response's headers, rendering those that are templates when render is set. */
static void add_headers(const struct stub_response *sr, struct respond_ctx *ctx, bool render, struct reply *out)
{
	for (size_t i = 0; i < sr->nheaders; i++) {
		const struct header *hd = &sr->headers[i];
		if (!render || !hd->tpl) {
			reply_add_header(out, ctx->arena, hd->name, hd->value);
			continue;
		}
		struct strbuf v = STRBUF_INIT;
		tpl_render(hd->tpl, &ctx->render, &v);
		one_line(v.buf ? v.buf : (char *)"", v.len);
		reply_add_header(out, ctx->arena, hd->name, arena_strndup(ctx->arena, strbuf_str(&v), v.len));
		strbuf_release(&v);
	}
}

static void canned(const struct stub_response *sr, struct respond_ctx *ctx, struct reply *out)
{
	out->reason = sr->status_message;
	out->body = sr->body;
	out->body_len = sr->body_len;
	out->content_type = sr->content_type;
	add_headers(sr, ctx, false, out);
}

static void template(const struct stub_response *sr, struct respond_ctx *ctx, struct reply *out)
{
	out->reason = sr->status_message;
	if (sr->body_tpl) {
		struct strbuf body = STRBUF_INIT;
		tpl_render(sr->body_tpl, &ctx->render, &body);
		reply_take_body(out, &body, NULL);
	} else {
		out->body = sr->body;
		out->body_len = sr->body_len;
	}
	out->content_type = sr->content_type;
	add_headers(sr, ctx, true, out);
}

static void fault(const struct stub_response *sr, struct respond_ctx *ctx, struct reply *out)
{
	(void)ctx;
	out->fault = sr->fault ? sr->fault : STUB_FAULT_RESET;
}

static void proxy(const struct stub_response *sr, struct respond_ctx *ctx, struct reply *out)
{
	(void)ctx;
	out->proxy_base = sr->proxy_base;
}

const struct responder respond_canned = { .kind = "canned", .fixed = true, .respond = canned };
const struct responder respond_template = { .kind = "template", .respond = template };
const struct responder respond_fault = { .kind = "fault", .respond = fault };
const struct responder respond_proxy = { .kind = "proxy", .respond = proxy };

const struct responder *respond_choose(const struct stub_response *sr)
{
	if (sr->body_tpl)
		return &respond_template;
	for (size_t i = 0; i < sr->nheaders; i++)
		if (sr->headers[i].tpl)
			return &respond_template;
	return &respond_canned;
}
