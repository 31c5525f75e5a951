/*
 * encrypt: per-device encrypted configuration files (issue 5, BRIEF.md §3,
 * NOTES-apis.md §4), in formats an administrator opens with stock
 * OpenSSL:
 *   ENC_CMS_PASSWORD  CMS EnvelopedData, AES-256-CBC, a PWRI recipient
 *                     (PBKDF2) whose password is the key in lower-case hex
 *                     (openssl cms -decrypt -pwri_password HEX)
 *   ENC_CMS_CERT      CMS AuthEnvelopedData, AES-256-GCM, to the device's
 *                     certificate (openssl cms -decrypt -recip/-inkey)
 *   ENC_OPENSSL_MD5   the legacy "Salted__" format of openssl enc
 *                     -aes-256-cbc -md md5 with the key's hex as the
 *                     passphrase (Panasonic KX-UTG, Grandstream firmware)
 * Output is deterministic: every random input (salts, IVs, content keys)
 * is derived from HMAC-SHA256(key, label || etag), so the same key and
 * the same plaintext ETag always give the same bytes (RFC 6011 §2.4: the
 * same ETag means the same bytes), on any instance.
 */
#ifndef SIPCFG_ENCRYPT_H
#define SIPCFG_ENCRYPT_H

#include <stddef.h>

#include "buf.h"

#define ENC_KEY_LEN	32

enum enc_mode { ENC_NONE, ENC_CMS_PASSWORD, ENC_CMS_CERT, ENC_OPENSSL_MD5 };

/* "cms-password", "cms-cert", "openssl-enc-md5", "none" <-> the mode. */
int		 enc_mode_parse(const char *, enum enc_mode *);
const char	*enc_mode_name(enum enc_mode);

/*
 * Encrypt in (inlen bytes) for mode into out (DER for the CMS modes, the
 * raw Salted__ bytes for ENC_OPENSSL_MD5).  key: ENC_KEY_LEN bytes.
 * cert_pem: the recipient certificate (ENC_CMS_CERT only, else NULL).
 * seed: what makes the output deterministic (the plaintext's ETag).
 * 0, or -1 with a one-line reason in err.  Thread-safe.
 */
int		 enc_encrypt(enum enc_mode, const unsigned char *key,
		    const char *cert_pem, const char *seed, const void *in,
		    size_t inlen, struct buf *out, char *err, size_t errlen);

#endif
