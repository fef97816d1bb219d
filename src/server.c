/* SPDX-License-Identifier: MIT */
/* Server glue: loads stub sets, swaps them in atomically, owns the socket and HTTP layer. */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "diag.h"
#include "http.h"
#include "state.h"
#include "journal.h"
#include "metrics.h"
#include "runtime.h"
#include "stub_cache.h"
#include "proxy.h"
#include "recorder.h"
#include "stub_load.h"
#include "timers.h"
#include "wait.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "watch.h"

void cannery_config_init(struct cannery_config *cfg)
{
	static const char *const default_dirs[] = { "stubs" };
	memset(cfg, 0, sizeof(*cfg));
	cfg->host = "127.0.0.1";
	cfg->port = 62893;
	cfg->dirs = default_dirs;
	cfg->ndirs = 1;
	cfg->max_body = 10485760;
	cfg->max_connections = 1024;
	cfg->idle_timeout_s = 30;
	cfg->log = CANNERY_LOG_NORMAL;
	cfg->log_fd = 2;
	cfg->watch = true;
	cfg->cors = true;
	cfg->journal_limit = 10000;
}

const char *cannery_version(void)
{
	return CANNERY_VERSION;
}

void cannery_global_init(void)
{
	proxy_global_init();
}

static char **copy_strv(const char *const *v, size_t n)
{
	char **r = xcalloc(n + 1, sizeof(*r));
	for (size_t i = 0; i < n; i++)
		r[i] = xstrdup(v[i]);
	return r;
}

static void free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static size_t count_stub_files(const struct load_result *res)
{
	size_t n = 0;
	for (size_t i = 0; i < res->npaths; i++) {
		size_t len = strlen(res->paths[i]);
		if ((len > 5 && strcmp(res->paths[i] + len - 5, ".yaml") == 0) ||
		    (len > 4 && strcmp(res->paths[i] + len - 4, ".yml") == 0))
			n++;
	}
	return n;
}

/* Tells the watcher which files the last load read, and frees the list. */
static void track_files(struct cannery_server *srv, char **paths, size_t npaths)
{
	if (srv->watch)
		watch_track_files(srv->watch, (const char *const *)paths, npaths);
	for (size_t i = 0; i < npaths; i++)
		free(paths[i]);
	free(paths);
}

/* Loads every DIR and composes it with the runtime stubs into a new set, not yet
 * published; on success srv->files becomes the new load, and *track the files it read,
 * for track_files once the set is published (the watcher's list is not on the way to
 * serving the change). Under reload_lock. */
static int build_set(struct cannery_server *srv, struct stub_set **out, char ***track, size_t *ntrack,
		     char **errors)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct stub_group *files = NULL;
	char **paths = NULL;
	size_t npaths = 0;
	/* only the files that changed since the last load are parsed again */
	if (stub_cache_load(srv->cache, (const char *const *)srv->dirs, srv->cfg.ndirs, &files, &paths, &npaths,
			    &diags) < 0) {
		if (errors)
			*errors = diag_list_format(&diags);
		diag_list_release(&diags);
		return -EINVAL;
	}
	struct stub_set *set = runtime_compose(files, srv->runtime, srv->nruntime, &diags);
	if (!set) {
		track_files(srv, paths, npaths);
		if (errors)
			*errors = diag_list_format(&diags);
		diag_list_release(&diags);
		stub_group_unref(files);
		return -EINVAL;
	}
	diag_list_release(&diags);
	stub_group_unref(srv->files);
	srv->files = files;
	*out = set;
	*track = paths;
	*ntrack = npaths;
	return 0;
}

int cannery_check(const char *const *dirs, size_t ndirs, size_t *nstubs, size_t *nfiles, char **errors)
{
	struct load_result res = { 0 };
	struct diag_list diags = DIAG_LIST_INIT;
	int rc = 0;
	if (stub_load_dirs(dirs, ndirs, &res, &diags) < 0) {
		if (errors)
			*errors = diag_list_format(&diags);
		rc = -EINVAL;
	} else {
		if (nstubs)
			*nstubs = res.n;
		if (nfiles)
			*nfiles = count_stub_files(&res);
	}
	diag_list_release(&diags);
	load_result_release(&res);
	return rc;
}

static void log_line(const struct cannery_server *srv, const struct strbuf *sb)
{
	ssize_t w = write(srv->cfg.log_fd, sb->buf, sb->len);
	(void)w;
}

/* Runs on the caller's thread. Hot reload is a convenience: without inotify the server
 * still serves, and says how to reload by hand. */
static void start_watching(struct cannery_server *srv)
{
	char *error = NULL;
	if (watch_create((const char *const *)srv->dirs, srv->cfg.ndirs, srv->cfg.log_fd, &srv->watch, &error) == 0)
		return;
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "cannery: warning: %s; hot reload is off (SIGHUP and POST /__cannery/reload still work)\n",
		    error);
	log_line(srv, &sb);
	strbuf_release(&sb);
	free(error);
	srv->watch = NULL;
}

/* Runs on the watcher thread, once per settled burst of changes. Each outcome is logged
 * once: errors identical to the ones last logged are not repeated, only acknowledged. */
static void on_files_changed(void *arg)
{
	struct cannery_server *srv = arg;
	char *errors = NULL;
	int rc = cannery_server_reload(srv, &errors);
	size_t n = cannery_server_stub_count(srv);
	const char *s = n == 1 ? "" : "s";
	struct strbuf sb = STRBUF_INIT;
	if (rc == 0) {
		free(srv->watch_errors);
		srv->watch_errors = NULL;
		if (srv->cfg.log != CANNERY_LOG_QUIET)
			strbuf_addf(&sb, "cannery: reloaded: serving %zu stub%s\n", n, s);
	} else if (srv->watch_errors && errors && strcmp(srv->watch_errors, errors) == 0) {
		strbuf_addf(&sb, "cannery: reload failed again with the same errors; still serving the previous %zu stub%s\n",
			    n, s);
	} else {
		strbuf_adds(&sb, errors ? errors : "");
		strbuf_addf(&sb, "cannery: reload failed; still serving the previous %zu stub%s\n", n, s);
		free(srv->watch_errors);
		srv->watch_errors = errors;
		errors = NULL;
	}
	if (sb.len)
		log_line(srv, &sb);
	strbuf_release(&sb);
	free(errors);
}

/* The proxy and the recorder, when the options ask for them; a problem becomes one
 * "cannery: ..." line in *errors. */
static int start_proxy(struct cannery_server *srv, const struct cannery_config *cfg, char **errors)
{
	char *msg = NULL;
	int rc = 0;
	if (cfg->record_dir && !cfg->proxy) {
		msg = xstrdup("recording needs a proxy upstream");
		rc = -EINVAL;
		goto out;
	}
	if (!cfg->proxy)
		return 0;
	srv->proxy_url = xstrdup(cfg->proxy);
	srv->cfg.proxy = srv->proxy_url;
	rc = proxy_create(cfg->proxy, cfg->proxy_timeout_ms, 0, &srv->proxy, &msg);
	if (rc < 0 || !cfg->record_dir)
		goto out;
	srv->record_dir = xstrdup(cfg->record_dir);
	srv->cfg.record_dir = srv->record_dir;
	rc = recorder_create(cfg->record_dir, cfg->record_mode == CANNERY_RECORD_SEQUENCE ? RECORD_SEQUENCE : RECORD_FIRST,
			     &srv->recorder, &msg);
out:
	if (rc < 0 && errors) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_addf(&sb, "cannery: %s\n", msg ? msg : strerror(-rc));
		*errors = strbuf_detach(&sb, NULL);
	}
	free(msg);
	return rc;
}

int cannery_server_create(const struct cannery_config *cfg, struct cannery_server **out, char **errors)
{
	struct cannery_server *srv = xcalloc(1, sizeof(*srv));
	srv->cfg = *cfg;
	srv->dirs = copy_strv(cfg->dirs, cfg->ndirs);
	srv->allow_hosts = copy_strv(cfg->allow_hosts, cfg->nallow_hosts);
	srv->host = xstrdup(cfg->host ? cfg->host : "127.0.0.1");
	srv->cfg.dirs = (const char *const *)srv->dirs;
	srv->cfg.allow_hosts = (const char *const *)srv->allow_hosts;
	srv->cfg.host = srv->host;
	srv->cfg.proxy = NULL;
	srv->cfg.record_dir = NULL;
	srv->listen_fd = -1;
	pthread_mutex_init(&srv->slot_lock, NULL);
	pthread_mutex_init(&srv->reload_lock, NULL);
	/* watches go in before the first load, so that no change after it can be missed */
	if (cfg->watch)
		start_watching(srv);
	srv->state = state_create();
	if (cfg->seeded)
		rng_seed(&srv->rng, (uint64_t)cfg->seed);
	else
		rng_seed_random(&srv->rng);
	srv->journal_file = cfg->journal_file ? xstrdup(cfg->journal_file) : NULL;
	srv->admin_token = cfg->admin_token ? xstrdup(cfg->admin_token) : NULL;
	srv->cfg.journal_file = srv->journal_file;
	srv->cfg.admin_token = srv->admin_token;
	srv->journal = journal_create(cfg->journal_limit);
	srv->metrics = metrics_create();
	srv->timers = timers_create();
	srv->waits = waits_create(srv->journal, srv->timers);
	srv->cache = stub_cache_create();
	struct stub_set *set = NULL;
	char **track = NULL;
	size_t ntrack = 0;
	int rc = build_set(srv, &set, &track, &ntrack, errors);
	if (rc == 0 && srv->journal_file) {
		char *msg = NULL;
		rc = journal_open_file(srv->journal, srv->journal_file, srv->cfg.log_fd, &msg);
		if (rc < 0 && errors) {
			struct strbuf sb = STRBUF_INIT;
			strbuf_addf(&sb, "cannery: %s\n", msg);
			*errors = strbuf_detach(&sb, NULL);
		}
		free(msg);
	}
	if (set)
		server_publish(srv, set);
	track_files(srv, track, ntrack);
	if (rc < 0) {
		cannery_server_destroy(srv);
		return rc;
	}
	rc = start_proxy(srv, cfg, errors);
	if (rc < 0) {
		cannery_server_destroy(srv);
		return rc;
	}
	*out = srv;
	return 0;
}

void server_publish(struct cannery_server *srv, struct stub_set *set)
{
	http_prepare_set(set);
	pthread_mutex_lock(&srv->slot_lock);
	struct stub_set *old = srv->current;
	srv->current = set;
	pthread_mutex_unlock(&srv->slot_lock);
	stub_set_unref(old);
	/* give the parse's freed memory (libyaml events, node trees, the old set) back to
	 * the kernel: without it glibc keeps ~10 MB of free heap at 10,000 stubs. Off the
	 * request path; a few ms at most. */
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

void server_record(struct cannery_server *srv, const struct journal_draft *d)
{
	metrics_count(srv->metrics, d->status, d->stub);
	journal_append(srv->journal, journal_entry_create(d));
}

void server_reset(struct cannery_server *srv)
{
	journal_clear(srv->journal);
	state_reset(srv->state);
}

struct stub_set *server_acquire(struct cannery_server *srv)
{
	pthread_mutex_lock(&srv->slot_lock);
	struct stub_set *set = stub_set_ref(srv->current);
	pthread_mutex_unlock(&srv->slot_lock);
	return set;
}

size_t cannery_server_stub_count(const struct cannery_server *srv)
{
	struct cannery_server *s = (struct cannery_server *)srv;
	struct stub_set *set = server_acquire(s);
	size_t n = set->n;
	stub_set_unref(set);
	return n;
}

int cannery_server_reload(struct cannery_server *srv, char **errors)
{
	/* the parse runs outside slot_lock, so request threads never wait on it */
	pthread_mutex_lock(&srv->reload_lock);
	struct stub_set *set = NULL;
	char **track = NULL;
	size_t ntrack = 0;
	int rc = build_set(srv, &set, &track, &ntrack, errors);
	if (rc == 0) {
		server_publish(srv, set);
		track_files(srv, track, ntrack);
		atomic_fetch_add(&srv->reloads, 1);
	} else {
		atomic_fetch_add(&srv->reload_errors, 1);
	}
	pthread_mutex_unlock(&srv->reload_lock);
	return rc;
}

static bool addr_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return true;
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
			return in6->sin6_addr.s6_addr[12] == 127;
	}
	return false;
}

/* Creates the listening socket ourselves so that a failure names the address and errno. */
static int open_listener(struct cannery_server *srv, char **error)
{
	char port[16];
	snprintf(port, sizeof(port), "%u", srv->cfg.port);
	struct addrinfo hints = { 0 }, *ai = NULL;
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	const char *host = srv->host;
	char unbracketed[64];
	size_t hl = strlen(host);
	if (hl > 2 && host[0] == '[' && host[hl - 1] == ']' && hl - 2 < sizeof(unbracketed)) {
		memcpy(unbracketed, host + 1, hl - 2);
		unbracketed[hl - 2] = '\0';
		host = unbracketed;
	}
	int gai = getaddrinfo(host, port, &hints, &ai);
	if (gai != 0) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_addf(&sb, "cannot resolve listen address '%s': %s", srv->host, gai_strerror(gai));
		*error = strbuf_detach(&sb, NULL);
		return -EINVAL;
	}
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
	int err = 0;
	if (fd < 0) {
		err = errno;
		goto fail;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 511) < 0) {
		err = errno;
		goto fail;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	char ip[INET6_ADDRSTRLEN] = "";
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		srv->port = ntohs(in6->sin6_port);
		snprintf(srv->url, sizeof(srv->url), "http://[%s]:%u", ip, srv->port);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		srv->port = ntohs(in->sin_port);
		snprintf(srv->url, sizeof(srv->url), "http://%s:%u", ip, srv->port);
	}
	srv->loopback = addr_is_loopback((struct sockaddr *)&ss);
	srv->listen_fd = fd;
	freeaddrinfo(ai);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	struct strbuf sb = STRBUF_INIT;
	if (strchr(srv->host, ':') && srv->host[0] != '[')
		strbuf_addf(&sb, "cannot listen on [%s]:%u: %s", srv->host, srv->cfg.port, strerror(err));
	else
		strbuf_addf(&sb, "cannot listen on %s:%u: %s", srv->host, srv->cfg.port, strerror(err));
	*error = strbuf_detach(&sb, NULL);
	return -err;
}

int cannery_server_start(struct cannery_server *srv, char **error)
{
	int rc = open_listener(srv, error);
	if (rc < 0)
		return rc;
	srv->http = http_create(srv);
	/* the HTTP layer owns the socket from here on, whatever happens */
	rc = http_start(srv->http, srv->listen_fd, error);
	srv->listen_fd = -1;
	if (rc < 0) {
		http_destroy(srv->http);
		srv->http = NULL;
		return rc;
	}
	if (srv->watch && watch_start(srv->watch, on_files_changed, srv) < 0) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_adds(&sb, "cannery: warning: cannot start the watcher thread; hot reload is off\n");
		log_line(srv, &sb);
		strbuf_release(&sb);
	}
	return 0;
}

unsigned cannery_server_port(const struct cannery_server *srv)
{
	return srv->port;
}

bool cannery_server_is_loopback(const struct cannery_server *srv)
{
	return srv->loopback;
}

const char *cannery_server_url(const struct cannery_server *srv)
{
	return srv->url[0] ? srv->url : NULL;
}

void cannery_server_stop(struct cannery_server *srv)
{
	if (!srv || srv->stopped)
		return;
	srv->stopped = true;
	/* no reload starts once shutdown has begun */
	watch_stop(srv->watch);
	/* waiting calls are answered first: a suspended connection never finishes */
	waits_close(srv->waits);
	if (srv->http)
		http_stop(srv->http);
	/* every request has been recorded: make sure the journal file holds them all */
	journal_sync(srv->journal);
}

void cannery_server_destroy(struct cannery_server *srv)
{
	if (!srv)
		return;
	cannery_server_stop(srv);
	http_destroy(srv->http);
	/* after the HTTP threads, which hand exchanges to them */
	proxy_destroy(srv->proxy);
	recorder_destroy(srv->recorder);
	free(srv->proxy_url);
	free(srv->record_dir);
	/* after the HTTP threads, whose admin reloads may still tell it about files */
	watch_destroy(srv->watch);
	free(srv->watch_errors);
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	stub_set_unref(srv->current);
	state_destroy(srv->state);
	timers_destroy(srv->timers);
	waits_destroy(srv->waits);
	journal_destroy(srv->journal);
	metrics_destroy(srv->metrics);
	stub_group_unref(srv->files);
	stub_cache_destroy(srv->cache);
	for (size_t i = 0; i < srv->nruntime; i++)
		stub_group_unref(srv->runtime[i]);
	free(srv->runtime);
	free(srv->journal_file);
	free(srv->admin_token);
	pthread_mutex_destroy(&srv->slot_lock);
	pthread_mutex_destroy(&srv->reload_lock);
	free_strv(srv->dirs);
	free_strv(srv->allow_hosts);
	free(srv->host);
	free(srv);
}
