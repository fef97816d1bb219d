/* SPDX-License-Identifier: MIT */
/* Fuzz target: raw bytes from a client into a running in-process server.
 *
 * One server (the rich stub set, a small --max-body, an extra allowed host) starts on a
 * loopback port before the first input. Each input goes out on a new connection,
 * followed by a well-formed `Connection: close` request so that the server usually ends
 * the exchange itself; whatever comes back is read until the server closes, or until it
 * has been quiet for a moment. Every so often (and at exit) a normal request must still
 * be answered: a server that stops serving aborts the run like a crash would. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cannery/cannery.h"
#include "common.h"

/* After the input, so that most exchanges end with the server closing. */
static const char tail[] = "GET /exact HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

/* How long a quiet connection is given before the client gives up on it, and the
 * longest any one exchange may take. */
#define QUIET_MS 30
#define EXCHANGE_MS 1000
/* How long a health check may take: generous, for sanitizers on a busy machine. */
#define HEALTH_MS 10000
#define HEALTH_EVERY 64

static struct cannery_server *srv;
static unsigned port;
static size_t ninputs;
static bool echo;

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int connect_server(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		perror("fuzz_request: socket");
		abort();
	}
	struct sockaddr_in a = { 0 };
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 && errno != EINPROGRESS) {
		perror("fuzz_request: connect");
		abort();
	}
	return fd;
}

/* Closes with a reset: no TIME_WAIT left behind, however many inputs run. */
static void close_reset(int fd)
{
	struct linger lg = { 1, 0 };
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/* Sends a and b, then half-closes, while reading into out (up to cap bytes kept).
 * Returns how many bytes were kept; *closed tells whether the server closed. */
static size_t exchange(int fd, const void *a, size_t alen, const void *b, size_t blen, char *out, size_t cap,
		       int quiet_ms, int total_ms, bool *closed)
{
	const char *parts[2] = { a, b };
	size_t lens[2] = { alen, blen }, part = 0, off = 0, got = 0;
	long long start = now_ms(), last = start;
	bool shut = false;
	*closed = false;
	for (;;) {
		while (part < 2 && off == lens[part]) {
			part++;
			off = 0;
		}
		if (part == 2 && !shut) {
			shutdown(fd, SHUT_WR);
			shut = true;
			last = now_ms();
		}
		long long now = now_ms();
		long long left = start + total_ms - now;
		if (shut && now - last >= quiet_ms)
			left = 0;
		else if (shut && last + quiet_ms - now < left)
			left = last + quiet_ms - now;
		if (left <= 0)
			break;
		struct pollfd p = { fd, POLLIN, 0 };
		if (!shut)
			p.events |= POLLOUT;
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			char buf[16384];
			ssize_t n = recv(fd, buf, sizeof(buf), 0);
			if (n > 0) {
				size_t keep = (size_t)n < cap - got ? (size_t)n : cap - got;
				memcpy(out + got, buf, keep);
				got += keep;
				last = now_ms();
				continue;
			}
			if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
				*closed = true;
				break;
			}
		}
		if (!shut && (p.revents & POLLOUT)) {
			ssize_t n = send(fd, parts[part] + off, lens[part] - off, MSG_NOSIGNAL);
			if (n > 0)
				off += (size_t)n;
			else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				/* the server is done with us: read what it said */
				part = 2;
				off = 0;
			}
		}
	}
	return got;
}

static void health_check(const char *when)
{
	static const char req[] = "GET /__cannery/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
	char out[4096];
	bool closed;
	int fd = connect_server();
	size_t n = exchange(fd, req, sizeof(req) - 1, "", 0, out, sizeof(out) - 1, HEALTH_MS, HEALTH_MS, &closed);
	close_reset(fd);
	out[n] = '\0';
	if (strncmp(out, "HTTP/1.1 200 ", 13) != 0 || !strstr(out, "\"status\":\"ok\"")) {
		fprintf(stderr, "fuzz_request: the server no longer answers %s (input %zu): '%.300s'\n", when,
			ninputs, out);
		abort();
	}
}

/* Runs at exit on the main thread. */
static void stop_server(void)
{
	if (!srv)
		return;
	health_check("at exit");
	cannery_server_destroy(srv);
	srv = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	static const char *allow[] = { "api.test" };
	struct cannery_config cfg;
	cannery_config_init(&cfg);
	cfg.allow_hosts = allow;
	cfg.nallow_hosts = 1;
	cfg.max_body = 4096;
	cfg.threads = 2;
	cfg.idle_timeout_s = 5;
	srv = fuzz_start_rich_server(&cfg, "fuzz_request");
	port = cannery_server_port(srv);
	echo = getenv("FUZZ_ECHO") != NULL;
	atexit(stop_server);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[1 << 16];
	bool closed;
	if (!srv)
		LLVMFuzzerInitialize(NULL, NULL);
	int fd = connect_server();
	size_t n = exchange(fd, data, size, tail, sizeof(tail) - 1, out, sizeof(out), QUIET_MS, EXCHANGE_MS, &closed);
	close_reset(fd);
	/* FUZZ_ECHO=1 shows what the server answered, to see what an input reaches */
	if (echo)
		fprintf(stderr, "%.*s\n[%zu bytes, %s]\n", (int)n, out, n, closed ? "closed by the server" : "quiet");
	if (ninputs++ % HEALTH_EVERY == 0)
		health_check("after an input");
	return 0;
}
