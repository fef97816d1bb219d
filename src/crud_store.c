/* SPDX-License-Identifier: MIT */
/* The CRUD store: one data file's content in memory under one lock, and json-server 0.17's
 * operations on it (src/server/router/plural.js and singular.js, lodash-id's insert,
 * replaceById, updateById, removeById), answered as whole HTTP answers. */
#include "crud_store.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crud_index.h"
#include "crud_js.h"
#include "crud_query.h"
#include "util/rng.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* Integer ids beyond this are not exact in a double: a collection holding one gets UUIDs. */
#define MAX_EXACT_ID 9007199254740991.0

/* One collection (a top-level array) of the current content. */
struct collection {
	const char *key;            /* the array's key (borrowed from it) */
	cJSON *arr;
	struct crud_index index;    /* its items by id */
	/* The highest integer id it has held since the content was loaded: a deleted item's id
	 * is never handed out again (json-server takes the current maximum + 1 and does reuse
	 * it), until a reset or a replace. */
	double top;
};

struct crud_store {
	pthread_mutex_t lock;       /* guards everything below */
	char *initial;              /* the file's content as compact JSON text: what a reset goes
				     * back to (text: a tenth of a second tree's memory) */
	size_t initial_len;
	cJSON *db;                  /* the current content */
	struct collection *colls;   /* db's arrays, in file order */
	size_t ncolls;
	_Atomic uint64_t version;   /* written under the lock, read without it */
	struct rng rng;             /* UUIDs; lock-free itself */
};

/* ---- JSON text as json-server writes it ---------------------------------------------- */

static void indent(struct strbuf *sb, int depth)
{
	for (int i = 0; i < depth; i++)
		strbuf_adds(sb, "  ");
}

/* JSON.stringify(v, null, 2): express's `json spaces` 2 and lowdb's file layout. */
static void add_pretty(struct strbuf *sb, const cJSON *v, int depth)
{
	if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
		bool object = cJSON_IsObject(v);
		if (!v->child) {
			strbuf_adds(sb, object ? "{}" : "[]");
			return;
		}
		strbuf_adds(sb, object ? "{\n" : "[\n");
		for (const cJSON *c = v->child; c; c = c->next) {
			indent(sb, depth + 1);
			if (object) {
				strbuf_add_json_string(sb, c->string, strlen(c->string));
				strbuf_adds(sb, ": ");
			}
			add_pretty(sb, c, depth + 1);
			strbuf_adds(sb, c->next ? ",\n" : "\n");
		}
		indent(sb, depth);
		strbuf_addc(sb, object ? '}' : ']');
	} else if (cJSON_IsString(v)) {
		strbuf_add_json_string(sb, v->valuestring, strlen(v->valuestring));
	} else if (cJSON_IsNumber(v) && isfinite(v->valuedouble)) {
		crud_js_add_number(sb, v->valuedouble);
	} else if (cJSON_IsBool(v)) {
		strbuf_adds(sb, cJSON_IsTrue(v) ? "true" : "false");
	} else {
		strbuf_adds(sb, "null"); /* null, and what JSON cannot hold (an infinite number) */
	}
}

static char *pretty(const cJSON *v, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	add_pretty(&sb, v, 0);
	return strbuf_detach(&sb, len);
}

/* ---- answers ------------------------------------------------------------------------ */

static void answer(struct crud_result *out, int status, const cJSON *body)
{
	out->status = status;
	out->body = pretty(body, &out->body_len);
}

/* {}: a DELETE's answer (200), and json-server's to an unknown id or route (404) */
static void empty_object(struct crud_result *out, int status)
{
	out->status = status;
	out->body = xstrdup("{}");
	out->body_len = 2;
}

static void not_found(struct crud_result *out)
{
	empty_object(out, 404);
}

static void fail(struct crud_result *out, int status, const char *message)
{
	cJSON *e = json_check(cJSON_CreateObject());
	json_object_add(e, "error", json_check(cJSON_CreateString(message)));
	answer(out, status, e);
	cJSON_Delete(e);
}

static const char *kind_name(const cJSON *v)
{
	if (cJSON_IsArray(v))
		return "an array";
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsBool(v))
		return cJSON_IsTrue(v) ? "true" : "false";
	return "null";
}

/* The request body as one JSON object, or NULL after a 400 saying what it was instead
 * (json-server stores an array, and takes an empty body for {}). */
static cJSON *body_object(const char *body, size_t len, struct crud_result *out)
{
	struct json_error err;
	cJSON *v = len ? json_parse(body, len, &err) : NULL;
	if (cJSON_IsObject(v))
		return v;
	char msg[200];
	if (!len)
		snprintf(msg, sizeof(msg), "the body is empty: one JSON object was expected");
	else if (!v)
		snprintf(msg, sizeof(msg), "the body is not JSON (%s at line %d, column %d): one JSON object was expected",
			 err.what, err.line, err.col);
	else
		snprintf(msg, sizeof(msg), "the body is %s: one JSON object was expected", kind_name(v));
	cJSON_Delete(v);
	fail(out, 400, msg);
	return NULL;
}

/* ---- lifecycle ---------------------------------------------------------------------- */

static void free_collections(struct crud_store *st)
{
	for (size_t i = 0; i < st->ncolls; i++)
		crud_index_release(&st->colls[i].index);
	free(st->colls);
	st->colls = NULL;
	st->ncolls = 0;
}

/* The largest integer id among coll's items (0 when none): where new ids start. */
static double max_integer_id(const cJSON *coll)
{
	double top = 0;
	bool any = false;
	for (const cJSON *item = coll->child; item; item = item->next) {
		const cJSON *id = cJSON_IsObject(item) ? cJSON_GetObjectItemCaseSensitive(item, "id") : NULL;
		if (!crud_js_safe_integer(id))
			continue;
		top = any ? fmax(top, id->valuedouble) : id->valuedouble;
		any = true;
	}
	return top;
}

/* Copies the initial content into the current one and indexes its collections anew.
 * Under the lock. */
static void load_current(struct crud_store *st)
{
	free_collections(st);
	cJSON_Delete(st->db);
	/* our own printing of an object the data file reader accepted: it parses back */
	st->db = json_check(json_parse(st->initial, st->initial_len, NULL));
	for (cJSON *c = st->db->child; c; c = c->next) {
		if (!cJSON_IsArray(c))
			continue;
		st->colls = xrealloc(st->colls, (st->ncolls + 1) * sizeof(*st->colls));
		struct collection *coll = &st->colls[st->ncolls++];
		coll->key = c->string;
		coll->arr = c;
		crud_index_init(&coll->index, c);
		coll->top = max_integer_id(c);
	}
}

/* root (an object; anything else is an empty one) as the initial text. */
static char *initial_text(const cJSON *root, size_t *len)
{
	if (cJSON_IsObject(root))
		return json_print(root, len);
	*len = 2;
	return xstrdup("{}");
}

struct crud_store *crud_store_create(const cJSON *root)
{
	struct crud_store *st = xcalloc(1, sizeof(*st));
	pthread_mutex_init(&st->lock, NULL);
	rng_seed_random(&st->rng);
	st->initial = initial_text(root, &st->initial_len);
	load_current(st);
	return st;
}

void crud_store_destroy(struct crud_store *st)
{
	if (!st)
		return;
	free(st->initial);
	free_collections(st);
	cJSON_Delete(st->db);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

void crud_store_reset(struct crud_store *st)
{
	pthread_mutex_lock(&st->lock);
	load_current(st);
	st->version++;
	pthread_mutex_unlock(&st->lock);
}

void crud_store_replace(struct crud_store *st, const cJSON *root)
{
	size_t len;
	char *text = initial_text(root, &len);
	pthread_mutex_lock(&st->lock);
	free(st->initial);
	st->initial = text;
	st->initial_len = len;
	load_current(st);
	st->version++;
	pthread_mutex_unlock(&st->lock);
}

static enum crud_kind kind_of(const cJSON *v)
{
	return cJSON_IsArray(v) ? CRUD_COLLECTION : cJSON_IsObject(v) ? CRUD_SINGULAR : CRUD_NONE;
}

enum crud_kind crud_store_kind(struct crud_store *st, const char *key)
{
	pthread_mutex_lock(&st->lock);
	enum crud_kind k = kind_of(cJSON_GetObjectItemCaseSensitive(st->db, key));
	pthread_mutex_unlock(&st->lock);
	return k;
}

char **crud_store_keys(struct crud_store *st)
{
	pthread_mutex_lock(&st->lock);
	size_t n = (size_t)cJSON_GetArraySize(st->db), i = 0;
	char **keys = xcalloc(n + 1, sizeof(*keys));
	for (const cJSON *c = st->db->child; c; c = c->next)
		keys[i++] = xstrdup(c->string);
	pthread_mutex_unlock(&st->lock);
	return keys;
}

uint64_t crud_store_version(struct crud_store *st)
{
	return atomic_load(&st->version);
}

char *crud_store_dump(struct crud_store *st, size_t *len, uint64_t *version)
{
	pthread_mutex_lock(&st->lock);
	char *text = pretty(st->db, len);
	if (version)
		*version = st->version;
	pthread_mutex_unlock(&st->lock);
	return text;
}

/* ---- ids ---------------------------------------------------------------------------- */

/* The collection under key, or NULL (a singular resource, another value, no such key). */
static struct collection *collection_of(struct crud_store *st, const char *key)
{
	for (size_t i = 0; i < st->ncolls; i++)
		if (strcmp(st->colls[i].key, key) == 0)
			return &st->colls[i];
	return NULL;
}

/* The largest id of coll as lodash's maxBy finds it (JavaScript's >, null and missing ids
 * skipped: a stray "5" among numbers does not win over 12), or NULL when it has none. */
static bool greater(const cJSON *a, const cJSON *b)
{
	if (cJSON_IsNumber(a) && cJSON_IsNumber(b)) /* the common case, without conversions */
		return a->valuedouble > b->valuedouble;
	return crud_js_compare(a, b) == CRUD_JS_GT;
}

static const cJSON *max_id(const cJSON *coll)
{
	const cJSON *max = NULL;
	for (const cJSON *item = coll->child; item; item = item->next) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
		if (id && !cJSON_IsNull(id) && (!max || greater(id, max)))
			max = id;
	}
	return max;
}

/* A random (version 4) UUID in lower case. */
static cJSON *uuid_v4(struct rng *r)
{
	char id[RNG_UUID_SIZE];
	rng_uuid(r, id);
	return json_check(cJSON_CreateString(id));
}

static bool id_taken(const struct collection *coll, const cJSON *id)
{
	struct strbuf text = STRBUF_INIT;
	crud_js_text(id, &text);
	bool taken = crud_index_find(&coll->index, strbuf_str(&text)) != NULL;
	strbuf_release(&text);
	return taken;
}

/* The integer a new item of coll would get (json-server: 1 for none, max + 1 when the
 * max is a number), above any it ever held; false when its largest id is not an integer
 * (1.5 would give 2.5: here, as for strings, a UUID). */
static bool next_integer(const struct collection *coll, double *next)
{
	if (crud_index_only_integers(&coll->index)) {
		/* the largest id is an integer, and top is at least as large: no walk */
		*next = (coll->index.nint ? coll->top : fmax(coll->top, 0)) + 1;
		return true;
	}
	const cJSON *max = max_id(coll->arr);
	if (max && !crud_js_safe_integer(max))
		return false;
	*next = fmax(max ? max->valuedouble : 0, coll->top) + 1;
	return true;
}

/* The id a new item of coll gets: the next integer when its ids are integers, above any it
 * ever held, else a UUID (json-server: a 7-character nanoid). */
static cJSON *new_id(struct crud_store *st, const struct collection *coll)
{
	double next;
	if (next_integer(coll, &next)) {
		cJSON *id = json_check(cJSON_CreateNumber(next));
		/* a string id "14" among numbers would read as 14 */
		while (id_taken(coll, id) && next < MAX_EXACT_ID)
			cJSON_SetNumberValue(id, ++next);
		if (next <= MAX_EXACT_ID && !id_taken(coll, id))
			return id;
		cJSON_Delete(id);
	}
	cJSON *id = uuid_v4(&st->rng);
	while (id_taken(coll, id)) {
		cJSON_Delete(id);
		id = uuid_v4(&st->rng);
	}
	return id;
}

/* An integer id that entered coll raises its mark. */
static void note_id(struct collection *coll, const cJSON *id)
{
	if (crud_js_safe_integer(id))
		coll->top = fmax(coll->top, id->valuedouble);
}

/* Appends s as express's res.location writes it (encodeurl: what a URL may hold stays). */
static void add_url_text(struct strbuf *sb, const char *s)
{
	static const char keep[] = "!#$&'()*+,-./:;=?@[]_~";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		bool alnum = (*p >= '0' && *p <= '9') || ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z');
		bool escape = *p == '%' && isxdigit(p[1]) && isxdigit(p[2]); /* not encoded twice */
		if (alnum || escape || strchr(keep, *p))
			strbuf_addc(sb, (char)*p);
		else
			strbuf_addf(sb, "%%%02X", *p);
	}
}

static char *location_of(const char *key, const cJSON *id)
{
	struct strbuf sb = STRBUF_INIT, text = STRBUF_INIT;
	strbuf_addc(&sb, '/');
	add_url_text(&sb, key);
	if (id) {
		crud_js_text(id, &text);
		strbuf_addc(&sb, '/');
		add_url_text(&sb, strbuf_str(&text));
	}
	strbuf_release(&text);
	return strbuf_detach(&sb, NULL);
}

/* ---- reading ------------------------------------------------------------------------ */

/* The item of key's collection with this id, or NULL. */
static cJSON *find_item(struct crud_store *st, const char *key, const char *id)
{
	struct collection *coll = id ? collection_of(st, key) : NULL;
	return coll ? crud_index_find(&coll->index, id) : NULL;
}

static void get_list(struct crud_store *st, const char *key, const struct crud_query *q, const char *self_url,
		     struct crud_result *out)
{
	struct crud_page page;
	crud_query_list(q, st->db, key, self_url, &page);
	answer(out, 200, page.items);
	cJSON_Delete(page.items);
	out->total = page.total;
	out->link = page.link;
}

void crud_get(struct crud_store *st, const char *key, const char *id, const struct kv *query, size_t nquery,
	      const char *self_url, struct crud_result *out)
{
	crud_result_init(out);
	char *err = NULL;
	struct crud_query *q = crud_query_parse(query, nquery, &err);
	if (!q) {
		/* json-server answers a bad _like pattern with a 500 and a stack trace */
		fail(out, 400, err);
		free(err);
		out->version = crud_store_version(st);
		return;
	}
	pthread_mutex_lock(&st->lock);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(st->db, key);
	const cJSON *item;
	if (kind_of(v) == CRUD_SINGULAR && !id) {
		answer(out, 200, v);
	} else if (kind_of(v) == CRUD_COLLECTION && !id) {
		get_list(st, key, q, self_url, out);
	} else if ((item = find_item(st, key, id))) {
		cJSON *related = crud_query_relate(q, st->db, key, item);
		answer(out, 200, related);
		cJSON_Delete(related);
	} else {
		not_found(out);
	}
	out->version = st->version;
	pthread_mutex_unlock(&st->lock);
	crud_query_destroy(q);
}

/* ---- writing ------------------------------------------------------------------------ */

/* The resource a write addresses: a collection's item (id given) or a singular resource
 * (no id). NULL after a 404 when there is none; *coll gets the collection, if any. */
static cJSON *target(struct crud_store *st, const char *key, const char *id, struct collection **coll,
		     struct crud_result *out)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(st->db, key);
	cJSON *found = NULL;
	*coll = NULL;
	if (kind_of(v) == CRUD_SINGULAR && !id)
		found = v;
	else if (kind_of(v) == CRUD_COLLECTION && (found = find_item(st, key, id)))
		*coll = collection_of(st, key);
	if (!found)
		not_found(out);
	return found;
}

/* The route exists (a collection's item, a singular resource): else a 404 before the
 * body is looked at. */
static bool routed(struct crud_store *st, const char *key, const char *id, struct crud_result *out)
{
	pthread_mutex_lock(&st->lock);
	enum crud_kind k = kind_of(cJSON_GetObjectItemCaseSensitive(st->db, key));
	pthread_mutex_unlock(&st->lock);
	bool ok = (k == CRUD_COLLECTION && id) || (k == CRUD_SINGULAR && !id);
	if (!ok)
		not_found(out);
	return ok;
}

static void changed(struct crud_store *st, struct crud_result *out, int status, const cJSON *v)
{
	st->version++;
	answer(out, status, v);
}

/* lodash-id's insert: `doc.id || createId()`, then a duplicate is refused. */
static void post_item(struct crud_store *st, struct collection *coll, cJSON *body, struct crud_result *out)
{
	cJSON *id = cJSON_GetObjectItemCaseSensitive(body, "id");
	if (cJSON_IsArray(id) || cJSON_IsObject(id) || cJSON_IsTrue(id)) {
		fail(out, 400, "the id must be a string or a number");
		cJSON_Delete(body);
		return;
	}
	/* absent, null, false, 0 and "" all get a new id, as json-server's || does */
	if (!crud_js_truthy(id))
		crud_js_assign(body, "id", new_id(st, coll));
	id = cJSON_GetObjectItemCaseSensitive(body, "id");
	if (id_taken(coll, id)) {
		struct strbuf msg = STRBUF_INIT;
		strbuf_adds(&msg, "an item with id '");
		crud_js_text(id, &msg);
		strbuf_addf(&msg, "' already exists in '%s'", coll->key);
		fail(out, 409, strbuf_str(&msg));
		strbuf_release(&msg);
		cJSON_Delete(body);
		return;
	}
	note_id(coll, id);
	json_array_add(coll->arr, body);
	crud_index_add(&coll->index, body);
	changed(st, out, 201, body);
	out->location = location_of(coll->key, id);
}

void crud_post(struct crud_store *st, const char *key, const char *body, size_t len, struct crud_result *out)
{
	crud_result_init(out);
	cJSON *obj = body_object(body, len, out);
	if (!obj)
		return;
	pthread_mutex_lock(&st->lock);
	cJSON *v = cJSON_GetObjectItemCaseSensitive(st->db, key);
	if (kind_of(v) == CRUD_COLLECTION) {
		post_item(st, collection_of(st, key), obj, out);
	} else if (kind_of(v) == CRUD_SINGULAR) {
		/* json-server's singular.js takes a POST as a whole replacement, answered 201 */
		cJSON_ReplaceItemInObjectCaseSensitive(st->db, key, obj);
		changed(st, out, 201, obj);
		out->location = location_of(key, NULL);
	} else {
		cJSON_Delete(obj);
		not_found(out);
	}
	pthread_mutex_unlock(&st->lock);
}

/* PUT: the body replaces the item; an item keeps its id (lodash-id's replaceById: in the
 * body's place for it, else last). A singular resource becomes the body. */
static void put_locked(struct crud_store *st, const char *key, const char *id, cJSON *body, struct crud_result *out)
{
	struct collection *coll;
	cJSON *old = target(st, key, id, &coll, out);
	if (!old) {
		cJSON_Delete(body);
		return;
	}
	if (coll) {
		crud_js_assign(body, "id", json_check(cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(old, "id"), true)));
		crud_index_replace(&coll->index, old, body);
		cJSON_ReplaceItemViaPointer(coll->arr, old, body);
	} else {
		cJSON_ReplaceItemInObjectCaseSensitive(st->db, key, body);
	}
	changed(st, out, 200, body);
}

/* PATCH: a shallow merge, keys the item has keep their place; an item's id never changes
 * (lodash-id's updateById), a singular resource's "id" is a field like any other. */
static void patch_locked(struct crud_store *st, const char *key, const char *id, cJSON *body, struct crud_result *out)
{
	struct collection *coll;
	cJSON *old = target(st, key, id, &coll, out);
	if (old) {
		while (body->child) {
			cJSON *c = cJSON_DetachItemViaPointer(body, body->child);
			if (coll && strcmp(c->string, "id") == 0)
				cJSON_Delete(c);
			else
				crud_js_assign(old, c->string, c);
		}
		changed(st, out, 200, old);
	}
	cJSON_Delete(body);
}

static void write_op(struct crud_store *st, const char *key, const char *id, const char *body, size_t len,
		     struct crud_result *out,
		     void (*op)(struct crud_store *, const char *, const char *, cJSON *, struct crud_result *))
{
	crud_result_init(out);
	if (!routed(st, key, id, out))
		return;
	cJSON *obj = body_object(body, len, out);
	if (!obj)
		return;
	pthread_mutex_lock(&st->lock);
	op(st, key, id, obj, out);
	pthread_mutex_unlock(&st->lock);
}

void crud_put(struct crud_store *st, const char *key, const char *id, const char *body, size_t len,
	      struct crud_result *out)
{
	write_op(st, key, id, body, len, out, put_locked);
}

void crud_patch(struct crud_store *st, const char *key, const char *id, const char *body, size_t len,
		struct crud_result *out)
{
	write_op(st, key, id, body, len, out, patch_locked);
}

/* ---- deleting ----------------------------------------------------------------------- */

/* Whether doc refers through a FOOId field to a FOOs item that does not exist, when a
 * collection FOOs does (mixins.js getRemovable). A null reference refers to nothing. */
static bool dangling(struct crud_store *st, const cJSON *doc)
{
	for (const cJSON *f = cJSON_IsObject(doc) ? doc->child : NULL; f; f = f->next) {
		size_t n = strlen(f->string);
		if (n < 2 || strcmp(f->string + n - 2, "Id") != 0 || cJSON_IsNull(f))
			continue;
		char *prefix = xstrndup(f->string, n - 2);
		char *plural = crud_js_plural(prefix);
		const struct collection *ref = collection_of(st, plural);
		free(prefix);
		free(plural);
		if (ref && !id_taken(ref, f))
			return true;
	}
	return false;
}

/* An item to remove, and the collection it leaves. */
struct doomed {
	struct collection *coll;
	cJSON *doc;
};

static void remove_item(struct collection *coll, cJSON *doc)
{
	cJSON_DetachItemViaPointer(coll->arr, doc);
	crud_index_remove(&coll->index, coll->arr, doc);
	cJSON_Delete(doc);
}

/* After a DELETE json-server removes every item left pointing at a missing one (comments
 * of a deleted post, and any dangling reference the file already had). Returns how many.
 * One pass, as there: the dependents of what it removes stay until the next DELETE. */
static size_t remove_dependents(struct crud_store *st)
{
	size_t ndoomed = 0;
	struct doomed *doomed = NULL;
	for (size_t i = 0; i < st->ncolls; i++) {
		for (cJSON *doc = st->colls[i].arr->child; doc; doc = doc->next) {
			if (!dangling(st, doc))
				continue;
			doomed = xrealloc(doomed, (ndoomed + 1) * sizeof(*doomed));
			doomed[ndoomed++] = (struct doomed){ &st->colls[i], doc };
		}
	}
	for (size_t i = 0; i < ndoomed; i++)
		remove_item(doomed[i].coll, doomed[i].doc);
	free(doomed);
	return ndoomed;
}

void crud_delete(struct crud_store *st, const char *key, const char *id, struct crud_result *out)
{
	crud_result_init(out);
	pthread_mutex_lock(&st->lock);
	struct collection *coll = collection_of(st, key);
	cJSON *item = find_item(st, key, id);
	if (item)
		remove_item(coll, item);
	/* json-server looks for dependents on every DELETE of a collection, even a 404 */
	size_t removed = coll && id ? remove_dependents(st) : 0;
	if (item || removed)
		st->version++;
	empty_object(out, item ? 200 : 404);
	pthread_mutex_unlock(&st->lock);
}
