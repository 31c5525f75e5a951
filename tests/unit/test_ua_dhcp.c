/*
 * test_ua_dhcp: the UA's reading of DHCP replies (ua_dhcp.h).  Replies
 * that are not ours, NAKs and malformed options first; then the
 * RFC 6011 §2.1.2 / §2.2.1 order of the candidate domains: option
 * 141/58 names in the order given, option 15/21 only from a family that
 * gave none, no repeats.
 */
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "ua_dhcp.h"

#define XID	0x01020304u
#define XID6	0x0a0b0cu

static const unsigned char mac[6] = { 0, 0x11, 0x22, 0x33, 0x44, 0x55 };

/* A DHCPACK (or type) to our DHCPINFORM carrying opts. */
static size_t
reply4(unsigned char *m, unsigned type, const void *opts, size_t olen)
{
	memset(m, 0, 240);
	m[0] = 2;
	m[4] = 1; m[5] = 2; m[6] = 3; m[7] = 4;
	memcpy(m + 28, mac, 6);
	m[236] = 99; m[237] = 130; m[238] = 83; m[239] = 99;
	m[240] = 53; m[241] = 1; m[242] = (unsigned char)type;
	memcpy(m + 243, opts, olen);
	m[243 + olen] = 255;
	return 244 + olen;
}

static size_t
reply6(unsigned char *m, const void *opts, size_t olen)
{
	m[0] = 7;
	m[1] = 0x0a; m[2] = 0x0b; m[3] = 0x0c;
	memcpy(m + 4, opts, olen);
	return 4 + olen;
}

int
main(void)
{
	struct ua_dhcp_result	 r;
	struct ua_dhcp_family	 f;
	unsigned char		 m[1024];
	char			 out[8][DHCPOPT_NAME_MAX], src[32];
	size_t			 n;

	/* ---- Not ours, refused. */
	memset(&f, 0, sizeof(f));
	n = reply4(m, 5, "\17\4a.bc", 6);
	ok(ua_dhcp_parse_v4(m, n, XID + 1, mac, &f) == 0, "v4: another xid");
	m[33] ^= 1;
	ok(ua_dhcp_parse_v4(m, n, XID, mac, &f) == 0, "v4: another chaddr");
	m[33] ^= 1;
	m[0] = 1;
	ok(ua_dhcp_parse_v4(m, n, XID, mac, &f) == 0, "v4: a request, not a reply");
	ok(ua_dhcp_parse_v4(m, 200, XID, mac, &f) == 0, "v4: too short");
	n = reply4(m, 2, "", 0);
	ok(ua_dhcp_parse_v4(m, n, XID, mac, &f) == 0, "v4: a DHCPOFFER is not ours");
	n = reply4(m, 6, "", 0);
	ok(ua_dhcp_parse_v4(m, n, XID, mac, &f) == -1 &&
	    strstr(f.err, "DHCPNAK") != NULL, "v4: DHCPNAK said");
	memset(&f, 0, sizeof(f));
	n = reply4(m, 5, "\215\6\3www\300\0\17\4a.bc", 14);
	ok(ua_dhcp_parse_v4(m, n, XID, mac, &f) == 1 && f.cs.n == 0 &&
	    strstr(f.err, "option 141 refused: pointer loop") != NULL &&
	    f.local.n == 1 && strcmp(f.local.name[0], "a.bc") == 0,
	    "v4: a looping option 141 refused, option 15 kept");
	memset(&f, 0, sizeof(f));
	n = reply4(m, 5, "\215\20\3abc", 5);
	ok(ua_dhcp_parse_v4(m, n, XID, mac, &f) == -1 &&
	    strstr(f.err, "truncated") != NULL,
	    "v4: option 141 longer than the message");
	memset(&f, 0, sizeof(f));
	n = reply4(m, 5, "\17\3a b", 5);
	ok(ua_dhcp_parse_v4(m, n, XID, mac, &f) == 1 && f.local.n == 0 &&
	    strstr(f.err, "option 15 refused") != NULL,
	    "v4: option 15 with a space refused");
	memset(&f, 0, sizeof(f));
	n = reply6(m, "\0\72\0\6\3www\300\0", 10);
	ok(ua_dhcp_parse_v6(m, n, XID6 + 1, &f) == 0, "v6: another xid");
	m[0] = 2;
	ok(ua_dhcp_parse_v6(m, n, XID6, &f) == 0, "v6: an Advertise, not a Reply");
	m[0] = 7;
	ok(ua_dhcp_parse_v6(m, n, XID6, &f) == 1 && f.cs.n == 0 &&
	    strstr(f.err, "option 58 refused: compression pointer") != NULL,
	    "v6: a pointer in option 58 refused");
	memset(&f, 0, sizeof(f));
	n = reply6(m, "\0\25\0\11\3abc", 8);
	ok(ua_dhcp_parse_v6(m, n, XID6, &f) == 1 && f.local.n == 0 &&
	    strstr(f.err, "truncated: DHCPv6 option 21 runs past") != NULL,
	    "v6: option 21 longer than the message");

	/* ---- Replies read. */
	memset(&f, 0, sizeof(f));
	n = reply4(m, 5, "\215\25\2cs\7example\3net\0\2p2\300\3"
	    "\17\10lan.test", 33);
	ok(ua_dhcp_parse_v4(m, n, XID, mac, &f) == 1 && f.err[0] == '\0' &&
	    f.cs.n == 2 && strcmp(f.cs.name[0], "cs.example.net") == 0 &&
	    strcmp(f.cs.name[1], "p2.example.net") == 0 && f.local.n == 1 &&
	    strcmp(f.local.name[0], "lan.test") == 0,
	    "v4: option 141 (two names, compressed) and 15");
	memset(&f, 0, sizeof(f));
	n = reply6(m, "\0\1\0\2xy\0\72\0\20\2cs\7example\3net\0", 26);
	ok(ua_dhcp_parse_v6(m, n, XID6, &f) == 1 && f.err[0] == '\0' &&
	    f.cs.n == 1 && strcmp(f.cs.name[0], "cs.example.net") == 0,
	    "v6: option 58 after another option");

	/* ---- §2.1.2, §2.2.1: the order of the candidates. */
	memset(&r, 0, sizeof(r));
	n = ua_dhcp_domains(&r, out, 8, src, sizeof(src));
	ok(n == 0 && src[0] == '\0', "nothing answered: no domain");
	r.v4.answered = 1;
	r.v4.cs.n = 2;
	snprintf(r.v4.cs.name[0], DHCPOPT_NAME_MAX, "%s", "b.test");
	snprintf(r.v4.cs.name[1], DHCPOPT_NAME_MAX, "%s", "a.test");
	r.v4.local.n = 1;
	snprintf(r.v4.local.name[0], DHCPOPT_NAME_MAX, "%s", "lan.test");
	r.v6.answered = 1;
	r.v6.cs.n = 2;
	snprintf(r.v6.cs.name[0], DHCPOPT_NAME_MAX, "%s", "A.test");
	snprintf(r.v6.cs.name[1], DHCPOPT_NAME_MAX, "%s", "c.test");
	r.v6.local.n = 1;
	snprintf(r.v6.local.name[0], DHCPOPT_NAME_MAX, "%s", "sip.test");
	n = ua_dhcp_domains(&r, out, 8, src, sizeof(src));
	ok(n == 3 && strcmp(out[0], "b.test") == 0 &&
	    strcmp(out[1], "a.test") == 0 && strcmp(out[2], "c.test") == 0 &&
	    strcmp(src, "141+58") == 0,
	    "141 then 58, in order, repeats dropped, 15 and 21 left out");
	r.v6.cs.n = 0;
	n = ua_dhcp_domains(&r, out, 8, src, sizeof(src));
	ok(n == 3 && strcmp(out[2], "sip.test") == 0 &&
	    strcmp(src, "141+21") == 0,
	    "a family without 58 gives its 21, after 141's names");
	r.v4.cs.n = 0;
	n = ua_dhcp_domains(&r, out, 8, src, sizeof(src));
	ok(n == 2 && strcmp(out[0], "lan.test") == 0 &&
	    strcmp(out[1], "sip.test") == 0 && strcmp(src, "15+21") == 0,
	    "no 141 or 58: 15 then 21");
	r.v6.answered = 0;
	n = ua_dhcp_domains(&r, out, 1, src, sizeof(src));
	ok(n == 1 && strcmp(src, "15") == 0, "bounded by max");
	return tap_done();
}
