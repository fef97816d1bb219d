/* SPDX-License-Identifier: MIT */
/* The near-miss index: keys sorted by their bytes, so that the keys sharing the query's
 * first L bytes are one run around where the query would go, for every L at once; two
 * segment trees find where each run ends (over the common prefixes of neighbours) and
 * its shortest key (over (length, id)). A walk widens the run one prefix length at a
 * time, from the longest shared prefix down, and hands out keys best first from a heap
 * of runs, each represented by its best key. */
#include "near_index.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

#define NONE UINT32_MAX

struct entry {
	const char *text;
	uint32_t len;
	uint32_t id;
};

struct near_index {
	struct entry *e;
	size_t n;
	size_t size;                    /* leaves of both trees: a power of two >= n */
	uint32_t *lcp_min;              /* [1, 2 * size): leaf size + i is lcp(e[i], e[i + 1]) */
	uint32_t *best;                 /* [1, 2 * size): the entry with the least (len, id) below */
	uint32_t min_len;               /* of every key */
};

/* One heap item: a run of keys whose common prefix with the query is exactly `level`
 * bytes, standing for its best key e[at]; or (token) the next prefix length to widen to. */
struct near_walk_item {
	size_t dist;
	uint32_t id;
	bool token;
	uint32_t lo, hi, at;
	size_t level;
};

static size_t lcp_of(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen, i = 0;
	while (i < n && a[i] == b[i])
		i++;
	return i;
}

static int cmp_text(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);
	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static int cmp_entry(const void *x, const void *y)
{
	const struct entry *a = x, *b = y;
	int c = cmp_text(a->text, a->len, b->text, b->len);
	if (c)
		return c;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* Whether e[i] is a better key than e[j] for a run: shorter, then the lower id. */
static bool better(const struct near_index *ix, uint32_t i, uint32_t j)
{
	if (j == NONE)
		return i != NONE;
	if (i == NONE)
		return false;
	const struct entry *a = &ix->e[i], *b = &ix->e[j];
	return a->len < b->len || (a->len == b->len && a->id < b->id);
}

struct near_index *near_index_build(const struct near_key *keys, size_t n)
{
	if (!n)
		return NULL;
	struct near_index *ix = xcalloc(1, sizeof *ix);
	ix->n = n;
	ix->e = xmalloc(n * sizeof *ix->e);
	ix->min_len = NONE;
	for (size_t i = 0; i < n; i++) {
		size_t len = keys[i].len < NONE ? keys[i].len : NONE - 1;
		ix->e[i] = (struct entry){ .text = keys[i].text, .len = (uint32_t)len, .id = keys[i].id };
		if (ix->e[i].len < ix->min_len)
			ix->min_len = ix->e[i].len;
	}
	qsort(ix->e, n, sizeof *ix->e, cmp_entry);
	ix->size = 1;
	while (ix->size < n)
		ix->size *= 2;
	ix->lcp_min = xmalloc(2 * ix->size * sizeof *ix->lcp_min);
	ix->best = xmalloc(2 * ix->size * sizeof *ix->best);
	for (size_t i = 0; i < ix->size; i++) {
		uint32_t lcp = NONE;
		if (i + 1 < n)
			lcp = (uint32_t)lcp_of(ix->e[i].text, ix->e[i].len, ix->e[i + 1].text, ix->e[i + 1].len);
		ix->lcp_min[ix->size + i] = lcp;
		ix->best[ix->size + i] = i < n ? (uint32_t)i : NONE;
	}
	for (size_t i = ix->size - 1; i >= 1; i--) {
		uint32_t l = ix->lcp_min[2 * i], r = ix->lcp_min[2 * i + 1];
		ix->lcp_min[i] = l < r ? l : r;
		ix->best[i] = better(ix, ix->best[2 * i + 1], ix->best[2 * i]) ? ix->best[2 * i + 1] : ix->best[2 * i];
	}
	return ix;
}

void near_index_destroy(struct near_index *ix)
{
	if (!ix)
		return;
	free(ix->e);
	free(ix->lcp_min);
	free(ix->best);
	free(ix);
}

size_t near_index_size(const struct near_index *ix)
{
	return ix ? ix->n : 0;
}

/* The best entry of e[lo..hi) (lo < hi). */
static uint32_t best_in(const struct near_index *ix, size_t lo, size_t hi)
{
	uint32_t best = NONE;
	for (size_t l = lo + ix->size, r = hi + ix->size; l < r; l /= 2, r /= 2) {
		if (l & 1) {
			if (better(ix, ix->best[l], best))
				best = ix->best[l];
			l++;
		}
		if (r & 1) {
			r--;
			if (better(ix, ix->best[r], best))
				best = ix->best[r];
		}
	}
	return best;
}

/* The first i >= from with lcp(e[i], e[i + 1]) < x, or NONE. */
static uint32_t first_below(const struct near_index *ix, size_t from, uint32_t x)
{
	if (from >= ix->size)
		return NONE;
	size_t i = from + ix->size;
	while (ix->lcp_min[i] >= x) {
		while (i & 1)           /* a right child: up, to find a subtree further right */
			i /= 2;
		if (!i)
			return NONE;
		i++;
	}
	while (i < ix->size)
		i = ix->lcp_min[2 * i] < x ? 2 * i : 2 * i + 1;
	return (uint32_t)(i - ix->size);
}

/* The last i <= from with lcp(e[i], e[i + 1]) < x, or NONE. */
static uint32_t last_below(const struct near_index *ix, size_t from, uint32_t x)
{
	size_t i = from + ix->size;
	while (ix->lcp_min[i] >= x) {
		while (!(i & 1))        /* a left child: up, to find a subtree further left */
			i /= 2;
		if (i == 1)
			return NONE;
		i--;
	}
	while (i < ix->size)
		i = ix->lcp_min[2 * i + 1] < x ? 2 * i + 1 : 2 * i;
	return (uint32_t)(i - ix->size);
}

/* [*lo, *hi): the keys whose common prefix with the query is at least level bytes. */
static void run_for(const struct near_walk *w, size_t level, size_t *lo, size_t *hi)
{
	const struct near_index *ix = w->ix;
	uint32_t x = level < NONE ? (uint32_t)level : NONE;
	*hi = w->pos;
	if (w->pos < ix->n && w->lcp_right >= level) {
		uint32_t j = first_below(ix, w->pos, x);
		*hi = j == NONE || j >= ix->n ? ix->n : (size_t)j + 1;
	}
	*lo = w->pos;
	if (w->pos > 0 && w->lcp_left >= level) {
		uint32_t j = w->pos >= 2 ? last_below(ix, w->pos - 2, x) : NONE;
		*lo = j == NONE ? 0 : (size_t)j + 1;
	}
}

static bool item_less(const struct near_walk_item *a, const struct near_walk_item *b)
{
	return a->dist < b->dist || (a->dist == b->dist && a->id < b->id);
}

static void heap_push(struct near_walk *w, struct near_walk_item it)
{
	if (w->nheap == w->aheap) {
		w->aheap = w->aheap ? 2 * w->aheap : 16;
		w->heap = xrealloc(w->heap, w->aheap * sizeof *w->heap);
	}
	size_t i = w->nheap++;
	while (i > 0 && item_less(&it, &w->heap[(i - 1) / 2])) {
		w->heap[i] = w->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	w->heap[i] = it;
}

static struct near_walk_item heap_pop(struct near_walk *w)
{
	struct near_walk_item top = w->heap[0], last = w->heap[--w->nheap];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= w->nheap)
			break;
		if (c + 1 < w->nheap && item_less(&w->heap[c + 1], &w->heap[c]))
			c++;
		if (!item_less(&w->heap[c], &last))
			break;
		w->heap[i] = w->heap[c];
		i = c;
	}
	if (w->nheap)
		w->heap[i] = last;
	return top;
}

/* The keys e[lo..hi), all sharing exactly level bytes with the query, as one item. */
static void push_run(struct near_walk *w, size_t lo, size_t hi, size_t level)
{
	if (lo >= hi)
		return;
	uint32_t at = best_in(w->ix, lo, hi);
	const struct entry *e = &w->ix->e[at];
	heap_push(w, (struct near_walk_item){ .dist = 1 + w->blen + e->len - 2 * level, .id = e->id,
					     .lo = (uint32_t)lo, .hi = (uint32_t)hi, .at = at, .level = level });
}

/* The token that widens the run to level bytes: no key it brings in (nor any of a shorter
 * common prefix) is nearer than 1 + |b| + max(shortest key, level) - 2 level. */
static void push_token(struct near_walk *w, size_t level)
{
	size_t len = w->ix->min_len > level ? w->ix->min_len : level;
	heap_push(w, (struct near_walk_item){ .dist = 1 + w->blen + len - 2 * level, .id = 0, .token = true,
					     .level = level });
}

void near_walk_start(struct near_walk *w, const struct near_index *ix, const char *b, size_t blen)
{
	memset(w, 0, sizeof *w);
	w->ix = ix;
	w->b = b;
	w->blen = blen;
	if (!ix)
		return;
	size_t lo = 0, hi = ix->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_text(ix->e[mid].text, ix->e[mid].len, b, blen) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	w->pos = lo;
	if (lo > 0)
		w->lcp_left = lcp_of(ix->e[lo - 1].text, ix->e[lo - 1].len, b, blen);
	if (lo < ix->n)
		w->lcp_right = lcp_of(ix->e[lo].text, ix->e[lo].len, b, blen);
	size_t level = w->lcp_left > w->lcp_right ? w->lcp_left : w->lcp_right;
	run_for(w, level, &w->lo, &w->hi);
	push_run(w, w->lo, w->hi, level);
	if (level > 0 && (w->lo > 0 || w->hi < ix->n))
		push_token(w, level - 1);
}

/* Widens the run to the token's level: the keys that come in on either side. */
static void widen(struct near_walk *w, size_t level)
{
	size_t lo, hi;
	run_for(w, level, &lo, &hi);
	push_run(w, lo, w->lo, level);
	push_run(w, w->hi, hi, level);
	w->lo = lo;
	w->hi = hi;
	if (level > 0 && (lo > 0 || hi < w->ix->n))   /* else every key is in a run already */
		push_token(w, level - 1);
}

bool near_walk_peek(struct near_walk *w, size_t *dist, uint32_t *id)
{
	while (w->nheap && w->heap[0].token) {
		struct near_walk_item t = heap_pop(w);
		widen(w, t.level);
	}
	if (!w->nheap)
		return false;
	*dist = w->heap[0].dist;
	*id = w->heap[0].id;
	return true;
}

bool near_walk_next(struct near_walk *w, size_t *dist, uint32_t *id)
{
	size_t d;
	uint32_t i;
	if (!near_walk_peek(w, &d, &i))
		return false;
	struct near_walk_item it = heap_pop(w);
	*id = it.id;
	*dist = it.dist;
	push_run(w, it.lo, it.at, it.level);
	push_run(w, (size_t)it.at + 1, it.hi, it.level);
	return true;
}

void near_walk_end(struct near_walk *w)
{
	free(w->heap);
	w->heap = NULL;
	w->nheap = w->aheap = 0;
}
