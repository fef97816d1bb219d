/* SPDX-License-Identifier: MIT */
/* Hot reload end to end (SPEC section 3): stub files and `file:` bodies added, edited,
 * renamed and deleted under a running server, new subdirectories, editor-style saves, an
 * invalid edit and its fix, --no-watch, and requests without pause across 50 reloads.
 * Every wait polls with a deadline; no test sleeps for a fixed time. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

TestSuite(reload, .init = h_setup, .fini = h_teardown, .timeout = 120);

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* A stub answering GET path with body. */
static const char *stub(const char *name, const char *path, const char *body)
{
	return h_fmt("name: %s\nrequest: { path: %s }\nresponse: { body: %s }\n", name, path, body);
}

static const char *in(const char *dir, const char *rel)
{
	return h_fmt("%s/%s", dir, rel);
}

/* Polls GET path until its body contains needle (any status). */
static bool poll_contains(const struct h_server *s, const char *path, const char *needle, struct h_response **last)
{
	for (int i = 0; i < H_DEADLINE_MS / 10; i++) {
		struct h_response *r = h_get(s, path);

		if (last)
			*last = r;
		if (h_contains(r->body, needle))
			return true;
		usleep(10 * 1000);
	}
	return false;
}

/* Polls the server's stderr until at least n lines contain needle. */
static bool wait_count(const struct h_server *s, const char *needle, size_t n)
{
	for (int i = 0; i < H_DEADLINE_MS / 10; i++) {
		if (h_count_lines(h_server_stderr(s), needle) >= n)
			return true;
		usleep(10 * 1000);
	}
	return false;
}

#define POLL_GET(srv, path, want_status, want_body)                                                \
	do {                                                                                          \
		struct h_response *last_;                                                             \
		cr_assert(h_poll_get((srv), (path), (want_status), (want_body), &last_),              \
			  "GET %s never answered %d '%s'; last %ld '%s'\nstderr:\n%s", (path), (want_status), \
			  (want_body), last_->status, last_->body, h_server_stderr(srv));             \
	} while (0)

/* ---- stub files ----------------------------------------------------------------------------- */

Test(reload, add_edit_rename_delete_stub_files)
{
	const char *dir = h_stub_dir("a.yaml", stub("a", "/a", "a1"), NULL);
	struct h_server *s = h_serve(dir, NULL);
	struct h_response *last;

	h_assert_get(s, "/a", 200, "a1");

	/* add */
	h_write_file(dir, "b.yaml", "request: { path: /b }\nresponse: { body: b1 }\n");
	POLL_GET(s, "/b", 200, "b1");

	/* edit */
	h_write_file(dir, "a.yaml", stub("a", "/a", "a2"));
	POLL_GET(s, "/a", 200, "a2");

	/* rename: the unnamed stub's id follows its file */
	cr_assert_eq(rename(in(dir, "b.yaml"), in(dir, "c.yml")), 0);
	cr_assert(poll_contains(s, "/__cannery/stubs", "\"c.yml#0\"", &last), "after a rename: %s", last->body);
	cr_expect(!h_contains(last->body, "b.yaml"), "%s", last->body);
	h_assert_get(s, "/b", 200, "b1");

	/* renamed to something that is not a stub file */
	cr_assert_eq(rename(in(dir, "c.yml"), in(dir, "c.yml.off")), 0);
	cr_assert(poll_contains(s, "/b", "no stub matched", &last), "/b: %ld %s", last->status, last->body);

	/* delete */
	cr_assert_eq(unlink(in(dir, "a.yaml")), 0);
	cr_assert(poll_contains(s, "/a", "no stub matched", &last), "/a: %ld %s", last->status, last->body);
	h_assert_get(s, "/__cannery/health", 200, "{\"status\":\"ok\",\"stubs\":0,\"version\":\"0.1.0\"}");
	cr_expect(h_server_wait_log(s, "cannery: reloaded: serving 0 stubs", NULL), "stderr:\n%s", h_server_stderr(s));
	h_server_stop_ok(s);
}

Test(reload, new_subdirectory)
{
	const char *dir = h_stub_dir("a.yaml", stub("a", "/a", "a1"), NULL);
	struct h_server *s = h_serve(dir, NULL);

	/* the directories and the file arrive together: the file may land before the
	 * directory's watch exists */
	h_write_file(dir, "team/users/list.yaml", stub("users", "/users", "u1"));
	POLL_GET(s, "/users", 200, "u1");
	/* and the new directory is watched from then on */
	h_write_file(dir, "team/users/list.yaml", stub("users", "/users", "u2"));
	POLL_GET(s, "/users", 200, "u2");
	h_write_file(dir, "team/users/more/other.yaml", stub("other", "/other", "o1"));
	POLL_GET(s, "/other", 200, "o1");
	h_server_stop_ok(s);
}

/* A Kubernetes ConfigMap volume, laid out as the kubelet does it: DIR/KEY -> ..data/KEY,
 * DIR/..data -> ..TIMESTAMP, updated by writing a new ..TIMESTAMP, pointing ..data_tmp
 * at it, renaming ..data_tmp over ..data (the atomic swap) and removing the old one. */
static void configmap_version(const char *dir, int v, const char *body_a, const char *body_b, bool remove_old)
{
	const char *ts = h_fmt("..2026_12_07_00_00_%02d", v);
	h_write_file(dir, h_fmt("%s/a.yaml", ts), stub("a", "/a", body_a));
	if (body_b)
		h_write_file(dir, h_fmt("%s/b.yaml", ts), stub("b", "/b", body_b));
	const char *tmp = in(dir, "..data_tmp");
	cr_assert_eq(symlink(ts, tmp), 0, "symlink: %s", strerror(errno));
	cr_assert_eq(rename(tmp, in(dir, "..data")), 0, "rename: %s", strerror(errno));
	if (remove_old && v > 1)
		h_remove_tree(in(dir, h_fmt("..2026_12_07_00_00_%02d", v - 1)));
}

Test(reload, kubernetes_configmap_swap)
{
	const char *dir = h_tmpdir();
	configmap_version(dir, 1, "a1", NULL, false);
	cr_assert_eq(symlink("..data/a.yaml", in(dir, "a.yaml")), 0);
	struct h_server *s = h_serve(dir, NULL);
	h_assert_get(s, "/a", 200, "a1");
	/* the swap alone is seen (the old directory stays) */
	configmap_version(dir, 2, "a2", NULL, false);
	POLL_GET(s, "/a", 200, "a2");
	/* as the kubelet does it: the old directory goes too */
	configmap_version(dir, 3, "a3", NULL, true);
	POLL_GET(s, "/a", 200, "a3");
	/* a new key: the new version has it, and its link appears in DIR */
	configmap_version(dir, 4, "a4", "b4", true);
	cr_assert_eq(symlink("..data/b.yaml", in(dir, "b.yaml")), 0);
	POLL_GET(s, "/b", 200, "b4");
	h_assert_get(s, "/a", 200, "a4");
	configmap_version(dir, 5, "a5", "b5", true);
	POLL_GET(s, "/b", 200, "b5");
	h_assert_get(s, "/a", 200, "a5");
	h_server_stop_ok(s);
}

/* ---- file: bodies --------------------------------------------------------------------------- */

Test(reload, body_files)
{
	const char *dir = h_stub_dir("a.yaml",
				     "- name: json\n"
				     "  request: { path: /j }\n"
				     "  response: { file: bodies/user.json }\n"
				     "- name: odd\n"
				     "  request: { path: /odd }\n"
				     "  response: { file: page.tmp }\n",
				     "bodies/user.json", "{\"v\":1}", "page.tmp", "odd 1", NULL);
	struct h_server *s = h_serve(dir, NULL);
	FILE *f;

	h_assert_get(s, "/j", 200, "{\"v\":1}");

	/* edited in place (open, truncate, write) */
	f = fopen(in(dir, "bodies/user.json"), "w");
	cr_assert(f);
	fputs("{\"v\":2}", f);
	fclose(f);
	POLL_GET(s, "/j", 200, "{\"v\":2}");

	/* saved through a temp file and a rename */
	h_write_file(dir, "bodies/user.json", "{\"v\":3}");
	POLL_GET(s, "/j", 200, "{\"v\":3}");

	/* a body whose name looks like a temp file still counts */
	h_write_file(dir, "page.tmp", "odd 2");
	POLL_GET(s, "/odd", 200, "odd 2");

	/* renamed away: the stub is invalid, the old set keeps serving */
	cr_assert_eq(rename(in(dir, "bodies/user.json"), in(dir, "bodies/user.json.old")), 0);
	cr_assert(h_server_wait_log(s, "a.yaml:3:", "bodies/user.json", "does not exist", NULL), "stderr:\n%s",
		  h_server_stderr(s));
	h_assert_get(s, "/j", 200, "{\"v\":3}");

	/* renamed back, with new contents */
	h_write_file(dir, "bodies/user.json.old", "{\"v\":4}");
	cr_assert_eq(rename(in(dir, "bodies/user.json.old"), in(dir, "bodies/user.json")), 0);
	POLL_GET(s, "/j", 200, "{\"v\":4}");

	/* deleted, then created again */
	cr_assert_eq(unlink(in(dir, "bodies/user.json")), 0);
	cr_assert(wait_count(s, "does not exist", 2), "stderr:\n%s", h_server_stderr(s));
	h_assert_get(s, "/j", 200, "{\"v\":4}");
	h_write_file(dir, "bodies/user.json", "{\"v\":5}");
	POLL_GET(s, "/j", 200, "{\"v\":5}");
	h_server_stop_ok(s);
}

/* ---- errors ----------------------------------------------------------------------------------- */

Test(reload, invalid_edit_then_fix)
{
	const char *dir = h_stub_dir("a.yaml", stub("a", "/a", "a1"), NULL);
	struct h_server *s = h_serve(dir, NULL);
	struct h_response *r;
	char *err;

	h_write_file(dir, "a.yaml", "name: a\nrequest: { path: /a, bogus: 1 }\nresponse: { body: a2 }\n");
	cr_assert(h_server_wait_log(s, "a.yaml:2:", "error", "bogus", NULL), "no error logged:\n%s",
		  h_server_stderr(s));
	cr_assert(h_server_wait_log(s, "reload failed; still serving the previous 1 stub", NULL), "stderr:\n%s",
		  h_server_stderr(s));
	h_assert_get(s, "/a", 200, "a1");

	/* another change that leaves the same error: acknowledged, not repeated */
	h_write_file(dir, "o.yaml", stub("o", "/o", "o1"));
	cr_assert(h_server_wait_log(s, "reload failed again with the same errors", NULL), "stderr:\n%s",
		  h_server_stderr(s));
	err = h_server_stderr(s);
	cr_expect_eq(h_count_lines(err, "bogus"), 1, "the error should be logged once:\n%s", err);
	h_assert_get(s, "/a", 200, "a1");
	cr_assert(h_contains(h_get(s, "/o")->body, "no stub matched"), "/o must not be served yet");

	/* a different error is logged */
	h_write_file(dir, "a.yaml", "name: a\nrequest: { path: /a }\nresponse: { body: a2, json: 1 }\n");
	cr_assert(h_server_wait_log(s, "a.yaml:3:", "error", NULL), "stderr:\n%s", h_server_stderr(s));

	/* POST /__cannery/reload agrees: 422 with the errors, the old set kept */
	r = h_request(s, "POST", "/__cannery/reload", "", NULL);
	h_assert_response(r, "POST /__cannery/reload", 422, NULL);
	cr_expect(h_contains(r->body, "a.yaml:3:"), "%s", r->body);
	h_assert_get(s, "/a", 200, "a1");
	h_assert_get(s, "/__cannery/health", 200, "{\"status\":\"ok\",\"stubs\":1,\"version\":\"0.1.0\"}");

	/* the fix takes effect, and so does what waited behind the error */
	h_write_file(dir, "a.yaml", stub("a", "/a", "a3"));
	POLL_GET(s, "/a", 200, "a3");
	h_assert_get(s, "/o", 200, "o1");
	cr_assert(h_server_wait_log(s, "cannery: reloaded: serving 2 stubs", NULL), "stderr:\n%s", h_server_stderr(s));

	/* after a success, the same error again is news again */
	h_write_file(dir, "a.yaml", "name: a\nrequest: { path: /a, bogus: 1 }\nresponse: { body: a4 }\n");
	wait_count(s, "bogus", 2);
	err = h_server_stderr(s);
	cr_expect_eq(h_count_lines(err, "bogus"), 2, "stderr:\n%s", err);
	h_assert_get(s, "/a", 200, "a3");
	h_server_stop_ok(s);
}

/* ---- editors ---------------------------------------------------------------------------------- */

static void write_raw(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert(f, "open %s", path);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

Test(reload, editor_style_saves)
{
	const char *dir = h_stub_dir("a.yaml", stub("a", "/a", "a1"), NULL);
	struct h_server *s = h_serve(dir, NULL);
	const char *a = in(dir, "a.yaml");

	/* vim: swap file, write test, backup by rename, new file, backup removed */
	write_raw(in(dir, ".a.yaml.swp"), "not yaml: [");
	write_raw(in(dir, "4913"), "");
	cr_assert_eq(unlink(in(dir, "4913")), 0);
	cr_assert_eq(rename(a, in(dir, "a.yaml~")), 0);
	write_raw(a, stub("a", "/a", "vim"));
	cr_assert_eq(unlink(in(dir, "a.yaml~")), 0);
	POLL_GET(s, "/a", 200, "vim");

	/* JetBrains "safe write": temp file, old one renamed aside, temp renamed in */
	write_raw(in(dir, "a.yaml___jb_tmp___"), stub("a", "/a", "idea"));
	cr_assert_eq(rename(a, in(dir, "a.yaml___jb_old___")), 0);
	cr_assert_eq(rename(in(dir, "a.yaml___jb_tmp___"), a), 0);
	cr_assert_eq(unlink(in(dir, "a.yaml___jb_old___")), 0);
	POLL_GET(s, "/a", 200, "idea");

	/* a plain temp file renamed over the original (VS Code, sed -i, most tools) */
	write_raw(in(dir, "a.yaml.tmp"), stub("a", "/a", "tmp"));
	cr_assert_eq(rename(in(dir, "a.yaml.tmp"), a), 0);
	POLL_GET(s, "/a", 200, "tmp");

	/* the swap file never reached the loader */
	cr_expect(!h_contains(h_server_stderr(s), "error"), "stderr:\n%s", h_server_stderr(s));
	h_server_stop_ok(s);
}

/* ---- --no-watch ------------------------------------------------------------------------------- */

/* How many inotify instances the process holds: a server that has none cannot be
 * reloading on file changes, however long we wait. */
static int inotify_fds(pid_t pid)
{
	const char *fddir = h_fmt("/proc/%d/fd", (int)pid);
	DIR *d = opendir(fddir);
	struct dirent *de;
	int n = 0;

	cr_assert(d, "cannot list %s", fddir);
	while ((de = readdir(d))) {
		char target[256];
		ssize_t len = readlink(h_fmt("%s/%s", fddir, de->d_name), target, sizeof(target) - 1);

		if (len > 0) {
			target[len] = '\0';
			n += strcmp(target, "anon_inode:inotify") == 0;
		}
	}
	closedir(d);
	return n;
}

Test(reload, no_watch)
{
	const char *dir = h_stub_dir("v.yaml", stub("v", "/v", "v1"), NULL);
	struct h_server *off = h_serve(dir, "--no-watch", NULL);
	struct h_server *on = h_serve(dir, NULL);
	struct h_spawn sp = { ARGS("serve", dir, "--port", "0"), ARGS("CANNERY_NO_WATCH=1"), NULL };
	struct h_server *env_off = h_server_spawn(&sp);
	struct h_spawn sp0 = { ARGS("serve", dir, "--port", "0"), ARGS("CANNERY_NO_WATCH=0"), NULL };
	struct h_server *env_on = h_server_spawn(&sp0);

	cr_expect_eq(inotify_fds(off->pid), 0, "--no-watch still watches");
	cr_expect_eq(inotify_fds(env_off->pid), 0, "CANNERY_NO_WATCH=1 still watches");
	cr_expect_eq(inotify_fds(on->pid), 1, "the default is to watch");
	cr_expect_eq(inotify_fds(env_on->pid), 1, "CANNERY_NO_WATCH=0 should watch");

	/* one change, seen by the watching twins only */
	h_write_file(dir, "v.yaml", stub("v", "/v", "v2"));
	POLL_GET(on, "/v", 200, "v2");
	POLL_GET(env_on, "/v", 200, "v2");
	h_assert_get(off, "/v", 200, "v1");
	h_assert_get(env_off, "/v", 200, "v1");
	cr_expect(!h_contains(h_server_stderr(off), "reloaded"), "stderr:\n%s", h_server_stderr(off));
	/* the change was loadable: a reload on demand takes it */
	h_assert_response(h_request(off, "POST", "/__cannery/reload", "", NULL), "POST /__cannery/reload", 200,
			  "{\"stubs\":1}");
	h_assert_get(off, "/v", 200, "v2");
	h_server_stop_ok(off);
	h_server_stop_ok(on);
	h_server_stop_ok(env_off);
	h_server_stop_ok(env_on);
}

/* ---- 50 reloads under load -------------------------------------------------------------------- */

#define VERSION_LEN 1500

/* The client thread talks to libcurl directly: the harness keeps every response until
 * teardown, which tens of thousands of requests would turn into a lot of memory. */
struct reply {
	char body[VERSION_LEN + 64];
	size_t len;
	bool truncated;
	char version[16];
};

static size_t reply_body(char *data, size_t size, size_t n, void *userp)
{
	struct reply *r = userp;
	size_t len = size * n;

	if (r->len + len >= sizeof(r->body)) {
		r->truncated = true;
		return len;
	}
	memcpy(r->body + r->len, data, len);
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

static size_t reply_header(char *data, size_t size, size_t n, void *userp)
{
	struct reply *r = userp;
	size_t len = size * n;

	if (len > 11 && strncasecmp(data, "X-Version:", 10) == 0)
		snprintf(r->version, sizeof(r->version), "%.*s", (int)strcspn(data + 10, "\r\n") - 1, data + 11);
	return len;
}

struct hammer {
	const struct h_server *s;
	const char *body[2];         /* version A and B */
	atomic_bool stop;
	long requests, failed, mixed, connects;
	long seen[2];
	char first_problem[256];
};

static void *hammer_run(void *arg)
{
	struct hammer *h = arg;
	CURL *e = curl_easy_init();
	struct reply r;
	char error[CURL_ERROR_SIZE];

	curl_easy_setopt(e, CURLOPT_URL, h_fmt("%s/v", h->s->url));
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)H_DEADLINE_MS);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, reply_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, reply_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, &r);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error);
	while (!atomic_load(&h->stop)) {
		long status = 0, connects = 0;
		int which = -1;
		CURLcode rc;

		memset(&r, 0, sizeof(r));
		error[0] = '\0';
		rc = curl_easy_perform(e);
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &connects);
		h->requests++;
		h->connects += connects;
		if (rc == CURLE_OK && status == 200 && !r.truncated) {
			if (strcmp(r.body, h->body[0]) == 0)
				which = 0;
			else if (strcmp(r.body, h->body[1]) == 0)
				which = 1;
		}
		if (which < 0) {
			h->failed++;
			if (!h->first_problem[0])
				snprintf(h->first_problem, sizeof(h->first_problem), "status %ld, curl %d %s, body '%.60s'",
					 status, (int)rc, error, r.body);
		} else if (strcmp(r.version, which ? "B" : "A") != 0) {
			/* the body of one set with the headers of the other */
			h->mixed++;
			if (!h->first_problem[0])
				snprintf(h->first_problem, sizeof(h->first_problem), "body %c with X-Version '%s'",
					 which ? 'B' : 'A', r.version);
		} else {
			h->seen[which]++;
		}
	}
	curl_easy_cleanup(e);
	return NULL;
}

static const char *version_file(const char *tag, const char *body)
{
	return h_fmt("- name: v\n"
		     "  request: { path: /v }\n"
		     "  response:\n"
		     "    headers: { X-Version: %s }\n"
		     "    body: %s\n"
		     "- name: other-%s\n"
		     "  request: { path: /other-%s }\n",
		     tag, body, tag, tag);
}

Test(reload, requests_never_fail_across_50_reloads, .timeout = 240)
{
	char a[VERSION_LEN + 1], b[VERSION_LEN + 1];
	struct hammer h;
	pthread_t t;
	const char *dir;
	struct h_server *s;

	memset(a, 'A', VERSION_LEN);
	memset(b, 'B', VERSION_LEN);
	a[VERSION_LEN] = b[VERSION_LEN] = '\0';
	dir = h_stub_dir("v.yaml", version_file("A", a), NULL);
	s = h_serve(dir, "--quiet", NULL);
	memset(&h, 0, sizeof(h));
	h.s = s;
	h.body[0] = a;
	h.body[1] = b;
	atomic_init(&h.stop, false);
	cr_assert_eq(pthread_create(&t, NULL, hammer_run, &h), 0);

	for (int i = 0; i < 50; i++) {
		bool to_b = i % 2 == 0;
		struct h_response *last;
		bool ok;

		h_write_file(dir, "v.yaml", to_b ? version_file("B", b) : version_file("A", a));
		ok = h_poll_get(s, to_b ? "/other-B" : "/other-A", 200, "", &last);
		if (!ok) {
			atomic_store(&h.stop, true);
			pthread_join(t, NULL);
			cr_assert_fail("reload %d never took effect: %ld '%.100s'\nstderr:\n%s", i + 1, last->status,
				       last->body, h_server_stderr(s));
		}
		h_assert_get(s, "/v", 200, to_b ? b : a);
	}
	atomic_store(&h.stop, true);
	pthread_join(t, NULL);

	cr_log_info("%ld requests across 50 reloads (A %ld, B %ld) on %ld connection(s)", h.requests, h.seen[0],
		    h.seen[1], h.connects);
	cr_expect_eq(h.failed, 0, "%ld of %ld requests failed; first: %s", h.failed, h.requests, h.first_problem);
	cr_expect_eq(h.mixed, 0, "%ld of %ld responses mixed two versions; first: %s", h.mixed, h.requests,
		     h.first_problem);
	cr_expect_gt(h.requests, 50, "only %ld requests during 50 reloads", h.requests);
	cr_expect(h.seen[0] > 0 && h.seen[1] > 0, "the client saw A %ld times and B %ld times", h.seen[0], h.seen[1]);
	/* one kept-alive connection carried requests across the swaps */
	cr_expect_leq(h.connects, 5, "%ld connections for %ld requests", h.connects, h.requests);
	h_server_stop_ok(s);
}

/* ---- incremental reloads (only changed files are parsed again) ------------------------------ */

Test(reload, duplicate_id_from_one_edit_then_fix_with_runtime_stubs)
{
	const char *dir = h_stub_dir("a.yaml", stub("a", "/a", "a1"), "sub/b.yaml", stub("b", "/b", "b1"),
				     "c.yaml", stub("c", "/c", "c1"), NULL);
	struct h_server *s = h_serve(dir, NULL);

	h_assert_response(h_request(s, "POST", "/__cannery/stubs",
				    "{\"name\":\"rt\",\"request\":{\"path\":\"/rt\"},\"response\":{\"body\":\"rt1\"}}", NULL),
			  "POST /__cannery/stubs", 201, "{\"ids\":[\"rt\"]}");
	h_assert_get(s, "/rt", 200, "rt1");

	/* an edit of one file takes an id another (unchanged) file has: both places named */
	h_write_file(dir, "sub/b.yaml", stub("a", "/b", "b2"));
	cr_assert(h_server_wait_log(s, "sub/b.yaml:1:7: error: duplicate stub id 'a' (first defined at ",
				    "/a.yaml:1:1)", NULL),
		  "stderr:\n%s", h_server_stderr(s));
	h_assert_get(s, "/b", 200, "b1");

	/* the fix takes effect; the unchanged files and the runtime stub are still served */
	h_write_file(dir, "sub/b.yaml", stub("b", "/b", "b3"));
	POLL_GET(s, "/b", 200, "b3");
	h_assert_get(s, "/a", 200, "a1");
	h_assert_get(s, "/c", 200, "c1");
	h_assert_get(s, "/rt", 200, "rt1");

	/* a file edited, then one deleted, then one renamed: each seen */
	h_write_file(dir, "c.yaml", stub("c", "/c", "c2-longer"));
	POLL_GET(s, "/c", 200, "c2-longer");
	cr_assert_eq(unlink(in(dir, "a.yaml")), 0);
	cr_assert(poll_contains(s, "/a", "no stub matched", NULL), "/a still served:\n%s", h_server_stderr(s));
	cr_assert_eq(rename(in(dir, "c.yaml"), in(dir, "sub/c2.yaml")), 0);
	h_write_file(dir, "a.yaml", stub("a", "/a", "a-again"));
	POLL_GET(s, "/a", 200, "a-again");
	h_assert_get(s, "/c", 200, "c2-longer");
	h_assert_get(s, "/rt", 200, "rt1");
	h_server_stop_ok(s);
}
