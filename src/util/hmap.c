/* SPDX-License-Identifier: MIT */
/* String-keyed hash map: linear probing in a power-of-two table kept at most half full. */
#include "util/hash.h"
#include "util/hmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

static struct hmap_entry *find(const struct hmap *m, const char *key)
{
	if (!m->cap)
		return NULL;
	size_t i = (size_t)fnv1a_str(key) & (m->cap - 1);
	while (m->v[i].key) {
		if (strcmp(m->v[i].key, key) == 0)
			return &m->v[i];
		i = (i + 1) & (m->cap - 1);
	}
	return NULL;
}

void *hmap_get(const struct hmap *m, const char *key)
{
	struct hmap_entry *e = find(m, key);
	return e ? e->val : NULL;
}

static void insert(struct hmap_entry *v, size_t cap, char *key, void *val)
{
	size_t i = (size_t)fnv1a_str(key) & (cap - 1);
	while (v[i].key)
		i = (i + 1) & (cap - 1);
	v[i].key = key;
	v[i].val = val;
}

void hmap_put(struct hmap *m, const char *key, void *val)
{
	struct hmap_entry *e = find(m, key);
	if (e) {
		e->val = val;
		return;
	}
	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		struct hmap_entry *v = xcalloc(cap, sizeof(*v));
		for (size_t i = 0; i < m->cap; i++)
			if (m->v[i].key)
				insert(v, cap, m->v[i].key, m->v[i].val);
		free(m->v);
		m->v = v;
		m->cap = cap;
	}
	insert(m->v, m->cap, xstrdup(key), val);
	m->n++;
}

/* Linear probing has no tombstones here: the entries after the hole that hash at or
 * before it move back, so every probe chain stays unbroken. */
void *hmap_del(struct hmap *m, const char *key)
{
	struct hmap_entry *e = find(m, key);
	if (!e)
		return NULL;
	void *val = e->val;
	free(e->key);
	size_t mask = m->cap - 1, hole = (size_t)(e - m->v);
	for (size_t i = (hole + 1) & mask; m->v[i].key; i = (i + 1) & mask) {
		size_t home = (size_t)fnv1a_str(m->v[i].key) & mask;
		/* the entry at i may fill the hole when its home is not in (hole, i] */
		if (((i - home) & mask) >= ((i - hole) & mask)) {
			m->v[hole] = m->v[i];
			hole = i;
		}
	}
	m->v[hole] = (struct hmap_entry){ NULL, NULL };
	m->n--;
	return val;
}

bool hmap_add_key(struct hmap *m, const char *key)
{
	static char present;
	if (hmap_get(m, key))
		return false;
	hmap_put(m, key, &present);
	return true;
}

void hmap_release(struct hmap *m, void (*free_val)(void *))
{
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->v[i].key)
			continue;
		free(m->v[i].key);
		if (free_val)
			free_val(m->v[i].val);
	}
	free(m->v);
	memset(m, 0, sizeof(*m));
}
