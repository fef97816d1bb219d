/* SPDX-License-Identifier: MIT */
/* One document into stubs: a stub mapping or a list of them, its own keys (name,
 * priority, template, scenario, state, sequence), and its id, unique across the load;
 * or, for stub_load_matcher, the one request matcher. */
#include "load.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "respond.h"
#include "util/strbuf.h"
#include "util/strpool.h"
#include "util/xalloc.h"

struct id_loc {
	const char *file;           /* the loader's (ld->file) */
	int line, col;
};

static const char *const stub_keys[] = {
	"name", "priority", "request", "response", "template",
	"responses", "scenario", "state", "next_state", "sequence", NULL,
};

enum {
	SK_NAME, SK_PRIORITY, SK_REQUEST, SK_RESPONSE, SK_TEMPLATE,
	SK_RESPONSES, SK_SCENARIO, SK_STATE, SK_NEXT_STATE, SK_SEQUENCE,
};

/* A non-empty string value of a stub key (scenario, state...); NULL after an error. */
static char *to_name(struct loader *ld, const struct ynode *k, const struct ynode *v)
{
	if (v->kind != YNODE_SCALAR || (v->plain && v->len == 0)) {
		load_err(ld, v, "'%s' must be a string, got %s", k->text, load_got(ld, v));
		return NULL;
	}
	if (v->len == 0 || strlen(v->text) != v->len) {
		load_err(ld, v, "'%s' must be a non-empty string", k->text);
		return NULL;
	}
	return xstrdup(v->text);
}


static bool stub_uses_seq(const struct stub *s)
{
	for (size_t i = 0; i < stub_response_count(s); i++) {
		const struct stub_response *r = stub_response_at(s, i);
		if (tpl_uses_seq(r->body_tpl))
			return true;
		for (size_t j = 0; j < r->nheaders; j++)
			if (tpl_uses_seq(r->headers[j].tpl))
				return true;
	}
	return false;
}

static void free_id_loc(void *p)
{
	free(p);
}

void load_ids_release(struct loader *ld)
{
	hmap_release(&ld->ids, free_id_loc);
}

static void register_id(struct loader *ld, const char *id, const struct ynode *at, const struct ynode *stub)
{
	const struct id_loc *first = hmap_get(&ld->ids, id);
	if (first) {
		load_err(ld, at, "duplicate stub id %s (first defined at %s:%d:%d)", load_shown_str(ld, id), first->file,
		    first->line, first->col);
		return;
	}
	struct id_loc *loc = xcalloc(1, sizeof(*loc));
	loc->file = ld->file;
	loc->line = stub->line;
	loc->col = stub->col;
	hmap_put(&ld->ids, id, loc);
}

/* "PREFIX#INDEX" (hash) or "PREFIXINDEX", allocated to its size: without printf, which
 * was a tenth of a large start's loading */
static char *default_id(const char *prefix, bool hash, size_t index)
{
	char digits[24];
	size_t nd = 0;
	do {
		digits[sizeof(digits) - ++nd] = (char)('0' + index % 10);
		index /= 10;
	} while (index);
	size_t plen = strlen(prefix), len = plen + (hash ? 1 : 0) + nd;
	char *id = xmalloc(len + 1);
	memcpy(id, prefix, plen);
	if (hash)
		id[plen] = '#';
	memcpy(id + len - nd, digits + sizeof(digits) - nd, nd);
	id[len] = '\0';
	return id;
}

static void convert_stub(struct loader *ld, const struct ynode *map)
{
	size_t index = ld->index++;
	size_t before = load_nerrors(ld);
	struct stub *s = xcalloc(1, sizeof(*s));
	const struct ynode *name_node = NULL;
	const struct ynode *at[SK_SEQUENCE + 1] = { NULL };
	unsigned seen = 0;
	bool tpl = true;

	s->line = map->line;
	s->col = map->col;
	s->priority = 100;
	s->req.path_kind = PATH_NONE;
	s->resp.status = 200;
	s->resp.handler = &respond_canned;
	/* template: changes how the response is read, so it counts wherever it is written */
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (map->kids[i]->kind == YNODE_SCALAR && strcmp(map->kids[i]->text, "template") == 0 &&
		    ynode_bool(map->kids[i + 1]) >= 0)
			tpl = ynode_bool(map->kids[i + 1]) == 1;

	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct ynode *k = map->kids[i], *v = map->kids[i + 1];
		if (!load_key_ok(ld, k))
			continue;
		int ki = load_lookup_key(ld, k, stub_keys, NULL, "stub");
		if (ki < 0)
			continue;
		if (!load_first_time(ld, &seen, ki, k, "stub"))
			continue;
		at[ki] = k;
		if ((ki == SK_RESPONSE && at[SK_RESPONSES]) || (ki == SK_RESPONSES && at[SK_RESPONSE])) {
			load_err(ld, k, "a stub has either 'response' or 'responses' (a list), not both");
			continue;
		}
		switch (ki) {
		case SK_NAME:
			if (v->kind != YNODE_SCALAR || (v->plain && v->len == 0))
				load_err(ld, v, "'name' must be a string, got %s", load_got(ld, v));
			else if (v->len == 0)
				load_err(ld, v, "'name' must not be empty");
			else {
				s->name = xstrdup(v->text);
				name_node = v;
			}
			break;
		case SK_PRIORITY: {
			long long p;
			if (!ynode_int(v, INT_MIN, INT_MAX, &p))
				load_err(ld, v, "'priority' must be an integer, got %s", load_got(ld, v));
			else
				s->priority = (int)p;
			break;
		}
		case SK_REQUEST:
			if (ynode_is_null(v))
				break;
			if (v->kind != YNODE_MAPPING)
				load_err(ld, v, "'request' must be a mapping, got %s", load_got(ld, v));
			else
				load_request(ld, v, &s->req);
			break;
		case SK_RESPONSE:
			if (ynode_is_null(v))
				break;
			if (v->kind != YNODE_MAPPING)
				load_err(ld, v, "'response' must be a mapping, got %s", load_got(ld, v));
			else
				load_response(ld, v, &s->resp, tpl);
			break;
		case SK_TEMPLATE:
			if (ynode_bool(v) < 0)
				load_err(ld, v, "'template' must be true or false, got %s", load_got(ld, v));
			break;
		case SK_RESPONSES:
			load_responses(ld, v, s, tpl);
			break;
		case SK_SCENARIO:
			s->scenario = to_name(ld, k, v);
			break;
		case SK_STATE:
			s->state = to_name(ld, k, v);
			break;
		case SK_NEXT_STATE:
			s->next_state = to_name(ld, k, v);
			break;
		case SK_SEQUENCE: {
			static const char *const modes[] = { "repeat_last", "cycle", NULL };
			int mode = v->kind == YNODE_SCALAR ? load_key_index(v, modes) : -1;
			const char *hint = v->kind == YNODE_SCALAR ? diag_suggest(v->text, modes) : NULL;
			if (mode >= 0)
				s->sequence = mode == 1 ? SEQUENCE_CYCLE : SEQUENCE_REPEAT_LAST;
			else if (hint)
				load_err(ld, v, "'sequence' must be repeat_last or cycle, got %s (did you mean '%s'?)", load_got(ld, v),
				    hint);
			else
				load_err(ld, v, "'sequence' must be repeat_last or cycle, got %s", load_got(ld, v));
			break;
		}
		}
	}
	if (at[SK_SEQUENCE] && !at[SK_RESPONSES])
		load_err(ld, at[SK_SEQUENCE], "'sequence' needs 'responses' (a list of responses to go through)");
	if (at[SK_STATE] && !at[SK_SCENARIO])
		load_err(ld, at[SK_STATE], "'state' needs 'scenario' (the scenario whose state it names)");
	if (at[SK_NEXT_STATE] && !at[SK_SCENARIO])
		load_err(ld, at[SK_NEXT_STATE], "'next_state' needs 'scenario' (the scenario whose state it sets)");
	if (!s->nresponses) {
		s->responses = xcalloc(1, sizeof(*s->responses));
		s->responses[0] = &s->resp;
		s->nresponses = 1;
	}
	s->counts_hits = s->nresponses > 1 || s->next_state || stub_uses_seq(s);
	/* `state:` is a condition like a header: it counts toward "more conditions win" */
	s->nconds = (unsigned)(s->req.nquery + s->req.nheaders + s->req.ncookies) +
		    (s->req.nbodies ? 1u : 0u) + (s->state ? 1u : 0u);

	s->id = s->name ? xstrdup(s->name) : default_id(ld->runtime ? "runtime-" : ld->relpath, !ld->runtime, index);
	register_id(ld, s->id, name_node ? name_node : map, map);

	if (load_nerrors(ld) != before) {
		stub_destroy(s);
		return;
	}
	s->file = ld->stub_file ? xstrdup(ld->stub_file) : NULL;
	/* a file's stubs share its name, their methods, content types and equal bodies, in
	 * one pool instead of a malloc each: 40% of a one-line stub's memory. Only stub
	 * files: their results become one group (load_result_take), which owns the pool;
	 * runtime stubs become a group each, and their ids may still change. */
	if (ld->pool) {
		if (!ld->res->pool)
			ld->res->pool = strpool_create();
		stub_intern(s, ld->res->pool);
	}
	load_result_add_stub(ld->res, s);
}

void load_doc(struct loader *ld, const struct ynode *root)
{
	if (ld->matcher_mode) {
		load_matcher_doc(ld, root);
		return;
	}
	if (!root || ynode_is_null(root))
		return;
	if (root->kind == YNODE_MAPPING) {
		convert_stub(ld, root);
	} else if (root->kind == YNODE_SEQUENCE) {
		for (size_t i = 0; i < root->n; i++) {
			const struct ynode *it = root->kids[i];
			if (it->kind == YNODE_MAPPING) {
				convert_stub(ld, it);
			} else {
				ld->index++;
				load_err(ld, it, "a stub must be a mapping, got %s", load_got(ld, it));
			}
		}
	} else {
		load_err(ld, root, "a stub file must hold a stub (a mapping) or a list of stubs, got %s", load_got(ld, root));
	}
}


/* ---- request matchers (journal count, verify and wait) ---- */

/* The value of the `request` key of a mapping, or NULL. */
static const struct ynode *member(const struct ynode *map, const char *key)
{
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (map->kids[i]->kind == YNODE_SCALAR && strcmp(map->kids[i]->text, key) == 0)
			return map->kids[i + 1];
	return NULL;
}

void load_matcher_doc(struct loader *ld, const struct ynode *root)
{
	const struct ynode *v = root;
	if (ld->docs++) {
		load_err(ld, root, "expected one document, got several");
		return;
	}
	if (ld->matcher_member) {
		if (!root || root->kind != YNODE_MAPPING) {
			load_err(ld, root, "expected a mapping with '%s', got %s", ld->matcher_member,
			    root ? load_got(ld, root) : "nothing");
			return;
		}
		v = member(root, ld->matcher_member);
		if (!v) {
			load_err(ld, root, "missing '%s' (a request matcher, as in a stub)", ld->matcher_member);
			return;
		}
	} else if (root && root->kind == YNODE_MAPPING && root->n == 2 && member(root, "request")) {
		v = member(root, "request");
	}
	struct stub *s = xcalloc(1, sizeof(*s));
	s->id = xstrdup("matcher");
	s->priority = 100;
	s->req.path_kind = PATH_NONE;
	s->line = v ? v->line : 1;
	s->col = v ? v->col : 1;
	if (v && !ynode_is_null(v)) {
		if (v->kind != YNODE_MAPPING)
			load_err(ld, v, "a request matcher must be a mapping, got %s", load_got(ld, v));
		else
			load_request(ld, v, &s->req);
	}
	s->nconds = (unsigned)(s->req.nquery + s->req.nheaders + s->req.ncookies) +
		    (s->req.nbodies ? 1u : 0u);
	ld->matcher = s;
}

