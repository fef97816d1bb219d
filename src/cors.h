/* SPDX-License-Identifier: MIT */
/* CORS for stub routes (SPEC section 6): which requests it applies to, the headers every
 * answer carries, and the built-in preflight answer. Pure functions over the request. */
#pragma once
#include <stdbool.h>

struct arena;
struct reply;
struct req_view;
struct stub_response;

/** The request's Origin when CORS is on (else NULL). */
const char *cors_origin(const struct req_view *req, bool enabled);

/** Whether the request is a preflight: OPTIONS with an Origin and an
 *  Access-Control-Request-Method. */
bool cors_is_preflight(const struct req_view *req, const char *origin);

/** Adds Access-Control-Allow-Origin (origin, with credentials allowed then, so that pages
 *  using cookies work; "*" when origin is NULL), Vary: Origin, and Expose-Headers when
 *  expose is not NULL. */
void cors_add(struct reply *r, struct arena *a, const char *origin, const char *expose);

/** The built-in answer to a preflight that no OPTIONS stub took: 204 allowing the asked
 *  method and headers (and Chrome's private-network access). */
void cors_preflight(struct reply *r, struct arena *a, const struct req_view *req, const char *origin);

/** The response's own header names for Access-Control-Expose-Headers (Content-Type and
 *  CORS headers left out: scripts may read the first anyway), or NULL (caller frees);
 *  *own_cors tells whether it sets Access-Control-Allow-Origin itself. */
char *cors_expose_list(const struct stub_response *sr, bool *own_cors);
