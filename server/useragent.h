/*
 * useragent: what the User-Agent of a phone's configuration request says
 * about it (vendor, model, firmware), for the fetch bookkeeping, so that
 * operators see what is really in the field.  Pure string functions.
 */
#ifndef SIPCFG_USERAGENT_H
#define SIPCFG_USERAGENT_H

#include <stddef.h>

#define UA_FIELD_MAX	64

struct ua_info {
	char	 vendor[UA_FIELD_MAX];		/* DNS domain: yealink.com, ... */
	char	 model[UA_FIELD_MAX];		/* a SIP token: T46S, VVX_410 */
	char	 firmware[UA_FIELD_MAX];	/* 66.86.0.15 */
	char	 mac[13];			/* 12 lower-case hex, if given */
};

/*
 * Parse the User-Agent of Yealink, Polycom/Poly, Snom, Grandstream,
 * Panasonic and Cisco SPA (and Linksys) phones.  Returns 1 when a known
 * vendor was
 * recognised (fields filled; unknown ones ""), 0 otherwise (all "").
 * Output fields hold only SIP token characters, never more than
 * UA_FIELD_MAX - 1 bytes.
 */
int	 useragent_parse(const char *ua, struct ua_info *);

#endif
