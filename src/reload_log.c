/* SPDX-License-Identifier: MIT */
/* Reload outcome lines. */
#include "reload_log.h"

#include "util/strbuf.h"

void reload_log_format(struct strbuf *out, bool ok, const char *errors, size_t nstubs, bool again)
{
	const char *s = nstubs == 1 ? "" : "s";
	if (ok) {
		strbuf_addf(out, "cannery: reloaded: serving %zu stub%s\n", nstubs, s);
		return;
	}
	if (again) {
		strbuf_addf(out, "cannery: reload failed again with the same errors; still serving the previous %zu stub%s\n",
			    nstubs, s);
		return;
	}
	strbuf_adds(out, errors ? errors : "");
	strbuf_addf(out, "cannery: reload failed; still serving the previous %zu stub%s\n", nstubs, s);
}
