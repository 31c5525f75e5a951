/*
 * conns: what the HTTPS front knows of its open connections, apart from
 * the HTTP library, so that idle ones cannot deny service to everyone
 * (BRIEF.md §6, limits on everything):
 *
 *  - a limit per source (an IPv4 address or an IPv6 /64, as the failure
 *    guard counts them, guard.h), checked when a connection opens;
 *  - a deadline for the TLS handshake and the first request line,
 *    counted from the accept and not reset by traffic, so a client that
 *    dribbles a ClientHello a byte at a time is cut off all the same
 *    (the idle timeout is separate and applies after);
 *  - the count of connections that completed a handshake and sent a
 *    request, the only ones that make the server "busy".
 *
 * A connection past its deadline is shut down (shutdown(2), both ways);
 * the owner of the socket sees the end of it and closes it as usual, so
 * this module never closes a descriptor it does not own.  The owner must
 * call conns_close() before it closes the descriptor.  One reaper
 * thread; every function is thread-safe.
 */
#ifndef SIPCFG_CONNS_H
#define SIPCFG_CONNS_H

#include <stddef.h>

struct conns;
struct conn;

/*
 * per_source: connections per source (0 = no limit); deadline_ms: for
 * the handshake and first request line (0 = none).  NULL on failure.
 */
struct conns	*conns_new(unsigned per_source, unsigned deadline_ms);
/* Stops the reaper; every connection must have been closed. */
void		 conns_free(struct conns *);
/*
 * A connection was accepted on fd from addr (numeric).  Returns its
 * handle, or NULL when its source is at its limit (or no memory): then
 * the connection was shut down and is not tracked.
 */
struct conn	*conns_open(struct conns *, int fd, const char *addr);
/* Its first request line arrived: no deadline, it counts as established. */
void		 conns_established(struct conns *, struct conn *);
/* It is closing (before its descriptor is closed).  Accepts NULL. */
void		 conns_close(struct conns *, struct conn *);
/* Connections open, and established. */
unsigned	 conns_open_count(struct conns *);
unsigned	 conns_established_count(struct conns *);
/* Connections shut down for their deadline, refused for their source. */
unsigned long	 conns_reaped(struct conns *);
unsigned long	 conns_refused(struct conns *);

#endif
