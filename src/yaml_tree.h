/* SPDX-License-Identifier: MIT */
/* The YAML layer: libyaml events into an immutable tree of located nodes (aliases share
 * their anchor's node, bounded against alias bombs), and a writer that emits YAML text.
 * The only module that includes <yaml.h>. Each reader and writer owns its libyaml state,
 * so they may run on any thread. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "ynode.h"

struct yaml_reader;

/** Starts reading text[0..len) (borrowed: it must outlive the reader), which is called
 *  file in messages (borrowed too). Problems go to diags. Never NULL (aborts on OOM). */
struct yaml_reader *yaml_reader_create(const char *file, const char *text, size_t len, struct diag_list *diags);
void yaml_reader_destroy(struct yaml_reader *r);
/** Raises (or lowers) the node bound of a document from YAML_TREE_MAX_NODES: data files
 *  that are big on disk may hold more nodes than any stub file. */
void yaml_reader_set_max_nodes(struct yaml_reader *r, size_t max);

/** Reads the next document. Returns 1 with *root (borrowed, valid until the next call),
 *  0 at the end of the stream, or -1 after a located error was appended to diags (a
 *  syntax error or a bound exceeded): nothing more can be read then. */
int yaml_reader_next(struct yaml_reader *r, const struct ynode **root);

/** Whether the plain-subset reader (yaml_fast.h) may read the text before libyaml does:
 *  it may unless this says otherwise before the first yaml_reader_next. Tests compare the
 *  two. */
void yaml_reader_set_fast(struct yaml_reader *r, bool on);
/** Whether the plain-subset reader read the text (known after the first yaml_reader_next). */
bool yaml_reader_was_fast(const struct yaml_reader *r);

/** Whether any document read so far used an anchor or an alias. */
bool yaml_reader_saw_anchors(const struct yaml_reader *r);

/** Where byte off of scalar n's text stands in the source: exact for plain and quoted
 *  scalars on one line without escapes before that point, and for literal blocks;
 *  otherwise (folded lines, escapes) the scalar's own start. */
void yaml_reader_text_location(const struct yaml_reader *r, const struct ynode *n, size_t off, int *line,
			       int *col);

/* ---- messages: the same words for every reader of the tree ---- */

/** "a mapping", "a sequence" or "a scalar". Static storage. */
const char *ynode_kind_name(const struct ynode *n);

/* Room for ynode_quote's result. */
#define YNODE_QUOTE_MAX 160

/** prefix (a short literal), then s quoted for a message: control bytes escaped, text over
 *  60 bytes cut with "...". Writes into buf (YNODE_QUOTE_MAX bytes) and returns it. */
const char *ynode_quote(char *buf, const char *prefix, const char *s, size_t len);

/** What a message says was found: "a mapping", "nothing", "'abc'" or "the string '200'"
 *  (quoted into buf, YNODE_QUOTE_MAX bytes, when it is a scalar). */
const char *ynode_describe(char *buf, const struct ynode *n);

/* ---- scalars, typed by the YAML 1.2 core schema (plain scalars only) ---- */

/** Whether n is a plain null: "", "~", "null", "Null", "NULL". */
bool ynode_is_null(const struct ynode *n);
/** 1 true, 0 false, -1 not a boolean. */
int ynode_bool(const struct ynode *n);
/** A plain integer scalar (decimal, 0x hex or 0o octal) in [min, max]. */
bool ynode_int(const struct ynode *n, long long min, long long max, long long *out);
/** The value of key in mapping map, or NULL (also when map is not a mapping). */
const struct ynode *ynode_get(const struct ynode *map, const char *key);
/** Whether n is a mapping; when it is not, appends "WHAT must be a mapping, got ..." at n. */
bool ynode_expect_mapping(struct diag_list *diags, const struct ynode *n, const char *what);

/* ---- writing ---- */

struct yaml_writer;

/** A writer of one document: block style, indent 2, no line width, UTF-8 as is. */
struct yaml_writer *yaml_writer_create(void);
/** A scalar: tag may be NULL; plain_implicit / quoted_implicit as libyaml means them
 *  (whether the plain / quoted form reads back without the tag). */
void yaml_writer_scalar(struct yaml_writer *w, const char *tag, const char *text, size_t len, bool plain_implicit,
			bool quoted_implicit, enum ynode_style style);
/** Starts a block sequence or mapping (tag may be NULL); yaml_writer_end closes it. */
void yaml_writer_begin(struct yaml_writer *w, enum ynode_kind kind, const char *tag);
void yaml_writer_end(struct yaml_writer *w);
/** Ends the document and frees the writer: its text (caller frees), or NULL when libyaml
 *  refused an event (e.g. unbalanced begin/end). */
char *yaml_writer_finish(struct yaml_writer *w);
