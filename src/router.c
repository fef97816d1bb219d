/* SPDX-License-Identifier: MIT */
/* The route index: stubs sorted into winner order, a hash on (method, exact path), a
 * segment trie for templates and a rank-ordered list for regex and pathless stubs.
 * Built once, then read-only: lookups from many threads need no lock. */
#include "router.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "near_index.h"
#include "util/hash.h"
#include "util/xalloc.h"

/* One stub in the index: its place in the winner order and in the set. */
struct route {
	const struct stub *s;
	size_t rank;                    /* position in the winner order */
	size_t slot;                    /* index in the stubs[] given to router_build */
};

struct cand_list {
	const struct route **v;         /* sorted by rank */
	size_t n, alloc;
};

/* One (method, exact path) key. method NULL is the any-method list of that path. */
struct exact_entry {
	const char *method;             /* borrowed from a stub; upper-case */
	const char *path;               /* borrowed; NULL marks an empty slot */
	uint64_t hash;
	struct cand_list list;
};

struct trie_node;

struct trie_child {
	const char *text;               /* borrowed from a stub's segment */
	size_t len;
	struct trie_node *node;
};

struct trie_node {
	struct trie_child *lit;         /* literal children, sorted by (bytes, length) */
	size_t nlit, alit;
	struct trie_node *param;        /* {name}: any one non-empty segment */
	struct cand_list end;           /* templates that end at this node */
	struct cand_list rest;          /* templates whose {name*} stands at this depth */
	size_t min_rank;                /* lowest rank in this subtree; SIZE_MAX when empty */
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
	struct route *routes;           /* every stub in winner order; routes[i].rank == i */
	size_t n;
	struct exact_entry *table;      /* open addressing, linear probing; cap is a power of 2 */
	size_t cap;
	struct trie_node *trie;         /* NULL without template stubs */
	struct cand_list scan;          /* PATH_REGEX and PATH_NONE stubs */
	/* built by the first near-miss search and kept: a server that never misses never
	 * pays for it (a set of 100,000 stubs is ready sooner); the router is otherwise
	 * read-only, and the first search that finishes building publishes its own */
	_Atomic(struct near_set *) near;
};

static void list_push(struct cand_list *l, const struct route *s)
{
	if (l->n && l->v[l->n - 1] == s)
		return;
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 2;
		l->v = xrealloc(l->v, l->alloc * sizeof(*l->v));
	}
	l->v[l->n++] = s;
}

static int cmp_rank(const void *a, const void *b)
{
	const struct route *x = *(const struct route *const *)a, *y = *(const struct route *const *)b;
	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

/* ---- winner order ------------------------------------------------------------- */

struct sort_item {
	const struct stub *s;
	size_t index;                   /* position in the input: keeps the order total */
};

static int cmp_winner(const void *a, const void *b)
{
	const struct sort_item *x = a, *y = b;
	const struct stub *s = x->s, *t = y->s;
	if (s->tier != t->tier)
		return s->tier < t->tier ? -1 : 1;
	if (s->priority != t->priority)
		return s->priority < t->priority ? -1 : 1;
	/* WireMock mappings: before the other stubs of their priority, the newest first */
	if (s->insertion != t->insertion && (!s->insertion || !t->insertion))
		return s->insertion ? -1 : 1;
	if (s->insertion != t->insertion)
		return s->insertion > t->insertion ? -1 : 1;
	if (s->req.path_kind != t->req.path_kind)
		return s->req.path_kind < t->req.path_kind ? -1 : 1;
	if (s->nconds != t->nconds)
		return s->nconds > t->nconds ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
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

static struct exact_entry *table_find(const struct router *r, const char *method, const char *path, uint64_t h)
{
	if (!r->cap)
		return NULL;
	for (size_t i = (size_t)h & (r->cap - 1);; i = (i + 1) & (r->cap - 1)) {
		struct exact_entry *e = &r->table[i];
		if (!e->path)
			return NULL;
		if (e->hash == h && strcmp(e->path, path) == 0 &&
		    (method ? e->method && method_eq(e->method, method) : !e->method))
			return e;
	}
}

static void table_add(struct router *r, const char *method, const struct route *e0)
{
	const struct stub *s = e0->s;
	uint64_t h = key_hash(method, path_hash(s->req.path));
	struct exact_entry *e = table_find(r, method, s->req.path, h);
	if (!e) {
		size_t i = (size_t)h & (r->cap - 1);
		while (r->table[i].path)
			i = (i + 1) & (r->cap - 1);
		e = &r->table[i];
		e->method = method;
		e->path = s->req.path;
		e->hash = h;
	}
	list_push(&e->list, e0);
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

static void build_table(struct router *r)
{
	size_t keys = 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct stub *s = r->routes[i].s;
		if (s->req.path_kind == PATH_EXACT && s->req.path)
			keys += any_method(s) ? 1 : s->req.nmethods;
	}
	if (!keys)
		return;
	/* at most 75% full: linear probing stays short, and the table is half the size it
	 * is at 50% (0.8 MB less at 10,000 stubs) */
	r->cap = 8;
	while (r->cap < keys + keys / 3 + 1)
		r->cap *= 2;
	r->table = xcalloc(r->cap, sizeof(*r->table));
	/* in winner order, so every candidate list comes out sorted by rank */
	for (size_t i = 0; i < r->n; i++) {
		const struct route *e = &r->routes[i];
		const struct stub *s = e->s;
		if (s->req.path_kind != PATH_EXACT || !s->req.path)
			continue;
		if (any_method(s)) {
			table_add(r, NULL, e);
			continue;
		}
		for (size_t j = 0; j < s->req.nmethods; j++)
			table_add(r, s->req.methods[j], e);
	}
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

static int cmp_template(const void *a, const void *b)
{
	const struct stub *s = (*(const struct route *const *)a)->s, *t = (*(const struct route *const *)b)->s;
	size_t n = s->req.nsegs < t->req.nsegs ? s->req.nsegs : t->req.nsegs;
	for (size_t i = 0; i < n; i++) {
		const struct path_seg *x = &s->req.segs[i], *y = &t->req.segs[i];
		int kx = seg_kind(x), ky = seg_kind(y);
		if (kx != ky)
			return kx - ky;
		if (kx == 0) {
			int c = seg_cmp(x->text, strlen(x->text), y->text, strlen(y->text));
			if (c)
				return c;
		}
	}
	if (s->req.nsegs != t->req.nsegs)
		return s->req.nsegs < t->req.nsegs ? -1 : 1;
	return cmp_rank(a, b);
}

static struct trie_node *node_create(void)
{
	struct trie_node *n = xcalloc(1, sizeof(*n));
	n->min_rank = SIZE_MAX;
	return n;
}

/*
 * Templates arrive sorted by their segments, so a literal child equal to the one we
 * need is always the last one added, and children are appended in sorted order.
 */
static struct trie_node *literal_child(struct trie_node *node, const char *text)
{
	size_t len = strlen(text);
	if (node->nlit) {
		struct trie_child *last = &node->lit[node->nlit - 1];
		if (seg_cmp(last->text, last->len, text, len) == 0)
			return last->node;
	}
	if (node->nlit == node->alit) {
		node->alit = node->alit ? 2 * node->alit : 2;
		node->lit = xrealloc(node->lit, node->alit * sizeof(*node->lit));
	}
	struct trie_child *c = &node->lit[node->nlit++];
	c->text = text;
	c->len = len;
	c->node = node_create();
	return c->node;
}

static void trie_insert(struct trie_node *root, const struct route *e)
{
	const struct stub *s = e->s;
	struct trie_node *node = root;
	for (size_t i = 0; i < s->req.nsegs; i++) {
		const struct path_seg *g = &s->req.segs[i];
		if (g->is_rest) {
			/* {name*} swallows whatever follows; it stands last */
			list_push(&node->rest, e);
			return;
		}
		if (g->is_param) {
			if (!node->param)
				node->param = node_create();
			node = node->param;
		} else {
			node = literal_child(node, g->text);
		}
	}
	list_push(&node->end, e);
}

/* Sorts the candidate lists by rank and computes each subtree's minimum rank. */
static size_t trie_finish(struct trie_node *node)
{
	size_t min = SIZE_MAX;
	if (node->end.n > 1)
		qsort(node->end.v, node->end.n, sizeof(*node->end.v), cmp_rank);
	if (node->rest.n > 1)
		qsort(node->rest.v, node->rest.n, sizeof(*node->rest.v), cmp_rank);
	if (node->end.n)
		min = node->end.v[0]->rank;
	if (node->rest.n && node->rest.v[0]->rank < min)
		min = node->rest.v[0]->rank;
	for (size_t i = 0; i < node->nlit; i++) {
		size_t m = trie_finish(node->lit[i].node);
		if (m < min)
			min = m;
	}
	if (node->param) {
		size_t m = trie_finish(node->param);
		if (m < min)
			min = m;
	}
	node->min_rank = min;
	return min;
}

static void trie_destroy(struct trie_node *node)
{
	if (!node)
		return;
	for (size_t i = 0; i < node->nlit; i++)
		trie_destroy(node->lit[i].node);
	free(node->lit);
	trie_destroy(node->param);
	free(node->end.v);
	free(node->rest.v);
	free(node);
}

static void build_trie(struct router *r)
{
	const struct route **v = NULL;
	size_t n = 0;
	for (size_t i = 0; i < r->n; i++)
		if (r->routes[i].s->req.path_kind == PATH_TEMPLATE)
			n++;
	if (!n)
		return;
	v = xmalloc(n * sizeof(*v));
	n = 0;
	for (size_t i = 0; i < r->n; i++)
		if (r->routes[i].s->req.path_kind == PATH_TEMPLATE)
			v[n++] = &r->routes[i];
	qsort(v, n, sizeof(*v), cmp_template);
	r->trie = node_create();
	for (size_t i = 0; i < n; i++)
		trie_insert(r->trie, v[i]);
	free(v);
	trie_finish(r->trie);
}

/* ---- build -------------------------------------------------------------------- */

struct router *router_build(const struct stub *const *stubs, size_t n)
{
	struct router *r = xcalloc(1, sizeof(*r));
	struct sort_item *items = n ? xmalloc(n * sizeof(*items)) : NULL;
	for (size_t i = 0; i < n; i++) {
		items[i].s = stubs[i];
		items[i].index = i;
	}
	if (n)
		qsort(items, n, sizeof(*items), cmp_winner);
	r->n = n;
	r->routes = n ? xmalloc(n * sizeof(*r->routes)) : NULL;
	for (size_t i = 0; i < n; i++) {
		r->routes[i].s = items[i].s;
		r->routes[i].rank = i;
		r->routes[i].slot = items[i].index;
	}
	free(items);

	build_table(r);
	build_trie(r);
	for (size_t i = 0; i < n; i++) {
		enum path_kind k = r->routes[i].s->req.path_kind;
		if (k == PATH_REGEX || k == PATH_NONE)
			list_push(&r->scan, &r->routes[i]);
	}
	return r;
}

static void near_set_destroy(struct near_set *ns);

void router_destroy(struct router *r)
{
	if (!r)
		return;
	near_set_destroy(atomic_load(&r->near));
	for (size_t i = 0; i < r->cap; i++)
		free(r->table[i].list.v);
	free(r->table);
	trie_destroy(r->trie);
	free(r->scan.v);
	free(r->routes);
	free(r);
}

/* ---- lookup ------------------------------------------------------------------- */

/* Runs on any thread; everything it touches besides req is read-only. */
struct best {
	const struct route *route;
	struct params params;           /* the winner's captures, when asked for */
	bool want_params;
	size_t rank;                    /* SIZE_MAX while nothing matched */
};

/* Whether e's stub takes the request; if so it becomes the best. A stub whose path has
 * captures hands them over from this one match when the caller asked for them. */
static bool accept(struct best *b, const struct route *e, struct req_view *req)
{
	const struct stub *s = e->s;
	struct params p = { NULL, 0 };
	bool capture = b->want_params && (s->req.path_kind == PATH_TEMPLATE || s->req.path_kind == PATH_REGEX);
	if (!stub_method_ok(s, req->method) || !stub_path_ok(s, req, capture ? &p : NULL) ||
	    !stub_conditions_ok(s, req))
		return false;
	b->route = e;
	b->rank = e->rank;
	b->params = p;
	return true;
}

/* The first accepting stub of a rank-sorted list, if it beats the best so far. */
static void scan_list(const struct cand_list *l, struct req_view *req, struct best *b)
{
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i]->rank >= b->rank || accept(b, l->v[i], req))
			return;
	}
}

static const struct trie_node *find_literal(const struct trie_node *node, const char *seg, size_t len)
{
	size_t lo = 0, hi = node->nlit;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = seg_cmp(node->lit[mid].text, node->lit[mid].len, seg, len);
		if (c == 0)
			return node->lit[mid].node;
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
static void trie_search(const struct trie_node *node, const char *p, struct req_view *req, struct best *b)
{
	if (node->min_rank >= b->rank)
		return;
	if (!p) {
		scan_list(&node->end, req, b);
		return;
	}
	if (*p)
		scan_list(&node->rest, req, b);
	const char *slash = strchr(p, '/');
	size_t len = slash ? (size_t)(slash - p) : strlen(p);
	const char *next = slash ? slash + 1 : NULL;
	const struct trie_node *child = find_literal(node, p, len);
	if (child)
		trie_search(child, next, req, b);
	if (len && node->param)
		trie_search(node->param, next, req, b);
}

static void exact_search(const struct router *r, struct req_view *req, struct best *b)
{
	const struct exact_entry *m, *any;
	if (!r->cap)
		return;
	uint64_t ph = path_hash(req->path);
	m = table_find(r, req->method, req->path, key_hash(req->method, ph));
	any = table_find(r, NULL, req->path, key_hash(NULL, ph));
	size_t i = 0, j = 0, mn = m ? m->list.n : 0, an = any ? any->list.n : 0;
	/* merge the method's list with the any-method list by rank */
	while (i < mn || j < an) {
		const struct route *e;
		if (j >= an || (i < mn && m->list.v[i]->rank < any->list.v[j]->rank))
			e = m->list.v[i++];
		else
			e = any->list.v[j++];
		if (e->rank >= b->rank || accept(b, e, req))
			return;
	}
}

const struct stub *router_find(const struct router *r, struct req_view *req, struct params *params, size_t *slot)
{
	struct best b = { NULL, { NULL, 0 }, params != NULL, SIZE_MAX };
	if (params) {
		params->items = NULL;
		params->n = 0;
	}
	if (!r || !req->path || !req->method)
		return NULL;
	exact_search(r, req, &b);
	if (r->trie && req->path[0] == '/')
		trie_search(r->trie, req->path + 1, req, &b);
	scan_list(&r->scan, req, &b);
	if (!b.route)
		return NULL;
	if (params)
		*params = b.params;
	if (slot)
		*slot = b.route->slot;
	return b.route->s;
}

const struct stub *router_lookup(const struct router *r, struct req_view *req, struct params *params)
{
	return router_find(r, req, params, NULL);
}

size_t router_rank(const struct router *r, size_t slot)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->routes[i].slot == slot)
			return i;
	return SIZE_MAX;
}

const struct stub *router_at(const struct router *r, size_t rank, size_t *slot)
{
	if (rank >= r->n)
		return NULL;
	if (slot)
		*slot = r->routes[rank].slot;
	return r->routes[rank].s;
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

/* routes[i]'s key in the indexes: its path up to the first template parameter, as
 * path_distance compares it. */
static struct near_key near_key_of(const struct router *r, size_t i)
{
	const char *path = r->routes[i].s->req.path;
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
		const struct stub *s = r->routes[i].s;
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
		if (indexed(r->routes[i].s))
			keys[n++] = near_key_of(r, i);
	ns->all = near_index_build(keys, n);
	/* the methods named: a group each, and one for the any-method stubs */
	size_t cap = 1;
	ns->groups = xcalloc(cap, sizeof *ns->groups);
	ns->ngroups = 1;
	for (size_t i = 0; i < r->n; i++) {
		const struct stub *s = r->routes[i].s;
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

/* Counts the failed conditions of routes[rank] (dist: its path distance) and keeps it if
 * it is among the best. Once the list is full a stub is only counted until it fails as
 * often as the worst kept one does, plus one. */
static void consider(struct near_top *t, const struct router *r, size_t rank, size_t dist, struct req_view *req)
{
	const struct stub *s = r->routes[rank].s;
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
	const struct cand_list *lists[2] = { p ? NULL : &node->end, p && *p ? &node->rest : NULL };
	for (size_t l = 0; l < 2; l++)
		for (size_t i = 0; lists[l] && i < lists[l]->n; i++)
			if (stub_path_ok(lists[l]->v[i]->s, req, NULL))
				consider(t, r, lists[l]->v[i]->rank, 0, req);
	if (!p)
		return;
	const char *slash = strchr(p, '/');
	size_t len = slash ? (size_t)(slash - p) : strlen(p);
	const char *next = slash ? slash + 1 : NULL;
	const struct trie_node *child = find_literal(node, p, len);
	if (child)
		near_templates(t, r, child, next, req);
	if (len && node->param)
		near_templates(t, r, node->param, next, req);
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
		for (size_t i = 0; e && i < e->list.n; i++)
			consider(t, r, e->list.v[i]->rank, path_distance(e->list.v[i]->s, req), req);
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
		const struct stub *s = r->routes[rank].s;
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
	if (r->trie && req->path[0] == '/')
		near_templates(&t, r, r->trie, req->path + 1, req);
	for (size_t i = 0; i < r->scan.n; i++)
		consider(&t, r, r->scan.v[i]->rank, path_distance(r->scan.v[i]->s, req), req);
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
