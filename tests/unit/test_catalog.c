/* SPDX-License-Identifier: MIT */
/* catalog.h: the file stubs of DIR "stubs" (YAML files in a fresh temporary directory) and
 * the runtime stubs, published to a slot as numbered generations: loading, reloading (a
 * failed reload keeps the last good load), adding and removing runtime stubs (all or
 * nothing, ids never reused), the counters, the files_read hook and the per-set hooks. */
#include <criterion/criterion.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "diag.h"
#include "slot.h"
#include "stub.h"
#include "stub_set.h"
#include "testutil.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static const char *dirs[] = { "stubs" };
static struct slot *slot;
static struct catalog *catalog;

/* files_read: how often, and the paths of the last call, each followed by a space */
static unsigned nfiles_read;
static struct strbuf files_seen = STRBUF_INIT;

static void files_read(void *cls, char **paths, size_t n)
{
	cr_assert_eq(cls, &files_seen);
	nfiles_read++;
	strbuf_reset(&files_seen);
	for (size_t i = 0; i < n; i++) {
		strbuf_addf(&files_seen, "%s ", paths[i]);
		free(paths[i]);
	}
	free(paths);
}

/* the per-set hooks: how many sets were prepared and released */
static atomic_uint nprepared, nreleased;   /* released: by whichever thread lets go last */

static void *prepare(const struct stub_set *set, void *cls)
{
	(void)set;
	(void)cls;
	nprepared++;
	return xstrdup("per-set data");
}

static void release(void *data, size_t n, void *cls)
{
	(void)n;
	(void)cls;
	nreleased++;
	free(data);
}

static const struct stub_set_ext ext = { prepare, release, NULL };

static const struct catalog_config config = {
	.dirs = dirs,
	.ndirs = 1,
	.ext = &ext,
	.files_read = files_read,
	.cls = &files_seen,
};

static void setup(void)
{
	tmpdir_enter("catalog");
	make_dir("stubs");
	slot = slot_create();
}

static void teardown(void)
{
	catalog_destroy(catalog);
	slot_destroy(slot);
	strbuf_release(&files_seen);
	tmpdir_leave();
}

TestSuite(catalog, .init = setup, .fini = teardown);

/* ---- helpers ---- */

/* catalog_create over DIR "stubs"; returns its errors ("" when none; the caller frees). */
static char *create(int want_rc)
{
	struct catalog_config cfg = config;
	char *errors = NULL;
	cfg.slot = slot;
	int rc = catalog_create(&cfg, &catalog, &errors);
	cr_assert_eq(rc, want_rc, "catalog_create: %d\n%s", rc, errors ? errors : "");
	return errors ? errors : xstrdup("");
}

static void create_ok(void)
{
	free(create(0));
}

/* catalog_reload; returns its errors ("" when none; the caller frees). */
static char *reload(int want_rc)
{
	char *errors = NULL;
	int rc = catalog_reload(catalog, &errors);
	cr_assert_eq(rc, want_rc, "catalog_reload: %d\n%s", rc, errors ? errors : "");
	return errors ? errors : xstrdup("");
}

static void reload_ok(void)
{
	free(reload(0));
}

/* The ids the slot serves now, each followed by a space; NULL when it serves no set. */
static char *served(void)
{
	struct stub_set *set = slot_acquire(slot);
	if (!set)
		return NULL;
	char *ids = stub_ids(set->stubs, set->n);
	stub_set_unref(set);
	return ids;
}

static void expect_served(const char *want)
{
	char *got = served();
	cr_assert_not_null(got, "nothing published");
	cr_assert_str_eq(got, want);
	free(got);
}

/* The generation the slot serves, which must be the one the counters tell. */
static uint64_t generation(void)
{
	struct stub_set *set = slot_acquire(slot);
	cr_assert_not_null(set);
	uint64_t g = set->generation;
	stub_set_unref(set);
	cr_assert_eq(catalog_get_stats(catalog).generation, g);
	return g;
}

/* The reload counters. */
static void expect_reloads(uint64_t ok, uint64_t failed)
{
	struct catalog_stats st = catalog_get_stats(catalog);
	cr_assert_eq(st.reloads, ok);
	cr_assert_eq(st.reload_errors, failed);
}

/* catalog_add of text; returns the new ids, each followed by a space, or the diagnostics
 * when it fails (the caller frees). */
static char *add(const char *text, int want_rc)
{
	static char *unset[1];
	struct diag_list diags = DIAG_LIST_INIT;
	char **ids = unset;      /* catalog_add sets it, to NULL when it fails */
	int rc = catalog_add(catalog, text, strlen(text), "body", &ids, &diags);
	char *why = diags_text(&diags);
	diag_list_release(&diags);
	cr_assert_eq(rc, want_rc, "catalog_add: %d\n%s", rc, why);
	if (rc < 0) {
		cr_assert_null(ids);
		return why;
	}
	cr_assert_str_eq(why, "");
	free(why);
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; ids[i]; i++) {
		strbuf_addf(&sb, "%s ", ids[i]);
		free(ids[i]);
	}
	free(ids);
	return strbuf_detach(&sb, NULL);
}

static void expect_added(const char *text, const char *want_ids)
{
	char *got = add(text, 0);
	cr_assert_str_eq(got, want_ids);
	free(got);
}

static void expect_add_error(const char *text, int want_rc, const char *want_diags)
{
	char *got = add(text, want_rc);
	cr_assert_str_eq(got, want_diags);
	free(got);
}

/* one stub a line, so that "- " makes it a list item */
#define STUB(name, path) "{ name: " name ", request: { path: " path " }, response: { body: " name " } }\n"
#define UNNAMED "{ request: { path: /u }, response: { body: u } }\n"

static void two_files(void)
{
	put("stubs/a.yaml", STUB("a", "/a"));
	put("stubs/sub/b.yaml", "- " UNNAMED "- { request: { path: /b }, response: { body: b } }\n");
}

/* ---- loading the files ---- */

Test(catalog, create_publishes_the_files_as_generation_1)
{
	two_files();
	put("stubs/notes.txt", "not a stub file");
	create_ok();
	expect_served("a sub/b.yaml#0 sub/b.yaml#1 ");
	cr_assert_eq(generation(), 1);
	expect_reloads(0, 0);
	cr_assert_eq(nfiles_read, 1);
	cr_assert_str_eq(files_seen.buf, "stubs/a.yaml stubs/sub/b.yaml ");
	cr_assert_eq(nprepared, 1);
	cr_assert_eq(nreleased, 0);
}

Test(catalog, an_empty_dir_serves_no_stubs)
{
	create_ok();
	expect_served("");
	cr_assert_eq(generation(), 1);
	cr_assert_eq(nfiles_read, 1);
	cr_assert_str_eq(strbuf_str(&files_seen), "");
}

Test(catalog, create_fails_on_a_bad_file_and_publishes_nothing)
{
	two_files();
	put("stubs/c.yaml", "name: c\nrequest: { path: /c }\nresponse: { bodyy: c }\n");
	char *errors = create(-EINVAL);
	cr_assert_str_eq(errors, "stubs/c.yaml:3:13: error: unknown key 'bodyy' in 'response' (did you mean 'body'?)\n");
	free(errors);
	cr_assert_null(catalog);
	cr_assert_null(served());
	cr_assert_eq(nfiles_read, 0);
	cr_assert_eq(nprepared, 0);
	/* errors may be NULL */
	struct catalog_config cfg = config;
	cfg.slot = slot;
	cr_assert_eq(catalog_create(&cfg, &catalog, NULL), -EINVAL);
	cr_assert_null(catalog);
}

Test(catalog, a_file_stub_gets_its_body_file_read)
{
	put("stubs/bodies/user.json", "{\"id\":1}");
	put("stubs/user.yaml", "name: user\nrequest: { path: /user }\nresponse: { file: bodies/user.json }\n");
	create_ok();
	cr_assert_str_eq(files_seen.buf, "stubs/user.yaml stubs/bodies/user.json ");
	struct stub_set *set = slot_acquire(slot);
	cr_assert_str_eq(stub_set_find(set, "user")->resp.body, "{\"id\":1}");
	stub_set_unref(set);
}

/* ---- reloading ---- */

Test(catalog, reload_serves_what_changed)
{
	two_files();
	create_ok();
	put("stubs/a.yaml", STUB("a2", "/a"));
	put("stubs/c.yaml", STUB("c", "/c"));
	remove_tree("stubs/sub");
	reload_ok();
	expect_served("a2 c ");
	cr_assert_eq(generation(), 2);
	expect_reloads(1, 0);
	cr_assert_eq(nfiles_read, 2);
	cr_assert_str_eq(files_seen.buf, "stubs/a.yaml stubs/c.yaml ");
	/* with nothing changed, a reload still makes a new generation */
	reload_ok();
	expect_served("a2 c ");
	cr_assert_eq(generation(), 3);
	/* the replaced sets were released, nobody holding them */
	cr_assert_eq(nprepared, 3);
	cr_assert_eq(nreleased, 2);
}

Test(catalog, a_failed_reload_keeps_the_last_good_load)
{
	two_files();
	create_ok();
	struct stub_set *before = slot_acquire(slot);
	put("stubs/a.yaml", "name: a\nrequest: { path: /a }\nresponse: { status: 999 }\n");
	put("stubs/c.yaml", STUB("c", "/c"));
	char *errors = reload(-EINVAL);
	cr_assert_str_eq(errors, "stubs/a.yaml:3:21: error: 'status' must be an integer from 100 to 599, got '999'\n");
	free(errors);
	struct stub_set *after = slot_acquire(slot);
	cr_assert_eq(after, before, "a failed reload publishes nothing");
	stub_set_unref(after);
	stub_set_unref(before);
	cr_assert_eq(generation(), 1);
	cr_assert_eq(nfiles_read, 1);
	/* errors may be NULL */
	cr_assert_eq(catalog_reload(catalog, NULL), -EINVAL);
	expect_reloads(0, 2);
	/* runtime stubs go with the last good load of the files, not the broken one */
	expect_added(STUB("r", "/r"), "r ");
	expect_served("r a sub/b.yaml#0 sub/b.yaml#1 ");
	cr_assert_eq(generation(), 2);
	/* the fix takes effect with the file added meanwhile */
	put("stubs/a.yaml", STUB("a", "/a"));
	reload_ok();
	expect_served("r a c sub/b.yaml#0 sub/b.yaml#1 ");
	cr_assert_eq(generation(), 3);
	expect_reloads(1, 2);
}

Test(catalog, generations_increase_by_one_per_published_set)
{
	two_files();
	create_ok();
	uint64_t g = generation();
	cr_assert_eq(g, 1);
	expect_added(STUB("r", "/r"), "r ");
	cr_assert_eq(generation(), ++g);
	free(add(STUB("r", "/r"), -EBADMSG));
	cr_assert_eq(generation(), g);
	cr_assert_eq(catalog_remove(catalog, "r"), 0);
	cr_assert_eq(generation(), ++g);
	cr_assert_eq(catalog_remove(catalog, "r"), -ENOENT);
	cr_assert_eq(generation(), g);
	put("stubs/a.yaml", "name: [a]\n");
	free(reload(-EINVAL));
	cr_assert_eq(generation(), g);
	put("stubs/a.yaml", STUB("a", "/a"));
	reload_ok();
	cr_assert_eq(generation(), ++g);
	cr_assert_eq(nprepared, g);
}

/* ---- runtime stubs ---- */

Test(catalog, runtime_stubs_come_before_the_files_newest_first)
{
	two_files();
	create_ok();
	expect_added(STUB("x", "/x"), "x ");
	expect_served("x a sub/b.yaml#0 sub/b.yaml#1 ");
	/* a list: in its own order, before the older runtime stubs; JSON works too */
	expect_added("[{\"request\": {\"path\": \"/j\"}, \"response\": {\"body\": \"j\"}},"
		     " {\"name\": \"y\", \"request\": {\"path\": \"/y\"}, \"response\": {\"body\": \"y\"}}]",
		     "runtime-1 y ");
	expect_served("runtime-1 y x a sub/b.yaml#0 sub/b.yaml#1 ");
	struct stub_set *set = slot_acquire(slot);
	const struct stub *s = stub_set_find(set, "runtime-1");
	cr_assert_null(s->file);
	cr_assert_str_eq(s->resp.body, "j");
	stub_set_unref(set);
	/* runtime stubs stay through reloads */
	put("stubs/c.yaml", STUB("c", "/c"));
	reload_ok();
	expect_served("runtime-1 y x a c sub/b.yaml#0 sub/b.yaml#1 ");
}

Test(catalog, unnamed_runtime_ids_are_never_reused)
{
	create_ok();
	expect_added(UNNAMED, "runtime-1 ");
	cr_assert_eq(catalog_remove(catalog, "runtime-1"), 0);
	expect_added(UNNAMED, "runtime-2 ");
	/* a failed batch uses numbers up too */
	free(add("- " UNNAMED "- request: { path: 1 }\n  response: {}\n", -EBADMSG));
	expect_added("- " UNNAMED "- " UNNAMED, "runtime-3 runtime-4 ");
	expect_served("runtime-3 runtime-4 runtime-2 ");
}

Test(catalog, unnamed_runtime_ids_skip_names_in_use)
{
	put("stubs/a.yaml", STUB("runtime-1", "/f"));
	create_ok();
	expect_added(STUB("runtime-2", "/r"), "runtime-2 ");
	/* taken by a file stub, an older runtime stub, and a named stub of the same batch */
	expect_added("- " UNNAMED "- name: runtime-4\n  request: { path: /n }\n  response: {}\n", "runtime-3 runtime-4 ");
	expect_added("- " UNNAMED "- " UNNAMED, "runtime-5 runtime-6 ");
	expect_served("runtime-5 runtime-6 runtime-3 runtime-4 runtime-2 runtime-1 ");
}

Test(catalog, an_add_is_all_or_nothing)
{
	two_files();
	create_ok();
	expect_add_error("- name: good\n  request: { path: /g }\n  response: {}\n"
			 "- name: bad\n  request: { path: /b, methodd: GET }\n  response: {}\n",
			 -EBADMSG,
			 "body:5:24: error: unknown key 'methodd' in 'request' (did you mean 'method'?)\n");
	expect_served("a sub/b.yaml#0 sub/b.yaml#1 ");
	cr_assert_eq(generation(), 1);
	/* one taken id fails the whole batch */
	expect_add_error("- " STUB("fresh", "/f") "- " STUB("a", "/a"), -EBADMSG,
			 "body:2:3: error: duplicate stub id 'a' (first defined at stubs/a.yaml:1:1)\n");
	expect_served("a sub/b.yaml#0 sub/b.yaml#1 ");
	cr_assert_eq(generation(), 1);
	cr_assert_eq(nprepared, 1);
}

Test(catalog, an_add_fails_on_ids_in_use)
{
	two_files();
	create_ok();
	expect_added(STUB("r", "/r"), "r ");
	/* (at the stub, where a stub file's duplicate is shown at its name) */
	expect_add_error(STUB("a", "/a"), -EBADMSG,
			 "body:1:1: error: duplicate stub id 'a' (first defined at stubs/a.yaml:1:1)\n");
	expect_add_error(STUB("sub/b.yaml#1", "/b"), -EBADMSG,
			 "body:1:1: error: duplicate stub id 'sub/b.yaml#1' (first defined at stubs/sub/b.yaml:2:3)\n");
	expect_add_error(STUB("r", "/r2"), -EBADMSG,
			 "body:1:1: error: duplicate stub id 'r' (already a runtime stub; remove it first)\n");
	/* twice in one batch */
	expect_add_error("- " STUB("d", "/d") "- " STUB("d", "/d"), -EBADMSG,
			 "body:2:11: error: duplicate stub id 'd' (first defined at body:1:3)\n");
	expect_served("r a sub/b.yaml#0 sub/b.yaml#1 ");
	cr_assert_eq(generation(), 2);
}

Test(catalog, a_taken_id_fails_the_add_when_the_diagnostics_list_is_full)
{
	create_ok();
	expect_added(STUB("r", "/r"), "r ");
	/* the caller's list already holds as many diagnostics as it keeps */
	struct diag_list diags = DIAG_LIST_INIT;
	for (int i = 0; i < DIAG_MAX; i++)
		diag_add(&diags, "earlier", i + 1, 1, "an earlier problem");
	char **ids = NULL;
	const char *text = STUB("r", "/again");
	cr_assert_eq(catalog_add(catalog, text, strlen(text), "body", &ids, &diags), -EBADMSG);
	cr_assert_null(ids);
	cr_assert_eq(diags.n, DIAG_MAX);
	cr_assert_eq(diags.dropped, 1);
	diag_list_release(&diags);
	expect_served("r ");
	cr_assert_eq(generation(), 2);
}

Test(catalog, an_add_of_text_that_is_not_stubs)
{
	create_ok();
	expect_add_error("request: [unclosed\n", -EINVAL,
			 "body:2:1: error: yaml syntax: did not find expected ',' or ']'\n");
	expect_add_error("", -EINVAL, "body: error: no stubs: expected one stub (a mapping) or a list of stubs\n");
	expect_add_error("[]", -EINVAL, "body: error: no stubs: expected one stub (a mapping) or a list of stubs\n");
	expect_add_error("- 1\n", -EBADMSG, "body:1:3: error: a stub must be a mapping, got '1'\n");
	/* `file:` bodies are for stub files only */
	expect_add_error("request: { path: /f }\nresponse: { file: x.json }\n", -EBADMSG,
			 "body:2:13: error: 'file' is not allowed here\n");
	expect_served("");
	cr_assert_eq(generation(), 1);
}

Test(catalog, remove_takes_out_runtime_stubs_only)
{
	two_files();
	create_ok();
	expect_added("- " STUB("r1", "/r1") "- " STUB("r2", "/r2"), "r1 r2 ");
	expect_added(UNNAMED, "runtime-1 ");
	cr_assert_eq(catalog_remove(catalog, "r2"), 0);
	expect_served("runtime-1 r1 a sub/b.yaml#0 sub/b.yaml#1 ");
	cr_assert_eq(catalog_remove(catalog, "r2"), -ENOENT);
	cr_assert_eq(catalog_remove(catalog, "a"), -EPERM);
	cr_assert_eq(catalog_remove(catalog, "sub/b.yaml#0"), -EPERM);
	cr_assert_eq(catalog_remove(catalog, "nothing"), -ENOENT);
	cr_assert_eq(catalog_remove(catalog, "R1"), -ENOENT);
	cr_assert_eq(generation(), 4);
	cr_assert_eq(catalog_remove(catalog, "runtime-1"), 0);
	cr_assert_eq(catalog_remove(catalog, "r1"), 0);
	expect_served("a sub/b.yaml#0 sub/b.yaml#1 ");
	cr_assert_eq(generation(), 6);
	/* the name is free again */
	expect_added(STUB("r2", "/r2"), "r2 ");
}

Test(catalog, a_file_stub_taking_a_runtime_id_fails_the_reload)
{
	two_files();
	create_ok();
	expect_added(STUB("n", "/runtime"), "n ");
	put("stubs/n.yaml", "# the same id as the runtime stub\n" STUB("n", "/file"));
	char *errors = reload(-EINVAL);
	cr_assert_str_eq(errors, "stubs/n.yaml:2:1: error: duplicate stub id 'n' (already the id of a runtime stub; "
				 "remove it with DELETE /__cannery/stubs/ID first)\n");
	free(errors);
	expect_served("n a sub/b.yaml#0 sub/b.yaml#1 ");
	cr_assert_eq(generation(), 2);
	expect_reloads(0, 1);
	/* once the runtime stub is gone, the next reload takes the file */
	cr_assert_eq(catalog_remove(catalog, "n"), 0);
	reload_ok();
	expect_served("a n sub/b.yaml#0 sub/b.yaml#1 ");
	struct stub_set *set = slot_acquire(slot);
	cr_assert_str_eq(stub_set_find(set, "n")->file, "stubs/n.yaml");
	stub_set_unref(set);
}

/* ---- the slot and the per-set hooks ---- */

Test(catalog, the_slot_keeps_the_last_set_after_the_catalog_goes)
{
	two_files();
	create_ok();
	expect_added(STUB("r", "/r"), "r ");
	catalog_destroy(catalog);
	catalog = NULL;
	catalog_destroy(NULL);
	expect_served("r a sub/b.yaml#0 sub/b.yaml#1 ");
	cr_assert_eq(nprepared, 2);
	cr_assert_eq(nreleased, 1);
	slot_destroy(slot);
	slot = NULL;
	cr_assert_eq(nreleased, 2);
}

Test(catalog, without_hooks)
{
	two_files();
	struct catalog_config cfg = { .dirs = dirs, .ndirs = 1, .slot = slot };
	cr_assert_eq(catalog_create(&cfg, &catalog, NULL), 0);
	expect_served("a sub/b.yaml#0 sub/b.yaml#1 ");
	struct stub_set *set = slot_acquire(slot);
	cr_assert_null(set->ext);
	stub_set_unref(set);
	reload_ok();
	cr_assert_eq(nfiles_read, 0);
}

Test(catalog, count_stub_files_counts_yaml_names)
{
	const char *paths[] = {
		"stubs/a.yaml", "stubs/sub/b.yml", "stubs/body.json", "stubs/notes.yaml.txt", "stubs/x.YAML", "yaml", ".yml",
	};
	cr_assert_eq(catalog_count_stub_files(paths, 7), 2);
	cr_assert_eq(catalog_count_stub_files(paths, 1), 1);
	cr_assert_eq(catalog_count_stub_files(NULL, 0), 0);
}

/* ---- threads ---- */

#define ADDERS 4
#define ADDS 25
#define RELOADS 20

static void *adder(void *arg)
{
	unsigned *failed = arg;
	for (int i = 0; i < ADDS; i++) {
		struct diag_list diags = DIAG_LIST_INIT;
		char **ids = NULL;
		if (catalog_add(catalog, UNNAMED, strlen(UNNAMED), "body", &ids, &diags) != 0 || !ids[0] || ids[1])
			(*failed)++;
		for (size_t j = 0; ids && ids[j]; j++)
			free(ids[j]);
		free(ids);
		diag_list_release(&diags);
		struct stub_set *set = slot_acquire(slot);
		if (!set || set->n < 3)
			(*failed)++;
		stub_set_unref(set);
	}
	return NULL;
}

static void *reloader(void *arg)
{
	unsigned *failed = arg;
	for (int i = 0; i < RELOADS; i++) {
		if (catalog_reload(catalog, NULL) != 0)
			(*failed)++;
		(void)catalog_get_stats(catalog);
	}
	return NULL;
}

Test(catalog, adds_and_reloads_from_several_threads)
{
	two_files();
	create_ok();
	pthread_t t[ADDERS + 1];
	unsigned failed[ADDERS + 1] = { 0 };
	for (int i = 0; i < ADDERS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, adder, &failed[i]), 0);
	cr_assert_eq(pthread_create(&t[ADDERS], NULL, reloader, &failed[ADDERS]), 0);
	for (int i = 0; i <= ADDERS; i++) {
		pthread_join(t[i], NULL);
		cr_assert_eq(failed[i], 0, "thread %d: %u failures", i, failed[i]);
	}
	expect_reloads(RELOADS, 0);
	cr_assert_eq(generation(), 1 + ADDERS * ADDS + RELOADS);
	/* every add got its own number: runtime-1 .. runtime-100, each once */
	struct stub_set *set = slot_acquire(slot);
	cr_assert_eq(set->n, ADDERS * ADDS + 3);
	for (int i = 1; i <= ADDERS * ADDS; i++) {
		char id[32];
		snprintf(id, sizeof(id), "runtime-%d", i);
		cr_assert_not_null(stub_set_find(set, id), "%s missing", id);
	}
	stub_set_unref(set);
	cr_assert_eq(nprepared, generation());
	cr_assert_eq(nreleased, nprepared - 1);
}
