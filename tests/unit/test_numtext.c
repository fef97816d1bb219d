/* SPDX-License-Identifier: MIT */
/* util/numtext: the YAML 1.2 core schema's integer and float forms. */
#include <criterion/criterion.h>

#include "util/numtext.h"

Test(numtext, digits)
{
	cr_expect(numtext_is_digit('0') && numtext_is_digit('9'));
	cr_expect_not(numtext_is_digit('a'));
	cr_expect_eq(numtext_digit_value('7'), 7);
	cr_expect_eq(numtext_digit_value('b'), 11);
	cr_expect_eq(numtext_digit_value('F'), 15);
	cr_expect_eq(numtext_digit_value('g'), 99);
}

Test(numtext, integer_bases)
{
	cr_expect_eq(numtext_int_base("42"), 10);
	cr_expect_eq(numtext_int_base("-42"), 10);
	cr_expect_eq(numtext_int_base("+007"), 10);
	cr_expect_eq(numtext_int_base("0x1aF"), 16);
	cr_expect_eq(numtext_int_base("0o17"), 8);
	cr_expect_eq(numtext_int_base("0o18"), 0);
	cr_expect_eq(numtext_int_base("0x"), 0);
	cr_expect_eq(numtext_int_base("-0x1"), 0);
	cr_expect_eq(numtext_int_base(""), 0);
	cr_expect_eq(numtext_int_base("-"), 0);
	cr_expect_eq(numtext_int_base("1_000"), 0);
}

Test(numtext, floats)
{
	static const char *const yes[] = { "1.5", "-1.", ".5", "+2e10", "3E-2", "10", "0.0e+0" };
	static const char *const no[] = { ".", "e5", "1e", "1.5.2", "--1", "", "1e+", ".e1", "0x1" };
	for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++)
		cr_expect(numtext_is_float(yes[i]), "%s", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(*no); i++)
		cr_expect_not(numtext_is_float(no[i]), "%s", no[i]);
}

Test(numtext, json_numbers)
{
	static const char *const yes[] = { "0", "-0", "7", "418", "-12", "0.5", "1.25e3", "1E-7", "2e+10", "-0.0" };
	static const char *const no[] = { "", "-", "+418", "01", "-01", ".5", "5.", "1e", "1e+", "0x10", "1.2.3",
					  ".inf", "nan", "1 ", " 1", "--1" };
	for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++)
		cr_expect(numtext_is_json_number(yes[i]), "%s", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(*no); i++)
		cr_expect(!numtext_is_json_number(no[i]), "'%s'", no[i]);
}
