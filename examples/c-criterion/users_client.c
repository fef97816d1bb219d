/* SPDX-License-Identifier: MIT */
/* A tiny users API client: what the Criterion suite tests against an embedded cannery. */
#include "users_client.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct body {
	char data[4096];
	size_t len;
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t len = size * n, room = sizeof(b->data) - 1 - b->len;
	memcpy(b->data + b->len, p, len < room ? len : room);
	b->len += len < room ? len : room;
	b->data[b->len] = '\0';
	return len;
}

static long call(const char *method, const char *url, const char *token, const char *json, struct body *out)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char auth[256];
	long status = 0;

	if (!c)
		return 0;
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	h = curl_slist_append(h, auth);
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	if (json)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return status;
}

long users_create(const char *base_url, const char *token, const char *name)
{
	struct body b = { .len = 0 };
	char url[512], json[512];
	const char *id;

	snprintf(url, sizeof(url), "%s/api/users", base_url);
	snprintf(json, sizeof(json), "{\"name\":\"%s\"}", name);
	if (call("POST", url, token, json, &b) != 201 || !(id = strstr(b.data, "\"id\":")))
		return -1;
	return strtol(id + 5, NULL, 10);
}

long users_delete(const char *base_url, const char *token, long id)
{
	struct body b = { .len = 0 };
	char url[512];

	snprintf(url, sizeof(url), "%s/api/users/%ld", base_url, id);
	return call("DELETE", url, token, NULL, &b);
}
