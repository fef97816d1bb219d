/* SPDX-License-Identifier: MIT */
/* A WireMock root: its mapping files listed, compiled into one group, and read again
 * when anything under the root changed. */
#include "wiremock.h"

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
	uint64_t insertion;         /* the recency counter of the mappings loaded so far */
	struct stub_group *group;
	uint64_t signature;         /* of the files the group was read from */
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
static uint64_t signature_of(const struct wm_root *r, const struct stub_file *maps, size_t nmaps)
{
	struct strbuf sb = STRBUF_INIT;
	struct stub_file *bodies = NULL;
	struct diag_list ignored = DIAG_LIST_INIT;
	size_t nbodies = r->files.real ? stub_list_files(r->files.shown, stub_file_any, &bodies, &ignored) : 0;
	diag_list_release(&ignored);
	describe_files(&sb, maps, nmaps);
	strbuf_adds(&sb, "__files\n");
	describe_files(&sb, bodies, nbodies);
	stub_files_release(bodies, nbodies);
	uint64_t h = fnv1a(sb.buf ? sb.buf : "", sb.len);
	strbuf_release(&sb);
	return h;
}

/* Every mapping file, compiled; NULL (problems in diags) when any is wrong. */
static struct stub_group *load_all(struct wm_root *r, struct stub_file *maps, size_t nmaps, struct diag_list *diags)
{
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
	uint64_t sig = signature_of(r, maps, nmaps);
	int rc = 0;
	if (force || sig != r->signature) {
		struct stub_group *g = load_all(r, maps, nmaps, diags);
		if (g) {
			stub_group_unref(r->group);
			r->group = g;
			r->signature = sig;
			rc = 1;
		} else {
			rc = -1;
		}
	}
	stub_files_release(maps, nmaps);
	return rc;
}

struct wm_root *wm_root_create(const char *root, struct diag_list *diags)
{
	struct wm_root *r = xcalloc(1, sizeof(*r));
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
