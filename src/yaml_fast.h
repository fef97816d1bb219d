/* SPDX-License-Identifier: MIT */
/* A reader for the plain subset of YAML that generated and hand-written stub files keep
 * to, straight from the text into the nodes yaml_tree gives, without libyaml's tokens,
 * events and their allocations: a large stub set starts in about half the time. Whatever
 * steps outside the subset is left to libyaml, which then reads the whole text; so this
 * reader never reports an error, and what it accepts reads exactly as libyaml reads it
 * (the same nodes, texts, styles, lines and columns: fuzz/fuzz_yaml_fast.c checks that).
 *
 * The subset: ASCII text of printable bytes and '\n' (no tab, CR or byte above 0x7E);
 * comments; documents separated by `---` lines; block mappings whose keys are scalars on
 * one line, block sequences (compact `- key: value` and `- - x` too, and sequences at
 * their key's indentation); scalars on one line: plain, 'single-quoted', or
 * "double-quoted" with escapes that stand for one ASCII byte (\n, \t, \", \\ ...);
 * flow collections on one line. Not in it: anchors,
 * aliases, tags, directives, `...`, block scalars (| and >), `?` keys, empty values and
 * entries, scalars or flow collections over several lines, empty documents. Internal to
 * yaml_tree. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "ynode.h"

struct arena;

/** Reads text[0..len) (called file in the nodes) into *docs, the roots of its ndocs
 *  documents, everything allocated in a. Returns true, or false when the text is not in
 *  the subset or a document has more than max_nodes nodes (what was allocated in a is
 *  then of no use). */
bool yaml_fast_read(const char *file, const char *text, size_t len, size_t max_nodes, struct arena *a,
		    const struct ynode ***docs, size_t *ndocs);
