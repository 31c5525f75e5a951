/*
 * credential: passwords the server makes itself (RFC 6011 §5 "a
 * one-time password valid only for the initial access"): the one-time
 * password `sipcfg user add --one-time` prints, the long-term password
 * sipcfgd hands a phone when that one is used, and the pair of HA1s
 * every password is stored as.  Thread-safe.
 *
 * Generated passwords use an alphabet without look-alikes (0/O, 1/l/I)
 * and without any character a vendor format would have to escape or
 * could take as a separator (quotes, blanks, '<', '&', ']', '$'), so they
 * are typed and printed in any template as they are.
 */
#ifndef SIPCFG_CREDENTIAL_H
#define SIPCFG_CREDENTIAL_H

#include <stddef.h>

#include "digest.h"

#define CREDENTIAL_ALPHABET \
	"23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
#define CREDENTIAL_OTP_LEN	16	/* about 92 bits, typed by a person */
#define CREDENTIAL_LONG_LEN	24	/* about 138 bits, only machines */
#define CREDENTIAL_MAX		64

/*
 * len random characters of CREDENTIAL_ALPHABET (OpenSSL's RAND_bytes,
 * without modulo bias) and a NUL into out of at least len + 1 bytes;
 * len is 1..CREDENTIAL_MAX.  0/-1.
 */
int	 credential_generate(char *out, size_t outlen, size_t len);

/* Both HA1s of user:realm:password (RFC 7616 §3.4.2).  0/-1. */
int	 credential_ha1s(const char *user, const char *realm,
	    const char *password, char md5[DIGEST_HA1_MD5_HEX],
	    char sha256[DIGEST_HA1_SHA256_HEX]);

#endif
