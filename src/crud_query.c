/* SPDX-License-Identifier: MIT */
/* json-server 0.17's GET /KEY, step for step as src/server/router/plural.js takes it: pick
 * the options out of the query, drop filters no item can answer, q, filters, sort, slice or
 * page, then embed and expand on copies. */
#include "crud_query.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crud_js.h"
#include "regex.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

enum op { OP_EQ, OP_NE, OP_LT, OP_LTE, OP_GT, OP_GTE, OP_LIKE };

/* One filter key with every value it was given (a repeated key means "any of"). */
struct filter {
	char *key;                  /* as given: whether an item has it decides if it counts */
	char *path;                 /* the key without its operator suffix */
	enum op op;
	char **values;
	size_t *lens;
	struct regex **res;         /* OP_LIKE: one compiled pattern a value */
	size_t n;
};

/* An option's value; text is NULL when absent, and may hold NULs (len counts them). */
struct option {
	char *text;
	size_t len;
};

struct crud_query {
	struct filter *filters;
	size_t nfilters;
	char *q;                    /* lower case; NULL when absent or empty */
	size_t q_len;
	/* the first value of each option (json-server tests them as strings: "" is false) */
	struct option sort, order, start, end, limit, page;
	char **embed, **expand;
	size_t nembed, nexpand;
};

/* ---- parsing ------------------------------------------------------------------------ */

static const struct {
	const char *suffix;
	enum op op;
} suffixes[] = {
	/* _lt and _gt are ours: json-server 0.17 ignores them (SPEC section 10) */
	{ "_lte", OP_LTE }, { "_gte", OP_GTE }, { "_ne", OP_NE }, { "_like", OP_LIKE }, { "_lt", OP_LT }, { "_gt", OP_GT },
};

static enum op op_of(const char *key, size_t *path_len)
{
	size_t n = strlen(key);
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t s = strlen(suffixes[i].suffix);
		if (n >= s && strcmp(key + n - s, suffixes[i].suffix) == 0) {
			*path_len = n - s;
			return suffixes[i].op;
		}
	}
	*path_len = n;
	return OP_EQ;
}

static struct filter *filter_for(struct crud_query *q, const char *key)
{
	for (size_t i = 0; i < q->nfilters; i++)
		if (strcmp(q->filters[i].key, key) == 0)
			return &q->filters[i];
	q->filters = xrealloc(q->filters, (q->nfilters + 1) * sizeof(*q->filters));
	struct filter *f = &q->filters[q->nfilters++];
	memset(f, 0, sizeof(*f));
	size_t path_len;
	f->op = op_of(key, &path_len);
	f->key = xstrdup(key);
	f->path = xstrndup(key, path_len);
	return f;
}

static int add_filter_value(struct crud_query *q, const struct kv *kv, char **err)
{
	struct filter *f = filter_for(q, kv->name);
	f->values = xrealloc(f->values, (f->n + 1) * sizeof(*f->values));
	f->lens = xrealloc(f->lens, (f->n + 1) * sizeof(*f->lens));
	f->res = xrealloc(f->res, (f->n + 1) * sizeof(*f->res));
	f->values[f->n] = xmemdup0(kv->value, kv->len);
	f->lens[f->n] = kv->len;
	f->res[f->n] = NULL;
	f->n++;
	if (f->op != OP_LIKE)
		return 0;
	/* new RegExp(value, 'i').test(...): compiled once here, not per item */
	char *why = NULL;
	size_t off = 0;
	f->res[f->n - 1] = regex_compile_search(f->values[f->n - 1], true, &why, &off);
	if (f->res[f->n - 1])
		return 0;
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "'%s' is not a regular expression: %s at offset %zu", kv->name, why ? why : "error", off);
	free(why);
	*err = strbuf_detach(&sb, NULL);
	return -1;
}

static void add_list(char ***list, size_t *n, const char *value)
{
	*list = xrealloc(*list, (*n + 1) * sizeof(**list));
	(*list)[(*n)++] = xstrdup(value);
}

/* The option a name sets, or NULL when it is a filter. */
static struct option *option_slot(struct crud_query *q, const char *name)
{
	static const char *const names[] = { "_sort", "_order", "_start", "_end", "_limit" };
	struct option *slots[] = { &q->sort, &q->order, &q->start, &q->end, &q->limit };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return slots[i];
	return NULL;
}

static void set_q(struct crud_query *q, const struct kv *kv)
{
	if (q->q || kv->len == 0)
		return;
	/* json-server lower-cases q and each value; ASCII folding here */
	q->q = xmemdup0(kv->value, kv->len);
	for (size_t i = 0; i < kv->len; i++)
		if (q->q[i] >= 'A' && q->q[i] <= 'Z')
			q->q[i] = (char)(q->q[i] | 0x20);
	q->q_len = kv->len;
}

/* A repeated option counts once: its first value. */
static void set_option(struct option *o, const struct kv *kv)
{
	if (!o->text) {
		o->text = xmemdup0(kv->value, kv->len);
		o->len = kv->len;
	}
}

static int parse_one(struct crud_query *q, const struct kv *kv, char **err)
{
	struct option *slot = option_slot(q, kv->name);
	if (slot) {
		set_option(slot, kv);
	} else if (strcmp(kv->name, "q") == 0) {
		set_q(q, kv);
	} else if (strcmp(kv->name, "_embed") == 0) {
		add_list(&q->embed, &q->nembed, kv->value);
	} else if (strcmp(kv->name, "_expand") == 0) {
		add_list(&q->expand, &q->nexpand, kv->value);
	} else if (strcmp(kv->name, "callback") != 0 && strcmp(kv->name, "_") != 0) {
		/* JSONP's callback and jQuery's cache buster never filter. _page pages and, as in
		 * json-server, also stays a filter (one that only counts when items have "_page") */
		if (strcmp(kv->name, "_page") == 0)
			set_option(&q->page, kv);
		return add_filter_value(q, kv, err);
	}
	return 0;
}

struct crud_query *crud_query_parse(const struct kv *query, size_t nquery, char **err)
{
	struct crud_query *q = xcalloc(1, sizeof(*q));
	for (size_t i = 0; i < nquery; i++) {
		if (parse_one(q, &query[i], err) < 0) {
			crud_query_destroy(q);
			return NULL;
		}
	}
	return q;
}

static void free_list(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

void crud_query_destroy(struct crud_query *q)
{
	if (!q)
		return;
	for (size_t i = 0; i < q->nfilters; i++) {
		struct filter *f = &q->filters[i];
		for (size_t j = 0; j < f->n; j++)
			regex_destroy(f->res[j]);
		free_list(f->values, f->n);
		free(f->lens);
		free(f->res);
		free(f->key);
		free(f->path);
	}
	free(q->filters);
	free(q->q);
	char *options[] = { q->sort.text, q->order.text, q->start.text, q->end.text, q->limit.text, q->page.text };
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		free(options[i]);
	free_list(q->embed, q->nembed);
	free_list(q->expand, q->nexpand);
	free(q);
}

/* ---- filtering ---------------------------------------------------------------------- */

/* json-server drops a plain filter when no item has its key ("Automatically delete query
 * parameters that can't be found in the database"): ?nonexistent=1 lists everything. */
static bool filter_counts(const struct filter *f, const cJSON *coll)
{
	if (f->op != OP_EQ)
		return true;
	for (const cJSON *item = coll->child; item; item = item->next)
		if (crud_js_get(item, f->key))
			return true;
	return false;
}

static bool text_is(const struct strbuf *text, const char *want, size_t len)
{
	return text->len == len && memcmp(strbuf_str(text), want, len) == 0;
}

static bool test_value(const struct filter *f, size_t i, const cJSON *v, const struct strbuf *text)
{
	const char *want = f->values[i];
	size_t len = f->lens[i];
	switch (f->op) {
	case OP_EQ:
		return text_is(text, want, len);
	case OP_NE:
		return !text_is(text, want, len);
	case OP_LIKE:
		return regex_match(f->res[i], strbuf_str(text), text->len);
	default:
		break;
	}
	/* the value (a string) against the item's value, as JavaScript's <= and < compare */
	enum crud_js_order r = crud_js_compare_text(want, len, v);
	if (f->op == OP_GTE)
		return r == CRUD_JS_LT || r == CRUD_JS_EQ;
	if (f->op == OP_LTE)
		return r == CRUD_JS_GT || r == CRUD_JS_EQ;
	return r == (f->op == OP_GT ? CRUD_JS_LT : CRUD_JS_GT);
}

static bool filter_keeps(const struct filter *f, const cJSON *item)
{
	const cJSON *v = crud_js_get(item, f->path);
	/* a missing or null value passes no test, _ne included */
	if (!v || cJSON_IsNull(v))
		return false;
	struct strbuf text = STRBUF_INIT;
	crud_js_text(v, &text);
	bool all = f->op == OP_NE;
	bool keep = all;
	for (size_t i = 0; i < f->n; i++) {
		bool hit = test_value(f, i, v, &text);
		if (all ? !hit : hit) {
			keep = !all;
			break;
		}
	}
	strbuf_release(&text);
	return keep;
}

/* mixins.js deepQuery: a truthy scalar whose text holds q, anywhere below v. */
static bool deep_query(const cJSON *v, const char *q, size_t q_len)
{
	if (!crud_js_truthy(v))
		return false;
	if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
		for (const cJSON *c = v->child; c; c = c->next)
			if (deep_query(c, q, q_len))
				return true;
		return false;
	}
	struct strbuf text = STRBUF_INIT;
	crud_js_text(v, &text);
	for (size_t i = 0; i < text.len; i++)
		if (text.buf[i] >= 'A' && text.buf[i] <= 'Z')
			text.buf[i] = (char)(text.buf[i] | 0x20);
	bool found = false;
	for (size_t i = 0; !found && i + q_len <= text.len; i++)
		found = memcmp(text.buf + i, q, q_len) == 0;
	strbuf_release(&text);
	return found;
}

static bool q_keeps(const struct crud_query *q, const cJSON *item)
{
	if (!q->q)
		return true;
	for (const cJSON *c = cJSON_IsObject(item) || cJSON_IsArray(item) ? item->child : NULL; c; c = c->next)
		if (deep_query(c, q->q, q->q_len))
			return true;
	return false;
}

/* The items of coll that q and the counting filters keep, in order (borrowed). */
static const cJSON **select_items(const struct crud_query *q, const cJSON *coll, size_t *n)
{
	size_t cap = (size_t)cJSON_GetArraySize(coll);
	const cJSON **out = xmalloc((cap ? cap : 1) * sizeof(*out));
	bool *counts = xcalloc(q->nfilters ? q->nfilters : 1, sizeof(*counts));
	for (size_t i = 0; i < q->nfilters; i++)
		counts[i] = filter_counts(&q->filters[i], coll);
	*n = 0;
	for (const cJSON *item = coll->child; item; item = item->next) {
		bool keep = q_keeps(q, item);
		for (size_t i = 0; keep && i < q->nfilters; i++)
			keep = !counts[i] || filter_keeps(&q->filters[i], item);
		if (keep)
			out[(*n)++] = item;
	}
	free(counts);
	return out;
}

/* ---- sorting ------------------------------------------------------------------------ */

/* lodash's orderBy: each item's sort values computed once, compared field by field, ties
 * left in their order (a stable merge sort). */
struct sort_ctx {
	size_t nfields;
	const cJSON **keys;         /* nfields values per item (NULL: missing) */
	int *dirs;                  /* 1 asc, -1 desc */
};

static int compare_rows(const struct sort_ctx *s, size_t a, size_t b)
{
	for (size_t f = 0; f < s->nfields; f++) {
		int c = crud_js_sort_order(s->keys[a * s->nfields + f], s->keys[b * s->nfields + f]);
		if (c)
			return c * s->dirs[f];
	}
	return 0;
}

static void merge_sort(const struct sort_ctx *s, size_t *rows, size_t *tmp, size_t n)
{
	if (n < 2)
		return;
	size_t half = n / 2;
	merge_sort(s, rows, tmp, half);
	merge_sort(s, rows + half, tmp, n - half);
	size_t i = 0, j = half, k = 0;
	while (i < half && j < n)
		tmp[k++] = compare_rows(s, rows[j], rows[i]) < 0 ? rows[j++] : rows[i++];
	while (i < half)
		tmp[k++] = rows[i++];
	while (j < n)
		tmp[k++] = rows[j++];
	memcpy(rows, tmp, n * sizeof(*rows));
}

/* Splits text on commas; the caller frees the array and the strings. */
static char **split_commas(const char *text, size_t *n)
{
	char **parts = NULL;
	*n = 0;
	for (const char *p = text;; p++) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		parts = xrealloc(parts, (*n + 1) * sizeof(*parts));
		parts[(*n)++] = xstrndup(p, len);
		if (!comma)
			return parts;
		p = comma;
	}
}

static void sort_items(const struct crud_query *q, const cJSON **items, size_t n)
{
	struct sort_ctx s;
	size_t norders = 0;
	char **fields = split_commas(q->sort.text, &s.nfields);
	char **orders = q->order.text ? split_commas(q->order.text, &norders) : NULL;
	s.dirs = xmalloc(s.nfields * sizeof(*s.dirs));
	for (size_t f = 0; f < s.nfields; f++)
		s.dirs[f] = f < norders && strcasecmp(orders[f], "desc") == 0 ? -1 : 1;
	s.keys = xmalloc((n ? n : 1) * s.nfields * sizeof(*s.keys));
	size_t *rows = xmalloc((n ? n : 1) * sizeof(*rows)), *tmp = xmalloc((n ? n : 1) * sizeof(*tmp));
	for (size_t i = 0; i < n; i++) {
		rows[i] = i;
		for (size_t f = 0; f < s.nfields; f++)
			s.keys[i * s.nfields + f] = crud_js_get(items[i], fields[f]);
	}
	merge_sort(&s, rows, tmp, n);
	const cJSON **sorted = xmalloc((n ? n : 1) * sizeof(*sorted));
	for (size_t i = 0; i < n; i++)
		sorted[i] = items[rows[i]];
	memcpy(items, sorted, n * sizeof(*items));
	free(sorted);
	free(rows);
	free(tmp);
	free(s.keys);
	free(s.dirs);
	free_list(fields, s.nfields);
	free_list(orders, norders);
}

/* ---- slicing and paging ------------------------------------------------------------- */

/* Array.prototype.slice(start, end) on len items (lodash's slice agrees for numbers). */
static void slice_range(size_t len, double start, double end, size_t *from, size_t *count)
{
	double l = (double)len;
	start = isnan(start) ? 0 : trunc(start);
	end = isnan(end) ? 0 : trunc(end);
	start = start < 0 ? fmax(l + start, 0) : fmin(start, l);
	end = end < 0 ? fmax(l + end, 0) : fmin(end, l);
	*from = (size_t)start;
	*count = end > start ? (size_t)(end - start) : 0;
}

static bool given(const struct option *o)
{
	return o->text && o->len > 0;
}

/* parseInt(option) || 0 */
static double int_or_zero(const struct option *o)
{
	double v = o->text ? crud_js_parse_int(o->text) : NAN;
	return isnan(v) || v == 0 ? 0 : v;
}

/* fullURL.replace(`page=${current}`, `page=${to}`): the first occurrence only, the rest of
 * the URL as received. */
static void add_page_link(struct strbuf *link, const char *url, double current, double to, const char *rel)
{
	struct strbuf from = STRBUF_INIT;
	strbuf_adds(&from, "page=");
	crud_js_add_number(&from, current);
	if (link->len)
		strbuf_adds(link, ", ");
	strbuf_addc(link, '<');
	const char *at = strstr(url, strbuf_str(&from));
	if (at) {
		strbuf_add(link, url, (size_t)(at - url));
		strbuf_adds(link, "page=");
		crud_js_add_number(link, to);
		strbuf_adds(link, at + from.len);
	} else {
		strbuf_adds(link, url);
	}
	strbuf_addf(link, ">; rel=\"%s\"", rel);
	strbuf_release(&from);
}

/* utils.js getPage and the links plural.js makes of it. */
static char *page_items(const struct crud_query *q, size_t len, const char *url, size_t *from, size_t *count)
{
	double page = crud_js_parse_int(q->page.text);
	if (!(page >= 1))
		page = 1;
	double per = int_or_zero(&q->limit);
	if (per == 0)
		per = 10;
	double end = page * per;
	slice_range(len, (page - 1) * per, end, from, count);
	struct strbuf link = STRBUF_INIT;
	strbuf_adds(&link, "");
	if (*count == 0)
		return strbuf_detach(&link, NULL);
	/* first and last only when the page is not everything; each link only when truthy */
	bool partial = *count != len;
	double last = ceil((double)len / per);
	if (partial)
		add_page_link(&link, url, page, 1, "first");
	if (page > 1)
		add_page_link(&link, url, page, page - 1, "prev");
	if (end < (double)len)
		add_page_link(&link, url, page, page + 1, "next");
	if (partial && last != 0 && !isnan(last))
		add_page_link(&link, url, page, last, "last");
	return strbuf_detach(&link, NULL);
}

/* ---- relations ---------------------------------------------------------------------- */

/* _embed=comments on /posts: item.comments = the comments whose postId is item's id. The
 * ids compare as text, like every id here (json-server compares strictly: a postId "1"
 * misses post 1 in _embed but finds it in _expand). */
static void embed(const cJSON *db, const char *key, cJSON *item, const char *other)
{
	cJSON *found = json_check(cJSON_CreateArray());
	const cJSON *coll = cJSON_GetObjectItemCaseSensitive(db, other);
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
	if (cJSON_IsArray(coll) && id && !cJSON_IsNull(id)) {
		char *single = crud_js_singular(key);
		struct strbuf fk = STRBUF_INIT, text = STRBUF_INIT;
		strbuf_addf(&fk, "%sId", single);
		crud_js_text(id, &text);
		for (const cJSON *c = coll->child; c; c = c->next) {
			const cJSON *ref = cJSON_IsObject(c) ? cJSON_GetObjectItemCaseSensitive(c, strbuf_str(&fk)) : NULL;
			if (ref && !cJSON_IsNull(ref) && crud_js_text_is(ref, strbuf_str(&text), text.len))
				json_array_add(found, cJSON_Duplicate(c, true));
		}
		strbuf_release(&fk);
		strbuf_release(&text);
		free(single);
	}
	/* an unknown name still gets its (empty) list, as in json-server */
	crud_js_assign(item, other, found);
}

/* _expand=post on /comments: item.post = the post whose id is item.postId. */
static void expand(const cJSON *db, cJSON *item, const char *other)
{
	char *plural = crud_js_plural(other);
	const cJSON *coll = cJSON_GetObjectItemCaseSensitive(db, plural);
	free(plural);
	struct strbuf fk = STRBUF_INIT, text = STRBUF_INIT;
	strbuf_addf(&fk, "%sId", other);
	const cJSON *ref = cJSON_GetObjectItemCaseSensitive(item, strbuf_str(&fk));
	/* without the reference json-server fails with a 500; the item is left as it is */
	if (crud_js_truthy(coll) && ref) {
		crud_js_text(ref, &text);
		int at = cJSON_IsArray(coll) ? crud_js_find_id(coll, strbuf_str(&text), text.len) : -1;
		if (at >= 0)
			crud_js_assign(item, other, cJSON_Duplicate(cJSON_GetArrayItem(coll, at), true));
		else
			cJSON_DeleteItemFromObjectCaseSensitive(item, other); /* undefined: not written */
	}
	strbuf_release(&fk);
	strbuf_release(&text);
}

static void relate(const struct crud_query *q, const cJSON *db, const char *key, cJSON *item)
{
	if (!cJSON_IsObject(item))
		return;
	for (size_t i = 0; i < q->nembed; i++)
		embed(db, key, item, q->embed[i]);
	for (size_t i = 0; i < q->nexpand; i++)
		expand(db, item, q->expand[i]);
}

cJSON *crud_query_relate(const struct crud_query *q, const cJSON *db, const char *key, const cJSON *item)
{
	cJSON *copy = json_check(cJSON_Duplicate(item, true));
	relate(q, db, key, copy);
	return copy;
}

/* ---- the list ----------------------------------------------------------------------- */

/* Which of the n selected items the slicing options keep; sets X-Total-Count and Link. */
static void slice_window(const struct crud_query *q, size_t n, const char *self_url, struct crud_page *out,
		   size_t *from, size_t *count)
{
	*from = 0;
	*count = n;
	if (given(&q->end) || given(&q->limit) || given(&q->page))
		out->total = (long long)n;
	if (given(&q->page)) {
		out->link = page_items(q, n, self_url ? self_url : "", from, count);
	} else if (given(&q->end)) {
		slice_range(n, int_or_zero(&q->start), crud_js_parse_int(q->end.text), from, count);
	} else if (given(&q->limit)) {
		double start = int_or_zero(&q->start);
		slice_range(n, start, start + crud_js_parse_int(q->limit.text), from, count);
	}
}

void crud_query_list(const struct crud_query *q, const cJSON *db, const char *key, const char *self_url,
		     struct crud_page *out)
{
	out->items = json_check(cJSON_CreateArray());
	out->total = -1;
	out->link = NULL;
	const cJSON *coll = cJSON_GetObjectItemCaseSensitive(db, key);
	if (!cJSON_IsArray(coll))
		return;
	size_t n, from, count;
	const cJSON **items = select_items(q, coll, &n);
	if (given(&q->sort))
		sort_items(q, items, n);
	slice_window(q, n, self_url, out, &from, &count);
	for (size_t i = from; i < from + count; i++)
		json_array_add(out->items, crud_query_relate(q, db, key, items[i]));
	free(items);
}
