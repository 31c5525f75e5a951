/*
 * nsubscribe: the requests the notifier receives (nsub.c keeps the
 * subscriptions).  Every request reaches nsub_request() through the
 * agent's default leg and gets its final answer there, at once:
 * SUBSCRIBE as RFC 6011 §2.5.1 wants it, OPTIONS 200 (RFC 3261 §11.2),
 * CANCEL 481 (§9.2), every other known method 405 with Allow (§21.4.6),
 * an unknown one 501 (§21.5.2); nta itself answers what it cannot parse
 * with 400.  A SUBSCRIBE is checked from sofia's parsed structures
 * (sipcheck.h), its Digest credentials by our digest module, and a
 * dialog is made (RFC 3261 §12.1.1) or found (by Call-ID and our tag,
 * §12.2.2) for it.
 */
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

static int
reply(nta_incoming_t *irq, int status, const char *phrase,
    tag_type_t tag, tag_value_t value, ...)
{
	ta_list	 ta;

	ta_start(ta, tag, value);
	nta_incoming_treply(irq, status, phrase,
	    SIPTAG_SERVER_STR(SIP_SERVER), ta_tags(ta));
	ta_end(ta);
	return status;
}

/*
 * Where the request came from: its address alone (what the guard and
 * the per-source limit count under), the same with the port (for the
 * log and `sipcfg subs`), the transport, and as a sip: URI to send UDP
 * NOTIFYs to.  The socket's own word over what the Via claims.
 */
static void
source_of(struct notifier *n, nta_incoming_t *irq, const sip_t *sip,
    struct sockaddr_storage *ss, char *addr, size_t addrlen, char *out,
    size_t outlen, char *uri, size_t urilen, struct sipcheck_from *from)
{
	msg_t		*m = nta_incoming_getrequest(irq);
	su_addrinfo_t	*ai = m ? msg_addrinfo(m) : NULL;
	char		 host[64], port[16];
	const char	*v = sip->sip_via ? sip->sip_via->v_protocol : NULL;

	(void)n;
	snprintf(addr, addrlen, "?");
	snprintf(out, outlen, "?");
	uri[0] = '\0';
	memset(from, 0, sizeof(*from));
	from->tls = v && strcasecmp(v, "SIP/2.0/TLS") == 0;
	from->udp = !from->tls && (v == NULL || strcasecmp(v, "SIP/2.0/TCP"));
	if (ai == NULL || ai->ai_addr == NULL ||
	    ai->ai_addrlen > sizeof(*ss)) {
		if (m)
			msg_destroy(m);
		return;
	}
	if (ai->ai_protocol == IPPROTO_UDP) {
		from->udp = 1;
		from->tls = 0;
	} else if (ai->ai_protocol == IPPROTO_TCP)
		from->udp = 0;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	from->addr = (const struct sockaddr *)ss;
	from->addrlen = (socklen_t)ai->ai_addrlen;
	if (getnameinfo(ai->ai_addr, (socklen_t)ai->ai_addrlen, host,
	    sizeof(host), port, sizeof(port), NI_NUMERICHOST |
	    NI_NUMERICSERV) == 0) {
		snprintf(addr, addrlen, "%s", host);
		snprintf(out, outlen, strchr(host, ':') ? "[%s]:%s" : "%s:%s",
		    host, port);
		snprintf(uri, urilen, strchr(host, ':') ?
		    "sip:[%s]:%s;transport=udp" : "sip:%s:%s;transport=udp",
		    host, port);
	}
	msg_destroy(m);
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
		if (tried && dr != DIGEST_STALE) {
			guard_fail(n->guard, source, user, now);
			metrics_auth_failure(METRICS_AUTH_SIP);
		}
		stale = dr == DIGEST_STALE || dr == DIGEST_REPLAY;
		if (digest_challenge(n->dg, DIGEST_MD5, realm ? realm : "sipcfg",
		    stale, now, chal, chlen) != 0)
			rc = -2;
	}
	json_decref(lines);
	return rc;
}

/*
 * The device's oldest subscriptions give way once it has more than
 * sub_per_device (the newest, just linked in, at the head): a device
 * that re-subscribes after a restart replaces the stale ones, and
 * credentials used elsewhere cannot take every slot.  RFC 6665 §4.2.2:
 * "rejected", so the replaced subscriber does not come straight back
 * (RFC 6011 §2.5.1.2: it polls instead).
 */
static void
dev_make_room(struct notifier *n, struct mdev *d)
{
	struct nsub	*s, *oldest;
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
		nsub_notify(n, oldest, "terminated;reason=rejected");
		if (!oldest->ending)
			nsub_free(n, oldest);	/* no NOTIFY could go */
	}
}

/* url_as_string() into out; "" when it does not fit or fails. */
static void
url_print(su_home_t *home, const url_t *u, char *out, size_t len)
{
	char	*t = u ? url_as_string(home, u) : NULL;

	if (t == NULL || strlen(t) >= len)
		out[0] = '\0';
	else
		memcpy(out, t, strlen(t) + 1);
}

/* The Record-Route set as a Route value ("" for none), in order (§12.1.1). */
static int
route_set(su_home_t *home, const sip_t *sip, char *out, size_t len)
{
	const sip_record_route_t	*rr;
	size_t				 o = 0;
	char				*t;
	int				 w;

	out[0] = '\0';
	for (rr = sip->sip_record_route; rr; rr = rr->r_next) {
		if ((t = url_as_string(home, rr->r_url)) == NULL)
			return -1;
		w = snprintf(out + o, len - o, "%s<%s>", o ? ", " : "", t);
		if (w < 0 || (size_t)w >= len - o)
			return -1;
		o += (size_t)w;
	}
	return 0;
}

static int
on_subscribe(struct notifier *n, nta_incoming_t *irq, const sip_t *sip)
{
	su_home_t		 home[1] = { SU_HOME_INIT(home) };
	struct store_device	 sd;
	struct mdev		*d;
	struct nsub		*s = NULL;
	struct sipcheck		 ck;
	struct sipcheck_from	 from;
	struct sockaddr_storage	 ssa;
	tport_t			*tp = NULL;
	const char		*v[S_COUNT];
	char			 chal[DIGEST_CHALLENGE_MAX], srckey[SUBLIMIT_KEY_MAX];
	char			 source[80], addr[64], num[24], claimed[129];
	char			 dest[96], target[256], route[512], contact[200];
	char			 local[256], remote[256], ruri[256];
	unsigned long		 asked, granted;
	int			 initial, rc, st = 0;
	unsigned		 left;
	enum store_rc		 src;
	enum sublimit_rc	 lrc;
	uint64_t		 now = notifier_now_ms();

	if (sip->sip_call_id == NULL || sip->sip_from == NULL ||
	    sip->sip_to == NULL || sip->sip_cseq == NULL)
		return reply(irq, SIP_400_BAD_REQUEST, TAG_END());
	initial = sip->sip_to->a_tag == NULL;
	if (!initial) {
		/* RFC 6665 §4.1.2.1, RFC 3261 §12.2.2. */
		s = nsub_find(n, sip->sip_call_id->i_id, sip->sip_to->a_tag);
		if (s == NULL || s->ending || sip->sip_from->a_tag == NULL ||
		    strcmp(s->rtag, sip->sip_from->a_tag) != 0)
			return reply(irq, 481, "Subscription Does Not Exist",
			    TAG_END());
		if (sip->sip_cseq->cs_seq <= s->rcseq)
			return reply(irq, 500, "CSeq Out Of Order",
			    SIPTAG_RETRY_AFTER_STR("1"), TAG_END());
		s->rcseq = sip->sip_cseq->cs_seq;
	}
	source_of(n, irq, sip, &ssa, addr, sizeof(addr), source,
	    sizeof(source), dest, sizeof(dest), &from);
	guard_source(addr, srckey, sizeof(srckey));

	/* RFC 6665 §4.2.1.1 (489), RFC 5989 §6 (416), from sofia's parts. */
	sipcheck_head(sip, &from, &ck);
	if (ck.status == 489)
		return reply(irq, ck.status, ck.phrase,
		    SIPTAG_ALLOW_EVENTS_STR("http-monitor"), TAG_END());
	if (n->stopping)
		return reply(irq, 503, "Shutting Down",
		    SIPTAG_RETRY_AFTER_STR("30"), TAG_END());
	if (ck.status && initial)
		return reply(irq, ck.status, ck.phrase, TAG_END());
	ck.status = 0;	/* in a dialog the scheme was settled at its start */
	if (resource_begin(n->res) != 0)
		return reply(irq, 503, "Store Unavailable",
		    SIPTAG_RETRY_AFTER_STR("30"), TAG_END());
	/* The monitor URI's token names the device (RFC 5989 §3). */
	if (initial)
		src = ck.token[0] ? store_device_by_token(n->st, ck.token,
		    &sd) : STORE_NOTFOUND;
	else
		src = store_device_by_id(n->st, s->dev->id, &sd);
	if (src == STORE_NOTFOUND)
		return reply(irq, SIP_404_NOT_FOUND, TAG_END());
	if (src != STORE_OK)
		return reply(irq, 503, "Store Unavailable",
		    SIPTAG_RETRY_AFTER_STR("30"), TAG_END());
	/* RFC 5989 §4.5 (406), RFC 6665 §4.2.1.1 (423), where NOTIFYs go. */
	sipcheck_body(sip, &from, n->cfg->sub_min_expires,
	    n->cfg->sub_trust_contact, initial, &ck);
	if (ck.status == 406)
		return reply(irq, ck.status, ck.phrase,
		    SIPTAG_ACCEPT_STR("message/http"), TAG_END());
	if (ck.status == 423) {
		snprintf(num, sizeof(num), "%u", n->cfg->sub_min_expires);
		return reply(irq, ck.status, ck.phrase,
		    SIPTAG_MIN_EXPIRES_STR(num), TAG_END());
	}
	asked = ck.expires;
	/*
	 * An unsubscribe in the dialog is accepted as it is (RFC 6665
	 * §4.2.1.4): only those who know the dialog's Call-ID and both tags
	 * can send one, on the path of plain UDP/TCP, nobody over TLS.
	 */
	if (!initial && ck.has_expires && asked == 0 && ck.status == 0)
		goto accept;
	if (ck.status) {
		if (ck.status == 403)
			log_info("SUBSCRIBE from %s refused: its Contact is "
			    "elsewhere (sub_trust_contact off)", source);
		st = reply(irq, ck.status, ck.phrase, TAG_END());
		/* A refresh that moves the target elsewhere ends it. */
		if (!initial && ck.status == 403)
			nsub_free(n, s);
		return st;
	}
	claimed_user(sip, claimed, sizeof(claimed));
	if ((left = guard_blocked(n->guard, addr, claimed, time(NULL))) > 0) {
		snprintf(num, sizeof(num), "%u", left);
		return reply(irq, 503, "Too Many Failed Authentications",
		    SIPTAG_RETRY_AFTER_STR(num), TAG_END());
	}
	/* RFC 6665 §4.2.1.3: a notifier challenges with 401, never 407. */
	rc = authenticate(n, sip, sd.id, addr, chal, sizeof(chal));
	if (rc == 0)
		return reply(irq, SIP_401_UNAUTHORIZED,
		    SIPTAG_WWW_AUTHENTICATE_STR(chal), TAG_END());
	if (rc == -1)
		return reply(irq, 403, "No SIP Credentials For This Device",
		    TAG_END());
	if (rc < 0)
		return reply(irq, 503, "Store Unavailable",
		    SIPTAG_RETRY_AFTER_STR("30"), TAG_END());
	if (initial && n->nsubs >= n->cfg->sub_max)
		return reply(irq, 503, "Too Many Subscriptions",
		    SIPTAG_RETRY_AFTER_STR("300"), TAG_END());

accept:
	/*
	 * Authenticated: RFC 6011 §2.5.1.1, never rejected from here on
	 * but for the limits of one source and for memory.
	 * RFC 6665 §4.2.1.1: the 200's Expires may shorten, never lengthen.
	 */
	granted = asked < n->cfg->sub_max_expires ? asked :
	    n->cfg->sub_max_expires;
	snprintf(num, sizeof(num), "%lu", granted);
	/* The dialog's strings as this request sets them. */
	if (initial)
		memset(v, 0, sizeof(v));
	else
		nsub_current(s, v);
	target[0] = route[0] = '\0';
	if (sip->sip_contact)
		url_print(home, sip->sip_contact->m_url, target,
		    sizeof(target));
	if (initial) {
		url_print(home, sip->sip_to->a_url, local, sizeof(local));
		url_print(home, sip->sip_from->a_url, remote, sizeof(remote));
		url_print(home, sip->sip_request->rq_url, ruri, sizeof(ruri));
		if (target[0] == '\0' || local[0] == '\0' ||
		    remote[0] == '\0' || sip->sip_from->a_tag == NULL ||
		    route_set(home, sip, route, sizeof(route)) != 0) {
			su_home_deinit(home);
			return reply(irq, 400, "Contact, From, To Or "
			    "Record-Route Unusable", TAG_END());
		}
		v[S_CALLID] = sip->sip_call_id->i_id;
		v[S_RTAG] = sip->sip_from->a_tag;
		v[S_LOCAL] = local;
		v[S_REMOTE] = remote;
		v[S_ROUTE] = route;
		v[S_RURI] = ruri;
		if ((v[S_LTAG] = nta_incoming_tag(irq, NULL)) == NULL)
			goto nomem;
	}
	if (target[0])
		v[S_TARGET] = target;
	/* RFC 3581 and RFC 5923: the flow it came on, unless trusted. */
	v[S_DEST] = from.udp && !n->cfg->sub_trust_contact ? dest : "";
	if (!from.udp && !n->cfg->sub_trust_contact) {
		tp = nta_incoming_transport(n->agent, irq, NULL);
		if (tp && !tport_is_secondary(tp)) {
			tport_unref(tp);
			tp = NULL;
		}
	}
	if (initial) {
		if ((lrc = sublimit_take(n->persrc, srckey)) == SUBLIMIT_FULL) {
			log_info("SUBSCRIBE from %s refused: %u subscriptions "
			    "from %s (sub_per_source)", source,
			    n->cfg->sub_per_source, srckey);
			if (tp)
				tport_unref(tp);
			su_home_deinit(home);
			return reply(irq, 503, "Too Many Subscriptions From "
			    "This Source", SIPTAG_RETRY_AFTER_STR("300"),
			    TAG_END());
		}
		/* Out of memory: a 500 for this request, and nothing kept. */
		if (lrc != SUBLIMIT_OK || (s = npool_alloc(n->pool,
		    sizeof(*s))) == NULL || (s->n = n, nsub_strings(s, v)) != 0 ||
		    (d = dev_get(n, &sd)) == NULL) {
			if (lrc == SUBLIMIT_OK)
				sublimit_release(n->persrc, srckey);
			if (s) {
				npool_free(n->pool, s->str, s->strsize);
				npool_free(n->pool, s, sizeof(*s));
			}
			goto nomem;
		}
		s->dev = d;
		s->tls = from.tls;
		s->tcp = !from.tls && !from.udp;
		s->rcseq = sip->sip_cseq->cs_seq;
		if (util_random(&s->lcseq, sizeof(s->lcseq)) != 0)
			s->lcseq = 1;
		s->lcseq &= 0x7fffffff;	/* room to count up (§8.1.1.5) */
		snprintf(s->srckey, sizeof(s->srckey), "%s", srckey);
		s->local_id = ++n->next_local_id;
		s->created = time(NULL);
		s->dnext = d->subs;
		d->subs = s;
		s->next = n->subs;
		if (n->subs)
			n->subs->prev = s;
		n->subs = s;
		n->nsubs++;
		metrics_subscriptions_add(1);
		nsub_link(n, s);
		dev_make_room(n, d);
		if (n->cfg->access_log)
			log_info("subscription %lld: %s from %s over %s for "
			    "%lus", (long long)s->local_id, sd.sfua_id, source,
			    s->tls ? "tls" : s->tcp ? "tcp" : "udp", granted);
	} else if (nsub_strings(s, v) != 0) {
		if (tp)
			tport_unref(tp);
		goto nomem;
	}
	if (tp || !s->flow || from.udp) {
		/* A refresh over a new connection moves the flow to it. */
		if (s->flow)
			tport_unref(s->flow);
		s->flow = tp;
	}
	snprintf(s->source, sizeof(s->source), "%s", source);
	s->body = ck.body && n->cfg->notify_body;
	s->expires_ms = now + (uint64_t)granted * 1000;
	nsub_row_dirty(n, s);
	nsub_contact(n, s, contact, sizeof(contact));
	su_home_deinit(home);
	st = reply(irq, SIP_200_OK, SIPTAG_EXPIRES_STR(num),
	    SIPTAG_CONTACT_STR(contact), TAG_END());

	/* RFC 6665 §4.2.1.2: a NOTIFY with the current state, at once. */
	if (dev_refresh(n, s->dev) != 0 && s->dev->status == 0)
		s->dev->status = 503;
	if (granted == 0)
		/* Unsubscribe, or a fetch: the state, and the end. */
		nsub_notify(n, s, "terminated;reason=timeout");
	else {
		/* A refresh is answered with a NOTIFY too (§4.2.1.2). */
		if (s->orq)
			s->again = 1;
		else
			nsub_notify(n, s, NULL);
	}
	if (!initial || s->ending || s->orq != NULL)
		return st;
	/* No NOTIFY could go: the subscription does not stay. */
	nsub_free(n, s);
	return st;
nomem:
	su_home_deinit(home);
	log_warnx("%s: SUBSCRIBE refused: out of memory", sd.sfua_id);
	return reply(irq, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
}

int
nsub_request(struct notifier *n, nta_leg_t *leg, nta_incoming_t *irq,
    const sip_t *sip)
{
	(void)leg;
	switch (sip->sip_request->rq_method) {
	case sip_method_subscribe:
		return on_subscribe(n, irq, sip);
	case sip_method_options:
		/* RFC 3261 §11.2: what we do. */
		return reply(irq, SIP_200_OK, SIPTAG_ALLOW_STR(SIP_ALLOW),
		    SIPTAG_ALLOW_EVENTS_STR("http-monitor"),
		    SIPTAG_ACCEPT_STR("message/http"), TAG_END());
	case sip_method_cancel:
		/* RFC 3261 §9.2: nothing of ours to cancel. */
		return reply(irq, SIP_481_NO_TRANSACTION, TAG_END());
	case sip_method_ack:
		/* RFC 3261 §17: an ACK is never answered. */
		nta_incoming_destroy(irq);
		return 0;
	case sip_method_unknown:
		return reply(irq, SIP_501_NOT_IMPLEMENTED,
		    SIPTAG_ALLOW_STR(SIP_ALLOW), TAG_END());
	default:
		return reply(irq, SIP_405_METHOD_NOT_ALLOWED,
		    SIPTAG_ALLOW_STR(SIP_ALLOW), TAG_END());
	}
}
