/* SPDX-License-Identifier: MIT */
/* Access log lines: `TIME METHOD PATH STATUS [STUB] [NOTE] [(connection ended early)] MSms`,
 * the status colored by class, --verbose detail after the line, and the whole of it in
 * one write() to a file. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access_log.h"
#include "testutil.h"
#include "util/strbuf.h"

/* 2023-11-14T22:13:20.123Z */
static const struct timespec when = { 1700000000, 123456789 };

static struct access_entry entry(const char *method, const char *path, int status)
{
	return (struct access_entry){ .wall = when, .ms = 1.5, .method = method, .path = path, .status = status };
}

/* The formatted entry (the caller frees it). */
static char *format(const struct access_entry *e, bool color)
{
	struct strbuf sb = STRBUF_INIT;
	access_log_format(e, color, &sb);
	return strbuf_detach(&sb, NULL);
}

static void expect_line(const struct access_entry *e, bool color, const char *want)
{
	char *got = format(e, color);
	cr_expect_str_eq(got, want);
	free(got);
}

Test(access_log, time_is_utc_with_milliseconds_truncated)
{
	struct access_entry e = entry("GET", "/", 200);
	e.wall = (struct timespec){ 0, 999999999 };
	expect_line(&e, false, "1970-01-01T00:00:00.999Z GET / 200 1.50ms\n");
	e.wall = (struct timespec){ 86399, 0 };
	expect_line(&e, false, "1970-01-01T23:59:59.000Z GET / 200 1.50ms\n");
}

Test(access_log, duration_has_two_decimals)
{
	struct access_entry e = entry("GET", "/", 200);
	e.ms = 0;
	expect_line(&e, false, "2023-11-14T22:13:20.123Z GET / 200 0.00ms\n");
	e.ms = 1234.567;
	expect_line(&e, false, "2023-11-14T22:13:20.123Z GET / 200 1234.57ms\n");
}

/* Criterion hands the cases to workers as bytes, so they hold arrays, not pointers. */
struct line_case {
	char method[8], path[24];
	int status;
	char stub[16];              /* "": none */
	char note[96];              /* "": none (or empty) */
	bool ended_early;
	char want[192];             /* after "2023-11-14T22:13:20.123Z " */
};

ParameterizedTestParameters(access_log, lines)
{
	static struct line_case cases[] = {
		{ "GET", "/api/users", 200, "", "", false, "GET /api/users 200 1.50ms\n" },
		/* stub, note and early end, in that order */
		{ "POST", "/api/orders", 201, "create-order", "fault: reset", true,
		  "POST /api/orders 201 create-order fault: reset (connection ended early) 1.50ms\n" },
		{ "GET", "/api", 200, "", "", true, "GET /api 200 (connection ended early) 1.50ms\n" },
		/* a miss: no stub, the near-miss summary */
		{ "DELETE", "/api/users/1", 404, "",
		  "no stub matched; closest get-user: method: expected \"GET\", got \"DELETE\"", false,
		  "DELETE /api/users/1 404 no stub matched; closest get-user: method: expected \"GET\", got \"DELETE\" "
		  "1.50ms\n" },
		/* no answer at all */
		{ "GET", "/flaky", 0, "flaky", "fault: reset", false, "GET /flaky 0 flaky fault: reset 1.50ms\n" },
		/* paths are logged as given: decoded, spaces included */
		{ "GET", "/a b", 200, "", "", false, "GET /a b 200 1.50ms\n" },
	};
	return cr_make_param_array(struct line_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct line_case *c, access_log, lines)
{
	struct access_entry e = entry(c->method, c->path, c->status);
	e.stub_id = c->stub[0] ? c->stub : NULL;
	e.note = c->note;               /* "" and NULL both mean none */
	e.ended_early = c->ended_early;
	char want[256];
	snprintf(want, sizeof(want), "2023-11-14T22:13:20.123Z %s", c->want);
	expect_line(&e, false, want);
	e.note = c->note[0] ? c->note : NULL;
	expect_line(&e, false, want);
}

Test(access_log, status_colors_by_class)
{
	static const struct {
		int status;
		const char *color;
	} cases[] = {
		{ 100, "\033[32m" }, { 200, "\033[32m" }, { 304, "\033[32m" }, { 399, "\033[32m" },
		{ 400, "\033[33m" }, { 404, "\033[33m" }, { 499, "\033[33m" },
		{ 500, "\033[31m" }, { 503, "\033[31m" }, { 0, "\033[31m" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct access_entry e = entry("GET", "/", cases[i].status);
		char want[128];
		snprintf(want, sizeof(want), "2023-11-14T22:13:20.123Z GET / %s%d\033[0m 1.50ms\n", cases[i].color,
			 cases[i].status);
		char *got = format(&e, true);
		cr_expect_str_eq(got, want, "status %d", cases[i].status);
		free(got);
	}
}

Test(access_log, only_the_status_is_colored)
{
	struct access_entry e = entry("GET", "/x", 404);
	e.stub_id = "s";
	char *got = format(&e, true);
	cr_expect_eq(count_substr(got, "\033["), 2, "one color and one reset in %s", got);
	cr_expect_not_null(strstr(got, "\033[0m s 1.50ms\n"), "%s", got);
	free(got);
}

Test(access_log, detail_follows_the_line)
{
	static const char detail[] = "    a: method: expected \"GET\", got \"PUT\"\n"
				     "    b: path: expected \"/b\", got \"/a\"\n";
	struct access_entry e = entry("PUT", "/a", 404);
	e.detail = detail;
	e.detail_len = strlen(detail);
	char *got = format(&e, false);
	const char *nl = strchr(got, '\n');
	cr_assert_not_null(nl);
	cr_expect_str_eq(nl + 1, detail, "the detail lines come after the log line, as given");
	cr_expect_eq(count_substr(got, "\n"), 3);
	free(got);
	/* detail_len bounds it, and 0 means none */
	e.detail_len = 0;
	expect_line(&e, false, "2023-11-14T22:13:20.123Z PUT /a 404 1.50ms\n");
}

Test(access_log, format_appends)
{
	struct access_entry e = entry("GET", "/", 200);
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, "before|");
	access_log_format(&e, false, &sb);
	cr_expect_str_eq(sb.buf, "before|2023-11-14T22:13:20.123Z GET / 200 1.50ms\n");
	strbuf_release(&sb);
}

Test(access_log, write_puts_the_formatted_lines_in_the_file)
{
	char *path = tmpfile_create("access-log");
	int fd = open(path, O_WRONLY | O_APPEND);
	cr_assert(fd >= 0, "open %s", path);
	struct access_entry a = entry("GET", "/one", 200), b = entry("POST", "/two", 500);
	b.stub_id = "boom";
	b.detail = "    detail\n";
	b.detail_len = strlen(b.detail);
	access_log_write(fd, &a, false);
	access_log_write(fd, &b, true);
	close(fd);
	char *got = slurp(path);
	char *want_a = format(&a, false), *want_b = format(&b, true);
	struct strbuf want = STRBUF_INIT;
	strbuf_adds(&want, want_a);
	strbuf_adds(&want, want_b);
	cr_expect_str_eq(got, want.buf, "the file holds exactly what format gives");
	strbuf_release(&want);
	free(want_a);
	free(want_b);
	free(got);
	unlink(path);
	free(path);
}

Test(access_log, write_to_a_bad_fd_is_silent)
{
	struct access_entry e = entry("GET", "/", 200);
	access_log_write(-1, &e, false);        /* EBADF: nothing to report, nothing to crash */
}
