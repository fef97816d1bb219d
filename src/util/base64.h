/* SPDX-License-Identifier: MIT */
/* Base64 (RFC 4648, standard alphabet, padded): the journal's binary bodies, WireMock's
 * base64Body and Basic credentials. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct strbuf;

/** Appends s[0..n) in base64. */
void base64_encode(struct strbuf *out, const void *s, size_t n);
/** Appends the bytes text[0..len) decodes to; whitespace is skipped, padding optional.
 *  False (out unchanged) when text holds anything else. */
bool base64_decode(struct strbuf *out, const char *text, size_t len);
