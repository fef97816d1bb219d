/* SPDX-License-Identifier: MIT */
/* The CRUD front-end: a data file's keys as stubs with a store-backed response handler. */
#include "crud.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crud_cache.h"
#include "crud_store.h"
#include "reply.h"
#include "respond.h"
#include "stub.h"
#include "stub_files.h"
#include "stub_load.h"
#include "util/arena.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* GET answers kept for repeats: enough for a client's working set of pages and items,
 * little enough to stay a small part of the content's own memory. */
#define CACHE_ENTRIES 256
#define CACHE_BYTES (8u << 20)

struct crud_source {
	atomic_uint refs;
	char *file;
	bool save;
	struct crud_store *store;
	pthread_mutex_t lock;       /* guards what follows: reloads, the group, saves */
	struct stub_group *group;
	char **keys;                /* the keys the group serves, NULL-terminated */
	uint64_t saved_version;     /* the store version last written to file */
	struct stat written;        /* file as our last save left it: not a change to reload */
	bool have_written;
	pthread_mutex_t cache_lock; /* guards cache */
	struct crud_cache *cache;   /* GET answers of the store's current version */
};

/* What one stub of the source answers for. */
struct crud_route {
	struct crud_source *src;    /* referenced */
	char *key;
	char *journal_id;           /* "crud:KEY": how the journal names the resource */
	bool item;                  /* /KEY/{id} */
};

static void source_unref(struct crud_source *src);

static void route_release(void *data)
{
	struct crud_route *rt = data;
	source_unref(rt->src);
	free(rt->key);
	free(rt->journal_id);
	free(rt);
}

static void save(struct crud_source *src);

/* The request's URL as json-server builds its Link and Location headers from it: "http://"
 * ("https://" over TLS) HOST, then path (NULL: the target as received). */
static char *self_url(struct req_view *req, struct arena *a, const char *path)
{
	const struct kv *host = req_view_header(req, "Host");
	struct strbuf sb = STRBUF_INIT;
	if (!path)
		path = req->target ? req->target : req->path;
	strbuf_adds(&sb, req->https ? "https://" : "http://");
	strbuf_adds(&sb, host ? host->value : "localhost");
	strbuf_adds(&sb, path);
	char *s = arena_strndup(a, strbuf_str(&sb), sb.len);
	strbuf_release(&sb);
	return s;
}

static const char *param(const struct params *p, const char *name)
{
	for (size_t i = 0; p && i < p->n; i++)
		if (strcmp(p->items[i].name, name) == 0)
			return p->items[i].value;
	return NULL;
}

/* Appends a field that may hold any bytes, its length first (as raw bytes: the key is
 * only compared): no two requests run together. */
static void add_field(struct strbuf *sb, const char *s, size_t len)
{
	strbuf_add(sb, (const char *)&len, sizeof(len));
	strbuf_add(sb, s, len);
}

/* What a GET's answer depends on besides the content: the route, the options and the URL
 * (the Link header's). The URL holds the target as received, from which the route and
 * the options follow; without one (a request not from the HTTP adapter) the decoded
 * query is added. */
static void request_key(struct strbuf *sb, const char *key, const char *id, const struct req_view *req,
			const char *self)
{
	add_field(sb, key, strlen(key));
	strbuf_addc(sb, id ? 'i' : '-');
	if (id)
		add_field(sb, id, strlen(id));
	add_field(sb, self, strlen(self));
	for (size_t i = 0; !req->target && i < req->nquery; i++) {
		add_field(sb, req->query[i].name, strlen(req->query[i].name));
		add_field(sb, req->query[i].value, req->query[i].len);
	}
}

/* The store's answer as HTTP: json-server's headers; result's body taken over. */
static struct reply_shared *to_answer(struct crud_result *r, const char *location)
{
	struct reply_shared *sh = reply_shared_create(r->status, "application/json; charset=utf-8", r->body, r->body_len);
	r->body = NULL;
	if (location) {
		reply_shared_add_header(sh, "Access-Control-Expose-Headers", "Location");
		reply_shared_add_header(sh, "Location", location);
	}
	if (r->total >= 0) {
		char n[24];
		snprintf(n, sizeof(n), "%lld", r->total);
		reply_shared_add_header(sh, "X-Total-Count", n);
		reply_shared_add_header(sh, "Access-Control-Expose-Headers", r->link ? "X-Total-Count, Link" : "X-Total-Count");
	}
	if (r->link)
		reply_shared_add_header(sh, "Link", r->link);
	crud_result_release(r);
	return sh;
}

/* A GET's answer: from the cache, or from the store and then kept. */
static struct reply_shared *get(const struct crud_route *rt, struct req_view *req, const char *id, struct arena *a)
{
	struct crud_source *src = rt->src;
	const char *self = self_url(req, a, NULL);
	struct strbuf key = STRBUF_INIT;
	request_key(&key, rt->key, id, req, self);
	uint64_t version = crud_store_version(src->store);
	pthread_mutex_lock(&src->cache_lock);
	struct reply_shared *sh = crud_cache_get(src->cache, key.buf, key.len, version);
	pthread_mutex_unlock(&src->cache_lock);
	if (!sh) {
		struct crud_result r;
		crud_get(src->store, rt->key, id, req->query, req->nquery, self, &r);
		version = r.version;
		sh = to_answer(&r, NULL);
		pthread_mutex_lock(&src->cache_lock);
		crud_cache_put(src->cache, key.buf, key.len, version, sh);
		pthread_mutex_unlock(&src->cache_lock);
	}
	strbuf_release(&key);
	return sh;
}

static void respond_crud(const struct stub_response *sr, struct respond_ctx *ctx, struct reply *out)
{
	const struct crud_route *rt = sr->handler_data;
	struct req_view *req = ctx->render.req;
	struct crud_store *st = rt->src->store;
	const char *id = rt->item ? param(ctx->render.params, "id") : NULL;
	const char *m = req->method;
	out->stub_id = rt->journal_id;
	if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0) {
		reply_use_shared(out, get(rt, req, id, ctx->arena));
		return;
	}
	struct crud_result r;
	if (strcmp(m, "POST") == 0)
		crud_post(st, rt->key, req->body, req->body_len, &r);
	else if (strcmp(m, "PUT") == 0)
		crud_put(st, rt->key, id, req->body, req->body_len, &r);
	else if (strcmp(m, "PATCH") == 0)
		crud_patch(st, rt->key, id, req->body, req->body_len, &r);
	else
		crud_delete(st, rt->key, id, &r);
	const char *location = r.location ? self_url(req, ctx->arena, r.location) : NULL;
	reply_use_shared(out, to_answer(&r, location));
	if (rt->src->save && out->status < 300)
		save(rt->src);
}

static const struct responder crud_responder = {
	.kind = "crud",
	.respond = respond_crud,
	.release = route_release,
};

/* ---- the stubs ---- */

/* A stub for /KEY (item: /KEY/{id}) answering methods (space-separated). */
static struct stub *route_stub(struct crud_source *src, const char *key, bool item, const char *methods)
{
	struct stub *s = xcalloc(1, sizeof(*s));
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "crud:%s%s", key, item ? "#item" : "");
	s->id = strbuf_detach(&sb, NULL);
	s->file = xstrdup(src->file);
	s->line = 1;
	s->col = 1;
	s->priority = 100;
	for (const char *p = methods; *p;) {
		size_t n = strcspn(p, " ");
		char m[16];
		snprintf(m, sizeof(m), "%.*s", (int)n, p);
		stub_request_add_method(&s->req, m);
		p += n + strspn(p + n, " ");
	}
	strbuf_addf(&sb, "/%s%s", key, item ? "/{id}" : "");
	s->req.path = strbuf_detach(&sb, NULL);
	if (item) {
		s->req.path_kind = PATH_TEMPLATE;
		for (const char *p = key;;) {
			size_t n = strcspn(p, "/");
			stub_request_add_seg(&s->req, p, n, false);
			if (!p[n])
				break;
			p += n + 1;
		}
		stub_request_add_seg(&s->req, "id", 2, true);
	} else {
		s->req.path_kind = PATH_EXACT;
	}
	s->resp.status = 200;
	s->resp.handler = &crud_responder;
	struct crud_route *rt = xcalloc(1, sizeof(*rt));
	atomic_fetch_add(&src->refs, 1);
	rt->src = src;
	rt->key = xstrdup(key);
	strbuf_addf(&sb, "crud:%s", key);
	rt->journal_id = strbuf_detach(&sb, NULL);
	rt->item = item;
	s->resp.handler_data = rt;
	return s;
}

/* The stubs for the store's keys, as one group; keys are remembered. Under lock. */
static void build_group(struct crud_source *src)
{
	char **keys = crud_store_keys(src->store);
	struct stub **stubs = NULL;
	size_t n = 0;
	for (size_t i = 0; keys[i]; i++) {
		enum crud_kind kind = crud_store_kind(src->store, keys[i]);
		stubs = xrealloc(stubs, (n + 2) * sizeof(*stubs));
		if (kind == CRUD_COLLECTION) {
			stubs[n++] = route_stub(src, keys[i], false, "GET HEAD POST");
			stubs[n++] = route_stub(src, keys[i], true, "GET HEAD PUT PATCH DELETE");
		} else if (kind == CRUD_SINGULAR) {
			stubs[n++] = route_stub(src, keys[i], false, "GET HEAD POST PUT PATCH");
		}
	}
	for (size_t i = 0; i < n; i++)
		stubs[i]->order = i;
	stub_group_unref(src->group);
	src->group = stub_group_create(stubs, n);
	if (src->keys)
		for (size_t i = 0; src->keys[i]; i++)
			free(src->keys[i]);
	free(src->keys);
	src->keys = keys;
}

/* ---- the file ---- */

static cJSON *read_file(const char *file, struct diag_list *diags)
{
	char *text = NULL;
	size_t len = 0;
	int rc = stub_file_read(file, &text, &len);
	if (rc < 0) {
		diag_add(diags, file, 0, 0, "cannot read the --crud data file: %s", strerror(-rc));
		return NULL;
	}
	cJSON *root = stub_load_data(file, text, len, diags);
	free(text);
	return root;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Writes the store to file if it changed since the last save: a temporary file in the
 * same directory, fsync'ed, renamed over (a kill -9 leaves the old file or the new one). */
static void save(struct crud_source *src)
{
	pthread_mutex_lock(&src->lock);
	size_t len;
	uint64_t version;
	char *text = crud_store_dump(src->store, &len, &version);
	if (version <= src->saved_version) {
		free(text);
		pthread_mutex_unlock(&src->lock);
		return;
	}
	struct strbuf tmp = STRBUF_INIT;
	strbuf_addf(&tmp, "%s.cannery-tmp-%ld", src->file, (long)getpid());
	int fd = open(tmp.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	bool ok = fd >= 0;
	for (size_t off = 0; ok && off < len;) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		ok = w > 0;
		off += ok ? (size_t)w : 0;
	}
	ok = ok && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
	if (fd >= 0)
		close(fd);
	if (ok && rename(tmp.buf, src->file) == 0) {
		src->saved_version = version;
		src->have_written = stat(src->file, &src->written) == 0;
	} else {
		unlink(tmp.buf);
		fprintf(stderr, "cannery: cannot save %s: %s\n", src->file, strerror(errno));
	}
	strbuf_release(&tmp);
	free(text);
	pthread_mutex_unlock(&src->lock);
}

struct crud_source *crud_source_create(const char *file, bool save_changes, struct diag_list *diags)
{
	cJSON *root = read_file(file, diags);
	if (!root)
		return NULL;
	struct crud_source *src = xcalloc(1, sizeof(*src));
	atomic_init(&src->refs, 1);
	src->file = xstrdup(file);
	src->save = save_changes;
	pthread_mutex_init(&src->lock, NULL);
	pthread_mutex_init(&src->cache_lock, NULL);
	src->cache = crud_cache_create(CACHE_ENTRIES, CACHE_BYTES);
	src->store = crud_store_create(root);
	cJSON_Delete(root);
	src->saved_version = crud_store_version(src->store);
	pthread_mutex_lock(&src->lock);
	build_group(src);
	pthread_mutex_unlock(&src->lock);
	return src;
}

static void source_unref(struct crud_source *src)
{
	if (!src || atomic_fetch_sub(&src->refs, 1) != 1)
		return;
	if (src->keys)
		for (size_t i = 0; src->keys[i]; i++)
			free(src->keys[i]);
	free(src->keys);
	crud_store_destroy(src->store);
	crud_cache_destroy(src->cache);
	pthread_mutex_destroy(&src->cache_lock);
	pthread_mutex_destroy(&src->lock);
	free(src->file);
	free(src);
}

void crud_source_destroy(struct crud_source *src)
{
	if (!src)
		return;
	/* the group's stubs hold references: the source goes with the last set serving them */
	pthread_mutex_lock(&src->lock);
	struct stub_group *g = src->group;
	src->group = NULL;
	pthread_mutex_unlock(&src->lock);
	stub_group_unref(g);
	source_unref(src);
}

const char *crud_source_file(const struct crud_source *src)
{
	return src->file;
}

struct stub_group *crud_source_group(struct crud_source *src)
{
	pthread_mutex_lock(&src->lock);
	struct stub_group *g = stub_group_ref(src->group);
	pthread_mutex_unlock(&src->lock);
	return g;
}

void crud_source_reset(struct crud_source *src)
{
	crud_store_reset(src->store);
	if (src->save)
		save(src);
}

static bool same_keys(char **a, char **b)
{
	size_t i = 0;
	for (; a[i] && b[i]; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return !a[i] && !b[i];
}

int crud_source_reload(struct crud_source *src, struct diag_list *diags)
{
	struct stat st;
	pthread_mutex_lock(&src->lock);
	bool own = src->have_written && stat(src->file, &st) == 0 && same_file(&st, &src->written);
	pthread_mutex_unlock(&src->lock);
	if (own)
		return 0;
	cJSON *root = read_file(src->file, diags);
	if (!root)
		return -1;
	pthread_mutex_lock(&src->lock);
	crud_store_replace(src->store, root);
	cJSON_Delete(root);
	src->saved_version = crud_store_version(src->store);
	char **keys = crud_store_keys(src->store);
	int changed = !same_keys(keys, src->keys);
	for (size_t i = 0; keys[i]; i++)
		free(keys[i]);
	free(keys);
	if (changed)
		build_group(src);
	pthread_mutex_unlock(&src->lock);
	return changed;
}
