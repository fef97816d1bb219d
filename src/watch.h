/* SPDX-License-Identifier: MIT */
/* Hot reload's eyes: inotify on every stub directory, recursively, with editor droppings
 * filtered out and bursts of events coalesced into one callback. One watcher per server,
 * on its own thread; the only file that includes <sys/inotify.h>. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct watch;

/** A burst is over once no relevant event came for WATCH_QUIET_MS, or at the latest
 *  WATCH_MAX_WAIT_MS after its first event (so a file rewritten without pause is still
 *  picked up). Editors finish a save (temp file, renames, backup) well within the first. */
#define WATCH_QUIET_MS 60
#define WATCH_MAX_WAIT_MS 200
/** While a file is being written in place (modified and not yet closed: `echo > x.yaml`,
 *  VS Code, vim with backupcopy=yes), it is empty or half written: the burst waits for the
 *  writer to close it, up to this long after its first event. */
#define WATCH_WRITER_MAX_MS 2000
/** How often a DIR that has disappeared is looked for again. */
#define WATCH_RETRY_MS 500

/** Called on the watcher thread once per settled burst of changes. It may take its time
 *  (events keep queuing in the kernel meanwhile) and may call watch_track_files. */
typedef void watch_fn(void *arg);

/** Counters, for tests and diagnostics. */
struct watch_stats {
	uint64_t events;      /* inotify events read */
	uint64_t relevant;    /* ... of which could change what the loader reads */
	uint64_t bursts;      /* callbacks made */
	uint64_t overflows;   /* IN_Q_OVERFLOW seen (each one counts as a change) */
};

/** Starts watching each of dirs (trailing slashes ignored) and every directory below it,
 *  except those whose names start with '.', as the loader skips them. Changes from now on
 *  are queued by the kernel; fn sees them once watch_start has run. A DIR that does not
 *  exist (yet) is looked for every WATCH_RETRY_MS. Warnings (a subdirectory that cannot
 *  be watched, e.g. when fs.inotify.max_user_watches runs out) go to log_fd, once; -1
 *  keeps quiet. Returns 0 and *out (free with watch_destroy), or a negative errno and a
 *  one-line message in *error (caller frees) when inotify is not available. */
int watch_create(const char *const *dirs, size_t ndirs, int log_fd, struct watch **out, char **error);

/** Starts the watcher thread, which calls fn(arg) after each burst. Returns 0 or a
 *  negative errno. Call once. */
int watch_start(struct watch *w, watch_fn *fn, void *arg);

/** Tells the watcher which files the stub set now serving was read from (stub files and
 *  `file:` bodies, as the loader opened them: struct load_result's paths). Changes to
 *  these count even where the trees alone would miss them: a name that looks like an
 *  editor dropping (`body.tmp`), a directory whose name starts with '.', or a symlink to
 *  a file elsewhere (its target's directory is watched too). Replaces the previous list.
 *  Runs on any thread. */
void watch_track_files(struct watch *w, const char *const *paths, size_t n);

/** Called from fn, after the load and before it is published: reads the events that came
 *  meanwhile (waiting a few ms for late ones) and returns whether there were none, no file
 *  is being written in place, and not writer_seen (the loader found a file it read open
 *  for writing). When it returns false, what fn read may be torn (a file truncated while
 *  it was read): fn should not publish it, and the watcher calls fn again once things
 *  settle. After WATCH_WRITER_MAX_MS of refusals in a row it says yes: a writer that
 *  keeps a file open does not hold up reloads for ever. */
bool watch_settled(struct watch *w, bool writer_seen);

/** A snapshot of the counters. Runs on any thread. */
struct watch_stats watch_get_stats(struct watch *w);

/** Stops the watcher thread and waits for it (and for a callback in progress). Safe to
 *  call more than once, or before watch_start; never from fn. */
void watch_stop(struct watch *w);

/** Stops the thread if needed and frees everything. NULL does nothing. */
void watch_destroy(struct watch *w);

/** Whether a file called name is an editor's or tool's dropping that never holds stubs:
 *  names starting with '.' (vim's .x.swp / .x.swx, emacs's .#x lock, and every name the
 *  loader skips), backups ending in '~', emacs's #x# autosave, vim's 4913 write test,
 *  *.tmp and *.temp, JetBrains' *___jb_tmp___ / *___jb_old___. */
bool watch_is_dropping(const char *name);
