/* SPDX-License-Identifier: MIT */
/* Stub files to stubs: the YAML stub front-end. yaml_tree reads each document into located
 * nodes, and the load*.c parts compile them into struct stub. Each call owns its own
 * reader, so loads may run on any thread. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "diag.h"
#include "load_result.h"
#include "stub.h"
#include "stub_files.h"
#include "yaml_tree.h"

/* struct load_result and load_result_release are declared in load_result.h. */

/* Bounds that keep hostile YAML from exhausting memory or the stack. */
#define LOAD_MAX_DEPTH YAML_TREE_MAX_DEPTH                /* nesting of mappings and sequences */
#define LOAD_MAX_NODES YAML_TREE_MAX_NODES                /* nodes of a document, aliases expanded */
#define LOAD_MAX_ALIAS_BYTES YAML_TREE_MAX_ALIAS_BYTES    /* scalar bytes a document's aliases may repeat */

/** Loads every *.yaml / *.yml file under each DIR, recursively, in byte order of the
 *  relative path, skipping names that start with '.'. Returns 0 when everything loaded,
 *  or -1 with every problem found appended to diags (FILE as "DIR/RELPATH", LINE and
 *  COLUMN 1-based); on -1, out holds nothing. Ids must be unique across all DIRs. */
int stub_load_dirs(const char *const *dirs, size_t ndirs, struct load_result *out, struct diag_list *diags);

/* stub_load_list and stub_files_release (the stub files under a DIR, in load order) are
 * declared in stub_files.h. */

/** Loads the one stub file top/rel as stub_load_dirs does within its load of top
 *  (root_real: realpath of top, or NULL when that failed, which forbids `file:`), except
 *  that ids are only checked within the file (the caller checks them across files) and
 *  order counts from 0. out->paths: the file, then the `file:` bodies it read. Returns 0,
 *  or -1 with the file's problems appended to diags, as stub_load_dirs would report them
 *  save for duplicate ids across files. Any thread. */
int stub_load_file(const char *top, const char *root_real, const char *rel, struct load_result *out,
		   struct diag_list *diags);

/** Loads stubs from YAML (or JSON) text, as a file called label would be. base_dir is
 *  the directory `file:` paths are relative to and confined to, or NULL to forbid `file:`.
 *  When runtime is true, stubs get file == NULL and ids from `name` or "runtime-N"
 *  (the caller renumbers). Returns 0 or -1 as stub_load_dirs does. */
int stub_load_string(const char *text, size_t len, const char *label, const char *base_dir,
		     bool runtime, struct load_result *out, struct diag_list *diags);

/** Loads a request matcher (what a stub's `request:` holds: method, path, query, headers,
 *  cookies, body) from YAML or JSON text into a stub that has only its request part, for
 *  matching journal entries with the functions of matcher.h. With member not NULL, the
 *  text's root must be a mapping and its member key holds the matcher (the caller checks
 *  the other keys); with member NULL the root is the matcher itself, or a mapping whose
 *  only key is `request`. No text, or a null matcher, matches every request. Returns 0
 *  and *out (free with stub_destroy), or -1 with the problems appended to diags (FILE is
 *  label). Any thread. */
int stub_load_matcher(const char *text, size_t len, const char *label, const char *member,
		      struct stub **out, struct diag_list *diags);

/** Reads the data file of `--crud` (SPEC section 10; YAML or JSON text, called file in
 *  messages): one document whose root is a mapping, each value a sequence of mappings (a
 *  collection) or a mapping (a singular resource). Returns it as a JSON object (keys in
 *  file order; caller deletes), or NULL with FILE:LINE:COLUMN problems appended to diags
 *  (a syntax error, duplicate keys, a value of another kind, a second document). */
cJSON *stub_load_data(const char *file, const char *text, size_t len, struct diag_list *diags);
