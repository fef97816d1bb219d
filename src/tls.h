/* SPDX-License-Identifier: MIT */
/* HTTPS identities (SPEC section 12): a certificate and its private key as PEM text, read
 * from files or memory and checked before libmicrohttpd sees them, or generated at start
 * for localhost. The GnuTLS adapter: the only file that includes GnuTLS's headers. */
#pragma once
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

/** A checked certificate (chain) and key, immutable once made; any thread may read it. */
struct tls_identity;

/** Reads cert_file and key_file (PEM) and checks them: each is there and readable, the
 *  certificate file holds PEM certificates, the key file an unencrypted PEM private key,
 *  the key belongs to the first certificate, and GnuTLS takes the pair as a server
 *  credential. Returns 0 and *out (free with tls_identity_destroy), or a negative errno
 *  and a one-line message naming the file and the problem in *error (caller frees), e.g.
 *  "TLS key 'k.pem' does not match certificate 'c.pem' (their public keys differ)". */
int tls_identity_load(const char *cert_file, const char *key_file, struct tls_identity **out, char **error);

/** tls_identity_load for PEM text in memory; cert_name and key_name stand for the files in
 *  messages (e.g. "tls_cert_pem"). */
int tls_identity_from_pem(const char *cert_pem, const char *cert_name, const char *key_pem, const char *key_name,
			  struct tls_identity **out, char **error);

/** Generates a new ECDSA P-256 key and a certificate signed by it, valid from an hour ago
 *  for 365 days, for the names localhost, 127.0.0.1 and ::1 (subjectAltName entries; CN
 *  localhost), an end entity (not a CA) for TLS servers. Returns 0 and *out, or a negative
 *  errno and *error (caller frees). */
int tls_identity_self_signed(struct tls_identity **out, char **error);

/** tls_identity_self_signed with the validity period given (seconds since the epoch): for
 *  certificates that have expired or are not valid yet. */
int tls_identity_generate(time_t not_before, time_t not_after, struct tls_identity **out, char **error);

/** The certificate chain as PEM text, NUL-terminated; borrowed from id. */
const char *tls_identity_cert_pem(const struct tls_identity *id);
/** The private key as PEM text, NUL-terminated; borrowed from id (wiped at destroy). */
const char *tls_identity_key_pem(const struct tls_identity *id);
/** The first certificate's SHA-256 fingerprint as `openssl x509 -fingerprint -sha256`
 *  prints it: 32 upper-case hex bytes separated by colons. Borrowed from id. */
const char *tls_identity_fingerprint(const struct tls_identity *id);
/** What a client may dislike about a loaded certificate (expired, not valid yet), as one
 *  line without "warning:", or NULL. Borrowed from id. */
const char *tls_identity_warning(const struct tls_identity *id);

/** Frees id, wiping the key's text. NULL does nothing. */
void tls_identity_destroy(struct tls_identity *id);

/** Sends len bytes of buf as application data on a TLS session libmicrohttpd handed out
 *  (MHD_CONNECTION_INFO_GNUTLS_SESSION), for the answers the adapter writes itself (faults,
 *  custom reason phrases). Returns the bytes sent (> 0), -EAGAIN when the socket has no room
 *  (call again with the same buf and len once it has), -EINTR, or -EIO. Only on the thread
 *  that runs the connection's handler. */
ssize_t tls_session_send(void *session, const void *buf, size_t len);
