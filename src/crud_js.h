/* SPDX-License-Identifier: MIT */
/* The JavaScript semantics json-server 0.17 leans on, over cJSON values: a value as text
 * (toString), comparisons (`<`, lodash's sort order), parseInt, truthiness, lodash's
 * `_.get` paths, lodash-id's getById and pluralize's regular English plurals. Shared by
 * the CRUD store and its query options so both read the data the same way. Pure. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "json.h"

struct strbuf;

/** Appends v as JavaScript's String(v) writes it: numbers in their shortest round-trip
 *  form (1e21 as "1e+21", 0.5 as "0.5"), arrays joined with "," (null elements empty),
 *  objects as "[object Object]", null as "null". */
void crud_js_text(const cJSON *v, struct strbuf *out);
/** Whether String(v) equals text[0..len). */
bool crud_js_text_is(const cJSON *v, const char *text, size_t len);

/** Number.isSafeInteger(v): an integer a double holds exactly (|v| <= 2^53 - 1). */
bool crud_js_safe_integer(const cJSON *v);

/** JavaScript's truthiness: false for false, null, 0 and "". */
bool crud_js_truthy(const cJSON *v);

/** Outcome of a JavaScript relational comparison. */
enum crud_js_order {
	CRUD_JS_LT,
	CRUD_JS_EQ,
	CRUD_JS_GT,
	CRUD_JS_UNORDERED,          /* a NaN was involved: every relation is false */
};
/** a against b as JavaScript's `<` sees them: both strings (after arrays and objects
 *  become strings) compare bytewise, anything else as numbers ("10" vs 9 is 10 vs 9). */
enum crud_js_order crud_js_compare(const cJSON *a, const cJSON *b);
/** The query text against v, as `text <= v` and friends see them (the text is a string). */
enum crud_js_order crud_js_compare_text(const char *text, size_t len, const cJSON *v);
/** lodash's compareAscending, the order of `_.orderBy`: a and b may be NULL (a missing
 *  property); null and missing sort after every value (missing last). <0, 0 or >0. */
int crud_js_sort_order(const cJSON *a, const cJSON *b);

/** parseInt(s, 10) as a double: leading white space, a sign, the longest run of digits;
 *  NaN when there are no digits. */
double crud_js_parse_int(const char *s);
/** Appends a number the way JavaScript prints it (see crud_js_text). */
void crud_js_add_number(struct strbuf *out, double d);

/** lodash's `_.get(v, path)`: a key v holds literally, else the dotted path with [i] or
 *  ["key"] brackets ("a.b", "tags[0]", "tags.0"). Borrowed from v; NULL when missing. */
const cJSON *crud_js_get(const cJSON *v, const char *path);

/** `obj[key] = value`: a key obj already has keeps its place, a new one goes last (the
 *  key order JSON.stringify then writes). Takes value. */
void crud_js_assign(cJSON *obj, const char *key, cJSON *value);

/** lodash-id's getById: the index of the first object in coll whose "id" reads as text
 *  id[0..len) (ids compare as text: "1" finds 1), or -1. A null id never matches. */
int crud_js_find_id(const cJSON *coll, const char *id, size_t len);

/*
 * pluralize's rule for regular English words, the part json-server's relations use
 * (`_embed`, `_expand` and the dependents a DELETE removes): "posts" <-> "post",
 * "categories" <-> "category", "boxes" <-> "box", "matches" <-> "match". Irregular and
 * uncountable words (people, data, news) are not known and are treated as regular; a
 * word already in the wanted form comes back as it is. Caller frees.
 */
char *crud_js_singular(const char *word);
char *crud_js_plural(const char *word);
