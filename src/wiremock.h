/* SPDX-License-Identifier: MIT */
/* The WireMock front-end (SPEC section 8): one `--wiremock ROOT`, the .json files under its `ROOT/mappings`
 * compiled (wiremock_load.h) into one group of stubs of the one stub model, bodies from
 * `ROOT/__files`. A mapping is a stub like any other: one index, one journal, one set of
 * scenario states; among mappings WireMock's rule holds (priority, then the most recently
 * added), through stub->insertion. Not thread-safe: the server's reload path owns it. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

struct wm_root;
struct stub_group;

/** Whether dir looks like a WireMock root: it has a `mappings` subdirectory. */
bool wm_is_root(const char *dir);

/** Loads every mapping file under root/mappings (byte order of their relative paths; the
 *  entries of a file in order; later is newer). Returns the root, or NULL with
 *  FILE:LINE:COLUMN problems appended to diags. */
struct wm_root *wm_root_create(const char *root, struct diag_list *diags);
void wm_root_destroy(struct wm_root *r);

/** The root as given. */
const char *wm_root_dir(const struct wm_root *r);
/** The directories a watcher should watch for it: ROOT/mappings and ROOT/__files. */
void wm_root_watch_dirs(const struct wm_root *r, const char **dirs);
/** The mappings served now: a new reference (stub_group_unref). */
struct stub_group *wm_root_group(struct wm_root *r);
/** Reads the mapping files again if any was added, changed or removed (or a body file
 *  changed). Returns 1 when the stubs changed (take wm_root_group again), 0 when nothing
 *  did, -1 with problems in diags (the previous mappings stay). */
int wm_root_reload(struct wm_root *r, struct diag_list *diags);
