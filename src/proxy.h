/* SPDX-License-Identifier: MIT */
/* Forwarding to an upstream with libcurl: one curl multi handle driven by one proxy thread
 * per server, one easy handle per exchange. The only file that includes <curl/curl.h>. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "stub.h"
#include "util/strbuf.h"

struct proxy;
struct proxy_exchange;

/** Defaults: how long an exchange may take in all, and the largest decoded upstream body
 *  that is passed on (a larger one is a 502). */
#define PROXY_DEFAULT_TIMEOUT_MS 30000L
#define PROXY_MAX_RESPONSE ((size_t)64 << 20)

/** What came back. Valid once the exchange is done; owned by the exchange (a caller may
 *  take body.buf with strbuf_detach). */
struct proxy_result {
	int status;                 /* the upstream's status, or ours (502, 503, 504) when failed */
	bool failed;                /* no upstream response: status and error are ours */
	char *error;                /* failed: "upstream http://... unreachable: ...", for a JSON error */
	struct header *headers;     /* the upstream's, in order, minus hop-by-hop and framing headers
				     * (Content-Length, Content-Encoding, Transfer-Encoding) */
	size_t nheaders;
	struct strbuf body;         /* decoded (gzip and deflate are undone) */
};

/** Called once per submitted exchange: on the proxy thread, or on the submitting thread
 *  when the proxy is stopping. Once it returns, the proxy never touches ex again. */
typedef void proxy_done_fn(struct proxy_exchange *ex, void *arg);

/** Initialises libcurl for this process once (curl_global_init), guarded by pthread_once.
 *  main calls it before any thread starts; proxy_create calls it too, for embedders. */
void proxy_global_init(void);

/** Checks an upstream URL: http or https, a host, no query or fragment. Returns 0, or
 *  -EINVAL with a one-line reason in *error (caller frees). */
int proxy_check_url(const char *url, char **error);

/** Starts a proxy to upstream (a checked URL; a path in it prefixes every forwarded path;
 *  NULL: none, every exchange names its own with proxy_exchange_create_to)
 *  with its thread. timeout_ms bounds each exchange (0: the default); max_response bounds
 *  decoded bodies (0: PROXY_MAX_RESPONSE). Returns 0 and *out, or a negative errno with a
 *  message in *error (caller frees). */
int proxy_create(const char *upstream, long timeout_ms, size_t max_response, struct proxy **out, char **error);
/** Stops the thread: every exchange still in flight finishes as failed (503) through its
 *  callback before this returns; later submissions fail at once. Safe to call twice. */
void proxy_stop(struct proxy *p);
/** Stops and frees. NULL does nothing. */
void proxy_destroy(struct proxy *p);
/** The upstream URL as given, without a trailing slash. Borrowed. */
const char *proxy_upstream(const struct proxy *p);

/** A new exchange for one request: method, the request target as received ("/path?query",
 *  forwarded byte for byte after the upstream's own path) and the body (copied; has_body
 *  sends it, even when empty, with a Content-Length). Free with proxy_exchange_destroy
 *  when it is done or was never submitted. */
struct proxy_exchange *proxy_exchange_create(struct proxy *p, const char *method, const char *target,
					     const char *body, size_t body_len, bool has_body);
/** Like proxy_exchange_create, to upstream (a checked URL) instead of the proxy's own:
 *  a stub that forwards (WireMock's proxyBaseUrl). NULL: the proxy's. */
struct proxy_exchange *proxy_exchange_create_to(struct proxy *p, const char *upstream, const char *method,
						const char *target, const char *body, size_t body_len, bool has_body);
/** Where the exchange goes: its upstream, without a trailing slash. Borrowed. */
const char *proxy_exchange_upstream(const struct proxy_exchange *ex);
/** Adds one request header as received. Hop-by-hop headers (and those named in
 *  Connection), Host, Content-Length, Expect and Accept-Encoding are dropped at submit. */
void proxy_exchange_add_header(struct proxy_exchange *ex, const char *name, const char *value);
/** Hands ex to the proxy thread; done(ex, arg) follows exactly once. Any thread. */
void proxy_submit(struct proxy *p, struct proxy_exchange *ex, proxy_done_fn *done, void *arg);
/** The result, once done has been called. */
struct proxy_result *proxy_exchange_result(struct proxy_exchange *ex);
/** Frees an exchange that is not in flight. NULL does nothing. */
void proxy_exchange_destroy(struct proxy_exchange *ex);

/** Whether a header is hop-by-hop (RFC 9110 7.6.1: Connection, Keep-Alive, Proxy-*, TE,
 *  Trailer, Transfer-Encoding, Upgrade) or named in connection (a Connection header's
 *  value, comma-separated; may be NULL). Case-insensitive. */
bool proxy_hop_by_hop(const char *name, const char *connection);
