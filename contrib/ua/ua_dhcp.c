/*
 * ua_dhcp: Configuration Service Domains from DHCP (see ua_dhcp.h).
 * Called from the UA's main thread before discovery; blocks at most
 * timeout_ms.
 *
 * Both families are asked at once on one poll loop, so a network with
 * only one of them costs no more than the deadline.  Requests are
 * repeated after 1, 2, 4... seconds (RFC 2131 §4.1 and RFC 8415 §15 in
 * spirit; the deadline, not a retransmission count, ends the wait).
 * Replies are matched on the transaction id (and, for DHCPv4, on
 * chaddr); everything else arriving on the ports is ignored.  The
 * options are decoded by dhcpopt.c, which refuses what is malformed.
 */
#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "ua_dhcp.h"

#define V4_CLIENT_PORT	68		/* RFC 2131 §4.1 */
#define V4_SERVER_PORT	67
#define V6_CLIENT_PORT	546		/* RFC 8415 §7.2 */
#define V6_SERVER_PORT	547
#define V6_ALL_SERVERS	"ff02::1:2"	/* All_DHCP_Relay_Agents_and_Servers */
#define V4_MIN_MSG	300		/* RFC 1542 §2.1: BOOTP minimum */
#define MSG_MAX		4096
#define RESEND_FIRST_MS	1000

/* RFC 2132 §9.6 message types, §9.8 and §9.10 option codes. */
#define DHCPACK		5
#define DHCPNAK		6
#define DHCPINFORM	8
#define OPT_MSG_TYPE	53
#define OPT_PRL		55
#define OPT_MAX_SIZE	57
#define OPT_CLIENT_ID	61

/* RFC 8415 §7.3 message types, §21 option codes. */
#define V6_REPLY	7
#define V6_INFO_REQ	11
#define V6_OPT_CLIENTID	1
#define V6_OPT_ORO	6
#define V6_OPT_ELAPSED	8

static void ferr(struct ua_dhcp_family *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Set f->err, unless it already holds an earlier reason. */
static void
ferr(struct ua_dhcp_family *f, const char *fmt, ...)
{
	va_list	 ap;

	if (f->err[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(f->err, sizeof(f->err), fmt, ap);
	va_end(ap);
}

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
ua_dhcp_parse_v4(const unsigned char *msg, size_t len, unsigned xid,
    const unsigned char chaddr[6], struct ua_dhcp_family *f)
{
	unsigned char	 b[DHCPOPT_DATA_MAX];
	char		 err[200];
	size_t		 n;
	int		 rc;

	if (len < 240 || msg[0] != 2 ||
	    ((unsigned)msg[4] << 24 | (unsigned)msg[5] << 16 |
	    (unsigned)msg[6] << 8 | msg[7]) != xid ||
	    memcmp(msg + 28, chaddr, 6) != 0)
		return 0;
	rc = dhcpopt_v4_find(msg, len, OPT_MSG_TYPE, b, sizeof(b), &n, err,
	    sizeof(err));
	if (rc == -1) {
		ferr(f, "malformed DHCPv4 reply: %s", err);
		return -1;
	}
	if (rc == 0 || n != 1)
		return 0;
	if (b[0] == DHCPNAK) {
		ferr(f, "DHCPNAK to the DHCPINFORM");
		return -1;
	}
	if (b[0] != DHCPACK)
		return 0;
	f->cs.n = f->local.n = 0;
	/* RFC 6011 §4.1: compressed, pointers into the option data. */
	rc = dhcpopt_v4_find(msg, len, DHCPOPT_V4_CS_DOMAINS, b, sizeof(b), &n,
	    err, sizeof(err));
	if (rc == 1 &&
	    dhcpopt_decode(b, n, 1, &f->cs, err, sizeof(err)) == -1)
		rc = -1;
	if (rc == -1)
		ferr(f, "option 141 refused: %s", err);
	rc = dhcpopt_v4_find(msg, len, DHCPOPT_V4_DOMAIN_NAME, b, sizeof(b),
	    &n, err, sizeof(err));
	if (rc == 1) {
		if (dhcpopt_domain_name(b, n, f->local.name[0],
		    sizeof(f->local.name[0]), err, sizeof(err)) == 0)
			f->local.n = 1;
		else
			rc = -1;
	}
	if (rc == -1)
		ferr(f, "option 15 refused: %s", err);
	return 1;
}

int
ua_dhcp_parse_v6(const unsigned char *msg, size_t len, unsigned xid,
    struct ua_dhcp_family *f)
{
	const unsigned char	*d;
	char			 err[200];
	size_t			 n;
	int			 rc;

	if (len < 4 || msg[0] != V6_REPLY ||
	    ((unsigned)msg[1] << 16 | (unsigned)msg[2] << 8 | msg[3]) != xid)
		return 0;
	f->cs.n = f->local.n = 0;
	/* RFC 6011 §4.2, RFC 3315 §8: no compression. */
	rc = dhcpopt_v6_find(msg + 4, len - 4, DHCPOPT_V6_CS_LIST, &d, &n, err,
	    sizeof(err));
	if (rc == 1 && dhcpopt_decode(d, n, 0, &f->cs, err, sizeof(err)) == -1)
		rc = -1;
	if (rc == -1)
		ferr(f, "option 58 refused: %s", err);
	rc = dhcpopt_v6_find(msg + 4, len - 4, DHCPOPT_V6_SIP_DOMAINS, &d, &n,
	    err, sizeof(err));
	if (rc == 1 &&
	    dhcpopt_decode(d, n, 0, &f->local, err, sizeof(err)) == -1)
		rc = -1;
	if (rc == -1)
		ferr(f, "option 21 refused: %s", err);
	return 1;
}

/* The interface's IPv4 address and hardware address. */
static int
if_facts(int s, const char *ifname, struct in_addr *addr,
    unsigned char mac[6], struct ua_dhcp_family *f)
{
	struct ifreq	 ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(s, SIOCGIFHWADDR, &ifr) == 0)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(s, SIOCGIFADDR, &ifr) != 0 ||
	    ifr.ifr_addr.sa_family != AF_INET) {
		/* RFC 2131 §3.4: DHCPINFORM is for a configured address. */
		ferr(f, "%s has no IPv4 address (a DHCPINFORM needs one)",
		    ifname);
		return -1;
	}
	memcpy(addr, &((struct sockaddr_in *)(void *)&ifr.ifr_addr)->sin_addr,
	    sizeof(*addr));
	return 0;
}

/* A UDP socket on ifname bound to port; -1 with f->err. */
static int
client_socket(int family, const char *ifname, unsigned port,
    struct ua_dhcp_family *f)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	int			 s, one = 1;
	socklen_t		 sl;

	if ((s = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		ferr(f, "socket: %s", strerror(errno));
		return -1;
	}
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		sl = sizeof(*sin);
		(void)setsockopt(s, SOL_SOCKET, SO_BROADCAST, &one,
		    sizeof(one));
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		sl = sizeof(*sin6);
		(void)setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	}
	(void)setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, ifname,
	    (socklen_t)strlen(ifname)) == -1 ||
	    bind(s, (struct sockaddr *)&ss, sl) == -1) {
		ferr(f, "cannot listen on %s port %u: %s%s", ifname, port,
		    strerror(errno), errno == EACCES || errno == EPERM ?
		    " (a DHCP client needs root)" : "");
		close(s);
		return -1;
	}
	return s;
}

/* RFC 2131 §4.4.3: a DHCPINFORM from ciaddr, asking for 141 and 15. */
static size_t
build_inform(unsigned char *m, unsigned xid, struct in_addr ciaddr,
    const unsigned char mac[6], unsigned secs)
{
	size_t	 o = 240;

	memset(m, 0, V4_MIN_MSG);
	m[0] = 1;			/* BOOTREQUEST */
	m[1] = 1;			/* Ethernet */
	m[2] = 6;
	m[4] = (unsigned char)(xid >> 24);
	m[5] = (unsigned char)(xid >> 16);
	m[6] = (unsigned char)(xid >> 8);
	m[7] = (unsigned char)xid;
	m[8] = (unsigned char)(secs >> 8);
	m[9] = (unsigned char)secs;
	memcpy(m + 12, &ciaddr, 4);
	memcpy(m + 28, mac, 6);
	m[236] = 99; m[237] = 130; m[238] = 83; m[239] = 99;
	m[o++] = OPT_MSG_TYPE; m[o++] = 1; m[o++] = DHCPINFORM;
	/* RFC 6011 §2.1.2: MUST request 141 and 15. */
	m[o++] = OPT_PRL; m[o++] = 3;
	m[o++] = 1;
	m[o++] = DHCPOPT_V4_DOMAIN_NAME;
	m[o++] = DHCPOPT_V4_CS_DOMAINS;
	/* RFC 3396 §9: room for long options comes from a large message. */
	m[o++] = OPT_MAX_SIZE; m[o++] = 2; m[o++] = 1500 >> 8;
	m[o++] = 1500 & 0xff;
	m[o++] = OPT_CLIENT_ID; m[o++] = 7; m[o++] = 1;
	memcpy(m + o, mac, 6);
	o += 6;
	m[o++] = 255;
	return o < V4_MIN_MSG ? V4_MIN_MSG : o;
}

/* RFC 8415 §18.2.6: an Information-request asking for 58 and 21. */
static size_t
build_inforeq(unsigned char *m, unsigned xid, const unsigned char mac[6],
    unsigned elapsed_cs)
{
	size_t	 o = 0;

	m[o++] = V6_INFO_REQ;
	m[o++] = (unsigned char)(xid >> 16);
	m[o++] = (unsigned char)(xid >> 8);
	m[o++] = (unsigned char)xid;
	/* Client Identifier: a DUID-LL (RFC 8415 §11.4). */
	m[o++] = 0; m[o++] = V6_OPT_CLIENTID; m[o++] = 0; m[o++] = 10;
	m[o++] = 0; m[o++] = 3; m[o++] = 0; m[o++] = 1;
	memcpy(m + o, mac, 6);
	o += 6;
	/* RFC 6011 §2.1.2: MUST request 58 and 21. */
	m[o++] = 0; m[o++] = V6_OPT_ORO; m[o++] = 0; m[o++] = 4;
	m[o++] = 0; m[o++] = DHCPOPT_V6_CS_LIST;
	m[o++] = 0; m[o++] = DHCPOPT_V6_SIP_DOMAINS;
	/* RFC 8415 §21.9: MUST include Elapsed Time. */
	m[o++] = 0; m[o++] = V6_OPT_ELAPSED; m[o++] = 0; m[o++] = 2;
	m[o++] = (unsigned char)(elapsed_cs >> 8);
	m[o++] = (unsigned char)elapsed_cs;
	return o;
}

int
ua_dhcp_query(const char *ifname, int families, unsigned timeout_ms,
    struct ua_dhcp_result *r)
{
	struct pollfd		 pfd[2];
	struct sockaddr_storage	 from;
	struct sockaddr_in	 to4;
	struct sockaddr_in6	 to6;
	struct in_addr		 ciaddr;
	unsigned char		 mac[6] = { 0 }, rnd[7], *m = NULL;
	unsigned		 xid4, xid6, ifindex;
	socklen_t		 fl;
	long long		 t0, deadline, next, now, wait, interval;
	/* The last failed send of each family (see the end). */
	char			 serr4[160] = "", serr6[160] = "";
	ssize_t			 n;
	size_t			 len;
	int			 s4 = -1, s6 = -1, i, rc;

	memset(r, 0, sizeof(*r));
	if (ifname == NULL || strlen(ifname) >= IFNAMSIZ ||
	    (ifindex = if_nametoindex(ifname)) == 0) {
		snprintf(r->v4.err, sizeof(r->v4.err), "%s: no such network "
		    "interface", ifname ? ifname : "(null)");
		memcpy(r->v6.err, r->v4.err, sizeof(r->v6.err));
		return -1;
	}
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		snprintf(r->v4.err, sizeof(r->v4.err), "no randomness");
		memcpy(r->v6.err, r->v4.err, sizeof(r->v6.err));
		return -1;
	}
	xid4 = (unsigned)rnd[0] << 24 | (unsigned)rnd[1] << 16 |
	    (unsigned)rnd[2] << 8 | rnd[3];
	xid6 = (unsigned)rnd[4] << 16 | (unsigned)rnd[5] << 8 | rnd[6];
	if ((m = malloc(MSG_MAX)) == NULL) {
		snprintf(r->v4.err, sizeof(r->v4.err), "out of memory");
		return -1;
	}
	if (families & UA_DHCP_V4) {
		s4 = client_socket(AF_INET, ifname, V4_CLIENT_PORT, &r->v4);
		if (s4 != -1 && if_facts(s4, ifname, &ciaddr, mac,
		    &r->v4) == -1) {
			close(s4);
			s4 = -1;
		}
	}
	if (families & UA_DHCP_V6) {
		if (!(families & UA_DHCP_V4)) {
			/* The DUID needs the hardware address. */
			struct in_addr	 unused;
			int		 t = socket(AF_INET, SOCK_DGRAM, 0);

			if (t != -1) {
				(void)if_facts(t, ifname, &unused, mac,
				    &r->v4);
				close(t);
			}
			r->v4.err[0] = '\0';
		}
		s6 = client_socket(AF_INET6, ifname, V6_CLIENT_PORT, &r->v6);
	}
	memset(&to4, 0, sizeof(to4));
	to4.sin_family = AF_INET;
	to4.sin_port = htons(V4_SERVER_PORT);
	to4.sin_addr.s_addr = htonl(INADDR_BROADCAST);
	memset(&to6, 0, sizeof(to6));
	to6.sin6_family = AF_INET6;
	to6.sin6_port = htons(V6_SERVER_PORT);
	to6.sin6_scope_id = ifindex;
	inet_pton(AF_INET6, V6_ALL_SERVERS, &to6.sin6_addr);

	t0 = now_ms();
	deadline = t0 + (timeout_ms ? timeout_ms : 4000);
	next = t0;
	interval = RESEND_FIRST_MS;
	while ((s4 != -1 && !r->v4.answered) || (s6 != -1 && !r->v6.answered)) {
		now = now_ms();
		if (now >= deadline)
			break;
		if (now >= next) {
			if (s4 != -1 && !r->v4.answered) {
				len = build_inform(m, xid4, ciaddr, mac,
				    (unsigned)((now - t0) / 1000));
				if (sendto(s4, m, len, 0, (struct sockaddr *)
				    &to4, sizeof(to4)) == -1)
					snprintf(serr4, sizeof(serr4),
					    "sending the DHCPINFORM: %s",
					    strerror(errno));
				else
					r->v4.asked = 1;
			}
			if (s6 != -1 && !r->v6.answered) {
				len = build_inforeq(m, xid6, mac,
				    (unsigned)((now - t0) / 10));
				if (sendto(s6, m, len, 0, (struct sockaddr *)
				    &to6, sizeof(to6)) == -1)
					snprintf(serr6, sizeof(serr6),
					    "sending the Information-request: "
					    "%s", strerror(errno));
				else
					r->v6.asked = 1;
			}
			next = now + interval;
			interval *= 2;
		}
		wait = (next < deadline ? next : deadline) - now;
		pfd[0].fd = r->v4.answered ? -1 : s4;
		pfd[1].fd = r->v6.answered ? -1 : s6;
		pfd[0].events = pfd[1].events = POLLIN;
		if (poll(pfd, 2, (int)wait) <= 0)
			continue;
		for (i = 0; i < 2; i++) {
			struct ua_dhcp_family *f = i ? &r->v6 : &r->v4;

			if (pfd[i].fd == -1 || !(pfd[i].revents & POLLIN))
				continue;
			fl = sizeof(from);
			n = recvfrom(pfd[i].fd, m, MSG_MAX, MSG_DONTWAIT,
			    (struct sockaddr *)&from, &fl);
			if (n <= 0)
				continue;
			rc = i ? ua_dhcp_parse_v6(m, (size_t)n, xid6, f) :
			    ua_dhcp_parse_v4(m, (size_t)n, xid4, mac, f);
			if (rc == 0)
				continue;
			f->answered = 1;
			if (from.ss_family == AF_INET)
				inet_ntop(AF_INET, &((struct sockaddr_in *)
				    &from)->sin_addr, f->server,
				    sizeof(f->server));
			else
				inet_ntop(AF_INET6, &((struct sockaddr_in6 *)
				    &from)->sin6_addr, f->server,
				    sizeof(f->server));
		}
	}
	/*
	 * A send that failed while the link came up (no route yet, an
	 * address still tentative) and worked on a resend is no error.
	 */
	if (s4 != -1 && !r->v4.answered) {
		if (!r->v4.asked && serr4[0] != '\0')
			ferr(&r->v4, "%s", serr4);
		else
			ferr(&r->v4, "no answer to the DHCPINFORM on %s",
			    ifname);
	}
	if (s6 != -1 && !r->v6.answered) {
		if (!r->v6.asked && serr6[0] != '\0')
			ferr(&r->v6, "%s", serr6);
		else
			ferr(&r->v6, "no answer to the Information-request "
			    "on %s", ifname);
	}
	if (s4 != -1)
		close(s4);
	if (s6 != -1)
		close(s6);
	free(m);
	return r->v4.answered || r->v6.answered ? 0 : -1;
}

/* Append name unless it is there already (names compare caseless). */
static size_t
add(char out[][DHCPOPT_NAME_MAX], size_t n, size_t max, const char *name)
{
	size_t	 i;

	if (n == max)
		return n;
	for (i = 0; i < n; i++)
		if (strcasecmp(out[i], name) == 0)
			return n;
	snprintf(out[n], DHCPOPT_NAME_MAX, "%s", name);
	return n + 1;
}

static void
note(char *source, size_t len, const char *what)
{
	size_t	 l = strlen(source);

	snprintf(source + l, len - l, "%s%s", l ? "+" : "", what);
}

size_t
ua_dhcp_domains(const struct ua_dhcp_result *r, char out[][DHCPOPT_NAME_MAX],
    size_t max, char *source, size_t sourcelen)
{
	const struct ua_dhcp_family *fam[2] = { &r->v4, &r->v6 };
	static const char *const csname[2] = { "141", "58" };
	static const char *const localname[2] = { "15", "21" };
	size_t	 n = 0, i, k;

	source[0] = '\0';
	/* §2.1.2: the CS domain options' names first, in their order. */
	for (k = 0; k < 2; k++) {
		if (!fam[k]->answered || fam[k]->cs.n == 0)
			continue;
		for (i = 0; i < fam[k]->cs.n; i++)
			n = add(out, n, max, fam[k]->cs.name[i]);
		note(source, sourcelen, csname[k]);
	}
	/* "If and only if no values are returned for option 141" (58). */
	for (k = 0; k < 2; k++) {
		if (!fam[k]->answered || fam[k]->cs.n > 0 ||
		    fam[k]->local.n == 0)
			continue;
		for (i = 0; i < fam[k]->local.n; i++)
			n = add(out, n, max, fam[k]->local.name[i]);
		note(source, sourcelen, localname[k]);
	}
	return n;
}
