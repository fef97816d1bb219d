/* SPDX-License-Identifier: MIT */
/* The CRUD front-end (SPEC section 10): the collections and singular resources of one
 * `--crud FILE` compiled into stubs of the one stub model, whose response handler reads
 * and writes the file's crud_store. `/KEY` and `/KEY/{id}` are ordinary stubs (priority
 * 100, exact and template paths), so they compete with stub files and WireMock mappings
 * by section 2's rules; the catalog puts them after the stub files, so on a full tie a
 * stub wins. The stubs' handler data hold references to their source, so a request that
 * started with an old set still finds its store. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

struct crud_source;
struct stub_group;

/** Reads file (JSON or YAML) and builds its store and stubs. save: write each change back
 *  to file (atomically: temporary file + rename). Returns the source (refcount 1), or
 *  NULL with FILE:LINE:COLUMN problems appended to diags. */
struct crud_source *crud_source_create(const char *file, bool save, struct diag_list *diags);
/** The owner lets go: the source goes once the last stub set serving it does. NULL does
 *  nothing. */
void crud_source_destroy(struct crud_source *src);

/** The file, as given. */
const char *crud_source_file(const struct crud_source *src);
/** The stubs serving the file's resources now: a new reference (stub_group_unref). */
struct stub_group *crud_source_group(struct crud_source *src);
/** Back to the file's content as last read (POST /__cannery/reset). */
void crud_source_reset(struct crud_source *src);
/** Reads the file again if it changed (not by our own --crud-save write). Returns 1 when
 *  the stubs changed (a key came or went: take crud_source_group again), 0 when only the
 *  data did or nothing changed, -1 with problems in diags (the previous content stays). */
int crud_source_reload(struct crud_source *src, struct diag_list *diags);
