/* SPDX-License-Identifier: MIT */
/* Stub files on disk: the one test for a stub file's name, the directory walk that lists
 * them in load order, and whole-file reads. Any thread. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "diag.h"

/** Whether a directory entry's name is a stub file's: it ends in ".yaml" or ".yml" (with
 *  something before). Names starting with '.' are skipped by the walk besides. */
bool stub_file_is_yaml(const char *name);

/** Whether a name ends in ".json" (with something before): a WireMock mapping file. */
bool stub_file_is_json(const char *name);

/** Every name (body directories such as WireMock's __files). */
bool stub_file_any(const char *name);

/** A stub file found under a DIR. */
struct stub_file {
	char *rel;                  /* path relative to the DIR */
	struct stat st;             /* stat() of it, symlinks followed */
};

/** Lists the stub files under top (a DIR without trailing slashes) that stub_load_dirs
 *  would load, in its order (byte order of rel), skipping names that start with '.';
 *  symlinked directories are not followed, symlinked files are. A directory that cannot
 *  be opened or a dangling symlink is appended to diags. Returns the count and *out (free
 *  with stub_files_release). */
size_t stub_load_list(const char *top, struct stub_file **out, struct diag_list *diags);
/** Like stub_load_list, for the files whose names wanted accepts (WireMock's mappings). */
size_t stub_list_files(const char *top, bool (*wanted)(const char *name), struct stub_file **out,
		       struct diag_list *diags);
void stub_files_release(struct stub_file *files, size_t n);

/** A DIR as stub messages show it (as typed, minus trailing slashes; "/" stays "/") and
 *  its realpath (NULL when it has none), both malloc'd: the FILE of FILE:LINE:COLUMN is
 *  shown/REL, and real tells which files lie inside it. */
struct stub_root {
	char *shown;
	char *real;
};
struct stub_root stub_root_of(const char *dir);
void stub_root_release(struct stub_root *root);

/** Whether some process has the file at path open for writing right now, so that what was
 *  just read of it may be torn (a file rewritten in place is empty between its truncation
 *  and the first write). Asks the kernel by trying a read lease, which it refuses while a
 *  writer has the file open; false where leases are not available (not the file's owner
 *  without CAP_LEASE, a file system without them): then only the watcher's events tell. */
bool stub_file_being_written(const char *path);

/** Whether the realpath real is root (a realpath too) or lies below it: what a `file:` body
 *  or a bodyFileName may resolve to. */
bool stub_path_inside(const char *real, const char *root);
/** a, '/' (unless a ends with one), b. Caller frees. */
char *stub_path_join(const char *a, const char *b);

/** Reads a whole file into a NUL-terminated buffer (*out, caller frees; *outlen without
 *  the NUL). Returns 0 or a negative errno. */
int stub_file_read(const char *path, char **out, size_t *outlen);
