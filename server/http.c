/*
 * http: the HTTPS front (see http.h).  Runs on libmicrohttpd's worker
 * threads; the struct http is read-only once started, except for the
 * in-flight counter (atomic) and the worker list (under a mutex, touched
 * once per thread).
 *
 * Design: every answer is built from resource_render(), whose result is
 * cached per thread until the store changes, so the hot path is one
 * `PRAGMA data_version`, the device and user lookups, and a hash probe.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "answers.h"
#include "config.h"
#include "conns.h"
#include "digest.h"
#include "feed.h"
#include "front.h"
#include "guard.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "request.h"
#include "resource.h"
#include "seen.h"
#include "tlsdomain.h"
#include "useragent.h"
#include "vpath.h"
#include "store.h"
#include "util.h"

#define URI_MAX		(REQUEST_QUERY_MAX + 512)

struct worker {
	struct worker	*next;
	struct resource	*res;
};

struct http {
	const struct config	*cfg;
	struct digest_ctx	*digest;
	struct guard		*guard;
	struct seen		*seen;
	struct MHD_Daemon	*d[CONFIG_LISTEN_MAX];
	size_t			 nd;
	char			*cert, *key;
	/*
	 * RFC 6011 §2.4.1, by SNI.  Replaced on SIGHUP; a replaced set is
	 * kept until http_stop(), as handshakes and requests in flight may
	 * still point into it.
	 */
	struct tlsdomains *_Atomic domains;
	struct tlsdomains	*retired[16];
	size_t			 nretired;
	atomic_uint		 inflight;
	struct conns		*conns;		/* all listeners' connections */
	pthread_mutex_t		 wmu;
	struct worker		*spare;		/* made ahead, not yet taken */
	struct worker		*workers;
	pthread_key_t		 wkey;
	/* Issue 11: one answer cache for every worker, kept by feed.c. */
	struct answers		*answers;
	struct feed		*feed;
};

/* A 200 response's body, wiped when libmicrohttpd lets it go. */
struct rendered_body {
	void		*p;
	size_t		 len;
};

/* Per request, from the URI log callback to the completion callback. */
struct req {
	char		 uri[URI_MAX];
	int		 uri_too_long;
	struct timespec	 start;
	const char	*route;		/* the metrics label (metrics.h) */
	unsigned	 status;
	size_t		 bytes;
	char		 addr[64];
	char		 device[REQUEST_ID_MAX];
	char		 user[REQUEST_FIELD_MAX];
	char		 note[48];
	char		 reason[64];	/* an error's, for the access line */
	int		 counted;
	int		 seen_headers;	/* the handler was called once */
	int64_t		 domain_id;	/* of the TLS session */
	char		 realm[129];	/* the domain's; "" = the store's */
	int		 old_password;	/* authenticated with a rotated one */
};

static void
client_addr(struct MHD_Connection *c, char *out, size_t len)
{
	const union MHD_ConnectionInfo	*ci;
	const struct sockaddr		*sa;

	snprintf(out, len, "-");
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		    out, (socklen_t)len);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
		    (socklen_t)len);
}

static void *
uri_logger(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct http			*h = cls;
	const union MHD_ConnectionInfo	*ci;
	struct req			*rq;
	size_t				 n = strlen(uri);

	/* A request line: the handshake is done, the deadline met. */
	if ((ci = MHD_get_connection_info(c,
	    MHD_CONNECTION_INFO_SOCKET_CONTEXT)) != NULL)
		conns_established(h->conns, ci->socket_context);

	if ((rq = calloc(1, sizeof(*rq))) == NULL)
		return NULL;
	if (n >= sizeof(rq->uri))
		rq->uri_too_long = 1;
	else
		memcpy(rq->uri, uri, n + 1);
	clock_gettime(CLOCK_MONOTONIC, &rq->start);
	rq->route = "other";
	client_addr(c, rq->addr, sizeof(rq->addr));
	return rq;
}

/*
 * Connections to conns.h: the per-source limit and the handshake
 * deadline at the accept, the busy count once a request line came.
 * libmicrohttpd 0.9.75 notifies CLOSED before it closes the socket, as
 * conns_close() requires.
 */
static void
conn_notify(void *cls, struct MHD_Connection *c, void **socket_ctx,
    enum MHD_ConnectionNotificationCode code)
{
	struct http			*h = cls;
	const union MHD_ConnectionInfo	*ci;
	char				 addr[64];

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		*socket_ctx = NULL;
		client_addr(c, addr, sizeof(addr));
		if ((ci = MHD_get_connection_info(c,
		    MHD_CONNECTION_INFO_CONNECTION_FD)) != NULL &&
		    (*socket_ctx = conns_open(h->conns, ci->connect_fd,
		    addr)) == NULL) {
			log_debug("%s: connection refused (max_per_ip %u)",
			    addr, h->cfg->max_per_ip);
			return;
		}
		/* Before the handshake: the per-domain client cert request. */
		if ((ci = MHD_get_connection_info(c,
		    MHD_CONNECTION_INFO_GNUTLS_SESSION)) != NULL &&
		    ci->tls_session != NULL)
			tlsdomains_session_init(ci->tls_session);
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		conns_close(h->conns, *socket_ctx);
		*socket_ctx = NULL;
	}
}

static void
completed(void *cls, struct MHD_Connection *c, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http		*h = cls;
	struct req		*rq = *req_cls;
	struct log_access_info	 a;
	double			 secs = 0;

	if (rq == NULL)
		return;
	if (rq->counted)
		atomic_fetch_sub(&h->inflight, 1);
	if (rq->status) {
		secs = metrics_since(&rq->start);
		metrics_http_observe(rq->route, rq->status, secs);
	}
	if (h->cfg->access_log && rq->status) {
		/* No URL: the query is logged as the device id. */
		memset(&a, 0, sizeof(a));
		a.addr = rq->addr;
		a.route = rq->route;
		a.status = rq->status;
		a.bytes = rq->bytes;
		a.us = (long)(secs * 1e6);
		a.device = rq->device;
		a.user = rq->user;
		a.note = rq->note;
		a.reason = rq->reason;
		log_access_fields(&a);
	}
	free(rq);
	*req_cls = NULL;
}

/*
 * A worker's store connection and resource.  Read and write: the
 * request path writes a TOFU pin (RFC 6011 §2.4.1) and consumes
 * one-time passwords, each one short statement; everything else it does
 * is reading.  The realm and path rules are read here once, so that a
 * worker made ahead serves cached answers with no store at all.
 */
static struct worker *
worker_new(struct http *h)
{
	struct worker		*w;
	struct resource_opts	 ro;
	struct store		*st;
	char			 err[512];

	st = store_open(h->cfg->store, STORE_RDWR | STORE_NOMIGRATE,
	    (int)h->cfg->busy_timeout_ms, err, sizeof(err));
	if (st == NULL) {
		log_warnx("worker store: %s", err);
		return NULL;
	}
	/* Issue 11: misses read through the page cache, not pread(2). */
	if (h->cfg->store_mmap_mb > 0)
		(void)store_mmap(st, (int64_t)h->cfg->store_mmap_mb << 20);
	http_resource_opts(h, &ro);
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->res = resource_new(st, &ro)) == NULL) {
		free(w);
		store_close(st);
		return NULL;
	}
	(void)resource_begin(w->res);
	resource_end(w->res);
	return w;
}

/*
 * The calling worker thread's: one made ahead at start-up (PostgreSQL,
 * issue 13 §4: a worker whose first request comes while the database is
 * away still serves what is cached), else a new one.
 */
static struct resource *
worker_resource(struct http *h)
{
	struct worker	*w = pthread_getspecific(h->wkey);

	if (w)
		return w->res;
	pthread_mutex_lock(&h->wmu);
	if ((w = h->spare) != NULL)
		h->spare = w->next;
	pthread_mutex_unlock(&h->wmu);
	if (w == NULL && (w = worker_new(h)) == NULL)
		return NULL;
	pthread_setspecific(h->wkey, w);
	pthread_mutex_lock(&h->wmu);
	w->next = h->workers;
	h->workers = w;
	pthread_mutex_unlock(&h->wmu);
	return w->res;
}

static enum MHD_Result
queue(struct MHD_Connection *c, struct req *rq, unsigned status,
    struct MHD_Response *r)
{
	enum MHD_Result	 ret;

	if (r == NULL)
		return MHD_NO;
	if (rq)
		rq->status = status;
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/*
 * An error with a one-line reason (BRIEF.md §6: clear 4xx).  A non-zero
 * retry adds Retry-After, which keeps the URL in a UA's list
 * (RFC 6011 §2.4.2).
 */
static enum MHD_Result
fail_retry(struct MHD_Connection *c, struct req *rq, unsigned status,
    unsigned retry, const char *reason)
{
	struct MHD_Response	*r;
	char			 body[300], ra[16];
	int			 n;

	n = snprintf(body, sizeof(body), "%s\n", reason);
	if (n < 0 || (size_t)n >= sizeof(body))
		n = (int)sizeof(body) - 1;
	r = MHD_create_response_from_buffer((size_t)n, body,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/plain; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (retry) {
		snprintf(ra, sizeof(ra), "%u", retry);
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	if (rq) {
		rq->bytes = (size_t)n;
		if (!rq->reason[0])
			snprintf(rq->reason, sizeof(rq->reason), "%s", reason);
	}
	return queue(c, rq, status, r);
}

static enum MHD_Result
fail(struct MHD_Connection *c, struct req *rq, unsigned status,
    const char *reason)
{
	return fail_retry(c, rq, status, 0, reason);
}

/* A client certificate refused (RFC 6011 §2.4.1): 403, counted. */
static enum MHD_Result
cert_refuse(struct MHD_Connection *c, struct req *rq, const char *reason)
{
	metrics_auth_failure(METRICS_AUTH_CERT);
	return fail(c, rq, MHD_HTTP_FORBIDDEN, reason);
}

/* 401 with both challenges, SHA-256 first (RFC 7616 §3.7). */
static enum MHD_Result
challenge(struct http *h, struct MHD_Connection *c, struct req *rq,
    const char *realm, int stale)
{
	struct MHD_Response	*r;
	char			 sha[DIGEST_CHALLENGE_MAX], md5[DIGEST_CHALLENGE_MAX];
	static const char	 body[] = "authentication required\n";
	time_t			 now = time(NULL);

	if (digest_challenge(h->digest, DIGEST_SHA256, realm, stale, now, sha,
	    sizeof(sha)) != 0 || digest_challenge(h->digest, DIGEST_MD5, realm,
	    stale, now, md5, sizeof(md5)) != 0)
		return fail_retry(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE,
		    h->cfg->retry_after, "cannot build a challenge");
	r = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body,
	    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/plain; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, sha);
	MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, md5);
	{
		char basic[300];
		snprintf(basic, sizeof(basic), "Basic realm=\"%s\", "
		    "charset=\"UTF-8\"", realm);
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		    basic);
	}
	rq->bytes = sizeof(body) - 1;
	if (stale)
		snprintf(rq->note, sizeof(rq->note), "stale-nonce");
	return queue(c, rq, MHD_HTTP_UNAUTHORIZED, r);
}

static void
cache_headers(struct MHD_Response *r, const struct rendered *a)
{
	char	 v[64];

	MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, a->etag);
	util_httpdate(a->last_modified, v, sizeof(v));
	MHD_add_response_header(r, MHD_HTTP_HEADER_LAST_MODIFIED, v);
	snprintf(v, sizeof(v), "private, max-age=%d", a->max_age);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, v);
	MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Authorization");
	/* RFC 6011 §2.5, §2.6.1: on the 200 and on every 304. */
	if (a->link[0][0])
		MHD_add_response_header(r, MHD_HTTP_HEADER_LINK, a->link[0]);
	if (a->link[1][0])
		MHD_add_response_header(r, MHD_HTTP_HEADER_LINK, a->link[1]);
}

static void
response_free(void *p)
{
	MHD_destroy_response(p);
}

static void
body_free(void *cls)
{
	struct rendered_body	*b = cls;

	util_wipe(b->p, b->len);
	free(b->p);
	free(b);
}

/*
 * The 200 and 304 responses of a rendering are built once, when it is
 * rendered (resource_opts.ext_build), and queued again for every request
 * that gets them (MHD counts references) until the answer cache drops
 * the entry.  The 200 owns the body: it lives as long as a slow reader
 * needs it, and is wiped when the last one is done (secrets stay in
 * memory only, issue 11).
 */
static void
build_responses(struct rendered *a)
{
	struct MHD_Response	*r;
	struct rendered_body	*b;

	if ((b = malloc(sizeof(*b))) == NULL)
		return;
	b->p = a->body;
	b->len = a->len;
	r = MHD_create_response_from_buffer_with_free_callback_cls(a->len,
	    a->body, body_free, b);
	if (r == NULL) {
		free(b);
		return;
	}
	a->body_given = 1;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    a->content_type);
	cache_headers(r, a);
	a->ext[0] = r;
	a->ext_free = response_free;
	if ((r = MHD_create_response_from_buffer(0, NULL,
	    MHD_RESPMEM_PERSISTENT)) != NULL) {
		cache_headers(r, a);
		a->ext[1] = r;
	}
}

static enum MHD_Result
queue_answer(struct MHD_Connection *c, struct req *rq, unsigned status,
    const struct rendered *a, int slot)
{
	struct MHD_Response	*r = a->ext[slot];
	enum MHD_Result		 ret;

	rq->status = status;
	if (r != NULL)
		return MHD_queue_response(c, status, r);
	/* Built without memory for it: one for this request alone. */
	r = status == MHD_HTTP_OK ? MHD_create_response_from_buffer(a->len,
	    a->body, MHD_RESPMEM_MUST_COPY) :
	    MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	if (status == MHD_HTTP_OK)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
		    a->content_type);
	cache_headers(r, a);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
answer(struct http *h, struct MHD_Connection *c, struct req *rq,
    const struct rendered *a)
{
	if (front_not_modified(MHD_lookup_connection_value(c,
	    MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH),
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_IF_MODIFIED_SINCE), a->etag, a->last_modified)) {
		/* RFC 6011 §2.6.1: 304 with the same metadata. */
		return queue_answer(c, rq, MHD_HTTP_NOT_MODIFIED, a, 1);
	}
	rq->bytes = a->len;
	return queue_answer(c, rq, MHD_HTTP_OK, a, 0);
}

static enum MHD_Result
render_and_answer(struct http *h, struct MHD_Connection *c, struct req *rq,
    struct resource *res, const struct store_device *dev,
    const struct cfg_request *q, int full)
{
	const struct rendered	*a;
	struct store_seen	 s;
	struct ua_info		 uai;
	const char		*ua;
	char			 reason[512];

	switch (resource_render(res, dev, q, full, &a, reason,
	    sizeof(reason))) {
	case RES_OK:
		break;
	case RES_NOTEMPLATE:
		log_warnx("%s: %s", q->sfua_id, reason);
		return fail(c, rq, MHD_HTTP_NOT_FOUND,
		    "no configuration template matches this device");
	case RES_TEMPLATE_ERROR:
		log_warnx("%s: %s", q->sfua_id, reason);
		return fail(c, rq, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "configuration template error (see the server log)");
	default:
		log_warnx("%s: store: %s", q->sfua_id, reason);
		return fail_retry(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE,
		    h->cfg->retry_after, "configuration store unavailable");
	}
	if (dev) {
		memset(&s, 0, sizeof(s));
		s.device_id = dev->id;
		s.when = time(NULL);
		snprintf(s.etag, sizeof(s.etag), "%s", a->etag);
		snprintf(s.addr, sizeof(s.addr), "%s", rq->addr);
		ua = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_USER_AGENT);
		snprintf(s.ua, sizeof(s.ua), "%s", ua ? ua : "");
		/* What is really in the field (issue 5): model, firmware. */
		if (ua && useragent_parse(ua, &uai)) {
			snprintf(s.ua_vendor, sizeof(s.ua_vendor), "%s",
			    uai.vendor);
			snprintf(s.ua_model, sizeof(s.ua_model), "%s",
			    uai.model);
			snprintf(s.ua_firmware, sizeof(s.ua_firmware), "%s",
			    uai.firmware);
		}
		snprintf(s.revision, sizeof(s.revision), "%s", q->revision);
		s.secrets = full;
		seen_push(h->seen, &s);
	}
	if (!full)
		snprintf(rq->note, sizeof(rq->note), "secret-free");
	return answer(h, c, rq, a);
}

/*
 * RFC 6011 §5: a one-time password is good only inside its window;
 * outside, it is a wrong password like any other.
 */
static int
otp_in_window(const struct store_user *u, time_t now)
{
	return (u->otp_not_before == 0 || now >= u->otp_not_before) &&
	    (u->otp_not_after == 0 || now <= u->otp_not_after);
}

/*
 * The first use of a one-time password (RFC 6011 §5): replace it with a
 * long-term password the answer carries.  Only a GET uses it up (a HEAD
 * has no body to carry the new password).  1: go on with the answer;
 * 0: *ret holds the answer.
 */
static int
otp_use(struct http *h, struct MHD_Connection *c, struct req *rq,
    struct resource *res, const struct store_user *u, const char *method,
    const char *realm, time_t now, enum MHD_Result *ret)
{
	char	 reason[600];

	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0)
		return 1;
	switch (resource_otp_consume(res, u, now, reason, sizeof(reason))) {
	case RES_OTP_WON:
		log_info("%s: user %s: one-time credential used up, long-term "
		    "one issued", rq->addr, u->name);
		snprintf(rq->note, sizeof(rq->note), "otp-used");
		return 1;
	case RES_OTP_LOST:
		/* A concurrent request won: this one is a wrong password. */
		guard_fail(h->guard, rq->addr, u->name, now);
		snprintf(rq->note, sizeof(rq->note), "otp-already-used");
		*ret = challenge(h, c, rq, realm, 0);
		return 0;
	case RES_OTP_NOKEY:
		/*
		 * 503 and not 401: the credential was right and stays
		 * unused, and Retry-After keeps the URL in the UA's list
		 * (RFC 6011 §2.4.2) until the operator installs the key.
		 */
		log_warnx("%s: user %s: %s", rq->addr, u->name, reason);
		*ret = fail_retry(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE,
		    h->cfg->retry_after, "cannot issue credentials now");
		return 0;
	default:
		log_warnx("%s: user %s: store: %s", rq->addr, u->name, reason);
		*ret = fail_retry(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE,
		    h->cfg->retry_after, "configuration store unavailable");
		return 0;
	}
}

/*
 * RFC 6011 §2.4.1 authentication; returns 1 if authenticated.  Two
 * passwords may be good (RFC 6011 §5): the current one (a one-time
 * password only inside its window) and, during a rotation's overlap,
 * the old one.  Both are always checked, against placeholders when
 * absent, so the time taken says nothing about which exist.
 */
static int
authenticate(struct http *h, struct MHD_Connection *c, struct req *rq,
    struct resource *res, const struct cfg_request *q, const char *method,
    int bind_sfua_user, struct store_user *u, enum MHD_Result *ret)
{
	struct digest_creds	 cr;
	const char		*hdr, *realm = rq->realm[0] ? rq->realm :
				    resource_realm(res);
	const char		*md5s[2], *shas[2];
	enum store_rc		 src;
	enum auth_kind		 kind;
	enum digest_result	 dr = DIGEST_FAIL;
	time_t			 now = time(NULL);
	unsigned		 left;
	size_t			 which = 0;
	int			 ok = 0, good[2], b0, b1;
	/*
	 * Compared against when the user is unknown, or a password is
	 * absent or out of its window, so every case costs the same; a
	 * match with one is never accepted (anyone can compute a Digest
	 * response from a known HA1).
	 */
	static const char	 nomd5[] = "00000000000000000000000000000000";
	static const char	 nosha[] = "0000000000000000000000000000000000"
	    "000000000000000000000000000000";

	hdr = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	kind = digest_parse(hdr, &cr);
	/*
	 * BRIEF.md §6: blocked per source and per user name tried from it
	 * (guard.h), so the check needs the name the credentials claim.
	 */
	if ((left = guard_blocked(h->guard, rq->addr, kind == AUTH_BASIC ||
	    kind == AUTH_DIGEST ? cr.username : NULL, now)) > 0) {
		digest_creds_wipe(&cr);
		*ret = fail_retry(c, rq, 429, left,
		    "too many failed authentications; try again later");
		return 0;
	}
	/*
	 * RFC 7235 §3.1: credentials in a scheme we do not offer are
	 * answered with our challenges; a malformed Basic or Digest is a 400.
	 */
	if (kind == AUTH_NONE || kind == AUTH_OTHER) {
		*ret = challenge(h, c, rq, realm, 0);
		return 0;
	}
	if (kind == AUTH_BAD) {
		metrics_auth_failure(METRICS_AUTH_MALFORMED);
		digest_creds_wipe(&cr);
		*ret = fail(c, rq, MHD_HTTP_BAD_REQUEST,
		    "malformed Authorization header");
		return 0;
	}
	snprintf(rq->user, sizeof(rq->user), "%s", cr.username);
	/* RFC 6011 §2.4.1: the username MUST equal sfua-user. */
	if (bind_sfua_user && (!(q->have & REQ_HAVE_USER) ||
	    strcmp(cr.username, q->user) != 0)) {
		metrics_auth_failure(METRICS_AUTH_USER_MISMATCH);
		digest_creds_wipe(&cr);
		*ret = fail(c, rq, MHD_HTTP_FORBIDDEN,
		    "the authentication username must equal sfua-user");
		return 0;
	}
	src = resource_user(res, cr.username, u);
	/* A user of another CS domain is no user here. */
	if (src == STORE_OK && u->domain_id != rq->domain_id)
		src = STORE_NOTFOUND;
	if (src != STORE_OK && src != STORE_NOTFOUND) {
		digest_creds_wipe(&cr);
		*ret = fail_retry(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE,
		    h->cfg->retry_after, "configuration store unavailable");
		return 0;
	}
	good[0] = src == STORE_OK && (!u->otp || otp_in_window(u, now));
	good[1] = src == STORE_OK && !u->otp && u->old_until > now &&
	    u->old_ha1_md5[0] != '\0' && u->old_ha1_sha256[0] != '\0';
	md5s[0] = good[0] ? u->ha1_md5 : nomd5;
	shas[0] = good[0] ? u->ha1_sha256 : nosha;
	md5s[1] = good[1] ? u->old_ha1_md5 : nomd5;
	shas[1] = good[1] ? u->old_ha1_sha256 : nosha;
	if (kind == AUTH_BASIC) {
		b0 = digest_basic_check(&cr, DIGEST_SHA256,
		    src == STORE_OK ? u->realm : realm, shas[0]) && good[0];
		b1 = digest_basic_check(&cr, DIGEST_SHA256,
		    src == STORE_OK ? u->realm : realm, shas[1]) && good[1];
		ok = b0 || b1;
		which = b0 ? 0 : 1;
		dr = ok ? DIGEST_OK : DIGEST_FAIL;
	} else {
		dr = digest_verify_any(h->digest, &cr, method, rq->uri, realm,
		    cr.alg == DIGEST_SHA256 ? shas : md5s, 2, 0, now, &which);
		if (dr != DIGEST_FAIL && !good[which])
			dr = DIGEST_FAIL;
		ok = dr == DIGEST_OK;
	}
	digest_creds_wipe(&cr);
	/* A one-time password is used up by the caller (otp_use()). */
	if (ok) {
		guard_ok(h->guard, rq->addr, rq->user);
		/* The answer will not carry the new one (resource.h). */
		if ((rq->old_password = which == 1) != 0)
			snprintf(rq->note, sizeof(rq->note), "old-password");
		return 1;
	}
	if (dr == DIGEST_STALE) {
		*ret = challenge(h, c, rq, realm, 1);
		return 0;
	}
	/* Unknown user and wrong password look the same (BRIEF.md §6). */
	guard_fail(h->guard, rq->addr, rq->user, now);
	metrics_auth_failure(dr == DIGEST_REPLAY ? METRICS_AUTH_REPLAY :
	    kind == AUTH_BASIC ? METRICS_AUTH_BASIC : METRICS_AUTH_DIGEST);
	snprintf(rq->note, sizeof(rq->note), dr == DIGEST_REPLAY ?
	    "auth-replay" : "auth-failed");
	*ret = challenge(h, c, rq, realm, 0);
	return 0;
}

/*
 * A vendor file name (BRIEF.md §3) to the request facts by the store's
 * path rules (front_vendor_match()).  STORE_NOTFOUND when no rule
 * matches.
 */
static enum store_rc
vendor_request(struct resource *res, const char *name, struct cfg_request *q)
{
	const struct store_path_rule	*rules;
	size_t				 n;
	enum store_rc			 rc;

	if ((rc = resource_path_rules(res, &rules, &n)) != STORE_OK)
		return rc;
	return front_vendor_match(rules, n, name, q) ? STORE_OK :
	    STORE_NOTFOUND;
}

static enum MHD_Result
count_host(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	unsigned	*n = cls;

	(void)kind;
	(void)value;
	if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0)
		(*n)++;
	return MHD_YES;
}

static gnutls_session_t
tls_session(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo	*ci;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	return ci ? ci->tls_session : NULL;
}

/*
 * RFC 6011 §2.4.1: "The CS MUST validate the UA client's certificate, if
 * one is provided."  A certificate validated against the domain's CAs
 * that names devices (a MAC or an sfua-id in its subject CN or
 * subjectAltNames) is bound to them: it can fetch nothing for another
 * device.  One that does not validate is held to the device's pin; with
 * no pin yet and trust on first use allowed, *pin is set and the caller
 * pins it.  dev is NULL before authentication (unknown and pending
 * devices), so refusals that would tell a device exists come after it.
 * Returns 1 to go on, 0 with the refusal queued in *ret.
 */
static int
client_cert_check(struct http *h, struct MHD_Connection *c, struct req *rq,
    struct resource *res, const struct tlsdomain_info *di,
    const struct cfg_request *q, const struct store_device *dev,
    struct peer_cert *pc, int *pin, enum MHD_Result *ret)
{
	enum store_pin_result	 pr;
	enum client_cert_policy	 pol = dev && dev->client_cert !=
				    CLIENT_CERT_INHERIT ? dev->client_cert :
				    di->client_cert;

	*pin = 0;
	if (pol == CLIENT_CERT_IGNORE) {
		pc->kind = PEER_NONE;
		return 1;
	}
	tlsdomains_peer(atomic_load(&h->domains), di, tls_session(c), pc);
	switch (pc->kind) {
	case PEER_NONE:
		if (pol == CLIENT_CERT_REQUIRED) {
			*ret = cert_refuse(c, rq,
			    "a client certificate is required");
			return 0;
		}
		/* A pinned device has its certificate: it MUST present it. */
		if (dev != NULL && dev->has_pin) {
			snprintf(rq->note, sizeof(rq->note), "cert-missing");
			*ret = cert_refuse(c, rq, "this device has "
			    "a pinned client certificate: present it");
			return 0;
		}
		return 1;
	case PEER_BAD:
		*ret = cert_refuse(c, rq,
		    "unreadable client certificate");
		return 0;
	case PEER_VALID:
		if (peer_names_device(pc, dev ? dev->sfua_id : q->sfua_id,
		    dev ? dev->mac : q->mac) == 0) {
			log_warnx("%s: client certificate %s (%s) is bound to "
			    "another device than %s", rq->addr, pc->sha256,
			    pc->subject, dev ? dev->sfua_id : q->sfua_id);
			snprintf(rq->note, sizeof(rq->note),
			    "cert-other-device");
			*ret = cert_refuse(c, rq,
			    "the client certificate is for another device");
			return 0;
		}
		/*
		 * A pinned device presents the pinned certificate, whatever
		 * a CA says of another one (sipcfgd(8)): checked below,
		 * without pinning.  Otherwise a valid one is enough.
		 */
		if (dev == NULL || !dev->has_pin)
			return 1;
		break;
	case PEER_UNTRUSTED:
		break;
	}
	if (dev == NULL)
		return 1;	/* nothing to pin to: secret-free anyway */
	if (store_device_pin(resource_store(res), dev->id, pc->sha256,
	    pc->subject, rq->addr, 0, &pr) != STORE_OK) {
		*ret = fail_retry(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE,
		    h->cfg->retry_after, "configuration store unavailable");
		return 0;
	}
	switch (pr) {
	case PIN_MATCH:
	case PIN_NEW:
		return 1;
	case PIN_MISMATCH:
		log_warnx("%s: device %s presented client certificate %s (%s), "
		    "not the one pinned to it; refused (sipcfg device unpin "
		    "clears the pin)", rq->addr, dev->sfua_id, pc->sha256,
		    pc->subject);
		snprintf(rq->note, sizeof(rq->note), "cert-pin-mismatch");
		*ret = cert_refuse(c, rq, "the client certificate "
		    "is not the one pinned to this device");
		return 0;
	case PIN_NONE:
		if (pc->kind == PEER_VALID)
			return 1;	/* unpinned since the lookup */
		break;
	}
	if (!di->tofu) {
		snprintf(rq->note, sizeof(rq->note), "cert-untrusted");
		*ret = cert_refuse(c, rq,
		    "the client certificate is not trusted");
		return 0;
	}
	*pin = 1;
	return 1;
}

/*
 * 200 while the store can be reached; 503 with Retry-After while it
 * cannot (issue 13 §4: cached answers are still served then, the rest
 * get 503), so that a balancer sends new devices elsewhere.
 */
static enum MHD_Result
readiness(struct http *h, struct MHD_Connection *c, struct req *rq)
{
	struct MHD_Response	*r;
	static const char	 b[] = "ready\n";

	if (!feed_store_up(h->feed))
		return fail_retry(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE,
		    h->cfg->retry_after,
		    "not ready: the configuration store cannot be reached");
	r = MHD_create_response_from_buffer(sizeof(b) - 1, (void *)b,
	    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/plain; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	rq->bytes = sizeof(b) - 1;
	return queue(c, rq, MHD_HTTP_OK, r);
}

static enum MHD_Result
handle_req(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **req_cls)
{
	struct http		*h = cls;
	struct req		*rq = *req_cls;
	struct resource		*res;
	struct cfg_request	 q;
	struct store_device	 dev;
	struct store_user	 u;
	struct peer_cert	 pc;
	enum store_pin_result	 pr;
	const struct tlsdomain_info *di;
	struct front_in		 fi;
	struct front_route	 fr;
	char			 err[160];
	unsigned		 status;
	enum store_rc		 src;
	enum MHD_Result		 ret = MHD_NO;
	int			 vendor, pin;

	if (rq == NULL)
		return MHD_NO;	/* out of memory in uri_logger */
	if (*upload_size) {
		*upload_size = 0;	/* a body on GET/HEAD is ignored */
		return MHD_YES;
	}
	if (rq->status)
		return MHD_YES;
	/*
	 * libmicrohttpd 0.9.75 refuses keep-alive for a response queued on
	 * the first call (headers only); answering on the second call keeps
	 * the connection, which matters most for TLS.
	 */
	if (!rq->seen_headers) {
		rq->seen_headers = 1;
		return MHD_YES;
	}
	if (rq->uri_too_long)
		return fail(c, rq, MHD_HTTP_URI_TOO_LONG, "request URI too long");
	/* Readiness, for a load balancer or an orchestrator (sipcfgd(8)). */
	if (strcmp(rq->uri, "/readyz") == 0 && (strcmp(method, "GET") == 0 ||
	    strcmp(method, "HEAD") == 0)) {
		rq->route = "readyz";
		return readiness(h, c, rq);
	}
	/*
	 * The route, method, Host and query (front.h): the same code the
	 * fuzz target drives.  BRIEF.md §3: vendor_paths holds the file
	 * names legacy phones ask for.
	 */
	fi.method = method;
	fi.uri = rq->uri;
	fi.host = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_HOST);
	fi.nhost = 0;
	MHD_get_connection_values(c, MHD_HEADER_KIND, count_host, &fi.nhost);
	fi.http11 = strcmp(version, MHD_HTTP_VERSION_1_1) == 0;
	status = front_route(&fi, h->cfg->base_path, h->cfg->vendor_paths,
	    &fr, err, sizeof(err));
	if (fr.matched)
		rq->route = fr.vendor ? "vendor_path" : "config";
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED) {
		struct MHD_Response *r;
		static const char b[] = "method not allowed; use GET or HEAD\n";

		r = MHD_create_response_from_buffer(sizeof(b) - 1, (void *)b,
		    MHD_RESPMEM_PERSISTENT);
		if (r == NULL)
			return MHD_NO;
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
		    "text/plain; charset=utf-8");
		return queue(c, rq, MHD_HTTP_METHOD_NOT_ALLOWED, r);
	}
	if (status != 0)
		return fail(c, rq, status, err);
	vendor = fr.vendor;
	if (!vendor) {
		q = fr.q;
		snprintf(rq->device, sizeof(rq->device), "%s", q.sfua_id);
	}
	/* RFC 6011 §2.4.1: the TLS server_name is the CS domain. */
	if ((di = tlsdomains_of(atomic_load(&h->domains), tls_session(c))) ==
	    NULL)
		return fail(c, rq, MHD_HTTP_MISDIRECTED_REQUEST,
		    "no configuration service domain for this connection");
	rq->domain_id = di->id;
	snprintf(rq->realm, sizeof(rq->realm), "%s", di->realm);

	/* BRIEF.md §2, RFC 6011 §2.4.2: overload is a 503 + Retry-After. */
	rq->counted = 1;
	if (atomic_fetch_add(&h->inflight, 1) >= h->cfg->max_inflight ||
	    (h->cfg->busy_connections &&
	    conns_established_count(h->conns) > h->cfg->busy_connections))
		return fail_retry(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE,
		    h->cfg->retry_after, "server busy");
	if ((res = worker_resource(h)) == NULL || resource_begin(res) != 0)
		return fail_retry(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE,
		    h->cfg->retry_after, "configuration store unavailable");
	if (vendor) {
		switch (vendor_request(res, fr.name, &q)) {
		case STORE_OK:
			break;
		case STORE_NOTFOUND:
			return fail(c, rq, MHD_HTTP_NOT_FOUND,
			    "no such resource");
		default:
			return fail_retry(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE,
			    h->cfg->retry_after,
			    "configuration store unavailable");
		}
		snprintf(rq->device, sizeof(rq->device), "%s", q.sfua_id);
	}

	q.domain_id = rq->domain_id;
	src = resource_device(res, &q, &dev);
	if (src != STORE_OK && src != STORE_NOTFOUND)
		return fail_retry(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE,
		    h->cfg->retry_after, "configuration store unavailable");
	/*
	 * Before authentication only what tells nothing about the device:
	 * the domain's policy, and a certificate bound to other devices.
	 */
	if ((src == STORE_NOTFOUND || dev.state == DEVICE_PENDING) &&
	    !client_cert_check(h, c, rq, res, di, &q, NULL, &pc, &pin, &ret))
		return ret;
	if (h->cfg->unknown != UNKNOWN_DENY) {
		/* Existence shows anyway: unknown devices get an answer. */
		if (src == STORE_NOTFOUND && h->cfg->unknown == UNKNOWN_ENROLL)
			seen_enroll(h->seen, q.domain_id, q.sfua_id, q.mac,
			    q.vendor, q.model, rq->addr);
		if (src == STORE_NOTFOUND)
			return render_and_answer(h, c, rq, res, NULL, &q, 0);
		if (dev.state == DEVICE_PENDING)
			return render_and_answer(h, c, rq, res, &dev, &q, 0);
	}
	/*
	 * Under unknown_device deny nothing is told before authentication
	 * (BRIEF.md §6: no enumeration): an unknown, disabled, pending or
	 * user-less device gets the same challenge as an active one, and
	 * the reason only once a user is proven.  A vendor path names no
	 * sfua-user: the device's own user, proven by Basic or Digest, is
	 * checked below like any other.
	 */
	if (!authenticate(h, c, rq, res, &q, method, !vendor, &u, &ret))
		return ret;
	if (src == STORE_NOTFOUND)
		return fail(c, rq, MHD_HTTP_NOT_FOUND, "unknown device");
	if (dev.state == DEVICE_DISABLED)
		return fail(c, rq, MHD_HTTP_FORBIDDEN, "device disabled");
	if (dev.state == DEVICE_PENDING)
		return render_and_answer(h, c, rq, res, &dev, &q, 0);
	if (dev.user_id == 0)
		return fail(c, rq, MHD_HTTP_FORBIDDEN,
		    "device has no user assigned");
	if (u.id != dev.user_id)
		return fail(c, rq, MHD_HTTP_FORBIDDEN,
		    "user not authorized for this device");
	if (!client_cert_check(h, c, rq, res, di, &q, &dev, &pc, &pin, &ret))
		return ret;
	/*
	 * Only now, with the device's own user proven, is a one-time
	 * password used up: a refusal above leaves it good.
	 */
	if (u.otp && !otp_use(h, c, rq, res, &u, method, rq->realm[0] ?
	    rq->realm : resource_realm(res), time(NULL), &ret))
		return ret;
	/*
	 * RFC 6011 §2.4.1 trust on first use: the HTTP credentials vouch
	 * for the certificate the device presented with them.
	 */
	if (pin) {
		if (store_device_pin(resource_store(res), dev.id, pc.sha256,
		    pc.subject, rq->addr, 1, &pr) != STORE_OK)
			return fail_retry(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE,
			    h->cfg->retry_after,
			    "configuration store unavailable");
		if (pr == PIN_MISMATCH)	/* another certificate won a race */
			return cert_refuse(c, rq, "the client "
			    "certificate is not the one pinned to this device");
		if (pr == PIN_NEW) {
			log_info("%s: device %s: client certificate %s (%s) "
			    "pinned on first use", rq->addr, dev.sfua_id,
			    pc.sha256, pc.subject);
			/* has_pin changed: its look-up, no answer. */
			resource_changed(res, CHG_PIN, dev.id);
		}
	}
	return render_and_answer(h, c, rq, res, &dev, &q, rq->old_password ?
	    RESOURCE_FULL_OLD : RESOURCE_FULL);
}

/* Every request ends its resource's pins and read transaction. */
static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **req_cls)
{
	struct http	*h = cls;
	struct worker	*w;
	enum MHD_Result	 ret;

	ret = handle_req(cls, c, url, method, version, upload, upload_size,
	    req_cls);
	if ((w = pthread_getspecific(h->wkey)) != NULL)
		resource_end(w->res);
	return ret;
}

void
http_resource_opts(struct http *h, struct resource_opts *ro)
{
	resource_opts_init(ro, h->cfg);
	ro->shared = h->answers;
	/* answer_cache_mb 0: nothing is kept, not even per worker. */
	if (h->answers == NULL)
		ro->cache_bytes = 1;
	ro->ext_build = build_responses;
	ro->read_txn = 1;	/* handle() ends each request's */
	ro->arena = 1;		/* sipcfgd calls arena_install() */
}

void
http_log_stats(struct http *h)
{
	if (h->answers)
		answers_log_stats(h->answers);
	else	/* answer_cache_mb 0: off */
		log_info("cache: 0 answers, 0 devices, 0 users, 0 of 0 bytes; "
		    "hits 0, misses 0; dropped 0 by changes, 0 by the bound; "
		    "0 changes read, 0 commits touched nothing");
}

static char *
slurp(const char *path)
{
	char	*b;

	if ((b = util_slurp(path, 1 << 20, NULL)) == NULL)
		log_warn("%s", path);
	return b;
}

/* The CS domains and their certificates (RFC 6011 §2.4.1), by SNI. */
static int
load_domains(struct http *h)
{
	struct store		*st;
	struct tlsdomains	*t, *old;
	char			 err[512];

	if (h->nretired == sizeof(h->retired) / sizeof(h->retired[0])) {
		log_warnx("domains reloaded %zu times: restart sipcfgd to "
		    "reload them again", h->nretired);
		return -1;
	}
	if ((st = store_open(h->cfg->store, STORE_RDWR | STORE_NOMIGRATE, 0,
	    err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		return -1;
	}
	t = tlsdomains_load(st, h->cert, h->key, err, sizeof(err));
	store_close(st);
	if (t == NULL) {
		log_warnx("%s", err);
		return -1;
	}
	tlsdomains_activate(t);
	if ((old = atomic_exchange(&h->domains, t)) != NULL)
		h->retired[h->nretired++] = old;
	if (tlsdomains_count(t) > 1)
		log_info("serving %zu configuration service domains by SNI",
		    tlsdomains_count(t));
	return 0;
}

int
http_reload_domains(struct http *h)
{
	return load_domains(h);
}

static void
worker_free(void *p)
{
	(void)p;	/* freed in http_stop(), after the pools have joined */
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char	 line[512];
	size_t	 n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	log_debug("mhd: %s", line);
}

int
http_listen_addr(const struct config_listen *l, const char *what,
    struct sockaddr_storage *ss, unsigned *flags)
{
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in	*s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (l->host[0] == '\0') {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)l->port);
		s6->sin6_addr = in6addr_any;
		*flags |= MHD_USE_DUAL_STACK;
	} else if (strchr(l->host, ':')) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)l->port);
		if (inet_pton(AF_INET6, l->host, &s6->sin6_addr) != 1) {
			log_warnx("%s %s: not an IPv6 address", what, l->host);
			return -1;
		}
		*flags |= MHD_USE_IPv6;
	} else {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)l->port);
		if (inet_pton(AF_INET, l->host, &s4->sin_addr) != 1) {
			log_warnx("%s %s: not an IPv4 address (use a numeric "
			    "address)", what, l->host);
			return -1;
		}
	}
	return 0;
}

struct http *
http_start(const struct config *cfg, struct digest_ctx *dg, struct guard *g,
    struct seen *s, char *bound, size_t boundlen)
{
	struct http		*h;
	struct sockaddr_storage	 ss;
	const union MHD_DaemonInfo *di;
	size_t			 i, off = 0;
	unsigned		 flags;
	char			 host[INET6_ADDRSTRLEN + 2];
	int			 n;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	h->cfg = cfg;
	h->digest = dg;
	h->guard = g;
	h->seen = s;
	seen_enroll_limits(s, &(struct seen_enroll_limits){ cfg->enroll_max,
	    cfg->enroll_max_per_ip, cfg->enroll_rate, cfg->enroll_expire });
	pthread_mutex_init(&h->wmu, NULL);
	pthread_key_create(&h->wkey, worker_free);
	if ((h->conns = conns_new(cfg->max_per_ip,
	    cfg->handshake_timeout * 1000)) == NULL) {
		log_warnx("cannot start the connection reaper");
		free(h);
		return NULL;
	}
	if (cfg->answer_cache_mb > 0 && (h->answers =
	    answers_new((size_t)cfg->answer_cache_mb << 20)) == NULL) {
		log_warnx("answer cache: out of memory");
		goto fail;
	}
	if ((h->cert = slurp(cfg->cert)) == NULL ||
	    (h->key = slurp(cfg->key)) == NULL ||
	    load_domains(h) != 0)
		goto fail;
	/*
	 * PostgreSQL: each listener's worker threads find their connection
	 * made, so that cached answers are served by every worker while
	 * the database is away (a SQLite file is opened on first use).
	 */
	for (i = 0; store_is_pg(cfg->store) && i < (size_t)cfg->nlisten *
	    (cfg->threads > 1 ? cfg->threads : 1); i++) {
		struct worker	*w;

		if ((w = worker_new(h)) == NULL)
			goto fail;
		w->next = h->spare;
		h->spare = w;
	}
	bound[0] = '\0';
	for (i = 0; i < cfg->nlisten; i++) {
		const struct config_listen *l = &cfg->listen[i];

		flags = MHD_USE_TLS | MHD_USE_EPOLL_INTERNAL_THREAD |
		    MHD_USE_TURBO | MHD_USE_ERROR_LOG;
		if (http_listen_addr(l, "listen", &ss, &flags) != 0)
			goto fail;
		h->d[h->nd] = MHD_start_daemon(flags, (uint16_t)l->port, NULL,
		    NULL, handle, h,
		    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		    MHD_OPTION_HTTPS_CERT_CALLBACK, tlsdomains_cert_cb,
		    MHD_OPTION_HTTPS_PRIORITIES, HTTP_TLS_PRIORITIES,
		    /*
		     * A pool of 1 is no pool, but libmicrohttpd warns about
		     * it: then the slot carries an option of the same type
		     * that changes nothing (the backlog is set below too).
		     */
		    cfg->threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE :
		    MHD_OPTION_LISTEN_BACKLOG_SIZE,
		    cfg->threads > 1 ? cfg->threads : 1024u,
		    MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections,
		    MHD_OPTION_CONNECTION_TIMEOUT, cfg->connection_timeout,
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
		    MHD_OPTION_URI_LOG_CALLBACK, uri_logger, h,
		    MHD_OPTION_NOTIFY_COMPLETED, completed, h,
		    MHD_OPTION_NOTIFY_CONNECTION, conn_notify, h,
		    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h,
		    MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024,
		    MHD_OPTION_END);
		if (h->d[h->nd] == NULL) {
			log_warnx("cannot listen on %s%s%s:%u (address in use, "
			    "bad certificate or key?)", strchr(l->host, ':') ?
			    "[" : "", l->host[0] ? l->host : "*",
			    strchr(l->host, ':') ? "]" : "", l->port);
			goto fail;
		}
		di = MHD_get_daemon_info(h->d[h->nd], MHD_DAEMON_INFO_BIND_PORT);
		h->nd++;
		if (l->host[0] == '\0')
			snprintf(host, sizeof(host), "[::]");
		else if (strchr(l->host, ':'))
			snprintf(host, sizeof(host), "[%s]", l->host);
		else
			snprintf(host, sizeof(host), "%s", l->host);
		n = snprintf(bound + off, boundlen - off, "%shttps://%s:%u%s",
		    off ? " " : "", host, di ? di->port : l->port,
		    cfg->base_path);
		if (n > 0 && (size_t)n < boundlen - off)
			off += (size_t)n;
	}
	if (h->answers || store_is_pg(cfg->store)) {
		/* Without an answer cache, the feed still tells the notifier
		 * and readiness (feed.h): PostgreSQL's pushes. */
		struct resource_opts	 ro;

		http_resource_opts(h, &ro);
		if ((h->feed = feed_start(cfg, h->answers, &ro)) == NULL)
			goto fail;
	}
	return h;
fail:
	http_stop(h);
	return NULL;
}

const struct feed *
http_feed(const struct http *h)
{
	return h->feed;
}

void
http_stop(struct http *h)
{
	struct worker	*w, *n;
	size_t		 i;

	if (h == NULL)
		return;
	feed_stop(h->feed);
	for (i = 0; i < h->nd; i++)
		MHD_stop_daemon(h->d[i]);
	conns_free(h->conns);
	for (w = h->workers; w; w = n) {
		n = w->next;
		resource_free(w->res);
		free(w);
	}
	for (w = h->spare; w; w = n) {
		n = w->next;
		resource_free(w->res);
		free(w);
	}
	pthread_key_delete(h->wkey);
	pthread_mutex_destroy(&h->wmu);
	if (h->answers) {
		answers_log_stats(h->answers);
		answers_free(h->answers);
	}
	tlsdomains_activate(NULL);
	tlsdomains_free(atomic_load(&h->domains));
	for (i = 0; i < h->nretired; i++)
		tlsdomains_free(h->retired[i]);
	if (h->key)
		util_wipe(h->key, strlen(h->key));
	free(h->key);
	free(h->cert);
	free(h);
}
