/* SPDX-License-Identifier: MIT */
/* The current stub set behind a mutex: "load, then ref" under one short lock, since a bare
 * atomic pointer would race with the last unref (STYLE 3.5). */
#include "slot.h"

#include <pthread.h>
#include <stdlib.h>

#include "stub_set.h"
#include "util/xalloc.h"

struct slot {
	pthread_mutex_t lock;        /* guards current only */
	struct stub_set *current;
};

struct slot *slot_create(void)
{
	struct slot *s = xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	return s;
}

void slot_destroy(struct slot *s)
{
	if (!s)
		return;
	stub_set_unref(s->current);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void slot_publish(struct slot *s, struct stub_set *set)
{
	pthread_mutex_lock(&s->lock);
	struct stub_set *old = s->current;
	s->current = set;
	pthread_mutex_unlock(&s->lock);
	/* outside the lock: freeing a big set must not hold up requests */
	stub_set_unref(old);
}

struct stub_set *slot_acquire(struct slot *s)
{
	pthread_mutex_lock(&s->lock);
	struct stub_set *set = s->current ? stub_set_ref(s->current) : NULL;
	pthread_mutex_unlock(&s->lock);
	return set;
}
