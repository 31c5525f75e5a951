/*
 * log: stderr logging (see log.h).  Each line is formatted into one
 * buffer and written with a single write(2), so lines from different
 * threads never interleave.
 *
 * With log_format json each line is one JSON object (RFC 8259): "ts"
 * (ISO 8601 UTC, milliseconds), "level", "prog", "msg", and an access
 * line's facts as keys of their own.  Strings are escaped here, bytes
 * that are no UTF-8 (RFC 3629) becoming U+FFFD, so a line always
 * parses whatever a client sent that ends up in it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LINE_MAX_MSG	2048
#define LINE_MAX_JSON	16384

static const char	*prog = "sipcfg";	/* set once at start-up */
static int		 verbose;
static int		 json;			/* set once at start-up */

void
log_init(const char *progname, int debug)
{
	prog = progname;
	verbose = debug;
}

void
log_set_format(enum log_format f)
{
	json = f == LOG_FORMAT_JSON;
}

/*
 * A bounded line.  String contents stop JSTRUCT bytes short of the end;
 * the structure (keys, quotes, numbers, the closing brace) always has
 * room in those, so a long message is cut and the object still closes.
 */
struct jline {
	char	 b[LINE_MAX_JSON];
	size_t	 n;
};

#define JSTRUCT		512

/* Structure: always fits (see above). */
static void
jsyn(struct jline *l, const char *s)
{
	size_t	 len = strlen(s);

	if (len > sizeof(l->b) - 2 - l->n)
		return;
	memcpy(l->b + l->n, s, len);
	l->n += len;
}

/* String contents: 0, or -1 when there is no room left for len more. */
static int
jcontent(struct jline *l, const char *s, size_t len)
{
	if (l->n + len > sizeof(l->b) - JSTRUCT)
		return -1;
	memcpy(l->b + l->n, s, len);
	l->n += len;
	return 0;
}

/* The length of the UTF-8 sequence at s (RFC 3629 §4), 0 if none. */
static size_t
utf8_len(const unsigned char *s)
{
	unsigned char	 c = s[0], lo = 0x80, hi = 0xbf;
	size_t		 n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;	/* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	for (i = 1; i < n; i++, lo = 0x80, hi = 0xbf)
		if (s[i] < lo || s[i] > hi)
			return 0;
	return n;
}

/* A JSON string (RFC 8259 §7), quotes included. */
static void
jstr(struct jline *l, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			 esc[8];
	const char		*out;
	size_t			 len;

	jsyn(l, "\"");
	while (*p) {
		out = esc;
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			len = 2;
		} else if (*p == '\n' || *p == '\r' || *p == '\t') {
			esc[0] = '\\';
			esc[1] = *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't';
			len = 2;
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			len = 6;
		} else if ((len = utf8_len(p)) == 0) {
			memcpy(esc, "\\ufffd", 6);
			len = 6;
		} else
			out = (const char *)p;
		if (jcontent(l, out, len) != 0)
			break;
		p += out == esc ? 1 : len;
	}
	jsyn(l, "\"");
}

/* A key: fixed names, nothing to escape. */
static void
jkey(struct jline *l, const char *key)
{
	jsyn(l, ",\"");
	jsyn(l, key);
	jsyn(l, "\":");
}

/* Opens the object: ts, level, prog, msg. */
static void
jopen(struct jline *l, const char *level, const char *msg)
{
	struct timespec	 ts;
	struct tm	 tm;
	char		 t[40];

	l->n = 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(t + strlen(t), sizeof(t) - strlen(t), ".%03ldZ",
	    ts.tv_nsec / 1000000);
	jsyn(l, "{\"ts\":");
	jstr(l, t);
	jkey(l, "level");
	jstr(l, level);
	jkey(l, "prog");
	jstr(l, prog);
	jkey(l, "msg");
	jstr(l, msg);
}

static void
jclose(struct jline *l)
{
	l->b[l->n++] = '}';	/* jsyn() kept these two bytes */
	l->b[l->n++] = '\n';
	(void)!write(STDERR_FILENO, l->b, l->n);
}

/* The message, then the line in the format asked for. */
static void
emit(const char *prefix, const char *level, const char *msg)
{
	struct jline	 l;
	char		 line[LINE_MAX_MSG + 64];
	int		 n;

	if (json) {
		jopen(&l, level, msg);
		jclose(&l);
		return;
	}
	n = snprintf(line, sizeof(line), "%s: %s%s\n", prog, prefix, msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

static void
vlog(const char *prefix, const char *level, const char *fmt, va_list ap,
    const char *errstr)
{
	char	 msg[LINE_MAX_MSG];
	int	 n;

	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(msg))
		n = (int)sizeof(msg) - 1;
	if (errstr)
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", errstr);
	emit(prefix, level, msg);
}

#define LOGFN(name, prefix, level, cond, witherr)			\
void									\
name(const char *fmt, ...)						\
{									\
	va_list	 ap;							\
	int	 saved = errno;						\
									\
	if (!(cond))							\
		return;							\
	va_start(ap, fmt);						\
	vlog(prefix, level, fmt, ap, witherr ? strerror(saved) : NULL);	\
	va_end(ap);							\
	errno = saved;							\
}

LOGFN(log_info, "", "info", 1, 0)
LOGFN(log_debug, "debug: ", "debug", verbose, 0)
LOGFN(log_warn, "warning: ", "warning", 1, 1)
LOGFN(log_warnx, "warning: ", "warning", 1, 0)
LOGFN(log_access, "access: ", "access", 1, 0)

static int
empty(const char *s)
{
	return s == NULL || *s == '\0';
}

void
log_access_fields(const struct log_access_info *a)
{
	struct jline	 l;
	char		 msg[LINE_MAX_MSG], note[64], num[32];
	int		 saved = errno;

	/* The text line, as it always was: the note, else the reason. */
	if (!empty(a->note))
		snprintf(note, sizeof(note), " %s", a->note);
	else if (!empty(a->reason))
		snprintf(note, sizeof(note), " reason=\"%.36s\"", a->reason);
	else
		note[0] = '\0';
	snprintf(msg, sizeof(msg), "%s %u %zu %ldus device=%s user=%s%s",
	    a->addr, a->status, a->bytes, a->us,
	    empty(a->device) ? "-" : a->device,
	    empty(a->user) ? "-" : a->user, note);
	if (!json) {
		emit("access: ", "access", msg);
		errno = saved;
		return;
	}
	jopen(&l, "access", msg);
	jkey(&l, "addr");
	jstr(&l, a->addr ? a->addr : "");
	if (!empty(a->route)) {
		jkey(&l, "route");
		jstr(&l, a->route);
	}
	snprintf(num, sizeof(num), "%u", a->status);
	jkey(&l, "status");
	jsyn(&l, num);
	snprintf(num, sizeof(num), "%zu", a->bytes);
	jkey(&l, "bytes");
	jsyn(&l, num);
	snprintf(num, sizeof(num), "%ld", a->us);
	jkey(&l, "duration_us");
	jsyn(&l, num);
	jkey(&l, "device");
	if (empty(a->device))
		jsyn(&l, "null");
	else
		jstr(&l, a->device);
	jkey(&l, "user");
	if (empty(a->user))
		jsyn(&l, "null");
	else
		jstr(&l, a->user);
	if (!empty(a->note)) {
		jkey(&l, "note");
		jstr(&l, a->note);
	}
	if (!empty(a->reason)) {
		jkey(&l, "reason");
		jstr(&l, a->reason);
	}
	jclose(&l);
	errno = saved;
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vlog("fatal: ", "fatal", fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog("fatal: ", "fatal", fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
