/* SPDX-License-Identifier: MIT */
/* Numbers as text: what the core schema reads as an integer or a float. */
#include "util/numtext.h"

bool numtext_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool all_digits(const char *s, int base)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (numtext_digit_value(*s) >= base)
			return false;
	return true;
}

int numtext_int_base(const char *s)
{
	if (s[0] == '0' && s[1] == 'x')
		return all_digits(s + 2, 16) ? 16 : 0;
	if (s[0] == '0' && s[1] == 'o')
		return all_digits(s + 2, 8) ? 8 : 0;
	if (*s == '+' || *s == '-')
		s++;
	return all_digits(s, 10) ? 10 : 0;
}

bool numtext_is_float(const char *p)
{
	unsigned long idig = 0, fdig = 0;
	if (*p == '+' || *p == '-')
		p++;
	for (; numtext_is_digit(*p); p++)
		idig++;
	if (*p == '.') {
		for (p++; numtext_is_digit(*p); p++)
			fdig++;
		if (!idig && !fdig)
			return false;
	} else if (!idig) {
		return false;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!numtext_is_digit(*p))
			return false;
		while (numtext_is_digit(*p))
			p++;
	}
	return *p == '\0';
}

static const char *digits(const char *p)
{
	while (numtext_is_digit(*p))
		p++;
	return p;
}

bool numtext_is_json_number(const char *p)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		p = digits(p);
	else
		return false;
	if (*p == '.') {
		const char *f = ++p;
		if ((p = digits(p)) == f)
			return false;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		const char *e = p;
		if ((p = digits(p)) == e)
			return false;
	}
	return *p == '\0';
}
