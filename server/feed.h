/*
 * feed: the two threads that keep sipcfgd's shared answer cache
 * (answers.h) current and full.
 *
 * The change feed watches the store for commits by anyone (sipcfg, the
 * sqlite3 shell, psql, another instance, this daemon's own writers).  On
 * SQLite, inotify(7) on the store's directory wakes it as soon as the
 * file or its write-ahead log is written, a poll every 250 ms catches
 * what inotify cannot see.  On PostgreSQL, the database pushes each
 * commit (LISTEN, store.h); while the database cannot be reached the
 * cached answers stay, and the change log is read from where it stopped
 * once it is back (issue 13).
 * When PRAGMA data_version has moved it reads the change log's typed
 * records (store.h) and hands them to answers_apply(); a commit that
 * wrote none (bookkeeping: device_seen, fetch history) drops nothing and
 * is only counted.  Requests never ask the store whether it changed.
 *
 * The warmer (cache_warm, sipcfgd.conf(5)) renders every active device's
 * answer once at start-up, in the background, when the store fits the
 * bound (auto) or until the bound is nearly reached (yes).
 */
#ifndef SIPCFG_FEED_H
#define SIPCFG_FEED_H

#include "answers.h"
#include "config.h"
#include "resource.h"

struct feed;

/*
 * Starts the threads; ro is the workers' resource options.  NULL:
 * failed.  With no answer cache (ans NULL), only the change feed runs:
 * for feed_generation().
 */
struct feed	*feed_start(const struct config *, struct answers *,
		    const struct resource_opts *ro);
/*
 * Moves after each look at the store that found it reachable (the
 * changes it read applied): the notifier reads a PostgreSQL store's
 * change log only when this has moved, instead of polling it.
 */
uint64_t	 feed_generation(const struct feed *);
/* 0 while the store cannot be reached (readiness), else 1; NULL: 1. */
int		 feed_store_up(const struct feed *);
void		 feed_stop(struct feed *);

#endif
