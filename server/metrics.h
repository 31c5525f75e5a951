/*
 * metrics: process-wide counters, gauges and histograms (issue 14 §4),
 * rendered in the Prometheus text exposition format 0.0.4 for /metrics
 * on the admin listener (sipcfgd(8), METRICS).
 *
 * Every observation is one or a few relaxed atomic additions on static
 * storage: no allocation and no lock, from any thread.  Labels come from
 * small fixed sets (routes are names such as "config", never URLs), so
 * the number of series is bounded whatever the clients send.
 */
#ifndef SIPCFG_METRICS_H
#define SIPCFG_METRICS_H

#include <stdint.h>
#include <time.h>

struct buf;

/* Status codes counted per route; later ones count by class ("4xx"). */
#define METRICS_HTTP_CODES	24

/* Counters without labels. */
enum metrics_counter {
	METRICS_ANSWER_HITS,		/* answer cache look-ups that hit */
	METRICS_ANSWER_MISSES,		/* ... and missed */
	METRICS_ANSWER_EVICTIONS,	/* entries dropped to stay in bound */
	METRICS_GUARD_BLOCKS,		/* a source or user name blocked */
	METRICS_GUARD_REFUSALS,		/* a request refused while blocked */
	METRICS_CHECKSYNC_PUSHES,	/* check-sync pushes started */
	METRICS_CHECKSYNC_FAILED,	/* ... that were given up */
	METRICS_NCOUNTERS
};

/* Why an authentication failed (sipcfg_auth_failures_total{reason}). */
enum metrics_auth {
	METRICS_AUTH_DIGEST,		/* HTTP Digest: wrong credentials */
	METRICS_AUTH_BASIC,		/* HTTP Basic: wrong credentials */
	METRICS_AUTH_REPLAY,		/* HTTP Digest: a nonce count reused */
	METRICS_AUTH_MALFORMED,		/* unparsable Authorization */
	METRICS_AUTH_USER_MISMATCH,	/* RFC 6011 §2.4.1: not sfua-user */
	METRICS_AUTH_CERT,		/* a client certificate refused */
	METRICS_AUTH_SIP,		/* SUBSCRIBE Digest: wrong credentials */
	METRICS_AUTH_ADMIN,		/* the admin API: no or bad token */
	METRICS_NAUTH
};

/* Which NOTIFYs (sipcfg_notify_*_total{kind}). */
enum metrics_notify_kind {
	METRICS_NOTIFY_SUBSCRIPTION,	/* RFC 5989 in a subscription */
	METRICS_NOTIFY_CHECKSYNC,	/* the legacy check-sync push */
	METRICS_NNOTIFY_KIND
};

enum metrics_notify_event {
	METRICS_NOTIFY_SENT,		/* handed to the SIP stack */
	METRICS_NOTIFY_FAILED,		/* not sent, or answered >= 300 */
	METRICS_NOTIFY_RETRIED,		/* sent again after a failure */
	METRICS_NNOTIFY_EVENT
};

/* Store look-ups on the request path (sipcfg_store_query_...{query}). */
enum metrics_query {
	METRICS_QUERY_DEVICE,
	METRICS_QUERY_USER,
	METRICS_NQUERY
};

/* Records the start time (sipcfg_start_time_seconds); main, once. */
void	 metrics_start(void);

/*
 * One answered HTTP request: route is one of "config", "vendor_path",
 * "readyz", "api", "console", "metrics" or "other" (anything else counts
 * as "other"); code the status sent; seconds from the request line to
 * the end of the response.  A 503 also counts in
 * sipcfg_http_unavailable_total.
 */
void	 metrics_http_observe(const char *route, unsigned code,
	    double seconds);
void	 metrics_inc(enum metrics_counter);
void	 metrics_auth_failure(enum metrics_auth);
void	 metrics_notify(enum metrics_notify_kind, enum metrics_notify_event);
/*
 * The SIP transaction layer's retransmissions of NOTIFYs (RFC 3261
 * §17.1.2.2), as a running total the notifier reads from its stack.
 */
void	 metrics_notify_retransmissions(uint64_t total);
/* Subscriptions held: +1 when one is made, -1 when it goes. */
void	 metrics_subscriptions_add(int);
/* The store answers (1) or cannot be reached (0). */
void	 metrics_store_up(int);
void	 metrics_store_observe(enum metrics_query, double seconds);

/* Seconds since *start (CLOCK_MONOTONIC), for the observe functions. */
double	 metrics_since(const struct timespec *start);

/*
 * Appends every family to b in the text format 0.0.4 (Content-Type
 * "text/plain; version=0.0.4").  0, or -1 when b failed (its bound).
 */
int	 metrics_render(struct buf *b);

#endif
