/*
 * tap.h: a minimal TAP producer for the unit tests.  ok() prints one
 * line per check; tap_done() prints the plan and the closing count and
 * returns the exit status (non-zero if any check failed).
 */
#ifndef SIPCFG_TAP_H
#define SIPCFG_TAP_H

#include <stdio.h>

static int tap_n, tap_failed;

#define ok(cond, ...) do {						\
	int c_ = (cond) ? 1 : 0;					\
	tap_n++;							\
	if (!c_)							\
		tap_failed++;						\
	printf("%sok %d - ", c_ ? "" : "not ", tap_n);			\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	if (!c_)							\
		printf("#   failed at %s:%d\n", __FILE__, __LINE__);	\
} while (0)

static inline int
tap_done(void)
{
	printf("1..%d\n# %d passed, %d failed\n", tap_n, tap_n - tap_failed,
	    tap_failed);
	return tap_failed ? 1 : 0;
}

#endif
