/* SPDX-License-Identifier: MIT */
/* A Criterion suite for users_client.c with an embedded cannery as its fixture: each test
 * gets a fresh server on a free port, with stubs given inline, and asserts on what the
 * client sent through the journal (count / verify). */
#include <cannery/cannery.h>
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdlib.h>

#include "users_client.h"

static struct cannery_server *srv;
static const char *url;

static const char stubs[] =
	"- name: create-user\n"
	"  request:\n"
	"    method: POST\n"
	"    path: /api/users\n"
	"    headers: { Authorization: { prefix: 'Bearer ' } }\n"
	"  response: { status: 201, json: { id: 42 } }\n"
	"- name: delete-user\n"
	"  request: { method: DELETE, path: '/api/users/{id}' }\n"
	"  response: { status: 204 }\n";

static void start(void)
{
	struct cannery_config cfg;
	char *err = NULL;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	cannery_config_init(&cfg);
	cfg.port = 0;               /* any free port */
	cfg.ndirs = 0;              /* no stub files: the stubs come from the string above */
	cfg.log = CANNERY_LOG_QUIET;
	cr_assert_eq(cannery_server_create(&cfg, &srv, &err), 0, "%s", err);
	cr_assert_eq(cannery_server_add_stubs(srv, stubs, NULL, &err), 0, "%s", err);
	cr_assert_eq(cannery_server_start(srv, &err), 0, "%s", err);
	url = cannery_server_url(srv);
}

static void stop(void)
{
	cannery_server_destroy(srv);
	curl_global_cleanup();
}

TestSuite(users_client, .init = start, .fini = stop, .timeout = 30);

/* Asserts that exactly n journal entries match the matcher, showing the near misses if not. */
static void expect_sent(const char *matcher, size_t n)
{
	char *report = NULL;
	int rc = cannery_server_verify(srv, matcher, n, n, NULL, &report);

	cr_expect_eq(rc, 0, "%s", report ? report : "");
	free(report);
}

Test(users_client, create_sends_the_name_and_the_token)
{
	cr_expect_eq(users_create(url, "t0k3n", "Ada"), 42);
	expect_sent("method: POST\n"
		    "path: /api/users\n"
		    "headers: { authorization: 'Bearer t0k3n', content-type: application/json }\n"
		    "body: { json: { name: Ada } }\n",
		    1);
}

Test(users_client, create_reports_server_errors)
{
	char *err = NULL;

	/* a stub for this test only: priority 1 beats the fixture's stub (default 100) */
	cr_assert_eq(cannery_server_add_stubs(srv,
					      "priority: 1\n"
					      "request: { method: POST, path: /api/users }\n"
					      "response: { status: 500, json: { error: boom } }\n",
					      NULL, &err),
		     0, "%s", err);
	cr_expect_eq(users_create(url, "t0k3n", "Ada"), -1);
}

Test(users_client, delete_uses_the_id_in_the_path)
{
	size_t n = 0;

	cr_expect_eq(users_delete(url, "t0k3n", 7), 204);
	cr_assert_eq(cannery_server_count(srv, "method: DELETE\npath: /api/users/7", &n, NULL), 0);
	cr_expect_eq(n, 1);
	expect_sent("method: DELETE\npath: '/api/users/{id}'", 1);
}
