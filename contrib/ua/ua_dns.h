/*
 * ua_dns: RFC 6011 §2.3.1 discovery of a Configuration Service's base
 * URLs from NAPTR records (RFC 3403) of a Configuration Service Domain.
 *
 * Only records with service "SFUA.CFG" and flag "u" count; their regexp
 * ("!^.*$!https://...!" in practice; any RFC 3402 substitution expression
 * with POSIX extended regex is applied to the domain) gives the https URL.
 * Results are ordered by order, then preference (RFC 3403 §4.1).
 */
#ifndef SIPCFG_UA_DNS_H
#define SIPCFG_UA_DNS_H

#include <stddef.h>

#define UA_DNS_MAX	16		/* URLs kept per domain */
#define UA_URL_MAX	1024

enum ua_dns_rc {
	UA_DNS_OK,		/* at least one URL */
	UA_DNS_NXDOMAIN,	/* §2.3.1.2 errata: move on */
	UA_DNS_NODATA,		/* no (usable) SFUA.CFG record: move on */
	UA_DNS_SERVFAIL,	/* server failure: move on */
	UA_DNS_ERROR		/* timeout, malformed answer, bad server */
};

struct ua_dns_result {
	size_t		 n;
	char		 url[UA_DNS_MAX][UA_URL_MAX];
	unsigned	 order[UA_DNS_MAX], pref[UA_DNS_MAX];
	char		 err[256];	/* one line when not UA_DNS_OK */
};

/*
 * Look up domain's NAPTR records.  server: NULL for the system resolver,
 * or "ADDR" / "ADDR:PORT" / "[V6]:PORT" (tests run a DNS server on
 * loopback).  timeout_ms bounds the whole lookup.  Thread-safe (uses
 * res_ninit on a private state).
 */
enum ua_dns_rc	 ua_dns_naptr(const char *domain, const char *server,
		    unsigned timeout_ms, struct ua_dns_result *);

/*
 * Apply an RFC 3402 §3.2 substitution expression (delim ere delim repl
 * delim flags; backrefs \1..\9; flag "i") to subject.  0 and out, or -1.
 * Public for the unit test.
 */
int		 ua_dns_regexp(const char *expr, const char *subject,
		    char *out, size_t outlen);

const char	*ua_dns_strerror(enum ua_dns_rc);

#endif
