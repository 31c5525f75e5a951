/*
 * drift: which devices are not on their current configuration (issue 14
 * §5), for `sipcfg drift` and, later, the API and the console.
 *
 * Every active device is rendered as a fetch of it would be answered now
 * (its last reported revision, encrypted when it is, secret-free while
 * pending) and compared with what the store knows of its fetches and
 * subscriptions:
 *   - changed: the ETag it last fetched is not the current one (since the
 *     current configuration's Last-Modified);
 *   - never:   it has never fetched (since it was created);
 *   - unseen:  its last fetch is older than factor × its max-age (since
 *     that fetch);
 *   - lapsed:  it should hold a subscription (subscription mode and a SIP
 *     line, RFC 6011 §2.5.1), has fetched, and no sipcfgd holds one for
 *     it now (since its last fetch).
 * A device the templates cannot render is reported with its reason.
 */
#ifndef SIPCFG_DRIFT_H
#define SIPCFG_DRIFT_H

#include <time.h>

#include "resource.h"
#include "store.h"

#define DRIFT_CHANGED	0x1
#define DRIFT_NEVER	0x2
#define DRIFT_UNSEEN	0x4
#define DRIFT_LAPSED	0x8
#define DRIFT_BROKEN	0x10	/* cannot be rendered: why in etag_now */

struct drift_opts {
	time_t		 now;
	int		 factor;	/* unseen past factor × max-age (>= 1) */
	int		 max_age;	/* when device and profile say none */
	/* The mode of devices and profiles that name none (the daemons'). */
	enum notify_mode notify_default;
	const unsigned char *seal_key;	/* encrypted answers' ETags; NULL */
	int64_t		 after;		/* only devices whose id is greater */
	long long	 max_scan;	/* read at most so many; 0: all */
};

struct drift_row {
	const struct store_device *d;
	unsigned	 why;		/* DRIFT_* */
	const char	*etag_now;	/* or why it cannot be rendered */
	const char	*etag_fetched;	/* "" when never */
	time_t		 last_fetch;	/* 0: never */
	time_t		 since;
	int		 max_age;
};

/* fn gets each drifting device; non-zero stops the scan (returns -1). */
/* 0: go on; > 0: that is enough (the scan ends there); < 0: an error. */
typedef int	(*drift_fn)(void *arg, const struct drift_row *);
/*
 * Scan the active devices of st in id order (which the scan borrows: a
 * resource of its own renders on it), each rendered as its next fetch
 * would be, until fn has enough: a page of drifting devices costs the
 * devices read to fill it, not the store.  With max_scan, at most that
 * many are read: *cut is then the id of the last one read (the next scan
 * goes on after it), else 0.  0, or -1 with the reason in err.
 */
int		 drift_scan(struct store *st, const struct drift_opts *,
		    drift_fn fn, void *arg, int64_t *cut, char *err,
		    size_t errlen);

/*
 * A checker of single devices (the device list's status, drift DEV): a
 * resource of its own on st, which it borrows until drift_close().
 * drift_device() calls fn when d drifts (a device that is not active
 * never does): 0, > 0 when fn said so, -1 with the reason in err.
 */
struct drift	*drift_open(struct store *st, const struct drift_opts *,
		    char *err, size_t errlen);
int		 drift_device(struct drift *, const struct store_device *d,
		    drift_fn fn, void *arg, char *err, size_t errlen);
void		 drift_close(struct drift *);
/* The reasons in why, "changed,unseen" say ("" for none). */
void		 drift_why(unsigned why, char *out, size_t len);

#endif
