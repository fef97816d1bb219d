/* SPDX-License-Identifier: MIT */
/* Fuzz target: response templates, compiled from arbitrary text and rendered against a
 * fuzzed request.
 *
 * The input's first byte picks the mode (odd: a JSON body, compiled as a skeleton with
 * tpl_compile_json; even: a text template, tpl_compile); the template runs up to the
 * first "\n==\n", and the rest is a request in the lines of fuzz_matcher ("M METHOD",
 * "P /path", "Q n=v", "H n: v", "C n=v", "A n=v" for a path capture, then "B" and the
 * body). What must hold: no crash or leak, a compile error points inside the source, and
 * a JSON skeleton always renders to a JSON document. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fuzz.h"
#include "matcher.h"
#include "render.h"
#include "util/arena.h"
#include "util/rng.h"
#include "util/strbuf.h"

#define MAX_PARTS 32
#define SEP "\n==\n"

struct parts {
	struct kv query[MAX_PARTS], headers[MAX_PARTS], cookies[MAX_PARTS], params[MAX_PARTS];
	size_t nquery, nheaders, ncookies, nparams;
};

/* "name<sep>value": both copied into the arena, NUL-terminated. */
static void add_kv(struct arena *a, struct kv *v, size_t *n, const char *p, size_t len, char sep)
{
	if (*n == MAX_PARTS)
		return;
	const char *s = memchr(p, sep, len);
	size_t nlen = s ? (size_t)(s - p) : len;
	const char *value = s ? s + 1 : p + len;
	size_t vlen = len - nlen - (s ? 1 : 0);
	if (sep == ':')
		while (vlen && (*value == ' ' || *value == '\t')) {
			value++;
			vlen--;
		}
	v[*n].name = arena_strndup(a, p, nlen);
	v[*n].value = arena_strndup(a, value, vlen);
	v[*n].len = vlen;
	(*n)++;
}

static void parse_request(const char *p, size_t len, struct req_view *view, struct parts *pt)
{
	const char *end = p + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (ll >= 1 && p[0] == 'B') {
			const char *b = p + (ll >= 2 ? 2 : ll);
			if (nl && ll < 2)
				b = nl + 1;
			view->body = b < end ? b : NULL;
			view->body_len = b < end ? (size_t)(end - b) : 0;
			return;
		}
		if (ll >= 2 && p[1] == ' ') {
			const char *v = p + 2;
			size_t vl = ll - 2;
			switch (p[0]) {
			case 'M':
				view->method = arena_strndup(view->arena, v, vl);
				break;
			case 'P':
				view->path = arena_strndup(view->arena, v, vl);
				break;
			case 'Q':
				add_kv(view->arena, pt->query, &pt->nquery, v, vl, '=');
				break;
			case 'H':
				add_kv(view->arena, pt->headers, &pt->nheaders, v, vl, ':');
				break;
			case 'C':
				add_kv(view->arena, pt->cookies, &pt->ncookies, v, vl, '=');
				break;
			case 'A':
				add_kv(view->arena, pt->params, &pt->nparams, v, vl, '=');
				break;
			default:
				break;
			}
		}
		if (!nl)
			break;
		p = nl + 1;
	}
}

static void render_check(const struct tpl *t, struct req_view *view, struct parts *pt, bool json)
{
	struct params params = { pt->params, pt->nparams };
	struct rng rng;
	rng_seed(&rng, 7);
	struct render_ctx ctx = { view, &params, &rng, 3, 1700000000000LL };
	(void)tpl_uses_seq(t);
	struct strbuf out = STRBUF_INIT;
	tpl_render(t, &ctx, &out);
	if (json) {
		cJSON *j = cJSON_ParseWithLength(out.buf ? out.buf : "", out.len);
		if (!j) {
			fprintf(stderr, "fuzz_template: a JSON template rendered to something that is not JSON: '%.*s'\n",
				(int)out.len, out.buf ? out.buf : "");
			abort();
		}
		cJSON_Delete(j);
	}
	strbuf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool json = data[0] & 1;
	const char *src = (const char *)data + 1;
	size_t len = size - 1;
	const char *rest = NULL;
	size_t rest_len = 0;
	for (size_t i = 0; i + strlen(SEP) <= len; i++)
		if (memcmp(src + i, SEP, strlen(SEP)) == 0) {
			rest = src + i + strlen(SEP);
			rest_len = len - i - strlen(SEP);
			len = i;
			break;
		}

	struct arena arena;
	arena_init(&arena);
	struct req_view view;
	memset(&view, 0, sizeof(view));
	view.method = "GET";
	view.path = "/";
	view.arena = &arena;
	struct parts *pt = calloc(1, sizeof(*pt));
	if (rest)
		parse_request(rest, rest_len, &view, pt);
	view.query = pt->query;
	view.nquery = pt->nquery;
	view.headers = pt->headers;
	view.nheaders = pt->nheaders;
	view.cookies = pt->cookies;
	view.ncookies = pt->ncookies;

	if (json) {
		cJSON *root = cJSON_ParseWithLength(src, len);
		if (root) {
			struct tpl *t = tpl_compile_json(root);
			if (t)
				render_check(t, &view, pt, true);
			tpl_destroy(t);
			cJSON_Delete(root);
		}
	} else {
		struct tpl_error err;
		struct tpl *t = tpl_compile(src, len, &err);
		if (t) {
			render_check(t, &view, pt, false);
			tpl_destroy(t);
		} else if (err.offset > len || !memchr(err.msg, '\0', sizeof(err.msg))) {
			fprintf(stderr, "fuzz_template: compile error at %zu of %zu: %.*s\n", err.offset, len,
				(int)sizeof(err.msg), err.msg);
			abort();
		}
	}
	free(pt);
	req_view_release(&view);
	arena_release(&arena);
	return 0;
}
