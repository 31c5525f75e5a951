/*
 * sipcfg-ua: the companion User Agent, running the whole RFC 6011 client
 * procedure: Configuration Service Domains in order (§2.2; from DHCP
 * options 141/58, else 15/21, with --dhcp, ua_dhcp.c), NAPTR
 * discovery (§2.3.1), the request (§2.3.2), the HTTPS fetch with SNI and
 * certificate validation or trust on first use (§2.4, §2.4.1), failure
 * handling and back-off (§2.4.2, §2.7), and change notices (§2.5): an
 * http-monitor subscription when the answer carries a monitor Link,
 * polling before max-age otherwise (§2.5.2), conditional re-fetches
 * (§2.6.1).  One JSON line per event on standard output.
 *
 *   sipcfg-ua fetch ...     one configuration, written to --out
 *   sipcfg-ua run ...       keep it current until SIGTERM/SIGINT
 *   sipcfg-ua swarm N ...   N UAs in one process, for load tests
 *
 * The SIP side is sofia-sip's nua (client subscriptions, refreshed by
 * the stack), authenticated with the HA1 the configuration data gave
 * (RFC 6011 §3.1: the Digest item is H(user:realm:password)).
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <sys/socket.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SU_ROOT_MAGIC_T		struct app
#define SU_TIMER_ARG_T		struct ua
#define NUA_MAGIC_T		struct app
#define NUA_HMAGIC_T		struct ua

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/tport_tag.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "buf.h"
#include "request.h"
#include "util.h"
#include "ua_dhcp.h"
#include "ua_dns.h"
#include "ua_http.h"

#define MAX_DOMAINS	16
#define MAX_URLS	UA_DNS_MAX
#define DEFAULT_RETRIES	5	/* RFC 6011 §2.7: at least 5 */
#define SUB_EXPIRES	3600
#define MAX_SUB_BACKOFF	1800	/* §2.5.1.1: at most 30 minutes */
#define DHCP_TIMEOUT_MS	4000	/* --dhcp-timeout */

/* Exit codes (sipcfg-ua(1)). */
#define EX_OK		0
#define EX_NOCONFIG	1	/* every domain and URL failed */
#define EX_USAGE	2
#define EX_TRUST	3	/* certificate or pin refused */

extern su_log_t	 tport_log[], nta_log[], nua_log[];

struct app;

/* One user agent (swarm mode has many). */
struct ua {
	struct app	*app;
	int		 idx;
	char		 id[256];		/* sfua-id */
	char		 user[128];		/* sfua-user, "" = none */
	char		 password[128];
	/* The URL list of the current domain (§2.4.2 removes entries). */
	int		 di;
	char		 urls[MAX_URLS][UA_URL_MAX];
	int		 nurls;
	int		 have_urls;
	int		 fails;			/* §2.7 failures in a row */
	double		 backoff;		/* seconds */
	/* What we hold (§2.4 cache metadata). */
	char		*body;
	size_t		 len;
	char		 etag[128];
	char		 last_modified[64];
	time_t		 lm_t;
	long		 max_age;
	char		 link[512];
	char		 url[UA_URL_MAX];	/* where it came from */
	int		 valid;			/* 0: unknown validity */
	double		 fetched_at;
	/* SIP credentials from the configuration data (§3.1). */
	char		 sip_user[128], sip_realm[128], sip_ha1[64], aor[256];
	nua_handle_t	*nh;
	int		 subscribed;
	int		 sub_fails;
	int		 refusals;		/* notifier certificate refused */
	double		 refusal_wait;
	double		 sub_started;
	su_timer_t	*timer;
	/* swarm */
	double		 t_fetch, t_sub;
};

struct app {
	int		 mode;		/* 'f' fetch, 'r' run, 's' swarm */
	char		*domains[MAX_DOMAINS];
	int		 ndomains;
	char		*base_urls[MAX_URLS];
	int		 nbase;
	const char	*dns;
	const char	*dhcp_if;	/* --dhcp: §2.2.1 from this interface */
	unsigned	 dhcp_timeout_ms;
	char		 dhcp_names[MAX_DOMAINS][DHCPOPT_NAME_MAX];
	const char	*vendor, *model, *revision;
	const char	*cafile, *pinfile, *cert, *key;
	const char	*out, *state;
	const char	*connect_to[4];
	int		 nconnect;
	const char	*sip_transport;	/* "auto", "udp", "tcp", "tls" */
	unsigned	 timeout_ms;
	int		 retries;
	double		 backoff_scale;	/* tests shrink the §2.7 timers */
	int		 quiet;
	int		 trust_failed;
	char		*pinned_pem;	/* TOFU: the HTTPS server's certificate */
	su_root_t	*root;
	nua_t		*nua;
	struct ua	*uas;
	int		 nuas;
	volatile sig_atomic_t stop;
	/* swarm figures */
	unsigned long	 counts[16];
	double		*lat_fetch, *lat_sub;
	int		 nlat_fetch, nlat_sub;
};

static struct app	*the_app;

enum { EV_DISCOVERED, EV_FETCHED, EV_NOTMOD, EV_SUBSCRIBED, EV_NOTIFIED,
	EV_REFETCHED, EV_FAILED, EV_BACKOFF, EV_TERMINATED, EV_POLL,
	EV_DHCP, EV__COUNT };
static const char *const evnames[EV__COUNT] = { "discovered", "fetched",
	"not-modified", "subscribed", "notified", "refetched", "failed",
	"backoff", "terminated", "poll", "dhcp" };

static double
now_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
usage(FILE *f, int code)
{
	fprintf(f,
	    "usage: sipcfg-ua fetch|run [options]\n"
	    "       sipcfg-ua swarm N [options]\n"
	    "       sipcfg-ua --help | --version\n"
	    "  -d, --domain DOMAIN     Configuration Service Domain (repeat: "
	    "tried in order)\n"
	    "  -b, --base-url URL      skip discovery (repeat)\n"
	    "      --dhcp IFACE        domains from DHCP options 141/58, else "
	    "15/21,\n"
	    "                          before any --domain (needs root)\n"
	    "      --dhcp-timeout MS   wait for the DHCP servers (default "
	    "4000)\n"
	    "      --dns ADDR[:PORT]   DNS server for the NAPTR lookups\n"
	    "  -i, --id URN            sfua-id\n"
	    "  -m, --mac MAC           sfua-id from a MAC (RFC 6011 §2.3.3)\n"
	    "  -u, --user NAME         sfua-user and HTTP user name\n"
	    "  -p, --password PW | --password-file FILE\n"
	    "      --vendor DOMAIN --model TOKEN --revision TOKEN\n"
	    "      --cafile FILE       validate the server's certificate\n"
	    "      --pin-file FILE     or trust it on first use and pin it\n"
	    "      --cert FILE --key FILE   client certificate\n"
	    "  -o, --out FILE          where the configuration goes (fetch; "
	    "default -)\n"
	    "      --state DIR         keep configuration and metadata (run)\n"
	    "      --sip-transport auto|udp|tcp|tls\n"
	    "      --retries N         rounds per domain (default 5)\n"
	    "      --backoff-scale F   multiply the RFC 6011 §2.7 waits\n"
	    "      --timeout MS        per HTTPS request (default 10000)\n"
	    "      --connect-to HOST:PORT:ADDR:PORT   connect there instead\n"
	    "  -q, --quiet             no event lines\n"
	    "      --duration S        swarm: run this long\n");
	exit(code);
}

/* ------------------------------------------------------------ events */

static void
event(struct ua *u, int ev, const char *fmt, ...)
{
	struct app	*a = u->app;
	json_t		*o, *extra;
	json_error_t	 je;
	va_list		 ap;
	char		*s;

	a->counts[ev]++;
	if (a->mode == 's' || a->quiet)
		return;
	o = json_pack("{s:f, s:s}", "t", now_s(), "event", evnames[ev]);
	if (fmt) {
		va_start(ap, fmt);
		extra = json_vpack_ex(&je, 0, fmt, ap);
		va_end(ap);
		if (extra) {
			json_object_update(o, extra);
			json_decref(extra);
		}
	}
	if ((s = json_dumps(o, JSON_COMPACT)) != NULL) {
		printf("%s\n", s);
		fflush(stdout);
		free(s);
	}
	json_decref(o);
}

/* ------------------------------------------------------- the request */

/*
 * §2.3.2: the base URL with the sfua-* parameters; unknown ones left out.
 * The server's own helpers build it: percent-encoding (util.h) and the
 * §2.3.3 sfua-id of a MAC (request.h).
 */
static void
request_url(const struct ua *u, const char *base, char *out, size_t outlen)
{
	const struct app *a = u->app;
	struct buf	 b;
	char		*s;
	size_t		 len;

	buf_init(&b, outlen - 1);
	buf_printf(&b, "%s%ssfua-id=", base, strchr(base, '?') ? "&" : "?");
	util_urlencode(&b, u->id);
#define ADD(k, v) do { if ((v) && *(v)) { buf_printf(&b, "&%s=", (k)); \
	util_urlencode(&b, (v)); } } while (0)
	ADD("sfua-user", u->user);
	ADD("sfua-vendor", a->vendor);
	ADD("sfua-model", a->model);
	ADD("sfua-revision", a->revision);
#undef ADD
	s = buf_steal(&b, &len);
	snprintf(out, outlen, "%s", s ? s : base);
	free(s);
}

/* §2.3.3: urn:uuid:00000000-0000-1000-8000-<MAC>, any MAC spelling. */
static int
id_from_mac(const char *mac, char *out, size_t outlen)
{
	char	 hex[13];

	if (request_mac_normalise(mac, hex) != 0)
		return -1;
	request_mac_urn(hex, out, outlen);
	return 0;
}

/* ------------------------------------------- configuration data (§3.1) */

/* The text of <tag>...</tag> inside [p, end), XML entities undone. */
static int
xml_text(const char *p, const char *end, const char *tag, char *out,
    size_t outlen)
{
	char		 open[64], close[64];
	const char	*s, *e;
	size_t		 o = 0;

	snprintf(open, sizeof(open), "<%s", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	if ((s = strstr(p, open)) == NULL || s >= end ||
	    (s = strchr(s, '>')) == NULL || (e = strstr(s, close)) == NULL ||
	    e > end)
		return -1;
	for (s++; s < e && o + 1 < outlen; s++) {
		if (*s == '&') {
			static const struct { const char *n; char c; } ent[] =
			    { { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
			    { "&quot;", '"' }, { "&apos;", '\'' } };
			size_t k;

			for (k = 0; k < 5; k++)
				if (strncmp(s, ent[k].n, strlen(ent[k].n)) ==
				    0)
					break;
			if (k < 5) {
				out[o++] = ent[k].c;
				s += strlen(ent[k].n) - 1;
				continue;
			}
		}
		out[o++] = *s;
	}
	out[o] = '\0';
	return 0;
}

/*
 * The SUBSCRIBE credentials: line 1 of the generic template's
 * <sip-ua-config> (username, realm, HA1 digest, AOR).
 */
static int
sip_credentials(struct ua *u)
{
	const char	*l, *end;

	if (u->body == NULL || (l = strstr(u->body, "<line")) == NULL ||
	    (end = strstr(l, "</line>")) == NULL)
		return -1;
	if (xml_text(l, end, "username", u->sip_user, sizeof(u->sip_user)) ||
	    xml_text(l, end, "realm", u->sip_realm, sizeof(u->sip_realm)) ||
	    xml_text(l, end, "digest", u->sip_ha1, sizeof(u->sip_ha1)) ||
	    strlen(u->sip_ha1) != 32)
		return -1;
	if (xml_text(l, end, "address-of-record", u->aor, sizeof(u->aor)))
		u->aor[0] = '\0';
	return 0;
}

/* ------------------------------------------------------ state on disk */

/*
 * Write path as a new file of mode 0600 from the start: a temporary
 * file made by mkstemp(3) (0600, O_EXCL, so no link planted under its
 * name is followed) next to it, then renamed over it.  The configuration
 * holds passwords and HA1s (RFC 6011 §3.1); an existing file's mode is
 * not kept.  -1 with errno set; nothing is left behind.
 */
static int
write_private(const char *path, const void *b, size_t len)
{
	char		 tmp[PATH_MAX];
	const char	*p = b;
	size_t		 off = 0;
	ssize_t		 n;
	int		 fd, saved;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >=
	    sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkstemp(tmp)) == -1)
		return -1;
	while (off < len) {
		if ((n = write(fd, p + off, len - off)) == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			goto fail;
		}
		off += (size_t)n;
	}
	if (fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	return 0;
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

static void
state_save(struct ua *u)
{
	struct app	*a = u->app;
	char		 p[PATH_MAX], *s = NULL;
	json_t		*o;

	if (a->state == NULL || u->body == NULL)
		return;
	snprintf(p, sizeof(p), "%s/config", a->state);
	if (write_private(p, u->body, u->len) != 0)
		goto fail;
	o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s}", "url", u->url,
	    "etag", u->etag, "last_modified", u->last_modified,
	    "last_modified_t", (json_int_t)u->lm_t, "max_age",
	    (json_int_t)u->max_age, "link", u->link, "sfua_id", u->id);
	if (o)
		s = json_dumps(o, JSON_INDENT(2));
	json_decref(o);
	snprintf(p, sizeof(p), "%s/meta.json", a->state);
	if (s == NULL) {
		errno = ENOMEM;
		goto fail;
	}
	if (write_private(p, s, strlen(s)) != 0) {
		free(s);
		goto fail;
	}
	free(s);
	return;
fail:
	fprintf(stderr, "sipcfg-ua: %s: %s\n", p, strerror(errno));
}

/* §2.6.1: stored data is of unknown validity until revalidated. */
static void
state_load(struct ua *u)
{
	struct app	*a = u->app;
	char		 p[PATH_MAX];
	json_t		*o;

	if (a->state == NULL)
		return;
	snprintf(p, sizeof(p), "%s/meta.json", a->state);
	if ((o = json_load_file(p, 0, NULL)) == NULL)
		return;
	snprintf(p, sizeof(p), "%s/config", a->state);
	if ((u->body = util_slurp(p, 16 << 20, &u->len)) == NULL) {
		json_decref(o);
		return;
	}
	snprintf(u->etag, sizeof(u->etag), "%s",
	    json_string_value(json_object_get(o, "etag")) ?: "");
	snprintf(u->last_modified, sizeof(u->last_modified), "%s",
	    json_string_value(json_object_get(o, "last_modified")) ?: "");
	u->lm_t = (time_t)json_integer_value(json_object_get(o,
	    "last_modified_t"));
	u->max_age = (long)json_integer_value(json_object_get(o, "max_age"));
	u->valid = 0;
	json_decref(o);
}

/* ----------------------------------------------- obtaining (§2.2-§2.4.2) */

static void
sleep_s(struct app *a, double s)
{
	struct timespec	 ts;
	double		 end = now_s() + s;

	while (!a->stop && now_s() < end) {
		ts.tv_sec = 0;
		ts.tv_nsec = 50 * 1000000L;
		nanosleep(&ts, NULL);
	}
}

/* §2.7: 2..8 s at random, then + 2^N per failure, capped. */
static double
next_backoff(struct ua *u, double cap)
{
	if (u->fails == 0)
		u->backoff = 2 + (double)(random() % 7);
	else
		u->backoff += ldexp(1.0, u->fails);
	u->fails++;
	if (cap > 0 && u->backoff > cap)
		u->backoff = cap;
	return u->backoff * u->app->backoff_scale;
}

static const char *
cur_domain(const struct ua *u)
{
	const struct app *a = u->app;

	return a->ndomains ? a->domains[u->di] : NULL;
}

static int
discover(struct ua *u)
{
	struct app		*a = u->app;
	struct ua_dns_result	 r;
	enum ua_dns_rc		 rc;
	json_t			*arr;
	int			 i;

	u->nurls = 0;
	if (a->nbase) {
		for (i = 0; i < a->nbase && i < MAX_URLS; i++)
			snprintf(u->urls[u->nurls++], UA_URL_MAX, "%s",
			    a->base_urls[i]);
		u->have_urls = 1;
		return 0;
	}
	memset(&r, 0, sizeof(r));
	rc = ua_dns_naptr(cur_domain(u), a->dns, a->timeout_ms, &r);
	if (rc != UA_DNS_OK) {
		event(u, EV_FAILED, "{s:s, s:s, s:s}", "step", "discovery",
		    "domain", cur_domain(u), "error", r.err[0] ? r.err :
		    ua_dns_strerror(rc));
		return -1;
	}
	arr = json_array();
	for (i = 0; i < (int)r.n && i < MAX_URLS; i++) {
		snprintf(u->urls[u->nurls++], UA_URL_MAX, "%s", r.url[i]);
		json_array_append_new(arr, json_string(r.url[i]));
	}
	event(u, EV_DISCOVERED, "{s:s, s:o}", "domain", cur_domain(u), "urls",
	    arr);
	u->have_urls = 1;
	return 0;
}

/* One family's answer, for the dhcp event. */
static json_t *
dhcp_family_json(const struct ua_dhcp_family *f, const char *cs,
    const char *local)
{
	json_t	*o, *l;
	size_t	 i;

	o = json_pack("{s:b, s:b}", "asked", f->asked, "answered",
	    f->answered);
	if (f->server[0])
		json_object_set_new(o, "server", json_string(f->server));
	if (f->answered) {
		l = json_array();
		for (i = 0; i < f->cs.n; i++)
			json_array_append_new(l, json_string(f->cs.name[i]));
		json_object_set_new(o, cs, l);
		l = json_array();
		for (i = 0; i < f->local.n; i++)
			json_array_append_new(l,
			    json_string(f->local.name[i]));
		json_object_set_new(o, local, l);
	}
	if (f->err[0])
		json_object_set_new(o, "error", json_string(f->err));
	return o;
}

/*
 * RFC 6011 §2.2: the Configuration Service Domains DHCP gives on the
 * --dhcp interface (§2.1.2, §2.2.1: option 141/58, else 15/21) come
 * first; the --domain ones follow as manual entry (§2.2.2).  One "dhcp"
 * event says what each family's server answered.  0, or -1 when no
 * domain is left to try.
 */
static int
dhcp_domains(struct app *a)
{
	struct ua_dhcp_result	*r;
	char			 source[32];
	const char		*manual[MAX_DOMAINS];
	json_t			*arr;
	size_t			 n, i;
	int			 k, nmanual = a->ndomains;

	if ((r = malloc(sizeof(*r))) == NULL)
		return -1;
	(void)ua_dhcp_query(a->dhcp_if, UA_DHCP_V4 | UA_DHCP_V6,
	    a->dhcp_timeout_ms, r);
	n = ua_dhcp_domains(r, a->dhcp_names, MAX_DOMAINS, source,
	    sizeof(source));
	memcpy(manual, a->domains, sizeof(manual));
	a->ndomains = 0;
	for (i = 0; i < n; i++)
		a->domains[a->ndomains++] = a->dhcp_names[i];
	for (k = 0; k < nmanual && a->ndomains < MAX_DOMAINS; k++) {
		for (i = 0; i < n; i++)
			if (strcasecmp(a->dhcp_names[i], manual[k]) == 0)
				break;
		if (i == n)
			a->domains[a->ndomains++] = (char *)manual[k];
	}
	arr = json_array();
	for (k = 0; k < a->ndomains; k++)
		json_array_append_new(arr, json_string(a->domains[k]));
	if (n < (size_t)a->ndomains)
		snprintf(source + strlen(source), sizeof(source) -
		    strlen(source), "%s--domain", n ? "+" : "");
	event(&a->uas[0], EV_DHCP, "{s:s, s:o, s:s, s:o, s:o}", "iface",
	    a->dhcp_if, "domains", arr, "source", source, "v4",
	    dhcp_family_json(&r->v4, "141", "15"), "v6",
	    dhcp_family_json(&r->v6, "58", "21"));
	if (a->ndomains == 0 && a->nbase == 0) {
		fprintf(stderr, "sipcfg-ua: DHCP on %s gave no Configuration "
		    "Service Domain (v4: %s; v6: %s), and no --domain was "
		    "given\n", a->dhcp_if, r->v4.err[0] ? r->v4.err :
		    "no option 141 or 15", r->v6.err[0] ? r->v6.err :
		    "no option 58 or 21");
		free(r);
		return -1;
	}
	free(r);
	return 0;
}

enum try_rc { TRY_OK, TRY_KEEP, TRY_DROP };

static void
take(struct ua *u, const char *base, struct ua_http_resp *r, int was304)
{
	if (!was304) {
		free(u->body);
		u->body = r->body;
		u->len = r->len;
		r->body = NULL;
		snprintf(u->etag, sizeof(u->etag), "%s", r->etag);
		snprintf(u->last_modified, sizeof(u->last_modified), "%s",
		    r->last_modified);
		u->lm_t = r->last_modified_t;
	}
	u->max_age = r->max_age;
	/* §2.6.1: a 304 implies the earlier Link still holds. */
	if (r->link_sips[0] || r->link_sip[0] || !was304) {
		const char *want = u->app->sip_transport;

		if (strcmp(want, "udp") == 0 || strcmp(want, "tcp") == 0)
			snprintf(u->link, sizeof(u->link), "%s", r->link_sip[0]
			    ? r->link_sip : r->link_sips);
		else
			snprintf(u->link, sizeof(u->link), "%s",
			    r->link_sips[0] ? r->link_sips : r->link_sip);
	}
	snprintf(u->url, sizeof(u->url), "%s", base);
	u->valid = 1;
	u->fetched_at = now_s();
	u->fails = 0;
	if (sip_credentials(u) != 0)
		u->sip_user[0] = '\0';
}

/* One GET of one base URL; what §2.4.2 says to do with the URL after. */
static enum try_rc
try_url(struct ua *u, const char *base, int conditional, unsigned *retry)
{
	struct app		*a = u->app;
	struct ua_http_opts	 o;
	struct ua_http_resp	 r;
	enum ua_http_rc		 rc;
	char			 url[UA_URL_MAX + 1024];
	double			 t0 = now_s();
	int			 had = u->body != NULL;
	enum try_rc		 tr = TRY_KEEP;

	request_url(u, base, url, sizeof(url));
	memset(&o, 0, sizeof(o));
	o.sni = cur_domain(u);
	o.cafile = a->cafile;
	o.pinfile = a->pinfile;
	o.cert = a->cert;
	o.key = a->key;
	o.user = u->user[0] ? u->user : NULL;
	o.password = u->password;
	o.timeout_ms = a->timeout_ms;
	memcpy(o.connect_to, a->connect_to, sizeof(o.connect_to));
	if (conditional && had) {
		o.if_none_match = u->etag;
		o.if_modified_since = u->etag[0] ? 0 : u->lm_t;
	}
	memset(&r, 0, sizeof(r));
	rc = ua_http_get(url, &o, &r);
	if (rc == UA_HTTP_OK && a->cafile == NULL && r.peer_pem) {
		free(a->pinned_pem);
		a->pinned_pem = r.peer_pem;
		r.peer_pem = NULL;
	}
	if (a->mode == 's' && a->lat_fetch && rc == UA_HTTP_OK)
		a->lat_fetch[a->nlat_fetch++] = (now_s() - t0) * 1000;
	switch (rc) {
	case UA_HTTP_OK:
		break;
	case UA_HTTP_CONNECT:
		/* §2.4.2: try the alternatives; this host waits (§2.7). */
		event(u, EV_FAILED, "{s:s, s:s, s:s}", "step", "fetch", "url",
		    base, "error", r.err);
		ua_http_clear(&r);
		return TRY_KEEP;
	case UA_HTTP_PIN:
		a->trust_failed = 1;
		fprintf(stderr, "sipcfg-ua: %s: %s\n", base, r.err);
		/* FALLTHROUGH */
	case UA_HTTP_TLS:
		/* §2.4.2: a failed handshake or validation drops the URL. */
		if (rc == UA_HTTP_TLS)
			a->trust_failed = 1;
		event(u, EV_FAILED, "{s:s, s:s, s:s, s:b}", "step", "tls",
		    "url", base, "error", r.err, "dropped", 1);
		ua_http_clear(&r);
		return TRY_DROP;
	default:
		event(u, EV_FAILED, "{s:s, s:s, s:s}", "step", "fetch", "url",
		    base, "error", r.err);
		ua_http_clear(&r);
		return TRY_KEEP;
	}
	if (r.status == 200 || (r.status == 304 && had)) {
		take(u, base, &r, r.status == 304);
		if (r.status == 304)
			event(u, EV_NOTMOD, "{s:s, s:s, s:I, s:s}", "url", base,
			    "etag", u->etag, "max_age", (json_int_t)u->max_age,
			    "link", u->link);
		else
			event(u, had ? EV_REFETCHED : EV_FETCHED, "{s:s, s:s, "
			    "s:i, s:s, s:s, s:I, s:s, s:I}", "url", base,
			    "request", url, "status", r.status, "etag",
			    u->etag, "last_modified", u->last_modified,
			    "max_age", (json_int_t)u->max_age, "link", u->link,
			    "bytes", (json_int_t)u->len);
		state_save(u);
		tr = TRY_OK;
	} else if (r.status == 503 || r.retry_after) {
		/* §2.4.2: a failure with Retry-After keeps the URL. */
		*retry = r.retry_after;
		event(u, EV_FAILED, "{s:s, s:s, s:i, s:i}", "step", "fetch",
		    "url", base, "status", r.status, "retry_after",
		    (int)r.retry_after);
	} else if (r.status >= 400 || r.status == 304) {
		/* §2.4.2: permanent failure: drop this URL. */
		event(u, EV_FAILED, "{s:s, s:s, s:i, s:b}", "step", "fetch",
		    "url", base, "status", r.status, "dropped", 1);
		tr = TRY_DROP;
	} else {
		event(u, EV_FAILED, "{s:s, s:s, s:i}", "step", "fetch", "url",
		    base, "status", r.status);
	}
	ua_http_clear(&r);
	return tr;
}

/*
 * The whole procedure: domains in order (§2.2), their URLs (§2.3.1), each
 * URL until §2.4.2 drops it, rounds separated by §2.7 back-off, the next
 * domain once a list is empty or the retries are used up.  0 when a
 * configuration is held (200, or 304 to a conditional request), -1 when
 * every domain failed.
 */
static int
obtain(struct ua *u, int conditional)
{
	struct app	*a = u->app;
	int		 d, round, i, k;
	unsigned	 retry;
	enum try_rc	 tr;
	double		 w;
	int		 ndom = a->ndomains ? a->ndomains : 1;

	for (d = 0; d < ndom && !a->stop; d++) {
		if (!u->have_urls && discover(u) != 0) {
			u->di = (u->di + 1) % ndom;
			continue;
		}
		for (round = 0; round < a->retries && u->nurls > 0 &&
		    !a->stop; round++) {
			retry = 0;
			for (i = 0; i < u->nurls && !a->stop; i++) {
				tr = try_url(u, u->urls[i], conditional,
				    &retry);
				if (tr == TRY_OK)
					return 0;
				if (tr == TRY_DROP) {
					for (k = i; k + 1 < u->nurls; k++)
						memcpy(u->urls[k], u->urls[k + 1],
						    UA_URL_MAX);
					u->nurls--;
					i--;
				}
			}
			if (u->nurls == 0 || round + 1 == a->retries)
				break;
			w = next_backoff(u, 0);
			if (retry && retry * a->backoff_scale > w)
				w = retry * a->backoff_scale;
			event(u, EV_BACKOFF, "{s:f, s:i, s:s?}", "seconds", w,
			    "failures", u->fails, "domain", cur_domain(u));
			sleep_s(a, w);
		}
		/* §2.4.2: list empty or retries used up: the next domain. */
		u->have_urls = 0;
		u->di = (u->di + 1) % ndom;
	}
	u->valid = 0;
	return -1;
}

/* --------------------------------------------- change notices (§2.5) */

static void	 schedule(struct ua *, double seconds);
static int	 sip_start(struct app *, const char *link);

/*
 * The host (an IPv6 address keeps its brackets) and port of a monitor
 * URI, sip:TOKEN@HOST[:PORT][;params] or sips:...; the port defaults to
 * 5060 or 5061 (RFC 3263 §4.2).  0 or -1.
 */
static int
link_target(const char *link, char *host, size_t hostlen, unsigned *port)
{
	const char	*h, *e;
	char		*pe;
	unsigned long	 p;

	*port = strncmp(link, "sips:", 5) == 0 ? 5061 : 5060;
	if ((h = strchr(link, '@')) == NULL && (h = strchr(link, ':')) ==
	    NULL)
		return -1;
	h++;
	if (*h == '[')
		e = strchr(h, ']') ? strchr(h, ']') + 1 : h + strlen(h);
	else
		e = h + strcspn(h, ":;>?");
	if (e == h || (size_t)(e - h) >= hostlen)
		return -1;
	snprintf(host, hostlen, "%.*s", (int)(e - h), h);
	if (*e == ':') {
		p = strtoul(e + 1, &pe, 10);
		if (pe == e + 1 || p == 0 || p > 65535 ||
		    (*pe != '\0' && *pe != ';' && *pe != '>' && *pe != '?'))
			return -1;
		*port = (unsigned)p;
	}
	return 0;
}

/*
 * RFC 5922 §7.2: before a SUBSCRIBE goes to a sips: notifier, a TLS
 * handshake with it must pass the trust the HTTPS side used (RFC 6011
 * §2.4.1): the --cafile CAs for the URI's host, or the pinned key.
 * sofia-sip checks the chain again on the connection that carries the
 * SUBSCRIBE (sip_start()), but it cannot check a name given as an address
 * nor say why it dropped a connection; this check can, so the refusal is
 * clear.  With trust on first use sofia-sip can only be given the pinned
 * certificate as a CA, which works when it is self-signed; otherwise
 * --cafile is needed.  0, or -1 with the reason in err.
 */
static int
notifier_trusted(struct ua *u, char *err, size_t errlen)
{
	struct app		*a = u->app;
	struct ua_http_opts	 o;
	struct ua_http_resp	 r;
	char			 host[256];
	unsigned		 port;
	int			 rc = -1;

	if (strncmp(u->link, "sips:", 5) != 0)
		return 0;		/* plain sip: no TLS to judge */
	if (link_target(u->link, host, sizeof(host), &port) != 0) {
		snprintf(err, errlen, "cannot tell its host and port");
		return -1;
	}
	if (a->cafile == NULL) {
		BIO	*b = a->pinned_pem ? BIO_new_mem_buf(a->pinned_pem, -1) :
		    NULL;
		X509	*x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
		int	 self = x && X509_self_signed(x, 0) == 1;

		X509_free(x);
		BIO_free(b);
		if (!self) {
			snprintf(err, errlen, "the pinned certificate is not "
			    "self-signed, so the SIP stack cannot be held to "
			    "it: give --cafile");
			return -1;
		}
	}
	memset(&o, 0, sizeof(o));
	o.cafile = a->cafile;
	o.pinfile = a->pinfile;
	o.timeout_ms = a->timeout_ms;
	if (ua_http_tls_check(host, port, &o, &r) == UA_HTTP_OK)
		rc = 0;
	else
		snprintf(err, errlen, "%s", r.err);
	ua_http_clear(&r);
	return rc;
}

static void
subscribe(struct ua *u)
{
	struct app	*a = u->app;
	char		 from[300], exp[16], err[400];

	if (u->link[0] == '\0' || u->sip_user[0] == '\0')
		return;
	if (notifier_trusted(u, err, sizeof(err)) != 0) {
		double	 cap = MAX_SUB_BACKOFF, w;

		/*
		 * No SUBSCRIBE, and no falling back to a plain sip: Link.
		 * RFC 6011 §2.5.1.1: a subscription that fails is tried
		 * again with the §2.7 back-off (counted here: the fetch
		 * in between resets u->fails); each try revalidates the
		 * data first (ua_timer()), before max-age runs out at the
		 * latest, so changes still arrive, by polling.
		 */
		if (u->max_age > 0 && (double)u->max_age * 0.9 < cap)
			cap = (double)u->max_age * 0.9;
		if (u->refusals++ == 0)
			u->refusal_wait = 2 + (double)(random() % 7);
		else
			u->refusal_wait += ldexp(1.0, u->refusals - 1);
		if (u->refusal_wait > cap)
			u->refusal_wait = cap;
		w = u->refusal_wait * a->backoff_scale;
		fprintf(stderr, "sipcfg-ua: %s: the notifier's certificate is "
		    "refused, not subscribing: %s\n", u->link, err);
		event(u, EV_FAILED, "{s:s, s:s, s:s, s:s, s:f}", "step",
		    "subscribe", "uri", u->link, "error", "notifier "
		    "certificate refused", "reason", err, "retry_in", w);
		schedule(u, w);
		return;
	}
	if (sip_start(a, u->link) != 0) {
		event(u, EV_FAILED, "{s:s, s:s}", "step", "subscribe",
		    "error", "cannot start the SIP stack");
		schedule(u, next_backoff(u, MAX_SUB_BACKOFF));
		return;
	}
	if (u->nh) {
		nua_handle_bind(u->nh, NULL);
		nua_handle_destroy(u->nh);
	}
	if (u->aor[0])
		snprintf(from, sizeof(from), "<%s>", u->aor);
	else
		snprintf(from, sizeof(from), "<sip:%s@%s>", u->sip_user,
		    u->sip_realm);
	snprintf(exp, sizeof(exp), "%d", SUB_EXPIRES);
	u->nh = nua_handle(a->nua, u, SIPTAG_TO_STR(u->link),
	    SIPTAG_FROM_STR(from), TAG_END());
	if (u->nh == NULL)
		return;
	u->subscribed = 0;
	u->sub_started = now_s();
	/* RFC 5989 §4.1, §4.5: the package, and what we take. */
	nua_subscribe(u->nh, NUTAG_URL(u->link),
	    SIPTAG_EVENT_STR("http-monitor"),
	    SIPTAG_ACCEPT_STR("message/http"), SIPTAG_EXPIRES_STR(exp),
	    TAG_END());
}

/* A header of the message/http body (RFC 5989 §4.5.1). */
static int
body_header(const char *body, size_t len, const char *name, char *out,
    size_t outlen)
{
	const char	*p = body, *end = body + len, *e;
	size_t		 nl = strlen(name), n;

	out[0] = '\0';
	while (p < end) {
		if ((e = memchr(p, '\n', (size_t)(end - p))) == NULL)
			e = end;
		if ((size_t)(e - p) > nl && strncasecmp(p, name, nl) == 0 &&
		    p[nl] == ':') {
			p += nl + 1;
			while (p < e && (*p == ' ' || *p == '\t'))
				p++;
			n = (size_t)(e - p);
			while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' '))
				n--;
			if (n >= outlen)
				n = outlen - 1;
			memcpy(out, p, n);
			out[n] = '\0';
			return 0;
		}
		if (e == p || (e - p == 1 && *p == '\r'))
			break;		/* end of the headers */
		p = e + 1;
	}
	return -1;
}

/* §2.5.1.3: compare the NOTIFY's cache metadata with ours. */
static void
on_notify(struct ua *u, const sip_t *sip)
{
	const char	*b = NULL;
	size_t		 bl = 0;
	char		 etag[128], lm[64], cc[128], status[16];
	const char	*ss = NULL;
	long		 ma = -1;
	const char	*p;
	int		 differs;

	if (sip && sip->sip_payload) {
		b = sip->sip_payload->pl_data;
		bl = sip->sip_payload->pl_len;
	}
	if (sip && sip->sip_subscription_state)
		ss = sip->sip_subscription_state->ss_substate;
	status[0] = '\0';
	if (b && bl > 12 && strncmp(b, "HTTP/1.1 ", 9) == 0)
		snprintf(status, sizeof(status), "%.3s", b + 9);
	body_header(b ? b : "", bl, "ETag", etag, sizeof(etag));
	body_header(b ? b : "", bl, "Last-Modified", lm, sizeof(lm));
	if (body_header(b ? b : "", bl, "Cache-Control", cc, sizeof(cc)) ==
	    0 && (p = strstr(cc, "max-age=")) != NULL)
		ma = strtol(p + 8, NULL, 10);
	differs = strcmp(status, "200") != 0 || strcmp(etag, u->etag) != 0 ||
	    strcmp(lm, u->last_modified) != 0 || ma != u->max_age;
	event(u, EV_NOTIFIED, "{s:s, s:s, s:s, s:b}", "state", ss ? ss : "",
	    "status", status, "etag", etag, "changed", differs);
	if (u->app->mode == 's' && u->sub_started > 0) {
		struct app *a = u->app;

		if (!u->subscribed && a->lat_sub)
			a->lat_sub[a->nlat_sub++] = (now_s() - u->sub_started) *
			    1000;
		u->sub_started = 0;
	}
	u->subscribed = 1;
	if (differs && status[0])
		schedule(u, 0);		/* re-GET, conditionally */
}

static void
on_terminated(struct ua *u, const sip_t *sip)
{
	const sip_subscription_state_t *ss = sip ?
	    sip->sip_subscription_state : NULL;
	const char	*reason = ss && ss->ss_reason ? ss->ss_reason : "";
	double		 after = 0;

	/* §2.5.1.2 with RFC 6665 §4.1.3: unknown validity; come back. */
	u->valid = 0;
	u->subscribed = 0;
	if (ss && ss->ss_retry_after)
		after = strtod(ss->ss_retry_after, NULL);
	else if (strcmp(reason, "probation") == 0 ||
	    strcmp(reason, "giveup") == 0)
		after = next_backoff(u, MAX_SUB_BACKOFF);
	event(u, EV_TERMINATED, "{s:s, s:f}", "reason", reason, "retry_in",
	    after);
	if (u->nh) {
		nua_handle_bind(u->nh, NULL);
		nua_handle_destroy(u->nh);
		u->nh = NULL;
	}
	/* Revalidate (a conditional GET), then subscribe again. */
	schedule(u, after);
}

static void
nua_cb(nua_event_t ev, int status, char const *phrase, nua_t *nua,
    struct app *a, nua_handle_t *nh, struct ua *u, sip_t const *sip,
    tagi_t tags[])
{
	char	 auth[400];
	int	 substate = -1;

	(void)nua;
	(void)a;
	if (ev == nua_r_shutdown) {
		if (status >= 200)
			su_root_break(a->root);
		return;
	}
	if (u == NULL) {
		if (nh && ev == nua_i_notify)
			nua_handle_destroy(nh);
		return;
	}
	tl_gets(tags, NUTAG_SUBSTATE_REF(substate), TAG_END());
	switch (ev) {
	case nua_r_subscribe:
		if (status == 401 || status == 407) {
			/* The HA1 from the configuration data (§3.1). */
			if (++u->sub_fails > 2) {
				event(u, EV_FAILED, "{s:s, s:i, s:s}", "step",
				    "subscribe", "status", status, "error",
				    "credentials refused");
				on_terminated(u, NULL);
				return;
			}
			snprintf(auth, sizeof(auth),
			    "HA1+Digest:\"%s\":%s:HA1+%s", u->sip_realm,
			    u->sip_user, u->sip_ha1);
			nua_authenticate(nh, NUTAG_AUTH(auth), TAG_END());
			return;
		}
		if (status >= 200 && status < 300) {
			u->sub_fails = 0;
			u->refusals = 0;
			event(u, EV_SUBSCRIBED, "{s:s, s:i, s:I}", "uri",
			    u->link, "status", status, "expires",
			    (json_int_t)(sip && sip->sip_expires ?
			    sip->sip_expires->ex_delta : 0));
			return;
		}
		if (status >= 300) {
			/*
			 * §2.5.1.1: a permanent rejection invalidates the
			 * data; anything else is retried with back-off.
			 */
			int permanent = status < 500 && !(sip &&
			    sip->sip_retry_after) && status != 408;

			event(u, EV_FAILED, "{s:s, s:i, s:s, s:b}", "step",
			    "subscribe", "status", status, "phrase",
			    phrase ? phrase : "", "permanent", permanent);
			if (permanent)
				u->valid = 0;
			u->subscribed = 0;
			if (u->nh) {
				nua_handle_bind(u->nh, NULL);
				nua_handle_destroy(u->nh);
				u->nh = NULL;
			}
			schedule(u, permanent ? 0 :
			    next_backoff(u, MAX_SUB_BACKOFF));
		}
		break;
	case nua_i_notify:
		if (sip && sip->sip_subscription_state &&
		    strcasecmp(sip->sip_subscription_state->ss_substate,
		    "terminated") == 0) {
			on_notify(u, sip);
			on_terminated(u, sip);
		} else
			on_notify(u, sip);
		break;
	case nua_r_unsubscribe:
		break;
	default:
		break;
	}
}

/*
 * The UA's one timer: revalidate / poll (a conditional GET, or the whole
 * procedure when nothing is held), then subscribe if there is a Link and
 * no subscription, else poll again before max-age runs out (§2.5.2).
 */
static void
ua_timer(struct app *a, su_timer_t *t, struct ua *u)
{
	double	 next;

	(void)t;
	if (a->stop)
		return;
	if (obtain(u, 1) != 0) {
		double w = next_backoff(u, MAX_SUB_BACKOFF);

		event(u, EV_BACKOFF, "{s:f, s:i, s:s}", "seconds", w,
		    "failures", u->fails, "step", "obtain");
		schedule(u, w);
		return;
	}
	if (u->link[0] && u->sip_user[0]) {
		if (u->nh == NULL || !u->subscribed) {
			u->sub_fails = 0;
			subscribe(u);
		}
		return;
	}
	/* Polling mode: shortly before max-age (§2.5.2). */
	next = u->max_age > 0 ? (double)u->max_age * 0.9 : 60;
	if (next < 1)
		next = 1;
	event(u, EV_POLL, "{s:f}", "in", next);
	schedule(u, next);
}

static void
schedule(struct ua *u, double seconds)
{
	struct app	*a = u->app;

	if (u->timer == NULL &&
	    (u->timer = su_timer_create(su_root_task(a->root), 1000)) == NULL)
		return;
	su_timer_set_interval(u->timer, ua_timer, u,
	    (su_duration_t)(seconds * 1000));
}

static void
stop_check(struct app *a, su_timer_t *t, struct ua *unused)
{
	int	 i, busy = 0;

	(void)t;
	(void)unused;
	if (!a->stop)
		return;
	if (a->stop == 1) {
		a->stop = 2;
		for (i = 0; i < a->nuas; i++)
			if (a->uas[i].nh && a->uas[i].subscribed) {
				nua_unsubscribe(a->uas[i].nh, TAG_END());
				busy++;
			}
		if (busy == 0)
			a->stop = 30;
		return;
	}
	if (a->stop >= 2 && a->stop < 30) {
		a->stop++;	/* up to ~3 s for the final NOTIFYs */
		return;
	}
	if (a->stop == 30) {
		a->stop = 31;
		if (a->nua)
			nua_shutdown(a->nua);
		else
			su_root_break(a->root);
	}
}

static void
on_signal(int sig)
{
	(void)sig;
	if (the_app && !the_app->stop)
		the_app->stop = 1;
}

/*
 * RFC 5922 §7.2, RFC 6011 §2.4.1: the notifier is believed on the same
 * grounds as the HTTPS server: the --cafile CAs, or with trust on first
 * use the certificate whose key is pinned (a self-signed certificate is
 * its own trust anchor).  sofia-sip reads them from cafile.pem.
 */
static int
ca_file(struct app *a, const char *dir)
{
	char	 path[PATH_MAX], *pem;
	size_t	 len = 0;
	int	 rc;

	snprintf(path, sizeof(path), "%s/cafile.pem", dir);
	if (a->cafile == NULL)
		return a->pinned_pem ? write_private(path, a->pinned_pem,
		    strlen(a->pinned_pem)) : -1;
	if ((pem = util_slurp(a->cafile, 1 << 20, &len)) == NULL)
		return -1;
	rc = write_private(path, pem, len);
	free(pem);
	return rc;
}

/*
 * The TLS side of the UA's SIP stack must accept the NOTIFYs a notifier
 * sends on a connection of its own (sofia-sip opens one to the Contact),
 * so it needs a certificate: the client certificate when one was given,
 * else a throw-away self-signed one.  Written, with its key, into a
 * private directory that is removed once the stack has read it.
 */
static int
tls_dir(struct app *a, char *dir, size_t dirlen)
{
	char		 path[PATH_MAX];
	EVP_PKEY	*pk = NULL;
	X509		*x = NULL;
	FILE		*f = NULL, *in;
	int		 rc = -1;

	snprintf(dir, dirlen, "%s/sipcfg-ua.XXXXXX", getenv("TMPDIR") &&
	    strlen(getenv("TMPDIR")) < 64 ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/agent.pem", dir);
	if ((f = fopen(path, "w")) == NULL)
		goto done;
	if (a->cert && a->key) {
		char	 buf[4096];
		size_t	 n;
		const char *files[2] = { a->key, a->cert };
		int	 i;

		for (i = 0; i < 2; i++) {
			if ((in = fopen(files[i], "r")) == NULL)
				goto done;
			while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
				fwrite(buf, 1, n, f);
			fclose(in);
		}
		if (ca_file(a, dir) != 0)
			goto done;
		rc = 0;
		goto done;
	}
	if (ca_file(a, dir) != 0)
		goto done;
	if ((pk = EVP_EC_gen("P-256")) == NULL || (x = X509_new()) == NULL ||
	    !X509_set_version(x, 2) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), (long)getpid()) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -60) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 30) ||
	    !X509_set_pubkey(x, pk) ||
	    !X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_ASC, (const unsigned char *)"sipcfg-ua", -1, -1, 0) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(x)) ||
	    !X509_sign(x, pk, EVP_sha256()) ||
	    !PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_X509(f, x))
		goto done;
	rc = 0;
done:
	if (f && fclose(f) != 0)
		rc = -1;
	EVP_PKEY_free(pk);
	X509_free(x);
	return rc;
}

static void
tls_dir_remove(const char *dir)
{
	char	 path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/agent.pem", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/cafile.pem", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/tls_seed.dat", dir);
	unlink(path);
	rmdir(dir);
}

/*
 * The local address that reaches host (a UDP socket "connected" there
 * sends nothing): our Contact must be reachable by the notifier.
 */
static int
local_addr(const char *host, char *out, size_t outlen)
{
	struct addrinfo		 hints, *res = NULL;
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	char			 h[256];
	int			 fd = -1, rc = -1;
	size_t			 n;

	snprintf(h, sizeof(h), "%s", host);
	if (h[0] == '[' && (n = strlen(h)) > 2 && h[n - 1] == ']') {
		memmove(h, h + 1, n - 2);
		h[n - 2] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	if (getaddrinfo(h, "5060", &hints, &res) != 0)
		return -1;
	if ((fd = socket(res->ai_family, SOCK_DGRAM, 0)) >= 0 &&
	    connect(fd, res->ai_addr, res->ai_addrlen) == 0 &&
	    getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
	    getnameinfo((struct sockaddr *)&ss, sl, h, sizeof(h), NULL, 0,
	    NI_NUMERICHOST) == 0) {
		snprintf(out, outlen, ss.ss_family == AF_INET6 ? "[%s]" : "%s",
		    h);
		rc = 0;
	}
	if (fd >= 0)
		close(fd);
	freeaddrinfo(res);
	return rc;
}

/* The SIP stack, made when the first monitor Link tells where to. */
static int
sip_start(struct app *a, const char *link)
{
	const char	*want = a->sip_transport;
	char		 host[256], local[300], url[320], surl[320], dir[128];
	unsigned	 port;
	int		 tls;

	if (a->nua)
		return 0;
	if (link_target(link, host, sizeof(host), &port) != 0)
		return -1;
	if (local_addr(host, local, sizeof(local)) != 0)
		snprintf(local, sizeof(local), "*");
	snprintf(url, sizeof(url), "sip:%s:*", local);
	snprintf(surl, sizeof(surl), "sips:%s:*", local);
	tls = strcmp(want, "udp") != 0 && strcmp(want, "tcp") != 0 &&
	    tls_dir(a, dir, sizeof(dir)) == 0;
	a->nua = nua_create(a->root, nua_cb, a, NUTAG_URL(url),
	    TAG_IF(tls, NUTAG_SIPS_URL(surl)),
	    TAG_IF(tls, NUTAG_CERTIFICATE_DIR(dir)),
	    TAG_IF(tls, TPTAG_TLS_VERIFY_POLICY(TPTLS_VERIFY_OUT)),
	    TAG_IF(tls, TPTAG_TLS_VERIFY_DATE(1)),
	    NUTAG_ENABLEMESSAGE(0), NUTAG_MEDIA_ENABLE(0),
	    SIPTAG_USER_AGENT_STR("sipcfg-ua/" PACKAGE_VERSION), TAG_END());
	if (tls)
		tls_dir_remove(dir);
	if (a->nua == NULL && tls && strcmp(want, "tls") != 0)
		a->nua = nua_create(a->root, nua_cb, a, NUTAG_URL(url),
		    NUTAG_ENABLEMESSAGE(0), NUTAG_MEDIA_ENABLE(0),
		    SIPTAG_USER_AGENT_STR("sipcfg-ua/" PACKAGE_VERSION),
		    TAG_END());
	return a->nua ? 0 : -1;
}

static int
root_start(struct app *a)
{
	su_log_set_level(NULL, 0);
	su_log_set_level(tport_log, 0);
	su_log_set_level(nta_log, 0);
	su_log_set_level(nua_log, 0);
	return (a->root = su_root_create(a)) ? 0 : -1;
}

/* ------------------------------------------------------------- modes */

static int
write_out(const char *path, const char *b, size_t len)
{
	struct stat	 sb;
	FILE		*f;

	if (path == NULL || strcmp(path, "-") == 0)
		return fwrite(b, 1, len, stdout) == len ? 0 : -1;
	/*
	 * A regular file is replaced atomically, mode 0600; a device or
	 * FIFO (/dev/null, a pipe) is written in place, never renamed over.
	 */
	if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		if ((f = fopen(path, "w")) == NULL)
			return -1;
		if (fwrite(b, 1, len, f) != len) {
			fclose(f);
			return -1;
		}
		return fclose(f) == 0 ? 0 : -1;
	}
	return write_private(path, b, len);
}

static int
mode_fetch(struct app *a)
{
	struct ua	*u = &a->uas[0];

	state_load(u);
	if (obtain(u, 1) != 0) {
		fprintf(stderr, "sipcfg-ua: no configuration obtained%s\n",
		    a->trust_failed ? " (server certificate or pin refused)" :
		    "");
		return a->trust_failed ? EX_TRUST : EX_NOCONFIG;
	}
	if (u->body && write_out(a->out, u->body, u->len) != 0) {
		fprintf(stderr, "sipcfg-ua: %s: %s\n", a->out ? a->out : "-",
		    strerror(errno));
		return EX_NOCONFIG;
	}
	return EX_OK;
}

static int
mode_run(struct app *a)
{
	su_timer_t	*st;
	int		 i;

	if (root_start(a) != 0)
		return EX_NOCONFIG;
	for (i = 0; i < a->nuas; i++) {
		if (a->mode == 'r')
			state_load(&a->uas[i]);
		schedule(&a->uas[i], 0);
	}
	st = su_timer_create(su_root_task(a->root), 100);
	su_timer_run(st, stop_check, NULL);
	su_root_run(a->root);
	su_timer_destroy(st);
	return EX_OK;
}

static int
cmpd(const void *x, const void *y)
{
	double	 a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

static json_t *
percentiles(double *v, int n)
{
	if (n == 0)
		return json_pack("{s:i}", "n", 0);
	qsort(v, (size_t)n, sizeof(*v), cmpd);
	return json_pack("{s:i, s:f, s:f, s:f, s:f}", "n", n, "p50",
	    v[n / 2], "p90", v[n * 9 / 10], "p99", v[n * 99 / 100], "max",
	    v[n - 1]);
}

/* N UAs: everything of `run`, counted instead of printed. */
static int
mode_swarm(struct app *a, double duration)
{
	su_timer_t	*st;
	json_t		*o, *c;
	char		*s;
	int		 i;

	if (root_start(a) != 0)
		return EX_NOCONFIG;
	a->lat_fetch = calloc((size_t)a->nuas * 8, sizeof(double));
	a->lat_sub = calloc((size_t)a->nuas * 8, sizeof(double));
	if (a->lat_fetch == NULL || a->lat_sub == NULL)
		return EX_NOCONFIG;
	for (i = 0; i < a->nuas; i++)
		schedule(&a->uas[i], 0);
	st = su_timer_create(su_root_task(a->root), 100);
	su_timer_run(st, stop_check, NULL);
	if (duration > 0) {
		double end = now_s() + duration;

		while (!a->stop && now_s() < end)
			su_root_step(a->root, 100);
		a->stop = 1;
	}
	su_root_run(a->root);
	su_timer_destroy(st);
	c = json_object();
	for (i = 0; i < EV__COUNT; i++)
		json_object_set_new(c, evnames[i], json_integer(
		    (json_int_t)a->counts[i]));
	o = json_pack("{s:s, s:i, s:o, s:o, s:o}", "swarm", "summary", "uas",
	    a->nuas, "events", c, "fetch_ms", percentiles(a->lat_fetch,
	    a->nlat_fetch), "subscribe_to_notify_ms", percentiles(a->lat_sub,
	    a->nlat_sub));
	if ((s = json_dumps(o, JSON_COMPACT)) != NULL) {
		printf("%s\n", s);
		free(s);
	}
	json_decref(o);
	return a->counts[EV_FETCHED] == (unsigned long)a->nuas ? EX_OK :
	    EX_NOCONFIG;
}

/*
 * The --state directory holds the configuration (passwords, HA1s): made
 * 0700 when missing.  One that exists is the user's: when others may
 * write to it they could replace what the UA reads back, so it is
 * refused; when they may only look, a warning (the files are 0600).
 */
static int
state_dir(const char *dir)
{
	struct stat	 sb;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "sipcfg-ua: --state %s: %s\n", dir,
		    strerror(errno));
		return -1;
	}
	if (stat(dir, &sb) != 0) {
		fprintf(stderr, "sipcfg-ua: --state %s: %s\n", dir,
		    strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "sipcfg-ua: --state %s: not a directory\n",
		    dir);
		return -1;
	}
	if (sb.st_mode & (S_IWGRP | S_IWOTH)) {
		fprintf(stderr, "sipcfg-ua: --state %s: mode %03o, others can "
		    "write to it: chmod 700 it\n", dir,
		    (unsigned)sb.st_mode & 0777);
		return -1;
	}
	if (sb.st_mode & (S_IRWXG | S_IRWXO))
		fprintf(stderr, "sipcfg-ua: warning: --state %s: mode %03o, "
		    "others can list it: chmod 700 it\n", dir,
		    (unsigned)sb.st_mode & 0777);
	return 0;
}

/* A format with at most one integer conversion (%d, %0Nd), or none. */
static int
safe_format(const char *f)
{
	const char	*p = strchr(f, '%');

	if (p == NULL)
		return 1;
	p++;
	while (*p >= '0' && *p <= '9')
		p++;
	return *p == 'd' && strchr(p, '%') == NULL;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "domain", required_argument, NULL, 'd' },
		{ "base-url", required_argument, NULL, 'b' },
		{ "dns", required_argument, NULL, 'D' },
		{ "dhcp", required_argument, NULL, 'H' },
		{ "dhcp-timeout", required_argument, NULL, 'W' },
		{ "id", required_argument, NULL, 'i' },
		{ "mac", required_argument, NULL, 'm' },
		{ "user", required_argument, NULL, 'u' },
		{ "password", required_argument, NULL, 'p' },
		{ "password-file", required_argument, NULL, 'P' },
		{ "vendor", required_argument, NULL, 'V' },
		{ "model", required_argument, NULL, 'M' },
		{ "revision", required_argument, NULL, 'R' },
		{ "cafile", required_argument, NULL, 'C' },
		{ "pin-file", required_argument, NULL, 'F' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "out", required_argument, NULL, 'o' },
		{ "state", required_argument, NULL, 's' },
		{ "sip-transport", required_argument, NULL, 'T' },
		{ "retries", required_argument, NULL, 'r' },
		{ "backoff-scale", required_argument, NULL, 'S' },
		{ "timeout", required_argument, NULL, 't' },
		{ "duration", required_argument, NULL, 'x' },
		{ "connect-to", required_argument, NULL, 'X' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	struct app	 a;
	const char	*cmd, *idarg = NULL, *macarg = NULL, *user = "";
	const char	*pw = "", *pwfile = NULL;
	int		 pwarg = 0;
	char		 pwbuf[256], mac[13], *e;
	double		 duration = 0;
	long		 n = 1;
	int		 ch, i, rc;
	unsigned long long macv = 0;

	memset(&a, 0, sizeof(a));
	a.timeout_ms = 10000;
	a.dhcp_timeout_ms = DHCP_TIMEOUT_MS;
	a.retries = DEFAULT_RETRIES;
	a.backoff_scale = 1.0;
	a.sip_transport = "auto";
	if (argc < 2)
		usage(stderr, EX_USAGE);
	cmd = argv[1];
	if (strcmp(cmd, "fetch") == 0)
		a.mode = 'f';
	else if (strcmp(cmd, "run") == 0)
		a.mode = 'r';
	else if (strcmp(cmd, "swarm") == 0) {
		a.mode = 's';
		if (argc < 3 || (n = strtol(argv[2], &e, 10)) < 1 ||
		    *e != '\0' || n > 100000) {
			fprintf(stderr, "sipcfg-ua: swarm N: 1..100000\n");
			return EX_USAGE;
		}
		argv++;
		argc--;
	} else if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0)
		usage(stdout, 0);
	else if (strcmp(cmd, "--version") == 0) {
		printf("sipcfg-ua %s\n", PACKAGE_VERSION);
		return 0;
	}
	else {
		fprintf(stderr, "sipcfg-ua: unknown command %s\n", cmd);
		usage(stderr, EX_USAGE);
	}
	argv++;
	argc--;
	while ((ch = getopt_long(argc, argv, "d:b:i:m:u:p:o:qh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'd':
			if (a.ndomains == MAX_DOMAINS) {
				fprintf(stderr, "sipcfg-ua: too many domains\n");
				return EX_USAGE;
			}
			a.domains[a.ndomains++] = optarg;
			break;
		case 'b':
			if (a.nbase == MAX_URLS || strncmp(optarg, "https://",
			    8) != 0) {
				fprintf(stderr, "sipcfg-ua: --base-url %s: an "
				    "https:// URL (at most %d)\n", optarg,
				    MAX_URLS);
				return EX_USAGE;
			}
			a.base_urls[a.nbase++] = optarg;
			break;
		case 'D': a.dns = optarg; break;
		case 'H': a.dhcp_if = optarg; break;
		case 'W':
			a.dhcp_timeout_ms = (unsigned)strtoul(optarg, &e, 10);
			if (*e || a.dhcp_timeout_ms < 100 ||
			    a.dhcp_timeout_ms > 600000)
				usage(stderr, EX_USAGE);
			break;
		case 'i': idarg = optarg; break;
		case 'm': macarg = optarg; break;
		case 'u': user = optarg; break;
		case 'p': pw = optarg; pwarg = 1; break;
		case 'P': pwfile = optarg; break;
		case 'V': a.vendor = optarg; break;
		case 'M': a.model = optarg; break;
		case 'R': a.revision = optarg; break;
		case 'C': a.cafile = optarg; break;
		case 'F': a.pinfile = optarg; break;
		case 'c': a.cert = optarg; break;
		case 'k': a.key = optarg; break;
		case 'o': a.out = optarg; break;
		case 's': a.state = optarg; break;
		case 'T':
			if (strcmp(optarg, "auto") && strcmp(optarg, "udp") &&
			    strcmp(optarg, "tcp") && strcmp(optarg, "tls")) {
				fprintf(stderr, "sipcfg-ua: --sip-transport: "
				    "auto, udp, tcp or tls\n");
				return EX_USAGE;
			}
			a.sip_transport = optarg;
			break;
		case 'r':
			a.retries = (int)strtol(optarg, &e, 10);
			if (*e || a.retries < 1 || a.retries > 1000)
				usage(stderr, EX_USAGE);
			break;
		case 'S':
			a.backoff_scale = strtod(optarg, &e);
			if (*e || a.backoff_scale < 0 || a.backoff_scale > 100)
				usage(stderr, EX_USAGE);
			break;
		case 't':
			a.timeout_ms = (unsigned)strtoul(optarg, &e, 10);
			if (*e || a.timeout_ms < 100 || a.timeout_ms > 600000)
				usage(stderr, EX_USAGE);
			break;
		case 'x':
			duration = strtod(optarg, &e);
			if (*e || duration < 0)
				usage(stderr, EX_USAGE);
			break;
		case 'q': a.quiet = 1; break;
		case 'X':
			if (a.nconnect == 4 || strchr(optarg, ':') == NULL) {
				fprintf(stderr, "sipcfg-ua: --connect-to "
				    "HOST:PORT:ADDR:PORT (at most 4)\n");
				return EX_USAGE;
			}
			a.connect_to[a.nconnect++] = optarg;
			break;
		case 'h':
			usage(stdout, 0);
			break;
		case 'v':
			printf("sipcfg-ua %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr, EX_USAGE);
		}
	}
	if (optind != argc)
		usage(stderr, EX_USAGE);
	if (a.ndomains == 0 && a.nbase == 0 && a.dhcp_if == NULL) {
		fprintf(stderr, "sipcfg-ua: give --dhcp IFACE or a --domain "
		    "(discovery), or a --base-url\n");
		return EX_USAGE;
	}
	if ((idarg == NULL) == (macarg == NULL)) {
		fprintf(stderr, "sipcfg-ua: give exactly one of --id and "
		    "--mac\n");
		return EX_USAGE;
	}
	/* Local mistakes are usage errors, not network trouble to retry. */
	if (a.cafile && access(a.cafile, R_OK) != 0) {
		fprintf(stderr, "sipcfg-ua: --cafile %s: %s\n", a.cafile,
		    strerror(errno));
		return EX_USAGE;
	}
	if (a.pinfile) {
		FILE	*pf = fopen(a.pinfile, "r");
		char	 line[256];

		if (pf && fgets(line, sizeof(line), pf) != NULL &&
		    strncmp(line, "sha256//", 8) != 0) {
			fclose(pf);
			fprintf(stderr, "sipcfg-ua: --pin-file %s: not a pin "
			    "file (sha256//...)\n", a.pinfile);
			return EX_USAGE;
		}
		if (pf)
			fclose(pf);
	}
	if ((a.cert && access(a.cert, R_OK) != 0) ||
	    (a.key && access(a.key, R_OK) != 0)) {
		fprintf(stderr, "sipcfg-ua: --cert/--key: %s\n",
		    strerror(errno));
		return EX_USAGE;
	}
	if (a.cafile == NULL && a.pinfile == NULL) {
		fprintf(stderr, "sipcfg-ua: give --cafile (validate the "
		    "server) or --pin-file (trust on first use)\n");
		return EX_USAGE;
	}
	if (pwarg && pwfile) {
		fprintf(stderr, "sipcfg-ua: give one of -p and "
		    "--password-file\n");
		return EX_USAGE;
	}
	if (pwarg)
		fprintf(stderr, "sipcfg-ua: warning: -p shows the password to "
		    "every user (ps); use --password-file FILE or "
		    "SIPCFG_UA_PASSWORD\n");
	if (pwfile) {
		FILE *f = fopen(pwfile, "r");

		if (f == NULL || fgets(pwbuf, sizeof(pwbuf), f) == NULL) {
			fprintf(stderr, "sipcfg-ua: %s: cannot read a "
			    "password\n", pwfile);
			if (f)
				fclose(f);
			return EX_USAGE;
		}
		fclose(f);
		pwbuf[strcspn(pwbuf, "\r\n")] = '\0';
		pw = pwbuf;
	} else if (!pwarg && getenv("SIPCFG_UA_PASSWORD") != NULL)
		pw = getenv("SIPCFG_UA_PASSWORD");
	if (!safe_format(user) || !safe_format(pw)) {
		fprintf(stderr, "sipcfg-ua: --user/--password: one %%d at "
		    "most\n");
		return EX_USAGE;
	}
	if (a.state && state_dir(a.state) != 0)
		return EX_USAGE;
	if (macarg) {
		char id[64];

		if (id_from_mac(macarg, id, sizeof(id)) != 0) {
			fprintf(stderr, "sipcfg-ua: --mac %s: not a MAC "
			    "address\n", macarg);
			return EX_USAGE;
		}
		macv = strtoull(id + strlen(id) - 12, NULL, 16);
	} else if (n > 1) {
		fprintf(stderr, "sipcfg-ua: swarm needs --mac (the first of "
		    "the range)\n");
		return EX_USAGE;
	}
	if ((a.uas = calloc((size_t)n, sizeof(*a.uas))) == NULL)
		return EX_NOCONFIG;
	a.nuas = (int)n;
	srandom((unsigned)(time(NULL) ^ getpid()));
	for (i = 0; i < n; i++) {
		struct ua *u = &a.uas[i];

		u->app = &a;
		u->idx = i;
		u->max_age = -1;
		if (macarg) {
			snprintf(mac, sizeof(mac), "%012llx",
			    (macv + (unsigned long long)i) & 0xffffffffffffULL);
			id_from_mac(mac, u->id, sizeof(u->id));
		} else
			snprintf(u->id, sizeof(u->id), "%s", idarg);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		/* safe_format() allowed one %d at most. */
		snprintf(u->user, sizeof(u->user), user, i);
		snprintf(u->password, sizeof(u->password), pw, i);
#pragma GCC diagnostic pop
	}
	the_app = &a;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (a.dhcp_if != NULL && dhcp_domains(&a) != 0)
		return EX_NOCONFIG;
	ua_http_global_init();
	su_init();
	if (a.mode == 'f')
		rc = mode_fetch(&a);
	else if (a.mode == 'r')
		rc = mode_run(&a);
	else
		rc = mode_swarm(&a, duration);
	if (a.nua)
		nua_destroy(a.nua);
	if (a.root)
		su_root_destroy(a.root);
	su_deinit();
	free(a.pinned_pem);
	return rc;
}
