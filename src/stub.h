/* SPDX-License-Identifier: MIT */
/* The stub model: what a stub file means once loaded, and the immutable, refcounted
 * groups that own stubs. Built by the loaders (front-ends), read by everything after them;
 * never changed once built. The served set of stubs is stub_set.h. */
#pragma once
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"

struct arena;
struct jsonpath;
struct regex;
struct reply;
struct respond_ctx;
struct stub_response;
struct strpool;
struct tpl;

/**
 * A response handler: produces the reply of one stub response for one request. The
 * built-in ones (canned, template, fault) are in respond.h; a front-end may bring its own
 * (a CRUD resource, a schema-generated body, a proxy). Handlers are immutable and shared.
 */
struct responder {
	const char *kind;           /* "canned", "template", ...: for messages and the docs */
	/* The reply is the stub response's status, headers and body as loaded, the same for
	 * every request: the HTTP adapter may serve a prebuilt copy without calling respond. */
	bool fixed;
	/* Fills out (status preset to sr->status; CORS and the delay are added after). Any
	 * thread, any number at once: it must not change sr or handler_data. */
	void (*respond)(const struct stub_response *sr, struct respond_ctx *ctx, struct reply *out);
	/* Frees handler_data with the response; NULL when the handler keeps none. */
	void (*release)(void *handler_data);
};

enum match_op {
	MATCH_EQUALS,
	MATCH_CONTAINS,
	MATCH_PREFIX,
	MATCH_SUFFIX,
	MATCH_REGEX,
	MATCH_ONE_OF,
	MATCH_PRESENT,
	MATCH_NOT,
	MATCH_ANY,               /* one of several matchers (WireMock's `or`) */
	MATCH_JSON,              /* the value parses as JSON equal to a value (WireMock's equalToJson) */
};

/** How MATCH_JSON and BODY_JSON compare: WireMock's equalToJson options. */
struct json_compare {
	bool ignore_array_order;    /* arrays as multisets */
	bool ignore_extra;          /* extra object members and array items of the actual value pass */
};

/** One operation of a matcher mapping, e.g. `prefix: "Bearer "`. */
struct match_clause {
	enum match_op op;
	char *text;              /* EQUALS, CONTAINS, PREFIX, SUFFIX: the operand; REGEX: its source */
	struct regex *re;        /* REGEX: compiled (with ignore_case folded in) */
	char **list;             /* ONE_OF: the allowed values */
	size_t nlist;
	bool present;            /* PRESENT: true = must be there, false = must be absent */
	struct matcher *inner;   /* NOT: the negated matcher */
	struct matcher *alts;    /* ANY: holds when one of these does */
	size_t nalts;
	cJSON *json;             /* JSON: the expected value; owned */
	struct json_compare cmp; /* JSON */
};

/** A matcher: every clause must hold. A scalar in YAML is one MATCH_EQUALS clause. */
struct matcher {
	struct match_clause *clauses;
	size_t n;
	bool ignore_case;        /* applies to EQUALS..ONE_OF (REGEX is compiled caseless) */
};

/** A matcher bound to a name: a query parameter, header, cookie, form field or JSON path. */
struct named_matcher {
	char *name;              /* headers: stored lower-case */
	struct matcher m;
	int line, col;           /* where the name stands in the file, 1-based */
};

enum body_kind {
	BODY_NONE,               /* no body condition */
	BODY_RAW,                /* matcher on the raw body text */
	BODY_JSON,               /* body parses as JSON equal to json */
	BODY_JSON_PARTIAL,       /* every key of json present with a matching value */
	BODY_JSON_PATH,          /* fields: DOTTED.PATH -> matcher */
	BODY_FORM,               /* fields: form field -> matcher */
	BODY_JSONPATH,           /* a JSONPath selects something (with raw: its value matches) */
};

struct body_match {
	enum body_kind kind;
	struct matcher raw;      /* BODY_RAW; BODY_JSONPATH: on the selected value (n == 0: none) */
	cJSON *json;             /* BODY_JSON, BODY_JSON_PARTIAL; owned */
	struct json_compare cmp; /* BODY_JSON */
	struct named_matcher *fields;   /* BODY_JSON_PATH, BODY_FORM */
	uint32_t nfields;
	struct jsonpath *jp;     /* BODY_JSONPATH: compiled; owned */
	char *jp_source;         /* BODY_JSONPATH: as written, for messages */
};

/* Path kinds in precedence order: a lower value wins a tie on priority. */
enum path_kind {
	PATH_EXACT = 0,
	PATH_TEMPLATE = 1,
	PATH_REGEX = 2,
	PATH_NONE = 3,
};

/** One segment of a path template: "/api/users/{id}" is "api", "users", {id}. */
struct path_seg {
	char *text;              /* literal text, or the parameter name */
	bool is_param;           /* {name} */
	bool is_rest;            /* {name*}: only as the last segment; captures the rest, slashes included */
};

/* The fields of 4 bytes and less come first, together, so that no padding sits between
 * pointers (a stub is the largest part of a loaded set's memory). */
struct stub_request {
	enum path_kind path_kind;
	int path_line, path_col; /* where path/path_regex stands, for messages */
	bool path_re_target;     /* REGEX: matched against the raw target, query included (WireMock's urlPattern) */
	/* the lengths of the arrays below: 32 bits, together (a stub is 28 bytes smaller) */
	uint32_t nmethods;       /* 0 means any method */
	uint32_t nsegs;
	uint32_t npath_params;
	uint32_t nquery, nheaders, ncookies;
	uint32_t nbodies;
	char **methods;          /* upper-case */
	char *path;              /* EXACT: the path; TEMPLATE: the template source; REGEX: the regex source; NONE: NULL */
	struct path_seg *segs;   /* TEMPLATE: segments after the leading '/' */
	struct regex *path_re;   /* REGEX */
	char *target;            /* the raw target (path and query as sent) must equal this (WireMock's url), or NULL */
	struct named_matcher *path_params;  /* TEMPLATE: matchers on the captures (WireMock's pathParameters) */
	struct named_matcher *query, *headers, *cookies;
	struct body_match *bodies;  /* every one must hold; none: any body */
};

struct header {
	char *name;
	char *value;
	struct tpl *tpl;            /* the value compiled when it holds a template; NULL: sent as is */
};

/** How a fault ends the exchange instead of answering (WireMock's four faults). */
enum stub_fault {
	STUB_FAULT_NONE = 0,
	STUB_FAULT_RESET,           /* a TCP reset, no bytes (fault: reset; CONNECTION_RESET_BY_PEER) */
	STUB_FAULT_EMPTY,           /* the connection closes without a byte (EMPTY_RESPONSE) */
	STUB_FAULT_GARBAGE,         /* random bytes, then the connection closes (RANDOM_DATA_THEN_CLOSE) */
	STUB_FAULT_BAD_CHUNK,       /* a 200 head, a broken chunk, then the close (MALFORMED_RESPONSE_CHUNK) */
};

struct stub_response {
	int status;                 /* 100..599, default 200 */
	enum stub_fault fault;      /* with the fault handler (respond.h) */
	char *status_message;       /* the reason phrase on the status line, or NULL: the standard one */
	char *proxy_base;           /* with the proxy handler: forward to this base URL (WireMock's proxyBaseUrl) */
	struct header *headers;
	size_t nheaders;
	char *body;                 /* serialized once at load time (json compact, body as is, file contents) */
	size_t body_len;
	char *content_type;         /* from json/body/file, unless headers carry Content-Type (then NULL) */
	struct tpl *body_tpl;       /* json/body holding templates, compiled; NULL: body is sent as is */
	/* how the response becomes a reply, chosen by the front-end at load time (respond.h) */
	const struct responder *handler;
	void *handler_data;         /* the handler's own load-time data (handler->release frees it) */
	unsigned delay_min_ms;      /* delay: uniform in [min, max]; fixed when equal; 0/0: none */
	unsigned delay_max_ms;
	/* or, when delay_sigma > 0, log-normal (WireMock's lognormal delayDistribution):
	 * delay_min_ms * e^(sigma * N(0,1)), at most delay_max_ms when that is not 0 */
	double delay_sigma;
};

/**
 * The precedence tier of a stub, before every rule of SPEC section 2. Stubs of every
 * front-end that SPEC section 1 serves together (YAML stubs, WireMock mappings, CRUD
 * resources) compete in the main tier by priority, path kind, conditions and load order;
 * OpenAPI operations form the fallback tier, which answers only what no main-tier stub
 * matched. A miss explains the closest stubs of both tiers.
 */
enum stub_tier {
	STUB_TIER_MAIN = 0,
	STUB_TIER_FALLBACK = 1,
};

/** What follows the last response of a `responses:` list. */
enum sequence_mode {
	SEQUENCE_REPEAT_LAST = 0,   /* the default */
	SEQUENCE_CYCLE,
};

/* The winner order's keys first (tier, priority, insertion, nconds, then req.path_kind):
 * sorting 100,000 stubs reads them all, from one or two cache lines per stub. No padding
 * between pointers (see stub_request). */
struct stub {
	enum stub_tier tier;        /* STUB_TIER_MAIN unless a fallback front-end made it */
	int priority;               /* lower wins; default 100 */
	/* WireMock's rule among mappings (SPEC section 8): after the priority only recency
	 * counts, the newest first. Nonzero for a mapping: how recently it was added (larger
	 * is newer). The router ranks a mapping before any other stub of its priority. */
	uint64_t insertion;
	unsigned nconds;            /* query + headers + cookies entries, + 1 with a body condition */
	int line, col;              /* where the stub's mapping starts, 1-based */
	enum sequence_mode sequence;   /* with responses */
	struct stub_request req;
	char *id;                   /* name, or RELPATH#INDEX */
	char *name;                 /* NULL when the stub has none */
	char *file;                 /* display path "DIR/RELPATH"; NULL for runtime stubs */
	size_t order;               /* position in the load of its source (file or text) */
	/* dynamic responses */
	struct stub_response **responses;  /* responses[0] == &resp; the rest owned; nresponses == 0
					    * (a stub built by hand) means resp alone */
	size_t nresponses;
	char *scenario;             /* NULL without scenario */
	char *state;                /* required state of scenario, or NULL (any state) */
	char *next_state;           /* state the scenario moves to once this stub answers, or NULL */
	bool counts_hits;           /* needs its hit counter: several responses, `seq`, or next_state */
	/* Made by a front-end to answer for others (an OpenAPI path's 405 for the methods it
	 * has no operation for): not counted in the ready line, not listed by the admin API,
	 * never offered as a near miss. */
	bool implicit;
	uint8_t pooled;             /* STUB_POOLED_* bits: these fields belong to a strpool (stub_intern) */
	char *front_json;           /* a front-end's own form of the stub (a WireMock mapping as WireMock
				     * prints it, for GET /__admin/mappings), or NULL */
	struct stub_response resp;
};

/* What stub_intern moved into a pool: stub_destroy leaves those to it. */
enum {
	STUB_POOLED_ID = 1,
	STUB_POOLED_FILE = 2,
	STUB_POOLED_PATH = 4,
	STUB_POOLED_METHODS = 8,         /* the array and the names */
	STUB_POOLED_BODY = 16,           /* resp's */
	STUB_POOLED_CONTENT_TYPE = 32,   /* resp's */
	STUB_POOLED_RESPONSES = 64,      /* the array (its entries after the first stay s's) */
	STUB_POOLED_SELF = 128,          /* the struct itself */
};

/** Whether s names OPTIONS among its methods (it answers CORS preflights itself). */
bool stub_lists_options(const struct stub *s);

/** Moves s's id, file, request path and methods, its response's body and content type,
 *  and its responses array into pool, equal strings stored once (a file's name, "GET", a
 *  body many stubs answer), and marks them in s->pooled. The pool must outlive s: a group
 *  owns its stubs' pool (stub_group's pool). Those fields must not be replaced after. */
void stub_intern(struct stub *s, struct strpool *pool);
/** Moves the structs of stubs[0..n) (malloc'd, not packed before) into one array of
 *  exactly their size in pool, side by side, and points stubs[] at them (STUB_POOLED_SELF):
 *  a file's stubs without malloc's header each, where the route index reads them. */
void stub_pack(struct stub **stubs, size_t n, struct strpool *pool);
/** Frees a stub and everything it owns. NULL does nothing. */
void stub_destroy(struct stub *s);
/** Frees what a response owns (not r itself). */
void stub_response_release(struct stub_response *r);
/** How many responses the stub has (1 for `response:`). */
size_t stub_response_count(const struct stub *s);
/** Response i (i < stub_response_count(s)). Borrowed from s. */
const struct stub_response *stub_response_at(const struct stub *s, size_t i);
/** Appends a method the request must have (copied; upper case as given). */
void stub_request_add_method(struct stub_request *q, const char *method);
/** Appends a path template segment: text[0..n) (copied), a {param} when is_param. */
void stub_request_add_seg(struct stub_request *q, const char *text, size_t n, bool is_param);
/** Appends an empty clause of this op to m (the operands are the caller's to fill). */
struct match_clause *matcher_add_clause(struct matcher *m, enum match_op op);
void matcher_release(struct matcher *m);
void body_match_release(struct body_match *b);

/** Stubs owned together: the stubs of one file load, one runtime stub, or (joined) the
 *  stubs of several groups. Shared by refcount between the sets that serve them; never
 *  changed after creation. */
struct stub_group {
	atomic_uint refs;
	struct stub **stubs;
	size_t n;
	/* a joined group (stub_group_join): stubs[] borrows from these, which it references */
	struct stub_group **parts;
	size_t nparts;
	struct strpool *pool;       /* what stub_intern moved out of the stubs, or NULL; freed after them */
	/* what a set needs to know of all its stubs, summed when the group is made (a joined
	 * group adds up its parts'): a set of 100,000 stubs is made without a pass over them */
	size_t nlisted;             /* stubs that are not implicit */
	bool has_states;            /* some stub has `state:` */
	bool has_options;           /* some stub lists OPTIONS among its methods */
};

/** Takes ownership of stubs[0..n) and of the array. Refcount 1. */
struct stub_group *stub_group_create(struct stub **stubs, size_t n);
/** Adds a reference; returns g. Thread-safe. */
struct stub_group *stub_group_ref(struct stub_group *g);
/** Drops a reference; the last one frees the group. NULL does nothing. Thread-safe. */
void stub_group_unref(struct stub_group *g);
/** A group of the stubs of parts[0..nparts), in that order, owned by the parts: it takes
 *  over the array and the references in it, and drops them when it goes. Refcount 1. */
struct stub_group *stub_group_join(struct stub_group **parts, size_t nparts);
/** Like stub_group_join, with only the stubs keep(stub, cls) accepts (NULL: every one). */
struct stub_group *stub_group_subset(struct stub_group **parts, size_t nparts, bool (*keep)(const struct stub *s, void *cls),
				      void *cls);
/** The stub with this id among groups[0..n) (NULL entries skipped), or NULL. */
const struct stub *stub_group_find(struct stub_group *const *groups, size_t n, const char *id);
