/*
 * log: one line per event on stderr, prefixed with the program name and
 * level.  log_warn appends strerror(errno); log_warnx does not.  fatal
 * and fatalx are for start-up only.  Thread-safe (one write per line).
 * Nothing that is a secret (passwords, HA1, nonces' secret, Authorization
 * headers) is ever passed to these functions.
 */
#ifndef SIPCFG_LOG_H
#define SIPCFG_LOG_H

#include <stdarg.h>

#define LOG_FMT(a, b) __attribute__((format(printf, a, b)))

void	 log_init(const char *progname, int debug);
void	 log_info(const char *, ...) LOG_FMT(1, 2);
void	 log_debug(const char *, ...) LOG_FMT(1, 2);
void	 log_warn(const char *, ...) LOG_FMT(1, 2);
void	 log_warnx(const char *, ...) LOG_FMT(1, 2);
void	 log_access(const char *, ...) LOG_FMT(1, 2);
void	 fatal(const char *, ...) LOG_FMT(1, 2) __attribute__((noreturn));
void	 fatalx(const char *, ...) LOG_FMT(1, 2) __attribute__((noreturn));

#endif
