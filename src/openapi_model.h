/* SPDX-License-Identifier: MIT */
/* The OpenAPI front-end's compiled form of a spec (SPEC section 9): every operation with
 * its parameters, request body, security and responses, each schema compiled once, each
 * response's default answer built once. Made by openapi_compile.c from an openapi_doc;
 * read by the response handler (openapi_respond.c), the request validator
 * (openapi_validate.c) and `check` (openapi_check.c). Immutable once compiled and shared
 * by reference: every stub made from it holds one. */
#pragma once
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "json.h"

struct arena;
struct jsonschema;
struct jsonschema_lib;
struct openapi_doc;
struct params;
struct reply_shared;
struct req_view;
struct strbuf;

enum oa_in {
	OA_IN_PATH,
	OA_IN_QUERY,
	OA_IN_HEADER,
	OA_IN_COOKIE,
};

struct oa_param {
	char *name;
	enum oa_in in;
	bool required;
	bool exploded_object;       /* a query object exploded or deepObject: its members, not a value */
	const struct jsonschema *schema;   /* NULL: any value */
	bool json;                  /* `content: application/json` instead of `schema`: the value is JSON text */
};

/** One media type a request body may have. */
struct oa_body_media {
	char *type;                 /* lower-case, as declared: "application/json", "application/ *" */
	const struct jsonschema *schema;   /* NULL: any body */
	bool is_json;               /* JSON or +json: parsed and validated */
	bool is_form;               /* application/x-www-form-urlencoded: fields validated */
};

/** A named example of a response media type (`Prefer: example=NAME`). */
struct oa_example {
	char *name;
	struct reply_shared *answer;
};

/** One media type of a response. */
struct oa_media {
	char *type;                 /* as declared */
	bool is_json;
	const struct jsonschema *schema;   /* NULL: none declared */
	/* the default answer: the example, or one built from the schema on first use (NULL
	 * until then: oa_media_answer) */
	_Atomic(struct reply_shared *) answer;
	struct oa_example *examples;
	size_t nexamples;
};

struct oa_header {
	char *name;
	char *value;                /* the example as text */
};

struct oa_response {
	char *code;                 /* "200", "2XX", "default" */
	int status;                 /* what is sent: the code, 200 for default, N00 for NXX */
	struct oa_media *media;
	size_t nmedia;
	struct oa_header *headers;
	size_t nheaders;
	struct reply_shared *empty; /* the answer without content (nmedia == 0) */
};

enum oa_scheme_kind {
	OA_SCHEME_API_KEY,          /* a named query parameter, header or cookie */
	OA_SCHEME_HTTP,             /* Authorization: SCHEME ... (basic, bearer, digest...) */
	OA_SCHEME_OAUTH,            /* oauth2, openIdConnect: a bearer token */
	OA_SCHEME_ANY,              /* mutualTLS and unknown types: nothing to check */
};

struct oa_scheme {
	char *name;                 /* the key under components/securitySchemes */
	enum oa_scheme_kind kind;
	enum oa_in in;              /* API_KEY */
	char *param;                /* API_KEY: the parameter's name */
	char *http_scheme;          /* HTTP: "Basic", "Bearer" (capitalised as sent) */
	char *challenge;            /* the WWW-Authenticate value of a 401 */
};

/** Credentials an operation accepts: any one alternative, each needing all its schemes. */
struct oa_security {
	const struct oa_scheme ***alts;    /* alts[i][0..nalt[i]) */
	size_t *nalt;
	size_t n;                   /* 0: no credentials needed */
};

struct oa_op {
	struct oa_spec *spec;       /* the owner */
	char *method;               /* upper case */
	char *path;                 /* the path template served, the servers prefix included */
	char *id;                   /* the stub id: "openapi:" operationId, or "openapi:GET /path" */
	const cJSON *node;          /* the operation object, for messages */
	struct oa_param *params;
	size_t nparams;
	bool has_body;              /* requestBody declared */
	bool body_required;
	struct oa_body_media *body;
	size_t nbody;
	struct oa_security security;
	struct oa_response *responses;
	size_t nresponses;
	size_t chosen;              /* the response served without `Prefer: code=` */
	char **group_names;         /* a path served as a regex: capture group gN is names[N] */
	size_t ngroups;
};

/** A path of the spec: its operations' methods, for the 405 of another method. */
struct oa_path {
	struct oa_spec *spec;
	char *path;                 /* with the servers prefix */
	char *allow;                /* "GET, POST" */
	struct reply_shared *answer;       /* the 405 */
	bool regex;                 /* the path has a parameter inside a segment */
};

struct oa_spec {
	atomic_uint refs;
	char *file;
	bool validate;              /* --no-validate turns it off */
	struct openapi_doc *doc;
	bool oas31;
	char *prefix;               /* the path of servers[0].url, without a trailing '/'; "" */
	struct oa_op *ops;
	size_t nops;
	struct oa_path *paths;
	size_t npaths;
	struct oa_scheme *schemes;
	size_t nschemes;
	struct jsonschema_lib *lib;        /* every schema, compiled once (NULL: none yet) */
};

/** Compiles doc (taken over: freed with the spec) as an OpenAPI 3.0/3.1 document read from
 *  file. Returns the spec (one reference), or NULL with FILE:LINE:COLUMN problems appended
 *  to diags. validate: whether requests are validated (the handler reads it). */
struct oa_spec *oa_spec_compile(struct openapi_doc *doc, const char *file, bool validate, struct diag_list *diags);
struct oa_spec *oa_spec_ref(struct oa_spec *s);
/** Drops a reference; the last frees the spec. NULL does nothing. */
void oa_spec_unref(struct oa_spec *s);

/** The default answer of media type m of response r: the example, or a body built from
 *  the schema, built by the first request that needs it and kept. Borrowed from m. Any
 *  thread. */
struct reply_shared *oa_media_answer(const struct oa_response *r, struct oa_media *m);

/** The response of op for this status code: exact, else its NXX range, else NULL. */
const struct oa_response *oa_op_response(const struct oa_op *op, int status);

/** One problem of a request, as the 422's `errors` show it. */
struct oa_problem {
	const char *location;       /* "query.limit", "body.items.0.qty", "body" (in the arena) */
	const char *message;
};

/** What validation found, in the order a client should fix it. */
enum oa_verdict {
	OA_VALID,
	OA_UNAUTHORIZED,            /* 401: credentials security asks for are missing */
	OA_UNSUPPORTED_MEDIA,       /* 415 */
	OA_MALFORMED,               /* 400: the body is not well-formed JSON */
	OA_INVALID,                 /* 422 */
};

/** Most problems one answer lists. */
#define OA_MAX_PROBLEMS 20

/** Validates req (its path captures in params) against op: security first, then the
 *  parameters, the Content-Type and the body. Fills p[0..*n) (at most OA_MAX_PROBLEMS;
 *  strings in a) and returns the verdict; for OA_UNAUTHORIZED, *scheme is the scheme
 *  whose challenge goes in WWW-Authenticate. Any thread. */
enum oa_verdict oa_validate(const struct oa_op *op, struct req_view *req, const struct params *params,
			    struct arena *a, struct oa_problem *p, size_t *n, const struct oa_scheme **scheme);

/** A problem document (application/problem+json) with status, title and detail (and the
 *  errors when n > 0), as text in out. */
void oa_problem_json(struct strbuf *out, int status, const char *title, const char *detail,
		     const struct oa_problem *p, size_t n);
