/* SPDX-License-Identifier: MIT */
/* Numbers as text: digit classes and the YAML 1.2 core schema's integer and float forms,
 * shared by the YAML layer and the stub loader. */
#pragma once
#include <stdbool.h>

/** Whether c is '0'..'9'. */
bool numtext_is_digit(char c);
/** The value of a hex digit (either case), or 99 when c is none. Inline: the schema
 *  formats and JSON escapes call it once per character. */
static inline int numtext_digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}
/** 10 for [-+]?[0-9]+, 16 for 0x[0-9a-fA-F]+, 8 for 0o[0-7]+, else 0. */
int numtext_int_base(const char *s);
/** Whether s is [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )? */
bool numtext_is_float(const char *s);
/** Whether s is a JSON number (RFC 8259): -? ( 0 | [1-9][0-9]* ) ( \. [0-9]+ )? ( [eE] [-+]? [0-9]+ )?
 *  — not YAML's +1, 01, .5 or 1. */
bool numtext_is_json_number(const char *s);
