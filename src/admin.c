/* SPDX-License-Identifier: MIT */
/* The admin API under /__cannery/ (health, stubs, reload for now). */
#include "admin.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server.h"
#include "util/strbuf.h"

static void json_out(struct strbuf *out, cJSON *json)
{
	char *s = cJSON_PrintUnformatted(json);
	strbuf_adds(out, s);
	cJSON_free(s);
	cJSON_Delete(json);
}

static int error_out(struct strbuf *out, int status, const char *msg)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "error", msg);
	json_out(out, o);
	return status;
}

static int health(struct cannery_server *srv, struct strbuf *out)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "status", "ok");
	cJSON_AddNumberToObject(o, "stubs", (double)cannery_server_stub_count(srv));
	cJSON_AddStringToObject(o, "version", cannery_version());
	json_out(out, o);
	return 200;
}

static int list_stubs(struct cannery_server *srv, struct strbuf *out)
{
	struct stub_set *set = server_acquire(srv);
	cJSON *o = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(o, "stubs");
	for (size_t i = 0; i < set->n; i++) {
		const struct stub *s = set->stubs[i];
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "id", s->id);
		cJSON_AddItemToObject(e, "name", s->name ? cJSON_CreateString(s->name) : cJSON_CreateNull());
		cJSON_AddItemToObject(e, "file", s->file ? cJSON_CreateString(s->file) : cJSON_CreateNull());
		cJSON_AddNumberToObject(e, "line", s->line);
		cJSON *methods = cJSON_AddArrayToObject(e, "methods");
		for (size_t j = 0; j < s->req.nmethods; j++)
			cJSON_AddItemToArray(methods, cJSON_CreateString(s->req.methods[j]));
		cJSON_AddItemToObject(e, "path", s->req.path ? cJSON_CreateString(s->req.path) : cJSON_CreateNull());
		cJSON_AddItemToArray(arr, e);
	}
	stub_set_unref(set);
	json_out(out, o);
	return 200;
}

static int reload(struct cannery_server *srv, struct strbuf *out)
{
	char *errors = NULL;
	if (cannery_server_reload(srv, &errors) == 0) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "stubs", (double)cannery_server_stub_count(srv));
		json_out(out, o);
		return 200;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(o, "errors");
	/* one diagnostic a line: split them back into a JSON array */
	for (const char *line = errors; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		struct strbuf one = STRBUF_INIT;
		strbuf_add(&one, line, len);
		cJSON_AddItemToArray(arr, cJSON_CreateString(strbuf_str(&one)));
		strbuf_release(&one);
		line = nl ? nl + 1 : line + len;
	}
	/* logged as SIGHUP's reload does, so a failed reload is never silent */
	if (srv->cfg.log != CANNERY_LOG_QUIET) {
		struct strbuf log = STRBUF_INIT;
		strbuf_adds(&log, errors ? errors : "");
		strbuf_addf(&log, "cannery: reload failed; still serving the previous %zu stubs\n",
			    cannery_server_stub_count(srv));
		ssize_t w = write(srv->cfg.log_fd, log.buf, log.len);
		(void)w;
		strbuf_release(&log);
	}
	free(errors);
	json_out(out, o);
	return 422;
}

int admin_handle(struct cannery_server *srv, const char *method, const char *path,
		 const char *body, size_t body_len, struct strbuf *out)
{
	const char *sub = path + strlen(ADMIN_PREFIX);
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	bool post = strcmp(method, "POST") == 0;
	if (strcmp(sub, "/health") == 0) {
		if (!get)
			return error_out(out, 405, "use GET for /__cannery/health");
		return health(srv, out);
	}
	if (strcmp(sub, "/stubs") == 0 && get)
		return list_stubs(srv, out);
	if (strcmp(sub, "/reload") == 0) {
		if (!post)
			return error_out(out, 405, "use POST for /__cannery/reload");
		return reload(srv, out);
	}
	struct strbuf msg = STRBUF_INIT;
	strbuf_addf(&msg, "unknown admin endpoint: %s %s", method, path);
	int status = error_out(out, 404, strbuf_str(&msg));
	strbuf_release(&msg);
	(void)body;
	(void)body_len;
	return status;
}
