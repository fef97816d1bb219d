/* SPDX-License-Identifier: MIT */
/* JSONPath as Jayway JsonPath 2.9 (WireMock's) reads it: compiled once at load time into an
 * immutable form, then evaluated against cJSON trees on any thread, for `matchesJsonPath`
 * and the `jsonPath` template helper. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "json.h"

/** Longest expression jsonpath_compile takes, in bytes. */
#define JSONPATH_MAX_LENGTH 4096
/** Deepest nesting of filters, parentheses, `!` and list literals in an expression. */
#define JSONPATH_MAX_DEPTH 32
/** Most evaluation steps (nodes visited, filter tests, regex work) one select may take; a
 *  path that needs more stops early and says so (jsonpath_result.exhausted). */
#define JSONPATH_MAX_STEPS (1u << 22)
/** Most results one select (or one path inside a filter) may collect; more stops it the
 *  same way. */
#define JSONPATH_MAX_RESULTS (1u << 20)

struct jsonpath;
struct jsonpath_made;

/** Compiles expr (NUL-terminated, at most JSONPATH_MAX_LENGTH bytes). Returns the compiled
 *  path (immutable: any number of threads may select with it at once), or NULL with *err
 *  (caller frees; what was expected or is not supported, worded "expected ']' after ...")
 *  and *offset (0-based byte offset into expr where it went wrong). err and offset may be
 *  NULL. */
struct jsonpath *jsonpath_compile(const char *expr, char **err, size_t *offset);
/** Frees p; does nothing for NULL. */
void jsonpath_destroy(struct jsonpath *p);

/** Whether the path is definite: no wildcard, recursive descent, filter, slice, several
 *  indexes or several names (except several names as the last step, which Jayway merges
 *  into one object), or it is `$..x.length()`. Jayway then answers a single value (the
 *  one result, or "no value" when there is none) instead of a list. */
bool jsonpath_is_definite(const struct jsonpath *p);
/** The expression as compiled. Borrowed. */
const char *jsonpath_source(const struct jsonpath *p);

/** What a select found. */
struct jsonpath_result {
	const cJSON **values;   /* the results in Jayway's order (see below); borrowed from the
				 * root, or from made */
	size_t count;
	bool exhausted;         /* JSONPATH_MAX_STEPS or JSONPATH_MAX_RESULTS was reached:
				 * values holds what came first */
	struct jsonpath_made *made;  /* internal: values the path made (`length()` counts,
				      * the object `['a','b']` merges as a last step) */
};

/** Every value p selects in root, into *out (released with jsonpath_result_release).
 *  Returns out->count. The order is Jayway's: document order for one step after another,
 *  the order written for `['b','a']` and `[2,0]`, and for `..` each node's own results
 *  before those of its descendants (so `$..*` gives a node's children, then their
 *  children). A value Jayway would report by throwing (a missing property on a definite
 *  path, an index on a non-array) is simply absent. Thread-safe; root is only read. */
size_t jsonpath_select(const struct jsonpath *p, const cJSON *root, struct jsonpath_result *out);
/** Frees what a select allocated (not the root); leaves r empty. */
void jsonpath_result_release(struct jsonpath_result *r);

/** The text WireMock compares a matcher against for one result: a string as it is, a
 *  number as Java prints it (integers without ".0", since cJSON cannot tell 1 from 1.0;
 *  others as Double.toString), true, false or null as JSON, an object or array as compact
 *  JSON (json_print). Caller frees. */
char *jsonpath_value_text(const cJSON *v);
