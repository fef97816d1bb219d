/* SPDX-License-Identifier: MIT */
/* The access log: one line per request (SPEC section 7), written with one write() so
 * that lines from different threads stay whole. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct strbuf;

struct access_entry {
	struct timespec wall;       /* when the line is written (CLOCK_REALTIME) */
	double ms;                  /* from arrival to now */
	const char *method;
	const char *path;
	int status;                 /* 0: no answer (fault: reset) */
	const char *stub_id;        /* NULL: none */
	const char *note;           /* near-miss summary, refusal, proxy outcome; NULL or "" */
	bool ended_early;           /* the connection ended before the answer was sent */
	const char *detail;         /* --verbose lines after the log line; may be NULL */
	size_t detail_len;
};

/** Formats e as `TIME METHOD PATH STATUS [STUB] [NOTE] [(connection ended early)] MSms`
 *  (the status colored when color) and the detail lines, into out. */
void access_log_format(const struct access_entry *e, bool color, struct strbuf *out);

/** Formats e and writes it to fd in one write(). Any thread. */
void access_log_write(int fd, const struct access_entry *e, bool color);
