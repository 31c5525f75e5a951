/*
 * termsafe: text that came from the network, made safe to print on a
 * terminal (issue 16).  A device's User-Agent, an enrolled vendor or
 * model are stored as received; the CLI's human-readable listings print
 * them through termsafe_escape(), so a hostile client cannot move the
 * cursor, retitle the window or clear the screen of the operator who
 * looks at them.  --json output is exact and does not use it.
 */
#ifndef SIPCFG_TERMSAFE_H
#define SIPCFG_TERMSAFE_H

#include <stddef.h>

/*
 * Copies in to out (NUL-terminated, outlen > 0), escaping what a terminal
 * would act on or what could hide it:
 *   C0 controls and DEL          \xNN   (tab and newline too)
 *   bytes that are not UTF-8     \xNN   (so also raw C1, 0x80-0x9f)
 *   C1 written in UTF-8          \uNNNN (U+0080-U+009F)
 *   bidirectional overrides      \uNNNN (U+202A-U+202E, U+2066-U+2069)
 *   a backslash                  \\     (so every escape is unambiguous)
 * Other UTF-8 is copied as it is.  With TERMSAFE_JSON, in is JSON text
 * (a cell that holds an object): its backslashes are already escapes and
 * stay single, and what is escaped above reads as the same JSON.
 * Truncates at a character or escape boundary, never inside one.
 * Returns 0, or 1 when truncated.
 */
#define TERMSAFE_JSON	0x1

int	 termsafe_escape(const char *in, char *out, size_t outlen,
	    unsigned flags);

#endif
