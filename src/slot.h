/* SPDX-License-Identifier: MIT */
/* The slot that holds the current stub set: publishing swaps it in, requests take a
 * reference to whatever is current when they start and keep it until they end. */
#pragma once

struct slot;
struct stub_set;

/** An empty slot (slot_acquire returns NULL until the first publish). Never NULL. */
struct slot *slot_create(void);
/** Drops the current set and frees the slot. NULL does nothing. */
void slot_destroy(struct slot *s);

/** Makes set (taken over: fully built, never changed again) the current one. The old set
 *  goes once the last request holding it releases it. Thread-safe. */
void slot_publish(struct slot *s, struct stub_set *set);

/** The current set with a reference the caller drops with stub_set_unref (NULL before the
 *  first publish). Never waits on a reload's parse. Thread-safe. */
struct stub_set *slot_acquire(struct slot *s);
