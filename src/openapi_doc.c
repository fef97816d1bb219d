/* SPDX-License-Identifier: MIT */
/* The OpenAPI reader: a spec and the files its $refs reach as cJSON trees (JSON through
 * cJSON, YAML through yaml_tree), every $ref resolved once at load into a pointer map,
 * chains of $refs that come back refused, and nodes located by parsing the kept text again. */
#include "openapi_doc.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "stub_files.h"
#include "yaml_tree.h"
#include "util/hmap.h"
#include "util/numtext.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* ---- a map from addresses to addresses ---- */

/* Open addressing with linear probing; keys are never removed. Not thread-safe to write;
 * once built, any number of threads may read it. */
struct pmap_entry {
	const void *key;
	const void *val;
};

struct pmap {
	struct pmap_entry *v;
	size_t cap, n;
};

#define PMAP_INIT { NULL, 0, 0 }

static size_t ptr_hash(const void *p)
{
	uint64_t x = (uint64_t)(uintptr_t)p;
	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	return (size_t)x;
}

static const void *pmap_get(const struct pmap *m, const void *key)
{
	if (!m->cap)
		return NULL;
	for (size_t i = ptr_hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (m->v[i].key == key)
			return m->v[i].val;
		if (!m->v[i].key)
			return NULL;
	}
}

static void pmap_put(struct pmap *m, const void *key, const void *val)
{
	if ((m->n + 1) * 4 > m->cap * 3) {
		struct pmap bigger = { xcalloc(m->cap ? m->cap * 2 : 64, sizeof(struct pmap_entry)),
				       m->cap ? m->cap * 2 : 64, 0 };
		for (size_t i = 0; i < m->cap; i++)
			if (m->v[i].key)
				pmap_put(&bigger, m->v[i].key, m->v[i].val);
		free(m->v);
		*m = bigger;
	}
	size_t i = ptr_hash(key) & (m->cap - 1);
	while (m->v[i].key && m->v[i].key != key)
		i = (i + 1) & (m->cap - 1);
	if (!m->v[i].key)
		m->n++;
	m->v[i] = (struct pmap_entry){ key, val };
}

static void pmap_release(struct pmap *m)
{
	free(m->v);
	*m = (struct pmap)PMAP_INIT;
}

/* ---- the document ---- */

struct doc_file {
	char *path;          /* as messages show it */
	char *id;            /* what makes two paths one file (the realpath); NULL when unread */
	char *text;          /* as read: locate parses it again, so locations match the trees */
	size_t len;
	size_t skip;         /* a UTF-8 byte order mark before JSON text */
	bool json;           /* read by cJSON (located by scanning text), else by yaml_tree */
	cJSON *root;         /* NULL when the file could not be read */
	size_t index;        /* in d->files */
	struct hmap cache;   /* during load: $ref text -> target, for this file's refs */
};

struct openapi_doc {
	struct doc_file **files;    /* every file tried, in the order first met */
	size_t nfiles;
	const char **paths;         /* what openapi_doc_files returns: the files read */
	size_t npaths;
	struct hmap by_path;        /* joined path -> struct doc_file */
	struct hmap by_id;          /* id -> struct doc_file */
	struct pmap targets;        /* $ref (or mapping) string item -> what it points to */
};

/* ---- loading ---- */

/* A `$ref` string (or a discriminator mapping value) met at load. */
struct ref_rec {
	const cJSON *item;
	struct doc_file *file;      /* that holds it */
	const cJSON *target;        /* NULL until resolved */
	bool mapping;
	unsigned char state;        /* cycle search: 0 not met, 1 on the chain followed, 2 done */
};

/* A node that a problem or its message names, located when the load is over. */
struct spot {
	struct doc_file *file;
	const cJSON *node;
	bool key;                   /* the member's key, not its value */
};

#define VIA_MAX 4

/* A problem waiting for its location (and those of the $refs it names). */
struct pending {
	struct spot at;
	char *msg;
	struct spot via[VIA_MAX];   /* the other $refs of a cycle, listed after msg */
	size_t nvia;
	bool via_more;
};

struct loader {
	struct openapi_doc *d;
	const struct openapi_doc_reader *rd;
	struct diag_list *diags;
	size_t bytes;               /* of the files read so far */
	bool too_many;              /* the file bound was reported */
	struct ref_rec *refs;
	size_t nrefs, arefs;
	struct pmap rec_of;         /* item -> index + 1 in refs */
	struct pending *pend;
	size_t npend, apend;
	size_t unlisted;            /* problems past DIAG_MAX pending ones */
};

static struct pending *pend_add(struct loader *ld, struct doc_file *f, const cJSON *node, bool key,
				const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* A problem at node (its key when key) of f, told once the load is over; NULL when there
 * are more than a diag list holds (the problem is counted). */
static struct pending *pend_add(struct loader *ld, struct doc_file *f, const cJSON *node, bool key,
				const char *fmt, ...)
{
	if (ld->npend >= DIAG_MAX) {
		ld->unlisted++;
		return NULL;
	}
	if (ld->npend == ld->apend) {
		ld->apend = ld->apend ? ld->apend * 2 : 16;
		ld->pend = xrealloc(ld->pend, ld->apend * sizeof(*ld->pend));
	}
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	struct pending *p = &ld->pend[ld->npend++];
	*p = (struct pending){ .at = { f, node, key }, .msg = strbuf_detach(&sb, NULL) };
	return p;
}

/* Room for quoted's result. */
#define QUOTE_MAX 528

/* s in quotes for a message, control bytes escaped, cut with "..." past 256 bytes (refs and
 * paths are long, and their ends matter). Writes into buf (QUOTE_MAX bytes), returns it. */
static const char *quoted(char *buf, const char *s)
{
	size_t o = 0;
	buf[o++] = '\'';
	for (size_t i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (i >= 256 && (c & 0xC0) != 0x80) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '\n' || c == '\t') {
			buf[o++] = '\\';
			buf[o++] = c == '\n' ? 'n' : 't';
		} else {
			buf[o++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
		}
	}
	buf[o++] = '\'';
	buf[o] = '\0';
	return buf;
}

/* ---- YAML nodes into cJSON ---- */

struct conv {
	struct diag_list *diags;
	const char *path;
	struct pmap seen;           /* anchored nodes converted once: their problems were told */
	bool ok;
};

static void conv_err(struct conv *cv, bool report, const struct ynode *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void conv_err(struct conv *cv, bool report, const struct ynode *n, const char *fmt, ...)
{
	cv->ok = false;
	if (!report)
		return;
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	diag_add(cv->diags, cv->path, n->line, n->col, "%s", strbuf_str(&sb));
	strbuf_release(&sb);
}

/* A plain scalar the YAML 1.2 core schema reads as a number (decimal, 0x, 0o, float):
 * true with its value (infinite when beyond a double), else false. */
static bool core_number(const char *s, double *out)
{
	int base = numtext_int_base(s);
	if (base == 8 || base == 16) {
		double d = 0;
		for (const char *p = s + 2; *p; p++)
			d = d * base + numtext_digit_value(*p);
		*out = d;
		return true;
	}
	if (base == 10 || numtext_is_float(s)) {
		*out = strtod(s, NULL);
		return true;
	}
	return false;
}

static cJSON *conv_scalar(struct conv *cv, const struct ynode *n, bool report)
{
	char q[YNODE_QUOTE_MAX];
	if (n->plain) {
		if (ynode_is_null(n))
			return json_check(cJSON_CreateNull());
		int b = ynode_bool(n);
		if (b >= 0)
			return json_check(cJSON_CreateBool(b));
		double v;
		if (core_number(n->text, &v)) {
			if (isfinite(v))
				return json_check(cJSON_CreateNumber(v));
			conv_err(cv, report, n, "number %s is out of range", ynode_quote(q, "", n->text, n->len));
			return json_check(cJSON_CreateNull());
		}
	}
	/* cJSON's strings end at a NUL, so "a\0b" would silently read as "a" */
	if (strlen(n->text) != n->len)
		conv_err(cv, report, n, "a NUL character in a string");
	return json_check(cJSON_CreateString(n->text));
}

/* Whether scalar key i of mapping n is one of the keys before it. Few keys: a scan; many:
 * set, which holds the keys before it. */
static bool dup_key(const struct ynode *n, size_t i, struct hmap *set)
{
	const char *k = n->kids[i]->text;
	if (n->n <= 16) {
		for (size_t j = 0; j < i; j += 2)
			if (n->kids[j]->kind == YNODE_SCALAR && strcmp(n->kids[j]->text, k) == 0)
				return true;
		return false;
	}
	return !hmap_add_key(set, k);
}

static cJSON *conv_node(struct conv *cv, const struct ynode *n, bool report)
{
	if (n->anchored) {
		/* an alias repeats its anchor's node: its problems were told the first time */
		if (pmap_get(&cv->seen, n))
			report = false;
		else
			pmap_put(&cv->seen, n, n);
	}
	if (n->kind == YNODE_SCALAR)
		return conv_scalar(cv, n, report);
	if (n->kind == YNODE_SEQUENCE) {
		cJSON *arr = json_check(cJSON_CreateArray());
		for (size_t i = 0; i < n->n; i++)
			json_array_add(arr, conv_node(cv, n->kids[i], report));
		return arr;
	}
	cJSON *obj = json_check(cJSON_CreateObject());
	struct hmap set = HMAP_INIT;
	char q[YNODE_QUOTE_MAX];
	for (size_t i = 0; i + 1 < n->n; i += 2) {
		const struct ynode *k = n->kids[i];
		/* every pair becomes a member, also a wrong one: locate walks the two trees in step */
		const char *key = "";
		if (k->kind != YNODE_SCALAR) {
			conv_err(cv, report, k, "a key must be a scalar, got %s", ynode_kind_name(k));
		} else {
			key = k->text;
			if (strlen(k->text) != k->len)
				conv_err(cv, report, k, "a NUL character in a key");
			else if (dup_key(n, i, &set))
				conv_err(cv, report, k, "duplicate key %s", ynode_quote(q, "", k->text, k->len));
		}
		json_object_add(obj, key, conv_node(cv, n->kids[i + 1], report));
	}
	hmap_release(&set, NULL);
	return obj;
}

/* ---- reading a file ---- */

static struct yaml_reader *yaml_open(const struct doc_file *f, struct diag_list *diags)
{
	struct yaml_reader *yr = yaml_reader_create(f->path, f->text, f->len, diags);
	/* as for big data files: a node takes at least two bytes of text unless aliases repeat
	 * it, and an alias bomb stays bounded by the file's size */
	if (f->len > YAML_TREE_MAX_NODES)
		yaml_reader_set_max_nodes(yr, f->len);
	return yr;
}

static void check_json_dups(struct loader *ld, struct doc_file *f, const cJSON *node);

static bool looks_like_json(const char *text, size_t len, size_t *skip)
{
	size_t i = 0;
	*skip = 0;
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		i = *skip = 3;
	while (i < len && text[i] && strchr(" \t\r\n", text[i]))
		i++;
	return i < len && (text[i] == '{' || text[i] == '[');
}

/* f's text read as YAML, problems to diags. */
static cJSON *parse_yaml(struct doc_file *f, struct diag_list *diags)
{
	struct yaml_reader *yr = yaml_open(f, diags);
	const struct ynode *root = NULL, *more = NULL;
	cJSON *out = NULL;
	int rc = yaml_reader_next(yr, &root);
	if (rc > 0 && root) {
		struct conv cv = { .diags = diags, .path = f->path, .ok = true };
		out = conv_node(&cv, root, true);
		pmap_release(&cv.seen);
		rc = yaml_reader_next(yr, &more);
		if (rc > 0)
			diag_add(diags, f->path, more ? more->line : 0, more ? more->col : 0,
				 "a spec file holds one document; this is a second one");
		if (rc != 0 || !cv.ok) {
			cJSON_Delete(out);
			out = NULL;
		}
	} else if (rc >= 0) {
		diag_add(diags, f->path, 0, 0, "the file is empty");
	}
	yaml_reader_destroy(yr);
	return out;
}

/* f's text as a tree; problems go to diags (syntax) or wait for their location. */
static cJSON *parse_file(struct loader *ld, struct doc_file *f)
{
	if (!looks_like_json(f->text, f->len, &f->skip))
		return parse_yaml(f, ld->diags);
	struct json_error err;
	cJSON *root = json_parse(f->text + f->skip, f->len - f->skip, &err);
	if (root) {
		/* duplicates are located when the load is over, in this tree: it stays */
		f->json = true;
		check_json_dups(ld, f, root);
		return root;
	}
	/* YAML's flow style also starts with '{' or '[': when the text reads as YAML, it is */
	struct diag_list quiet = DIAG_LIST_INIT;
	f->skip = 0;
	root = parse_yaml(f, &quiet);
	if (!root)
		diag_add(ld->diags, f->path, err.line, err.col, "json syntax: %s", err.what);
	diag_list_release(&quiet);
	return root;
}

static bool dup_member(const cJSON *obj, const cJSON *m, size_t n, struct hmap *set)
{
	if (n <= 8) {
		for (const cJSON *c = obj->child; c != m; c = c->next)
			if (strcmp(c->string, m->string) == 0)
				return true;
		return false;
	}
	return !hmap_add_key(set, m->string);
}

/* cJSON keeps every member of an object, so a JSON file's duplicate keys are found here. */
static void check_json_dups(struct loader *ld, struct doc_file *f, const cJSON *node)
{
	if (cJSON_IsObject(node)) {
		size_t n = 0;
		for (const cJSON *c = node->child; c; c = c->next)
			n++;
		struct hmap set = HMAP_INIT;
		char q[QUOTE_MAX];
		for (const cJSON *c = node->child; c; c = c->next)
			if (dup_member(node, c, n, &set))
				pend_add(ld, f, c, true, "duplicate key %s", quoted(q, c->string));
		hmap_release(&set, NULL);
	}
	if (cJSON_IsObject(node) || cJSON_IsArray(node))
		for (const cJSON *c = node->child; c; c = c->next)
			check_json_dups(ld, f, c);
}

/* What the keys of an object are, as far as finding references goes. */
enum keys {
	KEYS_WORDS,        /* keywords of an OpenAPI or schema object: "example" holds a literal */
	KEYS_NAMES,        /* names the user chose (properties, paths, responses...) */
	KEYS_EXAMPLES,     /* names of Example objects */
	KEYS_EXAMPLE,      /* an Example object's: "value" holds a literal */
};

static void collect_refs(struct loader *ld, struct doc_file *f, const cJSON *node, enum keys k);

static struct doc_file *file_new(struct openapi_doc *d, const char *path)
{
	struct doc_file *f = xcalloc(1, sizeof(*f));
	f->path = xstrdup(path);
	f->index = d->nfiles;
	if ((d->nfiles & (d->nfiles - 1)) == 0)
		d->files = xrealloc(d->files, (d->nfiles ? d->nfiles * 2 : 1) * sizeof(*d->files));
	d->files[d->nfiles++] = f;
	hmap_put(&d->by_path, path, f);
	return f;
}

static const char *read_error(int rc, char *buf, size_t size)
{
	if (rc == -EISDIR)
		return "it is a directory";
	if (rc == -EFBIG) {
		snprintf(buf, size, "the files of this spec would hold more than %u MiB together",
			 OPENAPI_DOC_MAX_BYTES >> 20);
		return buf;
	}
	return strerror(-rc);
}

/* Reads the file at path (the spec when by is NULL, else the file the `$ref` item by, in
 * from, names). Returns it, read or not (a file that did not read is tried once and
 * stays silent after its message), or NULL past the file bound. */
static struct doc_file *read_file(struct loader *ld, const char *path, struct doc_file *from,
				  const struct ref_rec *by)
{
	struct openapi_doc *d = ld->d;
	char q[QUOTE_MAX], q2[QUOTE_MAX], why[96];
	if (d->nfiles >= OPENAPI_DOC_MAX_FILES) {
		if (!ld->too_many)
			pend_add(ld, from, by->item, false, "'$ref' %s reaches more than %d files",
				 quoted(q, by->item->valuestring), OPENAPI_DOC_MAX_FILES);
		ld->too_many = true;
		return NULL;
	}
	char *text = NULL, *id = NULL;
	size_t len = 0;
	int rc = ld->rd->read(ld->rd->cls, path, OPENAPI_DOC_MAX_BYTES - ld->bytes, &text, &len, &id);
	if (rc == 0 && id) {
		struct doc_file *same = hmap_get(&d->by_id, id);
		if (same) {
			/* the same file under another name: one tree, one path in messages */
			hmap_put(&d->by_path, path, same);
			free(text);
			free(id);
			return same;
		}
	}
	struct doc_file *f = file_new(d, path);
	if (rc < 0) {
		free(text);
		free(id);
		if (!by)
			diag_add(ld->diags, path, 0, 0, "cannot read %s: %s", quoted(q, path), read_error(rc, why, sizeof why));
		else if (by->mapping)
			;   /* see resolve_rec: not an error */
		else
			pend_add(ld, from, by->item, false, "cannot read %s (named by %s %s): %s", quoted(q, path),
				 by->mapping ? "'mapping' value" : "'$ref'", quoted(q2, by->item->valuestring),
				 read_error(rc, why, sizeof why));
		return f;
	}
	f->text = text;
	f->len = len;
	f->id = id ? id : xstrdup(path);
	hmap_put(&d->by_id, f->id, f);
	ld->bytes += len;
	f->root = parse_file(ld, f);
	if (f->root)
		collect_refs(ld, f, f->root, KEYS_WORDS);
	return f;
}

/* ---- collecting and resolving references ---- */

static void rec_add(struct loader *ld, struct doc_file *f, const cJSON *item, bool mapping)
{
	if (pmap_get(&ld->rec_of, item))
		return;
	if (ld->nrefs == ld->arefs) {
		ld->arefs = ld->arefs ? ld->arefs * 2 : 64;
		ld->refs = xrealloc(ld->refs, ld->arefs * sizeof(*ld->refs));
	}
	ld->refs[ld->nrefs++] = (struct ref_rec){ .item = item, .file = f, .mapping = mapping };
	pmap_put(&ld->rec_of, item, (const void *)(uintptr_t)ld->nrefs);
}

/* Members whose object value is a map of names. */
static const char *const name_maps[] = {
	"properties", "patternProperties", "definitions", "$defs", "dependentSchemas", "paths", "webhooks",
	"responses", "callbacks", "headers", "links", "content", "encoding", "variables", "securitySchemes",
	"schemas", "parameters", "requestBodies", "pathItems", "mapping", NULL,
};

/* Members that hold a literal value (an example, a default, an enum), whatever it looks like. */
static const char *const literals[] = { "example", "default", "enum", "const", NULL };

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

/* What the keys of member c (an object or an array) of an object with keys k are; false
 * when c holds a literal, where a "$ref" is data and not a reference (GitHub's spec has
 * such examples). */
static bool member_keys(enum keys k, const cJSON *c, enum keys *out)
{
	*out = KEYS_WORDS;
	if (k == KEYS_NAMES)
		return true;
	if (k == KEYS_EXAMPLES) {
		*out = KEYS_EXAMPLE;
		return true;
	}
	if (in_list(c->string, literals) || (k == KEYS_EXAMPLE && strcmp(c->string, "value") == 0))
		return false;
	if (strcmp(c->string, "examples") == 0) {
		/* a map of Example objects, or (a schema's, in 3.1) an array of literals */
		*out = KEYS_EXAMPLES;
		return cJSON_IsObject(c);
	}
	if (cJSON_IsObject(c) && in_list(c->string, name_maps))
		*out = KEYS_NAMES;
	return true;
}

/* Records every `$ref` and discriminator mapping reference under node, except in literals. */
static void collect_refs(struct loader *ld, struct doc_file *f, const cJSON *node, enum keys k)
{
	bool obj = cJSON_IsObject(node);
	for (const cJSON *c = node->child; c; c = c->next) {
		if (obj && cJSON_IsString(c) && strcmp(c->string, "$ref") == 0)
			rec_add(ld, f, c, false);
		if (!cJSON_IsObject(c) && !cJSON_IsArray(c))
			continue;
		enum keys ck = KEYS_WORDS;
		if (obj && !member_keys(k, c, &ck))
			continue;
		if (obj && k != KEYS_NAMES && cJSON_IsObject(c) && strcmp(c->string, "discriminator") == 0) {
			const cJSON *m = cJSON_GetObjectItemCaseSensitive(c, "mapping");
			for (const cJSON *v = cJSON_IsObject(m) ? m->child : NULL; v; v = v->next)
				if (cJSON_IsString(v) && strpbrk(v->valuestring, "/#"))
					rec_add(ld, f, v, true);
		}
		collect_refs(ld, f, c, ck);
	}
}

/* s[0..n) with %XX decoded into out; false for a bad escape or one that makes a NUL. */
static bool percent_decode(const char *s, size_t n, struct strbuf *out)
{
	strbuf_reset(out);
	strbuf_add(out, "", 0);
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%') {
			strbuf_addc(out, s[i]);
			continue;
		}
		if (i + 2 >= n)
			return false;
		int a = numtext_digit_value(s[i + 1]), b = numtext_digit_value(s[i + 2]);
		if (a > 15 || b > 15 || (a == 0 && b == 0))
			return false;
		strbuf_addc(out, (char)(a * 16 + b));
		i += 2;
	}
	return true;
}

/* path of rel, a file `$ref`, from the file at base: joined to base's directory and
 * normalised the way URLs are ("." and "x/.." dropped; symlinks not resolved). */
static char *join_path(const char *base, const char *rel)
{
	struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;
	if (rel[0] != '/') {
		const char *slash = strrchr(base, '/');
		if (slash)
			strbuf_add(&in, base, (size_t)(slash - base) + 1);
	}
	strbuf_adds(&in, rel);
	bool abs = in.buf[0] == '/';
	size_t ups = 0;     /* leading ".." kept in out (a relative path above its start) */
	if (abs)
		strbuf_addc(&out, '/');
	size_t floor = out.len;
	for (const char *p = in.buf; *p;) {
		size_t n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (out.len > floor + ups * 3) {
				/* drop the last segment */
				while (out.len > floor && out.buf[out.len - 1] != '/')
					out.len--;
				if (out.len > floor)
					out.len--;
				out.buf[out.len] = '\0';
			} else if (!abs) {
				if (out.len > floor)
					strbuf_addc(&out, '/');
				strbuf_adds(&out, "..");
				ups++;
			}
		} else {
			if (out.len > floor)
				strbuf_addc(&out, '/');
			strbuf_add(&out, p, n);
		}
		p += n;
		if (*p == '/')
			p++;
	}
	/* a path that ended in '/' or "." names a directory: keep that visible */
	if (!out.len)
		strbuf_addc(&out, '.');
	strbuf_release(&in);
	return strbuf_detach(&out, NULL);
}

static const char *kind_of(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsArray(v))
		return "an array";
	return "an object";
}

/* The length of a URI scheme and its ':' at the start of s[0..n), or 0. */
static size_t scheme_len(const char *s, size_t n)
{
	if (!n || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return 0;
	for (size_t i = 1; i < n; i++) {
		char c = s[i];
		if (c == ':')
			return i + 1;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
		      c == '-' || c == '.'))
			return 0;
	}
	return 0;
}

/* A JSON pointer token as written back (~ and / escaped), for messages. */
static void add_token(struct strbuf *sb, const char *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (t[i] == '~')
			strbuf_adds(sb, "~0");
		else if (t[i] == '/')
			strbuf_adds(sb, "~1");
		else
			strbuf_addc(sb, t[i]);
	}
}

/* The pointer (decoded: "/a/b~1c") into root; NULL with the reason in why (when not NULL),
 * after "does not resolve: ". where is how the file part was written ("" for this file). */
static const cJSON *walk_pointer(const cJSON *root, const char *ptr, const char *where, struct strbuf *why)
{
	struct strbuf tok = STRBUF_INIT, done = STRBUF_INIT;
	char q[QUOTE_MAX], q2[QUOTE_MAX];
	const cJSON *at = root;
	strbuf_adds(&done, where);
	strbuf_addc(&done, '#');
	const char *p = ptr;
	while (at && *p == '/') {
		p++;
		size_t n = strcspn(p, "/");
		strbuf_reset(&tok);
		strbuf_add(&tok, "", 0);
		for (size_t i = 0; i < n; i++) {
			if (p[i] != '~') {
				strbuf_addc(&tok, p[i]);
			} else if (i + 1 < n && (p[i + 1] == '0' || p[i + 1] == '1')) {
				strbuf_addc(&tok, p[i + 1] == '0' ? '~' : '/');
				i++;
			} else {
				if (why)
					strbuf_addf(why, "'~' must be followed by 0 or 1 ('~0' is '~', '~1' is '/')");
				at = NULL;
				goto out;
			}
		}
		const cJSON *next = NULL;
		if (cJSON_IsObject(at)) {
			next = cJSON_GetObjectItemCaseSensitive(at, tok.buf);
			if (!next && why) {
				if (done.len == strlen(where) + 1)
					strbuf_addf(why, "no member %s at the top of %s", quoted(q, tok.buf),
						    *where ? quoted(q2, where) : "this file");
				else
					strbuf_addf(why, "no member %s in %s", quoted(q, tok.buf), quoted(q2, done.buf));
			}
		} else if (cJSON_IsArray(at)) {
			size_t idx = 0, size = (size_t)cJSON_GetArraySize(at);
			bool num = tok.len > 0 && (tok.len == 1 || tok.buf[0] != '0');
			for (size_t i = 0; num && i < tok.len; i++) {
				if (!numtext_is_digit(tok.buf[i]) || idx > (SIZE_MAX - 9) / 10)
					num = false;
				else
					idx = idx * 10 + (size_t)(tok.buf[i] - '0');
			}
			if (!num) {
				if (why)
					strbuf_addf(why, "%s is not an index into the array %s", quoted(q, tok.buf),
						    quoted(q2, done.buf));
			} else if (idx >= size) {
				if (why)
					strbuf_addf(why, "no item %zu in %s (it has %zu)", idx, quoted(q2, done.buf), size);
			} else {
				next = cJSON_GetArrayItem(at, (int)idx);
			}
		} else if (why) {
			strbuf_addf(why, "%s is %s, not an object or an array", quoted(q2, done.buf), kind_of(at));
		}
		strbuf_addc(&done, '/');
		add_token(&done, tok.buf, tok.len);
		at = next;
		p += n;
	}
out:
	strbuf_release(&tok);
	strbuf_release(&done);
	return at;
}

/* What ref, written in file from, points to. With ld (during load) it reads the files it
 * names, on behalf of by (the record ref comes from: a '$ref' or a 'mapping' value in
 * messages); after load (ld and by NULL) only files read then are reached. NULL when it
 * does not resolve, with a whole message in why when why is not NULL (left empty when
 * the file it names did not read: that file's own message says why). */
static const cJSON *resolve_ref(const struct openapi_doc *d, struct loader *ld, struct doc_file *from,
				const char *ref, const struct ref_rec *by, struct strbuf *why)
{
	const char *label = by && by->mapping ? "'mapping' value" : "'$ref'";
	char q[QUOTE_MAX];
	const char *hash = strchr(ref, '#');
	size_t flen = hash ? (size_t)(hash - ref) : strlen(ref);
	struct strbuf buf = STRBUF_INIT, where = STRBUF_INIT;
	const cJSON *target = NULL;
	struct doc_file *f = from;
	quoted(q, ref);
	if (flen) {
		size_t sl = scheme_len(ref, flen);
		if ((sl == 5 && strncasecmp(ref, "http:", 5) == 0) || (sl == 6 && strncasecmp(ref, "https:", 6) == 0) ||
		    (flen >= 2 && ref[0] == '/' && ref[1] == '/')) {
			if (why)
				strbuf_addf(why, "remote %s %s is not supported: download it and refer to the local file",
					    label, q);
			goto out;
		}
		if (sl) {
			if (why)
				strbuf_addf(why, "%s %s is not supported: a reference is a path to a local file and "
						 "a '#' pointer into it", label, q);
			goto out;
		}
		if (!percent_decode(ref, flen, &buf)) {
			if (why)
				strbuf_addf(why, "%s %s does not resolve: a bad percent escape in its file name", label, q);
			goto out;
		}
		char *path = join_path(from->path, buf.buf);
		f = hmap_get(&d->by_path, path);
		if (!f && ld)
			f = read_file(ld, path, from, by);
		free(path);
		if (!f || !f->root)
			goto out;
		strbuf_add(&where, ref, flen);
	}
	if (!hash || !hash[1]) {
		target = f->root;
		goto out;
	}
	if (!percent_decode(hash + 1, strlen(hash + 1), &buf)) {
		if (why)
			strbuf_addf(why, "%s %s does not resolve: a bad percent escape in its '#' pointer", label, q);
		goto out;
	}
	if (buf.buf[0] != '/') {
		if (why)
			strbuf_addf(why, "%s %s does not resolve: what follows '#' must be a JSON pointer ('#/a/b'); "
					 "anchors ('#name') are not supported", label, q);
		goto out;
	}
	struct strbuf reason = STRBUF_INIT;
	target = walk_pointer(f->root, buf.buf, strbuf_str(&where), why ? &reason : NULL);
	if (!target && why)
		strbuf_addf(why, "%s %s does not resolve: %s", label, q, reason.buf);
	strbuf_release(&reason);
out:
	strbuf_release(&buf);
	strbuf_release(&where);
	return target;
}

static void resolve_rec(struct loader *ld, size_t i)
{
	struct ref_rec r = ld->refs[i];      /* a copy: reading a file may move ld->refs */
	const char *ref = r.item->valuestring;
	const cJSON *t = hmap_get(&r.file->cache, ref);
	if (!t) {
		struct strbuf why = STRBUF_INIT;
		t = resolve_ref(ld->d, ld, r.file, ref, &r, &why);
		if (t)
			hmap_put(&r.file->cache, ref, (void *)t);
		else if (why.len && !r.mapping)
			/* a discriminator's mapping that names nothing is not an error: the schema
			 * compiler tries the branches without it (bundled specs keep the names of
			 * files they did not bundle) */
			pend_add(ld, r.file, r.item, false, "%s", why.buf);
		strbuf_release(&why);
	}
	ld->refs[i].target = t;
	if (t)
		pmap_put(&ld->d->targets, r.item, t);
}

/* The record of the "$ref" member of node, when node is an object with one that resolved. */
static size_t next_in_chain(const struct loader *ld, const cJSON *node)
{
	if (!cJSON_IsObject(node))
		return 0;
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(node, "$ref");
	if (!cJSON_IsString(r))
		return 0;
	size_t k = (size_t)(uintptr_t)pmap_get(&ld->rec_of, r);
	return k && ld->refs[k - 1].target ? k : 0;
}

/* Follows each chain of $refs once; a chain that meets itself is a cycle, told at its
 * first $ref in the order they were met. */
static void find_cycles(struct loader *ld)
{
	size_t *chain = xmalloc((ld->nrefs + 1) * sizeof(*chain));
	char q[QUOTE_MAX];
	for (size_t i = 0; i < ld->nrefs; i++) {
		size_t n = 0, k = i + 1;
		while (k && ld->refs[k - 1].state == 0) {
			ld->refs[k - 1].state = 1;
			chain[n++] = k - 1;
			k = ld->refs[k - 1].target ? next_in_chain(ld, ld->refs[k - 1].target) : 0;
		}
		if (k && ld->refs[k - 1].state == 1) {
			size_t start = 0;
			while (chain[start] != k - 1)
				start++;
			size_t first = start;
			for (size_t j = start; j < n; j++)
				if (chain[j] < chain[first])
					first = j;
			const struct ref_rec *r = &ld->refs[chain[first]];
			struct pending *p = pend_add(ld, r->file, r->item, false, "'$ref' %s leads back to itself",
						     quoted(q, r->item->valuestring));
			size_t len = n - start;
			for (size_t j = 1; p && j < len; j++) {
				const struct ref_rec *o = &ld->refs[chain[start + (first - start + j) % len]];
				if (p->nvia == VIA_MAX) {
					p->via_more = true;
					break;
				}
				p->via[p->nvia++] = (struct spot){ o->file, o->item, false };
			}
		}
		for (size_t j = 0; j < n; j++)
			ld->refs[chain[j]].state = 2;
	}
	free(chain);
}

/* ---- locating nodes ---- */

/* Where a wanted node stands: its value, and its key when it is a member. */
struct loc {
	int line, col;
	int kline, kcol;
	bool found;
};

struct locating {
	const struct pmap *want;    /* node -> struct loc */
	size_t left;                /* wanted nodes not found yet */
};

static void found(struct locating *lc, const cJSON *c, int line, int col, int kline, int kcol)
{
	struct loc *l = (struct loc *)pmap_get(lc->want, c);
	if (!l || l->found)
		return;
	*l = (struct loc){ line, col, kline, kcol, true };
	lc->left--;
}

static void locate_yaml_walk(struct locating *lc, const cJSON *c, const struct ynode *y, const struct ynode *key)
{
	found(lc, c, y->line, y->col, key ? key->line : 0, key ? key->col : 0);
	if (cJSON_IsObject(c) && y->kind == YNODE_MAPPING) {
		size_t i = 0;
		for (const cJSON *m = c->child; m && lc->left && i + 1 < y->n; m = m->next, i += 2)
			locate_yaml_walk(lc, m, y->kids[i + 1], y->kids[i]);
	} else if (cJSON_IsArray(c) && y->kind == YNODE_SEQUENCE) {
		size_t i = 0;
		for (const cJSON *m = c->child; m && lc->left && i < y->n; m = m->next, i++)
			locate_yaml_walk(lc, m, y->kids[i], NULL);
	}
}

/* A scan of JSON text that cJSON has read, in step with its tree. */
struct jscan {
	const unsigned char *s;
	size_t len, pos;
	size_t at;                  /* where line and col were counted up to */
	int line, col;
	struct locating *lc;
};

static void jscan_where(struct jscan *j, size_t off, int *line, int *col)
{
	/* positions only move forward: counting from the last one keeps the scan linear */
	for (; j->at < off && j->at < j->len; j->at++) {
		if (j->s[j->at] == '\n') {
			j->line++;
			j->col = 1;
		} else if ((j->s[j->at] & 0xC0) != 0x80) {
			j->col++;
		}
	}
	*line = j->line;
	*col = j->col;
}

static void jscan_ws(struct jscan *j)
{
	/* as cJSON skips: every byte up to the space */
	while (j->pos < j->len && j->s[j->pos] <= 32)
		j->pos++;
}

static void jscan_string(struct jscan *j)
{
	j->pos++;
	while (j->pos < j->len && j->s[j->pos] != '"')
		j->pos += j->s[j->pos] == '\\' ? 2 : 1;
	j->pos++;
}

static void jscan_value(struct jscan *j, const cJSON *c, size_t keypos)
{
	jscan_ws(j);
	if (j->pos >= j->len)
		return;
	if (pmap_get(j->lc->want, c)) {
		int line, col, kline = 0, kcol = 0;
		if (keypos != SIZE_MAX)
			jscan_where(j, keypos, &kline, &kcol);
		jscan_where(j, j->pos, &line, &col);
		found(j->lc, c, line, col, kline, kcol);
	}
	unsigned char ch = j->s[j->pos];
	if ((ch == '{' && cJSON_IsObject(c)) || (ch == '[' && cJSON_IsArray(c))) {
		j->pos++;
		for (const cJSON *m = c->child; m && j->lc->left; m = m->next) {
			jscan_ws(j);
			size_t kp = SIZE_MAX;
			if (ch == '{') {
				kp = j->pos;
				jscan_string(j);
				jscan_ws(j);
				j->pos++;     /* ':' */
			}
			jscan_value(j, m, kp);
			jscan_ws(j);
			if (j->pos < j->len && j->s[j->pos] == ',')
				j->pos++;
		}
		jscan_ws(j);
		j->pos++;
	} else if (ch == '"') {
		jscan_string(j);
	} else {
		/* a number or a literal */
		while (j->pos < j->len && j->s[j->pos] > 32 && !strchr(",]}", j->s[j->pos]))
			j->pos++;
	}
}

/* Fills the wanted locations of nodes in f's tree, parsing its text again. */
static void locate_in(const struct doc_file *f, const struct pmap *want, size_t nwant)
{
	struct locating lc = { want, nwant };
	if (!f->root || !nwant)
		return;
	if (f->json) {
		struct jscan j = { (const unsigned char *)f->text + f->skip, f->len - f->skip, 0, 0, 1, 1, &lc };
		jscan_value(&j, f->root, SIZE_MAX);
		return;
	}
	struct diag_list quiet = DIAG_LIST_INIT;
	struct yaml_reader *yr = yaml_open(f, &quiet);
	const struct ynode *root = NULL;
	if (yaml_reader_next(yr, &root) > 0 && root)
		locate_yaml_walk(&lc, f->root, root, NULL);
	yaml_reader_destroy(yr);
	diag_list_release(&quiet);
}

static bool holds(const cJSON *tree, const cJSON *node)
{
	if (tree == node)
		return true;
	if (cJSON_IsObject(tree) || cJSON_IsArray(tree))
		for (const cJSON *c = tree->child; c; c = c->next)
			if (holds(c, node))
				return true;
	return false;
}

static const struct doc_file *file_of(const struct openapi_doc *d, const cJSON *node)
{
	for (size_t i = 0; node && i < d->nfiles; i++)
		if (d->files[i]->root && holds(d->files[i]->root, node))
			return d->files[i];
	return NULL;
}

/* Locates every pending problem, a file at a time, and tells them in the order found. */
static void flush_pending(struct loader *ld)
{
	struct openapi_doc *d = ld->d;
	struct pmap *want = xcalloc(d->nfiles, sizeof(*want));
	size_t *nwant = xcalloc(d->nfiles, sizeof(*nwant));
	for (size_t i = 0; i < ld->npend; i++) {
		struct pending *p = &ld->pend[i];
		for (size_t k = 0; k <= p->nvia; k++) {
			struct spot *s = k ? &p->via[k - 1] : &p->at;
			size_t fi = s->file->index;
			if (!pmap_get(&want[fi], s->node)) {
				pmap_put(&want[fi], s->node, xcalloc(1, sizeof(struct loc)));
				nwant[fi]++;
			}
		}
	}
	for (size_t fi = 0; fi < d->nfiles; fi++)
		locate_in(d->files[fi], &want[fi], nwant[fi]);
	for (size_t i = 0; i < ld->npend; i++) {
		struct pending *p = &ld->pend[i];
		struct strbuf sb = STRBUF_INIT;
		char q[QUOTE_MAX];
		strbuf_adds(&sb, p->msg);
		for (size_t k = 0; k < p->nvia; k++) {
			const struct loc *l = pmap_get(&want[p->via[k].file->index], p->via[k].node);
			strbuf_addf(&sb, "%s %s (%s:%d:%d)", k ? "," : " through", quoted(q, p->via[k].node->valuestring),
				    p->via[k].file->path, l->line, l->col);
		}
		if (p->via_more)
			strbuf_adds(&sb, ", ...");
		const struct loc *l = pmap_get(&want[p->at.file->index], p->at.node);
		diag_add(ld->diags, p->at.file->path, p->at.key ? l->kline : l->line, p->at.key ? l->kcol : l->col, "%s",
			 sb.buf);
		strbuf_release(&sb);
		free(p->msg);
	}
	for (size_t fi = 0; fi < d->nfiles; fi++) {
		for (size_t k = 0; k < want[fi].cap; k++)
			free((void *)want[fi].v[k].val);
		pmap_release(&want[fi]);
	}
	free(want);
	free(nwant);
	ld->diags->dropped += ld->unlisted;
}

/* ---- the interface ---- */

static int disk_read(void *cls, const char *path, size_t max, char **text, size_t *len, char **id)
{
	(void)cls;
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > max)
		return -EFBIG;
	int rc = stub_file_read(path, text, len);
	if (rc < 0)
		return rc;
	if (*len > max) {
		free(*text);
		return -EFBIG;
	}
	*id = realpath(path, NULL);
	return 0;
}

struct openapi_doc *openapi_doc_load(const char *file, struct diag_list *diags)
{
	const struct openapi_doc_reader disk = { disk_read, NULL };
	return openapi_doc_load_with(file, &disk, diags);
}

struct openapi_doc *openapi_doc_load_with(const char *file, const struct openapi_doc_reader *rd,
					  struct diag_list *diags)
{
	struct openapi_doc *d = xcalloc(1, sizeof(*d));
	struct loader ld = { .d = d, .rd = rd, .diags = diags };
	size_t before = diags->n + diags->dropped;
	read_file(&ld, file, NULL, NULL);
	/* reading a file appends its refs: the loop meets them too */
	for (size_t i = 0; i < ld.nrefs; i++)
		resolve_rec(&ld, i);
	find_cycles(&ld);
	flush_pending(&ld);
	for (size_t i = 0; i < d->nfiles; i++)
		hmap_release(&d->files[i]->cache, NULL);
	free(ld.refs);
	free(ld.pend);
	pmap_release(&ld.rec_of);
	if (diags->n + diags->dropped != before || !d->files[0]->root) {
		openapi_doc_destroy(d);
		return NULL;
	}
	/* the files read: a discriminator mapping may name one that is not there, which
	 * is not an error (resolve_rec) and not a file of the spec */
	d->paths = xmalloc(d->nfiles * sizeof(*d->paths));
	for (size_t i = 0; i < d->nfiles; i++)
		if (d->files[i]->text || i == 0)
			d->paths[d->npaths++] = d->files[i]->path;
	return d;
}

void openapi_doc_destroy(struct openapi_doc *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nfiles; i++) {
		struct doc_file *f = d->files[i];
		cJSON_Delete(f->root);
		hmap_release(&f->cache, NULL);
		free(f->path);
		free(f->id);
		free(f->text);
		free(f);
	}
	free(d->files);
	free(d->paths);
	hmap_release(&d->by_path, NULL);
	hmap_release(&d->by_id, NULL);
	pmap_release(&d->targets);
	free(d);
}

const cJSON *openapi_doc_root(const struct openapi_doc *d)
{
	return d->files[0]->root;
}

const cJSON *openapi_doc_resolve(void *cls, const char *ref, const cJSON *at)
{
	const struct openapi_doc *d = cls;
	if (!d || !ref)
		return NULL;
	if (at) {
		const cJSON *t = pmap_get(&d->targets, at);
		if (t && cJSON_IsString(at) && strcmp(at->valuestring, ref) == 0)
			return t;
	}
	const struct doc_file *from = at ? file_of(d, at) : NULL;
	return resolve_ref(d, NULL, (struct doc_file *)(from ? from : d->files[0]), ref, NULL, NULL);
}

const cJSON *openapi_doc_deref(const struct openapi_doc *d, const cJSON *node)
{
	/* load refused cycles; the bound only guards against a node not from d */
	for (size_t steps = 0; steps <= d->targets.n; steps++) {
		if (!cJSON_IsObject(node))
			return node;
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(node, "$ref");
		const cJSON *t = cJSON_IsString(r) ? pmap_get(&d->targets, r) : NULL;
		if (!t)
			return node;
		node = t;
	}
	return node;
}

void openapi_doc_locate(const struct openapi_doc *d, const cJSON *node, const char **file, int *line, int *col)
{
	*file = d->files[0]->path;
	*line = *col = 0;
	const struct doc_file *f = file_of(d, node);
	if (!f)
		return;
	struct pmap want = PMAP_INIT;
	struct loc l = { 0 };
	pmap_put(&want, node, &l);
	locate_in(f, &want, 1);
	pmap_release(&want);
	*file = f->path;
	*line = l.line;
	*col = l.col;
}

void openapi_doc_locate_many(const struct openapi_doc *d, const cJSON *const *nodes, size_t n,
			     struct openapi_doc_loc *out)
{
	struct loc *locs = xcalloc(n ? n : 1, sizeof(*locs));
	size_t left = 0;
	for (size_t i = 0; i < n; i++)
		out[i] = (struct openapi_doc_loc){ d->files[0]->path, 0, 0 };
	/* a file at a time, with every node not found yet: one walk per file, which stops
	 * once it has found them all */
	for (size_t fi = 0; fi < d->nfiles; fi++) {
		struct pmap want = PMAP_INIT;
		left = 0;
		for (size_t i = 0; i < n; i++)
			if (!locs[i].found && nodes[i] && !pmap_get(&want, nodes[i])) {
				pmap_put(&want, nodes[i], &locs[i]);
				left++;
			}
		if (!left) {
			pmap_release(&want);
			break;
		}
		locate_in(d->files[fi], &want, left);
		pmap_release(&want);
		for (size_t i = 0; i < n; i++)
			if (locs[i].found && !out[i].line) {
				out[i] = (struct openapi_doc_loc){ d->files[fi]->path, locs[i].line, locs[i].col };
			}
	}
	/* a node given twice shares the first one's location */
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; !out[i].line && nodes[i] && k < i; k++)
			if (nodes[k] == nodes[i])
				out[i] = out[k];
	free(locs);
}

const char *const *openapi_doc_files(const struct openapi_doc *d, size_t *n)
{
	*n = d->npaths;
	return d->paths;
}
