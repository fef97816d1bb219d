/* SPDX-License-Identifier: MIT */
/* The nodes YAML text is read into (yaml_tree's libyaml reader and yaml_fast's reader of
 * the plain subset both build them), and the bounds both keep. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* Bounds that keep hostile YAML from exhausting memory or the stack (yaml_tree reports
 * them; yaml_fast leaves texts near them to yaml_tree). */
#define YAML_TREE_MAX_DEPTH 64                /* nesting of mappings and sequences */
#define YAML_TREE_MAX_NODES 1000000           /* nodes of a document once aliases are expanded */
#define YAML_TREE_MAX_ALIAS_BYTES (64u << 20) /* scalar bytes a document's aliases may repeat */

enum ynode_kind {
	YNODE_SCALAR,
	YNODE_SEQUENCE,
	YNODE_MAPPING,
};

/* A scalar's style as written; YSTYLE_ANY lets the writer choose. */
enum ynode_style {
	YSTYLE_ANY,
	YSTYLE_PLAIN,
	YSTYLE_SINGLE,      /* 'single quoted' */
	YSTYLE_DOUBLE,      /* "double quoted" */
	YSTYLE_LITERAL,     /* | */
	YSTYLE_FOLDED,      /* > */
};

/** One node of a document, read-only once built. Owned by its reader; an alias is the
 *  anchor's node itself, so the same node may appear in several places. */
struct ynode {
	enum ynode_kind kind;
	enum ynode_style style;     /* scalars */
	bool plain;                 /* a scalar typed by the core schema: plain, without '!' or !!str */
	bool anchored;              /* carries an &anchor */
	const char *tag;            /* as libyaml resolved it ("tag:yaml.org,2002:str", "!"), or NULL */
	const char *file;           /* FILE in messages (the reader's) */
	int line, col;              /* 1-based, where the node starts; col counts characters */
	const char *text;           /* scalars: NUL-terminated (may hold NULs before len) */
	size_t len;
	const struct ynode *const *kids;   /* sequence: items; mapping: key, value, key, value... */
	size_t n;                   /* number of kids (twice the pairs for a mapping) */
};
