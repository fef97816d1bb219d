/* SPDX-License-Identifier: MIT */
/* The admin endpoints the dashboard reads beyond the lists: one journal entry with the
 * near misses of the current stubs, a stub (YAML) that matches it, and the last refused
 * reload. Routed by admin.c, under the same access rules. */
#pragma once
#include <stdint.h>

struct catalog;
struct journal;
struct slot;
struct state;
struct strbuf;

/** What these endpoints read; everything borrowed (admin.h's admin_ctx has them). */
struct admin_ui_ctx {
	struct journal *journal;
	struct slot *slot;              /* the stubs served now */
	struct state *state;            /* scenario states, for near misses */
	struct catalog *catalog;        /* reload counters and the last refused reload */
};

/** GET /__cannery/requests/SEQ and GET /__cannery/requests/SEQ/stub; rest is what
 *  follows "/requests/". The first answers {"request":ENTRY,"response":{"status","kept",..},
 *  "near_misses":[..],"answered_by":{"id","file","line"}|null} (response: what the entry
 *  kept of its answer, journal.h; near misses: of an unmatched entry, against the stubs
 *  served now; [] for a matched one); the second a YAML stub document that, saved in a
 *  stub directory, matches that request (application/yaml). Writes the body
 *  to out, points *content_type at a static string and returns the HTTP status (404 for
 *  an entry not in the journal, or a rest that is not SEQ or SEQ/stub). Runs on MHD
 *  worker threads. */
int admin_ui_entry(const struct admin_ui_ctx *ax, const char *rest, struct strbuf *out, const char **content_type);

/** GET /__cannery/reload: {"reloads":N,"reload_errors":N,"generation":N,"last_error":
 *  null|{"time","errors":[..],"current":bool}} (current: no reload has succeeded since,
 *  so the files on disk are not what is served). Returns 200. Any thread. */
int admin_ui_reload_status(const struct admin_ui_ctx *ax, struct strbuf *out);
