/* SPDX-License-Identifier: MIT */
/* Instances built from a compiled JSON Schema (jsonschema.h): the example body an OpenAPI
 * mock serves when its spec has no example (SPEC section 9), and random data for
 * `Prefer: dynamic=true`. Whatever is built is valid against the schema: the builder
 * follows the schema's constraints, and checks its result with jsonschema_validate. */
#pragma once
#include <stdbool.h>

#include "json.h"

struct jsonschema;
struct rng;

/** How deep generation follows a recursive schema (a tree of nodes, a linked list) before
 *  it stops at the shallowest valid form (an optional member left out, an empty array). */
#define JSONSCHEMA_GEN_MAX_DEPTH 8
/** Most values (objects, arrays, scalars) one generated instance may hold. */
#define JSONSCHEMA_GEN_MAX_VALUES 10000

enum jsonschema_gen_mode {
	/* The same instance every time: `example`, else `default`, else `const`, the first
	 * `enum` value, else built: every property, max(minItems, 1) items, a sample value per
	 * type and format ("2024-01-01T00:00:00Z", "user@example.com", a fixed UUID,
	 * "https://example.com", ...), numbers and lengths inside their bounds, a string that
	 * matches `pattern`. */
	JSONSCHEMA_GEN_EXAMPLE,
	/* Random data valid against the schema, drawn from rng (the same seed gives the same
	 * data): optional properties sometimes left out, random lengths within bounds, random
	 * values for each type and format, a random `enum` value or `oneOf`/`anyOf` branch. */
	JSONSCHEMA_GEN_DYNAMIC,
};

/** An instance of s built in this mode (caller deletes). In a response, `writeOnly`
 *  properties are left out unless required (readOnly kept); with request true, `readOnly`
 *  ones are left out instead. rng is needed for JSONSCHEMA_GEN_DYNAMIC (may be NULL for
 *  EXAMPLE). Returns NULL only when no valid instance could be built (the schema `false`,
 *  contradictory constraints, a pattern the builder cannot satisfy): the caller says so.
 *  Thread-safe (s is immutable; rng is lock-free). */
cJSON *jsonschema_generate(const struct jsonschema *s, enum jsonschema_gen_mode mode, bool request,
			   struct rng *rng);
