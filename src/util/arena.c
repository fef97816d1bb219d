/* SPDX-License-Identifier: MIT */
/* Bump allocator for per-request data. */
#include "util/arena.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

struct arena_block {
	struct arena_block *next;
	size_t size;
	char data[] __attribute__((aligned(16)));
};

void arena_init(struct arena *a)
{
	a->head = NULL;
	a->cur = a->first;
	a->end = a->first + sizeof(a->first);
}

void arena_release(struct arena *a)
{
	struct arena_block *b = a->head;
	while (b) {
		struct arena_block *next = b->next;
		free(b);
		b = next;
	}
	arena_init(a);
}

void *arena_alloc(struct arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if ((size_t)(a->end - a->cur) < n) {
		size_t size = n > 4096 ? n : 4096;
		struct arena_block *b = xmalloc(sizeof(*b) + size);
		b->next = a->head;
		b->size = size;
		a->head = b;
		a->cur = b->data;
		a->end = b->data + size;
	}
	void *p = a->cur;
	a->cur += n;
	return p;
}

void *arena_calloc(struct arena *a, size_t n)
{
	void *p = arena_alloc(a, n);
	memset(p, 0, n);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *r = arena_alloc(a, n + 1);
	memcpy(r, s, n);
	r[n] = '\0';
	return r;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}
