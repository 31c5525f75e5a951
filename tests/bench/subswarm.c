/*
 * subswarm: a load tool for sipcfgd's SIP notifier (RFC 5989 http-monitor
 * subscriptions, RFC 6011 §2.5).  Self-contained: raw SIP over UDP (or TLS)
 * on loopback, epoll, libsqlite3 for the store, libcrypto for MD5/SHA-256
 * and libssl for --transport tls.
 *
 *   cc -O2 -Wall -o subswarm tests/bench/subswarm.c -lssl -lcrypto -lsqlite3
 *
 * Modes:
 *
 *   subswarm sql N REALM [--first HEX] [--pass PW]
 *	Prints SQL (one transaction) that creates N devices
 *	urn:uuid:00000000-0000-1000-8000-XXXXXXXXXXXX (XXXXXXXXXXXX counting
 *	up from --first, default be0000000000), each with its own user and
 *	line 1: user name = line username = uNNNNNNN, password PW (default
 *	bench-line-pw) for both, realm REALM, AOR sip:uNNNNNNN@REALM.  The
 *	store's trigger gives each device its monitor token.
 *
 *   subswarm run --store F --sip HOST:PORT --n N [options]
 *	Holds N http-monitor subscriptions spread over --socks UDP sockets
 *	(one dialog each: own Call-ID and From-tag), answers every NOTIFY
 *	with 200 at once, refreshes before expiry, retransmits SUBSCRIBEs
 *	(RFC 3261 timers E/F), and measures:
 *	  establish  SUBSCRIBE / 401 / SUBSCRIBE+Digest / 200 / NOTIFY for all N
 *	  single     --k changes, each to one device's variable (--dev-var,
 *	             layer 'device'), committed through libsqlite3; latency
 *	             commit-returned -> NOTIFY with a new ETag received
 *	  fan-out    one global variable change (--global-var); commit ->
 *	             last of the N NOTIFYs received and answered
 *	  no-op      one global variable no template uses (--noop-var): how
 *	             many NOTIFYs (should be 0) and what it costs the daemon
 *	  shutdown   (--term) SIGTERM to --pid; the terminated NOTIFYs
 *	  probes     while establishing, idle, during the fan-out and after
 *	             the no-op change: a refresh SUBSCRIBE every 100 ms,
 *	             timed to its 2xx (how long a phone waits meanwhile)
 *	With --pid it also reads sipcfgd's VmRSS and per-thread CPU time per
 *	phase from /proc, and the drops counter of its SIP socket from
 *	/proc/net/udp.  Results go to stdout as `R key value` lines (the
 *	*_clock ones are CLOCK_MONOTONIC, for `perf record -k
 *	CLOCK_MONOTONIC` then `perf report --time A,B`); progress and
 *	anomalies (the first two of each kind with the request sent and the
 *	message received) go to stderr.  Exit status 2 (with a message) when
 *	the set-up fails or sipcfgd goes away; the figures never fail it.
 *
 *	With --transport tls (default udp) --sip names a sips: listener and
 *	each subscription is its own TLS connection, as N phones would hold
 *	(--socks is ignored; RLIMIT_NOFILE is raised to its hard limit and
 *	must exceed N + 64).  Connects and handshakes are non-blocking, in
 *	the same epoll loop; --window bounds the connections between
 *	connect() and the final answer to their SUBSCRIBE, so at most that
 *	many handshakes are in flight.  TLS 1.2 or later, the server
 *	certificate not checked (a self-signed bench certificate), no session
 *	resumption.  The Request-URI is sips:TOKEN@HOST:PORT, the Via
 *	SIP/2.0/TLS and the Contact a sips: URI, both with the connection's
 *	local address and port; SIP is framed on the stream by
 *	Content-Length, responses and NOTIFYs are expected on the
 *	subscription's own connection and answered there; no
 *	retransmissions (RFC 3261 §17.1.2.2), Timer F still ends a
 *	transaction.  A connection that closes ends its subscription (no
 *	reconnect).  Extra results: tls_version, tls_handshakes,
 *	tls_handshake_ms (connect -> handshake done), tls_closed,
 *	tls_stream; establish and handshake_ms count from connect().
 *
 *	Two instances on one store (issue 13, tests/bench/scale.sh's
 *	PostgreSQL run), UDP only:
 *	  --list FILE  the subscribers from FILE instead of --store: one a
 *	             line, tab-separated: sfua-id, monitor token, line user
 *	             name, realm, line HA1, AOR (what --store reads)
 *	  --sip2 HOST:PORT  a second instance: each of the N devices is
 *	             subscribed at both (2N dialogs, the --sip one first); a
 *	             single-device change is then awaited from both, and
 *	             single_ms_a / single_ms_b are per instance
 *	  --commit-cmd CMD  changes are made by running
 *	             `CMD LAYER SCOPE NAME VALUE` (sh; SCOPE "" for global)
 *	             instead of through libsqlite3 (--store is not opened);
 *	             NOTIFYs are taken in while it runs.  Latency counts from
 *	             its exit (the commit returned: single_ms*, as with
 *	             libsqlite3) and from its start (single_start_ms*, an
 *	             upper bound); single_cmd_ms is how long it ran.
 *
 * Where the spec is silent the tool takes the reading of a plain UA:
 * responses go to the top Via (received/rport honoured, else the source
 * address); a NOTIFY may come before the SUBSCRIBE's 2xx; a refresh
 * first offers the cached nonce (nc + 1) and answers a new challenge;
 * a 401 with stale=true is answered with the new nonce; the Digest HA1
 * is the line's stored HA1 (what the generic template hands out) unless
 * --pass is given.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <sqlite3.h>

#define T1		0.5
#define T2		4.0
#define TIMER_F		32.0
#define MAXHDR		80
#define RXBUF		65536

/* ------------------------------------------------------------ utilities */

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *fmt, ...)
{
	va_list	 ap;

	fflush(stdout);
	fprintf(stderr, "subswarm: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* An option's number, or die: garbage is a usage error, not a zero. */
static long
num(const char *opt, const char *v)
{
	char	*end;
	long	 n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end != '\0' || n < 0)
		die("-%s %s: not a number", opt, v);
	return n;
}

static void
note(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "subswarm: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
result(const char *key, const char *fmt, ...)
{
	va_list	 ap;

	printf("R %s ", key);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static uint64_t rng_state;
static void	check_daemon(const char *);

static uint64_t
rnd(void)
{
	/* xorshift64*: random enough for tags, branches and cnonces. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static void
hexdigest(const EVP_MD *md, const char *s, size_t len, char *out)
{
	unsigned char	 d[EVP_MAX_MD_SIZE];
	unsigned int	 n = 0, i;

	if (EVP_Digest(s, len, d, &n, md, NULL) != 1)
		die("EVP_Digest failed");
	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
	out[2 * n] = '\0';
}

static void
md5hex(char *out, const char *fmt, ...)
{
	char	 buf[2048];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		die("digest input too long");
	hexdigest(EVP_md5(), buf, (size_t)n, out);
}

/* No libm: the build line links only -lcrypto and -lsqlite3. */
static long
ceil_l(double x)
{
	long	 i = (long)x;

	return (double)i < x ? i + 1 : i;
}

static int
cmpd(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array. */
static double
pct(const double *v, size_t n, double p)
{
	size_t	 i;

	if (n == 0)
		return NAN;
	i = (size_t)ceil_l(p * (double)n);
	if (i == 0)
		i = 1;
	if (i > n)
		i = n;
	return v[i - 1];
}

/* ------------------------------------------------------------- sql mode */

static int
mode_sql(int argc, char **argv)
{
	const char	*realm, *pw = "bench-line-pw";
	unsigned long long first = 0xbe0000000000ULL, n, i;
	char		 user[32], sfua[64], md5[65], sha[65], in[512];
	int		 k, len;

	if (argc < 3)
		die("usage: subswarm sql N REALM [--first HEX] [--pass PW]");
	n = strtoull(argv[1], NULL, 10);
	realm = argv[2];
	for (k = 3; k < argc; k++) {
		if (strcmp(argv[k], "--first") == 0 && k + 1 < argc)
			first = strtoull(argv[++k], NULL, 16);
		else if (strcmp(argv[k], "--pass") == 0 && k + 1 < argc)
			pw = argv[++k];
		else
			die("sql: unknown argument %s", argv[k]);
	}
	if (n == 0 || n > 10000000)
		die("sql: N must be 1..10000000");
	if (strpbrk(realm, "'\":\\ ") || strpbrk(pw, "'\\"))
		die("sql: no quotes, colons or blanks in REALM or PW, please");
	printf("BEGIN;\n");
	for (i = 0; i < n; i++) {
		snprintf(user, sizeof(user), "u%07llu", i);
		snprintf(sfua, sizeof(sfua),
		    "urn:uuid:00000000-0000-1000-8000-%012llx",
		    (first + i) & 0xffffffffffffULL);
		len = snprintf(in, sizeof(in), "%s:%s:%s", user, realm, pw);
		hexdigest(EVP_md5(), in, (size_t)len, md5);
		hexdigest(EVP_sha256(), in, (size_t)len, sha);
		printf("INSERT INTO users(name, realm, ha1_md5, ha1_sha256) "
		    "VALUES ('%s', '%s', '%s', '%s');\n", user, realm, md5, sha);
		printf("INSERT INTO devices(sfua_id, vendor, model, user_id) "
		    "VALUES ('%s', 'examplecorp.com', 'HypoComm', "
		    "(SELECT id FROM users WHERE name = '%s'));\n", sfua, user);
		printf("INSERT INTO lines(device_id, position, aor, realm, "
		    "username, ha1) VALUES ((SELECT id FROM devices WHERE "
		    "sfua_id = '%s'), 1, 'sip:%s@%s', '%s', '%s', '%s');\n",
		    sfua, user, realm, realm, user, md5);
	}
	printf("COMMIT;\n");
	return fflush(stdout) == 0 ? 0 : 2;
}

/* ---------------------------------------------------------- SIP parsing */

struct hdr {
	const char	*name, *val, *line;
	size_t		 nlen, vlen, llen;
};

struct msg {
	char		*buf;
	size_t		 len;
	int		 is_req;
	char		 method[32];
	char		 ruri[512];
	int		 code;
	char		 reason[128];
	struct hdr	 h[MAXHDR];
	int		 nh;
	const char	*body;
	size_t		 blen;
};

static const struct {
	const char	*lng, *cmp;
} compact[] = {
	{ "Call-ID", "i" }, { "From", "f" }, { "To", "t" }, { "Via", "v" },
	{ "Contact", "m" }, { "Content-Length", "l" }, { "Content-Type", "c" },
	{ "Event", "o" }, { "Allow-Events", "u" }, { "Supported", "k" },
	{ "Content-Encoding", "e" }, { NULL, NULL }
};

static int
hname_is(const struct hdr *h, const char *name)
{
	int	 i;

	if (h->nlen == strlen(name) && strncasecmp(h->name, name, h->nlen) == 0)
		return 1;
	for (i = 0; compact[i].lng; i++)
		if (strcasecmp(compact[i].lng, name) == 0)
			return h->nlen == 1 &&
			    tolower((unsigned char)h->name[0]) ==
			    compact[i].cmp[0];
	return 0;
}

static const struct hdr *
hget(const struct msg *m, const char *name)
{
	int	 i;

	for (i = 0; i < m->nh; i++)
		if (hname_is(&m->h[i], name))
			return &m->h[i];
	return NULL;
}

/* Copies a header value (trimmed) into out; "" when absent. */
static int
hcopy(const struct msg *m, const char *name, char *out, size_t outlen)
{
	const struct hdr *h = hget(m, name);
	size_t		 n;

	out[0] = '\0';
	if (h == NULL)
		return -1;
	n = h->vlen < outlen - 1 ? h->vlen : outlen - 1;
	memcpy(out, h->val, n);
	out[n] = '\0';
	return 0;
}

static int
sip_parse(struct msg *m, char *buf, size_t len)
{
	char	*p, *e, *eol, *c, *sp;
	size_t	 n;

	memset(m, 0, sizeof(*m));
	m->buf = buf;
	m->len = len;
	buf[len] = '\0';
	if ((e = strstr(buf, "\r\n\r\n")) != NULL) {
		m->body = e + 4;
	} else if ((e = strstr(buf, "\n\n")) != NULL) {
		m->body = e + 2;
	} else
		return -1;
	m->blen = len - (size_t)(m->body - buf);
	/* Start line. */
	eol = strchr(buf, '\n');
	if (eol == NULL || eol > e + 2)
		return -1;
	n = (size_t)(eol - buf);
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	if (n >= 8 && strncmp(buf, "SIP/2.0 ", 8) == 0) {
		m->is_req = 0;
		m->code = (int)strtol(buf + 8, NULL, 10);
		if (n > 12)
			snprintf(m->reason, sizeof(m->reason), "%.*s",
			    (int)(n - 12), buf + 12);
	} else {
		m->is_req = 1;
		sp = memchr(buf, ' ', n);
		if (sp == NULL || (size_t)(sp - buf) >= sizeof(m->method))
			return -1;
		memcpy(m->method, buf, (size_t)(sp - buf));
		c = memchr(sp + 1, ' ', n - (size_t)(sp + 1 - buf));
		if (c == NULL)
			return -1;
		snprintf(m->ruri, sizeof(m->ruri), "%.*s", (int)(c - sp - 1),
		    sp + 1);
	}
	/* Headers. */
	for (p = eol + 1; p < e + 2 && *p != '\r' && *p != '\n'; p = eol + 1) {
		if ((eol = strchr(p, '\n')) == NULL)
			return -1;
		n = (size_t)(eol - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if ((*p == ' ' || *p == '\t') && m->nh > 0) {
			/* Folded: extend the previous header. */
			m->h[m->nh - 1].vlen = (size_t)(p + n -
			    m->h[m->nh - 1].val);
			m->h[m->nh - 1].llen = (size_t)(p + n -
			    m->h[m->nh - 1].line);
			continue;
		}
		if (m->nh == MAXHDR)
			return -1;
		if ((c = memchr(p, ':', n)) == NULL)
			return -1;
		m->h[m->nh].line = p;
		m->h[m->nh].llen = n;
		m->h[m->nh].name = p;
		m->h[m->nh].nlen = (size_t)(c - p);
		while (m->h[m->nh].nlen > 0 &&
		    (p[m->h[m->nh].nlen - 1] == ' ' ||
		    p[m->h[m->nh].nlen - 1] == '\t'))
			m->h[m->nh].nlen--;
		c++;
		while (c < p + n && (*c == ' ' || *c == '\t'))
			c++;
		m->h[m->nh].val = c;
		m->h[m->nh].vlen = (size_t)(p + n - c);
		while (m->h[m->nh].vlen > 0 && isspace((unsigned char)
		    c[m->h[m->nh].vlen - 1]))
			m->h[m->nh].vlen--;
		m->nh++;
	}
	return 0;
}

/*
 * A ;param of a header value (after the closing '>' of a name-addr, so
 * URI parameters are not taken); "" for a flag parameter, -1 if absent.
 */
static int
hparam(const char *v, size_t vlen, const char *name, char *out, size_t outlen)
{
	const char	*p = v, *e = v + vlen, *gt, *q, *pe;
	size_t		 nl = strlen(name), n;

	out[0] = '\0';
	if ((gt = memchr(v, '>', vlen)) != NULL)
		p = gt + 1;
	while (p < e) {
		if ((q = memchr(p, ';', (size_t)(e - p))) == NULL)
			return -1;
		p = q + 1;
		while (p < e && *p == ' ')
			p++;
		for (pe = p; pe < e && *pe != ';' && *pe != ','; pe++)
			;
		if ((size_t)(pe - p) >= nl && strncasecmp(p, name, nl) == 0 &&
		    (p + nl == pe || p[nl] == '=' || p[nl] == ' ')) {
			q = p + nl;
			while (q < pe && (*q == ' ' || *q == '='))
				q++;
			n = (size_t)(pe - q);
			if (n >= outlen)
				n = outlen - 1;
			memcpy(out, q, n);
			out[n] = '\0';
			return 0;
		}
	}
	return -1;
}

/* The URI of a name-addr or addr-spec (Contact, From, To). */
static void
huri(const char *v, size_t vlen, char *out, size_t outlen)
{
	const char	*lt, *gt;
	size_t		 n;

	if ((lt = memchr(v, '<', vlen)) != NULL &&
	    (gt = memchr(lt, '>', vlen - (size_t)(lt - v))) != NULL) {
		v = lt + 1;
		n = (size_t)(gt - lt - 1);
	} else {
		n = strcspn(v, ";");
		if (n > vlen)
			n = vlen;
	}
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, v, n);
	out[n] = '\0';
}

/* Digest challenge parameters: key=value or key="value", comma-separated. */
static int
authparam(const char *v, size_t vlen, const char *key, char *out, size_t outlen)
{
	const char	*p = v, *e = v + vlen, *ks, *vs;
	size_t		 kl, n;
	int		 quoted;

	out[0] = '\0';
	while (p < e && !isspace((unsigned char)*p))	/* the scheme */
		p++;
	while (p < e) {
		while (p < e && (isspace((unsigned char)*p) || *p == ','))
			p++;
		ks = p;
		while (p < e && *p != '=' && *p != ',')
			p++;
		kl = (size_t)(p - ks);
		while (kl > 0 && isspace((unsigned char)ks[kl - 1]))
			kl--;
		if (p >= e || *p != '=')
			continue;
		p++;
		while (p < e && isspace((unsigned char)*p))
			p++;
		quoted = p < e && *p == '"';
		if (quoted)
			p++;
		vs = p;
		if (quoted) {
			while (p < e && *p != '"') {
				if (*p == '\\' && p + 1 < e)
					p++;
				p++;
			}
		} else
			while (p < e && *p != ',' && !isspace((unsigned char)*p))
				p++;
		n = (size_t)(p - vs);
		if (quoted && p < e)
			p++;
		if (kl == strlen(key) && strncasecmp(ks, key, kl) == 0) {
			if (n >= outlen)
				n = outlen - 1;
			memcpy(out, vs, n);
			out[n] = '\0';
			return 0;
		}
	}
	return -1;
}

/* A header line of an HTTP message carried in a body ("ETag: ..."). */
static int
bodyhdr(const struct msg *m, const char *name, char *out, size_t outlen)
{
	const char	*p = m->body, *e = m->body + m->blen, *eol, *v;
	size_t		 nl = strlen(name), n;

	out[0] = '\0';
	while (p < e) {
		eol = memchr(p, '\n', (size_t)(e - p));
		if (eol == NULL)
			eol = e;
		if ((size_t)(eol - p) > nl && strncasecmp(p, name, nl) == 0 &&
		    p[nl] == ':') {
			v = p + nl + 1;
			while (v < eol && *v == ' ')
				v++;
			n = (size_t)(eol - v);
			while (n > 0 && isspace((unsigned char)v[n - 1]))
				n--;
			if (n >= outlen)
				n = outlen - 1;
			memcpy(out, v, n);
			out[n] = '\0';
			return 0;
		}
		p = eol + 1;
	}
	return -1;
}

/* --------------------------------------------------------------- state */

enum sstate { S_IDLE, S_PENDING, S_ACTIVE, S_DEAD };

struct sub {
	char		 sfua[96], token[48], user[136], realm[136], ha1[40];
	char		 aor[300];
	char		 callid[64], ftag[24], totag[128], target[300];
	char		 branch[64];
	char		 nonce[256], opaque[256], crealm[136];
	char		 etag[128], prev_etag[128];
	char		*req;		/* last request sent */
	size_t		 reqlen;
	int		 sock;
	int		 inst;		/* 0: --sip, 1: --sip2 */
	enum sstate	 state;
	int		 got200, notified, est, tx, fresh_auth, auth401s;
	int		 expect_notify;	/* a 2xx came: its NOTIFY is due */
	int		 probing;	/* a probe refresh is in flight */
	double		 probe_t0;
	uint32_t	 cseq, ncseq;
	unsigned	 nc, granted;
	double		 nonce_t, tx_start, tx_next, tx_ivl;
	double		 t_start, t_200, t_notify, last_notify;
	double		 t_tls;		/* TLS handshake done (--transport tls) */
	double		 refresh_at, expires_at;
	/* Measurement. */
	int		 waiting, fan_got, fan_extra;
	double		 t_commit, lat;
	unsigned	 notifies, dups;
};

struct sk {
	int		 fd;
	unsigned	 port;
};

enum phase { P_ESTABLISH, P_IDLE, P_SINGLE, P_FANOUT, P_NOOP, P_TERM };

static struct {
	const char	*store, *sip, *uri_host, *pass, *dev_var, *global_var;
	const char	*noop_var, *hook_held, *hook_end;
	const char	*list, *sip2, *commit_cmd;
	unsigned	 n, socks, window, k, expires, setup_timeout;
	unsigned	 fanout_timeout, settle;
	int		 pid, term, verbose;
	int		 tls;		/* --transport tls */
} o = {
	.dev_var = "ntp_server", .global_var = "timezone",
	.noop_var = "bench_noop", .socks = 40, .window = 200, .k = 200,
	.expires = 3600, .setup_timeout = 180, .fanout_timeout = 60,
};

static struct sub	*subs;
static unsigned		 nsubs;
static struct sk	*sks;
static int		 ep = -1;
static struct sockaddr_in daddr, daddr2;
static char		 dhost[64], dhost2[64];
static unsigned		 dport, dport2;
static char		 runid[16];
static enum phase	 phase = P_ESTABLISH;
static unsigned		 inflight, next_start;
static double		 next_scan;

/* Counters. */
static struct {
	unsigned long	 sent, rx, retrans, timeouts, c401, c200, c423;
	unsigned long	 cother, notify, notify_dup, notify_unknown;
	unsigned long	 stray_resp, bad_msg, other_req, refreshes;
	unsigned long	 terminated, expired, via_mismatch, realm_mismatch;
	unsigned long	 auth_rejected, forked, stale, notify_before_2xx;
	unsigned long	 refresh_notifies, refresh_401;
	/* --transport tls */
	unsigned long	 tls_connect_fail, tls_hs_fail, tls_closed;
	unsigned long	 tls_wrong_conn, tls_pings, tls_partial;
	double		 t_last_rx;
} cnt;

/* Establish. */
static unsigned	 est_done, est_dead, est_200;

/*
 * Probes: while a phase runs, a refresh SUBSCRIBE (Digest, cached nonce)
 * every 100 ms, timed to its 2xx: how long a device waits for the
 * notifier's SIP side while it works on something else.
 */
#define PROBE_MAX 4096
static double	 probe_lat[PROBE_MAX];
static unsigned	 nprobe, probe_next, probe_lost;
static double	 probe_due;
static double	 t_est_start, t_est_200, t_est_done;

/* Fan-out / no-op / term. */
static unsigned	 fan_got, fan_extra, noop_notifies, term_got;
static double	 fan_t0, fan_first, fan_last, fan_last_ans, term_t0, term_last;
static double	*fan_lat;
static unsigned	 fan_hist[600];		/* arrivals per 100 ms */
static unsigned	 ra_min = ~0u, ra_max, term_bad;
static double	 ra_sum;

/* Terminations by reason. */
#define NREASON 8
static struct { char r[64]; unsigned n; } reasons[NREASON];

/* Anomalies: counted; the first few of each kind shown in full. */
#define NANOM 32
static struct { char kind[96]; unsigned n; } anoms[NANOM];

static void
anomaly(const char *kind, const struct sub *s, const struct msg *m,
    const char *fmt, ...)
{
	va_list	 ap;
	int	 i;

	for (i = 0; i < NANOM && anoms[i].kind[0]; i++)
		if (strcmp(anoms[i].kind, kind) == 0)
			break;
	if (i < NANOM) {
		if (anoms[i].kind[0] == '\0')
			snprintf(anoms[i].kind, sizeof(anoms[i].kind), "%s",
			    kind);
		if (anoms[i].n++ >= (o.verbose ? 1000u : 2u))
			return;
	}
	fprintf(stderr, "subswarm: ANOMALY %s", kind);
	if (fmt) {
		fputs(": ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
	}
	fputc('\n', stderr);
	if (s && s->req)
		fprintf(stderr, "---- sent (device %s):\n%.*s----\n", s->sfua,
		    (int)s->reqlen, s->req);
	if (m)
		fprintf(stderr, "---- received:\n%.*s\n----\n", (int)m->len,
		    m->buf);
}

static void
count_reason(const char *r)
{
	int	 i;

	for (i = 0; i < NREASON; i++) {
		if (reasons[i].r[0] == '\0')
			snprintf(reasons[i].r, sizeof(reasons[i].r), "%s", r);
		if (strcmp(reasons[i].r, r) == 0) {
			reasons[i].n++;
			return;
		}
	}
}

/* --------------------------------------------------------- daemon stats */

static long
proc_kb(int pid, const char *field)
{
	char	 path[64], line[256];
	FILE	*f;
	long	 v = -1;
	size_t	 fl = strlen(field);

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, fl) == 0 && line[fl] == ':') {
			v = strtol(line + fl + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/*
 * Datagrams the kernel dropped at the daemon's SIP socket (its receive
 * buffer was full): the "drops" column of /proc/net/udp.  -1: not found.
 */
static long
udp_drops(void)
{
	char		 line[512], want[32];
	FILE		*f;
	long		 v = -1;
	unsigned long	 drops;

	if (o.tls)
		return -1;

	/* The kernel prints the address as the host-order integer of the
	 * network-order bytes (0100007F on x86), the port in host order. */
	snprintf(want, sizeof(want), "%08X:%04X",
	    (unsigned)daddr.sin_addr.s_addr, dport);
	if ((f = fopen("/proc/net/udp", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char	 local[64];

		/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode
		 * ref pointer drops */
		if (sscanf(line, "%*s %63s %*s %*s %*s %*s %*s %*s %*s %*s "
		    "%*s %*s %lu", local, &drops) == 2 &&
		    strcmp(local, want) == 0) {
			v = (long)drops;
			break;
		}
	}
	fclose(f);
	return v;
}

#define MAXTHR 128
struct thr {
	int		 tid;
	char		 comm[32];
	unsigned long long ticks;
};
struct cpusnap {
	int		 n;
	struct thr	 t[MAXTHR];
	double		 when;
	double		 self;		/* subswarm's own CPU seconds */
};

static void
cpu_snap(struct cpusnap *c)
{
	char		 path[320], buf[1024], *p, *q;
	DIR		*d;
	struct dirent	*e;
	FILE		*f;
	unsigned long long u, s;

	c->n = 0;
	c->when = now();
	{
		struct rusage	 ru;

		c->self = getrusage(RUSAGE_SELF, &ru) != 0 ? 0 :
		    (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	}
	if (o.pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/task", o.pid);
	if ((d = opendir(path)) == NULL)
		return;
	while ((e = readdir(d)) != NULL && c->n < MAXTHR) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", o.pid,
		    e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(buf, sizeof(buf), f) && (p = strchr(buf, '(')) &&
		    (q = strrchr(buf, ')')) && sscanf(q + 2, "%*c %*d %*d %*d "
		    "%*d %*d %*u %*u %*u %*u %*u %llu %llu", &u, &s) == 2) {
			c->t[c->n].tid = (int)strtol(e->d_name, NULL, 10);
			snprintf(c->t[c->n].comm, sizeof(c->t[c->n].comm),
			    "%.*s", (int)(q - p - 1), p + 1);
			c->t[c->n].ticks = u + s;
			c->n++;
		}
		fclose(f);
	}
	closedir(d);
}

/* Prints the daemon's CPU use between two snapshots, per thread. */
static void
cpu_report(const char *tag, const struct cpusnap *a, const struct cpusnap *b)
{
	double		 hz = (double)sysconf(_SC_CLK_TCK), tot = 0, dt;
	char		 line[2048];
	size_t		 off = 0;
	int		 i, j;

	if (o.pid <= 0)
		return;
	dt = b->when - a->when;
	line[0] = '\0';
	for (i = 0; i < b->n; i++) {
		unsigned long long before = 0;

		for (j = 0; j < a->n; j++)
			if (a->t[j].tid == b->t[i].tid)
				before = a->t[j].ticks;
		if (b->t[i].ticks <= before)
			continue;
		tot += (double)(b->t[i].ticks - before) / hz;
		if (off < sizeof(line) - 64)
			off += (size_t)snprintf(line + off, sizeof(line) - off,
			    " %s/%d=%.2fs", b->t[i].comm, b->t[i].tid,
			    (double)(b->t[i].ticks - before) / hz);
	}
	result(tag, "%.2f s CPU in %.2f s wall;%s", tot, dt,
	    off ? line : " (none)");
	/* CLOCK_MONOTONIC, for `perf record -k CLOCK_MONOTONIC` slices. */
	printf("R %s_clock %.6f %.6f\n", tag, a->when, b->when);
	/* Over TLS the load tool works hard too: is it the bottleneck? */
	if (o.tls)
		printf("R %s_subswarm %.2f s CPU (subswarm itself)\n", tag,
		    b->self - a->self);
}

/* ------------------------------------------------------------ transport */

static int
resolve(const char *hp, struct sockaddr_in *sa, char *host, size_t hlen,
    unsigned *port)
{
	const char	*c = strrchr(hp, ':');
	char		 h[64], *end;
	long		 pv;

	if (c == NULL || (size_t)(c - hp) >= sizeof(h))
		return -1;
	memcpy(h, hp, (size_t)(c - hp));
	h[c - hp] = '\0';
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	errno = 0;
	pv = strtol(c + 1, &end, 10);
	if (errno || *end != '\0' || pv <= 0 || pv > 65535)
		return -1;
	sa->sin_port = htons((uint16_t)pv);
	if (inet_pton(AF_INET, h, &sa->sin_addr) != 1)
		return -1;
	if (host)
		snprintf(host, hlen, "%s", h);
	if (port)
		*port = (unsigned)pv;
	return 0;
}

static void
open_sockets(void)
{
	struct epoll_event	 ev;
	struct sockaddr_in	 sa;
	socklen_t		 sl;
	unsigned		 i;
	int			 sz = 4 << 20;

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die("epoll_create1: %s", strerror(errno));
	if (o.tls)
		return;		/* a connection per subscription, later */
	sks = calloc(o.socks, sizeof(*sks));
	for (i = 0; i < o.socks; i++) {
		if ((sks[i].fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0)) < 0)
			die("socket: %s", strerror(errno));
		/* As root, past rmem_max; else as much as allowed. */
		if (setsockopt(sks[i].fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz,
		    sizeof(sz)) != 0)
			setsockopt(sks[i].fd, SOL_SOCKET, SO_RCVBUF, &sz,
			    sizeof(sz));
		setsockopt(sks[i].fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (bind(sks[i].fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
			die("bind: %s", strerror(errno));
		sl = sizeof(sa);
		getsockname(sks[i].fd, (struct sockaddr *)&sa, &sl);
		sks[i].port = ntohs(sa.sin_port);
		ev.events = EPOLLIN;
		ev.data.u32 = i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, sks[i].fd, &ev) != 0)
			die("epoll_ctl: %s", strerror(errno));
	}
}

static void
xsend(int fd, const char *b, size_t len, const struct sockaddr_in *to)
{
	int	 tries = 0;

	while (sendto(fd, b, len, 0, (const struct sockaddr *)to,
	    sizeof(*to)) < 0) {
		if (++tries < 1000 && (errno == EINTR || errno == EAGAIN ||
		    errno == ENOBUFS || errno == ECONNREFUSED)) {
			if (errno != EINTR && errno != ECONNREFUSED)
				usleep(100);
			continue;
		}
		/* Lost: the timers (ours or the daemon's) retransmit. */
		note("sendto: %s", strerror(errno));
		return;
	}
	cnt.sent++;
}

/* Where a request goes: the target URI's host:port if numeric IPv4. */
static void
target_addr(const struct sub *s, struct sockaddr_in *to)
{
	const char	*at, *h;
	char		 hp[96];
	size_t		 n;

	*to = s->inst ? daddr2 : daddr;
	h = strchr(s->target, ':');
	if (h == NULL)
		return;
	h++;
	if ((at = strchr(h, '@')) != NULL)
		h = at + 1;
	n = strcspn(h, ";?>");
	if (n >= sizeof(hp) || memchr(h, ':', n) == NULL)
		return;
	memcpy(hp, h, n);
	hp[n] = '\0';
	if (resolve(hp, to, NULL, 0, NULL) != 0)
		*to = s->inst ? daddr2 : daddr;
}

/*
 * --transport tls: one TLS connection per subscription, conns[i] for
 * subs[i], as N phones each with its own flow.  The connection is made
 * by start_sub() and driven by the epoll loop (non-blocking connect,
 * then SSL_do_handshake until done); the initial SUBSCRIBE goes once the
 * handshake is done.  SIP is framed on the stream by Content-Length
 * (RFC 3261 §18.3); responses and NOTIFYs come back on the same
 * connection.  A connection that goes ends its subscription: subswarm
 * does not reconnect (a phone would, and re-subscribe).
 */
enum cstate { C_NONE, C_CONNECTING, C_HANDSHAKE, C_OPEN, C_CLOSED };

struct conn {
	int		 fd;
	SSL		*ssl;
	enum cstate	 st;
	unsigned	 lport;		/* our local port (Via, Contact) */
	uint32_t	 events;	/* what epoll watches now */
	char		*in;		/* an unfinished message, malloc'd */
	size_t		 inlen;
	char		*out;		/* what SSL_write has not taken yet */
	size_t		 outlen;
};

static struct conn	*conns;
static SSL_CTX		*sslctx;
static unsigned		 tls_open;	/* handshakes done, not closed */
static char		 tls_version[96];	/* of the first handshake */

static void	conn_connect(struct sub *);
static void	conn_send(unsigned, const char *, size_t);
static void	conn_close(unsigned);

/* ------------------------------------------------------------- requests */

static void
send_subscribe(struct sub *s, int with_auth, unsigned expires)
{
	char			 buf[4096], auth[1536], ha1[40], ha2[40];
	char			 resp[40], cnonce[24], ruri_to[320];
	struct sockaddr_in	 to;
	unsigned		 lport;
	int			 n;

	s->cseq++;
	snprintf(s->branch, sizeof(s->branch), "z9hG4bK%s.%x.%x", runid,
	    (unsigned)(s - subs), s->cseq);
	auth[0] = '\0';
	if (with_auth && s->nonce[0]) {
		s->nc++;
		snprintf(cnonce, sizeof(cnonce), "%016llx",
		    (unsigned long long)rnd());
		if (o.pass)
			md5hex(ha1, "%s:%s:%s", s->user, s->crealm, o.pass);
		else
			snprintf(ha1, sizeof(ha1), "%s", s->ha1);
		md5hex(ha2, "SUBSCRIBE:%s", s->target);
		md5hex(resp, "%s:%s:%08x:%s:auth:%s", ha1, s->nonce, s->nc,
		    cnonce, ha2);
		n = snprintf(auth, sizeof(auth), "Authorization: Digest "
		    "username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", "
		    "response=\"%s\", algorithm=MD5, cnonce=\"%s\", "
		    "qop=auth, nc=%08x%s%s%s\r\n", s->user, s->crealm,
		    s->nonce, s->target, resp, cnonce, s->nc,
		    s->opaque[0] ? ", opaque=\"" : "", s->opaque,
		    s->opaque[0] ? "\"" : "");
		if (n < 0 || (size_t)n >= sizeof(auth))
			die("Authorization header too long");
	}
	snprintf(ruri_to, sizeof(ruri_to), "%s:%s@%s:%u", o.tls ? "sips" :
	    "sip", s->token, o.uri_host ? o.uri_host : s->inst ? dhost2 :
	    dhost, s->inst ? dport2 : dport);
	lport = o.tls ? conns[s - subs].lport : sks[s->sock].port;
	n = snprintf(buf, sizeof(buf),
	    "SUBSCRIBE %s SIP/2.0\r\n"
	    "Via: SIP/2.0/%s 127.0.0.1:%u;branch=%s;rport\r\n"
	    "Max-Forwards: 70\r\n"
	    "From: <%s>;tag=%s\r\n"
	    "To: <%s>%s%s\r\n"
	    "Call-ID: %s\r\n"
	    "CSeq: %u SUBSCRIBE\r\n"
	    "Contact: <%s:sw%u@127.0.0.1:%u>\r\n"
	    "Event: http-monitor\r\n"
	    "Accept: message/http\r\n"
	    "Expires: %u\r\n"
	    "%s"
	    "User-Agent: subswarm\r\n"
	    "Content-Length: 0\r\n\r\n",
	    s->target, o.tls ? "TLS" : "UDP", lport, s->branch, s->aor,
	    s->ftag, ruri_to, s->totag[0] ? ";tag=" : "", s->totag, s->callid,
	    s->cseq, o.tls ? "sips" : "sip", (unsigned)(s - subs), lport,
	    expires, auth);
	if (n < 0 || (size_t)n >= sizeof(buf))
		die("SUBSCRIBE too long");
	free(s->req);
	s->req = strdup(buf);
	s->reqlen = (size_t)n;
	s->fresh_auth = with_auth && s->nonce_t > now() - 1.0;
	/*
	 * A refresh: its NOTIFY may come before or after the 2xx (sipcfgd
	 * on sofia-sip sends it before); a challenged one may bring two
	 * (see on_response).
	 */
	if (s->got200 && s->expect_notify < 8)
		s->expect_notify++;
	if (!s->tx)
		inflight++;
	s->tx = 1;
	s->tx_start = now();
	s->tx_ivl = T1;
	s->tx_next = s->tx_start + T1;
	if (o.tls) {
		/* RFC 3261 §17.1.2.2: no Timer E on a reliable transport. */
		s->tx_next = s->tx_start + TIMER_F;
		conn_send((unsigned)(s - subs), buf, (size_t)n);
		return;
	}
	target_addr(s, &to);
	xsend(sks[s->sock].fd, buf, (size_t)n, &to);
}

static void
tx_done(struct sub *s)
{
	if (s->tx) {
		s->tx = 0;
		inflight--;
	}
}

static void
start_sub(struct sub *s)
{
	snprintf(s->target, sizeof(s->target), "%s:%s@%s:%u", o.tls ?
	    "sips" : "sip", s->token, o.uri_host ? o.uri_host : s->inst ?
	    dhost2 : dhost, s->inst ? dport2 : dport);
	s->state = S_PENDING;
	s->t_start = now();
	if (t_est_start == 0)
		t_est_start = s->t_start;
	if (o.tls) {
		/* The SUBSCRIBE goes when the handshake is done. */
		conn_connect(s);
		return;
	}
	send_subscribe(s, 0, o.expires);
}

static void
sub_dead(struct sub *s)
{
	if (s->state == S_DEAD)
		return;
	if (phase == P_ESTABLISH && !(s->got200 && s->notified))
		est_dead++;
	s->state = S_DEAD;
	if (s->probing) {
		s->probing = 0;
		probe_lost++;
	}
	tx_done(s);
	/* A phone that gives up on its subscription drops its flow. */
	if (o.tls)
		conn_close((unsigned)(s - subs));
}

static void
maybe_established(struct sub *s)
{
	if (s->got200 && s->notified && !s->est && phase == P_ESTABLISH &&
	    s->state != S_DEAD) {
		s->est = 1;
		est_done++;
		t_est_done = now();
	}
}

/* ------------------------------------------------------------ responses */

static struct sub *
sub_of(const struct msg *m)
{
	char		 cid[96];
	unsigned	 idx;
	char		 rid[16];

	if (hcopy(m, "Call-ID", cid, sizeof(cid)) != 0)
		return NULL;
	if (sscanf(cid, "sw%u.%15[0-9a-f]@", &idx, rid) != 2 || idx >= nsubs)
		return NULL;
	if (strcmp(subs[idx].callid, cid) != 0)
		return NULL;
	return &subs[idx];
}

static void
on_response(struct msg *m)
{
	struct sub	*s = sub_of(m);
	const struct hdr *h;
	char		 cseq[64], buf[512], method[32];
	unsigned	 num = 0, exp;
	int		 i;

	if (s == NULL) {
		cnt.stray_resp++;
		anomaly("response with an unknown Call-ID", NULL, m, NULL);
		return;
	}
	hcopy(m, "CSeq", cseq, sizeof(cseq));
	if (sscanf(cseq, "%u %31s", &num, method) != 2 ||
	    strcmp(method, "SUBSCRIBE") != 0 || num != s->cseq || !s->tx) {
		/* A late answer to a retransmission, or garbage. */
		cnt.stray_resp++;
		return;
	}
	if (m->code < 200)
		return;
	tx_done(s);
	if (m->code == 401 || m->code == 407) {
		cnt.c401++;
		if (m->code == 407)
			anomaly("407 instead of 401", s, m, NULL);
		/* The MD5 challenge (there may be others). */
		h = NULL;
		for (i = 0; i < m->nh; i++)
			if (hname_is(&m->h[i], m->code == 401 ?
			    "WWW-Authenticate" : "Proxy-Authenticate")) {
				char alg[32];

				authparam(m->h[i].val, m->h[i].vlen,
				    "algorithm", alg, sizeof(alg));
				if (alg[0] == '\0' || strcasecmp(alg, "MD5") == 0) {
					h = &m->h[i];
					break;
				}
			}
		if (h == NULL) {
			anomaly("401 without an MD5 Digest challenge", s, m,
			    NULL);
			sub_dead(s);
			return;
		}
		authparam(h->val, h->vlen, "stale", buf, sizeof(buf));
		if (strcasecmp(buf, "true") == 0 && s->fresh_auth &&
		    s->auth401s < 3) {
			/* RFC 7616 §3.3: retry with the new nonce. */
			cnt.stale++;
			anomaly("stale=true 401 to credentials made from a "
			    "nonce less than 1 s old (retried)", s, m, NULL);
			s->fresh_auth = 0;
		}
		/* sipcfgd sends a NOTIFY after a 401 to a refresh too. */
		if (s->got200 && s->expect_notify < 8)
			s->expect_notify++;
		if (s->fresh_auth || ++s->auth401s > 3) {
			cnt.auth_rejected++;
			anomaly("credentials rejected (401 to a SUBSCRIBE that "
			    "answered a fresh challenge)", s, m, NULL);
			sub_dead(s);
			return;
		}
		authparam(h->val, h->vlen, "nonce", s->nonce, sizeof(s->nonce));
		authparam(h->val, h->vlen, "opaque", s->opaque,
		    sizeof(s->opaque));
		authparam(h->val, h->vlen, "realm", s->crealm,
		    sizeof(s->crealm));
		authparam(h->val, h->vlen, "qop", buf, sizeof(buf));
		if (strstr(buf, "auth") == NULL)
			anomaly("challenge without qop=auth", s, m, NULL);
		if (strcmp(s->crealm, s->realm) != 0) {
			cnt.realm_mismatch++;
			anomaly("challenge realm differs from line 1's realm",
			    s, m, "line realm \"%s\"", s->realm);
		}
		if (s->got200)
			cnt.refresh_401++;
		s->nc = 0;
		s->nonce_t = now();
		send_subscribe(s, 1, o.expires);
		return;
	}
	if (m->code == 423) {
		cnt.c423++;
		hcopy(m, "Min-Expires", buf, sizeof(buf));
		exp = (unsigned)strtoul(buf, NULL, 10);
		anomaly("423 Interval Too Brief", s, m, NULL);
		if (exp == 0 || exp <= o.expires) {
			sub_dead(s);
			return;
		}
		send_subscribe(s, s->nonce[0] != 0, exp);
		return;
	}
	if (m->code >= 200 && m->code < 300) {
		cnt.c200++;
		s->auth401s = 0;
		if ((h = hget(m, "To")) != NULL)
			hparam(h->val, h->vlen, "tag", s->totag,
			    sizeof(s->totag));
		if (s->totag[0] == '\0')
			anomaly("2xx without a To tag", s, m, NULL);
		if ((h = hget(m, "Contact")) != NULL)
			huri(h->val, h->vlen, s->target, sizeof(s->target));
		else
			anomaly("2xx without Contact", s, m, NULL);
		if (hcopy(m, "Expires", buf, sizeof(buf)) != 0) {
			anomaly("2xx without Expires", s, m, NULL);
			exp = o.expires;
		} else
			exp = (unsigned)strtoul(buf, NULL, 10);
		if (exp > o.expires)
			anomaly("2xx Expires above the one asked", s, m, NULL);
		if (exp == 0) {
			anomaly("2xx with Expires 0", s, m, NULL);
			sub_dead(s);
			return;
		}
		s->granted = exp;
		s->expires_at = now() + exp;
		/*
		 * Refresh at 75-80 % of the granted time, at half of it when
		 * that is short (leaves room for retransmissions).
		 */
		s->refresh_at = now() + exp * ((exp <= 120 ? 0.45 : 0.75) +
		    (double)(rnd() % 1000) / 20000.0);
		if (s->probing) {
			s->probing = 0;
			if (nprobe < PROBE_MAX)
				probe_lat[nprobe++] = now() - s->probe_t0;
		}
		if (s->state == S_PENDING)
			s->state = S_ACTIVE;
		if (!s->got200) {
			s->got200 = 1;
			s->t_200 = now();
			est_200++;
			t_est_200 = s->t_200;
			maybe_established(s);
		}
		return;
	}
	cnt.cother++;
	anomaly("SUBSCRIBE failed", s, m, "status %d", m->code);
	sub_dead(s);
}

/* ------------------------------------------------------------- requests */

/* Sends RESPONSE to a request, to the top Via (RFC 3261 §18.2.2 / 3581). */
static void
reply(int sock, const struct sockaddr_in *src, const struct msg *m, int code,
    const char *reason)
{
	char			 buf[8192], host[64], port[16], rport[16];
	char			 recvd[64], hp[96];
	struct sockaddr_in	 to = *src;
	const struct hdr	*via = NULL;
	size_t			 off, n;
	int			 i, r;

	off = (size_t)snprintf(buf, sizeof(buf), "SIP/2.0 %d %s\r\n", code,
	    reason);
	for (i = 0; i < m->nh; i++) {
		const struct hdr *h = &m->h[i];

		if (hname_is(h, "Via") || hname_is(h, "From") ||
		    hname_is(h, "To") || hname_is(h, "Call-ID") ||
		    hname_is(h, "CSeq")) {
			if (via == NULL && hname_is(h, "Via"))
				via = h;
			if (off + h->llen + 2 >= sizeof(buf))
				return;
			memcpy(buf + off, h->line, h->llen);
			off += h->llen;
			buf[off++] = '\r';
			buf[off++] = '\n';
		}
	}
	r = snprintf(buf + off, sizeof(buf) - off,
	    "User-Agent: subswarm\r\nContent-Length: 0\r\n\r\n");
	if (r < 0 || (size_t)r >= sizeof(buf) - off)
		return;
	off += (size_t)r;
	if (o.tls) {
		/* RFC 3261 §18.2.2: on the connection the request came on. */
		conn_send((unsigned)sock, buf, off);
		return;
	}
	if (via) {
		/* "SIP/2.0/UDP host:port;params" */
		const char *p = via->val, *e = via->val + via->vlen, *sp;

		sp = memchr(p, ' ', via->vlen);
		if (sp) {
			p = sp + 1;
			n = strcspn(p, ";, ");
			if (p + n > e)
				n = (size_t)(e - p);
			snprintf(hp, sizeof(hp), "%.*s", (int)n, p);
			snprintf(host, sizeof(host), "%.*s", (int)strcspn(hp,
			    ":"), hp);
			snprintf(port, sizeof(port), "%s", strchr(hp, ':') ?
			    strchr(hp, ':') + 1 : "5060");
			if (hparam(via->val, via->vlen, "received", recvd,
			    sizeof(recvd)) == 0 && recvd[0])
				snprintf(host, sizeof(host), "%s", recvd);
			if (hparam(via->val, via->vlen, "rport", rport,
			    sizeof(rport)) == 0 && rport[0])
				snprintf(port, sizeof(port), "%s", rport);
			snprintf(hp, sizeof(hp), "%s:%s", host, port);
			if (resolve(hp, &to, NULL, 0, NULL) != 0)
				to = *src;
			if (to.sin_addr.s_addr != src->sin_addr.s_addr ||
			    to.sin_port != src->sin_port) {
				cnt.via_mismatch++;
				anomaly("top Via is not the NOTIFY's source "
				    "address (answered to the Via)", NULL, m,
				    "source %s:%u", inet_ntoa(src->sin_addr),
				    ntohs(src->sin_port));
			}
		}
	}
	xsend(sks[sock].fd, buf, off, &to);
}

static void
on_notify(int sock, const struct sockaddr_in *src, struct msg *m, double t)
{
	struct sub	*s = sub_of(m);
	const struct hdr *h;
	char		 buf[256], cseq[64], tag[128], state[64], etag[128];
	char		 reason[64], ra[32];
	unsigned	 num = 0;
	int		 changed, i;
	double		 ta;

	cnt.notify++;
	if (s == NULL) {
		cnt.notify_unknown++;
		reply(sock, src, m, 481, "Subscription Does Not Exist");
		anomaly("NOTIFY for an unknown dialog (answered 481)", NULL, m,
		    NULL);
		return;
	}
	tag[0] = '\0';
	if ((h = hget(m, "To")) != NULL)
		hparam(h->val, h->vlen, "tag", tag, sizeof(tag));
	hcopy(m, "CSeq", cseq, sizeof(cseq));
	num = (unsigned)strtoul(cseq, NULL, 10);
	if (strcmp(tag, s->ftag) != 0) {
		cnt.notify_unknown++;
		reply(sock, src, m, 481, "Subscription Does Not Exist");
		anomaly("NOTIFY whose To tag is not our From tag "
		    "(answered 481)", s, m, NULL);
		return;
	}
	if (s->ncseq && num <= s->ncseq) {
		/* A retransmission (our 200 came too late, or got lost). */
		reply(sock, src, m, 200, "OK");
		cnt.notify_dup++;
		s->dups++;
		return;
	}
	if (s->state == S_DEAD) {
		/* We gave up on it (timeout, failure): tell the daemon. */
		cnt.notify_unknown++;
		reply(sock, src, m, 481, "Subscription Does Not Exist");
		return;
	}
	/* Answer first, look afterwards. */
	reply(sock, src, m, 200, "OK");
	ta = now();
	s->ncseq = num;
	s->notifies++;
	if (s->tx)
		cnt.notify_before_2xx++;
	if ((h = hget(m, "From")) != NULL) {
		hparam(h->val, h->vlen, "tag", tag, sizeof(tag));
		if (s->totag[0] == '\0')
			snprintf(s->totag, sizeof(s->totag), "%s", tag);
		else if (strcmp(tag, s->totag) != 0) {
			cnt.forked++;
			anomaly("NOTIFY From tag differs from the 200's To tag",
			    s, m, NULL);
		}
	}
	hcopy(m, "Event", buf, sizeof(buf));
	if (strncasecmp(buf, "http-monitor", 12) != 0)
		anomaly("NOTIFY without Event: http-monitor", s, m, NULL);
	hcopy(m, "Content-Type", buf, sizeof(buf));
	hcopy(m, "Subscription-State", state, sizeof(state));
	if (state[0] == '\0')
		anomaly("NOTIFY without Subscription-State", s, m, NULL);
	bodyhdr(m, "ETag", etag, sizeof(etag));
	if (strncasecmp(state, "terminated", 10) == 0) {
		hparam(state, strlen(state), "reason", reason, sizeof(reason));
		count_reason(reason[0] ? reason : "(none)");
		cnt.terminated++;
		s->state = S_DEAD;
		tx_done(s);
		if (phase == P_TERM) {
			term_got++;
			term_last = t;
			if (strcmp(reason, "probation") != 0 ||
			    hparam(state, strlen(state), "retry-after", ra,
			    sizeof(ra)) != 0) {
				term_bad++;
				anomaly("shutdown NOTIFY without "
				    "reason=probation;retry-after", s, m, NULL);
			} else {
				unsigned v = (unsigned)strtoul(ra, NULL, 10);

				ra_min = v < ra_min ? v : ra_min;
				ra_max = v > ra_max ? v : ra_max;
				ra_sum += v;
			}
		} else {
			if (strcmp(reason, "probation") == 0 && o.pid > 0 &&
			    cnt.terminated == 1)
				note("a probation NOTIFY before subswarm sent "
				    "SIGTERM: is sipcfgd (pid %d) being stopped "
				    "by someone else?", o.pid);
			anomaly("subscription terminated by the daemon", s, m,
			    NULL);
			if (phase == P_ESTABLISH && !(s->got200 && s->notified))
				est_dead++;
		}
		return;
	}
	if (strncasecmp(buf, "message/http", 12) != 0)
		anomaly("NOTIFY Content-Type is not message/http", s, m, NULL);
	if (m->blen < 12 || strncmp(m->body, "HTTP/1.1 200", 12) != 0)
		anomaly("NOTIFY body is not HTTP/1.1 200", s, m, NULL);
	if (etag[0] == '\0')
		anomaly("NOTIFY body without ETag", s, m, NULL);
	bodyhdr(m, "Content-Location", buf, sizeof(buf));
	if (buf[0] == '\0')
		anomaly("NOTIFY body without Content-Location", s, m, NULL);
	changed = strcmp(etag, s->etag) != 0;
	snprintf(s->prev_etag, sizeof(s->prev_etag), "%s", s->etag);
	snprintf(s->etag, sizeof(s->etag), "%s", etag);
	s->last_notify = t;
	if (!s->notified) {
		s->notified = 1;
		s->t_notify = t;
		s->expect_notify = 0;
		maybe_established(s);
		return;
	}
	if (s->expect_notify) {
		/* A NOTIFY that comes with a refresh (or its 401). */
		s->expect_notify--;
		cnt.refresh_notifies++;
		if (!changed)
			return;
	}
	switch (phase) {
	case P_SINGLE:
		if (s->waiting && changed) {
			s->waiting = 0;
			s->lat = t - s->t_commit;
		} else if (!s->waiting)
			anomaly("NOTIFY to a device that was not changed "
			    "(single-device phase)", s, m, NULL);
		break;
	case P_FANOUT:
		if (!changed) {
			anomaly("NOTIFY without a new ETag (fan-out)", s, m,
			    NULL);
			break;
		}
		if (s->fan_got) {
			fan_extra++;
			s->fan_extra++;
			break;
		}
		s->fan_got = 1;
		fan_lat[fan_got++] = t - fan_t0;
		if (fan_first == 0)
			fan_first = t;
		fan_last = t;
		fan_last_ans = ta;
		i = (int)((t - fan_t0) * 10);
		if (i >= 0 && i < (int)(sizeof(fan_hist) /
		    sizeof(fan_hist[0])))
			fan_hist[i]++;
		break;
	case P_NOOP:
		noop_notifies++;
		anomaly("NOTIFY after a change that leaves the bytes alone",
		    s, m, NULL);
		break;
	default:
		/* After a refresh: same ETag.  Anything else is odd. */
		if (changed)
			anomaly("NOTIFY with a new ETag nobody asked for",
			    s, m, NULL);
		break;
	}
}

static void
on_packet(int sock, char *buf, size_t len, const struct sockaddr_in *src,
    double t)
{
	struct msg	 m;

	cnt.rx++;
	cnt.t_last_rx = t;
	if (sip_parse(&m, buf, len) != 0) {
		cnt.bad_msg++;
		m.buf = buf;
		m.len = len;
		anomaly("unparsable datagram", NULL, &m, NULL);
		return;
	}
	if (o.tls) {
		struct sub *s = sub_of(&m);

		if (s && s - subs != sock) {
			cnt.tls_wrong_conn++;
			anomaly("message on another subscription's TLS "
			    "connection", s, &m, "came on connection %d", sock);
		}
	}
	if (!m.is_req) {
		on_response(&m);
		return;
	}
	if (strcmp(m.method, "NOTIFY") == 0) {
		on_notify(sock, src, &m, t);
		return;
	}
	cnt.other_req++;
	if (strcmp(m.method, "ACK") != 0) {
		anomaly("request other than NOTIFY (answered 501)", NULL, &m,
		    NULL);
		reply(sock, src, &m, 501, "Not Implemented");
	}
}

/* ------------------------------------------------------- TLS transport */

static void
tls_init(void)
{
	struct rlimit	 rl;

	/*
	 * One descriptor per subscription: as many as the hard limit
	 * allows (raising it takes root, or ulimit -Hn in the shell).
	 */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			note("setrlimit NOFILE: %s", strerror(errno));
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)o.n + 64)
		die("--n %u TLS connections need more than the %llu file "
		    "descriptors allowed (ulimit -Hn)", o.n,
		    (unsigned long long)rl.rlim_cur);
	if ((sslctx = SSL_CTX_new(TLS_client_method())) == NULL)
		die("SSL_CTX_new failed");
	if (SSL_CTX_set_min_proto_version(sslctx, TLS1_2_VERSION) != 1)
		die("SSL_CTX_set_min_proto_version failed");
	/* The bench certificate is self-signed: not checked, on purpose. */
	SSL_CTX_set_verify(sslctx, SSL_VERIFY_NONE, NULL);
	/* 10,000 phones make 10,000 full handshakes: no resumption. */
	SSL_CTX_set_session_cache_mode(sslctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(sslctx, SSL_OP_NO_TICKET);
	/* Idle connections keep no 17 KB buffers in this process. */
	SSL_CTX_set_mode(sslctx, SSL_MODE_RELEASE_BUFFERS |
	    SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	conns = calloc(nsubs, sizeof(*conns));
	if (conns == NULL)
		die("out of memory");
}

static void
conn_watch(unsigned i, uint32_t events)
{
	struct conn		*c = &conns[i];
	struct epoll_event	 ev;

	if (c->events == events)
		return;
	ev.events = events;
	ev.data.u32 = i;
	if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) != 0)
		die("epoll_ctl MOD: %s", strerror(errno));
	c->events = events;
}

static void
conn_connect(struct sub *s)
{
	unsigned		 i = (unsigned)(s - subs);
	struct conn		*c = &conns[i];
	struct epoll_event	 ev;
	struct sockaddr_in	 sa;
	socklen_t		 sl = sizeof(sa);
	int			 one = 1;

	/* The window counts it from connect() to its SUBSCRIBE's answer. */
	if (!s->tx)
		inflight++;
	s->tx = 1;
	s->tx_start = now();
	s->tx_next = s->tx_start + TIMER_F;
	if ((c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0)
		die("socket: %s (connection %u; ulimit -n?)", strerror(errno),
		    i);
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&daddr, sizeof(daddr)) != 0 &&
	    errno != EINPROGRESS) {
		cnt.tls_connect_fail++;
		anomaly("TCP connect failed", s, NULL, "%s", strerror(errno));
		close(c->fd);
		c->fd = -1;
		c->st = C_CLOSED;
		sub_dead(s);
		return;
	}
	if (getsockname(c->fd, (struct sockaddr *)&sa, &sl) == 0)
		c->lport = ntohs(sa.sin_port);
	if ((c->ssl = SSL_new(sslctx)) == NULL || SSL_set_fd(c->ssl, c->fd) !=
	    1)
		die("SSL_new failed (connection %u)", i);
	SSL_set_connect_state(c->ssl);
	c->st = C_CONNECTING;
	c->events = EPOLLIN | EPOLLOUT;
	ev.events = c->events;
	ev.data.u32 = i;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
		die("epoll_ctl ADD: %s", strerror(errno));
}

/* Ends connection I (and with it its subscription, if still alive). */
static void
conn_close(unsigned i)
{
	struct conn	*c = &conns[i];

	if (c->st == C_NONE || c->st == C_CLOSED)
		return;
	if (c->st == C_OPEN)
		tls_open--;
	if (c->ssl) {
		if (c->st == C_OPEN)
			SSL_shutdown(c->ssl);	/* close_notify, no wait */
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	close(c->fd);	/* also leaves the epoll set */
	c->fd = -1;
	c->st = C_CLOSED;
	free(c->in);
	free(c->out);
	c->in = c->out = NULL;
	c->inlen = c->outlen = 0;
	sub_dead(&subs[i]);
}

/* The connection went under us: say how, unless it was the SIGTERM. */
static void
conn_lost(unsigned i, const char *how, int sslerr)
{
	char		 e[256];
	unsigned long	 l = ERR_get_error();

	ERR_clear_error();
	if (conns[i].st == C_CONNECTING) {
		cnt.tls_connect_fail++;
		anomaly("TCP connect failed", &subs[i], NULL, "%s", how);
	} else if (conns[i].st != C_OPEN) {
		cnt.tls_hs_fail++;
		ERR_error_string_n(l, e, sizeof(e));
		anomaly("TLS connect or handshake failed", &subs[i], NULL,
		    "%s (SSL error %d%s%s)", how, sslerr, l ? ", " : "",
		    l ? e : "");
	} else if (phase != P_TERM || subs[i].state != S_DEAD) {
		cnt.tls_closed++;
		if (phase != P_TERM)
			anomaly("TLS connection closed by the daemon or "
			    "failed", &subs[i], NULL, "%s (SSL error %d)", how,
			    sslerr);
	}
	conn_close(i);
}

/* Writes what is queued; -1 when the connection went. */
static int
conn_flush(unsigned i)
{
	struct conn	*c = &conns[i];
	int		 r, e;

	while (c->outlen > 0) {
		r = SSL_write(c->ssl, c->out, (int)c->outlen);
		if (r > 0) {
			memmove(c->out, c->out + r, c->outlen - (size_t)r);
			c->outlen -= (size_t)r;
			continue;
		}
		e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
			conn_watch(i, EPOLLIN | EPOLLOUT);
			return 0;
		}
		conn_lost(i, "SSL_write", e);
		return -1;
	}
	free(c->out);
	c->out = NULL;
	conn_watch(i, EPOLLIN);
	return 0;
}

/* Sends one message on connection I (queued behind what is pending). */
static void
conn_send(unsigned i, const char *b, size_t len)
{
	struct conn	*c = &conns[i];
	char		*p;

	if (c->st != C_OPEN) {
		/* Lost with its connection: the subscription is dead. */
		return;
	}
	if ((p = realloc(c->out, c->outlen + len)) == NULL)
		die("out of memory");
	memcpy(p + c->outlen, b, len);
	c->out = p;
	c->outlen += len;
	cnt.sent++;
	conn_flush(i);
}

/*
 * The Content-Length of a header block (RFC 3261 §18.3: it MUST be
 * there on a stream); -1 if absent or not a number.
 */
static long
stream_clen(const char *h, size_t hlen)
{
	const char	*p = h, *e = h + hlen, *eol, *v;
	char		*end;
	long		 n;

	while (p < e) {
		eol = memchr(p, '\n', (size_t)(e - p));
		if (eol == NULL)
			eol = e;
		v = NULL;
		if (eol - p > 15 && strncasecmp(p, "Content-Length", 14) == 0)
			v = p + 14;
		else if (eol - p > 1 && (*p == 'l' || *p == 'L') &&
		    (p[1] == ':' || p[1] == ' ' || p[1] == '\t'))
			v = p + 1;
		if (v) {
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			if (v < eol && *v == ':') {
				errno = 0;
				n = strtol(v + 1, &end, 10);
				if (errno == 0 && end > v + 1 && n >= 0 &&
				    n <= RXBUF)
					return n;
				return -1;
			}
		}
		p = eol + 1;
	}
	return -1;
}

/*
 * Takes the whole messages off the front of c->in, one at a time (they
 * can come back to back in one read, or split over several).  Stops
 * when the connection closes under a handler.
 */
static void
conn_frames(unsigned i)
{
	static char	 msgbuf[2 * RXBUF + 1];
	struct conn	*c = &conns[i];
	size_t		 off = 0, hlen, total;
	char		*e;
	long		 cl;

	while (c->st == C_OPEN && off < c->inlen) {
		/* RFC 5626 §4.4.1: CRLFCRLF is a ping, CRLF its pong. */
		if (c->inlen - off >= 4 && memcmp(c->in + off, "\r\n\r\n", 4)
		    == 0) {
			cnt.tls_pings++;
			off += 4;
			conn_send(i, "\r\n", 2);
			continue;
		}
		if (c->in[off] == '\r' || c->in[off] == '\n') {
			if (c->inlen - off < 4 && c->in[off] == '\r')
				break;	/* maybe a ping, not all here */
			off++;
			continue;
		}
		e = memmem(c->in + off, c->inlen - off, "\r\n\r\n", 4);
		if (e == NULL) {
			if (c->inlen - off > RXBUF) {
				anomaly("TLS stream: no end of headers in "
				    "64 KiB", &subs[i], NULL, NULL);
				conn_close(i);
				return;
			}
			break;
		}
		hlen = (size_t)(e + 4 - (c->in + off));
		if (hlen > RXBUF) {
			anomaly("TLS stream: headers over 64 KiB", &subs[i],
			    NULL, NULL);
			conn_close(i);
			return;
		}
		if ((cl = stream_clen(c->in + off, hlen)) < 0) {
			struct msg m;

			m.buf = c->in + off;
			m.len = hlen;
			anomaly("TLS stream: a message without a valid "
			    "Content-Length (connection dropped)", &subs[i],
			    &m, NULL);
			conn_close(i);
			return;
		}
		total = hlen + (size_t)cl;
		if (c->inlen - off < total) {
			cnt.tls_partial++;
			break;
		}
		memcpy(msgbuf, c->in + off, total);
		off += total;
		on_packet((int)i, msgbuf, total, &daddr, now());
	}
	if (c->st != C_OPEN)
		return;		/* conn_close() freed c->in */
	if (off >= c->inlen) {
		free(c->in);
		c->in = NULL;
		c->inlen = 0;
	} else if (off > 0) {
		memmove(c->in, c->in + off, c->inlen - off);
		c->inlen -= off;
	}
}

/* Everything epoll says about connection I. */
static void
conn_event(unsigned i, uint32_t events)
{
	static char	 buf[RXBUF];
	struct conn	*c = &conns[i];
	struct sub	*s = &subs[i];
	socklen_t	 sl;
	char		*p;
	int		 r, e, err = 0, k;

	if (c->st == C_CONNECTING) {
		sl = sizeof(err);
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &sl) != 0)
			err = errno;
		if (err) {
			conn_lost(i, strerror(err), 0);
			return;
		}
		if (!(events & (EPOLLOUT | EPOLLIN)))
			return;
		c->st = C_HANDSHAKE;
	}
	if (c->st == C_HANDSHAKE) {
		r = SSL_do_handshake(c->ssl);
		if (r != 1) {
			e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_WANT_READ)
				conn_watch(i, EPOLLIN);
			else if (e == SSL_ERROR_WANT_WRITE)
				conn_watch(i, EPOLLIN | EPOLLOUT);
			else
				conn_lost(i, "SSL_do_handshake", e);
			return;
		}
		c->st = C_OPEN;
		tls_open++;
		s->t_tls = now();
		if (tls_version[0] == '\0')
			snprintf(tls_version, sizeof(tls_version), "%s %s",
			    SSL_get_version(c->ssl),
			    SSL_CIPHER_get_name(SSL_get_current_cipher(c->ssl)));
		conn_watch(i, EPOLLIN);
		if (s->state == S_PENDING)
			send_subscribe(s, 0, o.expires);
		return;
	}
	if (c->st != C_OPEN)
		return;
	if ((events & EPOLLOUT) && c->outlen > 0 && conn_flush(i) != 0)
		return;
	for (k = 0; k < 64 && c->st == C_OPEN; k++) {
		r = SSL_read(c->ssl, buf, sizeof(buf));
		if (r <= 0) {
			e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_WANT_READ)
				break;
			if (e == SSL_ERROR_WANT_WRITE) {
				conn_watch(i, EPOLLIN | EPOLLOUT);
				break;
			}
			conn_lost(i, e == SSL_ERROR_ZERO_RETURN ?
			    "close_notify" : e == SSL_ERROR_SYSCALL ?
			    "EOF or reset" : "SSL_read", e);
			return;
		}
		if ((p = realloc(c->in, c->inlen + (size_t)r)) == NULL)
			die("out of memory");
		memcpy(p + c->inlen, buf, (size_t)r);
		c->in = p;
		c->inlen += (size_t)r;
		conn_frames(i);
	}
}

/* --------------------------------------------------------------- timers */

static void
timers(double t)
{
	unsigned	 i;
	struct sub	*s;

	if (t < next_scan)
		return;
	next_scan = t + 0.02;
	for (i = 0; i < nsubs; i++) {
		s = &subs[i];
		if (s->state == S_DEAD || s->state == S_IDLE)
			continue;
		if (s->tx && t >= s->tx_next) {
			if (t - s->tx_start >= TIMER_F) {
				cnt.timeouts++;
				anomaly(o.tls && conns[i].st != C_OPEN ?
				    "TLS connect or handshake not done in 32 s" :
				    "SUBSCRIBE timed out (no final response "
				    "in 32 s)", s, NULL, NULL);
				sub_dead(s);
				continue;
			}
			if (o.tls) {
				/* Reliable: Timer F only (§17.1.2.2). */
				s->tx_next = s->tx_start + TIMER_F;
				goto refresh;
			}
			cnt.retrans++;
			{
				struct sockaddr_in to;

				target_addr(s, &to);
				xsend(sks[s->sock].fd, s->req, s->reqlen, &to);
			}
			s->tx_ivl = s->tx_ivl * 2 > T2 ? T2 : s->tx_ivl * 2;
			s->tx_next = t + s->tx_ivl;
		}
refresh:
		if (s->state == S_ACTIVE && !s->tx && t >= s->refresh_at &&
		    inflight < o.window) {
			cnt.refreshes++;
			/* Offer the cached nonce while it is young. */
			send_subscribe(s, s->nonce[0] && t - s->nonce_t < 240,
			    o.expires);
		}
		if (s->state == S_ACTIVE && t >= s->expires_at) {
			cnt.expired++;
			anomaly("subscription expired (refresh failed)", s,
			    NULL, NULL);
			sub_dead(s);
		}
	}
}

/* One turn of the loop: wait at most MS milliseconds. */
static void
pump(int ms)
{
	static char		 buf[RXBUF + 1];
	struct epoll_event	 ev[256];
	struct sockaddr_in	 src;
	socklen_t		 sl;
	ssize_t			 r;
	double			 t;
	int			 n, i, k;

	t = now();
	timers(t);
	while (phase == P_ESTABLISH && next_start < nsubs &&
	    inflight < o.window)
		start_sub(&subs[next_start++]);
	if (ms > 20)
		ms = 20;
	n = epoll_wait(ep, ev, o.tls ? 256 : 64, ms < 0 ? 0 : ms);
	for (i = 0; i < n; i++) {
		int sock = (int)ev[i].data.u32;

		if (o.tls) {
			conn_event(ev[i].data.u32, ev[i].events);
			continue;
		}

		for (k = 0; k < 256; k++) {
			sl = sizeof(src);
			r = recvfrom(sks[sock].fd, buf, RXBUF, 0,
			    (struct sockaddr *)&src, &sl);
			if (r < 0)
				break;
			on_packet(sock, buf, (size_t)r, &src, now());
		}
	}
}

/* Pumps for SECONDS. */
static void
pump_for(double seconds)
{
	double	 end = now() + seconds, t;

	while ((t = now()) < end) {
		pump((int)ceil_l((end - t) * 1000));
		if (phase != P_TERM)
			check_daemon("a pause between phases");
	}
}

/* ----------------------------------------------------------------- hooks */

static void
run_hook(const char *cmd, const char *phasename)
{
	pid_t		 pid;
	int		 st;
	double		 t0 = now();
	struct sub	*s = &subs[0];

	if (cmd == NULL)
		return;
	setenv("SUBSWARM_PHASE", phasename, 1);
	setenv("SUBSWARM_SFUA", s->sfua, 1);
	setenv("SUBSWARM_USER", s->user, 1);
	setenv("SUBSWARM_ETAG", s->etag, 1);
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	/* Keep answering while the hook runs. */
	while (waitpid(pid, &st, WNOHANG) == 0)
		pump(10);
	result("hook_seconds", "%s %.3f", phasename, now() - t0);
}

/* ------------------------------------------------------------- run mode */

static void
load_store(sqlite3 *db)
{
	sqlite3_stmt	*st;
	const char	*q =
	    "SELECT d.sfua_id, m.token, l.username, l.realm, l.ha1, l.aor "
	    "FROM monitors m JOIN devices d ON d.id = m.device_id "
	    "JOIN lines l ON l.device_id = d.id AND l.position = "
	    "(SELECT min(position) FROM lines WHERE device_id = d.id) "
	    "ORDER BY d.id LIMIT ?1";
	unsigned	 i = 0;

	if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK)
		die("%s: %s (is the notifier schema, table monitors, there?)",
		    o.store, sqlite3_errmsg(db));
	sqlite3_bind_int64(st, 1, o.n);
	subs = calloc(o.n, sizeof(*subs));
	if (subs == NULL)
		die("out of memory");
	while (sqlite3_step(st) == SQLITE_ROW && i < o.n) {
		struct sub *s = &subs[i];

#define COL(f, c) snprintf(s->f, sizeof(s->f), "%s", \
		(const char *)sqlite3_column_text(st, c) ? \
		(const char *)sqlite3_column_text(st, c) : "")
		COL(sfua, 0);
		COL(token, 1);
		COL(user, 2);
		COL(realm, 3);
		COL(ha1, 4);
		COL(aor, 5);
#undef COL
		s->sock = (int)(i % o.socks);
		snprintf(s->callid, sizeof(s->callid), "sw%u.%s@subswarm", i,
		    runid);
		snprintf(s->ftag, sizeof(s->ftag), "%012llx",
		    (unsigned long long)(rnd() & 0xffffffffffffULL));
		i++;
	}
	sqlite3_finalize(st);
	nsubs = i;
	if (nsubs < o.n)
		die("%s: only %u devices with a monitor token and a line "
		    "(asked for %u)", o.store, nsubs, o.n);
}

/* --list: the same columns as load_store()'s, tab-separated. */
static void
load_list(void)
{
	FILE		*f;
	char		*line = NULL, *fld[6], *p;
	size_t		 cap = 0;
	unsigned	 i = 0, k;

	if ((f = fopen(o.list, "r")) == NULL)
		die("%s: %s", o.list, strerror(errno));
	subs = calloc(o.n, sizeof(*subs));
	if (subs == NULL)
		die("out of memory");
	while (i < o.n && getline(&line, &cap, f) > 0) {
		struct sub *s = &subs[i];

		line[strcspn(line, "\r\n")] = '\0';
		for (k = 0, p = line; k < 6 && p != NULL; k++) {
			fld[k] = p;
			if ((p = strchr(p, '\t')) != NULL)
				*p++ = '\0';
		}
		if (k < 6)
			die("%s: a line without 6 tab-separated fields", o.list);
		snprintf(s->sfua, sizeof(s->sfua), "%s", fld[0]);
		snprintf(s->token, sizeof(s->token), "%s", fld[1]);
		snprintf(s->user, sizeof(s->user), "%s", fld[2]);
		snprintf(s->realm, sizeof(s->realm), "%s", fld[3]);
		snprintf(s->ha1, sizeof(s->ha1), "%s", fld[4]);
		snprintf(s->aor, sizeof(s->aor), "%s", fld[5]);
		s->sock = (int)(i % o.socks);
		snprintf(s->callid, sizeof(s->callid), "sw%u.%s@subswarm", i,
		    runid);
		snprintf(s->ftag, sizeof(s->ftag), "%012llx",
		    (unsigned long long)(rnd() & 0xffffffffffffULL));
		i++;
	}
	free(line);
	fclose(f);
	nsubs = i;
	if (nsubs < o.n)
		die("%s: only %u subscribers (asked for %u)", o.list, nsubs,
		    o.n);
}

/* --sip2: subs[n + i] is subs[i] again, subscribed at the other one. */
static void
twin_subs(void)
{
	struct sub	*t;
	unsigned	 i, n = nsubs;

	if ((t = reallocarray(subs, 2 * (size_t)n, sizeof(*subs))) == NULL)
		die("out of memory");
	subs = t;
	for (i = 0; i < n; i++) {
		struct sub *s = &subs[n + i];

		*s = subs[i];
		s->inst = 1;
		s->sock = (int)((n + i) % o.socks);
		snprintf(s->callid, sizeof(s->callid), "sw%u.%s@subswarm",
		    n + i, runid);
		snprintf(s->ftag, sizeof(s->ftag), "%012llx",
		    (unsigned long long)(rnd() & 0xffffffffffffULL));
	}
	nsubs = 2 * n;
}

/*
 * --commit-cmd: runs CMD LAYER SCOPE NAME VALUE, taking in what comes
 * meanwhile; the time it exited.  Its stdout is dropped (ours has the
 * results).
 */
static double
run_commit(const char *layer, const char *scope, const char *name,
    const char *value)
{
	char	 sh[4096];
	pid_t	 pid, w;
	int	 st, fd;

	snprintf(sh, sizeof(sh), "exec %s \"$@\"", o.commit_cmd);
	if ((pid = fork()) < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		if ((fd = open("/dev/null", O_WRONLY)) >= 0) {
			dup2(fd, 1);
			close(fd);
		}
		execl("/bin/sh", "sh", "-c", sh, "sh", layer, scope, name,
		    value, (char *)NULL);
		_exit(127);
	}
	for (;;) {
		w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			die("waitpid: %s", strerror(errno));
		pump(1);
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("--commit-cmd %s %s '%s' %s %s: failed (status %d)",
		    o.commit_cmd, layer, scope, name, value, st);
	return now();
}

static sqlite3_stmt *upsert;

static double
commit_var(sqlite3 *db, const char *layer, const char *scope,
    const char *name, const char *value, double *took)
{
	char	 json[256];
	double	 t0 = now(), t;
	int	 rc;

	if (o.commit_cmd) {
		t = run_commit(layer, scope, name, value);
		if (took)
			*took = t - t0;
		return t;
	}
	snprintf(json, sizeof(json), "\"%s\"", value);
	sqlite3_reset(upsert);
	sqlite3_bind_text(upsert, 1, layer, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(upsert, 2, scope, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(upsert, 3, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(upsert, 4, json, -1, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(upsert)) != SQLITE_DONE)
		die("store write failed: %s", sqlite3_errmsg(db));
	t = now();
	if (took)
		*took = t - t0;
	return t;
}

static unsigned
count_state(enum sstate st)
{
	unsigned	 i, c = 0;

	for (i = 0; i < nsubs; i++)
		c += subs[i].state == st;
	return c;
}

static void
rss(const char *tag)
{
	if (o.pid > 0)
		result(tag, "%ld kB (VmHWM %ld kB)", proc_kb(o.pid, "VmRSS"),
		    proc_kb(o.pid, "VmHWM"));
}

static int
daemon_gone(void)
{
	char	 path[64], buf[512], *q;
	FILE	*f;
	int	 gone = 1;

	snprintf(path, sizeof(path), "/proc/%d/stat", o.pid);
	if ((f = fopen(path, "r")) == NULL)
		return 1;
	if (fgets(buf, sizeof(buf), f) && (q = strrchr(buf, ')')))
		gone = q[2] == 'Z' || q[2] == 'X';
	fclose(f);
	return gone;
}

/* Sends a probe refresh when one is due (call from phase loops). */
static void
probe_tick(void)
{
	unsigned	 tries;
	struct sub	*s;
	double		 t = now();

	if (t < probe_due)
		return;
	probe_due = t + 0.1;
	for (tries = 0; tries < nsubs; tries++) {
		/* From the end backwards: far from the single-phase picks. */
		s = &subs[nsubs - 1 - (probe_next++ % nsubs)];
		if (s->state == S_ACTIVE && !s->tx && !s->probing &&
		    !s->expect_notify) {
			s->probing = 1;
			s->probe_t0 = t;
			cnt.refreshes++;
			send_subscribe(s, s->nonce[0] && t - s->nonce_t < 240,
			    o.expires);
			return;
		}
	}
}

/* Reports and resets the probes of a phase. */
static void
probe_report(const char *tag)
{
	unsigned	 i, pending = 0;

	for (i = 0; i < nsubs; i++)
		pending += subs[i].probing;
	qsort(probe_lat, nprobe, sizeof(*probe_lat), cmpd);
	result(tag, "n %u p50 %.1f p99 %.1f max %.1f ms (unanswered %u)",
	    nprobe, pct(probe_lat, nprobe, .5) * 1e3,
	    pct(probe_lat, nprobe, .99) * 1e3,
	    nprobe ? probe_lat[nprobe - 1] * 1e3 : NAN, pending + probe_lost);
	nprobe = 0;
	probe_lost = 0;
}

/* Pumps for SECONDS, probing. */
static void
pump_probe(double seconds)
{
	double	 end = now() + seconds;

	while (now() < end) {
		probe_tick();
		pump(10);
		check_daemon("a probed phase");
	}
}

/* The benchmark is meaningless once the daemon has gone: say so. */
static void
check_daemon(const char *during)
{
	static double	 last;
	double		 t = now();

	if (o.pid <= 0 || t - last < 0.25)
		return;
	last = t;
	if (daemon_gone())
		die("sipcfgd (pid %d) exited during %s, and subswarm did not "
		    "signal it: see sipcfgd's stderr (another process sending "
		    "SIGTERM to every sipcfgd?)", o.pid, during);
}

static void
usage_run(void)
{
	fprintf(stderr,
	    "usage: subswarm run --store F --sip HOST:PORT --n N [options]\n"
	    "  --realm R        expected challenge realm (informational)\n"
	    "  --pass P         compute HA1 from P (else the line's HA1)\n"
	    "  --socks S        UDP sockets (40)\n"
	    "  --window W       SUBSCRIBE transactions in flight (200)\n"
	    "  --expires E      Expires asked (3600)\n"
	    "  --k K            single-device samples (200; 0 skips)\n"
	    "  --pid PID        sipcfgd's pid: RSS and CPU per phase\n"
	    "  --term           at the end SIGTERM PID, count the NOTIFYs\n"
	    "  --uri-host H     host in the monitor URI (the --sip host)\n"
	    "  --dev-var V      device variable for single (ntp_server)\n"
	    "  --global-var V   global variable for fan-out (timezone)\n"
	    "  --noop-var V     unused global variable (bench_noop; '' skips)\n"
	    "  --setup-timeout S, --fanout-timeout S (180, 60)\n"
	    "  --hook-held CMD  run (sh -c) while all are held\n"
	    "  --hook-end CMD   run after the measurements, before --term\n"
	    "  --settle S       hold S seconds more, then RSS again (0)\n"
	    "  --verbose        show every anomaly, not the first two of a kind\n"
	    "  --transport T    udp (default) or tls: then each subscription\n"
	    "                   is its own TLS connection to --sip (a sips:\n"
	    "                   listener), --window connections at a time\n"
	    "                   between connect() and their SUBSCRIBE's answer\n"
	    "  --list FILE      subscribers from FILE (tab-separated: sfua,\n"
	    "                   token, user, realm, HA1, AOR), not --store\n"
	    "  --sip2 H:P       a second instance: every device subscribed at\n"
	    "                   both (UDP only)\n"
	    "  --commit-cmd CMD changes by running CMD LAYER SCOPE NAME VALUE\n");
	exit(2);
}

static int
mode_run(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "store", 1, NULL, 's' }, { "sip", 1, NULL, 'S' },
		{ "n", 1, NULL, 'n' }, { "realm", 1, NULL, 'r' },
		{ "pass", 1, NULL, 'p' }, { "socks", 1, NULL, 'k' },
		{ "window", 1, NULL, 'w' }, { "expires", 1, NULL, 'e' },
		{ "k", 1, NULL, 'K' }, { "pid", 1, NULL, 'P' },
		{ "term", 0, NULL, 'T' }, { "uri-host", 1, NULL, 'H' },
		{ "dev-var", 1, NULL, 'd' }, { "global-var", 1, NULL, 'g' },
		{ "noop-var", 1, NULL, 'o' }, { "setup-timeout", 1, NULL, 't' },
		{ "fanout-timeout", 1, NULL, 'f' },
		{ "hook-held", 1, NULL, 'h' }, { "hook-end", 1, NULL, 'E' },
		{ "verbose", 0, NULL, 'v' }, { "settle", 1, NULL, 'L' },
		{ "transport", 1, NULL, 'X' }, { "list", 1, NULL, 'l' },
		{ "sip2", 1, NULL, '2' }, { "commit-cmd", 1, NULL, 'C' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*realm = NULL;
	sqlite3		*db = NULL;
	double		*lat2[2] = { NULL, NULL }, *lats[2] = { NULL, NULL };
	double		*lcmd = NULL, tstart;
	unsigned	 nl2[2] = { 0, 0 }, before_exit = 0, q;
	struct cpusnap	 c0, c1;
	double		 t, t0, took, *lat, commit_max = 0, commit_sum = 0;
	double		 deadline, gap;
	unsigned	 i, j, nlat = 0, missing = 0, expect, active;
	char		 val[128];
	long		 rss0 = -1, rss1 = -1, drops0;
	int		 ch;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 's': o.store = optarg; break;
		case 'S': o.sip = optarg; break;
		case 'n': o.n = (unsigned)num("n", optarg); break;
		case 'r': realm = optarg; break;
		case 'p': o.pass = optarg; break;
		case 'k': o.socks = (unsigned)num("k", optarg); break;
		case 'w': o.window = (unsigned)num("w", optarg); break;
		case 'e': o.expires = (unsigned)num("e", optarg); break;
		case 'K': o.k = (unsigned)num("K", optarg); break;
		case 'P': o.pid = (int)num("P", optarg); break;
		case 'T': o.term = 1; break;
		case 'H': o.uri_host = optarg; break;
		case 'd': o.dev_var = optarg; break;
		case 'g': o.global_var = optarg; break;
		case 'o': o.noop_var = optarg; break;
		case 't': o.setup_timeout = (unsigned)num("t", optarg); break;
		case 'f': o.fanout_timeout = (unsigned)num("f", optarg); break;
		case 'h': o.hook_held = optarg; break;
		case 'E': o.hook_end = optarg; break;
		case 'v': o.verbose = 1; break;
		case 'X':
			if (strcmp(optarg, "tls") == 0)
				o.tls = 1;
			else if (strcmp(optarg, "udp") != 0)
				die("--transport %s: udp or tls", optarg);
			break;
		case 'L': o.settle = (unsigned)num("L", optarg); break;
		case 'l': o.list = optarg; break;
		case '2': o.sip2 = optarg; break;
		case 'C': o.commit_cmd = optarg; break;
		default: usage_run();
		}
	}
	if ((o.store == NULL && o.list == NULL) || o.sip == NULL || o.n == 0 ||
	    o.socks == 0 ||
	    o.window == 0 || optind != argc)
		usage_run();
	if (o.term && o.pid <= 0)
		die("--term needs --pid");
	if (resolve(o.sip, &daddr, dhost, sizeof(dhost), &dport) != 0)
		die("--sip %s: expected IPv4:PORT", o.sip);
	if (o.sip2 && resolve(o.sip2, &daddr2, dhost2, sizeof(dhost2),
	    &dport2) != 0)
		die("--sip2 %s: expected IPv4:PORT", o.sip2);
	if (o.sip2 && o.tls)
		die("--sip2: UDP only");
	if (o.store == NULL && o.commit_cmd == NULL)
		die("--list needs --commit-cmd (no store to write to)");
	snprintf(runid, sizeof(runid), "%08llx",
	    (unsigned long long)(rnd() & 0xffffffffULL));

	if (o.list)
		load_list();
	else {
		if (sqlite3_open_v2(o.store, &db, SQLITE_OPEN_READWRITE,
		    NULL) != SQLITE_OK)
			die("%s: %s", o.store, sqlite3_errmsg(db));
		sqlite3_busy_timeout(db, 10000);
		load_store(db);
	}
	if (realm && strcmp(realm, subs[0].realm) != 0)
		note("line realm in the store is \"%s\", not \"%s\"",
		    subs[0].realm, realm);
	if (o.commit_cmd == NULL && sqlite3_prepare_v2(db, "INSERT INTO "
	    "vars(layer, scope, name, value) "
	    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(layer, scope, name) "
	    "DO UPDATE SET value = excluded.value", -1, &upsert, NULL) !=
	    SQLITE_OK)
		die("prepare: %s", sqlite3_errmsg(db));
	if (o.sip2)
		twin_subs();
	open_sockets();
	if (o.tls)
		tls_init();
	fan_lat = calloc(nsubs, sizeof(*fan_lat));
	lat = calloc(o.k ? 2 * o.k : 1, sizeof(*lat));
	for (i = 0; i < 2; i++) {
		lat2[i] = calloc(o.k ? o.k : 1, sizeof(double));
		lats[i] = calloc(o.k ? o.k : 1, sizeof(double));
	}
	lcmd = calloc(o.k ? o.k : 1, sizeof(double));
	signal(SIGPIPE, SIG_IGN);

	result("n", "%u", nsubs);
	if (o.tls)
		result("sockets", "%u TLS connections, one per subscription "
		    "(window %u: connect to SUBSCRIBE answered)", nsubs,
		    o.window);
	else
		result("sockets", "%u (window %u SUBSCRIBE transactions)",
		    o.socks, o.window);
	if (o.pid > 0) {
		rss0 = proc_kb(o.pid, "VmRSS");
		rss("rss_before");
	}

	/* ----------------------------------------------------- establish */
	if (o.tls)
		note("establishing %u subscriptions (%u TLS connections, "
		    "window %u)", nsubs, nsubs, o.window);
	else
		note("establishing %u subscriptions (%u sockets, window %u)",
		    nsubs, o.socks, o.window);
	drops0 = udp_drops();
	cpu_snap(&c0);
	deadline = now() + o.setup_timeout;
	t = now();
	while (est_done + est_dead < nsubs && now() < deadline) {
		if (est_done > 0)
			probe_tick();
		pump(10);
		check_daemon("the establish phase");
		if (now() - t >= 2) {
			t = now();
			note("  %u/%u established (%u with 200), %u failed, "
			    "%u in flight", est_done, nsubs, est_200, est_dead,
			    inflight);
		}
	}
	cpu_snap(&c1);
	result("establish_ok", "%u of %u", est_done, nsubs);
	result("establish_failed", "%u", est_dead);
	result("establish_seconds", "%.3f", est_done ?
	    t_est_done - t_est_start : NAN);
	result("establish_200_seconds", "%.3f", est_200 ?
	    t_est_200 - t_est_start : NAN);
	result("establish_rate", "%.0f/s", est_done ?
	    est_done / (t_est_done - t_est_start) : 0);
	{
		double	*v = calloc(nsubs, sizeof(*v));
		unsigned c = 0;

		for (i = 0; i < nsubs; i++)
			if (subs[i].est && subs[i].state != S_DEAD)
				v[c++] = (subs[i].t_notify > subs[i].t_200 ?
				    subs[i].t_notify : subs[i].t_200) -
				    subs[i].t_start;
		qsort(v, c, sizeof(*v), cmpd);
		result("handshake_ms", "p50 %.1f p99 %.1f max %.1f "
		    "(first SUBSCRIBE -> initial NOTIFY, %u in flight)",
		    pct(v, c, .5) * 1e3, pct(v, c, .99) * 1e3,
		    c ? v[c - 1] * 1e3 : NAN, o.window);
		free(v);
	}
	if (o.tls) {
		double	*v = calloc(nsubs, sizeof(*v));
		unsigned c = 0;

		for (i = 0; i < nsubs; i++)
			if (subs[i].t_tls > 0)
				v[c++] = subs[i].t_tls - subs[i].t_start;
		qsort(v, c, sizeof(*v), cmpd);
		result("tls_version", "%s", tls_version[0] ? tls_version :
		    "(no handshake)");
		result("tls_handshakes", "%u done, %lu connects failed, %lu "
		    "handshakes failed, %u open", c, cnt.tls_connect_fail,
		    cnt.tls_hs_fail, tls_open);
		result("tls_handshake_ms", "p50 %.1f p99 %.1f max %.1f "
		    "(connect -> handshake done)", pct(v, c, .5) * 1e3,
		    pct(v, c, .99) * 1e3, c ? v[c - 1] * 1e3 : NAN);
		free(v);
	}
	result("establish_retransmits", "%lu SUBSCRIBE, %lu NOTIFY seen again",
	    cnt.retrans, cnt.notify_dup);
	result("establish_daemon_udp_drops", "%ld", udp_drops() - drops0);
	probe_report("probe_establish");
	cpu_report("cpu_establish", &c0, &c1);
	phase = P_IDLE;
	if (est_done == 0)
		die("no subscription established");

	/* Let the daemon settle (store writes, the 1/s window) and look. */
	pump_for(1.5);
	if (o.pid > 0) {
		rss1 = proc_kb(o.pid, "VmRSS");
		rss("rss_held");
		if (rss0 > 0 && rss1 > 0)
			result("rss_per_sub", "%.0f bytes",
			    (double)(rss1 - rss0) * 1024.0 / est_done);
	}
	run_hook(o.hook_held, "held");

	/* What holding N costs when nothing changes. */
	cpu_snap(&c0);
	pump_probe(2.0);
	cpu_snap(&c1);
	cpu_report("cpu_idle", &c0, &c1);
	pump_for(0.5);
	probe_report("probe_idle");

	/*
	 * sofia keeps completed non-INVITE server transactions (and their
	 * messages) 32 s over UDP (RFC 3261 Timer J): RSS once they are gone.
	 */
	if (o.settle && o.pid > 0) {
		note("holding %u s more", o.settle);
		pump_for(o.settle);
		rss("rss_settled");
		if (rss0 > 0)
			result("rss_per_sub_settled", "%.0f bytes",
			    (double)(proc_kb(o.pid, "VmRSS") - rss0) * 1024.0 /
			    est_done);
	}

	/* -------------------------------------------------------- single */
	if (o.k) {
		note("single-device latency: %u changes", o.k);
		phase = P_SINGLE;
		cpu_snap(&c0);
		for (i = 0, j = 0; i < o.k; i++) {
			struct sub	*s = NULL, *tw = NULL, *x;
			unsigned	 tries, nd = o.sip2 ? nsubs / 2 : nsubs;


			/*
			 * Distinct devices, none notified in the last 1.1 s
			 * (with --sip2: at neither instance).
			 */
			for (tries = 0; tries < nd * 2; tries++) {
				struct sub *c = &subs[((unsigned long long)j++ *
				    7919) % nd];
				struct sub *c2 = o.sip2 ? c + nd : c;

				if (c->state == S_ACTIVE &&
				    now() - c->last_notify > 1.1 &&
				    c2->state == S_ACTIVE &&
				    now() - c2->last_notify > 1.1) {
					s = c;
					tw = o.sip2 ? c2 : NULL;
					break;
				}
				if (tries % nd == nd - 1)
					pump_for(0.2);
			}
			if (s == NULL) {
				note("no subscription free for a change");
				break;
			}
			/* 0-20 ms apart: do not lock onto the daemon's poll. */
			gap = (double)(rnd() % 20000) / 1e6;
			pump_for(gap);
			snprintf(val, sizeof(val), "ntp-%u-%s.bench.example", i,
			    runid);
			/*
			 * With --commit-cmd NOTIFYs come in while it runs:
			 * their latency counts from its start, then also
			 * from its exit.
			 */
			s->waiting = 1;
			tstart = now();
			s->t_commit = tstart;
			if (tw) {
				tw->waiting = 1;
				tw->t_commit = tstart;
			}
			t = commit_var(db, "device", s->sfua, o.dev_var, val,
			    &took);
			if (o.commit_cmd == NULL)
				s->t_commit = t;
			lcmd[i] = took;
			commit_sum += took;
			commit_max = took > commit_max ? took : commit_max;
			deadline = t + 3.0;
			while ((s->waiting || (tw && tw->waiting)) &&
			    now() < deadline) {
				pump(5);
				check_daemon("the single-device phase");
			}
			for (q = 0; q < 2; q++) {
				double	 ls, lr;

				if ((x = q ? tw : s) == NULL)
					continue;
				if (x->waiting) {
					missing++;
					x->waiting = 0;
					anomaly("no NOTIFY within 3 s of a "
					    "device change", x, NULL,
					    "variable %s", o.dev_var);
					continue;
				}
				ls = x->lat;
				lr = o.commit_cmd ? ls - (t - tstart) : ls;
				if (lr < 0) {
					before_exit++;
					lr = 0;
				}
				lat[nlat++] = lr;
				lats[x->inst][nl2[x->inst]] = ls;
				lat2[x->inst][nl2[x->inst]++] = lr;
			}
		}
		cpu_snap(&c1);
		qsort(lat, nlat, sizeof(*lat), cmpd);
		result("single_samples", "%u (missing %u)", nlat, missing);
		result("single_ms", "p50 %.1f p90 %.1f p99 %.1f max %.1f min "
		    "%.1f", pct(lat, nlat, .5) * 1e3, pct(lat, nlat, .9) * 1e3,
		    pct(lat, nlat, .99) * 1e3, nlat ? lat[nlat - 1] * 1e3 : NAN,
		    nlat ? lat[0] * 1e3 : NAN);
		result("single_commit_ms", "mean %.2f max %.2f",
		    (i ? commit_sum / i : 0) * 1e3, commit_max * 1e3);
		for (q = 0; o.sip2 && q < 2; q++) {
			double	*v = lat2[q];
			unsigned c = nl2[q];

			qsort(v, c, sizeof(*v), cmpd);
			result(q ? "single_ms_b" : "single_ms_a", "p50 %.1f "
			    "p90 %.1f p99 %.1f max %.1f min %.1f n %u",
			    pct(v, c, .5) * 1e3, pct(v, c, .9) * 1e3,
			    pct(v, c, .99) * 1e3, c ? v[c - 1] * 1e3 : NAN,
			    c ? v[0] * 1e3 : NAN, c);
		}
		for (q = 0; o.commit_cmd && q < (o.sip2 ? 2u : 1u); q++) {
			double	*v = lats[q];
			unsigned c = nl2[q];

			qsort(v, c, sizeof(*v), cmpd);
			result(!o.sip2 ? "single_start_ms" : q ?
			    "single_start_ms_b" : "single_start_ms_a",
			    "p50 %.1f p90 %.1f p99 %.1f max %.1f n %u",
			    pct(v, c, .5) * 1e3, pct(v, c, .9) * 1e3,
			    pct(v, c, .99) * 1e3, c ? v[c - 1] * 1e3 : NAN, c);
		}
		if (o.commit_cmd) {
			qsort(lcmd, i, sizeof(*lcmd), cmpd);
			result("single_cmd_ms", "p50 %.1f p99 %.1f max %.1f "
			    "(--commit-cmd start to exit)", pct(lcmd, i, .5) *
			    1e3, pct(lcmd, i, .99) * 1e3, i ? lcmd[i - 1] *
			    1e3 : NAN);
			result("single_before_exit", "%u (NOTIFYs that came "
			    "before --commit-cmd exited: 0 from its exit)",
			    before_exit);
		}
		cpu_report("cpu_single", &c0, &c1);
		phase = P_IDLE;
		pump_for(1.2);	/* past the 1/s window of the last ones */
	}

	/* ------------------------------------------------------- fan-out */
	active = count_state(S_ACTIVE);
	note("fan-out: one global change, %u subscriptions", active);
	for (i = 0; i < nsubs; i++)
		subs[i].fan_got = 0;
	snprintf(val, sizeof(val), "Bench/%s-%.0f", runid, now() * 1000);
	phase = P_FANOUT;
	cpu_snap(&c0);
	if (o.commit_cmd) {
		/* NOTIFYs come in while it runs: from its start. */
		fan_t0 = now();
		(void)commit_var(db, "global", "", o.global_var, val, &took);
	} else
		fan_t0 = commit_var(db, "global", "", o.global_var, val, &took);
	result("fanout_commit_ms", "%.2f", took * 1e3);
	expect = active;
	deadline = fan_t0 + o.fanout_timeout;
	t = now();
	while (fan_got < expect && now() < deadline) {
		probe_tick();
		pump(10);
		check_daemon("the fan-out phase");
		if (now() - t >= 1) {
			t = now();
			note("  %.1f s: %u/%u NOTIFYs", t - fan_t0, fan_got,
			    expect);
		}
	}
	cpu_snap(&c1);
	t0 = now();
	pump_for(1.5);		/* duplicates, extras, the last probes */
	probe_report("probe_fanout");
	result("fanout_received", "%u of %u", fan_got, expect);
	if (fan_got) {
		result("fanout_first_ms", "%.1f", (fan_first - fan_t0) * 1e3);
		result("fanout_last_seconds", "%.3f (answered +%.3f ms)",
		    fan_last - fan_t0, (fan_last_ans - fan_last) * 1e3);
		result("fanout_rate", "%.0f/s first-to-last, %.0f/s "
		    "commit-to-last", fan_got > 1 ? (fan_got - 1) /
		    (fan_last - fan_first) : 0, fan_got / (fan_last - fan_t0));
		qsort(fan_lat, fan_got, sizeof(*fan_lat), cmpd);
		result("fanout_latency_ms", "p50 %.0f p90 %.0f p99 %.0f",
		    pct(fan_lat, fan_got, .5) * 1e3,
		    pct(fan_lat, fan_got, .9) * 1e3,
		    pct(fan_lat, fan_got, .99) * 1e3);
		{
			char	 h[4096];
			size_t	 off = 0;
			int	 last = (int)((fan_last - fan_t0) * 10);

			for (i = 0; (int)i <= last && i < 600 &&
			    off < sizeof(h) - 16; i += 5) {
				unsigned sum = 0;

				for (j = i; j < i + 5 && j < 600; j++)
					sum += fan_hist[j];
				off += (size_t)snprintf(h + off,
				    sizeof(h) - off, " %u", sum);
			}
			result("fanout_per_500ms", "%s", h);
		}
	}
	result("fanout_extra", "%u (second NOTIFY with a new ETag)",
	    fan_extra);
	result("notify_retransmits_seen", "%lu (since the start)",
	    cnt.notify_dup);
	cpu_report("cpu_fanout", &c0, &c1);
	(void)t0;
	phase = P_IDLE;
	rss("rss_after_fanout");

	/* ---------------------------------------------------------- no-op */
	if (o.noop_var && *o.noop_var) {
		note("no-op: a global variable no template uses");
		pump_for(0.5);
		phase = P_NOOP;
		cpu_snap(&c0);
		snprintf(val, sizeof(val), "noop-%s-%.0f", runid, now() * 1000);
		commit_var(db, "global", "", o.noop_var, val, NULL);
		pump_probe(2.0);
		cpu_snap(&c1);
		phase = P_IDLE;
		pump_for(0.5);
		probe_report("probe_noop");
		result("noop_notifies", "%u (want 0)", noop_notifies);
		cpu_report("cpu_noop", &c0, &c1);
	}

	run_hook(o.hook_end, "end");

	{
		long	 d = udp_drops();

		result("daemon_udp_drops", "%ld (sipcfgd's SIP socket: receive "
		    "buffer full; whole run before SIGTERM)", d < 0 || drops0 <
		    0 ? -1 : d - drops0);
	}

	/* ------------------------------------------------------ shutdown */
	if (o.term) {
		active = count_state(S_ACTIVE);
		note("SIGTERM to %d with %u subscriptions", o.pid, active);
		phase = P_TERM;
		term_t0 = now();
		if (kill(o.pid, SIGTERM) != 0)
			die("kill %d: %s", o.pid, strerror(errno));
		deadline = term_t0 + 30;
		t = 0;
		while (term_got < active && now() < deadline) {
			pump(20);
			if (t == 0 && daemon_gone())
				t = now();
		}
		while (t == 0 && now() < deadline) {
			pump(20);
			if (daemon_gone())
				t = now();
		}
		result("term_notifies", "%u of %u (%u without probation/"
		    "retry-after)", term_got, active, term_bad);
		if (term_got)
			result("term_last_seconds", "%.3f", term_last - term_t0);
		if (term_got > term_bad)
			result("term_retry_after", "min %u max %u mean %.0f",
			    ra_min, ra_max, ra_sum / (term_got - term_bad));
		result("term_exit_seconds", t ? "%.3f" : "not within 30 s",
		    t - term_t0);
	}

	/* -------------------------------------------------------- totals */
	result("sip_sent", "%lu", cnt.sent);
	result("sip_received", "%lu", cnt.rx);
	result("subscribe_responses", "401 %lu, 2xx %lu, 423 %lu, other %lu",
	    cnt.c401, cnt.c200, cnt.c423, cnt.cother);
	result("subscribe_retransmits", "%lu (timeouts %lu)", cnt.retrans,
	    cnt.timeouts);
	result("stale_401", "%lu (401 stale=true to a nonce < 1 s old)",
	    cnt.stale);
	result("refreshes", "%lu (challenged %lu; NOTIFYs that came with "
	    "them %lu)", cnt.refreshes, cnt.refresh_401, cnt.refresh_notifies);
	result("notifies", "%lu (retransmitted %lu, unknown dialog %lu, "
	    "before the SUBSCRIBE's 2xx %lu)", cnt.notify, cnt.notify_dup,
	    cnt.notify_unknown, cnt.notify_before_2xx);
	for (i = 0; i < NREASON && reasons[i].r[0]; i++)
		result("terminated", "%s %u", reasons[i].r, reasons[i].n);
	for (i = 0; i < NANOM && anoms[i].kind[0]; i++)
		result("anomaly", "%u x %s", anoms[i].n, anoms[i].kind);
	result("sample", "%s %s %s", subs[0].sfua, subs[0].user,
	    subs[0].etag);
	if (upsert)
		sqlite3_finalize(upsert);
	if (db)
		sqlite3_close(db);
	for (i = 0; i < 2; i++) {
		free(lat2[i]);
		free(lats[i]);
	}
	free(lcmd);
	for (i = 0; i < nsubs; i++)
		free(subs[i].req);
	if (o.tls) {
		result("tls_closed", "%lu open connections closed by the "
		    "daemon or failed (not counting after SIGTERM)",
		    cnt.tls_closed);
		result("tls_stream", "%lu keep-alive pings answered, %lu reads "
		    "that ended inside a message, %lu messages on another "
		    "subscription's connection", cnt.tls_pings,
		    cnt.tls_partial, cnt.tls_wrong_conn);
		for (i = 0; i < nsubs; i++)
			conn_close(i);
		free(conns);
		SSL_CTX_free(sslctx);
	}
	for (i = 0; sks && i < o.socks; i++)
		close(sks[i].fd);
	close(ep);
	free(subs);
	free(sks);
	free(fan_lat);
	free(lat);
	return 0;
}

int
main(int argc, char **argv)
{
	if (getrandom(&rng_state, sizeof(rng_state), 0) !=
	    (ssize_t)sizeof(rng_state) || rng_state == 0)
		rng_state = (uint64_t)time(NULL) * 2654435761u + 1;
	setvbuf(stderr, NULL, _IOLBF, 0);
	if (argc >= 2 && strcmp(argv[1], "sql") == 0)
		return mode_sql(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return mode_run(argc - 1, argv + 1);
	fprintf(stderr, "usage: subswarm sql N REALM [--first HEX] "
	    "[--pass PW]\n       subswarm run --store F --sip HOST:PORT "
	    "--n N [options]  (run --help)\n");
	return 2;
}
