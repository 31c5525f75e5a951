/*
 * sipcheck: the request-only checks of a SUBSCRIBE (see sipcheck.h).
 * sofia-sip has split every header into NUL-terminated parts already;
 * those parts go to sipreq's rules, so no header is ever printed back to
 * a string (sofia-sip 1.12.11 hands such a string back without its
 * terminating NUL once it is 128 bytes or longer).  Runs on any thread.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/sip.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/url.h>

#include "sipcheck.h"
#include "sipreq.h"

static void
answer(struct sipcheck *out, int status, const char *phrase)
{
	if (out->status == 0) {
		out->status = status;
		out->phrase = phrase;
	}
}

void
sipcheck_head(const sip_t *sip, const struct sipcheck_from *from,
    struct sipcheck *out)
{
	const char	*u;

	memset(out, 0, sizeof(*out));
	out->expires = 3600;
	if (sip == NULL || sip->sip_request == NULL) {
		answer(out, SIP_400_BAD_REQUEST);
		return;
	}
	/* RFC 6665 §4.2.1.1: 489 for any package but ours. */
	if (sip->sip_event == NULL || sipreq_event_parts(sip->sip_event->o_type,
	    sip->sip_event->o_params, &out->body) != 1) {
		answer(out, SIP_489_BAD_EVENT);
		return;
	}
	/*
	 * RFC 5989 §6, RFC 5630 §3.1.3: a sips: URI is reached over TLS
	 * only; the same request over UDP or TCP is refused, not served.
	 */
	if (sip->sip_request->rq_url->url_type == url_sips && !from->tls) {
		answer(out, SIP_416_UNSUPPORTED_URI);
		return;
	}
	/* The monitor URI's token names the device (RFC 5989 §3). */
	u = sip->sip_request->rq_url->url_user;
	if (u && strlen(u) == SIPCHECK_TOKEN_LEN &&
	    strspn(u, "0123456789abcdef") == SIPCHECK_TOKEN_LEN)
		memcpy(out->token, u, SIPCHECK_TOKEN_LEN + 1);
}

/* An IP literal of a URI host ("192.0.2.1", "[2001:db8::1]"). */
static int
host_addr(const char *h, struct in6_addr *a)
{
	char		 t[INET6_ADDRSTRLEN + 2];
	size_t		 n;
	struct in_addr	 a4;

	if (h == NULL || (n = strlen(h)) == 0 || n >= sizeof(t))
		return -1;
	if (h[0] == '[') {
		if (n < 3 || h[n - 1] != ']')
			return -1;
		memcpy(t, h + 1, n - 2);
		t[n - 2] = '\0';
		return inet_pton(AF_INET6, t, a) == 1 ? 0 : -1;
	}
	if (inet_pton(AF_INET, h, &a4) == 1) {
		/* As IPv4-mapped, to compare with either family. */
		memset(a, 0, sizeof(*a));
		a->s6_addr[10] = a->s6_addr[11] = 0xff;
		memcpy(&a->s6_addr[12], &a4, 4);
		return 0;
	}
	return inet_pton(AF_INET6, h, a) == 1 ? 0 : -1;
}

/* The source as an IPv6 (or IPv4-mapped) address and its port. */
static int
source_addr(const struct sipcheck_from *f, struct in6_addr *a,
    unsigned *port)
{
	const struct sockaddr_in	*s4;
	const struct sockaddr_in6	*s6;

	if (f->addr == NULL)
		return -1;
	if (f->addr->sa_family == AF_INET &&
	    f->addrlen >= (socklen_t)sizeof(*s4)) {
		s4 = (const struct sockaddr_in *)(const void *)f->addr;
		memset(a, 0, sizeof(*a));
		a->s6_addr[10] = a->s6_addr[11] = 0xff;
		memcpy(&a->s6_addr[12], &s4->sin_addr, 4);
		*port = ntohs(s4->sin_port);
		return 0;
	}
	if (f->addr->sa_family == AF_INET6 &&
	    f->addrlen >= (socklen_t)sizeof(*s6)) {
		s6 = (const struct sockaddr_in6 *)(const void *)f->addr;
		*a = s6->sin6_addr;
		*port = ntohs(s6->sin6_port);
		return 0;
	}
	return -1;
}

/*
 * An address that only means something behind a NAT or on a link:
 * RFC 1918, RFC 6598 (shared, carrier-grade NAT), RFC 3927 and RFC 4291
 * link-local, RFC 4193 unique local; IPv4 ones as IPv4-mapped.
 */
static int
private_use(const struct in6_addr *a)
{
	static const unsigned char v4map[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	const unsigned char *b = a->s6_addr;

	if (memcmp(b, v4map, sizeof(v4map)) == 0) {
		b += 12;
		return b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
		    (b[0] == 192 && b[1] == 168) ||
		    (b[0] == 100 && (b[1] & 0xc0) == 64) ||
		    (b[0] == 169 && b[1] == 254);
	}
	return (b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) ==
	    0x80);
}

/*
 * Whether a Contact or Record-Route may stand in a dialog whose NOTIFYs
 * go where the subscriber is (the SUBSCRIBE's connection, or its source
 * address and port, RFC 3581): the source address itself, whatever the
 * port (the port NOTIFYs use is the source's); or an address that only
 * means something behind a NAT, which is what a phone behind one writes
 * (RFC 5626 §3).  A public address or a host name elsewhere is someone
 * else: the shape of an attempt to aim NOTIFYs at a third party.
 */
static int
at_source(const url_t *url, const struct sipcheck_from *f)
{
	struct in6_addr	 ua, sa;
	unsigned	 sport;

	if (url == NULL || source_addr(f, &sa, &sport) != 0 ||
	    host_addr(url->url_host, &ua) != 0)
		return 0;
	return memcmp(&ua, &sa, sizeof(ua)) == 0 || private_use(&ua);
}

void
sipcheck_body(const sip_t *sip, const struct sipcheck_from *from,
    unsigned min_expires, int trust_contact, int initial,
    struct sipcheck *out)
{
	const sip_accept_t	*a;
	const url_t		*target = NULL;
	int			 rc, admits = 0;

	if (out->status || sip == NULL)
		return;
	/* RFC 5989 §4.5: message/http is what we send. */
	if (sip->sip_accept) {
		for (a = sip->sip_accept; a; a = a->ac_next) {
			if (a->ac_type == NULL)
				continue;	/* an empty Accept */
			if ((rc = sipreq_accept_range(a->ac_type,
			    a->ac_params)) < 0) {
				admits = 0;
				break;
			}
			admits |= rc;
		}
		if (!admits) {
			answer(out, SIP_406_NOT_ACCEPTABLE);
			return;
		}
	}
	/* RFC 6665 §4.2.1.1: 423 only for 0 < Expires < the minimum. */
	if (sip->sip_expires) {
		out->has_expires = 1;
		out->expires = sip->sip_expires->ex_delta;
		if (out->expires > 0 && out->expires < min_expires) {
			answer(out, SIP_423_INTERVAL_TOO_BRIEF);
			return;
		}
	}
	/*
	 * RFC 3261 §12.1.1: the route set if there is one, else the
	 * Contact, must name the subscriber (at_source()), or anyone could
	 * aim our NOTIFYs at a third party when sub_trust_contact lets
	 * them follow it.  A refresh without a Contact keeps the target.
	 */
	if (sip->sip_record_route)
		target = sip->sip_record_route->r_url;
	else if (sip->sip_contact)
		target = sip->sip_contact->m_url;
	if (target == NULL) {
		if (initial)
			answer(out, 400, "Missing Contact");
		return;
	}
	if (!trust_contact && !at_source(target, from))
		answer(out, 403, "Contact Is Not The Source Address");
}

void
sipcheck_subscribe(const sip_t *sip, const struct sipcheck_from *from,
    unsigned min_expires, int trust_contact, struct sipcheck *out)
{
	sipcheck_head(sip, from, out);
	sipcheck_body(sip, from, min_expires, trust_contact, 1, out);
}
