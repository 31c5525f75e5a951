/*
 * dhcpopt: the DHCP options that carry Configuration Service Domains
 * (RFC 6011 §2.1.2, §4): encoding for `sipcfg dhcp`, strict decoding for
 * `sipcfg-ua --dhcp`.  Pure functions over caller buffers; no I/O.
 *
 *   DHCPv4 option 141: a searchlist of DNS names with RFC 1035 §4.1.4
 *   compression, pointers being offsets into the option data (RFC 6011
 *   §4.1), split into several options past 255 octets (RFC 3396).
 *   DHCPv6 option 58 (and 21, RFC 3319): the same list without
 *   compression (RFC 3315 §8).  DHCPv4 option 15 (RFC 2132 §3.17): one
 *   name as text.
 */
#ifndef SIPCFG_DHCPOPT_H
#define SIPCFG_DHCPOPT_H

#include <stddef.h>

#define DHCPOPT_V4_DOMAIN_NAME	15	/* RFC 2132 §3.17 */
#define DHCPOPT_V4_CS_DOMAINS	141	/* RFC 6011 §4.1 */
#define DHCPOPT_V6_SIP_DOMAINS	21	/* RFC 3319 §3.1 */
#define DHCPOPT_V6_CS_LIST	58	/* RFC 6011 §4.2 */

#define DHCPOPT_NAMES_MAX	32	/* names kept from one list */
#define DHCPOPT_NAME_MAX	256	/* presentation form, with its NUL */
#define DHCPOPT_DATA_MAX	4096	/* one (aggregated) option's data */

/* A decoded list, in the order of the option (RFC 6011 §2.2.1). */
struct dhcpopt_list {
	size_t	 n;
	char	 name[DHCPOPT_NAMES_MAX][DHCPOPT_NAME_MAX];
};

/*
 * Encode n names ("a.example.net", a trailing dot allowed) as a
 * searchlist: with RFC 1035 §4.1.4 compression (compress = 1, option
 * 141) or without (0, option 58).  Names are host names: labels of
 * letters, digits, '-' and '_', 1..63 octets, at most 255 octets in wire
 * form.  0 and *outlen, or -1 with a one-line reason in err.
 */
int	 dhcpopt_encode(const char *const *names, size_t n, int compress,
	    unsigned char *out, size_t outmax, size_t *outlen,
	    char *err, size_t errlen);

/*
 * RFC 3396 §5: the wire form of a DHCPv4 option whose data is len
 * octets: code, length and up to 255 octets, as many times as needed.
 * 0 and *outlen, or -1 when it does not fit in outmax.
 */
int	 dhcpopt_v4_split(unsigned code, const unsigned char *data,
	    size_t len, unsigned char *out, size_t outmax, size_t *outlen);

/*
 * Decode a searchlist (compress as for dhcpopt_encode).  Refused, with a
 * reason in err: pointer loops, forward pointers, labels over 63 octets
 * (and the reserved label types), names over 255 octets, truncated data,
 * pointers where compression is not allowed, the root name alone, a
 * label outside host-name characters, more than DHCPOPT_NAMES_MAX
 * names.  Never reads outside data[0..len).  0 or -1.
 */
int	 dhcpopt_decode(const unsigned char *data, size_t len, int compress,
	    struct dhcpopt_list *, char *err, size_t errlen);

/*
 * RFC 2132 §3.17 option 15: one domain name as text (trailing NULs,
 * which some servers add, are dropped; a trailing dot too).  0 and out,
 * or -1 with err.
 */
int	 dhcpopt_domain_name(const unsigned char *data, size_t len,
	    char *out, size_t outlen, char *err, size_t errlen);

/*
 * The data of DHCPv4 option code in a whole DHCP message (from its op
 * octet): the options field after the magic cookie, then, as option 52
 * overloads them, the file and sname fields (RFC 2131 §4.1), every
 * instance concatenated in that order (RFC 3396 §5).  1 and the data
 * when present, 0 when absent, -1 with err when the message or an
 * options area is malformed or the data exceeds outmax.
 */
int	 dhcpopt_v4_find(const unsigned char *msg, size_t len, unsigned code,
	    unsigned char *out, size_t outmax, size_t *outlen,
	    char *err, size_t errlen);

/*
 * The first DHCPv6 option code in an options area (RFC 8415 §21.1,
 * top level only): 1 and *data (pointing into opts) and *dlen, 0 when
 * absent, -1 with err when an option overruns the area.
 */
int	 dhcpopt_v6_find(const unsigned char *opts, size_t len, unsigned code,
	    const unsigned char **data, size_t *dlen, char *err,
	    size_t errlen);

/*
 * Hex of n octets into out (3n bytes at least): two lower-case digits an
 * octet, sep between octets unless sep is '\0'.
 */
void	 dhcpopt_hex(const unsigned char *data, size_t n, char sep, char *out);

#endif
