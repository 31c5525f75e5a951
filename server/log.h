/*
 * log: one line per event on stderr, prefixed with the program name and
 * level, or with log_format json (sipcfgd.conf(5)) one JSON object per
 * line.  log_warn appends strerror(errno); log_warnx does not.  fatal
 * and fatalx are for start-up only.  Thread-safe (one write per line).
 * Nothing that is a secret (passwords, HA1, nonces' secret, Authorization
 * headers) is ever passed to these functions.
 */
#ifndef SIPCFG_LOG_H
#define SIPCFG_LOG_H

#include <stdarg.h>
#include <stddef.h>

#define LOG_FMT(a, b) __attribute__((format(printf, a, b)))

enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

/* One access line's facts, each a key of its own in JSON. */
struct log_access_info {
	const char	*addr;
	const char	*route;		/* metrics.h's label; NULL: none */
	unsigned	 status;
	size_t		 bytes;
	long		 us;		/* request line to completion */
	const char	*device;	/* "" or NULL: none */
	const char	*user;		/* "" or NULL: none */
	const char	*note;		/* "" or NULL: none */
	const char	*reason;	/* an error's one-line reason, or "" */
};

void	 log_init(const char *progname, int debug);
/* At start-up, before other threads log. */
void	 log_set_format(enum log_format);
void	 log_info(const char *, ...) LOG_FMT(1, 2);
void	 log_debug(const char *, ...) LOG_FMT(1, 2);
void	 log_warn(const char *, ...) LOG_FMT(1, 2);
void	 log_warnx(const char *, ...) LOG_FMT(1, 2);
void	 log_access(const char *, ...) LOG_FMT(1, 2);
/*
 * An HTTP access line: in text "ADDR STATUS BYTES USus device=D user=U
 * [NOTE]", the note being the reason when there is no other; in JSON
 * the same facts as keys.
 */
void	 log_access_fields(const struct log_access_info *);
void	 fatal(const char *, ...) LOG_FMT(1, 2) __attribute__((noreturn));
void	 fatalx(const char *, ...) LOG_FMT(1, 2) __attribute__((noreturn));

#endif
