/* SPDX-License-Identifier: MIT */
/* Proxied exchanges to stub files: one readable, stable file per distinct request, written
 * atomically through yaml_tree's writer. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "record_doc.h"

struct recorder;

enum record_mode {
	RECORD_FIRST,       /* a request recorded before keeps its first response */
	RECORD_SEQUENCE,    /* each new response of it is appended to `responses:` */
};

/** Opens (making it when missing) the directory recordings go to, removes temporary files
 *  a crash left there, and learns which requests its stub files already record. Returns 0
 *  and *out, or a negative errno with a message in *error (caller frees). */
int recorder_create(const char *dir, enum record_mode mode, struct recorder **out, char **error);
void recorder_destroy(struct recorder *r);

/** What recorder_record did. */
enum record_outcome {
	RECORD_WROTE,       /* a new stub file */
	RECORD_APPENDED,    /* sequence mode: one more response in an existing file */
	RECORD_KEPT,        /* first mode: the request was recorded before; nothing written */
};

/** Records one exchange: a new file, or per the mode for a request recorded before.
 *  Returns 0 with the outcome and the stub file's name relative to the directory in *file
 *  (caller frees), or a negative errno with a message in *error (caller frees); nothing
 *  half-written is ever left behind. Thread-safe: calls are serialised. */
int recorder_record(struct recorder *r, const struct record_exchange *ex, enum record_outcome *outcome,
		    char **file, char **error);

/* struct record_exchange, recorder_slug, recorder_emit, recorder_body_is_binary and
 * recorder_extension (the pieces the unit tests reach) are declared in record_doc.h. */
