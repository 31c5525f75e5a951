/*
 * test_termsafe: the terminal escaping of termsafe.h.  Hostile input
 * first (escape sequences, raw and UTF-8 C1, bytes that are not UTF-8,
 * truncation inside an escape), then text that must pass unchanged.
 */
#include <string.h>

#include "tap.h"
#include "termsafe.h"

static int
is(const char *in, const char *want)
{
	char	 out[256];

	termsafe_escape(in, out, sizeof(out), 0);
	if (strcmp(out, want) != 0) {
		printf("# got '%s' want '%s'\n", out, want);
		return 0;
	}
	return 1;
}

static int
no_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return 0;
	return 1;
}

int
main(void)
{
	char	 out[256], small[8];

	/* What a terminal would act on. */
	ok(is("x\x1b]0;pwned\x07\x1b[2J", "x\\x1b]0;pwned\\x07\\x1b[2J"),
	    "OSC title and clear screen");
	ok(is("a\r\nb\tc", "a\\x0d\\x0ab\\x09c"), "CR, LF, tab");
	ok(is("\x7f", "\\x7f"), "DEL");
	ok(is("\x01\x1f", "\\x01\\x1f"), "C0 bounds");
	ok(is("\x9b" "2J", "\\x9b2J"), "raw C1 CSI (not UTF-8)");
	ok(is("\x80\x9f", "\\x80\\x9f"), "raw C1 bounds");
	ok(is("\xc2\x9b" "2J", "\\u009b2J"), "C1 CSI written in UTF-8");
	ok(is("\xc2\x80", "\\u0080"), "U+0080");
	ok(is("\xe2\x80\xae" "gpj.exe", "\\u202egpj.exe"),
	    "right-to-left override");
	ok(is("\xe2\x81\xa6", "\\u2066"), "left-to-right isolate");
	/* Not UTF-8: each byte on its own. */
	ok(is("\xc0\xaf", "\\xc0\\xaf"), "overlong '/'");
	ok(is("\xed\xa0\x80", "\\xed\\xa0\\x80"), "surrogate");
	ok(is("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"), "above U+10FFFF");
	ok(is("\xe2\x82", "\\xe2\\x82"), "truncated sequence at the end");
	ok(is("\xe2\x1b", "\\xe2\\x1b"), "truncated sequence before ESC");
	ok(is("\xff\xfe", "\\xff\\xfe"), "0xff 0xfe");
	ok(is("a\\x1b", "a\\\\x1b"), "a backslash is escaped too");
	termsafe_escape("{\"ua\":\"a\\\\b\xc2\x9b\"}", out, sizeof(out),
	    TERMSAFE_JSON);
	ok(strcmp(out, "{\"ua\":\"a\\\\b\\u009b\"}") == 0,
	    "JSON text: its backslashes stay, C1 becomes its JSON escape");
	/* Truncation never splits an escape or a character. */
	ok(termsafe_escape("ab\x1b", small, 5, 0) == 1 && strcmp(small, "ab") == 0,
	    "no half escape at the end");
	ok(termsafe_escape("a\xc3\xa9", small, 3, 0) == 1 &&
	    strcmp(small, "a") == 0, "no half character at the end");
	ok(termsafe_escape("\x1b\x1b\x1b", out, sizeof(out), 0) == 0 &&
	    no_control(out), "nothing a terminal acts on is left");
	ok(termsafe_escape("", small, 1, 0) == 0 && small[0] == '\0',
	    "empty string in a 1-byte buffer");

	/* Text that passes as it is. */
	ok(is("Yealink SIP-T46S 66.86.0.15", "Yealink SIP-T46S 66.86.0.15"),
	    "ASCII");
	ok(is("Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac \xf0\x9f\x93\x9e",
	    "Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac \xf0\x9f\x93\x9e"),
	    "UTF-8 (Latin-1, euro, emoji)");
	ok(is("\xc2\xa0\xc2\xa9", "\xc2\xa0\xc2\xa9"), "U+00A0 and U+00A9");
	return tap_done();
}
