/* SPDX-License-Identifier: MIT */
/* Framing, Host and size checks on the headers, before anything else runs. */
#include "guard.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "request.h"
#include "util/strbuf.h"

bool guard_host_allowed(const struct guard_config *g, const char *host)
{
	char name[256];
	size_t len = strlen(host);
	const char *end = host + len;
	if (host[0] == '[') {
		const char *close = strchr(host, ']');
		if (!close)
			return false;
		end = close + 1;
	} else {
		const char *colon = strchr(host, ':');
		if (colon)
			end = colon;
	}
	if (*end == ':') {
		/* a port must be digits only */
		for (const char *p = end + 1; *p; p++)
			if (*p < '0' || *p > '9')
				return false;
	} else if (*end) {
		return false;
	}
	len = (size_t)(end - host);
	if (len == 0 || len >= sizeof(name))
		return false;
	memcpy(name, host, len);
	name[len] = '\0';
	if (strcasecmp(name, "localhost") == 0 || strcmp(name, "127.0.0.1") == 0 || strcmp(name, "[::1]") == 0)
		return true;
	for (size_t i = 0; i < g->nallow_hosts; i++)
		if (strcasecmp(name, g->allow_hosts[i]) == 0)
			return true;
	return false;
}

static struct guard_refusal refuse(int status, const char *reason)
{
	return (struct guard_refusal){ status, reason };
}

/*
 * Headers a security decision reads, which must come at most once: with two, one reader
 * may take the first and another the last (a loopback Origin first and a foreign one
 * second, say). RFC 9110 5.3 allows several lines only for list-valued fields, and none
 * of these is one. Content-Length and Transfer-Encoding have their own framing rules
 * below.
 */
static const struct {
	const char *name;
	const char *reason;
} single[] = {
	{ "Host", "more than one Host header" },
	{ "Origin", "more than one Origin header" },
	{ "Authorization", "more than one Authorization header" },
	{ "Proxy-Authorization", "more than one Proxy-Authorization header" },
};

struct guard_refusal guard_check(const struct guard_config *g, const struct kv *headers, size_t nheaders,
				 bool http10, const char *authority)
{
	const char *cl = NULL, *te = NULL, *host = NULL;
	unsigned ncl = 0, nte = 0;
	unsigned seen[sizeof(single) / sizeof(single[0])] = { 0 };
	bool cl_differs = false;
	for (size_t i = 0; i < nheaders; i++) {
		const char *key = headers[i].name, *value = headers[i].value;
		for (size_t k = 0; k < sizeof(single) / sizeof(single[0]); k++)
			if (strcasecmp(key, single[k].name) == 0 && seen[k]++)
				return refuse(400, single[k].reason);
		if (strcasecmp(key, "Content-Length") == 0) {
			if (ncl && strcmp(cl, value) != 0)
				cl_differs = true;
			cl = value;
			ncl++;
		} else if (strcasecmp(key, "Transfer-Encoding") == 0) {
			te = value;
			nte++;
		} else if (strcasecmp(key, "Host") == 0) {
			host = value;
		}
	}
	if (ncl && nte)
		return refuse(400, "ambiguous framing: both Transfer-Encoding and Content-Length");
	if (cl_differs)
		return refuse(400, "ambiguous framing: different Content-Length values");
	if (nte > 1 || (nte && strcasecmp(te, "chunked") != 0))
		return refuse(400, "unsupported Transfer-Encoding: only chunked is accepted");
	/* RFC 9112 3.2: an HTTP/1.1 request without Host is a 400 */
	if (!host && !http10)
		return refuse(400, "missing Host header");
	if (authority)
		host = authority;
	if (g->host_check && host && !guard_host_allowed(g, host))
		return refuse(403, "host not allowed");
	if (ncl) {
		char *end = NULL;
		errno = 0;
		unsigned long long n = strtoull(cl, &end, 10);
		if (errno || end == cl || *end || cl[0] < '0' || cl[0] > '9')
			return refuse(400, "invalid Content-Length");
		if (n > g->max_body)
			return refuse(413, "request body too large");
	}
	return refuse(0, NULL);
}

struct guard_refusal guard_check_target(const char *target)
{
	for (const char *p = target ? strchr(target, '%') : NULL; p; p = strchr(p + 1, '%'))
		if (p[1] == '0' && p[2] == '0')
			return refuse(400, "the request target holds an encoded NUL (%00)");
	/* RFC 9112 section 3.2: origin-form starts with '/'; absolute-form (a proxy's) and
	 * OPTIONS' '*' are the others: "x000/hello" is no target a client may send */
	if (target && target[0] && target[0] != '/' && strcmp(target, "*") != 0 &&
	    strncasecmp(target, "http://", 7) != 0 && strncasecmp(target, "https://", 8) != 0)
		return refuse(400, "the request target must start with '/' (RFC 9112 origin-form)");
	return refuse(0, NULL);
}

void guard_refusal_json(const struct guard_config *g, const struct guard_refusal *r, const char *host,
			struct strbuf *out)
{
	struct strbuf text = STRBUF_INIT;
	if (r->status == 403)
		strbuf_addf(&text, "host '%s' is not allowed (DNS-rebinding defence); "
			    "start cannery with --allow-host NAME to accept it", host ? host : "");
	else if (r->status == 413)
		strbuf_addf(&text, "request body exceeds --max-body (%zu bytes)", g->max_body);
	else
		strbuf_adds(&text, r->reason);
	strbuf_adds(out, "{\"error\":");
	strbuf_add_json_string(out, text.buf, text.len);
	strbuf_addc(out, '}');
	strbuf_release(&text);
}
