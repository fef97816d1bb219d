/* SPDX-License-Identifier: MIT */
/* PCRE2 adapter: compile once (JIT when the platform has it), match whole subjects. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "regex.h"

#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"
#include "util/xalloc.h"

/* One step of a simple pattern: a byte of the set, min to max times (max SIZE_MAX: no
 * bound). */
struct simple_atom {
	uint64_t set[2];            /* ASCII bytes: bit c of set[c / 64] */
	size_t min, max;
};

/* A pattern simple enough to match without PCRE2: a whole-subject sequence of ASCII
 * literals and character classes with counts, such as a spec's ^[A-Z]{2}-[0-9]{3}$,
 * where taking as many bytes as allowed at each step is the only way to match (a step
 * with a range of counts shares no byte with the next). Matching one is a loop over the
 * subject; PCRE2's entry, even JIT-compiled, was ten times that. */
struct simple {
	struct simple_atom *v;
	size_t n;
};

struct regex {
	pcre2_code *code;
	char *source;
	uint32_t ncaptures;
	bool jit;                   /* compiled to machine code: pcre2_jit_match applies */
	struct simple *simple;      /* or NULL: PCRE2 matches it */
};

static void set_add(uint64_t set[2], unsigned char c)
{
	set[c / 64] |= UINT64_C(1) << (c % 64);
}

static bool set_has(const uint64_t set[2], unsigned char c)
{
	return c < 128 && (set[c / 64] >> (c % 64) & 1);
}

/* The escape at p[1] (p[0] is the backslash) as a set: a digit class, or a punctuation
 * character standing for itself. false for anything else (\w, \s, \b, \1, ...). */
static bool simple_escape(const char *p, uint64_t set[2])
{
	unsigned char c = (unsigned char)p[1];
	if (c == 'd') {
		for (unsigned char d = '0'; d <= '9'; d++)
			set_add(set, d);
		return true;
	}
	if (c && c < 128 && strchr(".^$|?*+()[]{}\\/-", c)) {
		set_add(set, c);
		return true;
	}
	return false;
}

/* The count after an atom at *p ({n}, {n,}, {n,m}, ?, *, +, or none): moves *p past it. */
static bool simple_count(const char **p, size_t *min, size_t *max)
{
	const char *s = *p;
	*min = *max = 1;
	if (*s == '?' || *s == '*' || *s == '+') {
		*min = *s == '+';
		*max = *s == '?' ? 1 : SIZE_MAX;
		s++;
	} else if (*s == '{') {
		char *end;
		if (s[1] < '0' || s[1] > '9')
			return false;
		unsigned long lo = strtoul(s + 1, &end, 10), hi = lo;
		if (*end == ',') {
			if (end[1] != '}' && (end[1] < '0' || end[1] > '9'))
				return false;   /* "{2, 5}" is text to this PCRE2 */
			hi = end[1] == '}' ? (unsigned long)-1 : strtoul(end + 1, &end, 10);
			if (end[0] == ',' && end[1] == '}')
				end++;
		}
		if (*end != '}' || lo > 1000 || (hi != (unsigned long)-1 && (hi < lo || hi > 1000)))
			return false;
		*min = lo;
		*max = hi == (unsigned long)-1 ? SIZE_MAX : hi;
		s = end + 1;
	}
	if (*s == '?' || *s == '+' || *s == '*' || *s == '{')
		return false;   /* lazy, possessive or doubled counts */
	*p = s;
	return true;
}

/* pattern as a simple pattern, or NULL. whole: the pattern is matched against the whole
 * subject as it is (regex_compile); else (regex_compile_search) it must be written
 * ^...$ to be simple. */
static struct simple *simple_compile(const char *pattern, bool whole, bool ignore_case)
{
	size_t len = strlen(pattern);
	if (ignore_case)
		return NULL;
	if (!whole) {
		if (len < 2 || pattern[0] != '^' || pattern[len - 1] != '$' || (len >= 3 && pattern[len - 2] == '\\'))
			return NULL;
		pattern++;
		len -= 2;
	}
	struct simple *sp = xcalloc(1, sizeof *sp);
	sp->v = xcalloc(len + 1, sizeof *sp->v);
	const char *p = pattern, *end = pattern + len;
	while (p < end) {
		struct simple_atom *a = &sp->v[sp->n++];
		unsigned char c = (unsigned char)*p;
		if (c == '[') {
			p++;
			if (*p == '^' || *p == ']')
				goto no;
			while (p < end && *p != ']') {
				unsigned char lo = (unsigned char)*p;
				if (lo == '\\') {
					if (!simple_escape(p, a->set))
						goto no;
					p += 2;
					if (*p == '-' && p + 1 < end && p[1] != ']')
						goto no;   /* an escaped character starting a range: \[-~ */
					continue;
				}
				if (lo >= 128 || lo == '[')
					goto no;
				if (p + 2 < end && p[1] == '-' && p[2] != ']') {
					unsigned char hi = (unsigned char)p[2];
					if (hi >= 128 || hi < lo || hi == '\\' || hi == '[')
						goto no;
					for (unsigned x = lo; x <= hi; x++)
						set_add(a->set, (unsigned char)x);
					p += 3;
				} else {
					set_add(a->set, lo);
					p++;
				}
			}
			if (p >= end)
				goto no;
			p++;
		} else if (c == '\\') {
			if (!simple_escape(p, a->set))
				goto no;
			p += 2;
		} else if (c < 128 && !strchr(".^$|?*+()[]{}", c)) {
			set_add(a->set, c);
			p++;
		} else {
			goto no;
		}
		if (p > end || !simple_count(&p, &a->min, &a->max) || p > end)
			goto no;
	}
	/* greedy is right only where a step of several counts shares no byte with the steps
	 * that could take the next byte: the next one, and past it while they may take none */
	for (size_t i = 0; i < sp->n; i++) {
		if (sp->v[i].min == sp->v[i].max)
			continue;
		for (size_t j = i + 1; j < sp->n; j++) {
			if ((sp->v[i].set[0] & sp->v[j].set[0]) || (sp->v[i].set[1] & sp->v[j].set[1]))
				goto no;
			if (sp->v[j].min > 0)
				break;
		}
	}
	return sp;
no:
	free(sp->v);
	free(sp);
	return NULL;
}

static bool simple_match(const struct simple *sp, const unsigned char *s, size_t len)
{
	size_t at = 0;
	for (size_t i = 0; i < sp->n; i++) {
		const struct simple_atom *a = &sp->v[i];
		if (a->min == a->max) {
			/* an exact count, the usual step (a literal, [A-Z]{2}): the length checked
			 * once, not with every byte */
			if (len - at < a->min)
				return false;
			for (size_t end = at + a->min; at < end; at++)
				if (!set_has(a->set, s[at]))
					return false;
			continue;
		}
		size_t k = 0;
		while (k < a->max && at < len && set_has(a->set, s[at])) {
			k++;
			at++;
		}
		if (k < a->min)
			return false;
	}
	return at == len;
}

static struct regex *compile(const char *pattern, uint32_t opts, bool ignore_case, char **err, size_t *offset)
{
	int code;
	PCRE2_SIZE off;
	opts |= PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
	if (ignore_case)
		opts |= PCRE2_CASELESS;
	pcre2_code *c = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, opts, &code, &off, NULL);
	if (!c) {
		PCRE2_UCHAR buf[256];
		pcre2_get_error_message(code, buf, sizeof(buf));
		if (err)
			*err = xstrdup((const char *)buf);
		if (offset)
			*offset = off;
		return NULL;
	}
	/* JIT is an optimisation: where it is unavailable the interpreter still works */
	int jit = pcre2_jit_compile(c, PCRE2_JIT_COMPLETE);
	struct regex *re = xcalloc(1, sizeof(*re));
	re->code = c;
	re->jit = jit == 0;
	re->simple = simple_compile(pattern, opts & PCRE2_ANCHORED, ignore_case);
	re->source = xstrdup(pattern);
	pcre2_pattern_info(c, PCRE2_INFO_CAPTURECOUNT, &re->ncaptures);
	return re;
}

struct regex *regex_compile(const char *pattern, bool ignore_case, char **err, size_t *offset)
{
	return compile(pattern, PCRE2_ANCHORED | PCRE2_ENDANCHORED, ignore_case, err, offset);
}

struct regex *regex_compile_search(const char *pattern, bool ignore_case, char **err, size_t *offset)
{
	/* JavaScript's $ matches only at the very end (PCRE2's also before a final newline) */
	return compile(pattern, PCRE2_DOLLAR_ENDONLY, ignore_case, err, offset);
}

void regex_destroy(struct regex *re)
{
	if (!re)
		return;
	pcre2_code_free(re->code);
	if (re->simple)
		free(re->simple->v);
	free(re->simple);
	free(re->source);
	free(re);
}

const char *regex_source(const struct regex *re)
{
	return re->source;
}

/* Memory for one regex_match from its own stack frame: a pattern is matched on every
 * request that it checks (a `pattern` of a schema, a matcher), and a malloc/free pair for
 * its match data each time was a tenth of the match. What does not fit (the interpreter's
 * backtracking frames, where there is no JIT) comes from the heap. */
struct frame_mem {
	_Alignas(max_align_t) unsigned char buf[512];
	size_t used;
};

static void *frame_malloc(PCRE2_SIZE size, void *data)
{
	struct frame_mem *m = data;
	size_t need = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	if (need < size || need > sizeof m->buf - m->used)
		return malloc(size);
	void *p = m->buf + m->used;
	m->used += need;
	return p;
}

static void frame_free(void *p, void *data)
{
	struct frame_mem *m = data;
	uintptr_t at = (uintptr_t)p, lo = (uintptr_t)m->buf;
	if (at - lo >= sizeof m->buf)
		free(p);
}

bool regex_match(const struct regex *re, const char *subject, size_t len)
{
	if (re->simple)
		return simple_match(re->simple, (const unsigned char *)subject, len);
	struct frame_mem mem;
	mem.used = 0;
	pcre2_general_context *gc = pcre2_general_context_create(frame_malloc, frame_free, &mem);
	pcre2_match_data *md = gc ? pcre2_match_data_create(1, gc) : NULL;
	/* the JIT's own entry skips pcre2_match's checks of arguments that are right here */
	int rc = !md ? -1
		 : re->jit ? pcre2_jit_match(re->code, (PCRE2_SPTR)subject, len, 0, 0, md, NULL)
			   : pcre2_match(re->code, (PCRE2_SPTR)subject, len, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	pcre2_general_context_free(gc);
	return rc >= 0;
}

int regex_match_named(const struct regex *re, const char *subject, size_t len,
		      struct arena *arena, struct regex_capture *caps, size_t max)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re->code, NULL);
	if (!md)
		return -1;
	int rc = pcre2_match(re->code, (PCRE2_SPTR)subject, len, 0, 0, md, NULL);
	if (rc < 0) {
		pcre2_match_data_free(md);
		return -1;
	}
	uint32_t count = 0, entry_size = 0;
	PCRE2_SPTR table = NULL;
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMEENTRYSIZE, &entry_size);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMETABLE, &table);
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	size_t n = 0;
	for (uint32_t i = 0; i < count && n < max; i++) {
		PCRE2_SPTR e = table + (size_t)i * entry_size;
		unsigned group = ((unsigned)e[0] << 8) | e[1];
		if ((int)group >= rc || ov[2 * group] == PCRE2_UNSET)
			continue;
		caps[n].name = (const char *)(e + 2);
		caps[n].value = arena_strndup(arena, subject + ov[2 * group], ov[2 * group + 1] - ov[2 * group]);
		n++;
	}
	pcre2_match_data_free(md);
	return (int)n;
}
