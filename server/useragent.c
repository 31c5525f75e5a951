/*
 * useragent: vendor, model, firmware and MAC from the User-Agent of a
 * phone's configuration request (see useragent.h).  Pure string
 * functions, called from the HTTP workers: no allocation, no state.
 *
 * One small hand-written matcher per vendor rather than a regular
 * expression engine: each knows the exact shape its phones send, every
 * field is a maximal run of RFC 3261 token characters measured before it
 * is copied, and anything that does not fit the shape (or a field that
 * does not fit its buffer) is refused as a whole, so that a hostile
 * User-Agent gives "" and never a truncated or half-parsed field.
 */
#include <string.h>
#include <strings.h>

#include "useragent.h"

/* Longer User-Agents are not phones; it also bounds all the work here. */
#define UA_LEN_MAX	1024

/* RFC 3261 §25.1 token characters. */
static int
tokenchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("-.!%*_+`'~", c));
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
space(int c)
{
	return c == ' ' || c == '\t';
}

static const char *
skipws(const char *p)
{
	while (space((unsigned char)*p))
		p++;
	return p;
}

/* The position after a case-insensitive prefix s of p, or NULL. */
static const char *
prefix(const char *p, const char *s)
{
	size_t	 n = strlen(s);

	return strncasecmp(p, s, n) == 0 ? p + n : NULL;
}

/*
 * The position after the case-insensitive word s at p and the blanks
 * that must follow it, or NULL.
 */
static const char *
keyword(const char *p, const char *s)
{
	if ((p = prefix(p, s)) == NULL || !space((unsigned char)*p))
		return NULL;
	return skipws(p);
}

/* The length of the run of token characters at p (0 if none). */
static size_t
token(const char *p)
{
	size_t	 n = 0;

	while (tokenchar((unsigned char)p[n]))
		n++;
	return n;
}

/* A token that ends at a space or at the end of the string; 0 if none. */
static size_t
word(const char *p)
{
	size_t	 n = token(p);

	return p[n] == '\0' || space((unsigned char)p[n]) ? n : 0;
}

/* A firmware version starts with a digit and has at least one dot. */
static int
version(const char *p, size_t n)
{
	return n > 0 && p[0] >= '0' && p[0] <= '9' && memchr(p, '.', n);
}

/* Copy [p, p+n) into a field; -1 if empty or too long for it. */
static int
field(char dst[UA_FIELD_MAX], const char *p, size_t n)
{
	if (n == 0 || n >= UA_FIELD_MAX)
		return -1;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return 0;
}

/*
 * A MAC at p: 12 hex digits, or six pairs split by ':' (or all by '-').
 * Writes it in lower case and returns its length; 0 (mac untouched)
 * if there is none.
 */
static size_t
macaddr(const char *p, char mac[13])
{
	char	 out[13];
	size_t	 i, o = 0;
	int	 sep = 0;

	if (hexval((unsigned char)p[0]) >= 0 &&
	    hexval((unsigned char)p[1]) >= 0 && (p[2] == ':' || p[2] == '-'))
		sep = p[2];
	for (i = 0; o < 12; i++) {
		if (sep && o > 0 && o % 2 == 0) {
			if (p[i] != sep)
				return 0;
			i++;
		}
		if (hexval((unsigned char)p[i]) < 0)
			return 0;
		out[o++] = (char)(p[i] >= 'A' && p[i] <= 'F' ?
		    p[i] - 'A' + 'a' : p[i]);
	}
	/* 0015 65aa bbcc dd is not a MAC with a digit left over. */
	if (hexval((unsigned char)p[i]) >= 0 || p[i] == ':' || p[i] == '-')
		return 0;
	out[12] = '\0';
	memcpy(mac, out, sizeof(out));
	return i;
}

/* A MAC that is a whole word (ends at a space or the end), or 0. */
static size_t
macword(const char *p, char mac[13])
{
	char	 m[13];
	size_t	 n;

	if ((n = macaddr(p, m)) == 0 ||
	    !(p[n] == '\0' || space((unsigned char)p[n])))
		return 0;
	memcpy(mac, m, sizeof(m));
	return n;
}

/*
 * Yealink:
 *   Yealink SIP-T46S 66.86.0.15 00:15:65:aa:bb:cc
 *   Yealink SIP VP-T49G 51.80.0.10 00:15:65:9b:5a:44
 *   yealink W60B 77.83.0.85 80:5e:c0:09:ab:dc
 *   Yealink-T46G 28.71.0.81 28.1.0.128.0.0.0
 * The "SIP-" or "SIP " before the model is dropped; the MAC is
 * optional, with or without colons.
 */
static int
ua_yealink(const char *p, struct ua_info *ui)
{
	const char	*q;
	size_t		 n;

	if ((p = prefix(p, "yealink")) == NULL)
		return -1;
	if (*p == '-')
		p++;
	else if (space((unsigned char)*p)) {
		p = skipws(p);
		if ((q = prefix(p, "SIP-")) != NULL ||
		    (q = keyword(p, "SIP")) != NULL)
			p = q;
	} else
		return -1;
	n = word(p);
	if (field(ui->model, p, n) == -1)
		return -1;
	p = skipws(p + n);
	n = word(p);
	if (!version(p, n) || field(ui->firmware, p, n) == -1)
		return -1;
	(void)macword(skipws(p + n), ui->mac);
	return 0;
}

/*
 * Polycom and Poly:
 *   FileTransport PolycomVVX-VVX_410-UA/5.9.0.9373 (SN:0004f2aabbcc)
 *	Type/Application
 *   FileTransport PolycomSoundPointIP-SPIP_650-UA/4.0.15.1009
 *   FileTransport PolyEdge-Edge_E450-UA/8.0.0.15602 Type/Application
 *   Poly/VVX_450 6.4.3.5018
 * The model is what follows the product family; the serial number of
 * a Polycom phone is its MAC.
 */
static int
ua_polycom(const char *p, struct ua_info *ui)
{
	const char	*q, *dash;
	size_t		 n;

	if ((q = keyword(p, "FileTransport")) != NULL)
		p = q;
	if ((q = prefix(p, "Poly/")) != NULL) {
		n = token(q);
		if (!(q[n] == '/' || space((unsigned char)q[n])) ||
		    field(ui->model, q, n) == -1)
			return -1;
		p = skipws(q + n + 1);
		n = word(p);
		if (!version(p, n) || field(ui->firmware, p, n) == -1)
			return -1;
		return 0;
	}
	if ((q = prefix(p, "Polycom")) == NULL &&
	    (q = prefix(p, "Poly")) == NULL)
		return -1;
	/* Family-Model-UA/version */
	n = token(q);
	if (q[n] != '/' || n < 4 || strncasecmp(q + n - 3, "-UA", 3) != 0)
		return -1;
	if ((dash = memchr(q, '-', n - 3)) == NULL || dash == q ||
	    field(ui->model, dash + 1, (size_t)(q + n - 3 - (dash + 1))) == -1)
		return -1;
	p = q + n + 1;
	n = word(p);
	if (!version(p, n) || field(ui->firmware, p, n) == -1)
		return -1;
	p = skipws(p + n);
	if ((q = prefix(p, "(SN:")) != NULL && (n = macaddr(q, ui->mac)) > 0 &&
	    q[n] != ')')
		ui->mac[0] = '\0';
	return 0;
}

/*
 * Snom, inside the Mozilla "compatible" comment or on its own:
 *   Mozilla/4.0 (compatible; snom320-SIP 8.7.3.25 1.1.3-u)
 *   Mozilla/4.0 (compatible; snomD785-SIP 10.1.169.16 2010.12-00001-gd311851f1
 *	(Feb 25 2019 - 14:19:43) 00041396D9B4 SXM:0 UXM:0 UXMC:0)
 *   Mozilla/4.0 (compatible; snom320-SIP 6.5.20; snom320 jffs2 v3.36)
 *   Mozilla/4.0 (compatible; Snom M900 05.20.0001 000413b60680)
 *   snom760-SIP 8.7.5.35
 * The MAC, when there is one, is the first word of 12 hex digits after
 * the version.
 */
static int
ua_snom(const char *p, struct ua_info *ui)
{
	const char	*q;
	size_t		 n, skip;

	if ((q = prefix(p, "Mozilla/")) != NULL) {
		if (!space((unsigned char)q[token(q)]) ||
		    (q = prefix(skipws(q + token(q)), "(compatible;")) == NULL)
			return -1;
		p = skipws(q);
	}
	if ((p = prefix(p, "snom")) == NULL)
		return -1;
	if (space((unsigned char)*p)) {
		/* The DECT form: "Snom M900 05.20.0001". */
		p = skipws(p);
		n = word(p);
		skip = n;
	} else {
		n = token(p);
		if (n <= 4 || strncasecmp(p + n - 4, "-SIP", 4) != 0 ||
		    !(p[n] == '\0' || space((unsigned char)p[n])))
			return -1;
		skip = n;
		n -= 4;
	}
	if (field(ui->model, p, n) == -1)
		return -1;
	p = skipws(p + skip);
	n = token(p);
	if (!version(p, n) || !(p[n] == '\0' || space((unsigned char)p[n]) ||
	    p[n] == ';' || p[n] == ')') || field(ui->firmware, p, n) == -1)
		return -1;
	for (p += n; *p != '\0'; p++) {
		if (!space((unsigned char)p[0]) || space((unsigned char)p[1]))
			continue;
		q = p + 1;
		n = 0;
		while (n < 13 && hexval((unsigned char)q[n]) >= 0)
			n++;
		if (n == 12 && (q[n] == '\0' || q[n] == ')' ||
		    space((unsigned char)q[n]))) {
			(void)macaddr(q, ui->mac);
			break;
		}
	}
	return 0;
}

/*
 * Grandstream:
 *   Grandstream Model HW GXP2170 SW 1.0.9.135 DevId 000b82aabbcc
 *   Grandstream Model HW HT801 V1.1A SW 1.0.17.5 DevId c074ad273a10
 *   Grandstream Model HW GRP2601W SW 1.0.7.32 DevId EC:74:D7:89:1A:76
 *   Grandstream GXP1625 1.0.4.128 000b82aabbcc
 * The hardware revision ("V1.1A") is not kept.
 */
static int
ua_grandstream(const char *p, struct ua_info *ui)
{
	const char	*q;
	size_t		 n;
	int		 long_form = 0;

	if ((p = keyword(p, "Grandstream")) == NULL)
		return -1;
	if ((q = keyword(p, "Model")) != NULL) {
		if ((p = keyword(q, "HW")) == NULL)
			return -1;
		long_form = 1;
	}
	n = word(p);
	if (field(ui->model, p, n) == -1)
		return -1;
	p = skipws(p + n);
	if (long_form) {
		/* At most one hardware revision ("V1.1A") before SW. */
		if ((q = keyword(p, "SW")) == NULL && ((n = word(p)) == 0 ||
		    (q = keyword(skipws(p + n), "SW")) == NULL))
			return -1;
		p = q;
	}
	n = word(p);
	if (!version(p, n) || field(ui->firmware, p, n) == -1)
		return -1;
	p = skipws(p + n);
	if (long_form && (p = keyword(p, "DevId")) == NULL)
		return 0;
	(void)macword(p, ui->mac);
	return 0;
}

/*
 * Panasonic:
 *   Panasonic_KX-UTG300/01.133 (0080f0aabbcc)
 *   Panasonic_KX-TGP600/06.001 (0080F0AABBCC)
 */
static int
ua_panasonic(const char *p, struct ua_info *ui)
{
	size_t	 n;

	if ((p = prefix(p, "Panasonic_")) == NULL)
		return -1;
	n = token(p);
	if (p[n] != '/' || field(ui->model, p, n) == -1)
		return -1;
	p += n + 1;
	n = word(p);
	if (!version(p, n) || field(ui->firmware, p, n) == -1)
		return -1;
	p = skipws(p + n);
	if (*p == '(' && (n = macaddr(p + 1, ui->mac)) > 0 && p[1 + n] != ')')
		ui->mac[0] = '\0';
	return 0;
}

/*
 * Cisco and Linksys SPA (and the PAP2T):
 *   Cisco/SPA504G-7.5.5 (0018b9aabbcc)(CCQ162306EA)
 *   Cisco/SPA525G-7.4.7 (CBT141900G7)
 *   Linksys/SPA942-6.1.5(a) (4MM00F903042)
 *   Linksys/SPA-962-6.1.5(a) (88019FA42805)
 * The version follows the last '-'.  Of the parenthesised groups, the
 * last is the serial number and the first, when there are two, the MAC:
 * a lone group is never taken for a MAC even if it looks like one.  The
 * build suffix of Linksys versions ("(a)", "(SR5)") is not a token and
 * is not kept.  "SPA-962" is the model SPA962.
 */
static int
ua_cisco(const char *p, struct ua_info *ui)
{
	const char	*q, *dash;
	char		 mac[13];
	size_t		 n, m;

	if ((q = prefix(p, "Cisco/")) == NULL &&
	    (q = prefix(p, "Linksys/")) == NULL)
		return -1;
	p = q;
	n = token(p);
	/*
	 * The last '-' that a version follows: "SPA-962-6.1.5".  A version
	 * that would not fit a field is not looked for.
	 */
	for (dash = NULL, q = p + n; q > p && p + n - q < UA_FIELD_MAX; q--)
		if (q[-1] == '-' && version(q, (size_t)(p + n - q))) {
			dash = q - 1;
			break;
		}
	if (dash == NULL || dash == p)
		return -1;
	m = (size_t)(dash - p);
	if (m > 4 && strncasecmp(p, "SPA-", 4) == 0) {
		if (m - 1 >= UA_FIELD_MAX)
			return -1;
		memcpy(ui->model, p, 3);
		memcpy(ui->model + 3, p + 4, m - 4);
		ui->model[m - 1] = '\0';
	} else if (field(ui->model, p, m) == -1)
		return -1;
	if (field(ui->firmware, dash + 1, (size_t)(p + n - (dash + 1))) == -1)
		return -1;
	p += n;
	if (*p == '(') {
		/* A build suffix: "(a)", "(SR5)". */
		for (n = 1; n < UA_FIELD_MAX && p[n] != ')'; n++)
			if (!tokenchar((unsigned char)p[n]))
				return -1;
		if (p[n] != ')' || n == 1)
			return -1;
		p += n + 1;
	}
	if (!(*p == '\0' || space((unsigned char)*p)))
		return -1;
	p = skipws(p);
	if (*p == '(' && (n = macaddr(p + 1, mac)) > 0 && p[1 + n] == ')' &&
	    *skipws(p + n + 2) == '(')
		memcpy(ui->mac, mac, sizeof(mac));
	return 0;
}

static const struct {
	const char	*vendor;
	int		(*parse)(const char *, struct ua_info *);
} vendors[] = {
	{ "yealink.com",	ua_yealink },
	{ "polycom.com",	ua_polycom },
	{ "snom.com",		ua_snom },
	{ "grandstream.com",	ua_grandstream },
	{ "panasonic.com",	ua_panasonic },
	{ "cisco.com",		ua_cisco },
};

int
useragent_parse(const char *ua, struct ua_info *ui)
{
	const unsigned char	*c;
	size_t			 i;

	if (ui == NULL)
		return 0;
	memset(ui, 0, sizeof(*ui));
	if (ua == NULL || strnlen(ua, UA_LEN_MAX + 1) > UA_LEN_MAX)
		return 0;
	/* RFC 9110 §5.5: no controls in a field value but HTAB. */
	for (c = (const unsigned char *)ua; *c != '\0'; c++)
		if ((*c < 0x20 && *c != '\t') || *c == 0x7f)
			return 0;
	ua = skipws(ua);
	for (i = 0; i < sizeof(vendors) / sizeof(vendors[0]); i++) {
		if (vendors[i].parse(ua, ui) == 0) {
			(void)field(ui->vendor, vendors[i].vendor,
			    strlen(vendors[i].vendor));
			return 1;
		}
		memset(ui, 0, sizeof(*ui));
	}
	return 0;
}
