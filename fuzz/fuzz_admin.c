/* SPDX-License-Identifier: MIT */
/* Fuzz target: arbitrary bytes into the admin API, driven through admin_handle directly.
 *
 * The first byte picks the endpoint: POST /__cannery/stubs, /requests/count, /verify,
 * /requests/wait (its timeout_ms forced down to a few ms when the body is a JSON object
 * with a numeric one) or GET /__cannery/requests with the rest as the query string
 * (split on '&' and '='). Whatever is answered must be a valid status, and a JSON answer
 * must parse; a deferred wait must be answered. Stubs an input adds are removed again
 * (by the ids answered), and every 64 inputs the journal is reset and filled again. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"

#include "admin.h"
#include "cannery/cannery.h"
#include "common.h"
#include "journal.h"
#include "server.h"
#include "util/strbuf.h"

#define MAX_QUERY 32
#define WAIT_ANSWER_MS 20000

static struct cannery_server *srv;
static size_t ninputs;

static void fill_journal(void)
{
	static const struct kv q[] = { { "id", "42", 2 }, { "tag", "a b", 3 } };
	static const struct kv h[] = { { "Content-Type", "application/json", 16 }, { "Authorization", "Bearer x", 8 } };
	static const char *const methods[] = { "GET", "POST", "DELETE", "PUT" };
	static const char *const paths[] = { "/api/users", "/api/users/42", "/exact", "/__cannery/health" };
	for (int i = 0; i < 12; i++) {
		struct journal_draft d = { 0 };
		clock_gettime(CLOCK_REALTIME, &d.time);
		d.status = i % 3 ? 200 : 404;
		d.method = methods[i % 4];
		d.path = paths[(i / 2) % 4];
		d.stub = i % 3 ? "users" : NULL;
		d.query = q;
		d.nquery = (size_t)(i % 3);
		d.headers = h;
		d.nheaders = (size_t)(i % 3);
		d.body = i % 2 ? "{\"name\":\"Ada\",\"n\":1}" : "";
		d.body_len = strlen(d.body);
		journal_append(server_admin(srv)->journal, journal_entry_create(&d));
	}
}

/* Runs at exit on the main thread. */
static void stop_server(void)
{
	if (srv)
		cannery_server_destroy(srv);
	srv = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	struct cannery_config cfg;
	cannery_config_init(&cfg);
	cfg.threads = 1;
	srv = fuzz_start_rich_server(&cfg, "fuzz_admin");
	fill_journal();
	atexit(stop_server);
	return 0;
}

/* A deferred answer, handed over from whichever thread ends the wait. */
struct deferred {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool suspended, answered;
	int status;
	char *json;
};

static void on_suspend(void *arg)
{
	struct deferred *d = arg;
	pthread_mutex_lock(&d->lock);
	d->suspended = true;
	pthread_mutex_unlock(&d->lock);
}

static void on_answer(void *arg, int status, char *json)
{
	struct deferred *d = arg;
	pthread_mutex_lock(&d->lock);
	if (d->answered) {
		fprintf(stderr, "fuzz_admin: a wait was answered twice\n");
		abort();
	}
	d->answered = true;
	d->status = status;
	d->json = json;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

/* Removes the runtime stubs a successful POST /__cannery/stubs added: {"ids":[..]}. */
static void remove_added(const char *json)
{
	cJSON *o = cJSON_Parse(json);
	const cJSON *id;
	cJSON_ArrayForEach(id, cJSON_GetObjectItemCaseSensitive(o, "ids"))
		if (cJSON_IsString(id) && cannery_server_remove_stub(srv, id->valuestring) != 0) {
			fprintf(stderr, "fuzz_admin: added stub '%s' cannot be removed\n", id->valuestring);
			abort();
		}
	cJSON_Delete(o);
}

static void check_json(const char *what, int status, const char *s, size_t len)
{
	if (status < 200 || status > 599) {
		fprintf(stderr, "fuzz_admin: %s: status %d\n", what, status);
		abort();
	}
	if (!len)
		return;
	cJSON *j = cJSON_ParseWithLength(s, len);
	if (!j) {
		fprintf(stderr, "fuzz_admin: %s: answer %d is not JSON: '%.*s'\n", what, status, (int)len, s);
		abort();
	}
	cJSON_Delete(j);
}

/* The wait body with a numeric timeout_ms forced down to 0..15 ms; anything else as is. */
static char *tame_wait(const char *body, size_t len, unsigned pick, size_t *out_len)
{
	cJSON *o = cJSON_ParseWithLength(body, len);
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return NULL;
	}
	cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "timeout_ms");
	if (!t || cJSON_IsNumber(t)) {
		cJSON_DeleteItemFromObjectCaseSensitive(o, "timeout_ms");
		cJSON_AddNumberToObject(o, "timeout_ms", (double)(pick % 16));
	}
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!s)
		return NULL;
	*out_len = strlen(s);
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = { "/__cannery/stubs", "/__cannery/requests/count", "/__cannery/verify",
					     "/__cannery/requests/wait", "/__cannery/requests" };
	if (!srv)
		LLVMFuzzerInitialize(NULL, NULL);
	if (size < 1)
		return 0;
	unsigned pick = data[0];
	unsigned op = pick % 5;
	/* a NUL-terminated copy: the query is split in place */
	char *body = malloc(size);
	memcpy(body, data + 1, size - 1);
	body[size - 1] = '\0';
	size_t body_len = size - 1;
	char *tamed = NULL;
	struct kv query[MAX_QUERY];
	struct deferred d = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false, 0, NULL };
	struct admin_request req = {
		.method = op == 4 ? "GET" : "POST",
		.path = paths[op],
		.body = body,
		.body_len = body_len,
		.suspend = on_suspend,
		.answer = on_answer,
		.arg = &d,
	};
	if (op == 3) {
		size_t n = 0;
		tamed = tame_wait(body, body_len, pick >> 3, &n);
		if (tamed) {
			req.body = tamed;
			req.body_len = n;
		}
	}
	if (op == 4) {
		req.nquery = fuzz_split_query(body, body_len, query, MAX_QUERY);
		req.query = query;
		req.body = NULL;
		req.body_len = 0;
	}

	struct strbuf out = STRBUF_INIT;
	const char *type = NULL;
	int status = admin_handle(server_admin(srv), &req, &out, &type);
	if (status == ADMIN_DEFERRED) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += WAIT_ANSWER_MS / 1000;
		pthread_mutex_lock(&d.lock);
		while (!d.answered)
			if (pthread_cond_timedwait(&d.cond, &d.lock, &until) != 0 && !d.answered) {
				fprintf(stderr, "fuzz_admin: a %s wait was never answered\n", req.body);
				abort();
			}
		pthread_mutex_unlock(&d.lock);
		check_json(paths[op], d.status, d.json, strlen(d.json));
		free(d.json);
	} else {
		check_json(paths[op], status, strbuf_str(&out), type ? out.len : 0);
		if (op == 0 && status >= 200 && status < 300)
			remove_added(strbuf_str(&out));
	}
	strbuf_release(&out);
	free(tamed);
	free(body);
	if (++ninputs % 64 == 0) {
		cannery_server_reset(srv);
		fill_journal();
	}
	return 0;
}
