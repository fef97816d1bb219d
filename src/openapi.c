/* SPDX-License-Identifier: MIT */
/* The OpenAPI front-end: a spec file as a source of fallback-tier stubs, reloaded when
 * one of its files changes. */
#include "openapi.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "json.h"
#include "openapi_doc.h"
#include "openapi_model.h"
#include "openapi_respond.h"
#include "regex.h"
#include "stub.h"
#include "stub_files.h"
#include "yaml_tree.h"
#include "util/hmap.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* Priorities within the spec: OpenAPI matches a more concrete path first, so a path ranks
 * by its literal segments, the most first: 100 less their count. A path's 405 has its
 * operations' priority, so that DELETE /releases/latest is the 405 of that GET-only path
 * rather than DELETE /releases/{id}; on its own path an operation still wins, being
 * loaded first. */
static int path_priority(const char *path)
{
	int literals = 0;
	for (const char *seg = path; *seg;) {
		seg += *seg == '/';
		size_t n = strcspn(seg, "/");
		literals += n && !memchr(seg, '{', n);
		seg += n;
	}
	return 100 - literals;
}

struct openapi_source {
	char *file;
	bool validate;
	pthread_mutex_t lock;       /* guards what follows */
	struct oa_spec *spec;
	struct stub_group *group;
	char **files;               /* what spec was read from */
	struct stat *stats;         /* ... as they were then */
	size_t nfiles;
};

/* ---- sniffing ---- */

/* Whether text that is not JSON but starts with '{' is YAML's flow style with a top-level
 * 'openapi' key, as the spec reader would read it. */
static bool flow_yaml_has_openapi(const char *path, const char *text, size_t len)
{
	struct diag_list ignored = DIAG_LIST_INIT;
	struct yaml_reader *r = yaml_reader_create(path, text, len, &ignored);
	const struct ynode *root = NULL;
	bool yes = yaml_reader_next(r, &root) == 1 && ynode_get(root, "openapi") != NULL;
	yaml_reader_destroy(r);
	diag_list_release(&ignored);
	return yes;
}

bool openapi_is_spec(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	char *text = NULL;
	size_t len = 0;
	if (stub_file_read(path, &text, &len) < 0)
		return false;
	bool yes = false;
	/* the spec reader takes a UTF-8 byte order mark (editors on Windows write one) */
	const char *start = text;
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		start += 3, len -= 3;
	const char *p = start + strspn(start, " \t\r\n");
	if (*p == '{') {
		cJSON *root = json_parse(start, len, NULL);
		if (root)
			yes = cJSON_IsObject(root) && cJSON_GetObjectItemCaseSensitive(root, "openapi");
		else
			yes = flow_yaml_has_openapi(path, start, len);
		cJSON_Delete(root);
	} else {
		/* a YAML mapping key at the start of a line: openapi:, "openapi":, 'openapi': */
		for (const char *line = start; line && !yes; line = strchr(line, '\n')) {
			if (*line == '\n')
				line++;
			yes = strncmp(line, "openapi:", 8) == 0 || strncmp(line, "\"openapi\":", 10) == 0 ||
			      strncmp(line, "'openapi':", 10) == 0 || strncmp(line, "openapi :", 9) == 0;
		}
	}
	free(text);
	return yes;
}

/* ---- stubs ---- */

/* Appends text[0..n) to a regex, escaped. */
static void add_literal(struct strbuf *re, const char *text, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strchr("\\^$.|?*+()[]{}", text[i]))
			strbuf_addc(re, '\\');
		strbuf_addc(re, text[i]);
	}
}

/* Sets the stub's path: exact, a template, or (a parameter inside a segment) a regex with
 * groups g0, g1... whose names go to *names. */
static bool set_path(struct stub *s, const char *path, char ***names, size_t *nnames, struct diag_list *diags,
		     const char *file, int line, int col)
{
	s->req.path = xstrdup(path);
	if (!strchr(path, '{')) {
		s->req.path_kind = PATH_EXACT;
		return true;
	}
	bool partial = false;
	for (const char *seg = path + 1; *seg;) {
		size_t n = strcspn(seg, "/");
		const char *open = memchr(seg, '{', n);
		if (open && !(open == seg && n > 2 && seg[n - 1] == '}' && !memchr(seg + 1, '{', n - 1)))
			partial = true;
		seg += n + (seg[n] == '/');
	}
	if (!partial) {
		s->req.path_kind = PATH_TEMPLATE;
		for (const char *seg = path + 1;;) {
			size_t n = strcspn(seg, "/");
			if (n && seg[0] == '{')
				stub_request_add_seg(&s->req, seg + 1, n - 2, true);
			else
				stub_request_add_seg(&s->req, seg, n, false);
			if (!seg[n])
				break;
			seg += n + 1;
		}
		return true;
	}
	struct strbuf re = STRBUF_INIT;
	for (const char *p = path; *p;) {
		const char *close = *p == '{' ? strchr(p, '}') : NULL;
		if (close) {
			*names = xrealloc(*names, (*nnames + 1) * sizeof **names);
			(*names)[*nnames] = xstrndup(p + 1, (size_t)(close - p - 1));
			strbuf_addf(&re, "(?<g%zu>[^/]+)", (*nnames)++);
			p = close + 1;
		} else {
			size_t n = strcspn(p + 1, "{") + 1;
			add_literal(&re, p, n);
			p += n;
		}
	}
	char *err = NULL;
	size_t off = 0;
	s->req.path_re = regex_compile(re.buf, false, &err, &off);
	strbuf_release(&re);
	if (!s->req.path_re) {
		diag_add(diags, file, line, col, "path '%s' cannot be served: %s", path, err ? err : "bad template");
		free(err);
		return false;
	}
	s->req.path_kind = PATH_REGEX;
	return true;
}

static struct stub *new_stub(const char *id, const char *file, int line, int col)
{
	struct stub *s = xcalloc(1, sizeof *s);
	s->id = xstrdup(id);
	s->file = xstrdup(file);
	s->line = line;
	s->col = col;
	s->tier = STUB_TIER_FALLBACK;
	s->priority = 100;
	s->req.path_line = line;
	s->req.path_col = col;
	return s;
}

/* Whether the spec has an operation method on path. */
static bool has_op(const struct oa_spec *sp, const char *path, const char *method)
{
	for (size_t i = 0; i < sp->nops; i++)
		if (strcmp(sp->ops[i].path, path) == 0 && strcmp(sp->ops[i].method, method) == 0)
			return true;
	return false;
}

static struct stub_group *build_group(struct oa_spec *sp, struct diag_list *diags)
{
	struct stub **stubs = xcalloc(sp->nops + sp->npaths + 1, sizeof *stubs);
	size_t n = 0;
	bool ok = true;
	const cJSON **nodes = xcalloc(sp->nops + 1, sizeof *nodes);
	struct openapi_doc_loc *locs = xcalloc(sp->nops + 1, sizeof *locs);
	for (size_t i = 0; i < sp->nops; i++)
		nodes[i] = sp->ops[i].node;
	openapi_doc_locate_many(sp->doc, nodes, sp->nops, locs);
	for (size_t i = 0; i < sp->nops; i++) {
		struct oa_op *op = &sp->ops[i];
		const char *file = locs[i].file;
		int line = locs[i].line, col = locs[i].col;
		struct stub *s = new_stub(op->id, file, line, col);
		stub_request_add_method(&s->req, op->method);
		/* HEAD is answered like GET when the spec has no HEAD of its own */
		if (strcmp(op->method, "GET") == 0 && !has_op(sp, op->path, "HEAD"))
			stub_request_add_method(&s->req, "HEAD");
		ok &= set_path(s, op->path, &op->group_names, &op->ngroups, diags, file, line, col);
		s->priority = path_priority(op->path);
		s->resp.status = op->responses[op->chosen].status;
		s->resp.handler = &openapi_op_responder;
		s->resp.handler_data = op;
		oa_spec_ref(sp);
		s->order = n;
		stubs[n++] = s;
	}
	free(nodes);
	free(locs);
	for (size_t i = 0; i < sp->npaths; i++) {
		struct oa_path *p = &sp->paths[i];
		struct strbuf id = STRBUF_INIT;
		strbuf_addf(&id, "openapi:405 %s", p->path);
		struct stub *s = new_stub(id.buf, sp->file, 0, 0);
		strbuf_release(&id);
		s->implicit = true;
		s->priority = path_priority(p->path);
		char **names = NULL;
		size_t nnames = 0;
		ok &= set_path(s, p->path, &names, &nnames, diags, sp->file, 0, 0);
		for (size_t k = 0; k < nnames; k++)
			free(names[k]);
		free(names);
		s->resp.status = 405;
		s->resp.handler = &openapi_path_responder;
		s->resp.handler_data = p;
		oa_spec_ref(sp);
		s->order = n;
		stubs[n++] = s;
	}
	/* ids are unique within the spec: a repeated operationId gets "#2", "#3"... */
	struct hmap ids = HMAP_INIT;
	for (size_t i = 0; i < n; i++) {
		size_t base_len = strlen(stubs[i]->id);
		for (size_t k = 2; !hmap_add_key(&ids, stubs[i]->id); k++) {
			struct strbuf id = STRBUF_INIT;
			strbuf_addf(&id, "%.*s#%zu", (int)base_len, stubs[i]->id, k);
			free(stubs[i]->id);
			stubs[i]->id = strbuf_detach(&id, NULL);
		}
	}
	hmap_release(&ids, NULL);
	struct stub_group *g = stub_group_create(stubs, n);
	if (!ok) {
		stub_group_unref(g);
		return NULL;
	}
	return g;
}

/* ---- the source ---- */

static void forget_files(struct openapi_source *src)
{
	for (size_t i = 0; i < src->nfiles; i++)
		free(src->files[i]);
	free(src->files);
	free(src->stats);
	src->files = NULL;
	src->stats = NULL;
	src->nfiles = 0;
}

/* Reads and compiles the spec; on success replaces src's spec, group and files. */
static int load(struct openapi_source *src, struct diag_list *diags)
{
	struct openapi_doc *doc = openapi_doc_load(src->file, diags);
	if (!doc)
		return -1;
	size_t nfiles;
	const char *const *files = openapi_doc_files(doc, &nfiles);
	char **copies = xcalloc(nfiles + 1, sizeof *copies);
	struct stat *stats = xcalloc(nfiles + 1, sizeof *stats);
	for (size_t i = 0; i < nfiles; i++) {
		copies[i] = xstrdup(files[i]);
		if (stat(files[i], &stats[i]) != 0)
			memset(&stats[i], 0, sizeof stats[i]);
	}
	struct oa_spec *sp = oa_spec_compile(doc, src->file, src->validate, diags);
	struct stub_group *g = sp ? build_group(sp, diags) : NULL;
	if (!g) {
		oa_spec_unref(sp);
		for (size_t i = 0; i < nfiles; i++)
			free(copies[i]);
		free(copies);
		free(stats);
		return -1;
	}
	oa_spec_unref(src->spec);
	src->spec = sp;
	stub_group_unref(src->group);
	src->group = g;
	forget_files(src);
	src->files = copies;
	src->stats = stats;
	src->nfiles = nfiles;
	return 0;
}

struct openapi_source *openapi_source_create(const char *file, bool validate, struct diag_list *diags)
{
	struct openapi_source *src = xcalloc(1, sizeof *src);
	src->file = xstrdup(file);
	src->validate = validate;
	pthread_mutex_init(&src->lock, NULL);
	if (load(src, diags) < 0) {
		openapi_source_destroy(src);
		return NULL;
	}
	return src;
}

void openapi_source_destroy(struct openapi_source *src)
{
	if (!src)
		return;
	stub_group_unref(src->group);
	oa_spec_unref(src->spec);
	forget_files(src);
	pthread_mutex_destroy(&src->lock);
	free(src->file);
	free(src);
}

struct stub_group *openapi_source_group(struct openapi_source *src)
{
	pthread_mutex_lock(&src->lock);
	struct stub_group *g = stub_group_ref(src->group);
	pthread_mutex_unlock(&src->lock);
	return g;
}

/* Whether a file is still the one that was read. ctime is there because mtime can be set
 * back (cp -p, tar, touch -d) while ctime cannot (as stub_cache.c compares them). */
static bool same(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

int openapi_source_reload(struct openapi_source *src, struct diag_list *diags)
{
	pthread_mutex_lock(&src->lock);
	bool changed = src->nfiles == 0;
	for (size_t i = 0; i < src->nfiles && !changed; i++) {
		struct stat st;
		changed = stat(src->files[i], &st) != 0 || !same(&st, &src->stats[i]);
	}
	int rc = 0;
	if (changed)
		rc = load(src, diags) < 0 ? -1 : 1;
	pthread_mutex_unlock(&src->lock);
	return rc;
}

struct oa_spec *openapi_source_spec(struct openapi_source *src)
{
	pthread_mutex_lock(&src->lock);
	struct oa_spec *sp = oa_spec_ref(src->spec);
	pthread_mutex_unlock(&src->lock);
	return sp;
}

char **openapi_source_files(struct openapi_source *src, size_t *n)
{
	pthread_mutex_lock(&src->lock);
	char **out = xcalloc(src->nfiles + 1, sizeof *out);
	for (size_t i = 0; i < src->nfiles; i++)
		out[i] = xstrdup(src->files[i]);
	*n = src->nfiles;
	pthread_mutex_unlock(&src->lock);
	return out;
}
