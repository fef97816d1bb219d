/* SPDX-License-Identifier: MIT */
/* Java's date printing as WireMock 3.13's `now` helper reaches it (RenderableDate: epoch,
 * unix, SimpleDateFormat or Jackson's ISO8601Utils), with java.util.TimeZone's naming. */
#include "javadate.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/strbuf.h"
#include "util/tz.h"
#include "util/xalloc.h"

enum date_kind {
	DATE_ISO,               /* Jackson's ISO8601Utils.format(date, false, zone) */
	DATE_EPOCH,
	DATE_UNIX,
	DATE_PATTERN,
};

/* One piece of a pattern: a run of one letter, or literal text (letter 0). */
struct field {
	char letter;
	unsigned count;
	size_t off, len;        /* literal: bytes in lits */
};

/* A zone as java.util.TimeZone sees it: offsets from tz, names fixed or from tz. */
struct zone {
	struct tz *tz;
	bool fixed_names;
	bool gmt_numeric;       /* an Etc/ zone: Java calls its numeric abbreviations GMT+hh:mm */
	char short_name[24];    /* fixed_names: "UTC", "GMT", "GMT+01:00" */
	char long_name[32];     /* fixed_names: "Coordinated Universal Time"... */
};

struct javadate {
	enum date_kind kind;
	struct zone zone;       /* tz NULL: UTC (the ISO form without a zone) */
	struct field *fields;
	size_t n;
	struct strbuf lits;
};

static void set_err(struct javadate_error *err, size_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void set_err(struct javadate_error *err, size_t at, const char *fmt, ...)
{
	err->in_zone = false;
	err->at = at;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

/* ---- zones ---------------------------------------------------------------------- */

static void fixed_names(struct zone *z, const char *shrt, const char *lng)
{
	z->fixed_names = true;
	snprintf(z->short_name, sizeof(z->short_name), "%s", shrt);
	snprintf(z->long_name, sizeof(z->long_name), "%s", lng);
}

static void zone_fixed(struct zone *z, int32_t off, const char *shrt, const char *lng)
{
	z->tz = tz_fixed(off, shrt);
	fixed_names(z, shrt, lng);
}

/* TimeZone's custom ids: "GMT+hh:mm" names itself both ways. */
static void zone_custom(struct zone *z, int32_t off)
{
	char name[24];
	int32_t a = off < 0 ? -off : off;
	snprintf(name, sizeof(name), "GMT%c%02d:%02d", off < 0 ? '-' : '+', (int)(a / 3600), (int)(a / 60 % 60));
	zone_fixed(z, off, name, name);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool two_digits(const char *s, int *out)
{
	if (!is_digit(s[0]) || !is_digit(s[1]))
		return false;
	*out = (s[0] - '0') * 10 + (s[1] - '0');
	return true;
}

/*
 * ZoneOffset.of: +h, +hh, +hh:mm, +hhmm, +hh:mm:ss, +hhmmss (or '-'), at most 18 hours.
 * Returns false when s is none of them.
 */
static bool parse_zone_offset(const char *s, int32_t *out)
{
	char padded[4];
	size_t n = strlen(s);
	if (s[0] != '+' && s[0] != '-')
		return false;
	if (n == 2) {
		padded[0] = s[0];
		padded[1] = '0';
		padded[2] = s[1];
		padded[3] = '\0';
		s = padded;
		n = 3;
	}
	int h = 0, m = 0, sec = 0;
	bool ok;
	switch (n) {
	case 3:
		ok = two_digits(s + 1, &h);
		break;
	case 5:
		ok = two_digits(s + 1, &h) && two_digits(s + 3, &m);
		break;
	case 6:
		ok = two_digits(s + 1, &h) && s[3] == ':' && two_digits(s + 4, &m);
		break;
	case 7:
		ok = two_digits(s + 1, &h) && two_digits(s + 3, &m) && two_digits(s + 5, &sec);
		break;
	case 9:
		ok = two_digits(s + 1, &h) && s[3] == ':' && two_digits(s + 4, &m) && s[6] == ':' &&
		     two_digits(s + 7, &sec);
		break;
	default:
		ok = false;
	}
	if (!ok || h > 18 || m > 59 || sec > 59 || (h == 18 && (m || sec)))
		return false;
	int32_t off = h * 3600 + m * 60 + sec;
	*out = s[0] == '-' ? -off : off;
	return true;
}

static bool alphabetic_abbr(const char *abbr, int32_t off)
{
	(void)off;
	return (abbr[0] >= 'A' && abbr[0] <= 'Z') || (abbr[0] >= 'a' && abbr[0] <= 'z');
}

static bool utc_or_gmt(const char *abbr, int32_t off)
{
	return off == 0 && (strcmp(abbr, "UTC") == 0 || strcmp(abbr, "GMT") == 0);
}

/*
 * The zone a ZoneId names, as TimeZone.getTimeZone(zoneId) then sees it: "Z" and zero
 * offsets are UTC; "+01:00" becomes the custom zone "GMT+01:00"; "GMT+01:00" stays one;
 * "UTC+01:00", "UT+01:00" and offsets with seconds are ids TimeZone does not know, so it
 * quietly uses GMT; other ids are regions of the tz database.
 */
static bool zone_parse(struct zone *z, const char *id, struct javadate_error *err)
{
	int32_t off;
	if (strcmp(id, "Z") == 0 || strcmp(id, "UTC") == 0) {
		zone_fixed(z, 0, "UTC", "Coordinated Universal Time");
		return true;
	}
	if (strcmp(id, "GMT") == 0 || strcmp(id, "UT") == 0) {
		zone_fixed(z, 0, "GMT", "Greenwich Mean Time");
		return true;
	}
	if (id[0] == '+' || id[0] == '-') {
		if (!parse_zone_offset(id, &off)) {
			set_err(err, 0, "'%s' is not a time zone offset java.time reads (+h, +hh, +hh:mm, +hhmm, +hh:mm:ss)", id);
			return false;
		}
		if (off == 0)
			zone_fixed(z, 0, "UTC", "Coordinated Universal Time");
		else if (off % 60)
			zone_fixed(z, 0, "GMT", "Greenwich Mean Time");
		else
			zone_custom(z, off);
		return true;
	}
	static const char *const prefixes[] = { "UTC", "GMT", "UT" };
	for (size_t i = 0; i < 3; i++) {
		size_t k = strlen(prefixes[i]);
		if (strncmp(id, prefixes[i], k) == 0 && (id[k] == '+' || id[k] == '-')) {
			if (!parse_zone_offset(id + k, &off)) {
				set_err(err, k, "'%s' is not a time zone java.time reads", id);
				return false;
			}
			if (i == 1 && off != 0 && off % 60 == 0)
				zone_custom(z, off);
			else if (i == 0 && off == 0)
				zone_fixed(z, 0, "UTC", "Coordinated Universal Time");
			else
				zone_fixed(z, 0, "GMT", "Greenwich Mean Time");
			return true;
		}
	}
	z->tz = tz_load(id);
	if (!z->tz) {
		set_err(err, 0, "unknown time zone '%s' (ids are case-sensitive: 'UTC', '+01:00', 'Europe/Paris')", id);
		return false;
	}
	if (strcmp(id, "Etc/UTC") == 0)
		fixed_names(z, "UTC", "Coordinated Universal Time");
	z->gmt_numeric = strncmp(id, "Etc/", 4) == 0;
	return true;
}

/* The JVM's default zone: this process's local zone, named as the JVM would name it. */
static void zone_local(struct zone *z)
{
	char *id = NULL;
	z->tz = tz_load_local(&id);
	if (id && (strcmp(id, "UTC") == 0 || strcmp(id, "Etc/UTC") == 0))
		fixed_names(z, "UTC", "Coordinated Universal Time");
	else if (id && strcmp(id, "GMT") == 0)
		fixed_names(z, "GMT", "Greenwich Mean Time");
	free(id);
}

/* ---- patterns ------------------------------------------------------------------- */

static bool is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static void push_field(struct javadate *d, char letter, unsigned count, const char *lit, size_t len)
{
	if (!letter && d->n && !d->fields[d->n - 1].letter) {
		strbuf_add(&d->lits, lit, len);
		d->fields[d->n - 1].len += len;
		return;
	}
	d->fields = xrealloc(d->fields, (d->n + 1) * sizeof(*d->fields));
	struct field *f = &d->fields[d->n++];
	f->letter = letter;
	f->count = count;
	f->off = d->lits.len;
	f->len = len;
	strbuf_add(&d->lits, lit, len);
}

/* Checks a letter against SimpleDateFormat's, and against what cannery prints the same. */
static bool letter_ok(struct javadate *d, const char *fmt, size_t at, unsigned count, struct javadate_error *err)
{
	char c = fmt[at];
	if (!strchr("GyYMLwWDdFEuaHkKhmsSzZX", c)) {
		set_err(err, at, "illegal pattern character '%c' in date format (quote text: 'T')", c);
		return false;
	}
	if (strchr("wWY", c)) {
		set_err(err, at, "date format letter '%c' (week-based fields follow the JVM's locale) is not supported by cannery", c);
		return false;
	}
	if (c == 'X' && count > 3) {
		set_err(err, at, "invalid ISO 8601 format in date format: 'X' repeated %u times (at most 3)", count);
		return false;
	}
	/* names for the years templates print: from 1970 on */
	const struct zone *z = &d->zone;
	if (c == 'z' && !z->fixed_names) {
		if (count >= 4 && !tz_all_types(z->tz, 0, utc_or_gmt)) {
			set_err(err, at, "date format 'zzzz' (the long zone name Java takes from CLDR) is supported only "
				"for UTC, GMT and fixed offsets");
			return false;
		}
		if (!z->gmt_numeric && !tz_all_types(z->tz, 0, alphabetic_abbr)) {
			set_err(err, at, "date format 'z': this time zone has numeric abbreviations in the tz database, "
				"where Java prints CLDR names; use 'Z' or 'X'");
			return false;
		}
	}
	return true;
}

/* Quoted text: '...' with '' for a quote; a lone '' is a quote too. */
static bool compile_pattern(struct javadate *d, const char *fmt, struct javadate_error *err)
{
	size_t n = strlen(fmt);
	for (size_t i = 0; i < n;) {
		char c = fmt[i];
		if (c == '\'') {
			if (i + 1 < n && fmt[i + 1] == '\'') {
				push_field(d, 0, 0, "'", 1);
				i += 2;
				continue;
			}
			size_t open = i++;
			for (;;) {
				if (i >= n) {
					set_err(err, open, "unterminated quote in date format");
					return false;
				}
				if (fmt[i] == '\'') {
					if (i + 1 < n && fmt[i + 1] == '\'') {
						push_field(d, 0, 0, "'", 1);
						i += 2;
						continue;
					}
					i++;
					break;
				}
				push_field(d, 0, 0, fmt + i, 1);
				i++;
			}
			continue;
		}
		if (!is_letter(c)) {
			push_field(d, 0, 0, fmt + i, 1);
			i++;
			continue;
		}
		unsigned count = 0;
		size_t start = i;
		while (i < n && fmt[i] == c)
			i++, count++;
		if (!letter_ok(d, fmt, start, count, err))
			return false;
		push_field(d, c, count, "", 0);
	}
	return true;
}

struct javadate *javadate_compile(const char *format, const char *zone, struct javadate_error *err)
{
	struct javadate *d = xcalloc(1, sizeof(*d));
	strbuf_init(&d->lits);
	d->kind = !format ? DATE_ISO : strcmp(format, "epoch") == 0 ? DATE_EPOCH
		: strcmp(format, "unix") == 0			   ? DATE_UNIX
								   : DATE_PATTERN;
	/* WireMock reads the zone whatever the format, so a bad one fails every time */
	if (zone) {
		if (!zone_parse(&d->zone, zone, err)) {
			err->in_zone = true;
			goto fail;
		}
	} else if (d->kind == DATE_PATTERN) {
		zone_local(&d->zone);
	}
	if (d->kind == DATE_PATTERN && !compile_pattern(d, format, err))
		goto fail;
	return d;
fail:
	javadate_destroy(d);
	return NULL;
}

void javadate_destroy(struct javadate *d)
{
	if (!d)
		return;
	tz_destroy(d->zone.tz);
	free(d->fields);
	strbuf_release(&d->lits);
	free(d);
}

/* ---- printing ------------------------------------------------------------------- */

static const char *const month_names[12] = {
	"January", "February", "March", "April", "May", "June",
	"July", "August", "September", "October", "November", "December",
};
static const char *const day_names[7] = { "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday" };

/* An instant broken down in a zone. */
struct when {
	int64_t year;
	unsigned month, day, hour, minute, second, milli;
	unsigned wday;          /* 0 Sunday */
	unsigned yday;          /* 1..366 */
	int32_t off;            /* seconds east of UTC */
	const char *abbr;
};

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static void break_down(const struct zone *z, int64_t ms, struct when *w)
{
	w->abbr = "UTC";
	w->off = z->tz ? tz_offset_at(z->tz, floor_div(ms, 1000), &w->abbr) : 0;
	int64_t local = ms + (int64_t)w->off * 1000;
	int64_t days = floor_div(local, 86400000);
	int64_t in_day = local - days * 86400000;
	tz_civil_from_days(days, &w->year, &w->month, &w->day);
	w->hour = (unsigned)(in_day / 3600000);
	w->minute = (unsigned)(in_day / 60000 % 60);
	w->second = (unsigned)(in_day / 1000 % 60);
	w->milli = (unsigned)(in_day % 1000);
	w->wday = (unsigned)(((days + 4) % 7 + 7) % 7);
	w->yday = (unsigned)(days - tz_days_from_civil(w->year, 1, 1) + 1);
}

/* A number with at least digits digits, as DecimalFormat pads it. */
static void add_num(struct strbuf *out, int64_t v, unsigned digits)
{
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%lld", (long long)(v < 0 ? -v : v));
	if (v < 0)
		strbuf_addc(out, '-');
	for (unsigned i = (unsigned)n; i < digits; i++)
		strbuf_addc(out, '0');
	strbuf_add(out, buf, (size_t)n);
}

/* +hh:mm, +hhmm or +hh (colon, minutes) for the offset; Z for zero when z_for_zero. */
static void add_offset(struct strbuf *out, int32_t off, bool colon, bool minutes, bool z_for_zero)
{
	if (off == 0 && z_for_zero) {
		strbuf_addc(out, 'Z');
		return;
	}
	int32_t a = off < 0 ? -off : off;
	strbuf_addf(out, "%c%02d", off < 0 ? '-' : '+', (int)(a / 3600));
	if (minutes)
		strbuf_addf(out, "%s%02d", colon ? ":" : "", (int)(a / 60 % 60));
}

static void add_zone_name(struct strbuf *out, const struct zone *z, const struct when *w, bool lng)
{
	if (z->fixed_names) {
		strbuf_adds(out, lng ? z->long_name : z->short_name);
	} else if (lng && utc_or_gmt(w->abbr, w->off)) {
		strbuf_adds(out, strcmp(w->abbr, "UTC") == 0 ? "Coordinated Universal Time" : "Greenwich Mean Time");
	} else if (alphabetic_abbr(w->abbr, w->off)) {
		strbuf_adds(out, w->abbr);
	} else {
		strbuf_adds(out, "GMT");        /* Etc/GMT+5 and the like */
		add_offset(out, w->off, true, true, false);
	}
}

/* The value a numeric pattern letter prints, or -1 for the other letters. */
static int64_t number_of(char letter, const struct when *w)
{
	switch (letter) {
	case 'd':
		return w->day;
	case 'D':
		return w->yday;
	case 'F':
		return (w->day - 1) / 7 + 1;
	case 'u':
		return w->wday ? w->wday : 7;
	case 'H':
		return w->hour;
	case 'k':
		return w->hour ? w->hour : 24;
	case 'K':
		return w->hour % 12;
	case 'h':
		return w->hour % 12 ? w->hour % 12 : 12;
	case 'm':
		return w->minute;
	case 's':
		return w->second;
	case 'S':
		return w->milli;
	default:
		return -1;
	}
}

/* A name field: the whole name from four letters on, its first three below. */
static void add_name(struct strbuf *out, const char *name, unsigned count)
{
	strbuf_add(out, name, count >= 4 ? strlen(name) : 3);
}

static void add_field(struct strbuf *out, const struct javadate *d, const struct field *f, const struct when *w)
{
	unsigned c = f->count;
	int64_t year_of_era = w->year > 0 ? w->year : 1 - w->year;
	int64_t n = number_of(f->letter, w);
	if (n >= 0) {
		add_num(out, n, c);
		return;
	}
	switch (f->letter) {
	case 'G':
		strbuf_adds(out, w->year > 0 ? "AD" : "BC");    /* GGGG too, in Java 17's English */
		break;
	case 'y':
		if (c == 2)
			add_num(out, year_of_era % 100, 2);
		else
			add_num(out, year_of_era, c);
		break;
	case 'M':
	case 'L':
		if (c >= 3)
			add_name(out, month_names[w->month - 1], c);
		else
			add_num(out, w->month, c);
		break;
	case 'E':
		add_name(out, day_names[w->wday], c);
		break;
	case 'a':
		strbuf_adds(out, w->hour < 12 ? "AM" : "PM");
		break;
	case 'z':
		add_zone_name(out, &d->zone, w, c >= 4);
		break;
	case 'Z':
		add_offset(out, w->off, false, true, false);
		break;
	case 'X':
		add_offset(out, w->off, c == 3, c >= 2, true);
		break;
	default:
		break;
	}
}

void javadate_print(const struct javadate *d, int64_t ms, struct strbuf *out)
{
	struct when w;
	switch (d->kind) {
	case DATE_EPOCH:
		strbuf_addf(out, "%lld", (long long)ms);
		return;
	case DATE_UNIX:
		/* Java's long division truncates toward zero */
		strbuf_addf(out, "%lld", (long long)(ms / 1000));
		return;
	case DATE_ISO:
		break_down(&d->zone, ms, &w);
		add_num(out, w.year > 0 ? w.year : 1 - w.year, 4);      /* GregorianCalendar.YEAR counts eras */
		strbuf_addf(out, "-%02u-%02uT%02u:%02u:%02u", w.month, w.day, w.hour, w.minute, w.second);
		add_offset(out, w.off, true, true, true);
		return;
	case DATE_PATTERN:
		break_down(&d->zone, ms, &w);
		for (size_t i = 0; i < d->n; i++) {
			const struct field *f = &d->fields[i];
			if (f->letter)
				add_field(out, d, f, &w);
			else
				strbuf_add(out, d->lits.buf + f->off, f->len);
		}
		return;
	}
}

/* ---- offsets -------------------------------------------------------------------- */

/* Integer.parseInt: [-+]?[0-9]+ within int32. */
static bool parse_java_int(const char *s, size_t n, int32_t *out)
{
	size_t i = 0;
	bool neg = false;
	if (n && (s[0] == '-' || s[0] == '+'))
		neg = s[i++] == '-';
	if (i == n)
		return false;
	int64_t v = 0;
	for (; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
		if (v > 2147483648LL)
			return false;
	}
	if (neg)
		v = -v;
	if (v > 2147483647LL)
		return false;
	*out = (int32_t)v;
	return true;
}

int javadate_offset_parse(const char *text, struct javadate_offset *out, struct javadate_error *err)
{
	static const char *const units[] = { "SECONDS", "MINUTES", "HOURS", "DAYS", "MONTHS", "YEARS" };
	/* the most of each unit that stays within about 100000 years */
	static const int64_t limits[] = { 2147483647LL, 2147483647LL, 876000000LL, 36500000LL, 1200000LL, 100000LL };
	out->amount = 0;
	out->unit = JAVADATE_SECONDS;
	if (strcasecmp(text, "now") == 0)
		return 0;
	/* String.split(" "): every space splits, and trailing empty parts are dropped (all of
	 * them for "   "; "" alone is one empty part) */
	const char *part[3];
	size_t len[3], np = 0;
	size_t n = strlen(text);
	while (n && text[n - 1] == ' ')
		n--;
	if (n == 0) {
		np = text[0] ? 0 : 1;
	} else {
		for (size_t i = 0, start = 0; i <= n; i++) {
			if (i < n && text[i] != ' ')
				continue;
			if (np < 3) {
				part[np] = text + start;
				len[np] = i - start;
			}
			np++;
			start = i + 1;
		}
	}
	if (np < 2 || np > 3) {
		set_err(err, 0, "offset '%s' is not '<amount> <unit>' (e.g. '3 days') or 'now +/-<amount> <unit>'", text);
		return -EINVAL;
	}
	const char *amount = part[np - 2], *unit = part[np - 1];
	size_t alen = len[np - 2], ulen = len[np - 1];
	if (!parse_java_int(amount, alen, &out->amount)) {
		set_err(err, (size_t)(amount - text), "offset amount '%.*s' is not an integer", (int)alen, amount);
		return -EINVAL;
	}
	int u = -1;
	for (int i = 0; i < 6; i++)
		if (strlen(units[i]) == ulen && strncasecmp(unit, units[i], ulen) == 0)
			u = i;
	if (u < 0) {
		set_err(err, (size_t)(unit - text), "offset unit '%.*s' is not one of WireMock's: seconds, minutes, hours, "
			"days, months, years", (int)ulen, unit);
		return -EINVAL;
	}
	out->unit = (enum javadate_unit)u;
	if (out->amount > limits[u] || out->amount < -limits[u]) {
		set_err(err, (size_t)(amount - text), "offset '%s' is beyond what cannery shifts dates by (about 100000 years)",
			text);
		return -EINVAL;
	}
	return 0;
}

int64_t javadate_offset_apply(const struct javadate_offset *o, int64_t ms)
{
	static const int64_t unit_ms[] = { 1000, 60000, 3600000, 86400000 };
	if (o->unit <= JAVADATE_DAYS)
		return ms + (int64_t)o->amount * unit_ms[o->unit];
	int64_t days = floor_div(ms, 86400000);
	int64_t in_day = ms - days * 86400000;
	int64_t y;
	unsigned m, d;
	tz_civil_from_days(days, &y, &m, &d);
	int64_t months = y * 12 + (m - 1) + (o->unit == JAVADATE_MONTHS ? o->amount : (int64_t)o->amount * 12);
	y = floor_div(months, 12);
	m = (unsigned)(months - y * 12) + 1;
	if (d > tz_month_days(y, m))
		d = tz_month_days(y, m);
	return tz_days_from_civil(y, m, d) * 86400000 + in_day;
}
