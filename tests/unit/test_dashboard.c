/* SPDX-License-Identifier: MIT */
/* Unit tests for dashboard.c: which paths are the page's, the page and its headers in a
 * reply, the Origin check without the token, 405 for other methods, and the embedded
 * document itself (one inline script and style, the CSP that names their hashes). */
#include <criterion/criterion.h>
#include <string.h>

#include "admin.h"
#include "dashboard.h"
#include "reply.h"
#include "server.h"
#include "testutil.h"
#include "util/arena.h"

static struct cannery_server *srv;
static struct admin_ctx ax;
static struct arena arena;
static struct reply r;

static void setup(void)
{
	srv = server_new(NULL);
	ax = *server_admin(srv);
	ax.token = "s3cret";
	arena_init(&arena);
	memset(&r, 0, sizeof(r));
}

static void teardown(void)
{
	reply_release(&r);
	arena_release(&arena);
	cannery_server_destroy(srv);
}

TestSuite(dashboard, .init = setup, .fini = teardown);

static void serve(const char *method, const char *origin)
{
	struct admin_request req = { .method = method, .path = "/__cannery/ui", .origin = origin };
	dashboard_serve(&ax, &req, &r, &arena);
}

Test(dashboard, paths)
{
	cr_expect(dashboard_path("/__cannery/ui"));
	cr_expect(dashboard_path("/__cannery/ui/"));
	cr_expect(!dashboard_path("/__cannery/ui/app.js"));
	cr_expect(!dashboard_path("/__cannery/uix"));
	cr_expect(!dashboard_path("/ui"));
}

Test(dashboard, the_page_without_the_token)
{
	serve("GET", NULL);
	cr_assert_eq(r.status, 200);
	cr_expect_str_eq(r.content_type, "text/html; charset=utf-8");
	cr_expect_eq(r.body_len, dashboard_html_len);
	expect_header_values(&r, "Content-Security-Policy", dashboard_csp, "X-Content-Type-Options", "nosniff",
			     "X-Frame-Options", "DENY", "Access-Control-Allow-Origin", NULL, NULL);
}

Test(dashboard, a_foreign_origin_is_refused)
{
	serve("GET", "https://evil.example");
	cr_expect_eq(r.status, 403);
	cr_expect(strstr(r.body, "may not use the admin API"), "%.*s", (int)r.body_len, r.body);
}

Test(dashboard, only_get_and_head)
{
	serve("HEAD", "http://localhost:3000");
	cr_expect_eq(r.status, 200);
	reply_release(&r);
	memset(&r, 0, sizeof(r));
	serve("DELETE", NULL);
	cr_expect_eq(r.status, 405);
	expect_header_values(&r, "Allow", "GET, HEAD", NULL);
}

Test(dashboard, the_embedded_document)
{
	const char *html = (const char *)dashboard_html;
	cr_assert_gt(dashboard_html_len, 1000);
	cr_expect(strncmp(html, "<!DOCTYPE html>", 15) == 0);
	cr_expect(!memchr(html, '\0', dashboard_html_len));
	cr_expect(strstr(dashboard_csp, "default-src 'none'; script-src 'sha256-"), "%s", dashboard_csp);
	cr_expect(!strstr(dashboard_csp, "unsafe"), "%s", dashboard_csp);
}
