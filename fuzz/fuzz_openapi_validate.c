/* SPDX-License-Identifier: MIT */
/* Fuzz target: requests against the operations of a compiled OpenAPI spec (openapi.c,
 * openapi_validate.c, openapi_respond.c): the request spelled in lines (fuzz_parse_request:
 * "M METHOD", "P /path", "Q name=value", "H name: value", "C name=value", "B" then body),
 * looked up in the spec's stubs, then validated and answered by the operation's handler.
 *
 * What must hold for any request: no crash, hang or leak; a refusal is a problem document
 * (JSON) with its status; an answer's status is one the operation declares or asked for. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "json.h"
#include "openapi.h"
#include "reply.h"
#include "request.h"
#include "respond.h"
#include "router.h"
#include "stub.h"
#include "util/arena.h"
#include "util/rng.h"

/* Every kind of parameter, body and security the validator knows, with references,
 * a recursive schema, a parameter inside a segment and several media types. */
static const char spec[] =
	"{\"openapi\": \"3.0.3\", \"info\": {\"title\": \"f\", \"version\": \"1\"},\n"
	" \"servers\": [{\"url\": \"/api\"}],\n"
	" \"paths\": {\n"
	"  \"/items/{id}\": {\"parameters\": [{\"name\": \"id\", \"in\": \"path\", \"required\": true,\n"
	"      \"schema\": {\"type\": \"integer\", \"minimum\": 1}}],\n"
	"   \"get\": {\"parameters\": [\n"
	"      {\"name\": \"q\", \"in\": \"query\", \"schema\": {\"type\": \"array\", \"items\": {\"type\": \"string\", \"enum\": [\"a\", \"b\"]}}},\n"
	"      {\"name\": \"f\", \"in\": \"query\", \"style\": \"deepObject\", \"schema\": {\"type\": \"object\"}},\n"
	"      {\"name\": \"j\", \"in\": \"query\", \"content\": {\"application/json\": {\"schema\": {\"type\": \"object\"}}}},\n"
	"      {\"name\": \"X-N\", \"in\": \"header\", \"schema\": {\"type\": \"number\", \"multipleOf\": 0.5}},\n"
	"      {\"name\": \"s\", \"in\": \"cookie\", \"required\": true, \"schema\": {\"type\": \"string\", \"pattern\": \"^[a-z]+$\"}}],\n"
	"     \"responses\": {\"200\": {\"description\": \"x\", \"headers\": {\"X-R\": {\"example\": 1}},\n"
	"        \"content\": {\"application/json\": {\"schema\": {\"$ref\": \"#/components/schemas/Node\"},\n"
	"            \"examples\": {\"a\": {\"value\": {\"name\": \"a\"}}}},\n"
	"          \"text/plain\": {\"example\": \"t\"}}},\n"
	"       \"4XX\": {\"description\": \"e\", \"content\": {\"application/problem+json\": {\"schema\": {\"type\": \"object\"}}}},\n"
	"       \"default\": {\"description\": \"d\"}}},\n"
	"   \"put\": {\"security\": [{\"k\": []}, {\"b\": [], \"k\": []}],\n"
	"     \"requestBody\": {\"required\": true, \"content\": {\n"
	"       \"application/json\": {\"schema\": {\"$ref\": \"#/components/schemas/Node\"}},\n"
	"       \"application/x-www-form-urlencoded\": {\"schema\": {\"type\": \"object\", \"required\": [\"n\"],\n"
	"          \"properties\": {\"n\": {\"type\": \"integer\"}, \"l\": {\"type\": \"array\", \"items\": {\"type\": \"boolean\"}}}}},\n"
	"       \"text/*\": {}}},\n"
	"     \"responses\": {\"204\": {\"description\": \"ok\"}}}},\n"
	"  \"/f/{a}.{b}\": {\"post\": {\"requestBody\": {\"content\": {\"*/*\": {\"schema\": {\"type\": \"string\"}}}},\n"
	"     \"responses\": {\"201\": {\"description\": \"x\", \"content\": {\"application/json\": {\"schema\": {\n"
	"        \"oneOf\": [{\"type\": \"integer\"}, {\"type\": \"string\", \"format\": \"date-time\"}]}}}}}}}},\n"
	" \"components\": {\n"
	"  \"schemas\": {\"Node\": {\"type\": \"object\", \"required\": [\"name\"], \"additionalProperties\": false,\n"
	"    \"properties\": {\"name\": {\"type\": \"string\", \"maxLength\": 8}, \"kids\": {\"type\": \"array\", \"maxItems\": 3,\n"
	"      \"items\": {\"$ref\": \"#/components/schemas/Node\"}}, \"n\": {\"type\": \"number\", \"nullable\": true}}}},\n"
	"  \"securitySchemes\": {\"k\": {\"type\": \"apiKey\", \"in\": \"query\", \"name\": \"key\"},\n"
	"    \"b\": {\"type\": \"http\", \"scheme\": \"basic\"}}}}\n";

static struct openapi_source *src;
static struct stub_group *group;
static struct router *router;
static struct rng rng;

static void fail(const char *what, const char *text)
{
	fprintf(stderr, "fuzz_openapi_validate: %s\n%.400s\n", what, text ? text : "");
	abort();
}

static void done(void)
{
	router_destroy(router);
	stub_group_unref(group);
	openapi_source_destroy(src);
}

int LLVMFuzzerInitialize(int *argc, char **argv[])
{
	(void)argc;
	(void)argv;
	const char *dir = fuzz_tmpdir("spec.json", spec, NULL);
	char path[512];
	snprintf(path, sizeof path, "%s/spec.json", dir);
	struct diag_list diags = DIAG_LIST_INIT;
	src = openapi_source_create(path, true, &diags);
	if (!src)
		fail("the spec does not load", diags.n ? diags.items[0].msg : "");
	diag_list_release(&diags);
	group = openapi_source_group(src);
	router = router_build((const struct stub *const *)group->stubs, group->n);
	rng_seed(&rng, 1);
	atexit(done);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
	if (!router)
		LLVMFuzzerInitialize(NULL, NULL);
	struct arena a;
	arena_init(&a);
	struct req_view v = { .method = "GET", .path = "/api/items/1", .arena = &a };
	static struct fuzz_request parts;
	memset(&parts, 0, sizeof parts);
	fuzz_parse_request((const char *)bytes, size, &v, &parts);
	struct params params = { NULL, 0 };
	const struct stub *s = router_lookup(router, &v, &params);
	if (s) {
		struct reply out = { 0 };
		out.status = s->resp.status;
		struct respond_ctx ctx = { { &v, &params, &rng, 1, 0 }, &a };
		s->resp.handler->respond(&s->resp, &ctx, &out);
		const char *body = out.shared ? out.shared->body : out.body;
		size_t len = out.shared ? out.shared->body_len : out.body_len;
		if (out.status < 100 || out.status > 599)
			fail("a status out of range", v.path);
		if (out.content_type && strcmp(out.content_type, "application/problem+json") == 0) {
			cJSON *j = json_parse(body, len, NULL);
			if (!cJSON_IsObject(j))
				fail("a problem document that is not a JSON object", body);
			cJSON_Delete(j);
		}
		reply_release(&out);
	}
	req_view_release(&v);
	arena_release(&a);
	return 0;
}
