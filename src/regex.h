/* SPDX-License-Identifier: MIT */
/* PCRE2 adapter: the only file that includes <pcre2.h>. Compiled once, JIT where available. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct regex;
struct arena;

/** Compiles pattern so that it must match the whole subject (anchored at both ends).
 *  Returns NULL on error and sets *err (caller frees) and *offset (0-based byte offset
 *  into pattern). The result is immutable and may be shared by threads. */
struct regex *regex_compile(const char *pattern, bool ignore_case, char **err, size_t *offset);
/** Like regex_compile, but regex_match then finds the pattern anywhere in the subject, as
 *  JavaScript's RegExp.test does (`$` only at the very end, as in JavaScript); for
 *  json-server's `_like`. */
struct regex *regex_compile_search(const char *pattern, bool ignore_case, char **err, size_t *offset);
void regex_destroy(struct regex *re);
/** Source text as given. Borrowed. */
const char *regex_source(const struct regex *re);
/** Whole-subject match (anywhere in it for regex_compile_search). Thread-safe. */
bool regex_match(const struct regex *re, const char *subject, size_t len);

/** One named group captured by regex_match_named. */
struct regex_capture {
	const char *name;    /* borrowed from the regex */
	const char *value;   /* allocated in the arena, NUL-terminated */
};

/** Like regex_match, and also returns the named groups that took part in the match
 *  (up to max) in *caps, allocated from arena. Returns the number of captures, or -1
 *  when the subject does not match. Thread-safe. */
int regex_match_named(const struct regex *re, const char *subject, size_t len,
		      struct arena *arena, struct regex_capture *caps, size_t max);
