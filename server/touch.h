/*
 * touch: which devices a change in the store touches.
 *
 * One set of rules for everyone who reacts to the change log (store.h,
 * store_changes_since()): the notifier, to know whose configuration to
 * check (RFC 5989 §4.10, RFC 6011 §2.5), and the shared answer cache, to
 * know which answers to drop (answers.h).  A rule that is wrong here is
 * wrong for both, so they never disagree about what a change did.
 *
 * The rules over-approximate, never under: a change may touch a device
 * whose configuration then renders the same bytes (the notifier compares
 * ETags before it sends a NOTIFY); it never misses one that does not.
 */
#ifndef SIPCFG_TOUCH_H
#define SIPCFG_TOUCH_H

#include <stdint.h>

#include "store.h"

/* What the rules look at of a device (NULL strings read as ""). */
struct touch_dev {
	int64_t		 id;		/* 0: no device (an unknown one) */
	int64_t		 user_id, profile_id, domain_id;
	const char	*sfua, *vendor, *model, *user, *profile;
};

enum touch_reach {
	TOUCH_NONE,	/* no configuration changes (bookkeeping, requests) */
	TOUCH_ONE,	/* the device change->id, and nothing else */
	TOUCH_SOME,	/* the devices touch_match() says yes for */
	TOUCH_EVERY	/* every device, known or not */
};

/*
 * How far a change reaches.  CHG_UNKNOWN is TOUCH_EVERY: the caller
 * logs it (an unknown hint is a store written by a newer sipcfg).
 */
enum touch_reach touch_reach(const struct store_change *);

/* For TOUCH_SOME (and TOUCH_ONE): does the change touch d? */
int		 touch_match(const struct store_change *,
		    const struct touch_dev *d);

#endif
