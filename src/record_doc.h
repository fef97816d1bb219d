/* SPDX-License-Identifier: MIT */
/* The stub document for a proxied exchange: a small YAML tree that the recorder builds,
 * changes (a response appended), compares by canonical form and writes through
 * yaml_tree; reading a recorded file back into such a tree; content-type rules. Pure
 * functions, any thread. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "matcher.h"
#include "stub.h"
#include "yaml_tree.h"

struct strbuf;

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

/* ---- the tree ---- */

enum rnode_type { RNODE_SCALAR, RNODE_SEQ, RNODE_MAP };

/** A node we build and change (yaml_tree's own nodes are read-only). Owns its text, tag
 *  and kids. */
struct rnode {
	enum rnode_type type;
	char *text;                 /* scalar, NUL-terminated */
	size_t len;
	enum ynode_style style;     /* as parsed, or what the writer should prefer */
	bool plain_implicit;        /* a plain scalar reads back as the same string */
	bool quoted_implicit;
	char *tag;                  /* as parsed; NULL for ours */
	struct rnode **kids;        /* sequence items; mapping keys and values alternating */
	size_t n;
};

struct rnode *record_doc_new(enum rnode_type type);
/** Frees y and everything under it; NULL does nothing. */
void record_doc_free(struct rnode *y);
/** Appends kid (taken) to a sequence, or as the next key or value of a mapping. */
void record_doc_add(struct rnode *parent, struct rnode *kid);
/** A string scalar, quoted when a plain one would read back as something else. */
struct rnode *record_doc_str(const char *s);
/** The value of key in mapping map (borrowed), or NULL. */
struct rnode *record_doc_get(const struct rnode *map, const char *key);
/** Appends y's canonical text: independent of quoting and layout, so two trees that load
 *  as the same request have the same text. */
void record_doc_canon(const struct rnode *y, struct strbuf *out);
/** The tree as one YAML document (caller frees), or NULL when libyaml refused it. */
char *record_doc_emit(const struct rnode *root);
/** A stub file we wrote, read back: its root mapping (caller frees), or NULL when it is not
 *  one document of a mapping without anchors or aliases. */
struct rnode *record_doc_parse(const char *text, size_t len);

/** The request matcher that records ex (caller frees). */
struct rnode *record_doc_request(const struct record_exchange *ex);
/** The response ex got (caller frees); file_name names a binary body's file, or NULL. */
struct rnode *record_doc_response(const struct record_exchange *ex, const char *file_name);
/** The stub mapping {request, response, template: false}, taking both. */
struct rnode *record_doc_stub(struct rnode *request, struct rnode *response);
/** The Content-Type of ex's response, or NULL. Borrowed. */
const char *record_doc_content_type(const struct record_exchange *ex);

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
