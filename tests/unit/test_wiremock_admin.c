/* SPDX-License-Identifier: MIT */
/* wiremock_admin: /__admin/ handled without sockets, on a server made from a WireMock
 * root: the routes and their statuses, the JSON shapes clients read, and what a change
 * does to the served set. The same API over HTTP is tests/integration/test_wiremock.c's. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "cannery/cannery.h"
#include "server.h"
#include "slot.h"
#include "state.h"
#include "stub_set.h"
#include "testutil.h"
#include "util/strbuf.h"
#include "wiremock_admin.h"

static struct cannery_server *srv;
static const struct admin_ctx *ax;
static struct strbuf out;
static const char *type;

static void setup(void)
{
	tmpdir_enter("wiremock_admin");
	put("root/mappings/a.json", "{\"id\": \"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa\", \"request\": {\"url\": \"/a\"},"
				    " \"response\": {\"body\": \"a\"}, \"scenarioName\": \"s\", \"newScenarioState\": \"two\"}");
	srv = server_new("root");
	ax = server_admin(srv);
	strbuf_init(&out);
}

static void teardown(void)
{
	strbuf_release(&out);
	cannery_server_destroy(srv);
	tmpdir_leave();
}

TestSuite(wiremock_admin, .init = setup, .fini = teardown);

/* One request; query: one "name=value" parameter, or NULL. */
static int call_q(const char *method, const char *path, const char *query, const char *body)
{
	strbuf_reset(&out);
	char name[32] = "";
	struct kv q = { name, NULL, 0 };
	if (query) {
		size_t n = strcspn(query, "=");
		snprintf(name, sizeof(name), "%.*s", (int)n, query);
		q.value = query + n + 1;
		q.len = strlen(q.value);
	}
	struct admin_request req = { .method = method, .path = path, .query = &q, .nquery = query ? 1 : 0,
				     .body = body, .body_len = body ? strlen(body) : 0 };
	return wm_admin_handle(ax, &req, &out, &type);
}

static int call(const char *method, const char *path, const char *body)
{
	return call_q(method, path, NULL, body);
}

static size_t served(void)
{
	struct stub_set *set = slot_acquire(ax->slot);
	size_t n = set->n;
	stub_set_unref(set);
	return n;
}

Test(wiremock_admin, paths)
{
	cr_expect(wm_admin_path("/__admin"));
	cr_expect(wm_admin_path("/__admin/mappings"));
	cr_expect_not(wm_admin_path("/__administrator"));
	cr_expect_not(wm_admin_path("/api/__admin"));
}

Test(wiremock_admin, mappings_listing_and_changes)
{
	cr_expect_eq(call("GET", "/__admin/mappings", NULL), 200);
	cr_expect_str_eq(type, "application/json");
	cr_expect(strstr(out.buf, "\"id\":\"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa\"") != NULL, "%s", out.buf);
	cr_expect(strstr(out.buf, "\"meta\":{\"total\":1}") != NULL, "%s", out.buf);
	cr_expect_eq(call("GET", "/__admin/", NULL), 200, "the admin root lists the mappings");
	cr_expect_eq(call("POST", "/__admin/mappings", "{\"priority\": 1, \"request\": {\"url\": \"/b\"}}"), 201);
	cr_expect_eq(served(), 2, "published");
	cr_expect_eq(call_q("GET", "/__admin/mappings", "limit=1", NULL), 200);
	cr_expect(strstr(out.buf, "\"url\":\"/b\"") != NULL && strstr(out.buf, "\"url\":\"/a\"") == NULL,
		  "priority first, one of them: %s", out.buf);
	cr_expect(strstr(out.buf, "\"total\":2") != NULL, "total counts all: %s", out.buf);
	cr_expect_eq(call("DELETE", "/__admin/mappings/aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", NULL), 200);
	cr_expect_eq(served(), 1);
	cr_expect_eq(call("GET", "/__admin/mappings/aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", NULL), 404);
	cr_expect_null(type);
	cr_expect_eq(call("POST", "/__admin/mappings/reset", NULL), 200);
	cr_expect_eq(served(), 1, "the file's mapping back, the API's gone");
	cr_expect_eq(call("PUT", "/__admin/mappings/bbbbbbbb-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "{}"), 404);
	cr_expect_eq(call("PATCH", "/__admin/mappings", NULL), 405);
}

Test(wiremock_admin, scenarios_requests_health)
{
	cr_expect_eq(call("GET", "/__admin/scenarios", NULL), 200);
	cr_expect(strstr(out.buf, "\"possibleStates\":[\"Started\",\"two\"]") != NULL, "%s", out.buf);
	cr_expect_eq(call("PUT", "/__admin/scenarios/s/state", "{\"state\": \"two\"}"), 200);
	char *now = state_scenario(ax->state, "s");
	cr_expect_str_eq(now, "two");
	free(now);
	cr_expect_eq(call("PUT", "/__admin/scenarios/s/state", NULL), 200, "an empty body: Started");
	now = state_scenario(ax->state, "s");
	cr_expect_str_eq(now, "start");
	free(now);
	cr_expect_eq(call("PUT", "/__admin/scenarios/s/state", "[1"), 422);
	cr_expect_eq(call("GET", "/__admin/requests", NULL), 200);
	cr_expect_str_eq(out.buf, "{\"requests\":[],\"meta\":{\"total\":0},\"requestJournalDisabled\":false}");
	cr_expect_eq(call("POST", "/__admin/requests/count", "{\"urll\": \"/x\"}"), 422);
	cr_expect(strstr(out.buf, "unknown key 'urll'") != NULL, "%s", out.buf);
	cr_expect_eq(call("GET", "/__admin/version", NULL), 200);
	cr_expect_str_eq(out.buf, "{\"version\":\"3.13.2\"}");
	cr_expect_eq(call("GET", "/__admin/health", NULL), 200);
	cr_expect_eq(call("GET", "/__admin/near-misses", NULL), 404);
}
