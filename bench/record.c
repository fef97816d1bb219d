/* SPDX-License-Identifier: MIT */
/* What recording one request costs: the journal entry (one allocation), the append under
 * the journal's lock (evicting once the ring is full) and the metrics, as server_record
 * does them, timed on 1 and 2 threads. Prints nanoseconds of wall time per record.
 *   meson compile -C build bench/bench_record && build/bench/bench_record [N] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "journal.h"
#include "metrics.h"

struct run {
	struct journal *j;
	struct metrics *m;
	long n;
};

static const struct kv query[] = { { "page", "2", 1 } };
static const struct kv headers[] = {
	{ "Host", "127.0.0.1:62893", 15 },
	{ "User-Agent", "curl/7.88.1", 11 },
	{ "Accept", "application/json", 16 },
};

static void *loop(void *arg)
{
	struct run *r = arg;
	struct journal_draft d = { 0 };
	d.method = "GET";
	d.path = "/api/users/42";
	d.stub = "get-user";
	d.status = 200;
	d.query = query;
	d.nquery = 1;
	d.headers = headers;
	d.nheaders = 3;
	for (long i = 0; i < r->n; i++) {
		clock_gettime(CLOCK_REALTIME, &d.time);
		metrics_count(r->m, d.status, d.stub);
		journal_append(r->j, journal_entry_create(&d));
	}
	return NULL;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 2000000;
	for (int threads = 1; threads <= 2; threads++) {
		struct run r = { journal_create(10000), metrics_create(), n / threads };
		pthread_t t[2];
		double t0 = now();
		for (int i = 0; i < threads; i++)
			pthread_create(&t[i], NULL, loop, &r);
		for (int i = 0; i < threads; i++)
			pthread_join(t[i], NULL);
		double dt = now() - t0;
		printf("%d thread%s: %ld records in %.3f s: %.0f ns per record (%.0f ns of CPU)\n", threads,
		       threads > 1 ? "s" : "", n, dt, dt / (double)n * 1e9, dt * threads / (double)n * 1e9);
		journal_destroy(r.j);
		metrics_destroy(r.m);
	}
	return 0;
}
