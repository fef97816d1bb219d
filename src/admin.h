/* SPDX-License-Identifier: MIT */
/* The admin API under /__cannery/: JSON in, JSON out. */
#pragma once
#include <stddef.h>

struct cannery_server;
struct strbuf;

#define ADMIN_PREFIX "/__cannery"

/** Handles one admin request. path is the full request path (starting with ADMIN_PREFIX).
 *  Writes a JSON body to out (empty for 204) and returns the HTTP status.
 *  Runs on MHD worker threads. */
int admin_handle(struct cannery_server *srv, const char *method, const char *path,
		 const char *body, size_t body_len, struct strbuf *out);
