/*
 * log: stderr logging (see log.h).  Each line is formatted into one
 * buffer and written with a single write(2), so lines from different
 * threads never interleave.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char	*prog = "sipcfg";	/* set once at start-up */
static int		 verbose;

void
log_init(const char *progname, int debug)
{
	prog = progname;
	verbose = debug;
}

static void
vlog(const char *level, const char *fmt, va_list ap, const char *errstr)
{
	char	 line[2048];
	int	 n, m;

	n = snprintf(line, sizeof(line), "%s: %s", prog, level);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (m < 0)
		return;
	n = (size_t)(n + m) >= sizeof(line) - 1 ? (int)sizeof(line) - 2 : n + m;
	if (errstr) {
		m = snprintf(line + n, sizeof(line) - (size_t)n, ": %s", errstr);
		if (m > 0)
			n = (size_t)(n + m) >= sizeof(line) - 1 ?
			    (int)sizeof(line) - 2 : n + m;
	}
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

#define LOGFN(name, level, cond, witherr)				\
void									\
name(const char *fmt, ...)						\
{									\
	va_list	 ap;							\
	int	 saved = errno;						\
									\
	if (!(cond))							\
		return;							\
	va_start(ap, fmt);						\
	vlog(level, fmt, ap, witherr ? strerror(saved) : NULL);		\
	va_end(ap);							\
	errno = saved;							\
}

LOGFN(log_info, "", 1, 0)
LOGFN(log_debug, "debug: ", verbose, 0)
LOGFN(log_warn, "warning: ", 1, 1)
LOGFN(log_warnx, "warning: ", 1, 0)
LOGFN(log_access, "access: ", 1, 0)

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vlog("fatal: ", fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog("fatal: ", fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
