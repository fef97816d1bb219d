/* SPDX-License-Identifier: MIT */
/* Request counters by status (lock-free) and by stub id (a small hash map under a lock),
 * rendered as Prometheus text. */
#include "metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define NSTATUS 600

struct hit {
	char *stub;                   /* owned; NULL marks an empty slot */
	uint64_t hash;
	uint64_t count;
};

struct metrics {
	atomic_ulong requests[NSTATUS][2];    /* [status][matched] */
	/* lock guards hits, cap and n */
	pthread_mutex_t lock;
	struct hit *hits;                     /* open addressing, cap a power of two */
	size_t cap, n;
};

struct metrics *metrics_create(void)
{
	struct metrics *m = xcalloc(1, sizeof(*m));
	for (size_t i = 0; i < NSTATUS; i++) {
		atomic_init(&m->requests[i][0], 0);
		atomic_init(&m->requests[i][1], 0);
	}
	pthread_mutex_init(&m->lock, NULL);
	return m;
}

void metrics_destroy(struct metrics *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->cap; i++)
		free(m->hits[i].stub);
	free(m->hits);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/* The slot for stub: its own, or the empty one where it goes. Under the lock. */
static struct hit *slot(struct hit *hits, size_t cap, const char *stub, uint64_t h)
{
	for (size_t i = (size_t)h & (cap - 1);; i = (i + 1) & (cap - 1))
		if (!hits[i].stub || (hits[i].hash == h && strcmp(hits[i].stub, stub) == 0))
			return &hits[i];
}

static void rehash(struct metrics *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	struct hit *hits = xcalloc(cap, sizeof(*hits));
	for (size_t i = 0; i < m->cap; i++)
		if (m->hits[i].stub)
			*slot(hits, cap, m->hits[i].stub, m->hits[i].hash) = m->hits[i];
	free(m->hits);
	m->hits = hits;
	m->cap = cap;
}

void metrics_count(struct metrics *m, int status, const char *stub)
{
	int s = status >= 0 && status < NSTATUS ? status : 0;
	atomic_fetch_add_explicit(&m->requests[s][stub ? 1 : 0], 1, memory_order_relaxed);
	if (!stub)
		return;
	uint64_t h = fnv1a_str(stub);
	pthread_mutex_lock(&m->lock);
	if (2 * (m->n + 1) > m->cap)
		rehash(m);
	struct hit *e = slot(m->hits, m->cap, stub, h);
	if (!e->stub) {
		e->stub = xstrdup(stub);
		e->hash = h;
		m->n++;
	}
	e->count++;
	pthread_mutex_unlock(&m->lock);
}

uint64_t metrics_stub_hits(struct metrics *m, const char *stub)
{
	uint64_t h = fnv1a_str(stub), n = 0;
	pthread_mutex_lock(&m->lock);
	if (m->cap) {
		const struct hit *e = slot(m->hits, m->cap, stub, h);
		n = e->stub ? e->count : 0;
	}
	pthread_mutex_unlock(&m->lock);
	return n;
}

/* A label value: backslash, double quote and newline escaped. */
static void add_label(struct strbuf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			strbuf_addc(out, '\\');
		if (*s == '\n') {
			strbuf_adds(out, "\\n");
			continue;
		}
		strbuf_addc(out, *s);
	}
}

static int cmp_hit(const void *a, const void *b)
{
	return strcmp(((const struct hit *)a)->stub, ((const struct hit *)b)->stub);
}

static void head(struct strbuf *out, const char *name, const char *type, const char *help)
{
	strbuf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void metrics_render(struct metrics *m, const struct metrics_extra *x, struct strbuf *out)
{
	head(out, "cannery_requests_total", "counter",
	     "Requests answered outside the admin API, by status and whether a stub matched.");
	for (int s = 0; s < NSTATUS; s++)
		for (int matched = 1; matched >= 0; matched--) {
			unsigned long n = atomic_load_explicit(&m->requests[s][matched], memory_order_relaxed);
			if (n)
				strbuf_addf(out, "cannery_requests_total{status=\"%d\",matched=\"%s\"} %lu\n", s,
					    matched ? "true" : "false", n);
		}

	/* copy under the lock, sort and print outside it */
	pthread_mutex_lock(&m->lock);
	struct hit *hits = xmalloc((m->n ? m->n : 1) * sizeof(*hits));
	size_t n = 0;
	for (size_t i = 0; i < m->cap; i++)
		if (m->hits[i].stub) {
			hits[n] = m->hits[i];
			hits[n++].stub = xstrdup(m->hits[i].stub);
		}
	pthread_mutex_unlock(&m->lock);
	qsort(hits, n, sizeof(*hits), cmp_hit);
	head(out, "cannery_stub_hits_total", "counter", "Requests answered by each stub.");
	for (size_t i = 0; i < n; i++) {
		strbuf_adds(out, "cannery_stub_hits_total{stub=\"");
		add_label(out, hits[i].stub);
		strbuf_addf(out, "\"} %llu\n", (unsigned long long)hits[i].count);
		free(hits[i].stub);
	}
	free(hits);

	head(out, "cannery_journal_entries", "gauge", "Requests kept in the journal now.");
	strbuf_addf(out, "cannery_journal_entries %zu\n", x->journal_entries);
	head(out, "cannery_journal_evicted_total", "counter", "Journal entries evicted because the ring was full.");
	strbuf_addf(out, "cannery_journal_evicted_total %llu\n", (unsigned long long)x->journal_evicted_total);
	head(out, "cannery_reloads_total", "counter", "Successful reloads of the stub files.");
	strbuf_addf(out, "cannery_reloads_total %llu\n", (unsigned long long)x->reloads_total);
	head(out, "cannery_reload_errors_total", "counter", "Reloads refused because a stub file was invalid.");
	strbuf_addf(out, "cannery_reload_errors_total %llu\n", (unsigned long long)x->reload_errors_total);
	head(out, "cannery_reloads_torn_total", "counter",
	     "Reloads not published because a stub file was being written while it was read.");
	strbuf_addf(out, "cannery_reloads_torn_total %llu\n", (unsigned long long)x->reloads_torn_total);
	head(out, "cannery_stubs", "gauge", "Stubs served now (file and runtime).");
	strbuf_addf(out, "cannery_stubs %zu\n", x->stubs);
	head(out, "cannery_connections", "gauge", "Client connections open now.");
	strbuf_addf(out, "cannery_connections %zu\n", x->conns.open);
	head(out, "cannery_connections_idle", "gauge", "Of those, idle between keep-alive requests.");
	strbuf_addf(out, "cannery_connections_idle %zu\n", x->conns.idle);
	head(out, "cannery_connections_closed_total", "counter",
	     "Connections closed by cannery: a request head or body too slow, idle too long, or idle "
	     "while the connection limit needed room.");
	strbuf_addf(out, "cannery_connections_closed_total{reason=\"head_timeout\"} %llu\n",
		    (unsigned long long)x->conns.head_timeouts);
	strbuf_addf(out, "cannery_connections_closed_total{reason=\"slow_body\"} %llu\n",
		    (unsigned long long)x->conns.slow_bodies);
	strbuf_addf(out, "cannery_connections_closed_total{reason=\"idle_timeout\"} %llu\n",
		    (unsigned long long)x->conns.idle_timeouts);
	strbuf_addf(out, "cannery_connections_closed_total{reason=\"evicted_idle\"} %llu\n",
		    (unsigned long long)x->conns.evicted_idle);
}
