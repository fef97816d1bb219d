/* SPDX-License-Identifier: MIT */
/* CLOCK_MONOTONIC as one number: for deadlines and timers (the watcher's bursts, the
 * connection registry's deadlines, the timer thread). */
#pragma once
#include <stdint.h>
#include <time.h>

/** Nanoseconds of CLOCK_MONOTONIC. */
static inline uint64_t clock_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/** Milliseconds of CLOCK_MONOTONIC. */
static inline uint64_t clock_now_ms(void)
{
	return clock_now_ns() / 1000000u;
}
