/* SPDX-License-Identifier: MIT */
/* Integration-test harness: child processes of the real binary, libcurl requests, raw
 * socket exchanges and temporary stub directories. See harness.h for the contract. */
#include "harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <curl/curl.h>

extern char **environ;

/* ---- ownership: everything handed out is freed by h_teardown ------------------------- */

enum owned_kind {
	OWN_MEM,
	OWN_SERVER,
	OWN_FD,
	OWN_TMPDIR,
	OWN_CLIENT,
	OWN_RESPONSE,
	OWN_RAW,
	OWN_RUN,
};

struct owned {
	enum owned_kind kind;
	void *p;
	int fd;
};

/* Guards owned: tests may make requests from several threads at once. */
static pthread_mutex_t owned_lock = PTHREAD_MUTEX_INITIALIZER;
static struct owned *owned;
static size_t nowned, owned_alloc;

static void own(enum owned_kind kind, void *p, int fd)
{
	pthread_mutex_lock(&owned_lock);
	if (nowned == owned_alloc) {
		owned_alloc = owned_alloc ? owned_alloc * 2 : 64;
		owned = realloc(owned, owned_alloc * sizeof(*owned));
		if (!owned)
			abort();
	}
	owned[nowned].kind = kind;
	owned[nowned].p = p;
	owned[nowned].fd = fd;
	nowned++;
	pthread_mutex_unlock(&owned_lock);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		abort();
	return p;
}

static char *xstrndup(const char *s, size_t n)
{
	char *p = xcalloc(n + 1, 1);

	memcpy(p, s, n);
	return p;
}

static char *concat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *p = xcalloc(la + lb + 1, 1);

	memcpy(p, a, la);
	memcpy(p + la, b, lb);
	return p;
}

/* A growable byte buffer, always NUL-terminated. */
struct buf {
	char *data;
	size_t len, alloc;
};

static void buf_add(struct buf *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->alloc) {
		size_t want = b->alloc ? b->alloc : 256;

		while (want < b->len + len + 1)
			want *= 2;
		b->data = realloc(b->data, want);
		if (!b->data)
			abort();
		b->alloc = want;
	}
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

static char *buf_detach(struct buf *b)
{
	char *p;

	if (!b->data)
		buf_add(b, "", 0);
	p = b->data;
	b->data = NULL;
	b->len = b->alloc = 0;
	return p;
}

static char *vfmt(const char *fmt, va_list ap)
{
	va_list ap2;
	int n;
	char *p;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		abort();
	p = xcalloc((size_t)n + 1, 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *h_fmt(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = vfmt(fmt, ap);
	va_end(ap);
	own(OWN_MEM, p, -1);
	return p;
}

size_t h_count_substr(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

char *h_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data;
	long n;

	cr_assert(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = h_fmt("%*s", (int)n, "");
	cr_assert(fread(data, 1, (size_t)n, f) == (size_t)n, "cannot read %s", path);
	fclose(f);
	if (len)
		*len = (size_t)n;
	return data;
}

bool h_contains(const char *haystack, const char *needle)
{
	return haystack && needle && strstr(haystack, needle) != NULL;
}

int64_t h_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void h_nap_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

int h_deadline_ms(void)
{
	const char *v = getenv("CANNERY_TEST_DEADLINE_MS");
	long ms = v ? strtol(v, NULL, 10) : 0;

	return ms > 0 && ms <= 3600000 ? (int)ms : 10000;
}

/* ---- setup and teardown ---------------------------------------------------------------- */

void h_setup(void)
{
	/* Criterion runs each test in its own process: this is the one init of that process. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		abort();
}

static void kill_and_reap(struct h_server *s)
{
	int status;

	if (s->reaped)
		return;
	kill(s->pid, SIGKILL);
	while (waitpid(s->pid, &status, 0) == -1 && errno == EINTR)
		;
	s->reaped = true;
	s->exit_code = 128 + SIGKILL;
}

static char *path_join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *p = xcalloc(la + lb + 2, 1);

	memcpy(p, a, la);
	p[la] = '/';
	memcpy(p + la + 1, b, lb);
	return p;
}

void h_remove_tree(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;

	if (lstat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	d = opendir(path);
	if (d) {
		while ((e = readdir(d)) != NULL) {
			char *child;

			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			child = path_join(path, e->d_name);
			h_remove_tree(child);
			free(child);
		}
		closedir(d);
	}
	rmdir(path);
}

static void response_free(struct h_response *r)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++)
		free(r->headers[i]);
	free(r->headers);
	free(r->body);
	free(r);
}

void h_teardown(void)
{
	size_t i;

	/* Servers first (they may hold files in the temporary directories), newest first. */
	for (i = nowned; i-- > 0;) {
		struct owned *o = &owned[i];

		switch (o->kind) {
		case OWN_SERVER: {
			struct h_server *s = o->p;

			kill_and_reap(s);
			if (s->out_fd >= 0)
				close(s->out_fd);
			if (s->err_fd >= 0)
				close(s->err_fd);
			free(s->ready_line);
			free(s);
			break;
		}
		case OWN_FD:
			close(o->fd);
			break;
		case OWN_CLIENT:
			curl_easy_cleanup(o->p);
			break;
		case OWN_RESPONSE:
			response_free(o->p);
			break;
		case OWN_RAW: {
			struct h_raw *r = o->p;

			free(r->data);
			free(r);
			break;
		}
		case OWN_RUN: {
			struct h_run *r = o->p;

			free(r->out);
			free(r->err);
			free(r);
			break;
		}
		case OWN_MEM:
		case OWN_TMPDIR:
			break;
		}
	}
	for (i = nowned; i-- > 0;) {
		if (owned[i].kind == OWN_TMPDIR)
			h_remove_tree(owned[i].p);
		if (owned[i].kind == OWN_TMPDIR || owned[i].kind == OWN_MEM)
			free(owned[i].p);
	}
	free(owned);
	owned = NULL;
	nowned = owned_alloc = 0;
	curl_global_cleanup();
}

/* ---- environment and fixtures ---------------------------------------------------------- */

const char *h_env(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v)
		cr_assert_fail("%s is not set: run the tests through `meson test`", name);
	return v;
}

const char *h_fixture(const char *rel)
{
	return h_fmt("%s/integration/%s", h_env("CANNERY_FIXTURES"), rel);
}

/* ---- processes ------------------------------------------------------------------------- */

/* An unlinked temporary file, open read-write: a child's stdout or stderr. The parent only
 * ever reads it with pread(), so the child's file offset (shared through dup2) stays at the
 * end and nothing it writes is overwritten. */
static int tmp_fd(void)
{
	const char *dir = getenv("TMPDIR");
	char *path = path_join(dir && *dir ? dir : "/tmp", "cannery-it-XXXXXX");
	int fd = mkstemp(path);

	if (fd < 0)
		cr_assert_fail("mkstemp %s: %s", path, strerror(errno));
	unlink(path);
	free(path);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

static char *read_all_fd(int fd)
{
	struct buf b = { 0 };
	char chunk[65536];
	off_t off = 0;
	ssize_t n;

	while ((n = pread(fd, chunk, sizeof(chunk), off)) > 0) {
		buf_add(&b, chunk, (size_t)n);
		off += n;
	}
	return buf_detach(&b);
}

static bool is_cannery_var(const char *entry)
{
	return strncmp(entry, "CANNERY_", 8) == 0;
}

/* Forks and execs CANNERY_BIN with sp's arguments, environment and directory; the child's
 * stdout and stderr go to out_fd and err_fd. Returns the child's pid. */
static pid_t spawn(const struct h_spawn *sp, int out_fd, int err_fd)
{
	const char *bin = h_env("CANNERY_BIN");
	const char **argv, **envp;
	size_t nargs = 0, nenv = 0, nextra = 0, i, j;
	pid_t parent = getpid(), pid;

	while (sp->args && sp->args[nargs])
		nargs++;
	while (environ[nenv])
		nenv++;
	while (sp->env && sp->env[nextra])
		nextra++;
	argv = xcalloc(nargs + 2, sizeof(*argv));
	argv[0] = bin;
	for (i = 0; i < nargs; i++)
		argv[i + 1] = sp->args[i];
	envp = xcalloc(nenv + nextra + 1, sizeof(*envp));
	for (i = j = 0; i < nenv; i++)
		if (!is_cannery_var(environ[i]))
			envp[j++] = environ[i];
	for (i = 0; i < nextra; i++)
		envp[j++] = sp->env[i];

	pid = fork();
	if (pid < 0)
		cr_assert_fail("fork: %s", strerror(errno));
	if (pid == 0) {
		sigset_t none;
		int devnull = open("/dev/null", O_RDONLY);
		int sig;

		/* The server must not outlive a test process that crashes or is killed. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		/* Signal dispositions set to ignore survive exec: give the server a clean slate. */
		for (sig = 1; sig < 32; sig++)
			if (sig != SIGKILL && sig != SIGSTOP)
				signal(sig, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(out_fd, 1);
		dup2(err_fd, 2);
		if (sp->cwd && chdir(sp->cwd) != 0) {
			dprintf(2, "harness: chdir %s: %s\n", sp->cwd, strerror(errno));
			_exit(127);
		}
#ifdef SYS_close_range
		if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0)
#endif
		{
			int fd;

			for (fd = 3; fd < 4096; fd++)
				close(fd);
		}
		execve(bin, (char *const *)argv, (char *const *)envp);
		dprintf(2, "harness: exec %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	free(argv);
	free(envp);
	return pid;
}

static int decode_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

/* Waits for pid until deadline (monotonic ms). Returns the decoded status, or -1. */
static int wait_until(pid_t pid, int64_t deadline)
{
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return decode_status(status);
		if (r < 0 && errno != EINTR)
			return -1;
		if (h_now_ms() >= deadline)
			return -1;
		h_nap_ms(2);
	}
}

struct h_run *h_run(const struct h_spawn *sp)
{
	struct h_run *r = xcalloc(1, sizeof(*r));
	int out = tmp_fd(), err = tmp_fd();
	pid_t pid = spawn(sp, out, err);
	int code = wait_until(pid, h_now_ms() + H_DEADLINE_MS);

	if (code < 0) {
		int status;

		r->timed_out = true;
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
		code = decode_status(status);
	}
	r->exit_code = code;
	r->out = read_all_fd(out);
	r->err = read_all_fd(err);
	close(out);
	close(err);
	own(OWN_RUN, r, -1);
	return r;
}

/* Collects a NULL-terminated list of strings after first into a harness-owned array. */
static const char **collect_args(const char *const *prefix, size_t nprefix, const char *first, va_list ap)
{
	size_t n = nprefix, alloc = nprefix + 8;
	const char **v = xcalloc(alloc, sizeof(*v));
	const char *a;

	if (nprefix)
		memcpy(v, prefix, nprefix * sizeof(*v));
	for (a = first; a; a = va_arg(ap, const char *)) {
		if (n + 1 >= alloc) {
			alloc *= 2;
			v = realloc(v, alloc * sizeof(*v));
			if (!v)
				abort();
		}
		v[n++] = a;
	}
	v[n] = NULL;
	own(OWN_MEM, v, -1);
	return v;
}

struct h_run *h_runv(const char *first, ...)
{
	struct h_spawn sp = { 0 };
	va_list ap;

	va_start(ap, first);
	sp.args = collect_args(NULL, 0, first, ap);
	va_end(ap);
	return h_run(&sp);
}

/* Reads the ready line from the child's stdout pipe. Returns it (caller frees) or NULL
 * when the pipe closed or the deadline passed first; *eof tells which. */
static char *read_line(int fd, int64_t deadline, bool *eof, struct buf *seen)
{
	*eof = false;
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		int64_t left = deadline - h_now_ms();
		char c;
		ssize_t n;

		if (left <= 0)
			return NULL;
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		/* One byte at a time: whatever follows the ready line stays in the pipe. */
		n = read(fd, &c, 1);
		if (n == 0) {
			*eof = true;
			return NULL;
		}
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			*eof = true;
			return NULL;
		}
		if (c == '\n')
			return xstrndup(seen->data ? seen->data : "", seen->len);
		buf_add(seen, &c, 1);
	}
}

/* Lenient parse of "cannery: serving N stubs on http://HOST:PORT" (or of record's
 * "cannery: recording UPSTREAM on http://HOST:PORT", with nstubs 0); test_cli checks the
 * exact form, everything else only needs the numbers. */
static bool parse_ready(struct h_server *s, const char *line)
{
	const char *p = strstr(line, "serving "), *url, *colon;
	char *end;
	long v;
	size_t hl;
	bool tls;

	if (!p && strncmp(line, "cannery: recording ", 19) != 0)
		return false;
	v = 0;
	if (p) {
		v = strtol(p + 8, &end, 10);
		if (end == p + 8 || v < 0)
			return false;
	}
	s->nstubs = (int)v;
	url = strstr(line, " on http://");
	tls = !url;
	if (tls)
		url = strstr(line, " on https://");
	if (!url)
		return false;
	url += tls ? 12 : 11;
	colon = strrchr(url, ':');
	if (!colon)
		return false;
	hl = (size_t)(colon - url);
	if (hl == 0 || hl >= sizeof(s->host))
		return false;
	memcpy(s->host, url, hl);
	s->host[hl] = '\0';
	v = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || *end || v <= 0 || v > 65535)
		return false;
	s->port = (int)v;
	snprintf(s->url, sizeof(s->url), "%s://127.0.0.1:%d", tls ? "https" : "http", s->port);
	return true;
}

struct h_server *h_server_spawn(const struct h_spawn *sp)
{
	struct h_server *s = xcalloc(1, sizeof(*s));
	struct buf seen = { 0 };
	int pipefd[2];
	bool eof;
	char *line;

	if (pipe(pipefd) != 0)
		cr_assert_fail("pipe: %s", strerror(errno));
	fcntl(pipefd[0], F_SETFD, FD_CLOEXEC);
	fcntl(pipefd[1], F_SETFD, FD_CLOEXEC);
	s->err_fd = tmp_fd();
	s->out_fd = pipefd[0];
	s->pid = spawn(sp, pipefd[1], s->err_fd);
	close(pipefd[1]);
	own(OWN_SERVER, s, -1);

	line = read_line(s->out_fd, h_now_ms() + H_DEADLINE_MS, &eof, &seen);
	if (!line) {
		char *out = buf_detach(&seen), *err;
		int code;

		if (eof) {
			code = wait_until(s->pid, h_now_ms() + H_DEADLINE_MS);
			if (code >= 0) {
				s->reaped = true;
				s->exit_code = code;
			}
		} else {
			kill_and_reap(s);
			code = -1;
		}
		err = read_all_fd(s->err_fd);
		own(OWN_MEM, out, -1);
		own(OWN_MEM, err, -1);
		if (eof)
			cr_assert_fail("the server exited (code %d) before printing its ready line\n"
				       "stdout: %s\nstderr: %s", code, out, err);
		cr_assert_fail("no ready line within %d ms\nstdout so far: %s\nstderr: %s",
			       H_DEADLINE_MS, out, err);
	}
	free(buf_detach(&seen));
	s->ready_line = line;
	if (!parse_ready(s, line))
		cr_assert_fail("cannot parse the ready line '%s'\nstderr: %s", line, h_server_stderr(s));
	return s;
}

struct h_server *h_serve(const char *dir, ...)
{
	static const char *const fixed[] = { "serve", NULL, "--port", "0" };
	const char *prefix[4];
	struct h_spawn sp = { 0 };
	va_list ap;

	memcpy(prefix, fixed, sizeof(prefix));
	prefix[1] = dir;
	va_start(ap, dir);
	sp.args = collect_args(prefix, 4, va_arg(ap, const char *), ap);
	va_end(ap);
	return h_server_spawn(&sp);
}

struct h_server *h_server_spawnv(const char *first, ...)
{
	struct h_spawn sp = { 0 };
	va_list ap;

	va_start(ap, first);
	sp.args = collect_args(NULL, 0, first, ap);
	va_end(ap);
	return h_server_spawn(&sp);
}

void h_server_signal(struct h_server *s, int sig)
{
	cr_assert(!s->reaped, "cannot send signal %d: the server already exited (%d)", sig, s->exit_code);
	if (kill(s->pid, sig) != 0)
		cr_assert_fail("kill %d: %s", (int)s->pid, strerror(errno));
}

int h_server_wait(struct h_server *s, int timeout_ms)
{
	int code;

	if (s->reaped)
		return s->exit_code;
	code = wait_until(s->pid, h_now_ms() + timeout_ms);
	if (code >= 0) {
		s->reaped = true;
		s->exit_code = code;
	}
	return code;
}

int h_server_stop(struct h_server *s)
{
	if (s->reaped)
		return s->exit_code;
	kill(s->pid, SIGTERM);
	if (h_server_wait(s, H_DEADLINE_MS) < 0)
		kill_and_reap(s);
	return s->exit_code;
}

void h_server_stop_ok(struct h_server *s)
{
	bool was_reaped = s->reaped;
	int code = h_server_stop(s);

	cr_assert(!was_reaped, "the server had already exited with %d\nstderr:\n%s", code, h_server_stderr(s));
	cr_assert(code == 0, "the server exited with %d on SIGTERM, expected 0%s\nstderr:\n%s", code,
		  code == 128 + SIGKILL ? " (it did not stop in time and was killed)" : "",
		  h_server_stderr(s));
}

char *h_server_stderr(const struct h_server *s)
{
	char *p = read_all_fd(s->err_fd);

	own(OWN_MEM, p, -1);
	return p;
}

size_t h_count_lines(const char *text, const char *needle)
{
	size_t n = 0;
	const char *line = text;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char *copy = xstrndup(line, len);

		if (strstr(copy, needle))
			n++;
		free(copy);
		line = nl ? nl + 1 : NULL;
	}
	return n;
}

/* The first line of text containing every needle, copied, or NULL. */
static char *find_line(const char *text, const char *const *needles)
{
	const char *line = text;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line), i;
		char *copy = xstrndup(line, len);
		bool all = true;

		for (i = 0; needles[i]; i++)
			if (!strstr(copy, needles[i]))
				all = false;
		/* A line still being written has no newline yet: wait for the rest. */
		if (all && nl)
			return copy;
		free(copy);
		line = nl ? nl + 1 : NULL;
	}
	return NULL;
}

char *h_server_wait_log(const struct h_server *s, const char *needle, ...)
{
	const char *needles[16];
	size_t n = 0;
	va_list ap;
	int64_t deadline = h_now_ms() + H_DEADLINE_MS;

	va_start(ap, needle);
	for (const char *a = needle; a && n < 15; a = va_arg(ap, const char *))
		needles[n++] = a;
	va_end(ap);
	needles[n] = NULL;
	for (;;) {
		char *text = read_all_fd(s->err_fd);
		char *line = find_line(text, needles);

		free(text);
		if (line) {
			own(OWN_MEM, line, -1);
			return line;
		}
		if (h_now_ms() >= deadline)
			return NULL;
		h_nap_ms(5);
	}
}

/* ---- HTTP over libcurl ----------------------------------------------------------------- */

struct h_client {
	CURL *easy;
};

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
	buf_add(userp, data, size * n);
	return size * n;
}

struct header_sink {
	char **lines;
	size_t n, alloc;
};

static size_t on_header(char *data, size_t size, size_t n, void *userp)
{
	struct header_sink *h = userp;
	size_t len = size * n, i;

	/* A new status line starts a new response (after 100 Continue): keep only the last. */
	if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		for (i = 0; i < h->n; i++)
			free(h->lines[i]);
		h->n = 0;
		return len;
	}
	while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	if (!len)
		return size * n;
	if (h->n == h->alloc) {
		h->alloc = h->alloc ? h->alloc * 2 : 16;
		h->lines = realloc(h->lines, h->alloc * sizeof(*h->lines));
		if (!h->lines)
			abort();
	}
	h->lines[h->n++] = xstrndup(data, len);
	return size * n;
}

struct h_client *h_client_create(void)
{
	struct h_client *c = xcalloc(1, sizeof(*c));

	c->easy = curl_easy_init();
	cr_assert(c->easy, "curl_easy_init failed");
	own(OWN_CLIENT, c->easy, -1);
	own(OWN_MEM, c, -1);
	return c;
}

struct h_response *h_client_request(struct h_client *c, const struct h_server *s, const char *method,
				    const char *path, const char *body, size_t body_len,
				    const char *const *headers)
{
	struct h_response *r = xcalloc(1, sizeof(*r));
	struct buf b = { 0 };
	struct header_sink hs = { 0 };
	struct curl_slist *list = NULL;
	CURL *e = c->easy;
	char *url = concat(s->url, path);
	CURLcode rc;
	size_t i;

	own(OWN_RESPONSE, r, -1);
	curl_easy_reset(e);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)H_DEADLINE_MS);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, &hs);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->error);
	if (s->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, s->ca_file);
	if (body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	}
	if (method && strcmp(method, "HEAD") == 0)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	else if (method)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	for (i = 0; headers && headers[i]; i++)
		list = curl_slist_append(list, headers[i]);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, list);

	rc = curl_easy_perform(e);
	r->curl_code = (int)rc;
	if (rc == CURLE_OK) {
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status);
		curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &r->num_connects);
		curl_easy_getinfo(e, CURLINFO_HTTP_VERSION, &r->http_version);
	} else if (!r->error[0]) {
		snprintf(r->error, sizeof(r->error), "%s", curl_easy_strerror(rc));
	}
	/* The error buffer must not outlive this call as far as curl is concerned. */
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(list);
	free(url);
	if (!b.data)
		buf_add(&b, "", 0);
	r->body_len = b.len;
	r->body = buf_detach(&b);
	r->headers = hs.lines;
	r->nheaders = hs.n;
	return r;
}

struct h_response *h_request(const struct h_server *s, const char *method, const char *path,
			     const char *body, const char *const *headers)
{
	struct h_client *c = h_client_create();

	return h_client_request(c, s, method, path, body, body ? strlen(body) : 0, headers);
}

struct h_response *h_get(const struct h_server *s, const char *path)
{
	return h_request(s, NULL, path, NULL, NULL);
}

struct h_response *h_get_h(const struct h_server *s, const char *path, const char *header)
{
	const char *headers[] = { header, NULL };

	return h_request(s, NULL, path, NULL, headers);
}

bool h_poll_get(const struct h_server *s, const char *path, long want_status, const char *want_body,
		struct h_response **last)
{
	int64_t deadline = h_now_ms() + H_DEADLINE_MS;
	struct h_response *r;

	for (;;) {
		r = h_get(s, path);
		if (last)
			*last = r;
		if (r->status == want_status && strcmp(r->body, want_body) == 0)
			return true;
		if (h_now_ms() >= deadline)
			return false;
		h_nap_ms(10);
	}
}

const char *h_header_nth(const struct h_response *r, const char *name, size_t nth)
{
	size_t len = strlen(name), i;

	for (i = 0; i < r->nheaders; i++) {
		const char *line = r->headers[i], *v;

		if (strncasecmp(line, name, len) != 0 || line[len] != ':')
			continue;
		if (nth-- > 0)
			continue;
		v = line + len + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		return v;
	}
	return NULL;
}

const char *h_header(const struct h_response *r, const char *name)
{
	return h_header_nth(r, name, 0);
}

size_t h_header_count(const struct h_response *r, const char *name)
{
	size_t n = 0;

	while (h_header_nth(r, name, n))
		n++;
	return n;
}

void h_assert_response_(const struct h_response *r, const char *method, const char *what,
			long want_status, const char *want_body, const char *file, int line)
{
	if (r->curl_code != 0)
		cr_assert_fail("%s:%d: %s %s: transfer failed: %s", file, line, method, what, r->error);
	if (r->status != want_status)
		cr_assert_fail("%s:%d: %s %s: status %ld, expected %ld; body: %s", file, line, method, what,
			       r->status, want_status, r->body);
	if (want_body && (r->body_len != strlen(want_body) || memcmp(r->body, want_body, r->body_len) != 0))
		cr_assert_fail("%s:%d: %s %s: body\n  got:      '%s'\n  expected: '%s'", file, line, method,
			       what, r->body, want_body);
}

/* ---- raw sockets ----------------------------------------------------------------------- */

int h_connect_raw(const struct h_server *s)
{
	struct sockaddr_in a = { 0 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)s->port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

void h_close_reset(int fd)
{
	struct linger lg = { 1, 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

bool h_send_all(int fd, const char *data, size_t len, int timeout_ms)
{
	int64_t deadline = h_now_ms() + timeout_ms;
	size_t sent = 0;

	while (sent < len && h_now_ms() < deadline) {
		struct pollfd p = { fd, POLLOUT, 0 };
		ssize_t w;

		if (poll(&p, 1, 100) <= 0)
			continue;
		if (p.revents & (POLLERR | POLLHUP))
			return false;
		w = send(fd, data + sent, len - sent, MSG_NOSIGNAL);
		if (w > 0)
			sent += (size_t)w;
		else if (w < 0 && errno != EAGAIN && errno != EINTR)
			return false;
	}
	return sent == len;
}

bool h_read_until(int fd, const char *needle, int timeout_ms, char *buf, size_t size)
{
	int64_t deadline = h_now_ms() + timeout_ms;
	char own_buf[4096];
	size_t len = 0;

	if (!buf) {
		buf = own_buf;
		size = sizeof(own_buf);
	}
	buf[0] = '\0';
	while (h_now_ms() < deadline && len < size - 1) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, 50) <= 0)
			continue;
		n = recv(fd, buf + len, size - 1 - len, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return false;
		if (n < 0)
			continue;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, needle))
			return true;
	}
	return false;
}

int h_connect(const struct h_server *s)
{
	struct sockaddr_in a = { 0 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert(fd >= 0, "socket: %s", strerror(errno));
	own(OWN_FD, NULL, fd);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)s->port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		cr_assert_fail("connect to port %d: %s", s->port, strerror(errno));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

bool h_wait_port_closed(const struct h_server *s)
{
	int64_t deadline = h_now_ms() + H_DEADLINE_MS;
	struct sockaddr_in a = { 0 };

	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)s->port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (;;) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int rc, err;

		if (fd < 0)
			return false;
		rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
		err = errno;
		close(fd);
		if (rc != 0 && err == ECONNREFUSED)
			return true;
		if (h_now_ms() >= deadline)
			return false;
		h_nap_ms(2);
	}
}

/* The receive queue of the server's end of the connection from client_port, or -1. */
static long server_rx_queue(int server_port, int client_port)
{
	FILE *f = fopen("/proc/net/tcp", "r");
	char line[512];
	long found = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned laddr, lport, raddr, rport, st;
		unsigned long txq, rxq;

		if (sscanf(line, " %*d: %8x:%4x %8x:%4x %2x %8lx:%8lx", &laddr, &lport, &raddr, &rport, &st, &txq,
			   &rxq) != 7)
			continue;
		if ((int)lport == server_port && (int)rport == client_port) {
			found = (long)rxq;
			break;
		}
	}
	fclose(f);
	return found;
}

bool h_wait_server_read(const struct h_server *s, int fd)
{
	int64_t deadline = h_now_ms() + H_DEADLINE_MS;
	struct sockaddr_in a = { 0 };
	socklen_t alen = sizeof(a);

	if (getsockname(fd, (struct sockaddr *)&a, &alen) != 0)
		return false;
	for (;;) {
		long q = server_rx_queue(s->port, ntohs(a.sin_port));

		if (q == 0)
			return true;
		if (q < 0 || h_now_ms() >= deadline)
			return false;
		h_nap_ms(1);
	}
}

void h_close(int fd)
{
	size_t i;

	pthread_mutex_lock(&owned_lock);
	for (i = 0; i < nowned; i++) {
		if (owned[i].kind == OWN_FD && owned[i].fd == fd) {
			/* Forget it, so teardown cannot close a number reused since. */
			owned[i].kind = OWN_MEM;
			owned[i].p = NULL;
			close(fd);
			break;
		}
	}
	pthread_mutex_unlock(&owned_lock);
}

static const char *find_mem(const char *hay, size_t hlen, const char *needle)
{
	size_t nlen = strlen(needle), i;

	if (nlen > hlen)
		return NULL;
	for (i = 0; i + nlen <= hlen; i++)
		if (memcmp(hay + i, needle, nlen) == 0)
			return hay + i;
	return NULL;
}

/* The value of header name in the header block [p, end), or NULL. */
static const char *raw_header(const char *p, const char *end, const char *name, size_t *vlen)
{
	size_t nlen = strlen(name);

	while (p < end) {
		const char *eol = find_mem(p, (size_t)(end - p), "\r\n");

		if (!eol)
			eol = end;
		if ((size_t)(eol - p) > nlen && strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
			const char *v = p + nlen + 1;

			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			*vlen = (size_t)(eol - v);
			return v;
		}
		p = eol + 2;
	}
	return NULL;
}

/* Looks at what was read: counts complete responses (skipping 1xx) and records the first
 * final status. Returns true once a final response is complete. */
static bool raw_scan(struct h_raw *r)
{
	const char *p = r->data, *end = r->data + r->len;

	r->ncomplete = 0;
	while (p < end) {
		const char *hend = find_mem(p, (size_t)(end - p), "\r\n\r\n"), *v;
		int status = 0;
		size_t vlen;

		if (!hend || (size_t)(end - p) < 12 || memcmp(p, "HTTP/", 5) != 0)
			return false;
		if (p[8] == ' ' && p[9] >= '1' && p[9] <= '5' && p[10] >= '0' && p[10] <= '9' && p[11] >= '0' && p[11] <= '9')
			status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
		hend += 4;
		if (status >= 100 && status < 200) {
			p = hend;
			continue;
		}
		if (!r->status)
			r->status = status;
		if (status == 204 || status == 304) {
			r->ncomplete++;
			return true;
		}
		v = raw_header(p, hend, "Content-Length", &vlen);
		if (v) {
			size_t want = (size_t)strtoull(v, NULL, 10);

			if ((size_t)(end - hend) < want)
				return false;
			r->ncomplete++;
			return true;
		}
		v = raw_header(p, hend, "Transfer-Encoding", &vlen);
		if (v) {
			if (!find_mem(hend - 2, (size_t)(end - hend + 2), "\r\n0\r\n\r\n"))
				return false;
			r->ncomplete++;
			return true;
		}
		/* No framing: the body runs to the close. */
		return false;
	}
	return false;
}

struct h_raw *h_sock_exchange(int fd, const void *data, size_t len, enum h_raw_until until, int timeout_ms)
{
	struct h_raw *r = xcalloc(1, sizeof(*r));
	struct buf b = { 0 };
	const char *out = data;
	size_t sent = 0;
	/* timeout_ms bounds the reading; the sending always gets the full deadline, so a
	 * short timeout (used to just send) never leaves the request half-sent. */
	int64_t deadline = h_now_ms() + timeout_ms, send_deadline = h_now_ms() + H_DEADLINE_MS;

	own(OWN_RAW, r, -1);
	buf_add(&b, "", 0);
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		int64_t left = (sent < len ? send_deadline : deadline) - h_now_ms();
		char chunk[16384];
		ssize_t n;

		if (left <= 0) {
			r->timed_out = true;
			break;
		}
		if (sent < len)
			p.events |= POLLOUT;
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(fd, chunk, sizeof(chunk), 0);
			if (n > 0) {
				buf_add(&b, chunk, (size_t)n);
				r->data = b.data;
				r->len = b.len;
				if (until == H_UNTIL_RESPONSE && raw_scan(r))
					break;
				continue;
			}
			if (n == 0) {
				r->closed = true;
				break;
			}
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			r->closed = true;
			r->reset = errno == ECONNRESET;
			break;
		}
		if (p.revents & POLLOUT) {
			n = send(fd, out + sent, len - sent, MSG_NOSIGNAL);
			if (n > 0)
				sent += (size_t)n;
			else if (n < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
				sent = len; /* the peer is gone: just read what it said */
		}
	}
	r->data = b.data;
	r->len = b.len;
	b.data = NULL;
	raw_scan(r);
	return r;
}

struct h_raw *h_raw(const struct h_server *s, const void *data, size_t len, enum h_raw_until until)
{
	return h_sock_exchange(h_connect(s), data, len, until, H_DEADLINE_MS);
}

struct h_raw *h_raw_str(const struct h_server *s, const char *request)
{
	return h_raw(s, request, strlen(request), H_UNTIL_RESPONSE);
}

/* ---- files ----------------------------------------------------------------------------- */

const char *h_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *tmpl = path_join(base && *base ? base : "/tmp", "cannery-it-XXXXXX");
	char *real;

	if (!mkdtemp(tmpl))
		cr_assert_fail("mkdtemp %s: %s", tmpl, strerror(errno));
	/* Resolved, so paths the server prints compare equal to ours. */
	real = realpath(tmpl, NULL);
	if (real) {
		free(tmpl);
		tmpl = real;
	}
	own(OWN_TMPDIR, tmpl, -1);
	return tmpl;
}

static void mkdir_p(char *path)
{
	char *p;

	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			cr_assert_fail("mkdir %s: %s", path, strerror(errno));
		*p = '/';
	}
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		cr_assert_fail("mkdir %s: %s", path, strerror(errno));
}

void h_write_file(const char *dir, const char *rel, const char *contents)
{
	char *path = path_join(dir, rel), *slash = strrchr(path, '/'), *parent, *tmp;
	size_t len = strlen(contents);
	FILE *f;

	parent = xstrndup(path, (size_t)(slash - path));
	mkdir_p(parent);
	/* A dot name: the loader skips it even if it looks while we write. */
	tmp = h_fmt("%s/.h-write-%s", parent, slash + 1);
	f = fopen(tmp, "wb");
	if (!f)
		cr_assert_fail("open %s: %s", tmp, strerror(errno));
	if (fwrite(contents, 1, len, f) != len || fclose(f) != 0)
		cr_assert_fail("write %s: %s", tmp, strerror(errno));
	if (rename(tmp, path) != 0)
		cr_assert_fail("rename %s: %s", path, strerror(errno));
	free(parent);
	free(path);
}

const char *h_stub_dir(const char *first, ...)
{
	const char *dir = h_tmpdir(), *name;
	va_list ap;

	va_start(ap, first);
	for (name = first; name; name = va_arg(ap, const char *)) {
		const char *contents = va_arg(ap, const char *);

		cr_assert(contents, "h_stub_dir: '%s' has no contents", name);
		h_write_file(dir, name, contents);
	}
	va_end(ap);
	return dir;
}

int h_listen_any(int *port)
{
	struct sockaddr_in a = { 0 };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert(fd >= 0, "socket: %s", strerror(errno));
	own(OWN_FD, NULL, fd);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 8) != 0)
		cr_assert_fail("bind/listen: %s", strerror(errno));
	getsockname(fd, (struct sockaddr *)&a, &alen);
	*port = ntohs(a.sin_port);
	return fd;
}

/* ---- readers that hammer a stub while its file changes ---- */

void *h_read_versions(void *arg)
{
	struct h_version_reader *rd = arg;
	struct h_client *c = h_client_create();

	while (!atomic_load(rd->stop)) {
		struct h_response *v = h_client_request(c, rd->s, NULL, "/v", NULL, 0, NULL);
		struct h_response *w = h_client_request(c, rd->s, NULL, "/w", NULL, 0, NULL);
		int version = -1;
		bool v_ok = v->status == 200 ? sscanf(v->body, "v%d", &version) == 1 : (rd->allow_404 && v->status == 404);

		rd->requests += 2;
		if (rd->monotonic && version < rd->last)
			v_ok = false;
		if (!v_ok || w->status != 200 || strcmp(w->body, "w") != 0) {
			if (rd->failures++ == 0)
				snprintf(rd->first, sizeof(rd->first),
					 "/v %ld '%.80s' after v%d (%.100s); /w %ld '%.80s' (%.100s)", v->status, v->body,
					 rd->last, v->error, w->status, w->body, w->error);
		} else if (version > rd->last) {
			rd->last = version;
		}
	}
	return NULL;
}

const char *h_version_yaml(int v)
{
	return h_fmt("name: version\nrequest: { method: GET, path: /v }\nresponse: { body: v%d }\n", v);
}

const char *h_version_dir(void)
{
	return h_stub_dir("v.yaml", h_version_yaml(0), "w.yaml", "name: other\nrequest: { path: /w }\nresponse: { body: w }\n",
			  NULL);
}

void h_readers_start(struct h_readers *r, int n, struct h_version_reader how)
{
	cr_assert(n > 0 && n <= 16);
	r->n = n;
	atomic_init(&r->stop, false);
	for (int i = 0; i < n; i++) {
		r->rd[i] = (struct h_version_reader){ .s = how.s, .stop = &r->stop, .monotonic = how.monotonic,
						      .allow_404 = how.allow_404 };
		cr_assert_eq(pthread_create(&r->t[i], NULL, h_read_versions, &r->rd[i]), 0);
	}
}

int h_readers_stop(struct h_readers *r)
{
	int total = 0;
	atomic_store(&r->stop, true);
	for (int i = 0; i < r->n; i++) {
		pthread_join(r->t[i], NULL);
		cr_expect_eq(r->rd[i].failures, 0, "reader %d: %d of %d wrong; first: %s", i, r->rd[i].failures,
			     r->rd[i].requests, r->rd[i].first);
		cr_expect_gt(r->rd[i].requests, 0, "reader %d made no request", i);
		total += r->rd[i].requests;
	}
	return total;
}

void h_write_filled(const char *dir, const char *rel, size_t size, char c)
{
	char *contents = malloc(size + 1);

	cr_assert(contents);
	memset(contents, c, size);
	contents[size] = '\0';
	h_write_file(dir, rel, contents);
	free(contents);
}
