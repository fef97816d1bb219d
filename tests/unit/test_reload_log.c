/* SPDX-License-Identifier: MIT */
/* reload_log.h: the exact lines that tell how a reload went (the watcher, SIGHUP and the
 * admin API all print these, and users grep for them). */
#include <criterion/criterion.h>

#include <stdlib.h>

#include "reload_log.h"
#include "util/strbuf.h"

/* The text reload_log_format appends to a buffer that already holds before. */
static void expect_line(const char *before, bool ok, const char *errors, size_t nstubs, bool again,
			const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	if (before)
		strbuf_adds(&sb, before);
	reload_log_format(&sb, ok, errors, nstubs, again);
	cr_assert_str_eq(strbuf_str(&sb), want);
	strbuf_release(&sb);
}

Test(reload_log, a_good_reload_tells_how_many_stubs_are_served)
{
	expect_line(NULL, true, NULL, 3, false, "cannery: reloaded: serving 3 stubs\n");
	expect_line(NULL, true, NULL, 1, false, "cannery: reloaded: serving 1 stub\n");
	expect_line(NULL, true, NULL, 0, false, "cannery: reloaded: serving 0 stubs\n");
	expect_line(NULL, true, NULL, 10000, false, "cannery: reloaded: serving 10000 stubs\n");
}

Test(reload_log, a_good_reload_ignores_errors_and_again)
{
	expect_line(NULL, true, "stubs/x.yaml:1:1: error: old\n", 2, true, "cannery: reloaded: serving 2 stubs\n");
}

Test(reload_log, a_failed_reload_prints_the_errors_then_what_is_still_served)
{
	expect_line(NULL, false,
		    "stubs/a.yaml:3:5: error: unknown key 'bodyy' in 'response' (did you mean 'body'?)\n"
		    "stubs/b.yaml:1:1: error: duplicate stub id 'b'\n",
		    4, false,
		    "stubs/a.yaml:3:5: error: unknown key 'bodyy' in 'response' (did you mean 'body'?)\n"
		    "stubs/b.yaml:1:1: error: duplicate stub id 'b'\n"
		    "cannery: reload failed; still serving the previous 4 stubs\n");
	expect_line(NULL, false, "e\n", 1, false, "e\ncannery: reload failed; still serving the previous 1 stub\n");
}

Test(reload_log, a_failed_reload_without_errors_text)
{
	expect_line(NULL, false, NULL, 2, false, "cannery: reload failed; still serving the previous 2 stubs\n");
	expect_line(NULL, false, "", 0, false, "cannery: reload failed; still serving the previous 0 stubs\n");
}

Test(reload_log, the_same_failure_again_is_acknowledged_without_the_errors)
{
	expect_line(NULL, false, "stubs/a.yaml:1:1: error: x\n", 5, true,
		    "cannery: reload failed again with the same errors; still serving the previous 5 stubs\n");
	expect_line(NULL, false, NULL, 1, true,
		    "cannery: reload failed again with the same errors; still serving the previous 1 stub\n");
}

Test(reload_log, lines_are_appended)
{
	expect_line("earlier\n", true, NULL, 1, false, "earlier\ncannery: reloaded: serving 1 stub\n");
	expect_line("earlier\n", false, "e\n", 2, false,
		    "earlier\ne\ncannery: reload failed; still serving the previous 2 stubs\n");
	expect_line("earlier\n", false, "e\n", 2, true,
		    "earlier\ncannery: reload failed again with the same errors; still serving the previous 2 stubs\n");
}
