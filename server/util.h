/*
 * util: small pure helpers shared by every module: constant-time compare,
 * hex encoding, strict integer and duration parsing, secure wipe.
 * Thread-safe.
 */
#ifndef SIPCFG_UTIL_H
#define SIPCFG_UTIL_H

#include <stddef.h>
#include <time.h>
#include <stdint.h>

/* 1 when equal, else 0; time depends only on the length. */
int	 util_ct_memeq(const void *, const void *, size_t);
/* Constant-time string equality (lengths compared too); 1 if equal. */
int	 util_ct_streq(const char *, const char *);
/* The value of one hex digit, or -1. */
int	 util_hexval(int);
/* Lower-case hex of n bytes into out (2n+1 bytes). */
void	 util_hex(const unsigned char *, size_t n, char *out);
/* Parse 2n hex digits into n bytes; -1 on bad input. */
int	 util_unhex(const char *, unsigned char *, size_t n);
/* Strict base-10 parse of a whole string into [min,max]; -1 on error. */
int	 util_strtonum(const char *, long long min, long long max,
	    long long *out);
/*
 * A duration: plain seconds, or a number with one suffix s, m, h or d
 * ("90s", "30m", "12h", "7d"), into [0,max] seconds; -1 on anything else
 * (signs, blanks, fractions, other suffixes, overflow).
 */
int	 util_duration(const char *, long long max, long long *out);
void	 util_wipe(void *, size_t);
/* Random bytes from the OS (getrandom); -1 on failure. */
int	 util_random(void *, size_t);
/*
 * FNV-1a, 64 bits, of s continued from h (start from UTIL_FNV_BASIS, or
 * that xor a random key when outsiders choose s).  For hash tables, not
 * for anything an attacker must not forge.
 */
#define UTIL_FNV_BASIS	1469598103934665603ULL
uint64_t util_fnv1a(uint64_t h, const char *s);
/* HTTP-date (RFC 9110 §5.6.7) of t into out (at least 30 bytes). */
void	 util_httpdate(time_t t, char *out, size_t outlen);
/* Parse an HTTP-date; -1 if it is not one. */
int	 util_parse_httpdate(const char *, time_t *);
/*
 * For a process holding keys and HA1s: no core dumps (RLIMIT_CORE 0,
 * soft and hard) and not dumpable (PR_SET_DUMPABLE 0: no core, no
 * ptrace attach by the same user, /proc/PID files owned by root).
 */
int	 util_no_core_dumps(void);
struct buf;
/*
 * A whole file (at most max bytes) as a NUL-terminated malloc'd string,
 * its length in *lenp; NULL with errno set (EFBIG when too large).
 */
char	*util_slurp(const char *path, size_t max, size_t *lenp);
/* Percent-encode s for a URI query component (RFC 3986 §3.4). */
int	 util_urlencode(struct buf *, const char *s);

#endif
