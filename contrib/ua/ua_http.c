/*
 * ua_http: the UA's HTTPS GET of its configuration (see ua_http.h), on
 * libcurl and OpenSSL.  Any UA thread may call it: each call has its own
 * easy handle and shares nothing, so the only global is libcurl's own,
 * set up by ua_http_global_init().
 *
 * Design.  RFC 6011 §2.4.1 wants SNI = the Configuration Service Domain
 * even when the URL names another host; libcurl sends the URL's host as
 * SNI and checks the certificate against it, so the URL's host is
 * replaced by the CS domain, CURLOPT_CONNECT_TO sends the connection to
 * the real host, and the Host header keeps the original authority.
 * Trust is a CA file (verify peer and name) or else a pin file (trust on
 * first use): the server's public key is learned from CURLINFO_CERTINFO,
 * which libcurl fills before it checks a pin, so a mismatch can name both
 * keys without a second connection.  Only the headers of the final
 * response are kept: a status line (a 401 before Digest, a redirect, a
 * 1xx) starts the header and body buffers afresh.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ua_http.h"

#define BODY_MAX	(16UL * 1024 * 1024)	/* refuse larger bodies */
#define HDRS_MAX	(64 * 1024)	/* all header lines of one response */
#define TIMEOUT_MS	10000
#define REDIRS_MAX	5
#define PINFILE_MAX	1024		/* pin file contents */
#define DELTA_MAX	2147483647L	/* RFC 9111 §1.2.2: cap delta-seconds */
#define HOST_MAX	256
#define HDRLINE_MAX	1024		/* a request header we send */
#define PARAM_MAX	256		/* a link-param or directive value */
#define PIN_PREFIX	"sha256//"
#define SHA256_LEN	32
#define PIN_B64_LEN	44		/* base64 of SHA256_LEN bytes */

enum trust {
	TRUST_CA,		/* verify against the CA file */
	TRUST_FIRST,		/* no pin yet: verify nothing, keep the key */
	TRUST_PINNED		/* the key must match the pin file */
};

/* One transfer's received data; heap-allocated (the header block is big). */
struct xfer {
	char	*body;
	size_t	 len, cap;
	int	 body_over;
	int	 in_body;		/* header lines now are trailers */
	char	 hdrs[HDRS_MAX];	/* "Name: value\0" lines */
	size_t	 hlen;
	int	 hdrs_over;
};

static void	 http_err(struct ua_http_resp *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
http_err(struct ua_http_resp *r, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
}

/* err is one line: control characters (curl's CR LF among them) go. */
static void
http_err_clean(struct ua_http_resp *r, const char *password)
{
	char	*p;
	size_t	 n;

	for (p = r->err; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	n = strlen(r->err);
	while (n > 0 && r->err[n - 1] == ' ')
		r->err[--n] = '\0';
	/* Never happens with credentials set apart from the URL; be sure. */
	if (password != NULL && password[0] != '\0' &&
	    strstr(r->err, password) != NULL)
		http_err(r, "request failed (message withheld: it held the "
		    "password)");
}

static void
xfer_body_wipe(struct xfer *x)
{
	if (x->body != NULL) {
		explicit_bzero(x->body, x->cap);
		free(x->body);
	}
	x->body = NULL;
	x->len = x->cap = 0;
}

/* The body may hold SIP passwords: old copies are wiped, never leaked. */
static size_t
xfer_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer	*x = arg;
	size_t		 n = size * nmemb, ncap;
	char		*nb;

	x->in_body = 1;
	if (n > BODY_MAX - x->len) {
		x->body_over = 1;
		return 0;
	}
	if (x->len + n + 1 > x->cap) {
		ncap = x->cap ? x->cap : 16384;
		while (ncap < x->len + n + 1)
			ncap *= 2;
		if (ncap > BODY_MAX + 1)
			ncap = BODY_MAX + 1;
		if ((nb = malloc(ncap)) == NULL)
			return 0;
		if (x->body != NULL) {
			memcpy(nb, x->body, x->len);
			explicit_bzero(x->body, x->cap);
			free(x->body);
		}
		x->body = nb;
		x->cap = ncap;
	}
	memcpy(x->body + x->len, data, n);
	x->len += n;
	x->body[x->len] = '\0';
	return n;
}

static size_t
xfer_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer	*x = arg;
	size_t		 n = size * nmemb, l = n;

	/* A new response (after a 401, a redirect, a 1xx): start afresh. */
	if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		x->hlen = 0;
		x->in_body = 0;
		if (x->body != NULL)
			explicit_bzero(x->body, x->len);
		x->len = 0;
		return n;
	}
	if (x->in_body)
		return n;	/* trailers: not the response's metadata */
	while (l > 0 && (data[l - 1] == '\r' || data[l - 1] == '\n'))
		l--;
	if (l == 0)
		return n;
	if (x->hlen + l + 1 > sizeof(x->hdrs)) {
		x->hdrs_over = 1;
		return 0;
	}
	/* RFC 9112 §5.2 obs-fold: a continuation joins the line before. */
	if ((data[0] == ' ' || data[0] == '\t') && x->hlen > 0)
		x->hdrs[x->hlen - 1] = ' ';
	memcpy(x->hdrs + x->hlen, data, l);
	x->hdrs[x->hlen + l] = '\0';
	x->hlen += l + 1;
	return n;
}

/*
 * The value of the idx-th header line named name (case-insensitive) of
 * the final response, OWS trimmed at the start (curl's lines carry no
 * trailing CR LF; trailing OWS is trimmed by the parsers), or NULL.
 */
static const char *
xfer_hdr(const struct xfer *x, const char *name, size_t idx)
{
	const char	*p, *end = x->hdrs + x->hlen;
	size_t		 nl = strlen(name);

	for (p = x->hdrs; p < end; p += strlen(p) + 1) {
		if (strncasecmp(p, name, nl) != 0 || p[nl] != ':')
			continue;
		if (idx-- > 0)
			continue;
		p += nl + 1;
		while (*p == ' ' || *p == '\t')
			p++;
		return p;
	}
	return NULL;
}

/* Copy a header value without its trailing OWS; "" if it does not fit. */
static void
copy_value(const char *v, char *out, size_t outlen)
{
	size_t	 n;

	out[0] = '\0';
	if (v == NULL)
		return;
	n = strlen(v);
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	/* A cut ETag could equal another one: better none than a wrong one. */
	if (n >= outlen)
		return;
	memcpy(out, v, n);
	out[n] = '\0';
}

/*
 * Lexing of RFC 9110 §5.6 lists: tokens, quoted-strings, parameters.
 * Values longer than the buffer come out as "" (never cut).
 */
static int
is_tchar(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static const char *
skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Past the current list element: to its comma, over quotes and <>. */
static const char *
skip_element(const char *p)
{
	while (*p != '\0' && *p != ',') {
		if (*p == '"') {
			for (p++; *p != '\0' && *p != '"'; p++)
				if (*p == '\\' && p[1] != '\0')
					p++;
			if (*p == '\0')
				break;
		} else if (*p == '<') {
			while (*p != '\0' && *p != '>')
				p++;
			if (*p == '\0')
				break;
		}
		p++;
	}
	return p;
}

static const char *
lex_token(const char *p, char *out, size_t outlen)
{
	size_t	 n = 0;
	int	 over = 0;

	for (; is_tchar((unsigned char)*p); p++) {
		if (n + 1 < outlen)
			out[n++] = *p;
		else
			over = 1;
	}
	out[over ? 0 : n] = '\0';
	return p;
}

/* p at the opening quote; NULL if unterminated. */
static const char *
lex_quoted(const char *p, char *out, size_t outlen)
{
	size_t	 n = 0;
	int	 over = 0;

	for (p++; *p != '\0' && *p != '"'; p++) {
		if (*p == '\\' && *++p == '\0')
			return NULL;
		if (n + 1 < outlen)
			out[n++] = *p;
		else
			over = 1;
	}
	if (*p != '"')
		return NULL;
	out[over ? 0 : n] = '\0';
	return p + 1;
}

/*
 * token BWS [ "=" BWS ( token / quoted-string ) ]; val is "" without a
 * value.  Returns the end, or NULL on a syntax error.
 */
static const char *
lex_param(const char *p, char *name, size_t nlen, char *val, size_t vlen)
{
	const char	*q;

	val[0] = '\0';
	q = lex_token(p, name, nlen);
	if (q == p)
		return NULL;
	p = skip_ows(q);
	if (*p != '=')
		return q;
	p = skip_ows(p + 1);
	if (*p == '"')
		return lex_quoted(p, val, vlen);
	q = lex_token(p, val, vlen);
	return q == p ? NULL : q;
}

/* delta-seconds (RFC 9110 §10.2.3, RFC 9111 §1.2.2); -1 if malformed. */
static long
delta_seconds(const char *s)
{
	long	 v = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (DELTA_MAX - (*s - '0')) / 10)
			v = DELTA_MAX;
		else
			v = v * 10 + (*s - '0');
	}
	s = skip_ows(s);
	return *s == '\0' ? v : -1;
}

/*
 * RFC 9111 §5.2.2.1 max-age from every Cache-Control line; the first
 * occurrence counts (§4.2.1); a malformed value counts as absent.
 */
static long
parse_max_age(const struct xfer *x)
{
	char		 name[PARAM_MAX], val[PARAM_MAX];
	const char	*v, *p, *q;
	size_t		 i;

	for (i = 0; (v = xfer_hdr(x, "Cache-Control", i)) != NULL; i++) {
		for (p = v; *p != '\0';) {
			p = skip_ows(p);
			if (*p == ',') {
				p++;
				continue;
			}
			if (*p == '\0')
				break;
			q = lex_param(p, name, sizeof(name), val, sizeof(val));
			if (q == NULL) {
				p = skip_element(p);
				continue;
			}
			if (strcasecmp(name, "max-age") == 0)
				return delta_seconds(val);
			p = skip_element(q);
		}
	}
	return -1;
}

/*
 * RFC 9110 §10.2.3: delta-seconds or an HTTP-date.  A present value is at
 * least 1 so that 0 keeps meaning "absent": RFC 6011 §2.4.2 keeps a URL
 * that failed with a Retry-After, whatever its value.
 */
static unsigned
parse_retry_after(const struct xfer *x)
{
	char		 v[128];
	long		 d;
	time_t		 t, now;

	copy_value(xfer_hdr(x, "Retry-After", 0), v, sizeof(v));
	if (v[0] == '\0')
		return 0;
	if (v[0] >= '0' && v[0] <= '9')
		d = delta_seconds(v);
	else {
		if ((t = curl_getdate(v, NULL)) == -1)
			return 0;
		now = time(NULL);
		d = t <= now ? 0 : t - now > DELTA_MAX ? DELTA_MAX :
		    (long)(t - now);
	}
	if (d < 0)
		return 0;
	return d == 0 ? 1 : (unsigned)d;
}

/* Is tok one of the space-separated relation types (RFC 8288 §3.3)? */
static int
rel_has(const char *rels, const char *tok)
{
	const char	*p = rels, *e;
	size_t		 tl = strlen(tok);

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return 0;
		for (e = p; *e != '\0' && *e != ' ' && *e != '\t'; e++)
			;
		if ((size_t)(e - p) == tl && strncasecmp(p, tok, tl) == 0)
			return 1;
		p = e;
	}
}

/* Keep the first sips: and the first sip: monitor target. */
static void
link_keep(struct ua_http_resp *r, const char *uri, size_t n)
{
	char	*out;
	size_t	 outlen, i;

	for (i = 0; i < n; i++)
		if ((unsigned char)uri[i] <= 0x20 || uri[i] == 0x7f)
			return;
	if (n > 5 && strncasecmp(uri, "sips:", 5) == 0) {
		out = r->link_sips;
		outlen = sizeof(r->link_sips);
	} else if (n > 4 && strncasecmp(uri, "sip:", 4) == 0) {
		out = r->link_sip;
		outlen = sizeof(r->link_sip);
	} else
		return;
	if (out[0] != '\0' || n >= outlen)
		return;
	memcpy(out, uri, n);
	out[n] = '\0';
}

/*
 * RFC 6011 §2.5: the monitor URIs come in Link headers (RFC 8288 §3):
 *   Link       = #link-value
 *   link-value = "<" URI-Reference ">" *( OWS ";" OWS link-param )
 *   link-param = token BWS [ "=" BWS ( token / quoted-string ) ]
 * rel="monitor" or rel=monitor, among other relation types; only the
 * first rel counts (§3.3); a link with an anchor is about another
 * resource (§3.2); malformed link-values are skipped.
 */
static void
parse_links(const struct xfer *x, struct ua_http_resp *r)
{
	char		 name[PARAM_MAX], val[PARAM_MAX], rel[PARAM_MAX];
	const char	*v, *p, *q, *uri, *gt;
	size_t		 i;
	int		 have_rel, anchor, bad;

	for (i = 0; (v = xfer_hdr(x, "Link", i)) != NULL; i++) {
		for (p = v; *p != '\0';) {
			p = skip_ows(p);
			if (*p == ',') {
				p++;
				continue;
			}
			if (*p == '\0')
				break;
			if (*p != '<') {
				p = skip_element(p);
				continue;
			}
			uri = p + 1;
			if ((gt = strchr(uri, '>')) == NULL)
				break;
			p = gt + 1;
			rel[0] = '\0';
			have_rel = anchor = bad = 0;
			for (;;) {
				p = skip_ows(p);
				if (*p != ';')
					break;
				p = skip_ows(p + 1);
				if ((q = lex_param(p, name, sizeof(name), val,
				    sizeof(val))) == NULL) {
					bad = 1;
					break;
				}
				if (strcasecmp(name, "rel") == 0 && !have_rel) {
					have_rel = 1;
					memcpy(rel, val, sizeof(rel));
				} else if (strcasecmp(name, "anchor") == 0)
					anchor = 1;
				p = q;
			}
			if (bad || (*p != '\0' && *p != ',')) {
				p = skip_element(p);
				continue;
			}
			if (have_rel && !anchor && rel_has(rel, "monitor"))
				link_keep(r, uri, (size_t)(gt - uri));
		}
	}
}

/* RFC 9110 §5.6.7 IMF-fixdate, without the locale strftime would use. */
static int
http_date(time_t t, char *out, size_t outlen)
{
	static const char	 wday[7][4] = { "Sun", "Mon", "Tue", "Wed",
	    "Thu", "Fri", "Sat" };
	static const char	 mon[12][4] = { "Jan", "Feb", "Mar", "Apr",
	    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm		 tm;
	int			 n;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_wday < 0 || tm.tm_wday > 6 ||
	    tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_year + 1900 > 9999)
		return -1;
	n = snprintf(out, outlen, "%s, %02d %s %04d %02d:%02d:%02d GMT",
	    wday[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/*
 * The pin of a PEM certificate: "sha256//" and the base64 of SHA-256 over
 * its SubjectPublicKeyInfo DER (CURLOPT_PINNEDPUBLICKEY's format).
 */
static int
pin_of_pem(const char *pem, char *out, size_t outlen)
{
	BIO		*b;
	X509		*crt = NULL;
	unsigned char	*der = NULL, md[SHA256_LEN], b64[PIN_B64_LEN + 1];
	unsigned int	 mdlen = 0;
	int		 n, ret = -1;

	if ((b = BIO_new_mem_buf(pem, -1)) == NULL)
		return -1;
	if ((crt = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL)
		goto done;
	if ((n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(crt), &der)) <= 0)
		goto done;
	if (EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != sizeof(md) ||
	    EVP_EncodeBlock(b64, md, (int)mdlen) != PIN_B64_LEN)
		goto done;
	n = snprintf(out, outlen, PIN_PREFIX "%s", (const char *)b64);
	if (n < 0 || (size_t)n >= outlen)
		goto done;
	ret = 0;
done:
	OPENSSL_free(der);
	X509_free(crt);
	BIO_free(b);
	return ret;
}

/* The pin of the server's certificate (the first of its chain). */
static int
pin_of_peer(CURL *h, char *out, size_t outlen)
{
	struct curl_certinfo	*ci = NULL;
	struct curl_slist	*s;

	out[0] = '\0';
	if (curl_easy_getinfo(h, CURLINFO_CERTINFO, &ci) != CURLE_OK ||
	    ci == NULL || ci->num_of_certs < 1)
		return -1;
	for (s = ci->certinfo[0]; s != NULL; s = s->next)
		if (strncmp(s->data, "Cert:", 5) == 0)
			return pin_of_pem(s->data + 5, out, outlen);
	return -1;
}

/* The server's certificate as PEM (malloc'd), or NULL. */
static char *
pem_of_peer(CURL *h)
{
	struct curl_certinfo	*ci = NULL;
	struct curl_slist	*s;

	if (curl_easy_getinfo(h, CURLINFO_CERTINFO, &ci) != CURLE_OK ||
	    ci == NULL || ci->num_of_certs < 1)
		return NULL;
	for (s = ci->certinfo[0]; s != NULL; s = s->next)
		if (strncmp(s->data, "Cert:", 5) == 0)
			return strdup(s->data + 5);
	return NULL;
}

/* One or more "sha256//" + 44 base64 characters, separated by ';'. */
static int
pin_valid(const char *s)
{
	size_t	 n;

	for (;;) {
		if (strncmp(s, PIN_PREFIX, sizeof(PIN_PREFIX) - 1) != 0)
			return 0;
		s += sizeof(PIN_PREFIX) - 1;
		n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789+/=");
		if (n != PIN_B64_LEN)
			return 0;
		s += n;
		if (*s == '\0')
			return 1;
		if (*s++ != ';')
			return 0;
	}
}

/*
 * Read the pin file: 0 with out = "" when absent or empty (first use),
 * 0 with the pin, or -1 (err set).
 */
static int
pin_read(const char *path, char *out, size_t outlen, struct ua_http_resp *r)
{
	ssize_t	 n = 0;
	size_t	 len = 0, b, e;
	int	 fd;

	out[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		http_err(r, "pin file %s: %s", path, strerror(errno));
		return -1;
	}
	while (len < outlen) {
		n = read(fd, out + len, outlen - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (n == -1 || len >= outlen) {
		http_err(r, "pin file %s: %s", path, n == -1 ?
		    strerror(errno) : "too long");
		close(fd);
		return -1;
	}
	close(fd);
	out[len] = '\0';
	for (b = 0; out[b] == ' ' || out[b] == '\t' || out[b] == '\r' ||
	    out[b] == '\n'; b++)
		;
	for (e = len; e > b && (out[e - 1] == ' ' || out[e - 1] == '\t' ||
	    out[e - 1] == '\r' || out[e - 1] == '\n'); e--)
		;
	memmove(out, out + b, e - b);
	out[e - b] = '\0';
	if (out[0] != '\0' && !pin_valid(out)) {
		http_err(r, "pin file %s: not a sha256// public key pin", path);
		return -1;
	}
	return 0;
}

/* Write the pin atomically: a 0600 temporary file renamed over path. */
static int
pin_write(const char *path, const char *pin, struct ua_http_resp *r)
{
	char		 tmp[PATH_MAX], dir[PATH_MAX], line[128];
	const char	*slash;
	size_t		 len, off = 0;
	ssize_t		 n = 0;
	int		 fd, dfd, saved;

	len = (size_t)snprintf(line, sizeof(line), "%s\n", pin);
	if (len >= sizeof(line) || (size_t)snprintf(tmp, sizeof(tmp),
	    "%s.XXXXXX", path) >= sizeof(tmp)) {
		http_err(r, "pin file %s: name too long", path);
		return -1;
	}
	/* mkstemp: mode 0600 (mkostemp would need _GNU_SOURCE). */
	if ((fd = mkstemp(tmp)) == -1) {
		http_err(r, "pin file %s: %s", tmp, strerror(errno));
		return -1;
	}
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	while (off < len) {
		n = write(fd, line + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	if (off < len || fchmod(fd, S_IRUSR | S_IWUSR) == -1 ||
	    fsync(fd) == -1) {
		saved = off < len && n == 0 ? EIO : errno;
		close(fd);
		unlink(tmp);
		http_err(r, "pin file %s: %s", tmp, strerror(saved));
		return -1;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		saved = errno;
		unlink(tmp);
		http_err(r, "pin file %s: %s", path, strerror(saved));
		return -1;
	}
	/* The rename itself survives a crash once the directory is synced. */
	if ((slash = strrchr(path, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
}

/* A DNS name for SNI: letters, digits, '-' and '.', at most 253. */
static int
sni_valid(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || n > 253 || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '.'))
			return 0;
	return 1;
}

/* A value we put in a request header must not split it. */
static int
hdr_safe(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t')
			return 0;
	return 1;
}

/*
 * Parse url and settle the target: the URL to give curl (host replaced
 * by the SNI name when it differs), the CONNECT_TO entry and the Host
 * header that go with it ("" when not needed).  0 or -1 (err set).
 */
static int
http_target(const char *url, const char *sni, const char *const *cto,
    char **urlp, char *connect_to, size_t ctlen, char *host_hdr,
    size_t hhlen, struct ua_http_resp *r)
{
	CURLU		*u;
	char		*scheme = NULL, *host = NULL, *port = NULL;
	char		*user = NULL, *dport = NULL;
	char		 name[HOST_MAX], to[HOST_MAX + 8];
	size_t		 n, i;
	int		 ret = -1;

	*urlp = NULL;
	connect_to[0] = host_hdr[0] = '\0';
	if ((u = curl_url()) == NULL) {
		http_err(r, "out of memory");
		return -1;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &dport, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK) {
		http_err(r, "malformed URL");
		goto done;
	}
	/* RFC 6011 §2.4.1: the request URL is https, always over TLS. */
	if (strcasecmp(scheme, "https") != 0) {
		http_err(r, "not an https URL");
		goto done;
	}
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
		http_err(r, "the URL must not carry credentials");
		goto done;
	}
	(void)curl_url_get(u, CURLUPART_PORT, &port, 0);

	/*
	 * RFC 6011 §2.4.1: SNI is the Configuration Service Domain, even when
	 * the URL's host is another name; the certificate is checked against
	 * it too (RFC 2818 §3.1).  A root label's dot is not sent (RFC 6066
	 * §3).
	 */
	/*
	 * A --connect-to "HOST:PORT:ADDR:PORT" for this URL's host and port
	 * moves the connection (and only the connection) elsewhere.
	 */
	snprintf(to, sizeof(to), "%s:%s", host, dport);
	for (i = 0; cto != NULL && i < UA_HTTP_CONNECT_TO_MAX &&
	    cto[i] != NULL; i++) {
		size_t hl = strlen(host), pl = strlen(dport);

		if (strncasecmp(cto[i], host, hl) == 0 && cto[i][hl] == ':' &&
		    strncmp(cto[i] + hl + 1, dport, pl) == 0 &&
		    cto[i][hl + 1 + pl] == ':' &&
		    strlen(cto[i] + hl + pl + 2) < sizeof(to)) {
			snprintf(to, sizeof(to), "%s", cto[i] + hl + pl + 2);
			if (snprintf(connect_to, ctlen, "%s:%s:%s", host,
			    dport, to) >= (int)ctlen) {
				http_err(r, "--connect-to too long");
				goto done;
			}
			break;
		}
	}
	if (sni != NULL && sni[0] != '\0') {
		n = strlen(sni);
		if (n > 1 && sni[n - 1] == '.')
			n--;
		if (!sni_valid(sni, n) || n >= sizeof(name)) {
			http_err(r, "bad SNI name");
			goto done;
		}
		memcpy(name, sni, n);
		name[n] = '\0';
		if (strcasecmp(name, host) != 0) {
			if ((size_t)snprintf(connect_to, ctlen, "%s:%s:%s",
			    name, dport, to) >= ctlen ||
			    (size_t)snprintf(host_hdr, hhlen, "Host: %s%s%s",
			    host, port ? ":" : "", port ? port : "") >= hhlen ||
			    curl_url_set(u, CURLUPART_HOST, name, 0) !=
			    CURLUE_OK) {
				http_err(r, "URL host or SNI name too long");
				goto done;
			}
		}
	}
	if (curl_url_get(u, CURLUPART_URL, urlp, 0) != CURLUE_OK) {
		http_err(r, "malformed URL");
		goto done;
	}
	ret = 0;
done:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(dport);
	curl_free(user);
	curl_url_cleanup(u);
	return ret;
}

/* RFC 6011 §2.4.2 tells a retry (TCP) from a dead URL (TLS) apart. */
static enum ua_http_rc
http_classify(CURLcode cc, const char *msg)
{
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return UA_HTTP_CONNECT;
	case CURLE_RECV_ERROR:
		/* A TLS alert (a refused client certificate, TLS 1.3). */
		if (strstr(msg, "alert") != NULL)
			return UA_HTTP_TLS;
		return UA_HTTP_CONNECT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_USE_SSL_FAILED:
		return UA_HTTP_TLS;
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		return UA_HTTP_PIN;
	default:
		return UA_HTTP_ERROR;
	}
}

#define SET(opt, val) do {						\
	if (curl_easy_setopt(h, opt, val) != CURLE_OK) {		\
		http_err(r, "libcurl refuses " #opt);			\
		goto done;						\
	}								\
} while (0)

/*
 * TLS 1.2 or later and the trust of o: verify peer and name against the
 * CA file, or (trust on first use) no verification and, once a pin is
 * known, the pinned key.  0 or -1 (err set).
 */
static int
set_trust(CURL *h, enum trust trust, const char *cafile,
    const char *expected, struct ua_http_resp *r)
{
	/* TLS 1.2 or later (RFC 6011 §2.4.1 names TLS; SSL is out, §4). */
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	SET(CURLOPT_CERTINFO, 1L);	/* the server key, for the pin */
	if (trust == TRUST_CA) {
		/* Only these CAs: no system store behind them. */
		SET(CURLOPT_CAINFO, cafile);
		SET(CURLOPT_CAPATH, (char *)NULL);
		SET(CURLOPT_SSL_VERIFYPEER, 1L);
		SET(CURLOPT_SSL_VERIFYHOST, 2L);
	} else {
		/*
		 * RFC 6011 §2.4.1: a certificate we cannot validate is
		 * remembered (its key) and must not change.  A pin
		 * mismatch aborts right after the handshake: nothing is
		 * sent on that connection.
		 */
		SET(CURLOPT_SSL_VERIFYPEER, 0L);
		SET(CURLOPT_SSL_VERIFYHOST, 0L);
		if (trust == TRUST_PINNED)
			SET(CURLOPT_PINNEDPUBLICKEY, expected);
	}
	return 0;
done:
	return -1;
}

enum ua_http_rc
ua_http_get(const char *url, const struct ua_http_opts *o,
    struct ua_http_resp *r)
{
	struct xfer		*x = NULL;
	CURL			*h = NULL;
	struct curl_slist	*hl = NULL, *ct = NULL, *t;
	char			*curl_url = NULL;
	char			 errbuf[CURL_ERROR_SIZE];
	char			 expected[PINFILE_MAX];
	char			 connect_to[3 * HOST_MAX];
	char			 host_hdr[2 * HOST_MAX];
	char			 line[HDRLINE_MAX], date[64];
	enum trust		 trust;
	enum ua_http_rc		 rc = UA_HTTP_ERROR;
	CURLcode		 cc;
	long			 status = 0;
	int			 n;

	memset(r, 0, sizeof(*r));
	r->max_age = -1;
	errbuf[0] = expected[0] = '\0';
	if (url == NULL || o == NULL) {
		http_err(r, "no URL or no options");
		goto done;
	}

	/* RFC 6011 §2.4.1: validate against CAs, or else trust on first use. */
	if (o->cafile != NULL && o->cafile[0] != '\0')
		trust = TRUST_CA;
	else if (o->pinfile != NULL && o->pinfile[0] != '\0') {
		if (pin_read(o->pinfile, expected, sizeof(expected), r) == -1)
			goto done;
		trust = expected[0] == '\0' ? TRUST_FIRST : TRUST_PINNED;
	} else {
		http_err(r, "no trust anchor: give a CA file or a pin file");
		goto done;
	}

	if (http_target(url, o->sni, o->connect_to, &curl_url, connect_to, sizeof(connect_to),
	    host_hdr, sizeof(host_hdr), r) == -1)
		goto done;
	if (host_hdr[0] != '\0' && (hl = curl_slist_append(hl, host_hdr)) ==
	    NULL)
		goto nomem;
	if (connect_to[0] != '\0' && (ct = curl_slist_append(ct, connect_to)) ==
	    NULL)
		goto nomem;
	/* RFC 6011 §2.6.1, RFC 9110 §13.1.2, §13.1.3: conditional GET. */
	if (o->if_none_match != NULL && o->if_none_match[0] != '\0') {
		n = snprintf(line, sizeof(line), "If-None-Match: %s",
		    o->if_none_match);
		if (!hdr_safe(o->if_none_match) || n < 0 ||
		    (size_t)n >= sizeof(line)) {
			http_err(r, "bad If-None-Match value");
			goto done;
		}
		if ((t = curl_slist_append(hl, line)) == NULL)
			goto nomem;
		hl = t;
	}
	if (o->if_modified_since > 0) {
		if (http_date(o->if_modified_since, date, sizeof(date)) == -1) {
			http_err(r, "bad If-Modified-Since time");
			goto done;
		}
		snprintf(line, sizeof(line), "If-Modified-Since: %s", date);
		if ((t = curl_slist_append(hl, line)) == NULL)
			goto nomem;
		hl = t;
	}

	if ((x = calloc(1, sizeof(*x))) == NULL || (h = curl_easy_init()) ==
	    NULL)
		goto nomem;
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);	/* threads: no SIGALRM timeouts */
	SET(CURLOPT_URL, curl_url);
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
	/* RFC 6011 §2.4: the CS may redirect; credentials stay on its host. */
	SET(CURLOPT_FOLLOWLOCATION, 1L);
	SET(CURLOPT_MAXREDIRS, (long)REDIRS_MAX);
	SET(CURLOPT_DISALLOW_USERNAME_IN_URL, 1L);
	SET(CURLOPT_PROXY, "");	/* none, not even from the environment */
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SET(CURLOPT_USERAGENT, "sipcfg-ua");
	SET(CURLOPT_TIMEOUT_MS, (long)(o->timeout_ms ? o->timeout_ms :
	    TIMEOUT_MS));
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)BODY_MAX);
	SET(CURLOPT_WRITEFUNCTION, xfer_write);
	SET(CURLOPT_WRITEDATA, x);
	SET(CURLOPT_HEADERFUNCTION, xfer_header);
	SET(CURLOPT_HEADERDATA, x);
	if (hl != NULL)
		SET(CURLOPT_HTTPHEADER, hl);
	if (ct != NULL)
		SET(CURLOPT_CONNECT_TO, ct);

	if (set_trust(h, trust, o->cafile, expected, r) == -1)
		goto done;
	/* RFC 6011 §2.4.1: a UA that has a client certificate MUST send it. */
	if (o->cert != NULL && o->cert[0] != '\0') {
		SET(CURLOPT_SSLCERT, o->cert);
		if (o->key != NULL && o->key[0] != '\0')
			SET(CURLOPT_SSLKEY, o->key);
	}
	/*
	 * RFC 6011 §2.4.1: Basic and Digest (RFC 7616: SHA-256 or MD5), the
	 * username being sfua-user.  With both allowed curl first asks
	 * without credentials and answers the strongest challenge.
	 */
	if (o->user != NULL) {
		SET(CURLOPT_USERNAME, o->user);
		SET(CURLOPT_PASSWORD, o->password ? o->password : "");
		SET(CURLOPT_HTTPAUTH, (long)(CURLAUTH_BASIC | CURLAUTH_DIGEST));
	}

	cc = curl_easy_perform(h);
	(void)pin_of_peer(h, r->pin, sizeof(r->pin));

	if (cc != CURLE_OK) {
		rc = http_classify(cc, errbuf);
		if (x->body_over || cc == CURLE_FILESIZE_EXCEEDED) {
			rc = UA_HTTP_ERROR;
			http_err(r, "response body exceeds %lu bytes",
			    (unsigned long)BODY_MAX);
		} else if (x->hdrs_over) {
			rc = UA_HTTP_ERROR;
			http_err(r, "response headers exceed %d bytes",
			    HDRS_MAX);
		} else if (rc == UA_HTTP_PIN)
			http_err(r, "server key does not match the pin: "
			    "expected %s, presented %s (pin file %s)",
			    expected, r->pin[0] ? r->pin : "unknown",
			    o->pinfile);
		else
			http_err(r, "%s: %s", rc == UA_HTTP_CONNECT ?
			    "connect" : rc == UA_HTTP_TLS ? "TLS" : "fetch",
			    errbuf[0] ? errbuf : curl_easy_strerror(cc));
		goto done;
	}
	/* First use: the key we just met is the one from now on. */
	if (trust == TRUST_FIRST) {
		if (r->pin[0] == '\0') {
			http_err(r, "cannot read the server's public key");
			goto done;
		}
		if (pin_write(o->pinfile, r->pin, r) == -1)
			goto done;
	}

	(void)curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	r->status = (int)status;
	r->body = x->body;
	r->len = x->len;
	x->body = NULL;
	/* RFC 6011 §2.4: the UA keeps max-age, ETag and Last-Modified. */
	copy_value(xfer_hdr(x, "ETag", 0), r->etag, sizeof(r->etag));
	copy_value(xfer_hdr(x, "Last-Modified", 0), r->last_modified,
	    sizeof(r->last_modified));
	if (r->last_modified[0] != '\0' &&
	    (r->last_modified_t = curl_getdate(r->last_modified, NULL)) == -1)
		r->last_modified_t = 0;
	r->max_age = parse_max_age(x);
	r->retry_after = parse_retry_after(x);
	copy_value(xfer_hdr(x, "Content-Type", 0), r->content_type,
	    sizeof(r->content_type));
	parse_links(x, r);
	r->peer_pem = pem_of_peer(h);
	rc = UA_HTTP_OK;
	goto done;
nomem:
	http_err(r, "out of memory");
done:
	if (h != NULL)
		curl_easy_cleanup(h);
	curl_slist_free_all(hl);
	curl_slist_free_all(ct);
	curl_free(curl_url);
	if (x != NULL) {
		xfer_body_wipe(x);
		free(x);
	}
	if (rc != UA_HTTP_OK) {
		if (r->body != NULL) {
			explicit_bzero(r->body, r->len);
			free(r->body);
		}
		r->body = NULL;
		r->len = 0;
		free(r->peer_pem);
		r->peer_pem = NULL;
		http_err_clean(r, o != NULL ? o->password : NULL);
	} else
		r->err[0] = '\0';
	return rc;
}

/*
 * RFC 5922 §7.2: a TLS handshake with a notifier, judged like the HTTPS
 * server (RFC 6011 §2.4.1): the CA file for host, or the pinned key.
 * Nothing is sent on the connection.  host is a name, an IPv4 address or
 * a bracketed IPv6 one.
 */
enum ua_http_rc
ua_http_tls_check(const char *host, unsigned port,
    const struct ua_http_opts *o, struct ua_http_resp *r)
{
	CURL		*h = NULL;
	char		 url[HOST_MAX + 32], errbuf[CURL_ERROR_SIZE];
	char		 expected[PINFILE_MAX];
	enum trust	 trust;
	enum ua_http_rc	 rc = UA_HTTP_ERROR;
	CURLcode	 cc;

	memset(r, 0, sizeof(*r));
	r->max_age = -1;
	errbuf[0] = expected[0] = '\0';
	if (host == NULL || host[0] == '\0' || strlen(host) >= HOST_MAX ||
	    strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-:[]") != strlen(host) || port == 0 || port > 65535) {
		http_err(r, "bad host or port");
		return rc;
	}
	if (o->cafile != NULL && o->cafile[0] != '\0')
		trust = TRUST_CA;
	else if (o->pinfile != NULL && o->pinfile[0] != '\0') {
		if (pin_read(o->pinfile, expected, sizeof(expected), r) == -1)
			return rc;
		if (expected[0] == '\0') {
			http_err(r, "no pin yet in %s", o->pinfile);
			return rc;
		}
		trust = TRUST_PINNED;
	} else {
		http_err(r, "no trust anchor: give a CA file or a pin file");
		return rc;
	}
	snprintf(url, sizeof(url), "https://%s:%u/", host, port);
	if ((h = curl_easy_init()) == NULL) {
		http_err(r, "out of memory");
		return rc;
	}
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_PROXY, "");
	SET(CURLOPT_CONNECT_ONLY, 1L);
	SET(CURLOPT_TIMEOUT_MS, (long)(o->timeout_ms ? o->timeout_ms :
	    TIMEOUT_MS));
	if (set_trust(h, trust, o->cafile, expected, r) == -1)
		goto done;
	cc = curl_easy_perform(h);
	(void)pin_of_peer(h, r->pin, sizeof(r->pin));
	if (cc == CURLE_OK) {
		rc = UA_HTTP_OK;
		goto done;
	}
	rc = http_classify(cc, errbuf);
	if (rc == UA_HTTP_PIN)
		http_err(r, "key does not match the pin: expected %s, "
		    "presented %s (pin file %s)", expected, r->pin[0] ?
		    r->pin : "unknown", o->pinfile);
	else
		http_err(r, "%s: %s", rc == UA_HTTP_CONNECT ? "connect" :
		    rc == UA_HTTP_TLS ? "TLS" : "check", errbuf[0] ? errbuf :
		    curl_easy_strerror(cc));
done:
	curl_easy_cleanup(h);
	return rc;
}

void
ua_http_global_init(void)
{
	(void)curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* The body may hold line credentials: wiped before it is freed. */
void
ua_http_clear(struct ua_http_resp *r)
{
	if (r == NULL)
		return;
	if (r->body != NULL) {
		explicit_bzero(r->body, r->len);
		free(r->body);
	}
	free(r->peer_pem);
	memset(r, 0, sizeof(*r));
	r->max_age = -1;
}
