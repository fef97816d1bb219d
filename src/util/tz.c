/* SPDX-License-Identifier: MIT */
/* Time zones read from TZif files (RFC 8536): the transition table, its local time types,
 * and the POSIX TZ rule of the footer for instants after the table; plus the calendar. */
#include "util/tz.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/strbuf.h"
#include "util/xalloc.h"

/* One local time type: offset, daylight flag, abbreviation (an offset into chars). */
struct ttype {
	int32_t off;
	uint32_t abbr;
	bool dst;
};

/* A POSIX TZ rule date: Jn (1..365, Feb 29 never counted), n (0..365), or Mm.w.d. */
struct rule_date {
	char kind;              /* 'J', 'D' or 'M' */
	int n, m, w, d;
	int32_t time;           /* seconds after local midnight (may be negative or past 24h) */
};

/* The footer: standard time, and daylight time between start and end when has_dst. */
struct posix_rule {
	bool set;
	bool has_dst;
	int32_t std_off, dst_off;       /* seconds east of UTC */
	uint32_t std_abbr, dst_abbr;    /* offsets into chars */
	struct rule_date start, end;
};

struct tz {
	int64_t *times;         /* transition instants, ascending */
	uint8_t *idx;           /* the type in effect from each */
	size_t ntimes;
	struct ttype *types;
	size_t ntypes;
	struct strbuf chars;    /* NUL-terminated abbreviations back to back */
	struct posix_rule rule;
};

/* ---- the calendar -------------------------------------------------------------- */

/* Howard Hinnant's days_from_civil and civil_from_days (public domain algorithms). */
int64_t tz_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void tz_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
	days += 719468;
	int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	unsigned doe = (unsigned)(days - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

bool tz_is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned tz_month_days(int64_t y, unsigned m)
{
	static const unsigned days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && tz_is_leap(y) ? 29 : days[m - 1];
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* ---- building ------------------------------------------------------------------ */

static uint32_t add_abbr(struct tz *z, const char *s, size_t n)
{
	uint32_t at = (uint32_t)z->chars.len;
	strbuf_add(&z->chars, s, n);
	strbuf_addc(&z->chars, '\0');
	return at;
}

static struct tz *tz_new(void)
{
	struct tz *z = xcalloc(1, sizeof(*z));
	strbuf_init(&z->chars);
	return z;
}

struct tz *tz_fixed(int32_t offset, const char *abbr)
{
	struct tz *z = tz_new();
	z->types = xcalloc(1, sizeof(*z->types));
	z->ntypes = 1;
	z->types[0].off = offset;
	z->types[0].abbr = add_abbr(z, abbr, strlen(abbr));
	return z;
}

void tz_destroy(struct tz *z)
{
	if (!z)
		return;
	free(z->times);
	free(z->idx);
	free(z->types);
	strbuf_release(&z->chars);
	free(z);
}

/* ---- the POSIX TZ footer ------------------------------------------------------- */

struct cursor {
	const char *s, *end;
};

static bool at_digit(const struct cursor *c)
{
	return c->s < c->end && *c->s >= '0' && *c->s <= '9';
}

static bool read_num(struct cursor *c, int max, int *out)
{
	if (!at_digit(c))
		return false;
	int v = 0;
	while (at_digit(c)) {
		v = v * 10 + (*c->s++ - '0');
		if (v > max)
			return false;
	}
	*out = v;
	return true;
}

/* [+-]hh[:mm[:ss]] as seconds (hours up to 167, as TZif version 3 allows). */
static bool read_hms(struct cursor *c, int32_t *out)
{
	int sign = 1, h, mi = 0, s = 0;
	if (c->s < c->end && (*c->s == '+' || *c->s == '-'))
		sign = *c->s++ == '-' ? -1 : 1;
	if (!read_num(c, 167, &h))
		return false;
	if (c->s < c->end && *c->s == ':') {
		c->s++;
		if (!read_num(c, 59, &mi))
			return false;
		if (c->s < c->end && *c->s == ':') {
			c->s++;
			if (!read_num(c, 59, &s))
				return false;
		}
	}
	*out = sign * (h * 3600 + mi * 60 + s);
	return true;
}

/* A zone name: <...> (quoted, may hold digits and signs) or three or more letters. */
static bool read_name(struct cursor *c, struct tz *z, uint32_t *out)
{
	const char *start = c->s;
	if (c->s < c->end && *c->s == '<') {
		start = ++c->s;
		while (c->s < c->end && *c->s != '>')
			c->s++;
		if (c->s >= c->end || c->s - start < 3)
			return false;
		*out = add_abbr(z, start, (size_t)(c->s - start));
		c->s++;
		return true;
	}
	while (c->s < c->end && ((*c->s >= 'a' && *c->s <= 'z') || (*c->s >= 'A' && *c->s <= 'Z')))
		c->s++;
	if (c->s - start < 3)
		return false;
	*out = add_abbr(z, start, (size_t)(c->s - start));
	return true;
}

static bool read_rule_date(struct cursor *c, struct rule_date *r)
{
	memset(r, 0, sizeof(*r));
	r->time = 7200;
	if (c->s < c->end && *c->s == 'J') {
		c->s++;
		r->kind = 'J';
		if (!read_num(c, 365, &r->n) || r->n < 1)
			return false;
	} else if (c->s < c->end && *c->s == 'M') {
		c->s++;
		r->kind = 'M';
		if (!read_num(c, 12, &r->m) || r->m < 1 || c->s >= c->end || *c->s++ != '.' || !read_num(c, 5, &r->w) ||
		    r->w < 1 || c->s >= c->end || *c->s++ != '.' || !read_num(c, 6, &r->d))
			return false;
	} else {
		r->kind = 'D';
		if (!read_num(c, 365, &r->n))
			return false;
	}
	if (c->s < c->end && *c->s == '/') {
		c->s++;
		if (!read_hms(c, &r->time))
			return false;
	}
	return true;
}

/* std offset [dst [offset] [,start[/time],end[/time]]]; POSIX offsets count west. */
static bool parse_posix(struct tz *z, const char *s, size_t n)
{
	struct cursor c = { s, s + n };
	struct posix_rule *r = &z->rule;
	int32_t off;
	if (!read_name(&c, z, &r->std_abbr) || !read_hms(&c, &off))
		return false;
	r->std_off = -off;
	r->set = true;
	if (c.s == c.end)
		return true;
	if (!read_name(&c, z, &r->dst_abbr))
		return false;
	r->has_dst = true;
	r->dst_off = r->std_off + 3600;
	if (c.s < c.end && *c.s != ',') {
		if (!read_hms(&c, &off))
			return false;
		r->dst_off = -off;
	}
	if (c.s == c.end) {
		/* no rule: POSIX leaves it to the implementation; glibc and zic use the US one */
		static const char us[] = ",M3.2.0,M11.1.0";
		c.s = us;
		c.end = us + sizeof(us) - 1;
	}
	if (*c.s++ != ',' || !read_rule_date(&c, &r->start) || c.s >= c.end || *c.s++ != ',' ||
	    !read_rule_date(&c, &r->end))
		return false;
	return c.s == c.end;
}

/* The local day (days since the epoch) on which a rule date falls in year y. */
static int64_t rule_day(const struct rule_date *r, int64_t y)
{
	int64_t jan1 = tz_days_from_civil(y, 1, 1);
	switch (r->kind) {
	case 'J':
		return jan1 + r->n - 1 + (tz_is_leap(y) && r->n >= 60);
	case 'D':
		return jan1 + r->n;
	default: {
		int64_t first = tz_days_from_civil(y, (unsigned)r->m, 1);
		int wday = (int)((first % 7 + 7 + 4) % 7);      /* 1970-01-01 was a Thursday */
		int64_t day = first + (r->d - wday + 7) % 7 + 7 * (r->w - 1);
		int64_t last = first + tz_month_days(y, (unsigned)r->m) - 1;
		while (day > last)
			day -= 7;
		return day;
	}
	}
}

static int32_t posix_offset_at(const struct tz *z, int64_t t, const char **abbr)
{
	const struct posix_rule *r = &z->rule;
	bool dst = false;
	if (r->has_dst) {
		int64_t y;
		unsigned m, d;
		tz_civil_from_days(floor_div(t + r->std_off, 86400), &y, &m, &d);
		int64_t start = rule_day(&r->start, y) * 86400 + r->start.time - r->std_off;
		int64_t end = rule_day(&r->end, y) * 86400 + r->end.time - r->dst_off;
		dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
	}
	if (abbr)
		*abbr = z->chars.buf + (dst ? r->dst_abbr : r->std_abbr);
	return dst ? r->dst_off : r->std_off;
}

/* ---- TZif ---------------------------------------------------------------------- */

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct tzif_counts {
	uint32_t isut, isstd, leap, time, type, chars;
};

static bool read_header(const unsigned char *p, size_t n, struct tzif_counts *h, char *version)
{
	if (n < 44 || memcmp(p, "TZif", 4) != 0)
		return false;
	*version = (char)p[4];
	h->isut = be32(p + 20);
	h->isstd = be32(p + 24);
	h->leap = be32(p + 28);
	h->time = be32(p + 32);
	h->type = be32(p + 36);
	h->chars = be32(p + 40);
	return h->type >= 1 && h->type <= 256 && h->chars >= 1 && h->time <= 100000 && h->chars <= 65536 &&
	       h->leap <= 100000 && (h->isut == 0 || h->isut == h->type) && (h->isstd == 0 || h->isstd == h->type);
}

static size_t block_size(const struct tzif_counts *h, size_t tsize)
{
	return (size_t)h->time * (tsize + 1) + (size_t)h->type * 6 + h->chars + (size_t)h->leap * (tsize + 4) +
	       h->isstd + h->isut;
}

/* Reads one data block (tsize 4 or 8 bytes per time) into z. */
static bool read_block(struct tz *z, const unsigned char *p, const struct tzif_counts *h, size_t tsize)
{
	z->ntimes = h->time;
	z->times = xcalloc(h->time ? h->time : 1, sizeof(*z->times));
	z->idx = xcalloc(h->time ? h->time : 1, 1);
	for (size_t i = 0; i < h->time; i++) {
		z->times[i] = tsize == 8 ? be64(p + 8 * i) : (int32_t)be32(p + 4 * i);
		if (i && z->times[i] <= z->times[i - 1])
			return false;
	}
	p += (size_t)h->time * tsize;
	for (size_t i = 0; i < h->time; i++)
		if ((z->idx[i] = p[i]) >= h->type)
			return false;
	p += h->time;
	const unsigned char *chars = p + (size_t)h->type * 6;
	if (chars[h->chars - 1] != '\0')
		return false;
	z->ntypes = h->type;
	z->types = xcalloc(h->type, sizeof(*z->types));
	for (size_t i = 0; i < h->type; i++, p += 6) {
		z->types[i].off = (int32_t)be32(p);
		z->types[i].dst = p[4] != 0;
		if (p[5] >= h->chars || z->types[i].off < -25 * 3600 || z->types[i].off > 26 * 3600)
			return false;
		z->types[i].abbr = p[5];
	}
	strbuf_add(&z->chars, chars, h->chars);
	return true;
}

static struct tz *parse_tzif(const unsigned char *p, size_t n)
{
	struct tzif_counts h;
	char version;
	if (!read_header(p, n, &h, &version) || h.leap != 0)
		return NULL;
	size_t tsize = 4;
	size_t v1 = 44 + block_size(&h, 4);
	if (v1 > n)
		return NULL;
	if (version >= '2') {
		p += v1;
		n -= v1;
		if (!read_header(p, n, &h, &version) || h.leap != 0 || 44 + block_size(&h, 8) > n)
			return NULL;
		tsize = 8;
	}
	struct tz *z = tz_new();
	if (!read_block(z, p + 44, &h, tsize))
		goto fail;
	if (tsize == 8) {
		/* the footer: "\nTZ\n" right after the block */
		const unsigned char *f = p + 44 + block_size(&h, 8), *end = p + n;
		if (f >= end || *f != '\n')
			goto fail;
		const unsigned char *nl = memchr(f + 1, '\n', (size_t)(end - f - 1));
		if (!nl)
			goto fail;
		if (nl > f + 1 && !parse_posix(z, (const char *)f + 1, (size_t)(nl - f - 1)))
			goto fail;
	}
	return z;
fail:
	tz_destroy(z);
	return NULL;
}

static bool name_ok(const char *name)
{
	if (!name[0] || strlen(name) > 200)
		return false;
	if (strncmp(name, "posix/", 6) == 0 || strncmp(name, "right/", 6) == 0 || strcmp(name, "posixrules") == 0 ||
	    strcmp(name, "localtime") == 0 || strcmp(name, "Factory") == 0)
		return false;
	/* java.time keeps these three out of its ids (ZoneId.SHORT_IDS has them) */
	if (strcmp(name, "EST") == 0 || strcmp(name, "MST") == 0 || strcmp(name, "HST") == 0)
		return false;
	for (const char *part = name; part; part = strchr(part, '/') ? strchr(part, '/') + 1 : NULL) {
		if (!((*part >= 'A' && *part <= 'Z') || (*part >= 'a' && *part <= 'z')))
			return false;
		for (const char *c = part; *c && *c != '/'; c++)
			if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' ||
			      *c == '-' || *c == '+' || *c == '.'))
				return false;
	}
	return true;
}

static struct tz *load_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	size_t got;
	while ((got = fread(buf, 1, sizeof(buf), f)) > 0 && sb.len < (1u << 20))
		strbuf_add(&sb, buf, got);
	fclose(f);
	struct tz *z = sb.len < (1u << 20) ? parse_tzif((const unsigned char *)sb.buf, sb.len) : NULL;
	strbuf_release(&sb);
	return z;
}

static const char *zone_dir(void)
{
	const char *dir = getenv("TZDIR");
	return dir && dir[0] == '/' ? dir : "/usr/share/zoneinfo";
}

struct tz *tz_load(const char *name)
{
	if (!name_ok(name))
		return NULL;
	struct strbuf path = STRBUF_INIT;
	strbuf_addf(&path, "%s/%s", zone_dir(), name);
	struct tz *z = load_file(path.buf);
	strbuf_release(&path);
	return z;
}

/* The zone id /etc/localtime names when it is a link into a zoneinfo directory. */
static char *localtime_link_name(void)
{
	char target[4096];
	ssize_t n = readlink("/etc/localtime", target, sizeof(target) - 1);
	if (n <= 0)
		return NULL;
	target[n] = '\0';
	const char *at = strstr(target, "zoneinfo/");
	return at && name_ok(at + 9) ? xstrdup(at + 9) : NULL;
}

/* The first line of /etc/timezone (Debian's record of the zone id), when it is one. */
static char *etc_timezone_name(void)
{
	FILE *f = fopen("/etc/timezone", "r");
	if (!f)
		return NULL;
	char line[256];
	char *got = fgets(line, sizeof(line), f);
	fclose(f);
	if (!got)
		return NULL;
	line[strcspn(line, " \t\r\n")] = '\0';
	return name_ok(line) ? xstrdup(line) : NULL;
}

struct tz *tz_load_local(char **name)
{
	char *id = NULL;
	struct tz *z = NULL;
	const char *env = getenv("TZ");
	if (env && env[0]) {
		id = xstrdup(env + (env[0] == ':'));
		z = tz_load(id);
	} else {
		/* as the JVM does on Linux: /etc/timezone, then the /etc/localtime link */
		id = etc_timezone_name();
		if (id)
			z = tz_load(id);
		if (!z) {
			free(id);
			id = localtime_link_name();
			z = load_file("/etc/localtime");
		}
	}
	if (!z) {
		free(id);
		id = xstrdup("GMT");
		z = tz_fixed(0, "GMT");
	}
	if (name)
		*name = id;
	else
		free(id);
	return z;
}

/* ---- lookups ------------------------------------------------------------------- */

int32_t tz_offset_at(const struct tz *z, int64_t t, const char **abbr)
{
	const struct ttype *ty = &z->types[0];
	if (z->ntimes && t >= z->times[0]) {
		size_t lo = 0, hi = z->ntimes;      /* the last transition at or before t */
		while (hi - lo > 1) {
			size_t mid = lo + (hi - lo) / 2;
			if (z->times[mid] <= t)
				lo = mid;
			else
				hi = mid;
		}
		if (lo == z->ntimes - 1 && z->rule.set)
			return posix_offset_at(z, t, abbr);
		ty = &z->types[z->idx[lo]];
	} else if (!z->ntimes && z->rule.set) {
		return posix_offset_at(z, t, abbr);
	}
	if (abbr)
		*abbr = z->chars.buf + ty->abbr;
	return ty->off;
}

bool tz_all_types(const struct tz *z, int64_t since, bool (*pred)(const char *abbr, int32_t offset))
{
	const char *abbr;
	int32_t off = tz_offset_at(z, since, &abbr);
	if (!pred(abbr, off))
		return false;
	for (size_t i = 0; i < z->ntimes; i++) {
		const struct ttype *ty = &z->types[z->idx[i]];
		if (z->times[i] >= since && !pred(z->chars.buf + ty->abbr, ty->off))
			return false;
	}
	if (z->rule.set && !pred(z->chars.buf + z->rule.std_abbr, z->rule.std_off))
		return false;
	if (z->rule.has_dst && !pred(z->chars.buf + z->rule.dst_abbr, z->rule.dst_off))
		return false;
	return true;
}
