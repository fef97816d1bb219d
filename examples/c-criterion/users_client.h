/* SPDX-License-Identifier: MIT */
/* The code under test: a tiny C client of a users API, over libcurl. */
#pragma once

/** POSTs {"name": NAME} to BASE_URL/api/users with "Authorization: Bearer TOKEN" and returns
 *  the new user's id (from {"id": N}), or -1 when the call fails or the status is not 201. */
long users_create(const char *base_url, const char *token, const char *name);

/** DELETEs BASE_URL/api/users/ID; returns the HTTP status (0 when the call failed). */
long users_delete(const char *base_url, const char *token, long id);
