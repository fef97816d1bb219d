/* SPDX-License-Identifier: MIT */
/* Predicates over one request: matchers, a stub's conditions, and the mismatch text
 * that explains a miss. Pure functions over frozen stubs; safe on any thread. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "request.h"
#include "stub.h"

struct arena;
struct strbuf;

/** Whether value satisfies every clause of m. value == NULL means absent: only
 *  `present: false` and `not` (of something that fails on absence) hold then. */
bool matcher_test(const struct matcher *m, const char *value, size_t len);

/** Appends a description of m in the mismatch style: `prefix "Bearer "`,
 *  `regex "[0-9]+"`, `one of ["a", "b"]`, `present`, `absent`, `not equals "x"`;
 *  several clauses are joined with " and ". Strings in double quotes (JSON-escaped). */
void matcher_describe(const struct matcher *m, struct strbuf *out);

/** Whether the stub accepts this method (no methods, or ANY, accepts all; compared
 *  case-insensitively). */
bool stub_method_ok(const struct stub *s, const char *method);

/** Whether the stub's path (exact, template or regex; NONE always holds) accepts
 *  r->path. On success, when params is not NULL, fills it with the captures
 *  (template names, or named regex groups), allocated in r->arena. */
bool stub_path_ok(const struct stub *s, struct req_view *r, struct params *params);

/** Whether every query, header, cookie and body condition holds, and the scenario state
 *  (stub_state_ok). Stops at the first failure. The router's rank-ordered search calls it,
 *  so a stub in the wrong state simply does not match and the next one by rank may. */
bool stub_conditions_ok(const struct stub *s, struct req_view *r);

/** A list of mismatch strings, each owned by the list. */
struct mismatches {
	char **items;
	size_t n, alloc;
};
void mismatches_release(struct mismatches *m);
/** Appends the list as a JSON array of strings: ["header x: expected ...", ...]. */
void mismatches_add_json(const struct mismatches *m, struct strbuf *out);

/** Checks every condition of the stub, method and path included, and returns how many
 *  failed. For each failure, when out is not NULL, appends one line in the form
 *  `PART NAME: expected OP VALUE, got ACTUAL` (PART is method, path, query, header,
 *  cookie or body; header names lower-case; `got nothing` when absent), e.g.
 *  `header authorization: expected prefix "Bearer ", got nothing`,
 *  `method: expected "GET", got "POST"`, `path: expected "/api/users/{id}", got "/api/orders"`. */
unsigned stub_explain(const struct stub *s, struct req_view *r, struct mismatches *out);

/** Like stub_explain without the text, but stops as soon as the count reaches limit
 *  (and returns limit then); 0 means no limit. Lets a near-miss scan give up early on
 *  stubs that cannot beat the ones it already keeps. */
unsigned stub_explain_count(const struct stub *s, struct req_view *r, unsigned limit);

/** Whether the stub's scenario is in the state the stub requires (always true for a stub
 *  without `state:`), as r->scenario_state tells. */
bool stub_state_ok(const struct stub *s, struct req_view *r);
