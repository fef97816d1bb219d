/* SPDX-License-Identifier: MIT */
/* What the unit tests share: a throwaway directory per test, writing and reading files,
 * diagnostics as text, hand-built requests and stub sets, servers and pipelines made for a
 * test, and raw HTTP over loopback. Linked into every unit test. Each Criterion test runs
 * in its own process, so the one temporary directory a process has lives in static storage.
 * The names are short and unprefixed on purpose: they read like the test's own words. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cannery/cannery.h"
#include "json.h"
#include "pipeline.h"
#include "request.h"
#include "util/arena.h"
#include "util/rng.h"

struct diag_list;
struct reply;
struct stub;
struct stub_group;
struct stub_set;

/** Makes a new directory /tmp/cannery-NAME-XXXXXX; returns its path (static storage, the
 *  same for the rest of the process). Fails the test when it cannot. */
const char *tmpdir_create(const char *name);
/** tmpdir_create, then chdir into it (remembering where we were). For .init hooks. */
const char *tmpdir_enter(const char *name);
/** Goes back to where tmpdir_enter was called and removes the directory. For .fini hooks;
 *  also removes a tmpdir_create directory. Does nothing when none was made. */
void tmpdir_leave(void);
/** Makes a new empty file /tmp/cannery-NAME-XXXXXX; returns its path (the caller frees
 *  it and unlinks the file). */
char *tmpfile_create(const char *name);

/** rm -rf, without following symlinks; silent about what is not there. */
void remove_tree(const char *path);
/** Writes text to path (relative to the current directory, or absolute), creating its
 *  parent directories. Fails the test when it cannot. */
void put(const char *path, const char *text);
/** mkdir path (0755); fails the test when it cannot. */
void make_dir(const char *path);
/** The whole file, NUL-terminated (the caller frees it), or NULL when it cannot be read. */
char *read_file(const char *path, size_t *len);
/** read_file that fails the test when the file cannot be read. */
char *slurp(const char *path);
/** Whether path exists (following symlinks). */
bool file_exists(const char *path);
/** How many names in dir start with prefix (. and .. included when prefix matches). */
size_t count_files(const char *dir, const char *prefix);

/** How many times needle occurs in text, not overlapping. */
size_t count_substr(const char *text, const char *needle);

/** Every diagnostic in GCC format, one a line (the caller frees it). */
char *diags_text(const struct diag_list *diags);

/** A request matcher (what a stub's `request:` holds, as the admin API takes it) from YAML
 *  or JSON text, NULL for none; fails the test, showing the diagnostics, when it does not
 *  load. Free it with stub_destroy. */
struct stub *load_matcher(const char *text);

/** Makes s's path the template tpl ("/users/{id}/files/{rest*}"), split into segments
 *  the way the loader splits it, for stubs built by hand. */
void set_path_template(struct stub *s, const char *tpl);
/** Makes s's path the path_regex re; fails the test when it does not compile. */
void set_path_regex(struct stub *s, const char *re);

/** The stubs of YAML (or JSON) text, loaded as a stub file called label would be (ids from
 *  `name`, else "label#INDEX"; no `file:` bodies), as one group of refcount 1 (drop it with
 *  stub_group_unref); fails the test, showing the diagnostics, when it does not load. */
struct stub_group *load_group(const char *label, const char *text);
/** A stub built by hand with this id (any method, no path) whose freeing adds 1 to *freed,
 *  to see when the group or set that owns it lets it go. Free it with stub_destroy. */
struct stub *tracked_stub(const char *id, unsigned *freed);
/** A group of tracked_stub()s with these ids (a space-separated list), refcount 1. */
struct stub_group *tracked_group(const char *ids, unsigned *freed);
/** The ids of stubs[0..n), each followed by one space (the caller frees it). */
char *stub_ids(const struct stub *const *stubs, size_t n);
/** A served stub set of the stubs in YAML text, loaded as the file "test.yaml" would be
 *  (ids test.yaml#N unless named, file "test.yaml"), with the reply side's per-set data
 *  the server gives its sets (reply_cache.h), which dispatch reads. Fails the test,
 *  showing the diagnostics, when the text does not load. Free it with stub_set_unref. */
struct stub_set *load_set(const char *text);

/* ---- requests built by hand ---- */

#define REQ_MAX_KV 16

/** A request as the HTTP adapter would hand it on: the view, its arena, room for query
 *  parameters, headers and cookies (names and values borrowed), and params for what a
 *  lookup or a template captures. */
struct req {
	struct arena arena;
	struct req_view v;
	struct kv query[REQ_MAX_KV], headers[REQ_MAX_KV], cookies[REQ_MAX_KV];
	struct params params;
};

/** An empty request: method and path (borrowed), no query, headers, cookies or body. */
void req_init(struct req *q, const char *method, const char *path);
/** Appends a query parameter / header / cookie (borrowed). */
void req_query(struct req *q, const char *name, const char *value);
void req_header(struct req *q, const char *name, const char *value);
void req_cookie(struct req *q, const char *name, const char *value);
/** Sets the body (borrowed; strlen bytes). */
void req_body(struct req *q, const char *body);
/** Frees the view's parses and the arena. */
void req_fini(struct req *q);

/* ---- replies ---- */

/** The value of r's first header called name (case-insensitive), or NULL. */
const char *got_header(const struct reply *r, const char *name);
/** How many of r's headers are called name (case-insensitive). */
size_t count_headers(const struct reply *r, const char *name);
/** Expects r's headers NAME, VALUE, ... (a NULL name ends): got_header(r, NAME) equals
 *  VALUE, or is absent when VALUE is NULL. */
void expect_header_values(const struct reply *r, ...);
/** Expects r's body to be exactly want (r->body_len bytes; NULL body fails). */
void expect_body(const struct reply *r, const char *want);

/* ---- servers and pipelines, for the tests of the server's parts --------------------- */

/** How long a test waits for something that takes milliseconds when the code works: never
 *  reached in a passing run, it only bounds how long a broken one can hang. */
#define TEST_DEADLINE_MS 10000

/** cannery_config_init, then what the unit tests want: port 0, quiet, no watcher, and dir
 *  as the only stub directory (NULL: none). dirs is the array that cfg->dirs then points
 *  at (one element, the caller's). */
void test_config(struct cannery_config *cfg, const char **dirs, const char *dir);
/** A created, not started server from test_config(dir); fails the test when it cannot be
 *  created. Free it with cannery_server_destroy. */
struct cannery_server *server_new(const char *dir);
/** Adds runtime stubs (YAML or JSON text) to srv; fails the test, showing why, when they
 *  do not load. */
void add_stubs(struct cannery_server *srv, const char *text);

/** Counts one answer of srv's stub with this id, as the dispatcher counts it (its hit
 *  counter, its place in a sequence). */
void stub_hit(struct cannery_server *srv, const char *id);

struct journal;
/** Appends a request to j the way the pipeline journals it: method, path, the stub that
 *  answered (NULL: none) and the status. Returns its seq. */
uint64_t journal_add(struct journal *j, const char *method, const char *path, const char *stub, int status);

struct state;
/** Polls until the stub with this id has been chosen once (a stub that counts its hits: a
 *  `responses:` sequence, say): its request is then surely in flight. False at the
 *  deadline. */
bool await_hit(struct state *st, const char *id);

/** A pipeline over a created (not started) server's parts: its stub set, admin context,
 *  state, journal and metrics, with a seeded generator and a timer thread of its own. */
struct rig {
	struct cannery_server *srv;
	const struct admin_ctx *ax;
	struct rng rng;
	struct timers *timers;
	struct pipeline_config cfg;     /* quiet, CORS on, Host check on, 1 MiB body limit */
	struct pipeline *pipeline;
};
/** Makes r over server_new(dir) (dir may be NULL) with the default cfg. */
void rig_init(struct rig *r, const char *dir);
/** Makes the pipeline again from r->cfg, after a test changed it. */
void rig_rebuild(struct rig *r);
/** Closes the timers (cancelled delays resume their exchanges on this thread), then frees
 *  everything. */
void rig_release(struct rig *r);

/* ---- raw HTTP over loopback sockets -------------------------------------------------- */

/** A TCP socket listening on 127.0.0.1 on a free port; *port gets the port. */
int listen_loopback(unsigned *port);
/** A blocking connection to 127.0.0.1:port, or -1 with errno (ECONNREFUSED when nothing
 *  listens). Its reads and writes give up after TEST_DEADLINE_MS. */
int connect_loopback(unsigned port);
/** connect_loopback that fails the test when it cannot connect. */
int connect_or_fail(unsigned port);
/** Sends all of data; fails the test when it cannot. */
void send_all(int fd, const void *data, size_t len);
/** What read_to_close read. */
struct raw_reply {
	char *text;             /* NUL-terminated (may hold other NULs); caller frees */
	size_t len;
	bool reset;             /* the peer reset the connection */
	bool timed_out;         /* TEST_DEADLINE_MS passed before the peer closed */
};
/** Reads until the peer closes or resets the connection, then closes fd. */
struct raw_reply read_to_close(int fd);
/** Connects, sends request (which should end the connection: `Connection: close`, or
 *  HTTP/1.0) and reads to the close; fails the test when the deadline passes. Returns the
 *  whole response text (caller frees). */
char *http_raw(unsigned port, const char *request);
/** http_raw of one request: the request line, "Host: 127.0.0.1", "Connection: close",
 *  headers (whole "Name: value\r\n" lines, or NULL) and body with its Content-Length
 *  (NULL: none). */
char *http_request(unsigned port, const char *method, const char *target, const char *headers, const char *body);
/** The response text had this status and, when body is not NULL, exactly this body;
 *  frees it. */
void expect_http(char *response, int status, const char *body);
/** The status of the first response in a raw response text, or 0 when it has none. */
int http_status(const char *response);
/** The body of the first response: what follows its empty line (borrowed), or "". */
const char *http_body(const char *response);

/* ---- JSON and query strings ------------------------------------------------------------ */

/** text parsed as JSON; fails the test when it is not. Delete it with cJSON_Delete. */
cJSON *json_or_fail(const char *text);
/** JSON text as compact JSON (re-printed), to compare bodies whatever their layout; fails
 *  the test when text is not JSON. Caller frees. */
char *compact_json(const char *text);
/** Query parameters from "a=1&b=2&c" (split on & and the first =, no percent-decoding;
 *  "c" has the value ""): up to max of them into out, pointing into *copy (the caller
 *  frees it). Returns how many. */
size_t split_query(const char *text, struct kv *out, size_t max, char **copy);
/** The "id" of each element of the JSON array items as JavaScript writes it, joined with
 *  "," ("1,2,x"; "?" for an element without one). Caller frees. */
char *ids_of(const cJSON *items);

/* ---- rendered strings ------------------------------------------------------------------ */

/** Keeps s (malloc'd) until kept_release, so that a test can compare what it rendered
 *  freely; returns s. */
const char *keep(char *s);
/** Frees what keep kept. For .fini hooks. */
void kept_release(void);
/** Whether the whole of s matches the PCRE2 pattern re (the project's regex adapter); fails
 *  the test when re does not compile. */
bool re_matches(const char *re, const char *s);
