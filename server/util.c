/*
 * util: small pure helpers (see util.h).  Thread-safe.
 */
#include <errno.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/random.h>
#include <time.h>

#include "buf.h"
#include "util.h"

int
util_ct_memeq(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char	 d = 0;
	size_t		 i;

	for (i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

int
util_ct_streq(const char *a, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b);

	if (la != lb)
		return 0;
	return util_ct_memeq(a, b, la);
}

void
util_hex(const unsigned char *p, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t	 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int
util_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
util_unhex(const char *s, unsigned char *out, size_t n)
{
	size_t	 i;
	int	 h, l;

	for (i = 0; i < n; i++) {
		if ((h = util_hexval(s[2 * i])) < 0 || (l = util_hexval(s[2 * i + 1])) < 0)
			return -1;
		out[i] = (unsigned char)(h << 4 | l);
	}
	return s[2 * n] == '\0' ? 0 : -1;
}

int
util_strtonum(const char *s, long long min, long long max, long long *out)
{
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
util_duration(const char *s, long long max, long long *out)
{
	long long	 v = 0, mult = 1;
	const char	*p = s;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++)
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, *p - '0', &v))
			return -1;
	switch (*p) {
	case '\0':
	case 's':
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = 86400;
		break;
	default:
		return -1;
	}
	if (*p != '\0' && p[1] != '\0')
		return -1;
	if (__builtin_mul_overflow(v, mult, &v) || v > max)
		return -1;
	*out = v;
	return 0;
}

void
util_wipe(void *p, size_t n)
{
	explicit_bzero(p, n);
}

int
util_random(void *p, size_t n)
{
	unsigned char	*c = p;
	ssize_t		 r;

	while (n > 0) {
		r = getrandom(c, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

int
util_urlencode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~:", c))
			buf_addc(b, (char)c);
		else {
			buf_addc(b, '%');
			buf_addc(b, hex[c >> 4]);
			buf_addc(b, hex[c & 15]);
		}
	}
	return b->failed ? -1 : 0;
}

char *
util_slurp(const char *path, size_t max, size_t *lenp)
{
	FILE	*f;
	char	*b = NULL;
	long	 n;
	int	 e = 0;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		e = errno ? errno : EIO;
	else if ((size_t)n > max)
		e = EFBIG;
	else if ((b = malloc((size_t)n + 1)) == NULL)
		e = ENOMEM;
	else if (fread(b, 1, (size_t)n, f) != (size_t)n) {
		e = EIO;
		free(b);
		b = NULL;
	} else {
		b[n] = '\0';
		if (lenp)
			*lenp = (size_t)n;
	}
	fclose(f);
	if (b == NULL)
		errno = e;
	return b;
}

int
util_no_core_dumps(void)
{
	struct rlimit	 rl = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &rl) != 0)
		return -1;
	return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 ? -1 : 0;
}

void
util_httpdate(time_t t, char *out, size_t outlen)
{
	struct tm	 tm;

	gmtime_r(&t, &tm);
	strftime(out, outlen, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

int
util_parse_httpdate(const char *s, time_t *t)
{
	struct tm	 tm;
	const char	*e;

	memset(&tm, 0, sizeof(tm));
	/* RFC 9110 §5.6.7: IMF-fixdate; the obsolete forms are rare. */
	e = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (e == NULL || *e != '\0') {
		memset(&tm, 0, sizeof(tm));
		e = strptime(s, "%A, %d-%b-%y %H:%M:%S GMT", &tm);
		if (e == NULL || *e != '\0')
			return -1;
	}
	*t = timegm(&tm);
	return *t == (time_t)-1 ? -1 : 0;
}

uint64_t
util_fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}
