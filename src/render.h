/* SPDX-License-Identifier: MIT */
/* Response templates: `{{ expr | filter ... }}` compiled once at load time into literal
 * byte runs and holes, then rendered per request by concatenation. Compiled templates are
 * immutable: any number of threads may render one at once. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"

struct params;
struct req_view;
struct rng;
struct strbuf;

/** A compiled template. */
struct tpl;

/** Why a template does not compile. */
struct tpl_error {
	size_t offset;          /* byte offset into the source where the problem starts */
	char msg[192];          /* lower case, no final period, e.g. "unknown filter 'uper' (did you mean 'upper'?)" */
};

/** What a template reads while rendering one request. Everything is borrowed. */
struct render_ctx {
	struct req_view *req;           /* required: the request; its arena takes scratch copies */
	const struct params *params;    /* path captures for request.params.NAME; may be NULL */
	struct rng *rng;                /* required for uuid and random_int */
	uint64_t seq;                   /* this stub's hit count, from 1 */
	int64_t now_ms;                 /* wall clock in ms since the epoch; 0: read the clock */
};

/** Whether text holds "{{", i.e. is a template when templates are on. */
bool tpl_has_expr(const char *s, size_t len);

/** Compiles text (len bytes, not necessarily NUL-terminated) as a text template: body
 *  and header values. Returns the template (caller frees with tpl_destroy), or NULL with
 *  *err filled when it is malformed (an unknown filter, an unclosed '{{', bad arguments). */
struct tpl *tpl_compile(const char *src, size_t len, struct tpl_error *err);

/** Compiles a JSON document into a skeleton: every string that holds "{{" becomes a hole
 *  (JSON-escaped when rendered), and a string that is exactly one expression whose last
 *  filter is `number` or `json` becomes that JSON value. Everything else is precomputed
 *  bytes, identical to cJSON_PrintUnformatted(root). Returns NULL when no string holds a
 *  template (the document is static). Strings that do not compile are kept literally:
 *  validate them with tpl_compile first. Object keys are never templates. */
struct tpl *tpl_compile_json(const cJSON *root);

/** Frees a template. NULL does nothing. */
void tpl_destroy(struct tpl *t);

/** Whether the template reads `seq` (the stub then needs its hit counter). */
bool tpl_uses_seq(const struct tpl *t);

/** Appends the rendering of t for one request to out. Unknown variables and absent
 *  values render empty (or their `default`). Runs on any thread. */
void tpl_render(const struct tpl *t, struct render_ctx *ctx, struct strbuf *out);
