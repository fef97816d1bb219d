/* SPDX-License-Identifier: MIT */
/* The request journal: a bounded ring of immutable, refcounted entries with unique,
 * increasing sequence numbers and counted evictions, an optional NDJSON file written by
 * its own thread, and watches that see every entry as it is appended (admin waits). */
#pragma once
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "request.h"

struct strbuf;
struct journal;

/** One recorded request. Immutable once appended and shared by refcount; every string
 *  and array it points to lives in the same allocation. */
struct journal_entry {
	atomic_uint refs;
	uint64_t seq;               /* set by journal_append: unique, increasing from 1 */
	struct timespec time;       /* CLOCK_REALTIME when the request arrived */
	double duration_ms;         /* from arrival to the answer being queued */
	int status;
	const char *method;
	const char *path;           /* percent-decoded, without the query string */
	const char *target;         /* the request target as received (query included) */
	const char *stub;           /* id of the stub that answered; NULL when none did */
	const char *note;           /* what the answering front-end said of the request (an
				     * OpenAPI validation's problems), or NULL */
	const struct kv *query;     /* decoded names and values, in order */
	size_t nquery;
	const struct kv *headers;   /* names lower-case, in order; real (unredacted) values */
	size_t nheaders;
	const struct kv *cookies;   /* for `cookies:` matchers; not shown in JSON */
	size_t ncookies;
	const char *body;           /* raw bytes, NUL-terminated (may hold other NULs) */
	size_t body_len;
	/* the answer's body as sent, its first JOURNAL_RESPONSE_MAX bytes (NUL-terminated), and
	 * its Content-Type (or NULL); not in journal_entry_json: GET /__cannery/requests/SEQ
	 * (the dashboard) shows them */
	const char *resp_type;
	const struct kv *resp_headers;   /* the headers the stub or front-end set, as written, in order */
	size_t nresp_headers;
	const char *resp_body;
	size_t resp_body_len;       /* what is kept */
	size_t resp_body_total;     /* what was sent */
	bool resp_kept;             /* false: nothing was kept of the answer (a fault, a miss's
				     * 404 of near misses) */
	struct journal_entry *file_next;   /* the file writer's queue; under the journal's lock */
};

/** What journal_entry_create copies. Everything is borrowed. Header names may be in any
 *  case (they are stored lower-case); values may be NULL (stored as ""). */
struct journal_draft {
	struct timespec time;
	double duration_ms;
	int status;
	const char *method;
	const char *path;
	const char *target;         /* NULL: the path */
	const char *stub;
	const char *note;           /* may be NULL */
	const struct kv *query;
	size_t nquery;
	const struct kv *headers;
	size_t nheaders;
	const struct kv *cookies;
	size_t ncookies;
	const char *body;
	size_t body_len;
	const char *resp_type;      /* may be NULL */
	const struct kv *resp_headers;   /* the answer's own headers (at most JOURNAL_RESPONSE_HEADERS) */
	size_t nresp_headers;
	const char *resp_body;      /* NULL: keep nothing of the answer; else only its first
				     * JOURNAL_RESPONSE_MAX bytes are kept */
	size_t resp_body_len;
};

/** How much of each answer's body an entry keeps: enough to read a JSON answer in the
 *  dashboard, bounded so that a full journal of large answers stays small (10,000 entries
 *  keep at most 40 MiB of them). */
#define JOURNAL_RESPONSE_MAX 4096
/** How many of an answer's own headers an entry keeps. */
#define JOURNAL_RESPONSE_HEADERS 32

/** Copies a draft into one allocation. Refcount 1, seq 0 until appended. Never NULL. */
struct journal_entry *journal_entry_create(const struct journal_draft *d);
/** Adds a reference; returns e. Thread-safe. */
struct journal_entry *journal_entry_ref(struct journal_entry *e);
/** Drops a reference; the last one frees the entry. NULL does nothing. Thread-safe. */
void journal_entry_unref(struct journal_entry *e);

/** Appends the entry as one JSON object (SPEC section 4): seq, time, method, path, query
 *  and headers (repeated names joined with ", "), body (or body_base64 when it is not
 *  UTF-8), stub, status, duration_ms. Values of authorization, proxy-authorization, cookie
 *  and x-api-key read "[redacted]". Any thread. */
void journal_entry_json(const struct journal_entry *e, struct strbuf *out);

/** A journal keeping at most limit entries (0 keeps none: entries only go to the file).
 *  Never NULL. */
struct journal *journal_create(size_t limit);
/** Stops the file writer after it has written everything appended, and frees the journal
 *  with its entries. Watches still linked are dropped without firing. NULL does nothing. */
void journal_destroy(struct journal *j);

/** Opens path for appending (created 0644 when missing) and starts the writer thread that
 *  writes each entry appended from now on as one JSON line. Write errors are reported once
 *  to log_fd. Returns 0, or a negative errno with a one-line message in *error (caller
 *  frees). Call before any append, at most once. */
int journal_open_file(struct journal *j, const char *path, int log_fd, char **error);
/** Blocks until every entry appended so far is written to the file and flushed. Returns at
 *  once without a file. Any thread but the writer. */
void journal_sync(struct journal *j);

/** Takes over the caller's reference to e, gives it the next seq, stores it (evicting and
 *  counting the oldest entry when full), queues it for the file and shows it to every
 *  watch. Returns the seq. Runs on request threads; holds the lock only briefly. */
uint64_t journal_append(struct journal *j, struct journal_entry *e);
/** Drops every entry and zeroes `evicted`; seq numbers keep increasing and the eviction
 *  total (for metrics) keeps counting. Thread-safe. */
void journal_clear(struct journal *j);

/** Entries in ascending seq, each with a reference the snapshot holds. */
struct journal_snapshot {
	struct journal_entry **v;
	size_t n;
	uint64_t evicted;           /* evictions since the last clear */
	uint64_t last_seq;          /* the highest seq handed out so far (0: none) */
};

/** Takes a snapshot of the entries with seq > since (0: all). Thread-safe. */
void journal_snapshot(struct journal *j, uint64_t since, struct journal_snapshot *out);
void journal_snapshot_release(struct journal_snapshot *s);

struct journal_stats {
	size_t entries;             /* kept now */
	size_t limit;
	uint64_t evicted;           /* since the last clear */
	uint64_t evicted_total;     /* since creation: never reset */
	uint64_t appended_total;    /* since creation */
};
void journal_stats(struct journal *j, struct journal_stats *out);

/** A watch sees every entry appended while it is linked. Embed it in your own struct. */
struct journal_watch {
	/** Runs under the journal's lock, on the appending thread, for each new entry. Returns
	 *  true when the watch is done: it is then unlinked, and fire runs once the lock is
	 *  released (on the same thread). Must be quick and must not call journal functions. */
	bool (*on_entry)(struct journal_watch *w, const struct journal_entry *e);
	void (*fire)(struct journal_watch *w);
	struct journal_watch *prev, *next;   /* under the journal's lock */
	bool linked;                         /* under the journal's lock */
};

/** Links w and takes a snapshot of every entry, both under one lock: every entry is then
 *  either in the snapshot or shown to w->on_entry, never both, never neither. */
void journal_watch_add(struct journal *j, struct journal_watch *w, struct journal_snapshot *snap);
/** Unlinks w; returns whether it was still linked. Thread-safe. */
bool journal_watch_remove(struct journal *j, struct journal_watch *w);
