/*
 * notifier: RFC 5989 http-monitor subscriptions on sofia-sip's
 * transaction layer (see notifier.h, and notifier_int.h for the files).
 * This file is the thread: the SIP agent and its listeners, the timer,
 * store watching and the paced drain.  Everything runs on the notifier
 * thread except notifier_prepare/start/stop, which run on the main
 * thread and talk to it only through su_msg (BRIEF.md §4, NOTES-apis.md
 * §5.4).
 *
 * A store change marks devices to check (the change log's typed records,
 * store.h, with the rules of touch.h shared with the answer cache);
 * checking re-renders through the resource module (the one answer the
 * HTTPS side gives too) and queues a NOTIFY for each subscription whose
 * ETag, status or max-age differ from what it was last told.  The queue
 * drains at notify_rate per second, and a subscription notified less
 * than a second ago waits for the rest of its second (RFC 5989 §4.10),
 * so changes in between coalesce.
 */
#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "notifier_int.h"

#include <sofia-sip/su_tag.h>
#include <sofia-sip/su_tagarg.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/tport_tag.h>
#include <sofia-sip/url.h>

#include "feed.h"
#include "log.h"
#include "metrics.h"
#include "notifier.h"
#include "resource.h"
#include "store.h"
#include "sublimit.h"
#include "tlspolicy.h"
#include "touch.h"
#include "util.h"

#define TICK_MS		10	/* queue pacing */
#define WATCH_MS	20	/* store polling (PRAGMA data_version) */
#define FLUSH_MS	500	/* `sipcfg subs` rows */
#define EXPIRY_MS	1000	/* expired subscriptions looked for */
#define YIELD_EVERY	8	/* devices checked between socket reads */
#define CHECK_AHEAD	1024	/* devices the checker may render ahead */
#define CHANGE_BATCH	512
#define TRIM_EVERY	10	/* seconds between malloc_trim() calls */
#define PRUNE_EVERY	3600	/* seconds between change log prunes */
#define PRUNE_AGE	86400	/* change rows kept this long */
#define STOP_WAIT_MS	3000	/* for answers to the final NOTIFYs */
/* TCP and TLS listen(2) backlog: phones reconnecting after an outage
 * come at once (sofia's default of 64 drops their SYNs). */
#define LISTEN_QUEUE	1024

static char	 tlsdir[64];	/* agent.pem, cafile.pem, openssl.cnf */

/* sofia-sip 1.12.11 exports its module logs without declaring them. */
extern su_log_t	 tport_log[], nta_log[];

/* sofia's log lines, into ours (errors only unless `debug on`). */
static void
sofia_log(void *stream, char const *fmt, va_list ap)
{
	char	 line[512];
	size_t	 n;

	(void)stream;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == ' '))
		line[--n] = '\0';
	if (n > 0)
		log_debug("sip: %s", line);
}

uint64_t
notifier_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------- set-up */

static int
write_file(const char *path, const char *a, size_t alen, const char *b,
    size_t blen)
{
	FILE	*f;
	int	 rc = 0;

	if ((f = fopen(path, "w")) == NULL) {
		log_warn("%s", path);
		return -1;
	}
	if (fwrite(a, 1, alen, f) != alen || (b && fwrite(b, 1, blen, f) !=
	    blen))
		rc = -1;
	if (fclose(f) != 0 || rc != 0) {
		log_warn("%s", path);
		return -1;
	}
	return 0;
}

/*
 * NOTES-apis.md §5.3: sofia reads agent.pem (key and chain in one file)
 * and cafile.pem from a directory, and obeys OpenSSL's MinProtocol.  The
 * directory is private (0700) and removed once the stack has read it.
 */
int
notifier_prepare(const struct config *c)
{
	static const char cnf[] =
	    "# Written by sipcfgd for its SIP TLS listener (sofia-sip).\n"
	    "openssl_conf = sipcfgd_init\n"
	    "[sipcfgd_init]\n"
	    "ssl_conf = sipcfgd_ssl\n"
	    "[sipcfgd_ssl]\n"
	    "system_default = sipcfgd_tls\n"
	    "[sipcfgd_tls]\n"
	    "MinProtocol = TLSv1.2\n"
	    "CipherString = " TLSPOLICY_CIPHERS "\n"
	    "Groups = " TLSPOLICY_GROUPS "\n"
	    "Options = ServerPreference\n";
	char	 path[128], *key = NULL, *crt = NULL;
	size_t	 klen = 0, clen = 0;
	int	 rc = -1;

	if (c->sips.url[0] == '\0')
		return 0;
	snprintf(tlsdir, sizeof(tlsdir), "%s/sipcfgd-tls.XXXXXX",
	    getenv("TMPDIR") && strlen(getenv("TMPDIR")) < 40 ?
	    getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tlsdir) == NULL) {
		log_warn("mkdtemp %s", tlsdir);
		tlsdir[0] = '\0';
		return -1;
	}
	if ((key = util_slurp(c->key, 1 << 20, &klen)) == NULL ||
	    (crt = util_slurp(c->cert, 1 << 20, &clen)) == NULL) {
		log_warnx("sips: cannot read %s and %s", c->key, c->cert);
		goto done;
	}
	snprintf(path, sizeof(path), "%s/agent.pem", tlsdir);
	if (write_file(path, key, klen, crt, clen) != 0)
		goto done;
	snprintf(path, sizeof(path), "%s/cafile.pem", tlsdir);
	if (write_file(path, crt, clen, NULL, 0) != 0)
		goto done;
	snprintf(path, sizeof(path), "%s/openssl.cnf", tlsdir);
	if (write_file(path, cnf, sizeof(cnf) - 1, NULL, 0) != 0)
		goto done;
	setenv("OPENSSL_CONF", path, 1);
	rc = 0;
done:
	if (key)
		util_wipe(key, klen);
	free(key);
	free(crt);
	return rc;
}

static void
tlsdir_remove(void)
{
	static const char *const names[] = { "agent.pem", "cafile.pem",
	    "openssl.cnf", "tls_seed.dat" };
	char	 path[128];
	size_t	 i;

	if (tlsdir[0] == '\0')
		return;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tlsdir, names[i]);
		unlink(path);
	}
	rmdir(tlsdir);
	tlsdir[0] = '\0';
}

void
notifier_unprepare(void)
{
	tlsdir_remove();
}

/* --------------------------------------------------- store watching */

/*
 * Which subscribed devices one change touches: the rules of touch.h,
 * shared with the answer cache; what is the notifier's own is check-sync.
 */
static void
apply_change(struct notifier *n, const struct store_change *c)
{
	struct mdev		*d;
	struct store_device	 sd;
	struct touch_dev	 td;
	enum touch_reach	 reach = touch_reach(c);

	switch (c->kind) {
	case CHG_UNKNOWN:
		log_warnx("notifier: change %lld: unknown kind \"%s\": "
		    "every subscribed device is checked", (long long)c->seq,
		    c->hint);
		break;
	case CHG_DEVICE:
	case CHG_PROFILE:
	case CHG_CHECKSYNC:
		/* A device's check-sync mode may have changed too. */
		n->cs_reload = 1;
		break;
	case CHG_CHECKSYNC_NOW:
	case CHG_CHECKSYNC_REBOOT:
		if ((d = dev_find(n, c->id)) == NULL) {
			if (store_device_by_id(n->st, c->id, &sd) != STORE_OK ||
			    (d = dev_get(n, &sd)) == NULL)
				return;
		}
		d->cs_force = c->kind == CHG_CHECKSYNC_REBOOT ? 2 : 1;
		dev_enqueue(n, d, 0);
		return;
	case CHG_NOTIFY:
		/* An operator's request: sent even if nothing changed. */
		if ((d = dev_find(n, c->id)) != NULL)
			dev_enqueue(n, d, 1);
		return;
	case CHG_NOTIFY_ALL:
		for (d = n->devs; d; d = d->next)
			dev_enqueue(n, d, 1);
		return;
	default:
		break;
	}
	if (reach == TOUCH_NONE)
		return;
	if (reach == TOUCH_ONE) {
		if ((d = dev_find(n, c->id)) != NULL)
			dev_enqueue(n, d, 0);
		return;
	}
	for (d = n->devs; d; d = d->next) {
		if (reach == TOUCH_SOME) {
			td.id = d->id;
			td.user_id = d->user_id;
			td.profile_id = d->profile_id;
			td.domain_id = d->domain_id;
			td.sfua = d->sfua;
			td.vendor = d->vendor;
			td.model = d->model;
			td.user = d->user;
			td.profile = d->profile;
			if (!touch_match(c, &td))
				continue;
		}
		dev_enqueue(n, d, 0);
	}
}

/*
 * BRIEF.md §4: PRAGMA data_version moves on any commit by another
 * connection (cheap to ask); only then is the change log read.  On
 * PostgreSQL, the feed's generation moves when the database pushed a
 * commit (feed.h, issue 13): nothing is asked of the database before.
 * A change log that could not be read is read again on the next move
 * (the feed's, at the latest when the database is back).
 */
static void
watch_store(struct notifier *n)
{
	struct store_change	 ch[CHANGE_BATCH];
	size_t			 i, got;
	int64_t			 v;
	uint64_t		 g;

	if (n->feed != NULL) {
		if ((g = feed_generation(n->feed)) == n->fgen)
			return;
		n->fgen = g;
	} else {
		if ((v = store_data_version(n->st)) < 0 || v == n->dv)
			return;
		n->dv = v;
	}
	do {
		if (store_changes_since(n->st, n->seq, ch, CHANGE_BATCH,
		    &got) != STORE_OK) {
			/* Said once; tried again each tick till it reads. */
			if (!n->watch_failing)
				log_warnx("notifier: change log: %s",
				    store_errmsg(n->st));
			n->watch_failing = 1;
			n->dv = -1;
			n->fgen--;
			return;
		}
		if (n->watch_failing)
			log_info("notifier: the change log is read again "
			    "from seq %lld", (long long)n->seq);
		n->watch_failing = 0;
		for (i = 0; i < got; i++) {
			apply_change(n, &ch[i]);
			n->seq = ch[i].seq;
		}
	} while (got == CHANGE_BATCH);
	if (n->cs_reload)
		cs_reload(n);
}

/* Check queued devices and send what differs, paced (RFC 5989 §4.10). */
static void
drain(struct notifier *n, uint64_t now)
{
	struct mdev	*d;
	struct nsub	*s;
	uint64_t	 start = notifier_now_ms();
	int		 i, got;
	static struct devstate ds;	/* notifier thread only */
	double		 cap = (double)n->cfg->notify_rate / 10.0 + 1.0;

	n->tokens += (double)(now - n->last_tick) * n->cfg->notify_rate /
	    1000.0;
	if (n->tokens > cap)
		n->tokens = cap;
	n->last_tick = now;
	/* Deferred devices whose second is over go back in the queue. */
	if (n->deferred) {
		n->deferred = 0;
		for (d = n->devs; d; d = d->next) {
			if (d->due_ms == 0 || d->queued)
				continue;
			if (now >= d->due_ms)
				dev_enqueue(n, d, 0);
			else
				n->deferred = 1;
		}
	}
	ncheck_submit(n, CHECK_AHEAD);
	/* A bounded slice of work per tick keeps the SIP side responsive. */
	while (n->qhead && n->tokens >= 1.0 && notifier_now_ms() - start < 8) {
		/*
		 * Let what is waiting on the sockets in first: the answers
		 * to the NOTIFYs just sent (not read for a whole slice, they
		 * overflowed the socket buffer and came again as
		 * retransmissions) and subscribers' own requests, every
		 * YIELD_EVERY devices (a poll is a system call).  I/O only,
		 * no timers, and no device held across it: a request may
		 * end a subscription and drop its device.
		 */
		if ((++n->drained & (YIELD_EVERY - 1)) == 0)
			for (i = 0; i < 64 && su_root_yield(n->root) > 0; i++)
				;
		if ((d = n->qhead) == NULL || n->stopping)
			break;
		/* Its answer from the checker, or here when it has none. */
		if ((got = ncheck_take(n, d, &ds)) == 0)
			break;	/* under way: the next tick */
		n->qhead = d->qnext;
		if (n->qhead == NULL)
			n->qtail = NULL;
		d->queued = 0;
		d->due_ms = 0;
		/* More for the checker, now that d is out of the queue. */
		if ((n->drained & (YIELD_EVERY - 1)) == 0)
			ncheck_submit(n, CHECK_AHEAD);
		n->checked[got == 1]++;
		if ((got == 1 ? dev_apply(n, d, &ds) : dev_refresh(n, d)) != 0) {
			/* Store trouble: look again shortly. */
			d->due_ms = now + 500;
			n->deferred = 1;
			continue;
		}
		for (s = d->subs; s; s = s->dnext) {
			/*
			 * Switched to polling mode (RFC 6011 §2.5): end the
			 * subscription so the device revalidates, finds no
			 * Link and polls (§2.5.1.2: "rejected" asks it not
			 * to subscribe again).
			 */
			if (!s->ending && d->status == 200 && d->had_link &&
			    !d->has_link) {
				nsub_notify(n, s, "terminated;reason=rejected");
				n->tokens -= 1.0;
				continue;
			}
			if (s->ending || !(d->forced || s->pending ||
			    nsub_differs(s)))
				continue;
			if (now < s->last_ms + MIN_GAP_MS) {
				/* Coalesce: send once its second is over. */
				s->pending = 1;
				if (d->due_ms == 0 ||
				    d->due_ms > s->last_ms + MIN_GAP_MS)
					d->due_ms = s->last_ms + MIN_GAP_MS;
				n->deferred = 1;
				continue;
			}
			if (!nsub_differs(s) && !d->forced && !s->forced) {
				s->pending = 0;	/* changed back meanwhile */
				continue;
			}
			nsub_notify(n, s, NULL);
			n->tokens -= 1.0;
		}
		/* A forced NOTIFY that must wait keeps its force. */
		for (s = d->subs; s; s = s->dnext)
			if (s->pending && d->forced)
				s->forced = 1;
		d->forced = 0;
		if (cs_check(n, d, now))
			n->tokens -= 1.0;
		if (d->subs == NULL && !d->checksync && !d->due_ms)
			dev_drop(n, d);
	}
}

/*
 * The transaction layer's NOTIFY retransmissions (RFC 3261 §17.1.2.2,
 * Timer E over UDP) for sipcfg_notify_retransmissions_total: the
 * agent's running total, the only requests it sends being NOTIFYs.
 */
static void
notify_retransmissions(struct notifier *n)
{
	usize_t	 retry = 0;

	if (nta_agent_get_stats(n->agent, NTATAG_S_RETRY_REQUEST_REF(retry),
	    TAG_END()) > 0)
		metrics_notify_retransmissions(retry);
}

static void
tick(struct notifier *n, su_timer_t *t, struct notifier *arg)
{
	uint64_t	 now = notifier_now_ms();
	time_t		 wall = time(NULL);

	(void)t;
	(void)arg;
	if (n->stopping) {
		/* The final NOTIFYs' answers are in, or no longer waited for. */
		if (!n->stop_broken && (n->nsubs == 0 ||
		    now >= n->stop_deadline)) {
			if (n->nsubs)
				log_warnx("notifier: %zu subscribers did not "
				    "answer; not waiting for them", n->nsubs);
			n->stop_broken = 1;
			su_root_break(n->root);
		}
		return;
	}
	if (now >= n->next_watch) {
		n->next_watch = now + WATCH_MS;
		watch_store(n);
	}
	drain(n, now);
	ncheck_reap(n);
	cs_retry(n, now);
	if (now >= n->next_expiry) {
		n->next_expiry = now + EXPIRY_MS;
		nsub_expire(n, now);
		notify_retransmissions(n);
	}
	resource_end(n->res);	/* the reads above, before any write */
	if (now >= n->next_flush) {
		n->next_flush = now + FLUSH_MS;
		nsub_flush_rows(n);
	}
	if (wall >= n->next_trim) {
		/*
		 * nta keeps finished transactions for 32 s (RFC 3261 Timer
		 * J), so a burst of subscriptions, or a flood of requests,
		 * leaves freed memory behind; give it back to the system
		 * rather than hold the peak for ever.
		 */
		n->next_trim = wall + TRIM_EVERY;
		malloc_trim(0);
	}
	if (wall >= n->next_prune) {
		n->next_prune = wall + PRUNE_EVERY;
		if (store_changes_prune(n->st, wall - PRUNE_AGE) != STORE_OK)
			log_debug("notifier: prune: %s", store_errmsg(n->st));
	}
}

/* The default leg: every request that is no retransmission. */
static int
leg_cb(struct notifier *n, nta_leg_t *leg, nta_incoming_t *irq,
    const sip_t *sip)
{
	int	 st = nsub_request(n, leg, irq, sip);

	resource_end(n->res);
	return st;
}
/* ------------------------------------------------------ the thread */

static void
stop_msg(struct notifier *n, su_msg_r msg, struct notifier **arg)
{
	struct nsub	*s;
	char		 ss[96];
	unsigned	 base = n->cfg->shutdown_retry_after, r;

	(void)msg;
	(void)arg;
	n->stopping = 1;
	log_info("notifier: terminating %zu subscriptions", n->nsubs);
	/*
	 * RFC 6665 §4.2.2: terminated with a retry-after, spread over
	 * [base, 2 * base] so the devices come back without a storm.
	 */
	for (s = n->subs; s; s = s->next) {
		if (util_random(&r, sizeof(r)) != 0)
			r = (unsigned)s->local_id * 2654435761u;
		snprintf(ss, sizeof(ss), "terminated;reason=probation;"
		    "retry-after=%u", base + r % (base + 1));
		/* What the store watch keeps current: no rendering here,
		 * which for every device would delay the exit by minutes. */
		if (s->dev->status == 0 && dev_refresh(n, s->dev) != 0)
			s->dev->status = 503;
		if (s->dev->status == 404 || s->dev->status == 403)
			nsub_notify(n, s, NULL);
		else
			nsub_notify(n, s, ss);
	}
	resource_end(n->res);
	/* From now: sending them all may itself take seconds. */
	n->stop_deadline = notifier_now_ms() + STOP_WAIT_MS;
}

static void *
run(void *arg)
{
	struct notifier		*n = arg;
	struct resource_opts	 ro;
	char			 err[512];
	sigset_t		 set;

	sigfillset(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (su_init() != 0) {
		log_warnx("notifier: su_init failed");
		goto fail;
	}
	su_log_redirect(NULL, sofia_log, NULL);
	su_log_redirect(tport_log, sofia_log, NULL);
	su_log_redirect(nta_log, sofia_log, NULL);
	su_log_set_level(NULL, n->cfg->debug ? 3 : 0);
	su_log_set_level(tport_log, n->cfg->debug ? 3 : 0);
	su_log_set_level(nta_log, n->cfg->debug ? 3 : 0);
	if ((n->persrc = sublimit_new(n->cfg->sub_per_source)) == NULL ||
	    (n->pool = npool_new()) == NULL || nsub_init(n) != 0) {
		log_warnx("notifier: out of memory");
		goto fail;
	}
	if ((n->st = store_open(n->cfg->store, STORE_RDWR, 200, err,
	    sizeof(err))) == NULL) {
		log_warnx("notifier: store: %s", err);
		goto fail;
	}
	resource_opts_init(&ro, n->cfg);
	ro.cache_bytes = (size_t)4 << 20;
	/*
	 * As the HTTP workers render (issue 11): jansson from this thread's
	 * arena, and a check's reads in one read transaction, ended at the
	 * end of each tick and each request (before anything is written).
	 */
	ro.arena = 1;
	ro.read_txn = 1;
	if ((n->res = resource_new(n->st, &ro)) == NULL)
		goto fail;
	if ((n->checker = ncheck_start(n->cfg, &ro)) == NULL)
		log_warnx("notifier: no checker thread: devices are checked "
		    "on the notifier's own");
	if ((n->seq = store_changes_head(n->st)) < 0 ||
	    store_subs_clear(n->st, n->instance) != 0) {
		log_warnx("notifier: store: %s", store_errmsg(n->st));
		goto fail;
	}
	n->dv = store_data_version(n->st);
	if ((n->root = su_root_create(n)) == NULL) {
		log_warnx("notifier: su_root_create failed");
		goto fail;
	}
	/*
	 * RFC 3261 §8.2.6.2 and §12.1.1 as a UAS (NTATAG_UA), RFC 3581
	 * rport on what we send.  Bursts of re-subscriptions after an
	 * outage (RFC 6011 §2.7) need a deep UDP queue; the kernel caps
	 * TPTAG_UDP_RMEM at net.core.rmem_max.
	 */
	n->agent = nta_agent_create(n->root, (url_string_t *)-1 /* none yet */,
	    NULL, NULL,
	    NTATAG_UA(1), NTATAG_MERGE_482(1), NTATAG_CLIENT_RPORT(1),
	    NTATAG_SERVER_RPORT(1), TPTAG_UDP_RMEM(4 * 1024 * 1024),
	    TAG_END());
	if (n->agent == NULL) {
		log_warnx("notifier: cannot create the SIP agent");
		goto fail;
	}
	if ((n->cfg->sip.url[0] && nta_agent_add_tport(n->agent,
	    URL_STRING_MAKE(n->cfg->sip.url), TPTAG_IDENT("sip"),
	    TPTAG_UDP_RMEM(4 * 1024 * 1024), TPTAG_QUEUESIZE(LISTEN_QUEUE),
	    TAG_END()) < 0) ||
	    (n->cfg->sips.url[0] && nta_agent_add_tport(n->agent,
	    URL_STRING_MAKE(n->cfg->sips.url), TPTAG_IDENT("sips"),
	    TPTAG_CERTIFICATE(tlsdir), TPTAG_QUEUESIZE(LISTEN_QUEUE),
	    TAG_END()) < 0)) {
		tlsdir_remove();
		log_warnx("notifier: cannot listen on %s%s%s (address in use, "
		    "or a bad certificate?)", n->cfg->sip.url,
		    n->cfg->sip.url[0] && n->cfg->sips.url[0] ? " and " : "",
		    n->cfg->sips.url);
		goto fail;
	}
	tlsdir_remove();
	/* tlspolicy.h: sofia's cipher list was ours, or no TLS at all. */
	if (n->cfg->sips.url[0] && tlspolicy_replaced() == 0) {
		log_warnx("notifier: the SIP TLS cipher policy could not be "
		    "applied; not listening on %s", n->cfg->sips.url);
		goto fail;
	}
	n->leg = nta_leg_tcreate(n->agent, leg_cb, n, NTATAG_NO_DIALOG(1),
	    TAG_END());
	if (n->leg == NULL) {
		log_warnx("notifier: cannot create the SIP leg");
		goto fail;
	}
	n->tick = su_timer_create(su_root_task(n->root), TICK_MS);
	if (n->tick == NULL || su_timer_run(n->tick, tick, n) != 0) {
		log_warnx("notifier: cannot set its timer");
		goto fail;
	}
	n->last_tick = notifier_now_ms();
	n->next_prune = time(NULL) + 60;
	cs_reload(n);
	resource_end(n->res);
	pthread_mutex_lock(&n->mu);
	n->state = 1;
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);

	su_root_run(n->root);

	su_timer_destroy(n->tick);
	log_info("notifier: %llu device checks by the checker, %llu on the "
	    "notifier thread (%llu had none, %llu stale)",
	    (unsigned long long)n->checked[1],
	    (unsigned long long)n->checked[0],
	    (unsigned long long)n->take_none,
	    (unsigned long long)n->take_stale);
	ncheck_stop(n);
	n->ngone = 0;
	store_subs_clear(n->st, n->instance);
	nsub_fini(n);
	cs_fini(n);
	resource_free(n->res);
	sublimit_free(n->persrc);
	nta_leg_destroy(n->leg);
	nta_agent_destroy(n->agent);
	su_root_destroy(n->root);
	su_deinit();
	npool_free_all(n->pool);
	return NULL;
fail:
	tlsdir_remove();
	if (n->tick)
		su_timer_destroy(n->tick);
	if (n->leg)
		nta_leg_destroy(n->leg);
	if (n->agent)
		nta_agent_destroy(n->agent);
	if (n->root)
		su_root_destroy(n->root);
	ncheck_stop(n);
	nsub_fini(n);
	npool_free_all(n->pool);
	n->pool = NULL;
	sublimit_free(n->persrc);
	n->persrc = NULL;
	if (n->res)
		resource_free(n->res);
	else
		store_close(n->st);
	pthread_mutex_lock(&n->mu);
	n->state = -1;
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
	return NULL;
}

struct notifier *
notifier_start(const struct config *cfg, struct digest_ctx *dg,
    struct guard *g, const char *cloc, const struct feed *feed)
{
	struct notifier	*n;
	char		 host[128];

	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	n->cfg = cfg;
	n->dg = dg;
	n->guard = g;
	n->feed = feed;
	snprintf(n->cloc, sizeof(n->cloc), "%s", cloc);
	config_monitor_target(cfg, 0, n->target_sip, sizeof(n->target_sip));
	config_monitor_target(cfg, 1, n->target_sips, sizeof(n->target_sips));
	if (gethostname(host, sizeof(host) - 1) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(n->instance, sizeof(n->instance), "%s:%u", host,
	    cfg->sips.url[0] ? cfg->sips.port : cfg->sip.port);
	pthread_mutex_init(&n->mu, NULL);
	pthread_cond_init(&n->cv, NULL);
	if (pthread_create(&n->thr, NULL, run, n) != 0) {
		free(n);
		return NULL;
	}
	pthread_mutex_lock(&n->mu);
	while (n->state == 0)
		pthread_cond_wait(&n->cv, &n->mu);
	pthread_mutex_unlock(&n->mu);
	if (n->state < 0) {
		pthread_join(n->thr, NULL);
		free(n);
		return NULL;
	}
	return n;
}

void
notifier_stop(struct notifier *n)
{
	su_msg_r	 m = SU_MSG_R_INIT;

	if (n == NULL)
		return;
	/* NOTES-apis.md §5.4: from another thread, with su_task_null. */
	if (su_msg_create(m, su_root_task(n->root), su_task_null, stop_msg,
	    sizeof(struct notifier *)) == 0)
		su_msg_send(m);
	else
		log_warnx("notifier: cannot post the stop message");
	pthread_join(n->thr, NULL);
	pthread_mutex_destroy(&n->mu);
	pthread_cond_destroy(&n->cv);
	free(n);
}
