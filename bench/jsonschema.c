/* SPDX-License-Identifier: MIT */
/* Per-body cost of validating a JSON request body: json_parse + jsonschema_validate (the
 * slow path, which builds a tree and error messages) against jsonschema_check_json (the
 * fast check straight from the text), on a 20-field order body and its OpenAPI 3.0 schema.
 * The fast check is also timed with cold caches, as a server calls it.
 * Build: meson compile -C build-bench bench/bench_jsonschema; run: build-bench/bench/bench_jsonschema [N] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "jsonschema.h"

static const char doc_text[] =
	"{\"schema\": {\"type\": \"object\", \"additionalProperties\": false,"
	" \"required\": [\"id\", \"customer\", \"email\", \"status\", \"total\", \"currency\", \"items\", \"created\"],"
	" \"properties\": {"
	"  \"id\": {\"type\": \"string\", \"format\": \"uuid\"},"
	"  \"customer\": {\"type\": \"string\", \"minLength\": 1, \"maxLength\": 100},"
	"  \"email\": {\"type\": \"string\", \"format\": \"email\"},"
	"  \"status\": {\"type\": \"string\", \"enum\": [\"new\", \"paid\", \"shipped\", \"cancelled\"]},"
	"  \"total\": {\"type\": \"number\", \"minimum\": 0},"
	"  \"currency\": {\"type\": \"string\", \"enum\": [\"EUR\", \"USD\", \"GBP\"]},"
	"  \"items\": {\"type\": \"array\", \"minItems\": 1, \"maxItems\": 100,"
	"             \"items\": {\"$ref\": \"#/components/schemas/Item\"}},"
	"  \"note\": {\"type\": \"string\", \"nullable\": true, \"maxLength\": 500},"
	"  \"created\": {\"type\": \"string\", \"format\": \"date-time\"},"
	"  \"due\": {\"type\": \"string\", \"format\": \"date\"},"
	"  \"priority\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 5},"
	"  \"gift\": {\"type\": \"boolean\"},"
	"  \"coupon\": {\"type\": \"string\", \"nullable\": true},"
	"  \"address\": {\"$ref\": \"#/components/schemas/Address\"},"
	"  \"tags\": {\"type\": \"array\", \"maxItems\": 10, \"items\": {\"type\": \"string\", \"maxLength\": 20}},"
	"  \"channel\": {\"type\": \"string\", \"enum\": [\"web\", \"app\", \"phone\"]},"
	"  \"weight\": {\"type\": \"number\", \"minimum\": 0, \"exclusiveMinimum\": true},"
	"  \"discount\": {\"type\": \"integer\", \"minimum\": 0, \"maximum\": 100},"
	"  \"referrer\": {\"type\": \"string\", \"format\": \"uri\"},"
	"  \"metadata\": {\"type\": \"object\", \"additionalProperties\": {\"type\": \"string\"}}}},"
	" \"components\": {\"schemas\": {"
	"  \"Item\": {\"type\": \"object\", \"additionalProperties\": false, \"required\": [\"sku\", \"qty\", \"price\"],"
	"   \"properties\": {\"sku\": {\"type\": \"string\", \"pattern\": \"^[A-Z]{2}-[0-9]{3}$\"},"
	"    \"qty\": {\"type\": \"integer\", \"minimum\": 1}, \"price\": {\"type\": \"number\", \"minimum\": 0}}},"
	"  \"Address\": {\"type\": \"object\", \"required\": [\"street\", \"city\", \"country\"],"
	"   \"properties\": {\"street\": {\"type\": \"string\"}, \"city\": {\"type\": \"string\"},"
	"    \"zip\": {\"type\": \"string\"}, \"country\": {\"type\": \"string\", \"minLength\": 2, \"maxLength\": 2}}}}}}";

static const char body[] =
	"{\"id\": \"7f0c1a44-8a4b-4bb5-a0f0-3c2cbf3bd9a1\", \"customer\": \"Ada Lovelace\", "
	"\"email\": \"ada@example.com\", \"status\": \"new\", \"total\": 59.9, \"currency\": \"EUR\", "
	"\"items\": [{\"sku\": \"BK-001\", \"qty\": 2, \"price\": 19.95}, {\"sku\": \"BK-002\", \"qty\": 1, "
	"\"price\": 20.0}], \"note\": null, \"created\": \"2024-01-02T03:04:05Z\", \"due\": \"2024-01-09\", "
	"\"priority\": 3, \"gift\": false, \"coupon\": null, \"address\": {\"street\": \"12 Analytical Row\", "
	"\"city\": \"London\", \"zip\": \"N1 9GU\", \"country\": \"GB\"}, \"tags\": [\"books\", \"priority\"], "
	"\"channel\": \"web\", \"weight\": 1.25, \"discount\": 0, \"referrer\": \"https://example.com/r\", "
	"\"metadata\": {\"campaign\": \"winter\"}}";

/* "#/a/b" as members of the document */
static const cJSON *resolve(void *cls, const char *ref, const cJSON *at)
{
	(void)at;
	return ref[0] == '#' ? json_get_pointer(cls, ref + 1) : NULL;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int slow(const struct jsonschema *s, const char *text, size_t len)
{
	cJSON *v = json_parse(text, len, NULL);
	if (!v)
		return 0;
	int ok = jsonschema_validate(s, v, NULL, 0) == 0;
	cJSON_Delete(v);
	return ok;
}

/* The best of 5 rounds of n calls, in ns per call. */
static double measure(int (*fn)(const struct jsonschema *, const char *, size_t), const struct jsonschema *s,
		      long n, int *result)
{
	double best = 1e30;
	for (int round = 0; round < 5; round++) {
		double t0 = now();
		for (long i = 0; i < n; i++)
			*result = fn(s, body, sizeof body - 1);
		double ns = (now() - t0) * 1e9 / (double)n;
		if (ns < best)
			best = ns;
	}
	return best;
}

/* A server's caches hold other things when a body arrives (the network stack, the rest of
 * the request): the median of n calls of the fast check, each after writing a buffer
 * bigger than the L2 cache, timed one by one. */
static double measure_cold(const struct jsonschema *s, long n, int *result)
{
	size_t size = 4u << 20;
	unsigned char *junk = malloc(size);
	double *ns = malloc((size_t)n * sizeof *ns);
	if (!junk || !ns) {
		free(junk);
		free(ns);
		return -1;
	}
	for (long i = 0; i < n; i++) {
		memset(junk, (int)i, size);
		double t0 = now();
		*result = jsonschema_check_json(s, body, sizeof body - 1);
		ns[i] = (now() - t0) * 1e9;
	}
	for (long i = 1; i < n; i++)   /* insertion sort: n is small */
		for (long j = i; j > 0 && ns[j - 1] > ns[j]; j--) {
			double t = ns[j];
			ns[j] = ns[j - 1];
			ns[j - 1] = t;
		}
	double median = ns[n / 2];
	free(junk);
	free(ns);
	return median;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
	if (n <= 0)
		n = 200000;
	cJSON *doc = json_parse(doc_text, sizeof doc_text - 1, NULL);
	char *err = NULL;
	struct jsonschema *s = doc ? jsonschema_compile(cJSON_GetObjectItemCaseSensitive(doc, "schema"),
							JSONSCHEMA_OAS30, resolve, doc, &err, NULL)
				   : NULL;
	if (!s) {
		fprintf(stderr, "bench_jsonschema: the schema does not compile: %s\n", err ? err : "not JSON");
		return 1;
	}
	int r_slow = -2, r_fast = -2;
	double t_slow = measure(slow, s, n, &r_slow);
	double t_fast = measure(jsonschema_check_json, s, n, &r_fast);
	int r_cold = -2;
	double t_cold = measure_cold(s, 2001, &r_cold);
	printf("body: %zu bytes, %ld calls per round, best of 5\n", sizeof body - 1, n);
	printf("json_parse + jsonschema_validate: %8.0f ns/body (valid: %d)\n", t_slow, r_slow);
	printf("jsonschema_check_json:            %8.0f ns/body (result: %d)\n", t_fast, r_fast);
	printf("speed-up: %.1fx\n", t_slow / t_fast);
	printf("jsonschema_check_json, caches cold: %5.0f ns/body (median of 2001; result: %d)\n", t_cold, r_cold);
	jsonschema_destroy(s);
	cJSON_Delete(doc);
	return 0;
}
