/* SPDX-License-Identifier: MIT */
/* What a load of stub files produced: the stubs and the paths read. Filled by the loader
 * parts, handed to the caller by stub_load.h's functions. */
#pragma once
#include <stddef.h>

#include "stub.h"

/** What a load produced. Everything is owned by the result. */
struct load_result {
	struct stub **stubs;        /* in load order: files in byte order of relative path, then document order */
	size_t n;
	char **paths;               /* every stub file and file: body read, as opened (for the watcher) */
	size_t npaths;
	size_t nfiles;              /* how many of the paths are stub files */
	struct strpool *pool;       /* what the stubs share (stub_intern), or NULL: the group's */
};

/** Frees everything res holds and leaves it empty. */
void load_result_release(struct load_result *res);
/** The stubs as one group (refcount 1, owning the pool) and the paths read (*paths: caller frees each and
 *  the array), leaving res empty. */
struct stub_group *load_result_take(struct load_result *res, char ***paths, size_t *npaths);
/** Appends s (taken) with s->order set to its place. */
void load_result_add_stub(struct load_result *res, struct stub *s);
/** Appends path (copied) to the paths read. */
void load_result_add_path(struct load_result *res, const char *path);
