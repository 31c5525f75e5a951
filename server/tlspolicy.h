/*
 * tlspolicy: one TLS policy for HTTPS and SIP.  HTTPS (GnuTLS) gets it
 * through its priority string (http.c); sofia-sip 1.12.11 sets its own
 * cipher list on every SSL_CTX it makes ("ALL:!ADH:..."), after OpenSSL's
 * configuration has been applied, and has no tag to change it.  So the
 * daemon defines SSL_CTX_set_cipher_list itself: sofia's call comes
 * here and gets TLSPOLICY_CIPHERS instead of what it asked for.  The
 * same call sets SSL_MODE_RELEASE_BUFFERS on the context: a subscriber's
 * connection is idle for hours, and its record buffers need not be.
 */
#ifndef SIPCFG_TLSPOLICY_H
#define SIPCFG_TLSPOLICY_H

/*
 * TLS 1.2 suites: ECDHE key exchange only (forward secrecy), AEAD only
 * (no CBC), in the order of the HTTPS side.  TLS 1.3 suites are all AEAD
 * and the groups (TLSPOLICY_GROUPS) all elliptic curves.
 */
#define TLSPOLICY_CIPHERS \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384"
#define TLSPOLICY_GROUPS	"X25519:P-256:P-384"

/* How many cipher lists were replaced (tests; 0 until sofia made one). */
unsigned	 tlspolicy_replaced(void);

#endif
