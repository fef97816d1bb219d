/* SPDX-License-Identifier: MIT */
/* Unit tests for regex.c (the PCRE2 adapter): whole-subject matching, case folding,
 * compile errors with their offsets, subjects by length (NULs, invalid UTF-8), named
 * captures, and one compiled regex shared by several threads. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regex.h"
#include "util/rng.h"
#include "util/arena.h"

static struct regex *compile(const char *pattern, bool ignore_case)
{
	char *err = NULL;
	size_t off = 0;
	struct regex *re = regex_compile(pattern, ignore_case, &err, &off);
	cr_assert_not_null(re, "'%s' does not compile: %s at %zu", pattern, err ? err : "?", off);
	return re;
}

static bool matches(const struct regex *re, const char *subject)
{
	return regex_match(re, subject, strlen(subject));
}

struct match_case {
	const char *pattern;
	bool ignore_case;
	const char *subject;
	bool want;
};

static const struct match_case match_cases[] = {
	{ "abc", false, "abc", true },
	/* anchored at both ends: the whole subject must match */
	{ "abc", false, "xabc", false },
	{ "abc", false, "abcx", false },
	{ "b", false, "abc", false },
	{ "a|b", false, "ab", false },
	{ "a|b", false, "b", true },
	{ "[0-9]+", false, "12345", true },
	{ "[0-9]+", false, "123a", false },
	{ ".*", false, "", true },
	{ "a*", false, "", true },
	{ "a+", false, "", false },
	{ "(?s).*x.*", false, "line\nx\nline", true },
	{ ".*x.*", false, "line\nx\nline", false },
	{ "ABC", false, "abc", false },
	{ "ABC", true, "abc", true },
	{ "é+", true, "Éé", true },
	{ ".", false, "é", true },
	{ "..", false, "é", false },
	{ "/users/[^/]+", false, "/users/42", true },
	{ "/users/[^/]+", false, "/users/42/orders", false },
};

Test(regex, whole_subject_matches)
{
	for (size_t i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
		const struct match_case *c = &match_cases[i];
		struct regex *re = compile(c->pattern, c->ignore_case);
		cr_expect_eq(matches(re, c->subject), c->want, "'%s'%s on '%s': expected %s", c->pattern,
			     c->ignore_case ? " (ignore case)" : "", c->subject, c->want ? "a match" : "no match");
		regex_destroy(re);
	}
}

static const struct match_case search_cases[] = {
	/* found anywhere, as JavaScript's RegExp.test finds it */
	{ "b", false, "abc", true },
	{ "^ab", true, "ABc", true },
	{ "^b", false, "abc", false },
	{ "c$", false, "abc", true },
	/* JavaScript's $ is the very end: not before a final newline */
	{ "c$", false, "abc\n", false },
	{ "x", false, "abc", false },
	{ "", false, "", true },
};

Test(regex, search_finds_the_pattern_anywhere)
{
	for (size_t i = 0; i < sizeof(search_cases) / sizeof(search_cases[0]); i++) {
		const struct match_case *c = &search_cases[i];
		struct regex *re = regex_compile_search(c->pattern, c->ignore_case, NULL, NULL);
		cr_assert_not_null(re, "'%s' does not compile", c->pattern);
		cr_expect_eq(matches(re, c->subject), c->want, "search '%s' in '%s': expected %s", c->pattern,
			     c->subject, c->want ? "a match" : "no match");
		regex_destroy(re);
	}
	size_t off = 99;
	char *err = NULL;
	cr_expect_null(regex_compile_search("a(", false, &err, &off));
	cr_expect_not_null(err);
	cr_expect_eq(off, 2);
	free(err);
}

Test(regex, source_is_kept_as_given)
{
	struct regex *re = compile("(?<id>[0-9]+)", true);
	cr_expect_str_eq(regex_source(re), "(?<id>[0-9]+)");
	regex_destroy(re);
}

Test(regex, destroy_null_does_nothing)
{
	regex_destroy(NULL);
}

Test(regex, compile_errors_carry_message_and_offset)
{
	/* offset 0 where PCRE2's exact choice is its own business: then only "inside" is checked */
	static const struct {
		const char *pattern;
		size_t offset;
	} cases[] = {
		{ "(", 1 },
		{ "a)", 1 },
		{ "[a-", 3 },
		{ "x{2,1}", 0 },
		{ "(?<id>a)(?<id>b)", 0 },
		{ "\\", 1 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *err = NULL;
		size_t off = 999;
		struct regex *re = regex_compile(cases[i].pattern, false, &err, &off);
		cr_expect_null(re, "'%s' compiled", cases[i].pattern);
		cr_assert_not_null(err, "'%s': no message", cases[i].pattern);
		cr_expect_gt(strlen(err), 0);
		if (cases[i].offset)
			cr_expect_eq(off, cases[i].offset, "'%s': %s at %zu", cases[i].pattern, err, off);
		else
			cr_expect_gt(off, 0, "'%s': %s at %zu", cases[i].pattern, err, off);
		cr_expect_leq(off, strlen(cases[i].pattern));
		free(err);
		regex_destroy(re);
	}
}

Test(regex, compile_error_without_out_parameters)
{
	cr_expect_null(regex_compile("(", false, NULL, NULL));
}

Test(regex, subject_is_taken_by_length)
{
	struct regex *re = compile("ab", false);
	cr_expect(regex_match(re, "abc", 2), "only the first len bytes count");
	cr_expect_not(regex_match(re, "abc", 3));
	cr_expect_not(regex_match(re, "ab", 1));
	regex_destroy(re);

	re = compile("a\\x00b", false);
	cr_expect(regex_match(re, "a\0b", 3), "a NUL inside the subject is a byte like any other");
	cr_expect_not(regex_match(re, "a\0b", 1));
	regex_destroy(re);
}

Test(regex, invalid_utf8_subject_does_not_match_dot)
{
	struct regex *re = compile("a.c", false);
	cr_expect_not(regex_match(re, "a\xff" "c", 3), "an invalid byte is no character");
	cr_expect(regex_match(re, "abc", 3));
	regex_destroy(re);
	re = compile("x", false);
	cr_expect_not(regex_match(re, "\xc3", 1), "a truncated sequence neither matches nor fails hard");
	regex_destroy(re);
}

/* ---- named captures ---- */

static const char *capture(const struct regex_capture *caps, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(caps[i].name, name) == 0)
			return caps[i].value;
	return NULL;
}

Test(regex, named_captures)
{
	struct regex *re = compile("/items/(?<id>[0-9]+)(/(?<sub>[a-z]+))?", false);
	struct arena a;
	arena_init(&a);
	struct regex_capture caps[4];
	const char *s = "/items/42/parts";
	int n = regex_match_named(re, s, strlen(s), &a, caps, 4);
	cr_assert_eq(n, 2);
	cr_expect_str_eq(capture(caps, n, "id"), "42");
	cr_expect_str_eq(capture(caps, n, "sub"), "parts");

	/* a group that took no part in the match is left out */
	s = "/items/7";
	n = regex_match_named(re, s, strlen(s), &a, caps, 4);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(caps[0].name, "id");
	cr_expect_str_eq(caps[0].value, "7");

	/* no match: -1 */
	s = "/items/x";
	cr_expect_eq(regex_match_named(re, s, strlen(s), &a, caps, 4), -1);
	s = "/items/1/2";
	cr_expect_eq(regex_match_named(re, s, strlen(s), &a, caps, 4), -1);
	arena_release(&a);
	regex_destroy(re);
}

Test(regex, named_captures_up_to_max)
{
	struct regex *re = compile("(?<a>x)(?<b>y)(?<c>z)", false);
	struct arena a;
	arena_init(&a);
	struct regex_capture caps[3];
	cr_expect_eq(regex_match_named(re, "xyz", 3, &a, caps, 2), 2);
	cr_expect_eq(regex_match_named(re, "xyz", 3, &a, caps, 0), 0, "max 0: a match with nothing returned");
	cr_expect_eq(regex_match_named(re, "xyw", 3, &a, caps, 0), -1);
	arena_release(&a);
	regex_destroy(re);
}

Test(regex, unnamed_groups_are_not_captures)
{
	struct regex *re = compile("(a)(?:b)(?<last>c)", false);
	struct arena a;
	arena_init(&a);
	struct regex_capture caps[4];
	int n = regex_match_named(re, "abc", 3, &a, caps, 4);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(caps[0].name, "last");
	cr_expect_str_eq(caps[0].value, "c");
	arena_release(&a);
	regex_destroy(re);
}

Test(regex, captured_values_are_copies)
{
	struct regex *re = compile("(?<v>.*)", true);
	struct arena a;
	arena_init(&a);
	struct regex_capture caps[1];
	char subject[] = "Hello\0World";
	cr_assert_eq(regex_match_named(re, subject, 5, &a, caps, 1), 1);
	memset(subject, 'x', sizeof(subject) - 1);
	cr_expect_str_eq(caps[0].value, "Hello", "NUL-terminated, from the arena");
	arena_release(&a);
	regex_destroy(re);
}

/* ---- one regex, several threads ---- */

#define THREADS 4
#define ROUNDS 5000

struct shared {
	const struct regex *re;
	int wrong;
};

static void *match_many(void *p)
{
	struct shared *sh = p;
	struct arena a;
	arena_init(&a);
	char subject[64];
	int wrong = 0;
	for (int i = 0; i < ROUNDS; i++) {
		struct regex_capture caps[2];
		int len = snprintf(subject, sizeof(subject), i % 4 ? "/u/%d/n%d" : "/u/%d/x", i, i);
		int n = regex_match_named(sh->re, subject, (size_t)len, &a, caps, 2);
		char want[16];
		snprintf(want, sizeof(want), "%d", i);
		if (i % 4 == 0 ? n != -1 : n != 2 || strcmp(caps[0].value, want) != 0)
			wrong++;
		if (regex_match(sh->re, subject, (size_t)len) != (i % 4 != 0))
			wrong++;
	}
	arena_release(&a);
	__atomic_add_fetch(&sh->wrong, wrong, __ATOMIC_RELAXED);
	return NULL;
}

Test(regex, shared_by_threads)
{
	struct regex *re = compile("/u/(?<a>[0-9]+)/n(?<b>[0-9]+)", false);
	struct shared sh = { re, 0 };
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, match_many, &sh), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	cr_expect_eq(sh.wrong, 0);
	regex_destroy(re);
}

/* Patterns simple enough to be matched without PCRE2 (literals and classes with counts,
 * whole subject) answer as PCRE2 does: the same pattern inside a group, which the simple
 * matcher does not take, is PCRE2's answer, on subjects built from the patterns' own
 * bytes, a few others, and bytes of UTF-8 and invalid UTF-8. */
Test(regex, simple_patterns_answer_as_pcre2)
{
	static const char *const patterns[] = {
		"^[A-Z]{3}$", "^[A-Z]{2}-[0-9]{3}$", "^\\d{5}$", "^[a-z0-9_-]+$", "^a?b?a$", "^a*b+c?$", "^x{2,4}y{0,}z$",
		"^[0-9]{1,3}\\.[0-9]{1,3}$", "^$", "^abc$", "^a{0}b$", "^[ab]*[bc]$", "^[a-c]{2,}[d-f]?$", "^\\/api\\/v[12]$",
		"^[+-]?[0-9]+$", "^[-a]+$", "^[a-]+$", "^x{2, 5}$", "^a{,3}$", "^\\$5$", "^[\\d.]+$", "^a+?$", "^a{2}?$",
		"^[\\]a]+$", "^ab+$", "^.$", "^[ -@\\[-~]{3}$", "^[a-c-e]+$",
	};
	static const char *const whole[] = { "[A-Z]{3}", "abc", "a?b?a", "[0-9]+-[0-9]+", "x{3}" };
	static const char bytes[] = "aAbBcCzZxyd019-_.$/+v]  \xc3\xa9\xff\n[\\~`^";
	struct rng r;
	rng_seed(&r, 7);
	for (size_t w = 0; w < 2; w++) {
		size_t np = w ? sizeof whole / sizeof *whole : sizeof patterns / sizeof *patterns;
		for (size_t i = 0; i < np; i++) {
			const char *pat = w ? whole[i] : patterns[i];
			char grouped[128];
			if (w) {
				snprintf(grouped, sizeof grouped, "(?:%s)", pat);
			} else {
				size_t len = strlen(pat);
				snprintf(grouped, sizeof grouped, "^(?:%.*s)$", (int)(len - 2), pat + 1);
			}
			char *err = NULL;
			size_t off = 0;
			struct regex *fast = w ? regex_compile(pat, false, &err, &off) : regex_compile_search(pat, false, &err, &off);
			struct regex *pcre = w ? regex_compile(grouped, false, &err, &off)
					       : regex_compile_search(grouped, false, &err, &off);
			cr_assert(fast && pcre, "'%s' does not compile: %s", pat, err ? err : "");
			for (int k = 0; k < 3000; k++) {
				char subject[16];
				size_t len = rng_below(&r, 9);
				for (size_t j = 0; j < len; j++)
					subject[j] = bytes[rng_below(&r, sizeof bytes - 1)];
				cr_assert_eq(regex_match(fast, subject, len), regex_match(pcre, subject, len),
					     "'%s' on '%.*s'", pat, (int)len, subject);
			}
			static const char *const fixed[] = { "ABC", "AB-123", "12345", "aba", "a", "abbb", "xxz", "xxxxyz",
							     "1.22", "", "b", "ab", "/api/v1", "-12", "$5", "1.2.3", "]a",
							     /* exact counts cut short, or with a byte more */
							     "AB-12", "AB-1234", "AB-", "A", "ABCD", "1234", "123456" };
			for (size_t k = 0; k < sizeof fixed / sizeof *fixed; k++)
				cr_assert_eq(regex_match(fast, fixed[k], strlen(fixed[k])),
					     regex_match(pcre, fixed[k], strlen(fixed[k])), "'%s' on '%s'", pat, fixed[k]);
			regex_destroy(fast);
			regex_destroy(pcre);
		}
	}
}
