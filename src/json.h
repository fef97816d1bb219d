/* SPDX-License-Identifier: MIT */
/* The JSON layer: cJSON behind one header. Parsing with a located error (never the global
 * cJSON_GetErrorPtr), compact printing, and an exact reader that keeps
 * number text and key order for the recorder. Matchers and templates walk cJSON trees, so
 * this header exposes cJSON's types: include it instead of <cjson/cJSON.h>. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

/** item, or an abort with a message when it is NULL (cJSON_Create* found no memory). */
cJSON *json_check(cJSON *item);
/** Adds item to array (json_check'ed), taking it. */
void json_array_add(cJSON *array, cJSON *item);
/** Adds item to object under key (copied), taking it. */
void json_object_add(cJSON *object, const char *key, cJSON *item);

/** item as compact JSON text (no spaces or newlines). Caller frees with free(); aborts on
 *  OOM. *len gets the length unless len is NULL. */
char *json_print(const cJSON *item, size_t *len);

/** The value at DOTTED.PATH under root (`user.name`, `items.0.id`; "" is root itself): a
 *  segment names a member of an object (the first of that name), or a decimal index
 *  into an array. NULL when a step is missing. Borrowed from root. */
const cJSON *json_get_dotted(const cJSON *root, const char *path);

/** The value at a JSON pointer (RFC 6901) under root: "" is root, "/a/0/b~1c" the member
 *  "b/c" of item 0 of member a (~0 is '~', ~1 is '/'). NULL when a step is missing or
 *  the pointer does not start with '/'. Borrowed from root. */
const cJSON *json_get_pointer(const cJSON *root, const char *pointer);

/** Where a parse stopped. */
struct json_error {
	size_t offset;      /* byte offset of the problem in the text */
	int line, col;      /* 1-based; col counts characters (UTF-8 sequences), as libyaml does */
	const char *what;   /* static: "not valid JSON", or "a NUL character (\\u0000) in a string" */
};

/** Parses text[0..len) (it need not be NUL-terminated) as one JSON value with nothing but
 *  whitespace after it. Returns the tree (caller deletes with cJSON_Delete), or NULL with
 *  *err (unless err is NULL) saying where it went wrong. A string holding \u0000 is
 *  refused too: cJSON's strings end at a NUL, so "a\u0000b" would silently read as "a".
 *  Any thread. */
cJSON *json_parse(const char *text, size_t len, struct json_error *err);

/*
 * The exact reader. cJSON reads every number as a double (1.10 comes back as 1.1, and
 * large integers lose digits) and keeps duplicate keys; the recorder must write a body
 * back exactly as it came, and the stub loader rejects duplicate keys. So this reader
 * returns numbers as cJSON_Raw items holding their text as written (json_print keeps
 * them digit for digit), and rejects what a stub file cannot hold the same way:
 * duplicate keys in an object, NUL (also as \u0000) and lone surrogates in strings,
 * invalid UTF-8, fractions beyond a double's range, nesting deeper than max_depth and
 * more than max_nodes values. Key order is kept, as cJSON always does.
 */

/** text[0..len) as one JSON value (surrounded by whitespace at most) read exactly, or NULL
 *  when it is not JSON or holds what the exact form excludes. Caller deletes. */
cJSON *json_parse_exact(const char *text, size_t len, unsigned max_depth, size_t max_nodes);
