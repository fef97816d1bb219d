/* SPDX-License-Identifier: MIT */
/* The stub loader's entry points: which text is read as which file, document by document
 * through yaml_tree, each document compiled as soon as it is read (so its errors come
 * before a syntax error further down), and the all-or-nothing result. */
#include "stub_load.h"

#include <stdlib.h>
#include <string.h>

#include "load.h"
#include "util/xalloc.h"

static void load_text(struct loader *ld, const char *buf, size_t len)
{
	struct yaml_reader *yr = yaml_reader_create(ld->file, buf, len, ld->diags);
	const struct ynode *root;
	ld->index = 0;
	ld->yr = yr;
	while (yaml_reader_next(yr, &root) > 0)
		load_doc(ld, root);
	ld->yr = NULL;
	yaml_reader_destroy(yr);
}

static void load_file(struct loader *ld, const char *top, const char *rel)
{
	char *file = stub_path_join(top, rel);
	char *slash = strrchr(file, '/');
	char *dir = slash == file ? xstrdup("/") : xstrndup(file, (size_t)(slash - file));
	char *buf = NULL;
	size_t len = 0;
	load_result_add_path(ld->res, file);
	ld->res->nfiles++;
	/* the result's copy lasts as long as the loader: what ids remember of their file */
	ld->file = ld->res->paths[ld->res->npaths - 1];
	ld->stub_file = ld->file;
	ld->relpath = rel;
	ld->runtime = false;
	ld->pool = true;
	ld->file_dir = dir;
	int rc = stub_file_read(file, &buf, &len);
	if (rc < 0)
		diag_add(ld->diags, file, 0, 0, "cannot read file: %s", strerror(-rc));
	else
		load_text(ld, buf, len);
	free(buf);
	free(dir);
	free(file);
	ld->file = ld->stub_file = ld->relpath = ld->file_dir = NULL;
	ld->pool = false;
}

/* A loader filling out (emptied first); returns the error count to compare with at the end. */
static size_t start(struct loader *ld, struct load_result *out, struct diag_list *diags)
{
	memset(ld, 0, sizeof(*ld));
	memset(out, 0, sizeof(*out));
	ld->diags = diags;
	ld->res = out;
	return load_nerrors(ld);
}

static int finish(struct loader *ld, size_t before)
{
	load_ids_release(ld);
	if (load_nerrors(ld) == before)
		return 0;
	load_result_release(ld->res);
	return -1;
}

int stub_load_dirs(const char *const *dirs, size_t ndirs, struct load_result *out, struct diag_list *diags)
{
	struct loader ld;
	size_t before = start(&ld, out, diags);
	for (size_t i = 0; i < ndirs; i++) {
		struct stub_root root = stub_root_of(dirs[i]);
		struct stub_file *files = NULL;
		size_t nfiles = stub_load_list(root.shown, &files, diags);
		ld.root_shown = root.shown;
		ld.root_real = root.real;
		for (size_t j = 0; j < nfiles; j++)
			load_file(&ld, root.shown, files[j].rel);
		stub_files_release(files, nfiles);
		stub_root_release(&root);
	}
	return finish(&ld, before);
}

int stub_load_file(const char *top, const char *root_real, const char *rel, struct load_result *out,
		   struct diag_list *diags)
{
	struct loader ld;
	size_t before = start(&ld, out, diags);
	ld.root_shown = top;
	ld.root_real = root_real;
	load_file(&ld, top, rel);
	return finish(&ld, before);
}

int stub_load_string(const char *text, size_t len, const char *label, const char *base_dir,
		     bool runtime, struct load_result *out, struct diag_list *diags)
{
	struct loader ld;
	size_t before = start(&ld, out, diags);
	char *real = base_dir ? realpath(base_dir, NULL) : NULL;
	ld.file = label ? label : "<input>";
	ld.stub_file = runtime ? NULL : ld.file;
	ld.relpath = ld.file;
	ld.runtime = runtime;
	ld.file_dir = base_dir;
	ld.root_shown = base_dir;
	ld.root_real = real;
	load_text(&ld, text, len);
	free(real);
	return finish(&ld, before);
}

int stub_load_matcher(const char *text, size_t len, const char *label, const char *member_key,
		      struct stub **out, struct diag_list *diags)
{
	struct loader ld;
	struct load_result res;
	size_t before = start(&ld, &res, diags);
	ld.file = label ? label : "<input>";
	ld.relpath = ld.file;
	ld.runtime = true;
	ld.matcher_mode = true;
	ld.matcher_member = member_key;
	load_text(&ld, text, len);
	if (!ld.docs && load_nerrors(&ld) == before)
		load_matcher_doc(&ld, NULL);
	finish(&ld, before);
	if (load_nerrors(&ld) != before) {
		stub_destroy(ld.matcher);
		*out = NULL;
		return -1;
	}
	*out = ld.matcher;
	return 0;
}


/* Whether v is what a data file's top-level key may hold; else an error at v. */
static bool data_value_ok(struct loader *ld, const struct ynode *k, const struct ynode *v)
{
	if (v->kind == YNODE_MAPPING)
		return true;
	if (v->kind == YNODE_SEQUENCE) {
		for (size_t i = 0; i < v->n; i++)
			if (v->kids[i]->kind != YNODE_MAPPING) {
				load_err(ld, v->kids[i], "item %zu of collection %s must be an object, got %s", i,
					 load_shown(ld, k->text, k->len), load_got(ld, v->kids[i]));
				return false;
			}
		return true;
	}
	load_err(ld, v, "%s must be an array of objects (a collection) or an object (a singular resource), got %s",
		 load_shown(ld, k->text, k->len), load_got(ld, v));
	return false;
}

static cJSON *data_from_yaml(const char *file, const char *text, size_t len, struct diag_list *diags)
{
	struct loader ld;
	struct load_result res;
	size_t before = start(&ld, &res, diags);
	ld.file = file;
	ld.relpath = file;
	struct yaml_reader *yr = yaml_reader_create(file, text, len, diags);
	/* a node takes at least two bytes of text unless aliases repeat it: a data file may
	 * have as many nodes as bytes, and an alias bomb stays bounded by its size */
	if (len > YAML_TREE_MAX_NODES)
		yaml_reader_set_max_nodes(yr, len);
	ld.yr = yr;
	const struct ynode *root = NULL;
	cJSON *out = NULL;
	int rc = yaml_reader_next(yr, &root);
	if (rc > 0 && root->kind != YNODE_MAPPING) {
		load_err(&ld, root, "a data file must be an object whose keys are collections (arrays of objects) or "
				    "singular resources (objects), got %s",
			 load_got(&ld, root));
	} else if (rc > 0) {
		bool ok = true;
		for (size_t i = 0; i + 1 < root->n; i += 2)
			ok &= load_key_ok(&ld, root->kids[i]) && data_value_ok(&ld, root->kids[i], root->kids[i + 1]);
		if (ok)
			out = load_json(&ld, root, 0);
		const struct ynode *more = NULL;
		if (yaml_reader_next(yr, &more) > 0)
			load_err(&ld, more, "a data file holds one document; this is a second one");
	} else if (rc == 0 && load_nerrors(&ld) == before) {
		diag_add(diags, file, 0, 0, "the data file is empty: expected an object of collections, e.g. "
					    "{\"users\": [{\"id\": 1, \"name\": \"Ada\"}]}");
	}
	ld.yr = NULL;
	yaml_reader_destroy(yr);
	load_ids_release(&ld);
	load_result_release(&res);
	if (load_nerrors(&ld) != before) {
		cJSON_Delete(out);
		return NULL;
	}
	return out;
}

/* A data file that is JSON libyaml cannot read (a key longer than YAML's 1024-character
 * limit for a simple key: a store's own --crud-save dump can write one), read as JSON:
 * an object whose values are objects or arrays of objects; else NULL. */
static cJSON *data_from_json(const char *text, size_t len)
{
	cJSON *root = json_parse(text, len, NULL);
	bool ok = cJSON_IsObject(root);
	for (const cJSON *v = ok ? root->child : NULL; v && ok; v = v->next) {
		ok = cJSON_IsObject(v) || cJSON_IsArray(v);
		for (const cJSON *item = cJSON_IsArray(v) ? v->child : NULL; item && ok; item = item->next)
			ok = cJSON_IsObject(item);
	}
	if (!ok) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

cJSON *stub_load_data(const char *file, const char *text, size_t len, struct diag_list *diags)
{
	struct diag_list local = DIAG_LIST_INIT;
	cJSON *out = data_from_yaml(file, text, len, &local);
	if (!out)
		out = data_from_json(text, len);
	if (!out)
		diag_list_move(diags, &local);
	diag_list_release(&local);
	return out;
}
