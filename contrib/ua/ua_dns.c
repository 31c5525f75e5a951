/*
 * ua_dns: RFC 6011 §2.3.1 Configuration Service discovery (see ua_dns.h).
 * Reentrant: every call owns a private resolver state and buffers, so
 * any UA thread may call it.
 *
 * glibc's stub resolver (libresolv) does the transport: res_ninit() on a
 * private struct __res_state, pointed at the given server when there is
 * one.  The query is built with res_nmkquery() and sent with res_nsend()
 * rather than res_nquery(), because res_nquery() folds both a SERVFAIL
 * answer and a timeout into h_errno TRY_AGAIN and hides the answer's
 * length; RFC 6011 §2.3.1.2 (errata EID 2622) needs them apart: SERVFAIL
 * means "try the next domain", silence means "standard DNS retry".  For
 * the same reason pfcode is set: it makes res_nsend() hand back a
 * SERVFAIL/REFUSED answer instead of silently trying the next server;
 * the failover between the system's servers is done here instead, one
 * server per res_nsend().
 *
 * Bounds: glibc counts resolver timeouts in whole seconds, so timeout_ms
 * (0 means 5 s) is honoured to the second: it is rounded up, each server
 * asked gets an equal share of at least 1 s, and no more servers are
 * asked than there are seconds.  The query carries an EDNS0 OPT record
 * asking for answers up to 1232 bytes; an answer still truncated is
 * asked again over TCP (RFC 7766 §5, RFC 1035 §4.2.2), by this file
 * rather than by glibc (RES_IGNTC), whose TCP fallback has no timeout
 * at all (blocking connect and read): here the connect, the write and
 * each read wait at most until the lookup's deadline.  A reply that is
 * truncated over TCP too is refused (RFC 2181 §9).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <resolv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ua_dns.h"

#define UA_DNS_SERVICE		"SFUA.CFG"	/* RFC 6011 §4.3 */
#define UA_DNS_TIMEOUT_MS	5000		/* when timeout_ms is 0 */
#define UA_DNS_EDNS_SIZE	1232		/* RFC 9715 / DNS flag day */
#define UA_DNS_ANS_MAX		65536		/* largest DNS message */
#define UA_DNS_QUERY_MAX	(NS_PACKETSZ + 16)
#define UA_DNS_RE_MAX		1024		/* a NAPTR regexp is <= 255 */
#define UA_DNS_NS_MAX		MAXNS		/* system servers asked */

/* Characters that are special in a POSIX ERE (a delimiter among them
 * must stay escaped when its escape is removed). */
#define ERE_SPECIAL		"^.[]$()|*+?{}\\"

struct ua_ns {
	struct sockaddr_storage	 ss;
	socklen_t		 len;
};

struct naptr {
	unsigned	 order, pref;
	char		 flags[256], services[256], regexp[256];
	size_t		 nflags, nservices, nregexp;
	char		 replacement[NS_MAXDNAME];
};

static void seterr(struct ua_dns_result *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* One line into r->err. */
static void
seterr(struct ua_dns_result *r, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
}

const char *
ua_dns_strerror(enum ua_dns_rc rc)
{
	switch (rc) {
	case UA_DNS_OK:
		return "ok";
	case UA_DNS_NXDOMAIN:
		return "no such domain (NXDOMAIN)";
	case UA_DNS_NODATA:
		return "no usable SFUA.CFG NAPTR record";
	case UA_DNS_SERVFAIL:
		return "DNS server failure (SERVFAIL)";
	case UA_DNS_ERROR:
		return "DNS lookup failed";
	}
	return "unknown DNS result";
}

/*
 * RFC 3402 §3.2 substitution expression:
 *	subst-expr = delim-char ere delim-char repl delim-char *flags
 * The delimiter is the first character; it may not be a digit or a flag
 * ("digits MUST NOT be used as delimiters"), nor the escape character.
 * An escaped delimiter stands for the character itself, in both the ERE
 * and the replacement; "\1".."\9" in the replacement are backrefs.  The
 * result is the replacement with its backrefs expanded: every deployed
 * U-NAPTR (and RFC 6011's "!^.*$!<URI>!") matches the whole string, and
 * the DDDS output is the rule's key, not sed's splice of the unmatched
 * rest.  "\\" in the replacement is a literal backslash; any other
 * escape there is refused, as is "\0" (RFC 3402: not a backref).
 */
int
ua_dns_regexp(const char *expr, const char *subject, char *out, size_t outlen)
{
	char		 ere[UA_DNS_RE_MAX];
	const char	*p, *repl, *repl_end, *s;
	regex_t		 re;
	regmatch_t	 m[10];
	size_t		 n = 0, o = 0, len, sl;
	int		 delim, cflags = REG_EXTENDED, ret = -1;
	unsigned	 k;

	if (out == NULL || outlen == 0)
		return -1;
	out[0] = '\0';
	if (expr == NULL || subject == NULL)
		return -1;
	len = strlen(expr);
	if (len < 3 || len >= sizeof(ere))
		return -1;
	delim = (unsigned char)expr[0];
	if (isdigit(delim) || delim == 'i' || delim == '\\' ||
	    !isgraph(delim))
		return -1;

	/* The ERE: up to the first unescaped delimiter. */
	for (p = expr + 1; *p != delim; p++) {
		if (*p == '\0')
			return -1;
		if (*p == '\\') {
			if (p[1] == '\0')
				return -1;
			if (p[1] == delim) {
				if (strchr(ERE_SPECIAL, delim) != NULL)
					ere[n++] = '\\';
				ere[n++] = (char)delim;
				p++;
				continue;
			}
			ere[n++] = *p++;
		}
		ere[n++] = *p;
	}
	/* n <= p - expr < len < sizeof(ere): each input char is one out. */
	ere[n] = '\0';
	if (n == 0)
		return -1;

	/* The replacement: up to the third unescaped delimiter. */
	repl = ++p;
	for (; *p != delim; p++) {
		if (*p == '\0')
			return -1;
		if (*p == '\\' && *++p == '\0')
			return -1;
	}
	repl_end = p++;

	/* Flags: RFC 3402 defines only "i". */
	for (; *p != '\0'; p++) {
		if (*p != 'i')
			return -1;
		cflags |= REG_ICASE;
	}

	if (regcomp(&re, ere, cflags) != 0)
		return -1;
	if (regexec(&re, subject, sizeof(m) / sizeof(m[0]), m, 0) != 0)
		goto done;
	for (p = repl; p < repl_end; p++) {
		s = p;
		sl = 1;
		if (*p == '\\') {
			p++;
			if (*p >= '1' && *p <= '9') {
				k = (unsigned)(*p - '0');
				if (k > re.re_nsub)
					goto done;
				if (m[k].rm_so < 0)
					sl = 0;
				else {
					s = subject + m[k].rm_so;
					sl = (size_t)(m[k].rm_eo - m[k].rm_so);
				}
			} else if (*p == delim || *p == '\\')
				s = p;
			else
				goto done;
		}
		if (sl >= outlen - o)
			goto done;
		memcpy(out + o, s, sl);
		o += sl;
	}
	out[o] = '\0';
	ret = 0;
 done:
	regfree(&re);
	if (ret == -1)
		out[0] = '\0';
	return ret;
}

/* "ADDR", "ADDR:PORT", "[V6]" or "[V6]:PORT" (a bare V6 has no port). */
static int
parse_server(const char *s, struct ua_ns *ns)
{
	char			 host[INET6_ADDRSTRLEN + 1];
	const char		*h = s, *port = NULL, *c;
	size_t			 hl;
	unsigned long		 pn = NS_DEFAULTPORT;
	char			*end;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ns->ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ns->ss;

	memset(ns, 0, sizeof(*ns));
	if (*s == '[') {
		if ((c = strchr(s, ']')) == NULL)
			return -1;
		h = s + 1;
		hl = (size_t)(c - h);
		if (c[1] == ':')
			port = c + 2;
		else if (c[1] != '\0')
			return -1;
	} else if ((c = strchr(s, ':')) != NULL && strchr(c + 1, ':') == NULL) {
		hl = (size_t)(c - s);
		port = c + 1;
	} else
		hl = strlen(s);
	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (port != NULL) {
		if (!isdigit((unsigned char)*port))
			return -1;
		errno = 0;
		pn = strtoul(port, &end, 10);
		if (errno != 0 || *end != '\0' || pn == 0 || pn > 65535)
			return -1;
	}
	if (*s != '[' && inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)pn);
		ns->len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)pn);
		ns->len = sizeof(*sin6);
		return 0;
	}
	return -1;
}

/* The servers of /etc/resolv.conf, IPv6 ones included; their count. */
static int
system_servers(struct ua_ns *ns, int max)
{
	struct __res_state	 st;
	int			 i, n = 0;

	memset(&st, 0, sizeof(st));
	if (res_ninit(&st) != 0)
		return -1;
	for (i = 0; i < st.nscount && n < max; i++) {
		memset(&ns[n], 0, sizeof(ns[n]));
		if (st.nsaddr_list[i].sin_family == AF_INET) {
			memcpy(&ns[n].ss, &st.nsaddr_list[i],
			    sizeof(st.nsaddr_list[i]));
			ns[n++].len = sizeof(struct sockaddr_in);
		} else if (st.nsaddr_list[i].sin_family == 0 &&
		    st._u._ext.nsaddrs[i] != NULL &&
		    st._u._ext.nsaddrs[i]->sin6_family == AF_INET6) {
			memcpy(&ns[n].ss, st._u._ext.nsaddrs[i],
			    sizeof(struct sockaddr_in6));
			ns[n++].len = sizeof(struct sockaddr_in6);
		}
	}
	res_nclose(&st);
	return n;
}

/* RFC 6891 §6.1.2: an OPT pseudo-RR advertising our UDP payload size. */
static int
add_edns(unsigned char *q, int qlen, int qmax)
{
	HEADER		*h = (HEADER *)(void *)q;
	unsigned char	*p = q + qlen;

	if (qlen + 11 > qmax)
		return -1;
	*p++ = 0;				/* root */
	NS_PUT16(ns_t_opt, p);
	NS_PUT16(UA_DNS_EDNS_SIZE, p);		/* class: payload size */
	NS_PUT32(0, p);				/* ext-rcode, version, DO */
	NS_PUT16(0, p);				/* rdlen */
	h->arcount = htons((uint16_t)(ntohs(h->arcount) + 1));
	return qlen + 11;
}

/*
 * Ask exactly one server for name's NAPTR records, waiting secs; the
 * answer's length, or -1 with errno (ECONNREFUSED: nothing listening,
 * ETIMEDOUT: no answer, EMSGSIZE: cannot build the query).
 */
static int
ask(const struct ua_ns *ns, const char *name, int edns, unsigned secs,
    unsigned char *ans, int anslen)
{
	struct __res_state	 st;
	struct sockaddr_in6	*sin6;
	unsigned char		 q[UA_DNS_QUERY_MAX];
	int			 n, qlen, saved;

	memset(&st, 0, sizeof(st));
	if (res_ninit(&st) != 0)
		return -1;
	/*
	 * Drop the servers res_ninit read from resolv.conf: res_nclose
	 * frees their IPv6 addresses and detaches the shared configuration,
	 * after which glibc takes the fields below as the application's.
	 */
	res_nclose(&st);
	st.nscount = 1;
	st._u._ext.nscount = 0;
	st._u._ext.nssocks[0] = -1;
	if (ns->ss.ss_family == AF_INET) {
		memcpy(&st.nsaddr_list[0], &ns->ss, sizeof(st.nsaddr_list[0]));
		st._u._ext.nsaddrs[0] = NULL;
	} else {
		/* glibc's own layout for an IPv6 server: a malloc'd
		 * sockaddr_in6 in _u._ext (res_nclose frees it) and a zero
		 * family in nsaddr_list. */
		if ((sin6 = malloc(sizeof(*sin6))) == NULL)
			return -1;
		memcpy(sin6, &ns->ss, sizeof(*sin6));
		memset(&st.nsaddr_list[0], 0, sizeof(st.nsaddr_list[0]));
		st._u._ext.nsaddrs[0] = sin6;
	}
	st.retrans = (int)secs;
	st.retry = 1;
	st.options &= ~(RES_USEVC | RES_ROTATE | RES_USE_EDNS0);
	st.options |= RES_IGNTC;
	st.pfcode = RES_PRF_HEAD1;	/* hand back SERVFAIL/REFUSED */

	qlen = res_nmkquery(&st, ns_o_query, name, ns_c_in, ns_t_naptr,
	    NULL, 0, NULL, q, sizeof(q));
	if (qlen >= 0 && edns)
		qlen = add_edns(q, qlen, (int)sizeof(q));
	if (qlen < 0) {
		res_nclose(&st);
		errno = EMSGSIZE;
		return -1;
	}
	n = res_nsend(&st, q, qlen, ans, anslen);
	saved = errno;
	res_nclose(&st);
	errno = saved;
	return n;
}

/* A <character-string> (RFC 1035 §3.3) at *pp, bounded by end. */
static int
charstr(const unsigned char **pp, const unsigned char *end, char *out,
    size_t outlen, size_t *lenp)
{
	const unsigned char	*p = *pp;
	size_t			 l;

	if (p >= end)
		return -1;
	l = *p++;
	if ((size_t)(end - p) < l || l >= outlen)
		return -1;
	memcpy(out, p, l);
	out[l] = '\0';
	*lenp = l;
	*pp = p + l;
	return 0;
}

/* RFC 3403 §4.1 NAPTR RDATA; -1 if malformed. */
static int
parse_naptr(const ns_msg *msg, const ns_rr *rr, struct naptr *n)
{
	const unsigned char	*p = ns_rr_rdata(*rr);
	const unsigned char	*end = p + ns_rr_rdlen(*rr);
	int			 l;

	if (end - p < 4)
		return -1;
	n->order = ns_get16(p);
	n->pref = ns_get16(p + 2);
	p += 4;
	if (charstr(&p, end, n->flags, sizeof(n->flags), &n->nflags) == -1 ||
	    charstr(&p, end, n->services, sizeof(n->services),
	    &n->nservices) == -1 ||
	    charstr(&p, end, n->regexp, sizeof(n->regexp), &n->nregexp) == -1)
		return -1;
	if (p >= end)
		return -1;
	l = dn_expand(ns_msg_base(*msg), ns_msg_end(*msg), p, n->replacement,
	    sizeof(n->replacement));
	if (l < 0 || p + l != end)
		return -1;
	return 0;
}

/* A URL fit to hand on: https, printable ASCII without spaces. */
static int
usable_url(const char *u)
{
	const unsigned char	*p;

	if (strncasecmp(u, "https://", 8) != 0 || u[8] == '\0')
		return 0;
	for (p = (const unsigned char *)u; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return 0;
	return 1;
}

/*
 * Keep the UA_DNS_MAX best by (order, preference), RFC 3403 §4.1; equal
 * keys keep answer order (a stable insertion sort).
 */
static void
keep(struct ua_dns_result *r, unsigned order, unsigned pref, const char *url)
{
	size_t	 i, at;

	for (at = r->n; at > 0; at--)
		if (r->order[at - 1] < order ||
		    (r->order[at - 1] == order && r->pref[at - 1] <= pref))
			break;
	if (at == UA_DNS_MAX)
		return;
	if (r->n == UA_DNS_MAX)
		r->n--;
	for (i = r->n; i > at; i--) {
		memcpy(r->url[i], r->url[i - 1], sizeof(r->url[i]));
		r->order[i] = r->order[i - 1];
		r->pref[i] = r->pref[i - 1];
	}
	snprintf(r->url[at], sizeof(r->url[at]), "%s", url);
	r->order[at] = order;
	r->pref[at] = pref;
	r->n++;
}

/* RFC 6011 §2.3.1: the SFUA.CFG, flag "u" records and their URLs. */
static enum ua_dns_rc
answer(const unsigned char *ans, int len, const char *subject,
    struct ua_dns_result *r)
{
	ns_msg		 msg;
	ns_rr		 rr;
	struct naptr	 n;
	char		 url[UA_URL_MAX];
	int		 i, count, naptrs = 0, cfgs = 0;

	if (ns_initparse(ans, len, &msg) < 0) {
		seterr(r, "malformed DNS answer");
		return UA_DNS_ERROR;
	}
	count = ns_msg_count(msg, ns_s_an);
	for (i = 0; i < count; i++) {
		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0) {
			seterr(r, "malformed DNS answer record");
			return UA_DNS_ERROR;
		}
		if (ns_rr_type(rr) != ns_t_naptr || ns_rr_class(rr) != ns_c_in)
			continue;
		naptrs++;
		if (parse_naptr(&msg, &rr, &n) == -1) {
			seterr(r, "malformed NAPTR record at %s", ns_rr_name(rr));
			return UA_DNS_ERROR;
		}
		/* RFC 6011 §2.3.1: Service "SFUA.CFG", Flag "U". */
		if (n.nservices != strlen(UA_DNS_SERVICE) ||
		    strcasecmp(n.services, UA_DNS_SERVICE) != 0)
			continue;
		if (memchr(n.flags, 'u', n.nflags) == NULL &&
		    memchr(n.flags, 'U', n.nflags) == NULL)
			continue;
		cfgs++;
		/* RFC 3403 §4.1: regexp and replacement are exclusive; a
		 * terminal "u" rule needs the regexp. */
		if (n.nregexp == 0 || strlen(n.regexp) != n.nregexp ||
		    (n.replacement[0] != '\0' &&
		    strcmp(n.replacement, ".") != 0))
			continue;
		if (ua_dns_regexp(n.regexp, subject, url, sizeof(url)) == -1 ||
		    !usable_url(url))
			continue;
		keep(r, n.order, n.pref, url);
	}
	if (r->n > 0) {
		r->err[0] = '\0';
		return UA_DNS_OK;
	}
	if (naptrs == 0)
		seterr(r, "no NAPTR record for %s", subject);
	else if (cfgs == 0)
		seterr(r, "%d NAPTR record%s, none "
		    "with service SFUA.CFG and flag u", naptrs,
		    naptrs == 1 ? "" : "s");
	else
		seterr(r, "%d SFUA.CFG record%s, none "
		    "giving an https URL", cfgs, cfgs == 1 ? "" : "s");
	return UA_DNS_NODATA;
}

static const char *
rcode_name(int rc)
{
	static const char *const names[] = { "NOERROR", "FORMERR",
	    "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN",
	    "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE" };

	if (rc >= 0 && (size_t)rc < sizeof(names) / sizeof(names[0]))
		return names[rc];
	return "unknown rcode";
}

/* A plain host name: LDH labels (and "_"), 1..63 each, <= 253 in all. */
static int
valid_domain(const char *d, char *subject, size_t sublen)
{
	size_t	 n = strlen(d), i, lab = 0;

	if (n > 0 && d[n - 1] == '.')
		n--;
	if (n == 0 || n > 253 || n >= sublen)
		return 0;
	for (i = 0; i < n; i++) {
		if (d[i] == '.') {
			if (lab == 0)
				return 0;
			lab = 0;
			continue;
		}
		if (!isalnum((unsigned char)d[i]) && d[i] != '-' &&
		    d[i] != '_')
			return 0;
		if (++lab > 63)
			return 0;
	}
	memcpy(subject, d, n);
	subject[n] = '\0';
	return 1;
}

/* A copy of untrusted text fit for a one-line message. */
static const char *
printable(const char *in, char *out, size_t outlen)
{
	size_t	 i;

	for (i = 0; in[i] != '\0' && i + 1 < outlen; i++)
		out[i] = isgraph((unsigned char)in[i]) ? in[i] : '?';
	out[i] = '\0';
	return out;
}

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for fd to be ready for events until deadline; 0 or -1. */
static int
wait_fd(int fd, short events, long long deadline)
{
	struct pollfd	 p;
	long long	 left;
	int		 n;

	for (;;) {
		if ((left = deadline - now_ms()) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		p.fd = fd;
		p.events = events;
		n = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/* Exactly n bytes from fd before deadline; 0, or -1 (EPIPE: closed). */
static int
read_full(int fd, unsigned char *b, size_t n, long long deadline)
{
	ssize_t	 k;

	while (n > 0) {
		if (wait_fd(fd, POLLIN, deadline) == -1)
			return -1;
		k = read(fd, b, n);
		if (k == 0) {
			errno = EPIPE;
			return -1;
		}
		if (k < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

/*
 * RFC 7766 §8 (RFC 1035 §4.2.2): the same question over TCP, each
 * message behind a two-octet length, everything bounded by deadline.
 * The answer's length, or -1 with errno (EPROTO: not the answer to our
 * question).
 */
static int
ask_tcp(const struct ua_ns *ns, const char *name, int edns,
    long long deadline, unsigned char *ans, int anslen)
{
	struct __res_state	 st;
	unsigned char		 q[UA_DNS_QUERY_MAX + 2], l[2];
	int			 fd = -1, qlen, n = -1, soerr, saved;
	socklen_t		 sl = sizeof(soerr);
	size_t			 off = 0, len;
	ssize_t			 k;

	memset(&st, 0, sizeof(st));
	if (res_ninit(&st) != 0)
		return -1;
	qlen = res_nmkquery(&st, ns_o_query, name, ns_c_in, ns_t_naptr,
	    NULL, 0, NULL, q + 2, UA_DNS_QUERY_MAX);
	res_nclose(&st);
	if (qlen >= 0 && edns)
		qlen = add_edns(q + 2, qlen, UA_DNS_QUERY_MAX);
	if (qlen < 0) {
		errno = EMSGSIZE;
		return -1;
	}
	q[0] = (unsigned char)(qlen >> 8);
	q[1] = (unsigned char)qlen;
	if ((fd = socket(ns->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (const struct sockaddr *)&ns->ss, ns->len) == -1) {
		if (errno != EINPROGRESS ||
		    wait_fd(fd, POLLOUT, deadline) == -1)
			goto done;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == -1)
			goto done;
		if (soerr != 0) {
			errno = soerr;
			goto done;
		}
	}
	while (off < (size_t)qlen + 2) {
		if (wait_fd(fd, POLLOUT, deadline) == -1)
			goto done;
		k = write(fd, q + off, (size_t)qlen + 2 - off);
		if (k < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			goto done;
		}
		off += (size_t)k;
	}
	if (read_full(fd, l, 2, deadline) == -1)
		goto done;
	len = (size_t)l[0] << 8 | l[1];
	if (len < HFIXEDSZ || len > (size_t)anslen) {
		errno = EPROTO;
		goto done;
	}
	if (read_full(fd, ans, len, deadline) == -1)
		goto done;
	/* The answer to our question: same id. */
	if (memcmp(ans, q + 2, 2) != 0) {
		errno = EPROTO;
		goto done;
	}
	n = (int)len;
 done:
	saved = errno;
	close(fd);
	errno = saved;
	return n;
}

enum ua_dns_rc
ua_dns_naptr(const char *domain, const char *server, unsigned timeout_ms,
    struct ua_dns_result *r)
{
	struct ua_ns	 ns[UA_DNS_NS_MAX];
	unsigned char	*ans;
	char		 subject[NS_MAXDNAME], shown[128];
	const HEADER	*h;
	int		 nns, i, len, edns, tcp, servfail = 0, other = -1;
	int		 err = 0, tcperr = 0;
	unsigned	 secs, total_s;
	long long	 deadline;
	enum ua_dns_rc	 rc = UA_DNS_ERROR;

	memset(r, 0, sizeof(*r));
	if (domain == NULL || !valid_domain(domain, subject, sizeof(subject))) {
		seterr(r, "not a domain name: %s", domain == NULL ? "(null)" :
		    printable(domain, shown, sizeof(shown)));
		return UA_DNS_ERROR;
	}
	if (timeout_ms == 0)
		timeout_ms = UA_DNS_TIMEOUT_MS;
	deadline = now_ms() + timeout_ms;
	/* glibc counts in seconds: the budget is rounded up, >= 1 s. */
	total_s = (timeout_ms + 999) / 1000;

	if (server != NULL) {
		if (parse_server(server, &ns[0]) == -1) {
			seterr(r, "bad DNS server address: %s",
			    printable(server, shown, sizeof(shown)));
			return UA_DNS_ERROR;
		}
		nns = 1;
	} else if ((nns = system_servers(ns, UA_DNS_NS_MAX)) <= 0) {
		seterr(r, "no usable name server in resolv.conf");
		return UA_DNS_ERROR;
	}
	/* No more servers than whole seconds: each costs at least one. */
	if ((unsigned)nns > total_s)
		nns = (int)total_s;
	secs = total_s / (unsigned)nns;

	if ((ans = malloc(UA_DNS_ANS_MAX)) == NULL) {
		seterr(r, "out of memory");
		return UA_DNS_ERROR;
	}
	for (i = 0; i < nns; i++) {
		if (i > 0 && now_ms() >= deadline)
			break;
		edns = 1;
		tcp = 0;
 again:
		len = tcp ? ask_tcp(&ns[i], subject, edns, deadline, ans,
		    UA_DNS_ANS_MAX) : ask(&ns[i], subject, edns, secs, ans,
		    UA_DNS_ANS_MAX);
		if (len < 0) {
			if (tcp)
				tcperr = errno;
			else
				err = errno;
			continue;
		}
		if (len < HFIXEDSZ) {
			seterr(r, "short DNS answer");
			goto done;
		}
		h = (const HEADER *)(const void *)ans;
		/* RFC 6891 §7: a server without EDNS may say FORMERR. */
		if (h->rcode == ns_r_formerr && edns) {
			edns = 0;
			goto again;
		}
		if (!h->qr) {
			seterr(r, "DNS answer is not a response");
			goto done;
		}
		if (h->tc && !tcp) {
			/* RFC 7766 §5: truncated over UDP: ask over TCP. */
			tcp = 1;
			goto again;
		}
		if (h->tc) {
			seterr(r, "DNS answer truncated over TCP too");
			goto done;
		}
		if (h->rcode == ns_r_noerror) {
			rc = answer(ans, len, subject, r);
			goto done;
		}
		if (h->rcode == ns_r_nxdomain) {
			seterr(r, "%s does not exist (NXDOMAIN)", subject);
			rc = UA_DNS_NXDOMAIN;
			goto done;
		}
		/* SERVFAIL, REFUSED, NOTIMP...: another server may do. */
		if (h->rcode == ns_r_servfail)
			servfail = 1;
		else
			other = h->rcode;
	}
	/* RFC 6011 §2.3.1.2 (EID 2622): a failure RCODE is permanent. */
	if (servfail) {
		seterr(r, "server failure (SERVFAIL) for %s", subject);
		rc = UA_DNS_SERVFAIL;
	} else if (other >= 0)
		seterr(r, "DNS server answered %s", rcode_name(other));
	else if (tcperr != 0)
		seterr(r, "DNS answer truncated (larger than %d bytes) and the "
		    "TCP retry failed: %s", UA_DNS_EDNS_SIZE, tcperr == EPROTO ?
		    "not an answer to the question" : tcperr == EPIPE ?
		    "connection closed" : strerror_r(tcperr, shown,
		    sizeof(shown)));
	else if (err == ECONNREFUSED)
		seterr(r, "no DNS server listening at %s", server == NULL ?
		    "the resolv.conf servers" : server);
	else if (err == ETIMEDOUT || err == 0)
		seterr(r, "DNS query timed out (no answer)");
	else
		seterr(r, "DNS query failed: %s",
		    strerror_r(err, shown, sizeof(shown)));
 done:
	free(ans);
	if (rc != UA_DNS_OK)
		r->n = 0;
	return rc;
}
