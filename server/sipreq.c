/*
 * sipreq: Event and Accept header values (see sipreq.h).  Pure string
 * functions: no allocation, bounded loops, every byte looked at once.
 */
#include <string.h>
#include <strings.h>

#include "sipreq.h"

/* RFC 3261 §25.1 token characters. */
static int
tokenchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("-.!%*_+`'~", c));
}

static const char *
skipws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* A token at p; its length (0 if none). */
static size_t
token(const char *p)
{
	size_t	 n = 0;

	while (tokenchar((unsigned char)p[n]))
		n++;
	return n;
}

/*
 * One generic-param: token [ EQUAL ( token / quoted-string / host ) ].
 * On success the name (name, nlen) and value (val, vlen; vlen 0 when
 * there is none) are set
 * and the position after it is returned; NULL when malformed.
 */
static const char *
param(const char *p, const char **name, size_t *nlen, const char **val,
    size_t *vlen)
{
	size_t	 n;

	p = skipws(p);
	if ((n = token(p)) == 0)
		return NULL;
	*name = p;
	*nlen = n;
	*val = NULL;
	*vlen = 0;
	p = skipws(p + n);
	if (*p != '=')
		return p;
	p = skipws(p + 1);
	if (*p == '"') {
		*val = ++p;
		while (*p && *p != '"') {
			if (*p == '\\' && p[1])
				p++;
			p++;
		}
		if (*p != '"')
			return NULL;
		*vlen = (size_t)(p - *val);
		return skipws(p + 1);
	}
	*val = p;
	/* token, or host (IPv6 reference included). */
	while (tokenchar((unsigned char)*p) || *p == ':' || *p == '[' ||
	    *p == ']')
		p++;
	if ((*vlen = (size_t)(p - *val)) == 0)
		return NULL;
	return skipws(p);
}

/*
 * RFC 5989 §4.2: body-event-param = "body" EQUAL ("true" / "false"), at
 * most once; other parameters are not ours.  0, or -1 when malformed.
 */
static int
body_param(const char *name, size_t nlen, const char *val, size_t vlen,
    int *seen, int *body)
{
	if (nlen != 4 || strncasecmp(name, "body", 4) != 0)
		return 0;
	if ((*seen)++)
		return -1;
	if (vlen == 4 && strncasecmp(val, "true", 4) == 0)
		*body = 1;
	else if (!(vlen == 5 && strncasecmp(val, "false", 5) == 0))
		return -1;
	return 0;
}

int
sipreq_event(const char *v, int *body)
{
	const char	*p, *name, *val;
	size_t		 n, nlen, vlen;
	int		 ours, seen_body = 0;

	*body = 0;
	if (v == NULL || strnlen(v, SIPREQ_VALUE_MAX + 1) > SIPREQ_VALUE_MAX)
		return -1;
	p = skipws(v);
	if ((n = token(p)) == 0)
		return -1;
	/* Event packages compare case-sensitively (RFC 6665 §8.2.1). */
	ours = n == 12 && strncmp(p, "http-monitor", 12) == 0;
	p = skipws(p + n);
	while (*p == ';') {
		if ((p = param(p + 1, &name, &nlen, &val, &vlen)) == NULL)
			return -1;
		if (ours && body_param(name, nlen, val, vlen, &seen_body,
		    body) != 0)
			return -1;
	}
	if (*p != '\0')
		return -1;
	return ours;
}

/* A parameter as a parser handed it over: "name" or "name=value". */
static int
param_whole(const char *p, const char **name, size_t *nlen,
    const char **val, size_t *vlen)
{
	if (p == NULL || (p = param(p, name, nlen, val, vlen)) == NULL)
		return -1;
	return *p == '\0' ? 0 : -1;
}

int
sipreq_event_parts(const char *type, const char *const *params, int *body)
{
	const char	*name, *val;
	size_t		 n, nlen, vlen, total;
	int		 ours, seen_body = 0;

	*body = 0;
	if (type == NULL || (n = strnlen(type, SIPREQ_VALUE_MAX + 1)) == 0 ||
	    n > SIPREQ_VALUE_MAX || token(type) != n)
		return -1;
	total = n;
	/* Event packages compare case-sensitively (RFC 6665 §8.2.1). */
	ours = n == 12 && strncmp(type, "http-monitor", 12) == 0;
	for (; params && *params; params++) {
		if ((total += strnlen(*params, SIPREQ_VALUE_MAX + 1) + 1) >
		    SIPREQ_VALUE_MAX ||
		    param_whole(*params, &name, &nlen, &val, &vlen) != 0)
			return -1;
		if (ours && body_param(name, nlen, val, vlen, &seen_body,
		    body) != 0)
			return -1;
	}
	return ours;
}

/* q-value (RFC 3261 §20.1): "0" [ "." 0*3DIGIT ] / "1" [ "." 0*3("0") ]. */
static int
qzero(const char *v, size_t n)
{
	size_t	 i;

	if (n == 0 || (v[0] != '0' && v[0] != '1'))
		return -1;
	if (n > 1 && (v[1] != '.' || n > 5))
		return -1;
	for (i = 2; i < n; i++)
		if (v[i] < '0' || v[i] > '9' || (v[0] == '1' && v[i] != '0'))
			return -1;
	if (v[0] == '1')
		return 0;
	for (i = 2; i < n; i++)
		if (v[i] != '0')
			return 0;
	return 1;
}

int
sipreq_accept(const char *v)
{
	const char	*p, *type, *sub, *name, *val;
	size_t		 tl, sl, nlen, vlen;
	int		 ok = 0, q0, z;

	if (v == NULL || strnlen(v, SIPREQ_VALUE_MAX + 1) > SIPREQ_VALUE_MAX)
		return -1;
	p = skipws(v);
	if (*p == '\0')
		return 0;
	for (;;) {
		p = skipws(p);
		type = p;
		if ((tl = token(p)) == 0)
			return -1;
		p += tl;
		if (*p != '/')
			return -1;
		sub = ++p;
		if ((sl = token(p)) == 0)
			return -1;
		p = skipws(p + sl);
		q0 = 0;
		while (*p == ';') {
			if ((p = param(p + 1, &name, &nlen, &val, &vlen)) ==
			    NULL)
				return -1;
			if (nlen == 1 && (*name == 'q' || *name == 'Q')) {
				if ((z = qzero(val ? val : "", vlen)) < 0)
					return -1;
				q0 = z;
			}
		}
		if (!q0 && ((tl == 1 && *type == '*' && sl == 1 &&
		    *sub == '*') || (tl == 7 &&
		    strncasecmp(type, "message", 7) == 0 && ((sl == 1 &&
		    *sub == '*') || (sl == 4 && strncasecmp(sub, "http",
		    4) == 0)))))
			ok = 1;
		if (*p == '\0')
			return ok;
		if (*p != ',')
			return -1;
		p++;
	}
}

int
sipreq_accept_range(const char *type, const char *const *params)
{
	const char	*sub, *name, *val;
	size_t		 tl, sl, nlen, vlen, total;
	int		 q0 = 0, z;

	if (type == NULL || (total = strnlen(type, SIPREQ_VALUE_MAX + 1)) >
	    SIPREQ_VALUE_MAX)
		return -1;
	if ((tl = token(type)) == 0 || type[tl] != '/')
		return -1;
	sub = type + tl + 1;
	if ((sl = token(sub)) == 0 || sub[sl] != '\0')
		return -1;
	for (; params && *params; params++) {
		if ((total += strnlen(*params, SIPREQ_VALUE_MAX + 1) + 1) >
		    SIPREQ_VALUE_MAX ||
		    param_whole(*params, &name, &nlen, &val, &vlen) != 0)
			return -1;
		if (nlen == 1 && (*name == 'q' || *name == 'Q')) {
			if ((z = qzero(val ? val : "", vlen)) < 0)
				return -1;
			q0 = z;
		}
	}
	return !q0 && ((tl == 1 && *type == '*' && sl == 1 && *sub == '*') ||
	    (tl == 7 && strncasecmp(type, "message", 7) == 0 && ((sl == 1 &&
	    *sub == '*') || (sl == 4 && strncasecmp(sub, "http", 4) == 0))));
}
