/* SPDX-License-Identifier: MIT */
/* javadate: patterns, zones and their names, the ISO form and WireMock's offsets, at fixed
 * instants. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "javadate.h"
#include "util/strbuf.h"

#define DEC_7 1796653800123LL           /* 2026-12-07T14:30:00.123Z, a Monday */
#define JUL_1 1782896703007LL           /* 2026-07-01T09:05:03.007Z */

static void init(void)
{
	setenv("TZ", "UTC", 1);
}

TestSuite(javadate, .init = init);

static void expect_print(const char *format, const char *zone, int64_t ms, const char *want)
{
	struct javadate_error err;
	struct javadate *d = javadate_compile(format, zone, &err);
	cr_assert_not_null(d, "'%s' in '%s' does not compile: %s", format, zone, err.msg);
	struct strbuf sb = STRBUF_INIT;
	javadate_print(d, ms, &sb);
	cr_expect_str_eq(strbuf_str(&sb), want, "'%s' in '%s'", format, zone);
	strbuf_release(&sb);
	javadate_destroy(d);
}

static void expect_error(const char *format, const char *zone, bool in_zone, size_t at, const char *part)
{
	struct javadate_error err;
	struct javadate *d = javadate_compile(format, zone, &err);
	cr_expect_null(d, "'%s' in '%s' compiled", format, zone);
	javadate_destroy(d);
	if (d)
		return;
	cr_expect_eq(err.in_zone, in_zone, "%s", err.msg);
	cr_expect_eq(err.at, at, "'%s': at %zu, want %zu (%s)", format, err.at, at, err.msg);
	cr_expect(strstr(err.msg, part) != NULL, "'%s' lacks '%s'", err.msg, part);
}

Test(javadate, iso_form)
{
	expect_print(NULL, NULL, DEC_7, "2026-12-07T14:30:00Z");
	expect_print(NULL, "Europe/Paris", JUL_1, "2026-07-01T11:05:03+02:00");
	expect_print(NULL, "America/St_Johns", DEC_7, "2026-12-07T11:00:00-03:30");
	expect_print(NULL, NULL, -500, "1969-12-31T23:59:59Z");
	expect_print(NULL, NULL, 253402300800000LL, "10000-01-01T00:00:00Z");
}

Test(javadate, epoch_and_unix)
{
	expect_print("epoch", NULL, DEC_7, "1796653800123");
	expect_print("unix", "Asia/Tokyo", DEC_7, "1796653800");
	expect_print("unix", NULL, -1500, "-1");        /* Java's long division */
}

Test(javadate, pattern_letters)
{
	expect_print("G y yy yyy yyyy yyyyy", "UTC", DEC_7, "AD 2026 26 2026 2026 02026");
	expect_print("M MM MMM MMMM L LL LLL LLLL", "UTC", JUL_1, "7 07 Jul July 7 07 Jul July");
	expect_print("d dd D DDD F E EEE EEEE u", "UTC", JUL_1, "1 01 182 182 1 Wed Wed Wednesday 3");
	expect_print("H HH k K h hh a m mm s ss S SS SSS SSSS", "UTC", JUL_1, "9 09 9 9 9 09 AM 5 05 3 03 7 07 007 0007");
	expect_print("H k K h a", "UTC", DEC_7 - 14 * 3600000LL - 30 * 60000LL, "0 24 0 12 AM");
	expect_print("z zzzz Z X XX XXX", "UTC", DEC_7, "UTC Coordinated Universal Time +0000 Z Z Z");
	expect_print("z Z X XX XXX", "America/St_Johns", DEC_7, "NST -0330 -03 -0330 -03:30");
	expect_print("'quoted ''text''' '' yyyy", "UTC", DEC_7, "quoted 'text' ' 2026");
	expect_print("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "Asia/Kolkata", DEC_7, "2026-12-07T20:00:00.123+05:30");
	expect_print("", "UTC", DEC_7, "");
	expect_print("\xc3\xa9 #-/ yyyy", "UTC", DEC_7, "\xc3\xa9 #-/ 2026");
}

Test(javadate, zone_ids_as_java_reads_them)
{
	expect_print("z zzzz XXX", "Z", DEC_7, "UTC Coordinated Universal Time Z");
	expect_print("z zzzz XXX", "GMT", DEC_7, "GMT Greenwich Mean Time Z");
	expect_print("z XXX", "+01:00", DEC_7, "GMT+01:00 +01:00");
	expect_print("z XXX", "-0230", DEC_7, "GMT-02:30 -02:30");
	expect_print("z XXX", "+5", DEC_7, "GMT+05:00 +05:00");
	expect_print("z XXX", "+00:00", DEC_7, "UTC Z");
	expect_print("z XXX", "GMT+1", DEC_7, "GMT+01:00 +01:00");
	expect_print("z XXX", "GMT+00", DEC_7, "GMT Z");
	/* TimeZone does not know these ids and uses GMT */
	expect_print("z XXX", "UTC+01:00", DEC_7, "GMT Z");
	expect_print("z XXX", "UT-3", DEC_7, "GMT Z");
	expect_print("z XXX", "+05:30:15", DEC_7, "GMT Z");
	expect_print("z XXX", "Etc/GMT-14", DEC_7, "GMT+14:00 +14:00");
	expect_print("z", "Europe/London", JUL_1, "BST");
	expect_print("z zzzz", "Etc/UTC", JUL_1, "UTC Coordinated Universal Time");
	expect_print("z zzzz", "Etc/GMT", JUL_1, "GMT Greenwich Mean Time");
}

Test(javadate, local_zone)
{
	setenv("TZ", "America/New_York", 1);
	expect_print("HH:mm z", NULL, DEC_7, "09:30 EST");
	expect_print(NULL, NULL, DEC_7, "2026-12-07T14:30:00Z");       /* the ISO form is UTC without a zone */
	setenv("TZ", ":Europe/Paris", 1);
	expect_print("HH:mm z", NULL, JUL_1, "11:05 CEST");
	setenv("TZ", "no/such/zone", 1);
	expect_print("HH:mm z zzzz", NULL, DEC_7, "14:30 GMT Greenwich Mean Time");
}

Test(javadate, compile_errors)
{
	expect_error("yyyy-MM-ddTHH", NULL, false, 10, "illegal pattern character 'T'");
	expect_error("x", "UTC", false, 0, "illegal pattern character 'x'");
	expect_error("YYYY", "UTC", false, 0, "week-based");
	expect_error("ww", "UTC", false, 0, "week-based");
	expect_error("XXXX", "UTC", false, 0, "repeated 4 times");
	expect_error("'abc", "UTC", false, 0, "unterminated quote");
	expect_error("yyyy 'a''", "UTC", false, 5, "unterminated quote");
	expect_error("zzzz", "Europe/Paris", false, 0, "'zzzz'");
	expect_error("z", "Asia/Dubai", false, 0, "numeric abbreviations");
	expect_error(NULL, "Mars/Olympus", true, 0, "unknown time zone 'Mars/Olympus'");
	expect_error("epoch", "utc", true, 0, "unknown time zone");
	expect_error(NULL, "+25:00", true, 0, "offset");
	expect_error(NULL, "+1:00", true, 0, "offset");
	expect_error(NULL, "UTC+x", true, 3, "time zone");
	expect_error(NULL, "../etc/passwd", true, 0, "unknown time zone");
	expect_error(NULL, "posix/Europe/Paris", true, 0, "unknown time zone");
	expect_error(NULL, "HST", true, 0, "unknown time zone");
}

static void expect_offset(const char *text, int64_t from, int64_t want)
{
	struct javadate_offset o;
	struct javadate_error err;
	cr_assert_eq(javadate_offset_parse(text, &o, &err), 0, "'%s': %s", text, err.msg);
	cr_expect_eq(javadate_offset_apply(&o, from), want, "'%s': %lld, want %lld", text,
		     (long long)javadate_offset_apply(&o, from), (long long)want);
}

Test(javadate, offsets)
{
	expect_offset("now", DEC_7, DEC_7);
	expect_offset("3 days", DEC_7, DEC_7 + 3 * 86400000LL);
	expect_offset("-1 seconds", DEC_7, DEC_7 - 1000);
	expect_offset("now +10 MINUTES", DEC_7, DEC_7 + 600000);
	expect_offset("anything -2 Hours", DEC_7, DEC_7 - 7200000);
	expect_offset(" 1 days", DEC_7, DEC_7 + 86400000LL);
	expect_offset("0 years  ", DEC_7, DEC_7);
	/* 2024-01-31T23:59:59.999Z + 1 month: the end of February, the time kept */
	expect_offset("1 months", 1706745599999LL, 1709251199999LL);
	/* 2024-02-29T12:00Z + 1 year: Feb 28; - 4 years: Feb 29 */
	expect_offset("1 years", 1709208000000LL, 1740744000000LL);
	expect_offset("-4 years", 1709208000000LL, 1582977600000LL);
	expect_offset("-1 months", -500, -2678400500LL);        /* 1969-12-31T23:59:59.5 -> 1969-11-30 */
}

Test(javadate, offset_errors)
{
	static const char *const bad[] = {
		"", "   ", "3days", "3  days", "3 weeks", "1 milliseconds", "x days", "1.5 days", "now 1 2 days",
		"2147483648 seconds", "1000000 years", "99999999 days", NULL,
	};
	for (size_t i = 0; bad[i]; i++) {
		struct javadate_offset o;
		struct javadate_error err;
		cr_expect_eq(javadate_offset_parse(bad[i], &o, &err), -EINVAL, "'%s' parsed", bad[i]);
	}
}
