/*
 * nsub: http-monitor subscriptions (RFC 5989, RFC 6665) on sofia-sip's
 * transaction layer (notifier_int.h says why not nua).
 *
 * A subscription's dialog (RFC 3261 §12.1.1 as the UAS) is ours: the
 * Call-ID, our tag (the To tag of our 200) and theirs, the two URIs, the
 * route set from Record-Route, the remote target from Contact, both
 * CSeqs.  In-dialog SUBSCRIBEs are found by Call-ID and our tag in a
 * hash; NOTIFYs are built from those strings (RFC 6665 §4.2.2).
 *
 * Where NOTIFYs go (RFC 6665 §4.1.3, RFC 3581, RFC 5923, RFC 5626 §5.3):
 * over TCP and TLS on the connection the SUBSCRIBE came on, kept open
 * (referenced) for the subscription's life; over UDP to the address and
 * port it came from.  sipcheck_body() refuses a Contact or Record-Route
 * that names somewhere else unless sub_trust_contact is on; only then do
 * NOTIFYs follow the route set and the Contact as RFC 3261 §12.2.1.1
 * would.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "notifier_int.h"

#include <sofia-sip/su_tag.h>
#include <sofia-sip/su_tagarg.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/url.h>

#include <jansson.h>

#include "buf.h"
#include "log.h"
#include "metrics.h"
#include "sipcheck.h"
#include "util.h"

#define HASH_MIN	1024
#define NOTIFY_MAX_MS	40000	/* a terminating NOTIFY's answer, at most */

/* ------------------------------------------------------ dialog hash */

static unsigned
dlg_hash(const char *call_id, const char *ltag)
{
	uint32_t	 h = 2166136261u;

	for (; *call_id; call_id++)
		h = (h ^ (unsigned char)*call_id) * 16777619u;
	h = (h ^ '\n') * 16777619u;
	for (; *ltag; ltag++)
		h = (h ^ (unsigned char)*ltag) * 16777619u;
	return h;
}

struct nsub *
nsub_find(struct notifier *n, const char *call_id, const char *ltag)
{
	struct nsub	*s;
	unsigned	 h = dlg_hash(call_id, ltag);

	for (s = n->shash[h & (n->nshash - 1)]; s; s = s->hnext)
		if (s->hash == h && strcmp(s->call_id, call_id) == 0 &&
		    strcmp(s->ltag, ltag) == 0)
			return s;
	return NULL;
}

/* Twice the buckets once there are more subscriptions than buckets. */
static void
dlg_grow(struct notifier *n)
{
	struct nsub	**nh, *s, *next;
	size_t		 i, nn = n->nshash * 2;

	if ((nh = calloc(nn, sizeof(*nh))) == NULL)
		return;		/* longer chains, nothing worse */
	for (i = 0; i < n->nshash; i++)
		for (s = n->shash[i]; s; s = next) {
			next = s->hnext;
			s->hnext = nh[s->hash & (nn - 1)];
			nh[s->hash & (nn - 1)] = s;
		}
	free(n->shash);
	n->shash = nh;
	n->nshash = nn;
}

void
nsub_link(struct notifier *n, struct nsub *s)
{
	size_t	 b;

	if (n->nsubs > n->nshash)
		dlg_grow(n);
	s->hash = dlg_hash(s->call_id, s->ltag);
	b = s->hash & (n->nshash - 1);
	s->hnext = n->shash[b];
	n->shash[b] = s;
}

static void
dlg_unlink(struct notifier *n, struct nsub *s)
{
	struct nsub	**pp;

	for (pp = &n->shash[s->hash & (n->nshash - 1)]; *pp;
	    pp = &(*pp)->hnext)
		if (*pp == s) {
			*pp = s->hnext;
			return;
		}
}

int
nsub_init(struct notifier *n)
{
	n->nshash = HASH_MIN;
	if ((n->shash = calloc(n->nshash, sizeof(*n->shash))) == NULL)
		return -1;
	return 0;
}

void
nsub_fini(struct notifier *n)
{
	while (n->subs)
		nsub_free(n, n->subs);
	free(n->shash);
	n->shash = NULL;
	free(n->gone);
	n->gone = NULL;
	n->ngone = n->gonecap = 0;
}

/* ------------------------------------------------ the dialog's strings */


/* Replace the string block; -1 (nothing changed) when out of memory. */
int
nsub_strings(struct nsub *s, const char *v[S_COUNT])
{
	size_t	 len[S_COUNT], total = 0, i;
	char	*blk, *p;

	for (i = 0; i < S_COUNT; i++) {
		len[i] = v[i] ? strlen(v[i]) : 0;
		total += len[i] + 1;
	}
	if ((blk = npool_alloc(s->n->pool, total)) == NULL)
		return -1;
	p = blk;
	for (i = 0; i < S_COUNT; i++) {
		if (len[i])
			memcpy(p, v[i], len[i]);
		p[len[i]] = '\0';
		v[i] = p;
		p += len[i] + 1;
	}
	s->call_id = v[S_CALLID];
	s->ltag = v[S_LTAG];
	s->rtag = v[S_RTAG];
	s->local = v[S_LOCAL];
	s->remote = v[S_REMOTE];
	s->target = v[S_TARGET];
	s->route = v[S_ROUTE];
	s->dest = v[S_DEST];
	s->ruri = v[S_RURI];
	npool_free(s->n->pool, s->str, s->strsize);
	s->str = blk;
	s->strsize = (unsigned)total;
	return 0;
}

void
nsub_current(const struct nsub *s, const char *v[S_COUNT])
{
	v[S_CALLID] = s->call_id;
	v[S_LTAG] = s->ltag;
	v[S_RTAG] = s->rtag;
	v[S_LOCAL] = s->local;
	v[S_REMOTE] = s->remote;
	v[S_TARGET] = s->target;
	v[S_ROUTE] = s->route;
	v[S_DEST] = s->dest;
	v[S_RURI] = s->ruri;
}

/* ------------------------------------------------------ bookkeeping */

void
nsub_row_dirty(struct notifier *n, struct nsub *s)
{
	if (s->wdirty)
		return;
	s->wdirty = 1;
	s->wprev = NULL;
	s->wnext = n->wlist;
	if (n->wlist)
		n->wlist->wprev = s;
	n->wlist = s;
}

void
nsub_free(struct notifier *n, struct nsub *s)
{
	struct mdev	*d = s->dev;
	struct nsub	**pp;

	if (n->ngone == n->gonecap) {
		size_t nc = n->gonecap ? n->gonecap * 2 : 64;
		int64_t *g = realloc(n->gone, nc * sizeof(*g));
		if (g != NULL) {
			n->gone = g;
			n->gonecap = nc;
		}
	}
	/* Out of memory: the row stays until the next start clears it. */
	if (n->ngone < n->gonecap)
		n->gone[n->ngone++] = s->local_id;
	else
		log_warnx("subscription %lld: out of memory, not recorded as "
		    "ended", (long long)s->local_id);
	if (s->wdirty) {
		/* Doubly linked: at shutdown every one of N is dirty. */
		if (s->wprev)
			s->wprev->wnext = s->wnext;
		else
			n->wlist = s->wnext;
		if (s->wnext)
			s->wnext->wprev = s->wprev;
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
	dlg_unlink(n, s);
	n->nsubs--;
	metrics_subscriptions_add(-1);
	if (s->srckey[0])
		sublimit_release(n->persrc, s->srckey);
	if (s->orq)
		nta_outgoing_destroy(s->orq);
	if (s->flow)
		tport_unref(s->flow);
	log_debug("subscription %lld of %s ended", (long long)s->local_id,
	    d->sfua);
	npool_free(n->pool, s->str, s->strsize);
	npool_free(n->pool, s, sizeof(*s));
	if (d->subs == NULL && !d->checksync)
		dev_drop(n, d);
}

void
nsub_flush_rows(struct notifier *n)
{
	struct store_sub	*rows;
	struct nsub		*s;
	size_t			 nr = 0, cap = n->ngone, i;
	uint64_t		 now = notifier_now_ms();
	time_t			 wall = time(NULL);

	for (s = n->wlist; s; s = s->wnext)
		cap++;
	if (cap == 0)
		return;
	if ((rows = calloc(cap, sizeof(*rows))) == NULL)
		return;
	for (i = 0; i < n->ngone; i++) {
		rows[nr].local_id = n->gone[i];
		rows[nr++].gone = 1;
	}
	for (s = n->wlist; s; s = s->wnext) {
		struct store_sub *r = &rows[nr++];

		r->local_id = s->local_id;
		r->device_id = s->dev->id;
		snprintf(r->uri, sizeof(r->uri), "%s", s->ruri);
		snprintf(r->transport, sizeof(r->transport), "%s", s->tls ?
		    "tls" : s->tcp ? "tcp" : "udp");
		snprintf(r->source, sizeof(r->source), "%s", s->source);
		snprintf(r->contact, sizeof(r->contact), "%s", s->target);
		r->created = s->created;
		r->expires = wall + (s->expires_ms > now ?
		    (time_t)((s->expires_ms - now + 999) / 1000) : 0);
		r->last_notify = s->last_notify;
		snprintf(r->last_etag, sizeof(r->last_etag), "%s",
		    s->sent_status == 200 ? s->sent_etag : "");
		r->notifies = s->notifies;
	}
	if (store_subs_write(n->st, n->instance, rows, nr) == 0) {
		n->ngone = 0;
		while ((s = n->wlist) != NULL) {
			n->wlist = s->wnext;
			s->wdirty = 0;
			s->wnext = s->wprev = NULL;
		}
	} else
		log_debug("notifier: subscriptions table: %s (will retry)",
		    store_errmsg(n->st));
	free(rows);
}

/* ----------------------------------------------------------- NOTIFY */

/* RFC 5989 §4.5.1: the status line and headers of a HEAD, as message/http. */
static char *
head_message(struct notifier *n, struct nsub *s)
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
				dev_facts(&sd, &q);
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

/* Our Contact for the subscription: RFC 5630, the transport it came on. */
void
nsub_contact(struct notifier *n, const struct nsub *s, char *out, size_t len)
{
	if (s->tls && n->target_sips[0])
		snprintf(out, len, "<sips:%s>", n->target_sips);
	else
		snprintf(out, len, "<sip:%s%s>", n->target_sip[0] ?
		    n->target_sip : n->target_sips, s->tcp ? ";transport=tcp" :
		    "");
}

/* RFC 6665 §4.2.2: responses after which the subscription is gone. */
static int
fatal_status(int st)
{
	return st == 404 || st == 405 || st == 408 || st == 410 ||
	    st == 416 || (st >= 480 && st <= 485) || st == 489 ||
	    st == 501 || st == 604;
}

static int
notify_answer(void *arg, nta_outgoing_t *orq, const sip_t *sip)
{
	struct nsub	*s = arg;
	struct notifier	*n = s->n;
	int		 status = sip && sip->sip_status ?
			    sip->sip_status->st_status :
			    nta_outgoing_status(orq);

	if (status < 200)
		return 0;
	nta_outgoing_destroy(orq);
	if (s->orq == orq)
		s->orq = NULL;
	if (status >= 300)
		metrics_notify(METRICS_NOTIFY_SUBSCRIPTION,
		    METRICS_NOTIFY_FAILED);
	/*
	 * A flow that has closed (the connection went: nta answers 503
	 * itself) cannot carry the subscription any more (RFC 5626 §5.3:
	 * the subscriber makes a new one on its new flow).
	 */
	if (s->ending || fatal_status(status) || (s->flow && status >= 500 &&
	    (sip == NULL || nta_sip_is_internal(sip)))) {
		if (status >= 300)
			log_info("subscription %lld of %s: NOTIFY answered %d, "
			    "dropped", (long long)s->local_id, s->dev->sfua,
			    status);
		nsub_free(n, s);
		return 0;
	}
	if (s->again) {
		/* The state moved while this one was on its way. */
		s->again = 0;
		s->pending = 1;
		dev_enqueue(n, s->dev, 0);
	}
	return 0;
}

/* Send a NOTIFY: 0, or -1 when none could be (logged). */
static int
notify_send(struct notifier *n, struct nsub *s, const char *ss,
    const char *body)
{
	msg_t		*msg;
	sip_t		*sip;
	sip_request_t	*rq;
	nta_outgoing_t	*orq;
	char		 from[320], to[320], cseq[32], contact[200];
	url_string_t	*next = NULL;

	if ((msg = nta_msg_create(n->agent, 0)) == NULL)
		return -1;
	sip = sip_object(msg);
	snprintf(from, sizeof(from), "<%s>;tag=%s", s->local, s->ltag);
	snprintf(to, sizeof(to), "<%s>;tag=%s", s->remote, s->rtag);
	snprintf(cseq, sizeof(cseq), "%u NOTIFY", s->lcseq + 1);
	nsub_contact(n, s, contact, sizeof(contact));
	rq = sip_request_create(msg_home(msg), SIP_METHOD_NOTIFY,
	    URL_STRING_MAKE(s->target), NULL);
	if (rq == NULL || msg_header_insert(msg, (msg_pub_t *)sip,
	    (msg_header_t *)rq) < 0 || sip_add_tl(msg, sip,
	    SIPTAG_FROM_STR(from), SIPTAG_TO_STR(to),
	    SIPTAG_CALL_ID_STR(s->call_id), SIPTAG_CSEQ_STR(cseq),
	    SIPTAG_MAX_FORWARDS_STR("70"),
	    TAG_IF(s->route[0], SIPTAG_ROUTE_STR(s->route)),
	    SIPTAG_CONTACT_STR(contact), SIPTAG_EVENT_STR("http-monitor"),
	    SIPTAG_SUBSCRIPTION_STATE_STR(ss),
	    SIPTAG_USER_AGENT_STR(SIP_SERVER),
	    SIPTAG_CONTENT_TYPE_STR("message/http"),
	    SIPTAG_PAYLOAD_STR(body), TAG_END()) < 0) {
		msg_destroy(msg);
		return -1;
	}
	/* Where the subscriber is (see the top of this file). */
	if (s->dest[0])
		next = URL_STRING_MAKE(s->dest);
	orq = nta_outgoing_mcreate(n->agent, notify_answer, s, next, msg,
	    TAG_IF(s->flow, NTATAG_TPORT(s->flow)), TAG_END());
	if (orq == NULL) {
		msg_destroy(msg);
		return -1;
	}
	if (s->orq)
		nta_outgoing_destroy(s->orq);
	s->orq = orq;
	s->lcseq++;
	return 0;
}

/*
 * Send the current state.  ss: a terminating Subscription-State, or NULL
 * for active with the time left (RFC 6665 §4.2.2).  A NOTIFY still on its
 * way holds an active one back until its answer (RFC 6665 §4.2.2 asks
 * for one at a time); a terminating one goes at once.
 */
void
nsub_notify(struct notifier *n, struct nsub *s, const char *ss)
{
	struct mdev	*d = s->dev;
	char		*body, active[64];
	uint64_t	 now = notifier_now_ms();

	if (s->ending)
		return;
	if (ss == NULL && d->status == 404)
		ss = "terminated;reason=noresource";
	else if (ss == NULL && d->status == 403)
		ss = "terminated;reason=rejected";
	if (ss == NULL && s->orq) {
		s->again = 1;
		return;
	}
	if (ss == NULL) {
		snprintf(active, sizeof(active), "active;expires=%llu",
		    (unsigned long long)(s->expires_ms > now ?
		    (s->expires_ms - now + 999) / 1000 : 0));
		ss = active;
	}
	if ((body = head_message(n, s)) == NULL) {
		/* The next change or refresh notifies again. */
		log_warnx("%s: NOTIFY not sent: out of memory", d->sfua);
		return;
	}
	if (notify_send(n, s, ss, body) != 0) {
		metrics_notify(METRICS_NOTIFY_SUBSCRIPTION,
		    METRICS_NOTIFY_FAILED);
		free(body);
		log_warnx("subscription %lld of %s: NOTIFY not sent (%s)",
		    (long long)s->local_id, d->sfua, s->flow ?
		    "its connection is closed" : "out of memory");
		if (strncmp(ss, "terminated", 10) == 0 || s->flow) {
			/* Nothing more can be said to it. */
			s->ending = 1;
			s->expires_ms = now;
		}
		return;
	}
	free(body);
	metrics_notify(METRICS_NOTIFY_SUBSCRIPTION, METRICS_NOTIFY_SENT);
	if (strncmp(ss, "terminated", 10) == 0) {
		s->ending = 1;
		s->expires_ms = now + NOTIFY_MAX_MS;
	}
	s->again = 0;
	s->last_ms = now;
	s->sent_status = d->status;
	snprintf(s->sent_etag, sizeof(s->sent_etag), "%s", d->etag);
	s->sent_max_age = d->max_age;
	s->pending = s->forced = 0;
	s->last_notify = time(NULL);
	s->notifies++;
	nsub_row_dirty(n, s);
}

int
nsub_differs(const struct nsub *s)
{
	const struct mdev *d = s->dev;

	return s->sent_status != d->status || s->sent_max_age != d->max_age ||
	    strcmp(s->sent_etag, d->etag) != 0;
}

/*
 * Once a second: subscriptions past their expiry get their last NOTIFY
 * (RFC 6665 §4.2.2, reason=timeout); ending ones whose answer never came
 * (or that could not be told) go.
 */
void
nsub_expire(struct notifier *n, uint64_t now)
{
	struct nsub	*s, *next;

	for (s = n->subs; s; s = next) {
		next = s->next;
		if (now < s->expires_ms)
			continue;
		if (!s->ending) {
			nsub_notify(n, s, "terminated;reason=timeout");
			if (!s->ending)
				nsub_free(n, s);
		} else if (s->orq == NULL || now >= s->expires_ms)
			nsub_free(n, s);
	}
}

