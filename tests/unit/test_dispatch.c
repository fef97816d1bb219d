/* SPDX-License-Identifier: MIT */
/* The dispatcher without sockets: stub sets loaded from YAML, requests built by hand,
 * dispatch(request, set, state) -> reply, and assertions on the reply's status, body,
 * headers and access-log note. Covers matching and captures, the near-miss 404,
 * forwarded misses, CORS (preflights, origin echo or '*', stubs with their own CORS),
 * the fixed fast path against rendered replies, sequences, scenarios, faults and delays. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "json.h"
#include "reply.h"
#include "reply_cache.h"
#include "respond.h"
#include "stub.h"
#include "state.h"
#include "stub_set.h"
#include "testutil.h"
#include "util/rng.h"
#include "util/strbuf.h"

static struct state *state;
static struct rng rng;
static struct dispatch_config cfg;
static struct stub_set *set;
static struct req q;
static struct reply r;
static struct strbuf note, detail;

static void setup(void)
{
	state = state_create();
	rng_seed(&rng, 1);
	cfg = (struct dispatch_config){ .state = state, .rng = &rng, .cors = true };
	set = NULL;
	req_init(&q, "GET", "/");
	memset(&r, 0, sizeof(r));
	strbuf_init(&note);
	strbuf_init(&detail);
}

static void teardown(void)
{
	reply_release(&r);
	req_fini(&q);
	strbuf_release(&note);
	strbuf_release(&detail);
	stub_set_unref(set);
	state_destroy(state);
}

TestSuite(dispatch, .init = setup, .fini = teardown);

/* Serves the stubs in YAML text from now on. */
static void stubs(const char *yaml)
{
	stub_set_unref(set);
	set = load_set(yaml);
}

/* Starts a new request (add headers, query and body to q before go()). */
static void start(const char *method, const char *path)
{
	req_fini(&q);
	req_init(&q, method, path);
	reply_release(&r);
	strbuf_reset(&note);
	strbuf_reset(&detail);
}

static enum dispatch_result go(void)
{
	return dispatch(&cfg, set, &q.v, &q.arena, &r, &note, &detail);
}

/* A request with an Origin header (none when NULL), dispatched; asserts that result is
 *  what it gives. */
static void ask_from(const char *origin, const char *method, const char *path, enum dispatch_result want)
{
	start(method, path);
	if (origin)
		req_header(&q, "Origin", origin);
	enum dispatch_result got = go();
	cr_assert_eq(got, want, "%s %s: dispatch gave %d, expected %d (note: %s)", method, path, got, want,
		     strbuf_str(&note));
}

/* A bare request, dispatched; asserts that result is what it gives. */
static void ask(const char *method, const char *path, enum dispatch_result want)
{
	ask_from(NULL, method, path, want);
}

/* What the HTTP adapter sends for a fixed reply: its fields filled from the stub. */
static void served(void)
{
	if (r.fixed || r.serve_shared)
		reply_expand(&r, &q.arena);
}

/* ask, then expects the stub id and (when not NULL) the body as served. */
static void expect_answer(const char *method, const char *path, const char *stub_id, const char *body)
{
	ask(method, path, DISPATCH_MATCHED);
	cr_assert_not_null(r.stub_id, "%s %s: no stub id", method, path);
	cr_expect_str_eq(r.stub_id, stub_id, "%s %s answered by the wrong stub", method, path);
	served();
	if (body)
		expect_body(&r, body);
}

/* ---- matching ---- */

static const char users[] = "- name: any-user\n"
			    "  request: { method: GET, path: '/users/{id}' }\n"
			    "  response: { json: { id: '{{request.params.id}}' } }\n"
			    "- name: me\n"
			    "  request: { method: GET, path: /users/me }\n"
			    "  response: { json: { id: me } }\n"
			    "- name: files\n"
			    "  request: { path: '/users/{id}/files/{rest*}' }\n"
			    "  response: { body: '{{request.params.id}}:{{request.params.rest}}' }\n"
			    "- name: order\n"
			    "  request: { path_regex: '/orders/(?<id>ord_[0-9]+)' }\n"
			    "  response: { body: 'order {{request.params.id}}' }\n";

Test(dispatch, exact_beats_template)
{
	stubs(users);
	expect_answer("GET", "/users/me", "me", "{\"id\":\"me\"}");
	expect_answer("GET", "/users/7", "any-user", "{\"id\":\"7\"}");
	cr_expect_str_eq(strbuf_str(&note), "", "a match leaves no note");
	cr_expect_str_eq(strbuf_str(&detail), "");
}

Test(dispatch, template_and_regex_captures_reach_the_response)
{
	stubs(users);
	expect_answer("PUT", "/users/7/files/a/b.txt", "files", "7:a/b.txt");
	expect_answer("GET", "/orders/ord_12", "order", "order ord_12");
}

Test(dispatch, the_reply_carries_the_stub_status)
{
	stubs("- name: created\n"
	      "  request: { method: POST, path: /things }\n"
	      "  response: { status: 201, headers: { Location: /things/1 } }\n");
	expect_answer("POST", "/things", "created", NULL);
	cr_expect_eq(r.status, 201);
	expect_header_values(&r, "Location", "/things/1", NULL);
	cr_expect_eq(r.delay_ms, 0);
	cr_expect(!r.fault);
}

/* ---- misses ---- */

/* The 404 body of the last miss, parsed (the caller deletes it). */
static cJSON *miss_json(void)
{
	cr_assert_eq(r.status, 404);
	cr_assert_str_eq(r.content_type, "application/json");
	cr_assert_not_null(r.body);
	cJSON *j = cJSON_ParseWithLength(r.body, r.body_len);
	cr_assert_not_null(j, "the 404 body is not JSON: %.*s", (int)r.body_len, r.body);
	return j;
}

static const char *str_of(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	cr_assert(cJSON_IsString(v), "'%s' is not a string", key);
	return v->valuestring;
}

/* near_misses[i] of the 404 body j. */
static const cJSON *near_miss(const cJSON *j, int i)
{
	const cJSON *nm = cJSON_GetObjectItemCaseSensitive(j, "near_misses");
	cr_assert(cJSON_IsArray(nm), "no near_misses array");
	cr_assert_lt(i, cJSON_GetArraySize(nm), "only %d near misses", cJSON_GetArraySize(nm));
	return cJSON_GetArrayItem(nm, i);
}

Test(dispatch, a_miss_is_a_404_naming_the_near_misses)
{
	stubs(users);
	ask("DELETE", "/users/me", DISPATCH_MISS);
	cJSON *j = miss_json();
	cr_expect_str_eq(str_of(j, "error"), "no stub matched");
	cr_expect_str_eq(str_of(j, "method"), "DELETE");
	cr_expect_str_eq(str_of(j, "path"), "/users/me");
	cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "near_misses")), 3, "at most 3");
	const cJSON *first = near_miss(j, 0);
	cr_expect_str_eq(str_of(first, "stub"), "me", "the exact path comes closest");
	cr_expect_str_eq(str_of(first, "file"), "test.yaml");
	const cJSON *line = cJSON_GetObjectItemCaseSensitive(first, "line");
	cr_expect(cJSON_IsNumber(line) && line->valueint == 4, "'me' starts on line 4");
	const cJSON *why = cJSON_GetObjectItemCaseSensitive(first, "mismatches");
	cr_assert(cJSON_IsArray(why));
	cr_assert_eq(cJSON_GetArraySize(why), 1);
	cr_expect_str_eq(cJSON_GetArrayItem(why, 0)->valuestring, "method: expected \"GET\", got \"DELETE\"");
	cr_expect_str_eq(strbuf_str(&note), "no stub matched; closest me: method: expected \"GET\", got \"DELETE\"");
	cr_expect_null(r.stub_id);
	cJSON_Delete(j);
}

Test(dispatch, the_note_counts_the_other_mismatches)
{
	stubs("- name: search\n"
	      "  request: { method: GET, path: /search, query: { q: { present: true } }, headers: { X-Key: k } }\n");
	ask("POST", "/search", DISPATCH_MISS);
	cr_expect_str_eq(strbuf_str(&note),
			 "no stub matched; closest search: method: expected \"GET\", got \"POST\" (+2 more)");
	cr_expect_str_eq(strbuf_str(&detail), "", "details only when verbose");
}

Test(dispatch, verbose_puts_every_mismatch_in_the_detail)
{
	stubs("- name: a\n  request: { method: GET, path: /a }\n"
	      "- name: b\n  request: { method: PUT, path: /b }\n");
	cfg.verbose = true;
	ask("POST", "/a", DISPATCH_MISS);
	cr_expect_str_eq(strbuf_str(&detail), "    a: method: expected \"GET\", got \"POST\"\n"
					      "    b: method: expected \"PUT\", got \"POST\"\n"
					      "    b: path: expected \"/b\", got \"/a\"\n");
}

Test(dispatch, a_miss_without_stubs)
{
	stubs("[]");
	ask("GET", "/x", DISPATCH_MISS);
	cJSON *j = miss_json();
	const cJSON *nm = cJSON_GetObjectItemCaseSensitive(j, "near_misses");
	cr_expect(cJSON_IsArray(nm) && cJSON_GetArraySize(nm) == 0, "near_misses is an empty list");
	cr_expect_str_eq(strbuf_str(&note), "no stub matched");
	cJSON_Delete(j);
}

Test(dispatch, the_404_escapes_what_the_request_sent)
{
	stubs("[]");
	ask("GET", "/a\"b\\c\n\x01", DISPATCH_MISS);
	cJSON *j = miss_json();
	cr_expect_str_eq(str_of(j, "path"), "/a\"b\\c\n\x01");
	cJSON_Delete(j);
}

Test(dispatch, forwarded_misses_leave_the_reply_untouched)
{
	stubs(users);
	cfg.forward_misses = true;
	ask("DELETE", "/users/me", DISPATCH_MISS);
	cr_expect_eq(r.status, 0, "the proxy answers: no 404 is built");
	cr_expect_null(r.body);
	cr_expect_eq(r.nheaders, 0);
	cr_expect_str_eq(strbuf_str(&note), "");
	expect_answer("GET", "/users/me", "me", "{\"id\":\"me\"}");
}

/* ---- CORS ---- */

/* A preflight for path asking for PUT with Content-Type from a page on localhost:5173. */
static enum dispatch_result preflight(const char *path)
{
	start("OPTIONS", path);
	req_header(&q, "Origin", "http://localhost:5173");
	req_header(&q, "Access-Control-Request-Method", "PUT");
	req_header(&q, "Access-Control-Request-Headers", "content-type");
	return go();
}

Test(dispatch, a_preflight_gets_the_built_in_answer)
{
	stubs(users);
	cr_assert_eq(preflight("/users/7"), DISPATCH_PREFLIGHT);
	cr_expect_eq(r.status, 204);
	expect_header_values(&r, "Access-Control-Allow-Origin", "http://localhost:5173",
			     "Access-Control-Allow-Methods", "PUT",
			     "Access-Control-Allow-Headers", "content-type",
			     "Access-Control-Allow-Credentials", "true",
			     "Vary", "Origin",
			     NULL);
	cr_expect_null(r.stub_id);
	cr_expect_str_eq(strbuf_str(&note), "cors preflight");
	cr_assert_eq(preflight("/nowhere"), DISPATCH_PREFLIGHT, "on any path");
}

Test(dispatch, a_stub_listing_options_answers_the_preflight)
{
	stubs("- name: any-method\n"
	      "  request: { path: '/items/{id}' }\n"
	      "  response: { body: any }\n"
	      "- name: items-options\n"
	      "  priority: 200\n"
	      "  request: { method: [OPTIONS, GET], path: '/items/{id}' }\n"
	      "  response: { status: 200, headers: { Allow: 'GET, OPTIONS' }, body: 'options {{request.params.id}}' }\n"
	      "- name: other-options\n"
	      "  request: { method: OPTIONS, path: /other }\n"
	      "  response: { body: other }\n");
	cr_assert_eq(preflight("/items/5"), DISPATCH_MATCHED);
	cr_expect_str_eq(r.stub_id, "items-options", "a stub with any method does not answer a preflight");
	expect_body(&r, "options 5");
	expect_header_values(&r, "Allow", "GET, OPTIONS",
			     "Access-Control-Allow-Origin", "http://localhost:5173",
			     "Access-Control-Expose-Headers", "Allow",
			     "Access-Control-Allow-Methods", NULL,
			     NULL);
	cr_expect_str_eq(strbuf_str(&note), "");
	cr_assert_eq(preflight("/items"), DISPATCH_PREFLIGHT, "an OPTIONS stub for another path does not answer");
	/* a plain OPTIONS request is no preflight: the winner order decides */
	expect_answer("OPTIONS", "/items/5", "any-method", "any");
}

Test(dispatch, preflights_are_not_forwarded)
{
	stubs("[]");
	cfg.forward_misses = true;
	cr_expect_eq(preflight("/x"), DISPATCH_PREFLIGHT, "the mock answers preflights itself");
	cr_expect_eq(r.status, 204);
}

Test(dispatch, without_cors_a_preflight_is_an_ordinary_request)
{
	stubs(users);
	cfg.cors = false;
	cr_assert_eq(preflight("/users/7"), DISPATCH_MISS);
	cr_expect_eq(r.status, 404);
	cr_expect_null(got_header(&r, "Access-Control-Allow-Origin"));
}

static const char list[] = "- name: list\n"
			   "  request: { path: /list }\n"
			   "  response: { headers: { X-Total-Count: '2' }, json: [1, 2] }\n";

Test(dispatch, an_origin_is_echoed_with_credentials)
{
	stubs(list);
	ask_from("http://localhost:5173", "GET", "/list", DISPATCH_MATCHED);
	cr_expect_null(r.fixed, "an echoed origin is not in the prebuilt copies");
	cr_expect_eq(r.body, set->stubs[0]->resp.body, "the canned body is still borrowed");
	expect_body(&r, "[1,2]");
	cr_expect_str_eq(r.content_type, "application/json");
	expect_header_values(&r, "X-Total-Count", "2",
			     "Access-Control-Allow-Origin", "http://localhost:5173",
			     "Access-Control-Allow-Credentials", "true",
			     "Vary", "Origin",
			     "Access-Control-Expose-Headers", "X-Total-Count",
			     NULL);
}

Test(dispatch, without_origin_the_fixed_reply_is_star)
{
	stubs(list);
	ask("GET", "/list", DISPATCH_MATCHED);
	cr_expect_eq(r.fixed, &set->stubs[0]->resp, "the fast path hands over the stub's fixed response");
	cr_expect_eq(r.prepared, reply_cache_get(set, 0, 0));
	cr_expect(r.star, "the copy with Allow-Origin: *");
	cr_expect_eq(r.status, 200);
	cr_expect_null(r.body, "nothing is built for the adapter's prebuilt copy");
	cr_expect_eq(r.nheaders, 0);
	served();
	expect_body(&r, "[1,2]");
	expect_header_values(&r, "X-Total-Count", "2",
			     "Access-Control-Allow-Origin", "*",
			     "Access-Control-Allow-Credentials", NULL,
			     "Vary", "Origin",
			     "Access-Control-Expose-Headers", "X-Total-Count",
			     NULL);
}

Test(dispatch, without_cors_the_fixed_reply_has_no_cors_headers)
{
	stubs("- name: list\n  request: { path: /list }\n  response: { json: [1] }\n");
	cfg.cors = false;
	ask_from("http://localhost:5173", "GET", "/list", DISPATCH_MATCHED);
	cr_expect_not_null(r.fixed, "with CORS off an Origin changes nothing");
	cr_expect(!r.star);
	served();
	cr_expect_eq(r.nheaders, 0, "%zu headers", r.nheaders);
}

Test(dispatch, a_stub_with_its_own_cors_gets_none_added)
{
	stubs("- name: own\n"
	      "  request: { path: /own }\n"
	      "  response: { headers: { Access-Control-Allow-Origin: 'https://only.example' }, body: x }\n"
	      "- name: own-template\n"
	      "  request: { path: /own-template }\n"
	      "  response: { headers: { Access-Control-Allow-Origin: '{{request.headers.origin}}' }, body: y }\n");
	ask_from("http://localhost:5173", "GET", "/own", DISPATCH_MATCHED);
	cr_expect_not_null(r.fixed, "the stub is in charge: the fast path serves it even with an Origin");
	cr_expect(!r.star);
	served();
	cr_expect_eq(count_headers(&r, "Access-Control-Allow-Origin"), 1);
	expect_header_values(&r, "Access-Control-Allow-Origin", "https://only.example",
			     "Vary", NULL,
			     "Access-Control-Allow-Credentials", NULL,
			     NULL);
	ask("GET", "/own", DISPATCH_MATCHED);
	cr_expect(!r.star, "nor '*' without an Origin");
	ask_from("http://a.test", "GET", "/own-template", DISPATCH_MATCHED);
	cr_expect_eq(count_headers(&r, "Access-Control-Allow-Origin"), 1);
	expect_header_values(&r, "Access-Control-Allow-Origin", "http://a.test", "Vary", NULL, NULL);
}

/* ---- a front-end's shared answer ---- */

static struct reply_shared *shared_answer;

static void respond_shared(const struct stub_response *sr, struct respond_ctx *ctx, struct reply *out)
{
	(void)sr;
	(void)ctx;
	reply_use_shared(out, reply_shared_ref(shared_answer));
}

static const struct responder shared_responder = { .kind = "shared", .respond = respond_shared };

Test(dispatch, a_shared_answer_is_served_prebuilt_without_an_origin_and_expanded_with_one)
{
	stubs("- name: front\n  request: { path: /front }\n  response: { body: unused }\n");
	((struct stub *)set->stubs[0])->resp.handler = &shared_responder;
	shared_answer = reply_shared_create(200, "application/json", strdup("[7]"), 3);
	reply_shared_add_header(shared_answer, "X-Total-Count", "1");
	ask("GET", "/front", DISPATCH_MATCHED);
	cr_expect_eq(r.shared, shared_answer);
	cr_expect(r.serve_shared, "the adapter's prebuilt copy of the answer");
	cr_expect(r.star);
	cr_expect_null(r.body);
	served();
	expect_body(&r, "[7]");
	expect_header_values(&r, "X-Total-Count", "1", "Access-Control-Allow-Origin", "*", "Vary", "Origin", NULL);
	ask_from("http://localhost:5173", "GET", "/front", DISPATCH_MATCHED);
	cr_expect(!r.serve_shared, "an origin of its own: the headers are built for it");
	expect_body(&r, "[7]");
	expect_header_values(&r, "X-Total-Count", "1", "Access-Control-Allow-Origin", "http://localhost:5173",
			     "Access-Control-Allow-Credentials", "true", NULL);
	cr_expect_eq(atomic_load(&shared_answer->refs), 2, "this reply's and ours");
	reply_release(&r);
	cr_expect_eq(atomic_load(&shared_answer->refs), 1);
	reply_shared_unref(shared_answer);
}

/* ---- fixed against rendered ---- */

Test(dispatch, a_template_is_rendered_with_cors_added)
{
	stubs("- name: hello\n"
	      "  request: { path: '/hello/{name}' }\n"
	      "  response: { body: 'hello {{request.params.name}}' }\n");
	ask("GET", "/hello/ada", DISPATCH_MATCHED);
	cr_expect_null(r.fixed, "a template is rendered, not prebuilt");
	cr_expect_null(r.prepared);
	cr_expect_not_null(r.body_owned);
	expect_body(&r, "hello ada");
	cr_expect_str_eq(r.content_type, "text/plain; charset=utf-8");
	expect_header_values(&r, "Access-Control-Allow-Origin", "*",
			     "Vary", "Origin",
			     "Access-Control-Expose-Headers", NULL,
			     NULL);
}

/* ---- sequences and scenarios ---- */

/* The served bodies of n GETs of path, joined by ' '. */
static const char *bodies(const char *path, int n)
{
	static char out[256];
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		ask("GET", path, DISPATCH_MATCHED);
		served();
		size_t len = strlen(out);
		snprintf(out + len, sizeof(out) - len, "%s%.*s", i ? " " : "", (int)r.body_len, r.body ? r.body : "");
	}
	return out;
}

static const char sequences[] = "- name: job\n"
				"  request: { path: /job }\n"
				"  responses:\n"
				"    - { status: 202, body: queued }\n"
				"    - { status: 202, body: running }\n"
				"    - { status: 200, body: done }\n"
				"- name: rr\n"
				"  request: { path: /rr }\n"
				"  sequence: cycle\n"
				"  responses: [ { body: a }, { body: b } ]\n"
				"- name: seq\n"
				"  request: { path: /seq }\n"
				"  response: { body: 'hit {{seq}}' }\n";

Test(dispatch, a_sequence_answers_by_hit_count_then_repeats_the_last)
{
	stubs(sequences);
	cr_expect_str_eq(bodies("/job", 5), "queued running done done done");
	cr_expect_eq(state_hits(state, "job"), 5);
	ask("GET", "/job", DISPATCH_MATCHED);
	cr_expect_eq(r.status, 200, "the status comes with its response");
}

Test(dispatch, a_cycle_starts_over)
{
	stubs(sequences);
	cr_expect_str_eq(bodies("/rr", 5), "a b a b a");
}

Test(dispatch, seq_counts_the_hits)
{
	stubs(sequences);
	cr_expect_str_eq(bodies("/seq", 3), "hit 1 hit 2 hit 3");
}

Test(dispatch, the_sequence_position_holds_with_an_origin)
{
	stubs(sequences);
	ask_from("http://a.test", "GET", "/job", DISPATCH_MATCHED);
	expect_body(&r, "queued");
	cr_expect_str_eq(bodies("/job", 2), "running done");
}

Test(dispatch, reset_starts_every_sequence_over)
{
	stubs(sequences);
	cr_expect_str_eq(bodies("/job", 2), "queued running");
	state_reset(state);
	cr_expect_str_eq(bodies("/job", 1), "queued");
	cr_expect_str_eq(bodies("/seq", 1), "hit 1");
}

static const char cart[] = "- name: empty-cart\n"
			   "  scenario: cart\n"
			   "  state: start\n"
			   "  request: { method: GET, path: /cart }\n"
			   "  response: { json: { items: [] } }\n"
			   "- name: add-to-cart\n"
			   "  scenario: cart\n"
			   "  next_state: has-items\n"
			   "  request: { method: POST, path: /cart }\n"
			   "  response: { status: 201 }\n"
			   "- name: cart-with-items\n"
			   "  scenario: cart\n"
			   "  state: has-items\n"
			   "  request: { method: GET, path: /cart }\n"
			   "  response: { json: { items: [42] } }\n"
			   "- name: checkout\n"
			   "  scenario: cart\n"
			   "  state: has-items\n"
			   "  next_state: start\n"
			   "  request: { method: POST, path: /checkout }\n"
			   "  response: { json: { ok: true } }\n";

Test(dispatch, scenario_states_pick_the_stub)
{
	stubs(cart);
	expect_answer("GET", "/cart", "empty-cart", "{\"items\":[]}");
	expect_answer("POST", "/cart", "add-to-cart", NULL);
	cr_expect_eq(r.body_len, 0);
	cr_expect_eq(r.status, 201);
	char *now = state_scenario(state, "cart");
	cr_expect_str_eq(now, "has-items");
	free(now);
	expect_answer("GET", "/cart", "cart-with-items", "{\"items\":[42]}");
	expect_answer("POST", "/checkout", "checkout", "{\"ok\":true}");
	expect_answer("GET", "/cart", "empty-cart", "{\"items\":[]}");
}

Test(dispatch, a_stub_in_another_state_is_a_near_miss)
{
	stubs(cart);
	ask("POST", "/checkout", DISPATCH_MISS);
	cJSON *j = miss_json();
	const cJSON *first = near_miss(j, 0);
	cr_expect_str_eq(str_of(first, "stub"), "checkout");
	const cJSON *why = cJSON_GetObjectItemCaseSensitive(first, "mismatches");
	cr_assert_eq(cJSON_GetArraySize(why), 1);
	cr_expect_str_eq(cJSON_GetArrayItem(why, 0)->valuestring,
			 "scenario cart: expected state \"has-items\", got \"start\"");
	cJSON_Delete(j);
}

Test(dispatch, reset_puts_scenarios_back_in_start)
{
	stubs(cart);
	expect_answer("POST", "/cart", "add-to-cart", NULL);
	state_reset(state);
	expect_answer("GET", "/cart", "empty-cart", NULL);
}

/* ---- faults and delays ---- */

Test(dispatch, a_fault_resets_without_headers)
{
	stubs("- name: flaky\n  request: { path: /flaky }\n  response: { fault: reset, status: 500 }\n");
	ask_from("http://a.test", "GET", "/flaky", DISPATCH_MATCHED);
	cr_expect(r.fault == STUB_FAULT_RESET);
	cr_expect_null(r.fixed, "nothing to prebuild");
	cr_expect_eq(r.nheaders, 0, "no CORS headers on a connection that is reset");
	cr_expect_str_eq(r.stub_id, "flaky");
	cr_expect_str_eq(strbuf_str(&note), "fault: reset");
}

Test(dispatch, a_fixed_delay)
{
	stubs("- name: slow\n  request: { path: /slow }\n  response: { delay: 250ms, body: x }\n"
	      "- name: slower\n  request: { path: /slower }\n  response: { delay: 2s, body: '{{seq}}' }\n"
	      "- name: fast\n  request: { path: /fast }\n  response: { body: x }\n");
	ask("GET", "/slow", DISPATCH_MATCHED);
	cr_expect_not_null(r.fixed);
	cr_expect_eq(r.delay_ms, 250, "the fast path keeps the delay");
	ask("GET", "/slower", DISPATCH_MATCHED);
	cr_expect_eq(r.delay_ms, 2000);
	ask("GET", "/fast", DISPATCH_MATCHED);
	cr_expect_eq(r.delay_ms, 0);
}

/* The delays of n requests to /jitter (the stubs must have it). */
static void delays(unsigned *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		ask("GET", "/jitter", DISPATCH_MATCHED);
		out[i] = r.delay_ms;
	}
}

static const char jitter[] = "- name: jitter\n"
			     "  request: { path: /jitter }\n"
			     "  response: { delay: { min: 100ms, max: 103ms }, body: x }\n";

Test(dispatch, a_delay_range_stays_within_min_and_max)
{
	stubs(jitter);
	unsigned d[400];
	bool seen[4] = { false };
	delays(d, 400);
	for (size_t i = 0; i < 400; i++) {
		cr_assert(d[i] >= 100 && d[i] <= 103, "delay %u outside [100, 103]", d[i]);
		seen[d[i] - 100] = true;
	}
	for (int k = 0; k < 4; k++)
		cr_expect(seen[k], "%d ms never drawn in 400 requests: min and max are both reachable", 100 + k);
}

Test(dispatch, a_delay_range_is_reproducible_from_the_seed)
{
	stubs(jitter);
	unsigned a[32], b[32];
	rng_seed(&rng, 42);
	delays(a, 32);
	rng_seed(&rng, 42);
	delays(b, 32);
	cr_expect_arr_eq(a, b, sizeof(a), "the same --seed gives the same delays");
}
