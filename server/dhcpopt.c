/*
 * dhcpopt: Configuration Service Domain options of DHCP (see dhcpopt.h).
 * Any thread; no state.
 *
 * The decoder is the part that faces the network: it is strict rather
 * than forgiving, because a UA that follows a bad pointer ends up asking
 * DNS for a name nobody configured.  Every read is checked against the
 * option's length; pointers must go strictly backwards, and each one
 * before the start of the run of labels it was found in, so decoding
 * ends after at most len jumps and no loop can be built.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dhcpopt.h"

#define LABEL_MAX	63	/* RFC 1035 §2.3.4 */
#define WIRE_MAX	255	/* RFC 1035 §2.3.4: a name, in octets */
#define PTR_MASK	0xc0	/* RFC 1035 §4.1.4 */
#define PTR_OFF_MAX	0x3fff
#define V4_OPT_MAX	255	/* RFC 2132 §2: one option's data */
#define LABELS_MAX	128	/* (255 - 1) / 2 */
#define STARTS_MAX	1024	/* label offsets remembered for compression */

/* RFC 2131 §2: the fixed BOOTP fields, then the options. */
#define V4_SNAME_AT	44
#define V4_SNAME_LEN	64
#define V4_FILE_AT	108
#define V4_FILE_LEN	128
#define V4_COOKIE_AT	236
#define V4_OPTIONS_AT	240
#define V4_OVERLOAD	52	/* RFC 2132 §9.3 */

static void seterr(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* A host-name character: letters, digits, '-', and '_' (SRV-style). */
static int
hostchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

struct label {
	const char	*p;
	size_t		 len;
};

/* Split a presentation name into its labels; their count, or -1. */
static int
split_name(const char *name, struct label *lab, char *err, size_t errlen)
{
	size_t	 n = strlen(name), i, start = 0, wire = 1;
	int	 nl = 0;

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0) {
		seterr(err, errlen, "empty domain name");
		return -1;
	}
	for (i = 0; i <= n; i++) {
		if (i < n && name[i] != '.') {
			if (!hostchar((unsigned char)name[i])) {
				seterr(err, errlen, "a character not allowed "
				    "in a domain name: %.*s", (int)n, name);
				return -1;
			}
			continue;
		}
		if (i == start) {
			seterr(err, errlen, "empty label: %.*s", (int)n, name);
			return -1;
		}
		if (i - start > LABEL_MAX) {
			seterr(err, errlen, "label longer than 63 "
			    "octets: %.*s", (int)n, name);
			return -1;
		}
		wire += i - start + 1;
		lab[nl].p = name + start;
		lab[nl++].len = i - start;
		start = i + 1;
	}
	if (wire > WIRE_MAX) {
		seterr(err, errlen, "longer than 255 octets in wire "
		    "form: %.*s", (int)n, name);
		return -1;
	}
	return nl;
}

/*
 * Does the encoded name at off in out[0..len) (trusted: we wrote it)
 * spell exactly the labels lab[0..nl)?
 */
static int
same_suffix(const unsigned char *out, size_t len, size_t off,
    const struct label *lab, int nl)
{
	int	 i = 0;

	while (off < len) {
		if ((out[off] & PTR_MASK) == PTR_MASK) {
			off = (size_t)((out[off] & ~PTR_MASK) << 8 |
			    out[off + 1]);
			continue;
		}
		if (out[off] == 0)
			return i == nl;
		if (i == nl || out[off] != lab[i].len ||
		    memcmp(out + off + 1, lab[i].p, lab[i].len) != 0)
			return 0;
		off += 1 + lab[i].len;
		i++;
	}
	return 0;
}

int
dhcpopt_encode(const char *const *names, size_t n, int compress,
    unsigned char *out, size_t outmax, size_t *outlen, char *err,
    size_t errlen)
{
	struct label	 lab[LABELS_MAX];
	size_t		 starts[STARTS_MAX], nstarts = 0, len = 0, k, s;
	int		 nl, i, j, at;

	*outlen = 0;
	if (n == 0) {
		seterr(err, errlen, "no domain to encode");
		return -1;
	}
	for (k = 0; k < n; k++) {
		if ((nl = split_name(names[k], lab, err, errlen)) < 0)
			return -1;
		/* RFC 1035 §4.1.4: the longest suffix already written. */
		at = nl;
		s = 0;
		for (i = 0; compress && i < nl && at == nl; i++)
			for (s = 0; s < nstarts; s++)
				if (same_suffix(out, len, starts[s], lab + i,
				    nl - i)) {
					at = i;
					s = starts[s];
					break;
				}
		for (j = 0; j < at; j++) {
			if (outmax - len < lab[j].len + 1)
				goto full;
			if (len <= PTR_OFF_MAX && nstarts < STARTS_MAX)
				starts[nstarts++] = len;
			out[len++] = (unsigned char)lab[j].len;
			memcpy(out + len, lab[j].p, lab[j].len);
			len += lab[j].len;
		}
		if (at < nl) {
			if (outmax - len < 2)
				goto full;
			out[len++] = (unsigned char)(PTR_MASK | s >> 8);
			out[len++] = (unsigned char)(s & 0xff);
		} else {
			if (outmax - len < 1)
				goto full;
			out[len++] = 0;
		}
	}
	*outlen = len;
	return 0;
 full:
	seterr(err, errlen, "the list is longer than %zu octets", outmax);
	return -1;
}

int
dhcpopt_v4_split(unsigned code, const unsigned char *data, size_t len,
    unsigned char *out, size_t outmax, size_t *outlen)
{
	size_t	 o = 0, chunk;

	*outlen = 0;
	if (code == 0 || code >= 255)
		return -1;
	/* RFC 3396 §5: an empty option is still one option. */
	do {
		chunk = len > V4_OPT_MAX ? V4_OPT_MAX : len;
		if (outmax - o < chunk + 2)
			return -1;
		out[o++] = (unsigned char)code;
		out[o++] = (unsigned char)chunk;
		memcpy(out + o, data, chunk);
		o += chunk;
		data += chunk;
		len -= chunk;
	} while (len > 0);
	*outlen = o;
	return 0;
}

/*
 * One name starting at pos; *next is the offset after it (after its
 * first pointer, if any).
 */
static int
decode_name(const unsigned char *d, size_t len, size_t pos, int compress,
    char *name, size_t *next, char *err, size_t errlen)
{
	size_t	 p = pos, seg = pos, t, wire = 1, o = 0;
	int	 jumped = 0;
	unsigned char b;

	for (;;) {
		if (p >= len) {
			seterr(err, errlen, "truncated: the name at offset "
			    "%zu runs past the option's %zu octets", pos, len);
			return -1;
		}
		b = d[p];
		if (b == 0) {
			if (!jumped)
				*next = p + 1;
			break;
		}
		if ((b & PTR_MASK) == PTR_MASK) {
			if (!compress) {
				seterr(err, errlen, "compression pointer at "
				    "offset %zu: not allowed in this option "
				    "(RFC 3315 §8)", p);
				return -1;
			}
			if (p + 1 >= len) {
				seterr(err, errlen, "truncated: the pointer "
				    "at offset %zu lacks its second octet", p);
				return -1;
			}
			t = (size_t)(b & ~PTR_MASK) << 8 | d[p + 1];
			if (!jumped)
				*next = p + 2;
			if (t > p) {
				seterr(err, errlen, "forward pointer at "
				    "offset %zu (to %zu)", p, t);
				return -1;
			}
			/* Strictly before the run it was found in. */
			if (t >= seg) {
				seterr(err, errlen, "pointer loop at offset "
				    "%zu (to %zu)", p, t);
				return -1;
			}
			seg = p = t;
			jumped = 1;
			continue;
		}
		if (b & PTR_MASK) {
			seterr(err, errlen, "label longer than 63 octets (or "
			    "a reserved label type 0x%02x) at offset %zu", b,
			    p);
			return -1;
		}
		if ((size_t)b > len - p - 1) {
			seterr(err, errlen, "truncated: the label at offset "
			    "%zu runs past the option's %zu octets", p, len);
			return -1;
		}
		wire += (size_t)b + 1;
		if (wire > WIRE_MAX) {
			seterr(err, errlen, "the name at offset %zu is longer "
			    "than 255 octets", pos);
			return -1;
		}
		for (t = 1; t <= b; t++)
			if (!hostchar(d[p + t])) {
				seterr(err, errlen, "the label at offset %zu "
				    "has a character not allowed in a domain "
				    "name", p);
				return -1;
			}
		/* wire <= 255 keeps o + b + 1 below DHCPOPT_NAME_MAX. */
		if (o > 0)
			name[o++] = '.';
		memcpy(name + o, d + p + 1, b);
		o += b;
		p += (size_t)b + 1;
	}
	name[o] = '\0';
	if (o == 0) {
		seterr(err, errlen, "the name at offset %zu is the root, not a "
		    "domain", pos);
		return -1;
	}
	return 0;
}

int
dhcpopt_decode(const unsigned char *data, size_t len, int compress,
    struct dhcpopt_list *l, char *err, size_t errlen)
{
	size_t	 pos = 0, next = 0;

	l->n = 0;
	while (pos < len) {
		if (l->n == DHCPOPT_NAMES_MAX) {
			seterr(err, errlen, "more than %d names",
			    DHCPOPT_NAMES_MAX);
			l->n = 0;
			return -1;
		}
		if (decode_name(data, len, pos, compress, l->name[l->n],
		    &next, err, errlen) == -1) {
			l->n = 0;
			return -1;
		}
		l->n++;
		pos = next;
	}
	return 0;
}

int
dhcpopt_domain_name(const unsigned char *data, size_t len, char *out,
    size_t outlen, char *err, size_t errlen)
{
	size_t	 i, lab = 0;

	out[0] = '\0';
	while (len > 0 && data[len - 1] == '\0')
		len--;
	if (len > 0 && data[len - 1] == '.')
		len--;
	if (len == 0) {
		seterr(err, errlen, "empty domain name");
		return -1;
	}
	if (len > 253 || len >= outlen) {
		seterr(err, errlen, "domain name longer than 253 octets");
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (data[i] == '.') {
			if (lab == 0) {
				seterr(err, errlen, "empty label in the "
				    "domain name");
				return -1;
			}
			lab = 0;
			continue;
		}
		if (!hostchar(data[i])) {
			seterr(err, errlen, "a character not allowed in a "
			    "domain name at offset %zu", i);
			return -1;
		}
		if (++lab > LABEL_MAX) {
			seterr(err, errlen, "label longer than 63 octets");
			return -1;
		}
	}
	memcpy(out, data, len);
	out[len] = '\0';
	return 0;
}

/*
 * Walk one DHCPv4 options area (RFC 2132 §2), appending code's data to
 * out; *found and, for the options field, the overload value.
 */
static int
v4_area(const unsigned char *a, size_t alen, const char *what, unsigned code,
    unsigned char *out, size_t outmax, size_t *o, int *found,
    int *overload, char *err, size_t errlen)
{
	size_t	 i = 0, l;
	unsigned c;

	while (i < alen) {
		c = a[i];
		if (c == 0) {
			i++;
			continue;
		}
		if (c == 255)
			break;
		if (alen - i < 2 || (l = a[i + 1]) > alen - i - 2) {
			seterr(err, errlen, "truncated: option %u runs past "
			    "the %s field", c, what);
			return -1;
		}
		if (c == code) {
			if (l > outmax - *o) {
				seterr(err, errlen, "option %u is longer than "
				    "%zu octets", code, outmax);
				return -1;
			}
			memcpy(out + *o, a + i + 2, l);
			*o += l;
			*found = 1;
		}
		if (c == V4_OVERLOAD && overload != NULL && l == 1)
			*overload = a[i + 2];
		i += 2 + l;
	}
	return 0;
}

int
dhcpopt_v4_find(const unsigned char *msg, size_t len, unsigned code,
    unsigned char *out, size_t outmax, size_t *outlen, char *err,
    size_t errlen)
{
	static const unsigned char cookie[4] = { 99, 130, 83, 99 };
	int	 found = 0, overload = 0;

	*outlen = 0;
	if (len < V4_OPTIONS_AT ||
	    memcmp(msg + V4_COOKIE_AT, cookie, sizeof(cookie)) != 0) {
		seterr(err, errlen, "not a DHCP message (%zu octets, no magic "
		    "cookie)", len);
		return -1;
	}
	if (v4_area(msg + V4_OPTIONS_AT, len - V4_OPTIONS_AT, "options",
	    code, out, outmax, outlen, &found, &overload, err, errlen) == -1)
		return -1;
	/* RFC 3396 §5 (RFC 2131 §4.1): options, then file, then sname. */
	if ((overload & 1) && v4_area(msg + V4_FILE_AT, V4_FILE_LEN, "file",
	    code, out, outmax, outlen, &found, NULL, err, errlen) == -1)
		return -1;
	if ((overload & 2) && v4_area(msg + V4_SNAME_AT, V4_SNAME_LEN, "sname",
	    code, out, outmax, outlen, &found, NULL, err, errlen) == -1)
		return -1;
	return found;
}

int
dhcpopt_v6_find(const unsigned char *opts, size_t len, unsigned code,
    const unsigned char **data, size_t *dlen, char *err, size_t errlen)
{
	size_t	 i = 0, l;
	unsigned c;

	*data = NULL;
	*dlen = 0;
	while (i < len) {
		if (len - i < 4) {
			seterr(err, errlen, "truncated DHCPv6 option header at "
			    "offset %zu", i);
			return -1;
		}
		c = (unsigned)opts[i] << 8 | opts[i + 1];
		l = (size_t)opts[i + 2] << 8 | opts[i + 3];
		if (l > len - i - 4) {
			seterr(err, errlen, "truncated: DHCPv6 option %u runs "
			    "past the message", c);
			return -1;
		}
		if (c == code) {
			*data = opts + i + 4;
			*dlen = l;
			return 1;
		}
		i += 4 + l;
	}
	return 0;
}

void
dhcpopt_hex(const unsigned char *data, size_t n, char sep, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (i > 0 && sep != '\0')
			*out++ = sep;
		*out++ = digits[data[i] >> 4];
		*out++ = digits[data[i] & 0xf];
	}
	*out = '\0';
}
