/* SPDX-License-Identifier: MIT */
/* Unit tests for util/: strbuf (and its JSON escaper), arena, strpool, xalloc, utf8, rng, tz. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"
#include "util/rng.h"
#include "util/strbuf.h"
#include "util/strpool.h"
#include "util/tz.h"
#include "util/xalloc.h"
#include "testutil.h"

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

Test(strpool, equal_strings_are_stored_once)
{
	struct strpool *p = strpool_create();
	char buf[8] = "GET";
	const char *a = strpool_intern(p, buf, 3);
	strcpy(buf, "PUT");
	const char *b = strpool_intern(p, buf, 3);
	cr_assert_str_eq(a, "GET");
	cr_assert_str_eq(b, "PUT");
	cr_assert_eq(strpool_intern(p, "GET", 3), a);
	cr_assert_eq(strpool_intern(p, "GETX", 3), a, "only len bytes count");
	cr_assert_neq(strpool_intern(p, "GE", 2), a);
	/* NULs inside count like any byte, and each copy ends in one */
	const char *z = strpool_intern(p, "a\0b", 3);
	cr_assert_eq(memcmp(z, "a\0b", 4), 0);
	cr_assert_neq(strpool_intern(p, "a\0c", 3), z);
	cr_assert_eq(strpool_intern(p, "a\0b", 3), z);
	strpool_destroy(p);
	strpool_destroy(NULL);
}

Test(strpool, many_strings_big_ones_and_aligned_blocks)
{
	struct strpool *p = strpool_create();
	const char *first[3000];
	char key[32];
	for (int i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "/api/r%d/users/42", i);
		first[i] = strpool_intern(p, key, strlen(key));
		void **v = strpool_alloc(p, (size_t)(i % 5 + 1) * sizeof(*v));
		cr_assert_eq((uintptr_t)v % sizeof(void *), 0);
		v[i % 5] = v;
	}
	char *big = xmalloc(100000);
	memset(big, 'b', 100000);
	const char *bigc = strpool_intern(p, big, 100000);
	cr_assert_eq(memcmp(bigc, big, 100000), 0);
	cr_assert_eq(bigc[100000], '\0');
	for (int i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "/api/r%d/users/42", i);
		cr_assert_eq(strpool_intern(p, key, strlen(key)), first[i], "%s", key);
		cr_assert_str_eq(first[i], key);
	}
	cr_assert_eq(strpool_intern(p, big, 100000), bigc);
	cr_assert_geq(strpool_size(p), 100000);
	/* sealed: the strings stay, later ones are copies */
	strpool_seal(p);
	cr_assert_str_eq(first[7], "/api/r7/users/42");
	const char *again = strpool_intern(p, "/api/r7/users/42", 16);
	cr_assert_str_eq(again, "/api/r7/users/42");
	cr_assert_neq(again, first[7]);
	free(big);
	strpool_destroy(p);
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

/* ---- tz ---- */

static int32_t offset_at(const struct tz *z, int64_t t, const char *want_abbr)
{
	const char *abbr = NULL;
	int32_t off = tz_offset_at(z, t, &abbr);
	cr_expect_str_eq(abbr, want_abbr, "at %lld", (long long)t);
	return off;
}

Test(tz, calendar)
{
	cr_expect_eq(tz_days_from_civil(1970, 1, 1), 0);
	cr_expect_eq(tz_days_from_civil(2000, 3, 1), 11017);
	cr_expect_eq(tz_days_from_civil(1969, 12, 31), -1);
	cr_expect_eq(tz_days_from_civil(-1, 12, 31), -719529);
	for (int64_t d = -800000; d < 800000; d += 997) {
		int64_t y;
		unsigned m, day;
		tz_civil_from_days(d, &y, &m, &day);
		cr_assert_eq(tz_days_from_civil(y, m, day), d, "day %lld", (long long)d);
		cr_assert(m >= 1 && m <= 12 && day >= 1 && day <= tz_month_days(y, m));
	}
	cr_expect(tz_is_leap(2000) && tz_is_leap(2024) && !tz_is_leap(1900) && !tz_is_leap(2026));
	cr_expect_eq(tz_month_days(2024, 2), 29);
	cr_expect_eq(tz_month_days(2100, 2), 28);
}

Test(tz, fixed_zone)
{
	struct tz *z = tz_fixed(-12600, "X");
	cr_expect_eq(offset_at(z, 0, "X"), -12600);
	cr_expect_eq(offset_at(z, INT64_C(4000000000), "X"), -12600);
	tz_destroy(z);
	tz_destroy(NULL);
}

Test(tz, region_from_the_database)
{
	struct tz *z = tz_load("Europe/Paris");
	cr_assert_not_null(z);
	/* 2026-03-29 01:00Z: CET to CEST; 2026-10-25 01:00Z back (from the table) */
	cr_expect_eq(offset_at(z, INT64_C(1774746000) - 1, "CET"), 3600);
	cr_expect_eq(offset_at(z, INT64_C(1774746000), "CEST"), 7200);
	cr_expect_eq(offset_at(z, INT64_C(1792890000) - 1, "CEST"), 7200);
	cr_expect_eq(offset_at(z, INT64_C(1792890000), "CET"), 3600);
	/* 2100-07-01: past the table, the footer's rule */
	cr_expect_eq(offset_at(z, INT64_C(4118083200), "CEST"), 7200);
	cr_expect_eq(offset_at(z, INT64_C(4133980800), "CET"), 3600);
	/* before the first transition: local mean time */
	cr_expect_eq(offset_at(z, INT64_C(-5000000000), "LMT"), 561);
	tz_destroy(z);

	z = tz_load("Australia/Sydney");
	cr_assert_not_null(z);
	cr_expect_eq(offset_at(z, INT64_C(4102444800), "AEDT"), 39600);      /* 2100-01-01 */
	cr_expect_eq(offset_at(z, INT64_C(4118083200), "AEST"), 36000);      /* 2100-07-01 */
	tz_destroy(z);
}

Test(tz, names_that_are_not_zones)
{
	static const char *const bad[] = {
		"", "Nowhere/Else", "../etc/passwd", "Europe/../Europe/Paris", "/etc/localtime", "Europe//Paris",
		"posix/Europe/Paris", "right/UTC", "posixrules", "localtime", "Factory", "zone.tab", "iso3166.tab",
		"EST", "MST", "HST", "Europe", "1Europe/Paris", NULL,
	};
	for (size_t i = 0; bad[i]; i++) {
		struct tz *z = tz_load(bad[i]);
		cr_expect_null(z, "'%s' loaded", bad[i]);
		tz_destroy(z);
	}
}

/* A TZif version 2 file with no transitions, one type and the given footer. */
static void write_tzif(const char *path, const char *footer)
{
	static const unsigned char header[44] = {
		'T', 'Z', 'i', 'f', '2', [39] = 1, [43] = 4,    /* typecnt 1, charcnt 4 */
	};
	static const unsigned char block[10] = { 0, 0, 0, 0, 0, 0, 'X', 'X', 'X', 0 };
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	fwrite(header, 1, sizeof(header), f);
	fwrite(block, 1, sizeof(block), f);
	fwrite(header, 1, sizeof(header), f);
	fwrite(block, 1, sizeof(block), f);
	fprintf(f, "\n%s\n", footer);
	fclose(f);
}

Test(tz, posix_rules_of_the_footer)
{
	const char *dir = tmpdir_create("tz");
	setenv("TZDIR", dir, 1);
	char path[4096];
	struct {
		const char *name, *footer;
		int64_t t;
		int32_t off;
		const char *abbr;
	} cases[] = {
		{ "Julian", "AAA3BBB,J60/0,J300/0", INT64_C(1772323200) + 10800, -7200, "BBB" },   /* 2026-03-01 */
		{ "Julian", "AAA3BBB,J60/0,J300/0", INT64_C(1772323200) + 10800 - 1, -10800, "AAA" },
		{ "Zero", "<+04>-4<+05>,0/0,100/0", INT64_C(1767225600) - 14400, 18000, "+05" },   /* 2026-01-01 local */
		{ "Zero", "<+04>-4<+05>,0/0,100/0", INT64_C(1767225600) - 14400 - 1, 14400, "+04" },
		{ "Default", "EST5EDT", INT64_C(1782896703), -14400, "EDT" },                     /* the US rule */
		{ "Std", "JST-9", INT64_C(1782896703), 32400, "JST" },
		{ "Hms", "<-0230>2:30", 0, -9000, "-0230" },
		{ "Fixed", "", 0, 0, "XXX" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, cases[i].name);
		write_tzif(path, cases[i].footer);
		struct tz *z = tz_load(cases[i].name);
		cr_assert_not_null(z, "%s", cases[i].footer);
		cr_expect_eq(offset_at(z, cases[i].t, cases[i].abbr), cases[i].off, "%s at %lld", cases[i].footer,
			     (long long)cases[i].t);
		tz_destroy(z);
	}
	static const char *const bad_footers[] = { "A1", "AAA", "AAA1BBB,M13.1.0,M1.1.0", "AAA1BBB,J0,J1", "AAA1,", NULL };
	for (size_t i = 0; bad_footers[i]; i++) {
		snprintf(path, sizeof(path), "%s/Bad", dir);
		write_tzif(path, bad_footers[i]);
		struct tz *z = tz_load("Bad");
		cr_expect_null(z, "footer '%s' loaded", bad_footers[i]);
		tz_destroy(z);
	}
	tmpdir_leave();
}

Test(tz, local_zone)
{
	char *name = NULL;
	setenv("TZ", ":Asia/Tokyo", 1);
	struct tz *z = tz_load_local(&name);
	cr_expect_str_eq(name, "Asia/Tokyo");
	cr_expect_eq(offset_at(z, 0, "JST"), 32400);
	tz_destroy(z);
	free(name);
	setenv("TZ", "Not/AZone", 1);
	z = tz_load_local(&name);
	cr_expect_str_eq(name, "GMT");
	cr_expect_eq(offset_at(z, 0, "GMT"), 0);
	tz_destroy(z);
	free(name);
	unsetenv("TZ");
	z = tz_load_local(NULL);
	cr_expect_not_null(z);
	tz_destroy(z);
}
