/* SPDX-License-Identifier: MIT */
/* Unit tests for conns.c, the connection registry: deadlines for request heads, the
 * minimum body rate, idle timeouts and making room at the limit, on socket pairs whose
 * other end shows whether the registry shut a connection down. Time is passed in, so
 * nothing here waits. */
#include <criterion/criterion.h>
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conns.h"

/* One connection: the end the registry holds and the peer's end. */
struct pair {
	int mine, peer;
	struct conn *c;
};

static void pair_open(struct conns *cs, struct pair *p, uint64_t now)
{
	int sv[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	p->mine = sv[0];
	p->peer = sv[1];
	p->c = conns_open(cs, p->mine, now);
}

static void pair_close(struct conns *cs, struct pair *p)
{
	conns_close(cs, p->c);
	close(p->mine);
	close(p->peer);
}

/* Whether the registry shut the connection down: the peer reads end-of-file. */
static bool was_shut(const struct pair *p)
{
	char b;
	ssize_t n = recv(p->peer, &b, 1, MSG_DONTWAIT);
	return n == 0;
}

static const struct conns_config cfg = {
	.head_timeout_ms = 1000,
	.idle_timeout_ms = 5000,
	.body_rate = 100,
	.max_connections = 3,
};

Test(conns, a_head_must_be_complete_by_its_deadline)
{
	struct conns *cs = conns_create(&cfg);
	struct pair slow, quick;
	pair_open(cs, &slow, 0);
	pair_open(cs, &quick, 0);
	conns_head_done(cs, quick.c, 10);
	conns_answering(cs, quick.c);
	cr_expect_eq(conns_sweep(cs, 999), 0);
	cr_expect(!was_shut(&slow));
	cr_expect_eq(conns_sweep(cs, 1000), 1, "the head that is not in after 1000 ms");
	cr_expect(was_shut(&slow));
	cr_expect(!was_shut(&quick), "an answered request has no deadline of ours");
	cr_expect_eq(conns_sweep(cs, 100000), 0, "a connection is shut once");
	struct conns_stats st = conns_get_stats(cs);
	cr_expect_eq(st.head_timeouts, 1);
	cr_expect_eq(st.open, 2, "shut, but open until its owner closes it");
	pair_close(cs, &slow);
	pair_close(cs, &quick);
	cr_expect_eq(conns_get_stats(cs).open, 0);
	conns_destroy(cs);
}

Test(conns, a_body_must_keep_the_minimum_rate_after_the_grace)
{
	struct conns *cs = conns_create(&cfg);
	struct pair slow, fast;
	pair_open(cs, &slow, 0);
	pair_open(cs, &fast, 0);
	conns_head_done(cs, slow.c, 100);
	conns_head_done(cs, fast.c, 100);
	conns_body(cs, slow.c, 50);
	conns_body(cs, fast.c, 500);
	cr_expect_eq(conns_sweep(cs, 1100), 0, "within the grace nothing is measured");
	cr_expect_eq(conns_sweep(cs, 1600), 1, "50 bytes in 1.5 s is under 100 B/s; 500 is not");
	cr_expect(was_shut(&slow));
	cr_expect(!was_shut(&fast));
	cr_expect_eq(conns_get_stats(cs).slow_bodies, 1);
	pair_close(cs, &slow);
	pair_close(cs, &fast);
	conns_destroy(cs);
}

Test(conns, idle_keep_alive_connections_time_out)
{
	struct conns *cs = conns_create(&cfg);
	struct pair p;
	pair_open(cs, &p, 0);
	conns_head_done(cs, p.c, 5);
	conns_answering(cs, p.c);
	conns_request_done(cs, p.c, 100);
	cr_expect_eq(conns_get_stats(cs).idle, 1);
	cr_expect_eq(conns_sweep(cs, 5099), 0, "idle_timeout_ms after the request ended, not the head's deadline");
	cr_expect_eq(conns_sweep(cs, 5100), 1);
	cr_expect(was_shut(&p));
	struct conns_stats st = conns_get_stats(cs);
	cr_expect_eq(st.idle_timeouts, 1);
	cr_expect_eq(st.idle, 0);
	pair_close(cs, &p);
	conns_destroy(cs);
}

Test(conns, at_the_limit_the_longest_idle_connection_makes_room)
{
	struct conns *cs = conns_create(&cfg);
	struct pair p[6];
	for (int i = 0; i < 3; i++)
		pair_open(cs, &p[i], 0);
	/* p[1] went idle first, then p[0]; p[2] is mid-request */
	conns_request_done(cs, p[1].c, 10);
	conns_request_done(cs, p[0].c, 20);
	pair_open(cs, &p[3], 30);
	cr_expect(was_shut(&p[1]), "the one idle the longest");
	cr_expect(!was_shut(&p[0]) && !was_shut(&p[2]) && !was_shut(&p[3]));
	pair_open(cs, &p[4], 40);
	cr_expect(was_shut(&p[0]), "then the next");
	pair_open(cs, &p[5], 50);
	cr_expect(!was_shut(&p[2]), "a connection in a request is never evicted");
	struct conns_stats st = conns_get_stats(cs);
	cr_expect_eq(st.evicted_idle, 2);
	cr_expect_eq(st.open, 6);
	cr_expect_eq(st.idle, 0);
	for (int i = 0; i < 6; i++)
		pair_close(cs, &p[i]);
	conns_destroy(cs);
}

Test(conns, a_busy_connection_going_idle_again_moves_to_the_back)
{
	struct conns *cs = conns_create(&cfg);
	struct pair a, b, c, d;
	pair_open(cs, &a, 0);
	pair_open(cs, &b, 0);
	pair_open(cs, &c, 0);
	conns_request_done(cs, a.c, 10);
	conns_request_done(cs, b.c, 20);
	conns_head_done(cs, a.c, 30);      /* a's next request */
	conns_answering(cs, a.c);
	conns_request_done(cs, a.c, 40);   /* idle again, now after b */
	pair_open(cs, &d, 50);
	cr_expect(was_shut(&b));
	cr_expect(!was_shut(&a));
	pair_close(cs, &a);
	pair_close(cs, &b);
	pair_close(cs, &c);
	pair_close(cs, &d);
	conns_destroy(cs);
}

Test(conns, zero_turns_each_rule_off)
{
	struct conns_config off = { 0 };
	struct conns *cs = conns_create(&off);
	struct pair p[3];
	pair_open(cs, &p[0], 0);
	pair_open(cs, &p[1], 0);
	conns_head_done(cs, p[1].c, 0);
	pair_open(cs, &p[2], 0);
	conns_request_done(cs, p[2].c, 0);
	cr_expect_eq(conns_sweep(cs, UINT64_C(1) << 40), 0);
	for (int i = 0; i < 3; i++) {
		cr_expect(!was_shut(&p[i]));
		pair_close(cs, &p[i]);
	}
	conns_destroy(cs);
}
