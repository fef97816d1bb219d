/* SPDX-License-Identifier: MIT */
/* Integration-test harness: runs the real cannery binary (CANNERY_BIN) as a child process,
 * talks to it over HTTP (libcurl) and raw sockets, and makes throwaway stub directories.
 * Everything handed out is owned by the harness and freed by h_teardown(). The HTTP and
 * raw-socket calls may run on several threads at once (as long as each h_client stays on
 * one); the rest belongs to the test's main thread. */
#pragma once
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The deadline for anything that should take milliseconds when the binary works. It is
 * never reached in a passing run; it only bounds how long a broken binary can hang a test.
 * 10 s, or CANNERY_TEST_DEADLINE_MS for slow runs (the valgrind test setup sets 60 s). */
#define H_DEADLINE_MS (h_deadline_ms())
int h_deadline_ms(void);

/** CLOCK_MONOTONIC in milliseconds: for deadlines and for timing what a test measures. */
int64_t h_now_ms(void);
/** Sleeps ms milliseconds (resuming after signals): for polling loops, never as a wait
 *  for something to have happened. */
void h_nap_ms(int ms);

/**
 * Suite hooks: use as `TestSuite(name, .init = h_setup, .fini = h_teardown)`.
 * h_setup initialises libcurl once; h_teardown kills any server still running (SIGKILL),
 * closes sockets, removes temporary directories and frees everything the harness handed
 * out. Criterion ignores assertions in .fini, so a test that cares how its server exits
 * must call h_server_stop_ok() itself.
 */
void h_setup(void);
void h_teardown(void);

/** An environment variable, e.g. getenv("CANNERY_FIXTURES"); fails the test when unset. */
const char *h_env(const char *name);

/** A path under CANNERY_FIXTURES/integration, e.g. h_fixture("api"). Owned by the harness. */
const char *h_fixture(const char *rel);

/** printf into a string owned by the harness (freed by h_teardown). */
char *h_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- processes ------------------------------------------------------------------------ */

/**
 * How to run the binary. args are the arguments after the program name (NULL-terminated).
 * env holds extra "NAME=VALUE" entries (NULL-terminated, may be NULL). The child gets the
 * test's environment without any CANNERY_* variable (meson sets CANNERY_BIN and friends
 * for the tests, not for the server), plus env. cwd: where the child starts, or NULL.
 */
struct h_spawn {
	const char *const *args;
	const char *const *env;
	const char *cwd;
};

/** What a finished run produced. */
struct h_run {
	int exit_code;      /* the exit status, or 128+N when killed by signal N */
	bool timed_out;     /* the deadline passed and the harness killed it (exit_code then 128+9) */
	char *out;          /* all of stdout, NUL-terminated */
	char *err;          /* all of stderr, NUL-terminated */
};

/** Runs the binary to completion (killing it after H_DEADLINE_MS). Never fails the test. */
struct h_run *h_run(const struct h_spawn *sp);
/** h_run with just arguments: h_runv("check", dir, NULL). */
struct h_run *h_runv(const char *first, ...) __attribute__((sentinel));

/** A running server. */
struct h_server {
	pid_t pid;
	int port;           /* from the ready line */
	int nstubs;         /* from the ready line */
	char host[64];      /* from the ready line, e.g. "127.0.0.1" */
	char *ready_line;   /* the ready line without its newline */
	char url[96];       /* "http://127.0.0.1:PORT" ("https://" when the ready line says so):
			     * always loopback, whatever --host says */
	int out_fd;         /* read end of the child's stdout */
	int err_fd;         /* unlinked temporary file holding the child's stderr */
	bool reaped;
	int exit_code;      /* valid once reaped: as in struct h_run */
	const char *ca_file;   /* HTTPS: the PEM file requests verify the server's certificate
				* against (verification is always on); NULL: the system's CAs */
};

/**
 * Starts the binary with sp->args as given (the caller includes "serve" and "--port 0" or
 * whatever it tests) and waits for the ready line. Fails the test, showing the child's
 * stderr, when the child exits first, prints something else or is not ready in time.
 */
struct h_server *h_server_spawn(const struct h_spawn *sp);
/** `serve DIR --port 0 ARGS...`: the usual way to start a server on one stub directory. */
struct h_server *h_serve(const char *dir, ...) __attribute__((sentinel));

/** h_server_spawn with just arguments, the command included:
 *  h_server_spawnv("record", "--upstream", url, "--out", dir, "--port", "0", NULL). */
struct h_server *h_server_spawnv(const char *first, ...) __attribute__((sentinel));
/** Sends a signal to the server (fails the test when it has already exited). */
void h_server_signal(struct h_server *s, int sig);
/** Waits for the server to exit on its own; returns its exit code, or -1 at the deadline. */
int h_server_wait(struct h_server *s, int timeout_ms);
/** SIGTERM, then wait (SIGKILL after the deadline). Returns the exit code as in struct h_run. */
int h_server_stop(struct h_server *s);
/** h_server_stop, asserting a clean exit 0 (which also catches sanitizer reports). */
void h_server_stop_ok(struct h_server *s);
/** Everything the server has written to stderr so far (NUL-terminated, harness-owned). */
char *h_server_stderr(const struct h_server *s);
/** Polls the server's stderr until some line contains every one of the NULL-terminated
 *  needles; returns that line (harness-owned) or NULL at the deadline. */
char *h_server_wait_log(const struct h_server *s, const char *needle, ...) __attribute__((sentinel));
/** How many lines of text contain needle. */
size_t h_count_lines(const char *text, const char *needle);

/* ---- HTTP over libcurl ---------------------------------------------------------------- */

struct h_response {
	long status;            /* 0 when the transfer failed */
	int curl_code;          /* CURLcode */
	char error[256];        /* curl's message when curl_code != 0 */
	char *body;             /* NUL-terminated (body_len excludes the NUL) */
	size_t body_len;
	char **headers;         /* raw "Name: value" lines of the final response */
	size_t nheaders;
	long num_connects;      /* CURLINFO_NUM_CONNECTS: 0 when a connection was reused */
	long http_version;      /* CURLINFO_HTTP_VERSION */
};

/** A reusable client (one curl easy handle): requests on it share a kept-alive connection. */
struct h_client;
struct h_client *h_client_create(void);

/**
 * One request to the server. method NULL means GET. body may be NULL (no body); it is sent
 * as is with its strlen. headers: NULL-terminated "Name: value" lines (NULL for none); a
 * header given as "Name:" removes one curl would add. curl's defaults that a request body
 * brings (Content-Type: application/x-www-form-urlencoded) stay unless overridden. Transfer
 * errors do not fail the test: they show as status 0 with curl_code and error set.
 */
struct h_response *h_request(const struct h_server *s, const char *method, const char *path,
			     const char *body, const char *const *headers);
/** h_request on a reusable client. */
struct h_response *h_client_request(struct h_client *c, const struct h_server *s, const char *method,
				    const char *path, const char *body, size_t body_len,
				    const char *const *headers);
/** A NULL-terminated header list for h_request, in place: HDRS("Accept: text/html", "X-A: 1"). */
#define HDRS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/** GET path. */
struct h_response *h_get(const struct h_server *s, const char *path);
/** GET path with one extra header line. */
struct h_response *h_get_h(const struct h_server *s, const char *path, const char *header);

/** Polls GET path until it answers want_status with exactly want_body; returns whether it
 *  did before the deadline (the last response is in *last when last is not NULL). */
bool h_poll_get(const struct h_server *s, const char *path, long want_status, const char *want_body,
		struct h_response **last);

/** The value of the first response header called name (case-insensitive), or NULL. */
const char *h_header(const struct h_response *r, const char *name);
/** How many response headers are called name (case-insensitive). */
size_t h_header_count(const struct h_response *r, const char *name);
/** The value of the i-th response header called name, or NULL. */
const char *h_header_nth(const struct h_response *r, const char *name, size_t i);

/** Asserts a GET returns status and exactly body (with a message naming the request). */
#define h_assert_get(srv, path, want_status, want_body) \
	h_assert_response_(h_get((srv), (path)), "GET", (path), (want_status), (want_body), __FILE__, __LINE__)
/** Asserts a response's status and, when want_body is not NULL, its exact body. */
#define h_assert_response(resp, what, want_status, want_body) \
	h_assert_response_((resp), "", (what), (want_status), (want_body), __FILE__, __LINE__)
void h_assert_response_(const struct h_response *r, const char *method, const char *what,
			long want_status, const char *want_body, const char *file, int line);

/* ---- raw sockets ---------------------------------------------------------------------- */

/** What a raw exchange read back. */
struct h_raw {
	char *data;             /* NUL-terminated; may hold other NULs */
	size_t len;
	bool closed;            /* the server closed the connection (FIN or reset) */
	bool reset;             /* ... with a reset */
	bool timed_out;         /* the deadline passed first */
	int status;             /* the status of the first final (non-1xx) response, or 0 */
	size_t ncomplete;       /* complete responses seen */
};

enum h_raw_until {
	H_UNTIL_RESPONSE,       /* stop once one complete final response has arrived (or close) */
	H_UNTIL_CLOSE,          /* read until the server closes the connection */
};

/** Connects to 127.0.0.1:port; the socket is non-blocking and closed by h_teardown. */
int h_connect(const struct h_server *s);
/** Sends all of data (interleaving reads, so a server that answers early cannot deadlock
 *  us; stops sending on EPIPE/ECONNRESET; sending is bounded by H_DEADLINE_MS), then reads
 *  per until, at most timeout_ms from the call. A tiny timeout_ms means "just send". */
struct h_raw *h_sock_exchange(int fd, const void *data, size_t len, enum h_raw_until until, int timeout_ms);
/** Polls until connecting to the server's port is refused (it stopped listening); returns
 *  false at the deadline. */
bool h_wait_port_closed(const struct h_server *s);
/** Polls until the server has read everything sent on fd (its end of the connection has
 *  an empty receive queue, per /proc/net/tcp): a request it has surely started on. Returns
 *  false at the deadline, or at once where /proc/net/tcp cannot tell. */
bool h_wait_server_read(const struct h_server *s, int fd);
/** A non-blocking connection to the server, still connecting, that the caller closes
 *  itself (unlike h_connect's, it does not wait for the handshake and teardown does not
 *  know it): for tests that open many or must not block. -1 when it cannot be made. */
int h_connect_raw(const struct h_server *s);
/** Closes with a reset (RST), the way a killed client or a crashed browser tab goes away,
 *  leaving no TIME_WAIT behind. */
void h_close_reset(int fd);
/** Sends all of data on a non-blocking socket within timeout_ms; false when it could not
 *  (the peer went away, or time ran out). */
bool h_send_all(int fd, const char *data, size_t len, int timeout_ms);
/** Reads from fd until needle shows up (true), the peer closes, the buffer is full or
 *  timeout_ms passes. What was read is left NUL-terminated in buf (size bytes); with buf
 *  NULL a 4 KiB buffer of its own is used and the data dropped. */
bool h_read_until(int fd, const char *needle, int timeout_ms, char *buf, size_t size);
/** Closes a socket from h_connect or h_listen_any now rather than at teardown. */
void h_close(int fd);
/** Connects, sends, reads one response (or until close); the usual raw-socket call. */
struct h_raw *h_raw(const struct h_server *s, const void *data, size_t len, enum h_raw_until until);
/** h_raw of a NUL-terminated request. */
struct h_raw *h_raw_str(const struct h_server *s, const char *request);

/* ---- files ---------------------------------------------------------------------------- */

/** Makes an empty temporary directory (removed by h_teardown). Returns its absolute path. */
const char *h_tmpdir(void);
/** Writes dir/rel (making parent directories); contents is NUL-terminated. Written to a
 *  temporary name first, then renamed, so a watcher never sees half a file. */
void h_write_file(const char *dir, const char *rel, const char *contents);
/** Writes DIR/REL holding size copies of byte c (a big `file:` body). */
void h_write_filled(const char *dir, const char *rel, size_t size, char c);
/** Removes path and everything below it (symlinks are removed, not followed). */
void h_remove_tree(const char *path);
/** A new temporary directory holding the files given as pairs, relative name then
 *  contents, ending with NULL: h_stub_dir("a.yaml", "...", "sub/b.yml", "...", NULL). */
const char *h_stub_dir(const char *first, ...) __attribute__((sentinel));
/** A TCP socket bound to 127.0.0.1 on a free port and listening; *port gets the port. */
int h_listen_any(int *port);

/** The whole file, harness-owned and NUL-terminated; *len (when not NULL) gets its size.
 *  Fails the test when it cannot be read. */
char *h_slurp(const char *path, size_t *len);
/** How many times needle occurs in text, not overlapping. */
size_t h_count_substr(const char *text, const char *needle);
/** Whether haystack contains needle (NULL haystack: false). */
bool h_contains(const char *haystack, const char *needle);

/* ---- readers that hammer a stub while its file changes ---- */

/** One reader thread's state for h_read_versions: GET /v (a stub answering "vN", see
 *  h_version_yaml) and GET /w (a file nobody touches, answering "w") until *stop. */
struct h_version_reader {
	const struct h_server *s;
	atomic_bool *stop;
	bool monotonic;          /* /v must never answer an older version than one seen */
	bool allow_404;          /* /v may be 404 (between a delete and a recreate) */
	int requests;
	int failures;
	int last;                /* the newest version seen */
	char first[512];         /* what the first failure looked like */
};
/** A pthread start routine over a struct h_version_reader. */
void *h_read_versions(void *arg);
/** The stub file named "version": GET /v answers "vN". */
const char *h_version_yaml(int v);
/** A stub directory with v.yaml at version 0 and w.yaml (GET /w answers "w"). */
const char *h_version_dir(void);

/** n (at most 16) reader threads, started by h_readers_start, each reading as how says
 *  (its s, monotonic and allow_404). */
struct h_readers {
	struct h_version_reader rd[16];
	pthread_t t[16];
	int n;
	atomic_bool stop;
};
void h_readers_start(struct h_readers *r, int n, struct h_version_reader how);
/** Stops and joins the readers, expects no failures; returns how many requests they made. */
int h_readers_stop(struct h_readers *r);
