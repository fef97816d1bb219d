/* SPDX-License-Identifier: MIT */
/* /__admin/: WireMock's admin API on cannery's stub index, journal and scenario states.
 * Shapes and status codes are WireMock 3.13.2's (tests/compat/wiremock and
 * docs/wiremock.md say where they were measured); bodies are compact JSON where WireMock
 * pretty-prints. */
#include "wiremock_admin.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "journal.h"
#include "slot.h"
#include "state.h"
#include "stub.h"
#include "stub_set.h"
#include "util/base64.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "verify.h"
#include "wiremock.h"
#include "wiremock_load.h"

/* The WireMock version whose answers these are. */
#define WM_VERSION "3.13.2"

bool wm_admin_path(const char *path)
{
	size_t n = strlen(WM_ADMIN_PREFIX);
	return strncmp(path, WM_ADMIN_PREFIX, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* ---- answers ------------------------------------------------------------------- */

/* An empty body, no Content-Type (WireMock's 404s and resets). */
static int empty(const char **type, int status)
{
	*type = NULL;
	return status;
}

static int json(struct strbuf *out, const char **type, int status, const char *text)
{
	*type = "application/json";
	strbuf_adds(out, text);
	return status;
}

/* {"errors":[{"code":C,"title":T[,"source":{"pointer":"/"},"detail":D]}]} */
static int errors(struct strbuf *out, const char **type, int status, int code, const char *title, const char *detail)
{
	*type = "application/json";
	strbuf_addf(out, "{\"errors\":[{\"code\":%d,", code);
	if (detail)
		strbuf_adds(out, "\"source\":{\"pointer\":\"/\"},");
	strbuf_adds(out, "\"title\":");
	strbuf_add_json_string(out, title, strlen(title));
	if (detail) {
		strbuf_adds(out, ",\"detail\":");
		strbuf_add_json_string(out, detail, strlen(detail));
	}
	strbuf_adds(out, "}]}");
	return status;
}

/* A body WireMock could not take: 422 "Error parsing JSON" with our located message. */
static int unprocessable(struct strbuf *out, const char **type, const struct diag_list *diags)
{
	char *text = diag_list_format(diags);
	size_t n = strlen(text);
	while (n && text[n - 1] == '\n')
		text[--n] = '\0';
	int status = errors(out, type, 422, 10, "Error parsing JSON", text);
	free(text);
	return status;
}

static void republish(const struct admin_ctx *ax)
{
	if (ax->republish)
		ax->republish(ax->republish_cls);
}

static size_t query_size(const struct admin_request *req, const char *name, size_t dflt)
{
	for (size_t i = 0; i < req->nquery; i++)
		if (strcmp(req->query[i].name, name) == 0) {
			char *end;
			unsigned long long v = strtoull(req->query[i].value, &end, 10);
			return *end || !req->query[i].value[0] ? dflt : (size_t)v;
		}
	return dflt;
}

/* ---- mappings ------------------------------------------------------------------- */

static int add_mapping(const struct admin_ctx *ax, const struct admin_request *req, const char *id, struct strbuf *out,
		       const char **type)
{
	struct diag_list diags = DIAG_LIST_INIT;
	char *stored = NULL;
	int rc = wm_front_put(ax->wiremock, "body", req->body ? req->body : "", req->body_len, id, &stored, &diags);
	int status;
	if (rc == 1) {
		republish(ax);
		status = json(out, type, id ? 200 : 201, stored);
	} else if (rc == 0) {
		status = empty(type, 404);
	} else if (rc == -2) {
		status = errors(out, type, 422, 109, "Duplicate stub mapping ID",
				"ID of the provided stub mapping is already taken by another stub mapping");
	} else {
		status = unprocessable(out, type, &diags);
	}
	free(stored);
	diag_list_release(&diags);
	return status;
}

static int mappings(const struct admin_ctx *ax, const struct admin_request *req, const char *sub, struct strbuf *out,
		    const char **type)
{
	const char *m = req->method;
	if (!*sub) {
		if (strcmp(m, "GET") == 0) {
			*type = "application/json";
			wm_front_mappings_json(ax->wiremock, query_size(req, "offset", 0), query_size(req, "limit", SIZE_MAX),
					       out);
			return 200;
		}
		if (strcmp(m, "POST") == 0)
			return add_mapping(ax, req, NULL, out, type);
		if (strcmp(m, "DELETE") == 0) {
			wm_front_remove_all(ax->wiremock);
			republish(ax);
			return json(out, type, 200, "{}");
		}
		return empty(type, 405);
	}
	if (strcmp(sub, "/reset") == 0)
		return -1;  /* the caller's reset */
	const char *id = sub + 1;
	if (!wm_is_uuid(id)) {
		struct strbuf title = STRBUF_INIT;
		strbuf_addf(&title, "%s is not a valid UUID", id);
		int status = errors(out, type, 400, 10, title.buf, NULL);
		strbuf_release(&title);
		return status;
	}
	if (strcmp(m, "GET") == 0) {
		*type = "application/json";
		return wm_front_mapping_json(ax->wiremock, id, out) ? 200 : empty(type, 404);
	}
	if (strcmp(m, "PUT") == 0)
		return add_mapping(ax, req, id, out, type);
	if (strcmp(m, "DELETE") == 0) {
		if (!wm_front_remove(ax->wiremock, id))
			return empty(type, 404);
		republish(ax);
		return json(out, type, 200, "{}");
	}
	return empty(type, 405);
}

/* ---- the journal ---------------------------------------------------------------- */

static void add_time(struct strbuf *out, const struct timespec *t)
{
	struct tm tm;
	gmtime_r(&t->tv_sec, &tm);
	strbuf_addf(out, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\"", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, t->tv_nsec / 1000000);
}

/* A serve event's `request`: what WireMock logs of a request (absoluteUrl with https://
 * when the server serves TLS). Header names are the journal's (lower case); a repeated
 * header is an array. */
static void request_json(const struct journal_entry *e, bool https, struct strbuf *out)
{
	const char *host = "127.0.0.1";
	for (size_t i = 0; i < e->nheaders; i++)
		if (strcmp(e->headers[i].name, "host") == 0)
			host = e->headers[i].value;
	strbuf_adds(out, "{\"url\":");
	strbuf_add_json_string(out, e->target, strlen(e->target));
	struct strbuf abs = STRBUF_INIT;
	strbuf_addf(&abs, "%s://%s%s", https ? "https" : "http", host, e->target);
	strbuf_adds(out, ",\"absoluteUrl\":");
	strbuf_add_json_string(out, abs.buf, abs.len);
	strbuf_release(&abs);
	strbuf_adds(out, ",\"method\":");
	strbuf_add_json_string(out, e->method, strlen(e->method));
	strbuf_adds(out, ",\"clientIp\":\"127.0.0.1\",\"headers\":{");
	for (size_t i = 0; i < e->nheaders; i++) {
		bool seen = false, more = false;
		for (size_t j = 0; j < i; j++)
			seen |= strcmp(e->headers[j].name, e->headers[i].name) == 0;
		if (seen)
			continue;
		for (size_t j = i + 1; j < e->nheaders; j++)
			more |= strcmp(e->headers[j].name, e->headers[i].name) == 0;
		if (out->buf[out->len - 1] != '{')
			strbuf_addc(out, ',');
		strbuf_add_json_string(out, e->headers[i].name, strlen(e->headers[i].name));
		strbuf_addc(out, ':');
		if (more)
			strbuf_addc(out, '[');
		for (size_t j = i, k = 0; j < e->nheaders; j++) {
			if (strcmp(e->headers[j].name, e->headers[i].name) != 0)
				continue;
			if (k++)
				strbuf_addc(out, ',');
			strbuf_add_json_string(out, e->headers[j].value, e->headers[j].len);
		}
		if (more)
			strbuf_addc(out, ']');
	}
	strbuf_adds(out, "},\"cookies\":{");
	for (size_t i = 0; i < e->ncookies; i++) {
		if (i)
			strbuf_addc(out, ',');
		strbuf_add_json_string(out, e->cookies[i].name, strlen(e->cookies[i].name));
		strbuf_addc(out, ':');
		strbuf_add_json_string(out, e->cookies[i].value, e->cookies[i].len);
	}
	int64_t ms = (int64_t)e->time.tv_sec * 1000 + e->time.tv_nsec / 1000000;
	strbuf_addf(out, "},\"browserProxyRequest\":false,\"loggedDate\":%" PRId64 ",\"bodyAsBase64\":\"", ms);
	base64_encode(out, e->body, e->body_len);
	strbuf_adds(out, "\",\"body\":");
	strbuf_add_json_string(out, e->body, e->body_len);
	strbuf_addf(out, ",\"protocol\":\"HTTP/1.1\",\"scheme\":\"%s\",\"loggedDateString\":", https ? "https" : "http");
	add_time(out, &e->time);
	strbuf_adds(out, ",\"queryParams\":{");
	for (size_t i = 0; i < e->nquery; i++) {
		bool seen = false;
		for (size_t j = 0; j < i; j++)
			seen |= strcmp(e->query[j].name, e->query[i].name) == 0;
		if (seen)
			continue;
		if (out->buf[out->len - 1] != '{')
			strbuf_addc(out, ',');
		strbuf_add_json_string(out, e->query[i].name, strlen(e->query[i].name));
		strbuf_adds(out, ":{\"key\":");
		strbuf_add_json_string(out, e->query[i].name, strlen(e->query[i].name));
		strbuf_adds(out, ",\"values\":[");
		for (size_t j = i, k = 0; j < e->nquery; j++) {
			if (strcmp(e->query[j].name, e->query[i].name) != 0)
				continue;
			if (k++)
				strbuf_addc(out, ',');
			strbuf_add_json_string(out, e->query[j].value, e->query[j].len);
		}
		strbuf_adds(out, "]}");
	}
	strbuf_adds(out, "},\"formParams\":{}}");
}

/* A serve event (GET /__admin/requests): its id is made from the journal's sequence. */
static void event_json(const struct journal_entry *e, bool https, struct strbuf *out)
{
	strbuf_addf(out, "{\"id\":\"00000000-0000-4000-8000-%012" PRIx64 "\",\"request\":", e->seq);
	request_json(e, https, out);
	strbuf_addf(out, ",\"responseDefinition\":{\"status\":%d},\"response\":{\"status\":%d},\"wasMatched\":%s", e->status,
		    e->status, e->stub ? "true" : "false");
	strbuf_addf(out, ",\"timing\":{\"addedDelay\":0,\"processTime\":0,\"responseSendTime\":0,\"serveTime\":%.0f,"
		    "\"totalTime\":%.0f}", e->duration_ms, e->duration_ms);
	if (e->stub) {
		strbuf_adds(out, ",\"stubMappingId\":");
		strbuf_add_json_string(out, e->stub, strlen(e->stub));
	}
	strbuf_addc(out, '}');
}

/* ISO-8601 "2026-12-07T14:17:06.368Z" (fraction and Z optional) as a timespec. */
static bool parse_iso(const char *s, struct timespec *out)
{
	struct tm tm = { 0 };
	int ms = 0;
	char frac[16] = "";
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
		   &tm.tm_sec) != 6)
		return false;
	const char *dot = strchr(s, '.');
	if (dot && sscanf(dot + 1, "%15[0-9]", frac) == 1) {
		for (int i = 0; i < 3; i++)
			ms = ms * 10 + (frac[i] ? frac[i] - '0' : 0);
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	out->tv_sec = timegm(&tm);
	out->tv_nsec = (long)ms * 1000000;
	return true;
}

static bool after(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

static int list_requests(const struct admin_ctx *ax, const struct admin_request *req, bool unmatched, struct strbuf *out,
			 const char **type)
{
	struct journal_snapshot snap;
	journal_snapshot(ax->journal, 0, &snap);
	size_t limit = query_size(req, "limit", SIZE_MAX), n = 0;
	struct timespec since = { 0, 0 };
	for (size_t i = 0; i < req->nquery; i++)
		if (strcmp(req->query[i].name, "since") == 0)
			parse_iso(req->query[i].value, &since);
	*type = "application/json";
	strbuf_adds(out, "{\"requests\":[");
	/* newest first, as WireMock lists them */
	for (size_t k = snap.n; k-- > 0 && n < limit;) {
		const struct journal_entry *e = snap.v[k];
		if ((unmatched && e->stub) || (since.tv_sec && !after(&e->time, &since)))
			continue;
		if (n++)
			strbuf_addc(out, ',');
		if (unmatched)
			request_json(e, ax->https, out);
		else
			event_json(e, ax->https, out);
	}
	if (unmatched)
		strbuf_adds(out, "],\"requestJournalDisabled\":false}");
	else
		strbuf_addf(out, "],\"meta\":{\"total\":%zu},\"requestJournalDisabled\":false}", snap.n);
	journal_snapshot_release(&snap);
	return 200;
}

/* count and find: a request pattern (a mapping's `request`) against the journal. */
static int match_requests(const struct admin_ctx *ax, const struct admin_request *req, bool find, struct strbuf *out,
			  const char **type)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct stub *m = wm_load_pattern("body", req->body ? req->body : "", req->body_len, &diags);
	if (!m) {
		int status = unprocessable(out, type, &diags);
		diag_list_release(&diags);
		return status;
	}
	struct journal_snapshot snap;
	journal_snapshot(ax->journal, 0, &snap);
	*type = "application/json";
	size_t count = 0;
	if (find)
		strbuf_adds(out, "{\"requests\":[");
	/* oldest first, as WireMock's find lists them */
	for (size_t k = 0; k < snap.n; k++) {
		if (!verify_entry_matches(m, snap.v[k]))
			continue;
		if (find) {
			if (count)
				strbuf_addc(out, ',');
			request_json(snap.v[k], ax->https, out);
		}
		count++;
	}
	if (find)
		strbuf_adds(out, "],\"requestJournalDisabled\":false}");
	else
		strbuf_addf(out, "{\"count\":%zu,\"requestJournalDisabled\":false}", count);
	journal_snapshot_release(&snap);
	stub_destroy(m);
	diag_list_release(&diags);
	return 200;
}

/* ---- scenarios ------------------------------------------------------------------ */

/* WireMock's name for cannery's initial state, and back. */
static const char *wm_state(const char *s)
{
	return strcmp(s, "start") == 0 ? "Started" : s;
}

static void add_unique(const char ***v, size_t *n, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i], s) == 0)
			return;
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = s;
}

/* The names of the scenarios of the set's stubs, in order of first appearance. */
static size_t scenario_names(const struct stub_set *set, const char ***names)
{
	size_t n = 0;
	*names = NULL;
	for (size_t i = 0; i < set->n; i++)
		if (set->stubs[i]->scenario)
			add_unique(names, &n, set->stubs[i]->scenario);
	return n;
}

/* The states a scenario can be in: Started and every state its stubs name. */
static size_t possible_states(const struct stub_set *set, const char *name, const char ***states)
{
	size_t n = 0;
	*states = NULL;
	add_unique(states, &n, "Started");
	for (size_t i = 0; i < set->n; i++) {
		const struct stub *s = set->stubs[i];
		if (!s->scenario || strcmp(s->scenario, name) != 0)
			continue;
		if (s->state)
			add_unique(states, &n, wm_state(s->state));
		if (s->next_state)
			add_unique(states, &n, wm_state(s->next_state));
	}
	return n;
}

static int list_scenarios(const struct admin_ctx *ax, struct strbuf *out, const char **type)
{
	struct stub_set *set = slot_acquire(ax->slot);
	const char **names = NULL;
	size_t n = set ? scenario_names(set, &names) : 0;
	*type = "application/json";
	strbuf_adds(out, "{\"scenarios\":[");
	for (size_t i = 0; i < n; i++) {
		char *now = state_scenario(ax->state, names[i]);
		if (i)
			strbuf_addc(out, ',');
		strbuf_adds(out, "{\"id\":");
		strbuf_add_json_string(out, names[i], strlen(names[i]));
		strbuf_adds(out, ",\"name\":");
		strbuf_add_json_string(out, names[i], strlen(names[i]));
		strbuf_adds(out, ",\"state\":");
		strbuf_add_json_string(out, wm_state(now), strlen(wm_state(now)));
		free(now);
		const char **states = NULL;
		size_t ns = possible_states(set, names[i], &states);
		strbuf_adds(out, ",\"possibleStates\":[");
		for (size_t j = 0; j < ns; j++) {
			if (j)
				strbuf_addc(out, ',');
			strbuf_add_json_string(out, states[j], strlen(states[j]));
		}
		free(states);
		strbuf_adds(out, "],\"mappings\":[");
		for (size_t j = 0, k = 0; j < set->n; j++) {
			const struct stub *s = set->stubs[j];
			if (!s->scenario || strcmp(s->scenario, names[i]) != 0 || !s->front_json)
				continue;
			if (k++)
				strbuf_addc(out, ',');
			strbuf_adds(out, s->front_json);
		}
		strbuf_adds(out, "]}");
	}
	strbuf_adds(out, "]}");
	free(names);
	stub_set_unref(set);
	return 200;
}

/* PUT /__admin/scenarios/{name}/state with {"state": S} (an empty body: Started). */
static int set_scenario(const struct admin_ctx *ax, const struct admin_request *req, const char *name, struct strbuf *out,
			const char **type)
{
	char *want = NULL;
	if (req->body_len) {
		cJSON *o = json_parse(req->body, req->body_len, NULL);
		if (!cJSON_IsObject(o)) {
			cJSON_Delete(o);
			return errors(out, type, 422, 10, "Error parsing JSON", "the body must be a JSON object like {\"state\": \"S\"}");
		}
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "state");
		want = xstrdup(cJSON_IsString(s) ? s->valuestring : "null");
		cJSON_Delete(o);
	} else {
		want = xstrdup("Started");
	}
	struct stub_set *set = slot_acquire(ax->slot);
	const char **names = NULL, **states = NULL;
	size_t n = set ? scenario_names(set, &names) : 0;
	bool known = false, possible = false;
	for (size_t i = 0; i < n; i++)
		known |= strcmp(names[i], name) == 0;
	size_t ns = known ? possible_states(set, name, &states) : 0;
	for (size_t i = 0; i < ns; i++)
		possible |= strcmp(states[i], want) == 0;
	free(names);
	free(states);
	stub_set_unref(set);
	struct strbuf title = STRBUF_INIT;
	int status;
	if (!known) {
		strbuf_addf(&title, "Scenario %s does not exist", name);
		status = errors(out, type, 404, 404, title.buf, NULL);
	} else if (!possible) {
		strbuf_addf(&title, "Scenario %s does not support state %s", name, want);
		status = errors(out, type, 422, 11, title.buf, NULL);
	} else {
		state_set_scenario(ax->state, name, strcmp(want, "Started") == 0 ? "start" : want);
		status = json(out, type, 200, "{}");
	}
	strbuf_release(&title);
	free(want);
	return status;
}

/* ---- the whole API -------------------------------------------------------------- */

/* POST /__admin/reset and /__admin/mappings/reset: the files read again, the API's
 * mappings dropped, the journal cleared, every scenario back in Started. */
static int reset(const struct admin_ctx *ax, struct strbuf *out, const char **type)
{
	struct diag_list diags = DIAG_LIST_INIT;
	int rc = wm_front_reset(ax->wiremock, &diags);
	republish(ax);
	journal_clear(ax->journal);
	state_reset(ax->state);
	int status = rc < 0 ? unprocessable(out, type, &diags) : empty(type, 200);
	diag_list_release(&diags);
	return status;
}

static int health(const struct admin_ctx *ax, struct strbuf *out, const char **type)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t up = ((int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000 - ax->started_ms) / 1000;
	*type = "application/json";
	strbuf_addf(out, "{\"status\":\"healthy\",\"message\":\"Wiremock is ok\",\"version\":\"%s\",\"uptimeInSeconds\":%" PRId64
		    ",\"timestamp\":", WM_VERSION, up > 0 ? up : 0);
	add_time(out, &now);
	strbuf_addc(out, '}');
	return 200;
}

int wm_admin_handle(const struct admin_ctx *ax, const struct admin_request *req, struct strbuf *out,
		    const char **content_type)
{
	const char *sub = req->path + strlen(WM_ADMIN_PREFIX);
	const char *m = req->method;
	bool get = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0, post = strcmp(m, "POST") == 0;
	bool del = strcmp(m, "DELETE") == 0, put = strcmp(m, "PUT") == 0;
	*content_type = NULL;
	if (!ax->wiremock)
		return empty(content_type, 404);
	if (strcmp(sub, "") == 0 || strcmp(sub, "/") == 0)
		sub = "/mappings";
	if (strncmp(sub, "/mappings", 9) == 0 && (sub[9] == '\0' || sub[9] == '/')) {
		int status = mappings(ax, req, sub + 9, out, content_type);
		if (status != -1)
			return status;
		return post ? reset(ax, out, content_type) : empty(content_type, 405);
	}
	if (strcmp(sub, "/reset") == 0)
		return post ? reset(ax, out, content_type) : empty(content_type, 405);
	if (strcmp(sub, "/requests") == 0) {
		if (get)
			return list_requests(ax, req, false, out, content_type);
		if (!del)
			return empty(content_type, 405);
		journal_clear(ax->journal);
		return json(out, content_type, 200, "{}");
	}
	if (strcmp(sub, "/requests/count") == 0 || strcmp(sub, "/requests/find") == 0) {
		if (!post)
			return empty(content_type, 405);
		return match_requests(ax, req, sub[10] == 'f', out, content_type);
	}
	if (strcmp(sub, "/requests/unmatched") == 0)
		return get ? list_requests(ax, req, true, out, content_type) : empty(content_type, 405);
	if (strcmp(sub, "/scenarios") == 0)
		return get ? list_scenarios(ax, out, content_type) : empty(content_type, 405);
	if (strcmp(sub, "/scenarios/reset") == 0) {
		if (!post)
			return empty(content_type, 405);
		state_reset_scenarios(ax->state);
		return json(out, content_type, 200, "{}");
	}
	size_t n = strlen(sub);
	if (strncmp(sub, "/scenarios/", 11) == 0 && n > 17 && strcmp(sub + n - 6, "/state") == 0) {
		if (!put)
			return empty(content_type, 405);
		char *name = xstrndup(sub + 11, n - 17);
		int status = set_scenario(ax, req, name, out, content_type);
		free(name);
		return status;
	}
	if (strcmp(sub, "/health") == 0)
		return get ? health(ax, out, content_type) : empty(content_type, 405);
	if (strcmp(sub, "/version") == 0)
		return get ? json(out, content_type, 200, "{\"version\":\"" WM_VERSION "\"}") : empty(content_type, 405);
	return empty(content_type, 404);
}
