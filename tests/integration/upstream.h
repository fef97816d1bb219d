/* SPDX-License-Identifier: MIT */
/* A small threaded HTTP/1.1 server for the proxy and record tests: plain sockets on
 * 127.0.0.1, one thread per connection, one request per connection (it always answers
 * `Connection: close`), fixed routes listed below. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/*
 * Routes (the path before '?'):
 *   /json        200 application/json, a nested object (see UP_JSON)
 *   /text        200 text/plain, two lines with a "{{" in them (UP_TEXT)
 *   /binary      200 image/png, UP_BINARY_LEN bytes holding NUL and 0xff (up_binary())
 *   /gzip        200 application/json, Content-Encoding: gzip of UP_GZIP_JSON
 *   /deflate     200 text/plain, Content-Encoding: deflate of UP_DEFLATE_TEXT
 *   /chunked     200 text/plain, Transfer-Encoding: chunked, three chunks of UP_CHUNKED
 *   /hold        waits until up_release() (or up_stop()), then 200 "released"
 *   /redirect    302, Location: /json, body "moved"
 *   /missing     404 application/json {"error":"not here"}
 *   /error       500 text/plain "boom"
 *   /empty       204, no body
 *   /hop         200 "hop" with hop-by-hop headers (Connection: close, X-Hop; X-Hop;
 *                Keep-Alive; Proxy-Thing; Trailer) and X-Kept: yes
 *   /secrets     200 {"ok":true} with two Set-Cookie lines, Authorization and X-Api-Key
 *   /counter     200 application/json {"n":N}, N counting calls to it from 1
 *   /huge        200 chunked, streams 'x' without end until the peer goes away
 *   /huge-cl     200 Content-Length: 200 MiB, then streams 'x' until the peer goes away
 *   /loop        302, Location: /loop (a redirect loop), body "again"
 *   /drip        200 Content-Length: 100000, one byte every 50 ms until the peer goes away
 *   /bomb        200 Content-Encoding: gzip, 1 MiB that inflates to ~160 MiB of zeros
 *   anything else (and /echo/...): 200 application/json describing the request:
 *                {"method":..,"target":..,"headers":[[name,value],..],"body":..}
 */
#define UP_JSON "{\"id\":42,\"name\":\"Ada\",\"tags\":[\"a\",\"b\"],\"nested\":{\"k\":null,\"f\":1.5,\"t\":true," \
		"\"z\":\"02134\"},\"big\":12345678901234567890,\"s\":\"42\",\"empty\":{},\"list\":[]}"
#define UP_TEXT "hello {{not a template}}\nsecond line\n"
#define UP_GZIP_JSON "{\"compressed\":true,\"items\":[1,2,3]}"
#define UP_DEFLATE_TEXT "deflated text, twice deflated text\n"
#define UP_CHUNKED "chunk one\nchunk two\nchunk three\n"
#define UP_BINARY_LEN 64

struct upstream;

/** Starts a server on a free port of 127.0.0.1 (fails the test when it cannot). */
struct upstream *up_start(void);
/** Stops listening, releases held requests and waits for every connection to end.
 *  Afterwards connecting to its port is refused. Safe to call twice. */
void up_stop(struct upstream *u);
/** "http://127.0.0.1:PORT". Borrowed. */
const char *up_url(const struct upstream *u);
int up_port(const struct upstream *u);
/** Lets every /hold request (now and later) answer. */
void up_release(struct upstream *u);
/** Requests fully read so far. */
size_t up_count(struct upstream *u);
/** Polls until n requests are waiting in /hold; false after the deadline. */
bool up_wait_held(struct upstream *u, size_t n, int timeout_ms);
/** The bytes of /binary. */
const unsigned char *up_binary(void);
/** A port on 127.0.0.1 that nothing listens on (bound, then closed). */
int up_free_port(void);
/** Stops every upstream still running; call from the suite's .fini. */
void up_teardown(void);
