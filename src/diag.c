/* SPDX-License-Identifier: MIT */
/* Located diagnostics and "did you mean" suggestions. */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/strbuf.h"
#include "util/xalloc.h"

void diag_list_init(struct diag_list *l)
{
	memset(l, 0, sizeof(*l));
}

void diag_list_release(struct diag_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].file);
		free(l->items[i].msg);
	}
	free(l->items);
	diag_list_init(l);
}

void diag_add(struct diag_list *l, const char *file, int line, int col, const char *fmt, ...)
{
	if (l->n >= DIAG_MAX) {
		l->dropped++;
		return;
	}
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? l->alloc * 2 : 8;
		l->items = xrealloc(l->items, l->alloc * sizeof(*l->items));
	}
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	struct diag *d = &l->items[l->n++];
	d->file = file ? xstrdup(file) : NULL;
	d->line = line;
	d->col = col;
	d->msg = strbuf_detach(&sb, NULL);
}

void diag_list_move(struct diag_list *dst, struct diag_list *src)
{
	for (size_t i = 0; i < src->n; i++) {
		if (dst->n >= DIAG_MAX) {
			dst->dropped++;
			free(src->items[i].file);
			free(src->items[i].msg);
			continue;
		}
		if (dst->n == dst->alloc) {
			dst->alloc = dst->alloc ? dst->alloc * 2 : 8;
			dst->items = xrealloc(dst->items, dst->alloc * sizeof(*dst->items));
		}
		dst->items[dst->n++] = src->items[i];
	}
	dst->dropped += src->dropped;
	free(src->items);
	diag_list_init(src);
}

char *diag_format(const struct diag *d)
{
	struct strbuf sb = STRBUF_INIT;
	if (d->file) {
		strbuf_adds(&sb, d->file);
		if (d->line > 0) {
			strbuf_addf(&sb, ":%d", d->line);
			if (d->col > 0)
				strbuf_addf(&sb, ":%d", d->col);
		}
		strbuf_adds(&sb, ": ");
	}
	strbuf_adds(&sb, "error: ");
	strbuf_adds(&sb, d->msg);
	return strbuf_detach(&sb, NULL);
}

char *diag_list_format(const struct diag_list *l)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < l->n; i++) {
		char *line = diag_format(&l->items[i]);
		strbuf_adds(&sb, line);
		strbuf_addc(&sb, '\n');
		free(line);
	}
	if (l->dropped)
		strbuf_addf(&sb, "error: %zu more errors not shown\n", l->dropped);
	return strbuf_detach(&sb, NULL);
}

void diag_list_print(const struct diag_list *l, FILE *out)
{
	char *text = diag_list_format(l);
	fputs(text, out);
	free(text);
}

static size_t levenshtein(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return 99;
	size_t row[65];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = diag + cost;
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

const char *diag_suggest(const char *word, const char *const *known)
{
	const char *best = NULL;
	size_t best_d = 3;
	for (size_t i = 0; known[i]; i++) {
		size_t d = levenshtein(word, known[i]);
		if (strcasecmp(word, known[i]) == 0)
			d = 0;
		if (d < best_d && d * 2 < strlen(known[i]) + 1) {
			best = known[i];
			best_d = d;
		}
	}
	return best;
}
