/* SPDX-License-Identifier: MIT */
/* Exchanges to stub files: each becomes a small YAML tree (request matcher, response,
 * `template: false`) that yaml_tree's writer emits; a file is written to a temporary name,
 * fsynced and renamed (or linked) into place. Files are read back through yaml_tree, and
 * JSON bodies through json's exact reader. */
#include "recorder.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "stub_files.h"
#include "util/strbuf.h"
#include "util/utf8.h"
#include "util/xalloc.h"
#include "yaml_tree.h"

/* Temporary files start with '.', so that neither the loader nor the watcher looks at them. */
#define TMP_PREFIX ".cannery-tmp-"
/* JSON deeper or larger than this is recorded as text: the loader bounds nesting at 64
 * levels (the stub's own mappings take up to four) and documents at a million nodes. */
#define JSON_MAX_DEPTH 48
#define JSON_MAX_NODES 200000
#define SLUG_MAX 80
/* How many numbered names (NAME-2, NAME-3, ...) are tried before giving up: a bound, so
 * that a directory we cannot even look into fails instead of looping. */
#define MAX_NAME_TRIES 10000

/* ---- a small YAML tree we build and change (yaml_tree's are read-only) ---- */

enum rtype { Y_SCALAR, Y_SEQ, Y_MAP };

struct rnode {
	enum rtype type;
	char *text;                 /* scalar, NUL-terminated */
	size_t len;
	enum ynode_style style;     /* as parsed, or what the writer should prefer */
	bool plain_implicit;        /* a plain scalar reads back as the same string */
	bool quoted_implicit;
	char *tag;                  /* as parsed; NULL for ours */
	struct rnode **kids;        /* sequence items; mapping keys and values alternating */
	size_t n;
};

static void rnode_free(struct rnode *y)
{
	if (!y)
		return;
	for (size_t i = 0; i < y->n; i++)
		rnode_free(y->kids[i]);
	free(y->kids);
	free(y->text);
	free(y->tag);
	free(y);
}

static struct rnode *rnode_new(enum rtype type)
{
	struct rnode *y = xcalloc(1, sizeof(*y));
	y->type = type;
	return y;
}

static void yadd(struct rnode *parent, struct rnode *kid)
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
	struct rnode *y = rnode_new(Y_SCALAR);
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

static struct rnode *ystrz(const char *s)
{
	return ystr(s, strlen(s));
}

/* A plain scalar that the loader types: a number, true, false or null. */
static struct rnode *ytyped(const char *s, size_t len)
{
	struct rnode *y = rnode_new(Y_SCALAR);
	y->text = xmemdup0(s, len);
	y->len = len;
	y->plain_implicit = true;
	y->style = YSTYLE_PLAIN;
	return y;
}

static void yput(struct rnode *map, const char *key, struct rnode *value)
{
	yadd(map, ystrz(key));
	yadd(map, value);
}

static struct rnode *yget(const struct rnode *map, const char *key)
{
	if (!map || map->type != Y_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (map->kids[i]->type == Y_SCALAR && strcmp(map->kids[i]->text, key) == 0)
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
static void canon(const struct rnode *y, struct strbuf *out)
{
	switch (y->type) {
	case Y_SCALAR:
		strbuf_addf(out, "%c%zu:", scalar_is_typed(y) ? 'T' : 'S', y->len);
		strbuf_add(out, y->text, y->len);
		break;
	case Y_SEQ:
	case Y_MAP:
		strbuf_addf(out, "%c%zu[", y->type == Y_SEQ ? 'L' : 'M', y->n);
		for (size_t i = 0; i < y->n; i++)
			canon(y->kids[i], out);
		strbuf_addc(out, ']');
		break;
	}
}

static uint64_t fnv1a(const char *s, size_t len)
{
	uint64_t h = 14695981039346656037u;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211u;
	}
	return h;
}

/* ---- emitting ---- */

static void emit_node(struct yaml_writer *w, const struct rnode *y)
{
	if (y->type == Y_SCALAR) {
		yaml_writer_scalar(w, y->tag, y->text, y->len, y->plain_implicit, y->quoted_implicit, y->style);
		return;
	}
	yaml_writer_begin(w, y->type == Y_SEQ ? YNODE_SEQUENCE : YNODE_MAPPING, y->tag);
	for (size_t i = 0; i < y->n; i++)
		emit_node(w, y->kids[i]);
	yaml_writer_end(w);
}

/* The tree as one YAML document, or NULL when libyaml refused it. Caller frees. */
static char *emit_doc(const struct rnode *root)
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
	struct rnode *y = rnode_new(n->kind == YNODE_SCALAR ? Y_SCALAR : n->kind == YNODE_SEQUENCE ? Y_SEQ : Y_MAP);
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
		yadd(y, copy_node(n->kids[i]));
	return y;
}

static struct rnode *parse_doc(const char *text, size_t len)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct yaml_reader *yr = yaml_reader_create(NULL, text, len, &diags);
	const struct ynode *root = NULL, *more;
	struct rnode *doc = NULL;
	if (yaml_reader_next(yr, &root) > 0 && root && root->kind == YNODE_MAPPING && !yaml_reader_saw_anchors(yr))
		doc = copy_node(root);
	/* a second document, or an error after the first, makes the file not ours */
	if (doc && yaml_reader_next(yr, &more) != 0) {
		rnode_free(doc);
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
		struct rnode *y = rnode_new(cJSON_IsObject(j) ? Y_MAP : Y_SEQ);
		for (const cJSON *c = j->child; c; c = c->next) {
			if (y->type == Y_MAP)
				yadd(y, ystrz(c->string));
			yadd(y, from_json(c));
		}
		return y;
	}
	if (cJSON_IsString(j))
		return ystrz(j->valuestring);
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
	struct rnode *map = rnode_new(Y_MAP);
	bool *done = xcalloc(ex->nheaders + 1, sizeof(*done));
	for (size_t i = 0; i < ex->nheaders; i++) {
		const struct header *h = &ex->headers[i];
		if (done[i] || header_skipped(h->name) || !is_token(h->name) || strpbrk(h->value, "\r\n"))
			continue;
		/* every line of the same name, case-insensitively, goes under the first spelling */
		struct rnode *values = rnode_new(Y_SEQ);
		for (size_t j = i; j < ex->nheaders; j++) {
			if (done[j] || strcasecmp(ex->headers[j].name, h->name) != 0 || strpbrk(ex->headers[j].value, "\r\n"))
				continue;
			done[j] = true;
			char *v = recorded_value(h->name, ex->headers[j].value);
			yadd(values, ystrz(v));
			free(v);
		}
		if (values->n == 1) {
			struct rnode *one = values->kids[0];
			values->n = 0;
			rnode_free(values);
			values = one;
		}
		yput(map, h->name, values);
	}
	free(done);
	if (!map->n) {
		rnode_free(map);
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

static struct rnode *build_response(const struct record_exchange *ex, const char *file_name)
{
	struct rnode *map = rnode_new(Y_MAP);
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
			yput(map, "file", ystrz(file_name));
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
		return ystrz(path);
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

static struct rnode *build_request(const struct record_exchange *ex)
{
	struct rnode *map = rnode_new(Y_MAP);
	const char *path_key;
	yput(map, "method", ystrz(ex->method));
	struct rnode *path = path_matcher(ex->path, &path_key);
	yput(map, path_key, path);
	struct rnode *query = rnode_new(Y_MAP);
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
		rnode_free(query);
	if (ex->req_body_len) {
		struct rnode *json = is_json_type(ex->req_content_type) ? json_tree(ex->req_body, ex->req_body_len) : NULL;
		struct rnode *body = NULL;
		if (json) {
			body = rnode_new(Y_MAP);
			yput(body, "json", json);
		} else if (is_text(ex->req_body, ex->req_body_len)) {
			body = rnode_new(Y_MAP);
			yput(body, "equals", ystr(ex->req_body, ex->req_body_len));
		}
		/* a binary request body cannot be spelled in a stub: it is not matched */
		if (body)
			yput(map, "body", body);
	}
	return map;
}

static struct rnode *build_stub(struct rnode *request, struct rnode *response)
{
	struct rnode *root = rnode_new(Y_MAP);
	yput(root, "request", request);
	yput(root, "response", response);
	yput(root, "template", ytyped("false", 5));
	return root;
}

char *recorder_emit(const struct record_exchange *ex, const char *file_name)
{
	struct rnode *root = build_stub(build_request(ex), build_response(ex, file_name));
	char *text = emit_doc(root);
	rnode_free(root);
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

/* ---- files ---- */

struct entry {
	uint64_t hash;              /* of the canonical request */
	char *file;                 /* relative to the directory */
};

struct recorder {
	pthread_mutex_t lock;       /* serialises recorder_record; guards everything below */
	char *dir;
	int dirfd;
	enum record_mode mode;
	struct entry *entries;
	size_t n;
	unsigned tmp_seq;
};

static int read_at(int dirfd, const char *name, char **out, size_t *outlen)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	struct strbuf sb = STRBUF_INIT;
	char buf[65536];
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int err = errno;
			close(fd);
			strbuf_release(&sb);
			return -err;
		}
		if (r == 0)
			break;
		strbuf_add(&sb, buf, (size_t)r);
	}
	close(fd);
	*out = strbuf_detach(&sb, outlen);
	return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t w = write(fd, data, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		data += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Whether name is taken in the directory (anything but a clear "no" counts as taken). */
static bool exists_at(int dirfd, const char *name)
{
	return faccessat(dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT;
}

/* Writes name atomically: a temporary file in the same directory, fsynced, then renamed
 * over name (replace) or linked to it (!replace: -EEXIST when name exists), then the
 * directory fsynced. A crash leaves the old file or the new one, and at worst a temporary
 * file that the next start removes. */
static int write_atomic(struct recorder *r, const char *name, const char *data, size_t len, bool replace)
{
	char tmp[64];
	snprintf(tmp, sizeof(tmp), TMP_PREFIX "%ld-%u", (long)getpid(), r->tmp_seq++);
	int fd = openat(r->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	int rc = write_all(fd, data, len);
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0) {
		if (replace) {
			if (renameat(r->dirfd, tmp, r->dirfd, name) != 0)
				rc = -errno;
		} else if (linkat(r->dirfd, tmp, r->dirfd, name, 0) != 0) {
			rc = -errno;
			/* a file system without hard links: claim the name by checking first */
			if (rc != -EEXIST)
				rc = exists_at(r->dirfd, name) ? -EEXIST
							       : renameat(r->dirfd, tmp, r->dirfd, name) == 0 ? 0 : -errno;
		}
	}
	unlinkat(r->dirfd, tmp, 0);
	if (rc == 0 && fsync(r->dirfd) != 0)
		rc = -errno;
	return rc;
}

/* The canonical text of the request a stub file records, or NULL (with *doc NULL) when
 * it is not a file we can read back. *doc receives the parsed file (caller frees). */
static char *file_request(struct recorder *r, const char *name, struct rnode **doc)
{
	char *text = NULL;
	size_t len = 0;
	*doc = NULL;
	if (read_at(r->dirfd, name, &text, &len) < 0)
		return NULL;
	struct rnode *root = parse_doc(text, len);
	free(text);
	const struct rnode *req = yget(root, "request");
	if (!req) {
		rnode_free(root);
		return NULL;
	}
	struct strbuf sb = STRBUF_INIT;
	canon(req, &sb);
	*doc = root;
	return strbuf_detach(&sb, NULL);
}

static void add_entry(struct recorder *r, uint64_t hash, const char *file)
{
	r->entries = xrealloc(r->entries, (r->n + 1) * sizeof(*r->entries));
	r->entries[r->n].hash = hash;
	r->entries[r->n].file = xstrdup(file);
	r->n++;
}

static bool in_index(const struct recorder *r, const char *file)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->entries[i].file, file) == 0)
			return true;
	return false;
}

/* Whether the process that named a temporary file "PID-N" still runs: another recorder
 * writing into the same directory keeps its file. */
static bool writer_alive(const char *suffix)
{
	char *end;
	errno = 0;
	long pid = strtol(suffix, &end, 10);
	if (errno || end == suffix || *end != '-' || pid <= 0 || pid == (long)getpid())
		return false;
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/* Removes what a crash left behind and indexes the requests already recorded. */
static void scan(struct recorder *r)
{
	int fd = dup(r->dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0) {
			if (!writer_alive(de->d_name + strlen(TMP_PREFIX)))
				unlinkat(r->dirfd, de->d_name, 0);
			continue;
		}
		if (de->d_name[0] == '.' || !stub_file_is_yaml(de->d_name))
			continue;
		struct rnode *doc;
		char *key = file_request(r, de->d_name, &doc);
		if (key)
			add_entry(r, fnv1a(key, strlen(key)), de->d_name);
		free(key);
		rnode_free(doc);
	}
	closedir(d);
}

static int mkdirs(const char *dir)
{
	char *p = xstrdup(dir);
	int rc = 0;
	for (char *s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST) {
			rc = -errno;
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return rc;
}

int recorder_create(const char *dir, enum record_mode mode, struct recorder **out, char **error)
{
	struct strbuf sb = STRBUF_INIT;
	int rc = mkdirs(dir);
	int fd = rc < 0 ? -1 : open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rc < 0 || fd < 0) {
		strbuf_addf(&sb, "cannot use '%s' for recordings: %s", dir, strerror(rc < 0 ? -rc : errno));
		*error = strbuf_detach(&sb, NULL);
		return rc < 0 ? rc : -errno;
	}
	struct recorder *r = xcalloc(1, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	r->dir = xstrdup(dir);
	r->dirfd = fd;
	r->mode = mode;
	scan(r);
	*out = r;
	return 0;
}

void recorder_destroy(struct recorder *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->entries[i].file);
	free(r->entries);
	close(r->dirfd);
	pthread_mutex_destroy(&r->lock);
	free(r->dir);
	free(r);
}

/* A body file name for stem that nothing uses yet: STEM.body.EXT, or STEM.body-K.EXT for
 * the K-th response of a sequence. */
static char *body_name(struct recorder *r, const char *stem, size_t k, const char *ext)
{
	for (size_t i = k; i < k + MAX_NAME_TRIES; i++) {
		struct strbuf sb = STRBUF_INIT;
		if (i <= 1)
			strbuf_addf(&sb, "%s.body.%s", stem, ext);
		else
			strbuf_addf(&sb, "%s.body-%zu.%s", stem, i, ext);
		if (!exists_at(r->dirfd, sb.buf))
			return strbuf_detach(&sb, NULL);
		strbuf_release(&sb);
	}
	return NULL;
}

static void say(struct recorder *r, char **error, const char *what, const char *file, int rc)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "cannot %s %s/%s: %s", what, r->dir, file, strerror(-rc));
	free(*error);
	*error = strbuf_detach(&sb, NULL);
}

/* Writes the body file of a binary response, when there is one; *name gets its name. */
static int write_body_file(struct recorder *r, const struct record_exchange *ex, const char *stem, size_t k,
			   char **name, char **error)
{
	const char *ct = header_value(ex->headers, ex->nheaders, "content-type");
	*name = NULL;
	/* as response_form decides, without parsing JSON twice: a body JSON could be read
	 * from is valid UTF-8 with a JSON type, so never binary */
	if (!ex->body_len || !recorder_body_is_binary(ct, ex->body, ex->body_len))
		return 0;
	for (unsigned tries = 0;; tries++) {
		char *n = body_name(r, stem, k, recorder_extension(ct));
		if (!n || tries == MAX_NAME_TRIES) {
			free(n);
			say(r, error, "find a free name for the body of", stem, -EEXIST);
			return -EEXIST;
		}
		int rc = write_atomic(r, n, ex->body, ex->body_len, false);
		if (rc == 0) {
			*name = n;
			return 0;
		}
		if (rc != -EEXIST) {
			say(r, error, "write", n, rc);
			free(n);
			return rc;
		}
		free(n);
	}
}

/* Sequence mode: one more response in doc (the parsed file `name`), written in place. */
static int append(struct recorder *r, struct rnode *doc, const char *name, const struct record_exchange *ex,
		  char **error)
{
	size_t ri = SIZE_MAX;
	for (size_t i = 0; i + 1 < doc->n; i += 2)
		if (doc->kids[i]->type == Y_SCALAR &&
		    (strcmp(doc->kids[i]->text, "response") == 0 || strcmp(doc->kids[i]->text, "responses") == 0))
			ri = i;
	if (ri == SIZE_MAX) {
		say(r, error, "append to", name, -EINVAL);
		return -EINVAL;
	}
	struct rnode *key = doc->kids[ri], *val = doc->kids[ri + 1];
	if (strcmp(key->text, "response") == 0) {
		/* response: X becomes responses: [X] */
		struct rnode *seq = rnode_new(Y_SEQ);
		yadd(seq, val);
		rnode_free(key);
		doc->kids[ri] = ystrz("responses");
		doc->kids[ri + 1] = seq;
		val = seq;
	} else if (val->type != Y_SEQ) {
		say(r, error, "append to", name, -EINVAL);
		return -EINVAL;
	}
	size_t stem_len = strlen(name) - (strrchr(name, '.') ? strlen(strrchr(name, '.')) : 0);
	char *stem = xstrndup(name, stem_len);
	char *body_file = NULL;
	int rc = write_body_file(r, ex, stem, val->n + 1, &body_file, error);
	if (rc == 0) {
		yadd(val, build_response(ex, body_file));
		char *text = emit_doc(doc);
		rc = text ? write_atomic(r, name, text, strlen(text), true) : -EINVAL;
		if (rc < 0) {
			say(r, error, "write", name, rc);
			if (body_file)
				unlinkat(r->dirfd, body_file, 0);
		}
		free(text);
	}
	free(body_file);
	free(stem);
	return rc;
}

/* A new stub file for the exchange, under the first free name of its slug. */
static int create_file(struct recorder *r, struct rnode *request, const struct record_exchange *ex, uint64_t hash,
		       char **file, char **error)
{
	char *slug = recorder_slug(ex->method, ex->path);
	int rc = 0;
	for (unsigned i = 1;; i++) {
		struct strbuf stem = STRBUF_INIT, name = STRBUF_INIT;
		if (i > MAX_NAME_TRIES) {
			say(r, error, "find a free name for", slug, -EEXIST);
			rc = -EEXIST;
			break;
		}
		if (i == 1)
			strbuf_adds(&stem, slug);
		else
			strbuf_addf(&stem, "%s-%u", slug, i);
		strbuf_addf(&name, "%s.yaml", stem.buf);
		if (exists_at(r->dirfd, name.buf) || in_index(r, name.buf)) {
			strbuf_release(&stem);
			strbuf_release(&name);
			continue;
		}
		char *body_file = NULL;
		rc = write_body_file(r, ex, stem.buf, 1, &body_file, error);
		if (rc == 0) {
			struct rnode *root = build_stub(request, build_response(ex, body_file));
			char *text = emit_doc(root);
			/* the request stays the caller's */
			root->kids[1] = NULL;
			rnode_free(root);
			rc = text ? write_atomic(r, name.buf, text, strlen(text), false) : -EINVAL;
			free(text);
			if (rc < 0 && body_file)
				unlinkat(r->dirfd, body_file, 0);
		}
		free(body_file);
		strbuf_release(&stem);
		if (rc == -EEXIST) {
			strbuf_release(&name);
			continue;
		}
		if (rc == 0) {
			add_entry(r, hash, name.buf);
			*file = strbuf_detach(&name, NULL);
		} else {
			if (!*error)
				say(r, error, "write", name.buf, rc);
			strbuf_release(&name);
		}
		break;
	}
	free(slug);
	return rc;
}

int recorder_record(struct recorder *r, const struct record_exchange *ex, enum record_outcome *outcome,
		    char **file, char **error)
{
	struct rnode *request = build_request(ex);
	struct strbuf key = STRBUF_INIT;
	canon(request, &key);
	uint64_t hash = fnv1a(key.buf, key.len);
	int rc = 0;
	*file = NULL;
	*error = NULL;
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->n; i++) {
		if (r->entries[i].hash != hash)
			continue;
		struct rnode *doc;
		char *other = file_request(r, r->entries[i].file, &doc);
		bool same = other && strcmp(other, key.buf) == 0;
		free(other);
		if (!same) {
			rnode_free(doc);
			continue;
		}
		if (r->mode == RECORD_FIRST) {
			*outcome = RECORD_KEPT;
		} else {
			rc = append(r, doc, r->entries[i].file, ex, error);
			*outcome = RECORD_APPENDED;
		}
		rnode_free(doc);
		if (rc == 0)
			*file = xstrdup(r->entries[i].file);
		goto out;
	}
	*outcome = RECORD_WROTE;
	rc = create_file(r, request, ex, hash, file, error);
out:
	pthread_mutex_unlock(&r->lock);
	rnode_free(request);
	strbuf_release(&key);
	return rc;
}
