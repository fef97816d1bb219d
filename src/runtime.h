/* SPDX-License-Identifier: MIT */
/* Composing the served stub set from file stubs and runtime stubs (added through the admin
 * API or the C API). Both kinds live in refcounted groups that own their stubs; a served
 * set holds shallow copies of them (its own rank, slot and order) and a reference to every
 * group, so a new set can be built without reloading the files, and runtime stubs survive
 * file reloads. */
#pragma once
#include <stdatomic.h>
#include <stddef.h>

#include "diag.h"
#include "stub.h"

struct cannery_server;

/** Stubs owned together: the stubs of one file load, or one runtime stub. */
struct stub_group {
	atomic_uint refs;
	struct stub **stubs;
	size_t n;
	bool lent;         /* a set serves these stubs as they are, not copies (runtime_compose) */
	/* a joined group (stub_group_join): stubs[] borrows from these, which it references */
	struct stub_group **parts;
	size_t nparts;
};

/** Takes ownership of stubs[0..n) and of the array. Refcount 1. */
struct stub_group *stub_group_create(struct stub **stubs, size_t n);
struct stub_group *stub_group_ref(struct stub_group *g);
/** NULL does nothing. Thread-safe. */
void stub_group_unref(struct stub_group *g);
/** A group of the stubs of parts[0..nparts), in that order, owned by the parts: it takes
 *  over the array and the references in it, and drops them when it goes. Refcount 1. */
struct stub_group *stub_group_join(struct stub_group **parts, size_t nparts);

/** Builds a set (not yet prepared by the HTTP layer) from runtime[0..nruntime), newest
 *  first, then the file stubs in load order: that is the load order of section 2's winner
 *  rule. A runtime id equal to a file stub id is an error reported at the file stub (the
 *  file is what changed); then NULL is returned. */
struct stub_set *runtime_compose(struct stub_group *files, struct stub_group *const *runtime, size_t nruntime,
				 struct diag_list *diags);

/** Adds the stubs of text (one stub or a list, YAML or JSON; no `file:` bodies) to the
 *  server, all or nothing, and publishes the new set. Unnamed stubs get ids "runtime-N".
 *  Returns 0 and the new ids (a NULL-terminated array the caller frees with free() on each
 *  and on the array); -EINVAL when the text does not parse as YAML (diags tell why);
 *  -EBADMSG when a stub is invalid or its id is taken (diags). label names the text in
 *  messages. Runs on any thread; serialized with reloads. */
int runtime_add(struct cannery_server *srv, const char *text, size_t len, const char *label, char ***ids,
		struct diag_list *diags);

/** Removes the runtime stub with this id and publishes the new set. Returns 0, -ENOENT
 *  when no stub has this id, -EPERM when it is a file stub. */
int runtime_remove(struct cannery_server *srv, const char *id);
