/* SPDX-License-Identifier: MIT */
/* One timer thread per server: callbacks after a delay, without holding an HTTP thread
 * (for response delays and admin waits with a timeout). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct timers;

/** Called once per timer on the timer thread: cancelled is false when the delay
 *  elapsed, true when timers_destroy ran first. It must not block for long. */
typedef void timer_fn(void *arg, bool cancelled);

/** Starts the timer thread. Never NULL (aborts if no thread can be started). */
struct timers *timers_create(void);
/** Stops the thread; every pending callback runs with cancelled = true, on the calling
 *  thread, before this returns, and every later timers_add runs its callback at once
 *  (cancelled) on the adding thread and returns 0. Idempotent. NULL does nothing. */
void timers_close(struct timers *t);
/** Closes, then frees. NULL does nothing. */
void timers_destroy(struct timers *t);
/** Schedules fn(arg, false) after delay_ms. Returns an id for timers_cancel (never 0
 *  while open; 0 once closed, when fn(arg, true) has already run). Thread-safe. */
uint64_t timers_add(struct timers *t, uint64_t delay_ms, timer_fn *fn, void *arg);
/** Removes a pending timer without calling it. True when it was still pending; false
 *  when it already ran (or is running). Thread-safe. */
bool timers_cancel(struct timers *t, uint64_t id);
