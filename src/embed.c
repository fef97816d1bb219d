/* SPDX-License-Identifier: MIT */
/* The embedding API's runtime stubs, journal and verification calls (include/cannery/cannery.h):
 * thin wrappers over runtime.c, journal.c, verify.c and wait.c for C programs and tests. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "diag.h"
#include "journal.h"
#include "catalog.h"
#include "server.h"
#include "stub_load.h"
#include "verify.h"
#include "wait.h"
#include "util/strbuf.h"

static int load_matcher(const char *text, struct stub **m, char **error)
{
	struct diag_list diags = DIAG_LIST_INIT;
	int rc = 0;
	if (stub_load_matcher(text, text ? strlen(text) : 0, "matcher", NULL, m, &diags) < 0) {
		if (error)
			*error = diag_list_format(&diags);
		rc = -EINVAL;
	}
	diag_list_release(&diags);
	return rc;
}

int cannery_server_add_stubs(struct cannery_server *srv, const char *text, char ***ids, char **errors)
{
	struct diag_list diags = DIAG_LIST_INIT;
	char **got = NULL;
	int rc = catalog_add(server_admin(srv)->catalog, text, text ? strlen(text) : 0, "text", &got, &diags);
	if (rc < 0) {
		if (errors)
			*errors = diag_list_format(&diags);
		rc = -EINVAL;
	} else if (ids) {
		*ids = got;
		got = NULL;
	}
	cannery_strv_free(got);
	diag_list_release(&diags);
	return rc;
}

int cannery_server_remove_stub(struct cannery_server *srv, const char *id)
{
	return catalog_remove(server_admin(srv)->catalog, id);
}

void cannery_server_reset(struct cannery_server *srv)
{
	admin_reset(server_admin(srv));
}

void cannery_server_clear_requests(struct cannery_server *srv)
{
	journal_clear(server_admin(srv)->journal);
}

char *cannery_server_requests_json(struct cannery_server *srv)
{
	struct strbuf sb = STRBUF_INIT;
	admin_requests_json(server_admin(srv), NULL, &sb);
	return strbuf_detach(&sb, NULL);
}

int cannery_server_count(struct cannery_server *srv, const char *matcher, size_t *count, char **error)
{
	struct stub *m = NULL;
	int rc = load_matcher(matcher, &m, error);
	if (rc < 0)
		return rc;
	struct verify_result vr;
	verify_journal(m, server_admin(srv)->journal, 0, SIZE_MAX, &vr);
	if (count)
		*count = vr.count;
	verify_result_release(&vr);
	stub_destroy(m);
	return 0;
}

/* "at least 1": returns the last number written, for the plural that follows it. */
static size_t expectation(struct strbuf *sb, size_t lo, size_t hi)
{
	if (lo == hi)
		strbuf_addf(sb, "exactly %zu", lo);
	else if (hi == SIZE_MAX)
		strbuf_addf(sb, "at least %zu", lo);
	else if (lo == 0)
		strbuf_addf(sb, "at most %zu", hi);
	else
		strbuf_addf(sb, "from %zu to %zu", lo, hi);
	return lo == hi || hi == SIZE_MAX ? lo : hi;
}

int cannery_server_verify(struct cannery_server *srv, const char *matcher, size_t at_least, size_t at_most,
			  size_t *count, char **report)
{
	struct stub *m = NULL;
	int rc = load_matcher(matcher, &m, report);
	if (rc < 0)
		return rc;
	struct verify_result vr;
	verify_journal(m, server_admin(srv)->journal, at_least, at_most, &vr);
	if (count)
		*count = vr.count;
	if (!vr.ok) {
		rc = -ERANGE;
		if (report) {
			struct strbuf sb = STRBUF_INIT;
			strbuf_adds(&sb, "expected ");
			size_t shown = expectation(&sb, at_least, at_most);
			strbuf_addf(&sb, " matching request%s, got %zu", shown == 1 ? "" : "s", vr.count);
			strbuf_adds(&sb, vr.nnear ? "; closest:\n" : "\n");
			for (size_t i = 0; i < vr.nnear; i++) {
				const struct journal_entry *e = vr.near[i].entry;
				strbuf_addf(&sb, "  #%llu %s %s: ", (unsigned long long)e->seq, e->method, e->path);
				for (size_t j = 0; j < vr.near[i].why.n; j++)
					strbuf_addf(&sb, "%s%s", j ? "; " : "", vr.near[i].why.items[j]);
				strbuf_addc(&sb, '\n');
			}
			*report = strbuf_detach(&sb, NULL);
		}
	}
	verify_result_release(&vr);
	stub_destroy(m);
	return rc;
}

/* A blocking wait: the answer comes from another thread through a condition variable. */
struct blocking {
	pthread_mutex_t lock;
	pthread_cond_t done_cond;
	bool done;
	int status;
	size_t count;
};

/* Runs on a request thread, the timer thread or the stopping thread. */
static void blocking_answer(void *arg, int status, size_t count)
{
	struct blocking *b = arg;
	pthread_mutex_lock(&b->lock);
	b->done = true;
	b->status = status;
	b->count = count;
	pthread_cond_signal(&b->done_cond);
	pthread_mutex_unlock(&b->lock);
}

int cannery_server_wait(struct cannery_server *srv, const char *matcher, size_t want, unsigned timeout_ms,
			size_t *count, char **error)
{
	struct stub *m = NULL;
	int rc = load_matcher(matcher, &m, error);
	if (rc < 0)
		return rc;
	struct blocking b = { .done = false };
	pthread_mutex_init(&b.lock, NULL);
	pthread_cond_init(&b.done_cond, NULL);
	struct wait_cb cb = { NULL, blocking_answer, &b };
	size_t n = 0;
	int status = waits_start(server_admin(srv)->waits, m, want, timeout_ms, &cb, &n);
	if (status == 0) {
		pthread_mutex_lock(&b.lock);
		while (!b.done)
			pthread_cond_wait(&b.done_cond, &b.lock);
		status = b.status;
		n = b.count;
		pthread_mutex_unlock(&b.lock);
	}
	pthread_cond_destroy(&b.done_cond);
	pthread_mutex_destroy(&b.lock);
	if (count)
		*count = n;
	return status == 200 ? 0 : status == 408 ? -ETIMEDOUT : -ECANCELED;
}

void cannery_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}
