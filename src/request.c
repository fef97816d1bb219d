/* SPDX-License-Identifier: MIT */
/* The request view's parses of the body, made once per request on first use. */
#include "request.h"

#include <string.h>
#include <strings.h>

#include "util/arena.h"
#include "util/numtext.h"

static const char form_type[] = "application/x-www-form-urlencoded";

/* Parses the body once per request (json_parse refuses trailing garbage without cJSON's
 * global error pointer). */
const cJSON *req_view_json(struct req_view *r)
{
	if (r->json_state == 0) {
		r->json_state = -1;
		/* a body with \u0000 in a string is not JSON here: cJSON would cut the string */
		if (r->body && r->body_len > 0 && (r->json = json_parse(r->body, r->body_len, NULL)))
			r->json_state = 1;
	}
	return r->json_state == 1 ? r->json : NULL;
}

/* The exact reader's limits for a request body: cJSON's own nesting limit is 1000. */
#define EXACT_MAX_DEPTH 512
#define EXACT_MAX_NODES (1u << 20)

const cJSON *req_view_json_exact(struct req_view *r)
{
	if (r->json_exact_state == 0) {
		r->json_exact_state = -1;
		if (r->body && r->body_len > 0 &&
		    (r->json_exact = json_parse_exact(r->body, r->body_len, EXACT_MAX_DEPTH, EXACT_MAX_NODES)))
			r->json_exact_state = 1;
	}
	return r->json_exact_state == 1 ? r->json_exact : NULL;
}


/* ---- body: form --------------------------------------------------------------- */

/* '+' is a space, %XX a byte; a malformed escape stays as written. */
static char *form_decode(struct arena *a, const char *s, size_t n, size_t *len)
{
	char *out = arena_alloc(a, n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (s[i] == '+') {
			out[o++] = ' ';
		} else if (s[i] == '%' && i + 2 < n && (hi = numtext_digit_value(s[i + 1])) < 16 &&
			   (lo = numtext_digit_value(s[i + 2])) < 16) {
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	if (len)
		*len = o;
	return out;
}

const struct kv *req_view_header(const struct req_view *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return &r->headers[i];
	return NULL;
}

/*
 * Parses the body into fields once per request, only when the request says it is a
 * form (Content-Type prefix, case-insensitive); otherwise every field is absent.
 */
void req_view_form(struct req_view *r)
{
	if (r->form_state)
		return;
	r->form_state = 1;
	r->form = NULL;
	r->nform = 0;
	const struct kv *ct = req_view_header(r, "content-type");
	size_t tlen = sizeof(form_type) - 1;
	if (!ct || ct->len < tlen || strncasecmp(ct->value, form_type, tlen) != 0)
		return;
	if (!r->body || r->body_len == 0)
		return;
	size_t max = 1;
	for (size_t i = 0; i < r->body_len; i++)
		if (r->body[i] == '&')
			max++;
	r->form = arena_alloc(r->arena, max * sizeof(*r->form));
	const char *p = r->body, *end = r->body + r->body_len;
	while (p <= end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;
		if (stop > p) {
			const char *eq = memchr(p, '=', (size_t)(stop - p));
			const char *name_end = eq ? eq : stop;
			size_t name_len;
			const char *name = form_decode(r->arena, p, (size_t)(name_end - p), &name_len);
			/* a name holding %00 is left out: cut at the NUL it would pass for another
			 * name, and no stub's field name (a C string) can be it */
			if (strlen(name) == name_len) {
				struct kv *kv = &r->form[r->nform++];
				kv->name = name;
				if (eq)
					kv->value = form_decode(r->arena, eq + 1, (size_t)(stop - eq - 1), &kv->len);
				else {
					kv->value = "";
					kv->len = 0;
				}
			}
		}
		if (!amp)
			break;
		p = amp + 1;
	}
}

void req_view_release(struct req_view *r)
{
	cJSON_Delete(r->json);
	r->json = NULL;
	r->json_state = 0;
	cJSON_Delete(r->json_exact);
	r->json_exact = NULL;
	r->json_exact_state = 0;
	r->form = NULL;
	r->nform = 0;
	r->form_state = 0;
}

const cJSON *req_view_json_path(struct req_view *r, const char *path)
{
	const cJSON *root = req_view_json(r);
	return root ? json_get_dotted(root, path) : NULL;
}
