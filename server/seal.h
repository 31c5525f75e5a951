/*
 * seal: secrets a template must print in clear (a vendor format's SIP
 * password) are kept sealed in the store with AES-256-GCM under a key
 * file outside the database, made by `sipcfg init` (issues 5 and 6): a
 * store file copied elsewhere without its key file reveals none of them.
 * HA1 values stay as they are.
 *
 * A sealed value is "s1:" + base64url(nonce(12) || ciphertext || tag(16)),
 * with the purpose ("line-password", ...) as additional data, so a value
 * cannot be moved to a field of another kind.
 */
#ifndef SIPCFG_SEAL_H
#define SIPCFG_SEAL_H

#include <stddef.h>

#define SEAL_KEY_LEN	32
#define SEAL_PATH_MAX	1100
#define SEAL_VALUE_MAX	1024	/* bytes seal_open() opens, at most */

/*
 * The key file that goes with a store: $SIPCFG_SEAL_KEY when set, else
 * STORE.key for a SQLite store, else "" (a PostgreSQL store: the key
 * stays a file beside each sipcfgd, never in the database; issue 13).
 */
void	 seal_key_path(const char *store, char *out, size_t outlen);
/*
 * Load the key; -1 with a reason in err when the file is missing, not
 * 32 bytes, or readable by others than its owner.
 */
int	 seal_key_load(const char *path, unsigned char key[SEAL_KEY_LEN],
	    char *err, size_t errlen);
/* Make a new random key file (0600); 1 made, 0 it existed, -1 error. */
int	 seal_key_create(const char *path, char *err, size_t errlen);
/* A sealed copy of n bytes (malloc'd string), or NULL. */
char	*seal_seal(const unsigned char key[SEAL_KEY_LEN], const char *purpose,
	    const void *in, size_t n);
/* Open a sealed value into out (NUL-terminated); 0, or -1 if forged. */
int	 seal_open(const unsigned char key[SEAL_KEY_LEN], const char *purpose,
	    const char *sealed, char *out, size_t outlen);

#endif
