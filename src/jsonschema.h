/* SPDX-License-Identifier: MIT */
/* JSON Schema as OpenAPI 3.0 and 3.1 use it: a schema is compiled once (every `$ref`
 * resolved through the caller, each referenced schema compiled once, cycles allowed) into an
 * immutable form, then request bodies, parameters and generated responses are validated
 * against it on any thread, with errors saying where (a dotted path) and what. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "json.h"

/** Deepest nesting of schemas one validation walks (each property, item, `$ref`, `allOf`
 *  branch... is one level, so one level of an instance may take several): a deeper
 *  instance, or a `$ref` loop that never reaches the instance, is an error. */
#define JSONSCHEMA_MAX_DEPTH 256
/** Deepest nesting jsonschema_compile takes: subschemas inside subschemas, and chains of
 *  `$ref`s to schemas not compiled yet. */
#define JSONSCHEMA_MAX_COMPILE_DEPTH 512
/** Most schema checks one validation may make (oneOf inside oneOf multiplies them); more
 *  stops it with an error saying so. */
#define JSONSCHEMA_MAX_STEPS (1u << 20)
/** Most errors one validation counts; it stops looking after that many. */
#define JSONSCHEMA_MAX_ERRORS 100

struct jsonschema;

enum jsonschema_dialect {
	JSONSCHEMA_OAS30,   /* `nullable`, boolean exclusiveMinimum/Maximum, `type` one name,
			     * keywords beside a `$ref` ignored */
	JSONSCHEMA_OAS31,   /* JSON Schema 2020-12: type lists with "null", numeric
			     * exclusiveMinimum/Maximum, boolean schemas, `$ref` with siblings */
};

/** Finds what a "$ref" string points to: the schema (borrowed; it must outlive the compiled
 *  schema), or NULL when it cannot be resolved. at is the string item the reference was
 *  read from (a `$ref` member, a discriminator `mapping` value), so that a reader of several
 *  files knows which file a relative reference starts from; NULL for a name the compiler
 *  made up ("#/components/schemas/Cat" for a discriminator's implicit mapping), which is
 *  relative to the root document. Called only during jsonschema_compile. */
typedef const cJSON *jsonschema_resolve_fn(void *cls, const char *ref, const cJSON *at);

/** Compiles schema. Returns the compiled form (immutable: any number of threads may
 *  validate with it at once; it keeps pointers to nothing in schema, except the `enum` and
 *  `const` values, so schema and what resolve returned must outlive it), or NULL with *err
 *  (caller frees; names the keyword and what was expected: "'minLength' must be a
 *  non-negative integer") and *at (the node that is wrong, borrowed from schema or from what
 *  resolve returned). resolve may be NULL (every `$ref` is then an error); err and at may
 *  be NULL. */
struct jsonschema *jsonschema_compile(const cJSON *schema, enum jsonschema_dialect d,
				      jsonschema_resolve_fn *resolve, void *cls,
				      char **err, const cJSON **at);
/** Frees s; does nothing for NULL. */
void jsonschema_destroy(struct jsonschema *s);

/** A library of schemas compiled together from one document: a schema node compiled once
 *  serves every schema that reaches it (the components of an OpenAPI spec are shared by
 *  hundreds of operations), so compiling them all costs what their document holds, not
 *  what each reaches. */
struct jsonschema_lib;
struct jsonschema_lib *jsonschema_lib_create(enum jsonschema_dialect d, jsonschema_resolve_fn *resolve, void *cls);
/** jsonschema_compile within lib: the result is owned by lib (do not destroy it) and
 *  lives as long as lib. After a failure lib compiles nothing more (its nodes may be half
 *  built): every later call fails. */
const struct jsonschema *jsonschema_lib_compile(struct jsonschema_lib *lib, const cJSON *schema, char **err,
						const cJSON **at);
/** How many schema nodes lib holds (for tests and measurements). */
size_t jsonschema_lib_nodes(const struct jsonschema_lib *lib);
/** Frees lib and every schema compiled in it. NULL does nothing. */
void jsonschema_lib_destroy(struct jsonschema_lib *lib);

/** One validation problem. */
struct jsonschema_error {
	char *path;      /* dotted from the instance root, "" for the root: "items.0.qty" */
	char *message;   /* "expected string, got 12", "missing required property 'name'" */
};

/** Validates instance against s. Returns the number of errors (0: valid; counting stops at
 *  JSONSCHEMA_MAX_ERRORS), and fills the first min(that, max) of them into out (caller
 *  frees them with jsonschema_errors_release); out may be NULL when max is 0. Thread-safe. */
size_t jsonschema_validate(const struct jsonschema *s, const cJSON *instance,
			   struct jsonschema_error *out, size_t max);
/** Frees the strings of e[0..n) (not e itself). */
void jsonschema_errors_release(struct jsonschema_error *e, size_t n);

/** Whether text[0..len) is one JSON value (surrounded by white space at most) valid against s:
 *  1 valid, 0 not valid (not JSON, or an error jsonschema_validate would report), -1 when s uses
 *  something this fast check does not decide (then use json_parse + jsonschema_validate). Never
 *  allocates for typical bodies. Thread-safe.
 *
 *  The text is read in one pass, exactly as json_parse reads it, without building a tree, each
 *  value checked against the nodes in effect for it (its `$ref` chain and `allOf` branches at
 *  once): type (3.0's nullable, 3.1's lists), enum and const of scalars, properties, required,
 *  additionalProperties, min/maxProperties, items, min/maxItems, min/maxLength, pattern,
 *  minimum/maximum/exclusive*, multipleOf, format, the schema `false`. -1 when a value meets a
 *  node with anyOf, oneOf, not, a discriminator, uniqueItems or patternProperties, an enum or
 *  const holding an array or object that the value might equal, a string holding a raw NUL
 *  (or a \u escape without four hex digits, which cJSON reads as one), a number of 63
 *  characters or more, more than it keeps track of at once (256 nodes in effect along a path,
 *  so a `$ref` cycle that never reaches the value; 4,096 properties of open objects with
 *  `required`), the validator's depth or step limits, or a locale whose decimal point is not
 *  '.'. Strings longer than 511 bytes that a keyword must read unescaped are copied to the
 *  heap; `pattern` matches allocate as regex_match does. (Implemented in jsonschema_fast.c.) */
int jsonschema_check_json(const struct jsonschema *s, const char *text, size_t len);

/** Validates text as it arrives in a path, query, header or cookie parameter: it is first
 *  read as the schema's type says (following `$ref`s): an integer or a number when it is
 *  one, true/false for a boolean, a comma-separated list for an array (style form or simple,
 *  each item read by the items' type), otherwise a string. Then as jsonschema_validate. */
size_t jsonschema_validate_text(const struct jsonschema *s, const char *text,
				struct jsonschema_error *out, size_t max);

/** Validates the fields of a form body (application/x-www-form-urlencoded: names[i] =
 *  values[i], a repeated name once per value) as the object they stand for: each value read
 *  as jsonschema_validate_text reads a parameter, by the schema of its property (a repeated
 *  name of an array property gives the array of its values). Then as jsonschema_validate. */
size_t jsonschema_validate_fields(const struct jsonschema *s, const char *const *names, const char *const *values,
				  size_t n, struct jsonschema_error *out, size_t max);
