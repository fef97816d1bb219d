/* SPDX-License-Identifier: MIT */
/* The server (struct cannery_server, private to server.c): owns and wires every part. The
 * embedding API's lifecycle calls are declared in include/cannery/cannery.h. */
#pragma once
#include "cannery/cannery.h"

struct admin_ctx;

/** What the embedding API's journal and stub calls (embed.c) work on. Borrowed from srv. */
const struct admin_ctx *server_admin(struct cannery_server *srv);
