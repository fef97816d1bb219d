/* SPDX-License-Identifier: MIT */
/* Fuzz target: path templates and the route index, checked against a plain scan.
 *
 * The input is lines. Before a line "==" each line defines a stub: its first byte picks
 * the path kind, the method and the priority, the rest is the path (or path_regex);
 * after it, each line is a lookup: its first byte picks the method, the rest is the
 * request path. Without "==", every line is both a stub and a lookup. Each lookup must
 * give the same winner, with the same captures, as trying every stub in winner order;
 * a lookup that matches nothing also asks for its near misses. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "common.h"
#include "matcher.h"
#include "router.h"
#include "stub.h"
#include "stub_set.h"
#include "stub_load.h"
#include "util/arena.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define MAX_LINES 32

static const char *const def_methods[] = { NULL, "GET", "POST", "[GET, POST]", "ANY", "put", "DELETE", "OPTIONS" };
static const char *const def_priorities[] = { NULL, "1", "100", "200" };
static const char *const req_methods[] = { "GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD", "get", "X-CUSTOM" };

struct line {
	const char *p;
	size_t len;
};

/* YAML double-quoted text: printable ASCII as is, everything else as \xNN. */
static void add_quoted(struct strbuf *sb, const char *s, size_t len)
{
	strbuf_addc(sb, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			strbuf_addf(sb, "\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			strbuf_addc(sb, (char)c);
		else
			strbuf_addf(sb, "\\x%02x", c);
	}
	strbuf_addc(sb, '"');
}

/* One stub from one definition line, or NULL when the loader refuses it. */
static struct stub *define(const struct line *l, size_t index)
{
	unsigned char flags = l->len ? (unsigned char)l->p[0] : 0;
	const char *path = l->len ? l->p + 1 : "";
	size_t plen = l->len ? l->len - 1 : 0;
	unsigned kind = flags % 4;
	const char *method = def_methods[(flags >> 2) % 8];
	const char *priority = def_priorities[(flags >> 5) % 4];
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, "request:\n");
	if (method)
		strbuf_addf(&sb, "  method: %s\n", method);
	if (kind < 2) {
		strbuf_adds(&sb, "  path: ");
		add_quoted(&sb, path, plen);
		strbuf_addc(&sb, '\n');
	} else if (kind == 2) {
		strbuf_adds(&sb, "  path_regex: ");
		add_quoted(&sb, path, plen);
		strbuf_addc(&sb, '\n');
	}
	if (priority)
		strbuf_addf(&sb, "priority: %s\n", priority);
	strbuf_adds(&sb, "response: { status: 200 }\n");

	char label[32];
	snprintf(label, sizeof(label), "d%zu.yaml", index);
	struct load_result res;
	struct diag_list diags = DIAG_LIST_INIT;
	struct stub *s = NULL;
	if (stub_load_string(sb.buf, sb.len, label, NULL, false, &res, &diags) == 0 && res.n == 1) {
		s = res.stubs[0];
		res.n = 0;
		/* one load per line: give each the load order of a single file */
		s->order = index;
	}
	load_result_release(&res);
	diag_list_release(&diags);
	strbuf_release(&sb);
	return s;
}

static void check_same_params(const struct params *a, const struct params *b, const char *path)
{
	if (a->n != b->n)
		goto differ;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->items[i].name, b->items[i].name) != 0 || a->items[i].len != b->items[i].len ||
		    memcmp(a->items[i].value, b->items[i].value, a->items[i].len) != 0)
			goto differ;
	return;
differ:
	fprintf(stderr, "fuzz_path: captures differ for path '%s'\n", path);
	abort();
}

static void lookup(const struct stub_set *set, const struct line *l)
{
	unsigned char sel = l->len ? (unsigned char)l->p[0] : 0;
	char *path = l->len ? xstrndup(l->p + 1, l->len - 1) : xstrdup("");
	struct arena arena;
	arena_init(&arena);
	struct req_view view = { 0 };
	view.method = req_methods[sel % 8];
	view.path = path;
	view.arena = &arena;

	struct params params = { 0 };
	const struct stub *got = router_lookup(set->router, &view, &params);

	/* the oracle: the first stub in winner order whose every condition holds */
	const struct stub *want = NULL;
	for (size_t rank = 0; !want && rank < set->n; rank++) {
		const struct stub *s = router_at(set->router, rank, NULL);
		if (stub_method_ok(s, view.method) && stub_path_ok(s, &view, NULL) && stub_conditions_ok(s, &view))
			want = s;
	}
	if (got != want) {
		fprintf(stderr, "fuzz_path: %s '%s': the index picked %s, a scan picks %s\n", view.method, path,
			got ? got->id : "nothing", want ? want->id : "nothing");
		abort();
	}
	if (got) {
		struct params again = { 0 };
		if (!stub_path_ok(got, &view, &again)) {
			fprintf(stderr, "fuzz_path: the winner %s does not accept '%s'\n", got->id, path);
			abort();
		}
		check_same_params(&params, &again, path);
	} else {
		struct near_miss nm[ROUTER_MAX_NEAR_MISSES];
		size_t n = router_near_misses(set->router, &view, nm, ROUTER_MAX_NEAR_MISSES);
		for (size_t i = 1; i < n; i++)
			if (nm[i].failed < nm[i - 1].failed) {
				fprintf(stderr, "fuzz_path: near misses out of order for '%s'\n", path);
				abort();
			}
		near_miss_release(nm, n);
	}
	req_view_release(&view);
	arena_release(&arena);
	free(path);
}

static size_t split_lines(const uint8_t *data, size_t size, struct line *out, size_t max)
{
	size_t n = 0;
	const char *p = (const char *)data, *end = p + size;
	while (p < end && n < max) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl ? nl : end;
		out[n].p = p;
		out[n].len = (size_t)(stop - p);
		n++;
		p = nl ? nl + 1 : end;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct line lines[2 * MAX_LINES + 1];
	size_t n = split_lines(data, size, lines, sizeof(lines) / sizeof(lines[0]));
	size_t ndefs = n, first_lookup = 0;
	for (size_t i = 0; i < n; i++)
		if (lines[i].len == 2 && memcmp(lines[i].p, "==", 2) == 0) {
			ndefs = i;
			first_lookup = i + 1;
			break;
		}
	if (ndefs > MAX_LINES)
		ndefs = MAX_LINES;

	struct stub **stubs = xcalloc(ndefs ? ndefs : 1, sizeof(*stubs));
	size_t nstubs = 0;
	for (size_t i = 0; i < ndefs; i++) {
		struct stub *s = define(&lines[i], i);
		if (s)
			stubs[nstubs++] = s;
	}
	struct stub_set *set = stub_set_from_stubs(stubs, nstubs);
	for (size_t i = first_lookup; i < n && i < first_lookup + MAX_LINES; i++)
		lookup(set, &lines[i]);
	stub_set_unref(set);
	return 0;
}
