/* SPDX-License-Identifier: MIT */
/* The embedding API (SPEC section 7) in-process, through the shared library: servers on
 * port 0, runtime stubs from YAML and JSON text, count / verify / wait with the matcher
 * language, reset, several servers in one process, reloads keeping runtime stubs. */
#include <criterion/criterion.h>
#include <cannery/cannery.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

TestSuite(embed, .init = h_setup, .fini = h_teardown, .timeout = 60);

struct fixture {
	struct cannery_server *srv;
	struct h_server http;          /* for the harness's HTTP calls (no process behind it) */
};

static void start(struct fixture *f, const char *dir, const char *journal_file)
{
	struct cannery_config cfg;
	const char *dirs[] = { dir };
	char *err = NULL;
	cannery_config_init(&cfg);
	cfg.port = 0;
	cfg.log = CANNERY_LOG_QUIET;
	if (dir) {
		cfg.dirs = dirs;
		cfg.ndirs = 1;
	} else {
		cfg.ndirs = 0;
	}
	cfg.journal_file = journal_file;
	cr_assert_eq(cannery_server_create(&cfg, &f->srv, &err), 0, "create: %s", err ? err : "?");
	cr_assert_eq(cannery_server_start(f->srv, &err), 0, "start: %s", err ? err : "?");
	memset(&f->http, 0, sizeof(f->http));
	f->http.port = (int)cannery_server_port(f->srv);
	f->http.reaped = true;
	snprintf(f->http.url, sizeof(f->http.url), "%s", cannery_server_url(f->srv));
	cr_assert_gt(f->http.port, 0);
}

static void add(struct fixture *f, const char *text)
{
	char *err = NULL;
	cr_assert_eq(cannery_server_add_stubs(f->srv, text, NULL, &err), 0, "add: %s", err ? err : "?");
}

static size_t count(struct fixture *f, const char *matcher)
{
	size_t n = 0;
	char *err = NULL;
	cr_assert_eq(cannery_server_count(f->srv, matcher, &n, &err), 0, "count '%s': %s", matcher, err ? err : "?");
	return n;
}

Test(embed, serve_runtime_stubs_and_count)
{
	struct fixture f;
	char **ids = NULL, *err = NULL;
	start(&f, NULL, NULL);
	cr_expect_eq(cannery_server_stub_count(f.srv), 0);
	cr_assert_eq(cannery_server_add_stubs(f.srv,
					      "- name: get-user\n"
					      "  request: { method: GET, path: '/api/users/{id}' }\n"
					      "  response: { json: { id: 1, name: Ada } }\n"
					      "- request: { method: POST, path: /api/users }\n"
					      "  response: { status: 201 }\n",
					      &ids, &err),
		     0, "%s", err ? err : "");
	cr_assert(ids && ids[0] && ids[1] && !ids[2]);
	cr_expect_str_eq(ids[0], "get-user");
	cr_expect_str_eq(ids[1], "runtime-1");
	cannery_strv_free(ids);
	cr_expect_eq(cannery_server_stub_count(f.srv), 2);

	h_assert_get(&f.http, "/api/users/1", 200, "{\"id\":1,\"name\":\"Ada\"}");
	h_assert_response(h_request(&f.http, "POST", "/api/users", "{\"name\":\"Ada\"}",
				    HDRS("Content-Type: application/json")),
			  "POST", 201, "");
	cr_expect_eq(count(&f, "path: /api/users/1"), 1);
	cr_expect_eq(count(&f, "method: POST\nbody: { json_partial: { name: Ada } }"), 1);
	cr_expect_eq(count(&f, "{\"request\": {\"method\": \"GET\"}}"), 1, "the admin API's wrapped form");
	cr_expect_eq(count(&f, ""), 2, "an empty matcher matches everything");
	cr_expect_eq(count(&f, "headers: { content-type: { prefix: application/json } }"), 1);
	cannery_server_destroy(f.srv);
}

Test(embed, json_stubs_and_remove)
{
	struct fixture f;
	start(&f, NULL, NULL);
	add(&f, "{\"name\":\"j\",\"request\":{\"path\":\"/j\"},\"response\":{\"body\":\"json stub\"}}");
	h_assert_get(&f.http, "/j", 200, "json stub");
	cr_expect_eq(cannery_server_remove_stub(f.srv, "j"), 0);
	cr_expect_eq(cannery_server_remove_stub(f.srv, "j"), -ENOENT);
	h_assert_get(&f.http, "/j", 404, NULL);
	cannery_server_destroy(f.srv);
}

Test(embed, invalid_stubs_and_matchers)
{
	struct fixture f;
	char **ids = NULL, *err = NULL;
	size_t n = 99;
	start(&f, NULL, NULL);
	cr_expect_eq(cannery_server_add_stubs(f.srv, "request: { path: /a }\nresponse: { stauts: 200 }\n", &ids, &err),
		     -EINVAL);
	cr_assert(err);
	cr_expect(strstr(err, "text:2:13: error: unknown key 'stauts'"), "%s", err);
	cr_expect(!ids);
	free(err);
	err = NULL;
	cr_expect_eq(cannery_server_add_stubs(f.srv, "{ nope", NULL, &err), -EINVAL);
	cr_expect(err && strstr(err, "yaml syntax"), "%s", err ? err : "");
	free(err);
	err = NULL;
	cr_expect_eq(cannery_server_stub_count(f.srv), 0);
	cr_expect_eq(cannery_server_count(f.srv, "methd: GET", &n, &err), -EINVAL);
	cr_expect(err && strstr(err, "matcher:1:1: error: unknown key 'methd'"), "%s", err ? err : "");
	cr_expect_eq(n, 99, "count is left alone on error");
	free(err);
	err = NULL;
	cr_expect_eq(cannery_server_verify(f.srv, "path_regex: '('", 1, 1, NULL, &err), -EINVAL);
	cr_expect(err && strstr(err, "regex"), "%s", err ? err : "");
	free(err);
	cannery_server_destroy(f.srv);
}

Test(embed, verify_reports_near_misses)
{
	struct fixture f;
	char *report = NULL;
	size_t n = 0;
	start(&f, NULL, NULL);
	add(&f, "request: { path: /api/me }\n");
	h_assert_get(&f.http, "/api/me", 200, "");
	cr_expect_eq(cannery_server_verify(f.srv, "path: /api/me", 1, 1, &n, NULL), 0);
	cr_expect_eq(n, 1);
	cr_expect_eq(cannery_server_verify(f.srv, "path: /api/me", 0, (size_t)-1, NULL, NULL), 0);
	int rc = cannery_server_verify(f.srv, "path: /api/me\nheaders: { authorization: { prefix: 'Bearer ' } }", 1,
				       (size_t)-1, &n, &report);
	cr_expect_eq(rc, -ERANGE);
	cr_expect_eq(n, 0);
	cr_assert(report);
	cr_expect(strstr(report, "expected at least 1 matching request, got 0; closest:\n"), "%s", report);
	cr_expect(strstr(report, "#1 GET /api/me: header authorization: expected prefix \"Bearer \", got nothing"), "%s",
		  report);
	free(report);
	report = NULL;
	cr_expect_eq(cannery_server_verify(f.srv, "path: /api/me", 0, 0, &n, &report), -ERANGE);
	cr_expect(report && strstr(report, "expected exactly 0 matching requests, got 1"), "%s", report ? report : "");
	free(report);
	cannery_server_destroy(f.srv);
}

Test(embed, reset_and_requests_json)
{
	struct fixture f;
	start(&f, NULL, NULL);
	add(&f, "request: { path: /r }\n");
	h_assert_get(&f.http, "/r", 200, "");
	h_assert_get(&f.http, "/r", 200, "");
	char *json = cannery_server_requests_json(f.srv);
	cJSON *o = cJSON_Parse(json);
	cr_assert(o, "%s", json);
	cr_expect_eq(cJSON_GetObjectItem(o, "total")->valuedouble, 2);
	cJSON_Delete(o);
	free(json);
	cannery_server_clear_requests(f.srv);
	cr_expect_eq(count(&f, ""), 0);
	h_assert_get(&f.http, "/r", 200, "");
	cannery_server_reset(f.srv);
	cr_expect_eq(count(&f, ""), 0);
	cr_expect_eq(cannery_server_stub_count(f.srv), 1, "reset keeps the stubs");
	cannery_server_destroy(f.srv);
}

/* ---- wait ---- */

struct waiter {
	struct cannery_server *srv;
	const char *matcher;
	size_t want;
	unsigned timeout_ms;
	int rc;
	size_t count;
};

static void *run_wait(void *arg)
{
	struct waiter *w = arg;
	w->rc = cannery_server_wait(w->srv, w->matcher, w->want, w->timeout_ms, &w->count, NULL);
	return NULL;
}

Test(embed, wait_returns_when_the_count_is_reached)
{
	struct fixture f;
	start(&f, NULL, NULL);
	add(&f, "request: { path: /w }\n");
	/* the timeout is far beyond the test's: returning at all proves it returned early */
	struct waiter w = { f.srv, "path: /w", 3, 600000, 1, 0 };
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, run_wait, &w), 0);
	for (int i = 0; i < 3; i++)
		h_assert_get(&f.http, "/w", 200, "");
	pthread_join(t, NULL);
	cr_expect_eq(w.rc, 0);
	cr_expect_geq(w.count, 3);
	cannery_server_destroy(f.srv);
}

Test(embed, wait_times_out)
{
	struct fixture f;
	size_t n = 99;
	start(&f, NULL, NULL);
	cr_expect_eq(cannery_server_wait(f.srv, "path: /never", 1, 50, &n, NULL), -ETIMEDOUT);
	cr_expect_eq(n, 0);
	cr_expect_eq(cannery_server_wait(f.srv, "path: /never", 0, 50, &n, NULL), 0, "want 0 is met at once");
	cannery_server_destroy(f.srv);
}

Test(embed, wait_is_cancelled_by_stop)
{
	struct fixture f;
	start(&f, NULL, NULL);
	struct waiter w = { f.srv, "path: /never", 1, 600000, 1, 0 };
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, run_wait, &w), 0);
	/* stop may come before the wait starts: then the wait learns at once that the server stopped */
	cannery_server_stop(f.srv);
	pthread_join(t, NULL);
	cr_expect_eq(w.rc, -ECANCELED);
	cannery_server_destroy(f.srv);
}

/* ---- no global state ---- */

Test(embed, two_servers_in_one_process)
{
	struct fixture a, b;
	start(&a, NULL, NULL);
	start(&b, NULL, NULL);
	cr_expect_neq(a.http.port, b.http.port);
	add(&a, "name: same\nrequest: { path: /x }\nresponse: { body: a }\n");
	add(&b, "name: same\nrequest: { path: /x }\nresponse: { body: b }\n");
	h_assert_get(&a.http, "/x", 200, "a");
	h_assert_get(&b.http, "/x", 200, "b");
	h_assert_get(&b.http, "/x", 200, "b");
	cr_expect_eq(count(&a, "path: /x"), 1);
	cr_expect_eq(count(&b, "path: /x"), 2);
	cannery_server_destroy(a.srv);
	h_assert_get(&b.http, "/x", 200, "b");
	cannery_server_destroy(b.srv);
}

Test(embed, reload_keeps_runtime_stubs)
{
	struct fixture f;
	const char *dir = h_stub_dir("a.yaml", "name: a\nrequest: { path: /a }\nresponse: { body: a1 }\n", NULL);
	char *err = NULL;
	start(&f, dir, NULL);
	add(&f, "name: rt\nrequest: { path: /rt }\nresponse: { body: rt }\n");
	h_write_file(dir, "a.yaml", "name: a\nrequest: { path: /a }\nresponse: { body: a2 }\n");
	cr_assert_eq(cannery_server_reload(f.srv, &err), 0, "%s", err ? err : "");
	h_assert_get(&f.http, "/a", 200, "a2");
	h_assert_get(&f.http, "/rt", 200, "rt");
	cr_expect_eq(cannery_server_stub_count(f.srv), 2);
	cr_expect_eq(cannery_server_remove_stub(f.srv, "a"), -EPERM);
	cannery_server_destroy(f.srv);
}

Test(embed, journal_file_is_complete_after_destroy)
{
	struct fixture f;
	const char *path = h_fmt("%s/j.ndjson", h_tmpdir());
	start(&f, NULL, path);
	add(&f, "request: { path: /f }\n");
	for (int i = 0; i < 20; i++)
		h_assert_get(&f.http, "/f", 200, "");
	cannery_server_destroy(f.srv);
	FILE *fp = fopen(path, "r");
	cr_assert(fp);
	int lines = 0, c;
	while ((c = fgetc(fp)) != EOF)
		lines += c == '\n';
	fclose(fp);
	cr_expect_eq(lines, 20);
}

Test(embed, create_fails_on_an_unwritable_journal_file)
{
	struct cannery_config cfg;
	struct cannery_server *srv = NULL;
	char *err = NULL;
	cannery_config_init(&cfg);
	cfg.ndirs = 0;
	cfg.journal_file = "/nonexistent-dir/j.ndjson";
	cr_expect_lt(cannery_server_create(&cfg, &srv, &err), 0);
	cr_expect(!srv);
	cr_expect(err && strstr(err, "/nonexistent-dir/j.ndjson"), "%s", err ? err : "");
	free(err);
}

Test(embed, stop_ends_waits_on_a_server_that_never_started)
{
	struct cannery_config cfg;
	struct cannery_server *srv = NULL;
	cannery_config_init(&cfg);
	cfg.ndirs = 0;
	cfg.log = CANNERY_LOG_QUIET;
	cr_assert_eq(cannery_server_create(&cfg, &srv, NULL), 0);
	struct waiter w = { srv, "", 1, 600000, 1, 0 };
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, run_wait, &w), 0);
	cannery_server_stop(srv);
	pthread_join(t, NULL);
	cr_expect_eq(w.rc, -ECANCELED);
	cannery_server_destroy(srv);
}

/* ---- HTTPS (SPEC section 12) ---- */

/* A server made with cfg's TLS fields (the rest as start() sets it), the harness trusting
 * the certificate it serves. */
static void start_tls(struct fixture *f, struct cannery_config *cfg)
{
	char *err = NULL;
	cfg->port = 0;
	cfg->log = CANNERY_LOG_QUIET;
	cfg->ndirs = 0;
	cr_assert_eq(cannery_server_create(cfg, &f->srv, &err), 0, "create: %s", err ? err : "?");
	cr_assert_eq(cannery_server_start(f->srv, &err), 0, "start: %s", err ? err : "?");
	memset(&f->http, 0, sizeof(f->http));
	f->http.port = (int)cannery_server_port(f->srv);
	f->http.reaped = true;
	snprintf(f->http.url, sizeof(f->http.url), "%s", cannery_server_url(f->srv));
	const char *dir = h_tmpdir();
	h_write_file(dir, "ca.pem", cannery_server_tls_certificate(f->srv));
	f->http.ca_file = h_fmt("%s/ca.pem", dir);
}

Test(embed, a_self_signed_server_serves_https_and_hands_out_its_certificate)
{
	struct fixture f;
	struct cannery_config cfg;
	cannery_config_init(&cfg);
	cfg.tls_self_signed = true;
	start_tls(&f, &cfg);
	cr_expect(strncmp(cannery_server_url(f.srv), "https://127.0.0.1:", 18) == 0, "%s", cannery_server_url(f.srv));
	cr_expect(h_contains(cannery_server_tls_certificate(f.srv), "-----BEGIN CERTIFICATE-----"));
	cr_expect_eq(strlen(cannery_server_tls_fingerprint(f.srv)), 95, "%s", cannery_server_tls_fingerprint(f.srv));
	add(&f, "request: { path: /s }\nresponse: { body: secure }\n");
	h_assert_get(&f.http, "/s", 200, "secure");
	cr_expect_eq(count(&f, "path: /s"), 1);
	cannery_server_destroy(f.srv);
}

Test(embed, a_certificate_and_key_given_as_pem_text)
{
	if (system("openssl version >/dev/null 2>&1") != 0)
		cr_skip_test("openssl is not installed: it makes the test certificate");
	const char *dir = h_tmpdir();
	cr_assert_eq(system(h_fmt("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout %s/k.pem "
				  "-out %s/c.pem -days 2 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 "
				  ">/dev/null 2>&1", dir, dir)),
		     0);
	const char *cert = h_slurp(h_fmt("%s/c.pem", dir), NULL), *key = h_slurp(h_fmt("%s/k.pem", dir), NULL);
	struct fixture f;
	struct cannery_config cfg;
	cannery_config_init(&cfg);
	cfg.tls_cert_pem = cert;
	cfg.tls_key_pem = key;
	start_tls(&f, &cfg);
	cr_expect_str_eq(cannery_server_tls_certificate(f.srv), cert);
	add(&f, "request: { path: /p }\nresponse: { body: pem }\n");
	h_assert_get(&f.http, "/p", 200, "pem");
	cannery_server_destroy(f.srv);

	/* the same as files, and both at once is a mistake */
	cannery_config_init(&cfg);
	cfg.tls_cert_file = h_fmt("%s/c.pem", dir);
	cfg.tls_key_file = h_fmt("%s/k.pem", dir);
	start_tls(&f, &cfg);
	h_assert_get(&f.http, "/nothing", 404, NULL);
	cannery_server_destroy(f.srv);
	cfg.tls_cert_pem = cert;
	cfg.tls_key_pem = key;
	struct cannery_server *srv = NULL;
	char *err = NULL;
	cr_expect_eq(cannery_server_create(&cfg, &srv, &err), -EINVAL);
	cr_expect_null(srv);
	cr_expect(err && h_contains(err, "give one TLS certificate"), "%s", err ? err : "(none)");
	free(err);
}

Test(embed, a_key_without_its_certificate_or_another_certificate_is_refused_at_create)
{
	struct cannery_server *srv = NULL, *other = NULL;
	struct cannery_config cfg;
	char *err = NULL;
	cannery_config_init(&cfg);
	cfg.ndirs = 0;
	cfg.tls_key_pem = "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n";
	cr_expect_eq(cannery_server_create(&cfg, &srv, &err), -EINVAL);
	cr_expect(err && h_contains(err, "a TLS key needs its certificate (tls_cert_pem)"), "%s", err ? err : "(none)");
	free(err);
	err = NULL;
	/* a real certificate, with a key that is no key of it */
	cannery_config_init(&cfg);
	cfg.ndirs = 0;
	cfg.port = 0;
	cfg.tls_self_signed = true;
	cr_assert_eq(cannery_server_create(&cfg, &other, &err), 0);
	cannery_config_init(&cfg);
	cfg.ndirs = 0;
	cfg.tls_cert_pem = cannery_server_tls_certificate(other);
	cfg.tls_key_pem = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
	cr_expect_eq(cannery_server_create(&cfg, &srv, &err), -EINVAL);
	cr_expect(err && h_contains(err, "TLS key 'tls_key_pem' does not parse"), "%s", err ? err : "(none)");
	cr_expect(err && strchr(err, '\n') == err + strlen(err) - 1, "not one line: %s", err ? err : "");
	free(err);
	cannery_server_destroy(other);
}

Test(embed, a_plain_server_has_no_certificate)
{
	struct fixture f;
	start(&f, NULL, NULL);
	cr_expect_null(cannery_server_tls_certificate(f.srv));
	cr_expect_null(cannery_server_tls_fingerprint(f.srv));
	cr_expect(strncmp(cannery_server_url(f.srv), "http://", 7) == 0);
	cannery_server_destroy(f.srv);
}
