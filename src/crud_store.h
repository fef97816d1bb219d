/* SPDX-License-Identifier: MIT */
/* The resource store of `--crud FILE` (SPEC section 10): the collections (top-level keys
 * holding arrays of objects) and singular resources (keys holding an object) of one data
 * file, in memory, with json-server 0.17's operations and query options. Every operation
 * is atomic (one lock per store); concurrent writers never lose an update or reuse an id.
 * Answers are whole HTTP answers (status, JSON body, the headers json-server sends), so
 * the CRUD front-end only routes. Any thread. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "crud_result.h"
#include "request.h"

struct crud_store;

/** What kind of resource a top-level key is. */
enum crud_kind {
	CRUD_NONE,                  /* no such key */
	CRUD_COLLECTION,            /* an array of objects: /KEY and /KEY/ID */
	CRUD_SINGULAR,              /* an object: /KEY only (GET, PUT, PATCH) */
};


/** A store holding a copy of root, a JSON object whose values are arrays of objects or
 *  objects (the reader has checked; other keys are kept but serve nothing). The copy is
 *  the initial content crud_store_reset goes back to. Never NULL. */
struct crud_store *crud_store_create(const cJSON *root);
void crud_store_destroy(struct crud_store *st);
/** Back to the initial content; ids handed out since may be given out again. */
void crud_store_reset(struct crud_store *st);
/** Replaces the initial content and the current one (a reload of the file). */
void crud_store_replace(struct crud_store *st, const cJSON *root);

/** The kind of key (a top-level key of the file). */
enum crud_kind crud_store_kind(struct crud_store *st, const char *key);
/** The top-level keys in file order, NULL-terminated (the caller frees the array and each). */
char **crud_store_keys(struct crud_store *st);

/*
 * The operations. key is a top-level key, id the path segment after it (NULL for the
 * collection or a singular resource); query/nquery the decoded query parameters (filters,
 * _sort/_order, _start/_end/_limit, _page/_limit, q, _embed, _expand); body/len the request
 * body. Status codes and shapes are json-server 0.17's, with SPEC section 10's deliberate
 * differences: POST with an existing id is 409, a body that is not one JSON object is 400,
 * a generated non-integer id is a UUID, _lt/_gt work. Bodies are pretty JSON, 2 spaces, as
 * json-server's express app writes them. A route the kind does not have (PUT, PATCH or
 * DELETE on /KEY of a collection, an id on a singular resource, DELETE on a singular one,
 * an unknown key) is json-server's 404 `{}`. Further differences, for correctness: a
 * `_like` pattern that does not compile is 400 (json-server: 500); an id that is an
 * object, an array or true is 400; relations (_embed, the dependents a DELETE removes)
 * compare ids as text like everything else. Any thread.
 */
/** self_url: the request's URL as json-server builds it ("http://HOST/KEY?QUERY", the
 *  query as received), from which the Link header's first/prev/next/last are made by
 *  setting _page. */
void crud_get(struct crud_store *st, const char *key, const char *id, const struct kv *query, size_t nquery,
	      const char *self_url, struct crud_result *out);
/** POST /KEY: 201 and the item, its id assigned when absent or falsy (null, 0, "", false,
 *  as json-server's `||`): above every integer id the collection held since the last
 *  reset or replace when its largest id (by JavaScript's >) is an integer, else a UUID.
 *  On a singular resource json-server's POST replaces it, 201. */
void crud_post(struct crud_store *st, const char *key, const char *body, size_t len, struct crud_result *out);
void crud_put(struct crud_store *st, const char *key, const char *id, const char *body, size_t len,
	      struct crud_result *out);
void crud_patch(struct crud_store *st, const char *key, const char *id, const char *body, size_t len,
		struct crud_result *out);
/** DELETE /KEY/ID: 200 `{}`. As json-server does on every DELETE of an item (a 404 too), it
 *  then removes every item whose FOOId names a missing item of an existing collection
 *  FOOs (the comments of a deleted post; one pass). */
void crud_delete(struct crud_store *st, const char *key, const char *id, struct crud_result *out);

/** Changes made since creation (each successful POST, PUT, PATCH, DELETE, reset or
 *  replace counts one): a writer saves when it moved. */
uint64_t crud_store_version(struct crud_store *st);
/** The whole current content as pretty JSON text (2-space indent, keys in file order,
 *  json-server's layout), with the version it shows. Caller frees. */
char *crud_store_dump(struct crud_store *st, size_t *len, uint64_t *version);
