/* SPDX-License-Identifier: MIT */
/* The stub loader's shared state and message helpers: one struct loader per stub_load_*
 * call, and the located, uniformly worded errors every part of the compiler reports.
 * Internal to the loader (load*.c, stub_load.c). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "json.h"
#include "render.h"
#include "stub.h"
#include "load_result.h"
#include "util/hmap.h"
#include "yaml_tree.h"

struct strbuf;

struct loader {
	struct diag_list *diags;
	struct load_result *res;
	struct hmap ids;            /* stub id -> struct id_loc *, across the whole load */
	/* the file (or text) being loaded */
	const char *file;           /* FILE in messages; lasts as long as the loader */
	const char *stub_file;      /* stub->file; NULL for runtime stubs */
	const char *relpath;        /* RELPATH of RELPATH#INDEX ids */
	bool runtime;
	bool pool;                  /* a stub file's: its stubs share the result's strpool (stub_intern) */
	const char *file_dir;       /* file: paths are relative to it; NULL forbids file: */
	const char *root_shown;     /* ... and must stay inside this directory */
	const char *root_real;      /* its realpath, or NULL when that failed */
	size_t index;               /* next stub index in this file, across documents */
	const struct yaml_reader *yr;   /* the text being read, to place errors inside a scalar */
	/* quoted user text for messages, in a small ring so one message can show several */
	char shown[4][YNODE_QUOTE_MAX];
	unsigned shown_next;
	/* stub_load_matcher: documents convert into one request matcher instead of stubs */
	bool matcher_mode;
	const char *matcher_member;
	struct stub *matcher;
	size_t docs;
};

/** Errors reported so far (stored or dropped): compare before and after a step. */
size_t load_nerrors(const struct loader *ld);

/** Quotes user text for a message, after prefix (a short literal); valid until four
 *  more calls. */
const char *load_shown_after(struct loader *ld, const char *prefix, const char *s, size_t len);
const char *load_shown(struct loader *ld, const char *s, size_t len);
const char *load_shown_str(struct loader *ld, const char *s);
/** What a message says was found (ynode_describe), in the ring. */
const char *load_got(struct loader *ld, const struct ynode *n);

/** Appends an error at node at (line 0 when NULL) of the file being loaded. */
void load_err(struct loader *ld, const struct ynode *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/** The index of key k's text in keys (NULL-terminated), or -1. */
int load_key_index(const struct ynode *k, const char *const *keys);
/** A mapping key must be a scalar; false (after an error) when the pair is to be skipped. */
bool load_key_ok(struct loader *ld, const struct ynode *k);
/** "unknown key 'K' in WHERE", with a "did you mean" hint from known. */
void load_unknown_key(struct loader *ld, const struct ynode *k, const char *where, const char *const *known);
/** The index of key k in known, or -1 after reporting it: "not supported yet" when it is
 *  in later (a key of a feature still to come), else unknown with a hint. */
int load_lookup_key(struct loader *ld, const struct ynode *k, const char *const *known, const char *const *later,
		    const char *where);
/** Marks key number ki as seen; false (after an error) when it was seen before. */
bool load_first_time(struct loader *ld, unsigned *seen, int ki, const struct ynode *k, const char *where);
/** Whether v is a mapping; else "WHAT must be a mapping, got ..." at v. */
bool load_expect_mapping(struct loader *ld, const struct ynode *v, const char *what);

/** RFC 9110 token: methods and header names. */
bool load_is_token(const char *s);
/** Grows an array whose capacity is the next power of two above its count n. */
void *load_grow(void *v, size_t n, size_t size);

/** Compiles a scalar as a template; NULL after a located error. */
struct tpl *load_tpl(struct loader *ld, const struct ynode *n);

enum {
	LOAD_JSON_RAW_INTS = 1,   /* integers keep their exact digits (response bodies) */
	LOAD_JSON_TEMPLATES = 2,  /* a string with '{{' is a template: check that it compiles */
};

/** Any YAML value as JSON (caller deletes); never NULL: a wrong part becomes null after
 *  an error. */
cJSON *load_json(struct loader *ld, const struct ynode *n, unsigned flags);
/** Appends to out the text json_print gives for load_json(n, LOAD_JSON_RAW_INTS, plus
 *  LOAD_JSON_TEMPLATES when tpl), straight from the nodes, when that value has no
 *  template (with tpl) and nothing only load_json decides: floats, hex or octal numbers,
 *  NULs inside texts, keys that are not scalars or come twice, more than 16 keys in a
 *  mapping. Returns false for those (out then holds a part), and reports nothing. */
bool load_json_text(const struct ynode *n, bool tpl, struct strbuf *out);

/* The parts of a stub, each in its own file. */

/** load_request.c: a stub's `request:` mapping into req. */
void load_request(struct loader *ld, const struct ynode *map, struct stub_request *req);
/** load_response.c: a `response:` mapping into r (tpl: template strings are compiled). */
void load_response(struct loader *ld, const struct ynode *map, struct stub_response *r, bool tpl);
/** load_response.c: a `responses:` list into s. */
void load_responses(struct loader *ld, const struct ynode *v, struct stub *s, bool tpl);
/** load_stub.c: one document's root: a stub, a list of stubs, or (matcher mode) a matcher. */
void load_doc(struct loader *ld, const struct ynode *root);
/** load_stub.c: the request matcher of stub_load_matcher from a document's root (or NULL). */
void load_matcher_doc(struct loader *ld, const struct ynode *root);
/** load_stub.c: frees what ld->ids holds. */
void load_ids_release(struct loader *ld);
