/* SPDX-License-Identifier: MIT */
/* One request from its headers to its journal entry and log line. */
#include "pipeline.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "access_log.h"
#include "admin.h"
#include "wiremock_admin.h"
#include "cannery/cannery.h"
#include "cors.h"
#include "dashboard.h"
#include "dispatch.h"
#include "guard.h"
#include "journal.h"
#include "metrics.h"
#include "proxy.h"
#include "recorder.h"
#include "slot.h"
#include "stub_set.h"
#include "timers.h"
#include "util/xalloc.h"

struct pipeline {
	struct pipeline_config cfg;
	struct dispatch_config dispatch;
	struct guard_config guard;
};

struct pipeline *pipeline_create(const struct pipeline_config *cfg)
{
	struct pipeline *p = xcalloc(1, sizeof(*p));
	p->cfg = *cfg;
	p->dispatch = (struct dispatch_config){
		.state = cfg->state,
		.rng = cfg->rng,
		.cors = cfg->cors,
		.verbose = cfg->log == CANNERY_LOG_VERBOSE,
		.forward_misses = cfg->proxy != NULL,
	};
	p->guard = (struct guard_config){
		.host_check = cfg->loopback,
		.allow_hosts = cfg->allow_hosts,
		.nallow_hosts = cfg->nallow_hosts,
		.max_body = cfg->max_body,
	};
	return p;
}

void pipeline_destroy(struct pipeline *p)
{
	free(p);
}

bool pipeline_is_admin_path(const char *path)
{
	size_t n = strlen(ADMIN_PREFIX);
	return (strncmp(path, ADMIN_PREFIX, n) == 0 && (path[n] == '/' || path[n] == '\0')) || wm_admin_path(path);
}

/* ---- the journal ---- */

static double ms_since(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) * 1e3 + (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

static void put_header(struct kv *out, size_t *n, size_t max, const char *name, const char *value)
{
	if (*n < max)
		out[(*n)++] = (struct kv){ name, value, strlen(value) };
}

/* The headers the answer sends, at most max: the reply's, and for a fixed response or a
 * shared answer (which the adapter expands only later, reply_expand) theirs and the CORS
 * ones it adds. Content-Length and Date, which libmicrohttpd adds, are not listed. */
static size_t answer_headers(const struct reply *r, struct kv *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nheaders; i++)
		put_header(out, &n, max, r->headers[i].name, r->headers[i].value);
	bool later = (r->fixed || r->shared) && !r->body;
	if (later && r->fixed)
		for (size_t i = 0; i < r->fixed->nheaders; i++)
			put_header(out, &n, max, r->fixed->headers[i].name, r->fixed->headers[i].value);
	else if (later)
		for (size_t i = 0; i < r->shared->nheaders; i++)
			put_header(out, &n, max, r->shared->headers[i].name, r->shared->headers[i].value);
	if (later && r->star && !r->prepared->own_cors) {
		/* what cors_add gives a prebuilt answer */
		put_header(out, &n, max, "Access-Control-Allow-Origin", "*");
		put_header(out, &n, max, "Vary", "Origin");
		if (r->prepared->expose)
			put_header(out, &n, max, "Access-Control-Expose-Headers", r->prepared->expose);
	}
	return n;
}

/* The body, Content-Type and headers the reply sends, wherever it keeps them: a stub's
 * fixed response and a front-end's shared answer are expanded by the adapter only later.
 * hdrs (JOURNAL_RESPONSE_HEADERS long) holds the headers until the entry is made. */
static void answer_sent(const struct reply *r, struct journal_draft *d, struct kv *hdrs)
{
	if (r->fault)
		return;
	d->resp_headers = hdrs;
	d->nresp_headers = answer_headers(r, hdrs, JOURNAL_RESPONSE_HEADERS);
	d->resp_type = r->content_type;
	d->resp_body = r->body;
	d->resp_body_len = r->body_len;
	if (r->fixed && !r->body) {
		d->resp_type = r->fixed->content_type;
		for (size_t i = 0; !d->resp_type && i < r->fixed->nheaders; i++)
			if (strcasecmp(r->fixed->headers[i].name, "Content-Type") == 0)
				d->resp_type = r->fixed->headers[i].value;
		d->resp_body = r->fixed->body;
		d->resp_body_len = r->fixed->body_len;
	} else if (r->shared && !r->body) {
		d->resp_type = r->shared->content_type;
		d->resp_body = r->shared->body;
		d->resp_body_len = r->shared->body_len;
	}
	for (size_t i = 0; !d->resp_type && i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, "Content-Type") == 0)
			d->resp_type = r->headers[i].value;
	if (!d->resp_body) {
		/* an empty body, kept as such */
		d->resp_body = "";
		d->resp_body_len = 0;
	}
}

/* Journals the request once its answer is decided, before a byte of it is sent. A delayed
 * answer is journaled when the delay is over, so its duration includes the delay. */
static void journal(struct pipeline *p, struct exchange *x)
{
	if (x->admin || x->journaled)
		return;
	x->journaled = true;
	const struct req_view *v = &x->view;
	int status = x->reply.fault ? 0 : x->reply.status;
	struct journal_draft d = {
		.time = x->wall,
		.duration_ms = ms_since(&x->start),
		.status = status,
		.method = v->method,
		.path = v->path,
		.target = v->target,
		.stub = x->reply.stub_id,
		.note = x->reply.note,
		.query = v->query,
		.nquery = v->nquery,
		.headers = v->headers,
		.nheaders = v->nheaders,
		.cookies = v->cookies,
		.ncookies = v->ncookies,
		.body = v->body,
		.body_len = v->body_len,
	};
	struct kv hdrs[JOURNAL_RESPONSE_HEADERS];
	if (!x->miss)
		answer_sent(&x->reply, &d, hdrs);
	metrics_count(p->cfg.metrics, status, d.stub);
	journal_append(p->cfg.journal, journal_entry_create(&d));
}

static enum pipe_result answered(struct pipeline *p, struct exchange *x)
{
	x->stage = STAGE_ANSWERED;
	journal(p, x);
	return PIPE_ANSWER;
}

/* ---- refusals ---- */

static enum pipe_result refuse(struct pipeline *p, struct exchange *x, struct guard_refusal r)
{
	struct strbuf sb = STRBUF_INIT;
	const struct kv *host = req_view_header(&x->view, "Host");
	guard_refusal_json(&p->guard, &r, x->authority ? x->authority : host ? host->value : NULL, &sb);
	reply_json(&x->reply, r.status, &sb);
	if (p->cfg.cors && !x->admin)
		cors_add(&x->reply, &x->arena, cors_origin(&x->view, true), NULL);
	strbuf_addf(&x->note, "refused: %s", r.reason);
	return answered(p, x);
}

enum pipe_result pipeline_begin(struct pipeline *p, struct exchange *x)
{
	x->admin = pipeline_is_admin_path(x->view.path);
	x->set = slot_acquire(p->cfg.slot);
	struct guard_refusal r = guard_check_target(x->raw_uri);
	if (!r.status)
		r = guard_check(&p->guard, x->view.headers, x->view.nheaders, x->http10, x->authority);
	if (r.status)
		return refuse(p, x, r);
	return PIPE_CONTINUE;
}

enum pipe_result pipeline_too_large(struct pipeline *p, struct exchange *x)
{
	return refuse(p, x, (struct guard_refusal){ 413, "request body too large" });
}

/* ---- the admin API ---- */

/* Runs on the handler's thread, inside admin_handle. */
static void admin_suspend(void *arg)
{
	struct exchange *x = arg;
	x->stage = STAGE_ADMIN_WAIT;
	x->suspend(x);
}

/* Runs on whichever thread ends a wait; the adapter calls pipeline_handle again once
 * resumed. */
static void admin_answer(void *arg, int status, char *json)
{
	struct exchange *x = arg;
	x->answer_status = status;
	x->answer = json;
	x->resume(x);
}

static enum pipe_result admin(struct pipeline *p, struct exchange *x)
{
	struct strbuf out = STRBUF_INIT;
	const char *type = NULL;
	const struct kv *origin = req_view_header(&x->view, "Origin");
	const struct kv *auth = req_view_header(&x->view, "Authorization");
	struct admin_request req = {
		.method = x->view.method,
		.path = x->view.path,
		.query = x->view.query,
		.nquery = x->view.nquery,
		.origin = origin ? origin->value : NULL,
		.authorization = auth ? auth->value : NULL,
		.body = x->view.body,
		.body_len = x->view.body_len,
		.suspend = admin_suspend,
		.answer = admin_answer,
		.arg = x,
	};
	x->reply.stub_id = "admin";
	if (dashboard_path(req.path)) {
		dashboard_serve(p->cfg.admin, &req, &x->reply, &x->arena);
		return answered(p, x);
	}
	int status;
	if (!wm_admin_path(req.path))
		status = admin_handle(p->cfg.admin, &req, &out, &type);
	else if ((status = admin_check_access(p->cfg.admin, &req, &out)) != 0)
		type = "application/json";
	else
		status = wm_admin_handle(p->cfg.admin, &req, &out, &type);
	if (status == ADMIN_DEFERRED) {
		strbuf_release(&out);
		return PIPE_DEFER;
	}
	x->reply.status = status;
	reply_take_body(&x->reply, &out, type);
	return answered(p, x);
}

static enum pipe_result admin_resumed(struct pipeline *p, struct exchange *x)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, x->answer);
	free(x->answer);
	x->answer = NULL;
	reply_json(&x->reply, x->answer_status, &sb);
	return answered(p, x);
}

/* ---- proxying ---- */

/* Runs on the proxy thread (or on this thread when the proxy is stopping): the result is
 * in the exchange; resuming makes the adapter call pipeline_handle again. x may be freed
 * as soon as it is resumed, so that comes last. */
static void on_forwarded(struct proxy_exchange *ex, void *arg)
{
	struct exchange *x = arg;
	(void)ex;
	x->resume(x);
}

/* Hands the request to the proxy thread and parks the connection: no thread waits on the
 * upstream. The connection is suspended before the exchange is submitted, so the
 * completion can never resume it first. */
/* Forwards the request: to upstream (a stub's proxyBaseUrl) on the stub proxy, or (NULL)
 * to --proxy's upstream. */
static enum pipe_result forward_to(struct pipeline *p, struct exchange *x, const char *upstream)
{
	struct proxy *px = upstream ? (p->cfg.stub_proxy ? p->cfg.stub_proxy(p->cfg.stub_proxy_cls) : NULL) : p->cfg.proxy;
	if (!px) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_adds(&sb, "{\"error\":\"cannot start the proxy for a stub that forwards\"}");
		reply_json(&x->reply, 502, &sb);
		return answered(p, x);
	}
	const char *target = x->raw_uri ? x->raw_uri : x->view.path;
	if (target[0] != '/') {
		/* absolute-form: forward the path and query only */
		const char *scheme = strstr(target, "://");
		const char *slash = scheme ? strchr(scheme + 3, '/') : NULL;
		if (!scheme)
			return refuse(p, x, (struct guard_refusal){ 400, "cannot forward this request target" });
		target = slash ? slash : "/";
	}
	bool has_body = req_view_header(&x->view, "Content-Length") || req_view_header(&x->view, "Transfer-Encoding");
	x->px = proxy_exchange_create_to(px, upstream, x->view.method, target, x->view.body, x->view.body_len, has_body);
	for (size_t i = 0; i < x->view.nheaders; i++)
		proxy_exchange_add_header(x->px, x->view.headers[i].name, x->view.headers[i].value);
	x->stage = STAGE_FORWARDED;
	x->suspend(x);
	proxy_submit(px, x->px, on_forwarded, x);
	return PIPE_DEFER;
}

static enum pipe_result forward(struct pipeline *p, struct exchange *x)
{
	return forward_to(p, x, NULL);
}

/* Writes a proxied exchange as a stub, before it is answered: a response the client has
 * seen is always on disk (or its failure logged). */
static void record(struct pipeline *p, struct exchange *x, const struct proxy_result *res)
{
	struct record_exchange ex = { 0 };
	char *file = NULL, *error = NULL;
	enum record_outcome outcome;
	const struct kv *ct = req_view_header(&x->view, "Content-Type");
	ex.method = x->view.method;
	ex.path = x->view.path;
	ex.query = x->view.query;
	ex.nquery = x->view.nquery;
	ex.req_content_type = ct ? ct->value : NULL;
	ex.req_body = x->view.body;
	ex.req_body_len = x->view.body_len;
	ex.status = res->status;
	ex.headers = res->headers;
	ex.nheaders = res->nheaders;
	ex.body = res->body.buf;
	ex.body_len = res->body.len;
	if (recorder_record(p->cfg.recorder, &ex, &outcome, &file, &error) == 0) {
		strbuf_addf(&x->note, "; %s %s", outcome == RECORD_WROTE ? "recorded" :
			    outcome == RECORD_APPENDED ? "appended to" : "kept", file);
	} else {
		struct strbuf sb = STRBUF_INIT;
		strbuf_addf(&x->note, "; not recorded");
		strbuf_addf(&sb, "cannery: error: %s %s not recorded: %s\n", x->view.method, x->view.path, error);
		ssize_t w = write(p->cfg.log_fd, sb.buf, sb.len);
		(void)w;
		strbuf_release(&sb);
	}
	free(file);
	free(error);
}

/* The one place where a proxied exchange completes: no stub id. */
static enum pipe_result forwarded(struct pipeline *p, struct exchange *x)
{
	struct proxy_result *res = proxy_exchange_result(x->px);
	if (res->failed) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_adds(&sb, "{\"error\":");
		strbuf_add_json_string(&sb, res->error, strlen(res->error));
		strbuf_addc(&sb, '}');
		strbuf_addf(&x->note, "proxy failed: %s", res->error);
		reply_json(&x->reply, res->status, &sb);
		if (p->cfg.cors)
			cors_add(&x->reply, &x->arena, cors_origin(&x->view, true), NULL);
		return answered(p, x);
	}
	strbuf_addf(&x->note, "proxied to %s", proxy_exchange_upstream(x->px));
	/* what a stub forwards is not recorded: the stub is already there */
	if (p->cfg.recorder && !x->reply.proxy_base)
		record(p, x, res);
	x->reply.status = res->status;
	reply_take_body(&x->reply, &res->body, NULL);
	bool upstream_cors = false;
	for (size_t i = 0; i < res->nheaders; i++) {
		reply_add_header(&x->reply, &x->arena, res->headers[i].name, res->headers[i].value);
		if (strcasecmp(res->headers[i].name, "Access-Control-Allow-Origin") == 0)
			upstream_cors = true;
	}
	/* SPEC 6: every answer outside the admin API carries CORS, unless the upstream's own
	 * headers already do (two Allow-Origin headers would make browsers refuse it) */
	if (p->cfg.cors && !upstream_cors)
		cors_add(&x->reply, &x->arena, cors_origin(&x->view, true), NULL);
	return answered(p, x);
}

/* ---- stubs ---- */

/* Runs on the timer thread (cancelled: on the thread closing the timers, when the server
 * stops and answers at once). */
static void on_delay_over(void *arg, bool cancelled)
{
	struct exchange *x = arg;
	(void)cancelled;
	x->resume(x);
}

static enum pipe_result stubs(struct pipeline *p, struct exchange *x)
{
	enum dispatch_result r = dispatch(&p->dispatch, x->set, &x->view, &x->arena, &x->reply, &x->note, &x->detail);
	if (r == DISPATCH_MISS && p->cfg.proxy)
		return forward(p, x);
	if (r == DISPATCH_MATCHED && x->reply.proxy_base)
		return forward_to(p, x, x->reply.proxy_base);
	x->miss = r == DISPATCH_MISS;
	if (r == DISPATCH_MISS && p->cfg.cors)
		cors_add(&x->reply, &x->arena, cors_origin(&x->view, true), NULL);
	if (r == DISPATCH_MATCHED && x->reply.delay_ms) {
		x->stage = STAGE_DELAYED;
		x->suspend(x);
		timers_add(p->cfg.timers, x->reply.delay_ms, on_delay_over, x);
		return PIPE_DEFER;
	}
	return answered(p, x);
}

enum pipe_result pipeline_handle(struct pipeline *p, struct exchange *x)
{
	switch (x->stage) {
	case STAGE_NEW:
		if (x->admin)
			return admin(p, x);
		if (p->cfg.proxy && p->cfg.proxy_all)
			return forward(p, x);
		return stubs(p, x);
	case STAGE_DELAYED:
		return answered(p, x);
	case STAGE_FORWARDED:
		return forwarded(p, x);
	case STAGE_ADMIN_WAIT:
		return admin_resumed(p, x);
	case STAGE_ANSWERED:
		break;
	}
	return PIPE_ANSWER;
}

void pipeline_end(struct pipeline *p, struct exchange *x, bool ended_early)
{
	/* the client went away during a delay: its answer was decided all the same */
	if (x->stage == STAGE_DELAYED)
		journal(p, x);
	if (p->cfg.log != CANNERY_LOG_QUIET) {
		struct timespec wall;
		clock_gettime(CLOCK_REALTIME, &wall);
		struct access_entry e = {
			.wall = wall,
			.ms = ms_since(&x->start),
			.method = x->view.method,
			.path = x->view.path,
			.status = x->reply.fault ? 0 : x->reply.status,
			.stub_id = x->reply.stub_id,
			.note = strbuf_str(&x->note),
			.ended_early = ended_early,
			.detail = x->detail.buf,
			.detail_len = x->detail.len,
		};
		access_log_write(p->cfg.log_fd, &e, p->cfg.log_color);
	}
	req_view_release(&x->view);
	proxy_exchange_destroy(x->px);
	x->px = NULL;
	reply_release(&x->reply);
	strbuf_release(&x->note);
	strbuf_release(&x->detail);
	free(x->answer);
	x->answer = NULL;
	stub_set_unref(x->set);
	x->set = NULL;
}
