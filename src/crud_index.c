/* SPDX-License-Identifier: MIT */
/* The id index of one CRUD collection: a map from each id's text to its first item, and
 * counts of the kinds of ids. */
#include "crud_index.h"

#include <string.h>

#include "crud_js.h"
#include "util/strbuf.h"

/* The id an item is found by, or NULL when it has none (or a null one). */
static const cJSON *id_of(const cJSON *item)
{
	const cJSON *id = cJSON_IsObject(item) ? cJSON_GetObjectItemCaseSensitive(item, "id") : NULL;
	return id && !cJSON_IsNull(id) ? id : NULL;
}

/* Counts item's id as there (+1) or gone (-1). */
static void count(struct crud_index *ix, const cJSON *id, int delta)
{
	size_t *n = crud_js_safe_integer(id) ? &ix->nint : &ix->nother;
	*n = delta > 0 ? *n + 1 : *n - 1;
}

/* Maps item's id to item unless an earlier item has that id (getById finds the first). */
static void put_first(struct crud_index *ix, const cJSON *id, cJSON *item)
{
	struct strbuf text = STRBUF_INIT;
	crud_js_text(id, &text);
	if (!hmap_get(&ix->by_id, strbuf_str(&text)))
		hmap_put(&ix->by_id, strbuf_str(&text), item);
	else
		ix->nshadowed++;
	strbuf_release(&text);
}

void crud_index_init(struct crud_index *ix, const cJSON *coll)
{
	memset(ix, 0, sizeof(*ix));
	for (cJSON *item = coll ? coll->child : NULL; item; item = item->next)
		crud_index_add(ix, item);
}

void crud_index_release(struct crud_index *ix)
{
	hmap_release(&ix->by_id, NULL);
	ix->nint = ix->nother = ix->nshadowed = 0;
}

cJSON *crud_index_find(const struct crud_index *ix, const char *id)
{
	return hmap_get(&ix->by_id, id);
}

bool crud_index_only_integers(const struct crud_index *ix)
{
	return ix->nother == 0;
}

void crud_index_add(struct crud_index *ix, cJSON *item)
{
	const cJSON *id = id_of(item);
	if (!id)
		return;
	count(ix, id, 1);
	put_first(ix, id, item);
}

void crud_index_remove(struct crud_index *ix, const cJSON *coll, const cJSON *item)
{
	const cJSON *id = id_of(item);
	if (!id)
		return;
	count(ix, id, -1);
	struct strbuf text = STRBUF_INIT;
	crud_js_text(id, &text);
	if (hmap_get(&ix->by_id, strbuf_str(&text)) != item) {
		ix->nshadowed--;
	} else {
		hmap_del(&ix->by_id, strbuf_str(&text));
		/* a file may hold the same id twice: the next one is found from now on */
		for (cJSON *c = ix->nshadowed ? coll->child : NULL; c; c = c->next)
			if (c != item && id_of(c) && crud_js_text_is(id_of(c), text.buf, text.len)) {
				hmap_put(&ix->by_id, strbuf_str(&text), c);
				ix->nshadowed--;
				break;
			}
	}
	strbuf_release(&text);
}

void crud_index_replace(struct crud_index *ix, const cJSON *old, cJSON *item)
{
	const cJSON *id = id_of(item);
	struct strbuf text = STRBUF_INIT;
	if (id)
		crud_js_text(id, &text);
	if (id && hmap_get(&ix->by_id, strbuf_str(&text)) == old)
		hmap_put(&ix->by_id, strbuf_str(&text), item);
	strbuf_release(&text);
}
