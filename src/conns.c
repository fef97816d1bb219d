/* SPDX-License-Identifier: MIT */
/* The connection registry: a list of every connection and, in the order they went idle,
 * the idle ones. */
#include "conns.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "util/xalloc.h"

enum phase {
	PHASE_HEAD,                 /* waiting for (the rest of) a request head */
	PHASE_BODY,                 /* reading a body */
	PHASE_ANSWERING,            /* the request is in; no deadline of ours */
	PHASE_IDLE,                 /* between keep-alive requests */
};

struct conn {
	int fd;
	enum phase phase;
	bool shut;                  /* shut down by us: counted once */
	uint64_t deadline;          /* PHASE_HEAD, PHASE_IDLE: the head must be in by then */
	uint64_t body_start;        /* PHASE_BODY: when the head was done */
	uint64_t body_bytes;
	struct conn *prev, *next;           /* every connection */
	struct conn *idle_prev, *idle_next; /* PHASE_IDLE, oldest first */
};

struct conns {
	struct conns_config cfg;
	pthread_mutex_t lock;
	struct conn *all;
	struct conn *idle_head, *idle_tail;
	struct conns_stats stats;
};

struct conns *conns_create(const struct conns_config *cfg)
{
	struct conns *cs = xcalloc(1, sizeof(*cs));
	cs->cfg = *cfg;
	pthread_mutex_init(&cs->lock, NULL);
	return cs;
}

void conns_destroy(struct conns *cs)
{
	if (!cs)
		return;
	while (cs->all) {
		struct conn *c = cs->all;
		cs->all = c->next;
		free(c);
	}
	pthread_mutex_destroy(&cs->lock);
	free(cs);
}

static void idle_unlink(struct conns *cs, struct conn *c)
{
	if (c->phase != PHASE_IDLE)
		return;
	c->phase = PHASE_ANSWERING;
	if (c->idle_prev)
		c->idle_prev->idle_next = c->idle_next;
	else
		cs->idle_head = c->idle_next;
	if (c->idle_next)
		c->idle_next->idle_prev = c->idle_prev;
	else
		cs->idle_tail = c->idle_prev;
	c->idle_prev = c->idle_next = NULL;
	cs->stats.idle--;
}

/* Ends c: its owner sees the peer gone and closes it (then conns_close). Under lock. */
static void shut(struct conns *cs, struct conn *c, uint64_t *counter)
{
	idle_unlink(cs, c);
	c->phase = PHASE_ANSWERING;
	c->shut = true;
	shutdown(c->fd, SHUT_RDWR);
	(*counter)++;
}

static void set_phase(struct conns *cs, struct conn *c, enum phase p)
{
	idle_unlink(cs, c);
	c->phase = p;
	if (p != PHASE_IDLE)
		return;
	c->idle_prev = cs->idle_tail;
	c->idle_next = NULL;
	if (cs->idle_tail)
		cs->idle_tail->idle_next = c;
	else
		cs->idle_head = c;
	cs->idle_tail = c;
	cs->stats.idle++;
}

struct conn *conns_open(struct conns *cs, int fd, uint64_t now_ms)
{
	struct conn *c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->phase = PHASE_HEAD;
	c->deadline = cs->cfg.head_timeout_ms ? now_ms + cs->cfg.head_timeout_ms : 0;
	pthread_mutex_lock(&cs->lock);
	if (cs->cfg.max_connections && cs->stats.open >= cs->cfg.max_connections && cs->idle_head)
		shut(cs, cs->idle_head, &cs->stats.evicted_idle);
	c->next = cs->all;
	if (cs->all)
		cs->all->prev = c;
	cs->all = c;
	cs->stats.open++;
	pthread_mutex_unlock(&cs->lock);
	return c;
}

void conns_close(struct conns *cs, struct conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&cs->lock);
	idle_unlink(cs, c);
	if (c->prev)
		c->prev->next = c->next;
	else
		cs->all = c->next;
	if (c->next)
		c->next->prev = c->prev;
	cs->stats.open--;
	pthread_mutex_unlock(&cs->lock);
	free(c);
}

void conns_head_done(struct conns *cs, struct conn *c, uint64_t now_ms)
{
	pthread_mutex_lock(&cs->lock);
	if (!c->shut) {
		set_phase(cs, c, PHASE_BODY);
		c->body_start = now_ms;
		c->body_bytes = 0;
	}
	pthread_mutex_unlock(&cs->lock);
}

void conns_body(struct conns *cs, struct conn *c, size_t n)
{
	pthread_mutex_lock(&cs->lock);
	c->body_bytes += n;
	pthread_mutex_unlock(&cs->lock);
}

void conns_answering(struct conns *cs, struct conn *c)
{
	pthread_mutex_lock(&cs->lock);
	if (!c->shut)
		set_phase(cs, c, PHASE_ANSWERING);
	pthread_mutex_unlock(&cs->lock);
}

void conns_request_done(struct conns *cs, struct conn *c, uint64_t now_ms)
{
	pthread_mutex_lock(&cs->lock);
	if (!c->shut) {
		set_phase(cs, c, PHASE_IDLE);
		c->deadline = cs->cfg.idle_timeout_ms ? now_ms + cs->cfg.idle_timeout_ms : 0;
	}
	pthread_mutex_unlock(&cs->lock);
}

size_t conns_sweep(struct conns *cs, uint64_t now_ms)
{
	size_t n = 0;
	pthread_mutex_lock(&cs->lock);
	for (struct conn *c = cs->all; c; c = c->next) {
		if (c->shut)
			continue;
		if (c->phase == PHASE_HEAD && c->deadline && now_ms >= c->deadline) {
			shut(cs, c, &cs->stats.head_timeouts);
			n++;
		} else if (c->phase == PHASE_IDLE && c->deadline && now_ms >= c->deadline) {
			shut(cs, c, &cs->stats.idle_timeouts);
			n++;
		} else if (c->phase == PHASE_BODY && cs->cfg.body_rate && cs->cfg.head_timeout_ms &&
			   now_ms - c->body_start > cs->cfg.head_timeout_ms &&
			   c->body_bytes * 1000 < (uint64_t)cs->cfg.body_rate * (now_ms - c->body_start)) {
			shut(cs, c, &cs->stats.slow_bodies);
			n++;
		}
	}
	pthread_mutex_unlock(&cs->lock);
	return n;
}

struct conns_stats conns_get_stats(struct conns *cs)
{
	pthread_mutex_lock(&cs->lock);
	struct conns_stats s = cs->stats;
	pthread_mutex_unlock(&cs->lock);
	return s;
}
