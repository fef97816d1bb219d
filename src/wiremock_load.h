/* SPDX-License-Identifier: MIT */
/* The WireMock front-end's compiler: WireMock mapping JSON (SPEC section 8) into stubs of
 * the stub model, with FILE:LINE:COLUMN errors naming the JSON key. A feature of WireMock
 * that cannery does not support is an error that names it, never silently ignored. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

struct stub;
struct stub_file;

/** Where a root's response bodies live: ROOT/__files as messages show it, and its
 *  realpath (NULL when it does not exist): a bodyFileName must stay inside it. */
struct wm_files {
	const char *shown;
	const char *real;
};

/** What a load appends to: the stubs in load order, and the recency counter that gives
 *  each mapping its stub->insertion (incremented per mapping; newer is larger). */
struct wm_out {
	struct stub **stubs;
	size_t n;
	uint64_t *insertion;
};

/** Compiles the mapping file text[0..len) (one mapping, or `{"mappings": [...]}`), called
 *  file in messages, appending its stubs to out. Returns how many it appended, or -1 after
 *  appending located errors to diags (then nothing is appended). */
int wm_load_file(const char *file, const char *text, size_t len, const struct wm_files *files, struct wm_out *out,
		 struct diag_list *diags);

/** One mapping from text (a body of the admin API), called label in messages, with this
 *  recency; keep_id (PUT /__admin/mappings/{id}) overrides the body's id. NULL after
 *  appending errors to diags. */
struct stub *wm_load_mapping(const char *label, const char *text, size_t len, const struct wm_files *files,
			     uint64_t insertion, const char *keep_id, struct diag_list *diags);
/** A request pattern (POST /__admin/requests/count and find: a mapping's `request`) as a
 *  stub to match journal entries with; an empty text is the pattern of every request.
 *  NULL after appending errors to diags. */
struct stub *wm_load_pattern(const char *label, const char *text, size_t len, struct diag_list *diags);
/** Whether s is a UUID in its 36-character form. */
bool wm_is_uuid(const char *s);

/** WireMock's static file serving: for each file under __files (v[0..n), as
 *  stub_list_files lists them), a fallback-tier stub answering GET /REL with its bytes
 *  and a Content-Type by extension (application/json when unknown), and for a directory
 *  with an index.json, .html, .xml or .txt, stubs for /DIR/ and /DIR (/ at the top).
 *  Fallback: only what no mapping matched gets them, as in WireMock. */
void wm_load_static(const struct wm_files *files, const struct stub_file *v, size_t n, struct wm_out *out);

/** Percent-decodes a URL path as the HTTP adapter does ("%2F" becomes '/', '+' stays).
 *  Caller frees. */
char *wm_decode_path(const char *path, size_t len);
