/*
 * dhcpconf: what a DHCP server needs to announce Configuration Service
 * Domains (RFC 6011 §2.1.2, §4), in the forms operators paste into
 * dnsmasq, Kea and ISC dhcpd, for `sipcfg dhcp`.  The octets come from
 * dhcpopt.c; this module only lays them out.
 */
#ifndef SIPCFG_DHCPCONF_H
#define SIPCFG_DHCPCONF_H

#include <stdio.h>

#include <jansson.h>

enum dhcpconf_format {
	DHCPCONF_ALL,		/* every server's form, under comments */
	DHCPCONF_DNSMASQ,
	DHCPCONF_KEA,
	DHCPCONF_DHCPD,
	DHCPCONF_HEX		/* the options on the wire, a line each */
};

/*
 * Encode the n domains (options 141 and 58) and print them in format to
 * out.  0, or -1 with a one-line reason in err (a domain that is not
 * one, a list too long for a DHCP option, or for dnsmasq's 255 octets).
 */
int	 dhcpconf_print(FILE *out, const char *const *names, size_t n,
	    enum dhcpconf_format, char *err, size_t errlen);

/*
 * The same as one JSON object: domains, dhcp4 (code, length, data, wire),
 * dhcp6 (code, length, data), dnsmasq (lines), kea (the Dhcp4 and Dhcp6
 * option-data), dhcpd (lines).  A new reference (json_decref), or NULL
 * with err.
 */
json_t	*dhcpconf_json(const char *const *names, size_t n, char *err,
	    size_t errlen);

#endif
