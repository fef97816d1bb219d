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

struct regex {
	pcre2_code *code;
	char *source;
	uint32_t ncaptures;
	bool jit;                   /* compiled to machine code: pcre2_jit_match applies */
};

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
