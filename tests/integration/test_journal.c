/* SPDX-License-Identifier: MIT */
/* The request journal through the real binary (SPEC section 4): concurrent requests are
 * all recorded with unique seqs, the ring evicts the oldest and counts it, entries carry
 * every field with secrets redacted, refused requests are recorded too, and the NDJSON
 * file agrees with the API and is complete after SIGTERM. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

TestSuite(journal, .init = h_setup, .fini = h_teardown, .timeout = 120);

static const char stubs_yaml[] =
	"- name: hello\n"
	"  request: { method: GET, path: /hello }\n"
	"  response: { body: hi }\n"
	"- name: add-user\n"
	"  request: { method: POST, path: /api/users }\n"
	"  response: { status: 201, json: { ok: true } }\n";

static const char *stub_dir(void)
{
	return h_stub_dir("stubs.yaml", stubs_yaml, NULL);
}

static cJSON *requests(const struct h_server *s, const char *query)
{
	struct h_response *r = h_get(s, h_fmt("/__cannery/requests%s", query ? query : ""));
	cr_assert_eq(r->status, 200, "%s", r->body);
	cJSON *o = cJSON_Parse(r->body);
	cr_assert(o, "not JSON: %s", r->body);
	return o;
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	cr_assert(cJSON_IsString(v), "no string '%s' in %s", key, cJSON_PrintUnformatted(o));
	return v->valuestring;
}

static double num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	cr_assert(cJSON_IsNumber(v), "no number '%s' in %s", key, cJSON_PrintUnformatted(o));
	return v->valuedouble;
}

/* ---- concurrency ---- */

struct sender {
	const struct h_server *s;
	int t;
	int failed;
};

static void *send_fifty(void *arg)
{
	struct sender *x = arg;
	struct h_client *c = h_client_create();
	for (int i = 0; i < 50; i++) {
		struct h_response *r = h_client_request(c, x->s, NULL, h_fmt("/hello?t=%d&i=%d", x->t, i), NULL, 0, NULL);
		if (r->status != 200)
			x->failed++;
	}
	return NULL;
}

Test(journal, twenty_threads_fifty_requests_none_lost)
{
	enum { T = 20, N = 50 };
	struct h_server *s = h_serve(stub_dir(), "--quiet", NULL);
	struct sender x[T];
	pthread_t th[T];
	for (int t = 0; t < T; t++) {
		x[t] = (struct sender){ s, t, 0 };
		cr_assert_eq(pthread_create(&th[t], NULL, send_fifty, &x[t]), 0);
	}
	for (int t = 0; t < T; t++) {
		pthread_join(th[t], NULL);
		cr_expect_eq(x[t].failed, 0, "thread %d: %d requests failed", t, x[t].failed);
	}
	cJSON *o = requests(s, NULL);
	cr_expect_eq(num(o, "total"), T * N);
	cr_expect_eq(num(o, "evicted"), 0);
	static bool seq_seen[T * N + 1], pair_seen[T][N];
	double last = 0;
	const cJSON *e;
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(o, "requests"))
	{
		double seq = num(e, "seq");
		cr_assert(seq >= 1 && seq <= T * N && !seq_seen[(int)seq], "seq %g repeated or out of range", seq);
		cr_assert_gt(seq, last, "entries are listed in ascending seq");
		seq_seen[(int)seq] = true;
		last = seq;
		const cJSON *q = cJSON_GetObjectItem(e, "query");
		int t = (int)strtol(str(q, "t"), NULL, 10), i = (int)strtol(str(q, "i"), NULL, 10);
		cr_assert(t >= 0 && t < T && i >= 0 && i < N && !pair_seen[t][i], "request t=%d i=%d twice", t, i);
		pair_seen[t][i] = true;
	}
	cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(o, "requests")), T * N);
	cJSON_Delete(o);
	h_server_stop_ok(s);
}

/* ---- the ring ---- */

Test(journal, ring_keeps_the_newest_and_counts_evictions)
{
	struct h_server *s = h_serve(stub_dir(), "--journal-limit", "5", NULL);
	for (int i = 1; i <= 8; i++)
		h_assert_get(s, h_fmt("/hello?n=%d", i), 200, "hi");
	cJSON *o = requests(s, NULL);
	cr_expect_eq(num(o, "total"), 5);
	cr_expect_eq(num(o, "evicted"), 3);
	const cJSON *list = cJSON_GetObjectItem(o, "requests");
	cr_assert_eq(cJSON_GetArraySize(list), 5);
	for (int i = 0; i < 5; i++) {
		const cJSON *e = cJSON_GetArrayItem(list, i);
		cr_expect_eq(num(e, "seq"), 4 + i);
		cr_expect_str_eq(str(cJSON_GetObjectItem(e, "query"), "n"), h_fmt("%d", 4 + i));
	}
	cJSON_Delete(o);
	struct h_response *m = h_get(s, "/__cannery/metrics");
	cr_expect(h_contains(m->body, "\ncannery_journal_evicted_total 3\n"), "%s", m->body);
	cr_expect(h_contains(m->body, "\ncannery_journal_entries 5\n"), "%s", m->body);
	h_server_stop_ok(s);
}

Test(journal, limit_zero_keeps_nothing)
{
	struct h_server *s = h_serve(stub_dir(), "--journal-limit", "0", NULL);
	h_assert_get(s, "/hello", 200, "hi");
	cJSON *o = requests(s, NULL);
	cr_expect_eq(num(o, "total"), 0);
	cr_expect_eq(num(o, "evicted"), 0);
	cJSON_Delete(o);
	h_server_stop_ok(s);
}

/* ---- entries ---- */

Test(journal, entry_fields)
{
	struct h_server *s = h_serve(stub_dir(), NULL);
	struct h_response *r = h_request(s, "POST", "/api/users?page=2&tag=a&tag=b&q=caf%C3%A9+au+lait",
					 "{\"name\":\"Ada\"}",
					 HDRS("Content-Type: application/json", "X-Trace: one", "X-Trace: two"));
	h_assert_response(r, "POST /api/users", 201, NULL);
	h_assert_get(s, "/api/users%2Fx", 404, NULL);
	cJSON *o = requests(s, NULL);
	const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "requests"), 0);
	cr_expect_eq(num(e, "seq"), 1);
	const char *t = str(e, "time");
	cr_expect(strlen(t) == 24 && t[4] == '-' && t[10] == 'T' && t[19] == '.' && t[23] == 'Z', "RFC 3339 UTC: %s", t);
	cr_expect_str_eq(str(e, "method"), "POST");
	cr_expect_str_eq(str(e, "path"), "/api/users");
	const cJSON *q = cJSON_GetObjectItem(e, "query");
	cr_expect_str_eq(str(q, "page"), "2");
	cr_expect_str_eq(str(q, "tag"), "a, b", "repeated parameters are joined");
	cr_expect_str_eq(str(q, "q"), "caf\xc3\xa9 au lait", "decoded");
	const cJSON *h = cJSON_GetObjectItem(e, "headers");
	cr_expect_str_eq(str(h, "content-type"), "application/json", "names are lower-case");
	cr_expect_str_eq(str(h, "x-trace"), "one, two", "repeated headers are joined");
	cr_expect(cJSON_GetObjectItem(h, "host") != NULL);
	cr_expect_str_eq(str(e, "body"), "{\"name\":\"Ada\"}");
	cr_expect_str_eq(str(e, "stub"), "add-user");
	cr_expect_eq(num(e, "status"), 201);
	cr_expect_geq(num(e, "duration_ms"), 0);

	e = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "requests"), 1);
	cr_expect(cJSON_IsNull(cJSON_GetObjectItem(e, "stub")), "unmatched: stub null");
	cr_expect_eq(num(e, "status"), 404);
	cr_expect_str_eq(str(e, "path"), "/api/users/x", "the path is percent-decoded");
	cr_expect_str_eq(str(e, "body"), "");
	cJSON_Delete(o);
	h_server_stop_ok(s);
}

Test(journal, secrets_are_redacted_but_matchers_see_them)
{
	struct h_server *s = h_serve(stub_dir(), NULL);
	h_assert_response(h_request(s, "GET", "/hello", NULL,
				    HDRS("Authorization: Bearer s3cret", "Proxy-Authorization: Basic eA==",
					 "Cookie: sid=abc123", "X-Api-Key: k3y", "X-Visible: yes")),
			  "GET with secrets", 200, "hi");
	struct h_response *r = h_get(s, "/__cannery/requests");
	cr_expect(!h_contains(r->body, "s3cret") && !h_contains(r->body, "abc123") && !h_contains(r->body, "k3y") &&
			  !h_contains(r->body, "eA=="),
		  "%s", r->body);
	cr_expect(h_contains(r->body, "\"authorization\":\"[redacted]\""), "%s", r->body);
	cr_expect(h_contains(r->body, "\"proxy-authorization\":\"[redacted]\""), "%s", r->body);
	cr_expect(h_contains(r->body, "\"cookie\":\"[redacted]\""), "%s", r->body);
	cr_expect(h_contains(r->body, "\"x-api-key\":\"[redacted]\""), "%s", r->body);
	cr_expect(h_contains(r->body, "\"x-visible\":\"yes\""), "%s", r->body);
	h_assert_response(h_request(s, "POST", "/__cannery/requests/count",
				    "{\"request\":{\"headers\":{\"Authorization\":\"Bearer s3cret\",\"x-api-key\":\"k3y\"},"
				    "\"cookies\":{\"sid\":\"abc123\"}}}",
				    NULL),
			  "count on the real values", 200, "{\"count\":1}");
	h_assert_response(h_request(s, "POST", "/__cannery/verify",
				    "{\"request\":{\"headers\":{\"authorization\":\"[redacted]\"}},\"count\":0}", NULL),
			  "the redacted text is not what matchers see", 200, "{\"ok\":true,\"count\":0}");
	h_server_stop_ok(s);
}

Test(journal, binary_body_is_base64)
{
	struct h_server *s = h_serve(stub_dir(), NULL);
	struct h_client *c = h_client_create();
	static const char body[] = { 'a', '\0', (char)0xff, (char)0xfe };
	h_client_request(c, s, "POST", "/bin", body, sizeof(body), HDRS("Content-Type: application/octet-stream"));
	cJSON *o = requests(s, NULL);
	const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "requests"), 0);
	cr_expect_str_eq(str(e, "body_base64"), "YQD//g==");
	cr_expect(!cJSON_GetObjectItem(e, "body"), "no text body next to body_base64");
	cJSON_Delete(o);
	h_server_stop_ok(s);
}

Test(journal, refused_requests_are_recorded)
{
	struct h_server *s = h_serve(stub_dir(), "--max-body", "10", NULL);
	h_assert_response(h_get_h(s, "/hello", "Host: evil.example"), "foreign Host", 403, NULL);
	h_assert_response(h_request(s, "POST", "/api/users", "this body is longer than ten bytes", NULL), "too large", 413,
			  NULL);
	struct h_raw *raw = h_raw_str(s, "POST /api/users HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n"
					 "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
	cr_expect_eq(raw->status, 400, "%s", raw->data);
	cJSON *o = requests(s, NULL);
	const cJSON *list = cJSON_GetObjectItem(o, "requests");
	cr_assert_eq(cJSON_GetArraySize(list), 3, "%s", cJSON_PrintUnformatted(o));
	static const int want[] = { 403, 413, 400 };
	for (int i = 0; i < 3; i++) {
		const cJSON *e = cJSON_GetArrayItem(list, i);
		cr_expect_eq(num(e, "status"), want[i]);
		cr_expect(cJSON_IsNull(cJSON_GetObjectItem(e, "stub")));
	}
	cr_expect_str_eq(str(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0), "headers"), "host"), "evil.example");
	cJSON_Delete(o);
	h_server_stop_ok(s);
}

/* ---- the NDJSON file ---- */

static void free_lines(char **lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

static char **read_lines(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	cr_assert(f, "cannot open %s", path);
	char **lines = NULL;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	*n = 0;
	while ((len = getline(&line, &cap, f)) > 0) {
		cr_assert_eq(line[len - 1], '\n', "every line ends with a newline");
		line[len - 1] = '\0';
		lines = realloc(lines, (*n + 1) * sizeof(*lines));
		lines[(*n)++] = strdup(line);
	}
	free(line);
	fclose(f);
	return lines;
}

Test(journal, file_agrees_with_the_api)
{
	const char *path = h_fmt("%s/journal.ndjson", h_tmpdir());
	struct h_server *s = h_serve(stub_dir(), "--journal-file", path, "--journal-limit", "3", NULL);
	struct h_client *c = h_client_create();
	static const char bin[] = { (char)0x80, 0x01 };
	h_assert_get(s, "/hello", 200, "hi");
	h_request(s, "POST", "/api/users?x=1", "{\"a\":1}", HDRS("Authorization: Bearer s3cret"));
	h_client_request(c, s, "PUT", "/bin", bin, sizeof(bin), NULL);
	h_assert_get(s, "/nothing", 404, NULL);
	cJSON *api = requests(s, NULL);
	h_server_stop_ok(s);

	size_t n;
	char **lines = read_lines(path, &n);
	cr_assert_eq(n, 4, "one line per request, evicted ones included");
	for (size_t i = 0; i < n; i++) {
		cJSON *e = cJSON_Parse(lines[i]);
		cr_assert(e, "line %zu is not JSON: %s", i + 1, lines[i]);
		cr_expect_eq(num(e, "seq"), (double)(i + 1));
		cJSON_Delete(e);
	}
	cr_expect(!h_contains(lines[1], "s3cret") && h_contains(lines[1], "[redacted]"), "%s", lines[1]);
	cr_expect(h_contains(lines[2], "\"body_base64\":\"gAE=\""), "%s", lines[2]);
	/* the API keeps the last three: the same text, byte for byte */
	const cJSON *list = cJSON_GetObjectItem(api, "requests");
	cr_assert_eq(cJSON_GetArraySize(list), 3);
	for (int i = 0; i < 3; i++) {
		char *a = cJSON_PrintUnformatted(cJSON_GetArrayItem(list, i));
		cJSON *f = cJSON_Parse(lines[i + 1]);
		char *b = cJSON_PrintUnformatted(f);
		cr_expect_str_eq(a, b, "entry %d differs between the API and the file", i + 2);
		free(a);
		free(b);
		cJSON_Delete(f);
	}
	cJSON_Delete(api);
	free_lines(lines, n);
}

Test(journal, sigterm_leaves_every_request_in_the_file)
{
	const char *path = h_fmt("%s/journal.ndjson", h_tmpdir());
	struct h_server *s = h_serve(stub_dir(), "--journal-file", path, "--quiet", NULL);
	struct h_client *c = h_client_create();
	for (int i = 0; i < 300; i++)
		cr_assert_eq(h_client_request(c, s, NULL, h_fmt("/hello?i=%d", i), NULL, 0, NULL)->status, 200);
	h_server_stop_ok(s);
	size_t n;
	char **lines = read_lines(path, &n);
	cr_expect_eq(n, 300);
	cr_expect(n && h_contains(lines[n - 1], "\"i\":\"299\""), "%s", n ? lines[n - 1] : "");
	free_lines(lines, n);
}

Test(journal, file_appends_across_runs)
{
	const char *path = h_fmt("%s/journal.ndjson", h_tmpdir());
	for (int run = 0; run < 2; run++) {
		struct h_server *s = h_serve(stub_dir(), "--journal-file", path, NULL);
		h_assert_get(s, "/hello", 200, "hi");
		h_server_stop_ok(s);
	}
	size_t n;
	char **lines = read_lines(path, &n);
	free_lines(lines, n);
	cr_expect_eq(n, 2, "the file is appended to, never truncated");
}

Test(journal, unwritable_file_is_an_error)
{
	struct h_run *r = h_runv("serve", stub_dir(), "--port", "0", "--journal-file", "/nonexistent-dir/j.ndjson", NULL);
	cr_expect_eq(r->exit_code, 1, "stderr: %s", r->err);
	cr_expect(h_contains(r->err, "cannot open the journal file '/nonexistent-dir/j.ndjson'"), "%s", r->err);
	cr_expect(!h_contains(r->out, "serving"), "%s", r->out);
}
