/* SPDX-License-Identifier: MIT */
/* cannery: embed a mock API server in a C program or test.
 *
 * A server loads YAML stub files, listens on a loopback port (0 picks a free one) and
 * answers from its own thread pool. Several servers can run in one process: there is
 * no global state. All functions may be called from any thread unless noted. */
#ifndef CANNERY_CANNERY_H
#define CANNERY_CANNERY_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Access log verbosity. */
enum cannery_log {
	CANNERY_LOG_QUIET = 0,    /* nothing but errors */
	CANNERY_LOG_NORMAL = 1,   /* one line per request */
	CANNERY_LOG_VERBOSE = 2,  /* also every near-miss mismatch */
};

/** What a recording does with a request it has recorded before. */
enum cannery_record_mode {
	CANNERY_RECORD_FIRST = 0,     /* keep the first response */
	CANNERY_RECORD_SEQUENCE = 1,  /* append each response to the stub's `responses:` */
};

/** Options of one server. Initialise with cannery_config_init, then set what you need.
 *  Every pointer is borrowed: it must stay valid until cannery_server_create returns
 *  (the server copies what it keeps). */
struct cannery_config {
	const char *host;                 /* listen address; default "127.0.0.1" */
	unsigned port;                    /* default 62893; 0 picks a free port */
	const char *const *dirs;          /* stub directories; default { "stubs" } */
	size_t ndirs;
	const char *const *allow_hosts;   /* extra Host header names accepted */
	size_t nallow_hosts;
	size_t max_body;                  /* larger request bodies get 413; default 10485760 */
	unsigned threads;                 /* worker threads; 0 = one per core */
	unsigned max_connections;         /* default 1024 */
	unsigned idle_timeout_s;          /* idle connections are closed after this; default 30 */
	enum cannery_log log;             /* default CANNERY_LOG_NORMAL */
	int log_fd;                       /* where the access log goes; default 2 (stderr) */
	bool log_color;                   /* ANSI colours in the access log; default false */
	bool watch;                       /* hot reload: watch dirs for changes; default true */
	/* Proxy and recording. A server with a proxy initialises libcurl (curl_global_init)
	 * once per process, on first use; a program that also uses libcurl from several
	 * threads should call curl_global_init itself before it starts any thread. */
	const char *proxy;                /* forward requests that match no stub to this http(s) URL; NULL: off */
	bool proxy_all;                   /* with proxy: forward every request, stubs or not (cannery record) */
	const char *record_dir;           /* with proxy: write each proxied exchange as a stub file here */
	enum cannery_record_mode record_mode;   /* default CANNERY_RECORD_FIRST */
	unsigned proxy_timeout_ms;        /* bound on each proxied exchange (504 after it); default 30000 */
};

struct cannery_server;

/** Fills cfg with the defaults above. */
void cannery_config_init(struct cannery_config *cfg);

/** The library version, e.g. "0.1.0". Static storage. */
const char *cannery_version(void);

/** Loads the stubs of cfg->dirs and prepares a server (not yet listening).
 *  Returns 0 and *out (free with cannery_server_destroy), or a negative errno:
 *  -EINVAL when a stub file is invalid; then, when errors is not NULL, *errors receives
 *  every problem, one `FILE:LINE:COLUMN: error: message` a line (the caller frees it). */
int cannery_server_create(const struct cannery_config *cfg, struct cannery_server **out, char **errors);

/** Binds and starts answering. Returns 0, or a negative errno with a one-line message
 *  in *error (caller frees) such as "cannot listen on 127.0.0.1:62893: Address already in use". */
int cannery_server_start(struct cannery_server *srv, char **error);

/** The port actually bound (useful after port 0). 0 before start. */
unsigned cannery_server_port(const struct cannery_server *srv);

/** The bound address as a URL without a trailing slash, e.g. "http://127.0.0.1:40123".
 *  Borrowed; valid until destroy. NULL before start. */
const char *cannery_server_url(const struct cannery_server *srv);

/** Whether the server is bound to a loopback address (the Host check applies then). */
bool cannery_server_is_loopback(const struct cannery_server *srv);

/** How many stubs the server answers from now. */
size_t cannery_server_stub_count(const struct cannery_server *srv);

/** Reloads the stub directories. On success the new set replaces the old one atomically
 *  (requests in flight finish with the set they started with) and 0 is returned; on
 *  invalid files the old set stays, -EINVAL is returned and *errors (when not NULL)
 *  receives the problems as for create. */
int cannery_server_reload(struct cannery_server *srv, char **errors);

/** Stops accepting, lets in-flight requests finish (up to 10 s), then stops the threads.
 *  Safe to call more than once. */
void cannery_server_stop(struct cannery_server *srv);

/** Stops the server if needed and frees it. NULL does nothing. */
void cannery_server_destroy(struct cannery_server *srv);

/** Validates stub directories without serving: returns 0 and the number of stubs and
 *  files, or -EINVAL with the problems in *errors (caller frees), as for create. */
int cannery_check(const char *const *dirs, size_t ndirs, size_t *nstubs, size_t *nfiles, char **errors);

/** Initialises the libraries cannery shares with the whole process (libcurl, for the
 *  proxy) once. Call it before starting threads if the program uses libcurl itself;
 *  otherwise cannery_server_create calls it when a server needs a proxy. */
void cannery_global_init(void);

#ifdef __cplusplus
}
#endif

#endif
