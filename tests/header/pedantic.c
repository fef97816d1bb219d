/* SPDX-License-Identifier: MIT */
/* The public header alone, under -pedantic-errors -std=c11: it must need nothing else, and
 * every declaration must link against the library. */
#include <cannery/cannery.h>

#include <stdio.h>

int main(void)
{
	struct cannery_config cfg;
	/* take the address of every public function: each must exist in the library */
	void (*const fns[])(void) = {
		(void (*)(void))cannery_config_init,      (void (*)(void))cannery_version,
		(void (*)(void))cannery_server_create,    (void (*)(void))cannery_server_start,
		(void (*)(void))cannery_server_port,      (void (*)(void))cannery_server_url,
		(void (*)(void))cannery_server_is_loopback, (void (*)(void))cannery_server_stub_count,
		(void (*)(void))cannery_server_reload,    (void (*)(void))cannery_server_stop,
		(void (*)(void))cannery_server_destroy,   (void (*)(void))cannery_check,
		(void (*)(void))cannery_server_add_stubs, (void (*)(void))cannery_server_remove_stub,
		(void (*)(void))cannery_server_reset,     (void (*)(void))cannery_server_clear_requests,
		(void (*)(void))cannery_server_requests_json, (void (*)(void))cannery_server_count,
		(void (*)(void))cannery_server_verify,    (void (*)(void))cannery_server_wait,
		(void (*)(void))cannery_strv_free,
	};
	size_t i;

	cannery_config_init(&cfg);
	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		if (!fns[i])
			return 1;
	printf("cannery %s: %u functions, default port %u\n", cannery_version(), (unsigned)i, cfg.port);
	return 0;
}
