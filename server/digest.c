/*
 * digest: HTTP Digest (RFC 7616) and Basic (RFC 7617) on the server side,
 * and SIP Digest (RFC 3261 §22.4) for SUBSCRIBE.  Called from the HTTP
 * worker threads and the sofia thread alike.
 *
 * We do this ourselves rather than with libmicrohttpd 0.9.75 (racy nonce
 * table under a thread pool, nonces bound to one URL, one algorithm per
 * challenge) or sofia's auth_module (MD5 only, no nc tracking).
 *
 * A nonce is base64url of 48 bytes: timestamp (8), sequence number (8),
 * random (8) and the first 24 bytes of HMAC-SHA256(secret, label ||
 * those 24 bytes || algorithm || realm).  It is checked without any lookup
 * and expires after nonce_ttl.  The replay table is set-associative
 * (NC_WAYS slots per set); a nonce in use takes a free slot of its set,
 * or one whose nonce has expired, else evicts the oldest.  Each set
 * remembers the sequence counter at its last eviction of a live nonce, so
 * a nonce issued before that moment may have been the one evicted and
 * lost its nc history; it is answered STALE, never accepted.
 * The counter starts at the wall clock in nanoseconds so that nonces of an
 * earlier process with the same secret are older than every slot.
 *
 * Shared state: the replay table (under lock) and the sequence counter
 * (atomic).  The MAC context is keyed once in digest_new() and only
 * duplicated afterwards.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "digest.h"
#include "util.h"

#define NONCE_HEAD_LEN	24	/* timestamp, sequence, random */
#define NONCE_MAC_LEN	24
#define NONCE_RAW_LEN	(NONCE_HEAD_LEN + NONCE_MAC_LEN)
#define NONCE_B64_LEN	64	/* 48 bytes, no padding needed */
#define OPAQUE_RAW_LEN	18
#define OPAQUE_B64_LEN	24
#define HMAC_LEN	32
#define SLOT_ID_LEN	16
#define NC_SLOTS_MAX	(1U << 24)
#define PARAMS_MAX	32	/* auth-params in one Digest header */
#define BASIC_RAW_MAX	(DIGEST_USER_SIZE + DIGEST_PASSWORD_SIZE)
#define BASIC_B64_MAX	(4 * ((BASIC_RAW_MAX + 2) / 3))

_Static_assert(NONCE_RAW_LEN % 3 == 0 && NONCE_B64_LEN == NONCE_RAW_LEN / 3 * 4,
    "nonce encodes without padding");
_Static_assert(OPAQUE_RAW_LEN % 3 == 0 && OPAQUE_B64_LEN ==
    OPAQUE_RAW_LEN / 3 * 4, "opaque encodes without padding");

static const char nonce_label[] = "sipcfg digest nonce v1";
static const char opaque_label[] = "sipcfg digest opaque v1";

#define NC_WAYS		4

struct nc_slot {
	unsigned char	 id[SLOT_ID_LEN];	/* part of the nonce's MAC */
	int64_t		 ts;		/* the nonce's timestamp */
	uint32_t	 nc;		/* highest nc accepted */
	int		 used;
};

struct digest_ctx {
	EVP_MAC_CTX		*mac;	/* keyed with the secret; dup only */
	unsigned		 ttl;
	uint64_t		 seq0;	/* first sequence number issued */
	_Atomic uint64_t	 seq;	/* next sequence number */
	pthread_mutex_t		 lock;	/* guards slots */
	struct nc_slot		*slots;		/* nsets * NC_WAYS */
	uint64_t		*floors;	/* per set: last eviction */
	size_t			 nsets;
};

/* Fetched once by digest_md_init(), read-only afterwards, any thread. */
static EVP_MD		*digest_md5, *digest_sha256;
static pthread_once_t	 digest_md_once = PTHREAD_ONCE_INIT;

static void
digest_md_init(void)
{
	/* Explicit fetches: OpenSSL 3.0 implicit fetching takes a global lock. */
	digest_md5 = EVP_MD_fetch(NULL, "MD5", NULL);
	digest_sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
}

static const EVP_MD *
digest_md(enum digest_alg alg)
{
	if (pthread_once(&digest_md_once, digest_md_init) != 0)
		return NULL;
	switch (alg) {
	case DIGEST_MD5:
		return digest_md5;
	case DIGEST_SHA256:
		return digest_sha256;
	}
	return NULL;
}

/* Length of a hex digest for alg, 0 for an unknown alg. */
static size_t
digest_hexlen(enum digest_alg alg)
{
	switch (alg) {
	case DIGEST_MD5:
		return DIGEST_HA1_MD5_HEX - 1;
	case DIGEST_SHA256:
		return DIGEST_HA1_SHA256_HEX - 1;
	}
	return 0;
}

static int
digest_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

/* Case-insensitive (ASCII, not locale) equality of n bytes. */
static int
digest_ieqn(const char *a, const char *b, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (digest_lower((unsigned char)a[i]) !=
		    digest_lower((unsigned char)b[i]))
			return 0;
	return 1;
}

/* Case-insensitive equality of s[0..n) with the string lit. */
static int
digest_ieq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && digest_ieqn(s, lit, n);
}

/* Copy a hex digest of the right length for alg into out, lower-cased. */
static int
digest_hexnorm(enum digest_alg alg, const char *in, char out[DIGEST_HEX_MAX])
{
	size_t	 i, n = digest_hexlen(alg);

	if (n == 0 || in == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (util_hexval((unsigned char)in[i]) < 0)
			return -1;
		out[i] = (char)digest_lower((unsigned char)in[i]);
	}
	if (in[n] != '\0')
		return -1;
	out[n] = '\0';
	return 0;
}

/* H(parts[0] ":" parts[1] ":" ...) in lower-case hex. */
static int
digest_hash(enum digest_alg alg, const char *const *parts, size_t nparts,
    char *out, size_t outlen)
{
	const EVP_MD	*md;
	EVP_MD_CTX	*mc = NULL;
	unsigned char	 h[EVP_MAX_MD_SIZE];
	unsigned int	 hlen;
	size_t		 i;
	int		 ret = -1;

	if ((md = digest_md(alg)) == NULL || outlen < digest_hexlen(alg) + 1)
		return -1;
	if ((mc = EVP_MD_CTX_new()) == NULL ||
	    !EVP_DigestInit_ex(mc, md, NULL))
		goto done;
	for (i = 0; i < nparts; i++) {
		if (parts[i] == NULL)
			goto done;
		if ((i > 0 && !EVP_DigestUpdate(mc, ":", 1)) ||
		    !EVP_DigestUpdate(mc, parts[i], strlen(parts[i])))
			goto done;
	}
	if (!EVP_DigestFinal_ex(mc, h, &hlen) || hlen * 2 != digest_hexlen(alg))
		goto done;
	util_hex(h, hlen, out);
	ret = 0;
 done:
	EVP_MD_CTX_free(mc);
	util_wipe(h, sizeof(h));
	return ret;
}

/* HMAC-SHA256(secret, label NUL || data || realm). */
static int
digest_mac(struct digest_ctx *d, const char *label, const unsigned char *data,
    size_t datalen, const char *realm, unsigned char out[HMAC_LEN])
{
	EVP_MAC_CTX	*m;
	size_t		 outl;
	int		 ret = -1;

	if ((m = EVP_MAC_CTX_dup(d->mac)) == NULL)
		return -1;
	if (!EVP_MAC_update(m, (const unsigned char *)label, strlen(label) + 1) ||
	    (datalen > 0 && !EVP_MAC_update(m, data, datalen)) ||
	    !EVP_MAC_update(m, (const unsigned char *)realm, strlen(realm)) ||
	    !EVP_MAC_final(m, out, &outl, HMAC_LEN) || outl != HMAC_LEN)
		goto done;
	ret = 0;
 done:
	EVP_MAC_CTX_free(m);
	return ret;
}

static void
digest_put64(unsigned char *p, uint64_t v)
{
	int	 i;

	for (i = 7; i >= 0; i--) {
		p[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

static uint64_t
digest_get64(const unsigned char *p)
{
	uint64_t v = 0;
	int	 i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static const char b64_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64url of n bytes, n a multiple of 3 (no padding); out: 4n/3 + 1. */
static void
digest_b64url(const unsigned char *p, size_t n, char *out)
{
	uint32_t v;
	size_t	 i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = b64_url[v >> 18 & 63];
		out[o++] = b64_url[v >> 12 & 63];
		out[o++] = b64_url[v >> 6 & 63];
		out[o++] = b64_url[v & 63];
	}
	out[o] = '\0';
}

static int
digest_b64val(int c, const char *alphabet)
{
	const char	*p;

	if (c == '\0' || (p = strchr(alphabet, c)) == NULL)
		return -1;
	return (int)(p - alphabet);
}

/*
 * Strict base64 decoding of s[0..n): padding optional but, when present,
 * complete; unused trailing bits must be zero.  -1 on bad input or when
 * the result would not fit in outmax bytes.
 */
static int
digest_unb64(const char *s, size_t n, const char *alphabet,
    unsigned char *out, size_t outmax, size_t *outlen)
{
	uint32_t v = 0;
	size_t	 i, j, o = 0, rem;
	int	 c;

	if (n > 0 && s[n - 1] == '=') {
		if (n % 4 != 0)
			return -1;
		n--;
		if (n > 0 && s[n - 1] == '=')
			n--;
	}
	if ((rem = n % 4) == 1)
		return -1;
	if (n / 4 * 3 + (rem ? rem - 1 : 0) > outmax)
		return -1;
	for (i = 0; i < n; i += 4) {
		v = 0;
		for (j = 0; j < 4; j++) {
			if (i + j < n) {
				if ((c = digest_b64val((unsigned char)s[i + j],
				    alphabet)) < 0)
					return -1;
			} else
				c = 0;
			v = v << 6 | (uint32_t)c;
		}
		out[o++] = (unsigned char)(v >> 16);
		if (i + 2 < n)
			out[o++] = (unsigned char)(v >> 8);
		if (i + 3 < n)
			out[o++] = (unsigned char)v;
	}
	/* Canonical form only: the bits past the last byte are zero. */
	if ((rem == 2 && (v & 0xffff) != 0) || (rem == 3 && (v & 0xff) != 0))
		return -1;
	*outlen = o;
	return 0;
}

/* A realm we can put in a quoted-string: bounded, no control characters. */
static int
digest_realm_ok(const char *realm)
{
	size_t	 i;

	if (realm == NULL)
		return 0;
	for (i = 0; realm[i] != '\0'; i++)
		if ((unsigned char)realm[i] < 0x20 || realm[i] == 0x7f ||
		    i + 1 >= DIGEST_REALM_SIZE)
			return 0;
	return 1;
}

struct digest_ctx *
digest_new(const unsigned char *secret, size_t secretlen, unsigned nonce_ttl,
    size_t nc_slots)
{
	struct digest_ctx	*d;
	EVP_MAC			*mac;
	OSSL_PARAM		 params[2];
	struct timespec		 ts;

	if (secret == NULL || secretlen < DIGEST_SECRET_MIN ||
	    secretlen > DIGEST_SECRET_MAX || nonce_ttl == 0 ||
	    nc_slots == 0 || nc_slots > NC_SLOTS_MAX)
		return NULL;
	if (clock_gettime(CLOCK_REALTIME, &ts) == -1 || ts.tv_sec < 0)
		return NULL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->ttl = nonce_ttl;
	d->nsets = (nc_slots + NC_WAYS - 1) / NC_WAYS;
	d->seq0 = (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
	atomic_init(&d->seq, d->seq0);
	if ((d->slots = calloc(d->nsets * NC_WAYS, sizeof(*d->slots))) ==
	    NULL || (d->floors = calloc(d->nsets, sizeof(*d->floors))) == NULL)
		goto fail;
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		goto fail;
	d->mac = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);
	if (d->mac == NULL)
		goto fail;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA2-256", 0);
	params[1] = OSSL_PARAM_construct_end();
	/* The MAC context keeps its own copy of the key and wipes it. */
	if (!EVP_MAC_init(d->mac, secret, secretlen, params))
		goto fail;
	if (pthread_mutex_init(&d->lock, NULL) != 0)
		goto fail;
	return d;
 fail:
	EVP_MAC_CTX_free(d->mac);
	free(d->slots);
	free(d->floors);
	free(d);
	return NULL;
}

void
digest_free(struct digest_ctx *d)
{
	if (d == NULL)
		return;
	pthread_mutex_destroy(&d->lock);
	EVP_MAC_CTX_free(d->mac);
	free(d->slots);
	free(d->floors);
	util_wipe(d, sizeof(*d));
	free(d);
}

int
digest_ha1(enum digest_alg alg, const char *user, const char *realm,
    const char *password, char *out, size_t outlen)
{
	const char	*parts[3] = { user, realm, password };

	if (out == NULL)
		return -1;
	return digest_hash(alg, parts, 3, out, outlen);
}

int
digest_response(enum digest_alg alg, const char *ha1_hex, const char *nonce,
    const char *nc, const char *cnonce, const char *qop, const char *method,
    const char *uri, char *out, size_t outlen)
{
	const char	*parts[6];
	char		 ha1[DIGEST_HEX_MAX], ha2[DIGEST_HEX_MAX];
	int		 ret = -1;

	if (out == NULL || nonce == NULL || method == NULL || uri == NULL ||
	    digest_hexnorm(alg, ha1_hex, ha1) == -1)
		goto done;
	parts[0] = method;
	parts[1] = uri;
	if (digest_hash(alg, parts, 2, ha2, sizeof(ha2)) == -1)
		goto done;
	parts[0] = ha1;
	parts[1] = nonce;
	if (qop != NULL && *qop != '\0') {
		/* RFC 7616 §3.4.1 */
		parts[2] = nc;
		parts[3] = cnonce;
		parts[4] = qop;
		parts[5] = ha2;
		ret = digest_hash(alg, parts, 6, out, outlen);
	} else {
		/* RFC 2069 §2.1.2, still sent by some SIP phones. */
		parts[2] = ha2;
		ret = digest_hash(alg, parts, 3, out, outlen);
	}
 done:
	util_wipe(ha1, sizeof(ha1));
	return ret;
}

/* Append the realm to out as quoted-string content (RFC 7230 §3.2.6). */
static int
digest_quote(const char *s, char *out, size_t outlen)
{
	size_t	 o = 0;

	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\') {
			if (o + 1 >= outlen)
				return -1;
			out[o++] = '\\';
		}
		if (o + 1 >= outlen)
			return -1;
		out[o++] = *s;
	}
	out[o] = '\0';
	return 0;
}

int
digest_challenge(struct digest_ctx *d, enum digest_alg alg, const char *realm,
    int stale, time_t now, char *out, size_t outlen)
{
	unsigned char	 raw[NONCE_RAW_LEN], in[NONCE_HEAD_LEN + 1];
	unsigned char	 h[HMAC_LEN];
	char		 nonce[NONCE_B64_LEN + 1], opaque[OPAQUE_B64_LEN + 1];
	char		 qrealm[2 * DIGEST_REALM_SIZE];
	int		 n;

	if (d == NULL || out == NULL || digest_hexlen(alg) == 0 ||
	    !digest_realm_ok(realm) ||
	    digest_quote(realm, qrealm, sizeof(qrealm)) == -1)
		return -1;

	digest_put64(raw, (uint64_t)(int64_t)now);
	digest_put64(raw + 8, atomic_fetch_add(&d->seq, 1));
	if (util_random(raw + 16, 8) == -1)
		return -1;
	memcpy(in, raw, NONCE_HEAD_LEN);
	in[NONCE_HEAD_LEN] = (unsigned char)alg;
	if (digest_mac(d, nonce_label, in, sizeof(in), realm, h) == -1)
		return -1;
	memcpy(raw + NONCE_HEAD_LEN, h, NONCE_MAC_LEN);
	digest_b64url(raw, sizeof(raw), nonce);

	/* Opaque carries no state (the nonce does); clients echo it. */
	if (digest_mac(d, opaque_label, NULL, 0, realm, h) == -1)
		return -1;
	digest_b64url(h, OPAQUE_RAW_LEN, opaque);

	n = snprintf(out, outlen, "Digest realm=\"%s\", qop=\"auth\", "
	    "algorithm=%s, nonce=\"%s\", opaque=\"%s\"%s", qrealm,
	    alg == DIGEST_SHA256 ? "SHA-256" : "MD5", nonce, opaque,
	    stale ? ", stale=true" : "");
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	return 0;
}

/*
 * Parsing.  RFC 7235 §2.1 and §4.2:
 *   credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *   auth-param  = token BWS "=" BWS ( token / quoted-string )
 * The whole value is checked for control characters first, so the
 * functions below only see HTAB, SP, VCHAR and obs-text.
 */
struct parser {
	const char	*p;
	const char	*end;
};

static int
digest_is_ows(int c)
{
	return c == ' ' || c == '\t';
}

static int
digest_is_ctl(int c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* RFC 7230 §3.2.6 tchar. */
static int
digest_is_tchar(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static void
digest_skip_ows(struct parser *ps)
{
	while (ps->p < ps->end && digest_is_ows((unsigned char)*ps->p))
		ps->p++;
}

/* A token at the cursor; its length, 0 if there is none. */
static size_t
digest_token(struct parser *ps, const char **tok)
{
	*tok = ps->p;
	while (ps->p < ps->end && digest_is_tchar((unsigned char)*ps->p))
		ps->p++;
	return (size_t)(ps->p - *tok);
}

/*
 * A token or quoted-string value, unescaped into dst of dstsize bytes
 * (NULL to only check the syntax).  -1 on bad syntax or overflow.
 */
static int
digest_value(struct parser *ps, char *dst, size_t dstsize)
{
	const char	*tok;
	size_t		 n = 0, len, i;
	int		 c;

	if (ps->p < ps->end && *ps->p == '"') {
		ps->p++;
		for (;;) {
			if (ps->p >= ps->end)
				return -1;	/* unterminated */
			c = (unsigned char)*ps->p++;
			if (c == '"')
				break;
			if (c == '\\') {
				/* quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ) */
				if (ps->p >= ps->end)
					return -1;
				c = (unsigned char)*ps->p++;
			}
			if (digest_is_ctl(c))
				return -1;
			if (dst != NULL) {
				if (n + 1 >= dstsize)
					return -1;
				dst[n] = (char)c;
			}
			n++;
		}
	} else {
		if ((len = digest_token(ps, &tok)) == 0)
			return -1;
		if (dst != NULL) {
			if (len >= dstsize)
				return -1;
			for (i = 0; i < len; i++)
				dst[i] = tok[i];
		}
		n = len;
	}
	if (dst != NULL)
		dst[n] = '\0';
	return 0;
}

/* RFC 7616 §3.4: nc-value = 8LHEX; 0 is never sent. */
static int
digest_nc_value(const char *s, uint32_t *out)
{
	uint32_t v = 0;
	int	 i, h;

	for (i = 0; i < 8; i++) {
		if ((h = util_hexval((unsigned char)s[i])) < 0)
			return -1;
		v = v << 4 | (uint32_t)h;
	}
	if (s[8] != '\0' || v == 0)
		return -1;
	*out = v;
	return 0;
}

/*
 * RFC 7616 §3.4.4 username* (RFC 8187 ext-value):
 *   charset "'" [ language ] "'" *( pct-encoded / attr-char )
 * Only UTF-8; the decoded name may not hold control characters.
 */
static int
digest_ext_value(const char *s, char *dst, size_t dstsize)
{
	const char	*q;
	size_t		 n = 0;
	int		 c, h, l;

	if ((q = strchr(s, '\'')) == NULL || !digest_ieq(s, (size_t)(q - s),
	    "UTF-8"))
		return -1;
	if ((q = strchr(q + 1, '\'')) == NULL)
		return -1;
	for (q++; *q != '\0'; q++) {
		c = (unsigned char)*q;
		if (c == '%') {
			if ((h = util_hexval((unsigned char)q[1])) < 0 ||
			    (l = util_hexval((unsigned char)q[2])) < 0)
				return -1;
			c = h << 4 | l;
			q += 2;
			if (digest_is_ctl(c) || c == '\t')
				return -1;
		} else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("!#$&+-.^_`|~", c) != NULL))
			return -1;
		if (n + 1 >= dstsize)
			return -1;
		dst[n++] = (char)c;
	}
	dst[n] = '\0';
	return 0;
}

enum {
	P_USERNAME, P_USERNAME_EXT, P_REALM, P_NONCE, P_URI, P_RESPONSE,
	P_ALGORITHM, P_QOP, P_NC, P_CNONCE, P_OPAQUE, P_USERHASH, P_COUNT
};

static const char *const digest_param_names[P_COUNT] = {
	"username", "username*", "realm", "nonce", "uri", "response",
	"algorithm", "qop", "nc", "cnonce", "opaque", "userhash"
};

static enum auth_kind
digest_parse_digest(struct parser *ps, struct digest_creds *c)
{
	const char	*names[PARAMS_MAX], *name;
	size_t		 namelens[PARAMS_MAX], nlen, nparams = 0, i, size;
	unsigned	 seen = 0;
	char		 alg[16], userhash[8], ext[3 * DIGEST_USER_SIZE];
	char		*dst;
	uint32_t	 nc;
	int		 p;

	for (;;) {
		digest_skip_ows(ps);
		if (ps->p >= ps->end)
			break;
		if (*ps->p == ',') {		/* RFC 7230 §7: empty elements */
			ps->p++;
			continue;
		}
		if ((nlen = digest_token(ps, &name)) == 0)
			return AUTH_BAD;
		digest_skip_ows(ps);
		if (ps->p >= ps->end || *ps->p != '=')
			return AUTH_BAD;
		ps->p++;
		digest_skip_ows(ps);

		/* RFC 7235 §2.2: each parameter name only once. */
		if (nparams == PARAMS_MAX)
			return AUTH_BAD;
		for (i = 0; i < nparams; i++)
			if (namelens[i] == nlen &&
			    digest_ieqn(names[i], name, nlen))
				return AUTH_BAD;
		names[nparams] = name;
		namelens[nparams++] = nlen;

		for (p = 0; p < P_COUNT; p++)
			if (digest_ieq(name, nlen, digest_param_names[p]))
				break;
		switch (p) {
		case P_USERNAME:
			dst = c->username, size = sizeof(c->username);
			break;
		case P_USERNAME_EXT:
			dst = ext, size = sizeof(ext);
			break;
		case P_REALM:
			dst = c->realm, size = sizeof(c->realm);
			break;
		case P_NONCE:
			dst = c->nonce, size = sizeof(c->nonce);
			break;
		case P_URI:
			dst = c->uri, size = sizeof(c->uri);
			break;
		case P_RESPONSE:
			dst = c->response, size = sizeof(c->response);
			break;
		case P_ALGORITHM:
			dst = alg, size = sizeof(alg);
			break;
		case P_QOP:
			dst = c->qop, size = sizeof(c->qop);
			break;
		case P_NC:
			dst = c->nc, size = sizeof(c->nc);
			break;
		case P_CNONCE:
			dst = c->cnonce, size = sizeof(c->cnonce);
			break;
		case P_OPAQUE:
			dst = c->opaque, size = sizeof(c->opaque);
			break;
		case P_USERHASH:
			dst = userhash, size = sizeof(userhash);
			break;
		default:	/* RFC 7616 §3.4: ignore unknown parameters */
			dst = NULL, size = 0;
			break;
		}
		/*
		 * RFC 7235 §2.2: recipients accept token and quoted-string
		 * alike, whatever RFC 7616 says senders must use.
		 */
		if (digest_value(ps, dst, size) == -1)
			return AUTH_BAD;
		if (p < P_COUNT)
			seen |= 1U << p;

		digest_skip_ows(ps);
		if (ps->p < ps->end && *ps->p != ',')
			return AUTH_BAD;	/* also rejects token68 */
	}

	if (seen & 1U << P_USERNAME_EXT) {
		if ((seen & 1U << P_USERNAME) ||
		    digest_ext_value(ext, c->username, sizeof(c->username)) == -1)
			return AUTH_BAD;
		seen |= 1U << P_USERNAME;
	}
	for (p = 0; p < P_COUNT; p++)
		if ((p == P_USERNAME || p == P_REALM || p == P_NONCE ||
		    p == P_URI || p == P_RESPONSE) && !(seen & 1U << p))
			return AUTH_BAD;

	/* RFC 7616 §3.4: algorithm absent means MD5 (RFC 2617 compat). */
	c->alg = DIGEST_MD5;
	if (seen & 1U << P_ALGORITHM) {
		if (digest_ieq(alg, strlen(alg), "SHA-256"))
			c->alg = DIGEST_SHA256;
		else if (!digest_ieq(alg, strlen(alg), "MD5"))
			return AUTH_BAD;	/* -sess, SHA-512-256, ... */
	}
	/* RFC 7616 §3.4: cnonce and nc with qop, and only with it. */
	if (c->qop[0] != '\0') {
		if (!(seen & 1U << P_NC) || !(seen & 1U << P_CNONCE) ||
		    digest_nc_value(c->nc, &nc) == -1)
			return AUTH_BAD;
	} else if (seen & (1U << P_QOP | 1U << P_NC | 1U << P_CNONCE))
		return AUTH_BAD;
	if (seen & 1U << P_USERHASH) {
		if (digest_ieq(userhash, strlen(userhash), "true"))
			c->userhash = 1;
		else if (!digest_ieq(userhash, strlen(userhash), "false"))
			return AUTH_BAD;
	}
	return AUTH_DIGEST;
}

static int
digest_is_b64char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("-._~+/", c) != NULL);
}

/* RFC 7617 §2: token68 of base64(user-id ":" password). */
static enum auth_kind
digest_parse_basic(struct parser *ps, struct digest_creds *c)
{
	unsigned char	 raw[BASIC_RAW_MAX];
	const char	*tok = ps->p;
	const unsigned char *colon;
	size_t		 tlen, rawlen = 0, ulen, plen, i;
	enum auth_kind	 kind = AUTH_BAD;

	/* RFC 7235 §2.1: token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" /
	 * "~" / "+" / "/" ) *"=" */
	while (ps->p < ps->end && digest_is_b64char((unsigned char)*ps->p))
		ps->p++;
	while (ps->p < ps->end && *ps->p == '=')
		ps->p++;
	tlen = (size_t)(ps->p - tok);
	digest_skip_ows(ps);
	if (tlen == 0 || tlen > BASIC_B64_MAX || ps->p != ps->end)
		goto done;
	if (digest_unb64(tok, tlen, b64_std, raw, sizeof(raw), &rawlen) == -1)
		goto done;
	if ((colon = memchr(raw, ':', rawlen)) == NULL)
		goto done;
	ulen = (size_t)(colon - raw);
	plen = rawlen - ulen - 1;
	if (ulen >= sizeof(c->username) || plen >= sizeof(c->password))
		goto done;
	/* RFC 7617 §2: no control characters in either part. */
	for (i = 0; i < rawlen; i++)
		if (digest_is_ctl(raw[i]))
			goto done;
	memcpy(c->username, raw, ulen);
	c->username[ulen] = '\0';
	memcpy(c->password, colon + 1, plen);
	c->password[plen] = '\0';
	kind = AUTH_BASIC;
 done:
	util_wipe(raw, sizeof(raw));
	return kind;
}

enum auth_kind
digest_parse_buf(const char *hdr, size_t len, struct digest_creds *c)
{
	struct parser	 ps;
	const char	*scheme;
	size_t		 slen, i;
	enum auth_kind	 kind;

	if (c == NULL)
		return AUTH_BAD;
	digest_creds_wipe(c);
	c->kind = AUTH_NONE;
	if (hdr == NULL)
		return AUTH_NONE;
	if (len > DIGEST_HDR_MAX)
		goto bad;
	for (i = 0; i < len; i++)
		if (digest_is_ctl((unsigned char)hdr[i]))
			goto bad;

	ps.p = hdr;
	ps.end = hdr + len;
	digest_skip_ows(&ps);
	if (ps.p == ps.end)
		return AUTH_NONE;
	if ((slen = digest_token(&ps, &scheme)) == 0)
		goto bad;
	/* auth-scheme [ 1*SP ...]: a token glued to '=' is malformed. */
	if (!digest_ieq(scheme, slen, "Digest") &&
	    !digest_ieq(scheme, slen, "Basic") &&
	    (ps.p == ps.end || digest_is_ows((unsigned char)*ps.p))) {
		digest_creds_wipe(c);
		c->kind = AUTH_OTHER;
		return AUTH_OTHER;
	}
	/* A scheme alone is no credentials for either Basic or Digest. */
	if (ps.p == ps.end || !digest_is_ows((unsigned char)*ps.p))
		goto bad;
	digest_skip_ows(&ps);

	if (digest_ieq(scheme, slen, "Digest"))
		kind = digest_parse_digest(&ps, c);
	else
		kind = digest_parse_basic(&ps, c);
	if (kind == AUTH_BAD)
		goto bad;
	c->kind = kind;
	return kind;
 bad:
	digest_creds_wipe(c);
	c->kind = AUTH_BAD;
	return AUTH_BAD;
}

enum auth_kind
digest_parse(const char *hdr, struct digest_creds *c)
{
	return digest_parse_buf(hdr, hdr == NULL ? 0 : strlen(hdr), c);
}

void
digest_creds_wipe(struct digest_creds *c)
{
	if (c != NULL)
		util_wipe(c, sizeof(*c));
}

/* Record nc for the nonce whose MAC is mac, under the lock. */
static enum digest_result
digest_nc_check(struct digest_ctx *d, const unsigned char *mac, uint64_t seq,
    int64_t ts, uint32_t nc, time_t now)
{
	struct nc_slot		*set, *s, *victim = NULL;
	size_t			 si, i;
	enum digest_result	 res;

	si = digest_get64(mac) % d->nsets;
	set = &d->slots[si * NC_WAYS];
	pthread_mutex_lock(&d->lock);
	for (i = 0; i < NC_WAYS; i++) {
		s = &set[i];
		if (s->used && memcmp(s->id, mac + 8, SLOT_ID_LEN) == 0) {
			if (nc > s->nc) {
				s->nc = nc;
				res = DIGEST_OK;
			} else
				res = DIGEST_REPLAY;
			goto out;
		}
	}
	if (seq < d->seq0 || seq < d->floors[si]) {
		/* It may have been evicted from this set with its history. */
		res = DIGEST_STALE;
		goto out;
	}
	/* A free slot, or one whose nonce expired (it cannot come back). */
	for (i = 0; i < NC_WAYS && victim == NULL; i++)
		if (!set[i].used || (int64_t)now - set[i].ts > (int64_t)d->ttl)
			victim = &set[i];
	if (victim == NULL) {
		for (victim = &set[0], i = 1; i < NC_WAYS; i++)
			if (set[i].ts < victim->ts)
				victim = &set[i];
		d->floors[si] = atomic_load(&d->seq);
	}
	memcpy(victim->id, mac + 8, SLOT_ID_LEN);
	victim->ts = ts;
	victim->nc = nc;
	victim->used = 1;
	res = DIGEST_OK;
 out:
	pthread_mutex_unlock(&d->lock);
	return res;
}

enum digest_result
digest_verify(struct digest_ctx *d, const struct digest_creds *c,
    const char *method, const char *uri, const char *realm,
    const char *ha1_hex, int allow_no_qop, time_t now)
{
	return digest_verify_any(d, c, method, uri, realm, &ha1_hex, 1,
	    allow_no_qop, now, NULL);
}

enum digest_result
digest_verify_any(struct digest_ctx *d, const struct digest_creds *c,
    const char *method, const char *uri, const char *realm,
    const char *const *ha1s, size_t n, int allow_no_qop, time_t now,
    size_t *which)
{
	unsigned char		 raw[NONCE_RAW_LEN], in[NONCE_HEAD_LEN + 1];
	unsigned char		 h[HMAC_LEN];
	char			 ha1[DIGEST_HEX_MAX], want[DIGEST_HEX_MAX];
	char			 got[DIGEST_RESPONSE_SIZE];
	size_t			 rawlen, i, matched;
	int64_t			 ts, age;
	uint32_t		 nc = 1;
	int			 eq;
	enum digest_result	 res = DIGEST_FAIL;

	memset(want, 0, sizeof(want));
	memset(ha1, 0, sizeof(ha1));
	if (d == NULL || c == NULL || method == NULL || uri == NULL ||
	    ha1s == NULL || n == 0 || n > DIGEST_HA1_ANY_MAX ||
	    !digest_realm_ok(realm) || c->kind != AUTH_DIGEST ||
	    digest_hexlen(c->alg) == 0)
		goto done;
	/* RFC 7616 §3.4.4: we keep no userhash index. */
	if (c->userhash)
		goto done;
	/* RFC 7616 §3.4: the uri is the request-target, realm ours. */
	if (strcmp(c->realm, realm) != 0 || strcmp(c->uri, uri) != 0)
		goto done;
	if (c->qop[0] != '\0') {
		/* auth-int would need the body; we never offer it. */
		if (!digest_ieq(c->qop, strlen(c->qop), "auth") ||
		    c->cnonce[0] == '\0' || digest_nc_value(c->nc, &nc) == -1)
			goto done;
	} else if (!allow_no_qop || c->nc[0] != '\0' || c->cnonce[0] != '\0')
		goto done;

	/*
	 * Our nonce, for this realm and algorithm?  opaque is not checked:
	 * it carries no state, the nonce does.
	 */
	if (strlen(c->nonce) != NONCE_B64_LEN ||
	    digest_unb64(c->nonce, NONCE_B64_LEN, b64_url, raw, sizeof(raw),
	    &rawlen) == -1 || rawlen != NONCE_RAW_LEN)
		goto done;
	memcpy(in, raw, NONCE_HEAD_LEN);
	in[NONCE_HEAD_LEN] = (unsigned char)c->alg;
	if (digest_mac(d, nonce_label, in, sizeof(in), realm, h) == -1 ||
	    CRYPTO_memcmp(h, raw + NONCE_HEAD_LEN, NONCE_MAC_LEN) != 0)
		goto done;

	for (i = 0; c->response[i] != '\0' && i + 1 < sizeof(got); i++)
		got[i] = (char)digest_lower((unsigned char)c->response[i]);
	got[i] = '\0';
	/*
	 * Every candidate is computed and compared, with no early exit, so
	 * the time taken does not say which one (if any) matched.
	 */
	matched = n;
	for (i = 0; i < n; i++) {
		if (ha1s[i] == NULL ||
		    digest_hexnorm(c->alg, ha1s[i], ha1) == -1 ||
		    digest_response(c->alg, ha1, c->nonce, c->nc, c->cnonce,
		    c->qop, method, c->uri, want, sizeof(want)) == -1)
			continue;
		eq = util_ct_streq(want, got);
		if (eq && matched == n)
			matched = i;
	}
	if (matched == n)
		goto done;
	if (which != NULL)
		*which = matched;

	/*
	 * The credentials are right; only freshness is left, so that a
	 * wrong password is FAIL and never STALE.  The nc is recorded once,
	 * whichever candidate matched.
	 */
	ts = (int64_t)digest_get64(raw);
	if (__builtin_sub_overflow((int64_t)now, ts, &age) ||
	    age > (int64_t)d->ttl || age < -(int64_t)d->ttl) {
		res = DIGEST_STALE;
		goto done;
	}
	res = digest_nc_check(d, raw + NONCE_HEAD_LEN, digest_get64(raw + 8),
	    ts, nc, now);
 done:
	util_wipe(ha1, sizeof(ha1));
	util_wipe(want, sizeof(want));
	return res;
}

int
digest_basic_check(const struct digest_creds *c, enum digest_alg alg,
    const char *realm, const char *ha1_hex)
{
	char	 mine[DIGEST_HEX_MAX], theirs[DIGEST_HEX_MAX];
	int	 ok = 0;

	memset(mine, 0, sizeof(mine));
	memset(theirs, 0, sizeof(theirs));
	if (c == NULL || c->kind != AUTH_BASIC || realm == NULL ||
	    digest_hexnorm(alg, ha1_hex, theirs) == -1 ||
	    digest_ha1(alg, c->username, realm, c->password, mine,
	    sizeof(mine)) == -1)
		goto done;
	ok = util_ct_streq(mine, theirs);
 done:
	util_wipe(mine, sizeof(mine));
	util_wipe(theirs, sizeof(theirs));
	return ok;
}
