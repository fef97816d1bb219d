/* SPDX-License-Identifier: MIT */
/* Hardening, part 2: the admin API's Origin and token gates on every endpoint, the journal
 * under many threads of mixed traffic, resets and SIGTERM, editor-style partial writes
 * with the watcher on, and a hostile upstream for the proxy and the recorder. */
#include <criterion/criterion.h>

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "upstream.h"

static void fini(void)
{
	up_teardown();
	h_teardown();
}

TestSuite(hardening2, .init = h_setup, .fini = fini, .timeout = 180);

static const char api_yaml[] =
	"- name: text\n"
	"  request: { method: GET, path: /text }\n"
	"  response: { body: \"hello\\n\" }\n"
	"- name: upload\n"
	"  request: { method: POST, path: /upload }\n"
	"  response: { status: 201, body: uploaded }\n"
	"- name: slow\n"
	"  request: { method: GET, path: /slow }\n"
	"  response: { body: slow, delay: 300ms }\n"
	"- name: big\n"
	"  request: { method: GET, path: /big }\n"
	"  response: { file: big.bin }\n";

/* /big: large enough that it cannot sit whole in the socket buffers. */
#define BIG_SIZE ((size_t)8 << 20)

static const char *api_dir(void)
{
	const char *dir = h_stub_dir("api.yaml", api_yaml, NULL);

	h_write_filled(dir, "big.bin", BIG_SIZE, 'b');
	return dir;
}

/* ---- helpers ------------------------------------------------------------------------- */

/* The body of r as JSON (freed by the caller); fails the test when it is not JSON. */
static cJSON *json_of(const struct h_response *r, const char *what)
{
	cJSON *j = cJSON_ParseWithLength(r->body, r->body_len);

	cr_assert(j, "%s: not JSON (%ld): '%.300s'", what, r->status, r->body);
	return j;
}

static void expect_no_cors(const struct h_response *r, const char *what)
{
	for (size_t i = 0; i < r->nheaders; i++)
		cr_expect(strncasecmp(r->headers[i], "Access-Control-", 15) != 0, "%s: admin answers carry no CORS: %s",
			  what, r->headers[i]);
}

/* GET /__cannery/requests: the whole journal, checked: valid JSON, seq unique and
 * increasing, every entry an object with method, path and status. Returns it (freed by the
 * caller); *total gets "total". */
static cJSON *journal(const struct h_server *s, const char *token, double *total)
{
	const char *auth = token ? h_fmt("Authorization: Bearer %s", token) : NULL;
	struct h_response *r = h_request(s, "GET", "/__cannery/requests", NULL, auth ? HDRS(auth) : NULL);
	cJSON *j, *e;
	double last = 0;

	cr_assert_eq(r->status, 200, "GET /__cannery/requests: %ld %.300s", r->status, r->body);
	j = json_of(r, "the journal");
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(j, "requests")) {
		const cJSON *seq = cJSON_GetObjectItemCaseSensitive(e, "seq");

		cr_assert(cJSON_IsNumber(seq) && seq->valuedouble > last, "seq not increasing after %.0f", last);
		last = seq->valuedouble;
		cr_assert(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "method")) &&
				  cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "path")) &&
				  cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(e, "status")),
			  "entry %.0f lacks method, path or status", last);
	}
	if (total)
		*total = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(j, "total"));
	return j;
}

/* How many journal entries have this path. */
static size_t entries_for(const cJSON *j, const char *path)
{
	const cJSON *e;
	size_t n = 0;

	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(j, "requests"))
		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "path")), path) == 0)
			n++;
	return n;
}

/* Checks an NDJSON journal file: every line an object, seq unique and increasing. Returns
 * the number of lines. */
static size_t check_journal_file(const char *path)
{
	char *text = h_slurp(path, NULL), *line = text, *nl;
	size_t n = 0;
	double last = 0;

	while ((nl = strchr(line, '\n'))) {
		cJSON *e = cJSON_ParseWithLength(line, (size_t)(nl - line));
		const cJSON *seq;

		cr_assert(cJSON_IsObject(e), "line %zu of %s is not a JSON object: '%.*s'", n + 1, path,
			  (int)(nl - line > 300 ? 300 : nl - line), line);
		seq = cJSON_GetObjectItemCaseSensitive(e, "seq");
		cr_assert(cJSON_IsNumber(seq) && seq->valuedouble > last, "line %zu: seq not increasing after %.0f",
			  n + 1, last);
		last = seq->valuedouble;
		cJSON_Delete(e);
		n++;
		line = nl + 1;
	}
	cr_assert_eq(*line, '\0', "%s ends in half a line: '%.200s'", path, line);
	return n;
}

/* ---- the admin gates ---------------------------------------------------------------------- */

struct admin_call {
	const char *method;
	const char *path;
	const char *body;
};

/* Every admin endpoint; the writing ones first. */
static const struct admin_call admin_calls[] = {
	{ "POST", "/__cannery/stubs", "{\"name\":\"pwn\",\"request\":{\"path\":\"/pwn\"},\"response\":{\"body\":\"pwned\"}}" },
	{ "DELETE", "/__cannery/stubs/rt", NULL },
	{ "POST", "/__cannery/reload", "" },
	{ "DELETE", "/__cannery/requests", NULL },
	{ "POST", "/__cannery/reset", "" },
	{ "POST", "/__cannery/requests/count", "{\"request\":{\"path\":\"/text\"}}" },
	{ "POST", "/__cannery/verify", "{\"request\":{\"path\":\"/text\"},\"count\":0}" },
	{ "POST", "/__cannery/requests/wait", "{\"request\":{\"path\":\"/text\"},\"count\":0,\"timeout_ms\":0}" },
	{ "GET", "/__cannery/requests", NULL },
	{ "GET", "/__cannery/stubs", NULL },
	{ "GET", "/__cannery/health", NULL },
	{ "GET", "/__cannery/metrics", NULL },
};

/* The mock's state, as far as an admin call could change it. */
static char *state_of(const struct h_server *s)
{
	const char *auth = "Authorization: Bearer s3cret";
	struct h_response *stubs = h_request(s, "GET", "/__cannery/stubs", NULL, HDRS(auth));
	struct h_response *metrics = h_request(s, "GET", "/__cannery/metrics", NULL, HDRS(auth));
	const char *reloads = strstr(metrics->body, "\ncannery_reloads_total ");
	double total;
	cJSON *j = journal(s, "s3cret", &total);

	cJSON_Delete(j);
	cr_assert_eq(stubs->status, 200);
	cr_assert(reloads, "no reload counter in %s", metrics->body);
	return h_fmt("stubs %s; journal %.0f; %.*s", stubs->body, total, (int)strcspn(reloads + 1, "\n"), reloads + 1);
}

/* ---- request data is never cut short at a NUL ---------------------------------------- */

static const char nul_yaml[] =
	"- name: hello\n  request: { path: /hello }\n  response: { body: hello }\n"
	"- name: q\n  request: { path: /q, query: { name: a } }\n  response: { body: q }\n"
	"- name: json\n  request: { method: POST, path: /j, body: { json_path: { name: admin } } }\n"
	"  response: { body: j }\n"
	"- name: form\n  request: { method: POST, path: /f, body: { form: { na: { present: true } } } }\n"
	"  response: { body: f }\n";

static void expect_400_nul(const struct h_server *s, const char *method, const char *target)
{
	struct h_response *r = h_request(s, method, target, NULL, NULL);
	cr_expect_eq(r->status, 400, "%s %s: status %ld, expected 400: %s", method, target, r->status, r->body);
	cr_expect(strstr(r->body, "encoded NUL"), "%s %s: the error names the NUL: %s", method, target, r->body);
}

Test(hardening2, encoded_nul_never_shortens_request_data)
{
	struct h_server *s = h_serve(h_stub_dir("nul.yaml", nul_yaml, NULL), "--no-watch", NULL);
	/* in the target: a 400 before any stub or admin handler sees it */
	expect_400_nul(s, "GET", "/hello%00/x");
	expect_400_nul(s, "GET", "/hello%00");
	expect_400_nul(s, "GET", "/q?name=a%00b");
	expect_400_nul(s, "GET", "/q?na%00me=a");
	expect_400_nul(s, "DELETE", "/__cannery/stubs/a%00b");
	expect_400_nul(s, "GET", "/__cannery/requests?method=GET%00");
	h_assert_get(s, "/hello", 200, "hello");
	h_assert_get(s, "/q?name=a", 200, "q");
	h_assert_get(s, "/hello%2500", 404, NULL);        /* a literal "%00" is just text */
	/* in bodies: a JSON string holding \u0000 is not read as JSON, a form name holding
	 * %00 is no field */
	struct h_response *r = h_request(s, "POST", "/j", "{\"name\":\"admin\\u0000x\"}", NULL);
	cr_expect_eq(r->status, 404, "\\u0000 cut the string to 'admin': %ld %s", r->status, r->body);
	h_assert_response(h_request(s, "POST", "/j", "{\"name\":\"admin\"}", NULL), "POST /j", 200, "j");
	r = h_request(s, "POST", "/f", "na%00me=1", HDRS("Content-Type: application/x-www-form-urlencoded"));
	cr_expect_eq(r->status, 404, "the form name 'na%%00me' was read as 'na': %ld %s", r->status, r->body);
	h_assert_response(h_request(s, "POST", "/f", "na=1", HDRS("Content-Type: application/x-www-form-urlencoded")),
			  "POST /f", 200, "f");
	/* an admin body with \u0000 is refused, not cut */
	r = h_request(s, "POST", "/__cannery/requests/count", "{\"request\":{\"path\":\"/hello\\u0000x\"}}", NULL);
	cr_expect_eq(r->status, 400, "count with \\u0000: %ld %s", r->status, r->body);
	h_server_stop_ok(s);
}

Test(hardening2, admin_gates_on_every_endpoint)
{
	const char *dir = h_stub_dir("api.yaml", api_yaml, "big.bin", "small\n", NULL);
	struct h_server *s = h_serve(dir, "--admin-token", "s3cret", "--cors", NULL);
	const char *good = "Authorization: Bearer s3cret";
	static const char *const bad_auth[] = { NULL, "Authorization: Bearer wrong", "Authorization: Bearer s3cre",
						"Authorization: s3cret", "Authorization: Basic czNjcmV0" };
	static const char *const foreign[] = { "Origin: http://evil.example", "Origin: null",
					       "Origin: http://localhost.evil.example" };
	struct h_response *r;
	char *before;
	size_t i, k;

	r = h_request(s, "POST", "/__cannery/stubs",
		      "{\"name\":\"rt\",\"request\":{\"path\":\"/rt\"},\"response\":{\"body\":\"runtime\"}}", HDRS(good));
	cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
	for (i = 0; i < 3; i++)
		h_assert_get(s, "/text", 200, "hello\n");
	before = state_of(s);

	for (i = 0; i < sizeof(admin_calls) / sizeof(admin_calls[0]); i++) {
		const struct admin_call *c = &admin_calls[i];

		for (k = 0; k < sizeof(bad_auth) / sizeof(bad_auth[0]); k++) {
			const char *what = h_fmt("%s %s with %s", c->method, c->path, bad_auth[k] ? bad_auth[k] : "no token");
			cJSON *j;

			r = h_request(s, c->method, c->path, c->body,
				      bad_auth[k] ? HDRS(bad_auth[k], "Origin: http://localhost:3000")
						  : HDRS("Origin: http://localhost:3000"));
			cr_expect_eq(r->status, 401, "%s: %ld %s", what, r->status, r->body);
			j = json_of(r, what);
			cr_expect(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "error")), "%s: %s", what, r->body);
			cJSON_Delete(j);
			expect_no_cors(r, what);
		}
		for (k = 0; k < sizeof(foreign) / sizeof(foreign[0]); k++) {
			const char *what = h_fmt("%s %s from %s", c->method, c->path, foreign[k]);
			cJSON *j;

			/* the right token does not make a foreign origin acceptable */
			r = h_request(s, c->method, c->path, c->body, HDRS(good, foreign[k]));
			cr_expect_eq(r->status, 403, "%s: %ld %s", what, r->status, r->body);
			j = json_of(r, what);
			cr_expect(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "error")), "%s: %s", what, r->body);
			cJSON_Delete(j);
			expect_no_cors(r, what);
		}
	}
	/* nothing changed: no stub added or removed, no reload, the journal intact */
	cr_expect_str_eq(state_of(s), before);
	h_assert_get(s, "/pwn", 404, NULL);
	h_assert_get(s, "/rt", 200, "runtime");

	/* with the token and a loopback origin every call goes through, still without CORS */
	for (i = 0; i < sizeof(admin_calls) / sizeof(admin_calls[0]); i++) {
		const struct admin_call *c = &admin_calls[i];

		r = h_request(s, c->method, c->path, c->body, HDRS(good, "Origin: http://127.0.0.1:5173"));
		cr_expect(r->status >= 200 && r->status < 300, "%s %s with the token: %ld %s", c->method, c->path,
			  r->status, r->body);
		expect_no_cors(r, c->path);
	}
	h_assert_get(s, "/pwn", 200, "pwned");
	h_assert_get(s, "/rt", 404, NULL);
	/* stub routes keep their CORS and need no token */
	r = h_get_h(s, "/text", "Origin: http://evil.example");
	cr_expect_eq(r->status, 200);
	cr_expect(h_header(r, "Access-Control-Allow-Origin"), "stub routes carry CORS");
	h_server_stop_ok(s);
}

/* ---- the journal under mixed traffic ------------------------------------------------------- */

struct mixer {
	const struct h_server *s;
	int index;
	int rounds;
	int stub_requests;      /* journaled requests made */
	int failures;
	char first[512];
};

static void fail_once(struct mixer *m, const char *what, const struct h_response *r)
{
	if (m->failures++ == 0)
		snprintf(m->first, sizeof(m->first), "%s: %ld '%.200s' %s", what, r->status, r->body, r->error);
}

/* Runs on a test thread: stub requests, runtime stubs added and removed, journal reads,
 * counts and verifies, all on one kept-alive client. */
static void *mix(void *arg)
{
	struct mixer *m = arg;
	struct h_client *c = h_client_create();

	for (int i = 0; i < m->rounds; i++) {
		struct h_response *r;
		cJSON *j;

		switch ((i + m->index) % 5) {
		case 0:
			r = h_client_request(c, m->s, NULL, h_fmt("/text?t=%d&i=%d", m->index, i), NULL, 0, NULL);
			m->stub_requests++;
			if (r->status != 200 || strcmp(r->body, "hello\n") != 0)
				fail_once(m, "GET /text", r);
			break;
		case 1: {
			const char *body = h_fmt("{\"name\":\"t%d-%d\",\"request\":{\"path\":\"/rt/%d\"},"
						 "\"response\":{\"body\":\"rt %d\"}}",
						 m->index, i, m->index, i);
			r = h_client_request(c, m->s, "POST", "/__cannery/stubs", body, strlen(body), NULL);
			if (r->status != 201)
				fail_once(m, "POST stubs", r);
			r = h_client_request(c, m->s, NULL, h_fmt("/rt/%d", m->index), NULL, 0, NULL);
			m->stub_requests++;
			if (r->status != 200 || strcmp(r->body, h_fmt("rt %d", i)) != 0)
				fail_once(m, "GET runtime stub", r);
			r = h_client_request(c, m->s, "DELETE", h_fmt("/__cannery/stubs/t%d-%d", m->index, i), NULL, 0,
					     NULL);
			if (r->status != 204)
				fail_once(m, "DELETE stub", r);
			break;
		}
		case 2:
			r = h_client_request(c, m->s, NULL, "/__cannery/requests?limit=5", NULL, 0, NULL);
			j = cJSON_ParseWithLength(r->body, r->body_len);
			if (r->status != 200 || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(j, "requests")))
				fail_once(m, "GET requests", r);
			cJSON_Delete(j);
			break;
		case 3: {
			static const char body[] = "{\"request\":{\"method\":\"GET\",\"path\":\"/text\"}}";
			r = h_client_request(c, m->s, "POST", "/__cannery/requests/count", body, sizeof(body) - 1,
					     HDRS("Content-Type: application/json"));
			if (r->status != 200 || !h_contains(r->body, "\"count\":"))
				fail_once(m, "POST count", r);
			break;
		}
		default:
			r = h_client_request(c, m->s, "POST", "/upload", "some body", 9, NULL);
			m->stub_requests++;
			if (r->status != 201)
				fail_once(m, "POST /upload", r);
			break;
		}
	}
	return NULL;
}

Test(hardening2, journal_under_sixteen_threads_of_mixed_traffic)
{
	enum { THREADS = 16, ROUNDS = 60 };
	const char *file = h_fmt("%s/journal.ndjson", h_tmpdir());
	const char *dir = h_stub_dir("api.yaml", api_yaml, "big.bin", "small\n", NULL);
	struct h_server *s = h_serve(dir, "--quiet", "--journal-file", file, NULL);
	struct mixer m[THREADS];
	pthread_t t[THREADS];
	int i, made = 0;
	double total;
	cJSON *j;

	for (i = 0; i < THREADS; i++) {
		m[i] = (struct mixer){ s, i, ROUNDS, 0, 0, "" };
		cr_assert_eq(pthread_create(&t[i], NULL, mix, &m[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		cr_expect_eq(m[i].failures, 0, "thread %d: %d failures; first: %s", i, m[i].failures, m[i].first);
		made += m[i].stub_requests;
	}
	j = journal(s, NULL, &total);
	cr_expect_eq((int)total, made, "the journal holds %.0f entries for %d stub-route requests", total, made);
	cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "requests")), made);
	cJSON_Delete(j);
	h_server_stop_ok(s);
	cr_expect_eq(check_journal_file(file), (size_t)made, "the journal file has every entry once");
}

/* ---- resets: one entry for each request whose answer was decided --------------------------- */

Test(hardening2, resets_leave_one_entry_per_decided_request)
{
	enum { ROUNDS = 40 };
	static const char upload[] = "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n"
				     "Expect: 100-continue\r\n\r\n";
	static const char part[1000];
	struct h_server *s = h_serve(api_dir(), "--quiet", NULL);
	int64_t deadline;
	size_t big = 0, slow = 0, uploads = 0;
	cJSON *j = NULL;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		const char *download = h_fmt("GET /big?i=%d HTTP/1.1\r\nHost: localhost\r\n\r\n", i);
		const char *delayed = h_fmt("GET /slow?i=%d HTTP/1.1\r\nHost: localhost\r\n\r\n", i);
		int fd;

		/* mid-upload: the server has begun (100 Continue) but has no whole request */
		fd = h_connect_raw(s);
		cr_assert(fd >= 0 && h_send_all(fd, upload, sizeof(upload) - 1, H_DEADLINE_MS));
		cr_assert(h_read_until(fd, "100 Continue", H_DEADLINE_MS, NULL, 0), "upload %d: no 100 Continue", i);
		h_send_all(fd, part, sizeof(part), H_DEADLINE_MS);
		h_close_reset(fd);

		/* mid-download: the first bytes prove the answer was decided */
		fd = h_connect_raw(s);
		cr_assert(fd >= 0 && h_send_all(fd, download, strlen(download), H_DEADLINE_MS));
		cr_assert(h_read_until(fd, "HTTP/1.1 200", H_DEADLINE_MS, NULL, 0), "download %d: no answer", i);
		h_close_reset(fd);

		/* during a delay: the stub was chosen, the answer is held back */
		if (i % 4 == 0) {
			fd = h_connect_raw(s);
			cr_assert(fd >= 0 && h_send_all(fd, delayed, strlen(delayed), H_DEADLINE_MS));
			cr_assert(h_wait_server_read(s, fd), "delayed %d: the server did not read it", i);
			h_close_reset(fd);
		}
	}
	h_assert_get(s, "/text", 200, "hello\n");
	/* the delayed ones are recorded when their delay ends */
	deadline = h_now_ms() + H_DEADLINE_MS;
	do {
		cJSON_Delete(j);
		j = journal(s, NULL, NULL);
		big = entries_for(j, "/big");
		slow = entries_for(j, "/slow");
		uploads = entries_for(j, "/upload");
		if (slow >= ROUNDS / 4)
			break;
		h_nap_ms(50);
	} while (h_now_ms() < deadline);
	cr_expect_eq(big, (size_t)ROUNDS, "downloads reset after their answer began: %zu entries for %d", big, ROUNDS);
	cr_expect_eq(slow, (size_t)ROUNDS / 4, "delayed answers reset during the delay: %zu entries for %d", slow,
		     ROUNDS / 4);
	cr_expect_eq(uploads, 0, "uploads reset before their body was whole were never answered: %zu entries",
		     uploads);
	/* each download once: its query tells them apart */
	for (i = 0; i < ROUNDS; i++) {
		const cJSON *e;
		size_t seen = 0;

		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(j, "requests")) {
			const cJSON *q = cJSON_GetObjectItemCaseSensitive(e, "query");
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(q, "i");

			if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "path")), "/big") == 0 &&
			    cJSON_IsString(v) && strcmp(v->valuestring, h_fmt("%d", i)) == 0)
				seen++;
		}
		cr_expect_eq(seen, 1, "download %d is in the journal %zu times", i, seen);
	}
	cJSON_Delete(j);
	h_server_stop_ok(s);
}

/* ---- --journal-file and SIGTERM under load ------------------------------------------------- */

struct hammer {
	const struct h_server *s;
	atomic_bool *stop;
	int index;
	atomic_int ok;
};

/* Runs on a test thread: stub requests until stopped or the server is gone. */
static void *hammer(void *arg)
{
	struct hammer *hm = arg;
	struct h_client *c = h_client_create();

	for (int i = 0; !atomic_load(hm->stop); i++) {
		struct h_response *r = i % 2 ? h_client_request(c, hm->s, "POST", "/upload", "x=1", 3, NULL)
					     : h_client_request(c, hm->s, NULL, "/text", NULL, 0, NULL);

		if (r->curl_code != 0) {
			h_nap_ms(10);
			continue;
		}
		if (r->status == 200 || r->status == 201)
			atomic_fetch_add(&hm->ok, 1);
	}
	return NULL;
}

Test(hardening2, journal_file_is_flushed_on_sigterm_under_load)
{
	enum { THREADS = 8, AT_LEAST = 300 };
	const char *file = h_fmt("%s/journal.ndjson", h_tmpdir());
	const char *dir = h_stub_dir("api.yaml", api_yaml, "big.bin", "small\n", NULL);
	struct h_server *s = h_serve(dir, "--quiet", "--journal-file", file, NULL);
	struct hammer hm[THREADS];
	pthread_t t[THREADS];
	atomic_bool stop = false;
	double total = 0;
	int64_t deadline;
	size_t lines;
	int i, code, ok = 0;

	for (i = 0; i < THREADS; i++) {
		hm[i].s = s;
		hm[i].stop = &stop;
		hm[i].index = i;
		atomic_init(&hm[i].ok, 0);
		cr_assert_eq(pthread_create(&t[i], NULL, hammer, &hm[i]), 0);
	}
	deadline = h_now_ms() + 3 * H_DEADLINE_MS;
	do {
		cJSON_Delete(journal(s, NULL, &total));
		if (total >= AT_LEAST)
			break;
		h_nap_ms(20);
	} while (h_now_ms() < deadline);
	cr_assert_geq(total, AT_LEAST, "only %.0f requests journaled under load", total);
	/* the load goes on while the server is told to stop */
	h_server_signal(s, SIGTERM);
	code = h_server_wait(s, 3 * H_DEADLINE_MS);
	atomic_store(&stop, true);
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		ok += atomic_load(&hm[i].ok);
	}
	cr_expect_eq(code, 0, "exit code %d after SIGTERM\nstderr:\n%.2000s", code, h_server_stderr(s));
	lines = check_journal_file(file);
	cr_log_info("SIGTERM under load: %.0f journaled before the signal, %d answered, %zu lines in the file", total,
		    ok, lines);
	cr_expect_geq(lines, (size_t)total, "the file lost entries the API had shown: %zu < %.0f", lines, total);
	cr_expect_geq(lines, (size_t)ok, "the file lacks answered requests: %zu lines, %d answers", lines, ok);
}

/* ---- editor-style writes with the watcher on ----------------------------------------------- */

static void write_raw(const char *path, const char *data, size_t len, int flags)
{
	int fd = open(path, O_WRONLY | O_CREAT | flags, 0644);

	cr_assert(fd >= 0, "open %s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

Test(hardening2, editor_writes_with_the_watcher_on)
{
	enum { ROUNDS = 12 };
	const char *dir = h_version_dir();
	struct h_server *s = h_serve(dir, "--quiet", NULL);
	const char *path = h_fmt("%s/v.yaml", dir);
	struct h_readers rd;
	struct h_response *last;
	int v;

	h_readers_start(&rd, 3, (struct h_version_reader){ .s = s, .allow_404 = true });
	for (v = 1; v <= ROUNDS; v++) {
		const char *text = h_version_yaml(v);
		size_t len = strlen(text), half = (size_t)(strstr(text, "path:") - text);
		const char *tmp = h_fmt("%s/.v.yaml.swp", dir), *backup = h_fmt("%s/v.yaml~", dir);

		switch (v % 4) {
		case 0: /* in place: truncate, half, pause, the rest */
			write_raw(path, text, half, O_TRUNC);
			h_nap_ms(30);
			write_raw(path, text + half, len - half, O_APPEND);
			break;
		case 1: /* a byte at a time */
			write_raw(path, "", 0, O_TRUNC);
			for (size_t k = 0; k < len; k++)
				write_raw(path, text + k, 1, O_APPEND);
			break;
		case 2: /* vim: move the file away, write a new one, delete the backup */
			cr_assert_eq(rename(path, backup), 0);
			write_raw(path, text, half, O_TRUNC);
			write_raw(path, text + half, len - half, O_APPEND);
			unlink(backup);
			break;
		default: /* write a temporary file, rename it over */
			write_raw(tmp, text, len, O_TRUNC);
			cr_assert_eq(rename(tmp, path), 0);
			break;
		}
		cr_assert(h_poll_get(s, "/v", 200, h_fmt("v%d", v), &last), "round %d: not served: %ld '%s'", v,
			  last->status, last->body);
	}
	int total = h_readers_stop(&rd);
	cr_log_info("editor writes with the watcher: %d requests during %d saves", total, ROUNDS);
	h_assert_get(s, "/v", 200, h_fmt("v%d", ROUNDS));
	h_server_stop_ok(s);
}

/* SPEC section 3: no request fails because of a reload, also while a file is rewritten
 * in place (open with O_TRUNC, write, close: shell redirection, VS Code, vim with
 * backupcopy=yes), when it is empty or half written between the truncation and the close.
 * A scaled-down storm (bench/inplace-storm.py runs the full one). */
Test(hardening2, in_place_writes_never_serve_a_torn_file)
{
	enum { WRITES = 20 };
	const char *dir = h_version_dir();
	struct h_server *s = h_serve(dir, "--quiet", NULL);
	const char *path = h_fmt("%s/v.yaml", dir);
	struct h_readers rd;
	struct h_response *last;

	h_readers_start(&rd, 4, (struct h_version_reader){ .s = s });
	for (int v = 1; v <= WRITES; v++) {
		const char *text = h_version_yaml(v);
		size_t len = strlen(text), half = len / 2;
		int fd = open(path, O_WRONLY | O_TRUNC);

		cr_assert(fd >= 0, "open %s: %s", path, strerror(errno));
		h_nap_ms(15);                   /* the file is empty now: a slow writer */
		cr_assert_eq(write(fd, text, half), (ssize_t)half);
		h_nap_ms(10);                   /* ... and half written */
		cr_assert_eq(write(fd, text + half, len - half), (ssize_t)(len - half));
		close(fd);
		h_nap_ms(15);                   /* 25 writes a second */
	}
	cr_assert(h_poll_get(s, "/v", 200, h_fmt("v%d", WRITES), &last), "the last version is not served: %ld '%s'",
		  last->status, last->body);
	int total = h_readers_stop(&rd);
	cr_log_info("in-place writes: %d requests during %d writes", total, WRITES);
	h_server_stop_ok(s);
}

/* ---- a hostile upstream -------------------------------------------------------------------- */

/* serve DIR --port 0 --quiet --proxy URL [extra...] */
static struct h_server *proxy_to(const char *url, const char *extra1, const char *extra2)
{
	const char *dir = h_stub_dir("local.yaml", "request: { path: /local }\nresponse: { body: local }\n", NULL);

	return h_serve(dir, "--quiet", "--proxy", url, extra1, extra2, NULL);
}

static struct h_server *record_to(const char *url, const char *out)
{
	return h_server_spawnv("record", "--upstream", url, "--out", out, "--port", "0", "--proxy-timeout", "2s",
			       NULL);
}

Test(hardening2, hostile_upstream_is_bounded)
{
	struct upstream *u = up_start();
	struct h_server *s = proxy_to(up_url(u), "--proxy-timeout", "1s");
	int64_t t0;
	struct h_response *r;

	/* a redirect loop is passed through once, never followed */
	r = h_get(s, "/loop");
	cr_expect_eq(r->status, 302, "%ld %s", r->status, r->body);
	cr_expect_str_eq(h_header(r, "Location") ? h_header(r, "Location") : "", "/loop");
	cr_expect_eq(up_count(u), 1, "the upstream was asked %zu times", up_count(u));

	/* a body that drips forever ends at the proxy timeout */
	t0 = h_now_ms();
	r = h_get(s, "/drip");
	cr_expect_eq(r->status, 504, "drip: %ld %.200s", r->status, r->body);
	cr_expect_lt(h_now_ms() - t0, H_DEADLINE_MS, "drip took %lld ms", (long long)(h_now_ms() - t0));

	/* a gzip bomb is cut at the decoded-size bound */
	r = h_request(s, "GET", "/bomb", NULL, HDRS("Accept-Encoding: gzip"));
	cr_expect_eq(r->status, 502, "bomb: %ld %.200s", r->status, r->body);
	cr_expect(h_contains(r->body, "larger than"), "%.300s", r->body);
	h_assert_response(h_get(s, "/text"), "/text after the hostile ones", 200, UP_TEXT);
	h_server_stop_ok(s);
}

Test(hardening2, recording_a_hostile_upstream)
{
	const char *root = h_tmpdir();
	const char *out = h_fmt("%s/sub/out", root);
	struct upstream *u = up_start();
	struct h_server *rec = record_to(up_url(u), out);
	static const char braces[] = "{{request.path}} {{{ }} {{#each x}}{{/each}} {{ uuid | upper }} {{";
	static const char *const odd[] = {
		"GET /../../escape-1 HTTP/1.1\r\nHost: localhost\r\n\r\n",
		"GET /%2e%2e/%2e%2e/escape-2 HTTP/1.1\r\nHost: localhost\r\n\r\n",
		"GET /a/..%2f..%2f..%2fescape-3 HTTP/1.1\r\nHost: localhost\r\n\r\n",
		"GET /%2fetc%2fescape-4 HTTP/1.1\r\nHost: localhost\r\n\r\n",
		"GET /odd%00byte HTTP/1.1\r\nHost: localhost\r\n\r\n",
		"GET /%ff%fe%0a%0d HTTP/1.1\r\nHost: localhost\r\n\r\n",
		"GET /.hidden/.. HTTP/1.1\r\nHost: localhost\r\n\r\n",
		"GET /..%5c..%5cescape-5 HTTP/1.1\r\nHost: localhost\r\n\r\n",
	};
	struct h_response *r, *live;
	struct h_server *replay;
	struct dirent *de;
	DIR *d;
	size_t i, files = 0;

	live = h_request(rec, "PUT", "/echo/braces", braces, HDRS("Content-Type: text/plain"));
	cr_expect_eq(live->status, 200);
	cr_expect_eq(h_get(rec, "/text")->status, 200);
	cr_expect_eq(h_get(rec, "/loop")->status, 302);
	r = h_request(rec, "GET", "/bomb", NULL, HDRS("Accept-Encoding: gzip"));
	cr_expect_eq(r->status, 502, "bomb while recording: %ld", r->status);
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		struct h_raw *raw = h_raw_str(rec, odd[i]);

		cr_expect(raw->status > 0, "odd path %zu got no answer: '%.200s'", i, raw->data);
	}
	cr_expect_eq(h_get(rec, h_fmt("/%0300d", 7))->status, 200, "a very long path");
	h_server_stop_ok(rec);
	up_stop(u);

	/* nothing outside --out: root holds sub, sub holds out */
	d = opendir(root);
	cr_assert(d);
	while ((de = readdir(d)))
		cr_expect(de->d_name[0] == '.' || strcmp(de->d_name, "sub") == 0, "written outside --out: %s/%s", root,
			  de->d_name);
	closedir(d);
	d = opendir(h_fmt("%s/sub", root));
	cr_assert(d);
	while ((de = readdir(d)))
		cr_expect(de->d_name[0] == '.' || strcmp(de->d_name, "out") == 0, "written outside --out: sub/%s",
			  de->d_name);
	closedir(d);
	/* inside: plain files, no hidden ones, nothing for the bomb */
	d = opendir(out);
	cr_assert(d);
	while ((de = readdir(d))) {
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		cr_expect(de->d_name[0] != '.', "a hidden file in --out: %s", de->d_name);
		cr_expect(lstat(h_fmt("%s/%s", out, de->d_name), &st) == 0 && S_ISREG(st.st_mode),
			  "not a regular file in --out: %s", de->d_name);
		cr_expect(!strstr(de->d_name, "bomb"), "the bomb was recorded: %s", de->d_name);
		files++;
	}
	closedir(d);
	cr_expect_geq(files, 3, "recorded %zu files", files);

	/* replayed byte for byte, templates and all, with the upstream gone */
	replay = h_serve(out, NULL);
	r = h_request(replay, "PUT", "/echo/braces", braces, HDRS("Content-Type: text/plain"));
	cr_expect_eq(r->status, 200, "%ld %s", r->status, r->body);
	cr_expect_eq(r->body_len, live->body_len);
	cr_expect(r->body_len == live->body_len && memcmp(r->body, live->body, r->body_len) == 0,
		  "replayed:\n%s\nlive:\n%s", r->body, live->body);
	h_assert_get(replay, "/text", 200, UP_TEXT);
	r = h_get(replay, "/loop");
	cr_expect_eq(r->status, 302);
	cr_expect_str_eq(h_header(r, "Location") ? h_header(r, "Location") : "", "/loop");
	h_server_stop_ok(replay);
}
