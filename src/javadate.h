/* SPDX-License-Identifier: MIT */
/* Dates as WireMock's `now` helper prints them (SPEC section 8): SimpleDateFormat patterns,
 * `epoch`/`unix`, Jackson's ISO form, java.time zone ids and TimeZone's names, and
 * WireMock's `offset`. Compiled at load time; immutable, so any thread may print. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strbuf;

/** A compiled way of printing an instant: a format and a zone. */
struct javadate;

/** Why a format, zone or offset does not compile. */
struct javadate_error {
	bool in_zone;           /* javadate_compile: the zone is at fault, not the format */
	size_t at;              /* byte offset into the text at fault (the format, zone or offset) */
	char msg[160];          /* lower case, no final period */
};

/** Compiles how `{{now format=FORMAT timezone=ZONE}}` prints. format: NULL for WireMock's
 *  default (ISO 8601 to the second, `2026-12-07T14:30:00Z`, or `+01:00` with a zone),
 *  "epoch" (milliseconds), "unix" (seconds), or a SimpleDateFormat pattern (letters
 *  G y M L d H h k K m s S E u D F a z Z X, quoted text, in English). zone: NULL for the
 *  JVM's default, which a pattern prints in (this process's local zone: tz_load_local),
 *  or a java.time ZoneId: "Z", "UTC", "GMT", "+01:00", "GMT+1", "Europe/Paris"... Returns
 *  the compiled form (caller destroys), or NULL with *err: an unknown zone, an illegal or
 *  unsupported pattern letter (the locale-dependent week fields w W Y; a zone name Java
 *  takes from CLDR rather than the tz database), an unterminated quote. Load time only. */
struct javadate *javadate_compile(const char *format, const char *zone, struct javadate_error *err);

/** Frees d. NULL does nothing. */
void javadate_destroy(struct javadate *d);

/** Appends the instant ms (milliseconds since the epoch) as d prints it. Any thread. */
void javadate_print(const struct javadate *d, int64_t ms, struct strbuf *out);

enum javadate_unit {
	JAVADATE_SECONDS,
	JAVADATE_MINUTES,
	JAVADATE_HOURS,
	JAVADATE_DAYS,
	JAVADATE_MONTHS,
	JAVADATE_YEARS,
};

/** A shift of `now`: amount units (amount 0 is no shift). */
struct javadate_offset {
	int32_t amount;
	enum javadate_unit unit;
};

/** Reads WireMock's offset text: "AMOUNT UNIT" ("3 days", "-1 seconds"), "ANY AMOUNT UNIT"
 *  ("now +5 years"), or "now"; units seconds..years in any case (WireMock has no weeks or
 *  milliseconds). Returns 0 with *out, or -EINVAL with *err. Shifts beyond about 100000
 *  years are refused. */
int javadate_offset_parse(const char *text, struct javadate_offset *out, struct javadate_error *err);

/** ms shifted by o as java.time does it in UTC: months and years keep the time of day and
 *  clamp the day of the month (Jan 31 + 1 month is Feb 28 or 29). */
int64_t javadate_offset_apply(const struct javadate_offset *o, int64_t ms);
