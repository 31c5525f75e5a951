/*
 * request: RFC 6011 §2.3.2 request parameters (see request.h).
 *
 * The query string is decoded here rather than by libmicrohttpd so that
 * the exact rules (strict percent-decoding, duplicates refused, '+' kept
 * literal as RFC 3986 says) live in one pure, fuzzed function.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "request.h"
#include "util.h"

/* Percent-decode [p, p+n) into out; -1 on bad escapes, NUL or overflow. */
static int
pct_decode(const char *p, size_t n, char *out, size_t outlen)
{
	size_t	 i, o = 0;
	int	 h, l, c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)p[i];
		if (c == '%') {
			if (i + 2 >= n)
				return -1;
			if ((h = util_hexval(p[i + 1])) < 0 || (l = util_hexval(p[i + 2])) < 0)
				return -1;
			c = h << 4 | l;
			i += 2;
		}
		if (c == 0 || o + 1 >= outlen)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

int
request_valid_domain(const char *s)
{
	size_t	 n = strlen(s), lab = 0, i;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (lab == 0 || s[i - 1] == '-')
				return 0;
			lab = 0;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
		if (s[i] == '-' && lab == 0)
			return 0;
		if (++lab > 63)
			return 0;
	}
	return lab > 0 && s[n - 1] != '-';
}

/* RFC 3261 §25.1 token. */
int
request_valid_token(const char *s)
{
	size_t	 n = strlen(s);

	if (n == 0 || n >= REQUEST_FIELD_MAX)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-.!%*_+`'~", *s))
			return 0;
	return 1;
}

/* RFC 2617 userid: TEXT without ':'; we also refuse controls. */
int
request_valid_userid(const char *s)
{
	size_t	 n = strlen(s);

	if (n == 0 || n >= REQUEST_FIELD_MAX)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == ':')
			return 0;
	return 1;
}

static int
is_uuid(const char *u)
{
	int	 i;

	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (u[i] != '-')
				return 0;
		} else if (util_hexval(u[i]) < 0)
			return 0;
	}
	return u[36] == '\0';
}

/* RFC 8141: urn:NID:NSS. */
int
request_urn_normalise(const char *in, char *out, size_t outlen)
{
	size_t	 n = strlen(in), i, nid;
	const char *nss;

	if (n < 7 || n >= outlen || n >= REQUEST_ID_MAX ||
	    strncasecmp(in, "urn:", 4) != 0)
		return -1;
	for (nid = 0; in[4 + nid] && in[4 + nid] != ':'; nid++)
		if (!isalnum((unsigned char)in[4 + nid]) && in[4 + nid] != '-')
			return -1;
	if (nid < 2 || nid > 32 || in[4 + nid] != ':' || in[4 + nid + 1] == 0)
		return -1;
	nss = in + 4 + nid + 1;
	for (i = 0; nss[i]; i++) {
		unsigned char c = (unsigned char)nss[i];
		if (isalnum(c) || strchr("-._~!$&'()*+,;=:@/", c))
			continue;
		if (c == '%' && util_hexval(nss[i + 1]) >= 0 && util_hexval(nss[i + 2]) >= 0) {
			i += 2;
			continue;
		}
		return -1;
	}
	/* The "urn" prefix and the NID are case-insensitive. */
	for (i = 0; i < 4 + nid; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	memcpy(out + i, in + i, n - i + 1);
	if (strncmp(out, "urn:uuid:", 9) == 0) {
		if (!is_uuid(out + 9))
			return -1;
		for (i = 9; out[i]; i++)
			out[i] = (char)tolower((unsigned char)out[i]);
	}
	return 0;
}

int
request_urn_mac(const char *urn, char mac[13])
{
	const char	*u;
	int		 i, o = 0;

	if (strncmp(urn, "urn:uuid:", 9) == 0 && is_uuid(urn + 9)) {
		u = urn + 9;
		/* Version 1 (time-based) with the RFC 4122 variant. */
		if (u[14] != '1' || !strchr("89abAB", u[19]))
			return -1;
		/* RFC 4122 §4.5: a random node has the multicast bit set. */
		if (util_hexval(u[25]) & 1)
			return -1;
		for (i = 24; i < 36; i++)
			mac[o++] = (char)tolower((unsigned char)u[i]);
		mac[12] = '\0';
		return 0;
	}
	if (strncmp(urn, "urn:dev:mac:", 12) == 0)
		return request_mac_normalise(urn + 12, mac);
	return -1;
}

int
request_mac_normalise(const char *in, char mac[13])
{
	int	 o = 0;

	for (; *in; in++) {
		if (*in == ':' || *in == '-' || *in == '.')
			continue;
		if (util_hexval(*in) < 0 || o == 12)
			return -1;
		mac[o++] = (char)tolower((unsigned char)*in);
	}
	mac[o] = '\0';
	return o == 12 ? 0 : -1;
}

void
request_mac_urn(const char mac[13], char *out, size_t outlen)
{
	snprintf(out, outlen, "urn:uuid:00000000-0000-1000-8000-%s", mac);
}

static const struct {
	const char	*name;
	unsigned	 bit;
	size_t		 off;
	size_t		 size;
} params[] = {
	{ "sfua-id", REQ_HAVE_ID, offsetof(struct cfg_request, sfua_id),
	    REQUEST_ID_MAX },
	{ "sfua-user", REQ_HAVE_USER, offsetof(struct cfg_request, user),
	    REQUEST_FIELD_MAX },
	{ "sfua-vendor", REQ_HAVE_VENDOR, offsetof(struct cfg_request, vendor),
	    REQUEST_ID_MAX },
	{ "sfua-model", REQ_HAVE_MODEL, offsetof(struct cfg_request, model),
	    REQUEST_FIELD_MAX },
	{ "sfua-revision", REQ_HAVE_REVISION,
	    offsetof(struct cfg_request, revision), REQUEST_FIELD_MAX },
};

int
request_parse_query(const char *q, size_t len, struct cfg_request *r,
    char *err, size_t errlen)
{
	const char	*p, *end, *amp, *eq;
	char		 name[32], val[REQUEST_ID_MAX], norm[REQUEST_ID_MAX];
	size_t		 i, nlen;

	memset(r, 0, sizeof(*r));
	if (q == NULL)
		len = 0;
	if (len > REQUEST_QUERY_MAX) {
		snprintf(err, errlen, "query string longer than %d bytes",
		    REQUEST_QUERY_MAX);
		return -1;
	}
	for (p = q, end = q + len; len > 0 && p < end; p = amp + 1) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if (amp == p)
			continue;
		eq = memchr(p, '=', (size_t)(amp - p));
		nlen = (size_t)((eq ? eq : amp) - p);
		/* RFC 6011 §2.3.2: parameters we do not know are ignored. */
		if (pct_decode(p, nlen, name, sizeof(name)) != 0)
			continue;
		for (i = 0; i < sizeof(params) / sizeof(params[0]); i++)
			if (strcmp(name, params[i].name) == 0)
				break;
		if (i == sizeof(params) / sizeof(params[0]))
			continue;
		if (r->have & params[i].bit) {
			snprintf(err, errlen, "%s given more than once", name);
			return -1;
		}
		if (eq == NULL || pct_decode(eq + 1, (size_t)(amp - eq - 1),
		    val, params[i].size) != 0) {
			snprintf(err, errlen, "%s: bad or over-long value", name);
			return -1;
		}
		switch (params[i].bit) {
		case REQ_HAVE_ID:
			if (request_urn_normalise(val, norm, sizeof(norm)) != 0) {
				snprintf(err, errlen, "sfua-id: not a URN "
				    "(RFC 5626 instance id expected)");
				return -1;
			}
			memcpy(val, norm, strlen(norm) + 1);
			break;
		case REQ_HAVE_USER:
			if (!request_valid_userid(val)) {
				snprintf(err, errlen, "sfua-user: not an "
				    "RFC 2617 userid");
				return -1;
			}
			break;
		case REQ_HAVE_VENDOR:
			if (!request_valid_domain(val)) {
				snprintf(err, errlen, "sfua-vendor: not a DNS "
				    "domain");
				return -1;
			}
			break;
		default:
			if (!request_valid_token(val)) {
				snprintf(err, errlen, "%s: not a SIP token",
				    name);
				return -1;
			}
		}
		memcpy((char *)r + params[i].off, val, strlen(val) + 1);
		r->have |= params[i].bit;
	}
	/* RFC 6011 §2.3.2.1: sfua-id MUST always be included. */
	if (!(r->have & REQ_HAVE_ID)) {
		snprintf(err, errlen, "sfua-id is required");
		return -1;
	}
	if (request_urn_mac(r->sfua_id, r->mac) != 0)
		r->mac[0] = '\0';
	return 0;
}
