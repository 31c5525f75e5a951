/*
 * seal: AES-256-GCM sealing of stored secrets under a key file (see
 * seal.h).  The nonce is random (96 bits) for every value.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "seal.h"
#include "store.h"
#include "util.h"

#define NONCE_LEN	12
#define TAG_LEN		16
#define PREFIX		"s1:"

void
seal_key_path(const char *store, char *out, size_t outlen)
{
	const char	*env = getenv("SIPCFG_SEAL_KEY");

	if (env != NULL && *env != '\0')
		snprintf(out, outlen, "%s", env);
	else if (store_is_pg(store))
		snprintf(out, outlen, "%s", "");	/* a URI has no beside */
	else
		snprintf(out, outlen, "%s.key", store);
}

int
seal_key_load(const char *path, unsigned char key[SEAL_KEY_LEN], char *err,
    size_t errlen)
{
	struct stat	 sb;
	ssize_t		 n;
	int		 fd;
	unsigned char	 extra;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) != 0 || (sb.st_mode & 077) != 0) {
		snprintf(err, errlen, "%s: must be readable by its owner only "
		    "(chmod 600)", path);
		close(fd);
		return -1;
	}
	n = read(fd, key, SEAL_KEY_LEN);
	if (n != SEAL_KEY_LEN || read(fd, &extra, 1) != 0) {
		snprintf(err, errlen, "%s: not a %d-byte key", path,
		    SEAL_KEY_LEN);
		util_wipe(key, SEAL_KEY_LEN);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
seal_key_create(const char *path, char *err, size_t errlen)
{
	unsigned char	 k[SEAL_KEY_LEN];
	int		 fd, rc = -1;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) < 0) {
		if (errno == EEXIST)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (util_random(k, sizeof(k)) == 0 &&
	    write(fd, k, sizeof(k)) == (ssize_t)sizeof(k) && fsync(fd) == 0)
		rc = 1;
	else
		snprintf(err, errlen, "%s: cannot write the key", path);
	util_wipe(k, sizeof(k));
	if (close(fd) != 0)
		rc = -1;
	if (rc < 0)
		unlink(path);
	return rc;
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void
enc64(const unsigned char *in, size_t n, char *out)
{
	size_t	 i, o = 0;
	unsigned v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = b64[v & 63];
	}
	if (n - i == 1) {
		v = (unsigned)in[i] << 16;
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
	} else if (n - i == 2) {
		v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
	}
	out[o] = '\0';
}

static int
dec64(const char *in, unsigned char *out, size_t outmax, size_t *n)
{
	unsigned	 v = 0;
	int		 bits = 0;
	const char	*p;

	*n = 0;
	for (; *in; in++) {
		if ((p = strchr(b64, *in)) == NULL)
			return -1;
		v = (v << 6) | (unsigned)(p - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (*n == outmax)
				return -1;
			out[(*n)++] = (unsigned char)(v >> bits);
			v &= (1u << bits) - 1;
		}
	}
	return 0;
}

char *
seal_seal(const unsigned char key[SEAL_KEY_LEN], const char *purpose,
    const void *in, size_t n)
{
	EVP_CIPHER_CTX	*c;
	unsigned char	*raw;
	char		*out = NULL;
	int		 len, ok = 0;

	if (n > 65536 || (raw = malloc(NONCE_LEN + n + TAG_LEN)) == NULL)
		return NULL;
	if ((c = EVP_CIPHER_CTX_new()) != NULL &&
	    util_random(raw, NONCE_LEN) == 0 &&
	    EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, raw) == 1 &&
	    EVP_EncryptUpdate(c, NULL, &len, (const unsigned char *)purpose,
	    (int)strlen(purpose)) == 1 &&
	    EVP_EncryptUpdate(c, raw + NONCE_LEN, &len, in, (int)n) == 1 &&
	    EVP_EncryptFinal_ex(c, raw + NONCE_LEN + len, &len) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
	    raw + NONCE_LEN + n) == 1)
		ok = 1;
	EVP_CIPHER_CTX_free(c);
	if (ok && (out = malloc(sizeof(PREFIX) + (NONCE_LEN + n + TAG_LEN) *
	    4 / 3 + 4)) != NULL) {
		memcpy(out, PREFIX, sizeof(PREFIX) - 1);
		enc64(raw, NONCE_LEN + n + TAG_LEN, out + sizeof(PREFIX) - 1);
	}
	util_wipe(raw, NONCE_LEN + n + TAG_LEN);
	free(raw);
	return out;
}

int
seal_open(const unsigned char key[SEAL_KEY_LEN], const char *purpose,
    const char *sealed, char *out, size_t outlen)
{
	EVP_CIPHER_CTX	*c;
	unsigned char	 raw[NONCE_LEN + SEAL_VALUE_MAX + TAG_LEN];
	size_t		 n, ct;
	int		 len, ok = 0;

	out[0] = '\0';
	if (strncmp(sealed, PREFIX, sizeof(PREFIX) - 1) != 0 ||
	    dec64(sealed + sizeof(PREFIX) - 1, raw, sizeof(raw), &n) != 0 ||
	    n < NONCE_LEN + TAG_LEN || (ct = n - NONCE_LEN - TAG_LEN) >= outlen)
		return -1;
	if ((c = EVP_CIPHER_CTX_new()) != NULL &&
	    EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, raw) == 1 &&
	    EVP_DecryptUpdate(c, NULL, &len, (const unsigned char *)purpose,
	    (int)strlen(purpose)) == 1 &&
	    EVP_DecryptUpdate(c, (unsigned char *)out, &len, raw + NONCE_LEN,
	    (int)ct) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
	    raw + NONCE_LEN + ct) == 1 &&
	    EVP_DecryptFinal_ex(c, (unsigned char *)out + len, &len) == 1)
		ok = 1;
	EVP_CIPHER_CTX_free(c);
	util_wipe(raw, sizeof(raw));
	if (!ok) {
		util_wipe(out, outlen);
		out[0] = '\0';
		return -1;
	}
	out[ct] = '\0';
	return 0;
}
