/* SPDX-License-Identifier: MIT */
/* UTF-8 validation shared by everything that turns request bytes into JSON or text. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/** Length of the valid UTF-8 sequence at s (reading at most n > 0 bytes), or 0 when it is
 *  not one: no overlong forms, no surrogates, nothing above U+10FFFF. */
size_t utf8_seq(const unsigned char *s, size_t n);

/** Whether s[0..n) is valid UTF-8 throughout. */
bool utf8_valid(const char *s, size_t n);
