/* SPDX-License-Identifier: MIT */
/* Exchanges to stub documents: each becomes a small YAML tree (request matcher, response,
 * `template: false`) written by yaml_tree's writer; files read back through yaml_tree,
 * and JSON bodies through json's exact reader, keeping key order and number text. */
#include "record_doc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "util/strbuf.h"
#include "util/utf8.h"
#include "util/xalloc.h"

/* JSON deeper or larger than this is recorded as text: the loader bounds nesting at 64
 * levels (the stub's own mappings take up to four) and documents at a million nodes. */
#define JSON_MAX_DEPTH 48
#define JSON_MAX_NODES 200000
#define SLUG_MAX 80

/* ---- the tree ---- */

void record_doc_free(struct rnode *y)
{
	if (!y)
		return;
	for (size_t i = 0; i < y->n; i++)
		record_doc_free(y->kids[i]);
	free(y->kids);
	free(y->text);
	free(y->tag);
	free(y);
}

struct rnode *record_doc_new(enum rnode_type type)
{
	struct rnode *y = xcalloc(1, sizeof(*y));
	y->type = type;
	return y;
}

void record_doc_add(struct rnode *parent, struct rnode *kid)
{
	parent->kids = xrealloc(parent->kids, (parent->n + 1) * sizeof(*parent->kids));
	parent->kids[parent->n++] = kid;
}

/* Text the loader reads back as a string even without quotes: it starts with a letter,
 * '/' or '_' and is none of the words YAML schemas turn into null or booleans. */
static bool plain_is_string(const char *s, size_t len)
{
	static const char *const words[] = { "null", "true", "false", "yes", "no", "on", "off", "y", "n" };
	if (len == 0)
		return false;
	char c = s[0];
	if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '/' || c == '_'))
		return false;
	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++)
		if (strlen(words[i]) == len && strncasecmp(s, words[i], len) == 0)
			return false;
	return true;
}

/* A string, quoted when a plain scalar would read back as something else, and in a
 * literal block when it spans lines (double-quoted when it holds breaks a block would
 * normalise). */
static struct rnode *ystr(const char *s, size_t len)
{
	struct rnode *y = record_doc_new(RNODE_SCALAR);
	y->text = xmemdup0(s, len);
	y->len = len;
	y->plain_implicit = plain_is_string(s, len);
	y->quoted_implicit = true;
	y->style = YSTYLE_ANY;
	bool nl = memchr(s, '\n', len) != NULL;
	bool odd_break = memchr(s, '\r', len) != NULL;
	for (size_t i = 0; i + 1 < len && !odd_break; i++)
		if ((unsigned char)s[i] == 0xC2 && (unsigned char)s[i + 1] == 0x85)
			odd_break = true;
	if (odd_break)
		y->style = YSTYLE_DOUBLE;
	else if (nl)
		y->style = YSTYLE_LITERAL;
	return y;
}

struct rnode *record_doc_str(const char *s)
{
	return ystr(s, strlen(s));
}

/* A plain scalar that the loader types: a number, true, false or null. */
static struct rnode *ytyped(const char *s, size_t len)
{
	struct rnode *y = record_doc_new(RNODE_SCALAR);
	y->text = xmemdup0(s, len);
	y->len = len;
	y->plain_implicit = true;
	y->style = YSTYLE_PLAIN;
	return y;
}

static void yput(struct rnode *map, const char *key, struct rnode *value)
{
	record_doc_add(map, record_doc_str(key));
	record_doc_add(map, value);
}

struct rnode *record_doc_get(const struct rnode *map, const char *key)
{
	if (!map || map->type != RNODE_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (map->kids[i]->type == RNODE_SCALAR && strcmp(map->kids[i]->text, key) == 0)
			return map->kids[i + 1];
	return NULL;
}

/* ---- the canonical form of a tree: what identifies a recorded request ---- */

static bool scalar_is_typed(const struct rnode *y)
{
	bool plain = y->style == YSTYLE_PLAIN || (y->style == YSTYLE_ANY && y->plain_implicit);
	return plain && !y->tag && !plain_is_string(y->text, y->len);
}

/* Independent of quoting and layout: two trees that load as the same request have the
 * same canonical text. */
void record_doc_canon(const struct rnode *y, struct strbuf *out)
{
	switch (y->type) {
	case RNODE_SCALAR:
		strbuf_addf(out, "%c%zu:", scalar_is_typed(y) ? 'T' : 'S', y->len);
		strbuf_add(out, y->text, y->len);
		break;
	case RNODE_SEQ:
	case RNODE_MAP:
		strbuf_addf(out, "%c%zu[", y->type == RNODE_SEQ ? 'L' : 'M', y->n);
		for (size_t i = 0; i < y->n; i++)
			record_doc_canon(y->kids[i], out);
		strbuf_addc(out, ']');
		break;
	}
}

/* ---- emitting ---- */

static void emit_node(struct yaml_writer *w, const struct rnode *y)
{
	if (y->type == RNODE_SCALAR) {
		yaml_writer_scalar(w, y->tag, y->text, y->len, y->plain_implicit, y->quoted_implicit, y->style);
		return;
	}
	yaml_writer_begin(w, y->type == RNODE_SEQ ? YNODE_SEQUENCE : YNODE_MAPPING, y->tag);
	for (size_t i = 0; i < y->n; i++)
		emit_node(w, y->kids[i]);
	yaml_writer_end(w);
}

/* The tree as one YAML document, or NULL when libyaml refused it. Caller frees. */
char *record_doc_emit(const struct rnode *root)
{
	struct yaml_writer *w = yaml_writer_create();
	emit_node(w, root);
	return yaml_writer_finish(w);
}

/* ---- reading a stub file back (ours: one document, no anchors or aliases) ---- */

/* A copy we can change, with the flags libyaml's parser gives a scalar event: a plain
 * scalar without a tag, or one tagged '!', is plain-implicit; any other untagged one is
 * quoted-implicit. */
static struct rnode *copy_node(const struct ynode *n)
{
	struct rnode *y = record_doc_new(n->kind == YNODE_SCALAR ? RNODE_SCALAR : n->kind == YNODE_SEQUENCE ? RNODE_SEQ : RNODE_MAP);
	if (n->tag)
		y->tag = xstrdup(n->tag);
	if (n->kind == YNODE_SCALAR) {
		y->text = xmemdup0(n->text, n->len);
		y->len = n->len;
		y->style = n->style;
		y->plain_implicit = (n->style == YSTYLE_PLAIN && !n->tag) || (n->tag && strcmp(n->tag, "!") == 0);
		y->quoted_implicit = !y->plain_implicit && !n->tag;
		return y;
	}
	for (size_t i = 0; i < n->n; i++)
		record_doc_add(y, copy_node(n->kids[i]));
	return y;
}

struct rnode *record_doc_parse(const char *text, size_t len)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct yaml_reader *yr = yaml_reader_create(NULL, text, len, &diags);
	const struct ynode *root = NULL, *more;
	struct rnode *doc = NULL;
	if (yaml_reader_next(yr, &root) > 0 && root && root->kind == YNODE_MAPPING && !yaml_reader_saw_anchors(yr))
		doc = copy_node(root);
	/* a second document, or an error after the first, makes the file not ours */
	if (doc && yaml_reader_next(yr, &more) != 0) {
		record_doc_free(doc);
		doc = NULL;
	}
	yaml_reader_destroy(yr);
	diag_list_release(&diags);
	return doc;
}

/* ---- JSON bodies to trees, keeping key order and number text ---- */

/* Valid UTF-8 without NUL: text a stub file can hold as a string. */
static bool is_text(const char *s, size_t len)
{
	return !memchr(s, '\0', len) && utf8_valid(s, len);
}

static struct rnode *from_json(const cJSON *j)
{
	if (cJSON_IsObject(j) || cJSON_IsArray(j)) {
		struct rnode *y = record_doc_new(cJSON_IsObject(j) ? RNODE_MAP : RNODE_SEQ);
		for (const cJSON *c = j->child; c; c = c->next) {
			if (y->type == RNODE_MAP)
				record_doc_add(y, record_doc_str(c->string));
			record_doc_add(y, from_json(c));
		}
		return y;
	}
	if (cJSON_IsString(j))
		return record_doc_str(j->valuestring);
	if (cJSON_IsRaw(j))
		return ytyped(j->valuestring, strlen(j->valuestring));
	const char *w = cJSON_IsTrue(j) ? "true" : cJSON_IsFalse(j) ? "false" : "null";
	return ytyped(w, strlen(w));
}

/* The body as a tree when it is JSON a stub can hold exactly (JSON-equal), else NULL:
 * json_parse_exact keeps number text and refuses duplicate keys (a load error in a
 * stub), NUL and lone surrogates. */
static struct rnode *json_tree(const char *body, size_t len)
{
	cJSON *j = json_parse_exact(body, len, JSON_MAX_DEPTH, JSON_MAX_NODES);
	if (!j)
		return NULL;
	struct rnode *y = from_json(j);
	cJSON_Delete(j);
	return y;
}

/* ---- content types ---- */

/* The media type without parameters, lower-case, into buf. */
static const char *media_type(const char *ct, char *buf, size_t size)
{
	size_t n = 0;
	if (!ct)
		ct = "";
	while (*ct == ' ')
		ct++;
	for (; *ct && *ct != ';' && *ct != ' ' && n + 1 < size; ct++)
		buf[n++] = (char)(*ct >= 'A' && *ct <= 'Z' ? *ct - 'A' + 'a' : *ct);
	buf[n] = '\0';
	return buf;
}

static bool is_json_type(const char *ct)
{
	char mt[128];
	media_type(ct, mt, sizeof(mt));
	size_t n = strlen(mt);
	return strcmp(mt, "application/json") == 0 || strcmp(mt, "text/json") == 0 ||
	       (n > 5 && strcmp(mt + n - 5, "+json") == 0);
}

static const struct {
	const char *type, *ext;
} binary_types[] = {
	{ "image/png", "png" },
	{ "image/jpeg", "jpg" },
	{ "image/gif", "gif" },
	{ "image/webp", "webp" },
	{ "image/x-icon", "ico" },
	{ "image/vnd.microsoft.icon", "ico" },
	{ "image/avif", "avif" },
	{ "image/bmp", "bmp" },
	{ "application/pdf", "pdf" },
	{ "application/zip", "zip" },
	{ "application/gzip", "gz" },
	{ "application/wasm", "wasm" },
	{ "application/octet-stream", "bin" },
	{ "application/protobuf", "bin" },
	{ "application/x-protobuf", "bin" },
	{ "font/woff", "woff" },
	{ "font/woff2", "woff2" },
	{ "audio/mpeg", "mp3" },
	{ "video/mp4", "mp4" },
};

const char *recorder_extension(const char *content_type)
{
	char mt[128];
	media_type(content_type, mt, sizeof(mt));
	for (size_t i = 0; i < sizeof(binary_types) / sizeof(*binary_types); i++)
		if (strcmp(mt, binary_types[i].type) == 0)
			return binary_types[i].ext;
	/* text kept in a file (it was not valid UTF-8): an extension that is not a stub's */
	if (strncmp(mt, "text/", 5) == 0)
		return "txt";
	return "bin";
}

bool recorder_body_is_binary(const char *content_type, const char *body, size_t len)
{
	char mt[128];
	media_type(content_type, mt, sizeof(mt));
	if (!is_text(body, len))
		return true;
	if (strcmp(mt, "image/svg+xml") == 0)
		return false;
	if (strncmp(mt, "image/", 6) == 0 || strncmp(mt, "audio/", 6) == 0 || strncmp(mt, "video/", 6) == 0 ||
	    strncmp(mt, "font/", 5) == 0)
		return true;
	for (size_t i = 0; i < sizeof(binary_types) / sizeof(*binary_types); i++)
		if (strcmp(mt, binary_types[i].type) == 0)
			return true;
	return false;
}

/* ---- exchanges to trees ---- */

static const char *header_value(const struct header *h, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(h[i].name, name) == 0)
			return h[i].value;
	return NULL;
}

static bool is_token(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			continue;
		if (!strchr("!#$%&'*+-.^_`|~", c))
			return false;
	}
	return true;
}

/* Response headers that are not recorded: hop-by-hop ones, and those the replaying
 * server sets itself. */
static bool header_skipped(const char *name)
{
	static const char *const skipped[] = {
		"connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade",
		"date", "content-length", "content-encoding",
	};
	for (size_t i = 0; i < sizeof(skipped) / sizeof(*skipped); i++)
		if (strcasecmp(name, skipped[i]) == 0)
			return true;
	return strncasecmp(name, "proxy-", 6) == 0;
}

/* The value as written: secrets become "[redacted]"; a Set-Cookie keeps its cookie name
 * and attributes, so a replay still sets a cookie of that name. */
static char *recorded_value(const char *name, const char *value)
{
	static const char *const secret[] = { "authorization", "cookie", "x-api-key" };
	for (size_t i = 0; i < sizeof(secret) / sizeof(*secret); i++)
		if (strcasecmp(name, secret[i]) == 0)
			return xstrdup("[redacted]");
	if (strcasecmp(name, "set-cookie") == 0) {
		struct strbuf sb = STRBUF_INIT;
		const char *eq = strchr(value, '=');
		const char *semi = strchr(value, ';');
		if (eq && (!semi || eq < semi))
			strbuf_add(&sb, value, (size_t)(eq - value + 1));
		strbuf_adds(&sb, "[redacted]");
		if (semi)
			strbuf_adds(&sb, semi);
		return strbuf_detach(&sb, NULL);
	}
	return xstrdup(value);
}

static struct rnode *response_headers(const struct record_exchange *ex)
{
	struct rnode *map = record_doc_new(RNODE_MAP);
	bool *done = xcalloc(ex->nheaders + 1, sizeof(*done));
	for (size_t i = 0; i < ex->nheaders; i++) {
		const struct header *h = &ex->headers[i];
		if (done[i] || header_skipped(h->name) || !is_token(h->name) || strpbrk(h->value, "\r\n"))
			continue;
		/* every line of the same name, case-insensitively, goes under the first spelling */
		struct rnode *values = record_doc_new(RNODE_SEQ);
		for (size_t j = i; j < ex->nheaders; j++) {
			if (done[j] || strcasecmp(ex->headers[j].name, h->name) != 0 || strpbrk(ex->headers[j].value, "\r\n"))
				continue;
			done[j] = true;
			char *v = recorded_value(h->name, ex->headers[j].value);
			record_doc_add(values, record_doc_str(v));
			free(v);
		}
		if (values->n == 1) {
			struct rnode *one = values->kids[0];
			values->n = 0;
			record_doc_free(values);
			values = one;
		}
		yput(map, h->name, values);
	}
	free(done);
	if (!map->n) {
		record_doc_free(map);
		return NULL;
	}
	return map;
}

/* How a response body is written. */
enum body_form { FORM_NONE, FORM_JSON, FORM_TEXT, FORM_FILE };

static enum body_form response_form(const struct record_exchange *ex, struct rnode **json)
{
	*json = NULL;
	if (!ex->body_len)
		return FORM_NONE;
	const char *ct = header_value(ex->headers, ex->nheaders, "content-type");
	if (is_json_type(ct) && (*json = json_tree(ex->body, ex->body_len)))
		return FORM_JSON;
	if (recorder_body_is_binary(ct, ex->body, ex->body_len))
		return FORM_FILE;
	return FORM_TEXT;
}

struct rnode *record_doc_response(const struct record_exchange *ex, const char *file_name)
{
	struct rnode *map = record_doc_new(RNODE_MAP);
	char status[16];
	snprintf(status, sizeof(status), "%d", ex->status);
	yput(map, "status", ytyped(status, strlen(status)));
	struct rnode *headers = response_headers(ex);
	if (headers)
		yput(map, "headers", headers);
	struct rnode *json;
	switch (response_form(ex, &json)) {
	case FORM_JSON:
		yput(map, "json", json);
		break;
	case FORM_TEXT:
		yput(map, "body", ystr(ex->body, ex->body_len));
		break;
	case FORM_FILE:
		if (file_name)
			yput(map, "file", record_doc_str(file_name));
		break;
	case FORM_NONE:
		break;
	}
	return map;
}

/* A path with braces would read as a template: such a path is matched by a regex that
 * spells it out literally. */
static struct rnode *path_matcher(const char *path, const char **key)
{
	if (!strpbrk(path, "{}")) {
		*key = "path";
		return record_doc_str(path);
	}
	struct strbuf sb = STRBUF_INIT;
	for (const char *p = path; *p; p++) {
		unsigned char c = (unsigned char)*p;
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (c < 0x80 && !alnum && c != '/')
			strbuf_addc(&sb, '\\');
		strbuf_addc(&sb, (char)c);
	}
	*key = "path_regex";
	struct rnode *y = ystr(sb.buf, sb.len);
	strbuf_release(&sb);
	return y;
}

struct rnode *record_doc_request(const struct record_exchange *ex)
{
	struct rnode *map = record_doc_new(RNODE_MAP);
	const char *path_key;
	yput(map, "method", record_doc_str(ex->method));
	struct rnode *path = path_matcher(ex->path, &path_key);
	yput(map, path_key, path);
	struct rnode *query = record_doc_new(RNODE_MAP);
	for (size_t i = 0; i < ex->nquery; i++) {
		const struct kv *q = &ex->query[i];
		bool seen = false;
		/* a mapping holds a name once: a repeated parameter is matched on its first value */
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(ex->query[j].name, q->name) == 0;
		if (seen || !q->name[0] || !is_text(q->name, strlen(q->name)) || !is_text(q->value, q->len))
			continue;
		yput(query, q->name, ystr(q->value, q->len));
	}
	if (query->n)
		yput(map, "query", query);
	else
		record_doc_free(query);
	if (ex->req_body_len) {
		struct rnode *json = is_json_type(ex->req_content_type) ? json_tree(ex->req_body, ex->req_body_len) : NULL;
		struct rnode *body = NULL;
		if (json) {
			body = record_doc_new(RNODE_MAP);
			yput(body, "json", json);
		} else if (is_text(ex->req_body, ex->req_body_len)) {
			body = record_doc_new(RNODE_MAP);
			yput(body, "equals", ystr(ex->req_body, ex->req_body_len));
		}
		/* a binary request body cannot be spelled in a stub: it is not matched */
		if (body)
			yput(map, "body", body);
	}
	return map;
}

struct rnode *record_doc_stub(struct rnode *request, struct rnode *response)
{
	struct rnode *root = record_doc_new(RNODE_MAP);
	yput(root, "request", request);
	yput(root, "response", response);
	yput(root, "template", ytyped("false", 5));
	return root;
}

char *recorder_emit(const struct record_exchange *ex, const char *file_name)
{
	struct rnode *root = record_doc_stub(record_doc_request(ex), record_doc_response(ex, file_name));
	char *text = record_doc_emit(root);
	record_doc_free(root);
	return text;
}

char *recorder_slug(const char *method, const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	bool dash = false;
	for (const char *p = method; *p && sb.len < 16; p++) {
		char c = *p;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			strbuf_addc(&sb, c);
	}
	if (!sb.len)
		strbuf_adds(&sb, "request");
	size_t base = sb.len;
	for (const char *p = path; *p && sb.len < SLUG_MAX; p++) {
		char c = *p;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			if (dash || sb.len == base)
				strbuf_addc(&sb, '-');
			dash = false;
			strbuf_addc(&sb, c);
		} else {
			dash = true;
		}
	}
	if (sb.len == base)
		strbuf_adds(&sb, "-root");
	return strbuf_detach(&sb, NULL);
}

const char *record_doc_content_type(const struct record_exchange *ex)
{
	return header_value(ex->headers, ex->nheaders, "content-type");
}
