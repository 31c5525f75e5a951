/*
 * vpath: the file names legacy phones ask for (BRIEF.md §3, issue 5):
 * "<mac>.cfg" (Yealink, Polycom), "<MAC>-phone.cfg" (Polycom),
 * "snom<model>-<MAC>.htm", "cfg<mac>.xml" (Grandstream),
 * "Config<MAC>.cfg" (Panasonic), "spa<mac>.xml" (Cisco SPA).
 *
 * A pattern is literal text with one {mac} (or {MAC}: the vendor's usual
 * spelling, matched the same way) and at most one {model}.  Matching
 * ignores case, and the MAC may be written with ':', '-' or '.' between
 * its digits.  Pure functions.
 */
#ifndef SIPCFG_VPATH_H
#define SIPCFG_VPATH_H

#include <stddef.h>

#define VPATH_PATTERN_MAX	128
#define VPATH_NAME_MAX		256
#define VPATH_MODEL_MAX		64

/* 0 if pattern is usable (one {mac}, at most one {model}, safe text). */
int	 vpath_pattern_valid(const char *pattern);

/*
 * 1 if name (one path segment) matches pattern: mac gets the 12 lower-case
 * hex digits, model the {model} part (a SIP token) or "".  0 otherwise.
 */
int	 vpath_match(const char *pattern, const char *name, char mac[13],
	    char model[VPATH_MODEL_MAX]);

#endif
