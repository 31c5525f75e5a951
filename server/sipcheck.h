/*
 * sipcheck: what the notifier decides about a SUBSCRIBE from the request
 * alone, before the store or a credential is looked at: the Event
 * package, the URI scheme against the transport, the monitor token's
 * syntax, Accept, Expires, and whether NOTIFYs would go where the
 * subscriber is.  Everything is read from sofia-sip's parsed structures
 * (never from a header printed back to a string); nothing is allocated.
 * Pure and thread-safe; the notifier and the fuzz target call it.
 */
#ifndef SIPCFG_SIPCHECK_H
#define SIPCFG_SIPCHECK_H

#include <stddef.h>
#include <sys/socket.h>

struct sip_s;			/* sofia-sip's sip_t */

#define SIPCHECK_TOKEN_LEN	32	/* hex digits of a monitor token */

struct sipcheck {
	int		 status;	/* 0: go on; else the answer */
	const char	*phrase;	/* its reason phrase */
	int		 body;		/* Event: http-monitor;body=true */
	int		 has_expires;
	unsigned long	 expires;	/* asked for (3600 when absent) */
	char		 token[SIPCHECK_TOKEN_LEN + 1];	/* "" when bad */
};

/* Where the request came from and how. */
struct sipcheck_from {
	const struct sockaddr	*addr;	/* NULL: not known */
	socklen_t		 addrlen;
	int			 udp;	/* came over UDP */
	int			 tls;	/* came over TLS */
};

/*
 * Step 1, before anything is looked up: the Event package (489), a sips:
 * Request-URI over a transport that is not TLS (416), the token of the
 * Request-URI (out->token, "" when it is not 32 hex digits).
 */
void	 sipcheck_head(const struct sip_s *, const struct sipcheck_from *,
	    struct sipcheck *out);
/*
 * Step 2, once the monitor URI names a device: Accept (406), Expires
 * (423 below min_expires), and the dialog's target (403 unless
 * trust_contact): the first Record-Route entry if there is one, else the
 * Contact, must name the source address (any port: NOTIFYs go to the
 * source's, RFC 3581) or a private-use one (a phone behind a NAT, RFC
 * 5626 §3).  initial: an initial SUBSCRIBE (which must carry a Contact).
 */
void	 sipcheck_body(const struct sip_s *, const struct sipcheck_from *,
	    unsigned min_expires, int trust_contact, int initial,
	    struct sipcheck *out);
/* Both steps, as the notifier makes them for an initial SUBSCRIBE. */
void	 sipcheck_subscribe(const struct sip_s *, const struct sipcheck_from *,
	    unsigned min_expires, int trust_contact, struct sipcheck *out);

#endif
