/* SPDX-License-Identifier: MIT */
/* Unit tests for embed.c, the embedding API's runtime stubs, journal and verification
 * calls (include/cannery/cannery.h), on a created server that never listens: the journal
 * is filled with journal_add, as the pipeline fills it. Ids and errors of add_stubs,
 * remove_stub, reset and clear_requests, requests_json, count, verify and its report,
 * wait (at once, from another thread, timed out, cancelled) and the optional out
 * parameters of each. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "journal.h"
#include "server.h"
#include "state.h"
#include "testutil.h"

static struct cannery_server *srv;
static struct journal *j;

static void setup(void)
{
	srv = server_new(NULL);
	j = server_admin(srv)->journal;
}

static void teardown(void)
{
	cannery_server_destroy(srv);
	tmpdir_leave();
}

TestSuite(embed, .init = setup, .fini = teardown, .timeout = 60);

static void traffic(void)
{
	journal_add(j, "GET", "/users/1", "get-user", 200);
	journal_add(j, "POST", "/users", "add-user", 201);
	journal_add(j, "GET", "/users/2", "get-user", 200);
}

static size_t count(const char *matcher)
{
	size_t n = 12345;
	char *err = NULL;
	int rc = cannery_server_count(srv, matcher, &n, &err);
	cr_assert_eq(rc, 0, "count '%s': %d %s", matcher ? matcher : "(null)", rc, err ? err : "");
	return n;
}

static size_t journaled(void)
{
	struct journal_stats st;
	journal_stats(j, &st);
	return st.entries;
}

/* ---- runtime stubs ---- */

Test(embed, add_stubs_returns_the_new_ids)
{
	char **ids = NULL;
	cr_assert_eq(cannery_server_add_stubs(srv,
					      "- name: get-user\n  request: { path: '/users/{id}' }\n"
					      "- request: { method: POST, path: /users }\n",
					      &ids, NULL),
		     0);
	cr_assert_not_null(ids);
	cr_expect_str_eq(ids[0], "get-user");
	cr_expect_str_eq(ids[1], "runtime-1");
	cr_expect_null(ids[2]);
	cannery_strv_free(ids);
	ids = NULL;
	cr_assert_eq(cannery_server_add_stubs(srv, "{\"request\":{\"path\":\"/j\"}}", &ids, NULL), 0, "JSON text");
	cr_expect_str_eq(ids[0], "runtime-2");
	cr_expect_null(ids[1]);
	cannery_strv_free(ids);
	cr_expect_eq(cannery_server_add_stubs(srv, "request: { path: /k }\n", NULL, NULL), 0, "ids may be NULL");
	cr_expect_eq(cannery_server_stub_count(srv), 4);
}

Test(embed, add_stubs_errors_are_einval_and_all_or_nothing)
{
	static const char *const cases[][2] = {
		{ "{ nope", "text:2:1: error: yaml syntax" },
		{ "request: { path: /a }\nresponse: { stauts: 200 }\n", "text:2:13: error: unknown key 'stauts'" },
		{ "- name: ok\n  request: { path: /ok }\n- request: { path: 12 }\n", "text:3:" },
		{ "- name: twin\n  request: { path: /a }\n- name: twin\n  request: { path: /b }\n", "twin" },
		{ "response: { file: body.txt }\n", "text:1:" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char **ids = NULL, *err = NULL;
		cr_expect_eq(cannery_server_add_stubs(srv, cases[i][0], &ids, &err), -EINVAL, "%s", cases[i][0]);
		cr_expect_null(ids, "%s", cases[i][0]);
		cr_assert_not_null(err, "%s", cases[i][0]);
		cr_expect(strstr(err, cases[i][1]) && strstr(err, "error:"), "%s:\n%s", cases[i][0], err);
		free(err);
		cr_expect_eq(cannery_server_add_stubs(srv, cases[i][0], NULL, NULL), -EINVAL, "errors may be NULL");
	}
	cr_expect_eq(cannery_server_stub_count(srv), 0, "nothing was added");
}

Test(embed, no_text_is_no_stubs)
{
	static const char *const texts[] = { NULL, "", "# just a comment\n", "[]" };
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char **ids = NULL, *err = NULL;
		const char *what = texts[i] ? texts[i] : "(null)";
		cr_expect_eq(cannery_server_add_stubs(srv, texts[i], &ids, &err), -EINVAL, "%s", what);
		cr_expect_null(ids, "%s", what);
		cr_expect(err && strstr(err, "error: no stubs"), "%s: %s", what, err ? err : "");
		free(err);
	}
}

Test(embed, an_id_in_use_is_refused)
{
	add_stubs(srv, "name: taken\nrequest: { path: /a }\n");
	char *err = NULL;
	cr_expect_eq(cannery_server_add_stubs(srv, "name: taken\nrequest: { path: /b }\n", NULL, &err), -EINVAL);
	cr_expect(err && strstr(err, "taken"), "%s", err ? err : "");
	free(err);
	cr_expect_eq(cannery_server_stub_count(srv), 1);
}

Test(embed, remove_stub)
{
	add_stubs(srv, "- name: a/b\n  request: { path: /ab }\n- request: { path: /c }\n");
	cr_expect_eq(cannery_server_remove_stub(srv, "a/b"), 0);
	cr_expect_eq(cannery_server_remove_stub(srv, "a/b"), -ENOENT);
	cr_expect_eq(cannery_server_remove_stub(srv, "runtime-1"), 0);
	cr_expect_eq(cannery_server_remove_stub(srv, "nothing"), -ENOENT);
	cr_expect_eq(cannery_server_stub_count(srv), 0);
}

Test(embed, file_stubs_cannot_be_removed)
{
	tmpdir_enter("embed-files");
	put("stubs/a.yaml", "request: { path: /a }\n");
	struct cannery_server *files = server_new("stubs");
	cr_expect_eq(cannery_server_remove_stub(files, "a.yaml#0"), -EPERM);
	cr_expect_eq(cannery_server_stub_count(files), 1);
	cannery_server_destroy(files);
}

/* ---- the journal ---- */

Test(embed, reset_clears_journal_and_hits_and_keeps_stubs)
{
	add_stubs(srv, "name: s\nrequest: { path: /s }\n");
	traffic();
	stub_hit(srv, "s");
	cannery_server_reset(srv);
	cr_expect_eq(journaled(), 0);
	cr_expect_eq(state_hits(server_admin(srv)->state, "s"), 0);
	cr_expect_eq(cannery_server_stub_count(srv), 1);
}

Test(embed, clear_requests_clears_the_journal_only)
{
	add_stubs(srv, "name: s\nrequest: { path: /s }\n");
	traffic();
	stub_hit(srv, "s");
	cannery_server_clear_requests(srv);
	cr_expect_eq(journaled(), 0);
	cr_expect_eq(state_hits(server_admin(srv)->state, "s"), 1, "hit counters stay");
	cr_expect_eq(journal_add(j, "GET", "/next", NULL, 404), 4, "sequence numbers keep growing");
}

Test(embed, requests_json)
{
	char *json = cannery_server_requests_json(srv);
	cr_expect_str_eq(json, "{\"requests\":[],\"total\":0,\"evicted\":0}");
	free(json);
	traffic();
	json = cannery_server_requests_json(srv);
	cr_expect_eq(count_substr(json, "\"seq\":"), 3, "%s", json);
	cr_expect(strstr(json, "\"seq\":1,") < strstr(json, "\"seq\":3,"), "oldest first: %s", json);
	cr_expect(strstr(json, "],\"total\":3,\"evicted\":0}"), "%s", json);
	free(json);
}

Test(embed, requests_json_counts_evictions)
{
	struct cannery_config cfg;
	const char *dirs[1];
	struct cannery_server *small = NULL;
	test_config(&cfg, dirs, NULL);
	cfg.journal_limit = 2;
	cr_assert_eq(cannery_server_create(&cfg, &small, NULL), 0);
	for (int i = 0; i < 5; i++)
		journal_add(server_admin(small)->journal, "GET", "/x", NULL, 404);
	char *json = cannery_server_requests_json(small);
	cr_expect(strstr(json, "],\"total\":2,\"evicted\":3}"), "%s", json);
	cr_expect(strstr(json, "\"seq\":4,") && strstr(json, "\"seq\":5,"), "the newest stay: %s", json);
	free(json);
	cannery_server_destroy(small);
}

/* ---- count ---- */

Test(embed, count)
{
	traffic();
	cr_expect_eq(count("path: /users/1"), 1);
	cr_expect_eq(count("{ method: GET, path: '/users/{id}' }"), 2);
	cr_expect_eq(count("{\"method\": \"POST\"}"), 1, "JSON");
	cr_expect_eq(count("{\"request\": {\"method\": \"GET\"}}"), 2, "the admin API's wrapped form");
	cr_expect_eq(count(""), 3, "an empty text matches everything");
	cr_expect_eq(count(NULL), 3, "so does none");
	cr_expect_eq(count("path: /none"), 0);
	cr_expect_eq(cannery_server_count(srv, "method: GET", NULL, NULL), 0, "count may be NULL");
}

Test(embed, count_with_an_invalid_matcher)
{
	size_t n = 7;
	char *err = NULL;
	cr_expect_eq(cannery_server_count(srv, "methd: GET", &n, &err), -EINVAL);
	cr_expect_eq(n, 7, "count untouched");
	cr_assert_not_null(err);
	cr_expect(strstr(err, "matcher:1:1: error: unknown key 'methd'"), "%s", err);
	free(err);
	cr_expect_eq(cannery_server_count(srv, "{ path: ", &n, NULL), -EINVAL, "error may be NULL");
}

/* ---- verify ---- */

static int verify(const char *matcher, size_t lo, size_t hi, size_t *n, char **report)
{
	*report = NULL;
	return cannery_server_verify(srv, matcher, lo, hi, n, report);
}

Test(embed, verify_within_bounds)
{
	size_t n = 0;
	char *report;
	traffic();
	cr_expect_eq(verify("method: GET", 2, 2, &n, &report), 0);
	cr_expect_eq(n, 2);
	cr_expect_null(report, "no report when it holds");
	cr_expect_eq(verify("method: GET", 1, SIZE_MAX, &n, &report), 0);
	cr_expect_eq(verify("method: DELETE", 0, 0, &n, &report), 0);
	cr_expect_eq(n, 0);
	cr_expect_eq(cannery_server_verify(srv, "method: GET", 0, 5, NULL, NULL), 0, "out parameters may be NULL");
}

/* The report's first line for bounds lo..hi and n matches, on an empty journal. */
static void expect_wording(size_t lo, size_t hi, size_t matches, const char *want)
{
	cannery_server_clear_requests(srv);
	for (size_t i = 0; i < matches; i++)
		journal_add(j, "GET", "/w", NULL, 404);
	size_t n = 99;
	char *report;
	cr_expect_eq(verify("path: /w", lo, hi, &n, &report), -ERANGE, "%s", want);
	cr_expect_eq(n, matches, "%s", want);
	cr_expect_str_eq(report, want);
	free(report);
}

Test(embed, verify_report_wording)
{
	expect_wording(1, SIZE_MAX, 0, "expected at least 1 matching request, got 0\n");
	expect_wording(2, SIZE_MAX, 1, "expected at least 2 matching requests, got 1\n");
	expect_wording(1, 1, 0, "expected exactly 1 matching request, got 0\n");
	expect_wording(3, 3, 2, "expected exactly 3 matching requests, got 2\n");
	expect_wording(0, 1, 2, "expected at most 1 matching request, got 2\n");
	expect_wording(0, 0, 1, "expected exactly 0 matching requests, got 1\n");
	expect_wording(2, 3, 4, "expected from 2 to 3 matching requests, got 4\n");
	expect_wording(2, 3, 1, "expected from 2 to 3 matching requests, got 1\n");
}

Test(embed, verify_report_shows_the_closest_when_too_few)
{
	size_t n = 99;
	char *report;
	traffic();
	journal_add(j, "DELETE", "/other", NULL, 404);
	cr_expect_eq(verify("{ method: POST, path: '/users/{id}' }", 1, SIZE_MAX, &n, &report), -ERANGE);
	cr_expect_eq(n, 0);
	cr_assert_not_null(report);
	cr_expect(strncmp(report, "expected at least 1 matching request, got 0; closest:\n  #", 56) == 0, "%s", report);
	cr_expect_eq(count_substr(report, "\n  #"), 3, "at most three near misses: %s", report);
	cr_expect(strstr(report, " GET /users/1: ") && strstr(report, " POST /users: "), "%s", report);
	cr_expect(report[strlen(report) - 1] == '\n', "%s", report);
	free(report);
	/* too many: the surplus matched, nothing is near */
	cr_expect_eq(verify("method: GET", 0, 1, &n, &report), -ERANGE);
	cr_expect_str_eq(report, "expected at most 1 matching request, got 2\n");
	free(report);
	cr_expect_eq(cannery_server_verify(srv, "method: GET", 0, 1, &n, NULL), -ERANGE, "report may be NULL");
}

Test(embed, verify_with_an_invalid_matcher)
{
	size_t n = 7;
	char *report;
	cr_expect_eq(verify("path: [", 1, SIZE_MAX, &n, &report), -EINVAL);
	cr_expect_eq(n, 7);
	cr_expect(report && strstr(report, "matcher:2:1: error: yaml syntax"), "%s", report ? report : "");
	free(report);
}

/* ---- wait ---- */

Test(embed, wait_already_satisfied)
{
	size_t n = 0;
	traffic();
	cr_expect_eq(cannery_server_wait(srv, "method: GET", 2, 600000, &n, NULL), 0);
	cr_expect_eq(n, 2);
	cr_expect_eq(cannery_server_wait(srv, "path: /none", 0, 600000, &n, NULL), 0, "want 0");
	cr_expect_eq(n, 0);
}

Test(embed, wait_times_out)
{
	size_t n = 99;
	journal_add(j, "GET", "/x", NULL, 404);
	cr_expect_eq(cannery_server_wait(srv, "path: /x", 2, 0, &n, NULL), -ETIMEDOUT);
	cr_expect_eq(n, 1, "the count at the deadline");
	cr_expect_eq(cannery_server_wait(srv, "path: /x", 2, 1, NULL, NULL), -ETIMEDOUT, "count may be NULL");
}

#define APPENDS 20

static void *append_some(void *arg)
{
	(void)arg;
	for (int i = 0; i < APPENDS; i++)
		journal_add(j, "PUT", "/thing", NULL, 404);
	return NULL;
}

Test(embed, wait_ends_when_another_thread_journals_enough)
{
	pthread_t th;
	size_t n = 0;
	cr_assert_eq(pthread_create(&th, NULL, append_some, NULL), 0);
	cr_expect_eq(cannery_server_wait(srv, "{ method: PUT, path: /thing }", APPENDS, 600000, &n, NULL), 0);
	cr_expect_eq(n, APPENDS);
	pthread_join(th, NULL);
}

struct waiter {
	int rc;
	size_t n;
};

static void *wait_forever(void *arg)
{
	struct waiter *w = arg;
	w->rc = cannery_server_wait(srv, "path: /never", 1, 600000, &w->n, NULL);
	return NULL;
}

Test(embed, wait_is_cancelled_by_stop)
{
	struct waiter w = { 0, 99 };
	pthread_t th;
	cr_assert_eq(pthread_create(&th, NULL, wait_forever, &w), 0);
	cannery_server_stop(srv);
	pthread_join(th, NULL);
	cr_expect_eq(w.rc, -ECANCELED);
	cr_expect_eq(w.n, 0);
	cr_expect_eq(cannery_server_wait(srv, "path: /never", 1, 600000, NULL, NULL), -ECANCELED, "after stop, at once");
}

Test(embed, wait_with_an_invalid_matcher)
{
	size_t n = 7;
	char *err = NULL;
	cr_expect_eq(cannery_server_wait(srv, "methd: GET", 1, 0, &n, &err), -EINVAL);
	cr_expect_eq(n, 7);
	cr_expect(err && strstr(err, "unknown key 'methd'"), "%s", err ? err : "");
	free(err);
}

/* ---- the rest ---- */

Test(embed, strv_free_and_global_init)
{
	cannery_strv_free(NULL);
	char **v = calloc(3, sizeof(*v));
	v[0] = strdup("a");
	v[1] = strdup("b");
	cannery_strv_free(v);
	cannery_global_init();
	cannery_global_init();
}
