/* SPDX-License-Identifier: MIT */
/* The WireMock front-end (SPEC section 8): one `--wiremock ROOT`, the .json files under its `ROOT/mappings`
 * compiled (wiremock_load.h) into one group of stubs of the one stub model, bodies from
 * `ROOT/__files`. A mapping is a stub like any other: one index, one journal, one set of
 * scenario states; among mappings WireMock's rule holds (priority, then the most recently
 * added), through stub->insertion. Not thread-safe: the server's reload path owns it. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

struct strbuf;
struct stub_group;
struct wm_root;

/** Whether dir looks like a WireMock root: it has a `mappings` subdirectory. */
bool wm_is_root(const char *dir);

/** Loads every mapping file under root/mappings (byte order of their relative paths; the
 *  entries of a file in order; later is newer: stub->insertion counts from base + 1).
 *  Returns the root, or NULL with FILE:LINE:COLUMN problems appended to diags. */
struct wm_root *wm_root_create(const char *root, uint64_t base, struct diag_list *diags);
void wm_root_destroy(struct wm_root *r);

/** The root as given. */
const char *wm_root_dir(const struct wm_root *r);
/** The directories a watcher should watch for it: ROOT/mappings and ROOT/__files. */
void wm_root_watch_dirs(const struct wm_root *r, const char **dirs);
/** How many mapping files the mappings served now were read from. */
size_t wm_root_nfiles(const struct wm_root *r);
/** The mappings served now: a new reference (stub_group_unref). */
struct stub_group *wm_root_group(struct wm_root *r);
/** Reads the mapping files again if any was added, changed or removed (or a body file
 *  changed). Returns 1 when the stubs changed (take wm_root_group again), 0 when nothing
 *  did, -1 with problems in diags (the previous mappings stay). */
int wm_root_reload(struct wm_root *r, struct diag_list *diags);

/*
 * Every WireMock root of a server and the mappings its admin API added (SPEC section 8:
 * files and the admin API together, as in WireMock). The mappings it serves are the
 * roots' (less those deleted through the API, until a reset) and the API's, the API's
 * newer than any file's. Thread-safe: the watcher reloads while admin calls come in.
 */
struct wm_front;

/** Loads every root (may be none: the admin API works without). NULL with problems in
 *  diags. */
struct wm_front *wm_front_create(const char *const *roots, size_t n, struct diag_list *diags);
void wm_front_destroy(struct wm_front *f);
/** The roots' directories to watch: 2 per root into dirs (room for 2 * n); returns the count. */
size_t wm_front_watch_dirs(const struct wm_front *f, const char **dirs);
/** Every mapping served now, as one group (a new reference). */
struct stub_group *wm_front_group(struct wm_front *f);
/** The roots' hot reload (wm_root_reload for each): 1 when any changed, 0, -1. */
int wm_front_reload(struct wm_front *f, struct diag_list *diags);

/** POST /__admin/mappings: one mapping from a request body (label in messages). With
 *  replace_id (PUT /__admin/mappings/{id}) it replaces that mapping, keeping its place.
 *  Returns 1 with *json (caller frees) the stored mapping as WireMock prints it, 0 when
 *  replace_id is not a mapping, -1 with problems in diags (or a taken id: -2). */
int wm_front_put(struct wm_front *f, const char *label, const char *text, size_t len, const char *replace_id,
		 char **json, struct diag_list *diags);
/** DELETE /__admin/mappings/{id}: an API mapping goes; a file mapping is hidden until a
 *  reset (its file stays). false when there is no such mapping. */
bool wm_front_remove(struct wm_front *f, const char *id);
/** DELETE /__admin/mappings: every mapping goes (files hidden, untouched). */
void wm_front_remove_all(struct wm_front *f);
/** POST /__admin/reset and /__admin/mappings/reset: the roots read again, API mappings
 *  dropped, nothing hidden. -1 with problems in diags (the previous mappings stay). */
int wm_front_reset(struct wm_front *f, struct diag_list *diags);
/** GET /__admin/mappings: {"mappings":[...],"meta":{"total":N}} in WireMock's order
 *  (priority, then newest first), from offset, at most limit. */
void wm_front_mappings_json(struct wm_front *f, size_t offset, size_t limit, struct strbuf *out);
/** GET /__admin/mappings/{id}: the mapping's JSON appended; false when none. */
bool wm_front_mapping_json(struct wm_front *f, const char *id, struct strbuf *out);
