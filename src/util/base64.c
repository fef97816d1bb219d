/* SPDX-License-Identifier: MIT */
/* Base64 both ways. */
#include "base64.h"

#include "strbuf.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void base64_encode(struct strbuf *out, const void *s, size_t n)
{
	const unsigned char *p = s;
	strbuf_grow(out, (n + 2) / 3 * 4);
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		char q[4] = { alphabet[(v >> 18) & 63], alphabet[(v >> 12) & 63], i + 1 < n ? alphabet[(v >> 6) & 63] : '=',
			      i + 2 < n ? alphabet[v & 63] : '=' };
		strbuf_add(out, q, 4);
	}
}

static int digit(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

bool base64_decode(struct strbuf *out, const char *text, size_t len)
{
	size_t start = out->len;
	unsigned v = 0, bits = 0;
	bool padded = false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			padded = true;
			continue;
		}
		int d = digit(c);
		if (d < 0 || padded) {
			out->len = start;
			if (out->buf)
				out->buf[start] = '\0';
			return false;
		}
		v = (v << 6) | (unsigned)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			strbuf_addc(out, (char)((v >> bits) & 0xff));
		}
	}
	return true;
}
