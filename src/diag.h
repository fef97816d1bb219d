/* SPDX-License-Identifier: MIT */
/* Located diagnostics: FILE:LINE:COLUMN: error: message, collected in a list. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/** One problem found in a stub file (or admin input). All strings are owned by the diag. */
struct diag {
	char *file;   /* as reached from the DIR given by the user, e.g. "stubs/users.yaml"; may be NULL */
	int line;     /* 1-based; 0 when unknown */
	int col;      /* 1-based; 0 when unknown */
	char *msg;    /* lower case, no final period, e.g. "unknown key 'bodyy' in 'request' (did you mean 'body'?)" */
};

/** A growable list of diagnostics. Not thread-safe; each load owns its own. */
struct diag_list {
	struct diag *items;
	size_t n, alloc;
	size_t dropped;   /* errors not stored because the list hit DIAG_MAX */
};

#define DIAG_MAX 200

#define DIAG_LIST_INIT { NULL, 0, 0, 0 }

void diag_list_init(struct diag_list *l);
void diag_list_release(struct diag_list *l);
/** Adds an error. file may be NULL. Copies everything it is given. */
void diag_add(struct diag_list *l, const char *file, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/** Moves every item of src to the end of dst; src is left empty. */
void diag_list_move(struct diag_list *dst, struct diag_list *src);
/** Formats one diagnostic in GCC style into a new string (caller frees):
 *  "stubs/users.yaml:12:7: error: unknown key 'bodyy'" (parts that are unknown are left out). */
char *diag_format(const struct diag *d);
/** Every diagnostic in GCC style, one a line, each ending in '\n', plus a line counting
 *  the dropped ones; "" for an empty list. The caller frees the result. */
char *diag_list_format(const struct diag_list *l);
/** Prints every diagnostic, one a line, in GCC style. */
void diag_list_print(const struct diag_list *l, FILE *out);

/** The known word closest to word (Levenshtein distance at most 2, and less than
 *  half its length), or NULL: for "did you mean" hints. known ends with NULL. */
const char *diag_suggest(const char *word, const char *const *known);
