/*
 * checksync: the legacy check-sync push (BRIEF.md §3, NOTES-apis.md §3).
 *
 * Outside RFC 6011 (whose §2.5.1.3 forbids it for a conforming CS), an
 * opt-in push for phones that only know "Event: check-sync": an
 * out-of-dialog NOTIFY to the line's AOR (or a configured contact),
 * through its outbound proxy, with "Subscription-State: terminated" and
 * no body, the shape of seed 000.  The phone's 401/407 is answered once
 * with the line's HA1 (RFC 2617 §3.2.2, computed by our digest module);
 * a timeout or 5xx is retried after 2, 4 and
 * 8 s.  Runs on the notifier thread.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notifier_int.h"

#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>

#include "digest.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

static int	 cs_answer(void *, nta_outgoing_t *, const sip_t *);

/* A challenge's parameter, unquoted, into out; -1 when absent or long. */
static int
chal_param(const msg_auth_t *au, const char *name, char *out, size_t len)
{
	size_t		 i, nl = strlen(name), vl;
	const char	*v;

	for (i = 0; au->au_params && au->au_params[i]; i++) {
		if (strncasecmp(au->au_params[i], name, nl) != 0 ||
		    au->au_params[i][nl] != '=')
			continue;
		v = au->au_params[i] + nl + 1;
		vl = strlen(v);
		if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
			v++;
			vl -= 2;
		}
		if (vl >= len)
			return -1;
		memcpy(out, v, vl);
		out[vl] = '\0';
		return 0;
	}
	return -1;
}

/*
 * RFC 2617 §3.2.2 (RFC 3261 §22.4): the Authorization (401) or
 * Proxy-Authorization (407) that answers the phone's MD5 challenge with
 * the line's HA1.  0, or -1 when it cannot be answered.
 */
static int
cs_authorize(struct csjob *j, msg_t *msg, sip_t *sip, const sip_t *ch)
{
	const msg_auth_t	*au;
	int			 proxy = ch->sip_status->st_status == 407;
	char			 nonce[256], opaque[256], qop[64], alg[32];
	char			 cnonce[33], resp[DIGEST_HA1_MD5_HEX], hv[1400];
	unsigned char		 rnd[16];
	size_t			 i;
	int			 auth = 0, w;

	au = proxy ? (const msg_auth_t *)ch->sip_proxy_authenticate :
	    (const msg_auth_t *)ch->sip_www_authenticate;
	for (; au; au = au->au_next) {
		if (au->au_scheme == NULL ||
		    strcasecmp(au->au_scheme, "Digest") != 0)
			continue;
		if (chal_param(au, "algorithm", alg, sizeof(alg)) == 0 &&
		    strcasecmp(alg, "MD5") != 0)
			continue;
		if (chal_param(au, "nonce", nonce, sizeof(nonce)) == 0)
			break;
	}
	if (au == NULL)
		return -1;
	if (chal_param(au, "opaque", opaque, sizeof(opaque)) != 0)
		opaque[0] = '\0';
	if (chal_param(au, "qop", qop, sizeof(qop)) == 0) {
		char *t, *save = NULL;

		for (t = strtok_r(qop, ", ", &save); t; t = strtok_r(NULL,
		    ", ", &save))
			if (strcasecmp(t, "auth") == 0)
				auth = 1;
	}
	if (util_random(rnd, sizeof(rnd)) != 0)
		return -1;
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(cnonce + 2 * i, 3, "%02x", rnd[i]);
	if (digest_response(DIGEST_MD5, j->ha1, nonce, "00000001", cnonce,
	    auth ? "auth" : NULL, "NOTIFY", j->ruri, resp, sizeof(resp)) != 0)
		return -1;
	w = snprintf(hv, sizeof(hv), "Digest username=\"%s\", realm=\"%s\", "
	    "nonce=\"%s\", uri=\"%s\", response=\"%s\", algorithm=MD5%s%s%s"
	    "%s%s%s", j->user, j->realm, nonce, j->ruri, resp,
	    auth ? ", qop=auth, nc=00000001, cnonce=\"" : "",
	    auth ? cnonce : "", auth ? "\"" : "",
	    opaque[0] ? ", opaque=\"" : "", opaque, opaque[0] ? "\"" : "");
	if (w < 0 || (size_t)w >= sizeof(hv))
		return -1;
	if (proxy)
		return sip_add_tl(msg, sip, SIPTAG_PROXY_AUTHORIZATION_STR(hv),
		    TAG_END()) < 0 ? -1 : 0;
	return sip_add_tl(msg, sip, SIPTAG_AUTHORIZATION_STR(hv),
	    TAG_END()) < 0 ? -1 : 0;
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
	if (j->orq)
		nta_outgoing_destroy(j->orq);
	util_wipe(j, sizeof(*j));
	free(j);
}

/*
 * Send the job's NOTIFY; challenge: the 401/407 to answer with the
 * line's credentials, or NULL.  0, or -1 when it could not be sent.
 */
static int
cs_fire(struct notifier *n, struct csjob *j, const sip_t *challenge)
{
	msg_t		*msg;
	sip_t		*sip;
	sip_request_t	*rq;
	char		 from[300], cseq[32];
	int		 rc = -1;

	if ((msg = nta_msg_create(n->agent, 0)) == NULL) {
		metrics_notify(METRICS_NOTIFY_CHECKSYNC, METRICS_NOTIFY_FAILED);
		return -1;
	}
	sip = sip_object(msg);
	snprintf(from, sizeof(from), "<sip:sipcfgd@%s>;tag=%s",
	    n->target_sip[0] ? n->target_sip : n->target_sips, j->tag);
	snprintf(cseq, sizeof(cseq), "%u NOTIFY", ++j->cseq);
	rq = sip_request_create(msg_home(msg), SIP_METHOD_NOTIFY,
	    URL_STRING_MAKE(j->ruri), NULL);
	if (rq == NULL || msg_header_insert(msg, (msg_pub_t *)sip,
	    (msg_header_t *)rq) < 0 || sip_add_tl(msg, sip,
	    SIPTAG_TO_STR(j->to), SIPTAG_FROM_STR(from),
	    SIPTAG_CALL_ID_STR(j->call_id), SIPTAG_CSEQ_STR(cseq),
	    SIPTAG_MAX_FORWARDS_STR("70"), SIPTAG_EVENT_STR(j->event),
	    SIPTAG_SUBSCRIPTION_STATE_STR("terminated"),
	    SIPTAG_USER_AGENT_STR(SIP_SERVER), TAG_END()) < 0)
		goto done;
	if (challenge && cs_authorize(j, msg, sip, challenge) != 0) {
		log_warnx("check-sync %s: cannot answer the %d challenge with "
		    "the line's credentials", j->sfua,
		    challenge->sip_status->st_status);
		goto done;
	}
	j->orq = nta_outgoing_mcreate(n->agent, cs_answer, j,
	    j->proxy[0] ? URL_STRING_MAKE(j->proxy) : NULL, msg, TAG_END());
	if (j->orq != NULL) {
		msg = NULL;	/* the transaction's now */
		j->due_ms = 0;
		rc = 0;
	}
done:
	if (msg)
		msg_destroy(msg);
	metrics_notify(METRICS_NOTIFY_CHECKSYNC, rc == 0 ?
	    METRICS_NOTIFY_SENT : METRICS_NOTIFY_FAILED);
	return rc;
}

static void
cs_send(struct notifier *n, struct mdev *d, int reboot)
{
	struct store_checksync_target	 t;
	struct csjob			*j;
	unsigned char			 rnd[16];
	size_t				 i;

	metrics_inc(METRICS_CHECKSYNC_PUSHES);
	if (store_checksync_target(n->st, d->id, &t) != STORE_OK) {
		log_warnx("check-sync %s: no SIP line to address it by",
		    d->sfua);
		metrics_inc(METRICS_CHECKSYNC_FAILED);
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		util_wipe(&t, sizeof(t));
		log_warnx("check-sync %s: not sent: out of memory", d->sfua);
		metrics_inc(METRICS_CHECKSYNC_FAILED);
		return;
	}
	j->n = n;
	j->device_id = d->id;
	j->reboot = reboot;
	snprintf(j->sfua, sizeof(j->sfua), "%s", d->sfua);
	snprintf(j->realm, sizeof(j->realm), "%s", t.realm);
	snprintf(j->user, sizeof(j->user), "%s", t.username);
	snprintf(j->ha1, sizeof(j->ha1), "%s", t.ha1);
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
	if (util_random(rnd, sizeof(rnd)) != 0)
		memset(rnd, 0x5a, sizeof(rnd));
	for (i = 0; i < 10; i++)
		snprintf(j->call_id + 2 * i, 3, "%02x", rnd[i]);
	for (i = 10; i < 16; i++)
		snprintf(j->tag + 2 * (i - 10), 3, "%02x", rnd[i]);
	j->next = n->jobs;
	n->jobs = j;
	log_info("check-sync %s: NOTIFY %s (Event: %s)", j->sfua, j->ruri,
	    j->event);
	j->tries = 1;
	if (cs_fire(n, j, NULL) != 0) {
		log_warnx("check-sync %s: NOTIFY to %s could not be sent",
		    j->sfua, j->ruri);
		metrics_inc(METRICS_CHECKSYNC_FAILED);
		cs_done(n, j);
	}
}

static int
cs_answer(void *arg, nta_outgoing_t *orq, const sip_t *sip)
{
	struct csjob	*j = arg;
	struct notifier	*n = j->n;
	int		 status = sip && sip->sip_status ?
			    sip->sip_status->st_status :
			    nta_outgoing_status(orq);

	if (status < 200)
		return 0;
	nta_outgoing_destroy(orq);
	j->orq = NULL;
	if ((status == 401 || status == 407) && !j->authed && sip) {
		/* The phone challenges (Snom challenge_checksync, Polycom,
		 * Cisco SPA): the line's credentials answer it. */
		j->authed = 1;
		if (cs_fire(n, j, sip) != 0) {
			metrics_inc(METRICS_CHECKSYNC_FAILED);
			cs_done(n, j);
		}
		return 0;
	}
	if (status >= 200 && status < 300) {
		log_info("check-sync %s: answered %d", j->sfua, status);
		cs_done(n, j);
		return 0;
	}
	metrics_notify(METRICS_NOTIFY_CHECKSYNC, METRICS_NOTIFY_FAILED);
	if ((status == 408 || status >= 500) && j->tries < 4) {
		j->due_ms = notifier_now_ms() + (2000ULL << (j->tries - 1));
		log_debug("check-sync %s: answered %d, retry %d in %llu s",
		    j->sfua, status, j->tries, 2ULL << (j->tries - 1));
		return 0;
	}
	log_warnx("check-sync %s: answered %d, giving up", j->sfua, status);
	metrics_inc(METRICS_CHECKSYNC_FAILED);
	cs_done(n, j);
	return 0;
}

/* Jobs whose retry is due, paced like NOTIFYs. */
void
cs_retry(struct notifier *n, uint64_t now)
{
	struct csjob	*j, *next;

	for (j = n->jobs; j; j = next) {
		next = j->next;
		if (j->due_ms == 0 || now < j->due_ms || n->tokens < 1.0)
			continue;
		n->tokens -= 1.0;
		j->tries++;
		j->authed = 0;
		metrics_notify(METRICS_NOTIFY_CHECKSYNC, METRICS_NOTIFY_RETRIED);
		if (cs_fire(n, j, NULL) != 0) {
			metrics_inc(METRICS_CHECKSYNC_FAILED);
			cs_done(n, j);
		}
	}
}

void
cs_fini(struct notifier *n)
{
	while (n->jobs)
		cs_done(n, n->jobs);
}

/* Which devices are in check-sync mode; newcomers start from now. */
void
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
int
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
