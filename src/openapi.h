/* SPDX-License-Identifier: MIT */
/* The OpenAPI front-end (SPEC section 9): a spec file (`--openapi SPEC`, or a positional
 * file whose top level has an `openapi` key) compiled into stubs of the one stub model, in
 * the fallback tier: an operation answers only what no stub file, WireMock mapping or CRUD
 * resource matched. Each operation's stub validates the request and answers from the
 * spec's examples or schemas; each path's implicit stub answers other methods with 405.
 * The spec and the files its `$ref`s reach reload when they change; an invalid edit keeps
 * the previous spec serving. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

struct oa_spec;
struct openapi_source;
struct stub;
struct stub_group;

/** Whether path is a file whose top level has an `openapi` key (SPEC section 1's
 *  sniffing of a positional argument). Reads the file. */
bool openapi_is_spec(const char *path);

/** Reads and compiles the spec file. validate: validate requests (false: --no-validate).
 *  Returns the source, or NULL with FILE:LINE:COLUMN problems appended to diags. */
struct openapi_source *openapi_source_create(const char *file, bool validate, struct diag_list *diags);
/** NULL does nothing. Stubs already published keep their spec until they go. */
void openapi_source_destroy(struct openapi_source *src);

/** The stubs serving the spec now: a new reference (stub_group_unref). */
struct stub_group *openapi_source_group(struct openapi_source *src);
/** Reads the spec again if one of its files changed. Returns 1 when the stubs changed
 *  (take openapi_source_group again), 0 when nothing did, -1 with problems in diags (the
 *  previous spec keeps serving). */
int openapi_source_reload(struct openapi_source *src, struct diag_list *diags);
/** The files the current spec was read from (the spec first): copies, NULL-terminated;
 *  the caller frees each and the array. *n gets the count. */
char **openapi_source_files(struct openapi_source *src, size_t *n);

/** The spec serving now: a new reference (oa_spec_unref). */
struct oa_spec *openapi_source_spec(struct openapi_source *src);

/** `cannery check --openapi`: appends a FILE:LINE:COLUMN problem for every stub of
 *  stubs[0..n) whose route is no operation of src's spec, or whose response body does not
 *  validate against the operation's schema for its status and content type. Returns the
 *  number of problems found. */
size_t openapi_source_check(struct openapi_source *src, const struct stub *const *stubs, size_t n,
			    struct diag_list *diags);
