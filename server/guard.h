/*
 * guard: slows down password guessing (BRIEF.md §6).  Failed
 * authentications are counted per (source, user name) and per source
 * alone, where a source is an IPv4 address or an IPv6 /64 (one host, or
 * one site's prefix, can hold a whole /64).  Past auth_fail_limit
 * failures for one user name within auth_fail_window seconds, that user
 * name is refused from that source for auth_block seconds; past
 * auth_fail_limit_addr failures for any names, the whole source is.
 * A success clears only its own user name's count: one phone behind a
 * NAT logging in never resets the count of a guesser behind the same
 * address.  Thread-safe (one mutex; touched only on authentication
 * outcomes).
 */
#ifndef SIPCFG_GUARD_H
#define SIPCFG_GUARD_H

#include <stddef.h>
#include <time.h>

#define GUARD_SLOTS		16384	/* (source, user) pairs */
#define GUARD_ADDR_SLOTS	4096	/* sources */
#define GUARD_KEY_MAX		64	/* "2001:db8:1:2::/64" and the like */

struct guard;

struct guard	*guard_new(unsigned limit, unsigned limit_addr, unsigned window,
		    unsigned block);
void		 guard_free(struct guard *);
/*
 * Seconds the source, or the user name from that source, is still
 * blocked for, or 0.  user may be NULL or "" (the source alone).
 */
unsigned	 guard_blocked(struct guard *, const char *addr,
		    const char *user, time_t now);
void		 guard_fail(struct guard *, const char *addr, const char *user,
		    time_t now);
void		 guard_ok(struct guard *, const char *addr, const char *user);
/*
 * The source an address counts under: an IPv4 address (also written as
 * an IPv4-mapped IPv6 one) as it is, an IPv6 address as its /64, anything
 * else (not an address) as given, cut to GUARD_KEY_MAX - 1 bytes.
 */
void		 guard_source(const char *addr, char *out, size_t outlen);

#endif
