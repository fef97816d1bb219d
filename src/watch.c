/* SPDX-License-Identifier: MIT */
/* The watcher: one inotify instance and one thread per server. Directories are watched,
 * never files, so that editors that save through a temp file and a rename are seen. */
#include "watch.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* What can change the loader's output. IN_MODIFY keeps a burst open while a large file
 * is still being written; IN_CLOSE_WRITE ends a plain write; renames cover editors that
 * save through a temp file; IN_ATTRIB covers touch(1) and a file made unreadable. */
/* how long watch_settled waits for late events */
#define WATCH_SETTLE_GRACE_MS 10

#define DIR_EVENTS                                                                      \
	(IN_CREATE | IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_MOVED_FROM | IN_MOVED_TO | \
	 IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_EXCL_UNLINK)

/* One watched directory. */
struct wdir {
	int wd;
	char *path;      /* tree: as reached from its DIR, e.g. "stubs/users"; extra: its real path */
	char *real;      /* its realpath when added (NULL if that failed), for tracked names */
	bool tree;       /* part of a DIR's recursive watch */
	bool extra;      /* watched for a tracked file the trees do not cover */
};

/* One DIR given by the user. */
struct top {
	char *path;      /* as given, without trailing slashes */
	int wd;          /* -1 while it is missing */
};

struct watch {
	int ifd;                 /* inotify, non-blocking */
	int stop_fd;             /* eventfd: readable once watch_stop wants the thread gone */
	int log_fd;
	watch_fn *fn;
	void *arg;
	pthread_t thread;
	bool started;

	/* lock guards everything below: the thread holds it while it handles events (never
	 * while it calls fn), watch_track_files while it replaces the tracked list */
	pthread_mutex_t lock;
	struct top *tops;        /* paths are immutable after create; wd is guarded */
	size_t ntops;
	struct wdir **dirs;      /* sorted by wd */
	size_t ndirs, adirs;
	char **tracked;          /* sorted "REALDIR/NAME" keys of files the trees do not cover */
	size_t ntracked;
	bool warned;             /* a watch could not be added and the user was told */
	struct watch_stats stats;
	/* the watcher thread only (events are handled there): files being written in place,
	 * modified (IN_MODIFY) and not closed since (IN_CLOSE_WRITE), as "WD/NAME" keys, and
	 * the burst in progress */
	char **writing;
	size_t nwriting, awriting;
	bool pending;
	uint64_t first, last;
	uint64_t torn_since;     /* when watch_settled first said no in a row, or 0 */
};

static char *join(const char *dir, const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, dir);
	if (sb.len && sb.buf[sb.len - 1] != '/')
		strbuf_addc(&sb, '/');
	strbuf_adds(&sb, name);
	return strbuf_detach(&sb, NULL);
}

static bool ends_with(const char *s, size_t len, const char *suffix, bool fold)
{
	size_t n = strlen(suffix);
	if (len < n)
		return false;
	return fold ? strcasecmp(s + len - n, suffix) == 0 : strcmp(s + len - n, suffix) == 0;
}

bool watch_is_dropping(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || name[0] == '.' || name[len - 1] == '~')
		return true;
	if (name[0] == '#' && len > 1 && name[len - 1] == '#')
		return true;
	if (strcmp(name, "4913") == 0)
		return true;
	return ends_with(name, len, ".tmp", true) || ends_with(name, len, ".temp", true) ||
	       ends_with(name, len, "___jb_tmp___", false) || ends_with(name, len, "___jb_old___", false);
}

static void warn(struct watch *w, const char *path, int err)
{
	if (w->warned || w->log_fd < 0)
		return;
	w->warned = true;
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "cannery: warning: cannot watch %s: %s", path, strerror(err));
	if (err == ENOSPC)
		strbuf_adds(&sb, " (raise fs.inotify.max_user_watches)");
	strbuf_adds(&sb, "; changes there need SIGHUP or POST /__cannery/reload\n");
	ssize_t n = write(w->log_fd, sb.buf, sb.len);
	(void)n;
	strbuf_release(&sb);
}

/* ---- the wd -> directory table (sorted: wds grow, so inserts are nearly appends) ---- */

static size_t dir_pos(const struct watch *w, int wd)
{
	size_t lo = 0, hi = w->ndirs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (w->dirs[mid]->wd < wd)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct wdir *find_dir(const struct watch *w, int wd)
{
	size_t i = dir_pos(w, wd);
	return i < w->ndirs && w->dirs[i]->wd == wd ? w->dirs[i] : NULL;
}

static struct wdir *get_dir(struct watch *w, int wd)
{
	size_t i = dir_pos(w, wd);
	if (i < w->ndirs && w->dirs[i]->wd == wd)
		return w->dirs[i];
	if (w->ndirs == w->adirs) {
		w->adirs = w->adirs ? w->adirs * 2 : 16;
		w->dirs = xrealloc(w->dirs, w->adirs * sizeof(*w->dirs));
	}
	memmove(&w->dirs[i + 1], &w->dirs[i], (w->ndirs - i) * sizeof(*w->dirs));
	struct wdir *d = xcalloc(1, sizeof(*d));
	d->wd = wd;
	w->dirs[i] = d;
	w->ndirs++;
	return d;
}

static void free_dir(struct wdir *d)
{
	free(d->path);
	free(d->real);
	free(d);
}

static void drop_dir(struct watch *w, int wd)
{
	size_t i = dir_pos(w, wd);
	if (i >= w->ndirs || w->dirs[i]->wd != wd)
		return;
	free_dir(w->dirs[i]);
	memmove(&w->dirs[i], &w->dirs[i + 1], (w->ndirs - i - 1) * sizeof(*w->dirs));
	w->ndirs--;
}

static void set_str(char **slot, char *value)
{
	free(*slot);
	*slot = value;
}

/* ---- trees ---- */

/* Watches path and every directory below it that the loader would walk (no names starting
 * with '.', no symlinked directories: follow is only for a DIR itself, which may be a
 * symlink). Returns the wd of path, or a negative errno. */
static int add_tree(struct watch *w, const char *path, bool follow)
{
	int wd = inotify_add_watch(w->ifd, path, DIR_EVENTS | IN_ONLYDIR | (follow ? 0 : IN_DONT_FOLLOW));
	if (wd < 0)
		return -errno;
	struct wdir *d = get_dir(w, wd);
	set_str(&d->path, xstrdup(path));
	set_str(&d->real, realpath(path, NULL));
	d->tree = true;
	/* files may have landed before the watch existed: the reload that follows reads them,
	 * but directories below need their own watches now */
	DIR *dp = opendir(path);
	if (!dp)
		return wd;
	struct dirent *de;
	while ((de = readdir(dp))) {
		if (de->d_name[0] == '.')
			continue;
		bool isdir = de->d_type == DT_DIR;
		char *child = join(path, de->d_name);
		if (de->d_type == DT_UNKNOWN) {
			struct stat st;
			isdir = lstat(child, &st) == 0 && S_ISDIR(st.st_mode);
		}
		if (isdir) {
			int rc = add_tree(w, child, false);
			if (rc < 0 && rc != -ENOENT && rc != -ENOTDIR)
				warn(w, child, -rc);
		}
		free(child);
	}
	closedir(dp);
	return wd;
}

static bool under(const char *path, const char *root)
{
	size_t n = strlen(root);
	return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Stops watching path and everything below it (a directory moved or removed). */
static void remove_tree(struct watch *w, const char *path)
{
	for (size_t i = w->ndirs; i-- > 0;) {
		struct wdir *d = w->dirs[i];
		if (!d->tree || !d->path || !under(d->path, path))
			continue;
		d->tree = false;
		if (d->extra)
			continue;
		inotify_rm_watch(w->ifd, d->wd);
		drop_dir(w, d->wd);
	}
}

static struct top *top_of(struct watch *w, int wd)
{
	for (size_t i = 0; i < w->ntops; i++)
		if (w->tops[i].wd == wd)
			return &w->tops[i];
	return NULL;
}

/* Looks again for DIRs that are missing. Returns whether one came back. */
static bool retry_tops(struct watch *w)
{
	bool found = false;
	for (size_t i = 0; i < w->ntops; i++) {
		if (w->tops[i].wd >= 0)
			continue;
		int wd = add_tree(w, w->tops[i].path, true);
		if (wd >= 0) {
			w->tops[i].wd = wd;
			found = true;
		}
	}
	return found;
}

/* ---- events ---- */

static bool is_tracked(const struct watch *w, const struct wdir *d, const char *name)
{
	if (!w->ntracked || !d->real)
		return false;
	char *key = join(d->real, name);
	size_t lo = 0, hi = w->ntracked;
	bool found = false;
	while (lo < hi && !found) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(key, w->tracked[mid]);
		if (c == 0)
			found = true;
		else if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	free(key);
	return found;
}

/* Keeps track of files written in place (open with O_TRUNC, write, close: what shell
 * redirection, VS Code and vim with backupcopy=yes do): between the truncation and the
 * close a file is empty or half written, and a load then would serve that. */
static void note_writer(struct watch *w, const struct inotify_event *ev)
{
	char key[32 + NAME_MAX];
	snprintf(key, sizeof(key), "%d/%s", ev->wd, ev->name);
	size_t i = 0;
	while (i < w->nwriting && strcmp(w->writing[i], key) != 0)
		i++;
	if (ev->mask & IN_MODIFY) {
		if (i < w->nwriting)
			return;
		if (w->nwriting == w->awriting) {
			w->awriting = w->awriting ? w->awriting * 2 : 8;
			w->writing = xrealloc(w->writing, w->awriting * sizeof(*w->writing));
		}
		w->writing[w->nwriting++] = xstrdup(key);
	} else if (ev->mask & (IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM)) {
		if (i < w->nwriting) {
			free(w->writing[i]);
			w->writing[i] = w->writing[--w->nwriting];
		}
		/* a writer let go: only one that keeps a file open runs out WATCH_WRITER_MAX_MS */
		w->torn_since = 0;
	}
}

/* Applies one event to the tables. Returns whether it may change what the loader reads. */
static bool handle_event(struct watch *w, const struct inotify_event *ev)
{
	w->stats.events++;
	if (ev->mask & IN_Q_OVERFLOW) {
		/* events were lost, maybe a new directory's among them: look at everything */
		w->stats.overflows++;
		for (size_t i = 0; i < w->ntops; i++)
			if (w->tops[i].wd >= 0)
				add_tree(w, w->tops[i].path, true);
		return true;
	}
	if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
		struct top *t = top_of(w, ev->wd);
		if (t) {
			/* a DIR went away (a subdirectory's parent reports that instead) */
			t->wd = -1;
			remove_tree(w, t->path);
			return true;
		}
		if (ev->mask & IN_IGNORED)
			drop_dir(w, ev->wd);
		return false;
	}
	struct wdir *d = find_dir(w, ev->wd);
	if (!d || ev->len == 0 || !ev->name[0])
		return false;
	const char *name = ev->name;
	if (!(ev->mask & IN_ISDIR))
		note_writer(w, ev);
	if (is_tracked(w, d, name))
		return true;
	if (!d->tree)
		return false;
	if (ev->mask & IN_ISDIR) {
		if (name[0] == '.')
			return false;
		char *child = join(d->path, name);
		if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
			int rc = add_tree(w, child, false);
			if (rc < 0 && rc != -ENOENT && rc != -ENOTDIR)
				warn(w, child, -rc);
		} else if (ev->mask & (IN_MOVED_FROM | IN_DELETE)) {
			remove_tree(w, child);
		}
		free(child);
		return true;
	}
	return !watch_is_dropping(name);
}

/* Reads everything queued. Returns whether any of it was relevant. */
static bool read_events(struct watch *w)
{
	_Alignas(struct inotify_event) char buf[16384];
	bool relevant = false;
	for (;;) {
		ssize_t n = read(w->ifd, buf, sizeof(buf));
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			break;
		}
		pthread_mutex_lock(&w->lock);
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)(void *)p;
			if (handle_event(w, ev)) {
				w->stats.relevant++;
				relevant = true;
			}
			p += sizeof(*ev) + ev->len;
		}
		pthread_mutex_unlock(&w->lock);
	}
	return relevant;
}

/* Counts relevant events into the burst in progress (watcher thread). */
static void burst_add(struct watch *w, bool relevant)
{
	if (!relevant)
		return;
	uint64_t now = clock_now_ms();
	if (!w->pending)
		w->first = now;
	w->pending = true;
	w->last = now;
}

/* When the burst in progress may end: once quiet for WATCH_QUIET_MS, or WATCH_MAX_WAIT_MS
 * after it began; either way not while a file is written in place, unless a writer keeps
 * one open past WATCH_WRITER_MAX_MS. */
static uint64_t burst_due(const struct watch *w)
{
	uint64_t due = w->last + WATCH_QUIET_MS < w->first + WATCH_MAX_WAIT_MS ? w->last + WATCH_QUIET_MS
									      : w->first + WATCH_MAX_WAIT_MS;
	if (w->nwriting && due < w->first + WATCH_WRITER_MAX_MS)
		due = w->last + WATCH_QUIET_MS < w->first + WATCH_WRITER_MAX_MS ? w->last + WATCH_QUIET_MS
										 : w->first + WATCH_WRITER_MAX_MS;
	return due;
}

bool watch_settled(struct watch *w, bool writer_seen)
{
	/* an event can trail the change it reports (a writer preempted between truncating
	 * the file and queuing IN_MODIFY): give late ones a moment */
	struct pollfd pfd = { w->ifd, POLLIN, 0 };
	poll(&pfd, 1, WATCH_SETTLE_GRACE_MS);
	bool relevant = read_events(w);
	burst_add(w, relevant);
	uint64_t now = clock_now_ms();
	if (!relevant && w->nwriting == 0 && !writer_seen) {
		w->torn_since = 0;
		return true;
	}
	if (!w->torn_since)
		w->torn_since = now;
	if (now >= w->torn_since + WATCH_WRITER_MAX_MS) {
		/* a writer that keeps the file open: serve what is there */
		w->torn_since = 0;
		return true;
	}
	/* call fn again once this settles: the writer's close starts a new burst, and this
	 * one covers a writer seen only through its lease */
	if (!w->pending)
		w->first = now;
	w->pending = true;
	w->last = now;
	return false;
}

/* The watcher thread: waits for events, lets a burst settle, then calls fn. */
static void *run(void *arg)
{
	struct watch *w = arg;
	for (;;) {
		int timeout = -1;
		if (w->pending) {
			uint64_t due = burst_due(w);
			uint64_t now = clock_now_ms();
			timeout = due > now ? (int)(due - now) : 0;
		}
		pthread_mutex_lock(&w->lock);
		bool missing = false;
		for (size_t i = 0; i < w->ntops; i++)
			missing |= w->tops[i].wd < 0;
		pthread_mutex_unlock(&w->lock);
		if (missing && (timeout < 0 || timeout > WATCH_RETRY_MS))
			timeout = WATCH_RETRY_MS;

		struct pollfd pfd[2] = { { w->stop_fd, POLLIN, 0 }, { w->ifd, POLLIN, 0 } };
		if (poll(pfd, 2, timeout) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			break;
		bool relevant = false;
		if (pfd[1].revents & POLLIN)
			relevant = read_events(w);
		if (missing) {
			pthread_mutex_lock(&w->lock);
			relevant |= retry_tops(w);
			pthread_mutex_unlock(&w->lock);
		}
		burst_add(w, relevant);
		if (w->pending && clock_now_ms() >= burst_due(w)) {
			w->pending = false;
			pthread_mutex_lock(&w->lock);
			w->stats.bursts++;
			pthread_mutex_unlock(&w->lock);
			w->fn(w->arg);
		}
	}
	return NULL;
}

/* ---- tracked files ---- */

/* Whether a change to path (as the loader opened it) is seen by the trees alone: below a
 * DIR through names that do not start with '.', not a dropping, and not a symlink. */
static bool covered(const struct watch *w, const char *path)
{
	const char *rest = NULL;
	for (size_t i = 0; i < w->ntops && !rest; i++) {
		size_t n = strlen(w->tops[i].path);
		if (strncmp(path, w->tops[i].path, n) == 0 && (path[n] == '/' || (n == 1 && path[0] == '/')))
			rest = path + n + (path[n] == '/');
	}
	if (!rest)
		return false;
	const char *base = rest;
	for (const char *p = rest; *p; p++) {
		if (p == rest || p[-1] == '/') {
			if (*p == '.')
				return false;
			base = p;
		}
	}
	if (watch_is_dropping(base))
		return false;
	struct stat st;
	return lstat(path, &st) == 0 && !S_ISLNK(st.st_mode);
}

static void push_key(char ***keys, size_t *n, size_t *alloc, char *key)
{
	if (*n == *alloc) {
		*alloc = *alloc ? *alloc * 2 : 8;
		*keys = xrealloc(*keys, *alloc * sizeof(**keys));
	}
	(*keys)[(*n)++] = key;
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The key of the directory entry at path: REALDIR/NAME, or NULL. */
static char *entry_key(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? (slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path))) : xstrdup(".");
	char *real_dir = realpath(dir, NULL);
	char *key = real_dir ? join(real_dir, slash ? slash + 1 : path) : NULL;
	free(real_dir);
	free(dir);
	return key;
}

/* Every symlink that resolving path goes through, by its entry key: replacing one of them
 * changes what path reads without touching the file. A Kubernetes ConfigMap volume is
 * DIR/x.yaml -> ..data/x.yaml and DIR/..data -> ..2024_..., updated by renaming a new
 * ..data over the old one. */
static void symlink_keys(const char *path, char ***keys, size_t *n, size_t *alloc)
{
	struct strbuf cur = STRBUF_INIT;
	strbuf_adds(&cur, path);
	for (int hops = 0; hops < 40; hops++) {
		/* the first component of cur that is a symlink, replaced by its target */
		bool swapped = false;
		for (size_t end = 0; end < cur.len && !swapped;) {
			end++;
			while (end < cur.len && cur.buf[end] != '/')
				end++;
			char save = cur.buf[end];
			cur.buf[end] = '\0';
			char target[PATH_MAX];
			ssize_t tl = readlink(cur.buf, target, sizeof(target) - 1);
			if (tl <= 0) {
				cur.buf[end] = save;
				continue;
			}
			target[tl] = '\0';
			char *key = entry_key(cur.buf);
			if (key)
				push_key(keys, n, alloc, key);
			struct strbuf next = STRBUF_INIT;
			const char *slash = strrchr(cur.buf, '/');
			if (target[0] != '/' && slash)
				strbuf_add(&next, cur.buf, (size_t)(slash - cur.buf) + 1);
			strbuf_adds(&next, target);
			cur.buf[end] = save;
			strbuf_add(&next, cur.buf + end, cur.len - end);
			strbuf_release(&cur);
			cur = next;
			swapped = true;
		}
		if (!swapped)
			break;
	}
	strbuf_release(&cur);
}

/* The keys under which events name path: its entry in its (real) directory, every
 * symlink on the way to the file, and where it leads. */
static void keys_of(const char *path, char ***keys, size_t *n, size_t *alloc)
{
	symlink_keys(path, keys, n, alloc);
	char *key = entry_key(path);
	if (key)
		push_key(keys, n, alloc, key);
	char *real = realpath(path, NULL);
	if (real)
		push_key(keys, n, alloc, real);
}

void watch_track_files(struct watch *w, const char *const *paths, size_t n)
{
	char **keys = NULL;
	size_t nkeys = 0, akeys = 0;
	for (size_t i = 0; i < n; i++)
		if (!covered(w, paths[i]))
			keys_of(paths[i], &keys, &nkeys, &akeys);
	if (nkeys)
		qsort(keys, nkeys, sizeof(*keys), cmp_key);
	size_t k = 0;
	for (size_t i = 0; i < nkeys; i++) {
		if (k && strcmp(keys[k - 1], keys[i]) == 0)
			free(keys[i]);
		else
			keys[k++] = keys[i];
	}
	nkeys = k;

	pthread_mutex_lock(&w->lock);
	char **old = w->tracked;
	size_t nold = w->ntracked;
	w->tracked = keys;
	w->ntracked = nkeys;
	for (size_t i = 0; i < w->ndirs; i++)
		w->dirs[i]->extra = false;
	for (size_t i = 0; i < nkeys; i++) {
		char *dir = xstrndup(keys[i], (size_t)(strrchr(keys[i], '/') - keys[i]));
		if (!*dir)
			set_str(&dir, xstrdup("/"));
		int wd = inotify_add_watch(w->ifd, dir, DIR_EVENTS | IN_ONLYDIR);
		if (wd >= 0) {
			struct wdir *d = get_dir(w, wd);
			if (!d->path)
				d->path = xstrdup(dir);
			if (!d->real)
				d->real = xstrdup(dir);
			d->extra = true;
		} else if (errno != ENOENT) {
			warn(w, dir, errno);
		}
		free(dir);
	}
	for (size_t i = w->ndirs; i-- > 0;) {
		struct wdir *d = w->dirs[i];
		if (!d->tree && !d->extra) {
			inotify_rm_watch(w->ifd, d->wd);
			drop_dir(w, d->wd);
		}
	}
	pthread_mutex_unlock(&w->lock);
	for (size_t i = 0; i < nold; i++)
		free(old[i]);
	free(old);
}

/* ---- lifecycle ---- */

int watch_create(const char *const *dirs, size_t ndirs, int log_fd, struct watch **out, char **error)
{
	struct watch *w = xcalloc(1, sizeof(*w));
	int err = 0;
	w->log_fd = log_fd;
	w->stop_fd = -1;
	pthread_mutex_init(&w->lock, NULL);
	w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->ifd < 0) {
		err = errno;
		goto fail;
	}
	w->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->stop_fd < 0) {
		err = errno;
		goto fail;
	}
	w->tops = xcalloc(ndirs ? ndirs : 1, sizeof(*w->tops));
	w->ntops = ndirs;
	for (size_t i = 0; i < ndirs; i++) {
		size_t n = strlen(dirs[i]);
		while (n > 1 && dirs[i][n - 1] == '/')
			n--;
		w->tops[i].path = xstrndup(dirs[i], n);
		w->tops[i].wd = -1;
	}
	for (size_t i = 0; i < ndirs; i++) {
		int wd = add_tree(w, w->tops[i].path, true);
		if (wd >= 0) {
			w->tops[i].wd = wd;
		} else if (wd != -ENOENT && wd != -ENOTDIR) {
			/* the DIR itself cannot be watched: better no watcher than a partial one */
			struct strbuf sb = STRBUF_INIT;
			strbuf_addf(&sb, "cannot watch %s: %s", w->tops[i].path, strerror(-wd));
			if (wd == -ENOSPC)
				strbuf_adds(&sb, " (raise fs.inotify.max_user_watches)");
			*error = strbuf_detach(&sb, NULL);
			watch_destroy(w);
			return wd;
		}
	}
	*out = w;
	return 0;
fail:;
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "cannot start inotify: %s", strerror(err));
	if (err == EMFILE)
		strbuf_adds(&sb, " (raise fs.inotify.max_user_instances)");
	*error = strbuf_detach(&sb, NULL);
	watch_destroy(w);
	return -err;
}

int watch_start(struct watch *w, watch_fn *fn, void *arg)
{
	w->fn = fn;
	w->arg = arg;
	int rc = pthread_create(&w->thread, NULL, run, w);
	if (rc != 0)
		return -rc;
	w->started = true;
	return 0;
}

struct watch_stats watch_get_stats(struct watch *w)
{
	pthread_mutex_lock(&w->lock);
	struct watch_stats s = w->stats;
	pthread_mutex_unlock(&w->lock);
	return s;
}

void watch_stop(struct watch *w)
{
	if (!w || !w->started)
		return;
	uint64_t one = 1;
	ssize_t n = write(w->stop_fd, &one, sizeof(one));
	(void)n;
	pthread_join(w->thread, NULL);
	w->started = false;
}

void watch_destroy(struct watch *w)
{
	if (!w)
		return;
	watch_stop(w);
	if (w->ifd >= 0)
		close(w->ifd);
	if (w->stop_fd >= 0)
		close(w->stop_fd);
	for (size_t i = 0; i < w->ndirs; i++)
		free_dir(w->dirs[i]);
	free(w->dirs);
	for (size_t i = 0; i < w->ntops; i++)
		free(w->tops[i].path);
	free(w->tops);
	for (size_t i = 0; i < w->ntracked; i++)
		free(w->tracked[i]);
	free(w->tracked);
	for (size_t i = 0; i < w->nwriting; i++)
		free(w->writing[i]);
	free(w->writing);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
