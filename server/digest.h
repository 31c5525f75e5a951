/*
 * digest: server side of HTTP Digest (RFC 7616) and Basic (RFC 7617)
 * authentication, also used for SIP Digest of SUBSCRIBE (RFC 3261 §22.4,
 * MD5, with or without qop).
 *
 * Nonces are stateless: timestamp, sequence number, random bytes and an
 * HMAC-SHA256 under the server secret, so any thread verifies them without
 * a lookup and they expire on their own.  The only shared state is the nc
 * replay table, behind a mutex.  A nonce is bound to its realm and
 * algorithm, not to a URI or a method.  All functions are thread-safe;
 * a struct digest_creds belongs to the caller that filled it.
 */
#ifndef SIPCFG_DIGEST_H
#define SIPCFG_DIGEST_H

#include <stddef.h>
#include <time.h>

enum digest_alg { DIGEST_MD5, DIGEST_SHA256 };

#define DIGEST_HA1_MD5_HEX	33	/* 32 hex + NUL */
#define DIGEST_HA1_SHA256_HEX	65	/* 64 hex + NUL */
#define DIGEST_HEX_MAX		DIGEST_HA1_SHA256_HEX

#define DIGEST_SECRET_MIN	32	/* bytes of server secret, at least */
#define DIGEST_SECRET_MAX	1024
#define DIGEST_HDR_MAX		8192	/* longer Authorization values are bad */
#define DIGEST_CHALLENGE_MAX	768	/* enough for any challenge we build */

/* Field sizes in struct digest_creds, NUL included. */
#define DIGEST_USER_SIZE	256
#define DIGEST_REALM_SIZE	256
#define DIGEST_NONCE_SIZE	256
#define DIGEST_URI_SIZE		2048
#define DIGEST_RESPONSE_SIZE	130
#define DIGEST_QOP_SIZE		32
#define DIGEST_NC_SIZE		16
#define DIGEST_CNONCE_SIZE	256
#define DIGEST_OPAQUE_SIZE	256
#define DIGEST_PASSWORD_SIZE	256

/*
 * Opaque: server secret, nonce lifetime and the nc replay table behind a
 * mutex.  Shared by all threads.
 */
struct digest_ctx;

/*
 * secret: at least DIGEST_SECRET_MIN bytes, copied.  nonce_ttl: seconds
 * after which a nonce is stale (> 0).  nc_slots: size of the replay table
 * (e.g. 65536, about the number of clients active within nonce_ttl).
 * NULL on error.  Free with digest_free().
 */
struct digest_ctx *digest_new(const unsigned char *secret, size_t secretlen,
	    unsigned nonce_ttl, size_t nc_slots);
/* Accepts NULL; wipes the secret. */
void	 digest_free(struct digest_ctx *);

/*
 * HA1 = H(user ":" realm ":" password) in lower-case hex into out, which
 * holds DIGEST_HA1_MD5_HEX or DIGEST_HA1_SHA256_HEX bytes.  0/-1.
 */
int	 digest_ha1(enum digest_alg, const char *user, const char *realm,
	    const char *password, char *out, size_t outlen);

/*
 * The response a client computes (RFC 7616 §3.4.1, RFC 2069 when qop is
 * NULL or empty; nc and cnonce are then ignored), in lower-case hex into
 * out (size per alg).  ha1_hex may be in either case.  Public for the
 * tests and for the companion test UA.  0/-1.
 */
int	 digest_response(enum digest_alg, const char *ha1_hex,
	    const char *nonce, const char *nc, const char *cnonce,
	    const char *qop, const char *method, const char *uri,
	    char *out, size_t outlen);

/*
 * Build a WWW-Authenticate header value with a fresh nonce:
 *   Digest realm="..", qop="auth", algorithm=SHA-256, nonce="..",
 *   opaque=".." [, stale=true]
 * For HTTP send two headers, SHA-256 first, then MD5 (RFC 7616 §3.7);
 * for SIP one MD5 header.  out of DIGEST_CHALLENGE_MAX bytes is enough.
 * The realm is at most DIGEST_REALM_SIZE - 1 bytes with no control
 * characters.  0/-1.
 */
int	 digest_challenge(struct digest_ctx *, enum digest_alg,
	    const char *realm, int stale, time_t now, char *out, size_t outlen);

/*
 * AUTH_OTHER: a well-formed scheme we do not implement (Bearer, NTLM,
 * Negotiate, ...); RFC 7235 §3.1 answers it with our challenges.
 */
enum auth_kind { AUTH_NONE, AUTH_BASIC, AUTH_DIGEST, AUTH_BAD, AUTH_OTHER };

/* A parsed Authorization header.  Every string is an owned copy. */
struct digest_creds {
	enum auth_kind	 kind;
	enum digest_alg	 alg;	/* algorithm=, MD5 when absent (RFC 2617) */
	char	 username[DIGEST_USER_SIZE];	/* also from username* */
	char	 realm[DIGEST_REALM_SIZE];
	char	 nonce[DIGEST_NONCE_SIZE];
	char	 uri[DIGEST_URI_SIZE];
	char	 response[DIGEST_RESPONSE_SIZE];
	char	 qop[DIGEST_QOP_SIZE];		/* "" when absent */
	char	 nc[DIGEST_NC_SIZE];		/* "" when absent */
	char	 cnonce[DIGEST_CNONCE_SIZE];	/* "" when absent */
	char	 opaque[DIGEST_OPAQUE_SIZE];
	char	 password[DIGEST_PASSWORD_SIZE];	/* Basic only */
	int	 userhash;	/* userhash=true: parsed, never verified */
};

/*
 * Parse an Authorization (HTTP) or Authorization/Proxy-Authorization (SIP)
 * header value into *creds and return its kind: AUTH_NONE for NULL or
 * empty, AUTH_OTHER for another scheme, AUTH_BAD for malformed input,
 * over-long fields or an unsupported algorithm, else AUTH_BASIC or
 * AUTH_DIGEST.  Folded lines must have been unfolded.
 * On AUTH_BAD and AUTH_NONE the struct holds nothing but the kind.
 * Call digest_creds_wipe() when done.
 */
enum auth_kind digest_parse(const char *hdr, struct digest_creds *);
/* The same for a value of len bytes; an embedded NUL is AUTH_BAD. */
enum auth_kind digest_parse_buf(const char *hdr, size_t len,
	    struct digest_creds *);
void	 digest_creds_wipe(struct digest_creds *);

/*
 * DIGEST_OK: authenticated.  DIGEST_FAIL: wrong credentials or forged
 * nonce; answer 401 with fresh challenges.  DIGEST_STALE (expired or
 * evicted nonce, right password) and DIGEST_REPLAY (nc not above the
 * highest seen for this nonce): answer 401 with stale=true challenges.
 */
enum digest_result { DIGEST_OK, DIGEST_FAIL, DIGEST_STALE, DIGEST_REPLAY };

/*
 * Verify parsed Digest creds against ha1_hex, the stored HA1 for
 * creds->alg and the user named in creds->username.  method and uri are
 * what the server saw ("GET", "HEAD", "SUBSCRIBE"; the request-target or
 * Request-URI, compared exactly with creds->uri); realm is the server's.
 * qop="auth" is required unless allow_no_qop is set (RFC 2069 style SIP
 * phones); a nonce used without qop counts as nc 1, so it is good once.
 * nc must be strictly above the highest seen for the nonce.  Thread-safe.
 */
enum digest_result digest_verify(struct digest_ctx *,
	    const struct digest_creds *, const char *method, const char *uri,
	    const char *realm, const char *ha1_hex, int allow_no_qop,
	    time_t now);

/*
 * The same against n (1..DIGEST_HA1_ANY_MAX) candidate HA1s, for a user
 * whose old password is still accepted during a rotation: the response
 * is computed and compared (in constant time) for every candidate, and
 * the nonce's nc is checked and recorded once, for whichever matched, so
 * trying a second HA1 is never mistaken for a replay of the first.
 * *which (may be NULL) is the index of the candidate that matched, set
 * when the answer is DIGEST_OK, DIGEST_STALE or DIGEST_REPLAY.  A NULL
 * or malformed candidate never matches.
 */
#define DIGEST_HA1_ANY_MAX	4
enum digest_result digest_verify_any(struct digest_ctx *,
	    const struct digest_creds *, const char *method, const char *uri,
	    const char *realm, const char *const *ha1_hex, size_t n,
	    int allow_no_qop, time_t now, size_t *which);

/*
 * Basic: 1 if H(creds->username ":" realm ":" creds->password) for alg
 * equals ha1_hex (compared in constant time), else 0.
 */
int	 digest_basic_check(const struct digest_creds *, enum digest_alg,
	    const char *realm, const char *ha1_hex);

#endif
