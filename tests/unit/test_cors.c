/* SPDX-License-Identifier: MIT */
/* CORS over a hand-built request: the Origin when CORS is on, what a preflight is, the
 * headers of every answer and of the built-in preflight, and the expose list a stub's
 * own headers make. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "cors.h"
#include "reply.h"
#include "stub_set.h"
#include "testutil.h"

static struct req q;
static struct reply r;

static void setup(void)
{
	req_init(&q, "GET", "/api");
	memset(&r, 0, sizeof(r));
}

static void teardown(void)
{
	reply_release(&r);
	req_fini(&q);
}

TestSuite(cors, .init = setup, .fini = teardown);

/* ---- which requests ---- */

Test(cors, origin_only_when_enabled)
{
	cr_expect_null(cors_origin(&q.v, true), "no Origin header");
	req_header(&q, "origin", "http://localhost:5173");
	cr_expect_str_eq(cors_origin(&q.v, true), "http://localhost:5173", "found in any case");
	cr_expect_null(cors_origin(&q.v, false), "--no-cors");
}

Test(cors, origin_is_taken_as_sent)
{
	req_header(&q, "Origin", "null");
	cr_expect_str_eq(cors_origin(&q.v, true), "null", "an opaque origin is still an origin");
}

Test(cors, a_preflight_is_options_with_origin_and_request_method)
{
	req_fini(&q);
	req_init(&q, "OPTIONS", "/api");
	req_header(&q, "Origin", "http://a.test");
	cr_expect(!cors_is_preflight(&q.v, cors_origin(&q.v, true)), "no Access-Control-Request-Method");
	req_header(&q, "access-control-request-method", "PUT");
	cr_expect(cors_is_preflight(&q.v, cors_origin(&q.v, true)));
	cr_expect(!cors_is_preflight(&q.v, NULL), "without an origin (or CORS off)");
	cr_expect(!cors_is_preflight(&q.v, cors_origin(&q.v, false)));
}

Test(cors, other_methods_are_no_preflight)
{
	req_header(&q, "Origin", "http://a.test");
	req_header(&q, "Access-Control-Request-Method", "PUT");
	cr_expect(!cors_is_preflight(&q.v, "http://a.test"), "GET");
	q.v.method = "options";
	cr_expect(!cors_is_preflight(&q.v, "http://a.test"), "methods are case-sensitive");
}

/* ---- every answer ---- */

Test(cors, add_echoes_the_origin_with_credentials)
{
	cors_add(&r, &q.arena, "http://a.test", NULL);
	expect_header_values(&r, "Access-Control-Allow-Origin", "http://a.test",
			     "Access-Control-Allow-Credentials", "true",
			     "Vary", "Origin",
			     "Access-Control-Expose-Headers", NULL,
			     NULL);
	cr_expect_eq(r.nheaders, 3);
}

Test(cors, add_without_origin_is_star_without_credentials)
{
	cors_add(&r, &q.arena, NULL, "X-Total-Count");
	/* no credentials: browsers refuse them with '*' */
	expect_header_values(&r, "Access-Control-Allow-Origin", "*",
			     "Access-Control-Allow-Credentials", NULL,
			     "Vary", "Origin",
			     "Access-Control-Expose-Headers", "X-Total-Count",
			     NULL);
}

Test(cors, add_appends_after_the_stub_headers)
{
	reply_add_header(&r, &q.arena, "X-Own", "1");
	cors_add(&r, &q.arena, "http://a.test", "X-Own");
	cr_assert_eq(r.nheaders, 5);
	cr_expect_str_eq(r.headers[0].name, "X-Own");
	cr_expect_eq(count_headers(&r, "Access-Control-Allow-Origin"), 1);
}

/* ---- the built-in preflight ---- */

static void preflight_request(void)
{
	req_fini(&q);
	req_init(&q, "OPTIONS", "/api/users/1");
	req_header(&q, "Origin", "http://localhost:5173");
	req_header(&q, "Access-Control-Request-Method", "DELETE");
}

Test(cors, preflight_allows_the_asked_method_and_headers)
{
	preflight_request();
	req_header(&q, "Access-Control-Request-Headers", "authorization, x-trace");
	cors_preflight(&r, &q.arena, &q.v, "http://localhost:5173");
	cr_expect_eq(r.status, 204);
	cr_expect_null(r.body, "a preflight answer has no body");
	expect_header_values(&r, "Access-Control-Allow-Origin", "http://localhost:5173",
			     "Access-Control-Allow-Credentials", "true",
			     "Access-Control-Allow-Methods", "DELETE",
			     "Access-Control-Allow-Headers", "authorization, x-trace",
			     "Vary", "Origin",
			     "Access-Control-Allow-Private-Network", NULL,
			     NULL);
	cr_expect_eq(r.nheaders, 5);
}

Test(cors, preflight_without_or_with_empty_request_headers)
{
	preflight_request();
	cors_preflight(&r, &q.arena, &q.v, "http://localhost:5173");
	cr_expect_null(got_header(&r, "Access-Control-Allow-Headers"), "none asked");
	reply_release(&r);
	req_header(&q, "Access-Control-Request-Headers", "");
	cors_preflight(&r, &q.arena, &q.v, "http://localhost:5173");
	cr_expect_null(got_header(&r, "Access-Control-Allow-Headers"), "an empty list allows nothing extra");
}

Test(cors, preflight_answers_chromes_private_network_question)
{
	preflight_request();
	req_header(&q, "Access-Control-Request-Private-Network", "TRUE");
	cors_preflight(&r, &q.arena, &q.v, "https://public.example");
	cr_expect_str_eq(got_header(&r, "Access-Control-Allow-Private-Network"), "true");
	reply_release(&r);
	preflight_request();
	req_header(&q, "Access-Control-Request-Private-Network", "false");
	cors_preflight(&r, &q.arena, &q.v, "https://public.example");
	cr_expect_null(got_header(&r, "Access-Control-Allow-Private-Network"), "only when asked with true");
}

/* ---- expose lists ---- */

/* The expose list of the first stub's response in YAML text; *own as cors_expose_list. */
static char *expose_of(const char *yaml, bool *own)
{
	struct stub_set *set = load_set(yaml);
	cr_assert_geq(set->n, 1);
	char *list = cors_expose_list(&set->stubs[0]->resp, own);
	stub_set_unref(set);
	return list;
}

Test(cors, expose_lists_the_stub_headers_once)
{
	bool own = true;
	char *list = expose_of("response:\n"
			       "  headers:\n"
			       "    X-Total-Count: 3\n"
			       "    Set-Cookie: [a=1, b=2]\n"
			       "    Location: /x\n", &own);
	cr_assert_not_null(list);
	cr_expect_str_eq(list, "X-Total-Count, Set-Cookie, Location", "a list header is named once");
	cr_expect(!own);
	free(list);
}

Test(cors, expose_leaves_out_content_type_and_cors_headers)
{
	bool own = true;
	char *list = expose_of("response:\n"
			       "  headers:\n"
			       "    content-type: text/csv\n"
			       "    Access-Control-Max-Age: 60\n"
			       "    X-Id: 1\n", &own);
	cr_expect_str_eq(list ? list : "(null)", "X-Id");
	cr_expect(!own, "Max-Age alone does not make the stub in charge");
	free(list);
}

Test(cors, expose_of_a_stub_without_headers_is_null)
{
	bool own = true;
	cr_expect_null(expose_of("response: { json: { a: 1 } }", &own));
	cr_expect(!own);
	cr_expect_null(expose_of("response:\n  headers: { Content-Type: text/plain }\n", &own));
}

Test(cors, own_allow_origin_puts_the_stub_in_charge)
{
	bool own = false;
	char *list = expose_of("response:\n"
			       "  headers:\n"
			       "    access-control-allow-origin: https://only.example\n"
			       "    X-Id: 1\n", &own);
	cr_expect(own, "the stub sets Access-Control-Allow-Origin itself");
	cr_expect_str_eq(list ? list : "(null)", "X-Id");
	free(list);
}
