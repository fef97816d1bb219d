/* SPDX-License-Identifier: MIT */
/* The route index: stubs sorted into winner order, a hash on (method, exact path), a
 * segment trie for templates and a rank-ordered list for regex and pathless stubs, as a
 * few flat arrays of 32-bit ranks. Built once, then read-only: lookups from many threads
 * need no lock. */
#include "router.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "near_index.h"
#include "util/hash.h"
#include "util/xalloc.h"

/*
 * The index holds ranks (positions in the winner order, 32 bits) rather than pointers, and
 * every list of them in one pool: at 100,000 stubs it is a few flat arrays (5 MB) where a
 * malloc per key and per trie node made it 15 MB, and a reload builds it without them.
 */
#define NO_RANK UINT32_MAX

/* A list of ranks, ascending: one inline, more in the router's pool. */
struct rlist {
	uint32_t n;
	uint32_t at;                    /* n == 1: the rank; n > 1: pool[at .. at + n) */
};

/* One (method, exact path) key: method NULL is the any-method list of that path. The key
 * itself is read from the list's first stub (its path, and whether it names the method),
 * so that an entry is 16 bytes. list.n == 0 marks an empty slot. */
struct exact_entry {
	uint64_t hash;
	struct rlist list;
};

/* A node of the template trie: its literal children (sorted by bytes then length) are
 * kids[lit .. lit + nlit); param is the {name} child's node, 0 for none (the root is node
 * 0, nobody's child). */
struct trie_node {
	uint32_t lit, nlit;
	uint32_t param;
	uint32_t min_rank;              /* lowest rank in this subtree; NO_RANK when empty */
	struct rlist end;               /* templates that end at this node */
	struct rlist rest;              /* templates whose {name*} stands at this depth */
};

struct trie_kid {
	const char *text;               /* borrowed from a stub's segment */
	uint32_t len;
	uint32_t node;
};

/* The near-miss search's indexes of literal and template paths (near_index.h): one over
 * every such stub, and one per method over the stubs that take it (the any-method stubs
 * have their own, for methods no stub names). */
struct near_group {
	const char *method;             /* borrowed, upper case; NULL: the any-method stubs */
	struct near_index *ix;          /* NULL when empty; `all`'s when it holds every stub */
};

struct near_set {
	struct near_index *all;
	struct near_group *groups;
	size_t ngroups;
};

struct router {
	const struct stub **stubs;      /* every stub in winner order: stubs[rank] */
	uint32_t *slots;                /* slots[rank]: its index in the stubs[] given to router_build */
	size_t n;
	uint32_t *pool;                 /* the lists of more than one rank */
	struct exact_entry *table;      /* open addressing, linear probing; cap is a power of 2 */
	size_t cap;
	size_t npool;
	size_t live, tombs;             /* the table's keys, and the slots of keys that went (router_rebuild) */
	struct trie_node *nodes;        /* the template trie, root first; NULL without templates */
	struct trie_kid *kids;
	uint32_t tpl_at, ntpl;          /* pool[tpl_at ..+ ntpl): the templates' ranks in trie order */
	struct rlist scan;              /* PATH_REGEX and PATH_NONE stubs */
	/* built by the first near-miss search and kept: a server that never misses never
	 * pays for it (a set of 100,000 stubs is ready sooner); the router is otherwise
	 * read-only, and the first search that finishes building publishes its own */
	_Atomic(struct near_set *) near;
};

static inline uint32_t rl_at(const struct router *r, struct rlist l, uint32_t i)
{
	return l.n == 1 ? l.at : r->pool[l.at + i];
}

/* The list of the ranks v[0..n) (ascending), which stand at pool[at..): inline when one. */
static struct rlist rl_make(const uint32_t *v, uint32_t n, uint32_t at)
{
	return (struct rlist){ n, n == 1 ? v[0] : at };
}

/* ---- winner order ------------------------------------------------------------- */

/*
 * The winner order (tier, priority, WireMock mappings first and the newest of them first,
 * path kind, more conditions, load order) as a key of three words per stub, so that the
 * sort reads a flat array rather than 100,000 stubs, and most sets sort in linear time:
 * they hold few distinct keys (one priority, one tier), and the stubs of each key stay in
 * load order (a stable counting sort).
 */
struct wkey {
	uint64_t a;                     /* tier, priority, not a WireMock mapping */
	uint64_t b;                     /* the mapping's recency, newest lowest */
	uint32_t c;                     /* path kind, then the conditions, most lowest */
	uint32_t index;                 /* load order */
};

static struct wkey wkey_of(const struct stub *s, size_t index)
{
	uint32_t conds = s->nconds > 0x3fffffffu ? 0x3fffffffu : s->nconds;
	return (struct wkey){
		.a = (uint64_t)s->tier << 33 | (uint64_t)((uint32_t)s->priority ^ 0x80000000u) << 1 | (s->insertion == 0),
		.b = ~s->insertion,
		.c = (uint32_t)s->req.path_kind << 30 | (0x3fffffffu - conds),
		.index = (uint32_t)index,
	};
}

static int wkey_cmp(const struct wkey *x, const struct wkey *y)
{
	if (x->a != y->a)
		return x->a < y->a ? -1 : 1;
	if (x->b != y->b)
		return x->b < y->b ? -1 : 1;
	if (x->c != y->c)
		return x->c < y->c ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int cmp_wkey(const void *a, const void *b)
{
	return wkey_cmp(a, b);
}

static bool wkey_same(const struct wkey *x, const struct wkey *y)
{
	return x->a == y->a && x->b == y->b && x->c == y->c;
}

#define WINNER_BUCKETS 1024             /* distinct keys a counting sort takes; more: qsort */

/* Fills order[0..n) with the indexes of keys[] in winner order. */
static void winner_order(struct wkey *keys, size_t n, uint32_t *order)
{
	/* the distinct keys, through a small open-addressing table of their first index */
	enum { CAP = 2 * WINNER_BUCKETS };
	uint32_t *slot_of = xmalloc(CAP * sizeof(*slot_of));
	uint32_t *bucket = xmalloc((n ? n : 1) * sizeof(*bucket));
	struct wkey *distinct = xmalloc(WINNER_BUCKETS * sizeof(*distinct));
	size_t nd = 0;
	memset(slot_of, 0xff, CAP * sizeof(*slot_of));
	for (size_t i = 0; i < n; i++) {
		const struct wkey *k = &keys[i];
		uint64_t h = k->a * 0x9e3779b97f4a7c15u ^ k->b * 0xc2b2ae3d27d4eb4fu ^ k->c * 0x165667b19e3779f9u;
		size_t j = (size_t)(h ^ h >> 32) & (CAP - 1);
		while (slot_of[j] != UINT32_MAX && !wkey_same(&distinct[slot_of[j]], k))
			j = (j + 1) & (CAP - 1);
		if (slot_of[j] == UINT32_MAX) {
			if (nd == WINNER_BUCKETS)
				break;
			distinct[nd] = *k;
			distinct[nd].index = (uint32_t)nd;
			slot_of[j] = (uint32_t)nd++;
		}
		bucket[i] = slot_of[j];
	}
	if (nd < WINNER_BUCKETS || n == 0) {
		/* the distinct keys in order, then each stub after the stubs of the keys before
		 * its own, in load order */
		qsort(distinct, nd, sizeof(*distinct), cmp_wkey);
		uint32_t *start = xcalloc(nd + 1, sizeof(*start));
		uint32_t *pos = xmalloc((nd ? nd : 1) * sizeof(*pos));
		for (size_t d = 0; d < nd; d++)
			pos[distinct[d].index] = (uint32_t)d;   /* first-seen number -> place */
		for (size_t i = 0; i < n; i++)
			start[pos[bucket[i]] + 1]++;
		for (size_t d = 0; d < nd; d++)
			start[d + 1] += start[d];
		for (size_t i = 0; i < n; i++)
			order[start[pos[bucket[i]]]++] = (uint32_t)i;
		free(start);
		free(pos);
	} else {
		/* many distinct keys (WireMock mappings each have their own recency) */
		qsort(keys, n, sizeof(*keys), cmp_wkey);
		for (size_t i = 0; i < n; i++)
			order[i] = keys[i].index;
	}
	free(distinct);
	free(bucket);
	free(slot_of);
}

/* ---- exact hash --------------------------------------------------------------- */

static unsigned char ascii_upper(unsigned char c)
{
	return c >= 'a' && c <= 'z' ? (unsigned char)(c - ('a' - 'A')) : c;
}

/*
 * FNV-1a over the path, then over the method folded to upper case, so a lookup can
 * hash the request's method as received without copying it.
 */
static uint64_t path_hash(const char *path)
{
	return fnv1a_str(path);
}

static uint64_t key_hash(const char *method, uint64_t h)
{
	if (!method)
		return fnv1a_step(h, 0x2a);
	h = fnv1a_step(h, 0xff);
	for (const unsigned char *p = (const unsigned char *)method; *p; p++)
		h = fnv1a_step(h, ascii_upper(*p));
	return h;
}

static bool method_eq(const char *a, const char *b)
{
	for (;; a++, b++) {
		if (ascii_upper((unsigned char)*a) != ascii_upper((unsigned char)*b))
			return false;
		if (!*a)
			return true;
	}
}

static bool any_method(const struct stub *s)
{
	if (s->req.nmethods == 0)
		return true;
	for (size_t i = 0; i < s->req.nmethods; i++)
		if (strcmp(s->req.methods[i], "ANY") == 0)
			return true;
	return false;
}

/* Whether s lists method (any case) among its first n methods. */
static bool lists_method(const struct stub *s, const char *method, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (method_eq(s->req.methods[i], method))
			return true;
	return false;
}

/* Whether the key (method, path) is the one of the list whose first stub is s: every
 * stub of a key has its path, and names its method (method NULL: takes any method). */
static bool key_is(const struct stub *s, const char *method, const char *path)
{
	if (strcmp(s->req.path, path) != 0)
		return false;
	if (!method)
		return any_method(s);
	return !any_method(s) && lists_method(s, method, s->req.nmethods);
}

/* An empty slot has list {0, 0}; one whose key went in a rebuild {0, TOMB}: a probe goes
 * past it. */
#define TOMB 1u

/*
 * The slot of the key (method, path) with hash h: its entry's, or the empty slot that
 * ends the probe; *free_at (when not NULL) gets the first emptied slot passed, SIZE_MAX
 * for none. A longer list's first rank is pool[at], or at itself while build_table is
 * still counting (first_inline).
 */
static size_t probe(const struct router *r, const uint32_t *pool, bool first_inline, const char *method,
		    const char *path, uint64_t h, size_t *free_at)
{
	if (free_at)
		*free_at = SIZE_MAX;
	for (size_t i = (size_t)h & (r->cap - 1);; i = (i + 1) & (r->cap - 1)) {
		const struct exact_entry *e = &r->table[i];
		if (!e->list.n) {
			if (e->list.at != TOMB)
				return i;
			if (free_at && *free_at == SIZE_MAX)
				*free_at = i;
			continue;
		}
		uint32_t first = e->list.n == 1 || first_inline ? e->list.at : pool[e->list.at];
		if (e->hash == h && key_is(r->stubs[first], method, path))
			return i;
	}
}

static size_t table_slot(const struct router *r, const char *method, const char *path, uint64_t h)
{
	return probe(r, r->pool, false, method, path, h, NULL);
}

static const struct exact_entry *table_find(const struct router *r, const char *method, const char *path, uint64_t h)
{
	if (!r->cap)
		return NULL;
	const struct exact_entry *e = &r->table[table_slot(r, method, path, h)];
	return e->list.n ? e : NULL;
}

/* One (key, rank) of the build: the table slot its key took. */
struct key_ref {
	uint32_t slot, rank;
};

/* Adds the key (method, path of stubs[rank]) to the table, counting its stubs: the list
 * holds its first rank and its length until build_table lays the lists out. */
static void table_add(struct router *r, const char *method, uint64_t ph, uint32_t rank, struct key_ref *ref)
{
	uint64_t h = key_hash(method, ph);
	size_t i = probe(r, NULL, true, method, r->stubs[rank]->req.path, h, NULL);
	struct exact_entry *e = &r->table[i];
	if (!e->list.n) {
		e->hash = h;
		e->list.at = rank;
	}
	e->list.n++;
	*ref = (struct key_ref){ (uint32_t)i, rank };
}

static bool is_exact(const struct stub *s)
{
	return s->req.path_kind == PATH_EXACT && s->req.path;
}

/* The keys of an exact stub: one per method it names (a name twice counts once), or the
 * any-method one. */
/* The next key of an exact stub from *j (0 at first): sets *method (NULL: the any-method
 * key, the one key of a stub that takes any method) and returns true, or false past the
 * last. any: whether s takes any method. */
static bool next_key(const struct stub *s, bool any, size_t *j, const char **method)
{
	if (any) {
		*method = NULL;
		return (*j)++ == 0;
	}
	for (; *j < s->req.nmethods; (*j)++)
		if (!lists_method(s, s->req.methods[*j], *j)) {
			*method = s->req.methods[(*j)++];
			return true;
		}
	return false;
}

static size_t exact_keys(const struct stub *s, bool any)
{
	size_t k = 0;
	const char *m;
	for (size_t j = 0; next_key(s, any, &j, &m);)
		k++;
	return k;
}

/*
 * What the build needs of a stub, read in one pass in load order (the stubs of a file lie
 * together in memory): the later passes read these arrays rather than 100,000 stubs in
 * winner order, a cache miss or three each.
 */
enum build_kind { BK_EXACT, BK_TEMPLATE, BK_SCAN };

struct build_info {
	uint64_t ph;                    /* BK_EXACT: the path's hash */
	uint8_t kind;                   /* enum build_kind */
	bool any;                       /* takes any method */
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Fills the table from stubs[] in load order (rank_of[slot]: each one's rank); the lists of
 * more than one stub go to pool[*used ..), sorted. */
static void build_table(struct router *r, const struct stub *const *stubs, const struct build_info *info,
			const uint32_t *rank_of, size_t keys, size_t *used)
{
	if (!keys)
		return;
	/* at most 75% full: linear probing stays short */
	r->cap = 8;
	while (r->cap < keys + keys / 3 + 1)
		r->cap *= 2;
	r->table = xcalloc(r->cap, sizeof(*r->table));
	struct key_ref *refs = xmalloc(keys * sizeof(*refs));
	size_t k = 0;
	for (size_t slot = 0; slot < r->n; slot++) {
		if (info[slot].kind != BK_EXACT)
			continue;
		const char *m;
		for (size_t j = 0; next_key(stubs[slot], info[slot].any, &j, &m);)
			table_add(r, m, info[slot].ph, rank_of[slot], &refs[k++]);
	}
	/* the longer lists: a place in the pool each, their ranks, then in winner order */
	uint32_t *fill = xcalloc(r->cap, sizeof(*fill));
	for (size_t i = 0; i < r->cap; i++) {
		struct exact_entry *e = &r->table[i];
		if (e->list.n > 1) {
			e->list.at = (uint32_t)*used;
			*used += e->list.n;
		}
	}
	for (size_t i = 0; i < k; i++) {
		struct exact_entry *e = &r->table[refs[i].slot];
		if (e->list.n > 1)
			r->pool[e->list.at + fill[refs[i].slot]++] = refs[i].rank;
	}
	for (size_t i = 0; i < r->cap; i++) {
		r->live += r->table[i].list.n > 0;
		if (r->table[i].list.n > 1)
			qsort(&r->pool[r->table[i].list.at], r->table[i].list.n, sizeof(*r->pool), cmp_u32);
	}
	free(fill);
	free(refs);
}

/* ---- template trie ------------------------------------------------------------ */

static int seg_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);
	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/*
 * Kinds order literal < param < rest; any total order works as long as templates
 * that share a prefix end up next to each other.
 */
static int seg_kind(const struct path_seg *g)
{
	return g->is_rest ? 2 : g->is_param ? 1 : 0;
}

struct tpl_item {
	const struct stub *s;
	uint32_t rank;
};

/* Templates by their segments (literal < param < rest, a template before its
 * extensions), then by rank: those that share the first d segments stand together, the
 * ones that end there first. */
static int cmp_template(const void *a, const void *b)
{
	const struct tpl_item *x = a, *y = b;
	const struct stub *s = x->s, *t = y->s;
	size_t n = s->req.nsegs < t->req.nsegs ? s->req.nsegs : t->req.nsegs;
	for (size_t i = 0; i < n; i++) {
		const struct path_seg *g = &s->req.segs[i], *h = &t->req.segs[i];
		int kx = seg_kind(g), ky = seg_kind(h);
		if (kx != ky)
			return kx - ky;
		if (kx == 0) {
			int c = strcmp(g->text, h->text);
			if (c)
				return c;
		}
	}
	if (s->req.nsegs != t->req.nsegs)
		return s->req.nsegs < t->req.nsegs ? -1 : 1;
	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

struct trie_build {
	struct router *r;
	const struct tpl_item *v;       /* the templates, sorted by cmp_template */
	uint32_t base;                  /* where v's ranks stand in the pool */
	size_t nnodes, anodes, nkids, akids;
};

static uint32_t new_node(struct trie_build *b)
{
	if (b->nnodes == b->anodes) {
		b->anodes = b->anodes ? 2 * b->anodes : 16;
		b->r->nodes = xrealloc(b->r->nodes, b->anodes * sizeof(*b->r->nodes));
	}
	b->r->nodes[b->nnodes] = (struct trie_node){ .min_rank = NO_RANK };
	return (uint32_t)b->nnodes++;
}

static uint32_t list_min(const struct router *r, struct rlist l)
{
	uint32_t m = NO_RANK;
	for (uint32_t i = 0; i < l.n; i++)
		if (rl_at(r, l, i) < m)
			m = rl_at(r, l, i);
	return m;
}

/*
 * The node of the templates v[lo..hi), which share their first `depth` segments: those
 * that end there, then the literal children (one per distinct text, laid out together),
 * the {name} child, and the {name*} ones. min_rank is the subtree's lowest rank.
 */
static uint32_t build_node(struct trie_build *b, size_t lo, size_t hi, size_t depth)
{
	uint32_t id = new_node(b);
	struct router *r = b->r;
	const struct tpl_item *v = b->v;
	size_t i = lo;
	while (i < hi && v[i].s->req.nsegs == depth)
		i++;
	struct trie_node node = { .end = rl_make(&r->pool[b->base + lo], (uint32_t)(i - lo), (uint32_t)(b->base + lo)) };
	/* the literal groups: count them, lay their kids out together, then build each */
	size_t groups = 0;
	for (size_t j = i; j < hi && seg_kind(&v[j].s->req.segs[depth]) == 0; j++)
		groups += j == i || strcmp(v[j].s->req.segs[depth].text, v[j - 1].s->req.segs[depth].text) != 0;
	if (b->nkids + groups > b->akids) {
		while (b->nkids + groups > b->akids)
			b->akids = b->akids ? 2 * b->akids : 16;
		r->kids = xrealloc(r->kids, b->akids * sizeof(*r->kids));
	}
	node.lit = (uint32_t)b->nkids;
	node.nlit = (uint32_t)groups;
	b->nkids += groups;
	for (size_t g = 0; g < groups; g++) {
		const char *text = v[i].s->req.segs[depth].text;
		size_t j = i + 1;
		while (j < hi && seg_kind(&v[j].s->req.segs[depth]) == 0 && strcmp(v[j].s->req.segs[depth].text, text) == 0)
			j++;
		uint32_t child = build_node(b, i, j, depth + 1);
		r->kids[node.lit + g] = (struct trie_kid){ text, (uint32_t)strlen(text), child };
		i = j;
	}
	size_t j = i;
	while (j < hi && seg_kind(&v[j].s->req.segs[depth]) == 1)
		j++;
	if (j > i)
		node.param = build_node(b, i, j, depth + 1);
	/* what is left has {name*} here: it ends the template */
	node.rest = rl_make(&r->pool[b->base + j], (uint32_t)(hi - j), (uint32_t)(b->base + j));
	node.min_rank = list_min(r, node.end);
	uint32_t m = list_min(r, node.rest);
	if (m < node.min_rank)
		node.min_rank = m;
	for (size_t g = 0; g < node.nlit; g++)
		if (r->nodes[r->kids[node.lit + g].node].min_rank < node.min_rank)
			node.min_rank = r->nodes[r->kids[node.lit + g].node].min_rank;
	if (node.param && r->nodes[node.param].min_rank < node.min_rank)
		node.min_rank = r->nodes[node.param].min_rank;
	r->nodes[id] = node;
	return id;
}

/* The trie over the templates v[0..n) (in cmp_template order), whose ranks stand at
 * pool[base ..+ n). */
static void trie_over(struct router *r, const struct tpl_item *v, size_t n, uint32_t base)
{
	struct trie_build b = { .r = r, .v = v, .base = base };
	r->tpl_at = base;
	r->ntpl = (uint32_t)n;
	build_node(&b, 0, n, 0);
	/* the arrays grew by doubling: give the rest back */
	r->nodes = xrealloc(r->nodes, b.nnodes * sizeof(*r->nodes));
	if (b.nkids)
		r->kids = xrealloc(r->kids, b.nkids * sizeof(*r->kids));
}

/* Builds the trie over the n templates of stubs[]; their ranks take pool[*used ..). */
static void build_trie(struct router *r, const struct stub *const *stubs, const struct build_info *info,
		       const uint32_t *rank_of, size_t n, size_t *used)
{
	if (!n)
		return;
	struct tpl_item *v = xmalloc(n * sizeof(*v));
	size_t k = 0;
	for (size_t slot = 0; slot < r->n; slot++)
		if (info[slot].kind == BK_TEMPLATE)
			v[k++] = (struct tpl_item){ stubs[slot], rank_of[slot] };
	qsort(v, n, sizeof(*v), cmp_template);
	for (size_t i = 0; i < n; i++)
		r->pool[*used + i] = v[i].rank;
	trie_over(r, v, n, (uint32_t)*used);
	*used += n;
	free(v);
}

/* ---- build -------------------------------------------------------------------- */

struct router *router_build(const struct stub *const *stubs, size_t n)
{
	struct router *r = xcalloc(1, sizeof(*r));
	if (n >= NO_RANK)
		abort();   /* ranks are 32 bits; a set is bounded far below by memory */
	r->n = n;
	r->stubs = xmalloc((n ? n : 1) * sizeof(*r->stubs));
	r->slots = xmalloc((n ? n : 1) * sizeof(*r->slots));
	/* the one pass over the stubs themselves */
	struct wkey *keys = xmalloc((n ? n : 1) * sizeof(*keys));
	struct build_info *info = xmalloc((n ? n : 1) * sizeof(*info));
	size_t nkeys = 0, ntpl = 0, nscan = 0;
	for (size_t slot = 0; slot < n; slot++) {
		const struct stub *s = stubs[slot];
		keys[slot] = wkey_of(s, slot);
		struct build_info *in = &info[slot];
		in->any = any_method(s);
		if (is_exact(s)) {
			in->kind = BK_EXACT;
			in->ph = path_hash(s->req.path);
			nkeys += exact_keys(s, in->any);
		} else if (s->req.path_kind == PATH_TEMPLATE) {
			in->kind = BK_TEMPLATE;
			ntpl++;
		} else {
			in->kind = BK_SCAN;
			nscan++;
		}
	}
	winner_order(keys, n, r->slots);
	free(keys);
	uint32_t *rank_of = xmalloc((n ? n : 1) * sizeof(*rank_of));
	for (size_t rank = 0; rank < n; rank++) {
		r->stubs[rank] = stubs[r->slots[rank]];
		rank_of[r->slots[rank]] = (uint32_t)rank;
	}
	/* the pool: the longer exact lists (at most all keys), the templates, the scan list */
	r->pool = xmalloc((nkeys + ntpl + nscan + 1) * sizeof(*r->pool));
	size_t pooled = 0;
	build_table(r, stubs, info, rank_of, nkeys, &pooled);
	build_trie(r, stubs, info, rank_of, ntpl, &pooled);
	size_t at = pooled;
	for (size_t slot = 0; slot < n; slot++)
		if (info[slot].kind == BK_SCAN)
			r->pool[pooled++] = rank_of[slot];
	qsort(&r->pool[at], pooled - at, sizeof(*r->pool), cmp_u32);
	r->scan = rl_make(&r->pool[at], (uint32_t)(pooled - at), (uint32_t)at);
	r->pool = xrealloc(r->pool, (pooled + 1) * sizeof(*r->pool));
	r->npool = pooled;
	free(rank_of);
	free(info);
	return r;
}

/* ---- rebuild ------------------------------------------------------------------ */

struct pool_vec {
	uint32_t *v;
	size_t n, cap;
};

static uint32_t pool_take(struct pool_vec *p, size_t k)
{
	if (!p->v || p->n + k > p->cap) {   /* never NULL: memcpy's arguments may not be */
		while (!p->cap || p->n + k > p->cap)
			p->cap = p->cap ? 2 * p->cap : 1024;
		p->v = xrealloc(p->v, p->cap * sizeof(*p->v));
	}
	p->n += k;
	return (uint32_t)(p->n - k);
}

/* Where key k goes among v[lo..hi) (ascending by cmp): after every element not above it. */
static size_t upper_bound_wkey(const struct stub *const *stubs, const uint32_t *v, size_t lo, size_t hi,
			       const struct wkey *k)
{
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct wkey m = wkey_of(stubs[v[mid]], v[mid]);
		if (wkey_cmp(&m, k) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static size_t upper_bound_tpl(const struct router *r, const uint32_t *v, size_t lo, size_t hi, const struct tpl_item *t)
{
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct tpl_item m = { r->stubs[v[mid]], v[mid] };
		if (cmp_template(&m, t) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Adds the key (method, path) of stubs[rank], a stub new in a rebuild, to its list,
 * which stays ascending (a longer list moves to the pool's end). */
static void table_insert(struct router *r, struct pool_vec *pool, const char *method, uint64_t ph, uint32_t rank)
{
	uint64_t h = key_hash(method, ph);
	size_t free_at;
	size_t i = probe(r, pool->v, false, method, r->stubs[rank]->req.path, h, &free_at);
	struct exact_entry *e = &r->table[i];
	if (e->list.n) {
		uint32_t n = e->list.n, at = pool_take(pool, n + 1), k = 0;
		bool put = false;
		for (uint32_t j = 0; j < n; j++) {
			uint32_t x = n == 1 ? e->list.at : pool->v[e->list.at + j];
			if (!put && rank < x) {
				pool->v[at + k++] = rank;
				put = true;
			}
			pool->v[at + k++] = x;
		}
		if (!put)
			pool->v[at + k++] = rank;
		e->list = (struct rlist){ n + 1, at };
		return;
	}
	if (free_at != SIZE_MAX) {
		i = free_at;
		r->tombs--;
	}
	r->table[i] = (struct exact_entry){ h, { 1, rank } };
	r->live++;
}

#define REBUILD_MAX_NEW(n) ((n) / 8 + 64)   /* more new stubs than this: a full build is as quick */

struct router *router_rebuild(const struct router *prev, const struct stub *const *stubs, size_t n,
			      const uint32_t *new_of_old, const uint32_t *fresh, size_t nfresh)
{
	if (!prev || n >= NO_RANK || nfresh > REBUILD_MAX_NEW(n))
		return NULL;
	/* the kept stubs in their old order, then the new ones merged in by their keys */
	uint32_t *order = xmalloc((n ? n : 1) * sizeof(*order));
	size_t kept = 0;
	for (size_t rank = 0; rank < prev->n; rank++) {
		uint32_t s = new_of_old[prev->slots[rank]];
		if (s != NO_RANK)
			order[kept++] = s;
	}
	if (kept + nfresh != n) {
		free(order);
		return NULL;
	}
	struct wkey *keys = xmalloc((nfresh ? nfresh : 1) * sizeof(*keys));
	for (size_t i = 0; i < nfresh; i++)
		keys[i] = wkey_of(stubs[fresh[i]], fresh[i]);
	qsort(keys, nfresh, sizeof(*keys), cmp_wkey);
	struct router *r = xcalloc(1, sizeof(*r));
	r->n = n;
	r->slots = xmalloc((n ? n : 1) * sizeof(*r->slots));
	size_t from = 0, out = 0;
	for (size_t i = 0; i < nfresh; i++) {
		size_t to = upper_bound_wkey(stubs, order, from, kept, &keys[i]);
		memcpy(r->slots + out, order + from, (to - from) * sizeof(*order));
		out += to - from;
		r->slots[out++] = keys[i].index;
		from = to;
	}
	memcpy(r->slots + out, order + from, (kept - from) * sizeof(*order));
	free(keys);
	r->stubs = xmalloc((n ? n : 1) * sizeof(*r->stubs));
	uint32_t *rank_of = order;   /* reused: new slot -> new rank */
	for (size_t rank = 0; rank < n; rank++) {
		r->stubs[rank] = stubs[r->slots[rank]];
		rank_of[r->slots[rank]] = (uint32_t)rank;
	}
	/* old rank -> new rank, NO_RANK for a stub that went: kept stubs keep their order, so
	 * every list stays ascending */
	uint32_t *remap = xmalloc((prev->n ? prev->n : 1) * sizeof(*remap));
	for (size_t rank = 0; rank < prev->n; rank++) {
		uint32_t s = new_of_old[prev->slots[rank]];
		remap[rank] = s == NO_RANK ? NO_RANK : rank_of[s];
	}
	struct pool_vec pool = { 0 };
	/* the table: the old one with its lists renumbered, then the new stubs' keys */
	size_t new_keys = 0;
	for (size_t i = 0; i < nfresh; i++)
		if (is_exact(stubs[fresh[i]]))
			new_keys += exact_keys(stubs[fresh[i]], any_method(stubs[fresh[i]]));
	r->cap = prev->cap;
	if (r->cap && prev->live + prev->tombs + new_keys > r->cap - r->cap / 4)
		goto full;
	if (!r->cap && new_keys)
		goto full;
	if (r->cap) {
		r->table = xmalloc(r->cap * sizeof(*r->table));
		memcpy(r->table, prev->table, r->cap * sizeof(*r->table));
		r->live = prev->live;
		r->tombs = prev->tombs;
	}
	for (size_t i = 0; i < r->cap; i++) {
		struct exact_entry *e = &r->table[i];
		uint32_t k = 0, at = 0;
		if (!e->list.n)
			continue;
		if (e->list.n == 1) {
			at = remap[e->list.at];
			k = at != NO_RANK;
		} else {
			at = pool_take(&pool, e->list.n);
			for (uint32_t j = 0; j < e->list.n; j++) {
				uint32_t x = remap[prev->pool[e->list.at + j]];
				if (x != NO_RANK)
					pool.v[at + k++] = x;
			}
			pool.n -= e->list.n - k;
			if (k == 1)
				at = pool.v[at];
		}
		if (!k) {
			e->list = (struct rlist){ 0, TOMB };
			r->live--;
			r->tombs++;
		} else {
			e->list = (struct rlist){ k, at };
		}
	}
	for (size_t i = 0; i < nfresh; i++) {
		const struct stub *s = stubs[fresh[i]];
		if (!is_exact(s))
			continue;
		uint64_t ph = path_hash(s->req.path);
		const char *m;
		for (size_t j = 0; next_key(s, any_method(s), &j, &m);)
			table_insert(r, &pool, m, ph, rank_of[fresh[i]]);
	}
	/* the templates: the old trie order renumbered, the new ones merged in, then a trie
	 * built over them (it reads only the templates) */
	struct tpl_item *tv = NULL;
	size_t nt = 0, ntv = 0;
	for (size_t i = 0; i < nfresh; i++)
		nt += stubs[fresh[i]]->req.path_kind == PATH_TEMPLATE;
	tv = xmalloc((nt ? nt : 1) * sizeof(*tv));
	for (size_t i = 0; i < nfresh; i++)
		if (stubs[fresh[i]]->req.path_kind == PATH_TEMPLATE)
			tv[ntv++] = (struct tpl_item){ stubs[fresh[i]], rank_of[fresh[i]] };
	qsort(tv, ntv, sizeof(*tv), cmp_template);
	uint32_t *old_tpl = xmalloc((prev->ntpl ? prev->ntpl : 1) * sizeof(*old_tpl));
	size_t nold = 0;
	for (size_t i = 0; i < prev->ntpl; i++) {
		uint32_t x = remap[prev->pool[prev->tpl_at + i]];
		if (x != NO_RANK)
			old_tpl[nold++] = x;
	}
	size_t ntpl = nold + ntv;
	uint32_t base = pool_take(&pool, ntpl);
	r->pool = pool.v;
	from = out = 0;
	for (size_t i = 0; i < ntv; i++) {
		size_t to = upper_bound_tpl(r, old_tpl, from, nold, &tv[i]);
		memcpy(pool.v + base + out, old_tpl + from, (to - from) * sizeof(*old_tpl));
		out += to - from;
		pool.v[base + out++] = tv[i].rank;
		from = to;
	}
	memcpy(pool.v + base + out, old_tpl + from, (nold - from) * sizeof(*old_tpl));
	free(old_tpl);
	free(tv);
	if (ntpl) {
		struct tpl_item *v = xmalloc(ntpl * sizeof(*v));
		for (size_t i = 0; i < ntpl; i++)
			v[i] = (struct tpl_item){ r->stubs[pool.v[base + i]], pool.v[base + i] };
		trie_over(r, v, ntpl, base);
		free(v);
	}
	/* the scan list */
	size_t nscan = 0;
	for (uint32_t i = 0; i < prev->scan.n; i++)
		nscan += remap[rl_at(prev, prev->scan, i)] != NO_RANK;
	for (size_t i = 0; i < nfresh; i++) {
		const struct stub *s = stubs[fresh[i]];
		nscan += !is_exact(s) && s->req.path_kind != PATH_TEMPLATE;
	}
	uint32_t sat = pool_take(&pool, nscan), k = 0;
	for (uint32_t i = 0; i < prev->scan.n; i++) {
		uint32_t x = remap[rl_at(prev, prev->scan, i)];
		if (x != NO_RANK)
			pool.v[sat + k++] = x;
	}
	for (size_t i = 0; i < nfresh; i++) {
		const struct stub *s = stubs[fresh[i]];
		if (!is_exact(s) && s->req.path_kind != PATH_TEMPLATE)
			pool.v[sat + k++] = rank_of[fresh[i]];
	}
	qsort(pool.v + sat, nscan, sizeof(*pool.v), cmp_u32);
	r->scan = rl_make(pool.v + sat, (uint32_t)nscan, sat);
	r->pool = xrealloc(pool.v, (pool.n + 1) * sizeof(*pool.v));
	r->npool = pool.n;
	free(remap);
	free(order);
	return r;
full:
	free(remap);
	free(order);
	free(pool.v);
	free(r->slots);
	free(r->stubs);
	free(r);
	return NULL;
}

static void near_set_destroy(struct near_set *ns);

void router_destroy(struct router *r)
{
	if (!r)
		return;
	near_set_destroy(atomic_load(&r->near));
	free(r->table);
	free(r->nodes);
	free(r->kids);
	free(r->pool);
	free(r->slots);
	free(r->stubs);
	free(r);
}

/* ---- lookup ------------------------------------------------------------------- */

/* Runs on any thread; everything it touches besides req is read-only. */
struct best {
	struct params params;           /* the winner's captures, when asked for */
	bool want_params;
	uint32_t rank;                  /* NO_RANK while nothing matched */
};

/* Whether stubs[rank] takes the request; if so it becomes the best. A stub whose path has
 * captures hands them over from this one match when the caller asked for them. */
static bool accept(const struct router *r, struct best *b, uint32_t rank, struct req_view *req)
{
	const struct stub *s = r->stubs[rank];
	struct params p = { NULL, 0 };
	bool capture = b->want_params && (s->req.path_kind == PATH_TEMPLATE || s->req.path_kind == PATH_REGEX);
	if (!stub_method_ok(s, req->method) || !stub_path_ok(s, req, capture ? &p : NULL) ||
	    !stub_conditions_ok(s, req))
		return false;
	b->rank = rank;
	b->params = p;
	return true;
}

/* The first accepting stub of a list, if it beats the best so far. */
static void scan_list(const struct router *r, struct rlist l, struct req_view *req, struct best *b)
{
	for (uint32_t i = 0; i < l.n; i++) {
		uint32_t rank = rl_at(r, l, i);
		if (rank >= b->rank || accept(r, b, rank, req))
			return;
	}
}

static const struct trie_node *find_literal(const struct router *r, const struct trie_node *node, const char *seg,
					    size_t len)
{
	size_t lo = node->lit, hi = (size_t)node->lit + node->nlit;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = seg_cmp(r->kids[mid].text, r->kids[mid].len, seg, len);
		if (c == 0)
			return &r->nodes[r->kids[mid].node];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * p is the start of the current segment, NULL once every segment is used. Explores
 * the literal and the param branch (a literal match does not rule out a better-ranked
 * template behind the param), skipping subtrees that cannot beat the best so far.
 * Depth is bounded by the longest template, not by the request.
 */
static void trie_search(const struct router *r, const struct trie_node *node, const char *p, struct req_view *req,
			struct best *b)
{
	if (node->min_rank >= b->rank)
		return;
	if (!p) {
		scan_list(r, node->end, req, b);
		return;
	}
	if (*p)
		scan_list(r, node->rest, req, b);
	const char *slash = strchr(p, '/');
	size_t len = slash ? (size_t)(slash - p) : strlen(p);
	const char *next = slash ? slash + 1 : NULL;
	const struct trie_node *child = find_literal(r, node, p, len);
	if (child)
		trie_search(r, child, next, req, b);
	if (len && node->param)
		trie_search(r, &r->nodes[node->param], next, req, b);
}

static void exact_search(const struct router *r, struct req_view *req, struct best *b)
{
	const struct exact_entry *m, *any;
	if (!r->cap)
		return;
	uint64_t ph = path_hash(req->path);
	m = table_find(r, req->method, req->path, key_hash(req->method, ph));
	any = table_find(r, NULL, req->path, key_hash(NULL, ph));
	struct rlist ml = m ? m->list : (struct rlist){ 0, 0 }, al = any ? any->list : (struct rlist){ 0, 0 };
	uint32_t i = 0, j = 0;
	/* merge the method's list with the any-method list by rank */
	while (i < ml.n || j < al.n) {
		uint32_t rank;
		if (j >= al.n || (i < ml.n && rl_at(r, ml, i) < rl_at(r, al, j)))
			rank = rl_at(r, ml, i++);
		else
			rank = rl_at(r, al, j++);
		if (rank >= b->rank || accept(r, b, rank, req))
			return;
	}
}

const struct stub *router_find(const struct router *r, struct req_view *req, struct params *params, size_t *slot)
{
	struct best b = { { NULL, 0 }, params != NULL, NO_RANK };
	if (params) {
		params->items = NULL;
		params->n = 0;
	}
	if (!r || !req->path || !req->method)
		return NULL;
	exact_search(r, req, &b);
	if (r->nodes && req->path[0] == '/')
		trie_search(r, &r->nodes[0], req->path + 1, req, &b);
	scan_list(r, r->scan, req, &b);
	if (b.rank == NO_RANK)
		return NULL;
	if (params)
		*params = b.params;
	if (slot)
		*slot = r->slots[b.rank];
	return r->stubs[b.rank];
}

const struct stub *router_lookup(const struct router *r, struct req_view *req, struct params *params)
{
	return router_find(r, req, params, NULL);
}

size_t router_rank(const struct router *r, size_t slot)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->slots[i] == slot)
			return i;
	return SIZE_MAX;
}

const struct stub *router_at(const struct router *r, size_t rank, size_t *slot)
{
	if (rank >= r->n)
		return NULL;
	if (slot)
		*slot = r->slots[rank];
	return r->stubs[rank];
}

/* ---- near misses -------------------------------------------------------------- */

/*
 * Whether c ends the literal start of a path: '{' in a template, a metacharacter in a
 * regex. A switch rather than strchr() over a set: a near-miss scan calls this for every
 * byte of every stub's path, and strchr was the largest cost of a 404 with 10,000 stubs.
 */
static bool ends_literal(bool regex, char c)
{
	switch (c) {
	case '{':
		return true;
	case '\\': case '.': case '^': case '$': case '|': case '?': case '*': case '+':
	case '(': case ')': case '[': case ']': case '}':
		return regex;
	default:
		return false;
	}
}

/* How far the request path is from the stub's: 0 when it matches, else 1 + the bytes
 * on both sides past their common prefix, counting only the literal start of a
 * template (up to its first '{') or of a regex (up to its first metacharacter). */
static size_t path_distance(const struct stub *s, struct req_view *req)
{
	if (stub_path_ok(s, req, NULL))
		return 0;
	const char *a = s->req.path, *b = req->path;
	if (!a)
		return 1 + strlen(b);
	bool regex = s->req.path_kind == PATH_REGEX;
	if (regex && a[0] == '^')
		a++;
	size_t i = 0;
	while (a[i] && b[i] && a[i] == b[i] && !ends_literal(regex, a[i]))
		i++;
	size_t rest = strlen(b + i);
	for (const char *p = a + i; *p && !ends_literal(regex, *p); p++)
		rest++;
	return 1 + rest;
}

/* ---- the near-miss indexes ------------------------------------------------------- */

/* Stubs the indexes hold: those with a literal or template path; the scan list has the
 * others. A front-end's implicit stubs are never near misses. */
static bool indexed(const struct stub *s)
{
	return !s->implicit && s->req.path &&
	       (s->req.path_kind == PATH_EXACT || s->req.path_kind == PATH_TEMPLATE);
}

/* stubs[i]'s key in the indexes: its path up to the first template parameter, as
 * path_distance compares it. */
static struct near_key near_key_of(const struct router *r, size_t i)
{
	const char *path = r->stubs[i]->req.path;
	return (struct near_key){ path, strcspn(path, "{"), (uint32_t)i };
}

static void near_set_destroy(struct near_set *ns)
{
	if (!ns)
		return;
	for (size_t i = 0; i < ns->ngroups; i++)
		if (ns->groups[i].ix != ns->all)
			near_index_destroy(ns->groups[i].ix);
	near_index_destroy(ns->all);
	free(ns->groups);
	free(ns);
}

/* The index over the indexed stubs that method m takes (NULL: the any-method ones); NULL
 * when there are none, `all` when that is every one. */
static struct near_index *group_index(const struct router *r, struct near_key *keys, const char *m,
				      struct near_index *all)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct stub *s = r->stubs[i];
		if (indexed(s) && (m ? stub_method_ok(s, m) : any_method(s)))
			keys[n++] = near_key_of(r, i);
	}
	return n == near_index_size(all) ? all : near_index_build(keys, n);
}

static struct near_set *near_set_build(const struct router *r)
{
	struct near_set *ns = xcalloc(1, sizeof *ns);
	struct near_key *keys = xmalloc((r->n ? r->n : 1) * sizeof *keys);
	size_t n = 0;
	for (size_t i = 0; i < r->n; i++)
		if (indexed(r->stubs[i]))
			keys[n++] = near_key_of(r, i);
	ns->all = near_index_build(keys, n);
	/* the methods named: a group each, and one for the any-method stubs */
	size_t cap = 1;
	ns->groups = xcalloc(cap, sizeof *ns->groups);
	ns->ngroups = 1;
	for (size_t i = 0; i < r->n; i++) {
		const struct stub *s = r->stubs[i];
		for (size_t j = 0; indexed(s) && !any_method(s) && j < s->req.nmethods; j++) {
			bool seen = false;
			for (size_t g = 1; g < ns->ngroups && !seen; g++)
				seen = method_eq(ns->groups[g].method, s->req.methods[j]);
			if (seen)
				continue;
			if (ns->ngroups == cap) {
				cap *= 2;
				ns->groups = xrealloc(ns->groups, cap * sizeof *ns->groups);
			}
			ns->groups[ns->ngroups++].method = s->req.methods[j];
		}
	}
	for (size_t g = 0; g < ns->ngroups; g++)
		ns->groups[g].ix = group_index(r, keys, ns->groups[g].method, ns->all);
	free(keys);
	return ns;
}

static const struct near_set *near_set_of(const struct router *r)
{
	struct router *w = (struct router *)r;   /* the memo is the one field written after build */
	struct near_set *ns = atomic_load_explicit(&w->near, memory_order_acquire);
	if (ns)
		return ns;
	struct near_set *mine = near_set_build(r), *none = NULL;
	if (atomic_compare_exchange_strong_explicit(&w->near, &none, mine, memory_order_acq_rel,
						    memory_order_acquire))
		return mine;
	near_set_destroy(mine);   /* another search built it first */
	return none;
}

/* ---- the near-miss search ------------------------------------------------------------ */

/* The best candidates so far, sorted by (failed conditions, path distance, rank). */
struct near_top {
	struct near_miss *out;
	size_t dist[ROUTER_MAX_NEAR_MISSES];
	size_t rank[ROUTER_MAX_NEAR_MISSES];
	size_t kept, max;
};

static bool key_less(unsigned f1, size_t d1, size_t r1, unsigned f2, size_t d2, size_t r2)
{
	return f1 < f2 || (f1 == f2 && (d1 < d2 || (d1 == d2 && r1 < r2)));
}

/* Whether nothing of key (failed, dist, rank) or above can enter the list. */
static bool top_closed(const struct near_top *t, unsigned failed, size_t dist, size_t rank)
{
	size_t w = t->max - 1;
	return t->kept == t->max &&
	       !key_less(failed, dist, rank, t->out[w].failed, t->dist[w], t->rank[w]);
}

/* Counts the failed conditions of stubs[rank] (dist: its path distance) and keeps it if
 * it is among the best. Once the list is full a stub is only counted until it fails as
 * often as the worst kept one does, plus one. */
static void consider(struct near_top *t, const struct router *r, size_t rank, size_t dist, struct req_view *req)
{
	const struct stub *s = r->stubs[rank];
	if (s->implicit)
		return;
	for (size_t i = 0; i < t->kept; i++)
		if (t->out[i].stub == s)
			return;   /* found twice (a path equal to the request's, in two methods' lists) */
	unsigned limit = t->kept == t->max ? t->out[t->max - 1].failed + 1 : 0;
	unsigned failed = stub_explain_count(s, req, limit);
	if (top_closed(t, failed, dist, rank))
		return;
	size_t at = t->kept < t->max ? t->kept++ : t->max - 1;
	while (at > 0 && key_less(failed, dist, rank, t->out[at - 1].failed, t->dist[at - 1], t->rank[at - 1])) {
		t->out[at] = t->out[at - 1];
		t->dist[at] = t->dist[at - 1];
		t->rank[at] = t->rank[at - 1];
		at--;
	}
	memset(&t->out[at], 0, sizeof t->out[at]);
	t->out[at].stub = s;
	t->out[at].failed = failed;
	t->dist[at] = dist;
	t->rank[at] = rank;
}

/* Every template in the trie whose shape can match the request path (trie_search's walk,
 * without its pruning by rank), each considered when its path does match. */
static void near_templates(struct near_top *t, const struct router *r, const struct trie_node *node, const char *p,
			   struct req_view *req)
{
	struct rlist lists[2] = { p ? (struct rlist){ 0, 0 } : node->end, p && *p ? node->rest : (struct rlist){ 0, 0 } };
	for (size_t l = 0; l < 2; l++)
		for (uint32_t i = 0; i < lists[l].n; i++) {
			uint32_t rank = rl_at(r, lists[l], i);
			if (stub_path_ok(r->stubs[rank], req, NULL))
				consider(t, r, rank, 0, req);
		}
	if (!p)
		return;
	const char *slash = strchr(p, '/');
	size_t len = slash ? (size_t)(slash - p) : strlen(p);
	const char *next = slash ? slash + 1 : NULL;
	const struct trie_node *child = find_literal(r, node, p, len);
	if (child)
		near_templates(t, r, child, next, req);
	if (len && node->param)
		near_templates(t, r, &r->nodes[node->param], next, req);
}

/* The exact stubs of the request's path, in every method's list and the any-method one. */
static void near_exact(struct near_top *t, const struct router *r, const struct near_set *ns, struct req_view *req)
{
	if (!r->cap)
		return;
	uint64_t ph = path_hash(req->path);
	for (size_t g = 0; g < ns->ngroups; g++) {
		const char *m = ns->groups[g].method;
		const struct exact_entry *e = table_find(r, m, req->path, key_hash(m, ph));
		for (uint32_t i = 0; e && i < e->list.n; i++) {
			uint32_t rank = rl_at(r, e->list, i);
			consider(t, r, rank, path_distance(r->stubs[rank], req), req);
		}
	}
}

/* The stubs of ix in order of path distance, each failing `floor` conditions at least
 * (its path, and its method unless the index is the request method's), until none left
 * can enter the list. Skips those a search before has considered: paths that match
 * (near_exact, near_templates) and, with skip_method, stubs that take the method. */
static void near_walk_index(struct near_top *t, const struct router *r, const struct near_index *ix, unsigned floor,
			    bool skip_method, struct req_view *req)
{
	struct near_walk w;
	near_walk_start(&w, ix, req->path, strlen(req->path));
	size_t dist;
	uint32_t rank;
	while (near_walk_peek(&w, &dist, &rank) && !top_closed(t, floor, dist, rank)) {
		near_walk_next(&w, &dist, &rank);
		const struct stub *s = r->stubs[rank];
		if (skip_method && stub_method_ok(s, req->method))
			continue;
		if (stub_path_ok(s, req, NULL))
			continue;
		consider(t, r, rank, dist, req);
	}
	near_walk_end(&w);
}

size_t router_near_misses(const struct router *r, struct req_view *req, struct near_miss *out, size_t max)
{
	if (max > ROUTER_MAX_NEAR_MISSES)
		max = ROUTER_MAX_NEAR_MISSES;
	if (!r || max == 0 || !req->path || !req->method)
		return 0;
	/*
	 * The stubs with the fewest failed conditions, ties to the path closest to the request
	 * and then to winner order, found without counting every stub: first every stub whose
	 * path matches (distance 0: the request path's exact lists, the templates that match
	 * it, the regex and pathless ones), then the others nearest first from the indexes,
	 * the request method's stubs (failing at least their path) before the rest (failing
	 * their method too), each walk stopping when what is left cannot do better.
	 */
	struct near_top t = { .out = out, .max = max };
	const struct near_set *ns = near_set_of(r);
	near_exact(&t, r, ns, req);
	if (r->nodes && req->path[0] == '/')
		near_templates(&t, r, &r->nodes[0], req->path + 1, req);
	for (uint32_t i = 0; i < r->scan.n; i++) {
		uint32_t rank = rl_at(r, r->scan, i);
		consider(&t, r, rank, path_distance(r->stubs[rank], req), req);
	}
	const struct near_index *mine = ns->groups[0].ix;   /* the any-method stubs' */
	for (size_t g = 1; g < ns->ngroups; g++)
		if (method_eq(ns->groups[g].method, req->method))
			mine = ns->groups[g].ix;
	near_walk_index(&t, r, mine, 1, false, req);
	/* the others, failing their method too: none can enter once the list is full of
	 * stubs failing once, and there are none when every stub takes the method */
	if (!top_closed(&t, 2, 0, 0) && mine != ns->all)
		near_walk_index(&t, r, ns->all, 2, true, req);
	for (size_t i = 0; i < t.kept; i++)
		out[i].failed = stub_explain(out[i].stub, req, &out[i].why);
	return t.kept;
}

void near_miss_release(struct near_miss *nm, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mismatches_release(&nm[i].why);
}
