/* SPDX-License-Identifier: MIT */
/* Time zones without TZ or localtime(3): read once from a TZif file of the tz database
 * (or fixed), then asked for the UTC offset and abbreviation at any instant, from any
 * thread. Also the proleptic Gregorian calendar the lookups and date printing share. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/** A loaded time zone. */
struct tz;

/** A zone that is always offset seconds east of UTC, called abbr (copied). Caller destroys. */
struct tz *tz_fixed(int32_t offset, const char *abbr);

/** Zone `name` ("Europe/Paris", "Etc/UTC") from the tz database: $TZDIR, else
 *  /usr/share/zoneinfo. The name must look like a zone id ([A-Za-z][A-Za-z0-9_+-]* parts
 *  joined by '/', no "posix/", "right/" or leap-second files). Returns the zone (caller
 *  destroys), or NULL when there is no such zone or its file is not a TZif file cannery
 *  reads. Reads a file: load time only. */
struct tz *tz_load(const char *name);

/** This process's local zone as the C library and the JVM pick it: $TZ when it names a
 *  zone (":Europe/Paris" or "Europe/Paris"), else /etc/localtime. *name (unless NULL)
 *  gets its zone id, e.g. "Etc/UTC" (caller frees), or NULL when the zone has no id we can
 *  tell. Falls back to UTC (with the id "UTC") when neither is readable. Caller destroys. */
struct tz *tz_load_local(char **name);

/** Frees z. NULL does nothing. */
void tz_destroy(struct tz *z);

/** The offset east of UTC in seconds in effect at t (seconds since the epoch), and its
 *  abbreviation ("CET", "+04"; borrowed from z) in *abbr unless abbr is NULL. */
int32_t tz_offset_at(const struct tz *z, int64_t t, const char **abbr);

/** Whether pred holds for every (abbreviation, offset) the zone answers for instants from
 *  `since` (seconds since the epoch) on. */
bool tz_all_types(const struct tz *z, int64_t since, bool (*pred)(const char *abbr, int32_t offset));

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1..12). */
int64_t tz_days_from_civil(int64_t y, unsigned m, unsigned d);
/** The proleptic Gregorian date of a day number (days since 1970-01-01). */
void tz_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/** Whether y is a Gregorian leap year. */
bool tz_is_leap(int64_t y);
/** The number of days in month m (1..12) of year y. */
unsigned tz_month_days(int64_t y, unsigned m);
