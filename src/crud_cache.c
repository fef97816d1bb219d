/* SPDX-License-Identifier: MIT */
/* Shared CRUD answers: an open-addressing table (keys hold any bytes, so not hmap),
 * cleared whole when the version moves or it fills; no eviction order to keep. */
#include "crud_cache.h"

#include <stdlib.h>
#include <string.h>

#include "reply.h"
#include "util/hash.h"
#include "util/xalloc.h"

struct entry {
	char *key;                  /* NULL: a free slot */
	size_t key_len;
	uint64_t hash;
	struct reply_shared *answer;    /* a reference */
};

struct crud_cache {
	struct entry *slots;
	size_t cap;                 /* a power of two, at least twice max_entries */
	size_t n, max_entries;
	size_t bytes, max_bytes;
	uint64_t version;           /* of every entry */
};

struct crud_cache *crud_cache_create(size_t max_entries, size_t max_bytes)
{
	struct crud_cache *c = xcalloc(1, sizeof(*c));
	c->max_entries = max_entries ? max_entries : 1;
	for (c->cap = 4; c->cap < 2 * c->max_entries; c->cap *= 2)
		;
	c->slots = xcalloc(c->cap, sizeof(*c->slots));
	c->max_bytes = max_bytes;
	return c;
}

static void clear(struct crud_cache *c)
{
	for (size_t i = 0; i < c->cap && c->n; i++) {
		struct entry *e = &c->slots[i];
		if (!e->key)
			continue;
		free(e->key);
		reply_shared_unref(e->answer);
		memset(e, 0, sizeof(*e));
		c->n--;
	}
	c->bytes = 0;
}

void crud_cache_destroy(struct crud_cache *c)
{
	if (!c)
		return;
	clear(c);
	free(c->slots);
	free(c);
}

/* The slot holding key, or the free slot where it would go. */
static struct entry *slot_of(const struct crud_cache *c, const char *key, size_t len, uint64_t h)
{
	size_t i = (size_t)h & (c->cap - 1);
	for (;; i = (i + 1) & (c->cap - 1)) {
		struct entry *e = &c->slots[i];
		if (!e->key || (e->hash == h && e->key_len == len && memcmp(e->key, key, len) == 0))
			return e;
	}
}

/* Entries of another version are of no use: drop them. */
static void to_version(struct crud_cache *c, uint64_t version)
{
	if (c->version != version) {
		clear(c);
		c->version = version;
	}
}

/* What an answer takes: its text and its headers'. */
static size_t answer_size(const struct reply_shared *a)
{
	size_t n = a->body_len;
	for (size_t i = 0; i < a->nheaders; i++)
		n += strlen(a->headers[i].name) + strlen(a->headers[i].value) + 4;
	return n;
}

struct reply_shared *crud_cache_get(struct crud_cache *c, const char *key, size_t len, uint64_t version)
{
	to_version(c, version);
	const struct entry *e = slot_of(c, key, len, fnv1a(key, len));
	return e->key ? reply_shared_ref(e->answer) : NULL;
}

void crud_cache_put(struct crud_cache *c, const char *key, size_t len, uint64_t version, struct reply_shared *answer)
{
	size_t size = len + answer_size(answer);
	/* one answer may take a quarter: a huge list is printed each time rather than
	 * pushing everything else out */
	if (size > c->max_bytes / 4 || version < c->version)
		return;
	to_version(c, version);
	if (c->n == c->max_entries || c->bytes + size > c->max_bytes)
		clear(c);
	uint64_t h = fnv1a(key, len);
	struct entry *e = slot_of(c, key, len, h);
	if (e->key)
		return; /* stored already (two threads missed at once) */
	*e = (struct entry){ .key = xmemdup0(key, len), .key_len = len, .hash = h, .answer = reply_shared_ref(answer) };
	c->n++;
	c->bytes += size;
}
