/* SPDX-License-Identifier: MIT */
/* Allocation wrappers that abort with a message on out-of-memory (like git's wrapper.c). */
#pragma once
#include <stddef.h>

/** malloc/calloc/realloc/strdup that never return NULL; the caller frees the result. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/** Copy of n bytes with a NUL appended; the caller frees it. */
char *xmemdup0(const void *p, size_t n);
