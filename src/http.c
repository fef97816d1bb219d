/* SPDX-License-Identifier: MIT */
/* The HTTP adapter: libmicrohttpd's access handler builds one exchange per request (the
 * request view, its body), hands it to the pipeline, and turns the reply into an
 * MHD_Response (prebuilt once per fixed stub response), a suspension or a reset. */
#include "http.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conns.h"
#include "pipeline.h"
#include "reply.h"
#include "reply_cache.h"
#include "timers.h"
#include "tls.h"
#include "util/clock.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

struct http {
	struct http_config cfg;
	struct MHD_Daemon *daemon;
	int listen_fd;               /* owned until handed to MHD, and again after quiesce */
	atomic_long inflight;        /* requests between the first handler call and completion */
	/* resets answered on purpose whose "internal error" MHD is about to log */
	atomic_long resets;
	struct conns *conns;         /* every connection, its phase and deadline */
};

/* How often the connection registry looks for connections past their deadline. */
#define SWEEP_MS 250

/* One request: the exchange first, so that the pipeline's callbacks find the rest. */
struct req_ctx {
	struct exchange x;
	struct http *h;
	struct MHD_Connection *conn;
	struct conn *link;           /* the connection's entry in the registry */
	bool begun;                  /* pipeline_begin ran */
	bool answered;               /* a response is queued (or the connection reset) */
	struct strbuf body;
	bool overflow;               /* the body grew past --max-body */
	size_t discarded;            /* body bytes dropped after the overflow */
};

/* How far past --max-body an oversized chunked body is read (and dropped) before the
 * connection is closed without an answer. */
#define DISCARD_LIMIT ((size_t)16 << 20)

/*
 * MHD's per-connection memory pool, which holds the request line, the headers and the
 * response header being sent. libmicrohttpd 0.9.75 zeroes the whole pool at the end of
 * every request (and half of it again when the read buffer shrinks), so its size is paid
 * on each request: with the 32 KiB default that memset was ~85% of the instructions of a
 * matched request (callgrind). 16 KiB halves it and still takes about 16 KiB of request
 * headers (Node.js's default limit); bigger headers get 431.
 */
#define CONNECTION_MEMORY ((size_t)16 << 10)

/* ---- the request view ---- */

struct kv_fill {
	struct kv *items;
	size_t n, max;
};

/* Runs on MHD worker threads. */
static enum MHD_Result fill_kv(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
			       const char *value, size_t value_size)
{
	struct kv_fill *f = cls;
	(void)kind;
	(void)key_size;
	if (f->n == f->max)
		return MHD_NO;
	f->items[f->n].name = key;
	f->items[f->n].value = value ? value : "";
	f->items[f->n].len = value ? value_size : 0;
	f->n++;
	return MHD_YES;
}

/* MHD keeps the values until the request completes. */
static const struct kv *collect(struct MHD_Connection *c, enum MHD_ValueKind kind, struct arena *a, size_t *n)
{
	int count = MHD_get_connection_values(c, kind, NULL, NULL);
	if (count <= 0) {
		*n = 0;
		return NULL;
	}
	struct kv_fill f = { arena_alloc(a, sizeof(struct kv) * (size_t)count), 0, (size_t)count };
	MHD_get_connection_values_n(c, kind, fill_kv, &f);
	*n = f.n;
	return f.items;
}

/* The path of a request target: an absolute-form target ("http://host:port/path", which
 * MHD passes on as is, minus the query) routes on its path, and *authority gets its
 * host[:port] for the Host check; any other target is the path itself. */
static const char *split_absolute_form(struct arena *a, const char *url, const char **authority)
{
	const char *rest = NULL;
	*authority = NULL;
	if (strncasecmp(url, "http://", 7) == 0)
		rest = url + 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		rest = url + 8;
	if (!rest)
		return arena_strdup(a, url);
	size_t n = strcspn(rest, "/");
	*authority = arena_strndup(a, rest, n);
	return arena_strdup(a, rest[n] ? rest + n : "/");
}

/* ---- suspension ---- */

/* Runs on the handler's thread. */
static void suspend(struct exchange *x)
{
	struct req_ctx *ctx = (struct req_ctx *)x;
	MHD_suspend_connection(ctx->conn);
}

/* Runs on any thread; MHD calls the handler again once resumed. The context may be freed
 * as soon as this returns. */
static void resume(struct exchange *x)
{
	struct req_ctx *ctx = (struct req_ctx *)x;
	MHD_resume_connection(ctx->conn);
}

/* ---- replies ---- */

static struct MHD_Response *build(const struct reply *r)
{
	struct MHD_Response *resp;
	if (r->body_owned) {
		/* MUST_COPY: the reply frees its own body when the request ends */
		resp = MHD_create_response_from_buffer(r->body_len, (void *)r->body, MHD_RESPMEM_MUST_COPY);
	} else {
		/* PERSISTENT: the bytes live in a stub, which the request's set keeps alive
		 * for as long as MHD may send them, or in a shared answer, which the reply
		 * (and every reply sending its prebuilt copy) holds as long */
		resp = MHD_create_response_from_buffer(r->body_len, (void *)r->body, MHD_RESPMEM_PERSISTENT);
	}
	if (!resp)
		return NULL;
	if (r->content_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
	for (size_t i = 0; i < r->nheaders; i++)
		MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
	return resp;
}

void http_drop_built(void *built)
{
	MHD_destroy_response(built);
}

/* The prebuilt response of a fixed reply or a shared answer, built by the first request
 * that needs it; a thread that loses the race to publish it drops its own copy. A shared
 * answer learns how to drop it before anyone can see it. */
static struct MHD_Response *prebuilt(struct req_ctx *ctx)
{
	struct reply *r = &ctx->x.reply;
	_Atomic(void *) *slot = r->fixed ? &r->prepared->built[r->star] : &r->shared->built[r->star];
	void *have = atomic_load_explicit(slot, memory_order_acquire);
	if (have)
		return have;
	reply_expand(r, &ctx->x.arena);
	struct MHD_Response *fresh = build(r);
	if (!fresh) {
		fprintf(stderr, "cannery: out of memory building responses\n");
		abort();
	}
	if (!r->fixed)
		atomic_store(&r->shared->drop, http_drop_built);
	if (atomic_compare_exchange_strong_explicit(slot, &have, fresh, memory_order_acq_rel, memory_order_acquire))
		return fresh;
	MHD_destroy_response(fresh);
	return have;
}

/*
 * fault: reset. MHD_NO makes MHD close the connection, but it shuts the write side down
 * first, which sends a FIN: the client would see a clean end of stream. A zero linger makes
 * the close send a reset, and on Linux connecting to AF_UNSPEC aborts the connection with a
 * reset right away (MHD's shutdown then fails harmlessly on the disconnected socket).
 */
static enum MHD_Result reset_connection(struct req_ctx *ctx)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(ctx->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci) {
		struct linger lg = { 1, 0 };
		struct sockaddr unspec;
		setsockopt(ci->connect_fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		memset(&unspec, 0, sizeof(unspec));
		unspec.sa_family = AF_UNSPEC;
		connect(ci->connect_fd, &unspec, sizeof(unspec));
	}
	/* MHD logs the MHD_NO as an internal error: on_mhd_log leaves that one out */
	atomic_fetch_add(&ctx->h->resets, 1);
	return MHD_NO;
}

/* One write of raw_write: on the socket, or on MHD's TLS session over it (bytes written
 * on the socket itself would break the TLS record stream: the client would see a bad
 * record, not the answer). > 0, or a negative errno. */
static ssize_t raw_send(struct req_ctx *ctx, int fd, const void *buf, size_t len)
{
	if (ctx->h->cfg.tls_cert_pem) {
		const union MHD_ConnectionInfo *ti =
			MHD_get_connection_info(ctx->conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
		return ti && ti->tls_session ? tls_session_send(ti->tls_session, buf, len) : -EIO;
	}
	ssize_t w = send(fd, buf, len, MSG_NOSIGNAL);
	return w > 0 ? w : w == 0 ? -EIO : -errno;
}

/* Writes all of buf to the client (non-blocking: waits for room, up to RAW_WRITE_MS in
 * all). For the answers libmicrohttpd cannot give, after which the connection closes:
 * false when it could not. */
#define RAW_WRITE_MS 5000
static bool raw_write(struct req_ctx *ctx, const void *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(ctx->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!ci)
		return false;
	uint64_t deadline = clock_now_ms() + RAW_WRITE_MS;
	for (size_t off = 0; off < len;) {
		ssize_t w = raw_send(ctx, ci->connect_fd, (const char *)buf + off, len - off);
		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w == -EINTR)
			continue;
		if ((w == -EAGAIN || w == -EWOULDBLOCK) && clock_now_ms() < deadline) {
			struct pollfd pfd = { ci->connect_fd, POLLOUT, 0 };
			poll(&pfd, 1, 50);
			continue;
		}
		return false;
	}
	return true;
}

/* Ends the connection after what raw_write sent: MHD_NO closes it (a FIN), and MHD's
 * "internal error" line about it is ours, not logged. */
static enum MHD_Result close_connection(struct req_ctx *ctx)
{
	atomic_fetch_add(&ctx->h->resets, 1);
	return MHD_NO;
}

/* WireMock's faults other than the reset, byte for byte as WireMock 3.13.2 sends them
 * (its "random" data is always the same 36 bytes). */
static enum MHD_Result send_fault(struct req_ctx *ctx, enum stub_fault fault)
{
	static const char junk[] = "lskdu018973t09sylgasjkfg1][]'./.sdlv";
	static const char head[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
	if (fault == STUB_FAULT_BAD_CHUNK)
		raw_write(ctx, head, sizeof(head) - 1);
	if (fault == STUB_FAULT_GARBAGE || fault == STUB_FAULT_BAD_CHUNK)
		raw_write(ctx, junk, sizeof(junk) - 1);
	return close_connection(ctx);
}

/* A reply with its own reason phrase, which libmicrohttpd cannot put on a status line:
 * written whole, then the connection closes (Connection: close). */
static enum MHD_Result send_with_reason(struct req_ctx *ctx)
{
	struct reply *r = &ctx->x.reply;
	if (r->fixed || r->serve_shared)
		reply_expand(r, &ctx->x.arena);
	struct strbuf sb = STRBUF_INIT;
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	strbuf_addf(&sb, "HTTP/1.1 %d %s\r\nDate: %s\r\n", r->status, r->reason, date);
	if (r->content_type)
		strbuf_addf(&sb, "Content-Type: %s\r\n", r->content_type);
	for (size_t i = 0; i < r->nheaders; i++)
		strbuf_addf(&sb, "%s: %s\r\n", r->headers[i].name, r->headers[i].value);
	strbuf_addf(&sb, "Content-Length: %zu\r\nConnection: close\r\n\r\n", r->body_len);
	if (strcmp(ctx->x.view.method, "HEAD") != 0 && r->body_len)
		strbuf_add(&sb, r->body, r->body_len);
	raw_write(ctx, sb.buf, sb.len);
	strbuf_release(&sb);
	return close_connection(ctx);
}

static enum MHD_Result send_reply(struct req_ctx *ctx)
{
	struct reply *r = &ctx->x.reply;
	ctx->answered = true;
	if (r->fault == STUB_FAULT_RESET)
		return reset_connection(ctx);
	if (r->fault)
		return send_fault(ctx, r->fault);
	if (r->reason)
		return send_with_reason(ctx);
	if (r->fixed || r->serve_shared) {
		unsigned status = (unsigned)r->status;
		return MHD_queue_response(ctx->conn, status, prebuilt(ctx));
	}
	struct MHD_Response *resp = build(r);
	if (!resp)
		return MHD_NO;
	enum MHD_Result ret = MHD_queue_response(ctx->conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result next(struct req_ctx *ctx, enum pipe_result r)
{
	switch (r) {
	case PIPE_CONTINUE:
	case PIPE_DEFER:
		return MHD_YES;
	case PIPE_ANSWER:
		break;
	}
	return send_reply(ctx);
}

/* ---- the access handler ---- */

/* The first call: the request line and headers are in. */
static enum MHD_Result begin(struct http *h, struct req_ctx *ctx, struct MHD_Connection *c, const char *url,
			     const char *method, const char *version)
{
	struct exchange *x = &ctx->x;
	ctx->h = h;
	ctx->conn = c;
	ctx->begun = true;
	clock_gettime(CLOCK_MONOTONIC, &x->start);
	clock_gettime(CLOCK_REALTIME, &x->wall);
	x->suspend = suspend;
	x->resume = resume;
	x->http10 = strcmp(version, MHD_HTTP_VERSION_1_0) == 0;
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	ctx->link = ci ? ci->socket_context : NULL;
	if (ctx->link)
		conns_head_done(h->conns, ctx->link, clock_now_ms());
	x->view.arena = &x->arena;
	x->view.https = h->cfg.tls_cert_pem != NULL;
	x->view.method = arena_strdup(&x->arena, method);
	x->view.path = split_absolute_form(&x->arena, url, &x->authority);
	x->view.target = x->raw_uri;
	x->view.query = collect(c, MHD_GET_ARGUMENT_KIND, &x->arena, &x->view.nquery);
	x->view.headers = collect(c, MHD_HEADER_KIND, &x->arena, &x->view.nheaders);
	x->view.cookies = collect(c, MHD_COOKIE_KIND, &x->arena, &x->view.ncookies);
	atomic_fetch_add(&h->inflight, 1);
	/* a refusal answers before the body is read; MHD then closes the connection */
	return next(ctx, pipeline_begin(h->cfg.pipeline, x));
}

/* Runs on MHD worker threads: once with the headers, once per body chunk, once at the end,
 * and once more after each resume. The response is queued on the last call: queuing on the
 * first one makes MHD 0.9.75 answer `Connection: close`, which costs most of the
 * keep-alive throughput. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **req_cls)
{
	struct http *h = cls;
	struct req_ctx *ctx = *req_cls;
	if (!ctx) {
		/* the URI log callback normally made the context already (raw_uri) */
		ctx = xcalloc(1, sizeof(*ctx));
		arena_init(&ctx->x.arena);
		*req_cls = ctx;
	}
	if (!ctx->begun)
		return begin(h, ctx, c, url, method, version);
	if (ctx->answered)
		return MHD_YES;
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (ctx->link)
			conns_body(h->conns, ctx->link, n);
		if (ctx->overflow) {
			/* MHD 0.9.75 refuses a response queued mid-body, so an oversized chunked
			 * body is read and dropped (never buffered) and 413 follows at its end; a
			 * client that keeps going past a bound is cut off instead */
			ctx->discarded += n;
			return ctx->discarded > h->cfg.max_body + DISCARD_LIMIT ? MHD_NO : MHD_YES;
		}
		if (ctx->body.len + n > h->cfg.max_body) {
			ctx->overflow = true;
			ctx->discarded = ctx->body.len + n;
			strbuf_release(&ctx->body);
			return MHD_YES;
		}
		strbuf_add(&ctx->body, upload_data, n);
		return MHD_YES;
	}
	if (ctx->link)
		conns_answering(h->conns, ctx->link);
	if (ctx->overflow)
		return next(ctx, pipeline_too_large(h->cfg.pipeline, &ctx->x));
	ctx->x.view.body = ctx->body.buf;
	ctx->x.view.body_len = ctx->body.len;
	return next(ctx, pipeline_handle(h->cfg.pipeline, &ctx->x));
}

static void ctx_free(struct req_ctx *ctx)
{
	strbuf_release(&ctx->body);
	arena_release(&ctx->x.arena);
	free(ctx);
}

/* Runs on MHD worker threads, once per request that reached the access handler. */
static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls, enum MHD_RequestTerminationCode toe)
{
	struct http *h = cls;
	struct req_ctx *ctx = *req_cls;
	(void)c;
	*req_cls = NULL;
	if (!ctx)
		return;
	if (!ctx->begun) {
		/* MHD gave up on the request before the access handler saw it */
		ctx_free(ctx);
		return;
	}
	pipeline_end(h->cfg.pipeline, &ctx->x, toe != MHD_REQUEST_TERMINATED_COMPLETED_OK);
	if (ctx->link && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
		conns_request_done(h->conns, ctx->link, clock_now_ms());
	ctx_free(ctx);
	atomic_fetch_sub(&h->inflight, 1);
}

/* Runs on MHD worker threads, before the first access-handler call; what it returns is
 * the request's *req_cls. Keeps the request target as sent, which the proxy forwards
 * byte for byte (MHD hands the handler a decoded path and parsed arguments). */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	(void)cls;
	(void)c;
	struct req_ctx *ctx = xcalloc(1, sizeof(*ctx));
	arena_init(&ctx->x.arena);
	ctx->x.raw_uri = arena_strdup(&ctx->x.arena, uri);
	return ctx;
}

/* Runs on MHD threads when a connection starts and ends: the registry learns of it. MHD
 * closes the socket only after CLOSED, so the registry never shuts down a reused one. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct http *h = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		*socket_context = ci ? conns_open(h->conns, ci->connect_fd, clock_now_ms()) : NULL;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		conns_close(h->conns, *socket_context);
		*socket_context = NULL;
	}
}

/* Runs on the timer thread every SWEEP_MS until the timers close. */
static void sweep(void *arg, bool cancelled)
{
	struct http *h = arg;
	if (cancelled)
		return;
	conns_sweep(h->conns, clock_now_ms());
	timers_add(h->cfg.timers, SWEEP_MS, sweep, h);
}

/* Runs on MHD threads. */
__attribute__((format(printf, 2, 0)))
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct http *h = cls;
	if (h->cfg.quiet)
		return;
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, "cannery: http: ");
	strbuf_vaddf(&sb, fmt, ap);
	if (strstr(sb.buf, "Application reported internal error")) {
		/* one of ours when a reset on purpose is pending (fault: reset) */
		long n = atomic_load(&h->resets);
		while (n > 0 && !atomic_compare_exchange_weak(&h->resets, &n, n - 1))
			;
		if (n > 0) {
			strbuf_release(&sb);
			return;
		}
	}
	if (h->cfg.tls_cert_pem && strstr(sb.buf, "received handshake message out of context")) {
		/* what libmicrohttpd says of every failed handshake: say what usually causes one */
		strbuf_reset(&sb);
		strbuf_adds(&sb, "cannery: http: TLS handshake failed (most often a client that does not trust the "
			    "certificate, or plain HTTP sent to this HTTPS port)\n");
	}
	if (sb.buf[sb.len - 1] != '\n')
		strbuf_addc(&sb, '\n');
	ssize_t w = write(h->cfg.log_fd, sb.buf, sb.len);
	(void)w;
	strbuf_release(&sb);
}

/* ---- lifecycle ---- */

struct http *http_create(const struct http_config *cfg)
{
	struct http *h = xcalloc(1, sizeof(*h));
	h->cfg = *cfg;
	h->listen_fd = -1;
	atomic_init(&h->inflight, 0);
	atomic_init(&h->resets, 0);
	/* room for new connections: at 15/16 of the limit, idle keep-alive ones are closed,
	 * so libmicrohttpd's own limit (which refuses to accept) is not reached while any
	 * connection is idle */
	unsigned room = cfg->max_connections - cfg->max_connections / 16;
	struct conns_config cc = {
		.head_timeout_ms = cfg->head_timeout_ms,
		.idle_timeout_ms = cfg->idle_timeout_s * 1000u,
		.body_rate = cfg->min_body_rate,
		.max_connections = room ? room : 1,
	};
	h->conns = conns_create(&cc);
	return h;
}

static unsigned ncores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

int http_start(struct http *h, int listen_fd, char **error)
{
	int flags = fcntl(listen_fd, F_GETFL);
	fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK);
	h->listen_fd = listen_fd;
	unsigned threads = h->cfg.threads ? h->cfg.threads : ncores();
	unsigned mode = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
	/* HTTPS: MHD copies neither text, so both stay with the server until it is destroyed */
	struct MHD_OptionItem tls[] = {
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)h->cfg.tls_cert_pem },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)h->cfg.tls_key_pem },
		{ MHD_OPTION_END, 0, NULL },
	};
	if (h->cfg.tls_cert_pem) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			*error = xstrdup("cannot serve HTTPS: this libmicrohttpd was built without TLS support");
			return -ENOTSUP;
		}
		mode |= MHD_USE_TLS;
	}
	h->daemon = MHD_start_daemon(mode,
		0, NULL, NULL, on_request, h,
		/* the logger goes first, or MHD complains through its own */
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
		MHD_OPTION_LISTEN_SOCKET, (MHD_socket)listen_fd,
		MHD_OPTION_THREAD_POOL_SIZE, threads,
		MHD_OPTION_CONNECTION_LIMIT, h->cfg.max_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, h->cfg.idle_timeout_s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONNECTION_MEMORY,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, h,
		MHD_OPTION_ARRAY, h->cfg.tls_cert_pem ? tls : tls + 2,
		MHD_OPTION_END);
	if (!h->daemon) {
		*error = xstrdup("cannot start the HTTP server (libmicrohttpd refused the options)");
		return -EIO;
	}
	if (h->cfg.timers)
		timers_add(h->cfg.timers, SWEEP_MS, sweep, h);
	return 0;
}

void http_quiesce(struct http *h)
{
	if (!h || !h->daemon)
		return;
	MHD_socket fd = MHD_quiesce_daemon(h->daemon);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	h->listen_fd = -1;
}

/* Polled, bounded: MHD has no completion wait. */
void http_drain(struct http *h, unsigned ms)
{
	if (!h || !h->daemon)
		return;
	for (unsigned i = 0; i < ms / 10 && atomic_load(&h->inflight) > 0; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

void http_stop(struct http *h)
{
	if (!h || !h->daemon)
		return;
	MHD_stop_daemon(h->daemon);
	h->daemon = NULL;
}

void http_destroy(struct http *h)
{
	if (!h)
		return;
	http_quiesce(h);
	http_stop(h);
	if (h->listen_fd >= 0)
		close(h->listen_fd);
	conns_destroy(h->conns);
	free(h);
}

struct conns_stats http_conn_stats(struct http *h)
{
	return conns_get_stats(h->conns);
}
