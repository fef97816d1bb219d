/* SPDX-License-Identifier: MIT */
/* Fuzz target: response templates, compiled from arbitrary text and rendered against a
 * fuzzed request.
 *
 * The input's first byte picks the mode (odd: a JSON body, compiled as a skeleton with
 * tpl_compile_json; even: a text template, tpl_compile); the template runs up to the
 * first "\n==\n", and the rest is a request in the lines fuzz_parse_request reads
 * ("M METHOD", "P /path", "Q n=v", "H n: v", "C n=v", "A n=v" for a path capture, then a
 * "B" line and the body). What must hold: no crash or leak, a compile error points inside the source, and
 * a JSON skeleton always renders to a JSON document. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#include "common.h"
#include "matcher.h"
#include "render.h"
#include "util/arena.h"
#include "util/rng.h"
#include "util/strbuf.h"

#define SEP "\n==\n"

static void render_check(const struct tpl *t, struct req_view *view, struct fuzz_request *pt, bool json)
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
	struct fuzz_request *pt = calloc(1, sizeof(*pt));
	if (rest)
		fuzz_parse_request(rest, rest_len, &view, pt);

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
