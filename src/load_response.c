/* SPDX-License-Identifier: MIT */
/* A stub's `response:` (or each of `responses:`) into struct stub_response: status,
 * headers, a json/body/file body, delay and fault. */
#include "load.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "respond.h"
#include "stub_files.h"
#include "util/numtext.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define MAX_DELAY_MS 600000u      /* 10 minutes: longer delays are load errors */

static const char *content_type_for(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ "json", "application/json" },
		{ "html", "text/html; charset=utf-8" },
		{ "htm", "text/html; charset=utf-8" },
		{ "txt", "text/plain; charset=utf-8" },
		{ "css", "text/css; charset=utf-8" },
		{ "js", "text/javascript; charset=utf-8" },
		{ "mjs", "text/javascript; charset=utf-8" },
		{ "png", "image/png" },
		{ "jpg", "image/jpeg" },
		{ "jpeg", "image/jpeg" },
		{ "gif", "image/gif" },
		{ "svg", "image/svg+xml" },
		{ "webp", "image/webp" },
		{ "ico", "image/x-icon" },
		{ "xml", "application/xml" },
		{ "pdf", "application/pdf" },
		{ "csv", "text/csv; charset=utf-8" },
		{ "wasm", "application/wasm" },
		{ "yaml", "application/yaml" },
		{ "yml", "application/yaml" },
		{ "md", "text/markdown; charset=utf-8" },
	};
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *dot = strrchr(base, '.');
	if (dot && dot != base)
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strcasecmp(dot + 1, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}

static void to_file(struct loader *ld, const struct ynode *k, const struct ynode *v, struct stub_response *r)
{
	char *path = NULL, *real = NULL;
	struct stat st;
	if (!ld->file_dir) {
		load_err(ld, k, "'file' is not allowed here");
		return;
	}
	if (v->kind != YNODE_SCALAR || v->len == 0 || strlen(v->text) != v->len) {
		load_err(ld, v, "'file' must be a path, got %s", load_got(ld, v));
		return;
	}
	if (v->text[0] == '/') {
		load_err(ld, v, "'file' must be a path relative to the stub file, got %s", load_got(ld, v));
		return;
	}
	path = stub_path_join(ld->file_dir, v->text);
	real = realpath(path, NULL);
	if (!real) {
		if (errno == ENOENT || errno == ENOTDIR)
			load_err(ld, v, "file %s does not exist", load_shown_str(ld, path));
		else
			load_err(ld, v, "cannot read file %s: %s", load_shown_str(ld, path), strerror(errno));
		goto out;
	}
	if (!ld->root_real || !stub_path_inside(real, ld->root_real)) {
		load_err(ld, v, "'file' must stay inside %s, got %s (which resolves to %s)", load_shown_str(ld, ld->root_shown),
		    load_shown(ld, v->text, v->len), load_shown_str(ld, real));
		goto out;
	}
	if (stat(real, &st) != 0 || !S_ISREG(st.st_mode)) {
		load_err(ld, v, "file %s is not a regular file", load_shown_str(ld, path));
		goto out;
	}
	int rc = stub_file_read(real, &r->body, &r->body_len);
	if (rc < 0) {
		load_err(ld, v, "cannot read file %s: %s", load_shown_str(ld, path), strerror(-rc));
		goto out;
	}
	r->content_type = xstrdup(content_type_for(v->text));
	load_result_add_path(ld->res, path);
out:
	free(real);
	free(path);
}

static void add_header(struct loader *ld, struct stub_response *r, const char *name, const struct ynode *v, bool tpl)
{
	if (v->kind != YNODE_SCALAR) {
		load_err(ld, v, "header '%s' value must be a string, got %s", name, ynode_kind_name(v));
		return;
	}
	if (strlen(v->text) != v->len || strpbrk(v->text, "\r\n")) {
		load_err(ld, v, "header '%s' value must not contain a line break", name);
		return;
	}
	struct tpl *t = NULL;
	if (tpl && tpl_has_expr(v->text, v->len) && !(t = load_tpl(ld, v)))
		return;
	r->headers = load_grow(r->headers, r->nheaders, sizeof(*r->headers));
	r->headers[r->nheaders].name = xstrdup(name);
	r->headers[r->nheaders].value = xstrdup(v->text);
	r->headers[r->nheaders].tpl = t;
	r->nheaders++;
}

/* Returns true when the headers carry a Content-Type. */
static bool to_resp_headers(struct loader *ld, const struct ynode *v, struct stub_response *r, bool tpl)
{
	bool has_ct = false;
	if (v->kind != YNODE_MAPPING) {
		load_err(ld, v, "'headers' must be a mapping of header name to value, got %s", load_got(ld, v));
		return false;
	}
	struct hmap names = HMAP_INIT;
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct ynode *k = v->kids[i], *val = v->kids[i + 1];
		if (!load_key_ok(ld, k))
			continue;
		if (!hmap_add_key(&names, k->text)) {
			load_err(ld, k, "duplicate key %s in 'headers'", load_shown(ld, k->text, k->len));
			continue;
		}
		if (!load_is_token(k->text) || strlen(k->text) != k->len) {
			load_err(ld, k, "header name %s is not a valid HTTP token", load_shown(ld, k->text, k->len));
			continue;
		}
		has_ct = has_ct || strcasecmp(k->text, "content-type") == 0;
		if (val->kind == YNODE_SEQUENCE) {
			for (size_t j = 0; j < val->n; j++)
				add_header(ld, r, k->text, val->kids[j], tpl);
		} else {
			add_header(ld, r, k->text, val, tpl);
		}
	}
	hmap_release(&names, NULL);
	return has_ct;
}

static const char *const response_keys[] = { "status", "headers", "json", "body", "file", "delay", "fault", NULL };

enum { PK_STATUS, PK_HEADERS, PK_JSON, PK_BODY, PK_FILE, PK_DELAY, PK_FAULT };

/* "250ms", "2s", "1.5s" (spaces allowed before the unit) into milliseconds, rounded; false
 * when s is not such a duration. *unitless is set for a bare number. */
static bool parse_duration(const char *s, double *ms, bool *unitless)
{
	const char *p = s;
	*unitless = false;
	if (!numtext_is_digit(*p))
		return false;
	while (numtext_is_digit(*p))
		p++;
	if (*p == '.') {
		p++;
		if (!numtext_is_digit(*p))
			return false;
		while (numtext_is_digit(*p))
			p++;
	}
	double v = strtod(s, NULL);
	while (*p == ' ')
		p++;
	if (strcmp(p, "ms") == 0)
		*ms = v;
	else if (strcmp(p, "s") == 0)
		*ms = v * 1000;
	else {
		*unitless = *p == '\0';
		return false;
	}
	*ms = floor(*ms + 0.5);
	return true;
}

/* One duration of a delay; false after an error. what names it in messages. */
static bool to_duration(struct loader *ld, const struct ynode *v, const char *what, unsigned *out)
{
	double ms;
	bool unitless = false;
	if (v->kind != YNODE_SCALAR || !parse_duration(v->text, &ms, &unitless)) {
		if (unitless)
			load_err(ld, v, "%s needs a unit: '%sms' or '%ss', got %s", what, v->text, v->text, load_got(ld, v));
		else
			load_err(ld, v, "%s must be a duration like 250ms or 2s, got %s", what, load_got(ld, v));
		return false;
	}
	if (ms > MAX_DELAY_MS) {
		load_err(ld, v, "%s must be at most %us, got %s", what, MAX_DELAY_MS / 1000, load_got(ld, v));
		return false;
	}
	*out = (unsigned)ms;
	return true;
}

static void to_delay(struct loader *ld, const struct ynode *v, struct stub_response *r)
{
	static const char *const keys[] = { "min", "max", NULL };
	if (v->kind == YNODE_SCALAR) {
		unsigned ms;
		if (to_duration(ld, v, "'delay'", &ms))
			r->delay_min_ms = r->delay_max_ms = ms;
		return;
	}
	if (v->kind != YNODE_MAPPING) {
		load_err(ld, v, "'delay' must be a duration like 250ms or a mapping {min: 100ms, max: 400ms}, got %s",
		    load_got(ld, v));
		return;
	}
	const struct ynode *at[2] = { NULL, NULL };
	unsigned ms[2] = { 0, 0 };
	unsigned seen = 0;
	bool ok = true;
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct ynode *k = v->kids[i];
		if (!load_key_ok(ld, k)) {
			ok = false;
			continue;
		}
		int ki = load_lookup_key(ld, k, keys, NULL, "'delay'");
		if (ki < 0 || !load_first_time(ld, &seen, ki, k, "'delay'")) {
			ok = false;
			continue;
		}
		at[ki] = v->kids[i + 1];
		if (!to_duration(ld, v->kids[i + 1], ki == 0 ? "'delay' min" : "'delay' max", &ms[ki]))
			ok = false;
	}
	for (int i = 0; i < 2; i++) {
		if (!at[i] && ok) {
			load_err(ld, v, "'delay' needs both 'min' and 'max', e.g. {min: 100ms, max: 400ms}");
			return;
		}
	}
	if (!ok)
		return;
	if (ms[0] > ms[1]) {
		load_err(ld, at[0], "'delay' min (%ums) is greater than max (%ums)", ms[0], ms[1]);
		return;
	}
	r->delay_min_ms = ms[0];
	r->delay_max_ms = ms[1];
}

static void to_fault(struct loader *ld, const struct ynode *v, struct stub_response *r)
{
	static const char *const faults[] = { "reset", NULL };
	if (v->kind == YNODE_SCALAR && strcmp(v->text, "reset") == 0) {
		r->handler = &respond_fault;
		return;
	}
	const char *hint = v->kind == YNODE_SCALAR ? diag_suggest(v->text, faults) : NULL;
	if (hint)
		load_err(ld, v, "unknown fault %s (did you mean '%s'?)", load_got(ld, v), hint);
	else
		load_err(ld, v, "unknown fault %s (the only fault is 'reset')", load_got(ld, v));
}

void load_response(struct loader *ld, const struct ynode *map, struct stub_response *r, bool tpl)
{
	const struct ynode *body_key = NULL;
	unsigned seen = 0;
	bool has_ct = false;
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct ynode *k = map->kids[i], *v = map->kids[i + 1];
		if (!load_key_ok(ld, k))
			continue;
		int ki = load_lookup_key(ld, k, response_keys, NULL, "'response'");
		if (ki < 0)
			continue;
		if (!load_first_time(ld, &seen, ki, k, "'response'"))
			continue;
		if (ki == PK_JSON || ki == PK_BODY || ki == PK_FILE) {
			if (body_key) {
				load_err(ld, k, "'response' has both '%s' and '%s': give at most one body", body_key->text, k->text);
				continue;
			}
			body_key = k;
		}
		switch (ki) {
		case PK_STATUS: {
			long long st;
			if (!ynode_int(v, 100, 599, &st))
				load_err(ld, v, "'status' must be an integer from 100 to 599, got %s", load_got(ld, v));
			else
				r->status = (int)st;
			break;
		}
		case PK_HEADERS:
			has_ct = to_resp_headers(ld, v, r, tpl);
			break;
		case PK_JSON: {
			r->content_type = xstrdup("application/json");
			/* most bodies: the text straight from the nodes, without a cJSON tree to
			 * build, print and free (15 % of a large start's instructions) */
			struct strbuf text = STRBUF_INIT;
			strbuf_grow(&text, 500);   /* one allocation for most bodies, not one a doubling */
			if (load_json_text(v, tpl, &text)) {
				char *body = strbuf_detach(&text, &r->body_len);
				r->body = xrealloc(body, r->body_len + 1);   /* strbuf's spare room */
				break;
			}
			strbuf_release(&text);
			size_t before = load_nerrors(ld);
			cJSON *j = load_json(ld, v, LOAD_JSON_RAW_INTS | (tpl ? LOAD_JSON_TEMPLATES : 0));
			r->body = json_print(j, &r->body_len);
			if (tpl && load_nerrors(ld) == before)
				r->body_tpl = tpl_compile_json(j);
			cJSON_Delete(j);
			break;
		}
		case PK_BODY:
			if (v->kind != YNODE_SCALAR) {
				load_err(ld, v, "'body' must be a string, got %s (use 'json' for structured data)", ynode_kind_name(v));
				break;
			}
			if (tpl && tpl_has_expr(v->text, v->len) && !(r->body_tpl = load_tpl(ld, v)))
				break;
			r->body = xmemdup0(v->text, v->len);
			r->body_len = v->len;
			r->content_type = xstrdup("text/plain; charset=utf-8");
			break;
		case PK_FILE:
			to_file(ld, k, v, r);
			break;
		case PK_DELAY:
			to_delay(ld, v, r);
			break;
		case PK_FAULT:
			to_fault(ld, v, r);
			break;
		}
	}
	if (r->handler != &respond_fault)
		r->handler = respond_choose(r);
	if (has_ct) {
		free(r->content_type);
		r->content_type = NULL;
	}
}


void load_responses(struct loader *ld, const struct ynode *v, struct stub *s, bool tpl)
{
	if (v->kind != YNODE_SEQUENCE || v->n == 0) {
		load_err(ld, v, "'responses' must be a non-empty list of responses, got %s",
		    v->kind == YNODE_SEQUENCE ? "an empty list" : load_got(ld, v));
		return;
	}
	s->responses = xcalloc(v->n, sizeof(*s->responses));
	s->responses[0] = &s->resp;
	for (size_t i = 1; i < v->n; i++) {
		s->responses[i] = xcalloc(1, sizeof(**s->responses));
		s->responses[i]->status = 200;
	}
	s->nresponses = v->n;
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *it = v->kids[i];
		if (ynode_is_null(it))
			continue;
		if (it->kind != YNODE_MAPPING)
			load_err(ld, it, "each item of 'responses' must be a mapping (a response), got %s", load_got(ld, it));
		else
			load_response(ld, it, s->responses[i], tpl);
	}
}

