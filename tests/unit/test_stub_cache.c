/* SPDX-License-Identifier: MIT */
/* stub_cache: incremental loads give what a full stub_load_dirs gives (stubs, order,
 * paths, errors), while parsing only the files that changed. Each test runs in a fresh
 * temporary directory and loads DIR "stubs" (and "more"). */
#include <criterion/criterion.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stub.h"
#include "stub_cache.h"
#include "stub_load.h"
#include "testutil.h"
#include "util/strbuf.h"

static struct stub_cache *cache;
static const char *dirs[] = { "stubs", "more" };

static void setup(void)
{
	tmpdir_enter("stub-cache");
	make_dir("stubs");
	make_dir("more");
	cache = stub_cache_create();
	/* files written by the test itself are trusted at once (each edit changes the size) */
	stub_cache_set_racy_ns(cache, 0);
}

static void teardown(void)
{
	stub_cache_destroy(cache);
	tmpdir_leave();
}

TestSuite(stub_cache, .init = setup, .fini = teardown);

/* What one load gave: the stubs' "id file:line:col" lines, the paths, or the errors. */
struct outcome {
	int rc;
	char *stubs;
	char *paths;
	char *errors;
};

static void outcome_release(struct outcome *o)
{
	free(o->stubs);
	free(o->paths);
	free(o->errors);
}

static char *describe(struct stub *const *stubs, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&sb, "%s %s:%d:%d body=%.*s\n", stubs[i]->id, stubs[i]->file, stubs[i]->line, stubs[i]->col,
			    (int)stubs[i]->resp.body_len, stubs[i]->resp.body ? stubs[i]->resp.body : "");
	return strbuf_detach(&sb, NULL);
}

static char *join(char *const *v, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < n; i++) {
		strbuf_adds(&sb, v[i]);
		strbuf_addc(&sb, '\n');
	}
	return strbuf_detach(&sb, NULL);
}

static struct outcome full_load(void)
{
	struct outcome o = { 0 };
	struct load_result res = { 0 };
	struct diag_list diags = DIAG_LIST_INIT;
	o.rc = stub_load_dirs(dirs, 2, &res, &diags);
	o.stubs = describe(res.stubs, res.n);
	o.paths = join(res.paths, res.npaths);
	o.errors = diags_text(&diags);
	load_result_release(&res);
	diag_list_release(&diags);
	return o;
}

static struct outcome cached_load(void)
{
	struct outcome o = { 0 };
	struct stub_group *files = NULL;
	char **paths = NULL;
	size_t npaths = 0;
	struct diag_list diags = DIAG_LIST_INIT;
	o.rc = stub_cache_load(cache, dirs, 2, &files, &paths, &npaths, &diags);
	if (o.rc == 0) {
		o.stubs = describe(files->stubs, files->n);
		o.paths = join(paths, npaths);
	} else {
		cr_assert_null(files);
		o.stubs = describe(NULL, 0);
		o.paths = join(NULL, 0);
	}
	o.errors = diags_text(&diags);
	for (size_t i = 0; i < npaths; i++)
		free(paths[i]);
	free(paths);
	stub_group_unref(files);
	diag_list_release(&diags);
	return o;
}

/* Loads through the cache, checks that a full load gives the same, and returns the
 * number of files parsed by this load. */
static uint64_t load_and_compare(int expected_rc)
{
	uint64_t parsed = stub_cache_get_stats(cache).parsed;
	struct outcome c = cached_load(), f = full_load();
	cr_assert_eq(c.rc, expected_rc, "rc %d, errors:\n%s", c.rc, c.errors);
	cr_assert_eq(f.rc, c.rc);
	cr_assert_str_eq(c.stubs, f.stubs);
	cr_assert_str_eq(c.paths, f.paths);
	cr_assert_str_eq(c.errors, f.errors);
	outcome_release(&c);
	outcome_release(&f);
	return stub_cache_get_stats(cache).parsed - parsed;
}

static void three_files(void)
{
	put("stubs/a.yaml", "name: a\nrequest: { path: /a }\nresponse: { body: A }\n");
	put("stubs/sub/b.yaml", "- request: { path: /b1 }\n  response: { body: B1 }\n"
				"- request: { path: /b2 }\n  response: { body: B2 }\n");
	put("more/c.yml", "name: c\nrequest: { path: /c }\nresponse: { body: C }\n");
}

Test(stub_cache, unchanged_files_are_not_parsed_again)
{
	three_files();
	cr_assert_eq(load_and_compare(0), 3);
	cr_assert_eq(load_and_compare(0), 0);
	cr_assert_eq(load_and_compare(0), 0);
	struct stub_cache_stats st = stub_cache_get_stats(cache);
	cr_assert_eq(st.loads, 3);
	cr_assert_eq(st.parsed, 3);
	cr_assert_eq(st.reused, 6);
	cr_assert_eq(st.full_loads, 0);
}

Test(stub_cache, an_edit_parses_that_file_only)
{
	three_files();
	cr_assert_eq(load_and_compare(0), 3);
	put("stubs/sub/b.yaml", "- request: { path: /b1 }\n  response: { body: B1-edited }\n");
	cr_assert_eq(load_and_compare(0), 1);
	cr_assert_eq(load_and_compare(0), 0);
}

Test(stub_cache, added_renamed_and_deleted_files)
{
	three_files();
	cr_assert_eq(load_and_compare(0), 3);
	/* a new file sorting between the others */
	put("stubs/m.yaml", "name: m\nrequest: { path: /m }\nresponse: { body: M }\n");
	cr_assert_eq(load_and_compare(0), 1);
	/* a rename changes the ids (RELPATH#INDEX) and the load order */
	cr_assert_eq(rename("stubs/sub/b.yaml", "stubs/0.yaml"), 0);
	cr_assert_eq(load_and_compare(0), 1);
	cr_assert_eq(unlink("stubs/a.yaml"), 0);
	cr_assert_eq(load_and_compare(0), 0);
	cr_assert_eq(unlink("more/c.yml"), 0);
	cr_assert_eq(load_and_compare(0), 0);
	struct outcome o = cached_load();
	cr_assert_str_eq(o.stubs, "0.yaml#0 stubs/0.yaml:1:3 body=B1\n0.yaml#1 stubs/0.yaml:3:3 body=B2\n"
				  "m stubs/m.yaml:1:1 body=M\n");
	outcome_release(&o);
}

Test(stub_cache, a_file_body_edit_reloads_the_stub_file_that_reads_it)
{
	three_files();
	put("stubs/body.json", "{\"v\":1}");
	put("stubs/f.yaml", "name: f\nrequest: { path: /f }\nresponse: { file: body.json }\n");
	cr_assert_eq(load_and_compare(0), 4);
	cr_assert_eq(load_and_compare(0), 0);
	put("stubs/body.json", "{\"v\":22}");
	cr_assert_eq(load_and_compare(0), 1);
	/* replaced through a rename, as editors save */
	put("stubs/body.tmp", "{\"v\":333}");
	cr_assert_eq(rename("stubs/body.tmp", "stubs/body.json"), 0);
	cr_assert_eq(load_and_compare(0), 1);
	struct outcome o = cached_load();
	cr_assert(strstr(o.stubs, "f stubs/f.yaml:1:1 body={\"v\":333}\n"), "%s", o.stubs);
	outcome_release(&o);
	/* a body that goes away is an error, and coming back fixes it */
	cr_assert_eq(unlink("stubs/body.json"), 0);
	load_and_compare(-1);
	put("stubs/body.json", "{\"v\":4444}");
	cr_assert_eq(load_and_compare(0), 1);
}

Test(stub_cache, a_duplicate_id_from_one_edit_is_reported_at_both_places)
{
	three_files();
	cr_assert_eq(load_and_compare(0), 3);
	put("more/c.yml", "name: a\nrequest: { path: /c }\nresponse: { body: C2 }\n");
	load_and_compare(-1);
	struct outcome o = cached_load();
	cr_assert_eq(o.rc, -1);
	cr_assert_str_eq(o.errors, "more/c.yml:1:7: error: duplicate stub id 'a' (first defined at stubs/a.yaml:1:1)\n");
	outcome_release(&o);
	/* the next good save takes effect, parsing that file only */
	put("more/c.yml", "name: c\nrequest: { path: /c }\nresponse: { body: C3 }\n");
	cr_assert_eq(load_and_compare(0), 1);
	cr_assert(stub_cache_get_stats(cache).full_loads >= 2);
}

/* Unnamed stubs' ids (RELPATH#INDEX) are checked file by file: a name that equals one is
 * still a duplicate, one that only looks like one is not, and the same RELPATH in both
 * stub dirs gives the same ids twice. Each load agrees with a full load. */
Test(stub_cache, a_name_equal_to_another_stubs_relpath_index_id_is_a_duplicate)
{
	three_files();
	cr_assert_eq(load_and_compare(0), 3);
	put("more/c.yml", "name: sub/b.yaml#1\nrequest: { path: /c }\nresponse: { body: C2 }\n");
	load_and_compare(-1);
	struct outcome o = cached_load();
	cr_assert(strstr(o.errors, "duplicate stub id 'sub/b.yaml#1'"), "%s", o.errors);
	outcome_release(&o);
	/* no stub has these ids: past the file's end, not digits, or a named stub's place */
	put("more/c.yml", "- name: sub/b.yaml#2\n  request: { path: /c }\n  response: { body: C }\n"
			  "- name: 'sub/b.yaml#01'\n  request: { path: /d }\n  response: { body: D }\n"
			  "- name: 'sub/b.yaml#x'\n  request: { path: /e }\n  response: { body: E }\n"
			  "- name: 'a.yaml#0'\n  request: { path: /f }\n  response: { body: F }\n"
			  "- name: 'more/c.yml#4'\n  request: { path: /g }\n  response: { body: G }\n");
	cr_assert_eq(load_and_compare(0), 1);
	/* its own unnamed stub's id */
	put("more/c.yml", "- name: 'c.yml#1'\n  request: { path: /c }\n  response: { body: C }\n"
			  "- request: { path: /d }\n  response: { body: D }\n");
	load_and_compare(-1);
}

Test(stub_cache, the_same_relpath_in_both_dirs_gives_duplicate_ids)
{
	three_files();
	cr_assert_eq(load_and_compare(0), 3);
	put("more/sub/b.yaml", "- request: { path: /x }\n  response: { body: X }\n");
	load_and_compare(-1);
	struct outcome o = cached_load();
	cr_assert(strstr(o.errors, "duplicate stub id 'sub/b.yaml#0'"), "%s", o.errors);
	outcome_release(&o);
	/* named there: no clash */
	put("more/sub/b.yaml", "- name: x\n  request: { path: /x }\n  response: { body: X }\n");
	cr_assert_eq(load_and_compare(0), 1);
}

Test(stub_cache, an_invalid_file_reports_as_a_full_load_and_others_stay_cached)
{
	three_files();
	cr_assert_eq(load_and_compare(0), 3);
	put("stubs/a.yaml", "name: a\nrequest: { path: /a, bogus: 1 }\nresponse: { body: A }\n");
	load_and_compare(-1);
	put("stubs/a.yaml", "name: a\nrequest: { path: /a }\nresponse: { body: AA }\n");
	cr_assert_eq(load_and_compare(0), 1);
}

Test(stub_cache, recently_written_files_are_read_again)
{
	/* within the racy window a same-size rewrite in the same timestamp tick could keep
	 * the key: such files are not trusted until they are older */
	stub_cache_set_racy_ns(cache, 3600LL * 1000000000LL);
	three_files();
	cr_assert_eq(load_and_compare(0), 3);
	cr_assert_eq(load_and_compare(0), 3);
	stub_cache_set_racy_ns(cache, 0);
	cr_assert_eq(load_and_compare(0), 3);
	cr_assert_eq(load_and_compare(0), 0);
}

Test(stub_cache, groups_outlive_the_cache_entries_they_came_from)
{
	three_files();
	struct stub_group *files = NULL;
	char **paths = NULL;
	size_t npaths = 0;
	struct diag_list diags = DIAG_LIST_INIT;
	cr_assert_eq(stub_cache_load(cache, dirs, 2, &files, &paths, &npaths, &diags), 0);
	for (size_t i = 0; i < npaths; i++)
		free(paths[i]);
	free(paths);
	put("stubs/a.yaml", "name: a\nrequest: { path: /a }\nresponse: { body: A-new }\n");
	cr_assert_eq(load_and_compare(0), 1);
	stub_cache_destroy(cache);
	cache = NULL;
	/* the old load still holds the old stubs */
	cr_assert_eq(files->n, 4);
	cr_assert_str_eq(files->stubs[0]->id, "a");
	cr_assert_eq(files->stubs[0]->resp.body_len, 1);
	stub_group_unref(files);
	diag_list_release(&diags);
}

/* Enough files that the load reads them on several threads (one per CPU, 16 files each at
 * least): the result, order and errors are still a full load's. */
Test(stub_cache, many_files_read_at_once_load_in_order)
{
	char path[64], text[160];
	for (int i = 0; i < 80; i++) {
		snprintf(path, sizeof(path), "%s/f%02d.yaml", i % 3 ? "stubs" : "more", i);
		snprintf(text, sizeof(text), "- request: { path: /f%d/a }\n  response: { body: A%d }\n"
					     "- request: { path: /f%d/b }\n  response: { body: B%d }\n", i, i, i, i);
		put(path, text);
	}
	cr_assert_eq(load_and_compare(0), 80);
	cr_assert_eq(load_and_compare(0), 0);
	/* two broken files among many changed ones: the errors of a full load */
	for (int i = 0; i < 40; i++) {
		snprintf(path, sizeof(path), "%s/f%02d.yaml", i % 3 ? "stubs" : "more", i);
		snprintf(text, sizeof(text), "- request: { path: /f%d/c }\n  response: { %s: C%d }\n", i,
			 i == 7 || i == 31 ? "bodyy" : "body", i);
		put(path, text);
	}
	load_and_compare(-1);
	put("stubs/f07.yaml", "request: { path: /f7 }\nresponse: { body: fixed }\n");
	put("stubs/f31.yaml", "request: { path: /f31 }\nresponse: { body: fixed }\n");
	cr_assert_eq(load_and_compare(0), 2);
}
