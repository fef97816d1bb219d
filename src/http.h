/* SPDX-License-Identifier: MIT */
/* The HTTP layer: the only file that includes <microhttpd.h>. */
#pragma once

struct cannery_server;
struct stub_set;
struct http;

/** A stopped HTTP layer for srv (borrowed: it must outlive the result). */
struct http *http_create(struct cannery_server *srv);
/** Takes ownership of the listening socket and starts the thread pool. Returns 0, or a
 *  negative errno with a message in *error (caller frees). */
int http_start(struct http *h, int listen_fd, char **error);
/** Stops accepting, waits up to 10 s for in-flight requests, then stops the threads. */
void http_stop(struct http *h);
void http_destroy(struct http *h);

/** Prepares every stub of set before it is published; each fixed response is built once,
 *  by the first request that needs it. */
void http_prepare_set(struct stub_set *set);
