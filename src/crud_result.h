/* SPDX-License-Identifier: MIT */
/* One answer of the CRUD store (and of its answer cache): status, JSON body and the
 * headers json-server sends. */
#pragma once
#include <stddef.h>
#include <stdint.h>

/** One answer. */
struct crud_result {
	int status;
	char *body;                 /* JSON text, malloc'd (never NULL after an operation) */
	size_t body_len;
	char *location;             /* POST 201: "/KEY/ID" (percent-encoded as express's res.location
				     * does), "/KEY" for a singular resource; else NULL. json-server
				     * sends the request's full URL + "/ID" (its query included) */
	long long total;            /* X-Total-Count for a list with _page, _limit or _end (as in
				     * json-server, _start alone gives none), else -1 */
	char *link;                 /* Link for a list with _page, else NULL; "" when there is no
				     * page to link (json-server then sends an empty Link header) */
	uint64_t version;           /* a GET's: the store version the answer shows */
};
/** Empty: no body, no headers, total -1. */
void crud_result_init(struct crud_result *r);
/** Frees what r holds and empties it. NULL does nothing. */
void crud_result_release(struct crud_result *r);
