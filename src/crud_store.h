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
#include "request.h"

struct crud_store;

/** What kind of resource a top-level key is. */
enum crud_kind {
	CRUD_NONE,                  /* no such key */
	CRUD_COLLECTION,            /* an array of objects: /KEY and /KEY/ID */
	CRUD_SINGULAR,              /* an object: /KEY only (GET, PUT, PATCH) */
};

/** One answer. */
struct crud_result {
	int status;
	char *body;                 /* JSON text, malloc'd (never NULL after an operation) */
	size_t body_len;
	char *location;             /* POST 201: "/KEY/ID", else NULL */
	long long total;            /* X-Total-Count for a list with _page/_limit/_start/_end, else -1 */
	char *link;                 /* Link for a list with _page, else NULL */
};
void crud_result_release(struct crud_result *r);

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
 * a generated non-integer id is a UUID, _lt/_gt work.
 */
/** self_url: the request's URL as json-server builds it ("http://HOST/KEY?QUERY", the
 *  query as received), from which the Link header's first/prev/next/last are made by
 *  setting _page. */
void crud_get(struct crud_store *st, const char *key, const char *id, const struct kv *query, size_t nquery,
	      const char *self_url, struct crud_result *out);
void crud_post(struct crud_store *st, const char *key, const char *body, size_t len, struct crud_result *out);
void crud_put(struct crud_store *st, const char *key, const char *id, const char *body, size_t len,
	      struct crud_result *out);
void crud_patch(struct crud_store *st, const char *key, const char *id, const char *body, size_t len,
		struct crud_result *out);
void crud_delete(struct crud_store *st, const char *key, const char *id, struct crud_result *out);

/** Changes made since creation (each successful POST, PUT, PATCH, DELETE, reset or
 *  replace counts one): a writer saves when it moved. */
uint64_t crud_store_version(struct crud_store *st);
/** The whole current content as pretty JSON text (2-space indent, keys in file order,
 *  json-server's layout), with the version it shows. Caller frees. */
char *crud_store_dump(struct crud_store *st, size_t *len, uint64_t *version);
