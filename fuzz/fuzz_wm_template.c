/* SPDX-License-Identifier: MIT */
/* Fuzz target: any bytes as a WireMock template, compiled and rendered against a fixed
 * request. Must hold: no crash or leak; an error inside the source with a message; the
 * same seed and clock render the same text twice. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "render.h"
#include "request.h"
#include "util/arena.h"
#include "util/rng.h"
#include "util/strbuf.h"
#include "wiremock_template.h"

/* The request, in fuzz_parse_request's lines; "A" is a urlPathTemplate parameter. */
static const char request[] = "M POST\nP /p/4 2/x\nQ y=a b\nQ y=2\nQ e=\nH Host: example.com:8080\nH X-Foo: foo\n"
			      "H X-Multi: one\nH X-Multi: two\nC sid=abc\nA id=4%202\nB\n"
			      "{\"a\":\"x\",\"n\":10.0,\"o\":{\"k\":[1,null,{\"q\":\"w\"}],\"z\":null},\"l\":[\"y/z\",1e3]}";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("TZ", "UTC", 1);         /* patterns without a timezone print in the local zone */
	return 0;
}

static char *render_once(const struct tpl *t, bool with_params)
{
	struct arena arena;
	arena_init(&arena);
	struct req_view view;
	memset(&view, 0, sizeof(view));
	view.arena = &arena;
	struct fuzz_request *parts = calloc(1, sizeof(*parts));
	if (!parts)
		abort();
	fuzz_parse_request(request, sizeof(request) - 1, &view, parts);
	view.target = "/p/4%202/x?y=a+b&y=2&e=";
	struct params params = { parts->params, with_params ? parts->nparams : 0 };
	struct rng rng;
	rng_seed(&rng, 7);
	struct render_ctx ctx = { &view, &params, &rng, 1, 1796653800123LL };
	struct strbuf out = STRBUF_INIT;
	tpl_render(t, &ctx, &out);
	req_view_release(&view);
	arena_release(&arena);
	free(parts);
	return strbuf_detach(&out, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *src = (const char *)data;
	struct tpl_error err;
	memset(&err, 0, sizeof(err));
	struct tpl *t = wm_template_compile(src, size, &err);
	if (!t) {
		if (err.offset > size || !memchr(err.msg, '\0', sizeof(err.msg)) || !err.msg[0]) {
			fprintf(stderr, "fuzz_wm_template: compile error at %zu of %zu: %.*s\n", err.offset, size,
				(int)sizeof(err.msg), err.msg);
			abort();
		}
		return 0;
	}
	bool with_params = size && (data[0] & 1);
	char *a = render_once(t, with_params), *b = render_once(t, with_params);
	if (strcmp(a, b) != 0) {
		fprintf(stderr, "fuzz_wm_template: two renderings differ:\n%s\n%s\n", a, b);
		abort();
	}
	free(a);
	free(b);
	tpl_destroy(t);
	return 0;
}
