/* SPDX-License-Identifier: MIT */
/* The HTTP layer: libmicrohttpd's thread pool, the access handler, prebuilt responses,
 * the security checks that run before any stub is consulted, and the access log. */
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
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "matcher.h"
#include "router.h"
#include "server.h"
#include "stub.h"
#include "util/arena.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

struct http {
	struct cannery_server *srv;
	struct MHD_Daemon *daemon;
	int listen_fd;               /* owned until handed to MHD, and again after quiesce */
	atomic_long inflight;        /* requests between the first handler call and completion */
};

/* One request, from the first access-handler call to MHD's completion callback. */
struct req_ctx {
	struct http *h;
	struct stub_set *set;        /* held until completion: prebuilt responses point into it */
	struct timespec start;
	struct arena arena;
	struct strbuf body;
	const char *method;          /* arena copies, for the access log */
	const char *path;
	int status;                  /* what was answered, for the log */
	const char *stub_id;         /* borrowed from set */
	struct strbuf note;          /* near-miss summary for the log */
	struct strbuf detail;        /* --verbose: every mismatch, on lines after the log line */
	unsigned refuse;             /* 400/403/413 decided from the headers alone */
	const char *refuse_msg;
	bool overflow;               /* the body grew past --max-body */
	size_t discarded;            /* body bytes dropped after the overflow */
	const char *authority;       /* host[:port] of an absolute-form target, or NULL */
};

/* How far past --max-body an oversized chunked body is read (and dropped) before the
 * connection is closed without an answer. */
#define DISCARD_LIMIT ((size_t)16 << 20)

static const char *const status_colors[] = { "\033[32m", "\033[33m", "\033[31m" };

/* ---- security checks on the headers, before any stub is consulted ---- */

struct framing {
	unsigned ncl;
	const char *cl;
	bool cl_differs;
	const char *te;
	unsigned nte;
	unsigned nhost;
};

/* Runs on MHD worker threads. */
static enum MHD_Result collect_framing(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct framing *f = cls;
	(void)kind;
	if (!value)
		value = "";
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		if (f->ncl && strcmp(f->cl, value) != 0)
			f->cl_differs = true;
		f->cl = value;
		f->ncl++;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		f->te = value;
		f->nte++;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0) {
		f->nhost++;
	}
	return MHD_YES;
}

static bool host_allowed(const struct cannery_server *srv, const char *host)
{
	char name[256];
	size_t len = strlen(host);
	const char *end = host + len;
	if (host[0] == '[') {
		const char *close = strchr(host, ']');
		if (!close)
			return false;
		end = close + 1;
	} else {
		const char *colon = strchr(host, ':');
		if (colon)
			end = colon;
	}
	if (*end == ':') {
		/* a port must be digits only */
		for (const char *p = end + 1; *p; p++)
			if (*p < '0' || *p > '9')
				return false;
	} else if (*end) {
		return false;
	}
	len = (size_t)(end - host);
	if (len == 0 || len >= sizeof(name))
		return false;
	memcpy(name, host, len);
	name[len] = '\0';
	if (strcasecmp(name, "localhost") == 0 || strcmp(name, "127.0.0.1") == 0 || strcmp(name, "[::1]") == 0)
		return true;
	for (size_t i = 0; i < srv->cfg.nallow_hosts; i++)
		if (strcasecmp(name, srv->cfg.allow_hosts[i]) == 0)
			return true;
	return false;
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

static void check_headers(struct http *h, struct MHD_Connection *c, const char *version, struct req_ctx *ctx)
{
	struct framing f = { 0 };
	MHD_get_connection_values(c, MHD_HEADER_KIND, collect_framing, &f);
	if (f.ncl && f.nte) {
		ctx->refuse = 400;
		ctx->refuse_msg = "ambiguous framing: both Transfer-Encoding and Content-Length";
		return;
	}
	if (f.cl_differs) {
		ctx->refuse = 400;
		ctx->refuse_msg = "ambiguous framing: different Content-Length values";
		return;
	}
	if (f.nte > 1 || (f.nte && strcasecmp(f.te, "chunked") != 0)) {
		ctx->refuse = 400;
		ctx->refuse_msg = "unsupported Transfer-Encoding: only chunked is accepted";
		return;
	}
	if (f.nhost > 1) {
		/* RFC 9112 3.2: more than one Host is a 400; checking only the first would let
		 * a second one reach whatever reads the last */
		ctx->refuse = 400;
		ctx->refuse_msg = "more than one Host header";
		return;
	}
	const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	if (!host && strcmp(version, MHD_HTTP_VERSION_1_0) != 0) {
		/* RFC 9112 3.2: an HTTP/1.1 request without Host is a 400 */
		ctx->refuse = 400;
		ctx->refuse_msg = "missing Host header";
		return;
	}
	/* RFC 9112 3.2.2: an absolute-form target's authority stands in for Host */
	if (ctx->authority)
		host = ctx->authority;
	if (h->srv->loopback) {
		if (host && !host_allowed(h->srv, host)) {
			ctx->refuse = 403;
			ctx->refuse_msg = "host not allowed";
			return;
		}
	}
	if (f.ncl) {
		char *end = NULL;
		errno = 0;
		unsigned long long n = strtoull(f.cl, &end, 10);
		if (errno || end == f.cl || *end || f.cl[0] == '-') {
			ctx->refuse = 400;
			ctx->refuse_msg = "invalid Content-Length";
			return;
		}
		if (n > h->srv->cfg.max_body) {
			ctx->refuse = 413;
			ctx->refuse_msg = "request body too large";
		}
	}
}

/* ---- responses ---- */

static enum MHD_Result queue_json(struct MHD_Connection *c, struct req_ctx *ctx, unsigned status,
				  const char *json, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)json, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	ctx->status = (int)status;
	return ret;
}

static enum MHD_Result queue_refusal(struct MHD_Connection *c, struct req_ctx *ctx, unsigned status, const char *msg)
{
	struct strbuf sb = STRBUF_INIT;
	struct strbuf text = STRBUF_INIT;
	if (status == 403) {
		const char *host = ctx->authority ? ctx->authority
						  : MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
		strbuf_addf(&text, "host '%s' is not allowed (DNS-rebinding defence); "
			    "start cannery with --allow-host NAME to accept it", host ? host : "");
	} else if (status == 413) {
		strbuf_addf(&text, "request body exceeds --max-body (%zu bytes)", ctx->h->srv->cfg.max_body);
	} else {
		strbuf_adds(&text, msg);
	}
	strbuf_adds(&sb, "{\"error\":");
	strbuf_add_json_string(&sb, text.buf, text.len);
	strbuf_addc(&sb, '}');
	strbuf_addf(&ctx->note, "refused: %s", msg);
	enum MHD_Result ret = queue_json(c, ctx, status, sb.buf, sb.len);
	strbuf_release(&sb);
	strbuf_release(&text);
	return ret;
}

struct kv_fill {
	struct kv *items;
	size_t n, max;
	struct arena *arena;
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

static const struct kv *collect(struct MHD_Connection *c, enum MHD_ValueKind kind, struct arena *a, size_t *n)
{
	int count = MHD_get_connection_values(c, kind, NULL, NULL);
	if (count <= 0) {
		*n = 0;
		return NULL;
	}
	struct kv_fill f = { arena_alloc(a, sizeof(struct kv) * (size_t)count), 0, (size_t)count, a };
	MHD_get_connection_values_n(c, kind, fill_kv, &f);
	*n = f.n;
	return f.items;
}

static void near_miss_json(struct strbuf *sb, struct strbuf *note, const struct near_miss *nm, size_t n)
{
	strbuf_adds(sb, ",\"near_misses\":[");
	for (size_t i = 0; i < n; i++) {
		const struct stub *s = nm[i].stub;
		if (i)
			strbuf_addc(sb, ',');
		strbuf_adds(sb, "{\"stub\":");
		strbuf_add_json_string(sb, s->id, strlen(s->id));
		strbuf_adds(sb, ",\"file\":");
		if (s->file)
			strbuf_add_json_string(sb, s->file, strlen(s->file));
		else
			strbuf_adds(sb, "null");
		strbuf_addf(sb, ",\"line\":%d,\"mismatches\":[", s->line);
		for (size_t j = 0; j < nm[i].why.n; j++) {
			if (j)
				strbuf_addc(sb, ',');
			strbuf_add_json_string(sb, nm[i].why.items[j], strlen(nm[i].why.items[j]));
		}
		strbuf_adds(sb, "]}");
	}
	strbuf_addc(sb, ']');
	if (n == 0) {
		strbuf_adds(note, "no stub matched");
		return;
	}
	strbuf_addf(note, "no stub matched; closest %s", nm[0].stub->id);
	if (nm[0].why.n)
		strbuf_addf(note, ": %s", nm[0].why.items[0]);
	if (nm[0].why.n > 1)
		strbuf_addf(note, " (+%zu more)", nm[0].why.n - 1);
}

static enum MHD_Result queue_miss(struct MHD_Connection *c, struct req_ctx *ctx, struct req_view *view)
{
	struct near_miss nm[3];
	size_t n = router_near_misses(ctx->set->router, view, nm, 3);
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, "{\"error\":\"no stub matched\",\"method\":");
	strbuf_add_json_string(&sb, view->method, strlen(view->method));
	strbuf_adds(&sb, ",\"path\":");
	strbuf_add_json_string(&sb, view->path, strlen(view->path));
	near_miss_json(&sb, &ctx->note, nm, n);
	if (ctx->h->srv->cfg.log == CANNERY_LOG_VERBOSE) {
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < nm[i].why.n; j++)
				strbuf_addf(&ctx->detail, "    %s: %s\n", nm[i].stub->id, nm[i].why.items[j]);
	}
	strbuf_addc(&sb, '}');
	near_miss_release(nm, n);
	enum MHD_Result ret = queue_json(c, ctx, 404, sb.buf, sb.len);
	strbuf_release(&sb);
	return ret;
}

static enum MHD_Result queue_admin(struct MHD_Connection *c, struct req_ctx *ctx)
{
	struct strbuf out = STRBUF_INIT;
	int status = admin_handle(ctx->h->srv, ctx->method, ctx->path, ctx->body.buf, ctx->body.len, &out);
	enum MHD_Result ret = queue_json(c, ctx, (unsigned)status, strbuf_str(&out), out.len);
	ctx->stub_id = "admin";
	strbuf_release(&out);
	return ret;
}

static bool is_admin_path(const char *path)
{
	size_t n = strlen(ADMIN_PREFIX);
	return strncmp(path, ADMIN_PREFIX, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

static enum MHD_Result respond(struct MHD_Connection *c, struct req_ctx *ctx)
{
	if (is_admin_path(ctx->path))
		return queue_admin(c, ctx);
	struct req_view view = { 0 };
	view.method = ctx->method;
	view.path = ctx->path;
	view.arena = &ctx->arena;
	view.query = collect(c, MHD_GET_ARGUMENT_KIND, &ctx->arena, &view.nquery);
	view.headers = collect(c, MHD_HEADER_KIND, &ctx->arena, &view.nheaders);
	view.cookies = collect(c, MHD_COOKIE_KIND, &ctx->arena, &view.ncookies);
	view.body = ctx->body.buf;
	view.body_len = ctx->body.len;
	enum MHD_Result ret;
	const struct stub *s = router_lookup(ctx->set->router, &view, NULL);
	if (s) {
		ctx->stub_id = s->id;
		ctx->status = s->resp.status;
		ret = MHD_queue_response(c, (unsigned)s->resp.status, ctx->set->attached[s->slot]);
	} else {
		ret = queue_miss(c, ctx, &view);
	}
	req_view_release(&view);
	return ret;
}

/* Runs on MHD worker threads: once with the headers, once per body chunk, once at the end.
 * The response is queued on the last call: queuing on the first one makes MHD 0.9.75
 * answer `Connection: close`, which costs most of the keep-alive throughput. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **req_cls)
{
	struct http *h = cls;
	struct req_ctx *ctx = *req_cls;
	if (!ctx) {
		ctx = xcalloc(1, sizeof(*ctx));
		ctx->h = h;
		clock_gettime(CLOCK_MONOTONIC, &ctx->start);
		arena_init(&ctx->arena);
		ctx->method = arena_strdup(&ctx->arena, method);
		ctx->path = split_absolute_form(&ctx->arena, url, &ctx->authority);
		ctx->set = server_acquire(h->srv);
		atomic_fetch_add(&h->inflight, 1);
		*req_cls = ctx;
		check_headers(h, c, version, ctx);
		/* a refusal answers before the body is read; MHD then closes the connection */
		if (ctx->refuse)
			return queue_refusal(c, ctx, ctx->refuse, ctx->refuse_msg);
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (ctx->overflow) {
			/* MHD 0.9.75 refuses a response queued mid-body, so an oversized chunked
			 * body is read and dropped (never buffered) and 413 follows at its end; a
			 * client that keeps going past a bound is cut off instead */
			ctx->discarded += n;
			return ctx->discarded > h->srv->cfg.max_body + DISCARD_LIMIT ? MHD_NO : MHD_YES;
		}
		if (ctx->body.len + n > h->srv->cfg.max_body) {
			ctx->overflow = true;
			ctx->discarded = ctx->body.len + n;
			strbuf_release(&ctx->body);
			return MHD_YES;
		}
		strbuf_add(&ctx->body, upload_data, n);
		return MHD_YES;
	}
	if (ctx->overflow)
		return queue_refusal(c, ctx, 413, "request body too large");
	return respond(c, ctx);
}

/* ---- access log ---- */

static void log_request(struct http *h, struct req_ctx *ctx, enum MHD_RequestTerminationCode toe)
{
	const struct cannery_config *cfg = &h->srv->cfg;
	if (cfg->log == CANNERY_LOG_QUIET)
		return;
	struct timespec now, wall;
	clock_gettime(CLOCK_MONOTONIC, &now);
	clock_gettime(CLOCK_REALTIME, &wall);
	double ms = (double)(now.tv_sec - ctx->start.tv_sec) * 1e3 + (double)(now.tv_nsec - ctx->start.tv_nsec) / 1e6;
	struct tm tm;
	gmtime_r(&wall.tv_sec, &tm);
	char ts[32];
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "%s.%03ldZ %s %s ", ts, wall.tv_nsec / 1000000, ctx->method, ctx->path);
	int status = ctx->status;
	const char *color = status >= 500 || status == 0 ? status_colors[2] : status >= 400 ? status_colors[1] : status_colors[0];
	if (cfg->log_color)
		strbuf_addf(&sb, "%s%d\033[0m", color, status);
	else
		strbuf_addf(&sb, "%d", status);
	if (ctx->stub_id)
		strbuf_addf(&sb, " %s", ctx->stub_id);
	if (ctx->note.len)
		strbuf_addf(&sb, " %s", ctx->note.buf);
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
		strbuf_adds(&sb, " (connection ended early)");
	strbuf_addf(&sb, " %.2fms\n", ms);
	if (ctx->detail.len)
		strbuf_add(&sb, ctx->detail.buf, ctx->detail.len);
	/* one write per line keeps lines from different threads whole */
	ssize_t w = write(cfg->log_fd, sb.buf, sb.len);
	(void)w;
	strbuf_release(&sb);
}

/* Runs on MHD worker threads, once per request that reached the access handler. */
static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls, enum MHD_RequestTerminationCode toe)
{
	struct http *h = cls;
	struct req_ctx *ctx = *req_cls;
	(void)c;
	if (!ctx)
		return;
	log_request(h, ctx, toe);
	stub_set_unref(ctx->set);
	strbuf_release(&ctx->body);
	strbuf_release(&ctx->note);
	strbuf_release(&ctx->detail);
	arena_release(&ctx->arena);
	free(ctx);
	*req_cls = NULL;
	atomic_fetch_sub(&h->inflight, 1);
}

/* Runs on MHD threads. */
__attribute__((format(printf, 2, 0)))
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct http *h = cls;
	if (h->srv->cfg.log == CANNERY_LOG_QUIET)
		return;
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, "cannery: http: ");
	strbuf_vaddf(&sb, fmt, ap);
	if (sb.buf[sb.len - 1] != '\n')
		strbuf_addc(&sb, '\n');
	ssize_t w = write(h->srv->cfg.log_fd, sb.buf, sb.len);
	(void)w;
	strbuf_release(&sb);
}

/* ---- prebuilt responses ---- */

static void free_prepared(void **attached, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (attached[i])
			MHD_destroy_response(attached[i]);
	free(attached);
}

void http_prepare_set(struct stub_set *set)
{
	set->attached = xcalloc(set->n ? set->n : 1, sizeof(void *));
	set->attached_free = free_prepared;
	for (size_t i = 0; i < set->n; i++) {
		struct stub *s = set->stubs[i];
		/* PERSISTENT: the bytes live in the stub, which outlives every request that
		 * holds this set */
		struct MHD_Response *r = MHD_create_response_from_buffer(s->resp.body_len, s->resp.body,
									  MHD_RESPMEM_PERSISTENT);
		if (!r) {
			fprintf(stderr, "cannery: out of memory building responses\n");
			abort();
		}
		if (s->resp.content_type)
			MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, s->resp.content_type);
		for (size_t j = 0; j < s->resp.nheaders; j++)
			MHD_add_response_header(r, s->resp.headers[j].name, s->resp.headers[j].value);
		set->attached[i] = r;
	}
}

/* ---- lifecycle ---- */

struct http *http_create(struct cannery_server *srv)
{
	struct http *h = xcalloc(1, sizeof(*h));
	h->srv = srv;
	h->listen_fd = -1;
	atomic_init(&h->inflight, 0);
	return h;
}

static unsigned ncores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

int http_start(struct http *h, int listen_fd, char **error)
{
	const struct cannery_config *cfg = &h->srv->cfg;
	int flags = fcntl(listen_fd, F_GETFL);
	fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK);
	h->listen_fd = listen_fd;
	unsigned threads = cfg->threads ? cfg->threads : ncores();
	h->daemon = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME,
		0, NULL, NULL, on_request, h,
		/* the logger goes first, or MHD complains through its own */
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
		MHD_OPTION_LISTEN_SOCKET, (MHD_socket)listen_fd,
		MHD_OPTION_THREAD_POOL_SIZE, threads,
		MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, cfg->idle_timeout_s,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
		MHD_OPTION_END);
	if (!h->daemon) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_adds(&sb, "cannot start the HTTP server (libmicrohttpd refused the options)");
		*error = strbuf_detach(&sb, NULL);
		return -EIO;
	}
	return 0;
}

void http_stop(struct http *h)
{
	if (!h || !h->daemon)
		return;
	MHD_socket fd = MHD_quiesce_daemon(h->daemon);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	h->listen_fd = -1;
	/* let requests in flight finish: poll, bounded, since MHD has no completion wait */
	for (int i = 0; i < 1000 && atomic_load(&h->inflight) > 0; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	MHD_stop_daemon(h->daemon);
	h->daemon = NULL;
}

void http_destroy(struct http *h)
{
	if (!h)
		return;
	http_stop(h);
	if (h->listen_fd >= 0)
		close(h->listen_fd);
	free(h);
}
