/* SPDX-License-Identifier: MIT */
/* String pool: bump allocation in blocks, and an open-addressing table of the strings
 * stored so far (FNV-1a over the bytes, at most half full) while it is being filled. */
#include "util/strpool.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/xalloc.h"

/* The first block is MIN_BLOCK bytes (a file of one stub needs no more); the next ones a
 * quarter of what the pool holds, between STEP_BLOCK and MAX_BLOCK, so that the unused
 * end of the last block stays under a fifth of the pool: with blocks that doubled, a file of
 * 100 one-line stubs left half of its 8 KB unused (4 MB at 100,000 stubs). A string over
 * BIG gets a block of its own. */
#define MIN_BLOCK 256
#define STEP_BLOCK 1024
#define MAX_BLOCK 16384
#define BIG 4096

struct block {
	struct block *next;
	size_t size;
	alignas(max_align_t) char data[];
};

struct slot {
	const char *s;      /* NULL: empty */
	size_t len;
	uint64_t hash;
};

struct strpool {
	struct block *head;
	char *cur, *end;
	size_t bytes;
	struct slot *table;
	size_t cap, n;
	int sealed;
};

struct strpool *strpool_create(void)
{
	return xcalloc(1, sizeof(struct strpool));
}

void strpool_destroy(struct strpool *p)
{
	if (!p)
		return;
	for (struct block *b = p->head, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	free(p->table);
	free(p);
}

/* A block of exactly n bytes behind the current one (or the first), left out of bumping. */
static char *own_block(struct strpool *p, size_t n)
{
	struct block *b = xmalloc(sizeof(*b) + n);
	b->size = n;
	p->bytes += n;
	if (p->head) {
		b->next = p->head->next;
		p->head->next = b;
	} else {
		b->next = NULL;
		p->head = b;
		p->cur = p->end = b->data + n;
	}
	return b->data;
}

void *strpool_alloc_exact(struct strpool *p, size_t n)
{
	return own_block(p, n ? n : 1);
}

static char *bump(struct strpool *p, size_t n, size_t align)
{
	size_t pad = (size_t)(-(uintptr_t)p->cur & (align - 1));
	if (!p->cur || (size_t)(p->end - p->cur) < pad + n) {
		/* a big string gets a block of its own */
		if (n > BIG)
			return own_block(p, n);
		size_t size = !p->head ? MIN_BLOCK : p->bytes / 4 < STEP_BLOCK ? STEP_BLOCK : p->bytes / 4;
		if (size > MAX_BLOCK)
			size = MAX_BLOCK;
		if (size < n)
			size = n;
		struct block *b = xmalloc(sizeof(*b) + size);
		b->size = size;
		p->bytes += size;
		b->next = p->head;
		p->head = b;
		p->cur = b->data;
		p->end = b->data + size;
		pad = 0;
	}
	char *r = p->cur + pad;
	p->cur = r + n;
	return r;
}

void *strpool_alloc(struct strpool *p, size_t n)
{
	return bump(p, n ? n : 1, alignof(void *));
}

static char *copy(struct strpool *p, const char *s, size_t len)
{
	char *r = bump(p, len + 1, 1);
	memcpy(r, s, len);
	r[len] = '\0';
	return r;
}

static void grow(struct strpool *p)
{
	size_t cap = p->cap ? p->cap * 2 : 16;
	struct slot *t = xcalloc(cap, sizeof(*t));
	for (size_t i = 0; i < p->cap; i++) {
		if (!p->table[i].s)
			continue;
		size_t j = (size_t)p->table[i].hash & (cap - 1);
		while (t[j].s)
			j = (j + 1) & (cap - 1);
		t[j] = p->table[i];
	}
	free(p->table);
	p->table = t;
	p->cap = cap;
}

const char *strpool_intern(struct strpool *p, const char *s, size_t len)
{
	if (p->sealed)
		return copy(p, s, len);
	if (2 * (p->n + 1) > p->cap)
		grow(p);
	uint64_t h = hash_words(s, len);
	size_t i = (size_t)h & (p->cap - 1);
	for (; p->table[i].s; i = (i + 1) & (p->cap - 1))
		if (p->table[i].hash == h && p->table[i].len == len && memcmp(p->table[i].s, s, len) == 0)
			return p->table[i].s;
	p->table[i] = (struct slot){ .s = copy(p, s, len), .len = len, .hash = h };
	p->n++;
	return p->table[i].s;
}

void strpool_seal(struct strpool *p)
{
	free(p->table);
	p->table = NULL;
	p->cap = p->n = 0;
	p->sealed = 1;
}

size_t strpool_size(const struct strpool *p)
{
	return p->bytes;
}
