/* SPDX-License-Identifier: MIT */
/* An OpenAPI document as read from disk: the spec file (YAML or JSON) and every file its
 * `$ref`s reach, as JSON trees, with each `$ref` resolved once at load (inside a document
 * and to relative files), chains of `$ref`s that lead back to themselves refused, and any
 * node located as FILE:LINE:COLUMN for messages. It knows nothing of operations or
 * schemas: the OpenAPI front-end (openapi.c) reads the trees. Immutable once loaded; any
 * thread may read it. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "json.h"

/** Bounds that keep a hostile spec from exhausting memory or time. */
#define OPENAPI_DOC_MAX_FILES 1000            /* files one spec may reach through $refs */
#define OPENAPI_DOC_MAX_BYTES (256u << 20)    /* bytes of all of them together */

struct openapi_doc;

/** Reads file (a path as the user gave it: messages use it as is) and every file its
 *  `$ref`s reach, relative to the file that holds the `$ref` ("other.yaml#/Pet",
 *  "./schemas/pet.json", "../common.yaml", percent-decoded; joined the way URLs are, so
 *  "a/../b" is "b" whatever a is); "http:" and "https:" references are an error (remote
 *  references are not fetched). A file reached by several paths (the same realpath) is
 *  read once.
 *
 *  Text whose first byte is '{' or '[' is read as JSON (or as YAML when it is not JSON
 *  but is YAML's flow style), anything else as YAML: plain scalars typed by the YAML 1.2
 *  core schema, no merge keys, one document. Duplicate keys are errors, also in JSON.
 *
 *  Checks that every `$ref` resolves, as a JSON pointer (RFC 6901: percent-decoded, then
 *  ~1 and ~0, array indices) into its file, or the whole file without a fragment, and so
 *  does every discriminator `mapping` value that holds a '/' or a '#'; a "$ref" inside a
 *  literal (`example`, an `examples` array, `default`, `enum`, `const`, an Example's
 *  `value`) is data and left alone. Checks that no chain of `$ref`s (objects with a
 *  "$ref" member, each pointing at the next) comes back to where it started ("'$ref' '#/a'
 *  leads back to itself" at the first of them); a schema whose properties refer back to
 *  it is fine.
 *
 *  Returns the document, or NULL with FILE:LINE:COLUMN problems appended to diags (a
 *  syntax error, a file that cannot be read, an unresolved `$ref`; several at once where
 *  they are independent). It does not check that the root is OpenAPI. Any thread. */
struct openapi_doc *openapi_doc_load(const char *file, struct diag_list *diags);

/** Where openapi_doc_load_with gets its files: tests and the fuzzer read them from memory. */
struct openapi_doc_reader {
	/** The whole file at path (as the loader joined it), NUL-terminated, in *text (the
	 *  loader frees it), its length in *len, and in *id what makes it the same file as
	 *  another path (the disk's reader gives the realpath; the loader frees it). Returns 0,
	 *  or a negative errno: -EISDIR for a directory, -EFBIG when it holds more than max
	 *  bytes. Called on the loading thread only. */
	int (*read)(void *cls, const char *path, size_t max, char **text, size_t *len, char **id);
	void *cls;
};

/** openapi_doc_load with the files read by rd (openapi_doc_load reads them from disk). */
struct openapi_doc *openapi_doc_load_with(const char *file, const struct openapi_doc_reader *rd,
					  struct diag_list *diags);

/** Frees d and its trees. NULL does nothing. */
void openapi_doc_destroy(struct openapi_doc *d);

/** The root of the spec file. Borrowed from d. */
const cJSON *openapi_doc_root(const struct openapi_doc *d);

/** What the `$ref` string item at (a "$ref" member anywhere in any of d's files, or a
 *  discriminator `mapping` value) points to, as load resolved it, when ref is at's text.
 *  Otherwise ref is resolved now, relative to the file that holds at (found by a walk:
 *  slow), or to the spec file when at is NULL or not from d ("#/components/schemas/Cat");
 *  only files d has read are reached. NULL when it does not resolve. This is a
 *  jsonschema_resolve_fn with d as cls. Any thread. */
const cJSON *openapi_doc_resolve(void *d, const char *ref, const cJSON *at);

/** node itself, or when it is an object with a "$ref" member, what that points to,
 *  followed through chains of `$ref`s (load refused the cycles). Borrowed. */
const cJSON *openapi_doc_deref(const struct openapi_doc *d, const cJSON *node);

/** Where node (any item of any of d's trees: an object, a value, an object member) stands:
 *  *file is the path as messages show it (the spec as given; a referenced file joined to
 *  the directory of the file that named it, e.g. "specs/schemas/pet.yaml"), *line and
 *  *col 1-based where the node's value starts in its file (a member's value; for the root,
 *  where the document starts; a YAML alias's node, where its anchor's stands). Unknown
 *  nodes (not from d) give the spec file and 0, 0. Slow (it finds the node by a walk and
 *  parses its file's text, as it was read, again): for messages only. Any thread. */
void openapi_doc_locate(const struct openapi_doc *d, const cJSON *node, const char **file, int *line, int *col);

/** Where a node stands, as openapi_doc_locate says. */
struct openapi_doc_loc {
	const char *file;           /* borrowed from d */
	int line, col;              /* 0, 0: not from d */
};

/** openapi_doc_locate for nodes[0..n) at once (out[i] for nodes[i]): each file is read
 *  again once for all of them, so that the operations of a large spec are located in one
 *  pass rather than one each. */
void openapi_doc_locate_many(const struct openapi_doc *d, const cJSON *const *nodes, size_t n,
			     struct openapi_doc_loc *out);

/** Every file d was read from, the spec first, then in the order their `$ref`s were first
 *  met, as messages show them (borrowed; *n gets the count): hot reload watches them. */
const char *const *openapi_doc_files(const struct openapi_doc *d, size_t *n);
