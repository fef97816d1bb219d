/* SPDX-License-Identifier: MIT */
/* The admin API under /__cannery/: health, stubs, reload, the journal (requests, count,
 * wait, verify), reset and metrics, behind the Origin and token checks of SPEC section 6. */
#include "admin.h"
#include "admin_ui.h"

#include "json.h"
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "diag.h"
#include "journal.h"
#include "metrics.h"
#include "catalog.h"
#include "config.h"
#include "reload_log.h"
#include "slot.h"
#include "state.h"
#include "stub_load.h"
#include "stub_set.h"
#include "verify.h"
#include "wait.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static void json_out(struct strbuf *out, cJSON *json)
{
	char *s = cJSON_PrintUnformatted(json);
	strbuf_adds(out, s);
	cJSON_free(s);
	cJSON_Delete(json);
}

static int error_out(struct strbuf *out, int status, const char *msg)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "error", msg);
	json_out(out, o);
	return status;
}

static size_t stub_count(const struct admin_ctx *ax)
{
	struct stub_set *set = slot_acquire(ax->slot);
	size_t n = set ? set->nlisted : 0;
	stub_set_unref(set);
	return n;
}

/* /stubs/ID names an endpoint when ID is one segment, or, since ids may hold '/' (a file
 * stub's RELPATH#INDEX, a runtime stub's name), when a stub has that id: any other deeper
 * path is unknown (404), not a known path with the wrong method (405). */
/* /stubs/ID names a stub when ID has no '/', or when a stub with that id
 * exists; a DELETE always goes to the stub table, so deleting an id with a
 * '/' twice says "no stub" rather than "unknown endpoint". */
static bool known_stub_path(const struct admin_ctx *ax, const char *id, bool del)
{
	if (del || !strchr(id, '/'))
		return true;
	struct stub_set *set = slot_acquire(ax->slot);
	bool known = set && stub_set_find(set, id);
	stub_set_unref(set);
	return known;
}

void admin_reset(const struct admin_ctx *ax)
{
	journal_clear(ax->journal);
	state_reset(ax->state);
	if (ax->on_reset)
		ax->on_reset(ax->reset_cls);
}

static int health(const struct admin_ctx *ax, struct strbuf *out)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "status", "ok");
	cJSON_AddNumberToObject(o, "stubs", (double)stub_count(ax));
	cJSON_AddStringToObject(o, "version", CANNERY_VERSION);
	json_out(out, o);
	return 200;
}

static int list_stubs(const struct admin_ctx *ax, struct strbuf *out)
{
	struct stub_set *set = slot_acquire(ax->slot);
	cJSON *o = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(o, "stubs");
	for (size_t i = 0; i < set->n; i++) {
		const struct stub *s = set->stubs[i];
		if (s->implicit)
			continue;
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "id", s->id);
		cJSON_AddItemToObject(e, "name", s->name ? cJSON_CreateString(s->name) : cJSON_CreateNull());
		cJSON_AddItemToObject(e, "file", s->file ? cJSON_CreateString(s->file) : cJSON_CreateNull());
		cJSON_AddNumberToObject(e, "line", s->line);
		cJSON *methods = cJSON_AddArrayToObject(e, "methods");
		for (size_t j = 0; j < s->req.nmethods; j++)
			cJSON_AddItemToArray(methods, cJSON_CreateString(s->req.methods[j]));
		cJSON_AddItemToObject(e, "path", s->req.path ? cJSON_CreateString(s->req.path) : cJSON_CreateNull());
		cJSON_AddNumberToObject(e, "hits", (double)metrics_stub_hits(ax->metrics, s->id));
		cJSON_AddItemToArray(arr, e);
	}
	stub_set_unref(set);
	json_out(out, o);
	return 200;
}

static int reload(const struct admin_ctx *ax, struct strbuf *out)
{
	char *errors = NULL;
	if (catalog_reload(ax->catalog, &errors) == 0) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "stubs", (double)stub_count(ax));
		json_out(out, o);
		return 200;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(o, "errors");
	/* one diagnostic a line: split them back into a JSON array */
	for (const char *line = errors; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		struct strbuf one = STRBUF_INIT;
		strbuf_add(&one, line, len);
		cJSON_AddItemToArray(arr, cJSON_CreateString(strbuf_str(&one)));
		strbuf_release(&one);
		line = nl ? nl + 1 : line + len;
	}
	/* logged as SIGHUP's reload does, so a failed reload is never silent */
	if (!ax->quiet) {
		struct strbuf log = STRBUF_INIT;
		reload_log_format(&log, false, errors, stub_count(ax), false);
		ssize_t w = write(ax->log_fd, log.buf, log.len);
		(void)w;
		strbuf_release(&log);
	}
	free(errors);
	json_out(out, o);
	return 422;
}


/* ---- security (SPEC section 6) ---- */

/* http(s)://localhost, 127.x.y.z or [::1], with any port and nothing after it. */
static bool loopback_origin(const char *o)
{
	const char *p;
	if (strncmp(o, "http://", 7) == 0)
		p = o + 7;
	else if (strncmp(o, "https://", 8) == 0)
		p = o + 8;
	else
		return false;
	const char *end;
	if (*p == '[') {
		end = strchr(p, ']');
		if (!end)
			return false;
		end++;
	} else {
		end = p + strcspn(p, ":/");
	}
	size_t len = (size_t)(end - p);
	bool ok = (len == 9 && strncasecmp(p, "localhost", 9) == 0) || (len == 5 && strncmp(p, "[::1]", 5) == 0);
	if (!ok && len >= 9 && len <= 15 && strncmp(p, "127.", 4) == 0) {
		unsigned dots = 0, digits = 0;
		ok = true;
		for (const char *q = p; q < end && ok; q++) {
			if (*q == '.') {
				ok = digits > 0 && digits <= 3;
				dots++;
				digits = 0;
			} else {
				ok = *q >= '0' && *q <= '9';
				digits++;
			}
		}
		ok = ok && dots == 3 && digits > 0 && digits <= 3;
	}
	if (!ok)
		return false;
	if (*end == ':') {
		if (!end[1])
			return false;
		for (end++; *end; end++)
			if (*end < '0' || *end > '9')
				return false;
	}
	return *end == '\0';
}

/* Compares the whole token whatever the input, so timing tells nothing about it. */
static bool token_ok(const char *want, const char *authorization)
{
	if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0)
		return false;
	const char *got = authorization + 7;
	size_t wl = strlen(want), gl = strlen(got);
	unsigned char diff = wl != gl;
	for (size_t i = 0; i < wl; i++)
		diff |= (unsigned char)(want[i] ^ got[i < gl ? i : 0]);
	return diff == 0;
}

/* ---- helpers ---- */

static int errorf(struct strbuf *out, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int errorf(struct strbuf *out, int status, const char *fmt, ...)
{
	struct strbuf msg = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	int rc = error_out(out, status, strbuf_str(&msg));
	strbuf_release(&msg);
	return rc;
}

/* Every diagnostic on one line, "; "-separated, for a 400's error string. */
static char *diags_line(const struct diag_list *diags)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < diags->n; i++) {
		char *line = diag_format(&diags->items[i]);
		if (i)
			strbuf_adds(&sb, "; ");
		strbuf_adds(&sb, line);
		free(line);
	}
	return strbuf_detach(&sb, NULL);
}

static cJSON *diags_array(const struct diag_list *diags)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < diags->n; i++) {
		char *line = diag_format(&diags->items[i]);
		cJSON_AddItemToArray(arr, cJSON_CreateString(line));
		free(line);
	}
	if (diags->dropped) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_addf(&sb, "error: %zu more errors not shown", diags->dropped);
		cJSON_AddItemToArray(arr, cJSON_CreateString(strbuf_str(&sb)));
		strbuf_release(&sb);
	}
	return arr;
}

/* A JSON number that is a whole number in [0, max], or false. */
static bool json_count(const cJSON *v, double max, size_t *out)
{
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0 || v->valuedouble > max ||
	    floor(v->valuedouble) != v->valuedouble)
		return false;
	*out = (size_t)v->valuedouble;
	return true;
}

/* The body as a JSON object with only the allowed keys, or NULL after a 400. */
static cJSON *parse_object(const struct admin_request *req, const char *const *allowed, struct strbuf *out,
			   int *status)
{
	struct json_error err = { 0, 0, 0, NULL };
	cJSON *o = req->body_len ? json_parse(req->body, req->body_len, &err) : NULL;
	if (!o && err.what && strstr(err.what, "NUL")) {
		*status = errorf(out, 400, "body:%d:%d: %s: request data is never cut short, so this body is refused",
				 err.line, err.col, err.what);
		return NULL;
	}
	if (!o || !cJSON_IsObject(o)) {
		cJSON_Delete(o);
		*status = errorf(out, 400, "the body must be a JSON object such as {\"request\":{\"method\":\"GET\","
					   "\"path\":\"/api/users\"}}");
		return NULL;
	}
	for (const cJSON *k = o->child; k; k = k->next) {
		size_t i;
		for (i = 0; allowed[i]; i++)
			if (strcmp(k->string, allowed[i]) == 0)
				break;
		if (allowed[i])
			continue;
		const char *hint = diag_suggest(k->string, allowed);
		if (hint)
			*status = errorf(out, 400, "unknown key '%s' (did you mean '%s'?)", k->string, hint);
		else
			*status = errorf(out, 400, "unknown key '%s'", k->string);
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* The body's "request" member as a matcher, or NULL after a 400. */
static struct stub *body_matcher(const struct admin_request *req, struct strbuf *out, int *status)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct stub *m = NULL;
	if (stub_load_matcher(req->body, req->body_len, "body", "request", &m, &diags) < 0) {
		char *why = diags_line(&diags);
		*status = errorf(out, 400, "invalid request matcher: %s", why);
		free(why);
	}
	diag_list_release(&diags);
	return m;
}

/* ---- stubs ---- */

static int add_stubs(const struct admin_ctx *ax, const struct admin_request *req, struct strbuf *out)
{
	struct diag_list diags = DIAG_LIST_INIT;
	char **ids = NULL;
	int status;
	if (req->body_len == 0) {
		status = errorf(out, 400, "empty body: expected one stub or a list of stubs (JSON or YAML)");
		goto out;
	}
	int rc = catalog_add(ax->catalog, req->body, req->body_len, "body", &ids, &diags);
	if (rc == -EINVAL) {
		char *why = diags_line(&diags);
		status = errorf(out, 400, "the body does not parse: %s", why);
		free(why);
	} else if (rc < 0) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddItemToObject(o, "errors", diags_array(&diags));
		json_out(out, o);
		status = 422;
	} else {
		cJSON *o = cJSON_CreateObject();
		cJSON *arr = cJSON_AddArrayToObject(o, "ids");
		for (size_t i = 0; ids[i]; i++) {
			cJSON_AddItemToArray(arr, cJSON_CreateString(ids[i]));
			free(ids[i]);
		}
		free(ids);
		json_out(out, o);
		status = 201;
	}
out:
	diag_list_release(&diags);
	return status;
}

static int delete_stub(const struct admin_ctx *ax, const char *id, struct strbuf *out)
{
	int rc = catalog_remove(ax->catalog, id);
	if (rc == 0)
		return 204;
	if (rc == -EPERM)
		return errorf(out, 409, "stub '%s' comes from a stub file: edit or delete the file instead", id);
	if (rc == -EACCES)
		return errorf(out, 409, "stub '%s' comes from a WireMock root or a --crud file: edit the file, or "
			      "delete a mapping through DELETE /__admin/mappings/ID", id);
	return errorf(out, 404, "no stub with id '%s'", id);
}

/* ---- the journal ---- */

static bool passes(const struct journal_entry *e, const struct requests_filter *f)
{
	if (f->method && strcasecmp(f->method, e->method) != 0)
		return false;
	if (f->path && strcmp(f->path, e->path) != 0)
		return false;
	if (f->stub && (!e->stub || strcmp(f->stub, e->stub) != 0))
		return false;
	if (f->matched >= 0 && (e->stub != NULL) != (f->matched == 1))
		return false;
	return true;
}

void admin_requests_json(const struct admin_ctx *ax, const struct requests_filter *f, struct strbuf *out)
{
	static const struct requests_filter all = { NULL, NULL, NULL, -1, 0, SIZE_MAX };
	if (!f)
		f = &all;
	struct journal_snapshot snap;
	journal_snapshot(ax->journal, f->since, &snap);
	size_t total = 0, shown = 0;
	strbuf_adds(out, "{\"requests\":[");
	for (size_t i = 0; i < snap.n; i++) {
		if (!passes(snap.v[i], f))
			continue;
		total++;
		if (shown == f->limit)
			continue;
		if (shown++)
			strbuf_addc(out, ',');
		journal_entry_json(snap.v[i], out);
	}
	strbuf_addf(out, "],\"total\":%zu,\"evicted\":%llu}", total, (unsigned long long)snap.evicted);
	journal_snapshot_release(&snap);
}

static bool parse_u64(const char *s, uint64_t *out)
{
	if (!*s)
		return false;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	errno = 0;
	unsigned long long v = strtoull(s, NULL, 10);
	if (errno)
		return false;
	*out = v;
	return true;
}

static int list_requests(const struct admin_ctx *ax, const struct admin_request *req, struct strbuf *out)
{
	static const char *const names[] = { "method", "path", "stub", "matched", "since", "limit", NULL };
	struct requests_filter f = { NULL, NULL, NULL, -1, 0, SIZE_MAX };
	for (size_t i = 0; i < req->nquery; i++) {
		const char *n = req->query[i].name, *v = req->query[i].value;
		uint64_t u;
		if (strcmp(n, "method") == 0) {
			f.method = v;
		} else if (strcmp(n, "path") == 0) {
			f.path = v;
		} else if (strcmp(n, "stub") == 0) {
			f.stub = v;
		} else if (strcmp(n, "matched") == 0) {
			if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
				return errorf(out, 400, "invalid value '%s' for 'matched': expected true or false", v);
			f.matched = strcmp(v, "true") == 0;
		} else if (strcmp(n, "since") == 0) {
			if (!parse_u64(v, &u))
				return errorf(out, 400, "invalid value '%s' for 'since': expected a sequence number", v);
			f.since = u;
		} else if (strcmp(n, "limit") == 0) {
			if (!parse_u64(v, &u))
				return errorf(out, 400, "invalid value '%s' for 'limit': expected a number", v);
			f.limit = u > SIZE_MAX ? SIZE_MAX : (size_t)u;
		} else {
			const char *hint = diag_suggest(n, names);
			if (hint)
				return errorf(out, 400, "unknown filter '%s' (did you mean '%s'?)", n, hint);
			return errorf(out, 400, "unknown filter '%s': use method, path, stub, matched, since or limit", n);
		}
	}
	admin_requests_json(ax, &f, out);
	return 200;
}

static int count_requests(const struct admin_ctx *ax, const struct admin_request *req, struct strbuf *out)
{
	static const char *const keys[] = { "request", NULL };
	int status = 200;
	cJSON *o = parse_object(req, keys, out, &status);
	if (!o)
		return status;
	cJSON_Delete(o);
	struct stub *m = body_matcher(req, out, &status);
	if (!m)
		return status;
	struct verify_result vr;
	verify_journal(m, ax->journal, 0, SIZE_MAX, &vr);
	strbuf_addf(out, "{\"count\":%zu}", vr.count);
	verify_result_release(&vr);
	stub_destroy(m);
	return 200;
}

static void miss_json(struct strbuf *out, const struct verify_miss *v, size_t n)
{
	strbuf_adds(out, "\"near_misses\":[");
	for (size_t i = 0; i < n; i++) {
		const struct journal_entry *e = v[i].entry;
		if (i)
			strbuf_addc(out, ',');
		strbuf_addf(out, "{\"seq\":%llu,\"method\":", (unsigned long long)e->seq);
		strbuf_add_json_string(out, e->method, strlen(e->method));
		strbuf_adds(out, ",\"path\":");
		strbuf_add_json_string(out, e->path, strlen(e->path));
		strbuf_adds(out, ",\"mismatches\":");
		mismatches_add_json(&v[i].why, out);
		strbuf_addc(out, '}');
	}
	strbuf_addc(out, ']');
}

static int verify(const struct admin_ctx *ax, const struct admin_request *req, struct strbuf *out)
{
	static const char *const keys[] = { "request", "count", "at_least", "at_most", NULL };
	int status = 200;
	cJSON *o = parse_object(req, keys, out, &status);
	if (!o)
		return status;
	const cJSON *exact = cJSON_GetObjectItemCaseSensitive(o, "count");
	const cJSON *least = cJSON_GetObjectItemCaseSensitive(o, "at_least");
	const cJSON *most = cJSON_GetObjectItemCaseSensitive(o, "at_most");
	size_t lo = 1, hi = SIZE_MAX, n;
	const char *bad = NULL;
	if (exact && (least || most)) {
		cJSON_Delete(o);
		return errorf(out, 400, "give either 'count' or 'at_least'/'at_most', not both");
	}
	if (exact) {
		if (json_count(exact, 1e15, &n))
			lo = hi = n;
		else
			bad = "count";
	}
	if (least) {
		if (json_count(least, 1e15, &n))
			lo = n;
		else
			bad = "at_least";
	}
	if (most) {
		if (json_count(most, 1e15, &n))
			hi = n;
		else
			bad = "at_most";
		if (!least)
			lo = 0;
	}
	cJSON_Delete(o);
	if (bad)
		return errorf(out, 400, "'%s' must be a whole number of requests (0 or more)", bad);
	if (lo > hi)
		return errorf(out, 400, "'at_least' is larger than 'at_most'");
	struct stub *m = body_matcher(req, out, &status);
	if (!m)
		return status;
	struct verify_result vr;
	verify_journal(m, ax->journal, lo, hi, &vr);
	if (vr.ok) {
		strbuf_addf(out, "{\"ok\":true,\"count\":%zu}", vr.count);
		status = 200;
	} else {
		strbuf_addf(out, "{\"ok\":false,\"count\":%zu,\"expected\":{", vr.count);
		if (exact)
			strbuf_addf(out, "\"count\":%zu", lo);
		else if (most && least)
			strbuf_addf(out, "\"at_least\":%zu,\"at_most\":%zu", lo, hi);
		else if (most)
			strbuf_addf(out, "\"at_most\":%zu", hi);
		else
			strbuf_addf(out, "\"at_least\":%zu", lo);
		strbuf_adds(out, "},");
		miss_json(out, vr.near, vr.nnear);
		strbuf_addc(out, '}');
		status = 409;
	}
	verify_result_release(&vr);
	stub_destroy(m);
	return status;
}

/* A deferred wait's way back to the HTTP layer: lives until the answer. */
struct pending {
	void (*suspend)(void *arg);
	void (*answer)(void *arg, int status, char *json);
	void *arg;
};

static char *count_json(int status, size_t count)
{
	struct strbuf sb = STRBUF_INIT;
	if (status == 503)
		strbuf_addf(&sb, "{\"error\":\"the server is stopping\",\"count\":%zu}", count);
	else
		strbuf_addf(&sb, "{\"count\":%zu}", count);
	return strbuf_detach(&sb, NULL);
}

/* Runs on a request thread, the timer thread or the stopping thread (see wait.h). */
static void wait_answered(void *arg, int status, size_t count)
{
	struct pending *p = arg;
	p->answer(p->arg, status, count_json(status, count));
	free(p);
}

static void wait_suspend(void *arg)
{
	struct pending *p = arg;
	if (p->suspend)
		p->suspend(p->arg);
}

static int wait_requests(const struct admin_ctx *ax, const struct admin_request *req, struct strbuf *out)
{
	static const char *const keys[] = { "request", "count", "timeout_ms", NULL };
	int status = 200;
	cJSON *o = parse_object(req, keys, out, &status);
	if (!o)
		return status;
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "count");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "timeout_ms");
	size_t want = 1, timeout = 5000;
	bool bad_count = c && !json_count(c, 1e15, &want);
	bool bad_timeout = t && !json_count(t, 60000, &timeout);
	cJSON_Delete(o);
	if (bad_count)
		return errorf(out, 400, "'count' must be a whole number of requests (0 or more)");
	if (bad_timeout)
		return errorf(out, 400, "'timeout_ms' must be a whole number from 0 to 60000");
	struct stub *m = body_matcher(req, out, &status);
	if (!m)
		return status;
	if (!req->answer) {
		stub_destroy(m);
		return errorf(out, 500, "waiting is not available here");
	}
	struct pending *p = xmalloc(sizeof(*p));
	p->suspend = req->suspend;
	p->answer = req->answer;
	p->arg = req->arg;
	struct wait_cb cb = { wait_suspend, wait_answered, p };
	size_t count = 0;
	int st = waits_start(ax->waits, m, want, (unsigned)timeout, &cb, &count);
	if (st == 0)
		return ADMIN_DEFERRED;
	free(p);
	char *json = count_json(st, count);
	strbuf_adds(out, json);
	free(json);
	return st;
}

static int metrics(const struct admin_ctx *ax, struct strbuf *out)
{
	struct journal_stats js;
	struct catalog_stats st = catalog_get_stats(ax->catalog);
	journal_stats(ax->journal, &js);
	struct metrics_extra x = {
		.journal_entries = js.entries,
		.journal_evicted_total = js.evicted_total,
		.reloads_total = st.reloads,
		.reload_errors_total = st.reload_errors,
		.reloads_torn_total = st.reloads_torn,
		.stubs = stub_count(ax),
	};
	if (ax->conn_stats)
		x.conns = ax->conn_stats(ax->conn_cls);
	metrics_render(ax->metrics, &x, out);
	return 200;
}

/* ---- routing ---- */

int admin_check_access(const struct admin_ctx *ax, const struct admin_request *req, struct strbuf *out)
{
	if (req->origin && !loopback_origin(req->origin))
		return errorf(out, 403, "origin '%s' may not use the admin API: only loopback origins may", req->origin);
	if (ax->token && !token_ok(ax->token, req->authorization))
		return errorf(out, 401, "%s admin token: send 'Authorization: Bearer TOKEN' with the --admin-token value",
			      req->authorization ? "wrong" : "missing");
	return 0;
}

int admin_handle(const struct admin_ctx *ax, const struct admin_request *req, struct strbuf *out,
		 const char **content_type)
{
	const char *method = req->method;
	const char *sub = req->path + strlen(ADMIN_PREFIX);
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	bool post = strcmp(method, "POST") == 0;
	bool del = strcmp(method, "DELETE") == 0;
	*content_type = "application/json";

	int refused = admin_check_access(ax, req, out);
	if (refused)
		return refused;

	int status;
	if (strcmp(sub, "/health") == 0) {
		if (!get)
			return error_out(out, 405, "use GET for /__cannery/health");
		return health(ax, out);
	}
	if (strcmp(sub, "/stubs") == 0) {
		if (get)
			return list_stubs(ax, out);
		if (post)
			return add_stubs(ax, req, out);
		return error_out(out, 405, "use GET or POST for /__cannery/stubs");
	}
	if (strncmp(sub, "/stubs/", 7) == 0 && sub[7] && known_stub_path(ax, sub + 7, del)) {
		if (!del)
			return error_out(out, 405, "use DELETE for /__cannery/stubs/ID");
		status = delete_stub(ax, sub + 7, out);
		goto done;
	}
	if (strcmp(sub, "/reload") == 0) {
		if (get)
			return admin_ui_reload_status(&(struct admin_ui_ctx){ .catalog = ax->catalog }, out);
		if (!post)
			return error_out(out, 405, "use GET or POST for /__cannery/reload");
		return reload(ax, out);
	}
	if (strcmp(sub, "/requests") == 0) {
		if (get)
			return list_requests(ax, req, out);
		if (!del)
			return error_out(out, 405, "use GET or DELETE for /__cannery/requests");
		journal_clear(ax->journal);
		status = 204;
		goto done;
	}
	if (strncmp(sub, "/requests/", 10) == 0 && sub[10] >= '0' && sub[10] <= '9') {
		if (!get)
			return error_out(out, 405, "use GET for /__cannery/requests/SEQ");
		return admin_ui_entry(&(struct admin_ui_ctx){ ax->journal, ax->slot, ax->state, ax->catalog }, sub + 10,
				      out, content_type);
	}
	if (strcmp(sub, "/requests/count") == 0) {
		if (!post)
			return error_out(out, 405, "use POST for /__cannery/requests/count");
		return count_requests(ax, req, out);
	}
	if (strcmp(sub, "/requests/wait") == 0) {
		if (!post)
			return error_out(out, 405, "use POST for /__cannery/requests/wait");
		return wait_requests(ax, req, out);
	}
	if (strcmp(sub, "/verify") == 0) {
		if (!post)
			return error_out(out, 405, "use POST for /__cannery/verify");
		return verify(ax, req, out);
	}
	if (strcmp(sub, "/reset") == 0) {
		if (!post)
			return error_out(out, 405, "use POST for /__cannery/reset");
		admin_reset(ax);
		status = 204;
		goto done;
	}
	if (strcmp(sub, "/metrics") == 0) {
		if (!get)
			return error_out(out, 405, "use GET for /__cannery/metrics");
		*content_type = "text/plain; version=0.0.4; charset=utf-8";
		return metrics(ax, out);
	}
	return errorf(out, 404, "unknown admin endpoint: %s %s", method, req->path);
done:
	if (status == 204)
		*content_type = NULL;
	return status;
}
