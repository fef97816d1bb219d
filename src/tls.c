/* SPDX-License-Identifier: MIT */
/* HTTPS identities over GnuTLS: PEM files read and checked (so that a bad certificate or
 * key is our one-line error, not libmicrohttpd's refusal), self-signed ones generated, and
 * the raw writes of the HTTP adapter on a TLS session. */
#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/strbuf.h"
#include "util/xalloc.h"

struct tls_identity {
	char *cert_pem;
	char *key_pem;
	size_t key_len;
	char fingerprint[32 * 3];
	char *warning;
};

/* A certificate or key file is a few KiB; a chain a few dozen. Anything bigger is not one. */
#define PEM_MAX ((size_t)1 << 20)

#define BEGIN_CERT "-----BEGIN CERTIFICATE-----"

__attribute__((format(printf, 2, 3)))
static int fail(char **error, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	*error = strbuf_detach(&sb, NULL);
	return -EINVAL;
}

/* The whole file, NUL-terminated, or NULL with *error naming it. */
static char *read_pem_file(const char *path, const char *what, char **error)
{
	/* non-blocking open: a FIFO nobody writes to then reads as empty instead of hanging
	 * the start; reads block again, so that `--tls-key <(command)` still works */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	if (fd < 0) {
		fail(error, "cannot read TLS %s '%s': %s", what, path, strerror(errno));
		return NULL;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		fail(error, "cannot read TLS %s '%s': it is a directory, expected a PEM file", what, path);
		return NULL;
	}
	struct strbuf sb = STRBUF_INIT;
	char buf[8192];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;
			close(fd);
			gnutls_memset(sb.buf, 0, sb.len);
			strbuf_release(&sb);
			fail(error, "cannot read TLS %s '%s': %s", what, path, strerror(err));
			return NULL;
		}
		if (n == 0)
			break;
		strbuf_add(&sb, buf, (size_t)n);
		if (sb.len > PEM_MAX) {
			close(fd);
			gnutls_memset(sb.buf, 0, sb.len);
			strbuf_release(&sb);
			fail(error, "TLS %s '%s' is larger than 1 MiB: expected a PEM file", what, path);
			return NULL;
		}
	}
	close(fd);
	gnutls_memset(buf, 0, sizeof(buf));
	return strbuf_detach(&sb, NULL);
}

static void format_fingerprint(const unsigned char *md, size_t n, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		out[3 * i] = hex[md[i] >> 4];
		out[3 * i + 1] = hex[md[i] & 15];
		out[3 * i + 2] = i + 1 < n ? ':' : '\0';
	}
}

static int set_fingerprint(struct tls_identity *id, gnutls_x509_crt_t crt)
{
	unsigned char md[32];
	size_t n = sizeof(md);
	if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, md, &n) < 0 || n != sizeof(md))
		return -EIO;
	format_fingerprint(md, n, id->fingerprint);
	return 0;
}

static void day_text(time_t t, char *buf, size_t size)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M UTC", &tm);
}

/* Clients refuse a certificate outside its validity period: worth a line, not a refusal
 * to start (a test may serve an expired one on purpose). */
static void check_validity(struct tls_identity *id, gnutls_x509_crt_t crt, const char *cert_name)
{
	time_t now = time(NULL), from = gnutls_x509_crt_get_activation_time(crt),
	       until = gnutls_x509_crt_get_expiration_time(crt);
	char when[64];
	struct strbuf sb = STRBUF_INIT;
	if (until != (time_t)-1 && until < now) {
		day_text(until, when, sizeof(when));
		strbuf_addf(&sb, "TLS certificate '%s' expired on %s: clients will refuse it", cert_name, when);
	} else if (from != (time_t)-1 && from > now) {
		day_text(from, when, sizeof(when));
		strbuf_addf(&sb, "TLS certificate '%s' is not valid before %s: clients will refuse it", cert_name, when);
	}
	id->warning = sb.len ? strbuf_detach(&sb, NULL) : NULL;
	strbuf_release(&sb);
}

static bool has_private_key_block(const char *pem)
{
	const char *p = pem;
	while ((p = strstr(p, "-----BEGIN ")) != NULL) {
		const char *eol = strstr(p + 11, "-----");
		if (!eol)
			return false;
		/* "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY" */
		if (eol - p >= 22 && memcmp(eol - 11, "PRIVATE KEY", 11) == 0)
			return true;
		p = eol;
	}
	return false;
}

/* What the key text holds, when it is not an unencrypted private key: the message. */
static int check_key_text(const char *key_pem, const char *key_name, char **error)
{
	if (strstr(key_pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----") || strstr(key_pem, "Proc-Type: 4,ENCRYPTED"))
		return fail(error, "TLS key '%s' is encrypted: expected an unencrypted PEM private key "
			    "(decrypt it with 'openssl pkey -in KEY -out KEY.pem')", key_name);
	if (has_private_key_block(key_pem))
		return 0;
	if (strstr(key_pem, BEGIN_CERT))
		return fail(error, "TLS key '%s' holds a certificate, not a private key "
			    "(are the certificate and the key swapped?)", key_name);
	if ((unsigned char)key_pem[0] == 0x30)
		return fail(error, "TLS key '%s' is not PEM (it looks like DER): expected a "
			    "'-----BEGIN PRIVATE KEY-----' block", key_name);
	return fail(error, "TLS key '%s' is not a PEM private key: expected a '-----BEGIN PRIVATE KEY-----' block",
		    key_name);
}

static int check_cert_text(const char *cert_pem, const char *cert_name, char **error)
{
	if (strstr(cert_pem, BEGIN_CERT))
		return 0;
	if (has_private_key_block(cert_pem))
		return fail(error, "TLS certificate '%s' holds a private key, not a certificate "
			    "(are the certificate and the key swapped?)", cert_name);
	if ((unsigned char)cert_pem[0] == 0x30)
		return fail(error, "TLS certificate '%s' is not PEM (it looks like DER; convert it with "
			    "'openssl x509 -inform der -in CERT -out CERT.pem')", cert_name);
	return fail(error, "TLS certificate '%s' is not PEM: expected a '" BEGIN_CERT "' block", cert_name);
}

/* Whether the key belongs to the certificate: the same public key, by its SHA-256 id. */
static int check_pair(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, const char *cert_name, const char *key_name,
		      char **error)
{
	unsigned char a[64], b[64];
	size_t na = sizeof(a), nb = sizeof(b);
	int rc = gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, a, &na);
	if (rc < 0)
		return fail(error, "TLS certificate '%s' has no usable public key: %s", cert_name, gnutls_strerror(rc));
	rc = gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256, b, &nb);
	if (rc < 0)
		return fail(error, "TLS key '%s' is not usable: %s", key_name, gnutls_strerror(rc));
	if (na != nb || memcmp(a, b, na) != 0)
		return fail(error, "TLS key '%s' does not match certificate '%s' (their public keys differ)", key_name,
			    cert_name);
	return 0;
}

/* What libmicrohttpd will do with them (gnutls_certificate_set_x509_key_mem), done first so
 * that a refusal is ours and names the files. */
static int check_credential(const char *cert_pem, const char *cert_name, const char *key_pem, const char *key_name,
			    char **error)
{
	gnutls_certificate_credentials_t cred;
	if (gnutls_certificate_allocate_credentials(&cred) < 0)
		return fail(error, "cannot allocate TLS credentials");
	gnutls_datum_t c = { (unsigned char *)cert_pem, (unsigned)strlen(cert_pem) };
	gnutls_datum_t k = { (unsigned char *)key_pem, (unsigned)strlen(key_pem) };
	int rc = gnutls_certificate_set_x509_key_mem(cred, &c, &k, GNUTLS_X509_FMT_PEM);
	gnutls_certificate_free_credentials(cred);
	if (rc < 0)
		return fail(error, "TLS certificate '%s' and key '%s' cannot serve TLS: %s", cert_name, key_name,
			    gnutls_strerror(rc));
	return 0;
}

/* Checks the texts; on success they move into a new identity. */
static int make_identity(char *cert_pem, const char *cert_name, char *key_pem, const char *key_name,
			 struct tls_identity **out, char **error)
{
	gnutls_x509_crt_t *certs = NULL;
	unsigned ncerts = 0;
	gnutls_x509_privkey_t key = NULL;
	struct tls_identity *id = NULL;
	int rc = check_cert_text(cert_pem, cert_name, error);
	if (rc == 0)
		rc = check_key_text(key_pem, key_name, error);
	if (rc < 0)
		goto out;
	gnutls_datum_t cd = { (unsigned char *)cert_pem, (unsigned)strlen(cert_pem) };
	int g = gnutls_x509_crt_list_import2(&certs, &ncerts, &cd, GNUTLS_X509_FMT_PEM, 0);
	if (g < 0 || ncerts == 0) {
		rc = fail(error, "TLS certificate '%s' does not parse: %s", cert_name,
			  g < 0 ? gnutls_strerror(g) : "no certificate in it");
		goto out;
	}
	gnutls_datum_t kd = { (unsigned char *)key_pem, (unsigned)strlen(key_pem) };
	if (gnutls_x509_privkey_init(&key) < 0) {
		rc = fail(error, "cannot allocate a TLS key");
		goto out;
	}
	g = gnutls_x509_privkey_import2(key, &kd, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN);
	if (g < 0) {
		rc = fail(error, "TLS key '%s' does not parse: %s", key_name, gnutls_strerror(g));
		goto out;
	}
	rc = check_pair(certs[0], key, cert_name, key_name, error);
	if (rc == 0)
		rc = check_credential(cert_pem, cert_name, key_pem, key_name, error);
	if (rc < 0)
		goto out;
	id = xcalloc(1, sizeof(*id));
	if (set_fingerprint(id, certs[0]) < 0) {
		free(id);
		id = NULL;
		rc = fail(error, "TLS certificate '%s': cannot compute its fingerprint", cert_name);
		goto out;
	}
	check_validity(id, certs[0], cert_name);
	id->cert_pem = cert_pem;
	id->key_pem = key_pem;
	id->key_len = strlen(key_pem);
	cert_pem = key_pem = NULL;
	*out = id;
out:
	for (unsigned i = 0; i < ncerts; i++)
		gnutls_x509_crt_deinit(certs[i]);
	gnutls_free(certs);
	if (key)
		gnutls_x509_privkey_deinit(key);
	free(cert_pem);
	if (key_pem) {
		gnutls_memset(key_pem, 0, strlen(key_pem));
		free(key_pem);
	}
	return rc;
}

int tls_identity_load(const char *cert_file, const char *key_file, struct tls_identity **out, char **error)
{
	*out = NULL;
	char *cert = read_pem_file(cert_file, "certificate", error);
	if (!cert)
		return -EINVAL;
	char *key = read_pem_file(key_file, "key", error);
	if (!key) {
		free(cert);
		return -EINVAL;
	}
	return make_identity(cert, cert_file, key, key_file, out, error);
}

int tls_identity_from_pem(const char *cert_pem, const char *cert_name, const char *key_pem, const char *key_name,
			  struct tls_identity **out, char **error)
{
	*out = NULL;
	return make_identity(xstrdup(cert_pem), cert_name, xstrdup(key_pem), key_name, out, error);
}

static char *datum_text(gnutls_datum_t *d)
{
	char *s = xmemdup0(d->data, d->size);
	gnutls_memset(d->data, 0, d->size);
	gnutls_free(d->data);
	d->data = NULL;
	return s;
}

#define GEN(call)                                    \
	do {                                         \
		if ((g = (call)) < 0)                \
			goto fail;                   \
	} while (0)

int tls_identity_self_signed(struct tls_identity **out, char **error)
{
	time_t now = time(NULL);
	/* an hour back: clocks drift */
	return tls_identity_generate(now - 3600, now + 365 * 86400, out, error);
}

int tls_identity_generate(time_t not_before, time_t not_after, struct tls_identity **out, char **error)
{
	static const unsigned char v4[4] = { 127, 0, 0, 1 };
	static const unsigned char v6[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	static const char org[] = "cannery self-signed";
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t cd = { NULL, 0 }, kd = { NULL, 0 };
	unsigned char serial[16], kid[64];
	size_t nkid = sizeof(kid);
	int g;
	*out = NULL;
	GEN(gnutls_x509_privkey_init(&key));
	GEN(gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0));
	GEN(gnutls_x509_crt_init(&crt));
	GEN(gnutls_x509_crt_set_version(crt, 3));
	GEN(gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial)));
	serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x40);  /* positive, 16 bytes long */
	GEN(gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)));
	GEN(gnutls_x509_crt_set_activation_time(crt, not_before));
	GEN(gnutls_x509_crt_set_expiration_time(crt, not_after));
	GEN(gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0, org, sizeof(org) - 1));
	GEN(gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, "localhost", 9));
	GEN(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, "localhost", 9, GNUTLS_FSAN_APPEND));
	GEN(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, v4, sizeof(v4), GNUTLS_FSAN_APPEND));
	GEN(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, v6, sizeof(v6), GNUTLS_FSAN_APPEND));
	/* an end entity: Firefox refuses a CA certificate as a server's own */
	GEN(gnutls_x509_crt_set_basic_constraints(crt, 0, -1));
	GEN(gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE));
	GEN(gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0));
	GEN(gnutls_x509_crt_set_key(crt, key));
	GEN(gnutls_x509_crt_get_key_id(crt, 0, kid, &nkid));
	GEN(gnutls_x509_crt_set_subject_key_id(crt, kid, nkid));
	GEN(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0));
	GEN(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cd));
	GEN(gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN, &kd));
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
	return make_identity(datum_text(&cd), "self-signed", datum_text(&kd), "self-signed", out, error);
fail:
	if (kd.data) {
		gnutls_memset(kd.data, 0, kd.size);
		gnutls_free(kd.data);
	}
	gnutls_free(cd.data);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (key)
		gnutls_x509_privkey_deinit(key);
	return fail(error, "cannot generate a self-signed TLS certificate: %s", gnutls_strerror(g));
}

const char *tls_identity_cert_pem(const struct tls_identity *id)
{
	return id->cert_pem;
}

const char *tls_identity_key_pem(const struct tls_identity *id)
{
	return id->key_pem;
}

const char *tls_identity_fingerprint(const struct tls_identity *id)
{
	return id->fingerprint;
}

const char *tls_identity_warning(const struct tls_identity *id)
{
	return id->warning;
}

void tls_identity_destroy(struct tls_identity *id)
{
	if (!id)
		return;
	gnutls_memset(id->key_pem, 0, id->key_len);
	free(id->key_pem);
	free(id->cert_pem);
	free(id->warning);
	free(id);
}

ssize_t tls_session_send(void *session, const void *buf, size_t len)
{
	ssize_t n = gnutls_record_send((gnutls_session_t)session, buf, len);
	if (n >= 0)
		return n;
	if (n == GNUTLS_E_AGAIN)
		return -EAGAIN;
	if (n == GNUTLS_E_INTERRUPTED)
		return -EINTR;
	return -EIO;
}
