/*
 * test_sublimit: subscriptions per source (sublimit.h).  Bad and odd
 * keys first, then the cap: a source at its limit is refused until one
 * of its subscriptions ends, other sources are not, and a source with
 * none left takes no memory.
 */
#include <stdio.h>
#include <string.h>

#include "guard.h"
#include "sublimit.h"
#include "tap.h"

int
main(void)
{
	struct sublimit	*l;
	char		 k1[GUARD_KEY_MAX], k2[GUARD_KEY_MAX], longkey[300];
	int		 i, full;

	sublimit_free(NULL);
	ok((l = sublimit_new(3)) != NULL, "sublimit_new");
	if (l == NULL)
		return tap_done();

	/* Odd keys: the empty one and one longer than a key can be. */
	memset(longkey, 'x', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	ok(sublimit_take(l, "") == SUBLIMIT_OK, "the empty key counts too");
	ok(sublimit_take(l, longkey) == SUBLIMIT_OK, "a long key is cut, "
	    "not overflowed");
	ok(sublimit_count(l, longkey) == 1, "and found again");
	sublimit_release(l, "");
	sublimit_release(l, longkey);
	sublimit_release(l, "never-taken");
	ok(sublimit_sources(l) == 0, "released keys leave nothing behind");

	/* One source by any port, and an IPv6 /64 as one. */
	guard_source("192.0.2.1:5060", k1, sizeof(k1));
	guard_source("192.0.2.1:40000", k2, sizeof(k2));
	ok(strcmp(k1, k2) == 0, "a new port is the same source");
	for (i = 0, full = 0; i < 5; i++)
		full += sublimit_take(l, k1) == SUBLIMIT_FULL;
	ok(full == 2, "3 taken, then the source is full (%d refused)", full);
	ok(sublimit_count(l, k1) == 3, "the count stays at the cap");
	guard_source("[2001:db8:1:2::7]:5061", k2, sizeof(k2));
	ok(sublimit_take(l, k2) == SUBLIMIT_OK, "another source is not");
	guard_source("2001:db8:1:2:ffff::9", k2, sizeof(k2));
	ok(sublimit_count(l, k2) == 1, "the same /64 is the same source");
	sublimit_release(l, k1);
	ok(sublimit_take(l, k1) == SUBLIMIT_OK, "one ended: room for one");
	ok(sublimit_take(l, k1) == SUBLIMIT_FULL, "and for no more");
	ok(sublimit_sources(l) == 2, "two sources held");
	for (i = 0; i < 3; i++)
		sublimit_release(l, k1);
	sublimit_release(l, k2);
	ok(sublimit_sources(l) == 0, "all released: nothing held");
	sublimit_free(l);
	return tap_done();
}
