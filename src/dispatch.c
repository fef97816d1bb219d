/* SPDX-License-Identifier: MIT */
/* Request + stub set -> reply. */
#include "dispatch.h"

#include <math.h>
#include <string.h>

#include "cors.h"
#include "matcher.h"
#include "render.h"
#include "reply.h"
#include "reply_cache.h"
#include "respond.h"
#include "router.h"
#include "state.h"
#include "stub_set.h"
#include "util/arena.h"
#include "util/rng.h"
#include "util/strbuf.h"

/* The best stub that lists OPTIONS explicitly and accepts the request: it answers the
 * preflight instead of the built-in one (a stub with any method does not). */
static const struct stub *options_stub(const struct stub_set *set, struct req_view *req, size_t *slot)
{
	for (size_t i = 0; i < set->noptions; i++) {
		const struct stub *s = set->options[i];
		if (stub_path_ok(s, req, NULL) && stub_conditions_ok(s, req)) {
			*slot = set->option_slots[i];
			return s;
		}
	}
	return NULL;
}

static unsigned pick_delay(struct rng *rng, const struct stub_response *sr)
{
	if (sr->delay_sigma > 0) {
		/* Box-Muller: two uniforms in (0, 1] give one standard normal */
		double u1 = ((double)(rng_next(rng) >> 11) + 1.0) / 9007199254740992.0;
		double u2 = (double)(rng_next(rng) >> 11) / 9007199254740992.0;
		double z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
		double ms = (double)sr->delay_min_ms * exp(sr->delay_sigma * z);
		if (sr->delay_max_ms && ms > sr->delay_max_ms)
			ms = sr->delay_max_ms;
		return ms > 3600000.0 ? 3600000u : (unsigned)ms;
	}
	if (sr->delay_max_ms <= sr->delay_min_ms)
		return sr->delay_min_ms;
	return sr->delay_min_ms + (unsigned)rng_below(rng, (uint64_t)(sr->delay_max_ms - sr->delay_min_ms) + 1);
}

/* Response idx of stub s (in slot) for this request; seq is its hit count. */
static void answer(const struct dispatch_config *d, const struct stub_set *set, const struct stub *s, size_t slot,
		   size_t idx, uint64_t seq, struct req_view *req, const struct params *params, struct arena *a,
		   const char *origin, struct reply *out, struct strbuf *note)
{
	const struct stub_response *sr = stub_response_at(s, idx);
	struct reply_prepared *pr = reply_cache_get(set, slot, idx);
	out->stub_id = s->id;
	out->status = sr->status;
	out->delay_ms = pick_delay(d->rng, sr);
	if (sr->handler->fixed && (!origin || pr->own_cors)) {
		/* the fast path: the adapter's prebuilt response, nothing allocated (after its
		 * first use) */
		out->fixed = sr;
		out->reason = sr->status_message;
		out->prepared = pr;
		out->star = d->cors && !pr->own_cors;
		return;
	}
	struct respond_ctx rc = { { req, params, d->rng, seq, 0 }, a };
	sr->handler->respond(sr, &rc, out);
	if (out->note && note)
		strbuf_adds(note, out->note);
	if (out->proxy_base)
		return;     /* the upstream's answer gets its CORS headers when it comes */
	if (out->shared) {
		/* a front-end's shared answer: prebuilt by the adapter too, unless this origin
		 * needs its own CORS headers */
		out->prepared = pr;
		if (!origin) {
			out->serve_shared = true;
			out->star = d->cors && !pr->own_cors;
			return;
		}
		reply_expand(out, a);
	}
	if (d->cors && !pr->own_cors && !out->fault)
		cors_add(out, a, origin, pr->expose);
}

/*
 * Matching, choosing the response and moving the scenario are one step under the state
 * lock when it matters: when the set has `state:` stubs the whole lookup runs under it
 * (the matchers read scenario states), else only the hit count of a stub that needs one.
 */
static void miss(const struct dispatch_config *d, const struct stub_set *set, struct req_view *req,
		 struct reply *out, struct strbuf *note, struct strbuf *detail);

enum dispatch_result dispatch(const struct dispatch_config *d, const struct stub_set *set, struct req_view *req,
			      struct arena *a, struct reply *out, struct strbuf *note, struct strbuf *detail)
{
	const char *origin = cors_origin(req, d->cors);
	bool preflight = cors_is_preflight(req, origin);
	bool locked = false;
	if (set->has_states) {
		req->scenario_state = state_scenario_locked;
		req->scenario_cls = d->state;
		state_lock(d->state);
		locked = true;
	}
	struct params params = { NULL, 0 };
	size_t slot = 0;
	const struct stub *s = preflight ? options_stub(set, req, &slot) : router_find(set->router, req, &params, &slot);
	if (!s) {
		/* the near misses are worked out under the same lock: they read scenario states */
		if (!preflight && !d->forward_misses)
			miss(d, set, req, out, note, detail);
		if (locked)
			state_unlock(d->state);
		if (!preflight)
			return DISPATCH_MISS;
		cors_preflight(out, a, req, origin);
		strbuf_adds(note, "cors preflight");
		return DISPATCH_PREFLIGHT;
	}
	size_t idx = 0;
	uint64_t seq = 0;
	if (s->counts_hits) {
		if (!locked)
			state_lock(d->state);
		locked = true;
		idx = state_hit_locked(d->state, s, &seq);
	}
	if (locked)
		state_unlock(d->state);
	if (preflight && !stub_response_at(s, idx)->handler->fixed)
		stub_path_ok(s, req, &params);   /* options_stub matched without captures */
	answer(d, set, s, slot, idx, seq, req, &params, a, origin, out, note);
	if (out->fault) {
		static const char *const names[] = {
			[STUB_FAULT_RESET] = "reset", [STUB_FAULT_EMPTY] = "empty response",
			[STUB_FAULT_GARBAGE] = "random data then close", [STUB_FAULT_BAD_CHUNK] = "malformed response chunk",
		};
		strbuf_addf(note, "fault: %s", names[out->fault]);
	}
	return DISPATCH_MATCHED;
}

void dispatch_near_misses_json(const struct near_miss *nm, size_t n, struct strbuf *sb)
{
	strbuf_addc(sb, '[');
	for (size_t i = 0; i < n; i++) {
		const struct stub *s = nm[i].stub;
		if (i)
			strbuf_addc(sb, ',');
		strbuf_adds(sb, "{\"stub\":");
		strbuf_add_json_string(sb, s->id, strlen(s->id));
		strbuf_adds(sb, ",\"file\":");
		if (s->file)
			strbuf_add_json_string(sb, s->file, strlen(s->file));
		else
			strbuf_adds(sb, "null");
		strbuf_addf(sb, ",\"line\":%d,\"mismatches\":", s->line);
		mismatches_add_json(&nm[i].why, sb);
		strbuf_addc(sb, '}');
	}
	strbuf_addc(sb, ']');
}

static void near_miss_json(struct strbuf *sb, struct strbuf *note, const struct near_miss *nm, size_t n)
{
	strbuf_adds(sb, ",\"near_misses\":");
	dispatch_near_misses_json(nm, n, sb);
	if (n == 0) {
		strbuf_adds(note, "no stub matched");
		return;
	}
	strbuf_addf(note, "no stub matched; closest %s", nm[0].stub->id);
	if (nm[0].why.n)
		strbuf_addf(note, ": %s", nm[0].why.items[0]);
	if (nm[0].why.n > 1)
		strbuf_addf(note, " (+%zu more)", nm[0].why.n - 1);
}

static void miss(const struct dispatch_config *d, const struct stub_set *set, struct req_view *req,
		 struct reply *out, struct strbuf *note, struct strbuf *detail)
{
	struct near_miss nm[3];
	size_t n = router_near_misses(set->router, req, nm, 3);
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, "{\"error\":\"no stub matched\",\"method\":");
	strbuf_add_json_string(&sb, req->method, strlen(req->method));
	strbuf_adds(&sb, ",\"path\":");
	strbuf_add_json_string(&sb, req->path, strlen(req->path));
	near_miss_json(&sb, note, nm, n);
	if (d->verbose) {
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < nm[i].why.n; j++)
				strbuf_addf(detail, "    %s: %s\n", nm[i].stub->id, nm[i].why.items[j]);
	}
	strbuf_addc(&sb, '}');
	near_miss_release(nm, n);
	reply_json(out, 404, &sb);
}
