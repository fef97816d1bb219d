/* SPDX-License-Identifier: MIT */
/* What the fuzz targets share: the libFuzzer entry points (declared here so that the
 * targets build with -Wmissing-prototypes), the rich stub set that fuzz_matcher,
 * fuzz_request and fuzz_admin run against, throwaway directories for stub files, a
 * request spelled out in lines, and an in-process server over the rich set. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "matcher.h"

struct cannery_config;
struct cannery_server;

/** Runs one input; returns 0. Runs on the fuzzer's (or replay driver's) main thread. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/** Optional one-time setup, called before the first input. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/** A stub file using every matcher, body condition and path kind the loader knows; it
 *  serves its `file:` body from "body.json" next to it. Static storage. */
extern const char fuzz_rich_stubs[];
/** The contents fuzz_rich_stubs expects in body.json. */
extern const char fuzz_rich_body_json[];

/** Makes a new temporary directory holding the given files (pairs of relative name and
 *  NUL-terminated contents, ending with NULL; a name ending in '/' makes a directory,
 *  and a contents starting with "->" makes a symlink to the rest) and registers it for
 *  removal at exit. Returns its path (static storage). Aborts on failure. */
const char *fuzz_tmpdir(const char *first, ...) __attribute__((sentinel));

/** Starts an in-process server on a loopback port (port 0) over a new fuzz_tmpdir holding
 *  fuzz_rich_stubs, quiet, with the rest of cfg as the caller set it (after
 *  cannery_config_init). Returns it (the caller destroys it, typically at exit). Aborts,
 *  naming who, when it cannot start. */
struct cannery_server *fuzz_start_rich_server(struct cannery_config *cfg, const char *who);

#define FUZZ_MAX_PARTS 64

/** The parts of a request that fuzz_parse_request fills; view points into it. */
struct fuzz_request {
	struct kv query[FUZZ_MAX_PARTS], headers[FUZZ_MAX_PARTS], cookies[FUZZ_MAX_PARTS], params[FUZZ_MAX_PARTS];
	size_t nquery, nheaders, ncookies, nparams;
};

/** Reads a request spelled in lines: "M METHOD", "P /path", "Q name=value",
 *  "H name: value", "C name=value", "A name=value" (a path capture, into parts->params),
 *  and "B", after which the rest of the input (past the B line) is the body; other lines
 *  are ignored, and parts beyond FUZZ_MAX_PARTS dropped. Names and values are copied
 *  into view->arena (required), NUL-terminated; a value may hold NULs. view->method and
 *  view->path keep what the caller set unless a line sets them; view's query, headers
 *  and cookies are pointed at parts (zeroed by the caller). */
void fuzz_parse_request(const char *p, size_t len, struct req_view *view, struct fuzz_request *parts);

/** Splits s[0..len) in place into query parameters on '&' and the first '=' of each (no
 *  percent-decoding; "a" is a with the value ""), up to max of them, pointing into s: the
 *  byte after the input is overwritten too, so s needs len + 1 bytes. Returns how many. */
size_t fuzz_split_query(char *s, size_t len, struct kv *q, size_t max);
