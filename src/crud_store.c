/* SPDX-License-Identifier: MIT */
/* The CRUD store: one data file's content in memory under one lock, and json-server 0.17's
 * operations on it (src/server/router/plural.js and singular.js, lodash-id's insert,
 * replaceById, updateById, removeById), answered as whole HTTP answers. */
#include "crud_store.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crud_js.h"
#include "crud_query.h"
#include "util/rng.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* Integer ids beyond this are not exact in a double: a collection holding one gets UUIDs. */
#define MAX_EXACT_ID 9007199254740991.0

static bool exact_integer(const cJSON *v)
{
	return cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) && fabs(v->valuedouble) <= MAX_EXACT_ID;
}

/* The highest integer id a collection has held since the content was loaded: a deleted
 * item's id is never handed out again (json-server takes the current maximum + 1 and does
 * reuse it), until a reset or a replace. */
struct id_mark {
	char *key;
	double top;
};

struct crud_store {
	pthread_mutex_t lock;       /* guards everything below */
	cJSON *initial;             /* the file's content: what a reset goes back to */
	cJSON *db;                  /* the current content */
	struct id_mark *marks;
	size_t nmarks;
	uint64_t version;
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

static void result_init(struct crud_result *out)
{
	memset(out, 0, sizeof(*out));
	out->total = -1;
}

void crud_result_release(struct crud_result *r)
{
	if (!r)
		return;
	free(r->body);
	free(r->location);
	free(r->link);
	result_init(r);
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

static void free_marks(struct crud_store *st)
{
	for (size_t i = 0; i < st->nmarks; i++)
		free(st->marks[i].key);
	free(st->marks);
	st->marks = NULL;
	st->nmarks = 0;
}

/* The largest integer id among coll's items (0 when none): where new ids start. */
static double max_integer_id(const cJSON *coll)
{
	double top = 0;
	bool any = false;
	for (const cJSON *item = coll->child; item; item = item->next) {
		const cJSON *id = cJSON_IsObject(item) ? cJSON_GetObjectItemCaseSensitive(item, "id") : NULL;
		if (!exact_integer(id))
			continue;
		top = any ? fmax(top, id->valuedouble) : id->valuedouble;
		any = true;
	}
	return top;
}

/* Copies src into the current content and starts the id marks over. Under the lock. */
static void load_current(struct crud_store *st)
{
	cJSON_Delete(st->db);
	free_marks(st);
	st->db = json_check(cJSON_Duplicate(st->initial, true));
	for (const cJSON *c = st->db->child; c; c = c->next) {
		if (!cJSON_IsArray(c))
			continue;
		st->marks = xrealloc(st->marks, (st->nmarks + 1) * sizeof(*st->marks));
		st->marks[st->nmarks].key = xstrdup(c->string);
		st->marks[st->nmarks].top = max_integer_id(c);
		st->nmarks++;
	}
}

static cJSON *copy_root(const cJSON *root)
{
	return json_check(cJSON_IsObject(root) ? cJSON_Duplicate(root, true) : cJSON_CreateObject());
}

struct crud_store *crud_store_create(const cJSON *root)
{
	struct crud_store *st = xcalloc(1, sizeof(*st));
	pthread_mutex_init(&st->lock, NULL);
	rng_seed_random(&st->rng);
	st->initial = copy_root(root);
	load_current(st);
	return st;
}

void crud_store_destroy(struct crud_store *st)
{
	if (!st)
		return;
	cJSON_Delete(st->initial);
	cJSON_Delete(st->db);
	free_marks(st);
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
	cJSON *copy = copy_root(root);
	pthread_mutex_lock(&st->lock);
	cJSON_Delete(st->initial);
	st->initial = copy;
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
	pthread_mutex_lock(&st->lock);
	uint64_t v = st->version;
	pthread_mutex_unlock(&st->lock);
	return v;
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

static struct id_mark *mark_of(struct crud_store *st, const char *key)
{
	for (size_t i = 0; i < st->nmarks; i++)
		if (strcmp(st->marks[i].key, key) == 0)
			return &st->marks[i];
	st->marks = xrealloc(st->marks, (st->nmarks + 1) * sizeof(*st->marks));
	st->marks[st->nmarks] = (struct id_mark){ .key = xstrdup(key), .top = 0 };
	return &st->marks[st->nmarks++];
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
	uint8_t b[16];
	uint64_t hi = rng_next(r), lo = rng_next(r);
	for (int i = 0; i < 8; i++) {
		b[i] = (uint8_t)(hi >> (8 * i));
		b[8 + i] = (uint8_t)(lo >> (8 * i));
	}
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	struct strbuf sb = STRBUF_INIT;
	for (int i = 0; i < 16; i++)
		strbuf_addf(&sb, "%s%02x", i == 4 || i == 6 || i == 8 || i == 10 ? "-" : "", b[i]);
	cJSON *id = json_check(cJSON_CreateString(strbuf_str(&sb)));
	strbuf_release(&sb);
	return id;
}

static bool id_taken(const cJSON *coll, const cJSON *id)
{
	struct strbuf text = STRBUF_INIT;
	crud_js_text(id, &text);
	bool taken = crud_js_find_id(coll, strbuf_str(&text), text.len) >= 0;
	strbuf_release(&text);
	return taken;
}

/* The id a new item of coll gets: the next integer when its ids are integers, above any it
 * ever held, else a UUID (json-server: a 7-character nanoid). */
static cJSON *new_id(struct crud_store *st, const char *key, const cJSON *coll)
{
	const cJSON *max = max_id(coll);
	/* json-server: 1 for none, max + 1 when the max is a number (1.5 would give 2.5: here,
	 * as for strings, a UUID) */
	if (!max || exact_integer(max)) {
		double next = fmax(max ? max->valuedouble : 0, mark_of(st, key)->top) + 1;
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

/* An integer id that entered key raises its mark. */
static void note_id(struct crud_store *st, const char *key, const cJSON *id)
{
	if (exact_integer(id)) {
		struct id_mark *m = mark_of(st, key);
		m->top = fmax(m->top, id->valuedouble);
	}
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

/* The item of collection key with this id and its index, or NULL (*at -1). */
static cJSON *find_item(const cJSON *coll, const char *id, int *at)
{
	*at = crud_js_find_id(coll, id, strlen(id));
	return *at >= 0 ? cJSON_GetArrayItem(coll, *at) : NULL;
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
	result_init(out);
	char *err = NULL;
	struct crud_query *q = crud_query_parse(query, nquery, &err);
	if (!q) {
		/* json-server answers a bad _like pattern with a 500 and a stack trace */
		fail(out, 400, err);
		free(err);
		return;
	}
	pthread_mutex_lock(&st->lock);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(st->db, key);
	int at;
	const cJSON *item;
	if (kind_of(v) == CRUD_SINGULAR && !id) {
		answer(out, 200, v);
	} else if (kind_of(v) == CRUD_COLLECTION && !id) {
		get_list(st, key, q, self_url, out);
	} else if (kind_of(v) == CRUD_COLLECTION && (item = find_item(v, id, &at))) {
		cJSON *related = crud_query_relate(q, st->db, key, item);
		answer(out, 200, related);
		cJSON_Delete(related);
	} else {
		not_found(out);
	}
	pthread_mutex_unlock(&st->lock);
	crud_query_destroy(q);
}

/* ---- writing ------------------------------------------------------------------------ */

/* The resource a write addresses: a collection's item (id given) or a singular resource
 * (no id). NULL after a 404 when there is none; *coll gets the collection, if any. */
static cJSON *target(struct crud_store *st, const char *key, const char *id, cJSON **coll, int *at,
		     struct crud_result *out)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(st->db, key);
	cJSON *found = NULL;
	*coll = NULL;
	*at = -1;
	if (kind_of(v) == CRUD_SINGULAR && !id)
		found = v;
	else if (kind_of(v) == CRUD_COLLECTION && id && (found = find_item(v, id, at)))
		*coll = v;
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
static void post_item(struct crud_store *st, const char *key, cJSON *coll, cJSON *body, struct crud_result *out)
{
	cJSON *id = cJSON_GetObjectItemCaseSensitive(body, "id");
	if (cJSON_IsArray(id) || cJSON_IsObject(id) || cJSON_IsTrue(id)) {
		fail(out, 400, "the id must be a string or a number");
		cJSON_Delete(body);
		return;
	}
	/* absent, null, false, 0 and "" all get a new id, as json-server's || does */
	if (!crud_js_truthy(id))
		crud_js_assign(body, "id", new_id(st, key, coll));
	id = cJSON_GetObjectItemCaseSensitive(body, "id");
	if (id_taken(coll, id)) {
		struct strbuf msg = STRBUF_INIT;
		strbuf_adds(&msg, "an item with id '");
		crud_js_text(id, &msg);
		strbuf_addf(&msg, "' already exists in '%s'", key);
		fail(out, 409, strbuf_str(&msg));
		strbuf_release(&msg);
		cJSON_Delete(body);
		return;
	}
	note_id(st, key, id);
	json_array_add(coll, body);
	changed(st, out, 201, body);
	out->location = location_of(key, id);
}

void crud_post(struct crud_store *st, const char *key, const char *body, size_t len, struct crud_result *out)
{
	result_init(out);
	cJSON *obj = body_object(body, len, out);
	if (!obj)
		return;
	pthread_mutex_lock(&st->lock);
	cJSON *v = cJSON_GetObjectItemCaseSensitive(st->db, key);
	if (kind_of(v) == CRUD_COLLECTION) {
		post_item(st, key, v, obj, out);
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
	cJSON *coll;
	int at;
	cJSON *old = target(st, key, id, &coll, &at, out);
	if (!old) {
		cJSON_Delete(body);
		return;
	}
	if (coll) {
		crud_js_assign(body, "id", json_check(cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(old, "id"), true)));
		cJSON_ReplaceItemInArray(coll, at, body);
	} else {
		cJSON_ReplaceItemInObjectCaseSensitive(st->db, key, body);
	}
	changed(st, out, 200, body);
}

/* PATCH: a shallow merge, keys the item has keep their place; an item's id never changes
 * (lodash-id's updateById), a singular resource's "id" is a field like any other. */
static void patch_locked(struct crud_store *st, const char *key, const char *id, cJSON *body, struct crud_result *out)
{
	cJSON *coll;
	int at;
	cJSON *old = target(st, key, id, &coll, &at, out);
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
	result_init(out);
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
static bool dangling(const cJSON *db, const cJSON *doc)
{
	for (const cJSON *f = cJSON_IsObject(doc) ? doc->child : NULL; f; f = f->next) {
		size_t n = strlen(f->string);
		if (n < 2 || strcmp(f->string + n - 2, "Id") != 0 || cJSON_IsNull(f))
			continue;
		char *prefix = xstrndup(f->string, n - 2);
		char *plural = crud_js_plural(prefix);
		const cJSON *ref = cJSON_GetObjectItemCaseSensitive(db, plural);
		free(prefix);
		free(plural);
		if (cJSON_IsArray(ref) && !id_taken(ref, f))
			return true;
	}
	return false;
}

/* After a DELETE json-server removes every item left pointing at a missing one (comments
 * of a deleted post, and any dangling reference the file already had). Returns how many.
 * One pass, as there: the dependents of what it removes stay until the next DELETE. */
static size_t remove_dependents(cJSON *db)
{
	size_t ndoomed = 0;
	cJSON **doomed = NULL;
	for (cJSON *coll = db->child; coll; coll = coll->next) {
		if (!cJSON_IsArray(coll))
			continue;
		for (cJSON *doc = coll->child; doc; doc = doc->next) {
			if (!dangling(db, doc))
				continue;
			doomed = xrealloc(doomed, (ndoomed + 1) * 2 * sizeof(*doomed));
			doomed[2 * ndoomed] = coll;
			doomed[2 * ndoomed + 1] = doc;
			ndoomed++;
		}
	}
	for (size_t i = 0; i < ndoomed; i++)
		cJSON_Delete(cJSON_DetachItemViaPointer(doomed[2 * i], doomed[2 * i + 1]));
	free(doomed);
	return ndoomed;
}

void crud_delete(struct crud_store *st, const char *key, const char *id, struct crud_result *out)
{
	result_init(out);
	pthread_mutex_lock(&st->lock);
	cJSON *v = cJSON_GetObjectItemCaseSensitive(st->db, key);
	int at = -1;
	if (kind_of(v) == CRUD_COLLECTION && id && find_item(v, id, &at))
		cJSON_Delete(cJSON_DetachItemFromArray(v, at));
	/* json-server looks for dependents on every DELETE of a collection, even a 404 */
	size_t removed = kind_of(v) == CRUD_COLLECTION && id ? remove_dependents(st->db) : 0;
	if (at >= 0 || removed)
		st->version++;
	empty_object(out, at >= 0 ? 200 : 404);
	pthread_mutex_unlock(&st->lock);
}
