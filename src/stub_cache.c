/* SPDX-License-Identifier: MIT */
/* Incremental loads: a list of per-file entries in load order, merged with each new
 * directory listing; only the files whose stat() changed are given to stub_load_file. */
#include "stub_cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "stub.h"
#include "load_result.h"
#include "stub_files.h"
#include "stub_load.h"
#include "util/hash.h"
#include "util/hmap.h"
#include "util/xalloc.h"

/* What says a file is still the one that was read. ctime is there because mtime can be
 * set back (touch -d, cp -p, tar) while ctime cannot. */
struct file_key {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

/* One stub file as last loaded without problems. */
struct entry {
	size_t dir;                 /* index in the dirs of the load */
	char *top;                  /* that DIR, as stub_load_dirs names it */
	char *root_real;            /* its realpath then, or NULL: `file:` confinement depends on it */
	char *rel;
	struct file_key key;        /* the stub file */
	struct file_key *bodies;    /* one per paths[1..npaths): the `file:` bodies */
	char **paths;               /* the file, then the bodies, as the loader opened them */
	size_t npaths;
	struct stub_group *group;   /* its stubs; order counts from 0 in the file */
	const char **named;         /* the ids of its stubs that have a name (borrowed from them) */
	size_t nnamed;
	bool racy;                  /* written too recently to trust the key: read it again */
};

struct stub_cache {
	struct entry *v;            /* in load order: DIR index, then byte order of rel */
	size_t n;
	struct stub_cache_stats stats;
	long long racy_ns;
	bool saw_writer;            /* the last load read a file open for writing */
};

struct stub_cache *stub_cache_create(void)
{
	struct stub_cache *c = xcalloc(1, sizeof(*c));
	c->racy_ns = STUB_CACHE_RACY_NS;
	return c;
}

void stub_cache_set_racy_ns(struct stub_cache *c, long long ns)
{
	c->racy_ns = ns;
}

static void entry_release(struct entry *e)
{
	free(e->top);
	free(e->root_real);
	free(e->rel);
	free(e->bodies);
	for (size_t i = 0; i < e->npaths; i++)
		free(e->paths[i]);
	free(e->paths);
	stub_group_unref(e->group);
	free(e->named);
	memset(e, 0, sizeof(*e));
}

void stub_cache_destroy(struct stub_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		entry_release(&c->v[i]);
	free(c->v);
	free(c);
}

struct stub_cache_stats stub_cache_get_stats(const struct stub_cache *c)
{
	return c->stats;
}

static void key_of(struct file_key *k, const struct stat *st)
{
	memset(k, 0, sizeof(*k));
	k->dev = st->st_dev;
	k->ino = st->st_ino;
	k->size = st->st_size;
	k->mtime = st->st_mtim;
	k->ctime = st->st_ctim;
}

static bool ts_eq(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

static bool key_eq(const struct file_key *a, const struct file_key *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size && ts_eq(a->mtime, b->mtime) &&
	       ts_eq(a->ctime, b->ctime);
}

static long long ns_of(struct timespec t)
{
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static long long newest(const struct file_key *k)
{
	long long m = ns_of(k->mtime), c = ns_of(k->ctime);
	return m > c ? m : c;
}

static bool str_eq(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) == 0 : a == b;
}

/* Whether entry e sorts before file rel of DIR number dir. */
static bool before(const struct entry *e, size_t dir, const char *rel)
{
	return e->dir < dir || (e->dir == dir && strcmp(e->rel, rel) < 0);
}

/* Whether e still holds what loading its file now would give. */
static bool still_valid(const struct entry *e, const char *top, const char *root_real, const struct stat *st)
{
	struct file_key k;
	key_of(&k, st);
	if (e->racy || !str_eq(e->top, top) || !str_eq(e->root_real, root_real) || !key_eq(&e->key, &k))
		return false;
	for (size_t i = 1; i < e->npaths; i++) {
		struct stat bst;
		if (stat(e->paths[i], &bst) != 0)
			return false;
		key_of(&k, &bst);
		if (!key_eq(&e->bodies[i - 1], &k))
			return false;
	}
	return true;
}

/* Reads and parses one file into e. Returns 0, or -1 with its problems in diags. Any
 * thread: it reads c's settings only. */
static int load_entry(const struct stub_cache *c, struct entry *e, size_t dir, const char *top,
		      const char *root_real, const struct stub_file *f, long long t0, struct diag_list *diags)
{
	struct load_result res = { 0 };
	if (stub_load_file(top, root_real, f->rel, &res, diags) < 0)
		return -1;
	memset(e, 0, sizeof(*e));
	e->dir = dir;
	e->top = xstrdup(top);
	e->root_real = root_real ? xstrdup(root_real) : NULL;
	e->rel = xstrdup(f->rel);
	/* the key is from before the read: a write after it changes the key, or is racy */
	key_of(&e->key, &f->st);
	long long latest = newest(&e->key);
	e->bodies = xcalloc(res.npaths ? res.npaths : 1, sizeof(*e->bodies));
	for (size_t i = 1; i < res.npaths; i++) {
		struct stat bst;
		if (stat(res.paths[i], &bst) != 0) {
			e->racy = true;
			continue;
		}
		key_of(&e->bodies[i - 1], &bst);
		if (newest(&e->bodies[i - 1]) > latest)
			latest = newest(&e->bodies[i - 1]);
	}
	if (latest > t0 - c->racy_ns)
		e->racy = true;
	e->group = load_result_take(&res, &e->paths, &e->npaths);
	for (size_t i = 0; i < e->group->n; i++)
		e->nnamed += e->group->stubs[i]->name != NULL;
	e->named = e->nnamed ? xmalloc(e->nnamed * sizeof(*e->named)) : NULL;
	for (size_t i = 0, k = 0; i < e->group->n; i++)
		if (e->group->stubs[i]->name)
			e->named[k++] = e->group->stubs[i]->id;
	return 0;
}

static void push(struct entry **v, size_t *n, size_t *alloc, const struct entry *e)
{
	if (*n == *alloc) {
		*alloc = *alloc ? *alloc * 2 : 64;
		*v = xrealloc(*v, *alloc * sizeof(**v));
	}
	(*v)[(*n)++] = *e;
}

/* Whether every stub id of g is unique: one pass through a table of the ids seen (their
 * hashes and the stubs, the ids not copied), at most half full. A sort of 100,000 ids
 * cost a reload ~6 ms in strcmp's cache misses. */
static bool ids_unique(const struct stub_group *g)
{
	if (g->n < 2)
		return true;
	size_t cap = 16;
	while (cap < 2 * g->n)
		cap *= 2;
	struct seen {
		uint64_t hash;
		const char *id;
	} *t = xcalloc(cap, sizeof(*t));
	bool unique = true;
	for (size_t i = 0; unique && i < g->n; i++) {
		const char *id = g->stubs[i]->id;
		uint64_t h = fnv1a_str(id);
		size_t j = (size_t)h & (cap - 1);
		for (; t[j].id; j = (j + 1) & (cap - 1))
			if (t[j].hash == h && strcmp(t[j].id, id) == 0)
				unique = false;
		t[j] = (struct seen){ h, id };
	}
	free(t);
	return unique;
}

/*
 * ids_unique without reading every id: an unnamed stub's id is RELPATH#INDEX, and such ids
 * of two files differ when their RELPATHs do (what follows the last '#' is digits), so only
 * the named ids need a table, and a named id that looks like RELPATH#INDEX a look at that
 * file's stubs. Files that share a RELPATH (the same name in two stub dirs) take the full
 * check. A reload at 100,000 stubs no longer hashes 100,000 ids.
 */
static bool ids_unique_by_file(const struct stub_cache *c, const struct stub_group *g)
{
	struct hmap rels = HMAP_INIT, named = HMAP_INIT;
	bool unique = true, shared_rel = false;
	for (size_t i = 0; i < c->n && !shared_rel; i++) {
		shared_rel = hmap_get(&rels, c->v[i].rel) != NULL;
		hmap_put(&rels, c->v[i].rel, &c->v[i]);
	}
	for (size_t i = 0; i < c->n && unique && !shared_rel; i++)
		for (size_t j = 0; j < c->v[i].nnamed && unique; j++)
			unique = hmap_add_key(&named, c->v[i].named[j]);
	for (size_t i = 0; i < c->n && unique && !shared_rel; i++) {
		for (size_t j = 0; j < c->v[i].nnamed && unique; j++) {
			const char *id = c->v[i].named[j], *hash = strrchr(id, '#');
			if (!hash || !hash[1] || strspn(hash + 1, "0123456789") != strlen(hash + 1))
				continue;
			char *rel = xstrndup(id, (size_t)(hash - id));
			const struct entry *e = hmap_get(&rels, rel);
			free(rel);
			for (size_t k = 0; e && k < e->group->n && unique; k++)
				unique = e->group->stubs[k]->name || strcmp(e->group->stubs[k]->id, id) != 0;
		}
	}
	hmap_release(&rels, NULL);
	hmap_release(&named, NULL);
	return shared_rel ? ids_unique(g) : unique;
}

/* A file to read (again): where its entry goes in the new list, and what loading it gave. */
struct job {
	size_t slot;                /* in the new entries */
	size_t dir;
	const char *top, *real;
	const struct stub_file *f;
	struct entry e;
	int rc;
	struct diag_list diags;
};

struct jobs {
	const struct stub_cache *c;
	struct job *v;
	size_t n;
	atomic_size_t next;
	long long t0;
};

/* Takes the next job until none is left. Runs on the loading thread and its helpers. */
static void *run_jobs(void *arg)
{
	struct jobs *js = arg;
	for (size_t i; (i = atomic_fetch_add_explicit(&js->next, 1, memory_order_relaxed)) < js->n;) {
		struct job *j = &js->v[i];
		j->rc = load_entry(js->c, &j->e, j->dir, j->top, j->real, j->f, js->t0, &j->diags);
	}
	return NULL;
}

/* A helper thread pays off from this many files on: a start with thousands of files is
 * mostly libyaml's parsing, which a file at a time runs on every CPU; a reload of a few
 * files stays on the caller's thread. */
#define FILES_PER_THREAD 16
#define MAX_THREADS 8

/* Runs every job, on up to one thread per CPU. The files are independent: each load has
 * its own parser, loader, pool and diagnostics. */
static void run_all(struct jobs *js)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t want = cpus > 1 ? (size_t)cpus : 1;
	if (want > MAX_THREADS)
		want = MAX_THREADS;
	if (want > js->n / FILES_PER_THREAD)
		want = js->n / FILES_PER_THREAD;
	pthread_t helpers[MAX_THREADS];
	size_t started = 0;
	/* without a helper (none wanted, or none could start) this thread does it all */
	for (size_t i = 1; i < want; i++)
		if (pthread_create(&helpers[started], NULL, run_jobs, js) == 0)
			started++;
	run_jobs(js);
	for (size_t i = 0; i < started; i++)
		pthread_join(helpers[i], NULL);
}

/* Whether a file just read, or a body it read, is open for writing (stub_file_being_written). */
static bool writer_of(const char *top, const struct job *j)
{
	char *path = stub_path_join(top, j->f->rel);
	bool seen = stub_file_being_written(path);
	free(path);
	for (size_t k = 1; j->rc == 0 && k < j->e.npaths; k++)
		seen |= stub_file_being_written(j->e.paths[k]);
	return seen;
}

/* Brings the entries up to date with the files under dirs: the unchanged ones are kept,
 * the others read again (on several threads when there are many). Problems go to diags; a
 * file with problems has no entry. */
static void refresh(struct stub_cache *c, const char *const *dirs, size_t ndirs, struct diag_list *diags)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	struct jobs js = { .c = c, .t0 = ns_of(now) };
	size_t alloc_jobs = 0;
	struct entry *fresh = NULL;
	size_t nfresh = 0, alloc = 0, old = 0;
	struct stub_root *roots = xcalloc(ndirs ? ndirs : 1, sizeof(*roots));
	struct stub_file **files = xcalloc(ndirs ? ndirs : 1, sizeof(*files));
	size_t *nfiles = xcalloc(ndirs ? ndirs : 1, sizeof(*nfiles));
	for (size_t d = 0; d < ndirs; d++) {
		/* DIR as stub_load_dirs shows it */
		roots[d] = stub_root_of(dirs[d]);
		const char *top = roots[d].shown, *real = roots[d].real;
		nfiles[d] = stub_load_list(top, &files[d], diags);
		for (size_t j = 0; j < nfiles[d]; j++) {
			const struct stub_file *f = &files[d][j];
			struct entry e;
			while (old < c->n && before(&c->v[old], d, f->rel))
				entry_release(&c->v[old++]);
			if (old < c->n && c->v[old].dir == d && strcmp(c->v[old].rel, f->rel) == 0) {
				e = c->v[old++];
				if (still_valid(&e, top, real, &f->st)) {
					c->stats.reused++;
					push(&fresh, &nfresh, &alloc, &e);
					continue;
				}
				entry_release(&e);
			}
			/* its place in the new list, filled once it is read */
			memset(&e, 0, sizeof(e));
			push(&fresh, &nfresh, &alloc, &e);
			if (js.n == alloc_jobs) {
				alloc_jobs = alloc_jobs ? 2 * alloc_jobs : 16;
				js.v = xrealloc(js.v, alloc_jobs * sizeof(*js.v));
			}
			js.v[js.n++] = (struct job){ .slot = nfresh - 1, .dir = d, .top = top, .real = real, .f = f,
						     .diags = DIAG_LIST_INIT };
		}
	}
	while (old < c->n)
		entry_release(&c->v[old++]);
	run_all(&js);
	for (size_t i = 0; i < js.n; i++) {
		struct job *j = &js.v[i];
		c->stats.parsed++;
		/* asked after the read: a writer that opened the file before or during it
		 * still has it open (a truncation happens with the file open) */
		if (writer_of(j->top, j))
			c->saw_writer = true;
		if (j->rc == 0)
			fresh[j->slot] = j->e;
		diag_list_move(diags, &j->diags);
		diag_list_release(&j->diags);
	}
	free(js.v);
	/* drop the places of the files that did not load */
	size_t n = 0;
	for (size_t i = 0; i < nfresh; i++)
		if (fresh[i].group)
			fresh[n++] = fresh[i];
	for (size_t d = 0; d < ndirs; d++) {
		stub_files_release(files[d], nfiles[d]);
		stub_root_release(&roots[d]);
	}
	free(files);
	free(nfiles);
	free(roots);
	free(c->v);
	c->v = fresh;
	c->n = n;
}

int stub_cache_load(struct stub_cache *c, const char *const *dirs, size_t ndirs, struct stub_group **files,
		    char ***paths, size_t *npaths, struct diag_list *diags)
{
	struct diag_list problems = DIAG_LIST_INIT;
	*files = NULL;
	*paths = NULL;
	*npaths = 0;
	c->stats.loads++;
	c->saw_writer = false;
	refresh(c, dirs, ndirs, &problems);
	bool ok = problems.n == 0 && problems.dropped == 0;
	diag_list_release(&problems);
	if (ok) {
		struct stub_group **parts = xmalloc((c->n ? c->n : 1) * sizeof(*parts));
		size_t np = 0;
		for (size_t i = 0; i < c->n; i++) {
			parts[i] = stub_group_ref(c->v[i].group);
			np += c->v[i].npaths;
		}
		struct stub_group *g = stub_group_join(parts, c->n);
		if (ids_unique_by_file(c, g)) {
			char **pv = xmalloc((np ? np : 1) * sizeof(*pv));
			np = 0;
			for (size_t i = 0; i < c->n; i++)
				for (size_t j = 0; j < c->v[i].npaths; j++)
					pv[np++] = xstrdup(c->v[i].paths[j]);
			*files = g;
			*paths = pv;
			*npaths = np;
			return 0;
		}
		stub_group_unref(g);
	}
	/* something is wrong: a full load reports it exactly as it always has (and should the
	 * files have been fixed meanwhile, its result serves) */
	c->stats.full_loads++;
	struct load_result res = { 0 };
	if (stub_load_dirs(dirs, ndirs, &res, diags) < 0)
		return -1;
	*files = load_result_take(&res, paths, npaths);
	return 0;
}

bool stub_cache_saw_writer(const struct stub_cache *c)
{
	return c->saw_writer;
}
