/* SPDX-License-Identifier: MIT */
/* WireMock's response templates (SPEC section 8): the Handlebars text of a body, a
 * jsonBody's serialized JSON or a header value under `"transformers": ["response-template"]`,
 * compiled at load time into a cannery template (render.h) that renders as WireMock 3.13. */
#pragma once
#include <stddef.h>

#include "render.h"

/** Compiles a WireMock Handlebars template (body or header value; len bytes, not
 *  necessarily NUL-terminated) into a cannery template. Returns it (caller frees with
 *  tpl_destroy), or NULL with *err (byte offset into src + a message naming the helper,
 *  attribute or syntax, or what was expected) when it uses something cannery does not
 *  support or WireMock itself would fail on. Load time; any thread. */
struct tpl *wm_template_compile(const char *src, size_t len, struct tpl_error *err);
