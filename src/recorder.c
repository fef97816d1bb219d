/* SPDX-License-Identifier: MIT */
/* The recordings directory: which requests its stub files record, and each new exchange
 * written (record_doc builds the document) to a temporary name, fsynced and renamed (or
 * linked) into place; calls are serialised by the recorder's lock. */
#include "recorder.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stub_files.h"
#include "util/hash.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* Temporary files start with '.', so that neither the loader nor the watcher looks at them. */
#define TMP_PREFIX ".cannery-tmp-"
/* How many numbered names (NAME-2, NAME-3, ...) are tried before giving up: a bound, so
 * that a directory we cannot even look into fails instead of looping. */
#define MAX_NAME_TRIES 10000

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
	struct rnode *root = record_doc_parse(text, len);
	free(text);
	const struct rnode *req = record_doc_get(root, "request");
	if (!req) {
		record_doc_free(root);
		return NULL;
	}
	struct strbuf sb = STRBUF_INIT;
	record_doc_canon(req, &sb);
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
		record_doc_free(doc);
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
	const char *ct = record_doc_content_type(ex);
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
		if (doc->kids[i]->type == RNODE_SCALAR &&
		    (strcmp(doc->kids[i]->text, "response") == 0 || strcmp(doc->kids[i]->text, "responses") == 0))
			ri = i;
	if (ri == SIZE_MAX) {
		say(r, error, "append to", name, -EINVAL);
		return -EINVAL;
	}
	struct rnode *key = doc->kids[ri], *val = doc->kids[ri + 1];
	if (strcmp(key->text, "response") == 0) {
		/* response: X becomes responses: [X] */
		struct rnode *seq = record_doc_new(RNODE_SEQ);
		record_doc_add(seq, val);
		record_doc_free(key);
		doc->kids[ri] = record_doc_str("responses");
		doc->kids[ri + 1] = seq;
		val = seq;
	} else if (val->type != RNODE_SEQ) {
		say(r, error, "append to", name, -EINVAL);
		return -EINVAL;
	}
	size_t stem_len = strlen(name) - (strrchr(name, '.') ? strlen(strrchr(name, '.')) : 0);
	char *stem = xstrndup(name, stem_len);
	char *body_file = NULL;
	int rc = write_body_file(r, ex, stem, val->n + 1, &body_file, error);
	if (rc == 0) {
		record_doc_add(val, record_doc_response(ex, body_file));
		char *text = record_doc_emit(doc);
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
			struct rnode *root = record_doc_stub(request, record_doc_response(ex, body_file));
			char *text = record_doc_emit(root);
			/* the request stays the caller's */
			root->kids[1] = NULL;
			record_doc_free(root);
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
	struct rnode *request = record_doc_request(ex);
	struct strbuf key = STRBUF_INIT;
	record_doc_canon(request, &key);
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
			record_doc_free(doc);
			continue;
		}
		if (r->mode == RECORD_FIRST) {
			*outcome = RECORD_KEPT;
		} else {
			rc = append(r, doc, r->entries[i].file, ex, error);
			*outcome = RECORD_APPENDED;
		}
		record_doc_free(doc);
		if (rc == 0)
			*file = xstrdup(r->entries[i].file);
		goto out;
	}
	*outcome = RECORD_WROTE;
	rc = create_file(r, request, ex, hash, file, error);
out:
	pthread_mutex_unlock(&r->lock);
	record_doc_free(request);
	strbuf_release(&key);
	return rc;
}
