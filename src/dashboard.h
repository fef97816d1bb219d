/* SPDX-License-Identifier: MIT */
/* The dashboard: GET /__cannery/ui, one page built into the binary (src/ui/, inlined by
 * src/ui/embed.py), under SPEC section 6's admin rules, with headers that keep it from
 * loading anything from elsewhere or being framed. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct admin_ctx;
struct admin_request;
struct arena;
struct reply;

/* The page and its Content-Security-Policy (generated: dashboard_page.c). */
extern const unsigned char dashboard_html[];
extern const size_t dashboard_html_len;
extern const char dashboard_csp[];

/** Whether path is the page's: /__cannery/ui (or /__cannery/ui/). */
bool dashboard_path(const char *path);

/** Answers a request for the page into r (headers in a, the request's arena): 200 with
 *  the page, 405 for a method other than GET or HEAD, or the admin API's 403 for an
 *  Origin that is not loopback. The page itself needs no --admin-token (a browser's
 *  navigation cannot send one, and it holds no data): it asks for the token and sends it
 *  with every call it makes. Runs on MHD worker threads. */
void dashboard_serve(const struct admin_ctx *ax, const struct admin_request *req, struct reply *r,
		     struct arena *a);
