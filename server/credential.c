/*
 * credential: generated passwords and their HA1s (see credential.h).
 * Any thread.
 */
#include <string.h>

#include <openssl/rand.h>

#include "credential.h"
#include "util.h"

int
credential_generate(char *out, size_t outlen, size_t len)
{
	static const char	 abc[] = CREDENTIAL_ALPHABET;
	const unsigned		 n = sizeof(abc) - 1;
	/* The largest multiple of n that fits a byte: no modulo bias. */
	const unsigned		 lim = 256 / n * n;
	unsigned char		 rnd[CREDENTIAL_MAX];
	size_t			 got = 0, i;

	if (out == NULL || len == 0 || len > CREDENTIAL_MAX || outlen <= len)
		return -1;
	while (got < len) {
		if (RAND_bytes(rnd, (int)sizeof(rnd)) != 1) {
			util_wipe(out, outlen);
			util_wipe(rnd, sizeof(rnd));
			return -1;
		}
		for (i = 0; i < sizeof(rnd) && got < len; i++)
			if (rnd[i] < lim)
				out[got++] = abc[rnd[i] % n];
	}
	out[len] = '\0';
	util_wipe(rnd, sizeof(rnd));
	return 0;
}

int
credential_ha1s(const char *user, const char *realm, const char *password,
    char md5[DIGEST_HA1_MD5_HEX], char sha256[DIGEST_HA1_SHA256_HEX])
{
	if (digest_ha1(DIGEST_MD5, user, realm, password, md5,
	    DIGEST_HA1_MD5_HEX) != 0 || digest_ha1(DIGEST_SHA256, user, realm,
	    password, sha256, DIGEST_HA1_SHA256_HEX) != 0)
		return -1;
	return 0;
}
