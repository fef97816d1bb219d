/* SPDX-License-Identifier: MIT */
/* The request pipeline: what happens to one request between the HTTP adapter reading it
 * and writing the answer. The checks on its headers, the admin API, the dispatcher, the
 * proxy and recorder, delays, the journal, the metrics and the access log, in that order,
 * behind four calls the adapter makes. Several servers may run in one process: all state
 * is in struct pipeline. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "reply.h"
#include "request.h"
#include "util/arena.h"
#include "util/strbuf.h"

struct admin_ctx;
struct journal;
struct metrics;
struct pipeline;
struct proxy;
struct proxy_exchange;
struct recorder;
struct rng;
struct slot;
struct state;
struct timers;

struct pipeline_config {
	struct slot *slot;              /* the current stub set */
	const struct admin_ctx *admin;  /* the admin API's context */
	struct state *state;
	struct rng *rng;
	struct journal *journal;
	struct metrics *metrics;
	struct timers *timers;          /* the server's one timer thread: response delays */
	struct proxy *proxy;            /* NULL without --proxy */
	/* the proxy of stubs that forward (proxyBaseUrl), started by the first that does */
	struct proxy *(*stub_proxy)(void *cls);
	void *stub_proxy_cls;
	struct recorder *recorder;      /* NULL without --record */
	bool proxy_all;                 /* forward every request, stubs or not */
	bool cors;
	bool loopback;                  /* the Host check applies */
	const char *const *allow_hosts;
	size_t nallow_hosts;
	size_t max_body;
	int log_fd;                     /* access log and errors */
	int log;                        /* CANNERY_LOG_QUIET / NORMAL / VERBOSE */
	bool log_color;
};

/** Where a request stands in the pipeline (private to pipeline.c). */
enum exchange_stage {
	STAGE_NEW,
	STAGE_DELAYED,                  /* waiting for its delay, the reply ready */
	STAGE_FORWARDED,                /* waiting for the upstream */
	STAGE_ADMIN_WAIT,               /* waiting for an admin answer (requests/wait) */
	STAGE_ANSWERED,
};

/** One request in flight. The adapter owns it and fills the first part; the pipeline fills
 *  the rest. */
struct exchange {
	struct arena arena;             /* the request's memory; the adapter initialises it */
	struct req_view view;           /* method, decoded path, query, headers, cookies (all in arena) and,
					 * before pipeline_handle, the body */
	const char *raw_uri;            /* the request target as received, query included, or NULL */
	const char *authority;          /* host[:port] of an absolute-form target, or NULL */
	bool http10;                    /* an HTTP/1.0 request (Host is optional) */
	struct timespec start;          /* CLOCK_MONOTONIC at arrival */
	struct timespec wall;           /* CLOCK_REALTIME at arrival */
	/* Parks the connection (called on the handler's thread before anything can resume
	 * it) and wakes it up (any thread; the adapter then calls pipeline_handle again). */
	void (*suspend)(struct exchange *x);
	void (*resume)(struct exchange *x);

	/* the pipeline's part */
	struct stub_set *set;           /* the set the request started with, held until pipeline_end */
	struct reply reply;
	struct strbuf note;             /* for the access log */
	struct strbuf detail;           /* --verbose lines */
	bool admin;                     /* under /__cannery/: not journaled */
	bool journaled;
	bool miss;                      /* answered with the 404 of near misses: the journal
					 * keeps none of its body (GET /requests/SEQ rebuilds them) */
	enum exchange_stage stage;
	struct proxy_exchange *px;
	int answer_status;              /* a deferred admin answer */
	char *answer;
};

/** What the adapter does next. */
enum pipe_result {
	PIPE_CONTINUE,                  /* read the body, then call pipeline_handle */
	PIPE_ANSWER,                    /* send x->reply (reply.fault: end the connection that way instead) */
	PIPE_DEFER,                     /* x->suspend was called; x->resume follows */
};

/** Never NULL; cfg and everything in it is borrowed and must outlive the pipeline. */
struct pipeline *pipeline_create(const struct pipeline_config *cfg);
void pipeline_destroy(struct pipeline *p);

/** Once the headers are in: takes the current set and checks the headers. PIPE_ANSWER
 *  when the request is refused (before its body is read). Runs on adapter threads. */
enum pipe_result pipeline_begin(struct pipeline *p, struct exchange *x);
/** The body grew past --max-body: the answer is 413. */
enum pipe_result pipeline_too_large(struct pipeline *p, struct exchange *x);
/** Once the body is in, and again after each resume: PIPE_ANSWER or PIPE_DEFER. A request
 *  that is not an admin call is journaled before PIPE_ANSWER returns, so that a client
 *  that has its answer always finds its request in the journal. */
enum pipe_result pipeline_handle(struct pipeline *p, struct exchange *x);
/** The request is over (ended_early: the connection went before the answer was sent):
 *  journals an answer decided but never sent, writes the access log line and releases
 *  what the pipeline holds. The adapter frees x afterwards. */
void pipeline_end(struct pipeline *p, struct exchange *x, bool ended_early);

/** Whether path is under /__cannery/ (the admin API). */
bool pipeline_is_admin_path(const char *path);
