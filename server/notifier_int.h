/*
 * notifier_int.h: what the notifier's files share (notifier.h is the
 * public side).  Everything here is owned by the notifier thread.
 *
 *   notifier.c   the thread, the SIP agent, timers, store watching and
 *                the paced drain of NOTIFYs (RFC 5989 §4.10)
 *   ndev.c       the table of watched devices and their HEAD answers
 *   nsub.c       subscriptions: the dialogs, NOTIFY, expiry
 *   nsubscribe.c the requests received: SUBSCRIBE and the rest
 *   checksync.c  the legacy check-sync push (BRIEF.md §3)
 *
 * The stack is sofia-sip's transaction layer (nta) alone, not nua: a
 * subscription's dialog is a few strings of our own (RFC 6665 §4.1 and
 * §4.2 need no more: Call-ID, the two tags and URIs, the route set, the
 * remote target, CSeq, the flow), held in a struct nsub of a few hundred
 * bytes.  nua kept a handle, a dialog, a usage and the last NOTIFY for
 * each, about 40 KB (issue 12's measurement), and 15 KB for every
 * request it left unanswered.  A transaction that creates no
 * subscription leaves nothing once nta's own timers (RFC 3261 §17.2.2
 * Timer J) have run.
 */
#ifndef SIPCFG_NOTIFIER_INT_H
#define SIPCFG_NOTIFIER_INT_H

#include <stdint.h>
#include <pthread.h>
#include <time.h>

#define SU_ROOT_MAGIC_T		struct notifier
#define SU_TIMER_ARG_T		struct notifier
#define SU_MSG_ARG_T		struct notifier *
#define NTA_AGENT_MAGIC_T	struct notifier
#define NTA_LEG_MAGIC_T		struct notifier
#define NTA_INCOMING_MAGIC_T	struct notifier
#define NTA_OUTGOING_MAGIC_T	void

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/tport.h>

#include "config.h"
#include "digest.h"
#include "guard.h"
#include "resource.h"
#include "store.h"
#include "sublimit.h"
#include "npool.h"

#define MIN_GAP_MS	1000	/* RFC 5989 §4.10: one NOTIFY per second */
#define DEV_BUCKETS	4096
/*
 * The methods the notifier answers itself (RFC 3261 §20.5); every other
 * known method gets 405 with this Allow, an unknown one 501.
 */
#define SIP_ALLOW	"SUBSCRIBE, OPTIONS"
#define SIP_SERVER	"sipcfgd/" PACKAGE_VERSION

struct nsub;
struct ncjob;

/* A device's HEAD answer as dev_check() found it (any thread). */
struct devstate {
	int			 rc;		/* 0, or -1: store trouble */
	int			 status;
	int			 has_sd;	/* sd read */
	struct store_device	 sd;
	char			 etag[RESOURCE_ETAG_MAX];
	time_t			 last_modified;
	int			 max_age;
	char			 ctype[128];
	size_t			 len;
	int			 has_link;
};

/* A watched device: its current HEAD answer and its match keys. */
struct mdev {
	struct mdev	*hnext;		/* id hash */
	struct mdev	*next, *prev;	/* all devices */
	struct mdev	*qnext;		/* check queue */
	struct nsub	*subs;
	int64_t		 id, user_id, profile_id, domain_id;
	char		*sfua, *vendor, *model, *user, *profile;
	char		*keys;		/* npool: the five above, keysize bytes */
	unsigned	 keysize;
	int		 queued, forced;
	struct ncjob	*job;		/* its check on the checker thread */
	int		 job_stale;	/* a change came after it began */
	uint64_t	 due_ms;	/* deferred check, 0 = none */
	/* Legacy check-sync push (BRIEF.md §3). */
	int		 checksync;	/* in check-sync mode */
	unsigned	 cs_gen;
	int		 cs_force;	/* 1: now, 2: now with reboot */
	char		 cs_etag[RESOURCE_ETAG_MAX];	/* last pushed for */
	uint64_t	 cs_last_ms;
	/* The answer a HEAD would get now. */
	int		 status;	/* 0: not known yet */
	char		 etag[RESOURCE_ETAG_MAX];
	time_t		 last_modified;
	int		 max_age;
	char		 ctype[128];
	size_t		 len;
	int		 has_link;	/* subscription mode (a monitor Link) */
	int		 had_link;
};

/*
 * One subscription: the dialog (RFC 3261 §12, RFC 6665 §4.1.2) and what
 * the subscriber was last told.  The strings live in one allocation
 * (str); the pointers below point into it.
 */
struct nsub {
	struct nsub	*hnext;		/* dialog hash (Call-ID, our tag) */
	struct nsub	*dnext;		/* the device's subscriptions */
	struct nsub	*next, *prev;	/* all subscriptions */
	struct nsub	*wnext, *wprev;	/* rows to write */
	struct notifier	*n;
	struct mdev	*dev;
	nta_outgoing_t	*orq;		/* the NOTIFY in flight */
	tport_t		*flow;		/* TCP/TLS: the SUBSCRIBE's connection */
	char		*str;		/* npool, strsize bytes */
	unsigned	 strsize;
	const char	*call_id, *ltag, *rtag;
	const char	*local;		/* our URI (the SUBSCRIBE's To) */
	const char	*remote;	/* theirs (its From) */
	const char	*target;	/* remote target (its Contact) */
	const char	*route;		/* route set, "" for none */
	const char	*dest;		/* UDP: sip:addr:port, "" otherwise */
	const char	*ruri;		/* the initial Request-URI */
	uint32_t	 lcseq;		/* our last NOTIFY's CSeq */
	uint32_t	 rcseq;		/* their last SUBSCRIBE's CSeq */
	int64_t		 local_id;
	uint64_t	 expires_ms;	/* monotonic */
	uint64_t	 last_ms;	/* last NOTIFY sent */
	unsigned	 hash;
	unsigned	 body:1;	/* body=true asked and allowed */
	unsigned	 wdirty:1;
	unsigned	 ending:1;	/* a terminating NOTIFY was sent */
	unsigned	 pending:1;	/* differs, waiting for its second */
	unsigned	 forced:1;	/* `sipcfg notify`, waiting likewise */
	unsigned	 tls:1, tcp:1;
	unsigned	 again:1;	/* state changed while orq in flight */
	/* What the subscriber was last told. */
	int		 sent_status;
	int		 sent_max_age;
	char		 sent_etag[RESOURCE_ETAG_MAX];
	char		 srckey[SUBLIMIT_KEY_MAX];	/* counted under */
	char		 source[48];	/* address:port, for `sipcfg subs` */
	time_t		 created, last_notify;
	unsigned	 notifies;
};

/* One out-of-dialog check-sync NOTIFY in flight (NOTES-apis.md §3). */
struct csjob {
	struct csjob	*next;
	struct notifier	*n;
	nta_outgoing_t	*orq;
	int64_t		 device_id;
	char		 sfua[STORE_SFUA_ID_MAX];
	char		 realm[128], user[128], ha1[40];
	int		 reboot;
	int		 tries;
	int		 authed;
	uint32_t	 cseq;
	uint64_t	 due_ms;	/* retry at, 0 = in flight */
	char		 to[256], ruri[256], proxy[256], event[64];
	char		 call_id[48], tag[24];
};

struct notifier {
	const struct config	*cfg;
	struct digest_ctx	*dg;
	struct guard		*guard;
	struct sublimit		*persrc;	/* subscriptions per source */
	char			 cloc[640];	/* Content-Location base */
	char			 target_sip[160], target_sips[160];
	char			 instance[160];
	pthread_t		 thr;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	int			 state;		/* 0 starting, 1 up, -1 failed */

	su_root_t		*root;
	nta_agent_t		*agent;
	nta_leg_t		*leg;		/* the default leg: every request */
	su_timer_t		*tick;
	struct resource		*res;
	struct store		*st;
	struct npool		*pool;		/* nsubs, mdevs, their strings */
	struct ncheck		*checker;	/* NULL: checks on this thread */
	struct ncjob		*orphans;	/* devices gone, checks not */
	size_t			 jobs_out;	/* checks handed out */
	uint64_t		 checked[2];	/* by the drain: here, checker */
	uint64_t		 take_none, take_stale;

	int64_t			 dv, seq;
	const struct feed	*feed;		/* NULL: poll data_version */
	uint64_t		 fgen;		/* its generation last read */
	int			 watch_failing;	/* the change log's read failed */
	uint64_t		 next_watch, next_flush, next_expiry;
	time_t			 next_prune, next_trim;
	double			 tokens;
	unsigned		 drained;	/* devices checked, all told */
	uint64_t		 last_tick;

	struct mdev		*dbucket[DEV_BUCKETS];
	struct mdev		*devs;
	size_t			 ndevs;
	struct nsub		*subs;
	size_t			 nsubs;
	struct nsub		**shash;	/* by dialog */
	size_t			 nshash;	/* buckets, a power of 2 */
	int64_t			 next_local_id;
	struct mdev		*qhead, *qtail;
	int			 deferred;	/* some device has due_ms */
	struct csjob		*jobs;
	int			 cs_reload;
	unsigned		 cs_gen;
	struct nsub		*wlist;
	int64_t			*gone;		/* rows to delete */
	size_t			 ngone, gonecap;

	int			 stopping;
	int			 stop_broken;	/* su_root_break() called */
	uint64_t		 stop_deadline;
};

uint64_t	 notifier_now_ms(void);

/* ndev.c */
struct mdev	*dev_find(struct notifier *, int64_t id);
struct mdev	*dev_get(struct notifier *, const struct store_device *);
void		 dev_drop(struct notifier *, struct mdev *);
void		 dev_enqueue(struct notifier *, struct mdev *, int forced);
int		 dev_refresh(struct notifier *, struct mdev *);
void		 dev_check(struct resource *, struct store *, int64_t id,
		    struct devstate *);
int		 dev_apply(struct notifier *, struct mdev *,
		    const struct devstate *);

/*
 * ncheck.c: a second thread with its own store connection renders the
 * queued devices ahead of the drain, on the other core; the drain then
 * only applies the answers and sends the NOTIFYs.
 */
struct ncheck	*ncheck_start(const struct config *,
		    const struct resource_opts *);
void		 ncheck_stop(struct notifier *);
/* Hand the first queued devices without a check to the checker. */
void		 ncheck_submit(struct notifier *, size_t ahead);
/*
 * For the device at the drain's head: 1 with *o filled when its check is
 * done and still good, 0 when it is under way (wait), -1 when it has
 * none or a stale one (check it here).  The job is freed either way but
 * 0.
 */
int		 ncheck_take(struct notifier *, struct mdev *, struct devstate *);
void		 ncheck_orphan(struct notifier *, struct mdev *);
void		 ncheck_reap(struct notifier *);
void		 dev_facts(const struct store_device *, struct cfg_request *);

/* nsub.c: the dialog's strings, in struct nsub's one block */
enum { S_CALLID, S_LTAG, S_RTAG, S_LOCAL, S_REMOTE, S_TARGET, S_ROUTE,
    S_DEST, S_RURI, S_COUNT };
int		 nsub_strings(struct nsub *, const char *v[S_COUNT]);
void		 nsub_current(const struct nsub *, const char *v[S_COUNT]);
struct nsub	*nsub_find(struct notifier *, const char *call_id,
		    const char *ltag);
void		 nsub_link(struct notifier *, struct nsub *);
void		 nsub_row_dirty(struct notifier *, struct nsub *);
/* Our Contact for it: RFC 5630, the transport it came on. */
void		 nsub_contact(struct notifier *, const struct nsub *, char *,
		    size_t);
int		 nsub_init(struct notifier *);
void		 nsub_fini(struct notifier *);
/* nsubscribe.c: the default leg's callback, every request received. */
int		 nsub_request(struct notifier *, nta_leg_t *, nta_incoming_t *,
		    const sip_t *);
/* ss: a terminating Subscription-State, or NULL for active. */
void		 nsub_notify(struct notifier *, struct nsub *, const char *ss);
int		 nsub_differs(const struct nsub *);
void		 nsub_free(struct notifier *, struct nsub *);
/* Subscriptions past their expiry get their last NOTIFY. */
void		 nsub_expire(struct notifier *, uint64_t now);
void		 nsub_flush_rows(struct notifier *);

/* checksync.c */
void		 cs_reload(struct notifier *);
int		 cs_check(struct notifier *, struct mdev *, uint64_t now);
void		 cs_retry(struct notifier *, uint64_t now);
void		 cs_fini(struct notifier *);

#endif
