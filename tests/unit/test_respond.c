/* SPDX-License-Identifier: MIT */
/* The built-in response handlers on responses loaded from YAML: which one a response
 * gets, the canned reply borrowing the stub's bytes, the template reply rendering body
 * and header values for one request, and the fault. */
#include <criterion/criterion.h>
#include <string.h>

#include "reply.h"
#include "respond.h"
#include "stub_set.h"
#include "testutil.h"
#include "util/rng.h"

static struct stub_set *set;
static struct req q;
static struct reply r;
static struct rng rng;

static void setup(void)
{
	set = NULL;
	req_init(&q, "GET", "/users/42");
	memset(&r, 0, sizeof(r));
	rng_seed(&rng, 7);
}

static void teardown(void)
{
	reply_release(&r);
	req_fini(&q);
	stub_set_unref(set);
}

TestSuite(respond, .init = setup, .fini = teardown);

/* The response of the one stub in YAML text (kept until teardown). */
static const struct stub_response *response_of(const char *yaml)
{
	stub_set_unref(set);
	set = load_set(yaml);
	cr_assert_eq(set->n, 1, "one stub expected, got %zu", set->n);
	return &set->stubs[0]->resp;
}

/* Runs the response's handler for q as hit number seq, with path capture id=42, the way
 * the dispatcher does (status preset). */
static void run(const struct stub_response *sr, uint64_t seq)
{
	static struct kv captures[] = { { "id", "42", 2 } };
	q.params = (struct params){ captures, 1 };
	struct respond_ctx ctx = { { &q.v, &q.params, &rng, seq, 0 }, &q.arena };
	reply_release(&r);
	r.status = sr->status;
	sr->handler->respond(sr, &ctx, &r);
}

/* ---- the handlers ---- */

Test(respond, the_built_in_handlers)
{
	cr_expect_str_eq(respond_canned.kind, "canned");
	cr_expect(respond_canned.fixed, "a canned reply may be served from a prebuilt copy");
	cr_expect_str_eq(respond_template.kind, "template");
	cr_expect(!respond_template.fixed, "a template reply differs per request");
	cr_expect_str_eq(respond_fault.kind, "fault");
	cr_expect(!respond_fault.fixed, "a fault has no reply to prebuild");
	cr_expect_null(respond_canned.release, "none keeps handler data");
	cr_expect_null(respond_template.release);
	cr_expect_null(respond_fault.release);
}

/* ---- choosing ---- */

/* respond_choose, and the loader, give each response in yaml[0..n) the handler want. */
static void expect_chosen(const char *const *yaml, size_t n, const struct responder *want)
{
	for (size_t i = 0; i < n; i++) {
		const struct stub_response *sr = response_of(yaml[i]);
		cr_expect_eq(respond_choose(sr), want, "%s: not %s", yaml[i], want->kind);
		cr_expect_eq(sr->handler, want, "loaded as %s, not %s: %s", sr->handler->kind, want->kind, yaml[i]);
	}
}

Test(respond, plain_responses_are_canned)
{
	static const char *const yaml[] = {
		"response: { body: hello }",
		"response: { json: { a: [1, '2'] } }",
		"response: { status: 204 }",
		"response: { headers: { X-A: b }, body: 'a {single} brace' }",
		"template: false\nresponse: { headers: { X-A: '{{seq}}' }, body: '{{request.path}}' }",
	};
	expect_chosen(yaml, sizeof(yaml) / sizeof(yaml[0]), &respond_canned);
}

Test(respond, templates_in_body_or_headers_choose_the_template)
{
	static const char *const yaml[] = {
		"response: { body: 'hit {{seq}}' }",
		"response: { json: { id: '{{request.params.id}}' } }",
		"response: { headers: { Location: '/users/{{request.params.id}}' }, body: static }",
	};
	expect_chosen(yaml, sizeof(yaml) / sizeof(yaml[0]), &respond_template);
}

Test(respond, a_fault_loads_the_fault_handler)
{
	const struct stub_response *sr = response_of("response: { fault: reset, body: 'never {{seq}}' }");
	cr_expect_eq(sr->handler, &respond_fault, "fault wins over the template the body holds");
}

/* ---- canned ---- */

Test(respond, canned_borrows_the_stub_response)
{
	const struct stub_response *sr = response_of("response:\n"
						     "  status: 201\n"
						     "  headers: { X-One: '1', Set-Cookie: [a=1, b=2] }\n"
						     "  json: { id: 3 }\n");
	run(sr, 1);
	cr_expect_eq(r.status, 201, "the status preset is kept");
	cr_expect_eq(r.body, sr->body, "the body is the stub's bytes, not a copy");
	expect_body(&r, "{\"id\":3}");
	cr_expect_null(r.body_owned);
	cr_expect_str_eq(r.content_type, "application/json");
	cr_assert_eq(r.nheaders, 3);
	for (size_t i = 0; i < 3; i++) {
		cr_expect_eq(r.headers[i].name, sr->headers[i].name, "header %zu is borrowed", i);
		cr_expect_eq(r.headers[i].value, sr->headers[i].value, "header %zu is borrowed", i);
	}
	cr_expect_str_eq(r.headers[1].value, "a=1");
	cr_expect_str_eq(r.headers[2].value, "b=2");
	cr_expect(!r.fault);
}

Test(respond, canned_keeps_braces_when_templates_are_off)
{
	const struct stub_response *sr =
		response_of("template: false\nresponse: { headers: { X-T: '{{seq}}' }, body: '<p>{{name}}</p>' }");
	run(sr, 5);
	expect_body(&r, "<p>{{name}}</p>");
	expect_header_values(&r, "X-T", "{{seq}}", NULL);
}

Test(respond, canned_without_body)
{
	run(response_of("response: { status: 204 }"), 1);
	cr_expect_eq(r.status, 204);
	cr_expect_eq(r.body_len, 0);
	cr_expect_null(r.content_type, "no body, no content type");
	cr_expect_eq(r.nheaders, 0);
}

Test(respond, a_content_type_header_replaces_the_body_type)
{
	run(response_of("response: { headers: { Content-Type: text/csv }, body: 'a,b' }"), 1);
	cr_expect_null(r.content_type, "the header carries it");
	expect_header_values(&r, "content-type", "text/csv", NULL);
}

/* ---- template ---- */

Test(respond, template_renders_the_body_per_request)
{
	const struct stub_response *sr = response_of("response: { body: '{{request.method}} {{request.path}} "
						     "id={{request.params.id}} q={{request.query.q}} #{{seq}}' }");
	req_query(&q, "q", "x y");
	run(sr, 3);
	expect_body(&r, "GET /users/42 id=42 q=x y #3");
	cr_expect_eq(r.body, r.body_owned, "a rendered body is the reply's own");
	cr_expect_str_eq(r.content_type, "text/plain; charset=utf-8");
	run(sr, 4);
	expect_body(&r, "GET /users/42 id=42 q=x y #4");
}

Test(respond, template_renders_json_with_escaping)
{
	const struct stub_response *sr =
		response_of("response: { json: { id: '{{request.params.id | number}}',"
			    " name: '{{request.headers.x-name}}' } }");
	req_header(&q, "X-Name", "Ada \"the\" Countess\n");
	run(sr, 1);
	expect_body(&r, "{\"id\":42,\"name\":\"Ada \\\"the\\\" Countess\\n\"}");
	cr_expect_str_eq(r.content_type, "application/json");
}

Test(respond, template_absent_values_render_empty)
{
	run(response_of("response: { body: '[{{request.query.missing}}][{{request.cookies.c}}]' }"), 1);
	expect_body(&r, "[][]");
}

Test(respond, template_headers_render_and_static_ones_are_borrowed)
{
	const struct stub_response *sr = response_of("response:\n"
						     "  status: 201\n"
						     "  headers:\n"
						     "    Location: '/users/{{request.params.id}}'\n"
						     "    X-Static: plain\n"
						     "  body: created\n");
	run(sr, 1);
	cr_expect_eq(r.status, 201);
	expect_header_values(&r, "Location", "/users/42", "X-Static", "plain", NULL);
	cr_expect_eq(r.headers[1].value, sr->headers[1].value, "a header without template is not copied");
	cr_expect_eq(r.body, sr->body, "a static body is borrowed even when a header renders");
	cr_expect_null(r.body_owned);
	expect_body(&r, "created");
}

Test(respond, rendered_header_values_stay_on_one_line)
{
	const struct stub_response *sr = response_of("response: { headers: { X-Echo: '<{{request.headers.x-in}}>' } }");
	req_header(&q, "X-In", "a\r\nSet-Cookie: evil=1\tb\x7f" "c\x01");
	run(sr, 1);
	/* CR, LF, DEL and other controls become spaces; a tab is allowed in a header value */
	expect_header_values(&r, "X-Echo", "<a  Set-Cookie: evil=1\tb c >", "Set-Cookie", NULL, NULL);
	cr_expect_eq(r.nheaders, 1, "no header was injected");
}

/* ---- proxy ---- */

Test(respond, the_proxy_handler_hands_its_base_url_on)
{
	struct stub_response sr = { .status = 200, .handler = &respond_proxy, .proxy_base = (char *)"http://up.example" };
	run(&sr, 1);
	cr_expect_str_eq(r.proxy_base, "http://up.example", "the pipeline forwards there");
	cr_expect_null(r.body);
	cr_expect_str_eq(respond_proxy.kind, "proxy");
	cr_expect_not(respond_proxy.fixed);
}

/* ---- fault ---- */

Test(respond, fault_resets_and_answers_nothing)
{
	const struct stub_response *sr = response_of("response: { fault: reset, status: 500, body: x }");
	run(sr, 1);
	cr_expect(r.fault == STUB_FAULT_RESET, "the connection is to end with a reset");
	cr_expect_null(r.body, "nothing is sent");
	cr_expect_eq(r.nheaders, 0);
}
