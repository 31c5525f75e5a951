/*
 * guard: slows down password guessing.  Failed authentications are
 * counted per source address in a fixed-size table; past
 * auth_fail_limit failures within auth_fail_window seconds the address is
 * refused for auth_block seconds (HTTP 429 with Retry-After).  A
 * successful authentication clears the address.  Thread-safe (one mutex;
 * the table is small and touched only on authentication outcomes).
 */
#ifndef SIPCFG_GUARD_H
#define SIPCFG_GUARD_H

#include <time.h>

#define GUARD_SLOTS	4096

struct guard;

struct guard	*guard_new(unsigned limit, unsigned window, unsigned block);
void		 guard_free(struct guard *);
/* Seconds the address is still blocked for, or 0. */
unsigned	 guard_blocked(struct guard *, const char *addr, time_t now);
void		 guard_fail(struct guard *, const char *addr, time_t now);
void		 guard_ok(struct guard *, const char *addr);

#endif
