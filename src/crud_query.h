/* SPDX-License-Identifier: MIT */
/* json-server 0.17's list options over one collection of the CRUD store: filters
 * (`field=v`, `a.b=v`, `_ne`, `_lt`, `_lte`, `_gt`, `_gte`, `_like`), `q`, `_sort`/`_order`,
 * `_start`/`_end`/`_limit`, `_page`/`_limit` with X-Total-Count and Link, and the relations
 * `_embed`/`_expand`. Parsed once per request, applied to data the caller keeps stable
 * (the store, under its lock). */
#pragma once
#include <stddef.h>

#include "json.h"
#include "request.h"

struct crud_query;

/** The options of a request's query parameters (names and values are copied). NULL when
 *  a `_like` pattern is not a regular expression, with *err saying so (caller frees). */
struct crud_query *crud_query_parse(const struct kv *query, size_t nquery, char **err);
void crud_query_destroy(struct crud_query *q);

/** What a list request answers. */
struct crud_page {
	cJSON *items;               /* a new array (caller deletes): copies of the chosen items */
	long long total;            /* X-Total-Count (the matches before slicing) or -1 */
	char *link;                 /* Link for _page (caller frees; "" when it has no link), else NULL */
};

/** The collection db[key] (an array) filtered, sorted, sliced or paged, with relations
 *  added, as json-server's GET /KEY answers it. X-Total-Count comes with _page, _limit or
 *  _end (not with _start alone, as in json-server). self_url is the request URL the Link
 *  header's URLs are made from, by replacing the first "page=CURRENT" with another page. */
void crud_query_list(const struct crud_query *q, const cJSON *db, const char *key, const char *self_url,
		     struct crud_page *out);

/** A copy of item (of collection db[key]) with q's `_embed` and `_expand` relations added,
 *  as GET /KEY/ID answers it. Caller deletes. */
cJSON *crud_query_relate(const struct crud_query *q, const cJSON *db, const char *key, const cJSON *item);
