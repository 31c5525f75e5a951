/*
 * notifier: the RFC 5989 http-monitor notifier inside sipcfgd.
 *
 * One thread runs a sofia-sip transaction stack (nta) listening on the
 * configured sip: (UDP and TCP) and sips: (TLS) URLs, with dialogs of its
 * own (notifier_int.h).  It accepts authenticated
 * SUBSCRIBEs to the monitor URIs the HTTPS side hands out (RFC 6011
 * §2.5.1), sends the current HEAD state in a NOTIFY at once, watches the
 * store (PRAGMA data_version plus the trigger-filled change log) and
 * sends a NOTIFY whenever a subscribed configuration's ETag changes, at
 * most one per second per subscription and no more than notify_rate per
 * second in all.  Every sofia-sip and store call happens on that thread;
 * the main thread only starts and stops it.
 */
#ifndef SIPCFG_NOTIFIER_H
#define SIPCFG_NOTIFIER_H

#include <stddef.h>

#include "config.h"
#include "digest.h"
#include "guard.h"

struct notifier;

/*
 * Must run before anything initialises OpenSSL: sofia-sip 1.12.11 has no
 * TLS version option, so TLS 1.2+ is imposed through an OpenSSL
 * configuration file (MinProtocol) that this writes into a private
 * directory, together with the agent.pem sofia reads.  0 or -1 (logged).
 */
int		 notifier_prepare(const struct config *);
/* Remove what notifier_prepare() wrote (start-up failed before start). */
void		 notifier_unprepare(void);

struct feed;
/*
 * Start the notifier thread; content_location is the https:// URL of the
 * configuration resource (without query).  With a feed (feed.h), the
 * change log is read when the feed's generation moves (PostgreSQL: the
 * database's pushes); without, when the store's data_version does
 * (SQLite).  NULL (logged) on failure.
 */
struct notifier	*notifier_start(const struct config *, struct digest_ctx *,
		    struct guard *, const char *content_location,
		    const struct feed *);

/*
 * Terminate every subscription (NOTIFY terminated;reason=probation with
 * a spread retry-after, RFC 6665 §4.2.2), shut the stack down and join.
 */
void		 notifier_stop(struct notifier *);

#endif
