/* SPDX-License-Identifier: MIT */
/* The header checks before any stub runs: framing (RFC 9112), one Host and its
 * allow-list against DNS rebinding, the body limit, and the JSON body of each refusal. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "json.h"
#include "request.h"
#include "util/strbuf.h"

static const char *const allowed[] = { "mock.test", "Dev.Box" };

static struct guard_config cfg = {
	.host_check = true,
	.allow_hosts = allowed,
	.nallow_hosts = 2,
	.max_body = 1024,
};

/* ---- host names ---- */

Test(guard, local_names_are_allowed)
{
	static const char *const hosts[] = {
		"localhost", "LocalHost", "localhost:8080", "127.0.0.1", "127.0.0.1:1", "[::1]", "[::1]:65535",
	};
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		cr_expect(guard_host_allowed(&cfg, hosts[i]), "'%s' should be allowed", hosts[i]);
}

Test(guard, allow_hosts_compare_without_case)
{
	cr_expect(guard_host_allowed(&cfg, "mock.test"));
	cr_expect(guard_host_allowed(&cfg, "MOCK.test:3000"));
	cr_expect(guard_host_allowed(&cfg, "dev.box"));
	struct guard_config none = { .host_check = true };
	cr_expect(!guard_host_allowed(&none, "mock.test"), "not without --allow-host");
	cr_expect(guard_host_allowed(&none, "localhost"), "local names need no --allow-host");
}

Test(guard, other_names_are_refused)
{
	static const char *const hosts[] = {
		"evil.example",
		"localhost.evil.example",       /* a local name as a prefix */
		"mock.test.evil.example",
		"evil-localhost",
		"127.0.0.2",
		"127.0.0.1.evil.example",
		"[::2]:80",
		"::1",                          /* v6 without brackets */
		"[::1",                         /* unclosed */
		"[::1]x",                       /* junk after the bracket */
	};
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		cr_expect(!guard_host_allowed(&cfg, hosts[i]), "'%s' should be refused", hosts[i]);
}

Test(guard, ports_are_digits_only)
{
	cr_expect(!guard_host_allowed(&cfg, "localhost:80a"));
	cr_expect(!guard_host_allowed(&cfg, "localhost:-1"));
	cr_expect(!guard_host_allowed(&cfg, "localhost:80:81"));
	cr_expect(!guard_host_allowed(&cfg, "[::1]:8x"));
	cr_expect(guard_host_allowed(&cfg, "localhost:"), "an empty port is still a port");
}

Test(guard, empty_and_oversized_names_are_refused)
{
	cr_expect(!guard_host_allowed(&cfg, ""));
	cr_expect(!guard_host_allowed(&cfg, ":80"));
	char big[400];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	const char *const long_allow[] = { big };
	struct guard_config g = { .host_check = true, .allow_hosts = long_allow, .nallow_hosts = 1 };
	cr_expect(!guard_host_allowed(&g, big), "a name of 256 bytes or more never matches");
}

/* ---- guard_check ---- */

#define BOTH "ambiguous framing: both Transfer-Encoding and Content-Length"
#define TWO_CL "ambiguous framing: different Content-Length values"
#define BAD_TE "unsupported Transfer-Encoding: only chunked is accepted"
#define BAD_CL "invalid Content-Length"

/* Criterion hands the cases to workers as bytes, so they hold arrays, not pointers. */
struct check_case {
	char what[48];
	char headers[4][48];            /* "Name: value"; "" ends */
	bool http10;
	char authority[24];             /* an absolute-form target's host[:port], or "" */
	int status;                     /* 0: passes */
	char reason[64];                /* "": none */
};

ParameterizedTestParameters(guard, check)
{
	static struct check_case cases[] = {
		{ "a plain request", { "Host: localhost:8080", "Accept: */*" }, false, "", 0, "" },
		{ "names in any case", { "HOST: localhost", "content-LENGTH: 10" }, false, "", 0, "" },
		{ "both framings, names in any case",
		  { "host: localhost", "content-length: 10", "TRANSFER-ENCODING: chunked" }, false, "", 400, BOTH },
		{ "both framings", { "Host: localhost", "Transfer-Encoding: chunked", "Content-Length: 3" }, false, "",
		  400, BOTH },
		{ "the same Content-Length twice", { "Host: localhost", "Content-Length: 3", "Content-Length: 3" },
		  false, "", 0, "" },
		{ "two Content-Lengths", { "Host: localhost", "Content-Length: 3", "Content-Length: 4" }, false, "",
		  400, TWO_CL },
		{ "chunked in any case", { "Host: localhost", "Transfer-Encoding: Chunked" }, false, "", 0, "" },
		{ "chunked twice", { "Host: localhost", "Transfer-Encoding: chunked", "Transfer-Encoding: chunked" },
		  false, "", 400, BAD_TE },
		{ "gzip", { "Host: localhost", "Transfer-Encoding: gzip" }, false, "", 400, BAD_TE },
		{ "a list", { "Host: localhost", "Transfer-Encoding: gzip, chunked" }, false, "", 400, BAD_TE },
		{ "an empty encoding", { "Host: localhost", "Transfer-Encoding: " }, false, "", 400, BAD_TE },
		{ "HTTP/1.1 without Host", { "Accept: */*" }, false, "", 400, "missing Host header" },
		{ "HTTP/1.0 without Host", { "Accept: */*" }, true, "", 0, "" },
		{ "HTTP/1.1 with only an authority", { "" }, false, "localhost", 400, "missing Host header" },
		{ "HTTP/1.0 with only an authority", { "" }, true, "mock.test", 0, "" },
		{ "two Hosts", { "Host: localhost", "Host: evil.example" }, false, "", 400,
		  "more than one Host header" },
		{ "a foreign Host", { "Host: evil.example" }, false, "", 403, "host not allowed" },
		{ "an allowed Host", { "Host: Mock.Test:80" }, false, "", 0, "" },
		{ "a foreign authority over a local Host", { "Host: localhost" }, false, "evil.example:80", 403,
		  "host not allowed" },
		{ "a local authority over a foreign Host", { "Host: evil.example" }, false, "localhost:8080", 0, "" },
		{ "a body at the limit", { "Host: localhost", "Content-Length: 1024" }, false, "", 0, "" },
		{ "a body over the limit", { "Host: localhost", "Content-Length: 1025" }, false, "", 413,
		  "request body too large" },
		{ "an empty Content-Length", { "Host: localhost", "Content-Length: " }, false, "", 400, BAD_CL },
		{ "a word", { "Host: localhost", "Content-Length: abc" }, false, "", 400, BAD_CL },
		{ "a negative length", { "Host: localhost", "Content-Length: -1" }, false, "", 400, BAD_CL },
		{ "a plus sign", { "Host: localhost", "Content-Length: +5" }, false, "", 400, BAD_CL },
		{ "a leading space and a minus", { "Host: localhost", "Content-Length:  -1" }, false, "", 400, BAD_CL },
		{ "trailing junk", { "Host: localhost", "Content-Length: 12x" }, false, "", 400, BAD_CL },
		{ "two numbers", { "Host: localhost", "Content-Length: 1 2" }, false, "", 400, BAD_CL },
		{ "an overflow", { "Host: localhost", "Content-Length: 99999999999999999999999" }, false, "", 400,
		  BAD_CL },
		{ "framing before Host", { "Host: evil.example", "Transfer-Encoding: gzip" }, false, "", 400, BAD_TE },
		/* headers a security decision reads come at most once, in any case */
		{ "two Origins", { "Host: localhost", "Origin: http://localhost:5173", "origin: https://evil.example" },
		  false, "", 400, "more than one Origin header" },
		{ "two Authorizations", { "Host: localhost", "Authorization: Bearer a", "AUTHORIZATION: Bearer b" },
		  false, "", 400, "more than one Authorization header" },
		{ "two Proxy-Authorizations", { "Host: localhost", "Proxy-Authorization: a", "Proxy-Authorization: a" },
		  false, "", 400, "more than one Proxy-Authorization header" },
		{ "one of each",
		  { "Host: localhost", "Origin: http://a.test", "Authorization: x", "Proxy-Authorization: y" },
		  false, "", 0, "" },
		{ "two Hosts, the first foreign", { "Host: evil.example", "Host: localhost" }, false, "", 400,
		  "more than one Host header" },
		{ "Host before the body limit", { "Host: evil.example", "Content-Length: 999999" }, false, "", 403,
		  "host not allowed" },
	};
	return cr_make_param_array(struct check_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct check_case *c, guard, check)
{
	char store[4][128];
	struct kv h[4];
	size_t n = 0;
	for (; n < 4 && c->headers[n][0]; n++) {
		snprintf(store[n], sizeof(store[n]), "%s", c->headers[n]);
		char *colon = strchr(store[n], ':');
		cr_assert_not_null(colon, "%s: no ':' in '%s'", c->what, c->headers[n]);
		*colon = '\0';
		h[n].name = store[n];
		h[n].value = colon + 1 + strspn(colon + 1, " ");
		h[n].len = strlen(h[n].value);
	}
	struct guard_refusal r = guard_check(&cfg, h, n, c->http10, c->authority[0] ? c->authority : NULL);
	cr_expect_eq(r.status, c->status, "%s: got %d (%s), expected %d", c->what, r.status,
		     r.reason ? r.reason : "passes", c->status);
	if (c->reason[0])
		cr_expect_str_eq(r.reason ? r.reason : "(none)", c->reason, "%s", c->what);
	else
		cr_expect_null(r.reason, "%s: a request that passes has no reason", c->what);
}

Test(guard, no_host_check_lets_any_host_through)
{
	struct guard_config open = { .host_check = false, .max_body = 10 };
	struct kv h[] = { { "Host", "evil.example", 12 }, { "Content-Length", "11", 2 } };
	cr_expect_eq(guard_check(&open, h, 1, false, NULL).status, 0, "bound to a public address, any Host goes");
	cr_expect_eq(guard_check(&open, h, 2, false, NULL).status, 413, "the body limit still holds");
}

/* ---- the request target ---- */

Test(guard, an_encoded_nul_in_the_target_is_refused)
{
	static const char *const bad[] = { "/hello%00/x", "/%00", "/a?q=%00", "/a?%00=1", "%00", "/ok%2F%00" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct guard_refusal r = guard_check_target(bad[i]);
		cr_expect_eq(r.status, 400, "'%s' got %d", bad[i], r.status);
		cr_expect_str_eq(r.reason ? r.reason : "(none)", "the request target holds an encoded NUL (%00)", "%s",
				 bad[i]);
	}
}

Test(guard, other_targets_pass)
{
	/* %2500 is "%00" as text, not a NUL; %0 and %0a are other bytes */
	static const char *const good[] = { "/", "/a%20b", "/a%2500", "/a%0", "/a%0a", "/100%", "/a?q=0%", "" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_expect_eq(guard_check_target(good[i]).status, 0, "'%s' refused", good[i]);
	cr_expect_eq(guard_check_target(NULL).status, 0, "no target: nothing to check");
	cr_expect_eq(guard_check_target("*").status, 0);
	cr_expect_eq(guard_check_target("http://example.com/x").status, 0, "absolute-form");
}

Test(guard, a_target_that_is_not_origin_form_is_refused)
{
	struct guard_refusal r = guard_check_target("x000/hello-url-matcher/");
	cr_expect_eq(r.status, 400);
	cr_expect_str_eq(r.reason, "the request target must start with '/' (RFC 9112 origin-form)");
	cr_expect_eq(guard_check_target("hello").status, 400);
}

/* ---- refusal bodies ---- */

/* The "error" member of the refusal's JSON body (asserts it is that one-member object). */
static char *error_of(const struct guard_refusal *r, const char *host)
{
	struct strbuf sb = STRBUF_INIT;
	guard_refusal_json(&cfg, r, host, &sb);
	cJSON *j = cJSON_Parse(strbuf_str(&sb));
	cr_assert_not_null(j, "not JSON: %s", strbuf_str(&sb));
	cr_assert_eq(cJSON_GetArraySize(j), 1, "more than error in %s", sb.buf);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
	cr_assert(cJSON_IsString(e), "no error string in %s", sb.buf);
	char *text = strdup(e->valuestring);
	cJSON_Delete(j);
	strbuf_release(&sb);
	return text;
}

Test(guard, refusal_json_400_is_the_reason)
{
	struct guard_refusal r = { 400, "missing Host header" };
	char *e = error_of(&r, NULL);
	cr_expect_str_eq(e, "missing Host header");
	free(e);
}

Test(guard, refusal_json_403_names_the_host_and_the_way_out)
{
	struct guard_refusal r = { 403, "host not allowed" };
	char *e = error_of(&r, "evil.example:8080");
	cr_expect_str_eq(e, "host 'evil.example:8080' is not allowed (DNS-rebinding defence); "
			    "start cannery with --allow-host NAME to accept it");
	free(e);
	e = error_of(&r, NULL);
	cr_expect_not_null(strstr(e, "host '' is not allowed"), "without a host: %s", e);
	free(e);
}

Test(guard, refusal_json_escapes_the_host)
{
	struct guard_refusal r = { 403, "host not allowed" };
	char *e = error_of(&r, "a\"b\\c");
	cr_expect_not_null(strstr(e, "host 'a\"b\\c' is not"), "the host comes back intact: %s", e);
	free(e);
}

Test(guard, refusal_json_413_names_the_limit)
{
	struct guard_refusal r = { 413, "request body too large" };
	char *e = error_of(&r, NULL);
	cr_expect_str_eq(e, "request body exceeds --max-body (1024 bytes)");
	free(e);
}
