/* SPDX-License-Identifier: MIT */
/* WireMock's admin API under /__admin/ (SPEC section 8): mappings, the request journal,
 * scenarios, resets and health, with WireMock's status codes, ids and JSON shapes, over
 * cannery's one stub index, journal and scenario states. admin.c routes here after its
 * access rules (loopback Origin, --admin-token) passed. */
#pragma once
#include <stdbool.h>

struct admin_ctx;
struct admin_request;
struct strbuf;

#define WM_ADMIN_PREFIX "/__admin"

/** Whether path is under /__admin (the prefix itself included). */
bool wm_admin_path(const char *path);

/** Handles one request under /__admin: the body to out, *content_type (NULL: no body),
 *  and returns the status. Any thread. */
int wm_admin_handle(const struct admin_ctx *ax, const struct admin_request *req, struct strbuf *out,
		    const char **content_type);
