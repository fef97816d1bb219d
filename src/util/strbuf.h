/* SPDX-License-Identifier: MIT */
/* Growable, always NUL-terminated byte buffer (after git's strbuf). */
#pragma once
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct strbuf {
	char *buf;    /* always NUL-terminated once anything was added; NULL before */
	size_t len;
	size_t alloc;
};

#define STRBUF_INIT { NULL, 0, 0 }

void strbuf_init(struct strbuf *sb);
/** Frees the buffer and leaves sb empty and reusable. */
void strbuf_release(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_adds(struct strbuf *sb, const char *s);
void strbuf_addc(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/** Appends code point cp (at most U+10FFFF, not a surrogate) as UTF-8. */
void strbuf_add_utf8(struct strbuf *sb, uint32_t cp);
/** Appends the inside of a JSON string literal for s, escaped exactly as cJSON prints it
 *  (so text built this way equals cJSON's output); invalid UTF-8 becomes U+FFFD so the
 *  output stays valid JSON. The one JSON escaper. */
void strbuf_add_json_escaped(struct strbuf *sb, const char *s, size_t len);
/** strbuf_add_json_escaped inside quotes: s as a JSON string literal. */
void strbuf_add_json_string(struct strbuf *sb, const char *s, size_t len);
/** Returns the buffer (caller frees; never NULL) and leaves sb empty. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
/** The contents as a C string: "" when nothing was added. Borrowed. */
const char *strbuf_str(const struct strbuf *sb);
