/*
 * sublimit: subscriptions counted per source, where a source is what the
 * failure guard counts under (guard_source(): an IPv4 address, an IPv6
 * /64; the port never counts), so that one host, or one site's prefix,
 * cannot take every subscription slot.  Not thread-safe: the notifier
 * thread owns it.
 */
#ifndef SIPCFG_SUBLIMIT_H
#define SIPCFG_SUBLIMIT_H

#include "guard.h"

#define SUBLIMIT_KEY_MAX	GUARD_KEY_MAX

enum sublimit_rc {
	SUBLIMIT_OK = 0,
	SUBLIMIT_FULL,		/* the source is at its limit */
	SUBLIMIT_NOMEM
};

struct sublimit;

/* NULL when out of memory; free with sublimit_free() (NULL is fine). */
struct sublimit		*sublimit_new(unsigned per_source);
void			 sublimit_free(struct sublimit *);
/* key: a source as guard_source() writes it. */
enum sublimit_rc	 sublimit_take(struct sublimit *, const char *key);
void			 sublimit_release(struct sublimit *, const char *key);
unsigned		 sublimit_count(const struct sublimit *, const char *key);
/* Sources with a subscription (for tests and the log). */
size_t			 sublimit_sources(const struct sublimit *);

#endif
