/* SPDX-License-Identifier: MIT */
/* Serves the dashboard's page with its security headers. */
#include "dashboard.h"

#include <string.h>

#include "admin.h"
#include "reply.h"
#include "util/strbuf.h"

bool dashboard_path(const char *path)
{
	return strcmp(path, ADMIN_PREFIX "/ui") == 0 || strcmp(path, ADMIN_PREFIX "/ui/") == 0;
}

void dashboard_serve(const struct admin_ctx *ax, const struct admin_request *req, struct reply *r,
		     struct arena *a)
{
	struct strbuf out = STRBUF_INIT;
	/* the Origin check as for every admin call; the token is the page's to ask for */
	struct admin_ctx page = *ax;
	page.token = NULL;
	int refused = admin_check_access(&page, req, &out);
	if (refused) {
		reply_json(r, refused, &out);
		return;
	}
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
		strbuf_adds(&out, "{\"error\":\"use GET for /__cannery/ui\"}");
		reply_json(r, 405, &out);
		reply_add_header(r, a, "Allow", "GET, HEAD");
		return;
	}
	r->status = 200;
	r->content_type = "text/html; charset=utf-8";
	r->body = (const char *)dashboard_html;
	r->body_len = dashboard_html_len;
	reply_add_header(r, a, "Content-Security-Policy", dashboard_csp);
	reply_add_header(r, a, "X-Content-Type-Options", "nosniff");
	reply_add_header(r, a, "X-Frame-Options", "DENY");
	reply_add_header(r, a, "Referrer-Policy", "no-referrer");
	reply_add_header(r, a, "Cross-Origin-Opener-Policy", "same-origin");
	reply_add_header(r, a, "Cross-Origin-Resource-Policy", "same-origin");
	reply_add_header(r, a, "Cache-Control", "no-store");
}
