/* SPDX-License-Identifier: MIT */
/* The test upstream: an accept thread, one thread per connection, fixed routes. */
#include "upstream.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

/* gzip (RFC 1952) of UP_GZIP_JSON and zlib (RFC 1950, HTTP's "deflate") of
 * UP_DEFLATE_TEXT, precomputed so that the tests need no zlib */
static const unsigned char gzip_body[] = {
	0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xab, 0x56, 0x4a, 0xce, 0xcf, 0x2d,
	0x28, 0x4a, 0x2d, 0x2e, 0x4e, 0x4d, 0x51, 0xb2, 0x2a, 0x29, 0x2a, 0x4d, 0xd5, 0x51, 0xca, 0x2c,
	0x49, 0xcd, 0x2d, 0x56, 0xb2, 0x8a, 0x36, 0xd4, 0x31, 0xd2, 0x31, 0x8e, 0xad, 0x05, 0x00, 0xb9,
	0x63, 0x74, 0x4e, 0x23, 0x00, 0x00, 0x00,
};
static const unsigned char deflate_body[] = {
	0x78, 0x9c, 0x4b, 0x49, 0x4d, 0xcb, 0x49, 0x2c, 0x49, 0x4d, 0x51, 0x28, 0x49, 0xad, 0x28, 0xd1,
	0x51, 0x28, 0x29, 0xcf, 0x4c, 0x4e, 0x55, 0x48, 0x41, 0x16, 0xe4, 0x02, 0x00, 0xeb, 0x73, 0x0c,
	0xcf,
};

#define MAX_CONNS 256
#define MAX_UPSTREAMS 8

struct upstream {
	int fd;
	int port;
	char url[64];
	pthread_t accept_thread;
	bool stopped;

	pthread_mutex_t lock;        /* guards everything below */
	pthread_cond_t cond;
	bool stopping;
	bool released;
	size_t held;
	size_t count;
	unsigned counter;
	pthread_t conns[MAX_CONNS];
	size_t nconns;
};

static struct upstream *all[MAX_UPSTREAMS];
static size_t nall;

static unsigned char binary[UP_BINARY_LEN];

const unsigned char *up_binary(void)
{
	for (size_t i = 0; i < sizeof(binary); i++)
		binary[i] = (unsigned char)(i == 0 ? 0x89 : (i * 37 + 11) & 0xff);
	binary[5] = 0;
	binary[6] = 0xff;
	return binary;
}

struct buf {
	char *data;
	size_t len, alloc;
};

static void add(struct buf *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->alloc) {
		while (b->len + len + 1 > b->alloc)
			b->alloc = b->alloc ? b->alloc * 2 : 1024;
		b->data = realloc(b->data, b->alloc);
		if (!b->data)
			abort();
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

static void adds(struct buf *b, const char *s)
{
	add(b, s, strlen(s));
}

static void addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void addf(struct buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	add(b, tmp, n < 0 ? 0 : (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static void add_json_string(struct buf *b, const char *s, size_t len)
{
	adds(b, "\"");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			add(b, e, 2);
		} else if (c < 0x20) {
			addf(b, "\\u%04x", c);
		} else {
			add(b, &s[i], 1);
		}
	}
	adds(b, "\"");
}

static bool send_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		len -= (size_t)w;
	}
	return true;
}

static void respond(int fd, int status, const char *reason, const char *headers, const void *body, size_t len)
{
	struct buf b = { 0 };
	addf(&b, "HTTP/1.1 %d %s\r\n", status, reason);
	adds(&b, headers);
	if (!strstr(headers, "Connection:"))
		adds(&b, "Connection: close\r\n");
	if (status != 204)
		addf(&b, "Content-Length: %zu\r\n", len);
	adds(&b, "\r\n");
	send_all(fd, b.data, b.len);
	if (len)
		send_all(fd, body, len);
	free(b.data);
}

static void respond_str(int fd, int status, const char *reason, const char *headers, const char *body)
{
	respond(fd, status, reason, headers, body, strlen(body));
}

/* Streams 'x' until the peer stops reading (or 512 MiB, as a backstop). */
static void stream(int fd, bool chunked)
{
	static char chunk[65536];
	memset(chunk, 'x', sizeof(chunk));
	for (size_t sent = 0; sent < ((size_t)512 << 20); sent += sizeof(chunk)) {
		if (chunked) {
			char head[32];
			int n = snprintf(head, sizeof(head), "%zx\r\n", sizeof(chunk));
			if (!send_all(fd, head, (size_t)n))
				return;
		}
		if (!send_all(fd, chunk, sizeof(chunk)) || (chunked && !send_all(fd, "\r\n", 2)))
			return;
	}
}

static const char *find_header(const char *head, const char *name, size_t *len)
{
	size_t n = strlen(name);
	for (const char *p = strstr(head, "\r\n"); p && p[2] != '\r'; p = strstr(p + 2, "\r\n")) {
		const char *line = p + 2;
		if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
			const char *v = line + n + 1;
			while (*v == ' ')
				v++;
			*len = (size_t)(strstr(v, "\r\n") - v);
			return v;
		}
	}
	return NULL;
}

static void echo(int fd, const char *head, const char *body, size_t body_len)
{
	struct buf b = { 0 };
	const char *sp1 = strchr(head, ' ');
	const char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	adds(&b, "{\"method\":");
	add_json_string(&b, head, sp1 ? (size_t)(sp1 - head) : 0);
	adds(&b, ",\"target\":");
	add_json_string(&b, sp1 ? sp1 + 1 : "", sp1 && sp2 ? (size_t)(sp2 - sp1 - 1) : 0);
	adds(&b, ",\"headers\":[");
	bool first = true;
	for (const char *p = strstr(head, "\r\n"); p && p[2] != '\r'; p = strstr(p + 2, "\r\n")) {
		const char *line = p + 2, *end = strstr(line, "\r\n"), *colon = memchr(line, ':', (size_t)(end - line));
		if (!colon)
			continue;
		const char *v = colon + 1;
		while (*v == ' ')
			v++;
		adds(&b, first ? "[" : ",[");
		first = false;
		add_json_string(&b, line, (size_t)(colon - line));
		adds(&b, ",");
		add_json_string(&b, v, (size_t)(end - v));
		adds(&b, "]");
	}
	adds(&b, "],\"body\":");
	add_json_string(&b, body, body_len);
	adds(&b, "}");
	respond(fd, 200, "OK", "Content-Type: application/json\r\n", b.data, b.len);
	free(b.data);
}

/* One byte every 50 ms until the peer goes away or the upstream stops. */
static void drip(struct upstream *u, int fd)
{
	for (int i = 0; i < 100000; i++) {
		pthread_mutex_lock(&u->lock);
		bool stopping = u->stopping;
		pthread_mutex_unlock(&u->lock);
		if (stopping || !send_all(fd, "d", 1))
			return;
		struct timespec ts = { 0, 50 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

/* Appends n bits of v to a deflate bit stream, least significant first. */
static void put_bits(unsigned char *out, size_t *bit, unsigned v, int n)
{
	for (int i = 0; i < n; i++, (*bit)++)
		if (v >> i & 1)
			out[*bit / 8] |= (unsigned char)(1u << (*bit % 8));
}

/* A Huffman code goes in most significant bit first. */
static void put_code(unsigned char *out, size_t *bit, unsigned code, int n)
{
	for (int i = n - 1; i >= 0; i--, (*bit)++)
		if (code >> i & 1)
			out[*bit / 8] |= (unsigned char)(1u << (*bit % 8));
}

/* A gzip bomb: 1 MiB of gzip that inflates to about 160 MiB of zeros (one fixed-Huffman
 * block: a literal 0, then 258-byte copies at distance 1, 13 bits each). It never ends:
 * whoever reads it must give up at its own bound. Built once, static. */
static const unsigned char *gzip_bomb(size_t *len)
{
	enum { BOMB = 1 << 20 };
	static unsigned char *out;
	static pthread_mutex_t once = PTHREAD_MUTEX_INITIALIZER;
	static const unsigned char head[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
	pthread_mutex_lock(&once);
	if (!out) {
		unsigned char *b = calloc(1, BOMB);
		size_t bit = sizeof(head) * 8;
		memcpy(b, head, sizeof(head));
		put_bits(b, &bit, 1, 1);                /* BFINAL */
		put_bits(b, &bit, 1, 2);                /* BTYPE 01: fixed Huffman codes */
		put_code(b, &bit, 0x30, 8);             /* literal 0 */
		while (bit + 13 < (size_t)BOMB * 8) {
			put_code(b, &bit, 0xc5, 8);     /* length 258 (symbol 285) */
			put_code(b, &bit, 0, 5);        /* distance 1 */
		}
		out = b;
	}
	pthread_mutex_unlock(&once);
	*len = BOMB - 2;
	return out;
}

struct conn {
	struct upstream *u;
	int fd;
};

static void route(struct upstream *u, int fd, const char *head, const char *body, size_t body_len)
{
	const char *sp = strchr(head, ' ');
	char path[256];
	size_t n = 0;
	for (const char *p = sp ? sp + 1 : ""; *p && *p != ' ' && *p != '?' && n + 1 < sizeof(path); p++)
		path[n++] = *p;
	path[n] = '\0';

	if (strcmp(path, "/json") == 0) {
		respond_str(fd, 200, "OK", "Content-Type: application/json; charset=utf-8\r\nX-Upstream: yes\r\n", UP_JSON);
	} else if (strcmp(path, "/text") == 0) {
		respond_str(fd, 200, "OK", "Content-Type: text/plain; charset=utf-8\r\n", UP_TEXT);
	} else if (strcmp(path, "/binary") == 0) {
		respond(fd, 200, "OK", "Content-Type: image/png\r\n", up_binary(), UP_BINARY_LEN);
	} else if (strcmp(path, "/gzip") == 0) {
		respond(fd, 200, "OK", "Content-Type: application/json\r\nContent-Encoding: gzip\r\nVary: Accept-Encoding\r\n",
			gzip_body, sizeof(gzip_body));
	} else if (strcmp(path, "/deflate") == 0) {
		respond(fd, 200, "OK", "Content-Type: text/plain\r\nContent-Encoding: deflate\r\n", deflate_body,
			sizeof(deflate_body));
	} else if (strcmp(path, "/chunked") == 0) {
		static const char msg[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n"
					  "Connection: close\r\n\r\n"
					  "a\r\nchunk one\n\r\na\r\nchunk two\n\r\nc\r\nchunk three\n\r\n0\r\n\r\n";
		send_all(fd, msg, sizeof(msg) - 1);
	} else if (strcmp(path, "/hold") == 0) {
		pthread_mutex_lock(&u->lock);
		u->held++;
		pthread_cond_broadcast(&u->cond);
		while (!u->released && !u->stopping)
			pthread_cond_wait(&u->cond, &u->lock);
		u->held--;
		pthread_mutex_unlock(&u->lock);
		respond_str(fd, 200, "OK", "Content-Type: text/plain\r\n", "released");
	} else if (strcmp(path, "/redirect") == 0) {
		respond_str(fd, 302, "Found", "Location: /json\r\nContent-Type: text/plain\r\n", "moved");
	} else if (strcmp(path, "/missing") == 0) {
		respond_str(fd, 404, "Not Found", "Content-Type: application/json\r\n", "{\"error\":\"not here\"}");
	} else if (strcmp(path, "/error") == 0) {
		respond_str(fd, 500, "Internal Server Error", "Content-Type: text/plain\r\n", "boom");
	} else if (strcmp(path, "/empty") == 0) {
		respond(fd, 204, "No Content", "", "", 0);
	} else if (strcmp(path, "/hop") == 0) {
		respond_str(fd, 200, "OK",
			    "Content-Type: text/plain\r\nConnection: close, X-Hop\r\nX-Hop: secret-hop\r\n"
			    "Keep-Alive: timeout=5\r\nProxy-Thing: p\r\nTrailer: X-Checksum\r\nX-Kept: yes\r\n",
			    "hop");
	} else if (strcmp(path, "/secrets") == 0) {
		respond_str(fd, 200, "OK",
			    "Content-Type: application/json\r\nSet-Cookie: session=abc123; Path=/; HttpOnly\r\n"
			    "Set-Cookie: theme=dark\r\nAuthorization: Bearer upstream-token\r\nX-Api-Key: key-123\r\n",
			    "{\"ok\":true}");
	} else if (strcmp(path, "/counter") == 0) {
		char b[64];
		pthread_mutex_lock(&u->lock);
		unsigned k = ++u->counter;
		pthread_mutex_unlock(&u->lock);
		snprintf(b, sizeof(b), "{\"n\":%u}", k);
		respond_str(fd, 200, "OK", "Content-Type: application/json\r\n", b);
	} else if (strcmp(path, "/huge") == 0) {
		static const char h[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n"
					"Connection: close\r\n\r\n";
		if (send_all(fd, h, sizeof(h) - 1))
			stream(fd, true);
	} else if (strcmp(path, "/huge-cl") == 0) {
		static const char h[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 209715200\r\n"
					"Connection: close\r\n\r\n";
		if (send_all(fd, h, sizeof(h) - 1))
			stream(fd, false);
	} else if (strcmp(path, "/loop") == 0) {
		respond_str(fd, 302, "Found", "Location: /loop\r\nContent-Type: text/plain\r\n", "again");
	} else if (strcmp(path, "/drip") == 0) {
		static const char h[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n"
					"Connection: close\r\n\r\n";
		if (send_all(fd, h, sizeof(h) - 1))
			drip(u, fd);
	} else if (strcmp(path, "/bomb") == 0) {
		static const char h[] = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
					"Content-Encoding: gzip\r\nConnection: close\r\n\r\n";
		size_t len;
		const unsigned char *bomb = gzip_bomb(&len);
		if (send_all(fd, h, sizeof(h) - 1))
			send_all(fd, bomb, len);
	} else {
		echo(fd, head, body, body_len);
	}
}

static void *serve_conn(void *arg)
{
	struct conn *c = arg;
	struct buf in = { 0 };
	char tmp[65536];
	const char *end = NULL;
	/* the head */
	while (!end) {
		ssize_t r = recv(c->fd, tmp, sizeof(tmp), 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			goto out;
		add(&in, tmp, (size_t)r);
		end = strstr(in.data, "\r\n\r\n");
		if (!end && in.len > (1 << 20))
			goto out;
	}
	size_t head_len = (size_t)(end - in.data) + 4;
	size_t body_len = 0, vlen;
	const char *cl = find_header(in.data, "Content-Length", &vlen);
	if (cl)
		body_len = (size_t)strtoull(cl, NULL, 10);
	while (in.len < head_len + body_len) {
		ssize_t r = recv(c->fd, tmp, sizeof(tmp), 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			goto out;
		add(&in, tmp, (size_t)r);
	}
	char *head = strndup(in.data, head_len);
	pthread_mutex_lock(&c->u->lock);
	c->u->count++;
	pthread_mutex_unlock(&c->u->lock);
	route(c->u, c->fd, head, in.data + head_len, body_len);
	free(head);
	/* let the peer read everything before the close */
	shutdown(c->fd, SHUT_WR);
	struct pollfd pfd = { c->fd, POLLIN, 0 };
	for (int i = 0; i < 50 && poll(&pfd, 1, 100) > 0; i++)
		if (recv(c->fd, tmp, sizeof(tmp), 0) <= 0)
			break;
out:
	close(c->fd);
	free(in.data);
	free(c);
	return NULL;
}

static void *accept_loop(void *arg)
{
	struct upstream *u = arg;
	for (;;) {
		int fd = accept(u->fd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return NULL;
		}
		pthread_mutex_lock(&u->lock);
		if (u->stopping || u->nconns == MAX_CONNS) {
			pthread_mutex_unlock(&u->lock);
			close(fd);
			continue;
		}
		struct conn *c = calloc(1, sizeof(*c));
		if (!c)
			abort();
		c->u = u;
		c->fd = fd;
		if (pthread_create(&u->conns[u->nconns], NULL, serve_conn, c) == 0)
			u->nconns++;
		else {
			close(fd);
			free(c);
		}
		pthread_mutex_unlock(&u->lock);
	}
}

struct upstream *up_start(void)
{
	struct upstream *u = calloc(1, sizeof(*u));
	struct sockaddr_in a = { 0 };
	socklen_t alen = sizeof(a);
	int one = 1;

	cr_assert(u && nall < MAX_UPSTREAMS);
	pthread_mutex_init(&u->lock, NULL);
	pthread_cond_init(&u->cond, NULL);
	u->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(u->fd >= 0, "socket: %s", strerror(errno));
	setsockopt(u->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(u->fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(u->fd, 128) != 0)
		cr_assert_fail("upstream bind/listen: %s", strerror(errno));
	getsockname(u->fd, (struct sockaddr *)&a, &alen);
	u->port = ntohs(a.sin_port);
	snprintf(u->url, sizeof(u->url), "http://127.0.0.1:%d", u->port);
	cr_assert(pthread_create(&u->accept_thread, NULL, accept_loop, u) == 0);
	all[nall++] = u;
	return u;
}

void up_stop(struct upstream *u)
{
	if (!u || u->stopped)
		return;
	u->stopped = true;
	pthread_mutex_lock(&u->lock);
	u->stopping = true;
	pthread_cond_broadcast(&u->cond);
	pthread_mutex_unlock(&u->lock);
	/* shutdown wakes the blocked accept; the close makes the port refuse */
	shutdown(u->fd, SHUT_RDWR);
	pthread_join(u->accept_thread, NULL);
	close(u->fd);
	for (size_t i = 0; i < u->nconns; i++)
		pthread_join(u->conns[i], NULL);
}

const char *up_url(const struct upstream *u)
{
	return u->url;
}

int up_port(const struct upstream *u)
{
	return u->port;
}

void up_release(struct upstream *u)
{
	pthread_mutex_lock(&u->lock);
	u->released = true;
	pthread_cond_broadcast(&u->cond);
	pthread_mutex_unlock(&u->lock);
}

size_t up_count(struct upstream *u)
{
	pthread_mutex_lock(&u->lock);
	size_t n = u->count;
	pthread_mutex_unlock(&u->lock);
	return n;
}

bool up_wait_held(struct upstream *u, size_t n, int timeout_ms)
{
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&u->lock);
	while (u->held < n)
		if (pthread_cond_timedwait(&u->cond, &u->lock, &deadline) != 0)
			break;
	bool ok = u->held >= n;
	pthread_mutex_unlock(&u->lock);
	return ok;
}

int up_free_port(void)
{
	struct sockaddr_in a = { 0 };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert(fd >= 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	getsockname(fd, (struct sockaddr *)&a, &alen);
	close(fd);
	return ntohs(a.sin_port);
}

void up_teardown(void)
{
	for (size_t i = 0; i < nall; i++) {
		up_stop(all[i]);
		pthread_mutex_destroy(&all[i]->lock);
		pthread_cond_destroy(&all[i]->cond);
		free(all[i]);
	}
	nall = 0;
}
