/*
 * test_ua_dns: the RFC 3402 §3.2 substitution expressions that turn a
 * Configuration Service Domain into a base URL (RFC 6011 §2.3.1).
 * Malformed expressions first, then the RFC 6011 form and backrefs.
 */
#include <string.h>

#include "tap.h"
#include "ua_dns.h"

static char	 out[UA_URL_MAX];

static int
re(const char *expr, const char *subject)
{
	return ua_dns_regexp(expr, subject, out, sizeof(out));
}

int
main(void)
{
	char	 big[UA_URL_MAX + 64], small[8];

	/* Missing delimiters, bad delimiters, bad flags. */
	ok(re("", "example.com") == -1, "empty expression");
	ok(re("!", "example.com") == -1, "delimiter only");
	ok(re("!^.*$", "example.com") == -1, "no second delimiter");
	ok(re("!^.*$!https://x/", "example.com") == -1 && out[0] == '\0',
	    "no third delimiter, output left empty");
	ok(re("!^.*$\\!https://x/!", "example.com") == -1,
	    "escaped delimiter does not close the ERE");
	ok(re("!^.*$!https://x/\\!", "example.com") == -1,
	    "escaped delimiter does not close the replacement");
	ok(re("!^.*$!https://x/!!", "example.com") == -1,
	    "a fourth delimiter is not a flag");
	ok(re("!^.*$!https://x/!g", "example.com") == -1,
	    "unknown flag g");
	ok(re("1^.*$1https://x/1", "example.com") == -1,
	    "digit delimiter refused (RFC 3402 §3.2)");
	ok(re("i^.*$ihttps://x/i", "example.com") == -1,
	    "flag character as delimiter refused");
	ok(re("\\^.*$\\https://x/\\", "example.com") == -1,
	    "backslash delimiter refused");
	ok(re(" ^.*$ https://x/ ", "example.com") == -1,
	    "space delimiter refused");
	ok(re("!^.*$!https://x/\\", "example.com") == -1,
	    "trailing backslash");
	ok(re("!!https://x/!", "example.com") == -1, "empty ERE");

	/* Bad EREs. */
	ok(re("!^(.*$!https://x/!", "example.com") == -1, "unbalanced (");
	ok(re("!^[a-!https://x/!", "example.com") == -1, "unclosed bracket");
	ok(re("!a{2,1}!https://x/!", "aa") == -1, "bad interval");

	/* Backrefs and escapes in the replacement. */
	ok(re("!^(.*)$!https://\\2/!", "example.com") == -1,
	    "backref \\2 with one group");
	ok(re("!^.*$!https://\\1/!", "example.com") == -1,
	    "backref \\1 with no group");
	ok(re("!^(.*)$!https://\\0/!", "example.com") == -1,
	    "\\0 is not a backref (RFC 3402 §3.2)");
	ok(re("!^(.*)$!https://\\q/!", "example.com") == -1,
	    "unknown escape in the replacement");

	/* No match: the rule does not apply. */
	ok(re("!^foo\\.net$!https://x/!", "example.com") == -1 &&
	    out[0] == '\0', "no match");
	ok(re("!^EXAMPLE!https://x/!", "example.com") == -1,
	    "case-sensitive without the i flag");

	/* Output bounds. */
	ok(ua_dns_regexp("!^.*$!https://x/!", "a", small, sizeof(small)) == -1
	    && small[0] == '\0', "output longer than the buffer");
	ok(ua_dns_regexp("!^.*$!https:/x!", "a", small, sizeof(small)) == -1,
	    "output of exactly the buffer size (no room for the NUL)");
	ok(ua_dns_regexp("!^.*$!https:/!", "a", small, sizeof(small)) == 0 &&
	    strcmp(small, "https:/") == 0, "output that just fits: %s", small);
	ok(ua_dns_regexp("!^.*$!x!", "a", small, 0) == -1, "zero-size buffer");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[0] = '!';
	ok(re(big, "example.com") == -1, "over-long expression");
	/* Backrefs can grow the output past the bound. */
	ok(re("!^(.*)$!https://\\1\\1\\1\\1\\1\\1\\1\\1\\1/!",
	    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl"
	    "mnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwx"
	    "yzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz.example") ==
	    -1, "backrefs past the output bound");
	ok(ua_dns_regexp(NULL, "a", out, sizeof(out)) == -1 &&
	    ua_dns_regexp("!a!b!", NULL, out, sizeof(out)) == -1,
	    "NULL expression or subject");

	/* RFC 6011 §2.3.1 and §2.3.3. */
	ok(re("!^.*$!https://p1.example.net/cfg!", "example.com") == 0 &&
	    strcmp(out, "https://p1.example.net/cfg") == 0,
	    "RFC 6011 form: %s", out);
	ok(re("!.*!https://p1.example.net/cfg!", "example.com") == 0 &&
	    strcmp(out, "https://p1.example.net/cfg") == 0,
	    "u-naptr-regexp \"!.*!\" form: %s", out);
	ok(re("!^([a-z0-9-]+)\\.example\\.com$!https://\\1.cfg.example.net/"
	    "!", "sales.example.com") == 0 &&
	    strcmp(out, "https://sales.cfg.example.net/") == 0,
	    "backref \\1: %s", out);
	ok(re("!^([a-z]+)\\.([a-z]+)\\.(com)$!https://\\3.\\2.\\1/x!",
	    "www.example.com") == 0 &&
	    strcmp(out, "https://com.example.www/x") == 0,
	    "three backrefs reordered: %s", out);
	ok(re("!^(a)|(b)$!https://x\\2y/!", "a") == 0 &&
	    strcmp(out, "https://xy/") == 0,
	    "unmatched group is empty (RFC 3402 §3.2): %s", out);
	ok(re("!^EXAMPLE\\.(COM)$!https://\\1.example.net/!i",
	    "example.com") == 0 &&
	    strcmp(out, "https://com.example.net/") == 0,
	    "i flag: %s", out);
	ok(re("/^.*$/https:\\/\\/cs.example.net\\/cfg/", "example.com") == 0 &&
	    strcmp(out, "https://cs.example.net/cfg") == 0,
	    "escaped / delimiter in the replacement: %s", out);
	ok(re("|^a\\|b$|https://x/|", "a|b") == 0 &&
	    strcmp(out, "https://x/") == 0 && re("|^a\\|b$|x|", "a") == -1,
	    "escaped | delimiter is a literal |, not alternation");
	ok(re("#^.*$#https://x/\\\\y#", "a") == 0 &&
	    strcmp(out, "https://x/\\y") == 0, "\\\\ is a backslash: %s", out);
	ok(re("!example!https://x/!", "www.example.com") == 0 &&
	    strcmp(out, "https://x/") == 0,
	    "the result is the replacement, not a splice: %s", out);
	return tap_done();
}
