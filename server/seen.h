/*
 * seen: fetch bookkeeping and enrolment, kept off the request path.
 *
 * HTTP workers push records into a bounded queue (a mutex and a ring);
 * one writer thread with its own store connection drains it in batches,
 * one transaction per batch, every seen_flush_ms or when the queue is
 * half full.  A full queue drops bookkeeping (counted and logged once a
 * minute), never a request.  Enrolments take the same path.
 */
#ifndef SIPCFG_SEEN_H
#define SIPCFG_SEEN_H

#include "store.h"

#define SEEN_QUEUE_MAX	8192
/* The writer connection's page cache (store_cache()). */
#define SEEN_CACHE_BYTES	((int64_t)64 << 20)

struct seen;

/* Starts the writer thread, which owns st.  NULL on failure. */
struct seen	*seen_start(struct store *st, unsigned flush_ms);
/* Flushes what is queued, stops the thread, closes its store. */
void		 seen_stop(struct seen *);
/* Any thread; never blocks on the store. */
void		 seen_push(struct seen *, const struct store_seen *);
/*
 * Queue an enrolment (unknown_device enroll) from client address addr;
 * over enroll_rate it is dropped, and the writer checks enroll_max and
 * enroll_max_per_ip before it writes.
 */
void		 seen_enroll(struct seen *, int64_t domain_id,
		    const char *sfua_id, const char *mac, const char *vendor,
		    const char *model, const char *addr);

/* sipcfgd.conf(5) enroll_*; until set, nothing is enrolled or expired. */
struct seen_enroll_limits {
	unsigned	 max;		/* pending devices enrolled, in all */
	unsigned	 max_per_ip;	/* of those, from one address */
	unsigned	 rate;		/* enrolments a second */
	unsigned	 expire;	/* seconds unseen; 0: never */
};
/* Any thread; before the first seen_enroll(). */
void		 seen_enroll_limits(struct seen *,
		    const struct seen_enroll_limits *);

#endif
