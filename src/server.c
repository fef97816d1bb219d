/* SPDX-License-Identifier: MIT */
/* The server: owns every part (catalog, slot, journal, state, timers, proxy, pipeline, HTTP
 * adapter, watcher), wires them together at creation and tears them down in order. The
 * embedding API's lifecycle calls (include/cannery/cannery.h). */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "admin.h"
#include "catalog.h"
#include "crud.h"
#include "config.h"
#include "diag.h"
#include "http.h"
#include "journal.h"
#include "metrics.h"
#include "pipeline.h"
#include "proxy.h"
#include "recorder.h"
#include "reload_log.h"
#include "reply_cache.h"
#include "slot.h"
#include "state.h"
#include "stub_load.h"
#include "stub_set.h"
#include "timers.h"
#include "tls.h"
#include "util/rng.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "wait.h"
#include "openapi.h"
#include "watch.h"
#include "wiremock.h"

struct cannery_server {
	struct cannery_config cfg;     /* pointers below are owned copies */
	char **dirs;
	char **allow_hosts;
	char **crud_files;
	char *host;
	char *journal_file;
	char *admin_token;
	char *proxy_url;
	char *record_dir;
	struct tls_identity *tls;      /* HTTPS: the certificate and key served; NULL: HTTP */

	int listen_fd;
	unsigned port;
	char url[96];
	bool loopback;                 /* bound to a loopback address: the Host check applies */
	bool stopped;

	struct slot *slot;             /* the current stub set */
	struct catalog *catalog;       /* file and runtime stubs, rebuilds */
	struct reply_cache_config replies;  /* per-set prepared replies (the adapter's prebuilt responses) */
	struct state *state;           /* hit counters and scenario states (its own lock) */
	struct rng rng;                /* uuid, random_int, random delays (lock-free) */
	struct journal *journal;       /* every non-admin request */
	struct metrics *metrics;
	struct timers *timers;         /* the one timer thread: response delays and admin waits */
	struct waits *waits;           /* pending requests/wait calls */
	struct proxy *proxy;           /* NULL without cfg.proxy */
	pthread_mutex_t stub_proxy_lock;  /* guards stub_proxy and stub_proxy_off */
	struct proxy *stub_proxy;      /* stubs that forward (proxyBaseUrl): started by the first */
	bool stub_proxy_off;           /* stopping: no new one */
	struct recorder *recorder;     /* NULL without cfg.record_dir */
	struct admin_ctx admin;
	struct pipeline *pipeline;
	struct http *http;

	struct crud_source **crud;     /* one per --crud FILE */
	size_t ncrud;
	char **wm_dirs;                /* --wiremock ROOTs and the DIR arguments that are roots */
	size_t nwm_dirs;
	struct wm_front *wm;           /* the WireMock roots and the /__admin/ API's mappings */
	char **oa_files;               /* --openapi SPECs and the DIR arguments that are specs */
	size_t noa_files;
	struct openapi_source **openapi;   /* one per spec */
	size_t nopenapi;
	pthread_mutex_t publish_lock;  /* one publish of the front-ends' groups at a time */

	struct watch *watch;           /* NULL with watching off (or unavailable) */
	pthread_mutex_t track_lock;    /* guards stub_paths and the calls of watch_track_files */
	char **stub_paths;             /* the files the catalog's last load read */
	size_t nstub_paths;
	char *watch_errors;            /* the watcher's last logged reload errors; watcher thread only */
};

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
	cfg->head_timeout_ms = 10000;
	cfg->min_body_rate = 1024;
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

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

int cannery_check(const char *const *dirs, size_t ndirs, size_t *nstubs, size_t *nfiles, char **errors)
{
	return cannery_check_openapi(NULL, 0, dirs, ndirs, nstubs, nfiles, errors);
}

int cannery_check_openapi(const char *const *specs, size_t nspecs, const char *const *dirs, size_t ndirs,
			  size_t *nstubs, size_t *nfiles, char **errors)
{
	struct load_result res = { 0 };
	struct diag_list diags = DIAG_LIST_INIT;
	/* WireMock roots among the DIRs (SPEC section 1's sniffing) are checked as roots, spec
	 * files as specs */
	const char **plain = xcalloc(ndirs + 1, sizeof(*plain));
	const char **spec_files = xcalloc(ndirs + nspecs + 1, sizeof(*spec_files));
	struct stub_group **groups = xcalloc(ndirs + 1, sizeof(*groups));
	size_t nplain = 0, nspec_files = 0, ngroups = 0, stubs = 0, files = 0;
	for (size_t i = 0; i < nspecs; i++)
		spec_files[nspec_files++] = specs[i];
	for (size_t i = 0; i < ndirs; i++) {
		if (openapi_is_spec(dirs[i])) {
			spec_files[nspec_files++] = dirs[i];
			continue;
		}
		if (!wm_is_root(dirs[i])) {
			plain[nplain++] = dirs[i];
			continue;
		}
		struct wm_root *r = wm_root_create(dirs[i], 0, &diags);
		if (r) {
			groups[ngroups] = wm_root_group(r);
			stubs += groups[ngroups++]->n;
			files += wm_root_nfiles(r);
			wm_root_destroy(r);
		}
	}
	int rc = 0;
	if (nplain && stub_load_dirs(plain, nplain, &res, &diags) < 0)
		rc = -EINVAL;
	else if (!nplain && !nspec_files && !ngroups && stub_load_dirs(plain, 0, &res, &diags) < 0)
		rc = -EINVAL;
	/* every stub against every spec, once the stubs and the specs loaded */
	struct openapi_source **oa = xcalloc(nspec_files + 1, sizeof(*oa));
	size_t noa = 0;
	for (size_t i = 0; i < nspec_files; i++) {
		oa[noa] = openapi_source_create(spec_files[i], true, &diags);
		if (oa[noa]) {
			files += 1;
			noa++;
		}
	}
	if (rc == 0 && !diags.n && !diags.dropped)
		for (size_t k = 0; k < noa; k++) {
			openapi_source_check(oa[k], (const struct stub *const *)res.stubs, res.n, &diags);
			for (size_t g = 0; g < ngroups; g++)
				openapi_source_check(oa[k], (const struct stub *const *)groups[g]->stubs, groups[g]->n,
						     &diags);
		}
	for (size_t k = 0; k < noa; k++)
		openapi_source_destroy(oa[k]);
	free(oa);
	if (diags.n || diags.dropped)
		rc = -EINVAL;
	if (rc < 0) {
		if (errors)
			*errors = diag_list_format(&diags);
	} else {
		if (nstubs)
			*nstubs = res.n + stubs;
		if (nfiles)
			*nfiles = res.nfiles + files;
	}
	for (size_t g = 0; g < ngroups; g++)
		stub_group_unref(groups[g]);
	free(groups);
	free(plain);
	free(spec_files);
	diag_list_release(&diags);
	load_result_release(&res);
	return rc;
}

static void log_line(const struct cannery_server *srv, const struct strbuf *sb)
{
	ssize_t w = write(srv->cfg.log_fd, sb->buf, sb->len);
	(void)w;
}

/* ---- hot reload ---- */

/* Runs on the caller's thread. Hot reload is a convenience: without inotify the server
 * still serves, and says how to reload by hand. */
static void start_watching(struct cannery_server *srv)
{
	char *error = NULL;
	/* the stub DIRs and each WireMock root's mappings and __files */
	size_t n = srv->cfg.ndirs;
	char **dirs = xcalloc(n + 2 * srv->nwm_dirs + 1, sizeof(*dirs));
	for (size_t i = 0; i < n; i++)
		dirs[i] = xstrdup(srv->dirs[i]);
	for (size_t i = 0; i < srv->nwm_dirs; i++) {
		dirs[n++] = stub_path_join(srv->wm_dirs[i], "mappings");
		dirs[n++] = stub_path_join(srv->wm_dirs[i], "__files");
	}
	int rc = watch_create((const char *const *)dirs, n, srv->cfg.log_fd, &srv->watch, &error);
	for (size_t i = 0; i < n; i++)
		free(dirs[i]);
	free(dirs);
	if (rc == 0)
		return;
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "cannery: warning: %s; hot reload is off (SIGHUP and POST /__cannery/reload still work)\n",
		    error);
	log_line(srv, &sb);
	strbuf_release(&sb);
	free(error);
	srv->watch = NULL;
}

/* Tells the watcher every file the served stubs come from: the stub files of the last
 * load, the --crud data files and the files of each OpenAPI spec. Any thread. */
static void track_all(struct cannery_server *srv)
{
	if (!srv->watch)
		return;
	pthread_mutex_lock(&srv->track_lock);
	size_t npaths = 0;
	char **paths = xcalloc(srv->nstub_paths + srv->cfg.ncrud_files + 1, sizeof(*paths));
	for (size_t i = 0; i < srv->nstub_paths; i++)
		paths[npaths++] = xstrdup(srv->stub_paths[i]);
	for (size_t i = 0; i < srv->cfg.ncrud_files; i++)
		paths[npaths++] = xstrdup(srv->cfg.crud_files[i]);
	for (size_t i = 0; i < srv->nopenapi; i++) {
		size_t n;
		char **files = openapi_source_files(srv->openapi[i], &n);
		paths = xrealloc(paths, (npaths + n + 1) * sizeof(*paths));
		memcpy(paths + npaths, files, n * sizeof(*files));
		npaths += n;
		free(files);
	}
	watch_track_files(srv->watch, (const char *const *)paths, npaths);
	for (size_t i = 0; i < npaths; i++)
		free(paths[i]);
	free(paths);
	pthread_mutex_unlock(&srv->track_lock);
}

/* Runs under the catalog's lock: the files the last load read, kept for track_all. */
static void files_read(void *cls, char **paths, size_t npaths)
{
	struct cannery_server *srv = cls;
	pthread_mutex_lock(&srv->track_lock);
	for (size_t i = 0; i < srv->nstub_paths; i++)
		free(srv->stub_paths[i]);
	free(srv->stub_paths);
	srv->stub_paths = paths;
	srv->nstub_paths = npaths;
	pthread_mutex_unlock(&srv->track_lock);
	track_all(srv);
}

/* Runs on the watcher thread, once per settled burst of changes. Each outcome is logged
 * once: errors identical to the ones last logged are not repeated, only acknowledged. */
/* The front-ends' groups (WireMock roots, CRUD sources), published with the stub files. */
static int publish_sources(struct cannery_server *srv, char **errors)
{
	size_t n = 0;
	pthread_mutex_lock(&srv->publish_lock);
	struct stub_group **groups = xmalloc((srv->ncrud + srv->nopenapi + 2) * sizeof(*groups));
	if (srv->wm)
		groups[n++] = wm_front_group(srv->wm);
	for (size_t i = 0; i < srv->ncrud; i++)
		groups[n++] = crud_source_group(srv->crud[i]);
	for (size_t i = 0; i < srv->nopenapi; i++)
		groups[n++] = openapi_source_group(srv->openapi[i]);
	int rc = catalog_set_sources(srv->catalog, groups, n, errors);
	pthread_mutex_unlock(&srv->publish_lock);
	for (size_t i = 0; i < n; i++)
		stub_group_unref(groups[i]);
	free(groups);
	return rc;
}

/* Reads the WireMock roots and --crud files that changed; republishes when their stubs
 * did. Errors are appended to *errors (as GCC-style lines). */
static int reload_sources(struct cannery_server *srv, char **errors)
{
	struct diag_list diags = DIAG_LIST_INIT;
	bool republish = false;
	if (srv->wm)
		republish |= wm_front_reload(srv->wm, &diags) > 0;
	for (size_t i = 0; i < srv->ncrud; i++)
		republish |= crud_source_reload(srv->crud[i], &diags) > 0;
	bool retrack = false;
	for (size_t i = 0; i < srv->nopenapi; i++)
		retrack |= openapi_source_reload(srv->openapi[i], &diags) > 0;
	republish |= retrack;
	if (retrack)
		track_all(srv);     /* a $ref may now reach other files */
	int rc = diags.n || diags.dropped ? -EINVAL : 0;
	if (rc < 0 && errors) {
		char *more = diag_list_format(&diags);
		struct strbuf sb = STRBUF_INIT;
		strbuf_adds(&sb, *errors ? *errors : "");
		strbuf_adds(&sb, more);
		free(more);
		free(*errors);
		*errors = strbuf_detach(&sb, NULL);
	}
	diag_list_release(&diags);
	if (republish && publish_sources(srv, NULL) < 0)
		rc = -EINVAL;
	return rc;
}

/* The proxy of the stubs that forward (a WireMock mapping's proxyBaseUrl): started by the
 * first request one forwards, so that libcurl's threads and memory come only with them.
 * Any thread; NULL when it cannot start or the server is stopping. */
static struct proxy *stub_proxy(void *cls)
{
	struct cannery_server *srv = cls;
	pthread_mutex_lock(&srv->stub_proxy_lock);
	if (!srv->stub_proxy && !srv->stub_proxy_off) {
		char *error = NULL;
		if (proxy_create(NULL, srv->cfg.proxy_timeout_ms, 0, &srv->stub_proxy, &error) < 0) {
			struct strbuf sb = STRBUF_INIT;
			strbuf_addf(&sb, "cannery: error: %s\n", error ? error : "cannot start the proxy");
			log_line(srv, &sb);
			strbuf_release(&sb);
			free(error);
			srv->stub_proxy = NULL;
		}
	}
	struct proxy *p = srv->stub_proxy;
	pthread_mutex_unlock(&srv->stub_proxy_lock);
	return p;
}

/* After a change through /__admin/: the front-ends' groups published again. */
static void republish(void *cls)
{
	publish_sources(cls, NULL);
}

static void reset_crud(void *cls)
{
	struct cannery_server *srv = cls;
	for (size_t i = 0; i < srv->ncrud; i++)
		crud_source_reset(srv->crud[i]);
}

static bool files_settled(void *arg, bool writer_seen)
{
	return watch_settled(((struct cannery_server *)arg)->watch, writer_seen);
}

static void on_files_changed(void *arg)
{
	struct cannery_server *srv = arg;
	char *errors = NULL;
	int rc = catalog_reload_settled(srv->catalog, &errors, files_settled, srv);
	if (rc == -EAGAIN)
		return;     /* torn: the watcher calls again once the writer is done */
	if (reload_sources(srv, &errors) < 0)
		rc = -EINVAL;
	size_t n = cannery_server_stub_count(srv);
	struct strbuf sb = STRBUF_INIT;
	if (rc == 0) {
		free(srv->watch_errors);
		srv->watch_errors = NULL;
		if (srv->cfg.log != CANNERY_LOG_QUIET)
			reload_log_format(&sb, true, NULL, n, false);
	} else if (srv->watch_errors && errors && strcmp(srv->watch_errors, errors) == 0) {
		reload_log_format(&sb, false, errors, n, true);
	} else {
		reload_log_format(&sb, false, errors, n, false);
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

/* The HTTPS identity the options ask for (SPEC section 12): files, PEM text, or one made
 * now; a problem becomes one "cannery: ..." line in *errors. A warning about the
 * certificate (expired) goes to the log. */
static int start_tls(struct cannery_server *srv, const struct cannery_config *cfg, char **errors)
{
	char *msg = NULL;
	int rc = 0;
	bool files = cfg->tls_cert_file || cfg->tls_key_file, pem = cfg->tls_cert_pem || cfg->tls_key_pem;
	if (files + pem + cfg->tls_self_signed > 1)
		msg = xstrdup("give one TLS certificate: files, PEM text or self-signed, not several");
	else if (files && (!cfg->tls_cert_file || !cfg->tls_key_file))
		msg = xstrdup(cfg->tls_cert_file ? "a TLS certificate needs its key (tls_key_file)"
						 : "a TLS key needs its certificate (tls_cert_file)");
	else if (pem && (!cfg->tls_cert_pem || !cfg->tls_key_pem))
		msg = xstrdup(cfg->tls_cert_pem ? "a TLS certificate needs its key (tls_key_pem)"
						: "a TLS key needs its certificate (tls_cert_pem)");
	else if (files)
		rc = tls_identity_load(cfg->tls_cert_file, cfg->tls_key_file, &srv->tls, &msg);
	else if (pem)
		rc = tls_identity_from_pem(cfg->tls_cert_pem, "tls_cert_pem", cfg->tls_key_pem, "tls_key_pem", &srv->tls,
					   &msg);
	else if (cfg->tls_self_signed)
		rc = tls_identity_self_signed(&srv->tls, &msg);
	if (msg && rc == 0)
		rc = -EINVAL;
	if (rc < 0) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_addf(&sb, "cannery: %s\n", msg ? msg : strerror(-rc));
		if (errors)
			*errors = strbuf_detach(&sb, NULL);
		strbuf_release(&sb);
	} else if (srv->tls && tls_identity_warning(srv->tls)) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_addf(&sb, "cannery: warning: %s\n", tls_identity_warning(srv->tls));
		log_line(srv, &sb);
		strbuf_release(&sb);
	}
	free(msg);
	return rc;
}

/* Reads every WireMock root and --crud file; all or nothing. */
static int start_sources(struct cannery_server *srv, const struct cannery_config *cfg, char **errors)
{
	struct diag_list diags = DIAG_LIST_INIT;
	srv->wm = wm_front_create((const char *const *)srv->wm_dirs, srv->nwm_dirs, &diags);
	srv->crud = xcalloc(cfg->ncrud_files + 1, sizeof(*srv->crud));
	for (size_t i = 0; i < cfg->ncrud_files; i++) {
		srv->crud[srv->ncrud] = crud_source_create(cfg->crud_files[i], cfg->crud_save, &diags);
		if (srv->crud[srv->ncrud])
			srv->ncrud++;
	}
	srv->openapi = xcalloc(srv->noa_files + 1, sizeof(*srv->openapi));
	for (size_t i = 0; i < srv->noa_files; i++) {
		srv->openapi[srv->nopenapi] = openapi_source_create(srv->oa_files[i], !cfg->no_validate, &diags);
		if (srv->openapi[srv->nopenapi])
			srv->nopenapi++;
	}
	int rc = 0;
	if (diags.n || diags.dropped) {
		if (errors)
			*errors = diag_list_format(&diags);
		rc = -EINVAL;
	} else {
		rc = publish_sources(srv, errors);
	}
	diag_list_release(&diags);
	return rc;
}

static struct conns_stats conn_stats(void *cls)
{
	struct cannery_server *srv = cls;
	struct conns_stats none = { 0 };
	return srv->http ? http_conn_stats(srv->http) : none;
}

/* The stub DIRs and the WireMock roots: --wiremock ROOTs, and the DIRs that have a
 * mappings/ subdirectory (SPEC section 1's sniffing). */
static void split_dirs(struct cannery_server *srv, const struct cannery_config *cfg)
{
	srv->dirs = xcalloc(cfg->ndirs + 1, sizeof(*srv->dirs));
	srv->wm_dirs = xcalloc(cfg->ndirs + cfg->nwiremock_roots + 1, sizeof(*srv->wm_dirs));
	srv->oa_files = xcalloc(cfg->ndirs + cfg->nopenapi_specs + 1, sizeof(*srv->oa_files));
	size_t nd = 0;
	for (size_t i = 0; i < cfg->nwiremock_roots; i++)
		srv->wm_dirs[srv->nwm_dirs++] = xstrdup(cfg->wiremock_roots[i]);
	for (size_t i = 0; i < cfg->nopenapi_specs; i++)
		srv->oa_files[srv->noa_files++] = xstrdup(cfg->openapi_specs[i]);
	for (size_t i = 0; i < cfg->ndirs; i++) {
		if (wm_is_root(cfg->dirs[i]))
			srv->wm_dirs[srv->nwm_dirs++] = xstrdup(cfg->dirs[i]);
		else if (openapi_is_spec(cfg->dirs[i]))
			srv->oa_files[srv->noa_files++] = xstrdup(cfg->dirs[i]);
		else
			srv->dirs[nd++] = xstrdup(cfg->dirs[i]);
	}
	srv->cfg.ndirs = nd;
	srv->cfg.wiremock_roots = (const char *const *)srv->wm_dirs;
	srv->cfg.nwiremock_roots = srv->nwm_dirs;
	srv->cfg.openapi_specs = (const char *const *)srv->oa_files;
	srv->cfg.nopenapi_specs = srv->noa_files;
}

int cannery_server_create(const struct cannery_config *cfg, struct cannery_server **out, char **errors)
{
	struct cannery_server *srv = xcalloc(1, sizeof(*srv));
	srv->cfg = *cfg;
	srv->cfg.tls_cert_file = srv->cfg.tls_key_file = srv->cfg.tls_cert_pem = srv->cfg.tls_key_pem = NULL;
	/* a bad certificate is found before anything is loaded or started */
	int rc = start_tls(srv, cfg, errors);
	if (rc < 0) {
		free(srv);
		return rc;
	}
	split_dirs(srv, cfg);
	pthread_mutex_init(&srv->publish_lock, NULL);
	pthread_mutex_init(&srv->stub_proxy_lock, NULL);
	pthread_mutex_init(&srv->track_lock, NULL);
	srv->allow_hosts = copy_strv(cfg->allow_hosts, cfg->nallow_hosts);
	srv->crud_files = copy_strv(cfg->crud_files, cfg->ncrud_files);
	srv->cfg.crud_files = (const char *const *)srv->crud_files;
	srv->host = xstrdup(cfg->host ? cfg->host : "127.0.0.1");
	srv->journal_file = dup_or_null(cfg->journal_file);
	srv->admin_token = dup_or_null(cfg->admin_token);
	srv->cfg.dirs = (const char *const *)srv->dirs;
	srv->cfg.allow_hosts = (const char *const *)srv->allow_hosts;
	srv->cfg.host = srv->host;
	srv->cfg.journal_file = srv->journal_file;
	srv->cfg.admin_token = srv->admin_token;
	srv->cfg.proxy = NULL;
	srv->cfg.record_dir = NULL;
	srv->listen_fd = -1;
	/* watches go in before the first load, so that no change after it can be missed */
	if (cfg->watch)
		start_watching(srv);
	srv->state = state_create();
	if (cfg->seeded)
		rng_seed(&srv->rng, (uint64_t)cfg->seed);
	else
		rng_seed_random(&srv->rng);
	srv->journal = journal_create(cfg->journal_limit);
	srv->metrics = metrics_create();
	srv->timers = timers_create();
	srv->waits = waits_create(srv->journal, srv->timers);
	srv->slot = slot_create();
	reply_cache_init(&srv->replies, http_drop_built);
	struct catalog_config cc = {
		.dirs = srv->cfg.dirs,
		.ndirs = srv->cfg.ndirs,
		.slot = srv->slot,
		.ext = &srv->replies.ext,
		.files_read = files_read,
		.cls = srv,
		.timers = srv->timers,
	};
	rc = catalog_create(&cc, &srv->catalog, errors);
	if (rc == 0)
		rc = start_sources(srv, cfg, errors);
	if (rc == 0 && srv->nopenapi)
		track_all(srv);
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
	if (rc == 0)
		rc = start_proxy(srv, cfg, errors);
	if (rc < 0) {
		cannery_server_destroy(srv);
		return rc;
	}
	struct timespec started;
	clock_gettime(CLOCK_REALTIME, &started);
	int64_t now_ms = (int64_t)started.tv_sec * 1000 + started.tv_nsec / 1000000;
	srv->admin = (struct admin_ctx){
		.catalog = srv->catalog,
		.slot = srv->slot,
		.journal = srv->journal,
		.waits = srv->waits,
		.metrics = srv->metrics,
		.state = srv->state,
		.token = srv->admin_token,
		.conn_stats = conn_stats,
		.conn_cls = srv,
		.on_reset = reset_crud,
		.reset_cls = srv,
		.wiremock = srv->wm,
		.republish = republish,
		.republish_cls = srv,
		.started_ms = now_ms,
		.https = srv->tls != NULL,
		.log_fd = srv->cfg.log_fd,
		.quiet = srv->cfg.log == CANNERY_LOG_QUIET,
	};
	*out = srv;
	return 0;
}

const struct admin_ctx *server_admin(struct cannery_server *srv)
{
	return &srv->admin;
}

size_t cannery_server_stub_count(const struct cannery_server *srv)
{
	struct stub_set *set = slot_acquire(srv->slot);
	size_t n = set ? set->nlisted : 0;
	stub_set_unref(set);
	return n;
}

int cannery_server_reload(struct cannery_server *srv, char **errors)
{
	/* the parse runs beside the current set, so request threads never wait on it */
	int rc = catalog_reload(srv->catalog, errors);
	if (reload_sources(srv, errors) < 0)
		rc = -EINVAL;
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
	const char *scheme = srv->tls ? "https" : "http";
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		srv->port = ntohs(in6->sin6_port);
		snprintf(srv->url, sizeof(srv->url), "%s://[%s]:%u", scheme, ip, srv->port);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		srv->port = ntohs(in->sin_port);
		snprintf(srv->url, sizeof(srv->url), "%s://%s:%u", scheme, ip, srv->port);
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
	struct pipeline_config pc = {
		.slot = srv->slot,
		.admin = &srv->admin,
		.state = srv->state,
		.rng = &srv->rng,
		.journal = srv->journal,
		.metrics = srv->metrics,
		.timers = srv->timers,
		.proxy = srv->proxy,
		.stub_proxy = stub_proxy,
		.stub_proxy_cls = srv,
		.recorder = srv->recorder,
		.proxy_all = srv->cfg.proxy_all,
		.cors = srv->cfg.cors,
		.loopback = srv->loopback,
		.allow_hosts = srv->cfg.allow_hosts,
		.nallow_hosts = srv->cfg.nallow_hosts,
		.max_body = srv->cfg.max_body,
		.log_fd = srv->cfg.log_fd,
		.log = (int)srv->cfg.log,
		.log_color = srv->cfg.log_color,
	};
	srv->pipeline = pipeline_create(&pc);
	struct http_config hc = {
		.pipeline = srv->pipeline,
		.timers = srv->timers,
		.threads = srv->cfg.threads,
		.max_connections = srv->cfg.max_connections,
		.idle_timeout_s = srv->cfg.idle_timeout_s,
		.head_timeout_ms = srv->cfg.head_timeout_ms,
		.min_body_rate = srv->cfg.min_body_rate,
		.max_body = srv->cfg.max_body,
		.log_fd = srv->cfg.log_fd,
		.quiet = srv->cfg.log == CANNERY_LOG_QUIET,
		.tls_cert_pem = srv->tls ? tls_identity_cert_pem(srv->tls) : NULL,
		.tls_key_pem = srv->tls ? tls_identity_key_pem(srv->tls) : NULL,
	};
	srv->http = http_create(&hc);
	/* the HTTP adapter owns the socket from here on, whatever happens */
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

const char *cannery_server_tls_certificate(const struct cannery_server *srv)
{
	return srv->tls ? tls_identity_cert_pem(srv->tls) : NULL;
}

const char *cannery_server_tls_fingerprint(const struct cannery_server *srv)
{
	return srv->tls ? tls_identity_fingerprint(srv->tls) : NULL;
}

/*
 * The order matters: no reload starts once shutdown has begun; waiting calls are answered
 * and delays end first (MHD must not stop with a connection suspended); requests in flight
 * get 10 s to finish, then every exchange still with the upstream ends (503) and resumes
 * its connection; last, every recorded request is in the journal file.
 */
void cannery_server_stop(struct cannery_server *srv)
{
	if (!srv || srv->stopped)
		return;
	srv->stopped = true;
	watch_stop(srv->watch);
	waits_close(srv->waits);
	http_quiesce(srv->http);
	timers_close(srv->timers);
	http_drain(srv->http, 10000);
	pthread_mutex_lock(&srv->stub_proxy_lock);
	srv->stub_proxy_off = true;
	struct proxy *forwarding = srv->stub_proxy;
	pthread_mutex_unlock(&srv->stub_proxy_lock);
	if (srv->proxy || forwarding) {
		if (srv->proxy)
			proxy_stop(srv->proxy);
		if (forwarding)
			proxy_stop(forwarding);
		http_drain(srv->http, 2000);
	}
	http_stop(srv->http);
	journal_sync(srv->journal);
}

void cannery_server_destroy(struct cannery_server *srv)
{
	if (!srv)
		return;
	cannery_server_stop(srv);
	http_destroy(srv->http);
	pipeline_destroy(srv->pipeline);
	/* after the HTTP threads, which hand exchanges to them */
	proxy_destroy(srv->proxy);
	proxy_destroy(srv->stub_proxy);
	pthread_mutex_destroy(&srv->stub_proxy_lock);
	recorder_destroy(srv->recorder);
	/* after the HTTP threads, whose admin reloads may still tell it about files */
	watch_destroy(srv->watch);
	free(srv->watch_errors);
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	catalog_destroy(srv->catalog);
	slot_destroy(srv->slot);
	/* after the last set: the sources' stubs are in it */
	for (size_t i = 0; i < srv->ncrud; i++)
		crud_source_destroy(srv->crud[i]);
	free(srv->crud);
	for (size_t i = 0; i < srv->nopenapi; i++)
		openapi_source_destroy(srv->openapi[i]);
	free(srv->openapi);
	free_strv(srv->oa_files);
	wm_front_destroy(srv->wm);
	pthread_mutex_destroy(&srv->publish_lock);
	pthread_mutex_destroy(&srv->track_lock);
	for (size_t i = 0; i < srv->nstub_paths; i++)
		free(srv->stub_paths[i]);
	free(srv->stub_paths);
	for (size_t i = 0; i < srv->nwm_dirs; i++)
		free(srv->wm_dirs[i]);
	free(srv->wm_dirs);
	state_destroy(srv->state);
	waits_destroy(srv->waits);
	timers_destroy(srv->timers);
	journal_destroy(srv->journal);
	metrics_destroy(srv->metrics);
	free(srv->journal_file);
	free(srv->admin_token);
	free(srv->proxy_url);
	free(srv->record_dir);
	free_strv(srv->dirs);
	free_strv(srv->allow_hosts);
	free_strv(srv->crud_files);
	free(srv->host);
	/* after the HTTP adapter, which served them */
	tls_identity_destroy(srv->tls);
	free(srv);
}
