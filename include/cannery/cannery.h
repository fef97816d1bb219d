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
	const char *const *dirs;          /* stub directories; default { "stubs" }; ndirs 0: none */
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
	bool cors;                        /* CORS headers on stub routes (never admin); default true */
	bool seeded;                      /* seed below drives uuid, random_int and random delays;
					   * default false: seeded from the system's entropy */
	unsigned long long seed;
	size_t journal_limit;             /* requests kept in the journal; default 10000; 0 keeps none */
	const char *journal_file;         /* also append every journal entry here as NDJSON; default NULL */
	const char *admin_token;          /* admin API requires "Authorization: Bearer TOKEN"; default NULL */
	/* Proxy and recording. A server with a proxy initialises libcurl (curl_global_init)
	 * once per process, on first use; a program that also uses libcurl from several
	 * threads should call curl_global_init itself before it starts any thread. */
	const char *proxy;                /* forward requests that match no stub to this http(s) URL; NULL: off */
	bool proxy_all;                   /* with proxy: forward every request, stubs or not (cannery record) */
	const char *record_dir;           /* with proxy: write each proxied exchange as a stub file here */
	enum cannery_record_mode record_mode;   /* default CANNERY_RECORD_FIRST */
	unsigned proxy_timeout_ms;        /* bound on each proxied exchange (504 after it); default 30000 */
	/* Slow clients (docs/security.md): the whole request head must arrive within
	 * head_timeout_ms of the connection's start (or within idle_timeout_s of the previous
	 * request on a kept-alive connection), and a body must average min_body_rate bytes/s
	 * once its first head_timeout_ms are over; else the connection is closed. 0 turns
	 * either off. At max_connections, idle keep-alive connections are closed to make room. */
	unsigned head_timeout_ms;         /* default 10000 */
	unsigned min_body_rate;           /* default 1024 */
	/* Stateful REST resources (SPEC section 10): each file's collections and singular
	 * resources, served with the stubs; reset restores them, editing a file reloads it. */
	const char *const *crud_files;    /* JSON or YAML data files; default none */
	size_t ncrud_files;
	bool crud_save;                   /* write each change back to its file, atomically; default false */
	const char *const *wiremock_roots; /* WireMock roots (ROOT/mappings, ROOT/__files); default none */
	size_t nwiremock_roots;
	/* OpenAPI 3.0/3.1 specs served as mocks (SPEC section 9), after every stub; a DIR of
	 * dirs that is a spec file (its top level has an `openapi` key) is one too. */
	const char *const *openapi_specs;
	size_t nopenapi_specs;
	bool no_validate;                 /* do not validate requests against the specs; default false */
	/* HTTPS on the same port (SPEC section 12, docs/tls.md): a certificate (chain) and its
	 * unencrypted private key, PEM, as two files or as two texts; or tls_self_signed, a
	 * certificate made at create for localhost, 127.0.0.1 and ::1. At most one of the three.
	 * cannery_server_create checks them (readable, PEM, the key matches the certificate)
	 * and fails with -EINVAL and one line in *errors naming the file and the problem. */
	const char *tls_cert_file;
	const char *tls_key_file;
	const char *tls_cert_pem;
	const char *tls_key_pem;
	bool tls_self_signed;
};

struct cannery_server;

/** Fills cfg with the defaults above. */
void cannery_config_init(struct cannery_config *cfg);

/** The library version, e.g. "0.1.0". Static storage. */
const char *cannery_version(void);

/** Loads the stubs of cfg->dirs and prepares a server (not yet listening).
 *  Returns 0 and *out (free with cannery_server_destroy), or a negative errno:
 *  -EINVAL when a stub file is invalid; then, when errors is not NULL, *errors receives
 *  every problem, one `FILE:LINE:COLUMN: error: message` a line (the caller frees it).
 *  With cfg->journal_file, a file that cannot be opened is a negative errno too, with one
 *  line in *errors. */
int cannery_server_create(const struct cannery_config *cfg, struct cannery_server **out, char **errors);

/** Binds and starts answering. Returns 0, or a negative errno with a one-line message
 *  in *error (caller frees) such as "cannot listen on 127.0.0.1:62893: Address already in use". */
int cannery_server_start(struct cannery_server *srv, char **error);

/** The port actually bound (useful after port 0). 0 before start. */
unsigned cannery_server_port(const struct cannery_server *srv);

/** The bound address as a URL without a trailing slash, e.g. "http://127.0.0.1:40123"
 *  ("https://..." with TLS).
 *  Borrowed; valid until destroy. NULL before start. */
const char *cannery_server_url(const struct cannery_server *srv);

/** With TLS: the certificate served, as PEM text (for a client's CA file, e.g. libcurl's
 *  CURLOPT_CAINFO_BLOB), the generated one with tls_self_signed. NULL without TLS.
 *  Borrowed; valid until destroy; available once created. */
const char *cannery_server_tls_certificate(const struct cannery_server *srv);

/** With TLS: the certificate's SHA-256 fingerprint as `openssl x509 -fingerprint -sha256`
 *  prints it ("3A:0F:...": 32 upper-case hex bytes, colon-separated). NULL without TLS.
 *  Borrowed; valid until destroy. */
const char *cannery_server_tls_fingerprint(const struct cannery_server *srv);

/** Whether the server is bound to a loopback address (the Host check applies then). */
bool cannery_server_is_loopback(const struct cannery_server *srv);

/** How many stubs the server answers from now. */
size_t cannery_server_stub_count(const struct cannery_server *srv);

/** Reloads the stub directories. On success the new set replaces the old one atomically
 *  (requests in flight finish with the set they started with) and 0 is returned; on
 *  invalid files the old set stays, -EINVAL is returned and *errors (when not NULL)
 *  receives the problems as for create. */
int cannery_server_reload(struct cannery_server *srv, char **errors);

/** Stops accepting, ends pending waits (cannery_server_wait returns -ECANCELED, HTTP waits
 *  get 503), lets in-flight requests finish (up to 10 s), stops the threads and flushes the
 *  journal file. Safe to call more than once, and from another thread than the one waiting. */
void cannery_server_stop(struct cannery_server *srv);

/** Stops the server if needed and frees it. Call it after every other call on srv has
 *  returned. NULL does nothing. */
void cannery_server_destroy(struct cannery_server *srv);

/* ---- stubs at runtime, the journal and verification ------------------------------------
 *
 * These work on a created server, started or not, from any thread. Strings the library
 * returns are the caller's: free them with free() (arrays of strings with cannery_strv_free).
 * A request matcher is YAML or JSON text in the language of a stub's `request:` part, e.g.
 * "method: POST\npath: /api/users\nbody: { json_partial: { name: Ada } }"; the wrapped form
 * `{"request": {...}}` of the admin API is accepted too, and an empty text matches every
 * request. Matchers see the real header values (the journal JSON redacts secrets).
 */

/** Adds runtime stubs from YAML or JSON text (one stub or a list, as in a stub file, without
 *  `file:` bodies): all or nothing. Runtime stubs win over file stubs among equals (newest
 *  first) and survive reloads. Returns 0 and, when ids is not NULL, *ids: the new stub ids
 *  (`name`, or "runtime-N"), a NULL-terminated array freed with cannery_strv_free. Returns
 *  -EINVAL when the text does not parse or a stub is invalid (an id already in use
 *  included); then *errors (when not NULL; caller frees) holds one
 *  `text:LINE:COLUMN: error: message` a line. */
int cannery_server_add_stubs(struct cannery_server *srv, const char *text, char ***ids, char **errors);

/** Removes a runtime stub. Returns 0, -ENOENT when no stub has this id, -EPERM when it is a
 *  file stub (edit its file instead). */
int cannery_server_remove_stub(struct cannery_server *srv, const char *id);

/** Clears the journal, sequence positions, hit counters and scenario states (the stubs
 *  stay), like POST /__cannery/reset. */
void cannery_server_reset(struct cannery_server *srv);

/** Clears the journal only, like DELETE /__cannery/requests. Sequence numbers keep growing. */
void cannery_server_clear_requests(struct cannery_server *srv);

/** The journal as GET /__cannery/requests answers it:
 *  {"requests":[...],"total":N,"evicted":E}. The caller frees the result. */
char *cannery_server_requests_json(struct cannery_server *srv);

/** Counts the journal entries that match a request matcher. Returns 0 and *count, or
 *  -EINVAL with the matcher's problems in *error (when not NULL; caller frees). */
int cannery_server_count(struct cannery_server *srv, const char *matcher, size_t *count, char **error);

/** Checks that the number of matching journal entries is within [at_least, at_most]
 *  (at_most = (size_t)-1 for no upper bound; at_least = at_most = N for exactly N).
 *  Returns 0 when it is. Returns -ERANGE when it is not; then *report (when not NULL; caller
 *  frees) explains, e.g. "expected at least 1 matching request, got 0; closest:\n  #3 GET
 *  /api/users: header authorization: expected prefix \"Bearer \", got nothing\n".
 *  Returns -EINVAL when the matcher is invalid (*report holds the problems). *count (when
 *  not NULL) receives the count in the first two cases. */
int cannery_server_verify(struct cannery_server *srv, const char *matcher, size_t at_least, size_t at_most,
			  size_t *count, char **report);

/** Blocks the calling thread until at least want entries match the matcher, or timeout_ms
 *  pass. Returns 0 when they did; -ETIMEDOUT at the timeout; -ECANCELED when the server
 *  stops first; -EINVAL when the matcher is invalid (*error holds the problems; caller
 *  frees). *count (when not NULL) receives the matching count when the wait ended. No
 *  server thread is held while waiting. */
int cannery_server_wait(struct cannery_server *srv, const char *matcher, size_t want, unsigned timeout_ms,
			size_t *count, char **error);

/** Frees a NULL-terminated array of strings and the strings. NULL does nothing. */
void cannery_strv_free(char **v);

/** Validates stub directories without serving: returns 0 and the number of stubs and
 *  files, or -EINVAL with the problems in *errors (caller frees), as for create. */
int cannery_check(const char *const *dirs, size_t ndirs, size_t *nstubs, size_t *nfiles, char **errors);

/** cannery_check, and also loads each OpenAPI spec of specs[0..nspecs) (a DIR of dirs that
 *  is a spec file counts as one) and reports every stub whose route is no operation of a
 *  spec, or whose response body does not validate against the operation's schema, as
 *  FILE:LINE:COLUMN problems in *errors (-EINVAL). *nstubs counts the stubs checked. */
int cannery_check_openapi(const char *const *specs, size_t nspecs, const char *const *dirs, size_t ndirs,
			  size_t *nstubs, size_t *nfiles, char **errors);

/** Initialises the libraries cannery shares with the whole process (libcurl, for the
 *  proxy) once. Call it before starting threads if the program uses libcurl itself;
 *  otherwise cannery_server_create calls it when a server needs a proxy. */
void cannery_global_init(void);

#ifdef __cplusplus
}
#endif

#endif
