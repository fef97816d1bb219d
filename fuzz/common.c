/* SPDX-License-Identifier: MIT */
/* What the fuzz targets share: the rich stub set, throwaway stub directories, requests
 * spelled in lines and an in-process server over the rich set. */
#include "common.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cannery/cannery.h"
#include "util/arena.h"

const char fuzz_rich_stubs[] =
	"# every path kind, method form, matcher operation and body condition\n"
	"- name: exact\n"
	"  request: { method: GET, path: /exact }\n"
	"  response: { body: \"exact\\n\" }\n"
	"- name: exact-any\n"
	"  request: { path: /exact/any }\n"
	"  response: { status: 201, json: { ok: true, n: 1.5, list: [1, \"two\", null] } }\n"
	"- name: methods\n"
	"  priority: 50\n"
	"  request: { method: [get, POST, ANY], path: /m }\n"
	"  response: { status: 204 }\n"
	"- name: template\n"
	"  request: { method: GET, path: \"/users/{id}\" }\n"
	"  response: { headers: { X-Multi: [a, b], Content-Type: text/csv }, body: \"a,b\\n\" }\n"
	"- name: template-nested\n"
	"  request: { method: [GET, DELETE], path: \"/users/{id}/orders/{order}\" }\n"
	"  response: { status: 202 }\n"
	"- name: template-rest\n"
	"  request: { path: \"/files/{rest*}\" }\n"
	"  response: { file: body.json }\n"
	"- name: template-literal-vs-param\n"
	"  priority: 10\n"
	"  request: { path: /users/me }\n"
	"  response: { body: me }\n"
	"- name: regex-path\n"
	"  request: { method: GET, path_regex: '/items/(?<id>[0-9]+)(/(?<sub>[a-z]+))?' }\n"
	"  response: { body: item }\n"
	"- name: regex-backtrack\n"
	"  priority: 200\n"
	"  request: { path_regex: '/slow/(a+)+b' }\n"
	"  response: { body: slow }\n"
	"- name: pathless\n"
	"  priority: 300\n"
	"  request: { headers: { X-Anywhere: { present: true } } }\n"
	"  response: { status: 418 }\n"
	"- name: query\n"
	"  request:\n"
	"    path: /q\n"
	"    query:\n"
	"      eq: \"1\"\n"
	"      num: 2\n"
	"      re: { regex: '^[0-9]+$' }\n"
	"      one: { one_of: [a, b, \"c d\"] }\n"
	"      gone: { present: false }\n"
	"      ci: { equals: MiXeD, ignore_case: true }\n"
	"  response: { body: q }\n"
	"- name: query-ops\n"
	"  request:\n"
	"    path: /q\n"
	"    query:\n"
	"      c: { contains: mid }\n"
	"      p: { prefix: pre, suffix: suf }\n"
	"      n: { not: { one_of: [x, y] } }\n"
	"      nn: { not: { not: { present: true } } }\n"
	"  response: { body: q-ops }\n"
	"- name: headers\n"
	"  request:\n"
	"    method: [GET, POST]\n"
	"    path: /h\n"
	"    headers:\n"
	"      Authorization: { prefix: \"Bearer \" }\n"
	"      X-Case: { regex: 'ab+c', ignore_case: true }\n"
	"      X-Absent: { present: false }\n"
	"      Accept: { contains: json, not: { contains: xml } }\n"
	"  response: { body: h }\n"
	"- name: cookies\n"
	"  request:\n"
	"    path: /c\n"
	"    cookies:\n"
	"      session: { regex: '[a-f0-9]{8}' }\n"
	"      theme: dark\n"
	"      tracking: { present: false }\n"
	"  response: { body: c }\n"
	"- name: body-raw\n"
	"  request: { method: POST, path: /b/raw, body: { contains: needle, not: { prefix: \"{\" } } }\n"
	"  response: { body: raw }\n"
	"- name: body-raw-regex\n"
	"  request: { method: POST, path: /b/raw, body: { regex: '(?s).*\\bpanic\\b.*', ignore_case: true } }\n"
	"  response: { body: raw-regex }\n"
	"- name: body-json\n"
	"  request:\n"
	"    method: POST\n"
	"    path: /b/json\n"
	"    body:\n"
	"      json: { name: Ada, age: 36, ratio: 0.25, big: 1e300, tags: [x, y], nested: { deep: [[1], [2, { k: null }]] }, t: true }\n"
	"  response: { body: json }\n"
	"- name: body-json-scalar\n"
	"  request: { method: POST, path: /b/json, body: { json: 42 } }\n"
	"  response: { body: json-scalar }\n"
	"- name: body-json-partial\n"
	"  request:\n"
	"    method: POST\n"
	"    path: /b/partial\n"
	"    body:\n"
	"      json_partial: { user: { name: Ada, roles: [admin] }, items: [{ id: 1 }, { id: 2, tags: [] }] }\n"
	"  response: { body: partial }\n"
	"- name: body-json-path\n"
	"  request:\n"
	"    method: POST\n"
	"    path: /b/path\n"
	"    body:\n"
	"      json_path:\n"
	"        user.name: { prefix: Ad }\n"
	"        items.0.id: \"7\"\n"
	"        items.1: { contains: '\"x\"' }\n"
	"        flag: \"true\"\n"
	"        missing.key: { present: false }\n"
	"        obj: { regex: '\\{.*\\}' }\n"
	"        \"a.b.c.d.e.f\": { present: true }\n"
	"  response: { body: json-path }\n"
	"- name: body-form\n"
	"  request:\n"
	"    method: [POST, PUT]\n"
	"    path: /b/form\n"
	"    body:\n"
	"      form: { user: ada lovelace, role: { one_of: [admin, owner] }, empty: \"\", gone: { present: false } }\n"
	"  response: { body: form }\n"
	"- name: everything\n"
	"  priority: 1\n"
	"  request:\n"
	"    method: PATCH\n"
	"    path: \"/all/{x}\"\n"
	"    query: { q: { suffix: \"!\" } }\n"
	"    headers: { Content-Type: { prefix: application/x-www-form-urlencoded } }\n"
	"    cookies: { c: { equals: \"1\" } }\n"
	"    body: { form: { f: { regex: '.+' } } }\n"
	"  response: { status: 299, body: \"everything\" }\n"
	"- name: unicode\n"
	"  request: { path: \"/ünï/cödé/{name_1}\", query: { \"ключ\": { equals: \"значение\" } } }\n"
	"  response: { body: \"ünï\" }\n"
	"- name: template-off\n"
	"  template: false\n"
	"  request: { path: /t }\n"
	"  response: { body: \"{{ not a template }}\" }\n";

const char fuzz_rich_body_json[] = "{\"file\": true}\n";

/* ---- temporary directories, removed at exit ---- */

/* Everything fuzz_tmpdir made, in order: removed in reverse at exit. */
static char *made[64];
static size_t nmade;

static void remember(const char *path)
{
	if (nmade == sizeof(made) / sizeof(made[0])) {
		fputs("fuzz: too many temporary files\n", stderr);
		abort();
	}
	made[nmade] = strdup(path);
	if (!made[nmade])
		abort();
	nmade++;
}

/* Runs at exit on the main thread. */
static void remove_made(void)
{
	while (nmade) {
		char *path = made[--nmade];
		struct stat st;
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			rmdir(path);
		else
			unlink(path);
		free(path);
	}
}

static void die(const char *what, const char *path)
{
	fprintf(stderr, "fuzz: %s %s: %s\n", what, path, strerror(errno));
	abort();
}

const char *fuzz_tmpdir(const char *first, ...)
{
	static char dirs[8][256];
	static size_t ndirs;
	if (ndirs == sizeof(dirs) / sizeof(dirs[0])) {
		fputs("fuzz: too many temporary directories\n", stderr);
		abort();
	}
	const char *base = getenv("TMPDIR");
	char *dir = dirs[ndirs++];
	snprintf(dir, sizeof(dirs[0]), "%s/cannery-fuzz-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(dir))
		die("mkdtemp", dir);
	if (nmade == 0)
		atexit(remove_made);
	remember(dir);
	va_list ap;
	va_start(ap, first);
	for (const char *name = first; name; name = va_arg(ap, const char *)) {
		const char *contents = va_arg(ap, const char *);
		char path[512];
		size_t len = strlen(name);
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (len && name[len - 1] == '/') {
			if (mkdir(path, 0700) != 0)
				die("mkdir", path);
		} else if (strncmp(contents, "->", 2) == 0) {
			if (symlink(contents + 2, path) != 0)
				die("symlink", path);
		} else {
			FILE *f = fopen(path, "w");
			if (!f || fputs(contents, f) < 0 || fclose(f) != 0)
				die("write", path);
		}
		remember(path);
	}
	va_end(ap);
	return dir;
}

/* ---- an in-process server over the rich stub set ---- */

struct cannery_server *fuzz_start_rich_server(struct cannery_config *cfg, const char *who)
{
	static const char *dirs[1];
	struct cannery_server *srv = NULL;
	char *err = NULL;
	dirs[0] = fuzz_tmpdir("rich.yaml", fuzz_rich_stubs, "body.json", fuzz_rich_body_json, NULL);
	cfg->port = 0;
	cfg->dirs = dirs;
	cfg->ndirs = 1;
	cfg->log = CANNERY_LOG_QUIET;
	if (cannery_server_create(cfg, &srv, &err) != 0 || cannery_server_start(srv, &err) != 0) {
		fprintf(stderr, "%s: cannot start the server: %s\n", who, err ? err : "?");
		abort();
	}
	return srv;
}

/* ---- a request spelled in lines ---- */

/* "name<sep>value": both copied into the arena, NUL-terminated (the value may hold NULs). */
static void add_kv(struct arena *a, struct kv *v, size_t *n, const char *p, size_t len, char sep)
{
	if (*n == FUZZ_MAX_PARTS)
		return;
	const char *s = memchr(p, sep, len);
	size_t nlen = s ? (size_t)(s - p) : len;
	const char *value = s ? s + 1 : p + len;
	size_t vlen = len - nlen - (s ? 1 : 0);
	/* a header value starts after optional whitespace, as MHD hands it over */
	if (sep == ':')
		while (vlen && (*value == ' ' || *value == '\t')) {
			value++;
			vlen--;
		}
	v[*n].name = arena_strndup(a, p, nlen);
	v[*n].value = arena_strndup(a, value, vlen);
	v[*n].len = vlen;
	(*n)++;
}

void fuzz_parse_request(const char *p, size_t len, struct req_view *view, struct fuzz_request *parts)
{
	const char *end = p + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = (size_t)((nl ? nl : end) - p);
		if (ll >= 1 && p[0] == 'B') {
			const char *body = p + (nl ? ll + 1 : ll);
			view->body = body;
			view->body_len = (size_t)(end - body);
			break;
		}
		if (ll >= 2 && p[1] == ' ') {
			const char *v = p + 2;
			size_t vl = ll - 2;
			switch (p[0]) {
			case 'M':
				view->method = arena_strndup(view->arena, v, vl);
				break;
			case 'P':
				view->path = arena_strndup(view->arena, v, vl);
				break;
			case 'Q':
				add_kv(view->arena, parts->query, &parts->nquery, v, vl, '=');
				break;
			case 'H':
				add_kv(view->arena, parts->headers, &parts->nheaders, v, vl, ':');
				break;
			case 'C':
				add_kv(view->arena, parts->cookies, &parts->ncookies, v, vl, '=');
				break;
			case 'A':
				add_kv(view->arena, parts->params, &parts->nparams, v, vl, '=');
				break;
			default:
				break;
			}
		}
		p = nl ? nl + 1 : end;
	}
	view->query = parts->query;
	view->nquery = parts->nquery;
	view->headers = parts->headers;
	view->nheaders = parts->nheaders;
	view->cookies = parts->cookies;
	view->ncookies = parts->ncookies;
}

size_t fuzz_split_query(char *s, size_t len, struct kv *q, size_t max)
{
	size_t n = 0;
	char *p = s, *end = s + len;
	while (p < end && n < max) {
		char *amp = memchr(p, '&', (size_t)(end - p));
		char *stop = amp ? amp : end;
		*stop = '\0';
		char *eq = memchr(p, '=', (size_t)(stop - p));
		if (eq)
			*eq = '\0';
		q[n].name = p;
		q[n].value = eq ? eq + 1 : "";
		q[n].len = eq ? (size_t)(stop - eq - 1) : 0;
		n++;
		p = stop + 1;
	}
	return n;
}
