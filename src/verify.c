/* SPDX-License-Identifier: MIT */
/* Journal entries seen through the matcher: each entry becomes a req_view over its own
 * (immutable) strings, so counting needs no copies and no lock. */
#include "verify.h"

#include <string.h>

#include "util/arena.h"

static void view_of(struct req_view *v, const struct journal_entry *e, struct arena *a)
{
	memset(v, 0, sizeof(*v));
	v->method = e->method;
	v->path = e->path;
	v->target = e->target;
	v->query = e->query;
	v->nquery = e->nquery;
	v->headers = e->headers;
	v->nheaders = e->nheaders;
	v->cookies = e->cookies;
	v->ncookies = e->ncookies;
	v->body = e->body;
	v->body_len = e->body_len;
	v->arena = a;
}

bool verify_entry_matches(const struct stub *m, const struct journal_entry *e)
{
	struct arena a;
	struct req_view v;
	arena_init(&a);
	view_of(&v, e, &a);
	bool ok = stub_method_ok(m, e->method) && stub_path_ok(m, &v, NULL) && stub_conditions_ok(m, &v);
	req_view_release(&v);
	arena_release(&a);
	return ok;
}

size_t verify_count(const struct stub *m, const struct journal_snapshot *snap)
{
	size_t n = 0;
	for (size_t i = 0; i < snap->n; i++)
		if (verify_entry_matches(m, snap->v[i]))
			n++;
	return n;
}

size_t verify_near_misses(const struct stub *m, const struct journal_snapshot *snap, struct verify_miss *out,
			  size_t max)
{
	size_t kept = 0;
	if (max > VERIFY_MAX_NEAR_MISSES)
		max = VERIFY_MAX_NEAR_MISSES;
	if (max == 0)
		return 0;
	/* newest first, so that among equals the most recent request stays */
	for (size_t k = snap->n; k-- > 0;) {
		const struct journal_entry *e = snap->v[k];
		struct arena a;
		struct req_view v;
		arena_init(&a);
		view_of(&v, e, &a);
		unsigned limit = kept == max ? out[max - 1].failed : 0;
		unsigned failed = stub_explain_count(m, &v, limit);
		req_view_release(&v);
		arena_release(&a);
		if (failed == 0 || (kept == max && failed >= limit))
			continue;
		size_t at = kept < max ? kept++ : max - 1;
		while (at > 0 && failed < out[at - 1].failed) {
			out[at] = out[at - 1];
			at--;
		}
		memset(&out[at], 0, sizeof(out[at]));
		out[at].entry = e;
		out[at].failed = failed;
	}
	for (size_t i = 0; i < kept; i++) {
		struct arena a;
		struct req_view v;
		arena_init(&a);
		view_of(&v, out[i].entry, &a);
		out[i].failed = stub_explain(m, &v, &out[i].why);
		req_view_release(&v);
		arena_release(&a);
	}
	return kept;
}

void verify_miss_release(struct verify_miss *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mismatches_release(&v[i].why);
}

void verify_journal(const struct stub *m, struct journal *j, size_t at_least, size_t at_most,
		    struct verify_result *out)
{
	memset(out, 0, sizeof(*out));
	journal_snapshot(j, 0, &out->snap);
	out->count = verify_count(m, &out->snap);
	out->ok = out->count >= at_least && out->count <= at_most;
	/* too few: show what came close; too many: the surplus matched, nothing was near */
	if (out->count < at_least)
		out->nnear = verify_near_misses(m, &out->snap, out->near, 3);
}

void verify_result_release(struct verify_result *r)
{
	verify_miss_release(r->near, r->nnear);
	journal_snapshot_release(&r->snap);
	memset(r, 0, sizeof(*r));
}
