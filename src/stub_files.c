/* SPDX-License-Identifier: MIT */
/* Stub files on disk: which names are stub files, the walk that lists them under a DIR in
 * load order, and reading a file whole. */
#define _GNU_SOURCE     /* F_SETLEASE */
#include "stub_files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/strbuf.h"
#include "util/xalloc.h"

bool stub_file_is_yaml(const char *name)
{
	size_t n = strlen(name);
	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) || (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

bool stub_file_any(const char *name)
{
	(void)name;
	return true;
}

bool stub_file_is_json(const char *name)
{
	size_t n = strlen(name);
	return n > 5 && strcmp(name + n - 5, ".json") == 0;
}

/* Grows an array whose capacity is the next power of two above its count. */
static void *grow_pow2(void *v, size_t n, size_t size)
{
	if (n && (n & (n - 1)) != 0)
		return v;
	return xrealloc(v, (n ? n * 2 : 1) * size);
}

struct stub_root stub_root_of(const char *dir)
{
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	struct stub_root root = { xstrndup(dir, n), NULL };
	root.real = realpath(root.shown, NULL);
	return root;
}

void stub_root_release(struct stub_root *root)
{
	free(root->shown);
	free(root->real);
	root->shown = root->real = NULL;
}

bool stub_path_inside(const char *real, const char *root)
{
	size_t n = strlen(root);
	if (n == 1 && root[0] == '/')
		return real[0] == '/';
	return strncmp(real, root, n) == 0 && (real[n] == '/' || real[n] == '\0');
}

char *stub_path_join(const char *a, const char *b)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, a);
	if (sb.len && sb.buf[sb.len - 1] != '/')
		strbuf_addc(&sb, '/');
	strbuf_adds(&sb, b);
	return strbuf_detach(&sb, NULL);
}

int stub_file_read(const char *path, char **out, size_t *outlen)
{
	int err;
	char *buf = NULL;
	size_t len = 0, alloc = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (alloc - len < 2) {
			alloc = alloc ? alloc * 2 : 65536;
			buf = xrealloc(buf, alloc);
		}
		ssize_t r = read(fd, buf + len, alloc - len - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
fail:
	close(fd);
	free(buf);
	return err;
}

/* Stub files found by walk: relative paths and stat() results, side by side. */
struct filevec {
	struct stub_file *v;
	size_t n;
};

static void filevec_push(struct filevec *fv, char *rel, const struct stat *st)
{
	fv->v = grow_pow2(fv->v, fv->n, sizeof(*fv->v));
	fv->v[fv->n].rel = rel;
	fv->v[fv->n].st = *st;
	fv->n++;
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct stub_file *)a)->rel, ((const struct stub_file *)b)->rel);
}

/* Collects the relative paths of stub files under top/rel, with their stat(). Symlinked
 * directories are not followed (no loops); symlinked files are. */
static void walk(struct diag_list *diags, const char *top, const char *rel, bool (*wanted)(const char *name),
		 struct filevec *out)
{
	char *dir = rel ? stub_path_join(top, rel) : xstrdup(top);
	DIR *d = opendir(dir);
	if (!d) {
		diag_add(diags, dir, 0, 0, "cannot open directory: %s", strerror(errno));
		free(dir);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *child = rel ? stub_path_join(rel, de->d_name) : xstrdup(de->d_name);
		char *full = stub_path_join(top, child);
		struct stat st;
		/* relative to the open directory: no path lookup from the top for each file */
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			free(child);
		} else if (S_ISDIR(st.st_mode)) {
			walk(diags, top, child, wanted, out);
			free(child);
		} else if (!wanted(de->d_name)) {
			free(child);
		} else if (S_ISREG(st.st_mode)) {
			filevec_push(out, child, &st);
		} else if (S_ISLNK(st.st_mode)) {
			if (fstatat(dirfd(d), de->d_name, &st, 0) != 0) {
				diag_add(diags, full, 0, 0, "cannot read file: %s", strerror(errno));
				free(child);
			} else if (S_ISREG(st.st_mode)) {
				filevec_push(out, child, &st);
			} else {
				free(child);
			}
		} else {
			free(child);
		}
		free(full);
	}
	closedir(d);
	free(dir);
}

size_t stub_list_files(const char *top, bool (*wanted)(const char *name), struct stub_file **out,
		       struct diag_list *diags)
{
	struct filevec files = { 0 };
	walk(diags, top, NULL, wanted, &files);
	if (files.n)
		qsort(files.v, files.n, sizeof(*files.v), cmp_file);
	*out = files.v;
	return files.n;
}

size_t stub_load_list(const char *top, struct stub_file **out, struct diag_list *diags)
{
	return stub_list_files(top, stub_file_is_yaml, out, diags);
}

void stub_files_release(struct stub_file *files, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(files[i].rel);
	free(files);
}


bool stub_file_being_written(const char *path)
{
	/* O_NONBLOCK: never wait for someone else's lease to break */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return false;
	bool busy = fcntl(fd, F_SETLEASE, F_RDLCK) < 0 && errno == EAGAIN;
	if (!busy)
		fcntl(fd, F_SETLEASE, F_UNLCK);
	close(fd);
	return busy;
}
