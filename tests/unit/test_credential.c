/*
 * test_credential: generated passwords and their HA1s (credential.h),
 * and the duration syntax of --valid-for and --overlap (util.h).  Bad
 * input first.
 */
#include <string.h>

#include "credential.h"
#include "tap.h"
#include "util.h"

static int
dur(const char *s, long long max, long long want)
{
	long long	 v = -7;

	if (util_duration(s, max, &v) != 0)
		return want == -1;
	return v == want;
}

int
main(void)
{
	char		 a[CREDENTIAL_MAX + 1], b[CREDENTIAL_MAX + 1];
	char		 md5[DIGEST_HA1_MD5_HEX], sha[DIGEST_HA1_SHA256_HEX];
	size_t		 i, seen[256];
	int		 all, distinct;
	static const char *const bad[] = {
		"", "d", "-1", "+5", " 5", "5 ", "1.5h", "5x", "5dd", "5sm",
		"0x10", "1e3", "9223372036854775808", "106751991167301d"
	};

	/* Durations: bad input first. */
	ok(util_duration(NULL, 100, &(long long){ 0 }) == -1, "NULL duration");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(dur(bad[i], 1LL << 62, -1), "bad duration \"%s\"", bad[i]);
	ok(dur("366d", 31536000, -1), "over the maximum (366d > 365d)");
	ok(dur("31536001", 31536000, -1), "over the maximum, in seconds");
	ok(dur("0", 100, 0), "0");
	ok(dur("90", 1000, 90), "plain seconds");
	ok(dur("90s", 1000, 90), "90s");
	ok(dur("30m", 100000, 1800), "30m");
	ok(dur("12h", 100000, 43200), "12h");
	ok(dur("7d", 31536000, 604800), "7d");
	ok(dur("365d", 31536000, 31536000), "365d, the maximum");
	ok(dur("007m", 1000, 420), "leading zeros");

	/* Generated passwords. */
	ok(credential_generate(NULL, 10, 5) == -1, "NULL out");
	ok(credential_generate(a, sizeof(a), 0) == -1, "length 0");
	ok(credential_generate(a, sizeof(a), CREDENTIAL_MAX + 1) == -1,
	    "longer than CREDENTIAL_MAX");
	ok(credential_generate(a, 16, 16) == -1, "no room for the NUL");
	ok(credential_generate(a, sizeof(a), CREDENTIAL_LONG_LEN) == 0 &&
	    strlen(a) == CREDENTIAL_LONG_LEN, "long-term: %d characters",
	    CREDENTIAL_LONG_LEN);
	ok(strspn(a, CREDENTIAL_ALPHABET) == strlen(a),
	    "only from the alphabet: %s", a);
	ok(strpbrk(CREDENTIAL_ALPHABET, "0O1lI \"'<>&]$") == NULL,
	    "the alphabet has no look-alikes and nothing to escape");
	ok(credential_generate(b, sizeof(b), CREDENTIAL_LONG_LEN) == 0 &&
	    strcmp(a, b) != 0, "two in a row differ");
	/* Every character of the alphabet turns up in 4000 of them. */
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < 4000 / CREDENTIAL_MAX; i++) {
		if (credential_generate(a, sizeof(a), CREDENTIAL_MAX) != 0)
			break;
		for (size_t j = 0; a[j]; j++)
			seen[(unsigned char)a[j]]++;
	}
	all = 1;
	for (i = 0; CREDENTIAL_ALPHABET[i]; i++)
		if (seen[(unsigned char)CREDENTIAL_ALPHABET[i]] == 0)
			all = 0;
	ok(all, "every character of the alphabet is used");
	distinct = 0;
	for (i = 0; i < 256; i++)
		distinct += seen[i] > 0;
	ok(distinct == (int)strlen(CREDENTIAL_ALPHABET),
	    "and nothing else (%d distinct)", distinct);

	/* HA1s: the RFC 7616 §3.9.1 example. */
	ok(credential_ha1s("Mufasa", "http-auth@example.org", "Circle of Life",
	    md5, sha) == 0 && strcmp(md5, "3d78807defe7de2157e2b0b6573a855f") ==
	    0 && strcmp(sha, "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a0"
	    "0262392d7b4794232") == 0, "HA1s of the RFC 7616 example");
	ok(credential_ha1s(NULL, "r", "p", md5, sha) == -1, "NULL user");
	return tap_done();
}
