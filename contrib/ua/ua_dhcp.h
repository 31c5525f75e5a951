/*
 * ua_dhcp: RFC 6011 §2.1.2 and §2.2.1, the Local Network Domain from
 * DHCP on one interface.  The UA already has its address (a soft UA, or
 * a test in a network namespace), so it asks without leasing: a
 * DHCPINFORM (RFC 2131 §3.4, §4.4.3) requesting options 141 and 15, and
 * a DHCPv6 Information-request (RFC 8415 §18.2.6) requesting options 58
 * and 21, both at once, retransmitted until the deadline.
 *
 * Needs the privileges of a DHCP client (ports 68 and 546, a socket
 * bound to the interface): root or CAP_NET_BIND_SERVICE + CAP_NET_RAW.
 */
#ifndef SIPCFG_UA_DHCP_H
#define SIPCFG_UA_DHCP_H

#include <stddef.h>

#include "dhcpopt.h"

#define UA_DHCP_V4	1
#define UA_DHCP_V6	2

/* What one family's server said. */
struct ua_dhcp_family {
	int			 asked;		/* a request went out */
	int			 answered;	/* a matching reply came */
	char			 server[64];	/* its source address */
	struct dhcpopt_list	 cs;		/* option 141 or 58 */
	struct dhcpopt_list	 local;		/* option 15 or 21 */
	char			 err[256];	/* why not, or what was refused */
};

struct ua_dhcp_result {
	struct ua_dhcp_family	 v4, v6;
};

/*
 * Ask on ifname for the families given (UA_DHCP_V4 | UA_DHCP_V6) and
 * wait until each answered or timeout_ms passed.  0 when at least one
 * family answered, -1 otherwise; each family's err says why.  A
 * malformed option is refused (its err says how) and counts as absent.
 */
int	 ua_dhcp_query(const char *ifname, int families, unsigned timeout_ms,
	    struct ua_dhcp_result *);

/*
 * RFC 6011 §2.1.2, §2.2.1: the candidate Configuration Service Domains,
 * in order and without repeats: option 141's, then 58's; a family whose
 * option 141/58 gave nothing contributes its option 15/21 after them.
 * The number of names; *source names the options they came from
 * ("141", "141+58", "15", ...; "" when none).
 */
size_t	 ua_dhcp_domains(const struct ua_dhcp_result *,
	    char out[][DHCPOPT_NAME_MAX], size_t max, char *source,
	    size_t sourcelen);

/*
 * Parse a reply: a DHCPACK to our DHCPINFORM (xid, chaddr), or a DHCPv6
 * Reply to our Information-request (xid: 24 bits).  1 when it is ours
 * (options decoded into f), 0 when it is not, -1 when it is ours but
 * malformed (f->err).  Public for tests.
 */
int	 ua_dhcp_parse_v4(const unsigned char *msg, size_t len, unsigned xid,
	    const unsigned char chaddr[6], struct ua_dhcp_family *f);
int	 ua_dhcp_parse_v6(const unsigned char *msg, size_t len, unsigned xid,
	    struct ua_dhcp_family *f);

#endif
