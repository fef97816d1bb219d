/* SPDX-License-Identifier: MIT */
/* Forwarding with libcurl: exchanges queue to one proxy thread per server, which drives
 * them all through one curl multi handle (curl_multi_poll, woken by curl_multi_wakeup) and
 * reports each completion through its callback. No HTTP thread waits on an upstream. */
#include "proxy.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "util/xalloc.h"

struct proxy_exchange {
	struct proxy *p;
	char *upstream;             /* where it goes: the proxy's, or its own (without a trailing slash) */
	char *method;
	char *url;
	char *body;
	size_t body_len;
	bool has_body;
	struct header *in;          /* request headers as received */
	size_t nin;

	CURL *easy;
	struct curl_slist *slist;
	char errbuf[CURL_ERROR_SIZE];
	bool too_large;
	struct proxy_result res;
	proxy_done_fn *done;
	void *arg;
	struct proxy_exchange *prev, *next;   /* in pending or active; under p->lock for pending */
};

struct proxy {
	char *upstream;             /* without a trailing slash */
	long timeout_ms;
	size_t max_response;
	CURLM *multi;
	pthread_t thread;
	bool started;
	bool joined;

	pthread_mutex_t lock;       /* guards pending and stopping */
	struct proxy_exchange *pending_head, *pending_tail;
	bool stopping;

	struct proxy_exchange *active;   /* in the multi handle; the proxy thread's alone */
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fputs("cannery: cannot initialise libcurl\n", stderr);
		abort();
	}
}

void proxy_global_init(void)
{
	pthread_once(&global_once, global_init);
}

/* ---- headers ---- */

static bool token_in_list(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; p && *p;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		const char *start = p;
		while (*p && *p != ',')
			p++;
		const char *end = p;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if ((size_t)(end - start) == n && n && strncasecmp(start, name, n) == 0)
			return true;
	}
	return false;
}

bool proxy_hop_by_hop(const char *name, const char *connection)
{
	static const char *const hop[] = {
		"connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade",
	};
	for (size_t i = 0; i < sizeof(hop) / sizeof(*hop); i++)
		if (strcasecmp(name, hop[i]) == 0)
			return true;
	if (strncasecmp(name, "proxy-", 6) == 0)
		return true;
	return token_in_list(connection, name);
}

static const char *find_header(const struct header *h, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(h[i].name, name) == 0)
			return h[i].value;
	return NULL;
}

/* Every Connection header's value, joined: a header may be named in any of them. */
static char *connection_tokens(const struct header *h, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (strcasecmp(h[i].name, "connection") == 0) {
			strbuf_adds(&sb, h[i].value);
			strbuf_addc(&sb, ',');
		}
	}
	return strbuf_detach(&sb, NULL);
}

static void push_header(struct header **v, size_t *n, const char *name, size_t nlen, const char *value, size_t vlen)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[*n].name = xstrndup(name, nlen);
	(*v)[*n].value = xstrndup(value, vlen);
	(*n)++;
}

static void free_headers(struct header *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
}

/* Request headers for curl: the client's, minus what must not travel, plus blanks that
 * keep curl from adding headers the client did not send. */
static struct curl_slist *request_headers(const struct proxy_exchange *ex)
{
	static const char *const dropped[] = { "host", "content-length", "expect", "accept-encoding" };
	char *conn = connection_tokens(ex->in, ex->nin);
	struct curl_slist *sl = NULL;
	struct strbuf line = STRBUF_INIT;
	for (size_t i = 0; i < ex->nin; i++) {
		const struct header *h = &ex->in[i];
		bool drop = proxy_hop_by_hop(h->name, conn);
		for (size_t j = 0; j < sizeof(dropped) / sizeof(*dropped) && !drop; j++)
			drop = strcasecmp(h->name, dropped[j]) == 0;
		if (drop)
			continue;
		strbuf_reset(&line);
		/* "Name;" is curl's way to send a header with an empty value */
		if (h->value[0])
			strbuf_addf(&line, "%s: %s", h->name, h->value);
		else
			strbuf_addf(&line, "%s;", h->name);
		sl = curl_slist_append(sl, line.buf);
	}
	if (!find_header(ex->in, ex->nin, "accept"))
		sl = curl_slist_append(sl, "Accept:");
	if (ex->has_body && !find_header(ex->in, ex->nin, "content-type"))
		sl = curl_slist_append(sl, "Content-Type:");
	sl = curl_slist_append(sl, "Expect:");
	strbuf_release(&line);
	free(conn);
	if (!sl) {
		fputs("cannery: out of memory\n", stderr);
		abort();
	}
	return sl;
}

/* ---- curl callbacks (proxy thread) ---- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct proxy_exchange *ex = arg;
	size_t n = size * nmemb;
	if (ex->res.body.len + n > ex->p->max_response) {
		ex->too_large = true;
		return 0;
	}
	strbuf_add(&ex->res.body, data, n);
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct proxy_exchange *ex = arg;
	size_t n = size * nmemb, len = n;
	while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* a new response (after a 1xx): only the final one's headers count */
		free_headers(ex->res.headers, ex->res.nheaders);
		ex->res.headers = NULL;
		ex->res.nheaders = 0;
		return n;
	}
	if (len == 0 || data[0] == ' ' || data[0] == '\t')
		return n;
	const char *colon = memchr(data, ':', len);
	if (!colon || colon == data)
		return n;
	const char *v = colon + 1, *end = data + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	push_header(&ex->res.headers, &ex->res.nheaders, data, (size_t)(colon - data), v, (size_t)(end - v));
	return n;
}

/* ---- exchanges ---- */

struct proxy_exchange *proxy_exchange_create(struct proxy *p, const char *method, const char *target,
					     const char *body, size_t body_len, bool has_body)
{
	return proxy_exchange_create_to(p, NULL, method, target, body, body_len, has_body);
}

struct proxy_exchange *proxy_exchange_create_to(struct proxy *p, const char *upstream, const char *method,
						const char *target, const char *body, size_t body_len, bool has_body)
{
	struct proxy_exchange *ex = xcalloc(1, sizeof(*ex));
	struct strbuf url = STRBUF_INIT;
	ex->p = p;
	if (!upstream)
		upstream = p->upstream ? p->upstream : "";
	size_t n = strlen(upstream);
	while (n && upstream[n - 1] == '/')
		n--;
	ex->upstream = xstrndup(upstream, n);
	ex->method = xstrdup(method);
	strbuf_adds(&url, ex->upstream);
	strbuf_adds(&url, target);
	ex->url = strbuf_detach(&url, NULL);
	ex->body = xmemdup0(body ? body : "", body ? body_len : 0);
	ex->body_len = body ? body_len : 0;
	ex->has_body = has_body || ex->body_len;
	return ex;
}

void proxy_exchange_add_header(struct proxy_exchange *ex, const char *name, const char *value)
{
	push_header(&ex->in, &ex->nin, name, strlen(name), value ? value : "", value ? strlen(value) : 0);
}

const char *proxy_exchange_upstream(const struct proxy_exchange *ex)
{
	return ex->upstream;
}

struct proxy_result *proxy_exchange_result(struct proxy_exchange *ex)
{
	return &ex->res;
}

void proxy_exchange_destroy(struct proxy_exchange *ex)
{
	if (!ex)
		return;
	if (ex->easy)
		curl_easy_cleanup(ex->easy);
	curl_slist_free_all(ex->slist);
	free(ex->upstream);
	free(ex->method);
	free(ex->url);
	free(ex->body);
	free_headers(ex->in, ex->nin);
	free(ex->res.error);
	free_headers(ex->res.headers, ex->res.nheaders);
	strbuf_release(&ex->res.body);
	free(ex);
}

#define SETOPT(ex, opt, val)                                            \
	do {                                                            \
		if (curl_easy_setopt((ex)->easy, (opt), (val)) != CURLE_OK) \
			goto fail;                                      \
	} while (0)

/* Builds the easy handle. Runs on the submitting thread; the handle is the proxy
 * thread's from the moment it is queued. */
static int prepare(struct proxy_exchange *ex)
{
	struct proxy *p = ex->p;
	ex->easy = curl_easy_init();
	if (!ex->easy)
		return -ENOMEM;
	ex->slist = request_headers(ex);
	SETOPT(ex, CURLOPT_URL, ex->url);
	SETOPT(ex, CURLOPT_PRIVATE, ex);
	SETOPT(ex, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	SETOPT(ex, CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(ex, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	SETOPT(ex, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	SETOPT(ex, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SETOPT(ex, CURLOPT_FOLLOWLOCATION, 0L);
	/* "" asks for every encoding this libcurl can undo, and undoes it */
	SETOPT(ex, CURLOPT_ACCEPT_ENCODING, "");
	SETOPT(ex, CURLOPT_PATH_AS_IS, 1L);
	SETOPT(ex, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
	SETOPT(ex, CURLOPT_TIMEOUT_MS, p->timeout_ms);
	SETOPT(ex, CURLOPT_CONNECTTIMEOUT_MS, p->timeout_ms < 10000 ? p->timeout_ms : 10000L);
	SETOPT(ex, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)p->max_response);
	SETOPT(ex, CURLOPT_ERRORBUFFER, ex->errbuf);
	SETOPT(ex, CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(ex, CURLOPT_WRITEDATA, ex);
	SETOPT(ex, CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(ex, CURLOPT_HEADERDATA, ex);
	SETOPT(ex, CURLOPT_HTTPHEADER, ex->slist);
	if (strcmp(ex->method, "HEAD") == 0) {
		SETOPT(ex, CURLOPT_NOBODY, 1L);
	} else if (strcmp(ex->method, "GET") == 0 && !ex->has_body) {
		SETOPT(ex, CURLOPT_HTTPGET, 1L);
	} else {
		if (ex->has_body) {
			SETOPT(ex, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)ex->body_len);
			SETOPT(ex, CURLOPT_POSTFIELDS, ex->body);
		}
		SETOPT(ex, CURLOPT_CUSTOMREQUEST, ex->method);
	}
	return 0;
fail:
	return -EINVAL;
}

static void fail_with(struct proxy_exchange *ex, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fail_with(struct proxy_exchange *ex, int status, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	free(ex->res.error);
	ex->res.error = strbuf_detach(&sb, NULL);
	ex->res.failed = true;
	ex->res.status = status;
	free_headers(ex->res.headers, ex->res.nheaders);
	ex->res.headers = NULL;
	ex->res.nheaders = 0;
	strbuf_release(&ex->res.body);
}

/* Drops hop-by-hop and framing headers from what goes back: the HTTP layer frames the
 * decoded body itself. */
static void filter_response_headers(struct proxy_result *res)
{
	static const char *const framing[] = { "content-length", "content-encoding", "transfer-encoding" };
	char *conn = connection_tokens(res->headers, res->nheaders);
	size_t k = 0;
	for (size_t i = 0; i < res->nheaders; i++) {
		struct header *h = &res->headers[i];
		bool drop = proxy_hop_by_hop(h->name, conn);
		for (size_t j = 0; j < sizeof(framing) / sizeof(*framing) && !drop; j++)
			drop = strcasecmp(h->name, framing[j]) == 0;
		if (drop) {
			free(h->name);
			free(h->value);
		} else {
			res->headers[k++] = *h;
		}
	}
	res->nheaders = k;
	free(conn);
}

static const char *curl_message(const struct proxy_exchange *ex, CURLcode rc)
{
	return ex->errbuf[0] ? ex->errbuf : curl_easy_strerror(rc);
}

/* Turns curl's verdict into the result, then reports it. Proxy thread (or the submitting
 * thread when stopping). */
static void finish(struct proxy_exchange *ex, CURLcode rc, bool cancelled)
{
	struct proxy *p = ex->p;
	if (cancelled) {
		fail_with(ex, 503, "upstream %s: cannery is shutting down", ex->upstream);
	} else if (rc == CURLE_OK) {
		long status = 0;
		curl_easy_getinfo(ex->easy, CURLINFO_RESPONSE_CODE, &status);
		ex->res.status = (int)status;
		filter_response_headers(&ex->res);
		if (status < 100 || status > 599)
			fail_with(ex, 502, "upstream %s answered with an invalid status %ld", ex->upstream, status);
	} else if (rc == CURLE_OPERATION_TIMEDOUT) {
		fail_with(ex, 504, "upstream %s timed out after %ld ms: %s", ex->upstream, p->timeout_ms,
			  curl_message(ex, rc));
	} else if (ex->too_large || rc == CURLE_FILESIZE_EXCEEDED) {
		fail_with(ex, 502, "upstream %s response is larger than %zu bytes", ex->upstream, p->max_response);
	} else if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
		   rc == CURLE_COULDNT_RESOLVE_PROXY || rc == CURLE_SSL_CONNECT_ERROR ||
		   rc == CURLE_PEER_FAILED_VERIFICATION) {
		fail_with(ex, 502, "upstream %s unreachable: %s", ex->upstream, curl_message(ex, rc));
	} else {
		fail_with(ex, 502, "upstream %s failed: %s", ex->upstream, curl_message(ex, rc));
	}
	if (ex->easy) {
		curl_easy_cleanup(ex->easy);
		ex->easy = NULL;
	}
	curl_slist_free_all(ex->slist);
	ex->slist = NULL;
	ex->done(ex, ex->arg);
}

/* ---- the proxy thread ---- */

static void unlink_active(struct proxy *p, struct proxy_exchange *ex)
{
	if (ex->prev)
		ex->prev->next = ex->next;
	else
		p->active = ex->next;
	if (ex->next)
		ex->next->prev = ex->prev;
	ex->prev = ex->next = NULL;
}

static void *run(void *arg)
{
	struct proxy *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		struct proxy_exchange *list = p->pending_head;
		p->pending_head = p->pending_tail = NULL;
		bool stop = p->stopping;
		pthread_mutex_unlock(&p->lock);
		while (list) {
			struct proxy_exchange *ex = list;
			list = ex->next;
			ex->prev = NULL;
			ex->next = p->active;
			if (p->active)
				p->active->prev = ex;
			p->active = ex;
			if (curl_multi_add_handle(p->multi, ex->easy) != CURLM_OK) {
				unlink_active(p, ex);
				finish(ex, CURLE_OUT_OF_MEMORY, false);
			}
		}
		if (stop)
			break;
		int running = 0;
		curl_multi_perform(p->multi, &running);
		CURLMsg *m;
		int left;
		while ((m = curl_multi_info_read(p->multi, &left))) {
			if (m->msg != CURLMSG_DONE)
				continue;
			char *priv = NULL;
			CURL *easy = m->easy_handle;
			CURLcode rc = m->data.result;
			curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
			struct proxy_exchange *ex = (struct proxy_exchange *)priv;
			curl_multi_remove_handle(p->multi, easy);
			unlink_active(p, ex);
			finish(ex, rc, false);
		}
		curl_multi_poll(p->multi, NULL, 0, 1000, NULL);
	}
	while (p->active) {
		struct proxy_exchange *ex = p->active;
		curl_multi_remove_handle(p->multi, ex->easy);
		unlink_active(p, ex);
		finish(ex, CURLE_OK, true);
	}
	return NULL;
}

void proxy_submit(struct proxy *p, struct proxy_exchange *ex, proxy_done_fn *done, void *arg)
{
	ex->done = done;
	ex->arg = arg;
	if (prepare(ex) < 0) {
		fail_with(ex, 502, "upstream %s: cannot forward this request", ex->upstream);
		done(ex, arg);
		return;
	}
	pthread_mutex_lock(&p->lock);
	bool stopping = p->stopping;
	if (!stopping) {
		ex->next = NULL;
		ex->prev = p->pending_tail;
		if (p->pending_tail)
			p->pending_tail->next = ex;
		else
			p->pending_head = ex;
		p->pending_tail = ex;
	}
	pthread_mutex_unlock(&p->lock);
	if (stopping)
		finish(ex, CURLE_OK, true);
	else
		curl_multi_wakeup(p->multi);
}

/* ---- lifecycle ---- */

int proxy_check_url(const char *url, char **error)
{
	struct strbuf sb = STRBUF_INIT;
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *query = NULL, *fragment = NULL;
	if (!u) {
		fputs("cannery: out of memory\n", stderr);
		abort();
	}
	CURLUcode rc = curl_url_set(u, CURLUPART_URL, url, 0);
	if (rc != CURLUE_OK) {
		strbuf_addf(&sb, "invalid upstream URL '%s': %s", url, curl_url_strerror(rc));
		goto fail;
	}
	curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	curl_url_get(u, CURLUPART_HOST, &host, 0);
	curl_url_get(u, CURLUPART_QUERY, &query, 0);
	curl_url_get(u, CURLUPART_FRAGMENT, &fragment, 0);
	if (!scheme || (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
		strbuf_addf(&sb, "invalid upstream URL '%s': only http and https are supported", url);
	else if (!host || !*host)
		strbuf_addf(&sb, "invalid upstream URL '%s': no host", url);
	else if (query || fragment)
		strbuf_addf(&sb, "invalid upstream URL '%s': it must not have a query or fragment", url);
	if (sb.len)
		goto fail;
	curl_free(scheme);
	curl_free(host);
	curl_free(query);
	curl_free(fragment);
	curl_url_cleanup(u);
	return 0;
fail:
	curl_free(scheme);
	curl_free(host);
	curl_free(query);
	curl_free(fragment);
	curl_url_cleanup(u);
	*error = strbuf_detach(&sb, NULL);
	return -EINVAL;
}

int proxy_create(const char *upstream, long timeout_ms, size_t max_response, struct proxy **out, char **error)
{
	proxy_global_init();
	int rc = upstream ? proxy_check_url(upstream, error) : 0;
	if (rc < 0)
		return rc;
	struct proxy *p = xcalloc(1, sizeof(*p));
	size_t n = upstream ? strlen(upstream) : 0;
	while (n && upstream[n - 1] == '/')
		n--;
	p->upstream = upstream ? xstrndup(upstream, n) : NULL;
	p->timeout_ms = timeout_ms > 0 ? timeout_ms : PROXY_DEFAULT_TIMEOUT_MS;
	p->max_response = max_response ? max_response : PROXY_MAX_RESPONSE;
	pthread_mutex_init(&p->lock, NULL);
	p->multi = curl_multi_init();
	if (!p->multi) {
		*error = xstrdup("cannot start the proxy: libcurl refused a multi handle");
		rc = -ENOMEM;
		goto fail;
	}
	rc = pthread_create(&p->thread, NULL, run, p);
	if (rc != 0) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_addf(&sb, "cannot start the proxy thread: %s", strerror(rc));
		*error = strbuf_detach(&sb, NULL);
		rc = -rc;
		goto fail;
	}
	p->started = true;
	*out = p;
	return 0;
fail:
	proxy_destroy(p);
	return rc;
}

void proxy_stop(struct proxy *p)
{
	if (!p || !p->started || p->joined)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_mutex_unlock(&p->lock);
	curl_multi_wakeup(p->multi);
	pthread_join(p->thread, NULL);
	p->joined = true;
}

void proxy_destroy(struct proxy *p)
{
	if (!p)
		return;
	proxy_stop(p);
	if (p->multi)
		curl_multi_cleanup(p->multi);
	pthread_mutex_destroy(&p->lock);
	free(p->upstream);
	free(p);
}

const char *proxy_upstream(const struct proxy *p)
{
	return p->upstream ? p->upstream : "";
}
