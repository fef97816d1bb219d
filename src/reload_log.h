/* SPDX-License-Identifier: MIT */
/* The log lines that tell how a reload went, whoever asked for it (the watcher, SIGHUP or
 * POST /__cannery/reload), worded once. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct strbuf;

/** Appends "cannery: reloaded: serving N stubs" (ok), or errors followed by "cannery:
 *  reload failed; still serving the previous N stubs" ("failed again with the same
 *  errors", without repeating them, when again). */
void reload_log_format(struct strbuf *out, bool ok, const char *errors, size_t nstubs, bool again);
