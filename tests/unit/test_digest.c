/*
 * test_digest: TAP tests of server/digest.c.  Bad input first (the parser
 * faces the network), then the RFC vectors, then round trips through
 * digest_challenge() and digest_verify() as a client would do them, the
 * two-HA1 digest_verify_any() of a password rotation, then the replay
 * table under four threads.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "digest.h"
#include "tap.h"

#define REALM	"sipcfg"
#define NOW	((time_t)1700000000)
#define TTL	300

static const unsigned char secret[32] = {
	0x73, 0x69, 0x70, 0x63, 0x66, 0x67, 0x2d, 0x74,
	0x65, 0x73, 0x74, 0x2d, 0x73, 0x65, 0x63, 0x72,
	0x65, 0x74, 0x2d, 0x30, 0x31, 0x32, 0x33, 0x34,
	0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63
};

static enum auth_kind
parse(const char *hdr)
{
	struct digest_creds	 c;
	enum auth_kind		 k;

	k = digest_parse(hdr, &c);
	digest_creds_wipe(&c);
	return k;
}

#define GOOD_TAIL "realm=\"r\", nonce=\"n\", uri=\"/\", response=\"ab\""

static void
test_bad_input(void)
{
	struct digest_creds	 c;
	char			*big;
	size_t			 i;
	static const struct {
		const char	*hdr;
		const char	*desc;
	} bad[] = {
		{ "Digest username=\"Mufasa", "unterminated quote" },
		{ "Digest username=\"Mufasa\\", "unterminated after backslash" },
		{ "Digest username \"Mufasa\", " GOOD_TAIL, "missing '='" },
		{ "Digest username, " GOOD_TAIL, "name without value" },
		{ "Digest username=, " GOOD_TAIL, "empty token value" },
		{ "Digest username=\"a\", username=\"b\", " GOOD_TAIL,
		    "duplicate param" },
		{ "Digest username=\"a\", USERNAME=\"a\", " GOOD_TAIL,
		    "duplicate param, other case" },
		{ "Digest username=\"a\", foo=1, Foo=2, " GOOD_TAIL,
		    "duplicate unknown param" },
		{ "Digest username=\"a\", username*=UTF-8''a, " GOOD_TAIL,
		    "username and username*" },
		{ "Digest username*=ISO-8859-1''a, " GOOD_TAIL,
		    "username* in another charset" },
		{ "Digest username*=UTF-8''a%0Ab, " GOOD_TAIL,
		    "username* with an encoded control character" },
		{ "Digest username*=UTF-8''a%G0, " GOOD_TAIL,
		    "username* with bad percent-encoding" },
		{ "Digest", "Digest with no params" },
		{ "Digest   ", "Digest with only blanks" },
		{ "Digest ,, ,", "Digest with only commas" },
		{ "Digestusername=\"a\"", "no space after scheme" },
		{ "Digest abcdef==", "Digest with token68" },
		{ "Digest username=\"a\" realm=\"r\", nonce=\"n\", uri=\"/\", "
		    "response=\"ab\"", "params without a comma" },
		{ "Digest realm=\"r\", nonce=\"n\", uri=\"/\", response=\"ab\"",
		    "no username" },
		{ "Digest username=\"a\", realm=\"r\", uri=\"/\", "
		    "response=\"ab\"", "no nonce" },
		{ "Digest username=\"a\", realm=\"r\", nonce=\"n\", "
		    "response=\"ab\"", "no uri" },
		{ "Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"/\"",
		    "no response" },
		{ "Digest username=\"a\", qop=auth, " GOOD_TAIL,
		    "qop without nc and cnonce" },
		{ "Digest username=\"a\", qop=auth, nc=00000001, " GOOD_TAIL,
		    "qop without cnonce" },
		{ "Digest username=\"a\", nc=00000001, cnonce=\"x\", " GOOD_TAIL,
		    "nc and cnonce without qop" },
		{ "Digest username=\"a\", qop=auth, nc=1, cnonce=\"x\", "
		    GOOD_TAIL, "nc not 8 hex digits" },
		{ "Digest username=\"a\", qop=auth, nc=0000000g, cnonce=\"x\", "
		    GOOD_TAIL, "nc not hex" },
		{ "Digest username=\"a\", qop=auth, nc=00000000, cnonce=\"x\", "
		    GOOD_TAIL, "nc zero" },
		{ "Digest username=\"a\", qop=\"\", " GOOD_TAIL, "empty qop" },
		{ "Digest username=\"a\", algorithm=MD5-sess, " GOOD_TAIL,
		    "algorithm MD5-sess" },
		{ "Digest username=\"a\", algorithm=SHA-512-256, " GOOD_TAIL,
		    "algorithm SHA-512-256" },
		{ "Digest username=\"a\", userhash=maybe, " GOOD_TAIL,
		    "userhash neither true nor false" },
		{ "Digest username=\"a\x01\", " GOOD_TAIL, "control character" },
		{ "Digest username=\"a\",\r\n " GOOD_TAIL, "folded line" },
		{ "Digest username=\"a\x7f\", " GOOD_TAIL, "DEL" },
		{ "Digest username=\"a\", =\"x\", " GOOD_TAIL, "empty name" },
		{ "Digest username=\"a\", \"x\", " GOOD_TAIL, "bare string" },
		{ "=Digest", "no scheme" },
		{ "Basic", "Basic alone" },
		{ "Basic !!!!", "garbage base64" },
		{ "Basic QWxhZGRpbg==", "Basic without colon" },
		{ "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=", "bad padding" },
		{ "Basic QWxhZGRpbjpvcGVuIHNlc2FtZR==", "non-canonical base64" },
		{ "Basic QWxhZGRpbjpvcGVuIHNlc2FtZ", "base64 length 1 mod 4" },
		{ "Basic QWxh ZGRpbjpvcGVuIHNlc2FtZQ==", "two tokens" },
		{ "Basic QWxhZGRpbjpvcGVu=IHNlc2FtZQ==", "padding inside" },
		{ "Basic YQBiOmM=", "NUL inside base64 (a\\0b:c)" },
		{ "Basic YTpiDWM=", "CR in a Basic password" },
		{ "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==,x=y", "Basic with params" },
		{ "Basic QWxhZGRpbi1vcGVuIHNlc2FtZQ==", "Basic: no colon, dash" },
	};

	ok(digest_parse(NULL, &c) == AUTH_NONE, "NULL is AUTH_NONE");
	ok(digest_parse("", &c) == AUTH_NONE, "empty is AUTH_NONE");
	ok(digest_parse(" \t ", &c) == AUTH_NONE, "blanks are AUTH_NONE");
	ok(digest_parse("x", NULL) == AUTH_BAD, "NULL creds are AUTH_BAD");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(parse(bad[i].hdr) == AUTH_BAD, "bad: %s", bad[i].desc);
	/* Other schemes are not malformed: RFC 7235 re-challenges them. */
	ok(parse("Bearer mF_9.B5f-4.1JqM") == AUTH_OTHER,
	    "other: unknown scheme");
	ok(parse("Negotiate") == AUTH_OTHER, "other: unknown scheme alone");
	ok(parse("NTLM TlRMTVNTUAABAAAAB4IIog==") == AUTH_OTHER, "other: NTLM");
	ok(parse("  bearer x") == AUTH_OTHER, "other: leading blanks, any case");
	ok(parse("Digest\tusername=\"a\", " GOOD_TAIL) == AUTH_DIGEST,
	    "a tab after the scheme is still Digest");

	/* Embedded NUL bytes, only visible through the length. */
	{
		static const char nul[] = "Digest username=\"a\0b\", "
		    GOOD_TAIL;
		static const char nul2[] = "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\0";

		ok(digest_parse_buf(nul, sizeof(nul) - 1, &c) == AUTH_BAD,
		    "bad: NUL inside a quoted string");
		ok(digest_parse_buf(nul2, sizeof(nul2) - 1, &c) == AUTH_BAD,
		    "bad: NUL after Basic credentials");
		ok(digest_parse_buf(nul2, sizeof(nul2) - 2, &c) == AUTH_BASIC,
		    "same Basic credentials without the NUL");
		ok(digest_parse_buf(NULL, 5, &c) == AUTH_NONE,
		    "NULL buffer is AUTH_NONE");
	}

	/* Field and header bounds. */
	if ((big = malloc(DIGEST_HDR_MAX + 64)) == NULL)
		abort();
	memset(big, 0, DIGEST_HDR_MAX + 64);
	memcpy(big, "Digest username=\"", 17);
	memset(big + 17, 'a', DIGEST_USER_SIZE);
	memcpy(big + 17 + DIGEST_USER_SIZE, "\", " GOOD_TAIL,
	    sizeof("\", " GOOD_TAIL));
	ok(parse(big) == AUTH_BAD, "bad: username of %d bytes",
	    DIGEST_USER_SIZE);
	memmove(big + 17, big + 18, strlen(big + 18) + 1);
	ok(parse(big) == AUTH_DIGEST, "username of %d bytes fits",
	    DIGEST_USER_SIZE - 1);

	memset(big, 0, DIGEST_HDR_MAX + 64);
	memcpy(big, "Digest uri=\"", 12);
	memset(big + 12, '/', DIGEST_URI_SIZE);
	memcpy(big + 12 + DIGEST_URI_SIZE, "\", username=a, realm=r, "
	    "nonce=n, response=ab", sizeof("\", username=a, realm=r, "
	    "nonce=n, response=ab"));
	ok(parse(big) == AUTH_BAD, "bad: uri of %d bytes", DIGEST_URI_SIZE);

	memset(big, 0, DIGEST_HDR_MAX + 64);
	memcpy(big, "Digest username=a, " GOOD_TAIL ", x=\"",
	    sizeof("Digest username=a, " GOOD_TAIL ", x=\"") - 1);
	i = strlen(big);
	memset(big + i, 'x', DIGEST_HDR_MAX - i);
	big[DIGEST_HDR_MAX - 1] = '"';
	ok(parse(big) == AUTH_DIGEST, "header of %d bytes", DIGEST_HDR_MAX);
	big[DIGEST_HDR_MAX - 1] = 'x';
	big[DIGEST_HDR_MAX] = '"';
	ok(parse(big) == AUTH_BAD, "bad: header of %d bytes",
	    DIGEST_HDR_MAX + 1);

	/* 5 params, then unknown ones up to the bound of 32. */
	memset(big, 0, DIGEST_HDR_MAX + 64);
	memcpy(big, "Digest username=a, " GOOD_TAIL,
	    sizeof("Digest username=a, " GOOD_TAIL));
	for (i = 0; i < 27; i++) {
		size_t	 n = strlen(big);

		snprintf(big + n, DIGEST_HDR_MAX - n, ", p%zu=v", i);
	}
	ok(parse(big) == AUTH_DIGEST, "32 params");
	memcpy(big + strlen(big), ", q=v", sizeof(", q=v"));
	ok(parse(big) == AUTH_BAD, "bad: 33 params");
	free(big);

	/* A rejected header leaves no password behind. */
	ok(digest_parse("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", &c) ==
	    AUTH_BASIC && c.password[0] != '\0', "Basic parses");
	ok(digest_parse("Basic !!", &c) == AUTH_BAD && c.password[0] == '\0' &&
	    c.username[0] == '\0', "AUTH_BAD clears the struct");
	digest_creds_wipe(NULL);
}

static void
test_parse(void)
{
	struct digest_creds	 c;

	/* RFC 7616 §3.9.1, unfolded. */
	ok(digest_parse("Digest username=\"Mufasa\", "
	    "realm=\"http-auth@example.org\", uri=\"/dir/index.html\", "
	    "algorithm=SHA-256, "
	    "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", "
	    "nc=00000001, "
	    "cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", "
	    "qop=auth, response=\"753927fa0e85d155564e2e272a28d1802ca10daf"
	    "4496794697cf8db5856cb6c1\", "
	    "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"", &c) ==
	    AUTH_DIGEST, "RFC 7616 example parses");
	ok(c.alg == DIGEST_SHA256 && c.userhash == 0 &&
	    strcmp(c.username, "Mufasa") == 0 &&
	    strcmp(c.realm, "http-auth@example.org") == 0 &&
	    strcmp(c.uri, "/dir/index.html") == 0 &&
	    strcmp(c.nonce, "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v") ==
	    0 && strcmp(c.nc, "00000001") == 0 &&
	    strcmp(c.cnonce, "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ") ==
	    0 && strcmp(c.qop, "auth") == 0 &&
	    strcmp(c.response, "753927fa0e85d155564e2e272a28d1802ca10daf"
	    "4496794697cf8db5856cb6c1") == 0 &&
	    strcmp(c.opaque, "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS") ==
	    0, "RFC 7616 example fields");

	ok(digest_parse("dIgEsT USERNAME=\"a\", Realm=\"r\", NONCE=\"n\", "
	    "Uri=\"/\", RESPONSE=\"ab\", ALGORITHM=sha-256", &c) ==
	    AUTH_DIGEST && c.alg == DIGEST_SHA256,
	    "scheme and names are case-insensitive");
	ok(digest_parse("Digest username=\"a\", " GOOD_TAIL, &c) ==
	    AUTH_DIGEST && c.alg == DIGEST_MD5 && c.qop[0] == '\0',
	    "no algorithm means MD5");
	ok(digest_parse("Digest username=\"Mu\\\"fa\\\\sa\", realm=\"a\\,b\", "
	    "nonce=\"n\", uri=\"/a b\", response=\"ab\"", &c) == AUTH_DIGEST &&
	    strcmp(c.username, "Mu\"fa\\sa") == 0 &&
	    strcmp(c.realm, "a,b") == 0 && strcmp(c.uri, "/a b") == 0,
	    "quoted-pair escapes");
	ok(digest_parse("  Digest\t,, username = a ,realm=\"r\",,nonce=n,\t"
	    "uri=\"/\" , response=ab ,", &c) == AUTH_DIGEST &&
	    strcmp(c.username, "a") == 0 && strcmp(c.nonce, "n") == 0 &&
	    strcmp(c.response, "ab") == 0,
	    "blanks, empty list elements, token values");
	ok(digest_parse("Digest username=\"a\", qop=\"auth\", nc=\"0000000A\", "
	    "cnonce=c, " GOOD_TAIL ", future=\"x\", other=y", &c) ==
	    AUTH_DIGEST && strcmp(c.qop, "auth") == 0 &&
	    strcmp(c.nc, "0000000A") == 0 && strcmp(c.cnonce, "c") == 0,
	    "quoted qop and nc, unknown params ignored");
	ok(digest_parse("Digest username=\"\\\xc3\xa9\", " GOOD_TAIL,
	    &c) == AUTH_DIGEST && strcmp(c.username, "\xc3\xa9") == 0,
	    "obs-text in a quoted string");
	/* RFC 7616 §3.9.2 */
	ok(digest_parse("Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, "
	    GOOD_TAIL, &c) == AUTH_DIGEST &&
	    strcmp(c.username, "J\xc3\xa4s\xc3\xb8n Doe") == 0,
	    "username* (RFC 8187) is decoded");
	ok(digest_parse("Digest username=\"abc\", userhash=TRUE, " GOOD_TAIL,
	    &c) == AUTH_DIGEST && c.userhash == 1, "userhash=true parses");

	/* RFC 7617 §2 */
	ok(digest_parse("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", &c) ==
	    AUTH_BASIC && strcmp(c.username, "Aladdin") == 0 &&
	    strcmp(c.password, "open sesame") == 0,
	    "RFC 7617 example: Aladdin / open sesame");
	ok(digest_parse("basic   YTpiOmM= ", &c) == AUTH_BASIC &&
	    strcmp(c.username, "a") == 0 && strcmp(c.password, "b:c") == 0,
	    "Basic splits at the first colon");
	ok(digest_parse("Basic OmI", &c) == AUTH_BASIC &&
	    c.username[0] == '\0' && strcmp(c.password, "b") == 0,
	    "Basic without padding, empty user");
	ok(digest_parse("Basic w6k6w6k=", &c) == AUTH_BASIC &&
	    strcmp(c.username, "\xc3\xa9") == 0,
	    "Basic with UTF-8");
	digest_creds_wipe(&c);
	ok(c.password[0] == '\0' && c.username[0] == '\0',
	    "digest_creds_wipe clears");
}

static void
test_vectors(void)
{
	char	 out[DIGEST_HA1_SHA256_HEX];

	ok(digest_ha1(DIGEST_MD5, "Mufasa", "http-auth@example.org",
	    "Circle of Life", out, sizeof(out)) == 0 &&
	    strcmp(out, "3d78807defe7de2157e2b0b6573a855f") == 0,
	    "HA1 MD5 of Mufasa");
	ok(digest_ha1(DIGEST_SHA256, "Mufasa", "http-auth@example.org",
	    "Circle of Life", out, sizeof(out)) == 0 &&
	    strcmp(out, "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a0026"
	    "2392d7b4794232") == 0, "HA1 SHA-256 of Mufasa");
	ok(digest_ha1(DIGEST_SHA256, "Mufasa", "r", "p", out,
	    DIGEST_HA1_SHA256_HEX - 1) == -1, "HA1 into a short buffer fails");
	ok(digest_ha1(DIGEST_MD5, NULL, "r", "p", out, sizeof(out)) == -1,
	    "HA1 of NULL user fails");
	ok(digest_ha1((enum digest_alg)7, "u", "r", "p", out, sizeof(out)) ==
	    -1, "HA1 with an unknown algorithm fails");

	/* RFC 7616 §3.9.1 */
	ok(digest_response(DIGEST_MD5, "3d78807defe7de2157e2b0b6573a855f",
	    "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "00000001",
	    "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "auth", "GET",
	    "/dir/index.html", out, sizeof(out)) == 0 &&
	    strcmp(out, "8ca523f5e9506fed4657c9700eebdbec") == 0,
	    "RFC 7616 MD5 response");
	ok(digest_response(DIGEST_SHA256, "7987c64c30e25f1b74be53f966b49b90"
	    "f2808aa92faf9a00262392d7b4794232",
	    "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "00000001",
	    "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "auth", "GET",
	    "/dir/index.html", out, sizeof(out)) == 0 &&
	    strcmp(out, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697"
	    "cf8db5856cb6c1") == 0, "RFC 7616 SHA-256 response");
	ok(digest_response(DIGEST_MD5, "3D78807DEFE7DE2157E2B0B6573A855F",
	    "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "00000001",
	    "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "auth", "GET",
	    "/dir/index.html", out, sizeof(out)) == 0 &&
	    strcmp(out, "8ca523f5e9506fed4657c9700eebdbec") == 0,
	    "upper-case HA1 gives the same response");
	ok(digest_response(DIGEST_SHA256, "3d78807defe7de2157e2b0b6573a855f",
	    "n", "00000001", "c", "auth", "GET", "/", out, sizeof(out)) == -1,
	    "MD5-sized HA1 for SHA-256 fails");
	/* RFC 2617 §3.5; the password is "Circle Of Life" there. */
	ok(digest_ha1(DIGEST_MD5, "Mufasa", "testrealm@host.com",
	    "Circle Of Life", out, sizeof(out)) == 0 &&
	    digest_response(DIGEST_MD5, out, "dcd98b7102dd2f0e8b11d0f600bfb0c093",
	    "00000001", "0a4f113b", "auth", "GET", "/dir/index.html", out,
	    sizeof(out)) == 0 &&
	    strcmp(out, "6629fae49393a05397450978507c4ef1") == 0,
	    "RFC 2617 MD5 response");
	/* RFC 2069 §2.4 as corrected in its errata (password CircleOfLife). */
	ok(digest_ha1(DIGEST_MD5, "Mufasa", "testrealm@host.com",
	    "CircleOfLife", out, sizeof(out)) == 0 &&
	    digest_response(DIGEST_MD5, out, "dcd98b7102dd2f0e8b11d0f600bfb0c093",
	    NULL, NULL, NULL, "GET", "/dir/index.html", out,
	    sizeof(out)) == 0 &&
	    strcmp(out, "1949323746fe6a43ef61f9606e7febea") == 0,
	    "RFC 2069 response without qop");
}

/* Copy the quoted value of name="..." in a challenge into out. */
static int
challenge_param(const char *ch, const char *name, char *out, size_t outlen)
{
	char		 key[32];
	const char	*p, *e;

	snprintf(key, sizeof(key), "%s=\"", name);
	if ((p = strstr(ch, key)) == NULL)
		return -1;
	p += strlen(key);
	if ((e = strchr(p, '"')) == NULL || (size_t)(e - p) >= outlen)
		return -1;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return 0;
}

/*
 * Answer a challenge as a client would and parse the resulting header:
 * qop NULL for an RFC 2069 style client.
 */
static enum auth_kind
client(const char *challenge, enum digest_alg alg, const char *user,
    const char *password, const char *method, const char *uri,
    const char *qop, const char *nc, struct digest_creds *c)
{
	char	 nonce[DIGEST_NONCE_SIZE], realm[DIGEST_REALM_SIZE];
	char	 opaque[DIGEST_OPAQUE_SIZE], ha1[DIGEST_HA1_SHA256_HEX];
	char	 resp[DIGEST_HA1_SHA256_HEX], hdr[1024];

	if (challenge_param(challenge, "nonce", nonce, sizeof(nonce)) == -1 ||
	    challenge_param(challenge, "realm", realm, sizeof(realm)) == -1 ||
	    challenge_param(challenge, "opaque", opaque, sizeof(opaque)) == -1 ||
	    digest_ha1(alg, user, realm, password, ha1, sizeof(ha1)) == -1 ||
	    digest_response(alg, ha1, nonce, nc, "0a4f113b", qop, method, uri,
	    resp, sizeof(resp)) == -1)
		return AUTH_BAD;
	if (qop != NULL)
		snprintf(hdr, sizeof(hdr), "Digest username=\"%s\", "
		    "realm=\"%s\", uri=\"%s\", algorithm=%s, nonce=\"%s\", "
		    "nc=%s, cnonce=\"0a4f113b\", qop=%s, response=\"%s\", "
		    "opaque=\"%s\"", user, realm, uri,
		    alg == DIGEST_SHA256 ? "SHA-256" : "MD5", nonce, nc, qop,
		    resp, opaque);
	else
		snprintf(hdr, sizeof(hdr), "Digest username=\"%s\", "
		    "realm=\"%s\", nonce=\"%s\", uri=\"%s\", response=\"%s\", "
		    "algorithm=MD5", user, realm, nonce, uri, resp);
	return digest_parse(hdr, c);
}

static void
test_ctx(void)
{
	struct digest_ctx	*d;
	char			 ch[DIGEST_CHALLENGE_MAX];

	ok(digest_new(secret, 31, TTL, 16) == NULL, "short secret refused");
	ok(digest_new(NULL, 32, TTL, 16) == NULL, "NULL secret refused");
	ok(digest_new(secret, sizeof(secret), 0, 16) == NULL, "ttl 0 refused");
	ok(digest_new(secret, sizeof(secret), TTL, 0) == NULL,
	    "0 slots refused");
	digest_free(NULL);
	ok(1, "digest_free(NULL)");

	if ((d = digest_new(secret, sizeof(secret), TTL, 16)) == NULL)
		abort();
	ok(digest_challenge(d, DIGEST_SHA256, "a\nb", 0, NOW, ch,
	    sizeof(ch)) == -1, "realm with a newline refused");
	ok(digest_challenge(d, DIGEST_SHA256, REALM, 0, NOW, ch, 100) == -1,
	    "challenge into a short buffer fails");
	ok(digest_challenge(d, (enum digest_alg)9, REALM, 0, NOW, ch,
	    sizeof(ch)) == -1, "challenge with an unknown algorithm fails");
	ok(digest_challenge(d, DIGEST_MD5, "a\"b\\c", 0, NOW, ch,
	    sizeof(ch)) == 0 && strncmp(ch, "Digest realm=\"a\\\"b\\\\c\", ",
	    24) == 0, "realm is escaped in the challenge");
	digest_free(d);
}

#define CH_HEAD "Digest realm=\"sipcfg\", qop=\"auth\", algorithm=SHA-256, " \
	    "nonce=\""

static void
test_round_trip(void)
{
	struct digest_ctx	*d, *d2;
	struct digest_creds	 c;
	char			 ch[DIGEST_CHALLENGE_MAX], ch2[DIGEST_CHALLENGE_MAX];
	char			 ha1m[DIGEST_HA1_MD5_HEX];
	char			 ha1s[DIGEST_HA1_SHA256_HEX];
	char			 n1[DIGEST_NONCE_SIZE], n2[DIGEST_NONCE_SIZE];
	char			*p;

	if ((d = digest_new(secret, sizeof(secret), TTL, 65536)) == NULL ||
	    digest_ha1(DIGEST_MD5, "alice", REALM, "secret", ha1m,
	    sizeof(ha1m)) == -1 ||
	    digest_ha1(DIGEST_SHA256, "alice", REALM, "secret", ha1s,
	    sizeof(ha1s)) == -1)
		abort();

	ok(digest_challenge(d, DIGEST_SHA256, REALM, 0, NOW, ch,
	    sizeof(ch)) == 0, "SHA-256 challenge");
	ok(strncmp(ch, CH_HEAD, sizeof(CH_HEAD) - 1) == 0 &&
	    strstr(ch, ", opaque=\"") != NULL && strstr(ch, "stale") == NULL,
	    "challenge format: %s", ch);
	ok(digest_challenge(d, DIGEST_MD5, REALM, 1, NOW, ch2,
	    sizeof(ch2)) == 0 && strstr(ch2, "algorithm=MD5, ") != NULL &&
	    strlen(ch2) > 12 && strcmp(ch2 + strlen(ch2) - 12,
	    ", stale=true") == 0, "MD5 challenge with stale=true");
	ok(challenge_param(ch, "nonce", n1, sizeof(n1)) == 0 &&
	    challenge_param(ch2, "nonce", n2, sizeof(n2)) == 0 &&
	    strcmp(n1, n2) != 0, "nonces differ");

	/* HTTP, SHA-256 */
	ok(client(ch, DIGEST_SHA256, "alice", "secret", "GET", "/cfg/a.xml",
	    "auth", "00000001", &c) == AUTH_DIGEST, "client header parses");
	ok(digest_verify(d, &c, "GET", "/cfg/a.xml", REALM, ha1s, 0, NOW) ==
	    DIGEST_OK, "SHA-256 round trip OK");
	ok(digest_verify(d, &c, "GET", "/cfg/a.xml", REALM, ha1s, 0, NOW) ==
	    DIGEST_REPLAY, "same nc twice: REPLAY");
	client(ch, DIGEST_SHA256, "alice", "secret", "GET", "/cfg/a.xml",
	    "auth", "00000003", &c);
	ok(digest_verify(d, &c, "GET", "/cfg/a.xml", REALM, ha1s, 0,
	    NOW + 10) == DIGEST_OK, "higher nc OK");
	client(ch, DIGEST_SHA256, "alice", "secret", "GET", "/cfg/a.xml",
	    "auth", "00000002", &c);
	ok(digest_verify(d, &c, "GET", "/cfg/a.xml", REALM, ha1s, 0, NOW) ==
	    DIGEST_REPLAY, "lower nc: REPLAY");
	client(ch, DIGEST_SHA256, "alice", "secret", "HEAD", "/cfg/b.xml",
	    "auth", "00000004", &c);
	ok(digest_verify(d, &c, "HEAD", "/cfg/b.xml", REALM, ha1s, 0, NOW) ==
	    DIGEST_OK, "same nonce, another URI and method: OK");
	client(ch, DIGEST_SHA256, "alice", "secret", "GET", "/cfg/a.xml",
	    "auth", "00000005", &c);
	ok(digest_verify(d, &c, "GET", "/cfg/a.xml", REALM, ha1s, 0,
	    NOW + TTL + 1) == DIGEST_STALE, "expired nonce: STALE");
	ok(digest_verify(d, &c, "GET", "/cfg/a.xml", REALM, ha1s, 0,
	    NOW - TTL - 1) == DIGEST_STALE, "nonce from the future: STALE");
	ok(digest_verify(d, &c, "GET", "/cfg/a.xml", REALM, ha1s, 0,
	    NOW + TTL) == DIGEST_OK, "nonce at its ttl: OK");

	client(ch, DIGEST_SHA256, "alice", "wrong", "GET", "/cfg/a.xml",
	    "auth", "00000010", &c);
	ok(digest_verify(d, &c, "GET", "/cfg/a.xml", REALM, ha1s, 0, NOW) ==
	    DIGEST_FAIL, "wrong password: FAIL");
	ok(digest_verify(d, &c, "GET", "/cfg/a.xml", REALM, ha1s, 0,
	    NOW + TTL + 1) == DIGEST_FAIL, "wrong password, expired: FAIL");

	client(ch, DIGEST_SHA256, "alice", "secret", "GET", "/cfg/a.xml",
	    "auth", "00000011", &c);
	ok(digest_verify(d, &c, "GET", "/cfg/a.xml", "other", ha1s, 0, NOW) ==
	    DIGEST_FAIL, "wrong realm: FAIL");
	ok(digest_verify(d, &c, "GET", "/cfg/b.xml", REALM, ha1s, 0, NOW) ==
	    DIGEST_FAIL, "wrong uri: FAIL");
	ok(digest_verify(d, &c, "GET", "/cfg/a.xml?x", REALM, ha1s, 0, NOW) ==
	    DIGEST_FAIL, "uri must match exactly: FAIL");
	ok(digest_verify(d, &c, "HEAD", "/cfg/a.xml", REALM, ha1s, 0, NOW) ==
	    DIGEST_FAIL, "wrong method: FAIL");
	ok(digest_verify(d, &c, "GET", "/cfg/a.xml", REALM, ha1m, 0, NOW) ==
	    DIGEST_FAIL, "SHA-256 creds with an MD5 HA1: FAIL");
	ok(digest_verify(d, &c, "GET", "/cfg/a.xml", REALM, "zz", 0, NOW) ==
	    DIGEST_FAIL, "garbage HA1: FAIL");
	ok(digest_verify(NULL, &c, "GET", "/cfg/a.xml", REALM, ha1s, 0, NOW) ==
	    DIGEST_FAIL && digest_verify(d, NULL, "GET", "/", REALM, ha1s, 0,
	    NOW) == DIGEST_FAIL && digest_verify(d, &c, NULL, "/cfg/a.xml",
	    REALM, ha1s, 0, NOW) == DIGEST_FAIL, "NULL arguments: FAIL");

	/* Forged and foreign nonces. */
	p = c.nonce + 10;
	*p = *p == 'A' ? 'B' : 'A';
	ok(digest_verify(d, &c, "GET", "/cfg/a.xml", REALM, ha1s, 0, NOW) ==
	    DIGEST_FAIL, "forged nonce: FAIL");
	memcpy(c.nonce, "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
	    sizeof("7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"));
	ok(digest_verify(d, &c, "GET", "/cfg/a.xml", REALM, ha1s, 0, NOW) ==
	    DIGEST_FAIL, "RFC example nonce: FAIL");
	{
		unsigned char	 other[32];

		memset(other, 0x5a, sizeof(other));
		if ((d2 = digest_new(other, sizeof(other), TTL, 16)) == NULL)
			abort();
		digest_challenge(d2, DIGEST_SHA256, REALM, 0, NOW, ch2,
		    sizeof(ch2));
		client(ch2, DIGEST_SHA256, "alice", "secret", "GET", "/",
		    "auth", "00000001", &c);
		ok(digest_verify(d, &c, "GET", "/", REALM, ha1s, 0, NOW) ==
		    DIGEST_FAIL, "nonce under another secret: FAIL");
		ok(digest_verify(d2, &c, "GET", "/", REALM, ha1s, 0, NOW) ==
		    DIGEST_OK, "... and OK where it came from");
		digest_free(d2);
	}
	/* A nonce of an earlier process with the same secret. */
	if ((d2 = digest_new(secret, sizeof(secret), TTL, 16)) == NULL)
		abort();
	client(ch, DIGEST_SHA256, "alice", "secret", "GET", "/", "auth",
	    "00000001", &c);
	ok(digest_verify(d2, &c, "GET", "/", REALM, ha1s, 0, NOW) ==
	    DIGEST_STALE, "nonce from before a restart: STALE");
	digest_free(d2);

	/* Algorithm mismatch: nonce of the MD5 challenge used for SHA-256. */
	digest_challenge(d, DIGEST_MD5, REALM, 0, NOW, ch2, sizeof(ch2));
	client(ch2, DIGEST_SHA256, "alice", "secret", "GET", "/", "auth",
	    "00000001", &c);
	ok(digest_verify(d, &c, "GET", "/", REALM, ha1s, 0, NOW) ==
	    DIGEST_FAIL, "SHA-256 answer to an MD5 nonce: FAIL");
	client(ch2, DIGEST_MD5, "alice", "secret", "GET", "/", "auth",
	    "00000001", &c);
	ok(digest_verify(d, &c, "GET", "/", REALM, ha1s, 0, NOW) ==
	    DIGEST_FAIL, "MD5 creds with a SHA-256 HA1: FAIL");
	ok(digest_verify(d, &c, "GET", "/", REALM, ha1m, 0, NOW) ==
	    DIGEST_OK, "MD5 round trip OK");

	/* qop variants */
	client(ch2, DIGEST_MD5, "alice", "secret", "GET", "/", "auth-int",
	    "00000002", &c);
	ok(digest_verify(d, &c, "GET", "/", REALM, ha1m, 0, NOW) ==
	    DIGEST_FAIL, "qop=auth-int: FAIL");
	client(ch2, DIGEST_MD5, "alice", "secret", "GET", "/", "AUTH",
	    "00000003", &c);
	ok(digest_verify(d, &c, "GET", "/", REALM, ha1m, 0, NOW) ==
	    DIGEST_OK, "qop=AUTH: OK");

	/* SIP: MD5 SUBSCRIBE without qop (RFC 2069 style). */
	digest_challenge(d, DIGEST_MD5, REALM, 0, NOW, ch2, sizeof(ch2));
	ok(client(ch2, DIGEST_MD5, "alice", "secret", "SUBSCRIBE",
	    "sip:alice@example.com", NULL, NULL, &c) == AUTH_DIGEST &&
	    c.qop[0] == '\0', "SIP header without qop parses");
	ok(digest_verify(d, &c, "SUBSCRIBE", "sip:alice@example.com", REALM,
	    ha1m, 0, NOW) == DIGEST_FAIL, "no qop, not allowed: FAIL");
	ok(digest_verify(d, &c, "SUBSCRIBE", "sip:alice@example.com", REALM,
	    ha1m, 1, NOW) == DIGEST_OK, "no qop, allowed: OK");
	ok(digest_verify(d, &c, "SUBSCRIBE", "sip:alice@example.com", REALM,
	    ha1m, 1, NOW) == DIGEST_REPLAY, "no qop, nonce reused: REPLAY");
	digest_challenge(d, DIGEST_MD5, REALM, 0, NOW, ch2, sizeof(ch2));
	client(ch2, DIGEST_MD5, "alice", "secret", "SUBSCRIBE",
	    "sip:alice@example.com", "auth", "00000001", &c);
	ok(digest_verify(d, &c, "SUBSCRIBE", "sip:alice@example.com", REALM,
	    ha1m, 1, NOW) == DIGEST_OK, "SIP with qop=auth: OK");

	/* userhash and a Basic struct are never Digest-verified. */
	client(ch2, DIGEST_MD5, "alice", "secret", "GET", "/", "auth",
	    "00000009", &c);
	c.userhash = 1;
	ok(digest_verify(d, &c, "GET", "/", REALM, ha1m, 0, NOW) ==
	    DIGEST_FAIL, "userhash=true: FAIL");
	c.userhash = 0;
	c.kind = AUTH_BASIC;
	ok(digest_verify(d, &c, "GET", "/", REALM, ha1m, 0, NOW) ==
	    DIGEST_FAIL, "Basic creds: FAIL");
	c.kind = AUTH_DIGEST;
	ok(digest_verify(d, &c, "GET", "/", REALM, ha1m, 0, NOW) ==
	    DIGEST_OK, "and the same creds as Digest: OK");

	/* Basic */
	digest_parse("Basic YWxpY2U6c2VjcmV0", &c);	/* alice:secret */
	ok(c.kind == AUTH_BASIC && digest_basic_check(&c, DIGEST_MD5, REALM,
	    ha1m) == 1, "Basic OK against the MD5 HA1");
	ok(digest_basic_check(&c, DIGEST_SHA256, REALM, ha1s) == 1,
	    "Basic OK against the SHA-256 HA1");
	ok(digest_basic_check(&c, DIGEST_SHA256, REALM, ha1m) == 0,
	    "Basic with the wrong HA1 size: 0");
	ok(digest_basic_check(&c, DIGEST_MD5, "other", ha1m) == 0,
	    "Basic with another realm: 0");
	ok(digest_verify(d, &c, "GET", "/", REALM, ha1m, 0, NOW) ==
	    DIGEST_FAIL, "Basic creds to digest_verify: FAIL");
	digest_parse("Basic YWxpY2U6c2VjcmVU", &c);	/* alice:secreT */
	ok(c.kind == AUTH_BASIC && digest_basic_check(&c, DIGEST_MD5, REALM,
	    ha1m) == 0, "Basic with a wrong password: 0");
	digest_parse("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", &c);
	ok(digest_basic_check(&c, DIGEST_MD5, REALM, ha1m) == 0,
	    "Basic with another user: 0");
	client(ch2, DIGEST_MD5, "alice", "secret", "GET", "/", "auth",
	    "00000001", &c);
	ok(digest_basic_check(&c, DIGEST_MD5, REALM, ha1m) == 0,
	    "Digest creds to digest_basic_check: 0");
	ok(digest_basic_check(NULL, DIGEST_MD5, REALM, ha1m) == 0,
	    "NULL creds to digest_basic_check: 0");

	digest_creds_wipe(&c);
	digest_free(d);
}

/*
 * Rotation with overlap: the old and the new HA1 are both good.  Every
 * candidate is tried for one nc, which is recorded once: the second HA1
 * is never taken for a replay of the first, and a replay stays a replay
 * whichever HA1 it would match.
 */
static void
test_any(void)
{
	struct digest_ctx	*d;
	struct digest_creds	 c;
	char			 ch[DIGEST_CHALLENGE_MAX], md[DIGEST_CHALLENGE_MAX];
	char			 olds[DIGEST_HA1_SHA256_HEX], news[DIGEST_HA1_SHA256_HEX];
	char			 oldm[DIGEST_HA1_MD5_HEX], newm[DIGEST_HA1_MD5_HEX];
	const char		*both[2], *one[1], *five[5];
	size_t			 w;

	if ((d = digest_new(secret, sizeof(secret), TTL, 1024)) == NULL ||
	    digest_ha1(DIGEST_SHA256, "alice", REALM, "old", olds,
	    sizeof(olds)) == -1 ||
	    digest_ha1(DIGEST_SHA256, "alice", REALM, "new", news,
	    sizeof(news)) == -1 ||
	    digest_ha1(DIGEST_MD5, "alice", REALM, "old", oldm,
	    sizeof(oldm)) == -1 ||
	    digest_ha1(DIGEST_MD5, "alice", REALM, "new", newm,
	    sizeof(newm)) == -1 ||
	    digest_challenge(d, DIGEST_SHA256, REALM, 0, NOW, ch,
	    sizeof(ch)) == -1 ||
	    digest_challenge(d, DIGEST_MD5, REALM, 0, NOW, md, sizeof(md)) == -1)
		abort();
	both[0] = olds;
	both[1] = news;

	/* Bad input first. */
	client(ch, DIGEST_SHA256, "alice", "new", "GET", "/cfg", "auth",
	    "00000001", &c);
	ok(digest_verify_any(d, &c, "GET", "/cfg", REALM, both, 0, 0, NOW,
	    NULL) == DIGEST_FAIL, "no candidate: FAIL");
	five[0] = five[1] = five[2] = five[3] = five[4] = news;
	ok(digest_verify_any(d, &c, "GET", "/cfg", REALM, five, 5, 0, NOW,
	    NULL) == DIGEST_FAIL, "more than DIGEST_HA1_ANY_MAX: FAIL");
	ok(digest_verify_any(d, &c, "GET", "/cfg", REALM, NULL, 1, 0, NOW,
	    NULL) == DIGEST_FAIL, "NULL candidate list: FAIL");
	one[0] = NULL;
	ok(digest_verify_any(d, &c, "GET", "/cfg", REALM, one, 1, 0, NOW,
	    NULL) == DIGEST_FAIL, "one NULL candidate: FAIL");
	one[0] = "zz";
	ok(digest_verify_any(d, &c, "GET", "/cfg", REALM, one, 1, 0, NOW,
	    NULL) == DIGEST_FAIL, "one garbage candidate: FAIL");
	client(ch, DIGEST_SHA256, "alice", "neither", "GET", "/cfg", "auth",
	    "00000001", &c);
	ok(digest_verify_any(d, &c, "GET", "/cfg", REALM, both, 2, 0, NOW,
	    NULL) == DIGEST_FAIL, "a third password: FAIL");

	/* A failed try records no nc: the right answer with it is good. */
	client(ch, DIGEST_SHA256, "alice", "new", "GET", "/cfg", "auth",
	    "00000001", &c);
	w = 9;
	ok(digest_verify_any(d, &c, "GET", "/cfg", REALM, both, 2, 0, NOW,
	    &w) == DIGEST_OK && w == 1, "new password, second candidate: OK "
	    "(which %zu), not a replay of the first", w);
	ok(digest_verify_any(d, &c, "GET", "/cfg", REALM, both, 2, 0, NOW,
	    NULL) == DIGEST_REPLAY, "same nc again: REPLAY");
	client(ch, DIGEST_SHA256, "alice", "old", "GET", "/cfg", "auth",
	    "00000001", &c);
	ok(digest_verify_any(d, &c, "GET", "/cfg", REALM, both, 2, 0, NOW,
	    NULL) == DIGEST_REPLAY, "same nc with the other password: REPLAY");
	client(ch, DIGEST_SHA256, "alice", "old", "GET", "/cfg", "auth",
	    "00000002", &c);
	w = 9;
	ok(digest_verify_any(d, &c, "GET", "/cfg", REALM, both, 2, 0, NOW,
	    &w) == DIGEST_OK && w == 0, "old password, next nc: OK (which %zu)",
	    w);
	client(ch, DIGEST_SHA256, "alice", "new", "GET", "/cfg", "auth",
	    "00000002", &c);
	ok(digest_verify_any(d, &c, "GET", "/cfg", REALM, both, 2, 0, NOW,
	    NULL) == DIGEST_REPLAY, "the new one with that nc: REPLAY");
	one[0] = news;
	client(ch, DIGEST_SHA256, "alice", "new", "GET", "/cfg", "auth",
	    "00000003", &c);
	ok(digest_verify_any(d, &c, "GET", "/cfg", REALM, one, 1, 0, NOW,
	    NULL) == DIGEST_OK, "overlap over (one candidate): the new one OK");
	client(ch, DIGEST_SHA256, "alice", "old", "GET", "/cfg", "auth",
	    "00000004", &c);
	ok(digest_verify_any(d, &c, "GET", "/cfg", REALM, one, 1, 0, NOW,
	    NULL) == DIGEST_FAIL, "... and the old one FAIL");
	ok(digest_verify(d, &c, "GET", "/cfg", REALM, olds, 0, NOW) ==
	    DIGEST_OK, "a FAIL recorded nothing: same nc, right HA1, OK");

	/* Malformed or absent candidates never match, others still do. */
	both[0] = "zz";
	client(ch, DIGEST_SHA256, "alice", "new", "GET", "/cfg", "auth",
	    "00000005", &c);
	w = 9;
	ok(digest_verify_any(d, &c, "GET", "/cfg", REALM, both, 2, 0, NOW,
	    &w) == DIGEST_OK && w == 1, "garbage first candidate skipped");
	both[0] = news;
	both[1] = news;
	client(ch, DIGEST_SHA256, "alice", "new", "GET", "/cfg", "auth",
	    "00000006", &c);
	w = 9;
	ok(digest_verify_any(d, &c, "GET", "/cfg", REALM, both, 2, 0, NOW,
	    &w) == DIGEST_OK && w == 0, "both match: the first one");

	/* Freshness after the match, as with one HA1. */
	both[0] = olds;
	client(ch, DIGEST_SHA256, "alice", "old", "GET", "/cfg", "auth",
	    "00000007", &c);
	ok(digest_verify_any(d, &c, "GET", "/cfg", REALM, both, 2, 0,
	    NOW + TTL + 1, NULL) == DIGEST_STALE,
	    "expired nonce, old password: STALE");
	client(ch, DIGEST_SHA256, "alice", "nope", "GET", "/cfg", "auth",
	    "00000007", &c);
	ok(digest_verify_any(d, &c, "GET", "/cfg", REALM, both, 2, 0,
	    NOW + TTL + 1, NULL) == DIGEST_FAIL,
	    "expired nonce, wrong password: FAIL");

	/* MD5, and SHA-256 HA1s never match MD5 creds. */
	both[0] = oldm;
	both[1] = newm;
	client(md, DIGEST_MD5, "alice", "old", "GET", "/cfg", "auth",
	    "00000001", &c);
	w = 9;
	ok(digest_verify_any(d, &c, "GET", "/cfg", REALM, both, 2, 0, NOW,
	    &w) == DIGEST_OK && w == 0, "MD5, old password: OK");
	both[0] = olds;
	both[1] = news;
	client(md, DIGEST_MD5, "alice", "new", "GET", "/cfg", "auth",
	    "00000002", &c);
	ok(digest_verify_any(d, &c, "GET", "/cfg", REALM, both, 2, 0, NOW,
	    NULL) == DIGEST_FAIL, "MD5 creds against SHA-256 HA1s: FAIL");
	digest_creds_wipe(&c);
	digest_free(d);
}

/*
 * Slot collisions: one set of 4 ways.  Nonces in use fill the free ways
 * first (an older, unused nonce is still good then); the fifth evicts the
 * oldest, and from then on every nonce issued before the eviction is
 * STALE, never accepted with a forgotten nc.
 */
static void
test_eviction(void)
{
	struct digest_ctx	*d;
	struct digest_creds	 c;
	char			 a[DIGEST_CHALLENGE_MAX], b[4][DIGEST_CHALLENGE_MAX];
	char			 e[DIGEST_CHALLENGE_MAX], f[DIGEST_CHALLENGE_MAX];
	char			 ha1[DIGEST_HA1_MD5_HEX];
	int			 i;

	if ((d = digest_new(secret, sizeof(secret), TTL, 1)) == NULL ||
	    digest_ha1(DIGEST_MD5, "bob", REALM, "pw", ha1, sizeof(ha1)) == -1)
		abort();
	digest_challenge(d, DIGEST_MD5, REALM, 0, NOW, f, sizeof(f));
	digest_challenge(d, DIGEST_MD5, REALM, 0, NOW, a, sizeof(a));
	client(a, DIGEST_MD5, "bob", "pw", "GET", "/", "auth", "00000001", &c);
	ok(digest_verify(d, &c, "GET", "/", REALM, ha1, 0, NOW) == DIGEST_OK,
	    "nonce A OK");
	client(f, DIGEST_MD5, "bob", "pw", "GET", "/", "auth", "00000001", &c);
	ok(digest_verify(d, &c, "GET", "/", REALM, ha1, 0, NOW) == DIGEST_OK,
	    "an older nonce first used while a way is free: OK, not STALE");
	for (i = 0; i < 2; i++) {
		digest_challenge(d, DIGEST_MD5, REALM, 0, NOW, b[i],
		    sizeof(b[i]));
		client(b[i], DIGEST_MD5, "bob", "pw", "GET", "/", "auth",
		    "00000001", &c);
		ok(digest_verify(d, &c, "GET", "/", REALM, ha1, 0, NOW) ==
		    DIGEST_OK, "nonce B%d fills a free way", i + 1);
	}
	client(a, DIGEST_MD5, "bob", "pw", "GET", "/", "auth", "00000002", &c);
	ok(digest_verify(d, &c, "GET", "/", REALM, ha1, 0, NOW) == DIGEST_OK,
	    "four ways in use: nonce A still remembered");
	digest_challenge(d, DIGEST_MD5, REALM, 0, NOW, e, sizeof(e));
	digest_challenge(d, DIGEST_MD5, REALM, 0, NOW + 1, b[2], sizeof(b[2]));
	client(b[2], DIGEST_MD5, "bob", "pw", "GET", "/", "auth", "00000001",
	    &c);
	ok(digest_verify(d, &c, "GET", "/", REALM, ha1, 0, NOW + 1) ==
	    DIGEST_OK, "a fifth nonce evicts the oldest");
	client(a, DIGEST_MD5, "bob", "pw", "GET", "/", "auth", "00000003", &c);
	ok(digest_verify(d, &c, "GET", "/", REALM, ha1, 0, NOW + 1) ==
	    DIGEST_STALE, "evicted nonce A: STALE");
	client(a, DIGEST_MD5, "bob", "pw", "GET", "/", "auth", "00000001", &c);
	ok(digest_verify(d, &c, "GET", "/", REALM, ha1, 0, NOW + 1) ==
	    DIGEST_STALE, "evicted nonce A replayed: STALE");
	client(e, DIGEST_MD5, "bob", "pw", "GET", "/", "auth", "00000001", &c);
	ok(digest_verify(d, &c, "GET", "/", REALM, ha1, 0, NOW + 1) ==
	    DIGEST_STALE, "unused nonce issued before the eviction: STALE");
	client(e, DIGEST_MD5, "bob", "wrong", "GET", "/", "auth", "00000001",
	    &c);
	ok(digest_verify(d, &c, "GET", "/", REALM, ha1, 0, NOW + 1) ==
	    DIGEST_FAIL, "... but FAIL with a wrong password");
	client(b[2], DIGEST_MD5, "bob", "pw", "GET", "/", "auth", "00000002",
	    &c);
	ok(digest_verify(d, &c, "GET", "/", REALM, ha1, 0, NOW + 1) ==
	    DIGEST_OK, "the evicting nonce goes on");
	/* A way whose nonce expired is reused without an eviction. */
	digest_challenge(d, DIGEST_MD5, REALM, 0, NOW + TTL + 2, b[3],
	    sizeof(b[3]));
	client(b[3], DIGEST_MD5, "bob", "pw", "GET", "/", "auth", "00000001",
	    &c);
	ok(digest_verify(d, &c, "GET", "/", REALM, ha1, 0, NOW + TTL + 2) ==
	    DIGEST_OK, "after the TTL: a new nonce takes an expired way");
	digest_challenge(d, DIGEST_MD5, REALM, 0, NOW + TTL + 2, e, sizeof(e));
	digest_challenge(d, DIGEST_MD5, REALM, 0, NOW + TTL + 2, a, sizeof(a));
	client(a, DIGEST_MD5, "bob", "pw", "GET", "/", "auth", "00000001", &c);
	ok(digest_verify(d, &c, "GET", "/", REALM, ha1, 0, NOW + TTL + 2) ==
	    DIGEST_OK, "and another");
	client(e, DIGEST_MD5, "bob", "pw", "GET", "/", "auth", "00000001", &c);
	ok(digest_verify(d, &c, "GET", "/", REALM, ha1, 0, NOW + TTL + 2) ==
	    DIGEST_OK, "expired ways evict nothing: an older unused nonce "
	    "is still good");
	digest_creds_wipe(&c);
	digest_free(d);
}

#define NTHREADS	4
#define NCMAX		300

struct thr {
	struct digest_ctx		*d;
	const struct digest_creds	*creds;	/* NCMAX of them, nc 1..NCMAX */
	const char			*ha1;
	int				 id;
	int				 distinct;
	int				 results[NCMAX];
};

static void *
thr_run(void *arg)
{
	struct thr	*t = arg;
	int		 i;

	for (i = 0; i < NCMAX; i++) {
		if (t->distinct && i % NTHREADS != t->id) {
			t->results[i] = -1;
			continue;
		}
		t->results[i] = digest_verify(t->d, &t->creds[i], "GET",
		    "/cfg", REALM, t->ha1, 0, NOW);
	}
	return NULL;
}

/*
 * Four threads on one nonce.  When every thread tries nc 1..N in order,
 * the first try of each nc finds the highest seen below it, so each nc
 * is accepted exactly once and every other try is a REPLAY.
 */
static void
test_threads(int distinct)
{
	struct digest_ctx	*d;
	struct digest_creds	*creds;
	struct thr		 t[NTHREADS];
	pthread_t		 tid[NTHREADS];
	char			 ch[DIGEST_CHALLENGE_MAX], nc[16];
	char			 ha1[DIGEST_HA1_SHA256_HEX];
	int			 i, j, nok, nreplay, nother, once = 1;

	if ((d = digest_new(secret, sizeof(secret), TTL, 4096)) == NULL ||
	    (creds = calloc(NCMAX, sizeof(*creds))) == NULL ||
	    digest_ha1(DIGEST_SHA256, "carol", REALM, "pw", ha1,
	    sizeof(ha1)) == -1 ||
	    digest_challenge(d, DIGEST_SHA256, REALM, 0, NOW, ch,
	    sizeof(ch)) == -1)
		abort();
	for (i = 0; i < NCMAX; i++) {
		snprintf(nc, sizeof(nc), "%08x", i + 1);
		if (client(ch, DIGEST_SHA256, "carol", "pw", "GET", "/cfg",
		    "auth", nc, &creds[i]) != AUTH_DIGEST)
			abort();
	}
	for (i = 0; i < NTHREADS; i++) {
		t[i].d = d;
		t[i].creds = creds;
		t[i].ha1 = ha1;
		t[i].id = i;
		t[i].distinct = distinct;
		if (pthread_create(&tid[i], NULL, thr_run, &t[i]) != 0)
			abort();
	}
	for (i = 0; i < NTHREADS; i++)
		pthread_join(tid[i], NULL);

	nok = nreplay = nother = 0;
	for (j = 0; j < NCMAX; j++) {
		int	 accepted = 0;

		for (i = 0; i < NTHREADS; i++) {
			if (t[i].results[j] == DIGEST_OK) {
				accepted++;
				nok++;
			} else if (t[i].results[j] == DIGEST_REPLAY)
				nreplay++;
			else if (t[i].results[j] != -1)
				nother++;
		}
		if (accepted > 1 || (!distinct && accepted != 1))
			once = 0;
	}
	if (distinct) {
		ok(nother == 0 && nok + nreplay == NCMAX,
		    "threads, distinct nc: %d OK + %d REPLAY = %d", nok,
		    nreplay, NCMAX);
		ok(once && t[(NCMAX - 1) % NTHREADS].results[NCMAX - 1] ==
		    DIGEST_OK, "threads, distinct nc: none twice, highest OK");
	} else {
		ok(nother == 0 && nok + nreplay == NTHREADS * NCMAX,
		    "threads, same nc: %d OK + %d REPLAY = %d", nok, nreplay,
		    NTHREADS * NCMAX);
		ok(once && nok == NCMAX,
		    "threads, same nc: each nc accepted exactly once");
	}
	for (i = 0; i < NCMAX; i++)
		digest_creds_wipe(&creds[i]);
	free(creds);
	digest_free(d);
}

int
main(void)
{
	test_bad_input();
	test_parse();
	test_vectors();
	test_ctx();
	test_round_trip();
	test_any();
	test_eviction();
	test_threads(0);
	test_threads(1);
	return tap_done();
}
