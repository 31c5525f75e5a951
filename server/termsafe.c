/*
 * termsafe: escaping for terminal output (see termsafe.h).  Pure
 * function, any thread.  The UTF-8 decoder is strict (RFC 3629 §4: no
 * overlong forms, no surrogates, nothing above U+10FFFF), so a byte it
 * does not take as part of a character is escaped on its own.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "termsafe.h"

/* Length of the UTF-8 character at p and its code point, 0 if invalid. */
static size_t
utf8_char(const unsigned char *p, uint32_t *cp)
{
	size_t		 n, i;
	uint32_t	 c, min;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		c = p[0] & 0x1f;
		min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		c = p[0] & 0x0f;
		min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		c = p[0] & 0x07;
		min = 0x10000;
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

static int
hidden(uint32_t c)
{
	return (c >= 0x80 && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) ||
	    (c >= 0x2066 && c <= 0x2069);
}

int
termsafe_escape(const char *in, char *out, size_t outlen, unsigned flags)
{
	const unsigned char	*p = (const unsigned char *)in;
	char			 esc[8];
	const char		*piece;
	size_t			 o = 0, n, len;
	uint32_t		 c;

	while (*p) {
		n = utf8_char(p, &c);
		if (n == 0 || c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", *p);
			piece = esc;
			len = 4;
			n = 1;
		} else if (c == '\\' && !(flags & TERMSAFE_JSON)) {
			piece = "\\\\";
			len = 2;
		} else if (hidden(c)) {
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)c);
			piece = esc;
			len = 6;
		} else {
			piece = (const char *)p;
			len = n;
		}
		if (o + len >= outlen) {
			out[o] = '\0';
			return 1;
		}
		memcpy(out + o, piece, len);
		o += len;
		p += n;
	}
	out[o] = '\0';
	return 0;
}
