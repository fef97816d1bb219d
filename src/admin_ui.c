/* SPDX-License-Identifier: MIT */
/* The dashboard's admin endpoints: a journal entry in full, its near misses, a stub for
 * it, the last refused reload. */
#include "admin_ui.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog.h"
#include "dispatch.h"
#include "journal.h"
#include "record_doc.h"
#include "router.h"
#include "slot.h"
#include "state.h"
#include "stub_set.h"
#include "util/arena.h"
#include "util/base64.h"
#include "util/strbuf.h"
#include "util/utf8.h"

static int not_found(struct strbuf *out, const char *what, const char *rest)
{
	strbuf_addf(out, "{\"error\":");
	struct strbuf msg = STRBUF_INIT;
	strbuf_addf(&msg, "%s: /__cannery/requests/%s", what, rest);
	strbuf_add_json_string(out, msg.buf, msg.len);
	strbuf_release(&msg);
	strbuf_addc(out, '}');
	return 404;
}

/* The entry with this seq (a reference the caller drops), or NULL. */
static struct journal_entry *find_entry(struct journal *j, uint64_t seq)
{
	struct journal_snapshot snap;
	journal_snapshot(j, seq - 1, &snap);
	struct journal_entry *e = snap.n && snap.v[0]->seq == seq ? journal_entry_ref(snap.v[0]) : NULL;
	journal_snapshot_release(&snap);
	return e;
}

/* The near misses of e against the stubs served now, worked out as a miss's 404 does
 * (under the state lock when matching reads scenario states). */
static void near_misses(const struct admin_ui_ctx *ax, const struct stub_set *set, const struct journal_entry *e,
			struct strbuf *out)
{
	struct arena a;
	arena_init(&a);
	struct req_view rv = {
		.method = e->method,
		.path = e->path,
		.target = e->target,
		.query = e->query,
		.nquery = e->nquery,
		.headers = e->headers,
		.nheaders = e->nheaders,
		.cookies = e->cookies,
		.ncookies = e->ncookies,
		.body = e->body,
		.body_len = e->body_len,
		.arena = &a,
	};
	if (set->has_states) {
		rv.scenario_state = state_scenario_locked;
		rv.scenario_cls = ax->state;
		state_lock(ax->state);
	}
	struct near_miss nm[3];
	size_t n = router_near_misses(set->router, &rv, nm, 3);
	if (set->has_states)
		state_unlock(ax->state);
	dispatch_near_misses_json(nm, n, out);
	near_miss_release(nm, n);
	req_view_release(&rv);
	arena_release(&a);
}

/* ,"response":{..}: what the entry kept of the answer (journal.h). */
static void response_json(const struct journal_entry *e, struct strbuf *out)
{
	strbuf_addf(out, ",\"response\":{\"status\":%d,\"kept\":%s", e->status, e->resp_kept ? "true" : "false");
	if (!e->resp_kept) {
		strbuf_addc(out, '}');
		return;
	}
	strbuf_adds(out, ",\"content_type\":");
	if (e->resp_type)
		strbuf_add_json_string(out, e->resp_type, strlen(e->resp_type));
	else
		strbuf_adds(out, "null");
	/* [[name, value], ...] as sent, in order: a Set-Cookie twice is two lines, not one */
	strbuf_adds(out, ",\"headers\":[");
	for (size_t i = 0; i < e->nresp_headers; i++) {
		strbuf_adds(out, i ? ",[" : "[");
		strbuf_add_json_string(out, e->resp_headers[i].name, strlen(e->resp_headers[i].name));
		strbuf_addc(out, ',');
		strbuf_add_json_string(out, e->resp_headers[i].value, e->resp_headers[i].len);
		strbuf_addc(out, ']');
	}
	strbuf_addc(out, ']');
	bool text = !memchr(e->resp_body, '\0', e->resp_body_len) && utf8_valid(e->resp_body, e->resp_body_len);
	bool cut = e->resp_body_len < e->resp_body_total;
	if (!text && cut) {
		/* cut inside a UTF-8 sequence: the whole characters before it are still text */
		size_t n = e->resp_body_len;
		for (size_t back = 0; back < 3 && n && !text; back++)
			text = !memchr(e->resp_body, '\0', --n) && utf8_valid(e->resp_body, n);
		if (text) {
			strbuf_adds(out, ",\"body\":");
			strbuf_add_json_string(out, e->resp_body, n);
		}
	} else if (text) {
		strbuf_adds(out, ",\"body\":");
		strbuf_add_json_string(out, e->resp_body, e->resp_body_len);
	}
	if (!text) {
		strbuf_adds(out, ",\"body_base64\":\"");
		base64_encode(out, e->resp_body, e->resp_body_len);
		strbuf_addc(out, '"');
	}
	strbuf_addf(out, ",\"bytes\":%zu,\"truncated\":%s}", e->resp_body_total, cut ? "true" : "false");
}

static void entry_json(const struct admin_ui_ctx *ax, const struct journal_entry *e, struct strbuf *out)
{
	struct stub_set *set = slot_acquire(ax->slot);
	strbuf_adds(out, "{\"request\":");
	journal_entry_json(e, out);
	response_json(e, out);
	strbuf_adds(out, ",\"near_misses\":");
	if (e->stub)
		strbuf_adds(out, "[]");
	else
		near_misses(ax, set, e, out);
	strbuf_adds(out, ",\"answered_by\":");
	const struct stub *s = e->stub ? stub_set_find(set, e->stub) : NULL;
	if (s) {
		strbuf_adds(out, "{\"id\":");
		strbuf_add_json_string(out, s->id, strlen(s->id));
		strbuf_adds(out, ",\"file\":");
		if (s->file)
			strbuf_add_json_string(out, s->file, strlen(s->file));
		else
			strbuf_adds(out, "null");
		strbuf_addf(out, ",\"line\":%d}", s->line);
	} else {
		strbuf_adds(out, "null");
	}
	strbuf_addc(out, '}');
	stub_set_unref(set);
}

static const char *header(const struct journal_entry *e, const char *name)
{
	for (size_t i = 0; i < e->nheaders; i++)
		if (strcmp(e->headers[i].name, name) == 0)
			return e->headers[i].value;
	return NULL;
}

/* The recorder's request matcher for e (method, path or a literal path_regex, query,
 * body) and a plain 200 to edit: a stub that matches e's request and nothing much
 * else. Headers are left out: they would carry credentials into a file. */
static void entry_stub(const struct journal_entry *e, struct strbuf *out)
{
	struct record_exchange ex = {
		.method = e->method,
		.path = e->path,
		.query = e->query,
		.nquery = e->nquery,
		.req_content_type = header(e, "content-type"),
		.req_body = e->body,
		.req_body_len = e->body_len,
		.status = 200,
	};
	struct rnode *root = record_doc_new(RNODE_MAP);
	record_doc_add(root, record_doc_str("request"));
	record_doc_add(root, record_doc_request(&ex));
	record_doc_add(root, record_doc_str("response"));
	record_doc_add(root, record_doc_response(&ex, NULL));
	char *text = record_doc_emit(root);
	record_doc_free(root);
	strbuf_addf(out, "# a stub for journal entry %llu: save it in a stub directory, then edit its response\n"
		    "# (headers are not matched: they may hold credentials)\n", (unsigned long long)e->seq);
	if (e->body_len && (memchr(e->body, '\0', e->body_len) || !utf8_valid(e->body, e->body_len)))
		strbuf_adds(out, "# the body is binary: YAML cannot spell it, so it is not matched\n");
	strbuf_adds(out, text ? text : "");
	free(text);
}

int admin_ui_entry(const struct admin_ui_ctx *ax, const char *rest, struct strbuf *out, const char **content_type)
{
	*content_type = "application/json";
	char *end;
	errno = 0;
	unsigned long long seq = strtoull(rest, &end, 10);
	bool stub = strcmp(end, "/stub") == 0;
	if (end == rest || rest[0] < '0' || rest[0] > '9' || errno || seq == 0 || (*end && !stub))
		return not_found(out, "unknown admin endpoint", rest);
	struct journal_entry *e = find_entry(ax->journal, seq);
	if (!e)
		return not_found(out, "no such entry in the journal (evicted, cleared, or not yet made)", rest);
	if (stub) {
		*content_type = "application/yaml; charset=utf-8";
		entry_stub(e, out);
	} else {
		entry_json(ax, e, out);
	}
	journal_entry_unref(e);
	return 200;
}

int admin_ui_reload_status(const struct admin_ui_ctx *ax, struct strbuf *out)
{
	struct catalog_stats st = catalog_get_stats(ax->catalog);
	struct catalog_failure f = catalog_last_failure(ax->catalog);
	strbuf_addf(out, "{\"reloads\":%llu,\"reload_errors\":%llu,\"generation\":%llu,\"last_error\":",
		    (unsigned long long)st.reloads, (unsigned long long)st.reload_errors,
		    (unsigned long long)st.generation);
	if (!f.errors) {
		strbuf_adds(out, "null}");
		return 200;
	}
	struct tm tm;
	char when[40];
	gmtime_r(&f.time.tv_sec, &tm);
	size_t n = strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + n, sizeof(when) - n, ".%03ldZ", f.time.tv_nsec / 1000000);
	strbuf_addf(out, "{\"time\":\"%s\",\"current\":%s,\"errors\":[", when, f.current ? "true" : "false");
	size_t k = 0;
	for (const char *line = f.errors; *line;) {
		size_t len = strcspn(line, "\n");
		if (len) {
			if (k++)
				strbuf_addc(out, ',');
			strbuf_add_json_string(out, line, len);
		}
		line += len + (line[len] == '\n');
	}
	strbuf_adds(out, "]}}");
	free(f.errors);
	return 200;
}
