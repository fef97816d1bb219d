/* SPDX-License-Identifier: MIT */
/* The OpenAPI front-end's response handlers: an operation's (its handler_data is the
 * struct oa_op, holding a reference to its spec) and a path's 405 for the methods it has
 * no operation for (handler_data: the struct oa_path). */
#pragma once
#include "openapi_model.h"
#include "stub.h"

extern const struct responder openapi_op_responder;
extern const struct responder openapi_path_responder;
