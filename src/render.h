/* SPDX-License-Identifier: MIT */
/* Response templates: `{{ expr | filter ... }}` compiled once at load time into literal
 * byte runs and holes, then rendered per request by concatenation. Compiled templates are
 * immutable: any number of threads may render one at once. */
#pragma once
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "javadate.h"
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

/** Fills *err for a template compiler (this one or a front-end's): the offset and the
 *  message made from fmt and ap. */
void tpl_error_vset(struct tpl_error *err, size_t at, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

/** A piece of a template's source quoted for a message: 'text', cut to 37 bytes and "..."
 *  beyond 40, control characters as '?'. Written into buf (size bytes); returns buf. */
const char *tpl_quote(char *buf, size_t size, const char *s, size_t len);

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

/* ---- building a template from another syntax ----------------------------------- */

/* A front-end with a template syntax of its own (wiremock_template.h) builds a struct tpl
 * from literal runs and holes: tpl_create, then tpl_add_text and tpl_add_var in order.
 * Its holes render as text (never JSON-escaped); absent values render empty. */

/** What a front-end's hole reads. */
enum tpl_var_kind {
	TPL_VAR_METHOD,         /* the request method */
	TPL_VAR_PATH,           /* the path, percent-decoded, without the query (see raw_if_params) */
	TPL_VAR_URL,            /* the request target as received: path and query, not decoded */
	TPL_VAR_PATH_SEGMENT,   /* index: the Nth non-empty '/'-separated segment of TPL_VAR_PATH */
	TPL_VAR_PARAM,          /* name: a path capture (ctx->params) */
	TPL_VAR_QUERY,          /* name: a query parameter's first value (or the index-th) */
	TPL_VAR_HEADER,         /* name, case-insensitive: a header's first value (or the index-th) */
	TPL_VAR_COOKIE,         /* name: a cookie's first value (or the index-th) */
	TPL_VAR_BODY,           /* the body as received */
	TPL_VAR_HOST,           /* the Host header without its port ("[::1]" for IPv6) */
	TPL_VAR_PORT,           /* the Host header's port, 80 (443 over TLS) when it names none */
	TPL_VAR_BASE_URL,       /* http://HOST (https:// over TLS), with :PORT unless it is the
				 * scheme's default port */
	TPL_VAR_RANDOM,         /* random_length random characters of random_chars */
	TPL_VAR_NOW,            /* the request's time (ctx->now_ms) shifted by now_offset, printed by now_format */
	TPL_VAR_SCHEME,         /* "http", or "https" over TLS */
	TPL_VAR_JSON_PATH,      /* name: a dotted path ("a.b.0.c", "" for the root) into the JSON body,
				 * printed as WireMock's jsonPath helper prints it (javatext_json_value);
				 * json_default when absent or null; empty when there is no body */
};

/** The characters of TPL_VAR_RANDOM (WireMock's randomValue types). */
enum tpl_random_chars {
	TPL_RANDOM_ALPHANUMERIC,                /* A-Z a-z 0-9 */
	TPL_RANDOM_ALPHABETIC,                  /* A-Z a-z */
	TPL_RANDOM_NUMERIC,                     /* 0-9 */
	TPL_RANDOM_ALPHANUMERIC_AND_SYMBOLS,    /* '!' (33) to '}' (125) */
	TPL_RANDOM_HEXADECIMAL,                 /* 0-9 A-F */
	TPL_RANDOM_UUID,                        /* a version 4 UUID; random_length is not used */
	TPL_RANDOM_ASCII,                       /* ' ' (32) to '~' (126) */
};

/** One hole: what it reads and how. Only the fields of its kind are read. */
struct tpl_var {
	enum tpl_var_kind kind;
	const char *name;               /* PARAM, QUERY, HEADER, COOKIE, JSON_PATH (copied) */
	bool has_index;                 /* QUERY, HEADER, COOKIE: the index-th value, not the first */
	int64_t index;                  /* from 0; for QUERY, HEADER and COOKIE a negative index picks
					 * value count-1+index, as WireMock's ListOrSingle does; out of
					 * range (or negative for PATH_SEGMENT) renders empty */
	bool raw_if_params;             /* PATH, PATH_SEGMENT: when ctx->params holds captures, the path
					 * as received (not decoded), as WireMock shows a request that
					 * matched a urlPathTemplate */
	size_t random_length;           /* RANDOM */
	enum tpl_random_chars random_chars;
	bool random_upper;              /* RANDOM: upper case; else lower case (WireMock folds every type) */
	struct javadate *now_format;    /* NOW: required; the template takes it over */
	struct javadate_offset now_offset;
	const char *json_default;       /* JSON_PATH: rendered when the value is absent or null (copied) */
};

/** A template with nothing in it yet. Caller frees with tpl_destroy. */
struct tpl *tpl_create(void);

/** Appends len literal bytes (copied). */
void tpl_add_text(struct tpl *t, const char *s, size_t len);

/** Appends a hole reading what spec says. Copies spec's strings; takes spec->now_format
 *  (the caller must not destroy it). */
void tpl_add_var(struct tpl *t, const struct tpl_var *spec);

/** Appends the rendering of t for one request to out. Unknown variables and absent
 *  values render empty (or their `default`). Runs on any thread. */
void tpl_render(const struct tpl *t, struct render_ctx *ctx, struct strbuf *out);
