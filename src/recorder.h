/* SPDX-License-Identifier: MIT */
/* Proxied exchanges to stub files: one readable, stable file per distinct request, written
 * atomically through yaml_tree's writer. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "matcher.h"
#include "stub.h"

struct recorder;

enum record_mode {
	RECORD_FIRST,       /* a request recorded before keeps its first response */
	RECORD_SEQUENCE,    /* each new response of it is appended to `responses:` */
};

/** One exchange, all borrowed. */
struct record_exchange {
	const char *method;
	const char *path;                   /* percent-decoded, as stubs match it */
	const struct kv *query;             /* decoded, in order */
	size_t nquery;
	const char *req_content_type;       /* NULL when the request had none */
	const char *req_body;
	size_t req_body_len;
	int status;
	const struct header *headers;       /* the upstream's response headers, in order */
	size_t nheaders;
	const char *body;                   /* decoded */
	size_t body_len;
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

/* ---- pieces, exposed for the unit tests ---- */

/** The file name stem for a request: lower-case method, then the path's letters and
 *  digits with runs of anything else as one '-', e.g. "get-api-users-42" ("get-root" for
 *  "/"); at most about 80 characters. Caller frees. */
char *recorder_slug(const char *method, const char *path);

/** The stub document for ex as YAML text (file_name names a binary body's file, relative
 *  to the stub; NULL when the body is not binary). Caller frees. */
char *recorder_emit(const struct record_exchange *ex, const char *file_name);

/** Whether a body needs a file: not valid UTF-8, holds NUL, or has a binary content type. */
bool recorder_body_is_binary(const char *content_type, const char *body, size_t len);

/** The extension (without the dot) for a binary body's file, from its content type;
 *  "bin" when unknown. Never a stub file extension. Static storage. */
const char *recorder_extension(const char *content_type);
