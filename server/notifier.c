/*
 * notifier: RFC 5989 http-monitor subscriptions on sofia-sip nua (see
 * notifier.h).  Everything below runs on the notifier thread except
 * notifier_prepare/start/stop, which run on the main thread and talk to
 * it only through su_msg (BRIEF.md §4, NOTES-apis.md §5.4).
 *
 * State: one struct mdev per subscribed device (its current HEAD answer
 * and what the change log hints are matched against) and one struct sub
 * per subscription (what was last sent, when).  A store change marks
 * devices to check; checking re-renders through the resource module (the
 * one answer the HTTPS side gives too) and queues a NOTIFY for each
 * subscription whose ETag, status or max-age differ from what it was
 * last told.  The queue drains at notify_rate per second, and a
 * subscription notified less than a second ago waits for the rest of
 * its second (RFC 5989 §4.10), so changes in between coalesce.
 */
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SU_ROOT_MAGIC_T		struct notifier
#define SU_TIMER_ARG_T		struct notifier
#define SU_MSG_ARG_T		struct notifier *
#define NUA_MAGIC_T		struct notifier
#define NUA_HMAGIC_T		struct hmagic

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/su_tagarg.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/tport_tag.h>
#include <sofia-sip/url.h>

#include <jansson.h>

#include "buf.h"
#include "log.h"
#include "notifier.h"
#include "resource.h"
#include "sipcheck.h"
#include "store.h"
#include "sublimit.h"
#include "tlspolicy.h"
#include "touch.h"
#include "util.h"

#define TICK_MS		10	/* queue pacing */
#define WATCH_MS	20	/* store polling (PRAGMA data_version) */
#define FLUSH_MS	500	/* `sipcfg subs` rows */
#define MIN_GAP_MS	1000	/* RFC 5989 §4.10: one NOTIFY per second */
#define DEV_BUCKETS	4096
#define CHANGE_BATCH	512
#define TRIM_EVERY	10	/* seconds between malloc_trim() calls */
#define PRUNE_EVERY	3600	/* seconds between change log prunes */
#define PRUNE_AGE	86400	/* change rows kept this long */
#define STOP_WAIT_MS	3000	/* for answers to the final NOTIFYs */
#define SHUTDOWN_MS	1000	/* then for nua to close its transports */
/*
 * The methods the notifier answers itself (RFC 3261 §20.5).  This list
 * replaces sofia's default, so every other method is answered by the
 * stack at once: 405 with this Allow for a method it knows, 501 for one
 * it does not (RFC 3261 §21.5.2), never a 100 Trying without an end.
 */
#define SIP_ALLOW	"SUBSCRIBE, OPTIONS"

static char	 tlsdir[64];	/* agent.pem, cafile.pem, openssl.cnf */

/* sofia-sip 1.12.11 exports its module logs without declaring them. */
extern su_log_t	 tport_log[], nta_log[], nua_log[];

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

struct sub;

/* A subscribed device: its current HEAD answer and its match keys. */
struct mdev {
	struct mdev	*hnext;		/* id hash */
	struct mdev	*next, *prev;	/* all devices */
	struct mdev	*qnext;		/* check queue */
	struct sub	*subs;
	int64_t		 id, user_id, profile_id, domain_id;
	char		*sfua, *vendor, *model, *user, *profile;
	int		 queued, forced;
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

/* What a nua handle is bound to: a subscription or a check-sync job. */
enum hkind { H_SUB = 1, H_CHECKSYNC };
struct hmagic {
	enum hkind	 kind;
};

struct sub {
	struct hmagic	 hm;		/* first: handles are bound to it */
	struct sub	*dnext;		/* the device's subscriptions */
	struct sub	*next, *prev;	/* all subscriptions */
	struct sub	*wnext;		/* rows to write */
	struct mdev	*dev;
	nua_handle_t	*nh;
	int64_t		 local_id;
	int		 body;		/* body=true asked and allowed */
	int		 wdirty;
	int		 ending;	/* a terminating NOTIFY was sent */
	uint64_t	 last_ms;	/* last NOTIFY sent */
	/* What the subscriber was last told. */
	int		 sent_status;
	char		 sent_etag[RESOURCE_ETAG_MAX];
	int		 sent_max_age;
	char		 contact[200];	/* ours, matching the transport */
	int		 pending;	/* differs, waiting for its second */
	int		 forced;	/* `sipcfg notify`, waiting likewise */
	char		 srckey[SUBLIMIT_KEY_MAX];	/* counted under */
	struct store_sub row;
};

/* One out-of-dialog check-sync NOTIFY in flight (NOTES-apis.md §3). */
struct csjob {
	struct hmagic	 hm;
	struct csjob	*next;
	nua_handle_t	*nh;
	int64_t		 device_id;
	char		 sfua[STORE_SFUA_ID_MAX];
	char		 auth[400];	/* HA1+Digest credentials */
	int		 reboot;
	int		 tries;
	int		 authed;
	uint64_t	 due_ms;	/* retry at, 0 = in flight */
	char		 to[256], ruri[256], proxy[256], event[64];
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
	nua_t			*nua;
	su_timer_t		*tick;
	struct resource		*res;
	struct store		*st;

	int64_t			 dv, seq;
	uint64_t		 next_watch, next_flush;
	time_t			 next_prune, next_trim;
	double			 tokens;
	uint64_t		 last_tick;

	struct mdev		*dbucket[DEV_BUCKETS];
	struct mdev		*devs;
	size_t			 ndevs;
	struct sub		*subs;
	size_t			 nsubs;
	int64_t			 next_local_id;
	struct mdev		*qhead, *qtail;
	int			 deferred;	/* some device has due_ms */
	struct csjob		*jobs;
	int			 cs_reload;
	unsigned		 cs_gen;
	struct sub		*wlist;
	struct store_sub	*gone;
	size_t			 ngone, gonecap;

	int			 stopping;
	uint64_t		 stop_deadline;
	int			 shutdown_sent;
	int			 abandoned;	/* nua not shut down cleanly */
};

static uint64_t
now_ms(void)
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

/* ------------------------------------------------------ device table */


static struct mdev *
dev_find(struct notifier *n, int64_t id)
{
	struct mdev	*d;

	for (d = n->dbucket[(uint64_t)id % DEV_BUCKETS]; d; d = d->hnext)
		if (d->id == id)
			return d;
	return NULL;
}

/*
 * The device's keys from sd; -1 when out of memory, the old keys kept
 * (a request never ends the daemon).
 */
static int
dev_keys(struct mdev *d, const struct store_device *sd)
{
	char	*v[5];
	size_t	 i;

	v[0] = strdup(sd->sfua_id);
	v[1] = strdup(sd->vendor);
	v[2] = strdup(sd->model);
	v[3] = strdup(sd->user);
	v[4] = strdup(sd->profile);
	for (i = 0; i < 5; i++)
		if (v[i] == NULL) {
			for (i = 0; i < 5; i++)
				free(v[i]);
			log_warnx("device %s: out of memory", sd->sfua_id);
			return -1;
		}
	free(d->sfua);
	free(d->vendor);
	free(d->model);
	free(d->user);
	free(d->profile);
	d->sfua = v[0];
	d->vendor = v[1];
	d->model = v[2];
	d->user = v[3];
	d->profile = v[4];
	d->user_id = sd->user_id;
	d->profile_id = sd->profile_id;
	d->domain_id = sd->domain_id;
	return 0;
}

static struct mdev *
dev_get(struct notifier *n, const struct store_device *sd)
{
	struct mdev	*d;
	unsigned	 h = (unsigned)((uint64_t)sd->id % DEV_BUCKETS);

	if ((d = dev_find(n, sd->id)) != NULL)
		return d;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->id = sd->id;
	if (dev_keys(d, sd) != 0) {
		free(d);
		return NULL;
	}
	d->hnext = n->dbucket[h];
	n->dbucket[h] = d;
	d->next = n->devs;
	if (n->devs)
		n->devs->prev = d;
	n->devs = d;
	n->ndevs++;
	return d;
}

static void
dev_drop(struct notifier *n, struct mdev *d)
{
	struct mdev	**pp, *q, *prevq = NULL;

	for (pp = &n->dbucket[(uint64_t)d->id % DEV_BUCKETS]; *pp;
	    pp = &(*pp)->hnext)
		if (*pp == d) {
			*pp = d->hnext;
			break;
		}
	if (d->prev)
		d->prev->next = d->next;
	else
		n->devs = d->next;
	if (d->next)
		d->next->prev = d->prev;
	if (d->queued) {
		for (q = n->qhead; q && q != d; q = q->qnext)
			prevq = q;
		if (q) {
			if (prevq)
				prevq->qnext = d->qnext;
			else
				n->qhead = d->qnext;
			if (n->qtail == d)
				n->qtail = prevq;
		}
	}
	free(d->sfua);
	free(d->vendor);
	free(d->model);
	free(d->user);
	free(d->profile);
	free(d);
	n->ndevs--;
}

static void
enqueue(struct notifier *n, struct mdev *d, int forced)
{
	if (forced)
		d->forced = 1;
	if (d->queued)
		return;
	d->queued = 1;
	d->due_ms = 0;
	d->qnext = NULL;
	if (n->qtail)
		n->qtail->qnext = d;
	else
		n->qhead = d;
	n->qtail = d;
}

/*
 * The request facts of the device's own GET, from the store (the
 * notifier has no request): what its NOTIFY must agree with.
 */
static void
device_facts(const struct store_device *sd, struct cfg_request *q)
{
	memset(q, 0, sizeof(*q));
	snprintf(q->sfua_id, sizeof(q->sfua_id), "%s", sd->sfua_id);
	snprintf(q->mac, sizeof(q->mac), "%s", sd->mac);
	snprintf(q->vendor, sizeof(q->vendor), "%s", sd->vendor);
	snprintf(q->model, sizeof(q->model), "%s", sd->model);
}

/*
 * The HEAD answer for a device now, as the HTTPS front would give it to
 * the authenticated device (http.c handle()): 404 when it is gone, 403
 * when disabled or without a user, else the rendering's metadata.
 * Returns -1 (state kept) when the store cannot be read.
 */
static int
dev_refresh(struct notifier *n, struct mdev *d)
{
	struct store_device	 sd;
	struct cfg_request	 q;
	const struct rendered	*a;
	enum store_rc		 src;
	char			 reason[512];

	if (resource_begin(n->res) != 0)
		return -1;
	src = store_device_by_id(n->st, d->id, &sd);
	if (src == STORE_NOTFOUND) {
		d->status = 404;
		return 0;
	}
	if (src != STORE_OK)
		return -1;
	dev_keys(d, &sd);
	if (sd.state == DEVICE_DISABLED || sd.user_id == 0) {
		d->status = 403;
		return 0;
	}
	device_facts(&sd, &q);
	switch (resource_render(n->res, &sd, &q,
	    sd.state == DEVICE_ACTIVE, &a, reason, sizeof(reason))) {
	case RES_OK:
		break;
	case RES_NOTEMPLATE:
		d->status = 404;
		return 0;
	case RES_TEMPLATE_ERROR:
		log_warnx("notify %s: %s", sd.sfua_id, reason);
		d->status = 500;
		return 0;
	default:
		log_warnx("notify %s: store: %s", sd.sfua_id, reason);
		return -1;
	}
	d->status = 200;
	d->had_link = d->has_link;
	d->has_link = a->link[0][0] != '\0';
	snprintf(d->etag, sizeof(d->etag), "%s", a->etag);
	d->last_modified = a->last_modified;
	d->max_age = a->max_age;
	snprintf(d->ctype, sizeof(d->ctype), "%s", a->content_type);
	d->len = a->len;
	return 0;
}

/* ------------------------------------------------------- subscriptions */

static void
row_dirty(struct notifier *n, struct sub *s)
{
	if (s->wdirty)
		return;
	s->wdirty = 1;
	s->wnext = n->wlist;
	n->wlist = s;
}

static void
sub_free(struct notifier *n, struct sub *s)
{
	struct mdev	*d = s->dev;
	struct sub	**pp;

	if (n->ngone == n->gonecap) {
		size_t nc = n->gonecap ? n->gonecap * 2 : 64;
		struct store_sub *g = realloc(n->gone, nc * sizeof(*g));
		if (g != NULL) {
			n->gone = g;
			n->gonecap = nc;
		}
	}
	/* Out of memory: the row stays until the next start clears it. */
	if (n->ngone < n->gonecap) {
		memset(&n->gone[n->ngone], 0, sizeof(n->gone[0]));
		n->gone[n->ngone].local_id = s->local_id;
		n->gone[n->ngone].gone = 1;
		n->ngone++;
	} else
		log_warnx("subscription %lld: out of memory, not recorded as "
		    "ended", (long long)s->local_id);
	if (s->wdirty)
		for (pp = &n->wlist; *pp; pp = &(*pp)->wnext)
			if (*pp == s) {
				*pp = s->wnext;
				break;
			}
	for (pp = &d->subs; *pp; pp = &(*pp)->dnext)
		if (*pp == s) {
			*pp = s->dnext;
			break;
		}
	if (s->prev)
		s->prev->next = s->next;
	else
		n->subs = s->next;
	if (s->next)
		s->next->prev = s->prev;
	n->nsubs--;
	if (s->srckey[0])
		sublimit_release(n->persrc, s->srckey);
	if (s->nh) {
		nua_handle_bind(s->nh, NULL);
		nua_handle_destroy(s->nh);
	}
	log_debug("subscription %lld of %s ended", (long long)s->local_id,
	    d->sfua);
	free(s);
	if (d->subs == NULL && !d->checksync)
		dev_drop(n, d);
}

/* RFC 5989 §4.5.1: the status line and headers of a HEAD, as message/http. */
static char *
head_message(struct notifier *n, struct sub *s)
{
	struct mdev		*d = s->dev;
	struct buf		 b;
	char			 date[64], *out;
	size_t			 len;
	const struct rendered	*a = NULL;

	buf_init(&b, n->cfg->max_output + 4096);
	if (d->status != 200) {
		buf_printf(&b, "HTTP/1.1 %d %s\r\nContent-Location: %s?sfua-id=",
		    d->status, d->status == 404 ? "Not Found" : d->status ==
		    403 ? "Forbidden" : "Internal Server Error", n->cloc);
	} else
		buf_printf(&b, "HTTP/1.1 200 OK\r\nContent-Location: %s?sfua-id=",
		    n->cloc);
	util_urlencode(&b, d->sfua);	/* RFC 3986 query component */
	buf_printf(&b, "\r\n");
	if (d->status == 200) {
		util_httpdate(d->last_modified, date, sizeof(date));
		buf_printf(&b, "ETag: %s\r\nLast-Modified: %s\r\n"
		    "Cache-Control: private, max-age=%d\r\n"
		    "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n",
		    d->etag, date, d->max_age, d->ctype, d->len);
		/* RFC 5989 §4.5.1: a body only when asked and allowed. */
		if (s->body) {
			struct store_device	 sd;
			struct cfg_request	 q;
			char			 reason[256];

			if (store_device_by_id(n->st, d->id, &sd) == STORE_OK) {
				device_facts(&sd, &q);
				if (resource_render(n->res, &sd, &q,
				    sd.state == DEVICE_ACTIVE, &a, reason,
				    sizeof(reason)) == RES_OK &&
				    strcmp(a->etag, d->etag) == 0)
					buf_add(&b, a->body, a->len);
			}
		}
	} else
		buf_printf(&b, "\r\n");
	out = buf_steal(&b, &len);
	return out;
}

/*
 * Send the current state.  ss: a terminating Subscription-State, or NULL
 * for active (nua adds expires=, RFC 6665 §4.2.2), or an active one with
 * the expires= to restore (see on_subscribe()).
 */
static void
send_notify(struct notifier *n, struct sub *s, const char *ss)
{
	int	 ending;

	struct mdev	*d = s->dev;
	char		*body;

	if (s->ending || s->nh == NULL)
		return;
	if (ss == NULL && d->status == 404)
		ss = "terminated;reason=noresource";
	else if (ss == NULL && d->status == 403)
		ss = "terminated;reason=rejected";
	if ((body = head_message(n, s)) == NULL) {
		/* The next change or refresh notifies again. */
		log_warnx("%s: NOTIFY not sent: out of memory", d->sfua);
		return;
	}
	ending = ss && strncmp(ss, "terminated", 10) == 0;
	if (ss) {
		s->ending = ending;
		nua_notify(s->nh, SIPTAG_SUBSCRIPTION_STATE_STR(ss),
		    SIPTAG_CONTACT_STR(s->contact),
		    SIPTAG_CONTENT_TYPE_STR("message/http"),
		    SIPTAG_PAYLOAD_STR(body), TAG_END());
	} else
		nua_notify(s->nh, NUTAG_SUBSTATE(nua_substate_active),
		    SIPTAG_CONTACT_STR(s->contact),
		    SIPTAG_CONTENT_TYPE_STR("message/http"),
		    SIPTAG_PAYLOAD_STR(body), TAG_END());
	free(body);
	s->last_ms = now_ms();
	s->sent_status = d->status;
	snprintf(s->sent_etag, sizeof(s->sent_etag), "%s", d->etag);
	s->sent_max_age = d->max_age;
	s->pending = s->forced = 0;
	s->row.last_notify = time(NULL);
	snprintf(s->row.last_etag, sizeof(s->row.last_etag), "%s",
	    d->status == 200 ? d->etag : "");
	s->row.notifies++;
	row_dirty(n, s);
}

static int
differs(const struct sub *s)
{
	const struct mdev *d = s->dev;

	return s->sent_status != d->status || s->sent_max_age != d->max_age ||
	    strcmp(s->sent_etag, d->etag) != 0;
}

/* ------------------------------------------------------- the SIP side */

static void
respond(struct notifier *n, nua_handle_t *nh, int status, const char *phrase,
    tag_type_t tag, tag_value_t value, ...)
{
	ta_list	 ta;

	ta_start(ta, tag, value);
	nua_respond(nh, status, phrase, NUTAG_WITH_THIS(n->nua),
	    ta_tags(ta));
	ta_end(ta);
}

/*
 * Where the current request came from: its address alone (what the
 * guard and the per-source limit count under), the same with the port
 * (for the log and `sipcfg subs`), and the transport it came over.
 */
static void
source_of(struct notifier *n, const sip_t *sip, char *addr, size_t addrlen,
    char *out, size_t outlen, struct sipcheck_from *from)
{
	msg_t		*m = nua_current_request(n->nua);
	su_addrinfo_t	*ai = m ? msg_addrinfo(m) : NULL;
	char		 host[64], port[16];
	const char	*v = sip->sip_via ? sip->sip_via->v_protocol : NULL;

	snprintf(addr, addrlen, "?");
	snprintf(out, outlen, "?");
	memset(from, 0, sizeof(*from));
	from->tls = v && strcasecmp(v, "SIP/2.0/TLS") == 0;
	from->udp = !from->tls && (v == NULL || strcasecmp(v, "SIP/2.0/TCP"));
	if (ai == NULL || ai->ai_addr == NULL)
		return;
	/* The socket's own word over what the Via claims. */
	if (ai->ai_protocol == IPPROTO_UDP) {
		from->udp = 1;
		from->tls = 0;
	} else if (ai->ai_protocol == IPPROTO_TCP)
		from->udp = 0;
	from->addr = (const struct sockaddr *)ai->ai_addr;
	from->addrlen = (socklen_t)ai->ai_addrlen;
	if (getnameinfo(ai->ai_addr, (socklen_t)ai->ai_addrlen, host,
	    sizeof(host), port, sizeof(port), NI_NUMERICHOST |
	    NI_NUMERICSERV) != 0)
		return;
	snprintf(addr, addrlen, "%s", host);
	snprintf(out, outlen, strchr(host, ':') ? "[%s]:%s" : "%s:%s", host,
	    port);
}

/*
 * The user name a SUBSCRIBE's Digest credentials claim, for the failure
 * guard's per-user count ("" when none).  Not a proof of anything.
 */
static void
claimed_user(const sip_t *sip, char *out, size_t outlen)
{
	const sip_authorization_t	*au;
	const char			*v;
	size_t				 i, n;

	out[0] = '\0';
	for (au = sip->sip_authorization; au; au = au->au_next)
		for (i = 0; au->au_params && au->au_params[i]; i++) {
			if (strncasecmp(au->au_params[i], "username=", 9) != 0)
				continue;
			v = au->au_params[i] + 9;
			n = strlen(v);
			if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
				v++;
				n -= 2;
			}
			if (n >= outlen)
				n = outlen - 1;
			memcpy(out, v, n);
			out[n] = '\0';
			return;
		}
}

/*
 * RFC 6011 §2.5.1: Digest with the credentials the configuration data
 * gave the device, i.e. one of its lines (username, realm, HA1), checked
 * by our digest module (nc replay, stateless nonces).  Returns 1 when
 * authenticated; otherwise fills chal (and *stale) for a 401, or returns
 * -1 for "cannot authenticate at all" (403) or store trouble (-2, 503).
 */
static int
authenticate(struct notifier *n, const sip_t *sip, int64_t device_id,
    const char *source, char *chal, size_t chlen)
{
	static const char	 nomd5[] = "00000000000000000000000000000000";
	const sip_authorization_t *au;
	struct digest_creds	 cr;
	struct buf		 b;
	json_t			*lines = NULL, *l;
	const char		*realm = NULL, *ha1;
	char			*hv;
	size_t			 i, len;
	time_t			 upd = 0, now = time(NULL);
	enum digest_result	 dr = DIGEST_FAIL;
	int			 rc = 0, stale = 0, tried = 0;
	char			 user[129] = "";

	if (store_device_lines(n->st, device_id, &lines, &upd) != STORE_OK)
		return -2;
	if (json_array_size(lines) == 0) {
		json_decref(lines);
		return -1;
	}
	realm = json_string_value(json_object_get(json_array_get(lines, 0),
	    "realm"));
	for (au = sip->sip_authorization; au && !tried; au = au->au_next) {
		if (au->au_scheme == NULL ||
		    strcasecmp(au->au_scheme, "Digest") != 0)
			continue;
		buf_init(&b, DIGEST_HDR_MAX);
		buf_printf(&b, "Digest ");
		for (i = 0; au->au_params && au->au_params[i]; i++)
			buf_printf(&b, "%s%s", i ? ", " : "", au->au_params[i]);
		if ((hv = buf_steal(&b, &len)) == NULL)
			continue;
		if (digest_parse_buf(hv, len, &cr) != AUTH_DIGEST ||
		    cr.alg != DIGEST_MD5) {
			free(hv);
			digest_creds_wipe(&cr);
			continue;
		}
		free(hv);
		tried = 1;
		snprintf(user, sizeof(user), "%s", cr.username);
		ha1 = NULL;
		json_array_foreach(lines, i, l) {
			const char *u = json_string_value(json_object_get(l,
			    "username"));
			const char *r = json_string_value(json_object_get(l,
			    "realm"));
			if (u && r && strcmp(u, cr.username) == 0 &&
			    strcmp(r, cr.realm) == 0) {
				ha1 = json_string_value(json_object_get(l,
				    "digest"));
				break;
			}
		}
		/* The digest-uri is covered by the response; SIP phones
		 * write it in their own way, so it is taken as given. */
		dr = digest_verify(n->dg, &cr, "SUBSCRIBE", cr.uri, cr.realm,
		    ha1 ? ha1 : nomd5, 1, now);
		if (ha1 == NULL && dr == DIGEST_OK)
			dr = DIGEST_FAIL;
		digest_creds_wipe(&cr);
	}
	if (dr == DIGEST_OK) {
		guard_ok(n->guard, source, user);
		rc = 1;
	} else {
		if (tried && dr != DIGEST_STALE)
			guard_fail(n->guard, source, user, now);
		stale = dr == DIGEST_STALE || dr == DIGEST_REPLAY;
		if (digest_challenge(n->dg, DIGEST_MD5, realm ? realm : "sipcfg",
		    stale, now, chal, chlen) != 0)
			rc = -2;
	}
	json_decref(lines);
	return rc;
}

static const char *
transport_name(const struct sipcheck_from *from)
{
	return from->tls ? "tls" : from->udp ? "udp" : "tcp";
}

/*
 * The device's oldest subscriptions give way once it has more than
 * sub_per_device (the newest, just linked in, at the head): a device that re-subscribes after a restart replaces
 * the stale ones, and credentials used elsewhere cannot take every slot.
 * RFC 6665 §4.2.2: "rejected", so the replaced subscriber does not come
 * straight back (RFC 6011 §2.5.1.2: it polls instead).
 */
static void
dev_make_room(struct notifier *n, struct mdev *d)
{
	struct sub	*s, *oldest;
	unsigned	 live;

	for (;;) {
		live = 0;
		oldest = NULL;
		for (s = d->subs; s; s = s->dnext)
			if (!s->ending) {
				live++;
				oldest = s;	/* the list is newest first */
			}
		if (live <= n->cfg->sub_per_device || oldest == NULL)
			return;
		log_info("subscription %lld of %s: replaced by a newer one "
		    "(sub_per_device %u)", (long long)oldest->local_id,
		    d->sfua, n->cfg->sub_per_device);
		send_notify(n, oldest, "terminated;reason=rejected");
		if (!oldest->ending) {
			/* No NOTIFY could go: end it here. */
			sub_free(n, oldest);
		}
	}
}

static void
on_subscribe(struct notifier *n, nua_handle_t *nh, struct sub *s,
    const sip_t *sip, tagi_t tags[])
{
	su_home_t		 home[1] = { SU_HOME_INIT(home) };
	struct store_device	 sd;
	struct mdev		*d;
	struct sipcheck		 ck;
	struct sipcheck_from	 from;
	char			 chal[DIGEST_CHALLENGE_MAX], srckey[SUBLIMIT_KEY_MAX];
	char			 source[80], addr[64], num[24], *tmp, claimed[129];
	unsigned long		 asked, granted;
	int			 initial = s == NULL, rc, substate = -1;
	unsigned		 left;
	enum store_rc		 src;
	enum sublimit_rc	 lrc;

	tl_gets(tags, NUTAG_SUBSTATE_REF(substate), TAG_END());
	if (sip == NULL || sip->sip_request == NULL) {
		if (initial)
			nua_handle_destroy(nh);
		return;
	}
	source_of(n, sip, addr, sizeof(addr), source, sizeof(source), &from);
	guard_source(addr, srckey, sizeof(srckey));

	/* RFC 6665 §4.2.1.1 (489), RFC 5989 §6 (416), from sofia's parts. */
	sipcheck_head(sip, &from, &ck);
	if (ck.status == 489) {
		respond(n, nh, ck.status, ck.phrase,
		    SIPTAG_ALLOW_EVENTS_STR("http-monitor"), TAG_END());
		goto reject;
	}
	if (n->stopping) {
		respond(n, nh, 503, "Shutting Down",
		    SIPTAG_RETRY_AFTER_STR("30"), TAG_END());
		goto reject;
	}
	if (ck.status && initial) {
		respond(n, nh, ck.status, ck.phrase, TAG_END());
		goto reject;
	}
	ck.status = 0;	/* in a dialog the scheme was settled at its start */
	if (resource_begin(n->res) != 0) {
		respond(n, nh, 503, "Store Unavailable",
		    SIPTAG_RETRY_AFTER_STR("30"), TAG_END());
		goto reject;
	}
	/* The monitor URI's token names the device (RFC 5989 §3). */
	if (initial)
		src = ck.token[0] ? store_device_by_token(n->st, ck.token,
		    &sd) : STORE_NOTFOUND;
	else
		src = store_device_by_id(n->st, s->dev->id, &sd);
	if (src == STORE_NOTFOUND) {
		respond(n, nh, SIP_404_NOT_FOUND, TAG_END());
		goto reject;
	}
	if (src != STORE_OK) {
		respond(n, nh, 503, "Store Unavailable",
		    SIPTAG_RETRY_AFTER_STR("30"), TAG_END());
		goto reject;
	}
	/* RFC 5989 §4.5 (406), RFC 6665 §4.2.1.1 (423), where NOTIFYs go. */
	sipcheck_body(sip, &from, n->cfg->sub_min_expires,
	    n->cfg->sub_trust_contact, initial, &ck);
	if (ck.status == 406) {
		respond(n, nh, ck.status, ck.phrase,
		    SIPTAG_ACCEPT_STR("message/http"), TAG_END());
		goto reject;
	}
	if (ck.status == 423) {
		snprintf(num, sizeof(num), "%u", n->cfg->sub_min_expires);
		respond(n, nh, ck.status, ck.phrase,
		    SIPTAG_MIN_EXPIRES_STR(num), TAG_END());
		goto reject;
	}
	asked = ck.expires;
	/*
	 * An unsubscribe in the dialog is accepted as it is: sofia-sip
	 * 1.12.11 ends the subscription after any answer to it (it applies
	 * the Expires when it sends the NOTIFY that follows, even after a
	 * 401), so a challenge would only turn the device's authenticated
	 * retry into a 481.  Only those who know the dialog's Call-ID and
	 * tags can send one: on the path of plain UDP/TCP, nobody over TLS.
	 */
	if (!initial && ck.has_expires && asked == 0 && ck.status == 0)
		goto accept;
	if (ck.status) {
		if (ck.status == 403)
			log_info("SUBSCRIBE from %s refused: its Contact is "
			    "elsewhere (sub_trust_contact off)", source);
		respond(n, nh, ck.status, ck.phrase, TAG_END());
		/*
		 * sofia-sip has taken a refresh's Contact as the dialog's
		 * target before we see it (RFC 3261 §12.2.2, a target
		 * refresh): the subscription ends rather than notify there.
		 */
		if (!initial && ck.status == 403) {
			su_home_deinit(home);
			sub_free(n, s);
			return;
		}
		goto reject;
	}
	claimed_user(sip, claimed, sizeof(claimed));
	if ((left = guard_blocked(n->guard, addr, claimed, time(NULL))) > 0) {
		snprintf(num, sizeof(num), "%u", left);
		respond(n, nh, 503, "Too Many Failed Authentications",
		    SIPTAG_RETRY_AFTER_STR(num), TAG_END());
		goto reject;
	}
	/* RFC 6665 §4.2.1.3: a notifier challenges with 401, never 407. */
	rc = authenticate(n, sip, sd.id, addr, chal, sizeof(chal));
	if (rc == 0) {
		respond(n, nh, SIP_401_UNAUTHORIZED,
		    SIPTAG_WWW_AUTHENTICATE_STR(chal), TAG_END());
		goto reject;
	}
	if (rc == -1) {
		respond(n, nh, 403, "No SIP Credentials For This Device",
		    TAG_END());
		goto reject;
	}
	if (rc < 0) {
		respond(n, nh, 503, "Store Unavailable",
		    SIPTAG_RETRY_AFTER_STR("30"), TAG_END());
		goto reject;
	}
	if (initial && n->nsubs >= n->cfg->sub_max) {
		respond(n, nh, 503, "Too Many Subscriptions",
		    SIPTAG_RETRY_AFTER_STR("300"), TAG_END());
		goto reject;
	}

accept:
	/*
	 * Authenticated: RFC 6011 §2.5.1.1, never rejected from here on
	 * but for the limits of one source and for memory.
	 * RFC 6665 §4.2.1.1: the 200's Expires may shorten, never lengthen.
	 */
	granted = asked < n->cfg->sub_max_expires ? asked :
	    n->cfg->sub_max_expires;
	snprintf(num, sizeof(num), "%lu", granted);
	if (initial) {
		if ((lrc = sublimit_take(n->persrc, srckey)) == SUBLIMIT_FULL) {
			log_info("SUBSCRIBE from %s refused: %u subscriptions "
			    "from %s (sub_per_source)", source,
			    n->cfg->sub_per_source, srckey);
			respond(n, nh, 503, "Too Many Subscriptions From This "
			    "Source", SIPTAG_RETRY_AFTER_STR("300"), TAG_END());
			goto reject;
		}
		/* Out of memory: a 500 for this request, and nothing kept. */
		if (lrc != SUBLIMIT_OK || (s = calloc(1, sizeof(*s))) == NULL ||
		    (d = dev_get(n, &sd)) == NULL) {
			if (lrc == SUBLIMIT_OK)
				sublimit_release(n->persrc, srckey);
			free(s);
			log_warnx("%s: SUBSCRIBE refused: out of memory",
			    sd.sfua_id);
			respond(n, nh, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
			goto reject;
		}
		s->hm.kind = H_SUB;
		s->dev = d;
		s->nh = nh;
		snprintf(s->srckey, sizeof(s->srckey), "%s", srckey);
		s->local_id = ++n->next_local_id;
		s->dnext = d->subs;
		d->subs = s;
		s->next = n->subs;
		if (n->subs)
			n->subs->prev = s;
		n->subs = s;
		n->nsubs++;
		nua_handle_bind(nh, &s->hm);
		dev_make_room(n, d);
		s->row.local_id = s->local_id;
		s->row.device_id = d->id;
		s->row.created = time(NULL);
		tmp = url_as_string(home, sip->sip_request->rq_url);
		snprintf(s->row.uri, sizeof(s->row.uri), "%s", tmp ? tmp : "");
		snprintf(s->row.transport, sizeof(s->row.transport), "%s",
		    transport_name(&from));
		snprintf(s->row.source, sizeof(s->row.source), "%s", source);
		if (sip->sip_contact) {
			tmp = url_as_string(home, sip->sip_contact->m_url);
			snprintf(s->row.contact, sizeof(s->row.contact), "%s",
			    tmp ? tmp : "");
		}
		/*
		 * Seed 002, RFC 5630: a request that came over TLS gets a
		 * sips: Contact (and so TLS for everything in the dialog);
		 * plain UDP/TCP ones a sip: Contact on the same transport.
		 */
		if (from.tls && n->target_sips[0])
			snprintf(s->contact, sizeof(s->contact), "<sips:%s>",
			    n->target_sips);
		else
			snprintf(s->contact, sizeof(s->contact),
			    "<sip:%s%s>", n->target_sip[0] ? n->target_sip :
			    n->target_sips, !from.tls && !from.udp ?
			    ";transport=tcp" : "");
		if (n->cfg->access_log)
			log_info("subscription %lld: %s from %s over %s for "
			    "%lus", (long long)s->local_id, sd.sfua_id, source,
			    s->row.transport, granted);
	}
	s->body = ck.body && n->cfg->notify_body;
	s->row.expires = time(NULL) + (time_t)granted;
	row_dirty(n, s);
	respond(n, nh, SIP_200_OK, SIPTAG_EXPIRES_STR(num),
	    SIPTAG_CONTACT_STR(s->contact), TAG_END());

	/* RFC 6665 §4.2.1.2: a NOTIFY with the current state, at once. */
	if (dev_refresh(n, s->dev) != 0 && s->dev->status == 0)
		s->dev->status = 503;
	if (granted == 0 || substate == nua_substate_terminated) {
		/*
		 * Unsubscribe: nua sends the final NOTIFY itself (state
		 * terminated, the last body) after the 200; a fetch
		 * (initial Expires: 0) gets its state now.
		 */
		if (initial)
			send_notify(n, s, "terminated;reason=timeout");
		else
			s->ending = 1;
	} else if (initial || differs(s))
		send_notify(n, s, NULL);
	/* Otherwise nua re-sends the last NOTIFY, which is current. */
	su_home_deinit(home);
	return;
reject:
	su_home_deinit(home);
	if (initial)
		nua_handle_destroy(nh);
}

/* RFC 6665 §4.2.2: responses after which the subscription is gone. */
static int
fatal_status(int st)
{
	return st == 404 || st == 405 || st == 408 || st == 410 ||
	    st == 416 || (st >= 480 && st <= 485) || st == 489 ||
	    st == 501 || st == 604;
}

static void
on_notify_answer(struct notifier *n, int status, struct sub *s,
    tagi_t tags[])
{
	int	 substate = -1;

	if (s == NULL || status < 200)
		return;
	tl_gets(tags, NUTAG_SUBSTATE_REF(substate), TAG_END());
	if (substate == nua_substate_terminated || fatal_status(status)) {
		if (status >= 300)
			log_info("subscription %lld of %s: NOTIFY answered %d, "
			    "dropped", (long long)s->local_id, s->dev->sfua,
			    status);
		sub_free(n, s);
	}
}

/* ------------------------------------------------- check-sync push */

/*
 * BRIEF.md §3, NOTES-apis.md §3: outside RFC 6011 (whose §2.5.1.3 forbids
 * it for a conforming CS), an opt-in push for phones that only know
 * "Event: check-sync": an out-of-dialog NOTIFY to the line's AOR (or a
 * configured contact), through its outbound proxy, with
 * "Subscription-State: terminated" and no body, the shape of seed 000.
 * The phone's 401/407 is answered with the line's HA1; a timeout or 5xx
 * is retried after 2, 4 and 8 s.
 */
static void
cs_fire(struct notifier *n, struct csjob *j)
{
	char	 from[300];

	snprintf(from, sizeof(from), "<sip:sipcfgd@%s>", n->target_sip[0] ?
	    n->target_sip : n->target_sips);
	j->nh = nua_handle(n->nua, &j->hm, SIPTAG_TO_STR(j->to),
	    SIPTAG_FROM_STR(from), TAG_END());
	if (j->nh == NULL)
		return;
	j->tries++;
	j->authed = 0;
	j->due_ms = 0;
	nua_notify(j->nh, NUTAG_URL(j->ruri), NUTAG_NEWSUB(1),
	    SIPTAG_EVENT_STR(j->event),
	    SIPTAG_SUBSCRIPTION_STATE_STR("terminated"),
	    TAG_IF(j->proxy[0], NUTAG_PROXY(j->proxy)), TAG_END());
}

static void
cs_done(struct notifier *n, struct csjob *j)
{
	struct csjob	**pp;

	for (pp = &n->jobs; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	if (j->nh) {
		nua_handle_bind(j->nh, NULL);
		nua_handle_destroy(j->nh);
	}
	util_wipe(j, sizeof(*j));
	free(j);
}

static void
cs_send(struct notifier *n, struct mdev *d, int reboot)
{
	struct store_checksync_target	 t;
	struct csjob			*j;

	if (store_checksync_target(n->st, d->id, &t) != STORE_OK) {
		log_warnx("check-sync %s: no SIP line to address it by",
		    d->sfua);
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		log_warnx("check-sync %s: not sent: out of memory", d->sfua);
		return;
	}
	j->hm.kind = H_CHECKSYNC;
	j->device_id = d->id;
	j->reboot = reboot;
	snprintf(j->sfua, sizeof(j->sfua), "%s", d->sfua);
	snprintf(j->auth, sizeof(j->auth), "HA1+Digest:\"%s\":%s:HA1+%s",
	    t.realm, t.username, t.ha1);
	snprintf(j->to, sizeof(j->to), "<%s>", t.aor);
	snprintf(j->ruri, sizeof(j->ruri), "%s", t.contact[0] ? t.contact :
	    t.aor);
	/* A configured contact is reached directly; the AOR through the
	 * line's outbound proxy, as the phone's own calls are. */
	snprintf(j->proxy, sizeof(j->proxy), "%s", t.contact[0] ? "" :
	    t.proxy);
	snprintf(j->event, sizeof(j->event), "%s", reboot ? t.reboot_event :
	    t.event);
	util_wipe(&t, sizeof(t));
	j->next = n->jobs;
	n->jobs = j;
	log_info("check-sync %s: NOTIFY %s (Event: %s)", j->sfua, j->ruri,
	    j->event);
	cs_fire(n, j);
}

static void
cs_answer(struct notifier *n, struct csjob *j, int status, const sip_t *sip)
{
	(void)sip;
	if (status < 200)
		return;
	if ((status == 401 || status == 407) && !j->authed) {
		/* The phone challenges (Snom challenge_checksync, Polycom,
		 * Cisco SPA): the line's credentials answer it. */
		j->authed = 1;
		nua_authenticate(j->nh, NUTAG_AUTH(j->auth), TAG_END());
		return;
	}
	if (status >= 200 && status < 300) {
		log_info("check-sync %s: answered %d", j->sfua, status);
		cs_done(n, j);
		return;
	}
	if ((status == 408 || status >= 500) && j->tries < 4) {
		nua_handle_bind(j->nh, NULL);
		nua_handle_destroy(j->nh);
		j->nh = NULL;
		j->due_ms = now_ms() + (2000ULL << (j->tries - 1));
		log_debug("check-sync %s: answered %d, retry %d in %llu s",
		    j->sfua, status, j->tries, 2ULL << (j->tries - 1));
		return;
	}
	log_warnx("check-sync %s: answered %d, giving up", j->sfua, status);
	cs_done(n, j);
}

/* Which devices are in check-sync mode; newcomers start from now. */
static void
cs_reload(struct notifier *n)
{
	struct store_device	 sd;
	struct mdev		*d, *next;
	int64_t			*ids;
	size_t			 i, cnt, max = n->cfg->sub_max;

	n->cs_reload = 0;
	if ((ids = calloc(max, sizeof(*ids))) == NULL)
		return;
	if (store_checksync_devices(n->st, ids, max, &cnt) != STORE_OK) {
		free(ids);
		n->cs_reload = 1;
		return;
	}
	n->cs_gen++;
	for (i = 0; i < cnt; i++) {
		if ((d = dev_find(n, ids[i])) == NULL) {
			if (store_device_by_id(n->st, ids[i], &sd) !=
			    STORE_OK || (d = dev_get(n, &sd)) == NULL)
				continue;
		}
		d->cs_gen = n->cs_gen;
		if (!d->checksync) {
			d->checksync = 1;
			if (dev_refresh(n, d) == 0 && d->status == 200)
				snprintf(d->cs_etag, sizeof(d->cs_etag), "%s",
				    d->etag);
		}
	}
	free(ids);
	for (d = n->devs; d; d = next) {
		next = d->next;
		if (d->checksync && d->cs_gen != n->cs_gen) {
			d->checksync = 0;
			if (d->subs == NULL && !d->queued && !d->cs_force)
				dev_drop(n, d);
		}
	}
}

/* Push where the device's bytes changed, or when the operator asked. */
static int
cs_check(struct notifier *n, struct mdev *d, uint64_t now)
{
	int	 want;

	want = d->cs_force || (d->checksync && d->status == 200 &&
	    d->cs_etag[0] && strcmp(d->cs_etag, d->etag) != 0);
	if (!want)
		return 0;
	if (!d->cs_force && now < d->cs_last_ms + MIN_GAP_MS) {
		if (d->due_ms == 0 || d->due_ms > d->cs_last_ms + MIN_GAP_MS)
			d->due_ms = d->cs_last_ms + MIN_GAP_MS;
		n->deferred = 1;
		return 0;
	}
	cs_send(n, d, d->cs_force == 2);
	d->cs_last_ms = now;
	if (d->status == 200)
		snprintf(d->cs_etag, sizeof(d->cs_etag), "%s", d->etag);
	d->cs_force = 0;
	return 1;
}

static void
nua_cb(nua_event_t ev, int status, char const *phrase, nua_t *nua,
    struct notifier *n, nua_handle_t *nh, struct hmagic *hm, sip_t const *sip,
    tagi_t tags[])
{
	struct sub	*s = hm && hm->kind == H_SUB ? (struct sub *)hm : NULL;

	(void)nua;
	if (hm && hm->kind == H_CHECKSYNC) {
		if (ev == nua_r_notify)
			cs_answer(n, (struct csjob *)hm, status, sip);
		return;
	}
	switch (ev) {
	case nua_i_subscribe:
		on_subscribe(n, nh, s, sip, tags);
		break;
	case nua_r_notify:
		on_notify_answer(n, status, s, tags);
		break;
	case nua_r_shutdown:
		if (status >= 200)
			su_root_break(n->root);
		break;
	case nua_i_error:
		log_warnx("sip: %03d %s", status, phrase);
		break;
	case nua_i_options:
		/*
		 * RFC 3261 §11.2: what we do.  sofia-sip 1.12.11 adds
		 * "application/sdp" to the Accept of every 200 to OPTIONS
		 * by itself; message/http comes first.
		 */
		if (status < 200)
			respond(n, nh, SIP_200_OK, SIPTAG_ALLOW_STR(SIP_ALLOW),
			    SIPTAG_ALLOW_EVENTS_STR("http-monitor"),
			    SIPTAG_ACCEPT_STR("message/http"), TAG_END());
		if (hm == NULL && nh)
			nua_handle_destroy(nh);
		break;
	default:
		/*
		 * Any other request: the stack answers those SIP_ALLOW does
		 * not list itself; should one still come here, it gets its
		 * final answer now, and its handle goes with it.
		 */
		if (hm == NULL && nh && ev > nua_i_error &&
		    ev < nua_r_set_params) {
			if (status < 200 && ev != nua_i_ack && ev != nua_i_cancel)
				respond(n, nh, SIP_405_METHOD_NOT_ALLOWED,
				    SIPTAG_ALLOW_STR(SIP_ALLOW), TAG_END());
			nua_handle_destroy(nh);
		}
		break;
	}
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
		enqueue(n, d, 0);
		return;
	case CHG_NOTIFY:
		/* An operator's request: sent even if nothing changed. */
		if ((d = dev_find(n, c->id)) != NULL)
			enqueue(n, d, 1);
		return;
	case CHG_NOTIFY_ALL:
		for (d = n->devs; d; d = d->next)
			enqueue(n, d, 1);
		return;
	default:
		break;
	}
	if (reach == TOUCH_NONE)
		return;
	if (reach == TOUCH_ONE) {
		if ((d = dev_find(n, c->id)) != NULL)
			enqueue(n, d, 0);
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
		enqueue(n, d, 0);
	}
}

/*
 * BRIEF.md §4: PRAGMA data_version moves on any commit by another
 * connection (cheap to ask); only then is the change log read.
 */
static void
watch_store(struct notifier *n)
{
	struct store_change	 ch[CHANGE_BATCH];
	size_t			 i, got;
	int64_t			 v;

	if ((v = store_data_version(n->st)) < 0 || v == n->dv)
		return;
	n->dv = v;
	do {
		if (store_changes_since(n->st, n->seq, ch, CHANGE_BATCH,
		    &got) != STORE_OK) {
			log_warnx("notifier: change log: %s",
			    store_errmsg(n->st));
			n->dv = -1;	/* try again next time */
			return;
		}
		for (i = 0; i < got; i++) {
			apply_change(n, &ch[i]);
			n->seq = ch[i].seq;
		}
	} while (got == CHANGE_BATCH);
	if (n->cs_reload)
		cs_reload(n);
}

static void
flush_rows(struct notifier *n)
{
	struct store_sub	*rows;
	struct sub		*s;
	size_t			 nr = 0, cap = n->ngone;

	for (s = n->wlist; s; s = s->wnext)
		cap++;
	if (cap == 0)
		return;
	if ((rows = malloc(cap * sizeof(*rows))) == NULL)
		return;
	if (n->ngone) {
		memcpy(rows, n->gone, n->ngone * sizeof(*rows));
		nr = n->ngone;
	}
	for (s = n->wlist; s; s = s->wnext)
		rows[nr++] = s->row;
	if (store_subs_write(n->st, n->instance, rows, nr) == 0) {
		n->ngone = 0;
		while ((s = n->wlist) != NULL) {
			n->wlist = s->wnext;
			s->wdirty = 0;
		}
	} else
		log_debug("notifier: subscriptions table: %s (will retry)",
		    store_errmsg(n->st));
	free(rows);
}

/* Check queued devices and send what differs, paced (RFC 5989 §4.10). */
static void
drain(struct notifier *n, uint64_t now)
{
	struct mdev	*d;
	struct sub	*s;
	uint64_t	 start = now_ms();
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
				enqueue(n, d, 0);
			else
				n->deferred = 1;
		}
	}
	/* A bounded slice of work per tick keeps the SIP side responsive. */
	while (n->qhead && n->tokens >= 1.0 && now_ms() - start < 8) {
		d = n->qhead;
		n->qhead = d->qnext;
		if (n->qhead == NULL)
			n->qtail = NULL;
		d->queued = 0;
		d->due_ms = 0;
		if (dev_refresh(n, d) != 0) {
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
				send_notify(n, s, "terminated;reason=rejected");
				n->tokens -= 1.0;
				continue;
			}
			if (s->ending || !(d->forced || s->pending ||
			    differs(s)))
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
			if (!differs(s) && !d->forced && !s->forced) {
				s->pending = 0;	/* changed back meanwhile */
				continue;
			}
			send_notify(n, s, NULL);
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

static void
tick(struct notifier *n, su_timer_t *t, struct notifier *arg)
{
	uint64_t	 now = now_ms();
	time_t		 wall = time(NULL);

	(void)t;
	(void)arg;
	if (n->stopping) {
		if (!n->shutdown_sent && (n->nsubs == 0 ||
		    now >= n->stop_deadline)) {
			n->shutdown_sent = 1;
			n->stop_deadline = now + SHUTDOWN_MS;
			nua_shutdown(n->nua);
		} else if (n->shutdown_sent && now >= n->stop_deadline) {
			/*
			 * nua waits up to 30 s plus Timer F for silent peers;
			 * the process is exiting, so stop waiting.
			 */
			if (n->nsubs)
				log_warnx("notifier: %zu subscribers did not "
				    "answer; not waiting for them", n->nsubs);
			n->abandoned = 1;
			su_root_break(n->root);
		}
		return;
	}
	if (now >= n->next_watch) {
		n->next_watch = now + WATCH_MS;
		watch_store(n);
	}
	drain(n, now);
	{
		struct csjob *j;

		for (j = n->jobs; j; j = j->next)
			if (j->due_ms && now >= j->due_ms && n->tokens >= 1.0) {
				cs_fire(n, j);
				n->tokens -= 1.0;
			}
	}
	if (now >= n->next_flush) {
		n->next_flush = now + FLUSH_MS;
		flush_rows(n);
	}
	if (wall >= n->next_trim) {
		/*
		 * sofia keeps finished transactions for 32 s (Timer J), so a
		 * burst of subscriptions leaves freed memory behind; give it
		 * back to the system rather than hold the peak for ever
		 * (every request is a transaction: a flood of them is such a
		 * burst too, which ends 32 s after its last request).
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

/* ------------------------------------------------------ the thread */

static void
stop_msg(struct notifier *n, su_msg_r msg, struct notifier **arg)
{
	struct sub	*s;
	char		 ss[96];
	unsigned	 base = n->cfg->shutdown_retry_after, r;

	(void)msg;
	(void)arg;
	n->stopping = 1;
	n->stop_deadline = now_ms() + STOP_WAIT_MS;
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
		if (dev_refresh(n, s->dev) != 0 && s->dev->status == 0)
			s->dev->status = 503;
		if (s->dev->status == 404 || s->dev->status == 403)
			send_notify(n, s, NULL);
		else
			send_notify(n, s, ss);
	}
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
	su_log_redirect(nua_log, sofia_log, NULL);
	su_log_set_level(NULL, n->cfg->debug ? 3 : 0);
	su_log_set_level(tport_log, n->cfg->debug ? 3 : 0);
	su_log_set_level(nta_log, n->cfg->debug ? 3 : 0);
	su_log_set_level(nua_log, n->cfg->debug ? 3 : 0);
	if ((n->persrc = sublimit_new(n->cfg->sub_per_source)) == NULL) {
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
	if ((n->res = resource_new(n->st, &ro)) == NULL)
		goto fail;
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
	n->nua = nua_create(n->root, nua_cb, n,
	    TAG_IF(n->cfg->sip.url[0], NUTAG_URL(n->cfg->sip.url)),
	    TAG_IF(n->cfg->sips.url[0], NUTAG_SIPS_URL(n->cfg->sips.url)),
	    TAG_IF(tlsdir[0], NUTAG_CERTIFICATE_DIR(tlsdir)),
	    NUTAG_ALLOW_EVENTS("http-monitor"),
	    NUTAG_APPL_EVENT("http-monitor"),
	    NUTAG_APPL_METHOD("SUBSCRIBE, OPTIONS"),
	    SIPTAG_ALLOW_STR(SIP_ALLOW),
	    /* No session timers or reliable provisional responses here. */
	    SIPTAG_SUPPORTED(NULL),
	    NUTAG_SUB_EXPIRES(n->cfg->sub_max_expires),
	    NUTAG_MEDIA_ENABLE(0),
	    /* Bursts of re-subscriptions after an outage (RFC 6011 §2.7);
	     * the kernel caps this at net.core.rmem_max. */
	    TPTAG_UDP_RMEM(4 * 1024 * 1024),
	    NUTAG_ENABLEMESSAGE(0),
	    SIPTAG_SERVER_STR("sipcfgd/" PACKAGE_VERSION),
	    SIPTAG_USER_AGENT_STR("sipcfgd/" PACKAGE_VERSION),
	    TAG_END());
	tlsdir_remove();
	/* tlspolicy.h: sofia's cipher list was ours, or no TLS at all. */
	if (n->nua && n->cfg->sips.url[0] && tlspolicy_replaced() == 0) {
		log_warnx("notifier: the SIP TLS cipher policy could not be "
		    "applied; not listening on %s", n->cfg->sips.url);
		goto fail;
	}
	if (n->nua == NULL) {
		log_warnx("notifier: cannot listen on %s%s%s (address in use, "
		    "or a bad certificate?)", n->cfg->sip.url,
		    n->cfg->sip.url[0] && n->cfg->sips.url[0] ? " and " : "",
		    n->cfg->sips.url);
		goto fail;
	}
	n->tick = su_timer_create(su_root_task(n->root), TICK_MS);
	if (n->tick == NULL || su_timer_run(n->tick, tick, n) != 0) {
		log_warnx("notifier: cannot set its timer");
		goto fail;
	}
	n->last_tick = now_ms();
	n->next_prune = time(NULL) + 60;
	cs_reload(n);
	pthread_mutex_lock(&n->mu);
	n->state = 1;
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);

	su_root_run(n->root);

	su_timer_destroy(n->tick);
	n->ngone = 0;
	store_subs_clear(n->st, n->instance);
	resource_free(n->res);
	if (n->abandoned)
		return NULL;	/* exiting: nua still owns its handles */
	while (n->subs)
		sub_free(n, n->subs);
	while (n->jobs)
		cs_done(n, n->jobs);
	free(n->gone);
	sublimit_free(n->persrc);
	nua_destroy(n->nua);
	su_root_destroy(n->root);
	su_deinit();
	return NULL;
fail:
	tlsdir_remove();
	sublimit_free(n->persrc);
	n->persrc = NULL;
	if (n->nua)
		nua_destroy(n->nua);
	if (n->root)
		su_root_destroy(n->root);
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
    struct guard *g, const char *cloc)
{
	struct notifier	*n;
	char		 host[128];

	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	n->cfg = cfg;
	n->dg = dg;
	n->guard = g;
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
