/* SPDX-License-Identifier: MIT */
/* wiremock_template: WireMock 3.13's Handlebars templates rendered against a fixed request,
 * clock and seed; the expected texts are what the WireMock 3.13.2 jar answered. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "util/rng.h"
#include "util/strbuf.h"

#include "testutil.h"
#include "wiremock_template.h"

/* 2026-12-07T14:30:00.123Z, a Monday */
#define NOW_MS 1796653800123LL

static struct req rq;
static struct params params;
static struct rng rng;
static int64_t now_ms;
static struct kv captures[] = {
	{ "id", "4%202", 5 },
};
static const char body[] = "{\"a\":\"x\\u00e9/y\",\"n\":10,\"d\":1.5,\"f\":10.0,\"t\":true,\"nul\":null,"
			   "\"obj\":{\"k\":1,\"z\":null,\"arr\":[1,2,{\"q\":\"w\"}],\"e\":{},\"ea\":[]},"
			   "\"arr\":[\"x\",\"y/z\",1.5,null,{\"m\":1}],\"s\":\"<&>\"}";

static void setup(void)
{
	/* the JVM's default zone for patterns without a timezone: this process's */
	setenv("TZ", "UTC", 1);
	req_init(&rq, "POST", "/a b/c//d");
	rq.v.target = "/a%20b/c//d?y=a+b&y=2&y=3&e=&h=%3Ca%3E&a+b=sp";
	req_query(&rq, "y", "a b");
	req_query(&rq, "y", "2");
	req_query(&rq, "y", "3");
	req_query(&rq, "e", "");
	req_query(&rq, "h", "<a href=\"x\">&'`=");
	req_query(&rq, "a b", "sp");
	req_header(&rq, "Host", "example.com:8080");
	req_header(&rq, "X-Foo", "foo");
	req_header(&rq, "X-Multi", "one");
	req_header(&rq, "X-Multi", "two");
	req_header(&rq, "Content-Type", "application/json");
	req_cookie(&rq, "sid", "abc");
	req_cookie(&rq, "two", "1");
	req_cookie(&rq, "two", "2");
	req_body(&rq, body);
	params.items = NULL;
	params.n = 0;
	rng_seed(&rng, 42);
	now_ms = NOW_MS;
}

static void teardown(void)
{
	kept_release();
	req_fini(&rq);
}

TestSuite(wm_template, .init = setup, .fini = teardown);

static const char *render(const char *src)
{
	struct tpl_error err;
	struct tpl *t = wm_template_compile(src, strlen(src), &err);
	cr_assert_not_null(t, "'%s' does not compile: %s at %zu", src, err.msg, err.offset);
	struct render_ctx c = { &rq.v, &params, &rng, 1, now_ms };
	struct strbuf sb = STRBUF_INIT;
	tpl_render(t, &c, &sb);
	tpl_destroy(t);
	return keep(strbuf_detach(&sb, NULL));
}

static void expect(const char *src, const char *want)
{
	const char *got = render(src);
	cr_expect_str_eq(got, want, "'%s' rendered '%s', want '%s'", src, got, want);
}

/* A compile error at offset whose message holds `part`. */
static void expect_error(const char *src, size_t offset, const char *part)
{
	struct tpl_error err;
	struct tpl *t = wm_template_compile(src, strlen(src), &err);
	cr_expect_null(t, "'%s' compiled", src);
	if (t) {
		tpl_destroy(t);
		return;
	}
	cr_expect_eq(err.offset, offset, "'%s': error at %zu, want %zu (%s)", src, err.offset, offset, err.msg);
	cr_expect(strstr(err.msg, part) != NULL, "'%s': message '%s' lacks '%s'", src, err.msg, part);
	cr_expect(err.msg[0] && err.msg[strlen(err.msg) - 1] != '.', "message ends in a period: %s", err.msg);
}

static void expect_shape(const char *src, const char *re)
{
	const char *got = render(src);
	cr_expect(re_matches(re, got), "'%s' rendered '%s', not /%s/", src, got, re);
}

/* ---- WireMock's split: literal head and tail ---- */

Test(wm_template, text_without_mustaches_is_literal)
{
	expect("", "");
	expect("plain { } text", "plain { } text");
	expect("a {{request.path", "a {{request.path");        /* no "}}": all literal */
	expect("x}}{{y", "x}}{{y");                             /* "}}" right before "{{" */
	expect("{{request.method}} {{", "POST {{");             /* after the last "}}": literal */
	expect("}} {{request.method}}", "}} POST");             /* before the first "{{": literal */
	expect("\\{{request.method}}", "\\POST");               /* the head's backslash escapes nothing */
	expect("{{request.method}} }} {{request.method}}", "POST }} POST");
}

/* ---- the request model ---- */

Test(wm_template, url_path_and_segments)
{
	expect("{{request.url}}", "/a%20b/c//d?y=a+b&y=2&y=3&e=&h=%3Ca%3E&a+b=sp");
	expect("{{request.path}}|{{request.pathSegments}}", "/a b/c//d|/a b/c//d");
	expect("{{request.pathSegments.[0]}}|{{request.pathSegments.[1]}}|{{request.pathSegments.[2]}}|"
	       "[{{request.pathSegments.[3]}}]",
	       "a b|c|d|[]");
	expect("{{request.path.[1]}}|{{request.path.1}}|{{request.pathSegments.0}}|[{{request.path.[-1]}}]", "c|c|a b|[]");
	expect("[{{request.path.[1].[0]}}][{{request.path.nope}}]", "[][]");
}

Test(wm_template, url_path_template_parameters)
{
	/* with path parameters WireMock shows the path as received (TemplatedUrlPath) */
	params.items = captures;
	params.n = 1;
	rq.v.target = "/p/4%202/x?q=1";
	rq.v.path = "/p/4 2/x";
	expect("{{request.path.id}}|{{request.path}}|{{request.path.[0]}}|{{request.path.[1]}}|{{request.url}}",
	       "4%202|/p/4%202/x|p|4%202|/p/4%202/x?q=1");
	params.n = 0;
	expect("[{{request.path.id}}]|{{request.path}}|{{request.path.[1]}}", "[]|/p/4 2/x|4 2");
}

Test(wm_template, query_parameters)
{
	expect("{{request.query.y}}|{{request.query.y.[1]}}|{{request.query.y.1}}|{{request.query.[y]}}", "a b|2|2|a b");
	/* ListOrSingle.get: -1 is the one before the last */
	expect("{{request.query.y.[-1]}}|{{request.query.y.-1}}|[{{request.query.y.[-5]}}]|[{{request.query.y.[5]}}]",
	       "2|2|[]|[]");
	expect("[{{request.query.e}}][{{request.query.nope}}]|{{request.query.[a b]}}|{{request.query.y.[01]}}",
	       "[][]|sp|2");
	expect("[{{request.query.y.foo}}][{{request.query.y.[0].x}}]", "[][]");
}

Test(wm_template, headers_and_cookies)
{
	expect("{{request.headers.X-Foo}}|{{request.headers.[X-Foo]}}|{{request.headers.x-foo}}|"
	       "{{request.headers.[content-type]}}",
	       "foo|foo|foo|application/json");
	expect("{{request.headers.X-Multi}}|{{request.headers.X-Multi.[1]}}|{{request.headers.X-Foo.0}}|"
	       "[{{request.headers.X-Foo.[-1]}}][{{request.headers.nope}}]",
	       "one|two|foo|[][]");
	expect("{{request.cookies.sid}}|[{{request.cookies.SID}}]|{{request.cookies.two}}|{{request.cookies.two.[1]}}",
	       "abc|[]|1|2");
}

static void set_host(const char *value)
{
	rq.headers[0].value = value;
	rq.headers[0].len = strlen(value);
}

Test(wm_template, method_body_host_port_scheme)
{
	expect("{{request.method}}|{{request.scheme}}", "POST|http");
	expect("{{request.body}}", body);
	expect("{{request.host}}|{{request.port}}|{{request.baseUrl}}", "example.com|8080|http://example.com:8080");
	set_host("example.com");
	expect("{{request.host}}|{{request.port}}|{{request.baseUrl}}", "example.com|80|http://example.com");
	set_host("example.com:080");
	expect("{{request.port}}|{{request.baseUrl}}", "80|http://example.com");
	set_host("[::1]:9000");
	expect("{{request.host}}|{{request.port}}|{{request.baseUrl}}", "[::1]|9000|http://[::1]:9000");
}

/* over TLS (SPEC section 12): the scheme, 443 as the default port, and a baseUrl that
 * leaves out :443 but not :80 */
Test(wm_template, scheme_port_and_base_url_over_https)
{
	rq.v.https = true;
	expect("{{request.scheme}}|{{request.port}}|{{request.baseUrl}}", "https|8080|https://example.com:8080");
	set_host("localhost");
	expect("{{request.port}}|{{request.baseUrl}}", "443|https://localhost");
	set_host("localhost:443");
	expect("{{request.port}}|{{request.baseUrl}}", "443|https://localhost");
	set_host("localhost:80");
	expect("{{request.port}}|{{request.baseUrl}}", "80|https://localhost:80");
}

Test(wm_template, unknown_names_render_empty)
{
	expect("[{{foo}}][{{request.foo}}][{{parameters.x}}][{{request.foo.bar}}][{{@index}}]", "[][][][][]");
	expect("[{{now.x}}][{{request.url.[0]}}][{{request.method.foo}}]", "[][][]");
}

Test(wm_template, path_forms_and_whitespace)
{
	expect("{{ request.method }}|{{request.method }}|{{\n\trequest.method\n}}", "POST|POST|POST");
	expect("{{request/method}}|{{[request].method}}|{{request.[query].y}}", "POST|POST|a b");
}

/* ---- escaping, comments, whitespace control ---- */

Test(wm_template, no_html_escaping)
{
	/* WireMock 3 turns Handlebars' HTML escaping off: all three forms agree */
	expect("{{request.query.h}} {{{request.query.h}}} {{& request.query.h}} {{~{request.query.h}~}}",
	       "<a href=\"x\">&'`= <a href=\"x\">&'`= <a href=\"x\">&'`=<a href=\"x\">&'`=");
}

Test(wm_template, comments_and_escapes)
{
	expect("a{{! comment }}b{{!-- x }} --}}c", "abc");
	expect("a\n{{! c }}\nb", "a\n\nb");
	expect("{{request.method}}{{! a ~ b }} c", "POST c");    /* a comment trims nothing */
	expect("{{request.method}}\\{{request.path}}", "POST{{request.path}}");
	expect("{{request.method}}\\{{ a }} b {{request.method}}", "POST{{ a }} b POST");
	expect("{{request.method}}\\\\{{request.path}}", "POST\\{{request.path}}");
	expect("{{request.method}} \\ {{request.method}}", "POST \\ POST");
}

Test(wm_template, whitespace_control)
{
	expect("{{request.method}} x {{~request.method}}", "POST xPOST");
	expect("{{request.method}} \n {{~request.method}} \n {{request.method~}} \n x", "POSTPOST \n POST \n x");
	expect("{{request.method~}} \n y {{request.method}}", "POSTy POST");
	expect("{{request.method}} {{~request.method~}} x", "POSTPOST x");   /* " x" is the literal tail */
	/* handlebars.java leaves the text right after an escape alone */
	expect("{{request.method}} \\{{x}} y {{~request.method}}", "POST {{x}} y POST");
	expect("{{request.method~}} \\{{x}} {{request.method}}", "POST{{x}} POST");
}

/* ---- now ---- */

Test(wm_template, now_default_form)
{
	expect("{{now}}", "2026-12-07T14:30:00Z");
	expect("{{now timezone='Europe/Paris'}}|{{now timezone='+01:00'}}|{{now timezone='America/New_York'}}",
	       "2026-12-07T15:30:00+01:00|2026-12-07T15:30:00+01:00|2026-12-07T09:30:00-05:00");
	expect("{{now timezone='UTC+01:00'}}|{{now timezone='UT'}}|{{now timezone='GMT0'}}|{{now timezone='+1'}}",
	       "2026-12-07T14:30:00Z|2026-12-07T14:30:00Z|2026-12-07T14:30:00Z|2026-12-07T15:30:00+01:00");
	now_ms = 1782896703007LL;       /* 2026-07-01T09:05:03.007Z: summer time */
	expect("{{now timezone='Europe/Paris'}}", "2026-07-01T11:05:03+02:00");
}

Test(wm_template, now_formats)
{
	expect("{{now format='yyyy-MM-dd HH:mm:ss.SSS EEE EEEE a z zzzz Z X XX XXX' timezone='UTC'}}",
	       "2026-12-07 14:30:00.123 Mon Monday PM UTC Coordinated Universal Time +0000 Z Z Z");
	expect("{{now format='y yy yyy yyyyy M MM MMM MMMM d dd D DDDD u F G GGGG L LLLL'}}",
	       "2026 26 2026 02026 12 12 Dec December 7 07 341 0341 1 1 AD AD 12 December");
	expect("{{now format='h hh K k H a S SSSS' offset='-14 hours'}}", "12 12 0 24 0 AM 123 0123");
	expect("{{now format=\"yyyy-MM-dd'T'HH:mm:ss''Z\" timezone='GMT'}}", "2026-12-07T14:30:00'+0000");
	expect("{{now format=\"''''\"}}|{{now format=\"'It''s' H\"}}|[{{now format=''}}]", "''|It's 14|[]");
	expect("{{now format='yyyy \\'x\\''}}|{{now format='\\'a\\nb\\''}}", "2026 x|a\\nb");
	expect("{{now format='epoch'}}|{{now format='unix'}}|{{now format='epoch' timezone='Europe/Paris'}}",
	       "1796653800123|1796653800|1796653800123");
}

Test(wm_template, now_zone_names)
{
	expect("{{now timezone='America/New_York' format='z Z X XX XXX'}}", "EST -0500 -05 -0500 -05:00");
	expect("{{now timezone='Asia/Kolkata' format='z Z XXX'}}|{{now timezone='Australia/Sydney' format='z'}}",
	       "IST +0530 +05:30|AEDT");
	expect("{{now timezone='GMT' format='z zzzz'}}|{{now timezone='Z' format='z'}}|{{now timezone='Etc/UTC' format='z zzzz'}}",
	       "GMT Greenwich Mean Time|UTC|UTC Coordinated Universal Time");
	expect("{{now timezone='+01:30' format='z zzzz X XX XXX Z'}}|{{now timezone='-00:30' format='X'}}",
	       "GMT+01:30 GMT+01:30 +01 +0130 +01:30 +0130|-00");
	/* ids java.util.TimeZone does not know fall back to GMT */
	expect("{{now format='z' timezone='UTC+01:00'}}|{{now timezone='+05:30:15' format='Z XXX z'}}|"
	       "{{now timezone='GMT+1' format='z Z'}}|{{now timezone='Etc/GMT+5' format='z'}}",
	       "GMT|+0000 Z GMT|GMT+01:00 +0100|GMT-05:00");
}

Test(wm_template, now_uses_the_local_zone_for_patterns)
{
	setenv("TZ", "Europe/Paris", 1);
	expect("{{now format='HH:mm z'}}|{{now}}", "15:30 CET|2026-12-07T14:30:00Z");
}

Test(wm_template, now_offsets)
{
	expect("{{now offset='3 days'}}|{{now offset='-1 seconds'}}|{{now offset='10 minutes'}}|{{now offset='2 hours'}}",
	       "2026-12-10T14:30:00Z|2026-12-07T14:29:59Z|2026-12-07T14:40:00Z|2026-12-07T16:30:00Z");
	expect("{{now offset='now +5 years'}}|{{now offset='now -1 months'}}|{{now offset='3 Days'}}|{{now offset='+3 days'}}",
	       "2031-12-07T14:30:00Z|2026-11-07T14:30:00Z|2026-12-10T14:30:00Z|2026-12-10T14:30:00Z");
	expect("{{now offset='now'}}|{{now offset='NOW'}}|{{now offset=' 3 days'}}|{{now offset='3 days  '}}",
	       "2026-12-07T14:30:00Z|2026-12-07T14:30:00Z|2026-12-10T14:30:00Z|2026-12-10T14:30:00Z");
	now_ms = 1706745599999LL;       /* 2024-01-31T23:59:59.999Z */
	expect("{{now offset='1 months'}}|{{now offset='1 months' format='epoch'}}", "2024-02-29T23:59:59Z|1709251199999");
	now_ms = 1709208000000LL;       /* 2024-02-29T12:00:00Z */
	expect("{{now offset='1 years'}}|{{now offset='-4 years'}}", "2025-02-28T12:00:00Z|2020-02-29T12:00:00Z");
	expect("{{now offset='-1 days' format='yyyy-MM-dd' timezone='America/New_York'}}", "2024-02-28");
}

/* ---- randomValue ---- */

Test(wm_template, random_values)
{
	expect_shape("{{randomValue length=10 type='ALPHANUMERIC'}}", "[a-z0-9]{10}");
	expect_shape("{{randomValue length=10 type='ALPHANUMERIC' uppercase=true}}", "[A-Z0-9]{10}");
	expect_shape("{{randomValue length=8 type='ALPHABETIC'}}", "[a-z]{8}");
	expect_shape("{{randomValue length=8 type='NUMERIC'}}", "[0-9]{8}");
	expect_shape("{{randomValue length=40 type='ALPHANUMERIC_AND_SYMBOLS'}}", "[!-@\\[-}]{40}");
	expect_shape("{{randomValue length=8 type='HEXADECIMAL'}}", "[0-9a-f]{8}");
	expect_shape("{{randomValue length=8 type='HEXADECIMAL' uppercase=true}}", "[0-9A-F]{8}");
	expect_shape("{{randomValue type='UUID'}}", "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
	expect_shape("{{randomValue type='UUID' uppercase=true length=3}}",
		     "[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}");
	expect_shape("{{randomValue}}", "[a-z0-9]{36}");
	expect_shape("{{randomValue length=40 type='numeric'}}", "[ -@\\[-~]{40}");   /* any other type: ASCII */
	expect_shape("{{randomValue length = 05 type='NUMERIC' unknown='x'}}", "[0-9]{5}");
	expect("[{{randomValue length=0}}]", "[]");
}

Test(wm_template, random_values_follow_the_seed)
{
	const char *a = render("{{randomValue length=20}}{{randomValue type='UUID'}}");
	rng_seed(&rng, 42);
	cr_expect_str_eq(render("{{randomValue length=20}}{{randomValue type='UUID'}}"), a);
	cr_expect_str_neq(render("{{randomValue length=20}}{{randomValue type='UUID'}}"), a);
}

/* ---- jsonPath ---- */

Test(wm_template, json_path_values)
{
	expect("{{jsonPath request.body '$.a'}}|{{jsonPath request.body '$.n'}}|{{jsonPath request.body '$.d'}}|"
	       "{{jsonPath request.body '$.f'}}|{{jsonPath request.body '$.t'}}|{{jsonPath request.body '$.s'}}",
	       "x\xc3\xa9/y|10|1.5|10.0|true|<&>");
	expect("[{{jsonPath request.body '$.nul'}}][{{jsonPath request.body '$.missing'}}]"
	       "[{{jsonPath request.body '$.missing.deep'}}]",
	       "[][][]");
	expect("{{jsonPath request.body '$.arr[1]'}}|{{jsonPath request.body '$.obj.arr[2].q'}}|"
	       "{{jsonPath request.body \"$.arr[4].m\"}}",
	       "y/z|w|1");
	/* an array as json-smart prints it, an object as Jackson's pretty printer (nulls left out) */
	expect("{{jsonPath request.body '$.arr'}}", "[\"x\",\"y\\/z\",1.5,null,{\"m\":1}]");
	expect("{{jsonPath request.body '$.obj'}}",
	       "{\n  \"k\" : 1,\n  \"arr\" : [ 1, 2, {\n    \"q\" : \"w\"\n  } ],\n  \"e\" : { },\n  \"ea\" : [ ]\n}");
}

Test(wm_template, json_path_defaults_and_bodies)
{
	rq.v.body = "{\"a\":null,\"n\":5,\"e\":\"\"}";
	rq.v.body_len = strlen(rq.v.body);
	expect("{{jsonPath request.body '$.a' default='dflt'}}|{{jsonPath request.body '$.b.c' default='dflt'}}|"
	       "{{jsonPath request.body '$.n' default='dflt'}}|[{{jsonPath request.body '$.e' default='x'}}]",
	       "dflt|dflt|5|[]");
	expect("{{jsonPath request.body '$.a' default=5}}|{{jsonPath request.body '$.a' default=true}}|"
	       "{{jsonPath request.body '$.a' default=1.50}}|{{jsonPath request.body '$.a' default=007}}",
	       "5|true|1.5|7");
	req_view_release(&rq.v);
	rq.v.body = NULL;
	rq.v.body_len = 0;
	expect("[{{jsonPath request.body '$.a' default='x'}}]", "[]");     /* no body: empty before any default */
	rq.v.body = "not json";
	rq.v.body_len = 8;
	expect("[{{jsonPath request.body '$.a'}}][{{jsonPath request.body '$.a' default='d'}}]", "[][d]");
}

Test(wm_template, json_path_duplicate_keys_fall_back_to_cjson)
{
	rq.v.body = "{\"a\":1.0,\"a\":2}";
	rq.v.body_len = strlen(rq.v.body);
	/* the exact reader refuses it; cJSON's tree takes the first and cannot tell 1.0 from 1 */
	expect("{{jsonPath request.body '$.a'}}", "1");
}

/* ---- errors ---- */

Test(wm_template, unsupported_helpers_and_blocks)
{
	expect_error("x {{math 1 '+' 2}}", 4, "helper 'math' is not supported");
	expect_error("{{#if request.query.x}}yes{{/if}}", 0, "block helper 'if'");
	expect_error("{{~#each request.query}}{{/each}}", 0, "block helper 'each'");
	expect_error("{{^x}}{{/x}}", 0, "inverted block");
	expect_error("{{> partial}}", 0, "a partial 'partial'");
	expect_error("{{{{raw}}}} x {{{{/raw}}}}", 0, "raw block");
	expect_error("{{=<% %>=}}", 0, "delimiters");
	expect_error("a {{hostname}}", 4, "helper 'hostname'");
	expect_error("{{request.method}}{{else}}", 20, "'else' outside a block");
	expect_error("{{parseJson request.body}}", 2, "helper 'parseJson'");
	expect_error("{{upper request.path}}", 2, "helper 'upper'");
	expect_error("{{now (upper 'x')}}", 6, "subexpressions");
	expect_error("{{*inline}}", 2, "decorators");
}

Test(wm_template, wiremock_failures_are_load_errors)
{
	expect_error("{{foo 'x'}}", 2, "could not find helper");
	expect_error("{{request.path 'x'}}", 2, "could not find helper");
	expect_error("{\"n\": {{request.method}}}", 22, "'}}}' closes a '{{'");
	expect_error("{{{request.method}}", 17, "'}}' closes a '{{{'");
	expect_error("{{{request.method}}}}", 17, "'}}}}'");
	expect_error("{{y {{request.path}}", 4, "unexpected '{'");
	expect_error("{{   }}", 0, "empty expression");
	expect_error("{{request.method}}\\{{{a}}} {{request.method}}", 18, "'\\{{' escapes");
	expect_error("{{request.method}} \\{{x {{request.path}}", 19, "'\\{{' escapes");
	expect_error("}} {{", 0, "'}}' before the first '{{'");
	expect_error("{{now format='a' 'x'}}", 17, "positional argument");
	expect_error("{{'x'}}", 2, "expected a name");
	expect_error("{{now format='a}}", 13, "unterminated string");
	expect_error("{{request.method}} {{!-- c --~}} x {{request.method}}", 19, "unclosed comment");
	expect_error("{{{request.method}~}}} x", 21, "ambiguous");
}

Test(wm_template, unsupported_request_parts)
{
	expect_error("{{request}}", 2, "renders a Java object");
	expect_error("{{request.query}}", 2, "'request.query' renders a Java map");
	expect_error("{{request.headers}}", 2, "'request.headers' renders a Java map");
	expect_error("{{request.id}}", 2, "'request.id' is not supported");
	expect_error("{{request.clientIp}}", 2, "'request.clientIp'");
	expect_error("{{request.getUrl}}", 2, "the Java method 'getUrl' of 'request'");
	expect_error("{{request.query.y.size}}", 2, "Java member");
	expect_error("{{request.url.length}}", 2, "Java member");
	expect_error("{{this}}", 2, "'this'");
	expect_error("{{../request.path}}", 2, "relative path");
	expect_error("{{request.path.[01]}}", 2, "plain number");
	expect_error("{{requestCache}}", 2, "requestCache");
}

Test(wm_template, bad_helper_arguments)
{
	expect_error("{{randomValue length='5'}}", 21, "'length' of 'randomValue'");
	expect_error("{{randomValue length=1.5}}", 21, "whole number");
	expect_error("{{randomValue length=-1}}", 21, "whole number");
	expect_error("{{randomValue length=70000}}", 21, "65536");
	expect_error("{{randomValue uppercase='true'}}", 24, "true or false");
	expect_error("{{randomValue type=UUID}}", 19, "quoted string");
	expect_error("{{now format=yyyy}}", 13, "quoted string");
	expect_error("{{now offset='3 weeks'}}", 16, "offset unit 'weeks'");
	expect_error("{{now offset='3days'}}", 14, "not '<amount> <unit>'");
	expect_error("{{now offset='3  days'}}", 16, "offset amount ''");
	expect_error("{{now offset='x days'}}", 14, "offset amount 'x'");
	expect_error("{{now offset=''}}", 14, "not '<amount> <unit>'");
	expect_error("{{now offset='1000000 years'}}", 14, "100000 years");
	expect_error("{{now timezone='Bad/Zone'}}", 16, "unknown time zone 'Bad/Zone'");
	expect_error("{{now timezone='utc'}}", 16, "unknown time zone 'utc'");
	expect_error("{{now timezone='PST'}}", 16, "unknown time zone");
	expect_error("{{now timezone='EST'}}", 16, "unknown time zone");
	expect_error("{{now timezone=''}}", 16, "unknown time zone");
	expect_error("{{now timezone='+19:00'}}", 16, "offset");
	expect_error("{{now format='yyyy-MM-ddTHH'}}", 24, "illegal pattern character 'T'");
	expect_error("{{now format='Q'}}", 14, "illegal pattern character 'Q'");
	expect_error("{{now format=\"'abc\"}}", 14, "unterminated quote");
	expect_error("{{now format='w'}}", 14, "week-based");
	expect_error("{{now format='XXXX'}}", 14, "'X' repeated 4 times");
	expect_error("{{now format='zzzz' timezone='Europe/Paris'}}", 14, "'zzzz'");
	expect_error("{{now format='z' timezone='America/Sao_Paulo'}}", 14, "numeric abbreviations");
}

Test(wm_template, json_path_forms)
{
	expect_error("{{jsonPath request.body}}", 2, "{{jsonPath request.body '$.path'}}");
	expect_error("{{jsonPath request.query.x '$.a'}}", 2, "{{jsonPath request.body '$.path'}}");
	expect_error("{{jsonPath request.body '$..a'}}", 27, "only $.a.b[0].c");
	expect_error("{{jsonPath request.body '$[\\'a\\']'}}", 26, "only $.a.b[0].c");
	expect_error("{{jsonPath request.body '$.a[*]'}}", 28, "only $.a.b[0].c");
	expect_error("{{jsonPath request.body 'a'}}", 25, "only $.a.b[0].c");
	expect_error("{{jsonPath request.body '$.0'}}", 27, "only $.a.b[0].c");
	expect_error("{{jsonPath request.body '$.a' default=request.path}}", 38, "'default' of 'jsonPath'");
}
