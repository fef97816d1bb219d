/* SPDX-License-Identifier: MIT */
/* One collection of the CRUD store by id: lodash-id's getById (the first item whose id
 * reads as the text asked for) in O(1), and what kinds of ids the collection holds, so a
 * POST finds its new id without walking the items. The store keeps it in step with every
 * write; not thread-safe (the store's lock guards it). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "json.h"
#include "util/hmap.h"

struct crud_index {
	struct hmap by_id;          /* String(id) -> the first item with it (borrowed) */
	size_t nint;                /* items whose id is a safe integer */
	size_t nother;              /* items with another non-null id ("a", 1.5, 2^60) */
	size_t nshadowed;           /* items an earlier item with the same id hides */
};

/** The index of coll (an array of objects) as it is. */
void crud_index_init(struct crud_index *ix, const cJSON *coll);
void crud_index_release(struct crud_index *ix);

/** The first item whose id reads as id (String(1) is "1"; a null id never matches), or
 *  NULL. Borrowed from the collection. */
cJSON *crud_index_find(const struct crud_index *ix, const char *id);
/** Whether every non-null id is a safe integer (then the largest is one too). */
bool crud_index_only_integers(const struct crud_index *ix);

/** item was appended to the collection. */
void crud_index_add(struct crud_index *ix, cJSON *item);
/** item (still alive) left coll: another item with the same id, if any, takes its place. */
void crud_index_remove(struct crud_index *ix, const cJSON *coll, const cJSON *item);
/** item took old's place in the collection, with the same id. */
void crud_index_replace(struct crud_index *ix, const cJSON *old, cJSON *item);
