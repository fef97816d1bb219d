/* SPDX-License-Identifier: MIT */
/* The response handlers: how a stub response becomes a reply for one request. A front-end
 * (the YAML loader, later WireMock mappings, OpenAPI operations and CRUD resources) picks
 * one per response at load time and stores it in stub_response.handler; the dispatcher
 * only calls it. Which of a stub's responses answers (a `responses:` sequence) is chosen
 * before, by hit count; CORS and the delay are added after, the same for every handler. */
#pragma once
#include <stdint.h>

#include "render.h"
#include "stub.h"

struct arena;
struct reply;

/** What a handler may read and allocate while it answers one request. */
struct respond_ctx {
	struct render_ctx render;   /* the request, path captures, rng and hit count */
	struct arena *arena;        /* the request's arena: header strings and scratch */
};

/** The stub response as loaded: status, headers, body bytes; the same every time, so the
 *  HTTP adapter may serve a prebuilt copy (fixed). */
extern const struct responder respond_canned;
/** The body and/or header values rendered from templates for each request. */
extern const struct responder respond_template;
/** `fault: reset`: no answer, the connection ends with a TCP reset. */
extern const struct responder respond_fault;
/** Forwards the request to the response's proxy_base (the pipeline does, on its proxy
 *  thread) and answers with what comes back (WireMock's proxyBaseUrl). */
extern const struct responder respond_proxy;

/** The built-in handler for a response without a fault: template when its body or a
 *  header value holds a template, else canned. */
const struct responder *respond_choose(const struct stub_response *sr);
