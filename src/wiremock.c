/* SPDX-License-Identifier: MIT */
/* A WireMock root: its mapping files listed, compiled into one group, and read again
 * when anything under the root changed. */
#include "wiremock.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "stub.h"
#include "stub_files.h"
#include "util/hash.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "wiremock_load.h"

struct wm_root {
	char *dir;                  /* as given, without trailing slashes */
	char *mappings;             /* DIR/mappings */
	struct stub_root files;     /* DIR/__files */
	uint64_t base;              /* where the recency of its mappings starts */
	uint64_t insertion;         /* the recency counter of the mappings loaded so far */
	struct stub_group *group;
	uint64_t signature;         /* of the files the group was read from */
	size_t nfiles;              /* mapping files the group was read from */
};

bool wm_is_root(const char *dir)
{
	char *m = stub_path_join(dir, "mappings");
	struct stat st;
	bool yes = stat(m, &st) == 0 && S_ISDIR(st.st_mode);
	free(m);
	return yes;
}

/* Appends each file's name, inode, size and times: any change to a file shows. */
static void describe_files(struct strbuf *sb, const struct stub_file *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct stat *st = &v[i].st;
		strbuf_addf(sb, "%s %llu %lld %lld.%ld %lld.%ld\n", v[i].rel, (unsigned long long)st->st_ino,
			    (long long)st->st_size, (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
			    (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
	}
}

/* What the root's files are now, mapping files and body files, as one hash: a different
 * value means something to read again. */
static uint64_t signature_of(const struct stub_file *maps, size_t nmaps, const struct stub_file *bodies,
			     size_t nbodies)
{
	struct strbuf sb = STRBUF_INIT;
	describe_files(&sb, maps, nmaps);
	strbuf_adds(&sb, "__files\n");
	describe_files(&sb, bodies, nbodies);
	uint64_t h = fnv1a(sb.buf ? sb.buf : "", sb.len);
	strbuf_release(&sb);
	return h;
}

/* Every mapping file, compiled; NULL (problems in diags) when any is wrong. */
static struct stub_group *load_all(struct wm_root *r, const struct stub_file *maps, size_t nmaps,
				   const struct stub_file *bodies, size_t nbodies, struct diag_list *diags)
{
	/* every load counts from the start: a reload ranks the files as the first load did */
	r->insertion = r->base;
	struct wm_out out = { NULL, 0, &r->insertion };
	size_t errors = diags->n + diags->dropped;
	for (size_t i = 0; i < nmaps; i++) {
		char *path = stub_path_join(r->mappings, maps[i].rel);
		char *text = NULL;
		size_t len = 0;
		int rc = stub_file_read(path, &text, &len);
		if (rc < 0)
			diag_add(diags, path, 0, 0, "cannot read the mapping file: %s", strerror(-rc));
		else
			wm_load_file(path, text, len, &(struct wm_files){ r->files.shown, r->files.real }, &out, diags);
		free(text);
		free(path);
	}
	if (diags->n + diags->dropped != errors) {
		for (size_t i = 0; i < out.n; i++)
			stub_destroy(out.stubs[i]);
		free(out.stubs);
		return NULL;
	}
	wm_load_static(&(struct wm_files){ r->files.shown, r->files.real }, bodies, nbodies, &out);
	for (size_t i = 0; i < out.n; i++)
		out.stubs[i]->order = i;
	return stub_group_create(out.stubs, out.n);
}

/* Lists and (when changed, or first) loads. 1: a new group; 0: unchanged; -1: errors. */
static int load(struct wm_root *r, bool force, struct diag_list *diags)
{
	struct stub_file *maps = NULL;
	size_t errors = diags->n + diags->dropped;
	size_t nmaps = stub_list_files(r->mappings, stub_file_is_json, &maps, diags);
	if (diags->n + diags->dropped != errors) {
		stub_files_release(maps, nmaps);
		return -1;
	}
	/* __files is listed once: for the signature and, when something changed, its answers */
	struct stub_file *bodies = NULL;
	struct diag_list ignored = DIAG_LIST_INIT;
	size_t nbodies = r->files.real ? stub_list_files(r->files.shown, stub_file_any, &bodies, &ignored) : 0;
	diag_list_release(&ignored);
	uint64_t sig = signature_of(maps, nmaps, bodies, nbodies);
	int rc = 0;
	if (force || sig != r->signature) {
		struct stub_group *g = load_all(r, maps, nmaps, bodies, nbodies, diags);
		if (g) {
			stub_group_unref(r->group);
			r->group = g;
			r->nfiles = nmaps;
			r->signature = sig;
			rc = 1;
		} else {
			rc = -1;
		}
	}
	stub_files_release(bodies, nbodies);
	stub_files_release(maps, nmaps);
	return rc;
}

struct wm_root *wm_root_create(const char *root, uint64_t base, struct diag_list *diags)
{
	struct wm_root *r = xcalloc(1, sizeof(*r));
	r->base = base;
	size_t n = strlen(root);
	while (n > 1 && root[n - 1] == '/')
		n--;
	r->dir = xstrndup(root, n);
	r->mappings = stub_path_join(r->dir, "mappings");
	char *files = stub_path_join(r->dir, "__files");
	r->files = stub_root_of(files);
	free(files);
	if (!wm_is_root(r->dir)) {
		diag_add(diags, r->dir, 0, 0, "not a WireMock root: it has no mappings directory");
		wm_root_destroy(r);
		return NULL;
	}
	if (load(r, true, diags) < 0) {
		wm_root_destroy(r);
		return NULL;
	}
	return r;
}

void wm_root_destroy(struct wm_root *r)
{
	if (!r)
		return;
	stub_group_unref(r->group);
	stub_root_release(&r->files);
	free(r->mappings);
	free(r->dir);
	free(r);
}

const char *wm_root_dir(const struct wm_root *r)
{
	return r->dir;
}

void wm_root_watch_dirs(const struct wm_root *r, const char **dirs)
{
	dirs[0] = r->mappings;
	dirs[1] = r->files.shown;
}

size_t wm_root_nfiles(const struct wm_root *r)
{
	return r->nfiles;
}

struct stub_group *wm_root_group(struct wm_root *r)
{
	return stub_group_ref(r->group);
}

int wm_root_reload(struct wm_root *r, struct diag_list *diags)
{
	/* the files under __files may have appeared since the start */
	if (!r->files.real)
		r->files.real = realpath(r->files.shown, NULL);
	return load(r, false, diags);
}

/* ---- the front: roots and the admin API's mappings ------------------------------ */

/* API mappings are newer than any file mapping; file roots are 2^32 apart. */
#define API_BASE ((uint64_t)1 << 48)

struct wm_front {
	pthread_mutex_t lock;       /* guards everything below */
	struct wm_root **roots;
	size_t nroots;
	struct stub_group **api;    /* one group per API mapping, oldest first */
	size_t napi;
	uint64_t api_insertion;
	char **hidden;              /* ids of file mappings deleted through the API */
	size_t nhidden;
	bool all_hidden;            /* DELETE /__admin/mappings: every file mapping */
};

struct wm_front *wm_front_create(const char *const *roots, size_t n, struct diag_list *diags)
{
	struct wm_front *f = xcalloc(1, sizeof(*f));
	pthread_mutex_init(&f->lock, NULL);
	f->api_insertion = API_BASE;
	f->roots = xcalloc(n + 1, sizeof(*f->roots));
	size_t errors = diags->n + diags->dropped;
	for (size_t i = 0; i < n; i++) {
		struct wm_root *r = wm_root_create(roots[i], (uint64_t)i << 32, diags);
		if (r)
			f->roots[f->nroots++] = r;
	}
	if (diags->n + diags->dropped != errors) {
		wm_front_destroy(f);
		return NULL;
	}
	return f;
}

static void unhide(struct wm_front *f)
{
	for (size_t i = 0; i < f->nhidden; i++)
		free(f->hidden[i]);
	free(f->hidden);
	f->hidden = NULL;
	f->nhidden = 0;
	f->all_hidden = false;
}

static void drop_api(struct wm_front *f)
{
	for (size_t i = 0; i < f->napi; i++)
		stub_group_unref(f->api[i]);
	free(f->api);
	f->api = NULL;
	f->napi = 0;
}

void wm_front_destroy(struct wm_front *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nroots; i++)
		wm_root_destroy(f->roots[i]);
	free(f->roots);
	drop_api(f);
	unhide(f);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

size_t wm_front_watch_dirs(const struct wm_front *f, const char **dirs)
{
	for (size_t i = 0; i < f->nroots; i++)
		wm_root_watch_dirs(f->roots[i], dirs + 2 * i);
	return 2 * f->nroots;
}

static bool is_hidden(const struct wm_front *f, const char *id)
{
	if (f->all_hidden)
		return true;
	for (size_t i = 0; i < f->nhidden; i++)
		if (strcmp(f->hidden[i], id) == 0)
			return true;
	return false;
}

/* keep() for the roots' groups: what the API did not delete. */
static bool shown(const struct stub *s, void *cls)
{
	return !is_hidden(cls, s->id);
}

/* Under the lock. */
static struct stub_group *group_locked(struct wm_front *f)
{
	struct stub_group **files = xmalloc((f->nroots + 1) * sizeof(*files));
	for (size_t i = 0; i < f->nroots; i++)
		files[i] = wm_root_group(f->roots[i]);
	struct stub_group **parts = xmalloc(2 * sizeof(*parts));
	parts[0] = stub_group_subset(files, f->nroots, shown, f);
	struct stub_group **api = xmalloc((f->napi + 1) * sizeof(*api));
	for (size_t i = 0; i < f->napi; i++)
		api[i] = stub_group_ref(f->api[i]);
	parts[1] = stub_group_join(api, f->napi);
	return stub_group_join(parts, 2);
}

struct stub_group *wm_front_group(struct wm_front *f)
{
	pthread_mutex_lock(&f->lock);
	struct stub_group *g = group_locked(f);
	pthread_mutex_unlock(&f->lock);
	return g;
}

int wm_front_reload(struct wm_front *f, struct diag_list *diags)
{
	pthread_mutex_lock(&f->lock);
	int rc = 0;
	for (size_t i = 0; i < f->nroots; i++) {
		int r = wm_root_reload(f->roots[i], diags);
		rc = r < 0 ? -1 : rc < 0 ? rc : (rc | r);
	}
	pthread_mutex_unlock(&f->lock);
	return rc;
}

/* The stub with this id among the mappings served now (under the lock); *api_at gets its
 * index among the API's, or SIZE_MAX for a file mapping. */
static const struct stub *find_locked(struct wm_front *f, const char *id, size_t *api_at)
{
	*api_at = SIZE_MAX;
	for (size_t i = 0; i < f->napi; i++)
		if (strcmp(f->api[i]->stubs[0]->id, id) == 0) {
			*api_at = i;
			return f->api[i]->stubs[0];
		}
	if (is_hidden(f, id))
		return NULL;
	for (size_t i = 0; i < f->nroots; i++) {
		struct stub_group *g = f->roots[i]->group;
		for (size_t j = 0; j < g->n; j++)
			if (strcmp(g->stubs[j]->id, id) == 0)
				return g->stubs[j];
	}
	return NULL;
}

static void hide(struct wm_front *f, const char *id)
{
	f->hidden = xrealloc(f->hidden, (f->nhidden + 1) * sizeof(*f->hidden));
	f->hidden[f->nhidden++] = xstrdup(id);
}

int wm_front_put(struct wm_front *f, const char *label, const char *text, size_t len, const char *replace_id,
		 char **json, struct diag_list *diags)
{
	pthread_mutex_lock(&f->lock);
	size_t api_at = SIZE_MAX;
	const struct stub *old = replace_id ? find_locked(f, replace_id, &api_at) : NULL;
	int rc = 1;
	if (replace_id && !old) {
		rc = 0;
		goto out;
	}
	/* PUT keeps the mapping's place among equals (its recency); POST is the newest */
	uint64_t insertion = old ? old->insertion : ++f->api_insertion;
	const struct wm_files none = { NULL, NULL };
	const struct wm_files *files = f->nroots ? &(struct wm_files){ f->roots[0]->files.shown, f->roots[0]->files.real } : &none;
	struct stub *s = wm_load_mapping(label, text, len, files, insertion, replace_id, diags);
	if (!s) {
		rc = -1;
		goto out;
	}
	size_t at;
	if (!replace_id && find_locked(f, s->id, &at)) {
		stub_destroy(s);
		rc = -2;
		goto out;
	}
	free(s->file);
	s->file = NULL;             /* a runtime mapping: no file */
	*json = xstrdup(s->front_json);
	struct stub **one = xmalloc(sizeof(*one));
	one[0] = s;
	struct stub_group *g = stub_group_create(one, 1);
	if (api_at != SIZE_MAX) {
		stub_group_unref(f->api[api_at]);
		f->api[api_at] = g;
	} else {
		if (old)
			hide(f, old->id);     /* a replaced file mapping: the file stays, the API one serves */
		f->api = xrealloc(f->api, (f->napi + 1) * sizeof(*f->api));
		f->api[f->napi++] = g;
	}
out:
	pthread_mutex_unlock(&f->lock);
	return rc;
}

bool wm_front_remove(struct wm_front *f, const char *id)
{
	pthread_mutex_lock(&f->lock);
	size_t api_at;
	const struct stub *s = find_locked(f, id, &api_at);
	if (s && api_at != SIZE_MAX) {
		stub_group_unref(f->api[api_at]);
		memmove(f->api + api_at, f->api + api_at + 1, (f->napi - api_at - 1) * sizeof(*f->api));
		f->napi--;
	} else if (s) {
		hide(f, id);
	}
	pthread_mutex_unlock(&f->lock);
	return s != NULL;
}

void wm_front_remove_all(struct wm_front *f)
{
	pthread_mutex_lock(&f->lock);
	drop_api(f);
	f->all_hidden = true;
	pthread_mutex_unlock(&f->lock);
}

int wm_front_reset(struct wm_front *f, struct diag_list *diags)
{
	pthread_mutex_lock(&f->lock);
	int rc = 0;
	for (size_t i = 0; i < f->nroots; i++)
		if (load(f->roots[i], true, diags) < 0)
			rc = -1;
	drop_api(f);
	unhide(f);
	pthread_mutex_unlock(&f->lock);
	return rc;
}

/* WireMock's listing order: priority, then newest first. */
static int cmp_listing(const void *a, const void *b)
{
	const struct stub *s = *(const struct stub *const *)a, *t = *(const struct stub *const *)b;
	if (s->priority != t->priority)
		return s->priority < t->priority ? -1 : 1;
	return s->insertion > t->insertion ? -1 : s->insertion < t->insertion;
}

void wm_front_mappings_json(struct wm_front *f, size_t offset, size_t limit, struct strbuf *out)
{
	struct stub_group *g = wm_front_group(f);
	const struct stub **v = xmalloc((g->n + 1) * sizeof(*v));
	size_t n = 0;
	for (size_t i = 0; i < g->n; i++)
		if (g->stubs[i]->front_json)    /* mappings, not the __files answers */
			v[n++] = g->stubs[i];
	qsort(v, n, sizeof(*v), cmp_listing);
	strbuf_adds(out, "{\"mappings\":[");
	for (size_t i = offset, k = 0; i < n && k < limit; i++, k++) {
		if (k)
			strbuf_addc(out, ',');
		strbuf_adds(out, v[i]->front_json);
	}
	strbuf_addf(out, "],\"meta\":{\"total\":%zu}}", n);
	free(v);
	stub_group_unref(g);
}

bool wm_front_mapping_json(struct wm_front *f, const char *id, struct strbuf *out)
{
	pthread_mutex_lock(&f->lock);
	size_t api_at;
	const struct stub *s = find_locked(f, id, &api_at);
	if (s && s->front_json)
		strbuf_adds(out, s->front_json);
	pthread_mutex_unlock(&f->lock);
	return s && s->front_json;
}
