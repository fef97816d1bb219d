/* SPDX-License-Identifier: MIT */
/* What the fuzz targets share: the libFuzzer entry points (declared here so that the
 * targets build with -Wmissing-prototypes), the rich stub set that fuzz_matcher and
 * fuzz_request run against, and a throwaway directory for stub files. */
#pragma once
#include <stddef.h>
#include <stdint.h>

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
