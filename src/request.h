/* SPDX-License-Identifier: MIT */
/* One request as every stage after the HTTP adapter sees it: method, decoded path, query,
 * headers, cookies and body, all borrowed, plus the parses of the body made on first use
 * (JSON, form). Built once per request by the adapter; one thread at a time. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "json.h"

struct arena;

/** A name/value pair borrowed from the request. value is never NULL ("" when empty). */
struct kv {
	const char *name;
	const char *value;
	size_t len;              /* strlen(value) unless the value holds NUL bytes */
};

/** What the matchers, templates and dispatcher see of a request. The caller fills the
 *  first part (all borrowed, valid while the view is used) and zeroes the rest; the
 *  parses are filled lazily. Release with req_view_release. One thread at a time. */
struct req_view {
	const char *method;             /* as received, e.g. "GET" */
	const char *path;               /* percent-decoded, without the query string */
	const char *target;             /* the request target as received (query included), or NULL */
	const struct kv *query;         /* decoded names and values ('+' is a space), in order */
	size_t nquery;
	const struct kv *headers;       /* names as received: compared case-insensitively */
	size_t nheaders;
	const struct kv *cookies;
	size_t ncookies;
	const char *body;               /* raw body; may be NULL when empty */
	size_t body_len;
	struct arena *arena;            /* for captures and parsed parts; required */
	bool https;                     /* it came over TLS: URLs built from it say https:// */
	/* caches: zero-initialise, then leave to request.c */
	int json_state;                 /* 0 not tried, 1 parsed, -1 not JSON */
	cJSON *json;                    /* owned; freed by req_view_release */
	int json_exact_state;           /* the same for json_exact */
	cJSON *json_exact;              /* json_parse_exact's tree: numbers as written */
	int form_state;                 /* 0 not tried, 1 parsed */
	struct kv *form;                /* in arena */
	size_t nform;
	/* Scenario states for stubs with `state:`: returns the current state of a scenario
	 * (borrowed while the caller keeps it stable). NULL: every scenario is in "start". */
	const char *(*scenario_state)(void *cls, const char *scenario);
	void *scenario_cls;
};

/** Frees the parses (not the borrowed parts). */
void req_view_release(struct req_view *r);

/** Values captured by a path template or by named groups of a path_regex. */
struct params {
	struct kv *items;               /* in the request's arena */
	size_t n;
};

/** The first header with this name (case-insensitive), or NULL. Borrowed from r. */
const struct kv *req_view_header(const struct req_view *r, const char *name);

/** The request body parsed as JSON (cached in r), or NULL when it is not JSON: trailing
 *  bytes other than white space make it not JSON. Borrowed from r. */
const cJSON *req_view_json(struct req_view *r);

/** The body read by json_parse_exact (numbers kept as written, in cJSON_Raw items;
 *  cached in r), or NULL when that reader refuses it (not JSON, duplicate keys, deeper
 *  than 512...): then use req_view_json. Borrowed from r. */
const cJSON *req_view_json_exact(struct req_view *r);

/** The value at DOTTED.PATH of the JSON body (`user.name`, `items.0.id`; "" is the whole
 *  body), or NULL when the body is not JSON or the path is missing. Borrowed from r. */
const cJSON *req_view_json_path(struct req_view *r, const char *path);

/** Parses an application/x-www-form-urlencoded body into r->form / r->nform (once; in
 *  r->arena). Without that Content-Type (prefix, case-insensitive) every field is absent. */
void req_view_form(struct req_view *r);
