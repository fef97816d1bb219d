/* SPDX-License-Identifier: MIT */
/* proxy (src/proxy.c; test_proxy is the integration test): URL checks, the hop-by-hop rule, and the thread's contract with its callers:
 * exactly one callback per exchange, failures as 502/503/504 with the upstream named,
 * and a stop that ends every exchange still in flight. No HTTP server here: the
 * "upstreams" are a closed port and a socket that accepts but never answers. */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "proxy.h"

TestSuite(proxy_core, .timeout = 60);

Test(proxy_core, url_checks)
{
	static const char *const good[] = {
		"http://127.0.0.1:8080", "https://api.example.com", "http://localhost/base/", "http://[::1]:9/x",
	};
	static const struct {
		const char *url, *why;
	} bad[] = {
		{ "ftp://example.com", "only http and https" },
		{ "file:///etc/passwd", "only http and https" },
		{ "http://example.com/?q=1", "query or fragment" },
		{ "http://example.com/#top", "query or fragment" },
		{ "not a url", "invalid upstream URL" },
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		char *error = NULL;
		cr_expect_eq(proxy_check_url(good[i], &error), 0, "%s: %s", good[i], error ? error : "");
		free(error);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		char *error = NULL;
		cr_expect_lt(proxy_check_url(bad[i].url, &error), 0, "%s accepted", bad[i].url);
		cr_expect(error && strstr(error, bad[i].why), "%s: %s", bad[i].url, error ? error : "(none)");
		free(error);
	}
}

Test(proxy_core, hop_by_hop)
{
	static const char *const hop[] = {
		"Connection", "keep-alive", "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Proxy-Authorization",
		"proxy-connection",
	};
	for (size_t i = 0; i < sizeof(hop) / sizeof(*hop); i++)
		cr_expect(proxy_hop_by_hop(hop[i], NULL), "%s", hop[i]);
	cr_expect(!proxy_hop_by_hop("Authorization", NULL));
	cr_expect(!proxy_hop_by_hop("Content-Type", "close"));
	cr_expect(proxy_hop_by_hop("X-Private", "close, x-private"));
	cr_expect(proxy_hop_by_hop("x-b", " x-a ,X-B"));
	cr_expect(!proxy_hop_by_hop("X-Private-2", "x-private"));
}

struct done {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int calls;
	int status;
	char error[512];
};

static void on_done(struct proxy_exchange *ex, void *arg)
{
	struct done *d = arg;
	struct proxy_result *res = proxy_exchange_result(ex);
	pthread_mutex_lock(&d->lock);
	d->calls++;
	d->status = res->status;
	snprintf(d->error, sizeof(d->error), "%s", res->failed && res->error ? res->error : "");
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

static void init_done(struct done *d)
{
	memset(d, 0, sizeof(*d));
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
}

static bool wait_done(struct done *d, int calls)
{
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 20;
	pthread_mutex_lock(&d->lock);
	while (d->calls < calls)
		if (pthread_cond_timedwait(&d->cond, &d->lock, &deadline) != 0)
			break;
	bool ok = d->calls >= calls;
	pthread_mutex_unlock(&d->lock);
	return ok;
}

/* A listening socket that is never accepted from: connections complete, nothing answers. */
static int silent_port(int *fd)
{
	struct sockaddr_in a = { 0 };
	socklen_t alen = sizeof(a);
	*fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert(*fd >= 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(bind(*fd, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(*fd, 16) == 0);
	getsockname(*fd, (struct sockaddr *)&a, &alen);
	return ntohs(a.sin_port);
}

static int closed_port(void)
{
	int fd;
	int port = silent_port(&fd);
	close(fd);
	return port;
}

static struct proxy *start(const char *url, long timeout_ms)
{
	struct proxy *p = NULL;
	char *error = NULL;
	cr_assert_eq(proxy_create(url, timeout_ms, 0, &p, &error), 0, "%s", error ? error : "");
	return p;
}

Test(proxy_core, unreachable_upstream_is_502_naming_it)
{
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", closed_port());
	struct proxy *p = start(url, 0);
	cr_expect(strchr(url, '/') && proxy_upstream(p)[strlen(proxy_upstream(p)) - 1] != '/', "trailing slash kept");
	struct done d;
	init_done(&d);
	struct proxy_exchange *ex = proxy_exchange_create(p, "GET", "/x", NULL, 0, false);
	proxy_submit(p, ex, on_done, &d);
	cr_assert(wait_done(&d, 1));
	cr_expect_eq(d.status, 502);
	url[strlen(url) - 1] = '\0';
	char want[128];
	snprintf(want, sizeof(want), "upstream %s unreachable: ", url);
	cr_expect(strstr(d.error, want), "%s", d.error);
	proxy_exchange_destroy(ex);
	proxy_destroy(p);
	cr_expect_eq(d.calls, 1);
}

Test(proxy_core, an_exchange_may_name_its_own_upstream)
{
	/* a proxy without an upstream of its own: every exchange names one (proxyBaseUrl) */
	struct proxy *p = NULL;
	char *error = NULL;
	cr_assert_eq(proxy_create(NULL, 0, 0, &p, &error), 0, "%s", error ? error : "");
	cr_expect_str_eq(proxy_upstream(p), "");
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/base/", closed_port());
	struct done d;
	init_done(&d);
	struct proxy_exchange *ex = proxy_exchange_create_to(p, url, "GET", "/x?y=1", NULL, 0, false);
	url[strlen(url) - 1] = '\0';
	cr_expect_str_eq(proxy_exchange_upstream(ex), url, "without its trailing slash");
	proxy_submit(p, ex, on_done, &d);
	cr_assert(wait_done(&d, 1));
	cr_expect_eq(d.status, 502);
	char want[128];
	snprintf(want, sizeof(want), "upstream %s unreachable: ", url);
	cr_expect(strstr(d.error, want), "the exchange's upstream is named: %s", d.error);
	proxy_exchange_destroy(ex);
	proxy_destroy(p);
}

Test(proxy_core, a_silent_upstream_times_out_as_504)
{
	int fd;
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", silent_port(&fd));
	struct proxy *p = start(url, 200);
	struct done d;
	init_done(&d);
	struct proxy_exchange *ex = proxy_exchange_create(p, "POST", "/slow", "{}", 2, true);
	proxy_exchange_add_header(ex, "Content-Type", "application/json");
	proxy_submit(p, ex, on_done, &d);
	cr_assert(wait_done(&d, 1));
	cr_expect_eq(d.status, 504);
	cr_expect(strstr(d.error, "timed out after 200 ms"), "%s", d.error);
	proxy_exchange_destroy(ex);
	proxy_destroy(p);
	close(fd);
}

Test(proxy_core, stop_ends_exchanges_in_flight_and_refuses_new_ones)
{
	int fd;
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", silent_port(&fd));
	struct proxy *p = start(url, 60000);
	struct done d;
	init_done(&d);
	struct proxy_exchange *ex[3];
	for (int i = 0; i < 3; i++) {
		ex[i] = proxy_exchange_create(p, "GET", "/hang", NULL, 0, false);
		proxy_submit(p, ex[i], on_done, &d);
	}
	proxy_stop(p);
	/* every callback has run by the time stop returns */
	cr_expect_eq(d.calls, 3);
	cr_expect_eq(d.status, 503);
	cr_expect(strstr(d.error, "shutting down"), "%s", d.error);
	struct proxy_exchange *late = proxy_exchange_create(p, "GET", "/late", NULL, 0, false);
	proxy_submit(p, late, on_done, &d);
	cr_expect_eq(d.calls, 4, "a submission after stop is answered at once");
	cr_expect_eq(d.status, 503);
	proxy_stop(p);
	proxy_destroy(p);
	for (int i = 0; i < 3; i++)
		proxy_exchange_destroy(ex[i]);
	proxy_exchange_destroy(late);
	close(fd);
}
