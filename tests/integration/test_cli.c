/* SPDX-License-Identifier: MIT */
/* The command line (SPEC section 1) through the real binary: exit codes, usage and
 * version, option and environment parsing, `check` output, the ready line, signals. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

TestSuite(cli, .init = h_setup, .fini = h_teardown, .timeout = 60);

/* Stubs in tests/fixtures/integration/api (see its files); one/ holds exactly one. */
#define API_NSTUBS 62

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static struct h_run *run_in(const char *cwd, const char *const *args, const char *const *env)
{
	struct h_spawn sp = { args, env, cwd };

	return h_run(&sp);
}

static struct h_run *run_env(const char *const *env, const char *const *args)
{
	return run_in(NULL, args, env);
}

/* Runs in tests/fixtures/integration, so stub paths print as "bad/x.yaml". */
static struct h_run *run_fixtures(const char *const *args)
{
	return run_in(h_fmt("%s/integration", h_env("CANNERY_FIXTURES")), args, NULL);
}

static void expect_exit(const struct h_run *r, int code, const char *what)
{
	cr_assert(!r->timed_out, "%s: still running after %d ms (killed)\nstdout: %s\nstderr: %s", what,
		  H_DEADLINE_MS, r->out, r->err);
	cr_assert(r->exit_code == code, "%s: exit code %d, expected %d\nstdout: %s\nstderr: %s", what,
		  r->exit_code, code, r->out, r->err);
}

/* A line of text that starts with prefix and then holds "LINE:COL: error: ". */
static bool has_located_error(const char *text, const char *file)
{
	const char *p = text;
	size_t flen = strlen(file);

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		int line, col, used = 0;

		if (strncmp(p, file, flen) == 0 && p[flen] == ':' &&
		    sscanf(p + flen + 1, "%d:%d: error: %n", &line, &col, &used) == 2 && used > 0 &&
		    line > 0 && col > 0)
			return true;
		p = nl ? nl + 1 : NULL;
	}
	return false;
}

/* How many lines of text contain both a and b. */
static size_t count_lines_with(const char *text, const char *a, const char *b)
{
	size_t n = 0;
	const char *p = text;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		char *line = h_fmt("%.*s", nl ? (int)(nl - p) : (int)strlen(p), p);

		if (strstr(line, a) && strstr(line, b))
			n++;
		p = nl ? nl + 1 : NULL;
	}
	return n;
}

/* ---- usage and version ----------------------------------------------------------------- */

Test(cli, version)
{
	struct h_run *r = h_runv("--version", NULL);

	expect_exit(r, 0, "--version");
	cr_expect_str_eq(r->out, "cannery 0.1.0\n");
	cr_expect_str_eq(r->err, "");
}

Test(cli, help_on_stdout)
{
	struct h_run *r = h_runv("--help", NULL);

	expect_exit(r, 0, "--help");
	cr_expect(h_contains(r->out, "serve"), "--help does not mention serve:\n%s", r->out);
	cr_expect(h_contains(r->out, "check"), "--help does not mention check:\n%s", r->out);
	cr_expect_str_eq(r->err, "");
}

Test(cli, help_serve_lists_every_option)
{
	static const char *const options[] = {
		"--host", "--port", "--no-watch", "--cors", "--no-cors", "--journal-limit",
		"--journal-file", "--proxy", "--record", "--admin-token", "--allow-host",
		"--max-body", "--quiet", "--verbose", "--seed", NULL,
	};
	struct h_run *r = h_runv("help", "serve", NULL);
	size_t i;

	expect_exit(r, 0, "help serve");
	for (i = 0; options[i]; i++)
		cr_expect(h_contains(r->out, options[i]), "`cannery help serve` does not list %s:\n%s",
			  options[i], r->out);
}

Test(cli, no_arguments_is_usage_error)
{
	static const char *const none[] = { NULL };
	struct h_run *r = run_env(NULL, none);

	expect_exit(r, 2, "no arguments");
	cr_expect(h_contains(r->err, "serve"), "usage on stderr expected, got:\n%s", r->err);
	cr_expect_str_eq(r->out, "");
}

Test(cli, unknown_command_is_usage_error)
{
	struct h_run *r = h_runv("frobnicate", NULL);

	expect_exit(r, 2, "unknown command");
	cr_expect(h_contains(r->err, "frobnicate"), "stderr should name the command:\n%s", r->err);
}

/* ---- options ----------------------------------------------------------------------------- */

Test(cli, unknown_option_suggests)
{
	struct h_run *r = h_runv("serve", h_fixture("one"), "--prot", "0", NULL);

	expect_exit(r, 2, "--prot");
	cr_expect(h_contains(r->err, "cannery: unknown option '--prot' (did you mean '--port'?)\n"),
		  "stderr:\n%s", r->err);
	cr_expect(!h_contains(r->out, "serving"), "stdout: %s", r->out);
}

Test(cli, unknown_option_without_close_match)
{
	struct h_run *r = h_runv("serve", h_fixture("one"), "--zzzzzzzz", NULL);

	expect_exit(r, 2, "--zzzzzzzz");
	cr_expect(h_contains(r->err, "cannery: unknown option '--zzzzzzzz'"), "stderr:\n%s", r->err);
	cr_expect(!h_contains(r->err, "did you mean"), "no suggestion expected:\n%s", r->err);
}

Test(cli, bad_port_values)
{
	static const char *const bad[] = { "abc", "65536", "-1", "12x", "", NULL };
	size_t i;

	for (i = 0; bad[i]; i++) {
		struct h_run *r = h_runv("serve", h_fixture("one"), "--port", bad[i], NULL);
		char *want = h_fmt("cannery: invalid value '%s' for --port: expected an integer from 0 to 65535\n",
				   bad[i]);

		expect_exit(r, 2, h_fmt("--port '%s'", bad[i]));
		cr_expect(h_contains(r->err, want), "--port '%s': expected\n%sgot:\n%s", bad[i], want, r->err);
	}
}

Test(cli, bad_port_value_equals_form)
{
	struct h_run *r = h_runv("serve", h_fixture("one"), "--port=abc", NULL);

	expect_exit(r, 2, "--port=abc");
	cr_expect(h_contains(r->err, "cannery: invalid value 'abc' for --port: expected an integer from 0 to 65535"),
		  "stderr:\n%s", r->err);
}

Test(cli, option_missing_its_value)
{
	struct h_run *r = h_runv("serve", h_fixture("one"), "--port", NULL);

	expect_exit(r, 2, "--port without a value");
	cr_expect(h_contains(r->err, "--port"), "stderr should name the option:\n%s", r->err);
}

Test(cli, bad_max_body_value)
{
	struct h_run *r = h_runv("serve", h_fixture("one"), "--port", "0", "--max-body", "lots", NULL);

	expect_exit(r, 2, "--max-body lots");
	cr_expect(h_contains(r->err, "cannery: invalid value 'lots' for --max-body"), "stderr:\n%s", r->err);
}

Test(cli, option_values_are_validated)
{
	static const char *const opts[] = { "--journal-limit", "--max-connections", "--head-timeout", "--min-body-rate",
					    NULL };
	size_t i;

	for (i = 0; opts[i]; i++) {
		struct h_run *r = h_runv("serve", h_fixture("one"), "--port", "0", opts[i], "abc", NULL);

		expect_exit(r, 2, opts[i]);
		cr_expect(h_contains(r->err, h_fmt("cannery: invalid value 'abc' for %s", opts[i])),
			  "%s abc: the bad value should be reported first:\n%s", opts[i], r->err);
	}
}

Test(cli, record_usage_errors)
{
	static const struct {
		const char *args[6];
		const char *want;
	} cases[] = {
		{ { "record", "--port", "0" }, "record needs --upstream URL" },
		{ { "record", "--upstream", "ftp://127.0.0.1:9" }, "expected an http:// or https:// URL" },
		{ { "record", "--upstream", "http://" }, "expected an http:// or https:// URL" },
		{ { "record", "--upstream", "127.0.0.1:9" }, "expected an http:// or https:// URL" },
		{ { "record", "--upstream", "http://127.0.0.1:9", "--record-mode", "last" }, "expected first or sequence" },
		{ { "record", "--upstream", "http://127.0.0.1:9", "--proxy-timeout", "soon" }, "--proxy-timeout" },
		{ { "record", "--upstream", "http://127.0.0.1:9", "some-dir" }, "record takes no DIR" },
		{ { "record", "--upstream", "http://127.0.0.1:9", "--no-watch" }, "unknown option '--no-watch'" },
		{ { "serve", "--proxy", "gopher://127.0.0.1:9" }, "expected an http:// or https:// URL" },
		{ { "serve", "--max-connections", "0" }, "expected an integer from 1 to 1000000" },
		{ { "serve", "--head-timeout", "2h" }, "expected a duration up to 3600s" },
		{ { "record", "--upstream", "http://127.0.0.1:9", "--min-body-rate", "-1" }, "expected bytes per second" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct h_run *r = run_env(NULL, cases[i].args);

		expect_exit(r, 2, cases[i].args[1]);
		cr_expect(h_contains(r->err, cases[i].want), "%s %s: stderr should say '%s':\n%s", cases[i].args[0],
			  cases[i].args[1], cases[i].want, r->err);
		cr_expect_str_eq(r->out, "");
	}
}

Test(cli, port_equals_form)
{
	struct h_spawn sp = { ARGS("serve", h_fixture("one"), "--port=0"), NULL, NULL };
	struct h_server *s = h_server_spawn(&sp);

	cr_expect_gt(s->port, 0);
	h_assert_get(s, "/hello", 200, "hello\n");
	h_server_stop_ok(s);
}

/* ---- environment ------------------------------------------------------------------------- */

Test(cli, env_port)
{
	struct h_spawn sp = { ARGS("serve", h_fixture("one")), ARGS("CANNERY_PORT=0"), NULL };
	struct h_server *s = h_server_spawn(&sp);

	cr_expect_gt(s->port, 0);
	h_assert_get(s, "/hello", 200, "hello\n");
	h_server_stop_ok(s);
}

Test(cli, env_bad_value_names_variable)
{
	struct h_run *r = run_env(ARGS("CANNERY_PORT=abc"), ARGS("serve", h_fixture("one")));

	expect_exit(r, 2, "CANNERY_PORT=abc");
	cr_expect(h_contains(r->err, "CANNERY_PORT"), "stderr should name the variable:\n%s", r->err);
	cr_expect(h_contains(r->err, "abc"), "stderr should show the value:\n%s", r->err);
}

Test(cli, flag_beats_env)
{
	int busy;
	struct h_spawn sp = { 0 };
	struct h_server *s;

	/* CANNERY_PORT names a port that is taken: only --port 0 lets the server start. */
	h_listen_any(&busy);
	sp.args = ARGS("serve", h_fixture("one"), "--port", "0");
	sp.env = (const char *const[]){ h_fmt("CANNERY_PORT=%d", busy), NULL };
	s = h_server_spawn(&sp);
	cr_expect_neq(s->port, busy);
	h_server_stop_ok(s);
}

Test(cli, env_bad_boolean_names_variable)
{
	struct h_run *r = run_env(ARGS("CANNERY_QUIET=maybe"), ARGS("serve", h_fixture("one"), "--port", "0"));

	expect_exit(r, 2, "CANNERY_QUIET=maybe");
	cr_expect(h_contains(r->err, "CANNERY_QUIET"), "stderr should name the variable:\n%s", r->err);
}

Test(cli, env_quiet)
{
	struct h_spawn sp = { ARGS("serve", h_fixture("one"), "--port", "0"), ARGS("CANNERY_QUIET=1"), NULL };
	struct h_server *s = h_server_spawn(&sp);
	char *err;

	h_assert_get(s, "/hello", 200, "hello\n");
	h_server_stop_ok(s);
	err = h_server_stderr(s);
	cr_expect(!h_contains(err, "/hello"), "CANNERY_QUIET=1 should silence the access log:\n%s", err);
}

Test(cli, env_allow_host_list)
{
	struct h_spawn sp = { ARGS("serve", h_fixture("one"), "--port", "0"),
			      ARGS("CANNERY_ALLOW_HOST=a.test,b.test"), NULL };
	struct h_server *s = h_server_spawn(&sp);

	h_assert_response(h_get_h(s, "/hello", "Host: a.test"), "Host a.test", 200, "hello\n");
	h_assert_response(h_get_h(s, "/hello", "Host: b.test:8080"), "Host b.test:8080", 200, "hello\n");
	h_assert_response(h_get_h(s, "/hello", "Host: c.test"), "Host c.test", 403, NULL);
	h_server_stop_ok(s);
}

Test(cli, env_max_body_and_flag_override)
{
	const char *dir = h_stub_dir("up.yaml",
				     "name: up\n"
				     "request: { method: POST, path: /up }\n"
				     "response: { body: ok }\n",
				     NULL);
	const char *const ct[] = { "Content-Type: text/plain", NULL };
	struct h_spawn sp = { ARGS("serve", dir, "--port", "0"), ARGS("CANNERY_MAX_BODY=16"), NULL };
	struct h_server *s = h_server_spawn(&sp);

	h_assert_response(h_request(s, "POST", "/up", "0123456789abcdef", ct), "16 bytes", 200, "ok");
	h_assert_response(h_request(s, "POST", "/up", "0123456789abcdefg", ct), "17 bytes", 413, NULL);
	h_server_stop_ok(s);

	sp.args = ARGS("serve", dir, "--port", "0", "--max-body", "1024");
	s = h_server_spawn(&sp);
	h_assert_response(h_request(s, "POST", "/up", "0123456789abcdefg", ct), "17 bytes, --max-body 1024",
			  200, "ok");
	h_server_stop_ok(s);
}

/* ---- check ------------------------------------------------------------------------------- */

Test(cli, check_one_stub_singular)
{
	struct h_run *r = run_fixtures(ARGS("check", "one"));

	expect_exit(r, 0, "check one");
	cr_expect_str_eq(r->out, "cannery: 1 stub in 1 file ok\n");
}

Test(cli, check_plural)
{
	const char *dir = h_stub_dir("a.yaml",
				     "- request: { path: /a }\n"
				     "  response: { body: a }\n"
				     "- request: { path: /b }\n"
				     "  response: { body: b }\n",
				     "sub/c.yml",
				     "request: { path: /c }\n"
				     "response: { body: c }\n",
				     NULL);
	struct h_run *r = h_runv("check", dir, NULL);

	expect_exit(r, 0, "check");
	cr_expect_str_eq(r->out, "cannery: 3 stubs in 2 files ok\n");
}

Test(cli, check_api_fixture)
{
	struct h_run *r = run_fixtures(ARGS("check", "api"));
	char *want = h_fmt("cannery: %d stubs in ", API_NSTUBS);

	expect_exit(r, 0, "check api");
	cr_expect(strncmp(r->out, want, strlen(want)) == 0 && h_contains(r->out, " files ok\n"),
		  "expected '%s... files ok', got '%s'", want, r->out);
}

Test(cli, check_several_dirs)
{
	struct h_run *r = run_fixtures(ARGS("check", "one", "api"));
	char *want = h_fmt("cannery: %d stubs in ", API_NSTUBS + 1);

	expect_exit(r, 0, "check one api");
	cr_expect(strncmp(r->out, want, strlen(want)) == 0, "expected '%s...', got '%s'", want, r->out);
}

Test(cli, check_duplicate_id_across_dirs)
{
	const char *dir = h_stub_dir("again.yaml",
				     "name: hello\n"
				     "request: { path: /again }\n"
				     "response: { body: again }\n",
				     NULL);
	struct h_run *r = h_runv("check", h_fixture("one"), dir, NULL);

	expect_exit(r, 1, "duplicate id");
	cr_expect(h_contains(r->err, "hello"), "the error should name the id:\n%s", r->err);
	cr_expect(has_located_error(r->err, h_fmt("%s/again.yaml", dir)) ||
		  has_located_error(r->err, h_fmt("%s/hello.yaml", h_fixture("one"))),
		  "expected a located error:\n%s", r->err);
}

Test(cli, check_reports_every_error)
{
	static const char *const files[] = {
		"bad/a-unknown-key.yaml", "bad/b-syntax.yaml", "bad/c-both-bodies.yaml",
		"bad/d-bad-regex.yaml", "bad/e-bad-status.yaml", NULL,
	};
	struct h_run *r = run_fixtures(ARGS("check", "bad"));
	size_t i;

	expect_exit(r, 1, "check bad");
	for (i = 0; files[i]; i++)
		cr_expect(has_located_error(r->err, files[i]), "no '%s:LINE:COL: error: ...' line in:\n%s",
			  files[i], r->err);
	cr_expect(h_contains(r->err, "bad/a-unknown-key.yaml:4:5: error: "), "the unknown key is at 4:5:\n%s",
		  r->err);
	cr_expect(h_contains(r->err, "bodyy"), "the message should quote the key:\n%s", r->err);
	cr_expect(h_contains(r->err, "bad/e-bad-status.yaml:3:23: error: "), "the bad status is at 3:23:\n%s",
		  r->err);
	cr_expect(!h_contains(r->out, "ok"), "stdout: %s", r->out);
}

Test(cli, check_dynamic_stub_errors)
{
	const char *dir = h_stub_dir("dynamic.yaml",
				     "- name: slow\n"
				     "  request: { path: /slow }\n"
				     "  response:\n"
				     "    body: x\n"
				     "    delay: 12parsecs\n"
				     "- name: tpl\n"
				     "  request: { path: /t }\n"
				     "  response: { body: \"{{ request.path | uper }}\" }\n"
				     "- name: fine\n"
				     "  request: { path: /f }\n"
				     "  response: { body: \"{{ request.path | upper }}\", delay: 250ms }\n",
				     NULL);
	struct h_run *r = h_runv("check", dir, NULL);
	char *file = h_fmt("%s/dynamic.yaml", dir);

	expect_exit(r, 1, "check on bad delays and templates");
	cr_expect(h_contains(r->err, h_fmt("%s:5:12: error: 'delay' must be a duration", file)),
		  "the delay should be an error at 5:12:\n%s", r->err);
	cr_expect(h_contains(r->err, h_fmt("%s:8:40: error: unknown filter 'uper' (did you mean 'upper'?)", file)),
		  "the filter should be an error at 8:40:\n%s", r->err);
	cr_expect_eq(count_lines_with(r->err, file, "error"), 2, "exactly two errors:\n%s", r->err);
}

Test(cli, seed_and_cors_options)
{
	struct h_spawn sp = { ARGS("serve", h_fixture("one"), "--port", "0", "--seed", "42", "--no-cors"), NULL, NULL };
	struct h_server *s = h_server_spawn(&sp);
	struct h_response *r = h_get_h(s, "/hello", "Origin: http://app.test");

	h_assert_response(r, "GET /hello", 200, "hello\n");
	cr_expect_null(h_header(r, "Access-Control-Allow-Origin"), "--no-cors sends no CORS headers");
	h_server_stop_ok(s);

	sp.args = ARGS("serve", h_fixture("one"), "--port", "0", "--cors");
	sp.env = ARGS("CANNERY_NO_CORS=1", "CANNERY_SEED=7");
	s = h_server_spawn(&sp);
	r = h_get_h(s, "/hello", "Origin: http://app.test");
	cr_expect_str_eq(h_header(r, "Access-Control-Allow-Origin"), "http://app.test", "--cors beats CANNERY_NO_CORS");
	h_server_stop_ok(s);

	sp.args = ARGS("serve", h_fixture("one"), "--port", "0");
	sp.env = ARGS("CANNERY_CORS=0");
	s = h_server_spawn(&sp);
	r = h_get_h(s, "/hello", "Origin: http://app.test");
	cr_expect_null(h_header(r, "Access-Control-Allow-Origin"), "CANNERY_CORS=0 turns CORS off");
	h_server_stop_ok(s);
}

Test(cli, bad_seed_value)
{
	static const char *const bad[] = { "abc", "-1", "1.5", "", "18446744073709551616", NULL };
	size_t i;

	for (i = 0; bad[i]; i++) {
		struct h_run *r = h_runv("serve", h_fixture("one"), "--port", "0", "--seed", bad[i], NULL);

		expect_exit(r, 2, h_fmt("--seed '%s'", bad[i]));
		cr_expect(h_contains(r->err, h_fmt("cannery: invalid value '%s' for --seed: expected a non-negative integer",
						   bad[i])), "--seed '%s': stderr:\n%s", bad[i], r->err);
	}
}

Test(cli, check_reserved_admin_prefix)
{
	const char *dir = h_stub_dir("admin.yaml",
				     "name: adm\n"
				     "request: { path: /__cannery/x }\n"
				     "response: { body: x }\n",
				     NULL);
	struct h_run *r = h_runv("check", dir, NULL);

	expect_exit(r, 1, "a stub under /__cannery/");
	cr_expect(has_located_error(r->err, h_fmt("%s/admin.yaml", dir)), "stderr:\n%s", r->err);
	cr_expect(h_contains(r->err, "__cannery"), "stderr:\n%s", r->err);
}

Test(cli, check_shipped_stubs_and_examples)
{
	const char *src = h_env("CANNERY_SRCDIR");
	struct h_run *r;

	r = run_in(src, ARGS("check", "stubs"), NULL);
	expect_exit(r, 0, "check stubs (the example API in the source tree)");
	r = run_in(src, ARGS("check", "examples/getting-started/stubs"), NULL);
	expect_exit(r, 0, "check examples/getting-started/stubs");
	r = run_in(src, ARGS("check", "examples/getting-started/broken"), NULL);
	expect_exit(r, 1, "check examples/getting-started/broken");
	cr_expect(has_located_error(r->err, "examples/getting-started/broken/todos.yaml"), "stderr:\n%s", r->err);
	r = run_in(src, ARGS("check", "examples/cors-frontend/stubs"), NULL);
	expect_exit(r, 0, "check examples/cors-frontend/stubs");
}

Test(cli, serve_refuses_invalid_stubs)
{
	struct h_run *r = run_fixtures(ARGS("serve", "bad", "--port", "0"));

	expect_exit(r, 1, "serve bad");
	cr_expect(!h_contains(r->out, "serving"), "no ready line expected, stdout: %s", r->out);
	cr_expect(h_contains(r->err, "bad/a-unknown-key.yaml:4:5: error: "), "stderr:\n%s", r->err);
	cr_expect(has_located_error(r->err, "bad/d-bad-regex.yaml"), "stderr:\n%s", r->err);
}

Test(cli, check_missing_dir)
{
	char *missing = h_fmt("%s/no-such-dir", h_tmpdir());
	struct h_run *r = h_runv("check", missing, NULL);

	expect_exit(r, 1, "check on a missing dir");
	cr_expect(h_contains(r->err, missing), "stderr should name the dir:\n%s", r->err);
}

Test(cli, serve_missing_dir)
{
	char *missing = h_fmt("%s/no-such-dir", h_tmpdir());
	struct h_run *r = h_runv("serve", missing, "--port", "0", NULL);

	expect_exit(r, 1, "serve on a missing dir");
	cr_expect(h_contains(r->err, missing), "stderr should name the dir:\n%s", r->err);
	cr_expect(!h_contains(r->out, "serving"), "stdout: %s", r->out);
}

/* ---- the ready line ---------------------------------------------------------------------- */

Test(cli, ready_line_plural)
{
	struct h_server *s = h_serve(h_fixture("api"), NULL);

	cr_expect_str_eq(s->ready_line, h_fmt("cannery: serving %d stubs on http://127.0.0.1:%d", API_NSTUBS, s->port));
	h_server_stop_ok(s);
}

Test(cli, ready_line_singular)
{
	struct h_server *s = h_serve(h_fixture("one"), NULL);

	cr_expect_str_eq(s->ready_line, h_fmt("cannery: serving 1 stub on http://127.0.0.1:%d", s->port));
	h_server_stop_ok(s);
}

Test(cli, ready_line_zero_stubs)
{
	struct h_server *s = h_serve(h_tmpdir(), NULL);

	cr_expect_str_eq(s->ready_line, h_fmt("cannery: serving 0 stubs on http://127.0.0.1:%d", s->port));
	h_server_stop_ok(s);
}

Test(cli, non_loopback_host_warns)
{
	struct h_server *s = h_serve(h_fixture("one"), "--host", "0.0.0.0", NULL);

	cr_expect(h_server_wait_log(s, "not a loopback", NULL), "no warning on stderr:\n%s", h_server_stderr(s));
	h_assert_get(s, "/hello", 200, "hello\n");
	h_server_stop_ok(s);
}

Test(cli, startup_is_silent)
{
	struct h_server *s = h_serve(h_fixture("one"), NULL);
	char *err = h_server_stderr(s);

	/* Everything the server set up came before the ready line: nothing to say yet. */
	cr_expect_str_eq(err, "", "stderr before any request should be empty, got:\n%s", err);
	h_server_stop_ok(s);
}

Test(cli, loopback_host_does_not_warn)
{
	struct h_server *s = h_serve(h_fixture("one"), "--host", "127.0.0.1", NULL);
	char *err;

	h_assert_get(s, "/hello", 200, "hello\n");
	h_server_stop_ok(s);
	err = h_server_stderr(s);
	cr_expect(!h_contains(err, "loopback"), "unexpected warning:\n%s", err);
}

Test(cli, port_in_use)
{
	int busy;
	struct h_run *r;
	char *port;

	h_listen_any(&busy);
	port = h_fmt("%d", busy);
	r = h_runv("serve", h_fixture("one"), "--port", port, NULL);
	expect_exit(r, 1, "port in use");
	cr_expect(h_contains(r->err, port), "stderr should name port %s:\n%s", port, r->err);
	cr_expect_eq(h_count_lines(r->err, ""), 1, "expected a one-line message, got:\n%s", r->err);
	cr_expect(!h_contains(r->out, "serving"), "stdout: %s", r->out);
}

/* ---- signals and defaults ---------------------------------------------------------------- */

Test(cli, sigterm_exits_zero)
{
	struct h_server *s = h_serve(h_fixture("one"), NULL);

	h_assert_get(s, "/hello", 200, "hello\n");
	h_server_stop_ok(s);
}

Test(cli, sigint_exits_zero)
{
	struct h_server *s = h_serve(h_fixture("one"), NULL);
	int code;

	h_assert_get(s, "/hello", 200, "hello\n");
	h_server_signal(s, SIGINT);
	code = h_server_wait(s, H_DEADLINE_MS);
	cr_expect_eq(code, 0, "exit code %d after SIGINT\nstderr:\n%s", code, h_server_stderr(s));
}

Test(cli, sigterm_lets_in_flight_requests_finish)
{
	static const char first[] = "GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n";
	static const char half[] = "POST /hello HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\nabcde";
	struct h_server *s = h_serve(h_stub_dir("up.yaml",
						"name: up\n"
						"request: { method: POST, path: /hello }\n"
						"response: { body: done }\n",
						"get.yaml",
						"name: get\n"
						"request: { method: GET, path: /hello }\n"
						"response: { body: hi }\n",
						NULL),
				     NULL);
	int fd = h_connect(s);
	struct h_raw *r;
	int code;

	/* A full exchange first, so the connection is surely accepted; then half a request. */
	r = h_sock_exchange(fd, first, sizeof(first) - 1, H_UNTIL_RESPONSE, H_DEADLINE_MS);
	cr_assert_eq(r->status, 200, "first request: '%.200s'", r->data);
	h_sock_exchange(fd, half, sizeof(half) - 1, H_UNTIL_RESPONSE, 1);
	/* The signal must find the request begun, not still in a socket buffer. */
	cr_assert(h_wait_server_read(s, fd), "the server did not read the half request");
	h_server_signal(s, SIGTERM);
	cr_assert(h_wait_port_closed(s), "the server still accepts connections after SIGTERM");
	r = h_sock_exchange(fd, "fghij", 5, H_UNTIL_RESPONSE, H_DEADLINE_MS);
	cr_expect_eq(r->status, 200, "the in-flight request should finish: '%.300s'", r->data);
	cr_expect(h_contains(r->data, "done"), "'%.300s'", r->data);
	code = h_server_wait(s, H_DEADLINE_MS);
	cr_expect_eq(code, 0, "exit code %d after SIGTERM\nstderr:\n%s", code, h_server_stderr(s));
}

Test(cli, sighup_reloads)
{
	const char *dir = h_stub_dir("v.yaml",
				     "name: version\n"
				     "request: { path: /v }\n"
				     "response: { body: v1 }\n",
				     NULL);
	struct h_server *s = h_serve(dir, "--no-watch", NULL);
	struct h_response *last;

	h_assert_get(s, "/v", 200, "v1");
	h_write_file(dir, "v.yaml",
		     "name: version\n"
		     "request: { path: /v }\n"
		     "response: { body: v2 }\n");
	h_write_file(dir, "w.yaml",
		     "name: added\n"
		     "request: { path: /w }\n"
		     "response: { body: w }\n");
	h_server_signal(s, SIGHUP);
	cr_assert(h_poll_get(s, "/v", 200, "v2", &last), "after SIGHUP /v still answers %ld '%s'\nstderr:\n%s",
		  last->status, last->body, h_server_stderr(s));
	h_assert_get(s, "/w", 200, "w");
	h_assert_get(s, "/__cannery/health", 200, "{\"status\":\"ok\",\"stubs\":2,\"version\":\"0.1.0\"}");

	/* A broken file: the reload fails, the error is logged, the old set keeps serving. */
	h_write_file(dir, "v.yaml",
		     "name: version\n"
		     "request: { path: /v }\n"
		     "response: { body: v3, json: 1 }\n");
	h_server_signal(s, SIGHUP);
	cr_assert(h_server_wait_log(s, "v.yaml:", "error", NULL), "no reload error logged:\n%s", h_server_stderr(s));
	h_assert_get(s, "/v", 200, "v2");
	h_assert_get(s, "/w", 200, "w");
	h_server_stop_ok(s);
}

Test(cli, default_dir_is_stubs)
{
	struct h_spawn sp = { ARGS("serve", "--port", "0"), NULL, h_env("CANNERY_SRCDIR") };
	struct h_server *s = h_server_spawn(&sp);
	struct h_response *r = h_get(s, "/__cannery/health");

	cr_expect_gt(s->nstubs, 0, "./stubs of the source tree should hold stubs: %s", s->ready_line);
	h_assert_response(r, "/__cannery/health", 200, NULL);
	cr_expect(h_contains(r->body, "\"status\":\"ok\""), "health: %s", r->body);
	cr_expect(!h_contains(r->body, "\"stubs\":0,"), "health: %s", r->body);
	h_server_stop_ok(s);
}
