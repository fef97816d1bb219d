/* SPDX-License-Identifier: MIT */
/* The request journal: entries built in one allocation each, a ring that grows up to its
 * limit, an NDJSON writer thread, and watches for admin waits. */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/base64.h"
#include "util/tz.h"
#include "util/strbuf.h"
#include "util/utf8.h"
#include "util/xalloc.h"

/* The file writer's batching: a batch is written when this many entries wait, or this long
 * after the first of them arrived (a `tail -f` of the file is that much behind at most). */
#define JOURNAL_FILE_BATCH 256
#define JOURNAL_FILE_WINDOW_MS 5

struct journal {
	/* lock guards every field below it (the file writer's too) and every linked watch's
	 * prev/next/linked; it is never held while JSON is written or an entry is freed */
	pthread_mutex_t lock;
	struct journal_entry **ring;     /* ring[(head + i) % cap] for i < n, oldest first */
	size_t cap, head, n;
	size_t limit;
	uint64_t next_seq;               /* the last seq handed out */
	uint64_t evicted, evicted_total;
	struct journal_watch *watches;

	/* the NDJSON file: appended entries queue here for the writer thread */
	FILE *file;
	int log_fd;
	struct journal_entry *qhead, *qtail;
	size_t qlen;
	bool writing;                    /* the writer holds a batch outside the lock */
	bool idle_wait;                  /* the writer waits for a first entry */
	unsigned syncing;                /* journal_sync callers waiting: no batch window */
	bool stop;
	bool write_failed;               /* reported once */
	pthread_cond_t wake;             /* writer: the queue grew, or stop */
	pthread_cond_t idle;             /* journal_sync: the writer finished a batch */
	pthread_t writer;
};

/* ---- entries ---- */

static size_t kv_bytes(const struct kv *v, size_t n)
{
	size_t b = 0;
	for (size_t i = 0; i < n; i++)
		b += strlen(v[i].name) + 1 + (v[i].value ? v[i].len : 0) + 1;
	return b;
}

static char *put(char **cur, const char *s, size_t len)
{
	char *r = *cur;
	if (len)
		memcpy(r, s, len);
	r[len] = '\0';
	*cur += len + 1;
	return r;
}

static const struct kv *put_kvs(struct kv *dst, char **cur, const struct kv *src, size_t n, bool lower)
{
	for (size_t i = 0; i < n; i++) {
		size_t nl = strlen(src[i].name);
		char *name = put(cur, src[i].name, nl);
		if (lower)
			for (char *p = name; *p; p++)
				if (*p >= 'A' && *p <= 'Z')
					*p = (char)(*p + ('a' - 'A'));
		dst[i].name = name;
		dst[i].len = src[i].value ? src[i].len : 0;
		dst[i].value = put(cur, src[i].value ? src[i].value : "", dst[i].len);
	}
	return n ? dst : NULL;
}

struct journal_entry *journal_entry_create(const struct journal_draft *d)
{
	const char *method = d->method ? d->method : "";
	const char *path = d->path ? d->path : "";
	const char *target = d->target ? d->target : path;
	size_t ml = strlen(method), pl = strlen(path), tl = strlen(target), sl = d->stub ? strlen(d->stub) : 0;
	size_t nl = d->note ? strlen(d->note) : 0;
	size_t rtl = d->resp_type ? strlen(d->resp_type) : 0;
	size_t rbl = d->resp_body ? d->resp_body_len : 0;
	if (rbl > JOURNAL_RESPONSE_MAX)
		rbl = JOURNAL_RESPONSE_MAX;
	size_t nrh = d->resp_body ? d->nresp_headers : 0;
	if (nrh > JOURNAL_RESPONSE_HEADERS)
		nrh = JOURNAL_RESPONSE_HEADERS;
	size_t nkv = d->nquery + d->nheaders + d->ncookies + nrh;
	size_t text = ml + 1 + pl + 1 + tl + 1 + (d->stub ? sl + 1 : 0) + (d->note ? nl + 1 : 0) + d->body_len + 1 +
		      (d->resp_type ? rtl + 1 : 0) + rbl + 1 +
		      kv_bytes(d->query, d->nquery) + kv_bytes(d->headers, d->nheaders) +
		      kv_bytes(d->cookies, d->ncookies) + kv_bytes(d->resp_headers, nrh);
	/* the entry, then its kv arrays, then every byte of text: one malloc, one free */
	struct journal_entry *e = xmalloc(sizeof(*e) + nkv * sizeof(struct kv) + text);
	struct kv *kvs = (struct kv *)(e + 1);
	char *cur = (char *)(kvs + nkv);
	memset(e, 0, sizeof(*e));
	atomic_init(&e->refs, 1);
	e->time = d->time;
	e->duration_ms = d->duration_ms;
	e->status = d->status;
	e->method = put(&cur, method, ml);
	e->path = put(&cur, path, pl);
	e->target = put(&cur, target, tl);
	e->stub = d->stub ? put(&cur, d->stub, sl) : NULL;
	e->note = d->note ? put(&cur, d->note, nl) : NULL;
	e->query = put_kvs(kvs, &cur, d->query, d->nquery, false);
	e->nquery = d->nquery;
	e->headers = put_kvs(kvs + d->nquery, &cur, d->headers, d->nheaders, true);
	e->nheaders = d->nheaders;
	e->cookies = put_kvs(kvs + d->nquery + d->nheaders, &cur, d->cookies, d->ncookies, false);
	e->ncookies = d->ncookies;
	e->body_len = d->body ? d->body_len : 0;
	e->body = put(&cur, d->body, e->body_len);
	e->resp_type = d->resp_type ? put(&cur, d->resp_type, rtl) : NULL;
	e->resp_headers = put_kvs(kvs + d->nquery + d->nheaders + d->ncookies, &cur, d->resp_headers, nrh, false);
	e->nresp_headers = nrh;
	e->resp_body = put(&cur, d->resp_body, rbl);
	e->resp_body_len = rbl;
	e->resp_body_total = d->resp_body ? d->resp_body_len : 0;
	e->resp_kept = d->resp_body != NULL;
	return e;
}

struct journal_entry *journal_entry_ref(struct journal_entry *e)
{
	atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
	return e;
}

void journal_entry_unref(struct journal_entry *e)
{
	if (e && atomic_fetch_sub_explicit(&e->refs, 1, memory_order_acq_rel) == 1)
		free(e);
}

/* A JSON string of text that should be UTF-8: invalid bytes become U+FFFD, so the output
 * is always valid JSON. */
static void add_text(struct strbuf *sb, const char *s, size_t n)
{
	if (utf8_valid(s, n)) {
		strbuf_add_json_string(sb, s, n);
		return;
	}
	struct strbuf clean = STRBUF_INIT;
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		size_t l = utf8_seq(p + i, n - i);
		if (l) {
			strbuf_add(&clean, s + i, l);
			i += l;
		} else {
			strbuf_add(&clean, "\xEF\xBF\xBD", 3);
			i++;
		}
	}
	strbuf_add_json_string(sb, strbuf_str(&clean), clean.len);
	strbuf_release(&clean);
}

static void add_base64(struct strbuf *sb, const char *s, size_t n)
{
	strbuf_addc(sb, '"');
	base64_encode(sb, s, n);
	strbuf_addc(sb, '"');
}

static bool redacted(const char *name)
{
	static const char *const secret[] = { "authorization", "proxy-authorization", "cookie", "x-api-key" };
	for (size_t i = 0; i < sizeof(secret) / sizeof(*secret); i++)
		if (strcmp(name, secret[i]) == 0)
			return true;
	return false;
}

/* {"name":"v1, v2", ...}: names in order of first appearance, repeated values joined. */
static void add_pairs(struct strbuf *sb, const struct kv *v, size_t n, bool redact)
{
	strbuf_addc(sb, '{');
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		size_t j;
		for (j = 0; j < i; j++)
			if (strcmp(v[j].name, v[i].name) == 0)
				break;
		if (j < i)
			continue;
		if (!first)
			strbuf_addc(sb, ',');
		first = false;
		add_text(sb, v[i].name, strlen(v[i].name));
		strbuf_addc(sb, ':');
		if (redact && redacted(v[i].name)) {
			strbuf_adds(sb, "\"[redacted]\"");
			continue;
		}
		bool more = false;
		for (j = i + 1; j < n && !more; j++)
			more = strcmp(v[j].name, v[i].name) == 0;
		if (!more) {
			add_text(sb, v[i].value, v[i].len);
			continue;
		}
		struct strbuf joined = STRBUF_INIT;
		for (j = i; j < n; j++) {
			if (strcmp(v[j].name, v[i].name) != 0)
				continue;
			if (joined.len || j > i)
				strbuf_add(&joined, ", ", 2);
			strbuf_add(&joined, v[j].value, v[j].len);
		}
		add_text(sb, strbuf_str(&joined), joined.len);
		strbuf_release(&joined);
	}
	strbuf_addc(sb, '}');
}

/* n's decimal digits at out; returns how many. */
static size_t put_uint(char *out, unsigned long long n)
{
	char tmp[20];
	size_t len = 0;
	do
		tmp[len++] = (char)('0' + n % 10);
	while ((n /= 10));
	for (size_t i = 0; i < len; i++)
		out[i] = tmp[len - 1 - i];
	return len;
}

/* v as exactly width digits (v < 10^width). */
static void put_digits(char *out, unsigned long v, int width)
{
	for (int i = width - 1; i >= 0; i--, v /= 10)
		out[i] = (char)('0' + v % 10);
}

/* "2026-12-07T20:39:05.123Z" for t (UTC), without gmtime/strftime: the journal file's
 * writer formats one per request, and the C library's way was a tenth of its time. */
static size_t put_utc_time(char *out, const struct timespec *t)
{
	int64_t sec = t->tv_sec, days = sec >= 0 ? sec / 86400 : -((-sec + 86399) / 86400);
	int64_t rem = sec - days * 86400, y;
	unsigned m, d;
	tz_civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		y = y < 0 ? 0 : 9999;
	put_digits(out, (unsigned long)y, 4);
	out[4] = '-';
	put_digits(out + 5, m, 2);
	out[7] = '-';
	put_digits(out + 8, d, 2);
	out[10] = 'T';
	put_digits(out + 11, (unsigned long)(rem / 3600), 2);
	out[13] = ':';
	put_digits(out + 14, (unsigned long)(rem / 60 % 60), 2);
	out[16] = ':';
	put_digits(out + 17, (unsigned long)(rem % 60), 2);
	out[19] = '.';
	put_digits(out + 20, (unsigned long)(t->tv_nsec / 1000000) % 1000, 3);
	out[23] = 'Z';
	return 24;
}

void journal_entry_json(const struct journal_entry *e, struct strbuf *out)
{
	char num[64];
	strbuf_adds(out, "{\"seq\":");
	strbuf_add(out, num, put_uint(num, (unsigned long long)e->seq));
	strbuf_adds(out, ",\"time\":\"");
	strbuf_add(out, num, put_utc_time(num, &e->time));
	strbuf_adds(out, "\",\"method\":");
	add_text(out, e->method, strlen(e->method));
	strbuf_adds(out, ",\"path\":");
	add_text(out, e->path, strlen(e->path));
	strbuf_adds(out, ",\"query\":");
	add_pairs(out, e->query, e->nquery, false);
	strbuf_adds(out, ",\"headers\":");
	add_pairs(out, e->headers, e->nheaders, true);
	if (utf8_valid(e->body, e->body_len)) {
		strbuf_adds(out, ",\"body\":");
		strbuf_add_json_string(out, e->body, e->body_len);
	} else {
		strbuf_adds(out, ",\"body_base64\":");
		add_base64(out, e->body, e->body_len);
	}
	strbuf_adds(out, ",\"stub\":");
	if (e->stub)
		add_text(out, e->stub, strlen(e->stub));
	else
		strbuf_adds(out, "null");
	if (e->note) {
		strbuf_adds(out, ",\"note\":");
		add_text(out, e->note, strlen(e->note));
	}
	strbuf_adds(out, ",\"status\":");
	strbuf_add(out, num, put_uint(num, (unsigned long long)(e->status >= 0 ? e->status : 0)));
	/* milliseconds with up to three decimals, trailing zeros dropped: 0.08, 12, 1.5 */
	strbuf_adds(out, ",\"duration_ms\":");
	double d = e->duration_ms >= 0 && e->duration_ms < 1e15 ? e->duration_ms : 0;
	unsigned long long us = (unsigned long long)llround(d * 1000);
	size_t len = put_uint(num, us / 1000);
	unsigned frac = (unsigned)(us % 1000);
	if (frac) {
		num[len++] = '.';
		put_digits(num + len, frac, 3);
		len += 3;
		while (num[len - 1] == '0')
			len--;
	}
	strbuf_add(out, num, len);
	strbuf_addc(out, '}');
}

/* ---- the ring ---- */

struct journal *journal_create(size_t limit)
{
	struct journal *j = xcalloc(1, sizeof(*j));
	pthread_mutex_init(&j->lock, NULL);
	/* the writer's batch window is measured on the monotonic clock */
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&j->wake, &attr);
	pthread_condattr_destroy(&attr);
	pthread_cond_init(&j->idle, NULL);
	j->limit = limit;
	j->log_fd = -1;
	return j;
}

/* Makes room for one more entry below the limit: the ring grows by doubling so that a
 * large --journal-limit costs memory only once it is used. Under the lock. */
static void grow(struct journal *j)
{
	size_t cap = j->cap ? j->cap * 2 : 64;
	if (cap > j->limit)
		cap = j->limit;
	struct journal_entry **ring = xmalloc(cap * sizeof(*ring));
	for (size_t i = 0; i < j->n; i++)
		ring[i] = j->ring[(j->head + i) % j->cap];
	free(j->ring);
	j->ring = ring;
	j->cap = cap;
	j->head = 0;
}

/* Takes w out of the watch list and clears its links. Under j->lock. */
static void watch_unlink(struct journal *j, struct journal_watch *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		j->watches = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
	w->linked = false;
}

uint64_t journal_append(struct journal *j, struct journal_entry *e)
{
	struct journal_entry *evicted = NULL;
	struct journal_watch *fired = NULL;
	pthread_mutex_lock(&j->lock);
	uint64_t seq = e->seq = ++j->next_seq;
	if (j->file) {
		journal_entry_ref(e);
		e->file_next = NULL;
		if (j->qtail)
			j->qtail->file_next = e;
		else
			j->qhead = e;
		j->qtail = e;
		/* the writer waits for the first entry, then a moment for more; waking it
		 * for each one was a futex call and a context switch per request, a quarter
		 * of a busy server's time */
		if (++j->qlen == 1 ? j->idle_wait : j->qlen == JOURNAL_FILE_BATCH)
			pthread_cond_signal(&j->wake);
	}
	for (struct journal_watch *w = j->watches, *next; w; w = next) {
		next = w->next;
		if (!w->on_entry(w, e))
			continue;
		/* done: unlink it, and chain it through prev (unused once unlinked) to fire later */
		watch_unlink(j, w);
		w->prev = fired;
		fired = w;
	}
	if (j->limit == 0) {
		evicted = e;
	} else if (j->n == j->limit) {
		evicted = j->ring[j->head];
		j->ring[j->head] = e;
		j->head = (j->head + 1) % j->cap;
		j->evicted++;
		j->evicted_total++;
	} else {
		if (j->n == j->cap)
			grow(j);
		j->ring[(j->head + j->n) % j->cap] = e;
		j->n++;
	}
	pthread_mutex_unlock(&j->lock);
	journal_entry_unref(evicted);
	while (fired) {
		struct journal_watch *w = fired;
		fired = w->prev;
		w->prev = NULL;
		w->fire(w);
	}
	return seq;
}

void journal_clear(struct journal *j)
{
	pthread_mutex_lock(&j->lock);
	struct journal_entry **ring = j->ring;
	size_t cap = j->cap, head = j->head, n = j->n;
	j->ring = NULL;
	j->cap = j->head = j->n = 0;
	j->evicted = 0;
	pthread_mutex_unlock(&j->lock);
	for (size_t i = 0; i < n; i++)
		journal_entry_unref(ring[(head + i) % cap]);
	free(ring);
}

/* The ring position of the first entry with seq > since: entries are in seq order. */
static size_t first_after(const struct journal *j, uint64_t since)
{
	size_t lo = 0, hi = j->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (j->ring[(j->head + mid) % j->cap]->seq <= since)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Under the lock. */
static void snapshot_locked(struct journal *j, uint64_t since, struct journal_snapshot *out)
{
	size_t from = since ? first_after(j, since) : 0;
	out->n = j->n - from;
	out->v = xmalloc((out->n ? out->n : 1) * sizeof(*out->v));
	for (size_t i = 0; i < out->n; i++)
		out->v[i] = journal_entry_ref(j->ring[(j->head + from + i) % j->cap]);
	out->evicted = j->evicted;
	out->last_seq = j->next_seq;
}

void journal_snapshot(struct journal *j, uint64_t since, struct journal_snapshot *out)
{
	pthread_mutex_lock(&j->lock);
	snapshot_locked(j, since, out);
	pthread_mutex_unlock(&j->lock);
}

void journal_snapshot_release(struct journal_snapshot *s)
{
	for (size_t i = 0; i < s->n; i++)
		journal_entry_unref(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

void journal_stats(struct journal *j, struct journal_stats *out)
{
	pthread_mutex_lock(&j->lock);
	out->entries = j->n;
	out->limit = j->limit;
	out->evicted = j->evicted;
	out->evicted_total = j->evicted_total;
	out->appended_total = j->next_seq;
	pthread_mutex_unlock(&j->lock);
}

/* ---- watches ---- */

void journal_watch_add(struct journal *j, struct journal_watch *w, struct journal_snapshot *snap)
{
	pthread_mutex_lock(&j->lock);
	snapshot_locked(j, 0, snap);
	w->prev = NULL;
	w->next = j->watches;
	if (j->watches)
		j->watches->prev = w;
	j->watches = w;
	w->linked = true;
	pthread_mutex_unlock(&j->lock);
}

bool journal_watch_remove(struct journal *j, struct journal_watch *w)
{
	pthread_mutex_lock(&j->lock);
	bool was = w->linked;
	if (was) {
		watch_unlink(j, w);
	}
	pthread_mutex_unlock(&j->lock);
	return was;
}

/* ---- the NDJSON file ---- */

static void report_write_error(struct journal *j, int err)
{
	if (j->write_failed || j->log_fd < 0)
		return;
	j->write_failed = true;
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "cannery: cannot write the journal file: %s\n", strerror(err));
	ssize_t w = write(j->log_fd, sb.buf, sb.len);
	(void)w;
	strbuf_release(&sb);
}

/* The writer thread: takes the whole queue under the lock, writes it outside. Once an
 * entry is there it waits up to JOURNAL_FILE_WINDOW_MS for more (or for a batch's worth,
 * a sync or the stop), so that a busy server wakes it a few hundred times a second
 * rather than once per request. */
static void *writer_run(void *arg)
{
	struct journal *j = arg;
	struct strbuf line = STRBUF_INIT;
	pthread_mutex_lock(&j->lock);
	for (;;) {
		while (!j->qhead && !j->stop) {
			j->idle_wait = true;
			pthread_cond_wait(&j->wake, &j->lock);
			j->idle_wait = false;
		}
		if (!j->qhead)
			break;
		if (j->qlen < JOURNAL_FILE_BATCH && !j->stop && !j->syncing) {
			struct timespec until;
			clock_gettime(CLOCK_MONOTONIC, &until);
			until.tv_nsec += JOURNAL_FILE_WINDOW_MS * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			while (j->qlen < JOURNAL_FILE_BATCH && !j->stop && !j->syncing &&
			       pthread_cond_timedwait(&j->wake, &j->lock, &until) == 0)
				;
		}
		struct journal_entry *batch = j->qhead;
		j->qhead = j->qtail = NULL;
		j->qlen = 0;
		j->writing = true;
		pthread_mutex_unlock(&j->lock);
		while (batch) {
			struct journal_entry *e = batch;
			batch = e->file_next;
			strbuf_reset(&line);
			journal_entry_json(e, &line);
			strbuf_addc(&line, '\n');
			if (fwrite(line.buf, 1, line.len, j->file) != line.len)
				report_write_error(j, errno);
			journal_entry_unref(e);
		}
		if (fflush(j->file) != 0)
			report_write_error(j, errno);
		pthread_mutex_lock(&j->lock);
		j->writing = false;
		pthread_cond_broadcast(&j->idle);
	}
	pthread_mutex_unlock(&j->lock);
	strbuf_release(&line);
	return NULL;
}

int journal_open_file(struct journal *j, const char *path, int log_fd, char **error)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	FILE *f = fd >= 0 ? fdopen(fd, "a") : NULL;
	if (!f) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		struct strbuf sb = STRBUF_INIT;
		strbuf_addf(&sb, "cannot open the journal file '%s': %s", path, strerror(err));
		*error = strbuf_detach(&sb, NULL);
		return -err;
	}
	/* a batch goes out in a few large writes rather than one per 4 KiB */
	setvbuf(f, NULL, _IOFBF, 64 * 1024);
	j->file = f;
	j->log_fd = log_fd;
	int rc = pthread_create(&j->writer, NULL, writer_run, j);
	if (rc != 0) {
		fclose(f);
		j->file = NULL;
		struct strbuf sb = STRBUF_INIT;
		strbuf_addf(&sb, "cannot start the journal file writer: %s", strerror(rc));
		*error = strbuf_detach(&sb, NULL);
		return -rc;
	}
	return 0;
}

void journal_sync(struct journal *j)
{
	pthread_mutex_lock(&j->lock);
	j->syncing++;
	pthread_cond_signal(&j->wake);   /* no batch window: write what is queued now */
	while (j->file && (j->qhead || j->writing))
		pthread_cond_wait(&j->idle, &j->lock);
	j->syncing--;
	pthread_mutex_unlock(&j->lock);
}

void journal_destroy(struct journal *j)
{
	if (!j)
		return;
	if (j->file) {
		pthread_mutex_lock(&j->lock);
		j->stop = true;
		pthread_cond_signal(&j->wake);
		pthread_mutex_unlock(&j->lock);
		/* the writer drains the queue before it sees stop */
		pthread_join(j->writer, NULL);
		fclose(j->file);
	}
	for (size_t i = 0; i < j->n; i++)
		journal_entry_unref(j->ring[(j->head + i) % j->cap]);
	free(j->ring);
	pthread_cond_destroy(&j->wake);
	pthread_cond_destroy(&j->idle);
	pthread_mutex_destroy(&j->lock);
	free(j);
}
