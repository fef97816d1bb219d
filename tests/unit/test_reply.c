/* SPDX-License-Identifier: MIT */
/* Reply values: headers appended in order into the request's arena, a JSON or text body
 * taken over from a strbuf, and release freeing what the reply owns. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "reply.h"
#include "testutil.h"
#include "util/arena.h"
#include "util/strbuf.h"

static struct arena arena;
static struct reply r;

static void setup(void)
{
	arena_init(&arena);
	memset(&r, 0, sizeof(r));
}

static void teardown(void)
{
	reply_release(&r);
	arena_release(&arena);
}

TestSuite(reply, .init = setup, .fini = teardown);

Test(reply, headers_keep_their_order_and_borrow_their_strings)
{
	const char *name = "X-One", *value = "1";
	reply_add_header(&r, &arena, name, value);
	reply_add_header(&r, &arena, "X-Two", "2");
	reply_add_header(&r, &arena, "x-one", "again");
	cr_assert_eq(r.nheaders, 3);
	cr_expect_eq(r.headers[0].name, name, "the name is borrowed, not copied");
	cr_expect_eq(r.headers[0].value, value, "the value is borrowed, not copied");
	cr_expect_str_eq(r.headers[1].name, "X-Two");
	cr_expect_str_eq(r.headers[2].value, "again");
	cr_expect_str_eq(got_header(&r, "X-ONE"), "1", "the first of two same-named headers");
	cr_expect_eq(count_headers(&r, "x-one"), 2);
}

Test(reply, headers_grow_past_the_first_block)
{
	static char names[40][16];
	for (int i = 0; i < 40; i++) {
		snprintf(names[i], sizeof(names[i]), "X-H%d", i);
		reply_add_header(&r, &arena, names[i], names[i]);
	}
	cr_assert_eq(r.nheaders, 40);
	cr_expect_geq(r.aheaders, 40, "capacity %zu below the count", r.aheaders);
	for (int i = 0; i < 40; i++)
		cr_expect_str_eq(r.headers[i].name, names[i], "header %d lost in a regrowth", i);
}

Test(reply, json_sets_status_type_and_takes_the_bytes)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, "{\"ok\":true}");
	reply_json(&r, 201, &sb);
	cr_expect_eq(r.status, 201);
	cr_expect_str_eq(r.content_type, "application/json");
	cr_expect_eq(r.body_len, 11);
	cr_expect_str_eq(r.body, "{\"ok\":true}");
	cr_expect_eq(r.body, r.body_owned, "the body is the reply's own copy");
	cr_expect_null(sb.buf, "the strbuf gave its bytes away");
	cr_expect_eq(sb.len, 0);
}

Test(reply, take_body_replaces_an_owned_body)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	strbuf_adds(&a, "first");
	reply_take_body(&r, &a, "text/plain");
	strbuf_adds(&b, "second body");
	reply_take_body(&r, &b, NULL);
	/* the first body was freed: the sanitizer run would report a leak otherwise */
	cr_expect_str_eq(r.body, "second body");
	cr_expect_eq(r.body_len, strlen("second body"));
	cr_expect_null(r.content_type, "NULL content type means none");
	cr_expect_eq(r.status, 0, "take_body leaves the status alone");
}

Test(reply, take_body_of_an_empty_buffer_is_an_empty_body)
{
	struct strbuf sb = STRBUF_INIT;
	reply_take_body(&r, &sb, "text/plain");
	cr_assert_not_null(r.body, "an empty body is \"\", not NULL");
	cr_expect_eq(r.body_len, 0);
	cr_expect_str_eq(r.body, "");
}

Test(reply, take_body_over_a_borrowed_body)
{
	static const char stub_body[] = "from the stub";
	r.body = stub_body;
	r.body_len = sizeof(stub_body) - 1;
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, "rendered");
	reply_take_body(&r, &sb, "text/plain");
	cr_expect_str_eq(r.body, "rendered");
	cr_expect_str_eq(stub_body, "from the stub", "the borrowed body is not written");
}

Test(reply, release_frees_and_zeroes)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, "x");
	r.delay_ms = 250;
	r.fault = STUB_FAULT_RESET;
	r.stub_id = "s";
	reply_add_header(&r, &arena, "A", "b");
	reply_json(&r, 404, &sb);
	reply_release(&r);
	cr_expect_eq(r.status, 0);
	cr_expect_null(r.body);
	cr_expect_null(r.body_owned);
	cr_expect_eq(r.body_len, 0);
	cr_expect_eq(r.nheaders, 0);
	cr_expect_null(r.headers);
	cr_expect_eq(r.delay_ms, 0);
	cr_expect(!r.fault);
	cr_expect_null(r.stub_id);
	/* and a released reply can be released again (teardown does) and reused */
	reply_release(&r);
	reply_add_header(&r, &arena, "C", "d");
	cr_expect_eq(r.nheaders, 1);
}

Test(reply, release_of_a_borrowed_body_frees_nothing)
{
	static const char stub_body[] = "borrowed";
	r.body = stub_body;
	r.body_len = 8;
	reply_release(&r);
	cr_expect_null(r.body);
	cr_expect_str_eq(stub_body, "borrowed");
}

/* ---- shared answers ---- */

static int dropped;

static void drop(void *built)
{
	cr_expect(built == (void *)1 || built == (void *)2);
	dropped++;
}

Test(reply, a_shared_answer_goes_with_its_last_reference_and_its_prebuilt_copies)
{
	struct reply_shared *sh = reply_shared_create(201, "text/plain", strdup("made"), 4);
	reply_shared_add_header(sh, "Location", "/x/1");
	cr_expect_str_eq(sh->headers[0].name, "Location");
	cr_expect_str_eq(sh->headers[0].value, "/x/1");
	reply_use_shared(&r, reply_shared_ref(sh));
	cr_expect_eq(r.status, 201);
	cr_expect_eq(r.shared, sh);
	/* what the adapter does when it builds its copies */
	atomic_store(&sh->drop, drop);
	atomic_store(&sh->built[0], (void *)1);
	atomic_store(&sh->built[1], (void *)2);
	reply_shared_unref(sh);
	cr_expect_eq(dropped, 0, "the reply still holds it");
	reply_release(&r);
	cr_expect_eq(dropped, 2);
	cr_expect_null(r.shared);
	reply_shared_unref(NULL);
}
