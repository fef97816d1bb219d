/* SPDX-License-Identifier: MIT */
/* Unit tests for server.c and the lifecycle half of include/cannery/cannery.h: defaults,
 * create (and how it fails), start on 127.0.0.1 port 0 (and how it fails), several
 * servers in one process, the config reaching every part (stub directories, Host
 * allow-list, body limit, journal limit and file, access log, admin token), reload,
 * stop (idempotent, ending waits and delays at once), destroy, server_admin and
 * cannery_check. Requests go over raw loopback sockets. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "admin.h"
#include "config.h"
#include "journal.h"
#include "server.h"
#include "testutil.h"

static void teardown(void)
{
	tmpdir_leave();
}

TestSuite(server, .fini = teardown, .timeout = 60);

/* Creates and starts a server from cfg; fails the test when either fails. */
static struct cannery_server *start(const struct cannery_config *cfg)
{
	struct cannery_server *srv = NULL;
	char *err = NULL;
	int rc = cannery_server_create(cfg, &srv, &err);
	cr_assert_eq(rc, 0, "create: %d %s", rc, err ? err : "");
	rc = cannery_server_start(srv, &err);
	cr_assert_eq(rc, 0, "start: %d %s", rc, err ? err : "");
	return srv;
}

/* A started test_config server on dir (NULL: none). */
static struct cannery_server *serve(const char *dir)
{
	struct cannery_config cfg;
	const char *dirs[1];
	test_config(&cfg, dirs, dir);
	return start(&cfg);
}

static char *get(const struct cannery_server *srv, const char *path)
{
	return http_request(cannery_server_port(srv), "GET", path, NULL, NULL);
}

static size_t journaled(struct cannery_server *srv)
{
	struct journal_stats st;
	journal_stats(server_admin(srv)->journal, &st);
	return st.entries;
}

/* ---- defaults ---- */

Test(server, config_defaults)
{
	struct cannery_config cfg;
	memset(&cfg, 0xa5, sizeof(cfg));
	cannery_config_init(&cfg);
	cr_expect_str_eq(cfg.host, "127.0.0.1");
	cr_expect_eq(cfg.port, 62893);
	cr_expect_eq(cfg.ndirs, 1);
	cr_expect_str_eq(cfg.dirs[0], "stubs");
	cr_expect_eq(cfg.nallow_hosts, 0);
	cr_expect_eq(cfg.max_body, 10485760);
	cr_expect_eq(cfg.threads, 0);
	cr_expect_eq(cfg.max_connections, 1024);
	cr_expect_eq(cfg.idle_timeout_s, 30);
	cr_expect_eq(cfg.log, CANNERY_LOG_NORMAL);
	cr_expect_eq(cfg.log_fd, 2);
	cr_expect_not(cfg.log_color);
	cr_expect(cfg.watch);
	cr_expect(cfg.cors);
	cr_expect_not(cfg.seeded);
	cr_expect_eq(cfg.journal_limit, 10000);
	cr_expect_null(cfg.journal_file);
	cr_expect_null(cfg.admin_token);
	cr_expect_null(cfg.proxy);
	cr_expect_not(cfg.proxy_all);
	cr_expect_null(cfg.record_dir);
	cr_expect_eq(cfg.record_mode, CANNERY_RECORD_FIRST);
	cr_expect_eq(cfg.proxy_timeout_ms, 0, "0: the proxy's own default");
}

Test(server, version)
{
	cr_expect_str_eq(cannery_version(), CANNERY_VERSION);
}

/* ---- create, start, stop ---- */

Test(server, created_is_not_listening)
{
	struct cannery_server *srv = server_new(NULL);
	cr_expect_eq(cannery_server_port(srv), 0);
	cr_expect_null(cannery_server_url(srv));
	cr_expect_eq(cannery_server_stub_count(srv), 0);
	cannery_server_stop(srv);
	cannery_server_stop(srv);
	cannery_server_destroy(srv);
	cannery_server_destroy(NULL);
}

Test(server, start_on_port_0_serves_and_stop_closes)
{
	struct cannery_server *srv = serve(NULL);
	unsigned port = cannery_server_port(srv);
	char url[64];
	cr_assert_gt(port, 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", port);
	cr_expect_str_eq(cannery_server_url(srv), url);
	cr_expect(cannery_server_is_loopback(srv));
	add_stubs(srv, "request: { path: /a }\nresponse: { body: A }\n");
	expect_http(get(srv, "/a"), 200, "A");
	cr_expect_eq(journaled(srv), 1);
	cannery_server_stop(srv);
	cr_expect_eq(connect_loopback(port), -1, "nothing listens after stop");
	cr_expect_eq(errno, ECONNREFUSED);
	cr_expect_eq(cannery_server_port(srv), port, "the port stays known");
	cannery_server_stop(srv);
	cannery_server_destroy(srv);
}

Test(server, destroy_stops_a_running_server)
{
	struct cannery_server *srv = serve(NULL);
	unsigned port = cannery_server_port(srv);
	expect_http(get(srv, "/a"), 404, NULL);
	cannery_server_destroy(srv);
	cr_expect_eq(connect_loopback(port), -1);
}

#define NSERVERS 3

Test(server, several_servers_in_one_process)
{
	struct cannery_server *srv[NSERVERS];
	for (int i = 0; i < NSERVERS; i++) {
		char stub[128];
		srv[i] = serve(NULL);
		snprintf(stub, sizeof(stub), "request: { path: /who }\nresponse: { body: server%d }\n", i);
		add_stubs(srv[i], stub);
		for (int j = 0; j < i; j++)
			cr_expect_neq(cannery_server_port(srv[i]), cannery_server_port(srv[j]));
	}
	for (int i = 0; i < NSERVERS; i++) {
		char want[16];
		snprintf(want, sizeof(want), "server%d", i);
		for (int k = 0; k <= i; k++)
			expect_http(get(srv[i], "/who"), 200, want);
	}
	for (int i = 0; i < NSERVERS; i++)
		cr_expect_eq(journaled(srv[i]), (size_t)i + 1, "each server has its own journal");
	/* stopping one leaves the others serving */
	cannery_server_destroy(srv[1]);
	expect_http(get(srv[0], "/who"), 200, "server0");
	expect_http(get(srv[2], "/who"), 200, "server2");
	cannery_server_destroy(srv[0]);
	cannery_server_destroy(srv[2]);
}

Test(server, a_busy_port_fails_start_with_a_message)
{
	unsigned port;
	int fd = listen_loopback(&port);
	struct cannery_config cfg;
	const char *dirs[1];
	struct cannery_server *srv = NULL;
	char *err = NULL, want[96];
	test_config(&cfg, dirs, NULL);
	cfg.port = port;
	cr_assert_eq(cannery_server_create(&cfg, &srv, &err), 0);
	cr_expect_eq(cannery_server_start(srv, &err), -EADDRINUSE);
	snprintf(want, sizeof(want), "cannot listen on 127.0.0.1:%u: %s", port, strerror(EADDRINUSE));
	cr_expect_str_eq(err, want);
	free(err);
	cr_expect_eq(cannery_server_port(srv), 0);
	cr_expect_null(cannery_server_url(srv));
	cannery_server_destroy(srv);
	close(fd);
}

static bool have_ipv6_loopback(void)
{
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

Test(server, ipv6_loopback)
{
	static const char *const hosts[] = { "::1", "[::1]" };
	if (!have_ipv6_loopback())
		cr_skip_test("no IPv6 here");
	for (size_t i = 0; i < 2; i++) {
		struct cannery_config cfg;
		const char *dirs[1];
		char url[64];
		test_config(&cfg, dirs, NULL);
		cfg.host = hosts[i];
		struct cannery_server *srv = start(&cfg);
		snprintf(url, sizeof(url), "http://[::1]:%u", cannery_server_port(srv));
		cr_expect_str_eq(cannery_server_url(srv), url, "host %s", hosts[i]);
		cr_expect(cannery_server_is_loopback(srv), "host %s", hosts[i]);
		cannery_server_destroy(srv);
	}
}

Test(server, create_fails_on_an_invalid_stub_file)
{
	tmpdir_enter("server-invalid");
	put("stubs/ok.yaml", "request: { path: /ok }\n");
	put("stubs/bad.yaml", "request: { path: /bad }\nresponse: { stauts: 200 }\n");
	struct cannery_config cfg;
	const char *dirs[1];
	struct cannery_server *srv = NULL;
	char *err = NULL;
	test_config(&cfg, dirs, "stubs");
	cr_expect_eq(cannery_server_create(&cfg, &srv, &err), -EINVAL);
	cr_expect_null(srv);
	cr_assert_not_null(err);
	cr_expect(strstr(err, "bad.yaml:2:13: error: unknown key 'stauts'"), "%s", err);
	free(err);
	cr_expect_eq(cannery_server_create(&cfg, &srv, NULL), -EINVAL, "errors may be NULL");
}

Test(server, create_fails_on_a_journal_file_it_cannot_open)
{
	struct cannery_config cfg;
	const char *dirs[1];
	struct cannery_server *srv = NULL;
	char *err = NULL;
	test_config(&cfg, dirs, NULL);
	cfg.journal_file = "/nonexistent-dir/journal.ndjson";
	int rc = cannery_server_create(&cfg, &srv, &err);
	cr_expect_eq(rc, -ENOENT, "%d", rc);
	cr_expect_null(srv);
	cr_assert_not_null(err);
	cr_expect(strncmp(err, "cannery: ", 9) == 0 && strstr(err, "/nonexistent-dir/journal.ndjson"), "%s", err);
	cr_expect_eq(count_substr(err, "\n"), 1, "one line: %s", err);
	free(err);
}

/* ---- the config reaches every part ---- */

Test(server, config_strings_are_copied)
{
	tmpdir_enter("server-copies");
	put("stubs/a.yaml", "request: { path: /a }\nresponse: { body: from-file }\n");
	char host[] = "127.0.0.1", dir[] = "stubs", token[] = "s3cret", allow[] = "example.test";
	const char *dirs[] = { dir };
	const char *allows[] = { allow };
	struct cannery_config cfg;
	cannery_config_init(&cfg);
	cfg.port = 0;
	cfg.log = CANNERY_LOG_QUIET;
	cfg.watch = false;
	cfg.host = host;
	cfg.dirs = dirs;
	cfg.allow_hosts = allows;
	cfg.nallow_hosts = 1;
	cfg.admin_token = token;
	struct cannery_server *srv = NULL;
	char *err = NULL;
	cr_assert_eq(cannery_server_create(&cfg, &srv, &err), 0, "%s", err ? err : "");
	memset(host, 'x', sizeof(host) - 1);
	memset(dir, 'x', sizeof(dir) - 1);
	memset(token, 'x', sizeof(token) - 1);
	memset(allow, 'x', sizeof(allow) - 1);
	cr_assert_eq(cannery_server_start(srv, &err), 0, "%s", err ? err : "");
	cr_expect_str_eq(server_admin(srv)->token, "s3cret");
	cr_expect_eq(cannery_server_reload(srv, NULL), 0, "the directory name was copied");
	cr_expect_eq(cannery_server_stub_count(srv), 1);
	unsigned port = cannery_server_port(srv);
	expect_http(http_raw(port, "GET /a HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n"), 200,
		    "from-file");
	expect_http(http_request(port, "GET", "/__cannery/health", NULL, NULL), 401, NULL);
	expect_http(http_request(port, "GET", "/__cannery/health", "Authorization: Bearer s3cret\r\n", NULL), 200, NULL);
	cannery_server_destroy(srv);
}

Test(server, limits_reach_the_pipeline)
{
	struct cannery_config cfg;
	const char *dirs[1];
	test_config(&cfg, dirs, NULL);
	cfg.max_body = 4;
	cfg.journal_limit = 2;
	cfg.cors = false;
	struct cannery_server *srv = start(&cfg);
	add_stubs(srv, "request: { method: POST, path: /p }\nresponse: { body: ok }\n");
	unsigned port = cannery_server_port(srv);
	expect_http(http_request(port, "POST", "/p", NULL, "1234"), 200, "ok");
	expect_http(http_request(port, "POST", "/p", NULL, "12345"), 413, NULL);
	char *resp = get(srv, "/nothing");
	cr_expect_null(strstr(resp, "Access-Control-Allow-Origin"), "cors off: %s", resp);
	expect_http(resp, 404, NULL);
	struct journal_stats st;
	journal_stats(server_admin(srv)->journal, &st);
	cr_expect_eq(st.entries, 2);
	cr_expect_eq(st.evicted, 1);
	cannery_server_destroy(srv);
}

Test(server, access_log_goes_to_log_fd)
{
	char *path = tmpfile_create("server-log");
	int fd = open(path, O_WRONLY | O_APPEND);
	cr_assert(fd >= 0);
	struct cannery_config cfg;
	const char *dirs[1];
	test_config(&cfg, dirs, NULL);
	cfg.log = CANNERY_LOG_NORMAL;
	cfg.log_fd = fd;
	struct cannery_server *srv = start(&cfg);
	expect_http(get(srv, "/nothing"), 404, NULL);
	cannery_server_destroy(srv);
	char *log = slurp(path);
	cr_expect(strstr(log, "Z GET /nothing 404 "), "%s", log);
	free(log);
	close(fd);
	unlink(path);
	free(path);
}

Test(server, journal_file_is_complete_once_stopped)
{
	char *path = tmpfile_create("server-journal");
	struct cannery_config cfg;
	const char *dirs[1];
	test_config(&cfg, dirs, NULL);
	cfg.journal_file = path;
	struct cannery_server *srv = start(&cfg);
	for (int i = 0; i < 5; i++)
		expect_http(get(srv, "/j"), 404, NULL);
	cannery_server_stop(srv);
	char *text = slurp(path);
	cr_expect_eq(count_substr(text, "\n"), 5, "%s", text);
	cr_expect_eq(count_substr(text, "\"path\":\"/j\""), 5, "%s", text);
	free(text);
	cannery_server_destroy(srv);
	unlink(path);
	free(path);
}

Test(server, server_admin_is_the_servers_own)
{
	struct cannery_server *a = serve(NULL), *b = serve(NULL);
	const struct admin_ctx *ax = server_admin(a);
	cr_expect_eq(ax, server_admin(a), "the same context every time");
	cr_expect_neq(ax->journal, server_admin(b)->journal);
	cr_expect_null(ax->token);
	cr_expect(ax->quiet);
	expect_http(get(a, "/x"), 404, NULL);
	cr_expect_eq(journaled(a), 1);
	cr_expect_eq(journaled(b), 0);
	cannery_server_destroy(a);
	cannery_server_destroy(b);
}

/* ---- reload ---- */

Test(server, reload_keeps_the_old_set_on_errors_and_runtime_stubs_always)
{
	tmpdir_enter("server-reload");
	put("stubs/a.yaml", "request: { path: /a }\nresponse: { body: one }\n");
	struct cannery_server *srv = serve("stubs");
	add_stubs(srv, "name: rt\nrequest: { path: /rt }\nresponse: { body: runtime }\n");
	cr_expect_eq(cannery_server_stub_count(srv), 2);
	put("stubs/a.yaml", "request: { path: /a }\nresponse: { body: two }\n");
	put("stubs/b.yaml", "request: { path: /b }\n");
	cr_assert_eq(cannery_server_reload(srv, NULL), 0);
	cr_expect_eq(cannery_server_stub_count(srv), 3);
	expect_http(get(srv, "/a"), 200, "two");
	put("stubs/b.yaml", "request: { path: /b }\nresponse: { delay: 12parsecs }\n");
	char *err = NULL;
	cr_expect_eq(cannery_server_reload(srv, &err), -EINVAL);
	cr_assert_not_null(err);
	cr_expect(strstr(err, "b.yaml:2:") && strstr(err, "12parsecs"), "%s", err);
	free(err);
	cr_expect_eq(cannery_server_stub_count(srv), 3, "the old set stays");
	expect_http(get(srv, "/a"), 200, "two");
	expect_http(get(srv, "/rt"), 200, "runtime");
	cannery_server_destroy(srv);
}

/* ---- stop ends what waits ---- */

struct waiter {
	struct cannery_server *srv;
	int rc;
};

static void *wait_forever(void *arg)
{
	struct waiter *w = arg;
	w->rc = cannery_server_wait(w->srv, "path: /never", 1, 600000, NULL, NULL);
	return NULL;
}

Test(server, stop_ends_a_blocking_wait)
{
	struct waiter w = { serve(NULL), 0 };
	pthread_t th;
	cr_assert_eq(pthread_create(&th, NULL, wait_forever, &w), 0);
	/* before or after the wait starts, stop ends it */
	cannery_server_stop(w.srv);
	pthread_join(th, NULL);
	cr_expect_eq(w.rc, -ECANCELED);
	cannery_server_destroy(w.srv);
}

struct client {
	unsigned port;
	char *resp;
};

static void *get_forever(void *arg)
{
	struct client *c = arg;
	c->resp = http_request(c->port, "GET", "/forever", NULL, NULL);
	return NULL;
}

Test(server, stop_answers_a_delayed_request_at_once)
{
	struct cannery_server *srv = serve(NULL);
	add_stubs(srv, "name: forever\nrequest: { path: /forever }\n"
		       "responses: [ { body: never, delay: 600s }, { body: ever, delay: 600s } ]\n");
	struct client c = { cannery_server_port(srv), NULL };
	pthread_t th;
	cr_assert_eq(pthread_create(&th, NULL, get_forever, &c), 0);
	cr_assert(await_hit(server_admin(srv)->state, "forever"), "the request never arrived");
	cannery_server_stop(srv);
	pthread_join(th, NULL);
	expect_http(c.resp, 200, "never");
	cr_expect_eq(journaled(srv), 1);
	cannery_server_destroy(srv);
}

/* ---- cannery_check ---- */

Test(server, check_counts_stubs_and_files)
{
	tmpdir_enter("server-check");
	put("stubs/a.yaml", "- request: { path: /a }\n- request: { path: /b }\n");
	put("stubs/sub/c.yml", "request: { path: /c }\nresponse: { file: body.txt }\n");
	put("stubs/sub/body.txt", "a body\n");
	const char *dirs[] = { "stubs" };
	size_t nstubs = 0, nfiles = 0;
	char *err = NULL;
	cr_expect_eq(cannery_check(dirs, 1, &nstubs, &nfiles, &err), 0, "%s", err ? err : "");
	cr_expect_eq(nstubs, 3);
	cr_expect_eq(nfiles, 2, "body files are not stub files");
	cr_expect_eq(cannery_check(dirs, 1, NULL, NULL, NULL), 0);
	put("stubs/sub/c.yml", "request: { path: /c }\nresponse: { file: missing.txt }\n");
	cr_expect_eq(cannery_check(dirs, 1, &nstubs, &nfiles, &err), -EINVAL);
	cr_assert_not_null(err);
	cr_expect(strstr(err, "c.yml:2:") && strstr(err, "error:"), "%s", err);
	free(err);
	cr_expect_eq(cannery_check(dirs, 1, NULL, NULL, NULL), -EINVAL);
}
