/* SPDX-License-Identifier: MIT */
/* Recording end to end (SPEC sections 1, 2 and 6): `cannery record` and `serve --proxy
 * --record` against an upstream the test runs itself; the recorded directory passes
 * `cannery check` and, with the upstream gone, `cannery serve` answers the same requests
 * with the same status, content type and body. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "upstream.h"

static void fini(void)
{
	up_teardown();
	h_teardown();
}

TestSuite(record, .init = h_setup, .fini = fini, .timeout = 120);

/* record --upstream URL --out DIR --port 0 [extra...] */
static struct h_server *record_to(const char *url, const char *out, const char *extra1, const char *extra2)
{
	return h_server_spawnv("record", "--upstream", url, "--out", out, "--port", "0", extra1, extra2, NULL);
}

static bool exists(const char *dir, const char *name)
{
	struct stat st;

	return stat(h_fmt("%s/%s", dir, name), &st) == 0;
}

/* Names in dir (not . and ..), joined with spaces in byte order. */
static char *listing(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char *names[256];
	size_t n = 0, i, j;
	char *out = h_fmt("%s", "");

	if (!d)
		return out;
	while ((de = readdir(d)) && n < 256)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			names[n++] = h_fmt("%s", de->d_name);
	closedir(d);
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char *t = names[j];
			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	for (i = 0; i < n; i++)
		out = h_fmt("%s%s%s", out, i ? " " : "", names[i]);
	return out;
}

/* One request of the round trip, and what the live upstream answered. */
struct exchange {
	const char *method;          /* NULL: GET */
	const char *path;
	const char *body;            /* NULL: none */
	const char *header;          /* one extra request header, or NULL */
	long status;
	char *content_type;
	char *location;
	char *got;
	size_t got_len;
};

static struct h_response *send_one(const struct h_server *s, const struct exchange *e)
{
	const char *headers[3] = { e->header, e->header ? "Accept:" : NULL, NULL };

	if (!e->header)
		headers[0] = "Accept:";
	return h_request(s, e->method, e->path, e->body, headers);
}

/* JSON bodies must be JSON-equal (key order and escapes may differ), others byte-equal. */
static bool same_body(const char *content_type, const char *a, size_t alen, const char *b, size_t blen)
{
	cJSON *ja, *jb;
	bool same;

	if (!h_contains(content_type, "json"))
		return alen == blen && memcmp(a, b, alen) == 0;
	ja = cJSON_ParseWithLength(a, alen);
	jb = cJSON_ParseWithLength(b, blen);
	same = ja && jb && cJSON_Compare(ja, jb, true);
	cJSON_Delete(ja);
	cJSON_Delete(jb);
	return same;
}

static const char *show(const struct exchange *e)
{
	return h_fmt("%s %s", e->method ? e->method : "GET", e->path);
}

Test(record, record_then_replay_with_the_upstream_gone)
{
	struct exchange ex[] = {
		{ .path = "/json" },
		{ .path = "/text" },
		{ .path = "/binary" },
		{ .path = "/gzip", .header = "Accept-Encoding: gzip" },
		{ .path = "/deflate" },
		{ .path = "/chunked" },
		{ .path = "/echo/q?page=2&sort=name+asc&empty=" },
		{ .method = "POST", .path = "/echo/users", .body = "{\"name\":\"Ada\",\"admin\":false}",
		  .header = "Content-Type: application/json" },
		{ .method = "PUT", .path = "/echo/notes/1", .body = "plain text note\nwith {{braces}}\n",
		  .header = "Content-Type: text/plain" },
		{ .method = "DELETE", .path = "/echo/notes/1" },
		{ .path = "/missing" },
		{ .path = "/error" },
		{ .path = "/empty" },
		{ .path = "/redirect" },
		{ .path = "/secrets" },
		{ .path = "/odd/%7Bid%7D" },
	};
	size_t n = sizeof(ex) / sizeof(ex[0]), i;
	const char *out = h_fmt("%s/recorded", h_tmpdir());
	struct upstream *u = up_start();
	struct h_server *rec = record_to(up_url(u), out, NULL, NULL);
	struct h_server *replay;
	struct h_run *check;

	cr_expect_str_eq(rec->ready_line, h_fmt("cannery: recording %s on http://127.0.0.1:%d", up_url(u), rec->port));
	for (i = 0; i < n; i++) {
		struct h_response *r = send_one(rec, &ex[i]);
		const char *ct = h_header(r, "Content-Type"), *loc = h_header(r, "Location");

		cr_assert(r->status >= 200, "%s: %ld %s", show(&ex[i]), r->status, r->error);
		ex[i].status = r->status;
		ex[i].content_type = ct ? h_fmt("%s", ct) : NULL;
		ex[i].location = loc ? h_fmt("%s", loc) : NULL;
		ex[i].got = h_fmt("%*s", (int)r->body_len, "");
		memcpy(ex[i].got, r->body, r->body_len);
		ex[i].got_len = r->body_len;
	}
	/* what the client got live is the upstream's own answer */
	cr_expect_str_eq(ex[0].got, UP_JSON);
	cr_expect_str_eq(ex[3].got, UP_GZIP_JSON);
	cr_expect_eq(ex[2].got_len, UP_BINARY_LEN);
	cr_expect(h_contains(ex[14].got, "{\"ok\":true}"));
	h_server_stop_ok(rec);
	up_stop(u);

	check = h_runv("check", out, NULL);
	cr_expect_eq(check->exit_code, 0, "check failed:\n%s", check->err);
	cr_expect(h_contains(check->out, h_fmt("cannery: %zu stubs in %zu files ok", n, n)), "%s", check->out);

	replay = h_serve(out, "--no-watch", NULL);
	cr_expect_eq(replay->nstubs, (int)n);
	for (i = 0; i < n; i++) {
		struct h_response *r = send_one(replay, &ex[i]);
		const char *ct = h_header(r, "Content-Type"), *loc = h_header(r, "Location");

		cr_expect_eq(r->status, ex[i].status, "%s: replayed %ld, recorded %ld: %s", show(&ex[i]), r->status,
			     ex[i].status, r->body);
		if (ex[i].content_type)
			cr_expect(ct && strcmp(ct, ex[i].content_type) == 0, "%s: Content-Type %s, recorded %s",
				  show(&ex[i]), ct ? ct : "(none)", ex[i].content_type);
		if (ex[i].location)
			cr_expect(loc && strcmp(loc, ex[i].location) == 0, "%s: Location %s", show(&ex[i]),
				  loc ? loc : "(none)");
		cr_expect(same_body(ex[i].content_type, r->body, r->body_len, ex[i].got, ex[i].got_len),
			  "%s: replayed body differs\nreplayed: %s\nrecorded: %s", show(&ex[i]), r->body, ex[i].got);
		cr_expect_null(h_header(r, "Content-Encoding"), "%s", show(&ex[i]));
	}
	/* the cookie replays with its name but not its value */
	cr_expect_str_eq(h_header(h_get(replay, "/secrets"), "Set-Cookie"), "session=[redacted]; Path=/; HttpOnly");
	/* a request never recorded is the usual miss */
	cr_expect_eq(h_get(replay, "/never")->status, 404);
	h_server_stop_ok(replay);
}

Test(record, files_are_named_after_the_request_and_marked)
{
	const char *out = h_fmt("%s/out", h_tmpdir());
	struct upstream *u = up_start();
	struct h_server *rec = record_to(up_url(u), out, NULL, NULL);
	char *text;

	cr_expect_eq(h_get(rec, "/json")->status, 200);
	cr_expect_eq(h_get(rec, "/binary")->status, 200);
	cr_expect_eq(h_get(rec, "/gzip")->status, 200);
	cr_expect_eq(h_request(rec, "POST", "/api/users/42", "{}", HDRS("Content-Type: application/json"))->status, 200);
	cr_expect_eq(h_get(rec, "/")->status, 200);
	cr_expect_str_eq(listing(out), "get-binary.body.png get-binary.yaml get-gzip.yaml get-json.yaml get-root.yaml "
				       "post-api-users-42.yaml");
	text = h_slurp(h_fmt("%s/get-json.yaml", out), NULL);
	cr_expect(h_contains(text, "template: false"), "%s", text);
	cr_expect(h_contains(text, "json:"), "%s", text);
	cr_expect(!h_contains(text, "Date") && !h_contains(text, "Content-Length"), "%s", text);
	text = h_slurp(h_fmt("%s/get-gzip.yaml", out), NULL);
	cr_expect(!h_contains(text, "Content-Encoding") && h_contains(text, "compressed: true"), "%s", text);
	text = h_slurp(h_fmt("%s/get-binary.yaml", out), NULL);
	cr_expect(h_contains(text, "file: get-binary.body.png"), "%s", text);
	cr_expect(h_server_wait_log(rec, "GET /json 200", "recorded get-json.yaml", NULL), "log:\n%s",
		  h_server_stderr(rec));
	h_server_stop_ok(rec);
}

Test(record, secrets_are_redacted_in_what_is_written)
{
	const char *out = h_fmt("%s/out", h_tmpdir());
	struct upstream *u = up_start();
	struct h_server *rec = record_to(up_url(u), out, NULL, NULL);
	struct h_response *r = h_request(rec, "GET", "/secrets", NULL,
					 HDRS("Authorization: Bearer client-secret", "Cookie: sid=client-cookie",
					      "X-Api-Key: client-key"));
	char *text;
	static const char *const secrets[] = {
		"abc123", "dark", "upstream-token", "key-123", "client-secret", "client-cookie", "client-key",
	};
	size_t i;

	/* live, the client sees everything */
	cr_expect_eq(r->status, 200);
	cr_expect_str_eq(h_header(r, "Set-Cookie"), "session=abc123; Path=/; HttpOnly");
	h_server_stop_ok(rec);
	text = h_slurp(h_fmt("%s/get-secrets.yaml", out), NULL);
	for (i = 0; i < sizeof(secrets) / sizeof(*secrets); i++)
		cr_expect(!h_contains(text, secrets[i]), "'%s' was written:\n%s", secrets[i], text);
	cr_expect(h_contains(text, "session=[redacted]; Path=/; HttpOnly"), "%s", text);
	cr_expect(h_contains(text, "theme=[redacted]"), "%s", text);
	cr_expect(h_contains(text, "X-Api-Key: '[redacted]'"), "%s", text);
}

Test(record, upstream_down_writes_nothing)
{
	const char *out = h_fmt("%s/out", h_tmpdir());
	const char *url = h_fmt("http://127.0.0.1:%d", up_free_port());
	struct h_server *rec = record_to(url, out, NULL, NULL);
	struct h_response *r = h_get(rec, "/json");

	cr_expect_eq(r->status, 502);
	cr_expect(h_contains(r->body, h_fmt("upstream %s unreachable", url)), "%s", r->body);
	h_server_stop_ok(rec);
	cr_expect_str_eq(listing(out), "");
}

Test(record, first_mode_keeps_the_first_response)
{
	const char *out = h_fmt("%s/out", h_tmpdir());
	struct upstream *u = up_start();
	struct h_server *rec = record_to(up_url(u), out, NULL, NULL);
	char *text;

	h_assert_get(rec, "/counter", 200, "{\"n\":1}");
	h_assert_get(rec, "/counter", 200, "{\"n\":2}");
	cr_expect(h_server_wait_log(rec, "kept get-counter.yaml", NULL), "log:\n%s", h_server_stderr(rec));
	h_server_stop_ok(rec);
	/* a later session into the same directory keeps it too */
	rec = record_to(up_url(u), out, "--record-mode", "first");
	h_assert_get(rec, "/counter", 200, "{\"n\":3}");
	h_server_stop_ok(rec);
	cr_expect_str_eq(listing(out), "get-counter.yaml");
	text = h_slurp(h_fmt("%s/get-counter.yaml", out), NULL);
	cr_expect(h_contains(text, "'n': 1") && !h_contains(text, "'n': 2") && !h_contains(text, "'n': 3"), "%s", text);
	up_stop(u);
	h_assert_get(h_serve(out, NULL), "/counter", 200, "{\"n\":1}");
}

Test(record, sequence_mode_appends_each_response)
{
	const char *out = h_fmt("%s/out", h_tmpdir());
	struct upstream *u = up_start();
	struct h_server *rec = record_to(up_url(u), out, "--record-mode", "sequence");
	struct h_run *check;
	char *text;

	h_assert_get(rec, "/counter", 200, "{\"n\":1}");
	h_assert_get(rec, "/counter", 200, "{\"n\":2}");
	h_assert_get(rec, "/counter", 200, "{\"n\":3}");
	cr_expect(h_server_wait_log(rec, "appended to get-counter.yaml", NULL), "log:\n%s", h_server_stderr(rec));
	h_server_stop_ok(rec);
	up_stop(u);
	cr_expect_str_eq(listing(out), "get-counter.yaml");
	text = h_slurp(h_fmt("%s/get-counter.yaml", out), NULL);
	cr_expect(h_contains(text, "responses:\n- status: 200"), "%s", text);
	cr_expect(h_contains(text, "'n': 1") && h_contains(text, "'n': 2") && h_contains(text, "'n': 3"), "%s", text);
	check = h_runv("check", out, NULL);
	cr_assert_eq(check->exit_code, 0, "a sequence recording must load: %s", check->err);
	{
		struct h_server *replay = h_serve(out, "--no-watch", NULL);

		h_assert_get(replay, "/counter", 200, "{\"n\":1}");
		h_assert_get(replay, "/counter", 200, "{\"n\":2}");
		h_assert_get(replay, "/counter", 200, "{\"n\":3}");
		h_assert_get(replay, "/counter", 200, "{\"n\":3}");
		h_server_stop_ok(replay);
	}
}

Test(record, different_queries_are_different_files)
{
	const char *out = h_fmt("%s/out", h_tmpdir());
	struct upstream *u = up_start();
	struct h_server *rec = record_to(up_url(u), out, NULL, NULL);
	struct h_server *replay;
	struct h_response *r;

	cr_expect_eq(h_get(rec, "/echo/c?page=1")->status, 200);
	cr_expect_eq(h_get(rec, "/echo/c?page=2")->status, 200);
	cr_expect_eq(h_get(rec, "/echo/c?page=1")->status, 200);
	h_server_stop_ok(rec);
	up_stop(u);
	cr_expect_str_eq(listing(out), "get-echo-c-2.yaml get-echo-c.yaml");
	replay = h_serve(out, NULL);
	r = h_get(replay, "/echo/c?page=2");
	cr_expect(h_contains(r->body, "\"target\":\"/echo/c?page=2\""), "%s", r->body);
	r = h_get(replay, "/echo/c?page=1");
	cr_expect(h_contains(r->body, "\"target\":\"/echo/c?page=1\""), "%s", r->body);
	h_server_stop_ok(replay);
}

Test(record, leftover_temporary_files_are_cleaned_at_start)
{
	/* left by writers that are gone (no such pid) */
	const char *out = h_stub_dir(".cannery-tmp-999999999-0", "request: {path: /half", ".cannery-tmp-999999998-7",
				     "x", ".mine", "kept", NULL);
	struct upstream *u = up_start();
	struct h_server *rec = record_to(up_url(u), out, NULL, NULL);

	cr_expect_str_eq(listing(out), ".mine");
	cr_expect_eq(h_get(rec, "/text")->status, 200);
	h_server_stop_ok(rec);
	cr_expect_str_eq(listing(out), ".mine get-text.yaml");
}

struct many {
	const struct h_server *s;
	int i;
	long status;
};

static void *get_many(void *arg)
{
	struct many *m = arg;

	m->status = h_get(m->s, h_fmt("/echo/item/%d", m->i))->status;
	return NULL;
}

Test(record, concurrent_exchanges_are_all_recorded)
{
	enum { N = 24 };
	const char *out = h_fmt("%s/out", h_tmpdir());
	struct upstream *u = up_start();
	struct h_server *rec = record_to(up_url(u), out, NULL, NULL);
	struct many m[N];
	pthread_t t[N];
	struct h_run *check;
	int i;

	for (i = 0; i < N; i++) {
		m[i].s = rec;
		m[i].i = i;
		cr_assert(pthread_create(&t[i], NULL, get_many, &m[i]) == 0);
	}
	for (i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		cr_expect_eq(m[i].status, 200);
		/* answered means written */
		cr_expect(exists(out, h_fmt("get-echo-item-%d.yaml", i)), "item %d not on disk when answered", i);
	}
	h_server_stop_ok(rec);
	check = h_runv("check", out, NULL);
	cr_expect_eq(check->exit_code, 0, "%s", check->err);
	cr_expect(h_contains(check->out, h_fmt("%d stubs", N)), "%s", check->out);
}

Test(record, serve_proxy_record_writes_only_proxied_exchanges)
{
	const char *stubs = h_stub_dir("local.yaml", "request: { path: /local }\nresponse: { body: local }\n", NULL);
	const char *out = h_fmt("%s/rec", h_tmpdir());
	struct upstream *u = up_start();
	struct h_spawn sp = { 0 };
	struct h_server *s;

	sp.args = (const char *const[]){ "serve", stubs, "--port", "0", "--proxy", up_url(u), "--record", out, NULL };
	s = h_server_spawn(&sp);
	h_assert_get(s, "/local", 200, "local");
	h_assert_get(s, "/text", 200, UP_TEXT);
	h_assert_get(s, "/missing", 404, "{\"error\":\"not here\"}");
	h_server_stop_ok(s);
	cr_expect_str_eq(listing(out), "get-missing.yaml get-text.yaml");
}

struct poster {
	const struct h_server *s;
	int i;
	const char *body;
};

static void *post_many(void *arg)
{
	struct poster *p = arg;
	int k;

	for (k = 0; k < 4; k++)
		h_request(p->s, "POST", h_fmt("/echo/big/%d/%d", p->i, k), p->body, HDRS("Content-Type: text/plain"));
	return NULL;
}

/* Killed in the middle of writing, a recorder leaves whole stubs (and maybe temporary
 * files, which the loader skips and the next start removes): never half of one. */
Test(record, a_crash_never_leaves_half_a_stub)
{
	enum { N = 8 };
	const char *out = h_fmt("%s/out", h_tmpdir());
	const char *body = h_fmt("%0*d", 512 * 1024, 1);
	struct upstream *u = up_start();
	struct h_server *rec = record_to(up_url(u), out, "--quiet", NULL);
	struct poster p[N];
	pthread_t t[N];
	struct h_run *check;
	int i;

	for (i = 0; i < N; i++) {
		p[i].s = rec;
		p[i].i = i;
		p[i].body = body;
		cr_assert(pthread_create(&t[i], NULL, post_many, &p[i]) == 0);
	}
	/* once something is on disk, writes are under way: kill without warning */
	for (i = 0; i < H_DEADLINE_MS / 5 && !h_contains(listing(out), ".yaml"); i++)
		usleep(5 * 1000);
	h_server_signal(rec, SIGKILL);
	h_server_wait(rec, H_DEADLINE_MS);
	for (i = 0; i < N; i++)
		pthread_join(t[i], NULL);
	cr_log_info("after the kill: %s", listing(out));
	check = h_runv("check", out, NULL);
	cr_expect_eq(check->exit_code, 0, "after a crash:\n%s\nfiles: %s", check->err, listing(out));
	/* the next start cleans up */
	rec = record_to(up_url(u), out, NULL, NULL);
	cr_expect(!h_contains(listing(out), ".cannery-tmp-"), "%s", listing(out));
	h_server_stop_ok(rec);
}
