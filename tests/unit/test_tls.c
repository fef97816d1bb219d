/* SPDX-License-Identifier: MIT */
/* tls.h: identities made self-signed, read back from their PEM text and from files, and
 * every refusal worded as one line naming the file: missing, a directory, not PEM, DER,
 * swapped, encrypted, a key of another certificate, a PEM block that does not parse. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "testutil.h"
#include "tls.h"

TestSuite(tls);

static struct tls_identity *self_signed(void)
{
	struct tls_identity *id = NULL;
	char *err = NULL;
	cr_assert_eq(tls_identity_self_signed(&id, &err), 0, "%s", err ? err : "?");
	cr_assert_not_null(id);
	return id;
}

/* A refusal: -EINVAL, no identity, and one line holding needle (and needle2). */
static void expect_refused(int rc, struct tls_identity *id, char *err, const char *needle, const char *needle2)
{
	cr_expect_eq(rc, -EINVAL, "rc %d", rc);
	cr_expect_null(id);
	cr_assert_not_null(err);
	cr_expect_null(strchr(err, '\n'), "more than one line: %s", err);
	cr_expect(strstr(err, needle), "'%s' lacks '%s'", err, needle);
	if (needle2)
		cr_expect(strstr(err, needle2), "'%s' lacks '%s'", err, needle2);
	free(err);
}

static void from_pem_refused(const char *cert, const char *key, const char *needle, const char *needle2)
{
	struct tls_identity *id = NULL;
	char *err = NULL;
	int rc = tls_identity_from_pem(cert, "c.pem", key, "k.pem", &id, &err);
	expect_refused(rc, id, err, needle, needle2);
	tls_identity_destroy(id);
}

Test(tls, a_self_signed_identity_has_pem_texts_and_an_openssl_style_fingerprint)
{
	struct tls_identity *id = self_signed();
	cr_expect(strstr(tls_identity_cert_pem(id), "-----BEGIN CERTIFICATE-----"));
	cr_expect(strstr(tls_identity_key_pem(id), "-----BEGIN PRIVATE KEY-----"));
	const char *fp = tls_identity_fingerprint(id);
	cr_assert_eq(strlen(fp), 95, "%s", fp);
	for (size_t i = 0; i < 95; i++) {
		if (i % 3 == 2)
			cr_expect_eq(fp[i], ':', "%s", fp);
		else
			cr_expect(strchr("0123456789ABCDEF", fp[i]), "%s", fp);
	}
	cr_expect_null(tls_identity_warning(id));
	tls_identity_destroy(id);
}

Test(tls, two_self_signed_identities_differ)
{
	struct tls_identity *a = self_signed(), *b = self_signed();
	cr_expect_str_neq(tls_identity_fingerprint(a), tls_identity_fingerprint(b));
	cr_expect_str_neq(tls_identity_key_pem(a), tls_identity_key_pem(b));
	tls_identity_destroy(a);
	tls_identity_destroy(b);
}

Test(tls, pem_text_reads_back_with_the_same_fingerprint)
{
	struct tls_identity *a = self_signed(), *b = NULL;
	char *err = NULL;
	cr_assert_eq(tls_identity_from_pem(tls_identity_cert_pem(a), "c", tls_identity_key_pem(a), "k", &b, &err), 0,
		     "%s", err ? err : "?");
	cr_expect_str_eq(tls_identity_fingerprint(a), tls_identity_fingerprint(b));
	cr_expect_str_eq(tls_identity_cert_pem(a), tls_identity_cert_pem(b));
	tls_identity_destroy(a);
	tls_identity_destroy(b);
}

Test(tls, files_read_back_and_a_chain_counts_its_first_certificate)
{
	struct tls_identity *a = self_signed(), *other = self_signed(), *b = NULL;
	const char *dir = tmpdir_enter("tls");
	(void)dir;
	put("cert.pem", tls_identity_cert_pem(a));
	put("key.pem", tls_identity_key_pem(a));
	size_t la = strlen(tls_identity_cert_pem(a)), lo = strlen(tls_identity_cert_pem(other));
	char *chain = malloc(la + lo + 1);
	memcpy(chain, tls_identity_cert_pem(a), la);
	memcpy(chain + la, tls_identity_cert_pem(other), lo + 1);
	put("chain.pem", chain);
	char *err = NULL;
	cr_assert_eq(tls_identity_load("cert.pem", "key.pem", &b, &err), 0, "%s", err ? err : "?");
	cr_expect_str_eq(tls_identity_fingerprint(a), tls_identity_fingerprint(b));
	tls_identity_destroy(b);
	b = NULL;
	cr_assert_eq(tls_identity_load("chain.pem", "key.pem", &b, &err), 0, "%s", err ? err : "?");
	cr_expect_str_eq(tls_identity_fingerprint(a), tls_identity_fingerprint(b));
	cr_expect_str_eq(tls_identity_cert_pem(b), chain);
	tls_identity_destroy(b);
	free(chain);
	tls_identity_destroy(a);
	tls_identity_destroy(other);
	tmpdir_leave();
}

Test(tls, unreadable_files_are_named_with_the_reason)
{
	struct tls_identity *a = self_signed(), *id = NULL;
	tmpdir_enter("tls");
	put("cert.pem", tls_identity_cert_pem(a));
	put("key.pem", tls_identity_key_pem(a));
	make_dir("dir");
	char *err = NULL;
	int rc = tls_identity_load("nope.pem", "key.pem", &id, &err);
	expect_refused(rc, id, err, "cannot read TLS certificate 'nope.pem': No such file or directory", NULL);
	err = NULL;
	rc = tls_identity_load("cert.pem", "nope.key", &id, &err);
	expect_refused(rc, id, err, "cannot read TLS key 'nope.key': No such file or directory", NULL);
	err = NULL;
	rc = tls_identity_load("cert.pem", "dir", &id, &err);
	expect_refused(rc, id, err, "cannot read TLS key 'dir': it is a directory", NULL);
	/* a FIFO nobody writes to reads as empty: an error, not a start that hangs */
	cr_assert_eq(mkfifo("fifo.pem", 0600), 0);
	err = NULL;
	rc = tls_identity_load("fifo.pem", "key.pem", &id, &err);
	expect_refused(rc, id, err, "TLS certificate 'fifo.pem' is not PEM", NULL);
	/* more than a MiB is not a certificate file */
	char *big = malloc((1u << 20) + 2);
	memset(big, 'A', (1u << 20) + 1);
	big[(1u << 20) + 1] = '\0';
	put("big.pem", big);
	free(big);
	err = NULL;
	rc = tls_identity_load("big.pem", "key.pem", &id, &err);
	expect_refused(rc, id, err, "TLS certificate 'big.pem' is larger than 1 MiB", NULL);
	tls_identity_destroy(a);
	tmpdir_leave();
}

Test(tls, a_key_of_another_certificate_is_refused)
{
	struct tls_identity *a = self_signed(), *b = self_signed();
	from_pem_refused(tls_identity_cert_pem(a), tls_identity_key_pem(b),
			 "TLS key 'k.pem' does not match certificate 'c.pem' (their public keys differ)", NULL);
	tls_identity_destroy(a);
	tls_identity_destroy(b);
}

Test(tls, texts_that_are_not_what_they_should_be_are_refused)
{
	struct tls_identity *a = self_signed();
	const char *cert = tls_identity_cert_pem(a), *key = tls_identity_key_pem(a);
	from_pem_refused("hello: world\n", key, "TLS certificate 'c.pem' is not PEM",
			 "expected a '-----BEGIN CERTIFICATE-----' block");
	from_pem_refused("", key, "TLS certificate 'c.pem' is not PEM", NULL);
	from_pem_refused("\x30\x82\x01\x0a", key, "it looks like DER", "openssl x509 -inform der");
	from_pem_refused(key, cert, "TLS certificate 'c.pem' holds a private key", "swapped");
	from_pem_refused(cert, cert, "TLS key 'k.pem' holds a certificate", "swapped");
	from_pem_refused(cert, "\x30\x82\x01\x0a", "TLS key 'k.pem' is not PEM (it looks like DER)", NULL);
	from_pem_refused(cert, "key\n", "TLS key 'k.pem' is not a PEM private key", NULL);
	from_pem_refused("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n", key,
			 "TLS certificate 'c.pem' does not parse: ", NULL);
	from_pem_refused(cert, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
			 "TLS key 'k.pem' does not parse: ", NULL);
	from_pem_refused(cert, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
			 "TLS key 'k.pem' is encrypted", "unencrypted");
	from_pem_refused(cert,
			 "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n"
			 "-----END RSA PRIVATE KEY-----\n",
			 "TLS key 'k.pem' is encrypted", NULL);
	tls_identity_destroy(a);
}

/* served (a test may want one), with a warning saying when and what clients will do */
Test(tls, a_certificate_outside_its_validity_period_gets_a_warning)
{
	struct tls_identity *old = NULL, *early = NULL, *read = NULL;
	char *err = NULL;
	time_t now = time(NULL);
	cr_assert_eq(tls_identity_generate(1735689600 - 86400, 1735689600, &old, &err), 0, "%s", err ? err : "?");
	const char *w = tls_identity_warning(old);
	cr_assert_not_null(w);
	cr_expect_str_eq(w, "TLS certificate 'self-signed' expired on 2025-01-01 00:00 UTC: clients will refuse it");
	cr_assert_eq(tls_identity_from_pem(tls_identity_cert_pem(old), "old.pem", tls_identity_key_pem(old), "old.key",
					   &read, &err),
		     0, "%s", err ? err : "?");
	cr_expect(strstr(tls_identity_warning(read), "TLS certificate 'old.pem' expired on 2025-01-01"), "%s",
		  tls_identity_warning(read));
	cr_assert_eq(tls_identity_generate(now + 86400, now + 2 * 86400, &early, &err), 0, "%s", err ? err : "?");
	cr_expect(strstr(tls_identity_warning(early), "is not valid before"), "%s", tls_identity_warning(early));
	tls_identity_destroy(old);
	tls_identity_destroy(early);
	tls_identity_destroy(read);
}

Test(tls, destroy_null_does_nothing)
{
	tls_identity_destroy(NULL);
}
