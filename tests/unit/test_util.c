/* SPDX-License-Identifier: MIT */
/* Unit tests for util/: strbuf (and its JSON escaper), arena, xalloc, utf8, rng. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"
#include "util/rng.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

Test(strbuf, grows_and_stays_terminated)
{
	struct strbuf sb = STRBUF_INIT;
	cr_assert_str_eq(strbuf_str(&sb), "");
	for (int i = 0; i < 1000; i++)
		strbuf_addc(&sb, 'a');
	cr_assert_eq(sb.len, 1000);
	cr_assert_eq(sb.buf[1000], '\0');
	strbuf_addf(&sb, "%d-%s", 42, "x");
	cr_assert_str_eq(sb.buf + 1000, "42-x");
	strbuf_reset(&sb);
	cr_assert_str_eq(strbuf_str(&sb), "");
	strbuf_release(&sb);
}

/* Found by valgrind through fuzz_path: a path_regex with no literal prefix left the
 * loader reading a buffer that strbuf_grow had allocated but never terminated. */
Test(strbuf, grown_but_empty_is_empty)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_grow(&sb, 100);
	cr_assert_str_eq(strbuf_str(&sb), "");
	char *s = strbuf_detach(&sb, NULL);
	cr_assert_str_eq(s, "");
	free(s);
}

Test(strbuf, addf_longer_than_the_first_guess)
{
	struct strbuf sb = STRBUF_INIT;
	char big[5000];
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	strbuf_addf(&sb, "<%s>", big);
	cr_assert_eq(sb.len, sizeof(big) + 1);
	cr_assert_eq(sb.buf[0], '<');
	cr_assert_eq(sb.buf[sb.len - 1], '>');
	strbuf_release(&sb);
}

Test(strbuf, json_string_escapes_controls_and_quotes)
{
	struct strbuf sb = STRBUF_INIT;
	const char in[] = "a\"b\\c\n\t\x01 \xc3\xa9";
	strbuf_add_json_string(&sb, in, sizeof(in) - 1);
	cr_assert_str_eq(sb.buf, "\"a\\\"b\\\\c\\n\\t\\u0001 \xc3\xa9\"");
	strbuf_release(&sb);
}

Test(strbuf, detach_hands_over_the_buffer)
{
	struct strbuf sb = STRBUF_INIT;
	size_t len = 99;
	char *empty = strbuf_detach(&sb, &len);
	cr_assert_str_eq(empty, "");
	cr_assert_eq(len, 0);
	free(empty);
	strbuf_adds(&sb, "hello");
	char *s = strbuf_detach(&sb, &len);
	cr_assert_str_eq(s, "hello");
	cr_assert_eq(len, 5);
	cr_assert_null(sb.buf);
	free(s);
}

Test(arena, aligned_allocations_across_blocks)
{
	struct arena a;
	arena_init(&a);
	for (int i = 0; i < 2000; i++) {
		char *p = arena_alloc(&a, (size_t)(i % 37) + 1);
		cr_assert_eq((uintptr_t)p % 16, 0);
		memset(p, 'x', (size_t)(i % 37) + 1);
	}
	char *big = arena_alloc(&a, 100000);
	memset(big, 0, 100000);
	char *s = arena_strndup(&a, "abcdef", 3);
	cr_assert_str_eq(s, "abc");
	cr_assert_str_eq(arena_strdup(&a, "xyz"), "xyz");
	char *z = arena_calloc(&a, 64);
	for (int i = 0; i < 64; i++)
		cr_assert_eq(z[i], 0);
	arena_release(&a);
	/* reusable after release */
	cr_assert_not_null(arena_alloc(&a, 10));
	arena_release(&a);
}

Test(xalloc, dup_helpers)
{
	char *a = xstrdup("abc");
	char *b = xstrndup("abcdef", 2);
	char *c = xmemdup0("a\0b", 3);
	cr_assert_str_eq(a, "abc");
	cr_assert_str_eq(b, "ab");
	cr_assert_eq(c[1], '\0');
	cr_assert_eq(c[2], 'b');
	cr_assert_eq(c[3], '\0');
	free(a);
	free(b);
	free(c);
}

#include "util/utf8.h"

Test(utf8, accepts_valid_and_rejects_malformed_sequences)
{
	cr_expect_eq(utf8_seq((const unsigned char *)"a", 1), 1);
	cr_expect_eq(utf8_seq((const unsigned char *)"\xc3\xa9", 2), 2);
	cr_expect_eq(utf8_seq((const unsigned char *)"\xe2\x82\xac", 3), 3);
	cr_expect_eq(utf8_seq((const unsigned char *)"\xf0\x9f\x98\x80", 4), 4);
	cr_expect_eq(utf8_seq((const unsigned char *)"\xc3\xa9", 1), 0, "truncated");
	cr_expect_eq(utf8_seq((const unsigned char *)"\xc0\xaf", 2), 0, "overlong");
	cr_expect_eq(utf8_seq((const unsigned char *)"\xe0\x80\xaf", 3), 0, "overlong");
	cr_expect_eq(utf8_seq((const unsigned char *)"\xed\xa0\x80", 3), 0, "surrogate");
	cr_expect_eq(utf8_seq((const unsigned char *)"\xf4\x90\x80\x80", 4), 0, "above U+10FFFF");
	cr_expect_eq(utf8_seq((const unsigned char *)"\x80", 1), 0, "lone continuation");
	cr_expect(utf8_valid("plain \xc3\xa9t\xc3\xa9", 11));
	cr_expect(utf8_valid("", 0));
	cr_expect_not(utf8_valid("ok\xff", 3));
}

/* ---- strbuf's JSON escaper: the one every JSON writer uses ---- */

Test(strbuf, json_escaped_as_cjson_prints_it)
{
	static const char in[] = "q\" b\\ \b\f\n\r\t \x01\x1f caf\xc3\xa9 \xf0\x9f\x98\x80 /";
	struct strbuf sb = STRBUF_INIT;
	strbuf_add_json_string(&sb, in, sizeof(in) - 1);
	cr_expect_str_eq(strbuf_str(&sb),
			 "\"q\\\" b\\\\ \\b\\f\\n\\r\\t \\u0001\\u001f caf\xc3\xa9 \xf0\x9f\x98\x80 /\"");
	strbuf_release(&sb);
}

Test(strbuf, json_escaped_keeps_output_valid_for_bad_utf8_and_nul)
{
	static const char in[] = "a\xff" "b\xc3" "\0z";
	struct strbuf sb = STRBUF_INIT;
	strbuf_add_json_escaped(&sb, in, sizeof(in) - 1);
	cr_expect_str_eq(strbuf_str(&sb), "a\xef\xbf\xbd" "b\xef\xbf\xbd\\u0000z",
			 "invalid bytes become U+FFFD, a NUL is escaped, nothing is cut");
	strbuf_release(&sb);
}

/* ---- rng ---- */

Test(rng, same_seed_same_sequence)
{
	struct rng a, b;
	rng_seed(&a, 42);
	rng_seed(&b, 42);
	for (int i = 0; i < 1000; i++)
		cr_assert_eq(rng_next(&a), rng_next(&b));
	rng_seed(&b, 43);
	bool differs = false;
	rng_seed(&a, 42);
	for (int i = 0; i < 10; i++)
		differs |= rng_next(&a) != rng_next(&b);
	cr_expect(differs, "another seed, another sequence");
}

Test(rng, below_stays_in_range_and_covers_it)
{
	struct rng r;
	rng_seed(&r, 7);
	unsigned seen[10] = { 0 };
	for (int i = 0; i < 10000; i++) {
		uint64_t v = rng_below(&r, 10);
		cr_assert_lt(v, 10);
		seen[v]++;
	}
	for (int i = 0; i < 10; i++)
		cr_expect_gt(seen[i], 800, "value %d came %u times in 10,000", i, seen[i]);
	cr_expect_eq(rng_below(&r, 1), 0);
	rng_seed_random(&r);
	cr_expect_lt(rng_below(&r, 3), 3);
}
