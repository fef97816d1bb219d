/* SPDX-License-Identifier: MIT */
/* The HTTP layer: libmicrohttpd's thread pool, the access handler, prebuilt responses,
 * the security checks that run before any stub is consulted, and the access log. */
#include "http.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "journal.h"
#include "matcher.h"
#include "render.h"
#include "proxy.h"
#include "recorder.h"
#include "router.h"
#include "server.h"
#include "state.h"
#include "stub.h"
#include "timers.h"
#include "util/arena.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

struct http {
	struct cannery_server *srv;
	struct MHD_Daemon *daemon;
	int listen_fd;               /* owned until handed to MHD, and again after quiesce */
	atomic_long inflight;        /* requests between the first handler call and completion */
	/* timer_lock guards timers and stopping: a delay is only scheduled while the timer
	 * thread runs, and http_stop fires every pending delay before the daemon stops */
	pthread_mutex_t timer_lock;
	struct timers *timers;       /* response delays; NULL before start and once stopping */
	bool stopping;
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
	struct MHD_Connection *conn;
	/* for the journal: what arrived, collected once into the arena */
	struct timespec wall;        /* CLOCK_REALTIME at arrival */
	bool collected;
	const struct kv *query, *headers, *cookies;
	size_t nquery, nheaders, ncookies;
	bool admin;                  /* under /__cannery/: not journaled */
	bool recorded;
	/* a deferred admin answer (requests/wait): written by whichever thread answers, before
	 * it resumes the connection; read by the handler once MHD calls it again */
	int answer_status;
	char *answer;
	/* a delayed answer: prepared when the stub matched, queued once the timer resumes us */
	struct MHD_Response *pending;
	bool pending_owned;          /* pending was built for this request (else: prebuilt, shared) */
	unsigned pending_status;
	bool pending_reset;          /* fault: reset once the delay is over */
	bool suspended;              /* waiting for the delay timer */
	const char *raw_uri;         /* the request target as received, query included (arena) */
	struct proxy_exchange *px;   /* forwarded: the connection is suspended until it is done */
	bool proxied;                /* answered from the upstream (or with a proxy error) */
	const char *authority;       /* host[:port] of an absolute-form target, or NULL */
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

static const char *const status_colors[] = { "\033[32m", "\033[33m", "\033[31m" };

/* Set on a worker thread that just refused a connection on purpose (fault: reset), so the
 * "internal error" MHD logs right after is not shown; every handler call clears it. */
static _Thread_local bool fault_on_purpose;

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

/* ---- CORS (stub routes only) ---- */

static bool is_admin_path(const char *path);

/* The request's Origin when CORS applies to it (on, not an admin path), else NULL. */
static const char *cors_origin(struct MHD_Connection *c, const struct req_ctx *ctx)
{
	if (!ctx->h->srv->cfg.cors || is_admin_path(ctx->path))
		return NULL;
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
}

/*
 * Allow-Origin is the request's Origin (credentials allowed then, so that pages using
 * cookies work) or "*" without one; Vary: Origin either way, since the answer depends on
 * it. expose lists the stub's own headers so that scripts may read them.
 */
static void add_cors(struct MHD_Response *r, const char *origin, const char *expose)
{
	MHD_add_response_header(r, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN, origin ? origin : "*");
	if (origin)
		MHD_add_response_header(r, "Access-Control-Allow-Credentials", "true");
	MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Origin");
	if (expose)
		MHD_add_response_header(r, "Access-Control-Expose-Headers", expose);
}

/* ---- responses ---- */

static void record(struct MHD_Connection *c, struct req_ctx *ctx);

/* Queues a body of the given type (NULL: none, e.g. for 204); records the request. */
static enum MHD_Result queue_typed(struct MHD_Connection *c, struct req_ctx *ctx, unsigned status,
				   const char *body, size_t len, const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	if (type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (ctx->h->srv->cfg.cors && !ctx->admin)
		add_cors(r, cors_origin(c, ctx), NULL);
	ctx->status = (int)status;
	record(c, ctx);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result queue_json(struct MHD_Connection *c, struct req_ctx *ctx, unsigned status,
				  const char *json, size_t len)
{
	return queue_typed(c, ctx, status, json, len, "application/json");
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

/* Collects the query, headers and cookies once (MHD keeps them until completion). */
static void capture(struct MHD_Connection *c, struct req_ctx *ctx)
{
	if (ctx->collected)
		return;
	ctx->collected = true;
	ctx->query = collect(c, MHD_GET_ARGUMENT_KIND, &ctx->arena, &ctx->nquery);
	ctx->headers = collect(c, MHD_HEADER_KIND, &ctx->arena, &ctx->nheaders);
	ctx->cookies = collect(c, MHD_COOKIE_KIND, &ctx->arena, &ctx->ncookies);
}

/* Journals the request once its answer is decided, before a byte of it is sent: a client
 * that has its answer always finds the request in the journal. A delayed answer is
 * journaled when the delay is over, so its duration includes the delay. */
static void record(struct MHD_Connection *c, struct req_ctx *ctx)
{
	if (ctx->admin || ctx->recorded)
		return;
	ctx->recorded = true;
	capture(c, ctx);
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	struct journal_draft d = {
		.time = ctx->wall,
		.duration_ms = (double)(now.tv_sec - ctx->start.tv_sec) * 1e3 +
			       (double)(now.tv_nsec - ctx->start.tv_nsec) / 1e6,
		.status = ctx->status,
		.method = ctx->method,
		.path = ctx->path,
		.stub = ctx->stub_id,
		.query = ctx->query,
		.nquery = ctx->nquery,
		.headers = ctx->headers,
		.nheaders = ctx->nheaders,
		.cookies = ctx->cookies,
		.ncookies = ctx->ncookies,
		.body = ctx->body.buf,
		.body_len = ctx->body.len,
	};
	server_record(ctx->h->srv, &d);
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
		strbuf_addf(sb, ",\"line\":%d,\"mismatches\":", s->line);
		mismatches_add_json(&nm[i].why, sb);
		strbuf_addc(sb, '}');
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

/* Runs on the handler's thread, inside admin_handle. */
static void admin_suspend(void *arg)
{
	struct req_ctx *ctx = arg;
	MHD_suspend_connection(ctx->conn);
}

/* Runs on whichever thread ends a wait; MHD calls the handler again once resumed. */
static void admin_answer(void *arg, int status, char *json)
{
	struct req_ctx *ctx = arg;
	ctx->answer_status = status;
	ctx->answer = json;
	MHD_resume_connection(ctx->conn);
}

static enum MHD_Result queue_admin(struct MHD_Connection *c, struct req_ctx *ctx)
{
	struct strbuf out = STRBUF_INIT;
	const char *type = NULL;
	ctx->admin = true;
	ctx->stub_id = "admin";
	capture(c, ctx);
	struct admin_request req = {
		.method = ctx->method,
		.path = ctx->path,
		.query = ctx->query,
		.nquery = ctx->nquery,
		.origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin"),
		.authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
		.body = ctx->body.buf,
		.body_len = ctx->body.len,
		.suspend = admin_suspend,
		.answer = admin_answer,
		.arg = ctx,
	};
	int status = admin_handle(ctx->h->srv, &req, &out, &type);
	if (status == ADMIN_DEFERRED) {
		strbuf_release(&out);
		return MHD_YES;
	}
	enum MHD_Result ret = queue_typed(c, ctx, (unsigned)status, strbuf_str(&out), out.len, type);
	strbuf_release(&out);
	return ret;
}

/* ---- proxying ---- */

/* Runs on the proxy thread (or on this worker when the proxy is stopping): the result is
 * in the exchange; resuming makes MHD call the access handler again, which answers. The
 * context may be freed as soon as the connection is resumed, so that comes last. */
static void on_forwarded(struct proxy_exchange *ex, void *arg)
{
	struct MHD_Connection *c = arg;
	(void)ex;
	MHD_resume_connection(c);
}

/* Runs on MHD worker threads. */
static enum MHD_Result add_forward_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	proxy_exchange_add_header(cls, key, value);
	return MHD_YES;
}

/* Hands the request to the proxy thread and parks the connection: no worker waits on the
 * upstream. The connection is suspended before the exchange is submitted, so the
 * completion can never resume it first. */
static enum MHD_Result forward(struct MHD_Connection *c, struct req_ctx *ctx)
{
	struct proxy *p = ctx->h->srv->proxy;
	const char *target = ctx->raw_uri ? ctx->raw_uri : ctx->path;
	if (target[0] != '/') {
		/* absolute-form: forward the path and query only */
		const char *scheme = strstr(target, "://");
		const char *slash = scheme ? strchr(scheme + 3, '/') : NULL;
		if (!scheme)
			return queue_refusal(c, ctx, 400, "cannot forward this request target");
		target = slash ? slash : "/";
	}
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	ctx->px = proxy_exchange_create(p, ctx->method, target, ctx->body.buf, ctx->body.len, cl || te);
	MHD_get_connection_values(c, MHD_HEADER_KIND, add_forward_header, ctx->px);
	ctx->proxied = true;
	MHD_suspend_connection(c);
	proxy_submit(p, ctx->px, on_forwarded, c);
	return MHD_YES;
}

/* Writes a proxied exchange as a stub, before it is answered: a response the client has
 * seen is always on disk (or its failure logged). */
static void record_exchange(struct MHD_Connection *c, struct req_ctx *ctx, const struct proxy_result *res)
{
	struct record_exchange ex = { 0 };
	char *file = NULL, *error = NULL;
	enum record_outcome outcome;
	ex.method = ctx->method;
	ex.path = ctx->path;
	ex.query = collect(c, MHD_GET_ARGUMENT_KIND, &ctx->arena, &ex.nquery);
	ex.req_content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	ex.req_body = ctx->body.buf;
	ex.req_body_len = ctx->body.len;
	ex.status = res->status;
	ex.headers = res->headers;
	ex.nheaders = res->nheaders;
	ex.body = res->body.buf;
	ex.body_len = res->body.len;
	if (recorder_record(ctx->h->srv->recorder, &ex, &outcome, &file, &error) == 0) {
		strbuf_addf(&ctx->note, "; %s %s", outcome == RECORD_WROTE ? "recorded" :
			    outcome == RECORD_APPENDED ? "appended to" : "kept", file);
	} else {
		struct strbuf sb = STRBUF_INIT;
		strbuf_addf(&ctx->note, "; not recorded");
		strbuf_addf(&sb, "cannery: error: %s %s not recorded: %s\n", ctx->method, ctx->path, error);
		ssize_t w = write(ctx->h->srv->cfg.log_fd, sb.buf, sb.len);
		(void)w;
		strbuf_release(&sb);
	}
	free(file);
	free(error);
}

/* The one place where a proxied exchange completes: status set, no stub id (proxied
 * marks it). Runs on MHD worker threads, on the call after the connection is resumed. */
static enum MHD_Result answer_proxied(struct MHD_Connection *c, struct req_ctx *ctx)
{
	struct proxy_result *res = proxy_exchange_result(ctx->px);
	if (res->failed) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_adds(&sb, "{\"error\":");
		strbuf_add_json_string(&sb, res->error, strlen(res->error));
		strbuf_addc(&sb, '}');
		strbuf_addf(&ctx->note, "proxy failed: %s", res->error);
		enum MHD_Result ret = queue_json(c, ctx, (unsigned)res->status, sb.buf, sb.len);
		strbuf_release(&sb);
		return ret;
	}
	strbuf_addf(&ctx->note, "proxied to %s", proxy_upstream(ctx->h->srv->proxy));
	if (ctx->h->srv->recorder)
		record_exchange(c, ctx, res);
	size_t len = res->body.len;
	char *body = strbuf_detach(&res->body, NULL);
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	bool upstream_cors = false;
	for (size_t i = 0; i < res->nheaders; i++) {
		MHD_add_response_header(r, res->headers[i].name, res->headers[i].value);
		if (strcasecmp(res->headers[i].name, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN) == 0)
			upstream_cors = true;
	}
	/* SPEC 6: every answer outside the admin API carries CORS, unless the upstream's own
	 * headers already do (two Allow-Origin headers would make browsers refuse it) */
	if (ctx->h->srv->cfg.cors && !upstream_cors)
		add_cors(r, cors_origin(c, ctx), NULL);
	ctx->status = res->status;
	record(c, ctx);
	enum MHD_Result ret = MHD_queue_response(c, (unsigned)res->status, r);
	MHD_destroy_response(r);
	return ret;
}

static bool is_admin_path(const char *path)
{
	size_t n = strlen(ADMIN_PREFIX);
	return strncmp(path, ADMIN_PREFIX, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* ---- dynamic answers: templates, delays, faults, preflights ---- */

/* Per stub, attached to its set: the prebuilt responses of each of its responses. */
struct prepared_resp {
	/* Built on the first request that needs it (fixed_response), then shared: 10,000 stubs
	 * cost ~4 MB less at idle. NULL until then, and for responses rendered per request. */
	_Atomic(struct MHD_Response *) plain;  /* no CORS headers */
	_Atomic(struct MHD_Response *) star;   /* the same with Access-Control-Allow-Origin: *;
						* used instead of plain when CORS is on and the
						* stub does not set its own */
	char *expose;                /* Access-Control-Expose-Headers: the stub's header names, or NULL */
	bool own_cors;               /* the stub sets Access-Control-Allow-Origin itself: add nothing */
};

struct prepared {
	size_t n;
	struct prepared_resp r[];
};

/* Header values rendered from request data must stay on one line. */
static void one_line(char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
			s[i] = ' ';
}

/* Builds the response of sr for this request: its body rendered (or borrowed from the stub,
 * which the request's set keeps alive), its headers rendered, CORS for origin. */
static struct MHD_Response *build_response(const struct stub_response *sr, const struct prepared_resp *pr,
					   struct render_ctx *rc, const char *origin, bool cors)
{
	struct MHD_Response *r;
	if (sr->body_tpl) {
		struct strbuf out = STRBUF_INIT;
		tpl_render(sr->body_tpl, rc, &out);
		size_t len;
		char *buf = strbuf_detach(&out, &len);
		r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
		if (!r)
			free(buf);
	} else {
		r = MHD_create_response_from_buffer(sr->body_len, sr->body, MHD_RESPMEM_PERSISTENT);
	}
	if (!r)
		return NULL;
	if (sr->content_type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, sr->content_type);
	for (size_t i = 0; i < sr->nheaders; i++) {
		const struct header *hd = &sr->headers[i];
		if (!hd->tpl) {
			MHD_add_response_header(r, hd->name, hd->value);
			continue;
		}
		struct strbuf v = STRBUF_INIT;
		tpl_render(hd->tpl, rc, &v);
		strbuf_addc(&v, '\0');
		one_line(v.buf, v.len - 1);
		MHD_add_response_header(r, hd->name, v.buf);
		strbuf_release(&v);
	}
	if (cors && !pr->own_cors)
		add_cors(r, origin, pr->expose);
	return r;
}

/* Runs on the timer thread (or on the thread stopping the server, cancelled = true): the
 * delay is over, or the server is going away and answers now. */
static void on_delay_over(void *arg, bool cancelled)
{
	struct req_ctx *ctx = arg;
	(void)cancelled;
	MHD_resume_connection(ctx->conn);
}

/* Suspends the connection for ms; false (nothing done) once the server is stopping. */
static bool suspend_for(struct MHD_Connection *c, struct req_ctx *ctx, unsigned ms)
{
	struct http *h = ctx->h;
	bool ok = false;
	pthread_mutex_lock(&h->timer_lock);
	if (h->timers && !h->stopping) {
		ctx->conn = c;
		ctx->suspended = true;
		MHD_suspend_connection(c);
		timers_add(h->timers, ms, on_delay_over, ctx);
		ok = true;
	}
	pthread_mutex_unlock(&h->timer_lock);
	return ok;
}

/*
 * fault: reset. MHD_NO makes MHD close the connection, but it shuts the write side down
 * first, which sends a FIN: the client would see a clean end of stream. A zero linger makes
 * the close send a reset, and on Linux connecting to AF_UNSPEC aborts the connection with a
 * reset right away (MHD's shutdown then fails harmlessly on the disconnected socket).
 */
static enum MHD_Result reset_connection(struct MHD_Connection *c, struct req_ctx *ctx)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci) {
		struct linger lg = { 1, 0 };
		struct sockaddr unspec;
		setsockopt(ci->connect_fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		memset(&unspec, 0, sizeof(unspec));
		unspec.sa_family = AF_UNSPEC;
		connect(ci->connect_fd, &unspec, sizeof(unspec));
	}
	ctx->status = 0;
	record(c, ctx);
	strbuf_adds(&ctx->note, "fault: reset");
	fault_on_purpose = true;
	return MHD_NO;
}

/* Queues what a delay held back; runs on the handler call that follows the resume. */
static enum MHD_Result finish_pending(struct MHD_Connection *c, struct req_ctx *ctx)
{
	ctx->suspended = false;
	if (ctx->pending_reset)
		return reset_connection(c, ctx);
	record(c, ctx);
	enum MHD_Result ret = MHD_queue_response(c, ctx->pending_status, ctx->pending);
	if (ctx->pending_owned)
		MHD_destroy_response(ctx->pending);
	ctx->pending = NULL;
	return ret;
}

static unsigned pick_delay(struct cannery_server *srv, const struct stub_response *sr)
{
	if (sr->delay_max_ms <= sr->delay_min_ms)
		return sr->delay_min_ms;
	return sr->delay_min_ms + (unsigned)rng_below(&srv->rng, (uint64_t)(sr->delay_max_ms - sr->delay_min_ms) + 1);
}

static struct MHD_Response *prebuilt(const struct stub_response *sr, const struct prepared_resp *pr, bool star);

/* The fixed response of sr (star: the CORS * variant), built once by the first request
 * that needs it; a thread that loses the race to publish it drops its own copy. */
static struct MHD_Response *fixed_response(const struct stub_response *sr, struct prepared_resp *pr, bool star)
{
	_Atomic(struct MHD_Response *) *slot = star ? &pr->star : &pr->plain;
	struct MHD_Response *r = atomic_load_explicit(slot, memory_order_acquire);
	if (r)
		return r;
	struct MHD_Response *fresh = prebuilt(sr, pr, star);
	if (atomic_compare_exchange_strong_explicit(slot, &r, fresh, memory_order_acq_rel, memory_order_acquire))
		return fresh;
	MHD_destroy_response(fresh);
	return r;
}

/* Answers with response idx of stub s (seq: its hit count). */
static enum MHD_Result answer(struct MHD_Connection *c, struct req_ctx *ctx, const struct stub *s, size_t idx,
			      uint64_t seq, struct req_view *view, const char *origin)
{
	struct cannery_server *srv = ctx->h->srv;
	const struct stub_response *sr = stub_response_at(s, idx);
	struct prepared *pp = ctx->set->attached[s->slot];
	struct prepared_resp *pr = &pp->r[idx < pp->n ? idx : 0];
	bool cors = srv->cfg.cors;
	ctx->stub_id = s->id;
	ctx->status = sr->status;
	unsigned delay = pick_delay(srv, sr);
	struct MHD_Response *r = NULL;
	bool owned = false;
	if (!sr->fault_reset) {
		if (!sr->dynamic && (!origin || pr->own_cors)) {
			/* the fast path: a prebuilt response, nothing allocated (after its first use) */
			r = fixed_response(sr, pr, cors && !pr->own_cors);
		} else {
			struct params params = { NULL, 0 };
			if (sr->dynamic)
				stub_path_ok(s, view, &params);
			struct render_ctx rc = { view, &params, &srv->rng, seq, 0 };
			r = build_response(sr, pr, &rc, origin, cors);
			owned = true;
			if (!r)
				return MHD_NO;
		}
	}
	if (delay) {
		ctx->pending = r;
		ctx->pending_owned = owned;
		ctx->pending_status = (unsigned)sr->status;
		ctx->pending_reset = sr->fault_reset;
		if (suspend_for(c, ctx, delay))
			return MHD_YES;
		ctx->pending = NULL;
	}
	if (sr->fault_reset)
		return reset_connection(c, ctx);
	record(c, ctx);
	enum MHD_Result ret = MHD_queue_response(c, (unsigned)sr->status, r);
	if (owned)
		MHD_destroy_response(r);
	return ret;
}

/* OPTIONS with Origin and Access-Control-Request-Method. */
static bool is_preflight(struct MHD_Connection *c, const struct req_ctx *ctx, const char *origin)
{
	return origin && strcmp(ctx->method, "OPTIONS") == 0 &&
	       MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Access-Control-Request-Method");
}

/* The best stub that lists OPTIONS explicitly and accepts the request: it answers the
 * preflight instead of the built-in one (a stub with any method does not). */
static const struct stub *options_stub(const struct stub_set *set, struct req_view *view)
{
	for (size_t i = 0; i < set->noptions; i++) {
		const struct stub *s = set->options[i];
		if (stub_path_ok(s, view, NULL) && stub_conditions_ok(s, view))
			return s;
	}
	return NULL;
}

static enum MHD_Result queue_preflight(struct MHD_Connection *c, struct req_ctx *ctx, const char *origin)
{
	const char *method = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Access-Control-Request-Method");
	const char *headers = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Access-Control-Request-Headers");
	const char *pna = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Access-Control-Request-Private-Network");
	struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN, origin);
	MHD_add_response_header(r, "Access-Control-Allow-Credentials", "true");
	MHD_add_response_header(r, "Access-Control-Allow-Methods", method);
	if (headers && *headers)
		MHD_add_response_header(r, "Access-Control-Allow-Headers", headers);
	/* Chrome asks before a public page may call a loopback server */
	if (pna && strcasecmp(pna, "true") == 0)
		MHD_add_response_header(r, "Access-Control-Allow-Private-Network", "true");
	MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Origin");
	ctx->status = MHD_HTTP_NO_CONTENT;
	record(c, ctx);
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_NO_CONTENT, r);
	MHD_destroy_response(r);
	strbuf_adds(&ctx->note, "cors preflight");
	return ret;
}

/*
 * Matching, choosing the response and moving the scenario are one step under the state
 * lock when it matters: when the set has `state:` stubs the whole lookup runs under it
 * (the matchers read scenario states), else only the hit count of a stub that needs one.
 */
static enum MHD_Result respond(struct MHD_Connection *c, struct req_ctx *ctx)
{
	if (ctx->px)
		return answer_proxied(c, ctx);
	if (is_admin_path(ctx->path))
		return queue_admin(c, ctx);
	struct cannery_server *srv = ctx->h->srv;
	struct state *st = srv->state;
	if (ctx->h->srv->proxy && ctx->h->srv->cfg.proxy_all)
		return forward(c, ctx);
	struct req_view view = { 0 };
	view.method = ctx->method;
	view.path = ctx->path;
	view.arena = &ctx->arena;
	capture(c, ctx);
	view.query = ctx->query;
	view.nquery = ctx->nquery;
	view.headers = ctx->headers;
	view.nheaders = ctx->nheaders;
	view.cookies = ctx->cookies;
	view.ncookies = ctx->ncookies;
	view.body = ctx->body.buf;
	view.body_len = ctx->body.len;
	const char *origin = cors_origin(c, ctx);
	bool preflight = is_preflight(c, ctx, origin);
	bool locked = false;
	if (ctx->set->has_states) {
		view.scenario_state = state_scenario_locked;
		view.scenario_cls = st;
		state_lock(st);
		locked = true;
	}
	enum MHD_Result ret;
	const struct stub *s = preflight ? options_stub(ctx->set, &view) : router_lookup(ctx->set->router, &view, NULL);
	if (!s) {
		if (preflight)
			ret = queue_preflight(c, ctx, origin);
		else if (srv->proxy)
			ret = forward(c, ctx);
		else
			ret = queue_miss(c, ctx, &view);
		if (locked)
			state_unlock(st);
	} else {
		size_t idx = 0;
		uint64_t seq = 0;
		if (s->counts_hits) {
			if (!locked)
				state_lock(st);
			locked = true;
			idx = state_hit_locked(st, s, &seq);
		}
		if (locked)
			state_unlock(st);
		ret = answer(c, ctx, s, idx, seq, &view, origin);
	}
	req_view_release(&view);
	return ret;
}

/*
 * A zeroed context for a new request. (Reusing one context per connection saved ~1.4% of
 * a matched request's instructions, but a connection that closed while its context was
 * still marked in use, with no completion callback to follow, leaked it: fuzz_request
 * found that, so every request allocates its own again.)
 */
static struct req_ctx *req_ctx_take(struct MHD_Connection *c)
{
	(void)c;
	return xcalloc(1, sizeof(struct req_ctx));
}

/* The request is over. */
static void req_ctx_give_back(struct req_ctx *ctx)
{
	free(ctx);
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
	fault_on_purpose = false;
	if (!ctx || !ctx->h) {
		/* the URI log callback normally made the context already (raw_uri) */
		if (!ctx) {
			ctx = req_ctx_take(c);
			arena_init(&ctx->arena);
		}
		ctx->h = h;
		clock_gettime(CLOCK_MONOTONIC, &ctx->start);
		clock_gettime(CLOCK_REALTIME, &ctx->wall);
		ctx->conn = c;
		ctx->method = arena_strdup(&ctx->arena, method);
		ctx->path = split_absolute_form(&ctx->arena, url, &ctx->authority);
		/* admin calls stay out of the journal, refused ones included */
		ctx->admin = is_admin_path(ctx->path);
		ctx->set = server_acquire(h->srv);
		atomic_fetch_add(&h->inflight, 1);
		*req_cls = ctx;
		check_headers(h, c, version, ctx);
		/* a refusal answers before the body is read; MHD then closes the connection */
		if (ctx->refuse)
			return queue_refusal(c, ctx, ctx->refuse, ctx->refuse_msg);
		return MHD_YES;
	}
	if (ctx->suspended)
		return finish_pending(c, ctx);
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
	if (ctx->answer) {
		/* a deferred admin answer: MHD resumed the connection and called us again */
		char *json = ctx->answer;
		ctx->answer = NULL;
		enum MHD_Result ret = queue_json(c, ctx, (unsigned)ctx->answer_status, json, strlen(json));
		free(json);
		return ret;
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
	if (!ctx->h) {
		/* MHD gave up on the request before the access handler saw it */
		arena_release(&ctx->arena);
		req_ctx_give_back(ctx);
		*req_cls = NULL;
		return;
	}
	/* the client went away during a delay: its answer was decided all the same */
	if (ctx->pending && !ctx->recorded) {
		ctx->status = ctx->pending_reset ? 0 : (int)ctx->pending_status;
		record(c, ctx);
	}
	log_request(h, ctx, toe);
	if (ctx->pending && ctx->pending_owned)
		MHD_destroy_response(ctx->pending);
	proxy_exchange_destroy(ctx->px);
	stub_set_unref(ctx->set);
	strbuf_release(&ctx->body);
	strbuf_release(&ctx->note);
	strbuf_release(&ctx->detail);
	free(ctx->answer);
	arena_release(&ctx->arena);
	req_ctx_give_back(ctx);
	*req_cls = NULL;
	atomic_fetch_sub(&h->inflight, 1);
}

/* Runs on MHD worker threads, before the first access-handler call; what it returns is
 * the request's *req_cls. Keeps the request target as sent, which the proxy forwards
 * byte for byte (MHD hands the handler a decoded path and parsed arguments). */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	(void)cls;
	struct req_ctx *ctx = req_ctx_take(c);
	arena_init(&ctx->arena);
	ctx->raw_uri = arena_strdup(&ctx->arena, uri);
	return ctx;
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
	if (fault_on_purpose && strstr(sb.buf, "Application reported internal error")) {
		fault_on_purpose = false;
		strbuf_release(&sb);
		return;
	}
	if (sb.buf[sb.len - 1] != '\n')
		strbuf_addc(&sb, '\n');
	ssize_t w = write(h->srv->cfg.log_fd, sb.buf, sb.len);
	(void)w;
	strbuf_release(&sb);
}

/* ---- prebuilt responses ---- */

static void free_prepared(void **attached, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct prepared *p = attached[i];
		if (!p)
			continue;
		for (size_t j = 0; j < p->n; j++) {
			struct MHD_Response *plain = atomic_load(&p->r[j].plain), *star = atomic_load(&p->r[j].star);
			if (plain)
				MHD_destroy_response(plain);
			if (star)
				MHD_destroy_response(star);
			free(p->r[j].expose);
		}
		free(p);
	}
	free(attached);
}

static struct MHD_Response *prebuilt(const struct stub_response *sr, const struct prepared_resp *pr, bool star)
{
	/* PERSISTENT: the bytes live in the stub, which outlives every request that
	 * holds this set */
	struct MHD_Response *r = MHD_create_response_from_buffer(sr->body_len, sr->body, MHD_RESPMEM_PERSISTENT);
	if (!r) {
		fprintf(stderr, "cannery: out of memory building responses\n");
		abort();
	}
	if (sr->content_type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, sr->content_type);
	for (size_t j = 0; j < sr->nheaders; j++)
		MHD_add_response_header(r, sr->headers[j].name, sr->headers[j].value);
	if (star && !pr->own_cors)
		add_cors(r, NULL, pr->expose);
	return r;
}

/* The stub's own header names for Access-Control-Expose-Headers (Content-Type and CORS
 * headers left out: scripts may read the first anyway), or NULL. */
static char *expose_list(const struct stub_response *sr, bool *own_cors)
{
	struct strbuf sb = STRBUF_INIT;
	*own_cors = false;
	for (size_t i = 0; i < sr->nheaders; i++) {
		const char *name = sr->headers[i].name;
		if (strcasecmp(name, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN) == 0)
			*own_cors = true;
		if (strcasecmp(name, MHD_HTTP_HEADER_CONTENT_TYPE) == 0 || strncasecmp(name, "access-control-", 15) == 0)
			continue;
		bool dup = false;
		for (size_t j = 0; j < i; j++)
			if (strcasecmp(sr->headers[j].name, name) == 0)
				dup = true;
		if (dup)
			continue;
		if (sb.len)
			strbuf_adds(&sb, ", ");
		strbuf_adds(&sb, name);
	}
	return sb.len ? strbuf_detach(&sb, NULL) : NULL;
}

void http_prepare_set(struct stub_set *set)
{
	set->attached = xcalloc(set->n ? set->n : 1, sizeof(void *));
	set->attached_free = free_prepared;
	for (size_t i = 0; i < set->n; i++) {
		struct stub *s = set->stubs[i];
		size_t n = stub_response_count(s);
		struct prepared *p = xcalloc(1, sizeof(*p) + n * sizeof(p->r[0]));
		p->n = n;
		for (size_t j = 0; j < n; j++) {
			const struct stub_response *sr = stub_response_at(s, j);
			struct prepared_resp *pr = &p->r[j];
			pr->expose = expose_list(sr, &pr->own_cors);
			/* the MHD responses themselves come on first use (fixed_response) */
		}
		set->attached[i] = p;
	}
}

/* ---- lifecycle ---- */

struct http *http_create(struct cannery_server *srv)
{
	struct http *h = xcalloc(1, sizeof(*h));
	h->srv = srv;
	h->listen_fd = -1;
	atomic_init(&h->inflight, 0);
	pthread_mutex_init(&h->timer_lock, NULL);
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
	h->timers = timers_create();
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
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONNECTION_MEMORY,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, h,
		MHD_OPTION_END);
	if (!h->daemon) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_adds(&sb, "cannot start the HTTP server (libmicrohttpd refused the options)");
		*error = strbuf_detach(&sb, NULL);
		return -EIO;
	}
	return 0;
}

/* No delay is scheduled after this; every pending one fires now (cancelled), resuming
 * its connection, so that no connection is left suspended when the daemon stops. */
static void stop_timers(struct http *h)
{
	pthread_mutex_lock(&h->timer_lock);
	h->stopping = true;
	struct timers *t = h->timers;
	h->timers = NULL;
	pthread_mutex_unlock(&h->timer_lock);
	timers_destroy(t);
}

void http_stop(struct http *h)
{
	if (!h || !h->daemon)
		return;
	MHD_socket fd = MHD_quiesce_daemon(h->daemon);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	h->listen_fd = -1;
	stop_timers(h);
	/* let requests in flight finish: poll, bounded, since MHD has no completion wait */
	for (int i = 0; i < 1000 && atomic_load(&h->inflight) > 0; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	/* MHD must not stop with a connection suspended: every exchange still in flight
	 * ends (503) and resumes its connection, which then gets its answer */
	if (h->srv->proxy) {
		proxy_stop(h->srv->proxy);
		for (int i = 0; i < 200 && atomic_load(&h->inflight) > 0; i++) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	MHD_stop_daemon(h->daemon);
	h->daemon = NULL;
}

void http_destroy(struct http *h)
{
	if (!h)
		return;
	http_stop(h);
	stop_timers(h);
	if (h->listen_fd >= 0)
		close(h->listen_fd);
	pthread_mutex_destroy(&h->timer_lock);
	free(h);
}
