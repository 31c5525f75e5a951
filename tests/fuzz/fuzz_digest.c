/*
 * fuzz_digest: libFuzzer target for the Authorization parser and the
 * verifiers behind it.  The input is a header value.  Besides "no crash",
 * it checks that digest_parse() and digest_parse_buf() agree, that a NUL
 * byte is always AUTH_BAD, that Basic matches exactly one user, and that
 * a Digest answer accepted once is a REPLAY the second time.  Fuzzed qop,
 * nc and cnonce reach the replay table through a fresh nonce and a
 * correct response computed here.  Single-threaded, as libFuzzer runs it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "digest.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_REALM	"sipcfg"
#define FUZZ_NOW	((time_t)1700000000)
#define FUZZ_USER	"alice"
#define FUZZ_PASSWORD	"secret"

/* Same secret as the generator of the seed corpus. */
static const unsigned char fuzz_secret[] = "sipcfg-fuzz-secret-0123456789abc";

/* Made on the first input, kept for the process: fuzzing thread only. */
static struct digest_ctx	*fuzz_ctx;
static char			 fuzz_md5[DIGEST_HA1_MD5_HEX];
static char			 fuzz_sha256[DIGEST_HA1_SHA256_HEX];

static void
fuzz_init(void)
{
	/* Few slots, so that nonces evict each other. */
	fuzz_ctx = digest_new(fuzz_secret, sizeof(fuzz_secret) - 1, 300, 8);
	if (fuzz_ctx == NULL ||
	    digest_ha1(DIGEST_MD5, FUZZ_USER, FUZZ_REALM, FUZZ_PASSWORD,
	    fuzz_md5, sizeof(fuzz_md5)) == -1 ||
	    digest_ha1(DIGEST_SHA256, FUZZ_USER, FUZZ_REALM, FUZZ_PASSWORD,
	    fuzz_sha256, sizeof(fuzz_sha256)) == -1)
		abort();
}

/* Replace the nonce with a fresh one and the response with the right one. */
static int
fuzz_answer(struct digest_creds *c, const char *method, const char *ha1)
{
	char		 ch[DIGEST_CHALLENGE_MAX];
	const char	*p, *e;

	if (digest_challenge(fuzz_ctx, c->alg, c->realm, 0, FUZZ_NOW, ch,
	    sizeof(ch)) == -1)
		return -1;
	/* The last nonce=" is ours: the realm, first, may hold the text. */
	for (p = NULL, e = ch; (e = strstr(e, "nonce=\"")) != NULL; e++)
		p = e;
	if (p == NULL || (e = strchr(p + 7, '"')) == NULL ||
	    (size_t)(e - p - 7) >= sizeof(c->nonce))
		abort();
	memcpy(c->nonce, p + 7, (size_t)(e - p - 7));
	c->nonce[e - p - 7] = '\0';
	return digest_response(c->alg, ha1, c->nonce, c->nc, c->cnonce,
	    c->qop, method, c->uri, c->response, sizeof(c->response));
}

/* Step nc by one and answer again; -1 without qop or at the top. */
static int
fuzz_next_nc(struct digest_creds *c, const char *method, const char *ha1)
{
	unsigned long	 nc;
	char		*end;

	if (c->qop[0] == '\0')
		return -1;
	nc = strtoul(c->nc, &end, 16);
	if (*end != '\0' || nc >= 0xffffffffUL)
		return -1;
	snprintf(c->nc, sizeof(c->nc), "%08lx", nc + 1);
	return digest_response(c->alg, ha1, c->nonce, c->nc, c->cnonce,
	    c->qop, method, c->uri, c->response, sizeof(c->response));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct digest_creds	 c, c2;	/* large: not on the stack */
	enum digest_result		 r;
	enum auth_kind			 k, k2;
	const char			*method, *ha1;
	char				*s;
	int				 want;

	if (fuzz_ctx == NULL)
		fuzz_init();
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	k = digest_parse(s, &c);
	k2 = digest_parse_buf((const char *)data, size, &c2);
	if (memchr(data, '\0', size) != NULL) {
		if (k2 != AUTH_BAD)
			abort();
	} else if (k != k2 || memcmp(&c, &c2, sizeof(c)) != 0)
		abort();

	if (k == AUTH_DIGEST) {
		ha1 = c.alg == DIGEST_SHA256 ? fuzz_sha256 : fuzz_md5;
		method = strncmp(c.uri, "sip:", 4) == 0 ? "SUBSCRIBE" : "GET";
		(void)digest_verify(fuzz_ctx, &c, method, "/cfg", FUZZ_REALM,
		    ha1, 0, FUZZ_NOW);
		(void)digest_verify(fuzz_ctx, &c, method, c.uri, c.realm, ha1,
		    1, FUZZ_NOW);
		if (fuzz_answer(&c, method, ha1) == 0) {
			/* Right answer to a fresh nonce: only qop can spoil it. */
			want = !c.userhash && (c.qop[0] == '\0' ||
			    (strcasecmp(c.qop, "auth") == 0 &&
			    c.cnonce[0] != '\0'));
			r = digest_verify(fuzz_ctx, &c, method, c.uri, c.realm,
			    ha1, 1, FUZZ_NOW + 301);
			if (r != (want ? DIGEST_STALE : DIGEST_FAIL))
				abort();
			r = digest_verify(fuzz_ctx, &c, method, c.uri, c.realm,
			    ha1, 1, FUZZ_NOW);
			if (r != (want ? DIGEST_OK : DIGEST_FAIL))
				abort();
			if (want && digest_verify(fuzz_ctx, &c, method, c.uri,
			    c.realm, ha1, 1, FUZZ_NOW) != DIGEST_REPLAY)
				abort();
			if (want && fuzz_next_nc(&c, method, ha1) == 0 &&
			    digest_verify(fuzz_ctx, &c, method, c.uri, c.realm,
			    ha1, 1, FUZZ_NOW) != DIGEST_OK)
				abort();
		}
	} else if (k == AUTH_BASIC) {
		want = strcmp(c.username, FUZZ_USER) == 0 &&
		    strcmp(c.password, FUZZ_PASSWORD) == 0;
		if (digest_basic_check(&c, DIGEST_MD5, FUZZ_REALM, fuzz_md5) !=
		    want || digest_basic_check(&c, DIGEST_SHA256, FUZZ_REALM,
		    fuzz_sha256) != want)
			abort();
	}

	digest_creds_wipe(&c);
	digest_creds_wipe(&c2);
	free(s);
	return 0;
}
