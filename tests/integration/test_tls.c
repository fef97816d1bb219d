/* SPDX-License-Identifier: MIT */
/* HTTPS (SPEC section 12, docs/tls.md) through the real binary and libcurl with
 * certificate verification on: --tls-cert/--tls-key with a certificate the test makes
 * with openssl, --tls-self-signed (its printed fingerprint is the served certificate's),
 * the admin API's Origin check, the journal, CRUD's Location, WireMock's templates,
 * serve events and faults, the proxy, recording, an OpenAPI operation, the dashboard;
 * bad certificates and keys (one line,
 * exit 1), usage errors (exit 2), and plain HTTP sent to the HTTPS port. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "upstream.h"

static void teardown(void)
{
	up_teardown();
	h_teardown();
}

TestSuite(tls, .init = h_setup, .fini = teardown);

/* The tests make their certificates with openssl (Debian's ca-certificates depends on
 * it, and scripts/dev.sh installs it); where it is missing they are skipped. */
static void need_openssl(void)
{
	if (system("openssl version >/dev/null 2>&1") != 0)
		cr_skip_test("openssl is not installed: it makes the test certificates");
}

struct pair {
	const char *cert;
	const char *key;
};

/* A self-signed certificate for localhost, 127.0.0.1 and ::1 and its key, in dir. */
static struct pair make_pair(const char *dir, const char *name)
{
	struct pair p = { h_fmt("%s/%s.crt", dir, name), h_fmt("%s/%s.key", dir, name) };
	const char *cmd = h_fmt("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout %s "
				"-out %s -days 2 -subj /CN=localhost "
				"-addext subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1 >/dev/null 2>&1",
				p.key, p.cert);
	cr_assert_eq(system(cmd), 0, "openssl could not make a certificate: %s", cmd);
	return p;
}

static const char stub_yaml[] =
	"- request: { method: GET, path: /hello }\n"
	"  response: { json: { hello: tls } }\n";

/* A server on one stub over HTTPS with a fresh certificate, trusted by the harness. */
static struct h_server *serve_tls(struct pair *pp, const char *extra1, const char *extra2)
{
	need_openssl();
	const char *dir = h_stub_dir("hello.yaml", stub_yaml, NULL);
	struct pair p = make_pair(h_tmpdir(), "server");
	struct h_server *s = h_serve(dir, "--tls-cert", p.cert, "--tls-key", p.key, extra1, extra2, NULL);
	s->ca_file = p.cert;
	if (pp)
		*pp = p;
	return s;
}

Test(tls, serves_stubs_over_https_with_the_given_certificate)
{
	struct h_server *s = serve_tls(NULL, NULL, NULL);
	cr_assert(h_contains(s->ready_line, h_fmt(" on https://127.0.0.1:%d", s->port)), "ready line: %s",
		  s->ready_line);
	cr_assert_str_eq(s->url, h_fmt("https://127.0.0.1:%d", s->port));
	/* keep-alive: the second request reuses the TLS connection */
	struct h_client *c = h_client_create();
	struct h_response *a = h_client_request(c, s, NULL, "/hello", NULL, 0, NULL);
	h_assert_response(a, "GET /hello over https", 200, "{\"hello\":\"tls\"}");
	struct h_response *b = h_client_request(c, s, NULL, "/hello", NULL, 0, NULL);
	h_assert_response(b, "GET /hello again", 200, "{\"hello\":\"tls\"}");
	cr_expect_eq(b->num_connects, 0, "the second request opened a new connection");
	/* a miss still explains itself, and both requests are in the journal */
	struct h_response *miss = h_get(s, "/hellp");
	cr_expect_eq(miss->status, 404);
	cr_expect(h_contains(miss->body, "/hello"), "near misses: %s", miss->body);
	struct h_response *j = h_get(s, "/__cannery/requests?path=/hello");
	cr_assert_eq(j->status, 200, "%s", j->body);
	cr_expect(h_contains(j->body, "\"total\":2"), "journal: %s", j->body);
	h_server_stop_ok(s);
}

Test(tls, a_client_that_does_not_trust_the_certificate_fails_and_the_server_goes_on)
{
	struct h_server *s = serve_tls(NULL, NULL, NULL);
	const char *ca = s->ca_file;
	s->ca_file = NULL;   /* the system's CAs do not know it */
	struct h_response *r = h_get(s, "/hello");
	cr_expect_eq(r->status, 0);
	cr_expect_eq(r->curl_code, CURLE_PEER_FAILED_VERIFICATION, "curl: %d %s", r->curl_code, r->error);
	cr_expect(h_server_wait_log(s, "TLS handshake failed", NULL), "stderr: %s", h_server_stderr(s));
	s->ca_file = ca;
	h_assert_get(s, "/hello", 200, "{\"hello\":\"tls\"}");
	h_server_stop_ok(s);
}

Test(tls, plain_http_to_the_https_port_fails_cleanly)
{
	struct h_server *s = serve_tls(NULL, NULL, NULL);
	struct h_raw *raw = h_raw_str(s, "GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n");
	cr_expect(raw->closed, "the server kept a plain-HTTP connection open");
	cr_expect(!h_contains(raw->data, "HTTP/1.1 200"), "answered plain HTTP: %s", raw->data);
	/* curl's http:// on the same port: a transfer error, not a hang */
	struct h_server plain = *s;
	snprintf(plain.url, sizeof(plain.url), "http://127.0.0.1:%d", s->port);
	plain.ca_file = NULL;
	struct h_response *r = h_get(&plain, "/hello");
	cr_expect_eq(r->status, 0, "plain HTTP got an answer: %ld", r->status);
	cr_expect_neq(r->curl_code, CURLE_OPERATION_TIMEDOUT);
	h_assert_get(s, "/hello", 200, "{\"hello\":\"tls\"}");
	h_server_stop_ok(s);
}

static size_t discard(char *data, size_t size, size_t n, void *userp)
{
	(void)data;
	(void)userp;
	return size * n;
}

/* The server's certificate as libcurl saw it (verification off for this one request),
 * PEM; NULL when the TLS backend does not say. */
static char *served_certificate(const struct h_server *s)
{
	CURL *e = curl_easy_init();
	char *pem = NULL;
	curl_easy_setopt(e, CURLOPT_URL, h_fmt("%s/hello", s->url));
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(e, CURLOPT_CERTINFO, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)H_DEADLINE_MS);
	CURLcode rc = curl_easy_perform(e);
	struct curl_certinfo *ci = NULL;
	if (rc == CURLE_OK && curl_easy_getinfo(e, CURLINFO_CERTINFO, &ci) == CURLE_OK && ci && ci->num_of_certs > 0)
		for (struct curl_slist *l = ci->certinfo[0]; l; l = l->next)
			if (strncmp(l->data, "Cert:", 5) == 0)
				pem = h_fmt("%s", l->data + 5);
	curl_easy_cleanup(e);
	cr_assert_eq(rc, CURLE_OK, "fetching the certificate: %s", curl_easy_strerror(rc));
	return pem;
}

/* What openssl makes of a certificate file: `openssl x509 -noout ARGS`. */
static char *openssl_x509(const char *file, const char *args)
{
	const char *out = h_fmt("%s.txt", file);
	int rc = system(h_fmt("openssl x509 -noout %s -in %s > %s 2>&1", args, file, out));
	char *text = h_slurp(out, NULL);
	cr_assert_eq(rc, 0, "openssl x509 %s: %s", args, text);
	return text;
}

/* GET url verified against ca_file; the status, 0 on a transfer error (*code gets it). */
static long verified_get(const char *url, const char *ca_file, int *code)
{
	CURL *e = curl_easy_init();
	long status = 0;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_CAINFO, ca_file);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)H_DEADLINE_MS);
	*code = (int)curl_easy_perform(e);
	if (*code == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(e);
	return status;
}

Test(tls, self_signed_prints_the_fingerprint_of_the_certificate_it_serves)
{
	need_openssl();
	const char *dir = h_stub_dir("hello.yaml", stub_yaml, NULL);
	struct h_server *s = h_serve(dir, "--tls-self-signed", NULL);
	cr_assert(h_contains(s->ready_line, " on https://127.0.0.1:"), "ready line: %s", s->ready_line);
	char *line = h_server_wait_log(s, "SHA-256 fingerprint ", NULL);
	cr_assert(line, "no fingerprint on stderr: %s", h_server_stderr(s));
	cr_expect(h_contains(line, "localhost, 127.0.0.1 and ::1"), "%s", line);
	const char *printed = strstr(line, "fingerprint ") + 12;
	cr_assert_eq(strlen(printed), 95, "fingerprint '%s': expected 32 colon-separated bytes", printed);

	char *pem = served_certificate(s);
	cr_assert(pem, "libcurl did not show the server's certificate");
	const char *tmp = h_tmpdir(), *file = h_fmt("%s/served.pem", tmp);
	h_write_file(tmp, "served.pem", pem);
	char *fp = openssl_x509(file, "-fingerprint -sha256");
	cr_expect(h_contains(fp, h_fmt("=%s", printed)), "printed %s, openssl says %s", printed, fp);
	char *san = openssl_x509(file, "-ext subjectAltName,basicConstraints");
	cr_expect(h_contains(san, "DNS:localhost"), "%s", san);
	cr_expect(h_contains(san, "IP Address:127.0.0.1"), "%s", san);
	cr_expect(h_contains(san, "IP Address:0:0:0:0:0:0:0:1"), "%s", san);
	cr_expect(h_contains(san, "CA:FALSE"), "%s", san);

	/* trusted as its own CA, it verifies under both names a browser would use */
	int code;
	cr_expect_eq(verified_get(h_fmt("https://127.0.0.1:%d/hello", s->port), file, &code), 200, "curl %d", code);
	cr_expect_eq(verified_get(h_fmt("https://localhost:%d/hello", s->port), file, &code), 200, "curl %d", code);
	/* a name it was not made for is refused */
	CURL *e = curl_easy_init();
	struct curl_slist *res = curl_slist_append(NULL, h_fmt("other.test:%d:127.0.0.1", s->port));
	curl_easy_setopt(e, CURLOPT_URL, h_fmt("https://other.test:%d/hello", s->port));
	curl_easy_setopt(e, CURLOPT_RESOLVE, res);
	curl_easy_setopt(e, CURLOPT_CAINFO, file);
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	CURLcode rc = curl_easy_perform(e);
	curl_easy_cleanup(e);
	curl_slist_free_all(res);
	cr_expect_eq(rc, CURLE_PEER_FAILED_VERIFICATION, "other.test: %s", curl_easy_strerror(rc));
	h_server_stop_ok(s);
}

Test(tls, each_self_signed_start_makes_a_new_certificate)
{
	const char *dir = h_stub_dir("hello.yaml", stub_yaml, NULL);
	struct h_server *a = h_serve(dir, "--tls-self-signed", NULL);
	struct h_server *b = h_serve(dir, "--tls-self-signed", NULL);
	char *la = h_server_wait_log(a, "SHA-256 fingerprint ", NULL);
	char *lb = h_server_wait_log(b, "SHA-256 fingerprint ", NULL);
	cr_assert(la && lb);
	cr_expect_str_neq(la, lb);
	h_server_stop_ok(a);
	h_server_stop_ok(b);
}

Test(tls, the_admin_api_over_https_accepts_the_servers_origins_only)
{
	struct h_server *s = serve_tls(NULL, NULL, NULL);
	const char *ok[] = {
		h_fmt("Origin: https://localhost:%d", s->port),
		h_fmt("Origin: https://127.0.0.1:%d", s->port),
		"Origin: https://[::1]",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
		struct h_response *r = h_get_h(s, "/__cannery/stubs", ok[i]);
		cr_expect_eq(r->status, 200, "%s: %ld %s", ok[i], r->status, r->body);
		cr_expect_null(h_header(r, "Access-Control-Allow-Origin"), "the admin API sent CORS headers");
	}
	const char *refused[] = { "Origin: http://evil.example", "Origin: https://evil.example",
				  "Origin: https://localhost.evil.example" };
	for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
		struct h_response *r = h_get_h(s, "/__cannery/stubs", refused[i]);
		cr_expect_eq(r->status, 403, "%s: %ld %s", refused[i], r->status, r->body);
	}
	/* the Host check holds too */
	struct h_response *host = h_get_h(s, "/hello", "Host: evil.example");
	cr_expect_eq(host->status, 403, "foreign Host: %ld", host->status);
	h_server_stop_ok(s);
}

Test(tls, the_admin_token_is_checked_over_https)
{
	struct h_server *s = serve_tls(NULL, "--admin-token", "s3cret");
	cr_expect_eq(h_get(s, "/__cannery/stubs")->status, 401);
	cr_expect_eq(h_get_h(s, "/__cannery/stubs", "Authorization: Bearer s3cret")->status, 200);
	h_server_stop_ok(s);
}

Test(tls, crud_location_and_links_say_https)
{
	need_openssl();
	const char *dir = h_tmpdir();
	h_write_file(dir, "db.json", "{\"posts\":[{\"id\":1,\"title\":\"a\"},{\"id\":2,\"title\":\"b\"}]}\n");
	h_write_file(dir, "stubs/.keep", "");
	struct pair p = make_pair(dir, "server");
	struct h_server *s = h_serve(h_fmt("%s/stubs", dir), "--crud", h_fmt("%s/db.json", dir), "--tls-cert", p.cert,
				     "--tls-key", p.key, NULL);
	s->ca_file = p.cert;
	struct h_response *r =
		h_request(s, "POST", "/posts", "{\"title\":\"c\"}", HDRS("Content-Type: application/json"));
	cr_assert_eq(r->status, 201, "%s", r->body);
	cr_expect_str_eq(h_header(r, "Location"), h_fmt("https://127.0.0.1:%d/posts/3", s->port));
	struct h_response *page = h_get(s, "/posts?_page=1&_limit=1");
	cr_assert_eq(page->status, 200, "%s", page->body);
	const char *link = h_header(page, "Link");
	cr_assert(link, "no Link header");
	cr_expect(h_contains(link, h_fmt("<https://127.0.0.1:%d/posts?", s->port)), "Link: %s", link);
	cr_expect(!h_contains(link, "http://"), "Link: %s", link);
	h_server_stop_ok(s);
}

/* An OpenAPI operation (example and validation) and the dashboard page with its data,
 * over HTTPS, with the page's admin Origin rule taking the https origin. */
Test(tls, openapi_routes_and_the_dashboard_over_https)
{
	need_openssl();
	const char *dir = h_tmpdir();
	h_write_file(dir, "api.yaml",
		     "openapi: 3.0.3\n"
		     "info: { title: t, version: '1' }\n"
		     "paths:\n"
		     "  /pets/{id}:\n"
		     "    get:\n"
		     "      parameters: [{ name: id, in: path, required: true, schema: { type: integer } }]\n"
		     "      responses:\n"
		     "        '200':\n"
		     "          description: a pet\n"
		     "          content: { application/json: { example: { id: 1, name: rex } } }\n");
	h_write_file(dir, "stubs/.keep", "");
	struct pair p = make_pair(dir, "server");
	struct h_server *s = h_serve(h_fmt("%s/stubs", dir), "--openapi", h_fmt("%s/api.yaml", dir), "--tls-cert",
				     p.cert, "--tls-key", p.key, NULL);
	s->ca_file = p.cert;
	struct h_response *ok = h_get(s, "/pets/1");
	h_assert_response(ok, "GET /pets/1 over https", 200, "{\"id\":1,\"name\":\"rex\"}");
	struct h_response *bad = h_get(s, "/pets/abc");
	cr_expect_eq(bad->status, 422, "%s", bad->body);
	cr_expect(h_contains(h_header(bad, "Content-Type"), "application/problem+json"));
	struct h_response *ui = h_get(s, "/__cannery/ui");
	cr_assert_eq(ui->status, 200, "%s", ui->body);
	cr_expect(h_contains(h_header(ui, "Content-Type"), "text/html"));
	const char *origin = h_fmt("Origin: https://127.0.0.1:%d", s->port);
	struct h_response *reset = h_request(s, "POST", "/__cannery/reset", NULL, HDRS(origin));
	cr_expect_eq(reset->status, 204, "%s", reset->body);
	struct h_response *foreign = h_request(s, "POST", "/__cannery/reset", NULL, HDRS("Origin: https://evil.example"));
	cr_expect_eq(foreign->status, 403, "%s", foreign->body);
	h_server_stop_ok(s);
}

static const char wm_mappings[] =
	"{\"mappings\":[\n"
	" {\"request\":{\"method\":\"GET\",\"url\":\"/tpl\"},\"response\":{\"status\":200,"
	"\"body\":\"{{request.baseUrl}} {{request.scheme}} {{request.port}}\",\"transformers\":[\"response-template\"]}},\n"
	" {\"request\":{\"method\":\"GET\",\"url\":\"/garbage\"},\"response\":{\"fault\":\"RANDOM_DATA_THEN_CLOSE\"}},\n"
	" {\"request\":{\"method\":\"GET\",\"url\":\"/chunk\"},\"response\":{\"fault\":\"MALFORMED_RESPONSE_CHUNK\"}},\n"
	" {\"request\":{\"method\":\"GET\",\"url\":\"/empty\"},\"response\":{\"fault\":\"EMPTY_RESPONSE\"}},\n"
	" {\"request\":{\"method\":\"GET\",\"url\":\"/reset\"},\"response\":{\"fault\":\"CONNECTION_RESET_BY_PEER\"}},\n"
	" {\"request\":{\"method\":\"GET\",\"url\":\"/reason\"},\"response\":{\"status\":418,"
	"\"statusMessage\":\"Short and stout\",\"body\":\"tea\"}}\n"
	"]}\n";

Test(tls, wiremock_templates_serve_events_and_faults_over_https)
{
	need_openssl();
	const char *root = h_tmpdir();
	h_write_file(root, "mappings/m.json", wm_mappings);
	h_write_file(root, "__files/.keep", "");
	struct pair p = make_pair(h_tmpdir(), "server");
	struct h_server *s = h_server_spawnv("serve", "--port", "0", "--wiremock", root, "--tls-cert", p.cert,
					     "--tls-key", p.key, NULL);
	s->ca_file = p.cert;
	h_assert_get(s, "/tpl", 200, h_fmt("https://127.0.0.1:%d https %d", s->port, s->port));
	struct h_response *def = h_get_h(s, "/tpl", "Host: localhost");
	h_assert_response(def, "/tpl with Host: localhost", 200, "https://localhost https 443");
	struct h_response *ev = h_get(s, "/__admin/requests");
	cr_assert_eq(ev->status, 200, "%s", ev->body);
	cr_expect(h_contains(ev->body, "\"absoluteUrl\":\"https://localhost/tpl\""), "%s", ev->body);
	cr_expect(h_contains(ev->body, "\"scheme\":\"https\""), "%s", ev->body);
	cr_expect(!h_contains(ev->body, "\"scheme\":\"http\""), "%s", ev->body);
	/* the faults WireMock's clients expect: a broken transfer, never a TLS-level mess
	 * that hangs, and the server answers the next request */
	const char *faults[] = { "/garbage", "/chunk", "/empty", "/reset" };
	for (size_t i = 0; i < sizeof(faults) / sizeof(*faults); i++) {
		struct h_response *r = h_get(s, faults[i]);
		cr_expect_neq(r->curl_code, CURLE_OK, "%s answered %ld", faults[i], r->status);
		cr_expect_neq(r->curl_code, CURLE_OPERATION_TIMEDOUT, "%s hung", faults[i]);
		cr_expect_neq(r->curl_code, CURLE_PEER_FAILED_VERIFICATION, "%s", faults[i]);
	}
	/* a custom reason phrase is written through the TLS session: a whole response */
	h_assert_get(s, "/reason", 418, "tea");
	h_assert_get(s, "/tpl", 200, h_fmt("https://127.0.0.1:%d https %d", s->port, s->port));
	h_server_stop_ok(s);
}

Test(tls, proxy_and_record_over_https)
{
	need_openssl();
	struct upstream *up = up_start();
	const char *dir = h_stub_dir("hello.yaml", stub_yaml, NULL);
	struct pair p = make_pair(h_tmpdir(), "server");
	struct h_server *s = h_serve(dir, "--proxy", up_url(up), "--tls-cert", p.cert, "--tls-key", p.key, NULL);
	s->ca_file = p.cert;
	h_assert_get(s, "/json", 200, UP_JSON);
	h_assert_get(s, "/hello", 200, "{\"hello\":\"tls\"}");
	h_server_stop_ok(s);

	const char *out = h_tmpdir();
	struct h_server *rec = h_server_spawnv("record", "--upstream", up_url(up), "--out", out, "--port", "0",
					       "--tls-cert", p.cert, "--tls-key", p.key, NULL);
	rec->ca_file = p.cert;
	cr_assert(h_contains(rec->ready_line, h_fmt("recording %s on https://", up_url(up))), "%s", rec->ready_line);
	h_assert_get(rec, "/text", 200, UP_TEXT);
	h_server_stop_ok(rec);
	struct h_run *check = h_runv("check", out, NULL);
	cr_expect_eq(check->exit_code, 0, "%s", check->err);
	cr_expect(h_contains(check->out, "1 stub in 1 file"), "%s", check->out);
}

/* `serve` with these TLS options: exit 1, nothing on stdout, one line on stderr with
 * each of the needles. */
static void expect_refusal(const char *cert, const char *key, const char *needle1, const char *needle2)
{
	const char *dir = h_stub_dir("hello.yaml", stub_yaml, NULL);
	struct h_run *r = h_runv("serve", dir, "--port", "0", "--tls-cert", cert, "--tls-key", key, NULL);
	cr_expect_eq(r->exit_code, 1, "%s %s: exit %d, stderr %s", cert, key, r->exit_code, r->err);
	cr_expect_str_eq(r->out, "", "%s %s: stdout %s", cert, key, r->out);
	cr_expect_eq(h_count_lines(r->err, ""), 1, "%s %s: not one line: %s", cert, key, r->err);
	cr_expect(h_contains(r->err, needle1) && h_contains(r->err, needle2), "%s %s: %s (expected '%s' and '%s')", cert,
		  key, r->err, needle1, needle2);
}

Test(tls, a_bad_certificate_or_key_is_a_one_line_error)
{
	need_openssl();
	const char *dir = h_tmpdir();
	struct pair a = make_pair(dir, "a"), b = make_pair(dir, "b");
	const char *missing = h_fmt("%s/missing.pem", dir);
	expect_refusal(missing, a.key, "cannery: cannot read TLS certificate", "missing.pem': No such file");
	expect_refusal(a.cert, missing, "cannot read TLS key", "missing.pem': No such file");
	expect_refusal(a.cert, b.key, h_fmt("TLS key '%s' does not match certificate '%s'", b.key, a.cert), "differ");
	expect_refusal(a.key, a.cert, h_fmt("TLS certificate '%s' holds a private key", a.key), "swapped");
	expect_refusal(a.cert, dir, h_fmt("cannot read TLS key '%s'", dir), "directory");
	h_write_file(dir, "notpem.txt", "hello: world\n");
	const char *notpem = h_fmt("%s/notpem.txt", dir);
	expect_refusal(notpem, a.key, "is not PEM", "-----BEGIN CERTIFICATE-----");
	expect_refusal(a.cert, notpem, "TLS key", "is not a PEM private key");
	h_write_file(dir, "broken.pem", "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n");
	expect_refusal(h_fmt("%s/broken.pem", dir), a.key, "broken.pem' does not parse", "");
	const char *der = h_fmt("%s/a.der", dir);
	cr_assert_eq(system(h_fmt("openssl x509 -in %s -outform der -out %s", a.cert, der)), 0);
	expect_refusal(der, a.key, "is not PEM (it looks like DER", "openssl x509 -inform der");
	const char *enc = h_fmt("%s/enc.key", dir);
	cr_assert_eq(system(h_fmt("openssl pkey -in %s -aes256 -passout pass:x -out %s", a.key, enc)), 0);
	expect_refusal(a.cert, enc, "is encrypted", "unencrypted");
	if (geteuid() != 0) {
		const char *locked = h_fmt("%s/locked.key", dir);
		cr_assert_eq(system(h_fmt("cp %s %s && chmod 000 %s", a.key, locked, locked)), 0);
		expect_refusal(a.cert, locked, "cannot read TLS key", "Permission denied");
	}
}

Test(tls, tls_options_that_do_not_go_together_are_usage_errors)
{
	const char *cases[][4] = {
		{ "--tls-cert", "c.pem", NULL, NULL },
		{ "--tls-key", "k.pem", NULL, NULL },
		{ "--tls-cert", "c.pem", "--tls-self-signed", NULL },
	};
	const char *want[] = { "--tls-cert needs --tls-key", "--tls-key needs --tls-cert", "--tls-self-signed cannot go with" };
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct h_run *r = h_runv("serve", "--port", "0", cases[i][0], cases[i][1], cases[i][2], NULL);
		cr_expect_eq(r->exit_code, 2, "case %zu: exit %d %s", i, r->exit_code, r->err);
		cr_expect(h_contains(r->err, want[i]), "case %zu: %s", i, r->err);
		cr_expect(h_contains(r->err, "try 'cannery --help'"), "case %zu: %s", i, r->err);
	}
	struct h_run *both = h_runv("serve", "--port", "0", "--tls-cert", "c.pem", "--tls-key", "k.pem", "--tls-self-signed",
				    NULL);
	cr_expect_eq(both->exit_code, 2, "%s", both->err);
	/* the environment counts as for every option */
	const char *env[] = { "CANNERY_TLS_CERT=c.pem", NULL };
	const char *args[] = { "serve", "--port", "0", NULL };
	struct h_spawn sp = { .args = args, .env = env };
	struct h_run *r = h_run(&sp);
	cr_expect_eq(r->exit_code, 2, "%s", r->err);
	cr_expect(h_contains(r->err, "--tls-cert needs --tls-key"), "%s", r->err);
}

Test(tls, the_environment_turns_tls_on)
{
	const char *dir = h_stub_dir("hello.yaml", stub_yaml, NULL);
	const char *env[] = { "CANNERY_TLS_SELF_SIGNED=1", NULL };
	const char *args[] = { "serve", dir, "--port", "0", NULL };
	struct h_spawn sp = { .args = args, .env = env };
	struct h_server *s = h_server_spawn(&sp);
	cr_expect(h_contains(s->ready_line, " on https://"), "%s", s->ready_line);
	h_server_stop_ok(s);
}

Test(tls, a_client_that_never_finishes_its_handshake_is_closed_by_the_head_timeout)
{
	/* valgrind makes every handshake slow: the next request's must still fit */
	struct h_server *s = serve_tls(NULL, "--head-timeout", getenv("CANNERY_TEST_VALGRIND") ? "10s" : "300ms");
	int fd = h_connect(s);
	/* half a ClientHello's record header, then nothing */
	struct h_raw *r = h_sock_exchange(fd, "\x16\x03\x01", 3, H_UNTIL_CLOSE, H_DEADLINE_MS);
	cr_expect(r->closed, "the stalled handshake was not closed (timed out: %d)", r->timed_out);
	h_assert_get(s, "/hello", 200, "{\"hello\":\"tls\"}");
	h_server_stop_ok(s);
}

Test(tls, an_expired_certificate_is_served_with_a_warning)
{
	need_openssl();
	const char *dir = h_tmpdir();
	struct pair p = make_pair(dir, "fresh");
	const char *csr = h_fmt("%s/r.csr", dir), *old = h_fmt("%s/old.crt", dir);
	cr_assert_eq(system(h_fmt("openssl req -new -key %s -subj /CN=localhost -out %s >/dev/null 2>&1 && "
				  "openssl x509 -req -in %s -signkey %s -days -1 -out %s >/dev/null 2>&1",
				  p.key, csr, csr, p.key, old)),
		     0);
	struct h_server *s = h_serve(h_stub_dir("hello.yaml", stub_yaml, NULL), "--tls-cert", old, "--tls-key", p.key,
				     NULL);
	char *line = h_server_wait_log(s, "cannery: warning: TLS certificate", "expired on", NULL);
	cr_expect(line, "no warning: %s", h_server_stderr(s));
	cr_expect(h_contains(line, old), "%s", line);
	s->ca_file = old;
	struct h_response *r = h_get(s, "/hello");
	cr_expect_eq(r->curl_code, CURLE_PEER_FAILED_VERIFICATION, "an expired certificate verified: %d %s", r->curl_code,
		     r->error);
	h_server_stop_ok(s);
}
