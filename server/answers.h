/*
 * answers: the answer cache every worker of sipcfgd shares (issue 11,
 * "render once, serve many").
 *
 * It holds three kinds of entry, all under one bound in bytes
 * (answer_cache_mb, sipcfgd.conf(5)) and one eviction order (CLOCK,
 * an approximation of least recently used; answers.c):
 *
 *   - rendered answers (struct rendered, resource.h), by the key
 *     resource_render() makes of everything that can change an answer;
 *   - device look-ups (found or not), by CS domain and requested sfua-id;
 *   - users with their credentials (both HA1s, rotation and one-time
 *     password state), by name.
 *
 * Nothing here reads the store.  Entries go when a change touches them
 * (answers_apply(), with the rules of touch.h, fed by feed.c from the
 * store's change log) or when the bound needs room.  A hit copies the
 * look-up out, or pins the answer until answers_release().  Secrets never
 * leave memory and are wiped when their entry goes: the credentials, and
 * the bodies of full answers (through their free hook).
 *
 * A miss and a change may race: a worker reads the store, a change lands
 * and is applied, then the worker stores what it read.  So the worker
 * reads answers_gen() before its first store read and hands it to the
 * put, which stores nothing if any change was applied in between.
 */
#ifndef SIPCFG_ANSWERS_H
#define SIPCFG_ANSWERS_H

#include <stddef.h>
#include <stdint.h>

#include "resource.h"
#include "store.h"
#include "touch.h"

struct answers;
struct answer;		/* a pinned answer */

struct answers_stats {
	size_t		 answers, devices, users;
	size_t		 bytes, max_bytes;
	uint64_t	 hits, misses;		/* answer look-ups */
	uint64_t	 dropped_change, dropped_bound;
	uint64_t	 changes_read, idle_commits;
};

/* max_bytes: the bound (0 is taken as 1 MiB).  NULL on ENOMEM. */
struct answers	*answers_new(size_t max_bytes);
void		 answers_free(struct answers *);
size_t		 answers_max_bytes(struct answers *);

/* Moves whenever a change is applied (see above). */
uint64_t	 answers_gen(struct answers *);
/* Moves when a change touches every device (realm, path rules, ...). */
uint64_t	 answers_every_gen(struct answers *);

/* 1 and *d, *rc filled when cached. */
int		 answers_device_get(struct answers *, int64_t domain_id,
		    const char *sfua, enum store_rc *rc, struct store_device *d);
void		 answers_device_put(struct answers *, uint64_t gen,
		    int64_t domain_id, const char *sfua, enum store_rc rc,
		    const struct store_device *d);
int		 answers_user_get(struct answers *, const char *name,
		    enum store_rc *rc, struct store_user *u);
void		 answers_user_put(struct answers *, uint64_t gen,
		    const char *name, enum store_rc rc, const struct store_user *u);

/*
 * The answer cached under key, pinned in *pin; NULL when not cached.
 * Counts a hit or a miss.
 */
const struct rendered *answers_get(struct answers *, const char *key,
		    struct answer **pin);
/* The same, counting neither (the warmer: no request asked). */
const struct rendered *answers_peek(struct answers *, const char *key,
		    struct answer **pin);
/*
 * Caches *r (taken: *r is cleared) under key for the device td says
 * (td->id 0: an unknown device's secret-free answer) and returns it
 * pinned.  If gen is stale, or the entry cannot be made, the answer is
 * still returned pinned, in an entry no look-up finds.  NULL only when
 * even that fails (r is then cleared).
 */
const struct rendered *answers_put(struct answers *, uint64_t gen,
		    const char *key, const struct touch_dev *td,
		    struct rendered *r, struct answer **pin);
void		 answers_release(struct answers *, struct answer *);

/*
 * Drops what the changes touch (touch.h) and moves the generation.
 * Unknown kinds are logged and drop everything.
 */
void		 answers_apply(struct answers *, const struct store_change *,
		    size_t n);
/* Drops everything (a store that moved under us, a private cache). */
void		 answers_clear(struct answers *);
/* feed.c: the store moved but the change log had nothing new. */
void		 answers_idle_commit(struct answers *);

void		 answers_stats(struct answers *, struct answers_stats *);
/* The SIGUSR1 line (sipcfgd(8)). */
void		 answers_log_stats(struct answers *);

/* Frees a struct rendered's body and hooks, wiping a full answer's body. */
void		 rendered_clear(struct rendered *);

#endif
