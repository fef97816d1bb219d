/* SPDX-License-Identifier: MIT */
/* Unit tests for journal.c: entries, the ring (order, eviction, growth, clear), snapshots,
 * the JSON form (redaction, joined repeats, base64 bodies), concurrent appends, the NDJSON
 * file and watches. Counts and order only: nothing here depends on the machine's speed. */
#include <criterion/criterion.h>
#include "json.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"
#include "testutil.h"
#include "util/strbuf.h"

static struct journal_entry *entry(const char *method, const char *path)
{
	struct journal_draft d = { 0 };
	d.method = method;
	d.path = path;
	d.status = 200;
	return journal_entry_create(&d);
}

static char *json_of(const struct journal_entry *e)
{
	struct strbuf sb = STRBUF_INIT;
	journal_entry_json(e, &sb);
	return strbuf_detach(&sb, NULL);
}

Test(journal, entry_copies_everything)
{
	char method[] = "POST", path[] = "/api/users", stub[] = "add-user", body[] = "a\0b";
	char hname[] = "Content-Type", hvalue[] = "application/json";
	struct kv query[] = { { "page", "2", 1 } };
	struct kv headers[] = { { hname, hvalue, 16 } };
	struct journal_draft d = { 0 };
	d.method = method;
	d.path = path;
	d.stub = stub;
	d.status = 201;
	d.query = query;
	d.nquery = 1;
	d.headers = headers;
	d.nheaders = 1;
	d.body = body;
	d.body_len = 3;
	struct journal_entry *e = journal_entry_create(&d);
	/* the draft's memory may go: the entry holds copies */
	memset(method, 'x', 4);
	memset(hname, 'x', strlen(hname));
	memset(body, 'x', 3);
	cr_expect_str_eq(e->method, "POST");
	cr_expect_str_eq(e->path, "/api/users");
	cr_expect_str_eq(e->stub, "add-user");
	cr_expect_eq(e->status, 201);
	cr_expect_eq(e->nquery, 1);
	cr_expect_str_eq(e->query[0].name, "page");
	cr_expect_str_eq(e->headers[0].name, "content-type", "header names are stored lower-case");
	cr_expect_str_eq(e->headers[0].value, "application/json");
	cr_expect_eq(e->body_len, 3);
	cr_expect(memcmp(e->body, "a\0b", 3) == 0);
	cr_expect_eq(e->seq, 0, "no seq before append");
	journal_entry_unref(e);
}

Test(journal, entry_keeps_the_start_of_the_answer)
{
	static char big[JOURNAL_RESPONSE_MAX + 10];
	memset(big, 'a', sizeof(big) - 1);
	struct journal_draft d = { 0 };
	d.method = "GET";
	d.path = "/";
	d.resp_type = "text/plain";
	d.resp_body = big;
	d.resp_body_len = sizeof(big) - 1;
	struct journal_entry *e = journal_entry_create(&d);
	cr_expect(e->resp_kept);
	cr_expect_str_eq(e->resp_type, "text/plain");
	cr_expect_eq(e->resp_body_len, JOURNAL_RESPONSE_MAX);
	cr_expect_eq(e->resp_body_total, JOURNAL_RESPONSE_MAX + 9);
	cr_expect_eq(e->resp_body[JOURNAL_RESPONSE_MAX], '\0');
	/* not part of the journal's JSON (SPEC section 4), nor of its file */
	char *json = json_of(e);
	cr_expect(!strstr(json, "text/plain") && !strstr(json, "aaaa"), "%s", json);
	free(json);
	journal_entry_unref(e);

	e = entry("GET", "/");
	cr_expect(!e->resp_kept, "no answer given: nothing kept");
	cr_expect_null(e->resp_type);
	cr_expect_eq(e->resp_body_len, 0);
	journal_entry_unref(e);
}

Test(journal, entry_keeps_the_answers_headers_as_written_up_to_a_limit)
{
	struct kv h[JOURNAL_RESPONSE_HEADERS + 5];
	char names[JOURNAL_RESPONSE_HEADERS + 5][16];
	for (size_t i = 0; i < JOURNAL_RESPONSE_HEADERS + 5; i++) {
		snprintf(names[i], sizeof names[i], "X-H%zu", i);
		h[i] = (struct kv){ names[i], i % 2 ? "odd" : "Even", i % 2 ? 3 : 4 };
	}
	struct journal_draft d = { 0 };
	d.method = "GET";
	d.path = "/";
	d.resp_body = "";
	d.resp_headers = h;
	d.nresp_headers = JOURNAL_RESPONSE_HEADERS + 5;
	struct journal_entry *e = journal_entry_create(&d);
	cr_assert_eq(e->nresp_headers, JOURNAL_RESPONSE_HEADERS);
	cr_expect_str_eq(e->resp_headers[0].name, "X-H0", "names keep their case");
	cr_expect_str_eq(e->resp_headers[0].value, "Even");
	cr_expect_str_eq(e->resp_headers[JOURNAL_RESPONSE_HEADERS - 1].name, "X-H31");
	cr_expect_neq(e->resp_headers[1].value, h[1].value, "copied, not borrowed");
	journal_entry_unref(e);
	/* nothing kept of the answer: none of its headers either */
	d.resp_body = NULL;
	e = journal_entry_create(&d);
	cr_expect_eq(e->nresp_headers, 0);
	journal_entry_unref(e);
}

Test(journal, seqs_increase_from_one)
{
	struct journal *j = journal_create(100);
	for (uint64_t i = 1; i <= 5; i++)
		cr_expect_eq(journal_append(j, entry("GET", "/a")), i);
	struct journal_snapshot s;
	journal_snapshot(j, 0, &s);
	cr_assert_eq(s.n, 5);
	for (size_t i = 0; i < 5; i++)
		cr_expect_eq(s.v[i]->seq, i + 1);
	cr_expect_eq(s.last_seq, 5);
	cr_expect_eq(s.evicted, 0);
	journal_snapshot_release(&s);
	journal_destroy(j);
}

Test(journal, ring_keeps_the_newest_and_counts_evictions)
{
	struct journal *j = journal_create(3);
	char path[16];
	for (int i = 1; i <= 8; i++) {
		snprintf(path, sizeof(path), "/r%d", i);
		journal_append(j, entry("GET", path));
	}
	struct journal_snapshot s;
	journal_snapshot(j, 0, &s);
	cr_assert_eq(s.n, 3);
	cr_expect_str_eq(s.v[0]->path, "/r6");
	cr_expect_str_eq(s.v[1]->path, "/r7");
	cr_expect_str_eq(s.v[2]->path, "/r8");
	cr_expect_eq(s.v[2]->seq, 8);
	cr_expect_eq(s.evicted, 5);
	journal_snapshot_release(&s);
	struct journal_stats st;
	journal_stats(j, &st);
	cr_expect_eq(st.entries, 3);
	cr_expect_eq(st.evicted_total, 5);
	cr_expect_eq(st.appended_total, 8);
	journal_destroy(j);
}

Test(journal, ring_grows_up_to_its_limit_in_order)
{
	struct journal *j = journal_create(1000);
	for (int i = 0; i < 1500; i++)
		journal_append(j, entry("GET", "/a"));
	struct journal_snapshot s;
	journal_snapshot(j, 0, &s);
	cr_assert_eq(s.n, 1000);
	for (size_t i = 0; i < s.n; i++)
		cr_assert_eq(s.v[i]->seq, 501 + i, "entry %zu has seq %llu", i, (unsigned long long)s.v[i]->seq);
	cr_expect_eq(s.evicted, 500);
	journal_snapshot_release(&s);
	journal_destroy(j);
}

Test(journal, snapshot_since)
{
	struct journal *j = journal_create(4);
	for (int i = 0; i < 6; i++)
		journal_append(j, entry("GET", "/a"));
	struct journal_snapshot s;
	journal_snapshot(j, 4, &s);
	cr_assert_eq(s.n, 2);
	cr_expect_eq(s.v[0]->seq, 5);
	journal_snapshot_release(&s);
	journal_snapshot(j, 1, &s);
	cr_expect_eq(s.n, 4, "seq 1 and 2 are evicted: everything kept is after 1");
	journal_snapshot_release(&s);
	journal_snapshot(j, 6, &s);
	cr_expect_eq(s.n, 0);
	journal_snapshot_release(&s);
	journal_destroy(j);
}

Test(journal, clear_keeps_seq_and_eviction_total)
{
	struct journal *j = journal_create(2);
	for (int i = 0; i < 3; i++)
		journal_append(j, entry("GET", "/a"));
	journal_clear(j);
	struct journal_stats st;
	journal_stats(j, &st);
	cr_expect_eq(st.entries, 0);
	cr_expect_eq(st.evicted, 0);
	cr_expect_eq(st.evicted_total, 1);
	cr_expect_eq(journal_append(j, entry("GET", "/b")), 4, "seq keeps increasing after a clear");
	journal_destroy(j);
}

Test(journal, limit_zero_keeps_nothing)
{
	struct journal *j = journal_create(0);
	journal_append(j, entry("GET", "/a"));
	struct journal_stats st;
	journal_stats(j, &st);
	cr_expect_eq(st.entries, 0);
	cr_expect_eq(st.evicted, 0);
	cr_expect_eq(st.appended_total, 1);
	journal_destroy(j);
}

Test(journal, json_shape)
{
	struct kv query[] = { { "page", "2", 1 }, { "tag", "a", 1 }, { "tag", "b", 1 } };
	struct kv headers[] = { { "Content-Type", "application/json", 16 }, { "X-Trace", "1", 1 },
				{ "x-trace", "2", 1 } };
	struct journal_draft d = { 0 };
	d.time.tv_sec = 1795694400; /* 2026-11-26T12:00:00Z */
	d.time.tv_nsec = 123456789;
	d.duration_ms = 0.08;
	d.method = "POST";
	d.path = "/api/users";
	d.stub = "get-user";
	d.status = 201;
	d.query = query;
	d.nquery = 3;
	d.headers = headers;
	d.nheaders = 3;
	d.body = "{\"name\":\"Ada\"}";
	d.body_len = strlen(d.body);
	struct journal *j = journal_create(10);
	struct journal_entry *e = journal_entry_create(&d);
	journal_append(j, journal_entry_ref(e));
	char *json = json_of(e);
	cr_expect_str_eq(json, "{\"seq\":1,\"time\":\"2026-11-26T12:00:00.123Z\",\"method\":\"POST\",\"path\":\"/api/users\","
			       "\"query\":{\"page\":\"2\",\"tag\":\"a, b\"},"
			       "\"headers\":{\"content-type\":\"application/json\",\"x-trace\":\"1, 2\"},"
			       "\"body\":\"{\\\"name\\\":\\\"Ada\\\"}\",\"stub\":\"get-user\",\"status\":201,"
			       "\"duration_ms\":0.08}");
	free(json);
	journal_entry_unref(e);
	journal_destroy(j);
}

Test(journal, json_redacts_secrets_but_entries_keep_them)
{
	struct kv headers[] = { { "Authorization", "Bearer s3cret", 13 }, { "Proxy-Authorization", "Basic x", 7 },
				{ "Cookie", "sid=abc", 7 }, { "X-Api-Key", "k3y", 3 }, { "X-Other", "visible", 7 } };
	struct journal_draft d = { 0 };
	d.method = "GET";
	d.path = "/";
	d.headers = headers;
	d.nheaders = 5;
	struct journal_entry *e = journal_entry_create(&d);
	char *json = json_of(e);
	cr_expect(strstr(json, "\"authorization\":\"[redacted]\""), "%s", json);
	cr_expect(strstr(json, "\"proxy-authorization\":\"[redacted]\""), "%s", json);
	cr_expect(strstr(json, "\"cookie\":\"[redacted]\""), "%s", json);
	cr_expect(strstr(json, "\"x-api-key\":\"[redacted]\""), "%s", json);
	cr_expect(strstr(json, "\"x-other\":\"visible\""), "%s", json);
	cr_expect(!strstr(json, "s3cret") && !strstr(json, "abc") && !strstr(json, "k3y"), "%s", json);
	cr_expect_str_eq(e->headers[0].value, "Bearer s3cret", "matchers see the real value");
	free(json);
	journal_entry_unref(e);
}

Test(journal, json_bodies_and_odd_bytes)
{
	struct journal_draft d = { 0 };
	d.method = "POST";
	d.path = "/bin\xff";
	d.body = "\x00\x01\xfe\xff";
	d.body_len = 4;
	struct journal_entry *e = journal_entry_create(&d);
	char *json = json_of(e);
	cr_expect(strstr(json, "\"body_base64\":\"AAH+/w==\""), "%s", json);
	cr_expect(!strstr(json, "\"body\":"), "%s", json);
	cr_expect(strstr(json, "\"path\":\"/bin\xef\xbf\xbd\""), "invalid UTF-8 outside the body becomes U+FFFD: %s",
		  json);
	cr_expect(strstr(json, "\"stub\":null"), "%s", json);
	free(json);
	journal_entry_unref(e);

	d.path = "/";
	d.body = "caf\xc3\xa9 \xe2\x82\xac";
	d.body_len = strlen(d.body);
	e = journal_entry_create(&d);
	json = json_of(e);
	cr_expect(strstr(json, "\"body\":\"caf\xc3\xa9 \xe2\x82\xac\""), "UTF-8 stays text: %s", json);
	free(json);
	journal_entry_unref(e);

	/* overlong encodings and surrogates are not UTF-8 */
	d.body = "\xc0\xaf";
	d.body_len = 2;
	e = journal_entry_create(&d);
	json = json_of(e);
	cr_expect(strstr(json, "\"body_base64\":\"wK8=\""), "%s", json);
	free(json);
	journal_entry_unref(e);
	d.body = "\xed\xa0\x80";
	d.body_len = 3;
	e = journal_entry_create(&d);
	json = json_of(e);
	cr_expect(strstr(json, "\"body_base64\":"), "%s", json);
	free(json);
	journal_entry_unref(e);
}

Test(journal, json_parses)
{
	struct kv headers[] = { { "X-Quote", "a\"b\\c\nd", 7 } };
	struct journal_draft d = { 0 };
	d.method = "GET";
	d.path = "/q\"uote";
	d.headers = headers;
	d.nheaders = 1;
	d.duration_ms = 12.5;
	struct journal_entry *e = journal_entry_create(&d);
	char *json = json_of(e);
	cJSON *o = cJSON_Parse(json);
	cr_assert(o, "not JSON: %s", json);
	cr_expect_str_eq(cJSON_GetObjectItem(o, "path")->valuestring, "/q\"uote");
	cr_expect_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "headers"), "x-quote")->valuestring, "a\"b\\c\nd");
	cr_expect_eq(cJSON_GetObjectItem(o, "duration_ms")->valuedouble, 12.5);
	cJSON_Delete(o);
	free(json);
	journal_entry_unref(e);
}

/* ---- threads ---- */

struct appender {
	struct journal *j;
	uint64_t seqs[1000];
};

static void *append_many(void *arg)
{
	struct appender *a = arg;
	for (int i = 0; i < 1000; i++)
		a->seqs[i] = journal_append(a->j, entry("GET", "/t"));
	return NULL;
}

Test(journal, concurrent_appends_get_unique_seqs)
{
	enum { T = 8 };
	struct journal *j = journal_create(5000);
	static struct appender a[T];
	pthread_t t[T];
	for (int i = 0; i < T; i++) {
		a[i].j = j;
		cr_assert_eq(pthread_create(&t[i], NULL, append_many, &a[i]), 0);
	}
	for (int i = 0; i < T; i++)
		pthread_join(t[i], NULL);
	static bool seen[T * 1000 + 1];
	for (int i = 0; i < T; i++)
		for (int k = 0; k < 1000; k++) {
			uint64_t s = a[i].seqs[k];
			cr_assert(s >= 1 && s <= T * 1000 && !seen[s], "seq %llu repeated or out of range",
				  (unsigned long long)s);
			seen[s] = true;
			if (k)
				cr_assert_gt(s, a[i].seqs[k - 1], "one thread's seqs increase");
		}
	struct journal_snapshot s;
	journal_snapshot(j, 0, &s);
	cr_expect_eq(s.n, 5000);
	cr_expect_eq(s.evicted, T * 1000 - 5000);
	for (size_t i = 0; i < s.n; i++)
		cr_assert_eq(s.v[i]->seq, T * 1000 - 5000 + 1 + i, "kept entries are the newest, in order");
	journal_snapshot_release(&s);
	journal_destroy(j);
}

/* ---- the NDJSON file ---- */

Test(journal, file_gets_one_json_line_per_entry)
{
	char *path = tmpfile_create("journal");
	struct journal *j = journal_create(2);
	char *err = NULL;
	cr_assert_eq(journal_open_file(j, path, -1, &err), 0, "%s", err ? err : "");
	for (int i = 0; i < 50; i++)
		journal_append(j, entry("GET", "/f"));
	journal_sync(j);
	FILE *f = fopen(path, "r");
	cr_assert(f);
	char line[4096];
	int n = 0;
	while (fgets(line, sizeof(line), f)) {
		cJSON *o = cJSON_Parse(line);
		cr_assert(o, "line %d is not JSON: %s", n + 1, line);
		cr_expect_eq(cJSON_GetObjectItem(o, "seq")->valuedouble, n + 1);
		cJSON_Delete(o);
		n++;
	}
	fclose(f);
	cr_expect_eq(n, 50, "the file keeps every entry, evicted ones included");
	journal_destroy(j);
	unlink(path);
	free(path);
}

Test(journal, destroy_flushes_the_file)
{
	char *path = tmpfile_create("journal");
	struct journal *j = journal_create(10);
	char *err = NULL;
	cr_assert_eq(journal_open_file(j, path, -1, &err), 0);
	for (int i = 0; i < 1000; i++)
		journal_append(j, entry("GET", "/f"));
	journal_destroy(j);
	FILE *f = fopen(path, "r");
	cr_assert(f);
	int n = 0, c;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	cr_expect_eq(n, 1000);
	unlink(path);
	free(path);
}

Test(journal, file_open_error)
{
	struct journal *j = journal_create(10);
	char *err = NULL;
	int rc = journal_open_file(j, "/nonexistent-dir/journal.ndjson", -1, &err);
	cr_expect_lt(rc, 0);
	cr_assert(err);
	cr_expect(strstr(err, "/nonexistent-dir/journal.ndjson"), "%s", err);
	free(err);
	journal_destroy(j);
}

/* ---- watches ---- */

struct counter {
	struct journal_watch w;
	int seen;
	int want;
	int fired;
	uint64_t last_seq;
};

static bool count_entry(struct journal_watch *w, const struct journal_entry *e)
{
	struct counter *c = (struct counter *)w;
	c->seen++;
	c->last_seq = e->seq;
	return c->seen >= c->want;
}

static void count_fire(struct journal_watch *w)
{
	((struct counter *)w)->fired++;
}

Test(journal, watch_sees_new_entries_once_and_fires)
{
	struct journal *j = journal_create(10);
	journal_append(j, entry("GET", "/old"));
	struct counter c = { { count_entry, count_fire, NULL, NULL, false }, 0, 2, 0, 0 };
	struct journal_snapshot s;
	journal_watch_add(j, &c.w, &s);
	cr_expect_eq(s.n, 1, "the entry already there is in the snapshot");
	journal_snapshot_release(&s);
	journal_append(j, entry("GET", "/a"));
	cr_expect_eq(c.seen, 1);
	cr_expect_eq(c.fired, 0);
	journal_append(j, entry("GET", "/b"));
	cr_expect_eq(c.seen, 2);
	cr_expect_eq(c.fired, 1);
	cr_expect_eq(c.last_seq, 3);
	journal_append(j, entry("GET", "/c"));
	cr_expect_eq(c.seen, 2, "a fired watch is unlinked");
	cr_expect_not(journal_watch_remove(j, &c.w));
	journal_destroy(j);
}

Test(journal, watch_remove)
{
	struct journal *j = journal_create(10);
	struct counter a = { { count_entry, count_fire, NULL, NULL, false }, 0, 100, 0, 0 };
	struct counter b = { { count_entry, count_fire, NULL, NULL, false }, 0, 100, 0, 0 };
	struct journal_snapshot s;
	journal_watch_add(j, &a.w, &s);
	journal_snapshot_release(&s);
	journal_watch_add(j, &b.w, &s);
	journal_snapshot_release(&s);
	journal_append(j, entry("GET", "/a"));
	cr_expect(journal_watch_remove(j, &a.w));
	journal_append(j, entry("GET", "/b"));
	cr_expect_eq(a.seen, 1);
	cr_expect_eq(b.seen, 2);
	cr_expect(journal_watch_remove(j, &b.w));
	cr_expect_not(journal_watch_remove(j, &b.w));
	journal_destroy(j);
}

/* The entry's time and duration as the file and the admin API show them: the time for
 * dates across leap years, month ends and the day's end, as gmtime + strftime write it;
 * the duration with up to three decimals, trailing zeros dropped. */
Test(journal, json_time_and_duration)
{
	static const time_t times[] = { 0, 86399, 951782400 /* 2000-02-29 */, 1709251199 /* 2024-02-29T23:59:59 */,
					1735689599 /* 2024-12-31T23:59:59 */, 1795694400, 4102444800 /* 2100-01-01 */,
					253402300799 /* 9999-12-31T23:59:59 */ };
	static const struct { double ms; const char *text; } durations[] = {
		{ 0, "0" }, { 12, "12" }, { 1.5, "1.5" }, { 0.08, "0.08" }, { 0.0004, "0" }, { 2.0006, "2.001" },
		{ 123456.789, "123456.789" }, { -1, "0" },
	};
	for (size_t i = 0; i < sizeof times / sizeof *times; i++) {
		struct journal_draft d = { 0 };
		d.time.tv_sec = times[i];
		d.time.tv_nsec = 7000000;
		d.duration_ms = durations[i % (sizeof durations / sizeof *durations)].ms;
		d.method = "GET";
		d.path = "/";
		d.body = "";
		struct journal_entry *e = journal_entry_create(&d);
		char *json = json_of(e);
		struct tm tm;
		char want[64];
		gmtime_r(&times[i], &tm);
		strftime(want, sizeof want, "\"time\":\"%Y-%m-%dT%H:%M:%S.007Z\"", &tm);
		cr_expect(strstr(json, want), "%s: want %s", json, want);
		char dur[64];
		snprintf(dur, sizeof dur, "\"duration_ms\":%s}", durations[i % (sizeof durations / sizeof *durations)].text);
		cr_expect(strstr(json, dur), "%s: want %s", json, dur);
		free(json);
		journal_entry_unref(e);
	}
}
