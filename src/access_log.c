/* SPDX-License-Identifier: MIT */
/* Access log lines. */
#include "access_log.h"

#include <unistd.h>

#include "util/strbuf.h"

static const char *const status_colors[] = { "\033[32m", "\033[33m", "\033[31m" };

void access_log_format(const struct access_entry *e, bool color, struct strbuf *sb)
{
	struct tm tm;
	gmtime_r(&e->wall.tv_sec, &tm);
	char ts[32];
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	strbuf_addf(sb, "%s.%03ldZ %s %s ", ts, e->wall.tv_nsec / 1000000, e->method, e->path);
	int status = e->status;
	const char *c = status >= 500 || status == 0 ? status_colors[2] : status >= 400 ? status_colors[1] : status_colors[0];
	if (color)
		strbuf_addf(sb, "%s%d\033[0m", c, status);
	else
		strbuf_addf(sb, "%d", status);
	if (e->stub_id)
		strbuf_addf(sb, " %s", e->stub_id);
	if (e->note && *e->note)
		strbuf_addf(sb, " %s", e->note);
	if (e->ended_early)
		strbuf_adds(sb, " (connection ended early)");
	strbuf_addf(sb, " %.2fms\n", e->ms);
	if (e->detail_len)
		strbuf_add(sb, e->detail, e->detail_len);
}

void access_log_write(int fd, const struct access_entry *e, bool color)
{
	struct strbuf sb = STRBUF_INIT;
	access_log_format(e, color, &sb);
	ssize_t w = write(fd, sb.buf, sb.len);
	(void)w;
	strbuf_release(&sb);
}
