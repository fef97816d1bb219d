/* SPDX-License-Identifier: MIT */
/* Shared unit-test helpers: temporary directories, files, diagnostics as text. */
#include "testutil.h"

#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "crud_js.h"
#include "diag.h"
#include "journal.h"
#include "regex.h"
#include "reply.h"
#include "reply_cache.h"
#include "server.h"
#include "slot.h"
#include "state.h"
#include "stub.h"
#include "stub_load.h"
#include "stub_set.h"
#include "timers.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static char tmp[PATH_MAX];
static char old_cwd[PATH_MAX];

const char *tmpdir_create(const char *name)
{
	snprintf(tmp, sizeof(tmp), "/tmp/cannery-%s-XXXXXX", name);
	cr_assert_not_null(mkdtemp(tmp), "mkdtemp %s: %s", tmp, strerror(errno));
	return tmp;
}

const char *tmpdir_enter(const char *name)
{
	tmpdir_create(name);
	cr_assert_not_null(getcwd(old_cwd, sizeof(old_cwd)));
	cr_assert_eq(chdir(tmp), 0, "chdir %s: %s", tmp, strerror(errno));
	return tmp;
}

void tmpdir_leave(void)
{
	if (!tmp[0])
		return;
	if (old_cwd[0] && chdir(old_cwd) != 0)
		return;
	remove_tree(tmp);
	tmp[0] = '\0';
	old_cwd[0] = '\0';
}

char *tmpfile_create(const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "/tmp/cannery-%s-XXXXXX", name);
	char *path = strbuf_detach(&sb, NULL);
	int fd = mkstemp(path);
	cr_assert(fd >= 0, "mkstemp %s: %s", path, strerror(errno));
	close(fd);
	return path;
}

void remove_tree(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *de;
		while (d && (de = readdir(d))) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			char child[PATH_MAX];
			snprintf(child, sizeof(child), "%s/%s", path, de->d_name);
			remove_tree(child);
		}
		if (d)
			closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

void put(const char *path, const char *text)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(buf, 0755);
		*p = '/';
	}
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f, "cannot write %s: %s", path, strerror(errno));
	size_t len = strlen(text);
	cr_assert_eq(fwrite(text, 1, len, f), len, "cannot write %s", path);
	cr_assert_eq(fclose(f), 0, "cannot write %s: %s", path, strerror(errno));
}

void make_dir(const char *path)
{
	cr_assert(mkdir(path, 0755) == 0, "mkdir %s: %s", path, strerror(errno));
}

char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&sb, buf, n);
	fclose(f);
	return strbuf_detach(&sb, len);
}

char *slurp(const char *path)
{
	char *p = read_file(path, NULL);
	cr_assert_not_null(p, "cannot read %s: %s", path, strerror(errno));
	return p;
}

bool file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

size_t count_files(const char *dir, const char *prefix)
{
	size_t n = 0;
	DIR *d = opendir(dir);
	struct dirent *de;
	cr_assert_not_null(d, "opendir %s: %s", dir, strerror(errno));
	while ((de = readdir(d)))
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

size_t count_substr(const char *text, const char *needle)
{
	size_t n = 0;
	for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

char *diags_text(const struct diag_list *diags)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < diags->n; i++) {
		char *s = diag_format(&diags->items[i]);
		strbuf_adds(&sb, s);
		strbuf_addc(&sb, '\n');
		free(s);
	}
	return strbuf_detach(&sb, NULL);
}

struct stub *load_matcher(const char *text)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct stub *m = NULL;
	int rc = stub_load_matcher(text, text ? strlen(text) : 0, "test", NULL, &m, &diags);
	char *why = diags_text(&diags);
	cr_assert_eq(rc, 0, "matcher does not load: %s\n%s", text ? text : "(none)", why);
	free(why);
	diag_list_release(&diags);
	cr_assert_not_null(m);
	return m;
}

void set_path_template(struct stub *s, const char *tpl)
{
	s->req.path_kind = PATH_TEMPLATE;
	s->req.path = xstrdup(tpl);
	for (const char *p = tpl + 1;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		s->req.segs = xrealloc(s->req.segs, (s->req.nsegs + 1) * sizeof(*s->req.segs));
		struct path_seg *g = &s->req.segs[s->req.nsegs++];
		memset(g, 0, sizeof(*g));
		if (n >= 2 && p[0] == '{' && p[n - 1] == '}') {
			g->is_rest = p[n - 2] == '*';
			g->is_param = !g->is_rest;
			g->text = xstrndup(p + 1, n - 2 - (g->is_rest ? 1 : 0));
		} else {
			g->text = xstrndup(p, n);
		}
		if (!slash)
			break;
		p = slash + 1;
	}
}

void set_path_regex(struct stub *s, const char *re)
{
	char *err = NULL;
	size_t off = 0;
	s->req.path_kind = PATH_REGEX;
	s->req.path = xstrdup(re);
	s->req.path_re = regex_compile(re, false, &err, &off);
	cr_assert_not_null(s->req.path_re, "path_regex %s: %s at %zu", re, err ? err : "?", off);
}

struct stub_group *load_group(const char *label, const char *text)
{
	struct load_result res = { 0 };
	struct diag_list diags = DIAG_LIST_INIT;
	int rc = stub_load_string(text, strlen(text), label, NULL, false, &res, &diags);
	char *why = diags_text(&diags);
	cr_assert_eq(rc, 0, "stubs do not load: %s\n%s", text, why);
	free(why);
	diag_list_release(&diags);
	struct stub_group *g = stub_group_create(res.stubs, res.n);
	res.stubs = NULL;
	res.n = 0;
	load_result_release(&res);
	return g;
}

static void count_release(void *handler_data)
{
	(*(unsigned *)handler_data)++;
}

static const struct responder tracked = { .kind = "tracked", .release = count_release };

struct stub *tracked_stub(const char *id, unsigned *freed)
{
	struct stub *s = xcalloc(1, sizeof(*s));
	s->id = xstrdup(id);
	s->priority = 100;
	s->req.path_kind = PATH_NONE;
	s->resp.status = 200;
	s->resp.handler = &tracked;
	s->resp.handler_data = freed;
	return s;
}

struct stub_group *tracked_group(const char *ids, unsigned *freed)
{
	struct stub **stubs = NULL;
	size_t n = 0;
	for (const char *p = ids; *p;) {
		size_t len = strcspn(p, " ");
		char *id = xstrndup(p, len);
		stubs = xrealloc(stubs, (n + 1) * sizeof(*stubs));
		stubs[n++] = tracked_stub(id, freed);
		free(id);
		p += len;
		p += strspn(p, " ");
	}
	return stub_group_create(stubs, n);
}

char *stub_ids(const struct stub *const *stubs, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&sb, "%s ", stubs[i]->id);
	return strbuf_detach(&sb, NULL);
}

struct stub_set *load_set(const char *text)
{
	/* the server's sets carry this; the adapter's prebuilt copies are never made here */
	static struct reply_cache_config replies;
	reply_cache_init(&replies, NULL);
	struct stub_group *g = load_group("test.yaml", text);
	struct stub_set *set = stub_set_create(&g, 1, 1, &replies.ext);
	stub_group_unref(g);
	return set;
}

void req_init(struct req *q, const char *method, const char *path)
{
	memset(q, 0, sizeof(*q));
	arena_init(&q->arena);
	q->v.method = method;
	q->v.path = path;
	q->v.query = q->query;
	q->v.headers = q->headers;
	q->v.cookies = q->cookies;
	q->v.arena = &q->arena;
}

static void kv_add(struct kv *v, size_t *n, const char *name, const char *value)
{
	cr_assert_lt(*n, REQ_MAX_KV, "more than %d entries for '%s'", REQ_MAX_KV, name);
	v[*n].name = name;
	v[*n].value = value;
	v[*n].len = strlen(value);
	(*n)++;
}

void req_query(struct req *q, const char *name, const char *value)
{
	kv_add(q->query, &q->v.nquery, name, value);
}

void req_header(struct req *q, const char *name, const char *value)
{
	kv_add(q->headers, &q->v.nheaders, name, value);
}

void req_cookie(struct req *q, const char *name, const char *value)
{
	kv_add(q->cookies, &q->v.ncookies, name, value);
}

void req_body(struct req *q, const char *body)
{
	q->v.body = body;
	q->v.body_len = strlen(body);
}

void req_fini(struct req *q)
{
	req_view_release(&q->v);
	arena_release(&q->arena);
}

const char *got_header(const struct reply *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

size_t count_headers(const struct reply *r, const char *name)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			n++;
	return n;
}

void expect_header_values(const struct reply *r, ...)
{
	va_list ap;
	va_start(ap, r);
	for (const char *name; (name = va_arg(ap, const char *)) != NULL;) {
		const char *want = va_arg(ap, const char *), *got = got_header(r, name);
		if (!want)
			cr_expect_null(got, "header %s: expected none, got '%s'", name, got);
		else if (!got)
			cr_expect_not_null(got, "header %s: expected '%s', got none", name, want);
		else
			cr_expect_str_eq(got, want, "header %s", name);
	}
	va_end(ap);
}

void expect_body(const struct reply *r, const char *want)
{
	cr_assert_not_null(r->body, "no body, expected '%s'", want);
	cr_expect_eq(r->body_len, strlen(want), "body length %zu for '%.*s', expected '%s'", r->body_len,
		     (int)r->body_len, r->body, want);
	cr_expect_eq(memcmp(r->body, want, r->body_len < strlen(want) ? r->body_len : strlen(want)), 0,
		     "body '%.*s', expected '%s'", (int)r->body_len, r->body, want);
}

/* ---- servers and pipelines ---- */

void test_config(struct cannery_config *cfg, const char **dirs, const char *dir)
{
	cannery_config_init(cfg);
	cfg->port = 0;
	cfg->log = CANNERY_LOG_QUIET;
	cfg->watch = false;
	dirs[0] = dir;
	cfg->dirs = dirs;
	cfg->ndirs = dir ? 1 : 0;
}

struct cannery_server *server_new(const char *dir)
{
	struct cannery_config cfg;
	const char *dirs[1];
	struct cannery_server *srv = NULL;
	char *err = NULL;
	test_config(&cfg, dirs, dir);
	int rc = cannery_server_create(&cfg, &srv, &err);
	cr_assert_eq(rc, 0, "cannery_server_create: %d\n%s", rc, err ? err : "");
	return srv;
}

void add_stubs(struct cannery_server *srv, const char *text)
{
	char *err = NULL;
	int rc = cannery_server_add_stubs(srv, text, NULL, &err);
	cr_assert_eq(rc, 0, "stubs do not load: %s\n%s", text, err ? err : "");
}

void stub_hit(struct cannery_server *srv, const char *id)
{
	const struct admin_ctx *ax = server_admin(srv);
	struct stub_set *set = slot_acquire(ax->slot);
	const struct stub *s = set ? stub_set_find(set, id) : NULL;
	cr_assert_not_null(s, "no stub '%s'", id);
	state_lock(ax->state);
	state_hit_locked(ax->state, s, NULL);
	state_unlock(ax->state);
	stub_set_unref(set);
}

uint64_t journal_add(struct journal *j, const char *method, const char *path, const char *stub, int status)
{
	struct journal_draft d = { 0 };
	d.method = method;
	d.path = path;
	d.stub = stub;
	d.status = status;
	return journal_append(j, journal_entry_create(&d));
}

bool await_hit(struct state *st, const char *id)
{
	struct timespec nap = { 0, 1000000 };
	for (int i = 0; i < TEST_DEADLINE_MS && state_hits(st, id) == 0; i++)
		nanosleep(&nap, NULL);
	return state_hits(st, id) > 0;
}

void rig_init(struct rig *r, const char *dir)
{
	memset(r, 0, sizeof(*r));
	r->srv = server_new(dir);
	r->ax = server_admin(r->srv);
	rng_seed(&r->rng, 42);
	r->timers = timers_create();
	r->cfg = (struct pipeline_config){
		.slot = r->ax->slot,
		.admin = r->ax,
		.state = r->ax->state,
		.rng = &r->rng,
		.journal = r->ax->journal,
		.metrics = r->ax->metrics,
		.timers = r->timers,
		.cors = true,
		.loopback = true,
		.max_body = (size_t)1 << 20,
		.log_fd = 2,
		.log = CANNERY_LOG_QUIET,
	};
	r->pipeline = pipeline_create(&r->cfg);
}

void rig_rebuild(struct rig *r)
{
	pipeline_destroy(r->pipeline);
	r->pipeline = pipeline_create(&r->cfg);
}

void rig_release(struct rig *r)
{
	timers_close(r->timers);
	pipeline_destroy(r->pipeline);
	timers_destroy(r->timers);
	cannery_server_destroy(r->srv);
	memset(r, 0, sizeof(*r));
}

/* ---- raw HTTP over loopback ---- */

static struct sockaddr_in loopback(unsigned port)
{
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sa;
}

int listen_loopback(unsigned *port)
{
	struct sockaddr_in sa = loopback(0);
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(fd >= 0, "socket: %s", strerror(errno));
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "bind: %s", strerror(errno));
	cr_assert_eq(listen(fd, 64), 0, "listen: %s", strerror(errno));
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

int connect_loopback(unsigned port)
{
	struct sockaddr_in sa = loopback(port);
	struct timeval tv = { TEST_DEADLINE_MS / 1000, 0 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

int connect_or_fail(unsigned port)
{
	int fd = connect_loopback(port);
	cr_assert(fd >= 0, "connect to 127.0.0.1:%u: %s", port, strerror(errno));
	return fd;
}

void send_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		cr_assert(n > 0, "send: %s", strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

struct raw_reply read_to_close(int fd)
{
	struct raw_reply r = { 0 };
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n > 0) {
			strbuf_add(&sb, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		r.reset = n < 0 && errno == ECONNRESET;
		r.timed_out = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
		break;
	}
	close(fd);
	r.text = strbuf_detach(&sb, &r.len);
	return r;
}

char *http_raw(unsigned port, const char *request)
{
	int fd = connect_or_fail(port);
	send_all(fd, request, strlen(request));
	struct raw_reply r = read_to_close(fd);
	cr_assert_not(r.timed_out, "no end of the answer to %s within %d ms; got: %s", request, TEST_DEADLINE_MS,
		      r.text);
	return r.text;
}

char *http_request(unsigned port, const char *method, const char *target, const char *headers, const char *body)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s", method, target,
		    headers ? headers : "");
	if (body)
		strbuf_addf(&sb, "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
	else
		strbuf_adds(&sb, "\r\n");
	char *resp = http_raw(port, sb.buf);
	strbuf_release(&sb);
	return resp;
}

void expect_http(char *response, int status, const char *body)
{
	int got = http_status(response);
	cr_expect_eq(got, status, "status %d, want %d: %s", got, status, response);
	if (body)
		cr_expect_str_eq(http_body(response), body, "%s", response);
	free(response);
}

int http_status(const char *response)
{
	int status = 0;
	if (sscanf(response, "HTTP/1.%*d %d", &status) != 1)
		return 0;
	return status;
}

const char *http_body(const char *response)
{
	const char *p = strstr(response, "\r\n\r\n");
	return p ? p + 4 : "";
}

cJSON *json_or_fail(const char *text)
{
	struct json_error e;
	cJSON *j = json_parse(text, strlen(text), &e);
	cr_assert_not_null(j, "not JSON (%s at %d:%d): %s", e.what, e.line, e.col, text);
	return j;
}

char *compact_json(const char *text)
{
	cJSON *j = json_or_fail(text);
	char *out = json_print(j, NULL);
	cJSON_Delete(j);
	return out;
}

size_t split_query(const char *text, struct kv *out, size_t max, char **copy)
{
	char *p = *copy = strdup(text);
	cr_assert_not_null(p);
	size_t n = 0;
	while (*p && n < max) {
		char *amp = strchr(p, '&');
		if (amp)
			*amp = '\0';
		char *eq = strchr(p, '=');
		if (eq)
			*eq = '\0';
		out[n].name = p;
		out[n].value = eq ? eq + 1 : "";
		out[n].len = strlen(out[n].value);
		n++;
		if (!amp)
			break;
		p = amp + 1;
	}
	return n;
}

char *ids_of(const cJSON *items)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, "");
	for (const cJSON *item = items ? items->child : NULL; item; item = item->next) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
		if (item != items->child)
			strbuf_addc(&sb, ',');
		if (id)
			crud_js_text(id, &sb);
		else
			strbuf_addc(&sb, '?');
	}
	return strbuf_detach(&sb, NULL);
}

/* ---- rendered strings ------------------------------------------------------------------ */

static char *kept[1024];
static size_t nkept;

const char *keep(char *s)
{
	cr_assert_lt(nkept, sizeof(kept) / sizeof(kept[0]));
	kept[nkept++] = s;
	return s;
}

void kept_release(void)
{
	for (size_t i = 0; i < nkept; i++)
		free(kept[i]);
	nkept = 0;
}

bool re_matches(const char *re, const char *s)
{
	char *err = NULL;
	size_t off = 0;
	struct regex *r = regex_compile(re, false, &err, &off);
	cr_assert_not_null(r, "bad test regex %s: %s", re, err);
	bool ok = regex_match(r, s, strlen(s));
	regex_destroy(r);
	return ok;
}
