/* SPDX-License-Identifier: MIT */
/* Bump allocator for per-request data: everything is freed at once by arena_release. */
#pragma once
#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *head;
	char *cur, *end;
	/* the first block lives inside the struct so that small requests allocate nothing */
	char first[1024] __attribute__((aligned(16)));
};

void arena_init(struct arena *a);
/** Frees every block; the arena is empty and reusable afterwards. */
void arena_release(struct arena *a);
/** n bytes aligned to 16, valid until arena_release. Never NULL. */
void *arena_alloc(struct arena *a, size_t n);
void *arena_calloc(struct arena *a, size_t n);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
