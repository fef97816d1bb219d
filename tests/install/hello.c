/* SPDX-License-Identifier: MIT */
/* Built against an installed cannery (pkg-config --cflags --libs cannery) by
 * check-install.sh: embeds a server, adds a stub, sends it one request over a socket and
 * verifies the journal saw it. Prints "ok" and exits 0 when all of that works. */
#include <cannery/cannery.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int get(unsigned port, const char *path, char *buf, size_t size)
{
	struct sockaddr_in sa;
	char req[256];
	size_t got = 0;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		return -1;
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", path);
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		return -1;
	while (got + 1 < size && (n = read(fd, buf + got, size - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(fd);
	return 0;
}

int main(void)
{
	struct cannery_config cfg;
	struct cannery_server *srv = NULL;
	char *err = NULL, **ids = NULL, resp[4096];
	size_t count = 0;

	cannery_config_init(&cfg);
	cfg.port = 0;
	cfg.ndirs = 0;
	cfg.log = CANNERY_LOG_QUIET;
	if (cannery_server_create(&cfg, &srv, &err) != 0 || cannery_server_start(srv, &err) != 0) {
		fprintf(stderr, "cannot start: %s\n", err ? err : "?");
		return 1;
	}
	if (cannery_server_add_stubs(srv, "request: { path: /hello }\nresponse: { body: hi }\n", &ids, &err) != 0) {
		fprintf(stderr, "cannot add the stub: %s\n", err);
		return 1;
	}
	if (get(cannery_server_port(srv), "/hello", resp, sizeof(resp)) != 0 || !strstr(resp, "\r\n\r\nhi")) {
		fprintf(stderr, "unexpected answer: %s\n", resp);
		return 1;
	}
	if (cannery_server_verify(srv, "path: /hello", 1, 1, &count, &err) != 0) {
		fprintf(stderr, "verify failed: %s\n", err);
		return 1;
	}
	printf("ok (cannery %s, stub %s)\n", cannery_version(), ids[0]);
	cannery_strv_free(ids);
	cannery_server_destroy(srv);
	return 0;
}
