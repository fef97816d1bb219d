/* SPDX-License-Identifier: MIT */
/* The checks every request passes before any stub or admin handler sees it, decided from
 * its headers alone: message framing (RFC 9112), the Host allow-list against DNS
 * rebinding (SPEC section 6) and the body limit. Pure functions. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct kv;
struct strbuf;

struct guard_config {
	bool host_check;                    /* bound to a loopback address: Host must be local */
	const char *const *allow_hosts;     /* --allow-host names; borrowed */
	size_t nallow_hosts;
	size_t max_body;                    /* --max-body */
};

/** A refusal: status 400, 403 or 413 and a short reason for the log. */
struct guard_refusal {
	int status;                         /* 0: the request may go on */
	const char *reason;                 /* static */
};

/** Checks the headers (names in any case) of one request. http10: an HTTP/1.0 request,
 *  which may lack Host; authority: the host[:port] of an absolute-form target, which
 *  stands in for Host (RFC 9112 3.2.2), or NULL. */
struct guard_refusal guard_check(const struct guard_config *g, const struct kv *headers, size_t nheaders,
				 bool http10, const char *authority);

/** Checks the request target as the client sent it (NULL: nothing to check): one whose
 *  path or query holds an encoded NUL (%00) is a 400, since the decoded path, query names
 *  and values and admin ids are C strings that would end at it ("/hello%00/x" would
 *  route as "/hello"). A target that is not origin-form ('/...'), absolute-form
 *  (http://...) or '*' is a 400 too. */
struct guard_refusal guard_check_target(const char *target);

/** Whether host ("name[:port]", "[v6]:port") names this machine or an allowed host. */
bool guard_host_allowed(const struct guard_config *g, const char *host);

/** The JSON body of a refusal: {"error":"..."} telling the user what to do; host is the
 *  Host (or authority) the request named, for 403. */
void guard_refusal_json(const struct guard_config *g, const struct guard_refusal *r, const char *host,
			struct strbuf *out);
