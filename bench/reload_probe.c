/* SPDX-License-Identifier: MIT */
/* Benchmark helper for bench/reload.sh (not a test): times POST /__cannery/reload, and
 * the delay from a stub file write to the first request that sees it. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct buf {
	char data[4096];
	size_t len;
};

static size_t on_body(char *p, size_t size, size_t n, void *userp)
{
	struct buf *b = userp;
	size_t len = size * n;
	size_t room = sizeof(b->data) - 1 - b->len;
	memcpy(b->data + b->len, p, len < room ? len : room);
	b->len += len < room ? len : room;
	b->data[b->len] = '\0';
	return len;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *what, double *ms, int n)
{
	qsort(ms, (size_t)n, sizeof(*ms), cmp_double);
	double median = n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
	printf("%s: median %.1f ms, min %.1f ms, max %.1f ms (%d runs)\n", what, median, ms[0], ms[n - 1], n);
}

/* One request on the kept-alive handle; returns the status (0 on a transfer error). */
static long request(CURL *e, const char *url, const char *method, struct buf *b)
{
	b->len = 0;
	b->data[0] = '\0';
	curl_easy_setopt(e, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, 0L);
	} else {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	}
	long status = 0;
	if (curl_easy_perform(e) == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

static int bench_reload(CURL *e, const char *base, int count)
{
	char url[512];
	struct buf b;
	double *ms = calloc((size_t)count, sizeof(*ms));
	snprintf(url, sizeof(url), "%s/__cannery/reload", base);
	for (int i = 0; i < count; i++) {
		double t0 = now_ms();
		long status = request(e, url, "POST", &b);
		ms[i] = now_ms() - t0;
		if (status != 200) {
			fprintf(stderr, "reload_probe: POST %s answered %ld: %s\n", url, status, b.data);
			return 1;
		}
	}
	report("POST /__cannery/reload", ms, count);
	free(ms);
	return 0;
}

static void write_stub(const char *file, int n)
{
	FILE *f = fopen(file, "w");
	if (!f) {
		perror(file);
		exit(1);
	}
	fprintf(f, "name: bench-latency\nrequest: { path: /bench/latency }\nresponse: { body: edit-%d }\n", n);
	fclose(f);
}

static int bench_latency(CURL *e, const char *base, const char *file, int count)
{
	char url[512], want[32];
	struct buf b;
	double *ms = calloc((size_t)count, sizeof(*ms));
	snprintf(url, sizeof(url), "%s/bench/latency", base);
	for (int i = 0; i < count; i++) {
		/* edits a second apart, like saves: each one starts with the server idle */
		if (i) {
			struct timespec pause = { 1, 0 };
			nanosleep(&pause, NULL);
		}
		snprintf(want, sizeof(want), "edit-%d", i + 1);
		double t0 = now_ms();
		write_stub(file, i + 1);
		for (;;) {
			long status = request(e, url, "GET", &b);
			if (status == 200 && strcmp(b.data, want) == 0)
				break;
			if (now_ms() - t0 > 10000) {
				fprintf(stderr, "reload_probe: %s never showed %s (last %ld '%s')\n", url, want, status,
					b.data);
				return 1;
			}
			/* a short pause leaves the CPU to the reload being measured */
			struct timespec ts = { 0, 1000000 };
			nanosleep(&ts, NULL);
		}
		ms[i] = now_ms() - t0;
	}
	report("write to first request that sees it", ms, count);
	free(ms);
	return 0;
}

static int count(const char *s)
{
	long n = strtol(s, NULL, 10);
	return n > 0 && n < 100000 ? (int)n : 1;
}

int main(int argc, char **argv)
{
	if (argc < 4 || (strcmp(argv[1], "latency") == 0 && argc < 5)) {
		fprintf(stderr, "usage: reload_probe reload URL COUNT\n"
				"       reload_probe latency URL STUB_FILE COUNT\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	CURL *e = curl_easy_init();
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 60000L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	int rc;
	if (strcmp(argv[1], "reload") == 0)
		rc = bench_reload(e, argv[2], count(argv[3]));
	else
		rc = bench_latency(e, argv[2], argv[3], count(argv[4]));
	curl_easy_cleanup(e);
	curl_global_cleanup();
	return rc;
}
