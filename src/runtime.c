/* SPDX-License-Identifier: MIT */
/* Stub groups, composed sets of shallow stub copies, and runtime stubs added and removed
 * while the server runs. */
#include "runtime.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "stub_load.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

struct stub_group *stub_group_create(struct stub **stubs, size_t n)
{
	struct stub_group *g = xcalloc(1, sizeof(*g));
	atomic_init(&g->refs, 1);
	g->stubs = stubs;
	g->n = n;
	return g;
}

struct stub_group *stub_group_ref(struct stub_group *g)
{
	atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed);
	return g;
}

void stub_group_unref(struct stub_group *g)
{
	if (!g || atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (size_t i = 0; !g->parts && i < g->n; i++)
		stub_destroy(g->stubs[i]);
	for (size_t i = 0; i < g->nparts; i++)
		stub_group_unref(g->parts[i]);
	free(g->parts);
	free(g->stubs);
	free(g);
}

struct stub_group *stub_group_join(struct stub_group **parts, size_t nparts)
{
	size_t n = 0;
	for (size_t i = 0; i < nparts; i++)
		n += parts[i]->n;
	struct stub **stubs = xmalloc((n ? n : 1) * sizeof(*stubs));
	n = 0;
	for (size_t i = 0; i < nparts; i++)
		for (size_t j = 0; j < parts[i]->n; j++)
			stubs[n++] = parts[i]->stubs[j];
	struct stub_group *g = stub_group_create(stubs, n);
	/* never NULL, so that an empty join still borrows */
	g->parts = parts ? parts : xmalloc(1);
	g->nparts = nparts;
	return g;
}

/* ---- composing a set ---- */

/* What a composed set holds besides its shallow copies. */
struct composed {
	struct stub_group **groups;
	size_t n;
	bool *copied;          /* copied[i]: stubs[i] is this set's copy (else a group's own stub) */
};

/* Frees a composed set's copies (their pointers belong to the groups) and drops the groups. */
static void free_composed(struct stub **stubs, size_t n, void *arg)
{
	struct composed *c = arg;
	for (size_t i = 0; i < n; i++)
		if (c->copied[i])
			free(stubs[i]);
	free(c->copied);
	free(stubs);
	for (size_t i = 0; i < c->n; i++)
		stub_group_unref(c->groups[i]);
	free(c->groups);
	free(c);
}

static struct stub *copy_of(const struct stub *s, size_t order)
{
	struct stub *c = xmalloc(sizeof(*c));
	*c = *s;
	c->order = order;
	return c;
}

static const struct stub *find_in(struct stub_group *const *groups, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; groups[i] && j < groups[i]->n; j++)
			if (strcmp(groups[i]->stubs[j]->id, id) == 0)
				return groups[i]->stubs[j];
	return NULL;
}

struct stub_set *runtime_compose(struct stub_group *files, struct stub_group *const *runtime, size_t nruntime,
				 struct diag_list *diags)
{
	size_t nfiles = files ? files->n : 0, total = nfiles, before = diags->n + diags->dropped;
	for (size_t i = 0; i < nruntime; i++)
		total += runtime[i]->n;
	for (size_t i = 0; i < nfiles; i++) {
		const struct stub *s = files->stubs[i];
		if (nruntime && find_in(runtime, nruntime, s->id))
			diag_add(diags, s->file, s->line, s->col,
				 "duplicate stub id '%s' (already the id of a runtime stub; remove it with "
				 "DELETE /__cannery/stubs/ID first)",
				 s->id);
	}
	if (diags->n + diags->dropped != before)
		return NULL;
	struct stub **stubs = xmalloc((total ? total : 1) * sizeof(*stubs));
	struct composed *c = xcalloc(1, sizeof(*c));
	c->groups = xmalloc((nruntime + 1) * sizeof(*c->groups));
	size_t n = 0;
	/* load order: runtime stubs newest first, then file stubs in file order */
	for (size_t i = 0; i < nruntime; i++) {
		c->groups[c->n++] = stub_group_ref(runtime[i]);
		for (size_t j = 0; j < runtime[i]->n; j++, n++)
			stubs[n] = copy_of(runtime[i]->stubs[j], n);
	}
	c->copied = xcalloc(total ? total : 1, sizeof(*c->copied));
	for (size_t i = 0; i < n; i++)
		c->copied[i] = true;
	if (files) {
		c->groups[c->n++] = stub_group_ref(files);
		/* A set without runtime stubs takes the file stubs of a group no set has served
		 * yet as they are: nothing else reads them, and their order, slot and rank come
		 * out the same as a copy's. That saves a 368-byte copy per stub (3.7 MB at
		 * 10,000). A group already lent is copied, so the values the set serving it relies
		 * on never change under it. A joined group (per-file cache, stub_cache.c) decides
		 * per part: its stubs belong to parts that earlier sets may be serving. */
		struct stub_group *self = files;
		struct stub_group *const *parts = files->nparts ? files->parts : &self;
		size_t nparts = files->nparts ? files->nparts : 1;
		for (size_t p = 0; p < nparts; p++) {
			bool borrow = !nruntime && !parts[p]->lent;
			if (borrow)
				parts[p]->lent = true;
			for (size_t j = 0; j < parts[p]->n; j++, n++) {
				if (borrow) {
					stubs[n] = parts[p]->stubs[j];
					stubs[n]->order = n;
				} else {
					stubs[n] = copy_of(parts[p]->stubs[j], n);
					c->copied[n] = true;
				}
			}
		}
	}
	struct stub_set *set = stub_set_create(stubs, n);
	set->stubs_free = free_composed;
	set->stubs_free_arg = c;
	return set;
}

/* ---- runtime stubs ---- */

/* Whether a yaml syntax error (not a stub problem) is among the diagnostics since before:
 * then the body did not parse at all. */
static bool syntax_error(const struct diag_list *diags, size_t before)
{
	for (size_t i = before; i < diags->n; i++)
		if (strncmp(diags->items[i].msg, "yaml syntax:", 12) == 0)
			return true;
	return false;
}

static bool id_taken(struct cannery_server *srv, const char *id, struct stub **fresh, size_t nfresh, size_t self)
{
	if ((srv->files && find_in(&srv->files, 1, id)) || find_in(srv->runtime, srv->nruntime, id))
		return true;
	/* named stubs keep their ids; unnamed ones before self already have their new ones */
	for (size_t i = 0; i < nfresh; i++)
		if ((fresh[i]->name || i < self) && strcmp(fresh[i]->id, id) == 0)
			return true;
	return false;
}

/* Publishes srv->files with runtime as the new runtime list (taking it over). Under
 * reload_lock. Fails only on an id clash, which callers rule out beforehand. */
static int publish(struct cannery_server *srv, struct stub_group **runtime, size_t nruntime, struct diag_list *diags)
{
	struct stub_set *set = runtime_compose(srv->files, runtime, nruntime, diags);
	if (!set)
		return -EBADMSG;
	server_publish(srv, set);
	free(srv->runtime);
	srv->runtime = runtime;
	srv->nruntime = nruntime;
	return 0;
}

int runtime_add(struct cannery_server *srv, const char *text, size_t len, const char *label, char ***ids,
		struct diag_list *diags)
{
	struct load_result res = { 0 };
	size_t before = diags->n;
	*ids = NULL;
	if (stub_load_string(text, len, label, NULL, true, &res, diags) < 0)
		return syntax_error(diags, before) ? -EINVAL : -EBADMSG;
	if (res.n == 0) {
		diag_add(diags, label, 0, 0, "no stubs: expected one stub (a mapping) or a list of stubs");
		load_result_release(&res);
		return -EINVAL;
	}
	pthread_mutex_lock(&srv->reload_lock);
	for (size_t i = 0; i < res.n; i++) {
		struct stub *s = res.stubs[i];
		if (s->name) {
			const struct stub *other = NULL;
			if (srv->files)
				other = find_in(&srv->files, 1, s->id);
			if (other)
				diag_add(diags, label, s->line, s->col, "duplicate stub id '%s' (first defined at %s:%d:%d)",
					 s->id, other->file, other->line, other->col);
			else if (find_in(srv->runtime, srv->nruntime, s->id))
				diag_add(diags, label, s->line, s->col,
					 "duplicate stub id '%s' (already a runtime stub; remove it first)", s->id);
			continue;
		}
		/* unnamed: the next free runtime-N, never reused while the server lives */
		struct strbuf id = STRBUF_INIT;
		do {
			strbuf_reset(&id);
			strbuf_addf(&id, "runtime-%lu", ++srv->runtime_next);
		} while (id_taken(srv, id.buf, res.stubs, res.n, i));
		free(s->id);
		s->id = strbuf_detach(&id, NULL);
	}
	int rc = -EBADMSG;
	if (diags->n != before)
		goto out;
	/* newest first: this batch (in its own order) before every older runtime stub */
	size_t nnew = res.n, ntotal = res.n + srv->nruntime;
	struct stub_group **runtime = xmalloc(ntotal * sizeof(*runtime));
	char **out = xcalloc(nnew + 1, sizeof(*out));
	for (size_t i = 0; i < nnew; i++) {
		struct stub **one = xmalloc(sizeof(*one));
		one[0] = res.stubs[i];
		runtime[i] = stub_group_create(one, 1);
		out[i] = xstrdup(res.stubs[i]->id);
	}
	if (srv->nruntime)
		memcpy(runtime + nnew, srv->runtime, srv->nruntime * sizeof(*runtime));
	res.n = 0;
	rc = publish(srv, runtime, ntotal, diags);
	if (rc < 0) {
		/* cannot happen: every new id was checked above; undo all the same */
		for (size_t i = 0; i < nnew; i++) {
			stub_group_unref(runtime[i]);
			free(out[i]);
		}
		free(runtime);
		free(out);
		goto out;
	}
	*ids = out;
out:
	pthread_mutex_unlock(&srv->reload_lock);
	load_result_release(&res);
	return rc;
}

int runtime_remove(struct cannery_server *srv, const char *id)
{
	int rc = -ENOENT;
	pthread_mutex_lock(&srv->reload_lock);
	for (size_t i = 0; i < srv->nruntime; i++) {
		if (strcmp(srv->runtime[i]->stubs[0]->id, id) != 0)
			continue;
		struct stub_group *gone = srv->runtime[i];
		struct stub_group **runtime = xmalloc((srv->nruntime ? srv->nruntime : 1) * sizeof(*runtime));
		size_t n = 0;
		for (size_t j = 0; j < srv->nruntime; j++)
			if (j != i)
				runtime[n++] = srv->runtime[j];
		struct diag_list diags = DIAG_LIST_INIT;
		rc = publish(srv, runtime, n, &diags);
		diag_list_release(&diags);
		if (rc == 0)
			stub_group_unref(gone);
		else
			free(runtime);
		goto out;
	}
	if (srv->files && find_in(&srv->files, 1, id))
		rc = -EPERM;
out:
	pthread_mutex_unlock(&srv->reload_lock);
	return rc;
}
