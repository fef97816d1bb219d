/* SPDX-License-Identifier: MIT */
/* The ceiling for bench/run.sh: bare libmicrohttpd serving one persistent response (the
 * same bytes and Content-Type as the cannery stub) to every request, with nothing else
 * on the path. Built by bench/run.sh with cc + pkg-config; not part of the product. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * usage: mhd_baseline BODY_FILE [--threads N] [--memory-limit BYTES] [--turbo]
 * Listens on 127.0.0.1, a free port; prints "mhd_baseline: listening on port N" once
 * ready, then serves until SIGINT or SIGTERM. Defaults: 2 threads, MHD's own memory
 * limit (32 KiB per connection in 0.9.75), no turbo.
 */

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (!buf)
			break;
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap)
			break;
		cap *= 2;
		char *grown = realloc(buf, cap);
		if (!grown) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = grown;
	}
	fclose(f);
	*len = n;
	return buf;
}

static long parse_count(const char *s, long max)
{
	char *end = NULL;
	long v = s ? strtol(s, &end, 10) : -1;
	return s && end != s && *end == '\0' && v > 0 && v <= max ? v : -1;
}

static void usage(void)
{
	fprintf(stderr, "usage: mhd_baseline BODY_FILE [--threads N] [--memory-limit BYTES] [--turbo]\n");
	exit(2);
}

/* Runs on MHD worker threads. The response is queued on the second call: on the first
 * one, MHD 0.9.75 answers `Connection: close` (no keep-alive), which is not a ceiling. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **req_cls)
{
	static int marker;
	struct MHD_Response *response = cls;
	(void)url;
	(void)method;
	(void)version;
	(void)upload_data;
	if (*req_cls != &marker) {
		*req_cls = &marker;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	return MHD_queue_response(c, MHD_HTTP_OK, response);
}

int main(int argc, char **argv)
{
	long threads = 2, memory_limit = 0;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	if (argc < 2)
		usage();
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
			threads = parse_count(argv[++i], 255);
		else if (strcmp(argv[i], "--memory-limit") == 0 && i + 1 < argc)
			memory_limit = parse_count(argv[++i], 1L << 30);
		else if (strcmp(argv[i], "--turbo") == 0)
			flags |= MHD_USE_TURBO;
		else
			usage();
		if (threads < 0 || memory_limit < 0)
			usage();
	}
	size_t len = 0;
	char *body = read_file(argv[1], &len);
	if (!body) {
		fprintf(stderr, "mhd_baseline: cannot read %s: %s\n", argv[1], strerror(errno));
		return 1;
	}

	/* the signals are waited for below; every MHD thread inherits the mask */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct MHD_Response *response = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_PERSISTENT);
	if (!response)
		return 1;
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");

	struct sockaddr_in addr;
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = 0;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct MHD_Daemon *d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, response,
						MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
						MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
						MHD_OPTION_CONNECTION_LIMIT, 1024u,
						MHD_OPTION_CONNECTION_TIMEOUT, 30u,
						/* 0 ends the list here: MHD's default limit */
						memory_limit ? MHD_OPTION_CONNECTION_MEMORY_LIMIT : MHD_OPTION_END,
						(size_t)memory_limit,
						MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "mhd_baseline: MHD_start_daemon failed\n");
		return 1;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	printf("mhd_baseline: listening on port %u\n", info ? (unsigned)info->port : 0u);
	fflush(stdout);

	int sig = 0;
	while (sigwait(&set, &sig) != 0)
		;
	MHD_stop_daemon(d);
	MHD_destroy_response(response);
	free(body);
	return 0;
}
