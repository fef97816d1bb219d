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

/** How deep generation follows a recursive schema (a tree of nodes, a linked list): once one
 *  schema has been entered this many times on the way down, it gets the shallowest valid
 *  form (optional members left out, arrays at minItems, null or a scalar branch where one is
 *  allowed). A required member that recurses anyway is followed to twice this depth at
 *  most; past that there is no instance. */
#define JSONSCHEMA_GEN_MAX_DEPTH 8
/** Most values (objects, arrays, scalars) one generated instance may hold. */
#define JSONSCHEMA_GEN_MAX_VALUES 10000

enum jsonschema_gen_mode {
	/* The same instance every time: `example` (3.1: the first of `examples`), else
	 * `default` (each only when valid), else `const`, the first valid `enum` value, else
	 * built: every property (a map: one "additionalProp1"), max(minItems, 1) items, the
	 * first type listed, the first `oneOf`/`anyOf` branch (or discriminator mapping), a
	 * sample value per type and format ("2024-01-01T00:00:00Z", "user@example.com", a
	 * fixed UUID, "https://example.com", ...), numbers and lengths inside their bounds
	 * (0 when allowed), a string that matches `pattern`. Where those first choices are not
	 * valid (a oneOf both branches accept, uniqueItems, `not`), other branches, then
	 * values drawn from a fixed seed, are tried. */
	JSONSCHEMA_GEN_EXAMPLE,
	/* Random data valid against the schema, drawn from rng (the same seed gives the same
	 * data): optional properties sometimes left out, random lengths within bounds, random
	 * values for each type and format, a random `enum` value or `oneOf`/`anyOf` branch,
	 * null now and then where it is allowed; `example` and `default` are not used. */
	JSONSCHEMA_GEN_DYNAMIC,
};

/** An instance of s built in this mode (caller deletes), valid against s (checked with
 *  jsonschema_validate) and holding at most JSONSCHEMA_GEN_MAX_VALUES values. In a
 *  response, `writeOnly` properties are left out unless required (readOnly kept); with
 *  request true, `readOnly` ones are left out instead. rng is what JSONSCHEMA_GEN_DYNAMIC
 *  draws from (NULL: a fixed seed, so the same data every call); EXAMPLE never uses it.
 *  Returns NULL when no valid instance could be built (s NULL, the schema `false`,
 *  contradictory constraints, a recursion with no end, a pattern outside the sampler's
 *  subset, a schema the validator cannot finish): the caller says so. Work is bounded
 *  (retries included). Thread-safe (s is immutable; rng is lock-free). */
cJSON *jsonschema_generate(const struct jsonschema *s, enum jsonschema_gen_mode mode, bool request,
			   struct rng *rng);

/** jsonschema_generate, but when no valid instance comes out (a `oneOf` whose branches
 *  overlap so that no value matches exactly one, contradictory constraints), the closest
 *  it built: the first candidate, else an instance of the first `oneOf`/`anyOf` branch
 *  that can be built. NULL only when nothing at all can be built. An OpenAPI mock serves
 *  this rather than an empty body: the spec is wrong, and the answer is still the shape
 *  its author meant. */
cJSON *jsonschema_generate_best(const struct jsonschema *s, enum jsonschema_gen_mode mode, bool request,
				struct rng *rng);
