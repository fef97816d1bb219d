/* SPDX-License-Identifier: MIT */
/* Unit tests for metrics.c: the Prometheus text for no requests, counts by status and by
 * whether a stub matched, statuses out of range, stub hits sorted and escaped, a stub map
 * that grows, the gauges passed in, and counting from several threads at once. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "testutil.h"
#include "util/strbuf.h"

static char *render(struct metrics *m, const struct metrics_extra *x)
{
	static const struct metrics_extra none = { 0 };
	struct strbuf sb = STRBUF_INIT;
	metrics_render(m, x ? x : &none, &sb);
	return strbuf_detach(&sb, NULL);
}

/* The lines of text that start with prefix, joined with newlines. */
static char *lines_starting(const char *text, const char *prefix)
{
	struct strbuf sb = STRBUF_INIT;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p + 1) : strlen(p);
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			strbuf_add(&sb, p, len);
		p += len;
	}
	return strbuf_detach(&sb, NULL);
}

Test(metrics, nothing_counted)
{
	struct metrics *m = metrics_create();
	char *got = render(m, NULL);
	cr_expect_str_eq(got,
			 "# HELP cannery_requests_total Requests answered outside the admin API, by status and whether a stub matched.\n"
			 "# TYPE cannery_requests_total counter\n"
			 "# HELP cannery_stub_hits_total Requests answered by each stub.\n"
			 "# TYPE cannery_stub_hits_total counter\n"
			 "# HELP cannery_journal_entries Requests kept in the journal now.\n"
			 "# TYPE cannery_journal_entries gauge\n"
			 "cannery_journal_entries 0\n"
			 "# HELP cannery_journal_evicted_total Journal entries evicted because the ring was full.\n"
			 "# TYPE cannery_journal_evicted_total counter\n"
			 "cannery_journal_evicted_total 0\n"
			 "# HELP cannery_reloads_total Successful reloads of the stub files.\n"
			 "# TYPE cannery_reloads_total counter\n"
			 "cannery_reloads_total 0\n"
			 "# HELP cannery_reload_errors_total Reloads refused because a stub file was invalid.\n"
			 "# TYPE cannery_reload_errors_total counter\n"
			 "cannery_reload_errors_total 0\n"
			 "# HELP cannery_reloads_torn_total Reloads not published because a stub file was being written while it was read.\n"
			 "# TYPE cannery_reloads_torn_total counter\n"
			 "cannery_reloads_torn_total 0\n"
			 "# HELP cannery_stubs Stubs served now (file and runtime).\n"
			 "# TYPE cannery_stubs gauge\n"
			 "cannery_stubs 0\n"
			 "# HELP cannery_connections Client connections open now.\n"
			 "# TYPE cannery_connections gauge\n"
			 "cannery_connections 0\n"
			 "# HELP cannery_connections_idle Of those, idle between keep-alive requests.\n"
			 "# TYPE cannery_connections_idle gauge\n"
			 "cannery_connections_idle 0\n"
			 "# HELP cannery_connections_closed_total Connections closed by cannery: a request head or body too "
			 "slow, idle too long, or idle while the connection limit needed room.\n"
			 "# TYPE cannery_connections_closed_total counter\n"
			 "cannery_connections_closed_total{reason=\"head_timeout\"} 0\n"
			 "cannery_connections_closed_total{reason=\"slow_body\"} 0\n"
			 "cannery_connections_closed_total{reason=\"idle_timeout\"} 0\n"
			 "cannery_connections_closed_total{reason=\"evicted_idle\"} 0\n");
	free(got);
	metrics_destroy(m);
}

Test(metrics, destroy_null_does_nothing)
{
	metrics_destroy(NULL);
}

Test(metrics, requests_by_status_then_matched_first)
{
	struct metrics *m = metrics_create();
	metrics_count(m, 404, NULL);
	metrics_count(m, 200, "users");
	metrics_count(m, 200, NULL);
	metrics_count(m, 200, "users");
	metrics_count(m, 500, "boom");
	metrics_count(m, 404, NULL);
	char *got = render(m, NULL);
	char *req = lines_starting(got, "cannery_requests_total{");
	cr_expect_str_eq(req, "cannery_requests_total{status=\"200\",matched=\"true\"} 2\n"
			      "cannery_requests_total{status=\"200\",matched=\"false\"} 1\n"
			      "cannery_requests_total{status=\"404\",matched=\"false\"} 2\n"
			      "cannery_requests_total{status=\"500\",matched=\"true\"} 1\n");
	char *hits = lines_starting(got, "cannery_stub_hits_total{");
	cr_expect_str_eq(hits, "cannery_stub_hits_total{stub=\"boom\"} 1\n"
			       "cannery_stub_hits_total{stub=\"users\"} 2\n");
	free(hits);
	free(req);
	free(got);
	metrics_destroy(m);
}

Test(metrics, statuses_out_of_range_count_as_zero)
{
	struct metrics *m = metrics_create();
	metrics_count(m, -1, NULL);
	metrics_count(m, 600, NULL);
	metrics_count(m, 100000, "s");
	metrics_count(m, 0, NULL);
	metrics_count(m, 599, NULL);
	char *got = render(m, NULL);
	char *req = lines_starting(got, "cannery_requests_total{");
	cr_expect_str_eq(req, "cannery_requests_total{status=\"0\",matched=\"true\"} 1\n"
			      "cannery_requests_total{status=\"0\",matched=\"false\"} 3\n"
			      "cannery_requests_total{status=\"599\",matched=\"false\"} 1\n");
	free(req);
	free(got);
	metrics_destroy(m);
}

Test(metrics, counters_survive_renders)
{
	struct metrics *m = metrics_create();
	metrics_count(m, 201, "a");
	free(render(m, NULL));
	metrics_count(m, 201, "a");
	char *got = render(m, NULL);
	cr_expect(strstr(got, "cannery_requests_total{status=\"201\",matched=\"true\"} 2\n") != NULL, "%s", got);
	cr_expect(strstr(got, "cannery_stub_hits_total{stub=\"a\"} 2\n") != NULL, "%s", got);
	free(got);
	metrics_destroy(m);
}

Test(metrics, stub_labels_are_escaped)
{
	struct metrics *m = metrics_create();
	metrics_count(m, 200, "say \"hi\"");
	metrics_count(m, 200, "back\\slash");
	metrics_count(m, 200, "two\nlines");
	char *got = render(m, NULL);
	char *hits = lines_starting(got, "cannery_stub_hits_total{");
	cr_expect_str_eq(hits, "cannery_stub_hits_total{stub=\"back\\\\slash\"} 1\n"
			       "cannery_stub_hits_total{stub=\"say \\\"hi\\\"\"} 1\n"
			       "cannery_stub_hits_total{stub=\"two\\nlines\"} 1\n");
	free(hits);
	free(got);
	metrics_destroy(m);
}

Test(metrics, many_stubs_keep_their_own_counts)
{
	enum { N = 1000 };
	struct metrics *m = metrics_create();
	char id[32];
	/* stub i is counted i % 5 + 1 times, interleaved so that the map grows between counts */
	for (int round = 0; round < 5; round++)
		for (int i = 0; i < N; i++)
			if (round <= i % 5) {
				snprintf(id, sizeof(id), "stub-%04d", i);
				metrics_count(m, 200, id);
			}
	char *got = render(m, NULL);
	char *hits = lines_starting(got, "cannery_stub_hits_total{");
	cr_expect_eq(count_substr(hits, "\n"), N);
	unsigned long total = 0;
	int prev = -1;
	for (const char *p = hits; *p; p = strchr(p, '\n') + 1) {
		int i;
		unsigned long n;
		cr_assert_eq(sscanf(p, "cannery_stub_hits_total{stub=\"stub-%d\"} %lu", &i, &n), 2, "%.60s", p);
		cr_expect_gt(i, prev, "sorted by stub id");
		cr_expect_eq(n, (unsigned long)(i % 5 + 1), "stub-%04d", i);
		prev = i;
		total += n;
	}
	cr_expect_eq(total, 3000);
	cr_expect(strstr(got, "cannery_requests_total{status=\"200\",matched=\"true\"} 3000\n") != NULL, "%s", got);
	free(hits);
	free(got);
	metrics_destroy(m);
}

Test(metrics, extras_are_rendered)
{
	struct metrics *m = metrics_create();
	struct metrics_extra x = { .journal_entries = 7,
				   .journal_evicted_total = 18446744073709551615ULL,
				   .reloads_total = 3,
				   .reload_errors_total = 1,
				   .reloads_torn_total = 5,
				   .stubs = 42,
				   .conns = { .open = 9, .idle = 4, .head_timeouts = 3, .slow_bodies = 2, .idle_timeouts = 6,
					      .evicted_idle = 1 } };
	char *got = render(m, &x);
	char *g = lines_starting(got, "cannery_");
	cr_expect_str_eq(g, "cannery_journal_entries 7\n"
			    "cannery_journal_evicted_total 18446744073709551615\n"
			    "cannery_reloads_total 3\n"
			    "cannery_reload_errors_total 1\n"
			    "cannery_reloads_torn_total 5\n"
			    "cannery_stubs 42\n"
			    "cannery_connections 9\n"
			    "cannery_connections_idle 4\n"
			    "cannery_connections_closed_total{reason=\"head_timeout\"} 3\n"
			    "cannery_connections_closed_total{reason=\"slow_body\"} 2\n"
			    "cannery_connections_closed_total{reason=\"idle_timeout\"} 6\n"
			    "cannery_connections_closed_total{reason=\"evicted_idle\"} 1\n");
	free(g);
	free(got);
	metrics_destroy(m);
}

/* ---- several threads counting at once ---- */

#define THREADS 4
#define PER_THREAD 20000

struct counter_arg {
	struct metrics *m;
	int n;
};

static void *count_many(void *p)
{
	struct counter_arg *a = p;
	static const char *const stubs[] = { "a", "b", NULL };
	for (int i = 0; i < PER_THREAD; i++)
		metrics_count(a->m, 200 + i % 2, stubs[i % 3]);
	return NULL;
}

static void *render_many(void *p)
{
	struct counter_arg *a = p;
	for (int i = 0; i < a->n; i++)
		free(render(a->m, NULL));
	return NULL;
}

Test(metrics, concurrent_counts_add_up)
{
	struct metrics *m = metrics_create();
	pthread_t t[THREADS + 1];
	struct counter_arg arg = { m, 200 };
	for (int i = 0; i < THREADS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, count_many, &arg), 0);
	/* and rendering while they count */
	cr_assert_eq(pthread_create(&t[THREADS], NULL, render_many, &arg), 0);
	for (int i = 0; i <= THREADS; i++)
		pthread_join(t[i], NULL);
	/* per thread, i in 0..PER_THREAD-1: status 200 + i%2, stub i%3 (2: none) */
	unsigned long want[2][2] = { { 0 } }, hits[2] = { 0 };
	for (int i = 0; i < PER_THREAD; i++) {
		want[i % 2][i % 3 != 2]++;
		if (i % 3 != 2)
			hits[i % 3]++;
	}
	char *got = render(m, NULL);
	char line[128];
	for (int s = 0; s < 2; s++)
		for (int matched = 0; matched < 2; matched++) {
			snprintf(line, sizeof(line), "cannery_requests_total{status=\"%d\",matched=\"%s\"} %lu\n",
				 200 + s, matched ? "true" : "false", want[s][matched] * THREADS);
			cr_expect(strstr(got, line) != NULL, "missing %s in\n%s", line, got);
		}
	for (int k = 0; k < 2; k++) {
		snprintf(line, sizeof(line), "cannery_stub_hits_total{stub=\"%c\"} %lu\n", 'a' + k, hits[k] * THREADS);
		cr_expect(strstr(got, line) != NULL, "missing %s in\n%s", line, got);
	}
	free(got);
	metrics_destroy(m);
}
