/* SPDX-License-Identifier: MIT */
/* Fuzz target: the OpenAPI reader (src/openapi_doc.h) over files given from memory. The
 * input is the spec "api.yaml", then more files, each after a line "@@ NAME" (say
 * "@@ schemas/pet.json"); `$ref`s between them ("schemas/pet.json#/Pet", "../api.yaml#/x",
 * "#/a/b"), chains that come back, broken pointers, YAML and JSON all occur. A name that is
 * not among them reads as a missing file.
 *
 * What must hold: the load gives a document or errors, never both, never neither; every
 * error is located in one of the files, on a line inside it; in a document, following any
 * node's `$ref`s (openapi_doc_deref) ends on a node that is not a resolved `$ref` any more,
 * every recorded `$ref` resolves again to the same node, and nodes locate into the files
 * read, on lines inside them; nothing crashes, hangs or leaks. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "diag.h"
#include "openapi_doc.h"

#define MAX_FILES 16
#define MAX_LOCATES 24

struct vfile {
	const char *name;   /* NUL-terminated, in the copy of the input */
	const char *text;
	size_t len;
	size_t lines;       /* the most a location's line may be */
};

struct vfs {
	struct vfile f[MAX_FILES];
	size_t n;
};

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_openapi_doc: %s\n%.400s\n", what, detail ? detail : "");
	abort();
}

/* Lines as either reader may count them: LF, CR, NEL, LS, PS all start one. */
static size_t count_lines(const char *s, size_t n)
{
	size_t lines = 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		lines += c == '\n' || c == '\r' || (c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] == 0x85) ||
			 (c == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
			  ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9));
	}
	return lines;
}

static const struct vfile *vfs_find(const struct vfs *v, const char *name)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->f[i].name, name) == 0)
			return &v->f[i];
	return NULL;
}

static int vfs_read(void *cls, const char *path, size_t max, char **text, size_t *len, char **id)
{
	const struct vfile *f = vfs_find(cls, path);
	if (!f)
		return -ENOENT;
	if (f->len > max)
		return -EFBIG;
	*text = malloc(f->len + 1);
	*id = strdup(f->name);
	if (!*text || !*id)
		abort();
	memcpy(*text, f->text, f->len);
	(*text)[f->len] = '\0';
	*len = f->len;
	return 0;
}

/* Splits the copy s[0..n) of the input in place at its "@@ NAME" lines. */
static void vfs_split(struct vfs *v, char *s, size_t n)
{
	v->n = 0;
	v->f[v->n++] = (struct vfile){ "api.yaml", s, n, 0 };
	for (size_t i = 0; i < n && v->n < MAX_FILES; i++) {
		if ((i && s[i - 1] != '\n') || n - i < 3 || memcmp(s + i, "@@ ", 3) != 0)
			continue;
		v->f[v->n - 1].len = i - (size_t)(v->f[v->n - 1].text - s);
		char *name = s + i + 3;
		char *eol = memchr(name, '\n', n - (size_t)(name - s));
		if (!eol)
			break;
		*eol = '\0';
		v->f[v->n++] = (struct vfile){ name, eol + 1, n - (size_t)(eol + 1 - s), 0 };
		i = (size_t)(eol - s);
	}
	for (size_t i = 0; i < v->n; i++)
		v->f[i].lines = count_lines(v->f[i].text, v->f[i].len);
}

struct walk {
	const struct openapi_doc *d;
	const struct vfs *v;
	size_t locates;
};

static void check_located(struct walk *w, const cJSON *node)
{
	if (w->locates >= MAX_LOCATES)
		return;
	w->locates++;
	const char *file;
	int line, col;
	openapi_doc_locate(w->d, node, &file, &line, &col);
	const struct vfile *f = vfs_find(w->v, file);
	if (!f)
		fail("a node located in a file that was not read", file);
	if (line < 1 || (size_t)line > f->lines + 1 || col < 1)
		fail("a node located outside its file", file);
}

static void walk_tree(struct walk *w, const cJSON *node, unsigned depth)
{
	if (depth > 1200)
		fail("a tree deeper than cJSON parses", NULL);
	const cJSON *t = openapi_doc_deref(w->d, node);
	if (openapi_doc_deref(w->d, t) != t)
		fail("deref does not end on a node that is not a $ref", NULL);
	if (cJSON_IsString(node) && node->string && strcmp(node->string, "$ref") == 0) {
		const cJSON *target = openapi_doc_resolve((void *)w->d, node->valuestring, node);
		if (target) {
			check_located(w, target);
			if (openapi_doc_resolve((void *)w->d, node->valuestring, node) != target)
				fail("a $ref resolves to two nodes", node->valuestring);
		}
	}
	if (depth % 3 == 0)
		check_located(w, node);
	if (cJSON_IsObject(node) || cJSON_IsArray(node))
		for (const cJSON *c = node->child; c; c = c->next)
			walk_tree(w, c, depth + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1);
	if (!copy)
		abort();
	memcpy(copy, data, size);
	copy[size] = '\0';
	struct vfs v;
	vfs_split(&v, copy, size);
	struct openapi_doc_reader rd = { vfs_read, &v };
	struct diag_list diags = DIAG_LIST_INIT;
	struct openapi_doc *d = openapi_doc_load_with("api.yaml", &rd, &diags);
	if (d && (diags.n || diags.dropped))
		fail("a document and errors", diags.items[0].msg);
	if (!d && !diags.n)
		fail("no document and no error", NULL);
	for (size_t i = 0; i < diags.n; i++) {
		const struct diag *e = &diags.items[i];
		const struct vfile *f = e->file ? vfs_find(&v, e->file) : NULL;
		if (!f)
			fail("an error in a file that is not there", e->msg);
		if (e->line < 0 || (size_t)e->line > f->lines + 1)
			fail("an error outside its file", e->msg);
		if (!e->msg[0])
			fail("an error without a message", e->file);
	}
	if (d) {
		size_t n;
		const char *const *files = openapi_doc_files(d, &n);
		if (!n || strcmp(files[0], "api.yaml") != 0)
			fail("the spec is not the first file", NULL);
		for (size_t i = 0; i < n; i++)
			if (!vfs_find(&v, files[i]))
				fail("a file listed that was not read", files[i]);
		struct walk w = { d, &v, 0 };
		walk_tree(&w, openapi_doc_root(d), 0);
		openapi_doc_resolve(d, "#/components/schemas/Pet", NULL);
		openapi_doc_resolve(d, "#/components/schemas/Pet", openapi_doc_root(d));
	}
	openapi_doc_destroy(d);
	diag_list_release(&diags);
	free(copy);
	return 0;
}
