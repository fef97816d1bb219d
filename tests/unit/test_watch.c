/* SPDX-License-Identifier: MIT */
/* Unit tests for watch: what counts as a change, new and moved directories, tracked files,
 * a DIR that disappears, queue overflow, and stopping. Every wait polls with a deadline;
 * nothing here depends on the machine's speed beyond "well under 10 s". */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "watch.h"

#define DEADLINE_MS 10000

static const char *root;

static void setup(void)
{
	root = tmpdir_create("watch");
}

static void teardown(void)
{
	tmpdir_leave();
}

TestSuite(watch, .init = setup, .fini = teardown);

/* root/rel, in a static ring so that a test can hold a few at once */
static const char *at(const char *rel)
{
	static char ring[8][512];
	static int next;
	char *p = ring[next++ % 8];
	snprintf(p, 512, "%s/%s", root, rel);
	return p;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* ---- a callback that counts, and can be held ---- */

struct calls {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int n;
	bool hold;               /* the callback waits while this is true */
	bool held;               /* the callback is waiting */
};

static struct calls calls = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, false, false };

static void on_change(void *arg)
{
	struct calls *c = arg;
	pthread_mutex_lock(&c->lock);
	c->n++;
	c->held = c->hold;
	pthread_cond_broadcast(&c->cond);
	while (c->hold)
		pthread_cond_wait(&c->cond, &c->lock);
	c->held = false;
	pthread_mutex_unlock(&c->lock);
}

static int ncalls(void)
{
	pthread_mutex_lock(&calls.lock);
	int n = calls.n;
	pthread_mutex_unlock(&calls.lock);
	return n;
}

/* Waits until the callback has run at least n times in all. */
static bool wait_calls(int n)
{
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += DEADLINE_MS / 1000;
	pthread_mutex_lock(&calls.lock);
	while (calls.n < n)
		if (pthread_cond_timedwait(&calls.cond, &calls.lock, &deadline) != 0)
			break;
	bool ok = calls.n >= n;
	pthread_mutex_unlock(&calls.lock);
	return ok;
}

static struct watch *watch_dirs(const char *const *dirs, size_t n)
{
	struct watch *w = NULL;
	char *error = NULL;
	int rc = watch_create(dirs, n, -1, &w, &error);
	cr_assert_eq(rc, 0, "watch_create: %s", error ? error : "?");
	cr_assert_eq(watch_start(w, on_change, &calls), 0);
	return w;
}

static struct watch *watch_tree(void)
{
	const char *dirs[] = { at("t") };
	return watch_dirs(dirs, 1);
}

/* ---- what counts ---- */

Test(watch, droppings)
{
	static const char *const drop[] = {
		".a.yaml.swp", ".a.yaml.swx", ".#a.yaml", ".hidden.yaml", "a.yaml~", "#a.yaml#",
		"4913", "a.yaml.tmp", "A.TMP", "a.temp", "a.yaml___jb_tmp___", "a.yaml___jb_old___",
	};
	static const char *const keep[] = {
		"a.yaml", "a.yml", "body.json", "4914", "x", "a#", "#", "tmp", "a.tmpl", "a~b.yaml", "a.yaml.bak",
	};
	for (size_t i = 0; i < sizeof(drop) / sizeof(*drop); i++)
		cr_expect(watch_is_dropping(drop[i]), "'%s' should be a dropping", drop[i]);
	for (size_t i = 0; i < sizeof(keep) / sizeof(*keep); i++)
		cr_expect(!watch_is_dropping(keep[i]), "'%s' should count", keep[i]);
}

Test(watch, a_write_calls_back)
{
	make_dir(at("t"));
	put(at("t/a.yaml"), "a: 1\n");
	struct watch *w = watch_tree();
	cr_expect_eq(ncalls(), 0, "no change yet");
	put(at("t/a.yaml"), "a: 2\n");
	cr_assert(wait_calls(1), "no callback after a write");
	watch_destroy(w);
}

Test(watch, create_rename_delete)
{
	make_dir(at("t"));
	struct watch *w = watch_tree();
	int n = 0;
	put(at("t/new.yaml"), "a: 1\n");
	cr_assert(wait_calls(++n), "create");
	n = ncalls();
	cr_assert_eq(rename(at("t/new.yaml"), at("t/renamed.yaml")), 0);
	cr_assert(wait_calls(++n), "rename");
	n = ncalls();
	cr_assert_eq(unlink(at("t/renamed.yaml")), 0);
	cr_assert(wait_calls(++n), "delete");
	n = ncalls();
	/* an editor's save: the new text under a temp name, renamed over the file */
	put(at("t/a.yaml.tmp"), "a: 3\n");
	cr_assert_eq(rename(at("t/a.yaml.tmp"), at("t/a.yaml")), 0);
	cr_assert(wait_calls(++n), "temp file renamed into place");
	watch_destroy(w);
}

/* Droppings go first, then one real write: when its callback runs, every dropping event
 * has been read before it, and none of them may have counted. */
Test(watch, droppings_do_not_count)
{
	make_dir(at("t"));
	struct watch *w = watch_tree();
	put(at("t/.a.yaml.swp"), "swap");
	put(at("t/.a.yaml.swx"), "swap");
	put(at("t/a.yaml~"), "backup");
	put(at("t/4913"), "");
	put(at("t/a.yaml.tmp"), "temp");
	put(at("t/#a.yaml#"), "autosave");
	make_dir(at("t/.git"));
	put(at("t/.git/index"), "not watched at all");
	put(at("t/z.yaml"), "z: 1\n");
	cr_assert(wait_calls(1));
	struct watch_stats st = watch_get_stats(w);
	/* z.yaml: IN_CREATE, IN_MODIFY, IN_CLOSE_WRITE */
	cr_expect_leq(st.relevant, 3, "%llu relevant events, only z.yaml's 3 should count",
		      (unsigned long long)st.relevant);
	cr_expect_geq(st.events, 16, "%llu events read", (unsigned long long)st.events);
	watch_destroy(w);
}

Test(watch, bursts_coalesce)
{
	make_dir(at("t"));
	struct watch *w = watch_tree();
	for (int i = 0; i < 30; i++) {
		char rel[32];
		snprintf(rel, sizeof(rel), "t/f%02d.yaml", i);
		put(at(rel), "a: 1\n");
	}
	cr_assert(wait_calls(1));
	/* 90 relevant events; a callback each would be no coalescing at all. Only a machine
	 * stalled for 60 ms between writes again and again could split them this often. */
	struct watch_stats st = watch_get_stats(w);
	cr_expect_leq(st.bursts, 10, "%llu callbacks for 30 quick writes", (unsigned long long)st.bursts);
	watch_destroy(w);
}

/* A file rewritten without pause still gets its callback: the quiet period never comes,
 * WATCH_MAX_WAIT_MS caps the wait. */
Test(watch, endless_writes_still_call_back)
{
	make_dir(at("t"));
	struct watch *w = watch_tree();
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	long elapsed = 0;
	while (ncalls() == 0 && elapsed < DEADLINE_MS) {
		put(at("t/busy.yaml"), "a: 1\n");
		sleep_ms(5);
		clock_gettime(CLOCK_MONOTONIC, &now);
		elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
	}
	cr_expect_gt(ncalls(), 0, "no callback in %ld ms of writes", elapsed);
	watch_destroy(w);
}

/* ---- directories ---- */

Test(watch, new_subdirectories_are_watched)
{
	make_dir(at("t"));
	struct watch *w = watch_tree();
	/* files land before the watcher can add a watch on the new directory */
	make_dir(at("t/a"));
	make_dir(at("t/a/b"));
	make_dir(at("t/a/b/c"));
	put(at("t/a/b/c/deep.yaml"), "a: 1\n");
	cr_assert(wait_calls(1));
	int n = ncalls();
	put(at("t/a/b/c/deep.yaml"), "a: 2\n");
	cr_assert(wait_calls(n + 1), "a change two levels below a new directory went unseen");
	n = ncalls();
	put(at("t/a/b/c/deeper.json"), "{}");
	cr_assert(wait_calls(n + 1), "a new body file went unseen");
	/* a whole tree moved in at once: only a scan can find its subdirectories */
	make_dir(at("out"));
	make_dir(at("out/m"));
	make_dir(at("out/m/n"));
	put(at("out/m/n/x.yaml"), "a: 1\n");
	n = ncalls();
	cr_assert_eq(rename(at("out/m"), at("t/m")), 0);
	cr_assert(wait_calls(n + 1));
	n = ncalls();
	put(at("t/m/n/x.yaml"), "a: 2\n");
	cr_assert(wait_calls(n + 1), "a directory inside a tree moved in went unseen");
	watch_destroy(w);
}

Test(watch, existing_subdirectories_are_watched)
{
	make_dir(at("t"));
	make_dir(at("t/x"));
	make_dir(at("t/x/y"));
	struct watch *w = watch_tree();
	put(at("t/x/y/b.txt"), "body");
	cr_assert(wait_calls(1));
	watch_destroy(w);
}

Test(watch, moved_directories)
{
	make_dir(at("t"));
	make_dir(at("t/sub"));
	make_dir(at("out"));
	struct watch *w = watch_tree();
	cr_assert_eq(rename(at("t/sub"), at("out/sub")), 0);
	cr_assert(wait_calls(1), "moving a directory out is a change");
	struct watch_stats before = watch_get_stats(w);
	/* no longer below the DIR: must not count (z.yaml is the barrier, as above) */
	put(at("out/sub/x.yaml"), "a: 1\n");
	put(at("t/z.yaml"), "a: 1\n");
	cr_assert(wait_calls(2));
	struct watch_stats after = watch_get_stats(w);
	cr_expect_leq(after.relevant - before.relevant, 3, "a directory moved out still counts");
	int n = ncalls();
	cr_assert_eq(rename(at("out/sub"), at("t/back")), 0);
	cr_assert(wait_calls(n + 1), "moving a directory in is a change");
	n = ncalls();
	put(at("t/back/x.yaml"), "a: 2\n");
	cr_assert(wait_calls(n + 1), "a directory moved in is watched");
	watch_destroy(w);
}

Test(watch, dir_deleted_then_recreated)
{
	make_dir(at("t"));
	make_dir(at("t/sub"));
	put(at("t/sub/a.yaml"), "a: 1\n");
	struct watch *w = watch_tree();
	cr_assert_eq(unlink(at("t/sub/a.yaml")), 0);
	cr_assert_eq(rmdir(at("t/sub")), 0);
	cr_assert_eq(rmdir(at("t")), 0);
	cr_assert(wait_calls(1), "removing the DIR is a change");
	int n = ncalls();
	make_dir(at("t"));
	put(at("t/a.yaml"), "a: 1\n");
	cr_assert(wait_calls(n + 1), "the DIR came back");
	n = ncalls();
	put(at("t/a.yaml"), "a: 2\n");
	cr_assert(wait_calls(n + 1), "the DIR is watched again");
	watch_destroy(w);
}

Test(watch, missing_dir_at_start)
{
	struct watch *w = watch_tree();
	make_dir(at("t"));
	cr_assert(wait_calls(1), "a DIR that appears later is found");
	watch_destroy(w);
}

Test(watch, several_dirs)
{
	make_dir(at("one"));
	make_dir(at("two/"));
	const char *dirs[] = { at("one"), at("two/") };
	struct watch *w = watch_dirs(dirs, 2);
	put(at("two/b.yaml"), "a: 1\n");
	cr_assert(wait_calls(1));
	int n = ncalls();
	put(at("one/a.yaml"), "a: 1\n");
	cr_assert(wait_calls(n + 1));
	watch_destroy(w);
}

/* ---- tracked files ---- */

Test(watch, tracked_files_outside_the_trees)
{
	make_dir(at("t"));
	make_dir(at("t/.data"));
	make_dir(at("shared"));
	put(at("t/body.tmp"), "a dropping's name, but a body");
	put(at("t/.data/b.json"), "{}");
	put(at("shared/target.yaml"), "a: 1\n");
	cr_assert_eq(symlink(at("shared/target.yaml"), at("t/link.yaml")), 0);
	put(at("t/plain.yaml"), "a: 1\n");
	struct watch *w = watch_tree();
	const char *paths[] = { at("t/plain.yaml"), at("t/link.yaml"), at("t/body.tmp"), at("t/.data/b.json") };
	watch_track_files(w, paths, 4);

	put(at("t/body.tmp"), "new");
	cr_assert(wait_calls(1), "a tracked body with a dropping's name");
	int n = ncalls();
	put(at("t/.data/b.json"), "[]");
	cr_assert(wait_calls(n + 1), "a tracked body in a dot directory");
	n = ncalls();
	put(at("shared/target.yaml"), "a: 2\n");
	cr_assert(wait_calls(n + 1), "the target of a symlinked stub file");
	n = ncalls();
	/* no longer tracked: the directory outside is let go */
	watch_track_files(w, paths, 1);
	struct watch_stats before = watch_get_stats(w);
	put(at("shared/target.yaml"), "a: 3\n");
	put(at("t/z.yaml"), "a: 1\n");
	cr_assert(wait_calls(n + 1));
	struct watch_stats after = watch_get_stats(w);
	cr_expect_leq(after.relevant - before.relevant, 3, "an untracked file outside the DIR counted");
	watch_destroy(w);
}

/* ---- overflow and lifecycle ---- */

static long max_queued_events(void)
{
	FILE *f = fopen("/proc/sys/fs/inotify/max_queued_events", "r");
	long n = -1;
	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

Test(watch, queue_overflow_counts_as_a_change, .timeout = 120)
{
	long limit = max_queued_events();
	if (limit <= 0 || limit > 100000)
		cr_skip_test("max_queued_events is %ld", limit);
	make_dir(at("t"));
	struct watch *w = watch_tree();
	/* hold the watcher in its callback so that the kernel queue fills up */
	pthread_mutex_lock(&calls.lock);
	calls.hold = true;
	pthread_mutex_unlock(&calls.lock);
	put(at("t/first.yaml"), "a: 1\n");
	cr_assert(wait_calls(1));
	for (long i = 0; i < limit / 2 + 100; i++) {
		char rel[32];
		snprintf(rel, sizeof(rel), "t/f%ld.yaml", i);
		int fd = open(at(rel), O_WRONLY | O_CREAT | O_TRUNC, 0644);
		cr_assert(fd >= 0, "open: %s", strerror(errno));
		close(fd);
	}
	/* a directory created now is only found by the rescan that follows an overflow */
	make_dir(at("t/late"));
	pthread_mutex_lock(&calls.lock);
	calls.hold = false;
	pthread_cond_broadcast(&calls.cond);
	pthread_mutex_unlock(&calls.lock);
	cr_assert(wait_calls(2));
	cr_expect_geq(watch_get_stats(w).overflows, 1);
	int n = ncalls();
	put(at("t/late/x.yaml"), "a: 1\n");
	cr_assert(wait_calls(n + 1), "the rescan after the overflow missed a new directory");
	watch_destroy(w);
}

Test(watch, destroy_before_start)
{
	make_dir(at("t"));
	const char *dirs[] = { at("t") };
	struct watch *w = NULL;
	char *error = NULL;
	cr_assert_eq(watch_create(dirs, 1, -1, &w, &error), 0);
	const char *paths[] = { at("t/x.tmp") };
	watch_track_files(w, paths, 1);
	watch_stop(w);
	watch_destroy(w);
	watch_destroy(NULL);
}

Test(watch, destroy_with_a_burst_pending)
{
	make_dir(at("t"));
	struct watch *w = watch_tree();
	put(at("t/a.yaml"), "a: 1\n");
	watch_stop(w);
	watch_stop(w);
	int n = ncalls();
	watch_destroy(w);
	cr_expect_eq(ncalls(), n, "no callback after stop");
}
