/* SPDX-License-Identifier: MIT */
/* The catalog: file stubs and runtime stubs, composed into numbered generations of the
 * served set. */
#include "catalog.h"

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "slot.h"
#include "stub.h"
#include "stub_cache.h"
#include "stub_files.h"
#include "stub_load.h"
#include "stub_set.h"
#include "timers.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

struct catalog {
	struct catalog_config cfg;
	/* lock serializes rebuilds and guards everything below */
	pthread_mutex_t lock;
	struct stub_cache *cache;      /* each stub file's last load */
	struct stub_group *files;      /* the last good load of the stub files */
	struct stub_group **runtime;   /* runtime stubs, one per group, newest first */
	size_t nruntime;
	unsigned long runtime_next;    /* the last N given to an unnamed runtime stub */
	struct stub_group **sources;   /* other front-ends' stubs (CRUD resources), after the files */
	size_t nsources;
	struct catalog_stats stats;
	struct catalog_failure failure;  /* the last refused reload; errors owned */
	bool created;                  /* the first set is published */
	uint64_t trim_timer;           /* the trim waiting for reloads to pause, or 0 */
};

static void files_read(struct catalog *c, char **paths, size_t n)
{
	if (c->cfg.files_read) {
		c->cfg.files_read(c->cfg.cls, paths, n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

/*
 * Builds the set of runtime[0..nruntime) (newest first) and then files, which is the load
 * order of section 2's winner rule, and publishes it. A runtime id equal to a file stub id
 * is an error reported at the file stub (the file is what changed): nothing is published
 * then. Under lock.
 */
/* Gives the freed memory of a publish (the parse's node trees, the old set) back to the
 * kernel: without it glibc keeps ~10 MB of free heap at 10,000 stubs. A timer_fn. */
static void trim(void *arg, bool cancelled)
{
	(void)arg;
#ifdef __GLIBC__
	if (!cancelled)
		malloc_trim(0);
#else
	(void)cancelled;
#endif
}

static int publish(struct catalog *c, struct stub_group *files, struct stub_group *const *runtime,
		   size_t nruntime, struct diag_list *diags)
{
	size_t before = diags->n + diags->dropped;
	for (size_t i = 0; files && nruntime && i < files->n; i++) {
		const struct stub *s = files->stubs[i];
		if (stub_group_find(runtime, nruntime, s->id))
			diag_add(diags, s->file, s->line, s->col,
				 "duplicate stub id '%s' (already the id of a runtime stub; remove it with "
				 "DELETE /__cannery/stubs/ID first)",
				 s->id);
	}
	if (diags->n + diags->dropped != before)
		return -EBADMSG;
	struct stub_group **groups = xmalloc((nruntime + 1 + c->nsources) * sizeof(*groups));
	size_t n = 0;
	for (size_t i = 0; i < nruntime; i++)
		groups[n++] = runtime[i];
	if (files)
		groups[n++] = files;
	/* last: on a full tie under section 2's rules, a stub file wins over a resource; an
	 * empty one (the WireMock front of a server without mappings) adds nothing */
	for (size_t i = 0; i < c->nsources; i++)
		if (c->sources[i]->n)
			groups[n++] = c->sources[i];
	struct stub_set *prev = slot_acquire(c->cfg.slot);
	struct stub_set *set = stub_set_create_from(prev, groups, n, c->stats.generation + 1, c->cfg.ext);
	stub_set_unref(prev);
	free(groups);
	c->stats.generation++;
	slot_publish(c->cfg.slot, set);
	/* the first set's start trims before the ready line; later ones once reloads have
	 * paused for CATALOG_TRIM_DELAY_MS, on the timer thread: what a trim gives back (the
	 * old set's arrays, ~10 MB at 100,000 stubs) the next reload allocates again and
	 * faults in page by page, 20 ms of a reload that is 8 ms without (bench/README.md) */
	if (!c->created || !c->cfg.timers) {
		trim(NULL, false);
	} else {
		if (c->trim_timer)
			timers_cancel(c->cfg.timers, c->trim_timer);
		c->trim_timer = timers_add(c->cfg.timers, CATALOG_TRIM_DELAY_MS, trim, NULL);
	}
	return 0;
}

/* Loads the files again and publishes them with the runtime stubs, unless settled (when
 * given) says the files changed while they were read. Under lock. */
static int load(struct catalog *c, char **errors, bool (*settled)(void *cls, bool writer_seen), void *cls)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct stub_group *files = NULL;
	char **paths = NULL;
	size_t npaths = 0;
	/* only the files that changed since the last load are parsed again */
	int rc = stub_cache_load(c->cache, c->cfg.dirs, c->cfg.ndirs, &files, &paths, &npaths, &diags);
	if (settled && !settled(cls, stub_cache_saw_writer(c->cache))) {
		/* a file was being written: what was read may be torn (a truncated file reads
		 * as empty), so it is neither served nor reported */
		stub_group_unref(files);
		for (size_t i = 0; i < npaths; i++)
			free(paths[i]);
		free(paths);
		diag_list_release(&diags);
		return -EAGAIN;
	}
	if (rc == 0) {
		rc = publish(c, files, c->runtime, c->nruntime, &diags);
		if (rc == 0) {
			stub_group_unref(c->files);
			c->files = files;
		} else {
			stub_group_unref(files);
		}
		/* the watcher learns of the files only once the change is served */
		files_read(c, paths, npaths);
	}
	if (rc < 0 && errors)
		*errors = diag_list_format(&diags);
	diag_list_release(&diags);
	return rc < 0 ? -EINVAL : 0;
}

int catalog_create(const struct catalog_config *cfg, struct catalog **out, char **errors)
{
	struct catalog *c = xcalloc(1, sizeof(*c));
	c->cfg = *cfg;
	pthread_mutex_init(&c->lock, NULL);
	c->cache = stub_cache_create();
	pthread_mutex_lock(&c->lock);
	int rc = load(c, errors, NULL, NULL);
	c->created = true;
	pthread_mutex_unlock(&c->lock);
	if (rc < 0) {
		catalog_destroy(c);
		return rc;
	}
	*out = c;
	return 0;
}

void catalog_destroy(struct catalog *c)
{
	if (!c)
		return;
	stub_group_unref(c->files);
	stub_cache_destroy(c->cache);
	for (size_t i = 0; i < c->nruntime; i++)
		stub_group_unref(c->runtime[i]);
	free(c->runtime);
	for (size_t i = 0; i < c->nsources; i++)
		stub_group_unref(c->sources[i]);
	free(c->sources);
	free(c->failure.errors);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

int catalog_reload_settled(struct catalog *c, char **errors, bool (*settled)(void *cls, bool writer_seen),
			   void *cls)
{
	char *why = NULL;
	pthread_mutex_lock(&c->lock);
	int rc = load(c, &why, settled, cls);
	if (rc == 0) {
		c->stats.reloads++;
		c->failure.current = false;
	} else if (rc == -EAGAIN) {
		c->stats.reloads_torn++;
	} else {
		c->stats.reload_errors++;
		/* kept for GET /__cannery/reload (the dashboard): who reloaded may not be
		 * the one who wants to know why it failed */
		free(c->failure.errors);
		c->failure.errors = xstrdup(why ? why : "");
		clock_gettime(CLOCK_REALTIME, &c->failure.time);
		c->failure.current = true;
	}
	pthread_mutex_unlock(&c->lock);
	if (errors)
		*errors = why;
	else
		free(why);
	return rc;
}

int catalog_reload(struct catalog *c, char **errors)
{
	return catalog_reload_settled(c, errors, NULL, NULL);
}

struct catalog_stats catalog_get_stats(struct catalog *c)
{
	pthread_mutex_lock(&c->lock);
	struct catalog_stats s = c->stats;
	pthread_mutex_unlock(&c->lock);
	return s;
}

struct catalog_failure catalog_last_failure(struct catalog *c)
{
	pthread_mutex_lock(&c->lock);
	struct catalog_failure f = c->failure;
	f.errors = f.errors ? xstrdup(f.errors) : NULL;
	pthread_mutex_unlock(&c->lock);
	return f;
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

static bool id_taken(struct catalog *c, const char *id, struct stub **fresh, size_t nfresh, size_t self)
{
	if (stub_group_find(&c->files, 1, id) || stub_group_find(c->runtime, c->nruntime, id))
		return true;
	/* named stubs keep their ids; unnamed ones before self already have their new ones */
	for (size_t i = 0; i < nfresh; i++)
		if ((fresh[i]->name || i < self) && strcmp(fresh[i]->id, id) == 0)
			return true;
	return false;
}

/* Publishes the files with runtime as the new runtime list (taking it over on success). */
static int set_runtime(struct catalog *c, struct stub_group **runtime, size_t nruntime, struct diag_list *diags)
{
	int rc = publish(c, c->files, runtime, nruntime, diags);
	if (rc < 0)
		return rc;
	free(c->runtime);
	c->runtime = runtime;
	c->nruntime = nruntime;
	return 0;
}

/* Checks the ids of the new stubs and names the unnamed ones. Under lock. */
static void check_ids(struct catalog *c, struct load_result *res, const char *label, struct diag_list *diags)
{
	for (size_t i = 0; i < res->n; i++) {
		struct stub *s = res->stubs[i];
		if (s->name) {
			const struct stub *other = stub_group_find(&c->files, 1, s->id);
			if (other)
				diag_add(diags, label, s->line, s->col, "duplicate stub id '%s' (first defined at %s:%d:%d)",
					 s->id, other->file, other->line, other->col);
			else if (stub_group_find(c->runtime, c->nruntime, s->id))
				diag_add(diags, label, s->line, s->col,
					 "duplicate stub id '%s' (already a runtime stub; remove it first)", s->id);
			continue;
		}
		/* unnamed: the next free runtime-N, never reused while the server lives */
		struct strbuf id = STRBUF_INIT;
		do {
			strbuf_reset(&id);
			strbuf_addf(&id, "runtime-%lu", ++c->runtime_next);
		} while (id_taken(c, id.buf, res->stubs, res->n, i));
		free(s->id);
		s->id = strbuf_detach(&id, NULL);
	}
}

int catalog_add(struct catalog *c, const char *text, size_t len, const char *label, char ***ids,
		struct diag_list *diags)
{
	struct load_result res = { 0 };
	size_t before = diags->n, dropped = diags->dropped;
	*ids = NULL;
	if (stub_load_string(text, len, label, NULL, true, &res, diags) < 0)
		return syntax_error(diags, before) ? -EINVAL : -EBADMSG;
	if (res.n == 0) {
		diag_add(diags, label, 0, 0, "no stubs: expected one stub (a mapping) or a list of stubs");
		load_result_release(&res);
		return -EINVAL;
	}
	pthread_mutex_lock(&c->lock);
	check_ids(c, &res, label, diags);
	int rc = -EBADMSG;
	/* a full list drops new errors: they count all the same */
	if (diags->n != before || diags->dropped != dropped)
		goto out;
	/* newest first: this batch (in its own order) before every older runtime stub */
	size_t nnew = res.n, ntotal = res.n + c->nruntime;
	struct stub_group **runtime = xmalloc(ntotal * sizeof(*runtime));
	char **out = xcalloc(nnew + 1, sizeof(*out));
	for (size_t i = 0; i < nnew; i++) {
		struct stub **one = xmalloc(sizeof(*one));
		one[0] = res.stubs[i];
		runtime[i] = stub_group_create(one, 1);
		out[i] = xstrdup(res.stubs[i]->id);
	}
	if (c->nruntime)
		memcpy(runtime + nnew, c->runtime, c->nruntime * sizeof(*runtime));
	res.n = 0;
	rc = set_runtime(c, runtime, ntotal, diags);
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
	pthread_mutex_unlock(&c->lock);
	load_result_release(&res);
	return rc;
}

int catalog_remove(struct catalog *c, const char *id)
{
	int rc = -ENOENT;
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->nruntime; i++) {
		if (strcmp(c->runtime[i]->stubs[0]->id, id) != 0)
			continue;
		struct stub_group *gone = c->runtime[i];
		struct stub_group **runtime = xmalloc((c->nruntime ? c->nruntime : 1) * sizeof(*runtime));
		size_t n = 0;
		for (size_t j = 0; j < c->nruntime; j++)
			if (j != i)
				runtime[n++] = c->runtime[j];
		struct diag_list diags = DIAG_LIST_INIT;
		rc = set_runtime(c, runtime, n, &diags);
		diag_list_release(&diags);
		if (rc == 0)
			stub_group_unref(gone);
		else
			free(runtime);
		goto out;
	}
	if (stub_group_find(&c->files, 1, id))
		rc = -EPERM;
	else if (stub_group_find(c->sources, c->nsources, id))
		rc = -EACCES;   /* a front-end's: a WireMock mapping, a CRUD resource */
out:
	pthread_mutex_unlock(&c->lock);
	return rc;
}

/* Whether any of groups[0..n) has a stub. */
static bool stubs_in(struct stub_group *const *groups, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (groups[i]->n)
			return true;
	return false;
}

int catalog_set_sources(struct catalog *c, struct stub_group *const *groups, size_t n, char **errors)
{
	struct diag_list diags = DIAG_LIST_INIT;
	pthread_mutex_lock(&c->lock);
	struct stub_group **old = c->sources;
	size_t nold = c->nsources;
	/* no stubs from another front-end before or now (the server's start asks, with an
	 * empty WireMock front): the set published is this one already, and at 100,000 stubs
	 * building it again was 90 ms and 30 MB */
	bool same = !stubs_in(groups, n) && !stubs_in(old, nold);
	c->sources = xmalloc((n ? n : 1) * sizeof(*c->sources));
	for (size_t i = 0; i < n; i++)
		c->sources[i] = stub_group_ref(groups[i]);
	c->nsources = n;
	int rc = same ? 0 : publish(c, c->files, c->runtime, c->nruntime, &diags);
	if (rc < 0) {
		for (size_t i = 0; i < n; i++)
			stub_group_unref(c->sources[i]);
		free(c->sources);
		c->sources = old;
		c->nsources = nold;
	} else {
		for (size_t i = 0; i < nold; i++)
			stub_group_unref(old[i]);
		free(old);
	}
	pthread_mutex_unlock(&c->lock);
	if (rc < 0 && errors)
		*errors = diag_list_format(&diags);
	diag_list_release(&diags);
	return rc < 0 ? -EINVAL : 0;
}
