/*
 * encrypt: per-device encrypted configuration files (see encrypt.h).
 * Called from any thread; a call shares nothing writable with another.
 *
 * The output must be deterministic (RFC 6011 §2.4: one ETag, one body),
 * yet CMS takes its content-encryption key, IVs, PBKDF2 salt, PWRI
 * padding, ephemeral ECDH key and RSA padding from the random generator
 * of the OpenSSL library context it runs in.  So each CMS call builds a
 * private OSSL_LIB_CTX and makes every generator in it (primary, public,
 * private and the seed source, via RAND_set_DRBG_type() and
 * RAND_set_seed_source_type(), OpenSSL 3.0) an instance of ENC_DRBG_NAME:
 * an SP 800-90A HMAC_DRBG (SHA-256) served by a provider built into this
 * file.  Its entropy input is HMAC-SHA256(key, "sipcfg enc drbg v1" ||
 * seed); its personalization string separates the mode, the public from
 * the private generator, and carries SHA-256 of the plaintext, so that a
 * seed wrongly reused for other bytes still gets a fresh GCM key and IV.
 *
 * Why not the stock generators: OpenSSL 3.0's DRBGs seed a child from its
 * parent with the child's address as additional input, so a CTR-DRBG
 * chain over a fixed seed differs from process to process (ASLR); and
 * TEST-RAND copies its entropy into a buffer it frees unwiped.  Our DRBG
 * ignores its parent, refuses reseeding and prediction resistance (it can
 * have no fresh entropy) and wipes its state.  Nothing else in the path
 * draws randomness (checked by tests/unit/test_encrypt.c, which compares
 * the bytes of two processes).
 *
 * ENC_OPENSSL_MD5 needs no generator: its only random input is the
 * 8-byte salt, the first bytes of HMAC-SHA256(key, "sipcfg enc salt v1"
 * || seed).
 */
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "encrypt.h"

#define ENC_IN_MAX	(16U << 20)	/* plaintext bound; configs are KB */
#define ENC_SEED_MAX	1024		/* an ETag is far shorter */
#define ENC_CERT_MAX	(64U << 10)	/* one PEM certificate */
#define ENC_HEX_LEN	(2 * ENC_KEY_LEN)
#define ENC_HMAC_LEN	32
#define ENC_SALT_LEN	8		/* PKCS5_SALT_LEN, openssl enc */
/*
 * PBKDF2 rounds for the PWRI.  The password is a random 256-bit key, so
 * this buys nothing against guessing it; it is the count an administrator
 * would expect from a password-based format, and costs milliseconds.
 */
#define ENC_PBKDF2_ITER	100000

#define ENC_PROV_NAME	"sipcfg-enc"
#define ENC_DRBG_NAME	"SIPCFG-HMAC-DRBG"
#define ENC_DRBG_PARAM_ENTROPY	"sipcfg-entropy"	/* octets */
#define ENC_DRBG_PARAM_PERS	"sipcfg-pers"		/* octets */

/* SP 800-90A Rev. 1 §10.1 Table 2, HMAC_DRBG with SHA-256. */
#define DRBG_OUTLEN	32
#define DRBG_STRENGTH	256
#define DRBG_MAX_REQUEST 65536		/* 2^19 bits */
#define DRBG_RESEED_MAX	((uint64_t)1 << 48)
#define DRBG_PERS_MAX	128

static const char salt_label[] = "sipcfg enc salt v1";
static const char drbg_label[] = "sipcfg enc drbg v1";
static const char salted_magic[] = "Salted__";	/* openssl enc header */

static const struct {
	enum enc_mode	 mode;
	const char	*name;
} enc_modes[] = {
	{ ENC_NONE,		"none" },
	{ ENC_CMS_PASSWORD,	"cms-password" },
	{ ENC_CMS_CERT,		"cms-cert" },
	{ ENC_OPENSSL_MD5,	"openssl-enc-md5" },
};

/*
 * Fetched once from the default library context by enc_global_init(),
 * read-only afterwards, any thread.
 */
static EVP_MAC		*enc_hmac_alg;
static EVP_MD		*enc_md5, *enc_sha256;
static EVP_CIPHER	*enc_aes_cbc;
static pthread_once_t	 enc_global_once = PTHREAD_ONCE_INIT;

static void
enc_global_init(void)
{
	enc_hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
	enc_md5 = EVP_MD_fetch(NULL, "MD5", NULL);
	enc_sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	enc_aes_cbc = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
}

int
enc_mode_parse(const char *s, enum enc_mode *mode)
{
	size_t	 i;

	if (s == NULL)
		return -1;
	for (i = 0; i < sizeof(enc_modes) / sizeof(enc_modes[0]); i++)
		if (strcmp(s, enc_modes[i].name) == 0) {
			*mode = enc_modes[i].mode;
			return 0;
		}
	return -1;
}

/* The mode's name, or NULL for a value outside the enum. */
const char *
enc_mode_name(enum enc_mode mode)
{
	size_t	 i;

	for (i = 0; i < sizeof(enc_modes) / sizeof(enc_modes[0]); i++)
		if (enc_modes[i].mode == mode)
			return enc_modes[i].name;
	return NULL;
}

static void
enc_seterr(char *err, size_t errlen, const char *what)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", what);
}

/*
 * what, then the first (innermost) OpenSSL error of this thread, on one
 * line.  OpenSSL error texts name routines and reasons, never key bytes.
 */
static void
enc_sslerr(char *err, size_t errlen, const char *what)
{
	unsigned long	 e;
	const char	*reason = NULL;

	e = ERR_peek_error();
	if (e != 0)
		reason = ERR_reason_error_string(e);
	if (err != NULL && errlen > 0) {
		if (reason != NULL)
			snprintf(err, errlen, "%s: %s", what, reason);
		else if (e != 0)
			snprintf(err, errlen, "%s: OpenSSL error %lx", what, e);
		else
			snprintf(err, errlen, "%s", what);
	}
	ERR_clear_error();
}

static void
enc_hex(const unsigned char *p, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t	 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

/* HMAC-SHA256(key, label || seed), the root of every derived input. */
static int
enc_hmac(const unsigned char *key, const char *label, const char *seed,
    unsigned char out[ENC_HMAC_LEN])
{
	EVP_MAC_CTX	*m;
	OSSL_PARAM	 params[2];
	size_t		 outl = 0;
	int		 ok;

	if ((m = EVP_MAC_CTX_new(enc_hmac_alg)) == NULL)
		return -1;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA2-256", 0);
	params[1] = OSSL_PARAM_construct_end();
	ok = EVP_MAC_init(m, key, ENC_KEY_LEN, params) &&
	    EVP_MAC_update(m, (const unsigned char *)label, strlen(label)) &&
	    EVP_MAC_update(m, (const unsigned char *)seed, strlen(seed)) &&
	    EVP_MAC_final(m, out, &outl, ENC_HMAC_LEN) &&
	    outl == ENC_HMAC_LEN;
	EVP_MAC_CTX_free(m);
	return ok ? 0 : -1;
}

/*
 * The deterministic DRBG provider.  One instance per generator of the
 * private library context; an instance is used only by the thread that
 * made the context, and OpenSSL takes its lock when it shares one.
 */
struct enc_drbg {
	unsigned char	 k[DRBG_OUTLEN];
	unsigned char	 v[DRBG_OUTLEN];
	uint64_t	 reseed_counter;
	int		 seeded;
	EVP_MAC_CTX	*mac;
	CRYPTO_RWLOCK	*lock;
};

struct enc_part {
	const unsigned char	*p;
	size_t			 len;
};

/* out = HMAC-SHA256(K, parts[0] || ... ); out may be K or V. */
static int
drbg_mac(struct enc_drbg *d, const struct enc_part *parts, size_t nparts,
    unsigned char out[DRBG_OUTLEN])
{
	size_t	 i, outl = 0;

	if (!EVP_MAC_init(d->mac, d->k, sizeof(d->k), NULL))
		return 0;
	for (i = 0; i < nparts; i++)
		if (parts[i].len > 0 &&
		    !EVP_MAC_update(d->mac, parts[i].p, parts[i].len))
			return 0;
	return EVP_MAC_final(d->mac, out, &outl, DRBG_OUTLEN) &&
	    outl == DRBG_OUTLEN;
}

/* SP 800-90A Rev. 1 §10.1.2.2 HMAC_DRBG_Update; provided_data = a || b. */
static int
drbg_update(struct enc_drbg *d, const unsigned char *a, size_t alen,
    const unsigned char *b, size_t blen)
{
	static const unsigned char sep[2] = { 0x00, 0x01 };
	struct enc_part	 parts[4];
	int		 i;

	for (i = 0; i < 2; i++) {
		parts[0].p = d->v;
		parts[0].len = sizeof(d->v);
		parts[1].p = &sep[i];
		parts[1].len = 1;
		parts[2].p = a;
		parts[2].len = alen;
		parts[3].p = b;
		parts[3].len = blen;
		if (!drbg_mac(d, parts, 4, d->k) ||
		    !drbg_mac(d, parts, 1, d->v))
			return 0;
		if (alen + blen == 0)
			break;
	}
	return 1;
}

static void
drbg_wipe(struct enc_drbg *d)
{
	OPENSSL_cleanse(d->k, sizeof(d->k));
	OPENSSL_cleanse(d->v, sizeof(d->v));
	d->reseed_counter = 0;
	d->seeded = 0;
}

/*
 * SP 800-90A Rev. 1 §10.1.2.3 HMAC_DRBG_Instantiate.  The nonce is empty:
 * the entropy input is already unique per (key, seed), and determinism is
 * the point.
 */
static int
drbg_seed(struct enc_drbg *d, const unsigned char *ent, size_t entlen,
    const unsigned char *pers, size_t perslen)
{
	if (entlen < DRBG_STRENGTH / 8 || perslen > DRBG_PERS_MAX)
		return 0;
	memset(d->k, 0x00, sizeof(d->k));
	memset(d->v, 0x01, sizeof(d->v));
	if (!drbg_update(d, ent, entlen, pers, perslen)) {
		drbg_wipe(d);
		return 0;
	}
	d->reseed_counter = 1;
	d->seeded = 1;
	return 1;
}

static OSSL_FUNC_rand_newctx_fn drbg_newctx;
static OSSL_FUNC_rand_freectx_fn drbg_freectx;
static OSSL_FUNC_rand_instantiate_fn drbg_instantiate;
static OSSL_FUNC_rand_uninstantiate_fn drbg_uninstantiate;
static OSSL_FUNC_rand_generate_fn drbg_generate;
static OSSL_FUNC_rand_reseed_fn drbg_reseed;
static OSSL_FUNC_rand_enable_locking_fn drbg_enable_locking;
static OSSL_FUNC_rand_lock_fn drbg_lock;
static OSSL_FUNC_rand_unlock_fn drbg_unlock;
static OSSL_FUNC_rand_gettable_ctx_params_fn drbg_gettable_ctx_params;
static OSSL_FUNC_rand_get_ctx_params_fn drbg_get_ctx_params;
static OSSL_FUNC_rand_settable_ctx_params_fn drbg_settable_ctx_params;
static OSSL_FUNC_rand_set_ctx_params_fn drbg_set_ctx_params;

/* The parent is ignored: all our entropy comes from the caller's seed. */
static void *
drbg_newctx(void *provctx, void *parent, const OSSL_DISPATCH *parent_calls)
{
	struct enc_drbg	*d;
	OSSL_PARAM	 params[2];

	(void)provctx;
	(void)parent;
	(void)parent_calls;
	if ((d = OPENSSL_zalloc(sizeof(*d))) == NULL)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA2-256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((d->mac = EVP_MAC_CTX_new(enc_hmac_alg)) == NULL ||
	    !EVP_MAC_CTX_set_params(d->mac, params)) {
		EVP_MAC_CTX_free(d->mac);
		OPENSSL_free(d);
		return NULL;
	}
	return d;
}

static void
drbg_freectx(void *vd)
{
	struct enc_drbg	*d = vd;

	if (d == NULL)
		return;
	EVP_MAC_CTX_free(d->mac);	/* wipes the HMAC key */
	CRYPTO_THREAD_lock_free(d->lock);
	OPENSSL_clear_free(d, sizeof(*d));
}

/* Called unseeded by the library context; seeding is a set_ctx_params. */
static int
drbg_instantiate(void *vd, unsigned int strength, int prediction_resistance,
    const unsigned char *pstr, size_t pstr_len, const OSSL_PARAM params[])
{
	(void)vd;
	(void)pstr;
	(void)pstr_len;
	(void)params;
	return strength <= DRBG_STRENGTH && !prediction_resistance;
}

static int
drbg_uninstantiate(void *vd)
{
	drbg_wipe(vd);
	return 1;
}

/* SP 800-90A Rev. 1 §10.1.2.5 HMAC_DRBG_Generate. */
static int
drbg_generate(void *vd, unsigned char *out, size_t outlen,
    unsigned int strength, int prediction_resistance,
    const unsigned char *adin, size_t adinlen)
{
	struct enc_drbg	*d = vd;
	struct enc_part	 part;
	size_t		 n;

	if (!d->seeded || strength > DRBG_STRENGTH || prediction_resistance ||
	    outlen > DRBG_MAX_REQUEST || d->reseed_counter > DRBG_RESEED_MAX)
		return 0;
	if (adin == NULL)
		adinlen = 0;
	if (adinlen > 0 && !drbg_update(d, adin, adinlen, NULL, 0))
		goto fail;
	part.p = d->v;
	part.len = sizeof(d->v);
	while (outlen > 0) {
		if (!drbg_mac(d, &part, 1, d->v))
			goto fail;
		n = outlen < sizeof(d->v) ? outlen : sizeof(d->v);
		memcpy(out, d->v, n);
		out += n;
		outlen -= n;
	}
	if (!drbg_update(d, adin, adinlen, NULL, 0))
		goto fail;
	d->reseed_counter++;
	return 1;
 fail:
	drbg_wipe(d);
	return 0;
}

/* There is no fresh entropy to take without losing determinism. */
static int
drbg_reseed(void *vd, int prediction_resistance, const unsigned char *ent,
    size_t entlen, const unsigned char *adin, size_t adinlen)
{
	(void)vd;
	(void)prediction_resistance;
	(void)ent;
	(void)entlen;
	(void)adin;
	(void)adinlen;
	return 0;
}

static int
drbg_enable_locking(void *vd)
{
	struct enc_drbg	*d = vd;

	if (d->lock == NULL)
		d->lock = CRYPTO_THREAD_lock_new();
	return d->lock != NULL;
}

static int
drbg_lock(void *vd)
{
	struct enc_drbg	*d = vd;

	return d->lock == NULL || CRYPTO_THREAD_write_lock(d->lock);
}

static void
drbg_unlock(void *vd)
{
	struct enc_drbg	*d = vd;

	if (d->lock != NULL)
		CRYPTO_THREAD_unlock(d->lock);
}

static const OSSL_PARAM drbg_gettable[] = {
	OSSL_PARAM_int(OSSL_RAND_PARAM_STATE, NULL),
	OSSL_PARAM_uint(OSSL_RAND_PARAM_STRENGTH, NULL),
	OSSL_PARAM_size_t(OSSL_RAND_PARAM_MAX_REQUEST, NULL),
	OSSL_PARAM_END
};

static const OSSL_PARAM drbg_settable[] = {
	OSSL_PARAM_octet_string(ENC_DRBG_PARAM_ENTROPY, NULL, 0),
	OSSL_PARAM_octet_string(ENC_DRBG_PARAM_PERS, NULL, 0),
	OSSL_PARAM_END
};

static const OSSL_PARAM *
drbg_gettable_ctx_params(void *vd, void *provctx)
{
	(void)vd;
	(void)provctx;
	return drbg_gettable;
}

static const OSSL_PARAM *
drbg_settable_ctx_params(void *vd, void *provctx)
{
	(void)vd;
	(void)provctx;
	return drbg_settable;
}

static int
drbg_get_ctx_params(void *vd, OSSL_PARAM params[])
{
	struct enc_drbg	*d = vd;
	OSSL_PARAM	*p;

	p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_STATE);
	if (p != NULL && !OSSL_PARAM_set_int(p, d->seeded ?
	    EVP_RAND_STATE_READY : EVP_RAND_STATE_UNINITIALISED))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_STRENGTH);
	if (p != NULL && !OSSL_PARAM_set_uint(p, DRBG_STRENGTH))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_MAX_REQUEST);
	if (p != NULL && !OSSL_PARAM_set_size_t(p, DRBG_MAX_REQUEST))
		return 0;
	return 1;
}

/* Seeding: the entropy input, with an optional personalization string. */
static int
drbg_set_ctx_params(void *vd, const OSSL_PARAM params[])
{
	struct enc_drbg		*d = vd;
	const OSSL_PARAM	*pe, *pp;
	const void		*ent = NULL, *pers = NULL;
	size_t			 entlen = 0, perslen = 0;

	if (params == NULL)
		return 1;
	if ((pe = OSSL_PARAM_locate_const(params,
	    ENC_DRBG_PARAM_ENTROPY)) == NULL)
		return 1;
	if (!OSSL_PARAM_get_octet_string_ptr(pe, &ent, &entlen))
		return 0;
	pp = OSSL_PARAM_locate_const(params, ENC_DRBG_PARAM_PERS);
	if (pp != NULL && !OSSL_PARAM_get_octet_string_ptr(pp, &pers, &perslen))
		return 0;
	return drbg_seed(d, ent, entlen, pers, perslen);
}

static const OSSL_DISPATCH enc_drbg_functions[] = {
	{ OSSL_FUNC_RAND_NEWCTX, (void (*)(void))drbg_newctx },
	{ OSSL_FUNC_RAND_FREECTX, (void (*)(void))drbg_freectx },
	{ OSSL_FUNC_RAND_INSTANTIATE, (void (*)(void))drbg_instantiate },
	{ OSSL_FUNC_RAND_UNINSTANTIATE, (void (*)(void))drbg_uninstantiate },
	{ OSSL_FUNC_RAND_GENERATE, (void (*)(void))drbg_generate },
	{ OSSL_FUNC_RAND_RESEED, (void (*)(void))drbg_reseed },
	{ OSSL_FUNC_RAND_ENABLE_LOCKING, (void (*)(void))drbg_enable_locking },
	{ OSSL_FUNC_RAND_LOCK, (void (*)(void))drbg_lock },
	{ OSSL_FUNC_RAND_UNLOCK, (void (*)(void))drbg_unlock },
	{ OSSL_FUNC_RAND_GETTABLE_CTX_PARAMS,
	    (void (*)(void))drbg_gettable_ctx_params },
	{ OSSL_FUNC_RAND_GET_CTX_PARAMS, (void (*)(void))drbg_get_ctx_params },
	{ OSSL_FUNC_RAND_SETTABLE_CTX_PARAMS,
	    (void (*)(void))drbg_settable_ctx_params },
	{ OSSL_FUNC_RAND_SET_CTX_PARAMS, (void (*)(void))drbg_set_ctx_params },
	{ 0, NULL }
};

static const OSSL_ALGORITHM enc_prov_rands[] = {
	{ ENC_DRBG_NAME, "provider=" ENC_PROV_NAME, enc_drbg_functions,
	    "deterministic HMAC_DRBG for sipcfg encrypted files" },
	{ NULL, NULL, NULL, NULL }
};

static const OSSL_ALGORITHM *
enc_prov_query(void *provctx, int operation_id, int *no_cache)
{
	(void)provctx;
	*no_cache = 0;
	return operation_id == OSSL_OP_RAND ? enc_prov_rands : NULL;
}

static const OSSL_DISPATCH enc_prov_functions[] = {
	{ OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))enc_prov_query },
	{ 0, NULL }
};

static OSSL_provider_init_fn enc_prov_init;

static int
enc_prov_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
    const OSSL_DISPATCH **out, void **provctx)
{
	(void)handle;
	(void)in;
	*out = enc_prov_functions;
	*provctx = NULL;
	return 1;
}

/* A private library context whose every generator is seeded by us. */
struct enc_libctx {
	OSSL_LIB_CTX	*lctx;
	OSSL_PROVIDER	*dflt;
	OSSL_PROVIDER	*drbg;
};

static void
enc_libctx_free(struct enc_libctx *c)
{
	if (c->drbg != NULL)
		OSSL_PROVIDER_unload(c->drbg);
	if (c->dflt != NULL)
		OSSL_PROVIDER_unload(c->dflt);
	OSSL_LIB_CTX_free(c->lctx);
	memset(c, 0, sizeof(*c));
}

/*
 * pers = mode name NUL, role NUL, SHA-256(plaintext): the public and the
 * private generator, and each mode, get distinct streams, and the streams
 * depend on the plaintext as well as on the seed.
 */
static int
enc_libctx_new(struct enc_libctx *c, enum enc_mode mode,
    const unsigned char *key, const char *seed, const void *in, size_t inlen)
{
	static const char	*roles[2] = { "public", "private" };
	unsigned char		 ent[ENC_HMAC_LEN], md[EVP_MAX_MD_SIZE];
	unsigned char		 pers[DRBG_PERS_MAX];
	unsigned int		 mdlen = 0;
	const char		*name = enc_mode_name(mode);
	size_t			 nlen = strlen(name), rlen, perslen;
	OSSL_PARAM		 params[3];
	EVP_RAND_CTX		*r;
	int			 i, ret = -1;

	memset(c, 0, sizeof(*c));
	if (enc_hmac(key, drbg_label, seed, ent) == -1 ||
	    !EVP_Digest(in, inlen, md, &mdlen, enc_sha256, NULL))
		goto done;
	if ((c->lctx = OSSL_LIB_CTX_new()) == NULL ||
	    !OSSL_PROVIDER_add_builtin(c->lctx, ENC_PROV_NAME,
	    enc_prov_init) ||
	    (c->drbg = OSSL_PROVIDER_load(c->lctx, ENC_PROV_NAME)) == NULL ||
	    (c->dflt = OSSL_PROVIDER_load(c->lctx, "default")) == NULL ||
	    !RAND_set_DRBG_type(c->lctx, ENC_DRBG_NAME,
	    "provider=" ENC_PROV_NAME, NULL, NULL) ||
	    !RAND_set_seed_source_type(c->lctx, ENC_DRBG_NAME,
	    "provider=" ENC_PROV_NAME))
		goto done;
	for (i = 0; i < 2; i++) {
		rlen = strlen(roles[i]);
		perslen = nlen + 1 + rlen + 1 + mdlen;
		if (perslen > sizeof(pers))
			goto done;
		memcpy(pers, name, nlen + 1);
		memcpy(pers + nlen + 1, roles[i], rlen + 1);
		memcpy(pers + nlen + 1 + rlen + 1, md, mdlen);
		/* Both are per thread in OpenSSL 3.0; this is our thread. */
		r = i == 0 ? RAND_get0_public(c->lctx) :
		    RAND_get0_private(c->lctx);
		params[0] = OSSL_PARAM_construct_octet_string(
		    ENC_DRBG_PARAM_ENTROPY, ent, sizeof(ent));
		params[1] = OSSL_PARAM_construct_octet_string(
		    ENC_DRBG_PARAM_PERS, pers, perslen);
		params[2] = OSSL_PARAM_construct_end();
		if (r == NULL || !EVP_RAND_CTX_set_params(r, params))
			goto done;
	}
	ret = 0;
 done:
	/* The digest of the plaintext would let a guess be confirmed. */
	OPENSSL_cleanse(ent, sizeof(ent));
	OPENSSL_cleanse(md, sizeof(md));
	OPENSSL_cleanse(pers, sizeof(pers));
	if (ret == -1 && c->lctx != NULL)
		enc_libctx_free(c);
	return ret;
}

/* ENC_OPENSSL_MD5: openssl enc -aes-256-cbc -md md5 -pass pass:HEX. */
static int
enc_openssl_md5(const unsigned char *key, const char *seed,
    const unsigned char *in, size_t inlen, struct buf *out, char *err,
    size_t errlen)
{
	EVP_CIPHER_CTX	*cctx = NULL;
	unsigned char	 mac[ENC_HMAC_LEN];
	unsigned char	 k[EVP_MAX_KEY_LENGTH], iv[EVP_MAX_IV_LENGTH];
	unsigned char	*ct = NULL;
	char		 pass[ENC_HEX_LEN + 1];
	int		 n1 = 0, n2 = 0, ret = -1;

	if (enc_hmac(key, salt_label, seed, mac) == -1) {
		enc_sslerr(err, errlen, "salt derivation");
		goto done;
	}
	enc_hex(key, ENC_KEY_LEN, pass);
	/*
	 * openssl enc without -pbkdf2: EVP_BytesToKey, one round, MD5 (the
	 * default before OpenSSL 1.1.0, so what phone firmware expects).
	 */
	if (EVP_BytesToKey(enc_aes_cbc, enc_md5, mac,
	    (const unsigned char *)pass, ENC_HEX_LEN, 1, k, iv) <= 0) {
		enc_sslerr(err, errlen, "key derivation");
		goto done;
	}
	/* PKCS#7 padding adds 1 to 16 bytes (RFC 5652 §6.3). */
	if ((ct = malloc(inlen + EVP_MAX_BLOCK_LENGTH)) == NULL) {
		enc_seterr(err, errlen, "out of memory");
		goto done;
	}
	if ((cctx = EVP_CIPHER_CTX_new()) == NULL ||
	    !EVP_EncryptInit_ex2(cctx, enc_aes_cbc, k, iv, NULL) ||
	    !EVP_EncryptUpdate(cctx, ct, &n1, in, (int)inlen) ||
	    !EVP_EncryptFinal_ex(cctx, ct + n1, &n2)) {
		enc_sslerr(err, errlen, "aes-256-cbc");
		goto done;
	}
	if (buf_add(out, salted_magic, sizeof(salted_magic) - 1) == -1 ||
	    buf_add(out, mac, ENC_SALT_LEN) == -1 ||
	    buf_add(out, ct, (size_t)n1 + (size_t)n2) == -1) {
		enc_seterr(err, errlen, "output exceeds its bound");
		goto done;
	}
	ret = 0;
 done:
	EVP_CIPHER_CTX_free(cctx);	/* wipes the key schedule */
	free(ct);
	OPENSSL_cleanse(mac, sizeof(mac));
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(iv, sizeof(iv));
	OPENSSL_cleanse(pass, sizeof(pass));
	return ret;
}

/*
 * The CMS modes (RFC 5652), DER.  ENC_CMS_PASSWORD: EnvelopedData,
 * AES-256-CBC, one PasswordRecipientInfo (RFC 3211) with PBKDF2.
 * ENC_CMS_CERT: AuthEnvelopedData (RFC 5083), AES-256-GCM (RFC 5084), one
 * KeyTransRecipientInfo (RSA, PKCS#1 v1.5 as openssl cms -encrypt) or
 * KeyAgreeRecipientInfo (EC, ephemeral-static ECDH, RFC 5753) to cert.
 */
static int
enc_cms(enum enc_mode mode, const unsigned char *key, const char *cert_pem,
    const char *seed, const void *in, size_t inlen, struct buf *out,
    char *err, size_t errlen)
{
	struct enc_libctx	 c;
	EVP_CIPHER		*cipher = NULL;
	BIO			*bin = NULL, *bcert = NULL;
	X509			*x = NULL;
	CMS_ContentInfo		*cms = NULL;
	CMS_RecipientInfo	*ri;
	unsigned char		*pass = NULL, *der = NULL;
	unsigned int		 flags = CMS_BINARY | CMS_PARTIAL;
	int			 derlen, ret = -1;

	if (enc_libctx_new(&c, mode, key, seed, in, inlen) == -1) {
		enc_sslerr(err, errlen, "deterministic generator");
		return -1;
	}
	if ((cipher = EVP_CIPHER_fetch(c.lctx, mode == ENC_CMS_CERT ?
	    "AES-256-GCM" : "AES-256-CBC", NULL)) == NULL) {
		enc_sslerr(err, errlen, "cipher");
		goto done;
	}
	if (mode == ENC_CMS_CERT) {
		if ((bcert = BIO_new_mem_buf(cert_pem, -1)) == NULL ||
		    (x = X509_new_ex(c.lctx, NULL)) == NULL) {
			enc_sslerr(err, errlen, "recipient certificate");
			goto done;
		}
		/* On failure x is either untouched or freed and NULL. */
		if (PEM_read_bio_X509(bcert, &x, NULL, NULL) == NULL) {
			enc_sslerr(err, errlen, "recipient certificate");
			goto done;
		}
	}
	/* CMS_BINARY: the bytes as they are, no CRLF canonicalisation. */
	if ((bin = BIO_new_mem_buf(in, (int)inlen)) == NULL ||
	    (cms = CMS_encrypt_ex(NULL, bin, cipher, flags, c.lctx,
	    NULL)) == NULL) {
		enc_sslerr(err, errlen, "cms");
		goto done;
	}
	if (mode == ENC_CMS_PASSWORD) {
		/*
		 * RFC 3211 §2.2: the KEK wraps with the content cipher.  The
		 * PBKDF2 salt and the KEK IV and padding come from our
		 * generator.  set0 hands pass to the RecipientInfo, which
		 * frees it with OPENSSL_clear_free().
		 */
		if ((ri = CMS_add0_recipient_password(cms, ENC_PBKDF2_ITER,
		    NID_undef, NID_undef, NULL, 0, NULL)) == NULL ||
		    (pass = OPENSSL_malloc(ENC_HEX_LEN + 1)) == NULL) {
			enc_sslerr(err, errlen, "cms password recipient");
			goto done;
		}
		enc_hex(key, ENC_KEY_LEN, (char *)pass);
		if (!CMS_RecipientInfo_set0_password(ri, pass, ENC_HEX_LEN)) {
			enc_sslerr(err, errlen, "cms password recipient");
			goto done;
		}
		pass = NULL;
	} else if (CMS_add1_recipient_cert(cms, x, flags) == NULL) {
		enc_sslerr(err, errlen, "cms certificate recipient");
		goto done;
	}
	if (!CMS_final(cms, bin, NULL, CMS_BINARY)) {
		enc_sslerr(err, errlen, "cms encrypt");
		goto done;
	}
	if ((derlen = i2d_CMS_ContentInfo(cms, &der)) <= 0) {
		enc_sslerr(err, errlen, "cms encode");
		goto done;
	}
	if (buf_add(out, der, (size_t)derlen) == -1) {
		enc_seterr(err, errlen, "output exceeds its bound");
		goto done;
	}
	ret = 0;
 done:
	if (pass != NULL)
		OPENSSL_clear_free(pass, ENC_HEX_LEN + 1);
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	BIO_free(bin);
	BIO_free(bcert);
	X509_free(x);
	EVP_CIPHER_free(cipher);
	enc_libctx_free(&c);
	return ret;
}

int
enc_encrypt(enum enc_mode mode, const unsigned char *key,
    const char *cert_pem, const char *seed, const void *in, size_t inlen,
    struct buf *out, char *err, size_t errlen)
{
	int	 ret;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (key == NULL) {
		enc_seterr(err, errlen, "no key");
		return -1;
	}
	if (seed == NULL || strnlen(seed, ENC_SEED_MAX + 1) > ENC_SEED_MAX) {
		enc_seterr(err, errlen, "seed missing or too long");
		return -1;
	}
	if (out == NULL || (in == NULL && inlen > 0)) {
		enc_seterr(err, errlen, "no input or output");
		return -1;
	}
	if (inlen > ENC_IN_MAX) {
		enc_seterr(err, errlen, "input too long to encrypt");
		return -1;
	}
	switch (mode) {
	case ENC_CMS_PASSWORD:
	case ENC_OPENSSL_MD5:
		break;
	case ENC_CMS_CERT:
		if (cert_pem == NULL) {
			enc_seterr(err, errlen, "cms-cert needs a recipient "
			    "certificate");
			return -1;
		}
		if (strnlen(cert_pem, ENC_CERT_MAX + 1) > ENC_CERT_MAX) {
			enc_seterr(err, errlen, "recipient certificate too "
			    "long");
			return -1;
		}
		break;
	case ENC_NONE:
		enc_seterr(err, errlen, "mode none does not encrypt");
		return -1;
	default:
		enc_seterr(err, errlen, "unknown encryption mode");
		return -1;
	}
	if (pthread_once(&enc_global_once, enc_global_init) != 0 ||
	    enc_hmac_alg == NULL || enc_md5 == NULL || enc_sha256 == NULL ||
	    enc_aes_cbc == NULL) {
		enc_sslerr(err, errlen, "OpenSSL algorithms unavailable");
		return -1;
	}
	if (inlen == 0)
		in = "";
	/* Start with this thread's error queue empty, and leave it so. */
	ERR_clear_error();
	if (mode == ENC_OPENSSL_MD5)
		ret = enc_openssl_md5(key, seed, in, inlen, out, err, errlen);
	else
		ret = enc_cms(mode, key, cert_pem, seed, in, inlen, out, err,
		    errlen);
	ERR_clear_error();
	return ret;
}
