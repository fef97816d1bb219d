/* SPDX-License-Identifier: MIT */
/* A reply as a value: status, headers, body (bytes, or a stub's fixed response the HTTP
 * adapter may serve from its prebuilt cache), delay and fault. The dispatcher, the admin
 * API and the proxy fill one; only the HTTP adapter turns it into bytes on the wire. */
#pragma once
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "stub.h"

struct arena;
struct strbuf;

struct reply_header {
	const char *name;           /* borrowed (a stub, a static string or the request's arena) */
	const char *value;
};

/** Per-set data of one stub response, built before its set is published (reply_cache.h). */
struct reply_prepared {
	char *expose;               /* Access-Control-Expose-Headers: the stub's header names, or NULL */
	bool own_cors;              /* the stub sets Access-Control-Allow-Origin itself: add nothing */
	/* The HTTP adapter's prebuilt copies of the fixed response: [0] as it is, [1] with
	 * Access-Control-Allow-Origin: *. Built by the first request that needs one and
	 * shared from then on; freed with the set. */
	_Atomic(void *) built[2];
};

/** An answer a front-end keeps and serves many times (the CRUD front-end's answers): its
 *  own status, content type, body and headers, shared by reference. The HTTP adapter keeps
 *  its prebuilt copies in built[] ([1]: with Access-Control-Allow-Origin: *), publishing
 *  drop before the first, and they go with the last reference. */
struct reply_shared {
	atomic_uint refs;
	int status;
	const char *content_type;   /* static, or NULL */
	char *body;
	size_t body_len;
	struct reply_header *headers;   /* names and values owned */
	size_t nheaders;
	_Atomic(void *) built[2];
	void (*_Atomic drop)(void *built);
};

struct reply {
	int status;
	const char *content_type;   /* NULL: none (or among headers) */
	struct reply_header *headers;   /* in the request's arena */
	size_t nheaders, aheaders;
	const char *body;           /* borrowed: lives as long as the request's stub set */
	size_t body_len;
	char *body_owned;           /* or a malloc'd body (body points at it); freed by reply_release */
	enum stub_fault fault;      /* not STUB_FAULT_NONE: end the connection that way, no answer */
	const char *reason;         /* the reason phrase of the status line (borrowed), or NULL: the standard one */
	const char *proxy_base;     /* a stub that forwards: the pipeline proxies to this base URL (borrowed) */
	unsigned delay_ms;          /* answer only after this long */
	const char *stub_id;        /* the stub that answered (borrowed), or NULL */
	const char *note;           /* the handler's remark for the journal and the access log
				     * (borrowed or in the arena): an OpenAPI validation's problems */
	/* A stub's fixed response: when set, the adapter may serve prepared->built[star]
	 * instead of the fields above, and builds it from fixed (reply_expand) once. */
	const struct stub_response *fixed;
	struct reply_prepared *prepared;
	bool star;
	/* A front-end's shared answer (a reference, dropped by reply_release); with
	 * serve_shared the adapter serves shared->built[star], else the fields above
	 * (reply_expand) do. */
	struct reply_shared *shared;
	bool serve_shared;
};

/** Appends a header (name and value borrowed; see struct reply_header). */
void reply_add_header(struct reply *r, struct arena *a, const char *name, const char *value);
/** Sets status, the JSON content type and the body, taking over json's bytes. */
void reply_json(struct reply *r, int status, struct strbuf *json);
/** Sets a body, taking over text's bytes, with this content type (NULL: none). */
void reply_take_body(struct reply *r, struct strbuf *text, const char *content_type);
/** A shared answer with one reference, taking over body (malloc'd, may be NULL when
 *  body_len is 0). */
struct reply_shared *reply_shared_create(int status, const char *content_type, char *body, size_t body_len);
/** Appends a header, copying name and value. Only before the answer is shared. */
void reply_shared_add_header(struct reply_shared *sh, const char *name, const char *value);
/** Another reference to sh. */
struct reply_shared *reply_shared_ref(struct reply_shared *sh);
/** Drops a reference: the last one frees sh and the adapter's prebuilt copies. NULL: none. */
void reply_shared_unref(struct reply_shared *sh);
/** Answers r with sh, taking over the caller's reference: its status now; dispatch then
 *  lets the adapter serve it prebuilt, or expands it (reply_expand). */
void reply_use_shared(struct reply *r, struct reply_shared *sh);
/** Frees what the reply owns (its body, its shared answer's reference) and zeroes it. */
void reply_release(struct reply *r);
