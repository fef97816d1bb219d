/* SPDX-License-Identifier: MIT */
/* A small string-keyed hash map (open addressing, FNV-1a), also used as a set of names:
 * anchors, stub ids, duplicate keys. Not thread-safe; each user owns its map. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct hmap_entry {
	char *key;      /* owned by the map */
	void *val;      /* borrowed unless hmap_release is given free_val */
};

struct hmap {
	struct hmap_entry *v;
	size_t cap, n;
};

#define HMAP_INIT { NULL, 0, 0 }

/** The value stored under key, or NULL. */
void *hmap_get(const struct hmap *m, const char *key);
/** Sets key (copied) to val, a non-NULL pointer, replacing an earlier value. */
void hmap_put(struct hmap *m, const char *key, void *val);
/** Removes key (freeing its copy of the key); returns its value, or NULL when absent. */
void *hmap_del(struct hmap *m, const char *key);
/** Adds key to a set (a map whose values do not matter); false when it was there already. */
bool hmap_add_key(struct hmap *m, const char *key);
/** Frees the keys, and each value with free_val unless that is NULL; leaves m empty. */
void hmap_release(struct hmap *m, void (*free_val)(void *));
